"""The command line: each command parses arguments, calls one plain function, and prints."""

from __future__ import annotations

import difflib
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn, Optional

import typer

from annotator import DEFAULT_MODEL, __version__, paths
from annotator.cli_output import CommandGroup, LazyConsole
from annotator.core.errors import AnnotatorError
from annotator.launch import command_word, exit_cleanly_on_sigterm as _exit_cleanly_on_sigterm


app = typer.Typer(cls=CommandGroup, add_completion=False, no_args_is_help=False, pretty_exceptions_enable=False,
                  help="Correct named-entity annotations, offline.")
# rich (tables, colours, progress bars) loads when a command first prints for people
err = LazyConsole(stderr=True)
out = LazyConsole()


def escape(text: str) -> str:
    """rich markup in ``text`` shown as it is."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def Table(*columns: Any, **options: Any) -> Any:  # noqa: N802 - rich's class, made on use
    """A rich table (rich loads on first use)."""
    from rich.table import Table as RichTable

    return RichTable(*columns, **options)


DbOption = typer.Option(None, "--db", help="Project database (default: $ANNOTATOR_DB or ./annotations.db).")
NetFsOption = typer.Option(False, "--allow-network-fs", help="Open a database on a network file system anyway "
                           "(rollback journal, one machine at a time; or set ANNOTATOR_ALLOW_NETWORK_FS=1).")
ModelOption = typer.Option(DEFAULT_MODEL, "--model", help="spaCy pipeline package name or path.")


class RichBar:
    """The ops Progress protocol on a rich progress bar (on stderr)."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

        self.bar = RichProgress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err.console, transient=False, disable=not err.is_terminal,
        )
        self.task: Any = None

    def __enter__(self) -> "RichBar":
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)  # type: ignore[arg-type]

    def start(self, description: str, total: int | None) -> None:
        self.task = self.bar.add_task(description, total=total)

    def advance(self, n: int = 1) -> None:
        self.bar.advance(self.task, n)

    def cancelled(self) -> bool:
        return False


def _open_store(db: Optional[Path], *, create: bool = False, allow_network_fs: bool = False):  # noqa: ANN202
    """The project database; commands that only read (or need documents) never create one."""
    from annotator.store import Store

    return Store.open(paths.database_path(db), create=create, allow_network_fs=allow_network_fs or None)


def _fail(exc: AnnotatorError) -> None:
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _version_callback(value: bool) -> None:
    if value:
        out.print(f"annotator {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True, help="Print the version."),
) -> None:
    """annotator: review spaCy's entities, mark boilerplate, export gold."""


@app.command("import")
def import_cmd(
    paths_: Optional[list[Path]] = typer.Argument(None, metavar="PATH...", help=".txt files, folders of them, or .jsonl"),
    db: Optional[Path] = DbOption,
    model: str = ModelOption,
    labels: Optional[Path] = typer.Option(None, "--labels", help="Labels JSON file to set as the project's label set."),
    index: Optional[bool] = typer.Option(
        None, "--index/--defer-index", show_default=False,
        help="Build the search index before returning, or leave it to the window (it builds it in the background "
             "when it opens the project). Default: now for up to "
             "10,000 documents waiting, else deferred. `import --index` without PATH only builds it."),
    allow_network_fs: bool = NetFsOption,
) -> None:
    """Import documents and gold (one transaction: a bad file changes nothing, and creates no database)."""
    from annotator.ops.importing import import_paths
    from annotator.ops.indexing import index_now, index_pending
    from annotator.ops.labels import set_project_labels_from_file
    from annotator.pipeline import tokenizer_for
    from annotator.store.creating import fill_database

    if not paths_ and not index:
        err.print("error: give PATH... to import (or --index alone to build the search index)", highlight=False)
        raise typer.Exit(2)

    def tokenize(text: str):  # noqa: ANN202
        from annotator.core.tokens import Tokens

        return Tokens.from_doc(tokenizer_for(model)(text))

    def work(store):  # noqa: ANN001, ANN202
        report = None
        if paths_:
            with RichBar() as bar:
                if labels is not None:
                    set_project_labels_from_file(store, labels)
                report = import_paths(store, paths_, annotator=paths.current_annotator(store.owner()),
                                      tokenize=tokenize, tokenizer_name=model, progress=bar)
        pending = store.unindexed_count()
        if pending and index_now(pending, index):
            with RichBar() as bar:  # the documents are committed; the search index follows in batches
                index_pending(store, bar)
            pending = store.unindexed_count()
        return report, pending

    try:
        if paths_:
            report, pending = fill_database(paths.database_path(db), work, allow_network_fs=allow_network_fs or None)
        else:  # only the index: never creates a database
            with _open_store(db, allow_network_fs=allow_network_fs) as store:
                report, pending = work(store)
    except AnnotatorError as exc:
        _fail(exc)
    if report is not None:
        _print_import(report)
    if pending:
        out.print(
            f"Search index: {pending:,} document(s) not indexed yet. Search finds them meanwhile (it reads them "
            "until they are indexed); boilerplate suggestions count their lines once they are. The window builds "
            "the index in the background when it opens this project; `annotator import --index` builds it now.",
            highlight=False, soft_wrap=True,
        )
    elif index or not report:
        out.print("Search index: every document is indexed.", highlight=False)


