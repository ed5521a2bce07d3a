"""Pre-annotation: run a pipeline over documents it has not seen, committing batch by batch."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from annotator.ops.labels import ensure_labels
from annotator.ops.progress import NullProgress, Progress
from annotator.pipeline import pipeline_info, predict
from annotator.store import Store


@dataclass
class PreannotateReport:
    pipeline: str
    version: str
    done: int
    skipped: int
    entities: int
    words: int
    seconds: float
    cancelled: bool = False


def preannotate(
    store: Store,
    nlp: Any,
    *,
    batch_size: int = 64,
    n_process: int = 1,
    document_ids: list[int] | None = None,
    progress: Progress | None = None,
) -> PreannotateReport:
    """Pre-annotate every document (or ``document_ids``) this pipeline and version has not done.

    Results are committed every ``batch_size`` documents, so an interrupted or cancelled
    run keeps what it finished and a re-run picks up where it stopped.
    """
    progress = progress or NullProgress()
    info = pipeline_info(nlp)
    ensure_labels(store, info.labels)
    done_before = store.predicted_ids(info.name, info.version)
    candidates = document_ids if document_ids is not None else store.document_ids()
    todo = [i for i in candidates if i not in done_before]
    report = PreannotateReport(info.name, info.version, 0, len(candidates) - len(todo), 0, 0, 0.0)
    progress.start(f"Pre-annotating with {info.name} {info.version}", len(todo))
    started = time.perf_counter()
    pending: list[tuple[int, list[Any], Any]] = []

    def flush() -> None:
        with store.transaction():
            for doc_id, spans, tokens in pending:
                store.add_prediction(doc_id, info.name, info.version, spans)
                store.set_tokens(doc_id, info.tokenizer_id, tokens)
        progress.advance(len(pending))
        pending.clear()

    stream = predict(nlp, store.iter_texts(todo), batch_size=batch_size, n_process=n_process)
    try:
        for doc_id, spans, tokens in stream:
            pending.append((doc_id, spans, tokens))
            report.done += 1
            report.entities += len(spans)
            report.words += len(tokens)
            if len(pending) >= batch_size:
                flush()
                if progress.cancelled():
                    report.cancelled = True
                    break
        if pending:
            flush()
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    report.seconds = time.perf_counter() - started
    return report
