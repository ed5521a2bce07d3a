"""The seeds as a careful reviewer leaves them (shared by evaluation, training and window tests)."""

from __future__ import annotations

from pathlib import Path

from annotator.core.model import ACCEPTED
from annotator.core.spans import Span
from annotator.ops import documents, gold_edits, occurrences, suggestions
from annotator.ops.indexing import index_pending
from annotator.ops.importing import import_paths
from annotator.ops.preannotate import preannotate
from annotator.store import Store

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def review_seeds(store: Store, nlp, annotator: str = "me") -> Store:
    """Import and pre-annotate the seeds; accept the boilerplate suggestions, add "junta" as NORP,
    relabel every "Mali" GPE (the default pipeline says PERSON), accept every document."""
    import_paths(store, [SEEDS], annotator=annotator)
    preannotate(store, nlp)
    labels = nlp.get_pipe("ner").labels
    index_pending(store)  # the stored line counts the boilerplate suggestions read
    for doc_id in store.document_ids():
        documents.open_document(store, doc_id, annotator)
        text = store.document(doc_id).text
        suggestions.accept_suggestions(store, doc_id, annotator, suggestions.suggest_for(store, text))
        if "junta" in text:
            at = text.index("junta")
            if not store.gold_overlapping(doc_id, annotator, at, at + 5):
                gold_edits.add_span(store, doc_id, annotator, Span(at, at + 5, "NORP"), labels)
    plan = occurrences.plan_relabel_occurrences(store, annotator, "Mali", "GPE", labels)
    occurrences.apply_relabel_plan(store, annotator, plan, labels)
    for doc_id in store.document_ids():
        gold_edits.set_state(store, doc_id, annotator, ACCEPTED)
    return store
