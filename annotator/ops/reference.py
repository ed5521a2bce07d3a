"""What the window's left (reference) pane can show beside the gold, and its spans for a document.

A *reference* is the model's newest prediction, one stored pipeline's prediction, another
annotator's gold, or every annotator's gold at once (as adjudication candidates, each span
with who has it). The window computes its differences against the gold pane whatever the
reference is. No Qt here: the window calls these and paints the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from annotator.core import adjudication as core
from annotator.core.spans import Span
from annotator.core.team import FINAL, Layer, is_person, own_gold
from annotator.store import Store
from annotator.store import team

MODEL = "model"  # the newest prediction of any pipeline (what the reviewer's gold starts from)
PIPELINE = "pipeline"  # one stored pipeline's prediction
ANNOTATOR = "annotator"  # another annotator's gold
ALL = "all"  # every annotator's gold, as candidates with who has each span


@dataclass(frozen=True)
class Reference:
    """One choice of the reference selector."""

    kind: str
    name: str | None = None  # pipeline or annotator name
    version: str | None = None  # pipeline version
    path: str | None = None  # a trained pipeline's folder (to run it on a document it has not predicted)

    @property
    def title(self) -> str:
        if self.kind == MODEL:
            return "Model (newest)"
        if self.kind == PIPELINE:
            return f"Pipeline {self.name} {self.version or ''}".rstrip()
        if self.kind == ANNOTATOR:
            return f"Annotator {self.name}"
        return "All annotators"


@dataclass
class ReferenceSpans:
    """The reference for one document: its spans, and for ALL the candidates behind them."""

    reference: Reference
    spans: list[Span]
    heading: str  # the pane's title
    missing: bool = False  # the pipeline has no stored prediction for the document
    candidates: list[core.Candidate] = field(default_factory=list)
    annotators: tuple[str, ...] = ()  # ALL: whose layers, in the order of the take keys (1, 2, 3...)


def annotator_names(store: Store) -> list[str]:
    """Every annotator with a review state in this database (from the kept counters: no scan)."""
    return [name for name in team.reviewing_annotators(store) if is_person(name)]


def available(store: Store, me: str) -> list[Reference]:
    """The selector's choices: model, each stored or trained pipeline, each other annotator, all annotators."""
    refs = [Reference(MODEL)]
    seen: set[tuple[str, str]] = set()
    trained = {(m.name, m.version): m.path for m in store.trained_models()}
    for name, version in store.prediction_pipelines():
        seen.add((name, version))
        refs.append(Reference(PIPELINE, name, version, trained.get((name, version))))
    for (name, version), path in trained.items():
        if (name, version) not in seen:
            refs.append(Reference(PIPELINE, name, version, path))
    others = [name for name in annotator_names(store) if name != me]
    refs += [Reference(ANNOTATOR, name) for name in others]
    if others:
        refs.append(Reference(ALL))
    return refs


def layers_of(store: Store, document_id: int, exclude: str | None, accepted_only: bool) -> list[Layer]:
    """The annotators' layers of a document (not ``exclude``'s, never the final gold), by name."""
    found = team.person_layers(store, [document_id], accepted_only=accepted_only).get(document_id, [])
    return [layer for who, _state, layer in sorted(found, key=lambda f: f[0]) if who not in (exclude, FINAL)]


def reference_spans(store: Store, document_id: int, ref: Reference, me: str, *,
                    model_spans: list[Span] | None = None, model_name: str | None = None,
                    accepted_only: bool = False) -> ReferenceSpans:
    """The reference's spans for a document (reads one document's rows only)."""
    if ref.kind == MODEL:
        spans = model_spans if model_spans is not None else []
        heading = f"Model: {model_name} (read-only)" if model_name else "Model: not pre-annotated yet"
        return ReferenceSpans(ref, list(spans), heading)
    if ref.kind == PIPELINE:
        assert ref.name is not None
        prediction = store.prediction(document_id, ref.name, ref.version, with_tokens=False)
        if prediction is None:
            return ReferenceSpans(ref, [], f"{ref.title}: not pre-annotated with {ref.name}", missing=True)
        return ReferenceSpans(ref, list(prediction.spans), f"{ref.title} (read-only)")
    if ref.kind == ANNOTATOR:
        assert ref.name is not None
        layers = layers_of(store, document_id, None, accepted_only=False)
        layer = next((lay for lay in layers if lay.annotator == ref.name), None)
        if layer is None:
            return ReferenceSpans(ref, [], f"{ref.name}: has not annotated this document")
        state = store.review(document_id, ref.name).state
        return ReferenceSpans(ref, own_gold(layer),
                              f"{ref.name}'s gold ({state.replace('_', ' ')}, read-only)")
    layers = layers_of(store, document_id, me, accepted_only=accepted_only)
    return from_candidates(ref, tuple(layer.annotator for layer in layers), core.candidates(layers))


def from_candidates(ref: Reference, names: tuple[str, ...], candidates: list[core.Candidate]) -> ReferenceSpans:
    """The ALL reference from candidates already computed (the adjudication mode has them)."""
    numbered = "  ".join(f"{i}: {name}" for i, name in enumerate(names, 1))
    heading = numbered if names else "nobody else has annotated this document"
    return ReferenceSpans(ref, [c.span for c in candidates], heading, candidates=candidates, annotators=names)
