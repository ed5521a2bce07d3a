"""The whole team round trip on the seeds: assign to three annotators with overlap, correct each file with
the window's own actions (on purpose differently), merge, measure agreement, adjudicate, export."""

from __future__ import annotations

import json

import pytest
from sklearn.metrics import cohen_kappa_score
from spacy.training import biluo_to_iob, offsets_to_biluo_tags

from annotator.core.adjudication import CONFLICT, PARTIAL
from annotator.core.team import FINAL
from annotator.ops import adjudication
from annotator.ops.agreement import project_agreement
from annotator.ops.assigning import assign
from annotator.ops.exporting import export
from annotator.ops.labels import project_labels
from annotator.ops.merging import merge_files
from annotator.store import Store
from tests.team.helpers import correct

pytestmark = pytest.mark.integration
ANNOTATORS = ["ann", "bob", "cy"]


def keys(spans) -> set[tuple[int, int, str]]:
    return {(s.start, s.end, s.label) for s in spans}


def test_assign_annotate_merge_agreement_adjudicate_export(project_db, tmp_path, blank_nlp, real_nlp):
    out = tmp_path / "team"
    with Store.open(project_db) as store:
        report = assign(store, out, ANNOTATORS, overlap=0.6, seed=0)
        assert (report.documents, report.shared) == (5, 3)
        model = {doc: store.prediction(doc, with_tokens=False).spans for doc in store.document_ids()}
        texts = {doc: store.document(doc).text for doc in store.document_ids()}
        by_hash = {store.document(doc).content_hash: doc for doc in store.document_ids()}
    holders: dict[int, list[str]] = {}
    for name in ANNOTATORS:
        correct(out / f"{name}.db", name)
        with Store.open(out / f"{name}.db", create=False) as own:
            assert own.owner() == name
            for doc in own.document_ids():
                holders.setdefault(by_hash[own.document(doc).content_hash], []).append(name)
    shared = {doc: tuple(who) for doc, who in holders.items() if len(who) == 2}
    assert sorted(shared.values()) == [("ann", "bob"), ("ann", "cy"), ("bob", "cy")]

    with Store.open(project_db) as store:
        merged = merge_files(store, [out / f"{name}.db" for name in ANNOTATORS])
        assert sum(f.count("new") for f in merged.files) == 8 and all(f.unknown == 0 for f in merged.files)
        result = project_agreement(store)

    # -- agreement by hand: n model spans, p "Mali" PERSON among them, w DATE ------------------------
    def counts(doc: int) -> tuple[int, int, int]:
        spans, text = model[doc], texts[doc]
        p = sum(1 for s in spans if text[s.start:s.end] == "Mali" and s.label == "PERSON")
        w = sum(1 for s in spans if s.label == "DATE")
        return len(spans), p, w

    expected = {}
    for doc, pair in shared.items():
        n, p, w = counts(doc)
        assert p > 0 and w > 0, "every shared seed has both corrections to disagree on"
        agreed, sizes, disputed = {("ann", "bob"): (n - p, (n, n), 2 * p), ("ann", "cy"): (n - w, (n, n - w), w),
                                   ("bob", "cy"): (n - p - w, (n, n - w), 2 * p + w)}[pair]
        expected[pair] = (doc, agreed, sizes, disputed)
        scores = result.pairs[pair]
        assert (scores.agreed, scores.spans_a, scores.spans_b, scores.documents) == (agreed, *sizes, 1)
        assert scores.exact_f1 == pytest.approx(2 * agreed / sum(sizes))
        assert scores.overlap_f1 == pytest.approx(2 * agreed / sum(sizes))  # relabels and deletions never overlap
    total = result.total
    assert total.exact_f1 == pytest.approx(2 * sum(e[1] for e in expected.values()) /
                                           sum(sum(e[2]) for e in expected.values()))
    ranked = sorted(expected.values(), key=lambda e: -e[3])
    assert [(d.document_id, d.disputed) for d in result.documents] == [(e[0], e[3]) for e in ranked]

    # kappa: spaCy's own IOB tags of each layer, scikit-learn's kappa, whitespace tokens left out
    with Store.open(project_db) as store:
        tags_a, tags_b = [], []
        doc, _, _, _ = expected[("ann", "bob")]
        spacy_doc = blank_nlp.make_doc(texts[doc])
        tokens = store.tokens(doc)
        assert [t.idx for t in spacy_doc] == list(tokens.starts)
        for name, out_tags in (("ann", tags_a), ("bob", tags_b)):
            gold = store.gold(doc, name)
            out_tags.extend(biluo_to_iob(offsets_to_biluo_tags(spacy_doc, [(s.start, s.end, s.label) for s in gold])))
        keep = [i for i, t in enumerate(spacy_doc) if not t.is_space]
        assert result.pairs[("ann", "bob")].kappa == pytest.approx(
            cohen_kappa_score([tags_a[i] for i in keep], [tags_b[i] for i in keep]), abs=1e-12)

        # -- export before adjudication: the two singles go out, the three conflicts are left out -----
        before = export(store, tmp_path / "before.jsonl")
        assert before.documents == 2 and before.gold.conflicts == 3

        # -- adjudicate through the ops the window calls -------------------------------------------
        labels = project_labels(store).names
        queue = adjudication.queue(store)
        assert [entry.document_id for entry in queue] == [d.document_id for d in result.documents]
        decided = {}
        for entry in queue:
            doc = entry.document_id
            pair = shared[doc]
            view = adjudication.open_adjudication(store, doc, "lead")
            layers = {layer.annotator: layer for layer in view.layers}
            both = keys(layers[pair[0]].spans) & keys(layers[pair[1]].spans)
            assert keys(view.final) == both and view.state == "in_progress" and view.adjudicator == "lead"
            statuses = {c.status for c in view.candidates}
            assert (CONFLICT in statuses) == ("bob" in pair)  # only bob relabels "Mali" otherwise
            if pair == ("ann", "bob"):
                adjudication.take_annotator(store, doc, "lead", "ann", labels)
                decided[doc] = keys(layers["ann"].spans)
            elif pair == ("ann", "cy"):
                assert all(c.status == PARTIAL and c.holders == ("ann",) for c in view.candidates
                           if c.status != "agreed")
                adjudication.take_annotator(store, doc, "lead", "cy", labels)
                decided[doc] = keys(layers["cy"].spans)
            else:  # bob / cy: in every conflict take cy's label; keep bob's DATE spans cy deleted
                for candidate in view.candidates:
                    if candidate.status == CONFLICT and candidate.holders == ("cy",):
                        adjudication.take_spans(store, doc, "lead", [candidate.span], labels)
                    elif candidate.status == PARTIAL:
                        adjudication.take_spans(store, doc, "lead", [candidate.span], labels)
                decided[doc] = keys(layers["cy"].spans) | keys(layers["bob"].spans) - keys(
                    s for s in layers["bob"].spans if texts[doc][s.start:s.end] == "Mali" and s.label == "LOC")
            adjudication.accept(store, doc, "lead")
            assert keys(store.gold(doc, FINAL)) == decided[doc]

        # -- export: adjudicated gold exactly, singles as their annotator left them -----------------
        final = export(store, tmp_path / "gold.jsonl")
        assert final.documents == 5 and final.gold.conflicts == 0
        records = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
        for record in records:
            doc = record["meta"]["document_id"]
            spans = {(s["start"], s["end"], s["label"]) for s in record["spans"]}
            if doc in shared:
                assert spans == decided[doc]
                assert record["_annotator_id"] == "lead" and record["sessions"] == list(shared[doc])
            else:
                (who,) = holders[doc]
                assert spans == keys(store.gold(doc, who)) and record["_annotator_id"] == who
        every = export(store, tmp_path / "all.jsonl", all_annotators=True)
        assert every.documents == 8
        lines = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()]
        hashes = {}
        for line in lines:
            hashes.setdefault(line["_input_hash"], set()).add(line["_annotator_id"])
        assert sorted(map(sorted, hashes.values())) == sorted(
            [sorted(who) for who in holders.values()])
        one = export(store, tmp_path / "bob.jsonl", annotator="bob")
        assert one.documents == len([d for d, who in holders.items() if "bob" in who])
