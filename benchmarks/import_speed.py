"""Import speed: 100k generated documents, as a folder of .txt files and as one JSONL file.

Usage: python benchmarks/import_speed.py [--documents N]
Times ``annotator.ops.importing.import_paths`` (what ``annotator import`` calls), each
into a fresh database; file generation is not timed.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import make_texts  # noqa: E402

from annotator.ops.importing import import_paths  # noqa: E402
from annotator.store import Store  # noqa: E402


def timed_import(db: Path, source: Path) -> tuple[float, int]:
    store = Store.open(db)
    started = time.perf_counter()
    report = import_paths(store, [source], annotator="bench")
    seconds = time.perf_counter() - started
    count = store.document_count()
    store.close()
    assert report.new_documents == count
    return seconds, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    args = parser.parse_args()
    texts = make_texts(args.documents)
    chars = sum(map(len, texts))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "txt"
        folder.mkdir()
        for i, text in enumerate(texts):
            (folder / f"{i:06d}.txt").write_text(text, encoding="utf-8")
        jsonl = root / "docs.jsonl"
        with jsonl.open("w", encoding="utf-8") as fh:
            for text in texts:
                fh.write(json.dumps({"text": text}) + "\n")
        print(f"{len(texts):,} documents, {chars / 1e6:.1f} M characters")
        for label, source, db in [("folder of .txt files", folder, root / "a.db"), ("one JSONL file", jsonl, root / "b.db")]:
            seconds, count = timed_import(db, source)
            print(f"import {label:22s}: {seconds:6.2f} s  ({count / seconds:,.0f} documents/s; target <= 30 s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
