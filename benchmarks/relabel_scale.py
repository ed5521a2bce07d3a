"""Relabel every occurrence at scale (issue 12): preview, apply, undo and redo of one term,
through the code the window runs (Ctrl+R → OccurrencesDialog).

    .venv/bin/python benchmarks/relabel_scale.py --db COPY.db [--needle "junta agreement spokesperson"]
        [--label ORG] [--phases preview apply undo redo undo]

The database is changed (apply, undo, redo ...): run it on a COPY of a scale corpus
(``sqlite3 SRC ".backup COPY"``), never on a shared file. The default phases end with an undo,
so the copy is back where it was (the edit log and the change record grow).

Each phase runs as the dialog and the undo stack run it, minus the threads: the preview is
:class:`ScanWorker` filling an :class:`OccurrenceModel` (the window's compact arrays); apply,
undo and redo are :class:`BulkWorker` jobs as ``label_occurrences`` and ``BulkCommand`` make
them. Each phase prints a JSON line: seconds, peak RSS of the phase (the high-water mark is
reset before each phase through ``/proc/self/clear_refs``), the load average, and what changed.

The default needle, "junta agreement spokesperson", is in two of the 4,000 generated sentences
of ``scale_corpus.py`` (seed 7): about 1,850 documents at 100k and 9,300 at 500k (each
occurrence a new span: no model span has those bounds). On 500k-migrated.db it finds 8,933
occurrences in 8,854 documents, 8,060 of them never edited: their first edit copies ~826k model
spans into the gold, which sets what apply, undo and redo cost (benchmarks/README.md; the
per-row cost of those inserts alone: ``stamp_triggers.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ANNOTATOR = "bench"
LABELS = ["GPE", "PERSON", "ORG", "LOC", "DATE", "NORP"]


def _peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return -1.0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # the peak RSS (VmHWM) starts again from the current RSS
    except OSError:
        pass


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def emit(phase: str, cpu: float, **figures: object) -> None:
    """One phase's figures; ``cpu_s`` is this process's CPU time (the shared machine's load
    stretches ``seconds``, not ``cpu_s``)."""
    print(json.dumps({"figure": "relabel_scale", "phase": phase, "cpu_s": round(time.process_time() - cpu, 2),
                      **figures}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--needle", default="junta agreement spokesperson")
    parser.add_argument("--label", default="ORG")
    parser.add_argument("--phases", nargs="+", default=["preview", "apply", "undo", "redo", "undo"],
                        choices=["preview", "apply", "undo", "redo"])
    args = parser.parse_args()
    if str(args.db.resolve()).startswith("/work/scale-data/"):
        sys.exit("run it on a copy: the shared corpora are never written")

    from PySide6.QtCore import QCoreApplication

    from annotator.gui.occurrences_view import BulkWorker, OccurrenceModel, ScanWorker
    from annotator.ops import occurrences as ops
    from annotator.store import Store, bulk

    app = QCoreApplication.instance() or QCoreApplication([])
    store = Store.open(args.db)
    model = OccurrenceModel(store)
    change_id: int | None = None
    documents = 0
    description = f"Relabel every “{args.needle}” as {args.label}"

    def run_job(job) -> object:
        worker = BulkWorker(args.db, job)
        outcome: dict[str, object] = {}
        worker.finished.connect(lambda result: outcome.setdefault("result", result))
        worker.failed.connect(lambda message: outcome.setdefault("failed", message))
        worker.run()  # the worker's own code, in this thread (the window runs it in a QThread)
        if "failed" in outcome:
            sys.exit(f"failed: {outcome['failed']}")
        return outcome["result"]

    for phase in args.phases:
        _reset_peak()
        started, cpu = time.perf_counter(), time.process_time()
        if phase == "preview":
            model.clear()
            first: list[float] = []
            worker = ScanWorker(args.db, ANNOTATOR, args.needle, args.label, None, True)
            summary: dict[str, ops.Scan] = {}

            def found(_number: int, items: list[ops.Occurrence]) -> None:
                model.add(items)
                if not first and items:  # the first batch (up to 500 rows) the list shows
                    first.append(time.perf_counter() - started)

            worker.found.connect(found)
            worker.finished.connect(lambda _n, s: summary.setdefault("scan", s))
            worker.run()
            seconds = time.perf_counter() - started
            scan = summary["scan"]
            documents = scan.documents
            emit("preview", cpu, seconds=round(seconds, 2), first_rows_ms=round(first[0] * 1000, 1) if first else None,
                 documents=scan.documents, occurrences=model.rowCount(), changing=model.included_count(),
                 counts=scan.counts, peak_rss_mb=_peak_mb(), load=_load())
        elif phase == "apply":
            if model.rowCount() == 0:
                sys.exit("apply needs a preview first")
            label = args.label
            result = run_job(lambda s, progress: (
                progress.start("Labelling", documents),
                ops.apply(s, ANNOTATOR, label, model.included(), LABELS, description=description,
                          progress=progress))[1])
            change_id = result.change_id
            emit("apply", cpu, seconds=round(time.perf_counter() - started, 2), documents=result.documents,
                 relabelled=result.relabelled, added=result.added, peak_rss_mb=_peak_mb(), load=_load())
        else:
            if change_id is None:
                sys.exit(f"{phase} needs an apply first")
            cid = change_id
            if phase == "undo":
                run_job(lambda s, progress: ops.undo(s, cid, ANNOTATOR, LABELS, progress))
            else:
                run_job(lambda s, progress: ops.redo(s, cid, ANNOTATOR, LABELS, progress))
            seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
            record = bulk.change(store, cid)
            emit(phase, time.process_time() - cpu_s, seconds=round(seconds, 2), documents=record.documents,
                 spans=record.spans, state=record.state, peak_rss_mb=_peak_mb(), load=_load())
    store.close()
    app.quit()


if __name__ == "__main__":
    main()
