"""What the panes paint: every span in view is highlighted on the first paint, whatever the order
the documents are opened in (issue 11: a document once showed plain text until scrolled)."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from PySide6.QtGui import QColor

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def painted_colour(view, image, offset: int) -> QColor:
    """The colour painted just inside the top edge of the character at ``offset``."""
    rect = view.span_rects(offset, offset + 1)[0]
    y = math.ceil(rect.top())
    colours = Counter(image.pixel(x, y) for x in range(math.ceil(rect.left()), max(math.ceil(rect.left()) + 1,
                                                                                  int(rect.right()))))
    return QColor(colours.most_common(1)[0][0])


def visible_spans(view, spans):
    """Spans fully in view, outside the washes of boilerplate and suggestions."""
    height = view.viewport().height()
    washed = [*view.rendering.greyed, *view.rendering.suggested]
    out = []
    for span in spans:
        if any(r.start < span.end and span.start < r.end for r in washed):
            continue
        rects = view.span_rects(span.start, span.end)
        if rects and rects[0].top() >= 0 and rects[0].bottom() < height and not view.document().toPlainText()[
                view.offset_map.to_qt(span.start)].isspace():
            out.append(span)
    return out


@pytest.mark.parametrize("order", [[0, 1, 2, 3, 4], [3, 0, 4, 1, 2], [4, 3, 2, 1, 0]])
def test_every_seed_paints_every_visible_span_on_its_first_paint(window, order):
    ids = window.store.document_ids()
    for k in order:
        window.show_document(ids[k])
        for view, spans in ((window.gold_view, window.view.gold), (window.model_view, window.view.model_spans)):
            image = view.viewport().grab().toImage()  # the first paint of this document
            shown = visible_spans(view, spans)
            assert shown, f"{window.view.document.source}: no span in view at all"
            for span in shown:
                colour = painted_colour(view, image, span.start)
                assert colour == QColor(window.labels.color(span.label)), \
                    (window.view.document.source, view.objectName(), span)
