"""Scoring predictions against gold, exactly as spaCy's NER scorer does, plus what it does not show.

spaCy (``spacy.scorer.get_ner_prf``) compares entities as token ranges: a prediction is a
true positive when a gold entity has the same label and the same tokens, a false positive
otherwise, unless one of its tokens has *missing* gold annotation, in which case it counts
neither way; every gold entity left unmatched is a false negative; a document with no
annotated token is skipped. Here boilerplate tokens are the missing ones (as in the DocBin
export), and so are the tokens of a gold entity that touches boilerplate.

Beyond spaCy: a confusion table of gold x predicted labels for same-boundary spans (plus
missed and spurious), partial-match scores (tokens overlap, label equal), and the list of
disagreements to review.
"""

from __future__ import annotations

import json
import operator
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from itertools import accumulate
from dataclasses import dataclass, field
from typing import Any

from annotator.core.spans import Range, Span
from annotator.core.tokens import Tokens

MISSED = "(missed)"  # confusion column: a gold entity with no same-boundary prediction
SPURIOUS = "(spurious)"  # confusion row: a prediction with no same-boundary gold entity


@dataclass
class PRF:
    """Counts and spaCy's PRFScore formulas (the same 1e-100 guards, so 0/0 gives 0.0)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __len__(self) -> int:
        return self.tp + self.fp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp + 1e-100)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn + 1e-100)

    @property
    def fscore(self) -> float:
        p, r = self.precision, self.recall
        return 2 * ((p * r) / (p + r + 1e-100))

    def to_dict(self) -> dict[str, float | int]:
        return {"p": self.precision, "r": self.recall, "f": self.fscore, "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass(frozen=True)
class EvalDocument:
    """One accepted document: its tokens, gold, boilerplate and the predictions to score."""

    document_id: int
    source: str
    text: str
    tokens: Tokens
    gold: list[Span]
    predicted: list[Span]
    boilerplate: list[Range] = field(default_factory=list)


@dataclass(frozen=True)
class Disagreement:
    """One place where model and gold disagree.

    ``start``, ``end`` and ``text`` are the predicted span's (the gold span's for "missed");
    ``gold_start``, ``gold_end`` and ``gold_text`` are the gold span's where there is one (the
    same-tokens gold for "type", the first overlapping gold for "boundary", the span itself for
    "missed"; None for "spurious").
    """

    document_id: int
    source: str
    start: int
    end: int
    kind: str  # "type" (same tokens, other label), "boundary" (overlap), "missed", "spurious"
    gold_label: str | None
    predicted_label: str | None
    text: str
    gold_start: int | None = None
    gold_end: int | None = None
    gold_text: str | None = None

    @property
    def predicted_text(self) -> str | None:
        """The predicted span's text (None for a missed gold entity)."""
        return None if self.predicted_label is None else self.text


@dataclass
class Evaluation:
    per_type: dict[str, PRF]
    documents: int  # documents scored (with some annotated token)
    confusion: dict[str, dict[str, int]]
    partial: dict[str, float | int]
    disagreements: list[Disagreement]

    @property
    def totals(self) -> PRF:
        total = PRF()
        for prf in self.per_type.values():
            total.tp, total.fp, total.fn = total.tp + prf.tp, total.fp + prf.fp, total.fn + prf.fn
        return total

    def to_dict(self) -> dict[str, Any]:
        """The stable machine-readable form (``annotator evaluate --json``)."""
        totals = self.totals
        scored = len(totals) > 0
        return {
            "ents_p": totals.precision if scored else None,
            "ents_r": totals.recall if scored else None,
            "ents_f": totals.fscore if scored else None,
            "ents_per_type": {label: prf.to_dict() for label, prf in self.per_type.items()} if scored else None,
            "tp": totals.tp, "fp": totals.fp, "fn": totals.fn,
            "documents": self.documents,
            "confusion": self.confusion,
            "partial": self.partial,
        }


def _token_span(tokens: Tokens, start: int, end: int) -> tuple[int, int] | None:
    """Token range [first, last + 1) covering [start, end), like ``char_span(alignment_mode="expand")``."""
    found = tokens.token_range(start, end)
    return None if found is None else (found[0], found[1] + 1)


