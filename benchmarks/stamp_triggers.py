"""What an evaluation-stamp trigger costs per gold_spans row, and what binding rows from Python
costs, each measured alone (issue 12).

    .venv/bin/python benchmarks/stamp_triggers.py [--documents 10000] [--spans 100] [--db COPY.db]

Builds a throwaway database shaped like a project's gold (``gold_spans`` with its two indexes,
foreign key and checks; ``evaluation_stamps`` with a row per document; as many spans already
there as the test adds), or works on ``--db``, a COPY of a corpus (everything happens in
transactions that are rolled back). Then, three rounds interleaved, best CPU time of the three:

* trigger variants, rows inserted and deleted by one SQL statement (no Python per row):
  ``none`` (no stamp trigger), ``noop`` (a trigger whose body writes nothing: the price of firing
  one), ``upsert`` (migration 0040: INSERT ... ON CONFLICT DO UPDATE), ``update`` (a plain
  UPDATE of a row every document has);
* binding, with the 0040 triggers: the same rows through ``executemany`` (one statement run per
  row) and through one statement that unpacks a JSON array (``json_each``, what
  ``annotator.store.bulk.add_gold_rows`` does).

Prints one JSON line per measure: microseconds of CPU per row, the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path

UPSERT = ("INSERT INTO evaluation_stamps(document_id, stamp) VALUES ({ref}.document_id, 1) "
          "ON CONFLICT(document_id) DO UPDATE SET stamp = stamp + 1;")
VARIANTS = {
    "none": None,
    "noop": "SELECT 1 WHERE 0;",
    "upsert": UPSERT,
    "update": "UPDATE evaluation_stamps SET stamp = stamp + 1 WHERE document_id = {ref}.document_id;",
}
SCHEMA = """
CREATE TABLE documents (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE gold_spans (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    annotator TEXT NOT NULL, start_char INTEGER NOT NULL, end_char INTEGER NOT NULL, label TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('model', 'human')), CHECK (start_char < end_char));
CREATE INDEX gold_spans_doc ON gold_spans(document_id, annotator, start_char);
CREATE INDEX gold_spans_label ON gold_spans(label);
CREATE TABLE evaluation_stamps (document_id INTEGER PRIMARY KEY, stamp INTEGER NOT NULL);
"""
LABELS = ("ORG", "GPE", "PERSON", "DATE", "LOC", "NORP")
INSERT = ("INSERT INTO gold_spans(document_id, annotator, start_char, end_char, label, origin) "
          "VALUES (?, 'stamp-bench', ?, ?, ?, 'model')")
INSERT_JSON = ("INSERT INTO gold_spans(document_id, annotator, start_char, end_char, label, origin) "
               "SELECT j.value ->> 0, 'stamp-bench', j.value ->> 1, j.value ->> 2, j.value ->> 3, 'model' "
               "FROM json_each(?) j")


def build(path: Path, documents: int, spans: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(SCHEMA)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO documents(id, text) VALUES (?, 'text')", [(d,) for d in range(1, 10 * documents + 1)])
    conn.execute("INSERT INTO evaluation_stamps SELECT id, 0 FROM documents")
    conn.executemany("INSERT INTO gold_spans(document_id, annotator, start_char, end_char, label, origin) "
                     "VALUES (?, 'other', ?, ?, ?, 'model')",
                     [(d, i * 10, i * 10 + 5, LABELS[i % 6]) for d in range(1, 10 * documents + 1, 10)
                      for i in range(spans)])
    conn.execute("COMMIT")
    conn.close()


def stage(conn: sqlite3.Connection, rows: list[tuple[int, int, int, str]]) -> None:
    """The rows into a temporary table (no index, no trigger: no statement journal per row), then
    into the gold with one statement."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS staged_gold(d, s, e, l)")
    conn.executemany("INSERT INTO staged_gold VALUES (?, ?, ?, ?)", rows)
    conn.execute("INSERT INTO gold_spans(document_id, annotator, start_char, end_char, label, origin) "
                 "SELECT d, 'stamp-bench', s, e, l, 'model' FROM staged_gold")
    conn.execute("DELETE FROM staged_gold")


