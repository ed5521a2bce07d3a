"""The window's File menu: open another database, recent databases, import, export.

A mixin of MainWindow. Opening another database makes a new window on it and closes this
one (its workers stopped, its layout handed over, its store closed): nothing of the old
project can leak into the new one. Import reuses the window's preparation worker
(:mod:`annotator.gui.preparation`); export runs :func:`annotator.ops.exporting.export` in a
:class:`~annotator.gui.background.BackgroundRunner`. Known problems are one line in a
non-modal message box (``self.notice``); bugs reach the excepthook.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QMessageBox, QProgressDialog

from annotator.core.errors import AnnotatorError
from annotator.gui import file_dialogs
from annotator.gui.background import BackgroundRunner, Task

if TYPE_CHECKING:  # the export dialog loads when it first opens, not with the window
    from annotator.gui.export_dialog import ExportChoice, ExportDialog

RECENT_KEY = "recent_databases"
RECENT_MAX = 8
DATABASE_FILTER = "annotator projects (*.db *.sqlite *.sqlite3 *.annotator);;All files (*)"
IMPORT_FILTER = "Text and JSONL (*.txt *.text *.jsonl *.ndjson);;All files (*)"


# -- recent databases (QSettings) -----------------------------------------------------------
def recent_databases(settings: QSettings) -> list[str]:
    """The databases opened last, newest first (at most RECENT_MAX)."""
    value = settings.value(RECENT_KEY, [])
    if isinstance(value, str):  # QSettings gives a lone string for a one-item list in INI files
        value = [value]
    return [str(v) for v in (value or []) if v][:RECENT_MAX]


def remember_database(settings: QSettings, path: Path) -> None:
    """Put ``path`` first in the recent list."""
    key = str(Path(path).expanduser().resolve())
    settings.setValue(RECENT_KEY, [key] + [p for p in recent_databases(settings) if p != key][: RECENT_MAX - 1])


def forget_databases(settings: QSettings, paths: list[str]) -> None:
    settings.setValue(RECENT_KEY, [p for p in recent_databases(settings) if p not in paths])


def export_task(db_path: Path, choice: ExportChoice, model: str) -> Task:
    """Export from a connection of the worker's own (the window keeps editing meanwhile)."""

    def task(progress: Any) -> Any:
        from annotator.ops.exporting import export
        from annotator.pipeline import tokenizer_for
        from annotator.store import Store

        with Store.open(db_path, create=False) as store:
            return export(store, choice.out, fmt=choice.fmt, include_all=choice.include_all, strip=choice.strip,
                          tokenizer=lambda: tokenizer_for(model), progress=progress)

    return task


