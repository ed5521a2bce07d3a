"""Stored evaluation scores per document (migration 0040): read the valid ones, write fresh ones.

A score is valid while the document's stamp (bumped by triggers whenever its gold,
boilerplate, reviews, adjudication, tokens or predictions change) equals the stamp it was
computed at. Scores are computed inside a read snapshot and written after it, with the stamp
read in that snapshot: a change made meanwhile leaves them stale, never wrong.

A score's counts are packed (key id, count) pairs (keys named once in ``evaluation_keys``),
so the counts of a thousand documents add up in one vector operation: a byte giving the width
(1, 2 or 4), then the pairs in the narrowest little-endian unsigned type that holds them (nearly
always one byte each: a quarter of the older form's bytes, which a first evaluation writes for
every document; a document without pairs has no bytes). The older form, uint32 pairs without
the width byte, is still read: its length is a multiple of 8, the newer's is odd. The
disagreements are a table apart, read only while an evaluation still lists them.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from annotator.store.store import Store

CHUNK = 500
_VALID = ("FROM evaluation_cache c LEFT JOIN evaluation_stamps s ON s.document_id = c.document_id "
          "WHERE c.stamp = coalesce(s.stamp, 0) AND c.document_id IN ({marks})")


class Kept(NamedTuple):
    gold_kind: str  # how the document's gold was resolved ('' when not counted)
    predicted_by: str  # "pipeline version" of the prediction scored
    disagreements: int  # how many (their list is read only when wanted)
    counts: bytes  # packed (key id, count) pairs (:func:`pack_pairs`)


class Fresh(NamedTuple):
    """A score to keep: how the gold was resolved, whose prediction, the counts, the disagreements.

    ``counts`` is a mapping, or already packed (key id, count) pairs (:func:`pack_pairs`) whose
    key ids index the ``local_keys`` given to :func:`write`; ``disagreements_json`` is None when
    the list was not made (an evaluation makes it again when it lists the document).
    """

    gold_kind: str
    predicted_by: str
    counts: dict[str, int] | bytes
    disagreements: int
    disagreements_json: str | None


def _marks(items: Sequence[object]) -> str:
    return ",".join("?" * len(items))


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i:i + CHUNK])


def scored_runs(store: Store, ids: Sequence[int], pipeline: str | None) -> dict[int, int]:
    """The prediction run an evaluation scores for each of ``ids``: the newest (of ``pipeline``,
    when given), as :meth:`Store.newest_predictions` picks it; documents without one are left out."""
    found: dict[int, int] = {}
    for part in _chunks(ids):
        where = f"document_id IN ({_marks(part)})" + (" AND pipeline = ?" if pipeline is not None else "")
        params = part + ([pipeline] if pipeline is not None else [])
        found.update(store._q(f"SELECT document_id, max(id) FROM prediction_runs WHERE {where} GROUP BY document_id",
                              params).fetchall())
    return found


def valid(store: Store, runs: dict[int, int]) -> dict[int, Kept]:
    """Documents (of ``runs``: document -> prediction run) with a still-valid stored score of that run."""
    found: dict[int, Kept] = {}
    for part in _chunks(list(runs)):
        for doc_id, run_id, kind, predicted_by, n, counts in store._q(
            "SELECT c.document_id, c.run_id, c.gold_kind, c.predicted_by, c.disagreements, c.counts "
            + _VALID.format(marks=_marks(part)), part,
        ):
            if runs[doc_id] == run_id:
                found[doc_id] = Kept(kind, predicted_by, n, counts)
    return found


def key_names(store: Store) -> dict[int, str]:
    return dict(store._q("SELECT id, key FROM evaluation_keys").fetchall())


def summed(store: Store, kept: Iterable[Kept], names: dict[int, str]) -> dict[str, int]:
    """The counts of ``kept`` scores added up key by key (``names``: :func:`key_names`, read
    in the same snapshot)."""
    import numpy

    pairs = unpack_pairs([k.counts for k in kept])
    if not len(pairs):
        return {}
    totals = numpy.bincount(pairs[:, 0], weights=pairs[:, 1].astype(numpy.float64))  # exact below 2**53
    present = numpy.zeros(len(totals), dtype=bool)
    present[pairs[:, 0]] = True  # a key counted 0 still says its label was seen
    return {names[int(k)]: int(totals[k]) for k in numpy.nonzero(present)[0]}


_WIDTHS = (1, 2, 4)
_CODES = {1: "B", 2: "H", 4: "I"}  # a width's array type code


def pack_pairs(pairs: Any, bounds: Sequence[int]) -> list[bytes]:
    """Each document's (key id, count) pairs packed: ``pairs`` is an (n, 2) numpy array of
    non-negative ints below 2**32, document k's rows ``bounds[k]:bounds[k + 1]``. A width byte,
    then the pairs in the narrowest little-endian unsigned type holding that document's."""
    import numpy

    pairs = numpy.asarray(pairs, dtype=numpy.int64).reshape(-1, 2)
    n_docs = len(bounds) - 1
    if not n_docs:
        return []
    starts = numpy.asarray(bounds[:-1], dtype=numpy.int64)
    sizes = numpy.diff(numpy.asarray(bounds, dtype=numpy.int64))
    if len(pairs) and (pairs.min() < 0 or pairs.max() >= 1 << 32):
        raise ValueError("evaluation counts must be non-negative and below 2**32")
    top = numpy.zeros(n_docs, dtype=numpy.int64)
    has = numpy.flatnonzero(sizes > 0)
    if len(has):
        top[has] = numpy.maximum.reduceat(pairs.max(axis=1), starts[has])
    width = numpy.where(top < 1 << 8, 1, numpy.where(top < 1 << 16, 2, 4))
    out: list[bytes] = [b""] * n_docs  # no pairs: no bytes
    for w in _WIDTHS:
        members = numpy.flatnonzero((width == w) & (sizes > 0))
        if not len(members):
            continue
        rows = pairs[numpy.repeat(starts[members], sizes[members])
                     + _ramp(sizes[members])] if len(pairs) else pairs
        view = memoryview(rows.astype(f"<u{w}").tobytes())
        head = bytes([w])
        at = 0
        for k, size in zip(members.tolist(), (sizes[members] * 2 * w).tolist()):
            out[k] = head + view[at:at + size]
            at += size
    return out


