"""``annotator train-curve``: does more gold still help?

Trains with the same settings on 25, 50, 75 and 100% of the train split (nested subsets:
each contains the smaller ones) and scores each on the whole dev split. If the score still
rises from 75% to 100%, annotating more documents of the same kind is likely to help.
Nothing is kept or recorded: each run works in a temporary folder.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.ops.progress import NullProgress, Progress
from annotator.ops.training import StepInfo, load_base, prepare, save_base, train_once
from annotator.ops.training_scores import evaluate_on
from annotator.ops.training_config import TrainingSettings
from annotator.store import Store

FRACTIONS = (0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class CurvePoint:
    fraction: float
    train_documents: int
    rehearsal_documents: int
    steps: int
    dev: dict[str, Any]  # ents_p, ents_r, ents_f, ents_per_type


@dataclass
class CurveReport:
    base: str
    dev_documents: int
    base_dev: dict[str, Any] | None  # the base pipeline before any training
    points: list[CurvePoint] = field(default_factory=list)

    @property
    def last_step(self) -> str:
        """The last step of the curve, as "75% → 100%"."""
        if len(self.points) < 2:
            return ""
        return f"{self.points[-2].fraction:.0%} → {self.points[-1].fraction:.0%}"

    @property
    def last_gain(self) -> float:
        """Dev F at 100% minus dev F at the previous point."""
        if len(self.points) < 2:
            return 0.0
        return float(self.points[-1].dev["ents_f"] or 0.0) - float(self.points[-2].dev["ents_f"] or 0.0)

    @property
    def still_improving(self) -> bool:
        return self.last_gain > 0.0


def train_curve(
    store: Store, settings: TrainingSettings, *, fractions: tuple[float, ...] | None = None,
    dev_fraction: float | None = None, rehearsal: int | None = None, progress: Progress | None = None,
    on_point: Callable[[CurvePoint], None] | None = None, on_eval: Callable[[StepInfo], None] | None = None,
) -> CurveReport:
    """Dev scores after training on growing shares of the train split (see the module docstring);
    ``fractions`` default to :data:`FRACTIONS`."""
    progress = progress or NullProgress()
    settings = prepare(store, settings, dev_fraction)
    progress.start("Loading the base pipeline", None)
    loaded = load_base(settings)
    report = CurveReport(settings.describe_base(), store.split_counts()["dev"], None)
    work = tempfile.mkdtemp(prefix="annotator-curve-")
    try:
        base_dir = save_base(loaded, Path(work) / "base")
        for k, fraction in enumerate(fractions or FRACTIONS):
            folder = Path(work) / f"run{k}"
            folder.mkdir()
            corpora, run, final = train_once(store, settings, folder, loaded, base_dir=base_dir, rehearsal=rehearsal,
                                             progress=progress, on_eval=on_eval, train_fraction=fraction)
            report.dev_documents = corpora.dev_documents  # with gold: conflicts left out
            if report.base_dev is None and loaded.base is not None:
                report.base_dev = evaluate_on(loaded.base.nlp, corpora.dev_path)
            point = CurvePoint(fraction, corpora.train_documents, corpora.rehearsal_documents, run.steps,
                               evaluate_on(final, corpora.dev_path))
            report.points.append(point)
            if on_point is not None:
                on_point(point)
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report
