"""Reading input files: UTF-8 (with or without BOM), exactly as written, in one pass."""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from pathlib import Path

from annotator.core.errors import InputError

CHUNK = 1 << 20
BOM = codecs.BOM_UTF8


def _line_of_offset(path: Path, offset: int) -> int:
    line = 1
    with path.open("rb") as fh:
        remaining = offset
        while remaining > 0:
            block = fh.read(min(CHUNK, remaining))
            if not block:
                break
            line += block.count(b"\n")
            remaining -= len(block)
    return line


def read_text_file(path: Path) -> tuple[str, str]:
    """Return (text, sha256 of its UTF-8) for a .txt file, reading it once in chunks.

    The text is kept exactly (CRLF, tabs, markup); only a leading UTF-8 BOM is dropped.
    Raises :class:`InputError` naming the file (and line) for an unreadable, empty, binary or
    non-UTF-8 file.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    hasher = hashlib.sha256()
    pieces: list[str] = []
    offset = 0
    first = True
    try:
        with path.open("rb") as fh:
            while True:
                block = fh.read(CHUNK)
                if first:
                    first = False
                    if block.startswith(BOM):
                        block = block[len(BOM):]
                        offset = len(BOM)
                if not block:
                    break
                if b"\x00" in block:
                    raise InputError("looks like a binary file (contains NUL bytes), not UTF-8 text", path=path)
                try:
                    pieces.append(decoder.decode(block))
                except UnicodeDecodeError as exc:
                    bad = offset + exc.start
                    raise InputError(
                        f"is not valid UTF-8 (byte 0x{block[exc.start]:02x} at offset {bad}); re-save it as UTF-8",
                        path=path, line=_line_of_offset(path, bad),
                    ) from None
                hasher.update(block)
                offset += len(block)
            try:
                pieces.append(decoder.decode(b"", final=True))
            except UnicodeDecodeError:
                raise InputError("is not valid UTF-8 (ends inside a character); re-save it as UTF-8", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    text = "".join(pieces)
    del pieces
    if not text:
        raise InputError("is empty", path=path)
    if not text.strip():
        raise InputError("contains only whitespace", path=path)
    return text, hasher.hexdigest()


def iter_jsonl_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, decoded line) of a JSONL file, streaming; blank lines are skipped."""
    try:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if number == 1 and raw.startswith(BOM):
                    raw = raw[len(BOM):]
                if b"\x00" in raw:
                    raise InputError("looks like a binary file (contains NUL bytes)", path=path, line=number)
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InputError(f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); re-save it as UTF-8", path=path, line=number) from None
                if line.strip():
                    yield number, line
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
