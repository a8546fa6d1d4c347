"""Issue 22 item 1: deeply nested or self-referential values never crash the process.

Metadata nested 100,000 levels deep, or a dict that contains itself, given to a collection write,
a memory, a RAG ingest, a dict ``where`` filter, agent state or checkpoint metadata, is rejected
with ``InvalidArgumentError`` (the one limit, ``agentdb.MAX_VALUE_DEPTH``, checked before anything
recurses into the value), and nothing already stored changes. Before the fix each of these
overflowed the stack (SIGSEGV)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List

import numpy as np
import pytest
from _helpers import raises_exactly, snapshot

import agentdb
from agentdb.embed import HashingEmbedder
from agentdb.errors import InvalidArgumentError, InvalidFilterError, InvalidMetadataError

DEEP = 100_000


def nested_dicts(levels: int, leaf: Any = 1) -> Dict[str, Any]:
    """``{"a": {"a": … leaf}}`` with ``levels`` dicts (built without recursion)."""
    d: Any = leaf
    for _ in range(levels):
        d = {"a": d}
    return d


def nested_lists(levels: int, leaf: Any = 1) -> List[Any]:
    v: Any = leaf
    for _ in range(levels):
        v = [v]
    return v


def nested_tuples(levels: int, leaf: Any = 1) -> Any:
    v: Any = leaf
    for _ in range(levels):
        v = (v,)
    return v


def self_dict() -> Dict[str, Any]:
    d: Dict[str, Any] = {"x": 1}
    d["me"] = d
    return d


def self_list() -> List[Any]:
    v: List[Any] = [1]
    v.append(v)
    return v


def indirect_cycle() -> Dict[str, Any]:
    a: Dict[str, Any] = {}
    b = {"a": [a]}
    a["b"] = b
    return a


BAD_VALUES: Dict[str, Callable[[], Any]] = {
    "dicts_100k_deep": lambda: nested_dicts(DEEP),
    "lists_100k_deep": lambda: nested_lists(DEEP),
    "tuples_100k_deep": lambda: nested_tuples(DEEP),
    "self_dict": self_dict,
    "self_list": self_list,
    "indirect_cycle": indirect_cycle,
}
MATCH = r"nested more than 100 levels|contains itself"


def assert_deep_error(call: Callable[[], Any]) -> None:
    """``call`` raises exactly ``InvalidArgumentError`` about depth or a cycle."""
    with raises_exactly(InvalidArgumentError, match=MATCH):
        call()


def test_the_limit_is_documented_and_exported() -> None:
    assert agentdb.MAX_VALUE_DEPTH == agentdb._native.MAX_VALUE_DEPTH == 100
    assert "MAX_VALUE_DEPTH" in agentdb.errors.__doc__


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_collection_metadata(coll: agentdb.Collection, name: str) -> None:
    coll.add(["a"], np.ones((1, 4), np.float32), metadata=[{"n": 1}])
    before = snapshot(coll)
    bad = BAD_VALUES[name]()
    v = np.ones((1, 4), np.float32)
    assert_deep_error(lambda: coll.add(["b"], v, metadata=[{"m": bad}]))
    assert_deep_error(lambda: coll.upsert(["a"], v, metadata=[{"m": bad}]))
    # The record's dict is the first level: a dict that holds itself at the top.
    if name == "self_dict":
        assert_deep_error(lambda: coll.add(["b"], v, metadata=[bad]))
    assert snapshot(coll) == before


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_dict_filters(coll: agentdb.Collection, name: str) -> None:
    coll.add(["a", "b"], np.eye(2, 4, dtype=np.float32), metadata=[{"n": 1}, {"n": 2}])
    before = snapshot(coll)
    bad = BAD_VALUES[name]()
    where = bad if isinstance(bad, dict) else {"n": {"$in": bad}}
    q = np.ones(4, np.float32)
    for call in (
        lambda: coll.count(where=where),
        lambda: coll.get(where=where),
        lambda: coll.search(q, k=2, where=where),
        lambda: coll.search(np.stack([q, q]), k=2, where=where),
        lambda: coll.delete(where=where),
        lambda: coll.delete(["a"], where=where),
    ):
        assert_deep_error(call)
    assert snapshot(coll) == before


def test_deep_not_filter(coll: agentdb.Collection) -> None:
    """The shape issue 11 used for exponential time, nested far beyond the limit."""
    coll.add(["a"], np.ones((1, 4), np.float32), metadata=[{"n": 1}])
    where: Any = {"n": 1}
    for _ in range(DEEP):
        where = {"$not": where}
    assert_deep_error(lambda: coll.count(where=where))
    and_chain: Any = {"n": 1}
    for _ in range(DEEP):
        and_chain = {"$and": [and_chain]}
    assert_deep_error(lambda: coll.count(where=and_chain))
    assert coll.count() == 1


def test_values_within_the_limit_are_judged_as_values(coll: agentdb.Collection) -> None:
    """Below the limit, a nested metadata value is the usual InvalidMetadataError (the limit
    changes nothing for ordinary input)."""
    v = np.ones((1, 4), np.float32)
    with raises_exactly(InvalidMetadataError):
        coll.add(["b"], v, metadata=[{"m": nested_dicts(3)}])
    with raises_exactly(InvalidFilterError):
        coll.count(where={"n": {"$bogus": 1}})
    assert coll.count() == 0


def test_numpy_values_that_contain_themselves(coll: agentdb.Collection) -> None:
    v = np.ones((1, 4), np.float32)
    arr = np.empty((), dtype=object)
    arr[()] = arr  # tolist() returns the array itself
    assert_deep_error(lambda: coll.add(["b"], v, metadata=[{"m": arr}]))
    # np.longdouble.item() is a np.longdouble again: read as a float, not recursed into.
    coll.add(["c"], v, metadata=[{"f": np.longdouble(1.5)}])
    assert coll.get(["c"]).metadata == [{"f": 1.5}]


@pytest.fixture
def memory(db: agentdb.Database) -> agentdb.Memory:
    return db.memory("mem", embedder=HashingEmbedder(16))


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_memory(memory: agentdb.Memory, name: str) -> None:
    mid = memory.remember("the cat sat", agent_id="a", metadata={"n": 1})
    before = memory.get([mid])
    bad = BAD_VALUES[name]()
    assert_deep_error(lambda: memory.remember("deep", agent_id="a", metadata={"m": bad}))
    assert_deep_error(lambda: memory.update(mid, metadata={"m": bad}))
    where = bad if isinstance(bad, dict) else {"n": {"$in": bad}}
    assert_deep_error(lambda: memory.recall("cat", agent_id="a", where=where))
    assert_deep_error(lambda: memory.count(where=where))
    assert_deep_error(lambda: memory.forget(where=where))
    assert memory.count() == 1
    after = memory.get([mid])
    assert [(r.id, r.text, r.metadata) for r in after] == [(r.id, r.text, r.metadata) for r in before]


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_rag(db: agentdb.Database, name: str) -> None:
    rag = db.rag("kb", embedder=HashingEmbedder(16))
    rag.ingest("cats purr and dogs bark", id="d1", metadata={"topic": "pets"})
    before = (rag.count(), rag.documents())
    bad = BAD_VALUES[name]()
    assert_deep_error(lambda: rag.ingest("deep text", id="d2", metadata={"m": bad}))
    assert_deep_error(lambda: rag.ingest("deep text", id="d2", metadata=bad if isinstance(bad, dict) else {"m": bad}))
    where = bad if isinstance(bad, dict) else {"topic": {"$in": bad}}
    assert_deep_error(lambda: rag.search("cats", where=where))
    assert_deep_error(lambda: rag.count(where=where))
    assert (rag.count(), rag.documents()) == before


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_state_and_checkpoints(db: agentdb.Database, name: str) -> None:
    st = db.state
    st.put("a", "s", "k", {"v": 1})
    bad = BAD_VALUES[name]()
    assert_deep_error(lambda: st.put("a", "s", "k", bad))
    assert_deep_error(lambda: st.put_many("a", "s", {"k": bad, "j": 1}))
    assert_deep_error(lambda: st.put_checkpoint("t", "1", b"x", metadata={"m": bad}))
    assert_deep_error(lambda: st.list_checkpoints(metadata={"m": bad}))
    assert st.get("a", "s", "k") == {"v": 1}
    assert st.keys("a", "s") == ["k"]
    assert st.get_checkpoint("t") is None


def test_state_depth_boundary(db: agentdb.Database) -> None:
    """Exactly MAX_VALUE_DEPTH levels are stored and read back; one more is rejected. The same
    count for lists, tuples and dicts."""
    st = db.state
    limit = agentdb.MAX_VALUE_DEPTH
    st.put("a", "s", "lists", nested_lists(limit))
    st.put("a", "s", "dicts", nested_dicts(limit))
    assert st.get("a", "s", "lists") == nested_lists(limit)
    assert st.get("a", "s", "dicts") == nested_dicts(limit)
    for too_deep in (nested_lists(limit + 1), nested_dicts(limit + 1), nested_lists(limit, leaf=[])):
        assert_deep_error(lambda: st.put("a", "s", "x", too_deep))
    db.flush()
    assert st.get("a", "s", "lists") == nested_lists(limit)
    # A value that repeats a container without containing itself is not a cycle.
    shared = [1, 2]
    st.put("a", "s", "shared", {"x": shared, "y": shared, "z": [shared, shared]})
    assert st.get("a", "s", "shared") == {"x": [1, 2], "y": [1, 2], "z": [[1, 2], [1, 2]]}
