"""The array scorer gives :func:`score_document`'s counts and disagreements, document by document.

Random documents with every case the scorer tells apart: misaligned spans (inside a token,
in the gaps), boilerplate (whole, partial, touching gold), wrong types, boundaries, spurious
and missed spans, documents without tokens, gold or predictions, all-boilerplate documents;
and irregular ones (overlapping or same-token spans), which must be flagged, not scored.
"""

from __future__ import annotations

import random

import pytest

from annotator.core.evaluation import EvalDocument, Scores, evaluate, score_document
from annotator.core.evaluation_arrays import chunk_input, score_chunk
from annotator.core.spans import Range, Span
from annotator.core.tokens import Tokens

LABELS = ["PERSON", "ORG", "GPE", "DATE"]


def _document(doc_id: int, rng: random.Random, overlapping: bool) -> EvalDocument:
    pairs, pos = [], 0
    for _ in range(rng.choice([0, 1, 3, 12, 40])):
        pos += rng.choice([0, 1, 1, 1, 2])
        length = rng.randint(1, 6)
        pairs.append((pos, pos + length))
        pos += length
    length = pos + rng.randint(0, 3)
    text = "x" * max(length, 1)

    def random_span() -> tuple[int, int]:
        if pairs and rng.random() < 0.8:  # on token edges
            i = rng.randrange(len(pairs))
            j = min(len(pairs) - 1, i + rng.choice([0, 0, 1, 2]))
            return pairs[i][0], pairs[j][1]
        s = rng.randrange(len(text))
        return s, min(len(text), s + rng.randint(1, 5))

    def spans(n: int) -> list[Span]:
        out: list[Span] = []
        for _ in range(n):
            s, e = random_span()
            if not overlapping and any(s < o.end and o.start < e for o in out):
                continue
            out.append(Span(s, e, rng.choice(LABELS)))
        return sorted(out)

    gold = spans(rng.choice([0, 2, 6, 15]))
    predicted = []
    for span in gold:  # the model: mostly right, then wrong in every way
        roll = rng.random()
        if roll < 0.5:
            predicted.append(span)
        elif roll < 0.65:
            predicted.append(Span(span.start, span.end, rng.choice(LABELS)))
        elif roll < 0.75 and span.start > 0:
            predicted.append(Span(span.start - 1, span.end, span.label))
    for span in spans(rng.choice([0, 1, 4])):
        if overlapping or not any(span.start < o.end and o.start < span.end for o in predicted):
            predicted.append(span)
    predicted = sorted(set(predicted))
    boilerplate = []
    for _ in range(rng.choice([0, 0, 1, 2])):
        s = rng.randrange(len(text))
        boilerplate.append(Range(s, min(len(text), s + rng.randint(1, 12))))
    if rng.random() < 0.03:
        boilerplate = [Range(0, len(text))]
    return EvalDocument(doc_id, f"d{doc_id}", text, Tokens.from_pairs(pairs), gold, predicted, boilerplate)


def _corpus(seed: int, n: int, overlapping_share: float) -> list[EvalDocument]:
    rng = random.Random(seed)
    return [_document(i, rng, rng.random() < overlapping_share) for i in range(n)]


@pytest.mark.parametrize("seed", range(8))
def test_every_regular_document_scores_as_score_document(seed):
    docs = _corpus(seed, 300, overlapping_share=0.2)
    found = score_chunk(chunk_input(docs))
    counts = {d: dict(zip((found.key_names[k] for k in keys.tolist()), n.tolist()))
              for d, keys, n in found.counts_of()}
    regular = 0
    for d, doc in enumerate(docs):
        expected = score_document(doc)
        if not found.regular[d]:
            assert not found.scored[d] and d not in counts
            continue
        regular += 1
        assert bool(found.scored[d]) == expected.scored, doc
        assert counts.get(d, {}) == expected.counts(), doc
        assert found.n_disagreements[d] == (len(expected.disagreements) if expected.scored else 0)
        assert found.disagreements(d) == (expected.disagreements if expected.scored else [])
    assert regular > 200


