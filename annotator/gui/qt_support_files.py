"""PySide6's own Python support modules kept as files with their bytecode, so a start does not compile them.

shiboken6 (PySide6's binding layer) carries ~130 KB of Python modules (signature parsing, its
``__feature__`` import hook, a .pyi generator...; 44 KB zipped) as an embedded zip of *sources*,
and compiles them at every ``import PySide6``: ~30 ms of each window start (~105 M of the ~1,350 M
instructions to the first paint, ``benchmarks/start_instructions.py``). shiboken6's own switch
for this, ``SBK_EMBED=0``, unpacks them into ``shiboken6/files.dir``; when that folder exists,
shiboken6 imports them from it like any package, bytecode cached.

This module does the same once, after the window's first paint (:func:`unpack_in_background`):

- into a temporary folder beside it, written to disk (fsync) with the bytecode and readable by
  everyone who can read the package, then renamed into place in one step: a window starting
  meanwhile sees either no folder or a whole one;
- with a stamp of the shiboken6 build the files came from, taken *before* PySide6 was imported
  (:func:`check_before_import`): if the build on disk changed since (an upgrade while the window
  was open), nothing is unpacked. Upgrading PySide6 in place leaves the folder behind (it is not
  in the package's file list), and shiboken6 would load the old files: :func:`check_before_import`
  removes a folder whose stamp no longer matches, and a later start unpacks the new ones;
- only in a virtual environment whose shiboken6 folder belongs to the user running the window
  (anyone who could be given stale files there can also remove them), and never when the folder
  exists without our stamp (someone ran ``SBK_EMBED=0``: theirs), nor in the frozen bundle.

Anything unexpected (shiboken6's bootstrap changed, a full disk, a killed start) leaves
shiboken6 compiling its embedded sources, as it does without this module; a temporary folder
left by a killed start (named by :mod:`annotator.tempfiles`) is removed by a later one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FOLDER = "files.dir"  # shiboken6's name (signature_bootstrap.find_incarnated_files)
STAMP = "annotator-unpacked-from"  # our file inside it: which shiboken6 build the files came from
_PART, _OLD = ".part", ".old"  # temporary folders beside it (annotator.tempfiles: named by host and process)

# shiboken6's folder and its build's stamp, as found before PySide6 was imported (check_before_import)
_at_import: tuple[Path, str] | None = None


def _log():  # noqa: ANN202 - logging loads when there is something to say (this module runs before PySide6)
    import logging

    return logging.getLogger(__name__)


def shiboken_folder() -> Path | None:
    """The folder shiboken6 looks for ``files.dir`` in, found without importing it: the folder of
    its ``__init__.py`` with links resolved, as shiboken6 does. None: not installed, or frozen."""
    if getattr(sys, "frozen", False):
        return None
    import importlib.util

    try:
        spec = importlib.util.find_spec("shiboken6")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).resolve().parent


def build_stamp(folder: Path) -> str:
    """Name, size and modification time of shiboken6's compiled files (the module, and the library
    holding the embedded sources: ``libshiboken6.*`` or, on Windows, ``shiboken6.*.dll``)."""
    entries = []
    with os.scandir(folder) as found:
        for entry in found:
            if (entry.name.startswith(("Shiboken.", "libshiboken", "shiboken6."))
                    and not entry.name.endswith((".py", ".pyi"))):
                info = entry.stat()
                entries.append(f"{entry.name} {info.st_size} {info.st_mtime_ns}")
    return "\n".join(sorted(entries)) + "\n"


def check_before_import(folder: Path | None = None) -> bool:
    """Before PySide6 is imported: note shiboken6's build, and remove our unpacked files if they came
    from another build. Returns whether a folder was removed. A folder without our stamp is left
    alone. Never raises: whatever goes wrong, PySide6 still imports as it would without us."""
    global _at_import
    try:
        folder = shiboken_folder() if folder is None else folder
        if folder is None:
            return False
        stamp = build_stamp(folder)
        _at_import = (folder, stamp)
        return _drop_if_other_build(folder, stamp)
    except Exception as exc:  # noqa: BLE001 - the window starts anyway
        _log().warning("could not check PySide6's unpacked support files: %s", exc)
        return False


def _drop_if_other_build(folder: Path, stamp: str) -> bool:
    unpacked = folder / FOLDER
    try:
        kept = (unpacked / STAMP).read_bytes()
    except OSError:  # no folder, or not ours
        return False
    if kept == stamp.encode("utf-8"):
        return False
    try:
        removed = _remove(unpacked, folder)
    except OSError as exc:
        _log().warning("could not remove PySide6's support files unpacked from another build, %s: %s", unpacked, exc)
        return False
    if removed:
        _log().info("removed PySide6's support files unpacked from another build: %s", unpacked)
    return removed


def _remove(unpacked: Path, folder: Path) -> bool:
    """Out of shiboken6's way in one step (a rename), then deleted. Returns False if another start
    removed it first (not an error)."""
    import shutil

    from annotator.tempfiles import temp_path

    aside = temp_path(folder / FOLDER, _OLD)
    try:
        os.rename(unpacked, aside)
    except FileNotFoundError:
        return False
    shutil.rmtree(aside, ignore_errors=True)
    return True


def may_unpack(folder: Path) -> bool:
    """Only where whoever could be given stale files can also remove them: a virtual environment
    whose shiboken6 folder belongs to this user (not a system-wide or shared install)."""
    in_virtual_environment = sys.prefix != sys.base_prefix
    try:
        mine = not hasattr(os, "getuid") or folder.stat().st_uid == os.getuid()
    except OSError:
        return False
    return in_virtual_environment and mine and os.access(folder, os.W_OK)


def unpack(folder: Path | None = None, embedded: dict[str, bytes] | None = None,
           stamp: str | None = None) -> Path | None:
    """Unpack shiboken6's embedded support modules into ``files.dir`` with their bytecode.

    ``embedded`` maps each module's path in the zip to its source; by default it is read from the
    running shiboken6 (PySide6 must be imported). ``stamp`` is the build they come from (by default
    the one noted before PySide6 was imported); if the build on disk is no longer that one, nothing
    is unpacked. Returns the folder made, or None when there was nothing to do or it could not be
    done (logged)."""
    if folder is None or stamp is None:
        if _at_import is None:
            return None
        folder, stamp = (folder or _at_import[0]), (stamp or _at_import[1])
    if (folder / FOLDER).exists():
        return None
    try:
        if build_stamp(folder) != stamp:
            _log().info("PySide6 changed on disk since it was imported: its support files were not unpacked")
            return None
        sources = embedded_sources() if embedded is None else embedded
    except Exception as exc:  # noqa: BLE001 - shiboken6's bootstrap is not a public interface
        _log().info("PySide6's embedded support files were not unpacked: %s", exc)
        return None
    import shutil

    from annotator.tempfiles import stale_temps, temp_path

    for left in stale_temps(folder / FOLDER, _PART) + stale_temps(folder / FOLDER, _OLD):  # of killed starts
        shutil.rmtree(left, ignore_errors=True)
    made = temp_path(folder / FOLDER, _PART)
    try:
        made.mkdir()
        _write_tree(made, sources, stamp)
        try:
            os.rename(made, folder / FOLDER)  # one step; fails if another start got there first
        except OSError:
            if not (folder / FOLDER).exists():
                raise
            return None
        _fsync_folder(folder)
        return folder / FOLDER
    except Exception as exc:  # noqa: BLE001 - never a reason for the window to fail
        _log().info("PySide6's embedded support files were not unpacked: %s", exc)
        return None
    finally:
        shutil.rmtree(made, ignore_errors=True)  # (gone once renamed into place)


def _write_tree(made: Path, sources: dict[str, bytes], stamp: str) -> None:
    """Sources, bytecode beside them (``__pycache__``, the interpreter's plain level: what an
    import without -O looks for) and the stamp last; every file and folder on disk, and readable
    by all (0644 / 0755, whatever the umask), before the caller renames ``made`` into place."""
    import py_compile

    tag = sys.implementation.cache_tag
    written: list[Path] = []
    for name, source in sources.items():
        parts = name.split("/")
        if name.startswith("/") or any(part in ("", ".", "..") for part in parts) or not name.endswith(".py"):
            raise ValueError(f"an unexpected name among shiboken6's embedded files: {name!r}")
        target = made.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source)
        # written here (whatever PYTHONDONTWRITEBYTECODE or PYTHONPYCACHEPREFIX say), where a plain import looks
        cached = target.parent / "__pycache__" / f"{target.stem}.{tag}.pyc"
        py_compile.compile(str(target), cfile=str(cached), doraise=True, optimize=0)
        written += [target, cached]
    (made / STAMP).write_text(stamp, encoding="utf-8")
    written.append(made / STAMP)
    for path in written:
        os.chmod(path, 0o644)
        _fsync_file(path)
    folders = sorted({p.parent for p in written} | {made}, key=lambda p: len(p.parts), reverse=True)
    for path in folders:
        os.chmod(path, 0o755)
        _fsync_folder(path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(path: Path) -> None:
    if os.name == "nt":  # folders cannot be opened for fsync there (NTFS orders its metadata itself)
        return
    _fsync_file(path)


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

    Not a daemon: a window closed at once still finishes its work (or none of it shows: the folder
    appears in one rename)."""
    if _at_import is None or "signature_bootstrap" not in sys.modules:
        return None
    folder = _at_import[0]
    if (folder / FOLDER).exists() or not may_unpack(folder):
        return None
    import threading

    thread = threading.Thread(target=unpack, name="unpack PySide6 support files")
    thread.start()
    return thread
