"""Order documents by how much two stored pipelines' predictions disagree (query by committee).

The window can list "to review" documents most-disagreed first; this module computes the
order from predictions already in the database (``annotator preannotate --model`` with each
pipeline stores them).
"""

from __future__ import annotations

from collections.abc import Sequence

from annotator.core.committee import Disagreement, compare, rank
from annotator.core.errors import InputError
from annotator.core.model import IN_PROGRESS, TODO
from annotator.store import Store

TO_REVIEW = (TODO, IN_PROGRESS)


def pipeline_ref(ref: str | tuple[str, str | None]) -> tuple[str, str | None]:
    """``"name"`` (its newest run, any version), ``"name==version"`` or a (name, version) pair."""
    if isinstance(ref, tuple):
        return ref
    name, _, version = ref.partition("==")
    if not name.strip():
        raise InputError(f"no pipeline name in {ref!r}")
    return name.strip(), version.strip() or None


def disagreement_ranking(
    store: Store, pipeline_a: str | tuple[str, str | None], pipeline_b: str | tuple[str, str | None],
    states: Sequence[str] | None = TO_REVIEW,
) -> list[Disagreement]:
    """Documents (in ``states``; None: all) both pipelines predicted, most disagreement first.

    A document one of the pipelines has not predicted is left out (pre-annotate it with that
    pipeline first).
    """
    a, b = pipeline_ref(pipeline_a), pipeline_ref(pipeline_b)
    if a == b:
        raise InputError(f"both pipelines are {a[0]}{'==' + a[1] if a[1] else ''}: choose two different ones")
    return rank(compare(doc_id, spans_a, spans_b) for doc_id, spans_a, spans_b in store.prediction_pairs(a, b, states))
