"""Temporary files beside their target, named so a stale one (its process killed) is found and removed.

A name is ``.<target name>.<host>-<pid>-<random><suffix>``: a later run in the same folder
removes those whose process on this host no longer exists. Files of live processes and
of other hosts (a shared folder) are left alone.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import sys
import tempfile
from pathlib import Path


def _host() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists (on Windows without the signal that would kill it)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # type: ignore[attr-defined]
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))  # type: ignore[attr-defined]
        ctypes.windll.kernel32.CloseHandle(handle)  # type: ignore[attr-defined]
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prefix_for(target: Path) -> str:
    return f".{target.name}.{_host()}-{os.getpid()}-"


def make_temp(target: Path, suffix: str) -> tuple[int, str]:
    """A new temporary file beside ``target`` (``mkstemp``: mode 0600, open descriptor, path)."""
    folder = target.parent if str(target.parent) else Path(".")
    return tempfile.mkstemp(prefix=prefix_for(target), suffix=suffix, dir=folder)


def temp_path(target: Path, suffix: str) -> Path:
    """A fresh unused name beside ``target`` (for files another library creates, e.g. SQLite)."""
    folder = target.parent if str(target.parent) else Path(".")
    return folder / f"{prefix_for(target)}{os.urandom(6).hex()}{suffix}"


def stale_temps(target: Path, suffix: str) -> list[Path]:
    """Temporary files for ``target`` left by processes of this host that no longer run."""
    folder = target.parent if str(target.parent) else Path(".")
    pattern = re.compile(re.escape(f".{target.name}.{_host()}-") + r"(\d+)-[^/\\]*" + re.escape(suffix) + r"$")
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        match = pattern.match(entry.name)
        if match and not pid_alive(int(match.group(1))):
            found.append(Path(entry.path))
    return found


def remove_stale_temps(target: Path, suffix: str, companions: tuple[str, ...] = ()) -> list[Path]:
    """Remove stale temporary files for ``target`` (and ``name + companion`` files); return them."""
    removed = []
    for path in stale_temps(target, suffix):
        for extra in ("", *companions):
            try:
                Path(str(path) + extra).unlink()
            except FileNotFoundError:
                pass
            except OSError:
                continue
        removed.append(path)
    return removed


def stale_temps_in(folder: Path, suffix: str) -> list[Path]:
    """Temporary files or folders for any target in ``folder`` left by processes of this host
    that no longer run (a killed training's unfinished folder, whatever its name)."""
    pattern = re.compile(r"\..+\." + re.escape(_host()) + r"-(\d+)-[^/\\]*" + re.escape(suffix) + r"$")
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return [Path(e.path) for e in entries if (m := pattern.match(e.name)) and not pid_alive(int(m.group(1)))]


def is_stream(path: Path) -> bool:
    """Is ``path`` a device or a pipe (``/dev/stdout``, ``/dev/null``, a named pipe), not a file or a
    folder? Such an output is written into as it is: no temporary file is put beside it."""
    path = Path(path)
    return path.exists() and not path.is_file() and not path.is_dir()
