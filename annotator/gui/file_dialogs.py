"""File dialogs that never open the files they list.

Qt's file dialog fills its "Type" column and icons through ``QMimeDatabase.mimeTypeForFile``,
which opens each listed file to read its first bytes and closes it again. On POSIX, closing *any*
descriptor of a file drops every lock the process holds on it, SQLite's included: once the dialog
had listed the folder of the open project (``x.db``, ``x.db-wal``, ``x.db-shm``), the next program
that closed the database believed it was the last one, checkpointed and deleted the WAL, and the
window's later edits went into a deleted file (lost at a crash, invisible to every other reader).

Every dialog here is Qt's own (not the platform's, which may peek at files the same way) with an
icon provider that decides from the name alone. On Windows, where locks are not POSIX locks, the
native dialogs are kept.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QFileInfo
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QFileDialog, QFileIconProvider, QWidget

NATIVE = sys.platform == "win32"


class NamesOnlyIconProvider(QFileIconProvider):
    """Icons and type names from the file's name and kind, never from its content."""

    def icon(self, what: object) -> QIcon:  # type: ignore[override]
        if isinstance(what, QFileInfo):
            kind = (QAbstractFileIconProvider.IconType.Folder if what.isDir()
                    else QAbstractFileIconProvider.IconType.File)
            return super().icon(kind)
        return super().icon(what)  # type: ignore[arg-type]

    def type(self, info: QFileInfo) -> str:  # noqa: A003 - Qt's name
        if info.isDir():
            return "Folder"
        suffix = info.suffix()
        return f"{suffix.upper()} file" if suffix else "File"


_PROVIDER: NamesOnlyIconProvider | None = None


def _dialog(parent: QWidget | None, caption: str, directory: str, name_filter: str) -> QFileDialog:
    global _PROVIDER
    dialog = QFileDialog(parent, caption, directory, name_filter)
    if not NATIVE:
        if _PROVIDER is None:
            _PROVIDER = NamesOnlyIconProvider()  # kept for the application's life: dialogs do not own it
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setIconProvider(_PROVIDER)
    return dialog


def _run(dialog: QFileDialog) -> list[str]:
    try:
        return dialog.selectedFiles() if dialog.exec() == QFileDialog.DialogCode.Accepted else []
    finally:
        dialog.deleteLater()


def open_file_name(parent: QWidget | None, caption: str, directory: str = "", name_filter: str = "") -> str:
    """One existing file, or "" when cancelled."""
    dialog = _dialog(parent, caption, directory, name_filter)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    chosen = _run(dialog)
    return chosen[0] if chosen else ""


def open_file_names(parent: QWidget | None, caption: str, directory: str = "", name_filter: str = "") -> list[str]:
    """Existing files, or [] when cancelled."""
    dialog = _dialog(parent, caption, directory, name_filter)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    return _run(dialog)


def existing_directory(parent: QWidget | None, caption: str, directory: str = "") -> str:
    """A folder, or "" when cancelled."""
    dialog = _dialog(parent, caption, directory, "")
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    chosen = _run(dialog)
    return chosen[0] if chosen else ""


def save_file_name(parent: QWidget | None, caption: str, directory: str = "", name_filter: str = "") -> str:
    """A file to write (the dialog asks before replacing one), or "" when cancelled."""
    dialog = _dialog(parent, caption, directory, name_filter)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    chosen = _run(dialog)
    return chosen[0] if chosen else ""
