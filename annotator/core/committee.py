"""Query by committee: how much two pipelines disagree on a document (pure functions).

Where two models disagree is where a reviewer's time pays most: one of them is wrong there.
Disagreement is counted on exact spans (same start, end and label, as spaCy's scorer
matches entities): every span only one pipeline predicted is one disagreement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from annotator.core.spans import Span


@dataclass(frozen=True)
class Disagreement:
    """Two pipelines' entities on one document, compared."""

    document_id: int
    only_a: int  # spans only the first pipeline predicted
    only_b: int  # spans only the second predicted
    shared: int  # spans both predicted exactly

    @property
    def count(self) -> int:
        return self.only_a + self.only_b

    @property
    def agreement(self) -> float:
        """F1 of one pipeline's spans against the other's (1.0 when both predict nothing)."""
        total = 2 * self.shared + self.count
        return 1.0 if total == 0 else 2 * self.shared / total


def compare(document_id: int, a: Iterable[Span], b: Iterable[Span]) -> Disagreement:
    keys_a = {(s.start, s.end, s.label) for s in a}
    keys_b = {(s.start, s.end, s.label) for s in b}
    shared = len(keys_a & keys_b)
    return Disagreement(document_id, len(keys_a) - shared, len(keys_b) - shared, shared)


def rank(disagreements: Iterable[Disagreement]) -> list[Disagreement]:
    """Most disagreement first: more differing spans, then lower agreement, then import order."""
    return sorted(disagreements, key=lambda d: (-d.count, d.agreement, d.document_id))
