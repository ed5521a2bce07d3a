"""Loading a spaCy pipeline for pre-annotation: by package name or path, NER-only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from annotator import DEFAULT_MODEL  # re-exported: the default pipeline's name
from annotator.core.errors import InputError
from annotator.core.pieces import split_with_context
from annotator.core.spans import ORIGIN_MODEL, Span
from annotator.core.tokens import Tokens


@dataclass(frozen=True)
class PipelineInfo:
    """Identity of a pipeline's predictions: ``lang_name`` and version from its meta."""

    name: str
    version: str
    labels: tuple[str, ...]

    @property
    def tokenizer_id(self) -> str:
        return f"{self.name}=={self.version}"


def ner_components(nlp: Any) -> list[str]:
    """Components needed to set ``doc.ents``: those assigning it and what they listen to."""
    needed = {name for name in nlp.pipe_names if "doc.ents" in nlp.get_pipe_meta(name).assigns}
    for name in nlp.pipe_names:
        listeners = getattr(nlp.get_pipe(name), "listening_components", None) or []
        if needed.intersection(listeners):
            needed.add(name)
    return [name for name in nlp.pipe_names if name in needed]


def pipeline_config_path(name_or_path: str) -> Path | None:
    """The config.cfg of an installed pipeline package or a pipeline folder, if it can be found."""
    import importlib.util

    path = Path(name_or_path)
    if (path / "config.cfg").is_file():
        return path / "config.cfg"
    if "/" in name_or_path or "\\" in name_or_path:
        return None
    try:
        spec = importlib.util.find_spec(name_or_path)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*/config.cfg"))
        if found:
            return found[0]
    return None


def _register_factories() -> None:
    """spaCy 3.8 registers component factories lazily (when a Language is first made)."""
    import spacy

    try:
        from spacy.pipeline.factories import register_factories
    except ImportError:  # older spaCy registers them at import
        return
    register_factories()
    entry_points = getattr(spacy.util.registry, "_entry_point_factories", None)
    if entry_points is not None:
        entry_points.get_all()


def ner_only_exclude(name_or_path: str) -> list[str]:
    """Components of a pipeline that NER does not need, read from its config before loading.

    Kept: components whose factory assigns ``doc.ents`` and the components they listen to
    (a Tok2VecListener's ``upstream``). Anything unusual (a sourced component, an unknown
    factory, an unreadable config) excludes nothing: the pipeline then loads whole and the
    unneeded components are disabled instead. Excluded components are not even read from disk.
    """
    cfg_path = pipeline_config_path(name_or_path)
    if cfg_path is None:
        return []
    try:
        import spacy
        from spacy.language import Language

        _register_factories()
        config = spacy.util.load_config(cfg_path, interpolate=False)
        order = list(config["nlp"]["pipeline"])
        components = config["components"]
        keep = set()
        for name in order:
            factory = components[name].get("factory")
            if factory is None:
                return []
            if "doc.ents" in Language.get_factory_meta(factory).assigns:
                keep.add(name)
    except Exception:  # any surprise: load everything, disable later
        return []

    def upstreams(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if "Listener" in str(node.get("@architectures", "")):
                yield str(node.get("upstream", "*"))
            for value in node.values():
                yield from upstreams(value)

    for name in list(keep):
        for upstream in upstreams(components[name]):
            if upstream == "*":
                keep.update(n for n in order if components[n].get("factory") in ("tok2vec", "transformer"))
            else:
                keep.add(upstream)
    return [name for name in order if name not in keep]


def load_pipeline(name_or_path: str = DEFAULT_MODEL, *, ner_only: bool = True) -> Any:
    """Load a spaCy pipeline; with ``ner_only`` every component NER does not need is left out."""
    import spacy  # heavy: imported only when a pipeline is really needed

    try:
        nlp = spacy.load(name_or_path, exclude=ner_only_exclude(name_or_path) if ner_only else [])
    except OSError as exc:
        where = "path" if Path(name_or_path).exists() or "/" in name_or_path else "package"
        raise InputError(
            f"cannot load spaCy pipeline {name_or_path!r} ({where} not found or not a pipeline). "
            f"Install it with pip or pass --model PATH. [{str(exc).splitlines()[0][:160]}]"
        ) from None
    if "ner" not in nlp.pipe_names and not any("doc.ents" in nlp.get_pipe_meta(n).assigns for n in nlp.pipe_names):
        raise InputError(f"spaCy pipeline {name_or_path!r} has no named-entity component")
    if ner_only:
        keep = set(ner_components(nlp))
        for name in nlp.pipe_names:
            if name not in keep:
                nlp.disable_pipe(name)
    return nlp


def pipeline_info(nlp: Any) -> PipelineInfo:
    meta = nlp.meta
    name = f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}"
    labels: set[str] = set()
    for comp_name in nlp.pipe_names:
        if "doc.ents" in nlp.get_pipe_meta(comp_name).assigns:
            labels.update(getattr(nlp.get_pipe(comp_name), "labels", ()) or ())
    return PipelineInfo(name, str(meta.get("version", "0.0.0")), tuple(sorted(labels)))


