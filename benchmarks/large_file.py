"""Import one large text file (default 50 MB) and report time and peak memory over the baseline.

Usage: python benchmarks/large_file.py [--mb 50]
The file is read once, in 1 MB chunks, hashed and decoded as it streams; the figure to
compare is peak RSS growth against the file size.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from annotator.ops.importing import import_paths
from annotator.store import Store


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    line = "Moscow wants to enhance its military ties in Africa, the Kremlin said Monday. Zoë 🎉\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.txt"
        with path.open("w", encoding="utf-8") as fh:
            for _ in range(args.mb * 1024 * 1024 // len(line.encode())):
                fh.write(line)
        size = path.stat().st_size / 1e6
        store = Store.open(Path(tmp) / "big.db")
        base = rss_mb()
        started = time.perf_counter()
        import_paths(store, [path], annotator="bench")
        seconds = time.perf_counter() - started
        peak = rss_mb()
        stored = store.document(store.document_ids()[0])
        assert stored.text.encode("utf-8") == path.read_bytes()
        store.close()
    print(f"file {size:.1f} MB imported in {seconds:.2f} s; peak RSS grew by {peak - base:.0f} MB "
          f"({(peak - base) / size:.1f}x the file: the bytes read once, SQLite's copy of the bound value "
          f"and its CAST to TEXT; the text is never built as a Python str)")


if __name__ == "__main__":
    main()
