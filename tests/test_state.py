"""Agent state from Python (``db.state``): versions, history and time travel, tombstones and purge,
TTL on keys and sessions, JSON values in and out, crash recovery, threads, and bad input."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import agentdb
from agentdb.errors import ClosedError, InvalidArgumentError, ReadOnlyError


@pytest.fixture
def st(db: agentdb.Database) -> agentdb.State:
    return db.state


def test_versions_history_and_time_travel(st: agentdb.State) -> None:
    assert st.put("agent", "s1", "plan", {"step": 1}) == 1
    assert st.put("agent", "s1", "plan", {"step": 2, "notes": ["a", "b"]}) == 2
    assert st.put("agent", "s1", "plan", "three") == 3
    assert st.put("agent", "s2", "plan", 0) == 1

    assert st.get("agent", "s1", "plan") == "three"
    assert st.get("agent", "s1", "plan", version=1) == {"step": 1}
    assert st.get("agent", "s1", "plan", version=2) == {"step": 2, "notes": ["a", "b"]}
    assert st.get("agent", "s1", "plan", version=9) is None
    assert st.get("agent", "s1", "missing", default="dflt") == "dflt"

    hist = st.history("agent", "s1", "plan")
    assert [v.version for v in hist] == [3, 2, 1]
    assert [v.value for v in hist] == ["three", {"step": 2, "notes": ["a", "b"]}, {"step": 1}]
    assert all(not v.deleted and v.expires_at is None for v in hist)
    assert all(v.written_at.tzinfo is not None for v in hist)
    assert hist[0].written_at > hist[1].written_at > hist[2].written_at
    assert [v.version for v in st.history("agent", "s1", "plan", limit=1, offset=1)] == [2]
    assert st.history("agent", "s1", "plan", offset=3) == []

    # Time travel: each version's own instant reads exactly it.
    for v in hist:
        assert st.get("agent", "s1", "plan", at=v.written_at) == v.value
    one_us = dt.timedelta(microseconds=1)
    assert st.get("agent", "s1", "plan", at=hist[1].written_at - one_us) == {"step": 1}
    assert st.get("agent", "s1", "plan", at=hist[2].written_at - one_us) is None
    # A naive datetime is UTC.
    naive = hist[2].written_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    assert st.get("agent", "s1", "plan", at=naive) == {"step": 1}

    st.put("agent", "s1", "extra", True)
    assert st.snapshot("agent", "s1") == {"plan": "three", "extra": True}
    assert st.snapshot("agent", "s1", at=hist[1].written_at) == {"plan": {"step": 2, "notes": ["a", "b"]}}
    assert st.keys("agent", "s1") == ["extra", "plan"]
    assert st.keys("agent", "s1", at=hist[2].written_at) == ["plan"]
    assert st.sessions("agent") == ["s1", "s2"]
    assert st.sessions("nobody") == []


def test_delete_writes_a_tombstone_and_purge_removes(st: agentdb.State) -> None:
    st.put("a", "s", "k", 1)
    st.put("a", "s", "k", 2)
    assert st.delete("a", "s", "k") == 3
    assert st.get("a", "s", "k") is None
    assert st.get("a", "s", "k", default=0) == 0
    tomb = st.get_version("a", "s", "k")
    assert tomb is not None and tomb.deleted and tomb.version == 3 and tomb.value is None
    assert [(v.version, v.deleted) for v in st.history("a", "s", "k")] == [(3, True), (2, False), (1, False)]
    assert st.get("a", "s", "k", version=2) == 2
    assert st.get("a", "s", "k", at=tomb.written_at) is None
    assert st.keys("a", "s") == []
    assert st.delete("a", "s", "k") == 0  # nothing to delete: nothing written
    assert st.delete("a", "s", "never") == 0
    assert st.put("a", "s", "k", "back") == 4

    st.put("a", "t", "x", 1)
    assert st.purge("a", "s") == 4
    assert st.history("a", "s", "k") == []
    assert st.sessions("a") == ["t"]
    assert st.put("a", "s", "k", "fresh") == 1
    assert st.purge("a") == 2
    assert st.sessions("a") == []
    assert st.purge("a") == 0


def test_put_many_is_one_batch(st: agentdb.State) -> None:
    assert st.put_many("a", "s", {"x": 1, "y": [1, 2], "z": None}) == {"x": 1, "y": 1, "z": 1}
    assert st.put_many("a", "s", {"x": 2, "w": "new"}) == {"x": 2, "w": 1}
    assert st.snapshot("a", "s") == {"w": "new", "x": 2, "y": [1, 2], "z": None}
    # Both keys of a batch share one instant.
    assert st.history("a", "s", "x")[0].written_at == st.history("a", "s", "w")[0].written_at


def test_json_values_round_trip(st: agentdb.State) -> None:
    values = [
        None,
        True,
        0,
        -(2**63),
        2**64 - 1,
        1.5,
        -0.0,
        1e300,
        "",
        "ünïcødé \u0000 nul",
        [],
        {},
        {"nested": {"list": [1, "two", 3.0, None, {"deep": [[[]]]}]}},
        (1, 2),
    ]
    for i, v in enumerate(values):
        st.put("a", "s", f"k{i}", v)
    for i, v in enumerate(values):
        got = st.get("a", "s", f"k{i}", default="MISSING")
        expected = list(v) if isinstance(v, tuple) else v
        assert got == expected and type(got) is type(expected), (i, v, got)
    assert math.copysign(1, st.get("a", "s", "k6")) == -1


@pytest.mark.parametrize(
    "bad",
    [dt.datetime(2024, 1, 1), {1, 2}, b"bytes", float("nan"), float("inf"), {1: "int key"}, 2**64, object()],
)
def test_non_json_values_are_refused(st: agentdb.State, bad: object) -> None:
    with pytest.raises(InvalidArgumentError):
        st.put("a", "s", "k", bad)
    with pytest.raises(InvalidArgumentError):
        st.put("a", "s", "k", {"inner": [bad]})
    assert st.sessions("a") == []


def test_self_referencing_and_too_deep_values_are_refused(st: agentdb.State) -> None:
    loop: list = []
    loop.append(loop)
    with pytest.raises(InvalidArgumentError):
        st.put("a", "s", "k", loop)
    deep: object = 1
    for _ in range(150):
        deep = [deep]
    with pytest.raises(InvalidArgumentError):
        st.put("a", "s", "k", deep)
    ok: object = 1
    for _ in range(99):
        ok = [ok]
    st.put("a", "s", "k", ok)
    assert st.get("a", "s", "k") == ok


def test_bad_arguments(st: agentdb.State) -> None:
    for args in [("", "s", "k"), ("a", "", "k"), ("a", "s", ""), ("a", "s", "k" * 5000)]:
        with pytest.raises(InvalidArgumentError):
            st.put(*args, 1)
    for ttl in [0, -1, float("nan"), "10", True]:
        with pytest.raises(InvalidArgumentError):
            st.put("a", "s", "k", 1, ttl=ttl)  # type: ignore[arg-type]
    st.put("a", "s", "k", 1)
    with pytest.raises(InvalidArgumentError):
        st.get("a", "s", "k", version=1, at=dt.datetime.now())
    with pytest.raises(InvalidArgumentError):
        st.get("a", "s", "k", version=0)
    with pytest.raises(InvalidArgumentError):
        st.get("a", "s", "k", at="yesterday")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        st.history("a", "s", "k", limit=-1)
    with pytest.raises(TypeError):
        st.put(1, "s", "k", 1)  # type: ignore[arg-type]
    assert st.history("a", "s", "k")[0].version == 1


def test_key_ttl(st: agentdb.State) -> None:
    st.put("a", "s", "keep", "forever")
    assert st.put("a", "s", "tmp", 1, ttl=1.0) == 1
    assert st.put("a", "s", "tmp", 2, ttl=dt.timedelta(seconds=1)) == 2
    v = st.history("a", "s", "tmp")[0]
    assert v.expires_at == v.written_at + dt.timedelta(seconds=1)
    assert st.keys("a", "s") == ["keep", "tmp"]
    time.sleep(1.2)
    assert st.get("a", "s", "tmp") is None
    assert st.get("a", "s", "tmp", version=1) is None
    assert st.get("a", "s", "tmp", at=v.written_at) is None
    assert st.history("a", "s", "tmp") == []
    assert st.snapshot("a", "s") == {"keep": "forever"}
    st.sweep()
    assert st.sweep() == 0
    assert st.put("a", "s", "tmp", 3) == 1  # a new life


def test_session_ttl(st: agentdb.State) -> None:
    st.put("a", "s", "k1", 1)
    st.put("a", "s", "k2", 2)
    st.put("a", "other", "k", 0)
    assert st.session_ttl("a", "s") is None
    st.set_session_ttl("a", "s", 1.0)
    assert st.session_ttl("a", "s") == 1.0
    time.sleep(0.6)
    st.put("a", "s", "k1", 10)  # a write keeps the session alive
    time.sleep(0.6)
    assert st.snapshot("a", "s") == {"k1": 10, "k2": 2}
    time.sleep(0.6)
    assert st.snapshot("a", "s") == {}
    assert st.get("a", "s", "k2") is None
    assert st.sessions("a") == ["other"]
    assert st.put("a", "s", "k2", "again") == 1
    st.set_session_ttl("a", "s", None)
    assert st.session_ttl("a", "s") is None
    time.sleep(1.1)
    assert st.snapshot("a", "s") == {"k2": "again"}


def test_persists_across_reopen(db_path: Path) -> None:
    with agentdb.open(db_path) as db:
        st = db.state
        st.put("a", "s", "k", {"v": 1})
        st.put("a", "s", "k", {"v": 2})
        st.set_session_ttl("a", "s", 3600)
        written = [v.written_at for v in st.history("a", "s", "k")]
    with agentdb.open(db_path) as db:
        st = db.state
        assert [v.written_at for v in st.history("a", "s", "k")] == written
        assert st.get("a", "s", "k", version=1) == {"v": 1}
        assert st.session_ttl("a", "s") == 3600
        assert st.put("a", "s", "k", 3) == 3


def test_crash_recovery_restores_every_acknowledged_write_once(db_path: Path, tmp_path: Path) -> None:
    """A process that writes and dies without closing: every write that returned is back after
    reopening (replayed from the log), exactly once."""
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1] / "python")!r})
        import agentdb
        db = agentdb.open({str(db_path)!r})
        st = db.state
        for i in range(50):
            st.put("a", "s", "counter", i)
        st.put_many("a", "s", {{"x": 1, "y": 2}})
        st.delete("a", "s", "x")
        st.put_checkpoint("t", "0001", b"payload", metadata={{"step": 1}})
        st.put_writes("t", "", "0001", "task", [(0, "ch", "json", b"w")])
        db.flush()
        for i in range(50, 60):
            st.put("a", "s", "counter", i)   # only in the log when the process dies
        print("written", flush=True)
        os._exit(0)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "written" in out.stdout
    for _ in range(2):
        with agentdb.open(db_path) as db:
            st = db.state
            hist = st.history("a", "s", "counter", limit=1000)
            assert [v.version for v in hist] == list(range(60, 0, -1))
            assert [v.value for v in hist] == list(range(59, -1, -1))
            assert st.snapshot("a", "s") == {"counter": 59, "y": 2}
            assert [(v.version, v.deleted) for v in st.history("a", "s", "x")] == [(2, True), (1, False)]
            cp = st.get_checkpoint("t")
            assert cp is not None and cp.checkpoint == b"payload" and cp.metadata == {"step": 1}
            assert [(w.task_id, w.value) for w in st.get_writes("t", "", "0001")] == [("task", b"w")]


def test_readers_never_see_half_a_batch(st: agentdb.State) -> None:
    st.put_many("a", "s", {"x": 0, "y": 0, "z": 0})
    stop = threading.Event()
    errors: list = []
    reads = [0]

    def reader() -> None:
        try:
            while not stop.is_set():
                snap = st.snapshot("a", "s")
                assert snap["x"] == snap["y"] == snap["z"], snap
                reads[0] += 1
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def writer(t: int) -> None:
        for i in range(25):
            st.put("a", "counter", "n", t * 100 + i)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    writers = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for th in readers + writers:
        th.start()
    for i in range(1, 101):
        st.put_many("a", "s", {"x": i, "y": i, "z": i})
    for th in writers:
        th.join()
    stop.set()
    for th in readers:
        th.join()
    assert not errors, errors[0]
    assert reads[0] > 0
    assert sorted(v.version for v in st.history("a", "counter", "n", limit=1000)) == list(range(1, 101))
    assert st.get_version("a", "s", "x").version == 101  # type: ignore[union-attr]


def test_closed_and_read_only(db_path: Path) -> None:
    db = agentdb.open(db_path)
    st = db.state
    st.put("a", "s", "k", "kept")
    db.close()
    with pytest.raises(ClosedError):
        st.get("a", "s", "k")
    with pytest.raises(ClosedError):
        st.put("a", "s", "k", 1)
    with pytest.raises(ClosedError):
        db.state
    with agentdb.open(db_path, read_only=True) as ro:
        assert ro.state.get("a", "s", "k") == "kept"
        with pytest.raises(ReadOnlyError):
            ro.state.put("a", "s", "k", 2)
        with pytest.raises(ReadOnlyError):
            ro.state.purge("a")


def test_state_tables_are_not_collections(db: agentdb.Database) -> None:
    db.state.put("a", "s", "k", 1)
    db.state.put_checkpoint("t", "1", b"x")
    db.flush()
    assert db.list_collections() == []


def test_read_only_reader_follows_the_writer(db_path: Path) -> None:
    with agentdb.open(db_path) as writer:
        writer.state.put("a", "s", "k", 1)
        writer.flush()
        with agentdb.open(db_path, read_only=True) as reader:
            assert reader.state.get("a", "s", "k") == 1
            writer.state.put("a", "s", "k", 2)
            writer.state.put_checkpoint("t", "0001", b"cp")
            writer.flush()
            assert reader.state.get("a", "s", "k") == 2
            assert [v.version for v in reader.state.history("a", "s", "k")] == [2, 1]
            cp = reader.state.get_checkpoint("t")
            assert cp is not None and cp.checkpoint == b"cp"
