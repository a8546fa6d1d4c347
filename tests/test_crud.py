"""Databases, collections and records: the happy paths of the Python API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from _helpers import np_distances, raises_exactly

import agentdb
from agentdb.errors import ClosedError, CollectionExistsError, CollectionNotFoundError, InvalidArgumentError

UTC = dt.timezone.utc


def test_version_and_exports() -> None:
    assert isinstance(agentdb.__version__, str) and agentdb.__version__
    for name in agentdb.__all__:
        assert hasattr(agentdb, name), name


def test_connect_creates_directory_and_path(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "db"
    with agentdb.connect(path) as db:
        assert path.is_dir()
        assert db.path == path.resolve()
        assert isinstance(db.path, Path)
        assert not db.closed
        assert db.list_collections() == []
    assert db.closed


def test_collection_lifecycle(db: agentdb.Database) -> None:
    a = db.create_collection("alpha", dim=3)
    assert (a.name, a.dim, a.metric) == ("alpha", 3, "cosine")
    b = db.create_collection("beta-2", dim=8, metric="dot")
    assert (b.dim, b.metric) == (8, "dot")
    assert db.list_collections() == ["alpha", "beta-2"]
    assert "alpha" in db and "gamma" not in db

    again = db.get_collection("alpha")
    assert (again.name, again.dim, again.metric) == ("alpha", 3, "cosine")
    same = db.get_or_create_collection("alpha", dim=3)
    assert same.name == "alpha"
    created = db.get_or_create_collection("gamma", dim=2, metric="l2")
    assert (created.dim, created.metric) == (2, "l2")
    with raises_exactly(InvalidArgumentError):
        db.get_or_create_collection("alpha", dim=4)

    with raises_exactly(CollectionExistsError):
        db.create_collection("alpha", dim=3)
    db.drop_collection("alpha")
    assert db.list_collections() == ["beta-2", "gamma"]
    with raises_exactly(CollectionNotFoundError):
        db.get_collection("alpha")
    with raises_exactly(CollectionNotFoundError):
        db.drop_collection("alpha")
    with raises_exactly(ClosedError):
        a.count()  # a handle to a dropped collection


def test_collection_not_found_is_a_key_error(db: agentdb.Database) -> None:
    with pytest.raises(KeyError) as info:
        db.get_collection("missing")
    assert "missing" in str(info.value)
    assert not str(info.value).startswith("'")


def test_close_makes_handles_fail(db_path: Path) -> None:
    db = agentdb.connect(db_path)
    c = db.create_collection("docs", dim=2, metric="l2")
    c.add(["a"], np.ones((1, 2), np.float32))
    db.close()
    db.close()  # idempotent
    for call in (c.count, lambda: c.get(), lambda: c.search([1, 1]), db.list_collections):
        with raises_exactly(ClosedError):
            call()
    with raises_exactly(ClosedError):
        c.add(["b"], np.ones((1, 2), np.float32))


def test_add_get_count_len(coll: agentdb.Collection) -> None:
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    coll.add(["a", "b", "c"], vectors, documents=["doc a", None, "doc c"])
    assert coll.count() == 3 and len(coll) == 3

    r = coll.get(["c", "missing", "a"])
    assert r.ids == ["c", "a"]
    assert r.vectors.dtype == np.float32 and r.vectors.shape == (2, 4)
    np.testing.assert_array_equal(r.vectors, vectors[[2, 0]])
    assert r.documents == ["doc c", "doc a"]
    assert r.metadata == [{}, {}]

    everything = coll.get()
    assert sorted(everything.ids) == ["a", "b", "c"]
    assert len(everything) == 3
    by_id = {rec.id: rec for rec in everything}
    assert by_id["b"].document is None
    np.testing.assert_array_equal(by_id["b"].vector, vectors[1])

    assert coll.get("b").ids == ["b"]  # a single id
    assert coll.get([]).ids == []
    empty = coll.get(["nope"])
    assert empty.ids == [] and empty.vectors.shape == (0, 4)


def test_get_limit_offset(coll: agentdb.Collection) -> None:
    ids = [f"r{i}" for i in range(10)]
    coll.add(ids, np.random.default_rng(0).random((10, 4), dtype=np.float32))
    everything = coll.get().ids
    assert coll.get(limit=3).ids == everything[:3]
    assert coll.get(limit=3, offset=8).ids == everything[8:]
    assert coll.get(ids, limit=2, offset=1).ids == ids[1:3]
    assert coll.get(offset=10).ids == []


def test_single_record_forms(coll: agentdb.Collection) -> None:
    coll.add("one", np.array([1, 2, 3, 4], np.float32), documents="text", metadata={"k": 1})
    coll.add("two", [4.0, 3.0, 2.0, 1.0])
    r = coll.get(["one", "two"])
    assert r.ids == ["one", "two"]
    assert r.documents == ["text", None]
    assert r.metadata == [{"k": 1}, {}]
    np.testing.assert_array_equal(r.vectors, [[1, 2, 3, 4], [4, 3, 2, 1]])


def test_metadata_types_round_trip(coll: agentdb.Collection) -> None:
    naive = dt.datetime(2024, 2, 29, 13, 45, 7, 123456)
    aware = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    meta = {
        "s": "héllo",
        "i": 2**62,
        "f": 0.25,
        "b": True,
        "t": naive,
        "tags": ["x", "y"],
        "neg": -7,
    }
    coll.add(["a", "b"], np.ones((2, 4), np.float32), metadata=[meta, {"t": aware, "i": None, "b": False}])
    a, b = coll.get(["a", "b"]).metadata
    assert a == {**meta, "t": naive.replace(tzinfo=UTC)}
    assert type(a["i"]) is int and type(a["f"]) is float and type(a["b"]) is bool
    assert a["t"].tzinfo is not None and a["t"].utcoffset() == dt.timedelta(0)
    assert b == {"t": dt.datetime(2024, 1, 1, 10, 0, tzinfo=UTC), "b": False}  # None = key absent
    assert coll.metadata_schema == {
        "s": "str",
        "i": "int",
        "f": "float",
        "b": "bool",
        "t": "datetime",
        "tags": "list[str]",
        "neg": "int",
    }


def test_numpy_scalars_in_metadata(coll: agentdb.Collection) -> None:
    coll.add(
        ["a"],
        np.ones((1, 4), np.float32),
        metadata=[{"i": np.int32(3), "f": np.float32(0.5), "b": np.bool_(True), "tags": np.array(["p", "q"])}],
    )
    m = coll.get("a").metadata[0]
    assert m == {"i": 3, "f": 0.5, "b": True, "tags": ["p", "q"]}
    assert type(m["i"]) is int and type(m["b"]) is bool


def test_upsert_replaces_and_adds_keys(coll: agentdb.Collection) -> None:
    coll.add(["a", "b"], np.zeros((2, 4), np.float32), documents=["A", "B"], metadata=[{"x": 1}, {"x": 2}])
    coll.upsert(
        ["b", "c"],
        np.ones((2, 4), np.float32),
        documents=["B2", None],
        metadata=[{"y": "new key"}, {"x": 3}],
    )
    r = coll.get(["a", "b", "c"])
    assert r.documents == ["A", "B2", None]
    assert r.metadata == [{"x": 1}, {"y": "new key"}, {"x": 3}]  # replaced whole: b lost x
    np.testing.assert_array_equal(r.vectors, [[0] * 4, [1] * 4, [1] * 4])
    assert coll.count() == 3


def test_int_key_accepts_float_after_widening(coll: agentdb.Collection) -> None:
    coll.add(["a", "b"], np.ones((2, 4), np.float32), metadata=[{"n": 1}, {"n": 2.5}])
    assert coll.metadata_schema["n"] == "float"
    assert [m["n"] for m in coll.get(["a", "b"]).metadata] == [1.0, 2.5]


def test_delete_by_ids(coll: agentdb.Collection) -> None:
    coll.add(["a", "b", "c"], np.ones((3, 4), np.float32))
    assert coll.delete(["a", "missing"]) == 1
    assert coll.delete("b") == 1
    assert coll.delete(["a"]) == 0
    assert coll.delete([]) == 0
    assert coll.get().ids == ["c"]
    with raises_exactly(InvalidArgumentError):
        coll.delete()


@pytest.mark.parametrize("metric", ["cosine", "l2", "dot"])
def test_search_distances_match_numpy(db: agentdb.Database, metric: str) -> None:
    rng = np.random.default_rng(42)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    ids = [f"v{i}" for i in range(50)]
    c = db.create_collection(f"m-{metric}", dim=8, metric=metric)
    c.add(ids, vectors, documents=[f"doc {i}" for i in range(50)], metadata=[{"i": i} for i in range(50)])
    query = rng.normal(size=8).astype(np.float32)

    res = c.search(query, k=7)
    assert isinstance(res, agentdb.SearchResult)
    expected = np_distances(metric, query, vectors)
    order = np.argsort(expected, kind="stable")[:7]
    assert res.ids == [ids[i] for i in order]
    assert res.distances.dtype == np.float32 and res.distances.shape == (7,)
    np.testing.assert_allclose(res.distances, expected[order], atol=1e-4)
    assert res.documents == [f"doc {i}" for i in order]
    assert res.metadata == [{"i": int(i)} for i in order]
    hits = list(res)
    assert hits[0] == agentdb.Hit(ids[order[0]], pytest.approx(float(expected[order[0]]), abs=1e-4), f"doc {order[0]}", {"i": int(order[0])})
    assert len(res) == 7

    # A 2-D query is a batch: one result per row, same answers as one by one.
    queries = rng.normal(size=(3, 8)).astype(np.float32)
    batch = c.search(queries, k=5)
    assert isinstance(batch, list) and len(batch) == 3
    for q, r in zip(queries, batch):
        e = np_distances(metric, q, vectors)
        o = np.argsort(e, kind="stable")[:5]
        assert r.ids == [ids[i] for i in o]
        np.testing.assert_allclose(r.distances, e[o], atol=1e-4)


def test_search_k_larger_than_collection(coll: agentdb.Collection) -> None:
    coll.add(["a", "b"], np.eye(2, 4, dtype=np.float32))
    res = coll.search(np.zeros(4, np.float32), k=10)
    assert sorted(res.ids) == ["a", "b"]
    empty = coll.search(np.zeros(4, np.float32), k=3, where={"nokey": 1})
    assert len(empty) == 0 and empty.distances.shape == (0,)
    assert coll.search(np.zeros((0, 4), np.float32), k=3) == []


def test_search_empty_collection(coll: agentdb.Collection) -> None:
    res = coll.search([1.0, 2.0, 3.0, 4.0])
    assert res.ids == [] and len(res.distances) == 0


def test_results_to_arrow_and_pandas(coll: agentdb.Collection) -> None:
    pa = pytest.importorskip("pyarrow")
    pytest.importorskip("pandas")
    when = dt.datetime(2023, 5, 1, tzinfo=UTC)
    coll.add(
        ["a", "b", "c"],
        np.arange(12, dtype=np.float32).reshape(3, 4),
        documents=["A", None, "C"],
        metadata=[{"n": 1, "tags": ["t"], "when": when}, {"s": "x"}, {}],
    )
    res = coll.search(np.zeros(4, np.float32), k=3)
    table = res.to_arrow()
    assert table.column_names == ["id", "document", "n", "tags", "when", "s", "_distance"]
    assert table.schema.field("_distance").type == pa.float32()
    assert table.schema.field("n").type == pa.int64()
    assert table.schema.field("when").type == pa.timestamp("us", tz="UTC")
    assert table.column("id").to_pylist() == res.ids
    df = res.to_pandas()
    assert list(df["id"]) == res.ids
    np.testing.assert_allclose(df["_distance"].to_numpy(), res.distances)

    got = coll.get(["a", "b"]).to_arrow()
    assert got.column_names == ["id", "vector", "document", "n", "tags", "when", "s"]
    assert got.schema.field("vector").type == pa.list_(pa.float32(), 4)
    assert got.column("vector").to_pylist()[1] == [4, 5, 6, 7]
    assert got.column("s").to_pylist() == [None, "x"]
    gdf = coll.get().to_pandas()
    assert sorted(gdf["id"]) == ["a", "b", "c"]


def test_handles_share_state(db: agentdb.Database) -> None:
    one = db.create_collection("shared", dim=2, metric="l2")
    two = db.get_collection("shared")
    one.add(["a"], [[1.0, 2.0]], metadata=[{"k": "v"}])
    assert two.get("a").metadata == [{"k": "v"}]
    assert two.metadata_schema == {"k": "str"}


def test_repr(db: agentdb.Database, coll: agentdb.Collection) -> None:
    assert repr(coll) == "Collection(name='docs', dim=4, metric='l2')"
    assert "Database(" in repr(db)
    coll.add(["a"], np.ones((1, 4), np.float32))
    assert "'a'" in repr(coll.search(np.ones(4, np.float32), k=1))
    assert "'a'" in repr(coll.get())


def test_concurrent_threads(db: agentdb.Database) -> None:
    """Handles are shared across threads (the GIL is released during engine work)."""
    import threading

    c = db.create_collection("threads", dim=3, metric="l2")
    errors: list = []

    def worker(t: int) -> None:
        try:
            rng = np.random.default_rng(t)
            for j in range(5):
                c.add([f"t{t}-{j}"], rng.random((1, 3), dtype=np.float32), metadata=[{"t": t}])
                assert len(c.search(rng.random(3), k=3)) >= 1
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert c.count() == 20
    assert all(c.count({"t": t}) == 5 for t in range(4))