class FileMenuMixin:
    """File → Open database…, Open recent, Import files…, Import a folder…, Export…"""

    notice: QMessageBox | None = None
    replaced_by: Any = None  # the window that took over after Open database
    export_dialog: ExportDialog | None = None
    _export_runner: BackgroundRunner | None = None
    _export_progress: QProgressDialog | None = None
    _owns_store = False

    def build_file_menu(self, menu: QMenu) -> None:
        """Fill the File menu (Quit is added after these by the window)."""
        self.file_actions: dict[str, QAction] = {}
        for name, text, key, handler in (
            ("open_database", "&Open database…", "", self.ask_open_database),
            ("import_files", "&Import files…", "Ctrl+O", self.ask_import_files),
            ("import_folder", "Import a &folder…", "Ctrl+Shift+O", self.ask_import_folder),
            ("export", "&Export…", "Ctrl+Shift+S", self.ask_export),
        ):
            action = QAction(text, self)
            action.setObjectName(name)
            if key:
                action.setShortcut(QKeySequence(key))
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(handler)
            self.addAction(action)
            self.file_actions[name] = action
        menu.addAction(self.file_actions["open_database"])
        self.recent_menu = menu.addMenu("Open &recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self.fill_recent_menu)
        menu.addSeparator()
        menu.addAction(self.file_actions["import_files"])
        menu.addAction(self.file_actions["import_folder"])
        menu.addAction(self.file_actions["export"])
        menu.addSeparator()
        remember_database(self.settings, self.store.path)
        self.fill_recent_menu()

    # -- open another database ------------------------------------------------------------
    def fill_recent_menu(self) -> None:
        """The recent databases, this one left out; a missing file is greyed (and can be removed)."""
        menu = self.recent_menu
        menu.clear()
        current = str(self.store.path.expanduser().resolve())
        missing = []
        for path in recent_databases(self.settings):
            if path == current:
                continue
            exists = Path(path).is_file()
            action = menu.addAction(f"{Path(path).name}  —  {Path(path).parent}" + ("" if exists else "  (missing)"))
            action.setData(path)
            action.setEnabled(exists)
            action.triggered.connect(lambda _checked=False, p=path: self.open_database(Path(p)))
            if not exists:
                missing.append(path)
        if menu.isEmpty():
            menu.addAction("No other database opened yet").setEnabled(False)
        menu.addSeparator()
        if missing:
            remove = menu.addAction("Remove missing files from the list")
            remove.setObjectName("removeMissing")
            remove.triggered.connect(lambda: forget_databases(self.settings, missing))
        clear = menu.addAction("Clear the list")
        clear.setObjectName("clearRecent")
        clear.triggered.connect(lambda: forget_databases(self.settings, [p for p in recent_databases(self.settings)
                                                                         if p != current]))

    def ask_open_database(self) -> None:
        path = file_dialogs.open_file_name(self, "Open an annotator database", str(self.store.path.parent),
                                           DATABASE_FILTER)
        if path:
            self.open_database(Path(path))

    def open_database(self, path: Path) -> Any:
        """Switch to the project in ``path``: a new window on it replaces this one (returned).

        A file that is not an annotator database (or missing, unreadable, locked) is refused
        with one line and this window stays as it was (None is returned).
        """
        from annotator import paths as app_paths
        from annotator.store import Store
        from annotator.store.connection import GUI_BUSY_TIMEOUT_MS, default_busy_timeout_ms

        path = Path(path).expanduser()
        if path.resolve() == self.store.path.resolve():
            return self
        try:
            store = Store.open(path, create=False, busy_timeout_ms=default_busy_timeout_ms(GUI_BUSY_TIMEOUT_MS))
        except AnnotatorError as exc:
            if not path.exists():
                forget_databases(self.settings, [str(path.resolve())])
            self.show_notice("Cannot open the database", str(exc).splitlines()[0])
            return None
        remember_database(self.settings, path)
        window = type(self)(store, model=self.model_name, annotator=app_paths.current_annotator(store.owner()),
                            settings=self.settings)
        window._owns_store = True
        window.restoreGeometry(self.saveGeometry())  # the same place, size and layout
        window.restoreState(self.saveState())
        window.splitter.restoreState(self.splitter.saveState())
        window.show()
        self.replaced_by = window
        self.close()  # stops this window's workers and saves the layout
        for dialog in self.findChildren(QDialog):  # report, training, export windows of the old project
            dialog.close()
        window.activateWindow()
        window.open_initial_document()
        window.prepare(window.store.path, [])  # pre-annotate what that project has not had yet
        self.release_store(force=True)
        return window

    def release_store(self, force: bool = False) -> None:
        """Close the store once this window is done with it (the one it owns, or ``force``)."""
        if not (force or self._owns_store):
            return
        for timer in (getattr(self, "_count_timer", None), getattr(self, "_search_timer", None)):
            if timer is not None:
                timer.stop()
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)  # the workers' last signals, while it is open
        self.store.close()

    # -- import -----------------------------------------------------------------------------
    def ask_import_files(self) -> None:
        paths = file_dialogs.open_file_names(self, "Import text or JSONL files", "", IMPORT_FILTER)
        if paths:
            self.import_paths(paths)

    def ask_import_folder(self) -> None:
        folder = file_dialogs.existing_directory(self, "Import a folder of .txt / .jsonl files")
        if folder:
            self.import_paths([folder])

    def import_paths(self, paths: list[str]) -> bool:
        """Import and pre-annotate ``paths`` in the background (progress, Cancel; finished batches kept)."""
        if self.preparing:
            self.show_notice("Import", "An import or pre-annotation is running: wait for it or press its Cancel.",
                             QMessageBox.Icon.Information)
            return False
        self.prepare(self.store.path, [str(p) for p in paths])
        return True

    # -- export -----------------------------------------------------------------------------
    def ask_export(self) -> None:
        if self._export_runner is not None and self._export_runner.running:
            self.show_notice("Export", "An export is running: wait for it or press its Cancel.",
                             QMessageBox.Icon.Information)
            return
        default = self.store.path.parent / f"{self.store.path.stem}-gold.jsonl"
        from annotator.gui.export_dialog import ExportDialog  # loads with the dialog, not with the window

        self.export_dialog = ExportDialog(default, self)
        self.export_dialog.accepted.connect(lambda: self.start_export(self.export_dialog.choice()))
        self.export_dialog.open()

    def start_export(self, choice: ExportChoice) -> None:
        """Write ``choice`` in the background; a summary (or one line of error) when it ends."""
        if self._export_runner is None:
            runner = self._export_runner = BackgroundRunner(self)
            runner.progress.connect(self._export_progressed)
            runner.succeeded.connect(self._export_done)
            runner.failed.connect(self._export_failed)
            runner.cancelled.connect(self._export_cancelled)
        self._export_choice = choice
        progress = self._export_progress = QProgressDialog("Exporting…", "Cancel", 0, 0, self)
        progress.setWindowTitle("Export")
        progress.setWindowModality(Qt.WindowModality.NonModal)
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.canceled.connect(self._export_runner.cancel)
        self._export_runner.start(export_task(self.store.path, choice, self.model_name))

    def _export_progressed(self, description: str, done: int, total: int) -> None:
        if self._export_progress is not None:
            self._export_progress.setLabelText(f"{description}…")
            self._export_progress.setMaximum(total)
            self._export_progress.setValue(done)

    def _end_export(self) -> None:
        if self._export_progress is not None:
            self._export_progress.close()
            self._export_progress = None

    def _export_done(self, report: Any) -> None:
        self._end_export()
        from annotator.gui.export_dialog import export_summary

        line, notes = export_summary(report, self._export_choice.include_all)
        self.statusBar().showMessage(line, 15000)
        self.show_notice("Export finished", line, QMessageBox.Icon.Information, notes or None)

    def _export_failed(self, exc: object) -> None:
        self._end_export()
        if isinstance(exc, AnnotatorError):
            self.show_notice("Export failed", str(exc).splitlines()[0])
        else:  # a bug: the excepthook's dialog with the details
            assert isinstance(exc, BaseException)
            sys.excepthook(type(exc), exc, exc.__traceback__)

    def _export_cancelled(self) -> None:
        self._end_export()
        self.statusBar().showMessage("Export cancelled: nothing was written.", 10000)

    def shutdown_file_work(self) -> None:
        """Stop a running export (its partial file is removed) before the window goes."""
        if self._export_runner is not None:
            self._export_runner.stop()
        self._end_export()

    # -- messages ---------------------------------------------------------------------------
    def show_notice(self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Warning,
                    details: str | None = None) -> QMessageBox:
        """A non-modal message box (one at a time); the window stays usable behind it."""
        if self.notice is not None:
            self.notice.close()
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("notice")
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if details:
            box.setInformativeText(details)
        box.finished.connect(lambda _r: self.return_focus())
        self.notice = box
        box.open()
        return box
