"""The project's label set: stored in the database, defaulting to resources/labels.json."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from annotator import paths
from annotator.core.errors import InputError
from annotator.core.labels import LabelSet, load_label_set, parse_label_set
from annotator.store import Store

SETTING = "labels"


def default_label_set() -> LabelSet:
    path = paths.resource("labels.json")
    return load_label_set(path.read_text(encoding="utf-8"), str(path))


def project_labels(store: Store) -> LabelSet:
    """The label set stored with the project, or the default one."""
    stored = store.setting(SETTING)
    if stored is None:
        return default_label_set()
    return parse_label_set(json.loads(stored), f"{store.path} (labels setting)")


def set_project_labels_from_file(store: Store, path: Path) -> LabelSet:
    """Make the labels file at ``path`` the project's label set (refused if gold uses others)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read labels file: {exc.strerror}", path=path) from None
    labels = load_label_set(text, str(path))
    used = store.used_labels()
    missing = sorted(used - set(labels.names))
    if missing:
        raise InputError(f"gold already uses labels missing from this file: {', '.join(missing)}", path=path)
    store.set_setting(SETTING, labels.to_json())
    return labels


def ensure_labels(store: Store, names: Iterable[str]) -> LabelSet:
    """Add a pipeline's labels the project does not know yet (styled from the defaults)."""
    current = project_labels(store)
    extra = [n for n in names if n not in current]
    if not extra:
        return current
    merged = LabelSet(current.labels + LabelSet.from_names(extra, default_label_set()).labels)
    store.set_setting(SETTING, merged.to_json())
    return merged
