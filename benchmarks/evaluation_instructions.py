"""Machine instructions a first evaluation spends per chunk of 1,000 accepted documents (issue 12:
≤ 5 s for 50k), counted by valgrind's callgrind: the same count whatever else the machine is
doing, so two source trees compare on a shared, noisy machine where wall and CPU time do not.

    .venv/bin/python benchmarks/evaluation_instructions.py --db COPY.db [--code OTHER_TREE ...] [--chunks 1 5]

Each count is a new process on a fresh copy of the database (opening it may migrate it: the copy
is made in a temporary folder, the database given is only read) that keeps the scores of the
first N chunks with the evaluation's own step (:func:`annotator.ops.evaluation_warmup._keep`: read
the rows, decode them, score them in arrays, keep the scores), one process, no helper. The
difference between two chunk counts, divided by the chunks between them, leaves out the start,
the imports and any migration. ``--code`` adds source trees to compare (e.g. a ``git worktree`` of
an older commit; a database for it, when its schema is older, with ``--code-db`` in the same
order). Bytecode is cached by a first run that is not counted. Needs ``valgrind``; ~1 minute a count.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 1000


def child(db: Path, chunks: int) -> None:
    from annotator.ops import evaluation_warmup
    from annotator.ops.evaluating_arrays import ArrayScoring
    from annotator.ops.gold import accepted_ids
    from annotator.store import Store

    with Store.open(db, create=False) as store:
        with store.snapshot():
            ids = accepted_ids(store)
        if len(ids) < chunks * CHUNK:
            raise SystemExit(f"{db} has {len(ids)} accepted documents, fewer than {chunks} chunks")
        arrays = ArrayScoring()
        kept = 0
        for k in range(chunks):
            kept += evaluation_warmup._keep(store, ids[k * CHUNK:(k + 1) * CHUNK], None, arrays, 0)[0]
    print(f"kept: {kept}")


def count(code: Path, source: Path, chunks: int, tmp: Path) -> int:
    db = tmp / "copy.db"
    for extra in ("", "-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)
    shutil.copyfile(source, db)
    env = {**os.environ, "PYTHONPATH": str(code)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    result = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                             __file__, "--db", str(db), "--child", str(chunks)], capture_output=True, text=True,
                            env=env, cwd=code, timeout=3600)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode or found is None or "kept:" not in result.stdout:
        raise SystemExit(f"the run in {code} failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    for backup in tmp.glob("copy.db.bak-*"):
        backup.unlink()
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a database with enough accepted documents (read only)")
    parser.add_argument("--code", type=Path, action="append", default=[], help="another source tree to compare")
    parser.add_argument("--code-db", type=Path, action="append", default=[],
                        help="the database for each --code tree, in order (default: --db)")
    parser.add_argument("--chunks", type=int, nargs=2, default=[1, 5], metavar=("FEW", "MORE"))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.db, args.child)
        return
    few, more = args.chunks
    if not 0 < few < more:
        raise SystemExit("--chunks FEW MORE needs 0 < FEW < MORE")
    trees = [(ROOT, args.db.resolve())]
    for k, code in enumerate(args.code):
        trees.append((code.resolve(), (args.code_db[k] if k < len(args.code_db) else args.db).resolve()))
    with tempfile.TemporaryDirectory(prefix="evaluation-instructions-") as name:
        tmp = Path(name)
        for code, db in trees:
            count(code, db, 1, tmp)  # writes the tree's bytecode: not counted
        for code, db in trees:
            low, high = count(code, db, few, tmp), count(code, db, more, tmp)
            print(f"{str(code):<40} {db.name}: {few} chunks {low:,}, {more} chunks {high:,} instructions: "
                  f"{(high - low) / (more - few) / 1e6:,.1f} M per chunk of {CHUNK:,} documents", flush=True)


if __name__ == "__main__":
    main()
