"""Errors with stable codes, so a user can look one up and a test can match it."""

from __future__ import annotations


class DefectioError(Exception):
    """Base of every error defectio raises on purpose; ``code`` is stable across versions."""

    code = "E000"

    def __init__(self, message: str) -> None:
        super().__init__(f"[{self.code}] {message}")
        self.message = message


class CodebookError(DefectioError):
    """A codebook file is missing, malformed or inconsistent."""

    code = "E100"


class InputError(DefectioError):
    """An input file is unreadable or a record in it is invalid; names file, line and field."""

    code = "E200"

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        where = ":".join(str(p) for p in (path, line) if p is not None)
        prefix = f"{where}: " if where else ""
        if field:
            prefix += f"field '{field}': "
        super().__init__(prefix + message)
        self.path, self.line, self.field = path, line, field


class StoreError(DefectioError):
    """The store cannot be opened, migrated or written."""

    code = "E300"


class NotFoundError(StoreError):
    """A record asked for by id (case, passage, annotation, user, token) is not in the store."""

    code = "E301"


class VaultError(DefectioError):
    """Identity fields cannot be sealed or opened (missing or wrong key)."""

    code = "E310"


class CoderError(DefectioError):
    """A coder cannot be built, trained, saved or loaded."""

    code = "E400"


class ReportError(DefectioError):
    """A brief or export cannot be written (for example, PDF without WeasyPrint)."""

    code = "E500"
