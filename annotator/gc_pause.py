"""Python's cyclic garbage collector paused for an allocation burst: the window opening a
document, an import or an export (millions of short-lived objects, no cycles).

Opening a document makes ~100,000 small tuples (spans, candidates, highlights) in a few hundred
milliseconds. Each 700 allocations start a young collection, every tenth of those an older one,
and now and then a full one walks every object the window holds (~200,000: 100-300 ms each,
measured with ``gc.callbacks`` in benchmarks/adjudication_open.py). Paused for the open, the
collector runs once afterwards on what the open left (the young generation only), as
Instagram's and CPython's own advice for allocation bursts goes. Nothing is leaked: garbage
with cycles is collected by that next run.
"""

from __future__ import annotations

import gc
from contextlib import ContextDecorator
from typing import Any


class paused_gc(ContextDecorator):  # noqa: N801 - used as a decorator and context, like contextlib's
    """``with paused_gc():`` or ``@paused_gc()``: no automatic collection inside; nested uses keep it
    paused until the outermost ends; a collector already disabled by someone else stays disabled."""

    def _recreate_cm(self) -> paused_gc:  # a fresh state per decorated call: calls may nest
        return paused_gc()

    def __enter__(self) -> paused_gc:
        self._was_enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._was_enabled:
            gc.enable()
