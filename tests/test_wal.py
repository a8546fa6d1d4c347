"""The write-ahead log: durable small writes, reads that see them at once, replay after a crash,
torn tails, corruption, the writer lock, read-only opens and the sync settings."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List

import numpy as np
import pytest

import agentdb
from agentdb.errors import DatabaseLockedError, InvalidArgumentError, ReadOnlyError, StorageError

ROOT = Path(__file__).resolve().parents[1]


def run_child(script: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "python"), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args], env=env, capture_output=True, text=True, timeout=300
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def segments(db_path: Path) -> List[Path]:
    return sorted((db_path / "_agentdb" / "wal").glob("*.wal"))


def vec(i: int) -> List[float]:
    return [float(i), 1.0, float(i % 7)]


# A child that writes through the log and dies without closing (os._exit skips every cleanup,
# like a crash right after the last write returned).
CRASH_AFTER_WRITES = """
    import os, sys
    import agentdb
    db = agentdb.open(sys.argv[1], sync=sys.argv[2])
    c = db.get_or_create_collection("v", dim=3, metric="l2")
    for i in range(200):
        c.add([f"id{i}"], [[float(i), 1.0, float(i % 7)]], documents=[f"doc {i}"], metadata=[{"i": i, "even": i % 2 == 0}])
    c.upsert(["id5"], [[5.0, 5.0, 5.0]], documents=["five"], metadata=[{"i": 500}])
    assert c.delete(["id7", "id8", "nope"]) == 2
    c.upsert(["id9"], [[9.0, 9.0, 9.0]], metadata=[{"i": 900, "new_key": "x"}])
    os._exit(0)
