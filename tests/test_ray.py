"""agentdb.ray on a local Ray cluster started here (one per module): distributed ingest committed
once, distributed batch search, and sharded collections (exact merge, pushed-down filters, a
killed shard with and without a replica)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any, Iterator, List

import numpy as np
import pytest

ray = pytest.importorskip("ray")

import agentdb  # noqa: E402
from agentdb import errors  # noqa: E402
from agentdb.embed import HashingEmbedder  # noqa: E402

aray = pytest.importorskip("agentdb.ray")

DIM = 16
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    # The workers import agentdb from where the tests do: the source tree, or (under `make
    # test-wheel`) the installed wheel.
    installed = os.environ.get("AGENTDB_TEST_INSTALLED") == "1"
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=256 * 1024 * 1024,
        runtime_env=None if installed else {"env_vars": {"PYTHONPATH": str(ROOT / "python")}},
        log_to_driver=False,
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()


def _rows(n: int, seed: int = 0, prefix: str = "r") -> List[dict]:
    rng = np.random.default_rng(seed)
    vecs = rng.standard_normal((n, DIM)).astype(np.float32)
    return [
        {"id": f"{prefix}{i}", "vector": vecs[i], "document": f"doc {i}", "metadata": {"even": i % 2 == 0, "i": i}}
        for i in range(n)
    ]


def _seed_columns(db: Any, name: str) -> Any:
    """The metadata keys as columns first (a staged write cannot add columns)."""
    c = db.create_collection(name, DIM, metric="l2")
    c.add(["seed"], np.full((1, DIM), 100.0, dtype=np.float32), metadata=[{"even": True, "i": -1}])
    return c


def test_ingest_commits_once_and_matches_a_plain_add(tmp_path: Path) -> None:
    uri = str(tmp_path / "db")
    rows = _rows(3000)
    with agentdb.connect(uri) as db:
        c = _seed_columns(db, "docs")
        db.flush()
        lance = pytest.importorskip("lance")
        before = lance.dataset(str(Path(uri) / "docs.lance")).version
        n = aray.ingest(ray.data.from_items(rows).repartition(4), uri, "docs", database=db, batch_size=500, concurrency=2, num_cpus=0.5)
        assert n == 3000
        assert c.count() == 3001
        assert lance.dataset(str(Path(uri) / "docs.lance")).version == before + 1, "one commit"
        # Searching right after the commit finds the new rows, with their documents and metadata.
        hit = c.search(rows[1234]["vector"], k=1)
        assert hit.ids == ["r1234"] and hit.documents == ["doc 1234"] and hit.metadata[0] == {"even": True, "i": 1234}
        assert c.count(where={"even": False}) == 1500
        got = c.get([r["id"] for r in rows[:50]])
    # The same rows through the ordinary path: the same records.
    with agentdb.connect(str(tmp_path / "plain")) as plain:
        p = plain.create_collection("docs", DIM, metric="l2")
        p.add([r["id"] for r in rows[:50]], np.stack([r["vector"] for r in rows[:50]]),
              documents=[r["document"] for r in rows[:50]], metadata=[r["metadata"] for r in rows[:50]])
        want = p.get([r["id"] for r in rows[:50]])
    assert got.ids == want.ids and got.documents == want.documents and got.metadata == want.metadata
    np.testing.assert_array_equal(np.asarray(got.vectors), np.asarray(want.vectors))


def test_ingest_embeds_on_the_workers_and_creates_the_collection(tmp_path: Path) -> None:
    uri = str(tmp_path / "db")
    texts = [f"note {i} about {'cats' if i % 3 else 'dogs'} number {i}" for i in range(400)]
    ds = ray.data.from_items([{"id": f"t{i}", "document": t} for i, t in enumerate(texts)])
    emb = HashingEmbedder(32)
    assert aray.ingest(ds, uri, "notes", emb, batch_size=100) == 400
    with agentdb.connect(uri) as db:
        c = db.get_collection("notes")
        assert c.dim == 32 and c.count() == 400
        hit = c.search(emb([texts[77]])[0], k=1)
        assert hit.ids == ["t77"] and hit.documents == [texts[77]]


def test_ingest_of_existing_ids_commits_nothing(tmp_path: Path) -> None:
    uri = str(tmp_path / "db")
    rows = _rows(200)
    with agentdb.connect(uri) as db:
        c = _seed_columns(db, "docs")
        c.add(["r5"], np.zeros((1, DIM), dtype=np.float32))
        with pytest.raises(errors.DuplicateIdError):
            aray.ingest(ray.data.from_items(rows), uri, "docs", database=db, batch_size=50)
        assert c.count() == 2
        # A metadata key that is no column yet: a typed error from the worker, nothing committed.
        new_key = [{**r, "id": "n" + r["id"], "metadata": {"brand_new": 1}} for r in rows[:10]]
        with pytest.raises(errors.InvalidMetadataError, match="brand_new"):
            aray.ingest(ray.data.from_items(new_key), uri, "docs", database=db)
        assert c.count() == 2


def test_batch_search_equals_local_search(tmp_path: Path) -> None:
    uri = str(tmp_path / "db")
    rows = _rows(2000, seed=1)
    rng = np.random.default_rng(7)
    queries = rng.standard_normal((300, DIM)).astype(np.float32)
    with agentdb.connect(uri) as db:
        c = _seed_columns(db, "docs")
        aray.ingest(ray.data.from_items(rows), uri, "docs", database=db)
        # The workers open read-only next to this writer.
        out = aray.batch_search(
            ray.data.from_items([{"qid": i, "vector": q} for i, q in enumerate(queries)]),
            uri, "docs", k=5, where={"even": True}, batch_size=64,
        ).take_all()
        local = c.search(queries, k=5, where={"even": True})
    assert len(out) == 300
    for row in out:
        assert list(row["ids"]) == local[row["qid"]].ids
        np.testing.assert_allclose(np.asarray(row["distances"]), local[row["qid"]].distances, rtol=1e-6)


def _unsharded_and_sharded(tmp_path: Path, shards: int, replicas: int = 0, n: int = 1500) -> Any:
    rows = _rows(n, seed=3)
    ids = [r["id"] for r in rows]
    vecs = np.stack([r["vector"] for r in rows])
    meta = [r["metadata"] for r in rows]
    docs = [r["document"] for r in rows]
    ref_db = agentdb.connect(str(tmp_path / "ref"))
    ref = ref_db.create_collection("c", DIM, metric="l2")
    ref.add(ids, vecs, documents=docs, metadata=meta)
    sc = aray.ShardedCollection([str(tmp_path / f"shard{i}") for i in range(shards)], "c", DIM, metric="l2", replicas=replicas)
    sc.add(ids, vecs, documents=docs, metadata=meta)
    return ref_db, ref, sc


def test_sharded_search_is_the_exact_top_k_of_the_union(tmp_path: Path) -> None:
    ref_db, ref, sc = _unsharded_and_sharded(tmp_path, shards=4)
    try:
        assert sc.count() == 1500 and sc.count(where={"even": True}) == 750
        # Every shard holds some: the hash spreads ids.
        assert all(ray.get(p.count.remote(None)) > 250 for p in sc.primaries)
        rng = np.random.default_rng(11)
        queries = rng.standard_normal((40, DIM)).astype(np.float32)
        for where in (None, {"even": True}, "i >= 700 AND i < 760"):
            for k in (1, 10, 37):
                got = sc.search(queries, k=k, where=where, exact=True)
                want = ref.search(queries, k=k, where=where, exact=True)
                for g, w in zip(got, want):
                    assert g.ids == w.ids
                    np.testing.assert_allclose(g.distances, w.distances, rtol=1e-6)
                    assert g.metadata == w.metadata and g.documents == w.documents
        one = sc.search(queries[0], k=3)
        assert isinstance(one, agentdb.SearchResult) and len(one) == 3
        # Routing is by id: upsert and delete reach the record's own shard.
        sc.upsert(["r10"], np.full((1, DIM), 50.0, dtype=np.float32), metadata=[{"even": True, "i": 10}])
        assert sc.search(np.full(DIM, 50.0, dtype=np.float32), k=1).ids == ["r10"]
        assert sc.delete(["r10", "r11", "nope"]) == 2
        assert sc.count() == 1498
        assert sc.get(["r12", "r10"]).keys() == {"r12"}
        assert sc.delete(where={"i": {"$lt": 100}}) == 98
        with pytest.raises(errors.DuplicateIdError):
            sc.add(["r500"], np.zeros((1, DIM), dtype=np.float32))
        with pytest.raises(errors.InvalidFilterError):
            sc.search(queries[0], k=3, where="no_such_column = 1")
    finally:
        sc.close()
        ref_db.close()


def _kill(actor: object) -> None:
    """Kill an actor and wait until it is dead: ray.kill only asks, and a call sent at once may
    still be answered by the actor it was meant to miss."""
    ray.kill(actor, no_restart=True)
    for _ in range(120):
        try:
            ray.get(actor.ping.remote(), timeout=5)  # type: ignore[attr-defined]
        except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError):
            return
        time.sleep(0.25)
    raise AssertionError("the killed actor still answers")


def test_a_dead_shard_is_a_typed_error_or_survived_with_a_replica(tmp_path: Path) -> None:
    ref_db, ref, sc = _unsharded_and_sharded(tmp_path / "a", shards=2, n=400)
    q = np.random.default_rng(5).standard_normal(DIM).astype(np.float32)
    try:
        _kill(sc.primaries[1])
        with pytest.raises(aray.ShardUnavailableError) as info:
            sc.search(q, k=5)
        assert info.value.shard == 1 and isinstance(info.value, errors.StorageError)
    finally:
        sc.close()
        ref_db.close()
    ref_db, ref, sc = _unsharded_and_sharded(tmp_path / "b", shards=2, replicas=1, n=400)
    try:
        want = ref.search(q, k=5, exact=True).ids
        assert sc.search(q, k=5, exact=True).ids == want
        _kill(sc.primaries[0])
        # Every read of shard 0 now falls over to its replica, whichever reader it starts with.
        for _ in range(4):
            assert sc.search(q, k=5, exact=True).ids == want
        assert sc.count() == 400
        # Writes need the primary.
        with pytest.raises(aray.ShardUnavailableError):
            sc.upsert([f"r{i}" for i in range(20)], np.zeros((20, DIM), dtype=np.float32))
        _kill(sc.replicas[0][0])
        with pytest.raises(aray.ShardUnavailableError, match="shard 0"):
            sc.search(q, k=5)
    finally:
        sc.close()
        ref_db.close()


def test_replicas_see_writes_when_they_return(tmp_path: Path) -> None:
    sc = aray.ShardedCollection([str(tmp_path / "s0")], "c", DIM, replicas=2)
    try:
        v = np.eye(DIM, dtype=np.float32)[:3]
        sc.add(["a", "b", "c"], v, documents=["A", "B", "C"])
        for _ in range(6):  # round-robin over the primary and both replicas
            hit = sc.search(v[1], k=1)
            assert hit.ids == ["b"] and hit.documents == ["B"]
    finally:
        sc.close()


def test_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"## Scaling out with Ray.*?```python\n(.*?)```", text, re.S)
    assert m, "README has no 'Scaling out with Ray' example"
    monkeypatch.chdir(tmp_path)
    # The example starts Ray itself when no cluster is up; here one is.
    exec(compile(m.group(1), "README-ray", "exec"), {"__name__": "readme"})


def test_staged_write_errors_are_typed(tmp_path: Path) -> None:
    """The engine half of ingest, called directly: bad parts are typed errors and commit nothing."""
    path = tmp_path / "db"
    with agentdb.connect(path) as db:
        c = db.create_collection("c", DIM)
        db.flush()
        with agentdb.connect(path, read_only=True) as ro:
            part = ro.get_collection("c").stage(["a", "b"], np.ones((2, DIM), dtype=np.float32))
            with pytest.raises(errors.ReadOnlyError):
                ro.get_collection("c").commit_staged([part])
        assert c.count() == 0
        with pytest.raises(errors.InvalidArgumentTypeError):
            c.commit_staged(part)  # one bytes object, not a list of parts
        with pytest.raises(errors.InvalidArgumentTypeError):
            c.commit_staged(["not bytes"])  # type: ignore[list-item]
        with pytest.raises(errors.InvalidArgumentError, match="not a staged write"):
            c.commit_staged([b"garbage"])
        with pytest.raises(errors.DimensionMismatchError):
            c.stage(["x"], np.ones((1, DIM + 1), dtype=np.float32))
        assert c.commit_staged([part, c.stage(["c"], np.ones((1, DIM), dtype=np.float32))]) == 3
        assert c.commit_staged([]) == 0
        assert sorted(c.get().ids) == ["a", "b", "c"]
