"""Freed memory kept for reuse while many large numpy temporaries come and go: the first
evaluation's chunks (issue 12).

glibc's malloc gives a large block (above its mmap threshold: 128 KB, raised up to 32 MB as such
blocks are freed) pages of its own from the kernel and unmaps them when it is freed, and it
gives the top of its heap back once more than twice that threshold is free there. Scoring a
chunk of 1,000 documents makes ~100 temporary arrays of 1-10 MB, so nearly every one was fresh
pages, and every page a fault the kernel zeroes: ~220,000 faults over the two processes of a
50k evaluation, 0.7-0.85 s of system time (``annotator evaluate`` under ``/usr/bin/time``).
With the thresholds raised meanwhile, a freed array's pages serve the next one: ~40,000 faults,
0.3-0.4 s. The peak stays the same; the pages are kept only until the outermost use ends.

Process-wide (glibc has one setting); uses may nest (threads too). Setting a threshold turns
glibc's adaptation off for good, so the outermost end gives the free memory back to the system
(``malloc_trim``) and leaves the thresholds where that adaptation would stop at most (blocks up to
32 MB from the heap, up to 64 MB free kept at its top): a later large block still reuses freed
pages, as the window's next evaluation or opened document would, and what stays is bounded.
Elsewhere than glibc (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
from contextlib import ContextDecorator
from typing import Any

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
BLOCK = 32 << 20  # blocks up to 32 MB (the most every glibc accepts; its adaptation's ceiling) come from the heap,
FREE = 1 << 30  # while in use up to 1 GB free at its top stays there,
SETTLED_FREE = 2 * BLOCK  # and after, up to 64 MB (the adaptation's ceiling)

_lock = threading.Lock()
_depth = 0
_libc: Any = None


def _glibc() -> Any:
    """The C library when it is glibc (it has ``mallopt`` and ``malloc_trim``), else None."""
    global _libc
    if _libc is None:
        _libc = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
                libc.malloc_trim.argtypes = [ctypes.c_size_t]
                _libc = libc
            except (OSError, AttributeError):
                _libc = False
    return _libc or None


def active() -> bool:
    """Whether freed memory is being kept (inside a use, on glibc)."""
    return _depth > 0 and _glibc() is not None


class kept_heap(ContextDecorator):  # noqa: N801 - a context and a decorator, like contextlib's
    """``with kept_heap():`` large freed blocks stay in the heap for the next ones."""

    def _recreate_cm(self) -> kept_heap:
        return kept_heap()

    def __enter__(self) -> kept_heap:
        global _depth
        libc = _glibc()
        with _lock:
            _depth += 1
            if _depth == 1 and libc is not None:
                libc.mallopt(_M_MMAP_THRESHOLD, BLOCK)
                libc.mallopt(_M_TRIM_THRESHOLD, FREE)
        return self

    def __exit__(self, *exc: Any) -> None:
        global _depth
        libc = _glibc()
        with _lock:
            _depth -= 1
            if _depth == 0 and libc is not None:
                libc.mallopt(_M_TRIM_THRESHOLD, SETTLED_FREE)
                libc.malloc_trim(0)
