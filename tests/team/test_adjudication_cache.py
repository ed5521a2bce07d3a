"""Reopening a document for adjudication reuses its layers and candidates only while nothing of it
changed, whoever changed it (another process writing an annotator's layer, or the adjudicator)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


from annotator.core import adjudication as core
from annotator.core.model import ACCEPTED
from annotator.ops import adjudication, gold_edits
from annotator.store import Store, team
from tests.team.helpers import LABELS, TEXTS, find, make_project

TEXT = TEXTS[0]  # "Report 0: Mali said Keita met Putin in Bamako on Monday."
ROOT = Path(__file__).resolve().parents[2]


def in_another_process(db: Path, code: str) -> None:
    """Run ``code`` (with ``store`` open on ``db``) in a separate Python process, as a merge would."""
    script = f"from annotator.store import Store\nwith Store.open({str(db)!r}, create=False) as store:\n" + "".join(
        f"    {line}\n" for line in code.splitlines())
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, timeout=120)


def candidate_keys(view) -> set[tuple[int, int, str, tuple[str, ...]]]:
    return {(*c.span[:3], c.holders) for c in view.candidates}


def test_reopening_reuses_the_candidates_until_another_process_changes_a_layer(store, disputed):
    doc, cache = disputed, adjudication.CandidateCache()
    first = adjudication.open_adjudication(store, doc, "lead", cache=cache)  # creates the final gold
    again = adjudication.open_adjudication(store, doc, "lead", start=False, cache=cache)
    assert again.candidates is first.candidates and again.layers == first.layers  # nothing read again
    assert again.final == first.final == [find(TEXT, "Keita", "PERSON")._replace(origin="human")]

    keita = find(TEXT, "Keita", "PERSON")
    in_another_process(store.path, f"""from annotator.ops import gold_edits
from annotator.core.spans import Span
gold_edits.relabel_span(store, {doc}, "bob", Span({keita.start}, {keita.end}, "PERSON", "model"), "ORG",
                        {LABELS!r})""")
    changed = adjudication.open_adjudication(store, doc, "lead", start=False, cache=cache)
    assert changed.candidates is not first.candidates
    fresh = core.candidates(adjudication._layers(store, doc))
    assert changed.candidates == fresh  # exactly what an open without a cache computes
    assert (keita.start, keita.end, "ORG", ("bob",)) in candidate_keys(changed)
    assert (keita.start, keita.end, "PERSON", ("ann",)) in candidate_keys(changed)  # no longer agreed


def test_the_adjudicators_own_edit_and_another_project_file_are_never_served_from_the_cache(
        store, disputed, tmp_path, tokenize):
    doc, cache = disputed, adjudication.CandidateCache()
    first = adjudication.open_adjudication(store, doc, "lead", cache=cache)
    adjudication.take_annotator(store, doc, "lead", "bob", LABELS)  # writes @final: the document's stamp moves
    after = adjudication.open_adjudication(store, doc, "lead", start=False, cache=cache)
    assert after.candidates is not first.candidates and after.candidates == first.candidates  # same people's spans
    assert find(TEXT, "Mali", "LOC")._replace(origin="human") in after.final

    other_path = tmp_path / "other.db"  # the same document id in another project file, other spans
    make_project(other_path, tokenize, [TEXTS[1]])
    with Store.open(other_path) as other:
        for who in ("ann", "cy"):
            gold_edits.start_review(other, doc, who)
            gold_edits.set_state(other, doc, who, ACCEPTED)
        with other.transaction():  # the same change count by coincidence: only the file tells them apart
            other._q("UPDATE evaluation_stamps SET stamp = ? WHERE document_id = ?",
                     [team.document_stamp(store, doc), doc])
        elsewhere = adjudication.open_adjudication(other, doc, "lead", start=False, cache=cache)
        assert elsewhere.annotators == ("ann", "cy") and elsewhere.document.text == TEXTS[1]


def test_the_cache_keeps_a_few_documents(store, tokenize):
    ids = make_project(store.path, tokenize, TEXTS[:6])
    for doc in ids:
        for who in ("ann", "bob"):
            gold_edits.start_review(store, doc, who)
            gold_edits.set_state(store, doc, who, ACCEPTED)
    cache = adjudication.CandidateCache(size=2)
    views = {doc: adjudication.open_adjudication(store, doc, "lead", cache=cache) for doc in ids}
    assert adjudication.open_adjudication(store, ids[-1], "lead", start=False, cache=cache).candidates is \
        views[ids[-1]].candidates
    assert adjudication.open_adjudication(store, ids[0], "lead", start=False, cache=cache).candidates is not \
        views[ids[0]].candidates  # the oldest went
