"""The fast reader of JSONL lines gives exactly the record the general reader gives, or leaves
the line to it: every lenience and every refusal stays the general reader's."""

from __future__ import annotations

import json

import pytest
from srsly import ujson

from annotator.core.errors import InputError
from annotator.core.fast_records import read_line
from annotator.core.formats import parse_record

TEXT = "Zoë 🎉 met Mali's minister in Bamako.\nShare this article"  # non-BMP: offsets are code points


def _tokens(text: str, **extra) -> list[dict]:
    out, start = [], None
    for i, ch in enumerate(text + " "):
        if ch.isalnum() or ch in "'🎉":
            start = i if start is None else start
        elif start is not None:
            out.append({"start": start, "end": i})
            start = None
    return [{"text": text[t["start"]:t["end"]], **t, "id": k, "ws": text[t["end"]:t["end"] + 1] == " ", **extra}
            if extra.get("full", True) else t for k, t in enumerate(out)]


def _span(word: str, label: str, **extra) -> dict:
    start = TEXT.index(word)
    return {"start": start, "end": start + len(word), "label": label, **extra}


SPANS = [_span("Zoë", "PERSON"), _span("Mali", "GPE", token_start=4, token_end=4), _span("Bamako", "GPE")]

# Lines the fast reader reads itself: (what, line)
COMMON = {
    "text only": {"text": TEXT},
    "predictions with Prodigy tokens": {"text": TEXT, "tokens": _tokens(TEXT), "spans": SPANS,
                                        "meta": {"pipeline": "en_x", "pipeline_version": "3.1", "source": "a.txt"}},
    "tokens with start and end only": {"text": TEXT, "tokens": [{"start": t["start"], "end": t["end"]}
                                                                 for t in _tokens(TEXT)], "spans": SPANS},
    "no tokens": {"text": TEXT, "spans": SPANS, "answer": "accept", "_annotator_id": "alice"},
    "null tokens": {"text": TEXT, "spans": SPANS, "tokens": None},
    "empty tokens, empty spans": {"text": TEXT, "spans": [], "tokens": []},
    "rejected": {"text": TEXT, "spans": SPANS[:1], "answer": "reject", "tokens": _tokens(TEXT)},
    "ignored, null annotator": {"text": TEXT, "spans": SPANS, "answer": "ignore", "_annotator_id": None},
    "null answer, review state in meta": {"text": TEXT, "spans": SPANS, "answer": None,
                                          "meta": {"review_state": "accepted", "note": "שלום"}},
    "pipeline but an annotator": {"text": TEXT, "spans": SPANS, "_annotator_id": "bob", "meta": {"pipeline": "en"}},
    "model and human origins": {"text": TEXT, "spans": [dict(SPANS[0], origin="model"), dict(SPANS[1], origin="human")]},
    "extra keys everywhere": {"text": TEXT, "_input_hash": 12, "_task_hash": -3, "_view_id": "ner_manual",
                              "sessions": ["a", "b"], "nested": {"x": [1, {"y": None}]},
                              "spans": [dict(s, source="model", input_hash=1) for s in SPANS],
                              "tokens": _tokens(TEXT, disabled=False)},
    "boilerplate": {"text": TEXT, "spans": [], "boilerplate": [{"start": 37, "end": 55, "why": "furniture"}]},
    "meta floats, big ints, nesting": {"text": TEXT, "spans": SPANS, "meta": {
        "score": 0.1, "exact": 1.2345678901234567, "tiny": 5e-324, "big": 922337203685477580,
        "nested": {"list": [1.5, "é", None, True]}, "source": 7}},
    "meta not an object": {"text": TEXT, "spans": SPANS, "meta": "a string"},
    "meta null": {"text": TEXT, "meta": None},
    "escaped text": '{"text": "Zo\\u00eb \\ud83c\\udf89 \\"quoted\\" \\\\ tab\\t", "spans": []}',
    "a key twice (the last wins)": '{"text": "first", "spans": [], "text": ' + json.dumps(TEXT) + '}',
    "a huge number under a key nobody reads": '{"text": "Mali", "spans": [], "_input_hash": 123456789012345678901234567890}',
    "spans and doccano labels (spans win)": {"text": TEXT, "spans": SPANS, "label": [[0, 3, "PERSON"]]},
    "spans out of order": {"text": TEXT, "spans": SPANS[::-1], "meta": {"pipeline": "en_x"}},
    # the forms Prodigy lines come in: token keys in any order, with or without text/id/ws, extra keys
    # (nested objects and lists carrying "start" and "end" of their own), escapes, spacing, odd numbers
    "keys in other orders": {"meta": {"pipeline": "en_x"}, "tokens": [{"ws": t["ws"], "id": t["id"], "end": t["end"],
                                                                        "text": t["text"], "start": t["start"]}
                                                                       for t in _tokens(TEXT)],
                             "spans": [{"label": s["label"], "end": s["end"], "start": s["start"]} for s in SPANS],
                             "text": TEXT},
    "tokens with id only, with ws only": {"text": TEXT, "tokens": [
        {"start": t["start"], "end": t["end"], **({"id": t["id"]} if k % 2 else {"ws": t["ws"]})}
        for k, t in enumerate(_tokens(TEXT))], "spans": SPANS},
    "nested start and end inside tokens": {"text": TEXT, "spans": SPANS, "tokens": [
        dict(t, start=t["start"], head={"start": 99, "end": 100, "tokens": [{"start": 1}]},
             children=[{"start": 7, "end": 3}, [{"end": 0}]], morph=None) for t in _tokens(TEXT)]},
    "token text holding escaped keys": {"text": TEXT, "spans": SPANS, "tokens": [
        dict(t, text='"start": 99, "end": 100}, {"start": 5' if k == 1 else t["text"])
        for k, t in enumerate(_tokens(TEXT))]},
    "escaped keys": '{"t\\u0065xt": "Mali and Niger", "tok\\u0065ns": [{"st\\u0061rt": 0, "\\u0065nd": 4}, '
                    '{"start": 9, "end": 14, "t\\u0065xt": "Niger\\"}"}], "spans": [{"start": 0, "end": 4, '
                    '"l\\u0061bel": "GPE"}]}',
    "spaces, tabs and a carriage return inside the JSON": (
        '{ "text" :\t"Mali and Niger" ,\r"tokens":[ {"start" :0,\t"end": 4 } ,{ "end":14 ,"start" : 9}\t] ,'
        ' "spans" : [ { "start":9 , "end" : 14, "label" :"GPE" } ] , "meta" : { "pipeline" : "en" } }'),
    "a key twice inside a token (the last wins)": '{"text": "Mali and Niger", "tokens": [{"start": 9, "start": 0, '
                                                  '"end": 1, "end": 4}], "spans": []}',
    "negative zero and a huge token id": '{"text": "Mali and Niger", "tokens": [{"start": -0, "end": 4, '
                                         '"id": 123456789012345678901234567890}], "spans": []}',
    "astral characters only": {"text": "𝕏𝕐 🎉 𒀀", "tokens": [{"text": "𝕏𝕐", "start": 0, "end": 2, "id": 0, "ws": True},
                                                           {"text": "🎉", "start": 3, "end": 4, "id": 1, "ws": True},
                                                           {"text": "𒀀", "start": 5, "end": 6, "id": 2, "ws": False}],
                               "spans": [{"start": 0, "end": 2, "label": "ORG", "token_start": 0, "token_end": 0}],
                               "meta": {"pipeline": "en"}},
}

