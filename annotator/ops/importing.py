"""Import .txt files, folders of them and Prodigy/doccano JSONL, as one transaction."""

from __future__ import annotations

import json
import operator
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from srsly import ujson

from annotator.core.errors import InputError
from annotator.gc_pause import paused_gc
from annotator.core.flags import Flag, flags_from_meta
from annotator.core.formats import CheckedSpans, parse_record
from annotator.core.hashing import content_hash
from annotator.core.labels import LabelSet
from annotator.core.packing import pack_spans
from annotator.core.model import IN_PROGRESS, TODO, GoldRecord
from annotator.core.spans import ORIGIN_MODEL, Span, merge_ranges, validate_ranges, validate_spans
from annotator.core.tokens import Tokens
from annotator.ops.labels import project_labels
from annotator.ops.progress import NullProgress, Progress
from annotator.ops.textfiles import (  # noqa: F401 - suffixes and collect_files re-exported (merging, the window)
    JSONL_ENDINGS, JSONL_SUFFIXES, TEXT_SUFFIXES, collect_files, collect_paths,
)
from annotator.store import Store
from annotator.store import flags as flags_sql
from annotator.store import importing as store_import
from annotator.store.store import now

_json_string = json.encoder.encode_basestring  # json.dumps(str, ensure_ascii=False)
Tokenize = Callable[[str], Tokens]
BATCH = 1000  # records (or .txt files) written together ...
BATCH_BYTES = 32 << 20  # ... or fewer when their texts reach this size (a batch is held in memory)


@dataclass
class ImportReport:
    """What an import did."""

    files: int = 0
    lines: int = 0
    new_documents: int = 0
    known_documents: int = 0
    gold_documents: int = 0
    gold_replaced: int = 0
    flags: int = 0  # flags and notes written from meta.flags
    misaligned: list[str] = field(default_factory=list)  # "file:line: span ... not on token boundaries"


def import_paths(
    store: Store,
    paths: Sequence[str | Path],
    *,
    annotator: str,
    tokenize: Tokenize | None = None,
    tokenizer_name: str = "tokenizer",
    progress: Progress | None = None,
) -> ImportReport:
    """Import everything under ``paths`` in one transaction: any bad file or line changes nothing.

    ``tokenize`` (a pipeline's tokenizer, named ``tokenizer_name``) tokenizes records that
    carry spans (gold or predictions made elsewhere) but no tokens, so every command works
    on them; it also finds imported gold spans that do not sit on token boundaries, which
    are kept exactly as given and reported.
    """
    progress = progress or NullProgress()
    files = collect_paths(paths)
    labels = project_labels(store)
    report = ImportReport()
    progress.start("Importing", len(files))
    jsonl = [path.lower().endswith(JSONL_ENDINGS) for path in files]  # each has one of our suffixes
    with store.page_cache(), paused_gc(), store.transaction():
        k = 0
        while k < len(files):
            if jsonl[k]:
                _import_jsonl(store, Path(files[k]), labels, annotator, tokenize, tokenizer_name, report)
                report.files += 1
                progress.advance(1)
                k += 1
                continue
            end = k + 1  # a run of .txt files, imported together
            while end < len(files) and not jsonl[end]:
                end += 1
            _import_text_files(store, files[k:end], report, progress)
            k = end
    return report


def _import_text_files(store: Store, paths: Sequence[str], report: ImportReport, progress: Progress) -> None:
    """A run of .txt files, up to :data:`BATCH` files or :data:`BATCH_BYTES` at a time: one
    lookup of their hashes, one insert of the new ones.

    (Reading the next batch in a helper thread while this one was written was tried: on two
    shared cores it cost ~1 s more CPU per 100k files in GIL hand-overs and was slower.)
    """
    end = 0
    while end < len(paths):
        read, end = _read_batch(paths, end)
        _write_text_batch(store, read, report)
        progress.advance(len(read))


