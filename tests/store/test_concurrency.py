"""Several processes on one database: nothing but SQLite touches the file, writers wait their turn."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from annotator.core.errors import BusyError, StoreError
from annotator.store import Store
from annotator.store import connection
from annotator.store.filesystem import is_network_type, mount_type_linux

ROOT = Path(__file__).resolve().parents[2]


def other_process(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_second_connection_in_a_process_keeps_the_first_ones_locks(db_path):
    """Opening (and closing) the database again in this process must not drop the first
    connection's locks: when it did, another program closing the database deleted the WAL
    the first connection still wrote to, and its later writes were invisible and lost."""
    first = Store.open(db_path)
    try:
        Store.open(db_path).close()  # as the window's worker thread does
        result = other_process("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                               "c.execute('SELECT count(*) FROM documents').fetchall(); c.close()", str(db_path))
        assert result.returncode == 0, result.stderr
        assert Path(str(db_path) + "-wal").exists(), "another program deleted the WAL this process writes to"
        first.add_document("Written after another program closed the database.", "late.txt", "h-late")
        seen = other_process("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                             "print(c.execute('SELECT source FROM documents').fetchall()); c.close()", str(db_path))
        assert "late.txt" in seen.stdout, seen.stderr
    finally:
        first.close()


def test_a_writer_waits_for_another_writer_instead_of_failing(db_path):
    """The write lock is taken at the start of a transaction, so the busy timeout applies:
    a writer that reads first no longer gets SQLITE_BUSY at once."""
    Store.open(db_path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN IMMEDIATE")
            c.execute("INSERT INTO settings(key, value) VALUES ('holder', 'x')")
            print("LOCKED", flush=True)
            time.sleep(1.5)
            c.execute("COMMIT")
        """), str(db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "LOCKED"
        with Store.open(db_path, busy_timeout_ms=60_000) as store:
            with store.transaction():
                store.setting("holder")  # read first, then write: the case that failed at once
                store.set_setting("waiter", "y")
            assert store.setting("holder") == "x" and store.setting("waiter") == "y"
    finally:
        holder.wait(timeout=60)
        holder.stdout.close()


def test_lock_outlasting_the_wait_says_another_process_is_writing(db_path):
    with Store.open(db_path, busy_timeout_ms=150) as store:
        other = sqlite3.connect(db_path)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(BusyError, match="another annotator process is writing.*try again") as caught:
                with store.transaction():
                    store.set_setting("x", "1")
            assert "close it" not in str(caught.value)
        finally:
            other.rollback()
            other.close()
        store.set_setting("x", "1")  # the lock is gone: it lands
        assert store.setting("x") == "1"


def run_cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "annotator", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, **(env or {})))


@pytest.mark.integration
def test_six_imports_a_preannotation_and_exports_at_once_all_succeed(tmp_path, seeds_dir):
    """Started together on a database that does not exist yet: every process succeeds."""
    db = tmp_path / "shared.db"
    folders = []
    for k in range(6):
        folder = tmp_path / f"batch{k}"
        folder.mkdir()
        for i in range(25):
            (folder / f"doc{k}-{i}.txt").write_text(f"Batch {k} note {i}: Mali and Niger met in Niamey.\n", "utf-8")
        folders.append(folder)
    procs = [run_cli("import", str(f), "--db", str(db)) for f in folders]
    procs.append(run_cli("import", str(seeds_dir), "--db", str(db)))
    time.sleep(0.5)
    procs.append(run_cli("preannotate", "--db", str(db)))
    procs += [run_cli("export", "--db", str(db), "--all", "--out", str(tmp_path / f"e{k}.jsonl")) for k in range(2)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        results.append((proc.args[3:5], proc.returncode, err.strip()[-300:]))
    imports = results[:7]
    assert all(code == 0 for _, code, _ in imports), imports
    for _, code, err in results[7:]:  # preannotate / export may find no database yet: a clear refusal, no crash
        assert code == 0 or "no such database" in err, results
    with Store.open(db, create=False) as store:
        assert store.document_count() == 6 * 25 + 5
    assert not list(tmp_path.glob(".shared.db.*")), "no temporary database is left behind"


def test_failed_first_import_creates_no_database(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": \n', encoding="utf-8")
    proc = run_cli("import", str(bad), "--db", str(tmp_path / "new.db"))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "bad.jsonl:2: malformed JSON" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]


@pytest.mark.parametrize("command", [["stats"], ["export", "--out", "x.jsonl"], ["evaluate"], ["preannotate"]])
def test_commands_that_need_a_database_refuse_a_missing_one(tmp_path, command):
    proc = run_cli(*command, "--db", str(tmp_path / "typo.db"))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "typo.db: no such database" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_fifo_is_refused_as_a_database(tmp_path):
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    with pytest.raises(StoreError, match="not a regular file"):
        Store.open(fifo)


MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:40 / /home/me/shared rw,relatime shared:9 - nfs4 server:/export rw,vers=4.2
31 22 0:41 / /mnt/box rw,nosuid - fuse.sshfs me@box:/data rw,user_id=1000
32 22 0:42 / /mnt/local\\040fuse rw - fuse.gocryptfs /dev/x rw
33 22 0:43 / /media/smb rw - cifs //nas/share rw
"""


@pytest.mark.parametrize("path, fs_type, network", [
    ("/home/me/notes/a.db", "ext4", False),
    ("/home/me/shared/a.db", "nfs4", True),
    ("/home/me/sharedother/a.db", "ext4", False),
    ("/mnt/box/x/a.db", "fuse.sshfs", True),
    ("/mnt/local fuse/a.db", "fuse.gocryptfs", False),
    ("/media/smb/a.db", "cifs", True),
])
def test_network_file_systems_are_recognised(path, fs_type, network):
    found = mount_type_linux(Path(path), MOUNTINFO)
    assert found == fs_type and is_network_type(found) is network


def test_database_on_a_network_file_system_is_refused_unless_allowed(db_path, monkeypatch):
    monkeypatch.setattr(connection, "network_filesystem", lambda path: "a network file system (nfs4)")
    with pytest.raises(StoreError, match="network file system.*local copy.*--allow-network-fs"):
        Store.open(db_path)
    assert not db_path.exists()
    with Store.open(db_path, allow_network_fs=True) as store:  # the user accepts the risk: no WAL there
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        store.set_setting("x", "1")
    monkeypatch.setenv("ANNOTATOR_ALLOW_NETWORK_FS", "1")
    with Store.open(db_path) as store:
        assert store.setting("x") == "1"


def test_local_temporary_folder_is_not_a_network_file_system(tmp_path):
    from annotator.store.filesystem import network_filesystem

    assert network_filesystem(tmp_path / "a.db") is None


def test_two_threads_writing_through_their_own_connections_both_land(db_path):
    """The window and its worker thread: one connection each, writes interleaved."""
    Store.open(db_path).close()
    errors = []

    def writer(name: str) -> None:
        try:
            with Store.open(db_path) as store:
                for i in range(50):
                    with store.transaction():
                        store.set_setting(f"{name}-{i}", str(i))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("gui", "worker")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Store.open(db_path) as store:
        assert store.db.execute("SELECT count(*) FROM settings WHERE key LIKE 'gui-%' OR key LIKE 'worker-%'").fetchone()[0] == 100