def _print_import(report: Any) -> None:
    if report.misaligned:
        more = f" (first: {'; '.join(report.misaligned[:3])}{', ...' if len(report.misaligned) > 3 else ''})"
        err.print(f"[yellow]warning:[/] {len(report.misaligned)} span(s) not on token boundaries, kept as given"
                  + more, highlight=False, soft_wrap=True)
    out.print(
        f"Imported {report.files} file(s): {report.new_documents} new document(s), "
        f"{report.known_documents} already known, gold for {report.gold_documents}"
        + (f" ({report.gold_replaced} replaced; old gold kept in the edit log)" if report.gold_replaced else "")
        + (f", {len(report.misaligned)} span(s) not on token boundaries" if report.misaligned else "")
        + (f", {report.flags} flag(s) and note(s)" if report.flags else ""),
        highlight=False, soft_wrap=True,
    )


@app.command()
def preannotate(
    db: Optional[Path] = DbOption,
    model: str = ModelOption,
    n_process: Optional[int] = typer.Option(None, "--n-process", min=1, help="Worker processes for nlp.pipe "
                                            "(default: one per core for 2,000 documents or more, else 1)."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Documents per batch (and per commit)."),
    include_reviewed: bool = typer.Option(False, "--include-reviewed", help="A pipeline trained on this project "
                                          "pre-annotates only documents nobody has reviewed, unless this is given."),
    allow_network_fs: bool = NetFsOption,
) -> None:
    """Pre-annotate documents the pipeline (at this version) has not seen yet."""
    from annotator.ops.preannotate import documents_for, preannotate as run
    from annotator.pipeline import load_pipeline

    try:
        with _open_store(db, allow_network_fs=allow_network_fs) as store:
            nlp = load_pipeline(model)
            ids, note = documents_for(store, nlp, include_reviewed=include_reviewed)
            with RichBar() as bar:
                report = run(store, nlp, batch_size=batch_size, n_process=n_process, document_ids=ids, progress=bar)
    except AnnotatorError as exc:
        _fail(exc)
    if note:
        err.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    for line in report.failures:
        err.print(f"[yellow]warning:[/] {line}", highlight=False, soft_wrap=True)
    if report.done == 0 and not report.failures:
        out.print(f"Nothing to pre-annotate: all {report.skipped} document(s) already done by {report.pipeline} {report.version}.", highlight=False)
        return
    rate = report.words / report.seconds if report.seconds else 0.0
    out.print(
        f"Pre-annotated {report.done} document(s) with {report.pipeline} {report.version} "
        f"({report.entities} entities, {rate:,.0f} words/s); {report.skipped} already done"
        + (f"; {len(report.failures)} could not be processed (skipped)" if report.failures else "") + ".",
        highlight=False, soft_wrap=True,
    )
    memory = f"peak memory {report.peak_mb:,.0f} MB in this process"
    if report.processes > 1:
        memory += f", {report.worker_peak_mb:,.0f} MB in the largest of {report.processes} worker processes"
    out.print(f"{report.processes} process(es); {memory}.", highlight=False, soft_wrap=True)


@app.command()
def export(
    out_path: Path = typer.Option(..., "--out", help="Output file."),
    db: Optional[Path] = DbOption,
    fmt: str = typer.Option("jsonl", "--format", help="jsonl (Prodigy), doccano or spacy (DocBin)."),
    include_all: bool = typer.Option(False, "--all", help="Also documents not accepted yet, with their current spans."),
    strip: bool = typer.Option(False, "--strip-boilerplate", help="JSONL and doccano: drop boilerplate text and "
                               "re-base offsets."),
    split: Optional[str] = typer.Option(None, "--split", help="Only the gold of this split: train or dev."),
    model: str = ModelOption,
    annotator: Optional[str] = typer.Option(None, "--annotator", help="Export this annotator's layer instead of "
                                            "the project's gold."),
    all_annotators: bool = typer.Option(False, "--all-annotators", help="One line per annotator's version of each "
                                        "document (same _input_hash, own _annotator_id)."),
    allow_network_fs: bool = NetFsOption,
) -> None:
    """Export gold (accepted documents by default); spans inside boilerplate are not gold and are left out.

    With several annotators: the adjudicated gold, else the gold every annotator who accepted agrees on;
    documents whose annotators disagree and nobody adjudicated are left out and counted."""
    from annotator.ops.exporting import check_options, export as run
    from annotator.pipeline import tokenizer_for
    from annotator.tempfiles import is_stream

    try:
        check_options(fmt, strip)
        with _open_store(db, allow_network_fs=allow_network_fs) as store, RichBar() as bar:
            report = run(store, out_path, fmt=fmt, include_all=include_all, strip=strip, split=split,
                         tokenizer=lambda: tokenizer_for(model), progress=bar, annotator=annotator,
                         all_annotators=all_annotators)
    except AnnotatorError as exc:
        _fail(exc)
    conflicts = report.gold.conflict_line()
    if conflicts:
        err.print(f"[yellow]note:[/] {conflicts}", highlight=False, soft_wrap=True)
    for kind, line in report.summary_lines():
        err.print(f"[yellow]{'note' if kind == 'inside_boilerplate' else 'warning'}:[/] {line}",
                  highlight=False, soft_wrap=True)
    said = err if is_stream(out_path) else out  # the data goes to stdout or a pipe: the summary beside it
    if report.shards:
        out.print(f"Wrote {report.documents} document(s), {report.spans} span(s) to the folder {report.path} "
                  f"({report.format}: {report.shards} DocBin shards; spaCy's corpus reader and `spacy train` read the "
                  "folder as one corpus).", highlight=False, soft_wrap=True)
    else:
        said.print(f"Wrote {report.documents} document(s), {report.spans} span(s) to {report.path} ({report.format}).",
                   highlight=False, soft_wrap=True)
    if report.documents == 0 and not include_all:
        err.print("[yellow]note:[/] no accepted documents yet; --all exports every document with its current spans.", highlight=False)


@app.command()
def stats(
    db: Optional[Path] = DbOption,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    allow_network_fs: bool = NetFsOption,
) -> None:
    """Documents, review progress, gold spans per label (accepted documents, boilerplate left out), boilerplate."""
    from annotator.ops.stats import corpus_stats

    try:
        with _open_store(db, allow_network_fs=allow_network_fs) as store:
            data = corpus_stats(store)
    except AnnotatorError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    out.print(f"[bold]{data['database']}[/]: {data['documents']} documents, {data['characters']:,} characters", highlight=False)
    out.print("Review: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data["states"].items()), highlight=False)
    splits = data["splits"]
    out.print(f"Gold split: train {splits['train']}, dev {splits['dev']} (documents becoming gold go to dev with "
              f"probability {data['dev_fraction']:g}; a split never changes)", highlight=False, soft_wrap=True)
    for p in data["predictions"]:
        out.print(f"Pre-annotated by {p['pipeline']} {p['version']}: {p['documents']} documents", highlight=False)
    if data["spans_per_label"]:
        table = Table("label", "gold spans", title="Gold spans per label (accepted documents)")
        for label, count in data["spans_per_label"].items():
            table.add_row(label, str(count))
        out.print(table)
    else:
        out.print("No gold spans yet (no accepted document has any).")
    if data["spans_not_accepted"]:
        out.print(f"{data['spans_not_accepted']:,} span(s) in documents not accepted yet are not counted.",
                  highlight=False, soft_wrap=True)
    flagged = data["flags"]
    if flagged:
        out.print("Flagged: " + ", ".join(f"{flag} {n['documents']} ({n['notes']} with a note)"
                                          for flag, n in flagged.items()), highlight=False, soft_wrap=True)
    out.print(f"Boilerplate: {data['boilerplate_chars']:,} characters marked"
              + (f"; {data['spans_inside_boilerplate']} span(s) inside it are not gold and not counted"
                 if data["spans_inside_boilerplate"] else ""), highlight=False, soft_wrap=True)


@app.command()
def evaluate(
    db: Optional[Path] = DbOption,
    model: Optional[str] = typer.Option(None, "--model", help="Run this pipeline on the gold texts (default: score the "
                                        "stored predictions of the default pipeline)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Also write the JSON result to this file."),
    predictions: Optional[str] = typer.Option(None, "--predictions", help="Score the stored predictions of this "
                                              "pipeline (default: the default pipeline's, or the only pipeline that "
                                              "predicted every accepted document)."),
    split: Optional[str] = typer.Option(None, "--split", help="With --model: dev, train or all (default: dev for a "
                                        "pipeline trained on this project, all for any other)."),
    allow_network_fs: bool = NetFsOption,
) -> None:
    """Score a pipeline against the accepted gold, exactly as spaCy's scorer does."""
    from annotator.core.tokens import Tokens
    from annotator.ops.evaluating import (
        EvaluationReport, choose_stored_pipeline, evaluate_model, evaluate_stored, scoring_ids,
    )
    from annotator.pipeline import load_pipeline, tokenizer_for

    def tokenize(text: str) -> Tokens:  # documents imported without tokens: the default pipeline's tokenizer
        return Tokens.from_doc(tokenizer_for(DEFAULT_MODEL)(text))

    scored_on: str | None = None

    def show(report: EvaluationReport) -> None:
        data = {"pipeline": report.pipeline, **report.evaluation.to_dict()}
        if scored_on is not None:
            data["scored_on"] = scored_on
        if out_file is not None:  # (the export code, srsly with it, is ~60 ms to import: only for --out)
            from annotator.ops.exporting import atomic_output

            with atomic_output(out_file) as fh:
                fh.write(json.dumps(data, indent=2) + "\n")
        conflicts = report.gold.conflict_line()
        if conflicts:
            err.print(f"[yellow]note:[/] {conflicts}", highlight=False, soft_wrap=True)
        _show(data, as_json, _print_evaluation)
        sys.stdout.flush()  # shown now: the scores computed are kept after it

    try:
        with _open_store(db, allow_network_fs=allow_network_fs) as store:
            if model is None:
                evaluate_stored(store, predictions or choose_stored_pipeline(store), tokenize=tokenize,
                                on_report=show)
            else:
                nlp = load_pipeline(model)
                ids, scored_on = scoring_ids(store, nlp, split)
                with RichBar() as bar:
                    report = evaluate_model(store, nlp, ids=ids, progress=bar)
                show(report)
    except AnnotatorError as exc:
        _fail(exc)


def _show(data: dict[str, Any], as_json: bool, printer: Any) -> None:
    """A command's result as JSON on stdout, or printed for people."""
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        printer(data)


def _pct(value: Any) -> str:
    return "—" if value is None else f"{100 * value:5.1f}"


def _print_evaluation(data: dict[str, Any]) -> None:
    if data.get("scored_on"):
        out.print(f"Scored on {data['scored_on']}.", highlight=False, soft_wrap=True)
    out.print(f"[bold]{data['pipeline']}[/] on {data['documents']} accepted document(s): "
              f"P {_pct(data['ents_p'])}  R {_pct(data['ents_r'])}  F {_pct(data['ents_f'])}  "
              f"(tp {data['tp']}, fp {data['fp']}, fn {data['fn']})", highlight=False)
    table = Table("label", "P", "R", "F", "tp", "fp", "fn", title="Per label (exact match, as spaCy)")
    for label, s in sorted((data["ents_per_type"] or {}).items()):
        table.add_row(label, _pct(s["p"]), _pct(s["r"]), _pct(s["f"]), str(s["tp"]), str(s["fp"]), str(s["fn"]))
    out.print(table)
    p = data["partial"]
    out.print(f"Partial match (overlap, same label): P {_pct(p['p'])}  R {_pct(p['r'])}  F {_pct(p['f'])}", highlight=False)
    confusion = data["confusion"]
    columns = sorted({c for row in confusion.values() for c in row})
    conf = Table("gold \\ predicted", *columns, title="Confusion (same boundaries; missed and spurious)")
    for row in sorted(confusion):
        conf.add_row(row, *(str(confusion[row].get(c, "")) for c in columns))
    out.print(conf)


@app.command("open")
def open_cmd(
    paths_: list[Path] = typer.Argument(None, metavar="[PATH...]", help="Import and pre-annotate these first."),
    db: Optional[Path] = DbOption,
    model: str = ModelOption,
    smoke: bool = typer.Option(False, "--smoke", hidden=True, help="Show the first document, print a line, quit."),
    allow_network_fs: bool = NetFsOption,
) -> None:
    """Open the reviewer's window (importing and pre-annotating PATHs first)."""
    try:
        from annotator.gui.app import run_gui  # noqa: F401
    except ImportError as exc:
        err.print(f"[bold red]error:[/] the window is not available: {exc}", highlight=False)
        raise typer.Exit(1) from None
    from annotator.launch import OpenArguments, open_window

    raise typer.Exit(open_window(OpenArguments(paths_ or [], db, model, smoke, allow_network_fs)))


from annotator import cli_review, cli_team  # noqa: E402,F401 - register review, assign, merge, agreement on ``app``
import annotator.cli_training  # noqa: E402,F401 - registers `train` and `train-curve` on the app

COMMANDS = frozenset([info.name or typer.main.get_command_name(info.callback.__name__)  # type: ignore[union-attr]
                      for info in app.registered_commands])


def _with_command(args: list[str]) -> list[str]:
    """``args`` with a command word first: ``open`` when there is none, or when the first word is
    an existing file or folder (``annotator seeds/``). Any other word that is not a command is a
    usage error (exit 2), so a typo never opens the window."""
    first = command_word(args)
    if first in COMMANDS:
        return args
    if first is None:
        wants_meta = any(a in ("--help", "-h", "--version") for a in args)
        return args if wants_meta else ["open", *args]
    if os.path.exists(first):  # False, not an error, for a name too long to be a path
        return ["open", *args]
    close = difflib.get_close_matches(first, sorted(COMMANDS), n=1)
    hint = (f"did you mean {close[0]}?" if close else
            f"no file or folder of that name either; commands: {', '.join(sorted(COMMANDS))}")
    err.print(f"[bold red]error:[/] unknown command {escape(repr(first))} ({hint})", highlight=False, soft_wrap=True)
    raise SystemExit(2)


def report_unexpected(exc: Exception) -> NoReturn:
    """How a command that raised ``exc`` ends, as typer's standalone mode ends it (end of input:
    "Aborted.", exit 1; a closed output pipe: exit 1), any other exception being a bug: one clear
    line, the traceback in a file to attach to a report (exit 70). Call it while ``exc`` is handled."""
    import errno
    import tempfile
    import traceback

    if isinstance(exc, EOFError):
        from typer import rich_utils

        typer.echo(file=sys.stderr)
        rich_utils.rich_abort_error()
        sys.exit(1)
    if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
        import click

        sys.stdout = click.utils.PacifyFlushWrapper(sys.stdout)  # type: ignore[assignment]
        sys.stderr = click.utils.PacifyFlushWrapper(sys.stderr)  # type: ignore[assignment]
        sys.exit(1)
    with tempfile.NamedTemporaryFile("w", prefix="annotator-error-", suffix=".txt", delete=False) as fh:
        traceback.print_exc(file=fh)
    err.print(f"[bold red]error:[/] unexpected failure: {type(exc).__name__}: {escape(str(exc))}\n"
              f"The details are in {fh.name}; please attach that file to a bug report.", highlight=False, soft_wrap=True)
    sys.exit(70)


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``annotator [open] [PATH...]`` opens the window; other words are commands.

    The installed command and ``python -m annotator`` start at :func:`annotator.launch.main`,
    which opens the window without importing this module and hands everything else to this."""
    args = _with_command(list(sys.argv[1:] if argv is None else argv))
    _exit_cleanly_on_sigterm()
    try:
        app(args=args, prog_name="annotator")
    except Exception as exc:  # a bug: one clear line, the traceback in a file to attach to a report
        report_unexpected(exc)  # (typer already ended EOFError and a broken pipe itself)
