"""The collector is paused while a document opens, and always comes back."""

from __future__ import annotations

import gc

import pytest

from annotator.gc_pause import paused_gc


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_paused_inside_and_back_after_even_when_the_call_fails_or_nests():
    seen = []

    @paused_gc()
    def opens(depth: int) -> None:
        seen.append(gc.isenabled())
        if depth:
            opens(depth - 1)  # a nested open (a modal dialog's event loop can open another document)
            seen.append(gc.isenabled())  # still paused after the inner call ended
        else:
            raise ValueError("unreadable")

    with pytest.raises(ValueError):
        opens(2)
    assert seen == [False, False, False] and gc.isenabled()
    opens_ok = paused_gc()(lambda: gc.isenabled())
    assert opens_ok() is False and gc.isenabled()


def test_a_collector_disabled_by_someone_else_stays_disabled():
    gc.disable()
    with paused_gc():
        assert not gc.isenabled()
    assert not gc.isenabled()
