"""What a document's text may be: the same rules for .txt files and JSONL records."""

from __future__ import annotations

from annotator.core.errors import InputError


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a document (empty, whitespace only, NUL, lone surrogate), or None.

    The stored text must be valid Unicode that SQLite, spaCy and every export can hold
    (UTF-8 cannot encode a lone surrogate such as ``\\ud800``), and something to annotate.
    """
    if not text:
        return "is empty"
    if text.isspace():
        return "contains only whitespace"
    nul = text.find("\x00")
    if nul != -1:
        return f"contains a NUL character (at offset {nul}); binary data is not text"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"contains a lone surrogate (\\u{ord(text[exc.start]):04x} at offset {exc.start}), "
                "which is not valid Unicode")
    return None


def check_text(text: str, what: str = "text") -> None:
    """Raise :class:`InputError` when ``text`` cannot be a document."""
    problem = text_problem(text)
    if problem is not None:
        raise InputError(f"{what} {problem}")