def _ramp(sizes: Any) -> Any:
    """0..size-1 for each size, concatenated."""
    import numpy

    total = int(sizes.sum())
    ends = numpy.cumsum(sizes)
    return numpy.arange(total, dtype=numpy.int64) - numpy.repeat(ends - sizes, sizes)


def pair_count(blob: bytes) -> int:
    """How many pairs packed counts hold (:func:`pack_pairs`, or the older uint32 pairs)."""
    if not blob:
        return 0
    if len(blob) % 8 == 0:
        return len(blob) // 8
    if blob[0] not in _WIDTHS:
        raise ValueError("malformed evaluation counts")
    return (len(blob) - 1) // (2 * blob[0])


def unpack_pairs(blobs: Sequence[bytes]) -> Any:
    """The (key id, count) pairs of packed counts (:func:`pack_pairs`, or the older uint32 pairs)
    as one (n, 2) int64 numpy array, in the order given."""
    import numpy

    blobs = [b for b in blobs if b]
    if not blobs:
        return numpy.zeros((0, 2), dtype=numpy.int64)
    joined = numpy.frombuffer(b"".join(blobs), dtype=numpy.uint8)
    lengths = numpy.fromiter(map(len, blobs), dtype=numpy.int64, count=len(blobs))
    heads = numpy.cumsum(lengths) - lengths
    if (lengths % 2 == 1).all() and (joined[heads] == 1).all():  # all one byte wide (nearly always): at once
        return numpy.delete(joined, heads).astype(numpy.int64).reshape(-1, 2)
    from annotator.core.packed_arrays import values_of

    raws = []
    for blob in blobs:
        if len(blob) % 8 == 0:  # the older form: uint32 pairs
            raws.append(("I", blob))
            continue
        width = blob[0]
        if width not in _WIDTHS or (len(blob) - 1) % (2 * width):
            raise ValueError("malformed evaluation counts")
        raws.append((_CODES[width], memoryview(blob)[1:]))
    return values_of(raws)[0].reshape(-1, 2)


