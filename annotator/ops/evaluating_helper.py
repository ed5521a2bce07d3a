"""A second process for the first evaluation: it scores chunks from the end while the caller
scores them from the start, on the machine's other core.

The process (``spawn``: nothing of the caller's connections or threads is inherited) opens the
database itself, takes chunks from the back of the list (:class:`Helper` hands out chunk
indices from both ends under one lock, so the two meet wherever the work splits), scores the
simple documents of each in arrays (:class:`~annotator.ops.evaluating_arrays.ArrayScoring`)
in a read snapshot of its own, sends what the evaluation needs (counts summed, and per
document its run, stamp, gold kind, prediction and number of disagreements), and keeps the
scores itself (:func:`annotator.store.evaluation_cache.write`, short transactions).

The caller uses a chunk's result only where every document's prediction run and stamp in
its own snapshot are the ones the helper scored (a document changed between the two reads is
scored again by the caller), so the evaluation is the one of the caller's snapshot. Documents
the helper leaves (teams, irregular, no tokens) are scored by the caller as always.

``spawn`` imports the caller's main module again in the helper: a script that evaluates a large
project must keep its work under ``if __name__ == "__main__":`` (the CLI, the window and the
benchmarks do); the frozen bundle never starts a helper.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import sys
import time
import traceback
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from annotator.store import Store

log = logging.getLogger(__name__)

MIN_DOCUMENTS = 4000  # accepted documents (most of them to score) before a second process is worth its
# start-up (~0.4 s)
_WRITE_EVERY = 5000  # documents' scores kept per write transaction


class HelperChunk(NamedTuple):
    """What the helper found in one chunk: ``docs`` rows are (document id, prediction run,
    stamp, gold kind, "pipeline version", disagreements) of the documents it scored; ``others``
    the documents it left; ``sums`` their counts added up (:meth:`DocumentScore.counts` keys)."""

    docs: list[tuple[int, int, int, str, str, int]]
    others: list[int]
    sums: dict[str, int]


def second_process_possible(store: Store | None = None) -> bool:
    """Two cores, and not a frozen bundle (whose entry point does not serve ``spawn``);
    ``ANNOTATOR_EVALUATION_PROCESSES=1`` turns it off. With ``store``: only in WAL mode, where a
    writer does not wait for readers (with the rollback journal of a network file system, the
    helper's writes, and the caller's during its snapshot, would wait for the caller's own read)."""
    if store is not None and not store.in_wal_mode():
        return False
    return ((os.cpu_count() or 1) >= 2 and not getattr(sys, "frozen", False)
            and os.environ.get("ANNOTATOR_EVALUATION_PROCESSES") != "1")


class Helper:
    """The caller's side: start the process, claim chunks from the front, receive results."""

    def __init__(self, path: Path, chunks: Sequence[Sequence[int]], pipeline: str | None, use_cache: bool,
                 first: int = 0, write_every: int = _WRITE_EVERY, busy_timeout_ms: int | None = None):
        ctx = multiprocessing.get_context("spawn")
        self.chunk_count = len(chunks)
        self._bounds = ctx.Array("q", [first, len(chunks)])  # [the caller's next chunk, the helper's last taken]
        self._results: Any = ctx.Queue()
        # the chunks' ids go in shared memory, not with the process's arguments: those are written
        # into a pipe before start() returns, which blocks while the new process starts Python when
        # they are larger than the pipe (50 chunks of ids are), and forever if it dies first
        ids = array("q", [d for chunk in chunks for d in chunk])
        shared = ctx.RawArray("q", max(len(ids), 1))
        memoryview(shared).cast("B")[:len(ids) * ids.itemsize] = memoryview(ids).cast("B")
        work = (shared, [len(chunk) for chunk in chunks])
        self._stop = ctx.Event()
        self._received: dict[int, HelperChunk] = {}
        self._told: dict[int, int] = {}  # chunk -> documents the helper scored (counted as progress)
        self._done = False
        self.failed: str | None = None
        self._process = ctx.Process(
            target=run, name="annotator-evaluation", daemon=True,
            args=(str(path), work, pipeline, use_cache, self._bounds, self._results, self._stop,
                  write_every, busy_timeout_ms))
        self._process.start()

    def claim(self) -> int | None:
        """The next chunk for the caller, or None: the rest is the helper's."""
        with self._bounds.get_lock():
            front, back = self._bounds[0], self._bounds[1]
            if front >= back:
                return None
            self._bounds[0] = front + 1
            return front

    @property
    def first_of_helper(self) -> int:
        """The first chunk the helper took (valid once :meth:`claim` returned None)."""
        return int(self._bounds[1])

    def poll(self) -> int:
        """Receive what has arrived; the number of documents newly scored by the helper."""
        n = 0
        while True:
            try:
                message = self._results.get_nowait()
            except queue.Empty:
                return n
            n += self._take(message)

    def _take(self, message: tuple[Any, ...]) -> int:
        if message[0] == "chunk":
            self._received[message[1]] = message[2]
            self._told[message[1]] = len(message[2].docs)
            return len(message[2].docs)
        if message[0] == "error":
            self.failed = message[1]
            log.warning("the evaluation's second process failed; its chunks are scored here:\n%s", message[1])
        self._done = True
        return 0

    def reported(self, index: int) -> int:
        """How many of chunk ``index``'s documents :meth:`poll` or :meth:`result` counted."""
        return self._told.pop(index, 0)

    def result(self, index: int, waiting: Callable[[int], None]) -> HelperChunk | None:
        """Chunk ``index``'s result, waited for (``waiting(n)`` is called meanwhile with the
        documents the helper finished: a progress step, which may raise to cancel); None when
        the helper stopped or failed without it."""
        while index not in self._received:
            if self._done:
                return None
            try:
                message = self._results.get(timeout=0.05)
            except queue.Empty:
                if not self._process.is_alive() and self._results.empty():
                    self._done = True
                    if self.failed is None:
                        self.failed = f"exited with code {self._process.exitcode}"
                waiting(0)
                continue
            waiting(self._take(message))
        return self._received.pop(index)

    def close(self, wait: bool) -> None:
        """Stop the process: ``wait`` lets it finish keeping what it scored (a few seconds at
        most), else (cancelled) it is ended at once: a write it was making rolls back."""
        self._stop.set()
        deadline = time.monotonic() + (30.0 if wait else 0.0)
        while self._process.is_alive() and time.monotonic() < deadline:
            self.poll()  # a full queue would keep the process from exiting
            self._process.join(0.02)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(2.0)
        self._results.close()
        self._results.join_thread()


def run(path: str, work: tuple[Any, list[int]], pipeline: str | None, use_cache: bool, bounds: Any, results: Any,
        stop: Any, write_every: int = _WRITE_EVERY, busy_timeout_ms: int | None = None) -> None:
    """The second process: score chunks from the back until it meets the caller (see the module);
    its scores kept ``write_every`` documents per write transaction, waiting for another writer
    as long as ``busy_timeout_ms`` (None: the project's default)."""
    try:
        shared, lengths = work  # the chunks' ids, one after another in shared memory
        ids = array("q", bytes(memoryview(shared).cast("B")))
        chunks: list[list[int]] = []
        at = 0
        for n in lengths:
            chunks.append(ids[at:at + n].tolist())
            at += n
        from annotator.heap_reuse import kept_heap
        from annotator.ops.evaluating_arrays import ArrayScoring, keep_scores
        from annotator.store import Store, evaluation_cache

        with kept_heap(), Store.open(Path(path), create=False, busy_timeout_ms=busy_timeout_ms) as store:
            arrays = ArrayScoring()
            fresh: list[tuple[int, int, int, Any]] = []
            while not stop.is_set():
                with bounds.get_lock():
                    if bounds[1] <= bounds[0]:
                        break
                    bounds[1] -= 1
                    index = bounds[1]
                chunk = chunks[index]
                with store.snapshot():
                    runs = evaluation_cache.scored_runs(store, chunk, pipeline)
                    kept = evaluation_cache.valid(store, runs) if use_cache else {}
                    todo = [d for d in chunk if d not in kept]
                    found = arrays.score(store, todo, pipeline, 0, runs)
                    stamps = evaluation_cache.stamps(store, list(found.entries))
                docs = [(d, run_id, stamps[d], entry.gold_kind, entry.predicted_by, entry.disagreements)
                        for d, (run_id, entry) in found.entries.items()]
                results.put(("chunk", index, HelperChunk(docs, found.others, found.sums)))
                if use_cache:
                    fresh.extend((d, run_id, stamps[d], entry) for d, (run_id, entry) in found.entries.items())
                    if len(fresh) >= write_every:
                        keep_scores(store, fresh, arrays.key_names)
                        fresh = []
            if fresh:
                keep_scores(store, fresh, arrays.key_names)
    except BaseException:  # noqa: BLE001 - reported to the caller, which scores the chunks itself
        results.put(("error", traceback.format_exc()))
        return
    results.put(("done",))
