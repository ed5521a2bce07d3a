"""Edits the window acknowledged survive other programs using the database, SIGKILL and quit.

Real separate processes, as users hit it: the reviewer's window (the real MainWindow
offscreen, its preparation worker included) edits through its own methods while
``annotator stats``, ``export``, ``import``, ``preannotate`` and the ``sqlite3`` shell open
and close the same file. Before the fix, the header check closed a descriptor of the
database in the window's process, which dropped its SQLite locks; the next program to
close the database deleted the WAL the window was still writing to, and every later
edit vanished on SIGKILL (or the file was left malformed after a normal quit).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.durability.checker import check_database, sqlite3_shell

pytestmark = [pytest.mark.gui, pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]


class Driver:
    """The window process: send commands, read its lines."""

    def __init__(self, db: Path, settings: Path, seed: int = 0):
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ANNOTATOR_USER="tester")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.durability.window_driver", str(db), str(settings), str(seed)],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[str] = []
        self.wait_for("READY")

    def wait_for(self, marker: str) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            if line == marker:
                return
        raise AssertionError(f"window process ended before {marker}: {self.proc.wait()} {self.proc.stderr.read()}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def send(self, command: str, marker: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        self.wait_for(marker)


def cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANNOTATOR_USER="someone-else")
    result = subprocess.run([sys.executable, "-m", "annotator", *args, "--db", str(db)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (args, result.stderr)
    return result


class OtherPrograms:
    """Readers and writers of the same database, each a separate process, started together."""

    def __init__(self, db: Path, work: Path, round_: int):
        folder = work / f"more-{round_}"
        folder.mkdir()
        for i in range(12):
            (folder / f"new-{round_}-{i}.txt").write_text(
                f"Report {round_}-{i} from Bamako: Mali and Niger met in Niamey.\n", encoding="utf-8")
        jobs = [
            lambda: cli(db, "stats"),
            lambda: cli(db, "export", "--out", str(work / f"out-{round_}.jsonl"), "--all"),
            lambda: cli(db, "import", str(folder)),
            lambda: sqlite3_shell(db),
            lambda: cli(db, "preannotate"),
        ]
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._guard, args=(job,)) for job in jobs]
        for thread in self.threads:
            thread.start()

    def _guard(self, job) -> None:  # noqa: ANN001
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - reported by join()
            self.errors.append(exc)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=300)
        assert not self.errors, self.errors


@pytest.mark.parametrize("ending", ["sigkill", "quit"])
def test_acknowledged_edits_survive_other_programs(project_db, tmp_path, ending):
    driver = Driver(project_db, tmp_path / "settings.ini", seed=7)
    try:
        cli(project_db, "stats")  # another program opens and closes the database while the window is open
        sqlite3_shell(project_db)
        driver.send("edit 15", "EDITED")
        OtherPrograms(project_db, tmp_path, 1).join()
        driver.send("edit 15", "EDITED")
        running = OtherPrograms(project_db, tmp_path, 2)  # meanwhile: the window edits as they run
        driver.send("edit 25", "EDITED")
        running.join()
        driver.send("edit 10", "EDITED")
        if ending == "sigkill":
            driver.proc.send_signal(signal.SIGKILL)
            assert driver.proc.wait(timeout=60) == -signal.SIGKILL
        else:
            driver.send("quit", "QUIT")
            assert driver.proc.wait(timeout=60) == 0
    finally:
        driver.close()
    result = check_database(project_db, driver.lines, finished=True)
    assert result.integrity == "ok"
    assert result.acknowledged >= 40 and result.documents >= 2
    assert result.lost == [], result.lost
    stats = cli(project_db, "stats", "--json")
    assert '"documents": 29' in stats.stdout  # 5 seeds + 2 x 12 imported while the window was open
