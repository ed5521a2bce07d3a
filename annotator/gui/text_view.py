"""A read-only, keyboard-selectable text pane with entity highlights painted as an overlay.

The document holds only plain text (never HTML). Highlights, the boilerplate wash,
difference underlines and label tags are painted per frame for the visible spans only, so
opening a 1 MB document costs one ``insertText`` and an edit costs one repaint. Character
formats over the whole document were measured first and were 10x slower to open (see
benchmarks/gui_speed.py).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from functools import lru_cache
from itertools import accumulate

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush, QColor, QPalette, QFont, QFontMetrics, QHelpEvent, QKeyEvent, QPainter, QPainterPath, QPaintEvent, QPen, QTextBlockFormat, QWheelEvent,
    QTextCursor, QTextDocument,
)
from PySide6.QtWidgets import QTextEdit, QToolTip, QWidget

from annotator.core.offsets import OffsetMap, display_text
from annotator.core.render import SAME, Highlight, Rendering

LINE_HEIGHT_PERCENT = 180  # room under each line for the label tags
DIFF_COLOR = QColor("#D81B60")
HIT_COLOR = QColor("#E65100")  # find hits on a light palette (labels are pastel fills)
HIT_COLOR_DARK = QColor("#FFB300")  # and on a dark one


READABLE = 4.5  # WCAG AA contrast for normal text


def blend(color: QColor, base: QColor, amount: float) -> QColor:
    """``amount`` of ``color`` over ``base`` (opaque)."""
    return QColor(round(color.red() * amount + base.red() * (1 - amount)),
                  round(color.green() * amount + base.green() * (1 - amount)),
                  round(color.blue() * amount + base.blue() * (1 - amount)))


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two opaque colours (1 to 21)."""
    def luminance(c: QColor) -> float:
        def channel(v: int) -> float:
            x = v / 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@lru_cache(maxsize=512)
def _dark_fill(color: int, base: int, text: int) -> int:
    c, b, t = QColor(color), QColor(base), QColor(text)
    amount = 0.42
    fill = blend(c, b, amount)
    while contrast(fill, t) < READABLE and amount > 0.12:
        amount -= 0.03
        fill = blend(c, b, amount)
    return fill.rgb()


def dark_fill(color: QColor, base: QColor, text: QColor) -> QColor:
    """A span's fill on a dark theme: the label's hue over ``base``, deep enough for ``text`` to read."""
    return QColor.fromRgb(_dark_fill(color.rgb(), base.rgb(), text.rgb()))


@lru_cache(maxsize=512)
def _tag_fill(color: int) -> int:
    factor = 170
    fill = QColor(color).darker(factor)
    while contrast(fill, QColor("#FFFFFF")) < READABLE and factor < 400:
        factor += 10
        fill = QColor(color).darker(factor)
    return fill.rgb()


def tag_fill(color: QColor) -> QColor:
    """A label tag's background: the label's colour, dark enough for its white name to read."""
    return QColor.fromRgb(_tag_fill(color.rgb()))


