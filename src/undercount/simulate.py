"""Synthetic demonstration lists for both events, from a documented, seeded model.

Nothing here describes real people. The model (also stated in
``data/demo/README.md``, which :func:`write_demo` writes):

1. **People.** For each event and population a true total N of people is
   drawn into latent groups (for example "street, Almaty" and "hard to reach").
   Each person gets a sex, an age, a Kazakh-Cyrillic given name, surname and
   father's name (so a patronymic), a date and a place, all at random from
   fixed pools. Detainees are also tortured or not, with a group-dependent
   probability.
2. **Capture.** Each source documents each person independently *given the
   group*, with a probability that depends on the source and the group. Lists
   are therefore heterogeneous and dependent overall (groups that are hard to
   reach are missed by every list), which is what MSE has to cope with.
3. **Writing.** Each source writes its records its own way: script and
   romanisation (Kazakh or Russian Cyrillic, passport, BGN/PCGN, Kazakh Latin
   2017/2018/2021, German or English press), name order, initials only (the
   official 2022 list), sometimes the surname without its -ов/-ев ending or
   with Дж for Ж, its own headers, date format and value words; fields are
   missing at source-specific rates; dates are off by a day and ages by a year
   now and then; a few records are entered twice with different ids.

Source sizes echo the public ones (official list 238, Radio Azattyq 188,
Ar.Rukh.Khak 221) but every number built from these files is synthetic.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import tabular
from .names import romanise
from .synthetic import MANIFEST, format_manifest

DEFAULT_SEED = 20220105

# ----------------------------------------------------------------- name pools
MALE_GIVEN = (
    "Ерлан Нұрлан Асхат Бауыржан Дәурен Ержан Қайрат Марат Серік Талғат Әділет Жандос Ғалым "
    "Мұрат Арман Болат Азамат Ерболат Жасұлан Айдос Дархан Ермек Медет Руслан Тимур Алмас Берік "
    "Қанат Мақсат Нұржан Олжас Санжар Темірлан Шыңғыс Ілияс Айбек Самат Данияр Әлібек Ринат "
    "Ақылбек Бекзат Ғани Еркебұлан Жомарт Қуаныш Мейрам Нұрбол Рамазан Сұлтан Төлеген Ұлан "
    "Абай Абылай Айбол Айдар Ақжол Алпамыс Амангелді Асқар Ахмет Әбілқайыр Бақытжан Бағдат "
    "Бейбіт Біржан Ғабит Дамир Дастан Дәулет Ердос Ерқанат Жақсылық Жанат Жеңіс Зейнолла "
    "Қалдыбек Қасым Кенжебек Мағжан Мирас Мұхтар Нариман Нұртас Оспан Рустем Сабыр Сағат "
    "Серікбол Сырым Тәуекел Үмбетқали Ғалымжан Хамит Шерхан Ясин "
    "Сергей Александр Дмитрий Андрей Виктор Евгений Игорь Максим Павел Роман"
).split()
FEMALE_GIVEN = (
    "Айгүл Гүлнар Жанар Әсел Динара Мәдина Салтанат Айжан Назым Ақмарал Гүлмира Жұлдыз "
    "Қарлығаш Толқын Ләззат Мөлдір Аружан Сәуле Айнұр Ботагөз Гүлназ Дана Еркежан Жансая "
    "Зарина Индира Қамила Ләйлә Мейрамгүл Нұргүл Перизат Райхан Сабина Томирис Ұлжан "
    "Ольга Елена Наталья Татьяна"
).split()
# Kazakh surnames grow from a forefather's name: Ахмет -> Ахметов, Жұмабай ->
# Жұмабаев. Since 1992 many families write the root alone (Ахмет, Жұмабай).
SURNAME_ROOTS = (
    "Жагипар Нұрлыбай Тоқтар Сейіт Омар Жұмабай Әбдірахман Қасым Есен Бекмұхамбет Тұрсын Ахмет "
    "Сәрсенбай Жақсылық Оспан Мұхаметжан Қуаныш Ибрай Байжан Ермек Сұлтан Тәжібай Әлімжан Нұрғали "
    "Шәріп Төлеу Исабек Мамыр Рахим Сыздық Дүйсен Ертай Қожахмет Бейсен Садық Құрман Әмір Жүніс "
    "Кенжебай Жанбулат Сағынтай Нұрмағамбет Елеусіз Жолдасбай Айтқали Қали Өтебай Молдаш "
    "Мырзахмет Әбенов Байтұрсын Ғаббас Дәулетбай Есмағамбет Жаманқұл Жексенбай Ізбасар Қадыр "
    "Қайырбек Қонысбай Көшербай Мақаш Мұсабек Нәубет Оразбай Рысқұл Сапар Серікбай Тастан "
    "Тілеулес Түгелбай Үсен Шалабай Шаймерден Ыбырай Әуезхан Бөкей Ғазиз Дандыбай Ерғали "
    "Жұбан Ілияс Қаратай Қырықбай Мәмбет Нұрпейіс Ораз Сақтаған Сыдық Тоқмағамбет Уәли "
    "Әлібек Асқар Айдар Бақыт Болат Дархан Жандос Қанат Мұрат Марат Серік Талғат Арман Ержан"
).split()
RUSSIAN_SURNAMES = ("Иванов", "Петров", "Кузнецов", "Смирнов", "Попов", "Волков")
INVARIANT_SURNAMES = ("Ким", "Шевченко", "Цой", "Пак", "Бондаренко", "Ли")


def russian_surname(root: str) -> str:
    """The Russian-style surname made from a root: Ахмет -> Ахметов, Жұмабай -> Жұмабаев."""
    if root.endswith("ов"):
        return root
    if root.endswith("й"):
        return root[:-1] + "ев"
    if root[-1] in "аәеиіоөуұүыэюя":
        return root + "ев"
    if root[-1] in "шжчщц":
        return root + "ев"
    return root + "ов"


def surname_pool() -> list[tuple[str, str | None]]:
    """(male surname, form without the ending or None) for every surname in use."""
    pool = [(russian_surname(r), None if r.endswith("ов") else r) for r in SURNAME_ROOTS]
    pool += [(s, None) for s in RUSSIAN_SURNAMES + INVARIANT_SURNAMES]
    return pool


SURNAMES = surname_pool()


@dataclass(frozen=True)
class Place:
    kazakh: str
    russian: str
    latin: tuple[str, ...]  # current spelling first, then older variants
    region_ru: str


PLACES = {
    "almaty": Place("Алматы", "Алматы", ("Almaty", "Alma-Ata"), "г. Алматы"),
    "taldykorgan": Place("Талдықорған", "Талдыкорган", ("Taldykorgan",), "Алматинская область"),
    "kyzylorda": Place("Қызылорда", "Кызылорда", ("Kyzylorda", "Kzyl-Orda"), "Кызылординская область"),
    "shymkent": Place("Шымкент", "Шымкент", ("Shymkent", "Chimkent"), "г. Шымкент"),
    "taraz": Place("Тараз", "Тараз", ("Taraz", "Zhambyl"), "Жамбылская область"),
    "aktobe": Place("Ақтөбе", "Актобе", ("Aktobe", "Aktyubinsk"), "Актюбинская область"),
    "zhanaozen": Place(
        "Жаңаөзен", "Жанаозен", ("Zhanaozen", "Janaozen", "Novy Uzen"), "Мангистауская область"
    ),
    "shetpe": Place("Шетпе", "Шетпе", ("Shetpe",), "Мангистауская область"),
    "aktau": Place("Ақтау", "Актау", ("Aktau",), "Мангистауская область"),
}


# ------------------------------------------------------------------- design
@dataclass(frozen=True)
class Group:
    """A latent group of people with its own capture probabilities."""

    name: str
    share: float
    places: dict[str, float]
    capture: dict[str, float]  # source id -> probability of being on that list
    torture: float = 0.0  # probability a detainee in this group was tortured
    # source id -> capture probability for tortured people (they seek out NGOs)
    capture_if_tortured: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceDesign:
    """How one source writes its list."""

    id: str
    label: str
    filename: str
    systems: dict[str, float]  # romanisation system -> probability
    order: str  # "SGP" surname given patronymic, "GS", "SG", "S_initials"
    headers: dict[str, str]  # canonical -> header written in the file
    date_format: str = "%Y-%m-%d"
    id_prefix: str = ""
    id_width: int = 4
    sex_words: tuple[str, str] | None = ("M", "F")
    bool_words: tuple[str, str] = ("yes", "no")
    missing: dict[str, float] = field(default_factory=dict)
    date_error: float = 0.0
    age_error: float = 0.0
    duplicates: float = 0.015
    surname_variant: float = 0.0  # dropped ending / Дж spelling
    place_style: str = "kazakh"  # kazakh, russian, latin
    group_words: dict[str, str] | None = None
    torture_recorded: float = 0.0  # P(records torture | captured and tortured)
    torture_no_word: bool = False  # writes "no" for others, else blank
    xlsx: bool = False


@dataclass(frozen=True)
class PopulationDesign:
    event: str
    kind: str  # casualty or detention
    total: int
    start: date
    day_weights: tuple[float, ...]
    groups: tuple[Group, ...]
    sources: tuple[SourceDesign, ...]
    share_male: float
    age_range: tuple[int, int]
    security_group: str | None = None
    died_in_custody: int = 0


CASUALTY_HEADERS_EN = {
    "record_id": "record_id",
    "full_name": "full_name",
    "sex": "sex",
    "age": "age",
    "date_of_death": "date_of_death",
    "place": "place",
    "region": "region",
    "victim_group": "victim_group",
}
DETENTION_HEADERS_EN = {
    "record_id": "record_id",
    "full_name": "full_name",
    "sex": "sex",
    "age": "age",
    "date_detained": "date_detained",
    "place_detained": "place_detained",
    "facility": "facility",
    "torture_alleged": "torture_alleged",
    "died_in_custody": "died_in_custody",
}


def designs() -> list[PopulationDesign]:
    """The demo's populations and sources (the documented model)."""
    jan_regions = {"taldykorgan": 0.3, "kyzylorda": 0.25, "shymkent": 0.2, "taraz": 0.15, "aktobe": 0.1}
    jan_all = {"almaty": 0.55} | {k: v * 0.45 for k, v in jan_regions.items()}
    jan_deaths = PopulationDesign(
        event="jan2022",
        kind="casualty",
        total=320,
        start=date(2022, 1, 5),
        day_weights=(0.4, 0.33, 0.14, 0.03, 0.03, 0.02, 0.02, 0.01, 0.01, 0.01),
        share_male=0.9,
        age_range=(17, 68),
        security_group="security",
        groups=(
            Group(
                "street_almaty", 0.42, {"almaty": 1.0}, {"official": 0.82, "azattyq": 0.8, "arrukhkhak": 0.85}
            ),
            Group("regions", 0.33, jan_regions, {"official": 0.78, "azattyq": 0.6, "arrukhkhak": 0.75}),
            Group("hard_to_reach", 0.18, jan_all, {"official": 0.45, "azattyq": 0.2, "arrukhkhak": 0.4}),
            Group("security", 0.07, jan_all, {"official": 0.98, "azattyq": 0.3, "arrukhkhak": 0.25}),
        ),
        sources=(
            SourceDesign(
                id="official",
                label="Prosecutor General's list (synthetic)",
                filename="jan2022_official_deaths.csv",
                systems={"russian": 1.0},
                order="S_initials",
                headers={
                    "record_id": "№ п/п",
                    "full_name": "Ф.И.О.",
                    "date_of_death": "Дата смерти",
                    "region": "Регион",
                    "victim_group": "Категория",
                },
                date_format="%d.%m.%Y",
                id_prefix="ГП-",
                id_width=3,
                sex_words=None,
                missing={"date_of_death": 0.02},
                place_style="russian",
                group_words={"civilian": "гражданское лицо", "security": "сотрудник"},
            ),
            SourceDesign(
                id="azattyq",
                label="Radio Azattyq list (synthetic)",
                filename="jan2022_azattyq_deaths.csv",
                systems={"kazakh": 1.0},
                order="GS",
                headers={
                    "record_id": "Реттік нөмір",
                    "full_name": "Аты-жөні",
                    "sex": "Жынысы",
                    "age": "Жасы",
                    "date_of_death": "Қайтыс болған күні",
                    "place": "Елді мекен",
                },
                id_prefix="AZ-",
                id_width=3,
                sex_words=("ер", "әйел"),
                missing={"sex": 0.1, "age": 0.15, "date_of_death": 0.08, "place": 0.05},
                date_error=0.05,
                age_error=0.1,
                surname_variant=0.1,
                place_style="kazakh",
            ),
            SourceDesign(
                id="arrukhkhak",
                label="Ar.Rukh.Khak foundation list (synthetic)",
                filename="jan2022_arrukhkhak_deaths.xlsx",
                systems={"icao": 0.6, "english": 0.4},
                order="SG",
                headers=CASUALTY_HEADERS_EN | {"full_name": "Name", "record_id": "No"},
                id_prefix="",
                id_width=0,
                missing={
                    "sex": 0.05,
                    "age": 0.3,
                    "date_of_death": 0.2,
                    "place": 0.1,
                    "region": 1.0,
                    "victim_group": 0.3,
                },
                date_error=0.05,
                age_error=0.1,
                surname_variant=0.1,
                place_style="latin",
                group_words={"civilian": "civilian", "security": "security"},
                xlsx=True,
            ),
        ),
    )
    jan_detentions = PopulationDesign(
        event="jan2022",
        kind="detention",
        total=10_000,
        start=date(2022, 1, 5),
        day_weights=(0.1, 0.18, 0.2, 0.16, 0.12, 0.08, 0.06, 0.04, 0.03, 0.03),
        share_male=0.88,
        age_range=(16, 70),
        died_in_custody=8,
        groups=(
            Group(
                "mass_almaty",
                0.5,
                {"almaty": 1.0},
                {"mvd": 0.6, "ngo": 0.06, "lawyers": 0.04},
                torture=0.06,
                capture_if_tortured={"ngo": 0.3, "lawyers": 0.15},
            ),
            Group(
                "regions",
                0.35,
                jan_regions,
                {"mvd": 0.5, "ngo": 0.08, "lawyers": 0.05},
                torture=0.08,
                capture_if_tortured={"ngo": 0.35, "lawyers": 0.2},
            ),
            Group(
                "activists",
                0.15,
                jan_all,
                {"mvd": 0.7, "ngo": 0.35, "lawyers": 0.25},
                torture=0.2,
                capture_if_tortured={"ngo": 0.6, "lawyers": 0.4},
            ),
        ),
        sources=(
            SourceDesign(
                id="mvd",
                label="Interior Ministry detention register (synthetic)",
                filename="jan2022_mvd_detentions.csv",
                systems={"russian": 1.0},
                order="SGP",
                headers={
                    "record_id": "Номер",
                    "full_name": "ФИО",
                    "sex": "Пол",
                    "age": "Возраст",
                    "date_detained": "Дата задержания",
                    "place_detained": "Место задержания",
                    "facility": "Место содержания",
                    "torture_alleged": "Жалоба на пытки",
                },
                date_format="%d.%m.%Y",
                id_prefix="МВД-",
                id_width=5,
                sex_words=("муж", "жен"),
                bool_words=("да", "нет"),
                missing={"age": 0.05, "place_detained": 0.1},
                duplicates=0.01,
                place_style="russian",
                torture_recorded=0.15,
            ),
            SourceDesign(
                id="ngo",
                label="NGO Coalition against Torture list (synthetic)",
                filename="jan2022_ngo_detentions.csv",
                systems={"kz2021": 0.7, "russian": 0.3},
                order="GS",
                headers=DETENTION_HEADERS_EN,
                id_prefix="KCT-",
                id_width=4,
                missing={"sex": 0.2, "age": 0.4, "date_detained": 0.1, "facility": 0.5},
                date_error=0.1,
                age_error=0.1,
                surname_variant=0.15,
                place_style="latin",
                torture_recorded=0.85,
                torture_no_word=True,
            ),
            SourceDesign(
                id="lawyers",
                label="Defence lawyers' case list (synthetic)",
                filename="jan2022_lawyers_detentions.csv",
                systems={"kz2018": 0.6, "bgn": 0.4},
                order="SG",
                headers=DETENTION_HEADERS_EN | {"full_name": "client"},
                id_prefix="ADV-",
                id_width=4,
                missing={"sex": 0.1, "age": 0.2, "date_detained": 0.05, "place_detained": 0.3},
                date_error=0.05,
                surname_variant=0.1,
                place_style="latin",
                torture_recorded=0.7,
                torture_no_word=True,
            ),
        ),
    )
    zh_places = {"zhanaozen": 0.93, "shetpe": 0.07}
    zh_deaths = PopulationDesign(
        event="zhanaozen2011",
        kind="casualty",
        total=48,
        start=date(2011, 12, 16),
        day_weights=(0.85, 0.1, 0.02, 0.01, 0.01, 0.01),
        share_male=0.95,
        age_range=(18, 62),
        groups=(
            Group("square", 0.6, zh_places, {"official": 0.45, "residents": 0.7, "press": 0.5}),
            Group("hard_to_reach", 0.4, zh_places, {"official": 0.15, "residents": 0.45, "press": 0.2}),
        ),
        sources=(
            SourceDesign(
                id="official",
                label="Prosecutor General's statements (synthetic)",
                filename="zhanaozen2011_official_deaths.csv",
                systems={"russian": 1.0},
                order="SGP",
                headers={
                    "record_id": "№",
                    "full_name": "ФИО",
                    "sex": "Пол",
                    "age": "Возраст",
                    "date_of_death": "Дата",
                    "place": "Населённый пункт",
                },
                date_format="%d.%m.%Y",
                id_prefix="",
                id_width=0,
                sex_words=("М", "Ж"),
                duplicates=0.0,
                place_style="russian",
            ),
            SourceDesign(
                id="residents",
                label="Residents' list (synthetic)",
                filename="zhanaozen2011_residents_deaths.csv",
                systems={"kazakh": 1.0},
                order="GS",
                headers={
                    "record_id": "Реттік нөмір",
                    "full_name": "Аты-жөні",
                    "age": "Жасы",
                    "date_of_death": "Күні",
                    "place": "Елді мекен",
                },
                id_prefix="R",
                id_width=2,
                missing={"age": 0.3, "date_of_death": 0.1},
                date_error=0.05,
                age_error=0.15,
                surname_variant=0.2,
                duplicates=0.03,
                place_style="kazakh",
            ),
            SourceDesign(
                id="press",
                label="Press reports (synthetic)",
                filename="zhanaozen2011_press_deaths.csv",
                systems={"german": 0.5, "english": 0.5},
                order="GS",
                headers=CASUALTY_HEADERS_EN,
                id_prefix="P",
                id_width=2,
                missing={"sex": 0.3, "age": 0.5, "date_of_death": 0.2, "region": 1.0, "victim_group": 1.0},
                date_error=0.05,
                age_error=0.1,
                surname_variant=0.1,
                place_style="latin",
            ),
        ),
    )
    zh_detentions = PopulationDesign(
        event="zhanaozen2011",
        kind="detention",
        total=140,
        start=date(2011, 12, 16),
        day_weights=(0.35, 0.3, 0.15, 0.1, 0.05, 0.05),
        share_male=0.85,
        age_range=(17, 60),
        groups=(
            Group(
                "bystanders",
                0.7,
                {"zhanaozen": 1.0},
                {"police": 0.6, "defenders": 0.2},
                torture=0.15,
                capture_if_tortured={"defenders": 0.5},
            ),
            Group(
                "strikers",
                0.3,
                zh_places,
                {"police": 0.75, "defenders": 0.6},
                torture=0.35,
                capture_if_tortured={"defenders": 0.8},
            ),
        ),
        sources=(
            SourceDesign(
                id="police",
                label="Police detention records (synthetic)",
                filename="zhanaozen2011_police_detentions.csv",
                systems={"russian": 1.0},
                order="SGP",
                headers={
                    "record_id": "Номер",
                    "full_name": "ФИО",
                    "sex": "Пол",
                    "age": "Возраст",
                    "date_detained": "Дата задержания",
                    "place_detained": "Место задержания",
                    "facility": "Место содержания",
                },
                date_format="%d.%m.%Y",
                id_prefix="П-",
                id_width=3,
                sex_words=("муж", "жен"),
                duplicates=0.0,
                place_style="russian",
            ),
            SourceDesign(
                id="defenders",
                label="Human rights defenders' list (synthetic)",
                filename="zhanaozen2011_defenders_detentions.csv",
                systems={"kz2017": 1.0},
                order="GS",
                headers=DETENTION_HEADERS_EN,
                id_prefix="HRD-",
                id_width=3,
                missing={"sex": 0.2, "age": 0.4, "facility": 0.6},
                date_error=0.05,
                surname_variant=0.1,
                place_style="latin",
                torture_recorded=0.9,
                torture_no_word=True,
            ),
        ),
    )
    return [jan_deaths, jan_detentions, zh_deaths, zh_detentions]


