"""What the reference pane can show, and its spans for one document (no Qt)."""

from __future__ import annotations

from annotator.core import adjudication as core
from annotator.core.model import ACCEPTED
from annotator.core.spans import Range, Span
from annotator.ops import gold_edits
from annotator.ops import reference as refs
from annotator.store import Store
from annotator.store.training import TrainedModel
from tests.team.helpers import LABELS, find, make_project


def test_choices_and_spans_of_every_kind_of_reference(tmp_path, tokenize):
    path = tmp_path / "p.db"
    ids = make_project(path, tokenize)  # "en_test 1": Mali and Keita as PERSON
    with Store.open(path) as store:
        doc = ids[0]
        text = store.document(doc).text
        store.add_trained_model(TrainedModel(0, "en_mine", "1", str(tmp_path / "mine"), "blank", "x", 1, 0, 1, 0, 0,
                                             {}, {}, "lead", "2026-01-01T00:00:00"))
        mali, keita = find(text, "Mali", "PERSON"), find(text, "Keita", "PERSON")
        gold_edits.relabel_span(store, doc, "ann", mali, "GPE", LABELS)
        gold_edits.set_state(store, doc, "ann", ACCEPTED)
        gold_edits.relabel_span(store, doc, "bob", mali, "LOC", LABELS)
        gold_edits.mark_boilerplate(store, doc, "bob", keita.start, keita.end)  # Keita not reviewed by bob
        gold_edits.set_state(store, doc, "me", "in_progress")
        store.add_prediction(doc, "other", "2", [Span(*find(text, "Bamako", "GPE")[:3], "model")])  # after: newest

        choices = refs.available(store, "me")
        assert [c.title for c in choices] == ["Model (newest)", "Pipeline en_test 1", "Pipeline other 2",
                                              "Pipeline en_mine 1", "Annotator ann", "Annotator bob", "All annotators"]
        assert choices[3].path == str(tmp_path / "mine") and choices[1].path is None

        model = refs.reference_spans(store, doc, choices[0], "me", model_spans=[mali], model_name="en_test 1")
        assert model.spans == [mali] and model.heading == "Model: en_test 1 (read-only)"
        pipeline = refs.reference_spans(store, doc, choices[1], "me")
        assert {(s.start, s.end, s.label) for s in pipeline.spans} == {mali[:3], keita[:3]}
        missing = refs.reference_spans(store, doc, choices[3], "me")
        assert missing.missing and missing.spans == [] and missing.heading.endswith("not pre-annotated with en_mine")
        ann = refs.reference_spans(store, doc, choices[4], "me")
        assert {(s.start, s.end, s.label) for s in ann.spans} == {(mali.start, mali.end, "GPE"), keita[:3]}
        assert ann.heading == "ann's gold (accepted, read-only)"
        bob = refs.reference_spans(store, doc, choices[5], "me")  # in progress, his boilerplate leaves Keita out
        assert {(s.start, s.end, s.label) for s in bob.spans} == {(mali.start, mali.end, "LOC")}
        everyone = refs.reference_spans(store, doc, choices[6], "me")
        assert everyone.annotators == ("ann", "bob") and everyone.heading == "1: ann  2: bob"
        assert [(c.span.label, c.holders, c.status) for c in everyone.candidates] == [
            ("GPE", ("ann",), core.CONFLICT), ("LOC", ("bob",), core.CONFLICT), ("PERSON", ("ann",), core.PARTIAL)]
        accepted_only = refs.reference_spans(store, doc, choices[6], "me", accepted_only=True)
        assert accepted_only.annotators == ("ann",)
        nobody = refs.reference_spans(store, ids[1], choices[5], "me")
        assert nobody.spans == [] and nobody.heading == "bob: has not annotated this document"
        assert Range(keita.start, keita.end) in store.boilerplate(doc, "bob")
