"""Search payloads: what a search returns besides ids and distances (documents, metadata).

Searches read them from an in-memory cache kept in step with every write (see
``rust/engine/src/payload.rs``). These tests hold it to the collection's own answers: a hypothesis
state machine drives adds, upserts (small ones through the log, large ones committed directly),
deletes by id and by filter, index builds and drops, reopens, with the cache on, off, and small
enough to overflow mid-run; after every step each hit's document and metadata must equal the
model's and ``get``'s. Then ``include=`` combinations, a crash replay, a read-only reader that must
see the writer's later commits, and collections with an IVF_PQ index, whose search Lance answers.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import agentdb
from agentdb.errors import InvalidArgumentError

DIM = 4
POOL = [f"id{i}" for i in range(10)]
# Larger than the log's batch limit (1,024 rows): committed to Lance directly.
BIG = 1100

vectors = st.lists(st.integers(-3, 3), min_size=DIM, max_size=DIM).map(lambda xs: np.array(xs, np.float32) / 2 + 0.1)
metadata = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "n": st.integers(-(2**63), 2**63 - 1),
            "x": st.floats(allow_nan=False, allow_infinity=False),
            "s": st.text(max_size=5),
            "tags": st.lists(st.text(max_size=3), max_size=3),
            "ok": st.booleans(),
        },
    ),
)
records = st.tuples(st.sampled_from(POOL), vectors, st.one_of(st.none(), st.text(max_size=8)), metadata)
batches = st.lists(records, min_size=1, max_size=5, unique_by=lambda r: r[0])

Model = Dict[str, Tuple[np.ndarray, Optional[str], Dict[str, Any]]]


def as_stored(meta: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Metadata as reads return it: ints stored in a float column come back as floats. The
    machine writes "x" as a float always, so only absent keys differ from what was written."""
    return dict(meta or {})


class PayloadMachine(RuleBasedStateMachine):
    """The payload every search returns agrees with a model, through every kind of write."""

    def __init__(self) -> None:
        super().__init__()
        self.path = tempfile.mkdtemp(prefix="agentdb-payload-")
        self.db: Optional[agentdb.Database] = None
        self.c: Optional[agentdb.Collection] = None
        self.model: Model = {}
        self.cache: Optional[int] = None
        self.big_rounds = 0

    @initialize(cache=st.sampled_from([None, 0, 600]))
    def open(self, cache: Optional[int]) -> None:
        # 600 bytes holds a few entries: the cache overflows during the run and searches fall
        # back to reading payload from storage.
        self.cache = cache
        self.db = agentdb.connect(self.path, payload_cache_bytes=cache)
        self.c = self.db.create_collection("p", dim=DIM, metric="l2")

    def teardown(self) -> None:
        try:
            if self.db is not None:
                self.reopen()
                self.check()
                self.db.close()
        finally:
            shutil.rmtree(self.path, ignore_errors=True)

    def write(self, batch: List[Any]) -> None:
        assert self.c is not None
        ids = [r[0] for r in batch]
        self.c.upsert(ids, np.stack([r[1] for r in batch]), documents=[r[2] for r in batch], metadata=[r[3] for r in batch])
        for rid, vec, doc, meta in batch:
            self.model[rid] = (vec.copy(), doc, as_stored(meta))

    @rule(batch=batches)
    def upsert_small(self, batch: List[Any]) -> None:
        self.write(batch)

    @precondition(lambda self: self.big_rounds < 2)
    @rule(doc=st.one_of(st.none(), st.text(max_size=4)), n=st.integers(0, 9))
    def upsert_big(self, doc: Optional[str], n: int) -> None:
        # Pool ids among the big batch: a direct write replaces buffered and cached records.
        self.big_rounds += 1
        ids = POOL + [f"big{i}" for i in range(BIG - len(POOL))]
        rng = np.random.default_rng(n)
        vecs = rng.normal(size=(len(ids), DIM)).astype(np.float32)
        metas = [{"n": n, "s": rid} if i % 2 else None for i, rid in enumerate(ids)]
        batch = [(rid, vecs[i], None if i % 3 == 0 else doc, metas[i]) for i, rid in enumerate(ids)]
        self.write(batch)

    @rule(ids=st.lists(st.sampled_from(POOL + ["big1", "big2"]), max_size=4))
    def delete_ids(self, ids: List[str]) -> None:
        assert self.c is not None
        expected = {i for i in ids if i in self.model}
        assert self.c.delete(ids) == len(expected)
        for i in expected:
            del self.model[i]

    @rule(ok=st.booleans())
    def delete_where(self, ok: bool) -> None:
        assert self.c is not None
        if "ok" not in self.c.metadata_schema:
            return
        expected = [rid for rid, (_, _, m) in self.model.items() if m.get("ok") is ok]
        assert self.c.delete(where={"ok": ok}) == len(expected)
        for i in expected:
            del self.model[i]

    @rule(quantization=st.sampled_from(["none", "int8"]))
    def create_index(self, quantization: str) -> None:
        assert self.c is not None
        self.c.create_index("hnsw", quantization=quantization)

    @rule()
    def drop_index(self) -> None:
        assert self.c is not None
        self.c.drop_index()

    @rule()
    def reopen(self) -> None:
        assert self.db is not None
        self.db.close()
        self.db = agentdb.connect(self.path, payload_cache_bytes=self.cache)
        self.c = self.db.get_collection("p")

    @rule(query=vectors, which=st.sampled_from(["default", "documents", "metadata", "none", "batch"]))
    def search(self, query: np.ndarray, which: str) -> None:
        self.check_search(query, which)

    def check_search(self, query: np.ndarray, which: str) -> None:
        assert self.c is not None
        k = min(30, max(1, len(self.model)))
        include = {"default": None, "documents": ["documents"], "metadata": ["metadata"], "none": [], "batch": None}[which]
        if which == "batch":
            res = self.c.search(np.stack([query, -query]), k=k)[0]
        else:
            res = self.c.search(query, k=k, include=include)
        assert len(res) == min(k, len(self.model))
        for rid, _, doc, meta in res:
            _, want_doc, want_meta = self.model[rid]
            assert doc == (want_doc if include is None or "documents" in include else None), rid
            assert meta == (want_meta if include is None or "metadata" in include else {}), rid

    @invariant()
    def check(self) -> None:
        if self.c is None:
            return
        self.check_search(np.array([0.5, -0.5, 1.0, 0.0], np.float32), "default")
        # The same records through get (which reads storage and the log, not the cache).
        some = sorted(self.model)[:20]
        got = {r.id: (r.document, r.metadata) for r in self.c.get(some)}
        assert got == {rid: (self.model[rid][1], self.model[rid][2]) for rid in some}


