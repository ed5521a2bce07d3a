"""Which annotator gets which document: a deterministic plan for a seed.

Documents are named by their content hash (the same in every copy of a project), sorted,
then shuffled with a random generator seeded by ``seed`` alone, so the same documents,
annotators and seed always give the same plan. The first ``overlap`` fraction of them goes
to two annotators each (the pair with the least work so far, pairs used in turn), so that
agreement can be measured between every pair; the rest goes to one annotator each, always
the one with the least work. Loads never differ by more than one document, and with
``per_annotator`` no annotator gets more than that; documents that do not fit are left for
a later run.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import combinations

from annotator.core.errors import InputError


def check_plan_options(annotators: Sequence[str], overlap: float, per_annotator: int | None) -> None:
    if not 0.0 <= overlap <= 1.0:
        raise InputError(f"--overlap must be between 0 and 1, got {overlap}")
    if overlap > 0 and len(annotators) < 2:
        raise InputError("--overlap needs two or more annotators (give --overlap 0 for one)")
    if per_annotator is not None and per_annotator < 1:
        raise InputError(f"--per-annotator must be at least 1, got {per_annotator}")


def plan(keys: Sequence[str], annotators: Sequence[str], *, overlap: float, per_annotator: int | None = None,
         seed: int = 0) -> dict[str, list[str]]:
    """Keys (content hashes) per annotator, in the order they were drawn (see the module docstring)."""
    check_plan_options(annotators, overlap, per_annotator)
    rng = random.Random(f"annotator assign {seed}")
    order = sorted(keys)
    rng.shuffle(order)
    count = len(order)
    if per_annotator is not None:
        capacity = per_annotator * len(annotators)
        while count and count + round(overlap * count) > capacity:
            count -= 1
    shared = round(overlap * count)
    pairs = list(combinations(annotators, 2))
    rng.shuffle(pairs)
    pair_use = {pair: 0 for pair in pairs}
    load = {name: 0 for name in annotators}
    out: dict[str, list[str]] = {name: [] for name in annotators}
    for i, key in enumerate(order[:count]):
        if i < shared:
            pair = min(pairs, key=lambda p: (load[p[0]] + load[p[1]], pair_use[p]))
            pair_use[pair] += 1
            chosen: tuple[str, ...] = pair
        else:
            chosen = (min(annotators, key=lambda a: load[a]),)
        for name in chosen:
            out[name].append(key)
            load[name] += 1
    return out
