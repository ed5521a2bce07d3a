"""The left pane as a general reference: the model, any stored pipeline, another annotator, or all of them.

A mixin of MainWindow. A combo box above the left pane (and a key to cycle, F7) picks the
reference; the differences painted in both panes are always those between the reference
and the gold pane. The choices come from :func:`annotator.ops.reference.available`; the
spans of one document from :func:`annotator.ops.reference.reference_spans`. A trained
pipeline that has not predicted the open document is run on it in the background and its
entities kept in memory (not stored: the reviewer's gold must keep starting from the
prediction it did); meanwhile the pane says so.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from annotator.core.render import Rendering, caption_candidates, render
from annotator.core.spans import Range, Span
from annotator.gui.background import BackgroundRunner
from annotator.ops import reference as refs


def run_pipeline_on(loaded: dict[str, Any], pipeline_path: str, document_id: int, text: str) -> Any:
    """A background task: a trained pipeline's entities for one text, kept in memory only.

    Nothing is stored: viewing a reference must not change which prediction the reviewer's
    gold starts from (``annotator preannotate`` stores predictions). ``loaded`` keeps the
    loaded pipeline for the next document.
    """

    def task(progress: Any) -> tuple[int, str, list[Span]]:
        from annotator.pipeline import load_pipeline, predict

        progress.start("Running the pipeline", None)
        nlp = loaded.get(pipeline_path)
        if nlp is None:
            nlp = loaded[pipeline_path] = load_pipeline(pipeline_path)
        (result,) = list(predict(nlp, [(document_id, text)]))
        if result.error is not None:
            raise RuntimeError(result.error)
        return document_id, pipeline_path, sorted(result.spans)

    return task


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when the pane is narrower than its text."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        rect = self.contentsRect().adjusted(2, 0, -2, 0)
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), shown)


class ReferenceMixin:
    """The reference selector and what the left pane shows."""

    reference_info: refs.ReferenceSpans | None = None

    def _build_reference_selector(self) -> None:
        self.reference = refs.Reference(refs.MODEL)
        self._references: list[refs.Reference] = []
        self.reference_combo = QComboBox()
        self.reference_combo.setObjectName("referenceSelector")
        self.reference_combo.setToolTip("What the left pane shows beside the gold (F7 cycles)")
        self.reference_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.reference_combo.setMinimumContentsLength(14)  # the pane stays as narrow as before
        self.reference_combo.currentIndexChanged.connect(self._reference_chosen)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 2, 0, 0)
        self.reference_combo.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.reference_combo)
        old = self.model_title  # replaced by a title that elides what does not fit (full text in its tooltip)
        self.model_title = ElidedLabel(old.text())
        self.model_title.setObjectName("referenceTitle")
        self.model_title.setStyleSheet(old.styleSheet())
        self.model_box.layout().removeWidget(old)
        old.deleteLater()
        layout.addWidget(self.model_title, 1)
        self.model_box.layout().insertWidget(0, row)
        self.gold_title.setMinimumHeight(row.sizeHint().height())  # both panes' text starts at the same height
        self._run_runner = BackgroundRunner(self)
        self._run_runner.succeeded.connect(self._pipeline_ran)
        self._run_runner.failed.connect(self._pipeline_failed)
        self._ran: dict[tuple[int, str], list[Span]] = {}  # (document, pipeline folder) -> entities run here
        self._loaded: dict[str, Any] = {}  # pipeline folder -> the pipeline, loaded in the worker
        self._unusable: dict[str, str] = {}  # pipeline folder -> why it could not run (not tried again)
        self._running_path: str | None = None
        self.fill_references()

    def fill_references(self, default: refs.Reference | None = None) -> None:
        """(Re)list the choices; keep the current one when it is still there, else ``default`` or the model."""
        wanted = default or self.reference
        self._references = refs.available(self.store, self.annotator)
        if wanted not in self._references:
            wanted = self._references[0]
        self.reference = wanted
        self.reference_combo.blockSignals(True)
        try:
            self.reference_combo.clear()
            for ref in self._references:
                self.reference_combo.addItem(ref.title)
            self.reference_combo.setCurrentIndex(self._references.index(wanted))
        finally:
            self.reference_combo.blockSignals(False)

    def choose_reference(self, ref: refs.Reference) -> None:
        """Show ``ref`` in the left pane (it must be one of the choices)."""
        self.reference_combo.setCurrentIndex(self._references.index(ref))

    def cycle_reference(self) -> None:
        """F7: the next reference of the list."""
        count = self.reference_combo.count()
        if count:
            self.reference_combo.setCurrentIndex((self.reference_combo.currentIndex() + 1) % count)
        self.statusBar().showMessage(f"Reference: {self.reference.title}", 4000)

    def _reference_chosen(self, index: int) -> None:
        if not 0 <= index < len(self._references):
            return
        self.reference = self._references[index]
        if self.view is None:
            return
        self._load_reference()
        self.model_view.update_rendering(self._render(gold_side=False))
        self.gold_view.update_rendering(self._render(gold_side=True))
        self._update_status()

    def _load_reference(self) -> None:
        """Read the reference's spans for the open document (one document's rows)."""
        v = self.view
        assert v is not None
        found = getattr(self, "adjudication_view", None)
        if self.reference.kind == refs.ALL and found is not None and found.document.id == v.document.id:
            info = refs.from_candidates(self.reference, found.annotators, found.candidates)  # read once, not twice
        else:
            info = refs.reference_spans(self.store, v.document.id, self.reference, self.annotator,
                                        model_spans=v.model_spans, model_name=v.model_name,
                                        accepted_only=getattr(self, "adjudicating", False))
        self.reference_info = info
        ref = self.reference
        if info.missing and ref.path:  # a trained pipeline that has not predicted this document: run it here
            ran = self._ran.get((v.document.id, ref.path))
            if ran is not None:
                info.spans, info.missing = ran, False
                info.heading = f"{ref.title} (run on this document, not stored)"
            elif ref.path in self._unusable:
                info.heading += f" (it could not run here: {self._unusable[ref.path]})"
            elif not self._run_runner.running:
                info.heading += " — running it on this document…"
                self._running_path = ref.path
                self._run_runner.start(run_pipeline_on(self._loaded, ref.path, v.document.id, v.document.text))
        self.model_title.setText(info.heading)
        self.model_title.setToolTip(info.heading)

    def _pipeline_ran(self, value: Any) -> None:
        document_id, path, spans = value
        self._ran[(document_id, path)] = spans
        if self.view is not None and self.view.document.id == document_id and self.reference.path == path:
            self._reference_chosen(self.reference_combo.currentIndex())

    def _pipeline_failed(self, exc: Any) -> None:
        if self._running_path is not None:
            self._unusable[self._running_path] = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        self.statusBar().showMessage(f"Could not run {self.reference.title}: {exc}", 10000)
        if self.view is not None and self.reference.path == self._running_path:
            self.model_title.setText(f"{self.reference.title}: not pre-annotated with {self.reference.name}")

    def reference_spans(self) -> list[Span]:
        """The reference's spans for the open document (the model's before any is loaded)."""
        if self.reference_info is not None:
            return self.reference_info.spans
        return self.view.model_spans if self.view is not None else []

    def _render_reference(self) -> Rendering:
        v = self.view
        assert v is not None
        rendering = render(self.reference_spans(), v.gold, v.boilerplate, self.labels, gold_side=False)
        info = self.reference_info
        if info is not None and info.candidates:
            rendering = caption_candidates(rendering, info.candidates, info.annotators)
        return rendering

    def _repaint_panes(self, changed: list[Range]) -> None:
        """Repaint both panes after an edit: only what ``changed`` touches when that is cheap."""
        from annotator.core.render import rerender

        v = self.view
        assert v is not None
        if not changed:
            return
        info = self.reference_info
        overlapping = info is not None and bool(info.candidates)  # candidates overlap: render them whole
        if len(changed) > 200 or overlapping:
            self.model_view.update_rendering(self._render(gold_side=False))
            self.gold_view.update_rendering(self._render(gold_side=True))
            return
        ref = self.reference_spans()
        self.model_view.update_rendering(rerender(self.model_view.rendering, ref, v.gold, v.boilerplate,
                                                  self.labels, gold_side=False, changed=changed))
        self.gold_view.update_rendering(rerender(self.gold_view.rendering, v.gold, ref, v.boilerplate,
                                                 self.labels, gold_side=True, changed=changed))

    def shutdown_reference(self) -> None:
        self._run_runner.stop()
