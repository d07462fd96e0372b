"""A second generator of synthetic victim lists, written apart from ``undercount simulate``.

``undercount.simulate`` (the demo generator) and the matcher were written by the
same hands and share their view of how lists differ. This generator does not use
``undercount.names`` (no romanisation or folding from the package): it has its own
name pools, its own transliteration tables and its own idea of clerks' habits, so
that an accuracy measured on it is not the matcher grading its own homework. The
variant processes, each with a rate per list (see ``LISTS``):

* typing and OCR-like errors: a letter dropped, doubled, swapped with its
  neighbour, or replaced by one that looks alike (е/ё, и/й, ш/щ, rn/m, l/I, 0/O);
* transliteration chosen record by record within one list (passport, English
  press, "scientific" with diacritics, Russian Cyrillic), not once per list;
* patronymics missing, or written in the wrong place (before the given name);
* surname and given name swapped;
* diminutives and nicknames instead of the given name (some the matcher's table
  knows, some it does not);
* ages in years (sometimes rounded to 5, sometimes a year off) versus dates of
  birth (``date_of_birth``);
* places at different levels: the city, its district, or the region.

People: a population of ``n`` persons (sex, given name, surname root with or
without the -ов/-ева ending per family, father's name, birth date, event date,
place), each listed by each of four lists with a list-specific probability; a few
records are entered twice. Usage from Python: ``make_lists(n, seed)`` returns the
canonical records (with ``source``) and the true person of each.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

MALE = (
    "Нұрлан Ерлан Бақыт Әсет Дидар Ерасыл Ернар Алихан Мирас Нұрсұлтан Бекжан Жарас Ілияс Асылан Ғалымжан "
    "Қуандық Мұхамеджан Нұрым Рауан Сәкен Талғат Тұрар Ұланбек Шәкен Ерік Жанболат Бауыржан Қайрат Марлен "
    "Әлихан Дәулет Жасұлан Мақсат Нұржігіт Сұлтанбек Темірхан Ербол Ақан Мұрат Серік Александр Сергей "
    "Дмитрий Николай Владимир Алексей Евгений Михаил Иван Юрий"
).split()
FEMALE = (
    (
        "Айгерім Ақерке Дана Жанель Камила Мадина Назерке Сымбат Томирис Әйгүл Балжан Гүлжан Жұлдызай Қарақат "
        "Ләззат Мәрзия Нәзira Сәуле Ұлпан Шолпан Елена Ольга Наталья Ирина Светлана Татьяна"
    )
    .replace("Нәзira", "Нәзира")
    .split()
)
ROOTS = (
    "Абдулла Айтбай Ақмол Алдаберген Амантай Арыстан Асанәлі Әбілда Байбосын Балтабай Бекет Болатбек "
    "Дарабай Дәуітбай Ергали Есенжол Жақып Жаманбай Жексен Жұмағұл Ибраев Исмағұл Кәрім Қабылбек Қайыр "
    "Қалиақпар Қамбар Қасымбек Қожабай Құдайберген Мақсұт Мамырбек Мұқан Нұрахмет Оспанбек Өмірзақ "
    "Рахымжан Сағынбай Сапарбек Сейілхан Сұлтанғазы Тайжан Тілеген Төлебай Ұзақбай Үмбетбай Шалқар "
    "Шәкәрім Ыдырыс Есімхан Бөрібай Дүйсенбек Жолдыбай Кенесары Мырзабек Нұрпейіс Сералы Тоқтарбек"
).split()
RUSSIAN = ("Ковальчук", "Морозов", "Лебедев", "Соколов", "Новиков", "Фёдоров")
#: nickname -> given name; the first half the matcher's table happens to know, the second not
NICKNAMES = {
    "Ербол": "Ерболат",
    "Саша": "Александр",
    "Серёжа": "Сергей",
    "Коля": "Николай",
    "Володя": "Владимир",
    "Лёша": "Алексей",
    "Нурик": "Нұрлан",
    "Ерик": "Ерлан",
    "Бака": "Бақыт",
    "Дика": "Дидар",
    "Миша": "Михаил",
    "Ваня": "Иван",
    "Айгера": "Айгерім",
    "Мади": "Мадина",
}
PLACES = {
    # city: (district names, region name)
    "Алматы": (
        ("Медеуский район", "Бостандыкский район", "Ауэзовский район", "Алмалинский район"),
        "г. Алматы",
    ),
    "Шымкент": (("Абайский район", "Енбекшинский район"), "г. Шымкент"),
    "Тараз": (("Байзакский район",), "Жамбылская область"),
    "Кызылорда": (("Кармакшинский район", "Сырдарьинский район"), "Кызылординская область"),
    "Жанаозен": (("Каракиянский район",), "Мангистауская область"),
}
PLACE_LATIN = {
    "Алматы": "Almaty",
    "Шымкент": "Shymkent",
    "Тараз": "Taraz",
    "Кызылорда": "Kyzylorda",
    "Жанаозен": "Zhanaozen",
}

# ------------------------------------------------------------ transliteration (own tables)
_KK_RU = str.maketrans("әғқңөұүһі", "агкноуухи")
_PASSPORT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "iu",
            "ia",
            "a",
            "g",
            "k",
            "n",
            "o",
            "u",
            "u",
            "kh",
            "i",
        ],
    )
)
_PRESS = _PASSPORT | {"й": "y", "ю": "yu", "я": "ya", "х": "kh", "е": "e", "ё": "yo", "ы": "y"}
_SCIENTIFIC = _PASSPORT | {
    "ә": "ä",
    "ғ": "ğ",
    "қ": "q",
    "ң": "ñ",
    "ө": "ö",
    "ұ": "ū",
    "ү": "ü",
    "ш": "ş",
    "ж": "j",
    "х": "h",
    "һ": "h",
    "і": "ı",
    "ч": "ç",
}
LOOKALIKE = {
    "е": "ё",
    "ё": "е",
    "и": "й",
    "й": "и",
    "ш": "щ",
    "щ": "ш",
    "о": "0",
    "l": "I",
    "m": "rn",
    "O": "0",
    "n": "h",
    "c": "e",
    "у": "ү",
    "к": "қ",
}


def translit(text: str, table: dict[str, str]) -> str:
    out = []
    for word in text.split(" "):
        w = "".join(table.get(ch, ch) for ch in word.lower())
        out.append(w[:1].upper() + w[1:])
    return " ".join(out)


def write_as(text: str, system: str) -> str:
    if system == "kazakh":
        return text
    if system == "russian":
        return text.translate(_KK_RU)
    table = {"passport": _PASSPORT, "press": _PRESS, "scientific": _SCIENTIFIC}[system]
    text = translit(text, table)
    return text.upper() if system == "passport" else text


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    k = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap", "lookalike"))
    if kind == "drop":
        return word[:k] + word[k + 1 :]
    if kind == "double":
        return word[:k] + word[k] + word[k:]
    if kind == "swap":
        return word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    ch = word[k]
    return word[:k] + LOOKALIKE.get(ch, LOOKALIKE.get(ch.lower(), ch)) + word[k + 1 :]


@dataclass(frozen=True)
class ListStyle:
    id: str
    capture: float
    systems: tuple[tuple[str, float], ...]
    order: str  # "SGP", "GS", "SG"
    typo: float = 0.0
    swap: float = 0.0
    nickname: float = 0.0
    patronymic_missing: float = 0.0
    patronymic_misplaced: float = 0.0
    birth_date: float = 0.0  # gives date_of_birth instead of age
    age_rounded: float = 0.0
    age_off: float = 0.0
    place_levels: tuple[tuple[str, float], ...] = (("city", 1.0),)
    place_latin: bool = False
    date_off: float = 0.0
    missing_age: float = 0.0
    missing_date: float = 0.0
    duplicates: float = 0.01


LISTS = (
    ListStyle(
        "registry",
        0.6,
        (("russian", 0.9), ("kazakh", 0.1)),
        "SGP",
        typo=0.03,
        patronymic_missing=0.1,
        birth_date=1.0,
        place_levels=(("city", 0.6), ("district", 0.4)),
    ),
    ListStyle(
        "families",
        0.45,
        (("kazakh", 0.7), ("russian", 0.3)),
        "GS",
        typo=0.06,
        swap=0.1,
        nickname=0.15,
        age_rounded=0.2,
        age_off=0.1,
        missing_age=0.2,
        place_levels=(("city", 0.5), ("district", 0.5)),
        date_off=0.08,
    ),
    ListStyle(
        "monitors",
        0.4,
        (("passport", 0.4), ("press", 0.4), ("scientific", 0.2)),
        "SG",
        typo=0.05,
        swap=0.05,
        patronymic_misplaced=0.0,
        birth_date=0.3,
        age_off=0.1,
        missing_age=0.3,
        place_levels=(("city", 0.5), ("region", 0.5)),
        place_latin=True,
        date_off=0.05,
        missing_date=0.1,
    ),
    ListStyle(
        "press",
        0.3,
        (("press", 0.7), ("passport", 0.3)),
        "GS",
        typo=0.04,
        nickname=0.1,
        missing_age=0.5,
        place_levels=(("city", 0.7), ("region", 0.3)),
        place_latin=True,
        date_off=0.1,
        missing_date=0.2,
    ),
)


def _weighted(rng: random.Random, options):
    r, acc = rng.random(), 0.0
    for value, p in options:
        acc += p
        if r < acc:
            return value
    return options[-1][0]


def _surname(root: str, male: bool, family_keeps_ending: bool) -> str:
    if root in RUSSIAN:
        return root if male else root + "а"
    if not family_keeps_ending:
        return root
    base = root[:-1] + "ев" if root.endswith("й") else root + ("ев" if root[-1] in "аеиоуыәөұүі" else "ов")
    return base if male else base + "а"


def _patronymic(father: str, male: bool, kazakh: bool) -> str:
    if kazakh:
        return father + ("ұлы" if male else "қызы")
    f = father.translate(_KK_RU)
    if f.endswith("й"):
        return f[:-1] + ("евич" if male else "евна")
    return f + ("ович" if male else "овна")


def make_lists(n: int, seed: int = 7, start: date = date(2022, 1, 4), days: int = 30):
    """Canonical records of four lists (with ``source``) and the true person of each record."""
    rng = random.Random(seed)
    people = []
    for k in range(n):
        male = rng.random() < 0.85
        root = rng.choice(ROOTS) if rng.random() < 0.95 else rng.choice(RUSSIAN)
        city = rng.choice(list(PLACES))
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        people.append(
            {
                "key": f"I{k:07d}",
                "male": male,
                "given": rng.choice(MALE if male else FEMALE),
                "surname": _surname(root, male, rng.random() < 0.7),
                "father": rng.choice(MALE[:40]),
                "born": born,
                "day": start + timedelta(days=min(int(rng.expovariate(1 / 4)), days - 1)),
                "city": city,
            }
        )
    rows = []
    for style in LISTS:
        listed = [p for p in people if rng.random() < style.capture]
        listed += [p for p in listed if rng.random() < style.duplicates]
        rng.shuffle(listed)
        for k, p in enumerate(listed, start=1):
            rows.append(_record(p, style, k, rng))
    frame = pd.DataFrame(rows)
    truth = frame.pop("person").tolist()
    frame["age"] = pd.array(frame["age"], dtype="Int64")
    return frame, truth


def _record(p: dict, style: ListStyle, k: int, rng: random.Random) -> dict:
    system = _weighted(rng, style.systems)
    given = p["given"]
    if rng.random() < style.nickname:
        options = [nick for nick, full in NICKNAMES.items() if full == given]
        given = rng.choice(options) if options else given
    kazakh = system == "kazakh" or rng.random() < 0.3
    patronymic = _patronymic(p["father"], p["male"], kazakh)
    surname = p["surname"]
    if style.order == "SGP":
        words = [surname, given, patronymic]
        if rng.random() < style.patronymic_missing:
            words = words[:2]
        elif rng.random() < style.patronymic_misplaced:
            words = [surname, patronymic, given]
    elif style.order == "GS":
        words = [given, surname]
    else:
        words = [surname, given]
    if rng.random() < style.swap:
        words[0], words[1] = words[1], words[0]
    words = [typo(w, rng) if rng.random() < style.typo else w for w in words]
    name = write_as(" ".join(words), system)
    day = p["day"] + timedelta(days=rng.choice((-1, 1)) if rng.random() < style.date_off else 0)
    age_years = day.year - p["born"].year - ((day.month, day.day) < (p["born"].month, p["born"].day))
    age, birth = None, None
    if rng.random() < style.birth_date:
        birth = p["born"].isoformat()
    elif rng.random() >= style.missing_age:
        age = age_years + (rng.choice((-1, 1)) if rng.random() < style.age_off else 0)
        if rng.random() < style.age_rounded:
            age = 5 * round(age / 5)
    level = _weighted(rng, style.place_levels)
    districts, region = PLACES[p["city"]]
    if level == "city":
        place = PLACE_LATIN[p["city"]] if style.place_latin else p["city"]
    elif level == "district":
        place = rng.choice(districts)
    else:
        place = region
    return {
        "source": style.id,
        "record_id": f"{style.id[:3].upper()}-{k:07d}",
        "full_name": name,
        "sex": ("M" if p["male"] else "F") if rng.random() < 0.8 else None,
        "age": age,
        "date_of_birth": birth,
        "date_of_death": None if rng.random() < style.missing_date else day.isoformat(),
        "place": place,
        "person": p["key"],
    }
