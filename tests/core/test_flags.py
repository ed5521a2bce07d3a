"""meta.flags read from a JSONL line: defaults, and each malformed form refused with where it is."""

from __future__ import annotations

import pytest

from annotator.core.errors import InputError
from annotator.core.flags import Flag, flags_from_meta


def test_defaults_and_the_form_export_writes():
    written = Flag("ann", "unsure", "ORG?", "2026-01-01T00:00:00+00:00")
    assert flags_from_meta({"flags": [written.to_meta()]}, None, "later") == [written]
    assert flags_from_meta({"flags": [{}]}, "bob", "T") == [Flag("bob", "unsure", "", "T")]
    assert flags_from_meta({"flags": [{"note": "  spaced  "}]}, "bob", "T")[0].note == "spaced"
    assert flags_from_meta({}, "bob", "T") == [] and flags_from_meta({"flags": []}, None, "T") == []


@pytest.mark.parametrize("flags, where", [
    ("unsure", '"meta.flags" must be a list'),
    (["unsure"], "meta.flags[0] must be an object"),
    ([{"flag": "unsure"}], "meta.flags[0] names no annotator"),
    ([{"annotator": "-bad name"}], "meta.flags[0].annotator: '-bad name' is not a usable annotator name"),
    ([{"annotator": "ann", "flag": ""}], "meta.flags[0].flag must be a non-empty string"),
    ([{"annotator": "ann", "note": None}], "meta.flags[0].note must be a string"),
    ([{"annotator": "ann", "updated_at": 5}], "meta.flags[0].updated_at must be an ISO 8601"),
    ([{"annotator": "ann", "note": "x" * 2001}], "meta.flags[0]: a note holds at most 2000"),
])
def test_malformed_flags_are_refused_saying_where(flags, where):
    with pytest.raises(InputError) as caught:
        flags_from_meta({"flags": flags}, None, "T")
    assert caught.value.message.startswith(where), caught.value.message