def test_overlapping_spans_are_flagged_not_scored():
    text = "Putin met Keita"
    tokens = Tokens.from_pairs([(0, 5), (6, 9), (10, 15)])
    gold = [Span(0, 5, "PERSON"), Span(0, 9, "ORG")]  # the same token twice: order decides
    doc = EvalDocument(1, "a", text, tokens, gold, [Span(0, 5, "PERSON")])
    clean = EvalDocument(2, "b", text, tokens, [Span(10, 15, "PERSON")], [Span(10, 15, "PERSON")])
    found = score_chunk(chunk_input([doc, clean]))
    assert found.regular.tolist() == [False, True]
    assert found.sums() == score_document(clean).counts()


def test_chunk_sums_plus_the_irregular_documents_make_the_same_evaluation():
    docs = _corpus(99, 400, overlapping_share=0.1)
    found = score_chunk(chunk_input(docs))
    assert 0 < found.regular.sum() < len(docs)
    scores = Scores()
    scores.add_counts(found.sums())
    for d, doc in enumerate(docs):
        if found.regular[d]:
            scores.add_disagreements(found.disagreements(d), doc.document_id, doc.source, doc.text)
        else:
            score = score_document(doc)
            scores.add_counts(score.counts())
            scores.add_disagreements(score.disagreements, doc.document_id, doc.source, doc.text)
    fast, plain = scores.result(), evaluate(docs)
    assert fast.to_dict() == plain.to_dict()
    assert fast.disagreements == plain.disagreements


def test_many_stored_lists_decode_at_once_as_one_by_one():
    """Every stored form mixed: the current escaped ones, the older deflated ones (TK1, SP1) and
    the oldest uint32 token pairs, at every width."""
    from array import array

    from annotator.core.packing import pack_spans, pack_tokens
    from tests.older_forms import old_spans, old_tokens

    rng = random.Random(3)
    token_blobs, span_blobs = [], []
    for k in range(60):
        pairs, pos = [], 0
        for _ in range(rng.choice([0, 1, 5, 30])):
            pos += rng.choice([0, 1, 300, 70_000])  # every array width
            pairs.append((pos, pos + rng.randint(0, 4)))
            pos = pairs[-1][1]
        starts, ends = [p[0] for p in pairs], [p[1] for p in pairs]
        oldest = array("I", [v for p in pairs for v in p]).tobytes()  # the oldest stored form
        token_blobs.append(oldest if k % 7 == 3 else old_tokens(starts, ends) if k % 3 == 1 else pack_tokens(starts, ends))
        spans = [(s, e + 1, rng.choice(LABELS)) for s, e in pairs]
        span_blobs.append(old_spans(spans) if k % 4 == 1 else pack_spans(spans))
    assert {b[:3] for b in span_blobs} == {b"SP1", b"SP2"} and {b"TK1", b"TK2"} <= {b[:3] for b in token_blobs}
    _assert_decoded_together_as_one_by_one(token_blobs, span_blobs)


def test_stored_lists_of_one_form_decode_at_once_as_one_by_one():
    """The common case (every list in the current form, no value escaped) takes a path of its own."""
    from annotator.core.packing import pack_spans, pack_tokens

    token_blobs, span_blobs = _short_lists(random.Random(5), pack_tokens, pack_spans)
    assert {bytes(b[:3]) for b in token_blobs} == {b"TK2"} and {bytes(b[:3]) for b in span_blobs} == {b"SP2"}
    _assert_decoded_together_as_one_by_one(token_blobs, span_blobs)


def test_stored_lists_of_one_older_form_decode_at_once_as_one_by_one():
    """A database before migration 0052 (or a chunk read from one): every list deflated."""
    from tests.older_forms import old_spans, old_tokens

    token_blobs, span_blobs = _short_lists(random.Random(6), old_tokens, old_spans)
    assert {bytes(b[:3]) for b in token_blobs} == {b"TK1"} and {bytes(b[:3]) for b in span_blobs} == {b"SP1"}
    _assert_decoded_together_as_one_by_one(token_blobs, span_blobs)


