"""Fixtures shared by the team tests."""

from __future__ import annotations

import pytest

from annotator.core.model import ACCEPTED
from annotator.ops import gold_edits
from tests.team.helpers import LABELS, TEXTS, find, make_project


@pytest.fixture
def disputed(store, tokenize):
    """One document (TEXTS[0]) that ann (Mali GPE) and bob (Mali LOC) accepted: its id."""
    text = TEXTS[0]
    make_project(store.path, tokenize, [text])
    doc = store.document_ids()[0]
    for who, label in (("ann", "GPE"), ("bob", "LOC")):
        gold_edits.start_review(store, doc, who)
        gold_edits.relabel_span(store, doc, who, find(text, "Mali", "PERSON")._replace(origin="model"), label, LABELS)
        gold_edits.set_state(store, doc, who, ACCEPTED)
    return doc