# Lines the general reader takes with a lenience of its own, or refuses: the fast reader leaves them.
GENERAL = {
    "doccano label": {"text": TEXT, "label": [[0, 3, "PERSON"]]},
    "doccano label not a list, entities": {"text": TEXT, "label": "x", "entities": [[0, 3, "PERSON"]]},
    "doccano entities": {"text": TEXT, "entities": [{"start_offset": 0, "end_offset": 3, "label": "PERSON"}]},
    "unknown origin": {"text": TEXT, "spans": [dict(SPANS[0], origin="robot")]},
    "null origin": {"text": TEXT, "spans": [dict(SPANS[0], origin=None)]},
    "numeric annotator": {"text": TEXT, "spans": SPANS, "_annotator_id": 7},
    "NaN in meta": '{"text": "Mali", "meta": {"x": NaN}}',
    "a huge number elsewhere, a float in meta": ('{"text": "Mali", "spans": [], "_input_hash": 123456789012345678901234567890, '
                                                 '"meta": {"score": 1.2345678901234567}}'),
    "a huge negative number elsewhere, a float in meta": ('{"text": "Mali", "_task_hash": -9223372036854775809, '
                                                          '"meta": {"s": [{"x": 0.1e-5}]}}'),
    "a huge number in meta": '{"text": "Mali", "meta": {"n": 123456789012345678901234567890}}',
    "literal tab in a string": '{"text": "Mali\tNiger", "spans": []}',
}

