"""``annotator evaluate``: gather accepted gold and predictions, then score them in core."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from annotator.core.errors import AnnotatorError, InputError
from annotator.core.evaluation import DISAGREEMENTS_KEPT, DocumentScore, EvalDocument, Evaluation, Scores, evaluate, score_document
from annotator.core.team import CONFLICT
from annotator.core.tokens import Tokens
from annotator.heap_reuse import kept_heap
from annotator.ops import gold
from annotator.ops.gold import GoldCounts
from annotator.ops.progress import NullProgress, Progress
from annotator.pipeline import DEFAULT_MODEL, pipeline_info, predict
from annotator.store import Store, evaluation_cache
from annotator.store.evaluation_cache import Fresh
from annotator.store.store import ExportRow
from annotator.ops.evaluating_arrays import ArrayScoring, keep_scores
from annotator.ops.evaluating_helper import MIN_DOCUMENTS, Helper, HelperChunk, second_process_possible

log = logging.getLogger(__name__)


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
    progress: Progress | None = None, *, use_cache: bool = True, in_arrays: bool = True,
    keep_disagreements: int = DISAGREEMENTS_KEPT, second_process: bool | None = None,
    on_report: Callable[[EvaluationReport], None] | None = None,
) -> EvaluationReport:
    """Score stored predictions on the accepted gold: ``pipeline``'s (its newest version per
    document), or with ``pipeline=None`` each document's newest prediction, whoever made it.

    Streams through the documents a chunk at a time (memory does not grow with the corpus).
    Each document's score is kept in the database (:mod:`annotator.store.evaluation_cache`)
    and used again while the document's gold, tokens and predictions stay as they were, so
    evaluating again costs reading those scores plus scoring what changed. Documents whose
    gold is one annotator's accepted layer are read in bulk and scored in arrays
    (:mod:`annotator.core.evaluation_arrays`, ``in_arrays``); the others (teams, adjudication,
    overlapping spans, no stored tokens) one by one, with the same result. When the first
    chunk shows most documents to score and there are many, a second process scores chunks
    from the end meanwhile (:mod:`annotator.ops.evaluating_helper`; ``second_process`` True:
    whenever there are two chunks, False: never).

    ``on_report(report)`` is called as soon as the report is made, before the scores computed
    are kept (the last write, the second process's, and the WAL checkpoint the write may set
    off: ~0.7 s at 50k documents), so the caller shows the result without waiting for them.
    """
    progress = progress or NullProgress()
    counts = GoldCounts()
    lacking: list[str] = []
    names: set[str] = set()
    considered = 0
    scores = Scores(keep_disagreements)
    fresh: list[tuple[int, int, int, Fresh]] = []
    names_of_keys: dict[int, str] | None = None
    arrays = ArrayScoring() if in_arrays else None
    helper: Helper | None = None
    writer: Store | None = None  # a second connection keeping scores during the snapshot (with a helper)
    finished = False
    with kept_heap(), store.snapshot():  # many large temporary arrays: their pages reused, not faulted anew
        ids = gold.accepted_ids(store)
        if not ids:
            raise InputError(NO_GOLD)
        progress.start("Evaluating", len(ids))
        chunks = [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]
        try:
            index = 0
            while index < len(chunks):
                chunk = chunks[index]
                runs = evaluation_cache.scored_runs(store, chunk, pipeline) if use_cache else {}
                kept = evaluation_cache.valid(store, runs) if use_cache else {}
                todo = [d for d in chunk if d not in kept]
                from_helper = None
                if helper is not None and index >= helper.first_of_helper:
                    from_helper = helper.result(index, progress.advance)
                    if from_helper is not None:
                        runs = runs or evaluation_cache.scored_runs(store, chunk, pipeline)
                        todo = _take_helper_chunk(store, from_helper, runs, kept, todo, scores)
                if (index == 0 and helper is None and arrays is not None and second_process is not False
                        and len(chunks) > 1 and store.path is not None
                        and (second_process or (len(todo) > len(chunk) // 2 and len(ids) >= MIN_DOCUMENTS))
                        and second_process_possible(store)):
                    helper = _start_helper(store.path, chunks, pipeline, use_cache)
                fast = (arrays.score(store, todo, pipeline, scores.room, runs if use_cache else None)
                        if arrays is not None and todo else None)
                computed = _score_documents(store, fast.others if fast is not None else todo, pipeline, tokenize,
                                            counts, lacking, progress)
                fast_entries = fast.entries if fast is not None else {}
                if use_cache:
                    cacheable = [d for d, item in computed.items() if item.cacheable and d in runs]
                    stamps = evaluation_cache.stamps(store, cacheable + list(fast_entries))
                    fresh.extend((d, runs[d], stamps[d], computed[d].entry) for d in cacheable)
                    fresh.extend((d, run, stamps[d], entry) for d, (run, entry) in fast_entries.items())
                    if helper is not None and len(fresh) >= WRITE_DURING:  # while the helper works: no write
                        writer = writer or _open_writer(store.path)  # left for the end
                        if writer is not None:
                            keep_scores(writer, fresh, arrays.key_names if arrays is not None else [])
                            fresh = []
                for entry in [*kept.values(), *(item.entry for item in computed.values()),
                              *(entry for _, entry in fast_entries.values())]:
                    if entry.gold_kind:
                        counts.kinds[entry.gold_kind] = counts.kinds.get(entry.gold_kind, 0) + 1
                    names.add(entry.predicted_by)
                considered += len(kept) + len(computed) + len(fast_entries)
                listed = {}  # the kept documents' disagreements, while the evaluation still lists them
                if kept and scores.wants_texts:
                    wanted = {d: runs[d] for d in _listed_first(chunk, kept, computed, fast_entries, scores.room)}
                    listed = evaluation_cache.disagreements(store, wanted)
                    unlisted = [d for d in wanted if d not in listed]  # kept without their list: make it now
                    if unlisted and arrays is not None:
                        listed.update(arrays.details(store, unlisted, pipeline))
                for doc_id in chunk:  # in document order: the first disagreements listed are the first documents'
                    if doc_id in computed:
                        item = computed[doc_id]
                        scores.add(item.score, doc_id, item.source, item.text)
                    elif fast is not None and doc_id in fast.listed and scores.wants_texts:
                        source, text, found = fast.listed[doc_id]
                        scores.add_disagreements(found, doc_id, source, text)
                    elif doc_id in listed and scores.wants_texts:
                        source, text, data = listed[doc_id]
                        scores.add_disagreements(DocumentScore.disagreements_from_json(data), doc_id, source, text)
                if fast is not None:
                    scores.add_counts(fast.sums)
                if kept:
                    if names_of_keys is None:
                        names_of_keys = evaluation_cache.key_names(store)
                    scores.add_counts(evaluation_cache.summed(store, (k for k in kept.values() if k.counts),
                                                              names_of_keys))
                if helper is None:
                    progress.advance(len(chunk) - len(computed))
                    index += 1
                    continue
                told = helper.reported(index)  # documents already counted as they arrived
                progress.advance(max(0, len(chunk) - len(computed) - told) + helper.poll())
                if index < helper.first_of_helper:  # the caller's part: the next from the front
                    claimed = helper.claim()
                    index = helper.first_of_helper if claimed is None else claimed
                else:
                    index += 1
            finished = True
        finally:
            if helper is not None and not finished:
                helper.close(wait=False)
            if writer is not None and not finished:
                writer.close()
    try:
        if lacking:
            who = pipeline or "any pipeline"
            raise InputError(f"{len(lacking)} accepted document(s) have no stored prediction from {who} "
                             f"(e.g. {lacking[0]}): run `annotator preannotate` or pass --model")
        if not considered and counts.conflicts:
            raise InputError(f"no gold to evaluate against: {counts.conflict_line()}")
        report = EvaluationReport(scores.result(), pipeline or ", ".join(sorted(names)), considered, counts)
        try:
            if on_report is not None:
                on_report(report)
        finally:
            if fresh:
                keep_scores(writer or store, fresh, arrays.key_names if arrays is not None else [])
    finally:
        if writer is not None:
            writer.close()
        if helper is not None:
            helper.close(wait=True)  # it keeps the scores it computed meanwhile
    return report


WRITE_DURING = 5000  # with a helper, scores are kept this many at a time during the evaluation


def _open_writer(path: Path) -> Store | None:
    """A connection of its own to keep scores while the evaluation's snapshot is open (each row
    carries the stamp read in the snapshot: a change made meanwhile leaves it stale, never wrong)."""
    try:
        return Store.open(path, create=False)
    except AnnotatorError as exc:
        log.warning("evaluation scores kept at the end: %s", exc)
        return None


def _start_helper(path: Path, chunks: list[list[int]], pipeline: str | None, use_cache: bool) -> Helper | None:
    """The second process, for chunks 1 and on (None if it cannot be started: scored here)."""
    try:
        return Helper(path, chunks, pipeline, use_cache, first=1)
    except (OSError, RuntimeError) as exc:
        log.warning("no second process for the evaluation: %s", exc)
        return None


def _take_helper_chunk(store: Store, found: HelperChunk, runs: dict[int, int], kept: dict[int, evaluation_cache.Kept],
                       todo: list[int], scores: Scores) -> list[int]:
    """Use the helper's result for a chunk where it holds in this snapshot: every document to
    score was scored (or left) by the helper at the prediction run and stamp seen here. Its
    documents then count as kept ones (their counts added now, their lists made when listed);
    returns what is left to score here (all of ``todo`` when the result does not hold)."""
    scored = {row[0]: row for row in found.docs}
    left = set(found.others)
    stamps = evaluation_cache.stamps(store, list(scored))
    if not (scored.keys() <= set(todo) and all(d in scored or d in left for d in todo)
            and all(runs.get(d) == row[1] and stamps[d] == row[2] for d, row in scored.items())):
        return todo
    for d, _, _, kind, predicted_by, n in found.docs:
        kept[d] = evaluation_cache.Kept(kind, predicted_by, n, b"")
    scores.add_counts(found.sums)
    return [d for d in todo if d not in scored]


CHUNK = 1000


def _listed_first(chunk: list[int], kept: dict[int, evaluation_cache.Kept], computed: dict[int, "_Computed"],
                  fast: dict[int, tuple[int, Fresh]], room: int) -> list[int]:
    """The kept documents (with disagreements) among the first of ``chunk`` whose disagreements
    fill the ``room`` left in the list: the only ones whose list is read."""
    out, before = [], 0
    for doc_id in chunk:
        if before >= room:
            break
        if doc_id in kept:
            n = kept[doc_id].disagreements
            if n:
                out.append(doc_id)
        elif doc_id in computed:
            n = computed[doc_id].entry.disagreements
        else:
            n = fast[doc_id][1].disagreements if doc_id in fast else 0
        before += n
    return out


class _Computed(NamedTuple):
    entry: Fresh
    score: DocumentScore
    source: str
    text: str
    cacheable: bool  # scored on stored tokens (not on tokens made just now)


def _score_documents(
    store: Store, ids: list[int], pipeline: str | None, tokenize: Callable[[str], Tokens] | None,
    counts: GoldCounts, lacking: list[str], progress: Progress,
) -> dict[int, _Computed]:
    """Score documents ``ids`` from the database (their gold as :mod:`annotator.ops.gold` gives it).
    Conflicts are counted in ``counts``; documents without a prediction are listed in ``lacking``."""
    out: dict[int, _Computed] = {}
    if not ids:
        return out
    predicted = store.newest_predictions(ids, pipeline)
    seen = GoldCounts()
    before: dict[str, int] = {}
    for row in gold.gold_rows(store, ids, seen):
        doc = row.document
        kind = next((k for k, n in seen.kinds.items() if k != CONFLICT and n > before.get(k, 0)), "")
        before = dict(seen.kinds)
        tokens = row.tokens
        if tokens is None:
            if tokenize is None:
                raise InputError(f"{doc.source} has no tokens: pre-annotate it first")
            tokens = tokenize(doc.text)
        found = predicted.get(doc.id)
        if found is None:
            lacking.append(doc.source)
            continue
        score = score_document(EvalDocument(doc.id, doc.source, doc.text, tokens, row.spans, found[2],
                                            row.boilerplate))
        entry = Fresh(kind, f"{found[0]} {found[1]}", score.counts(), len(score.disagreements),
                      score.disagreements_json())
        out[doc.id] = _Computed(entry, score, doc.source, doc.text, row.tokens is not None)
        progress.advance()
    if seen.conflicts:
        counts.kinds[CONFLICT] = counts.conflicts + seen.conflicts
        room = gold.EXAMPLES - len(counts.conflict_examples)
        counts.conflict_examples.extend(seen.conflict_examples[:max(0, room)])
    return out


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
