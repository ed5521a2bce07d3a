"""Training speed: `annotator train` against `python -m spacy train` with the config it writes.

Usage: python benchmarks/train_speed.py [--max-steps N] [--repeat N] [--generated N]

1. The seeds, reviewed as in the tests (Mali relabelled GPE, boilerplate marked, accepted):
   `annotator train --write-config` writes the config and corpora, then `annotator train`
   and `python -m spacy train` run on them alternately, ``--repeat`` times each. Both loops
   are timed the same way, from the logger's setup (spaCy calls it just before the first
   batch) to the last evaluation, with the words the loop had seen then: annotator reports
   it from its own logger, spaCy's run gets a wrapper around spaCy's console logger
   (``--code``). Whole-command wall times are printed too, and whether both runs gave the
   same weights.
2. ``--generated`` documents from benchmarks/generate.py are imported, pre-annotated and
   accepted as they are, and `annotator train` runs with default settings: the time taken.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import make_texts  # noqa: E402

SPACY_TIMING = '''
import json, os, time
from spacy.registrations import populate_registry
from spacy.util import registry

populate_registry()  # spaCy 3.8 registers its own functions lazily: first theirs, then this wrapper over it
console = registry.get("loggers", "spacy.ConsoleLogger.v1")  # resolves to spacy-legacy's console logger

@registry.loggers("spacy.ConsoleLogger.v1")
def timed_console_logger(progress_bar: bool = False):
    make = console(progress_bar=progress_bar)
    def setup(nlp, stdout, stderr):
        log_step, finalize = make(nlp, stdout, stderr)
        started = time.perf_counter()
        def timed(info):
            log_step(info)
            if info is not None and info.get("score") is not None:
                with open(os.environ["TRAIN_TIMING"], "w") as fh:
                    json.dump({"words": info["words"], "seconds": time.perf_counter() - started,
                               "step": info["step"]}, fh)
        return timed, finalize
    return setup
'''


def annotator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "annotator", *args], check=True, capture_output=True, text=True)


def reviewed_seeds(db: Path) -> None:
    from annotator.pipeline import load_pipeline
    from annotator.store import Store
    from tests.seed_review import review_seeds

    with Store.open(db) as store:
        review_seeds(store, load_pipeline())


def compare(work: Path, max_steps: int, repeat: int) -> None:
    db = work / "seeds.db"
    reviewed_seeds(db)
    config = work / "config.cfg"
    annotator("train", "--db", str(db), "--max-steps", str(max_steps), "--write-config", str(config))
    timing_code = work / "timing.py"
    timing_code.write_text(SPACY_TIMING, encoding="utf-8")
    ours, theirs, ours_wall, theirs_wall, same = [], [], [], [], []
    for i in range(repeat):
        out = work / f"ours{i}"
        started = time.perf_counter()
        done = annotator("train", "--db", str(db), "--max-steps", str(max_steps), "--out", str(out), "--machine")
        ours_wall.append(time.perf_counter() - started)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        ours.append(result["words"] / result["words_seconds"])
        timing = work / f"timing{i}.json"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "spacy", "train", str(config), "--output", str(work / f"spacy{i}"),
                        "--code", str(timing_code)], check=True, capture_output=True,
                       env={**os.environ, "TRAIN_TIMING": str(timing)})
        theirs_wall.append(time.perf_counter() - started)
        measured = json.loads(timing.read_text())
        theirs.append(measured["words"] / measured["seconds"])
        same.append((out / "ner" / "model").read_bytes()
                    == (work / f"spacy{i}" / "model-best" / "ner" / "model").read_bytes())
    print(f"seeds, max {max_steps} steps, {result['steps']} steps run, {result['words']:,} words seen "
          f"(last evaluation), {repeat} run(s) each, alternating:")
    print(f"  annotator train        loop {statistics.median(ours):8,.0f} words/s   "
          f"(runs: {', '.join(f'{x:,.0f}' for x in ours)}); whole command {statistics.median(ours_wall):.1f} s")
    print(f"  python -m spacy train  loop {statistics.median(theirs):8,.0f} words/s   "
          f"(runs: {', '.join(f'{x:,.0f}' for x in theirs)}); whole command {statistics.median(theirs_wall):.1f} s")
    print(f"  same weights in every pair: {all(same)}")


def generated(work: Path, n: int) -> None:
    folder = work / "generated"
    folder.mkdir()
    for i, text in enumerate(make_texts(n)):
        (folder / f"{i:05d}.txt").write_text(text + "\n", encoding="utf-8")
    db = work / "generated.db"
    annotator("import", str(folder), "--db", str(db))
    annotator("preannotate", "--db", str(db))
    from annotator.core.model import ACCEPTED
    from annotator.ops import gold_edits
    from annotator.store import Store

    with Store.open(db) as store:
        for doc_id in store.document_ids():
            gold_edits.set_state(store, doc_id, "bench", ACCEPTED)
        splits = store.split_counts()
    started = time.perf_counter()
    done = annotator("train", "--db", str(db), "--out", str(work / "generated-model"), "--machine")
    seconds = time.perf_counter() - started
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{n} generated documents ({splits['train']} train, {splits['dev']} dev), default settings: "
          f"{seconds:.1f} s for the whole command, {result['steps']} steps, loop "
          f"{result['words'] / result['words_seconds']:,.0f} words/s, dev F {100 * result['scores']['dev']['ents_f']:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-steps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--generated", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        compare(Path(tmp), args.max_steps, args.repeat)
        if args.generated:
            generated(Path(tmp), args.generated)


if __name__ == "__main__":
    main()
