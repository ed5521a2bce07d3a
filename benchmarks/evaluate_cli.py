"""``annotator evaluate --json`` on a fresh copy of a project, as a user runs it: seconds from the
process start to the first byte of its output (the scores) and to its exit, CPU seconds (user,
system) and page faults of the command and its second process, the F-score it printed.

    .venv/bin/python benchmarks/evaluate_cli.py --db eval50k.db [--runs 6] [--code OTHER_TREE]

With ``--code`` the runs alternate between this tree and the other one (e.g. a ``git worktree`` of
an older commit), each on its own fresh copy: on a shared machine whose speed drifts, only
alternated pairs compare. The copy is made beside the database and removed after each run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(tree: Path, source: Path) -> dict:
    copy = source.with_name(f"{source.stem}-evaluate-cli{source.suffix}")
    shutil.copy(source, copy)
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "annotator", "evaluate", "--json", "--db", str(copy)],
                                   cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env={**os.environ, "PYTHONPATH": str(tree)})
        first = process.stdout.read(1)
        shown = time.perf_counter() - started
        rest = process.stdout.read()
        error = process.stderr.read()
        process.wait()
        ended = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if process.returncode:
            raise SystemExit(f"{tree}: exit {process.returncode}: {error.decode(errors='replace')[-500:]}")
        return {"tree": str(tree), "output_s": round(shown, 2), "exit_s": round(ended, 2),
                "user_s": round(after.ru_utime - before.ru_utime, 2), "sys_s": round(after.ru_stime - before.ru_stime, 2),
                "faults": after.ru_minflt - before.ru_minflt, "f": json.loads(first + rest)["ents_f"]}
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3, help="runs per tree")
    parser.add_argument("--code", type=Path, action="append", default=[], help="another source tree to alternate with")
    args = parser.parse_args()
    trees = [ROOT, *args.code]
    for _ in range(args.runs):
        for tree in trees:
            print(json.dumps(run(tree, args.db)), flush=True)


if __name__ == "__main__":
    main()
