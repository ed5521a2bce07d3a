"""Pre-annotation: run a pipeline over documents it has not seen, committing batch by batch."""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass, field
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
    failures: list[str] = field(default_factory=list)  # "source: could not be pre-annotated (why); skipped"
    processes: int = 1
    peak_mb: float = 0.0  # this process's peak resident memory
    worker_peak_mb: float = 0.0  # the largest worker process's peak (0 with one process)


AUTO_MIN_DOCUMENTS = 2000  # runs this large use every core by default; smaller ones are not worth the start-up


def usable_cores() -> int:
    """Cores this process may run on (its affinity where the OS tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def choose_processes(documents: int, requested: int | None) -> int:
    """``requested`` if given; otherwise one process per core for a run of at least
    :data:`AUTO_MIN_DOCUMENTS` documents (each worker loads the pipeline again: seconds and
    its own memory), else one."""
    if requested is not None:
        return max(1, requested)
    return usable_cores() if documents >= AUTO_MIN_DOCUMENTS else 1


def _peak_mb(who: int) -> float:
    """Peak resident memory in MB of this process (RUSAGE_SELF) or its largest finished child."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def preannotate(
    store: Store,
    nlp: Any,
    *,
    batch_size: int = 64,
    n_process: int | None = 1,
    document_ids: list[int] | None = None,
    progress: Progress | None = None,
) -> PreannotateReport:
    """Pre-annotate every document (or ``document_ids``) this pipeline and version has not done.

    Results are committed every ``batch_size`` documents, so an interrupted or cancelled
    run keeps what it finished and a re-run picks up where it stopped. ``n_process=None``
    chooses (:func:`choose_processes`); the report says how many ran and their peak memory.
    """
    progress = progress or NullProgress()
    info = pipeline_info(nlp)
    ensure_labels(store, info.labels)
    done_before = store.predicted_ids(info.name, info.version)
    candidates = document_ids if document_ids is not None else store.document_ids()
    todo = [i for i in candidates if i not in done_before]
    report = PreannotateReport(info.name, info.version, 0, len(candidates) - len(todo), 0, 0, 0.0)
    n_process = report.processes = choose_processes(len(todo), n_process)
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

    failed: set[int] = set()

    def run(ids: list[int], processes: int) -> None:
        stream = predict(nlp, store.iter_texts(ids), batch_size=batch_size, n_process=processes)
        try:
            for result in stream:
                if result.error is not None:
                    failed.add(result.document_id)
                    source = store.document_source(result.document_id)
                    report.failures.append(f"{source}: could not be pre-annotated ({result.error}); skipped")
                    progress.advance()
                    continue
                assert result.tokens is not None
                pending.append((result.document_id, result.spans, result.tokens))
                report.done += 1
                report.entities += len(result.spans)
                report.words += len(result.tokens)
                if len(pending) >= batch_size:
                    flush()
                    if progress.cancelled():
                        report.cancelled = True
                        return
            if pending:
                flush()
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    try:
        run(todo, n_process)
    except Exception:  # noqa: BLE001 - several processes cannot tell which document failed: one can
        if n_process == 1:
            raise
        if pending:
            flush()  # what came back before the failure is good
        done_now = store.predicted_ids(info.name, info.version)
        run([i for i in todo if i not in done_now and i not in failed], 1)
    report.seconds = time.perf_counter() - started
    report.peak_mb = _peak_mb(resource.RUSAGE_SELF)
    if n_process > 1:
        report.worker_peak_mb = _peak_mb(resource.RUSAGE_CHILDREN)
    return report


def documents_for(store: Store, nlp: Any, *, include_reviewed: bool = False) -> tuple[list[int] | None, str | None]:
    """Which documents a pre-annotation with ``nlp`` should cover, and a note when not all.

    A pipeline trained on this project pre-annotates only documents nobody has reviewed:
    reviewed ones are its own training (or dev) material, and a new prediction there would
    replace the one the reviewer corrected in the window's reference pane.
    """
    from annotator.ops.training import trained_here

    if include_reviewed or trained_here(store, nlp) is None:
        return None, None
    ids = store.unreviewed_ids()
    left = store.document_count() - len(ids)
    return ids, (f"{left} reviewed document(s) left as they are (this pipeline was trained on this project's gold; "
                 "--include-reviewed runs it on them too)" if left else None)
