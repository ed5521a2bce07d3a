"""Report windows compute in a worker thread: value, known problem, bug, Cancel and closing while it runs."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from annotator.core.errors import InputError
from annotator.gui.report_window import ReportWindow

pytestmark = pytest.mark.gui


class Shown(ReportWindow):
    """A report window that keeps what it was given."""

    def __init__(self, task):  # noqa: ANN001
        super().__init__("Test report", task)
        self.reports: list[object] = []

    def show_report(self, report: object) -> None:
        self.reports.append(report)
        self.summary.setText(f"got {report}")


@pytest.fixture
def make(qtbot):
    def build(task) -> Shown:  # noqa: ANN001
        window = Shown(task)
        qtbot.addWidget(window)
        window.show()
        return window

    return build


def test_value_and_progress_come_back_by_signal(qtbot, make):
    threads = []

    def task(progress):  # noqa: ANN001, ANN202
        threads.append(threading.current_thread())
        progress.start("Counting", 3)
        for _ in range(3):
            progress.advance()
        return 42

    window = make(task)
    with qtbot.waitSignal(window.runner.progress, check_params_cb=lambda d, done, total: (done, total) == (3, 3)):
        window.refresh()
    qtbot.waitUntil(lambda: not window.running)
    assert window.reports == [42] and threads[0] is not threading.main_thread()
    assert window.progress_bar.maximum() == 3 and window.progress_bar.value() == 3


def test_a_known_problem_replaces_the_report_with_its_sentence(qtbot, make):
    def task(progress):  # noqa: ANN001, ANN202
        raise InputError("no gold yet: accept some documents")

    window = make(task)
    window.refresh()
    qtbot.waitUntil(lambda: not window.running)
    assert window.stack.currentWidget() is window.message_page and window.message.text() == \
        "No gold yet: accept some documents"
    assert window.reports == [] and window.refresh_button.isEnabled()


def test_a_bug_reaches_the_excepthook(qtbot, make):
    def task(progress):  # noqa: ANN001, ANN202
        raise ZeroDivisionError("a bug")

    window = make(task)
    with qtbot.captureExceptions() as caught:
        window.refresh()
        qtbot.waitUntil(lambda: not window.running)
    assert [type(exc) for _, exc, _ in caught] == [ZeroDivisionError]
    assert "failed" in window.summary.text() and window.refresh_button.isEnabled()


def test_closing_while_it_runs_cancels_and_ends_the_thread(qtbot, make):
    started = threading.Event()

    def endless(progress):  # noqa: ANN001, ANN202
        progress.start("Forever", None)
        started.set()
        while True:  # only Cancel ends it (the next advance raises)
            progress.advance()
            threading.Event().wait(0.001)

    window = make(endless)
    window.refresh()
    qtbot.waitUntil(started.is_set)
    thread = window.runner._thread
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isVisible() and not window.running
    assert thread.isFinished(), "the worker thread ended before the window went"
    assert window.reports == []


def test_a_value_handed_over_early_is_shown_while_the_task_finishes_and_a_refresh_waits_without_blocking(
        qtbot, make):
    """A task hands its value over (``progress.deliver``) and then keeps its housekeeping going
    (the evaluation keeps its scores): the window shows the value at once; a refresh meanwhile
    returns at once, and its task starts only once the first one's thread has ended."""
    housekeeping = threading.Event()
    runs: list[str] = []

    def task(progress):  # noqa: ANN001, ANN202
        n = sum(run.startswith("started") for run in runs)
        runs.append(f"started {n}")
        progress.deliver(n)
        if n == 0:
            housekeeping.wait(30)
        runs.append(f"ended {n}")
        return "ignored: handed over already"

    window = make(task)
    window.refresh()
    qtbot.waitUntil(lambda: window.reports == [0])
    assert not window.running and runs == ["started 0"], "shown while the task still finishes"

    releaser = threading.Timer(10, housekeeping.set)  # should refresh() wait for the thread, it returns late
    releaser.start()
    try:
        window.refresh()
        assert not housekeeping.is_set(), "refresh() waited for the previous task's thread"
        assert window.running and runs == ["started 0"], "the new task waits for the previous one to end"
        housekeeping.set()
        qtbot.waitUntil(lambda: window.reports == [0, 1])
    finally:
        releaser.cancel()
    qtbot.waitUntil(lambda: runs[-1] == "ended 1")
    assert runs == ["started 0", "ended 0", "started 1", "ended 1"]


def test_a_failure_after_the_value_was_handed_over_keeps_the_value_shown(qtbot, make, caplog):
    """A bug in the housekeeping reaches the error report like any other; a known problem is
    logged; either way the value stays shown."""
    def buggy(progress):  # noqa: ANN001, ANN202
        progress.deliver("scores")
        raise ZeroDivisionError("a bug while keeping the cache")

    window = make(buggy)
    with qtbot.captureExceptions() as caught:
        window.refresh()
        qtbot.waitUntil(lambda: window.runner._thread.isFinished())
        qtbot.wait(50)  # any late signal of the run is delivered
    assert [type(exc) for _, exc, _ in caught] == [ZeroDivisionError]
    assert window.reports == ["scores"] and "got scores" in window.summary.text()

    def known(progress):  # noqa: ANN001, ANN202
        progress.deliver("again")
        raise InputError("the cache could not be kept: the disk is full")

    window.runner._task = known
    window._task = known
    with qtbot.captureExceptions() as caught:
        window.refresh()
        qtbot.waitUntil(lambda: window.reports == ["scores", "again"])
        qtbot.waitUntil(lambda: window.runner._thread.isFinished())
        qtbot.wait(50)
    assert caught == [] and "the disk is full" in caplog.text


def test_closing_the_window_once_the_value_is_shown_does_not_wait_for_the_housekeeping(qtbot, make):
    housekeeping = threading.Event()

    def task(progress):  # noqa: ANN001, ANN202
        progress.deliver("shown")
        housekeeping.wait(30)

    window = make(task)
    window.refresh()
    qtbot.waitUntil(lambda: window.reports == ["shown"])
    releaser = threading.Timer(10, housekeeping.set)  # should closing wait for the thread, it returns late
    releaser.start()
    try:
        qtbot.keyClick(window, Qt.Key.Key_Escape)
        assert not window.isVisible()
        assert not housekeeping.is_set(), "closing waited for the task's housekeeping"
        housekeeping.set()
        qtbot.waitUntil(lambda: window.runner._thread.isFinished())
    finally:
        releaser.cancel()
    window.shutdown()  # as the main window's close: waits (nothing left here)


def test_cancel_of_a_task_waiting_for_the_previous_one_to_finish(qtbot, make):
    housekeeping = threading.Event()
    runs: list[int] = []

    def task(progress):  # noqa: ANN001, ANN202
        runs.append(len(runs))
        progress.deliver(len(runs))
        housekeeping.wait(30)

    window = make(task)
    window.refresh()
    qtbot.waitUntil(lambda: window.reports == [1])
    window.refresh()
    assert window.running
    window.cancel()
    assert not window.running
    housekeeping.set()
    qtbot.waitUntil(lambda: window.runner._thread.isFinished())
    qtbot.wait(50)
    assert runs == [0] and window.reports == [1], "the cancelled task never ran"