def disagreements(store: Store, runs: dict[int, int]) -> dict[int, tuple[str, str, str]]:
    """(source, text, disagreements JSON) of the documents of ``runs`` (document -> run), to list them:
    only where the kept score they were written with is still valid in this snapshot (a document
    another process scored meanwhile, e.g. the evaluation's second process, is left out here and
    its list made again by the caller, never read from before its change)."""
    found: dict[int, tuple[str, str, str]] = {}
    for part in _chunks(list(runs)):
        for doc_id, run_id, source, text, data in store._q(
            "SELECT e.document_id, e.run_id, d.source, d.text, e.found FROM evaluation_disagreements e "
            "JOIN evaluation_cache c ON c.document_id = e.document_id AND c.run_id = e.run_id "
            "LEFT JOIN evaluation_stamps s ON s.document_id = e.document_id "
            "JOIN documents d ON d.id = e.document_id "
            f"WHERE c.stamp = coalesce(s.stamp, 0) AND e.document_id IN ({_marks(part)})", part,
        ):
            if runs[doc_id] == run_id:
                found[doc_id] = (source, text, data)
    return found


def stamps(store: Store, ids: Sequence[int]) -> dict[int, int]:
    """Each document's current stamp (0 when it never changed)."""
    found = {doc_id: 0 for doc_id in ids}
    for part in _chunks(ids):
        for doc_id, stamp in store._q(
            f"SELECT document_id, stamp FROM evaluation_stamps WHERE document_id IN ({_marks(part)})", part
        ):
            found[doc_id] = stamp
    return found


def _pack(counts: dict[str, int], ids: dict[str, int]) -> bytes:
    """A score's counts (key -> count) packed as :func:`pack_pairs` does."""
    pairs = [(ids[key], n) for key, n in counts.items()]
    return pack_pairs(pairs, [0, len(pairs)])[0]


def write(store: Store, rows: Iterable[tuple[int, int, int, Fresh]], batch: int = 5000,
          local_keys: Sequence[str] = ()) -> int:
    """Store (document id, prediction run, stamp, score) rows, a short transaction per batch
    (a document deleted meanwhile is skipped). Packed counts name their keys by index into
    ``local_keys``."""
    import numpy

    written = 0
    pending: list[tuple[int, int, int, Fresh]] = []

    def flush() -> None:
        with store.transaction(bare=True):
            conn = store.conn
            ids = {key: i for i, key in key_names(store).items()}
            wanted = {key for *_, fresh in pending if isinstance(fresh.counts, dict) for key in fresh.counts}
            if any(isinstance(fresh.counts, bytes) for *_, fresh in pending):
                wanted.update(local_keys)
            new = sorted(wanted - ids.keys())
            conn.executemany("INSERT OR IGNORE INTO evaluation_keys(key) VALUES (?)", [(k,) for k in new])
            if new:
                ids = {key: i for i, key in key_names(store).items()}
            to_db = numpy.array([ids[key] for key in local_keys], dtype="<u4")
            blobs = [f.counts for *_, f in pending]
            counts = [_pack(c, ids) if isinstance(c, dict) else None for c in blobs]
            arrays_made = [k for k, c in enumerate(counts) if c is None]
            if arrays_made:  # packed with local key ids: all translated at once, then packed again
                made = [blobs[k] for k in arrays_made]
                pairs = unpack_pairs(made)  # type: ignore[arg-type]
                pairs[:, 0] = to_db[pairs[:, 0]]
                bounds = [0, *itertools.accumulate(map(pair_count, made))]  # type: ignore[arg-type]
                for k, blob in zip(arrays_made, pack_pairs(pairs, bounds)):
                    counts[k] = blob

            conn.executemany(
                "INSERT INTO evaluation_cache(document_id, run_id, stamp, gold_kind, predicted_by, counts, "
                "disagreements) SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM documents WHERE id = ?1) "
                "ON CONFLICT(document_id, run_id) DO UPDATE SET stamp = excluded.stamp, "
                "gold_kind = excluded.gold_kind, predicted_by = excluded.predicted_by, counts = excluded.counts, "
                "disagreements = excluded.disagreements",
                [(d, run, stamp, f.gold_kind, f.predicted_by, c, f.disagreements)
                 for (d, run, stamp, f), c in zip(pending, counts)],
            )
            conn.executemany("DELETE FROM evaluation_disagreements WHERE document_id = ? AND run_id = ?",
                             [(d, run) for d, run, _, _ in pending])
            conn.executemany(
                "INSERT INTO evaluation_disagreements(document_id, run_id, found) SELECT ?, ?, ? "
                "WHERE EXISTS (SELECT 1 FROM documents WHERE id = ?1)",
                [(d, run, f.disagreements_json) for d, run, _, f in pending
                 if f.disagreements and f.disagreements_json is not None],
            )

    with _cache_durability(store):
        for row in rows:
            pending.append(row)
            if len(pending) >= batch:
                flush()
                written += len(pending)
                pending = []
        if pending:
            flush()
            written += len(pending)
    return written


