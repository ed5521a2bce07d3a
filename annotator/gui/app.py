"""Starting the window: Qt application, error handling at the top, database, preparation."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

from annotator import __version__, paths as app_paths

DEBUG_ENV = "ANNOTATOR_DEBUG"  # set: the window says on stderr when its event loop runs (process tests)


def _display_problem() -> str | None:
    """Why Qt could not show a window here, in words, or None when it probably can.

    Qt aborts the process when no platform plugin loads, so the usual causes are checked first.
    """
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform.startswith("offscreen") or platform.startswith("minimal"):
        return None
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return ("no display: DISPLAY and WAYLAND_DISPLAY are unset. Run it on a desktop, under xvfb-run, "
                "or with QT_QPA_PLATFORM=offscreen for a headless check.")
    if os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and platform in ("", "xcb"):
        import ctypes.util

        missing = [lib for lib in ("xcb-cursor", "xkbcommon-x11", "xcb-icccm", "xcb-keysyms")
                   if ctypes.util.find_library(lib) is None]
        if missing:
            packages = {"xcb-cursor": "libxcb-cursor0", "xkbcommon-x11": "libxkbcommon-x11-0",
                        "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1"}
            return ("Qt's X11 (xcb) platform needs system libraries that are missing: "
                    + ", ".join(f"lib{m}" for m in missing) + ". On Debian/Ubuntu: sudo apt install "
                    + " ".join(packages[m] for m in missing))
    return None


def create_application(argv: list[str] | None = None):  # noqa: ANN201 - QApplication
    if "shiboken6" not in sys.modules:  # before PySide6 loads its support files
        from annotator.gui.qt_support_files import check_before_import

        check_before_import()
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName("annotator")
        QCoreApplication.setApplicationName("annotator")
        QCoreApplication.setApplicationVersion(__version__)
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    return app


def install_excepthook(parent_getter) -> None:  # noqa: ANN001
    """Bugs reach a dialog with copyable details instead of killing the window."""
    from annotator.gui.dialogs import show_bug

    previous = sys.excepthook

    def hook(exc_type, exc, tb):  # noqa: ANN001
        previous(exc_type, exc, tb)
        if issubclass(exc_type, KeyboardInterrupt):
            return
        try:
            show_bug(parent_getter(), exc_type, exc, tb)
        except Exception:  # the dialog itself failed: the traceback is already on stderr
            pass

    sys.excepthook = hook


def after_first_paint(view, callback) -> None:  # noqa: ANN001 - a QAbstractScrollArea, a callable
    """Call ``callback`` once ``view`` has been painted for the first time (with the window around it).

    A zero timer set before the event loop runs fires *before* the first paint (Qt posts the
    paint at a lower priority), so "shown" is said from the paint itself, one turn later."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):  # noqa: ANN001, ANN201, N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                watched.removeEventFilter(self)
                QTimer.singleShot(0, callback)  # after the rest of this paint (the other widgets)
            return False

    view.viewport().installEventFilter(FirstPaint(view))


def prepare_after_first_paint(window, db_path: Path, for_import: list[str], fallback_ms: int = 2000) -> None:  # noqa: ANN001
    """Start the window's preparation (import, pre-annotation) once its first document is painted.

    The worker thread opens its own connection and counts what is to do; started before the
    paint, it held the GIL while the first document was laid out (~100 ms later on screen).
    A window that is not painted (on another workspace) starts it after ``fallback_ms``."""
    from PySide6.QtCore import QTimer

    started = False

    def start() -> None:
        nonlocal started
        if started or not window.isVisible():  # once; never for a window closed meanwhile
            return
        started = True
        window.prepare(db_path, for_import)

    after_first_paint(window.gold_view, start)
    QTimer.singleShot(fallback_ms, start)


def load_store_writer_after_first_paint(window) -> None:  # noqa: ANN001
    """Import sqlite-utils (the store's writer) once the first document is painted.

    The store opens and reads with the plain sqlite3 connection, so the window paints first;
    loaded now, while the reviewer looks at the document, the first edit does not wait ~120 ms
    for it. (One more turn of the event loop: after the other first-paint callbacks.)"""
    from PySide6.QtCore import QTimer

    from annotator.store.connection import import_sqlite_utils

    after_first_paint(window.gold_view, lambda: QTimer.singleShot(0, import_sqlite_utils))


def unpack_qt_support_files_after_first_paint(window) -> None:  # noqa: ANN001
    """Once the first document is painted, unpack PySide6's support modules for the next starts
    (:mod:`annotator.gui.qt_support_files`; once per PySide6 install, in a thread)."""
    from annotator.gui.qt_support_files import unpack_in_background

    after_first_paint(window.gold_view, unpack_in_background)


def pause_gc_for_start() -> bool:
    """Pause Python's cyclic garbage collector while the window starts (see :func:`resume_gc`).

    Starting makes ~50,000 tracked objects that live as long as the window (modules, classes,
    Qt wrappers, the first page and document); the collector walked them ~65 times before the
    first paint (young and middle generations: ~50 ms of CPU under load, measured with
    benchmarks/start_breakdown.py), and a full collection at the paint finds ~300 objects to
    free. Returns whether it was running (and so is to be resumed)."""
    running = gc.isenabled()
    gc.disable()
    return running


