"""A process that runs the reviewer's window offscreen and edits through the window's own code.

Used by the durability tests and by ``benchmarks/crash_soak.py``. It opens the database as
``annotator open`` does (the GUI connection, then ``prepare`` starts the worker thread with
a connection of its own), prints ``READY`` when preparation ended, then follows commands
read from stdin, one per line:

- ``edit N``: make N edits (relabel, delete, label a selection, mark boilerplate, undo,
  accept) and print ``ACK <json>`` after each one returned, then ``EDITED``;
- ``run``: edit until killed (for the crash soak);
- ``quit``: close the window as Ctrl+Q does and exit 0.

Each ``ACK`` line carries the document, what the window holds for it afterwards (gold,
boilerplate, review state) and how many edit-log rows the document has: a checker can
tell an acknowledged edit that was lost from an edit that was still in flight.

Usage: python -m tests.durability.window_driver DB SETTINGS_INI [SEED]
"""

from __future__ import annotations

import json
import os
import random
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def state_of(window, doc_id: int) -> dict:
    """What the window holds for a document: from its view if open, else its own connection."""
    from annotator.ops import documents

    view = window.view
    if view is not None and view.document.id == doc_id:
        gold, boiler, review = view.gold, view.boilerplate, window.store.review(doc_id)
    else:
        snap = documents.snapshot(window.store, doc_id, window.annotator)
        gold, boiler, review = snap.gold, snap.boilerplate, window.store.review(doc_id)
    return {
        "doc": doc_id,
        "gold": [list(s) for s in sorted(gold)],
        "boilerplate": [list(r) for r in sorted(boiler)],
        "state": review.state,
        "edits": edit_counts(window).get(doc_id, 0),
    }


def edit_counts(window) -> dict[int, int]:
    """Edit-log rows per document, as the window's own connection sees them."""
    return dict(window.store.db.execute("SELECT document_id, count(*) FROM edits GROUP BY document_id").fetchall())


def one_edit(window, rng: random.Random, step: int) -> int | None:
    """One reviewer action on the open document through the window's methods."""
    view = window.view
    if view is None:
        return None
    doc_id = view.document.id
    text = view.document.text
    gold = view.gold
    kind = step % 9
    if kind in (0, 1, 2) and gold:  # relabel a span
        span = gold[rng.randrange(len(gold))]
        window.gold_view.select_range(span.start, span.end)
        window.apply_label(rng.choice([l for l in ("ORG", "GPE", "PERSON", "LOC") if l != span.label]))
    elif kind == 3 and gold:  # delete a span
        span = gold[rng.randrange(len(gold))]
        window.gold_view.select_range(span.start, span.end)
        window.delete_spans()
    elif kind == 4:  # label a word as NORP (replacing what it overlaps)
        words = [(i, i + len(w)) for i, w in _words(text) if w.isalpha() and len(w) > 3]
        if not words:
            return None
        start, end = words[rng.randrange(len(words))]
        window.gold_view.select_range(start, end)
        window.apply_label("NORP")
    elif kind == 5:  # mark a line as boilerplate
        line_start = rng.randrange(len(text))
        window.gold_view.place_cursor(line_start)
        window.mark_boilerplate()
    elif kind == 6 and window.undo_stack.canUndo():  # undo the last action (Ctrl+Z)
        window.actions_by_name["undo"].trigger()
    elif kind == 7:  # accept (opens the next document to review)
        window.finish_document("accepted")
    else:  # next document
        window.step_document(1)
    return doc_id


def _words(text: str):
    start = None
    for i, ch in enumerate(text + " "):
        if ch.isalnum():
            if start is None:
                start = i
        elif start is not None:
            yield start, text[start:i]
            start = None


def main() -> int:
    db, settings_path = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    from pathlib import Path

    from PySide6.QtCore import QSettings

    from annotator.gui.app import create_application
    from annotator.gui.main_window import MainWindow
    from annotator.pipeline import DEFAULT_MODEL
    from annotator.store import Store
    from annotator.store import connection

    # a refused edit must not wait for a click: answer "Retry" while the lock lasts (up to 60 s)
    import annotator.gui.editing as editing

    deadline = [0.0]

    def retry(_parent, _message):  # noqa: ANN001, ANN202
        if not deadline[0]:
            deadline[0] = time.monotonic() + 60
        return time.monotonic() < deadline[0]

    editing.ask_retry = retry
    app = create_application()
    timeout = getattr(connection, "GUI_BUSY_TIMEOUT_MS", None)  # (also runs against older versions)
    store = Store.open(Path(db), busy_timeout_ms=timeout) if timeout else Store.open(Path(db))
    window = MainWindow(store, model=DEFAULT_MODEL, annotator="tester",
                        settings=QSettings(settings_path, QSettings.Format.IniFormat))
    window.show()
    window.open_initial_document()
    window.prepare(Path(db), [])
    while window.preparing:
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()
    print("READY", flush=True)
    rng = random.Random(seed)
    step = 0
    counts = edit_counts(window)

    def edit() -> None:
        nonlocal step, counts
        deadline[0] = 0.0
        one_edit(window, rng, step)
        step += 1
        app.processEvents()
        now = edit_counts(window)
        for doc_id in sorted(d for d in now if now[d] != counts.get(d)):  # every document the action changed
            print("ACK " + json.dumps(state_of(window, doc_id)), flush=True)
        counts = now

    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        if command[0] == "edit":
            for _ in range(int(command[1])):
                edit()
            print("EDITED", flush=True)
        elif command[0] == "run":
            while True:
                edit()
                time.sleep(rng.random() * 0.01)
        elif command[0] == "quit":
            window.close()
            app.quit()
            store.close()
            print("QUIT", flush=True)
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
