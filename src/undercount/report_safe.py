"""Config text in rule params, shown safely in Snakemake's HTML report.

Snakemake's report lists each result's job params, formatted with ``str``/
``format`` and put into a JSON object inside a ``<script>`` block, without
escaping ``</script>``. A source or event label ``</script><script>…`` in a
param would end that block and run as code in the reviewer's browser.

:func:`report_safe` wraps the params that carry config text: the containers
and strings it returns behave exactly like the originals in the scripts
(``==``, indexing, ``str()``, pickling; the values inside are left plain), but
their ``repr`` and ``format``
(what the report and the rerun check use) write every ``<`` as ``\\x3c``, so
no tag can be formed. Scripts take ``str(value)`` of a wrapped string, which
is the original text.
"""

from __future__ import annotations

from typing import Any


def _escape(text: str) -> str:
    return text.replace("<", "\\x3c")


class SafeStr(str):
    """A string whose ``repr`` and ``format`` (not ``str``) escape ``<``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return _escape(str.__repr__(self))

    def __format__(self, spec: str) -> str:
        return _escape(str.__format__(str(self), spec))

    def __reduce__(self) -> tuple[Any, ...]:
        return (SafeStr, (str(self),))


class SafeDict(dict):
    """A dict whose text forms escape ``<``."""

    def __repr__(self) -> str:
        return _escape(dict.__repr__(self))

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)


class SafeList(list):
    """A list whose text forms escape ``<``."""

    def __repr__(self) -> str:
        return _escape(list.__repr__(self))

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)


def report_safe(value: Any) -> Any:
    """``value`` wrapped (see the module): a dict, list, tuple or string at the top.

    Only the outer value is wrapped: its ``repr`` escapes everything inside it,
    and the values inside stay plain, so that scripts see the config's text.
    """
    if isinstance(value, dict):
        return SafeDict(value)
    if isinstance(value, (list, tuple)):
        return SafeList(value)
    if isinstance(value, str):
        return SafeStr(value)
    return value
