"""Flag a document "unsure" with an optional note, or clear the flag: the window's Ctrl+U.

Each call is one short write transaction, written at once. Flags are per annotator; how they
travel in JSONL is described in :mod:`annotator.core.flags`.
"""

from __future__ import annotations

from annotator.core.flags import UNSURE, Flag, check_note
from annotator.core.team import check_annotator_name
from annotator.store import Store
from annotator.store import flags as sql
from annotator.store.store import now


def flag_of(store: Store, document_id: int, annotator: str) -> Flag | None:
    """``annotator``'s flag on the document, or None."""
    return sql.get(store, document_id, annotator)


def set_flag(store: Store, document_id: int, annotator: str, note: str = "", flag: str = UNSURE) -> Flag:
    """Flag the document (``unsure`` unless told) with ``note``; replaces an earlier flag and note."""
    check_annotator_name(annotator)
    store.document_source(document_id)  # refuses an unknown document
    written = Flag(annotator, flag, check_note(note), now())
    with store.transaction():
        sql.put(store, document_id, written)
    return written


def clear_flag(store: Store, document_id: int, annotator: str) -> None:
    """Remove ``annotator``'s flag and note from the document (a merge carries the clearing on)."""
    with store.transaction():
        sql.put(store, document_id, Flag(annotator, "", "", now()))


def restore_flag(store: Store, document_id: int, annotator: str, flag: Flag | None) -> None:
    """Put back a flag as it was (None: no flag), stamped now (undo and redo)."""
    if flag is None:
        clear_flag(store, document_id, annotator)
    else:
        set_flag(store, document_id, annotator, flag.note, flag.flag)
