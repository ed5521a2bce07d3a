"""Small team projects on real database files, built through the store and the ops functions."""

from __future__ import annotations

from pathlib import Path

from annotator.core.hashing import content_hash
from annotator.core.model import ACCEPTED
from annotator.core.spans import Span
from annotator.ops import documents, gold_edits
from annotator.ops.labels import project_labels
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


def correct(path: Path, annotator: str, near_misses: bool = False) -> None:
    """What each annotator does, through the functions the window calls: ann makes every "Mali" the model
    called PERSON a GPE, bob a LOC, cy a GPE and also deletes every DATE span; all accept.

    With ``near_misses`` cy also cuts multi-word ORG spans to their last word (same label, other boundaries).
    """
    with Store.open(path, create=False) as own:
        labels = project_labels(own).names
        for doc in own.document_ids():
            view = documents.open_document(own, doc, annotator)
            text = view.document.text
            for span in view.gold:
                surface = text[span.start:span.end]
                if surface == "Mali" and span.label == "PERSON":
                    gold_edits.relabel_span(own, doc, annotator, span, "LOC" if annotator == "bob" else "GPE", labels)
                elif span.label == "DATE" and annotator == "cy":
                    gold_edits.remove_span(own, doc, annotator, span)
                elif near_misses and annotator == "cy" and span.label == "ORG" and " " in surface:
                    last = Span(text.rindex(" ", span.start, span.end) + 1, span.end, "ORG")
                    gold_edits.replace_span(own, doc, annotator, span, last, labels)
            gold_edits.set_state(own, doc, annotator, ACCEPTED)
