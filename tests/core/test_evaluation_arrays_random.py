"""The array scorer against score_document on random chunks of odd documents: spans before, after,
between and across tokens, past the text, empty and reversed; documents without tokens; boilerplate
over gold; empty tokens; overlapping spans. Both ways in: plain positions (``chunk_input``) and
stored token lists read as chunk coordinates (``token_coordinates_of``, as the evaluation reads
them). Every document the scorer calls regular must score exactly as score_document scores it."""

from __future__ import annotations

import random

import pytest

from annotator.core.evaluation import EvalDocument, score_document
from annotator.core.evaluation_arrays import ChunkInput, chunk_input, score_chunk
from annotator.core.packed_arrays import token_coordinates_of
from annotator.core.packing import pack_tokens
from annotator.core.spans import Range, Span
from annotator.core.tokens import Tokens

LABELS = ["A", "B", "C"]


def _document(i: int, rng: random.Random, empty_tokens: bool) -> EvalDocument:
    starts, ends, pos = [], [], rng.choice([0, 0, 1, 2, 5])
    for k in range(rng.choice([0, 0, 1, 2, 3, 8, 20])):
        pos += rng.choice([0, 0, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 20]) if k else 0  # 20: stored escaped
        length = 0 if empty_tokens and rng.random() < 0.15 else rng.choice([1, 1, 2, 3, 5])
        starts.append(pos)
        ends.append(pos + length)
        pos += length
    text_len = pos + rng.choice([0, 0, 1, 3])
    edges = sorted({*starts, *ends, 0, text_len})

    def span() -> tuple[int, int]:
        if starts and rng.random() < 0.6:  # on token edges, now and then one off
            a = rng.randrange(len(starts))
            b = min(len(starts) - 1, a + rng.choice([0, 0, 1, 2]))
            return (starts[a] + (rng.choice([-1, 1]) if rng.random() < 0.2 else 0),
                    ends[b] + (rng.choice([-1, 1]) if rng.random() < 0.2 else 0))
        s = rng.choice(edges) + rng.choice([0, 0, -1, 1]) if rng.random() < 0.6 else rng.randint(0, text_len + 5)
        r = rng.random()
        return s, s if r < 0.1 else s - rng.randint(1, 3) if r < 0.15 else s + rng.randint(1, 6)

    def spans(n: int, overlapping: bool) -> list[Span]:
        out: list[Span] = []
        for _ in range(n):
            s, e = (max(v, 0) for v in span())
            if overlapping or not any(s < o.end and o.start < e for o in out):
                out.append(Span(s, e, rng.choice(LABELS)))
        return sorted(set(out))

    overlapping = rng.random() < 0.15
    gold = spans(rng.choice([0, 1, 2, 5, 10]), overlapping)
    pred = []
    for g in gold:
        r = rng.random()
        if r < 0.5:
            pred.append(g)
        elif r < 0.65:
            pred.append(Span(g.start, g.end, rng.choice(LABELS)))
        elif r < 0.8:
            pred.append(Span(max(0, g.start + rng.choice([-1, 1])), max(0, g.end + rng.choice([-1, 0, 1])), g.label))
    pred = sorted({*pred, *spans(rng.choice([0, 1, 3]), overlapping)})
    boiler = [Range(*(max(v, 0) for v in span())) for _ in range(rng.choice([0, 0, 0, 1, 2, 3]))]
    if rng.random() < 0.03:
        boiler = [Range(0, text_len)]
    return EvalDocument(i, f"d{i}", "x" * max(text_len, 1), Tokens(starts, ends), gold, pred, boiler)


def _check(docs: list[EvalDocument], data: ChunkInput) -> int:
    found = score_chunk(data)
    counts = {d: dict(zip((found.key_names[k] for k in keys.tolist()), n.tolist())) for d, keys, n in found.counts_of()}
    regular = 0
    for d, doc in enumerate(docs):
        if not found.regular[d]:
            assert not found.scored[d] and d not in counts
            continue
        regular += 1
        expected = score_document(doc)
        assert bool(found.scored[d]) == expected.scored, doc
        assert counts.get(d, {}) == expected.counts(), doc
        listed = expected.disagreements if expected.scored else []
        assert int(found.n_disagreements[d]) == len(listed) and found.disagreements(d) == listed, doc
    return regular


@pytest.mark.parametrize("empty_tokens", [False, True])
def test_random_chunks_score_as_score_document_both_ways_in(empty_tokens):
    regular = 0
    for seed in range(400):
        rng = random.Random(seed)
        docs = [_document(i, rng, empty_tokens) for i in range(rng.choice([1, 2, 3, 10, 50]))]
        plain = chunk_input(docs)
        regular += _check(docs, plain)
        line = token_coordinates_of([pack_tokens(list(d.tokens.starts), list(d.tokens.ends)) for d in docs])
        stored = ChunkInput(plain.n_docs, line.starts, line.ends, line.offsets, plain.gold_doc, plain.gold_start,
                            plain.gold_end, plain.gold_label, plain.pred_doc, plain.pred_start, plain.pred_end,
                            plain.pred_label, plain.boiler_doc, plain.boiler_start, plain.boiler_end, plain.labels,
                            tok_coordinates=(line.lo, line.hi, line.shift, line.size))
        assert _check(docs, stored) == _check(docs, plain)
        if empty_tokens:  # a document with an empty token is left to score_document
            flags = score_chunk(plain).regular
            assert not any(flags[d] for d, doc in enumerate(docs)
                           if any(s >= e for s, e in zip(doc.tokens.starts, doc.tokens.ends)))
    assert regular > 1000, "most documents were scored in arrays"
