"""The writer lock (issue 22): deleting ``_agentdb/LOCK`` under a running writer must not let a
second writer process in. The lock is held on the ``_agentdb`` directory itself, which cannot be
deleted while it holds the log, so every writer contends for the same inode."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import agentdb
from agentdb.errors import DatabaseLockedError

ROOT = Path(__file__).resolve().parents[1]


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "python"), env.get("PYTHONPATH")]))
    return env


# Holds the database open for writing, writes, says so, and writes again when told to.
WRITER = """
    import sys
    import agentdb
    db = agentdb.open(sys.argv[1])
    c = db.get_or_create_collection("v", dim=2, metric="l2")
    c.add(["first"], [[1.0, 0.0]])
    print("ready", flush=True)
    sys.stdin.readline()
    c.add(["second"], [[0.0, 1.0]])
    db.close()
    print("done", flush=True)
"""

# A second writer: reports whether its open (and a write) succeeded.
SECOND = """
    import sys
    import agentdb
    try:
        db = agentdb.open(sys.argv[1])
    except agentdb.DatabaseLockedError as e:
        print("locked:", e)
    else:
        db.get_or_create_collection("v", dim=2, metric="l2").add(["intruder"], [[5.0, 5.0]])
        db.close()
        print("opened")
"""


def second_writer(db_path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SECOND), str(db_path)],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_deleting_the_lock_file_does_not_admit_a_second_writer(db_path: Path, how: str) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(WRITER), str(db_path)],
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdin is not None
        line = writer.stdout.readline()
        assert line.strip() == "ready", line + (writer.stderr.read() if writer.stderr else "")
        lock = db_path / "_agentdb" / "LOCK"
        assert lock.exists()
        lock.unlink()
        if how == "replaced":
            lock.write_text("")  # a fresh, unlocked file where the old one was
        out = second_writer(db_path)
        assert out.startswith("locked:"), out
        # Also a second handle in this process.
        with pytest.raises(DatabaseLockedError):
            agentdb.open(db_path)
        # The first writer is unaffected and keeps writing.
        writer.stdin.write("go\n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "done"
        assert writer.wait(timeout=120) == 0
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    # Once the writer is gone, a writer opens (re-creating LOCK) and sees only the first's rows.
    out = second_writer(db_path)
    assert out.startswith("opened"), out
    with agentdb.open(db_path) as db:
        assert sorted(db.get_collection("v").get().ids) == ["first", "intruder", "second"]


def test_read_only_opens_take_no_lock(db_path: Path) -> None:
    with agentdb.open(db_path) as db:
        db.create_collection("v", dim=2).add(["a"], [[1.0, 0.0]])
        db.flush()
        (db_path / "_agentdb" / "LOCK").unlink()
        with agentdb.open(db_path, read_only=True) as ro:
            assert ro.get_collection("v").get().ids == ["a"]
        with pytest.raises(DatabaseLockedError):
            agentdb.open(db_path)
