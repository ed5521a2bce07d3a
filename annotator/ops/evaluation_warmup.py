"""Keep the evaluation's per-document scores warm, so that opening an evaluation reads them.

An evaluation (:func:`annotator.ops.evaluating.evaluate_stored`) keeps each accepted
document's score with the document's stamp, and uses it again while the stamp is unchanged.
This module computes those scores ahead of time, with the very functions the evaluation
uses (the array scorer, else :func:`annotator.ops.evaluating._score_documents`):

- :func:`keep_scores_of` scores a few documents (the one just accepted) in one read snapshot
  and keeps them in one short write, each with the stamp read in that snapshot;
- :func:`warm_up` scores every accepted document that lacks a valid kept score, a chunk at a
  time (a snapshot and a short write transaction per chunk), or, when there are many, in the
  evaluation's second process (:mod:`annotator.ops.evaluating_helper`) so the caller's
  process (the window) keeps its GIL.

Correctness never depends on this: a score written for a state that changed meanwhile carries
the old stamp and is ignored (and recomputed) by the evaluation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from typing import TYPE_CHECKING

from annotator.heap_reuse import kept_heap
from annotator.ops.gold import accepted_ids
from annotator.ops.progress import NullProgress, Progress
from annotator.store import Store, evaluation_cache, team

if TYPE_CHECKING:  # the scorers (numpy) load only when there is something to score
    from annotator.ops.evaluating_arrays import ArrayScoring
    from annotator.ops.evaluating_helper import Helper

log = logging.getLogger(__name__)

CHUNK = 1000  # documents scored per read snapshot and kept per write transaction (~15 ms at 50k on this machine)
DESCRIPTION = "Preparing evaluation"


_NOT_KEPT: dict[tuple[str, int], int] = {}  # (database, document) -> its stamp when scoring it kept nothing
# (annotators in conflict): not scored again by a warm-up of this process while it stays so


def missing(store: Store, pipeline: str | None = None) -> list[int]:
    """Accepted documents with a prediction to score (``pipeline``'s newest, or with None each
    document's newest, as the window's evaluation) and stored tokens, but no valid kept score
    of it; less those whose scoring kept nothing earlier in this process and that have not
    changed since (a conflict stays one until an annotator or the adjudicator changes it)."""
    out: list[int] = []
    with store.snapshot():
        ids = accepted_ids(store)
        for i in range(0, len(ids), CHUNK):
            part = ids[i:i + CHUNK]
            runs = evaluation_cache.scored_runs(store, part, pipeline)
            kept = evaluation_cache.valid(store, runs)
            out.extend(evaluation_cache.with_tokens(store, [d for d in part if d in runs and d not in kept]))
        tried = [d for d in out if (str(store.path), d) in _NOT_KEPT]
        if tried:
            now = evaluation_cache.stamps(store, tried)
            same = {d for d in tried if _NOT_KEPT[(str(store.path), d)] == now[d]}
            out = [d for d in out if d not in same]
    return out


def keep_scores_of(store: Store, ids: Sequence[int], pipeline: str | None = None,
                   arrays: ArrayScoring | None = None) -> int:
    """Score the accepted documents of ``ids`` lacking a valid kept score, exactly as the
    evaluation would, in one read snapshot, and keep them (their disagreement lists too) in one
    short write; how many were kept.

    Documents not accepted, without a prediction, without stored tokens (the evaluation scores
    those on tokens made at the time and keeps nothing) or whose annotators conflict are left.
    """
    from annotator.core.evaluation import DISAGREEMENTS_KEPT
    from annotator.ops.evaluating_arrays import ArrayScoring

    return _keep(store, ids, pipeline, arrays or ArrayScoring(), DISAGREEMENTS_KEPT)[0]


def _keep(store: Store, ids: Sequence[int], pipeline: str | None, arrays: ArrayScoring,
          room: int) -> tuple[int, int]:
    """:func:`keep_scores_of`, keeping the disagreement lists of the first documents while fewer
    than ``room`` are listed (the ones an evaluation lists; the others' lists it makes when it
    needs them); (documents kept, their disagreements)."""
    from annotator.ops.evaluating import _score_documents
    from annotator.ops.evaluating_arrays import keep_scores
    from annotator.ops.gold import GoldCounts

    fresh: list[tuple[int, int, int, evaluation_cache.Fresh]] = []
    with store.snapshot():
        accepted = team.accepted_counts(store, list(ids))
        runs = evaluation_cache.scored_runs(store, [d for d in ids if accepted.get(d)], pipeline)
        kept = evaluation_cache.valid(store, runs)
        todo = [d for d in ids if d in runs and d not in kept]
        if not todo:
            return 0, 0
        fast = arrays.score(store, todo, pipeline, room, runs)
        plain = evaluation_cache.with_tokens(store, fast.others)
        computed = _score_documents(store, plain, pipeline, None, GoldCounts(), [], NullProgress())
        cacheable = [d for d, item in computed.items() if item.cacheable]
        stamps = evaluation_cache.stamps(store, cacheable + list(fast.entries))
        fresh.extend((d, runs[d], stamps[d], computed[d].entry) for d in cacheable)
        fresh.extend((d, run, stamps[d], entry) for d, (run, entry) in fast.entries.items())
        made = {d for d, *_ in fresh}
        not_kept = [d for d in plain if d not in made]  # scored, yet nothing to keep: a conflict
        for d, stamp in evaluation_cache.stamps(store, not_kept).items():
            _NOT_KEPT[(str(store.path), d)] = stamp
    if fresh:
        keep_scores(store, fresh, arrays.key_names)
    return len(fresh), sum(entry.disagreements for *_, entry in fresh)


@kept_heap()  # chunk after chunk of large temporary arrays: their pages reused, not faulted anew
def warm_up(store: Store, pipeline: str | None = None, progress: Progress | None = None, *,
            second_process: bool | None = None) -> int:
    """Keep a score for every accepted document lacking a valid one; how many lacked one.

    ``progress`` is started with :data:`DESCRIPTION` and the number to score; its ``advance``
    may raise to cancel: whatever chunks were kept stay kept. With ``second_process`` None the
    second process scores when there are :data:`~annotator.ops.evaluating_helper.MIN_DOCUMENTS`
    or more (True: whenever possible, False: never); documents it leaves (teams, irregular
    ones) are scored here after it.
    """
    progress = progress or NullProgress()
    todo = missing(store, pipeline)
    progress.start(DESCRIPTION, len(todo))
    if not todo:
        return 0
    from annotator.core.evaluation import DISAGREEMENTS_KEPT
    from annotator.ops.evaluating_arrays import ArrayScoring
    from annotator.ops.evaluating_helper import MIN_DOCUMENTS, second_process_possible

    chunks = [todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)]
    arrays = ArrayScoring()
    helper = None
    if (store.path is not None and second_process is not False and second_process_possible(store)
            and (second_process or len(todo) >= MIN_DOCUMENTS)):
        helper = _start_helper(store.path, chunks, pipeline, store.busy_timeout_ms())
    room = DISAGREEMENTS_KEPT  # the first documents' disagreement lists are kept here, as an evaluation keeps them
    left: list[int] = []
    try:
        index = 0
        while index < len(chunks):
            if helper is not None:
                if room <= 0:
                    break  # the rest is the helper's
                claimed = helper.claim()
                if claimed is None:
                    break
                index = claimed
            _, listed = _keep(store, chunks[index], pipeline, arrays, room)
            room -= listed
            progress.advance(len(chunks[index]) + (helper.poll() if helper is not None else 0))
            index += 1
        if helper is not None:
            last = len(chunks) - 1
            while last >= index:  # the helper's chunks, from the end
                found = helper.result(last, progress.advance)
                if found is None:  # it stopped: the rest here
                    break
                left.extend(found.others)
                last -= 1
            chunks = chunks[:last + 1]  # what the helper did not do: chunks[index:]
    finally:
        if helper is not None:
            helper.close(wait=True)  # at a cancel it stops after its chunk and keeps what it scored
    for part in [*chunks[index:], *[left[i:i + CHUNK] for i in range(0, len(left), CHUNK)]]:
        _keep(store, part, pipeline, arrays, 0)
        progress.advance(len(part))
    return len(todo)


def _start_helper(path: Path, chunks: list[list[int]], pipeline: str | None, busy_timeout_ms: int) -> Helper | None:
    """The second process, taking chunks from the end (None if it cannot be started: all done here);
    its writes wait for another writer as long as the caller's do."""
    from annotator.ops.evaluating_helper import Helper

    try:
        return Helper(path, chunks, pipeline, True, first=0, write_every=CHUNK,  # ~15 ms per write here
                      busy_timeout_ms=busy_timeout_ms)
    except (OSError, RuntimeError) as exc:
        log.warning("no second process to prepare the evaluation: %s", exc)
        return None
