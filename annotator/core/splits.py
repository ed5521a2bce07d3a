"""The train/dev split of the gold, and the identity of a gold snapshot (pure functions).

A document gets its split the first time it becomes gold (accepted), from a seeded hash of
its content hash: the same text lands in the same split in every copy of the project, and
adding documents never moves another one. The store records the split when it is first
given and never changes it afterwards, so a later change of the dev fraction only applies
to documents that become gold from then on, and a dev score is never measured on text a
pipeline was trained on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from annotator.core.errors import InputError

TRAIN = "train"
DEV = "dev"
SPLITS = (TRAIN, DEV)
DEFAULT_DEV_FRACTION = 0.2
DEFAULT_SPLIT_SEED = "0"


def check_dev_fraction(fraction: float) -> float:
    """``fraction`` when it is a usable dev fraction (strictly between 0 and 1), else InputError."""
    if not 0.0 < fraction < 1.0:
        raise InputError(f"--dev-fraction must be between 0 and 1 (exclusive), not {fraction}")
    return float(fraction)


def split_point(content_hash: str, seed: str) -> float:
    """Where a document falls in [0, 1): the first 8 bytes of SHA-256 over seed and content hash."""
    digest = hashlib.sha256(f"annotator-split:{seed}:{content_hash}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def split_for(content_hash: str, seed: str = DEFAULT_SPLIT_SEED, dev_fraction: float = DEFAULT_DEV_FRACTION) -> str:
    """``"dev"`` for about ``dev_fraction`` of documents, ``"train"`` for the rest, by content hash."""
    return DEV if split_point(content_hash, seed) < dev_fraction else TRAIN


def subset_of_train(content_hashes: Iterable[str], fraction: float, seed: str = DEFAULT_SPLIT_SEED) -> list[str]:
    """The first ``fraction`` of the train documents in a seeded order (nested: 25% is inside 50%).

    Used by the learning curve: each larger subset contains every smaller one, so a step in
    the curve only ever adds documents.
    """
    ordered = sorted(content_hashes, key=lambda h: (split_point(h, f"curve:{seed}"), h))
    count = max(1, round(len(ordered) * fraction)) if ordered else 0
    return ordered[:count]


def snapshot_line(content_hash: str, split: str, spans: Iterable[tuple[int, int, str]],
                  boilerplate: Iterable[tuple[int, int]]) -> bytes:
    """One document's part of a snapshot: the SHA-256 of its content hash, split, gold spans
    and boilerplate (32 bytes, however many spans)."""
    line = (f"{content_hash}|{split}|" + ";".join(f"{s},{e},{label}" for s, e, label in sorted(spans))
            + "|" + ";".join(f"{s},{e}" for s, e in sorted(boilerplate)))
    return hashlib.sha256(line.encode("utf-8")).digest()


def snapshot_of_lines(lines: Iterable[bytes]) -> str:
    """The snapshot identity of documents' :func:`snapshot_line` digests, in any order."""
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line)
    return digest.hexdigest()


def snapshot_hash(items: Iterable[tuple[str, str, Iterable[tuple[int, int, str]], Iterable[tuple[int, int]]]]) -> str:
    """Identity of the gold a pipeline was trained and scored on.

    ``items`` are (content hash, split, gold spans as (start, end, label), boilerplate as
    (start, end)) per document; the order of documents does not matter. Equal hashes mean
    the same texts, the same split and the same annotations. Only 32 bytes per document are
    kept while ``items`` is read, so a corpus can be hashed as it is streamed.
    """
    return snapshot_of_lines(snapshot_line(*item) for item in items)
