"""What ``annotator train`` trains on: the gold of each split as spaCy DocBins, plus rehearsal.

The gold is exactly what ``annotator export --format spacy --split ...`` writes: the team's
gold rule (:mod:`annotator.ops.gold`), boilerplate as missing annotation. From a base pipeline, documents nobody has reviewed are added to
the train corpus with the base's own predictions (see :mod:`annotator.core.rehearsal`), and
a few more are held out to measure, per label, how much of the base's behaviour survives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.model import TODO, Document, Review
from annotator.core.rehearsal import ReviewedText, corrected_surfaces, rehearsal_annotation, surface_pattern
from annotator.core.spans import Span
from annotator.core.splits import DEV, TRAIN, snapshot_line, snapshot_of_lines, split_point, subset_of_train
from annotator.core.tokens import Tokens
from annotator.ops.docbin_output import DocBinOutput
from annotator.ops.exporting import ExportReport, TokenSource, gold_spacy_docs, spacy_docs
from annotator.pipeline import PipelineInfo, pipeline_info, predict
from annotator.store import Store, team
from annotator.store.store import ExportRow

HELD_OUT = 50  # unreviewed documents kept aside to measure what the base's labels became
SHARD_TOKENS = 100_000  # tokens per shard of a training corpus: a few MB to build and write, however large
CHUNK = 500  # train documents whose base predictions are compared with their gold at a time


@dataclass
class Corpora:
    """The DocBins written and what went into them."""

    train_path: Path
    dev_path: Path
    train_documents: int = 0
    dev_documents: int = 0
    rehearsal_documents: int = 0
    train_words: int = 0  # tokens in the train corpus, rehearsal included
    snapshot: str = ""
    gold_labels: set[str] = field(default_factory=set)
    corrections: int = 0  # texts the reviewers labelled otherwise than the base did
    held_out: list[tuple[str, list[Span]]] = field(default_factory=list)  # (text, base entities)
    report: ExportReport | None = None


@dataclass(frozen=True)
class Base:
    """The pipeline being fine-tuned, loaded NER-only, and who its stored predictions are by."""

    nlp: Any
    info: PipelineInfo

    @classmethod
    def of(cls, nlp: Any) -> "Base":
        return cls(nlp, pipeline_info(nlp))


def write_corpora(
    store: Store, train_path: Path, dev_path: Path, tokenizer: Any, base: Base | None, *,
    rehearsal: int | None = None, seed: int = 0, train_fraction: float = 1.0,
) -> Corpora:
    """Write the train and dev corpora from one consistent read of the database.

    Each split's documents and gold are exactly what ``annotator export --format spacy --split``
    writes (:mod:`annotator.ops.gold`: adjudicated gold, else the agreeing annotators'; documents
    whose annotators disagree are left out). ``rehearsal`` is how many unreviewed documents to add
    with the base's predictions (None: documents until they hold as many tokens as the train gold;
    0 or no base: none). ``train_fraction`` below 1 keeps only that share of the train split
    (nested subsets, for the learning curve).

    Streams: documents are read a chunk at a time and written a shard at a time (a corpus larger
    than one shard is a folder of ``.spacy`` files, written as ``export --format spacy`` writes them,
    see :mod:`annotator.ops.docbin_output`), so memory
    does not grow with the corpus.
    """
    corpora = Corpora(Path(train_path), Path(dev_path), report=ExportReport(Path(train_path), "spacy"))
    assert corpora.report is not None
    lines: list[bytes] = []  # 32 bytes per document, for the snapshot identity
    with store.snapshot():
        ids = {TRAIN: store.gold_ids(TRAIN), DEV: store.gold_ids(DEV)}
        if train_fraction < 1.0:
            hashes = store.content_hashes(ids[TRAIN])
            chosen = set(subset_of_train(hashes.values(), train_fraction, str(seed)))
            ids[TRAIN] = [i for i in ids[TRAIN] if hashes[i] in chosen]
            del hashes, chosen
        surfaces: set[str] = set()
        correcting = base is not None and rehearsal != 0
        with DocBinOutput(corpora.train_path, SHARD_TOKENS) as train_out, \
                DocBinOutput(corpora.dev_path, SHARD_TOKENS) as dev_out:
            for split, out in ((TRAIN, train_out), (DEV, dev_out)):
                reviewed: list[tuple[int, ReviewedText]] = []
                for row, doc in gold_spacy_docs(store, ids[split], lambda: tokenizer, corpora.report):
                    out.add(doc)
                    lines.append(snapshot_line(row.document.content_hash, split, [tuple(s[:3]) for s in row.spans],
                                               [tuple(r) for r in row.boilerplate]))
                    corpora.gold_labels.update(s.label for s in row.spans)
                    if split == TRAIN:
                        corpora.train_words += len(doc)
                        if correcting:
                            reviewed.append((row.document.id, ReviewedText(row.document.text, row.spans, [],
                                                                            row.boilerplate)))
                            if len(reviewed) >= CHUNK:
                                surfaces |= corrected_surfaces(_with_base_predictions(store, base, reviewed))
                                reviewed = []
                if reviewed:
                    surfaces |= corrected_surfaces(_with_base_predictions(store, base, reviewed))
            corpora.train_documents, corpora.dev_documents = train_out.documents, dev_out.documents
            corpora.snapshot = snapshot_of_lines(lines)
            del lines
            if base is not None:
                corpora.corrections = len(surfaces)
                words = corpora.train_words if rehearsal is None else None  # default: as many words as the gold
                corpora.rehearsal_documents, corpora.held_out = _rehearsal_docs(
                    store, base, tokenizer, surfaces, rehearsal, words, seed, train_out, corpora)
    return corpora


def _base_spans(store: Store, base: Base, ids: list[int]) -> dict[int, tuple[list[Span], Tokens | None]]:
    """The base's entities per document: its stored predictions (read a chunk at a time; tokens
    None: the document's stored tokens are the ones it predicted on), else the base run now
    (with the tokens it made)."""
    stored = store.predictions_by(ids, base.info.name, base.info.version)
    found: dict[int, tuple[list[Span], Tokens | None]] = {doc_id: (spans, None) for doc_id, spans in stored.items()}
    missing = [doc_id for doc_id in ids if doc_id not in stored]
    for result in predict(base.nlp, store.iter_texts(missing)):
        if result.error is None:
            found[result.document_id] = (result.spans, result.tokens)
    return found


def _with_base_predictions(store: Store, base: Base, reviewed: list[tuple[int, ReviewedText]]) -> list[ReviewedText]:
    """The reviewed documents with the base's entities beside their gold."""
    spans = _base_spans(store, base, [doc_id for doc_id, _ in reviewed])
    return [ReviewedText(r.text, r.gold, spans.get(doc_id, ([], None))[0], r.boilerplate) for doc_id, r in reviewed]