def _read_batch(paths: Sequence[str], start: int) -> tuple[list[tuple[str, memoryview, str, int]], int]:
    """Read files from ``paths[start]`` on, up to :data:`BATCH` files or :data:`BATCH_BYTES`:
    ((path, UTF-8 bytes, hash, length) for each, the index of the next file)."""
    from annotator.ops.textfiles import read_text_file

    read: list[tuple[str, memoryview, str, int]] = []
    size = 0
    k = start
    while k < len(paths) and len(read) < BATCH and size < BATCH_BYTES:
        data, digest, length = read_text_file(paths[k])
        read.append((paths[k], data, digest, length))
        size += len(data)
        k += 1
    return read, k


def _write_text_batch(store: Store, read: list[tuple[str, memoryview, str, int]], report: ImportReport) -> None:
    """Insert the files of one batch whose texts the project does not hold yet."""
    known = store_import.ids_by_hash(store, [digest for _, _, digest, _ in read])
    rows, seen, when = [], set(known), now()
    next_id = store_import.next_document_id(store)
    for path, data, digest, length in read:
        if digest in seen:
            report.known_documents += 1
            continue
        seen.add(digest)
        rows.append((next_id, os.path.basename(path), data, digest, length, _path_meta(path), when))
        next_id += 1
    store_import.insert_documents(store, rows, utf8=True)
    report.new_documents += len(rows)
    report.files += len(read)


def _path_meta(path: str) -> str:
    """``json.dumps({"path": path}, ensure_ascii=False)``, without building the dict and the
    encoder for each of 100,000 files."""
    return '{"path": ' + _json_string(path) + "}"


def parse_json_line(line: str, path: Path, number: int) -> Any:
    """One JSONL line: srsly's ujson (3x faster on records carrying hundreds of tokens); anything
    it refuses goes through the standard parser, which accepts what JSON allows (big numbers)
    and names the column of a real error."""
    try:
        return ujson.loads(line)
    except ValueError:
        pass
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON ({exc.msg} at column {exc.colno})", path=path, line=number) from None
    except RecursionError:
        raise InputError("JSON nested too deeply to be an annotation record", path=path, line=number) from None


def iter_records(path: Path) -> Iterator[tuple[int, dict[str, Any], GoldRecord]]:
    """(line number, parsed object, record) for each line of a JSONL file; :class:`InputError`
    naming the file and line on a malformed one, or when the file holds no line at all."""
    from annotator.ops.textfiles import iter_jsonl_lines

    any_line = False
    for number, line in iter_jsonl_lines(path):
        any_line = True
        obj = parse_json_line(line, path, number)
        yield number, obj, _parsed(obj, path, number)
    if not any_line:
        raise InputError("is empty (no JSON lines)", path=path)


def _parsed(obj: Any, path: Path, number: int) -> GoldRecord:
    try:
        return parse_record(obj)
    except InputError as exc:
        raise InputError(exc.message, path=path, line=number) from None


FAST_LINES = True  # read the common record with core.fast_records (tests compare it with the general way)


def iter_import_records(path: Path) -> Iterator[tuple[int, GoldRecord]]:
    """(line number, record) for each line of a JSONL file, as :func:`iter_records` gives them:
    the common line read by :func:`annotator.core.fast_records.read_line` (no dict per token),
    any other the general way, which names what is wrong."""
    from annotator.core.fast_records import read_line
    from annotator.ops.textfiles import iter_jsonl_data, line_text

    fast, loads = FAST_LINES, ujson.loads
    any_line = False
    for number, line in iter_jsonl_data(path):  # an ASCII line as the bytes read, line break and all
        any_line = True
        record = read_line(line, loads) if fast else None
        if record is None:
            record = _parsed(parse_json_line(line_text(line), path, number), path, number)
        yield number, record
    if not any_line:
        raise InputError("is empty (no JSON lines)", path=path)


