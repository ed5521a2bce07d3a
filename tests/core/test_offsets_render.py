from annotator.core.labels import Label, LabelSet
from annotator.core.offsets import OffsetMap, display_text
from annotator.core.render import ADDED, CHANGED, REMOVED, SAME, changed_ranges, render
from annotator.core.spans import Range, Span

TEXT = "a🎉b\r\nc🇲🇱d e\u0301 👩\u200d👩\u200d👧 Mali"


def test_offset_map_round_trips_every_position():
    m = OffsetMap(TEXT)
    utf16 = TEXT.encode("utf-16-le")
    for cp in range(len(TEXT) + 1):
        q = m.to_qt(cp)
        assert q == len(TEXT[:cp].encode("utf-16-le")) // 2
        assert m.from_qt(q) == cp
    assert m.qt_length() == len(utf16) // 2
    # a position between the two halves of a surrogate pair rounds down to the character
    assert m.from_qt(m.to_qt(1) + 1) == 1


def test_display_text_keeps_length_and_crlf_positions():
    shown = display_text(TEXT)
    assert len(shown) == len(TEXT)
    assert "\r" not in shown and shown.index("\n") == TEXT.index("\n")
    assert display_text("plain") == "plain"


LABELS = LabelSet((Label("GPE", "#44BB99", "G"), Label("PERSON", "#77AADD", "P")))


def test_render_marks_differences_on_both_sides():
    model = [Span(0, 4, "PERSON", "model"), Span(10, 15, "GPE", "model"), Span(20, 24, "GPE", "model")]
    gold = [Span(0, 4, "GPE"), Span(10, 15, "GPE", "model"), Span(30, 34, "PERSON")]
    g = render(gold, model, [Range(29, 40)], LABELS, gold_side=True)
    m = render(model, gold, [], LABELS, gold_side=False)
    assert [h.status for h in g.highlights] == [CHANGED, SAME, ADDED]
    assert [h.status for h in m.highlights] == [CHANGED, SAME, REMOVED]
    assert [h.tag for h in g.highlights] == ["≠ GPE", "GPE", "+ PERSON"]
    assert g.highlights[2].in_boilerplate and not g.highlights[0].in_boilerplate
    assert g.highlights[0].color == "#44BB99"


def test_changed_ranges_only_what_differs():
    a = render([Span(0, 4, "GPE"), Span(5, 9, "GPE")], [], [], LABELS, gold_side=True)
    b = render([Span(0, 4, "PERSON"), Span(5, 9, "GPE")], [], [Range(20, 25)], LABELS, gold_side=True)
    assert changed_ranges(a, b) == [Range(0, 4), Range(0, 4), Range(20, 25)]
