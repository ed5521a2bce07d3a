"""``annotator train``: fine-tune (or train) a NER pipeline on the project's gold with spaCy's loop.

The work happens in a temporary folder beside the output: the corpora, spaCy's checkpoints,
the finished pipeline. Only a complete pipeline is moved into place, and only then is it
recorded in the project; an interrupted, cancelled or failed training leaves neither a
folder nor a record (a killed one's folder is removed by the next training in that place).
"""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, InputError, OutputError
from annotator.core.splits import check_dev_fraction
from annotator.ops.progress import NullProgress, Progress
from annotator.ops.training_config import CONSOLE_LOGGER, TrainingSettings, build_config
from annotator.ops.training_data import Base, Corpora, write_corpora
from annotator.ops.training_scores import score_pipeline
from annotator.paths import models_folder
from annotator.pipeline import DEFAULT_MODEL, load_pipeline, ner_components, pipeline_info
from annotator.store import Store
from annotator.store.training import TrainedModel
from annotator.tempfiles import stale_temps, stale_temps_in, temp_path

DEFAULT_NAME = "annotator_ner"
PROGRESS_LOGGER = "annotator.TrainingProgress.v1"


class TrainingCancelled(AnnotatorError):
    """The user stopped the training; nothing was kept."""


@dataclass
class StepInfo:
    """What the loop reports at an evaluation on the dev split."""

    step: int
    epoch: int
    score: float
    losses: dict[str, float]
    best: bool


@dataclass
class TrainReport:
    pipeline: str
    version: str
    path: Path
    base: str
    steps: int
    loop_seconds: float
    words: int  # words the loop had trained on at its last evaluation
    words_seconds: float  # loop time up to that evaluation
    corpora: Corpora
    scores: dict[str, Any]  # dev: the trained pipeline; base_dev: the base; retention; unused labels
    evaluations: list[StepInfo] = field(default_factory=list)

    @property
    def words_per_second(self) -> float:
        return self.words / self.words_seconds if self.words_seconds else 0.0


class _Run:
    """The running training's progress, cancellation and timing (read by the spaCy logger)."""

    active: "_Run | None" = None

    def __init__(self, progress: Progress, on_eval: Callable[[StepInfo], None] | None):
        self.progress, self.on_eval = progress, on_eval
        self.steps = 0
        self.started = 0.0
        self.words = 0
        self.words_seconds = 0.0
        self.best = float("-inf")
        self.evaluations: list[StepInfo] = []

    def log_step(self, info: dict[str, Any] | None) -> None:
        self.steps += 1
        self.progress.advance()
        if info is not None and info.get("score") is not None:
            self.words, self.words_seconds = int(info["words"]), time.perf_counter() - self.started
            score = float(info["score"])
            entry = StepInfo(int(info["step"]), int(info["epoch"]), score, dict(info["losses"]), score > self.best)
            self.best = max(self.best, score)
            self.evaluations.append(entry)
            if self.on_eval is not None:
                self.on_eval(entry)
        if self.progress.cancelled():
            raise TrainingCancelled("training cancelled; no pipeline was kept")


def _progress_logger() -> Callable[..., Any]:
    def setup(_nlp: Any, _stdout: Any, _stderr: Any) -> tuple[Callable[[Any], None], Callable[[], None]]:
        run = _Run.active
        assert run is not None, "the annotator training logger only runs inside annotator train"
        run.started = time.perf_counter()
        return run.log_step, lambda: None

    return setup


def _register_logger() -> None:
    from catalogue import RegistryError
    from spacy.util import registry

    try:
        registry.loggers.get(PROGRESS_LOGGER)
    except RegistryError:
        registry.loggers.register(PROGRESS_LOGGER, func=_progress_logger)


@dataclass(frozen=True)
class Loaded:
    """What a training starts from: the tokenizer for the corpora, the base (None when blank),
    the base's components to source and the language."""

    tokenizer: Any
    base: Base | None
    components: list[str]
    lang: str


