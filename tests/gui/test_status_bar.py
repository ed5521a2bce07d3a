"""The status bar when it is crowded: the document line (file, state, span counts) stays
readable; the flag note and the long tail of the document line are cut with an ellipsis and
shown whole in their tooltips; the hint gives way first, and comes back when there is room."""

from __future__ import annotations

import pytest
from annotator.ops import flags
from tests.gui.test_find import type_search

pytestmark = [pytest.mark.gui, pytest.mark.integration]

NOTE = "Is the ministry an ORG here, or is it the government of the country as a whole?"


def settle(qtbot, window) -> None:
    window.statusBar().layout().activate()
    qtbot.wait(50)


def essentials(window) -> str:
    """file · state · n gold spans · n model spans"""
    return " · ".join(window.doc_status.text().split(" · ")[:4])


def visible_widths(window):
    labels = [window.doc_status, window.find_status, window.flag_status, window.hint_label, window.progress_status]
    return [(label, label.geometry()) for label in labels if label.isVisible() and label.width() > 0]


def test_crowded_status_bar_keeps_the_document_line(qtbot, window):
    window.resize(1000, 700)
    flags.set_flag(window.store, window.view.document.id, "tester", NOTE)
    window.show_flag()
    type_search(qtbot, window, "Russia")
    qtbot.waitUntil(lambda: window.find_status.text() != "")
    window.gold_view.setFocus()
    window.update_guidance()
    assert window.hint_label.text() and window.flag_status.isVisible()
    settle(qtbot, window)

    doc = window.doc_status
    assert "boilerplate suggestion" in doc.text()  # the seed's line is longer than the room left
    assert doc.width() >= doc.fontMetrics().horizontalAdvance(essentials(window))  # file, state, counts readable
    assert doc.is_elided() and doc.toolTip().startswith(doc.text())  # the rest in the tooltip
    flag = window.flag_status
    assert flag.width() >= flag.fontMetrics().horizontalAdvance("⚑ unsure")
    assert flag.text().startswith("⚑ unsure: Is the ministry")
    places = visible_widths(window)
    for i, (_, a) in enumerate(places):  # side by side, none drawn over another
        for _, b in places[i + 1:]:
            assert not a.intersects(b)
    assert window.hint_label.width() == 0  # the hint gave way first

    window.resize(2400, 700)  # room again: everything whole, the hint back
    settle(qtbot, window)
    qtbot.waitUntil(lambda: window.hint_label.width() > 0)
    assert not doc.is_elided() and doc.toolTip() == ""
    assert not window.hint_label.is_elided()


def test_hint_tooltip_and_own_tooltip(qtbot, window):
    """A tooltip set on a status label survives its text changing; the cut text is added to it."""
    doc = window.doc_status
    doc.setToolTip("Alt+n takes annotator n's span")
    window.resize(2400, 700)
    settle(qtbot, window)
    doc.set_text("short line")
    assert doc.toolTip() == "Alt+n takes annotator n's span"
    doc.set_text("x" * 2000)
    settle(qtbot, window)
    assert doc.is_elided()
    assert doc.toolTip() == "x" * 2000 + "\n\nAlt+n takes annotator n's span"
