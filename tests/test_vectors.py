"""Vector inputs: float32 arrays (borrowed without a copy), other dtypes, layouts and lists.

Whether the float32 path copies cannot be observed from Python across the FFI boundary
(``np.shares_memory`` does not apply), so these tests check that every accepted form gives the
same, correct, stored vectors and search results.
"""

from __future__ import annotations

from typing import Any, Callable, List

import numpy as np
import pytest
from _helpers import np_distances

import agentdb

RNG = np.random.default_rng(7)
BASE = RNG.normal(size=(6, 5)).astype(np.float32)
IDS = [f"v{i}" for i in range(6)]

FORMS: List[Callable[[np.ndarray], Any]] = [
    lambda a: a,  # float32, C-contiguous: borrowed
    lambda a: a.astype(np.float64),
    lambda a: a.astype(np.float16),
    lambda a: np.asfortranarray(a),  # float32 but not C-contiguous
    lambda a: np.ascontiguousarray(a[::-1])[::-1],  # float32, negative strides
    lambda a: a.tolist(),
    lambda a: [list(map(float, row)) for row in a.astype(np.float64)],
    lambda a: [row for row in a],  # a list of float32 1-D arrays
    lambda a: [row.astype(np.float64) for row in a],
    lambda a: tuple(tuple(row) for row in a.tolist()),
]


def expected_vectors(form: Callable[[np.ndarray], Any]) -> np.ndarray:
    return np.asarray(np.array(form(BASE), dtype=np.float64), dtype=np.float32)


@pytest.mark.parametrize("i", range(len(FORMS)))
def test_vector_forms_store_the_same_values(db: agentdb.Database, i: int) -> None:
    form = FORMS[i]
    c = db.create_collection(f"f{i}", dim=5, metric="l2")
    c.add(IDS, form(BASE))
    got = c.get(IDS)
    assert got.vectors.dtype == np.float32 and got.vectors.flags.c_contiguous
    np.testing.assert_array_equal(got.vectors, expected_vectors(form))


def test_strided_view_is_read_correctly(db: agentdb.Database) -> None:
    wide = RNG.normal(size=(6, 10)).astype(np.float32)
    view = wide[:, ::2]  # float32 but strided: converted, not misread
    c = db.create_collection("strided", dim=5, metric="l2")
    c.add(IDS, view)
    np.testing.assert_array_equal(c.get(IDS).vectors, np.ascontiguousarray(view))
    rows = wide[::2]  # every other row: strided on the first axis
    c.upsert(IDS[:3], rows[:, :5])
    np.testing.assert_array_equal(c.get(IDS[:3]).vectors, rows[:, :5])


def test_integer_vectors(db: agentdb.Database) -> None:
    c = db.create_collection("ints", dim=3, metric="l2")
    c.add(["a", "b"], np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int64))
    c.add(["c"], [[7, 8, 9]])
    np.testing.assert_array_equal(c.get(["a", "b", "c"]).vectors, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])


@pytest.mark.parametrize("metric", ["cosine", "l2", "dot"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_query_dtypes_give_same_results(db: agentdb.Database, metric: str, dtype: Any) -> None:
    c = db.create_collection(f"q-{metric}-{np.dtype(dtype).name}", dim=5, metric=metric)
    c.add(IDS, BASE)
    query = RNG.normal(size=5).astype(np.float32)
    expected = np_distances(metric, query, BASE)
    order = list(np.argsort(expected, kind="stable")[:4])
    for q in (query.astype(dtype), query.astype(dtype).tolist(), np.asfortranarray(query.astype(dtype))):
        res = c.search(q, k=4)
        assert res.ids == [IDS[i] for i in order]
        np.testing.assert_allclose(res.distances, expected[order], atol=1e-4)
    batch = np.stack([query, -query]).astype(dtype)
    both = c.search(batch, k=4)
    assert both[0].ids == [IDS[i] for i in order]
    neg = np_distances(metric, -query, BASE)
    np.testing.assert_allclose(both[1].distances, np.sort(neg)[:4], atol=1e-4)
    # a batch given as a list of lists or a list of arrays
    assert c.search(batch.tolist(), k=4)[0].ids == both[0].ids
    assert c.search(list(batch), k=4)[1].ids == both[1].ids


def test_input_arrays_are_not_modified(db: agentdb.Database) -> None:
    c = db.create_collection("nomut", dim=5, metric="cosine")
    data = BASE.copy()
    c.add(IDS, data)
    q = data[0].copy()
    c.search(q, k=3)
    np.testing.assert_array_equal(data, BASE)
    np.testing.assert_array_equal(q, BASE[0])


def test_readonly_array_is_accepted(db: agentdb.Database) -> None:
    data = BASE.copy()
    data.setflags(write=False)
    c = db.create_collection("ro", dim=5, metric="l2")
    c.add(IDS, data)
    assert c.search(data[1], k=1).ids == ["v1"]


def test_other_array_likes(db: agentdb.Database) -> None:
    pd = pytest.importorskip("pandas")
    c = db.create_collection("frames", dim=5, metric="l2")
    c.add(IDS, pd.DataFrame(BASE))
    np.testing.assert_array_equal(c.get(IDS).vectors, BASE)
    assert c.search(pd.Series(BASE[2]), k=1).ids == ["v2"]