class AnnotatedTextView(QTextEdit):
    """Shows one document. Offsets in and out are code points; Qt positions stay inside."""

    navigate = Signal(bool)  # Tab (True) / Shift+Tab (False): next or previous span
    zoom_requested = Signal(int)  # Ctrl+wheel: steps in (+) or out (-); the window zooms both panes

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(title)
        self.setReadOnly(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setUndoRedoEnabled(False)
        self.setAcceptRichText(False)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        font = self.font()
        self.base_point_size = max(font.pointSizeF(), 10.5)  # View → Zoom scales from this
        font.setPointSizeF(self.base_point_size)
        self.setFont(font)
        self._tag_font = QFont(font)
        self._tag_font.setPointSizeF(font.pointSizeF() * 0.66)
        self._tag_font.setBold(True)
        self._tag_metrics = QFontMetrics(self._tag_font)
        self._map = OffsetMap("")
        self._rendering = Rendering((), ())
        self._qt_starts: list[int] = []
        self._qt_ends_max: list[int] = []
        self._grey_qt: list[tuple[int, int]] = []
        self._grey_ends: list[int] = []
        self._suggested_qt: list[tuple[int, int]] = []
        self._suggested_ends: list[int] = []
        self._hits_qt: list[tuple[int, int]] = []  # find hits (Qt positions), sorted
        self._hit_ends: list[int] = []
        self._current_hit = -1
        # The first viewport() of a process gives the viewport its Python wrapper by shiboken's
        # type discovery, which first loads every lazily loaded QtWidgets class (~66 M instructions,
        # ~5 % of the start): found by its name, the same widget gets its wrapper at once, and
        # viewport() then returns that wrapper.
        self.findChild(QWidget, "qt_scrollarea_viewport")
        self.adopt_palette(self.palette())

    def adopt_palette(self, palette: QPalette) -> None:
        """Take ``palette`` (the application's, after a theme change) with a translucent selection:
        a selected span keeps its label colour and its text stays readable."""
        palette = QPalette(palette)
        selection = QColor(palette.highlight().color())
        selection.setAlpha(90)
        palette.setColor(QPalette.ColorRole.Highlight, selection)
        palette.setColor(QPalette.ColorRole.HighlightedText, palette.text().color())
        self.setPalette(palette)
        self.viewport().update()

    def set_point_size(self, size: float) -> None:
        """The text's size in points (zoom); the label tags follow. Offsets and spans do not change."""
        font = self.font()
        font.setPointSizeF(size)
        self.setFont(font)
        self.document().setDefaultFont(font)
        self._tag_font.setPointSizeF(size * 0.66)
        self._tag_metrics = QFontMetrics(self._tag_font)
        self.viewport().update()

    def is_dark(self) -> bool:
        return self.palette().base().color().lightness() < 128

    # -- content ----------------------------------------------------------------------
    def set_document(self, text: str, rendering: Rendering) -> None:
        """Show ``text`` as plain text with ``rendering`` painted over it."""
        self._map = OffsetMap(text)
        document = QTextDocument(self)
        document.setUndoRedoEnabled(False)
        document.setDefaultFont(self.font())
        document.setDocumentMargin(12)
        cursor = QTextCursor(document)
        block = QTextBlockFormat()
        block.setLineHeight(LINE_HEIGHT_PERCENT, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        cursor.setBlockFormat(block)  # new blocks inherit it: no pass over the whole document
        cursor.insertText(display_text(text))
        self.setDocument(document)  # Qt deletes the previous one: it was our child
        self._hits_qt, self._hit_ends, self._current_hit = [], [], -1  # the last document's find hits
        self.update_rendering(rendering)
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def update_rendering(self, rendering: Rendering) -> None:
        """Take a new rendering and repaint; nothing in the document changes."""
        self._rendering = rendering
        to_qt = self._map.to_qt
        if self._map.is_identity:  # no character outside the BMP: Qt positions are our offsets
            self._qt_starts = [h[0] for h in rendering.highlights]
            ends = [h[1] for h in rendering.highlights]
        else:
            self._qt_starts = [to_qt(h.start) for h in rendering.highlights]
            ends = [to_qt(h.end) for h in rendering.highlights]
        self._qt_ends_max = list(accumulate(ends, max))  # the furthest end so far (highlights may overlap)
        self._grey_qt = [(to_qt(r.start), to_qt(r.end)) for r in rendering.greyed]
        self._grey_ends = [e for _, e in self._grey_qt]
        self._suggested_qt = [(to_qt(r.start), to_qt(r.end)) for r in rendering.suggested]
        self._suggested_ends = [e for _, e in self._suggested_qt]
        self.viewport().update()

    def set_find_hits(self, hits: list[tuple[int, int]], current: int = -1) -> None:
        """Outline the find hits [start, end) (code points, sorted); ``current`` (an index) thicker,
        and washed unless it is the selection."""
        to_qt = self._map.to_qt
        self._hits_qt = [(to_qt(start), to_qt(end)) for start, end in hits]
        self._hit_ends = [e for _, e in self._hits_qt]
        self._current_hit = current
        self.viewport().update()

    @property
    def find_hits(self) -> list[tuple[int, int]]:
        """The find hits shown, as code points (tests and the status bar read them)."""
        return [(self._map.from_qt(qs), self._map.from_qt(qe)) for qs, qe in self._hits_qt]

    @property
    def current_hit(self) -> int:
        return self._current_hit

    @property
    def rendering(self) -> Rendering:
        return self._rendering

    # -- offsets and selection --------------------------------------------------------
    @property
    def offset_map(self) -> OffsetMap:
        return self._map

    def selection(self) -> tuple[int, int]:
        """The selection as code-point offsets (start == end when nothing is selected)."""
        c = self.textCursor()
        return self._map.from_qt(c.selectionStart()), self._map.from_qt(c.selectionEnd())

    def cursor_offset(self) -> int:
        return self._map.from_qt(self.textCursor().position())

    def select_range(self, start: int, end: int) -> None:
        """Select [start, end) and scroll it into view."""
        c = self.textCursor()
        c.setPosition(self._map.to_qt(start))
        c.setPosition(self._map.to_qt(end), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(c)
        self.ensureCursorVisible()

    def place_cursor(self, offset: int) -> None:
        c = self.textCursor()
        c.setPosition(self._map.to_qt(offset))
        self.setTextCursor(c)

    def first_visible_offset(self) -> int:
        return self._map.from_qt(self._visible_qt_range()[0])

    def offset_top(self, offset: int) -> int:
        c = QTextCursor(self.document())
        c.setPosition(self._map.to_qt(min(offset, self._map.length)))
        return self.cursorRect(c).top()

    def scroll_to_offset_at(self, offset: int, y: int) -> None:
        """Scroll so that ``offset`` sits at viewport height ``y`` (pane synchronisation)."""
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + self.offset_top(offset) - y)

    # -- geometry -----------------------------------------------------------------------
    def _line_rects(self, qs: int, qe: int) -> Iterator[tuple[QRectF, float]]:
        """Viewport rectangles of the text [qs, qe) line by line, with each line's bottom (for tags)."""
        doc = self.document()
        layout = doc.documentLayout()
        dx, dy = -self.horizontalScrollBar().value(), -self.verticalScrollBar().value()
        block = doc.findBlock(qs)
        while block.isValid() and block.position() < qe:
            text_layout = block.layout()
            origin = layout.blockBoundingRect(block).topLeft()
            base = block.position()
            for i in range(text_layout.lineCount()):
                line = text_layout.lineAt(i)
                ls, le = base + line.textStart(), base + line.textStart() + line.textLength()
                if le <= qs and not (ls == le == qs):
                    continue
                if ls >= qe:
                    break
                a, b = max(qs, ls), min(qe, le)
                x1 = line.cursorToX(a - base)[0]
                x2 = line.cursorToX(b - base)[0]
                top = origin.y() + line.y() + dy
                rect = QRectF(origin.x() + x1 + dx, top, max(x2 - x1, 2.0), line.ascent() + line.descent())
                yield rect, top + line.ascent() + line.descent()
            block = block.next()

    def span_rects(self, start: int, end: int) -> list[QRectF]:
        """Viewport rectangles where the text [start, end) (code points) is drawn, one per line."""
        return [rect for rect, _ in self._line_rects(self._map.to_qt(start), self._map.to_qt(end))]

    def _visible_qt_range(self) -> tuple[int, int]:
        """Qt positions of the first and last character in the viewport.

        Walks the layout (blockBoundingRect lays a block out when it has not been yet) rather
        than hit-testing a point: before the first paint has laid the document out, a hit test
        in the margin answered a position near the end, and nothing was painted until a scroll.
        """
        doc = self.document()
        layout = doc.documentLayout()
        top = float(self.verticalScrollBar().value())
        bottom = top + self.viewport().height()
        count = doc.blockCount()
        if count == 0:
            return 0, 0

        def first_block_below(y: float) -> int:
            # The first block whose bottom is below y (the last one at most). Galloping from the
            # top, then bisecting: asking a block's rectangle lays out every block before it, so a
            # plain bisection from the middle laid out half a fresh document before its first paint.
            lo, step = 0, 1
            while lo + step < count - 1 and layout.blockBoundingRect(doc.findBlockByNumber(lo + step)).bottom() <= y:
                lo, step = lo + step, step * 2
            hi = min(lo + step, count - 1)
            while lo < hi:
                mid = (lo + hi) // 2
                if layout.blockBoundingRect(doc.findBlockByNumber(mid)).bottom() <= y:
                    lo = mid + 1
                else:
                    hi = mid
            return lo

        def position_at(number: int, y: float, last: bool) -> int:
            block = doc.findBlockByNumber(number)
            rect = layout.blockBoundingRect(block)
            text_layout = block.layout()
            position = block.position() + (block.length() - 1 if last else 0)
            for i in range(text_layout.lineCount()):
                line = text_layout.lineAt(i)
                line_top, line_bottom = rect.top() + line.y(), rect.top() + line.y() + line.height()
                if not last and line_bottom > y:
                    return block.position() + line.textStart()
                if last and line_top >= y:
                    return block.position() + max(0, line.textStart() - 1)
            return position

        first = position_at(first_block_below(top), top, last=False)
        last = position_at(first_block_below(bottom), bottom, last=True)
        return first, max(first, last) + 1

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        highlights = self._rendering.highlights
        first, last = self._visible_qt_range()
        lo = bisect_left(self._qt_ends_max, first + 1)
        hi = bisect_right(self._qt_starts, last)
        dark = self.is_dark()
        base = self.palette().base().color()
        painter = QPainter(self.viewport())
        visible: list[tuple[Highlight, list[tuple[QRectF, float]]]] = []
        for k in range(lo, hi):
            h = highlights[k]
            rects = list(self._line_rects(self._qt_starts[k], self._map.to_qt(h.end)))
            visible.append((h, rects))
            if h.ghost:
                continue  # a deleted span: outlined after the text, not filled
            color = QColor(h.color)
            if dark:  # the label's hue, deep enough for the light text of a dark theme
                color = dark_fill(color, base, self.palette().text().color())
            for rect, _bottom in rects:
                painter.fillRect(rect.adjusted(-1, -1, 1, 1), color)
        hit_color = HIT_COLOR_DARK if dark else HIT_COLOR
        cursor = self.textCursor()
        if 0 <= self._current_hit < len(self._hits_qt) and (cursor.selectionStart(), cursor.selectionEnd()) != \
                self._hits_qt[self._current_hit]:  # the current hit, unless selected: a wash under its text
            wash = QColor(hit_color)
            wash.setAlpha(110 if dark else 90)
            for rect, _bottom in self._line_rects(*self._hits_qt[self._current_hit]):
                painter.fillRect(rect.adjusted(-2, -2, 2, 2), wash)
        painter.end()
        super().paintEvent(event)  # the text, the selection and the cursor, over the highlights
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_boilerplate(painter, first, last)
        self._paint_hits(painter, first, last, hit_color)
        self._paint_selected_frame(painter)
        pen = QPen(DIFF_COLOR, 1.4)
        painter.setFont(self._tag_font)
        tag_h = self._tag_metrics.height()
        width = self.viewport().width()
        last_line, last_right = None, -1.0
        for h, rects in visible:
            if h.ghost:
                outline = QColor(h.color) if dark else QColor(h.color).darker(130)  # the pastel shows on dark
                ghost_pen = QPen(outline, 1.6, Qt.PenStyle.DashLine)
                painter.setPen(ghost_pen)
                for rect, _bottom in rects:
                    painter.drawRect(rect.adjusted(-1, -1, 1, 1))
            elif h.status != SAME:
                painter.setPen(pen)
                for rect, bottom in rects:
                    self._zigzag(painter, rect.left(), rect.right(), bottom + 0.5)
            if not rects:
                continue
            rect, bottom = rects[0]
            tag = h.tag
            if not tag:  # one tag speaks for a group of overlapping candidates
                continue
            tag_w = self._tag_metrics.horizontalAdvance(tag) + 6
            left = rect.left()
            if last_line == bottom and left < last_right + 3:  # keep tags of neighbouring spans apart
                left = last_right + 3
            left = max(0.0, min(left, width - tag_w - 2))  # never clipped at the pane's edge
            box = QRectF(left, bottom + 2.5, tag_w, tag_h)
            last_line, last_right = bottom, box.right()
            self._paint_tag(painter, box, h)
        painter.end()

    def _paint_tag(self, painter: QPainter, box: QRectF, h: Highlight) -> None:
        """A label tag: muted inside boilerplate, old → new in both labels' colours when relabelled."""
        if h.in_boilerplate:
            painter.fillRect(box, QColor("#9E9E9E"))
        elif h.ghost:
            painter.fillRect(box, QColor("#6D4C41"))
        elif h.relabelled:
            (old, old_color), (_new, new_color) = h.labels_old_new
            split = self._tag_metrics.horizontalAdvance(f"{old} →") + 4
            painter.fillRect(QRectF(box.left(), box.top(), split, box.height()), tag_fill(QColor(old_color)))
            painter.fillRect(QRectF(box.left() + split, box.top(), box.width() - split, box.height()),
                             tag_fill(QColor(new_color)))
            painter.setPen(QPen(DIFF_COLOR, 1.2))
            painter.drawRect(box)
        elif h.status != SAME:
            painter.fillRect(box, DIFF_COLOR)
        else:
            painter.fillRect(box, tag_fill(QColor(h.color)))
        painter.setPen(QColor("#FFFFFF"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, h.tag)

    def _paint_boilerplate(self, painter: QPainter, first: int, last: int) -> None:
        """Boilerplate washed out with a solid bar in the left margin; suggestions not yet
        accepted with a faint wash and a hatched bar, so they read at a glance."""
        wash = QColor(self.palette().base().color())
        wash.setAlpha(150)
        bar = QColor("#8A8A8A")
        hint = QColor(self.palette().text().color())
        hint.setAlpha(22)
        margin = max(4.0, self.document().documentMargin() - 5)
        for spans, ends, kind in ((self._grey_qt, self._grey_ends, "marked"),
                                  (self._suggested_qt, self._suggested_ends, "suggested")):
            for qs, qe in spans[bisect_left(ends, first + 1):]:
                if qs > last:
                    break
                rows = list(self._line_rects(qs, qe))
                for rect, bottom in rows:
                    area = QRectF(rect.left(), rect.top(), rect.width(), bottom - rect.top() + 1)
                    painter.fillRect(area, wash if kind == "marked" else hint)
                if rows:
                    top, bottom = rows[0][0].top(), rows[-1][1]
                    band = QRectF(1, top, margin, bottom - top + 1)
                    if kind == "marked":
                        painter.fillRect(band, bar)
                    else:
                        painter.fillRect(band, QBrush(bar, Qt.BrushStyle.BDiagPattern))

    def _paint_hits(self, painter: QPainter, first: int, last: int, color: QColor) -> None:
        """Find hits: an outline in a colour no label uses (thicker on the current hit), over the
        span fills so a hit inside a span still shows; only the visible hits are drawn."""
        k = bisect_left(self._hit_ends, first + 1)
        while k < len(self._hits_qt) and self._hits_qt[k][0] <= last:
            current = k == self._current_hit
            painter.setPen(QPen(color, 3.2 if current else 1.6))
            grow = 3.0 if current else 2.5
            for rect, _bottom in self._line_rects(*self._hits_qt[k]):
                painter.drawRoundedRect(rect.adjusted(-grow, -grow, grow, grow), 3, 3)
            k += 1

    def _paint_selected_frame(self, painter: QPainter) -> None:
        """A frame around the selection when it is exactly a span, in the span's colour."""
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        k = bisect_left(self._qt_starts, start)
        highlights = self._rendering.highlights
        if k < len(highlights) and self._qt_starts[k] == start and self._map.to_qt(highlights[k].end) == end:
            color = QColor(highlights[k].color)
            painter.setPen(QPen(color if self.is_dark() else color.darker(150), 2.0))
            for rect, _bottom in self._line_rects(start, end):
                painter.drawRect(rect.adjusted(-2, -2, 2, 2))

    @staticmethod
    def _zigzag(painter: QPainter, x1: float, x2: float, y: float) -> None:
        path = QPainterPath(QPointF(x1, y))
        x, up = x1, True
        while x < x2:
            x = min(x + 2.5, x2)
            path.lineTo(x, y - 1.5 if up else y + 0.5)
            up = not up
        painter.drawPath(path)

    # -- tooltips and keys ----------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        """Ctrl+wheel asks the window to zoom (QTextEdit would zoom a read-only pane alone)."""
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._wheel_rest = getattr(self, "_wheel_rest", 0) + event.angleDelta().y()
            steps = int(self._wheel_rest / 120)  # a touchpad sends small deltas: whole notches only
            if steps:
                self._wheel_rest -= steps * 120
                self.zoom_requested.emit(steps)
            event.accept()
            return
        super().wheelEvent(event)

    def event(self, event) -> bool:  # noqa: ANN001 - QEvent
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Tab and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                self.navigate.emit(True)
                return True
            if event.key() == Qt.Key.Key_Backtab:
                self.navigate.emit(False)
                return True
        if isinstance(event, QHelpEvent) and event.type() == QHelpEvent.Type.ToolTip:
            offset = self._map.from_qt(self.cursorForPosition(self.viewport().mapFromGlobal(event.globalPos())).position())
            h = self._highlight_containing(offset)
            if h is not None:
                note = "" if h.status == SAME else f" — {h.status} compared with the other side"
                QToolTip.showText(event.globalPos(), f"{h.label}  [{h.start}, {h.end}){note}", self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def _highlight_containing(self, offset: int) -> Highlight | None:
        q = self._map.to_qt(offset)
        k = bisect_right(self._qt_starts, q) - 1
        if k >= 0 and q < self._map.to_qt(self._rendering.highlights[k].end):
            return self._rendering.highlights[k]
        return None