# ------------------------------------------------------------------- people
@dataclass
class Person:
    key: str
    group: str
    male: bool
    age: int
    given: str
    surname: str  # male form
    surname_dropped: str | None
    father: str
    day: date
    place: str
    tortured: bool = False
    died_in_custody: bool = False


def _choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def draw_people(design: PopulationDesign, rng: np.random.Generator) -> list[Person]:
    shares = np.array([g.share for g in design.groups])
    sizes = rng.multinomial(design.total, shares / shares.sum())
    tag = "D" if design.kind == "casualty" else "X"
    people: list[Person] = []
    days = np.array(design.day_weights) / sum(design.day_weights)
    for group, size in zip(design.groups, sizes):
        for _ in range(int(size)):
            male = bool(rng.random() < design.share_male) or group.name == "security"
            surname, dropped = SURNAMES[int(rng.integers(len(SURNAMES)))]
            people.append(
                Person(
                    key="",
                    group=group.name,
                    male=male,
                    age=int(rng.integers(design.age_range[0], design.age_range[1] + 1)),
                    given=str(rng.choice(MALE_GIVEN if male else FEMALE_GIVEN)),
                    surname=surname,
                    surname_dropped=dropped,
                    father=str(rng.choice(MALE_GIVEN)),
                    day=design.start + timedelta(days=int(rng.choice(len(days), p=days))),
                    place=_choice(rng, group.places),
                    tortured=bool(rng.random() < group.torture),
                )
            )
    order = rng.permutation(len(people))
    people = [people[i] for i in order]
    for i, p in enumerate(people, start=1):
        p.key = f"{design.event}-{tag}{i:05d}"
    if design.died_in_custody:
        for i in rng.choice(len(people), size=design.died_in_custody, replace=False):
            people[int(i)].died_in_custody = True
    return people


