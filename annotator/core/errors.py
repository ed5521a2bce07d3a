"""Known errors: bad input or a bad environment, reported as one clear line."""

from __future__ import annotations


class AnnotatorError(Exception):
    """A problem the user can fix; ``str()`` is the one-line message shown to them."""

    def __init__(self, message: str, *, path: object | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path + (f":{self.line}" if self.line is not None else "") + ": "
        return where + self.message


class InputError(AnnotatorError):
    """A file, line or value given to us is not acceptable."""


class SpanError(InputError):
    """A span or range is out of range, reversed, overlapping or has an unknown label."""


class OutputError(AnnotatorError):
    """A file we were asked to write cannot be written (folder missing, read-only, disk full)."""


class StoreError(AnnotatorError):
    """The database cannot be opened or written (not SQLite, newer schema, locked, read-only)."""


class BusyError(StoreError):
    """Another process held the database's write lock for longer than we were willing to wait."""
