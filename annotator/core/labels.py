"""The project's label set: names, colours and shortcut keys."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from annotator.core.errors import InputError

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
# Colours handed to labels that the file does not colour (e.g. a custom pipeline's labels).
FALLBACK_COLORS = ("#77AADD", "#EE8866", "#44BB99", "#BBCC33", "#EEDD88", "#FFAABB", "#99DDFF", "#DDDDDD")


@dataclass(frozen=True)
class Label:
    """One label: its name, highlight colour ``#RRGGBB`` and shortcut key (may be empty)."""

    name: str
    color: str
    key: str = ""


@dataclass(frozen=True)
class LabelSet:
    """An ordered set of labels."""

    labels: tuple[Label, ...]

    @property
    def names(self) -> list[str]:
        return [label.name for label in self.labels]

    def __contains__(self, name: object) -> bool:
        return any(label.name == name for label in self.labels)

    def get(self, name: str) -> Label | None:
        for label in self.labels:
            if label.name == name:
                return label
        return None

    def color(self, name: str) -> str:
        """The label's colour, or a stable fallback for a label outside the set."""
        label = self.get(name)
        if label is not None:
            return label.color
        return FALLBACK_COLORS[sum(map(ord, name)) % len(FALLBACK_COLORS)]

    def to_json(self) -> str:
        return json.dumps({"labels": [label.__dict__ for label in self.labels]}, indent=2)

    @classmethod
    def from_names(cls, names: Iterable[str], styled: "LabelSet | None" = None) -> "LabelSet":
        """A set of the given names, taking colour and key from ``styled`` where it has them."""
        out = []
        for i, name in enumerate(names):
            known = styled.get(name) if styled is not None else None
            out.append(known or Label(name, FALLBACK_COLORS[i % len(FALLBACK_COLORS)], ""))
        return cls(tuple(out))


def parse_label_set(data: Any, source: str = "labels file") -> LabelSet:
    """Validate the JSON form ``{"labels": [{"name", "color", "key"}]}`` into a LabelSet."""
    if not isinstance(data, dict) or not isinstance(data.get("labels"), list) or not data["labels"]:
        raise InputError('expected {"labels": [{"name": ..., "color": "#RRGGBB", "key": ...}, ...]}', path=source)
    labels: list[Label] = []
    seen_names: set[str] = set()
    seen_keys: set[str] = set()
    for i, item in enumerate(data["labels"], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise InputError(f"label #{i} has no name", path=source)
        name = item["name"]
        color = item.get("color", FALLBACK_COLORS[(i - 1) % len(FALLBACK_COLORS)])
        key = str(item.get("key", "") or "")
        if not isinstance(color, str) or not _COLOR.match(color):
            raise InputError(f"label {name!r}: colour {color!r} is not #RRGGBB", path=source)
        if name in seen_names:
            raise InputError(f"label {name!r} is defined twice", path=source)
        if key and key.upper() in seen_keys:
            raise InputError(f"label {name!r}: shortcut key {key!r} is used twice", path=source)
        seen_names.add(name)
        if key:
            seen_keys.add(key.upper())
        labels.append(Label(name, color, key))
    return LabelSet(tuple(labels))


def load_label_set(text: str, source: str) -> LabelSet:
    """Parse a labels JSON file's text, naming ``source`` in any error."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", path=source, line=exc.lineno) from None
    return parse_label_set(data, source)