# ---------------------------------------------------------------- rendering
_VOWELS = set("аәеёиіоөуұүыэюя")


def surname_forms(p: Person) -> tuple[str, str]:
    """(the person's documented surname, a variant another clerk might write).

    The variant is the form without the Russian ending where the family uses
    one, or else the older Russian spelling with Дж for Ж; otherwise the same.
    """
    full = p.surname
    if not p.male and full.endswith(("ов", "ев", "ин")):
        full += "а"
    if p.surname_dropped:
        return full, p.surname_dropped
    if full.startswith("Ж"):
        return full, "Дж" + full[1:]
    return full, full


def patronymic(p: Person, style: str) -> str:
    father = p.father
    if style == "kazakh":
        return father + ("ұлы" if p.male else "қызы")
    base = father.translate(str.maketrans("әғқңөұүһі", "агкноуухи"))
    if base[-1] in "йь":
        stem, m, f = base[:-1], "евич", "евна"
    elif base[-1] in "аяоуыеиэю":
        stem, m, f = base, "евич", "евна"
    else:
        stem, m, f = base, "ович", "овна"
    return stem + (m if p.male else f)


def render_name(p: Person, src: SourceDesign, rng: np.random.Generator) -> str:
    system = _choice(rng, src.systems)
    full, variant = surname_forms(p)
    surname = variant if rng.random() < src.surname_variant else full
    if src.order == "S_initials":
        pat = patronymic(p, "russian")
        text = f"{surname} {p.given[0]}.{pat[0]}."
    elif src.order == "SGP":
        text = f"{surname} {p.given} {patronymic(p, 'russian' if system == 'russian' else 'kazakh')}"
    elif src.order == "SG":
        text = f"{surname} {p.given}"
    else:
        text = f"{p.given} {surname}"
    return romanise(text, system)


