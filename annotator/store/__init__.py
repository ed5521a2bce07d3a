"""Storage: every line of SQL in annotator lives in this package."""

import sys


def _import_sqlite_utils_without_numpy() -> None:
    """sqlite-utils imports numpy when it can, only to map numpy scalar types to SQL types,
    which annotator never stores; numpy is a third of the window's start-up imports. Import
    sqlite-utils with numpy hidden; numpy stays importable afterwards (spaCy needs it)."""
    if "sqlite_utils" in sys.modules or "numpy" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # makes `import numpy` raise ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["numpy"]


_import_sqlite_utils_without_numpy()

from annotator.store.store import Store  # noqa: E402

__all__ = ["Store"]
