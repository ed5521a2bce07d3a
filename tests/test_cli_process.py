"""The command line as a separate process sees it: a mistyped command is a usage error (exit 2)
that never opens the window, and output into a pipe is whole lines, tables at their natural width."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.test_bad_input import annotator

LONG_LABEL = "A_LABEL_NAME_" + "LONG" * 20  # wider than 80 columns on its own


def headless() -> dict[str, str]:
    """No display and no offscreen Qt: a window that opened anyway would fail at once, not hang."""
    return {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}


def test_a_mistyped_command_is_a_usage_error_not_a_window(tmp_path):
    result = annotator("exprot", "--db", tmp_path / "x.db", env=headless(), timeout=60)
    assert (result.returncode, result.stderr) == (2, "error: unknown command 'exprot' (did you mean export?)\n")
    assert result.stdout == "" and not (tmp_path / "x.db").exists()


def test_a_word_like_no_command_lists_the_commands(tmp_path):
    result = annotator("frobnicate", env=headless(), timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown command 'frobnicate' (no file or folder of that name either; "
                                    "commands: agreement, assign, evaluate, export, import, merge, open, ")
    assert result.stderr.count("\n") == 1


@pytest.fixture(scope="module")
def deep(tmp_path_factory) -> Path:
    """A folder whose path alone fills most of a line."""
    folder = tmp_path_factory.mktemp("pipes") / "a-project-folder-with-a-name-long-enough-to-fill-a-line"
    folder.mkdir()
    return folder


def test_stats_into_a_pipe_is_whole_lines_and_a_table_at_its_natural_width(deep):
    labels = deep / "labels.json"
    labels.write_text(json.dumps({"labels": [{"name": "GPE", "key": "G"}, {"name": LONG_LABEL, "key": "X"}]}),
                      encoding="utf-8")
    gold = deep / "gold.jsonl"
    text = "Mali and Niger."
    gold.write_text(json.dumps({
        "text": text, "answer": "accept", "tokens": [{"start": 0, "end": 4}, {"start": 5, "end": 8},
                                                     {"start": 9, "end": 14}, {"start": 14, "end": 15}],
        "spans": [{"start": 0, "end": 4, "label": "GPE"}, {"start": 9, "end": 14, "label": LONG_LABEL}]}) + "\n",
        encoding="utf-8")
    db = deep / "stats.db"
    assert annotator("import", gold, "--labels", labels, "--db", db).returncode == 0
    result = annotator("stats", "--db", db)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{db}: 1 documents, {len(text)} characters"
    assert any(re.search(re.escape(LONG_LABEL) + r"\W+1\W*$", line) for line in lines), result.stdout


def test_export_notes_into_a_pipe_are_one_line_each(deep):
    (deep / "one.txt").write_text("Mali and Niger.", encoding="utf-8")
    db = deep / "export.db"
    assert annotator("import", deep / "one.txt", "--db", db).returncode == 0
    out = deep / "gold.jsonl"
    result = annotator("export", "--db", db, "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Wrote 0 document(s), 0 span(s) to {out} (jsonl).\n"
    assert result.stderr == "note: no accepted documents yet; --all exports every document with its current spans.\n"
