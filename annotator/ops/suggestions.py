"""Boilerplate suggestions for a document, and accepting them."""

from __future__ import annotations

from collections.abc import Iterable

from annotator.core.boilerplate import Suggestion, corpus_line_counts, line_key, short_line_norms, suggest_boilerplate
from annotator.core.spans import Range, merge_ranges
from annotator.ops import gold_edits
from annotator.store import Store


def suggest_for(store: Store, text: str) -> list[Suggestion]:
    """Boilerplate suggestions for ``text``, the cross-document rule reading the stored line
    counts (kept up to date by indexing): costs the document's lines, not the corpus."""
    norms = {norm: line_key(norm) for norm in short_line_norms(text)}
    stored = store.line_counts(norms.values())
    return suggest_boilerplate(text, {norm: stored.get(key, 0) for norm, key in norms.items()})


def open_suggestions(store: Store, document_id: int, annotator: str, text: str) -> list[Suggestion]:
    """What the window offers for a document: the suggestions the annotator has not dismissed."""
    dismissed = set(store.dismissed_suggestions(document_id, annotator))
    return [s for s in suggest_for(store, text) if s.as_range() not in dismissed]


def dismiss_suggestion(store: Store, document_id: int, annotator: str, suggestion: Suggestion,
                       dismissed: bool = True) -> None:
    """Stop offering (or offer again) one suggestion for this document; logged like an edit."""
    with store.transaction():
        store.set_suggestion_dismissed(document_id, annotator, suggestion.as_range(), dismissed)
        store.log_edit(document_id, annotator, "dismiss_suggestion" if dismissed else "restore_suggestion",
                       {"start": suggestion.start, "end": suggestion.end})


def suggest_by_scanning(store: Store, text: str) -> list[Suggestion]:
    """The same suggestions computed the simple way, reading every document (for tests)."""
    return suggest_boilerplate(text, corpus_line_counts(t for _, t in store.iter_texts(store.document_ids())))


def accept_suggestions(store: Store, document_id: int, annotator: str, suggestions: Iterable[Suggestion]) -> list[Range]:
    current = store.boilerplate(document_id, annotator)
    merged = merge_ranges([*current, *(s.as_range() for s in suggestions)])
    return gold_edits.set_boilerplate(store, document_id, annotator, merged, action="accept_boilerplate_suggestions")
