"""Export gold as Prodigy JSONL, doccano JSONL or a spaCy DocBin; written atomically.

Gold is what the reviewer saw: spans lying wholly inside boilerplate (text the reviewer
marked as page furniture) are not gold and are left out; spans crossing a boilerplate edge
are kept in JSONL, left unannotated in a DocBin and dropped when the boilerplate is
stripped, and each kind of problem is reported once, as a count with the first examples.
Documents nobody has reviewed (``--all``) keep their newest prediction as it is. Prodigy
JSONL lines carry the documents' flags and notes in ``meta.flags`` (:mod:`annotator.core.flags`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from srsly import ujson  # spaCy's JSON library: about twice as fast as json here

from annotator.core.errors import InputError, OutputError
from annotator.gc_pause import paused_gc
from annotator.core.flags import Flag
from annotator.core.formats import doccano_record, prodigy_record, strip_boilerplate
from annotator.core.team import check_annotator_name
from annotator.ops import gold
from annotator.ops.docbin_output import DocBinOutput
from annotator.ops.gold import GoldCounts
from annotator.core.spans import Span, split_by_boilerplate
from annotator.core.splits import SPLITS
from annotator.core.tokens import Tokens
from annotator.ops.progress import NullProgress, Progress
from annotator.tempfiles import is_stream, make_temp, remove_stale_temps
from annotator.store import Store
from annotator.store import flags as flags_sql
from annotator.store.store import ExportRow

FORMATS = ("jsonl", "doccano", "spacy")
dumps = ujson.dumps
EXAMPLES = 3  # locations shown per kind of problem

# kind -> how the summary line describes it (the count goes in front)
PROBLEMS = {
    "inside_boilerplate": "span(s) lying inside boilerplate left out (not gold: the reviewer marked that text as "
                          "page furniture)",
    "crossing_kept": "span(s) cross a boilerplate edge; kept as they are",
    "crossing_missing": "span(s) cross a boilerplate edge; their tokens are left unannotated (missing)",
    "crossing_dropped": "span(s) cross a boilerplate edge and were dropped with the boilerplate",
    "no_token": "span(s) cover no token and were dropped",
    "widened": "span(s) do not sit on token boundaries and were widened to whole tokens",
}


@dataclass
class ProblemCount:
    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class ExportReport:
    path: Path
    format: str
    documents: int = 0
    spans: int = 0
    problems: dict[str, ProblemCount] = field(default_factory=dict)
    gold: GoldCounts = field(default_factory=GoldCounts)
    shards: int = 0  # spacy: DocBin files in the folder written (0: one file)

    def note(self, kind: str, source: str, spans: list[Span]) -> None:
        """Count ``spans`` under ``kind``, keeping the first few locations as examples."""
        if not spans:
            return
        entry = self.problems.setdefault(kind, ProblemCount())
        entry.count += len(spans)
        for span in spans[: max(0, EXAMPLES - len(entry.examples))]:
            entry.examples.append(f"{source} {span.label} [{span.start}, {span.end})")

    def count(self, kind: str) -> int:
        entry = self.problems.get(kind)
        return entry.count if entry else 0

    def summary_lines(self) -> list[tuple[str, str]]:
        """(kind, line) per kind of problem: the count, what happened, the first locations."""
        lines = []
        for kind, entry in self.problems.items():
            more = "; ..." if entry.count > len(entry.examples) else ""
            lines.append((kind, f"{entry.count} {PROBLEMS[kind]} (e.g. {'; '.join(entry.examples)}{more})"))
        return lines


@contextmanager
def atomic_output(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``path`` and move it into place only on success.

    The temporary file never outlives the export: it is removed on any error (a full disk,
    Ctrl+C, SIGTERM), and one left by a killed export is removed by the next export to the
    same name. OS errors become :class:`OutputError` naming ``path``.

    A ``path`` that exists and is not a regular file (``/dev/stdout``, ``/dev/null``, a named
    pipe) is written into as it is: there is nothing to replace, and moving a file over it
    would replace the device itself (run as root, ``--out /dev/null`` did that). A symbolic link
    to a file is followed: the file it names is replaced and the link kept (``/dev/stdout`` of a
    command whose output goes to a file is such a link).
    """
    path = Path(path)
    if is_stream(path):
        yield from _into_stream(path, binary)
        return
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"folder {folder} does not exist", path=path)
    if path.is_dir():
        raise OutputError("is a folder; give a file name to write", path=path)
    remove_stale_temps(path, ".part")
    try:
        fd, tmp = make_temp(path, ".part")
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror}", path=path) from None
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="\n")) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write: {exc.strerror or exc} (nothing was written)", path=path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _into_stream(path: Path, binary: bool) -> Iterator[IO[Any]]:
    """:func:`atomic_output` into a device or a pipe: opened and written as it is."""
    try:
        fh = open(path, "wb") if binary else open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=path) from None
    try:
        with fh:
            yield fh
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=path) from None


