"""``annotator agreement`` and the window's Tools → Agreement: gather layers, measure in core."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from annotator.core.agreement import Agreement, AgreementDocument, measure
from annotator.core.errors import InputError
from annotator.core.team import FINAL
from annotator.core.tokens import Tokens
from annotator.ops.progress import NullProgress, Progress
from annotator.store import Store
from annotator.store import team

NO_OVERLAP = ("no document has two or more annotators' accepted gold yet: assign with --overlap, "
              "then merge the annotators' files (`annotator merge`)")


def agreement_documents(store: Store, tokenize: Callable[[str], Tokens] | None = None,
                        progress: Progress | None = None) -> Iterator[AgreementDocument]:
    """Documents two or more annotators accepted, with their layers, read a chunk at a time."""
    progress = progress or NullProgress()
    ids = team.team_document_ids(store)
    progress.start("Measuring agreement", len(ids))
    for i in range(0, len(ids), team.CHUNK):
        part = ids[i:i + team.CHUNK]
        docs = team.texts_and_tokens(store, part)
        layers = team.accepted_layers(store, part)
        for doc_id in part:
            source, text, tokens = docs[doc_id]
            if tokens is None:
                if tokenize is None:
                    raise InputError(f"{source} has no tokens: pre-annotate it first")
                tokens = tokenize(text)
            people = [layer for name, layer in sorted(layers.get(doc_id, {}).items()) if name != FINAL]
            yield AgreementDocument(doc_id, source, text, tokens, people)
            progress.advance()


def project_agreement(store: Store, tokenize: Callable[[str], Tokens] | None = None,
                      progress: Progress | None = None) -> Agreement:
    """Pairwise agreement over the project (:func:`annotator.core.agreement.measure`), read as one snapshot."""
    with store.snapshot(), team.page_cache(store):
        result = measure(agreement_documents(store, tokenize, progress))
    if not result.documents:
        raise InputError(NO_OVERLAP)
    return result
