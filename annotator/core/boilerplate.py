"""Boilerplate suggestions: a pure heuristic that proposes page-furniture ranges.

It looks at lines. A line is suggested when it is
- known page furniture ("Comments", "No comments yet...", "Share", "5 hours ago", ...),
- a repeat of an earlier line of the same document (repeated captions, repeated headline),
- a short line (at most 12 words) that also appears in another document of the corpus,
- very short (at most 3 words) with no sentence punctuation ("TT", "20", "Business Recorder"),
  except the first line, which is the headline,
and everything from a trailing marker ("Related Articles", "Read more", ...) to the end is
suggested as one block, as is an appended second article: a headline that repeats within a
few lines (the page's header pattern) appearing again after the article body.
The reviewer accepts or edits these; nothing here is applied without them.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from annotator.core.spans import Range, merge_ranges

SHORT_LINE_WORDS = 3
CORPUS_LINE_MAX_WORDS = 12
HEADER_REPEAT_WINDOW = 12  # lines: a headline repeated this close is a page header block
HEADER_MIN_WORDS = 4
BODY_MIN_WORDS = 20  # a line this long is article body

TRAILING_MARKER = re.compile(
    r"^(related (articles?|stories|posts|news|content|coverage)|more (from|on) .{0,40}|more stories"
    r"|read more|recommended( for you| stories| articles)?|you (may|might) also (like|be interested in)"
    r"|most (read|popular|viewed)|also read|see also|trending( now| stories)?|latest (news|stories))\s*:?$",
    re.IGNORECASE,
)
FURNITURE = re.compile(
    r"^(comments?|\d+ comments?|no comments( yet)?\.*|leave a (comment|reply)|add a comment\.*"
    r"|share( this( article| story| post)?)?( on \w+)?|(share|tweet|email|print|whatsapp|facebook|twitter|linkedin|x)"
    r"(\s*[|/·•]\s*(share|tweet|email|print|whatsapp|facebook|twitter|linkedin|x))+"
    r"|advertisement|sponsored( content)?|subscribe( now| to .{0,60})?|sign up for .{0,60}newsletter.{0,20}"
    r"|try our ai features|explore what .{1,60} can do for you:?|click here.{0,60}|follow us( on .{0,40})?"
    r"|skip to (main )?content|back to top|(\d+|an?) (seconds?|minutes?|hours?|days?|weeks?) ago"
    r"|(image|photo|video)( credit)?:.{0,80}|-\s.{1,40})\s*$",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"[.!?:;\"'”’»)]\s*$")
_LINE = re.compile(r"[^\r\n]*(\r\n|\r|\n|$)")


@dataclass(frozen=True)
class Suggestion:
    """A suggested boilerplate range and the reasons for it."""

    start: int
    end: int
    reasons: tuple[str, ...]

    def as_range(self) -> Range:
        return Range(self.start, self.end)


@dataclass(frozen=True)
class _Line:
    index: int
    start: int  # offset of the first non-blank character
    end: int  # offset after the last non-blank character
    norm: str  # whitespace-collapsed, case-folded content
    words: int


def _lines(text: str) -> Iterator[_Line]:
    index = 0
    for match in _LINE.finditer(text):
        if match.start() == len(text) and match.end() == len(text):
            break
        body = match.group(0).rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            lead = len(body) - len(body.lstrip())
            start = match.start() + lead
            norm = " ".join(stripped.split()).casefold()
            yield _Line(index, start, start + len(stripped), norm, len(norm.split()))
        index += 1


def corpus_line_counts(texts: Iterable[str]) -> Counter[str]:
    """How many documents each normalized line appears in (for cross-document repeats)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({line.norm for line in _lines(text)})
    return counts


_BREAK = re.compile(r"\r\n|\r|\n")


def short_line_norms(text: str) -> set[str]:
    """The normalized lines of ``text`` the cross-document rule looks at (at most
    CORPUS_LINE_MAX_WORDS words), as :func:`_lines` normalizes them, without splitting the
    long lines into words: what import-time indexing computes for every document."""
    found = set()
    for line in _BREAK.split(text):
        words = line.split(None, CORPUS_LINE_MAX_WORDS)
        if words and len(words) <= CORPUS_LINE_MAX_WORDS:
            found.add(" ".join(words).casefold())
    return found


