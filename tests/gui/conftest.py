"""GUI fixtures: a real window on a real database of the pre-annotated seeds, offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtGui import QTextCursor

from annotator.gui.main_window import MainWindow
from annotator.pipeline import DEFAULT_MODEL
from annotator.store import Store

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture
def make_window(qtbot, tmp_path):
    created = []

    def make(db_path: Path) -> MainWindow:
        store = Store.open(db_path)
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(store, model=DEFAULT_MODEL, annotator="tester", settings=settings)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        window.open_initial_document()
        created.append(store)
        return window

    yield make
    for store in created:
        store.close()


@pytest.fixture
def window(make_window, project_db) -> MainWindow:
    return make_window(project_db)


def point_at(view, offset: int) -> QPoint:
    """Viewport coordinates of the character at code-point ``offset`` (its vertical middle)."""
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.offset_map.to_qt(offset))
    view.setTextCursor(cursor)
    view.ensureCursorVisible()
    rect = view.cursorRect(cursor)
    return QPoint(rect.left() + 2, rect.center().y())


def when_shown(kind, action) -> None:
    """Run ``action(dialog)`` once a visible top-level widget of ``kind`` exists (a modal dialog runs
    its own event loop, so the test's next line only runs after it closed)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def check():
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
        if not shown:
            QTimer.singleShot(20, check)
            return
        try:
            action(shown[0])
        except BaseException:  # a failed check must end the dialog's loop, not hang the test
            if shown[0].isVisible():  # (pytest-qt reports the exception)
                reject = getattr(shown[0], "reject", shown[0].close)
                reject()
            raise

    QTimer.singleShot(20, check)


def answer_file_dialog(*paths, cancel: bool = False) -> list:
    """Answer the next file dialog the window opens, as a person would: go to the folder, type the
    name(s), press Open (or Cancel). The dialogs are Qt's own (annotator.gui.file_dialogs), so this is
    the real dialog. Returns a list that gets the dialog once it was answered."""
    from PySide6.QtWidgets import QFileDialog, QLineEdit

    answered: list = []

    def answer(dialog):
        answered.append(dialog)
        if cancel:
            dialog.reject()
            return
        folder = Path(paths[0]).parent
        dialog.setDirectory(str(folder))
        names = [Path(p).name for p in paths]
        typed = dialog.findChild(QLineEdit, "fileNameEdit")  # where a person types the name(s)
        typed.setText(names[0] if len(names) == 1 else " ".join(f'"{n}"' for n in names))
        dialog.accept()

    when_shown(QFileDialog, answer)
    return answered
