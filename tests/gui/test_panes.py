"""Both panes wrap the text at the same places, whatever the window's size or the splitter."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def line_starts(view) -> list[int]:
    doc = view.document()
    doc.documentLayout().documentSize()  # lay everything out
    starts = []
    block = doc.firstBlock()
    while block.isValid():
        layout = block.layout()
        starts += [block.position() + layout.lineAt(i).textStart() for i in range(layout.lineCount())]
        block = block.next()
    return starts


def test_panes_wrap_alike_when_resized_and_split(qtbot, window):
    for size, split in (((1400, 860), None), ((1000, 700), [500, 250]), ((780, 560), [200, 420])):
        window.resize(*size)
        if split:
            window.splitter.setSizes(split)
        qtbot.wait(50)
        model, gold = line_starts(window.model_view), line_starts(window.gold_view)
        assert len(model) > 20 and model == gold, size
