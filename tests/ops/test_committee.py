"""Query by committee: documents ordered by how much two stored pipelines disagree."""

import pytest

from annotator.core.committee import compare
from annotator.core.errors import InputError
from annotator.core.hashing import content_hash
from annotator.core.model import ACCEPTED, IN_PROGRESS
from annotator.core.spans import Span
from annotator.ops.committee import disagreement_ranking


def S(start, end, label):
    return Span(start, end, label, "model")


def test_compare_counts_exact_spans():
    d = compare(1, [S(0, 4, "GPE"), S(10, 14, "ORG")], [S(0, 4, "PERSON"), S(10, 14, "ORG"), S(20, 22, "DATE")])
    assert (d.only_a, d.only_b, d.shared, d.count) == (1, 2, 1, 3)
    assert d.agreement == pytest.approx(2 * 1 / (2 + 3))
    assert compare(2, [], []).agreement == 1.0 and compare(2, [], []).count == 0


@pytest.fixture
def committee_store(store):
    """Five documents, two pipelines (the second in two versions), one reviewed, one predicted by one only."""
    ids = [store.add_document(f"Mali and Niger, story {i}.", f"d{i}.txt", content_hash(f"story {i}"))[0] for i in range(5)]
    mali, niger = S(0, 4, "GPE"), S(9, 14, "GPE")
    base = {ids[0]: [mali, niger], ids[1]: [mali, niger], ids[2]: [mali], ids[3]: [mali, niger], ids[4]: [mali]}
    trained = {ids[0]: [mali, niger],  # agree
               ids[1]: [S(0, 4, "PERSON"), S(9, 14, "PERSON")],  # 4 disagreements
               ids[2]: [mali, niger],  # 1
               ids[3]: [S(0, 4, "PERSON"), niger]}  # 2; ids[4] not predicted by it
    for doc_id, spans in base.items():
        store.add_prediction(doc_id, "en_base", "3.8.0", spans)
    for doc_id, spans in trained.items():
        store.add_prediction(doc_id, "en_annotator_ner", "0.1.0", spans)
    store.add_prediction(ids[2], "en_annotator_ner", "0.2.0", [mali])  # the newer version agrees with the base
    store.set_review(ids[3], IN_PROGRESS, "me")
    return store, ids


def test_ranking_most_disagreement_first(committee_store):
    store, ids = committee_store
    ranked = disagreement_ranking(store, "en_base", "en_annotator_ner==0.1.0")
    assert [(d.document_id, d.count) for d in ranked] == [(ids[1], 4), (ids[3], 2), (ids[2], 1), (ids[0], 0)]


def test_newest_version_when_none_is_named_and_states_filter(committee_store):
    store, ids = committee_store
    ranked = disagreement_ranking(store, "en_base", "en_annotator_ner")
    assert [(d.document_id, d.count) for d in ranked] == [(ids[1], 4), (ids[3], 2), (ids[0], 0), (ids[2], 0)]
    store.set_review(ids[1], ACCEPTED, "me")
    assert [d.document_id for d in disagreement_ranking(store, "en_base", "en_annotator_ner")] == [ids[3], ids[0], ids[2]]
    assert len(disagreement_ranking(store, "en_base", ("en_annotator_ner", "0.1.0"), states=None)) == 4


def test_same_pipeline_twice_is_refused(committee_store):
    store, _ = committee_store
    with pytest.raises(InputError, match="choose two different ones"):
        disagreement_ranking(store, "en_base", "en_base")
    with pytest.raises(InputError, match="no pipeline name"):
        disagreement_ranking(store, "==1.0", "en_base")