def load_base(settings: TrainingSettings) -> Loaded:
    """The base pipeline loaded NER-only (or a blank language's tokenizer)."""
    if settings.blank:
        import spacy

        try:
            nlp = spacy.blank(settings.blank)
        except Exception as exc:  # noqa: BLE001 - spaCy raises ImportError/KeyError for unknown codes
            raise InputError(f"--blank {settings.blank}: not a language spaCy knows ({type(exc).__name__})") from None
        return Loaded(nlp.tokenizer, None, [], settings.blank)
    nlp = load_pipeline(str(settings.base))
    return Loaded(nlp.tokenizer, Base.of(nlp), ner_components(nlp), nlp.lang)


def save_base(loaded: Loaded, folder: Path) -> Path | None:
    """The base as loaded (NER-only) saved to ``folder`` for the config to source from; None when blank.

    Call before the base processes any text, so the copy's vocabulary is the base's own.
    """
    if loaded.base is None:
        return None
    loaded.base.nlp.to_disk(folder)
    return folder


def train_once(
    store: Store, settings: TrainingSettings, work: Path, loaded: Loaded, *, base_dir: Path | None,
    rehearsal: int | None, progress: Progress, on_eval: Callable[[StepInfo], None] | None,
    train_fraction: float = 1.0,
) -> tuple[Corpora, "_Run", Path]:
    """Corpora and one spaCy training run inside ``work``; returns the best pipeline's folder."""
    progress.start("Writing the corpora", None)
    corpora = write_corpora(store, work / "train.spacy", work / "dev.spacy", loaded.tokenizer, loaded.base,
                            rehearsal=rehearsal, seed=settings.seed, train_fraction=train_fraction)
    check_corpora(corpora)
    config = build_config(settings, corpora.train_path, corpora.dev_path, lang=loaded.lang,
                          components=loaded.components, base_dir=base_dir)
    run = run_training(config, work / "output", settings, progress, on_eval)
    final = work / "output" / "model-best"
    return corpora, run, final if final.is_dir() else work / "output" / "model-last"


def prepare(store: Store, settings: TrainingSettings, dev_fraction: float | None) -> TrainingSettings:
    """The settings checked (the default base filled in), the dev fraction set, the gold checked."""
    if settings.base is None and settings.blank is None:
        settings = TrainingSettings(DEFAULT_MODEL, None, settings.max_steps, settings.epochs, settings.seed)
    check_settings(settings)
    if dev_fraction is not None:
        check_dev_fraction(dev_fraction)
    check_gold(store)
    if dev_fraction is not None:  # for documents that become gold from now on; none moves
        store.set_dev_fraction(dev_fraction)
    return settings


def check_settings(settings: TrainingSettings) -> None:
    if settings.base and settings.blank:
        raise InputError("give --base or --blank, not both")
    if settings.max_steps is not None and settings.max_steps < 1:
        raise InputError(f"--max-steps must be at least 1, not {settings.max_steps}")
    if settings.epochs is not None and settings.epochs < 1:
        raise InputError(f"--epochs must be at least 1, not {settings.epochs}")


def check_gold(store: Store) -> tuple[int, int]:
    """(train, dev) gold document counts; InputError in one line when there is too little to train."""
    store.assign_missing_splits()
    counts = store.split_counts()
    train, dev = counts["train"], counts["dev"]
    _seed, fraction = store.split_settings()
    if train == 0 or dev == 0:
        raise InputError(
            f"too little gold to train: {train} train and {dev} dev document(s) (each accepted document goes to "
            f"dev with probability {fraction:g}, by its text, and stays there); training needs at least one of "
            "each - accept more documents")
    return train, dev


def check_corpora(corpora: Corpora) -> None:
    """InputError in one line when the gold written leaves a split empty (its documents' annotators
    disagree and nobody adjudicated them)."""
    if corpora.train_documents and corpora.dev_documents:
        return
    assert corpora.report is not None
    left_out = corpora.report.gold.conflicts
    raise InputError(
        f"too little gold to train: {corpora.train_documents} train and {corpora.dev_documents} dev document(s) "
        f"have gold; {left_out} document(s) are left out because their annotators disagree and nobody "
        "adjudicated them (see `annotator agreement`) - adjudicate or accept more documents")


def default_output(store: Store, pipeline: str, version: str) -> Path:
    return models_folder(store.path) / f"{pipeline}-{version}"