BAD = {  # refused, with the general reader's message
    "spans not a list": ({"text": TEXT, "spans": None}, '"spans" must be a list'),
    "span not an object": ({"text": TEXT, "spans": [[0, 3, "PERSON"]]}, "spans[0] must be an object"),
    "span without label": ({"text": TEXT, "spans": [{"start": 0, "end": 3}]}, 'spans[0] has no "label"'),
    "empty label": ({"text": TEXT, "spans": [SPANS[0], dict(SPANS[1], label="")]}, "spans[1] label must be a non-empty"),
    "numeric label": ({"text": TEXT, "spans": [dict(SPANS[0], label=5)]}, "spans[0] label must be a non-empty"),
    "float offset": ({"text": TEXT, "spans": [dict(SPANS[0], start=0.0)]}, "spans[0].start must be an integer, got 0.0"),
    "bool offset": ({"text": TEXT, "spans": [dict(SPANS[0], end=True)]}, "spans[0].end must be an integer, got True"),
    "tokens not a list": ({"text": TEXT, "tokens": {"start": 0}}, '"tokens" must be a list'),
    "token without end": ({"text": TEXT, "tokens": [{"start": 0}]}, "tokens[0] must have start and end"),
    "float token": ({"text": TEXT, "tokens": [{"start": 0, "end": 3.0}]}, "tokens[0].end must be an integer"),
    "token outside the text": ({"text": "Mali", "tokens": [{"start": 0, "end": 5}]}, "tokens[0] [0, 5) is empty, reversed or outside"),
    "empty token": ({"text": "Mali", "tokens": [{"start": 0, "end": 2}, {"start": 2, "end": 2}]}, "tokens[1] [2, 2) is empty"),
    "negative token": ({"text": "Mali", "tokens": [{"start": -1, "end": 2}]}, "tokens[0] [-1, 2) is empty"),
    "huge token": ({"text": "Mali", "tokens": [{"start": 0, "end": 1 << 40}]}, "outside the text"),
    "token offset with an exponent": ('{"text": "Mali", "tokens": [{"start": 0, "end": 4e0}]}',
                                      "tokens[0].end must be an integer, got 4.0"),
    "token offset as a string": ({"text": "Mali", "tokens": [{"start": "0", "end": 4}]},
                                 "tokens[0].start must be an integer, got '0'"),
    "token offset null": ({"text": "Mali", "tokens": [{"start": 0, "end": None}]}, "tokens[0].end must be an integer"),
    "token offset true": ({"text": "Mali", "tokens": [{"start": True, "end": 4}]},
                          "tokens[0].start must be an integer, got True"),
    "token offset beyond 64 bits": ('{"text": "Mali", "tokens": [{"start": 0, "end": 123456789012345678901234567890}]}',
                                    "outside the text"),
    "a token not an object": ({"text": "Mali", "tokens": [{"start": 0, "end": 4}, [4, 5]]},
                              "tokens[1] must have start and end"),
    "a token's start only nested": ({"text": "Mali", "tokens": [{"head": {"start": 0}, "end": 4}]},
                                    "tokens[0] must have start and end"),
    "span offset with an exponent": ('{"text": "Mali", "spans": [{"start": 0, "end": 4E0, "label": "GPE"}]}',
                                     "spans[0].end must be an integer, got 4.0"),
    "overlapping tokens": ({"text": "Mali", "tokens": [{"start": 0, "end": 3}, {"start": 2, "end": 4}]},
                           "tokens[1] [2, 4) starts before the previous token ends (3)"),
    "boilerplate not a list": ({"text": TEXT, "boilerplate": {}}, '"boilerplate" must be a list'),
    "boilerplate without end": ({"text": TEXT, "boilerplate": [{"start": 1}]}, "boilerplate[0] must have start and end"),
    "unknown answer": ({"text": TEXT, "answer": "maybe"}, '"answer" must be accept, reject or ignore'),
    "numeric answer": ({"text": TEXT, "answer": 1}, '"answer" must be accept, reject or ignore, got 1'),
    "no text": ({"spans": []}, 'missing "text"'),
    "numeric text": ({"text": 4}, '"text" must be a string'),
    "empty text": ({"text": ""}, "is empty"),
    "whitespace text": ({"text": " \n", "spans": []}, "only whitespace"),
    "NUL in text": ('{"text": "a\\u0000b", "spans": []}', "NUL character"),
    "lone surrogate": ('{"text": "a\\ud800b", "spans": []}', "lone surrogate"),
    "not an object": ('["text"]', "each line must be a JSON object"),
}


