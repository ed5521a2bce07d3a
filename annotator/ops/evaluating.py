"""``annotator evaluate``: gather accepted gold and predictions, then score them in core."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from annotator.core.errors import InputError
from annotator.core.evaluation import EvalDocument, Evaluation, evaluate
from annotator.core.model import ACCEPTED
from annotator.core.tokens import Tokens
from annotator.ops.progress import NullProgress, Progress
from annotator.pipeline import DEFAULT_MODEL, doc_spans, pipeline_info
from annotator.store import Store


@dataclass
class EvaluationReport:
    evaluation: Evaluation
    pipeline: str
    documents: int  # accepted documents considered


def _gold_documents(store: Store, tokenize: Callable[[str], Tokens] | None) -> list[tuple[Any, Tokens]]:
    ids = store.document_ids([ACCEPTED])
    if not ids:
        raise InputError("no accepted documents to evaluate against: accept some in the window, "
                         "or import gold JSONL with \"answer\": \"accept\"")
    rows = []
    for row in store.export_rows(ids):
        tokens = row.tokens
        if tokens is None:
            if tokenize is None:
                raise InputError(f"{row.document.source} has no tokens: pre-annotate it first")
            tokens = tokenize(row.document.text)
        rows.append((row, tokens))
    return rows


def evaluate_stored(
    store: Store, pipeline: str | None = DEFAULT_MODEL, tokenize: Callable[[str], Tokens] | None = None
) -> EvaluationReport:
    """Score stored predictions on the accepted gold: ``pipeline``'s (its newest version per
    document), or with ``pipeline=None`` each document's newest prediction, whoever made it."""
    rows = _gold_documents(store, tokenize)
    docs, lacking, names = [], [], set()
    for row, tokens in rows:
        prediction = store.prediction(row.document.id, pipeline)
        if prediction is None:
            lacking.append(row.document.source)
            continue
        names.add(f"{prediction.pipeline} {prediction.version}")
        docs.append(EvalDocument(row.document.id, row.document.source, row.document.text, tokens, row.spans,
                                 prediction.spans, row.boilerplate))
    if lacking:
        who = pipeline or "any pipeline"
        raise InputError(f"{len(lacking)} accepted document(s) have no stored prediction from {who} "
                         f"(e.g. {lacking[0]}): run `annotator preannotate` or pass --model")
    return EvaluationReport(evaluate(docs), pipeline or ", ".join(sorted(names)), len(docs))


def evaluate_model(store: Store, nlp: Any, *, batch_size: int = 64, progress: Progress | None = None) -> EvaluationReport:
    """Run ``nlp`` (NER-only) on the accepted texts and score its entities on the gold.

    Predictions are compared on the stored tokens of each document, like the gold.
    """
    progress = progress or NullProgress()
    info = pipeline_info(nlp)
    rows = _gold_documents(store, lambda text: Tokens.from_doc(nlp.tokenizer(text)))
    progress.start(f"Evaluating {info.name} {info.version}", len(rows))
    docs = []
    texts = ((row.document.text, (row, tokens)) for row, tokens in rows)
    for doc, (row, tokens) in nlp.pipe(texts, as_tuples=True, batch_size=batch_size):
        docs.append(EvalDocument(row.document.id, row.document.source, row.document.text, tokens, row.spans,
                                 doc_spans(doc), row.boilerplate))
        progress.advance()
    return EvaluationReport(evaluate(docs), f"{info.name} {info.version}", len(docs))