def train(
    store: Store,
    settings: TrainingSettings,
    *,
    out: Path | None = None,
    name: str = DEFAULT_NAME,
    dev_fraction: float | None = None,
    rehearsal: int | None = None,
    annotator: str | None = None,
    progress: Progress | None = None,
    on_eval: Callable[[StepInfo], None] | None = None,
) -> TrainReport:
    """Train on the train split, select and score on the dev split, record the pipeline."""
    progress = progress or NullProgress()
    settings = prepare(store, settings, dev_fraction)
    progress.start("Loading the base pipeline", None)
    loaded = load_base(settings)
    base = loaded.base
    pipeline = f"{loaded.lang}_{name}"
    version = store.next_model_version(pipeline)  # planned; allocated for good when recorded
    target = Path(out) if out is not None else default_output(store, pipeline, version)
    created = _check_target(target, create_parent=out is None)
    work = temp_path(target, ".part")
    remove_stale_work(target.parent if out is None else None, target)
    kept = False
    try:
        work.mkdir()
        base_dir = save_base(loaded, work / "base")
        corpora, run, final = train_once(store, settings, work, loaded, base_dir=base_dir, rehearsal=rehearsal,
                                         progress=progress, on_eval=on_eval)
        progress.start("Scoring on the dev split", None)
        scores = score_pipeline(final, corpora, base)
        _finish_folder(final, name=name, version=version, store=store, settings=settings, corpora=corpora,
                       scores=scores)
        with store.transaction():  # BEGIN IMMEDIATE: no other training can take the version meanwhile
            allocated = store.next_model_version(pipeline)
            if allocated != version:  # another training of this project recorded that version meanwhile
                version = allocated
                _set_version(final, version)
                if out is None:
                    target = default_output(store, pipeline, version)
            if target.exists():
                raise OutputError("already exists (written while this training ran); give another --out - a "
                                  "trained pipeline is never written over", path=target)
            try:
                final.rename(target)
            except OSError as exc:
                raise OutputError(f"cannot move the trained pipeline into place: {exc.strerror or exc}",
                                  path=target) from None
            record = TrainedModel(0, pipeline, version, str(target.resolve()), settings.describe_base(),
                                  corpora.snapshot, run.steps, settings.seed, corpora.train_documents,
                                  corpora.dev_documents, corpora.rehearsal_documents, scores,
                                  _settings_record(settings, run, corpora), annotator,
                                  datetime.now(timezone.utc).isoformat(timespec="seconds"))
            try:
                store.add_trained_model(record)
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)  # never a pipeline folder the project does not know
                raise
        kept = True
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if created is not None and not kept:
            try:
                created.rmdir()  # the models folder made for this training, if nothing else is in it
            except OSError:
                pass
    return TrainReport(pipeline, version, target, settings.describe_base(), run.steps, time.perf_counter() - run.started,
                       run.words, run.words_seconds, corpora, scores, run.evaluations)


def remove_stale_work(models: Path | None, target: Path | None = None) -> list[Path]:
    """Remove the unfinished folders killed trainings left: any in the ``models`` folder (the
    project's default one), and those for ``target``; returns them."""
    stale = stale_temps_in(models, ".part") if models is not None else []
    if target is not None:
        stale += [p for p in stale_temps(target, ".part") if p not in stale]
    for path in stale:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return stale


def _check_target(target: Path, *, create_parent: bool) -> Path | None:
    """Refuse an existing target or a missing folder; returns the folder it created, if any."""
    if target.exists():
        raise OutputError("already exists; give another --out (a trained pipeline is never written over)", path=target)
    if create_parent and not target.parent.exists():
        try:
            target.parent.mkdir(parents=True)
        except OSError as exc:
            raise OutputError(f"cannot create folder {target.parent}: {exc.strerror or exc}", path=target) from None
        return target.parent
    if not target.parent.is_dir():
        raise OutputError(f"folder {target.parent} does not exist", path=target)
    return None


def run_training(config: Any, output: Path, settings: TrainingSettings, progress: Progress,
                 on_eval: Callable[[StepInfo], None] | None) -> _Run:
    """spaCy's own initialisation and training loop on ``config``, reporting to ``progress``."""
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import train as train_loop

    _register_logger()
    config = config.copy()
    config["training"]["logger"] = {"@loggers": PROGRESS_LOGGER}
    progress.start("Preparing spaCy's training", None)
    nlp = init_nlp(config)
    run = _Run(progress, on_eval)
    limit = settings.steps_limit
    progress.start("Training", limit + 1 if limit else None)
    output.mkdir(parents=True, exist_ok=True)
    _Run.active = run
    try:
        train_loop(nlp, output, stdout=io.StringIO(), stderr=io.StringIO())
    finally:
        _Run.active = None
    return run


