"""Warming the evaluation's scores on the corpus of ``test_evaluation_in_arrays`` (teams in
conflict, adjudication, documents without stored tokens): what cannot be kept is not scored
again by each warm-up, only once it changes."""

from __future__ import annotations

from annotator.ops import gold_edits
from annotator.ops.evaluation_warmup import missing, warm_up
from tests.ops.test_evaluation_in_arrays import LABELS, corpus  # noqa: F401 - the corpus fixture


def test_a_second_warm_up_scores_nothing_again_until_a_conflict_changes(store, corpus):  # noqa: F811
    """Documents whose score cannot be kept (annotators in conflict; no stored tokens) are not
    scored again by each warm-up (the window's, at every open and import), only once they change
    (found by the second read of the change: 20 of 145 were scored again each time)."""
    assert warm_up(store, None, second_process=False) > 0
    assert missing(store, None) == [], "nothing left that a warm-up could keep"
    assert warm_up(store, None, second_process=False) == 0
    conflict = corpus["conflict"][0]
    gold_edits.set_gold(store, conflict, "bob", store.gold(conflict, "ann"), LABELS)  # bob now agrees
    assert missing(store, None) == [conflict]
    assert warm_up(store, None, second_process=False) == 1 and missing(store, None) == []
