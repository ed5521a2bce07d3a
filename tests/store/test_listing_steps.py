"""Stepping through the documents a search holds, forwards and backwards (F3 / Shift+F3 across
documents): the same answer whether the documents are in the full-text index yet or not."""

from __future__ import annotations

from annotator.core.model import TODO
from annotator.ops import gold_edits
from annotator.ops.importing import import_paths
from annotator.store.listing import Listing, ListQuery


def expected_steps(ids: list[int], holds: set[int], here: int) -> tuple[int | None, int | None]:
    """(next, previous) by brute force: the list in id order, wrapping around."""
    order = [i for i in ids if i in holds]
    if not order:
        return None, None
    after = [i for i in order if i > here]
    before = [i for i in order if i < here]
    return (after or order)[0], (before or order)[-1]


def test_next_and_prev_agree_with_brute_force_indexed_or_not(store, seeds_dir):
    import_paths(store, [seeds_dir], annotator="me")
    ids = store.document_ids()
    gold_edits.set_state(store, ids[2], "me", "accepted")
    listing = Listing(store)
    texts = {i: store.document(i).text.lower() for i in ids}
    for indexed in (0, 2, 5):  # none, part, all of the documents in the index
        while store.indexed_upto() < (ids[indexed - 1] if indexed else 0):
            store.index_batch(limit=1)
        assert store.unindexed_count() == 5 - indexed
        for needle, states in (("central", None), ("central", (TODO,)), ("Mali", None), ("zzznothing", None)):
            query = ListQuery("me", states, needle)
            holds = {i for i in ids if needle.lower() in texts[i] and (states is None or i != ids[2])}
            for here in ids:
                assert (listing.next_id(query, here), listing.prev_id(query, here)) == \
                    expected_steps(ids, holds, here), (indexed, needle, states, here)
