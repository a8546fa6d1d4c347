"""The HNSW index through the Python API: recall against numpy brute force, writes kept current
(deletes, moved upserts), filtered search, persistence, damaged/stale index files, bad params.

Correctness only (no timing). Ground truth is exact search in numpy on the same vectors.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import List, Optional

import numpy as np
import pytest
from _helpers import np_distances

import agentdb
from agentdb.errors import InvalidArgumentError

N = 3000
DIM = 24
K = 10
NQ = 40
BUCKETS = 100  # metadata "bucket" = i % 100: "bucket < 50" passes 50%, "bucket = 7" passes 1%


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return np.random.default_rng(7).standard_normal((N, DIM)).astype(np.float32)


@pytest.fixture(scope="module")
def queries() -> np.ndarray:
    return np.random.default_rng(8).standard_normal((NQ, DIM)).astype(np.float32)


def ids_of(rows) -> List[str]:
    return [f"r{i}" for i in rows]


def fill(c: agentdb.Collection, vectors: np.ndarray) -> None:
    c.add(ids_of(range(len(vectors))), vectors, metadata=[{"bucket": i % BUCKETS} for i in range(len(vectors))])


def truth(
    metric: str, vectors: np.ndarray, q: np.ndarray, k: int = K, allowed: Optional[np.ndarray] = None
) -> List[str]:
    """The exact k nearest ids (numpy, float64) among the rows where ``allowed`` is true."""
    d = np_distances(metric, q, vectors)
    if allowed is not None:
        d = np.where(allowed, d, np.inf)
    order = np.argsort(d, kind="stable")[:k]
    return ids_of(i for i in order if np.isfinite(d[i]))


def recall(found: List[List[str]], expected: List[List[str]]) -> float:
    hits = sum(len(set(f) & set(e)) for f, e in zip(found, expected))
    return hits / sum(len(e) for e in expected)


def batch_ids(results) -> List[List[str]]:
    return [list(r.ids) for r in results]


@pytest.fixture
def indexed(db: agentdb.Database, data: np.ndarray) -> agentdb.Collection:
    c = db.create_collection("vecs", dim=DIM, metric="cosine")
    fill(c, data)
    c.create_index("hnsw", m=16, ef_construction=100)
    return c


def index_file(db_path: Path, name: str) -> Path:
    return db_path / "_agentdb" / f"{name}.hnsw"


# -- the index object ---------------------------------------------------------------------------


def test_index_property_and_drop(db: agentdb.Database, data: np.ndarray, queries: np.ndarray) -> None:
    c = db.create_collection("vecs", dim=DIM, metric="l2")
    fill(c, data[:500])
    assert c.index is None
    c.drop_index()  # no index: not an error
    c.create_index()
    assert c.index == agentdb.IndexInfo(kind="hnsw", m=16, ef_construction=200, quantization="none")
    assert c.index.to_dict() == {"kind": "hnsw", "m": 16, "ef_construction": 200, "quantization": "none"}
    c.create_index("hnsw", m=8, ef_construction=40)  # replaces the index
    assert c.index is not None and (c.index.m, c.index.ef_construction) == (8, 40)
    assert index_file(db.path, "vecs").exists()
    c.drop_index()
    assert c.index is None
    assert not index_file(db.path, "vecs").exists()
    # Without an index the search is exact, and ef is ignored.
    r = c.search(queries[0], k=K, ef=1)
    assert list(r.ids) == truth("l2", data[:500], queries[0])


# -- recall -------------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["cosine", "l2"])
def test_recall_against_numpy(db: agentdb.Database, data: np.ndarray, queries: np.ndarray, metric: str) -> None:
    c = db.create_collection("vecs", dim=DIM, metric=metric)
    fill(c, data)
    c.create_index("hnsw", m=16, ef_construction=100)
    expected = [truth(metric, data, q) for q in queries]

    found = batch_ids(c.search(queries, k=K))  # default ef
    assert recall(found, expected) >= 0.95
    found = batch_ids(c.search(queries, k=K, ef=128))
    assert recall(found, expected) >= 0.95
    # The single-query form agrees with the batch form.
    assert list(c.search(queries[0], k=K, ef=128).ids) == found[0]
    # Distances are the metric's, ascending.
    r = c.search(queries[1], k=K, ef=128)
    want = np_distances(metric, queries[1], data[[int(i[1:]) for i in r.ids]])
    np.testing.assert_allclose(r.distances, want, rtol=1e-4, atol=1e-4)
    assert np.all(np.diff(r.distances) >= 0)

    # exact=True scans every record: the numpy answer exactly.
    exact = c.search(queries, k=K, exact=True)
    assert batch_ids(exact) == expected

    # ids_only keeps ids and distances, without documents or metadata.
    slim = c.search(queries[:3], k=K, ef=128, ids_only=True)
    assert batch_ids(slim) == found[:3]
    assert all(d is None for d in slim[0].documents)


def test_recall_grows_with_ef(indexed: agentdb.Collection, data: np.ndarray, queries: np.ndarray) -> None:
    expected = [truth("cosine", data, q) for q in queries]
    low = recall(batch_ids(indexed.search(queries, k=K, ef=K)), expected)
    high = recall(batch_ids(indexed.search(queries, k=K, ef=400)), expected)
    assert high >= 0.99
    assert high >= low


# -- writes keep the index current --------------------------------------------------------------


def test_deleted_records_never_returned(indexed: agentdb.Collection, data: np.ndarray, queries: np.ndarray) -> None:
    # Delete the true nearest neighbours of every query (the records the graph walk finds first),
    # and a third of everything else.
    nearest = {int(i[1:]) for q in queries for i in truth("cosine", data, q)}
    gone = sorted(nearest | set(range(0, N, 3)))
    assert indexed.delete(ids=ids_of(gone)) == len(gone)
    alive = np.ones(N, dtype=bool)
    alive[gone] = False
    gone_ids = set(ids_of(gone))

    for ef in (K, 64, 256):
        found = batch_ids(indexed.search(queries, k=K, ef=ef))
        assert not gone_ids & {i for f in found for i in f}
        assert all(len(f) == K for f in found)
    expected = [truth("cosine", data, q, allowed=alive) for q in queries]
    assert recall(batch_ids(indexed.search(queries, k=K, ef=128)), expected) >= 0.95

    # Deleting by filter too.
    indexed.delete(where={"bucket": {"$lt": 50}})
    found = batch_ids(indexed.search(queries, k=K, ef=128))
    buckets = {int(i[1:]) % BUCKETS for f in found for i in f}
    assert buckets and min(buckets) >= 50


def test_upsert_moves_a_vector(indexed: agentdb.Collection, data: np.ndarray, queries: np.ndarray) -> None:
    q = queries[0]
    # Move a far-away record onto the query: it becomes the nearest.
    far = truth("cosine", data, -q, k=1)[0]
    indexed.upsert(far, q, metadata={"bucket": 1})
    r = indexed.search(q, k=K, ef=64)
    assert r.ids[0] == far
    assert r.distances[0] == pytest.approx(0.0, abs=1e-5)

    # Move the query's true nearest neighbour far away: it no longer comes back near its old place.
    near = truth("cosine", data, q, k=2)[1]
    old = data[int(near[1:])]
    indexed.upsert(near, -old, metadata={"bucket": 1})
    r = indexed.search(old, k=K, ef=64)
    assert near not in r.ids
    r = indexed.search(-old, k=1, ef=64)
    assert r.ids == [near]

    # New records added after the build are found too.
    indexed.add("new", queries[1] * 3.0, metadata={"bucket": 2})
    r = indexed.search(queries[1], k=1)
    assert r.ids == ["new"]


# -- filtered search ----------------------------------------------------------------------------


def test_filtered_search(indexed: agentdb.Collection, data: np.ndarray, queries: np.ndarray) -> None:
    bucket = np.arange(N) % BUCKETS

    # A broad filter (half the records) is applied during the graph walk: recall holds.
    broad = bucket < 50
    expected = [truth("cosine", data, q, allowed=broad) for q in queries]
    for where in ({"bucket": {"$lt": 50}}, "bucket < 50"):
        found = batch_ids(indexed.search(queries, k=K, where=where, ef=128))
        assert recall(found, expected) >= 0.95
        assert all(int(i[1:]) % BUCKETS < 50 for f in found for i in f)

    # A 1% filter is answered by the exact scan: the numpy answer exactly, whatever ef.
    narrow = bucket == 7
    expected = [truth("cosine", data, q, allowed=narrow) for q in queries]
    for ef in (None, K):
        assert batch_ids(indexed.search(queries, k=K, where={"bucket": 7}, ef=ef)) == expected
    assert list(indexed.search(queries[0], k=K, where="bucket = 7").ids) == expected[0]
    # Fewer matches than k: all of them.
    r = indexed.search(queries[0], k=100, where={"bucket": 7})
    assert sorted(r.ids) == sorted(ids_of(np.flatnonzero(narrow)))


# -- persistence --------------------------------------------------------------------------------


def test_index_survives_reopen(db_path: Path, data: np.ndarray, queries: np.ndarray) -> None:
    db = agentdb.connect(db_path)
    c = db.create_collection("vecs", dim=DIM, metric="l2")
    fill(c, data)
    c.create_index("hnsw", m=12, ef_construction=80)
    # Writes after the build are saved on close.
    c.delete(ids=ids_of(range(0, 300)))
    c.upsert("r300", queries[0])
    before = c.search(queries, k=K, ef=64)
    db.close()
    assert index_file(db_path, "vecs").exists()

    with agentdb.connect(db_path) as db2:
        c2 = db2.get_collection("vecs")
        assert c2.index == agentdb.IndexInfo("hnsw", 12, 80, "none")
        after = c2.search(queries, k=K, ef=64)
        assert batch_ids(after) == batch_ids(before)
        for a, b in zip(after, before):
            np.testing.assert_allclose(a.distances, b.distances, rtol=1e-6)
        assert c2.search(queries[0], k=1).ids == ["r300"]
        assert not set(ids_of(range(0, 300))) & {i for r in after for i in r.ids}


def test_damaged_index_file_is_rebuilt(db_path: Path, data: np.ndarray, queries: np.ndarray) -> None:
    db = agentdb.connect(db_path)
    c = db.create_collection("vecs", dim=DIM, metric="cosine")
    fill(c, data)
    c.create_index("hnsw", m=16, ef_construction=100)
    db.close()

    path = index_file(db_path, "vecs")
    raw = bytearray(path.read_bytes())
    # Flip bytes in the middle (ids, vectors and links) and near the end.
    for pos in (len(raw) // 3, len(raw) // 2, len(raw) // 2 + 1, len(raw) - 20):
        raw[pos] ^= 0xFF
    damaged = bytes(raw)
    path.write_bytes(damaged)

    expected = [truth("cosine", data, q) for q in queries]
    with agentdb.connect(db_path) as db2:
        c2 = db2.get_collection("vecs")
        assert c2.index == agentdb.IndexInfo("hnsw", 16, 100, "none")
        found = c2.search(queries, k=K, ef=128)
        assert recall(batch_ids(found), expected) >= 0.95
        for q, r in zip(queries, found):
            want = np_distances("cosine", q, data[[int(i[1:]) for i in r.ids]])
            np.testing.assert_allclose(r.distances, want, rtol=1e-4, atol=1e-4)
        # The file was rewritten from the data.
        assert path.read_bytes() != damaged

    # A truncated file too.
    path.write_bytes(path.read_bytes()[:100])
    with agentdb.connect(db_path) as db3:
        found = db3.get_collection("vecs").search(queries, k=K, ef=128)
        assert recall(batch_ids(found), expected) >= 0.95


def test_stale_index_file_is_rebuilt(db_path: Path, data: np.ndarray, queries: np.ndarray) -> None:
    db = agentdb.connect(db_path)
    c = db.create_collection("vecs", dim=DIM, metric="cosine")
    fill(c, data[:2000])
    c.create_index("hnsw", m=16, ef_construction=100)
    db.close()
    path = index_file(db_path, "vecs")
    old = path.read_bytes()

    # More writes, saved on close; then the older (intact, but stale) file is put back.
    with agentdb.connect(db_path) as db2:
        c2 = db2.get_collection("vecs")
        c2.add(ids_of(range(2000, N)), data[2000:], metadata=[{"bucket": i % BUCKETS} for i in range(2000, N)])
        c2.delete(ids=ids_of(range(0, 100)))
    path.write_bytes(old)

    alive = np.ones(N, dtype=bool)
    alive[:100] = False
    expected = [truth("cosine", data, q, allowed=alive) for q in queries]
    with agentdb.connect(db_path) as db3:
        found = batch_ids(db3.get_collection("vecs").search(queries, k=K, ef=128))
        assert recall(found, expected) >= 0.95
        assert not set(ids_of(range(0, 100))) & {i for f in found for i in f}
    assert path.read_bytes() != old


# -- bad parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(m=1), "m must be"),
        (dict(m=129), "m must be"),
        (dict(m=-3), "m must be"),
        (dict(ef_construction=0), "ef_construction must be"),
        (dict(kind="ivf"), "supported kinds: 'hnsw'"),
        (dict(kind="HNSW"), "supported kinds"),
        (dict(quantization="int4"), "supported: 'none', 'int8'"),
        (dict(partitions=8), "partitions does not apply"),
        (dict(kind="ivf_pq", m=8), "m does not apply"),
        (dict(kind="ivf_pq", quantization="int8"), "quantization does not apply"),
        (dict(kind="ivf_pq"), "at least 256 records"),
        (dict(kind="ivf_pq", sub_vectors=3), "sub_vectors must divide"),
    ],
)
def test_bad_index_params(coll: agentdb.Collection, kwargs: dict, match: str) -> None:
    coll.add(["a", "b"], np.eye(2, 4, dtype=np.float32))
    with pytest.raises(InvalidArgumentError, match=match):
        coll.create_index(**kwargs)
    assert coll.index is None


def test_bad_search_params(coll: agentdb.Collection) -> None:
    coll.add(["a", "b"], np.eye(2, 4, dtype=np.float32))
    coll.create_index(m=4, ef_construction=10)
    q = np.ones(4, dtype=np.float32)
    for ef in (0, -1, 100_001):
        with pytest.raises(InvalidArgumentError, match="ef"):
            coll.search(q, k=1, ef=ef)
        with pytest.raises(InvalidArgumentError, match="ef"):
            coll.search(np.stack([q, q]), k=1, ef=ef)
    with pytest.raises(InvalidArgumentError, match="threads"):
        coll.search(q, k=1, exact=True, threads=0)
    with pytest.raises(TypeError):
        coll.create_index("hnsw", 16)  # m and ef_construction are keyword-only
    with pytest.raises(TypeError):
        coll.search(q, 1, None, 32)  # ef is keyword-only


def test_create_index_releases_the_gil(db: agentdb.Database, data: np.ndarray) -> None:
    """Another Python thread runs while the index is built (no timing asserted: it only has to get
    to run repeatedly before the build returns)."""
    c = db.create_collection("vecs", dim=DIM, metric="l2")
    fill(c, data)
    c.search(data[0], k=1)  # load the vectors first, so the call below is the graph build
    done = threading.Event()
    ticks = []

    def tick() -> None:
        while not done.is_set():
            ticks.append(1)
            done.wait(0.0005)

    t = threading.Thread(target=tick)
    t.start()
    try:
        while not ticks:
            done.wait(0.001)
        before = len(ticks)
        c.create_index("hnsw", m=16, ef_construction=200)
        during = len(ticks) - before
    finally:
        done.set()
        t.join()
    assert during > 5, during


# -- int8 quantization and IVF_PQ ---------------------------------------------------------------


def clustered(n: int, seed: int, centres: int = 30) -> np.ndarray:
    """A seeded clustered set (points around a few centres, like real embeddings)."""
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centres, DIM)) * 3
    return (c[np.arange(n) % centres] + rng.standard_normal((n, DIM))).astype(np.float32)


def test_int8_hnsw_recall_and_reopen(db_path: Path) -> None:
    data = clustered(N, 11)
    queries = clustered(NQ, 12)
    expected = [truth("l2", data, q) for q in queries]
    db = agentdb.connect(db_path)
    c = db.create_collection("vecs", dim=DIM, metric="l2")
    fill(c, data)
    c.create_index("hnsw", quantization="int8")
    assert c.index == agentdb.IndexInfo("hnsw", 16, 200, "int8")
    found = c.search(queries, k=K, ef=64)
    assert recall(batch_ids(found), expected) >= 0.9
    # Distances are the exact float ones (re-ranked), not int8 estimates.
    for q, r in zip(queries, found):
        want = np_distances("l2", q, data[[int(i[1:]) for i in r.ids]])
        np.testing.assert_allclose(r.distances, want, rtol=1e-4, atol=1e-4)
    db.close()
    saved = index_file(db_path, "vecs").read_bytes()
    with agentdb.connect(db_path) as db2:
        c2 = db2.get_collection("vecs")
        assert c2.index == agentdb.IndexInfo("hnsw", 16, 200, "int8")
        again = c2.search(queries, k=K, ef=64)
        assert batch_ids(again) == batch_ids(found)
    assert index_file(db_path, "vecs").read_bytes() == saved


def mapped_files() -> str:
    """This process's file mappings (Linux: /proc/self/maps)."""
    return Path("/proc/self/maps").read_text()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc/self/maps (Linux)")
