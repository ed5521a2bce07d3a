"""``annotator merge``: bring annotators' work back into the project, one transaction per file.

A file is an annotator's project file (from ``annotator assign``, or any copy of the
project) or Prodigy-style JSONL whose lines name their annotator (``_annotator_id``, or
``--annotator``). Documents are matched by content hash. For each annotator's version of a
document, :func:`annotator.core.merging.decide` says which stays; gold, boilerplate and the
review state move together, and the edit log gains the entries the project lacks, so
merging a file twice changes nothing. Flags and notes come along (project files' ``flags``
rows, JSONL lines' ``meta.flags``), the later per document and annotator winning. A document
that becomes gold through a merge gets its train/dev split in the same transaction, as an
accept in the window gives it. Each file is one ``BEGIN IMMEDIATE`` transaction, read and
written a page of documents at a time: the window may stay open (its edits wait for the file
being merged), and a merge killed half-way leaves the project as before that file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from annotator.core.errors import InputError
from annotator.core.flags import Flag, flags_from_meta
from annotator.core.merging import FILE_LATER, NEW, PROJECT_LATER, UPDATED, EditKey, Version, decide, new_edits
from annotator.core.model import TODO, GoldRecord
from annotator.core.hashing import content_hash
from annotator.core.spans import merge_ranges
from annotator.core.team import check_annotator_name
from annotator.ops.importing import JSONL_SUFFIXES, check_record, iter_records
from annotator.ops.labels import project_labels
from annotator.ops.textfiles import require_regular_file
from annotator.ops.indexing import index_pending
from annotator.store import Store
from annotator.store import team
from annotator.store import flags as flags_sql
from annotator.store.connection import inspect_database, needs_migration
from annotator.store.creating import upgraded_copy
from annotator.store.store import now

PAGE = 1000  # documents (or JSONL lines) read and written at a time
EXAMPLES = 3


PROJECT_FILE = "project file"
OLD_PROJECT_FILE = "project file of an older annotator"


@dataclass
class FileReport:
    """What merging one file did."""

    path: Path
    kind: str  # "project file" or "JSONL"
    annotators: set[str] = field(default_factory=set)
    outcomes: dict[str, int] = field(default_factory=dict)  # decide() outcome -> versions
    edited_twice: list[str] = field(default_factory=list)  # first few "source (annotator): which won"
    edits_added: int = 0
    unknown: int = 0  # documents whose text the project does not have
    added: int = 0  # of which added (--add-new)
    lines_without_annotation: int = 0  # JSONL lines that are predictions or carry no annotation
    flags: int = 0  # flags and notes written (the later of the file's and the project's wins)
    written: set[tuple[int, str]] = field(default_factory=set)  # (document, annotator) layers written so far

    def count(self, outcome: str) -> int:
        return self.outcomes.get(outcome, 0)

    @property
    def brought(self) -> int:
        """Versions that changed the project."""
        return self.count(NEW) + self.count(UPDATED) + self.count(FILE_LATER)


@dataclass
class MergeReport:
    files: list[FileReport] = field(default_factory=list)


def check_file(store: Store, path: Path, force: bool) -> str:
    """Refuse what cannot be merged before anything is written; return the file's kind.

    A project file is only read: its header, schema steps, project id and labels, through a
    read-only connection (no WAL switch, no migration, no backup beside the annotator's file).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("does not exist", path=path)
    require_regular_file(path)
    if path.suffix.lower() in JSONL_SUFFIXES:
        return "JSONL"
    if os.path.samefile(path, store.path):
        raise InputError("is the project itself", path=path)
    applied, other_id = inspect_database(path)  # refuses non-SQLite, foreign and newer databases
    if other_id != store.project_id() and not force:
        raise InputError(f"belongs to another project ({other_id or 'none'}, this one is {store.project_id()}); "
                         "pass --force to merge it anyway (documents are matched by their text)", path=path)
    return OLD_PROJECT_FILE if needs_migration(applied) else PROJECT_FILE


def _check_labels(store: Store, alias: str, path: Path) -> None:
    """Refuse a file whose gold uses labels the project does not have (as JSONL lines are refused)."""
    known = set(project_labels(store).names)
    unknown = sorted(team.labels_used(store, alias) - known)
    if unknown:
        raise InputError(f"its gold uses labels the project does not have: {', '.join(unknown)}; add them to the "
                         "project's label set (annotator import --labels FILE) and merge again", path=path)


def merge_files(
    store: Store, paths: Sequence[Path], *, force: bool = False, add_new: bool = False,
    annotator: str | None = None, on_file: Callable[[FileReport], None] | None = None,
) -> MergeReport:
    """Merge each file in turn (see the module docstring); ``on_file`` hears of each once committed."""
    if annotator is not None:
        check_annotator_name(annotator)
    kinds = [check_file(store, Path(p), force) for p in paths]
    report = MergeReport()
    with team.page_cache(store):
        for path, kind in zip(paths, kinds):
            _merge_file(store, Path(path), kind, report, add_new, annotator, on_file)
    index_pending(store)  # documents added with --add-new
    return report


def _merge_file(store: Store, path: Path, kind: str, report: MergeReport, add_new: bool, annotator: str | None,
                on_file: Callable[[FileReport], None] | None) -> None:
    file_report = FileReport(path, kind if kind != OLD_PROJECT_FILE else PROJECT_FILE)
    if kind == "JSONL":
        _merge_jsonl(store, path, file_report, add_new, annotator)
    elif kind == OLD_PROJECT_FILE:
        with upgraded_copy(path, store.path) as copy:  # the annotator's file stays as it was
            _merge_db(store, copy, file_report, add_new, path)
    else:
        _merge_db(store, path, file_report, add_new, path)
    report.files.append(file_report)
    if on_file is not None:
        on_file(file_report)


def _merge_db(store: Store, path: Path, report: FileReport, add_new: bool, named: Path) -> None:
    with team.attached(store, path) as alias, store.transaction():
        _check_labels(store, alias, named)
        after = 0
        while page := team.source_page(store, alias, after, PAGE):
            after = page[-1][0]
            hashes = [digest for _, digest in page]
            known = team.ids_by_hash(store, hashes)
            unknown = [src for src, digest in page if digest not in known]
            report.unknown += len(unknown)
            if unknown and add_new:
                report.added += team.copy_documents(store, alias, unknown)
                known = team.ids_by_hash(store, hashes)
            to_project = {src: known[digest] for src, digest in page if digest in known}
            _merge_page(store, alias, to_project, report)
        report.flags += flags_sql.copy_from(store, alias)  # flags and notes: the later row wins


def _merge_page(store: Store, alias: str, to_project: dict[int, int], report: FileReport) -> None:
    """One page of a project file. Spans are read only where the project has a version to compare
    with; what comes in is copied by SQL, file to project, without passing through Python, and so
    are the edit-log entries of annotators the project has none of for a document."""
    incoming = team.versions(store, alias, list(to_project), spans=False, edits=False)
    if not incoming:
        return
    current = team.versions(store, "main", sorted(set(to_project.values())), sorted({who for _, who in incoming}))
    # the file's spans and edit keys are read only where the project has something of that annotator's
    compare = [(src, who) for src, who in incoming if (to_project[src], who) in current]
    if compare:
        full = team.versions(store, alias, sorted({src for src, _ in compare}), sorted({who for _, who in compare}))
        incoming.update({pair: full[pair] for pair in compare})
    source = {(to_project[src], who): src for src, who in incoming}
    by_sql = {pair for pair in source if not current.get(pair, Version()).edits}
    writes, edits = _decide(store, {(to_project[src], who): v for (src, who), v in incoming.items()}, current,
                            report, by_sql)
    replace = {pair for pair, version in current.items() if version.spans or version.boilerplate}
    layers = {(doc, who) for doc, who, _ in writes}
    picks = [(source[pair], pair[0], pair[1], pair in layers, pair in by_sql) for pair in layers | by_sql]
    report.edits_added += team.copy_versions(store, alias, picks, replace)
    store.assign_splits(sorted({doc for doc, _ in layers}), now())  # documents the merge made gold
    team.add_edits(store, edits)
    report.edits_added += len(edits)


def _decide(store: Store, incoming: dict[tuple[int, str], Version], current: dict[tuple[int, str], Version],
            report: FileReport, edits_elsewhere: set[tuple[int, str]] = frozenset(),  # type: ignore[assignment]
            ) -> tuple[list[tuple[int, str, Version]], list[tuple[int, str, EditKey]]]:
    """Decide a page of incoming versions (project document ids): returns the versions to write and
    the edit-log entries the project lacks (but for the pairs in ``edits_elsewhere``); records
    assignments and counts in ``report``."""
    writes, edits, assigned = [], [], []
    for (doc, who), version in incoming.items():
        mine = current.get((doc, who))
        outcome = decide(version, mine)
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
        same_file = (doc, who) in report.written  # an earlier line of this file: not an edit made in two files
        if outcome in (NEW, UPDATED, FILE_LATER):
            writes.append((doc, who, version))
            report.written.add((doc, who))
        if outcome in (FILE_LATER, PROJECT_LATER) and not same_file and len(report.edited_twice) < EXAMPLES:
            kept = "this file's later edit kept" if outcome == FILE_LATER else "the project's later edit kept"
            report.edited_twice.append(f"{store.document_source(doc)} ({who}): {kept}")
        if not version.empty:
            report.annotators.add(who)
            assigned.append((doc, who))
        if (doc, who) not in edits_elsewhere:
            edits.extend((doc, who, key) for key in new_edits(version.edits, mine.edits if mine else []))
    team.assign(store, assigned, now())
    return writes, edits


def _line_time(obj: dict[str, Any], file_time: datetime, number: int) -> str:
    """A line's ``_timestamp``, else the file's time plus one microsecond per line: within a
    file a later line is later (whatever batch it falls in), and it wins."""
    stamp = obj.get("_timestamp")
    if isinstance(stamp, (int, float)) and not isinstance(stamp, bool) and 0 < stamp < 1e11:
        return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="microseconds")
    return (file_time + timedelta(microseconds=number)).isoformat(timespec="microseconds")


