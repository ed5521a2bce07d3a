"""Reviewer actions on one document's gold: each is one transaction and one edit-log entry."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable

from annotator.core.errors import SpanError
from annotator.core.model import ACCEPTED, IN_PROGRESS, REVIEW_STATES, SKIPPED, TODO
from annotator.core.spans import ORIGIN_HUMAN, Range, Span, merge_ranges, subtract_range, validate_ranges, validate_spans
from annotator.core.tokens import Tokens
from annotator.store import Store


def _span_payload(span: Span) -> dict[str, object]:
    return {"start": span.start, "end": span.end, "label": span.label, "origin": span.origin}


def start_review(store: Store, document_id: int, annotator: str) -> list[Span] | None:
    """The annotator's first edit of a document: its gold starts as a copy of the model's
    spans (origin model) and it is in progress. Opening a document writes nothing; every edit
    calls this first, in its own transaction.

    Returns the spans copied into the gold, or None when the annotator had started already.
    The review state is the annotator's own: another annotator's work on the document is theirs.
    """
    review = store.review(document_id, annotator)
    if review.state != TODO:
        return None
    copied = None
    with store.transaction():
        if not store.has_gold(document_id, annotator) and not store.boilerplate(document_id, annotator):
            prediction = store.prediction(document_id, with_tokens=False)
            spans = copied = prediction.spans if prediction is not None else []
            store.add_gold(document_id, annotator, spans)
            store.log_edit(document_id, annotator, "start_review", {
                "copied_from": f"{prediction.pipeline} {prediction.version}" if prediction else None,
                "spans": len(spans),
            })
        if review.state == TODO:
            store.set_review(document_id, IN_PROGRESS, annotator)
    return copied


def _touch(store: Store, document_id: int, annotator: str) -> None:
    """An edit moves the annotator's todo document to in progress (an accepted one stays accepted)."""
    if store.review(document_id, annotator).state == TODO:
        store.set_review(document_id, IN_PROGRESS, annotator)


def change_spans(
    store: Store, document_id: int, annotator: str, *, remove: Iterable[Span] = (), add: Iterable[Span] = (),
    labels: Iterable[str], action: str = "change_spans",
) -> None:
    """Remove some gold spans and add others, in one transaction and one log entry.

    Refused (SpanError, nothing changed) when a span to remove is not in the gold, or a span
    to add is out of range, has an unknown label or would overlap a span that stays. The
    annotator's gold is one packed row: it is read once, checked (by bisection) and written
    once.
    """
    removed, added = list(remove), sorted(add)
    text_len = store.document_length(document_id)
    with store.transaction():
        start_review(store, document_id, annotator)  # the first edit makes the model's spans the gold
        gold = store.gold(document_id, annotator)  # sorted by start, not overlapping
        present = {(s.start, s.end, s.label) for s in gold}
        for span in removed:
            if (span.start, span.end, span.label) not in present:
                raise SpanError(f"span {span.label} [{span.start}, {span.end}) is not in the gold")
        validate_spans(added, text_len, labels)
        gone = {(s.start, s.end, s.label) for s in removed}
        starts = [s.start for s in gold]
        for span in added:
            first = max(bisect_left(starts, span.start) - 1, 0)  # the one before may reach in
            for other in gold[first:bisect_left(starts, span.end)]:
                if other.end > span.start and (other.start, other.end, other.label) not in gone:
                    raise SpanError(
                        f"span {span.label} [{span.start}, {span.end}) overlaps span {other.label} [{other.start}, {other.end})"
                    )
        if removed or added:
            store.replace_gold(document_id, annotator,
                               [s for s in gold if (s.start, s.end, s.label) not in gone] + added)
        store.log_edit(document_id, annotator, action, {
            "removed": [_span_payload(s) for s in removed], "added": [_span_payload(s) for s in added],
        })


def add_span(store: Store, document_id: int, annotator: str, span: Span, labels: Iterable[str]) -> Span:
    """Add a gold span; refused (SpanError) if it overlaps another or is out of range."""
    change_spans(store, document_id, annotator, add=[span], labels=labels, action="add_span")
    return span


def remove_span(store: Store, document_id: int, annotator: str, span: Span) -> None:
    change_spans(store, document_id, annotator, remove=[span], labels=[span.label], action="remove_span")


def replace_span(store: Store, document_id: int, annotator: str, old: Span, new: Span, labels: Iterable[str]) -> Span:
    """Relabel or resize a span in one step."""
    change_spans(store, document_id, annotator, remove=[old], add=[new], labels=labels, action="replace_span")
    return new


