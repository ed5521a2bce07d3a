"""The train/dev split and the gold snapshot hash (pure functions)."""

import hashlib

import pytest

from annotator.core.errors import InputError
from annotator.core.splits import DEV, TRAIN, check_dev_fraction, snapshot_hash, split_for, subset_of_train


def hashes(n: int) -> list[str]:
    return [hashlib.sha256(f"text {i}".encode()).hexdigest() for i in range(n)]


def test_split_is_a_function_of_content_seed_and_fraction():
    h = hashes(1)[0]
    assert split_for(h, "0", 0.2) == split_for(h, "0", 0.2)
    many = hashes(4000)
    dev = [x for x in many if split_for(x, "0", 0.2) == DEV]
    assert 0.17 < len(dev) / len(many) < 0.23
    other_seed = {x for x in many if split_for(x, "1", 0.2) == DEV}
    assert other_seed != set(dev)  # the seed matters


def test_a_larger_fraction_only_moves_train_documents_to_dev():
    many = hashes(2000)
    small = {x for x in many if split_for(x, "0", 0.2) == DEV}
    large = {x for x in many if split_for(x, "0", 0.3) == DEV}
    assert small < large
    assert all(split_for(x, "0", 0.3) == TRAIN for x in set(many) - large)


def test_check_dev_fraction():
    assert check_dev_fraction(0.25) == 0.25
    for bad in (0, 1, -0.1, 1.5):
        with pytest.raises(InputError, match="--dev-fraction must be between 0 and 1"):
            check_dev_fraction(bad)


def test_curve_subsets_are_nested_and_sized():
    train = hashes(40)
    sizes = {f: subset_of_train(train, f) for f in (0.25, 0.5, 0.75, 1.0)}
    assert [len(sizes[f]) for f in (0.25, 0.5, 0.75, 1.0)] == [10, 20, 30, 40]
    assert set(sizes[0.25]) < set(sizes[0.5]) < set(sizes[0.75]) < set(sizes[1.0]) == set(train)
    assert subset_of_train(train[::-1], 0.5) == sizes[0.5]  # the input order does not matter
    assert len(subset_of_train(hashes(3), 0.25)) == 1  # never empty


def test_snapshot_hash_depends_on_annotations_not_on_order():
    a = ("h1", TRAIN, [(0, 4, "GPE")], [(10, 20)])
    b = ("h2", DEV, [(5, 9, "ORG"), (0, 3, "PERSON")], [])
    assert snapshot_hash([a, b]) == snapshot_hash([b, a])
    assert snapshot_hash([a, b]) == snapshot_hash([a, ("h2", DEV, [(0, 3, "PERSON"), (5, 9, "ORG")], [])])
    assert snapshot_hash([a, b]) != snapshot_hash([a, ("h2", DEV, [(5, 9, "GPE"), (0, 3, "PERSON")], [])])
    assert snapshot_hash([a, b]) != snapshot_hash([a, ("h2", TRAIN, b[2], [])])
    assert snapshot_hash([a, b]) != snapshot_hash([("h1", TRAIN, [(0, 4, "GPE")], []), b])
