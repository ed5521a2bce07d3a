"""The window's editing actions: each calls one core action and pushes one undo command.

A mixin of MainWindow (it uses the window's store, view, panes and undo stack); kept apart so
each module stays readable.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from annotator.core.errors import AnnotatorError, BusyError, StoreError
from annotator.core.model import ACCEPTED, TODO
from annotator.core.spans import Range, Span, merge_ranges
from annotator.core.tokens import Tokens
from annotator.gui.commands import BoilerplateCommand, DismissCommand, SnapshotCommand, SpanChangeCommand
from annotator.gui.dialogs import ask_retry, show_error
from annotator.ops import gold_edits as actions
from annotator.ops import documents, suggestions


class EditingMixin:
    """Label, relabel, resize, delete, boilerplate, relabel every occurrence, accept and skip."""

    def _attempt(self, action: Callable[[], Any]) -> tuple[bool, Any]:
        """Run a database action; (True, result), or (False, None) when it was refused.

        When another process holds the write lock longer than the window waits, the reviewer
        may retry; the document, the selection and the undo history stay as they were.
        """
        while True:
            try:
                return True, action()
            except BusyError as exc:
                if ask_retry(self, exc.message):
                    continue
                self._refused(exc, dialog=False)
                return False, None
            except AnnotatorError as exc:
                self._refused(exc)
                return False, None

    def _edit(self, description: str, action: Callable[[], Any], document_ids: list[int] | None = None) -> Any:
        """Run one core action with undo snapshots around it; refused actions change nothing."""
        if self.view is None:
            return None
        current = self.view.document.id
        ids = document_ids or [current]

        def run() -> tuple[list[documents.Snapshot], Any, list[documents.Snapshot]]:
            before = [self._current_snapshot() if i == current else documents.snapshot(self.store, i, self.annotator)
                      for i in ids]
            result = action()
            return before, result, [documents.snapshot(self.store, i, self.annotator) for i in ids]

        ok, done = self._attempt(run)
        if not ok:
            return None
        before, result, after = done
        self.undo_stack.push(SnapshotCommand(description, self.store, self.annotator, before, after, self._undone))
        self.refresh(next((a for a in after if a.document_id == current), None))
        return result

    def _edit_spans(self, description: str, removed: list[Span], added: list[Span]) -> bool:
        """Remove and add gold spans in the open document as one undoable step."""
        if self.view is None:
            return False
        doc_id = self.view.document.id
        if not self.view.started:  # the first edit also starts the review: undo must take both back
            return self._edit(description, lambda: actions.change_spans(
                self.store, doc_id, self.annotator, remove=removed, add=added, labels=self.labels.names,
                action="edit_spans") or True) is not None
        ok, _ = self._attempt(lambda: actions.change_spans(self.store, doc_id, self.annotator, remove=removed,
                                                           add=added, labels=self.labels.names, action="edit_spans"))
        if not ok:
            return False
        self.undo_stack.push(SpanChangeCommand(description, self.store, self.annotator, doc_id, removed, added,
                                               self.labels.names, self._span_delta))
        self._span_delta(doc_id, removed, added)
        return True

    def _edit_boilerplate(self, description: str, action: Callable[[], list[Range]]) -> bool:
        if self.view is None:
            return False
        doc_id = self.view.document.id
        if not self.view.started:  # the first edit also starts the review: undo must take both back
            return self._edit(description, action) is not None
        before = list(self.view.boilerplate)
        ok, after = self._attempt(action)
        if not ok:
            return False
        self.undo_stack.push(BoilerplateCommand(description, self.store, self.annotator, doc_id, before, after,
                                                self._boilerplate_changed))
        self._boilerplate_changed(doc_id, after)
        return True

    def undo(self) -> None:
        self._step_history(forward=False)

    def redo(self) -> None:
        self._step_history(forward=True)

    def _step_history(self, forward: bool) -> None:
        """Undo or redo through the stack; a refused step leaves stack and database as they were."""
        stack = self.undo_stack
        while stack.canRedo() if forward else stack.canUndo():
            command = stack.command(stack.index() if forward else stack.index() - 1)
            stack.redo() if forward else stack.undo()
            error = getattr(command, "error", None)
            if error is None:
                return
            command.skip_next()  # move the stack back without touching the database
            stack.undo() if forward else stack.redo()
            if isinstance(error, BusyError) and ask_retry(self, error.message):
                continue
            self._refused(error, dialog=not isinstance(error, BusyError))
            return

    def _refused(self, exc: AnnotatorError, dialog: bool = True) -> None:
        self.statusBar().showMessage(f"Not done: {exc.message}", 8000)
        if dialog and isinstance(exc, StoreError):
            show_error(self, "Could not save", f"{exc}\n\nThe edit was not applied; nothing was lost.")
        self.refresh()
        self.return_focus()

    def _span_delta(self, document_id: int, removed: list[Span], added: list[Span]) -> None:
        """Apply a span change that the database already has to the open document's view."""
        self.doc_model.refresh_document(document_id)
        if self.view is None or self.view.document.id != document_id:
            self.show_document(document_id)
            return
        gone = set(removed)
        gold = sorted([s for s in self.view.gold if s not in gone] + added)
        self._show_changes(replace(self.view, gold=gold), [Range(s.start, s.end) for s in (*removed, *added)])

    def _boilerplate_changed(self, document_id: int, ranges: list[Range]) -> None:
        self.doc_model.refresh_document(document_id)
        if self.view is None or self.view.document.id != document_id:
            self.show_document(document_id)
            return
        changed = list(set(self.view.boilerplate) ^ set(ranges))
        self._show_changes(replace(self.view, boilerplate=list(ranges)), changed)

    def _show_changes(self, new_view: documents.ReviewView, changed: list[Range]) -> None:
        v = self.view = replace(new_view, review=self.store.review(new_view.document.id, self.annotator))
        self._repaint_panes(changed)  # annotator.gui.reference: against whatever the reference pane shows
        self.span_model.set_spans(v.document.text, v.gold)
        self._sync_span_table()
        self._update_status()

    def _starting_layers(self, view: documents.ReviewView) -> tuple[list[Span], list[Range]]:
        """What a document never edited shows as gold and boilerplate: the model's spans, nothing marked."""
        return list(view.model_spans), []

    def _current_snapshot(self) -> documents.Snapshot:
        """The open document's state as the window holds it (it mirrors the database): never
        edited by this annotator, or their gold, boilerplate and own review state."""
        v = self.view
        assert v is not None
        if not v.started:
            return documents.Snapshot(v.document.id, (), (), TODO, None)
        return documents.Snapshot(v.document.id, tuple(v.gold), tuple(v.boilerplate), v.review.state, v.review.annotator)

    def _undone(self, document_ids: list[int], _is_undo: bool) -> None:
        for doc_id in document_ids:
            self.doc_model.refresh_document(doc_id)
            if self.store.review(doc_id, self.annotator).state == ACCEPTED:  # accepted again (a redone accept,
                self.keep_accepted_score(doc_id)  # type: ignore[attr-defined]  # an undone edit): keep its score
        if self.view is not None and self.view.document.id in document_ids:
            self.refresh()
        elif document_ids:
            self.show_document(document_ids[0])

    def _tokenize(self, text: str) -> Tokens:
        if self._tokenizer is None:
            from annotator.pipeline import tokenizer_for

            self._tokenizer = tokenizer_for(self.model_name)
        return Tokens.from_doc(self._tokenizer(text))

    def _tokens(self) -> Tokens:
        assert self.view is not None
        return self.store.tokens(self.view.document.id) or self._tokenize(self.view.document.text)

    def span_at_cursor(self) -> Span | None:
        """The gold span the selection is exactly, or the cursor is in (or just after)."""
        if self.view is None or not self.view.gold:
            return None
        gold = self.view.gold  # sorted and non-overlapping: bisect, this runs on every cursor move
        start, end = self.gold_view.selection()
        k = bisect_right(gold, (start, float("inf"))) - 1
        if start < end:
            return gold[k] if k >= 0 and (gold[k].start, gold[k].end) == (start, end) else None
        if k >= 0 and start < gold[k].end:
            return gold[k]
        if k >= 0 and gold[k].end == start:  # just after a span's last character still means that span
            return gold[k]
        return None

    def apply_label(self, label: str) -> None:
        if self.view is None:
            return
        doc_id = self.view.document.id
        start, end = self.gold_view.selection()
        current = self.span_at_cursor()
        if start < end and (current is None or (current.start, current.end) != (start, end)):
            snapped = actions.snap_selection(self.store, doc_id, start, end, self._tokenize)
            if snapped is None:
                self.statusBar().showMessage("The selection holds no whole token; nothing labelled.", 5000)
                return
            span = Span(snapped[0], snapped[1], label, "human")
            replaced = [s for s in self.view.gold if s.start < span.end and span.start < s.end]
            done = self._edit_spans(f"Label “{self.view.document.text[span.start:span.end]}” as {label}", replaced, [span])
        elif current is not None:
            if current.label == label:
                return
            span = Span(current.start, current.end, label, "human")
            done = self._edit_spans(f"Relabel “{self.view.document.text[span.start:span.end]}” as {label}", [current], [span])
        else:
            self.statusBar().showMessage("Select some text, or put the cursor on a span, then press a label key.", 5000)
            return
        if done:
            self.last_label = label
            self.gold_view.select_range(span.start, span.end)

    def delete_spans(self) -> None:
        if self.view is None:
            return
        start, end = self.gold_view.selection()
        doomed = [s for s in self.view.gold if s.start < end and start < s.end] if start < end else []
        current = self.span_at_cursor()
        if not doomed and current is not None:
            doomed = [current]
        if not doomed:
            return
        self._edit_spans(f"Delete {len(doomed)} span(s)", doomed, [])
        self.gold_view.place_cursor(start)

    def select_neighbour_span(self, forward: bool) -> None:
        if self.view is None or not self.view.gold:
            return
        current = self.span_at_cursor()
        pos = self.gold_view.cursor_offset()
        spans = self.view.gold
        if forward:
            after = [s for s in spans if s.start > (current.start if current else pos - 1)]
            target = after[0] if after else spans[0]
        else:
            before = [s for s in spans if s.start < (current.start if current else pos)]
            target = before[-1] if before else spans[-1]
        self.gold_view.select_range(target.start, target.end)

    def move_edge(self, edge: str, step: int) -> None:
        span = self.span_at_cursor()
        if self.view is None or span is None:
            self.statusBar().showMessage("Put the cursor on a span first (Tab selects the next one).", 5000)
            return
        moved = self._tokens().move_edge(span.start, span.end, edge, step, self.view.document.text)
        if moved is None:
            return
        new_start, new_end = moved
        new = Span(new_start, new_end, span.label, "human")
        if self._edit_spans(f"Resize {span.label} span", [span], [new]):
            self.gold_view.select_range(new.start, new.end)

    def _selection_or_line(self) -> tuple[int, int]:
        start, end = self.gold_view.selection()
        if start < end:
            return start, end
        block = self.gold_view.textCursor().block()
        m = self.gold_view.offset_map
        return m.from_qt(block.position()), m.from_qt(block.position() + block.length() - 1)

    def mark_boilerplate(self) -> None:
        if self.view is None:
            return
        start, end = self._selection_or_line()
        if start >= end:
            return
        doc_id = self.view.document.id
        self._edit_boilerplate("Mark boilerplate", lambda: actions.mark_boilerplate(self.store, doc_id, self.annotator, start, end))

    def unmark_boilerplate(self) -> None:
        if self.view is None:
            return
        start, end = self.gold_view.selection()
        if start == end:  # the range the cursor is in (or just after: the very end of the text counts)
            hit = [r for r in self.view.boilerplate if r.start <= start < r.end or r.end == start]
            if not hit:
                self.statusBar().showMessage("The cursor is not in boilerplate; nothing to unmark.", 5000)
                return
            start, end = hit[-1].start, hit[-1].end
        elif not any(r.start < end and start < r.end for r in self.view.boilerplate):
            self.statusBar().showMessage("The selection holds no boilerplate; nothing to unmark.", 5000)
            return
        doc_id = self.view.document.id
        self._edit_boilerplate("Unmark boilerplate",
                               lambda: actions.unmark_boilerplate(self.store, doc_id, self.annotator, start, end))

    def accept_suggestions(self) -> None:
        """Ctrl+B: mark the heuristic's boilerplate suggestions; says so only when something changed."""
        if self.view is None:
            return
        found = list(self.suggestions)
        if not found:
            self.statusBar().showMessage("No boilerplate suggestions for this document.", 5000)
            return
        current = merge_ranges(self.view.boilerplate)
        if merge_ranges([*current, *(s.as_range() for s in found)]) == current:
            self.statusBar().showMessage(f"All {len(found)} suggestion(s) are marked already; nothing changed.", 5000)
            return
        doc_id = self.view.document.id
        if self._edit_boilerplate(f"Accept {len(found)} boilerplate suggestion(s)",
                                  lambda: suggestions.accept_suggestions(self.store, doc_id, self.annotator, found)):
            self.statusBar().showMessage(f"Marked {len(found)} boilerplate range(s): "
                                         + "; ".join(sorted({r for s in found for r in s.reasons})), 8000)

    def _suggestion_at_cursor(self) -> Any:
        """The offered (not yet marked) suggestion holding the cursor, or None (with a hint)."""
        if self.view is None:
            return None
        at = self.gold_view.cursor_offset()
        offered = self.gold_view.rendering.suggested
        for suggestion in self.suggestions:
            if suggestion.start <= at <= suggestion.end and suggestion.as_range() in offered:
                return suggestion
        self.statusBar().showMessage("The cursor is not in a boilerplate suggestion (hatched in the margin).", 5000)
        return None

    def accept_suggestion_at_cursor(self) -> None:
        """Alt+B: mark the suggestion at the cursor as boilerplate."""
        found = self._suggestion_at_cursor()
        if found is None:
            return
        doc_id = self.view.document.id
        if self._edit_boilerplate("Accept a boilerplate suggestion",
                                  lambda: suggestions.accept_suggestions(self.store, doc_id, self.annotator, [found])):
            self.statusBar().showMessage(f"Marked as boilerplate: {'; '.join(found.reasons)}", 6000)

    def dismiss_suggestion_at_cursor(self) -> None:
        """Alt+Shift+B: stop offering the suggestion at the cursor for this document (undoable)."""
        found = self._suggestion_at_cursor()
        if found is None:
            return
        doc_id = self.view.document.id
        ok, _ = self._attempt(lambda: suggestions.dismiss_suggestion(self.store, doc_id, self.annotator, found))
        if not ok:
            return
        self.undo_stack.push(DismissCommand("Dismiss a boilerplate suggestion", self.store, self.annotator, doc_id,
                                            found, self._suggestions_changed))
        self._suggestions_changed(doc_id)
        self.statusBar().showMessage("Suggestion dismissed; it is not offered again for this document.", 6000)

    def _suggestions_changed(self, document_id: int) -> None:
        if self.view is None or self.view.document.id != document_id:
            self.show_document(document_id)
            return
        self.suggestions = suggestions.open_suggestions(self.store, document_id, self.annotator,
                                                        self.view.document.text)
        self.gold_view.update_rendering(self._render(gold_side=True))
        self._update_status()

    def relabel_all(self) -> None:
        """Ctrl+R: relabel every occurrence of the current span's text (the preview lists them)."""
        span = self.span_at_cursor()
        if self.view is None or span is None:
            self.statusBar().showMessage("Put the cursor on a span first.", 5000)
            return
        surface = self.view.document.text[span.start:span.end]
        self.label_occurrences(surface, self._relabel_default(span, surface), corpus=False, case_sensitive=True,
                               find_mode=False)

    def _relabel_default(self, span: Any, surface: str) -> str:
        """The label Ctrl+R offers: the last one applied if it differs from the span's; the span's own
        if the reviewer gave it (to spread it); else, for a span as the model left it, the label this
        text has most often elsewhere in the document's gold (a "Mali" left PERSON where others are
        GPE); else the span's own."""
        if self.last_label and self.last_label != span.label:
            return self.last_label
        if span.origin != "model":
            return span.label
        text = self.view.document.text
        others = Counter(s.label for s in self.view.gold
                         if s.label != span.label and text[s.start:s.end] == surface)
        return others.most_common(1)[0][0] if others else span.label

    def label_all_hits(self) -> None:
        """Label every hit of the search in the corpus (as one undoable step)."""
        needle = self.search.text().strip()
        if self.view is None or not needle:
            self.statusBar().showMessage("Type what to find first (Ctrl+F).", 5000)
            return
        self.label_occurrences(needle, self.last_label or self.labels.names[0], corpus=True, case_sensitive=False,
                               find_mode=True)

    def label_occurrences(self, needle: str, label: str, *, corpus: bool, case_sensitive: bool,
                          find_mode: bool) -> None:
        from annotator.gui.occurrences_view import BulkCommand, OccurrencesDialog, run_with_progress
        from annotator.ops import occurrences

        assert self.view is not None
        dialog = OccurrencesDialog(self.store.path, self.store, self.annotator, needle, label, self.labels,
                                   self.view.document.id, corpus=corpus, case_sensitive=case_sensitive,
                                   find_mode=find_mode, parent=self)
        accepted = dialog.exec() == OccurrencesDialog.DialogCode.Accepted
        self.return_focus()
        if not accepted:
            return
        label, model, summary = dialog.label, dialog.model, dialog.summary
        documents = summary.documents if summary else 0
        description = (f"Label every hit of “{needle}” as {label}" if find_mode
                       else f"Relabel every “{needle}” as {label}")
        ok, result = run_with_progress(self, self.store.path, "Labelling…", documents, lambda store, progress: (
            progress.start("Labelling", documents),
            occurrences.apply(store, self.annotator, label, model.included(), self.labels.names,
                              description=description, progress=progress))[1])
        if not ok:
            self.statusBar().showMessage(f"Not done: {result}", 8000)
            return
        self.undo_stack.push(BulkCommand(f"{description} ({result.relabelled + result.added} spans)", self,
                                         result.change_id, result.documents))
        self.after_bulk_change()
        self.statusBar().showMessage(
            f"Relabelled {result.relabelled} and added {result.added} “{needle}” span(s) in {result.documents} "
            "document(s).", 8000)

    def after_bulk_change(self) -> None:
        """A change across documents landed (or was undone): show it."""
        if self.view is not None:
            doc_id = self.view.document.id
            self.show_document(doc_id)
        self.doc_model.refresh_all()
        self._update_progress()

    def finish_document(self, state: str) -> None:
        if self.view is None:
            return
        doc_id = self.view.document.id
        verb = "Accept" if state == ACCEPTED else "Skip"
        if self._edit(f"{verb} {self.view.document.source}",
                      lambda: actions.set_state(self.store, doc_id, self.annotator, state) or True) is None:
            return
        if state == ACCEPTED:
            self.keep_accepted_score(doc_id)  # type: ignore[attr-defined]  # its evaluation score, in the background
        nxt = self.next_to_review(doc_id)
        if nxt is None:
            self.statusBar().showMessage("Every document is reviewed.", 8000)
            return
        if not self.doc_model.listing.holds(self.doc_model.query, nxt):
            self.state_filter.setCurrentIndex(0)
            self.search.clear()
        self.show_document(nxt)