def relabel_span(store: Store, document_id: int, annotator: str, span: Span, label: str, labels: Iterable[str]) -> Span:
    return replace_span(store, document_id, annotator, span, Span(span.start, span.end, label, ORIGIN_HUMAN), labels)


def set_gold(store: Store, document_id: int, annotator: str, spans: list[Span], labels: Iterable[str], action: str = "set_gold") -> None:
    """Replace the whole gold (used by undo and bulk actions)."""
    text_len = store.document_length(document_id)
    ordered = validate_spans(spans, text_len, labels)
    with store.transaction():
        store.replace_gold(document_id, annotator, ordered)
        _touch(store, document_id, annotator)
        store.log_edit(document_id, annotator, action, {"spans": [_span_payload(s) for s in ordered]})


def set_boilerplate(store: Store, document_id: int, annotator: str, ranges: Iterable[Range], action: str = "set_boilerplate") -> list[Range]:
    merged = validate_ranges(merge_ranges(ranges), store.document_length(document_id))
    with store.transaction():
        start_review(store, document_id, annotator)  # the gold is the model's spans from the first edit on
        store.replace_boilerplate(document_id, annotator, merged)
        store.log_edit(document_id, annotator, action, {"ranges": [[r.start, r.end] for r in merged]})
    return merged


def mark_boilerplate(store: Store, document_id: int, annotator: str, start: int, end: int) -> list[Range]:
    """Add [start, end) to the boilerplate, merged with ranges it touches."""
    current = store.boilerplate(document_id, annotator)
    return set_boilerplate(store, document_id, annotator, [*current, Range(start, end)], "mark_boilerplate")


def unmark_boilerplate(store: Store, document_id: int, annotator: str, start: int, end: int) -> list[Range]:
    current = store.boilerplate(document_id, annotator)
    return set_boilerplate(store, document_id, annotator, subtract_range(current, Range(start, end)), "unmark_boilerplate")


def set_state(store: Store, document_id: int, annotator: str, state: str) -> None:
    """Move a document to a review state (accepted, skipped, ...), recording who and when."""
    if state not in REVIEW_STATES:
        raise ValueError(f"unknown review state {state!r}")
    with store.transaction():
        if state in (ACCEPTED, SKIPPED, IN_PROGRESS) and store.review(document_id, annotator).state == TODO:
            start_review(store, document_id, annotator)
        store.set_review(document_id, state, annotator)
        store.log_edit(document_id, annotator, "set_state", {"state": state})


def has_own_edits(store: Store, document_id: int, annotator: str) -> bool:
    """True when the annotator's layer holds work a reset would discard: boilerplate, or gold
    that is not the model's spans as a first edit copies them (:func:`start_review`). Gold copied
    from an older pre-annotation than the newest counts as theirs: asked about, never lost."""
    if store.boilerplate(document_id, annotator):
        return True
    gold = {span[:3] for span in store.gold(document_id, annotator)}
    if not gold and store.review(document_id, annotator).annotator is None:
        return False  # never edited: nothing of theirs is there
    prediction = store.prediction(document_id, with_tokens=False)
    return gold != ({span[:3] for span in prediction.spans} if prediction is not None else set())


def reset_review(store: Store, document_id: int, annotator: str) -> bool:
    """Put the annotator's layer back to never edited: their gold and boilerplate removed and
    their review state gone (todo; the window shows the model's spans again). Other annotators'
    layers are not touched. The edit log keeps what was removed. False when nothing was there."""
    with store.transaction():
        review = store.review(document_id, annotator)
        gold = store.gold(document_id, annotator)
        boilerplate = store.boilerplate(document_id, annotator)
        if review.annotator is None and not gold and not boilerplate:
            return False
        store.replace_gold(document_id, annotator, [])
        store.replace_boilerplate(document_id, annotator, [])
        store.clear_review(document_id, annotator)
        store.log_edit(document_id, annotator, "reset_review", {
            "state": review.state, "removed": [_span_payload(s) for s in gold],
            "boilerplate": [[r.start, r.end] for r in boilerplate],
        })
    return True


def snap_selection(
    store: Store, document_id: int, start: int, end: int, tokenize: Callable[[str], Tokens] | None = None
) -> tuple[int, int] | None:
    """Expand a selection to whole tokens of the pipeline (None when it holds no token)."""
    text = store.document(document_id).text
    tokens = store.tokens(document_id)
    if tokens is None:
        if tokenize is None:
            return None
        tokens = tokenize(text)
    return tokens.snap(start, end, text)