def test_int8_keeps_float_rows_in_a_mapped_file(db_path: Path) -> None:
    """With an int8 index the float rows (for re-ranking and exact scans) are not anonymous memory:
    they are mapped from ``_agentdb/<name>.vectors.f32``; without it they are back in RAM."""
    data = clustered(N, 13)
    queries = clustered(NQ, 14)
    rows_file = (db_path / "_agentdb" / "vecs.vectors.f32").resolve()
    db = agentdb.connect(db_path)
    c = db.create_collection("vecs", dim=DIM, metric="cosine")
    fill(c, data)
    in_ram = c.search(queries, k=K, exact=True)
    assert not rows_file.exists()
    c.create_index("hnsw", quantization="int8")
    assert rows_file.stat().st_size >= N * DIM * 4
    assert str(rows_file) in mapped_files()
    mapped = c.search(queries, k=K, exact=True)
    assert batch_ids(mapped) == batch_ids(in_ram)
    for a, b in zip(mapped, in_ram):
        assert list(a.distances) == list(b.distances)
    # Writes go to the mapped rows.
    c.upsert(["r0"], data[1:2])
    c.delete(["r2"])
    found = c.search(data[1], k=3, exact=True)
    assert set(found.ids[:2]) == {"r0", "r1"} and "r2" not in found.ids
    assert list(c.search(data[1], k=3, ef=64).ids) == list(found.ids)
    # Dropping the index moves the rows back to RAM: no mapping, no file (not even "(deleted)").
    c.drop_index()
    assert not rows_file.exists()
    assert str(rows_file) not in mapped_files()
    assert list(c.search(data[1], k=3, exact=True).ids) == list(found.ids)
    c.create_index("hnsw", quantization="int8")
    db.close()
    with agentdb.connect(db_path) as db2:
        c2 = db2.get_collection("vecs")
        # Reopened: the rows are loaded into the file on the first search.
        assert list(c2.search(data[1], k=3, exact=True).ids) == list(found.ids)
        assert str(rows_file) in mapped_files()
        db2.drop_collection("vecs")
        assert not rows_file.exists()