def render_place(place_key: str, style: str, rng: np.random.Generator) -> str:
    place = PLACES[place_key]
    if style == "kazakh":
        return place.kazakh
    if style == "russian":
        return place.russian
    variants = place.latin
    if len(variants) > 1 and rng.random() < 0.25:
        return variants[1 + int(rng.integers(len(variants) - 1))]
    return variants[0]


FACILITIES = {
    "almaty": ["ИВС ДП г. Алматы", "СИЗО-1 г. Алматы", "ИВС Медеуского РУВД"],
    "taldykorgan": ["ИВС г. Талдыкорган"],
    "kyzylorda": ["ИВС г. Кызылорда"],
    "shymkent": ["ИВС г. Шымкент", "СИЗО г. Шымкент"],
    "taraz": ["ИВС г. Тараз"],
    "aktobe": ["ИВС г. Актобе"],
    "zhanaozen": ["ИВС г. Жанаозен", "СИЗО г. Актау"],
    "shetpe": ["ИВС пос. Шетпе"],
    "aktau": ["СИЗО г. Актау"],
}


def render_record(
    p: Person, src: SourceDesign, design: PopulationDesign, rng: np.random.Generator
) -> dict[str, Any]:
    """One record of person p as source src writes it (canonical keys)."""
    rec: dict[str, Any] = {"full_name": render_name(p, src, rng)}
    if src.sex_words is not None:
        rec["sex"] = src.sex_words[0] if p.male else src.sex_words[1]
    age = p.age + (int(rng.choice([-1, 1])) if rng.random() < src.age_error else 0)
    rec["age"] = str(age)
    day = p.day + (
        timedelta(days=int(rng.choice([-1, 1]))) if rng.random() < src.date_error else timedelta(0)
    )
    date_key = "date_of_death" if design.kind == "casualty" else "date_detained"
    rec[date_key] = day if src.xlsx else day.strftime(src.date_format)
    place = render_place(p.place, src.place_style, rng)
    if design.kind == "casualty":
        rec["place"] = place
        rec["region"] = PLACES[p.place].region_ru
        if src.group_words is not None:
            group = "security" if p.group == design.security_group else "civilian"
            rec["victim_group"] = src.group_words.get(group, "")
    else:
        rec["place_detained"] = place
        rec["facility"] = str(rng.choice(FACILITIES[p.place]))
        if p.tortured and rng.random() < src.torture_recorded:
            rec["torture_alleged"] = src.bool_words[0]
        elif src.torture_no_word:
            rec["torture_alleged"] = src.bool_words[1]
        if p.died_in_custody and src.torture_no_word:
            rec["died_in_custody"] = src.bool_words[0]
    for column, rate in src.missing.items():
        if column in rec and rng.random() < rate:
            rec[column] = ""
    return rec


