"""Bad input: each case raises exactly its error type and leaves the collection unchanged."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path
from typing import Any, Callable, List

import numpy as np
import pytest
from _helpers import raises_exactly, snapshot

import agentdb
from agentdb.errors import (
    AgentDBError,
    CollectionExistsError,
    CollectionNotFoundError,
    DimensionMismatchError,
    DuplicateIdError,
    InvalidArgumentError,
    InvalidMetadataError,
    InvalidNameError,
    InvalidVectorError,
)

GOOD = np.arange(8, dtype=np.float32).reshape(2, 4)


@pytest.fixture
def seeded(coll: agentdb.Collection) -> agentdb.Collection:
    """An l2 collection of dimension 4 holding two records (with metadata key ``n`` as int)."""
    coll.add(["a", "b"], GOOD, documents=["A", "B"], metadata=[{"n": 1}, {"n": 2, "s": "x"}])
    return coll


def check_rejected(c: agentdb.Collection, error: type, call: Callable[[], Any], match: str | None = None) -> None:
    """``call`` raises exactly ``error`` and nothing in ``c`` changed (count, records, schema)."""
    before, schema = snapshot(c), c.metadata_schema
    with raises_exactly(error, match=match):
        call()
    assert snapshot(c) == before
    assert c.metadata_schema == schema


# -- vectors ----------------------------------------------------------------------------------


def test_wrong_dimension_array(seeded: agentdb.Collection) -> None:
    for write in (seeded.add, seeded.upsert):
        check_rejected(seeded, DimensionMismatchError, lambda: write(["c", "d"], np.ones((2, 3), np.float32)))


def test_wrong_dimension_one_row(seeded: agentdb.Collection) -> None:
    rows = [[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0]]
    check_rejected(seeded, DimensionMismatchError, lambda: seeded.add(["c", "d", "e"], rows), match="row 1")
    check_rejected(seeded, DimensionMismatchError, lambda: seeded.upsert(["a", "d", "e"], rows), match="row 1")


def test_wrong_dimension_query(seeded: agentdb.Collection) -> None:
    check_rejected(seeded, DimensionMismatchError, lambda: seeded.search(np.ones(5, np.float32)))
    check_rejected(seeded, DimensionMismatchError, lambda: seeded.search(np.ones((2, 3), np.float32)))
    check_rejected(seeded, DimensionMismatchError, lambda: seeded.search([[1, 2, 3, 4], [1, 2]]), match="query 1")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_vectors(seeded: agentdb.Collection, bad: float) -> None:
    vectors = np.ones((3, 4), np.float32)
    vectors[2, 1] = bad
    check_rejected(seeded, InvalidVectorError, lambda: seeded.add(["c", "d", "e"], vectors), match="row 2")
    check_rejected(seeded, InvalidVectorError, lambda: seeded.upsert(["a", "d", "e"], vectors), match="row 2")
    as_lists = vectors.astype(np.float64).tolist()
    check_rejected(seeded, InvalidVectorError, lambda: seeded.add(["c", "d", "e"], as_lists), match="row 2")
    query = np.ones(4, np.float32)
    query[0] = bad
    check_rejected(seeded, InvalidVectorError, lambda: seeded.search(query))


def test_float64_overflowing_float32_is_rejected(seeded: agentdb.Collection) -> None:
    big = np.ones((1, 4), np.float64)
    big[0, 0] = 1e300  # inf once converted to float32
    with np.errstate(over="ignore"):
        check_rejected(seeded, InvalidVectorError, lambda: seeded.add(["c"], big))


def test_non_numeric_vectors(seeded: agentdb.Collection) -> None:
    check_rejected(seeded, InvalidVectorError, lambda: seeded.add(["c"], [["1", "2", "3", "4"]]))
    check_rejected(seeded, InvalidVectorError, lambda: seeded.add(["c", "d"], [[1, 2, 3, 4], None]), match="row 1")
    check_rejected(seeded, InvalidVectorError, lambda: seeded.search(["a", "b", "c", "d"]))


def test_zero_vector_in_cosine_collection(db: agentdb.Database) -> None:
    c = db.create_collection("cos", dim=3, metric="cosine")
    c.add(["a"], [[1.0, 0.0, 0.0]])
    check_rejected(c, InvalidVectorError, lambda: c.add(["b", "z"], [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]), match="row 1")
    check_rejected(c, InvalidVectorError, lambda: c.search([0.0, 0.0, 0.0]))


def test_vectors_and_ids_of_different_lengths(seeded: agentdb.Collection) -> None:
    check_rejected(seeded, InvalidArgumentError, lambda: seeded.add(["c", "d"], np.ones((3, 4), np.float32)))
    check_rejected(
        seeded, InvalidArgumentError, lambda: seeded.add(["c", "d"], np.ones((2, 4), np.float32), documents=["x"])
    )
    check_rejected(
        seeded, InvalidArgumentError, lambda: seeded.add(["c"], np.ones((1, 4), np.float32), metadata=[{}, {}])
    )


def test_vectors_of_wrong_rank(seeded: agentdb.Collection) -> None:
    check_rejected(seeded, InvalidArgumentError, lambda: seeded.add(["c", "d"], np.ones((2, 2, 2), np.float32)))
    check_rejected(seeded, InvalidArgumentError, lambda: seeded.add(["c", "d"], np.ones(8, np.float32)))
    check_rejected(seeded, InvalidArgumentError, lambda: seeded.add(["c"], None))


# -- ids --------------------------------------------------------------------------------------


def test_duplicate_id_in_batch(seeded: agentdb.Collection) -> None:
    ids = ["c", "d", "c"]
    vectors = np.ones((3, 4), np.float32)
    check_rejected(seeded, DuplicateIdError, lambda: seeded.add(ids, vectors), match="row 2")
    check_rejected(seeded, DuplicateIdError, lambda: seeded.upsert(ids, vectors), match="row 2")


def test_id_already_present_on_add(seeded: agentdb.Collection) -> None:
    # "c" is new but "b" exists: the whole batch is rejected, "c" is not written.
    check_rejected(seeded, DuplicateIdError, lambda: seeded.add(["c", "b"], np.ones((2, 4), np.float32)), match="row 1")
    assert seeded.get("c").ids == []
    seeded.upsert(["c", "b"], np.ones((2, 4), np.float32))  # upsert is the way to replace
    assert seeded.count() == 3


@pytest.mark.parametrize("bad_id", ["", "x" * 1025])
def test_bad_ids(seeded: agentdb.Collection, bad_id: str) -> None:
    check_rejected(seeded, InvalidArgumentError, lambda: seeded.add(["c", bad_id], np.ones((2, 4), np.float32)))


@pytest.mark.parametrize("bad_ids", [[1, 2], [b"c"], [None], 7])
def test_ids_that_are_not_strings(seeded: agentdb.Collection, bad_ids: Any) -> None:
    check_rejected(seeded, InvalidArgumentError, lambda: seeded.add(bad_ids, np.ones((2, 4), np.float32)))


# -- metadata ---------------------------------------------------------------------------------


UNSUPPORTED: List[Any] = [
    {1, 2},
    b"bytes",
    {"nested": "dict"},
    [1, 2],  # lists hold only strings
    ["a", 1],
    object(),
    decimal.Decimal("1.5"),
    dt.date(2024, 1, 1),
    dt.time(12, 0),
    2**64,  # does not fit a 64-bit integer
    float("nan"),
    complex(1, 2),
]


@pytest.mark.parametrize("value", UNSUPPORTED, ids=[type(v).__name__ + str(i) for i, v in enumerate(UNSUPPORTED)])
def test_unsupported_metadata_value(seeded: agentdb.Collection, value: Any) -> None:
    metadata = [{"ok": "fine"}, {"bad": value}]
    check_rejected(
        seeded,
        InvalidMetadataError,
        lambda: seeded.add(["c", "d"], np.ones((2, 4), np.float32), metadata=metadata),
        match="row 1",
    )
    check_rejected(
        seeded, InvalidMetadataError, lambda: seeded.upsert(["a", "d"], np.ones((2, 4), np.float32), metadata=metadata)
    )


@pytest.mark.parametrize("key", ["bad key", "1st", "id", "vector", "_distance", "a.b", "", "k" * 65])
def test_bad_metadata_keys(seeded: agentdb.Collection, key: str) -> None:
    check_rejected(
        seeded, InvalidMetadataError, lambda: seeded.add(["c"], np.ones((1, 4), np.float32), metadata=[{key: 1}])
    )


def test_metadata_key_of_another_type(seeded: agentdb.Collection) -> None:
    # "n" holds ints, "s" holds strings.
    for meta in ({"n": "three"}, {"s": 3}, {"n": True}, {"n": ["x"]}):
        check_rejected(
            seeded, InvalidMetadataError, lambda: seeded.add(["c"], np.ones((1, 4), np.float32), metadata=[meta])
        )


@pytest.mark.parametrize("metadata", [{"n": 1}, ["not a dict"], [{1: "int key"}], 5])
def test_malformed_metadata_argument(seeded: agentdb.Collection, metadata: Any) -> None:
    ids = ["c"] if not isinstance(metadata, dict) else ["c", "d"]
    vectors = np.ones((len(ids), 4), np.float32)
    check_rejected(seeded, InvalidMetadataError, lambda: seeded.add(ids, vectors, metadata=metadata))


def test_documents_that_are_not_strings(seeded: agentdb.Collection) -> None:
    check_rejected(
        seeded, InvalidArgumentError, lambda: seeded.add(["c"], np.ones((1, 4), np.float32), documents=[3])
    )


# -- other arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, -1, 100_001])
def test_bad_k(seeded: agentdb.Collection, k: int) -> None:
    check_rejected(seeded, InvalidArgumentError, lambda: seeded.search(np.ones(4, np.float32), k=k))


def test_bad_limit_offset(seeded: agentdb.Collection) -> None:
    check_rejected(seeded, InvalidArgumentError, lambda: seeded.get(limit=-1))
    check_rejected(seeded, InvalidArgumentError, lambda: seeded.get(offset=-2))


@pytest.mark.parametrize("dim,metric", [(0, "l2"), (-3, "l2"), (70_000, "l2"), (4, "manhattan")])
def test_bad_collection_settings(db: agentdb.Database, dim: int, metric: str) -> None:
    with raises_exactly(InvalidArgumentError):
        db.create_collection("c", dim=dim, metric=metric)
    assert db.list_collections() == []


def test_collection_exists_and_not_found(db: agentdb.Database) -> None:
    c = db.create_collection("c", dim=2, metric="l2")
    c.add(["x"], [[1.0, 2.0]])
    before = snapshot(c)
    with raises_exactly(CollectionExistsError):
        db.create_collection("c", dim=2, metric="l2")
    with raises_exactly(CollectionExistsError):
        db.create_collection("c", dim=3, metric="dot")
    assert snapshot(db.get_collection("c")) == before
    with raises_exactly(CollectionNotFoundError):
        db.get_collection("d")
    with raises_exactly(CollectionNotFoundError):
        db.drop_collection("d")
    assert db.list_collections() == ["c"]


# -- collection names ---------------------------------------------------------------------------

BAD_NAMES = ["../x", "a/b", "", "x" * 200, "..", ".", ".hidden", "a\\b", "/abs", "a b", "-dash", "naïve", "a\x00b"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=[repr(n)[:20] for n in BAD_NAMES])
def test_bad_collection_names(tmp_path: Path, name: str) -> None:
    root = tmp_path / "root"
    db_dir = root / "db"
    with agentdb.connect(db_dir) as db:
        c = db.create_collection("keep", dim=2, metric="l2")
        c.add(["x"], [[1.0, 2.0]])
        before = snapshot(c)
        tree_before = sorted(str(p) for p in root.rglob("*"))
        for call in (
            lambda: db.create_collection(name, dim=2, metric="l2"),
            lambda: db.get_or_create_collection(name, dim=2, metric="l2"),
            lambda: db.get_collection(name),
            lambda: db.drop_collection(name),
        ):
            with raises_exactly(InvalidNameError):
                call()
        # Nothing created anywhere, inside or outside the database directory.
        assert sorted(str(p) for p in root.rglob("*")) == tree_before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["root"]
        assert db.list_collections() == ["keep"]
        assert snapshot(c) == before


def test_longest_name_is_accepted(db: agentdb.Database) -> None:
    name = "n" * 128
    db.create_collection(name, dim=2)
    assert db.list_collections() == [name]


def test_every_error_is_an_agentdb_error(seeded: agentdb.Collection) -> None:
    with pytest.raises(AgentDBError):
        seeded.add(["a"], np.ones((1, 4), np.float32))
    with pytest.raises(ValueError):  # bad input is also a ValueError
        seeded.add(["a"], np.ones((1, 4), np.float32))