@contextlib.contextmanager
def _cache_durability(store: Store) -> Iterator[None]:
    """Kept scores are a cache: in WAL mode their commits need not wait for the disk
    (``synchronous = NORMAL``: still never corrupt, at worst the last ones are computed again
    after a power cut); about 90 ms per commit saved on this machine. Other modes: unchanged."""
    conn = store.conn
    before = None
    if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        before = conn.execute("PRAGMA synchronous").fetchone()[0]
        if before > 1:
            conn.execute("PRAGMA synchronous = NORMAL")
    try:
        yield
    finally:
        if before is not None and before > 1:
            conn.execute(f"PRAGMA synchronous = {int(before)}")


# -- the first evaluation's bulk read ---------------------------------------------------------

def gold_labels(store: Store) -> list[str]:
    """Every label any gold span has, sorted (from each layer's label list)."""
    return sorted(store.used_labels())


class SimpleRows(NamedTuple):
    """Documents with one accepted layer, the reviewing annotator's, stored tokens and a
    prediction: what the array scorer reads (see :func:`simple_rows`)."""

    ids: list[int]
    runs: list[int]  # the prediction run scored
    predicted_by: list[str]  # "pipeline version"
    tokens: list[bytes]
    predictions: list[bytes]
    gold: Any  # numpy (n, 4) int64:: document id, start, end, label index (into the labels given)
    boilerplate: list[tuple[int, int, int]]  # (document id, start, end)


def _gold_of(store: Store, reviewer: dict[int, str], simple: list[int], labels: Sequence[str]) -> Any:
    """(document id, start, end, label index) rows of the reviewers' gold, each document's
    layer one packed row (read per reviewer by key), the chunk's layers decoded into arrays at
    once (:func:`annotator.core.packed_arrays.gold_of`): no Python object per span. Label index
    -1: a label not in ``labels`` (the document goes the plain way)."""
    import numpy

    from annotator.core.packed_arrays import gold_of

    by_who: dict[str, list[int]] = {}
    for doc in simple:
        by_who.setdefault(reviewer[doc], []).append(doc)
    docs: list[int] = []
    blobs: list[bytes] = []
    for who, members in by_who.items():
        for doc, blob in store._q(f"SELECT document_id, spans FROM gold_layers WHERE annotator = ? "
                                  f"AND document_id IN ({_marks(members)})", [who, *members]):
            docs.append(doc)
            blobs.append(blob)
    if not docs:
        return numpy.zeros((0, 4), dtype=numpy.int64)
    index = {label: k for k, label in enumerate(labels)}
    which, starts, ends, label = gold_of(blobs, index)
    label[label >= len(labels)] = -1
    return numpy.stack([numpy.asarray(docs, dtype=numpy.int64)[which], starts, ends, label], axis=1)