def capture_probability(group: Group, person: Person, source_id: str) -> float:
    if person.tortured and source_id in group.capture_if_tortured:
        return group.capture_if_tortured[source_id]
    return group.capture.get(source_id, 0.0)


@dataclass
class SimulatedSource:
    design: SourceDesign
    frame: pd.DataFrame  # as written to the file (file headers)
    truth: pd.DataFrame  # record_id -> person key


def simulate_population(
    design: PopulationDesign, rng: np.random.Generator
) -> tuple[list[Person], list[SimulatedSource]]:
    people = draw_people(design, rng)
    groups = {g.name: g for g in design.groups}
    out = []
    for src in design.sources:
        records: list[tuple[Person, dict]] = []
        for p in people:
            if rng.random() < capture_probability(groups[p.group], p, src.id):
                records.append((p, render_record(p, src, design, rng)))
        n_dup = int(rng.binomial(len(records), src.duplicates)) if records else 0
        for i in rng.choice(len(records), size=n_dup, replace=False) if n_dup else []:
            p = records[int(i)][0]
            records.append((p, render_record(p, src, design, rng)))
        order = rng.permutation(len(records))
        records = [records[i] for i in order]
        ids = [_record_id(src, i) for i in range(1, len(records) + 1)]
        canonical = list(src.headers)
        rows = []
        for rid, (_, rec) in zip(ids, records):
            row = {"record_id": rid} | rec
            rows.append({src.headers[c]: row.get(c, "") for c in canonical})
        frame = pd.DataFrame(rows, columns=[src.headers[c] for c in canonical])
        truth = pd.DataFrame(
            {
                "event": design.event,
                "kind": design.kind,
                "source": src.id,
                "record_id": ids,
                "person": [p.key for p, _ in records],
            }
        )
        out.append(SimulatedSource(src, frame, truth))
    return people, out


