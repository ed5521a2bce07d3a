"""``annotator evaluate``: gather accepted gold and predictions, then score them in core."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from annotator.core.errors import InputError
from annotator.core.evaluation import EvalDocument, Evaluation, evaluate
from annotator.core.tokens import Tokens
from annotator.ops import gold
from annotator.ops.gold import GoldCounts
from annotator.ops.progress import NullProgress, Progress
from annotator.pipeline import DEFAULT_MODEL, pipeline_info, predict
from annotator.store import Store
from annotator.store.store import ExportRow


NO_GOLD = ("no accepted documents to evaluate against: accept some in the window, "
           "or import gold JSONL with \"answer\": \"accept\"")


@dataclass
class EvaluationReport:
    evaluation: Evaluation
    pipeline: str
    documents: int  # accepted documents considered
    gold: GoldCounts = field(default_factory=GoldCounts)  # conflicts left out, as in export


def _gold_documents(store: Store, tokenize: Callable[[str], Tokens] | None, counts: GoldCounts,
                    progress: Progress, ids: list[int] | None = None) -> Iterator[tuple[ExportRow, Tokens]]:
    """Accepted documents (or ``ids``) with the gold export uses (:mod:`annotator.ops.gold`)
    and their tokens, streamed: a chunk of documents in memory at a time."""
    ids = gold.accepted_ids(store) if ids is None else ids
    if not ids:
        raise InputError(NO_GOLD)
    progress.start("Evaluating", len(ids))
    yielded = 0
    for row in gold.gold_rows(store, ids, counts):
        tokens = row.tokens
        if tokens is None:
            if tokenize is None:
                raise InputError(f"{row.document.source} has no tokens: pre-annotate it first")
            tokens = tokenize(row.document.text)
        yielded += 1
        yield row, tokens
        progress.advance()
    if not yielded and counts.conflicts:
        raise InputError(f"no gold to evaluate against: {counts.conflict_line()}")


def _chunks(items: Iterator[tuple[ExportRow, Tokens]], size: int = 1000) -> Iterator[list[tuple[ExportRow, Tokens]]]:
    while True:
        chunk = list(islice(items, size))
        if not chunk:
            return
        yield chunk


def choose_stored_pipeline(store: Store, preferred: str = DEFAULT_MODEL) -> str:
    """Whose stored predictions to score when none is named: ``preferred`` if it predicted every
    accepted document, else the one pipeline that did; refused (naming them) when that is unclear."""
    accepted = store.accepted_count()
    if not accepted:
        raise InputError(NO_GOLD)
    coverage = store.accepted_prediction_coverage()
    complete = [name for name, n in coverage.items() if n == accepted]
    if preferred in complete:
        return preferred
    if len(complete) == 1:
        return complete[0]
    if not coverage:
        raise InputError("no stored predictions for the accepted documents: run `annotator preannotate` "
                         "or pass --model")
    listed = ", ".join(f"{name} ({n} of {accepted})" for name, n in sorted(coverage.items()))
    raise InputError(f"accepted documents carry predictions from {listed}: choose one with --predictions NAME, "
                     "or run a pipeline with --model")


def evaluate_stored(
    store: Store, pipeline: str | None = DEFAULT_MODEL, tokenize: Callable[[str], Tokens] | None = None,
    progress: Progress | None = None,
) -> EvaluationReport:
    """Score stored predictions on the accepted gold: ``pipeline``'s (its newest version per
    document), or with ``pipeline=None`` each document's newest prediction, whoever made it.

    Streams through the documents a chunk at a time (memory does not grow with the corpus).
    """
    progress = progress or NullProgress()
    counts = GoldCounts()
    lacking: list[str] = []
    names: set[str] = set()
    considered = 0

    def documents() -> Iterator[EvalDocument]:
        nonlocal considered
        with store.snapshot():
            for chunk in _chunks(_gold_documents(store, tokenize, counts, progress)):
                predicted = store.newest_predictions([row.document.id for row, _ in chunk], pipeline)
                for row, tokens in chunk:
                    found = predicted.get(row.document.id)
                    if found is None:
                        lacking.append(row.document.source)
                        continue
                    names.add(f"{found[0]} {found[1]}")
                    considered += 1
                    yield EvalDocument(row.document.id, row.document.source, row.document.text, tokens, row.spans,
                                       found[2], row.boilerplate)

    evaluation = evaluate(documents())
    if lacking:
        who = pipeline or "any pipeline"
        raise InputError(f"{len(lacking)} accepted document(s) have no stored prediction from {who} "
                         f"(e.g. {lacking[0]}): run `annotator preannotate` or pass --model")
    return EvaluationReport(evaluation, pipeline or ", ".join(sorted(names)), considered, counts)


def evaluate_model(
    store: Store, nlp: Any, *, ids: list[int] | None = None, batch_size: int = 64, progress: Progress | None = None
) -> EvaluationReport:
    """Run ``nlp`` (NER-only) on the accepted texts (or the gold documents ``ids``) and score
    its entities on the gold.

    Predictions are compared on the stored tokens of each document, like the gold. Streams:
    only the documents inside the pipeline's current batch are held.
    """
    progress = progress or NullProgress()
    info = pipeline_info(nlp)
    counts = GoldCounts()
    pending: dict[int, tuple[ExportRow, Tokens]] = {}
    rows = _gold_documents(store, lambda text: Tokens.from_doc(nlp.tokenizer(text)), counts, progress, ids)

    def texts() -> Iterator[tuple[int, str]]:
        for row, tokens in rows:
            pending[row.document.id] = (row, tokens)
            yield row.document.id, row.document.text

    def documents() -> Iterator[EvalDocument]:
        for result in predict(nlp, texts(), batch_size=batch_size):
            row, tokens = pending.pop(result.document_id)
            if result.error is not None:
                raise InputError(f"{row.document.source}: the pipeline failed on it ({result.error})")
            yield EvalDocument(row.document.id, row.document.source, row.document.text, tokens, row.spans,
                               result.spans, row.boilerplate)

    with store.snapshot():
        evaluation = evaluate(documents())
    return EvaluationReport(evaluation, f"{info.name} {info.version}", evaluation.documents, counts)


SPLIT_CHOICES = ("dev", "train", "all")


def scoring_ids(store: Store, nlp: Any, split: str | None) -> tuple[list[int] | None, str]:
    """Which gold to score ``nlp`` on, and a phrase saying which and why.

    A pipeline trained on this project is scored on the dev split by default (its train split
    is what it learnt from); any other pipeline on all the gold.
    """
    from annotator.ops.training import trained_here

    if split is not None and split not in SPLIT_CHOICES:
        raise InputError(f"unknown split {split!r} (choose {', '.join(SPLIT_CHOICES)})")
    record = trained_here(store, nlp)
    if split is None:
        split = "dev" if record is not None else "all"
        why = ("trained on this project's train split, so scored on the held-out dev split" if record is not None
               else "not trained on this project, so scored on all the gold")
    else:
        why = f"--split {split}" + (" (this pipeline was trained on the train split: that score is not a measure of "
                                    "quality)" if split in ("train", "all") and record is not None else "")
    if split == "all":
        return None, f"all accepted documents ({why})"
    store.assign_missing_splits()
    ids = store.gold_ids(split)
    if not ids:
        raise InputError(f"the {split} split has no accepted documents yet")
    return ids, f"the {split} split ({why})"
