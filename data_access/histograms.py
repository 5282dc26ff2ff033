"""Histograms packed one row per group: its bucket numbers and their counts as two arrays.

Kept one row per bucket, a histogram per estate holds about a row per ticket at a group's
scale: 2,000 estates over three years meant millions of rows, slower to read than PostgreSQL's
percentile_cont over the tickets themselves. Packed, an estate's histogram of a week, month,
quarter or year is one row; the rows of a period are added up here (numpy, and loops compiled
with numba for the dense blocks), and only the buckets holding each percentile's ranks go on to
`rollups.percentiles_from_ranked`.

Each row's counts take the narrowest of 1, 2 or 4 bytes that holds its largest (an estate's year
has a few dozen tickets a bucket at most: its counts a quarter of the bytes of 4-byte ones, its
row half, read and sent for every per-estate percentile); the width is the counts' length over
the buckets'.

Buckets are those of `rollups._bucket`. Bucket 0 (under 0.6 s) keeps the sum of its values,
as its middle is their mean; every other bucket is read as its geometric middle. Groups are
told apart by their keys' Python values, not by a database collation (on MySQL 'E1' and 'e1'
would be one group in SQL, two here).
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

BUCKET = np.dtype("<u2")  # bucket n holds about 0.01 * 1.02^n minutes: 65,535 is far past any duration
COUNTS = (np.dtype("<u1"), np.dtype("<u2"), np.dtype("<u4"))  # a row's counts: the narrowest holding them
# Part of a rollup's definition: rows packed another way are rebuilt by the next refresh.
FORMAT = f"buckets {BUCKET.str}, counts the narrowest of {'/'.join(c.str for c in COUNTS)} per row"
PACKED = ["buckets", "counts", "zero_sum"]
MAX_CELLS = 1_000_000  # (group, bucket) counts held at once: 8 MB of int64


def pack(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Histogram rows (keys..., bucket, tickets, value_sum) as one row per group of `keys`,
    with `buckets` and `counts` (bytes, buckets ascending) and `zero_sum`."""
    keys = list(keys)
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *PACKED])
    codes = frame.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    bucket = pd.to_numeric(frame["bucket"]).to_numpy(dtype=np.int64)
    tickets = pd.to_numeric(frame["tickets"]).to_numpy(dtype=np.int64)
    if bucket.min() < 0 or bucket.max() > np.iinfo(BUCKET).max or tickets.min() < 0 or tickets.max() > np.iinfo(COUNTS[-1]).max:
        raise ValueError("histogram bucket or count out of the packed range")
    order = np.lexsort((bucket, codes))
    codes, bucket, tickets = codes[order], bucket[order], tickets[order]
    zero = np.where(bucket == 0, pd.to_numeric(frame["value_sum"]).to_numpy(dtype=float)[order], 0.0)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    buckets = bucket.astype(BUCKET).tobytes()
    width = np.searchsorted([np.iinfo(c).max for c in COUNTS], np.maximum.reduceat(tickets, starts))  # per row: its dtype's place
    # Every count in each width used; a row takes its slice of its own width's, where all of its counts fit.
    counts = {w: tickets.astype(COUNTS[w]).tobytes() for w in np.unique(width)}
    out = frame[keys].iloc[order[starts]].reset_index(drop=True)
    out["buckets"] = [buckets[BUCKET.itemsize * s:BUCKET.itemsize * e] for s, e in zip(starts, ends)]
    out["counts"] = [counts[w][COUNTS[w].itemsize * s:COUNTS[w].itemsize * e] for s, e, w in zip(starts, ends, width)]
    out["zero_sum"] = np.add.reduceat(zero, starts)
    return out


