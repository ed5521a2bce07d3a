"""Review → Adjudicate in the window, on the seeds: assign to three annotators with overlap, correct each
file through the ops the window calls (differently on purpose), merge, check the agreement against values
computed by hand, adjudicate with real key presses in the offscreen window, export: the exported gold is
exactly what was adjudicated. Plus three annotators on one document: who has which span, conflicts, taking
a span from annotator 3, labels and undo on the final gold."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from annotator.core import adjudication as core
from annotator.core.model import ACCEPTED, IN_PROGRESS, TODO
from annotator.core.render import CHANGED, SAME
from annotator.core.spans import Span
from annotator.core.team import FINAL
from annotator.ops import documents, gold_edits
from annotator.ops.agreement import project_agreement
from annotator.ops.assigning import assign
from annotator.ops.exporting import export
from annotator.ops.labels import project_labels
from annotator.ops.merging import merge_files
from annotator.ops.reference import ALL, MODEL, Reference
from annotator.store import Store
from tests.team.helpers import correct

pytestmark = [pytest.mark.gui, pytest.mark.integration]
ANNOTATORS = ["ann", "bob", "cy"]
ALT = Qt.KeyboardModifier.AltModifier
ALT_SHIFT = Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier
DIGITS = {1: Qt.Key.Key_1, 2: Qt.Key.Key_2, 3: Qt.Key.Key_3}


def keys(spans) -> set[tuple[int, int, str]]:
    return {(s.start, s.end, s.label) for s in spans}


def enter_adjudication(qtbot, window) -> None:
    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: window.adjudicating, timeout=30_000)


def take_at(qtbot, window, span: Span, k: int) -> None:
    """Cursor into ``span`` in the final-gold pane, then Alt+k."""
    window.gold_view.setFocus()
    window.gold_view.place_cursor(span.start + 1 if span.end - span.start > 1 else span.start)
    qtbot.keyClick(window.gold_view, DIGITS[k], ALT)


def test_round_trip_assign_correct_merge_agree_adjudicate_by_keys_export(qtbot, make_window, project_db, tmp_path):
    out = tmp_path / "team"
    with Store.open(project_db) as store:
        report = assign(store, out, ANNOTATORS, overlap=0.6, seed=0)
        assert (report.documents, report.shared) == (5, 3)
        model = {doc: store.prediction(doc, with_tokens=False).spans for doc in store.document_ids()}
        texts = {doc: store.document(doc).text for doc in store.document_ids()}
        by_hash = {store.document(doc).content_hash: doc for doc in store.document_ids()}
    holders: dict[int, list[str]] = {}
    for name in ANNOTATORS:  # ann: Mali PERSON -> GPE; bob: -> LOC; cy: -> GPE and every DATE deleted
        correct(out / f"{name}.db", name)
        with Store.open(out / f"{name}.db", create=False) as own:
            for doc in own.document_ids():
                holders.setdefault(by_hash[own.document(doc).content_hash], []).append(name)
    shared = {doc: tuple(who) for doc, who in holders.items() if len(who) == 2}
    assert sorted(shared.values()) == [("ann", "bob"), ("ann", "cy"), ("bob", "cy")]
    with Store.open(project_db) as store:
        merge_files(store, [out / f"{name}.db" for name in ANNOTATORS])
        result = project_agreement(store)

    # agreement by hand: n model spans, p of them "Mali" PERSON, w DATE
    expected_order = []
    for doc, pair in shared.items():
        spans, text = model[doc], texts[doc]
        n = len(spans)
        p = sum(1 for s in spans if text[s.start:s.end] == "Mali" and s.label == "PERSON")
        w = sum(1 for s in spans if s.label == "DATE")
        agreed, sizes, disputed = {("ann", "bob"): (n - p, (n, n), 2 * p), ("ann", "cy"): (n - w, (n, n - w), w),
                                   ("bob", "cy"): (n - p - w, (n, n - w), 2 * p + w)}[pair]
        scores = result.pairs[pair]
        assert (scores.agreed, scores.spans_a, scores.spans_b) == (agreed, *sizes)
        assert scores.exact_f1 == pytest.approx(2 * agreed / sum(sizes))
        expected_order.append((disputed, doc))
    queue = [doc for _d, doc in sorted(expected_order, key=lambda e: -e[0])]
    assert [d.document_id for d in result.documents] == queue

    window = make_window(project_db)
    reviewer = window.annotator
    enter_adjudication(qtbot, window)
    assert window.annotator == FINAL and window.reference.kind == ALL
    assert window.doc_model.loaded_ids() == queue  # most disagreement first
    model = window.doc_model
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Disputed"
    assert [model.index(row, 2).data() for row in range(model.rowCount())] == [
        d for d, _doc in sorted(expected_order, key=lambda e: -e[0])]  # the hand-computed disputed spans
    assert not window.state_filter.isEnabled() and not window.committee_action.isEnabled()
    window.apply_filter()  # e.g. a background pre-annotation ending: the queue stays
    assert window.doc_model.loaded_ids() == queue and window.list_order == "adjudication"
    store = window.store
    labels = project_labels(store).names
    decided: dict[int, set[tuple[int, int, str]]] = {}
    for doc in queue:
        assert window.view.document.id == doc
        pair = shared[doc]
        a = window.adjudication_view
        assert a.annotators == pair
        layers = {layer.annotator: layer for layer in a.layers}
        agreed = keys(layers[pair[0]].spans) & keys(layers[pair[1]].spans)
        assert keys(window.view.gold) == agreed  # the final gold starts agreed
        assert store.gold(doc, FINAL) == [] and store.review(doc, FINAL).state == TODO  # opening writes nothing
        assert str(doc) and pair[0] in window.model_title.text() and pair[1] in window.model_title.text()
        shown = window.model_view.rendering.highlights  # every annotator's spans, each with who has it
        assert keys(Span(h.start, h.end, h.label) for h in shown) == keys(c.span for c in a.candidates)
        for h in shown:
            if (h.start, h.end, h.label) in agreed:
                assert h.tag == f"{h.label} · 1 2"  # by the annotators' numbers: their Alt+n keys
        if pair == ("ann", "bob"):  # ann's all, by Alt+Shift+1
            conflict = next(c for c in a.candidates if c.status == core.CONFLICT)
            assert conflict.description == "ann: GPE / bob: LOC"
            assert {h.tag for h in shown if (h.start, h.end) == (conflict.span.start, conflict.span.end)} == {
                "1: GPE / 2: LOC", ""}  # one tag for the group
            qtbot.keyClick(window.gold_view, Qt.Key.Key_1, ALT_SHIFT)
            decided[doc] = keys(layers["ann"].spans)
        elif pair == ("ann", "cy"):  # cy's all, by Alt+Shift+2
            qtbot.keyClick(window.gold_view, Qt.Key.Key_2, ALT_SHIFT)
            decided[doc] = keys(layers["cy"].spans)
        else:  # bob / cy: every conflict from cy (Alt+2 at the span), the DATEs only bob kept (Alt+1 at each)
            for candidate in a.candidates:
                if candidate.status == core.CONFLICT and candidate.holders == ("cy",):
                    take_at(qtbot, window, candidate.span, 2)
                elif candidate.status == core.PARTIAL:
                    take_at(qtbot, window, candidate.span, 1)
            decided[doc] = keys(layers["cy"].spans) | keys(layers["bob"].spans) - keys(
                s for s in layers["bob"].spans if texts[doc][s.start:s.end] == "Mali" and s.label == "LOC")
        assert keys(window.view.gold) == decided[doc]
        window.gold_view.setFocus()
        qtbot.keyClick(window.gold_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # accept
        assert store.review(doc, FINAL).state == ACCEPTED
        assert keys(store.gold(doc, FINAL)) == decided[doc]  # written by the first take, or by the accept
    assert "adjudicated" in window.statusBar().currentMessage()

    qtbot.keyClick(window.gold_view, Qt.Key.Key_F9)  # back to normal review
    assert not window.adjudicating and window.annotator == reviewer and window.state_filter.isEnabled()
    assert window.doc_model.headerData(2, Qt.Orientation.Horizontal) == "Spans"
    assert window.committee_action.isEnabled() and window.doc_model.rowCount() == 5

    final = export(store, tmp_path / "gold.jsonl")
    assert final.documents == 5 and final.gold.conflicts == 0
    records = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    for record in records:
        doc = record["meta"]["document_id"]
        spans = {(s["start"], s["end"], s["label"]) for s in record["spans"]}
        if doc in shared:
            assert spans == decided[doc] and record["_annotator_id"] == reviewer
        else:
            (who,) = holders[doc]
            assert spans == keys(store.gold(doc, who))
    assert set(labels) >= {s[2] for spans in decided.values() for s in spans}


@pytest.fixture
def three_db(project_db):
    """The first seed annotated by three people in the project: ann relabels "Mali" PERSON as GPE, bob as LOC,
    cy deletes every DATE; all accept."""
    with Store.open(project_db) as store:
        doc = store.document_ids()[0]
        labels = project_labels(store).names
        for name in ANNOTATORS:
            view = documents.open_document(store, doc, name)
            text = view.document.text
            for span in view.gold:
                if text[span.start:span.end] == "Mali" and span.label == "PERSON" and name != "cy":
                    gold_edits.relabel_span(store, doc, name, span, "LOC" if name == "bob" else "GPE", labels)
                elif span.label == "DATE" and name == "cy":
                    gold_edits.remove_span(store, doc, name, span)
            gold_edits.set_state(store, doc, name, ACCEPTED)
    return project_db


def test_three_annotators_take_from_the_third_label_and_undo_on_the_final_gold(qtbot, make_window, three_db):
    window = make_window(three_db)
    enter_adjudication(qtbot, window)
    store, doc = window.store, window.view.document.id
    a = window.adjudication_view
    assert a.annotators == ("ann", "bob", "cy")
    text = window.view.document.text
    assert "1: ann  2: bob  3: cy" in window.model_title.text()
    mali = next(c for c in a.candidates if c.status == core.CONFLICT)
    assert mali.description == "ann: GPE / bob: LOC / cy: PERSON"
    assert "1: GPE / 2: LOC / 3: PERSON" in {h.tag for h in window.model_view.rendering.highlights}
    date = next(c for c in a.candidates if c.status == core.PARTIAL)
    assert date.holders == ("ann", "bob") and date.span.label == "DATE"
    assert keys([date.span, mali.span]).isdisjoint(keys(window.view.gold))

    take_at(qtbot, window, mali.span, 3)  # cy's PERSON
    assert (mali.span.start, mali.span.end, "PERSON") in keys(store.gold(doc, FINAL))
    window.update_guidance()  # the hint names the mode's keys, not Ctrl+R (refused in the mode)
    assert "Alt+A all agreed" in window.hint_label.text() and "Ctrl+R" not in window.hint_label.text()
    essentials = window.doc_status.text().split(" · ")[:3]  # file · final gold … · who is 1, 2, 3
    assert essentials[2] == "1 ann, 2 bob, 3 cy"
    assert window.doc_status.minimumSizeHint().width() >= window.doc_status.fontMetrics().horizontalAdvance(
        " · ".join(essentials))  # never cut in a crowded status bar
    take_at(qtbot, window, mali.span, 1)  # changed my mind: ann's GPE replaces it
    assert (mali.span.start, mali.span.end, "GPE") in keys(store.gold(doc, FINAL))
    assert (mali.span.start, mali.span.end, "PERSON") not in keys(store.gold(doc, FINAL))
    qtbot.keyClick(window.gold_view, Qt.Key.Key_L)  # the label key relabels the final span: LOC
    assert (mali.span.start, mali.span.end, "LOC") in keys(store.gold(doc, FINAL))
    assert store.gold(doc, "ann") and all(s.label != "LOC" or text[s.start:s.end] != "Mali"
                                          for s in store.gold(doc, "ann"))  # nobody's own gold changes
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo: GPE again
    assert (mali.span.start, mali.span.end, "GPE") in keys(store.gold(doc, FINAL))
    window.gold_view.select_range(mali.span.start, mali.span.end)
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Left, ALT)  # boundaries as in review: the start one token left
    grown = window.span_at_cursor()
    assert grown.end == mali.span.end and grown.start < mali.span.start and grown in store.gold(doc, FINAL)
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (mali.span.start, mali.span.end, "GPE") in keys(store.gold(doc, FINAL))
    # the differences are between the candidates and the final gold: ann's GPE is the final's, bob's LOC and
    # cy's PERSON there differ from it
    shown = {(h.start, h.end, h.label): h.status for h in window.model_view.rendering.highlights}
    bounds = (mali.span.start, mali.span.end)
    assert (shown[(*bounds, "GPE")], shown[(*bounds, "LOC")], shown[(*bounds, "PERSON")]) == (SAME, CHANGED, CHANGED)
    gold_marks = {(h.start, h.end): h for h in window.gold_view.rendering.highlights if not h.ghost}
    assert gold_marks[bounds].status == SAME

    at = window.view.gold[0].start
    window.gold_view.place_cursor(at)
    qtbot.keyClick(window.gold_view, Qt.Key.Key_B)  # boilerplate on the final gold: the line at the cursor
    line = (text.rfind("\n", 0, at) + 1, text.find("\n", at) if "\n" in text[at:] else len(text))
    assert [(r.start, r.end) for r in store.boilerplate(doc, FINAL)] == [line]
    assert store.boilerplate(doc, "ann") == []
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert store.boilerplate(doc, FINAL) == [] and window.view.boilerplate == []

    before = keys(store.gold(doc, FINAL))
    qtbot.keyClick(window.gold_view, Qt.Key.Key_A, ALT)  # every agreed span: already there, nothing changes
    assert keys(store.gold(doc, FINAL)) == before
    qtbot.keyClick(window.gold_view, Qt.Key.Key_3, ALT_SHIFT)  # all of cy's
    cy = keys(c.span for c in a.candidates if "cy" in c.holders)
    assert keys(store.gold(doc, FINAL)) == cy
    final_span = window.view.gold[0]
    window.gold_view.select_range(final_span.start, final_span.end)
    qtbot.keyClick(window.gold_view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # would reach other documents
    assert "not while adjudicating" in window.statusBar().currentMessage()
    assert [d for d in store.document_ids() if store.review(d, FINAL).state != "todo"] == [doc]
    window.choose_reference(Reference(MODEL))  # any reference beside the final gold: here the model's prediction
    prediction = store.prediction(doc, with_tokens=False)
    assert {(h.start, h.end, h.label) for h in window.model_view.rendering.highlights if not h.ghost} == keys(
        prediction.spans) and window.model_title.text() == f"Model: {prediction.pipeline} {prediction.version} (read-only)"
    window.choose_reference(Reference(ALL))
    window.gold_view.place_cursor(0)
    qtbot.keyClick(window.gold_view, Qt.Key.Key_4, ALT)  # there is no annotator 4: said, nothing changes
    assert "no 4" in window.statusBar().currentMessage() and keys(store.gold(doc, FINAL)) == cy
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert store.review(doc, FINAL).state == ACCEPTED
    assert store.gold(doc, "ann") and store.review(doc, "ann").state == ACCEPTED  # their layers untouched


def test_nothing_to_adjudicate_is_said_and_the_window_stays_in_review(qtbot, window):
    enter = window.adjudicate_action
    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: "Nothing to adjudicate" in window.statusBar().currentMessage(), timeout=30_000)
    assert not window.adjudicating and not enter.isChecked() and window.annotator == "tester"
    assert window.doc_model.rowCount() == 5


def test_reopening_in_the_mode_shows_the_same_and_sees_another_process_change_a_layer(qtbot, make_window, three_db):
    import subprocess
    import sys
    from pathlib import Path

    from annotator.gui.reference import ReferenceMixin

    window = make_window(three_db)
    enter_adjudication(qtbot, window)
    doc, a = window.view.document.id, window.adjudication_view
    left, right = window.model_view.rendering, window.gold_view.rendering
    # the one-pass left pane (tags computed once per document) is what the general reference path paints
    assert left == ReferenceMixin._render_reference(window)
    assert sum(1 for h in left.highlights if h.caption) >= len({c.group for c in a.candidates})
    window.show_document(doc)  # again: layers and candidates from the cache, the same panes
    assert window.adjudication_view.candidates is a.candidates
    assert (window.model_view.rendering, window.gold_view.rendering) == (left, right)

    date = next(c for c in a.candidates if c.status == core.PARTIAL)  # ann's and bob's DATE (cy deleted them)
    script = (f"from annotator.store import Store\nfrom annotator.ops import gold_edits\n"
              f"from annotator.core.spans import Span\n"
              f"with Store.open({str(three_db)!r}, create=False) as store:\n"
              f"    gold_edits.relabel_span(store, {doc}, 'bob', Span(*{tuple(date.span)!r}), 'ORG', "
              f"['ORG', 'DATE'])\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120,
                   cwd=Path(__file__).resolve().parents[2])  # e.g. a merge of bob's file, by another process
    window.show_document(doc)
    found = {(c.span.start, c.span.end, c.span.label): c for c in window.adjudication_view.candidates}
    at = (date.span.start, date.span.end)
    assert found[(*at, "ORG")].holders == ("bob",) and found[(*at, "DATE")].holders == ("ann",)
    tags = {(h.start, h.end, h.label): h.tag for h in window.model_view.rendering.highlights}
    assert tags[(*at, "DATE")] == "1: DATE / 2: ORG" and tags[(*at, "ORG")] == ""
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    take_at(qtbot, window, date.span, 2)  # Alt+2 takes bob's new ORG: the keys act on what was read again
    assert (*at, "ORG") in keys(window.store.gold(doc, FINAL))


@pytest.fixture
def two_db(project_db):
    """The first two seeds annotated by ann and bob (bob relabels every "Mali" PERSON as LOC on the first,
    every DATE as TIME on the second); both accept."""
    with Store.open(project_db) as store:
        labels = project_labels(store).names
        for doc, change in zip(store.document_ids()[:2], ({"PERSON": "LOC"}, {"DATE": "TIME"})):
            for name in ("ann", "bob"):
                view = documents.open_document(store, doc, name)
                for span in view.gold:
                    if name == "bob" and span.label in change and (
                            span.label != "PERSON" or view.document.text[span.start:span.end] == "Mali"):
                        gold_edits.relabel_span(store, doc, name, span, change[span.label], labels)
                gold_edits.set_state(store, doc, name, ACCEPTED)
    return project_db


def relabel_in_another_process(db, doc: int, who: str, span: Span, label: str) -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = (f"from annotator.store import Store\nfrom annotator.ops import gold_edits\n"
              f"from annotator.core.spans import Span\n"
              f"with Store.open({str(db)!r}, create=False) as store:\n"
              f"    gold_edits.relabel_span(store, {doc}, {who!r}, Span(*{tuple(span)!r}), {label!r}, "
              f"[{label!r}, {span.label!r}])\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120, cwd=Path(__file__).resolve().parents[2])


def test_the_next_document_is_read_ahead_and_ctrl_enter_opens_it_with_what_was_read(qtbot, make_window, two_db):
    from annotator.ops import adjudication

    window = make_window(two_db)
    enter_adjudication(qtbot, window)
    store, current = window.store, window.view.document.id
    nxt = window.next_to_review(current)
    assert nxt is not None and nxt != current
    cache = window._candidate_cache
    qtbot.waitUntil(lambda: cache.has(store, nxt), timeout=30_000)  # read in the worker while this one is shown
    ahead = cache.get(store, nxt)[1]
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # accept, open the next
    assert store.review(current, FINAL).state == ACCEPTED and window.view.document.id == nxt
    a = window.adjudication_view
    assert a.candidates is ahead and a.candidates == core.candidates(adjudication._layers(store, nxt))
    assert keys(window.view.gold) == keys(c.span for c in a.candidates if c.status == core.AGREED)
    assert store.gold(nxt, FINAL) == []  # shown as it starts; written by the first edit
    disputed = next(c for c in a.candidates if c.holders == ("bob",))
    take_at(qtbot, window, disputed.span, 2)  # Alt+2: bob's span into the final gold
    assert tuple(disputed.span[:3]) in keys(store.gold(nxt, FINAL))


def test_a_layer_changed_after_the_read_ahead_is_read_again(qtbot, make_window, two_db):
    window = make_window(two_db)
    enter_adjudication(qtbot, window)
    store, current = window.store, window.view.document.id
    nxt = window.next_to_review(current)
    qtbot.waitUntil(lambda: window._candidate_cache.has(store, nxt), timeout=30_000)
    ahead = window._candidate_cache.get(store, nxt)[1]
    agreed = next(c for c in ahead if c.status == core.AGREED)
    relabel_in_another_process(two_db, nxt, "ann", agreed.span, "NORP")  # after the read ahead
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.view.document.id == nxt
    a = window.adjudication_view
    assert a.candidates is not ahead
    found = {(c.span.start, c.span.end, c.span.label): c for c in a.candidates}
    at = (agreed.span.start, agreed.span.end)
    assert found[(*at, "NORP")].holders == ("ann",) and found[(*at, agreed.span.label)].holders == ("bob",)
    assert (*at, agreed.span.label) not in keys(store.gold(nxt, FINAL))  # no longer agreed: not in the final gold


def test_opening_writes_nothing_and_the_first_edit_starts_the_final_gold_in_one_undoable_step(
        qtbot, make_window, three_db):
    """As in review: the final gold shown on opening is what it starts as (the agreed spans);
    the first edit writes it together with the edit (opening wrote 3,670 rows and an fsync at
    5,000 spans per annotator: the slow part of a first open), and undo takes both back."""
    window = make_window(three_db)
    enter_adjudication(qtbot, window)
    store, doc = window.store, window.view.document.id
    a = window.adjudication_view
    agreed = keys(c.span for c in a.candidates if c.status == core.AGREED)
    assert keys(window.view.gold) == agreed
    assert store.review(doc, FINAL).state == TODO and store.gold(doc, FINAL) == []
    assert "final gold not started" in window.doc_status.text()
    mali = next(c for c in a.candidates if c.status == core.CONFLICT)
    person = (mali.span.start, mali.span.end, "PERSON")

    take_at(qtbot, window, mali.span, 3)  # cy's PERSON: the final gold is created, then the span taken
    assert keys(store.gold(doc, FINAL)) == agreed | {person} == keys(window.view.gold)
    assert store.review(doc, FINAL).state == IN_PROGRESS
    assert "final gold in progress" in window.doc_status.text()

    window.gold_view.setFocus()
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # one step back
    assert keys(window.view.gold) == agreed and store.review(doc, FINAL).state == TODO
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert keys(store.gold(doc, FINAL)) == agreed | {person} and store.review(doc, FINAL).state == IN_PROGRESS
