"""``Database.verify`` and ``agentdb verify`` (issue 15): a sound database passes; each kind of
damage that can be injected is found and named (a flipped byte in a data file's structure, a
missing fragment, a damaged log record, a stale and a damaged index file); nothing is changed
without ``repair``; ``repair`` rebuilds index files; the CLI's exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List

import numpy as np
import pytest

import agentdb
from agentdb import _cli_admin
from agentdb.errors import ReadOnlyError, StorageError


def make_db(path: Path) -> None:
    """Collection ``docs``: two fragments (two flushes), an HNSW index saved on close."""
    rng = np.random.default_rng(3)
    with agentdb.connect(path) as db:
        docs = db.create_collection("docs", 8, "l2")
        docs.add([f"a{i}" for i in range(200)], rng.random((200, 8), dtype=np.float32), documents=[f"doc {i}" for i in range(200)])
        db.flush()
        docs.add([f"b{i}" for i in range(100)], rng.random((100, 8), dtype=np.float32), metadata=[{"n": i} for i in range(100)])
        docs.create_index()
        docs.search(np.zeros(8, dtype=np.float32), k=1)


def data_files(path: Path) -> List[Path]:
    return sorted((path / "docs.lance" / "data").iterdir(), key=lambda p: p.stat().st_size, reverse=True)


def kinds(path: Path) -> List[str]:
    with agentdb.connect(path, read_only=True) as db:
        return [p.kind for p in db.verify().problems]


def tree(path: Path) -> dict:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file() and p.name != "LOCK"}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agentdb._cli_admin", *args], capture_output=True, text=True, timeout=120)


def test_a_sound_database_passes(db_path: Path) -> None:
    make_db(db_path)
    with agentdb.connect(db_path) as db:
        report = db.verify()
        assert report.ok and report.problems == []
        assert report.tables >= 1 and report.rows == 300 and report.files >= 3 and report.index_files >= 2
    r = cli("verify", str(db_path))
    assert r.returncode == 0 and "ok: no problems found" in r.stdout, r.stdout + r.stderr
    r = cli("verify", str(db_path), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["ok"] is True


def test_a_flipped_byte_in_a_data_file(db_path: Path) -> None:
    make_db(db_path)
    victim = data_files(db_path)[0]
    raw = bytearray(victim.read_bytes())
    # In the file's structure (its footer): Lance data files carry no checksum of their values,
    # so a flip inside plain values that still decodes is not visible (agentdb.admin says so).
    raw[-2] ^= 0xFF
    victim.write_bytes(bytes(raw))
    before = tree(db_path)
    with agentdb.connect(db_path, read_only=True) as db:
        report = db.verify()
    found = [p for p in report.problems if p.kind == "damaged_data"]
    assert found and victim.name in found[0].file and found[0].store == "docs", report
    assert not report.ok and not found[0].repairable
    assert tree(db_path) == before, "verify changed files"
    r = cli("verify", str(db_path), "--json")
    assert r.returncode == 1
    assert "damaged_data" in [p["kind"] for p in json.loads(r.stdout)["report"]["problems"]]
    r = cli("verify", str(db_path))
    assert r.returncode == 1 and "damaged_data" in r.stdout and victim.name in r.stdout


def test_a_missing_fragment(db_path: Path) -> None:
    make_db(db_path)
    victim = data_files(db_path)[-1]
    victim.unlink()
    assert "missing_file" in kinds(db_path)
    with agentdb.connect(db_path, read_only=True) as db:
        p = next(p for p in db.verify().problems if p.kind == "missing_file")
    assert p.file.endswith(victim.name) and p.store == "docs"
    r = cli("verify", str(db_path))
    assert r.returncode == 1 and "missing_file" in r.stdout


WRITER = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    import agentdb
    db = agentdb.connect(sys.argv[1])
    c = db.create_collection("w", 2, "l2")
    for i in range(20):
        c.add([f"r{i}"], np.array([[i, 1]], dtype=np.float32))
    os._exit(0)  # no close: the writes stay in the log
    """
)


