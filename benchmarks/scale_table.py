"""The issue-12 table at one corpus size (a corpus built by scale_corpus.py), figure by figure.

    .venv/bin/python benchmarks/scale_table.py --db /work/scale-data/100k.db [--skip relabel-apply exports]

Figures, each printed as a JSON line as soon as it is measured:

- ``first_document``: a new process ``python -m annotator open --db DB --smoke`` (offscreen,
  from source) until it prints that the first document is shown (after its first paint);
  median of ``--runs`` (the file is in the page cache after the first run);
- ``search`` / ``state_filter``: in the real window (offscreen), typing a common word in the
  search box and choosing the "accepted" filter: ``apply_filter`` (first page shown, count
  started or read from the counters) plus the event-loop turn that paints it;
- ``suggestions``: boilerplate suggestions as the window computes them when a document opens
  (``open_suggestions``), median over 50 documents;
- ``relabel``: every "Mali" as GPE: the preview's first page (500 occurrences, what the window
  shows first), the whole preview scan, then apply and undo (``--skip relabel-apply`` leaves
  the database alone);
- ``evaluation``: ``evaluate_stored`` as Tools → Evaluation runs it, the first time (each
  document scored and its score kept; ``first_shown_s`` when the report was handed over, before
  the last scores were kept) and again (the kept scores read back);
- ``exports``: ``annotator export`` per format in a child process (``export_memory.py``):
  seconds, peak RSS, files (accepted documents; ``--export-all`` for every document);
- ``size``: database bytes per 1,000 documents.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ANNOTATOR = "bench"


def emit(name: str, **figures: object) -> None:
    print(json.dumps({"figure": name, **figures}), flush=True)


def first_document(db: Path, runs: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "ANNOTATOR_USER": ANNOTATOR}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "annotator", "open", "--db", str(db), "--smoke"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
        assert child.stdout is not None
        shown = None
        for line in child.stdout:
            if "first document shown" in line:
                shown = time.perf_counter() - started
                break
        child.wait(timeout=120)
        if shown is None:
            raise SystemExit("the window did not report its first document")
        times.append(shown * 1000)
    emit("first_document", median_ms=round(statistics.median(times)), runs_ms=[round(t) for t in times])


def window_figures(db: Path) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from annotator.gui.app import create_application
    from annotator.gui.main_window import MainWindow
    from annotator.gui.document_list import FILTERS
    from annotator.ops.suggestions import open_suggestions
    from annotator.pipeline import DEFAULT_MODEL
    from annotator.store import Store

    app = create_application()
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    store = Store.open(db)
    window = MainWindow(store, model=DEFAULT_MODEL, annotator=ANNOTATOR, settings=settings)
    window.show()
    window.open_initial_document()
    QApplication.processEvents()

    def timed(action) -> float:  # noqa: ANN001
        started = time.perf_counter()
        action()
        QApplication.processEvents()
        return (time.perf_counter() - started) * 1000

    searches = []
    for word in ("Russia", "Kremlin", "officials"):
        def search(word: str = word) -> None:
            window.search.setText(word)
            window._search_timer.stop()
            window.apply_filter()
        searches.append(timed(search))
        shown = window.doc_model.rowCount()
    window.search.setText("")
    window._search_timer.stop()
    window.apply_filter()
    emit("search", median_ms=round(statistics.median(searches), 1), runs_ms=[round(t, 1) for t in searches],
         rows_loaded=shown, count_label=window.list_count.text())
    accepted = next(k for k, (name, _states) in enumerate(FILTERS) if name.lower().startswith("accepted"))
    filters = []
    for index in (accepted, 0, accepted, 0):
        filters.append(timed(lambda index=index: window.state_filter.setCurrentIndex(index)))
    emit("state_filter", median_ms=round(statistics.median(filters), 1), runs_ms=[round(t, 1) for t in filters])

    ids = random.Random(3).sample(range(1, store.document_count() + 1), 50)
    texts = dict(store.iter_texts(ids))
    spent = []
    for doc_id in ids:
        started = time.perf_counter()
        open_suggestions(store, doc_id, ANNOTATOR, texts[doc_id])
        spent.append((time.perf_counter() - started) * 1000)
    opening = [timed(lambda doc_id=doc_id: window.show_document(doc_id)) for doc_id in ids[:10]]
    emit("suggestions", median_ms=round(statistics.median(spent), 2), max_ms=round(max(spent), 2),
         show_document_median_ms=round(statistics.median(opening), 1))
    window.close()
    store.close()
    app.quit()


def relabel(db: Path, apply: bool, scan_all: bool = True) -> None:
    from annotator.ops import occurrences
    from annotator.store import Store

    labels = ["GPE", "PERSON", "ORG", "LOC", "DATE", "NORP"]
    with Store.open(db) as store:
        started = time.perf_counter()
        first_page = []
        for occurrence in occurrences.scan(store, ANNOTATOR, "Mali", "GPE"):
            first_page.append(occurrence)
            if len(first_page) == 500:
                break
        page_ms = (time.perf_counter() - started) * 1000
        if not scan_all:
            emit("relabel", preview_first_500_ms=round(page_ms, 1))
            return
        started = time.perf_counter()
        summary = occurrences.Scan("Mali", "GPE")
        for _ in occurrences.scan(store, ANNOTATOR, "Mali", "GPE", summary=summary):
            pass
        scan_s = time.perf_counter() - started
        figures = {"preview_first_500_ms": round(page_ms, 1), "preview_all_s": round(scan_s, 1),
                   "documents": summary.documents, "changing": summary.changing,
                   "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
        if apply:
            started = time.perf_counter()
            applied = occurrences.apply(store, ANNOTATOR, "GPE", occurrences.scan(store, ANNOTATOR, "Mali", "GPE"),
                                        labels, description="Relabel every “Mali” as GPE")
            figures["apply_s"] = round(time.perf_counter() - started, 1)
            figures["applied_documents"] = applied.documents
            started = time.perf_counter()
            occurrences.undo(store, applied.change_id, ANNOTATOR, labels)
            figures["undo_s"] = round(time.perf_counter() - started, 1)
            figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        emit("relabel", **figures)


def evaluation(db: Path) -> None:
    from annotator.ops.evaluating import evaluate_stored
    from annotator.store import Store

    with Store.open(db) as store:
        runs, shown = [], []
        for _ in range(2):
            started = time.perf_counter()
            report = evaluate_stored(store, None, on_report=lambda _: shown.append(time.perf_counter() - started))
            runs.append(time.perf_counter() - started)
        emit("evaluation", accepted=report.documents, first_shown_s=round(shown[0], 2), first_s=round(runs[0], 2),
             again_s=round(runs[1], 2),
             f=round(report.evaluation.to_dict()["ents_f"], 4),
             peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def exports(db: Path, include_all: bool, formats: list[str]) -> None:
    from export_memory import SUFFIX, run_peak

    folder = Path(tempfile.mkdtemp(prefix="scale-table-", dir=db.parent))
    try:
        for fmt in formats:
            emit("export", **run_peak(db, fmt, folder / f"out{SUFFIX[fmt]}", include_all))
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def size(db: Path) -> None:
    from annotator.store import Store

    with Store.open(db) as store:
        n = store.document_count()
    emit("size", documents=n, mb=round(db.stat().st_size / 1e6), mb_per_1000_docs=round(db.stat().st_size / 1e6 / (n / 1000), 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="+", default=None,
                        choices=["size", "first", "window", "evaluation", "relabel", "exports"])
    parser.add_argument("--skip", nargs="+", default=[], choices=["relabel-all", "relabel-apply", "exports"])
    parser.add_argument("--formats", nargs="+", default=["jsonl", "doccano", "spacy"])
    parser.add_argument("--export-all", action="store_true")
    args = parser.parse_args()
    steps = args.only or ["size", "first", "window", "evaluation", "relabel", "exports"]
    if "size" in steps:
        size(args.db)
    if "first" in steps:
        first_document(args.db, args.runs)
    if "window" in steps:
        window_figures(args.db)
    if "evaluation" in steps:
        evaluation(args.db)
    if "relabel" in steps:
        relabel(args.db, "relabel-apply" not in args.skip, "relabel-all" not in args.skip)
    if "exports" in steps and "exports" not in args.skip:
        exports(args.db, args.export_all, args.formats)


if __name__ == "__main__":
    main()