def _short_lists(rng: random.Random, pack_tokens, pack_spans) -> tuple[list[bytes], list[bytes]]:
    """40 documents' tokens (short gaps and lengths) and a span per token, packed by the packers given."""
    token_blobs, span_blobs = [], []
    for _ in range(40):
        starts, ends, pos = [], [], 0
        for _ in range(rng.choice([0, 1, 7, 40])):
            pos += rng.randint(0, 3)
            starts.append(pos)
            pos += rng.randint(1, 9)
            ends.append(pos)
        token_blobs.append(pack_tokens(starts, ends))
        span_blobs.append(pack_spans([(s, e, rng.choice(LABELS)) for s, e in zip(starts, ends)]))
    return token_blobs, span_blobs


def _assert_decoded_together_as_one_by_one(token_blobs: list[bytes], span_blobs: list[bytes]) -> None:
    """Many stored lists decoded at once (``tokens_of``, ``spans_of``) give each list as decoding it alone does."""
    import numpy as np

    from annotator.core.packed_arrays import span_arrays, spans_of, token_arrays, token_coordinates_of, tokens_of

    starts, ends, offsets = tokens_of(token_blobs)
    line = token_coordinates_of(token_blobs)  # as the scorer reads them
    doc = np.repeat(np.arange(len(token_blobs)), np.diff(offsets))
    assert line.offsets.tolist() == offsets.tolist()
    assert line.starts.tolist() == (starts + line.shift[doc]).tolist()
    assert line.ends.tolist() == (ends + line.shift[doc]).tolist()
    has = [offsets[k + 1] > offsets[k] for k in range(len(token_blobs))]
    assert line.lo.tolist() == [int(starts[offsets[k]]) - 1 if has[k] else 0 for k in range(len(token_blobs))]
    assert line.hi.tolist() == [int(ends[offsets[k + 1] - 1]) + 1 if has[k] else 0 for k in range(len(token_blobs))]
    low, high = line.lo + line.shift, line.hi + line.shift  # each document's coordinates, in order, apart
    assert low[0] == 0 and (low[1:] == high[:-1] + 1).all() and line.size == high[-1] + 1
    for k, blob in enumerate(token_blobs):
        one_s, one_e = token_arrays(blob)
        assert starts[offsets[k]:offsets[k + 1]].tolist() == one_s.tolist()
        assert ends[offsets[k]:offsets[k + 1]].tolist() == one_e.tolist()
    labels: dict[str, int] = {}
    doc, s, e, lab = spans_of(span_blobs, labels)
    names = list(labels)
    for k, blob in enumerate(span_blobs):
        one_names, one_s, one_e, one_lab = span_arrays(blob)
        mine = doc == k
        assert s[mine].tolist() == one_s.tolist() and e[mine].tolist() == one_e.tolist()
        assert [names[i] for i in lab[mine]] == [one_names[i] for i in one_lab]


def _shifted(doc: EvalDocument, by: int) -> EvalDocument:
    """The same document with every offset moved by ``by`` (as if a long text came before; the
    text itself is not scored, so it is left as it is)."""
    def move(spans):
        return [Span(s.start + by, s.end + by, s.label) for s in spans]
    tokens = Tokens.from_pairs([(s + by, e + by) for s, e in zip(doc.tokens.starts, doc.tokens.ends)])
    return EvalDocument(doc.document_id, doc.source, doc.text, tokens, move(doc.gold),
                        move(doc.predicted), [Range(r.start + by, r.end + by) for r in doc.boilerplate])


