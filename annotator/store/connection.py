"""Opening a project database safely: refuse what is not ours, back up before migrating.

Rules this module keeps (SQLite's "How To Corrupt An SQLite Database File"):

- Nothing but SQLite touches the database, its ``-wal`` or its ``-shm``. On POSIX, closing
  *any* descriptor of a file drops every lock the process holds on it, SQLite's included:
  a header check with Python's ``open()`` while another connection of this process is open
  lets a second process checkpoint and delete the WAL that connection still writes to. The
  header is therefore checked by SQLite itself, and backups use SQLite's backup API.
- Every write transaction starts with ``BEGIN IMMEDIATE`` (the connection's isolation level
  makes the implicit ones immediate too), so a writer that finds the database busy waits
  for the busy timeout instead of failing at once when it upgrades from reading.
- WAL needs shared memory, which network file systems do not give: such a location is
  refused unless the user accepts the risk, and then the rollback journal is used.

The database is opened, checked and read with the plain ``sqlite3`` connection; the
``sqlite_utils.Database`` wrapper over that same connection (writes, migrations) is made on
first use by :func:`sqlite_database`, so the window shows its first document before
sqlite-utils (click, dateutil and its own large modules, ~120 ms) is imported.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from annotator.core.errors import BusyError, StoreError
from annotator.store.filesystem import network_filesystem
from annotator.store.schema import MIGRATION_SET, known_migration_names, migrations

if TYPE_CHECKING:
    from sqlite_utils import Database

BUSY_TIMEOUT_MS = 30_000  # command line and background work: wait for other writers
GUI_BUSY_TIMEOUT_MS = 4_000  # the window's own edits: never freeze the window for long
BUSY_TIMEOUT_ENV = "ANNOTATOR_BUSY_TIMEOUT_MS"
NETWORK_FS_ENV = "ANNOTATOR_ALLOW_NETWORK_FS"


def default_busy_timeout_ms(default: int = BUSY_TIMEOUT_MS) -> int:
    """``$ANNOTATOR_BUSY_TIMEOUT_MS`` when set to a number, else ``default``."""
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    return int(raw) if raw.isdigit() else default


def network_fs_allowed() -> bool:
    return os.environ.get(NETWORK_FS_ENV, "").strip().lower() in ("1", "true", "yes")


class _NoNumpyInThisThread:
    """An import finder that makes ``import numpy`` fail in one thread only (see import_sqlite_utils)."""

    def __init__(self, thread: int):
        self.thread = thread

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if threading.get_ident() == self.thread and (name == "numpy" or name.startswith("numpy.")):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden while sqlite-utils loads)", name=name)
        return None


_import_lock = threading.Lock()


def import_sqlite_utils() -> None:
    """Import sqlite-utils without numpy.

    sqlite-utils imports numpy when it can, only to map numpy scalar types to SQL types, which
    annotator never stores. While it loads, ``import numpy`` fails in this thread only: another
    thread (the window's preparation loading spaCy) may import numpy meanwhile, and numpy stays
    importable afterwards. Once numpy is loaded, sqlite-utils is imported as it is."""
    if "sqlite_utils" in sys.modules:
        return
    with _import_lock:
        if "sqlite_utils" in sys.modules or "numpy" in sys.modules:
            import sqlite_utils  # noqa: F401
            return
        finder = _NoNumpyInThisThread(threading.get_ident())
        sys.meta_path.insert(0, finder)
        try:
            import sqlite_utils  # noqa: F401, F811
        finally:
            sys.meta_path.remove(finder)


def sqlite_database(conn: sqlite3.Connection) -> Database:
    """The sqlite-utils ``Database`` over an open annotator connection (imports sqlite-utils).

    sqlite-utils plugins are not run on annotator's connections: what a connection does is set
    in :func:`open_connection` alone, and looking for plugins reads every installed package's
    metadata (~25-50 ms)."""
    import_sqlite_utils()
    from sqlite_utils import Database

    return Database(conn, execute_plugins=False)


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


def _check_location(path: Path, create: bool, allow_network_fs: bool) -> tuple[bool, str | None]:
    """Refuse folders, FIFOs, devices, missing files (unless ``create``); return (exists, network fs)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise StoreError(f"cannot read the database: {exc.strerror}", path=path) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise StoreError("is a folder, not a database file", path=path)
    if mode is not None and not stat.S_ISREG(mode):
        raise StoreError("is not a regular file (a pipe, socket or device); give a database file", path=path)
    if mode is None:
        if not create:
            raise StoreError("no such database (check the name; `annotator import` creates one)", path=path)
        if not path.parent.exists():
            raise StoreError(f"folder {path.parent} does not exist", path=path)
    network = network_filesystem(path)
    if network and not allow_network_fs:
        raise StoreError(
            f"is on {network}. SQLite's write-ahead log needs shared memory that network file systems do not "
            "give, so edits could be lost or the file damaged. Work on a local copy (move work between laptops "
            "as files: `annotator assign` and `annotator merge`), or pass --allow-network-fs (or set "
            f"{NETWORK_FS_ENV}=1) to use it anyway, from one machine at a time",
            path=path,
        )
    return mode is not None, network


def _connect(path: Path, create: bool, busy_timeout_ms: int) -> sqlite3.Connection:
    uri = "file:" + quote(str(path.absolute())) + ("?mode=rwc" if create else "?mode=rw")
    conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_ms / 1000, check_same_thread=False,
                           isolation_level="IMMEDIATE")
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return conn


