"""Where a database file lives: network file systems, on which SQLite's WAL cannot work.

WAL keeps its index in shared memory (the ``-shm`` file, memory-mapped); processes on two
machines never see each other's copy, and the locks of NFS, SMB and FUSE file systems are
unreliable. SQLite's documentation says it plainly: WAL does not work over a network file
system. We detect the common ones and refuse unless the user accepts the risk.

Only ``stat``-like calls here: nothing opens the database file (POSIX drops every lock a
process holds on a file when any descriptor of it is closed).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Linux mount types that are remote or user-space mounts of remote storage.
NETWORK_TYPES = {
    "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "9p", "afs", "coda", "ceph", "glusterfs",
    "lustre", "gpfs", "ocfs2", "gfs2", "davfs", "virtiofs", "vboxsf", "vmhgfs",
}
# FUSE subtypes (``fuse.<name>``) that are network mounts; other FUSE mounts are let through.
NETWORK_FUSE = {"sshfs", "rclone", "s3fs", "gcsfuse", "davfs2", "smbnetfs", "curlftpfs", "glusterfs", "goofys",
                "onedriver", "google-drive-ocamlfuse", "cephfs", "juicefs", "mountpoint-s3", "blobfuse", "blobfuse2"}


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal (``\\040``)."""
    out, i = [], 0
    while i < len(field):
        code = field[i + 1:i + 4]
        if field[i] == "\\" and len(code) == 3 and code.isdigit():
            out.append(chr(int(code, 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mount_type_linux(path: Path, mountinfo: str | None = None) -> str | None:
    """The file-system type of the mount holding ``path`` (``fuse.sshfs`` style for FUSE)."""
    if mountinfo is None:
        try:
            with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
                mountinfo = fh.read()
        except OSError:
            return None
    target = str(path)
    best, best_type = "", None
    for line in mountinfo.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or not tail:
            continue
        mount_point = _unescape(fields[4])
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, tail[0]
    return best_type


def is_network_type(fs_type: str | None) -> bool:
    if not fs_type:
        return False
    if fs_type in NETWORK_TYPES:
        return True
    if fs_type.startswith("fuse."):
        return fs_type[5:] in NETWORK_FUSE
    return False


def _windows_network(path: Path) -> str | None:
    text = str(path)
    if text.startswith("\\\\") or text.startswith("//"):
        return "a network share (UNC path)"
    import ctypes

    drive = os.path.splitdrive(text)[0]
    if drive:
        kind = ctypes.windll.kernel32.GetDriveTypeW(drive + "\\")  # type: ignore[attr-defined]
        if kind == 4:  # DRIVE_REMOTE
            return "a network drive"
    return None


def _macos_network(path: Path) -> str | None:
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    buf = ctypes.create_string_buffer(4096)  # struct statfs (64-bit inodes) is 2168 bytes
    statfs = getattr(libc, "statfs$INODE64", None) or libc.statfs
    if statfs(str(path).encode(), buf) != 0:
        return None
    flags = int.from_bytes(buf.raw[64:68], "little")
    fs_type = buf.raw[72:88].split(b"\0", 1)[0].decode(errors="replace")
    if not flags & 0x1000:  # MNT_LOCAL unset
        return f"a network file system ({fs_type})"
    return None


def network_filesystem(path: Path) -> str | None:
    """A description of the network file system ``path`` is on, or None when it is local.

    ``path`` may not exist yet: its folder is checked then. Errors mean "local": this check
    must never stop a user on a machine whose file systems it cannot read.
    """
    path = Path(os.path.abspath(path))
    probe = path if path.exists() else path.parent
    try:
        probe = probe.resolve()
        if sys.platform.startswith("linux"):
            fs_type = mount_type_linux(probe)
            return f"a network file system ({fs_type})" if is_network_type(fs_type) else None
        if sys.platform == "win32":
            return _windows_network(probe)
        if sys.platform == "darwin":
            return _macos_network(probe)
    except Exception:  # noqa: BLE001 - never block opening on a failed probe
        return None
    return None
