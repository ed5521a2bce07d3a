"""Shared fixtures. Qt runs offscreen, set here so no test depends on the caller's shell."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("ANNOTATOR_USER", "tester")

import pytest

from annotator.core.tokens import Tokens
from annotator.store import Store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "project.db"


@pytest.fixture
def store(db_path: Path):
    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture(scope="session")
def blank_nlp():
    import spacy

    return spacy.blank("en")


@pytest.fixture(scope="session")
def tokenize(blank_nlp):
    def run(text: str) -> Tokens:
        return Tokens.from_doc(blank_nlp(text))

    return run


@pytest.fixture(scope="session")
def real_nlp():
    """The real default pipeline, NER-only, loaded once per test session."""
    from annotator.pipeline import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory, real_nlp) -> Path:
    """The five seeds imported and pre-annotated once; each test works on a copy."""
    from annotator.ops.importing import import_paths
    from annotator.ops.preannotate import preannotate

    path = tmp_path_factory.mktemp("template") / "seeds.db"
    with Store.open(path) as store:
        import_paths(store, [SEEDS], annotator="tester")
        preannotate(store, real_nlp)
        store.db.execute("PRAGMA journal_mode = DELETE").fetchone()  # one self-contained file to copy
    return path


@pytest.fixture
def project_db(seeded_db, tmp_path) -> Path:
    """A copy of the pre-annotated seeds (copied while no connection to either file is open)."""
    path = tmp_path / "project.db"
    shutil.copy(seeded_db, path)
    return path


def snapshot(path: Path) -> list[str]:
    """Every row of every table, as SQL text: two equal snapshots mean an untouched database."""
    conn = sqlite3.connect(str(path))
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def copy_database(source: Path, target: Path) -> Path:
    """A copy of a project file made by SQLite's backup API (only SQLite opens database files)."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


@pytest.fixture(scope="session")
def reviewed_seeds_db(tmp_path_factory, real_nlp) -> Path:
    """The seeds as a careful reviewer leaves them, made once; tests copy it (``reviewed_db``)."""
    from tests.seed_review import review_seeds

    path = tmp_path_factory.mktemp("reviewed") / "reviewed.db"
    with Store.open(path) as store:
        review_seeds(store, real_nlp)
    return path


@pytest.fixture
def reviewed_db(reviewed_seeds_db, tmp_path) -> Path:
    return copy_database(reviewed_seeds_db, tmp_path / "reviewed.db")


def write_lock_taken(path: Path, proc, poll: float = 0.001) -> bool:
    """Wait until another process holds the database's write lock (True), or ``proc`` ended
    (False): a test kills a writer only once it is inside its transaction."""
    import time

    conn = sqlite3.connect(str(path), timeout=0, isolation_level=None)
    try:
        while proc.poll() is None:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:  # locked: the writer is inside its transaction
                return True
            conn.execute("ROLLBACK")
            time.sleep(poll)
        return False
    finally:
        conn.close()


def kill_an_import_midway(db: Path, source: Path, seconds: float) -> None:
    """Import ``source`` into ``db`` in another process (``import_paths``, annotator "me") and
    SIGKILL it ``seconds`` after it took the write lock, i.e. inside its batches."""
    import signal
    import subprocess
    import sys
    import time

    code = ("import sys; from annotator.store import Store; from annotator.ops.importing import import_paths; "
            "s = Store.open(sys.argv[1]); import_paths(s, [sys.argv[2]], annotator='me')")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(source)], cwd=ROOT)
    try:
        assert write_lock_taken(db, proc), "the import ended before it took the write lock"
        time.sleep(seconds)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        assert proc.wait(timeout=60) == -signal.SIGKILL


@contextlib.contextmanager
def write_lock_held_elsewhere(path: Path) -> Iterator[subprocess.Popen]:
    """Another process holds the database's write lock (as a long import does) until the block
    ends; the block gets that process (still holding while ``proc.poll()`` is None)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
         "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.readline(); c.execute('ROLLBACK')",
         str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.communicate("\n", timeout=60)
