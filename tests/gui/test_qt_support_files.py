"""PySide6's embedded support modules unpacked once, with their bytecode, so a start does not compile them.

The first tests use a stand-in for shiboken6's folder; the last ones the real one, through the real
start (``python -m annotator open --smoke``), which is what a reviewer's first start does to it.
Nothing here leaves the real folder unusable, even if the test is killed half-way."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.gui import qt_support_files as support
from annotator.gui.qt_support_files import FOLDER, STAMP, build_stamp, check_before_import, may_unpack, unpack
from annotator.tempfiles import temp_path

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED = {
    "signature_bootstrap.py": b"BOOT = 1\n",
    "shibokensupport/__init__.py": b"",
    "shibokensupport/signature/__init__.py": b"",
    "shibokensupport/signature/loader.py": b"LOADED = 'from files'\n",
}


@pytest.fixture
def shiboken(tmp_path: Path, monkeypatch) -> Path:
    """A stand-in for shiboken6's package folder: its compiled module and library, as build_stamp reads them.
    (What check_before_import notes about it is forgotten after the test.)"""
    monkeypatch.setattr(support, "_at_import", None)
    folder = tmp_path / "shiboken6"
    folder.mkdir()
    (folder / "Shiboken.abi3.so").write_bytes(b"\x7fELF build 1")
    (folder / "libshiboken6.abi3.so.6.11").write_bytes(b"\x7fELF library 1")
    (folder / "Shiboken.pyi").write_text("# stubs\n")
    (folder / "__init__.py").write_text("")
    return folder


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".files.dir"))


def unpacked_from(folder: Path, sources: dict[str, bytes] = EMBEDDED) -> Path | None:
    return unpack(folder, sources, build_stamp(folder))


def test_unpacked_with_bytecode_and_a_stamp_in_one_folder(shiboken):
    made = unpacked_from(shiboken)
    assert made == shiboken / FOLDER
    assert (made / "shibokensupport/signature/loader.py").read_bytes() == EMBEDDED["shibokensupport/signature/loader.py"]
    caches = sorted(p.relative_to(made).as_posix() for p in made.rglob("*.pyc"))
    tag = sys.implementation.cache_tag
    assert caches == [f"__pycache__/signature_bootstrap.{tag}.pyc",
                      f"shibokensupport/__pycache__/__init__.{tag}.pyc",
                      f"shibokensupport/signature/__pycache__/__init__.{tag}.pyc",
                      f"shibokensupport/signature/__pycache__/loader.{tag}.pyc"]
    assert (made / STAMP).read_text() == build_stamp(shiboken)
    assert "Shiboken.abi3.so 12 " in build_stamp(shiboken) and "libshiboken6.abi3.so.6.11 " in build_stamp(shiboken)
    assert ".py" not in build_stamp(shiboken).replace(".pyc", "")  # neither the stubs nor __init__.py
    assert leftovers(shiboken) == []
    assert unpack(shiboken, {"other.py": b""}, build_stamp(shiboken)) is None  # there already: left as it is
    assert not (made / "other.py").exists()


def test_readable_by_everyone_whatever_the_umask(shiboken):
    """A venv others use too: files 0644, folders 0755, not the 0600/0700 of a umask of 077."""
    old = os.umask(0o077)
    try:
        made = unpacked_from(shiboken)
    finally:
        os.umask(old)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in [made, *made.rglob("*")] if p.is_dir()}
    assert modes == {0o755}
    assert {stat.S_IMODE(p.stat().st_mode) for p in made.rglob("*") if p.is_file()} == {0o644}


def test_bytecode_beside_the_sources_whatever_the_environment_says(shiboken, tmp_path):
    """PYTHONDONTWRITEBYTECODE, PYTHONPYCACHEPREFIX and -O change where and what the interpreter
    writes; the folder gets what a plain import of it looks for, and nothing is written elsewhere."""
    prefix = tmp_path / "prefix"
    code = ("import sys; from pathlib import Path; from annotator.gui.qt_support_files import unpack, build_stamp;"
            "f = Path(sys.argv[1]); print(unpack(f, {'shibokensupport/__init__.py': b'X = 1\\n'}, build_stamp(f)))")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(prefix))
    result = subprocess.run([sys.executable, "-O", "-c", code, str(shiboken)], cwd=ROOT, capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(shiboken / FOLDER)
    tag = sys.implementation.cache_tag
    assert [p.name for p in (shiboken / FOLDER).rglob("*.pyc")] == [f"__init__.{tag}.pyc"]
    assert not any(p.is_file() for p in prefix.rglob("*"))


def test_a_folder_from_another_build_is_removed_before_pyside6_loads(shiboken):
    made = unpacked_from(shiboken)
    assert check_before_import(shiboken) is False and made.exists()  # the same build
    (shiboken / "libshiboken6.abi3.so.6.11").write_bytes(b"\x7fELF library 2, upgraded in place")
    assert check_before_import(shiboken) is True
    assert not made.exists() and leftovers(shiboken) == []
    assert check_before_import(shiboken) is False  # nothing left to remove
    assert unpacked_from(shiboken) == made and (made / STAMP).read_text() == build_stamp(shiboken)


def test_a_damaged_stamp_is_another_build_and_nothing_raises(shiboken):
    made = unpacked_from(shiboken)
    (made / STAMP).write_bytes(b"\xff\xfe not text")
    assert check_before_import(shiboken) is True and not made.exists()
    assert check_before_import(shiboken.parent / "not there") is False  # logged, not raised


def test_nothing_is_unpacked_if_pyside6_changed_on_disk_since_it_was_imported(shiboken):
    """The sources come from the build in memory; stamped with the build on disk after an upgrade,
    the next start would keep the old files for good."""
    at_import = build_stamp(shiboken)
    (shiboken / "Shiboken.abi3.so").write_bytes(b"\x7fELF build 2")
    assert unpack(shiboken, EMBEDDED, at_import) is None
    assert not (shiboken / FOLDER).exists() and leftovers(shiboken) == []


def test_two_starts_removing_the_same_old_folder_leave_nothing_behind(shiboken):
    made = unpacked_from(shiboken)
    (shiboken / "Shiboken.abi3.so").write_bytes(b"\x7fELF build 2")
    os.replace(made, shiboken / "gone")  # the other start's rename, between our read of the stamp and ours
    try:
        assert support._remove(made, shiboken) is False
    finally:
        os.replace(shiboken / "gone", made)
    assert leftovers(shiboken) == []


def test_temporary_folders_of_killed_starts_are_swept_by_a_later_unpack(shiboken):
    """Named as annotator.tempfiles names them (host and process): those of a process that no
    longer runs are removed, not those of a running one."""
    code = ("import sys; from pathlib import Path; from annotator.tempfiles import temp_path;"
            "f = Path(sys.argv[1]); [temp_path(f / 'files.dir', s).mkdir() for s in ('.part', '.old')]")
    subprocess.run([sys.executable, "-c", code, str(shiboken)], cwd=ROOT, check=True, timeout=120)  # then gone
    for killed in shiboken.glob(".files.dir.*"):
        (killed / "shibokensupport").mkdir()
        (killed / "shibokensupport" / "__init__.py").write_text("half")
    running = temp_path(shiboken / FOLDER, ".part")  # this process: another start may be using it
    running.mkdir()
    assert unpacked_from(shiboken) == shiboken / FOLDER
    assert leftovers(shiboken) == [running.name]


def test_a_folder_someone_else_unpacked_is_left_alone(shiboken):
    theirs = shiboken / FOLDER  # e.g. SBK_EMBED=0: no stamp of ours
    (theirs / "shibokensupport").mkdir(parents=True)
    (theirs / "shibokensupport/__init__.py").write_text("# theirs\n")
    (shiboken / "Shiboken.abi3.so").write_bytes(b"\x7fELF another build")
    assert check_before_import(shiboken) is False
    assert unpacked_from(shiboken) is None
    assert (theirs / "shibokensupport/__init__.py").read_text() == "# theirs\n"
    assert sorted(p.name for p in theirs.iterdir()) == ["shibokensupport"]


@pytest.mark.parametrize("name", ["../outside.py", "/abs.py", "shibokensupport/../../x.py", "a//b.py", "data.txt"])
def test_an_unexpected_name_leaves_nothing_behind(shiboken, name):
    assert unpacked_from(shiboken, {**EMBEDDED, name: b"x = 1\n"}) is None
    assert not (shiboken / FOLDER).exists() and leftovers(shiboken) == []
    assert not (shiboken.parent / "outside.py").exists() and not Path("/abs.py").exists()


def test_a_source_that_does_not_compile_leaves_nothing_behind(shiboken):
    assert unpacked_from(shiboken, {**EMBEDDED, "shibokensupport/broken.py": b"def (:\n"}) is None
    assert not (shiboken / FOLDER).exists() and leftovers(shiboken) == []


def test_only_a_virtual_environment_of_ones_own_is_unpacked_into(shiboken, monkeypatch):
    """A system-wide or shared install: whoever gets stale files after an upgrade could not remove them."""
    monkeypatch.setattr(support.sys, "prefix", "/venv")
    monkeypatch.setattr(support.sys, "base_prefix", "/usr")
    assert may_unpack(shiboken) is True
    monkeypatch.setattr(support.os, "access", lambda path, mode: False)
    assert may_unpack(shiboken) is False  # read-only for this user
    monkeypatch.undo()
    monkeypatch.setattr(support.sys, "prefix", "/usr")
    monkeypatch.setattr(support.sys, "base_prefix", "/usr")
    assert may_unpack(shiboken) is False  # not a virtual environment
    if hasattr(os, "getuid"):
        monkeypatch.setattr(support.sys, "prefix", "/venv")
        monkeypatch.setattr(support.os, "getuid", lambda: os.stat(shiboken).st_uid + 1)
        assert may_unpack(shiboken) is False  # someone else's


def test_nothing_to_unpack_before_the_check_or_when_frozen(monkeypatch):
    monkeypatch.setattr(support, "_at_import", None)
    assert support.unpack_in_background() is None and unpack() is None
    monkeypatch.setattr(support.sys, "frozen", True, raising=False)
    assert support.shiboken_folder() is None and check_before_import() is False


# -- the real shiboken6 ---------------------------------------------------------------------------


def real_folder() -> Path:
    folder = support.shiboken_folder()
    assert folder is not None and (folder / "__init__.py").exists()
    unpacked = folder / FOLDER
    if unpacked.exists() and not (unpacked / STAMP).exists():
        pytest.skip(f"{unpacked} was unpacked by someone else (SBK_EMBED=0): not ours to replace")
    if not may_unpack(folder):
        pytest.skip(f"{folder} is not a virtual environment of this user's: nothing is unpacked there")
    return folder


def smoke_start(project_db: Path, tmp_path: Path, **env_extra: str) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ANNOTATOR_USER="tester", XDG_CONFIG_HOME=str(tmp_path),
               **env_extra)
    result = subprocess.run([sys.executable, "-m", "annotator", "open", "--db", str(project_db), "--smoke"],
                            cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "first document shown: 000_e5af05bdd28e0bde.txt" in result.stdout


def where_pyside6_loads_its_support_from() -> list[str]:
    """Where the loader came from, once PySide6 has used it (its message for a wrong argument)."""
    code = ("import sys; from PySide6.QtCore import QObject\n"
            "try: QObject().setObjectName(1)\n"
            "except TypeError as e: assert 'setObjectName(name: str' in str(e), e\n"
            "m = sys.modules['shibokensupport.signature.loader']; print(m.__file__); print(m.__cached__)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.split()


def test_the_first_start_unpacks_them_and_pyside6_then_loads_them_as_bytecode(project_db, tmp_path):
    folder = real_folder()
    unpacked = folder / FOLDER
    if unpacked.exists():
        support._remove(unpacked, folder)  # ours: as if this were the first start after installing
    before = leftovers(folder)
    smoke_start(project_db, tmp_path)
    assert (unpacked / STAMP).read_text() == build_stamp(folder)
    source, cached = where_pyside6_loads_its_support_from()
    assert Path(source) == unpacked / "shibokensupport/signature/loader.py"
    assert Path(cached).is_file() and Path(cached).is_relative_to(unpacked)
    assert leftovers(folder) == before


def test_a_start_after_pyside6_was_upgraded_replaces_the_old_files_before_loading_any(project_db, tmp_path):
    """An upgrade in place leaves the folder with the old build's stamp: the start removes it before
    PySide6 loads anything from it, then unpacks anew. The old loader here is the real one plus a
    line that leaves a mark if it runs (a killed test leaves a working folder)."""
    folder = real_folder()
    unpacked = folder / FOLDER
    if not unpacked.exists():
        smoke_start(project_db, tmp_path)
    (unpacked / STAMP).write_text("Shiboken.abi3.so 1 1\n")  # the build before the upgrade
    loader = unpacked / "shibokensupport/signature/loader.py"
    loader.write_text(loader.read_text() + "\nimport os as _os\n"
                      "if _os.environ.get('STALE_MARK'): open(_os.environ['STALE_MARK'], 'w').close()\n")
    mark = tmp_path / "the old loader ran"
    smoke_start(project_db, tmp_path, STALE_MARK=str(mark))
    assert not mark.exists()
    assert (unpacked / STAMP).read_text() == build_stamp(folder)
    assert "STALE_MARK" not in loader.read_text()
    source, _cached = where_pyside6_loads_its_support_from()
    assert Path(source) == loader