def _sums(group: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """Values added up per group, as floats (numpy gives integers when there are none)."""
    return np.bincount(group.astype(np.int64), weights=values, minlength=groups).astype(float)


@dataclass(frozen=True)
class _Sorted:
    """Histogram entries in group order: per row its group and where its entries end; the
    entries' buckets and counts flat, kept in their packed widths (2, and 1, 2 or 4 bytes: a three-year
    question per estate holds millions of entries, and int64 copies of them all would take
    hundreds of MB)."""

    group: np.ndarray  # per row, ascending
    ends: np.ndarray  # per row: one past its last entry
    bucket: np.ndarray
    count: np.ndarray

    @classmethod
    def of_packed(cls, packed: pd.DataFrame, codes: np.ndarray) -> list[_Sorted]:
        """The rows' entries, a part per width of counts (each read as it is stored); rows
        without entries hold nothing to add and are left out."""
        buckets, counts = packed["buckets"].to_numpy(), packed["counts"].to_numpy()
        lengths = np.fromiter(map(len, buckets), np.int64, len(buckets)) // BUCKET.itemsize
        counted = np.fromiter(map(len, counts), np.int64, len(counts))
        parts = []
        for dtype in COUNTS:
            rows = np.flatnonzero((counted == lengths * dtype.itemsize) & (lengths > 0))
            rows = rows[np.argsort(codes[rows], kind="stable")]  # the rows sorted, not their entries
            if len(rows):
                parts.append(cls(codes[rows], np.cumsum(lengths[rows]), np.frombuffer(b"".join(buckets[rows]), BUCKET),
                                 np.frombuffer(b"".join(counts[rows]), dtype)))
        if sum(len(p.group) for p in parts) != np.count_nonzero(lengths) or np.any(counted[lengths == 0]):
            raise ValueError("packed histogram rows whose counts are not 1, 2 or 4 bytes a bucket")  # e.g. joined out of step
        return parts

    @classmethod
    def of_rows(cls, group: np.ndarray, bucket: np.ndarray, count: np.ndarray) -> _Sorted:
        """Histogram rows one bucket each."""
        order = np.argsort(group, kind="stable")
        return cls(group[order], np.arange(1, len(group) + 1), bucket[order], count[order])

    def _rows(self, first: int, last: int) -> tuple[int, int, int, int, np.ndarray]:
        """The rows of groups first <= g < last (start, end), their entries (lo, hi) and lengths."""
        start, end = np.searchsorted(self.group, [first, last])
        lo, hi = (self.ends[start - 1] if start else 0), (self.ends[end - 1] if end else 0)
        return start, end, lo, hi, np.diff(self.ends[start:end], prepend=lo)

    def between(self, first: int, last: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(group, bucket, count) of the entries of groups first <= g < last."""
        start, end, lo, hi, lengths = self._rows(first, last)
        return np.repeat(self.group[start:end], lengths), self.bucket[lo:hi], self.count[lo:hi]

    def add_to(self, block: np.ndarray, first: int, low: int) -> None:
        """Add the entries of groups first <= g < first + len(block) to `block` (a line per
        group, a column per bucket from `low`), in one compiled pass (`_add_entries`)."""
        start, end, lo, _hi, _lengths = self._rows(first, first + len(block))
        _add_entries(block, self.group[start:end], self.ends[start:end], lo, self.bucket, self.count, first, low)


def unpack(packed: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, bucket, count) of every bucket of packed rows, rows of one width of counts after another
    (not in row order)."""
    parts = [p.between(0, len(packed)) for p in _Sorted.of_packed(packed, np.arange(len(packed)))]
    if not parts:
        return np.array([], np.int64), np.array([], BUCKET), np.array([], np.int64)
    rows, buckets, counts = zip(*parts)
    return np.concatenate(rows), np.concatenate(buckets), np.concatenate([c.astype(np.int64) for c in counts])


def _dense(parts: Sequence[_Sorted], groups: int) -> Iterable[tuple[int, int, np.ndarray]]:
    """Counts added up per group and bucket, as dense int64 [group, bucket - first bucket] blocks
    of at most MAX_CELLS cells: yields (first group, first bucket, block). Filled by a compiled
    loop: in numpy each step copied every entry (offsets, cells, counts as float weights), and
    parts of several widths were concatenated first."""
    parts = [p for p in parts if len(p.bucket)]
    if not parts:
        return
    low = min(int(p.bucket.min()) for p in parts)
    width = max(int(p.bucket.max()) for p in parts) - low + 1
    step = max(1, MAX_CELLS // width)
    for first in range(0, groups, step):
        block = np.zeros((min(step, groups - first), width), np.int64)
        for part in parts:
            part.add_to(block, first, low)
        yield first, low, block


def _names(keys_frame: pd.DataFrame, codes: np.ndarray) -> pd.DataFrame:
    """The keys of each group, in group order."""
    return keys_frame.iloc[np.unique(codes, return_index=True)[1]].reset_index(drop=True)


def combined(packed: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Packed rows added up per group of `keys`, packed again (a quarter from its months)."""
    keys = list(keys)
    if packed.empty:
        return pd.DataFrame(columns=[*keys, *PACKED])
    codes = packed.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    groups = int(codes.max()) + 1
    parts = []
    for first, low, block in _dense(_Sorted.of_packed(packed, codes), groups):
        g, b = np.nonzero(block)
        parts.append(pd.DataFrame({"group": g + first, "bucket": b + low, "tickets": block[g, b].astype(np.int64)}))
    entries = pd.concat(parts, ignore_index=True)
    zero_sum = _sums(codes, pd.to_numeric(packed["zero_sum"]).to_numpy(dtype=float), groups)
    group = entries.pop("group").to_numpy()
    entries = pd.concat([_names(packed[keys], codes).iloc[group].reset_index(drop=True), entries], axis=1)
    entries["value_sum"] = np.where(entries["bucket"] == 0, zero_sum[group], 0.0)
    return pack(entries, keys)


def ranked(packed: pd.DataFrame, bucket_rows: pd.DataFrame | None, keys: Sequence[str], fractions: Iterable[float]) -> pd.DataFrame:
    """The buckets holding the two closest ranks of each fraction (percentile), per group of
    `keys`, with `above` (ranks up to the bucket's end) and `total`, as
    rollups.percentiles_from_ranked takes them. `packed` holds packed rows, `bucket_rows`
    histogram rows one per bucket (keys..., bucket, tickets, value_sum), such as a period's
    edge days from the tickets."""
    keys, fractions = list(keys), list(fractions)
    loose = bucket_rows if bucket_rows is not None else pd.DataFrame(columns=[*keys, "bucket", "tickets", "value_sum"])
    columns = [*keys, "bucket", "tickets", "value_sum", "above", "total"]
    names = pd.concat([packed[keys], loose[keys]], ignore_index=True)
    if names.empty:
        return pd.DataFrame(columns=columns)
    codes = names.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    groups = int(codes.max()) + 1
    packed_codes, loose_codes = codes[: len(packed)], codes[len(packed):]
    loose_bucket = pd.to_numeric(loose["bucket"]).to_numpy(dtype=np.int64)
    loose_entries = _Sorted.of_rows(loose_codes, loose_bucket, pd.to_numeric(loose["tickets"]).to_numpy(dtype=np.int64))
    loose_zero = np.where(loose_bucket == 0, pd.to_numeric(loose["value_sum"]).to_numpy(dtype=float), 0.0)
    zero_sum = _sums(packed_codes, pd.to_numeric(packed["zero_sum"]).to_numpy(dtype=float), groups) + _sums(loose_codes, loose_zero, groups)
    sorted_parts = [*_Sorted.of_packed(packed, packed_codes), loose_entries]
    if _sparse(sorted_parts, groups):
        entries = _ranked_sparse(sorted_parts, groups, fractions)
    else:
        entries = pd.concat(list(_ranked_dense(sorted_parts, groups, fractions)), ignore_index=True)
    group = entries.pop("group").to_numpy()
    entries["value_sum"] = np.where(entries["bucket"] == 0, zero_sum[group], 0.0)
    out = pd.concat([_names(names, codes).iloc[group].reset_index(drop=True), entries], axis=1)
    return out[columns]


SPARSE_SHARE = 16  # entries under 1/16 of the dense cells: sorting them beats a block of zeros


def _sparse(parts: Sequence[_Sorted], groups: int) -> bool:
    """Whether the entries are too few for dense blocks: a week per estate holds a few dozen
    buckets a group where a block spans every bucket of every group (2,000 estates: 110,000
    entries against 4M cells)."""
    filled = [p for p in parts if len(p.bucket)]
    if not filled:
        return False
    width = max(int(p.bucket.max()) for p in filled) - min(int(p.bucket.min()) for p in filled) + 1
    return sum(len(p.bucket) for p in filled) * SPARSE_SHARE < groups * width


def _ranked_sparse(parts: Sequence[_Sorted], groups: int, fractions: list[float]) -> pd.DataFrame:
    """As _ranked_dense, from the entries sorted by group and bucket (only buckets holding tickets)."""
    pieces = [p.between(0, groups) for p in parts if len(p.bucket)]
    group = np.concatenate([g for g, _, _ in pieces]).astype(np.int64)
    bucket = np.concatenate([b.astype(np.int64) for _, b, _ in pieces])
    count = np.concatenate([c.astype(np.int64) for _, _, c in pieces])
    low = int(bucket.min())
    width = int(bucket.max()) - low + 1
    held = count > 0
    cell, where = np.unique((group * width + bucket - low)[held], return_inverse=True)  # sorted: by group, then bucket
    tickets = np.bincount(where, weights=count[held], minlength=len(cell)).astype(np.int64)
    group, bucket = cell // width, cell % width + low
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    lengths = np.diff(np.r_[starts, len(cell)])
    running = np.cumsum(tickets)
    before = np.r_[0, running[starts[1:] - 1]]  # tickets of the groups before each group
    above = running - np.repeat(before, lengths)
    total = running[starts + lengths - 1] - before
    # Each group's running counts lifted above the previous group's make one sorted array: one
    # binary search per rank finds the first bucket whose running count passes it.
    lift = np.arange(len(starts)) * (int(total.max()) + 1)
    lifted = above + np.repeat(lift, lengths)
    chosen = []
    for fraction in fractions:
        rank = (total - 1) * fraction
        for closest in (np.floor(rank), np.ceil(rank)):
            chosen.append(np.searchsorted(lifted, closest + lift, side="right"))
    at = np.unique(np.concatenate(chosen)) if chosen else np.array([], np.int64)
    return pd.DataFrame({"group": group[at], "bucket": bucket[at], "tickets": tickets[at], "above": above[at],
                         "total": np.repeat(total, lengths)[at]})


def _compiled(function):
    """numba's compiled version of `function`, kept on disk for the next start where the install or
    the user's cache folder can be written (numba refuses to cache otherwise, a read-only install
    without a home: each start compiles then, a few seconds)."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(nogil=True)(function)


def _ranked_dense(parts: Sequence[_Sorted], groups: int, fractions: list[float]) -> Iterable[pd.DataFrame]:
    """The buckets holding each fraction's closest ranks (group, bucket, tickets, above, total),
    from `_dense` blocks ranked by a compiled loop (`_closest_ranks`), one pass over the cells.
    In numpy, with the blocks' filling, ~70 ms for an estate league's three years at 10M, most
    of its medians' Python."""
    targets = np.array(fractions, dtype=float)
    if not np.all((targets >= 0) & (targets <= 1)):  # compiled loops check no index: a rank past the end reads another group
        raise ValueError(f"percentiles must be fractions from 0 to 1, not {fractions}")
    for first, low, block in _dense(parts, groups):
        g, b, tickets, above, total = _closest_ranks(block, targets)
        yield pd.DataFrame({"group": g + first, "bucket": b + low, "tickets": tickets, "above": above, "total": total})


@_compiled
def _add_entries(block, group, ends, entry, bucket, count, first, low):  # pragma: no cover - compiled
    """Each row's entries (from `entry` on, up to its end) added to its group's line of the block."""
    for row in range(len(group)):
        line = block[group[row] - first]
        while entry < ends[row]:
            line[bucket[entry] - low] += count[entry]
            entry += 1


@_compiled
def _closest_ranks(block, fractions):  # pragma: no cover - compiled
    """Per group (line) holding tickets: the buckets where the running count first passes each
    fraction's floor and ceiling rank, (total - 1) * fraction, as percentile_cont picks them,
    each once. The block becomes its running counts. Returns (line, bucket, tickets, above, total)."""
    lines, width = block.shape
    most = lines * 2 * len(fractions)
    g, b, tickets = np.empty(most, np.int64), np.empty(most, np.int64), np.empty(most, np.int64)
    above, total = np.empty(most, np.int64), np.empty(most, np.int64)
    found = np.empty(2 * len(fractions), np.int64)
    n = 0
    for line in range(lines):
        running = block[line]
        for k in range(1, width):
            running[k] += running[k - 1]
        whole = running[width - 1]
        if whole == 0:
            continue
        for f in range(len(fractions)):
            rank = (whole - 1) * fractions[f]
            found[2 * f] = np.searchsorted(running, np.floor(rank), side="right")
            found[2 * f + 1] = np.searchsorted(running, np.ceil(rank), side="right")
        found.sort()
        for i in range(len(found)):
            at = found[i]
            if i > 0 and at == found[i - 1]:
                continue
            g[n], b[n], above[n], total[n] = line, at, running[at], whole
            tickets[n] = running[at] - (running[at - 1] if at > 0 else 0)
            n += 1
    return g[:n], b[:n], tickets[:n], above[:n], total[:n]


@functools.cache
def compile_ranking() -> None:
    """Load the ranking loops for every width of counts now, not in a user's first question:
    ~0.2 s from numba's cache, seconds when compiled (the first run after an install)."""
    block, one = np.zeros((1, 1), np.int64), np.ones(1, np.int64)
    stored = [(np.frombuffer(bytes(BUCKET.itemsize), BUCKET), np.frombuffer(bytes(c.itemsize), c)) for c in COUNTS]
    for bucket, count in [*stored, (np.zeros(1, np.int64), one)]:  # packed rows (read-only, as read); loose rows
        _add_entries(block, np.zeros(1, np.int64), one, 0, bucket, count, 0, 0)
    _closest_ranks(block, np.array([0.5]))
