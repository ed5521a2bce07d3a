"""A merge killed with SIGKILL (kill -9) leaves the project exactly as it was before that file."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from annotator.core.hashing import content_hash
from annotator.core.model import ACCEPTED
from annotator.core.spans import Range, Span
from annotator.store import Store
from tests.conftest import ROOT, write_lock_taken

DOCS = 8000


def _work(path: Path, annotator: str, ids: list[int]) -> None:
    """An annotator's layers written straight through the store: spans, boilerplate, state, edits."""
    with Store.open(path) as store, store.transaction():
        for doc in ids:
            store.add_gold(doc, annotator, [Span(0, 6, "ORG"), Span(10, 14, "GPE"), Span(20, 25, "PERSON")])
            store.replace_boilerplate(doc, annotator, [Range(30, 40)])
            store.set_review(doc, ACCEPTED, annotator)
            for action in ("start_review", "relabel", "accept"):
                store.log_edit(doc, annotator, action, {"doc": doc, "by": annotator})


def _state(path: Path) -> dict[str, list[tuple]]:
    """The project's rows that a merge writes (assignments without their time)."""
    conn = sqlite3.connect(str(path))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        queries = {
            "documents": "SELECT id, content_hash FROM documents",
            "reviews": "SELECT document_id, annotator, state, updated_at FROM annotator_reviews",
            "latest": "SELECT document_id, annotator, state, updated_at FROM reviews",
            "gold": "SELECT document_id, annotator, spans, n_spans, labels FROM gold_layers",
            "boilerplate": "SELECT document_id, annotator, start_char, end_char FROM boilerplate",
            "edits": "SELECT id, document_id, annotator, action, payload, created_at FROM edits",
            "assignments": "SELECT document_id, annotator FROM assignments",
        }
        return {name: sorted(conn.execute(sql).fetchall()) for name, sql in queries.items()}
    finally:
        conn.close()


def test_sigkill_during_a_files_merge_leaves_the_project_as_after_the_previous_file(tmp_path):
    project = tmp_path / "project.db"
    with Store.open(project) as store, store.transaction():
        ids = [store.add_document(f"Wagner {i}: Mali and Kyiv talks, with Peskov, go on today.", f"d{i}.txt",
                                  content_hash(f"Wagner {i}: Mali and Kyiv talks, with Peskov, go on today."))[0]
               for i in range(DOCS)]
    small, big = tmp_path / "ann.db", tmp_path / "bob.db"
    shutil.copy(project, small)  # no connection is open on any of them
    shutil.copy(project, big)
    _work(small, "ann", ids[:10])
    _work(big, "bob", ids)
    expected = tmp_path / "expected.db"
    shutil.copy(project, expected)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "annotator", "merge", str(small), "--db", str(expected)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after_small = _state(expected)
    assert sum(r[3] for r in after_small["gold"]) == 30 and not any(r[1] == "bob" for r in after_small["reviews"])

    with subprocess.Popen([sys.executable, "-m", "annotator", "merge", str(small), str(big), "--db", str(project)],
                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()
        assert line.startswith(f"Merged {small}"), line + proc.stderr.read()
        assert write_lock_taken(project, proc), "the merge of the big file never took the write lock"
        proc.send_signal(signal.SIGKILL)  # inside the big file's transaction, whatever the machine's speed
        rest = proc.stdout.read()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL and "bob.db" not in rest
    assert _state(project) == after_small

    finished = subprocess.run([sys.executable, "-m", "annotator", "merge", str(big), "--db", str(project)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    final = _state(project)
    assert sum(r[3] for r in final["gold"]) == 30 + 3 * DOCS and len(final["edits"]) == 3 * (10 + DOCS)


def test_window_edits_wait_their_turn_while_a_file_is_merged(tmp_path):
    """The lead's window (its busy timeout, its edit actions) keeps saving while another process merges."""
    from annotator.core.errors import BusyError
    from annotator.ops import gold_edits
    from annotator.store.connection import GUI_BUSY_TIMEOUT_MS

    project = tmp_path / "project.db"
    with Store.open(project) as store, store.transaction():
        ids = [store.add_document(f"Kyiv {i}: Mali and Wagner talks went on.", f"d{i}.txt",
                                  content_hash(f"Kyiv {i}: Mali and Wagner talks went on."))[0] for i in range(3000)]
    big = tmp_path / "bob.db"
    shutil.copy(project, big)
    _work(big, "bob", ids)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    acknowledged, busy = [], 0
    with Store.open(project, busy_timeout_ms=GUI_BUSY_TIMEOUT_MS) as window:
        with subprocess.Popen([sys.executable, "-m", "annotator", "merge", str(big), "--db", str(project)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
            doc = ids[0]
            while proc.poll() is None or len(acknowledged) < 20:
                start = len(acknowledged) % 30
                span = Span(start, start + 1, "ORG")
                try:
                    gold_edits.add_span(window, doc, "lead", span, ["ORG"])
                    acknowledged.append(span)
                except BusyError:
                    busy += 1
                    continue
                gold_edits.remove_span(window, doc, "lead", span)
            out, errors = proc.communicate(timeout=60)
        assert proc.returncode == 0, errors
        assert "3000 new" in out
    with Store.open(project) as store:  # every acknowledged edit is there (a wait that ran out changed nothing)
        assert store.gold(ids[0], "lead") == []
        logged = [e for e in store.edits(ids[0]) if e["annotator"] == "lead" and e["action"] != "start_review"]
        assert len(logged) == 2 * len(acknowledged)
        assert len(store.gold(ids[-1], "bob")) == 3
