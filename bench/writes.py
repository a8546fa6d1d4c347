"""Durable small-write benchmark: single-row writes per second, AgentDB against LanceDB, Chroma and
SQLite, in one run on one machine; and agent-memory recall latency at 100k memories.

* AgentDB: ``agentdb.open(path, sync="always")``, ``collection.add`` of one row per call, from 1
  thread and from 8 threads (group commit: concurrent writers share one ``fdatasync``). A write
  returns after its write-ahead-log record is on disk.
* LanceDB: ``table.add`` of one row per call (one Lance commit each; LanceDB's local store does
  not fsync, so these writes are not power-loss durable — the comparison flatters LanceDB).
* Chroma: ``PersistentClient`` collection ``add`` of one row per call.
* SQLite: WAL journal, ``synchronous=FULL`` (durable), one ``INSERT`` + ``COMMIT`` per row.
* Recall: ``db.memory(...)`` holding 100,000 memories of one agent among 10 agents; latency of
  ``recall(vector, k=5, agent_id=...)`` (p50 / p95).

    python bench/writes.py                  # full run
    python bench/writes.py --quick          # fewer writes and 20k memories

Writes ``bench/results/writes.md``. Not a test: it checks nothing, it measures.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, List, Optional, Tuple

# No BLAS work happens here: keep OpenBLAS's worker threads (which spin after start-up) off the
# two shared cores, where they would take CPU from every system's writer threads alike.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

import agentdb  # noqa: E402

RESULTS = Path(__file__).parent / "results"
DIM = 128


def rows(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


def fsync_latency(dir: Path, n: int = 200) -> Tuple[float, float]:
    """Median seconds of a 100-byte write + fdatasync on this disk, appending (the file grows, so
    the sync also writes its size) and overwriting zeros written ahead (what AgentDB's log does):
    the floor of one durable write without group commit."""
    path = dir / "fsync-probe"
    medians = []
    for ahead in (False, True):
        times = []
        with path.open("wb") as f:
            if ahead:
                f.write(b"\0" * (1 << 20))
                f.flush()
                os.fsync(f.fileno())
                f.seek(0)
            for _ in range(n):
                t = time.perf_counter()
                f.write(b"x" * 100)
                f.flush()
                os.fdatasync(f.fileno())
                times.append(time.perf_counter() - t)
        medians.append(float(np.median(times)))
    path.unlink()
    return medians[0], medians[1]


def agentdb_writes(dir: Path, n: int, threads: int, vecs: np.ndarray, sync: str = "always", runs: int = 3) -> float:
    """Writes per second, the median of ``runs`` runs (each on a fresh database): the machine is
    shared, and one short run is noisy."""
    return float(np.median([agentdb_run(dir / f"run{r}", n, threads, vecs, sync) for r in range(runs)]))


def agentdb_run(dir: Path, n: int, threads: int, vecs: np.ndarray, sync: str) -> float:
    path = dir / f"agentdb-{sync}-{threads}"
    with agentdb.open(path, sync=sync) as db:
        c = db.create_collection("w", dim=DIM, metric="cosine")
        per = n // threads
        barrier = threading.Barrier(threads + 1)

        def run(t: int) -> None:
            barrier.wait()
            base = t * per
            for i in range(base, base + per):
                c.add([f"r{i}"], vecs[i : i + 1], metadata=[{"t": t}])

        ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
        for t in ts:
            t.start()
        barrier.wait()
        start = time.perf_counter()
        for t in ts:
            t.join()
        elapsed = time.perf_counter() - start
        assert c.count() == per * threads
    return per * threads / elapsed


def lancedb_writes(dir: Path, n: int, vecs: np.ndarray) -> Optional[float]:
    try:
        import lancedb
        import pyarrow as pa
    except ImportError:
        return None
    db = lancedb.connect(str(dir / "lancedb"))
    schema = pa.schema([("id", pa.string()), ("vector", pa.list_(pa.float32(), DIM)), ("t", pa.int64())])
    table = db.create_table("w", schema=schema)
    start = time.perf_counter()
    for i in range(n):
        table.add([{"id": f"r{i}", "vector": vecs[i].tolist(), "t": 0}])
    elapsed = time.perf_counter() - start
    assert table.count_rows() == n
    return n / elapsed


def chroma_writes(dir: Path, n: int, vecs: np.ndarray) -> Optional[Tuple[float, str]]:
    try:
        import chromadb
    except ImportError:
        return None
    client = chromadb.PersistentClient(path=str(dir / "chroma"))
    coll = client.create_collection("writes", metadata={"hnsw:space": "cosine"})
    start = time.perf_counter()
    for i in range(n):
        coll.add(ids=[f"r{i}"], embeddings=[vecs[i].tolist()], metadatas=[{"t": 0}])
    elapsed = time.perf_counter() - start
    assert coll.count() == n
    return n / elapsed, chromadb.__version__


def sqlite_writes(dir: Path, n: int, vecs: np.ndarray) -> float:
    con = sqlite3.connect(str(dir / "sqlite.db"), isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE w (id TEXT PRIMARY KEY, vector BLOB, t INTEGER)")
    start = time.perf_counter()
    for i in range(n):
        con.execute("BEGIN")
        con.execute("INSERT INTO w VALUES (?, ?, ?)", (f"r{i}", vecs[i].tobytes(), 0))
        con.execute("COMMIT")
    elapsed = time.perf_counter() - start
    assert con.execute("SELECT count(*) FROM w").fetchone()[0] == n
    con.close()
    return n / elapsed


def recall_latency(dir: Path, n: int, queries: int) -> Tuple[float, float, float, float]:
    """p50 and p95 recall latency in ms (touch=True, the default; and touch=False), over ``n``
    memories, 10% of them of the agent asked about."""
    with agentdb.open(dir / "memory") as db:
        mem = db.memory("bench", dim=DIM)
        vecs = rows(n, seed=7)
        batch = 1000
        for start in range(0, n, batch):
            mem.remember_many(
                [
                    {"text": f"memory {i}", "agent_id": f"agent{i % 10}", "vector": vecs[i], "importance": (i % 10) / 10}
                    for i in range(start, min(n, start + batch))
                ]
            )
        db.flush()
        qs = rows(queries, seed=11)
        for q in qs[:20]:  # warm up (loads the vectors, builds what the store builds)
            mem.recall(q, k=5, agent_id="agent3")
        out = []
        for touch in (True, False):
            times = []
            for q in qs:
                t = time.perf_counter()
                hits = mem.recall(q, k=5, agent_id="agent3", touch=touch)
                times.append(time.perf_counter() - t)
                assert len(hits) == 5
            out += [float(np.percentile(times, 50)) * 1e3, float(np.percentile(times, 95)) * 1e3]
    return out[0], out[1], out[2], out[3]


def timed(what: str, f: Callable[[], object]) -> object:
    print(f"{what} ...", flush=True)
    t = time.perf_counter()
    r = f()
    print(f"  {r}  ({time.perf_counter() - t:.1f} s)", flush=True)
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--memories", type=int, default=None)
    args = ap.parse_args()
    n_agentdb = 4000 if args.quick else 40000
    n_single = 300 if args.quick else 1500
    n_lance = 100 if args.quick else 300
    n_chroma = 300 if args.quick else 1000
    n_sqlite = 1000 if args.quick else 3000
    n_mem = args.memories or (20_000 if args.quick else 100_000)
    vecs = rows(max(n_agentdb, n_lance, n_chroma, n_sqlite))
    began = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="agentdb-bench-writes-", dir=os.environ.get("BENCH_TMP")))
    try:
        fsync_s = timed("fsync latency", lambda: fsync_latency(tmp))
        a1 = timed("AgentDB 1 thread", lambda: agentdb_writes(tmp, n_single, 1, vecs))
        a8 = timed("AgentDB 8 threads", lambda: agentdb_writes(tmp, n_agentdb // 2, 8, vecs))
        scaling = [
            (t, timed(f"AgentDB {t} threads", lambda t=t: agentdb_writes(tmp, n_agentdb, t, vecs))) for t in (32, 128)
        ]
        batch = [
            (t, timed(f"AgentDB batch {t} threads", lambda t=t: agentdb_writes(tmp, n_agentdb // 2, t, vecs, "batch")))
            for t in (1, 8)
        ]
        lance = timed("LanceDB", lambda: lancedb_writes(tmp, n_lance, vecs))
        chroma = timed("Chroma", lambda: chroma_writes(tmp, n_chroma, vecs))
        sqlite = timed("SQLite WAL", lambda: sqlite_writes(tmp, n_sqlite, vecs))
        rec = timed(f"recall over {n_mem} memories", lambda: recall_latency(tmp, n_mem, 300))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.time() - began

    def fmt(x: Optional[float]) -> str:
        return "not installed" if x is None else f"{x:,.0f}"

    lance_v = __import__("lancedb").__version__ if lance is not None else "-"
    chroma_rate, chroma_v = chroma if chroma is not None else (None, "-")
    load = os.getloadavg()
    lines = [
        "# Durable small writes and recall latency",
        "",
        f"Produced by `python bench/writes.py{' --quick' if args.quick else ''}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {elapsed / 60:.1f} min. "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"AgentDB {agentdb.__version__}, LanceDB {lance_v}, Chroma {chroma_v}, SQLite {sqlite3.sqlite_version}. "
        f"Vectors of {DIM} float32 plus one metadata field per row. Median 100-byte write + fdatasync on "
        f"this disk: {fsync_s[0] * 1e3:.2f} ms appending, {fsync_s[1] * 1e3:.2f} ms overwriting zeros written "
        f"ahead. Load average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        "(the machine is shared; figures are indicative).",
        "",
        "## Single-row writes per second (one write per call, each returned only when durable)",
        "",
        "AgentDB figures are the median of 3 runs.",
        "",
        "| system | durability when the call returns | writes/s |",
        "|---|---|--:|",
        f"| AgentDB, 1 thread | log record fdatasync'd (sync=\"always\") | {fmt(a1)} |",
        f"| AgentDB, 8 threads | same, group commit | {fmt(a8)} |",
        *[f"| AgentDB, {t} threads | same, group commit | {fmt(r)} |" for t, r in scaling],
        *[f"| AgentDB sync=\"batch\", {t} thread{'s' if t > 1 else ''} | in the OS (process-crash safe), synced every 20 ms | {fmt(r)} |" for t, r in batch],
        f"| LanceDB `table.add` | Lance commit, not fsync'd | {fmt(lance)} |",
        f"| Chroma `PersistentClient` add | Chroma's own | {fmt(chroma_rate)} |",
        f"| SQLite, WAL, synchronous=FULL | WAL fsync'd | {fmt(sqlite)} |",
        "",
    ]
    if lance:
        lines += [
            f"AgentDB (8 threads) / LanceDB per-row add: **{a8 / lance:,.0f}×**; "
            f"AgentDB (1 thread) / LanceDB: {a1 / lance:,.0f}×.",
            "",
        ]
    lines += [
        f"## Recall latency, {n_mem:,} memories (10 agents, recall restricted to one)",
        "",
        "| recall(vector, k=5, agent_id=…) | p50 ms | p95 ms |",
        "|---|--:|--:|",
        f"| touch=True (default: access statistics updated) | {rec[0]:.2f} | {rec[1]:.2f} |",
        f"| touch=False | {rec[2]:.2f} | {rec[3]:.2f} |",
        "",
        "Targets (issue 5): ≥ 20,000 durable single-row writes/s with group commit, ≥ 50× LanceDB's "
        "per-row add, recall p50 ≤ 2 ms at 100k memories.",
        "",
        "How to read the durable figures: every AgentDB write above returned only after the "
        "`fdatasync` covering its log record (verified with strace: one `fdatasync` per group "
        "commit). One writer pays a whole sync round trip per write "
        f"(the probe above: {fsync_s[1] * 1e3:.2f} ms for a lone write + fdatasync over zeros written "
        "ahead, which is how the log writes: a sync that does not change the file's size has no "
        "metadata to write); concurrent writers share each sync, so the "
        "rate grows with the number of writers until the CPU (2 shared cores here, Python included) "
        "is the limit. LanceDB's and Chroma's per-row adds do not get faster with threads in the same "
        "way: each is a commit of its own.",
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "writes.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
