"""The bulk path of the first evaluation (simple documents read in bulk, scored in arrays) gives
exactly what scoring every document the plain way gives: scores, per-label counts, confusion,
partial matches, the listed disagreements, the gold kinds and the documents counted.

The corpus has what the two paths treat differently: one annotator's gold (the bulk path), two
annotators agreeing, disagreeing (a conflict, left out) and adjudicated (the plain path),
boilerplate with gold inside and across it, spans that do not sit on token edges and spans
sharing a token (irregular: the plain path), documents with no stored tokens, no prediction
of the pipeline asked for, and documents nobody accepted.
"""

from __future__ import annotations

import random

import pytest

import annotator.ops.evaluating as evaluating_module
from annotator.core.errors import InputError
from annotator.core.spans import Range, Span
from annotator.core.team import FINAL
from annotator.ops import adjudication, gold_edits
from annotator.ops.evaluating import evaluate_stored
from tests.scoring_steps import on_scoring

LABELS = ["PERSON", "GPE", "ORG", "DATE"]
WORDS = ["Keita", "met", "Peskov", "in", "Bamako", "on", "Monday", "and", "the", "UN", "said", "Kyiv", "Mali",
         "officials", "KeitaBamako", "news", "today", "."]


def _text(rng: random.Random) -> str:
    lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14))) for _ in range(rng.randint(1, 4))]
    return "\n".join(lines) + ("\nShare this story\n" if rng.random() < 0.4 else "")


def _spans(text: str, rng: random.Random, share: float) -> list[Span]:
    out, pos = [], 0
    for word in text.replace("\n", " ").split(" "):
        start = text.index(word, pos) if word else pos
        pos = start + len(word)
        if not word or rng.random() > share:
            continue
        if word == "KeitaBamako" and rng.random() < 0.5:  # two spans in one token: irregular
            out += [Span(start, start + 5, "PERSON"), Span(start + 5, pos, "GPE")]
            continue
        begin = start + 1 if rng.random() < 0.1 and pos > start + 1 else start  # maybe not on a token edge
        if out and out[-1].end > begin:
            continue
        out.append(Span(begin, pos, rng.choice(LABELS)))
    return out


def _disturb(gold: list[Span], rng: random.Random) -> list[Span]:
    out = []
    for span in gold:
        roll = rng.random()
        if roll < 0.1:
            continue
        if roll < 0.2:
            span = Span(span.start, span.end, rng.choice(LABELS))
        elif roll < 0.25 and span.start > 0:
            span = Span(span.start - 1, span.end, span.label)
        if not out or out[-1].end <= span.start:
            out.append(span)
    return out


@pytest.fixture
def corpus(store, tokenize):
    rng = random.Random(7)
    kinds: dict[str, list[int]] = {}
    for k in range(160):
        text = _text(rng)
        doc_id, _ = store.add_document(text, f"d{k}.txt", f"h{k}")
        if rng.random() > 0.05:
            store.set_tokens(doc_id, "blank", tokenize(text))
        gold = _spans(text, rng, 0.35)
        model = [Span(s.start, s.end, s.label, "model") for s in _disturb(gold, rng)]
        model += [Span(s.start, s.end, s.label, "model") for s in _spans(text, rng, 0.05)
                  if all(s.end <= m.start or m.end <= s.start for m in model)]
        store.add_prediction(doc_id, "en_x", "1", sorted(model))
        if rng.random() < 0.9:
            store.add_prediction(doc_id, "en_y", "1", sorted(model[::2]))
        roll = rng.random()
        kind = "single" if roll < 0.7 else "agreed" if roll < 0.8 else "conflict" if roll < 0.9 else "adjudicated"
        if rng.random() < 0.08:
            kind = "unaccepted"
        kinds.setdefault(kind, []).append(doc_id)
        boiler = [Range(text.index("Share"), len(text) - 1)] if "Share" in text else []
        share = text.find("Share")
        if boiler and rng.random() < 0.3 and all(s.end <= share or s.start >= share + 5 for s in gold):
            gold.append(Span(share, share + 5, "ORG"))  # inside boilerplate
        if "Share" in text and rng.random() < 0.3:
            boiler = [Range(max(0, text.index("Share") - 3), len(text) - 1)]  # across the last span, maybe
        gold_edits.set_gold(store, doc_id, "ann", gold, LABELS)
        gold_edits.set_boilerplate(store, doc_id, "ann", boiler)
        gold_edits.set_state(store, doc_id, "ann", "skipped" if kind == "unaccepted" else "accepted")
        if kind in ("agreed", "conflict", "adjudicated"):
            other = gold if kind == "agreed" else _disturb(gold, rng)
            gold_edits.set_gold(store, doc_id, "bob", other, LABELS)
            gold_edits.set_boilerplate(store, doc_id, "bob", boiler)
            gold_edits.set_state(store, doc_id, "bob", "accepted")
        if kind == "adjudicated":
            adjudication.set_final(store, doc_id, "cy", _disturb(gold, rng), LABELS)
            adjudication.accept(store, doc_id, "cy")
    return kinds


