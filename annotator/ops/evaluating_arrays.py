"""The first evaluation's bulk path: read a chunk of simple documents at once, score them in arrays.

A document whose gold is one annotator's accepted layer (by far the most common case) is
read with its chunk in a few queries (:func:`annotator.store.evaluation_cache.simple_rows`)
and scored with :func:`annotator.core.evaluation_arrays.score_chunk`; every other document,
and any the array scorer flags as irregular, goes the plain way
(:func:`annotator.ops.evaluating._score_documents`), so the result is the same either way.
Disagreement details (and the document texts they quote) are made only for the documents
an evaluation lists.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from annotator.core.errors import AnnotatorError
from annotator.core.evaluation import DisagreementAt
from annotator.core.evaluation_arrays import ChunkInput, ChunkScores, score_chunk
from annotator.core.packed_arrays import spans_of, token_coordinates_of
from annotator.core.model import ACCEPTED
from annotator.core.team import FINAL, SINGLE
from annotator.store import Store, evaluation_cache
from annotator.store.evaluation_cache import Fresh, SimpleRows

log = logging.getLogger(__name__)


def keep_scores(store: Store, rows: list[tuple[int, int, int, Fresh]], local_keys: list[str]) -> None:
    """Store the scores computed (after the snapshot); failing to is logged, not fatal."""
    try:
        evaluation_cache.write(store, rows, local_keys=local_keys)
    except (AnnotatorError, sqlite3.Error) as exc:
        log.warning("evaluation scores not kept for next time: %s", exc)


@dataclass
class ChunkResult:
    """One chunk's array-scored documents: their entries to keep (document -> (run, score)),
    their summed counts, the disagreements listed (document -> (source, text, list)), and the
    documents left for the plain path."""

    entries: dict[int, tuple[int, Fresh]] = field(default_factory=dict)
    sums: dict[str, int] = field(default_factory=dict)
    listed: dict[int, tuple[str, str, list[DisagreementAt]]] = field(default_factory=dict)
    others: list[int] = field(default_factory=list)


def _index_of(order: np.ndarray, doc_ids: np.ndarray) -> np.ndarray:
    """``np.searchsorted(order, doc_ids)`` for ids that come in runs (a document's spans together):
    one bisection per run, not per span."""
    if not len(doc_ids):
        return np.zeros(0, dtype=np.int64)
    heads = np.concatenate(([0], np.flatnonzero(np.diff(doc_ids)) + 1))
    lengths = np.diff(np.append(heads, len(doc_ids)))
    return np.repeat(np.searchsorted(order, doc_ids[heads]), lengths)


class ArrayScoring:
    """State one evaluation keeps across chunks: the label indices and the count keys met."""

    def __init__(self) -> None:
        self.labels: dict[str, int] | None = None
        self.key_names: list[str] = []  # local key id -> key (:meth:`DocumentScore.counts`)
        self._key_ids: dict[str, int] = {}

    def _read(self, store: Store, ids: Sequence[int], pipeline: str | None,
              runs: Mapping[int, int] | None = None) -> tuple[SimpleRows, list[int]]:
        if self.labels is None:
            self.labels = {label: k for k, label in enumerate(evaluation_cache.gold_labels(store))}
        return evaluation_cache.simple_rows(store, ids, pipeline, list(self.labels), ACCEPTED, FINAL, runs)

    def _input(self, rows: SimpleRows) -> ChunkInput:
        assert self.labels is not None
        labels = self.labels
        order = np.asarray(rows.ids, dtype=np.int64)
        tokens = token_coordinates_of(rows.tokens)
        pred_doc, pred_start, pred_end, pred_label = spans_of(rows.predictions, labels)
        gold = rows.gold
        boiler = np.array(rows.boilerplate, dtype=np.int64).reshape(-1, 3)

        return ChunkInput(
            len(rows.ids), tokens.starts, tokens.ends, tokens.offsets,
            _index_of(order, gold[:, 0]), gold[:, 1], gold[:, 2], gold[:, 3],
            pred_doc, pred_start, pred_end, pred_label,
            _index_of(order, boiler[:, 0]), boiler[:, 1], boiler[:, 2], list(labels),
            tok_coordinates=(tokens.lo, tokens.hi, tokens.shift, tokens.size))

    def score(self, store: Store, ids: Sequence[int], pipeline: str | None, room: int,
              runs: Mapping[int, int] | None = None) -> ChunkResult:
        """Score what it can of ``ids`` in arrays; list the disagreements of the first documents
        (in order) while fewer than ``room`` are listed. ``runs``: the runs to score
        (:func:`~annotator.store.evaluation_cache.scored_runs` in this snapshot), when known."""
        rows, others = self._read(store, ids, pipeline, runs)
        result = ChunkResult(others=others)
        if not rows.ids:
            return result
        found = score_chunk(self._input(rows))
        regular = found.regular.tolist()
        result.others = sorted(others + [d for d, ok in zip(rows.ids, regular) if not ok])
        result.sums = found.sums()
        packed = self._packed(found)
        n_dis = found.n_disagreements.tolist()
        wanted, before = [], 0
        for k, doc_id in enumerate(rows.ids):
            if before >= room:
                break
            if regular[k] and n_dis[k]:
                wanted.append(doc_id)
                before += n_dis[k]
        texts = evaluation_cache.texts(store, wanted) if wanted else {}
        for k, doc_id in enumerate(rows.ids):
            if not regular[k]:
                continue
            listed = None
            if doc_id in texts:
                listed = found.disagreements(k)
                result.listed[doc_id] = (*texts[doc_id], listed)
            entry = Fresh(SINGLE if found.scored[k] else "", rows.predicted_by[k], packed.get(k, b""), n_dis[k],
                          None if listed is None else json.dumps(listed, separators=(",", ":"), ensure_ascii=False))
            result.entries[doc_id] = (rows.runs[k], entry)
        return result

    def _packed(self, found: ChunkScores) -> dict[int, bytes]:
        """Each scored document's counts as (local key id, count) pairs
        (:func:`annotator.store.evaluation_cache.pack_pairs`)."""
        local = np.array([self._key_ids.setdefault(name, len(self._key_ids)) for name in found.key_names],
                         dtype=np.int64)
        self.key_names = list(self._key_ids)
        if not len(found.triple_doc):
            return {}
        pairs = np.stack([local[found.triple_key], found.triple_n], axis=1)
        bounds = np.flatnonzero(np.diff(found.triple_doc)) + 1
        starts = np.concatenate(([0], bounds))
        docs = found.triple_doc[starts].tolist()
        return dict(zip(docs, evaluation_cache.pack_pairs(pairs, [*starts.tolist(), len(pairs)])))

    def details(self, store: Store, ids: Sequence[int], pipeline: str | None) -> dict[int, tuple[str, str, str]]:
        """(source, text, disagreements JSON) of kept documents whose list was not kept (it is
        made only for listed documents); documents it cannot score in arrays are left out."""
        rows, _ = self._read(store, ids, pipeline)
        if not rows.ids:
            return {}
        found = score_chunk(self._input(rows))
        texts = evaluation_cache.texts(store, rows.ids)
        return {d: (*texts[d], json.dumps(found.disagreements(k), separators=(",", ":"), ensure_ascii=False))
                for k, d in enumerate(rows.ids) if found.regular[k] and d in texts}
