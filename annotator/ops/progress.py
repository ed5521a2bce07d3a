"""A progress protocol long operations report to (rich in the CLI, a dialog in the GUI)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, description: str, total: int | None) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def cancelled(self) -> bool: ...


class NullProgress:
    """Reports nowhere and is never cancelled."""

    def start(self, description: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def cancelled(self) -> bool:
        return False
