"""The training corpora follow the team's gold rule, exactly as `annotator export --format spacy --split`."""

from __future__ import annotations

import pytest

from annotator.core.model import ACCEPTED, IN_PROGRESS
from annotator.ops import adjudication, gold_edits
from annotator.ops.exporting import export
from annotator.ops.training import write_training_config
from annotator.ops.training_config import TrainingSettings
from annotator.store import Store
from tests.team.helpers import LABELS, TEXTS, find, make_project


def corpus(path, vocab) -> list[tuple[str, list[tuple[int, int, str]], list[str]]]:
    """Each Doc of a corpus (a .spacy file or a folder of them) as (text, entities, IOB tags)."""
    from spacy.tokens import DocBin

    files = sorted(path.glob("*.spacy")) if path.is_dir() else [path]
    return [(d.text, [(e.start_char, e.end_char, e.label_) for e in d.ents], [t.ent_iob_ for t in d])
            for f in files for d in DocBin().from_disk(f).get_docs(vocab)]


def review(store: Store, doc: int, who: str, mali: str, state: str = ACCEPTED) -> None:
    text = store.document(doc).text
    gold_edits.start_review(store, doc, who)
    gold_edits.relabel_span(store, doc, who, find(text, "Mali", "PERSON")._replace(origin="model"), mali, LABELS)
    gold_edits.set_state(store, doc, who, state)


@pytest.fixture
def team_project(store, tokenize):
    """Two annotators: they agree on most documents, disagree on one (left out), disagree on another
    that was adjudicated; one document only ann accepted; one that ann accepted and bob still works on
    (bob's review is the document's latest, and it is not accepted)."""
    ids = make_project(store.path, tokenize, TEXTS)
    store.set_dev_fraction(0.5)
    conflict, adjudicated, single, working = ids[:4]
    for doc in ids:
        review(store, doc, "ann", "GPE")
        if doc == single:
            continue
        if doc == working:
            review(store, doc, "bob", "GPE", IN_PROGRESS)
        else:
            review(store, doc, "bob", "LOC" if doc in (conflict, adjudicated) else "GPE")
    adjudication.accept(store, adjudicated, "lead")  # the agreed spans only: Keita
    return store, {"conflict": conflict, "adjudicated": adjudicated, "single": single, "working": working}


def test_training_corpora_are_the_exported_splits(team_project, tmp_path, blank_nlp):
    store, docs = team_project
    config, corpora = write_training_config(store, TrainingSettings(blank="en"), tmp_path / "c.cfg")
    trained = {split: corpus(tmp_path / f"c.{split}.spacy", blank_nlp.vocab) for split in ("train", "dev")}
    exported = {}
    for split in ("train", "dev"):
        report = export(store, tmp_path / f"{split}.spacy", fmt="spacy", split=split, tokenizer=lambda: blank_nlp)
        exported[split] = corpus(tmp_path / f"{split}.spacy", blank_nlp.vocab)
        assert trained[split] == exported[split], split
        assert report.gold.conflicts == (store.split_of(docs["conflict"]) == split)
    assert trained["train"] and trained["dev"]
    assert corpora.train_documents + corpora.dev_documents == len(TEXTS) - 1  # the conflict is left out
    assert corpora.report.gold.conflicts == 1 and corpora.report.gold.kinds["adjudicated"] == 1
    texts = {text: ents for split in trained.values() for text, ents, _ in split}
    conflict_text, adjudicated_text = (store.document(docs[k]).text for k in ("conflict", "adjudicated"))
    assert conflict_text not in texts
    assert texts[adjudicated_text] == [tuple(find(adjudicated_text, "Keita", "PERSON")[:3])]
    for key in ("single", "working"):  # ann's accepted gold, whatever bob does after
        text = store.document(docs[key]).text
        assert tuple(find(text, "Mali", "GPE")[:3]) in texts[text]
    assert store.split_counts() == {"train": corpora.train_documents + (store.split_of(docs["conflict"]) == "train"),
                                    "dev": corpora.dev_documents + (store.split_of(docs["conflict"]) == "dev")}


def test_a_large_corpus_is_written_in_shards_that_spacy_reads_in_order(team_project, tmp_path, blank_nlp,
                                                                         monkeypatch):
    from spacy.training import Corpus

    from annotator.ops import training_data

    store, _docs = team_project
    monkeypatch.setattr(training_data, "SHARD_TOKENS", 12)  # a document or two a shard
    _config, corpora = write_training_config(store, TrainingSettings(blank="en"), tmp_path / "c.cfg")
    train = tmp_path / "c.train.spacy"
    shards = sorted(p.name for p in train.iterdir())
    assert train.is_dir() and len(shards) >= 3 and shards[0] == "000000.spacy" and len(shards) < corpora.train_documents + 1
    read = [(eg.reference.text, [(e.start_char, e.end_char, e.label_) for e in eg.reference.ents])
            for eg in Corpus(str(train))(blank_nlp)]
    export(store, tmp_path / "train.spacy", fmt="spacy", split="train", tokenizer=lambda: blank_nlp)
    assert read == [(text, ents) for text, ents, _ in corpus(tmp_path / "train.spacy", blank_nlp.vocab)]
    assert len(read) == corpora.train_documents
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
    monkeypatch.setattr(training_data, "SHARD_TOKENS", 100_000)  # written again, smaller: one file in its place
    write_training_config(store, TrainingSettings(blank="en"), tmp_path / "c.cfg")
    assert train.is_file() and corpus(train, blank_nlp.vocab) == corpus(tmp_path / "train.spacy", blank_nlp.vocab)
