"""Plain dataclasses the store hands out and the CLI and GUI consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from annotator.core.spans import Range, Span
from annotator.core.tokens import Tokens

TODO = "todo"
IN_PROGRESS = "in_progress"
ACCEPTED = "accepted"
SKIPPED = "skipped"
REVIEW_STATES = (TODO, IN_PROGRESS, ACCEPTED, SKIPPED)


@dataclass(frozen=True)
class Document:
    """A stored document: its text exactly as read, where it came from, and its hash."""

    id: int
    source: str
    text: str
    content_hash: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Review:
    """Review state of a document: who moved it to ``state`` and when (ISO 8601, UTC)."""

    document_id: int
    state: str
    annotator: str | None
    updated_at: str | None


@dataclass(frozen=True)
class Prediction:
    """The model's pre-annotation of a document by one pipeline and version."""

    document_id: int
    pipeline: str
    version: str
    spans: list[Span]
    tokens: Tokens | None
    created_at: str


@dataclass(frozen=True)
class GoldRecord:
    """One document's annotation as it travels in and out of files."""

    text: str
    spans: list[Span] | None  # None: the line carried no annotation at all
    boilerplate: list[Range]
    state: str | None  # review state; None when the line says nothing about it
    annotator: str | None
    source: str | None
    tokens: Tokens | None
    meta: dict[str, Any] = field(default_factory=dict)
