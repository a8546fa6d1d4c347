"""Stats, health, metrics and logging (agentdb.ops): the figures match what the data holds, the
counters match the calls made, the metrics text parses with the reference Prometheus parser, and
the engine's log records reach Python's logging (quiet at the default level)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Dict, Tuple

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

import agentdb
from agentdb import ops
from agentdb.embed import HashingEmbedder


def samples(text: str) -> Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]:
    """Every sample of the exposition text, keyed by name and sorted labels."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def calls(text: str, op: str, kind: str = "collection") -> float:
    return samples(text)[("agentdb_operations_total", (("kind", kind), ("op", op)))]


def vectors(n: int, dim: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def test_collection_stats_match_the_data(db: agentdb.Database) -> None:
    c = db.create_collection("c", dim=4, metric="l2")
    c.add(ids=[f"r{i}" for i in range(50)], vectors=vectors(50))
    s = c.stats()
    assert s["rows"] + s["buffered_writes"] == 50
    db.flush()
    c.add(ids=[f"s{i}" for i in range(10)], vectors=vectors(10, seed=1))
    c.delete(["r0", "r1"])
    db.flush()
    s = c.stats()
    assert (s["name"], s["kind"], s["dim"], s["metric"]) == ("c", "collection", 4, "l2")
    assert (s["rows"], s["buffered_writes"]) == (58, 0) == (c.count(), 0)
    assert s["fragments"] >= 1 and s["disk_bytes"] > 0 and s["versions"] >= 1
    assert s["index"] == {"kind": None, "state": "none", "memory_bytes": 0, "unindexed_rows": None}
    c.create_index()
    c.search(vectors(1)[0])
    s = c.stats()
    assert s["index"]["kind"] == "hnsw" and s["index"]["memory_bytes"] > 0
    assert s["mirror_rows"] == 58 and s["mirror_bytes"] > 0


def test_database_stats_name_every_store(db: agentdb.Database, db_path: Path) -> None:
    c = db.create_collection("vecs", dim=4)
    c.add(ids=["a", "b", "c"], vectors=vectors(3))
    mem = db.memory("notes", dim=4)
    for i in range(4):
        mem.remember(f"note {i}", agent_id="ag", vector=vectors(1, seed=i)[0])
    rag = db.rag("kb", embedder=HashingEmbedder(16))
    rag.ingest("AgentDB keeps vectors in Lance. " * 20, id="doc")
    db.state.put("ag", "s1", "k", {"v": 1})
    db.flush()

    s = db.stats()
    kinds = {(st["kind"], st["name"]) for st in s["stores"]}
    assert {("collection", "vecs"), ("memory", "notes"), ("rag", "kb")} <= kinds
    assert any(st["kind"] == "state" for st in s["stores"])
    assert s["rows"] == sum(st["table"]["rows"] for st in s["stores"])
    assert s["disk_bytes"] == sum(st["table"]["disk_bytes"] for st in s["stores"])
    assert s["total_disk_bytes"] >= s["disk_bytes"] > 0
    assert s["path"] == str(db_path) and s["read_only"] is False
    assert s["wal"] is not None and s["wal"]["sync_mode"] == db.sync
    vecs = next(st for st in s["stores"] if st["name"] == "vecs")
    assert vecs["table"]["rows"] == 3 and vecs["open"] is not None

    m = mem.stats()
    assert m["name"] == "notes" and m["memories"] == mem.count() == 4
    assert m["collection"]["rows"] == 4 and m["collection"]["kind"] == "internal"
    r = rag.stats()
    assert r["name"] == "kb" and r["chunks"]["rows"] == rag.count() >= 1
    state_tables = db.state.stats()
    assert state_tables and all(t["kind"] == "state" for t in state_tables)
    assert sum(t["table"]["rows"] for t in state_tables) >= 1


def test_stats_of_a_store_not_open_come_from_its_manifest(db_path: Path) -> None:
    with agentdb.connect(db_path) as db:
        db.create_collection("c", dim=4).add(ids=["a", "b"], vectors=vectors(2))
    with agentdb.connect(db_path) as db:
        st = next(s for s in db.stats()["stores"] if s["name"] == "c")
        assert st["table"]["rows"] == 2 and st["open"] is None


def test_get_rag_opens_an_existing_store_without_an_embedder(db: agentdb.Database) -> None:
    db.rag("kb", embedder=HashingEmbedder(16)).ingest("Lance stores columns on disk.", id="d")
    r = db.get_rag("kb")
    assert (r.dim, r.count()) == (16, 1)
    assert [h.doc_id for h in r.search("columns", mode="text")] == ["d"]
    with pytest.raises(agentdb.InvalidArgumentError, match="without an embedder"):
        r.search("columns", mode="vector")
    with pytest.raises(agentdb.InvalidArgumentError, match="without an embedder"):
        r.ingest("more text", id="e")
    with pytest.raises(agentdb.CollectionNotFoundError):
        db.get_rag("nope")


def test_health(db_path: Path) -> None:
    db = agentdb.connect(db_path)
    h = db.health()
    assert (h["status"], h["open"], h["writable"], h["wal_replay"]) == ("ok", True, True, "done")
    assert h["flusher_alive"] is True and h["last_error"] is None and h["uptime_seconds"] >= 0
    db.close()
    h = db.health()
    assert (h["status"], h["open"], h["writable"]) == ("closed", False, False)
    with agentdb.connect(db_path, read_only=True) as ro:
        h = ro.health()
        assert (h["status"], h["writable"], h["wal_replay"], h["flusher_alive"]) == ("ok", False, "none", None)
        assert ro.stats()["wal"] is None


def test_stats_of_a_closed_database_raise(db_path: Path) -> None:
    db = agentdb.connect(db_path)
    c = db.create_collection("c", dim=4)
    db.close()
    with pytest.raises(agentdb.ClosedError):
        db.stats()
    with pytest.raises(agentdb.ClosedError):
        c.stats()


def test_metrics_count_the_calls_made(db: agentdb.Database) -> None:
    c = db.create_collection("c", dim=4)
    c.add(ids=[f"r{i}" for i in range(20)], vectors=vectors(20))
    c.upsert(ids=["r0"], vectors=vectors(1))
    for _ in range(7):
        c.search(vectors(1, seed=3)[0], k=3)
    with pytest.raises(agentdb.DimensionMismatchError):
        c.search(np.ones(3, dtype=np.float32))
    c.delete(["r1"])
    mem = db.memory("m", dim=4)
    mem.remember("x", agent_id="a", vector=vectors(1)[0])
    for _ in range(3):
        mem.recall(vectors(1)[0], agent_id="a")
    db.state.put("a", "s", "k", 1)
    db.state.get("a", "s", "k")

    text = db.metrics_text()
    got = samples(text)
    assert calls(text, "add") == 1
    assert calls(text, "upsert") == 1
    assert calls(text, "search") == 8  # the failed call counts too, and as an error
    assert calls(text, "delete") == 1
    assert calls(text, "remember", "memory") == 1 and calls(text, "recall", "memory") == 3
    assert calls(text, "state_put", "state") == 1 and calls(text, "state_get", "state") == 1
    assert got[("agentdb_operation_errors_total", (("kind", "collection"), ("op", "search")))] == 1
    assert got[("agentdb_errors_total", (("kind", "dimension_mismatch"),))] == 1
    assert got[("agentdb_operation_items_total", (("kind", "collection"), ("op", "add")))] == 20
    assert got[("agentdb_operation_duration_seconds_count", (("kind", "collection"), ("op", "search")))] == 8
    assert got[("agentdb_up", ())] == 1 and got[("agentdb_writable", ())] == 1

    db.metrics_enabled = False
    assert db.metrics_enabled is False
    c.search(vectors(1)[0])
    assert calls(db.metrics_text(), "search") == 8
    db.metrics_enabled = True
    c.search(vectors(1)[0])
    assert calls(db.metrics_text(), "search") == 9


def test_metrics_are_per_database(tmp_path: Path) -> None:
    with agentdb.connect(tmp_path / "a") as a, agentdb.connect(tmp_path / "b") as b:
        a.create_collection("c", dim=4).add(ids=["x"], vectors=vectors(1))
        assert calls(a.metrics_text(), "add") == 1
        assert calls(b.metrics_text(), "add") == 0


def test_engine_logs_reach_python_logging(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="agentdb"):
        db = agentdb.connect(db_path)
        db.create_collection("c", dim=4).add(ids=["a"], vectors=vectors(1))
        db.flush()
        db.close()
        ops.flush_logs()
    records = [r for r in caplog.records if r.name.startswith("agentdb")]
    assert any(r.levelno == logging.INFO and "opened" in r.getMessage() and str(db_path) in r.getMessage() for r in records)
    assert any(r.levelno == logging.DEBUG and "flushed" in r.getMessage() for r in records)


def test_an_index_rebuild_is_logged(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with agentdb.connect(db_path) as db:
        c = db.create_collection("v", dim=4)
        c.add(ids=[f"r{i}" for i in range(40)], vectors=vectors(40))
        c.create_index()
    (db_path / "_agentdb" / "v.hnsw").unlink()
    with caplog.at_level(logging.INFO, logger="agentdb"):
        with agentdb.connect(db_path) as db:
            assert len(db.get_collection("v").search(vectors(1)[0]).ids) == 10
        ops.flush_logs()
    assert any("rebuilt the HNSW index of 'v' (40 rows)" in r.getMessage() for r in caplog.records)


def test_logging_is_quiet_by_default(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="agentdb"):
        with agentdb.connect(db_path) as db:
            db.create_collection("c", dim=4).add(ids=["a"], vectors=vectors(1))
        ops.flush_logs()
    assert [r for r in caplog.records if r.name.startswith("agentdb")] == []


EXIT_WHILE_LOGGING = """
import logging, sys
import numpy as np
import agentdb
logging.basicConfig(level=logging.DEBUG, stream=open("/dev/null", "w"))
db = agentdb.connect(sys.argv[1])
c = db.get_or_create_collection("c", dim=2)
for i in range(20):
    c.upsert(ids=[f"x{i}"], vectors=np.ones((1, 2), dtype=np.float32))
    db.flush()
# No close: the interpreter finalizes while the engine still logs (flusher, close on collection).
"""


def test_exiting_while_the_engine_logs_is_clean(tmp_path: Path) -> None:
    """The records' hand-over must not touch the interpreter as it finalizes: an engine thread
    asking for the GIL then is ended by CPython and aborts the process (this run used to exit
    with SIGABRT about one time in ten)."""
    import subprocess
    import sys

    for i in range(8):
        p = subprocess.run([sys.executable, "-c", EXIT_WHILE_LOGGING, str(tmp_path / f"db{i}")], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, (p.returncode, p.stderr[-2000:])


def test_grafana_dashboard_uses_only_metrics_the_engine_exports(db: agentdb.Database) -> None:
    """examples/grafana/agentdb-dashboard.json cannot drift from the metric names: every name its
    queries use is in the exposition text of a database that did some work."""
    import json
    import re

    dash = json.loads((Path(__file__).resolve().parents[1] / "examples" / "grafana" / "agentdb-dashboard.json").read_text())
    c = db.create_collection("c", dim=2)
    c.add(ids=["a"], vectors=np.ones((1, 2), dtype=np.float32))
    c.search(np.ones(2, dtype=np.float32))
    exported = {s[0] for s in samples(db.metrics_text())}
    used = set()
    for panel in dash["panels"]:
        for target in panel["targets"]:
            used |= set(re.findall(r"\b(agentdb_[a-z_]+)", target["expr"]))
    assert used, "the dashboard queries no metric"
    assert used <= exported, sorted(used - exported)
