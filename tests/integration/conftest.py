"""The seeds as a careful reviewer leaves them, for evaluation and training tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from annotator.store import Store
from tests.seed_review import review_seeds


@pytest.fixture
def reviewed(store, real_nlp):
    """The seeds reviewed: Mali relabelled GPE, boilerplate suggestions accepted, one span added, accepted."""
    return review_seeds(store, real_nlp)


@pytest.fixture(scope="session")
def reviewed_seeds_db(tmp_path_factory, real_nlp) -> Path:
    """The reviewed seeds, made once; tests copy it (``reviewed_db``)."""
    path = tmp_path_factory.mktemp("reviewed") / "reviewed.db"
    with Store.open(path) as store:
        review_seeds(store, real_nlp)
        store.db.execute("PRAGMA journal_mode = DELETE").fetchone()  # one self-contained file to copy
    return path


@pytest.fixture
def reviewed_db(reviewed_seeds_db, tmp_path) -> Path:
    path = tmp_path / "reviewed.db"
    shutil.copy(reviewed_seeds_db, path)
    return path