class _TokenIndex:
    """:func:`_token_span` for one document, by dictionary for spans on token edges (nearly all)."""

    def __init__(self, tokens: Tokens):
        self.tokens = tokens
        starts, ends = tokens.starts, tokens.ends
        if any(map(operator.ge, starts, ends)):  # an empty token: edges are not unique, always bisect
            self.by_start: dict[int, int] = {}
            self.by_end: dict[int, int] = {}
        else:
            self.by_start = dict(zip(starts, range(len(starts))))
            self.by_end = dict(zip(ends, range(1, len(ends) + 1)))

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        first = self.by_start.get(start)
        last = self.by_end.get(end)
        if first is not None and last is not None and first < last:
            return first, last
        return _token_span(self.tokens, start, end)


def _missing_tokens(doc: EvalDocument, index: _TokenIndex | None = None) -> set[int]:
    index = index or _TokenIndex(doc.tokens)
    missing: set[int] = set()
    for rng in doc.boilerplate:
        found = index.span(rng.start, rng.end)
        if found:
            missing.update(range(*found))
    if missing:
        for span in doc.gold:  # a gold entity touching boilerplate is left unannotated too (as exported)
            found = index.span(span.start, span.end)
            if found and not missing.isdisjoint(range(*found)):
                missing.update(range(*found))
    return missing


_EDGES = operator.itemgetter(0, 1)


class _Intervals:
    """Half-open intervals with a payload, asked "which one overlaps [s, e)?" in O(log n)."""

    def __init__(self, items: Iterable[tuple[int, int, Any]]):
        ordered = sorted(items, key=_EDGES)
        self.starts = [item[0] for item in ordered]
        self.items = ordered
        self.max_end = list(accumulate((item[1] for item in ordered), max))

    def first_overlap(self, start: int, end: int) -> Any:
        """The payload of the leftmost interval overlapping [start, end), or None."""
        k = bisect_left(self.starts, end) - 1  # intervals before k + 1 start before ``end``
        if k < 0 or self.max_end[k] <= start:
            return None
        lo = bisect_right(self.max_end, start, 0, k + 1)  # the first whose running end passes ``start``
        for item in self.items[lo:k + 1]:
            if item[1] > start:
                return item[2]
        return None  # pragma: no cover - max_end guarantees one


class _LabelIntervals:
    """(label, first, last) token ranges, asked "does one of this label overlap?" (indexes built lazily)."""

    def __init__(self, keys: Iterable[tuple[str, int, int]]):
        self.keys = keys
        self.index: dict[str, _Intervals] | None = None

    def overlaps(self, label: str, first: int, last: int) -> bool:
        if self.index is None:
            grouped: dict[str, list[tuple[int, int, bool]]] = {}
            for key_label, key_first, key_last in self.keys:
                grouped.setdefault(key_label, []).append((key_first, key_last, True))
            self.index = {name: _Intervals(items) for name, items in grouped.items()}
        found = self.index.get(label)
        return found is not None and found.first_overlap(first, last) is not None


DISAGREEMENTS_KEPT = 20_000  # listed for review; every one is still counted

# A disagreement as a document's score keeps it (texts are sliced from the document when listed):
# (kind, start, end, gold label, predicted label, gold start, gold end)
DisagreementAt = tuple[str, int, int, "str | None", "str | None", "int | None", "int | None"]