def _import_jsonl(
    store: Store, path: Path, labels: LabelSet, annotator: str, tokenize: Tokenize | None, tokenizer_name: str,
    report: ImportReport,
) -> None:
    batch = _NewDocuments(store, path, annotator, tokenize, tokenizer_name, report)
    for number, record in iter_import_records(path):
        try:
            check_record(record, labels)
            flags = (flags_from_meta(record.meta, record.annotator or annotator, now())
                     if record.meta.get("flags") is not None else ())  # (the clock read costs 8 us a line)
        except InputError as exc:
            raise InputError(exc.message, path=path, line=number) from None
        report.lines += 1
        digest = content_hash(record.text)
        if flags or digest in batch.digests:  # flags, or the same text twice: record by record, in order
            batch.flush()
            _store_record_at(store, record, digest, number, annotator, tokenize, tokenizer_name, report, path, flags)
            continue
        batch.add(number, record, digest)
        if len(batch.items) >= BATCH or batch.chars >= BATCH_BYTES:
            batch.flush()
    batch.flush()


def _store_record_at(
    store: Store, record: GoldRecord, digest: str, number: int, annotator: str, tokenize: Tokenize | None,
    tokenizer_name: str, report: ImportReport, path: Path, flags: Sequence[Flag] = (),
) -> None:
    try:
        _store_record(store, record, f"{path.name}:{number}", annotator, tokenize, tokenizer_name, report, path,
                      number, flags, digest)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start] if isinstance(exc.object, str) else "?"
        raise InputError(f"holds a string that is not valid Unicode (lone surrogate \\u{ord(bad):04x}), "
                         "e.g. in meta or a label", path=path, line=number) from None


