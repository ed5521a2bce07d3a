"""Rehearsal against forgetting: the base pipeline's own predictions as extra training material.

Fine-tuning a pipeline on a little gold that uses few of its labels teaches it that the other
labels never occur, and it forgets them. Mixing in the base pipeline's predictions on text
nobody has reviewed ("pseudo-rehearsal") keeps those labels alive. But the base's
predictions also carry the very mistakes the reviewers corrected ("Mali" as PERSON): taught
again, they would fight the gold. So wherever the reviewers disagreed with the base in the
gold (a gold span the base did not predict, or a base span the gold does not have), that
text is a *correction*, and its occurrences in rehearsal text get missing annotation: the
base teaches nothing about them, neither its label nor "not an entity".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from annotator.core.spans import Range, Span, split_by_boilerplate
from annotator.core.tokens import Tokens


@dataclass(frozen=True)
class ReviewedText:
    """A gold document as the reviewer left it beside the base pipeline's prediction for it."""

    text: str
    gold: Sequence[Span]
    predicted: Sequence[Span]
    boilerplate: Sequence[Range] = ()


def corrected_surfaces(documents: Iterable[ReviewedText]) -> set[str]:
    """Texts of spans where gold and base prediction differ (outside boilerplate), stripped."""
    found: set[str] = set()
    for doc in documents:
        predicted = list(doc.predicted)
        gold = list(doc.gold)
        if doc.boilerplate:  # what lies in boilerplate was not reviewed: it corrects nothing
            predicted = split_by_boilerplate(predicted, doc.boilerplate).outside
            gold = split_by_boilerplate(gold, doc.boilerplate).outside
        gold_keys = {(s.start, s.end, s.label) for s in gold}
        predicted_keys = {(s.start, s.end, s.label) for s in predicted}
        for span in gold:
            if (span.start, span.end, span.label) not in predicted_keys:
                found.add(doc.text[span.start:span.end].strip())
        for span in predicted:
            if (span.start, span.end, span.label) not in gold_keys:
                found.add(doc.text[span.start:span.end].strip())
    found.discard("")
    return found


def surface_pattern(surfaces: Iterable[str]) -> re.Pattern[str] | None:
    """One regular expression finding any of ``surfaces`` (longest first), or None for none."""
    ordered = sorted(set(surfaces), key=lambda s: (-len(s), s))
    if not ordered:
        return None
    return re.compile("|".join(re.escape(s) for s in ordered))


def rehearsal_annotation(
    text: str, tokens: Tokens, predicted: Sequence[Span], corrections: re.Pattern[str] | None
) -> tuple[list[Span], list[Range]]:
    """(entities, missing ranges) for a rehearsal document.

    Occurrences of corrected text that sit on token boundaries become missing annotation,
    and so does every predicted entity touching one; the other predicted entities are kept
    as the base made them, and every other token is "not an entity", as the base said.
    """
    missing: list[Range] = []
    if corrections is not None:
        for match in corrections.finditer(text):
            start, end = match.span()
            if end > start and tokens.is_aligned(start, end):
                missing.append(Range(start, end))
    kept = [s for s in predicted if not any(m.start < s.end and s.start < m.end for m in missing)]
    widened = missing + [Range(s.start, s.end) for s in predicted if s not in kept]
    return kept, sorted(set(widened))


def label_retention(
    base: Iterable[Sequence[Span]], trained: Iterable[Sequence[Span]]
) -> dict[str, dict[str, int | float]]:
    """Per label, how many of the base's entities the trained pipeline still predicts exactly.

    ``base`` and ``trained`` are the two pipelines' entities on the same held-out texts, in
    the same order. ``kept``/``base`` near 1 means the label was not forgotten there.
    """
    counts: dict[str, dict[str, int | float]] = {}
    for base_spans, trained_spans in zip(base, trained, strict=True):
        trained_keys = {(s.start, s.end, s.label) for s in trained_spans}
        for span in base_spans:
            entry = counts.setdefault(span.label, {"base": 0, "kept": 0, "trained": 0})
            entry["base"] += 1
            entry["kept"] += (span.start, span.end, span.label) in trained_keys
        for span in trained_spans:
            counts.setdefault(span.label, {"base": 0, "kept": 0, "trained": 0})["trained"] += 1
    for entry in counts.values():
        entry["retention"] = entry["kept"] / entry["base"] if entry["base"] else 0.0
    return dict(sorted(counts.items()))
