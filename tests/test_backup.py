"""Online backup and restore (issue 15): a backup taken while a writer process keeps writing holds
every write acknowledged before it began and no write in part; an incremental chain restores each
point exactly; a damaged backup is refused; the CLI verbs and their exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest

import agentdb
from agentdb import _cli_admin
from agentdb.errors import InvalidArgumentError, InvalidArgumentTypeError, StorageError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _helpers import snapshot  # noqa: E402
from backup_writer_child import BATCH, record  # noqa: E402

CHILD = Path(__file__).resolve().parent / "backup_writer_child.py"


def wait_for(path: Path, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear in {timeout} s")
        time.sleep(0.02)
    return path.read_text()


def check_restored(path: Path, at_least: int) -> int:
    """The restored database holds whole batches 0..m-1 of the writer, m >= at_least, in the
    collection and in the state, and nothing else. Returns m."""
    with agentdb.connect(path, read_only=True) as db:
        got = db.get_collection("w").get()
        ids = sorted(got.ids)
        assert len(ids) % BATCH == 0, f"a batch is half in: {len(ids)} records"
        m = len(ids) // BATCH
        assert ids == [record(n)[0] for n in range(m * BATCH)], "the records are not a prefix of the writes"
        for rec in got:
            n = int(rec.id[1:])
            _, vector, document, metadata = record(n)
            np.testing.assert_array_equal(rec.vector, vector)
            assert rec.document == document and rec.metadata == metadata
        keys = db.state.snapshot("agent", "s")
        k = len(keys)
        assert sorted(keys) == sorted(f"k{i}" for i in range(k)), "the state keys are not a prefix of the writes"
        for i in range(k):
            assert keys[f"k{i}"] == {"i": i, "ids": [record(i * BATCH + j)[0] for j in range(BATCH)]}
    assert m >= at_least, f"batches acknowledged before the backup are missing: {m} < {at_least}"
    assert k >= at_least, f"state writes acknowledged before the backup are missing: {k} < {at_least}"
    return m


def test_backup_while_a_writer_process_writes(tmp_path: Path) -> None:
    db_path, ctl, backups = tmp_path / "db", tmp_path / "ctl", tmp_path / "backups"
    ctl.mkdir()
    child = subprocess.Popen([sys.executable, str(CHILD), str(db_path), str(ctl), str(backups)])
    try:
        points: List[Dict[str, Any]] = []
        wait_for(ctl / "flushed")
        for n in (1, 2, 3):
            time.sleep(0.4)
            (ctl / f"request-{n}").touch()
            points.append(json.loads(wait_for(ctl / f"backup-{n}.json")))
        # A read-only backup from this process, next to the writer: it holds what the writer had
        # flushed when it began.
        flushed = int((ctl / "flushed").read_text())
        with agentdb.connect(db_path, read_only=True) as reader:
            ro_point = reader.backup(tmp_path / "ro-backups")
        (ctl / "stop").touch()
        done = json.loads(wait_for(ctl / "done"))
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert done["errors"] == []
    assert done["acked"] > points[-1]["acked_after"], "the writer did not keep writing during the backups"
    assert [p["seq"] for p in points] == [1, 2, 3]
    held = []
    for p in points:
        out = tmp_path / f"restored-{p['seq']}"
        agentdb.restore(backups, out, at=p["seq"])
        held.append(check_restored(out, p["acked_before"]))
    assert held == sorted(held)
    assert held[-1] < done["acked"], "the last point should not hold writes made after it"
    agentdb.restore(tmp_path / "ro-backups", tmp_path / "restored-ro")
    check_restored(tmp_path / "restored-ro", flushed)
    assert ro_point.seq == 1
    # The source is whole after all of it.
    check_restored(db_path, done["acked"])


def state_of(db: agentdb.Database) -> Tuple[Any, ...]:
    return snapshot(db.get_collection("docs")), db.state.snapshot("a", "s"), sorted(db.list_collections())


def test_incremental_chain_restores_each_point_exactly(tmp_path: Path) -> None:
    dest = tmp_path / "bk"
    rng = np.random.default_rng(7)
    expected = []
    points = []
    with agentdb.connect(tmp_path / "db") as db:
        docs = db.create_collection("docs", 8)
        docs.add([f"d{i}" for i in range(500)], rng.random((500, 8), dtype=np.float32), documents=[f"doc {i}" for i in range(500)])
        docs.create_index()
        db.state.put("a", "s", "plan", {"step": 1})
        points.append(db.backup(dest, incremental=True))
        expected.append(state_of(db))
        # About 1% changes: a few upserts, a delete, a new record, a state write, a new collection.
        docs.upsert(["d1", "d2", "d3"], rng.random((3, 8), dtype=np.float32), documents=["new 1", "new 2", "new 3"])
        docs.delete(["d4"])
        docs.add(["n1"], rng.random((1, 8), dtype=np.float32), metadata=[{"k": 1}])
        db.state.put("a", "s", "plan", {"step": 2})
        db.create_collection("other", 2).add(["o"], np.ones((1, 2), dtype=np.float32))
        points.append(db.backup(dest, incremental=True))
        expected.append(state_of(db))
        db.drop_collection("other")
        docs.delete(["d5", "d6"])
        db.state.put("a", "s", "goal", "ship")
        points.append(db.backup(dest, incremental=True))
        expected.append(state_of(db))
    assert [p.seq for p in points] == [1, 2, 3]
    assert [p.seq for p in agentdb.list_backups(dest)] == [1, 2, 3]
    # The later points copy a fraction of what the first did.
    assert points[1].copied_bytes < points[0].copied_bytes / 2, points
    assert points[2].copied_bytes < points[0].copied_bytes / 2, points
    for p, want in zip(points, expected):
        out = tmp_path / f"r{p.seq}"
        assert agentdb.restore(dest, out, at=p.seq).seq == p.seq
        with agentdb.connect(out) as db:
            assert state_of(db) == want, f"point {p.seq}"
            # The restored index answers like the data.
            hits = db.get_collection("docs").search(np.frombuffer(want[0][1]["d0"][0], dtype=np.float32), k=1)
            assert hits.ids == ["d0"]
            assert db.verify().ok
    # The latest by default.
    assert agentdb.restore(dest, tmp_path / "latest").seq == 3


def test_damaged_backup_is_refused(tmp_path: Path) -> None:
    dest = tmp_path / "bk"
    with agentdb.connect(tmp_path / "db") as db:
        db.create_collection("docs", 3).add(["a", "b"], np.eye(3, dtype=np.float32)[:2])
        db.backup(dest)
    assert agentdb.admin.verify_backup(dest) == []
    data = max((p for p in (dest / "files").rglob("*") if "/data/" in str(p)), key=lambda p: p.stat().st_size)
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    data.write_bytes(bytes(raw))
    bad = agentdb.admin.verify_backup(dest)
    assert len(bad) == 1 and bad[0][0].endswith(data.name) and "SHA-256" in bad[0][1]
    # `agentdb verify` on a backup directory checks its files.
    r = run_cli("verify", str(dest), "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    assert json.loads(r.stdout)["points"][0]["damaged"][0]["file"] == bad[0][0]
    r = run_cli("verify", str(dest))
    assert r.returncode == 1 and "damaged_backup_file" in r.stdout
    with pytest.raises(StorageError, match="damaged"):
        agentdb.restore(dest, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    # The CLI refuses it too, with exit code 2 and the reason.
    rc = _cli_admin.main(["restore", str(dest), str(tmp_path / "out2"), "--json"])
    assert rc == 2
    # An empty existing target is used, and cleaned again on refusal.
    (tmp_path / "empty").mkdir()
    with pytest.raises(StorageError):
        agentdb.restore(dest, tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []


def test_bad_arguments(tmp_path: Path, db: agentdb.Database) -> None:
    with pytest.raises(InvalidArgumentTypeError):
        db.backup(3)  # type: ignore[arg-type]
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InvalidArgumentError, match="not empty"):
        db.backup(tmp_path / "full")
    with pytest.raises(InvalidArgumentError, match="not an AgentDB backup"):
        agentdb.list_backups(tmp_path / "full")
    db.backup(tmp_path / "bk")
    with pytest.raises(InvalidArgumentError, match="no point 7"):
        agentdb.restore(tmp_path / "bk", tmp_path / "o", at=7)
    with pytest.raises(InvalidArgumentError):
        agentdb.restore(tmp_path / "bk", tmp_path / "o", at=0)
    db.close()
    with pytest.raises(agentdb.ClosedError):
        db.backup(tmp_path / "bk")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agentdb._cli_admin", *args], capture_output=True, text=True, timeout=120)


def test_cli_backup_and_restore(tmp_path: Path) -> None:
    with agentdb.connect(tmp_path / "db") as db:
        db.create_collection("docs", 3).add(["a", "b", "c"], np.eye(3, dtype=np.float32))
    r = run_cli("backup", str(tmp_path / "db"), str(tmp_path / "bk"))
    assert r.returncode == 0, r.stderr
    assert "backup point 1 (full)" in r.stdout
    r = run_cli("backup", str(tmp_path / "db"), str(tmp_path / "bk"), "--incremental", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] and out["point"]["seq"] == 2 and out["point"]["incremental"] and out["point"]["copied_bytes"] < out["point"]["total_bytes"]
    r = run_cli("verify", str(tmp_path / "bk"))
    assert r.returncode == 0 and "ok: no problems found" in r.stdout, r.stdout + r.stderr
    r = run_cli("restore", str(tmp_path / "bk"), "--list", "--json")
    assert [p["seq"] for p in json.loads(r.stdout)["points"]] == [1, 2]
    r = run_cli("restore", str(tmp_path / "bk"), str(tmp_path / "out"), "--at", "1")
    assert r.returncode == 0 and "restored point 1" in r.stdout, r.stderr
    with agentdb.connect(tmp_path / "out") as db:
        assert db.get_collection("docs").count() == 3
    r = run_cli("restore", str(tmp_path / "bk"), str(tmp_path / "out"))
    assert r.returncode == 2 and "not empty" in r.stderr
    r = run_cli("backup", str(tmp_path / "nope"), str(tmp_path / "bk"))
    assert r.returncode == 2 and "not a database directory" in r.stderr
    assert not (tmp_path / "nope").exists()
    r = run_cli("backup")
    assert r.returncode == 2 and "usage" in r.stderr


def test_prune_keeps_the_newest_points_exactly(tmp_path: Path) -> None:
    dest = tmp_path / "bk"
    rng = np.random.default_rng(11)
    expected = {}
    with agentdb.connect(tmp_path / "db") as db:
        docs = db.create_collection("docs", 8)
        for seq in range(1, 5):
            docs.add([f"p{seq}-{i}" for i in range(50)], rng.random((50, 8), dtype=np.float32))
            db.state.put("a", "s", "step", seq)
            assert db.backup(dest, incremental=seq > 1).seq == seq
            expected[seq] = state_of(db)
    with pytest.raises(InvalidArgumentError):
        agentdb.prune_backups(dest, 0)
    with pytest.raises(InvalidArgumentError):
        agentdb.prune_backups(dest, -3)
    with pytest.raises(InvalidArgumentError):
        agentdb.prune_backups(tmp_path / "db", 1)
    stored_before = {p for p in (dest / "files").rglob("*") if p.is_file()}
    report = agentdb.prune_backups(dest, 2)
    assert report["removed_points"] == [1, 2]
    assert [p.seq for p in agentdb.list_backups(dest)] == [3, 4]
    stored_after = {p for p in (dest / "files").rglob("*") if p.is_file()}
    assert len(stored_before - stored_after) == report["removed_files"] > 0
    # Point 3 is incremental: it still shares files point 1 copied, and those stayed.
    assert any(p.is_relative_to(dest / "files" / "000001") for p in stored_after)
    for seq in (3, 4):
        assert agentdb.admin.verify_backup(dest, at=seq) == []
        out = tmp_path / f"r{seq}"
        agentdb.restore(dest, out, at=seq)
        with agentdb.connect(out) as db:
            assert state_of(db) == expected[seq]
    assert agentdb.prune_backups(dest, 5) == {"removed_points": [], "removed_files": 0, "freed_bytes": 0}


def test_cli_backup_keep(tmp_path: Path) -> None:
    with agentdb.connect(tmp_path / "db") as db:
        db.create_collection("docs", 3).add(["a", "b", "c"], np.eye(3, dtype=np.float32))
    for _ in range(3):
        r = run_cli("backup", str(tmp_path / "db"), str(tmp_path / "bk"), "--incremental", "--keep", "2")
        assert r.returncode == 0, r.stderr
    assert "kept the newest 2 points; removed points: 1" in r.stdout
    assert [p.seq for p in agentdb.list_backups(tmp_path / "bk")] == [2, 3]
    # A bad count is a usage error, refused before any backup is taken.
    r = run_cli("backup", str(tmp_path / "db"), str(tmp_path / "bk"), "--keep", "0", "--json")
    assert r.returncode == 2 and "keep must be at least 1" in r.stderr, r.stdout + r.stderr
    assert [p.seq for p in agentdb.list_backups(tmp_path / "bk")] == [2, 3]
