"""Undo/redo: one QUndoCommand per user action, each calling core actions.

The action itself runs (and may be refused) before the command is pushed, so the first
redo() does nothing. Span edits undo by the inverse ``change_spans``; boilerplate edits by
``set_boilerplate`` with the ranges from before; bulk actions (relabel every occurrence,
accept, skip) restore whole-document snapshots. Every undo and redo is written to the
database and the edit log like any edit.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from annotator.core.spans import Range, Span
from annotator.ops.review import change_spans, set_boilerplate
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


class SpanChangeCommand(QUndoCommand):
    """Spans removed and added in one document: redo and undo are the same core action, inverted."""

    def __init__(
        self, text: str, store: Store, annotator: str, document_id: int, removed: list[Span], added: list[Span],
        labels: list[str], on_delta: Callable[[int, list[Span], list[Span]], None],
    ):
        super().__init__(text)
        self._store, self._annotator, self._doc = store, annotator, document_id
        self._removed, self._added, self._labels = removed, added, labels
        self._on_delta = on_delta
        self._first = True

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        change_spans(self._store, self._doc, self._annotator, remove=self._removed, add=self._added,
                     labels=self._labels, action="redo")
        self._on_delta(self._doc, self._removed, self._added)

    def undo(self) -> None:
        change_spans(self._store, self._doc, self._annotator, remove=self._added, add=self._removed,
                     labels=self._labels, action="undo")
        self._on_delta(self._doc, self._added, self._removed)


class BoilerplateCommand(QUndoCommand):
    """A document's boilerplate ranges before and after one action."""

    def __init__(
        self, text: str, store: Store, annotator: str, document_id: int, before: list[Range], after: list[Range],
        on_change: Callable[[int, list[Range]], None],
    ):
        super().__init__(text)
        self._store, self._annotator, self._doc = store, annotator, document_id
        self._before, self._after = before, after
        self._on_change = on_change
        self._first = True

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        set_boilerplate(self._store, self._doc, self._annotator, self._after, action="redo")
        self._on_change(self._doc, self._after)

    def undo(self) -> None:
        set_boilerplate(self._store, self._doc, self._annotator, self._before, action="undo")
        self._on_change(self._doc, self._before)
