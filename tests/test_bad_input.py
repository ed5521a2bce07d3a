"""Bad input through the real command line: one line naming the file (and line), exit 1, nothing changed.

Each case once ended in a traceback (exit 70) or hung; these run ``python -m annotator`` as a
user would, in a separate process.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import snapshot

ROOT = Path(__file__).resolve().parents[1]


def annotator(*args: object, timeout: float = 120, preexec=None, env=None) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec, env=env)


@pytest.fixture(scope="module")
def base_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("base") / "p.db"
    good = db.parent / "good.jsonl"
    good.write_text(json.dumps({"text": "Mali and Niger.", "spans": [{"start": 0, "end": 4, "label": "GPE"}],
                                "answer": "accept"}) + "\n", encoding="utf-8")
    result = annotator("import", good, "--db", db)
    assert result.returncode == 0, result.stderr
    return db


def one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def jsonl(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


CASES = {
    "lone surrogate": ('{"text": "Mali \\ud800 and Niger"}', "x.jsonl:1:", "lone surrogate"),
    "token offset -1": ('{"text": "Mali", "tokens": [{"start": -1, "end": 2}]}', "x.jsonl:1:", "tokens[0]"),
    "token offset 2**40": (json.dumps({"text": "Mali", "tokens": [{"start": 0, "end": 2 ** 40}]}), "x.jsonl:1:",
                           "outside the text"),
    "nested 100k deep": ('{"text": "Mali", "meta": ' + "[" * 100_000 + "]" * 100_000 + "}", "x.jsonl:1:",
                         "nested too deeply"),
    "whitespace-only text": ('{"text": "  \\n\\t "}', "x.jsonl:1:", "only whitespace"),
    "NUL in text": ('{"text": "Mali\\u0000Niger"}', "x.jsonl:1:", "NUL character"),
    "empty text": ('{"text": ""}', "x.jsonl:1:", "is empty"),
    "surrogate in meta": ('{"text": "Mali", "meta": {"note": "\\udc80"}}', "x.jsonl:1:", "not valid Unicode"),
    "unclosed span list": ('{"text": "a", "spans": [', "x.jsonl:1:", "column 25"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_jsonl_is_one_line_and_changes_nothing(base_db, tmp_path, case):
    line, where, what = CASES[case]
    before = snapshot(base_db)
    result = annotator("import", jsonl(tmp_path / "x.jsonl", '{"text": "A fine first line."}', line), "--db", base_db)
    one_line_error(result, where.replace(":1:", ":2:"), what)
    assert snapshot(base_db) == before


def test_txt_and_jsonl_follow_the_same_text_rules(base_db, tmp_path):
    (tmp_path / "blank.txt").write_text(" \n\t\n", encoding="utf-8")
    one_line_error(annotator("import", tmp_path / "blank.txt", "--db", base_db), "blank.txt:", "only whitespace")
    (tmp_path / "nul.txt").write_bytes(b"Mali\x00Niger")
    one_line_error(annotator("import", tmp_path / "nul.txt", "--db", base_db), "nul.txt:1:", "NUL character")


def test_fifo_is_refused_not_waited_on(base_db, tmp_path):
    fifo = tmp_path / "x.txt"
    os.mkfifo(fifo)
    result = annotator("import", fifo, "--db", base_db, timeout=60)
    one_line_error(result, "x.txt:", "named pipe")


def test_export_into_a_read_only_folder(base_db, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; the full-disk test covers the write error path")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        one_line_error(annotator("export", "--db", base_db, "--out", folder / "g.jsonl"), "g.jsonl:", "cannot write")
    finally:
        folder.chmod(0o700)


def test_export_onto_a_full_disk_leaves_no_part_file(tmp_path):
    """A write that fails half way (here the file-size limit, as a full disk does) is one line, no file."""
    db = tmp_path / "big.db"
    records = [json.dumps({"text": f"Document {i}: " + "Mali and Niger met in Niamey. " * 20,
                           "spans": [{"start": 0, "end": 8, "label": "ORG"}], "answer": "accept"}) for i in range(300)]
    assert annotator("import", jsonl(tmp_path / "many.jsonl", *records), "--db", db).returncode == 0

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG, not a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))  # SQLite's files fit, the export does not

    out = tmp_path / "out" / "gold.jsonl"
    out.parent.mkdir()
    result = annotator("export", "--db", db, "--out", out, preexec=limit)
    one_line_error(result, "gold.jsonl:", "cannot write", "nothing was written")
    assert list(out.parent.iterdir()) == []


def test_stale_part_file_of_a_killed_export_is_removed(base_db, tmp_path):
    out = tmp_path / "gold.jsonl"
    code = ("import os, signal, sys; from pathlib import Path; from annotator.ops import exporting;"
            "cm = exporting.atomic_output(Path(sys.argv[1])); fh = cm.__enter__(); fh.write('half'); fh.flush();"
            "os.kill(os.getpid(), signal.SIGKILL)")
    killed = subprocess.run([sys.executable, "-c", code, str(out)], cwd=ROOT, capture_output=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert len(list(tmp_path.glob(".gold.jsonl.*.part"))) == 1
    result = annotator("export", "--db", base_db, "--out", out)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["gold.jsonl"]


def test_terminated_export_removes_its_part_file(tmp_path, base_db):
    out = tmp_path / "gold.jsonl"
    code = ("import sys, time; from pathlib import Path; from annotator.cli import _exit_cleanly_on_sigterm;"
            "from annotator.ops import exporting; _exit_cleanly_on_sigterm();"
            "cm = exporting.atomic_output(Path(sys.argv[1])); fh = cm.__enter__();"
            "print('writing', flush=True)\ntry:\n    time.sleep(60)\nexcept SystemExit:\n"
            "    cm.__exit__(*sys.exc_info()); raise")
    proc = subprocess.Popen([sys.executable, "-c", code, str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    proc.stdout.close()
    assert list(tmp_path.iterdir()) == []