PayloadMachine.TestCase.settings = settings(
    max_examples=20, stateful_step_count=14, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestPayloadMachine = PayloadMachine.TestCase


# -- include -----------------------------------------------------------------------------------


@pytest.fixture()
def coll(tmp_path: Path) -> agentdb.Collection:
    db = agentdb.connect(tmp_path / "db")
    c = db.create_collection("c", dim=3, metric="cosine")
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone.utc)
    c.add(
        ["a", "b", "c"],
        np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0]], np.float32),
        documents=["alpha", None, "gamma"],
        metadata=[{"n": 1, "when": when, "tags": ["x", "y"]}, {"n": 2}, None],
    )
    return c


def test_include_combinations(coll: agentdb.Collection) -> None:
    q = np.array([1, 0, 0], np.float32)
    full = coll.search(q, k=3)
    assert full.ids == ["a", "b", "c"]
    assert full.documents == ["alpha", None, "gamma"]
    assert full.metadata[0]["tags"] == ["x", "y"] and full.metadata[1] == {"n": 2} and full.metadata[2] == {}
    assert full.metadata == coll.get(["a", "b", "c"]).metadata
    docs = coll.search(q, k=3, include=["documents"])
    assert (docs.documents, docs.metadata) == (full.documents, [{}, {}, {}])
    meta = coll.search(q, k=3, include=["metadatas", "distances"])
    assert (meta.documents, meta.metadata) == ([None] * 3, full.metadata)
    for bare in (coll.search(q, k=3, include=[]), coll.search(q, k=3, ids_only=True), coll.search(q, k=3, ids_only=True, include=[])):
        assert (bare.ids, bare.documents, bare.metadata) == (full.ids, [None] * 3, [{}] * 3)
        np.testing.assert_array_equal(bare.distances, full.distances)
    batch = coll.search(np.stack([q, q]), k=2, include=["documents"])
    assert [r.documents for r in batch] == [["alpha", None]] * 2
    filtered = coll.search(q, k=3, where={"n": 2})
    assert (filtered.ids, filtered.metadata) == (["b"], [{"n": 2}])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"include": ["embeddings"]}, "does not return vectors"),
        ({"include": ["uris"]}, "unknown include"),
        ({"include": "documents"}, "list of names"),
        ({"ids_only": True, "include": ["documents"]}, "not both"),
    ],
)
def test_bad_include(coll: agentdb.Collection, kwargs: Dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        coll.search(np.array([1, 0, 0], np.float32), k=1, **kwargs)


def test_new_metadata_keys_reach_cached_payloads(coll: agentdb.Collection) -> None:
    q = np.array([1, 0, 0], np.float32)
    assert coll.search(q, k=1).metadata == [coll.get(["a"]).metadata[0]]
    coll.upsert(["a"], q[None, :], documents=["alpha 2"], metadata=[{"fresh": "yes"}])
    r = coll.search(q, k=1)
    assert (r.documents, r.metadata) == (["alpha 2"], [{"fresh": "yes"}])
    assert coll.search(q, k=3, where={"fresh": "yes"}).ids == ["a"]


def test_ivf_pq_search_returns_only_what_is_included(tmp_path: Path) -> None:
    db = agentdb.connect(tmp_path / "db")
    c = db.create_collection("c", dim=8, metric="l2")
    rng = np.random.default_rng(1)
    ids = [f"r{i}" for i in range(300)]
    c.add(ids, rng.normal(size=(300, 8)).astype(np.float32), documents=[f"doc {i}" for i in range(300)], metadata=[{"i": i} for i in range(300)])
    c.create_index("ivf_pq", partitions=2, sub_vectors=2)
    q = rng.normal(size=8).astype(np.float32)
    full = c.search(q, k=5, refine_factor=10)
    assert all(d == f"doc {rid[1:]}" and m == {"i": int(rid[1:])} for rid, _, d, m in full)
    bare = c.search(q, k=5, refine_factor=10, include=[])
    assert bare.ids == full.ids and bare.documents == [None] * 5 and bare.metadata == [{}] * 5
    docs = c.search(q, k=5, refine_factor=10, include=["documents"])
    assert docs.documents == full.documents and docs.metadata == [{}] * 5


# -- crash replay and read-only readers ---------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    import agentdb
    db = agentdb.connect(sys.argv[1])
    c = db.get_or_create_collection("c", dim=2, metric="l2")
    for i in range(40):
        c.upsert([f"r{i % 25}"], np.array([[i, 1]], np.float32), documents=[f"v{i}"], metadata=[{"i": i}])
    c.delete(["r3"])
    os._exit(0)  # no close: the writes are in the log only
    """
)


def test_payload_after_crash_replay(tmp_path: Path) -> None:
    path = tmp_path / "db"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "python"))
    subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True, env=env, timeout=120)
    with agentdb.connect(path) as db:
        c = db.get_collection("c")
        r = c.search(np.array([0, 1], np.float32), k=30)
        assert sorted(r.ids) == sorted(f"r{i}" for i in range(25) if i != 3)
        latest = {f"r{i % 25}": i for i in range(40)}
        for rid, _, doc, meta in r:
            assert (doc, meta) == (f"v{latest[rid]}", {"i": latest[rid]})


def test_read_only_search_sees_later_commits(tmp_path: Path) -> None:
    path = tmp_path / "db"
    writer = agentdb.connect(path)
    c = writer.create_collection("c", dim=2, metric="l2")
    c.add(["a"], np.array([[1, 0]], np.float32), documents=["first"])
    writer.flush()
    reader = agentdb.connect(path, read_only=True)
    rc = reader.get_collection("c")
    q = np.array([1, 0], np.float32)
    assert rc.search(q, k=5).documents == ["first"]
    c.upsert(["a", "b"], np.array([[1, 0], [0.9, 0]], np.float32), documents=["second", "new"])
    writer.flush()
    r = rc.search(q, k=5)
    assert (r.ids, r.documents) == (["a", "b"], ["second", "new"])
    c.delete(["a"])
    writer.flush()
    assert rc.search(q, k=5).ids == ["b"]
    assert rc.search(q, k=5).ids == rc.get().ids
    reader.close()
    writer.close()
