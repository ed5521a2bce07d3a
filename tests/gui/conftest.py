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
