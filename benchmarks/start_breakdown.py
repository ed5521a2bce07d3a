"""Where the window's start goes, stage by stage (issue 12: first document shown ≤ 500 ms).

    .venv/bin/python benchmarks/start_breakdown.py --db /path/to/500k.db [--runs 3]

Each run is a new process (offscreen, from source) that does what ``annotator open --smoke``
does (annotator.launch → annotator.gui.app.run_gui) in the same order, and notes after each
stage the wall time since it was spawned and its CPU time (all threads). Printed: the median of
``--runs`` per stage, and the load average (the machine may be shared: CPU time is the steadier
figure), the garbage collector's time before the first paint (``gc.callbacks``), and whether
sqlite-utils was imported before the first paint (it should not be: the store reads with the
plain sqlite3 connection and loads sqlite-utils for writes). As run_gui does, the collector is
paused from the start of run_gui to the first paint (then frozen and resumed): ``--no-gc-pause``
leaves it running, ``--gc-freeze`` (with it) only calls ``gc.freeze()`` once the window is built.
``benchmarks/scale_table.py --only first`` measures the real command end to end.
Opening a database may migrate it to the current schema: use a copy of a shared corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(db: Path, gc_freeze: bool, gc_pause: bool) -> None:
    """One start, stage by stage, as run_gui does it; prints the stages as JSON."""
    import gc

    spawned = float(os.environ["START_BREAKDOWN_SPAWNED"])
    stages: list[tuple[str, float, float]] = []
    collections: dict[int, list[float]] = {0: [], 1: [], 2: []}
    began: list[float] = []

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            began.append(time.perf_counter())
        elif began:
            collections[info["generation"]].append((time.perf_counter() - began.pop()) * 1000)

    gc.callbacks.append(on_gc)

    def mark(name: str) -> None:
        stages.append((name, (time.time() - spawned) * 1000, time.process_time() * 1000))

    mark("interpreter and site (venv, editable install)")
    import annotator.gui.app  # noqa: F401
    import annotator.launch  # noqa: F401
    mark("import annotator.launch, gui.app (the entry point)")
    from annotator.gui.app import pause_gc_for_start, resume_gc_after_first_paint
    gc_was_running = pause_gc_for_start() if gc_pause else False
    from annotator.store import Store
    mark("import annotator.store (sqlite3 only)")
    from annotator.gui.app import (after_first_paint, create_application, load_store_writer_after_first_paint,
                                   prepare_after_first_paint)
    app = create_application()
    mark("import PySide6 + QApplication")
    from PySide6.QtCore import QTimer

    from annotator import paths
    from annotator.gui.dialogs import show_error  # noqa: F401
    from annotator.gui.main_window import MainWindow
    from annotator.gui.quit_signals import quit_on_signals
    from annotator.store.connection import GUI_BUSY_TIMEOUT_MS, default_busy_timeout_ms
    mark("import annotator.gui.main_window and the window's modules")
    store = Store.open(db, busy_timeout_ms=default_busy_timeout_ms(GUI_BUSY_TIMEOUT_MS))
    mark("Store.open (schema check)")
    quit_on_signals(app)
    window = MainWindow(store, model="en_core_web_sm", annotator=paths.current_annotator(store.owner()))
    mark("MainWindow() (widgets, actions, menus, settings, list's first page)")
    window.show()
    window.open_initial_document()
    if gc_freeze:
        gc.freeze()
    if gc_pause:
        resume_gc_after_first_paint(window, gc_was_running)
    mark("show() + open_initial_document()" + (" + gc.freeze()" if gc_freeze else ""))
    seen: dict[str, object] = {}

    def painted() -> None:
        mark("event loop: first paint of the window done")
        seen["sqlite_utils_before_paint"] = "sqlite_utils" in sys.modules
        seen["gc_ms_before_paint"] = {g: [round(sum(t), 1), len(t)] for g, t in collections.items()}
        QTimer.singleShot(0, app.quit)

    after_first_paint(window.gold_view, painted)
    prepare_after_first_paint(window, db, [])
    load_store_writer_after_first_paint(window)
    app.exec()
    window.close()
    store.close()
    print(json.dumps({"stages": stages, **seen}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() once the window is built")
    parser.add_argument("--no-gc-pause", action="store_true", help="leave the collector running during the start")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.db, args.gc_freeze, not args.no_gc_pause)
        return
    runs = []
    for _ in range(args.runs):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "ANNOTATOR_USER": "bench",
               "START_BREAKDOWN_SPAWNED": repr(time.time())}
        result = subprocess.run([sys.executable, __file__, "--db", str(args.db), "--child"]
                                + (["--gc-freeze"] if args.gc_freeze else [])
                                + (["--no-gc-pause"] if args.no_gc_pause else []), capture_output=True,
                                text=True, env=env, cwd=ROOT, timeout=300)
        if result.returncode:
            raise SystemExit(result.stderr)
        found = json.loads(result.stdout.strip().splitlines()[-1])
        runs.append(found["stages"])
        print("sqlite-utils imported before the first paint:", found["sqlite_utils_before_paint"],
              "| gc before the paint, per generation [ms, collections]:", found["gc_ms_before_paint"])
    print(f"{'stage':<70} {'wall ms':>8} {'+':>6} {'cpu ms':>7} {'+':>6}   (median of {args.runs})")
    last_wall = last_cpu = 0.0
    for i, (name, *_rest) in enumerate(runs[0]):
        wall = statistics.median(run[i][1] for run in runs)
        cpu = statistics.median(run[i][2] for run in runs)
        print(f"{name:<70} {wall:8.0f} {wall - last_wall:6.0f} {cpu:7.0f} {cpu - last_cpu:6.0f}")
        last_wall, last_cpu = wall, cpu
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()),
          "| PYTHONDONTWRITEBYTECODE:", os.environ.get("PYTHONDONTWRITEBYTECODE", "unset"),
          "| gc paused until the paint:", not args.no_gc_pause, "| gc.freeze() after the window:", args.gc_freeze)


if __name__ == "__main__":
    main()
