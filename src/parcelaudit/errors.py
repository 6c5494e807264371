"""The one exception family that user-caused problems raise; each face (CLI, API) renders it."""

from __future__ import annotations


class ParcelAuditError(Exception):
    """A problem the user can fix: names the file, row and field where known, and what to do."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.row = row
        self.field = field
        self.hint = hint

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field {self.field!r}")
        text = f"{': '.join([', '.join(where), self.message]) if where else self.message}"
        if self.hint:
            text += f" (fix: {self.hint})"
        return text


class InputError(ParcelAuditError):
    """An input file cannot be read or does not have the expected shape."""


class StoreError(ParcelAuditError):
    """The database file is missing, locked, or of an unknown schema version."""


class ReferenceDataError(ParcelAuditError):
    """Reference data (lists, tariff schedule, policy tables) is missing or malformed."""
