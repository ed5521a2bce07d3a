"""Team work at scale: merging 10 annotator files of 10,000 documents each (target <= 30 s in all),
and agreement over 10,000 doubly-annotated documents (target <= 5 s).

Usage: python benchmarks/team_speed.py [--annotators 10] [--per-annotator 10000] [--shared 10000]

Builds a project of generated news-like texts (tokens and a 'prediction' stored), hands it out
with ``annotator assign`` (``--shared`` documents to two annotators), lets every annotator
correct every document of their file through the store (the model's spans copied as gold, two
relabelled differently per annotator, the first line marked as boilerplate, accepted, four
edit-log entries), then times ``merge_files`` (what ``annotator merge`` calls) on all files,
a second merge of the same files (idempotent: nothing written), and ``project_agreement``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import make_texts  # noqa: E402

from annotator.core.hashing import content_hash  # noqa: E402
from annotator.core.model import ACCEPTED  # noqa: E402
from annotator.core.spans import Range, Span  # noqa: E402
from annotator.core.tokens import Tokens  # noqa: E402
from annotator.ops.agreement import project_agreement  # noqa: E402
from annotator.ops.assigning import assign  # noqa: E402
from annotator.ops.merging import merge_files  # noqa: E402
from annotator.store import Store  # noqa: E402

ENTITIES = {"Russia": "GPE", "Mali": "GPE", "Moscow": "GPE", "Bamako": "GPE", "Peskov": "PERSON", "Wagner": "ORG",
            "Kyiv": "GPE", "Kremlin": "ORG", "Ukraine": "GPE"}
WORD = re.compile(r"\w+|[^\w\s]")
OTHER = ["LOC", "NORP", "PERSON", "FAC", "EVENT", "PRODUCT", "LAW", "WORK_OF_ART", "LANGUAGE", "MONEY"]


def build_project(db: Path, n: int) -> None:
    with Store.open(db) as store, store.transaction():
        for i, text in enumerate(make_texts(n)):
            doc, _ = store.add_document(text, f"gen{i}.txt", content_hash(text))
            pairs = [(m.start(), m.end()) for m in WORD.finditer(text)]
            store.set_tokens(doc, "regex", Tokens.from_pairs(pairs))
            spans = [Span(s, e, ENTITIES[text[s:e]], "model") for s, e in pairs if text[s:e] in ENTITIES]
            store.add_prediction(doc, "bench_model", "1", spans)


def annotate(path: Path, annotator: str, number: int) -> int:
    """Every document of the file corrected and accepted; returns spans written."""
    spans_total = 0
    with Store.open(path, create=False) as own, own.transaction():
        for doc in own.document_ids():
            spans = list(own.prediction(doc, with_tokens=False).spans)
            for k in (1, 3):  # each annotator relabels two spans in their own way
                if k < len(spans):
                    spans[k] = Span(spans[k].start, spans[k].end, OTHER[(number + k) % len(OTHER)], "human")
            own.add_gold(doc, annotator, spans)
            first = own.document(doc).text.index(".") + 1
            own.replace_boilerplate(doc, annotator, [Range(0, first)])
            own.set_review(doc, ACCEPTED, annotator)
            for action in ("start_review", "replace_span", "mark_boilerplate", "set_state"):
                own.log_edit(doc, annotator, action, {"spans": len(spans)})
            spans_total += len(spans)
    return spans_total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--annotators", type=int, default=10)
    parser.add_argument("--per-annotator", type=int, default=10_000)
    parser.add_argument("--shared", type=int, default=10_000, help="documents given to two annotators")
    args = parser.parse_args()
    slots = args.annotators * args.per_annotator
    documents = slots - args.shared
    overlap = args.shared / documents
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project.db"
        started = time.perf_counter()
        build_project(project, documents)
        print(f"project: {documents:,} documents built in {time.perf_counter() - started:.1f} s")
        names = [f"a{i:02d}" for i in range(args.annotators)]
        with Store.open(project) as store:
            started = time.perf_counter()
            report = assign(store, Path(tmp) / "out", names, overlap=overlap, per_annotator=args.per_annotator)
            took = time.perf_counter() - started
        print(f"assign: {report.documents:,} documents ({report.shared:,} shared) into {len(report.files)} files "
              f"in {took:.1f} s")
        files = [item.path for item in report.files]
        spans = sum(annotate(path, path.stem, i) for i, path in enumerate(files))
        sizes = [path.stat().st_size for path in files]
        print(f"annotated: {spans:,} gold spans, files of {min(sizes) / 1e6:.0f}-{max(sizes) / 1e6:.0f} MB")
        with Store.open(project) as store:
            started = time.perf_counter()
            merged = merge_files(store, files)
            took = time.perf_counter() - started
            brought = sum(f.brought for f in merged.files)
            edits = sum(f.edits_added for f in merged.files)
            print(f"merge {len(files)} files: {took:.1f} s ({brought:,} annotator versions, {edits:,} edit-log "
                  f"entries)  target <= 30 s")
            started = time.perf_counter()
            again = merge_files(store, files)
            took = time.perf_counter() - started
            print(f"merge the same files again: {took:.1f} s, {sum(f.brought for f in again.files)} versions changed")
            started = time.perf_counter()
            result = project_agreement(store)
            took = time.perf_counter() - started
            total = result.total
            print(f"agreement over {len(result.documents):,} doubly-annotated documents: {took:.1f} s "
                  f"(exact F1 {total.exact_f1:.3f}, kappa {total.kappa:.3f}, {total.tokens:,} tokens)  target <= 5 s")


if __name__ == "__main__":
    main()
