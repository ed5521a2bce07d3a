"""A bulk edit's layer in arrays (core.packed_layer) packs what the plain span lists pack."""

from __future__ import annotations

import random

import pytest

from annotator.core.packed_layer import PackedLayer
from annotator.core.packing import gold_row, pack_gold, pack_spans
from annotator.core.spans import Span

NAMES = ["GPE", "PERSON", "ORG", "NORP", "𝔘 non-BMP"]


def _layer(rng: random.Random, n: int, *, gap: int = 40) -> list[Span]:
    spans, at = [], 0
    for _ in range(n):
        at += rng.randrange(0, gap)
        length = rng.randrange(1, 12)
        spans.append(Span(at, at + length, rng.choice(NAMES), rng.choice(["model", "human"])))
        at += length
    return spans


@pytest.mark.parametrize("seed", range(40))
def test_an_edited_layer_packs_as_the_plain_spans_would(seed):
    rng = random.Random(seed)
    spans = _layer(rng, rng.randrange(0, 120), gap=rng.choice([3, 40, 70_000]))
    removed = rng.sample(spans, min(len(spans), rng.randrange(0, 4)))
    kept = [s for s in spans if s not in removed]
    end = max((s.end for s in spans), default=0)
    added = [Span(end + 5 + 20 * k, end + 9 + 20 * k, rng.choice(NAMES + ["NEW"]), "human")
             for k in range(rng.randrange(0, 3))]
    added += [Span(s.start, s.end, "NEW", "human") for s in removed[:1]]  # a relabel in place
    layer = PackedLayer.from_gold(pack_gold(spans))
    assert layer.spans() == sorted(spans)
    blob, n, labels = layer.edited(removed, added)
    assert blob == pack_gold(kept + added)
    assert (n, labels) == (len(kept + added), gold_row(kept + added)[2])


def test_a_prediction_becomes_the_model_s_gold():
    rng = random.Random(7)
    spans = _layer(rng, 100)
    layer = PackedLayer.from_prediction(pack_spans([(s.start, s.end, s.label) for s in spans]))
    assert layer.spans() == [Span(s.start, s.end, s.label, "model") for s in sorted(spans)]
    assert layer.edited([], [])[0] == pack_gold([Span(s.start, s.end, s.label, "model") for s in spans])


def test_lookups_by_bounds_and_overlap():
    spans = [Span(0, 4, "GPE", "model"), Span(6, 10, "ORG", "human"), Span(10, 12, "PERSON", "model")]
    layer = PackedLayer.from_gold(pack_gold(spans))
    assert layer.at(6, 10) == spans[1] and layer.at(6, 9) is None
    assert layer.find(Span(6, 10, "ORG", "model")) == 1 and layer.find(Span(6, 10, "GPE")) == -1
    assert layer.overlapping(3, 11) == [2, 1, 0]
    assert layer.overlapping(4, 6) == [] and layer.overlapping(10, 10) == []
    assert PackedLayer.empty().edited([], []) == (pack_gold([]), 0, "[]")


def test_predictions_decoded_together_are_each_one_s_layer():
    rng = random.Random(11)
    blobs = [pack_spans([(s.start, s.end, s.label) for s in _layer(rng, n)]) for n in (0, 3, 100, 1, 40)]
    together = PackedLayer.many(blobs, gold=False)
    for blob, layer in zip(blobs, together):
        alone = PackedLayer.from_prediction(blob)
        assert layer.spans() == alone.spans()
        added = [Span(10**6, 10**6 + 3, "NEW", "human")]
        assert layer.edited([], added) == alone.edited([], added)
        assert layer.edited(alone.spans()[:1], []) == alone.edited(alone.spans()[:1], [])
