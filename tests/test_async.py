"""The asyncio API (``agentdb.aio``): every async method against its sync twin, the tables of
async methods against the sync classes, an event loop that never stalls under load, and
cancellation / timeouts that leave no half write and no thread behind."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import inspect
import os
import time
from pathlib import Path
from typing import Any, Dict, List, Set

import numpy as np
import pytest

import agentdb
from agentdb import aio
from agentdb.embed import HashingEmbedder

DIM = 8
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
# Fields that hold the wall-clock time of a write: two twin writes a moment apart differ there.
_CLOCK_FIELDS = {"created_at", "updated_at", "accessed_at", "last_accessed", "written_at", "ingested_at", "expires_at", "at", "uptime_seconds", "seconds", "elapsed_seconds", "duration_seconds"}


def _threads() -> int:
    """The async worker threads of this process (the pool names its OS threads ``agentdb-aio``;
    ``threading`` does not see Rust threads, and the engine's runtime grows and shrinks its own
    blocking threads, so all threads would not make a stable count)."""
    n = 0
    for task in os.listdir("/proc/self/task"):
        try:
            n += Path(f"/proc/self/task/{task}/comm").read_text().strip() == "agentdb-aio"
        except OSError:  # the thread ended meanwhile
            pass
    return n


def _norm(x: Any) -> Any:
    """A comparable form of an API result (numpy arrays as lists, result objects as dicts)."""
    if isinstance(x, aio._AsyncHandle):
        x = x.as_sync()
    if isinstance(x, (agentdb.Collection, agentdb.Memory, agentdb.Rag, agentdb.State)):
        return ("handle", repr(x))
    if isinstance(x, np.ndarray):
        return np.round(x.astype(np.float64), 5).tolist()
    if isinstance(x, (np.floating, float)):
        return round(float(x), 5)
    if isinstance(x, dict):
        return {k: _norm(v) for k, v in x.items() if k not in _CLOCK_FIELDS}
    if isinstance(x, (list, tuple)):
        return [_norm(v) for v in x]
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return _norm({f.name: getattr(x, f.name) for f in dataclasses.fields(x)})
    slots = [s for c in type(x).__mro__ for s in getattr(c, "__slots__", ())]
    if slots and not isinstance(x, (str, bytes)):
        return {"__type__": type(x).__name__, **_norm({s: getattr(x, s) for s in slots if not s.startswith("_")})}
    return x


def _rename(x: Any, old: str, new: str) -> Any:
    """``x`` with every string ``old`` in it replaced by ``new``."""
    if isinstance(x, dict):
        return {k: _rename(v, old, new) for k, v in x.items()}
    if isinstance(x, list):
        return [_rename(v, old, new) for v in x]
    return new if x == old else x


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


class Twins:
    """Calls an async method and its sync twin and records which methods were compared."""

    def __init__(self) -> None:
        self.seen: Dict[str, Set[str]] = {}

    async def read(self, obj: aio._AsyncHandle, name: str, *args: Any, **kwargs: Any) -> Any:
        """The same read through the async handle and its sync object: equal results."""
        got = await getattr(obj, name)(*args, **kwargs)
        want = getattr(obj.as_sync(), name)(*args, **kwargs)
        assert _norm(got) == _norm(want), name
        self.seen.setdefault(type(obj).__name__, set()).add(name)
        return got

    async def write(self, a: aio._AsyncHandle, s: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        """The same write into two stores, async into ``a``, sync into ``s``: equal results."""
        got = await getattr(a, name)(*args, **kwargs)
        want = getattr(s, name)(*args, **kwargs)
        assert _norm(got) == _norm(want), name
        self.seen.setdefault(type(a).__name__, set()).add(name)
        return got

    def check_all(self, cls: type) -> None:
        assert self.seen.get(cls.__name__, set()) == set(cls._METHODS), cls.__name__


# -- the method tables -------------------------------------------------------------------------

_CLASSES = [aio.AsyncDatabase, aio.AsyncCollection, aio.AsyncMemory, aio.AsyncState, aio.AsyncRag, aio.AsyncGraph]
_DUNDERS = {"__len__", "__contains__", "__enter__", "__exit__", "__iter__", "__getitem__"}


def _missing(async_cls: type, sync_cls: type) -> List[str]:
    """Public members of ``sync_cls`` that ``async_cls`` neither wraps nor excludes."""
    missing = []
    for name, member in inspect.getmembers(sync_cls):
        if name.startswith("_") and name not in _DUNDERS:
            continue
        if name in async_cls._EXCLUDED or name in async_cls._METHODS:
            continue
        if isinstance(member, property) and isinstance(inspect.getattr_static(async_cls, name, None), property):
            continue
        own = async_cls.__dict__.get(name)
        if own is not None and (inspect.iscoroutinefunction(own) or inspect.isasyncgenfunction(own)):
            continue
        if name in _DUNDERS and name not in vars(sync_cls):
            continue  # inherited from object
        missing.append(name)
    return missing


@pytest.mark.parametrize("cls", _CLASSES, ids=lambda c: c.__name__)
def test_every_sync_method_has_an_async_twin(cls: type) -> None:
    assert _missing(cls, cls._sync_class) == []
    for name in cls._METHODS:
        assert callable(getattr(cls._sync_class, name)), name
        assert inspect.iscoroutinefunction(getattr(cls, name)), name
        assert inspect.signature(getattr(cls, name)) == inspect.signature(getattr(cls._sync_class, name)), name


def test_a_new_sync_method_without_twin_fails_the_check() -> None:
    class Grown(agentdb.Collection):
        def frobnicate(self) -> Dict[str, Any]:
            return {}

    assert _missing(aio.AsyncCollection, Grown) == ["frobnicate"]


# -- twins on the same data ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_database_and_collection_twins(tmp_path: Path) -> None:
    t = Twins()
    async with aio.connect_async(tmp_path / "db") as db:
        assert isinstance(db, aio.AsyncDatabase)
        assert db.path == db.as_sync().path and db.closed is False and db.read_only is False
        s = db.as_sync()
        ca = await db.create_collection("a", DIM)
        cs = s.create_collection("b", DIM)
        assert isinstance(ca, aio.AsyncCollection) and (ca.dim, ca.metric) == (cs.dim, cs.metric)
        t.seen["AsyncDatabase"] = {"create_collection"}
        assert isinstance(await t.read(db, "get_collection", "a"), aio.AsyncCollection)
        assert isinstance(await t.read(db, "get_or_create_collection", "a", DIM), aio.AsyncCollection)
        await t.read(db, "list_collections")
        vecs = _vectors(300)
        ids = [f"r{i}" for i in range(300)]
        meta = [{"i": i, "even": i % 2 == 0} for i in range(300)]
        docs = [f"doc {i}" for i in range(300)]
        for c in (ca, cs):
            assert c.name in ("a", "b") and c.dim == DIM
        await t.write(ca, cs, "add", ids[:200], vecs[:200], documents=docs[:200], metadata=meta[:200])
        await t.write(ca, cs, "upsert", ids[150:], vecs[150:], documents=docs[150:], metadata=meta[150:])
        await t.write(ca, cs, "delete", ["r0", "r1"])
        await t.write(ca, cs, "delete", where={"i": {"$gte": 290}})
        await t.read(ca, "count")
        await t.read(ca, "count", where={"even": True})
        await t.read(ca, "get", ["r5", "r7", "nope"])
        await t.read(ca, "get", where={"even": False}, limit=10, offset=5)
        await t.read(ca, "search", vecs[3], k=5)
        await t.read(ca, "search", vecs[:4], k=3, where={"even": True})
        await t.read(ca, "text_search", "doc 7", k=5)
        await t.read(ca, "hybrid_search", vecs[7], "doc 7", k=5, where={"even": False})
        await t.write(ca, cs, "set_text_tokenizer", "ngram:2")
        assert ca.text_tokenizer == cs.text_tokenizer == "ngram:2-2"
        await t.read(ca, "text_search", "doc 7", k=5)
        # staged write: each twin stages its own part (bytes name the collection), then commits
        part_a = await ca.stage(["s1", "s2"], vecs[:2], documents=docs[:2], metadata=meta[:2])
        part_s = cs.stage(["s1", "s2"], vecs[:2], documents=docs[:2], metadata=meta[:2])
        assert isinstance(part_a, bytes)
        assert await ca.commit_staged([part_a]) == cs.commit_staged([part_s]) == 2
        t.seen.setdefault("AsyncCollection", set()).update({"stage", "commit_staged"})
        await t.write(ca, cs, "create_index", "hnsw")
        assert ca.index is not None
        await t.read(ca, "search", vecs[9], k=5)
        await t.write(ca, cs, "drop_index")
        assert _norm(await ca.get()) == _norm(cs.get())  # the twin writes left equal data
        records = [r async for r in ca.iter(batch_size=7)]
        assert [r.id for r in records] == ca.as_sync().get().ids
        assert [r.id async for r in ca.iter(batch_size=1000, where={"even": True})] == ca.as_sync().get(where={"even": True}).ids
        with pytest.raises(agentdb.InvalidArgumentError):
            [r async for r in ca.iter(batch_size=0)]
        # errors are the sync API's
        with pytest.raises(agentdb.CollectionNotFoundError):
            await db.get_collection("nope")
        with pytest.raises(agentdb.DimensionMismatchError):
            await ca.add(["x"], np.zeros((1, DIM + 1), dtype=np.float32))
        with pytest.raises(agentdb.DuplicateIdError):
            await ca.add(["r5"], vecs[:1])
        await t.write(db, s, "flush")
        await db.create_collection("c", DIM)
        await db.create_collection("d", DIM)
        assert await db.drop_collection("c") is None
        s.drop_collection("d")
        t.seen["AsyncDatabase"].add("drop_collection")
        await t.read(db, "list_memories")
        await t.read(db, "list_rags")
        await db.memory("m1", dim=DIM)
        await db.memory("m2", dim=DIM)
        assert await db.drop_memory("m1") is None and s.drop_memory("m2") is None
        await db.rag("g1", embedder=HashingEmbedder(DIM))
        await db.rag("g2", embedder=HashingEmbedder(DIM))
        assert await db.drop_rag("g1") is None and s.drop_rag("g2") is None
        t.seen["AsyncDatabase"] |= {"drop_memory", "drop_rag"}
        assert await db.list_memories() == s.list_memories() == []
    assert db.closed
    with pytest.raises(agentdb.ClosedError):
        await ca.count()
    t.seen["AsyncDatabase"] |= {"memory", "rag", "get_rag"}  # test_memory_twins, test_rag_twins
    t.seen["AsyncDatabase"] |= {"graph", "list_graphs", "drop_graph"}  # test_graph_twins
    await _operations_twins(tmp_path, t)
    t.check_all(aio.AsyncDatabase)
    t.check_all(aio.AsyncCollection)


async def _operations_twins(tmp_path: Path, t: Twins) -> None:
    """stats, health, metrics, optimize, export/import, backup, verify: async vs sync."""
    async with aio.connect_async(tmp_path / "ops") as db:
        s = db.as_sync()
        col = await db.create_collection("c", DIM)
        await col.add([f"r{i}" for i in range(50)], _vectors(50))
        mem = await db.memory("m", dim=DIM)
        await mem.remember(vector=_vectors(1)[0], agent_id="a", id="x")
        rag = await db.rag("g", embedder=HashingEmbedder(DIM))
        await rag.ingest("stats for a rag store", id="d")
        await db.state.put("a", "s", "k", 1)
        await t.write(col, col.as_sync(), "optimize")
        await t.read(col, "stats")
        await t.read(mem, "stats")
        await t.read(db.state, "stats")
        await t.read(rag, "stats")
        await t.write(db, s, "optimize")
        await t.read(db, "store_kind", "m")
        await t.read(db, "stats")
        await t.read(db, "health")
        assert "agentdb" in await db.metrics_text()
        t.seen["AsyncDatabase"].add("metrics_text")  # counters move between two reads
        db.metrics_enabled = db.metrics_enabled  # a forwarded property with a setter
        got = await db.export_store("c", tmp_path / "a.jsonl", progress=False)
        want = s.export_store("c", tmp_path / "s.jsonl", progress=False)
        # The file header carries the export's time; the records must be the same.
        assert _rename(_norm(got), str(tmp_path / "a.jsonl"), str(tmp_path / "s.jsonl")) == _norm(want)
        assert (tmp_path / "a.jsonl").read_text().splitlines()[1:] == (tmp_path / "s.jsonl").read_text().splitlines()[1:]
        got = await db.import_store(tmp_path / "a.jsonl", name="ia", progress=False)
        want = s.import_store(tmp_path / "s.jsonl", name="is", progress=False)
        assert _rename(_norm(got), "ia", "is") == _norm(want)
        t.seen["AsyncDatabase"] |= {"export_store", "import_store"}
        rg = await db.get_rag("g", embedder=HashingEmbedder(DIM))
        assert isinstance(rg, aio.AsyncRag) and await rg.count() == 1
        point = await db.backup(tmp_path / "backup-a")
        assert type(point) is type(s.backup(tmp_path / "backup-s"))
        await t.read(db, "verify")
        t.seen["AsyncDatabase"] |= {"backup"}
        await t.read(db, "refresh")  # writable: nothing to catch up on (tests/test_object_store.py)
        with pytest.raises(agentdb.CollectionNotFoundError):
            await db.store_kind("nope")
        try:
            import lancedb  # noqa: F401
        except ImportError:
            t.seen["AsyncDatabase"].add("import_lancedb")  # the sync tests cover it when installed
        else:
            ldb = lancedb.connect(str(tmp_path / "lance"))
            ldb.create_table("t", [{"id": "a", "vector": [0.5] * DIM, "text": "hi"}])
            got = await db.import_lancedb(tmp_path / "lance", "t", name="la", progress=False)
            want = s.import_lancedb(tmp_path / "lance", "t", name="ls", progress=False)
            assert _rename(_norm(got), "la", "ls") == _norm(want)
            t.seen["AsyncDatabase"].add("import_lancedb")
        try:
            import chromadb
        except ImportError:
            t.seen["AsyncDatabase"].add("import_chroma")  # the sync tests cover it when installed
        else:
            src = chromadb.PersistentClient(path=str(tmp_path / "chroma")).create_collection("notes")
            src.add(ids=["a", "b"], embeddings=[[0.5] * DIM, [0.25] * DIM], documents=["x", "y"])
            got = await db.import_chroma(tmp_path / "chroma", "notes", name="ca", progress=False)
            want = s.import_chroma(tmp_path / "chroma", "notes", name="cs", progress=False)
            assert _rename(_norm(got), "ca", "cs") == _norm(want)
            t.seen["AsyncDatabase"].add("import_chroma")


@pytest.mark.asyncio
async def test_memory_twins(tmp_path: Path) -> None:
    t = Twins()
    async with aio.connect_async(tmp_path / "db") as db:
        ma = await db.memory("a", embedder=HashingEmbedder(DIM))
        assert isinstance(ma, aio.AsyncMemory) and ma.dim == DIM and ma.name == "a"
        ms = db.as_sync().memory("b", embedder=HashingEmbedder(DIM))
        texts = ["the cat sat", "dogs bark loudly", "the cat purrs", "rain in spain", "cats and dogs"]
        await t.write(ma, ms, "set_text_tokenizer", "icu")
        assert ma.text_tokenizer == "icu"
        for i, text in enumerate(texts[:3]):
            await t.write(ma, ms, "remember", text, agent_id="ag", id=f"m{i}", importance=0.1 * i, created_at=NOW)
        items = [{"text": x, "id": f"m{i + 3}", "created_at": NOW} for i, x in enumerate(texts[3:])]
        await t.write(ma, ms, "remember_many", items, agent_id="ag", session_id="s1")
        await t.write(ma, ms, "update", "m1", importance=0.9)
        await t.read(ma, "recall", "cat", k=3, agent_id="ag", touch=False, now=NOW)
        await t.read(ma, "get", ["m0", "m4"])
        await t.read(ma, "count", agent_id="ag")
        await t.write(ma, ms, "forget", ["m2"])
        await t.write(ma, ms, "consolidate", agent_id="ag", capacity=3, now=NOW)
        assert _norm(await ma.recall("cat", k=5, agent_id="ag", touch=False, now=NOW)) == _norm(
            ms.recall("cat", k=5, agent_id="ag", touch=False, now=NOW)
        )
        await t.write(ma, ms, "flush")
        await t.write(ma, ms, "start_background", 3600.0)
        assert ma.background_running
        await t.write(ma, ms, "stop_background")
        await t.write(ma, ms, "last_background_run")
        with pytest.raises(agentdb.InvalidArgumentError):
            await ma.recall("cat", k=0, agent_id="ag")
    t.seen["AsyncMemory"].add("stats")  # _operations_twins
    t.check_all(aio.AsyncMemory)


@pytest.mark.asyncio
async def test_state_twins(tmp_path: Path) -> None:
    t = Twins()
    async with aio.connect_async(tmp_path / "db") as db:
        sa = db.state
        assert isinstance(sa, aio.AsyncState)
        ss = db.as_sync().state

        # State is one per database: the twins write under different agent/thread ids.
        async def w(name: str, *args: Any, **kwargs: Any) -> None:
            got = await getattr(sa, name)("A", *args, **kwargs)
            want = getattr(ss, name)("S", *args, **kwargs)
            assert _norm(got) == _rename(_norm(want), "S", "A"), name
            t.seen.setdefault("AsyncState", set()).add(name)

        await w("put", "s1", "k", {"v": 1})
        await w("put", "s1", "k", {"v": 2}, ttl=3600)
        await w("put_many", "s1", {"x": [1, 2], "y": "z"})
        await w("get", "s1", "k")
        await w("get_version", "s1", "k", version=1)
        await w("history", "s1", "k")
        await w("snapshot", "s1")
        await w("keys", "s1")
        await w("sessions")
        await w("delete", "s1", "y")
        await w("set_session_ttl", "s2", 60)
        await w("session_ttl", "s2")
        await w("purge", "s1")
        await t.write(sa, ss, "sweep")
        await t.write(sa, ss, "flush")
        await w("put_checkpoint", "c1", b"blob", metadata={"step": 1})
        await w("get_checkpoint")
        await w("list_checkpoints")
        await w("put_writes", "", "c1", "task", [(0, "chan", "json", b"x")])
        await w("get_writes", "", "c1")
        await w("delete_thread")
        with pytest.raises(agentdb.InvalidArgumentError):
            await sa.put("", "s", "k", 1)
    t.seen["AsyncState"].add("stats")  # _operations_twins
    t.check_all(aio.AsyncState)


@pytest.mark.asyncio
async def test_rag_twins(tmp_path: Path) -> None:
    t = Twins()
    files = tmp_path / "files"
    files.mkdir()
    # No sentence repeats: equal chunks would tie, and ties may rank in any order.
    (files / "one.txt").write_text(" ".join(f"Fact {i}: Paris is the capital of France, {i} times over." for i in range(20)))
    (tmp_path / "alone.txt").write_text(" ".join(f"Berlin note {i}: the river Spree, bridge {i}." for i in range(15)))
    (files / "two.md").write_text("# Rust\n\n" + " ".join(f"Rust point {i} is about systems language {i}." for i in range(20)))
    async with aio.connect_async(tmp_path / "db") as db:
        ra = await db.rag("a", embedder=HashingEmbedder(DIM), chunk_size=40)
        rs = db.as_sync().rag("b", embedder=HashingEmbedder(DIM), chunk_size=40)
        assert isinstance(ra, aio.AsyncRag) and ra.dim == DIM
        await t.write(ra, rs, "ingest", " ".join(f"Cat {i} is a small feline." for i in range(30)), id="cats", metadata={"topic": "pets"})
        docs = [{"id": f"d{i}", "text": " ".join(f"Document {i} line {j} talks about topic {i % 3}." for j in range(10))} for i in range(6)]
        await t.write(ra, rs, "ingest_documents", docs, batch_size=4)
        await t.write(ra, rs, "ingest_file", tmp_path / "alone.txt", id="alone")
        await t.write(ra, rs, "ingest_directory", files, progress=False)
        await t.write(ra, rs, "set_text_tokenizer", "ngram")
        assert ra.text_tokenizer == "ngram:2-3"
        await t.write(ra, rs, "update_text_index")
        await t.write(ra, rs, "search", "capital of France", k=4)
        await t.write(ra, rs, "context", "feline", 120, k=3)
        await t.write(ra, rs, "documents")
        await t.write(ra, rs, "count")
        await t.write(ra, rs, "delete", ["d1", "d2"])
        await t.read(ra, "search", "topic 1", k=3, mode="vector")
        await t.read(ra, "count")
    t.seen["AsyncRag"].add("stats")  # _operations_twins
    t.check_all(aio.AsyncRag)


@pytest.mark.asyncio
async def test_async_embedder_runs_on_the_loop(tmp_path: Path) -> None:
    sync_embedder = HashingEmbedder(DIM)
    calls: List[Any] = []

    class AsyncEmbedder:
        dim = DIM

        async def __call__(self, texts: List[str]) -> np.ndarray:
            calls.append(asyncio.get_running_loop())
            await asyncio.sleep(0)
            return sync_embedder(texts)

    async with aio.connect_async(tmp_path / "db") as db:
        m = await db.memory("m", embedder=AsyncEmbedder())
        await m.remember("hello world", agent_id="a", id="h")
        hits = await m.recall("hello world", k=1, agent_id="a")
        assert hits[0].id == "h"
        assert calls and all(loop is asyncio.get_running_loop() for loop in calls)
        rag = await db.rag("r", embedder=AsyncEmbedder())
        await rag.ingest("a text about embedders", id="t")
        assert (await rag.search("embedders", k=1))[0].doc_id == "t"


# -- the event loop stays free -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_event_loop_never_stalls_under_200_tasks(tmp_path: Path) -> None:
    async with aio.connect_async(tmp_path / "db") as db:
        col = await db.create_collection("c", DIM)
        await col.add([f"r{i}" for i in range(2000)], _vectors(2000))
        mem = await db.memory("m", dim=DIM)
        await mem.remember_many([{"vector": v, "text": f"t{i}"} for i, v in enumerate(_vectors(200, 1))], agent_id="a")
        worst = 0.0
        stop = asyncio.Event()

        async def heartbeat() -> None:
            nonlocal worst
            while not stop.is_set():
                t0 = time.perf_counter()
                await asyncio.sleep(0.005)
                worst = max(worst, time.perf_counter() - t0 - 0.005)

        async def work(i: int) -> None:
            q = _vectors(1, 100 + i)[0]
            if i % 3 == 0:
                await col.search(q, k=10)
            elif i % 3 == 1:
                await mem.recall(q, k=5, agent_id="a")
            else:
                await col.upsert([f"w{i}"], q[None, :])

        hb = asyncio.create_task(heartbeat())
        await asyncio.gather(*(work(i) for i in range(200)))
        stop.set()
        await hb
        assert await col.count() == 2000 + len(range(2, 200, 3))
        assert worst < 0.5, worst


# -- cancellation, timeouts, leaks ---------------------------------------------------------------


@pytest.mark.asyncio
async def test_cancelled_and_timed_out_writes_complete_in_full(tmp_path: Path) -> None:
    baseline = _threads()
    db = await aio.connect_async(tmp_path / "db", threads=2)
    col = await db.create_collection("c", DIM)
    n = 20000
    batches = [([f"b{j}-{i}" for i in range(n)], _vectors(n, j)) for j in range(4)]
    tasks = [asyncio.create_task(col.add(ids, vecs)) for ids, vecs in batches]
    await asyncio.sleep(0.01)
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(col.add([f"t{i}" for i in range(n)], _vectors(n, 9)), timeout=0.001)
    # A search timed out / cancelled is just dropped.
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(col.search(_vectors(1)[0], k=10), timeout=0)
    # Calls already handed to the pool run to completion: close waits for them; every batch
    # is then all there (never part of one).
    await db.close()
    with agentdb.connect(tmp_path / "db", read_only=True) as check:
        c = check.get_collection("c")
        for ids, _ in batches + [([f"t{i}" for i in range(n)], None)]:
            assert len(c.get(ids[:1] + ids[-1:]).ids) == 2
        assert c.count() == 5 * n
    assert _threads() == baseline
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []


@pytest.mark.asyncio
async def test_database_stays_usable_after_cancellations(tmp_path: Path) -> None:
    async with aio.connect_async(tmp_path / "db") as db:
        col = await db.create_collection("c", DIM)
        await col.add(["a"], _vectors(1))
        for _ in range(20):
            task = asyncio.create_task(col.search(_vectors(1)[0], k=1))
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert (await col.search(_vectors(1)[0], k=1)).ids == ["a"]
        await col.upsert(["b"], _vectors(1, 3))
        assert await col.count() == 2


@pytest.mark.asyncio
async def test_close_ends_the_threads_and_twice_is_harmless(tmp_path: Path) -> None:
    baseline = _threads()
    db = await aio.connect_async(tmp_path / "db", threads=4)
    col = await db.create_collection("c", DIM)
    await asyncio.gather(*(col.count() for _ in range(50)))
    assert 1 <= db._runner.threads <= 4
    assert _threads() > baseline
    await db.close()
    await db.close()
    assert db.closed and _threads() == baseline
    with pytest.raises(agentdb.ClosedError):
        await col.count()


@pytest.mark.asyncio
async def test_connect_errors_and_bad_threads(tmp_path: Path) -> None:
    with pytest.raises(agentdb.InvalidArgumentError):
        await aio.connect_async(tmp_path / "db", sync="sometimes")
    with pytest.raises(agentdb.InvalidArgumentError):
        await aio.connect_async(tmp_path / "db", threads=0)
    with pytest.raises(agentdb.InvalidArgumentTypeError):
        await aio.connect_async(tmp_path / "db", threads="4")  # type: ignore[arg-type]
    async with aio.connect_async(tmp_path / "db"):
        with pytest.raises(agentdb.DatabaseLockedError):
            await aio.connect_async(tmp_path / "db")


@pytest.mark.asyncio
async def test_run_on_the_shared_pool() -> None:
    import threading

    main = threading.get_ident()
    assert await aio.run(threading.get_ident) != main
    with pytest.raises(ZeroDivisionError):
        await aio.run(lambda: 1 / 0)
    assert await aio.run(lambda a, b=0: a + b, 1, b=2) == 3


def _strip_graph_clock(x: Any) -> Any:
    """A normalised graph result without what differs between two graphs written the same way:
    generated fact ids and recording times. Lists of facts are compared as sorted: facts that tie
    are ordered by their (generated) ids."""
    if isinstance(x, dict):
        return {k: _strip_graph_clock(v) for k, v in x.items() if k not in {"id", "recorded_at", "superseded_at"}}
    if isinstance(x, list):
        items = [_strip_graph_clock(v) for v in x]
        return sorted(items, key=repr) if all(isinstance(v, dict) and "predicate" in v for v in items) else items
    return x


@pytest.mark.asyncio
async def test_graph_twins(tmp_path: Path) -> None:
    t = Twins()
    t.seen["AsyncGraph"] = set()
    async with aio.connect_async(tmp_path / "db") as db:
        ga = await db.graph("a", dim=2)
        assert isinstance(ga, aio.AsyncGraph) and ga.name == "a" and ga.dim == 2
        gs = db.as_sync().graph("s", dim=2)
        assert await db.list_graphs() == db.as_sync().list_graphs() == ["a", "s"]
        t.seen["AsyncDatabase"] = {"graph", "list_graphs"}
        ids: Dict[str, List[str]] = {"a": [], "s": []}

        async def w(name: str, *args: Any, **kwargs: Any) -> Any:
            got = await getattr(ga, name)(*args, **kwargs)
            want = getattr(gs, name)(*args, **kwargs)
            if name in ("add_fact", "add_facts"):
                got_l, want_l = ([got], [want]) if isinstance(got, str) else (got, want)
                assert len(got_l) == len(want_l)
                ids["a"] += got_l
                ids["s"] += want_l
            else:
                assert _strip_graph_clock(_norm(got)) == _strip_graph_clock(_norm(want)), name
            t.seen["AsyncGraph"].add(name)
            return got

        await w("add_entity", "x", "Xavier", aliases=["X"], embedding=[1.0, 0.0])
        await w("add_entities", [{"id": "y", "name": "Yolanda", "embedding": [0.0, 1.0]}, {"id": "z", "name": "Zed"}])
        await w("declare_predicate", "lives_with")
        await w("predicates")
        t0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
        await w("add_fact", "x", "knows", entity="y", sources=["m1"], valid_from=t0)
        await w("add_facts", [{"subject": "y", "predicate": "knows", "entity": "z", "valid_from": t0},
                              {"subject": "z", "predicate": "age", "literal": "30", "valid_from": t0}])
        await w("entity", "x")
        await w("count")
        await w("facts", "y")
        await w("neighbors", "x", 2)
        await w("shortest_path", "x", "z")
        await w("find_entities", "x")
        await w("search_entities", "xavier", vector=[1.0, 0.1])
        await w("mentioned_entities", "did Xavier meet Zed?")
        await w("facts_for_text", "did Xavier meet Zed?")
        # Memory recall with an async graph: the graph's facts about what the query names.
        am = await db.memory("gm", dim=2)
        await am.remember_many([{"id": "m1", "text": "Xavier knows Yolanda", "vector": [1.0, 0.0]}], agent_id="ag")
        r = await am.recall([1.0, 0.0], k=1, text="who does Xavier know?", graph=ga, touch=False)
        assert [h.id for h in r] == ["m1"]
        assert [(f.predicate, f.object, f.sources) for f in r.facts] == [("knows", "y", ["m1"])]
        assert r.facts_from("m1") == r.facts
        # Per-fact calls, each on its own graph's fact.
        for name, args in (("fact", ()), ("fact_history", ()), ("invalidate", (t0 + dt.timedelta(days=1),)), ("correct", ())):
            kwargs: Dict[str, Any] = {"confidence": 0.5} if name == "correct" else {}
            got = await getattr(ga, name)(ids["a"][0], *args, **kwargs)
            want = getattr(gs, name)(ids["s"][0], *args, **kwargs)
            assert _strip_graph_clock(_norm(got)) == _strip_graph_clock(_norm(want)), name
            t.seen["AsyncGraph"].add(name)
        await w("flush")
        with pytest.raises(agentdb.InvalidArgumentError):
            await ga.neighbors("x", 0)
        assert await db.drop_graph("a") is None
        t.seen["AsyncDatabase"].add("drop_graph")
    t.check_all(aio.AsyncGraph)