def _line(obj) -> str:
    return obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)


def _generally(line: str):
    try:
        return parse_record(ujson.loads(line))
    except ValueError:  # as the import reads a line ujson refuses
        return parse_record(json.loads(line))


@pytest.mark.parametrize("what", list(COMMON))
def test_a_common_line_is_read_fast_into_the_record_the_general_reader_makes(what):
    line = _line(COMMON[what])
    record = read_line(line, ujson.loads)
    assert record is not None, "the fast reader left a common line to the general one"
    assert record == _generally(line)
    assert read_line(line.encode("utf-8"), ujson.loads) == record
    assert read_line(line.encode("utf-8") + b"\r\n", ujson.loads) == record  # as import reads an ASCII line


def test_the_records_read_fast_hold_what_the_lines_say():
    record = read_line(_line(COMMON["predictions with Prodigy tokens"]), ujson.loads)
    assert [TEXT[s.start:s.end] for s in record.spans] == ["Zoë", "Mali", "Bamako"]
    assert [TEXT[s:e] for s, e in zip(record.tokens.starts, record.tokens.ends)][:5] == ["Zoë", "🎉", "met", "Mali's",
                                                                                        "minister"]
    assert (record.state, record.source, record.meta["pipeline_version"]) == ("todo", "a.txt", "3.1")
    meta = read_line(_line(COMMON["meta floats, big ints, nesting"]), ujson.loads).meta
    assert meta["big"] == 922337203685477580 and meta["nested"] == {"list": [1.5, "é", None, True]}
    assert read_line(_line(COMMON["a key twice (the last wins)"]), ujson.loads).text == TEXT


@pytest.mark.parametrize("what", list(GENERAL))
def test_a_line_with_a_lenience_of_the_general_reader_is_left_to_it(what):
    assert read_line(_line(GENERAL[what]), ujson.loads) is None


@pytest.mark.parametrize("what", list(BAD))
def test_a_bad_line_is_left_to_the_general_reader_which_names_what_is_wrong(what):
    obj, message = BAD[what]
    line = _line(obj)
    assert read_line(line, ujson.loads) is None
    with pytest.raises(InputError) as caught:
        _generally(line)
    assert message in str(caught.value)


def test_a_float_in_meta_is_parsed_as_the_general_reader_parses_it():
    """ujson's floats can differ from json's in the last digit; json reads the lines ujson refuses."""
    for what in ("a huge number elsewhere, a float in meta", "a huge negative number elsewhere, a float in meta"):
        line = GENERAL[what]
        with pytest.raises(ValueError):
            ujson.loads(line)
        assert _generally(line).meta == json.loads(line)["meta"]
    assert ujson.loads("1.2345678901234567") != 1.2345678901234567  # (what would differ)


def test_a_meta_the_line_parser_refuses_leaves_the_line_to_the_general_reader():
    def refuse(data):
        raise ValueError("no")

    line = _line(COMMON["predictions with Prodigy tokens"])
    assert read_line(line, refuse) is None
    assert read_line(_line(COMMON["no tokens"]), refuse) is not None  # no meta: nothing to refuse


def test_spans_in_order_inside_the_text_come_checked_and_no_others():
    """``check_record`` only checks the labels of ``CheckedSpans``: spans out of order, empty,
    reversed, overlapping or outside the text must come as a plain list (it checks those)."""
    from annotator.core.formats import CheckedSpans

    spans = read_line(_line(COMMON["predictions with Prodigy tokens"]), ujson.loads).spans
    assert type(spans) is CheckedSpans and spans.labels == {"PERSON", "GPE"}
    n = len("Mali Niger")
    for offsets in ([(5, 10), (0, 4)], [(0, 4), (4, 4)], [(4, 0)], [(-1, 4)], [(0, 6), (5, 10)], [(5, 10), (0, 6)],
                    [(0, n + 1)], [(0, 4), (5, n + 1)]):
        line = _line({"text": "Mali Niger", "spans": [{"start": s, "end": e, "label": "GPE"} for s, e in offsets]})
        spans = read_line(line, ujson.loads).spans
        assert type(spans) is list and spans == _generally(line).spans, offsets
    assert type(read_line('{"text": "Mali", "spans": []}', ujson.loads).spans) is list
