"""A database closed from an ``atexit`` handler, or still open when the interpreter exits: a child
process writes collection records and agent state, then exits; this process then finds all of it.

A read-only open does not replay the write-ahead log, so when it sees the writes the child's close
has flushed them to Lance (rust/fuzz/RESULTS.md, finding 3; the C side is tests/c/test_exit.c)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import agentdb

CHILD = textwrap.dedent(
    """
    import atexit
    import sys

    import numpy as np

    import agentdb

    path, mode = sys.argv[1], sys.argv[2]
    db = agentdb.open(path)
    c = db.get_or_create_collection("c", dim=2, metric="l2")
    c.add(ids=[f"r{i}" for i in range(50)], vectors=np.ones((50, 2), dtype=np.float32))
    for i in range(20):
        db.state.put("agent", "s", f"k{i}", {"i": i})
    db.state.put("agent", "s", "it's (a) \\\\ key", "quoted")

    if mode == "atexit-close":
        atexit.register(db.close)
    elif mode == "atexit-writes":
        def late() -> None:
            c.add(ids=["late"], vectors=np.zeros((1, 2), dtype=np.float32))
            db.state.put("agent", "s", "late", "at exit")
            assert c.count() == 51
            db.close()

        atexit.register(late)
    # mode "open": the interpreter exits with the database open in a module global.
    print("written", flush=True)
    """
)


def run_child(path: Path, mode: str) -> None:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), mode], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "written" in out.stdout
    assert "panicked" not in out.stderr and "Error" not in out.stderr, out.stderr


def check(db: agentdb.Database, late: bool) -> None:
    assert db.get_collection("c").count() == (51 if late else 50)
    st = db.state
    assert st.snapshot("agent", "s") == {
        **{f"k{i}": {"i": i} for i in range(20)},
        "it's (a) \\ key": "quoted",
        **({"late": "at exit"} if late else {}),
    }


@pytest.mark.parametrize("mode", ["atexit-close", "atexit-writes"])
def test_close_from_atexit_flushes(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "db"
    run_child(path, mode)
    with agentdb.open(path, read_only=True) as db:
        check(db, late=mode == "atexit-writes")
    # The child let go of the writer lock, and a writable open finds the same.
    with agentdb.open(path) as db:
        check(db, late=mode == "atexit-writes")


def test_exit_with_the_database_open(tmp_path: Path) -> None:
    path = tmp_path / "db"
    run_child(path, "open")
    # Whether the interpreter dropped the database (and so closed it) or not, the writable open
    # has everything (it replays the log if need be), and then so does a reader.
    with agentdb.open(path) as db:
        check(db, late=False)
    with agentdb.open(path, read_only=True) as db:
        check(db, late=False)
