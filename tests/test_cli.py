"""The ``agentdb`` command line, driven as a user does: a subprocess running the real entry point
(the installed ``agentdb`` script when there is one, else ``python -m agentdb``), human output
and ``--json``, exit codes, and a metrics server scraped over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import List

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

import agentdb
from agentdb.embed import HashingEmbedder


def entry_point() -> List[str]:
    script = Path(sys.executable).with_name("agentdb")
    if script.exists():
        return [str(script)]
    found = shutil.which("agentdb")
    if found and Path(found).resolve().parent == Path(sys.executable).resolve().parent:
        return [found]
    return [sys.executable, "-m", "agentdb"]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(entry_point() + list(args), capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"agentdb {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p


@pytest.fixture
def populated(db_path: Path) -> Path:
    with agentdb.connect(db_path) as db:
        c = db.create_collection("docs", dim=3, metric="l2")
        c.add(
            ids=["a", "b", "c"],
            vectors=np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32),
            documents=["apple pie", "banana split", "cherry tart"],
            metadata=[{"fruit": "apple"}, {"fruit": "banana"}, {"fruit": "cherry"}],
        )
        mem = db.memory("notes", dim=3)
        mem.remember("the user likes tea", agent_id="ag", vector=np.array([1, 1, 0], dtype=np.float32))
        rag = db.rag("kb", embedder=HashingEmbedder(16))
        rag.ingest("Lance stores columns. AgentDB stores vectors and memories.", id="guide")
        db.state.put("ag", "s1", "mood", "curious")
    return db_path


def test_help_and_version() -> None:
    p = run("--help")
    for verb in ("info", "ls", "inspect", "stats", "health", "search", "compact", "export", "import", "metrics", "backup", "restore", "verify"):
        assert verb in p.stdout
    assert run("--version").stdout.strip() == f"agentdb {agentdb.__version__}"
    for verb in ("info", "search", "metrics"):
        assert "usage: agentdb " + verb in run(verb, "--help").stdout


def test_info_and_ls(populated: Path) -> None:
    p = run("info", str(populated))
    assert "rows:" in p.stdout and "health:     ok" in p.stdout
    info = json.loads(run("info", str(populated), "--json").stdout)
    assert info["stores"]["collection"] == 1 and info["stores"]["memory"] == 1 and info["stores"]["rag"] == 1
    lines = run("ls", str(populated)).stdout.splitlines()
    assert lines[0].split() == ["name", "kind", "rows", "fragments", "versions", "size"]
    names = {line.split()[0]: line.split()[1] for line in lines[2:]}
    assert names == {"docs": "collection", "notes": "memory", "kb": "rag"}
    listed = json.loads(run("ls", str(populated), "--json").stdout)
    assert {s["name"] for s in listed} == {"docs", "notes", "kb"}
    assert next(s for s in listed if s["name"] == "docs")["table"]["rows"] == 3
    every = json.loads(run("ls", str(populated), "--all", "--json").stdout)
    assert "state" in {s["kind"] for s in every} and "state" not in {s["kind"] for s in listed}


def test_inspect_and_stats(populated: Path) -> None:
    data = json.loads(run("inspect", str(populated), "docs", "--json").stdout)
    assert (data["kind"], data["dim"], data["metric"]) == ("collection", 3, "l2")
    assert data["metadata_schema"] == {"fruit": "str"}
    assert [r["id"] for r in data["sample"]] == ["a", "b", "c"]
    assert "first 3:" in run("inspect", str(populated), "docs").stdout
    rag = json.loads(run("inspect", str(populated), "kb", "--json").stdout)
    assert rag["kind"] == "rag" and rag["sample"][0]["doc_id"] == "guide"
    stats = json.loads(run("stats", str(populated), "--json").stdout)
    assert stats["rows"] == sum(s["table"]["rows"] for s in stats["stores"])
    one = json.loads(run("stats", str(populated), "docs", "--json").stdout)
    assert one["rows"] == 3 and one["name"] == "docs"


def test_search_each_kind_of_store(populated: Path) -> None:
    hits = json.loads(run("search", str(populated), "docs", "--vector", "0.9,0.1,0", "-k", "2", "--json").stdout)
    assert [h["id"] for h in hits] == ["a", "b"]
    hits = json.loads(run("search", str(populated), "docs", "--vector", "[0,0,1]", "--where", '{"fruit": "cherry"}', "--json").stdout)
    assert [h["id"] for h in hits] == ["c"]
    text = run("search", str(populated), "docs", "--vector", "1,0,0", "-k", "1").stdout
    assert text.splitlines()[2].split()[0] == "a"
    hits = json.loads(run("search", str(populated), "kb", "--text", "memories", "--json").stdout)
    assert hits and hits[0]["doc_id"] == "guide"
    hits = json.loads(run("search", str(populated), "notes", "--vector", "1,1,0", "--json").stdout)
    assert hits[0]["text"] == "the user likes tea"


def test_errors_exit_2_with_a_message(populated: Path, tmp_path: Path) -> None:
    p = run("info", str(tmp_path / "nowhere"), check=False)
    assert p.returncode == 2 and "no database at" in p.stderr
    p = run("search", str(populated), "missing", "--vector", "1,0,0", check=False)
    assert p.returncode == 2 and "CollectionNotFoundError" in p.stderr
    p = run("search", str(populated), "docs", "--vector", "1,0", "--json", check=False)
    assert p.returncode == 2 and json.loads(p.stderr)["error"] == "DimensionMismatchError"
    p = run("search", str(populated), "docs", check=False)
    assert p.returncode == 2 and "exactly one of --vector and --text" in p.stderr
    p = run("search", str(populated), "docs", "--vector", "x,y", check=False)
    assert p.returncode == 2 and "--vector" in p.stderr
    p = run("frobnicate", check=False)
    assert p.returncode == 2 and "invalid choice" in p.stderr


def test_health_exit_code(populated: Path) -> None:
    h = json.loads(run("health", str(populated), "--json").stdout)
    assert h["status"] == "ok" and h["writable"] is False
    h = json.loads(run("health", str(populated), "--write", "--json").stdout)
    assert h["status"] == "ok" and h["writable"] is True


def test_reads_work_while_a_writer_holds_the_database(populated: Path) -> None:
    with agentdb.connect(populated) as db:
        db.get_collection("docs").add(ids=["d"], vectors=np.array([[1, 1, 1]], dtype=np.float32))
        db.flush()
        listed = json.loads(run("ls", str(populated), "--json").stdout)
        assert next(s for s in listed if s["name"] == "docs")["table"]["rows"] == 4
        p = run("compact", str(populated), check=False)
        assert p.returncode == 2 and "DatabaseLockedError" in p.stderr


def test_compact_merges_fragments(db_path: Path) -> None:
    with agentdb.connect(db_path) as db:
        c = db.create_collection("c", dim=2)
        for i in range(5):
            c.add(ids=[f"r{i}"], vectors=np.array([[i, 1]], dtype=np.float32))
            db.flush()
        assert c.stats()["fragments"] == 5
    out = json.loads(run("compact", str(db_path), "--json").stdout)
    row = next(r for r in out if r["name"] == "c")
    assert (row["fragments_before"], row["fragments_after"]) == (5, 1)
    with agentdb.connect(db_path, read_only=True) as db:
        assert db.get_collection("c").count() == 5


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_metrics_print_and_serve(populated: Path) -> None:
    text = run("metrics", str(populated)).stdout
    names = {f.name for f in text_string_to_metric_families(text)}
    assert {"agentdb_operations", "agentdb_rows", "agentdb_up"} <= names
    proc = subprocess.Popen(
        entry_point() + ["metrics", "--db", str(populated), "--port", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        # A child inherits an ignored or blocked SIGINT, and Python then never raises
        # KeyboardInterrupt: earlier tests in the same run can leave SIGINT so (the full wheel
        # suite did), so the server starts with the disposition a terminal gives it.
        preexec_fn=_default_sigint,
    )
    try:
        line = proc.stderr.readline()
        assert line.startswith("serving http://127.0.0.1:"), line
        url = line.split()[1]
        with urllib.request.urlopen(url, timeout=30) as r:
            assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            scraped = r.read().decode()
        families = {f.name: f for f in text_string_to_metric_families(scraped)}
        rows = {tuple(s.labels.items()): s.value for s in families["agentdb_rows"].samples}
        assert rows[(("kind", "collection"),)] == 3
        with urllib.request.urlopen(url.replace("/metrics", "/health"), timeout=30) as r:
            assert json.loads(r.read())["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130


def test_serve_metrics_in_process(db: agentdb.Database) -> None:
    from agentdb.ops import serve_metrics

    c = db.create_collection("c", dim=2)
    c.add(ids=["a"], vectors=np.array([[1, 0]], dtype=np.float32))
    for _ in range(3):
        c.search(np.array([1, 0], dtype=np.float32))
    with serve_metrics(db, port=0) as server:
        with urllib.request.urlopen(server.url, timeout=30) as r:
            text = r.read().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    ops = {tuple(sorted(s.labels.items())): s.value for s in families["agentdb_operations"].samples}
    assert ops[(("kind", "collection"), ("op", "search"))] == 3
