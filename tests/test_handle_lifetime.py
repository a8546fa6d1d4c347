"""Handle lifetimes: every handle a database hands out (collection, memory store, agent state, RAG,
and the framework stores built on them) keeps that database open, so
``agentdb.connect(p).memory("m")`` is a usable store. The database closes when the last handle
goes: its lock is released and what was written is there for the next writer. ``db.close()``
still closes everything at once, after which every handle raises ``ClosedError`` and no new one
can be made.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any, Callable, Dict

import numpy as np
import pytest

import agentdb
from agentdb.embed import HashingEmbedder
from agentdb.errors import ClosedError, DatabaseLockedError

DIM = 8


def vec(i: int) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[i % DIM] = 1.0
    return v


def assert_locked(path: Path) -> None:
    """The database is still open for writing somewhere in this process."""
    with pytest.raises(DatabaseLockedError):
        agentdb.connect(path)


def collect() -> None:
    # Twice: a cycle freed by the first pass may hold the last reference to something else.
    gc.collect()
    gc.collect()


# Each maker opens a handle of one kind from a database whose only reference is the expression.
# Each user writes through the handle (returning what to look for after a reopen) and reads back.

MAKERS: Dict[str, Callable[[Path], Any]] = {
    "collection": lambda p: agentdb.connect(p).get_or_create_collection("docs", dim=DIM),
    "memory": lambda p: agentdb.connect(p).memory("m", dim=DIM),
    "state": lambda p: agentdb.connect(p).state,
    "rag": lambda p: agentdb.connect(p).rag("r", embedder=HashingEmbedder(DIM)),
}


def write(kind: str, h: Any, n: int) -> None:
    if kind == "collection":
        h.upsert(ids=[f"id{n}"], vectors=vec(n)[None, :], documents=[f"doc {n}"])
    elif kind == "memory":
        h.remember(f"memory {n}", agent_id="a", vector=vec(n))
    elif kind == "state":
        h.put("a", "s", f"k{n}", {"n": n})
    else:
        h.ingest(f"paragraph number {n} about refunds", id=f"doc{n}")


def count(kind: str, db: agentdb.Database) -> int:
    if kind == "collection":
        return db.get_collection("docs").count()
    if kind == "memory":
        return db.memory("m").count()
    if kind == "state":
        return len(db.state.keys("a", "s"))
    return len(db.rag("r", embedder=HashingEmbedder(DIM)).documents())


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_a_handle_keeps_its_database_open(kind: str, db_path: Path) -> None:
    h = MAKERS[kind](db_path)
    collect()
    write(kind, h, 1)
    write(kind, h, 2)
    assert_locked(db_path)
    del h
    collect()
    # The last handle went: the database closed (lock released), and the writes are durable.
    with agentdb.connect(db_path) as db:
        assert count(kind, db) == 2


def test_several_handles_keep_it_open_until_the_last_goes(db_path: Path) -> None:
    db = agentdb.connect(db_path)
    handles = {kind: make_from(db, kind) for kind in MAKERS}
    del db
    collect()
    for i, kind in enumerate(sorted(handles)):
        write(kind, handles[kind], i)
    for kind in sorted(handles):
        assert_locked(db_path)
        del handles[kind]
        collect()
    with agentdb.connect(db_path) as db:
        assert [count(k, db) for k in sorted(MAKERS)] == [1, 1, 1, 1]


def make_from(db: agentdb.Database, kind: str) -> Any:
    if kind == "collection":
        return db.get_or_create_collection("docs", dim=DIM)
    if kind == "memory":
        return db.memory("m", dim=DIM)
    if kind == "state":
        return db.state
    return db.rag("r", embedder=HashingEmbedder(DIM))


def test_explicit_close_closes_every_handle(db_path: Path) -> None:
    db = agentdb.connect(db_path)
    handles = {kind: make_from(db, kind) for kind in MAKERS}
    for i, kind in enumerate(sorted(handles)):
        write(kind, handles[kind], i)
    db.close()
    for kind, h in handles.items():
        with pytest.raises(ClosedError):
            write(kind, h, 9)
    with pytest.raises(ClosedError, match="closed"):
        handles["memory"].count()
    with pytest.raises(ClosedError):
        handles["state"].get("a", "s", "k0")
    with pytest.raises(ClosedError):
        handles["rag"].search("refunds")
    # No new handle from a closed database: the error comes at creation, not at first use.
    for kind in MAKERS:
        with pytest.raises(ClosedError):
            make_from(db, kind)
    # Closed for real while the handles still exist: a new writer opens it and finds it all.
    with agentdb.connect(db_path) as again:
        assert [count(k, again) for k in sorted(MAKERS)] == [1, 1, 1, 1]
    with pytest.raises(ClosedError):
        handles["collection"].count()


def test_background_threads_do_not_keep_the_database_open(db_path: Path) -> None:
    mem = agentdb.connect(db_path).memory("m", dim=DIM)
    mem.remember("x", agent_id="a", vector=vec(0))
    mem.start_background(0.01)
    time.sleep(0.05)
    assert mem.background_running
    assert_locked(db_path)
    del mem
    collect()
    with agentdb.connect(db_path) as db:
        assert db.memory("m").count() == 1
    st = agentdb.connect(db_path).state
    st.put("a", "s", "k", 1, ttl=3600)  # starts the state's TTL sweeper
    del st
    collect()
    with agentdb.connect(db_path) as db:
        assert db.state.get("a", "s", "k") == 1


def test_remember_defaults_come_from_the_engine(db_path: Path) -> None:
    with agentdb.connect(db_path) as db:
        mem = db.memory("m", dim=DIM)
        a = mem.remember("a", agent_id="x", vector=vec(0))
        b, c = mem.remember_many([{"text": "b", "vector": vec(1)}, {"text": "c", "vector": vec(2), "importance": 0.9}],
                                 agent_id="x", kind="semantic")
        got = {r.id: r for r in mem.get([a, b, c])}
        assert (got[a].kind, got[a].importance) == ("episodic", 0.5)
        assert (got[b].kind, got[b].importance) == ("semantic", 0.5)
        assert (got[c].kind, got[c].importance) == ("semantic", 0.9)


# -- the framework stores ------------------------------------------------------------------------


def test_langchain_store_over_a_dropped_database(db_path: Path) -> None:
    pytest.importorskip("langchain_core")
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from agentdb.integrations.langchain import AgentDBVectorStore

    emb = DeterministicFakeEmbedding(size=DIM)
    store = AgentDBVectorStore(emb, db=agentdb.connect(db_path), collection_name="lc")
    collect()
    store.add_texts(["alpha", "beta"], ids=["a", "b"])
    assert [d.page_content for d in store.similarity_search("alpha", k=1)] == ["alpha"]
    assert_locked(db_path)
    del store
    collect()
    # Owned (path=) and dropped without close(): closed too.
    store = AgentDBVectorStore(emb, path=db_path, collection_name="lc")
    assert len(store.get_by_ids(["a", "b"])) == 2
    del store
    collect()
    with agentdb.connect(db_path) as db:
        assert db.get_collection("lc").count() == 2


def test_llamaindex_store_over_a_dropped_database(db_path: Path) -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core.schema import TextNode

    from agentdb.integrations.llamaindex import AgentDBVectorStore

    store = AgentDBVectorStore(db=agentdb.connect(db_path), collection_name="li")
    collect()
    store.add([TextNode(id_="n1", text="alpha", embedding=list(vec(0).astype(float)))])
    assert_locked(db_path)
    del store
    collect()
    with agentdb.connect(db_path) as db:
        assert db.get_collection("li").count() == 1


def test_langgraph_saver_and_store_over_a_dropped_database(db_path: Path) -> None:
    pytest.importorskip("langgraph")
    from langgraph.checkpoint.base import empty_checkpoint

    from agentdb.integrations.langgraph import AgentDBSaver, AgentDBStore

    cfg: Dict[str, Any] = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    for make in (lambda: AgentDBSaver(agentdb.connect(db_path)), lambda: AgentDBSaver(agentdb.connect(db_path).state)):
        saver = make()
        collect()
        saver.put(cfg, empty_checkpoint(), {"source": "input", "step": -1}, {})
        assert saver.get_tuple(cfg) is not None
        assert_locked(db_path)
        del saver
        collect()
    store = AgentDBStore(agentdb.connect(db_path))
    collect()
    store.put(("ns",), "k", {"v": 1})
    assert store.get(("ns",), "k").value == {"v": 1}
    assert_locked(db_path)
    del store
    collect()
    # from_path stores dropped without close() release the database too.
    store = AgentDBStore.from_path(db_path)
    assert store.get(("ns",), "k").value == {"v": 1}
    del store
    collect()
    with agentdb.connect(db_path) as db:
        assert len(list(AgentDBSaver(db).list(None))) == 2
