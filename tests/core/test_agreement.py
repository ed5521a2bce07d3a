"""Agreement: hand-computed cases, and an independent computation (spaCy's IOB tags, scikit-learn's kappa,
the evaluation module's exact-match F1) on random layers."""

from __future__ import annotations

import random

import pytest
from sklearn.metrics import cohen_kappa_score
from spacy.training import biluo_to_iob, offsets_to_biluo_tags

from annotator.core.agreement import AgreementDocument, cohen_kappa, iob_tags, measure
from annotator.core.evaluation import EvalDocument, evaluate
from annotator.core.spans import Range, Span
from annotator.core.team import Layer
from annotator.core.tokens import Tokens

TEXT = "President Ibrahim Keita met Putin in Bamako."


def span(text: str, surface: str, label: str) -> Span:
    start = text.index(surface)
    return Span(start, start + len(surface), label)


def doc(blank_nlp, text: str, layers: list[Layer], doc_id: int = 1) -> AgreementDocument:
    return AgreementDocument(doc_id, f"d{doc_id}", text, Tokens.from_doc(blank_nlp(text)), layers)


def test_pair_by_hand(blank_nlp):
    a = Layer("ann", [span(TEXT, "Ibrahim Keita", "PERSON"), span(TEXT, "Putin", "PERSON"), span(TEXT, "Bamako", "GPE")], [])
    b = Layer("bob", [span(TEXT, "President Ibrahim Keita", "PERSON"), span(TEXT, "Putin", "PERSON"),
                      span(TEXT, "Bamako", "LOC")], [])
    result = measure([doc(blank_nlp, TEXT, [a, b])])
    pair = result.pairs[("ann", "bob")]
    assert (pair.agreed, pair.spans_a, pair.spans_b) == (1, 3, 3)
    assert pair.exact_f1 == pytest.approx(1 / 3)
    assert (pair.overlap_a, pair.overlap_b) == (2, 2) and pair.overlap_f1 == pytest.approx(2 / 3)
    # tokens President Ibrahim Keita met Putin in Bamako . -> observed 5/8, chance 18/64
    assert pair.tokens == 8 and pair.kappa == pytest.approx(11 / 23)
    assert {k: (v.agreed, v.spans) for k, v in result.per_label.items()} == {"PERSON": (1, 4), "GPE": (0, 1), "LOC": (0, 1)}
    (ranked,) = result.documents
    assert (ranked.disputed, ranked.spans) == (4, 5)  # Putin is the only span both have


def test_boilerplate_either_marked_is_left_out(blank_nlp):
    text = "Putin spoke.\nShare on Facebook"
    share = Range(text.index("Share"), len(text))
    a = Layer("ann", [span(text, "Putin", "PERSON")], [share])
    b = Layer("bob", [span(text, "Putin", "PERSON"), span(text, "Facebook", "ORG")], [])
    pair = measure([doc(blank_nlp, text, [a, b])]).pairs[("ann", "bob")]
    assert pair.exact_f1 == 1.0 and pair.overlap_f1 == 1.0
    assert pair.tokens == 3  # Putin spoke . ; the newline is whitespace, the rest is ann's boilerplate
    assert pair.kappa == 1.0
    assert (pair.boilerplate_both, pair.boilerplate_either) == (0, len("Share on Facebook"))


def test_three_annotators_pairs_and_ranking(blank_nlp):
    t1, t2 = "Mali said Keita met Putin.", "Keita visited Bamako."
    mali = span(t1, "Mali", "GPE")
    d1 = doc(blank_nlp, t1, [Layer("a", [mali, span(t1, "Putin", "PERSON")], []),
                             Layer("b", [mali._replace(label="LOC"), span(t1, "Putin", "PERSON")], []),
                             Layer("c", [mali, span(t1, "Putin", "PERSON")], [])], 1)
    same = [span(t2, "Keita", "PERSON"), span(t2, "Bamako", "GPE")]
    d2 = doc(blank_nlp, t2, [Layer("a", same, []), Layer("b", same, [])], 2)
    result = measure([d2, d1])
    assert sorted(result.pairs) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert result.pairs[("a", "b")].exact_f1 == pytest.approx((2 * (1 + 2)) / (4 + 4))
    assert result.pairs[("a", "c")].exact_f1 == 1.0 and result.pairs[("a", "c")].documents == 1
    assert result.pairs[("b", "c")].exact_f1 == pytest.approx(0.5)
    assert [d.document_id for d in result.documents] == [1, 2]
    assert (result.documents[0].disputed, result.documents[1].disputed) == (2, 0)
    assert result.documents[0].exact_f1 == pytest.approx((0.5 + 1.0 + 0.5) / 3)
    total = result.total
    assert total.exact_f1 == pytest.approx(2 * (1 + 2 + 2 + 1) / (4 + 4 + 4 + 4))


def test_kappa_formula_edge_cases():
    from collections import Counter

    assert cohen_kappa(Counter()) is None
    assert cohen_kappa(Counter({("O", "O"): 7})) is None  # chance agreement is total: undefined
    assert cohen_kappa(Counter({("O", "O"): 3, ("B-X", "B-X"): 1})) == 1.0


def _random_layer(rng: random.Random, name: str, tokens: Tokens, labels: list[str]) -> Layer:
    spans, i = [], 0
    while i < len(tokens):
        if rng.random() < 0.3:
            j = min(len(tokens) - 1, i + rng.randint(0, 2))
            spans.append(Span(tokens.starts[i], tokens.ends[j], rng.choice(labels)))
            i = j + 2
        else:
            i += 1
    return Layer(name, spans, [])


def test_random_layers_against_spacy_tags_sklearn_kappa_and_evaluation_f1(blank_nlp):
    rng = random.Random(5)
    words = "Mali Keita Putin Bamako said met in the army Wagner Kyiv on Monday".split()
    labels = ["PERSON", "GPE", "ORG"]
    docs, expected_a, expected_b, eval_docs = [], [], [], []
    for n in range(40):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 25))) + "."
        spacy_doc = blank_nlp(text)
        tokens = Tokens.from_doc(spacy_doc)
        a, b = _random_layer(rng, "a", tokens, labels), _random_layer(rng, "b", tokens, labels)
        if rng.random() < 0.3:
            b = Layer("b", list(a.spans), [])  # some documents agree fully
        docs.append(AgreementDocument(n, str(n), text, tokens, [a, b]))
        for layer, out in ((a, expected_a), (b, expected_b)):
            biluo = offsets_to_biluo_tags(spacy_doc, [(s.start, s.end, s.label) for s in layer.spans])
            iob = biluo_to_iob(biluo)
            assert iob == iob_tags(layer.spans, tokens)
            out.extend(iob)
        eval_docs.append(EvalDocument(n, str(n), text, tokens, a.spans, b.spans))
    pair = measure(docs).pairs[("a", "b")]
    assert pair.kappa == pytest.approx(cohen_kappa_score(expected_a, expected_b), abs=1e-12)
    scored = evaluate(eval_docs).totals
    assert pair.exact_f1 == pytest.approx(scored.fscore, abs=1e-12)
    assert pair.agreed == scored.tp and pair.spans_b - pair.agreed == scored.fp
