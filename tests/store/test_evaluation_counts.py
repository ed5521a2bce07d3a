"""Kept evaluation counts are packed in the narrowest width that holds each document's pairs
(a width byte, then the pairs), and the older form (uint32 pairs, no width byte), which kept
scores in existing databases have, is read alongside: the sums are the same either way."""

from __future__ import annotations

import random

import numpy as np
import pytest

from annotator.store.evaluation_cache import Kept, pack_pairs, pair_count, summed, unpack_pairs


def _older(pairs: list[tuple[int, int]]) -> bytes:
    return np.array(pairs, dtype="<u4").reshape(-1, 2).tobytes()


def _documents(seed: int) -> list[list[tuple[int, int]]]:
    rng = random.Random(seed)
    return [[(rng.choice([0, 3, 255, 256, 70_000]), rng.choice([0, 1, 255, 256, 65_535, 65_536, 2 ** 32 - 1]))
             for _ in range(rng.choice([0, 1, 4, 30]))] for _ in range(200)]


@pytest.mark.parametrize("seed", range(3))
def test_counts_pack_narrow_and_read_back_with_the_older_form(seed):
    docs = _documents(seed)
    flat = [p for d in docs for p in d]
    bounds = [0, *np.cumsum([len(d) for d in docs]).tolist()]
    packed = pack_pairs(np.array(flat, dtype=np.int64).reshape(-1, 2), bounds)
    assert [pair_count(b) for b in packed] == [len(d) for d in docs]
    assert all(b == b"" for b, d in zip(packed, docs) if not d)
    widths = {b[0] for b in packed if b}
    assert widths == {1, 2, 4}  # each document its own width
    for b, d in zip(packed, docs):
        if d and max(max(p) for p in d) < 256:
            assert len(b) == 1 + 2 * len(d)  # a byte per value
    mixed = [older if k % 3 == 0 else new for k, (older, new) in enumerate(zip(map(_older, docs), packed))]
    assert unpack_pairs(mixed).tolist() == [list(p) for p in flat]
    names = {k: f"key{k}" for k in range(70_001)}
    expected: dict[str, int] = {}
    for key, n in flat:
        expected[names[key]] = expected.get(names[key], 0) + n
    kept = [Kept("single", "sm 1", 0, b) for b in mixed]
    assert summed(None, kept, names) == expected  # type: ignore[arg-type]


def test_malformed_counts_are_refused():
    with pytest.raises(ValueError, match="malformed"):
        unpack_pairs([b"\x03" + bytes(6)])  # no such width
    with pytest.raises(ValueError, match="malformed"):
        unpack_pairs([b"\x02" + bytes(6)])  # not whole pairs
    with pytest.raises(ValueError, match="below 2"):
        pack_pairs(np.array([[1, 2 ** 32]]), [0, 1])


def test_counts_of_an_unknown_width_are_refused():
    with pytest.raises(ValueError, match="malformed"):
        pair_count(b"\x00" + bytes(4))