def test_spans_beyond_the_tokens_and_far_offsets_align_as_score_document():
    """Spans before the first token, past the last one, and past the text at document ends; a
    document with no tokens between two with tokens; and the same documents at offsets past 2**31:
    all as score_document."""
    tokens = Tokens.from_pairs([(2, 7), (8, 11), (12, 13)])
    text = "  Putin met K   "
    docs = [
        EvalDocument(1, "a", text, tokens, [Span(0, 7, "PERSON"), Span(12, 16, "GPE")],
                     [Span(0, 2, "ORG"), Span(2, 7, "PERSON"), Span(13, 16, "GPE")]),
        EvalDocument(2, "b", "   ", Tokens.from_pairs([]), [Span(0, 3, "ORG")], [Span(1, 3, "ORG")]),
        EvalDocument(3, "c", text, tokens, [Span(12, 13, "GPE"), Span(14, 16, "ORG")],
                     [Span(11, 16, "GPE"), Span(8, 12, "ORG")], [Range(15, 16)]),
    ]
    docs += _corpus(21, 60, overlapping_share=0.0)
    for chunk in (docs, [_shifted(doc, 3_000_000_000) for doc in docs]):
        found = score_chunk(chunk_input(chunk))
        counts = {d: dict(zip((found.key_names[k] for k in keys.tolist()), n.tolist()))
                  for d, keys, n in found.counts_of()}
        assert found.regular[:3].all() and found.regular.sum() > 50
        for d, doc in enumerate(chunk):
            if not found.regular[d]:  # same-token spans: left to score_document
                continue
            expected = score_document(doc)
            assert bool(found.scored[d]) == expected.scored, doc
            assert counts.get(d, {}) == expected.counts(), doc
            assert found.disagreements(d) == (expected.disagreements if expected.scored else []), doc


def test_a_document_with_an_empty_token_is_left_to_score_document():
    """The array scorer compares the characters of spans' tokens; an empty token (stored tokens
    allow one) would make two token ranges cover the same characters: such a document is flagged
    irregular and left to score_document; the rest of the chunk is scored as before."""
    text = "Putin met Macron"
    spans = [Span(0, 5, "PERSON"), Span(10, 16, "PERSON")]
    empty = Tokens.from_pairs([(0, 5), (6, 9), (10, 10), (10, 16)])
    docs = [EvalDocument(1, "a", text, Tokens.from_pairs([(0, 5), (6, 9), (10, 16)]), spans, spans),
            EvalDocument(2, "b", text, empty, spans, [Span(10, 16, "ORG")]),
            *_corpus(23, 20, overlapping_share=0.0)]
    found = score_chunk(chunk_input(docs))
    assert not found.regular[1] and found.regular[0] and found.regular[2:].all()
    counts = {d: dict(zip((found.key_names[k] for k in keys.tolist()), n.tolist())) for d, keys, n in found.counts_of()}
    for d, doc in enumerate(docs):
        if found.regular[d]:
            assert counts.get(d, {}) == score_document(doc).counts()


def test_spans_given_in_any_order_score_as_score_document():
    """Gold and predictions shuffled (several reviewers' gold comes per reviewer, not by document):
    predictions still take the alignment of the gold with their characters only where the characters
    are the same, and every count and disagreement is score_document's."""
    import numpy as np

    docs = [doc for doc in _corpus(5, 200, overlapping_share=0.0)]
    data = chunk_input(docs)
    rng = np.random.default_rng(5)
    g, p = rng.permutation(len(data.gold_doc)), rng.permutation(len(data.pred_doc))
    for name in ("gold_doc", "gold_start", "gold_end", "gold_label"):
        setattr(data, name, getattr(data, name)[g])
    for name in ("pred_doc", "pred_start", "pred_end", "pred_label"):
        setattr(data, name, getattr(data, name)[p])
    found = score_chunk(data)
    counts = {d: dict(zip((found.key_names[k] for k in keys.tolist()), n.tolist())) for d, keys, n in found.counts_of()}
    regular = 0
    for d, doc in enumerate(docs):
        if not found.regular[d]:
            continue
        regular += 1
        expected = score_document(doc)
        assert counts.get(d, {}) == expected.counts(), doc
        assert sorted(found.disagreements(d), key=repr) == sorted(expected.disagreements if expected.scored else [],
                                                                  key=repr), doc
    assert regular > 150
