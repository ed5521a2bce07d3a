"""Building the search index (full text and repeated-line counts) after documents arrive.

Import only stores documents; this runs right after it (the command line), in the window's
background worker, or whenever documents are waiting. Each batch is its own short
transaction, so it can be interrupted at any point and other writers get their turn.
"""

from __future__ import annotations

from annotator.ops.progress import NullProgress, Progress
from annotator.store import Store

BATCH = 2000


def index_pending(store: Store, progress: Progress | None = None, batch: int = BATCH) -> int:
    """Index every document not indexed yet; returns how many were indexed (stops on cancel)."""
    progress = progress or NullProgress()
    pending = store.unindexed_count()
    if not pending:
        return 0
    progress.start("Indexing for search", pending)
    done = 0
    while True:
        n = store.index_batch(batch)
        if not n:
            break
        done += n
        progress.advance(n)
        if progress.cancelled():
            break
    return done