def short_line_counts(texts: Iterable[str]) -> dict[int, int]:
    """{:func:`line_key`: how many of ``texts`` hold that line} over the :func:`short_line_norms`
    of each text: what indexing adds to the stored line counts for a batch of documents.

    The same counts as calling those two functions per document and line, at half the cost:
    lines are cut with ``str.split`` (after turning CRLF and CR into LF, which is what
    ``_BREAK`` splits on), and each distinct line is hashed once per batch, not once per
    document holding it (boilerplate lines repeat: that is what is being counted).
    """
    per_norm: dict[str, int] = {}
    get = per_norm.get
    most = CORPUS_LINE_MAX_WORDS
    for text in texts:
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        norms = set()
        for line in text.split("\n"):
            words = line.split(None, most)
            if words and len(words) <= most:
                norms.add(" ".join(words).casefold())
        for norm in norms:
            per_norm[norm] = get(norm, 0) + 1
    counts: dict[int, int] = {}
    for norm, n in per_norm.items():
        key = line_key(norm)
        counts[key] = counts.get(key, 0) + n
    return counts


def line_key(norm: str) -> int:
    """A 64-bit key for a normalized line (stored instead of the line)."""
    digest = hashlib.blake2b(norm.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _appended_article_start(lines: list[_Line], flagged: set[int]) -> _Line | None:
    """The first line of a second article block, if the page appends one after the body."""
    first_seen: dict[str, _Line] = {}
    header_starts: list[_Line] = []
    for line in lines:
        if line.words < HEADER_MIN_WORDS:
            continue
        earlier = first_seen.get(line.norm)
        if earlier is None:
            first_seen[line.norm] = line
        elif line.index - earlier.index <= HEADER_REPEAT_WINDOW and earlier.words <= 25:
            if not header_starts or header_starts[-1].index + HEADER_REPEAT_WINDOW < earlier.index:
                header_starts.append(earlier)
    for header in header_starts[1:]:
        body_before = any(
            line.words >= BODY_MIN_WORDS and line.index not in flagged and line.index < header.index
            for line in lines
        )
        if body_before:
            return header
    return None


def suggest_boilerplate(
    text: str, corpus_counts: Counter[str] | None = None
) -> list[Suggestion]:
    """Suggest boilerplate ranges for ``text``.

    ``corpus_counts`` (from :func:`corpus_line_counts` over the corpus, this text included)
    enables the cross-document rule. Ranges are line contents, merged when only whitespace
    separates them; the result is sorted and non-overlapping.
    """
    lines = list(_lines(text))
    reasons: dict[int, list[str]] = {}
    seen: set[str] = set()
    for line in lines:
        why: list[str] = []
        raw = text[line.start:line.end]
        if FURNITURE.match(raw):
            why.append("page furniture")
        if line.norm in seen:
            why.append("repeats an earlier line")
        if (
            corpus_counts is not None
            and line.words <= CORPUS_LINE_MAX_WORDS
            and corpus_counts.get(line.norm, 0) >= 2
        ):
            why.append("also in another document")
        if line.words <= SHORT_LINE_WORDS and not SENTENCE_END.search(raw) and line is not lines[0]:
            why.append("very short line")
        if why:
            reasons[line.index] = why
        seen.add(line.norm)

    block: tuple[_Line, str] | None = None
    for line in lines:
        if TRAILING_MARKER.match(text[line.start:line.end]):
            block = (line, f"trailing block after {text[line.start:line.end]!r}")
            break
    appended = _appended_article_start(lines, set(reasons))
    if appended is not None and (block is None or appended.index < block[0].index):
        block = (appended, "appended article (repeated headline block after the body)")

    raw_ranges: list[tuple[Range, tuple[str, ...]]] = []
    for line in lines:
        if block is not None and line.index >= block[0].index:
            break
        if line.index in reasons:
            raw_ranges.append((Range(line.start, line.end), tuple(reasons[line.index])))
    if block is not None:
        last = lines[-1]
        raw_ranges.append((Range(block[0].start, last.end), (block[1],)))

    merged = merge_ranges((r for r, _ in raw_ranges), text)
    out: list[Suggestion] = []
    for rng in merged:
        why_all: list[str] = []
        for r, why in raw_ranges:
            if rng.start <= r.start and r.end <= rng.end:
                why_all.extend(w for w in why if w not in why_all)
        out.append(Suggestion(rng.start, rng.end, tuple(why_all)))
    return out
