"""Boilerplate suggestions are visible before they are accepted; accept one, dismiss one, accept all."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def test_suggestions_show_on_open_and_one_can_be_accepted_or_dismissed(qtbot, window):
    window.show_document(window.store.document_ids()[3])  # 003: a repeated headline block and an appended article
    view = window.gold_view
    offered = list(view.rendering.suggested)
    assert offered and window.view.boilerplate == []
    assert f"{len(offered)} boilerplate suggestion(s)" in window.doc_status.text()
    view.setFocus()
    first, second = offered[0], offered[1]
    view.place_cursor(first.start)
    qtbot.keyClick(view, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    assert [(r.start, r.end) for r in window.view.boilerplate] == [(first.start, first.end)]
    assert first not in view.rendering.suggested and second in view.rendering.suggested
    view.place_cursor(second.start)
    qtbot.keyClick(view, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier)
    assert second not in view.rendering.suggested and len(window.view.boilerplate) == 1
    doc = window.view.document.id
    window.show_document(window.store.document_ids()[0])
    window.show_document(doc)  # a dismissed suggestion stays dismissed
    assert second not in window.gold_view.rendering.suggested
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the dismissal
    assert second in window.gold_view.rendering.suggested
    qtbot.keyClick(window.gold_view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    marked = window.view.boilerplate
    assert all(any(r.start <= s.start and s.end <= r.end for r in marked) for s in offered)
    assert window.gold_view.rendering.suggested == ()


def test_margin_shows_suggested_and_marked_boilerplate(qtbot, window):
    view = window.gold_view
    offered = view.rendering.suggested
    view.place_cursor(offered[0].start)
    view.ensureCursorVisible()
    rect = view.span_rects(offered[0].start, offered[0].start + 1)[0]
    image = view.viewport().grab().toImage()
    rows = range(int(rect.top()), int(rect.bottom()))
    hatched = {image.pixel(x, y) for x in range(1, 8) for y in rows}
    assert len(hatched) > 1, "a hatched band in the margin"
    view.setFocus()
    view.place_cursor(offered[0].start)
    qtbot.keyClick(view, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    image = view.viewport().grab().toImage()
    solid = {image.pixel(x, y) for x in range(3, 6) for y in range(int(rect.top()) + 2, int(rect.bottom()) - 2)}
    assert len(solid) == 1 and solid != {image.pixel(30, int(rect.top()) - 3)}, "a solid bar once marked"
