"""Packed histograms give exactly the percentiles of the same histogram kept one row per bucket."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access import histograms
from data_access.aggregates import PERCENTILES
from data_access.rollups import percentiles_from_ranked

KEYS = ["estate_id", "measure"]

# Histogram rows: (estate, measure, bucket, tickets); bucket 0 carries its values' sum.
entries = st.lists(
    st.tuples(st.sampled_from(["E1", "E2", "E3", None]), st.sampled_from(["response", "resolution"]),
              st.integers(0, 1500), st.integers(1, 3) | st.integers(1, 5_000) | st.integers(60_000, 100_000)),  # few tickets: ranks on bucket edges; counts of 1, 2 and 4 bytes
    min_size=1, max_size=80,
)


def rows(drawn) -> pd.DataFrame:
    frame = pd.DataFrame(drawn, columns=[*KEYS, "bucket", "tickets"])
    frame["value_sum"] = np.where(frame["bucket"] == 0, frame["tickets"] * 0.004, frame["tickets"] * 7.0)
    return frame


def by_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The reference: every bucket a row, ranked by plain pandas running sums."""
    group = ["estate_id", "measure"]
    h = frame.groupby([*group, "bucket"], dropna=False, sort=True)[["tickets", "value_sum"]].sum().reset_index()
    h["above"] = h.groupby(group, dropna=False)["tickets"].cumsum()
    h["total"] = h.groupby(group, dropna=False)["tickets"].transform("sum")
    return percentiles_from_ranked(h, ["estate_id"])


def by_packed(packed: pd.DataFrame, loose: pd.DataFrame | None) -> pd.DataFrame:
    return percentiles_from_ranked(histograms.ranked(packed, loose, KEYS, PERCENTILES.values()), ["estate_id"])


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    key = lambda f: f.assign(estate_id=f["estate_id"].astype(object).fillna("-")).sort_values("estate_id").reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(key(a), key(b), check_dtype=False)


@settings(max_examples=200, deadline=None)
@given(entries, entries, st.sampled_from([histograms.MAX_CELLS, 3_000, 700, 1]),
       st.sampled_from([0, 10**9]))
def test_packed_rows_and_loose_rows_rank_as_one_histogram(tiles, edges, cells, sparse_share):
    """Rows of several periods packed, plus edge days kept loose, give what all of them as
    bucket rows give, ranked from their sorted entries (share 0) or in dense blocks (10**9),
    also when the groups are added up a few at a time (blocks of at most `cells` cells)."""
    tiles, edges = rows(tiles), rows(edges)
    tiles["period"] = np.arange(len(tiles)) % 3  # three periods: a group's buckets repeat across rows
    packed = histograms.pack(tiles, ["period", *KEYS])
    original = histograms.MAX_CELLS, histograms.SPARSE_SHARE
    histograms.MAX_CELLS = cells
    histograms.SPARSE_SHARE = sparse_share
    try:
        same(by_packed(packed, edges), by_rows(pd.concat([tiles.drop(columns="period"), edges], ignore_index=True)))
    finally:
        histograms.MAX_CELLS, histograms.SPARSE_SHARE = original


@settings(max_examples=100, deadline=None)
@given(entries)
def test_months_added_into_a_quarter_keep_every_bucket(drawn):
    months = rows(drawn)
    months["period"] = np.arange(len(months)) % 3
    quarter = histograms.combined(histograms.pack(months, ["period", *KEYS]), KEYS)
    assert len(quarter) == len(months.groupby(KEYS, dropna=False))
    row, bucket, count = histograms.unpack(quarter)
    unpacked = pd.DataFrame({"estate_id": quarter["estate_id"].to_numpy()[row], "measure": quarter["measure"].to_numpy()[row],
                             "bucket": bucket, "tickets": count})
    expected = months.groupby([*KEYS, "bucket"], dropna=False)["tickets"].sum().reset_index()
    order = [*KEYS, "bucket"]
    pd.testing.assert_frame_equal(
        unpacked.astype({"estate_id": object}).fillna("-").sort_values(order).reset_index(drop=True),
        expected.astype({"estate_id": object}).fillna("-").sort_values(order).reset_index(drop=True), check_dtype=False,
    )
    zero = months[months["bucket"] == 0].groupby(KEYS, dropna=False)["value_sum"].sum()
    got = quarter.set_index(KEYS)["zero_sum"]
    for key, value in zero.items():
        assert got.loc[key] == pytest.approx(value)


