""":func:`annotator.core.evaluation.score_document` for many documents at once, in numpy.

The first evaluation of a large project scores every accepted document; one at a time in
Python that is ~3 ms per document of 100 gold and 100 predicted spans. Here a chunk of
documents is scored with array operations: the documents' tokens and spans are put on one
line of chunk coordinates (:class:`_Aligner`), each document in a range of its own, so one
sorted array or bitmap answers "which tokens" for every document at once; a span's tokens
are then compared as the characters they cover. Character overlaps between spans (the kinds
of disagreement) use ``doc << 32 | offset`` keys.

The result is exactly :func:`score_document`'s for *regular* documents: their aligned gold
spans cover pairwise disjoint token ranges, and so do their aligned predictions (spaCy's
NER output and a normal annotation always do), and no token is empty. Irregular documents
(overlapping or same-token spans, where the order of the spans decides the score; an empty
token) are flagged and left to :func:`score_document`. Disagreement details are built only for the documents asked for
(:meth:`ChunkScores.disagreements`); their number is counted for all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from annotator.core.evaluation import MISSED, SPURIOUS, DisagreementAt, EvalDocument
from annotator.core.spans import Span

_SHIFT = np.int64(32)


@dataclass
class ChunkInput:
    """A chunk of documents as flat arrays; ``*_doc`` is the document's index in the chunk.

    Tokens are given per document in order (``tok_offsets[d]:tok_offsets[d + 1]``), spans and
    boilerplate in any order; labels are indices into ``labels``.
    """

    n_docs: int
    tok_starts: np.ndarray
    tok_ends: np.ndarray
    tok_offsets: np.ndarray  # (n_docs + 1,)
    gold_doc: np.ndarray
    gold_start: np.ndarray
    gold_end: np.ndarray
    gold_label: np.ndarray
    pred_doc: np.ndarray
    pred_start: np.ndarray
    pred_end: np.ndarray
    pred_label: np.ndarray
    boiler_doc: np.ndarray
    boiler_start: np.ndarray
    boiler_end: np.ndarray
    labels: Sequence[str]
    # tok_starts/tok_ends already chunk coordinates, with their documents' (lo, hi, shift, size)
    # (:func:`annotator.core.packed_arrays.token_coordinates_of`); None: plain positions
    tok_coordinates: tuple[np.ndarray, np.ndarray, np.ndarray, int] | None = None


def _i64(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _keys(doc: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return (_i64(doc) << _SHIFT) | _i64(pos)


def _lexsort(secondary: np.ndarray, primary: np.ndarray) -> np.ndarray | slice:
    """``np.lexsort((secondary, primary))``, or a slice taking all when the pairs are already in
    that order (as read: spans come sorted by document and start), without sorting."""
    if len(primary) < 2:
        return slice(None)
    step = np.diff(primary)
    if (step > 0).all() or ((step >= 0).all() and (np.diff(secondary)[step == 0] >= 0).all()):
        return slice(None)
    return np.lexsort((secondary, primary))


_LIMIT = 1 << 31  # chunk coordinates stay below this: two of them make one int64 key


class _Aligner:
    """Spans' tokens as the characters they cover, in chunk coordinates.

    ``Doc.char_span(alignment_mode="expand")`` gives a span tokens [first, last); here the span
    becomes [start of token first, end of token last - 1), on the line of
    :class:`~annotator.core.packed_arrays.TokenCoordinates` (each document's positions clipped and
    shifted into a range of its own). Tokens being non-empty and disjoint, two spans have the
    same tokens exactly when these ranges are equal, and share a token exactly when they
    overlap: the scorer compares the ranges, never token indices. A span on token edges (nearly
    every one) is its own range, found by two bitmap lookups; the others are bisected.
    Documents with an empty token, or beyond the coordinates' limit, are ``unusable`` (left to
    :func:`score_document`).
    """

    def __init__(self, data: ChunkInput):
        offsets = _i64(data.tok_offsets)
        sizes = np.diff(offsets)
        starts, ends = _i64(data.tok_starts), _i64(data.tok_ends)
        if data.tok_coordinates is None:
            from annotator.core.packed_arrays import coordinates_of_positions

            line = coordinates_of_positions(starts, ends, offsets)
            starts, ends, self.lo, self.hi, self.shift, size = line.starts, line.ends, line.lo, line.hi, line.shift, line.size
        else:
            self.lo, self.hi, self.shift, size = data.tok_coordinates
        self.starts, self.ends = starts, ends
        self.tok_hi = offsets[1:]
        self.unusable = np.zeros(len(sizes), dtype=bool)
        if len(starts) and (ends - starts).min() <= 0:
            empty = np.flatnonzero(ends <= starts)
            self.unusable[np.searchsorted(offsets, empty, side="right") - 1] = True
        if size >= _LIMIT:  # (a chunk of ~2 GB of text): all the plain way
            self.unusable[:] = True
            size = 1
            self.starts = self.ends = np.zeros(0, dtype=np.int64)
            self.tok_hi = self.lo = self.hi = self.shift = np.zeros(len(sizes), dtype=np.int64)
        self.on_start = np.zeros(size + 1, dtype=bool)
        self.on_start[self.starts] = True
        self.on_end = np.zeros(size + 1, dtype=bool)
        self.on_end[self.ends] = True

    def place(self, doc: np.ndarray, *positions: np.ndarray) -> list[np.ndarray]:
        """Positions of documents ``doc`` as chunk coordinates (new arrays)."""
        lo, hi, shift = self.lo[doc], self.hi[doc], self.shift[doc]
        out = []
        for pos in positions:
            at = np.maximum(pos, lo)
            np.minimum(at, hi, out=at)
            at += shift
            out.append(at)
        return out

    def token_range(self, doc: np.ndarray, start: np.ndarray, end: np.ndarray,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(aligned, first, last) token indices as :meth:`Tokens.token_range`, bisecting each document's tokens."""
        doc = _i64(doc)
        s, e = self.place(doc, _i64(start), _i64(end))
        return self._bisect(doc, s, e)

    def _bisect(self, doc: np.ndarray, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        first = np.searchsorted(self.ends, s, side="right")  # the first token ending after the start
        last = np.searchsorted(self.starts, e, side="left")  # past the last one starting before the end
        ok = (first < self.tok_hi[doc]) & (last > first)
        return ok, first, last

    def expand(self, doc: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(aligned, range start, range end) of spans, in chunk coordinates (see the class)."""
        doc = _i64(doc)
        s, e = self.place(doc, _i64(start), _i64(end))
        ok = self.on_start[s]  # on token edges: its own range
        ok &= self.on_end[e]
        ok &= s < e
        rest = np.flatnonzero(~ok)
        if len(rest):
            found, first, last = self._bisect(doc[rest], s[rest], e[rest])
            ok[rest] = found
            moved = rest[found]
            s[moved], e[moved] = self.starts[first[found]], self.ends[last[found] - 1]
        return ok, s, e

    def tokens_of(self, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Token indices [first, last) of ranges made by :meth:`expand` (on token edges)."""
        return np.searchsorted(self.starts, s, side="left"), np.searchsorted(self.ends, e, side="right")


class _Missing:
    """The tokens inside any of some ranges [first, last) (few: boilerplate and the gold touching
    it), asked "how many in [a, b)?" by bisecting the merged ranges: nothing per token."""

    def __init__(self, first: np.ndarray, last: np.ndarray):
        order = np.argsort(first, kind="stable")
        first, last = _i64(first)[order], _i64(last)[order]
        reach = np.maximum.accumulate(last) if len(last) else last
        new = np.ones(len(first), dtype=bool)
        new[1:] = first[1:] > reach[:-1]  # starts after everything before it: a new merged range
        groups = np.cumsum(new) - 1
        self.starts = first[new]
        self.ends = np.zeros(len(self.starts), dtype=np.int64)
        np.maximum.at(self.ends, groups, last)
        self.before = np.concatenate(([0], np.cumsum(self.ends - self.starts)))  # tokens in earlier ranges

    def upto(self, t: np.ndarray) -> np.ndarray:
        """How many of the tokens lie below each index ``t`` (some range given)."""
        k = np.searchsorted(self.starts, t, side="left") - 1  # the last range starting below t
        safe = np.maximum(k, 0)
        inside = np.minimum(t, self.ends[safe]) - self.starts[safe]
        return np.where(k >= 0, self.before[safe] + inside, 0)

    def touches(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Does each [a, b) hold one of the tokens (a < b)?"""
        if not len(self.starts):
            return np.zeros(len(a), dtype=bool)
        k = np.searchsorted(self.ends, a, side="right")  # the first merged range ending after a
        return (k < len(self.ends)) & (self.starts[np.minimum(k, len(self.ends) - 1)] < b)

    def in_chunk(self, aligner: _Aligner) -> _Missing:
        """The same tokens as chunk coordinates (:meth:`touches` then takes ranges of
        :meth:`_Aligner.expand`; :meth:`upto` and :meth:`within` are for token indices only)."""
        ranges = object.__new__(_Missing)
        ranges.starts = aligner.starts[self.starts]
        ranges.ends = aligner.ends[self.ends - 1]
        return ranges

    def within(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """How many of the tokens lie in each [a, b)."""
        if not len(self.starts):
            return np.zeros(len(a), dtype=np.int64)
        return self.upto(_i64(b)) - self.upto(_i64(a))


def _overlap_first(starts: np.ndarray, ends: np.ndarray, q_start: np.ndarray, q_end: np.ndarray) -> np.ndarray:
    """For intervals sorted by (start, end): index of the leftmost one overlapping each query
    [q_start, q_end), or -1 (``_Intervals.first_overlap``). Keys must already separate groups."""
    if len(starts) == 0:
        return np.full(len(q_start), -1, dtype=np.int64)
    running = np.maximum.accumulate(ends)
    k = np.searchsorted(starts, q_end, side="left") - 1
    lo = np.searchsorted(running, q_start, side="right")
    return np.where((k >= 0) & (lo <= k), lo, -1)


def _same_label_overlap(s: np.ndarray, e: np.ndarray, label: np.ndarray,
                        q_s: np.ndarray, q_e: np.ndarray, q_label: np.ndarray) -> np.ndarray:
    """Does a range of (s, e, label), pairwise disjoint (a regular document's), with the label of
    each query [q_s, q_e) overlap it? The ranges a query overlaps are consecutive once sorted:
    nearly always none or one, whose label is compared; several are compared in one pass."""
    hit = np.zeros(len(q_s), dtype=bool)
    if not len(s):
        return hit
    order = _lexsort(e, s)
    s, e, label = s[order], e[order], label[order]
    lo = np.searchsorted(e, q_s, side="right")  # the first range ending after the query's start
    n = np.searchsorted(s, q_e, side="left") - lo  # the ranges from lo starting before its end
    one = np.flatnonzero(n == 1)
    hit[one] = label[lo[one]] == q_label[one]
    many = np.flatnonzero(n > 1)
    if len(many):
        counts = n[many]
        heads = np.cumsum(counts) - counts
        at = np.repeat(lo[many] - heads, counts) + np.arange(int(counts.sum()))
        hit[many] = np.logical_or.reduceat(label[at] == np.repeat(q_label[many], counts), heads)
    return hit


def _disjoint(doc: np.ndarray, first: np.ndarray, last: np.ndarray, n_docs: int) -> np.ndarray:
    """Per document: are the token ranges [first, last) pairwise disjoint?"""
    ok = np.ones(n_docs, dtype=bool)
    if len(first) < 2:
        return ok
    order = _lexsort(last, first)  # token indices are unique across the chunk
    f, la, d = first[order], last[order], doc[order]
    clash = (f[1:] < np.maximum.accumulate(la)[:-1]) & (d[1:] == d[:-1])
    ok[d[1:][clash]] = False
    return ok


def _in_docs(asking: np.ndarray, doc: np.ndarray, n_docs: int) -> np.ndarray:
    """Which of ``doc`` are among the documents ``asking``."""
    wanted = np.zeros(n_docs, dtype=bool)
    wanted[asking] = True
    return wanted[doc]


# disagreement kinds, as codes
_NONE, _TYPE, _BOUNDARY, _SPURIOUS = 0, 1, 2, 3
_KINDS = {_TYPE: "type", _BOUNDARY: "boundary", _SPURIOUS: "spurious"}


@dataclass
class ChunkScores:
    """What :func:`score_chunk` found: per document, whether it is regular (else score it with
    :func:`score_document`) and scored, its counts as (document, key, n) triples (keys named by
    :attr:`key_names`) and how many disagreements it has (listed by :meth:`disagreements`)."""

    regular: np.ndarray
    scored: np.ndarray
    triple_doc: np.ndarray
    triple_key: np.ndarray
    triple_n: np.ndarray
    key_names: list[str]
    n_disagreements: np.ndarray
    _data: ChunkInput
    _pred_order: np.ndarray  # predictions with a disagreement, by (doc, start)
    _pred_kind: np.ndarray
    _pred_gold: np.ndarray  # gold index (into the data's gold arrays) or -1
    _missed: np.ndarray  # gold indices listed as missed, by (doc, start)
    _listed_docs: tuple[np.ndarray, np.ndarray] | None = None  # their documents (made on first use)

    def sums(self) -> dict[str, int]:
        """The counts of every regular scored document added up (the keys any of them has)."""
        if not len(self.triple_key):
            return {}
        totals = np.bincount(self.triple_key, weights=self.triple_n.astype(np.float64),
                             minlength=len(self.key_names))
        present = np.zeros(len(self.key_names), dtype=bool)
        present[self.triple_key] = True
        return {self.key_names[k]: int(totals[k]) for k in np.nonzero(present)[0]}

    def counts_of(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """(document index, key indices, counts) per regular scored document."""
        if not len(self.triple_doc):
            return []
        bounds = np.flatnonzero(np.diff(self.triple_doc)) + 1
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [len(self.triple_doc)]))
        return [(int(self.triple_doc[s]), self.triple_key[s:e], self.triple_n[s:e]) for s, e in zip(starts, ends)]

    def disagreements(self, doc: int) -> list[DisagreementAt]:
        """Document ``doc``'s disagreements in :func:`score_document`'s order."""
        data, labels = self._data, self._data.labels
        out: list[DisagreementAt] = []
        if self._listed_docs is None:
            self._listed_docs = (data.pred_doc[self._pred_order], data.gold_doc[self._missed])
        pd = self._listed_docs[0]
        lo, hi = np.searchsorted(pd, doc, "left"), np.searchsorted(pd, doc, "right")
        for i, kind, g in zip(self._pred_order[lo:hi].tolist(), self._pred_kind[lo:hi].tolist(),
                              self._pred_gold[lo:hi].tolist()):
            gold = None if g < 0 else (labels[data.gold_label[g]], int(data.gold_start[g]), int(data.gold_end[g]))
            out.append((_KINDS[kind], int(data.pred_start[i]), int(data.pred_end[i]),
                        None if gold is None else gold[0], labels[data.pred_label[i]],
                        None if gold is None else gold[1], None if gold is None else gold[2]))
        gd = self._listed_docs[1]
        lo, hi = np.searchsorted(gd, doc, "left"), np.searchsorted(gd, doc, "right")
        for g in self._missed[lo:hi].tolist():
            s, e = int(data.gold_start[g]), int(data.gold_end[g])
            out.append(("missed", s, e, labels[data.gold_label[g]], None, s, e))
        return out


def score_chunk(data: ChunkInput) -> ChunkScores:
    """Score every document of ``data`` as :func:`score_document` does (see the module docstring)."""
    n_docs, n_labels = data.n_docs, len(data.labels)
    gd, gs, ge, gl = (_i64(a) for a in (data.gold_doc, data.gold_start, data.gold_end, data.gold_label))
    pd, ps, pe, pl = (_i64(a) for a in (data.pred_doc, data.pred_start, data.pred_end, data.pred_label))
    bd = _i64(data.boiler_doc)
    aligner = _Aligner(data)
    n_tok_doc = np.diff(_i64(data.tok_offsets))

    # every span's tokens as chunk coordinates (g_first/g_last, p_first/p_last: see _Aligner)
    g_ok, g_first, g_last = aligner.expand(gd, gs, ge)
    p_ok, p_first, p_last = aligner.expand(pd, ps, pe)
    regular = _disjoint(gd[g_ok], g_first[g_ok], g_last[g_ok], n_docs) & _disjoint(
        pd[p_ok], p_first[p_ok], p_last[p_ok], n_docs) & ~aligner.unusable
    # missing tokens (as token indices, to count them): boilerplate, then gold touching it (its tokens too)
    b_ok, b_first, b_last = aligner.token_range(bd, data.boiler_start, data.boiler_end)
    missing = _Missing(b_first[b_ok], b_last[b_ok])
    g_touch = g_ok & missing.in_chunk(aligner).touches(g_first, g_last)
    if g_touch.any():
        t_first, t_last = aligner.tokens_of(g_first[g_touch], g_last[g_touch])
        missing = _Missing(np.concatenate((b_first[b_ok], t_first)), np.concatenate((b_last[b_ok], t_last)))
    tok_offsets = _i64(data.tok_offsets)
    n_missing = missing.within(tok_offsets[:-1], tok_offsets[1:])  # missing tokens per document
    scored = (n_tok_doc > 0) & (n_missing < n_tok_doc) & regular

    kept = g_ok & ~g_touch & scored[gd]  # the golds dict
    counted = p_ok & scored[pd] & ~missing.in_chunk(aligner).touches(p_first, p_last)
    g_idx = np.flatnonzero(kept)
    p_idx = np.flatnonzero(counted)
    # the kept gold's and counted predictions' columns, gathered once
    kgd, kgl, kgf, kgt = gd[g_idx], gl[g_idx], g_first[g_idx], g_last[g_idx]
    cpd, cpl, cpf, cpt = pd[p_idx], pl[p_idx], p_first[p_idx], p_last[p_idx]

    # same tokens: each counted prediction's gold (unique: ranges are disjoint)
    g_tok_key = (kgf << _SHIFT) | kgt
    order = _lexsort(g_tok_key, g_tok_key)
    g_tok_sorted, g_by_tok = g_tok_key[order], g_idx[order]
    p_tok_key = (cpf << _SHIFT) | cpt
    gl_or_none = np.append(gl, -1)  # index -1: no gold
    if len(g_tok_sorted):
        at = np.minimum(np.searchsorted(g_tok_sorted, p_tok_key), len(g_tok_sorted) - 1)
        same = g_tok_sorted[at] == p_tok_key
        same_gold = np.where(same, g_by_tok[at], -1)
    else:
        same = np.zeros(len(p_idx), dtype=bool)
        same_gold = np.full(len(p_idx), -1, dtype=np.int64)
    same_label = gl_or_none[same_gold]
    tp = same & (same_label == cpl)
    matched_gold = np.zeros(len(gd), dtype=bool)
    matched_gold[same_gold[tp]] = True
    ranged_gold = np.zeros(len(gd), dtype=bool)  # a counted prediction has its tokens
    ranged_gold[same_gold[same]] = True
    unmatched = kept & ~matched_gold
    u_idx = np.flatnonzero(unmatched)
    ugd, ugl = gd[u_idx], gl[u_idx]

    # per label and document: tp, fp, fn, and which labels were seen
    cells = n_docs * n_labels
    p_cell = cpd * n_labels + cpl
    tp_m = np.bincount(p_cell[tp], minlength=cells)
    fp_m = np.bincount(p_cell[~tp], minlength=cells)
    u_cell = ugd * n_labels + ugl
    fn_m = np.bincount(u_cell, minlength=cells)
    seen = np.zeros(cells, dtype=bool)
    seen[(pd * n_labels + pl)[scored[pd]]] = True
    seen[u_cell] = True

    # confusion: (gold row or SPURIOUS) x (predicted column or MISSED), SPURIOUS/MISSED = n_labels
    side = n_labels + 1
    rows = np.where(same, same_label, n_labels)
    cm_keys = [cpd * side * side + rows * side + cpl]
    missed_cell = unmatched & ~ranged_gold
    m_idx = np.flatnonzero(missed_cell)
    mgd = gd[m_idx]
    cm_keys.append(mgd * side * side + gl[m_idx] * side + n_labels)
    cm_all = np.concatenate(cm_keys)
    cm_code, cm_n = np.unique(cm_all, return_counts=True)

    # disagreements: counted predictions of another type or with no same-token gold; missed golds
    # with no counted prediction overlapping their characters
    # (each search only over the documents that ask: keys keep documents apart, so the others
    # could never answer, and most documents ask nothing)
    alone = np.flatnonzero(~same)  # only a prediction with no same-token gold can be a boundary error
    overlapping_gold = np.full(len(p_idx), -1, dtype=np.int64)
    if len(alone):
        a_idx = p_idx[alone]
        a_doc = cpd[alone]
        g_sel = g_idx[_in_docs(a_doc, kgd, n_docs)]
        g_char_s, g_char_e = _keys(gd[g_sel], gs[g_sel]), _keys(gd[g_sel], ge[g_sel])
        g_order = _lexsort(g_char_e, g_char_s)
        first_g = _overlap_first(g_char_s[g_order], g_char_e[g_order], _keys(a_doc, ps[a_idx]), _keys(a_doc, pe[a_idx]))
        overlapping_gold[alone] = np.append(g_sel[g_order], -1)[first_g]  # first_g -1: none
    kind = np.where(same, np.where(tp, _NONE, _TYPE), np.where(overlapping_gold >= 0, _BOUNDARY, _SPURIOUS))
    pred_gold = np.where(same, same_gold, overlapping_gold)
    hit = np.zeros(len(m_idx), dtype=bool)
    if len(m_idx):
        p_sel = p_idx[_in_docs(mgd, cpd, n_docs)]
        p_char_s, p_char_e = _keys(pd[p_sel], ps[p_sel]), _keys(pd[p_sel], pe[p_sel])
        p_order = _lexsort(p_char_e, p_char_s)
        hit = _overlap_first(p_char_s[p_order], p_char_e[p_order], _keys(mgd, gs[m_idx]), _keys(mgd, ge[m_idx])) >= 0
    missed = m_idx[~hit]
    n_dis = (np.bincount(cpd[kind != _NONE], minlength=n_docs)
             + np.bincount(gd[missed], minlength=n_docs))

    # partial: same label, overlapping tokens
    pred_hit = tp.copy()  # an exact match overlaps; search only for the others
    rest = np.flatnonzero(~tp)
    if len(rest):
        pred_hit[rest] = _same_label_overlap(kgf, kgt, kgl, cpf[rest], cpt[rest], cpl[rest])
    gold_hit = matched_gold[g_idx]
    rest = np.flatnonzero(~gold_hit)
    if len(rest):
        gold_hit[rest] = _same_label_overlap(cpf, cpt, cpl, kgf[rest], kgt[rest], kgl[rest])
    partial = np.stack([np.bincount(cpd[pred_hit], minlength=n_docs), np.bincount(cpd, minlength=n_docs),
                        np.bincount(kgd[gold_hit], minlength=n_docs), np.bincount(kgd, minlength=n_docs)])

    # (document, key, n) triples; key codes: 3 per label, then confusion cells, partial, documents
    cm_base = 3 * n_labels
    partial_base = cm_base + side * side
    docs_key = partial_base + 4
    s_doc, s_lab = np.divmod(np.flatnonzero(seen), n_labels)
    s_cell = s_doc * n_labels + s_lab
    sd = np.flatnonzero(scored)
    t_doc = [np.repeat(s_doc, 3), np.repeat(cm_code // (side * side), 1), np.repeat(sd, 4), sd]
    t_key = [(3 * s_lab[:, None] + np.arange(3)).ravel(), cm_base + cm_code % (side * side),
             np.tile(np.arange(4) + partial_base, len(sd)), np.full(len(sd), docs_key)]
    t_n = [np.stack([tp_m[s_cell], fp_m[s_cell], fn_m[s_cell]], axis=1).ravel(), cm_n,
           partial[:, sd].T.ravel(), np.ones(len(sd), dtype=np.int64)]
    triple_doc, triple_code, triple_n = np.concatenate(t_doc), np.concatenate(t_key), np.concatenate(t_n)
    by_doc = np.argsort(triple_doc, kind="stable")
    triple_doc, triple_code, triple_n = triple_doc[by_doc], triple_code[by_doc], triple_n[by_doc]
    used, triple_key = np.unique(triple_code, return_inverse=True)
    names = [_key_name(int(code), data.labels, side) for code in used]

    listed = kind != _NONE
    p_list = p_idx[listed]
    p_list_order = _lexsort(ps[p_list], pd[p_list])
    missed_order = missed[_lexsort(gs[missed], gd[missed])]
    return ChunkScores(regular, scored, triple_doc, triple_key.astype(np.int64), triple_n.astype(np.int64), names,
                       n_dis, data, p_list[p_list_order], kind[listed][p_list_order], pred_gold[listed][p_list_order],
                       missed_order)


def _key_name(code: int, labels: Sequence[str], side: int) -> str:
    """The :meth:`DocumentScore.counts` key of a code of :func:`score_chunk`."""
    n_labels = len(labels)
    if code < 3 * n_labels:
        label, k = divmod(code, 3)
        return f"{('tp', 'fp', 'fn')[k]}\t{labels[label]}"
    code -= 3 * n_labels
    if code < side * side:
        row, col = divmod(code, side)
        return f"cm\t{SPURIOUS if row == n_labels else labels[row]}\t{MISSED if col == n_labels else labels[col]}"
    code -= side * side
    return f"partial\t{code}" if code < 4 else "documents"


def chunk_input(docs: Sequence[EvalDocument]) -> ChunkInput:
    """The arrays of :class:`EvalDocument` objects (for tests and small callers; the store
    builds :class:`ChunkInput` straight from its packed columns)."""
    labels: dict[str, int] = {}
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(doc.tokens) for doc in docs])

    def spans(items: list[tuple[int, Sequence[Span]]]) -> tuple[np.ndarray, ...]:
        rows = [(d, s.start, s.end, labels.setdefault(s.label, len(labels))) for d, found in items for s in found]
        return tuple(np.array(col, dtype=np.int64) for col in zip(*rows)) if rows else tuple(
            np.zeros(0, dtype=np.int64) for _ in range(4))

    gold = spans([(d, doc.gold) for d, doc in enumerate(docs)])
    pred = spans([(d, doc.predicted) for d, doc in enumerate(docs)])
    boiler = [(d, r.start, r.end) for d, doc in enumerate(docs) for r in doc.boilerplate]
    b = tuple(np.array(col, dtype=np.int64) for col in zip(*boiler)) if boiler else tuple(
        np.zeros(0, dtype=np.int64) for _ in range(3))
    starts = np.array([s for doc in docs for s in doc.tokens.starts], dtype=np.int64)
    ends = np.array([e for doc in docs for e in doc.tokens.ends], dtype=np.int64)
    return ChunkInput(len(docs), starts, ends, offsets, *gold, *pred, *b, list(labels))
