"""A file dialog must not cost the window its SQLite locks.

Qt's file dialog sniffed the type of every file it listed: it opened ``x.db``, ``x.db-wal`` and
``x.db-shm`` and closed them, and on POSIX closing any descriptor of a file drops every lock the
process holds on it. The next program that closed the database (``annotator stats``) believed it was
the last connection and deleted the WAL; the window's later edits went into the deleted file:
invisible to every other program and lost at a crash. Seen in a walkthrough (Ctrl+O, Esc, stats).

The window runs here (offscreen); ``annotator stats`` and the reader run as separate processes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QFileSystemModel

from annotator.core.model import ACCEPTED
from tests.gui.conftest import when_shown

pytestmark = [pytest.mark.gui, pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]


def accepted_elsewhere(db: Path) -> int:
    """Accepted documents as another process reads them."""
    out = subprocess.run([sys.executable, "-m", "annotator", "stats", "--db", str(db), "--json"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["states"].get(ACCEPTED, 0)


@pytest.mark.parametrize("key", [
    (Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier),  # import files
    (Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier),  # a folder
], ids=["import-files", "import-folder"])
def test_edits_after_a_file_dialog_reach_other_programs(qtbot, window, project_db, key):
    listed = []

    def look_then_cancel(dialog):
        try:
            dialog.setDirectory(str(project_db.parent))  # the project's own folder, as a user browses to it
            every = [f for f in dialog.nameFilters() if "(*)" in f]
            if every:
                dialog.selectNameFilter(every[0])  # "All files": the database and its -wal and -shm listed
            model = dialog.findChild(QFileSystemModel)
            root = model.index(str(project_db.parent))
            if dialog.fileMode() == QFileDialog.FileMode.Directory:  # lists folders only (none here)
                qtbot.wait(800)
                listed.append(str(project_db.parent))
            else:
                qtbot.waitUntil(lambda: model.rowCount(root) >= 1, timeout=20_000)
            qtbot.wait(500)  # the dialog gathers what it shows of each file
            listed.extend(model.index(r, 0, root).data() for r in range(model.rowCount(root)))
            for r in range(model.rowCount(root)):  # what the dialog shows: names, types, sizes
                for c in range(model.columnCount(root)):
                    model.index(r, c, root).data()
            qtbot.wait(300)
        finally:
            dialog.reject()

    when_shown(QFileDialog, look_then_cancel)
    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, *key)
    assert listed  # the project's folder was shown
    window.activateWindow()  # a desktop gives focus back after a dialog; offscreen needs asking
    qtbot.waitUntil(window.isActiveWindow)

    assert accepted_elsewhere(project_db) == 0  # another program opens and closes the database
    first = window.view.document.id
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # accept
    assert window.store.review(first).state == ACCEPTED
    assert accepted_elsewhere(project_db) == 1, "the window's edit went into a WAL no other program sees"
    assert Path(f"{project_db}-wal").exists()


def test_every_file_dialog_goes_through_the_safe_one():
    """Qt's static file dialogs (and the platform's) peek into files: only annotator.gui.file_dialogs
    may make a QFileDialog."""
    package = ROOT / "annotator"
    offenders = [str(p.relative_to(ROOT)) for p in package.rglob("*.py")
                 if p.name != "file_dialogs.py" and "QFileDialog" in p.read_text(encoding="utf-8")]
    assert offenders == []
