"""View → Zoom and View → Theme: text size of both panes and light / dark / the system's colours.

A mixin of MainWindow. Both panes always get the same font size, so they keep wrapping at
the same places (the wrap width is set by ``_align_panes``); the text at the top stays at
the top. Zoom and theme are remembered in QSettings.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QTimer, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QMenu

ZOOM_KEY, THEME_KEY = "zoom", "theme"
ZOOM_MIN, ZOOM_MAX = -4, 10  # steps of ZOOM_STEP
ZOOM_STEP = 1.12
THEMES = (("light", "&Light"), ("dark", "&Dark"), ("system", "Follow the &system"))

_original: dict[str, object] = {}  # the application's palette and style before any theme was applied


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style (contrast checked by eye on the screenshots)."""
    p = QPalette()
    window, base, text = QColor("#2B2D30"), QColor("#1E1F22"), QColor("#DFE1E5")
    disabled = QColor("#7F8389")
    for role, color in (
        (QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, QColor("#26282B")),
        (QPalette.ColorRole.ToolTipBase, QColor("#3C3F41")), (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.PlaceholderText, disabled), (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, QColor("#393B40")), (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.BrightText, QColor("#FF6B68")), (QPalette.ColorRole.Highlight, QColor("#2F65CA")),
        (QPalette.ColorRole.HighlightedText, QColor("#FFFFFF")), (QPalette.ColorRole.Link, QColor("#589DF6")),
        (QPalette.ColorRole.Light, QColor("#4A4D52")), (QPalette.ColorRole.Midlight, QColor("#3C3F44")),
        (QPalette.ColorRole.Mid, QColor("#313337")), (QPalette.ColorRole.Dark, QColor("#191A1C")),
        (QPalette.ColorRole.Shadow, QColor("#000000")),
    ):
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def system_prefers_dark() -> bool:
    """The desktop's colour scheme; when Qt cannot tell, the palette it started with."""
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme != Qt.ColorScheme.Unknown:
        return scheme == Qt.ColorScheme.Dark
    palette = _original.get("palette")
    return isinstance(palette, QPalette) and palette.window().color().lightness() < 128


def apply_theme(theme: str) -> bool:
    """Set the application's colours for ``theme`` ("light", "dark", "system"); True when dark.

    The style is only asked for when it may change (dark: Fusion; back from dark: the one the
    application started with): the first look at ``QApplication.style()`` from Python builds
    QStyle's enums, ~10 ms of a start that shows the system's light colours."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if "palette" not in _original:
        _original["palette"] = QPalette(app.palette())
    dark = theme == "dark" or (theme == "system" and system_prefers_dark())
    if dark and "style" not in _original:
        _original["style"] = app.style().name()
    if "style" in _original:  # the style was (or is about to be) changed here
        style = "fusion" if dark else str(_original["style"])
        if app.style().name().lower() != style.lower():  # a new style repolishes every widget: only when it changes
            app.setStyle(style)
    if dark:
        palette = dark_palette()
    else:
        original = _original["palette"]
        assert isinstance(original, QPalette)
        palette = original if original.window().color().lightness() >= 128 else app.style().standardPalette()
    if app.palette() != palette:
        app.setPalette(palette)
    return dark


class AppearanceMixin:
    """Zoom (Ctrl++ / Ctrl+= / Ctrl+- / Ctrl+0) and theme, applied to the window and remembered."""

    zoom_level = 0
    theme = "system"

    def build_view_menu(self, menu: QMenu) -> None:
        """Zoom items and the Theme submenu (after the window's own View items)."""
        self.view_menu = menu
        menu.addSeparator()
        self.view_actions: dict[str, QAction] = {}
        for name, text, keys, handler in (
            ("zoom_in", "Zoom &in", ["Ctrl++", "Ctrl+="], lambda: self.zoom(self.zoom_level + 1)),
            ("zoom_out", "Zoom &out", ["Ctrl+-"], lambda: self.zoom(self.zoom_level - 1)),
            ("zoom_reset", "&Reset zoom", ["Ctrl+0"], lambda: self.zoom(0)),
        ):
            action = QAction(text, self)
            action.setObjectName(name)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(handler)
            self.addAction(action)
            menu.addAction(action)
            self.view_actions[name] = action
        theme_menu = menu.addMenu("&Theme")
        theme_menu.setObjectName("themeMenu")
        group = QActionGroup(self)
        group.setExclusive(True)
        for name, text in THEMES:
            action = theme_menu.addAction(text)
            action.setObjectName(f"theme_{name}")
            action.setCheckable(True)
            action.setData(name)
            group.addAction(action)
            action.triggered.connect(lambda _checked=False, n=name: self.set_theme(n))
            self.view_actions[f"theme_{name}"] = action

    def init_appearance(self) -> None:
        """Restore the remembered zoom and theme; follow the system's scheme when asked to."""
        level = self.settings.value(ZOOM_KEY, 0)
        try:
            self.zoom_level = max(ZOOM_MIN, min(ZOOM_MAX, int(level)))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.zoom_level = 0
        self._apply_zoom()
        for view in (self.model_view, self.gold_view):
            view.zoom_requested.connect(lambda steps: self.zoom(self.zoom_level + steps))
        theme = str(self.settings.value(THEME_KEY, "system"))
        self.set_theme(theme if theme in dict(THEMES) else "system", remember=False)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_scheme_changed)

    # -- zoom -------------------------------------------------------------------------------
    def zoom(self, level: int) -> None:
        """Text size step ``level`` (0: the default) for both panes; remembered."""
        level = max(ZOOM_MIN, min(ZOOM_MAX, level))
        if level == self.zoom_level:
            return
        self.zoom_level = level
        self.settings.setValue(ZOOM_KEY, level)
        self._apply_zoom()
        self.statusBar().showMessage(f"Zoom {round(100 * ZOOM_STEP ** level)}%  (Ctrl+0 resets)", 3000)

    def _apply_zoom(self) -> None:
        anchor = self.gold_view.first_visible_offset() if self.view is not None else None
        size = round(self.gold_view.base_point_size * ZOOM_STEP ** self.zoom_level * 2) / 2  # half points
        for view in (self.model_view, self.gold_view):  # the same size: the same lines in both panes
            view.set_point_size(size)
        self._align_panes()
        if anchor is not None:
            self.gold_view.scroll_to_offset_at(anchor, 0)
            if self.gold_view.textCursor().hasSelection():
                self.gold_view.ensureCursorVisible()
            self._sync_scroll(self.gold_view, self.model_view)

    # -- theme ------------------------------------------------------------------------------
    def set_theme(self, theme: str, remember: bool = True) -> None:
        """Light, dark or the system's colours for the whole application; remembered."""
        self.theme = theme
        self.view_actions[f"theme_{theme}"].setChecked(True)
        if remember:
            self.settings.setValue(THEME_KEY, theme)
        apply_theme(theme)
        self._palette_changed()

    def _system_scheme_changed(self, _scheme: object) -> None:
        if self.theme == "system" and self.isVisible():
            QTimer.singleShot(0, lambda: self.set_theme("system", remember=False))

    def _palette_changed(self) -> None:
        """Widgets that keep a palette of their own take the new one; painted colours follow."""
        palette = QApplication.palette()
        # Qt posts the change to every widget: deliver it now, so the panes resolve against the new one
        QApplication.sendPostedEvents(None, QEvent.Type.ApplicationPaletteChange)
        for view in (self.model_view, self.gold_view):
            view.adopt_palette(palette)
        self.doc_model.refresh_all()  # state colours are chosen for the palette
        self.update()