@dataclass
class DocumentScore:
    """What one document adds to an evaluation: counts, and its disagreements without texts.

    Depends only on the document (its tokens, gold, boilerplate and predictions), so it can be
    kept and added again while those do not change: :meth:`counts` as a flat mapping whose
    values add up across documents (a store can sum them), :meth:`disagreements_json` apart.
    """

    scored: bool = False  # False: no annotated token (spaCy skips the document)
    per_type: dict[str, list[int]] = field(default_factory=dict)  # label -> [tp, fp, fn]
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)  # (gold row, predicted column) -> n
    partial: tuple[int, int, int, int] = (0, 0, 0, 0)  # predicted matching, predicted, gold matched, gold
    disagreements: list[DisagreementAt] = field(default_factory=list)  # in the order found

    def counts(self) -> dict[str, int]:
        """Every count under a flat key (see :meth:`Scores.add_counts`); empty when not scored."""
        if not self.scored:
            return {}
        out = {"documents": 1}
        for label, (tp, fp, fn) in self.per_type.items():  # zeros kept: the label was seen
            out[f"tp\t{label}"], out[f"fp\t{label}"], out[f"fn\t{label}"] = tp, fp, fn
        for (row, col), n in self.confusion.items():
            out[f"cm\t{row}\t{col}"] = n
        for k, n in enumerate(self.partial):
            out[f"partial\t{k}"] = n
        return out

    def disagreements_json(self) -> str:
        return json.dumps(self.disagreements, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def disagreements_from_json(data: str) -> list[DisagreementAt]:
        return [tuple(d) for d in json.loads(data)]  # type: ignore[misc]


def score_document(doc: EvalDocument) -> DocumentScore:
    """Score one document (see the module docstring); O(n log n) in its spans."""
    index = _TokenIndex(doc.tokens)
    missing = _missing_tokens(doc, index)
    n_tokens = len(doc.tokens)
    if n_tokens == 0 or len(missing) >= n_tokens:
        return DocumentScore()  # spaCy skips a document with no annotated token
    result = DocumentScore(scored=True)
    per_type = result.per_type
    confusion = result.confusion
    disagreements = result.disagreements

    def count(row: str, col: str) -> None:
        confusion[row, col] = confusion.get((row, col), 0) + 1

    def disagree(predicted: Span | None, kind: str, gold: Span | None) -> None:
        where = predicted if predicted is not None else gold
        assert where is not None
        disagreements.append((kind, where.start, where.end, None if gold is None else gold.label,
                              None if predicted is None else predicted.label,
                              None if gold is None else gold.start, None if gold is None else gold.end))

    def touches_missing(found: tuple[int, int]) -> bool:
        return bool(missing) and not missing.isdisjoint(range(*found))

    golds: dict[tuple[str, int, int], Span] = {}
    for span in doc.gold:
        found = index.span(span.start, span.end)
        if found and not touches_missing(found):
            golds[(span.label, *found)] = span
    gold_by_tokens = {(k[1], k[2]): k for k in golds}
    gold_chars: list[_Intervals] = []  # built when first needed (a prediction with no same-tokens gold)
    unmatched = dict(golds)
    counted: list[tuple[Span, tuple[int, int]]] = []
    for span in doc.predicted:
        prf = per_type.setdefault(span.label, [0, 0, 0])
        found = index.span(span.start, span.end)
        if found is None or touches_missing(found):
            continue  # over missing annotation: neither right nor wrong
        counted.append((span, found))
        key = (span.label, *found)
        if key in unmatched:
            prf[0] += 1
            del unmatched[key]
        else:
            prf[1] += 1
        same = gold_by_tokens.get(found)
        if same is not None:
            count(same[0], span.label)
            if same[0] != span.label:
                disagree(span, "type", golds[same])
        else:
            count(SPURIOUS, span.label)
            if not gold_chars:
                gold_chars.append(_Intervals((g.start, g.end, g) for g in golds.values()))
            overlapping = gold_chars[0].first_overlap(span.start, span.end)
            disagree(span, "boundary" if overlapping is not None else "spurious", overlapping)
    counted_ranges = {found for _, found in counted}
    counted_chars: list[_Intervals] = []
    for (label, first, last), span in unmatched.items():
        per_type.setdefault(label, [0, 0, 0])[2] += 1
        if (first, last) not in counted_ranges:
            count(label, MISSED)
            if not counted_chars:
                counted_chars.append(_Intervals((p.start, p.end, True) for p, _ in counted))
            if counted_chars[0].first_overlap(span.start, span.end) is None:
                disagree(None, "missed", span)
    # partial match: same label, overlapping tokens (an exact match needs no interval search)
    counted_keys = {(span.label, *found) for span, found in counted}
    pred_hits = gold_hits = 0
    gold_index = _LabelIntervals(golds)
    for span, (first, last) in counted:
        pred_hits += (span.label, first, last) in golds or gold_index.overlaps(span.label, first, last)
    pred_index = _LabelIntervals(counted_keys)
    for key in golds:
        gold_hits += key in counted_keys or pred_index.overlaps(*key)
    result.partial = (pred_hits, len(counted), gold_hits, len(golds))
    return result


class Scores:
    """Adds up document scores, in document order, into an :class:`Evaluation`.

    The first ``keep_disagreements`` disagreements are listed (texts sliced from each
    document's text); the scores count them all. Memory does not grow with the documents.
    """

    def __init__(self, keep_disagreements: int = DISAGREEMENTS_KEPT):
        self.keep = keep_disagreements
        self.per_type: dict[str, PRF] = {}
        self.confusion: dict[str, dict[str, int]] = {}
        self.disagreements: list[Disagreement] = []
        self.documents = 0
        self.partial = [0, 0, 0, 0]

    @property
    def wants_texts(self) -> bool:
        """True while disagreements are still being listed (their texts are needed)."""
        return len(self.disagreements) < self.keep

    @property
    def room(self) -> int:
        """How many more disagreements are listed."""
        return max(0, self.keep - len(self.disagreements))

    def add(self, score: DocumentScore, document_id: int, source: str = "", text: str = "") -> None:
        """Add one document's score (``source`` and ``text`` matter only while :attr:`wants_texts`)."""
        if not score.scored:
            return
        self.add_counts(score.counts())
        self.add_disagreements(score.disagreements, document_id, source, text)

    def add_counts(self, counts: dict[str, int]) -> None:
        """Add :meth:`DocumentScore.counts` of one document, or their sums over many."""
        for key, n in counts.items():
            kind, _, rest = key.partition("\t")
            if kind == "documents":
                self.documents += n
            elif kind == "partial":
                self.partial[int(rest)] += n
            elif kind == "cm":
                row, _, col = rest.partition("\t")
                cells = self.confusion.setdefault(row, {})
                cells[col] = cells.get(col, 0) + n
            else:
                prf = self.per_type.get(rest)
                if prf is None:
                    prf = self.per_type[rest] = PRF()
                setattr(prf, kind, getattr(prf, kind) + n)

    def add_disagreements(self, found: list[DisagreementAt], document_id: int, source: str, text: str) -> None:
        """List one document's disagreements while there is room (in the order added)."""
        room = self.keep - len(self.disagreements)
        for kind, start, end, gold_label, predicted_label, gold_start, gold_end in found[:max(0, room)]:
            self.disagreements.append(Disagreement(
                document_id, source, start, end, kind, gold_label, predicted_label, text[start:end],
                gold_start, gold_end, None if gold_start is None else text[gold_start:gold_end]))

    def result(self) -> Evaluation:
        pred_hits, preds, gold_hits, golds = self.partial
        p = pred_hits / (preds + 1e-100)
        r = gold_hits / (golds + 1e-100)
        partial = {"p": p, "r": r, "f": 2 * ((p * r) / (p + r + 1e-100)), "predicted": preds,
                   "predicted_matching": pred_hits, "gold": golds, "gold_matched": gold_hits}
        disagreements = sorted(self.disagreements, key=lambda d: (d.document_id, d.start))
        return Evaluation(self.per_type, self.documents, self.confusion, partial, disagreements)


def evaluate(documents: Iterable[EvalDocument], keep_disagreements: int = DISAGREEMENTS_KEPT) -> Evaluation:
    """Score predictions against gold over ``documents`` (see the module docstring).

    Streams: one document at a time, O(n log n) in its spans, memory independent of the
    number of documents (the first ``keep_disagreements`` disagreements are kept; the
    scores count them all).
    """
    scores = Scores(keep_disagreements)
    for doc in documents:
        scores.add(score_document(doc), doc.document_id, doc.source, doc.text)
    return scores.result()