class _NewDocuments:
    """Records of one JSONL file waiting to be written together, :data:`BATCH` at a time (fewer
    when their texts reach :data:`BATCH_BYTES` characters).

    Those whose text is not in the project yet (nearly all, on a first import) are written with
    one statement per table for the whole batch: the same rows, ids and edit-log entries
    :func:`_store_record` writes one record at a time. Texts already known go through
    :func:`_store_record` (what to keep, replace or log depends on what is stored), in order.
    """

    def __init__(self, store: Store, path: Path, annotator: str, tokenize: Tokenize | None, tokenizer_name: str,
                 report: ImportReport):
        self.store, self.path, self.annotator, self.report = store, path, annotator, report
        self.tokenize, self.tokenizer_name = tokenize, tokenizer_name
        self.items: list[tuple[int, GoldRecord, str]] = []
        self.digests: set[str] = set()
        self.chars = 0  # characters of text held

    def add(self, number: int, record: GoldRecord, digest: str) -> None:
        self.items.append((number, record, digest))
        self.digests.add(digest)
        self.chars += len(record.text)

    def flush(self) -> None:
        items, self.items, self.digests, self.chars = self.items, [], set(), 0
        if not items:
            return
        known = store_import.ids_by_hash(self.store, [digest for _, _, digest in items])
        new = [item for item in items if item[2] not in known]
        try:
            misaligned, gold = self._write_new(new)
        except UnicodeEncodeError:  # raised before anything of the batch is written
            new = []  # written record by record below, which names the line
        else:
            self.report.new_documents += len(new)
            self.report.gold_documents += gold
            self.report.misaligned += misaligned
        done = {number for number, _, _ in new}
        for number, record, digest in items:
            if number not in done:
                _store_record_at(self.store, record, digest, number, self.annotator, self.tokenize,
                                 self.tokenizer_name, self.report, self.path)

    def _write_new(self, items: list[tuple[int, GoldRecord, str]]) -> tuple[list[str], int]:
        """Write records whose texts are new; returns the misaligned-span messages and how many
        documents got gold.

        Every string the rows carry is checked before the first is written (UTF-8 cannot hold
        a lone surrogate, e.g. in meta or a label): :class:`UnicodeEncodeError` then means
        nothing was written. (A savepoint around the batch did this before; it made SQLite
        copy every index page the batch touched to its statement journal: 10-25 % of a JSONL
        import.)"""
        when, path = now(), self.path
        name = path.name
        next_id = store_import.next_document_id(self.store)
        documents, tokens_rows, predictions = [], [], []
        gold_spans, boilerplate, reviews, edits, misaligned = [], [], [], [], []
        ours = ("source", "document_id", "review_state", "pipeline", "pipeline_version", "flags")
        for number, record, digest in items:
            doc_id, next_id = next_id, next_id + 1
            meta = {k: v for k, v in record.meta.items() if k not in ours}
            documents.append((doc_id, record.source or f"{name}:{number}", record.text, digest, len(record.text),
                              json.dumps(meta, ensure_ascii=False) if meta else "{}", when))
            tokens = record.tokens
            if tokens is not None:
                tokens_rows.append((doc_id, "imported", tokens.to_bytes()))
            elif record.spans and self.tokenize is not None:
                tokens = self.tokenize(record.text)
                tokens_rows.append((doc_id, f"{self.tokenizer_name} (at import)", tokens.to_bytes()))
            if record.state == TODO:
                if record.spans:
                    spans = record.spans
                    pipeline = str(record.meta.get("pipeline") or "imported")
                    version = str(record.meta.get("pipeline_version") or "0")
                    predictions.append((doc_id, pipeline, version, when, pack_spans(spans), len(spans)))
                continue
            if record.spans is None and not record.boilerplate and record.state is None:
                continue
            who = record.annotator or self.annotator
            spans = sorted(record.spans or [])
            if tokens is not None and spans:
                misaligned += _misaligned(record.text, spans, tokens, path, number)
            gold_spans += [(doc_id, who, s.start, s.end, s.label, s.origin) for s in spans]
            boilerplate += [(doc_id, who, r.start, r.end) for r in merge_ranges(record.boilerplate)]
            state = record.state or IN_PROGRESS
            reviews.append((doc_id, who, state, when))
            edits.append((doc_id, who, "import_gold", json.dumps(
                {"source": f"{path}:{number}", "spans": len(spans), "state": state}, ensure_ascii=False), when))
        _check_encodable(chain(  # the texts were checked when read (core.texts)
            (row[1] for row in documents), (row[5] for row in documents), (row[1] for row in tokens_rows),
            (row[1] for row in predictions), (row[2] for row in predictions), (row[1] for row in gold_spans),
            (row[4] for row in gold_spans), (row[5] for row in gold_spans), (row[1] for row in boilerplate),
            (row[1] for row in reviews), (row[2] for row in reviews), (row[1] for row in edits),
            (row[3] for row in edits)))
        store_import.insert_documents(self.store, documents)
        store_import.insert_tokens(self.store, tokens_rows)
        store_import.insert_predictions(self.store, predictions)
        if reviews:
            store_import.insert_gold(self.store, gold_spans, boilerplate, reviews, edits, when)
        return misaligned, len(reviews)


def _check_encodable(strings: Iterable[str]) -> None:
    """:class:`UnicodeEncodeError` if any of ``strings`` holds a lone surrogate (one encode of
    them all: Python never pairs two surrogates that joining brings together)."""
    "".join(strings).encode("utf-8")


def _spans_plainly_valid(spans: Sequence[Span], text_len: int, labels: Sequence[str]) -> bool:
    """What :func:`validate_spans` checks, in C-level passes over whole columns: integer offsets,
    each span non-empty and inside the text, none overlapping the next, known labels."""
    starts, ends, names, _ = zip(*sorted(spans))
    return (
        set(map(type, starts)) <= {int} and set(map(type, ends)) <= {int}
        and starts[0] >= 0 and max(ends) <= text_len
        and all(map(operator.lt, starts, ends))
        and all(map(operator.le, ends, starts[1:]))
        and set(names) <= set(labels)
    )


