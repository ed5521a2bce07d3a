"""Import reads the common Prodigy line without the dict parser, and stores exactly what the
general reader stores; a bad line is named with the same message, and nothing is written."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from annotator.core.errors import InputError
from annotator.ops import importing
from annotator.ops.importing import import_paths
from annotator.store import Store
from tests.conftest import snapshot
from tests.core.test_fast_records import BAD, COMMON, GENERAL, TEXT, _line
from tests.ops.test_import_batches import _records, _rows, _write


def _varied(tokenize) -> list:
    """Every kind of line of the fast reader's tests, each common one with a text of its own
    (and again with the shared text: the same text twice goes record by record), then the
    mixed records of the batch tests."""
    lines: list = []
    for k, obj in enumerate(list(COMMON.values()) + list(GENERAL.values())):
        if isinstance(obj, dict) and obj.get("text") == TEXT:
            lines.append(dict(obj, text=f"{TEXT} #{k}"))  # offsets stay inside the text
        lines.append(obj)
    return lines + _records(tokenize, 40)


def _import(db: Path, source: Path, tokenize) -> importing.ImportReport:
    with Store.open(db) as store:
        return import_paths(store, [source], annotator="me", tokenize=tokenize, tokenizer_name="blank")


def test_the_fast_reader_stores_exactly_what_the_general_reader_stores(tmp_path, tokenize, monkeypatch):
    source = _write(tmp_path / "varied.jsonl", _varied(tokenize))
    fast = _import(tmp_path / "fast.db", source, tokenize)
    monkeypatch.setattr(importing, "FAST_LINES", False)
    general = _import(tmp_path / "general.db", source, tokenize)
    assert fast == general
    assert fast.new_documents > 60 and fast.gold_documents > 30 and fast.misaligned
    assert _rows(tmp_path / "fast.db") == _rows(tmp_path / "general.db")


def test_a_prodigy_line_is_read_without_the_dict_parser(tmp_path, tokenize, monkeypatch):
    """Predictions and gold with Prodigy tokens (text, id, ws) never reach ``json``/``ujson``."""
    def no_dicts(line, path, number):
        raise AssertionError(f"line {number} went through the dict parser")

    monkeypatch.setattr(importing, "parse_json_line", no_dicts)
    names = ["predictions with Prodigy tokens", "tokens with start and end only", "no tokens", "rejected",
             "extra keys everywhere", "boilerplate", "text only"]
    lines = [dict(COMMON[name], text=f"{TEXT} #{k}") for k, name in enumerate(names)]
    report = _import(tmp_path / "p.db", _write(tmp_path / "p.jsonl", lines), tokenize)
    assert (report.new_documents, report.gold_documents) == (7, 5)
    with Store.open(tmp_path / "p.db") as store:
        predicted = store.prediction(1, "en_x", "3.1")
        assert [(s.start, s.end, s.label) for s in predicted.spans] == [
            (s["start"], s["end"], s["label"]) for s in COMMON["predictions with Prodigy tokens"]["spans"]]
        tokens = store.tokens(1)
        assert [f"{TEXT} #0"[s:e] for s, e in zip(tokens.starts, tokens.ends)][:3] == ["Zoë", "🎉", "met"]
        assert [(s.start, s.end, s.label) for s in store.gold(3, "alice")] == [
            (s["start"], s["end"], s["label"]) for s in COMMON["no tokens"]["spans"]]


CHECKED_LATER = {  # read fine, refused against the text or the project's labels
    "overlapping spans": ({"text": "Mali Niger", "spans": [{"start": 0, "end": 6, "label": "GPE"},
                                                          {"start": 5, "end": 10, "label": "GPE"}]}, "overlaps"),
    "span outside the text": ({"text": "Mali", "spans": [{"start": 0, "end": 9, "label": "GPE"}]}, "outside the text"),
    "unknown label": ({"text": "Mali", "tokens": [{"start": 0, "end": 4}], "spans": [{"start": 0, "end": 4,
                                                                                      "label": "COUNTRY"}]},
                      "unknown label 'COUNTRY'"),
    "boilerplate outside": ({"text": "Mali", "spans": [], "boilerplate": [{"start": 2, "end": 7}]}, "outside"),
    "malformed JSON": ('{"text": "Mali", "spans": [', "malformed JSON"),
    "empty span": ({"text": "Mali Niger", "spans": [{"start": 0, "end": 4, "label": "GPE"},
                                                    {"start": 5, "end": 5, "label": "GPE"}]}, "is empty or reversed"),
    "reversed span": ({"text": "Mali Niger", "spans": [{"start": 4, "end": 0, "label": "GPE"}]}, "is empty or reversed"),
    "negative start": ({"text": "Mali Niger", "spans": [{"start": -1, "end": 4, "label": "GPE"}]}, "outside the text"),
    "overlap out of order": ({"text": "Mali Niger", "spans": [{"start": 5, "end": 10, "label": "GPE"},
                                                             {"start": 0, "end": 6, "label": "GPE"}]}, "overlaps"),
    "unknown label, spans in order": ({"text": "Mali Niger", "spans": [{"start": 0, "end": 4, "label": "GPE"},
                                                                      {"start": 5, "end": 10, "label": "LAND"}]},
                                      "unknown label 'LAND'"),
}


@pytest.mark.parametrize("what", list(BAD) + list(CHECKED_LATER))
def test_a_bad_line_is_named_with_the_same_message_and_changes_nothing(tmp_path, db_path, monkeypatch, what):
    bad, message = BAD[what] if what in BAD else CHECKED_LATER[what]
    good = [COMMON["predictions with Prodigy tokens"], COMMON["no tokens"]]
    source = _write(tmp_path / "x.jsonl", [_line(obj) for obj in [*good, bad, *good]])
    Store.open(db_path).close()
    before = snapshot(db_path)
    said = []
    for fast in (True, False):
        monkeypatch.setattr(importing, "FAST_LINES", fast)
        with Store.open(db_path) as store, pytest.raises(InputError) as caught:
            import_paths(store, [source], annotator="me")
        said.append(str(caught.value))
        assert snapshot(db_path) == before
    assert said[0] == said[1]
    assert "x.jsonl:3: " in said[0] and message in said[0]


def test_an_empty_file_is_refused_as_before(tmp_path, db_path):
    source = tmp_path / "none.jsonl"
    source.write_text("\n \n", encoding="utf-8")
    with Store.open(db_path) as store, pytest.raises(InputError, match="none.jsonl: is empty"):
        import_paths(store, [source], annotator="me")


def test_blank_lines_of_any_whitespace_are_skipped_and_lines_keep_their_numbers(tmp_path, db_path):
    """A line of spaces, tabs, a carriage return or other Unicode whitespace is no record; the
    lines after it are named by their number in the file."""
    good = _line(COMMON["predictions with Prodigy tokens"])
    source = tmp_path / "gaps.jsonl"
    source.write_text("\n".join([good, "", " \t\r", "\u3000\x1c\u2028", good.replace("#", "x"), '{"text": 5}']) + "\n",
                      encoding="utf-8")
    with Store.open(db_path) as store, pytest.raises(InputError) as caught:
        import_paths(store, [source], annotator="me")
    assert str(caught.value).startswith(f"{source}:6: ") and '"text" must be a string' in str(caught.value)
    source.write_text("\n".join([good, "", " \t\r", "\u3000\x1c", _line(dict(COMMON["no tokens"], text=f"{TEXT} #2"))]) + "\n",
                      encoding="utf-8")
    with Store.open(db_path) as store:
        report = import_paths(store, [source], annotator="me")
    assert (report.lines, report.new_documents) == (2, 2)


JSONL_BYTES = {  # a file's bytes, as editors and tools leave them
    "BOM, CRLF, blank lines of all kinds": (codecs.BOM_UTF8 + b'{"text": "Mali"}\r\n\r\n \t\r\n\x1c\x1f\n'
                                            + '{"text": "Zo\u00eb \U0001f389"}\r\n'.encode("utf-8")
                                            + "\u3000\u2028\n".encode("utf-8") + b'{"text": "Niger"}\r\r\n  {"text": "Chad"}'),
    "NUL on line 3": b'{"text": "Mali"}\n\n{"text": "Ma\x00li"}\n',
    "Latin-1 on line 2": b'{"text": "Mali"}\n{"text": "Zo\xeb"}\n',
    "a line of a lone CR": b'{"text": "Mali"}\n\r\n{"text": "Niger"}',
}


@pytest.mark.parametrize("what", list(JSONL_BYTES))
def test_import_reads_jsonl_bytes_as_the_line_reader_does(tmp_path, what):
    """The import's reader gives an ASCII line as bytes read; decoded and cut as iter_jsonl_lines
    cuts lines, every line and every refusal is the same."""
    from annotator.ops.textfiles import iter_jsonl_data, iter_jsonl_lines

    path = tmp_path / "x.jsonl"
    path.write_bytes(JSONL_BYTES[what])
    said = []
    for reader, as_line in ((iter_jsonl_lines, lambda line: line),
                            (iter_jsonl_data, lambda line: line.decode("ascii").rstrip("\r\n")
                             if isinstance(line, bytes) else line)):
        try:
            said.append([(number, as_line(line)) for number, line in reader(path)])
        except InputError as exc:
            said.append(str(exc))
    assert said[0] == said[1]
    if what.startswith("BOM"):
        assert [number for number, _ in said[0]] == [1, 5, 7, 8]
        assert said[0][1][1] == '{"text": "Zo\u00eb \U0001f389"}' and said[0][3][1] == '  {"text": "Chad"}'
    else:
        assert ":3: contains a NUL" in said[0] if "NUL" in what else (
            ":2: is not valid UTF-8 (byte 0xeb)" in said[0] if "Latin" in what else len(said[0]) == 2)


def test_an_ascii_line_reaches_the_fast_reader_as_the_bytes_read(tmp_path, tokenize, monkeypatch):
    """No decoding and no copy of an ASCII line on the fast path: the fast reader gets the bytes,
    line break included; a line with other characters comes decoded."""
    from annotator.core import fast_records

    seen = []
    read_line = fast_records.read_line
    monkeypatch.setattr(fast_records, "read_line", lambda line, loads: seen.append(line) or read_line(line, loads))
    source = tmp_path / "mixed.jsonl"
    source.write_bytes(b'{"text": "Mali", "spans": []}\r\n{"text": "Zo\xc3\xab", "spans": []}\n{"text": "Niger"}')
    report = _import(tmp_path / "m.db", source, tokenize)
    assert report.new_documents == 3
    assert seen == [b'{"text": "Mali", "spans": []}\r\n', '{"text": "Zo\u00eb", "spans": []}', b'{"text": "Niger"}']