def same(a, b) -> None:
    assert a.evaluation.to_dict() == b.evaluation.to_dict()
    assert a.evaluation.disagreements == b.evaluation.disagreements
    assert (a.documents, a.pipeline, a.gold.kinds, a.gold.conflict_examples) == (
        b.documents, b.pipeline, b.gold.kinds, b.gold.conflict_examples)


def record_bulk_scored(monkeypatch) -> list[int]:
    """The ids of the documents the array scorer scores from now on (filled as it runs)."""
    in_bulk: list[int] = []
    real_score = evaluating_module.ArrayScoring.score

    def score(self, store_, ids, *args):  # noqa: ANN001, ANN202
        result = real_score(self, store_, ids, *args)
        in_bulk.extend(result.entries)
        return result

    monkeypatch.setattr(evaluating_module.ArrayScoring, "score", score)
    return in_bulk


@pytest.mark.parametrize("keep", [20_000, 15])
def test_bulk_path_equals_plain_scoring(store, corpus, tokenize, monkeypatch, keep):
    monkeypatch.setattr(evaluating_module, "CHUNK", 40)  # several chunks
    assert all(corpus.get(k) for k in ("single", "agreed", "conflict", "adjudicated", "unaccepted"))
    plain = evaluate_stored(store, "en_x", tokenize, use_cache=False, in_arrays=False, keep_disagreements=keep)
    in_bulk = record_bulk_scored(monkeypatch)
    first = evaluate_stored(store, "en_x", tokenize, keep_disagreements=keep)  # scores kept
    assert set(in_bulk) <= set(corpus["single"]) and len(in_bulk) > 0.7 * len(corpus["single"])
    assert len(in_bulk) < len(corpus["single"]), "irregular or tokenless documents went the plain way"
    same(first, plain)
    same(evaluate_stored(store, "en_x", tokenize, keep_disagreements=keep), plain)  # scores read back
    assert 0 < plain.gold.kinds["conflict"] <= len(corpus["conflict"]) and plain.documents > 100
    assert plain.evaluation.disagreements and plain.evaluation.to_dict()["fp"] > 0


def test_kept_scores_without_their_list_make_it_when_it_is_listed(store, corpus, tokenize, monkeypatch):
    """The first evaluation makes the disagreement list only of the documents it lists; when an
    edit lets later documents into the list, their list is made from the kept score's inputs."""
    evaluate_stored(store, "en_x", tokenize, keep_disagreements=15)
    stored = {d for (d,) in store._q("SELECT document_id FROM evaluation_disagreements")}
    with_some = {d for (d,) in store._q("SELECT document_id FROM evaluation_cache WHERE disagreements > 0")}
    unlisted = with_some - stored
    assert unlisted and stored, "lists made only for the documents listed"
    for kind, ids in corpus.items():  # the list now starts at a document whose list was not made
        for doc_id in ids:
            if doc_id < min(unlisted) and kind != "unaccepted":
                for who in ("ann", "bob", FINAL) if kind != "single" else ("ann",):
                    if who != FINAL or kind == "adjudicated":
                        gold_edits.set_state(store, doc_id, who, "skipped")
    listed: list[int] = []
    on_scoring(monkeypatch, after=listed.extend)
    made: list[int] = []
    real_details = evaluating_module.ArrayScoring.details

    def details(self, store_, ids, pipeline):  # noqa: ANN001, ANN202
        found = real_details(self, store_, ids, pipeline)
        made.extend(found)
        return found

    monkeypatch.setattr(evaluating_module.ArrayScoring, "details", details)
    again = evaluate_stored(store, "en_x", tokenize, keep_disagreements=15)
    assert made and set(made) <= {d.document_id for d in again.evaluation.disagreements}
    assert not set(made) & set(listed), "their scores were read back, only their lists made"
    same(again, evaluate_stored(store, "en_x", tokenize, use_cache=False, in_arrays=False, keep_disagreements=15))


def test_missing_predictions_are_refused_alike(store, corpus, tokenize):
    with pytest.raises(InputError) as plain:
        evaluate_stored(store, "en_y", tokenize, use_cache=False, in_arrays=False)
    with pytest.raises(InputError) as in_bulk:
        evaluate_stored(store, "en_y", tokenize)
    assert str(in_bulk.value) == str(plain.value) and "no stored prediction from en_y" in str(plain.value)
    same(evaluate_stored(store, None, tokenize), evaluate_stored(store, None, tokenize, use_cache=False,
                                                                 in_arrays=False))


