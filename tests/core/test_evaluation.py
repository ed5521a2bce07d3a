"""Hand-computed scoring cases (spaCy's rules, boilerplate as missing annotation)."""

import pytest

from annotator.core.evaluation import MISSED, SPURIOUS, EvalDocument, evaluate
from annotator.core.spans import Range, Span


def find(text, needle, label):
    start = text.index(needle)
    return Span(start, start + len(needle), label)


@pytest.fixture
def doc(tokenize):
    text = "Putin met Keita in Bamako on Monday. Related: Kyiv news"
    gold = [find(text, "Putin", "PERSON"), find(text, "Keita", "PERSON"), find(text, "Bamako", "GPE"),
            find(text, "Monday", "DATE")]
    predicted = [
        find(text, "Putin", "PERSON"),  # right
        find(text, "Keita", "ORG"),  # type error
        find(text, "in Bamako", "GPE"),  # boundary error
        find(text, "Kyiv", "GPE"),  # inside boilerplate: neither right nor wrong
    ]  # Monday: missed
    return EvalDocument(1, "a.txt", text, tokenize(text), gold, predicted, [Range(text.index("Related"), len(text))])


def test_hand_computed_case(doc):
    result = evaluate([doc]).to_dict()
    per = result["ents_per_type"]
    assert {k: (v["tp"], v["fp"], v["fn"]) for k, v in per.items()} == {
        "PERSON": (1, 0, 1), "ORG": (0, 1, 0), "GPE": (0, 1, 1), "DATE": (0, 0, 1)}
    assert (result["tp"], result["fp"], result["fn"]) == (1, 2, 3)
    assert result["ents_p"] == pytest.approx(1 / 3) and result["ents_r"] == pytest.approx(1 / 4)
    assert result["ents_f"] == pytest.approx(2 * (1 / 3 * 1 / 4) / (1 / 3 + 1 / 4))
    assert result["confusion"] == {"PERSON": {"PERSON": 1, "ORG": 1}, SPURIOUS: {"GPE": 1},
                                   "GPE": {MISSED: 1}, "DATE": {MISSED: 1}}
    partial = result["partial"]
    assert (partial["predicted_matching"], partial["predicted"], partial["gold_matched"], partial["gold"]) == (2, 3, 2, 4)


def test_disagreements_name_type_boundary_and_missed(doc):
    kinds = [(d.kind, d.text, d.gold_label, d.predicted_label) for d in evaluate([doc]).disagreements]
    assert kinds == [("type", "Keita", "PERSON", "ORG"), ("boundary", "in Bamako", "GPE", "GPE"),
                     ("missed", "Monday", "DATE", None)]


def test_disagreements_carry_the_gold_span_and_the_predicted_span(doc):
    found = {d.kind: d for d in evaluate([doc]).disagreements}
    text = doc.text
    boundary = found["boundary"]
    assert (boundary.text, boundary.predicted_text, boundary.gold_text) == ("in Bamako", "in Bamako", "Bamako")
    assert text[boundary.start:boundary.end] == "in Bamako" and text[boundary.gold_start:boundary.gold_end] == "Bamako"
    typed = found["type"]
    assert (typed.gold_text, typed.predicted_text, typed.gold_start, typed.gold_end) == (
        "Keita", "Keita", typed.start, typed.end)
    missed = found["missed"]
    assert (missed.gold_text, missed.predicted_text) == ("Monday", None)
    assert (missed.gold_start, missed.gold_end) == (missed.start, missed.end)


def test_spurious_has_no_gold_span(tokenize):
    text = "Mali is large."
    (only,) = evaluate([EvalDocument(1, "a", text, tokenize(text), [], [Span(0, 4, "GPE")])]).disagreements
    assert (only.kind, only.predicted_text, only.gold_text, only.gold_start, only.gold_end) == (
        "spurious", "Mali", None, None, None)


def test_empty_gold_and_nothing_at_all(tokenize):
    text = "Mali is large."
    spurious = EvalDocument(1, "a", text, tokenize(text), [], [Span(0, 4, "GPE")])
    result = evaluate([spurious]).to_dict()
    assert result["ents_per_type"]["GPE"] == {"p": 0.0, "r": 0.0, "f": 0.0, "tp": 0, "fp": 1, "fn": 0}
    nothing = evaluate([EvalDocument(2, "b", text, tokenize(text), [], [])]).to_dict()
    assert nothing["ents_p"] is None and nothing["ents_per_type"] is None and nothing["documents"] == 1


def test_document_entirely_boilerplate_is_skipped(tokenize):
    text = "Related Articles"
    doc = EvalDocument(1, "a", text, tokenize(text), [], [Span(0, 7, "ORG")], [Range(0, len(text))])
    assert evaluate([doc]).documents == 0 and evaluate([doc]).to_dict()["fp"] == 0


def test_gold_entity_touching_boilerplate_is_missing_too(tokenize):
    text = "Kyiv and Mali today"
    gold = [Span(0, 4, "GPE"), Span(9, 13, "GPE")]
    doc = EvalDocument(1, "a", text, tokenize(text), gold, [Span(0, 4, "GPE")], [Range(2, 8)])
    result = evaluate([doc]).to_dict()
    assert (result["tp"], result["fp"], result["fn"]) == (0, 0, 1)  # Kyiv ignored, Mali missed
