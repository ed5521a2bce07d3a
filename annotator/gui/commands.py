"""Undo/redo: one QUndoCommand per user action, each calling core actions.

The action itself runs (and may be refused) before the command is pushed, so the first
redo() does nothing. Span edits undo by the inverse ``change_spans``; boilerplate edits by
``set_boilerplate`` with the ranges from before; bulk actions (relabel every occurrence,
accept, skip) restore whole-document snapshots. Every undo and redo is written to the
database and the edit log like any edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from annotator.core.errors import AnnotatorError
from annotator.core.spans import Range, Span
from annotator.ops.gold_edits import change_spans, set_boilerplate
from annotator.ops.suggestions import dismiss_suggestion
from annotator.ops.documents import Snapshot, restore
from annotator.store import Store


class AppliedCommand(QUndoCommand):
    """A command whose action already ran when it was pushed: the first redo() does nothing.

    A refused undo or redo (another process holds the database, say) does not raise into
    Qt: it is kept in ``error`` and the window moves the stack back with :meth:`skip_next`,
    so the stack never claims a change the database does not have.
    """

    def __init__(self, text: str):
        super().__init__(text)
        self._skip = True
        self.error: AnnotatorError | None = None

    def _apply(self, forward: bool) -> None:
        raise NotImplementedError

    def skip_next(self) -> None:
        """The next redo() or undo() only moves the stack (the database is already there)."""
        self._skip = True

    def _run(self, forward: bool) -> None:
        self.error = None
        if self._skip:
            self._skip = False
            return
        try:
            self._apply(forward)
        except AnnotatorError as exc:
            self.error = exc

    def redo(self) -> None:
        self._run(True)

    def undo(self) -> None:
        self._run(False)


class SnapshotCommand(AppliedCommand):
    """Switches documents between ``before`` and ``after`` snapshots."""

    def __init__(
        self, text: str, store: Store, annotator: str, before: list[Snapshot], after: list[Snapshot],
        on_change: Callable[[list[int], bool], None],
    ):
        super().__init__(text)
        self._store, self._annotator = store, annotator
        self._before, self._after = before, after
        self._on_change = on_change

    def _apply(self, forward: bool) -> None:
        snaps = self._after if forward else self._before
        for snap in snaps:
            restore(self._store, snap, self._annotator, "redo" if forward else "undo")
        self._on_change([s.document_id for s in snaps], not forward)


class SpanChangeCommand(AppliedCommand):
    """Spans removed and added in one document: redo and undo are the same core action, inverted."""

    def __init__(
        self, text: str, store: Store, annotator: str, document_id: int, removed: list[Span], added: list[Span],
        labels: list[str], on_delta: Callable[[int, list[Span], list[Span]], None],
    ):
        super().__init__(text)
        self._store, self._annotator, self._doc = store, annotator, document_id
        self._removed, self._added, self._labels = removed, added, labels
        self._on_delta = on_delta

    def _apply(self, forward: bool) -> None:
        remove, add = (self._removed, self._added) if forward else (self._added, self._removed)
        change_spans(self._store, self._doc, self._annotator, remove=remove, add=add,
                     labels=self._labels, action="redo" if forward else "undo")
        self._on_delta(self._doc, remove, add)


class BoilerplateCommand(AppliedCommand):
    """A document's boilerplate ranges before and after one action."""

    def __init__(
        self, text: str, store: Store, annotator: str, document_id: int, before: list[Range], after: list[Range],
        on_change: Callable[[int, list[Range]], None],
    ):
        super().__init__(text)
        self._store, self._annotator, self._doc = store, annotator, document_id
        self._before, self._after = before, after
        self._on_change = on_change

    def _apply(self, forward: bool) -> None:
        ranges = self._after if forward else self._before
        set_boilerplate(self._store, self._doc, self._annotator, ranges, action="redo" if forward else "undo")
        self._on_change(self._doc, ranges)


class DismissCommand(AppliedCommand):
    """A dismissed boilerplate suggestion: undo offers it again."""

    def __init__(self, text: str, store: Store, annotator: str, document_id: int, suggestion: Any,
                 on_change: Callable[[int], None]):
        super().__init__(text)
        self._store, self._annotator, self._doc, self._suggestion = store, annotator, document_id, suggestion
        self._on_change = on_change

    def _apply(self, forward: bool) -> None:
        dismiss_suggestion(self._store, self._doc, self._annotator, self._suggestion, dismissed=forward)
        self._on_change(self._doc)
