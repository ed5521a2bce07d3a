"""Undo/redo: one QUndoCommand per user action, restoring snapshots through core actions.

The action itself runs (and may be refused) before the command is pushed; the command then
holds the document snapshots from before and after, and undo/redo restore them through
``annotator.ops.reviewing.restore`` so the database and the edit log record every step.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from annotator.ops.reviewing import Snapshot, restore
from annotator.store import Store


class SnapshotCommand(QUndoCommand):
    """Switches documents between ``before`` and ``after`` snapshots."""

    def __init__(
        self, text: str, store: Store, annotator: str, before: list[Snapshot], after: list[Snapshot],
        on_change: Callable[[list[int], bool], None],
    ):
        super().__init__(text)
        self._store, self._annotator = store, annotator
        self._before, self._after = before, after
        self._on_change = on_change
        self._first = True

    def redo(self) -> None:
        if self._first:  # the action already ran when the command was made
            self._first = False
            return
        for snap in self._after:
            restore(self._store, snap, self._annotator, "redo")
        self._on_change([s.document_id for s in self._after], False)

    def undo(self) -> None:
        for snap in self._before:
            restore(self._store, snap, self._annotator, "undo")
        self._on_change([s.document_id for s in self._before], True)