def set_triggers(conn: sqlite3.Connection, body: str | None) -> None:
    for event in ("insert", "delete", "update"):
        conn.execute(f"DROP TRIGGER IF EXISTS evaluation_stamp_gold_spans_{event}")
    if body is not None:
        for event, ref in (("insert", "new"), ("delete", "old")):
            conn.execute(f"CREATE TRIGGER evaluation_stamp_gold_spans_{event} AFTER {event.upper()} ON gold_spans "
                         f"BEGIN {body.format(ref=ref)} END")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a COPY of a corpus (default: a throwaway database)")
    parser.add_argument("--documents", type=int, default=10000)
    parser.add_argument("--spans", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db
        if path is None:
            path = Path(tmp) / "stamps.db"
            build(path, args.documents, args.spans)
        elif str(path.resolve()).startswith("/work/scale-data/"):
            raise SystemExit("run it on a copy: the shared corpora are never written")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")  # as the store opens it (annotator.store.connection)
        conn.execute("PRAGMA recursive_triggers = ON")
        conn.execute("BEGIN")
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM gold_spans g WHERE g.document_id = d.id) "
            "ORDER BY random() LIMIT ?", [args.documents])]
        conn.execute("ROLLBACK")
        ids.sort()  # a bulk change writes its documents in id order
        rows = [(d, i * 10, i * 10 + 5, LABELS[i % 6]) for d in ids for i in range(args.spans)]
        conn.execute("CREATE TEMP TABLE bench_rows(d, s, e, l)")
        conn.executemany("INSERT INTO bench_rows VALUES (?, ?, ?, ?)", rows)
        conn.execute("CREATE TEMP TABLE bench_docs(d INTEGER PRIMARY KEY)")
        conn.executemany("INSERT INTO bench_docs VALUES (?)", [(d,) for d in ids])
        payload = json.dumps(rows)
        best: dict[str, float] = {}

        def measure(name: str, run) -> None:
            started = time.process_time()
            run()
            best[name] = min(best.get(name, float("inf")), time.process_time() - started)

        for _round in range(3):
            for variant, body in VARIANTS.items():
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute("INSERT OR IGNORE INTO evaluation_stamps SELECT id, 0 FROM documents")
                    set_triggers(conn, body)
                    measure(f"{variant} insert", lambda: conn.execute(
                        "INSERT INTO gold_spans(document_id, annotator, start_char, end_char, label, origin) "
                        "SELECT d, 'stamp-bench', s, e, l, 'model' FROM bench_rows"))
                    measure(f"{variant} delete", lambda: conn.execute(
                        "DELETE FROM gold_spans WHERE annotator = 'stamp-bench' "
                        "AND document_id IN (SELECT d FROM bench_docs)"))
                finally:
                    conn.execute("ROLLBACK")
            for binding in ("executemany", "json_each", "temp table"):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    set_triggers(conn, UPSERT)
                    if binding == "executemany":
                        measure("upsert insert by executemany", lambda: conn.executemany(INSERT, rows))
                    elif binding == "json_each":
                        measure("upsert insert by json_each", lambda: conn.execute(INSERT_JSON, [payload]))
                    else:
                        measure("upsert insert by temp table", lambda: stage(conn, rows))
                finally:
                    conn.execute("ROLLBACK")
        conn.close()
    for name, seconds in best.items():
        print(json.dumps({"figure": "stamp_triggers", "measure": name, "rows": len(rows),
                          "cpu_us_per_row": round(seconds / len(rows) * 1e6, 2),
                          "load": round(os.getloadavg()[0], 2)}), flush=True)


if __name__ == "__main__":
    main()
