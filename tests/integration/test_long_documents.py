"""Pre-annotation of any length: long texts run as pieces, a failing document never stops the rest."""

from __future__ import annotations

import pytest

from annotator.core.pieces import split_pieces, split_with_context
from annotator.ops.importing import import_paths
from annotator.ops.preannotate import preannotate
from annotator.pipeline import predict
from annotator.store import Store

pytestmark = pytest.mark.integration


def test_pieces_cover_the_text_and_start_after_whitespace(seeds_dir):
    for path in sorted(seeds_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for size in (80, 300, 1000):
            pieces = split_pieces(text, size)
            assert "".join(text[a:b] for a, b in pieces) == text
            assert all(b - a <= size for a, b in pieces)
            assert all(not text[a].isspace() for a, _ in pieces[1:])
            for p in split_with_context(text, size * 4, size // 10):
                assert p.context_start <= p.start < p.end <= p.context_end and p.context_end - p.context_start <= size * 4
    assert split_pieces("x" * 25, 10) == [(0, 10), (10, 20), (20, 25)]  # no whitespace at all: hard cuts


@pytest.mark.parametrize("piece_chars", [300, 1000, 2500])
def test_pieces_give_the_entities_and_tokens_of_one_pass_on_the_seeds(real_nlp, seeds_dir, piece_chars):
    items = [(i, p.read_text(encoding="utf-8")) for i, p in enumerate(sorted(seeds_dir.glob("*.txt")))]
    whole = {r.document_id: r for r in predict(real_nlp, items, piece_chars=10 ** 9)}
    cut = {r.document_id: r for r in predict(real_nlp, items, piece_chars=piece_chars, piece_context=piece_chars // 10)}
    assert sum(len(r.spans) for r in whole.values()) > 500
    for doc_id, r in whole.items():
        assert cut[doc_id].spans == r.spans
        assert list(cut[doc_id].tokens.starts) == list(r.tokens.starts)
        assert list(cut[doc_id].tokens.ends) == list(r.tokens.ends)


def test_a_text_over_a_million_characters_is_pre_annotated_with_the_others(real_nlp, tmp_path, seeds_dir):
    seed_texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    long_text = "\n".join(seed_texts) * 50  # ~1.08 million characters, the seeds' paragraphs over and over
    assert len(long_text) > 1_000_000
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "long.txt").write_text(long_text, encoding="utf-8")
    for i, text in enumerate(seed_texts):
        (tmp_path / "in" / f"seed{i}.txt").write_text(text, encoding="utf-8")
    with Store.open(tmp_path / "p.db") as store:
        import_paths(store, [tmp_path / "in"], annotator="tester")
        report = preannotate(store, real_nlp)
        assert report.failures == [] and report.done == 6
        long_id = next(i for i in store.document_ids() if store.document_source(i) == "long.txt")
        prediction = store.prediction(long_id)
        tokens = prediction.tokens
        assert tokens.ends[-1] == len(long_text.rstrip()) or tokens.ends[-1] == len(long_text)
        first = next(i for i in store.document_ids() if store.document_source(i) == "seed0.txt")
        seed_spans = store.prediction(first).spans
        # the long text starts with seed 0: its entities there are the seed's own
        assert [s for s in prediction.spans if s.end <= len(seed_texts[0]) - 50] == \
            [s for s in seed_spans if s.end <= len(seed_texts[0]) - 50]
        assert len(prediction.spans) > 40 * len(seed_spans)


def test_a_document_the_pipeline_fails_on_is_reported_and_skipped(real_nlp, tmp_path, seeds_dir):
    with Store.open(tmp_path / "p.db") as store:
        import_paths(store, [seeds_dir], annotator="tester")
        bad_id = store.document_ids()[2]
        bad_text = store.document(bad_id).text

        def failing_component(doc):  # noqa: ANN001, ANN202
            if doc.text == bad_text:
                raise RuntimeError("this pipeline cannot take this text")
            return doc

        from spacy.language import Language

        if "fail_on_one" not in Language.factories:
            Language.component("fail_on_one", func=failing_component)
        real_nlp.add_pipe("fail_on_one", last=True)
        try:
            report = preannotate(store, real_nlp, batch_size=2)
        finally:
            real_nlp.remove_pipe("fail_on_one")
        assert report.done == 4 and len(report.failures) == 1
        assert report.failures[0].startswith(store.document_source(bad_id)) and "cannot take this text" in report.failures[0]
        assert not store.has_prediction(bad_id)
        assert sum(store.has_prediction(i) for i in store.document_ids()) == 4
