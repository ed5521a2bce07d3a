"""Inter-annotator agreement on named entities: pure computation over plain data.

For every pair of annotators who both accepted a document:

- **exact match F1**: a span counts as agreed when the other annotator has the same start,
  end and label. Pairwise F1 is symmetric: ``2 * agreed / (spans of A + spans of B)``;
  micro-averaged over documents, per label and per pair.
- **overlap match F1** (near misses visible): a span of A is matched when some span of B
  with the same label shares a character with it, and the other way round;
  ``P = matched B / B``, ``R = matched A / A``, ``F1 = 2PR / (P + R)``.
- **Cohen's kappa on IOB tags**: each token gets ``B-LABEL``, ``I-LABEL`` or ``O`` from
  each annotator; kappa = (observed - chance) / (1 - chance) over the tokens of every
  document of the pair. Whitespace tokens are not compared (they are ``O`` for everybody
  and would only inflate agreement).

Boilerplate (see :mod:`annotator.core.team`): spans lying inside text that *either*
annotator of a pair marked as boilerplate are left out, and so are the tokens touching it.
How much their boilerplate agrees is reported apart, in characters marked by both versus by
either. Documents are ranked by disagreement: the number of distinct spans not every
annotator of the document has (after the same rule, over all of them), then lowest mean
exact F1.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from annotator.core.spans import Range, Span
from annotator.core.team import Layer, intersect_ranges, key, outside, union_boilerplate
from annotator.core.tokens import Tokens

OUTSIDE = "O"


@dataclass(frozen=True)
class AgreementDocument:
    """A document with two or more annotators' accepted layers."""

    document_id: int
    source: str
    text: str
    tokens: Tokens
    layers: Sequence[Layer]


@dataclass
class Scores:
    """Counts for a pair of annotators (or pooled over pairs), and the scores they give."""

    agreed: int = 0  # exact matches
    spans_a: int = 0
    spans_b: int = 0
    overlap_a: int = 0  # spans of A overlapping a same-label span of B
    overlap_b: int = 0
    tags: Counter[tuple[str, str]] = field(default_factory=Counter)  # (tag of A, tag of B) -> tokens
    boilerplate_both: int = 0  # characters
    boilerplate_either: int = 0
    documents: int = 0

    def add(self, other: "Scores") -> None:
        self.agreed += other.agreed
        self.spans_a += other.spans_a
        self.spans_b += other.spans_b
        self.overlap_a += other.overlap_a
        self.overlap_b += other.overlap_b
        self.tags.update(other.tags)
        self.boilerplate_both += other.boilerplate_both
        self.boilerplate_either += other.boilerplate_either
        self.documents += other.documents

    @property
    def exact_f1(self) -> float | None:
        total = self.spans_a + self.spans_b
        return 2 * self.agreed / total if total else None

    @property
    def overlap_f1(self) -> float | None:
        if not self.spans_a or not self.spans_b:
            return 0.0 if self.spans_a or self.spans_b else None
        p, r = self.overlap_b / self.spans_b, self.overlap_a / self.spans_a
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa over the tag pairs; None when chance agreement is total (one tag only)."""
        return cohen_kappa(self.tags)

    @property
    def tokens(self) -> int:
        return sum(self.tags.values())

    @property
    def boilerplate_agreement(self) -> float | None:
        return self.boilerplate_both / self.boilerplate_either if self.boilerplate_either else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "exact_f1": self.exact_f1, "overlap_f1": self.overlap_f1, "kappa": self.kappa,
            "agreed": self.agreed, "spans_a": self.spans_a, "spans_b": self.spans_b,
            "overlap_a": self.overlap_a, "overlap_b": self.overlap_b, "tokens": self.tokens,
            "documents": self.documents, "boilerplate_agreement": self.boilerplate_agreement,
            "boilerplate_chars_both": self.boilerplate_both, "boilerplate_chars_either": self.boilerplate_either,
        }


@dataclass
class LabelScores:
    agreed: int = 0
    spans: int = 0  # both annotators' spans of the label

    @property
    def exact_f1(self) -> float | None:
        return 2 * self.agreed / self.spans if self.spans else None


@dataclass(frozen=True)
class DocumentDisagreement:
    """How much the annotators of one document disagree."""

    document_id: int
    source: str
    annotators: tuple[str, ...]
    disputed: int  # distinct spans not every annotator has
    spans: int  # distinct spans any annotator has
    exact_f1: float  # mean over pairs (1.0 when a pair has no spans at all)


@dataclass
class Agreement:
    pairs: dict[tuple[str, str], Scores]
    per_label: dict[str, LabelScores]
    documents: list[DocumentDisagreement]  # most disagreement first

    @property
    def total(self) -> Scores:
        pooled = Scores()
        for scores in self.pairs.values():
            pooled.add(scores)
        return pooled

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable form (``annotator agreement --json``)."""
        total = self.total
        return {
            "documents": len(self.documents),
            "pairs_compared": total.documents,
            **total.to_dict(),
            "per_label": {label: {"exact_f1": s.exact_f1, "agreed": s.agreed, "spans": s.spans}
                          for label, s in sorted(self.per_label.items())},
            "per_pair": [{"a": a, "b": b, **s.to_dict()} for (a, b), s in sorted(self.pairs.items())],
            "ranked_documents": [d.__dict__ | {"annotators": list(d.annotators)} for d in self.documents],
        }


