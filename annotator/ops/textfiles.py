"""Reading input files: UTF-8 (with or without BOM), exactly as written, in one pass."""

from __future__ import annotations

import codecs
import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path

from annotator.core.errors import InputError

CHUNK = 1 << 20
BOM = codecs.BOM_UTF8


def read_text_file(path: Path) -> tuple[memoryview, str, int]:
    """Read a .txt file once; return (its UTF-8 text as bytes, SHA-256 hex, length in code points).

    The bytes are the text exactly (CRLF, tabs, markup), minus a leading UTF-8 BOM. They are
    validated as UTF-8 chunk by chunk without ever building the whole text as a Python str,
    so a 50 MB file costs 50 MB. Raises :class:`InputError` naming the file (and line) for an
    unreadable, empty, whitespace-only, binary or non-UTF-8 file.
    """
    require_regular_file(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    skip = len(BOM) if raw.startswith(BOM) else 0
    data = memoryview(raw)[skip:]
    if not data:
        raise InputError("is empty", path=path)
    nul = raw.find(b"\x00", skip)
    if nul != -1:
        raise InputError("contains a NUL character; binary data is not text", path=path,
                         line=raw.count(b"\n", 0, nul) + 1)
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
    require_regular_file(path)
    try:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if number == 1 and raw.startswith(BOM):
                    raw = raw[len(BOM):]
                if b"\x00" in raw:
                    raise InputError("contains a NUL character; binary data is not text", path=path, line=number)
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InputError(f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); re-save it as UTF-8", path=path, line=number) from None
                if line.strip():
                    yield number, line.rstrip("\r\n")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
