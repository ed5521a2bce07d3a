"""JSONL export speed: 50k reviewed (accepted) documents with tokens, gold spans and boilerplate.

Usage: python benchmarks/export_speed.py [--documents N]
Times ``annotator.ops.exporting.export`` (what ``annotator export`` calls); building the
database is not timed. Also times the doccano and --strip-boilerplate variants.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import spacy

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import make_texts  # noqa: E402

from annotator.core.spans import Range, Span  # noqa: E402
from annotator.core.tokens import Tokens  # noqa: E402
from annotator.ops.exporting import export  # noqa: E402
from annotator.store import Store  # noqa: E402
from annotator.store.store import now  # noqa: E402

ENTITY_WORDS = {"Russia": "GPE", "Mali": "GPE", "Moscow": "GPE", "Bamako": "GPE", "Peskov": "PERSON", "Wagner": "ORG", "Kyiv": "GPE"}


def build(db: Path, n: int) -> int:
    nlp = spacy.blank("en")
    texts = make_texts(n)
    store = Store.open(db)
    spans_total = 0
    stamp = now()
    with store.transaction():
        for i, doc in enumerate(nlp.pipe(texts, batch_size=1000)):
            doc_id, _ = store.add_document(doc.text, f"gen{i}.txt", f"h{i}")
            store.set_tokens(doc_id, "blank", Tokens.from_doc(doc))
            spans = [Span(t.idx, t.idx + len(t), ENTITY_WORDS[t.text], "human") for t in doc if t.text in ENTITY_WORDS]
            store.add_gold(doc_id, "bench", spans)
            store.replace_boilerplate(doc_id, "bench", [Range(0, len(f"Document {i}."))])
            store.set_review(doc_id, "accepted", "bench", stamp)
            spans_total += len(spans)
    store.close()
    return spans_total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the main JSONL export (the machine is noisy)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        spans = build(db, args.documents)
        print(f"{args.documents:,} accepted documents, {spans:,} gold spans, tokens stored")
        store = Store.open(db)
        runs = [("jsonl (Prodigy)", {})] * args.repeat + [("jsonl --strip-boilerplate", {"strip": True}), ("doccano", {"fmt": "doccano"})]
        for label, kwargs in runs:
            out = Path(tmp) / "out.jsonl"
            started = time.perf_counter()
            report = export(store, out, **kwargs)
            seconds = time.perf_counter() - started
            size = out.stat().st_size / 1e6
            print(f"export {label:26s}: {seconds:6.2f} s  ({report.documents / seconds:,.0f} documents/s, {size:,.0f} MB; target <= 10 s)")
        store.close()


if __name__ == "__main__":
    main()