def cohen_kappa(tags: Counter[tuple[str, str]]) -> float | None:
    """Cohen's kappa from counts of (rater A's tag, rater B's tag)."""
    n = sum(tags.values())
    if not n:
        return None
    observed = sum(count for (a, b), count in tags.items() if a == b) / n
    rows: Counter[str] = Counter()
    cols: Counter[str] = Counter()
    for (a, b), count in tags.items():
        rows[a] += count
        cols[b] += count
    chance = sum(rows[t] * cols[t] for t in rows) / (n * n)
    if chance >= 1.0:
        return None
    return (observed - chance) / (1 - chance)


def iob_tags(spans: Iterable[Span], tokens: Tokens) -> list[str]:
    """One IOB tag per token (tokens a span touches belong to it)."""
    tags = [OUTSIDE] * len(tokens)
    for i, tag in _sparse_tags(spans, tokens).items():
        tags[i] = tag
    return tags


def _overlap_hits(spans: Sequence[Span], others: Sequence[Span]) -> int:
    """How many of ``spans`` share a character with a same-label span of ``others`` (non-overlapping, sorted)."""
    ends = [s.end for s in others]
    hits = 0
    for span in spans:
        j = bisect_right(ends, span.start)
        while j < len(others) and others[j].start < span.end:
            if others[j].label == span.label:
                hits += 1
                break
            j += 1
    return hits


def _chars(ranges: Iterable[Range]) -> int:
    return sum(r.end - r.start for r in ranges)


_WHITESPACE_RUN = re.compile(r"[^\S ]+|  +")  # where spaCy makes whitespace tokens: not one plain space


def _excluded_tokens(doc: AgreementDocument, boilerplate: Sequence[Range]) -> set[int]:
    """Indices of the tokens not compared: whitespace, or touching ``boilerplate``."""
    tokens, starts = doc.tokens, doc.tokens.starts
    skip: set[int] = set()
    for match in _WHITESPACE_RUN.finditer(doc.text):  # a token starting inside a whitespace run is whitespace
        first, last = bisect_left(starts, match.start()), bisect_left(starts, match.end())
        skip.update(range(first, last))
    for rng in boilerplate:
        found = tokens.token_range(rng.start, rng.end)
        if found is not None:
            skip.update(range(found[0], found[1] + 1))
    return skip


def _sparse_tags(spans: Iterable[Span], tokens: Tokens) -> dict[int, str]:
    """The IOB tags of :func:`iob_tags` that are not ``O``, by token index."""
    tags: dict[int, str] = {}
    for span in spans:
        found = tokens.token_range(span.start, span.end)
        if found is None:
            continue
        first, last = found
        tags[first] = "B-" + span.label
        inside = "I-" + span.label
        for i in range(first + 1, last + 1):
            tags[i] = inside
    return tags


