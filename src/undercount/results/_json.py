"""Plain JSON for results: exact for every float, strict (no NaN or Infinity tokens).

Floats are written by ``repr`` (the shortest text that reads back to the same
double), so a result read back is equal to the one written. JSON has no token
for a non-finite number: NaN is written as the string ``"NaN"`` and the
infinities as ``"Infinity"`` and ``"-Infinity"``, and those three strings are
read back as floats wherever they appear. ``None`` is JSON's ``null``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
#: a list at least this long is first looked at whole: a posterior on a grid has 10^5-10^6 numbers
_LONG = 64
#: Python's own scalars, which :func:`plain` leaves as they are (``type(v) in``: no subclass, no numpy scalar)
_SCALARS = (bool, int, float, str, type(None))


def plain(value: Any) -> Any:
    """``value`` as JSON-ready Python data: dicts with text keys, lists, str, int, float, bool, None.

    numpy scalars and arrays become Python numbers and lists; tuples become lists.
    """
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if len(value) >= _LONG and all(type(v) in _SCALARS for v in value):
            return list(value)
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":  # tolist() gives Python bools, ints and floats, nested by shape
            return value.tolist()
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return value


def _finite_numbers(value: list) -> bool:
    """Whether a long list holds only finite numbers (bools, ints, floats; nested lists of them by shape).

    Such a list is its own :func:`encode` and :func:`decode`, so neither need walk it item by item.
    """
    if len(value) < _LONG:
        return False
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError, OverflowError):  # ragged, or not numbers
        return False
    if arr.dtype.kind in "biu":
        return True
    return arr.dtype.kind == "f" and bool(np.isfinite(arr).all())


def encode(value: Any) -> Any:
    """:func:`plain` data with every non-finite float replaced by its :data:`NON_FINITE` name."""
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list):
        if _finite_numbers(value):
            return value
        return [encode(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def decode(value: Any) -> Any:
    """The inverse of :func:`encode`."""
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        if _finite_numbers(value):
            return value
        return [decode(v) for v in value]
    if isinstance(value, str) and value in NON_FINITE:
        return NON_FINITE[value]
    return value


def number(value: Any) -> float:
    """A float field: None and the non-finite names included (None is NaN)."""
    if value is None:
        return math.nan
    if isinstance(value, str):
        return NON_FINITE[value]
    return float(value)


def dump(data: Mapping[str, Any], path: str | Path) -> None:
    """Write ``data`` (plain) as indented, strict JSON with a final newline."""
    text = json.dumps(encode(plain(data)), indent=2, ensure_ascii=False, allow_nan=False)
    Path(path).write_text(text + "\n", encoding="utf-8")


def load(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return decode(json.load(fh))


def same(a: Any, b: Any) -> bool:
    """Structural equality where NaN equals NaN and arrays compare by shape, kind and value."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or (a.dtype.kind in "iu") != (b.dtype.kind in "iu"):
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if hasattr(a, "__same__"):
        return type(a) is type(b) and a.__same__(b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) != isinstance(b, float):
        return False
    return bool(a == b)