"""


@pytest.mark.parametrize("sync", ["always", "batch", "off"])
def test_acknowledged_writes_survive_a_crash(db_path: Path, sync: str) -> None:
    run_child(CRASH_AFTER_WRITES, str(db_path), sync)
    # Nothing was flushed to Lance by a close: the log holds the writes.
    assert any(p.stat().st_size > 8 for p in segments(db_path))
    with agentdb.open(db_path) as db:
        c = db.get_collection("v")
        assert c.count() == 198
        r = c.get(["id0", "id5", "id7", "id8", "id9", "id199"])
        assert r.ids == ["id0", "id5", "id9", "id199"]
        assert r.documents == ["doc 0", "five", None, "doc 199"]
        assert [m.get("i") for m in r.metadata] == [0, 500, 900, 199]
        assert r.metadata[2]["new_key"] == "x"
        np.testing.assert_array_equal(r.vectors[1], [5.0, 5.0, 5.0])
        # Replayed rows are searchable and filterable like any other.
        assert c.search([9.0, 9.0, 9.0], k=1).ids == ["id9"]
        assert c.count(where={"even": True}) == 100 - 1  # id8 deleted
    # Replaying again (a second open) changes nothing: nothing twice.
    with agentdb.open(db_path) as db:
        assert db.get_collection("v").count() == 198


def test_reads_see_buffered_writes_at_once(db: agentdb.Database) -> None:
    c = db.create_collection("v", dim=3, metric="l2")
    c.add(["a"], [vec(1)], documents=["A"], metadata=[{"tag": "x", "n": 1}])
    c.add(["b"], [vec(2)], metadata=[{"tag": "y", "n": 2}])
    # Before any flush: by id, count, filters, search with and without a filter.
    assert c.get("a").documents == ["A"]
    assert c.count() == 2
    assert c.get(where={"tag": "y"}).ids == ["b"]
    assert c.search(vec(2), k=1).ids == ["b"]
    assert c.search(vec(2), k=2, where={"tag": "x"}).ids == ["a"]
    c.upsert(["a"], [vec(9)], metadata=[{"tag": "z", "n": 5}])
    assert c.get("a").metadata == [{"tag": "z", "n": 5}]
    assert c.get("a").documents == [None]
    assert c.delete(["b"]) == 1
    assert c.get(["a", "b"]).ids == ["a"]
    assert c.count() == 1
    with pytest.raises(agentdb.DuplicateIdError):
        c.add(["a"], [vec(3)])
    # A deleted id can be added again.
    c.add(["b"], [vec(4)])
    assert sorted(c.get().ids) == ["a", "b"]
    db.flush()
    assert sorted(c.get().ids) == ["a", "b"]
    assert c.get("a").metadata == [{"tag": "z", "n": 5}]


def test_flush_trims_the_log(db: agentdb.Database, db_path: Path) -> None:
    c = db.create_collection("v", dim=3, metric="l2")
    for i in range(50):
        c.add([f"r{i}"], [vec(i)])
    assert sum(p.stat().st_size for p in segments(db_path)) > 50 * 20
    db.flush()
    # Every record is in Lance: the log is down to one empty segment.
    assert [p.stat().st_size for p in segments(db_path)] == [8]
    assert c.count() == 50
    db.close()
    with agentdb.open(db_path) as db2:
        assert db2.get_collection("v").count() == 50


def test_small_and_large_writes_keep_their_order(db_path: Path) -> None:
    # Small writes go through the log, large batches straight to Lance; the last write wins
    # across both paths, also after a crash.
    script = """
        import os, sys
        import agentdb
        db = agentdb.open(sys.argv[1])
        c = db.create_collection("v", dim=2, metric="l2")
        c.upsert(["x"], [[1.0, 1.0]], metadata=[{"v": 1}])
        big = [f"b{i}" for i in range(2000)] + ["x"]
        c.upsert(big, [[float(i), 0.0] for i in range(2001)], metadata=[{"v": 2}] * 2001)
        c.upsert(["x"], [[3.0, 3.0]], metadata=[{"v": 3}])
        c.delete(["b0"])
        os._exit(0)
    """
    run_child(script, str(db_path))
    with agentdb.open(db_path) as db:
        c = db.get_collection("v")
        assert c.get("x").metadata == [{"v": 3}]
        assert c.count() == 2000
        assert c.get("b0").ids == []


def test_a_second_writer_is_refused(db_path: Path) -> None:
    db = agentdb.open(db_path)
    db.create_collection("v", dim=3)
    # Another process.
    done = run_child(
        """
        import sys, agentdb
        try:
            agentdb.open(sys.argv[1])
        except agentdb.DatabaseLockedError as e:
            print("locked:", e)
        """,
        str(db_path),
    )
    assert done.stdout.startswith("locked:"), done.stdout + done.stderr
    # Another handle in this process.
    with pytest.raises(DatabaseLockedError):
        agentdb.open(db_path)
    db.close()
    # Closing released the lock.
    with agentdb.open(db_path) as db2:
        assert db2.list_collections() == ["v"]


def test_a_crashed_writer_leaves_no_lock(db_path: Path) -> None:
    run_child(CRASH_AFTER_WRITES, str(db_path), "always")
    with agentdb.open(db_path) as db:
        assert db.get_collection("v").count() == 198


def test_read_only_sees_committed_data_and_cannot_write(db_path: Path) -> None:
    writer = agentdb.open(db_path)
    c = writer.create_collection("v", dim=3, metric="l2")
    c.add(["a", "b"], [vec(1), vec(2)])
    writer.flush()
    with agentdb.open(db_path, read_only=True) as ro:
        assert ro.read_only and ro.sync is None
        rc = ro.get_collection("v")
        assert rc.count() == 2
        assert sorted(rc.get().ids) == ["a", "b"]
        with pytest.raises(ReadOnlyError):
            rc.add(["c"], [vec(3)])
        with pytest.raises(ReadOnlyError):
            rc.upsert(["a"], [vec(3)])
        with pytest.raises(ReadOnlyError):
            rc.delete(["a"])
        with pytest.raises(ReadOnlyError):
            ro.create_collection("w", dim=3)
        with pytest.raises(ReadOnlyError):
            ro.drop_collection("v")
        ro.flush()  # nothing to flush: not an error
        # The writer's later writes appear once flushed.
        c.add(["c"], [vec(3)])
        writer.flush()
        assert rc.count() == 3
    writer.close()
    with pytest.raises(StorageError):
        agentdb.open(db_path.parent / "missing", read_only=True)


def test_sync_settings(db_path: Path) -> None:
    with pytest.raises(InvalidArgumentError):
        agentdb.open(db_path, sync="sometimes")
    for mode in agentdb.SYNC_MODES:
        with agentdb.open(db_path, sync=mode) as db:
            assert db.sync == mode
            c = db.get_or_create_collection("v", dim=3)
            c.add([mode], [vec(1)])
    with agentdb.open(db_path) as db:
        assert sorted(db.get_collection("v").get().ids) == sorted(agentdb.SYNC_MODES)


def test_torn_tail_is_dropped(db_path: Path) -> None:
    run_child(CRASH_AFTER_WRITES, str(db_path), "always")
    last = segments(db_path)[-1]
    # A crash in the middle of an append: part of a record's header and body.
    with last.open("ab") as f:
        f.write(b"\x40\x00\x00\x00\x12\x34\x56\x78partial record")
    with agentdb.open(db_path) as db:
        c = db.get_collection("v")
        assert c.count() == 198
        # Writing continues after the last good record.
        c.add(["after"], [vec(1)])
    with agentdb.open(db_path) as db:
        assert db.get_collection("v").get("after").ids == ["after"]


def test_damage_inside_the_log_is_an_error(db_path: Path) -> None:
    run_child(CRASH_AFTER_WRITES, str(db_path), "always")
    seg = segments(db_path)[-1]
    data = bytearray(seg.read_bytes())
    records_end = len(data.rstrip(b"\0"))  # the log's end is followed by zeros written ahead
    data[records_end // 2] ^= 0xFF
    seg.write_bytes(bytes(data))
    with pytest.raises(StorageError, match="damaged"):
        agentdb.open(db_path)
    # Read-only opens do not read the log: the committed data stays readable.
    with agentdb.open(db_path, read_only=True) as ro:
        assert ro.list_collections() == ["v"]


def test_dropped_collection_is_not_replayed_into_a_new_one(db_path: Path) -> None:
    script = """
        import os, sys
        import agentdb
        db = agentdb.open(sys.argv[1])
        c = db.create_collection("v", dim=2, metric="l2")
        c.add(["old1", "old2"], [[1.0, 0.0], [0.0, 1.0]])
        db.drop_collection("v")
        c = db.create_collection("v", dim=2, metric="l2")
        c.add(["new"], [[1.0, 1.0]])
        os._exit(0)
    """
    run_child(script, str(db_path))
    with agentdb.open(db_path) as db:
        assert db.get_collection("v").get().ids == ["new"]


def test_closed_database_rejects_flush(db_path: Path) -> None:
    db = agentdb.open(db_path)
    db.close()
    with pytest.raises(agentdb.ClosedError):
        db.flush()


def test_small_writes_to_an_ivf_pq_collection(db_path: Path) -> None:
    # A collection with Lance's IVF_PQ index never loads its vectors into memory: small writes ask
    # Lance whether an id exists, and searches read Lance after flushing the buffer.
    rng = np.random.default_rng(3)
    data = rng.standard_normal((300, 8)).astype(np.float32)
    with agentdb.open(db_path) as db:
        c = db.create_collection("v", dim=8, metric="l2")
        c.add([f"r{i}" for i in range(300)], data)
        c.create_index("ivf_pq", partitions=4, sub_vectors=2)
        with pytest.raises(agentdb.DuplicateIdError):
            c.add(["r7"], data[:1])
        c.add(["new"], data[:1] + 100)
        c.upsert(["r8"], data[:1] + 200, metadata=[{"moved": True}])
        assert c.delete(["r9", "r9", "absent"]) == 1
        assert c.count() == 300
        assert c.get(["new", "r8", "r9"]).ids == ["new", "r8"]
        assert c.get("r8").metadata == [{"moved": True}]
        hits = c.search(data[0] + 200, k=1, nprobes=4, refine_factor=10)
        assert hits.ids == ["r8"]
    with agentdb.open(db_path) as db:
        c = db.get_collection("v")
        assert c.count() == 300
        assert c.get(["new", "r8", "r9"]).ids == ["new", "r8"]
