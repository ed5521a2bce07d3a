"""The spaCy training config ``annotator train`` runs (and ``--write-config`` writes).

From a base pipeline the config sources the base's NER component (and whatever it listens
to) and copies the base's tokenizer and vocabulary, so training fine-tunes that NER. The base
is read from a copy saved NER-only (``[paths] base``): spaCy would otherwise load the whole
base pipeline, twice, and the standalone bundle ships only the components NER needs. With
``--blank LANG`` it is spaCy's own generated NER config (``spacy init config``). Either way
the training settings are spaCy's usual ones, with the main score being the entities' F on
the dev split. ``python -m spacy train CONFIG`` with this file trains the same pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MAX_STEPS = 600
CONSOLE_LOGGER = {"@loggers": "spacy.ConsoleLogger.v1", "progress_bar": False}


@dataclass(frozen=True)
class TrainingSettings:
    """What the user chose: where from, how long, which seed."""

    base: str | None = None  # pipeline package name or path to fine-tune
    blank: str | None = None  # language code to train from scratch instead
    max_steps: int | None = None  # None with epochs None: DEFAULT_MAX_STEPS
    epochs: int | None = None
    seed: int = 0

    @property
    def steps_limit(self) -> int:
        """spaCy's ``max_steps`` (0: no limit, when training by epochs)."""
        if self.epochs is not None:
            return 0 if self.max_steps is None else self.max_steps
        return DEFAULT_MAX_STEPS if self.max_steps is None else self.max_steps

    @property
    def eval_frequency(self) -> int:
        """Evaluate on dev about ten times in a run (every step in a very short one), at most every 200 steps."""
        limit = self.steps_limit
        return max(1, min(200, limit // 10)) if limit else 50

    @property
    def patience(self) -> int:
        """Stop after this many steps without a better dev score (six evaluations)."""
        return 6 * self.eval_frequency

    def describe_base(self) -> str:
        return f"blank:{self.blank}" if self.blank else str(self.base)


def build_config(
    settings: TrainingSettings, train_path: Path, dev_path: Path, *, lang: str, components: list[str],
    base_dir: Path | None = None,
) -> Any:
    """The full training config (a ``thinc.api.Config``), corpora at absolute paths.

    ``base_dir`` is the base pipeline saved NER-only (``components``, what is sourced from
    it, and its tokenizer and vocabulary); ignored for a blank pipeline.
    """
    from spacy import util

    if settings.blank:
        from spacy.cli.init_config import init_config

        config = init_config(lang=settings.blank, pipeline=["ner"], optimize="efficiency", gpu=False)
        config = util.load_config_from_str(config.to_str(), interpolate=False)
    else:
        assert base_dir is not None, "a base pipeline is sourced from its saved copy"
        config = util.load_config_from_str(_base_template(lang, components), interpolate=False)
        config["paths"]["base"] = str(Path(base_dir).resolve())
        for name in components:
            config["components"][name] = {"source": "${paths.base}"}
        config["initialize"]["before_init"] = {
            "@callbacks": "spacy.copy_from_base_model.v1", "tokenizer": "${paths.base}", "vocab": "${paths.base}",
        }
    config["paths"]["train"] = str(Path(train_path).resolve())
    config["paths"]["dev"] = str(Path(dev_path).resolve())
    config["system"]["seed"] = settings.seed
    training = config["training"]
    training["max_steps"] = settings.steps_limit
    training["max_epochs"] = settings.epochs or 0
    training["eval_frequency"] = settings.eval_frequency
    training["patience"] = settings.patience
    training["logger"] = dict(CONSOLE_LOGGER)
    training["score_weights"] = {"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None}
    return config


def _base_template(lang: str, components: list[str]) -> str:
    """spaCy's usual training settings around sourced components (filled in by build_config)."""
    corpora = "".join(
        f'\n[corpora.{split}]\n@readers = "spacy.Corpus.v1"\npath = ${{paths.{split}}}\ngold_preproc = false\n'
        "max_length = 0\nlimit = 0\naugmenter = null\n" for split in ("train", "dev"))
    return f"""
[paths]
train = null
dev = null
base = null

[system]
seed = 0
gpu_allocator = null

[nlp]
lang = "{lang}"
pipeline = [{", ".join(f'"{c}"' for c in components)}]
batch_size = 256
tokenizer = {{"@tokenizers":"spacy.Tokenizer.v1"}}

[components]

[corpora]
{corpora}
[training]
train_corpus = "corpora.train"
dev_corpus = "corpora.dev"
seed = ${{system.seed}}
gpu_allocator = ${{system.gpu_allocator}}
dropout = 0.1
accumulate_gradient = 1
patience = 1600
max_epochs = 0
max_steps = 20000
eval_frequency = 200
frozen_components = []
annotating_components = []
before_to_disk = null
before_update = null

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2
get_length = null

[training.batcher.size]
@schedules = "compounding.v1"
start = 100
stop = 1000
compound = 1.001
t = 0.0

[training.logger]
@loggers = "spacy.ConsoleLogger.v1"
progress_bar = false

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = true
eps = 0.00000001
learn_rate = 0.001

[training.score_weights]

[pretraining]

[initialize]
vectors = null
init_tok2vec = null
vocab_data = null
lookups = null
before_init = null
after_init = null

[initialize.components]

[initialize.tokenizer]
"""
