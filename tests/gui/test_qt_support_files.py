"""PySide6's embedded support modules unpacked once, with their bytecode, so a start does not compile them.

The first tests use a stand-in for shiboken6's folder; the last ones the real one, through the real
start (``python -m annotator open --smoke``), which is what a reviewer's first start does to it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.gui import qt_support_files as support
from annotator.gui.qt_support_files import FOLDER, STAMP, build_stamp, drop_if_stale, unpack

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED = {
    "signature_bootstrap.py": b"BOOT = 1\n",
    "shibokensupport/__init__.py": b"",
    "shibokensupport/signature/__init__.py": b"",
    "shibokensupport/signature/loader.py": b"LOADED = 'from files'\n",
}


@pytest.fixture
def shiboken(tmp_path: Path) -> Path:
    """A stand-in for shiboken6's package folder: its compiled module, as build_stamp reads it."""
    folder = tmp_path / "shiboken6"
    folder.mkdir()
    (folder / "Shiboken.abi3.so").write_bytes(b"\x7fELF build 1")
    (folder / "Shiboken.pyi").write_text("# stubs\n")
    return folder


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".files.dir"))


def test_unpacked_with_bytecode_and_a_stamp_in_one_folder(shiboken):
    made = unpack(shiboken, EMBEDDED)
    assert made == shiboken / FOLDER
    assert (made / "shibokensupport/signature/loader.py").read_bytes() == EMBEDDED["shibokensupport/signature/loader.py"]
    caches = sorted(p.relative_to(made).as_posix() for p in made.rglob("*.pyc"))
    tag = sys.implementation.cache_tag
    assert caches == [f"__pycache__/signature_bootstrap.{tag}.pyc",
                      f"shibokensupport/__pycache__/__init__.{tag}.pyc",
                      f"shibokensupport/signature/__pycache__/__init__.{tag}.pyc",
                      f"shibokensupport/signature/__pycache__/loader.{tag}.pyc"]
    assert (made / STAMP).read_text() == build_stamp(shiboken)
    assert "Shiboken.abi3.so 12 " in build_stamp(shiboken) and ".pyi" not in build_stamp(shiboken)
    assert leftovers(shiboken) == []
    assert unpack(shiboken, {"other.py": b""}) is None  # there already: left as it is
    assert not (made / "other.py").exists()


def test_a_folder_from_another_build_is_removed_before_pyside6_loads(shiboken):
    made = unpack(shiboken, EMBEDDED)
    assert drop_if_stale(shiboken) is False and made.exists()  # the same build
    (shiboken / "Shiboken.abi3.so").write_bytes(b"\x7fELF build 2, upgraded in place")
    assert drop_if_stale(shiboken) is True
    assert not made.exists() and leftovers(shiboken) == []
    assert drop_if_stale(shiboken) is False  # nothing left to remove
    assert unpack(shiboken, EMBEDDED) == made and (made / STAMP).read_text() == build_stamp(shiboken)


def test_a_folder_someone_else_unpacked_is_left_alone(shiboken):
    theirs = shiboken / FOLDER  # e.g. SBK_EMBED=0: no stamp of ours
    (theirs / "shibokensupport").mkdir(parents=True)
    (theirs / "shibokensupport/__init__.py").write_text("# theirs\n")
    (shiboken / "Shiboken.abi3.so").write_bytes(b"\x7fELF another build")
    assert drop_if_stale(shiboken) is False
    assert unpack(shiboken, EMBEDDED) is None
    assert (theirs / "shibokensupport/__init__.py").read_text() == "# theirs\n"
    assert sorted(p.name for p in theirs.iterdir()) == ["shibokensupport"]


@pytest.mark.parametrize("name", ["../outside.py", "/abs.py", "shibokensupport/../../x.py", "a//b.py"])
def test_an_unexpected_name_leaves_nothing_behind(shiboken, name):
    assert unpack(shiboken, {**EMBEDDED, name: b"x = 1\n"}) is None
    assert not (shiboken / FOLDER).exists() and leftovers(shiboken) == []
    assert not (shiboken.parent / "outside.py").exists() and not Path("/abs.py").exists()


def test_a_source_that_does_not_compile_leaves_nothing_behind(shiboken):
    assert unpack(shiboken, {**EMBEDDED, "shibokensupport/broken.py": b"def (:\n"}) is None
    assert not (shiboken / FOLDER).exists() and leftovers(shiboken) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_folder_that_cannot_be_written_is_not_touched(shiboken):
    shiboken.chmod(0o555)
    try:
        assert unpack(shiboken, EMBEDDED) is None
    finally:
        shiboken.chmod(0o755)
    assert sorted(p.name for p in shiboken.iterdir()) == ["Shiboken.abi3.so", "Shiboken.pyi"]


def test_a_stand_in_folder_that_is_read_only_for_the_process(shiboken, monkeypatch):
    """What a system-wide install looks like to a user (the tests may run as root, who writes anyway)."""
    monkeypatch.setattr(support.os, "access", lambda path, mode: False)
    assert unpack(shiboken, EMBEDDED) is None
    assert sorted(p.name for p in shiboken.iterdir()) == ["Shiboken.abi3.so", "Shiboken.pyi"]


# -- the real shiboken6 ---------------------------------------------------------------------------


def real_folder() -> Path:
    folder = support.shiboken_folder()
    assert folder is not None and (folder / "__init__.py").exists()
    unpacked = folder / FOLDER
    if unpacked.exists() and not (unpacked / STAMP).exists():
        pytest.skip(f"{unpacked} was unpacked by someone else (SBK_EMBED=0): not ours to replace")
    if not os.access(folder, os.W_OK):
        pytest.skip(f"{folder} is not writable (a system-wide PySide6): nothing is unpacked there")
    return folder


def smoke_start(project_db: Path, tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ANNOTATOR_USER="tester", XDG_CONFIG_HOME=str(tmp_path))
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
    assert leftovers(folder) == []
    smoke_start(project_db, tmp_path)
    assert (unpacked / STAMP).read_text() == build_stamp(folder)
    source, cached = where_pyside6_loads_its_support_from()
    assert Path(source) == unpacked / "shibokensupport/signature/loader.py"
    assert Path(cached).is_file() and Path(cached).is_relative_to(unpacked)
    assert leftovers(folder) == []


def test_a_start_after_pyside6_was_upgraded_replaces_the_old_files(project_db, tmp_path):
    """An upgrade in place leaves the folder with the old build's stamp: the start removes it before
    PySide6 loads anything from it (here an old file that would break the import), then unpacks anew."""
    folder = real_folder()
    unpacked = folder / FOLDER
    if not unpacked.exists():
        smoke_start(project_db, tmp_path)
    (unpacked / STAMP).write_text("Shiboken.abi3.so 1 1\n")  # the build before the upgrade
    loader = unpacked / "shibokensupport/signature/loader.py"
    loader.write_text("raise ImportError('an old support file')\n")
    try:
        smoke_start(project_db, tmp_path)
    finally:
        if "old support file" in loader.read_text():  # failed: do not leave the venv broken
            support._remove(unpacked, folder)
    assert (unpacked / STAMP).read_text() == build_stamp(folder)
    assert "old support file" not in loader.read_text()
    source, _cached = where_pyside6_loads_its_support_from()
    assert Path(source) == loader
    assert leftovers(folder) == []
