"""Export gold as Prodigy JSONL, doccano JSONL or a spaCy DocBin; written atomically."""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from srsly import ujson  # spaCy's JSON library: about twice as fast as json here

from annotator.core.errors import InputError
from annotator.core.formats import doccano_record, prodigy_record, strip_boilerplate
from annotator.core.model import ACCEPTED
from annotator.core.tokens import Tokens
from annotator.ops.progress import NullProgress, Progress
from annotator.store import Store
from annotator.store.store import ExportRow

FORMATS = ("jsonl", "doccano", "spacy")
dumps = ujson.dumps


@dataclass
class ExportReport:
    path: Path
    format: str
    documents: int = 0
    spans: int = 0
    dropped: list[str] = field(default_factory=list)  # spans that could not be written, with why


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: export allocates millions of short-lived dicts and
    no reference cycles, and collections triggered by allocation count cost ~20% of its time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def atomic_output(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``path`` and move it into place only on success."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"folder {folder} does not exist", path=path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="\n")) as fh:
            yield fh
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export(
    store: Store,
    out: Path,
    *,
    fmt: str = "jsonl",
    include_all: bool = False,
    strip: bool = False,
    tokenizer: Callable[[], Any] | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Export accepted documents (all with ``include_all``) to ``out`` in ``fmt``.

    ``tokenizer`` returns a spaCy tokenizer (called lazily, only for documents that have
    no stored tokens, and for the DocBin's vocabulary).
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (choose {', '.join(FORMATS)})")
    if strip and fmt != "jsonl":
        raise InputError("--strip-boilerplate goes with --format jsonl")
    progress = progress or NullProgress()
    ids = store.document_ids() if include_all else store.document_ids([ACCEPTED])
    report = ExportReport(Path(out), fmt)
    progress.start(f"Exporting {fmt}", len(ids))
    cache: dict[str, Any] = {}

    def get_tokenizer() -> Any:
        if "tok" not in cache:
            if tokenizer is None:
                raise InputError("a document has no stored tokens and no tokenizer was given (pre-annotate first)")
            cache["tok"] = tokenizer()
        return cache["tok"]

    def tokens_for(row: ExportRow) -> Tokens:
        if row.tokens is not None:
            return row.tokens
        return Tokens.from_doc(get_tokenizer()(row.document.text))

    rows = store.export_rows(ids)
    if fmt == "spacy":
        _export_docbin(rows, report, get_tokenizer, tokens_for, progress)
        return report
    with gc_paused(), atomic_output(report.path) as fh:
        for row in rows:
            doc = row.document
            if fmt == "doccano":
                record = doccano_record(doc.text, row.spans)
            else:
                text, spans, boilerplate, tokens = doc.text, row.spans, row.boilerplate, tokens_for(row)
                if strip:
                    text, spans, tokens, dropped = strip_boilerplate(text, spans, boilerplate, tokens)
                    boilerplate = []
                    report.dropped.extend(
                        f"{doc.source}: {s.label} [{s.start}, {s.end}) touches boilerplate" for s in dropped
                    )
                record = prodigy_record(
                    text, spans, boilerplate, tokens, state=row.review.state, annotator=row.review.annotator,
                    source=doc.source, document_id=doc.id, predicted_by=row.predicted_by,
                )
            fh.write(dumps(record, ensure_ascii=False, escape_forward_slashes=False))
            fh.write("\n")
            report.documents += 1
            report.spans += len(record.get("spans", record.get("label", [])))
            progress.advance()
    return report


def _export_docbin(
    rows: Iterator[ExportRow], report: ExportReport, get_tokenizer: Callable[[], Any],
    tokens_for: Callable[[ExportRow], Tokens], progress: Progress,
) -> None:
    from spacy.tokens import Doc, DocBin

    vocab = get_tokenizer().vocab
    docbin = DocBin(store_user_data=False)
    for row in rows:
        text = row.document.text
        tokens = tokens_for(row)
        words = [text[s:e] for s, e in zip(tokens.starts, tokens.ends)]
        spaces = [e < len(text) and text[e] == " " and (i + 1 >= len(tokens) or tokens.starts[i + 1] > e)
                  for i, e in enumerate(tokens.ends)]
        doc = Doc(vocab, words=words, spaces=spaces)
        if doc.text != text:  # stored tokens do not rebuild the text: tokenize afresh
            doc = get_tokenizer()(text)
        missing = [doc.char_span(r.start, r.end, alignment_mode="expand") for r in row.boilerplate]
        missing = [m for m in missing if m is not None]
        entities = []
        for span in row.spans:
            ent = doc.char_span(span.start, span.end, label=span.label, alignment_mode="expand")
            if ent is None:
                report.dropped.append(f"{row.document.source}: {span.label} [{span.start}, {span.end}) has no token")
                continue
            if any(m.start < ent.end and ent.start < m.end for m in missing):
                missing.append(ent)  # an entity touching boilerplate is left unannotated too
                continue
            if ent.start_char != span.start or ent.end_char != span.end:
                report.dropped.append(
                    f"{row.document.source}: {span.label} [{span.start}, {span.end}) widened to tokens "
                    f"[{ent.start_char}, {ent.end_char})"
                )
            entities.append(ent)
        doc.set_ents(entities, missing=_union_tokens(doc, missing), default="outside")
        docbin.add(doc)
        report.documents += 1
        report.spans += len(entities)
        progress.advance()
    with atomic_output(report.path, binary=True) as fh:
        fh.write(docbin.to_bytes())


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
