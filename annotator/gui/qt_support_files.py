"""PySide6's own Python support modules kept as files with their bytecode, so a start does not compile them.

shiboken6 (PySide6's binding layer) carries ~95 KB of Python modules (signature parsing, its
``__feature__`` import hook, a .pyi generator...) as an embedded zip of *sources*, and compiles
them at every ``import PySide6``: ~30 ms of each window start (106 M of the 1,375 M instructions to
the first paint, ``benchmarks/start_instructions.py``). shiboken6's own switch for this,
``SBK_EMBED=0``, unpacks them into ``shiboken6/files.dir``; when that folder exists, shiboken6
imports them from it like any package, bytecode cached.

This module does the same once, after the window's first paint (:func:`unpack_in_background`):

- into a temporary folder beside it, with the bytecode written, renamed into place in one step,
  so a window starting meanwhile sees either no folder or a whole one;
- with a stamp of the shiboken6 build the files came from. Upgrading PySide6 in place leaves
  the folder behind (it is not in the package's file list), and shiboken6 would load the old
  files: :func:`drop_if_stale`, before PySide6 is imported, removes a folder whose stamp no
  longer matches, and the next start unpacks the new ones;
- never when the folder exists without our stamp (someone ran ``SBK_EMBED=0``: theirs), when
  shiboken6's folder is not writable (a system-wide install), or in the frozen bundle.

Anything unexpected (shiboken6's bootstrap changed, a full disk) leaves things as they were:
shiboken6 then goes on compiling its embedded sources, as it does without this module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FOLDER = "files.dir"  # shiboken6's name (signature_bootstrap.find_incarnated_files)
STAMP = "annotator-unpacked-from"  # our file inside it: which shiboken6 build the files came from
_TEMPORARY_PREFIX = ".files.dir-annotator-"


def _log():  # noqa: ANN202 - logging loads when there is something to say (this module runs before PySide6)
    import logging

    return logging.getLogger(__name__)


def shiboken_folder() -> Path | None:
    """shiboken6's package folder, found without importing it (None: not installed, or frozen)."""
    if getattr(sys, "frozen", False):
        return None
    import importlib.util

    try:
        spec = importlib.util.find_spec("shiboken6")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve()  # resolved, as shiboken6 does


def build_stamp(folder: Path) -> str:
    """Name, size and modification time of shiboken6's compiled module(s): a new build changes them."""
    entries = []
    with os.scandir(folder) as found:
        for entry in found:
            if entry.name.startswith(("Shiboken.", "libshiboken")) and not entry.name.endswith(".pyi"):
                info = entry.stat()
                entries.append(f"{entry.name} {info.st_size} {info.st_mtime_ns}")
    return "\n".join(sorted(entries)) + "\n"


def drop_if_stale(folder: Path | None = None) -> bool:
    """Before PySide6 is imported: remove our unpacked files if shiboken6 is no longer the build they
    came from. Returns whether a folder was removed. A folder without our stamp is left alone."""
    folder = shiboken_folder() if folder is None else folder
    if folder is None:
        return False
    unpacked = folder / FOLDER
    try:
        stamp = (unpacked / STAMP).read_text(encoding="utf-8")
    except OSError:  # no folder, or not ours
        return False
    try:
        if stamp == build_stamp(folder):
            return False
        _remove(unpacked, folder)
    except OSError as exc:
        _log().warning("could not remove PySide6's outdated support files %s: %s", unpacked, exc)
        return False
    _log().info("removed PySide6's support files unpacked from an earlier build: %s", unpacked)
    return True


def _remove(unpacked: Path, folder: Path) -> None:
    """Out of shiboken6's way in one step (a rename), then deleted."""
    import shutil
    import tempfile

    aside = Path(tempfile.mkdtemp(prefix=_TEMPORARY_PREFIX, dir=folder))
    os.replace(unpacked, aside / FOLDER)
    shutil.rmtree(aside, ignore_errors=True)


def unpack(folder: Path | None = None, embedded: dict[str, bytes] | None = None) -> Path | None:
    """Unpack shiboken6's embedded support modules into ``files.dir`` with their bytecode.

    ``embedded`` maps each module's path in the zip to its source; by default it is read from the
    running shiboken6 (PySide6 must be imported). Returns the folder made, or None when there was
    nothing to do or it could not be done (logged)."""
    folder = shiboken_folder() if folder is None else folder
    if folder is None or (folder / FOLDER).exists() or not os.access(folder, os.W_OK):
        return None
    try:
        sources = embedded_sources() if embedded is None else embedded
    except Exception as exc:  # noqa: BLE001 - shiboken6's bootstrap is not a public interface
        _log().info("PySide6's embedded support files were not unpacked: %s", exc)
        return None
    import importlib.util
    import py_compile
    import shutil
    import tempfile

    try:
        staging = Path(tempfile.mkdtemp(prefix=_TEMPORARY_PREFIX, dir=folder))
    except OSError as exc:
        _log().info("PySide6's embedded support files were not unpacked: %s", exc)
        return None
    try:
        made = staging / FOLDER
        for name, source in sources.items():
            parts = name.split("/")
            if name.startswith("/") or any(part in ("", ".", "..") for part in parts):
                raise ValueError(f"an unexpected name among shiboken6's embedded files: {name!r}")
            target = made.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source)
            # Bytecode written here (whatever PYTHONDONTWRITEBYTECODE says), where imports look for it.
            py_compile.compile(str(target), cfile=importlib.util.cache_from_source(str(target)), doraise=True)
        (made / STAMP).write_text(build_stamp(folder), encoding="utf-8")
        try:
            os.rename(made, folder / FOLDER)  # one step; fails if another start got there first
        except OSError:
            if not (folder / FOLDER).exists():
                raise
            return None
        return folder / FOLDER
    except Exception as exc:  # noqa: BLE001 - never a reason for the window to fail
        _log().info("PySide6's embedded support files were not unpacked: %s", exc)
        return None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def embedded_sources() -> dict[str, bytes]:
    """The running shiboken6's embedded support modules: path in the zip → source."""
    bootstrap = sys.modules["signature_bootstrap"]  # shiboken6 loads it as PySide6 starts
    _meta_path, importer = bootstrap.prepare_zipfile()
    archive = importer.zfile
    sources = {name: archive.read(name) for name in archive.namelist() if name.endswith(".py")}
    if not any(name.endswith("signature/loader.py") for name in sources):
        raise ValueError("no signature loader among shiboken6's embedded files")
    return sources


def unpack_in_background():  # noqa: ANN201 - a threading.Thread or None
    """:func:`unpack` in a thread (once the window is painted), unless there is nothing to do.

    Not a daemon: a window closed at once still finishes its ~50 ms of work (or none of it shows:
    the folder appears in one rename)."""
    folder = shiboken_folder()
    if folder is None or (folder / FOLDER).exists() or "signature_bootstrap" not in sys.modules:
        return None
    import threading

    thread = threading.Thread(target=unpack, args=(folder,), name="unpack PySide6 support files")
    thread.start()
    return thread
