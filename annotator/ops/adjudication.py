"""Adjudication: what the window's Review → Adjudicate mode calls (no Qt here).

The final gold of a document is its own layer (:data:`annotator.core.team.FINAL` in the
gold and boilerplate tables, with its own review state), and the ``adjudications`` table
says who adjudicated it and when. It starts with the spans every annotator has and the
boilerplate every annotator marked; spans are then taken from annotators, or edited with
the ordinary reviewer actions on the ``FINAL`` layer (:func:`edit_final`,
:func:`set_final_boilerplate`; undo with :func:`annotator.ops.documents.snapshot` /
``restore`` on ``FINAL``). Accepting it makes it the document's gold for export and
evaluation. Every action is one transaction and one edit-log entry (under ``@final``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from annotator.core import adjudication as core
from annotator.core.agreement import DocumentDisagreement, by_disagreement, rank_document
from annotator.core.errors import InputError
from annotator.core.model import ACCEPTED, IN_PROGRESS, TODO, Document
from annotator.core.spans import Range, Span
from annotator.core.team import FINAL, Layer
from annotator.core.tokens import Tokens
from annotator.ops import gold_edits as actions
from annotator.store import Store
from annotator.store import team
from annotator.store.store import now


@dataclass(frozen=True)
class QueueEntry:
    """A document to adjudicate: how much its annotators disagree, and where its final gold stands."""

    disagreement: DocumentDisagreement
    state: str  # of the final gold: todo, in_progress or accepted
    adjudicator: str | None

    @property
    def document_id(self) -> int:
        return self.disagreement.document_id


@dataclass(frozen=True)
class AdjudicationView:
    """Everything the adjudication mode shows for one document."""

    document: Document
    tokens: Tokens | None
    annotators: tuple[str, ...]
    layers: tuple[Layer, ...]  # each annotator's accepted layer
    candidates: list[core.Candidate]  # every annotator's spans with who has them
    final: list[Span]  # the final gold (the agreed spans before adjudication starts)
    final_boilerplate: list[Range]
    state: str  # of the final gold
    adjudicator: str | None
    started_at: str | None
    updated_at: str | None


def _layers(store: Store, document_id: int) -> list[Layer]:
    return team.document_person_layers(store, document_id)


@dataclass(frozen=True)
class ReadCandidates:
    """One document's annotators' layers and candidates as read at its change ``stamp``."""

    document_id: int
    stamp: int
    layers: list[Layer]
    candidates: list[core.Candidate]


def read_candidates(store: Store, document_id: int) -> ReadCandidates:
    """Layers and candidates of a document with its stamp, read at one moment (the window reads the
    next document of the queue this way in its worker thread, on its own connection)."""
    with store.snapshot():
        stamp = team.document_stamp(store, document_id)
        layers = _layers(store, document_id)
    return ReadCandidates(document_id, stamp, layers, core.candidates(layers))


class CandidateCache:
    """The annotators' layers and candidates of the last few documents opened for adjudication,
    each kept with the document's change stamp (:func:`annotator.store.team.document_stamp`, kept
    by triggers whichever process writes): reopening a document whose stamp is unchanged reuses
    them instead of reading three layers and comparing them again. Editing the final gold bumps
    the stamp too, so the next open after an edit reads them again: always correct, never stale.
    """

    def __init__(self, size: int = 3):  # the previous, the open and the next document: each ~27,000 objects that
        # stay tracked by the cyclic collector (NamedTuples are never untracked), so every full collection walks them
        self.size = size
        self._path: object = None  # whose documents: another project file's ids are other documents
        self._entries: OrderedDict[int, ReadCandidates] = OrderedDict()

    def get(self, store: Store, document_id: int) -> tuple[list[Layer], list[core.Candidate]] | None:
        """The cached layers and candidates when the document has not changed since (inside the
        caller's transaction or snapshot, so the stamp and what is read next agree)."""
        if store.path != self._path:
            return None
        entry = self._entries.get(document_id)
        if entry is None or entry.stamp != team.document_stamp(store, document_id):
            return None
        self._entries.move_to_end(document_id)
        return entry.layers, entry.candidates

    def has(self, store: Store, document_id: int) -> bool:
        """Whether ``get`` would answer without reading the layers."""
        return self.get(store, document_id) is not None

    def put(self, store: Store, document_id: int, layers: list[Layer], candidates: list[core.Candidate]) -> None:
        """Keep them under the document's stamp as it is now (after the caller's own writes)."""
        self.keep(store.path, ReadCandidates(document_id, team.document_stamp(store, document_id), layers, candidates))

    def keep(self, path: object, read: ReadCandidates) -> None:
        """Keep what :func:`read_candidates` read from the project file at ``path`` (its stamp says
        whether it is still current when asked for)."""
        if path != self._path:
            self._entries.clear()
            self._path = path
        kept = self._entries.get(read.document_id)
        if kept is not None and kept.stamp >= read.stamp:  # a read ahead that arrives after the open's own
            return
        self._entries[read.document_id] = read
        self._entries.move_to_end(read.document_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


def _read_candidates(store: Store, document_id: int,
                     cache: CandidateCache | None) -> tuple[list[Layer], list[core.Candidate], bool]:
    """(layers, candidates, whether they came from ``cache``)."""
    found = cache.get(store, document_id) if cache is not None else None
    if found is not None:
        return found[0], found[1], True
    layers = _layers(store, document_id)
    return layers, core.candidates(layers), False


def queue(store: Store) -> list[QueueEntry]:
    """Documents two or more annotators accepted, most disagreement first (spans only: no text read)."""
    entries = []
    with store.snapshot():
        ids = team.team_document_ids(store)
        names = team.sources(store, ids)
        ranked: list[DocumentDisagreement] = []
        for i in range(0, len(ids), team.CHUNK):
            part = ids[i:i + team.CHUNK]
            layers = team.accepted_layers(store, part)
            for doc_id in part:
                people = [layer for name, layer in sorted(layers[doc_id].items()) if name != FINAL]
                ranked.append(rank_document(doc_id, names[doc_id], people))
        for item in by_disagreement(ranked):
            who = team.adjudication(store, item.document_id)
            entries.append(QueueEntry(item, store.review(item.document_id, FINAL).state, who[0] if who else None))
    return entries


def read_adjudication(store: Store, document_id: int, cache: CandidateCache | None = None) -> AdjudicationView:
    """The document, every annotator's spans as candidates, and the final gold (or what it would start as)."""
    with store.snapshot():  # the stamp and the layers read at one moment
        layers, candidates, cached = _read_candidates(store, document_id, cache)
        if cache is not None and not cached:
            cache.put(store, document_id, layers, candidates)
        return _view(store, document_id, layers, candidates)


def _view(store: Store, document_id: int, layers: list[Layer], candidates: list[core.Candidate]) -> AdjudicationView:
    review = store.review(document_id, FINAL)
    who = team.adjudication(store, document_id)
    if review.state == TODO:
        final = [c.span for c in candidates if c.status == core.AGREED]  # core.agreed_spans, not computed twice
        boilerplate = core.agreed_boilerplate(layers)
    else:
        final, boilerplate = store.gold(document_id, FINAL), store.boilerplate(document_id, FINAL)
    return AdjudicationView(
        store.document(document_id), store.tokens(document_id), tuple(layer.annotator for layer in layers),
        tuple(layers), candidates, final, boilerplate, review.state,
        who[0] if who else None, who[1] if who else None, who[2] if who else None)


def open_adjudication(store: Store, document_id: int, adjudicator: str, *, start: bool = True,
                      cache: CandidateCache | None = None) -> AdjudicationView:
    """Read a document for adjudication; with ``start`` its final gold is created from the agreed spans
    (the layers read and the candidates computed once for both). With ``cache``, layers and
    candidates of a document unchanged since they were kept there are not read again."""
    if not start:
        return read_adjudication(store, document_id, cache)
    with store.transaction():
        layers, candidates, _cached = _read_candidates(store, document_id, cache)
        _start(store, document_id, adjudicator, layers, candidates)
        if cache is not None:
            cache.put(store, document_id, layers, candidates)  # under the stamp after creating the final gold
        return _view(store, document_id, layers, candidates)


def start_adjudication(store: Store, document_id: int, adjudicator: str, cache: CandidateCache | None = None) -> bool:
    """Create the final gold (agreed spans and boilerplate) unless it exists; True when created.
    With ``cache``, layers and candidates kept there under the document's current stamp are used
    instead of being read and compared again (the stamp is checked inside this transaction)."""
    with store.transaction():
        if store.review(document_id, FINAL).state != TODO:
            return False
        layers, candidates, _cached = _read_candidates(store, document_id, cache)
        return _start(store, document_id, adjudicator, layers, candidates)


def _start(store: Store, document_id: int, adjudicator: str, layers: list[Layer],
           candidates: list[core.Candidate]) -> bool:
    """Inside a transaction: the final gold from the agreed candidates, unless it exists."""
    if store.review(document_id, FINAL).state != TODO:
        return False
    if len(layers) < 2:
        raise InputError(f"{store.document_source(document_id)}: fewer than two annotators accepted it; "
                         "nothing to adjudicate")
    spans = [c.span for c in candidates if c.status == core.AGREED]
    boilerplate = core.agreed_boilerplate(layers)
    store.replace_gold(document_id, FINAL, spans)
    store.replace_boilerplate(document_id, FINAL, boilerplate)
    store.set_review(document_id, IN_PROGRESS, FINAL)
    team.touch_adjudication(store, document_id, adjudicator, now())
    store.log_edit(document_id, FINAL, "start_adjudication", {
        "by": adjudicator, "annotators": [layer.annotator for layer in layers], "agreed_spans": len(spans)})
    return True


def edit_final(store: Store, document_id: int, adjudicator: str, *, remove: Iterable[Span] = (),
               add: Iterable[Span] = (), labels: Iterable[str], action: str = "change_final") -> None:
    """Remove and add final-gold spans (as :func:`annotator.ops.gold_edits.change_spans` does for a reviewer)."""
    with store.transaction():
        start_adjudication(store, document_id, adjudicator)
        actions.change_spans(store, document_id, FINAL, remove=remove, add=add, labels=labels, action=action)
        team.touch_adjudication(store, document_id, adjudicator, now())


def take_spans(store: Store, document_id: int, adjudicator: str, spans: Iterable[Span], labels: Iterable[str],
               action: str = "take_spans") -> tuple[list[Span], list[Span]]:
    """Put ``spans`` into the final gold, replacing the final spans they overlap; returns (removed, added)."""
    with store.transaction():
        start_adjudication(store, document_id, adjudicator)
        removed, added = core.take(store.gold(document_id, FINAL), spans)
        if removed or added:
            edit_final(store, document_id, adjudicator, remove=removed, add=added, labels=labels, action=action)
    return removed, added


def take_annotator(store: Store, document_id: int, adjudicator: str, annotator: str, labels: Iterable[str],
                   within: Range | None = None) -> tuple[list[Span], list[Span]]:
    """Take all of one annotator's spans (only those overlapping ``within``, e.g. under the cursor)."""
    layers = {layer.annotator: layer for layer in _layers(store, document_id)}
    if annotator not in layers:
        raise InputError(f"{annotator!r} has no accepted gold for this document")
    spans = [c.span for c in core.candidates([layers[annotator]])]
    if within is not None:
        spans = [s for s in spans if s.start < within.end and within.start < s.end]
    return take_spans(store, document_id, adjudicator, spans, labels, action=f"take_{annotator}")


def take_agreed(store: Store, document_id: int, adjudicator: str, labels: Iterable[str]) -> tuple[list[Span], list[Span]]:
    """Take every span all annotators agree on."""
    return take_spans(store, document_id, adjudicator, core.agreed_spans(_layers(store, document_id)), labels,
                      action="take_agreed")


def set_final(store: Store, document_id: int, adjudicator: str, spans: list[Span], labels: Iterable[str]) -> None:
    """Replace the whole final gold."""
    with store.transaction():
        start_adjudication(store, document_id, adjudicator)
        actions.set_gold(store, document_id, FINAL, spans, labels, action="set_final")
        team.touch_adjudication(store, document_id, adjudicator, now())


def set_final_boilerplate(store: Store, document_id: int, adjudicator: str, ranges: Iterable[Range]) -> list[Range]:
    """Replace the final gold's boilerplate."""
    with store.transaction():
        start_adjudication(store, document_id, adjudicator)
        merged = actions.set_boilerplate(store, document_id, FINAL, ranges, action="set_final_boilerplate")
        team.touch_adjudication(store, document_id, adjudicator, now())
    return merged


def accept(store: Store, document_id: int, adjudicator: str) -> None:
    """Accept the final gold: from now on it is the document's gold (export, evaluation)."""
    with store.transaction():
        start_adjudication(store, document_id, adjudicator)
        store.set_review(document_id, ACCEPTED, FINAL)
        team.touch_adjudication(store, document_id, adjudicator, now())
        store.log_edit(document_id, FINAL, "accept_adjudication", {"by": adjudicator})
