"""The ``review`` command: accept, skip or reset review states without the window
(registered on ``annotator.cli.app``)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from annotator import paths
from annotator.cli import DbOption, NetFsOption, _fail, _open_store, app, out
from annotator.core.errors import AnnotatorError

DONE = {"accept": "accepted", "skip": "skipped", "reset": "reset"}
ALREADY = {"accept": "already accepted", "skip": "already skipped", "reset": "never edited"}


class Action(str, Enum):
    accept = "accept"
    skip = "skip"
    reset = "reset"


@app.command()
def review(
    action: Action = typer.Argument(..., metavar="ACTION", help="accept, skip, or reset (back to never edited: your gold, "
                                    "boilerplate and review state removed)."),
    names: Optional[list[str]] = typer.Argument(None, metavar="DOC", help="Document ids or source names."),
    all_in_progress: bool = typer.Option(False, "--all-in-progress", help="Also every document you have in "
                                         "progress."),
    db: Optional[Path] = DbOption,
    as_: Optional[str] = typer.Option(None, "--as", help="Act for this annotator (default: the database's owner, "
                                      "else $ANNOTATOR_USER, else your login name)."),
    yes: bool = typer.Option(False, "--yes", help="reset: also documents with your own edits (the edit log keeps "
                             "a copy)."),
    allow_network_fs: bool = NetFsOption,
) -> None:
    """Accept, skip or reset documents' review states, as the window would (one transaction)."""
    from annotator.core.team import check_annotator_name
    from annotator.ops.review_states import EditsWouldBeLost, change_review_states

    if not names and not all_in_progress:
        raise typer.BadParameter("name at least one DOC, or pass --all-in-progress", param_hint="DOC...")
    try:
        if as_ is not None:
            check_annotator_name(as_)
        with _open_store(db, allow_network_fs=allow_network_fs) as store:
            who = as_ or paths.current_annotator(store.owner())
            change = change_review_states(store, names or [], who, action.value, all_in_progress=all_in_progress,
                                          discard_edits=yes)
    except EditsWouldBeLost as exc:
        _fail(type(exc)(f"{exc} (pass --yes to reset them anyway; the edit log keeps a copy)"))
    except AnnotatorError as exc:
        _fail(exc)
    out.print(f"{DONE[change.action]} {change.changed} document(s) as {change.annotator}"
              + (f"; {change.unchanged} {ALREADY[change.action]}" if change.unchanged else ""),
              highlight=False, soft_wrap=True, markup=False)
