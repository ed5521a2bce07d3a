"""The reviewer's main window: document list, model and gold side by side, labels, spans."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QEvent, QByteArray, QItemSelectionModel, QSettings, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPixmap, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QComboBox, QDockWidget, QHeaderView, QLabel, QLineEdit, QMainWindow, QMessageBox, QProgressDialog,
    QSplitter, QTableView, QToolButton, QVBoxLayout, QWidget, QGridLayout,
)

from annotator import __version__
from annotator.core.model import ACCEPTED, IN_PROGRESS, SKIPPED, TODO
from annotator.core.render import render
from annotator.core.spans import Range
from annotator.gc_pause import paused_gc
from annotator.gui.dialogs import ShortcutsDialog
from annotator.gui.models import DocumentListModel, SpanTableModel
from annotator.gui.shortcuts import SHORTCUTS
from annotator.gui.status_labels import ElidedLabel
from annotator.gui.text_view import AnnotatedTextView
from annotator.gui.adjudication_mode import AdjudicationMixin
from annotator.gui.document_list import FILTERS, DocumentListMixin
from annotator.gui.appearance import AppearanceMixin
from annotator.gui.list_order import ListOrderMixin
from annotator.gui.reference import ReferenceMixin
from annotator.gui.editing import EditingMixin
from annotator.gui.evaluation_warmup import EvaluationWarmUpMixin
from annotator.gui.file_menu import FileMenuMixin
from annotator.gui.find import FindMixin
from annotator.gui.flags import FlagsMixin
from annotator.gui.guidance import GuidanceMixin
from annotator.gui.preparation import PreparationMixin
from annotator.gui.reports import ReportsMixin
from annotator.gui.workers import PrepareWorker
from annotator.ops import documents, suggestions
from annotator.ops.labels import project_labels
from annotator.store import Store



def _swatch(color: str) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class MainWindow(AdjudicationMixin, ReferenceMixin, ListOrderMixin, DocumentListMixin, EditingMixin, FindMixin, FlagsMixin,
                 PreparationMixin, ReportsMixin, FileMenuMixin, AppearanceMixin, GuidanceMixin, EvaluationWarmUpMixin,
                 QMainWindow):
    prepared = Signal()  # background import and pre-annotation ended (emitted in the GUI thread)

    def __init__(self, store: Store, *, model: str, annotator: str, settings: QSettings | None = None):
        super().__init__()
        self.store, self.model_name, self.annotator = store, model, annotator
        self.settings = settings or QSettings()
        self.labels = project_labels(store)
        self.undo_stack = QUndoStack(self)
        self.view: documents.ReviewView | None = None
        self.suggestions: list[Any] = []  # the open document's boilerplate suggestions, not dismissed
        self.last_label: str | None = None  # the label the reviewer applied last (relabel dialogs default to it)
        self.preparing = False
        self._tokenizer: Any = None
        self._syncing = False
        self._moving_selection = False
        self._thread: QThread | None = None
        self._worker: PrepareWorker | None = None
        self._progress: QProgressDialog | None = None
        self.setWindowTitle(f"annotator — {store.path.name}")
        self._build_widgets()
        self._init_document_list()
        self._build_actions()
        self._init_find()
        self._init_flags()
        self._restore_settings()
        self.init_appearance()
        self.init_guidance()
        self.init_evaluation_warm_up()
        self.prepared.connect(self.start_evaluation_warm_up)  # after opening (first paint, pending work) and imports
        self.apply_filter()

    # -- layout -------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.doc_model = DocumentListModel(self.store, self.annotator)
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
        self.list_count = QLabel()
        self.list_count.setObjectName("listCount")
        list_layout.addWidget(self.list_count)
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
        for view in (self.model_view, self.gold_view):  # both panes wrap at one width: a line is the same line
            view.setLineWrapMode(AnnotatedTextView.LineWrapMode.FixedPixelWidth)
            view.setLineWrapColumnOrWidth(600)  # until the first layout says how wide they are
            view.viewport().installEventFilter(self)
        self.splitter.splitterMoved.connect(lambda *_: self._align_panes())
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

        self.doc_status = ElidedLabel()
        self.doc_status.setObjectName("docStatus")
        self.progress_status = QLabel()
        self.progress_status.setObjectName("progressStatus")
        self.statusBar().addWidget(self.doc_status, 1)
        self.statusBar().addPermanentWidget(self.progress_status)
        self._build_reference_selector()

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
            "accept_suggestions": self.accept_suggestions, "accept_suggestion": self.accept_suggestion_at_cursor,
            "dismiss_suggestion": self.dismiss_suggestion_at_cursor, "accept": lambda: self.finish_document(ACCEPTED),
            "skip": lambda: self.finish_document(SKIPPED), "next_doc": lambda: self.step_document(1),
            "prev_doc": lambda: self.step_document(-1), "gold_only": self.toggle_gold_only,
            "focus_list": self.doc_table.setFocus, "focus_text": self.gold_view.setFocus,
            "shortcuts": self.show_shortcuts, "evaluation": self.show_evaluation, "flag": self.flag_document,
            "cycle_reference": self.cycle_reference,
            **self.find_handlers(),
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
        undo = QAction("&Undo", self)
        undo.setObjectName("undo")
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        undo.setEnabled(False)
        undo.triggered.connect(self.undo)
        self.undo_stack.canUndoChanged.connect(undo.setEnabled)
        self.undo_stack.undoTextChanged.connect(lambda text: undo.setText(f"&Undo {text}".strip()))
        redo = QAction("&Redo", self)
        redo.setObjectName("redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        redo.setEnabled(False)
        redo.triggered.connect(self.redo)
        self.undo_stack.canRedoChanged.connect(redo.setEnabled)
        self.undo_stack.redoTextChanged.connect(lambda text: redo.setText(f"&Redo {text}".strip()))
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
        self.build_file_menu(menu)
        quit_action = menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu = bar.addMenu("&Edit")
        for name in ("undo", "redo", None, "delete_span", "relabel_all", None, "start_left", "start_right", "end_left",
                     "end_right", None, "mark_boilerplate", "unmark_boilerplate", "accept_suggestions", "accept_suggestion",
                     "dismiss_suggestion", None, "label_hits"):
            menu.addSeparator() if name is None else menu.addAction(a[name])
        labels_menu = bar.addMenu("&Labels")
        for action in self.label_actions.values():
            labels_menu.addAction(action)
        menu = bar.addMenu("&Document")
        for name in ("accept", "skip", "flag", None, "next_doc", "prev_doc", "next_span", "prev_span"):
            menu.addSeparator() if name is None else menu.addAction(a[name])
        menu = bar.addMenu("&View")
        for name in ("gold_only", "cycle_reference", "find", "find_next", "find_prev", "find_clear", "focus_list",
                     "focus_text"):
            menu.addAction(a[name])
        self._build_list_order(menu)
        menu.addAction(self.list_dock.toggleViewAction())
        menu.addAction(self.side_dock.toggleViewAction())
        self.build_view_menu(menu)
        self._build_adjudication(bar)
        menu = bar.addMenu("&Tools")
        menu.addAction(a["evaluation"])
        menu.addAction("&Agreement between annotators…", self.show_agreement).setObjectName("agreement")
        menu.addAction("&Train model…", self.train_model).setObjectName("train_model")
        menu = bar.addMenu("&Help")
        menu.addAction(a["shortcuts"])
        menu.addAction("&About annotator", self.show_about)

    # -- documents ----------------------------------------------------------------------
    @paused_gc()  # ~100k tuples made in a burst: no full collection in the middle (see gc_pause)
    def show_document(self, document_id: int) -> None:
        """Open a document: its first look copies the model's spans into the gold."""
        ok, view = self._attempt(lambda: self._read_view(document_id))
        if not ok:
            return
        self.view = view
        text = self.view.document.text
        self.suggestions = suggestions.open_suggestions(self.store, document_id, self.annotator, text)
        self._load_reference()
        self.model_view.set_document(text, self._render(gold_side=False))
        self.gold_view.set_document(text, self._render(gold_side=True))
        self.span_model.set_spans(text, self.view.gold)
        self.span_table.scrollToTop()  # a new document's spans start at its top, as its text does
        self._select_list_row(document_id)
        self.doc_model.refresh_document(document_id)
        self.update_find()
        self.show_flag()
        self._update_status()
        self._update_progress()
        self.settings.setValue(self._last_document_key(), self.view.document.content_hash)

    def refresh(self, after: documents.Snapshot | None = None) -> None:
        """Re-read the open document's gold and boilerplate (text and model spans do not change)."""
        if self.view is None:
            return
        doc_id = self.view.document.id
        if after is None or after.document_id != doc_id:
            after = documents.snapshot(self.store, doc_id, self.annotator)
        old = self.view
        started = not (after.state == TODO and after.annotator is None and not after.gold and not after.boilerplate)
        gold, boilerplate = (list(after.gold), list(after.boilerplate)) if started else self._starting_layers(old)
        new = replace(old, gold=gold, boilerplate=boilerplate, started=started)
        changed = [Range(s.start, s.end) for s in set(old.gold) ^ set(new.gold)]
        changed += list(set(old.boilerplate) ^ set(new.boilerplate))
        self._show_changes(new, changed)
        self.doc_model.refresh_document(doc_id)
        self._update_progress()

    def _render(self, *, gold_side: bool) -> Any:
        v = self.view
        assert v is not None
        if gold_side:  # the differences are always those against the reference pane
            return render(v.gold, self.reference_spans(), v.boilerplate, self.labels, gold_side=True,
                          suggested=[s.as_range() for s in self.suggestions])
        return self._render_reference()

    def _update_status(self) -> None:
        v = self.view
        if self.adjudicating:
            self._adjudication_status()
            return
        if v is None:
            self.doc_status.setText("No document open")
            return
        state = {TODO: "to do", IN_PROGRESS: "in progress", ACCEPTED: "accepted", SKIPPED: "skipped"}[v.review.state]
        bp = sum(r.end - r.start for r in v.boilerplate)
        offered = len(self.gold_view.rendering.suggested)
        essentials = f"{v.document.source} · {state} · {len(v.gold)} gold spans · {len(v.model_spans)} model spans"
        self.doc_status.set_text(
            essentials
            + (f" · {bp:,} boilerplate chars" if bp else "")
            + (f" · {offered} boilerplate suggestion(s): Ctrl+B accepts all, Alt+B the one at the cursor" if offered
               else ""),
            keep=essentials,
        )

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
        QTimer.singleShot(0, self._align_panes)
        self.settings.setValue("gold_only", on)

    def focus_search(self) -> None:
        if not self.list_dock.isVisible():
            self.list_dock.show()
        self.search.setFocus()
        self.search.selectAll()

    def train_model(self) -> None:
        """Tools → Train model…: training in its own process; the result can pre-annotate what is left."""
        from annotator.gui.training_view import TrainingDialog

        if getattr(self, "training_dialog", None) is None:
            self.training_dialog = TrainingDialog(self.store.path, self.model_name, len(self.store.unreviewed_ids()), self)
            self.training_dialog.preannotate_requested.connect(lambda path: self.prepare(self.store.path, [], model=path))
        self.training_dialog.unreviewed = len(self.store.unreviewed_ids())
        if not self.training_dialog.isVisible():
            self.training_dialog.reopened()
        self.training_dialog.show()
        self.training_dialog.raise_()

    def open_span(self, document_id: int, start: int, end: int) -> None:
        """Open a document with [start, end) selected in the gold pane."""
        if self.view is None or self.view.document.id != document_id:
            self.show_document(document_id)
        self.gold_view.select_range(start, end)
        self.gold_view.setFocus()

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.labels, self, more=self.menu_shortcuts()).exec()
        self.return_focus()

    def show_about(self) -> None:
        pipeline = self.view.model_name if self.view and self.view.model_name else self.model_name
        QMessageBox.about(self, "About annotator",
                          f"<b>annotator {__version__}</b><br>Offline review of named-entity annotations.<br><br>"
                          f"Pipeline: {pipeline}<br>Database: {self.store.path}<br>Annotator: {self.annotator}")

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

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize and watched in (self.model_view.viewport(), self.gold_view.viewport()):
            QTimer.singleShot(0, self._align_panes)
        return super().eventFilter(watched, event)

    def _align_panes(self) -> None:
        """Wrap both panes at the narrower one's width (the gold pane's alone when the model is hidden)."""
        widths = [self.gold_view.viewport().width()]
        if self.model_box.isVisible():
            widths.append(self.model_view.viewport().width())
        width = max(120, min(widths))
        if all(view.lineWrapColumnOrWidth() == width for view in (self.model_view, self.gold_view)):
            return
        anchor = self.gold_view.first_visible_offset() if self.view is not None else None
        for view in (self.model_view, self.gold_view):
            view.setLineWrapColumnOrWidth(width)
        if anchor is not None:  # the same text stays at the top after rewrapping
            self.gold_view.scroll_to_offset_at(anchor, 0)
            if self.gold_view.textCursor().hasSelection():
                self.gold_view.ensureCursorVisible()

    def return_focus(self) -> None:
        """After a dialog: this window active again and the keys to the gold pane."""
        self.activateWindow()
        self.gold_view.setFocus()

    def changeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """Back from a dialog or another window: the keys go to the gold pane again.

        Without this, after Ctrl+R's dialog or the Evaluation window closed, no widget of the
        window had the focus and Ctrl+Z, Ctrl+PgDown... did nothing until a click in the text.
        """
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            focused = QApplication.focusWidget()
            if focused is None or focused is self or not self.isAncestorOf(focused):
                self.gold_view.setFocus()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._align_panes()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if self._worker is not None:
            self._worker.cancel_event.set()
        if self._thread is not None and self._thread.isRunning():
            self._thread.wait(15000)
        self.shutdown_reports()
        self.shutdown_evaluation_warm_up()
        self.shutdown_file_work()
        self.shutdown_list_order()
        self.shutdown_reference()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.settings.setValue("splitter", self.splitter.saveState())
        self.settings.sync()
        super().closeEvent(event)
        self.release_store()
