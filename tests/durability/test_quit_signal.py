"""``kill PID`` closes the reviewer's window cleanly: a real ``annotator open`` process, a real signal.

Before the fix Qt's event loop never let Python run its handler: SIGTERM was ignored until
the window got an event (offscreen: never) and Ctrl+C did nothing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sqlite3

pytestmark = [pytest.mark.gui, pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_closes_the_window_cleanly(tmp_path, project_db, number):
    db = tmp_path / "work.db"
    shutil.copy(project_db, db)
    config = tmp_path / "config"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ANNOTATOR_USER="tester", XDG_CONFIG_HOME=str(config),
               ANNOTATOR_DEBUG="1")
    proc = subprocess.Popen([sys.executable, "-m", "annotator", "open", "--db", str(db)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:  # the window is up and Qt's event loop runs: now Python never gets control
            seen.append(line)
            if line.startswith("annotator: event loop running"):
                break
        else:
            raise AssertionError(f"the window did not come up: {proc.wait()} {''.join(seen)}")
        time.sleep(0.5)
        proc.send_signal(number)
        out, err = proc.communicate(timeout=20)
        err = "".join(seen) + err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert f"{signal.Signals(number).name} received" in err
    settings = (config / "annotator" / "annotator.conf").read_text()
    assert "geometry" in settings, "the window closed through closeEvent and saved its layout"
    assert not Path(f"{db}-wal").exists(), "every connection was closed (the last one removes the WAL)"
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
