"""The reviewer's main window: document list, model and gold side by side, labels, spans."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QItemSelectionModel, QSettings, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPixmap, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDockWidget, QHeaderView, QLabel, QLineEdit, QMainWindow, QMessageBox, QProgressDialog,
    QSplitter, QTableView, QToolButton, QVBoxLayout, QWidget, QGridLayout,
)

from annotator import __version__
from annotator.core.errors import AnnotatorError, StoreError
from annotator.core.model import ACCEPTED, IN_PROGRESS, SKIPPED, TODO
from annotator.core.render import render, rerender
from annotator.core.spans import Range, Span
from annotator.core.tokens import Tokens
from annotator.gui.commands import BoilerplateCommand, SnapshotCommand, SpanChangeCommand
from annotator.gui.dialogs import RelabelAllDialog, ShortcutsDialog, show_error
from annotator.gui.models import DocumentListModel, SpanTableModel
from annotator.gui.shortcuts import SHORTCUTS
from annotator.gui.text_view import AnnotatedTextView
from annotator.gui.workers import PrepareWorker, start_worker
from annotator.ops import review as actions
from annotator.ops import reviewing
from annotator.ops.labels import project_labels
from annotator.store import Store

FILTERS = [("All documents", None), ("To review", [TODO, IN_PROGRESS]), ("To do", [TODO]),
           ("In progress", [IN_PROGRESS]), ("Accepted", [ACCEPTED]), ("Skipped", [SKIPPED])]


def _swatch(color: str) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class MainWindow(QMainWindow):
    prepared = Signal()  # background import and pre-annotation ended (emitted in the GUI thread)

    def __init__(self, store: Store, *, model: str, annotator: str, settings: QSettings | None = None):
        super().__init__()
        self.store, self.model_name, self.annotator = store, model, annotator
        self.settings = settings or QSettings()
        self.labels = project_labels(store)
        self.undo_stack = QUndoStack(self)
        self.advisor = reviewing.BoilerplateAdvisor()
        self.view: reviewing.ReviewView | None = None
        self.preparing = False
        self._tokenizer: Any = None
        self._syncing = False
        self._moving_selection = False
        self._thread: QThread | None = None
        self._worker: PrepareWorker | None = None
        self._progress: QProgressDialog | None = None
        self.setWindowTitle(f"annotator — {store.path.name}")
        self._build_widgets()
        self._build_actions()
        self._restore_settings()
        self.apply_filter()

    # -- layout -------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.doc_model = DocumentListModel(self.store)
        self.doc_table = self._make_table("documentList", self.doc_model, [(1, 92), (2, 48)], row_padding=8)
        self.doc_table.setWordWrap(False)
        self.doc_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.doc_table.selectionModel().currentRowChanged.connect(self._list_row_changed)
        self.state_filter = QComboBox()
        for name, _ in FILTERS:
            self.state_filter.addItem(name)
        self.state_filter.currentIndexChanged.connect(self.apply_filter)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search the corpus…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        list_box = QWidget()
        list_layout = QVBoxLayout(list_box)
        list_layout.setContentsMargins(4, 4, 4, 4)
        list_layout.addWidget(self.state_filter)
        list_layout.addWidget(self.search)
        list_layout.addWidget(self.doc_table)
        self.list_dock = QDockWidget("Documents", self)
        self.list_dock.setObjectName("documentsDock")
        self.list_dock.setWidget(list_box)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.list_dock)

        self.model_view = AnnotatedTextView("modelPane")
        self.gold_view = AnnotatedTextView("goldPane")
        self.model_title = QLabel("Model")
        self.gold_title = QLabel("Gold — your corrections")
        for title in (self.model_title, self.gold_title):
            title.setStyleSheet("font-weight: 600; padding: 4px 2px;")
        self.model_box = self._titled(self.model_title, self.model_view)
        gold_box = self._titled(self.gold_title, self.gold_view)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("panes")
        self.splitter.addWidget(self.model_box)
        self.splitter.addWidget(gold_box)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)
        self.gold_view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.model_view.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.gold_view.navigate.connect(self.select_neighbour_span)
        self.gold_view.cursorPositionChanged.connect(self._sync_span_table)
        self.gold_view.verticalScrollBar().valueChanged.connect(lambda _v: self._sync_scroll(self.gold_view, self.model_view))
        self.model_view.verticalScrollBar().valueChanged.connect(lambda _v: self._sync_scroll(self.model_view, self.gold_view))

        self.span_model = SpanTableModel(self.labels)
        self.span_table = self._make_table("spanTable", self.span_model, [(1, 96), (2, 58), (3, 84)], row_padding=6)
        self.span_table.clicked.connect(self._span_row_clicked)
        self.palette_box = QWidget()
        self.palette_layout = QGridLayout(self.palette_box)
        self.palette_layout.setContentsMargins(4, 4, 4, 4)
        self.palette_layout.setSpacing(3)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.palette_box)
        side_layout.addWidget(self.span_table, 1)
        self.side_dock = QDockWidget("Labels and spans", self)
        self.side_dock.setObjectName("spansDock")
        self.side_dock.setWidget(side)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.side_dock)

        self.doc_status = QLabel()
        self.progress_status = QLabel()
        self.progress_status.setObjectName("progressStatus")
        self.statusBar().addWidget(self.doc_status, 1)
        self.statusBar().addPermanentWidget(self.progress_status)

    def _make_table(self, name: str, model: Any, widths: list[tuple[int, int]], row_padding: int) -> QTableView:
        """A row-selecting table with fixed row heights (cheap for 100k rows); column 0 stretches."""
        table = QTableView()
        table.setObjectName(name)
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().hide()
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + row_padding)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in widths:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        return table

    @staticmethod
    def _titled(title: QLabel, view: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(title)
        layout.addWidget(view)
        return box

    # -- actions ------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.actions_by_name: dict[str, QAction] = {}
        handlers: dict[str, Callable[[], None]] = {
            "relabel_all": self.relabel_all, "delete_span": self.delete_spans,
            "next_span": lambda: self.select_neighbour_span(True), "prev_span": lambda: self.select_neighbour_span(False),
            "start_left": lambda: self.move_edge("start", -1), "start_right": lambda: self.move_edge("start", 1),
            "end_left": lambda: self.move_edge("end", -1), "end_right": lambda: self.move_edge("end", 1),
            "mark_boilerplate": self.mark_boilerplate, "unmark_boilerplate": self.unmark_boilerplate,
            "accept_suggestions": self.accept_suggestions, "accept": lambda: self.finish_document(ACCEPTED),
            "skip": lambda: self.finish_document(SKIPPED), "next_doc": lambda: self.step_document(1),
            "prev_doc": lambda: self.step_document(-1), "gold_only": self.toggle_gold_only,
            "find": self.focus_search, "focus_list": self.doc_table.setFocus, "focus_text": self.gold_view.setFocus,
            "shortcuts": self.show_shortcuts, "evaluation": self.show_evaluation,
        }
        for name, key, text in SHORTCUTS:
            if name in ("undo", "redo"):
                continue
            action = QAction(text, self)
            action.setObjectName(name)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(handlers[name])
            self.addAction(action)
            self.actions_by_name[name] = action
        self.actions_by_name["delete_span"].setShortcuts([QKeySequence("Del"), QKeySequence("Backspace")])
        self.actions_by_name["accept"].setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.actions_by_name["gold_only"].setCheckable(True)
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.addAction(undo)
        self.addAction(redo)
        self.actions_by_name["undo"], self.actions_by_name["redo"] = undo, redo
        self.label_actions: dict[str, QAction] = {}
        for i, label in enumerate(self.labels.labels):
            action = QAction(_swatch(label.color), label.name, self)
            action.setObjectName(f"label_{label.name}")
            if label.key:
                action.setShortcut(QKeySequence(label.key))
                action.setToolTip(f"{label.name} ({label.key})")
            action.triggered.connect(lambda _checked=False, name=label.name: self.apply_label(name))
            self.addAction(action)
            self.label_actions[label.name] = action
            button = QToolButton()
            button.setDefaultAction(action)
            button.setText(f"{label.key}  {label.name}" if label.key else label.name)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setAutoRaise(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.palette_layout.addWidget(button, i // 2, i % 2)
        a = self.actions_by_name
        bar = self.menuBar()
        menu = bar.addMenu("&File")
        quit_action = menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu = bar.addMenu("&Edit")
        for name in ("undo", "redo", None, "delete_span", "relabel_all", None, "start_left", "start_right", "end_left",
                     "end_right", None, "mark_boilerplate", "unmark_boilerplate", "accept_suggestions"):
            menu.addSeparator() if name is None else menu.addAction(a[name])
        labels_menu = bar.addMenu("&Labels")
        for action in self.label_actions.values():
            labels_menu.addAction(action)
        menu = bar.addMenu("&Document")
        for name in ("accept", "skip", None, "next_doc", "prev_doc", "next_span", "prev_span"):
            menu.addSeparator() if name is None else menu.addAction(a[name])
        menu = bar.addMenu("&View")
        for name in ("gold_only", "find", "focus_list", "focus_text"):
            menu.addAction(a[name])
        menu.addAction(self.list_dock.toggleViewAction())
        menu.addAction(self.side_dock.toggleViewAction())
        menu = bar.addMenu("&Tools")
        menu.addAction(a["evaluation"])
        menu = bar.addMenu("&Help")
        menu.addAction(a["shortcuts"])
        menu.addAction("&About annotator", self.show_about)

    # -- documents ----------------------------------------------------------------------
    def apply_filter(self) -> None:
        states = FILTERS[self.state_filter.currentIndex()][1]
        query = self.search.text().strip()
        ids = self.store.search_ids(query, states) if query else self.store.document_ids(states)
        self.doc_model.set_ids(ids)
        if self.view is not None:
            self._select_list_row(self.view.document.id)
        self._update_progress()

    def _select_list_row(self, document_id: int) -> None:
        row = self.doc_model.row_of(document_id)
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

    def show_document(self, document_id: int) -> None:
        """Open a document: its first look copies the model's spans into the gold."""
        has_prediction = self.store.has_prediction(document_id)
        try:
            self.view = reviewing.open_document(self.store, document_id, self.annotator,
                                                start=has_prediction or not self.preparing)
        except AnnotatorError as exc:
            show_error(self, "Cannot open the document", str(exc))
            return
        text = self.view.document.text
        self.model_view.set_document(text, self._render(gold_side=False))
        self.gold_view.set_document(text, self._render(gold_side=True))
        self.span_model.set_spans(text, self.view.gold)
        self.model_title.setText(f"Model: {self.view.model_name} (read-only)" if self.view.model_name
                                 else "Model: not pre-annotated yet")
        self._select_list_row(document_id)
        self.doc_model.refresh_document(document_id)
        self._update_status()
        self._update_progress()
        self.settings.setValue("last_document", document_id)

    def refresh(self, after: reviewing.Snapshot | None = None) -> None:
        """Re-read the open document's gold and boilerplate (text and model spans do not change)."""
        if self.view is None:
            return
        doc_id = self.view.document.id
        if after is None or after.document_id != doc_id:
            after = reviewing.snapshot(self.store, doc_id, self.annotator)
        old = self.view
        new = replace(old, gold=list(after.gold), boilerplate=list(after.boilerplate))
        changed = [Range(s.start, s.end) for s in set(old.gold) ^ set(new.gold)]
        changed += list(set(old.boilerplate) ^ set(new.boilerplate))
        self._show_changes(new, changed)
        self.doc_model.refresh_document(doc_id)
        self._update_progress()

    def _render(self, *, gold_side: bool) -> Any:
        v = self.view
        assert v is not None
        if gold_side:
            return render(v.gold, v.model_spans, v.boilerplate, self.labels, gold_side=True)
        return render(v.model_spans, v.gold, v.boilerplate, self.labels, gold_side=False)

    def _update_status(self) -> None:
        v = self.view
        if v is None:
            self.doc_status.setText("No document open")
            return
        state = {TODO: "to do", IN_PROGRESS: "in progress", ACCEPTED: "accepted", SKIPPED: "skipped"}[v.review.state]
        bp = sum(r.end - r.start for r in v.boilerplate)
        self.doc_status.setText(
            f"{v.document.source} · {state} · {len(v.gold)} gold spans · {len(v.model_spans)} model spans"
            + (f" · {bp:,} boilerplate chars" if bp else "")
        )

    def _update_progress(self) -> None:
        self.progress_status.setText(f"{self.store.accepted_count()} / {self.store.document_count()} accepted")

    def step_document(self, delta: int) -> None:
        ids = self.doc_model.ids()
        if not ids:
            return
        row = self.doc_model.row_of(self.view.document.id) if self.view else None
        row = 0 if row is None else max(0, min(len(ids) - 1, row + delta))
        self.show_document(ids[row])

    def open_initial_document(self) -> None:
        last = self.settings.value("last_document")
        try:
            last_id = int(last) if last is not None else None
        except (TypeError, ValueError):
            last_id = None
        ids = self.store.document_ids()
        if last_id in ids:
            self.show_document(last_id)
            return
        nxt = self.store.next_id(0, [TODO, IN_PROGRESS]) if ids else None
        if nxt is not None or ids:
            self.show_document(nxt if nxt is not None else ids[0])

    # -- editing ------------------------------------------------------------------------
    def _edit(self, description: str, action: Callable[[], Any], document_ids: list[int] | None = None) -> Any:
        """Run one core action with undo snapshots around it; refused actions change nothing."""
        if self.view is None:
            return None
        current = self.view.document.id
        ids = document_ids or [current]
        try:
            before = [self._current_snapshot() if i == current else reviewing.snapshot(self.store, i, self.annotator)
                      for i in ids]
            result = action()
            after = [reviewing.snapshot(self.store, i, self.annotator) for i in ids]
        except AnnotatorError as exc:
            self._refused(exc)
            return None
        self.undo_stack.push(SnapshotCommand(description, self.store, self.annotator, before, after, self._undone))
        self.refresh(next((a for a in after if a.document_id == current), None))
        return result

    def _edit_spans(self, description: str, removed: list[Span], added: list[Span]) -> bool:
        """Remove and add gold spans in the open document as one undoable step."""
        if self.view is None:
            return False
        doc_id = self.view.document.id
        try:
            actions.change_spans(self.store, doc_id, self.annotator, remove=removed, add=added,
                                 labels=self.labels.names, action="edit_spans")
        except AnnotatorError as exc:
            self._refused(exc)
            return False
        self.undo_stack.push(SpanChangeCommand(description, self.store, self.annotator, doc_id, removed, added,
                                               self.labels.names, self._span_delta))
        self._span_delta(doc_id, removed, added)
        return True

    def _edit_boilerplate(self, description: str, action: Callable[[], list[Range]]) -> None:
        if self.view is None:
            return
        doc_id = self.view.document.id
        before = list(self.view.boilerplate)
        try:
            after = action()
        except AnnotatorError as exc:
            self._refused(exc)
            return
        self.undo_stack.push(BoilerplateCommand(description, self.store, self.annotator, doc_id, before, after,
                                                self._boilerplate_changed))
        self._boilerplate_changed(doc_id, after)

    def _refused(self, exc: AnnotatorError) -> None:
        self.statusBar().showMessage(f"Not done: {exc}", 8000)
        if isinstance(exc, StoreError):
            show_error(self, "Could not save", f"{exc}\n\nThe edit was not applied; nothing was lost.")
        self.refresh()

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

    def _show_changes(self, new_view: reviewing.ReviewView, changed: list[Range]) -> None:
        v = self.view = replace(new_view, review=self.store.review(new_view.document.id))
        if len(changed) > 200:
            self.model_view.update_rendering(self._render(gold_side=False))
            self.gold_view.update_rendering(self._render(gold_side=True))
        elif changed:
            self.model_view.update_rendering(rerender(self.model_view.rendering, v.model_spans, v.gold, v.boilerplate,
                                                      self.labels, gold_side=False, changed=changed))
            self.gold_view.update_rendering(rerender(self.gold_view.rendering, v.gold, v.model_spans, v.boilerplate,
                                                     self.labels, gold_side=True, changed=changed))
        self.span_model.set_spans(v.document.text, v.gold)
        self._sync_span_table()
        self._update_status()

    def _current_snapshot(self) -> reviewing.Snapshot:
        """The open document's state as the window holds it (it mirrors the database)."""
        v = self.view
        assert v is not None
        return reviewing.Snapshot(v.document.id, tuple(v.gold), tuple(v.boilerplate), v.review.state, v.review.annotator)

    def _undone(self, document_ids: list[int], _is_undo: bool) -> None:
        for doc_id in document_ids:
            self.doc_model.refresh_document(doc_id)
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
        if start == end:
            hit = [r for r in self.view.boilerplate if r.start <= start < r.end]
            if not hit:
                return
            start, end = hit[0].start, hit[0].end
        doc_id = self.view.document.id
        self._edit_boilerplate("Unmark boilerplate",
                               lambda: actions.unmark_boilerplate(self.store, doc_id, self.annotator, start, end))

    def accept_suggestions(self) -> None:
        if self.view is None:
            return
        if self.advisor.counts is None:
            self.statusBar().showMessage("Reading the corpus for repeated lines…")
            self.advisor.load_corpus(self.store)
        suggestions = self.advisor.suggest(self.view.document.text)
        if not suggestions:
            self.statusBar().showMessage("No boilerplate suggestions for this document.", 5000)
            return
        doc_id = self.view.document.id
        self._edit_boilerplate(f"Accept {len(suggestions)} boilerplate suggestion(s)",
                               lambda: reviewing.accept_suggestions(self.store, doc_id, self.annotator, suggestions))
        self.statusBar().showMessage(f"Marked {len(suggestions)} boilerplate range(s): "
                                     + "; ".join(sorted({r for s in suggestions for r in s.reasons})), 8000)

    def relabel_all(self) -> None:
        span = self.span_at_cursor()
        if self.view is None or span is None:
            self.statusBar().showMessage("Put the cursor on a span first.", 5000)
            return
        surface = self.view.document.text[span.start:span.end]
        doc_id = self.view.document.id

        def preview(label: str, corpus: bool) -> reviewing.OccurrencePlan:
            return reviewing.plan_relabel_occurrences(self.store, self.annotator, surface, label, self.labels.names,
                                                      None if corpus else doc_id)

        dialog = RelabelAllDialog(surface, span.label, self.labels, preview, self)
        if dialog.exec() != RelabelAllDialog.DialogCode.Accepted or dialog.plan is None:
            return
        self.relabel_with_plan(dialog.plan)

    def relabel_with_plan(self, plan: reviewing.OccurrencePlan) -> None:
        ids = list(plan.changes)
        self._edit(f"Relabel every “{plan.surface}” as {plan.label} ({plan.relabelled + plan.added} spans)",
                   lambda: reviewing.apply_relabel_plan(self.store, self.annotator, plan, self.labels.names), ids)
        for doc_id in ids:
            self.doc_model.refresh_document(doc_id)
        self.statusBar().showMessage(
            f"Relabelled {plan.relabelled} and added {plan.added} “{plan.surface}” span(s) in {plan.documents} document(s).", 8000)

    def finish_document(self, state: str) -> None:
        if self.view is None:
            return
        doc_id = self.view.document.id
        verb = "Accept" if state == ACCEPTED else "Skip"
        if self._edit(f"{verb} {self.view.document.source}",
                      lambda: actions.set_state(self.store, doc_id, self.annotator, state) or True) is None:
            return
        nxt = self.store.next_id(doc_id, [TODO, IN_PROGRESS])
        if nxt is None:
            self.statusBar().showMessage("Every document is reviewed.", 8000)
            return
        if self.doc_model.row_of(nxt) is None:
            self.state_filter.setCurrentIndex(0)
            self.search.clear()
        self.show_document(nxt)

    # -- view ---------------------------------------------------------------------------
    def _sync_scroll(self, source: AnnotatedTextView, target: AnnotatedTextView) -> None:
        if self._syncing or not target.isVisible():
            return
        self._syncing = True
        try:
            offset = source.first_visible_offset()
            target.scroll_to_offset_at(offset, source.offset_top(offset))
        finally:
            self._syncing = False

    def _sync_span_table(self) -> None:
        span = self.span_at_cursor()
        row = self.span_model.row_of(span) if span is not None else None
        selection = self.span_table.selectionModel()
        if row is None:
            selection.clearSelection()
            return
        index = self.span_model.index(row, 0)
        selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.span_table.scrollTo(index)

    def _span_row_clicked(self, index: Any) -> None:
        span = self.span_model.span_at(index.row())
        self.gold_view.select_range(span.start, span.end)
        self.gold_view.setFocus()

    def toggle_gold_only(self) -> None:
        on = self.actions_by_name["gold_only"].isChecked()
        self.model_box.setVisible(not on)
        self.settings.setValue("gold_only", on)

    def focus_search(self) -> None:
        if not self.list_dock.isVisible():
            self.list_dock.show()
        self.search.setFocus()
        self.search.selectAll()

    def show_evaluation(self) -> None:
        """Scores of the stored predictions against the accepted gold (non-modal; Refresh re-scores)."""
        from annotator.gui.evaluation_view import EvaluationDialog
        from annotator.ops.evaluating import evaluate_stored

        if getattr(self, "evaluation_dialog", None) is None:
            self.evaluation_dialog = EvaluationDialog(
                lambda: evaluate_stored(self.store, None, self._tokenize), self.open_span, self.labels, self)
        else:
            self.evaluation_dialog.refresh()
        self.evaluation_dialog.show()
        self.evaluation_dialog.raise_()

    def open_span(self, document_id: int, start: int, end: int) -> None:
        """Open a document with [start, end) selected in the gold pane."""
        if self.view is None or self.view.document.id != document_id:
            self.show_document(document_id)
        self.gold_view.select_range(start, end)
        self.gold_view.setFocus()

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.labels, self).exec()

    def show_about(self) -> None:
        pipeline = self.view.model_name if self.view and self.view.model_name else self.model_name
        QMessageBox.about(self, "About annotator",
                          f"<b>annotator {__version__}</b><br>Offline review of named-entity annotations.<br><br>"
                          f"Pipeline: {pipeline}<br>Database: {self.store.path}<br>Annotator: {self.annotator}")

    # -- background preparation ---------------------------------------------------------
    def prepare(self, db_path: Path, paths: list[str], batch_size: int = 16) -> None:
        """Import ``paths`` and pre-annotate what is new, off the GUI thread, with a progress dialog."""
        self.preparing = True
        self._worker = PrepareWorker(db_path, paths, self.model_name, self.annotator, batch_size)
        self._progress = QProgressDialog("Preparing documents…", "Cancel", 0, 0, self)
        self._progress.setWindowTitle("annotator")
        self._progress.setWindowModality(Qt.WindowModality.NonModal)
        self._progress.setMinimumDuration(300)
        self._progress.setAutoClose(False)
        self._progress.setAutoReset(False)
        self._progress.canceled.connect(self._worker.cancel_event.set)
        self._worker.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._worker.batch_done.connect(self._on_batch, Qt.ConnectionType.QueuedConnection)
        self._worker.finished.connect(self._on_prepared, Qt.ConnectionType.QueuedConnection)
        self._worker.failed.connect(self._on_prepare_failed, Qt.ConnectionType.QueuedConnection)
        self._thread = start_worker(self._worker, self)

    def _on_progress(self, description: str, done: int, total: int) -> None:
        if self._progress is None:
            return
        if description:
            self._progress.setLabelText(description + "…")
        self._progress.setMaximum(total)
        self._progress.setValue(done)

    def _on_batch(self) -> None:
        if self.store.document_count() != len(self.doc_model.ids()) and not self.search.text():
            self.apply_filter()
        else:
            self.doc_model.refresh_all()
        if self.view is None and self.doc_model.ids():
            self.open_initial_document()
        elif self.view is not None and not self.view.model_spans and self.view.review.state == TODO:
            if self.store.has_prediction(self.view.document.id):
                self.show_document(self.view.document.id)

    def _end_preparation(self) -> None:
        self.preparing = False
        if self._progress is not None:
            self._progress.close()
            self._progress = None
        self.apply_filter()
        if self.view is None:
            self.open_initial_document()
        elif self.view.review.state == TODO:
            self.show_document(self.view.document.id)
        self.prepared.emit()

    def _on_prepared(self, summary: str) -> None:
        self._end_preparation()
        self.statusBar().showMessage(summary, 10000)

    def _on_prepare_failed(self, message: str) -> None:
        self._end_preparation()
        first, _, details = message.partition("\n")
        show_error(self, "Could not prepare the documents", first, details or None)

    def wait_for_preparation(self, timeout_ms: int = 600_000) -> None:
        if self._thread is not None:
            self._thread.wait(timeout_ms)

    # -- settings -----------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        state = self.settings.value("window_state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        else:
            self.resizeDocks([self.list_dock, self.side_dock], [300, 380], Qt.Orientation.Horizontal)
        splitter = self.settings.value("splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        gold_only = str(self.settings.value("gold_only", "false")).lower() == "true"
        self.actions_by_name["gold_only"].setChecked(gold_only)
        self.model_box.setVisible(not gold_only)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if self._worker is not None:
            self._worker.cancel_event.set()
        if self._thread is not None and self._thread.isRunning():
            self._thread.wait(15000)
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.settings.setValue("splitter", self.splitter.saveState())
        self.settings.sync()
        super().closeEvent(event)
