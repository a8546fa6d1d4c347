"""Cancelling long calls (``agentdb.CancelToken``, and the async API cancelling its call's token
when the awaiting task is cancelled): a cancelled index build leaves the old index serving, a
cancelled backup leaves no point, a cancelled import no store, a cancelled export no file; the
next calls work. Short calls ignore a token."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any, List

import numpy as np
import pytest

import agentdb
from agentdb import aio

DIM = 16
N = 20_000


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, DIM), dtype=np.float32)


def _big(db: agentdb.Database) -> agentdb.Collection:
    col = db.create_collection("big", DIM, metric="l2")
    v = _vectors(N)
    for i in range(0, N, 5000):
        col.add([f"r{j}" for j in range(i, i + 5000)], v[i : i + 5000])
    col.create_index(kind="hnsw", m=4, ef_construction=8)
    return col


def test_a_build_cancelled_from_another_thread_keeps_the_old_index(tmp_path: Path) -> None:
    with agentdb.connect(tmp_path / "db") as db:
        col = _big(db)
        token = agentdb.CancelToken()
        caught: List[BaseException] = []

        def build() -> None:
            try:
                token.run(col.create_index, kind="hnsw", m=48, ef_construction=2000)
            except BaseException as e:  # noqa: BLE001 - handed to the test thread
                caught.append(e)

        worker = threading.Thread(target=build)
        started = time.monotonic()
        worker.start()
        time.sleep(0.1)
        token.cancel()
        worker.join(60)
        assert not worker.is_alive() and time.monotonic() - started < 30
        assert len(caught) == 1 and isinstance(caught[0], agentdb.CancelledError), caught
        assert caught[0].kind == "cancelled" and token.cancelled
        info = col.index
        assert info is not None and (info.kind, info.m, info.ef_construction) == ("hnsw", 4, 8)
        assert col.search(_vectors(N)[0], k=3).ids[0] == "r0"
        assert col.count() == N
        # Short calls ignore the token; a long one under it stops at once; reset, it runs.
        assert token.run(col.count) == N
        with pytest.raises(agentdb.CancelledError):
            token.run(col.search, _vectors(40, 1), k=2)
        token.reset()
        assert len(token.run(col.search, _vectors(40, 1), k=2)) == 40
        token.run(col.create_index, kind="hnsw", m=8, ef_construction=16)
        assert col.index is not None and col.index.m == 8


def test_cancelled_backup_export_import_leave_nothing(tmp_path: Path) -> None:
    with agentdb.connect(tmp_path / "db") as db:
        col = db.create_collection("docs", DIM)
        col.add(["a", "b", "c"], _vectors(3), documents=["x", "y", "z"])
        token = agentdb.CancelToken()
        token.cancel()
        dest = tmp_path / "bk"
        with pytest.raises(agentdb.CancelledError):
            token.run(db.backup, dest)
        assert agentdb.list_backups(dest) == []
        out = tmp_path / "docs.jsonl"
        with pytest.raises(agentdb.CancelledError):
            token.run(db.export_store, "docs", out)
        assert not out.exists()
        db.export_store("docs", out)
        with pytest.raises(agentdb.CancelledError):
            token.run(db.import_store, out, name="copy")
        assert "copy" not in db.list_collections()
        with pytest.raises(agentdb.CancelledError):
            token.run(db.verify)
        # Then everything works.
        assert db.backup(dest).seq == 1
        db.import_store(out, name="copy")
        assert db.get_collection("copy").count() == 3
        assert db.verify().problems == []


@pytest.mark.asyncio
async def test_cancelling_the_awaiting_task_interrupts_the_build(tmp_path: Path) -> None:
    with agentdb.connect(tmp_path / "db") as db:
        _big(db)
    adb = await aio.connect_async(tmp_path / "db")
    col = await adb.get_collection("big")
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(col.create_index(kind="hnsw", m=48, ef_construction=2000), timeout=0.1)
    # close waits for the calls still running: the build has stopped at a safe point.
    await adb.close()
    assert time.monotonic() - started < 30
    with agentdb.connect(tmp_path / "db") as db:
        info = db.get_collection("big").index
        assert info is not None and (info.m, info.ef_construction) == (4, 8)
