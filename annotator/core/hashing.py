"""Content hashes (deduplication) and Prodigy-style input/task hashes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from murmurhash import hash as murmur  # spaCy's own dependency; no sqlite, no Qt


def content_hash(text: str) -> str:
    """Hex SHA-256 of the text's UTF-8 bytes: the identity of a document."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _hash_keys(task: dict[str, Any], keys: tuple[str, ...], prefix: str = "") -> int:
    values = "".join(f"{key}={json.dumps(task[key], sort_keys=True)}" for key in keys if key in task)
    return int(murmur(prefix + values))


def input_hash(task: dict[str, Any]) -> int:
    """Hash over the input (``text``), as Prodigy's ``_input_hash``: a signed 32-bit int."""
    return _hash_keys(task, ("text",))


def task_hash(task: dict[str, Any], in_hash: int) -> int:
    """Hash over input hash plus annotation (``spans``), as Prodigy's ``_task_hash``."""
    spans = [
        {"start": s["start"], "end": s["end"], "label": s["label"]} for s in task.get("spans", [])
    ]
    return _hash_keys({"spans": spans}, ("spans",), prefix=str(in_hash))
