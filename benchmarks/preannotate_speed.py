"""Pre-annotation words/s: annotator (NER-only, into SQLite) vs plain nlp.pipe with the full pipeline.

Usage: python benchmarks/preannotate_speed.py [--copies N] [--batch-size N]
The seeds are repeated N times (each copy made unique so nothing is skipped as a duplicate).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import spacy

from annotator.ops.preannotate import preannotate
from annotator.pipeline import DEFAULT_MODEL, load_pipeline
from annotator.store import Store

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    texts = [f"{text}\n(copy {i})" for i in range(args.copies) for text in seeds]

    full = spacy.load(DEFAULT_MODEL)
    full(texts[0])  # warm up
    started = time.perf_counter()
    full_docs = list(full.pipe(texts, batch_size=args.batch_size))
    full_seconds = time.perf_counter() - started
    words = sum(len(doc) for doc in full_docs)
    full_ents = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in full_docs]
    del full_docs

    nlp = load_pipeline(DEFAULT_MODEL)
    nlp(texts[0])
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        with store.transaction():
            ids = [store.add_document(t, f"doc{i}", str(i))[0] for i, t in enumerate(texts)]
        started = time.perf_counter()
        report = preannotate(store, nlp, batch_size=args.batch_size)
        ours_seconds = time.perf_counter() - started
        ours_ents = [[(s.start, s.end, s.label) for s in store.prediction(i).spans] for i in ids]
        store.close()

    identical = ours_ents == full_ents
    print(f"documents: {len(texts)}, tokens: {words:,}, entities: {sum(map(len, full_ents)):,}")
    print(f"plain nlp.pipe, full pipeline ({', '.join(full.pipe_names)}): {full_seconds:6.2f} s  {words / full_seconds:9,.0f} words/s")
    print(f"annotator preannotate (NER-only, stored in SQLite):       {ours_seconds:6.2f} s  {report.words / ours_seconds:9,.0f} words/s")
    print(f"speed-up: {full_seconds / ours_seconds:.2f}x (target >= 1.8x); identical entities: {identical}")
    if not identical:
        raise SystemExit("entities differ")


if __name__ == "__main__":
    main()
