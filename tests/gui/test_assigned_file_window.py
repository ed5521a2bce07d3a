"""The window opened on an annotator's assigned file lists only the documents assigned to them (as
``visible_ids`` says), even when the file holds others, and moves only between those."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from annotator import paths
from annotator.core.hashing import content_hash
from annotator.gui.main_window import MainWindow
from annotator.ops.assigning import assign, visible_ids
from annotator.pipeline import DEFAULT_MODEL
from annotator.store import Store
from annotator.store import team
from tests.team.helpers import make_project

pytestmark = pytest.mark.gui


def test_window_on_an_assigned_file_lists_only_the_owners_documents(qtbot, tmp_path, tokenize):
    make_project(tmp_path / "project.db", tokenize)
    with Store.open(tmp_path / "project.db") as store:
        assign(store, tmp_path / "out", ["ann", "bob"], overlap=0.0, seed=1)
    path = tmp_path / "out" / "ann.db"
    with Store.open(path, create=False) as own:
        mine = team.assigned_ids(own, "ann")
        text = "Somebody else's text about Bamako."
        other, _ = own.add_document(text, "zz-not-mine.txt", content_hash(text))  # in the file, not assigned
        own.set_tokens(other, "blank", tokenize(text))
        assert visible_ids(own) == mine and other not in mine
    store = Store.open(path, create=False)
    try:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(store, model=DEFAULT_MODEL, annotator=paths.current_annotator(store.owner()),
                            settings=settings)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.open_initial_document()
        assert window.annotator == "ann"
        qtbot.waitUntil(lambda: window.list_count.text() == f"{len(mine)} documents")
        assert window.doc_model.loaded_ids() == mine
        window.show_document(mine[-1])
        window.gold_view.setFocus()
        qtbot.keyClick(window.gold_view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
        assert window.view.document.id == mine[-1]  # the last of hers: the next is not the intruder
        qtbot.keyClick(window.gold_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # accept
        assert window.view.document.id != other and window.view.document.id in mine
        window.search.setText("Bamako")
        qtbot.waitUntil(lambda: "counting" not in window.list_count.text())
        assert other not in window.doc_model.loaded_ids() and window.doc_model.loaded_ids() == mine
        window.close()
    finally:
        store.close()
