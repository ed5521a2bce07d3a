"""Reading JSONL records: a line of plain text takes the short way and reads as any other."""

import pytest

from annotator.core.errors import InputError
from annotator.core.formats import parse_record


@pytest.mark.parametrize("text", ["Mali.", "  Zoë 🎉\r\n", "x" * 5000])
def test_a_text_only_record_reads_as_the_general_path_reads_it(text):
    plain = parse_record({"text": text})
    assert plain == parse_record({"text": text, "meta": None})  # the same record, through every check
    assert (plain.text, plain.spans, plain.boilerplate, plain.state, plain.tokens, plain.meta) == (
        text, None, [], None, None, {})


@pytest.mark.parametrize("text, message", [("", "is empty"), (" \n", "only whitespace"), ("a\x00", "NUL"),
                                           ("\ud800", "lone surrogate")])
def test_a_text_only_record_is_checked_as_any_other(text, message):
    with pytest.raises(InputError, match=message):
        parse_record({"text": text})
    with pytest.raises(InputError, match=message):
        parse_record({"text": text, "meta": {}})


def test_a_record_that_is_not_an_object_or_has_no_text_is_refused():
    for obj, message in [(["text"], "JSON object"), ({"text": 3}, "must be a string"), ({"txt": "a"}, "missing")]:
        with pytest.raises(InputError, match=message):
            parse_record(obj)
