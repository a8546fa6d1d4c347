"""Bulk writes from Arrow (``__arrow_c_stream__``): pyarrow Tables and readers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from _helpers import raises_exactly, snapshot

import agentdb
from agentdb.errors import DimensionMismatchError, DuplicateIdError, InvalidArgumentError, InvalidMetadataError, InvalidVectorError

pa = pytest.importorskip("pyarrow")

UTC = dt.timezone.utc


def table(n: int = 5, dim: int = 4, start: int = 0) -> "pa.Table":
    vectors = np.arange(start * dim, (start + n) * dim, dtype=np.float32).reshape(n, dim)
    return pa.table(
        {
            "id": [f"t{i}" for i in range(start, start + n)],
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), dim),
            "document": [f"doc {i}" if i % 2 == 0 else None for i in range(start, start + n)],
            "year": pa.array([2000 + i for i in range(start, start + n)], pa.int32()),
            "score": [i / 10 for i in range(start, start + n)],
            "lang": ["en" if i % 2 else "fr" for i in range(start, start + n)],
            "ok": [i % 3 == 0 for i in range(start, start + n)],
            "when": pa.array([dt.datetime(2024, 1, 1) + dt.timedelta(days=i) for i in range(start, start + n)], pa.timestamp("ms")),
            "tags": [["a", str(i)] for i in range(start, start + n)],
        }
    )


def test_add_pyarrow_table(coll: agentdb.Collection) -> None:
    t = table()
    coll.add(t)
    assert coll.count() == 5
    r = coll.get(["t0", "t3"])
    np.testing.assert_array_equal(r.vectors, [[0, 1, 2, 3], [12, 13, 14, 15]])
    assert r.documents == ["doc 0", None]
    assert r.metadata[1] == {
        "year": 2003,
        "score": 0.3,
        "lang": "en",
        "ok": True,
        "when": dt.datetime(2024, 1, 4, tzinfo=UTC),
        "tags": ["a", "3"],
    }
    assert coll.metadata_schema == {
        "year": "int",
        "score": "float",
        "lang": "str",
        "ok": "bool",
        "when": "datetime",
        "tags": "list[str]",
    }
    assert coll.search(np.zeros(4, np.float32), k=1).ids == ["t0"]
    assert coll.count({"lang": "en"}) == 2


def test_add_arrow_list_vectors_and_reader(coll: agentdb.Collection) -> None:
    t = pa.table({"id": ["x", "y"], "vector": [[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]]})  # list<double>
    coll.add(t)
    reader = pa.RecordBatchReader.from_batches(table(3).schema, table(3).to_batches(max_chunksize=1))
    coll.add(reader)
    assert sorted(coll.get().ids) == ["t0", "t1", "t2", "x", "y"]
    np.testing.assert_array_equal(coll.get("y").vectors, [[4, 3, 2, 1]])


def test_upsert_pyarrow_table(coll: agentdb.Collection) -> None:
    coll.add(table(3))
    replacement = table(3, start=2)  # t2 replaced, t3 and t4 new
    coll.upsert(replacement)
    assert coll.count() == 5
    assert coll.get("t2").metadata[0]["year"] == 2002


def test_many_batches(coll: agentdb.Collection) -> None:
    big = table(1000)
    coll.add(pa.RecordBatchReader.from_batches(big.schema, big.to_batches(max_chunksize=97)))
    assert coll.count() == 1000
    np.testing.assert_array_equal(coll.get("t999").vectors, [[3996, 3997, 3998, 3999]])


def test_arrow_duplicate_id_rejects_whole_table(coll: agentdb.Collection) -> None:
    coll.add(table(2))
    before = snapshot(coll)
    with raises_exactly(DuplicateIdError):
        coll.add(table(3, start=1))  # t1 exists
    with raises_exactly(DuplicateIdError):
        coll.add(pa.concat_tables([table(2, start=5), table(1, start=5).cast(table(2).schema)]))  # t5 twice
    assert snapshot(coll) == before


def test_arrow_bad_rows(coll: agentdb.Collection) -> None:
    coll.add(table(1))
    before = snapshot(coll)
    cases = [
        (pa.table({"id": ["a", "b"], "vector": [[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]]}), DimensionMismatchError),
        (pa.table({"id": ["a"], "vector": [[1.0, float("nan"), 3.0, 4.0]]}), InvalidVectorError),
        (pa.table({"id": ["a"], "vector": [[1.0, 2.0, 3.0, 4.0]], "blob": [b"x"]}), InvalidMetadataError),
        (pa.table({"id": ["a"], "vector": [[1.0, 2.0, 3.0, 4.0]], "bad key": [1]}), InvalidMetadataError),
        (pa.table({"id": ["a"], "vector": [[1.0, 2.0, 3.0, 4.0]], "year": ["not an int"]}), InvalidMetadataError),
        (pa.table({"vector": [[1.0, 2.0, 3.0, 4.0]]}), InvalidArgumentError),
        (pa.table({"id": ["a"]}), InvalidArgumentError),
        (pa.table({"id": [None], "vector": [[1.0, 2.0, 3.0, 4.0]]}), InvalidArgumentError),
        (pa.table({"id": ["a"], "vector": [None]}, schema=pa.schema([("id", pa.string()), ("vector", pa.list_(pa.float32()))])), InvalidArgumentError),
    ]
    for t, error in cases:
        with raises_exactly(error):
            coll.add(t)
        assert snapshot(coll) == before, t


def test_arrow_with_extra_arguments_or_not_arrow(coll: agentdb.Collection) -> None:
    with raises_exactly(InvalidArgumentError):
        coll.add(table(1), documents=["x"])
    with raises_exactly(InvalidArgumentError):
        coll.add({"id": ["a"], "vector": [[1, 2, 3, 4]]})
    assert coll.count() == 0