def _merge_jsonl(store: Store, path: Path, report: FileReport, add_new: bool, annotator: str | None) -> None:
    labels = project_labels(store)
    file_time = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    with store.transaction():
        batch: list[tuple[int, str, GoldRecord, str]] = []
        flagged: list[tuple[str, list[Flag]]] = []  # (content hash, the line's meta.flags)
        for number, obj, record in iter_records(path):
            try:
                flags = flags_from_meta(record.meta, record.annotator or annotator, _line_time(obj, file_time, number))
            except InputError as exc:
                raise InputError(exc.message, path=path, line=number) from None
            if flags:
                flagged.append((content_hash(record.text), flags))
            if record.state in (None, TODO) or (record.spans is None and not record.boilerplate):
                report.lines_without_annotation += 1
                continue
            try:
                check_record(record, labels)
            except InputError as exc:
                raise InputError(exc.message, path=path, line=number) from None
            who = record.annotator or annotator
            if who is None:
                raise InputError("names no annotator (no \"_annotator_id\"): pass --annotator NAME", path=path,
                                 line=number)
            check_annotator_name(who, f"{path}:{number}")
            batch.append((number, who, record, _line_time(obj, file_time, number)))
            if len(batch) >= PAGE:
                _flush_lines(store, path, batch, report, add_new)
                batch = []
        _flush_lines(store, path, batch, report, add_new)
        for i in range(0, len(flagged), PAGE):
            part = flagged[i:i + PAGE]
            known = team.ids_by_hash(store, [digest for digest, _ in part])
            report.flags += flags_sql.put_if_later(
                store, [(known[digest], flag) for digest, flags in part if digest in known for flag in flags])


