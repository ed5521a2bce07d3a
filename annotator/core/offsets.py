"""Code points (our offsets) <-> positions in a Qt QTextDocument (UTF-16 code units).

Two things differ between a Python ``str`` and what Qt stores for the same text:
- a character outside the BMP (emoji, many CJK extensions) is one code point but two UTF-16
  units, so every Qt position after it is one larger;
- ``QTextDocument.setPlainText`` silently drops the ``\\r`` of each ``\\r\\n``.
:func:`display_text` replaces that ``\\r`` with a zero-width space (one for one, so the
display string has the same code points), and :class:`OffsetMap` then only has to count
surrogate pairs. This is the one place the GUI converts offsets; it is tested directly.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
CR_SUBSTITUTE = "\u200b"  # zero-width space: invisible, one code point, one UTF-16 unit


def display_text(text: str) -> str:
    """The string to give Qt: same length in code points, ``\\r\\n`` kept as two characters."""
    if "\r\n" not in text:
        return text
    return text.replace("\r\n", CR_SUBSTITUTE + "\n")


class OffsetMap:
    """Converts between code-point offsets and UTF-16 positions for one text."""

    def __init__(self, text: str):
        self.length = len(text)
        self._astral = [m.start() for m in _ASTRAL.finditer(text)]
        # UTF-16 position just inside each surrogate pair (start + 1)
        self._inside = [cp + i + 1 for i, cp in enumerate(self._astral)]

    @property
    def is_identity(self) -> bool:
        return not self._astral

    def to_qt(self, offset: int) -> int:
        """Qt position of code-point ``offset``."""
        return offset + bisect_left(self._astral, offset) if self._astral else offset

    def from_qt(self, position: int) -> int:
        """Code-point offset of Qt ``position`` (a position inside a pair rounds down)."""
        return position - bisect_right(self._inside, position) if self._astral else position

    def qt_length(self) -> int:
        return self.length + len(self._astral)