def test_each_row_keeps_its_counts_in_the_narrowest_width_holding_them():
    frame = pd.DataFrame({"estate_id": ["E1", "E1", "E2", "E2", "E3"], "measure": ["response"] * 5,
                          "bucket": [3, 9, 3, 4, 5], "tickets": [255, 1, 256, 65_535, 65_536], "value_sum": [0.0] * 5})
    packed = histograms.pack(frame, KEYS).set_index("estate_id")
    assert [len(packed.loc[e, "counts"]) // (len(packed.loc[e, "buckets"]) // 2) for e in ["E1", "E2", "E3"]] == [1, 2, 4]
    row, bucket, count = histograms.unpack(packed.reset_index())
    assert sorted(zip(packed.index[row], bucket.tolist(), count.tolist())) == [
        ("E1", 3, 255), ("E1", 9, 1), ("E2", 3, 256), ("E2", 4, 65_535), ("E3", 5, 65_536)]


def test_counts_of_no_width_are_refused():
    packed = pd.DataFrame({"estate_id": ["E1"], "measure": ["response"], "buckets": [b"\x01\x00\x02\x00"],
                           "counts": [b"\x01\x00\x00"], "zero_sum": [0.0]})  # two buckets, three bytes of counts
    with pytest.raises(ValueError, match="1, 2 or 4 bytes"):
        histograms.ranked(packed, None, KEYS, PERCENTILES.values())


@pytest.mark.parametrize("bucket, tickets", [(70_000, 1), (3, -1), (3, 2**32)], ids=["bucket", "negative count", "count"])
def test_buckets_and_counts_past_the_packed_range_are_refused(bucket, tickets):
    frame = pd.DataFrame({"estate_id": ["E1"], "measure": ["response"], "bucket": [bucket], "tickets": [tickets], "value_sum": [1.0]})
    with pytest.raises(ValueError, match="packed range"):
        histograms.pack(frame, KEYS)


@pytest.mark.parametrize("fraction", [1.5, -0.1, float("nan")])
def test_ranks_past_a_histogram_are_refused(fraction, monkeypatch):
    """The compiled loops check no index: a rank past the last bucket would read another group's."""
    packed = histograms.pack(rows([("E1", "response", 3, 2), ("E2", "response", 4, 1)]), KEYS)
    monkeypatch.setattr(histograms, "SPARSE_SHARE", 10**9)
    with pytest.raises(ValueError, match="fractions from 0 to 1"):
        histograms.ranked(packed, None, KEYS, [0.5, fraction])


def test_nothing_packed_and_nothing_loose_is_no_percentile():
    empty = pd.DataFrame(columns=[*KEYS, *histograms.PACKED])
    assert histograms.ranked(empty, None, KEYS, PERCENTILES.values()).empty


RANKING_AFTER_START = """
import pandas as pd
from data_access import histograms
from data_access.aggregates import PERCENTILES
histograms.compile_ranking()
signatures = (len(histograms._add_entries.signatures), len(histograms._closest_ranks.signatures))
tiles = pd.DataFrame({"estate_id": ["E1", "E1", "E2", "E3"], "measure": ["response"] * 3 + ["resolution"],
                      "bucket": [3, 4, 5, 9], "tickets": [1, 300, 70_000, 2], "value_sum": 0.0, "period": [0, 1, 0, 1]})
packed = histograms.pack(tiles, ["period", "estate_id", "measure"])
assert {len(c) // (len(b) // 2) for b, c in zip(packed["buckets"], packed["counts"])} == {1, 2, 4}
loose = tiles.iloc[:1].drop(columns="period")
histograms.SPARSE_SHARE = 10**9  # dense blocks: the compiled loops
assert not histograms.ranked(packed, loose, ["estate_id", "measure"], PERCENTILES.values()).empty
print(signatures == (len(histograms._add_entries.signatures), len(histograms._closest_ranks.signatures)))
"""


def test_the_ranking_loops_a_question_runs_are_compiled_before_it():
    """`compile_ranking` (run as the app starts) covers the argument types of real questions:
    packed rows of every width, read-only as the driver's bytes are, and loose rows; another
    type would compile (or load) in a user's first question. In a fresh process, as this
    one has compiled whatever the tests before ran."""
    done = subprocess.run([sys.executable, "-c", RANKING_AFTER_START], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
