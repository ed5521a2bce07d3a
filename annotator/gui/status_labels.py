"""Status-bar labels that give way: when the bar is too narrow they elide instead of pushing others out.

A plain QLabel's minimum width is its whole text, so a crowded status bar cut the document line
(file, state, span counts) while a hint kept its full width. An :class:`ElidedLabel` may shrink to
``keep`` (the part that must stay readable) and shows the whole text as its tooltip when cut.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QFrame, QLabel, QSizeGrip, QWidget

MIN_WIDTH = 48  # enough for a few letters and the ellipsis
HINT_MIN_WIDTH = 160  # a yielding label with less room than this shows nothing


class ElidedLabel(QLabel):
    """A one-line label that elides its text at the right when it gets less than its full width."""

    def __init__(self, parent: QWidget | None = None, yields: bool = False) -> None:
        super().__init__(parent)
        self._keep = ""
        self._tip = ""  # a tooltip set from outside, shown while nothing is cut
        self._yields = yields  # asks only for the room its neighbours leave (a hint, not information)
        self._watched: QWidget | None = None

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().sizeHint()
        bar = self.parentWidget()
        if not self._yields or bar is None:
            return hint
        if bar is not self._watched:  # the room changes with the bar's width
            bar.installEventFilter(self)
            self._watched = bar
        others = [w for w in bar.findChildren(QLabel) if w is not self and w.isVisible() and w.parentWidget() is bar]
        grip = sum(w.width() for w in bar.findChildren(QSizeGrip) if w.isVisible())
        spacing = 16 * (len(others) + 1) + grip  # the status bar's gaps, margins and size grip, generously
        room = bar.width() - sum(w.sizeHint().width() for w in others) - spacing
        return QSize(min(hint.width(), room) if room >= HINT_MIN_WIDTH else 0, hint.height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self._watched and event.type() == QEvent.Type.Resize:
            self.updateGeometry()
        return False

    def set_text(self, text: str, keep: str = "") -> None:
        """Show ``text``; shrinking never cuts into the width of ``keep`` (its readable beginning)."""
        if text == self.text() and keep == self._keep:  # the hint is set again on every cursor move
            return
        super().setText(text)
        self._keep = keep
        self.updateGeometry()
        bar = self.parentWidget()
        if bar is not None:  # a neighbour that yields recomputes the room left to it
            for other in bar.findChildren(ElidedLabel):
                if other._yields and other is not self:
                    other.updateGeometry()
        self._update_tooltip()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self.set_text(text)

    def setToolTip(self, tip: str) -> None:  # noqa: N802 (Qt's name)
        self._tip = tip
        self._update_tooltip()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().minimumSizeHint()
        if self._yields:  # rather nothing than a stub
            return QSize(0, hint.height())
        margins = self.contentsMargins()
        extra = margins.left() + margins.right() + 2 * self.margin()
        keep = self.fontMetrics().horizontalAdvance(self._keep + " …") if self._keep else MIN_WIDTH
        return QSize(min(hint.width(), keep + extra), hint.height())

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width() - 2 * self.margin()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        cut = bool(self.text()) and self.is_elided()
        super().setToolTip("\n\n".join(t for t in (self.text() if cut else "", self._tip) if t))

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        QFrame.paintEvent(self, event)  # the frame and any style-sheet border
        rect = self.contentsRect().adjusted(self.margin(), 0, -self.margin(), 0)
        if self._yields and rect.width() < HINT_MIN_WIDTH:
            return
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter = QPainter(self)
        # what QStyle.drawItemText does for plain text (the palette's current group follows
        # the enabled state), without asking Python for the style: that builds QStyle's enums
        # (~10 ms) on the window's first paint
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)
        painter.end()
