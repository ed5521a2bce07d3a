"""Team commands of the command line: assign, merge, agreement (registered on ``annotator.cli.app``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from annotator.cli import DbOption, NetFsOption, Table, _fail, _open_store, _show, app, err, out
from annotator.core.errors import AnnotatorError


@app.command()
def assign(
    annotators: str = typer.Option(..., "--annotators", help="Comma-separated names, e.g. ann,bob,cy."),
    out_dir: Path = typer.Option(..., "--out", help="Folder for the annotators' files (NAME.db)."),
    db: Optional[Path] = DbOption,
    overlap: Optional[float] = typer.Option(None, "--overlap", help="Fraction of documents given to two annotators "
                                            "(default 0.2 with two or more annotators)."),
    per_annotator: Optional[int] = typer.Option(None, "--per-annotator", help="At most this many documents each."),
    seed: int = typer.Option(0, "--seed", help="The same seed gives the same assignment."),
    allow_network_fs: bool = NetFsOption,
) -> None:
    """Hand out the documents nobody has yet: one self-contained project file per annotator."""
    from annotator.core.team import parse_annotators
    from annotator.ops.assigning import assign as run

    try:
        names = parse_annotators(annotators)
        share = overlap if overlap is not None else (0.2 if len(names) > 1 else 0.0)
        with _open_store(db, allow_network_fs=allow_network_fs) as store:
            report = run(store, out_dir, names, overlap=share, per_annotator=per_annotator, seed=seed)
    except AnnotatorError as exc:
        _fail(exc)
    if not report.files:
        out.print("Nothing to assign: every document is assigned already." if not report.left else
                  f"Nothing assigned ({report.left} document(s) did not fit --per-annotator).", highlight=False)
        return
    out.print(f"Assigned {report.documents} document(s), {report.shared} of them to two annotators:", highlight=False)
    for item in report.files:
        how = "new file" if item.created else "added to the existing file"
        out.print(f"  {item.annotator}: {item.documents} document(s) -> {item.path} ({how})", highlight=False,
                  soft_wrap=True)
    if report.left:
        out.print(f"{report.left} document(s) left for a later run (--per-annotator).", highlight=False)


@app.command()
def merge(
    files: list[Path] = typer.Argument(..., metavar="FILE...", help="Annotators' project files, or Prodigy JSONL."),
    db: Optional[Path] = DbOption,
    force: bool = typer.Option(False, "--force", help="Merge a file from another project (matched by text)."),
    add_new: bool = typer.Option(False, "--add-new", help="Add documents the project does not have."),
    annotator: Optional[str] = typer.Option(None, "--annotator", help="Annotator of JSONL lines without _annotator_id."),
    allow_network_fs: bool = NetFsOption,
) -> None:
    """Bring annotators' gold, boilerplate, review states and edit log back (one transaction per file)."""
    from annotator.ops.merging import FileReport, merge_files

    def said(report: FileReport) -> None:
        _print_merged(report, add_new)

    try:
        with _open_store(db, allow_network_fs=allow_network_fs) as store:
            merge_files(store, files, force=force, add_new=add_new, annotator=annotator, on_file=said)
    except AnnotatorError as exc:
        _fail(exc)


def _print_merged(report: Any, add_new: bool) -> None:
    from annotator.core.merging import FILE_LATER, NEW, OLDER, PROJECT_LATER, SAME, UPDATED

    who = ", ".join(sorted(report.annotators)) or "nobody's work"
    twice = report.count(FILE_LATER) + report.count(PROJECT_LATER)
    out.print(f"Merged {report.path} ({report.kind}, {who}): {report.count(NEW)} new, {report.count(UPDATED)} updated, "
              f"{report.count(SAME)} unchanged, {report.count(OLDER)} older than the project's"
              f"{f', {twice} edited in two files' if twice else ''}; {report.edits_added} edit-log entries added"
              f"{f'; {report.flags} flag(s) and note(s)' if report.flags else ''}.",
              highlight=False, soft_wrap=True)
    sys.stdout.flush()
    if twice:
        err.print(f"[yellow]warning:[/] {report.path}: {twice} document(s) were edited by the same annotator in two "
                  f"files; the later edit won ({report.count(FILE_LATER)} from this file, "
                  f"{report.count(PROJECT_LATER)} kept from the project; e.g. {'; '.join(report.edited_twice)})",
                  highlight=False, soft_wrap=True)
    if report.unknown:
        what = ("added (--add-new)" if add_new else "skipped; pass --add-new to add them")
        err.print(f"[yellow]note:[/] {report.path}: {report.unknown} document(s) unknown to this project "
                  f"(no document with the same text): {what}", highlight=False, soft_wrap=True)
    if report.lines_without_annotation:
        err.print(f"[yellow]note:[/] {report.path}: {report.lines_without_annotation} line(s) carry no annotation "
                  "(predictions, or no spans and no answer) and were skipped", highlight=False, soft_wrap=True)


@app.command()
def agreement(
    db: Optional[Path] = DbOption,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Also write the JSON result to this file."),
    allow_network_fs: bool = NetFsOption,
) -> None:
    """Inter-annotator agreement on documents two or more annotators accepted."""
    from annotator.core.tokens import Tokens
    from annotator.ops.agreement import project_agreement
    from annotator.ops.exporting import atomic_output
    from annotator.pipeline import DEFAULT_MODEL, tokenizer_for

    def tokenize(text: str) -> Tokens:
        return Tokens.from_doc(tokenizer_for(DEFAULT_MODEL)(text))

    try:
        with _open_store(db, allow_network_fs=allow_network_fs) as store:
            data = project_agreement(store, tokenize).to_dict()
        if out_file is not None:
            with atomic_output(out_file) as fh:
                fh.write(json.dumps(data, indent=2) + "\n")
    except AnnotatorError as exc:
        _fail(exc)
    _show(data, as_json, _print_agreement)


def _f(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}"


def _print_agreement(data: dict[str, Any]) -> None:
    out.print(f"[bold]Agreement[/] over {data['documents']} document(s) with two or more annotators: "
              f"exact F1 {_f(data['exact_f1'])}, overlap F1 {_f(data['overlap_f1'])}, "
              f"kappa (IOB tokens) {_f(data['kappa'])}, boilerplate {_f(data['boilerplate_agreement'])}",
              highlight=False)
    pairs = Table("pair", "docs", "exact F1", "overlap F1", "kappa", "spans", "agreed", "boilerplate",
                  title="Per pair of annotators")
    for p in data["per_pair"]:
        pairs.add_row(f"{p['a']} / {p['b']}", str(p["documents"]), _f(p["exact_f1"]), _f(p["overlap_f1"]),
                      _f(p["kappa"]), f"{p['spans_a']} / {p['spans_b']}", str(p["agreed"]),
                      _f(p["boilerplate_agreement"]))
    out.print(pairs)
    labels = Table("label", "exact F1", "agreed", "spans", title="Per label (exact match)")
    for label, s in data["per_label"].items():
        labels.add_row(label, _f(s["exact_f1"]), str(s["agreed"]), str(s["spans"]))
    out.print(labels)
    docs = Table("document", "annotators", "disputed", "spans", "exact F1", title="Most disagreement first (top 10)")
    for d in data["ranked_documents"][:10]:
        docs.add_row(d["source"], " ".join(d["annotators"]), str(d["disputed"]), str(d["spans"]), _f(d["exact_f1"]))
    out.print(docs)
