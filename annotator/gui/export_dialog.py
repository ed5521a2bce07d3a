"""File → Export…: what to write (format, which documents, boilerplate) and where; the work runs elsewhere.

The dialog only collects :class:`ExportChoice`; :mod:`annotator.gui.file_menu` runs the export
in the background through :func:`annotator.ops.exporting.export` (the same function as
``annotator export``) and :func:`export_summary` words its report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLineEdit, QMessageBox,
    QPushButton, QRadioButton, QVBoxLayout, QWidget,
)

from annotator.gui import file_dialogs

if TYPE_CHECKING:  # the exporting module (srsly, numpy) loads when the dialog opens, not with the window
    from annotator.ops.exporting import ExportReport

SUFFIXES = {"jsonl": ".jsonl", "doccano": ".jsonl", "spacy": ".spacy"}
FORMAT_NAMES = {"jsonl": "Prodigy JSONL", "doccano": "doccano JSONL", "spacy": "spaCy DocBin (.spacy)"}


@dataclass(frozen=True)
class ExportChoice:
    """What the reviewer chose in the dialog."""

    out: Path
    fmt: str = "jsonl"
    include_all: bool = False
    strip: bool = False


class ExportDialog(QDialog):
    """Format, accepted or every document, strip boilerplate, the output file."""

    def __init__(self, default_out: Path, parent: QWidget | None = None):
        from annotator.ops.exporting import FORMATS

        super().__init__(parent)
        self.setWindowTitle("Export gold")
        self.format = QComboBox()
        self.format.setObjectName("exportFormat")
        for fmt in FORMATS:
            self.format.addItem(FORMAT_NAMES[fmt], fmt)
        self.accepted_only = QRadioButton("Accepted documents (the gold)")
        self.accepted_only.setObjectName("exportAccepted")
        self.every_document = QRadioButton("Every document, with its current spans")
        self.every_document.setObjectName("exportAll")
        self.accepted_only.setChecked(True)
        self.strip = QCheckBox("Strip boilerplate (drop that text, re-base the offsets)")
        self.strip.setObjectName("exportStrip")
        self._browsed: str | None = None
        self.path = QLineEdit(str(default_out))
        self.path.setObjectName("exportPath")
        self.path.setMinimumWidth(420)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        which = QVBoxLayout()
        which.addWidget(self.accepted_only)
        which.addWidget(self.every_document)
        form = QFormLayout()
        form.addRow("Format:", self.format)
        form.addRow("Documents:", which)
        form.addRow("", self.strip)
        form.addRow("File:", path_row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("exportButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.path.textChanged.connect(self._path_changed)
        self._format_changed()

    def choice(self) -> ExportChoice:
        fmt = self.format.currentData()
        return ExportChoice(Path(self.path.text().strip()).expanduser(), fmt, self.every_document.isChecked(),
                            self.strip.isChecked() and fmt != "spacy")

    def accept(self) -> None:
        """Export; a file that exists is replaced only once the reviewer said so (here or in Browse)."""
        out = self.choice().out
        if out.exists() and str(out) != self._browsed:
            answer = QMessageBox.question(self, "Export gold", f"{out} exists. Replace it?",
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
        super().accept()

    def browse(self) -> None:
        current = self.path.text().strip()
        chosen = file_dialogs.save_file_name(self, "Export to", current,
                                             "JSONL (*.jsonl);;spaCy DocBin (*.spacy);;All files (*)")
        if chosen:  # the file dialog asked before replacing a file
            self.path.setText(chosen)
            self._browsed = str(Path(chosen))

    def _format_changed(self) -> None:
        fmt = self.format.currentData()
        self.strip.setEnabled(fmt != "spacy")  # a DocBin marks boilerplate as missing annotation instead
        if fmt == "spacy":
            self.strip.setChecked(False)
        self.strip.setToolTip("" if fmt != "spacy" else "A DocBin leaves boilerplate unannotated (missing) instead")
        text = self.path.text().strip()
        if text:  # the file's suffix follows the format
            path = Path(text)
            if path.suffix in (".jsonl", ".spacy", ""):
                self.path.setText(str(path.with_suffix(SUFFIXES[fmt])))

    def _path_changed(self, text: str) -> None:
        self.export_button.setEnabled(bool(text.strip()))


def export_summary(report: ExportReport, include_all: bool) -> tuple[str, str]:
    """The summary line and the notes (one per line, may be empty) of a finished export."""
    line = f"Wrote {report.documents} document(s), {report.spans} span(s) to {report.path} ({report.format})."
    notes = []
    conflicts = report.gold.conflict_line()
    if conflicts:
        notes.append(conflicts)
    notes.extend(text for _kind, text in report.summary_lines())
    if report.documents == 0 and not include_all:
        notes.append("No accepted documents yet: choose \"Every document\" to export them with their current spans.")
    return line, "\n".join(notes)