def test_ivf_pq_finds_the_true_neighbours(db_path: Path) -> None:
    data = clustered(N, 21)
    queries = clustered(NQ, 22)
    db = agentdb.connect(db_path)
    c = db.create_collection("vecs", dim=DIM, metric="cosine")
    fill(c, data)
    c.create_index("ivf_pq", partitions=16, sub_vectors=4)
    assert c.index == agentdb.IndexInfo("ivf_pq", partitions=16, sub_vectors=4)
    assert c.index.to_dict() == {"kind": "ivf_pq", "partitions": 16, "sub_vectors": 4}
    assert not index_file(db_path, "vecs").exists()
    expected = [truth("cosine", data, q) for q in queries]
    # Every partition probed and a wide re-rank: the exact neighbours at their exact distances.
    found = c.search(queries, k=K, nprobes=16, refine_factor=50)
    assert recall(batch_ids(found), expected) >= 0.99
    for q, r in zip(queries, found):
        want = np_distances("cosine", q, data[[int(i[1:]) for i in r.ids]])
        np.testing.assert_allclose(r.distances, want, rtol=1e-4, atol=1e-4)
    # A filter applies; exact=True is exact.
    allowed = np.arange(N) % BUCKETS < 50
    f = c.search(queries[0], k=K, where={"bucket": {"$lt": 50}}, nprobes=16, refine_factor=50)
    assert recall([list(f.ids)], [truth("cosine", data, queries[0], allowed=allowed)]) >= 0.9
    assert list(c.search(queries[0], k=K, exact=True).ids) == expected[0]
    for bad in (dict(nprobes=0), dict(refine_factor=0), dict(nprobes=-1), dict(refine_factor=100_001)):
        with pytest.raises(InvalidArgumentError):
            c.search(queries[0], k=K, **bad)
    db.close()
    with agentdb.connect(db_path) as db2:
        c2 = db2.get_collection("vecs")
        assert c2.index == agentdb.IndexInfo("ivf_pq", partitions=16, sub_vectors=4)
        assert recall(batch_ids(c2.search(queries, k=K, nprobes=16, refine_factor=50)), expected) >= 0.99
        c2.drop_index()
        assert c2.index is None
        assert batch_ids(c2.search(queries, k=K)) == expected


