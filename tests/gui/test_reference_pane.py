"""The left pane as a chosen reference (model, any stored pipeline, another annotator, all annotators), the
differences always against the gold pane; and the list ordered by two pipelines' disagreement (issue 10)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt

from annotator.core import adjudication as core
from annotator.core.model import ACCEPTED
from annotator.core.render import CHANGED, SAME
from annotator.core.spans import Span
from annotator.core.team import Layer
from annotator.ops import documents, gold_edits
from annotator.ops.labels import project_labels
from annotator.store import Store
from annotator.store.training import TrainedModel

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def keys(spans) -> set[tuple[int, int, str]]:
    return {(s.start, s.end, s.label) for s in spans}


def shown(view) -> set[tuple[int, int, str]]:
    return {(h.start, h.end, h.label) for h in view.rendering.highlights if not h.ghost}


def add_other_pipeline(store: Store) -> dict[int, list[Span]]:
    """Pipeline "other 1" predicts the i-th seed like the real one minus its last i non-"Mali" spans."""
    ids = store.document_ids()
    other = {}
    with store.transaction():
        for i, doc in enumerate(ids):
            spans = list(store.prediction(doc, with_tokens=False).spans)
            text = store.document(doc).text
            droppable = [s for s in spans if text[s.start:s.end] != "Mali"]
            gone = set(droppable[len(droppable) - i:]) if i else set()
            other[doc] = [s for s in spans if s not in gone]
            store.add_prediction(doc, "other", "1", other[doc])
    return other


def mali_doc(store: Store) -> int:
    for doc in store.document_ids():
        text = store.document(doc).text
        if any(text[s.start:s.end] == "Mali" and s.label == "PERSON"
               for s in store.prediction(doc, with_tokens=False).spans):
            return doc
    raise AssertionError("a seed with Mali as PERSON")


@pytest.fixture
def reference_db(project_db):
    with Store.open(project_db) as store:
        sm = {doc: store.prediction(doc, with_tokens=False) for doc in store.document_ids()}
        add_other_pipeline(store)
        doc = mali_doc(store)
        store.add_prediction(next(d for d in store.document_ids() if d != doc), "partial", "1", [])
        labels = project_labels(store).names
        for name, label in (("ann", "GPE"), ("bob", "LOC")):
            view = documents.open_document(store, doc, name)
            mali = next(s for s in view.gold if view.document.text[s.start:s.end] == "Mali" and s.label == "PERSON")
            gold_edits.relabel_span(store, doc, name, mali, label, labels)
            gold_edits.set_state(store, doc, name, ACCEPTED)
        store.add_trained_model(TrainedModel(0, "mine", "0.0.1", str(project_db.parent / "no-such-model"), "blank",
                                             "x", 1, 0, 1, 0, 0, {}, {}, "tester", "2026-01-01T00:00:00"))
        first = sm[doc]
    return project_db, doc, first


def test_reference_selector_cycles_and_differences_follow_it(qtbot, make_window, reference_db):
    path, doc, sm = reference_db
    window = make_window(path)
    window.show_document(doc)
    store, text = window.store, window.view.document.text
    titles = [window.reference_combo.itemText(i) for i in range(window.reference_combo.count())]
    assert titles == ["Model (newest)", f"Pipeline {sm.pipeline} {sm.version}", "Pipeline other 1",
                      "Pipeline partial 1", "Pipeline mine 0.0.1", "Annotator ann", "Annotator bob", "All annotators"]
    assert shown(window.model_view) == keys(window.view.model_spans)  # the newest prediction: "other"
    assert window.model_title.text() == "Model: other 1 (read-only)"

    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_F7)  # the real pipeline's own prediction
    assert window.reference.name == sm.pipeline and shown(window.model_view) == keys(sm.spans)
    for _ in range(2):
        qtbot.keyClick(window.gold_view, Qt.Key.Key_F7)
    assert window.reference.name == "partial"  # stored for another document only: said, nothing shown
    assert window.model_title.text() == "Pipeline partial 1: not pre-annotated with partial"
    assert shown(window.model_view) == set()
    assert {h.status for h in window.gold_view.rendering.highlights} == {"added"}  # all gold is new against it

    qtbot.keyClick(window.gold_view, Qt.Key.Key_F7)  # a trained pipeline that never ran here: run it, or say why not
    assert window.reference.name == "mine"
    qtbot.waitUntil(lambda: "Could not run" in window.statusBar().currentMessage(), timeout=60_000)
    assert window.model_title.text() == "Pipeline mine 0.0.1: not pre-annotated with mine"
    window.show_document(doc)  # not tried again: said why
    assert window.model_title.text().startswith("Pipeline mine 0.0.1: not pre-annotated with mine (it could not run")
    assert not window._run_runner.running

    qtbot.keyClick(window.gold_view, Qt.Key.Key_F7)  # ann's gold: Mali is GPE there
    assert window.reference.name == "ann" and shown(window.model_view) == keys(store.gold(doc, "ann"))
    mali = next(s for s in window.view.gold if text[s.start:s.end] == "Mali" and s.label == "PERSON")
    marks = {(h.start, h.end): h for h in window.gold_view.rendering.highlights if not h.ghost}
    assert marks[(mali.start, mali.end)].status == CHANGED and marks[(mali.start, mali.end)].tag == "GPE → PERSON"
    window.gold_view.select_range(mali.start, mali.end)
    qtbot.keyClick(window.gold_view, Qt.Key.Key_G)  # relabel in the gold: now the same as ann's
    marks = {(h.start, h.end): h for h in window.gold_view.rendering.highlights if not h.ghost}
    assert marks[(mali.start, mali.end)].status == SAME
    assert (mali.start, mali.end, "GPE") in keys(store.gold(doc, "tester"))

    qtbot.keyClick(window.gold_view, Qt.Key.Key_F7)
    qtbot.keyClick(window.gold_view, Qt.Key.Key_F7)  # all annotators: ann's and bob's spans with who has them
    assert window.reference.kind == "all" and "1: ann  2: bob" in window.model_title.text()
    layers = [Layer(name, store.gold(doc, name), store.boilerplate(doc, name)) for name in ("ann", "bob")]
    candidates = core.candidates(layers)
    assert shown(window.model_view) == keys(c.span for c in candidates)
    tags = {h.tag for h in window.model_view.rendering.highlights}
    assert "1: GPE / 2: LOC" in tags
    agreed = next(c for c in candidates if c.status == core.AGREED)
    assert f"{agreed.span.label} · 1 2" in tags
    qtbot.keyClick(window.gold_view, Qt.Key.Key_F7)  # round again to the model
    assert window.reference.kind == "model"

    window.show_document(next(d for d in store.document_ids() if d != doc))  # the choice stays across documents
    window.choose_reference(window._references[titles.index("Annotator ann")])
    assert window.model_title.text() == "ann: has not annotated this document" and shown(window.model_view) == set()


def test_order_by_model_disagreement_most_first_and_a_filter_drops_it(qtbot, qtmodeltester, make_window, project_db):
    with Store.open(project_db) as store:
        ids = store.document_ids()
        add_other_pipeline(store)  # the i-th seed: i spans differ
        gold_edits.set_state(store, ids[3], "tester", ACCEPTED)  # reviewed: not in the order
    window = make_window(project_db)
    assert window.list_order is None
    list_width = window.list_dock.width()
    window.committee_action.trigger()  # two pipelines stored: no question asked
    qtbot.waitUntil(lambda: window.list_order == "committee", timeout=30_000)
    assert window.committee_action.isChecked() and window.state_filter.currentText() == "To review"
    assert window.doc_model.loaded_ids() == [ids[4], ids[2], ids[1], ids[0]]
    assert [window.doc_model.index(row, 2).data() for row in range(4)] == [4, 2, 1, 0]  # spans that differ
    assert window.doc_model.headerData(2, Qt.Orientation.Horizontal) == "Differ"
    qtmodeltester.check(window.doc_model)
    assert "most model disagreement first" in window.list_count.text() and "3 differ" in window.list_count.text()
    qtbot.wait(50)  # a layout pass: the caption wraps, the list does not grow wider
    assert window.list_dock.width() == list_width
    window.show_document(ids[4])
    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # accept: next in order
    assert window.view.document.id == ids[2]
    qtbot.keyClick(window.gold_view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.view.document.id == ids[1]
    window.state_filter.setCurrentIndex(0)  # All documents: import order again
    assert window.list_order is None and not window.committee_action.isChecked()
    window.state_filter.setCurrentIndex(1)
    assert window.doc_model.loaded_ids() == [ids[0], ids[1], ids[2]]


def test_order_by_disagreement_with_one_pipeline_says_what_is_missing(qtbot, window):
    window.committee_action.trigger()
    assert "two pipelines" in window.statusBar().currentMessage()
    assert window.list_order is None and not window.committee_action.isChecked()


def test_a_trained_pipeline_without_a_prediction_is_run_on_the_document_in_the_background(
        qtbot, make_window, project_db, tmp_path):
    import spacy

    from annotator.ops.reference import PIPELINE, Reference

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "GPE", "pattern": "Mali"}])
    nlp.meta.update(name="ruler", version="0.1.0")
    nlp.to_disk(tmp_path / "ruler")
    with Store.open(project_db) as store:
        store.add_trained_model(TrainedModel(0, "en_ruler", "0.1.0", str(tmp_path / "ruler"), "blank", "x", 1, 0, 1,
                                             0, 0, {}, {}, "tester", "2026-01-01T00:00:00"))
    window = make_window(project_db)
    store, doc = window.store, window.view.document.id
    text = window.view.document.text
    assert store.prediction(doc, "en_ruler", "0.1.0") is None
    window.choose_reference(Reference(PIPELINE, "en_ruler", "0.1.0", str(tmp_path / "ruler")))
    assert "running it on this document" in window.model_title.text()
    qtbot.waitUntil(lambda: window.model_title.text() == "Pipeline en_ruler 0.1.0 (run on this document, not stored)",
                    timeout=60_000)
    expected = {(m.start(), m.end(), "GPE") for m in re.finditer(r"\bMali\b", text)}  # the token, not "Malian"
    assert expected and shown(window.model_view) == expected
    # nothing stored: the reviewer's gold still starts from the prediction it did
    assert store.prediction(doc, "en_ruler", "0.1.0") is None and store.prediction(doc).pipeline != "en_ruler"
    other = next(d for d in store.document_ids() if d != doc)
    window.show_document(other)  # the next document: run again, with the pipeline already loaded
    qtbot.waitUntil(lambda: "not stored" in window.model_title.text(), timeout=60_000)
    other_text = window.view.document.text
    assert shown(window.model_view) == {(m.start(), m.end(), "GPE") for m in re.finditer(r"\bMali\b", other_text)}
    assert len(window._loaded) == 1
