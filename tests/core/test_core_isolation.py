"""annotator.core must import neither Qt nor SQLite (checked in a fresh interpreter)."""

import pkgutil
import subprocess
import sys

import annotator.core


def test_core_imports_neither_qt_nor_sqlite():
    modules = [f"annotator.core.{m.name}" for m in pkgutil.iter_modules(annotator.core.__path__)]
    assert len(modules) >= 8
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'sqlite3', '_sqlite3', 'sqlite_utils'))\n"
        + "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_sql_lives_only_in_the_store_package():
    import re
    from pathlib import Path

    root = Path(annotator.core.__file__).resolve().parents[1]
    offenders = []
    for path in root.rglob("*.py"):
        if "store" in path.relative_to(root).parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\.execute\(|\b(SELECT|INSERT INTO|DELETE FROM|UPDATE \w+ SET)\b", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
