"""What to do next, for a newcomer: the empty project's first steps and the status bar's key hints.

A mixin of MainWindow. A project without documents shows, over the text panes, what to do
first (never an empty grey box); the status bar names the next useful key for where the
keyboard is and what is selected (View → Show hints turns it off, remembered).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QVBoxLayout, QWidget

from annotator.gui.status_labels import ElidedLabel

HINTS_KEY = "show_hints"
LABEL_KEYS_SHOWN = 3  # "P PERSON · O ORG · G GPE …" (the status bar is shared with the document line)


class EmptyProjectPanel(QWidget):
    """Covers the text panes while the project has no documents: what to do first, with buttons."""

    def __init__(self, window: QWidget, covered: QWidget, actions: list[QAction]):
        super().__init__(window)  # not the splitter's child: a splitter makes every child a pane
        self.covered = covered
        self.setObjectName("emptyProject")
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        title = QLabel("This project has no documents yet")
        title.setObjectName("emptyTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        text = QLabel("Import .txt files, a folder of them, or Prodigy / doccano JSONL. They are pre-annotated by\n"
                      "the pipeline in the background; the first document opens as soon as it is ready.")
        text.setObjectName("emptyText")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(title, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(8)
        layout.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(16)
        self.buttons: list[QPushButton] = []
        for action in actions:
            key = action.shortcut().toString()
            button = QPushButton(action.text().replace("&", "") + (f"   ({key})" if key else ""))
            button.setObjectName(f"empty_{action.objectName()}")
            button.setMinimumWidth(320)
            button.clicked.connect(action.trigger)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
            self.buttons.append(button)
        layout.addStretch(3)
        self.hide()
        covered.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.covered and event.type() in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show):
            self.cover()
        return False

    def cover(self) -> None:
        """Lie exactly over the covered widget (the text panes)."""
        self.setGeometry(self.covered.geometry())


class GuidanceMixin:
    """The empty-project panel and the status-bar hints."""

    def init_guidance(self) -> None:
        f = self.file_actions
        self.empty_panel = EmptyProjectPanel(self, self.splitter, [f["import_files"], f["import_folder"], f["open_database"]])
        self.hint_label = ElidedLabel(yields=True)
        self.hint_label.setObjectName("hintLabel")
        self.hint_label.setEnabled(False)  # the palette's muted text: a hint, not a message
        bar = self.statusBar()  # the hint goes before the progress count ("12 / 40 accepted") at the right
        bar.removeWidget(self.progress_status)
        bar.addPermanentWidget(self.hint_label)
        bar.addPermanentWidget(self.progress_status)
        self.progress_status.show()
        self.hints_action = QAction("Show &hints", self)
        self.hints_action.setObjectName("show_hints")
        self.hints_action.setCheckable(True)
        self.hints_action.setChecked(str(self.settings.value(HINTS_KEY, "true")).lower() == "true")
        self.hints_action.toggled.connect(self._hints_toggled)
        self.view_menu.addAction(self.hints_action)
        self._hint_timer = QTimer(self, singleShot=True, interval=0)  # one update after a burst of changes
        self._hint_timer.timeout.connect(self.update_guidance)
        QApplication.instance().focusChanged.connect(self._hint_soon)  # type: ignore[union-attr]
        self.gold_view.selectionChanged.connect(self._hint_soon)
        self.gold_view.cursorPositionChanged.connect(self._hint_soon)
        self.doc_model.modelReset.connect(self._count_soon)
        self.doc_model.rowsInserted.connect(self._count_soon)
        self._project_empty: bool | None = None  # read again only when the list changes, not per keystroke
        self._hint_soon()  # once the window is shown

    def _hint_soon(self, *_args: Any) -> None:
        self._hint_timer.start()

    def _count_soon(self, *_args: Any) -> None:
        self._project_empty = None
        self._hint_timer.start()

    def _hints_toggled(self, on: bool) -> None:
        self.settings.setValue(HINTS_KEY, on)
        self.update_guidance()

    def update_guidance(self) -> None:
        """Show the empty-project panel when there is nothing to review; the hint for here and now."""
        if not self.isVisible():  # closed (another database took over): its store may be closed too
            return
        if self._project_empty is None:
            self._project_empty = self.doc_model.listing.document_count() == 0
        empty = self._project_empty
        if empty:
            self.empty_panel.cover()
            self.empty_panel.raise_()
        self.empty_panel.setVisible(empty)
        text = self.current_hint(empty) if self.hints_action.isChecked() else ""
        self.hint_label.setText(text)
        self.hint_label.setVisible(bool(text))

    def current_hint(self, empty: bool = False) -> str:
        """The next useful keys for where the keyboard is and what is selected."""
        if empty:
            return "Ctrl+O imports files · Ctrl+Shift+O a folder"
        focus = QApplication.focusWidget()
        if focus is self.search:
            return "Type to search every document · Ctrl+E back to the text"
        if focus is self.doc_table:
            return "↑ ↓ choose a document · Ctrl+E to its text"
        if self.view is None:
            return "Pick a document in the list (Ctrl+L)"
        start, end = self.gold_view.selection()
        span = self.span_at_cursor()
        keys = [f"{label.key} {label.name}" for label in self.labels.labels if label.key]
        some = " · ".join(keys[:LABEL_KEYS_SHOWN]) + (" …" if len(keys) > LABEL_KEYS_SHOWN else "")
        if start < end and span is None:
            return f"Press a label key: {some} · B boilerplate"
        if getattr(self, "adjudicating", False):  # the mode's own keys (Ctrl+R is refused there)
            return ("Alt+1…9 takes annotator n's span · Alt+Shift+n all of theirs · Alt+A all agreed · "
                    "Ctrl+Enter accepts")
        if span is not None:
            return "Label key relabels · Del deletes · Alt+←/→ moves it · Ctrl+R everywhere"
        letters = [label.key for label in self.labels.labels if label.key]
        keys_text = "/".join(letters[:3]) + ("…" if len(letters) > 3 else "") if letters else "a label key"
        return f"Select text then {keys_text} · Tab next span · Ctrl+Enter accepts"

    def menu_shortcuts(self) -> list[tuple[str, str]]:
        """(keys, what) of the File and View menus' items, for the F1 sheet."""
        rows = []
        for action in list(self.file_actions.values()) + list(self.view_actions.values()):
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
            if keys:
                rows.append((keys, action.text().replace("&", "")))
        return rows
