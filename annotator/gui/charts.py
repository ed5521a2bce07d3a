"""A bar chart of precision, recall and F per label, with the counts behind them."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

SERIES = (("P", "precision", QColor("#4477AA")), ("R", "recall", QColor("#EE6677")),
          ("F", "F-score", QColor("#228833")))  # Paul Tol's bright scheme: readable on light and dark


@dataclass(frozen=True)
class LabelBar:
    """One label's group of bars."""

    label: str
    color: str  # the label's own colour (a swatch before its name)
    p: float
    r: float
    f: float
    gold: int  # gold entities scored
    predicted: int  # predictions scored


class ScoreChart(QWidget):
    """Three bars (P, R, F in %) per label that has data; under each group the label, and its gold and
    predicted counts. The groups share the width; the bars take the height they are given."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("scoreChart")
        self.bars: list[LabelBar] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_bars(self, bars: list[LabelBar]) -> None:
        self.bars = list(bars)
        self.setToolTip("\n".join(
            f"{b.label}: P {100 * b.p:.1f} · R {100 * b.r:.1f} · F {100 * b.f:.1f} — {b.gold:,} gold, "
            f"{b.predicted:,} predicted" for b in self.bars))
        self.update()

    def _line(self) -> float:
        return float(self.fontMetrics().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(320, int(self._line() * 9))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(640, int(self._line() * 16))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = self.fontMetrics()
        text = self.palette().windowText().color()
        line = self._line()
        painter.setPen(text)
        x = 4.0
        for short, name, color in SERIES:  # the legend
            painter.fillRect(QRectF(x, line / 2 - 5, 10, 10), color)
            caption = f"{name} ({short})"
            painter.drawText(QRectF(x + 14, 0, metrics.horizontalAdvance(caption) + 4, line),
                             Qt.AlignmentFlag.AlignVCenter, caption)
            x += 14 + metrics.horizontalAdvance(caption) + 18
        painter.drawText(QRectF(x + 8, 0, self.width() - x - 12, line), Qt.AlignmentFlag.AlignVCenter,
                         "in %; under each label: gold entities · predictions scored")
        if not self.bars:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No label has gold or predictions to score")
            return
        left, right = metrics.horizontalAdvance("100%") + 10.0, self.width() - 8.0
        top, bottom = line * 2.2, self.height() - line * 2.6
        grid = QColor(text)
        grid.setAlpha(60)
        for pct in (0, 25, 50, 75, 100):  # grid and axis
            gy = bottom - (bottom - top) * pct / 100
            painter.setPen(grid)
            painter.drawLine(int(left), int(gy), int(right), int(gy))
            painter.setPen(text)
            painter.drawText(QRectF(0, gy - line / 2, left - 6, line),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{pct}%")
        group = (right - left) / len(self.bars)
        thick = max(3.0, min(24.0, group * 0.75 / 3))
        for i, bar in enumerate(self.bars):
            gx = left + i * group
            first = gx + (group - 3 * thick) / 2
            for k, value in enumerate((bar.p, bar.r, bar.f)):
                height = (bottom - top) * value
                painter.fillRect(QRectF(first + k * thick, bottom - height, thick - 1, height), SERIES[k][2])
            name = metrics.elidedText(bar.label, Qt.TextElideMode.ElideRight, int(group - 16))
            name_w = metrics.horizontalAdvance(name) + 14
            nx = gx + (group - name_w) / 2
            painter.fillRect(QRectF(nx, bottom + 4 + line / 2 - 5, 10, 10), QColor(bar.color))
            painter.drawText(QRectF(nx + 14, bottom + 4, name_w, line), Qt.AlignmentFlag.AlignVCenter, name)
            counts = metrics.elidedText(f"{bar.gold:,} · {bar.predicted:,}", Qt.TextElideMode.ElideRight, int(group - 2))
            painter.drawText(QRectF(gx, bottom + 4 + line, group, line), Qt.AlignmentFlag.AlignCenter, counts)
        painter.end()
