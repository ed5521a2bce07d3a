"""Corpus statistics for ``annotator stats``."""

from __future__ import annotations

from typing import Any

from annotator.core.model import ACCEPTED, REVIEW_STATES
from annotator.store import Store
from annotator.store import flags as flags_sql


def corpus_stats(store: Store) -> dict[str, Any]:
    """Documents, review states, gold spans per label, boilerplate chars and predictions.

    ``spans_per_label`` counts the gold of accepted documents, as export does; spans in documents
    opened but not accepted yet are counted apart in ``spans_not_accepted``. Gold spans lying
    inside boilerplate are not gold: they are left out and counted apart in ``spans_inside_boilerplate``. ``flags`` counts, per flag (``unsure``),
    the documents an annotator flagged and how many of those flags carry a note. ``splits`` counts gold documents in the
    train and dev splits (``dev_fraction`` is what documents becoming gold get from now on).
    """
    states = store.state_counts()
    per_label, inside = store.accepted_gold_tallies()
    _seed, dev_fraction = store.split_settings()
    return {
        "database": str(store.path),
        "documents": store.document_count(),
        "characters": store.total_chars(),
        "reviewed": states.get(ACCEPTED, 0),
        "states": {state: states.get(state, 0) for state in REVIEW_STATES},
        "spans_per_label": per_label,
        "spans_inside_boilerplate": inside,
        "spans_not_accepted": store.gold_not_accepted_count(),
        "boilerplate_chars": store.boilerplate_chars(),
        "flags": flags_sql.counts(store),
        "splits": store.split_counts(),
        "dev_fraction": dev_fraction,
        "predictions": [
            {"pipeline": p, "version": v, "documents": n} for p, v, n in store.prediction_summary()
        ],
    }
