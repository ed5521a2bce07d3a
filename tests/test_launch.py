"""The entry point (annotator.launch): ``annotator open`` starts without the command line, and reads
its arguments exactly as typer does; everything else (help, errors, other commands) is typer's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import typer

from annotator import cli, launch
from annotator.launch import OpenArguments, open_arguments
from annotator.pipeline import DEFAULT_MODEL
from tests.test_bad_input import annotator

ROOT = Path(__file__).resolve().parent.parent


def test_the_command_words_are_the_command_lines():
    assert launch.COMMANDS == cli.COMMANDS


def test_every_option_that_takes_a_value_is_known():
    """A command word is found by skipping option values: a new option with a value must be listed."""
    group = typer.main.get_command(cli.app)  # typer's own (vendored) click objects
    context = group.make_context("annotator", [], resilient_parsing=True)
    taking_values = set()
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        subcommands = list(getattr(command, "commands", {}).values()) or [command]
        for sub in subcommands:
            for param in sub.params:
                if param.param_type_name == "option" and not param.is_flag:
                    taking_values.update(o for o in param.opts if o.startswith("--"))
    assert taking_values and taking_values <= launch.VALUE_OPTIONS, taking_values - launch.VALUE_OPTIONS


def through_typer(args: list[str], monkeypatch) -> OpenArguments | None:
    """What ``annotator.cli.main`` hands to the window for ``args`` (None: it never opens one)."""
    seen: list[OpenArguments] = []
    monkeypatch.setattr("annotator.launch.open_window", lambda opened: seen.append(opened) or 0)
    with pytest.raises(SystemExit):
        cli.main(args)
    return seen[0] if seen else None


@pytest.mark.parametrize("args", [
    [],
    ["open"],
    ["--db", "x.db"],
    ["open", "--db", "x.db", "--smoke"],
    ["--smoke", "--db", "a b.db", "--model", "/models/best"],
    ["open", "seeds", "--allow-network-fs", "seeds/000_e5af05bdd28e0bde.txt"],
    ["seeds", "--db", "x.db"],
    ["--db", "x.db", "seeds"],
    ["open", "open"],
])
def test_the_window_gets_what_typer_would_give_it(args, monkeypatch):
    monkeypatch.chdir(ROOT)  # `seeds` is an existing folder
    fast = open_arguments(args)
    assert fast is not None, "plain `open` arguments are read without the command line"
    typed = through_typer(args, monkeypatch)
    assert typed is not None
    assert fast._replace(model=fast.model or DEFAULT_MODEL) == typed


@pytest.mark.parametrize("args", [
    ["--help"], ["-h"], ["open", "--help"], ["open", "-h"], ["--version"],
    ["open", "--db"], ["open", "--db", ""], ["open", "--db", "--smoke"], ["open", "--db=x.db"],
    ["open", "--bogus"], ["open", "--smoke", "--smoke"], ["open", "--db", "a", "--db", "b"], ["open", "--", "x"],
    ["--db", "x.db", "open"], ["import", "a.txt"], ["stats"], ["exprot"], ["no-such-file.txt"],
])
def test_anything_else_goes_to_the_command_line(args, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert open_arguments(args) is None


def run_module(*args: str) -> subprocess.CompletedProcess:
    """``python -m annotator`` without a display: a window that opened anyway fails at once."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    return annotator(*args, env=env, timeout=60)


def test_help_and_usage_errors_are_the_command_lines():
    helped = run_module("open", "--help")
    assert helped.returncode == 0 and "Open the reviewer's window" in helped.stdout
    assert "--allow-network-fs" in helped.stdout and "--smoke" not in helped.stdout  # hidden, as before
    bad = run_module("open", "--bogus")
    assert bad.returncode == 2 and "No such option: --bogus" in bad.stderr
    missing = run_module("open", "--db")
    assert missing.returncode == 2 and "Option '--db' requires an argument." in missing.stderr


def test_the_window_start_says_what_is_missing_without_a_display(tmp_path):
    result = run_module("--db", str(tmp_path / "x.db"))
    assert result.returncode == 2 and result.stderr.startswith("error: cannot open the window: no display")
    assert not (tmp_path / "x.db").exists()


def test_the_entry_points_are_the_launcher():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'annotator = "annotator.launch:main"' in pyproject
    assert "from annotator.launch import main" in (ROOT / "annotator" / "__main__.py").read_text(encoding="utf-8")
