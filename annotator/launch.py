"""The ``annotator`` command's entry point: opening the window without loading the command line.

``annotator [open] [PATH...] [--db DB] [--model M]`` is what people run most, and the window
should be up fast. The command line (typer, click, rich: a quarter of the start-up) is imported
only when something else is asked: another command, ``--help``, ``--version``, a word that is
neither a command nor a path, or any argument this module does not read exactly as typer would
(``--db=x``, ``--``, a repeated or unknown option...). Those go to :func:`annotator.cli.main`
untouched, so help texts, usage errors and their exit codes are typer's own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NamedTuple

# Every command of annotator.cli (tests/test_launch.py checks that this is the same set).
COMMANDS = frozenset({"agreement", "assign", "evaluate", "export", "import", "merge", "open", "preannotate",
                      "review", "stats", "train", "train-curve"})
# Options of any command that take a value (the word after them is not a command word).
VALUE_OPTIONS = frozenset({"--db", "--model", "--out", "--format", "--n-process", "--batch-size", "--labels",
                           "--predictions", "--annotators", "--overlap", "--per-annotator", "--seed", "--annotator",
                           "--as", "--split", "--base", "--blank", "--max-steps", "--epochs", "--dev-fraction",
                           "--write-config", "--name", "--rehearsal"})
META_OPTIONS = ("--help", "-h", "--version")
OPEN_VALUES = ("--db", "--model")
OPEN_FLAGS = ("--smoke", "--allow-network-fs")


class OpenArguments(NamedTuple):
    """``annotator open``'s arguments, as typer would have converted them."""

    paths: list[Path]
    db: Path | None
    model: str | None  # None: the default pipeline
    smoke: bool
    allow_network_fs: bool


def command_word(args: list[str]) -> str | None:
    """The first word that is not an option or an option's value (the command, or a path)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def open_arguments(args: list[str]) -> OpenArguments | None:
    """``args`` read as ``annotator open``, or None when the full command line must read them.

    Only the plain forms are read here: ``[open] [PATH...]`` with ``--db VALUE``, ``--model VALUE``,
    ``--smoke``, ``--allow-network-fs``, each at most once, values neither empty nor starting with
    ``-``. Everything else (help, errors included) is typer's.
    """
    first = command_word(args)
    if first == "open":
        if not args or args[0] != "open":  # `--db x open`: typer's usage error
            return None
        rest = args[1:]
    elif first is None:
        if any(a in META_OPTIONS for a in args):
            return None
        rest = list(args)
    elif first not in COMMANDS and os.path.exists(first):
        rest = list(args)
    else:  # another command, or a word that is neither: typer, or the usage error
        return None
    paths: list[Path] = []
    values: dict[str, str] = {}
    flags: set[str] = set()
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg in OPEN_VALUES:
            if arg in values or i + 1 == len(rest) or not rest[i + 1] or rest[i + 1].startswith("-"):
                return None
            values[arg] = rest[i + 1]
            i += 2
            continue
        if arg in OPEN_FLAGS:
            if arg in flags:
                return None
            flags.add(arg)
        elif arg and not arg.startswith("-"):
            paths.append(Path(arg))
        else:  # -h, --help, --, --db=x, an unknown option, an empty word
            return None
        i += 1
    db = values.get("--db")
    return OpenArguments(paths, Path(db) if db is not None else None, values.get("--model"),
                         "--smoke" in flags, "--allow-network-fs" in flags)


def exit_cleanly_on_sigterm() -> None:
    """``kill`` (SIGTERM) unwinds like Ctrl+C: open transactions roll back, partial files are removed."""
    import signal

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, stop)
    except (ValueError, OSError):  # not the main thread, or no such signal here
        pass


def open_window(opened: OpenArguments) -> int:
    """What ``annotator open`` does (annotator.cli.open_cmd), without the command line."""
    from annotator import DEFAULT_MODEL, paths
    from annotator.gui.app import run_gui

    if opened.allow_network_fs:
        from annotator.store.connection import NETWORK_FS_ENV

        os.environ[NETWORK_FS_ENV] = "1"  # the window's worker thread opens its own connection
    return run_gui(paths.database_path(opened.db), [str(p) for p in opened.paths], opened.model or DEFAULT_MODEL,
                   smoke=opened.smoke)


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``annotator [open] [PATH...]`` opens the window; anything else is annotator.cli's."""
    args = list(sys.argv[1:] if argv is None else argv)
    opened = open_arguments(args)
    if opened is not None:
        try:
            import annotator.gui.app  # noqa: F401
        except ImportError:  # the window cannot load here: the command line says so in its words
            opened = None
    if opened is None:
        from annotator.cli import main as command_line

        command_line(args)
        return
    exit_cleanly_on_sigterm()
    try:
        code = open_window(opened)
    except KeyboardInterrupt:  # as typer ends a command that Ctrl+C interrupted
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - ended exactly as typer and annotator.cli.main end it
        from annotator.cli import report_unexpected

        report_unexpected(exc)
    sys.exit(code)
