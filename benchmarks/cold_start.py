"""Cold start to the first document shown: the frozen bundle vs running from source, same run.

Usage: python benchmarks/cold_start.py [--runs 5]   (build first: pyinstaller build.spec)
Each run starts a new process `annotator open --db X --smoke` on the pre-annotated seeds and
stops the clock when it prints that the first document is shown (window up, document
highlighted, after the first event-loop turn). Offscreen unless DISPLAY is set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FROZEN = ROOT / "dist" / "annotator" / "annotator"


def time_to_first_document(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert process.stdout is not None
    for line in process.stdout:
        if "first document shown" in line:
            elapsed = time.perf_counter() - started
            process.wait(timeout=60)
            return elapsed
    raise RuntimeError(f"{command[0]} exited with {process.wait()} before showing a document")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not FROZEN.is_file():
        raise SystemExit(f"{FROZEN} not found: build it with `pyinstaller build.spec` first")
    env = dict(os.environ, ANNOTATOR_USER="bench")
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "seeds.db")
        for step in (["import", str(ROOT / "seeds")], ["preannotate"]):
            subprocess.run([sys.executable, "-m", "annotator", *step, "--db", db], check=True, capture_output=True, env=env)
        commands = {
            "frozen bundle": [str(FROZEN), "open", "--db", db, "--smoke"],
            "from source  ": [sys.executable, "-m", "annotator", "open", "--db", db, "--smoke"],
        }
        for name, command in commands.items():
            time_to_first_document(command, env)  # warm the file cache: we measure start-up, not the disk
        results: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                results[name].append(time_to_first_document(command, env))
    platform = env.get("QT_QPA_PLATFORM", "xcb")
    for name, times in results.items():
        print(f"{name}: median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s "
              f"over {len(times)} runs ({platform}; target <= 2.5 s for the bundle)")


if __name__ == "__main__":
    main()
