"""A document flagged by an annotator ("unsure", with an optional note), and its JSONL form.

A flag belongs to one document and one annotator. In exported Prodigy JSONL the flags of a
line travel in ``meta.flags``, a list with one object per annotator::

    "meta": {..., "flags": [{"annotator": "ann", "flag": "unsure", "note": "ORG or GPE?",
                             "updated_at": "2026-11-22T02:10:00.000000+00:00"}]}

``import`` and ``merge`` read the list back (an item without ``annotator`` is the line's
``_annotator_id``'s, or the importing annotator's); the later ``updated_at`` wins. A line
with no ``meta.flags`` leaves the flags the project has as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotator.core.errors import InputError
from annotator.core.team import check_annotator_name

UNSURE = "unsure"
NOTE_MAX = 2000  # characters: a note for the lead, not a document


@dataclass(frozen=True)
class Flag:
    """One annotator's flag on one document (``flag`` empty: cleared)."""

    annotator: str
    flag: str
    note: str
    updated_at: str

    @property
    def is_set(self) -> bool:
        return bool(self.flag)

    def to_meta(self) -> dict[str, str]:
        return {"annotator": self.annotator, "flag": self.flag, "note": self.note, "updated_at": self.updated_at}


def check_note(note: str) -> str:
    """The note as stored: surrounding blanks dropped, refused when too long to be a note."""
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InputError(f"a note holds at most {NOTE_MAX} characters (this one has {len(note)})")
    return note


def flags_from_meta(meta: dict[str, Any], default_annotator: str | None, fallback_time: str) -> list[Flag]:
    """The flags in a record's ``meta.flags`` (see the module docstring); :class:`InputError` on a
    malformed list (the caller adds file and line)."""
    raw = meta.get("flags")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError('"meta.flags" must be a list of {"annotator", "flag", "note"} objects')
    found: list[Flag] = []
    for i, item in enumerate(raw):
        where = f"meta.flags[{i}]"
        if not isinstance(item, dict):
            raise InputError(f"{where} must be an object")
        who = item.get("annotator", default_annotator)
        if not isinstance(who, str) or not who:
            raise InputError(f"{where} names no annotator (no \"annotator\" and no \"_annotator_id\")")
        try:
            check_annotator_name(who)
        except InputError as exc:
            raise InputError(f"{where}.annotator: {exc.message}") from None
        flag, note, when = item.get("flag", UNSURE), item.get("note", ""), item.get("updated_at", fallback_time)
        if not isinstance(flag, str) or not flag.strip():
            raise InputError(f"{where}.flag must be a non-empty string")
        if not isinstance(note, str):
            raise InputError(f"{where}.note must be a string")
        if not isinstance(when, str) or not when:
            raise InputError(f"{where}.updated_at must be an ISO 8601 time string")
        try:
            note = check_note(note)
        except InputError as exc:
            raise InputError(f"{where}: {exc.message}") from None
        found.append(Flag(who, flag.strip(), note, when))
    return found
