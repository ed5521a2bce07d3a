"""``annotator preannotate`` with 1 and with 2 (or more) processes on the same generated documents.

    .venv/bin/python benchmarks/preannotate_processes.py [--documents 4000] [--words 80] [--processes 1 2]

Each run is ``python -m annotator preannotate --db COPY --n-process N`` on its own copy of one
imported database (the real default pipeline): wall time, words/s and the summary line with
peak memory per process; the stored entities of the runs are compared.
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import make_texts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=4000)
    parser.add_argument("--words", type=int, default=80)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="preannotate-processes-"))
    try:
        source = folder / "texts.jsonl"
        with source.open("w", encoding="utf-8") as fh:
            for text in make_texts(args.documents, words=args.words):
                fh.write(json.dumps({"text": text}) + "\n")
        template = folder / "template.db"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-m", "annotator", "import", str(source), "--db", str(template)],
                              env=env, capture_output=True, text=True)
        if done.returncode:
            sys.exit(done.stderr)
        results = {}
        for n in args.processes:
            db = folder / f"p{n}.db"
            shutil.copy(template, db)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "annotator", "preannotate", "--db", str(db), "--n-process",
                                   str(n)], env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - started
            if done.returncode:
                sys.exit(done.stderr)
            lines = done.stdout.strip().splitlines()
            results[n] = db
            print(json.dumps({"processes": n, "documents": args.documents, "seconds": round(seconds, 1),
                              "summary": " ".join(lines[-2:])}), flush=True)
        from annotator.store import Store

        entities = []
        for n, db in results.items():
            with Store.open(db) as store:
                entities.append([store.prediction(d, with_tokens=False).spans for d in store.document_ids()])
        print(json.dumps({"same_entities": all(e == entities[0] for e in entities)}))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