def _rehearsal_docs(
    store: Store, base: Base, tokenizer: Any, surfaces: Iterable[str], count: int | None, words: int | None,
    seed: int, out: DocBinOutput, corpora: Corpora,
) -> tuple[int, list[tuple[str, list[Span]]]]:
    """Rehearsal Docs from unreviewed documents added to ``out`` (how many), and the entities
    of the held-out ones.

    The unreviewed documents are taken in a seeded order: the first third (at most
    HELD_OUT) are held out to measure what the base's labels became, whatever the rehearsal
    size; rehearsal takes the next ``count`` documents, or with ``count`` None, documents
    until their tokens reach ``words``.
    """
    hashes = store.content_hashes(store.unreviewed_ids())
    order = sorted(hashes, key=lambda i: (split_point(hashes[i], f"rehearsal:{seed}"), i))
    held = order[:min(HELD_OUT, len(order) // 3)]
    candidates = order[len(held):] if count is None else order[len(held):len(held) + count]
    held_spans = _base_spans(store, base, held)
    held_texts = dict(store.iter_texts(held))
    held_out = [(held_texts[i], held_spans[i][0]) for i in held if i in held_spans]
    pattern = surface_pattern(surfaces)
    report = ExportReport(Path("rehearsal"), "spacy")
    source = TokenSource(lambda: tokenizer)
    added = 0
    seen = 0
    for start in range(0, len(candidates), 64):
        if words is not None and seen >= words:
            break
        part = candidates[start:start + 64]
        predicted = _base_spans(store, base, part)
        stored = team.texts_and_tokens(store, part)
        rows = []
        for doc_id in part:
            if doc_id not in predicted:
                continue
            spans, tokens = predicted[doc_id]
            name, text, stored_tokens = stored[doc_id]
            tokens = tokens or stored_tokens or Tokens.from_doc(tokenizer(text))
            kept, missing = rehearsal_annotation(text, tokens, spans, pattern)
            document = Document(doc_id, name, text, hashes[doc_id])
            rows.append(ExportRow(document, Review(doc_id, TODO, None, None), tokens, kept, missing, False, None))
        for _row, doc in spacy_docs(rows, report, source):
            if words is not None and seen >= words:
                break
            out.add(doc)
            added += 1
            seen += len(doc)
            corpora.train_words += len(doc)
    return added, held_out
