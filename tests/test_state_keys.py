"""Agent-state names that SQL pasting would get wrong, and the size of a state delete in Lance.

The state's deletions in Lance (purges, expiry, replaced checkpoints and pending writes) are built
as filter trees and rendered by the engine's one canonical renderer (rust/engine/src/state/store.rs):
keys, sessions, agents and thread ids with quotes, parentheses or backslashes round-trip and are
deleted exactly; and all the deletions of one flush are one Lance commit."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import agentdb

ODD = [
    "it's",
    "it''s",
    "'",
    "''",
    "(x)",
    ") OR (TRUE",
    "a') OR ('1'='1",
    "back\\slash",
    "\\'",
    "`tick`",
    "per%cent_under*",
    "ünï ✓\n\t",
]


def versions(db_path: Path, table: str = "_agentdb_state") -> int:
    """How many versions Lance has written of a hidden table (one manifest per commit)."""
    return len(list((db_path / f"{table}.lance" / "_versions").glob("*.manifest")))


def test_odd_names_round_trip_and_delete_exactly(tmp_path: Path) -> None:
    path = tmp_path / "db"
    with agentdb.open(path) as db:
        st = db.state
        for name in ODD:
            st.put(name, name, name, {"who": name})
            st.put("a", "s", name, name)
            st.put("a", name, "k", 1)
        st.flush()
        # Delete each key in turn: only that one goes.
        for i, name in enumerate(ODD):
            assert st.delete("a", "s", name) == 2
            st.flush()
            assert set(st.keys("a", "s")) == set(ODD[i + 1 :])
        # Purge each odd session of agent "a": only that one goes.
        for i, name in enumerate(ODD):
            assert st.purge("a", name) == 1
            st.flush()
            assert set(st.sessions("a")) == {"s", *ODD[i + 1 :]}
    for read_only in (False, True):
        with agentdb.open(path, read_only=read_only) as db:
            st = db.state
            for name in ODD:
                assert st.get(name, name, name) == {"who": name}
                assert st.sessions(name) == [name]
                assert st.history("a", "s", name)[0].deleted
            assert st.sessions("a") == ["s"]
    # Checkpoints and pending writes of odd threads: replaced and deleted exactly.
    with agentdb.open(path) as db:
        st = db.state
        for name in ODD:
            st.put_checkpoint(name, name, b"one", namespace=name, metadata={"n": 1})
            st.put_checkpoint(name, name, b"two", namespace=name, metadata={"n": 2})
            # A negative index is replaced (a delete of the old row), a non-negative one kept.
            st.put_writes(name, name, name, name, [(-1, "ch", "raw", b"w1"), (0, "ch", "raw", b"first")])
            st.put_writes(name, name, name, name, [(-1, "ch", "raw", b"w2"), (0, "ch", "raw", b"second")])
        st.flush()
        st.delete_thread(ODD[0])
        st.flush()
    with agentdb.open(path, read_only=True) as db:
        st = db.state
        assert st.get_checkpoint(ODD[0], namespace=ODD[0], checkpoint_id=ODD[0]) is None
        for name in ODD[1:]:
            cp = st.get_checkpoint(name, namespace=name, checkpoint_id=name)
            assert cp is not None and cp.checkpoint == b"two"
            assert sorted(w.value for w in st.get_writes(name, name, name)) == [b"first", b"w2"]


def test_expiring_ten_thousand_keys_is_one_commit(tmp_path: Path) -> None:
    path = tmp_path / "db"
    n = 10_000
    with agentdb.open(path) as db:
        st = db.state
        st.put_many("a", "s", {f"k{i}'({i})": i for i in range(n)}, ttl=1.0)
        st.put_many("a", "s", {f"keep{i}": i for i in range(10)})
        st.flush()
        before = versions(path)
        time.sleep(1.2)
        removed = st.sweep()
        st.flush()
        # The background sweeper may have swept first; either way the keys left in one go.
        assert removed in (0, n)
        after = versions(path)
        assert after == before + 1, f"{after - before} Lance commits for one expiry of {n} keys"
        assert st.keys("a", "s") == sorted(f"keep{i}" for i in range(10))
    with agentdb.open(path, read_only=True) as db:
        assert db.state.keys("a", "s") == sorted(f"keep{i}" for i in range(10))


@pytest.mark.parametrize("n", [1, 64, 65, 1000])
def test_purges_of_one_flush_are_one_commit(tmp_path: Path, n: int) -> None:
    path = tmp_path / "db"
    with agentdb.open(path, sync="off") as db:
        st = db.state
        for i in range(n):
            st.put("a", f"s'{i})", "k", i)
        st.put("a", "kept", "k", 0)
        st.flush()
        before = versions(path)
        start = time.monotonic()
        for i in range(n):
            assert st.purge("a", f"s'{i})") == 1
        st.flush()
        took = time.monotonic() - start
        # One commit per flush; the background flusher (every second) may have flushed a part.
        assert 1 <= versions(path) - before <= 1 + int(took), took
        if took < 0.9:
            assert versions(path) == before + 1
        assert st.sessions("a") == ["kept"]
