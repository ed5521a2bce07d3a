"""The one module that resolves paths: database, resources and the bundled model, from source or frozen."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

DB_ENV = "ANNOTATOR_DB"
USER_ENV = "ANNOTATOR_USER"
DEFAULT_DB_NAME = "annotations.db"


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def app_root() -> Path:
    """The folder holding ``resources/`` and ``seeds/``: the bundle, or the source checkout."""
    if is_frozen():
        return Path(sys._MEIPASS)  # type: ignore[attr-defined]
    return Path(__file__).resolve().parent.parent


def resource(name: str) -> Path:
    """A file under ``resources/``."""
    return app_root() / "resources" / name


def seeds_dir() -> Path:
    return app_root() / "seeds"


def user_data_dir() -> Path:
    """The per-user data folder (XDG on Linux, Application Support on macOS, %APPDATA% on Windows)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "annotator"


def database_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """``--db`` if given, else ``$ANNOTATOR_DB``, else ``annotations.db``: in the current folder
    when run from source, in the user's data folder when frozen (never inside the bundle)."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env)
    if is_frozen():
        folder = user_data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return folder / DEFAULT_DB_NAME
    return Path.cwd() / DEFAULT_DB_NAME


def current_annotator(owner: str | None = None) -> str:
    """Who is annotating: the ``owner`` of an assigned annotator's file (``Store.owner()``), else
    ``$ANNOTATOR_USER``, else the login name."""
    if owner:
        return owner
    name = os.environ.get(USER_ENV)
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # getuser raises various errors when no login name is known
        return "annotator"


def annotator_command() -> list[str]:
    """How to run this annotator's command line in a new process: the frozen executable, or
    this Python with ``-m annotator``."""
    if is_frozen():
        return [sys.executable]
    return [sys.executable, "-m", "annotator"]


def models_folder(db_path: str | os.PathLike[str]) -> Path:
    """Where trained pipelines of the project at ``db_path`` go by default: ``<name>-models`` beside it."""
    db = Path(db_path).resolve()
    return db.parent / f"{db.stem}-models"
