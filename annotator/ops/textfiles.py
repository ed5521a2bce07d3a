"""Reading input files: UTF-8 (with or without BOM), exactly as written, in one pass."""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from annotator.core.errors import InputError

CHUNK = 1 << 20
BOM = codecs.BOM_UTF8
TEXT_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
JSONL_ENDINGS = tuple(JSONL_SUFFIXES)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def read_text_file(path: str | Path) -> tuple[memoryview, str, int]:
    """Read a .txt file once; return (its UTF-8 text as bytes, SHA-256 hex, length in code points).

    The bytes are the text exactly (CRLF, tabs, markup), minus a leading UTF-8 BOM. They are
    validated as UTF-8 chunk by chunk without ever building the whole text as a Python str,
    so a 50 MB file costs 50 MB. Raises :class:`InputError` naming the file (and line) for an
    unreadable, empty, whitespace-only, binary or non-UTF-8 file.
    """
    raw = _read_regular_file(path)
    skip = len(BOM) if raw.startswith(BOM) else 0
    data = memoryview(raw)[skip:]
    if not data:
        raise InputError("is empty", path=path)
    nul = raw.find(b"\x00", skip)
    if nul != -1:
        raise InputError("contains a NUL character; binary data is not text", path=path,
                         line=raw.count(b"\n", 0, nul) + 1)
    if len(data) <= CHUNK:  # nearly every file: one decode, no incremental decoder
        try:
            piece = str(data, "utf-8")
        except UnicodeDecodeError:
            pass  # the loop below names the byte (and tells a cut-off character apart)
        else:
            if piece.isspace():
                raise InputError("contains only whitespace", path=path)
            return data, hashlib.sha256(data).hexdigest(), len(piece)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    length = 0
    has_content = False
    for offset in range(0, len(data), CHUNK):
        try:
            piece = decoder.decode(data[offset:offset + CHUNK])
        except UnicodeDecodeError as exc:
            bad = skip + offset + exc.start
            raise InputError(
                f"is not valid UTF-8 (byte 0x{raw[bad]:02x} at offset {bad}); re-save it as UTF-8",
                path=path, line=raw.count(b"\n", 0, bad) + 1,
            ) from None
        length += len(piece)
        has_content = has_content or not piece.isspace()
    try:
        length += len(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        raise InputError("is not valid UTF-8 (ends inside a character); re-save it as UTF-8", path=path) from None
    if not has_content:
        raise InputError("contains only whitespace", path=path)
    return data, hashlib.sha256(data).hexdigest(), length


def _read_regular_file(path: str | Path) -> bytes:
    """The file's bytes; :class:`InputError` for a pipe, socket or device, or an unreadable file.

    Opened without waiting (a FIFO with no writer would block ``open``) and checked on the
    open descriptor: one ``stat`` fewer per file than checking the path first.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
            raise InputError(f"is {kind}, not a regular file; import files or folders of them", path=path)
        data = os.read(fd, info.st_size + 1)
        if len(data) == info.st_size:  # asked one byte more and got exactly the file: its end
            return data
        chunks = [data]  # it grew since fstat, or the system gave less than asked (Linux: at most ~2 GiB
        # per read): read on to the end
        while chunk := os.read(fd, CHUNK):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    finally:
        os.close(fd)


def require_regular_file(path: Path) -> None:
    """Refuse pipes, sockets and devices (reading a FIFO would wait forever)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    if not stat.S_ISREG(mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device or socket"
        raise InputError(f"is {kind}, not a regular file; import files or folders of them", path=path)


def iter_jsonl_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, decoded line) of a JSONL file, streaming; blank lines are skipped."""
    for number, line in iter_jsonl_data(path):
        yield number, line_text(line)


def line_text(line: str | bytes) -> str:
    """A line of :func:`iter_jsonl_data` as :func:`iter_jsonl_lines` gives it."""
    return line.decode("ascii").rstrip("\r\n") if type(line) is bytes else line


# what str.isspace() calls whitespace among ASCII characters (bytes.isspace() leaves out \x1c-\x1f)
_ASCII_WHITESPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def iter_jsonl_data(path: Path) -> Iterator[tuple[int, str | bytes]]:
    """:func:`iter_jsonl_lines`, except that an ASCII line (every line of a file written with
    ``ensure_ascii``, as Prodigy and ``json.dumps`` write) comes as the bytes read, its line
    break still on (JSON whitespace): a JSON parser reads it as it is, where decoding it and
    cutting the line break off copied a 50 KB Prodigy line twice. :func:`line_text` gives the
    line :func:`iter_jsonl_lines` gives.
    """
    require_regular_file(path)
    try:
        with path.open("rb", buffering=1 << 20) as fh:  # a Prodigy line is ~26 KB: with the default 8 KB
            for number, raw in enumerate(fh, start=1):  # buffer each took several reads and joins (3x slower)
                if number == 1 and raw.startswith(BOM):
                    raw = raw[len(BOM):]
                if b"\x00" in raw:
                    raise InputError("contains a NUL character; binary data is not text", path=path, line=number)
                if raw.isascii():
                    if raw.lstrip(_ASCII_WHITESPACE):  # (no copy unless the line starts with whitespace)
                        yield number, raw
                    continue
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InputError(f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); re-save it as UTF-8", path=path, line=number) from None
                if not line.isspace():  # (line.strip() would copy the line to test it)
                    yield number, line.rstrip("\r\n")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand the given paths (files or folders) to the .txt/.jsonl files to import, sorted."""
    return [Path(path) for path in collect_paths(paths)]


def collect_paths(paths: Iterable[str | Path]) -> list[str]:
    """:func:`collect_files` as strings: a Path per file costs more than reading a small file."""
    files: list[str] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError("does not exist", path=path)
        if path.is_dir():
            found = _files_under(path)
            if not found:
                raise InputError("folder holds no .txt or .jsonl files", path=path)
            files.extend(found)
        elif path.suffix.lower() in TEXT_SUFFIXES | JSONL_SUFFIXES:
            require_regular_file(path)
            files.append(str(path))
        else:
            raise InputError("unsupported file type (expected .txt, a folder of them, or .jsonl)", path=path)
    return files


def _files_under(folder: Path) -> list[str]:
    """The .txt/.jsonl files anywhere under ``folder`` (hidden ones and those in linked folders
    too, as ``Path.rglob``), sorted by their path's parts (as ``sorted(key=Path.parts)``).

    One ``os.scandir`` per folder: the kind of each entry comes with the listing, where
    ``rglob`` plus ``is_file`` cost a ``stat`` and several Path objects per file (1.5 s of a
    100k-file import).
    """
    wanted = tuple(TEXT_SUFFIXES | JSONL_SUFFIXES)  # a name ending so, dot not first, has that suffix
    found: list[tuple[str, str]] = []  # (parts joined by NUL, which sorts as the parts do; path)
    pending: list[tuple[str, str]] = [(str(folder), "\0".join(folder.parts))]
    while pending:
        where, key = pending.pop()
        try:
            entries = list(os.scandir(where))
        except OSError:
            continue  # unreadable (as rglob skips it)
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):  # rglob does not descend into linked folders
                    pending.append((entry.path, key + "\0" + entry.name))
                elif entry.name.lower().endswith(wanted) and entry.name.rfind(".") > 0 and entry.is_file():
                    found.append((key + "\0" + entry.name, entry.path))
            except OSError:
                continue
    found.sort()
    if str(folder) == ".":  # Path(".") / "a.txt" is "a.txt"
        return [path[2:] for _, path in found]
    return [path for _, path in found]
