"""Creating a database only when the work that fills it succeeds.

A failed first ``annotator import`` must leave no new file behind. The work runs on a
temporary database beside the target; once it succeeded and its last connection is
closed (rollback journal by then, so the file is complete on its own), it is hard-linked
to the target name, which fails if another process created the target meanwhile: then
the work runs again on that database, as on any existing one. Nothing of ours is open on
the temporary files when they are linked or removed.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from annotator.core.errors import StoreError
from annotator.store.connection import readonly_uri
from annotator.store.store import Store
from annotator.tempfiles import remove_stale_temps, temp_path

T = TypeVar("T")
SUFFIX = ".new"
COMPANIONS = ("-wal", "-shm", "-journal")


def _remove(path: Path) -> None:
    for extra in ("", *COMPANIONS):
        Path(str(path) + extra).unlink(missing_ok=True)


def fill_database(path: Path, work: Callable[[Store], T], **open_kwargs: Any) -> T:
    """Run ``work`` on the database at ``path``, creating it only if ``work`` succeeds."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        with Store.open(path, create=False, **open_kwargs) as store:
            return work(store)
    if not path.parent.exists():
        raise StoreError(f"folder {path.parent} does not exist", path=path)
    remove_stale_temps(path, SUFFIX, COMPANIONS)
    tmp = temp_path(path, SUFFIX)
    try:
        with Store.open(tmp, create=True, **open_kwargs) as store:
            _unjournalled(store.conn)
            result = work(store)
            store.conn.execute("PRAGMA synchronous = FULL")
            store.conn.execute("PRAGMA journal_mode = DELETE").fetchone()
        _flush(tmp)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return fill_database(path, work, **open_kwargs)
        except OSError:  # no hard links here (FAT, some network drives): rename unless taken meanwhile
            if path.exists():
                return fill_database(path, work, **open_kwargs)
            os.replace(tmp, path)
        return result
    finally:
        _remove(tmp)


def _unjournalled(conn: sqlite3.Connection) -> None:
    """The temporary database is nobody's until it is linked, and a failure (or a crash) throws it
    away: its pages need neither a write-ahead log (each page written twice, the log then copied
    into the file) nor a flush to disk at each commit. The rollback journal stays, in memory, so
    a savepoint the work rolls back still undoes its part."""
    conn.execute("PRAGMA journal_mode = MEMORY").fetchone()
    conn.execute("PRAGMA synchronous = OFF")


def _flush(path: Path) -> None:
    """Flush the finished temporary database to disk before it gets the project's name (no
    connection is open on it any more: closing this descriptor drops no SQLite lock). Opened for
    writing: Windows flushes (FlushFileBuffers) only a handle with write access."""
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def upgraded_copy(path: Path, beside: Path) -> Iterator[Path]:
    """A temporary copy of the database at ``path`` (read through SQLite's backup API, the file
    opened read-only), migrated to this version's schema, beside ``beside``; removed after."""
    source_uri = readonly_uri(path)
    remove_stale_temps(beside, ".upgrade", COMPANIONS)
    tmp = temp_path(beside, ".upgrade")
    try:
        source = sqlite3.connect(source_uri, uri=True)
        target = sqlite3.connect(str(tmp))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        Store.open(tmp, create=False).close()  # migrates the copy (its own backup goes beside it too)
        yield tmp
    finally:
        _remove(tmp)
        for stale in Path(tmp).parent.glob(Path(tmp).name + ".bak-*"):
            stale.unlink(missing_ok=True)
