from annotator.core.labels import Label, LabelSet
from annotator.core.offsets import OffsetMap, display_text
from annotator.core.render import ADDED, CHANGED, REMOVED, SAME, render
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
    assert [h.status for h in g.highlights] == [CHANGED, SAME, REMOVED, ADDED]
    assert [h.ghost for h in g.highlights] == [False, False, True, False]  # the deleted span shows in gold too
    assert [h.status for h in m.highlights] == [CHANGED, SAME, REMOVED]
    assert [h.tag for h in g.highlights] == ["PERSON → GPE", "GPE", "− GPE", "+ PERSON"]
    assert [h.tag for h in m.highlights] == ["PERSON → GPE", "GPE", "− GPE"]  # old → new on both sides
    assert g.highlights[0].labels_old_new == (("PERSON", "#77AADD"), ("GPE", "#44BB99"))
    assert g.highlights[3].in_boilerplate and not g.highlights[0].in_boilerplate
    assert g.highlights[0].color == "#44BB99"
    shifted = render([Span(0, 5, "GPE")], [Span(0, 4, "PERSON", "model")], [], LABELS, gold_side=True)
    assert [h.tag for h in shifted.highlights] == ["≠ GPE"]  # other boundaries: no old -> new


def random_spans(rng, n: int) -> list[Span]:
    """``n`` sorted, non-overlapping spans with random gaps, lengths and labels."""
    out, pos = [], 0
    for _ in range(n):
        pos += rng.randint(0, 6)
        end = pos + rng.randint(1, 6)
        out.append(Span(pos, end, rng.choice(["GPE", "PERSON"])))
        pos = end
    return out


def test_render_overlap_sweep_matches_brute_force():
    import random

    rng = random.Random(1)
    for _ in range(200):
        def spans(n):
            return random_spans(rng, n)

        gold, model = spans(rng.randint(0, 12)), spans(rng.randint(0, 12))
        bp = [Range(r.start, r.end) for r in spans(rng.randint(0, 3))]
        result = render(gold, model, bp, LABELS, gold_side=True)
        for h, g in zip([h for h in result.highlights if not h.ghost], sorted(gold)):
            touching = any(m.start < g.end and g.start < m.end for m in model)
            expected = SAME if g in model or (g.start, g.end, g.label) in {(m.start, m.end, m.label) for m in model} else (CHANGED if touching else ADDED)
            assert h.status == expected
            assert h.in_boilerplate == any(r.start < g.end and g.start < r.end for r in bp)
        ghosts = [(h.start, h.end, h.label) for h in result.highlights if h.ghost]
        assert ghosts == [(m.start, m.end, m.label) for m in sorted(model)
                          if not any(m.start < g.end and g.start < m.end for g in gold)]


def test_rerender_equals_full_render_after_random_edits():
    import random

    from annotator.core.render import rerender

    rng = random.Random(5)

    def spans(n):
        return random_spans(rng, n)

    for _ in range(300):
        model, gold = spans(rng.randint(0, 15)), spans(rng.randint(0, 15))
        bp = [Range(r.start, r.end) for r in spans(rng.randint(0, 3))]
        before_g = render(gold, model, bp, LABELS, gold_side=True)
        before_m = render(model, gold, bp, LABELS, gold_side=False)
        # an edit: relabel, delete or add one gold span, or change the boilerplate
        new_gold, new_bp, changed = list(gold), list(bp), []
        kind = rng.choice(["relabel", "delete", "add", "boilerplate"])
        if kind in ("relabel", "delete") and new_gold:
            k = rng.randrange(len(new_gold))
            old = new_gold.pop(k)
            changed.append(Range(old.start, old.end))
            if kind == "relabel":
                new_gold.insert(k, Span(old.start, old.end, "PERSON" if old.label == "GPE" else "GPE"))
        elif kind == "add":
            free = [p for p in range(60) if all(not (s.start <= p < s.end) for s in new_gold)]
            if free:
                p = rng.choice(free)
                new_gold.append(Span(p, p + 1, "GPE"))
                changed.append(Range(p, p + 1))
        else:
            r = Range(rng.randint(0, 40), rng.randint(41, 60))
            new_bp = [r]
            changed += [r, *bp]
        new_gold.sort()
        expect_g = render(new_gold, model, new_bp, LABELS, gold_side=True)
        expect_m = render(model, new_gold, new_bp, LABELS, gold_side=False)
        assert rerender(before_g, new_gold, sorted(model), new_bp, LABELS, gold_side=True, changed=changed) == expect_g
        assert rerender(before_m, sorted(model), new_gold, new_bp, LABELS, gold_side=False, changed=changed) == expect_m


def test_candidates_are_tagged_by_the_annotators_numbers_one_tag_per_conflict():
    from annotator.core.adjudication import candidates
    from annotator.core.render import caption_candidates
    from annotator.core.team import Layer

    # "Mali met Keita in Bamako": everyone has Bamako GPE; ann and cy Keita PERSON, bob nothing there;
    # Mali: ann GPE, bob LOC, cy GPE
    ann = Layer("ann", [Span(0, 4, "GPE"), Span(9, 14, "PERSON"), Span(18, 24, "GPE")], [])
    bob = Layer("bob", [Span(0, 4, "LOC"), Span(18, 24, "GPE")], [])
    cy = Layer("cy", [Span(0, 4, "GPE"), Span(9, 14, "PERSON"), Span(18, 24, "GPE")], [])
    found = candidates([ann, bob, cy])
    final = [Span(18, 24, "GPE")]
    rendering = caption_candidates(render([c.span for c in found], final, [], LABELS, gold_side=False), found,
                                   ("ann", "bob", "cy"))
    tags = {(h.start, h.end, h.label): (h.tag, h.status) for h in rendering.highlights}
    assert tags == {
        (0, 4, "GPE"): ("1 3: GPE / 2: LOC", REMOVED),  # the group's tag, on its first member
        (0, 4, "LOC"): ("", REMOVED),
        (9, 14, "PERSON"): ("PERSON · 1 3", REMOVED),
        (18, 24, "GPE"): ("GPE · 1 2 3", SAME),
    }
