"""What one evaluation-stamp trigger costs per gold_spans row (issue 12), each variant in isolation.

    .venv/bin/python benchmarks/stamp_triggers.py --db COPY.db [--documents 3000] [--spans 100]

Inside one transaction that is rolled back at the end (the copy is left as it was), for each
variant of the ``evaluation_stamp_gold_spans_*`` triggers: replace the triggers, insert
``spans`` rows into each of ``documents`` never-edited documents with one ``executemany``
(as a bulk redo copies the model's spans into the gold), then delete them by document (as an
undo puts a started document back to never edited). Prints one JSON line per variant and
operation: microseconds per row (wall and CPU) and the load average.

Variants: ``none`` (no stamp trigger: the floor), ``noop`` (a trigger that writes nothing: what
firing a trigger per row costs), ``upsert`` (migration 0040: INSERT ... ON
CONFLICT DO UPDATE), ``update`` (a plain UPDATE of a row every document has). Run it on a
COPY (``sqlite3 SRC ".backup COPY"``): nothing is committed, but the shared files are never
opened for writing.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import time
from pathlib import Path

UPSERT = ("INSERT INTO evaluation_stamps(document_id, stamp) VALUES ({ref}.document_id, 1) "
          "ON CONFLICT(document_id) DO UPDATE SET stamp = stamp + 1;")
UPDATE = "UPDATE evaluation_stamps SET stamp = stamp + 1 WHERE document_id = {ref}.document_id;"
NOOP = "SELECT 1 WHERE 0;"
VARIANTS = {"none": None, "noop": NOOP, "upsert": UPSERT, "update": UPDATE}


def set_triggers(conn: sqlite3.Connection, bump: str | None) -> None:
    for event in ("insert", "delete", "update"):
        conn.execute(f"DROP TRIGGER IF EXISTS evaluation_stamp_gold_spans_{event}")
    if bump is None:
        return
    conn.execute("CREATE TRIGGER evaluation_stamp_gold_spans_insert AFTER INSERT ON gold_spans BEGIN "
                 f"{bump.format(ref='new')} END")
    conn.execute("CREATE TRIGGER evaluation_stamp_gold_spans_delete AFTER DELETE ON gold_spans BEGIN "
                 f"{bump.format(ref='old')} END")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--documents", type=int, default=3000)
    parser.add_argument("--spans", type=int, default=100)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    if str(args.db.resolve()).startswith("/work/scale-data/"):
        raise SystemExit("run it on a copy: the shared corpora are never written")
    conn = sqlite3.connect(args.db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")  # as the store opens it (annotator.store.connection)
    conn.execute("PRAGMA recursive_triggers = ON")
    conn.execute("BEGIN IMMEDIATE")
    try:
        # every document gets its stamp row (what the update variant relies on)
        conn.execute("INSERT OR IGNORE INTO evaluation_stamps(document_id, stamp) SELECT id, 0 FROM documents")
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM gold_spans g WHERE g.document_id = d.id) "
            "ORDER BY random() LIMIT ?", [args.documents])]
        ids.sort()  # a bulk change writes its documents in id order
        rows = [(d, "stamp-bench", i * 10, i * 10 + 5, "ORG", "model") for d in ids for i in range(args.spans)]
        for name in args.variants:
            set_triggers(conn, VARIANTS[name])
            for op in ("insert", "delete"):
                started, cpu = time.perf_counter(), time.process_time()
                if op == "insert":
                    conn.executemany("INSERT INTO gold_spans(document_id, annotator, start_char, end_char, label, "
                                     "origin) VALUES (?, ?, ?, ?, ?, ?)", rows)
                else:
                    conn.executemany("DELETE FROM gold_spans WHERE document_id = ? AND annotator = ?",
                                     [(d, "stamp-bench") for d in ids])
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                print(json.dumps({"figure": "stamp_triggers", "variant": name, "op": op, "rows": len(rows),
                                  "us_per_row": round(wall / len(rows) * 1e6, 2),
                                  "cpu_us_per_row": round(cpu / len(rows) * 1e6, 2),
                                  "load": round(os.getloadavg()[0], 2)}), flush=True)
    finally:
        conn.execute("ROLLBACK")
        conn.close()


if __name__ == "__main__":
    main()
