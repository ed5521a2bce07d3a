"""How many actions it takes to correct the five seeds in the window, counted as a user makes them.

The target gold is the one a careful reviewer leaves (``tests/seed_review.py``: Mali relabelled GPE
everywhere, the boilerplate suggestions accepted, "junta" added as NORP, every document accepted).
Here the same corrections are made in the real window with real key presses and mouse actions;
every key press and every mouse action goes through ``Actions``, which counts them. The exported
gold of both databases must be the same; the count is printed (``pytest -s``) and must stay well under
the 110 actions the first pass of the window took.
"""

import json
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QPoint, Qt

from annotator.core.model import ACCEPTED
from annotator.gui.occurrences_view import OccurrencesDialog
from annotator.ops.exporting import export
from annotator.store import Store
from tests.conftest import SEEDS
from tests.gui.conftest import point_at, when_shown
from tests.seed_review import review_seeds

pytestmark = [pytest.mark.gui, pytest.mark.integration]

FIRST_PASS = 110  # actions the first pass of the window took for the same work (issue 11)


@dataclass
class Actions:
    """Real input events, counted: one key press (with its modifiers), one click, one drag = one action."""

    qtbot: object
    keys: int = 0
    mouse: int = 0
    log: list[str] = field(default_factory=list)

    def key(self, widget, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        self.keys += 1
        self.log.append(f"key {Qt.Key(key).name} {modifiers}")
        self.qtbot.keyClick(widget, key, modifiers)

    def click(self, widget, pos: QPoint) -> None:
        self.mouse += 1
        self.log.append(f"click {type(widget).__name__}")
        self.qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)

    def drag(self, view, start: int, end: int) -> None:
        """Select from offset ``start`` to ``end`` with one press-move-release."""
        self.mouse += 1
        self.log.append("drag")
        a, b = point_at(view, start), point_at(view, end)
        self.qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=a)
        self.qtbot.mouseMove(view.viewport(), b)
        self.qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=b)

    @property
    def total(self) -> int:
        return self.keys + self.mouse


def exported_gold(db) -> dict[str, list[tuple[str, str]]]:
    """Per document text: the exported gold spans as (text, label), in order."""
    out = db.parent / f"{db.stem}.jsonl"
    with Store.open(db) as store:
        export(store, out)
    gold = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        gold[record["text"]] = [(record["text"][s["start"]:s["end"]], s["label"]) for s in record["spans"]]
    return gold


def test_correcting_the_seeds_counts_its_actions(qtbot, window, project_db, tmp_path, real_nlp):
    act = Actions(qtbot)
    view = window.gold_view
    view.setFocus()
    text = window.view.document.text
    assert window.view.document.source.startswith("000_")

    # Mali is PERSON in the model: click it, G makes it GPE, Ctrl+R offers GPE for every occurrence
    mali = next(s for s in window.view.gold if text[s.start:s.end] == "Mali" and s.label == "PERSON")
    act.click(view.viewport(), point_at(view, mali.start + 1))
    act.key(view, Qt.Key.Key_G)
    opened = []

    def in_the_dialog(dialog):
        opened.append(dialog)
        dialog.wait_for_scan()
        assert dialog.label_box.currentData() == "GPE"  # the label just applied, not the old one
        radio = dialog.in_corpus
        act.click(radio, QPoint(8, radio.height() // 2))
        dialog.wait_for_scan()
        qtbot.waitUntil(lambda: dialog.summary is not None)
        act.key(radio, Qt.Key.Key_Return)  # the default button: apply

    when_shown(OccurrencesDialog, in_the_dialog)
    act.key(view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert opened and not opened[0].isVisible()
    window.activateWindow()  # a desktop gives focus back after a dialog; offscreen needs asking
    qtbot.waitUntil(window.isActiveWindow)

    # each document: accept the boilerplate suggestions, add "junta" where missing, accept and go on
    for _ in range(5):
        doc = window.view.document
        text = doc.text
        act.key(view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
        if "junta" in text:
            at = text.index("junta")
            if not any(s.start < at + 5 and at < s.end for s in window.view.gold):
                act.drag(view, at + 1, at + 4)  # part of the word: the selection snaps to the token
                act.key(view, Qt.Key.Key_N)
        act.key(view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert window.store.review(doc.id).state == ACCEPTED

    assert window.progress_status.text() == "5 / 5 accepted"
    reference = tmp_path / "reference.db"
    with Store.open(reference) as store:
        review_seeds(store, real_nlp)
    ours, theirs = exported_gold(project_db), exported_gold(reference)
    assert sorted(ours) == sorted(theirs) and len(ours) == 5
    differences = {t[:40]: (sorted(set(ours[t]) - set(theirs[t])), sorted(set(theirs[t]) - set(ours[t])))
                   for t in ours if ours[t] != theirs[t]}
    assert not differences, differences  # (only here, only in the reference) per document
    assert act.total < FIRST_PASS
    print(f"\nCorrecting the {len(list(SEEDS.iterdir()))} seeds took {act.total} actions "
          f"({act.keys} keys, {act.mouse} mouse) against {FIRST_PASS} in the first pass:\n  " + "\n  ".join(act.log))
