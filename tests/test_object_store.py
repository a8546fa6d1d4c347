"""Databases on an object store (``s3://``), against moto's S3 server on loopback, started here.

What is checked: collections, memory, state and RAG written through the local log and flushed
to the store, read back by other processes (read-only, with a staleness bound and ``refresh``);
a writer killed with SIGKILL loses no acknowledged write; the writer lease keeps a second writer
out (on this machine and from another directory, i.e. another machine), is taken over when
released or expired, and a writer whose lease is taken stops acknowledging writes; a store that
fails or is slow gives typed errors and loses no acknowledged write.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import numpy as np
import pytest

import agentdb
from agentdb.embed import HashingEmbedder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from object_store_server import BUCKET, FaultProxy, Moto  # noqa: E402

boto3 = pytest.importorskip("boto3")

CHILD = str(Path(__file__).resolve().parent / "object_store_child.py")
DIM = 8


def vector(i: int) -> np.ndarray:
    return np.random.default_rng(i).standard_normal(DIM).astype(np.float32)


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    server = Moto()
    yield server
    server.stop()


@pytest.fixture
def uri() -> str:
    return f"s3://{BUCKET}/{uuid.uuid4().hex}"


@pytest.fixture
def s3(moto: Moto) -> Any:
    return boto3.client(
        "s3", endpoint_url=moto.endpoint, aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


def keys(s3: Any, uri: str) -> List[str]:
    prefix = uri.split("/", 3)[3] + "/"
    out: List[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        out.extend(o["Key"][len(prefix) :] for o in page.get("Contents", []))
    return out


def child(*args: str, options: Dict[str, Any]) -> "subprocess.Popen[str]":
    return subprocess.Popen(
        [sys.executable, CHILD, args[0], args[1], json.dumps(options), *args[2:]],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )


def read_in_child(uri: str, options: Dict[str, str]) -> Dict[str, Any]:
    p = child("read", uri, options=options)
    out, _ = p.communicate(timeout=120)
    assert p.returncode == 0, out
    return json.loads(out.strip().splitlines()[-1])


def test_every_store_kind_is_written_to_the_store_and_read_by_another_process(moto: Moto, uri: str, s3: Any, tmp_path: Path) -> None:
    opts = moto.storage_options()
    with agentdb.connect(uri, storage_options=opts, wal_dir=tmp_path / "wal") as db:
        assert db.uri == uri
        c = db.create_collection("c", dim=DIM, metric="l2")
        c.add([f"r{i}" for i in range(50)], np.stack([vector(i) for i in range(50)]), documents=[f"doc {i}" for i in range(50)])
        c.create_index("hnsw")
        mem = db.memory("m", dim=DIM)
        mem.remember("the sky is blue", agent_id="a", vector=vector(100))
        db.state.put("agent", "s", "k", {"v": 1})
        rag = db.rag("r", embedder=HashingEmbedder(DIM))
        rag.ingest("object storage keeps the tables", id="d1")
        expected = c.search(vector(7), k=3).ids
        db.flush()
        # The tables are on the store, nothing of them on local disk: only the log and caches.
        stored = keys(s3, uri)
        assert any(k.startswith("c.lance/_versions/") for k in stored), stored
        assert "_agentdb/LEASE" in stored and "_agentdb/c.index.json" in stored
        assert not any(p.suffix == ".lance" for p in (tmp_path / "wal").iterdir())
        # Another process sees what was flushed, while this writer is still open.
        got = read_in_child(uri, opts)
        assert got == {"count": 50, "nearest": expected, "index": "hnsw", "state": {"v": 1}, "memories": 1}
    # After close, in this process too, with a cold local cache (another machine).
    env_cache = os.environ.get("AGENTDB_CACHE_DIR")
    os.environ["AGENTDB_CACHE_DIR"] = str(tmp_path / "other-machine")
    try:
        with agentdb.connect(uri, storage_options=opts, read_only=True) as ro:
            assert ro.get_collection("c").search(vector(7), k=3).ids == expected
            assert [h.doc_id for h in ro.rag("r", embedder=HashingEmbedder(DIM)).search("object storage tables", k=1)] == ["d1"]
            assert ro.memory("m", dim=DIM).count() == 1
            with pytest.raises(agentdb.ReadOnlyError):
                ro.get_collection("c").add(["x"], vector(1)[None, :])
    finally:
        if env_cache is None:
            del os.environ["AGENTDB_CACHE_DIR"]
        else:
            os.environ["AGENTDB_CACHE_DIR"] = env_cache


def test_a_reader_sees_flushed_writes_within_its_interval_and_at_once_after_refresh(moto: Moto, uri: str, tmp_path: Path) -> None:
    opts = moto.storage_options()
    with agentdb.connect(uri, storage_options=opts, wal_dir=tmp_path / "wal") as db:
        c = db.create_collection("c", dim=DIM)
        c.add(["a"], vector(0)[None, :])
        db.flush()
        ro = agentdb.connect(uri, storage_options=opts, read_only=True, read_consistency_interval=60)
        rc = ro.get_collection("c")
        assert rc.count() == 1
        c.add(["b"], vector(1)[None, :])
        db.flush()
        # A 60 s interval: the reader still has the version it loaded...
        assert rc.count() == 1
        ro.refresh()
        assert rc.count() == 2
        assert set(rc.search(vector(1), k=2).ids) == {"a", "b"}
        ro.close()
        # ... and with the default interval (1 s) it catches up by itself.
        ro = agentdb.connect(uri, storage_options=opts, read_only=True)
        rc = ro.get_collection("c")
        assert rc.count() == 2
        c.add(["c"], vector(2)[None, :])
        db.flush()
        deadline = time.monotonic() + 1.0 + 2.0  # the interval, plus slack for a loaded machine
        while rc.count() != 3:
            assert time.monotonic() < deadline, "the reader did not see the flushed write within its interval"
            time.sleep(0.05)
        ro.close()


def test_a_killed_writer_loses_no_acknowledged_write(moto: Moto, uri: str, tmp_path: Path) -> None:
    opts = moto.storage_options()
    wal = tmp_path / "wal"
    p = child("writer", uri, str(wal), options=opts)
    acked = -1
    assert p.stdout is not None
    for line in p.stdout:
        if line.startswith("ACK"):
            acked = int(line.split()[1])
            if acked >= 60:
                break
    p.send_signal(signal.SIGKILL)
    p.wait()
    # The same machine and directory takes over at once (its local lock proves the holder dead)
    # and replays the log: every acknowledged record is there.
    with agentdb.connect(uri, storage_options=opts, wal_dir=wal) as db:
        c = db.get_collection("c")
        got = set(c.get([f"r{i}" for i in range(acked + 1)]).ids)
        assert got == {f"r{i}" for i in range(acked + 1)}
        db.flush()
    assert read_in_child(uri, opts)["count"] >= acked + 1


def test_the_lease_keeps_a_second_writer_out(moto: Moto, uri: str, s3: Any, tmp_path: Path) -> None:
    opts = moto.storage_options()
    holder = child("hold", uri, str(tmp_path / "a"), options=opts)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "OPEN"
    # Another directory is another machine to the lease.
    other = child("open", uri, str(tmp_path / "b"), options=opts)
    out, _ = other.communicate(timeout=120)
    assert out.startswith("ERROR DatabaseLockedError"), out
    assert "is open for writing on" in out
    # In this process as well, and from the holder's directory (its local lock).
    with pytest.raises(agentdb.DatabaseLockedError):
        agentdb.connect(uri, storage_options=opts, wal_dir=tmp_path / "c")
    with pytest.raises(agentdb.DatabaseLockedError):
        agentdb.connect(uri, storage_options=opts, wal_dir=tmp_path / "a")
    # A clean close releases it: the next writer, anywhere, gets it at once.
    assert holder.stdin is not None
    holder.stdin.close()
    assert holder.wait(60) == 0
    lease = json.loads(s3.get_object(Bucket=BUCKET, Key=uri.split("/", 3)[3] + "/_agentdb/LEASE")["Body"].read())
    assert lease["released"] is True
    agentdb.connect(uri, storage_options=opts, wal_dir=tmp_path / "b").close()


def test_an_expired_lease_is_taken_over_and_its_old_holder_stops_writing(moto: Moto, uri: str, s3: Any, tmp_path: Path) -> None:
    opts = moto.storage_options()
    ttl = 3.0
    # A holder killed without closing: from another directory, the lease is taken once it expires.
    holder = child("hold", uri, str(tmp_path / "a"), options={**opts, "_lease_ttl": ttl})
    assert holder.stdout is not None and holder.stdout.readline().strip() == "OPEN"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    killed = time.monotonic()
    with pytest.raises(agentdb.DatabaseLockedError):
        agentdb.connect(uri, storage_options=opts, wal_dir=tmp_path / "b", lease_ttl=ttl)
    while True:
        try:
            db = agentdb.connect(uri, storage_options=opts, wal_dir=tmp_path / "b", lease_ttl=ttl)
            break
        except agentdb.DatabaseLockedError:
            assert time.monotonic() - killed < ttl + 10, "the expired lease was not taken over"
            time.sleep(0.2)
    assert time.monotonic() - killed >= ttl * 0.5
    c = db.create_collection("c", dim=DIM)
    c.add(["a"], vector(0)[None, :])
    # Someone takes the lease from under this writer (as a writer that judged it expired would):
    # its next renewal finds another e-tag, and from then on it refuses writes and flushes.
    key = uri.split("/", 3)[3] + "/_agentdb/LEASE"
    body = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    body.update(holder="thief", host="elsewhere", local_dir="/elsewhere", expires_at_ms=int(time.time() * 1000) + 600_000)
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(body).encode())
    deadline = time.monotonic() + ttl + 5
    while True:
        try:
            c.add([f"x{time.monotonic_ns()}"], vector(1)[None, :])
        except agentdb.DatabaseLockedError as e:
            assert "lost the lease" in str(e)
            break
        assert time.monotonic() < deadline, "the writer kept writing after losing its lease"
        time.sleep(0.1)
    with pytest.raises(agentdb.DatabaseLockedError):
        db.flush()
    db.close()


def test_a_failing_or_slow_store_gives_errors_and_loses_no_acknowledged_write(moto: Moto, uri: str, tmp_path: Path) -> None:
    proxy = FaultProxy(moto.port)
    try:
        # Few retries, short timeouts: the errors come within seconds.
        opts = {**moto.storage_options(proxy.endpoint), "client_max_retries": "1", "client_retry_timeout": "5", "timeout": "5s"}
        wal = tmp_path / "wal"
        db = agentdb.connect(uri, storage_options=opts, wal_dir=wal)
        c = db.create_collection("c", dim=DIM)
        c.add(["before"], vector(0)[None, :])
        db.flush()
        proxy.mode = "fail"
        # Writes are acknowledged from the local log while the store fails; flushes fail, typed.
        acked = []
        for i in range(20):
            # upsert: an add would look the id up in the table, which is behind the failing store
            c.upsert([f"down{i}"], vector(i)[None, :])
            acked.append(f"down{i}")
        with pytest.raises(agentdb.StorageError):
            db.flush()
        # A slow store: a flush waits, then succeeds.
        proxy.mode, proxy.delay = "slow", 0.2
        db.flush()
        proxy.mode = "fail"
        c.upsert(["last"], vector(99)[None, :])
        acked.append("last")
        # Closed while the store is down: the last flush fails, the writes stay in the local log
        # and the lease is left to expire (not released: this directory still holds writes).
        db.close()
        # An open against the failing store is a clear storage error, not a hang.
        start = time.monotonic()
        with pytest.raises(agentdb.StorageError):
            agentdb.connect(uri, storage_options=opts, wal_dir=tmp_path / "other")
        assert time.monotonic() - start < 60
        proxy.mode = "pass"
        with agentdb.connect(uri, storage_options=opts, wal_dir=wal) as again:
            got = set(again.get_collection("c").get(["before", *acked]).ids)
            assert got == {"before", *acked}
        assert read_in_child(uri, moto.storage_options())["count"] == 1 + len(acked)
    finally:
        proxy.stop()


def test_bad_uris_and_local_only_operations_are_typed_errors(moto: Moto, uri: str, tmp_path: Path) -> None:
    opts = moto.storage_options()
    with pytest.raises(agentdb.InvalidArgumentError, match="not built"):
        agentdb.connect("gs://bucket/x")
    with pytest.raises(agentdb.InvalidArgumentError):
        agentdb.connect("ftp://bucket/x")
    with pytest.raises(agentdb.InvalidArgumentError):
        agentdb.connect(uri, storage_options=opts, wal_dir=tmp_path / "w", lease_ttl=1)
    with pytest.raises(agentdb.InvalidArgumentError):
        agentdb.connect(uri, storage_options=opts, wal_dir=tmp_path / "w", lease_ttl=-1)
    with agentdb.connect(uri, storage_options=opts, wal_dir=tmp_path / "w") as db:
        with pytest.raises(agentdb.InvalidArgumentError, match="local disk"):
            db.backup(tmp_path / "backup")
        with pytest.raises(agentdb.InvalidArgumentError, match="local disk"):
            db.verify()
    # One local directory holds one database's log.
    with pytest.raises(agentdb.InvalidArgumentError, match="holds the log of"):
        agentdb.connect(uri + "-other", storage_options=opts, wal_dir=tmp_path / "w")
    # No such bucket: a storage error at open.
    with pytest.raises(agentdb.StorageError):
        agentdb.connect("s3://no-such-bucket-agentdb/x", storage_options=opts, wal_dir=tmp_path / "nb")
