"""View → Zoom and View → Theme on the real window: real key presses, menu triggers, painted pixels."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from annotator.gui.appearance import apply_theme
from annotator.gui.text_view import READABLE, contrast, dark_fill, tag_fill

pytestmark = [pytest.mark.gui, pytest.mark.integration]
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture(autouse=True)
def light_again():
    """The theme is the application's: put the light one back for the tests that follow."""
    yield
    apply_theme("light")


def line_starts(view) -> list[int]:
    """Where each displayed line starts (Qt positions), every block laid out."""
    doc = view.document()
    layout = doc.documentLayout()
    starts = []
    block = doc.begin()
    while block.isValid():
        layout.blockBoundingRect(block)  # lays the block out
        text_layout = block.layout()
        starts += [block.position() + text_layout.lineAt(i).textStart() for i in range(text_layout.lineCount())]
        block = block.next()
    return starts


def sizes(window):
    return window.model_view.font().pointSizeF(), window.gold_view.font().pointSizeF()


def test_zoom_keys_scale_both_panes_alike_and_are_remembered(qtbot, make_window, project_db):
    window = make_window(project_db)
    base = window.gold_view.font().pointSizeF()
    window.gold_view.setFocus()
    deep = window.view.gold[len(window.view.gold) // 2]
    window.gold_view.scroll_to_offset_at(deep.start, 0)
    lines_before = len(line_starts(window.gold_view))
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Plus, CTRL)
    bigger = sizes(window)
    assert bigger[0] == bigger[1] > base
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Equal, CTRL)  # Ctrl+= too (no Shift needed on most layouts)
    qtbot.waitUntil(lambda: sizes(window)[1] > bigger[1])
    qtbot.wait(50)  # the panes realign after the layout
    assert line_starts(window.model_view) == line_starts(window.gold_view), "both panes wrap at the same places"
    assert len(line_starts(window.gold_view)) > lines_before, "bigger text, more lines"
    assert abs(window.gold_view.offset_top(deep.start)) < 3 * window.gold_view.fontMetrics().height(), \
        "the text at the top stays at the top"
    assert window.gold_view._tag_font.pointSizeF() == pytest.approx(sizes(window)[1] * 0.66), "the tags follow"
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Minus, CTRL)
    assert sizes(window)[0] == sizes(window)[1] == bigger[1]
    qtbot.keyClick(window.gold_view, Qt.Key.Key_0, CTRL)
    assert sizes(window) == (base, base)
    for _ in range(3):
        qtbot.keyClick(window.gold_view, Qt.Key.Key_Plus, CTRL)
    zoomed = sizes(window)
    window.close()
    again = make_window(project_db)  # the same settings file: a restart
    assert sizes(again) == zoomed
    assert line_starts(again.model_view) == line_starts(again.gold_view)


def test_zoom_stops_at_its_limits(qtbot, window):
    for _ in range(40):
        qtbot.keyClick(window.gold_view, Qt.Key.Key_Minus, CTRL)
    smallest = sizes(window)
    assert smallest[0] == smallest[1] >= 6
    for _ in range(40):
        qtbot.keyClick(window.gold_view, Qt.Key.Key_Plus, CTRL)
    largest = sizes(window)
    assert largest[0] == largest[1] <= 36
    qtbot.keyClick(window.gold_view, Qt.Key.Key_Plus, CTRL)
    assert sizes(window) == largest


def theme_action(window, name):
    return window.view_actions[f"theme_{name}"]


def pixel_lightness(view, offset: int) -> tuple[int, QColor]:
    rect = view.span_rects(offset, offset + 1)[0]
    image = view.viewport().grab().toImage()
    color = image.pixelColor(int(rect.left()) + 1, int(rect.top()) + 1)
    return color.lightness(), color


def test_dark_theme_from_the_menu_is_readable_and_remembered(qtbot, make_window, project_db):
    window = make_window(project_db)
    span = window.view.gold[0]
    light_fill, _ = pixel_lightness(window.gold_view, span.start)
    assert QApplication.palette().base().color().lightness() > 128
    theme_action(window, "dark").trigger()
    assert QApplication.palette().base().color().lightness() < 80
    assert window.gold_view.is_dark() and window.model_view.is_dark()
    text = window.gold_view.palette().text().color()
    assert text.lightness() > 180, "the panes took the dark palette's light text"
    assert window.gold_view.palette().highlightedText().color() == text
    dark_fill_lightness, painted = pixel_lightness(window.gold_view, span.start)
    assert dark_fill_lightness < light_fill and dark_fill_lightness < 128, "a deep fill under light text"
    assert contrast(painted, text) >= READABLE - 0.2  # what is on screen, antialiasing aside
    window.close()
    again = make_window(project_db)
    assert theme_action(again, "dark").isChecked() and again.gold_view.is_dark()
    theme_action(again, "light").trigger()
    assert QApplication.palette().base().color().lightness() > 128 and not again.gold_view.is_dark()
    theme_action(again, "system").trigger()  # offscreen Qt knows no system scheme: the palette it started with
    assert theme_action(again, "system").isChecked() and not again.gold_view.is_dark()
    assert again.settings.value("theme") == "system"


def test_every_label_reads_in_both_themes(window):
    """Span fills under the dark theme's text, and every tag's white name, meet the WCAG AA ratio."""
    apply_theme("dark")
    window._palette_changed()
    base = window.gold_view.palette().base().color()
    text = window.gold_view.palette().text().color()
    for label in window.labels.labels:
        color = QColor(label.color)
        assert contrast(dark_fill(color, base, text), text) >= READABLE, label.name
        assert contrast(tag_fill(color), QColor("#FFFFFF")) >= READABLE, label.name
    for label in window.labels.labels:  # light theme: the label colour itself under dark text
        assert contrast(QColor(label.color), QColor("#111111")) >= READABLE, label.name


def ctrl_wheel(view, steps: int) -> None:
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    centre = QPointF(view.viewport().rect().center())
    event = QWheelEvent(centre, QPointF(view.viewport().mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton, CTRL, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)


def test_ctrl_wheel_zooms_both_panes_alike(qtbot, window):
    """QTextEdit zooms a read-only pane on its own with Ctrl+wheel: the panes stopped lining up."""
    base = sizes(window)
    ctrl_wheel(window.model_view, 2)
    assert sizes(window)[0] == sizes(window)[1] > base[1]
    assert window.zoom_level == 2
    ctrl_wheel(window.gold_view, -2)
    assert sizes(window) == base
    qtbot.wait(20)
    assert line_starts(window.model_view) == line_starts(window.gold_view)


def test_dark_is_fusion_and_light_gives_back_the_style_the_application_started_with(window):
    """The style is only changed (and only asked for) around the dark theme: light and the
    system's light colours keep the platform's style, and leaving dark restores it."""
    from annotator.gui import appearance

    app = QApplication.instance()
    kept = dict(appearance._original)
    appearance._original.clear()
    app.setStyle("windows")  # a platform style other than Fusion (offscreen starts with Fusion)
    try:
        apply_theme("light")
        assert app.style().name().lower() == "windows"
        apply_theme("dark")
        assert app.style().name().lower() == "fusion"
        apply_theme("system")  # offscreen Qt knows no system scheme: light
        assert app.style().name().lower() == "windows"
        assert QApplication.palette().base().color().lightness() > 128
    finally:
        app.setStyle("fusion")
        appearance._original.clear()
        appearance._original.update(kept)
