"""The compared columns: what our Kazakh/Russian name logic hands to the matching engine.

One row per record, no raw names. Every column is a folded key made by
:mod:`undercount.names`, so the engine (Splink) compares keys with plain SQL:

``surname``, ``given``
    Folded stems of the surname and the given name. Which word is which is read
    from the name itself (a surname ending, a known given name; see
    :func:`undercount.names.surname_position`), else from the order most names
    of the same list are written in. A diminutive is replaced by the full name
    (Саша -> Александр), so ``given`` agrees across pet forms.
``surname_alt``
    The stem of another reading of an ambiguous Latin surname (Jeksenbaev:
    Жексенбаев or Ексенбаев), else blank.
``given_initial``, ``surname_initial``
    Their first sound (``sh``, ``ch`` or one letter); for a record that gives
    only initials ("Жагипаров Е.Б.") ``given`` is blank and ``given_initial``
    is the first initial: initials are compared against full names.
``name_key``
    Every word stem of the name, sorted: equal whatever the order of the words
    (a surname and a given name swapped).
``patronymic``, ``patronymic_initial``
    The father's name inside a patronymic (Бауыржанович, Бауыржанұлы), or the
    second initial.
``sex``, ``age``, ``day``, ``place``, ``region``
    Sex (given, or implied by the name), age in years (from the date of birth
    when only that is given), the record's date as a day number, and the place
    and region keys of :func:`undercount.names.place_key` and ``region_key``.
``placeholder``
    The name stands for an unidentified person ("Неизвестный мужчина №1",
    белгісіз, "N.N.", a bare number): every name column is blank, so such a
    record never matches on name, only on the other fields.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from ..names import (
    given_key,
    initial_of,
    is_placeholder,
    parse_name,
    patronymic_stem,
    place_in_text,
    place_key,
    region_key,
    surname_position,
    surname_stem,
)

#: The compared columns, in the order the engine sees them.
COMPARED_COLUMNS = (
    "surname",
    "surname_alt",
    "surname_initial",
    "given",
    "given_initial",
    "name_key",
    "patronymic",
    "patronymic_initial",
    "sex",
    "age",
    "birth",
    "day",
    "place",
    "region",
)
#: Columns a blocking rule may name (config ``linkage.blocking_rules``).
BLOCKING_COLUMNS = (
    "surname",
    "surname_initial",
    "given",
    "given_initial",
    "name_key",
    "patronymic",
    "sex",
    "age",
    "day",
    "place",
    "region",
)


def _known(value):
    if value is None:
        return None
    if not isinstance(value, str) and pd.isna(value):
        return None
    return value


def _source_orders(parsed: Sequence, sources: Sequence[str]) -> dict[str, bool]:
    """Per list, whether its names put the surname first (majority of names that tell)."""
    votes: dict[str, Counter] = {}
    for name, source in zip(parsed, sources):
        if name is None or len(name.words) < 2:
            continue
        pos = surname_position(name)
        if pos is None:
            continue
        votes.setdefault(source, Counter())["first" if pos == 0 else "later"] += 1
    return {s: c["first"] >= c["later"] for s, c in votes.items()}


def compared_columns(
    records: pd.DataFrame,
    *,
    date_column: str,
    place_column: str | None = None,
    region_columns: Sequence[str] = ("region", "facility"),
) -> pd.DataFrame:
    """The compared columns of canonical records (with ``source``), in their order.

    Returns a frame with ``unique_id`` (the record's position), ``source``,
    every column of :data:`COMPARED_COLUMNS`, ``weak`` (initials only) and
    ``placeholder``. Names themselves do not appear, only folded keys.
    """
    n = len(records)
    sources = records["source"].astype(str).tolist() if "source" in records else [""] * n
    names = records["full_name"].tolist()
    placeholder = [is_placeholder(_known(x)) for x in names]
    parsed = [None if placeholder[r] else parse_name(str(names[r])) for r in range(n)]
    orders = _source_orders(parsed, sources)
    cols: dict[str, list] = {c: [None] * n for c in COMPARED_COLUMNS}
    weak = np.zeros(n, dtype=bool)
    for r, name in enumerate(parsed):
        if name is None:
            continue
        words = list(name.words)
        variants = list(name.variants) or [(w,) for w in words]
        if not words and not name.initials:
            placeholder[r] = True
            continue
        weak[r] = name.is_initials_only
        stems = [surname_stem(w) for w in words]
        if words:
            cols["name_key"][r] = " ".join(sorted(set(stems)))
        pos = surname_position(name)
        if pos is None and len(words) >= 2:
            pos = 0 if orders.get(sources[r], True) else len(words) - 1
        if pos is not None and words:
            cols["surname"][r] = stems[pos]
            cols["surname_initial"][r] = initial_of(stems[pos])
            alts = [surname_stem(v) for v in variants[pos][1:] if surname_stem(v) != stems[pos]]
            cols["surname_alt"][r] = alts[0] if alts else None
            others = [k for k in range(len(words)) if k != pos]
            if others:
                given = given_key(stems[others[0]])
                cols["given"][r] = given
                cols["given_initial"][r] = initial_of(given)
        if weak[r] and name.initials:
            cols["given_initial"][r] = name.initials[0]
            if len(name.initials) > 1:
                cols["patronymic_initial"][r] = name.initials[1]
        if name.patronymic is not None:
            stem = patronymic_stem(name.patronymic)
            cols["patronymic"][r] = stem
            cols["patronymic_initial"][r] = initial_of(stem)
        cols["sex"][r] = name.sex
    frame = pd.DataFrame(cols)
    frame.insert(0, "source", sources)
    frame.insert(0, "unique_id", np.arange(n, dtype=np.int64))
    if "sex" in records:
        given_sex = [_known(x) for x in records["sex"]]
        frame["sex"] = [g if g is not None else s for g, s in zip(given_sex, frame["sex"])]
    dates = records[date_column].tolist() if date_column in records else [None] * n
    frame["day"] = pd.array(
        [None if _known(d) is None else date.fromisoformat(str(d)).toordinal() for d in dates], dtype="Int64"
    )
    ages = records["age"].tolist() if "age" in records else [None] * n
    births = records["date_of_birth"].tolist() if "date_of_birth" in records else [None] * n
    frame["age"] = pd.array([_age(a, b, d) for a, b, d in zip(ages, births, dates)], dtype="Int64")
    # the date of birth itself (day number): two records agreeing on it are far more alike than
    # two of the same age, and it is there also when the record's own date is missing
    frame["birth"] = pd.array(
        [None if _known(b) is None else date.fromisoformat(str(b)).toordinal() for b in births], dtype="Int64"
    )
    where = records[place_column].tolist() if place_column and place_column in records else [None] * n
    hints = [records[c].tolist() for c in region_columns if c in records]
    places, regions = [], []
    for r in range(n):
        w = _known(where[r])
        places.append(place_key(w))
        g = region_key(w)
        for hint in hints:
            h = _known(hint[r])
            g = g or region_key(h) or region_key(place_in_text(h))
        regions.append(g)
    frame["place"] = places
    frame["region"] = regions
    frame["weak"] = weak
    frame["placeholder"] = placeholder
    for c in ("surname", "surname_alt", "surname_initial", "given", "given_initial", "name_key"):
        frame.loc[frame["placeholder"], c] = None
    frame.loc[frame["placeholder"], ["patronymic", "patronymic_initial"]] = None
    frame.loc[frame["placeholder"], "weak"] = False
    return frame


def _age(age, birth, when) -> int | None:
    """Age in years: as given, else from the date of birth at the record's date."""
    a = _known(age)
    if a is not None:
        return int(a)
    b, d = _known(birth), _known(when)
    if b is None or d is None:
        return None
    b, d = date.fromisoformat(str(b)), date.fromisoformat(str(d))
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))
