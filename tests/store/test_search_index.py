"""The search index is built after import, in batches; searching never misses a document."""

from __future__ import annotations

from annotator.core.boilerplate import CORPUS_LINE_MAX_WORDS, _lines, short_line_norms
from annotator.ops import suggestions
from annotator.ops.importing import import_paths
from annotator.ops.indexing import index_pending
from annotator.store import Store


def test_short_line_norms_match_the_heuristics_own_lines(seeds_dir):
    odd = "a  b\r\nc\u00a0d\re\n\n  \n" + " ".join(["w"] * 12) + "\n" + " ".join(["w"] * 13) + "\nStraße  SHARE\n"
    for text in [p.read_text(encoding="utf-8") for p in seeds_dir.glob("*.txt")] + [odd]:
        expected = {line.norm for line in _lines(text) if line.words <= CORPUS_LINE_MAX_WORDS}
        assert short_line_norms(text) == expected


def test_search_finds_documents_before_and_after_indexing(store, seeds_dir):
    import_paths(store, [seeds_dir], annotator="me")
    assert store.unindexed_count() == 5 and store.indexed_upto() == 0
    before = {q: store.search_ids(q) for q in ("Mali", "Wagner", "Related Articles", "zzznothing")}
    assert before["Mali"] and before["zzznothing"] == []
    assert index_pending(store, batch=2) == 5
    assert store.unindexed_count() == 0 and store.indexed_upto() == max(store.document_ids())
    assert {q: store.search_ids(q) for q in before} == before
    assert store.search_ids('"unbalanced') == store.search_ids("unbalanced")  # quotes are escaped, never an error


def test_suggestions_from_stored_line_counts_equal_scanning_the_corpus(store, seeds_dir):
    import_paths(store, [seeds_dir], annotator="me")
    for k in range(2):  # the seeds share no line; these two do
        store.add_document(f"Story {k} about Mali and its neighbours, told at length here.\n"
                           "Reporting by the Bamako desk\nMore text follows in this paragraph.", f"s{k}.txt", f"hs{k}")
    index_pending(store)
    for doc_id in store.document_ids():
        text = store.document(doc_id).text
        assert suggestions.suggest_for(store, text) == suggestions.suggest_by_scanning(store, text)
    assert any("also in another document" in s.reasons for d in store.document_ids()
               for s in suggestions.suggest_for(store, store.document(d).text))


def test_two_processes_indexing_at_once_count_each_document_once(db_path, seeds_dir, tmp_path):
    import subprocess
    import sys

    with Store.open(db_path) as store:
        for k in range(40):
            store.add_document(f"Headline {k}\nShare this\nBody text {k} about Mali.", f"d{k}.txt", f"h{k}")
    code = ("import sys; from annotator.store import Store; from annotator.ops.indexing import index_pending;"
            "s = Store.open(sys.argv[1]); index_pending(s, batch=3); s.close()")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(db_path)]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with Store.open(db_path) as store:
        from annotator.core.boilerplate import line_key

        assert store.line_counts([line_key("share this")]) == {line_key("share this"): 40}
        assert len(store.search_ids("Mali")) == 40


def test_line_counts_of_a_batch_equal_counting_each_document_and_line(seeds_dir):
    import random
    from collections import Counter

    from annotator.core.boilerplate import line_key, short_line_counts, short_line_norms

    rng = random.Random(5)
    pieces = ["Share this article", "SHARE  this\tarticle ", "Read more", "Zoë 🎉 said", "\u2028", "\x0c", "a b c d",
              " ".join(["word"] * 12), " ".join(["word"] * 13), "", "   "]
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    for _ in range(300):
        texts.append("".join(rng.choice(pieces) + rng.choice(["\n", "\r\n", "\r", "\r\r\n", "\n\r", " "])
                             for _ in range(rng.randrange(1, 12))))
    expected: Counter[int] = Counter()
    for text in texts:
        expected.update(line_key(norm) for norm in short_line_norms(text))
    assert short_line_counts(texts) == dict(expected)
    assert short_line_counts([]) == {}