def simple_rows(store: Store, ids: Sequence[int], pipeline: str | None, labels: Sequence[str],
                accepted: str, final: str, runs: Mapping[int, int] | None = None) -> tuple[SimpleRows, list[int]]:
    """Of documents ``ids`` (at most :data:`CHUNK` * 4), those whose gold is simply the reviewing
    annotator's accepted layer, read in bulk; and the others (several accepted layers, an
    adjudication, no stored tokens, no prediction, a gold label not in ``labels``), left to be
    read document by document as :mod:`annotator.ops.gold` gives them.

    Gold spans come back as arrays decoded from each document's packed layer (:func:`_gold_of`),
    not as a Python object per span: at 100 spans per document that would cost more than
    scoring them.
    ``runs``: :func:`scored_runs` of ``ids`` read in the same snapshot, when the caller has it
    (each run is then read by its key).
    """
    import numpy

    if not ids:
        return SimpleRows([], [], [], [], [], numpy.zeros((0, 4), dtype=numpy.int64), []), []
    part = list(ids)
    marks = _marks(part)
    layers = dict(store._q(f"SELECT document_id, count(*) FROM annotator_reviews WHERE state = ? "
                           f"AND document_id IN ({marks}) GROUP BY document_id", [accepted, *part]).fetchall())
    reviewer = {doc: who for doc, state, who in store._q(
        f"SELECT document_id, state, annotator FROM reviews WHERE document_id IN ({marks})", part)
        if state == accepted and who is not None and who != final and layers.get(doc) == 1}
    if runs is None:
        where = f"document_id IN ({marks})" + (" AND pipeline = ?" if pipeline is not None else "")
        params: list[Any] = part + ([pipeline] if pipeline is not None else [])
        newest = f"SELECT max(id) FROM prediction_runs WHERE {where} GROUP BY document_id"
    else:
        params = [runs[d] for d in part if d in reviewer and d in runs]
        newest = _marks(params)
    who: dict[tuple[str, str], str] = {}  # one string per pipeline version, not one per document
    found = {doc: (run, who.setdefault((name, version), f"{name} {version}"), blob)
             for doc, run, name, version, blob in store._q(
        f"SELECT document_id, id, pipeline, version, spans FROM prediction_runs WHERE id IN ({newest})", params)
        if doc in reviewer}
    tokens = dict(store._q(f"SELECT document_id, tokens FROM document_tokens WHERE document_id IN ({marks})",
                           part).fetchall())
    simple = [d for d in part if d in found and d in tokens]
    if not simple:
        return SimpleRows([], [], [], [], [], numpy.zeros((0, 4), dtype=numpy.int64), []), part
    gold = _gold_of(store, reviewer, simple, labels)
    unknown = set(gold[gold[:, 3] < 0, 0].tolist())
    boilerplate: list[tuple[int, int, int]] = []
    by_who: dict[str, list[int]] = {}
    for doc in simple:
        by_who.setdefault(reviewer[doc], []).append(doc)
    for name, members in by_who.items():
        boilerplate.extend(store._q(f"SELECT document_id, start_char, end_char FROM boilerplate WHERE annotator = ? "
                                    f"AND document_id IN ({_marks(members)})", [name, *members]))
    if unknown:  # a label added meanwhile: read those the plain way
        simple = [d for d in simple if d not in unknown]
        gold = gold[~numpy.isin(gold[:, 0], list(unknown))]
    chosen = set(simple)
    rows = SimpleRows(simple, [found[d][0] for d in simple], [found[d][1] for d in simple],
                      [tokens[d] for d in simple], [found[d][2] for d in simple], gold,
                      [b for b in boilerplate if b[0] in chosen])
    return rows, [d for d in part if d not in chosen]


def texts(store: Store, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(source, text) of documents ``ids``, to list their disagreements."""
    found: dict[int, tuple[str, str]] = {}
    for part in _chunks(ids):
        for doc_id, source, text in store._q(f"SELECT id, source, text FROM documents WHERE id IN ({_marks(part)})",
                                             part):
            found[doc_id] = (source, text)
    return found


def with_tokens(store: Store, ids: Sequence[int]) -> list[int]:
    """Those of ``ids`` with stored tokens (in the order given): a score is kept only for those."""
    found: set[int] = set()
    for part in _chunks(ids):
        found.update(r[0] for r in store._q(
            f"SELECT document_id FROM document_tokens WHERE document_id IN ({_marks(part)})", part))
    return [d for d in ids if d in found]