def _record_id(src: SourceDesign, i: int) -> str:
    return f"{src.id_prefix}{i:0{src.id_width}d}" if src.id_width else f"{src.id_prefix}{i}"


# ----------------------------------------------------------------- writing
def write_demo(out_dir: str | Path, seed: int | None = None) -> list[Path]:
    """Generate every demo list, the truth file and the README into ``out_dir``."""
    seed = DEFAULT_SEED if seed is None else int(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    children = np.random.SeedSequence(seed).spawn(len(designs()))
    written: list[Path] = []
    truths, summary = [], []
    for design, child in zip(designs(), children):
        rng = np.random.default_rng(child)
        people, sources = simulate_population(design, rng)
        for sim in sources:
            path = out / sim.design.filename
            if sim.design.xlsx:
                _write_xlsx(sim.frame, path)
            else:
                tabular.write_csv(sim.frame, path, index=False, lineterminator="\n")
            written.append(path)
            truths.append(sim.truth)
        summary.append(_summary(design, people, sources))
    truth = pd.concat(truths, ignore_index=True)
    truth_path = out / "truth.csv"
    tabular.write_csv(truth, truth_path, index=False, lineterminator="\n")
    written.append(truth_path)
    summary_path = out / "truth.json"
    summary_path.write_text(
        json.dumps({"seed": seed, "populations": summary}, indent=2, ensure_ascii=False) + "\n"
    )
    written.append(summary_path)
    readme = out / "README.md"
    readme.write_text(_readme(seed, summary), encoding="utf-8")
    written.append(readme)
    # The manifest marks every file written here as synthetic, wherever a config points at it.
    manifest = out / MANIFEST
    manifest.write_text(format_manifest(written), encoding="utf-8")
    written.append(manifest)
    return written


def _summary(design: PopulationDesign, people: list[Person], sources: list[SimulatedSource]) -> dict:
    by_group = {g.name: sum(p.group == g.name for p in people) for g in design.groups}
    entry = {
        "event": design.event,
        "kind": design.kind,
        "population": "deaths" if design.kind == "casualty" else "detentions",
        "true_total": len(people),
        "true_by_group": by_group,
        "documented": int(pd.concat([s.truth for s in sources])["person"].nunique()),
        "records_per_source": {s.design.id: len(s.frame) for s in sources},
        "people_per_source": {s.design.id: int(s.truth["person"].nunique()) for s in sources},
    }
    if design.kind == "detention":
        entry["true_tortured"] = sum(p.tortured for p in people)
        entry["true_died_in_custody"] = sum(p.died_in_custody for p in people)
    return entry


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """An XLSX file whose bytes depend only on its contents (fixed zip and doc dates)."""
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "list"
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([None if (isinstance(v, str) and v == "") else v for v in row])
    for cell in sheet[1]:
        cell.font = openpyxl.styles.Font(bold=True)
    fixed = dt.datetime(2022, 1, 1)
    book.properties.created = fixed
    book.properties.modified = fixed
    book.properties.creator = "undercount simulate"
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _pin_modified(data)
            fixed_info = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed_info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed_info, data)


