"""The older stored forms of tokens and predicted spans (``TK1``, ``SP1``: the narrowest array
holding the values, deflated), written here as the code before migration 0052 wrote them, so
that tests can check they are still read, and migrated, exactly."""

from __future__ import annotations

import json
import zlib
from array import array
from collections.abc import Sequence


def _deflated(values: Sequence[int]) -> bytes:
    for code in ("B", "H", "I", "Q"):
        if not values or max(values) < 1 << (8 * array(code).itemsize):
            break
    packed = array(code, values)
    return code.encode("ascii") + zlib.compress(packed.tobytes(), 1)  # little-endian machines only (the CI)


def old_tokens(starts: Sequence[int], ends: Sequence[int]) -> bytes:
    values: list[int] = []
    previous = 0
    for s, e in zip(starts, ends):
        values += [s - previous, e - s]
        previous = e
    return b"TK1" + _deflated(values)


def old_spans(spans: Sequence[Sequence]) -> bytes:
    ordered = sorted(spans)
    labels = {label: i for i, label in enumerate(dict.fromkeys(s[2] for s in ordered))}
    values: list[int] = []
    previous = 0
    for s, e, label, *_ in ordered:
        values += [s - previous, e - s, labels[label]]
        previous = s
    names = json.dumps(list(labels), ensure_ascii=False).encode("utf-8")
    return b"SP1" + len(names).to_bytes(4, "little") + names + _deflated(values)
