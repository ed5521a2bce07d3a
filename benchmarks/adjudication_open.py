"""Opening a document in Review → Adjudicate with 3 annotators × 5,000 spans each (target <= 300 ms).

Usage: python benchmarks/adjudication_open.py [--spans 5000] [--docs 5]
Runs offscreen unless DISPLAY is set (then on that display, e.g. under xvfb-run).

Builds ``--docs`` documents of generated news-like text, each with about ``--spans`` entity
tokens, and gives every one to three annotators: each has the same 5,000 spans except its
own relabels (every 7th span for ann, every 11th for bob) and deletions (every 13th for cy),
all accepted. The window enters the mode (the queue is read in its worker thread), then
each document is opened with ``MainWindow.show_document`` plus the event processing and a
synchronous repaint of both panes, i.e. until the window responds again:

- Ctrl+Enter in the queue: accept the final gold and open the next document, after the
  adjudicator spent a second on the previous one (the window reads the next one ahead meanwhile);
- first open: a document never opened, clicked in the list (no read-ahead: it is switched off
  for this and the next figure); opening writes nothing (the final gold shown is the agreed
  spans it starts as; the first edit, or the accept, writes it);
- open again: the final gold read back.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import spacy  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from generate import make_text  # noqa: E402

from annotator.core.hashing import content_hash  # noqa: E402
from annotator.core.model import ACCEPTED  # noqa: E402
from annotator.gui import adjudication_mode  # noqa: E402
from annotator.core.spans import Span  # noqa: E402
from annotator.core.tokens import Tokens  # noqa: E402
from annotator.gui.main_window import MainWindow  # noqa: E402
from annotator.store import Store  # noqa: E402

ENTITY = {"Russia": "GPE", "Mali": "GPE", "Moscow": "GPE", "Bamako": "GPE", "Peskov": "PERSON", "Wagner": "ORG",
          "Kyiv": "GPE", "Kremlin": "ORG", "Ukraine": "GPE", "Africa": "LOC", "Monday": "DATE", "2024": "DATE"}
ANNOTATORS = ("ann", "bob", "cy")


def layer(spans: list[Span], who: str) -> list[Span]:
    out = []
    for i, s in enumerate(spans):
        if who == "cy" and i % 13 == 0:
            continue
        if (who == "ann" and i % 7 == 0) or (who == "bob" and i % 11 == 0):
            s = Span(s.start, s.end, "LOC" if who == "ann" else "NORP", "human")
        out.append(Span(s.start, s.end, s.label, "human"))
    return out


def build(db: Path, n_docs: int, n_spans: int) -> tuple[list[int], int, int]:
    nlp = spacy.blank("en")
    rng = random.Random(5)
    ids, chars, total = [], 0, 0
    with Store.open(db) as store:
        for d in range(n_docs):
            paragraphs, found = [], 0
            while found < n_spans:
                p = make_text(rng, 120)
                paragraphs.append(p)
                found += sum(1 for w in p.split() if w.strip(".,") in ENTITY)
            text = "\n".join(paragraphs)
            doc = nlp(text)
            spans = [Span(t.idx, t.idx + len(t), ENTITY[t.text], "model") for t in doc if t.text in ENTITY][:n_spans]
            with store.transaction():
                doc_id, _ = store.add_document(text, f"big{d}.txt", content_hash(text))
                store.set_tokens(doc_id, "blank", Tokens.from_doc(doc))
                store.add_prediction(doc_id, "en_bench", "1", spans)
                for who in ANNOTATORS:
                    store.add_gold(doc_id, who, layer(spans, who))
                    store.set_review(doc_id, ACCEPTED, who)
            ids.append(doc_id)
            chars, total = chars + len(text), total + len(spans)
    return ids, chars // n_docs, total // n_docs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=5000)
    parser.add_argument("--docs", type=int, default=7)
    parser.add_argument("--flow", type=int, default=3, help="Ctrl+Enter steps through the queue")
    args = parser.parse_args()
    app = QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "adj.db"
        ids, chars, n_spans = build(db, args.docs, args.spans)
        store = Store.open(db)
        window = MainWindow(store, model="en_core_web_sm", annotator="lead",
                            settings=QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        window.resize(1400, 900)
        window.show()
        app.processEvents()
        print(f"{len(ids)} documents of {chars:,} characters, {n_spans:,} spans × {len(ANNOTATORS)} annotators; "
              f"platform {app.platformName()}")
        def open_timed(doc_id: int) -> float:
            started = time.perf_counter()
            window.show_document(doc_id)
            app.processEvents()
            window.gold_view.viewport().repaint()
            window.model_view.viewport().repaint()
            return time.perf_counter() - started

        review = [open_timed(doc_id) for doc_id in ids for _ in range(2)]  # same machine, same moment: a yardstick
        print(f"for comparison, normal review of the same documents (model vs gold): median "
              f"{statistics.median(review) * 1000:7.1f} ms (n={len(review)})")
        started = time.perf_counter()
        window.adjudicate_action.trigger()
        while not window.adjudicating:
            app.processEvents()
            time.sleep(0.001)
        print(f"enter the mode (queue read in the worker, first document opened): "
              f"{(time.perf_counter() - started) * 1000:7.1f} ms")

        def idle(seconds: float) -> None:  # the adjudicator reads: the window's timers and workers run
            until = time.perf_counter() + seconds
            while time.perf_counter() < until:
                app.processEvents()
                time.sleep(0.005)

        def accept_timed() -> float:
            started = time.perf_counter()
            window.finish_document(ACCEPTED)  # what Ctrl+Enter does: accept, open the next in the queue
            app.processEvents()
            window.gold_view.viewport().repaint()
            window.model_view.viewport().repaint()
            return time.perf_counter() - started

        opened = {window.view.document.id}  # the queue's first (most disagreement), opened entering the mode
        flow = []
        for _ in range(min(args.flow, len(ids) - 1)):
            idle(1.0)
            flow.append(accept_timed())
            opened.add(window.view.document.id)
        if hasattr(adjudication_mode, "PREFETCH_DELAY_MS"):
            adjudication_mode.PREFETCH_DELAY_MS = 10**9  # no read-ahead from here on: cold opens
        idle(1.0)  # a read-ahead already under way ends
        if getattr(window, "_candidate_cache", None) is not None:
            window._candidate_cache.clear()  # what the flow read (ahead) is not reused by the cold opens
        first = [open_timed(doc_id) for doc_id in ids if doc_id not in opened]
        again = [open_timed(doc_id) for doc_id in ids for _ in range(2)]
        candidates = len(window.adjudication_view.candidates)
        print(f"candidates on the left: {candidates:,}; final gold spans on the right: {len(window.view.gold):,}")
        if flow:
            print(f"Ctrl+Enter (accept, open the next; 1 s after the last): median "
                  f"{statistics.median(flow) * 1000:7.1f} ms, max {max(flow) * 1000:.1f} (n={len(flow)})")
        print(f"first open (never opened):           median {statistics.median(first) * 1000:7.1f} ms, "
              f"max {max(first) * 1000:.1f} (n={len(first)})  (target <= 300 ms)")
        print(f"open again:                          median {statistics.median(again) * 1000:7.1f} ms, "
              f"max {max(again) * 1000:.1f} (n={len(again)})  (target <= 300 ms)")
        window.close()
        store.close()


if __name__ == "__main__":
    main()
