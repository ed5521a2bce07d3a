"""The text pane's first paint of a long document lays out what it shows, not the whole text."""

from __future__ import annotations

from PySide6.QtCore import QPoint

from annotator.core.render import Rendering
from annotator.gui.text_view import AnnotatedTextView


def long_text(paragraphs: int = 400) -> str:
    return "\n".join(f"Paragraph {i}: " + " ".join(f"word{j}" for j in range(60)) for i in range(paragraphs))


def shown_pane(qtbot) -> AnnotatedTextView:
    view = AnnotatedTextView("pane")
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_the_visible_range_of_a_fresh_long_document_lays_out_only_its_top(qtbot):
    view = shown_pane(qtbot)
    view.set_document(long_text(), Rendering((), ()))
    first, last = view._visible_qt_range()  # no events processed: Qt has laid out only its first step
    doc = view.document()
    middle = doc.findBlockByNumber(doc.blockCount() // 2)
    assert middle.layout().lineCount() == 0, "asking what is visible laid out half the document"
    # and the answer is right: the characters at the viewport's top-left and bottom-left corners
    assert first == 0
    bottom = view.cursorForPosition(QPoint(5, view.viewport().height() - 2)).position()
    assert first < bottom <= last
    assert last - bottom < 200  # the end of the last visible line, not a position far below it


def test_the_visible_range_after_scrolling_to_the_middle(qtbot):
    view = shown_pane(qtbot)
    text = long_text()
    view.set_document(text, Rendering((), ()))
    view.select_range(len(text) // 2, len(text) // 2 + 5)
    first, last = view._visible_qt_range()
    top = view.cursorForPosition(QPoint(5, 2)).position()
    bottom = view.cursorForPosition(QPoint(5, view.viewport().height() - 2)).position()
    assert first <= top < first + 200
    assert top < len(text) // 2 <= last  # the selection scrolled into view is inside the range
    assert bottom <= last < bottom + 200
