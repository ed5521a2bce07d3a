"""Import: text kept exactly, idempotent, gold attached, and every bad input refused cleanly."""

import json
from pathlib import Path

import pytest

from annotator.core.errors import InputError
from annotator.core.hashing import content_hash
from annotator.core.model import ACCEPTED, IN_PROGRESS, SKIPPED
from annotator.core.spans import Range, Span
from annotator.ops.importing import import_paths
from annotator.store import Store
from tests.conftest import snapshot

HOSTILE = "Zoë 🎉🇲🇱 met e\u0301le\u0301onore in Mali.\r\n\tTab <b>Mali</b> &amp; שלום Bamako 👩\u200d👩\u200d👧 Kyiv\n"


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records), encoding="utf-8")
    return path


def spans_of(text: str, *pairs: tuple[str, str]) -> list[dict]:
    out, cursor = [], 0
    for needle, label in pairs:
        start = text.index(needle, cursor)
        out.append({"start": start, "end": start + len(needle), "label": label})
        cursor = start + len(needle)
    return out


def test_seeds_import_byte_identical_and_idempotent(store, seeds_dir):
    report = import_paths(store, [seeds_dir], annotator="me")
    assert (report.files, report.new_documents) == (5, 5)
    for doc_id in store.document_ids():
        doc = store.document(doc_id)
        raw = (seeds_dir / doc.source).read_bytes()
        assert doc.text.encode("utf-8") == raw
        assert doc.content_hash == content_hash(doc.text)
    again = import_paths(store, [seeds_dir], annotator="me")
    assert (again.new_documents, again.known_documents) == (0, 5)
    assert store.document_count() == 5


def test_bom_crlf_tabs_and_markup_kept(store, tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + HOSTILE.encode("utf-8"))
    import_paths(store, [path], annotator="me")
    assert store.document(store.document_ids()[0]).text == HOSTILE


def test_jsonl_gold_attaches_to_known_text_and_keeps_predictions(store, tmp_path):
    text = "Mali is in Africa."
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    import_paths(store, [tmp_path / "a.txt"], annotator="me")
    doc_id = store.document_ids()[0]
    store.add_prediction(doc_id, "en_x", "1.0", [Span(0, 4, "PERSON", "model")])
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"text": text, "spans": spans_of(text, ("Mali", "GPE"), ("Africa", "LOC")), "answer": "accept"}])
    report = import_paths(store, [gold], annotator="me")
    assert (report.new_documents, report.known_documents, report.gold_documents) == (0, 1, 1)
    assert store.gold(doc_id, "me") == [Span(0, 4, "GPE"), Span(11, 17, "LOC")]
    assert store.prediction(doc_id).spans == [Span(0, 4, "PERSON", "model")]
    assert store.review(doc_id).state == ACCEPTED


def test_answers_map_to_states_and_doccano_is_read(store, tmp_path):
    path = write_jsonl(tmp_path / "mixed.jsonl", [
        {"text": "One Mali.", "spans": [], "answer": "ignore"},
        {"text": "Two Mali.", "label": [[4, 8, "GPE"]]},
        {"text": "Three Mali.", "entities": [{"start_offset": 6, "end_offset": 10, "label": "GPE"}]},
        {"text": "Four Mali."},
    ])
    import_paths(store, [path], annotator="me")
    ids = store.document_ids()
    assert [store.review(i).state for i in ids] == [SKIPPED, IN_PROGRESS, IN_PROGRESS, "todo"]
    assert store.gold(ids[1], "me") == [Span(4, 8, "GPE")]
    assert store.gold(ids[2], "me") == [Span(6, 10, "GPE")]


def test_misaligned_gold_is_kept_and_reported(store, tmp_path, tokenize):
    path = write_jsonl(tmp_path / "g.jsonl", [{"text": "Bamako, Mali", "spans": [{"start": 0, "end": 4, "label": "GPE"}], "answer": "accept"}])
    report = import_paths(store, [path], annotator="me", tokenize=tokenize)
    assert store.gold(store.document_ids()[0], "me") == [Span(0, 4, "GPE")]
    assert len(report.misaligned) == 1 and "g.jsonl:1" in report.misaligned[0] and "'Bama'" in report.misaligned[0]