def test_rabitq_hnsw_recall_writes_reopen_and_counters(db_path: Path) -> None:
    data = clustered(N, 15)
    queries = clustered(NQ, 16)
    expected = [truth("l2", data, q) for q in queries]
    db = agentdb.connect(db_path)
    c = db.create_collection("vecs", dim=DIM, metric="l2")
    fill(c, data)
    c.create_index("hnsw", quantization="rabitq")
    assert c.index == agentdb.IndexInfo("hnsw", 16, 200, "rabitq")
    agentdb.reset_search_counters()
    found = c.search(queries, k=K, ef=128)
    counters = agentdb.search_counters()
    # 24 dimensions are 24 bits: a floor, not a target (RaBitQ pays off at hundreds).
    assert recall(batch_ids(found), expected) >= 0.8
    assert counters["searches"] == NQ
    assert counters["codes_scored"] >= NQ * 128 and counters["reranks"] >= NQ * K
    assert counters["distances"] == 0 and counters["bytes"] > 0
    agentdb.reset_search_counters()
    assert agentdb.search_counters()["searches"] == 0
    # Distances are the exact float ones (re-ranked), not estimates.
    for q, r in zip(queries, found):
        want = np_distances("l2", q, data[[int(i[1:]) for i in r.ids]])
        np.testing.assert_allclose(r.distances, want, rtol=1e-4, atol=1e-4)
    # Upserts move vectors, deletes remove them, under the codes too.
    c.upsert(["r0"], data[1:2])
    c.delete(["r2"])
    hit = c.search(data[1], k=3, ef=64)
    assert set(hit.ids[:2]) == {"r0", "r1"} and "r2" not in hit.ids
    db.close()
    saved = index_file(db_path, "vecs").read_bytes()
    with agentdb.connect(db_path) as db2:
        c2 = db2.get_collection("vecs")
        assert c2.index == agentdb.IndexInfo("hnsw", 16, 200, "rabitq")
        assert list(c2.search(data[1], k=3, ef=64).ids) == list(hit.ids)
        again = c2.search(queries, k=K, ef=128)
        assert recall(batch_ids(again), expected) >= 0.8
    assert index_file(db_path, "vecs").read_bytes() == saved


