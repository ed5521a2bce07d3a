"""Tools → Evaluation (and Agreement) in the real window's worker thread: time, peak memory, and how
many times the GUI thread handled a 10 ms timer meanwhile (it must keep running).

    .venv/bin/python benchmarks/report_windows.py --db /tmp/annotator-scale/eval-50k.db [--build 50000]
        [--agreement] [--cancel-after 2]

``seconds`` runs until the report is shown; ``worker_ended_s`` until the worker thread has also kept the
scores it computed (and the evaluation's second process has ended). ``--build N`` first makes a corpus of N documents, every one accepted (scale_corpus marks 10 %: this
gives 50k accepted documents without building 500k). Offscreen; peak memory is the process's
(``ru_maxrss``), reported beside its size before the run, and the largest child process's
(the first evaluation's second process, :mod:`annotator.ops.evaluating_helper`), and the CPU
seconds of both (``cpu_s``, ``child_cpu_s``: on a shared machine the wall time depends on a free
second core, the CPU time much less); ``ANNOTATOR_EVALUATION_PROCESSES=1`` measures with one process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20  # MiB, as ru_maxrss / 1024


class GuiTicks:
    """A 10 ms timer's ticks counted: how often the GUI thread got to handle its events
    (``reset`` starts a new count; ``expected`` for a span of seconds is 100 per second)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.count = 0
        self.timer = QTimer()
        self.timer.timeout.connect(self._tick)
        self.timer.start(10)

    def _tick(self) -> None:
        self.count += 1

    def reset(self) -> None:
        self.count = 0

    def stop(self) -> None:
        self.timer.stop()


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its ended children so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run_window(dialog, cancel_after: float | None = None) -> dict:  # noqa: ANN001
    """Refresh the dialog and run the event loop (as the window's own: the GUI thread waits in Qt,
    not holding Python's GIL) until the report is shown, then until the worker thread ended."""
    from PySide6.QtCore import QEventLoop, QTimer

    runner = dialog.runner
    ticks = GuiTicks()
    before = rss_mb()
    cpu_before = _cpu()
    loop = QEventLoop()
    outcomes = (runner.succeeded, runner.failed, runner.cancelled)
    for signal in outcomes:
        signal.connect(loop.quit)
    cancelled_at: list[float] = []

    def cancel() -> None:
        cancelled_at.append(time.perf_counter())
        dialog.cancel()

    started = time.perf_counter()
    dialog.refresh()
    if cancel_after is not None:
        QTimer.singleShot(int(cancel_after * 1000), cancel)
    if dialog.running:
        loop.exec()
    seconds = time.perf_counter() - started
    for signal in outcomes:
        signal.disconnect(loop.quit)
    if runner.finishing:  # the report is shown; the task still keeps what it computed
        ended = QEventLoop()
        runner._thread.finished.connect(ended.quit)
        if runner.finishing:
            ended.exec()
    finished = time.perf_counter() - started
    ticks.stop()
    cpu = [after - earlier for after, earlier in zip(_cpu(), cpu_before)]
    result = {"seconds": round(seconds, 2), "worker_ended_s": round(finished, 2), "gui_ticks": ticks.count,
              "rss_before_mb": round(before, 0),
              # CPU seconds (user + system) of the window's process and of the child processes ended meanwhile
              # (the evaluation's second process): the figure that does not depend on a free second core
              "cpu_s": round(cpu[0], 2), "child_cpu_s": round(cpu[1], 2),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
              # the evaluation's second process, if one ran (the largest child ended so far)
              "child_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 0)}
    if cancelled_at:
        result["cancel_to_stop_s"] = round(time.perf_counter() - cancelled_at[0], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--build", type=int, default=0, help="first build a corpus of N accepted documents")
    parser.add_argument("--agreement", action="store_true", help="also time Tools → Agreement")
    parser.add_argument("--cancel-after", type=float, help="then run again and press Cancel after S seconds")
    parser.add_argument("--repeat", type=int, default=1, help="evaluate this many times (the first run keeps each "
                        "document's score; later runs read them)")
    args = parser.parse_args()
    if args.build:
        from scale_corpus import build

        if args.db.exists():
            sys.exit(f"{args.db} exists; remove it first")
        args.db.parent.mkdir(parents=True, exist_ok=True)
        print(build(args.db, args.build, accepted_share=1.0), flush=True)

    from annotator.core.labels import LabelSet
    from annotator.gui.app import create_application
    from annotator.gui.evaluation_view import EvaluationDialog, evaluation_task
    from annotator.pipeline import DEFAULT_MODEL
    from annotator.store import Store

    with Store.open(args.db, create=False) as store:
        accepted = store.accepted_count()
    app = create_application()
    dialog = EvaluationDialog(evaluation_task(args.db, DEFAULT_MODEL), lambda *_: None, LabelSet(()))
    result = {"accepted": accepted, "evaluation": run_window(dialog)}
    result["evaluation"]["disagreements_listed"] = dialog.disagreements.rowCount()
    result["evaluation"]["summary"] = dialog.summary.text()[:160]
    for k in range(1, args.repeat):
        result[f"evaluation_run_{k + 1}"] = run_window(dialog)
    if args.cancel_after is not None:
        result["cancelled_run"] = run_window(dialog, args.cancel_after)
    if args.agreement:
        from annotator.gui.agreement_view import AgreementDialog, agreement_task

        agreement = AgreementDialog(agreement_task(args.db, DEFAULT_MODEL), lambda _: None, LabelSet(()))
        result["agreement"] = run_window(agreement)
    print(result)
    app.quit()


if __name__ == "__main__":
    main()