def compare_pair(doc: AgreementDocument, a: Layer, b: Layer, per_label: dict[str, LabelScores]) -> Scores:
    """Scores of one pair of layers on one document (adds to ``per_label``).

    Tokens outside every span are ``O`` for both annotators: only the tokens some span touches
    are looked at one by one, the others are counted as agreeing ``O``.
    """
    union = union_boilerplate([a, b])
    spans_a, spans_b = outside(a.spans, union), outside(b.spans, union)
    keys_a, keys_b = {key(s) for s in spans_a}, {key(s) for s in spans_b}
    both = keys_a & keys_b
    scores = Scores(agreed=len(both), spans_a=len(spans_a), spans_b=len(spans_b), documents=1)
    for label, count in Counter(k[2] for k in both).items():
        per_label.setdefault(label, LabelScores()).agreed += count
    for label, count in Counter(s.label for s in spans_a + spans_b).items():
        per_label.setdefault(label, LabelScores()).spans += count
    scores.overlap_a = _overlap_hits(spans_a, spans_b)
    scores.overlap_b = _overlap_hits(spans_b, spans_a)
    tags_a, tags_b = _sparse_tags(spans_a, doc.tokens), _sparse_tags(spans_b, doc.tokens)
    excluded = _excluded_tokens(doc, union)
    touched = (tags_a.keys() | tags_b.keys()) - excluded
    scores.tags = Counter((tags_a.get(i, OUTSIDE), tags_b.get(i, OUTSIDE)) for i in touched)
    plain = len(doc.tokens) - len(excluded) - len(touched)
    if plain:
        scores.tags[(OUTSIDE, OUTSIDE)] += plain
    scores.boilerplate_both = _chars(intersect_ranges(a.boilerplate, b.boilerplate))
    scores.boilerplate_either = _chars(union)
    return scores


def rank_document(document_id: int, source: str, layers: Sequence[Layer],
                  pair_f1: Sequence[float | None] | None = None) -> DocumentDisagreement:
    """How much the layers of one document disagree (spans only: no text or tokens needed).

    ``pair_f1``: the pairs' exact F1 when the caller has them already (None for a pair with no spans).
    """
    layers = sorted(layers, key=lambda layer: layer.annotator)
    if pair_f1 is None:
        pair_f1 = []
        for a, b in combinations(layers, 2):
            union = union_boilerplate([a, b])
            keys_a, keys_b = {key(s) for s in outside(a.spans, union)}, {key(s) for s in outside(b.spans, union)}
            total = len(keys_a) + len(keys_b)
            pair_f1.append(2 * len(keys_a & keys_b) / total if total else None)
    f1s = [1.0 if f1 is None else f1 for f1 in pair_f1]
    union = union_boilerplate(layers)
    held = [{key(s) for s in outside(layer.spans, union)} for layer in layers]
    every = set.union(*held) if held else set()
    disputed = len(every - set.intersection(*held)) if held else 0
    return DocumentDisagreement(document_id, source, tuple(layer.annotator for layer in layers), disputed, len(every),
                                sum(f1s) / len(f1s) if f1s else 1.0)


def by_disagreement(documents: Iterable[DocumentDisagreement]) -> list[DocumentDisagreement]:
    """Most disputed spans first, then lowest mean exact F1, then document order."""
    return sorted(documents, key=lambda d: (-d.disputed, d.exact_f1, d.document_id))


def measure(documents: Iterable[AgreementDocument]) -> Agreement:
    """Pairwise agreement over documents with two or more layers (see the module docstring)."""
    pairs: dict[tuple[str, str], Scores] = {}
    per_label: dict[str, LabelScores] = {}
    ranked: list[DocumentDisagreement] = []
    for doc in documents:
        layers = sorted(doc.layers, key=lambda layer: layer.annotator)
        if len(layers) < 2:
            continue
        compared = []
        for a, b in combinations(layers, 2):
            scores = compare_pair(doc, a, b, per_label)
            pairs.setdefault((a.annotator, b.annotator), Scores()).add(scores)
            compared.append(scores)
        if len(layers) == 2:  # the pair's own counts say it all
            (only,) = compared
            every = only.spans_a + only.spans_b - only.agreed
            f1 = only.exact_f1
            ranked.append(DocumentDisagreement(doc.document_id, doc.source, (layers[0].annotator, layers[1].annotator),
                                               every - only.agreed, every, 1.0 if f1 is None else f1))
        else:
            ranked.append(rank_document(doc.document_id, doc.source, layers, [s.exact_f1 for s in compared]))
    return Agreement(pairs, per_label, by_disagreement(ranked))
