"""Exceptions that carry enough context for a user to find and fix the problem."""

from __future__ import annotations

import re


class UndercountError(Exception):
    """Base class of every error undercount raises on purpose."""


class InputError(UndercountError):
    """Bad input data: names the file, the row and the column at fault.

    ``row`` is the row number as a spreadsheet shows it: the header is row 1,
    the first record row 2.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class TableError(InputError):
    """A capture-history table that cannot be used."""


class ConfigError(UndercountError):
    """A workflow configuration that does not validate."""


class MethodError(UndercountError):
    """An unknown estimator, a bad setting, or a method that does not apply."""


_SAFE_VALUE = re.compile(r"^[0-9\s.,:/\-+TZ]{0,32}$")


def is_safe_value(value: object) -> bool:
    """True when a cell value cannot be personal data: digits and date punctuation only."""
    return bool(_SAFE_VALUE.match("" if value is None else str(value)))


def show_value(value: object) -> str:
    """Quote a cell value for an error message, unless it might be personal data.

    Only values made of digits and date punctuation are echoed; anything with
    letters (it could be a name that slipped into the wrong column) is withheld,
    because error messages end up in logs.
    """
    if is_safe_value(value):
        return repr("" if value is None else str(value))
    return "(value withheld: it contains letters and could be personal data)"
