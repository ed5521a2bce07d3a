"""The window's Tools → Evaluation and Tools → Agreement: secondary windows computed in the background.

A mixin of MainWindow; the windows are annotator.gui.evaluation_view and annotator.gui.agreement_view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the report windows (and their Qt classes) load when one first opens, not with the window
    from annotator.gui.report_window import ReportWindow

REPORTS = ("evaluation_dialog", "agreement_dialog")


class ReportsMixin:
    """Create or raise a report window; when it closes the keyboard goes back to the gold pane."""

    evaluation_dialog: ReportWindow | None = None
    agreement_dialog: ReportWindow | None = None

    def show_evaluation(self) -> None:
        """Scores of the stored predictions against the accepted gold (non-modal, computed in the background)."""
        from annotator.gui.evaluation_view import EvaluationDialog, evaluation_task

        def make() -> EvaluationDialog:
            dialog = EvaluationDialog(evaluation_task(self.store.path, self.model_name, self.warm_idle),
                                      self.open_span, self.labels, self)
            dialog.before_run = self.pause_evaluation_warm_up  # it scores what is missing: no warm-up beside it
            return dialog

        self._show_report("evaluation_dialog", make)

    def show_agreement(self) -> None:
        """Agreement between the annotators who accepted the same documents (non-modal, in the background)."""
        from annotator.gui.agreement_view import AgreementDialog, agreement_task

        self._show_report("agreement_dialog", lambda: AgreementDialog(
            agreement_task(self.store.path, self.model_name), self.show_document, self.labels, self))

    def _show_report(self, name: str, make: Callable[[], ReportWindow]) -> None:
        """Show (creating it the first time) a report window and compute it afresh (unless it is computing)."""
        report = getattr(self, name)
        if report is None:
            report = make()
            report.finished.connect(self.return_focus)  # the keys back to the gold pane
            setattr(self, name, report)
        report.refresh()
        report.show()
        report.raise_()
        report.activateWindow()

    def shutdown_reports(self) -> None:
        """Stop the report windows' workers (before the main window, and they with it, go)."""
        for name in REPORTS:
            report = getattr(self, name)
            if report is not None:
                report.shutdown()
