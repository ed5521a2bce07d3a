"""Peak memory of building the training corpora (``write_corpora``) for a large gold set.

    .venv/bin/python benchmarks/train_corpora_memory.py --docs 20000 --db /tmp/annotator-train-mem/20k.db

The corpus (made once, beside ``--db``) is benchmarks/scale_corpus.py's generated news with
every document accepted (~3.9 KB, ~100 spans, tokens stored). The corpora are written with
a blank English tokenizer (no base: nothing else is loaded) into a temporary folder, in a
fresh process, and the process's peak resident memory (``ru_maxrss``) is printed beside
its memory once the store is open, before the corpora are built.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

MEASURE = r'''
import json, resource, sys, time
from pathlib import Path
import spacy
from annotator.store import Store
from annotator.ops.training_data import write_corpora

def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
nlp = spacy.blank("en")
db, folder = Path(sys.argv[1]), Path(sys.argv[2])
with Store.open(db, create=False) as store:
    before = rss_mib()
    started = time.perf_counter()
    corpora = write_corpora(store, folder / "train.spacy", folder / "dev.spacy", nlp.tokenizer, None)
    seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"train_documents": corpora.train_documents, "dev_documents": corpora.dev_documents,
                  "rss_before_mib": round(before, 1), "peak_rss_mib": round(peak, 1), "seconds": round(seconds, 1),
                  "train_is_folder": (folder / "train.spacy").is_dir()}))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--code", type=Path, default=ROOT, help="the annotator source tree to measure (default: this one)")
    args = parser.parse_args()
    if not args.db.exists():
        from scale_corpus import build

        args.db.parent.mkdir(parents=True, exist_ok=True)
        print(build(args.db, args.docs, accepted_share=1.0), file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="annotator-corpora-") as folder:
        out = subprocess.run([sys.executable, "-c", MEASURE, str(args.db), folder], check=True, capture_output=True,
                             text=True, cwd=args.code)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
