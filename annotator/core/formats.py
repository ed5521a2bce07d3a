"""Gold formats: Prodigy-style JSONL and doccano JSONL, parsed from and written to plain dicts.

Reading a file and writing to the store are elsewhere; this module only converts records,
so every rule about the formats is testable without a file or a database.
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from collections.abc import Sequence
from itertools import repeat
from typing import Any

from annotator.core.errors import InputError
from annotator.core.hashing import input_hash, task_hash
from annotator.core.model import ACCEPTED, IN_PROGRESS, REVIEW_STATES, SKIPPED, TODO, GoldRecord
from annotator.core.spans import ORIGIN_HUMAN, ORIGINS, Range, Span
from annotator.core.texts import check_text
from annotator.core.tokens import Tokens

VIEW_ID = "ner_manual"
_ANSWER_TO_STATE = {"accept": ACCEPTED, "ignore": SKIPPED, "reject": SKIPPED}
_STATE_TO_ANSWER = {ACCEPTED: "accept", SKIPPED: "ignore"}


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{what} must be an integer, got {value!r}")
    return value


def _parse_prodigy_spans(items: Any) -> list[Span]:
    if not isinstance(items, list):
        raise InputError('"spans" must be a list')
    try:  # the common, valid case in C-level passes; a bad record is walked below to name the span
        starts = [item["start"] for item in items]
        ends = [item["end"] for item in items]
        labels = [item["label"] for item in items]
        origins = [item.get("origin", ORIGIN_HUMAN) for item in items]
    except (TypeError, KeyError, AttributeError):
        starts = []
    if (
        len(starts) == len(items)
        and set(map(type, starts)) <= {int} and set(map(type, ends)) <= {int} and set(map(type, labels)) <= {str}
        and all(labels)
    ):
        origins = [o if o in ORIGINS else ORIGIN_HUMAN for o in origins]
        # tuple.__new__ straight from C: no Python call per span (a record carries ~100)
        return list(map(tuple.__new__, repeat(Span), zip(starts, ends, labels, origins)))
    spans = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(f"spans[{i}] must be an object with start, end and label")
        for key in ("start", "end", "label"):
            if key not in item:
                raise InputError(f'spans[{i}] has no "{key}"')
        label = item["label"]
        if not isinstance(label, str) or not label:
            raise InputError(f"spans[{i}] label must be a non-empty string")
        origin = item.get("origin", ORIGIN_HUMAN)
        if origin not in ORIGINS:
            origin = ORIGIN_HUMAN
        spans.append(Span(_int(item["start"], f"spans[{i}].start"), _int(item["end"], f"spans[{i}].end"), label, origin))
    return spans


class CheckedSpans(list):
    """Spans a reader has already checked against their text as ``ops.importing.check_record`` would:
    integer offsets, each span non-empty and inside the text, sorted by start, none overlapping
    the next. Only their ``labels`` (the set of them) are left to check against the project's.
    (A list like any other: it compares equal to the general reader's list of the same spans.)"""

    __slots__ = ("labels",)
    labels: set[str]


def _parse_doccano_labels(items: Any, key: str) -> list[Span]:
    if not isinstance(items, list):
        raise InputError(f'"{key}" must be a list')
    spans = []
    for i, item in enumerate(items):
        if isinstance(item, list) and len(item) == 3:
            start, end, label = item
        elif isinstance(item, dict) and {"start_offset", "end_offset", "label"} <= item.keys():
            start, end, label = item["start_offset"], item["end_offset"], item["label"]
        else:
            raise InputError(f"{key}[{i}] must be [start, end, label]")
        if not isinstance(label, str) or not label:
            raise InputError(f"{key}[{i}] label must be a non-empty string")
        spans.append(Span(_int(start, f"{key}[{i}] start"), _int(end, f"{key}[{i}] end"), label, ORIGIN_HUMAN))
    return spans


def _parse_tokens(items: Any, text_len: int) -> Tokens | None:
    """Token offsets from a record: increasing, non-empty and inside the text, or refused.

    A record of a 4 KB text carries ~700 tokens: the common, valid case is checked with
    C-level passes over two lists; only a bad record is walked token by token, to name the
    token that is wrong.
    """
    if items is None:
        return None
    if not isinstance(items, list):
        raise InputError('"tokens" must be a list')
    try:
        starts = [item["start"] for item in items]
        ends = [item["end"] for item in items]
    except (TypeError, KeyError, IndexError):
        starts = ends = None
    if (
        starts is not None and ends is not None
        and set(map(type, starts)) <= {int} and set(map(type, ends)) <= {int}
        and (not starts or (starts[0] >= 0 and ends[-1] <= text_len))
        and _ordered(starts, ends)
    ):
        return Tokens.from_lists(starts, ends)
    return _parse_tokens_slowly(items, text_len)


def _ordered(starts: list[int], ends: list[int]) -> bool:
    """Each token non-empty and none starting before the previous one ends: the offsets
    interleaved are sorted and no token has length 0 (C-level passes; comparing through
    ``int.__lt__`` cost ~0.5 ms per 700 tokens)."""
    merged = [0] * (2 * len(starts))
    merged[0::2] = starts
    merged[1::2] = ends
    return merged == sorted(merged) and 0 not in map(operator.sub, ends, starts)


def _parse_tokens_slowly(items: list, text_len: int) -> Tokens:
    """Walk the tokens one by one and raise naming the first bad one."""
    pairs = []
    previous_end = 0
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "start" not in item or "end" not in item:
            raise InputError(f"tokens[{i}] must have start and end")
        start, end = _int(item["start"], f"tokens[{i}].start"), _int(item["end"], f"tokens[{i}].end")
        if not 0 <= start < end <= text_len:
            raise InputError(f"tokens[{i}] [{start}, {end}) is empty, reversed or outside the text (length {text_len})")
        if start < previous_end:
            raise InputError(f"tokens[{i}] [{start}, {end}) starts before the previous token ends ({previous_end})")
        previous_end = end
        pairs.append((start, end))
    return Tokens.from_pairs(pairs)  # pragma: no cover - the fast check accepted less than this


def parse_record(obj: Any) -> GoldRecord:
    """Turn one parsed JSONL line (Prodigy or doccano form, or just ``text``) into a GoldRecord.

    Raises :class:`InputError` (without file and line; the caller adds them) on a record that
    is not an object, has no string ``text``, or has malformed spans. Offsets and labels are
    checked later, against the text and the project's label set.
    """
    if type(obj) is dict and len(obj) == 1 and type(obj.get("text")) is str:  # {"text"} alone: plain text
        check_text(obj["text"], '"text"')
        return GoldRecord(text=obj["text"], spans=None, boilerplate=[], state=None, annotator=None, source=None,
                          tokens=None, meta={})
    if not isinstance(obj, dict):
        raise InputError("each line must be a JSON object")
    text = obj.get("text")
    if not isinstance(text, str):
        raise InputError('missing "text"' if "text" not in obj else '"text" must be a string')
    check_text(text, '"text"')
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    spans: list[Span] | None = None
    if "spans" in obj:
        spans = _parse_prodigy_spans(obj["spans"])
    elif "label" in obj and isinstance(obj["label"], list):
        spans = _parse_doccano_labels(obj["label"], "label")
    elif "entities" in obj:
        spans = _parse_doccano_labels(obj["entities"], "entities")
    boilerplate: list[Range] = []
    if "boilerplate" in obj:
        if not isinstance(obj["boilerplate"], list):
            raise InputError('"boilerplate" must be a list')
        for i, item in enumerate(obj["boilerplate"]):
            if not isinstance(item, dict) or "start" not in item or "end" not in item:
                raise InputError(f"boilerplate[{i}] must have start and end")
            boilerplate.append(Range(_int(item["start"], f"boilerplate[{i}].start"), _int(item["end"], f"boilerplate[{i}].end")))
    state = _state(obj.get("answer"), meta, spans, "_annotator_id" in obj)
    return GoldRecord(
        text=text,
        spans=spans,
        boilerplate=boilerplate,
        state=state,
        annotator=obj.get("_annotator_id") if isinstance(obj.get("_annotator_id"), str) else None,
        source=meta.get("source") if isinstance(meta.get("source"), str) else None,
        tokens=_parse_tokens(obj.get("tokens"), len(text)),
        meta=meta,
    )


def _state(answer: Any, meta: dict[str, Any], spans: list[Span] | None, has_annotator: bool) -> str | None:
    """The review state a record says: its Prodigy answer, else ``meta.review_state``, else
    "todo" for a model's predictions made elsewhere, "in progress" for other spans."""
    if answer is not None:
        if answer not in _ANSWER_TO_STATE:
            raise InputError(f'"answer" must be accept, reject or ignore, got {answer!r}')
        return _ANSWER_TO_STATE[answer]
    if meta.get("review_state") in REVIEW_STATES:
        return meta["review_state"]
    if spans is not None and isinstance(meta.get("pipeline"), str) and not has_annotator:
        return TODO  # a model's predictions made elsewhere, nobody's gold
    if spans is not None:
        return IN_PROGRESS
    return None


def prodigy_record(
    text: str,
    spans: list[Span],
    boilerplate: list[Range],
    tokens: Tokens,
    *,
    state: str,
    annotator: str | None,
    source: str,
    document_id: int,
    predicted_by: tuple[str, str] | None = None,
    sessions: Sequence[str] = (),
) -> dict[str, Any]:
    """One Prodigy ``ner_manual`` task for a document (plus our ``boilerplate`` key).

    ``predicted_by`` (pipeline, version) marks spans that are a model's prediction, not gold
    (a document nobody has reviewed yet); it is written to ``meta`` so import restores them
    as that pipeline's prediction. ``sessions`` names the annotators whose agreeing (or
    adjudicated) work the gold stands for, as Prodigy's review recipe writes it.
    """
    n = len(text)
    token_list = [
        {"text": text[s:e], "start": s, "end": e, "id": i, "ws": e < n and text[e] == " "}
        for i, (s, e) in enumerate(zip(tokens.starts, tokens.ends))
    ]
    span_list = []
    for span in spans:
        item: dict[str, Any] = {"start": span.start, "end": span.end, "label": span.label}
        found = tokens.token_range(span.start, span.end)
        if found is not None:
            item["token_start"], item["token_end"] = found
        item["origin"] = span.origin
        span_list.append(item)
    task: dict[str, Any] = {"text": text}
    task["_input_hash"] = input_hash(task)
    task["spans"] = span_list
    task["_task_hash"] = task_hash(task, task["_input_hash"])
    task["tokens"] = token_list
    task["boilerplate"] = [{"start": r.start, "end": r.end} for r in boilerplate]
    task["_view_id"] = VIEW_ID
    if state in _STATE_TO_ANSWER:
        task["answer"] = _STATE_TO_ANSWER[state]
    task["_annotator_id"] = annotator
    if sessions:
        task["sessions"] = list(sessions)
    task["meta"] = {"source": source, "document_id": document_id, "review_state": state}
    if predicted_by is not None:
        task["meta"]["pipeline"], task["meta"]["pipeline_version"] = predicted_by
    return task


def doccano_record(text: str, spans: list[Span]) -> dict[str, Any]:
    """One doccano sequence-labelling line: ``{"text", "label": [[start, end, label]]}``."""
    return {"text": text, "label": [[s.start, s.end, s.label] for s in spans]}


def strip_boilerplate(
    text: str, spans: list[Span], boilerplate: list[Range], tokens: Tokens | None
) -> tuple[str, list[Span], Tokens | None, list[Span]]:
    """Remove boilerplate from the text and re-base every offset.

    Returns the new text, the spans that survive (shifted), the tokens that lie wholly
    outside boilerplate (shifted; None when ``tokens`` is None), and the spans dropped
    because they touch boilerplate.
    """
    kept_pieces: list[str] = []
    # shifts[i] = (original start of kept piece i, new start of kept piece i, original end)
    pieces: list[tuple[int, int, int]] = []
    cursor = 0
    new_len = 0
    for rng in sorted(boilerplate):
        if rng.start > cursor:
            pieces.append((cursor, new_len, rng.start))
            kept_pieces.append(text[cursor:rng.start])
            new_len += rng.start - cursor
        cursor = max(cursor, rng.end)
    if cursor < len(text):
        pieces.append((cursor, new_len, len(text)))
        kept_pieces.append(text[cursor:])

    piece_starts = [p[0] for p in pieces]

    def rebase(start: int, end: int) -> tuple[int, int] | None:
        k = bisect_right(piece_starts, start) - 1
        if k < 0:
            return None
        orig_start, new_start, orig_end = pieces[k]
        if end <= orig_end:
            return start - orig_start + new_start, end - orig_start + new_start
        return None

    kept, dropped = [], []
    for span in spans:
        moved = rebase(span.start, span.end)
        if moved is None:
            dropped.append(span)
        else:
            kept.append(Span(moved[0], moved[1], span.label, span.origin))
    if tokens is None:
        return "".join(kept_pieces), kept, None, dropped
    token_pairs = [p for p in (rebase(s, e) for s, e in zip(tokens.starts, tokens.ends)) if p is not None]
    return "".join(kept_pieces), kept, Tokens.from_pairs(token_pairs), dropped
