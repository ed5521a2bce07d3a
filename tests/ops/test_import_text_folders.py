"""Import of .txt folders: which files are found and in what order, a bad file in a later batch
is named and changes nothing, and a killed import leaves the project as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from annotator.core.errors import InputError
from annotator.ops import importing
from annotator.ops.importing import collect_files, import_paths
from annotator.store import Store
from tests.conftest import kill_an_import_midway, snapshot

SUFFIXES = {".txt", ".text", ".jsonl", ".ndjson"}


def _as_rglob_finds(folder: Path) -> list[Path]:
    """What the listing was before (``Path.rglob`` then ``is_file``, sorted by parts)."""
    return sorted((p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()),
                  key=lambda p: p.parts)


def test_folder_listing_finds_what_rglob_finds_in_the_same_order(tmp_path, monkeypatch):
    root = tmp_path / "in"
    for name in ["b.txt", "a.TXT", "a b.txt", "a-b.txt", "a/z.txt", "a/b/c.jsonl", "ab.txt", ".hidden.txt",
                 ".hid/x.ndjson", "..txt", ".txt", "n.text", "x.md", "y.txt.bak", "sub/ü.txt", "sub.txt"]:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Some text.", encoding="utf-8")
    (root / "folder.txt").mkdir()  # a folder named like a text file is not a file
    (root / "linked").symlink_to(root / "a", target_is_directory=True)  # rglob does not descend into it
    (root / "file-link.txt").symlink_to(root / "b.txt")  # a linked file is a file
    (root / "dangling.txt").symlink_to(root / "missing.txt")
    os.mkfifo(root / "pipe.txt")  # not a regular file: skipped, never opened
    expected = _as_rglob_finds(root)
    assert len(expected) == 14
    assert collect_files([root]) == expected
    monkeypatch.chdir(root)
    assert collect_files(["."]) == _as_rglob_finds(Path("."))
    assert collect_files(["a", "../in/sub"]) == _as_rglob_finds(Path("a")) + _as_rglob_finds(Path("../in/sub"))


@pytest.mark.parametrize("bad_bytes, message", [(b"caf\xe9", "not valid UTF-8"), (b"  \n", "only whitespace"),
                                                (b"a\x00b", "NUL character")])
def test_a_bad_text_file_in_a_later_batch_is_named_and_changes_nothing(tmp_path, db_path, monkeypatch, bad_bytes,
                                                                       message):
    monkeypatch.setattr(importing, "BATCH", 4)  # the bad file in the fifth batch
    folder = tmp_path / "texts"
    folder.mkdir()
    for i in range(30):
        (folder / f"{i:02d}.txt").write_bytes(bad_bytes if i == 17 else f"Text number {i}.".encode())
    (folder / "29.txt").write_bytes(b"\xff")  # a later bad file is not the one named
    with Store.open(db_path) as store:
        store.add_document("Already here.", "known.txt", importing.content_hash("Already here."))
    before = snapshot(db_path)
    with Store.open(db_path) as store, pytest.raises(InputError) as caught:
        import_paths(store, [folder], annotator="me")
    assert f"{folder / '17.txt'}" in str(caught.value) and message in str(caught.value)
    assert snapshot(db_path) == before


def test_a_killed_text_folder_import_leaves_the_project_as_it_was(tmp_path):
    db = tmp_path / "project.db"
    with Store.open(db) as store:
        store.add_document("Already here.", "known.txt", importing.content_hash("Already here."))
    folder = tmp_path / "texts"
    folder.mkdir()
    for i in range(30000):
        (folder / f"{i:05d}.txt").write_text(f"Report {i}: the minister said so in Bamako.\n" * 20, encoding="utf-8")
    before = snapshot(db)
    kill_an_import_midway(db, folder, 0.5)  # into the batches
    assert snapshot(db) == before  # one transaction: no batch, no half-written document
    with Store.open(db) as store:
        report = import_paths(store, [folder], annotator="me")
        assert (report.files, report.new_documents, report.known_documents) == (30000, 30000, 0)
        assert store.document_count() == 30001
        assert store.document(store.document_ids()[-1]).text == "Report 29999: the minister said so in Bamako.\n" * 20


def test_a_file_that_grows_while_it_is_read_is_read_to_its_end(tmp_path, db_path, monkeypatch):
    from annotator.ops import textfiles

    path = tmp_path / "growing.txt"
    path.write_text("Mali " * 5000, encoding="utf-8")
    real_fstat = os.fstat

    def fstat_before_it_grew(fd):  # noqa: ANN001, ANN202 - the size as it was a moment before the read
        info = real_fstat(fd)
        return os.stat_result((info.st_mode, *info[1:6], info.st_size - 4000, *info[7:]))

    monkeypatch.setattr(textfiles.os, "fstat", fstat_before_it_grew)
    with Store.open(db_path) as store:
        import_paths(store, [path], annotator="me")
        assert store.document(store.document_ids()[0]).text == "Mali " * 5000


def test_a_file_the_system_reads_short_is_read_to_its_end(tmp_path, db_path, monkeypatch):
    """Linux gives at most 0x7ffff000 bytes per read: a larger .txt file arrives in several
    reads, and none of it may be cut (simulated on a small file with reads of 1,000 bytes;
    found by the second read of the change, where one read was taken for the whole file)."""
    from annotator.ops import textfiles

    path = tmp_path / "long.txt"
    path.write_text("Mali " * 5000, encoding="utf-8")
    real_read = os.read
    monkeypatch.setattr(textfiles.os, "read", lambda fd, n: real_read(fd, min(n, 1000)))
    with Store.open(db_path) as store:
        import_paths(store, [path], annotator="me")
        assert store.document(store.document_ids()[0]).text == "Mali " * 5000