def _pin_modified(core_xml: bytes) -> bytes:
    import re

    return re.sub(
        rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>2022-01-01T00:00:00Z\g<2>", core_xml
    )


def _readme(seed: int, summary: list[dict]) -> str:
    lines = [
        "# Demo data: SYNTHETIC lists, not real people",
        "",
        "Every file in this folder was generated by",
        "",
        "```",
        f"undercount simulate --out data/demo --seed {seed}",
        "```",
        "",
        "from the model documented in `src/undercount/simulate.py`. No record describes a real",
        "person; names are random combinations of common Kazakh and Russian names. Source sizes",
        "echo the public ones for January 2022 (official list 238, Radio Azattyq 188,",
        "Ar.Rukh.Khak 221), but every figure built from these files is synthetic and is",
        "labelled so. `tests/test_simulate.py` checks that the command reproduces these files.",
        "",
        "## The truth (known here only because the data are simulated)",
        "",
        "| event | population | true total | documented (on any list) | people per source |",
        "|---|---|---|---|---|",
    ]
    for s in summary:
        per = ", ".join(f"{k} {v}" for k, v in s["people_per_source"].items())
        lines.append(f"| {s['event']} | {s['population']} | {s['true_total']} | {s['documented']} | {per} |")
    lines += [""]
    for s in summary:
        if "true_tortured" in s:
            lines.append(
                f"- {s['event']}: {s['true_tortured']} of the {s['true_total']} detainees were tortured; "
                f"{s['true_died_in_custody']} died in custody."
            )
    lines += [
        "",
        "Latent groups and their sizes are in `truth.json`; `truth.csv` gives the true person",
        "behind every record (`event, kind, source, record_id, person`), which is how linkage",
        "accuracy is measured. The truth files hold no names.",
        "",
        "## How the lists differ (what linkage must undo)",
        "",
        "| file | script / romanisation | name order | notes |",
        "|---|---|---|---|",
    ]
    for design in designs():
        for src in design.sources:
            systems = ", ".join(f"{k} {v:.0%}" for k, v in src.systems.items())
            order = {
                "S_initials": "surname + initials",
                "SGP": "surname given patronymic",
                "SG": "surname given",
                "GS": "given surname",
            }[src.order]
            notes = []
            if src.surname_variant:
                notes.append(f"{src.surname_variant:.0%} surname variants (dropped ending, Дж)")
            if src.date_error:
                notes.append(f"{src.date_error:.0%} dates off by a day")
            if src.duplicates:
                notes.append(f"{src.duplicates:.1%} entered twice")
            if src.xlsx:
                notes.append("XLSX")
            lines.append(f"| `{src.filename}` | {systems} | {order} | {'; '.join(notes)} |")
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------- linked person tables with gaps
#: Age bands of :func:`simulate_person_table` (edges in years; the last band is open to 120).
PERSON_BANDS = (0, 18, 35, 60, 121)


