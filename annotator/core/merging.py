"""Merging an annotator's version of a document into the project's: which one stays.

A *version* is one annotator's layer of one document in one file: review state, spans,
boilerplate, and the keys of the edit-log entries that made it. Edit-log entries are the
same in every copy of a file (time, action, payload), so they tell how two versions relate:

- the project has nothing of this annotator's for the document: the file's version comes in;
- both are the same: nothing changes (merging a file twice changes nothing);
- the file's log holds the project's last edit: the file continues the project's version
  (the annotator went on working), so the file's comes in;
- the project's log holds the file's last edit: the file is an older copy; the project's stays;
- otherwise the same annotator edited the document in two files: the later last edit wins,
  and the merge says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from annotator.core.model import TODO
from annotator.core.spans import Range, Span

EditKey = tuple[str, str, str]  # (created_at, action, payload as stored)

NEW = "new"
SAME = "same"
UPDATED = "updated"
OLDER = "older"
FILE_LATER = "file_later"  # edited in two files, the file's edit is later: it wins
PROJECT_LATER = "project_later"  # edited in two files, the project's edit is later: it stays


@dataclass
class Version:
    """One annotator's layer of a document as one file holds it."""

    state: str | None = None  # None: no review row
    updated_at: str | None = None  # of the review row
    spans: list[Span] = field(default_factory=list)
    boilerplate: list[Range] = field(default_factory=list)
    edits: list[EditKey] = field(default_factory=list)  # in log order
    stored: int | None = None  # spans and ranges the file holds when they were not read (None: read)

    @property
    def empty(self) -> bool:
        """Nothing to bring: never opened, no spans, no boilerplate."""
        held = (len(self.spans) + len(self.boilerplate)) if self.stored is None else self.stored
        return self.state in (None, TODO) and not held

    def content(self) -> tuple[object, ...]:
        if self.stored is not None:
            raise ValueError("the spans of this version were not read")
        return (self.state or TODO, sorted(self.spans), sorted(self.boilerplate))

    @property
    def last_edit(self) -> EditKey | None:
        return max(self.edits) if self.edits else None

    @property
    def last_time(self) -> str:
        """When this version was last changed: its last edit, else its review's time."""
        last = self.last_edit
        return max(last[0] if last else "", self.updated_at or "")


def decide(incoming: Version, current: Version | None) -> str:
    """What merging ``incoming`` (the file's) over ``current`` (the project's) does (see module docstring)."""
    if incoming.empty and (not incoming.edits or current is None or current.empty):
        return SAME  # nothing to bring (never touched, or nothing on either side)
    if current is None or current.empty:
        return NEW
    # from here an empty incoming version is a retraction (reset, the first edit undone): it is
    # compared like any other, and written when it is the later one
    if incoming.content() == current.content():
        return SAME
    incoming_keys = set(incoming.edits)
    current_last = current.last_edit
    if current_last is not None and current_last in incoming_keys:
        return UPDATED
    incoming_last = incoming.last_edit
    if incoming_last is not None and incoming_last in set(current.edits):
        return OLDER
    return FILE_LATER if incoming.last_time > current.last_time else PROJECT_LATER


def new_edits(incoming: Iterable[EditKey], current: Iterable[EditKey]) -> list[EditKey]:
    """Edit-log entries of the file the project does not have yet, in the file's order."""
    have = set(current)
    out = []
    for edit in incoming:
        if edit not in have:
            have.add(edit)
            out.append(edit)
    return out