def _misaligned(text: str, spans: Sequence[Span], tokens: Tokens, path: Path, line: int) -> list[str]:
    """Messages for the spans that do not start and end on token boundaries."""
    starts, ends = set(tokens.starts), set(tokens.ends)
    return [
        f"{path}:{line}: span {span.label} [{span.start}, {span.end}) "
        f"{text[span.start:span.end]!r} is not on token boundaries (kept as given)"
        for span in spans if span.start not in starts or span.end not in ends
    ]


def check_record(record: GoldRecord, labels: LabelSet) -> None:
    """Spans and boilerplate inside the text, spans with the project's labels and not overlapping."""
    n = len(record.text)
    if type(record.spans) is CheckedSpans:  # the fast reader checked all but the labels (core.fast_records)
        if not record.spans.labels <= set(labels.names):
            validate_spans(record.spans, n, labels.names)  # names the first span with an unknown label
    elif record.spans and _spans_plainly_valid(record.spans, n, labels.names):
        pass
    elif record.spans is not None:
        validate_spans(record.spans, n, labels.names)  # names the first bad span
    if record.boilerplate:
        validate_ranges(record.boilerplate, n)


def _store_record(
    store: Store, record: GoldRecord, fallback_source: str, default_annotator: str,
    tokenize: Tokenize | None, tokenizer_name: str, report: ImportReport, path: Path, line: int,
    flags: Sequence[Flag] = (), digest: str | None = None,
) -> None:
    digest = digest or content_hash(record.text)
    ours = ("source", "document_id", "review_state", "pipeline", "pipeline_version", "flags")
    meta = {k: v for k, v in record.meta.items() if k not in ours}
    doc_id, created = store.add_document(record.text, record.source or fallback_source, digest, meta)
    if created:
        report.new_documents += 1
    else:
        report.known_documents += 1
    if flags:  # meta.flags (annotator.core.flags): the later of the file's and the project's wins
        report.flags += flags_sql.put_if_later(store, [(doc_id, flag) for flag in flags])
    if store.tokens(doc_id) is None:
        if record.tokens is not None:
            store.set_tokens(doc_id, "imported", record.tokens)
        elif record.spans and tokenize is not None:  # spans need tokens to be evaluated, exported, snapped
            store.set_tokens(doc_id, f"{tokenizer_name} (at import)", tokenize(record.text))
    if record.state == TODO:
        # an unreviewed document: its spans (if any) are a model's prediction, not gold
        if record.spans:
            pipeline = str(record.meta.get("pipeline") or "imported")
            version = str(record.meta.get("pipeline_version") or "0")
            if not store.has_prediction_by(doc_id, pipeline, version):  # an index lookup: import stays linear
                store.add_prediction(doc_id, pipeline, version, [Span(s.start, s.end, s.label, ORIGIN_MODEL) for s in record.spans])
        return
    if record.spans is None and not record.boilerplate and record.state is None:
        return
    who = record.annotator or default_annotator
    spans = sorted(record.spans or [])
    tokens = record.tokens or store.tokens(doc_id) or (tokenize(record.text) if tokenize and spans else None)
    if tokens is not None:
        report.misaligned += _misaligned(record.text, spans, tokens, path, line)
    old_spans, old_bp = store.gold(doc_id, who), store.boilerplate(doc_id, who)
    new_bp = merge_ranges(record.boilerplate)
    if (old_spans or old_bp) and (old_spans != spans or old_bp != new_bp):
        store.log_edit(doc_id, who, "import_replaced_gold", {
            "old_spans": [s._asdict() for s in old_spans],
            "old_boilerplate": [r._asdict() for r in old_bp],
            "source": f"{path}:{line}",
        })
        report.gold_replaced += 1
    store.replace_gold(doc_id, who, spans)
    store.replace_boilerplate(doc_id, who, new_bp)
    state = record.state or IN_PROGRESS
    store.set_review(doc_id, state, who)
    store.log_edit(doc_id, who, "import_gold", {"source": f"{path}:{line}", "spans": len(spans), "state": state})
    report.gold_documents += 1