def test_a_chunk_too_long_for_the_coordinates_goes_the_plain_way(store, corpus, tokenize, monkeypatch):
    from annotator.core import evaluation_arrays

    monkeypatch.setattr(evaluation_arrays, "_LIMIT", 2000)  # as if the chunk's texts were over 2G characters
    in_bulk = record_bulk_scored(monkeypatch)
    found = evaluate_stored(store, "en_x", tokenize, use_cache=False)
    assert not in_bulk
    same(found, evaluate_stored(store, "en_x", tokenize, use_cache=False, in_arrays=False))


def test_gold_labels_and_lengths_read_in_bulk_as_stored(store, tokenize, monkeypatch):
    """Labels that share a length and first byte, one the prefix of another, non-ASCII ones, and
    a span of 4,095+ characters (once too long for the bulk read's packing: now read in bulk too)."""
    labels = ["ORG", "ORGS", "OAK", "Ünï", "日本", "X"]
    rng = random.Random(11)
    long_doc = None
    for k in range(30):
        words = [rng.choice(WORDS) for _ in range(900 if k == 7 else rng.randint(5, 30))]
        text = " ".join(words)
        doc_id, _ = store.add_document(text, f"l{k}.txt", f"lh{k}")
        store.set_tokens(doc_id, "blank", tokenize(text))
        spans, pos = [], 0
        for word in words:
            start = text.index(word, pos)
            pos = start + len(word)
            if rng.random() < 0.4:
                spans.append(Span(start, pos, rng.choice(labels)))
        if k == 7:
            long_doc = doc_id
            spans = [Span(0, len(text), "ORGS")]
            assert len(text) >= 4095
        model = [Span(s.start, s.end, rng.choice(labels), "model") for s in spans if rng.random() < 0.8]
        store.add_prediction(doc_id, "en_x", "1", model)
        gold_edits.set_gold(store, doc_id, "ann", spans, labels)
        gold_edits.set_state(store, doc_id, "ann", "accepted")
    in_bulk = record_bulk_scored(monkeypatch)
    found = evaluate_stored(store, "en_x", tokenize, use_cache=False)
    assert long_doc in in_bulk and len(in_bulk) == 30
    plain = evaluate_stored(store, "en_x", tokenize, use_cache=False, in_arrays=False)
    same(found, plain)
    assert set(plain.evaluation.per_type) == set(labels)


def test_several_reviewers_non_bmp_texts_and_spans_at_the_ends_read_in_bulk_as_plain(store, tokenize, monkeypatch):
    """Documents each accepted by one of three annotators (the bulk read takes the gold per
    reviewer, so a chunk's gold is not in document order), texts with characters outside the
    BMP before and inside entities, gold spans at the very start and end of the text, spans
    not on token edges, a whitespace-only document and documents with no gold: in bulk, as plain."""
    rng = random.Random(23)
    words = ["Keita", "😀", "Bamako", "𝔐ali", "met", "Kyiv", "on", "Monday", "🇲🇱", "UN"]
    annotators = ["ann", "bob", "cy"]
    for k in range(90):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 12))) if k % 17 else "   "
        doc_id, _ = store.add_document(text, f"n{k}.txt", f"nh{k}")
        store.set_tokens(doc_id, "blank", tokenize(text))
        spans, pos = [], 0
        for word in text.split(" "):
            if not word:
                continue
            start = text.index(word, pos)
            pos = start + len(word)
            if rng.random() < 0.5:
                begin = start + 1 if rng.random() < 0.15 and len(word) > 1 else start  # maybe inside a token
                spans.append(Span(begin, pos, rng.choice(LABELS)))
        if k % 11 == 5:
            spans = []
        model = [Span(s.start, s.end, s.label if rng.random() < 0.8 else rng.choice(LABELS), "model")
                 for s in spans if rng.random() < 0.85]
        store.add_prediction(doc_id, "en_x", "1", model)
        who = annotators[(k * 7) % 3]
        gold_edits.set_gold(store, doc_id, who, spans, LABELS)
        gold_edits.set_state(store, doc_id, who, "accepted")
    in_bulk = record_bulk_scored(monkeypatch)
    found = evaluate_stored(store, "en_x", tokenize, use_cache=False)
    assert len(in_bulk) >= 80
    plain = evaluate_stored(store, "en_x", tokenize, use_cache=False, in_arrays=False)
    same(found, plain)
    assert plain.evaluation.to_dict()["tp"] > 50 and plain.evaluation.disagreements
