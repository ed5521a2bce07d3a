"""The SQL of the model-in-the-loop: train/dev splits, trained pipelines, committee reads.

A mixin of :class:`annotator.store.Store` (it uses the Store's ``_q`` and ``transaction``);
the split itself is decided by :mod:`annotator.core.splits`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from annotator.core.model import ACCEPTED, TODO
from annotator.core.packing import unpack_spans
from annotator.core.spans import Span
from annotator.core.splits import DEFAULT_DEV_FRACTION, DEFAULT_SPLIT_SEED, SPLITS, split_for

if TYPE_CHECKING:
    import sqlite3
    from contextlib import AbstractContextManager

GOLD_STATES = (ACCEPTED,)  # review states whose gold is training and evaluation material
_GOLD_MARKS = ",".join("?" * len(GOLD_STATES))
SPLIT_CHUNK = 2000  # documents per query when splits are given in bulk


@dataclass(frozen=True)
class TrainedModel:
    """A pipeline trained on this project's gold, as recorded when its folder was complete."""

    id: int
    name: str
    version: str
    path: str
    base: str
    gold_snapshot: str
    steps: int
    seed: int
    train_documents: int
    dev_documents: int
    rehearsal_documents: int
    scores: dict[str, Any]
    settings: dict[str, Any]
    created_by: str | None
    created_at: str


