"""Storage: every line of SQL in annotator lives in this package."""

from annotator.store.store import Store

__all__ = ["Store"]
