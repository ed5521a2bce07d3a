"""Review → Adjudicate: the window as the adjudicator's, on the final gold (``@final``).

A mixin of MainWindow (before ReferenceMixin, ListOrderMixin, DocumentListMixin and
EditingMixin). In the mode the document list is the adjudication queue (documents two or
more annotators accepted, most disagreement first, computed off the GUI thread), the left
pane shows every annotator's spans with who has each (the "All annotators" reference) and
the right pane is the final gold, created from the agreed spans when a document is first
opened. The window's annotator *is* the final layer while the mode lasts, so labels,
boundaries, boilerplate, undo and redo are the reviewer's own code paths writing to
``@final``; accepting goes through :func:`annotator.ops.adjudication.accept`, which records
the adjudicator. Alt+n takes the span at the cursor from annotator n, Alt+Shift+n all of
annotator n's spans, Alt+A every agreed span. Leaving the mode returns to normal review.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar

from annotator.core.model import ACCEPTED, SKIPPED, TODO
from annotator.core.render import candidate_captions, render
from annotator.core.spans import Span
from annotator.core.team import FINAL
from annotator.gui.background import BackgroundRunner
from annotator.ops import documents
from annotator.ops import gold_edits as actions
from annotator.ops import reference as refs
from annotator.store import Store

if TYPE_CHECKING:  # the adjudication code (agreement, merging, team stores) loads when the mode is first used
    from annotator.core import adjudication as core
    from annotator.ops import adjudication

MAX_ANNOTATORS = 9
CAPTIONS_KEPT = 3
PREFETCH_DELAY_MS = 400  # after an open: the window has painted and answered the keys in flight


def prefetch_task(path: Any, document_id: int) -> Any:
    """A background task: the next document's layers and candidates, read ahead on its own connection
    (kept in the window's cache under the document's stamp, so a change meanwhile makes it unused)."""

    def task(progress: Any) -> tuple[Any, adjudication.ReadCandidates]:
        from annotator.ops import adjudication

        progress.start("Reading the next document of the adjudication queue", None)
        with Store.open(path, create=False) as store:
            return path, adjudication.read_candidates(store, document_id)

    return task


def queue_task(path: Any) -> Any:
    """A background task: the adjudication queue as [(document id, disputed spans, final state)]."""

    def task(progress: Any) -> list[tuple[int, int, str]]:
        from annotator.ops import adjudication

        progress.start("Reading the adjudication queue", None)
        with Store.open(path, create=False) as store:
            return [(e.document_id, e.disagreement.disputed, e.state) for e in adjudication.queue(store)]

    return task


class AdjudicationMixin:
    """The adjudication mode of the main window."""

    adjudicating = False
    adjudication_view: adjudication.AdjudicationView | None = None
    _candidate_cache: adjudication.CandidateCache | None = None  # while the mode lasts
    # the left pane's tags of the last few candidate lists (those of the documents the cache keeps)
    _captions: dict[int, tuple[list[core.Candidate], tuple[str, ...], list[str | None]]] | None = None
    _prefetch_runner: BackgroundRunner | None = None
    _prefetch_timer: QTimer | None = None

    def _build_adjudication(self, bar: QMenuBar) -> None:
        """The Review menu: Adjudicate and the take keys (enabled in the mode only)."""
        menu = QMenu("&Review", self)
        bar.addMenu(menu)
        self.adjudicate_action = QAction("&Adjudicate", self)
        self.adjudicate_action.setObjectName("adjudicate")
        self.adjudicate_action.setCheckable(True)
        self.adjudicate_action.setShortcut(QKeySequence("F9"))
        self.adjudicate_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.adjudicate_action.triggered.connect(self._adjudicate_toggled)
        self.addAction(self.adjudicate_action)
        menu.addAction(self.adjudicate_action)
        menu.addSeparator()
        self.take_actions: list[QAction] = []
        take_one = menu.addMenu("Take the span at the cursor from")
        take_all = menu.addMenu("Take all spans of")
        for k in range(1, MAX_ANNOTATORS + 1):
            for all_of, sub, key in ((False, take_one, f"Alt+{k}"), (True, take_all, f"Alt+Shift+{k}")):
                action = QAction(f"Annotator {k}", self)
                action.setObjectName(f"take_{'all_' if all_of else ''}{k}")
                action.setShortcut(QKeySequence(key))
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                action.triggered.connect(lambda _c=False, k=k, all_of=all_of: self.take_from(k, everything=all_of))
                self.addAction(action)
                sub.addAction(action)
                self.take_actions.append(action)
        agreed = QAction("Take every &agreed span", self)
        agreed.setObjectName("take_agreed")
        agreed.setShortcut(QKeySequence("Alt+A"))
        agreed.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        agreed.triggered.connect(self.take_agreed)
        self.addAction(agreed)
        menu.addAction(agreed)
        self.take_actions.append(agreed)
        self._enable_take(False)

    def _enable_take(self, on: bool) -> None:
        for action in self.take_actions:
            action.setEnabled(on)

    # -- entering and leaving -------------------------------------------------------------
    def _adjudicate_toggled(self, checked: bool) -> None:
        if checked and not self.adjudicating:
            self.adjudicate_action.setChecked(False)  # checked once the queue is there
            if self.start_order(queue_task(self.store.path), self._queue_ready):
                self.list_count.setText("reading the adjudication queue…")
        elif not checked and self.adjudicating:
            self.leave_adjudication()

    def _queue_ready(self, entries: list[tuple[int, int, str]]) -> None:
        if not entries:
            self.list_count.setText("")
            self.apply_filter()
            self.statusBar().showMessage("Nothing to adjudicate: no document has two or more annotators' accepted "
                                         "gold (assign with --overlap, then merge the annotators' files).", 10000)
            return
        self._review_annotator, self._review_document = self.annotator, (
            self.view.document.id if self.view is not None else None)
        self.adjudicating = True
        self.annotator = FINAL
        self.committee_action.setChecked(False)  # the queue replaces any other order
        self.committee_action.setEnabled(False)
        self.adjudicate_action.setChecked(True)
        self.undo_stack.clear()
        self.state_filter.setEnabled(False)
        self.search.setEnabled(False)
        self.gold_title.setText(f"Final gold — adjudicated by {self._review_annotator}")
        self.fill_references(refs.Reference(refs.ALL))
        self._enable_take(True)
        done = sum(1 for _d, _n, state in entries if state == ACCEPTED)
        self.show_ordered("adjudication", FINAL, [doc for doc, _n, _s in entries],
                          f"To adjudicate: {len(entries):,}, most disagreement first ({done:,} done)",
                          {doc: n for doc, n, _s in entries}, "Disputed")
        first = next((doc for doc, _n, state in entries if state != ACCEPTED), entries[0][0])
        self.show_document(first)
        if self.view is None or self.view.document.id != first or self.adjudication_view is None:
            self.leave_adjudication()  # it could not be opened (it said why): never edit @final on another view
            return
        self.gold_view.setFocus()

    def leave_adjudication(self) -> None:
        """Back to normal review: the reviewer's own gold, list and reference."""
        self.adjudicating = False
        self.adjudication_view = None
        self._candidate_cache = None
        self._captions = None
        self._stop_prefetch(wait=False)
        self.annotator = self._review_annotator
        self.adjudicate_action.setChecked(False)
        self._enable_take(False)
        self.undo_stack.clear()
        self.list_order = None
        self.committee_action.setEnabled(True)
        self.state_filter.setEnabled(True)
        self.search.setEnabled(True)
        self.gold_title.setText("Gold — your corrections")
        self.fill_references(refs.Reference(refs.MODEL))
        self.apply_filter()
        back = self._review_document if self._review_document is not None else (
            self.view.document.id if self.view is not None else None)
        if back is not None:
            self.show_document(back)
        self.gold_view.setFocus()

    # -- what the window reads --------------------------------------------------------------
    def _read_view(self, document_id: int) -> documents.ReviewView:
        """The open document as the window shows it: the reviewer's, or in the mode the final gold."""
        if not self.adjudicating:
            return documents.open_document(self.store, document_id, self.annotator)
        from annotator.ops import adjudication

        if self._candidate_cache is None:
            self._candidate_cache = adjudication.CandidateCache()
        # Opening writes nothing, as in review: the final gold shown is what it starts as (the
        # agreed spans) until the first edit creates it (see _edit).
        found = adjudication.open_adjudication(self.store, document_id, self._review_annotator, start=False,
                                               cache=self._candidate_cache)
        self.adjudication_view = found
        self._schedule_prefetch()
        prediction = self.store.prediction(document_id, with_tokens=False)  # for the "Model" reference
        review = self.store.review(document_id, FINAL)
        return documents.ReviewView(
            found.document, prediction.spans if prediction else [],
            f"{prediction.pipeline} {prediction.version}" if prediction else None, list(found.final),
            list(found.final_boilerplate), review, review.state != TODO)

    def _starting_layers(self, view: documents.ReviewView) -> tuple[list[Span], list[Any]]:
        """In the mode, a final gold not started shows what it starts as: the agreed spans and boilerplate."""
        a = self.adjudication_view
        if not self.adjudicating or a is None or a.document.id != view.document.id:
            return super()._starting_layers(view)  # type: ignore[misc]
        from annotator.core import adjudication as core

        return [c.span for c in a.candidates if c.status == core.AGREED], core.agreed_boilerplate(a.layers)

    def _edit(self, description: str, action: Any, document_ids: list[int] | None = None) -> Any:
        """In the mode, the first edit of a document first creates its final gold from the agreed
        spans, in the same transaction (undo takes both back, as a reviewer's first edit)."""
        if self.adjudicating and self.view is not None and not self.view.started:
            doc_id, who, edit = self.view.document.id, self._review_annotator, action
            from annotator.ops import adjudication

            def action() -> Any:
                with self.store.transaction():
                    adjudication.start_adjudication(self.store, doc_id, who, cache=self._candidate_cache)
                    return edit()
        return super()._edit(description, action, document_ids)  # type: ignore[misc]

    # -- reading the next document ahead ---------------------------------------------------
    def _schedule_prefetch(self) -> None:
        if self._prefetch_timer is None:
            self._prefetch_timer = QTimer(self)  # type: ignore[arg-type]
            self._prefetch_timer.setSingleShot(True)
            self._prefetch_timer.timeout.connect(self._prefetch_next)
        self._prefetch_timer.start(PREFETCH_DELAY_MS)  # (re)started: flipping through documents reads nothing ahead

    def _prefetch_next(self) -> None:
        """Read the layers and candidates of the next document to adjudicate in the worker thread,
        so that Ctrl+Enter (accept, open the next) finds them in the cache."""
        cache = self._candidate_cache
        if not self.adjudicating or self.view is None or cache is None:
            return
        if self._prefetch_runner is None:
            self._prefetch_runner = BackgroundRunner(self)  # type: ignore[arg-type]
            self._prefetch_runner.succeeded.connect(self._prefetched)
            self._prefetch_runner.failed.connect(self._prefetch_failed)
        if self._prefetch_runner.running:
            return
        nxt = self.next_to_review(self.view.document.id)
        if nxt is None or cache.has(self.store, nxt):
            return
        self._prefetch_runner.start(prefetch_task(self.store.path, nxt))

    def _prefetched(self, value: Any) -> None:
        path, read = value
        if self.adjudicating and self._candidate_cache is not None and path == self.store.path:
            self._candidate_cache.keep(path, read)

    def _prefetch_failed(self, exc: Any) -> None:
        """Nothing is lost (the document is read when it opens, which reports any real problem); said."""
        self.statusBar().showMessage(f"Could not read the next document ahead ({exc}); it is read when opened.", 5000)

    def _stop_prefetch(self, *, wait: bool) -> None:
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        if self._prefetch_runner is not None:
            if wait:
                self._prefetch_runner.stop()
            else:
                self._prefetch_runner.cancel()

    def shutdown_reference(self) -> None:
        """Before the window goes: the read-ahead worker too."""
        self._stop_prefetch(wait=True)
        super().shutdown_reference()  # type: ignore[misc]

    def _render_reference(self) -> Any:
        """The left pane in the mode: the candidates rendered with their tags in one pass, the tags
        computed once per document's candidates (they depend on nothing the adjudicator edits)."""
        a, v, info = self.adjudication_view, self.view, self.reference_info
        if (not self.adjudicating or a is None or v is None or info is None or not info.candidates
                or info.candidates is not a.candidates):
            return super()._render_reference()  # type: ignore[misc]
        if self._captions is None:
            self._captions = {}
        memo = self._captions.get(id(a.candidates))  # the entry holds the list: its id is not reused meanwhile
        if memo is None or memo[0] is not a.candidates or memo[1] != a.annotators:
            memo = (a.candidates, a.annotators, candidate_captions(a.candidates, a.annotators))
            self._captions[id(a.candidates)] = memo
            while len(self._captions) > CAPTIONS_KEPT:
                del self._captions[next(iter(self._captions))]  # the oldest
        return render(info.spans, v.gold, v.boilerplate, self.labels, gold_side=False, captions=memo[2])

    def _adjudication_status(self) -> None:
        v, a = self.view, self.adjudication_view
        if v is None or a is None:
            self.doc_status.setText("No document open")
            return
        state = {ACCEPTED: "accepted", SKIPPED: "skipped", TODO: "not started"}.get(v.review.state, "in progress")
        numbered = ", ".join(f"{i} {name}" for i, name in enumerate(a.annotators, 1))
        from annotator.core import adjudication as core

        counts = Counter(c.status for c in a.candidates)  # one pass over thousands
        essentials = f"{v.document.source} · final gold {state}, {len(v.gold)} spans · {numbered}"
        self.doc_status.set_text(
            f"{essentials} · {counts[core.AGREED]} agreed, {counts[core.PARTIAL]} by some, "
            f"{counts[core.CONFLICT]} in conflict", keep=essentials)
        self.doc_status.setToolTip("Alt+n takes annotator n's span at the cursor, Alt+Shift+n all of theirs, "
                                   "Alt+A every agreed span; Ctrl+Enter accepts the final gold")

    def _update_progress(self) -> None:
        if not self.adjudicating:
            super()._update_progress()  # type: ignore[misc]
            return
        accepted = self.doc_model.listing.state_counts(FINAL).get(ACCEPTED, 0)
        self.progress_status.setText(f"{accepted:,} adjudicated · {self.doc_model.rowCount():,} in the queue")

    # -- taking spans -----------------------------------------------------------------------
    def _cursor_range(self) -> tuple[int, int]:
        view = self.model_view if self.model_view.hasFocus() else self.gold_view
        return view.selection()

    def take_from(self, k: int, *, everything: bool = False) -> None:
        """Alt+k: annotator k's span(s) at the cursor into the final gold; with ``everything`` all of theirs."""
        a = self.adjudication_view
        if not self.adjudicating or a is None or self.view is None:
            return
        if k > len(a.annotators):
            self.statusBar().showMessage(f"This document has {len(a.annotators)} annotators; there is no {k}.", 5000)
            return
        name = a.annotators[k - 1]
        theirs = [c.span for c in a.candidates if name in c.holders]
        if everything:
            self._take(theirs, f"Take all of {name}'s spans")
            return
        start, end = self._cursor_range()
        if start < end:
            hit = [s for s in theirs if s.start < end and start < s.end]
        else:
            hit = [s for s in theirs if s.start <= start < s.end] or [s for s in theirs if s.end == start]
        if not hit:
            self.statusBar().showMessage(f"{name} has no span at the cursor.", 5000)
            return
        self._take(hit, f"Take {name}'s " + (f"“{self.view.document.text[hit[0].start:hit[0].end]}”"
                                               if len(hit) == 1 else f"{len(hit)} spans"))

    def take_agreed(self) -> None:
        """Alt+A: every span all annotators agree on."""
        a = self.adjudication_view
        if not self.adjudicating or a is None:
            return
        from annotator.core import adjudication as core

        self._take(core.agreed_spans(a.layers), "Take every agreed span")

    def _take(self, spans: list[Span], description: str) -> None:
        from annotator.core import adjudication as core

        assert self.view is not None
        removed, added = core.take(self.view.gold, spans)
        if not removed and not added:
            self.statusBar().showMessage("Already in the final gold; nothing changed.", 5000)
            return
        if self._edit_spans(description, removed, added) and len(added) == 1:
            self.gold_view.select_range(added[0].start, added[0].end)

    def label_occurrences(self, *args: Any, **kwargs: Any) -> None:
        """Relabelling every occurrence reaches other documents' final gold: not while adjudicating."""
        if self.adjudicating:
            self.statusBar().showMessage("Relabelling every occurrence works in normal review, not while "
                                         "adjudicating: take or relabel the spans of this document.", 8000)
            return
        super().label_occurrences(*args, **kwargs)  # type: ignore[misc]

    # -- accepting ----------------------------------------------------------------------------
    def finish_document(self, state: str) -> None:
        """Ctrl+Enter in the mode accepts the final gold (as the adjudicator) and opens the next in the queue."""
        if not self.adjudicating:
            super().finish_document(state)  # type: ignore[misc]
            return
        if self.view is None:
            return
        doc_id, who = self.view.document.id, self._review_annotator
        if state == ACCEPTED:
            from annotator.ops import adjudication

            action = lambda: adjudication.accept(self.store, doc_id, who) or True  # noqa: E731
        else:
            action = lambda: actions.set_state(self.store, doc_id, FINAL, state) or True  # noqa: E731
        verb = "Accept" if state == ACCEPTED else "Skip"
        if self._edit(f"{verb} the final gold of {self.view.document.source}", action) is None:
            return
        if state == ACCEPTED:
            self.keep_accepted_score(doc_id)  # type: ignore[attr-defined]  # its evaluation score, in the background
        nxt = self.next_to_review(doc_id)
        if nxt is None:
            self.statusBar().showMessage("Every document of the adjudication queue is adjudicated.", 8000)
            return
        self.show_document(nxt)
