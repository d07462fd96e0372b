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

# ----------------------------------------------------------------- romanise
#: Kazakh-specific letters as Russian-language lists write them.
KAZAKH_TO_RUSSIAN = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")

_ICAO = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n",
    "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
    "ү": "u", "ф": "f", "х": "kh", "һ": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "ie", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}
_BGN = dict(_ICAO) | {
    "ә": "ä", "ғ": "gh", "ё": "ë", "й": "y", "қ": "q", "ң": "ng", "ө": "ö", "ү": "ü",
    "һ": "h", "ъ": "", "ю": "yu", "я": "ya",
}
_KZ2021 = dict(_ICAO) | {
    "ә": "ä", "ғ": "ğ", "ё": "io", "ж": "j", "қ": "q", "ң": "ñ", "ө": "ö", "ұ": "ū", "ү": "ü",
    "х": "h", "һ": "h", "ш": "ş", "щ": "şş", "ъ": "",
}
_KZ2018 = dict(_ICAO) | {
    "ә": "á", "ғ": "ǵ", "ё": "io", "ж": "j", "қ": "q", "ң": "ń", "ө": "ó", "ұ": "u", "ү": "ú",
    "у": "ý", "х": "h", "һ": "h", "щ": "sh", "ъ": "",
}
_KZ2017 = dict(_ICAO) | {
    "ә": "a'", "ғ": "g'", "ё": "io", "ж": "j", "и": "i'", "й": "i'", "қ": "q", "ң": "n'",
    "ө": "o'", "ұ": "u", "ү": "u'", "у": "y'", "х": "h", "һ": "h", "ч": "c'", "ш": "s'",
    "щ": "s'", "ъ": "", "ю": "i'u", "я": "i'a",
}
# English-language press, from the Russian form: Yerlan Zhagiparov.
_ENGLISH = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}
# German press, from the Russian form: Jerlan Schagiparow.
_GERMAN = {
    "а": "a", "б": "b", "в": "w", "г": "g", "д": "d", "е": "e", "ё": "jo", "ж": "sch", "з": "s",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch",
    "щ": "schtsch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "ju", "я": "ja",
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
        "icao": _ICAO, "bgn": _BGN, "kz2017": _KZ2017, "kz2018": _KZ2018, "kz2021": _KZ2021,
        "english": _ENGLISH, "german": _GERMAN,
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
    "ş": "sh", "ç": "ch", "ğ": "g", "ǵ": "g", "ñ": "n", "ŋ": "n", "ń": "n", "ı": "i",
    "ý": "u", "ž": "zh", "š": "sh", "č": "ch", "ķ": "k", "ņ": "n", "ë": "e", "ß": "ss",
}
_APOSTROPHE_2017 = {"a'": "a", "g'": "g", "n'": "n", "o'": "o", "u'": "u", "i'": "i",
                    "y'": "u", "s'": "sh", "c'": "ch"}
_APOSTROPHES = "'’ʼ`´ʻ"


def fold(token: str) -> str:
    """One comparable skeleton for a name written in any of :data:`SYSTEMS`.

    Examples
    --------
    >>> {fold(x) for x in ["Ерлан", "Yerlan", "Jerlan", "ERLAN"]}
    {'erlan'}
    >>> {fold(x) for x in ["Жагипаров", "Zhagiparov", "Schagiparow", "Shagiparov", "Jagiparov"]}
    {'shagiparov'}
    """
    s = unicodedata.normalize("NFC", token).lower()
    for a in _APOSTROPHES[1:]:
        s = s.replace(a, "'")
    if _CYRILLIC.search(s):
        s = s.translate(KAZAKH_TO_RUSSIAN)
        s = s.replace("дж", "ж")
        s = "".join(_CYR_TO_LATIN.get(ch, ch) for ch in s)
    for combo, plain in _APOSTROPHE_2017.items():
        s = s.replace(combo, plain)
    s = "".join(_LATIN_SPECIAL.get(ch, ch) for ch in s)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"[^a-z]", "", s)
    # German spellings
    s = s.replace("schtsch", "shch").replace("tsch", "ch").replace("sch", "sh").replace("w", "v")
    s = s.replace("dzh", "zh").replace("dsh", "zh").replace("dj", "zh")
    # J: German iotation in Je at the start (Jerlan) and before e after a vowel
    # (Nurlybajew); elsewhere the Kazakh Latin letter for Zh (Janar, Jumabaev,
    # Jomart), far more common in Kazakh lists than German Ju/Jo (Juri).
    s = re.sub(r"^j(?=e)", "y", s)
    s = re.sub(r"(?<=[aeiouy])[jy](?=e)", "", s)
    s = s.replace("j", "zh")
    s = s.replace("kh", "h").replace("x", "h").replace("q", "k").replace("gh", "g").replace("ck", "k")
    s = s.replace("tz", "s").replace("ts", "s").replace("z", "s")
    s = s.replace("shch", "sh").replace("zh", "sh")
    s = s.replace("ng", "n")
    s = s.replace("y", "i")
    s = re.sub(r"^ie", "e", s)
    s = re.sub(r"(.)\1+", r"\1", s).replace("shsh", "sh")
    return s


# ----------------------------------------------------------- name structure
_PATRONYMIC = re.compile(r"(ovich|evich|ich|ovna|evna|uli|kisi)$")
_SURNAME_ENDING = re.compile(r"(ova|eva|ina|ov|ev|in|uli|kisi)$")


def surname_stem(folded: str) -> str:
    """A folded surname without gendered, dropped or patronymic-style endings.

    Жагипаров, Жагипарова, Жагипар and Жагипарұлы share the stem ``shagipar``;
    Жұмабаев and Жұмабай share ``shumaba``.
    """
    stem = _SURNAME_ENDING.sub("", folded)
    if len(stem) < 3:
        return folded
    # Жұмабаев / Жұмабай, Нұрғалиев / Нұрғали: the glide before -ев comes and goes
    return stem[:-1] if stem.endswith("i") and len(stem) > 3 else stem


@dataclass(frozen=True)
class ParsedName:
    """A name split into folded full words, initials and a patronymic."""

    words: tuple[str, ...]
    initials: tuple[str, ...]
    patronymic: str | None

    @property
    def stems(self) -> frozenset[str]:
        return frozenset(surname_stem(w) for w in self.words)


def parse_name(full_name: str) -> ParsedName:
    """Split a full name in any order into folded words, initials and patronymic.

    Initials are one-letter words (``Е.``, ``Е.Б.``). A word with a patronymic
    ending counts as the patronymic only when the name has at least three full
    words, since since 1992 the same endings also form surnames.
    """
    text = unicodedata.normalize("NFC", full_name)
    raw = [w for w in re.split(r"[\s,]+", text.replace(".", ". ")) if w.strip(". ")]
    words: list[str] = []
    initials: list[str] = []
    for w in raw:
        bare = w.strip(".")
        folded = fold(bare)
        if not folded:
            continue
        if len(bare) == 1 or (w.endswith(".") and len(bare) <= 2):
            initials.append(folded[0])
        else:
            words.append(folded)
    patronymic = None
    if len(words) >= 3:
        for i in range(len(words) - 1, -1, -1):
            if _PATRONYMIC.search(words[i]):
                patronymic = words.pop(i)
                break
    return ParsedName(tuple(words), tuple(initials), patronymic)