class TrainingQueries:
    """Splits, trained pipelines and two pipelines' predictions side by side."""

    if TYPE_CHECKING:
        def _q(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor: ...
        def _many(self, sql: str, rows: Any) -> None: ...
        def transaction(self) -> AbstractContextManager[Any]: ...
        def setting(self, key: str) -> str | None: ...
        def set_setting(self, key: str, value: str) -> None: ...

    # -- splits ---------------------------------------------------------------------
    def split_settings(self) -> tuple[str, float]:
        """(seed, dev fraction) that documents becoming gold get their split with."""
        seed = self.setting("split_seed") or DEFAULT_SPLIT_SEED
        fraction = self.setting("dev_fraction")
        return seed, float(fraction) if fraction else DEFAULT_DEV_FRACTION

    def set_dev_fraction(self, fraction: float) -> None:
        """The dev fraction for documents that become gold from now on (others keep their split)."""
        self.set_setting("dev_fraction", repr(float(fraction)))

    def assign_split(self, document_id: int, when: str | None = None) -> str:
        """The document's split: the one it was given, else a new one (recorded, never changed)."""
        row = self._q("SELECT split FROM training_splits WHERE document_id = ?", [document_id]).fetchone()
        if row is not None:
            return str(row[0])
        seed, fraction = self.split_settings()
        content_hash = self._q("SELECT content_hash FROM documents WHERE id = ?", [document_id]).fetchone()[0]
        split = split_for(content_hash, seed, fraction)
        self._q(
            "INSERT INTO training_splits(document_id, split, dev_fraction, assigned_at) "
            "VALUES (?, ?, ?, coalesce(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
            [document_id, split, fraction, when],
        )
        return split

    def assign_splits(self, ids: Sequence[int], when: str | None = None, chunk: int = SPLIT_CHUNK) -> int:
        """Give a split to those of ``ids`` that somebody accepted and that have none yet; how many.

        A chunk of documents costs one query (their content hashes, only for those lacking a
        split) and one batched insert, whatever their number. Call inside a transaction to
        make the splits part of the change that made the documents gold.
        """
        seed, fraction = self.split_settings()
        added = 0
        for i in range(0, len(ids), chunk):
            part = list(ids[i:i + chunk])
            rows = self._q(
                f"SELECT d.id, d.content_hash FROM documents d WHERE d.id IN ({','.join('?' * len(part))}) "
                f"AND NOT EXISTS (SELECT 1 FROM training_splits s WHERE s.document_id = d.id) "
                f"AND EXISTS (SELECT 1 FROM annotator_reviews a WHERE a.document_id = d.id AND a.state IN "
                f"({_GOLD_MARKS}))", [*part, *GOLD_STATES]).fetchall()
            if rows:
                self._many(
                    "INSERT INTO training_splits(document_id, split, dev_fraction, assigned_at) "
                    "VALUES (?, ?, ?, coalesce(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
                    [(doc_id, split_for(digest, seed, fraction), fraction, when) for doc_id, digest in rows])
                added += len(rows)
        return added

    def assign_missing_splits(self) -> int:
        """Give a split to gold documents that have none (gold from before splits existed, or
        documents that became gold some other way); how many. Batched: see :meth:`assign_splits`."""
        ids = [r[0] for r in self._q(
            f"SELECT DISTINCT a.document_id FROM annotator_reviews a WHERE a.state IN ({_GOLD_MARKS}) "
            f"AND NOT EXISTS (SELECT 1 FROM training_splits s WHERE s.document_id = a.document_id) ORDER BY 1",
            list(GOLD_STATES))]
        if not ids:
            return 0
        with self.transaction():
            return self.assign_splits(ids)

    def split_of(self, document_id: int) -> str | None:
        row = self._q("SELECT split FROM training_splits WHERE document_id = ?", [document_id]).fetchone()
        return str(row[0]) if row else None

    def gold_ids(self, split: str | None = None) -> list[int]:
        """Documents somebody accepted (an annotator, or an adjudicator their final gold), in import
        order, of one split (``None``: every such document). Which gold each has, or whether its
        annotators' disagreement leaves it out, is :mod:`annotator.ops.gold`'s rule."""
        sql = "SELECT DISTINCT a.document_id FROM annotator_reviews a "
        params: list[Any] = []
        if split is not None:
            sql += "JOIN training_splits s ON s.document_id = a.document_id AND s.split = ? "
            params.append(split)
        sql += f"WHERE a.state IN ({_GOLD_MARKS}) ORDER BY 1"
        return [r[0] for r in self._q(sql, [*params, *GOLD_STATES])]

    def split_counts(self) -> dict[str, int]:
        """Documents somebody accepted, per split (``"none"`` counts those with no split yet)."""
        rows = dict(self._q(
            f"SELECT coalesce(s.split, 'none'), count(*) FROM (SELECT DISTINCT document_id FROM annotator_reviews "
            f"WHERE state IN ({_GOLD_MARKS})) g LEFT JOIN training_splits s ON s.document_id = g.document_id "
            f"GROUP BY 1", list(GOLD_STATES)).fetchall())
        counts = {split: int(rows.get(split, 0)) for split in SPLITS}
        if rows.get("none"):
            counts["none"] = int(rows["none"])
        return counts

    def unreviewed_ids(self) -> list[int]:
        """Documents nobody has looked at yet (no review, or still to do with nobody named), in import order."""
        return [r[0] for r in self._q(
            f"SELECT d.id FROM documents d LEFT JOIN reviews r ON r.document_id = d.id "
            f"WHERE r.document_id IS NULL OR (r.state = '{TODO}' AND r.annotator IS NULL) ORDER BY d.id")]

    def content_hashes(self, ids: Sequence[int], chunk: int = 500) -> dict[int, str]:
        """Content hash per document id."""
        found: dict[int, str] = {}
        for i in range(0, len(ids), chunk):
            part = list(ids[i:i + chunk])
            found.update(self._q(
                f"SELECT id, content_hash FROM documents WHERE id IN ({','.join('?' * len(part))})", part).fetchall())
        return found

    def predictions_by(self, ids: Sequence[int], pipeline: str, version: str, chunk: int = 500) -> dict[int, list[Span]]:
        """The spans of ``pipeline`` ``version``'s newest prediction of each of ``ids`` it predicted,
        a chunk of documents per query."""
        found: dict[int, list[Span]] = {}
        for i in range(0, len(ids), chunk):
            part = list(ids[i:i + chunk])
            newest = (f"SELECT max(id) FROM prediction_runs WHERE pipeline = ? AND version = ? "
                      f"AND document_id IN ({','.join('?' * len(part))}) GROUP BY document_id")
            for doc_id, blob in self._q(f"SELECT document_id, spans FROM prediction_runs WHERE id IN ({newest})",
                                        [pipeline, version, *part]):
                found[doc_id] = [Span(s, e, label, "model") for s, e, label in unpack_spans(blob)]
        return found

    # -- trained pipelines ----------------------------------------------------------
    _MODEL_COLUMNS = ("id, name, version, path, base, gold_snapshot, steps, seed, train_documents, dev_documents, "
                      "rehearsal_documents, scores, settings, created_by, created_at")

    @staticmethod
    def _model(row: Sequence[Any]) -> TrainedModel:
        return TrainedModel(*row[:11], json.loads(row[11]), json.loads(row[12]), row[13], row[14])

    def trained_models(self) -> list[TrainedModel]:
        """Every pipeline trained here, oldest first."""
        return [self._model(r) for r in self._q(f"SELECT {self._MODEL_COLUMNS} FROM trained_models ORDER BY id")]

    def trained_model(self, name: str, version: str) -> TrainedModel | None:
        row = self._q(f"SELECT {self._MODEL_COLUMNS} FROM trained_models WHERE name = ? AND version = ?",
                      [name, version]).fetchone()
        return self._model(row) if row else None

    def next_model_version(self, name: str) -> str:
        """The first version ``0.N.0`` (N counting from the pipelines of that name) not yet recorded.
        Read it inside the transaction that records the pipeline to be sure nobody takes it meanwhile."""
        taken = {r[0] for r in self._q("SELECT version FROM trained_models WHERE name = ?", [name])}
        n = len(taken) + 1
        while f"0.{n}.0" in taken:
            n += 1
        return f"0.{n}.0"

    def trained_model_count(self, name: str) -> int:
        return int(self._q("SELECT count(*) FROM trained_models WHERE name = ?", [name]).fetchone()[0])

    def add_trained_model(self, model: TrainedModel) -> int:
        """Record a finished pipeline (its folder complete and in place); returns its id."""
        with self.transaction():
            cur = self._q(
                "INSERT INTO trained_models(name, version, path, base, gold_snapshot, steps, seed, train_documents, "
                "dev_documents, rehearsal_documents, scores, settings, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [model.name, model.version, model.path, model.base, model.gold_snapshot, model.steps, model.seed,
                 model.train_documents, model.dev_documents, model.rehearsal_documents,
                 json.dumps(model.scores, sort_keys=True), json.dumps(model.settings, sort_keys=True),
                 model.created_by, model.created_at],
            )
        return int(cur.lastrowid or 0)

    # -- two pipelines' predictions (query by committee) ----------------------------
    def prediction_pairs(
        self, a: tuple[str, str | None], b: tuple[str, str | None], states: Sequence[str] | None = None,
        chunk: int = 500,
    ) -> Iterator[tuple[int, list[Span], list[Span]]]:
        """(document id, a's spans, b's spans) for documents both pipelines predicted.

        ``a`` and ``b`` are (pipeline name, version), the version ``None`` for the newest run of
        any version; only documents in review ``states`` when given; in import order, read a
        chunk of documents at a time.
        """
        sql = "SELECT d.id FROM documents d"
        params: list[Any] = []
        if states is not None:
            sql += (f" LEFT JOIN reviews r ON r.document_id = d.id WHERE coalesce(r.state, '{TODO}') IN "
                    f"({','.join('?' * len(states))})")
            params += list(states)
        ids = [r[0] for r in self._q(sql + " ORDER BY d.id", params)]
        for i in range(0, len(ids), chunk):
            part = ids[i:i + chunk]
            marks = ",".join("?" * len(part))
            runs = []
            for name, version in (a, b):
                runs.append(dict(self._q(
                    f"SELECT document_id, max(id) FROM prediction_runs WHERE pipeline = ? "
                    f"AND (? IS NULL OR version = ?) AND document_id IN ({marks}) GROUP BY document_id",
                    [name, version, version, *part]).fetchall()))
            both = [d for d in part if d in runs[0] and d in runs[1]]
            if not both:
                continue
            wanted = sorted({runs[0][d] for d in both} | {runs[1][d] for d in both})
            spans: dict[int, list[Span]] = {}
            rmarks = ",".join("?" * len(wanted))
            for run_id, blob in self._q(f"SELECT id, spans FROM prediction_runs WHERE id IN ({rmarks})", wanted):
                spans[run_id] = [Span(s, e, label, "model") for s, e, label in unpack_spans(blob)]
            for doc_id in both:
                yield doc_id, spans[runs[0][doc_id]], spans[runs[1][doc_id]]