@pytest.mark.parametrize("mode", ["rabitq2", "rabitq4", "rabitq8"])
def test_multi_bit_rabitq_recall_writes_reopen_and_rebuild(db_path: Path, mode: str) -> None:
    assert mode in agentdb.collection.QUANTIZATIONS
    data = clustered(N, 17)
    queries = clustered(NQ, 18)
    expected = [truth("l2", data, q) for q in queries]
    db = agentdb.connect(db_path)
    c = db.create_collection("vecs", dim=DIM, metric="l2")
    fill(c, data)
    c.create_index("hnsw", quantization=mode)
    assert c.index == agentdb.IndexInfo("hnsw", 16, 200, mode)
    agentdb.reset_search_counters()
    found = c.search(queries, k=K, ef=128)
    counters = agentdb.search_counters()
    # 1-bit codes reach 0.8 on these 24 dimensions; more bits per dimension get close to float32.
    floor = {"rabitq2": 0.95, "rabitq4": 0.98, "rabitq8": 0.98}[mode]
    assert recall(batch_ids(found), expected) >= floor
    assert counters["codes_scored"] >= NQ * 128 and counters["reranks"] >= NQ * K
    assert counters["distances"] == 0
    # Distances are the exact float ones (re-ranked), not estimates.
    for q, r in zip(queries, found):
        want = np_distances("l2", q, data[[int(i[1:]) for i in r.ids]])
        np.testing.assert_allclose(r.distances, want, rtol=1e-4, atol=1e-4)
    # Upserts move vectors, deletes remove them, under the codes too.
    c.upsert(["r0"], data[1:2])
    c.delete(["r2"])
    fresh = clustered(50, 19)
    c.upsert([f"n{i}" for i in range(50)], fresh)
    hit = c.search(data[1], k=3, ef=64)
    assert set(hit.ids[:2]) == {"r0", "r1"} and "r2" not in hit.ids
    assert c.search(fresh[7], k=1, ef=64).ids[0] == "n7"
    c.delete([f"n{i}" for i in range(50)])
    assert "n7" not in c.search(fresh[7], k=5, ef=64).ids
    db.close()
    saved = index_file(db_path, "vecs").read_bytes()
    with agentdb.connect(db_path) as db2:
        c2 = db2.get_collection("vecs")
        assert c2.index == agentdb.IndexInfo("hnsw", 16, 200, mode)
        assert list(c2.search(data[1], k=3, ef=64).ids) == list(hit.ids)
        assert recall(batch_ids(c2.search(queries, k=K, ef=128)), expected) >= floor
    assert index_file(db_path, "vecs").read_bytes() == saved
    # A damaged index file is rebuilt from the data, in the same mode.
    index_file(db_path, "vecs").write_bytes(saved[:100])
    with agentdb.connect(db_path) as db3:
        c3 = db3.get_collection("vecs")
        assert c3.index == agentdb.IndexInfo("hnsw", 16, 200, mode)
        assert list(c3.search(data[1], k=3, ef=64).ids)[:2] == list(hit.ids)[:2]
        assert recall(batch_ids(c3.search(queries, k=K, ef=128)), expected) >= floor
