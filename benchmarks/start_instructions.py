"""Machine instructions from process start to the window's first paint (issue 12: first document
shown ≤ 500 ms), counted by valgrind's callgrind: the same count whatever else the machine is
doing, so two source trees compare on a shared, noisy machine where wall and CPU time do not.

    .venv/bin/python benchmarks/start_instructions.py --db COPY.db [--code OTHER_TREE ...] [--runs 2]

Each run is a new process (offscreen, from source, bytecode cached: the first run of a tree
writes its ``__pycache__`` and is not counted) that does what ``annotator open`` does up to the
first paint of the gold pane (the stages of ``start_breakdown.py``) and then leaves with
``os._exit(0)``: nothing after the paint is counted. ``--code`` adds source trees to compare
(e.g. a ``git worktree`` of an older commit); ``--top N`` prints the N C functions with the most
instructions (exclusive) of the last run of the first tree. Needs ``valgrind`` (Debian package).
A run takes ~1 minute (callgrind runs the program ~50x slower). Instructions are not
milliseconds: on this machine ~1.4 G instructions were ~500-650 ms of CPU; compare trees, and
report wall time with ``scale_table.py --only first`` on a quiet machine.
Opening a database may migrate it to the current schema: use a copy of a shared corpus.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(db: Path) -> None:
    """Up to the first paint as run_gui does it, then out (no teardown counted)."""
    import annotator.gui.app  # noqa: F401
    import annotator.launch  # noqa: F401
    from annotator.gui.app import after_first_paint, create_application, pause_gc_for_start, resume_gc_after_first_paint

    gc_was_running = pause_gc_for_start()
    from annotator.store import Store

    app = create_application()
    from annotator import paths
    from annotator.gui.dialogs import show_error  # noqa: F401
    from annotator.gui.main_window import MainWindow
    from annotator.gui.quit_signals import quit_on_signals
    from annotator.store.connection import GUI_BUSY_TIMEOUT_MS, default_busy_timeout_ms

    store = Store.open(db, busy_timeout_ms=default_busy_timeout_ms(GUI_BUSY_TIMEOUT_MS))
    quit_on_signals(app)
    window = MainWindow(store, model="en_core_web_sm", annotator=paths.current_annotator(store.owner()))
    window.show()
    window.open_initial_document()
    resume_gc_after_first_paint(window, gc_was_running)

    def painted() -> None:
        shown = window.view.document.source if window.view else "no document"
        sys.stdout.write(f"painted: {shown}\n")
        sys.stdout.flush()
        os._exit(0)

    after_first_paint(window.gold_view, painted)
    app.exec()


def count(code: Path, db: Path, out: Path) -> int:
    env = {**os.environ, "PYTHONPATH": str(code), "QT_QPA_PLATFORM": "offscreen", "ANNOTATOR_USER": "bench"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    result = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
                             __file__, "--db", str(db), "--child"], capture_output=True, text=True, env=env,
                            cwd=code, timeout=1800)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode or found is None or "painted:" not in result.stdout:
        raise SystemExit(f"the run in {code} failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--code", type=Path, action="append", default=[], help="another source tree to compare")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.db)
        return
    trees = [ROOT, *(c.resolve() for c in args.code)]
    with tempfile.TemporaryDirectory() as tmp:
        results: dict[Path, list[int]] = {}
        for tree in trees:
            count(tree, args.db, Path(tmp) / "warm.out")  # writes the tree's bytecode: not counted
        for run in range(args.runs):
            for tree in trees:  # alternated
                results.setdefault(tree, []).append(count(tree, args.db, Path(tmp) / f"{run}-{trees.index(tree)}.out"))
        for tree in trees:
            counts = results[tree]
            print(f"{str(tree):<40} instructions to the first paint: median {statistics.median(counts):,.0f} "
                  f"(runs {', '.join(f'{c:,}' for c in counts)})")
        if args.top:
            annotate = subprocess.run(["callgrind_annotate", "--inclusive=no", str(Path(tmp) / f"{args.runs - 1}-0.out")],
                                      capture_output=True, text=True)
            lines = [line for line in annotate.stdout.splitlines() if re.match(r"\s*[\d,]+ \(", line)]
            print("\n".join(lines[:args.top + 1]))


if __name__ == "__main__":
    main()
