"""Opening a project database safely: refuse what is not ours, back up before migrating."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

from annotator.core.errors import StoreError
from annotator.store.schema import MIGRATION_SET, known_migration_names, migrations

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read the database: {exc.strerror}", path=path) from None
    if head and head != SQLITE_HEADER:
        raise StoreError("is not an SQLite database (refusing to open or change it)", path=path)


def _applied(conn: sqlite3.Connection) -> list[str]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='_sqlite_migrations'"
    ).fetchone()
    if not exists:
        return []
    rows = conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET]
    ).fetchall()
    return [r[0] for r in rows]


def _has_user_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    ).fetchone()
    return bool(row[0])


def open_database(path: Path, *, create: bool = True) -> Database:
    """Open (or create) the project database at ``path``, migrated to this version's schema.

    Refuses with :class:`StoreError` a file that is not SQLite, a database from a newer
    annotator, or one this version cannot write. Before migrating an existing database it
    copies it to ``<name>.bak-<UTC timestamp>`` so a schema change never loses data.
    """
    path = Path(path)
    if path.is_dir():
        raise StoreError("is a folder, not a database file", path=path)
    if path.exists():
        _check_header(path)
    elif not create:
        raise StoreError("no such database", path=path)
    elif not path.parent.exists():
        raise StoreError(f"folder {path.parent} does not exist", path=path)
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        applied = _applied(conn)
        newer = [name for name in applied if name not in known_migration_names()]
        if newer:
            conn.close()
            raise StoreError(
                f"was written by a newer annotator (schema step {newer[-1]!r}); "
                "upgrade annotator to open it - it was not changed",
                path=path,
            )
        pending = [name for name in known_migration_names() if name not in applied]
        if pending and _has_user_tables(conn):
            if not applied:
                conn.close()
                raise StoreError("is an SQLite database but not an annotator project (refusing to change it)", path=path)
            _backup(conn, path)
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.enable_wal()
        migrations.apply(db)
        return db
    except sqlite3.DatabaseError as exc:
        raise StoreError(_explain(exc), path=path) from None


def _backup(conn: sqlite3.Connection, path: Path) -> None:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.bak-{stamp}")
    dest = sqlite3.connect(str(target))
    try:
        conn.backup(dest)
    finally:
        dest.close()
    if not target.exists():  # pragma: no cover - backup() raises instead
        shutil.copy2(path, target)


def _explain(exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return "the database is locked by another program; close it and try again"
    if "readonly" in text or "read-only" in text:
        return "the database is read-only; copy it somewhere writable or fix its permissions"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return f"the database is damaged ({text}); restore a backup (*.bak-*) or start a new one"
    if "unable to open" in text:
        return "cannot open the database file (check the folder exists and is writable)"
    if "disk" in text and "full" in text:
        return "the disk is full; free some space - nothing was written"
    return text


def explain_error(exc: sqlite3.DatabaseError) -> str:
    """A one-line, user-facing explanation of an SQLite error."""
    return _explain(exc)
