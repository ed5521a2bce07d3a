"""A new project is filled on a temporary database that becomes the project only when the work succeeded."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.store import Store
from annotator.store.creating import fill_database
from tests.conftest import ROOT


def test_the_first_fill_writes_no_log_and_a_savepoint_rolled_back_undoes_only_its_part(tmp_path):
    """The temporary database is nobody's until linked: no write-ahead log beside it (each page was
    written twice), and yet a savepoint the work rolls back still undoes exactly its part."""
    target = tmp_path / "project.db"
    seen: dict[str, bool] = {}

    def work(store: Store) -> str:
        with store.transaction():
            store.set_setting("before", "1")
            try:
                with store.transaction():  # a savepoint
                    store.set_setting("undone", "1")
                    raise ValueError("the work changes its mind")
            except ValueError:
                pass
            store.set_setting("after", "1")
        seen["wal"] = Path(str(store.path) + "-wal").exists()
        return "done"

    assert fill_database(target, work) == "done"
    assert seen["wal"] is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.db"]  # no temporary file left
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # complete on its own
    finally:
        conn.close()
    with Store.open(target, create=False) as store:
        assert (store.setting("before"), store.setting("undone"), store.setting("after")) == ("1", None, "1")
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # the project as any other
        store.set_setting("later", "1")


@pytest.mark.integration
def test_a_first_import_killed_midway_leaves_no_project_and_the_next_one_makes_it(tmp_path):
    source = tmp_path / "texts.jsonl"
    with source.open("w", encoding="utf-8") as fh:
        for i in range(60000):
            fh.write(json.dumps({"text": f"Report {i}: the minister said so in Bamako. " * 12}) + "\n")
    target = tmp_path / "project.db"
    proc = subprocess.Popen([sys.executable, "-m", "annotator", "import", str(source), "--db", str(target),
                             "--defer-index"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:  # the temporary database is filling
            if any(size > 4_000_000 for size in _temporary_database_sizes(tmp_path)):
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the import ended before it was killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        assert proc.wait(timeout=60) == -signal.SIGKILL
    assert not target.exists()
    done = subprocess.run([sys.executable, "-m", "annotator", "import", str(source), "--db", str(target),
                           "--defer-index"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with Store.open(target, create=False) as store:
        assert store.document_count() == 60000
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.db", "texts.jsonl"]  # the stale temporary went


def _temporary_database_sizes(folder: Path) -> list[int]:
    """Sizes of the temporary databases being filled for ``project.db`` (not their -wal/-shm/-journal,
    which come and go while we look: one removed between listing and stat is skipped)."""
    sizes = []
    for entry in os.scandir(folder):
        if entry.name.startswith(".project.db") and entry.name.endswith(".new"):
            try:
                sizes.append(entry.stat().st_size)
            except FileNotFoundError:
                pass
    return sizes
