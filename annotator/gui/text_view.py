"""A read-only, keyboard-selectable text pane that paints entity highlights and label tags."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import (
    QColor, QFont, QFontMetrics, QKeyEvent, QPainter, QPaintEvent, QTextBlockFormat, QTextCharFormat, QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QTextEdit, QWidget

from annotator.core.offsets import OffsetMap, display_text
from annotator.core.render import SAME, Highlight, Rendering, changed_ranges
from annotator.core.spans import Range

LINE_HEIGHT_PERCENT = 175  # room under each line for the label tags
SPAN_TEXT = QColor("#111111")  # span text is dark on its light label colour in every palette
DIFF_UNDERLINE = QColor("#D81B60")


class AnnotatedTextView(QTextEdit):
    """Shows one document. Offsets in and out are code points; Qt positions stay inside."""

    navigate = Signal(bool)  # Tab (True) / Shift+Tab (False): next or previous span

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(title)
        self.setReadOnly(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setUndoRedoEnabled(False)
        self.setAcceptRichText(False)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.document().setDocumentMargin(12)
        font = self.font()
        font.setPointSizeF(max(font.pointSizeF(), 10.5))
        self.setFont(font)
        self._tag_font = QFont(font)
        self._tag_font.setPointSizeF(font.pointSizeF() * 0.68)
        self._tag_font.setBold(True)
        self._map = OffsetMap("")
        self._text = ""
        self._rendering = Rendering((), ())
        self._starts: list[int] = []
        self._ends_max: list[int] = []

    # -- content ----------------------------------------------------------------------
    def set_document(self, text: str, rendering: Rendering) -> None:
        """Show ``text`` (never as HTML) with ``rendering`` applied in one edit block."""
        self._text = text
        self._map = OffsetMap(text)
        self.setPlainText(display_text(text))
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        block = QTextBlockFormat()
        block.setLineHeight(LINE_HEIGHT_PERCENT, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        cursor.mergeBlockFormat(block)
        self._rendering = Rendering((), ())
        self._paint_ranges(cursor, rendering, None)
        cursor.endEditBlock()
        self._set_rendering(rendering)
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def update_rendering(self, rendering: Rendering) -> None:
        """Repaint only the ranges whose formatting changed (a label edit touches one span)."""
        ranges = changed_ranges(self._rendering, rendering)
        if not ranges:
            self._set_rendering(rendering)
            return
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        self._paint_ranges(cursor, rendering, ranges)
        cursor.endEditBlock()
        self._set_rendering(rendering)
        self.viewport().update()

    def _set_rendering(self, rendering: Rendering) -> None:
        self._rendering = rendering
        self._starts = [h.start for h in rendering.highlights]
        running = 0
        self._ends_max = []
        for h in rendering.highlights:
            running = max(running, h.end)
            self._ends_max.append(running)

    def _select(self, cursor: QTextCursor, start: int, end: int) -> None:
        cursor.setPosition(self._map.to_qt(start))
        cursor.setPosition(self._map.to_qt(end), QTextCursor.MoveMode.KeepAnchor)

    def _paint_ranges(self, cursor: QTextCursor, rendering: Rendering, only: list[Range] | None) -> None:
        grey = self.palette().color(self.palette().ColorGroup.Disabled, self.palette().ColorRole.Text)
        plain = QTextCharFormat()
        plain.setForeground(self.palette().text())
        plain.setBackground(Qt.GlobalColor.transparent)
        plain.setUnderlineStyle(QTextCharFormat.UnderlineStyle.NoUnderline)
        plain.setFontItalic(False)
        greyed = QTextCharFormat()
        greyed.setForeground(grey)
        greyed.setFontItalic(True)
        if only is None:
            cursor.select(QTextCursor.SelectionType.Document)
            cursor.setCharFormat(plain)
            targets_grey = rendering.greyed
            targets = rendering.highlights
        else:
            for r in only:
                self._select(cursor, r.start, r.end)
                cursor.setCharFormat(plain)
            targets_grey = tuple(g for g in rendering.greyed if any(g.start < r.end and r.start < g.end for r in only))
            targets = tuple(h for h in rendering.highlights if any(h.start < r.end and r.start < h.end for r in only))
        for g in targets_grey:
            self._select(cursor, g.start, g.end)
            cursor.mergeCharFormat(greyed)
        for h in targets:
            self._select(cursor, h.start, h.end)
            cursor.mergeCharFormat(self._span_format(h))

    def _span_format(self, h: Highlight) -> QTextCharFormat:
        fmt = QTextCharFormat()
        color = QColor(h.color)
        if h.in_boilerplate:
            color.setAlpha(110)
        fmt.setBackground(color)
        fmt.setForeground(SPAN_TEXT if not h.in_boilerplate else QColor("#555555"))
        fmt.setProperty(QTextFormat.Property.UserProperty, h.label)
        if h.status != SAME:
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(DIFF_UNDERLINE)
        fmt.setToolTip(f"{h.label} [{h.start}, {h.end})" + ("" if h.status == SAME else f" — {h.status} vs the other side"))
        return fmt

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
        self._select(c, start, end)
        self.setTextCursor(c)
        self.ensureCursorVisible()

    def place_cursor(self, offset: int) -> None:
        c = self.textCursor()
        c.setPosition(self._map.to_qt(offset))
        self.setTextCursor(c)

    def first_visible_offset(self) -> int:
        return self._map.from_qt(self.cursorForPosition(QPoint(0, 0)).position())

    def scroll_to_offset_at(self, offset: int, y: int) -> None:
        """Scroll so that ``offset`` sits at viewport height ``y`` (pane synchronisation)."""
        c = QTextCursor(self.document())
        c.setPosition(self._map.to_qt(min(offset, self._map.length)))
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + self.cursorRect(c).top() - y)

    def offset_top(self, offset: int) -> int:
        c = QTextCursor(self.document())
        c.setPosition(self._map.to_qt(min(offset, self._map.length)))
        return self.cursorRect(c).top()

    # -- painting the label tags --------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if not self._starts:
            return
        viewport = self.viewport()
        first = self._map.from_qt(self.cursorForPosition(QPoint(0, 0)).position())
        last = self._map.from_qt(self.cursorForPosition(QPoint(viewport.width(), viewport.height())).position())
        lo = bisect_left(self._ends_max, first)
        hi = bisect_right(self._starts, last + 1)
        if lo >= hi:
            return
        painter = QPainter(viewport)
        painter.setFont(self._tag_font)
        metrics = QFontMetrics(self._tag_font)
        cursor = QTextCursor(self.document())
        for h in self._rendering.highlights[lo:hi]:
            cursor.setPosition(self._map.to_qt(h.start))
            rect = self.cursorRect(cursor)
            tag = h.tag
            width = metrics.horizontalAdvance(tag) + 6
            box = QRect(rect.left(), rect.bottom() + 1, width, metrics.height())
            color = QColor(h.color)
            painter.fillRect(box, color.darker(175) if not h.in_boilerplate else QColor("#9E9E9E"))
            painter.setPen(QColor("#FFFFFF"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, tag)
        painter.end()

    # -- keys ---------------------------------------------------------------------------
    def event(self, event) -> bool:  # noqa: ANN001 - QEvent
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Tab and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                self.navigate.emit(True)
                return True
            if event.key() == Qt.Key.Key_Backtab:
                self.navigate.emit(False)
                return True
        return super().event(event)