def test_a_damaged_log_record(db_path: Path, tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", WRITER, str(db_path)], check=True, timeout=120)
    segments = sorted((db_path / "_agentdb" / "wal").glob("*.wal"))
    with agentdb.connect(db_path, read_only=True) as db:
        report = db.verify()
    assert report.ok and report.wal_records >= 20, report
    seg = max(segments, key=lambda p: p.stat().st_size)
    raw = bytearray(seg.read_bytes())
    raw[8 + 30] ^= 0x04  # inside the first record's body: records follow, so not a torn tail
    seg.write_bytes(bytes(raw))
    assert kinds(db_path) == ["damaged_wal"]
    r = cli("verify", str(db_path), "--json")
    assert r.returncode == 1
    problem = json.loads(r.stdout)["report"]["problems"][0]
    assert problem["kind"] == "damaged_wal" and problem["file"].endswith(seg.name) and "offset" in problem["detail"]
    # --repair cannot rebuild the log: it needs a writable open, which refuses the damaged log.
    r = cli("verify", str(db_path), "--repair")
    assert r.returncode == 2 and "damaged" in r.stderr
    with pytest.raises(StorageError):
        agentdb.connect(db_path)


def test_a_stale_and_a_damaged_index_and_repair(db_path: Path, tmp_path: Path) -> None:
    make_db(db_path)
    graph = db_path / "_agentdb" / "docs.hnsw"
    old = graph.read_bytes()
    with agentdb.connect(db_path) as db:
        db.get_collection("docs").add(["late"], np.ones((1, 8), dtype=np.float32))
    assert graph.read_bytes() != old
    graph.write_bytes(old)  # the file of an earlier version
    assert kinds(db_path) == ["stale_index"]
    with agentdb.connect(db_path, read_only=True) as db:
        with pytest.raises(ReadOnlyError):
            db.verify(repair=True)
    r = cli("verify", str(db_path))
    assert r.returncode == 1 and "stale_index" in r.stdout and "--repair" in r.stdout
    r = cli("verify", str(db_path), "--repair", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert [(p["kind"], p["repaired"]) for p in out["report"]["problems"]] == [("stale_index", True)]
    assert kinds(db_path) == []
    # A damaged index file: named, and rebuilt by repair; the data is untouched.
    raw = bytearray(graph.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    graph.write_bytes(bytes(raw))
    assert kinds(db_path) == ["damaged_index"]
    with agentdb.connect(db_path) as db:
        report = db.verify(repair=True)
        assert report.ok and [p.kind for p in report.problems] == ["damaged_index"]
        assert db.get_collection("docs").count() == 301
        assert db.get_collection("docs").search(np.ones(8, dtype=np.float32), k=1).ids == ["late"]
    assert kinds(db_path) == []


def test_cli_handlers_directly(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_db(db_path)
    import argparse

    parser = argparse.ArgumentParser(prog="agentdb")
    _cli_admin.register(parser.add_subparsers(dest="verb", required=True))
    args = parser.parse_args(["verify", str(db_path)])
    assert args.handler is _cli_admin.cmd_verify
    assert args.handler(args) == _cli_admin.EXIT_OK
    assert "ok: no problems found" in capsys.readouterr().out
    args = parser.parse_args(["verify", str(db_path / "missing"), "--json"])
    assert args.handler(args) == _cli_admin.EXIT_ERROR
    assert json.loads(capsys.readouterr().out)["ok"] is False


def test_orphan_index_files_are_named_and_removed_by_repair(db_path: Path) -> None:
    make_db(db_path)
    ghost = db_path / "_agentdb" / "ghost.hnsw"
    shutil.copy(db_path / "_agentdb" / "docs.hnsw", ghost)
    assert kinds(db_path) == ["orphan_index"]
    assert ghost.exists(), "verify without repair removed a file"
    with agentdb.connect(db_path) as db:
        report = db.verify(repair=True)
    assert [(p.kind, p.store, p.repaired) for p in report.problems] == [("orphan_index", "ghost", True)]
    assert not ghost.exists() and kinds(db_path) == []
