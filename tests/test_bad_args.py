"""Random calls with bad arguments across collections, state, memory and RAG (issue 11's
hypothesis suite, issue 22 item 7).

Every call gets one argument that is wrong — of the wrong type, out of range (ints beyond 64
bits, negative counts), malformed (filters, metadata, vectors) — and must raise an
:mod:`agentdb.errors` class: never a bare ``TypeError``, ``OverflowError``, ``AttributeError``,
``KeyError`` or numpy ``ValueError``, and never crash. A wrong *type* raises
``InvalidArgumentTypeError``, which is also a ``TypeError``; every bad argument is also a
``ValueError``. After each call, everything committed before (every record of the collection, the
memories, the RAG's chunks, the agent state, the list of collections) is unchanged.
Seeded (``derandomize=True``) and short: a few seconds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Dict, Iterator, List, Tuple

import numpy as np
import pytest
from _helpers import snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentdb
from agentdb.embed import HashingEmbedder
from agentdb.errors import AgentDBError, InvalidArgumentError, InvalidArgumentTypeError

DIM = 8

# -- bad values, by the kind of argument they are wrong for ------------------------------------

HUGE_INTS = [2**63, 2**64, -(2**63) - 1, 2**100, -(2**200)]
NOT_INTS: List[Any] = ["5", 5.0, 2.5, b"5", [5], {"k": 5}, object(), True, 1j, np.float32(3.0)]
NOT_STRS: List[Any] = [5, 2**63, 2.5, b"name", ["a"], {"a": 1}, object(), True, np.int64(3)]
NOT_FLOATS: List[Any] = ["0.5", b"1", [0.5], {"w": 1}, object(), 1j]

bad_count = st.sampled_from(HUGE_INTS + NOT_INTS + [-1, -(2**62)])  # k, limit, dim, …
bad_k = st.sampled_from(HUGE_INTS + NOT_INTS + [-1, 0, 10**7])
bad_name = st.sampled_from(NOT_STRS + ["", "a/b", "..", "x" * 300, "sp ace", "nul\0"])
bad_str = st.sampled_from(NOT_STRS)
bad_float = st.sampled_from(NOT_FLOATS + [float("nan"), float("inf")])
bad_vector = st.sampled_from(
    [
        "vector",
        {"a": 1},
        [1.0] * (DIM - 1),
        [1.0] * (DIM + 1),
        [float("nan")] * DIM,
        [float("inf")] + [1.0] * (DIM - 1),
        ["x"] * DIM,
        [[1.0] * DIM, [1.0] * 3],
        np.ones((2, 2, DIM), np.float32),
        np.ones(DIM + 3, np.float64),
        np.array(["a"] * DIM),
        np.array([object()] * DIM, dtype=object),
        5,
        object(),
        [1e300] * DIM,  # beyond float32
    ]
)
bad_vectors = st.sampled_from(
    ["vectors", 5, {"a": 1}, np.ones((1, DIM + 1), np.float32), np.ones((1, 1, DIM)), [[1.0] * DIM, "x"],
     np.full((1, DIM), np.nan, np.float32), [[object()] * DIM], np.ones((2, DIM), np.float32)]
)


def _deep(levels: int) -> Dict[str, Any]:
    d: Any = {"n": 1}
    for _ in range(levels):
        d = {"$not": d}
    return d


def _cyclic() -> Dict[str, Any]:
    d: Dict[str, Any] = {"n": 1}
    d["$and"] = [d]
    return d


bad_where = st.sampled_from(
    [
        5,
        2.5,
        ["n", 1],
        b"n = 1",
        object(),
        {"n": {"$bogus": 1}},
        {"$and": 5},
        {"$or": "x"},
        {"n": {"$in": 5}},
        {"n": {"$gt": object()}},
        {1: 2},
        {"n": set()},
        "n = = 1",
        "no_such_function(id)",
        _deep(500),
        _cyclic(),
    ]
)
bad_metadata = st.sampled_from(
    [
        {"id": 1},
        {"vector": "x"},
        {"a b": 1},
        {"1a": 1},
        {"k" * 65: 1},
        {5: 1},
        {"m": object()},
        {"m": {1, 2}},
        {"m": b"bytes"},
        {"m": 1j},
        {"m": {"nested": 1}},
        {"m": [1, 2]},
        {"m": 2**64},
        {"m": float("nan")},
        {"m": dt.date(2024, 1, 1)},
        {"m": _deep(500)},
        "not a dict",
        5,
        [("k", 1)],
    ]
)
bad_state_value = st.sampled_from(
    [object(), {1, 2}, b"bytes", 2**64, -(2**63) - 1, float("nan"), float("inf"), {1: "x"}, dt.datetime(2024, 1, 1),
     [object()], {"a": {"b": [float("-inf")]}}, _deep(500), _cyclic(), 1j]
)
bad_ttl = st.sampled_from([0, -1, "1", float("nan"), float("inf"), True, [1], 1e300, dt.timedelta(0), object()])
bad_ids = st.sampled_from([5, [5], [None], ["a", 5], [b"a"], object(), [["a"]], [1.5]])
bad_documents = st.sampled_from([5, [5], ["one", "two"], [b"doc"], object(), "doc", [["doc"]]])
bad_flag = st.sampled_from(["yes", 1, 0, 2.5, [True], None, object()])
#: A flag whose None means "the engine's default" (recall's touch).
bad_opt_flag = st.sampled_from(["yes", 1, 0, 2.5, [True], object()])


# -- the store under test ----------------------------------------------------------------------


class Env:
    """A database with a seeded collection, memory store, RAG and agent state."""

    def __init__(self, db: agentdb.Database) -> None:
        self.db = db
        rng = np.random.default_rng(7)
        self.vecs = rng.standard_normal((5, DIM)).astype(np.float32)
        self.q = self.vecs[0]
        self.c = db.create_collection("docs", dim=DIM, metric="cosine")
        self.c.add([f"r{i}" for i in range(5)], self.vecs, documents=[f"doc {i}" for i in range(5)],
                   metadata=[{"n": i, "lang": "en" if i % 2 else "fr"} for i in range(5)])
        self.m = db.memory("mem", embedder=HashingEmbedder(DIM))
        self.mid = self.m.remember("the cat sat on the mat", agent_id="ag", metadata={"n": 1})
        self.m.remember("dogs bark at night", agent_id="ag", session_id="s1")
        self.r = db.rag("kb", embedder=HashingEmbedder(DIM))
        self.r.ingest("Cats purr. Dogs bark. Birds sing.", id="d1", metadata={"topic": "pets"})
        self.s = db.state
        self.s.put("ag", "s1", "plan", {"step": 1, "score": 0.1})
        self.s.put_checkpoint("t", "c1", b"payload", metadata={"step": 1})

    def everything(self) -> Tuple[Any, ...]:
        """All committed data, as comparable values."""
        mems = self.m.get([self.mid])
        return (
            snapshot(self.c),
            self.c.metadata_schema,
            sorted(self.db.list_collections()),
            self.m.count(),
            [(r.id, r.text, r.importance, r.metadata, r.access_count, np.asarray(r.vector).tobytes()) for r in mems],
            self.r.count(),
            self.r.documents(),
            self.s.snapshot("ag", "s1"),
            [(v.version, v.value) for v in self.s.history("ag", "s1", "plan")],
            [(c.checkpoint_id, c.metadata, c.checkpoint) for c in self.s.list_checkpoints()],
        )


# Each call: (name, strategy of the bad argument, call(env, bad)).
CALLS: List[Tuple[str, st.SearchStrategy[Any], Callable[[Env, Any], Any]]] = [
    # collections
    ("search k", bad_k, lambda e, b: e.c.search(e.q, k=b)),
    ("search_batch k", bad_k, lambda e, b: e.c.search(np.stack([e.q, e.q]), k=b)),
    ("search ef", bad_k, lambda e, b: e.c.search(e.q, k=2, ef=b)),
    ("search threads", bad_count, lambda e, b: e.c.search(e.q, k=2, exact=True, threads=b)),
    ("search exact", bad_opt_flag, lambda e, b: e.c.search(e.q, k=2, exact=b)),
    ("search ids_only", bad_flag, lambda e, b: e.c.search(e.q, k=2, ids_only=b)),
    ("search query", bad_vector, lambda e, b: e.c.search(b, k=2)),
    ("search where", bad_where, lambda e, b: e.c.search(e.q, k=2, where=b)),
    ("get limit", bad_count, lambda e, b: e.c.get(limit=b)),
    ("get offset", bad_count, lambda e, b: e.c.get(offset=b)),
    ("get ids", bad_ids, lambda e, b: e.c.get(ids=b)),
    ("get where", bad_where, lambda e, b: e.c.get(where=b)),
    ("count where", bad_where, lambda e, b: e.c.count(where=b)),
    ("delete where", bad_where, lambda e, b: e.c.delete(where=b)),
    ("delete ids+where", bad_where, lambda e, b: e.c.delete(["r1"], where=b)),
    ("delete ids", bad_ids, lambda e, b: e.c.delete(b)),
    ("add vectors", bad_vectors, lambda e, b: e.c.add(["new1"], b)),
    ("add one vector", bad_vector, lambda e, b: e.c.add("new", b)),
    ("add metadata", bad_metadata, lambda e, b: e.c.add(["new"], e.vecs[:1], metadata=[b])),
    ("upsert metadata", bad_metadata, lambda e, b: e.c.upsert(["r0", "new"], e.vecs[:2], metadata=[{"n": 9}, b])),
    ("add ids", bad_ids, lambda e, b: e.c.add(b, e.vecs[:1])),
    ("add duplicate", st.sampled_from([None]), lambda e, b: e.c.add(["r0"], e.vecs[:1])),
    ("add documents", bad_documents, lambda e, b: e.c.add(["new"], e.vecs[:1], documents=b)),
    ("create_index kind", st.sampled_from(NOT_STRS + ["bogus"]), lambda e, b: e.c.create_index(b)),
    ("create_index m", bad_count, lambda e, b: e.c.create_index("hnsw", m=b)),
    ("create_index quantization", st.sampled_from(NOT_STRS + ["int4"]), lambda e, b: e.c.create_index("hnsw", quantization=b)),
    ("create_collection name", bad_name, lambda e, b: e.db.create_collection(b, dim=4)),
    ("create_collection dim", st.sampled_from(HUGE_INTS + NOT_INTS + [-1, 0, 10**9]), lambda e, b: e.db.create_collection("x", dim=b)),
    ("create_collection metric", st.sampled_from(NOT_STRS + ["manhattan"]), lambda e, b: e.db.create_collection("x", 4, metric=b)),
    ("get_collection", bad_name, lambda e, b: e.db.get_collection(b)),
    ("drop_collection", bad_name, lambda e, b: e.db.drop_collection(b)),
    # memory
    ("recall k", bad_k, lambda e, b: e.m.recall("cat", k=b, agent_id="ag")),
    ("recall query", st.sampled_from([5, object(), {"a": 1}, [1.0] * (DIM + 1), ["x"] * DIM, b"cat"]), lambda e, b: e.m.recall(b)),
    ("recall agent", bad_str, lambda e, b: e.m.recall("cat", agent_id=b)),
    ("recall where", bad_where, lambda e, b: e.m.recall("cat", where=b)),
    ("recall candidates", bad_count, lambda e, b: e.m.recall("cat", candidates=b)),
    ("recall kinds", st.sampled_from([5, ["bogus"], [5], "bogus", object()]), lambda e, b: e.m.recall("cat", kinds=b)),
    ("recall since", st.sampled_from(["2024-01-01", 5, object()]), lambda e, b: e.m.recall("cat", since=b)),
    ("recall touch", bad_opt_flag, lambda e, b: e.m.recall("cat", touch=b)),
    ("remember agent", bad_str, lambda e, b: e.m.remember("new memory", agent_id=b)),
    ("remember kind", st.sampled_from(NOT_STRS + ["bogus"]), lambda e, b: e.m.remember("new memory", agent_id="ag", kind=b)),
    ("remember importance", st.sampled_from(NOT_FLOATS + [2.0, -0.5, float("nan"), True]), lambda e, b: e.m.remember("new", agent_id="ag", importance=b)),
    ("remember metadata", bad_metadata, lambda e, b: e.m.remember("new memory", agent_id="ag", metadata=b)),
    ("remember vector", bad_vector, lambda e, b: e.m.remember(None, agent_id="ag", vector=b)),
    ("remember text", st.sampled_from([5, b"x", ["x"], object()]), lambda e, b: e.m.remember(b, agent_id="ag")),
    ("remember_many", st.sampled_from([5, [5], ["x"], [{"bogus": 1}], object()]), lambda e, b: e.m.remember_many(b, agent_id="ag")),
    ("update importance", st.sampled_from(NOT_FLOATS + [2.0, float("nan")]), lambda e, b: e.m.update(e.mid, importance=b)),
    ("update metadata", bad_metadata, lambda e, b: e.m.update(e.mid, metadata=b)),
    ("update id", bad_str, lambda e, b: e.m.update(b, importance=0.9)),
    ("forget where", bad_where, lambda e, b: e.m.forget(where=b)),
    ("forget ids", bad_ids, lambda e, b: e.m.forget(b)),
    ("memory count", bad_str, lambda e, b: e.m.count(agent_id=b)),
    ("consolidate capacity", bad_count, lambda e, b: e.m.consolidate(capacity=b)),
    ("start_background every", st.sampled_from(["1", object(), 0, -1.0, float("nan"), [1]]), lambda e, b: e.m.start_background(b)),
    ("memory name", bad_name, lambda e, b: e.db.memory(b, embedder=HashingEmbedder(DIM))),
    # RAG
    ("rag search k", bad_k, lambda e, b: e.r.search("cats", k=b)),
    ("rag search mode", st.sampled_from(NOT_STRS + ["bogus"]), lambda e, b: e.r.search("cats", mode=b)),
    ("rag search query", st.sampled_from([5, None, b"cats", ["cats"], object()]), lambda e, b: e.r.search(b)),
    ("rag search where", bad_where, lambda e, b: e.r.search("cats", where=b)),
    ("rag search weight", bad_float, lambda e, b: e.r.search("cats", vector_weight=b)),
    ("rag search mmr", st.sampled_from(NOT_FLOATS + [2.0, -1.0, float("nan")]), lambda e, b: e.r.search("cats", mmr=b)),
    ("rag search candidates", bad_count, lambda e, b: e.r.search("cats", candidates=b)),
    ("rag search query_vector", bad_vector, lambda e, b: e.r.search("cats", query_vector=b)),
    ("rag context max_tokens", bad_count, lambda e, b: e.r.context("cats", max_tokens=b)),
    ("rag context mode", st.sampled_from(NOT_STRS + ["bogus"]), lambda e, b: e.r.context("cats", mode=b)),
    ("rag ingest text", st.sampled_from([5, None, b"x", ["x"], object()]), lambda e, b: e.r.ingest(b, id="d2")),
    ("rag ingest metadata", bad_metadata, lambda e, b: e.r.ingest("Fish swim.", id="d2", metadata=b)),
    ("rag ingest reserved key", st.sampled_from([{"doc_id": "x"}, {"source": "y"}, {"position": 1}]), lambda e, b: e.r.ingest("Fish swim.", id="d2", metadata=b)),
    ("rag ingest id", st.sampled_from(NOT_STRS), lambda e, b: e.r.ingest("Fish swim.", id=b)),
    ("rag ingest format", st.sampled_from(NOT_STRS + ["docx"]), lambda e, b: e.r.ingest("Fish swim.", id="d2", format=b)),
    ("rag ingest_documents batch", st.sampled_from(["2", 0, -1, 2.5, None, object()]), lambda e, b: e.r.ingest_documents([("d2", "Fish.")], batch_size=b)),
    ("rag ingest_documents doc", st.sampled_from([5, ("d2",), {"id": "d2"}, [("d2", 5)], object()]), lambda e, b: e.r.ingest_documents(b if isinstance(b, list) else [b])),
    ("rag delete", st.sampled_from([5, [5], [None], object()]), lambda e, b: e.r.delete(b)),
    ("rag count where", bad_where, lambda e, b: e.r.count(where=b)),
    ("rag name", bad_name, lambda e, b: e.db.rag(b, embedder=HashingEmbedder(DIM))),
    # state
    ("state put value", bad_state_value, lambda e, b: e.s.put("ag", "s1", "plan", b)),
    ("state put agent", st.sampled_from(NOT_STRS + ["", "x" * 5000]), lambda e, b: e.s.put(b, "s1", "plan", 1)),
    ("state put session", bad_str, lambda e, b: e.s.put("ag", b, "plan", 1)),
    ("state put key", bad_str, lambda e, b: e.s.put("ag", "s1", b, 1)),
    ("state put ttl", bad_ttl, lambda e, b: e.s.put("ag", "s1", "plan", 1, ttl=b)),
    ("state put_many", st.sampled_from([5, [("k", 1)], "k", {1: 2}, {"k": object()}, {"plan": 2, "x": {1, 2}}]), lambda e, b: e.s.put_many("ag", "s1", b)),
    ("state get version", st.sampled_from(HUGE_INTS + NOT_INTS + [0, -1]), lambda e, b: e.s.get("ag", "s1", "plan", version=b)),
    ("state get at", st.sampled_from(["2024-01-01", 5, dt.date(2024, 1, 1), object()]), lambda e, b: e.s.get("ag", "s1", "plan", at=b)),
    ("state history limit", bad_count, lambda e, b: e.s.history("ag", "s1", "plan", limit=b)),
    ("state history offset", bad_count, lambda e, b: e.s.history("ag", "s1", "plan", offset=b)),
    ("state delete", bad_str, lambda e, b: e.s.delete("ag", "s1", b)),
    ("state purge", bad_str, lambda e, b: e.s.purge(b)),
    ("state session ttl", bad_ttl, lambda e, b: e.s.set_session_ttl("ag", "s1", b)),
    ("checkpoint payload", st.sampled_from(["text", 5, [1], object()]), lambda e, b: e.s.put_checkpoint("t", "c2", b)),
    ("checkpoint metadata", st.sampled_from([5, "x", [1], {"a": object()}, {1: 2}, _cyclic()]), lambda e, b: e.s.put_checkpoint("t", "c2", b"x", metadata=b)),
    ("checkpoint ids", bad_str, lambda e, b: e.s.put_checkpoint(b, "c2", b"x")),
    ("list_checkpoints limit", bad_count, lambda e, b: e.s.list_checkpoints(limit=b)),
    ("put_writes", st.sampled_from([5, [5], [(1, "ch", "t")], [("x", "ch", "t", b"v")], [(2**63, "ch", "t", b"v")], [(1, "ch", "t", "str")]]),
     lambda e, b: e.s.put_writes("t", "", "c1", "task", b)),
]


@pytest.fixture
def env(db: agentdb.Database) -> Iterator[Env]:
    yield Env(db)


def check_error(e: BaseException) -> None:
    """An agentdb error: a ValueError always, and a TypeError when it is about the type."""
    assert isinstance(e, AgentDBError), f"{type(e).__name__} is not an AgentDBError: {e}"
    assert not isinstance(e, (OverflowError, AttributeError)), type(e)
    if isinstance(e, InvalidArgumentError):
        assert isinstance(e, ValueError)
    if isinstance(e, InvalidArgumentTypeError):
        assert isinstance(e, TypeError) and isinstance(e, ValueError)


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_bad_arguments_raise_typed_errors_and_change_nothing(env: Env, data: st.DataObject) -> None:
    before = env.everything()
    name, strategy, call = data.draw(st.sampled_from(CALLS), label="call")
    bad = data.draw(strategy, label="bad argument")
    try:
        call(env, bad)
    except BaseException as e:  # noqa: BLE001 - the point is to classify it
        check_error(e)
    else:
        raise AssertionError(f"{name} accepted the bad argument {bad!r}")
    assert env.everything() == before, name


def test_every_call_is_exercised(env: Env) -> None:
    """Each call with each of its bad values once (the random test samples them)."""
    before = env.everything()
    failures: List[str] = []
    for name, strategy, call in CALLS:
        for bad in strategy.elements:  # type: ignore[attr-defined]
            try:
                call(env, bad)
            except BaseException as e:  # noqa: BLE001
                try:
                    check_error(e)
                except AssertionError as why:
                    failures.append(f"{name} with {bad!r}: {why}")
            else:
                failures.append(f"{name} accepted {bad!r}")
    assert not failures, "\n".join(failures)
    assert env.everything() == before


def test_issue_22_item_7_regressions(env: Env) -> None:
    """The reported cases: ints ≥ 2**63 for k, limit and dim raised OverflowError, a non-string
    rag.search(mode=…) AttributeError (``mode=None`` is the engine's default mode since issue 13)."""
    for big in (2**63, 2**64, 10**30):
        for call in (
            lambda: env.c.search(env.q, k=big),
            lambda: env.c.get(limit=big),
            lambda: env.db.create_collection("big", dim=big),
            lambda: env.m.recall("cat", k=big),
            lambda: env.r.search("cats", k=big),
            lambda: env.s.history("ag", "s1", "plan", limit=big),
        ):
            with pytest.raises(InvalidArgumentError, match="out of range") as info:
                call()
            assert not isinstance(info.value, (OverflowError, InvalidArgumentTypeError))
    for mode in (3, ["text"]):
        with pytest.raises(InvalidArgumentTypeError, match="mode") as info:
            env.r.search("cats", mode=mode)
        assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    with pytest.raises(InvalidArgumentTypeError) as info:
        env.c.search(env.q, k="5")
    assert isinstance(info.value, TypeError)
    notes = getattr(info.value, "__notes__", [])
    assert any("'k'" in n for n in notes), notes  # PyO3 names the argument
    assert "docs" in env.db.list_collections() and "big" not in env.db.list_collections()
