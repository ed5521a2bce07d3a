"""The pipelines that predicted, listed by index seeks (migration 0030), the same as counting every run."""

from __future__ import annotations

from annotator.core.spans import Span
from annotator.store import Store


def test_prediction_pipelines_are_the_distinct_pairs_of_every_run(db_path):
    with Store.open(db_path) as store:
        assert store.prediction_pipelines() == []
        for i in range(30):
            doc, _ = store.add_document(f"Text {i} about Mali.", f"d{i}.txt", f"h{i}")
            for pipeline, version in (("en_b", "1"), ("en_a", "2"), ("en_a", "10"), ("zz", "0")):
                if i % 3 == 0 or pipeline != "zz":
                    store.add_prediction(doc, pipeline, version, [Span(14, 18, "GPE", "model")])
        expected = [(name, version) for name, version, _n in store.prediction_summary()]
        assert store.prediction_pipelines() == expected == [("en_a", "10"), ("en_a", "2"), ("en_b", "1"), ("zz", "0")]
        plan = " ".join(str(r) for r in store._q(
            "EXPLAIN QUERY PLAN SELECT pipeline, version FROM prediction_runs WHERE pipeline = ? AND version > ? "
            "ORDER BY version LIMIT 1", ["en_a", "10"]))
        assert "prediction_runs_pipeline" in plan and "SCAN" not in plan
