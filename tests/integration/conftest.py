"""The seeds as a careful reviewer leaves them, for evaluation and training tests (the reviewed
seeds database, made once a session, is ``reviewed_seeds_db`` in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.seed_review import review_seeds


@pytest.fixture
def reviewed(store, real_nlp):
    """The seeds reviewed: Mali relabelled GPE, boilerplate suggestions accepted, one span added, accepted."""
    return review_seeds(store, real_nlp)
