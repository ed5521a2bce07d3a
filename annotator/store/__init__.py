"""Storage: every line of SQL in annotator lives in this package.

sqlite-utils is imported when a store first writes or migrates (see
annotator.store.connection.import_sqlite_utils), not when this package is."""

from annotator.store.store import Store

__all__ = ["Store"]
