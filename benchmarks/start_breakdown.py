"""Where the window's start goes, stage by stage (issue 12: first document shown ≤ 500 ms).

    .venv/bin/python benchmarks/start_breakdown.py --db /path/to/500k.db [--runs 3]

Each run is a new process (offscreen, from source) that does what ``annotator open --smoke``
does (annotator.launch → annotator.gui.app.run_gui) in the same order, and notes after each
stage the wall time since it was spawned and its CPU time (all threads). Printed: the median of
``--runs`` per stage, and the load average (the machine may be shared: CPU time is the steadier
figure). ``benchmarks/scale_table.py --only first`` measures the real command end to end.
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


def child(db: Path) -> None:
    """One start, stage by stage, as run_gui does it; prints the stages as JSON."""
    spawned = float(os.environ["START_BREAKDOWN_SPAWNED"])
    stages: list[tuple[str, float, float]] = []

    def mark(name: str) -> None:
        stages.append((name, (time.time() - spawned) * 1000, time.process_time() * 1000))

    mark("interpreter and site (venv, editable install)")
    import annotator.gui.app  # noqa: F401
    import annotator.launch  # noqa: F401
    import annotator.pipeline  # noqa: F401
    mark("import annotator.launch, gui.app (the entry point)")
    from annotator.store import Store
    mark("import annotator.store (sqlite-utils)")
    from annotator.gui.app import after_first_paint, create_application, prepare_after_first_paint
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
    mark("show() + open_initial_document()")

    def painted() -> None:
        mark("event loop: first paint of the window done")
        QTimer.singleShot(0, app.quit)

    after_first_paint(window.gold_view, painted)
    prepare_after_first_paint(window, db, [])
    app.exec()
    window.close()
    store.close()
    print(json.dumps(stages))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.db)
        return
    runs = []
    for _ in range(args.runs):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "ANNOTATOR_USER": "bench",
               "START_BREAKDOWN_SPAWNED": repr(time.time())}
        result = subprocess.run([sys.executable, __file__, "--db", str(args.db), "--child"], capture_output=True,
                                text=True, env=env, cwd=ROOT, timeout=300)
        if result.returncode:
            raise SystemExit(result.stderr)
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    print(f"{'stage':<70} {'wall ms':>8} {'+':>6} {'cpu ms':>7} {'+':>6}   (median of {args.runs})")
    last_wall = last_cpu = 0.0
    for i, (name, *_rest) in enumerate(runs[0]):
        wall = statistics.median(run[i][1] for run in runs)
        cpu = statistics.median(run[i][2] for run in runs)
        print(f"{name:<70} {wall:8.0f} {wall - last_wall:6.0f} {cpu:7.0f} {cpu - last_cpu:6.0f}")
        last_wall, last_cpu = wall, cpu
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()),
          "| PYTHONDONTWRITEBYTECODE:", os.environ.get("PYTHONDONTWRITEBYTECODE", "unset"))


if __name__ == "__main__":
    main()
