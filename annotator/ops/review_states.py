"""Review states of many documents at once, named as a script names them (``annotator review``).

Accept and skip go through :func:`annotator.ops.gold_edits.set_state`, exactly as the window's
Ctrl+Enter and Ctrl+Shift+Enter do; reset puts an annotator's layer back to never edited
(:func:`annotator.ops.gold_edits.reset_review`). Everything is one transaction: a name that is
unknown or ambiguous, or a reset that would discard edits without ``discard_edits``, changes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from annotator.core.errors import InputError
from annotator.core.model import ACCEPTED, IN_PROGRESS, SKIPPED, TODO
from annotator.ops import gold_edits
from annotator.store import Store

ACTIONS = {"accept": ACCEPTED, "skip": SKIPPED, "reset": TODO}  # action -> the state it leaves
EXAMPLES = 3


class EditsWouldBeLost(InputError):
    """A reset would discard an annotator's own edits and was not confirmed."""


@dataclass(frozen=True)
class ReviewChange:
    """What one ``review`` action did: documents changed, and those already in that state."""

    action: str
    annotator: str
    changed: int
    unchanged: int


def find_documents(store: Store, names: Sequence[str]) -> list[int]:
    """Ids of the documents named by id or source name, in the order given, each once.

    :class:`InputError` naming every unknown and every ambiguous name when there is any.
    """
    found = store.documents_named(names)
    unknown = [name for name, ids in found.items() if not ids]
    ambiguous = [f"{name} (ids {', '.join(map(str, ids))})" for name, ids in found.items() if len(ids) > 1]
    problems = ([f"no document {', '.join(unknown)}"] if unknown else []) + (
        [f"ambiguous: {', '.join(ambiguous)}; give the id"] if ambiguous else [])
    if problems:
        raise InputError("; ".join(problems) + "; nothing changed")
    return list(dict.fromkeys(ids[0] for ids in found.values()))


def change_review_states(
    store: Store, names: Sequence[str], annotator: str, action: str, *, all_in_progress: bool = False,
    discard_edits: bool = False,
) -> ReviewChange:
    """Accept, skip or reset, as ``annotator``, the documents ``names`` names (ids or source
    names) and, with ``all_in_progress``, every document the annotator has in progress.

    Documents already in the action's state are left as they are. A reset of a layer with the
    annotator's own edits (:func:`gold_edits.has_own_edits`) is refused with
    :class:`EditsWouldBeLost` unless ``discard_edits``; the edit log keeps what a reset removes.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown review action {action!r}")
    state = ACTIONS[action]
    with store.transaction():
        ids = find_documents(store, names)
        if all_in_progress:
            ids = list(dict.fromkeys([*ids, *store.ids_in_own_state(annotator, IN_PROGRESS)]))
        if state == TODO:
            if not discard_edits:
                _refuse_lost_edits(store, ids, annotator)
            changed = sum(gold_edits.reset_review(store, doc, annotator) for doc in ids)
        else:
            to_change = [doc for doc in ids if store.review(doc, annotator).state != state]
            for doc in to_change:
                gold_edits.set_state(store, doc, annotator, state)
            changed = len(to_change)
    return ReviewChange(action, annotator, changed, len(ids) - changed)


def _refuse_lost_edits(store: Store, ids: Sequence[int], annotator: str) -> None:
    edited = [doc for doc in ids if gold_edits.has_own_edits(store, doc, annotator)]
    if edited:
        named = [f"{store.document_source(doc)} (id {doc})" for doc in edited]
        raise EditsWouldBeLost(f"{len(edited)} document(s) hold {annotator}'s own edits ({_listed(named)}), "
                               "which a reset would discard; nothing changed")


def _listed(items: Sequence[str]) -> str:
    """The first few items, and '...' when there are more."""
    return ", ".join(items[:EXAMPLES]) + (", ..." if len(items) > EXAMPLES else "")
