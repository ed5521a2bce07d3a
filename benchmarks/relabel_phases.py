"""Where the undo and redo of a recorded bulk change go (issue 12), on a copy of a corpus.

    .venv/bin/python benchmarks/relabel_phases.py --db COPY.db [--change ID] [--rounds 2]

Takes the newest recorded change (``relabel_scale.py --phases preview apply`` records one),
then undoes and redoes it ``--rounds`` times, in this process (no window), timing the bulk
writers' steps by wrapping them: reading the pages' bases, packing the edited layers, writing
them, the review rows, the edit log, forgetting the layers of documents the change started.
Prints one JSON line per phase: wall and CPU seconds, seconds per step, load average.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.core import packed_layer  # noqa: E402
from annotator.ops import occurrences  # noqa: E402
from annotator.ops.labels import project_labels  # noqa: E402
from annotator.store import Store, bulk  # noqa: E402

spent: dict[str, float] = {}


def _timed(owner: object, name: str) -> None:
    real = getattr(owner, name)

    @functools.wraps(real)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        start = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--change", type=int)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if str(args.db.resolve()).startswith("/work/scale-data/"):
        sys.exit("run it on a copy: the shared corpora are never written")
    for name in ("bases", "set_packed_gold", "set_in_progress", "log_edits", "forget_layers"):
        _timed(bulk, name)
    _timed(packed_layer.PackedLayer, "edited")
    with Store.open(args.db, create=False) as store:
        change = args.change or store._q("SELECT max(id) FROM bulk_changes").fetchone()[0]
        if change is None:
            sys.exit("no recorded change: run relabel_scale.py --phases preview apply first")
        annotator, state = store._q("SELECT annotator, state FROM bulk_changes WHERE id = ?", [change]).fetchone()
        labels = project_labels(store).names
        phases = ["undo", "redo"] if state == "applied" else ["redo", "undo"]
        for _ in range(args.rounds):
            for phase in phases:
                spent.clear()
                cpu, wall = time.process_time(), time.perf_counter()
                getattr(occurrences, phase)(store, change, annotator, labels)
                print(json.dumps({"figure": "relabel_phases", "phase": phase,
                                  "seconds": round(time.perf_counter() - wall, 2),
                                  "cpu_s": round(time.process_time() - cpu, 2),
                                  "steps_s": {k: round(v, 3) for k, v in spent.items()},
                                  "load": round(os.getloadavg()[0], 2)}), flush=True)


if __name__ == "__main__":
    main()
