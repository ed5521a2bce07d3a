"""Start-up: the window's first document needs Qt, SQLite and the review code, nothing else.

The command line (typer, rich), export and import (srsly, numpy) and the pipeline (spaCy) load
when they are used; these tests fail as soon as the start path imports one of them again."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject

from annotator.gui.app import (after_first_paint, pause_gc_for_start, prepare_after_first_paint,
                               resume_gc_after_first_paint)

pytestmark = [pytest.mark.gui, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
NOT_AT_START = ("typer", "rich", "numpy", "srsly", "spacy", "thinc", "catalogue", "annotator.cli",
                "annotator.ops.exporting", "annotator.ops.importing", "annotator.ops.preannotate",
                "annotator.ops.training", "annotator.ops.evaluating",
                # the report windows, the export dialog and relabelling load when first used
                "annotator.gui.report_window", "annotator.gui.export_dialog", "annotator.ops.occurrences",
                "annotator.store.bulk", "annotator.ops.adjudication", "annotator.core.agreement",
                "importlib.metadata")  # reading every installed package's metadata (sqlite-utils plugins)


def loaded_too_early(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == name or m.startswith(name + ".") for name in NOT_AT_START))


def test_the_window_modules_import_nothing_heavy():
    code = ("import sys; import annotator.launch, annotator.gui.app, annotator.gui.main_window, "
            "annotator.gui.quit_signals; print('\\n'.join(sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    modules = set(result.stdout.split())
    assert "annotator.gui.main_window" in modules
    assert loaded_too_early(modules) == []


def test_annotator_open_shows_the_first_document_without_the_heavy_modules(project_db, tmp_path):
    """The real start (``python -m annotator open --smoke``, the preparation thread included): every
    module it imported, as ``-X importtime`` lists them."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ANNOTATOR_USER="tester", XDG_CONFIG_HOME=str(tmp_path))
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "annotator", "open", "--db", str(project_db),
                             "--smoke"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "first document shown: 000_e5af05bdd28e0bde.txt (as tester)" in result.stdout
    modules = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", result.stderr, re.MULTILINE))
    assert "annotator.gui.main_window" in modules and "annotator.launch" in modules
    assert loaded_too_early(modules) == []


def test_annotator_open_paints_the_first_document_before_sqlite_utils_loads(project_db, tmp_path):
    """sqlite-utils (click, dateutil, its big db module) is for writes and migrations: a project already
    up to date is opened, checked and read with the plain sqlite3 connection. ``-X importtime`` lines
    (stderr) and the line said after the first paint (stdout) go to one pipe, in the order they happened."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ANNOTATOR_USER="tester", XDG_CONFIG_HOME=str(tmp_path),
               PYTHONUNBUFFERED="1")
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "annotator", "open", "--db", str(project_db),
                             "--smoke"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:]
    before, shown, _after = result.stdout.partition("first document shown: 000_e5af05bdd28e0bde.txt (as tester)")
    assert shown, result.stdout[-2000:]
    modules = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", before, re.MULTILINE))
    assert "annotator.gui.main_window" in modules and "annotator.store.store" in modules
    assert sorted(m for m in modules if m.split(".")[0] in ("sqlite_utils", "click", "dateutil")) == []
    # the default pipeline is named (annotator.DEFAULT_MODEL), its module loaded by the preparation after the paint
    assert "annotator.pipeline" not in modules


def test_after_first_paint_runs_once_the_pane_has_painted(window, qtbot):
    """A zero timer set before the event loop fires before the first paint; this waits for the paint."""
    window.hide()
    events: list[str] = []

    class Paints(QObject):
        def eventFilter(self, watched, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                events.append("paint")
            return False

    paints = Paints(window)
    window.gold_view.viewport().installEventFilter(paints)
    after_first_paint(window.gold_view, lambda: events.append("called"))
    window.show()
    qtbot.waitUntil(lambda: "called" in events)
    assert events.index("paint") < events.index("called")
    assert events.count("called") == 1


def test_the_preparation_starts_once_the_first_document_is_painted(window, qtbot):
    """Its worker thread, started before the paint, held the GIL while the document was laid out."""
    window.hide()
    seen: list[tuple[str, bool]] = []

    class Paints(QObject):
        def eventFilter(self, watched, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                seen.append(("paint", window.preparing))
            return False

    window.gold_view.viewport().installEventFilter(Paints(window))
    window.prepared.connect(lambda: seen.append(("prepared", window.preparing)))
    prepare_after_first_paint(window, window.store.path, [])
    assert not window.preparing
    window.show()
    qtbot.waitUntil(lambda: ("prepared", False) in seen, timeout=60_000)
    assert seen[0] == ("paint", False), "nothing is prepared before the first paint"
    assert window.statusBar().currentMessage() == "Every document is pre-annotated."


def test_a_window_closed_before_its_paint_prepares_nothing(window, qtbot):
    window.close()
    prepare_after_first_paint(window, window.store.path, [], fallback_ms=10)
    qtbot.wait(200)
    assert not window.preparing and window._worker is None


@pytest.fixture
def collector_restored():
    yield
    gc.unfreeze()  # what the resume froze goes back to the collector (the test session goes on)
    gc.enable()


def test_the_collector_is_paused_until_the_first_paint_then_frozen_and_resumed(window, qtbot, collector_restored):
    window.hide()
    seen: list[tuple[str, bool]] = []

    class Paints(QObject):
        def eventFilter(self, watched, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                seen.append(("paint", gc.isenabled()))
            return False

    window.gold_view.viewport().installEventFilter(Paints(window))
    was_running = pause_gc_for_start()
    assert was_running and not gc.isenabled()
    frozen_before = gc.get_freeze_count()
    resume_gc_after_first_paint(window, was_running, fallback_ms=60_000)
    qtbot.wait(50)
    assert not gc.isenabled(), "not resumed before the window is painted"
    window.show()
    qtbot.waitUntil(gc.isenabled)
    assert seen[0] == ("paint", False)
    assert gc.get_freeze_count() > frozen_before  # the start-up objects are out of the collector's walks


def test_a_window_never_painted_resumes_the_collector_after_the_fallback(window, qtbot, collector_restored):
    window.hide()
    resume_gc_after_first_paint(window, pause_gc_for_start(), fallback_ms=20)
    assert not gc.isenabled()
    qtbot.waitUntil(gc.isenabled)
