"""Filtered vector search against numpy brute force, through writes and deletes.

A filtered search evaluates its filter once (in Lance) into a set of rows that later searches
with the same filter reuse until the next write. These tests check that the reuse never changes
an answer: after any sequence of adds, upserts (of the vector, or of the metadata only) and
deletes, a filtered search returns the exact top k of the records that ``get(where=…)`` (Lance's
evaluation of the same filter) returns, by numpy, with and without an HNSW index, for selective
filters (answered by a scan of the passing rows) and broad ones (answered by the graph walk).

Correctness only (no timing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pytest
from _helpers import np_distances
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentdb

DIM = 8
K = 5
# Filters over metadata "tag" (0..99, or missing) and "color": selective and broad ones, in
# both filter forms.
FILTERS = [
    {"tag": 7},
    {"tag": {"$lt": 3}},
    "tag < 3",
    {"tag": {"$ne": 7}},
    "tag >= 2",
    {"$and": [{"tag": {"$gte": 10}}, {"color": "red"}]},
    {"$or": [{"tag": {"$lt": 5}}, {"color": {"$in": ["blue"]}}]},
    "color = 'red' OR tag IS NULL",
    {"color": {"$nin": ["red", "blue"]}},
]
COLORS = ["red", "blue", "green"]

# One write: (kind, row numbers, seed) — kind: add/upsert new vectors, upsert metadata only,
# delete by id, delete by filter.
op = st.tuples(
    st.sampled_from(["put", "meta", "delete", "delete_where"]),
    st.lists(st.integers(0, 399), min_size=1, max_size=40),
    st.integers(0, 2**31 - 1),
)


def metadata_for(rng: np.random.Generator) -> Dict[str, object]:
    m: Dict[str, object] = {"color": COLORS[int(rng.integers(0, 3))]}
    if rng.random() < 0.9:
        m["tag"] = int(rng.integers(0, 100))
    return m


def check_search(c: agentdb.Collection, queries: np.ndarray, metric: str, walk: bool, **kw: object) -> None:
    """Every filter's answer is a true top K of the records Lance says match it. Where the HNSW
    walk answers (``walk``, and a filter passing at least 5% of the records), an exhaustive walk
    may still miss a node no link reaches: there the answer must only be close (and pass)."""
    live = c.count()
    for where in FILTERS:
        got = c.get(where=where)
        ids: List[str] = list(got.ids)
        vectors = np.asarray(got.vectors, dtype=np.float32).reshape(-1, DIM)
        approximate = walk and len(ids) * 20 >= live
        # Twice: the second search reuses the first one's rows.
        for _ in range(2):
            results = c.search(queries, k=K, where=where, ids_only=True, **kw)
            found = wanted = 0
            for q, r in zip(queries, results):
                assert set(r.ids) <= set(ids), where
                if not approximate:
                    assert len(r.ids) == min(K, len(ids)), where
                if not ids:
                    continue
                d = np_distances(metric, q, vectors)
                by_id = dict(zip(ids, d))
                kth = np.sort(d)[min(K, len(ids)) - 1]
                for rid, dist in zip(r.ids, r.distances):
                    # The distance is the record's.
                    assert dist == pytest.approx(by_id[rid], abs=1e-4), where
                    # No passing record is nearer than a hit by more than float32 rounding.
                    found += by_id[rid] <= kth + 1e-4
                wanted += min(K, len(ids))
                if not approximate:
                    assert found == wanted, where
            assert found >= 0.9 * wanted, where


def run(tmp: Path, ops: List[Tuple[str, List[int], int]], index: bool, metric: str) -> None:
    rng = np.random.default_rng(1)
    queries = rng.standard_normal((3, DIM)).astype(np.float32)
    db = agentdb.connect(tmp)
    try:
        c = db.create_collection("f", dim=DIM, metric=metric)
        n = 300
        c.add([f"r{i}" for i in range(n)], rng.standard_normal((n, DIM)).astype(np.float32),
              metadata=[metadata_for(rng) for _ in range(n)])
        if index:
            c.create_index("hnsw", m=8, ef_construction=64)
        # ef above the record count: the walk is exhaustive, so its answer is exact too.
        kw: Dict[str, object] = {"ef": 2000} if index else {}
        check_search(c, queries, metric, index, **kw)
        for kind, rows, seed in ops:
            r = np.random.default_rng(seed)
            ids = sorted({f"r{i}" for i in rows})
            if kind == "put":
                c.upsert(ids, r.standard_normal((len(ids), DIM)).astype(np.float32),
                         metadata=[metadata_for(r) for _ in ids])
            elif kind == "meta":
                present = c.get(ids=ids)
                if len(present.ids):
                    c.upsert(list(present.ids), np.asarray(present.vectors, dtype=np.float32),
                             metadata=[metadata_for(r) for _ in present.ids])
            elif kind == "delete":
                c.delete(ids)
            else:
                c.delete(where=f"tag = {int(r.integers(0, 100))}")
            check_search(c, queries, metric, index, **kw)
        # And exact=True with the index agrees as well.
        if index:
            check_search(c, queries, metric, False, exact=True)
    finally:
        db.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, max_size=5), index=st.booleans(), metric=st.sampled_from(["l2", "cosine"]))
def test_filtered_search_matches_brute_force_through_writes(tmp_path_factory: pytest.TempPathFactory,
                                                            ops: List[Tuple[str, List[int], int]],
                                                            index: bool, metric: str) -> None:
    run(tmp_path_factory.mktemp("db"), ops, index, metric)


def test_a_repeated_filter_is_evaluated_once_until_a_write(db: agentdb.Database) -> None:
    rng = np.random.default_rng(3)
    c = db.create_collection("f", dim=DIM, metric="l2")
    c.add([f"r{i}" for i in range(500)], rng.standard_normal((500, DIM)).astype(np.float32),
          metadata=[{"tag": i % 100} for i in range(500)])
    c.create_index("hnsw", m=8, ef_construction=64)
    q = rng.standard_normal(DIM).astype(np.float32)

    def evaluated() -> Tuple[int, int]:
        s = agentdb.search_counters()
        return s["filters_evaluated"], s["filters_reused"]

    c.search(q, k=K, where={"tag": 3})
    before = evaluated()
    for _ in range(2):
        assert set(c.search(q, k=K, where={"tag": 3}).ids) == {f"r{i}" for i in range(3, 500, 100)}
    after = evaluated()
    # Other tests may search meanwhile: counters only grow, so compare at least.
    assert after[1] - before[1] >= 2

    # A write that changes only metadata changes what the filter selects: evaluated again.
    c.upsert("r0", c.get(ids=["r0"]).vectors[0], metadata={"tag": 3})
    assert "r0" in c.search(q, k=K + 1, where={"tag": 3}).ids
    assert evaluated()[0] > after[0]
    c.delete(["r3"])
    assert "r3" not in c.search(q, k=K + 1, where={"tag": 3}).ids