def simulate_person_table(
    rng: np.random.Generator,
    n: int = 3000,
    *,
    lists: tuple[str, ...] = ("A", "B", "C"),
    base: tuple[float, ...] = (0.30, 0.25, 0.35),
    sex_factor: float = 0.5,
    band_factors: tuple[float, ...] = (0.5, 1.0, 1.3, 0.7),
    share_male: float = 0.6,
    sex_missing: tuple[float, float] = (0.20, 0.03),
    age_missing_other: float = 0.03,
    gaps: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A linked person table whose catchability differs by sex and age band, with gaps in both.

    ``n`` people (a share ``share_male`` men; ages uniform over 0-89) are each on
    list ``j`` with probability ``base[j] x (sex_factor for women) x band_factors[band]``
    (independently given sex and band: strata are heterogeneous, lists within a
    stratum independent). The lists' people form the table. Gaps depend on list
    membership: the last list records no ages (a person only on it has no age),
    other ages are blank with probability ``age_missing_other``; sex is blank with
    probability ``sex_missing[0]`` on the first list, else ``sex_missing[1]``.

    Returns ``(table, truth)``: the table (person_id, lists, sex, age), and the true
    number of people per (sex, band) with their observed counts. ``gaps=False``
    gives the same table from the same generator state with no field blanked (the
    random numbers are drawn all the same): what the analyst would have without gaps.
    """
    sex = np.where(rng.random(n) < share_male, "M", "F")
    age = rng.integers(0, 90, n)
    band = np.digitize(age, PERSON_BANDS[1:-1])
    factor = np.where(sex == "F", sex_factor, 1.0) * np.asarray(band_factors)[band]
    caps = np.column_stack([rng.random(n) < np.clip(b * factor, 0, 0.95) for b in base]).astype(np.int8)
    seen = caps.any(axis=1)
    table = pd.DataFrame({"person_id": [f"p{i + 1:07d}" for i in range(int(seen.sum()))]})
    for j, name in enumerate(lists):
        table[name] = caps[seen, j]
    table["sex"] = sex[seen].astype(object)
    table["age"] = pd.array(age[seen], dtype="Int64")
    on_first = table[lists[0]].to_numpy() == 1
    only_last = (table[lists[-1]].to_numpy() == 1) & (caps[seen, :-1].sum(axis=1) == 0)
    blank_age = only_last | (rng.random(len(table)) < age_missing_other)
    blank_sex = rng.random(len(table)) < np.where(on_first, sex_missing[0], sex_missing[1])
    if gaps:
        table.loc[blank_age, "age"] = pd.NA
        table.loc[blank_sex, "sex"] = None
    for name in ("date_of_death", "place", "region", "victim_group"):
        table[name] = None
    truth = (
        pd.DataFrame({"sex": sex, "band": band, "seen": seen})
        .groupby(["sex", "band"])
        .agg(n=("seen", "size"), observed=("seen", "sum"))
        .reset_index()
    )
    return table, truth
