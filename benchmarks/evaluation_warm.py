"""The evaluation's scores kept warm in the real window: time from opening until the warm-up is
done, how many 10 ms timer ticks the GUI thread handled meanwhile, then Tools → Evaluation
(seconds, peak memory), and the cost of accepting a document with its score kept.

    .venv/bin/python benchmarks/evaluation_warm.py --db COPY.db [--accepts 40] [--screenshot OUT.png]

COPY.db is changed (scores kept, ``--accepts`` accepted documents first set back to in progress
so the window can accept them): give it a copy. Offscreen unless ``--screenshot`` (run under
xvfb-run), which saves the window about 2 s into the warm-up. Peak memory is ``ru_maxrss`` of this
process and of the largest child (the warm-up's second process, :mod:`annotator.ops.evaluating_helper`).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--accepts", type=int, default=40, help="documents to accept in the window afterwards")
    parser.add_argument("--annotator", default="bench", help="who accepted the documents (scale_corpus: bench)")
    parser.add_argument("--screenshot", type=Path, help="save the window 2 s into the warm-up (needs a display)")
    args = parser.parse_args()
    if args.screenshot is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    from report_windows import GuiTicks

    from annotator.core.model import ACCEPTED, IN_PROGRESS
    from annotator.gui.app import create_application
    from annotator.gui.main_window import MainWindow
    from annotator.ops import gold_edits
    from annotator.ops.evaluation_warmup import missing
    from annotator.pipeline import DEFAULT_MODEL
    from annotator.store import Store, evaluation_cache

    with Store.open(args.db, create=False) as store:
        ids = store.document_ids(["accepted"])
        to_accept = ids[len(ids) // 2:len(ids) // 2 + args.accepts]
        for doc_id in to_accept:
            gold_edits.set_state(store, doc_id, args.annotator, IN_PROGRESS)
        accepted = store.accepted_count()
        lacking = len(missing(store))

    app = create_application()
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)

    def pump(until, timeout: float = 600.0) -> None:  # noqa: ANN001
        deadline = time.perf_counter() + timeout
        while not until():
            if time.perf_counter() > deadline:
                raise TimeoutError
            QApplication.processEvents()
            time.sleep(0.001)

    started = time.perf_counter()
    window = MainWindow(Store.open(args.db, create=False), model=DEFAULT_MODEL, annotator=args.annotator,
                        settings=settings)
    window._owns_store = True
    window.resize(1400, 900)
    window.show()
    window.open_initial_document()
    QApplication.processEvents()
    shown_s = time.perf_counter() - started
    marks: dict[str, float] = {}
    window.prepared.connect(lambda: marks.setdefault("prepared", time.perf_counter()))
    texts: list[str] = []
    window.warm_status.setText = (lambda real: lambda text: (texts.append(text), real(text)))(window.warm_status.setText)
    ticks = GuiTicks()
    warm_started = time.perf_counter()
    window.prepare(args.db, [])  # as the app does after the first paint
    if args.screenshot is not None:
        pump(lambda: time.perf_counter() - warm_started > 2.0 or ("prepared" in marks and window.warm_idle.is_set()))
        window.grab().save(str(args.screenshot))
    pump(lambda: "prepared" in marks and window.warm_idle.is_set() and not window.warming_up)
    warm_s = time.perf_counter() - warm_started
    warm_ticks = ticks.count
    result: dict = {
        "accepted": accepted, "lacking_score": lacking, "window_shown_s": round(shown_s, 2),
        "warm_up": {"open_to_done_s": round(warm_s + shown_s, 2), "prepare_call_to_done_s": round(warm_s, 2),
                    "prepared_after_s": round(marks["prepared"] - warm_started, 2), "gui_ticks": warm_ticks,
                    "ticks_expected": int(warm_s * 100), "status_texts": texts[:2] + texts[-2:],
                    "left_after": None},
    }
    with Store.open(args.db, create=False) as check:
        result["warm_up"]["left_after"] = len(missing(check))

    ticks.reset()
    t = time.perf_counter()
    window.show_evaluation()
    dialog = window.evaluation_dialog
    pump(lambda: not dialog.running)
    seconds = time.perf_counter() - t
    result["evaluation"] = {"seconds": round(seconds, 2), "gui_ticks": ticks.count,
                            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                            "child_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
                            "summary": dialog.summary.text()[:120]}
    dialog.close()

    gui_ms, kept_ms = [], []
    for doc_id in to_accept:
        window.show_document(doc_id)
        QApplication.processEvents()
        t = time.perf_counter()
        window.finish_document(ACCEPTED)
        gui_ms.append(1000 * (time.perf_counter() - t))
        pump(lambda: window.warm_idle.is_set() and not window.warming_up)
        kept_ms.append(1000 * (time.perf_counter() - t))
    with Store.open(args.db, create=False) as check:
        runs = evaluation_cache.scored_runs(check, to_accept, None)
        valid = evaluation_cache.valid(check, runs)
    if to_accept:
        result["accept"] = {"n": len(to_accept), "gui_thread_ms_median": round(statistics.median(gui_ms), 1),
                            "accept_to_score_kept_ms_median": round(statistics.median(kept_ms), 1),
                            "accept_to_score_kept_ms_max": round(max(kept_ms), 1),
                            "kept_valid": len(valid)}
    ticks.stop()
    window.close()
    print(result, flush=True)
    app.quit()


if __name__ == "__main__":
    main()
