"""Peak memory and time of ``annotator export`` per format, each run as its own process.

    .venv/bin/python benchmarks/export_memory.py --db /work/scale-data/100k.db [--all] [--formats jsonl doccano spacy]

Runs ``python -m annotator export --db DB [--all] --format F --out OUT`` in a child process
per format and reports its wall time and peak resident memory (the child's ``ru_maxrss``
from ``os.wait4``), the size written, and for ``spacy`` how many shards. The outputs go to a
temporary folder beside the database (``--keep`` leaves them). Target (issue 12): peak
≤ 500 MB for every format at any corpus size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUFFIX = {"jsonl": ".jsonl", "doccano": ".doccano.jsonl", "spacy": ".spacy"}


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir())
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--all", action="store_true", help="export every document (export --all)")
    parser.add_argument("--formats", nargs="+", default=["jsonl", "doccano", "spacy"])
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="export-memory-", dir=args.db.parent))
    try:
        for fmt in args.formats:
            result = run_peak(args.db, fmt, folder / f"out{SUFFIX[fmt]}", args.all)
            print(json.dumps(result), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def run_peak(db: Path, fmt: str, out: Path, include_all: bool) -> dict:
    """One export in a child process, reaped with ``wait4`` to read its own peak memory."""
    command = [sys.executable, "-m", "annotator", "export", "--db", str(db), "--format", fmt, "--out", str(out)]
    if include_all:
        command.append("--all")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as out_fh, tempfile.TemporaryFile() as err_fh:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out_fh, stderr=err_fh, env=env, cwd=ROOT)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out_fh.seek(0)
        err_fh.seek(0)
        stdout, stderr = out_fh.read().decode(errors="replace"), err_fh.read().decode(errors="replace")
    if child.returncode != 0:
        raise SystemExit(f"{fmt}: exit {child.returncode}\n{stderr}")
    files = len(list(out.iterdir())) if out.is_dir() else 1
    return {"format": fmt, "all": include_all, "seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "output_mb": round(size_of(out) / 1e6, 1), "files": files, "summary": stdout.strip().splitlines()[-1]}


if __name__ == "__main__":
    main()
