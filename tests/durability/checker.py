"""Checking a database against what a window driver acknowledged (tests and the crash soak)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from annotator.core.packing import unpack_gold


@dataclass
class Check:
    """The verdict on one database after the window process ended."""

    acknowledged: int = 0  # ACK lines read
    documents: int = 0  # documents with at least one acknowledged state
    lost: list[str] = field(default_factory=list)  # acknowledged states the database does not have
    lost_edits: int = 0  # acknowledged edit-log rows missing from the database
    in_flight: int = 0  # documents whose last (unacknowledged) edit landed after the last ACK
    integrity: str = ""


def read_acks(lines: list[str]) -> list[dict]:
    """The ACK lines; the last line may have been cut by the kill (then it acknowledged nothing)."""
    acks = []
    for k, line in enumerate(lines):
        if not line.startswith("ACK "):
            continue
        try:
            acks.append(json.loads(line[4:]))
        except json.JSONDecodeError:
            if k != len(lines) - 1:
                raise
    return acks


def database_state(conn: sqlite3.Connection, doc_id: int, annotator: str = "tester") -> dict:
    layer = conn.execute("SELECT spans FROM gold_layers WHERE document_id = ? AND annotator = ?",
                         [doc_id, annotator]).fetchone()
    gold = sorted(list(r) for r in (unpack_gold(layer[0]) if layer else []))
    boiler = [list(r) for r in conn.execute(
        "SELECT start_char, end_char FROM boilerplate WHERE document_id = ? AND annotator = ? ORDER BY start_char",
        [doc_id, annotator])]
    row = conn.execute("SELECT state FROM reviews WHERE document_id = ?", [doc_id]).fetchone()
    edits = conn.execute("SELECT count(*) FROM edits WHERE document_id = ?", [doc_id]).fetchone()[0]
    return {"doc": doc_id, "gold": gold, "boilerplate": boiler, "state": row[0] if row else "todo", "edits": edits}


def check_database(db: Path, lines: list[str], *, finished: bool) -> Check:
    """Every acknowledged state is in the database; ``finished`` means no edit was in flight."""
    acks = read_acks(lines)
    last: dict[int, dict] = {}
    for ack in acks:
        last[ack["doc"]] = ack
    result = Check(acknowledged=len(acks), documents=len(last))
    conn = sqlite3.connect(str(db))
    try:
        result.integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        for doc_id, want in sorted(last.items()):
            have = database_state(conn, doc_id)
            if have["edits"] > want["edits"] and not finished:
                result.in_flight += 1  # the edit being made when the process died committed: newer, not lost
                continue
            if have != want:
                result.lost_edits += max(1, want["edits"] - have["edits"])
                diff = {k: (want[k], have[k]) for k in want if want[k] != have[k]}
                result.lost.append(f"document {doc_id}: acknowledged vs stored {json.dumps(diff)[:300]}")
    finally:
        conn.close()
    return result


def sqlite3_shell(db: Path) -> None:
    """What a user does with the sqlite3 shell: open the database, query, quit (a real separate program)."""
    import shutil
    import sys

    sql = "SELECT count(*) FROM documents; SELECT state, count(*) FROM reviews GROUP BY state;"
    shell = shutil.which("sqlite3")
    if shell:
        subprocess.run([shell, str(db), sql], check=True, capture_output=True, timeout=60)
    else:
        code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                f"[c.execute(s).fetchall() for s in {sql!r}.split(';') if s.strip()]; c.close()")
        subprocess.run([sys.executable, "-c", code, str(db)], check=True, capture_output=True, timeout=60)
