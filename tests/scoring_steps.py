"""A hook around each scoring step of an evaluation, for tests that count, gate or interleave them."""

from __future__ import annotations

import annotator.ops.evaluating as evaluating_module
from annotator.ops.evaluating_arrays import ArrayScoring


def on_scoring(monkeypatch, before=None, after=None) -> None:  # noqa: ANN001
    """Call ``before(ids)`` / ``after(ids)`` around each scoring step: score_document for one
    document, the array scorer for a chunk (``ids``: the documents it scored)."""
    real_one, real_chunk = evaluating_module.score_document, ArrayScoring.score

    def one(doc):  # noqa: ANN001, ANN202
        if before:
            before([doc.document_id])
        result = real_one(doc)
        if after:
            after([doc.document_id])
        return result

    def chunk(self, store, ids, *args):  # noqa: ANN001, ANN202
        if before:
            before(list(ids))
        result = real_chunk(self, store, ids, *args)
        if after and result.entries:
            after(list(result.entries))
        return result

    monkeypatch.setattr(evaluating_module, "score_document", one)
    monkeypatch.setattr(ArrayScoring, "score", chunk)
