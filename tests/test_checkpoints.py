"""Checkpoints from Python (``db.state``): put/get/latest, branching from an earlier checkpoint,
listing with filters, pending writes with LangGraph's rules, delete_thread, persistence and bad
input. The shapes are what a LangGraph checkpointer needs (see ``BaseCheckpointSaver``)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import agentdb
from agentdb.errors import InvalidArgumentError

# LangGraph's special write indexes (langgraph.checkpoint.base.WRITES_IDX_MAP).
ERROR, INTERRUPT = -1, -3


@pytest.fixture
def st(db: agentdb.Database) -> agentdb.State:
    return db.state


def ids(cps: list) -> list:
    return [c.checkpoint_id for c in cps]


def test_put_get_latest_and_branch(st: agentdb.State) -> None:
    assert st.get_checkpoint("t1") is None
    st.put_checkpoint("t1", "0001", b"root", metadata={"source": "input", "step": -1}, type="msgpack")
    st.put_checkpoint("t1", "0002", b"a", parent_id="0001", metadata={"source": "loop", "step": 0}, type="msgpack")
    st.put_checkpoint("t1", "0003", b"b", parent_id="0002", metadata={"source": "loop", "step": 1}, type="msgpack")

    latest = st.get_checkpoint("t1")
    assert latest is not None
    assert (latest.checkpoint_id, latest.parent_id, latest.checkpoint, latest.type) == ("0003", "0002", b"b", "msgpack")
    assert latest.metadata == {"source": "loop", "step": 1}
    assert (latest.thread_id, latest.namespace) == ("t1", "")
    assert latest.created_at is not None and latest.created_at.tzinfo is not None

    # Resume from 0002 on a new branch: the fork becomes the latest, both share the parent.
    st.put_checkpoint("t1", "0004", b"fork", parent_id="0002", metadata={"source": "update", "step": 1})
    latest = st.get_checkpoint("t1")
    assert latest is not None and (latest.checkpoint_id, latest.parent_id) == ("0004", "0002")
    branch = {c.checkpoint_id: c.parent_id for c in st.list_checkpoints("t1")}
    assert branch == {"0004": "0002", "0003": "0002", "0002": "0001", "0001": None}
    # Walk back from the fork to the root.
    chain, cur = [], st.get_checkpoint("t1")
    while cur is not None:
        chain.append(cur.checkpoint_id)
        cur = st.get_checkpoint("t1", checkpoint_id=cur.parent_id) if cur.parent_id else None
    assert chain == ["0004", "0002", "0001"]

    old = st.get_checkpoint("t1", checkpoint_id="0003")
    assert old is not None and old.checkpoint == b"b"
    assert st.get_checkpoint("t1", checkpoint_id="9999") is None
    assert st.get_checkpoint("t2") is None


def test_list_filters(st: agentdb.State) -> None:
    st.put_checkpoint("t1", "0001", b"1", metadata={"source": "input", "step": -1, "tags": ["x"]})
    st.put_checkpoint("t1", "0002", b"2", parent_id="0001", metadata={"source": "loop", "step": 0})
    st.put_checkpoint("t1", "0003", b"3", parent_id="0002", metadata={"source": "loop", "step": 1})
    st.put_checkpoint("t1", "0004", b"4", namespace="child:1", metadata={"source": "loop", "step": 0})
    st.put_checkpoint("t2", "0005", b"5", metadata={"source": "input", "step": -1})

    assert ids(st.list_checkpoints("t1", namespace="")) == ["0003", "0002", "0001"]
    assert ids(st.list_checkpoints("t1")) == ["0004", "0003", "0002", "0001"]
    assert ids(st.list_checkpoints("t1", namespace="child:1")) == ["0004"]
    assert ids(st.list_checkpoints()) == ["0005", "0004", "0003", "0002", "0001"]
    assert ids(st.list_checkpoints("t1", namespace="", before="0003")) == ["0002", "0001"]
    assert ids(st.list_checkpoints("t1", namespace="", limit=1)) == ["0003"]
    assert ids(st.list_checkpoints("t1", limit=0)) == []
    assert ids(st.list_checkpoints(metadata={"source": "loop"})) == ["0004", "0003", "0002"]
    assert ids(st.list_checkpoints(metadata={"source": "loop", "step": 0})) == ["0004", "0002"]
    assert ids(st.list_checkpoints("t1", metadata={"source": "input"})) == ["0001"]
    assert ids(st.list_checkpoints(metadata={"tags": ["x"]})) == ["0001"]
    assert ids(st.list_checkpoints(metadata={"step": "0"})) == []  # values compare by type too
    assert ids(st.list_checkpoints(metadata={"missing": None})) == []
    assert ids(st.list_checkpoints("nobody")) == []


def test_same_id_replaces(st: agentdb.State) -> None:
    st.put_checkpoint("t", "0001", b"first", metadata={"v": 1}, type="a")
    st.put_checkpoint("t", "0001", b"second", parent_id="0000", metadata={"v": 2}, type="b")
    cps = st.list_checkpoints("t")
    assert len(cps) == 1
    assert (cps[0].checkpoint, cps[0].parent_id, cps[0].metadata, cps[0].type) == (b"second", "0000", {"v": 2}, "b")


def test_pending_writes_follow_langgraph_rules(st: agentdb.State) -> None:
    st.put_checkpoint("t", "0001", b"cp")
    st.put_writes("t", "", "0001", "task-b", [(0, "messages", "json", b"b0"), (1, "count", "json", b"b1")], task_path="p1")
    st.put_writes("t", "", "0001", "task-a", [(0, "messages", "json", b"a0"), (ERROR, "__error__", "json", b"boom")], task_path="p0")
    # A retried task: regular writes already stored are kept, special ones replaced, new ones added.
    st.put_writes(
        "t", "", "0001", "task-a",
        [(0, "messages", "json", b"a0-retry"), (ERROR, "__error__", "json", b"boom2"), (INTERRUPT, "__interrupt__", "msgpack", b"stop")],
        task_path="p0",
    )
    got = st.get_writes("t", "", "0001")
    assert [(w.task_id, w.idx, w.channel, w.type, w.value, w.task_path) for w in got] == [
        ("task-a", INTERRUPT, "__interrupt__", "msgpack", b"stop", "p0"),
        ("task-a", ERROR, "__error__", "json", b"boom2", "p0"),
        ("task-a", 0, "messages", "json", b"a0", "p0"),
        ("task-b", 0, "messages", "json", b"b0", "p1"),
        ("task-b", 1, "count", "json", b"b1", "p1"),
    ]
    assert st.get_writes("t", "", "0002") == []
    assert st.get_writes("t", "other-ns", "0001") == []
    # bytearray / memoryview payloads are accepted.
    st.put_writes("t", "", "0002", "task", [(0, "c", "bytes", bytearray(b"ba")), (1, "c", "bytes", memoryview(b"mv"))])
    assert [w.value for w in st.get_writes("t", "", "0002")] == [b"ba", b"mv"]
    st.put_writes("t", "", "0003", "task", [])
    assert st.get_writes("t", "", "0003") == []
    # Within one call too: the first regular write of an idx counts, and the last special one.
    st.put_writes("t", "", "0004", "task", [(0, "c", "", b"1"), (0, "c", "", b"2"), (ERROR, "e", "", b"x"), (ERROR, "e", "", b"y")])
    assert [(w.idx, w.value) for w in st.get_writes("t", "", "0004")] == [(ERROR, b"y"), (0, b"1")]


def test_delete_thread(st: agentdb.State) -> None:
    for ns in ("", "child"):
        st.put_checkpoint("t1", "0001", b"x", namespace=ns)
        st.put_writes("t1", ns, "0001", "task", [(0, "c", "", b"v")])
    st.put_checkpoint("t2", "0002", b"y")
    st.put_writes("t2", "", "0002", "task", [(0, "c", "", b"v")])
    st.delete_thread("t1")
    assert st.list_checkpoints("t1") == []
    assert st.get_writes("t1", "", "0001") == [] and st.get_writes("t1", "child", "0001") == []
    assert ids(st.list_checkpoints()) == ["0002"]
    assert len(st.get_writes("t2", "", "0002")) == 1
    st.delete_thread("t1")  # nothing left: fine
    st.delete_thread("never")


def test_checkpoints_persist(db_path: Path) -> None:
    payload = bytes(range(256)) * 1000
    with agentdb.open(db_path) as db:
        st = db.state
        st.put_checkpoint("t", "0001", payload, metadata={"k": "v"}, type="bytes")
        st.put_checkpoint("t", "0002", b"", parent_id="0001")
        st.put_writes("t", "", "0002", "task", [(ERROR, "__error__", "json", b"e")])
        st.delete_thread("gone")
    with agentdb.open(db_path) as db:
        st = db.state
        cp = st.get_checkpoint("t", checkpoint_id="0001")
        assert cp is not None and cp.checkpoint == payload and cp.metadata == {"k": "v"} and cp.type == "bytes"
        latest = st.get_checkpoint("t")
        assert latest is not None and latest.checkpoint == b"" and latest.parent_id == "0001"
        assert [(w.idx, w.value) for w in st.get_writes("t", "", "0002")] == [(ERROR, b"e")]


def test_concurrent_put_writes_are_atomic(st: agentdb.State) -> None:
    st.put_checkpoint("t", "0001", b"cp")
    stop = threading.Event()
    bad: list = []

    def reader() -> None:
        while not stop.is_set():
            per_task: dict = {}
            for w in st.get_writes("t", "", "0001"):
                per_task.setdefault(w.task_id, []).append(w.idx)
            for task, idxs in per_task.items():
                if sorted(idxs) != [0, 1, 2]:
                    bad.append((task, idxs))

    th = threading.Thread(target=reader)
    th.start()
    for i in range(100):
        st.put_writes("t", "", "0001", f"task-{i:03d}", [(j, "c", "", b"%d" % j) for j in range(3)])
    stop.set()
    th.join()
    assert not bad, bad[:3]
    assert len(st.get_writes("t", "", "0001")) == 300


def test_bad_input(st: agentdb.State) -> None:
    with pytest.raises(InvalidArgumentError):
        st.put_checkpoint("", "0001", b"x")
    with pytest.raises(InvalidArgumentError):
        st.put_checkpoint("t", "", b"x")
    with pytest.raises(InvalidArgumentError):
        st.put_checkpoint("t", "0001", "not bytes")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        st.put_checkpoint("t", "0001", b"x", metadata=["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        st.put_checkpoint("t", "0001", b"x", metadata={"bad": {1, 2}})
    with pytest.raises(InvalidArgumentError):
        st.put_writes("t", "", "0001", "task", [(0, "c", b"")])  # type: ignore[list-item]
    with pytest.raises(InvalidArgumentError):
        st.put_writes("t", "", "0001", "task", [("0", "c", "", b"")])  # type: ignore[list-item]
    with pytest.raises(InvalidArgumentError):
        st.list_checkpoints(limit=-1)
    with pytest.raises(InvalidArgumentError):
        st.list_checkpoints(metadata="source")  # type: ignore[arg-type]
    assert st.list_checkpoints() == []
    assert st.get_writes("t", "", "0001") == []
