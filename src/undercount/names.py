"""Kazakh and Russian personal names across scripts: writing them and folding them.

Two directions:

* :func:`romanise` writes a name given in Kazakh Cyrillic in one of the systems
  seen in real lists (Russian Cyrillic, passport/ICAO, BGN/PCGN, the Kazakh Latin
  alphabets of 2017, 2018 and 2021, German-style and English press spellings).
  The demo generator uses it to write the same person differently per source.
* :func:`fold` maps any of those spellings to one comparable skeleton, so that
  "Ерлан Жагипаров", "Yerlan Zhagiparov", "Jerlan Schagiparow" and
  "Jerlan Shagiparov" compare equal. The folding deliberately merges letters
  that some system cannot tell apart (German writes both Ж and Ш as "sch";
  Kazakh letters lose their marks in passports), trading a little precision
  for recall; the matcher decides with the other fields.

The tables follow ``../shared/sources/kazakh-names.md``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# ----------------------------------------------------------------- romanise
#: Kazakh-specific letters as Russian-language lists write them.
KAZAKH_TO_RUSSIAN = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")

_ICAO = {
    "а": "a",
    "ә": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ғ": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "қ": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "ң": "n",
    "о": "o",
    "ө": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ұ": "u",
    "ү": "u",
    "ф": "f",
    "х": "kh",
    "һ": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "ie",
    "ы": "y",
    "і": "i",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
}
_BGN = dict(_ICAO) | {
    "ә": "ä",
    "ғ": "gh",
    "ё": "ë",
    "й": "y",
    "қ": "q",
    "ң": "ng",
    "ө": "ö",
    "ү": "ü",
    "һ": "h",
    "ъ": "",
    "ю": "yu",
    "я": "ya",
}
_KZ2021 = dict(_ICAO) | {
    "ә": "ä",
    "ғ": "ğ",
    "ё": "io",
    "ж": "j",
    "қ": "q",
    "ң": "ñ",
    "ө": "ö",
    "ұ": "ū",
    "ү": "ü",
    "х": "h",
    "һ": "h",
    "ш": "ş",
    "щ": "şş",
    "ъ": "",
}
_KZ2018 = dict(_ICAO) | {
    "ә": "á",
    "ғ": "ǵ",
    "ё": "io",
    "ж": "j",
    "қ": "q",
    "ң": "ń",
    "ө": "ó",
    "ұ": "u",
    "ү": "ú",
    "у": "ý",
    "х": "h",
    "һ": "h",
    "щ": "sh",
    "ъ": "",
}
_KZ2017 = dict(_ICAO) | {
    "ә": "a'",
    "ғ": "g'",
    "ё": "io",
    "ж": "j",
    "и": "i'",
    "й": "i'",
    "қ": "q",
    "ң": "n'",
    "ө": "o'",
    "ұ": "u",
    "ү": "u'",
    "у": "y'",
    "х": "h",
    "һ": "h",
    "ч": "c'",
    "ш": "s'",
    "щ": "s'",
    "ъ": "",
    "ю": "i'u",
    "я": "i'a",
}
# English-language press, from the Russian form: Yerlan Zhagiparov.
_ENGLISH = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}
# German press, from the Russian form: Jerlan Schagiparow.
_GERMAN = {
    "а": "a",
    "б": "b",
    "в": "w",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "jo",
    "ж": "sch",
    "з": "s",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "ch",
    "ц": "z",
    "ч": "tsch",
    "ш": "sch",
    "щ": "schtsch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "ju",
    "я": "ja",
}

SYSTEMS = ("kazakh", "russian", "icao", "bgn", "kz2017", "kz2018", "kz2021", "english", "german")
_VOWELS_CYR = set("аәеёиіоөуұүыэюя")


def romanise(text: str, system: str) -> str:
    """Write a Kazakh-Cyrillic name in another system, keeping capitalisation per word.

    ``system`` is one of :data:`SYSTEMS`; ``"kazakh"`` returns the text as is,
    ``"russian"`` replaces the Kazakh-only letters, ``"icao"`` gives upper case
    as in passports.
    """
    if system not in SYSTEMS:
        raise ValueError(f"unknown system {system!r}; known: {SYSTEMS}")
    if system == "kazakh":
        return text
    if system == "russian":
        return text.translate(KAZAKH_TO_RUSSIAN)
    if system in ("english", "german"):
        text = text.translate(KAZAKH_TO_RUSSIAN)
    table = {
        "icao": _ICAO,
        "bgn": _BGN,
        "kz2017": _KZ2017,
        "kz2018": _KZ2018,
        "kz2021": _KZ2021,
        "english": _ENGLISH,
        "german": _GERMAN,
    }[system]
    out_words = []
    for word in re.split(r"(\s+|-)", text):
        out_words.append(_romanise_word(word, table, system))
    out = "".join(out_words)
    return out.upper() if system == "icao" else out


def _romanise_word(word: str, table: dict[str, str], system: str) -> str:
    out = []
    lower = word.lower()
    for i, ch in enumerate(lower):
        if ch not in table:
            out.append(ch)
            continue
        piece = table[ch]
        iotated = i == 0 or lower[i - 1] in _VOWELS_CYR or lower[i - 1] in "ьъ"
        if ch == "е" and iotated:
            piece = {"bgn": "ye", "english": "ye", "german": "je"}.get(system, piece)
        if system == "german" and ch == "с" and 0 < i < len(lower) - 1:
            if lower[i - 1] in _VOWELS_CYR and lower[i + 1] in _VOWELS_CYR:
                piece = "ss"
        if system == "german" and ch == "й" and i + 1 < len(lower) and lower[i + 1] in _VOWELS_CYR:
            piece = "j"
        out.append(piece)
    result = "".join(out)
    if word[:1].isupper() and result:
        result = result[0].upper() + result[1:]
    return result


# -------------------------------------------------------------------- fold
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
# Cyrillic into one Latin form first (from the Russian letters); е is plain e.
_CYR_TO_LATIN = dict(_ENGLISH) | {"е": "e", "й": "i"}
_LATIN_SPECIAL = {
    "ş": "sh",
    "ç": "ch",
    "ğ": "g",
    "ǵ": "g",
    "ñ": "n",
    "ŋ": "n",
    "ń": "n",
    "ı": "i",
    "ý": "u",
    "ž": "zh",
    "š": "sh",
    "č": "ch",
    "ķ": "k",
    "ņ": "n",
    "ë": "e",
    "ß": "ss",
}
_APOSTROPHE_2017 = {
    "a'": "a",
    "g'": "g",
    "n'": "n",
    "o'": "o",
    "u'": "u",
    "i'": "i",
    "y'": "u",
    "s'": "sh",
    "c'": "ch",
}
_APOSTROPHES = "'’ʼ`´ʻ"


#: Letters and clusters that only German-style spellings use (Schagiparow, Tschingis).
_GERMAN_MARK = re.compile(r"sch|w|tsch|ss(?=[aeiouy])")
#: Letters that only the Kazakh Latin alphabets (2017, 2018, 2021) use.
_KAZLATIN_MARK = re.compile(r"[qğǵñńŋáóúýäöüūşı']")
J_MODES = ("auto", "german", "kazakh_latin")


def script_hint(text: str) -> str:
    """Which reading of the letter J a Latin-script name calls for.

    German-style spellings write J for Й and for the iotated vowels (Jerlan,
    Ilijas, Juri); the Kazakh Latin alphabets write J for Ж (Janar, Jeñis).
    A name whose words show German marks (sch, w, tsch, ss between vowels)
    returns ``"german"``; one with letters that only Kazakh Latin has
    (q, ğ, ñ, ä, ş, apostrophes, acutes...) returns ``"kazakh_latin"``;
    anything else (Cyrillic, or Latin with no telling letter) ``"auto"``.
    """
    s = unicodedata.normalize("NFC", text).lower()
    for a in _APOSTROPHES[1:]:
        s = s.replace(a, "'")
    if _CYRILLIC.search(s):
        return "auto"
    german = bool(_GERMAN_MARK.search(s))
    kazlatin = bool(_KAZLATIN_MARK.search(s))
    if german and not kazlatin:
        return "german"
    if kazlatin and not german:
        return "kazakh_latin"
    return "auto"


@lru_cache(maxsize=1 << 16)
def fold(token: str, j: str = "auto") -> str:
    """One comparable skeleton for a name written in any of :data:`SYSTEMS`.

    ``j`` says how to read the letter J in Latin spellings: ``"german"`` (Й
    and the iotated vowels: Jerlan, Ilijas, Abajuly), ``"kazakh_latin"`` (Ж:
    Janar, Jeksenbaev) or ``"auto"``, which reads J as Ж except at the start
    before E (Jerlan) and between a vowel and E (Nurlybajew). :func:`script_hint`
    picks the mode from a whole name; :func:`fold_variants` gives every reading.

    Examples
    --------
    >>> {fold(x) for x in ["Ерлан", "Yerlan", "Jerlan", "ERLAN"]}
    {'erlan'}
    >>> {fold(x) for x in ["Жагипаров", "Zhagiparov", "Schagiparow", "Shagiparov", "Jagiparov"]}
    {'shagiparov'}
    >>> fold("Ilijas", j="german") == fold("Ілияс")
    True
    """
    if j not in J_MODES:
        raise ValueError(f"unknown J mode {j!r}; known: {J_MODES}")
    s = unicodedata.normalize("NFC", token).lower()
    for a in _APOSTROPHES[1:]:
        s = s.replace(a, "'")
    if _CYRILLIC.search(s):
        s = s.translate(KAZAKH_TO_RUSSIAN)
        # Russian writing leaves out the dots of ё more often than not (Фёдоров = Федоров),
        # and passports write it e (FEDOROV)
        s = s.replace("ё", "е")
        s = s.replace("дж", "ж")
        s = "".join(_CYR_TO_LATIN.get(ch, ch) for ch in s)
    for combo, plain in _APOSTROPHE_2017.items():
        s = s.replace(combo, plain)
    s = "".join(_LATIN_SPECIAL.get(ch, ch) for ch in s)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"[^a-z]", "", s)
    # German spellings: tsch is Ч; in German-style names a plain ch is Х (Achmet)
    s = s.replace("schtsch", "shch").replace("tsch", "\0").replace("sch", "sh").replace("w", "v")
    if j == "german":
        s = s.replace("ch", "h")
    s = s.replace("\0", "ch")
    s = s.replace("dzh", "zh").replace("dsh", "zh").replace("dj", "zh")
    if j == "german":
        s = s.replace("j", "y")
    elif j == "kazakh_latin":
        s = s.replace("j", "zh")
    else:
        # J: German iotation in Je at the start (Jerlan) and before e after a vowel
        # (Nurlybajew); elsewhere the Kazakh Latin letter for Zh (Janar, Jumabaev,
        # Jomart), far more common in Kazakh lists than German Ju/Jo (Juri).
        s = re.sub(r"^j(?=e)", "y", s)
        s = re.sub(r"(?<=[aeiouy])[jy](?=e)", "", s)
        s = s.replace("j", "zh")
    # ё after a consonant in English and German spellings (Fyodorov, Fjodorow, Artyom): e, as
    # Cyrillic and passport spellings mostly write it (Федоров, FEDOROV, Артем)
    s = re.sub(r"(?<=[bcdfghklmnprstvz])yo", "e", s)
    # Т+Ж and Т+Ш (Бақытжан) read as Ч in German style (Bakytschan): one form
    s = s.replace("tzh", "ch").replace("tsh", "ch")
    s = s.replace("kh", "h").replace("x", "h").replace("q", "k").replace("gh", "g").replace("ck", "k")
    s = s.replace("tz", "s").replace("ts", "s").replace("z", "s")
    s = s.replace("shch", "sh").replace("zh", "sh")
    # BGN writes Ң+Ғ as "nggh", Russian Cyrillic as "нг": one n either way
    s = s.replace("ngg", "ng").replace("ng", "n")
    s = s.replace("y", "i")
    s = re.sub(r"^ie", "e", s)
    # a glide between vowels comes and goes (Нұрлыбаев / Nurlybajew / Nurlybaiev)
    s = re.sub(r"(?<=[aeou])i(?=e)", "", s)
    s = re.sub(r"(.)\1+", r"\1", s).replace("shsh", "sh")
    return s


def fold_variants(token: str, hint: str = "auto") -> tuple[str, ...]:
    """Every skeleton a token can stand for, the most likely first.

    A Latin J is ambiguous when nothing in the name tells German from Kazakh
    Latin ("Jeksenbaev" is Жексенбаев in Kazakh Latin and Ексенбаев in German
    style), and so is "ch" (Ч in English and Kazakh Latin, Х in German); with ``hint="auto"`` all three readings are returned, without
    repeats. With a hint from :func:`script_hint`, only that reading.
    """
    lower = token.lower()
    if hint != "auto" or ("j" not in lower and "ch" not in lower):
        return (fold(token, hint),)
    out: list[str] = []
    for mode in J_MODES:
        f = fold(token, mode)
        if f not in out:
            out.append(f)
    return tuple(out)


# ----------------------------------------------------------- name structure
#: Patronymic endings as folded: Russian -ович/-евич/-овна/-евна (and -ич),
#: Kazakh -ұлы/-улы/-uly (son of) and -қызы/-кызы/-kyzy (daughter of).
_PATRONYMIC = re.compile(r"(ovich|evich|ich|ovna|evna|uli|kisi)$")
_RUSSIAN_PATRONYMIC = re.compile(r"(ovich|evich|ovna|evna)$")
# -ин/-ина only loses its feminine -а: Тұрсын and Тұрсынов share a root ending in -ын
_SURNAME_ENDING = re.compile(r"(ova|eva|ov|ev|uli|kisi)$")
_FEMALE_PATRONYMIC = re.compile(r"(ovna|evna|kisi)$")
_MALE_PATRONYMIC = re.compile(r"(ovich|evich|uli)$")


def surname_stem(folded: str) -> str:
    """A folded surname without gendered, dropped or patronymic-style endings.

    Жагипаров, Жагипарова, Жагипар and Жагипарұлы share the stem ``shagipar``;
    Жұмабаев and Жұмабай share ``shumaba``; Ильин and Ильина share ``ilin``,
    and Тұрсынов and Тұрсын ``tursin`` (-ин itself is kept: Kazakh roots end so).
    """
    if folded.endswith("ina") and len(folded) > 4:
        folded = folded[:-1]
    stem = _SURNAME_ENDING.sub("", folded)
    if len(stem) < 3:  # too short to strip: only the feminine -а goes
        return folded[:-1] if folded.endswith(("ova", "eva")) else folded
    # Жұмабаев / Жұмабай, Нұрғалиев / Нұрғали: the glide before -ев comes and goes
    return stem[:-1] if stem.endswith("i") and len(stem) > 3 else stem


def patronymic_stem(folded: str) -> str:
    """The father's name inside a folded patronymic, comparable across styles.

    Бауыржанович, Бауыржановна, Бауыржанұлы and Bauyrzhanqyzy all give
    ``bauirshan``; Абаевич and Абайұлы both give ``aba``.
    """
    stem = _PATRONYMIC.sub("", folded)
    if len(stem) < 2:
        return folded
    return stem[:-1] if stem.endswith("i") and len(stem) > 3 else stem


@dataclass(frozen=True)
class ParsedName:
    """A name split into folded full words, initials and a patronymic.

    ``words`` are folded full words in the order written (surname and given
    name cannot be told apart in general); ``variants`` gives, per word, every
    folded reading of an ambiguous Latin spelling (see :func:`fold_variants`),
    the first being ``words[i]``.
    """

    words: tuple[str, ...]
    initials: tuple[str, ...]
    patronymic: str | None
    variants: tuple[tuple[str, ...], ...] = ()

    @property
    def stems(self) -> frozenset[str]:
        return frozenset(surname_stem(w) for w in self.words)

    @property
    def stem_variants(self) -> tuple[frozenset[str], ...]:
        """Per word, the stems of all its readings."""
        variants = self.variants or tuple((w,) for w in self.words)
        return tuple(frozenset(surname_stem(v) for v in vs) for vs in variants)

    @property
    def patronymic_stem(self) -> str | None:
        return None if self.patronymic is None else patronymic_stem(self.patronymic)

    @property
    def is_initials_only(self) -> bool:
        """At most one full word, the rest initials ("Жагипаров Е.Б.")."""
        return len(self.words) <= 1 and bool(self.initials)

    @property
    def sex(self) -> str | None:
        """Sex implied by the name, when it says: a patronymic, or an -ова/-ева surname.

        -ина is not used: it also ends given names (Зарина, Мәдина).
        """
        if self.patronymic is not None:
            if _FEMALE_PATRONYMIC.search(self.patronymic):
                return "F"
            if _MALE_PATRONYMIC.search(self.patronymic):
                return "M"
        female = any(w.endswith(("ova", "eva", "kisi")) for w in self.words)
        male = any(w.endswith(("ov", "ev", "uli")) for w in self.words)
        if female != male:
            return "F" if female else "M"
        return None


def initial_of(folded: str) -> str:
    """The sound a folded word starts with, as an initial: ``sh`` (Ж, Ш), ``ch`` (Ч) or one letter.

    З and С both fold to ``s``, Ж and Ш to ``sh``: keeping ``sh`` whole stops
    "Сыдыков З.К." from fitting "Жандос Сыдықов".
    """
    return folded[:2] if folded[:2] in ("sh", "ch") else folded[:1]


@lru_cache(maxsize=1 << 16)
def parse_name(full_name: str) -> ParsedName:
    """Split a full name in any order into folded words, initials and patronymic.

    Initials are one-letter words (``Е.``, ``Е.Б.``). A word with a Russian
    patronymic ending (-ович, -овна...) is the patronymic in a name of at
    least three words; a Kazakh -ұлы/-қызы word too, but only when no Russian
    one is there and the name has three full words, since since 1992 the same
    endings also form surnames ("Ерлан Жагипарұлы" is given name + surname).
    """
    text = unicodedata.normalize("NFC", full_name)
    hint = script_hint(text)
    raw = [w for w in re.split(r"[\s,]+", text.replace(".", ". ")) if w.strip(". ")]
    words: list[tuple[str, ...]] = []
    initials: list[str] = []
    for w in raw:
        bare = w.strip(".")
        readings = tuple(v for v in fold_variants(bare, hint) if v)
        if not readings:
            continue
        if len(bare) == 1 or (w.endswith(".") and len(bare) <= 2):
            initials.append(initial_of(readings[0]))
        else:
            words.append(readings)
    patronymic = None
    if len(words) >= 3:
        primary = [r[0] for r in words]
        at = next(
            (i for i in range(len(primary) - 1, -1, -1) if _RUSSIAN_PATRONYMIC.search(primary[i])), None
        )
        if at is None:
            at = next((i for i in range(len(primary) - 1, -1, -1) if _PATRONYMIC.search(primary[i])), None)
        if at is not None:
            patronymic = words.pop(at)[0]
    return ParsedName(tuple(r[0] for r in words), tuple(initials), patronymic, tuple(words))


# ------------------------------------------------------------------ places
#: Places of ../shared/sources/kazakh-names.md with the spellings seen in lists:
#: current Kazakh and Russian Cyrillic, Latin, and Soviet-era names.
PLACE_VARIANTS: dict[str, tuple[str, ...]] = {
    "almaty": ("Алматы", "Almaty", "Alma-Ata", "Алма-Ата", "Verny", "Верный"),
    "taldykorgan": (
        "Талдықорған",
        "Талдыкорган",
        "Taldykorgan",
        "Taldyqorgan",
        "Taldy-Kurgan",
        "Талды-Курган",
    ),
    "kyzylorda": ("Қызылорда", "Кызылорда", "Kyzylorda", "Qyzylorda", "Kzyl-Orda", "Кзыл-Орда", "Ak-Mechet"),
    "shymkent": ("Шымкент", "Shymkent", "Chimkent", "Чимкент"),
    "taraz": ("Тараз", "Taraz", "Zhambyl", "Жамбыл", "Dzhambul", "Джамбул", "Aulie-Ata", "Аулие-Ата"),
    "aktobe": ("Ақтөбе", "Актобе", "Aktobe", "Aqtobe", "Aktyubinsk", "Актюбинск"),
    "oskemen": ("Өскемен", "Oskemen", "Öskemen", "Ust-Kamenogorsk", "Усть-Каменогорск"),
    "zhanaozen": ("Жаңаөзен", "Жанаозен", "Zhanaozen", "Janaozen", "Jañaözen", "Novy Uzen", "Новый Узень"),
    "shetpe": ("Шетпе", "Shetpe", "Şetpe"),
    "aktau": ("Ақтау", "Актау", "Aktau", "Aqtau", "Shevchenko", "Шевченко"),
}
_PLACE_PREFIX = re.compile(
    r"^(г|гор|город|қ|қала|пос|п|пгт|с|село|ауыл|city of|city|town of|town)\.?\s+", re.IGNORECASE
)
_PLACE_SUFFIX = re.compile(r"\s+(city|town|қаласы|ауылы|кенті)$", re.IGNORECASE)


def _place_skeleton(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    text = _PLACE_PREFIX.sub("", text)
    text = _PLACE_SUFFIX.sub("", text)
    return "".join(fold(w) for w in re.split(r"[\s\-]+", text) if w)


_PLACE_INDEX: dict[str, str] = {
    _place_skeleton(v): key for key, variants in PLACE_VARIANTS.items() for v in variants
}


@lru_cache(maxsize=1 << 16)
def place_key(text: str | None) -> str | None:
    """One key per place for any spelling: Almaty, Алматы, Alma-Ata, г. Алматы -> ``almaty``.

    Places not in :data:`PLACE_VARIANTS` give their folded skeleton, so that
    two spellings of an unlisted village still compare equal when they fold
    alike. Blank input gives None.
    """
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    skeleton = _place_skeleton(text)
    if not skeleton:
        return None
    return _PLACE_INDEX.get(skeleton, skeleton)


#: The region (oblast, or city of republican significance) of each place of
#: :data:`PLACE_VARIANTS`, and the ways lists write regions.
PLACE_REGION: dict[str, str] = {
    "almaty": "almaty_city",
    "taldykorgan": "almaty_oblast",
    "kyzylorda": "kyzylorda_oblast",
    "shymkent": "shymkent_city",
    "taraz": "zhambyl_oblast",
    "aktobe": "aktobe_oblast",
    "oskemen": "east_kazakhstan_oblast",
    "zhanaozen": "mangystau_oblast",
    "shetpe": "mangystau_oblast",
    "aktau": "mangystau_oblast",
}
REGION_VARIANTS: dict[str, tuple[str, ...]] = {
    "almaty_city": ("г. Алматы", "Алматы қаласы", "Almaty city"),
    "shymkent_city": ("г. Шымкент", "Шымкент қаласы", "Shymkent city"),
    "almaty_oblast": ("Алматинская область", "Алматы облысы", "Almaty Region", "Almaty oblysy"),
    "kyzylorda_oblast": ("Кызылординская область", "Қызылорда облысы", "Kyzylorda Region"),
    "zhambyl_oblast": ("Жамбылская область", "Жамбыл облысы", "Zhambyl Region", "Jambyl Region"),
    "aktobe_oblast": ("Актюбинская область", "Ақтөбе облысы", "Aktobe Region"),
    "east_kazakhstan_oblast": (
        "Восточно-Казахстанская область",
        "Шығыс Қазақстан облысы",
        "East Kazakhstan Region",
    ),
    "mangystau_oblast": ("Мангистауская область", "Маңғыстау облысы", "Mangystau Region", "Mangistau Region"),
}
_REGION_INDEX: dict[str, str] = {
    "".join(fold(w) for w in re.split(r"[\s\-.]+", v) if w): key
    for key, variants in REGION_VARIANTS.items()
    for v in variants
}


#: Districts (аудан / район) and the region they belong to: a list may name the district
#: where another names the city or the region. Roots as the Russian adjective begins.
DISTRICT_REGION: dict[str, str] = {
    "Алмалин": "almaty_city",
    "Ауэзов": "almaty_city",
    "Бостандык": "almaty_city",
    "Жетысу": "almaty_city",
    "Медеу": "almaty_city",
    "Турксиб": "almaty_city",
    "Алатау": "almaty_city",
    "Наурызбай": "almaty_city",
    "Абай": "shymkent_city",
    "Аль-Фараби": "shymkent_city",
    "Енбекши": "shymkent_city",
    "Каратау": "shymkent_city",
    "Карасай": "almaty_oblast",
    "Илий": "almaty_oblast",
    "Талгар": "almaty_oblast",
    "Кармакши": "kyzylorda_oblast",
    "Сырдарьин": "kyzylorda_oblast",
    "Жамбыл": "zhambyl_oblast",
    "Байзак": "zhambyl_oblast",
    "Алгин": "aktobe_oblast",
    "Мангистау": "mangystau_oblast",
    "Каракиян": "mangystau_oblast",
    "Тупкараган": "mangystau_oblast",
}
_DISTRICT_WORD = re.compile(
    r"(\s+|-)?(ский|ская|ского|ский район|район|р-н|ауданы|audany|district|raion|rayon)\.?$", re.IGNORECASE
)


@lru_cache(maxsize=1)
def _district_index() -> dict[str, str]:
    return {"".join(fold(w) for w in re.split(r"[\s\-]+", k) if w): v for k, v in DISTRICT_REGION.items()}


def district_region(text: str | None) -> str | None:
    """The region of a district named as lists write it ("Медеуский район", "Medeu district")."""
    if text is None:
        return None
    t = unicodedata.normalize("NFC", str(text)).strip()
    if not re.search(r"район|р-н|аудан|district|raion|rayon", t, re.IGNORECASE):
        return None
    for _ in range(3):
        t = _DISTRICT_WORD.sub("", t).strip()
    skeleton = "".join(fold(w) for w in re.split(r"[\s\-]+", t) if w)
    index = _district_index()
    for size in range(len(skeleton), 3, -1):
        if skeleton[:size] in index:
            return index[skeleton[:size]]
    return None


@lru_cache(maxsize=1 << 16)
def region_key(text: str | None) -> str | None:
    """The region of a place or region name: "Алматинская область" and "Taldykorgan" -> ``almaty_oblast``.

    None when blank or not a known place or region.
    """
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    skeleton = "".join(fold(w) for w in re.split(r"[\s\-.]+", text) if w)
    if skeleton in _REGION_INDEX:
        return _REGION_INDEX[skeleton]
    return PLACE_REGION.get(place_key(text) or "") or district_region(text)


@lru_cache(maxsize=1 << 16)
def place_in_text(text: str | None) -> str | None:
    """The first known place named inside a longer text ("СИЗО-1 г. Алматы" -> ``almaty``)."""
    if text is None:
        return None
    words = [w for w in re.split(r"[\s,;()]+", str(text)) if w]
    for size in (2, 1):
        for k in range(len(words) - size + 1):
            key = place_key(" ".join(words[k : k + size]))
            if key in PLACE_VARIANTS:
                return key
    return None


# ------------------------------------------------------------ placeholders
#: Words that, alone or with a number, stand in for the name of an unidentified
#: person: Russian, Kazakh (Cyrillic and Latin) and English. A name made only of
#: these words, numbers and punctuation is a placeholder and never matches on name.
PLACEHOLDER_WORDS: tuple[str, ...] = (
    # Russian
    "неизвестный",
    "неизвестная",
    "неизвестное",
    "неизвестен",
    "неизвестна",
    "неопознанный",
    "неопознанная",
    "неустановленный",
    "неустановленная",
    "не",
    "установлен",
    "установлена",
    "установлено",
    "фио",
    "лицо",
    "мужчина",
    "женщина",
    "труп",
    "тело",
    # Kazakh (Cyrillic and Latin)
    "белгісіз",
    "белгiсiз",
    "белгисиз",
    "belgisiz",
    "beigisiz",
    "аты",
    "жөні",
    "ер",
    "әйел",
    "адам",
    "er",
    "aiel",
    "äiel",
    "adam",
    # English
    "unknown",
    "unidentified",
    "unnamed",
    "man",
    "woman",
    "male",
    "female",
    "person",
    "body",
    "n",
    "nn",
    "na",
    "no",
    "name",
    "not",
    "known",
)
_PLACEHOLDER_SET = frozenset(unicodedata.normalize("NFC", w) for w in PLACEHOLDER_WORDS)
#: Words that only stand for "someone without a name": a name made of connectors
#: alone ("not", "no") is not a placeholder, one with any of these is.
_PLACEHOLDER_CORE = frozenset(
    unicodedata.normalize("NFC", w)
    for w in (
        "неизвестный неизвестная неизвестное неизвестен неизвестна неопознанный неопознанная "
        "неустановленный неустановленная установлено белгісіз белгiсiз белгисиз belgisiz "
        "unknown unidentified unnamed n nn"
    ).split()
)


@lru_cache(maxsize=1 << 16)
def is_placeholder(full_name: str | None) -> bool:
    """Is this "name" a stand-in for an unidentified person?

    True for "Неизвестный мужчина №1", "неизвестная", "Белгісіз ер адам", "Unknown man",
    "unidentified woman 3", "N.N.", "NN", "№ 17" or a bare number, and for a blank: every
    word is a placeholder word (:data:`PLACEHOLDER_WORDS`), a number or punctuation, and
    at least one word says "unknown" (or there is no word at all). A real name that
    happens to contain such a word ("Эрнст Неизвестный") is not a placeholder.
    """
    if full_name is None:
        return True
    text = unicodedata.normalize("NFC", str(full_name)).lower()
    words = [w for w in re.split(r"[^\w]+|_", text) if w]
    words = [w for w in words if not w.isdigit()]
    if not words:
        return True
    if not all(w in _PLACEHOLDER_SET for w in words):
        return False
    return any(w in _PLACEHOLDER_CORE for w in words)


# --------------------------------------------------------- name parts
#: Common given names (Kazakh and Russian, in Kazakh or Russian Cyrillic), used to tell
#: the given name from the surname when a list does not say which is which. Folded
#: through :func:`fold` on use, so every spelling of these names is recognised.
GIVEN_NAMES: tuple[str, ...] = tuple(
    (
        "Абай Абылай Адиль Айбек Айбол Айдар Айдос Ақжол Алмас Алпамыс Амангелді Арман Асқар Асхат "
        "Ахмет Азамат Әділет Әлібек Бақытжан Бағдат Бауыржан Бейбіт Бекзат Берік Біржан Болат Ғабит "
        "Ғалым Ғалымжан Ғани Дамир Данияр Дархан Дастан Дәулет Дәурен Ерболат Ердос Ержан Еркебұлан "
        "Ерқанат Ерлан Ермек Жақсылық Жанат Жандос Жасұлан Жеңіс Жомарт Зейнолла Ілияс Қайрат "
        "Қалдыбек Қанат Қасым Кенжебек Қуаныш Мағжан Мақсат Марат Медет Мейрам Мирас Мұрат Мұхтар "
        "Нариман Нұрбол Нұржан Нұрлан Нұртас Олжас Оспан Рамазан Ринат Руслан Рустем Сабыр Сағат "
        "Самат Санжар Серік Серікбол Сұлтан Сырым Талғат Темірлан Тимур Төлеген Тәуекел Ұлан "
        "Үмбетқали Хамит Шерхан Шыңғыс Ясин Нұрсұлтан Ерасыл Ернар Ербол Бекжан Дидар Ислам Ильяс "
        "Айгүл Гүлнар Жанар Әсел Динара Мәдина Салтанат Айжан Назым Ақмарал Гүлмира Жұлдыз "
        "Қарлығаш Толқын Ләззат Мөлдір Аружан Сәуле Айнұр Ботагөз Гүлназ Дана Еркежан Жансая Зарина "
        "Индира Қамила Ләйлә Мейрамгүл Нұргүл Перизат Райхан Сабина Томирис Ұлжан Асем Айым Балнур "
        "Алия Камила Дильназ Айдана Жазира Гаухар Меруерт Сандуғаш Шынар Ақбота "
        "Сергей Александр Дмитрий Андрей Виктор Евгений Игорь Максим Павел Роман Алексей Владимир "
        "Николай Михаил Иван Юрий Олег Денис Артём Антон Вадим Константин Геннадий Анатолий Борис "
        "Ольга Елена Наталья Татьяна Ирина Светлана Анна Мария Людмила Галина Марина Юлия"
    ).split()
)
#: Diminutives and nicknames a list may give instead of the given name, with the full
#: name they stand for (Russian pet forms, short Kazakh forms of two-part names).
DIMINUTIVES: dict[str, str] = {
    "Саша": "Александр",
    "Шура": "Александр",
    "Серёжа": "Сергей",
    "Сережа": "Сергей",
    "Дима": "Дмитрий",
    "Митя": "Дмитрий",
    "Андрюша": "Андрей",
    "Витя": "Виктор",
    "Женя": "Евгений",
    "Паша": "Павел",
    "Рома": "Роман",
    "Макс": "Максим",
    "Лёша": "Алексей",
    "Леша": "Алексей",
    "Володя": "Владимир",
    "Вова": "Владимир",
    "Коля": "Николай",
    "Миша": "Михаил",
    "Ваня": "Иван",
    "Юра": "Юрий",
    "Толя": "Анатолий",
    "Боря": "Борис",
    "Костя": "Константин",
    "Гена": "Геннадий",
    "Оля": "Ольга",
    "Лена": "Елена",
    "Наташа": "Наталья",
    "Таня": "Татьяна",
    "Ира": "Ирина",
    "Света": "Светлана",
    "Аня": "Анна",
    "Маша": "Мария",
    "Люда": "Людмила",
    "Галя": "Галина",
    "Юля": "Юлия",
    "Ербол": "Ерболат",
    "Ерке": "Еркебұлан",
    "Нұрик": "Нұрлан",
    "Нурик": "Нұрлан",
    "Бауке": "Бауыржан",
    "Сәке": "Сағат",
    "Ғани": "Ғалым",
    "Жасик": "Жасұлан",
    "Темір": "Темірлан",
    "Айко": "Айгүл",
    "Дина": "Динара",
    "Мади": "Мәдина",
}


@lru_cache(maxsize=1)
def _given_index() -> frozenset[str]:
    return frozenset(surname_stem(fold(w)) for w in GIVEN_NAMES)


@lru_cache(maxsize=1)
def _diminutive_index() -> dict[str, str]:
    return {surname_stem(fold(k)): surname_stem(fold(v)) for k, v in DIMINUTIVES.items()}


def given_key(stem: str) -> str:
    """The key a given name is compared by: its stem, a diminutive replaced by the full name."""
    return _diminutive_index().get(stem, stem)


def is_given_name(stem: str) -> bool:
    """Is this folded stem a known given name (or a diminutive of one)?"""
    return stem in _given_index() or stem in _diminutive_index()


_SURNAME_MARK = re.compile(r"(ov|ev|ova|eva|in|ina|uli|kisi|enko|ko|skii|skaia|ski)$")


def surname_score(folded: str) -> int:
    """How much a folded word looks like a surname: +2 a surname ending, -2 a known given name."""
    score = 2 if _SURNAME_MARK.search(folded) and len(folded) > 4 else 0
    if is_given_name(surname_stem(folded)):
        score -= 2
    return score


def surname_position(parsed: ParsedName) -> int | None:
    """Which full word of a name is the surname, when the name itself tells (else None).

    A name of one full word plus initials ("Жагипаров Е.Б.") has its surname in that
    word. Otherwise the word that looks most like a surname (:func:`surname_score`)
    wins, if it is the only one that does.
    """
    if len(parsed.words) == 1:
        return 0
    if len(parsed.words) < 2:
        return None
    scores = [surname_score(w) for w in parsed.words]
    best = max(scores)
    if scores.count(best) == 1 and best > min(scores):
        return scores.index(best)
    return None