def _settings_record(settings: TrainingSettings, run: _Run, corpora: Corpora) -> dict[str, Any]:
    return {
        "max_steps": settings.steps_limit, "epochs": settings.epochs, "eval_frequency": settings.eval_frequency,
        "patience": settings.patience, "corrections": corpora.corrections, "train_words": corpora.train_words,
        "evaluations": [[e.step, e.score] for e in run.evaluations],
    }


def _finish_folder(folder: Path, *, name: str, version: str, store: Store, settings: TrainingSettings,
                   corpora: Corpora, scores: dict[str, Any]) -> None:
    """Name the pipeline (so its predictions are never mistaken for the base's) and put the
    config back to what ``--write-config`` writes (spaCy's console logger)."""
    import srsly
    from spacy import util

    saved = util.load_config(folder / "config.cfg", interpolate=False)
    saved["training"]["logger"] = dict(CONSOLE_LOGGER)
    saved["paths"]["train"] = saved["paths"]["dev"] = None  # the corpora were temporary
    if "base" in saved["paths"]:
        saved["paths"]["base"] = settings.describe_base()  # (its copy was temporary too)
    saved.to_disk(folder / "config.cfg")
    meta = srsly.read_json(folder / "meta.json")
    meta.update({
        "name": name, "version": version,
        "description": f"Named entities, trained by annotator from {settings.describe_base()} on "
                       f"{corpora.train_documents} gold document(s) (+{corpora.rehearsal_documents} rehearsal), "
                       f"scored on {corpora.dev_documents} dev document(s).",
        "annotator": {"project_id": store.project_id(), "gold_snapshot": corpora.snapshot,
                      "base": settings.describe_base(), "dev_scores": scores["dev"]},
    })
    srsly.write_json(folder / "meta.json", meta)


def _set_version(folder: Path, version: str) -> None:
    """Give the finished pipeline in ``folder`` another version (its meta.json)."""
    import srsly

    meta = srsly.read_json(folder / "meta.json")
    meta["version"] = version
    srsly.write_json(folder / "meta.json", meta)


def write_training_config(
    store: Store, settings: TrainingSettings, path: Path, *, rehearsal: int | None = None,
    dev_fraction: float | None = None,
) -> tuple[Path, Corpora]:
    """Write the config ``annotator train`` would run, with its corpora and the base beside it
    (``<name>.train.spacy``, ``<name>.dev.spacy``, ``<name>.base/``), for ``python -m spacy train``."""
    from annotator.ops.exporting import atomic_output

    settings = prepare(store, settings, dev_fraction)
    path = Path(path)
    if not (path.parent if str(path.parent) else Path(".")).is_dir():
        raise OutputError(f"folder {path.parent} does not exist", path=path)
    loaded = load_base(settings)
    base_dir = None
    if loaded.base is not None:
        base_dir = path.with_name(path.stem + ".base")
        shutil.rmtree(base_dir, ignore_errors=True)  # a copy an earlier --write-config left
        save_base(loaded, base_dir)
    train_path, dev_path = path.with_name(path.stem + ".train.spacy"), path.with_name(path.stem + ".dev.spacy")
    corpora = write_corpora(store, train_path, dev_path, loaded.tokenizer, loaded.base, rehearsal=rehearsal,
                            seed=settings.seed)
    config = build_config(settings, train_path, dev_path, lang=loaded.lang, components=loaded.components,
                          base_dir=base_dir)
    with atomic_output(path) as fh:
        fh.write(config.to_str())
    return path, corpora


def trained_here(store: Store, nlp: Any) -> TrainedModel | None:
    """The project's record of this pipeline when it was trained on this project's gold."""
    info = pipeline_info(nlp)
    record = store.trained_model(info.name, info.version)
    mark = nlp.meta.get("annotator") or {}
    if record is None or mark.get("project_id") != store.project_id() or mark.get("gold_snapshot") != record.gold_snapshot:
        return None
    return record
