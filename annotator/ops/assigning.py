"""``annotator assign``: one self-contained project file per annotator.

Each file holds the annotator's documents with their stored tokens and predictions, the
project's label set and identity, and whom it is for (``owner``): the window opened on it
works as that annotator. Only documents assigned to nobody are handed out, so re-running
after importing new documents assigns only the new ones; a file that already exists for
the same annotator and project gets the new documents added (nothing of the annotator's
work in it is touched). A new file appears only once it is complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from annotator.core.assignment import check_plan_options, plan
from annotator.core.errors import InputError, StoreError
from annotator.core.team import check_annotator_name
from annotator.core.labels import LabelSet, parse_label_set
from annotator.ops.labels import SETTING as LABELS_SETTING, project_labels
from annotator.store import Store
from annotator.store import team
from annotator.ops.indexing import index_pending
from annotator.store.creating import fill_database
from annotator.store.store import now

OWNER = "owner"


@dataclass
class AssignedFile:
    annotator: str
    path: Path
    documents: int  # handed out in this run
    created: bool  # a new file (else documents were added to an existing one)


@dataclass
class AssignReport:
    files: list[AssignedFile] = field(default_factory=list)
    documents: int = 0  # distinct documents handed out
    shared: int = 0  # of which to two annotators
    left: int = 0  # unassigned documents that did not fit (--per-annotator)


def annotator_file(out_dir: Path, annotator: str) -> Path:
    return Path(out_dir) / f"{annotator}.db"


def _check_existing(path: Path, annotator: str, project_id: str) -> None:
    """An existing target must be this project's file for this annotator."""
    with Store.open(path, create=False) as existing:
        owner, pid = existing.owner(), existing.project_id()
    if owner != annotator:
        raise InputError(f"already exists and is {'a project file' if owner is None else f'for {owner!r}'}, "
                         f"not {annotator!r}'s file; choose another --out folder", path=path)
    if pid != project_id:
        raise InputError("already exists and belongs to another project; choose another --out folder", path=path)


def assign(store: Store, out_dir: Path, annotators: list[str], *, overlap: float = 0.2,
           per_annotator: int | None = None, seed: int = 0) -> AssignReport:
    """Hand out the documents nobody has yet (see the module docstring)."""
    for name in annotators:
        check_annotator_name(name)
    check_plan_options(annotators, overlap, per_annotator)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("is not a folder", path=out_dir)
    if not out_dir.parent.is_dir():
        raise InputError(f"folder {out_dir.parent} does not exist", path=out_dir)
    if store.owner() is not None:
        raise InputError(f"is {store.owner()!r}'s assigned file, not the project: assign from the project",
                         path=store.path)
    project_id = store.project_id()
    for name in annotators:
        target = annotator_file(out_dir, name)
        if target.exists():
            _check_existing(target, name, project_id)
    pending = team.unassigned(store)
    by_hash = {digest: doc for doc, digest in pending}
    drawn = plan(list(by_hash), annotators, overlap=overlap, per_annotator=per_annotator, seed=seed)
    report = AssignReport()
    counts: dict[str, int] = {}
    for keys in drawn.values():
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    report.documents, report.shared = len(counts), sum(1 for n in counts.values() if n > 1)
    report.left = len(pending) - len(counts)
    if not counts:
        return report
    out_dir.mkdir(exist_ok=True)
    labels = project_labels(store).to_json()
    for name in annotators:
        keys = drawn[name]
        if not keys:
            continue
        target = annotator_file(out_dir, name)
        created = not target.exists()
        ids = [by_hash[key] for key in keys]
        fill_database(target, lambda own: _fill(own, store.path, ids, keys, name, project_id, labels))
        report.files.append(AssignedFile(name, target, len(keys), created))
    with store.transaction():
        team.assign(store, [(by_hash[key], name) for name, keys in drawn.items() for key in keys], now())
    return report


def _fill(own: Store, project_path: Path, ids: list[int], keys: list[str], annotator: str, project_id: str,
          labels: str) -> None:
    """Copy documents ``ids`` of the project into an annotator's file and make it theirs."""
    if own.document_count() and own.owner() != annotator:  # created by somebody else meanwhile
        raise StoreError(f"is not {annotator!r}'s file", path=own.path)
    with team.attached(own, project_path) as alias, own.transaction():
        own.set_setting("project_id", project_id)
        own.set_setting(OWNER, annotator)
        _add_labels(own, labels)
        team.copy_documents(own, alias, ids)
        mine = team.ids_by_hash(own, keys)
        team.assign(own, [(mine[key], annotator) for key in keys], now())
    index_pending(own)  # search and boilerplate suggestions work in the annotator's window at once


def _add_labels(own: Store, labels_json: str) -> None:
    """The project's label set, plus labels the file has and the project lacks (kept, never dropped)."""
    import json

    project = parse_label_set(json.loads(labels_json), "project labels")
    if own.setting(LABELS_SETTING) is None:
        own.set_setting(LABELS_SETTING, labels_json)
        return
    mine = project_labels(own)
    extra = tuple(label for label in project.labels if label.name not in mine)
    if extra:
        own.set_setting(LABELS_SETTING, LabelSet(mine.labels + extra).to_json())


def visible_ids(store: Store, states: list[str] | None = None) -> list[int]:
    """The documents the window lists: in an annotator's file only those assigned to its owner
    (by the owner's own review state), in a project every document (by its latest review)."""
    owner = store.owner()
    if owner is None:
        return store.document_ids(states)
    return team.assigned_document_ids(store, owner, states)
