"""Small team projects on real database files, built through the store and the ops functions."""

from __future__ import annotations

from pathlib import Path

from annotator.core.hashing import content_hash
from annotator.core.spans import Span
from annotator.store import Store

TEXTS = [f"Report {i}: Mali said Keita met Putin in Bamako on Monday." for i in range(12)]
LABELS = ["GPE", "PERSON", "LOC", "ORG", "DATE"]


def find(text: str, surface: str, label: str) -> Span:
    start = text.index(surface)
    return Span(start, start + len(surface), label)


def make_project(path: Path, tokenize, texts: list[str] = TEXTS) -> list[int]:
    """A project of ``texts``, tokenized and 'pre-annotated' (Mali and Keita as PERSON)."""
    ids = []
    with Store.open(path) as store:
        for i, text in enumerate(texts):
            doc, _ = store.add_document(text, f"doc{i:02d}.txt", content_hash(text))
            store.set_tokens(doc, "blank", tokenize(text))
            store.add_prediction(doc, "en_test", "1", [Span(s.start, s.end, s.label, "model") for s in
                                                      (find(text, "Mali", "PERSON"), find(text, "Keita", "PERSON"))])
            ids.append(doc)
    return ids