def check_options(fmt: str, strip: bool) -> None:
    """Refuse an unknown format or a combination that makes no sense (before any file is opened)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (choose {', '.join(FORMATS)})")
    if strip and fmt == "spacy":
        raise InputError("--strip-boilerplate goes with --format jsonl or doccano (a DocBin marks boilerplate "
                         "as missing annotation instead)")


def export(
    store: Store,
    out: Path,
    *,
    fmt: str = "jsonl",
    include_all: bool = False,
    strip: bool = False,
    split: str | None = None,
    tokenizer: Callable[[], Any] | None = None,
    progress: Progress | None = None,
    annotator: str | None = None,
    all_annotators: bool = False,
    shard_tokens: int | None = None,
) -> ExportReport:
    """Export accepted documents (all with ``include_all``; one train/dev ``split``) to ``out`` in ``fmt``.

    Each document's gold follows :mod:`annotator.ops.gold` (adjudicated, one annotator's, or
    the annotators' agreed gold; conflicts are left out and counted in ``report.gold``).
    ``annotator`` exports that annotator's layer instead, ``all_annotators`` every
    annotator's, one line each (their accepted documents; every state with ``include_all``).

    ``tokenizer`` returns a spaCy tokenizer (called lazily, only for documents that have
    no stored tokens, and for the DocBin's vocabulary). The database is read as one
    consistent snapshot, so edits made meanwhile (the window stays open) are either all in
    or all out.

    ``spacy`` is one DocBin file, or beyond ``shard_tokens`` tokens (default
    :data:`~annotator.ops.docbin_output.SHARD_TOKENS`) a folder of DocBin shards
    (:mod:`annotator.ops.docbin_output`); ``report.shards`` says how many.
    """
    check_options(fmt, strip)
    if split is not None and include_all:
        raise InputError("--split exports gold of one split; it does not go with --all")
    if split is not None and split not in SPLITS:
        raise InputError(f"unknown split {split!r} (choose {' or '.join(SPLITS)})")
    progress = progress or NullProgress()
    report = ExportReport(Path(out), fmt)
    source_tokens = TokenSource(tokenizer)
    if annotator is not None and all_annotators:
        raise InputError("--annotator and --all-annotators exclude each other")
    if annotator is not None:
        check_annotator_name(annotator)
    with store.snapshot():
        if annotator is not None or all_annotators:
            progress.start(f"Exporting {fmt}", None)
            source = gold.layer_rows(store, annotator=annotator, include_all=include_all)
        else:
            if split is not None:
                ids = store.gold_ids(split)
            else:
                ids = store.document_ids() if include_all else gold.accepted_ids(store)
            progress.start(f"Exporting {fmt}", len(ids))
            source = gold.gold_rows(store, ids, report.gold)
        rows = (_gold_only(row, report) for row in source)
        if fmt == "spacy":
            _export_docbin(rows, report, source_tokens, progress, shard_tokens)
        else:
            flag_map = flags_sql.all_set(store) if fmt == "jsonl" else {}
            per_layer = annotator is not None or all_annotators
            _export_jsonl(rows, report, fmt, strip, source_tokens.tokens_for, progress,
                          lambda row: _flags_of(flag_map, row, per_layer))
    return report


class TokenSource:
    """Each row's stored tokens, or the tokenizer's (built once, only when first needed)."""

    def __init__(self, tokenizer: Callable[[], Any] | None):
        self._factory = tokenizer
        self._tokenizer: Any = None

    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            if self._factory is None:
                raise InputError("a document has no stored tokens and no tokenizer was given (pre-annotate first)")
            self._tokenizer = self._factory()
        return self._tokenizer

    def tokens_for(self, row: ExportRow) -> Tokens:
        if row.tokens is not None:
            return row.tokens
        return Tokens.from_doc(self.tokenizer()(row.document.text))


def _gold_only(row: ExportRow, report: ExportReport) -> ExportRow:
    """A gold row without the spans lying inside its boilerplate (counted in the report)."""
    if not row.spans_are_gold or not row.boilerplate:
        return row
    split = split_by_boilerplate(row.spans, row.boilerplate)
    if not split.inside:
        return row
    report.note("inside_boilerplate", row.document.source, split.inside)
    return ExportRow(row.document, row.review, row.tokens, sorted(split.outside + split.crossing), row.boilerplate,
                     row.spans_are_gold, row.predicted_by, row.sessions)


def _flags_of(flag_map: dict[int, list[Flag]], row: ExportRow, per_layer: bool) -> list[Flag]:
    """The flags a line carries: every annotator's on a gold line, the layer's own on a layer's line."""
    found = flag_map.get(row.document.id, [])
    if per_layer:
        return [f for f in found if f.annotator == row.review.annotator]
    return found


def _export_jsonl(
    rows: Iterator[ExportRow], report: ExportReport, fmt: str, strip: bool,
    tokens_for: Callable[[ExportRow], Tokens], progress: Progress,
    flags_for: Callable[[ExportRow], list[Flag]] = lambda _row: [],
) -> None:
    with paused_gc(), atomic_output(report.path) as fh:
        for row in rows:
            doc = row.document
            text, spans, boilerplate = doc.text, row.spans, row.boilerplate
            tokens = tokens_for(row) if fmt == "jsonl" else None
            crossing = split_by_boilerplate(spans, boilerplate).crossing if boilerplate else []
            if strip and boilerplate:
                text, spans, tokens, dropped = strip_boilerplate(text, spans, boilerplate, tokens)
                report.note("crossing_dropped", doc.source, dropped)
                boilerplate = []
            else:
                report.note("crossing_kept", doc.source, crossing)
            if fmt == "doccano":
                record = doccano_record(text, spans)
            else:
                assert tokens is not None
                record = prodigy_record(
                    text, spans, boilerplate, tokens, state=row.review.state, annotator=row.review.annotator,
                    source=doc.source, document_id=doc.id, predicted_by=row.predicted_by, sessions=row.sessions,
                )
                flags = flags_for(row)
                if flags:  # see annotator.core.flags
                    record["meta"]["flags"] = [f.to_meta() for f in flags]
            fh.write(dumps(record, ensure_ascii=False, escape_forward_slashes=False))
            fh.write("\n")
            report.documents += 1
            report.spans += len(spans)
            progress.advance()


def _export_docbin(rows: Iterator[ExportRow], report: ExportReport, source: TokenSource, progress: Progress,
                   shard_tokens: int | None) -> None:
    output = DocBinOutput(report.path, shard_tokens)
    try:
        for _row, doc in spacy_docs(rows, report, source):
            output.add(doc)
            progress.advance()
        output.finish()
    finally:
        output.discard()
    report.shards = output.shards


def gold_spacy_docs(
    store: Store, ids: list[int], tokenizer: Callable[[], Any], report: ExportReport, chunk: int = 250,
) -> Iterator[tuple[ExportRow, Any]]:
    """(row, spaCy Doc) for the given documents, exactly as ``export --format spacy`` writes them.

    Each document's gold follows :mod:`annotator.ops.gold` (conflicts are left out, counted in
    ``report.gold``); gold is what the reviewer saw (spans inside boilerplate left out) and boilerplate tokens
    carry *missing* entity annotation; what was left out or widened is counted in ``report``.
    Documents are read ``chunk`` at a time. Call inside :meth:`Store.snapshot` for one consistent state.
    """
    rows = (_gold_only(row, report) for row in gold.gold_rows(store, ids, report.gold, chunk))
    yield from spacy_docs(rows, report, TokenSource(tokenizer))


def spacy_docs(rows: Iterable[ExportRow], report: ExportReport, source: TokenSource) -> Iterator[tuple[ExportRow, Any]]:
    """A spaCy Doc per row: its stored tokens, its spans as entities, boilerplate as missing annotation."""
    from spacy.tokens import Doc

    vocab = source.tokenizer().vocab
    for row in rows:
        text = row.document.text
        source_name = row.document.source
        tokens = source.tokens_for(row)
        words = [text[s:e] for s, e in zip(tokens.starts, tokens.ends)]
        spaces = [e < len(text) and text[e] == " " and (i + 1 >= len(tokens) or tokens.starts[i + 1] > e)
                  for i, e in enumerate(tokens.ends)]
        doc = Doc(vocab, words=words, spaces=spaces)
        if doc.text != text:  # stored tokens do not rebuild the text: tokenize afresh
            doc = source.tokenizer()(text)
        missing = [doc.char_span(r.start, r.end, alignment_mode="expand") for r in row.boilerplate]
        missing = [m for m in missing if m is not None]
        entities = []
        for span in row.spans:
            ent = doc.char_span(span.start, span.end, label=span.label, alignment_mode="expand")
            if ent is None:
                report.note("no_token", source_name, [span])
                continue
            if any(m.start < ent.end and ent.start < m.end for m in missing):
                missing.append(ent)  # an entity touching boilerplate is left unannotated too
                report.note("crossing_missing", source_name, [span])
                continue
            if ent.start_char != span.start or ent.end_char != span.end:
                report.note("widened", source_name, [span])
            entities.append(ent)
        doc.set_ents(entities, missing=_union_tokens(doc, missing), default="outside")
        report.documents += 1
        report.spans += len(entities)
        yield row, doc


def _union_tokens(doc: Any, spans: list[Any]) -> list[Any]:
    """Non-overlapping spans covering every token of ``spans`` (set_ents refuses overlaps)."""
    covered = sorted({i for span in spans for i in range(span.start, span.end)})
    out = []
    run_start = None
    for k, i in enumerate(covered):
        if run_start is None:
            run_start = i
        if k + 1 == len(covered) or covered[k + 1] != i + 1:
            out.append(doc[run_start:i + 1])
            run_start = None
    return out