def _set_journal_mode(conn: sqlite3.Connection, mode: str, busy_timeout_ms: int) -> None:
    """Switch the journal mode (outside a transaction), retrying while another process holds it."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            current = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if current.lower() != mode:
                conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def open_database(
    path: Path, *, create: bool = True, busy_timeout_ms: int | None = None, allow_network_fs: bool | None = None
) -> Database:
    """:func:`open_connection` wrapped in sqlite-utils' ``Database``."""
    conn, db = open_connection(path, create=create, busy_timeout_ms=busy_timeout_ms,
                               allow_network_fs=allow_network_fs)
    return db if db is not None else sqlite_database(conn)


def open_connection(
    path: Path, *, create: bool = True, busy_timeout_ms: int | None = None, allow_network_fs: bool | None = None
) -> tuple[sqlite3.Connection, Database | None]:
    """Open (or create) the project database at ``path``, migrated to this version's schema.

    Refuses with :class:`StoreError` a folder, pipe or device, a missing file when not
    ``create``, a file that is not SQLite, a foreign SQLite database, a database from a newer
    annotator, and a database on a network file system (unless ``allow_network_fs``). Before
    migrating an existing database it copies it to ``<name>.bak-<UTC timestamp>`` with
    SQLite's backup API, so a schema change never loses data. Several processes may open
    and migrate the same new database at once: migration runs under the write lock and
    re-checks what is pending once it holds it.

    Returns the connection and, when a migration ran, the sqlite-utils ``Database`` that ran it
    (else None: sqlite-utils is not imported for a database already up to date). The connection
    is set up as ``Database`` sets one up (recursive triggers on), so it behaves the same whether
    or not the wrapper has been made yet.
    """
    path = Path(path)
    timeout = busy_timeout_ms if busy_timeout_ms is not None else default_busy_timeout_ms()
    allow = network_fs_allowed() if allow_network_fs is None else allow_network_fs
    existed, network = _check_location(path, create, allow)
    conn = None
    try:
        conn = _connect(path, create, timeout)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # SQLite reads the header
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "encrypted" in str(exc):
                raise StoreError("is not an SQLite database, or is a damaged one (refusing to open or change it); "
                                 "if it is your project, restore a backup (*.bak-*)", path=path) from None
            raise
        _refuse_foreign(conn, path)
        _set_journal_mode(conn, "delete" if network else "wal", timeout)
        conn.execute("PRAGMA recursive_triggers = ON")  # what sqlite_utils.Database sets on its connection
        conn.execute("PRAGMA foreign_keys = ON")
        return conn, _migrate(conn, path, existed)
    except StoreError:
        if conn is not None:
            conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise store_error(exc, path) from None


def readonly_uri(path: Path) -> str:
    """An SQLite URI that reads ``path`` without writing anything beside it.

    A WAL database closed cleanly has no ``-wal``: it is opened ``immutable`` (no lock taken,
    no ``-shm`` created, nothing left behind). One in use is read normally, read-only.
    """
    uri = "file:" + quote(str(Path(path).absolute())) + "?mode=ro"
    if not os.path.exists(str(path) + "-wal"):  # a stat, not an open: no lock of ours is affected
        uri += "&immutable=1"
    return uri