def _flush_lines(store: Store, path: Path, batch: list[tuple[int, str, GoldRecord, str]], report: FileReport,
                 add_new: bool) -> None:
    hashes = {content_hash(record.text): record for _, _, record, _ in batch}
    known = team.ids_by_hash(store, list(hashes))
    for digest, record in hashes.items():
        if digest in known:
            continue
        report.unknown += 1
        if add_new:
            known[digest], _ = store.add_document(record.text, record.source or path.name, digest, record.meta)
            if record.tokens is not None:
                store.set_tokens(known[digest], "imported", record.tokens)
            report.added += 1
    incoming: dict[tuple[int, str], Version] = {}
    for number, who, record, when in sorted(batch, key=lambda item: (item[3], item[0])):  # a later line wins
        digest = content_hash(record.text)
        if digest not in known:
            continue
        payload = json.dumps({"file": path.name, "line": number, "spans": len(record.spans or []),
                              "state": record.state}, ensure_ascii=False)
        edit: EditKey = (when, "merge_jsonl", payload)
        incoming[(known[digest], who)] = Version(record.state, when, sorted(record.spans or []),
                                                 merge_ranges(record.boilerplate), [edit])
    current = team.versions(store, "main", sorted({doc for doc, _ in incoming}), sorted({who for _, who in incoming}))
    writes, edits = _decide(store, incoming, current, report)
    team.write_versions(store, writes, {pair for pair, v in current.items() if v.spans or v.boilerplate})
    store.assign_splits(sorted({doc for doc, _, _ in writes}), now())  # documents the merge made gold
    team.add_edits(store, edits)
    report.edits_added += len(edits)

