"""The document list beside the text: state filter, search, counts, moving between documents.

A mixin of MainWindow. Costs follow what is shown: the list model loads pages by key
(annotator.store.listing), the size of a state filter comes from counters kept by the
database, and the size of a search is counted a range of ids per event-loop turn, so the
first page shows at once and the window never waits for a count.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QTimer

from annotator.core.model import ACCEPTED, IN_PROGRESS, SKIPPED, TODO
from annotator.store.listing import ListQuery

FLAGGED = "flagged"
FILTERS: list[tuple[str, Any]] = [
    ("All documents", None), ("To review", (TODO, IN_PROGRESS)), ("To do", (TODO,)), ("In progress", (IN_PROGRESS,)),
    ("Accepted", (ACCEPTED,)), ("Skipped", (SKIPPED,)), ("Flagged", FLAGGED),
]
TO_REVIEW = (TODO, IN_PROGRESS)
COUNT_SLICE_S = 0.02  # one event-loop turn of counting a search at most
FIRST_COUNT_STEP = 2_000  # ids counted in the first slice (it shares the turn that paints the first page)


class DocumentListMixin:
    """Filtering, counting and stepping through the documents of the list."""

    def _init_document_list(self) -> None:
        self._count_timer = QTimer(self)
        self._count_timer.setInterval(0)
        self._count_timer.timeout.connect(self._count_some)
        self._counting: dict[str, Any] = {}
        self._assigned_to = self._own_file_owner()

    def _own_file_owner(self) -> str | None:
        """An annotator's assigned file lists only the documents assigned to its owner (see
        annotator.ops.assigning.visible_ids); a project file lists every document."""
        owner = self.store.owner()
        if owner is None or owner != self.annotator:
            return None
        from annotator.store import team

        return owner if team.assigned_ids(self.store, owner) else None

    def list_query(self) -> ListQuery:
        states = FILTERS[self.state_filter.currentIndex()][1]
        search = self.search.text().strip() or None
        if states == FLAGGED:
            return ListQuery(self.annotator, None, search, flagged=True, assigned_to=self._assigned_to)
        return ListQuery(self.annotator, states, search, assigned_to=self._assigned_to)

    def apply_filter(self) -> None:
        """Show the filter's first page at once; its size from the counters, or counted lazily."""
        query = self.list_query()
        self.doc_model.set_query(query)
        if self.view is not None:
            self._select_list_row(self.view.document.id)
        self._count_timer.stop()
        total = self.doc_model.listing.count(query)
        if total is not None:
            self._show_count(total, final=True)
        elif self.doc_model.is_complete():
            self._show_count(self.doc_model.rowCount(), final=True)
        else:
            self._counting = {"query": query, "after": 0, "upto": self.doc_model.listing.max_id(), "found": 0,
                              "step": FIRST_COUNT_STEP}
            self._show_count(0, final=False)
            self._count_timer.start()
        self._update_progress()

    def _count_some(self) -> None:
        """Count a slice of the ids for the current search; adapt the slice to ~20 ms."""
        state = self._counting
        if not state or state["query"] != self.doc_model.query:
            self._count_timer.stop()
            return
        started = time.perf_counter()
        upto = min(state["upto"], state["after"] + state["step"])
        state["found"] += self.doc_model.listing.count_range(state["query"], state["after"], upto)
        state["after"] = upto
        spent = time.perf_counter() - started
        state["step"] = max(1_000, min(1_000_000, int(state["step"] * COUNT_SLICE_S / max(spent, 1e-4))))
        done = state["after"] >= state["upto"]
        self._show_count(state["found"], final=done)
        if done:
            self._count_timer.stop()

    def _show_count(self, n: int, *, final: bool) -> None:
        noun = "document" if n == 1 else "documents"
        self.list_count.setText(f"{n:,} {noun}" if final else f"counting… {n:,}+ {noun}")
        self.show_find_status()

    def _select_list_row(self, document_id: int) -> None:
        row = self.doc_model.reach(document_id)
        if row is None:
            self.doc_table.clearSelection()
            return
        index = self.doc_model.index(row, 0)
        self._moving_selection = True  # the view must see the change (no blockSignals), we must not react
        try:
            self.doc_table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        finally:
            self._moving_selection = False
        self.doc_table.scrollTo(index)

    def _list_row_changed(self, current: Any, _previous: Any) -> None:
        if current.isValid() and not self._moving_selection:
            self.show_document(self.doc_model.document_id(current.row()))

    def _update_progress(self) -> None:
        listing = self.doc_model.listing
        accepted = listing.state_counts(self.annotator).get(ACCEPTED, 0)
        self.progress_status.setText(f"{accepted:,} / {listing.document_count():,} accepted")

    def step_document(self, delta: int) -> None:
        """The next (or previous) document of the list (loading the next page when needed)."""
        model = self.doc_model
        row = model.row_of(self.view.document.id) if self.view else None
        if row is None:
            if model.rowCount() == 0:
                return
            target = 0
        else:
            target = row + delta
            if target >= model.rowCount() and model.canFetchMore():
                model.fetchMore()
            target = max(0, min(model.rowCount() - 1, target))
        self.show_document(model.document_id(target))

    def next_to_review(self, after: int) -> int | None:
        """The first document after ``after`` (wrapping) this annotator has to review."""
        return self.doc_model.listing.next_id(ListQuery(self.annotator, TO_REVIEW, assigned_to=self._assigned_to),
                                              after)

    def open_initial_document(self) -> None:
        """The document this database had open last time, else the first one still to review."""
        last = self.settings.value(self._last_document_key())
        last_id = self.store.document_id_by_hash(last) if isinstance(last, str) and last else None
        if last_id is not None:
            self.show_document(last_id)
            return
        nxt = self.next_to_review(0) or self.doc_model.listing.next_id(
            ListQuery(self.annotator, assigned_to=self._assigned_to), 0)
        if nxt is not None:
            self.show_document(nxt)

    def _last_document_key(self) -> str:
        """Where the last document of *this* database is remembered (by project id and file)."""
        import hashlib

        where = hashlib.sha1(str(self.store.path.resolve()).encode("utf-8", "replace")).hexdigest()[:12]
        return f"last_document/{self.store.project_id() or 'none'}-{where}"