def resume_gc(was_running: bool) -> None:
    """Once the first document is painted: freeze what the start made (``gc.freeze()``: out of the
    collector's generations, never walked again, as CPython's docs advise for start-up objects; the
    few hundred start-up objects that were garbage stay) and resume collecting. Without the freeze,
    the first young collection would walk everything made since the pause."""
    if was_running and not gc.isenabled():
        gc.freeze()
        gc.enable()


def resume_gc_after_first_paint(window, was_running: bool, fallback_ms: int = 2000) -> None:  # noqa: ANN001
    """:func:`resume_gc` after the window's first paint, or after ``fallback_ms`` if it is not painted."""
    from PySide6.QtCore import QTimer

    done = False

    def resume() -> None:
        nonlocal done
        if not done:
            done = True
            resume_gc(was_running)

    after_first_paint(window.gold_view, resume)
    QTimer.singleShot(fallback_ms, resume)


def run_gui(db_path: Path, import_paths: list[str], model: str, *, show: bool = True, smoke: bool = False) -> int:
    """Open the reviewer's window on ``db_path``; import and pre-annotate ``import_paths`` first.

    With ``smoke`` the window opens, shows the first document, prints one line and quits
    (start-up checks and the cold-start benchmark).
    """
    problem = _display_problem()
    if problem:
        print(f"error: cannot open the window: {problem}", file=sys.stderr)
        return 2
    gc_was_running = pause_gc_for_start()
    try:
        return _run_gui(db_path, import_paths, model, show=show, smoke=smoke, gc_was_running=gc_was_running)
    finally:
        resume_gc(gc_was_running)  # a start that ended before its first paint (an error, no event loop)


def _run_gui(db_path: Path, import_paths: list[str], model: str, *, show: bool, smoke: bool,
             gc_was_running: bool) -> int:
    # The database layer before Qt: once PySide6 is loaded, it reads the source of every module
    # imported after it (its __feature__ check), ~0.2 ms each. (sqlite-utils, the store's writer,
    # loads after the first paint: load_store_writer_after_first_paint.)
    from annotator.store import Store

    try:
        app = create_application()
    except Exception as exc:  # missing Qt platform plugin or system library
        print(f"error: cannot start Qt ({exc}). On Linux install libegl1, libgl1, libxkbcommon-x11-0 and the "
              "libxcb-* packages, or set QT_QPA_PLATFORM=offscreen.", file=sys.stderr)
        return 2
    from PySide6.QtWidgets import QApplication

    from annotator.core.errors import AnnotatorError
    from annotator.gui.dialogs import show_error
    from annotator.gui.main_window import MainWindow

    try:
        for_import: list[str] = []
        if import_paths:  # the import code (srsly) loads only when there is something to import
            from annotator.ops.importing import collect_files

            for_import = [str(p) for p in collect_files(import_paths)]
        from annotator.store.connection import GUI_BUSY_TIMEOUT_MS, default_busy_timeout_ms

        store = Store.open(db_path, busy_timeout_ms=default_busy_timeout_ms(GUI_BUSY_TIMEOUT_MS))
    except AnnotatorError as exc:
        show_error(None, "annotator", str(exc))
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from annotator.gui.quit_signals import quit_on_signals

    quit_on_signals(app)  # kill PID / Ctrl+C close the window cleanly
    window = MainWindow(store, model=model, annotator=app_paths.current_annotator(store.owner()))
    install_excepthook(lambda: QApplication.activeWindow() or window)
    window.show()
    window.open_initial_document()
    resume_gc_after_first_paint(window, gc_was_running)
    if not show and not smoke:  # no event loop: prepare now (the caller waits for it)
        window.prepare(db_path, for_import)
        return 0
    prepare_after_first_paint(window, db_path, for_import)  # (its hook runs after the smoke's one below)
    load_store_writer_after_first_paint(window)
    unpack_qt_support_files_after_first_paint(window)
    if smoke:
        def say_shown() -> None:
            shown = window.view.document.source if window.view else "no document"
            print(f"annotator: window up, first document shown: {shown} (as {window.annotator})", flush=True)

        def finish() -> None:
            window.close()
            app.quit()

        if for_import:  # the imported documents are what is to be shown
            window.prepared.connect(lambda: (say_shown(), finish()))
        else:  # said once the window has painted; quit once that and the preparation (if any) are done
            waiting = {"painted", "prepared"}

            def done(what: str) -> None:
                waiting.discard(what)
                if not waiting:
                    finish()

            after_first_paint(window.gold_view, lambda: (say_shown(), done("painted")))
            window.prepared.connect(lambda: done("prepared"))
        code = app.exec()
        store.close()
        return int(code)
    if os.environ.get(DEBUG_ENV):
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: print("annotator: event loop running", file=sys.stderr, flush=True))
    code = app.exec()
    store.close()
    return int(code)