PIECE_CHARS = 100_000  # longer texts run as pieces: spaCy's memory grows with the text (and E088 at 1M)
PIECE_CONTEXT = 1_000  # characters of text around a piece that the model sees too


@dataclass(frozen=True)
class Predicted:
    """One document through the pipeline: its entities and tokens, or why it failed."""

    document_id: int
    spans: list[Span]
    tokens: Tokens | None
    error: str | None = None


def _piece_stream(
    items: Iterable[tuple[int, str]], limit: int, context: int
) -> Iterator[tuple[str, tuple[int, int, int, int, bool]]]:
    """(window text, (document id, window start, piece start, piece end, last piece?)) for every
    document; a long one is cut into pieces, each run with some of the text around it."""
    for doc_id, text in items:
        pieces = split_with_context(text, limit, context)
        for k, p in enumerate(pieces):
            window = text if len(pieces) == 1 else text[p.context_start:p.context_end]
            yield window, (doc_id, p.context_start, p.start, p.end, k == len(pieces) - 1)


def _guarded_pipe(nlp: Any, stream: Iterator[tuple[str, Any]], batch_size: int) -> Iterator[tuple[Any, Any]]:
    """``nlp.pipe`` a batch at a time; a batch that fails is re-run piece by piece, and a piece
    that still fails comes out as its exception instead of a Doc (the others go on)."""
    while True:
        chunk = list(islice(stream, batch_size))
        if not chunk:
            return
        try:
            docs = list(nlp.pipe((text for text, _ in chunk), batch_size=batch_size))
        except Exception:  # noqa: BLE001 - find the piece that fails, keep the rest
            docs = []
            for text, _ in chunk:
                try:
                    docs.append(nlp(text))
                except Exception as exc:  # noqa: BLE001
                    docs.append(exc)
        yield from zip(docs, (ctx for _, ctx in chunk))


def predict(
    nlp: Any, items: Iterable[tuple[int, str]], *, batch_size: int = 64, n_process: int = 1,
    piece_chars: int = PIECE_CHARS, piece_context: int = PIECE_CONTEXT,
) -> Iterator[Predicted]:
    """Stream (id, text) through the pipeline; yield each document's entities and tokens.

    Texts longer than ``piece_chars`` (or the pipeline's ``max_length``) run as pieces cut
    at whitespace (:mod:`annotator.core.pieces`), each with ``piece_context`` characters of
    the text around it so entities near a cut come out as in one pass; offsets are shifted
    back and what starts in the context belongs to the neighbouring piece. With one process a
    document the pipeline fails on comes out with ``error`` set and the others go on; with
    several, a failure raises (the caller re-runs what is left in one process).
    """
    limit = max(2, min(piece_chars, getattr(nlp, "max_length", piece_chars)))
    stream = _piece_stream(items, limit, min(piece_context, limit // 8))
    if n_process > 1:
        docs: Iterator[tuple[Any, Any]] = nlp.pipe(stream, as_tuples=True, batch_size=batch_size, n_process=n_process)
    else:
        docs = _guarded_pipe(nlp, stream, batch_size)
    spans: list[Span] = []
    pairs: list[tuple[int, int]] = []
    error: str | None = None
    for doc, (doc_id, offset, start, end, last) in docs:
        if isinstance(doc, Exception):
            error = error or f"{type(doc).__name__}: {str(doc).splitlines()[0][:200] if str(doc) else ''}"
        elif error is None:
            spans.extend(Span(e.start_char + offset, e.end_char + offset, e.label_, ORIGIN_MODEL)
                         for e in doc.ents if start <= e.start_char + offset < end)
            pairs.extend((t.idx + offset, t.idx + offset + len(t.text))
                         for t in doc if start <= t.idx + offset < end)
        if last:
            if error is None:
                yield Predicted(doc_id, spans, Tokens.from_pairs(pairs))
            else:
                yield Predicted(doc_id, [], None, error)
            spans, pairs, error = [], [], None


@lru_cache(maxsize=4)
def tokenizer_for(name_or_path: str = DEFAULT_MODEL) -> Any:
    """A pipeline's tokenizer alone, for snapping and export (cached; no component runs)."""
    nlp = load_pipeline(name_or_path, ner_only=True)
    return nlp.tokenizer
