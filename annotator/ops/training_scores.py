"""Scores of a trained pipeline: what ``spacy evaluate`` computes on the dev DocBin, the base's
before training, and how much of the base's behaviour survived on held-out unreviewed text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annotator.core.rehearsal import label_retention
from annotator.ops.training_data import Base, Corpora
from annotator.pipeline import predict


def evaluate_on(nlp_or_path: Any, dev_path: Path) -> dict[str, Any]:
    """What ``spacy evaluate`` computes for the entities: the pipeline on a DocBin."""
    import spacy
    from spacy.training import Corpus

    nlp = spacy.load(nlp_or_path) if isinstance(nlp_or_path, (str, Path)) else nlp_or_path
    scores = nlp.evaluate(Corpus(str(dev_path))(nlp))
    return {key: scores.get(key) for key in ("ents_p", "ents_r", "ents_f", "ents_per_type")}


def score_pipeline(path: Path, corpora: Corpora, base: Base | None) -> dict[str, Any]:
    """Dev scores of the trained pipeline (and the base before training), per label; what the
    trained pipeline kept of the base's entities on held-out unreviewed text."""
    import spacy

    trained = spacy.load(path)
    scores: dict[str, Any] = {"dev": evaluate_on(trained, corpora.dev_path), "base_dev": None, "retention": None}
    if base is not None:
        scores["base_dev"] = evaluate_on(base.nlp, corpora.dev_path)
        scores["unused_labels"] = sorted(set(base.info.labels) - corpora.gold_labels)
        if corpora.held_out:
            texts = list(enumerate(text for text, _spans in corpora.held_out))
            mine = {r.document_id: r.spans for r in predict(trained, texts)}
            scores["retention"] = label_retention([spans for _text, spans in corpora.held_out],
                                                  [mine.get(i, []) for i in range(len(texts))])
            scores["retention_documents"] = len(texts)
    return scores