def inspect_database(path: Path, *, allow_network_fs: bool | None = None) -> tuple[list[str], str | None]:
    """(applied schema steps, project id) of an annotator database, read without changing it.

    The file is opened read-only (no WAL switch, no migration, no backup beside it); refused
    like :func:`open_database` refuses (not SQLite, not ours, newer, on a network file system).
    """
    path = Path(path)
    allow = network_fs_allowed() if allow_network_fs is None else allow_network_fs
    _check_location(path, create=False, allow_network_fs=allow)
    uri = readonly_uri(path)
    conn = None
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=default_busy_timeout_ms() / 1000)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc):
                raise StoreError("is not an SQLite database, or is a damaged one", path=path) from None
            raise
        _refuse_foreign(conn, path)
        applied = _applied(conn)
        if not applied:
            raise StoreError("is an empty database, not an annotator project", path=path)
        row = conn.execute("SELECT value FROM settings WHERE key = 'project_id'").fetchone() \
            if "0003_project_identity" in applied else None
        return applied, row[0] if row else None
    except sqlite3.DatabaseError as exc:
        raise store_error(exc, path) from None
    finally:
        if conn is not None:
            conn.close()


def needs_migration(applied: list[str]) -> bool:
    return any(name not in applied for name in known_migration_names())


def _refuse_foreign(conn: sqlite3.Connection, path: Path) -> None:
    applied = _applied(conn)
    newer = [name for name in applied if name not in known_migration_names()]
    if newer:
        raise StoreError(
            f"was written by a newer annotator (schema step {newer[-1]!r}); "
            "upgrade annotator to open it - it was not changed",
            path=path,
        )
    if not applied and _has_user_tables(conn):
        raise StoreError("is an SQLite database but not an annotator project (refusing to change it)", path=path)


def _migrate(conn: sqlite3.Connection, path: Path, existed: bool) -> Database | None:
    """Apply the pending schema steps with sqlite-utils; None (nothing imported) when none is."""
    applied = set(_applied(conn))  # a plain SELECT on sqlite-utils' table of applied steps
    if all(name in applied for name in known_migration_names()):
        return None
    db = sqlite_database(conn)
    if existed and _has_user_tables(conn):
        _backup(conn, path)  # before taking the write lock: the backup reads through this connection
    conn.execute("BEGIN IMMEDIATE")
    try:
        _refuse_foreign(conn, path)  # another process may have migrated (or written) meanwhile
        migrations.apply(db)  # each step a savepoint inside this transaction
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return db


def _backup(conn: sqlite3.Connection, path: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.bak-{stamp}")
    dest = sqlite3.connect(str(target))
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


def _is_busy(exc: BaseException) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


@contextlib.contextmanager
def known_errors(path: Path | str | None) -> Iterator[None]:
    """Raise SQLite's errors inside as :func:`store_error` says (integrity errors pass as they are:
    the caller knows what they mean)."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.IntegrityError):
            raise
        raise store_error(exc, path) from None


def store_error(exc: sqlite3.DatabaseError, path: Path | str | None) -> StoreError:
    """The known error for an SQLite error: :class:`BusyError` when a lock outlasted the wait."""
    if _is_busy(exc):
        return BusyError(
            "another annotator process is writing to the database (an import, a pre-annotation, a merge or "
            "another window) and held it longer than we waited; nothing was changed - try again in a moment",
            path=path,
        )
    return StoreError(explain_error(exc), path=path)


def explain_error(exc: sqlite3.DatabaseError) -> str:
    """A one-line, user-facing explanation of an SQLite error."""
    text = str(exc)
    if _is_busy(exc):
        return ("another annotator process is writing to the database and held it longer than we waited; "
                "nothing was changed - try again in a moment")
    if "readonly" in text or "read-only" in text:
        return "the database is read-only; copy it somewhere writable or fix its permissions"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return f"the database is damaged ({text}); restore a backup (*.bak-*) or start a new one"
    if "unable to open" in text:
        return "cannot open the database file (check the folder exists and is writable)"
    if "disk" in text and "full" in text:
        return "the disk is full; free some space - nothing was written"
    if "disk I/O" in text:
        return f"the disk reported an error ({text}); check the drive and free space"
    return text
