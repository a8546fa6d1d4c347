"""Per-call cost of a database on an object store (moto's S3 server on loopback) next to the
same database on local disk.

* data: ``--n`` records (default 20,000) of 128-d random vectors with a short document, in one
  collection, and ``--memories`` memories (default 5,000) of one agent in a memory store; written,
  flushed, and the writer closed, then opened again read-only for the timed calls.
* calls, one request per call, default options first: ``col.search(q)`` (k=10), ``col.get([id])``,
  ``mem.recall(q)`` (k=10); then the first search after opening (it loads the vectors),
  the open itself (writable and read-only, median of ``--opens``), and a writer's ``add`` of one
  record and ``add`` + ``flush`` (one Lance commit to the store).
* the reader on the store keeps the default read consistency interval (1 s): most calls find
  the version they know, and every second one call pays a listing of the table's versions. A
  reader with ``read_consistency_interval=0`` pays it at every call (the last rows).

moto on loopback answers in about a millisecond and has no bandwidth limit: real S3 adds 10–30 ms
per request. What this measures is the engine's number of round trips per call, not S3.

    python bench/object_store.py            # full run
    python bench/object_store.py --quick    # 4,000 records, 1,000 memories, 100 calls

Writes ``bench/results/object-store.md``. Not a test: it checks nothing, it measures.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import agentdb  # noqa: E402
from object_store_server import BUCKET, Moto  # noqa: E402

RESULTS = Path(__file__).parent / "results"
DIM = 128


def median_ms(fn: Callable[[int], object], calls: int, warm: int = 10) -> Tuple[float, float]:
    for i in range(warm):
        fn(i)
    times = []
    for i in range(calls):
        t = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t)
    times.sort()
    return statistics.median(times) * 1e3, times[int(len(times) * 0.95) - 1] * 1e3


def fill(target: str, kw: Dict[str, Any], n: int, memories: int, rng: np.random.Generator) -> float:
    """Writes the data; returns the seconds of the writable open of a filled database."""
    vecs = rng.standard_normal((n, DIM)).astype(np.float32)
    with agentdb.connect(target, **kw) as db:
        col = db.create_collection("c", dim=DIM)
        for s in range(0, n, 5000):
            col.add([f"r{i}" for i in range(s, min(n, s + 5000))], vecs[s : s + 5000], documents=[f"doc {i}" for i in range(s, min(n, s + 5000))])
        mem = db.memory("m", dim=DIM)
        mv = rng.standard_normal((memories, DIM)).astype(np.float32)
        for i in range(memories):
            mem.remember(f"memory {i}", agent_id="a", vector=mv[i])
        db.flush()
    t = time.perf_counter()
    agentdb.connect(target, **kw).close()
    return time.perf_counter() - t


def write_latency(target: str, kw: Dict[str, Any], calls: int) -> Dict[str, Tuple[float, float]]:
    """A writer's per-call cost: `add` of one record (acknowledged in the local log) and the
    commit of one record to the tables (`add` then `flush`)."""
    rng = np.random.default_rng(2)
    with agentdb.connect(target, **kw) as db:
        col = db.get_collection("c")
        # median_ms passes the same i to its warm-up calls as to its timed ones: fresh ids come
        # from a counter instead.
        fresh = itertools.count(10_000_000)
        add = median_ms(lambda _: col.add([f"w{next(fresh)}"], rng.standard_normal((1, DIM)).astype(np.float32)), calls)
        db.flush()

        def add_flush(_: int) -> None:
            col.add([f"w{next(fresh)}"], rng.standard_normal((1, DIM)).astype(np.float32))
            db.flush()

        commit = median_ms(add_flush, max(10, calls // 5), warm=3)
    return {"add one record (writer)": add, "add one record + flush (a commit)": commit}


def measure(target: str, kw: Dict[str, Any], args: argparse.Namespace, rng: np.random.Generator) -> Dict[str, Tuple[float, float]]:
    out: Dict[str, Tuple[float, float]] = {}
    queries = rng.standard_normal((args.calls + 20, DIM)).astype(np.float32)
    opens = []
    for _ in range(args.opens):
        t = time.perf_counter()
        agentdb.connect(target, read_only=True, **kw).close()
        opens.append(time.perf_counter() - t)
    out["open read-only"] = (statistics.median(opens) * 1e3, max(opens) * 1e3)
    db = agentdb.connect(target, read_only=True, **kw)
    col = db.get_collection("c")
    t = time.perf_counter()
    col.search(queries[0])
    first = (time.perf_counter() - t) * 1e3
    out["search (default)"] = median_ms(lambda i: col.search(queries[i]), args.calls)
    out["get one id"] = median_ms(lambda i: col.get([f"r{(i * 7919) % args.n}"]), args.calls)
    mem = db.memory("m", dim=DIM)
    out["recall (default)"] = median_ms(lambda i: mem.recall(queries[i], agent_id="a"), args.calls)
    out["first search after open"] = (first, first)
    db.close()
    if "storage_options" in kw:
        db = agentdb.connect(target, read_only=True, read_consistency_interval=0, **kw)
        col = db.get_collection("c")
        col.search(queries[0])
        out["search, read_consistency_interval=0"] = median_ms(lambda i: col.search(queries[i]), args.calls)
        out["get one id, read_consistency_interval=0"] = median_ms(lambda i: col.get([f"r{(i * 7919) % args.n}"]), args.calls)
        db.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--memories", type=int, default=5_000)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--opens", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.n, args.memories, args.calls, args.opens = 4_000, 1_000, 100, 3
    moto = Moto()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rng = np.random.default_rng(0)
            local = str(Path(tmp) / "db")
            uri = f"s3://{BUCKET}/{uuid.uuid4().hex}"
            s3kw: Dict[str, Any] = {"storage_options": moto.storage_options(), "wal_dir": str(Path(tmp) / "wal")}
            open_local = fill(local, {}, args.n, args.memories, np.random.default_rng(1))
            open_s3 = fill(uri, s3kw, args.n, args.memories, np.random.default_rng(1))
            res_local = measure(local, {}, args, rng)
            res_s3 = measure(uri, s3kw, args, np.random.default_rng(0))
            res_local.update(write_latency(local, {}, args.calls))
            res_s3.update(write_latency(uri, s3kw, args.calls))
    finally:
        moto.stop()
    rows = [("open writable (filled database)", (open_local * 1e3, open_local * 1e3), (open_s3 * 1e3, open_s3 * 1e3))]
    for name in res_s3:
        rows.append((name, res_local.get(name, (float("nan"), float("nan"))), res_s3[name]))
    lines = [
        "# Object storage (moto S3 on loopback) vs local disk",
        "",
        f"`python bench/object_store.py{' --quick' if args.quick else ''}`: {args.n:,} records of {DIM}-d vectors, "
        f"{args.memories:,} memories, {args.calls} calls per row (median and p95, ms), one request per call, "
        "read-only handles except the writer rows. Local rows marked nan do not apply.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}.",
        "",
        "| call | local median | local p95 | S3 (moto) median | S3 p95 |",
        "|---|--:|--:|--:|--:|",
    ]
    for name, (lm, lp), (sm, sp) in rows:
        lines.append(f"| {name} | {lm:.3f} | {lp:.3f} | {sm:.3f} | {sp:.3f} |")
    lines += [
        "",
        "moto answers on loopback in about a millisecond and has no bandwidth limit; real S3 adds",
        "10–30 ms per request, so on S3 the rows that make a request per call (interval 0, the",
        "first search, opens) grow by that per round trip, while the default rows mostly do not.",
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "object-store.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