def test_replacing_different_gold_logs_the_old_gold(store, tmp_path):
    text = "Mali and Niger."
    first = write_jsonl(tmp_path / "1.jsonl", [{"text": text, "spans": spans_of(text, ("Mali", "PERSON")), "answer": "accept"}])
    second = write_jsonl(tmp_path / "2.jsonl", [{"text": text, "spans": spans_of(text, ("Mali", "GPE")), "answer": "accept"}])
    import_paths(store, [first], annotator="me")
    report = import_paths(store, [second], annotator="me")
    assert report.gold_replaced == 1
    replaced = [e for e in store.edits() if e["action"] == "import_replaced_gold"]
    assert replaced[0]["payload"]["old_spans"][0]["label"] == "PERSON"


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    cases = {}
    p = tmp_path / "latin1.txt"
    p.write_bytes("Caf\xe9 in Bamako\nsecond line \xff".encode("latin-1"))
    cases["non-utf8"] = (p, r"latin1.txt:1: is not valid UTF-8 \(byte 0xe9")
    p = tmp_path / "image.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    cases["binary"] = (p, "image.txt:3: contains a NUL character")
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    cases["empty"] = (p, "empty.txt: is empty")
    p = tmp_path / "bom-only.txt"
    p.write_bytes(b"\xef\xbb\xbf")
    cases["bom-only"] = (p, "bom-only.txt: is empty")
    cases["malformed-json"] = (write_jsonl(tmp_path / "bad.jsonl", [{"text": "ok"}, '{"text": "broken'] ), r"bad.jsonl:2: malformed JSON")
    cases["missing-text"] = (write_jsonl(tmp_path / "notext.jsonl", [{"spans": []}]), r'notext.jsonl:1: missing "text"')
    cases["out-of-range"] = (write_jsonl(tmp_path / "range.jsonl", [{"text": "Mali", "spans": [{"start": 0, "end": 9, "label": "GPE"}]}]), r"range.jsonl:1: .*outside the text \(length 4\)")
    cases["reversed"] = (write_jsonl(tmp_path / "rev.jsonl", [{"text": "Mali", "spans": [{"start": 3, "end": 1, "label": "GPE"}]}]), r"rev.jsonl:1: .*reversed")
    cases["overlapping"] = (write_jsonl(tmp_path / "ovl.jsonl", [{"text": "Mali Niger", "spans": [{"start": 0, "end": 6, "label": "GPE"}, {"start": 5, "end": 10, "label": "GPE"}]}]), r"ovl.jsonl:1: .*overlaps")
    cases["unknown-label"] = (write_jsonl(tmp_path / "lab.jsonl", [{"text": "Mali", "spans": [{"start": 0, "end": 4, "label": "COUNTRY"}]}]), r"lab.jsonl:1: .*unknown label 'COUNTRY'")
    cases["no-such-path"] = (tmp_path / "missing.txt", r"missing.txt: does not exist")
    cases["wrong-type"] = (tmp_path / "doc.pdf", r"doc.pdf: unsupported file type")
    (tmp_path / "doc.pdf").write_bytes(b"%PDF")
    cases["empty-jsonl"] = (write_jsonl(tmp_path / "none.jsonl", []), "none.jsonl: is empty")
    return cases


CASES = ["non-utf8", "binary", "empty", "bom-only", "malformed-json", "missing-text", "out-of-range", "reversed",
         "overlapping", "unknown-label", "no-such-path", "wrong-type", "empty-jsonl"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_explained_and_changes_nothing(db_path, tmp_path, seeds_dir, case):
    good = tmp_path / "good.txt"
    good.write_text("A good file about Mali.", encoding="utf-8")
    with Store.open(db_path) as store:
        import_paths(store, [seeds_dir], annotator="me")
    before = snapshot(db_path)
    bad, message = _bad_inputs(tmp_path)[case]
    with Store.open(db_path) as store, pytest.raises(InputError, match=message):
        import_paths(store, [good, bad], annotator="me")
    assert snapshot(db_path) == before


def test_large_text_file_imports(store, tmp_path):
    line = "Russia and Mali signed an agreement in Bamako on Monday, officials said. 🎉\n"
    path = tmp_path / "big.txt"
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(5 * 1024 * 1024 // len(line.encode())):
            fh.write(line)
    import_paths(store, [path], annotator="me")
    doc = store.document(store.document_ids()[0])
    assert doc.text.encode("utf-8") == path.read_bytes()
    assert doc.content_hash == content_hash(doc.text)


def test_boilerplate_imported(store, tmp_path):
    text = "Body text here.\nShare\n"
    path = write_jsonl(tmp_path / "b.jsonl", [{"text": text, "spans": [], "boilerplate": [{"start": 16, "end": 21}], "answer": "accept"}])
    import_paths(store, [path], annotator="me")
    assert store.boilerplate(store.document_ids()[0], "me") == [Range(16, 21)]
