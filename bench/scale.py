"""Scaling out with Ray (``agentdb.ray``): ingest and batch-search throughput against the worker
count on a local Ray cluster, against the plain single-process calls; and sharded search latency
against one shard.

* Data: ``--rows`` random float32 vectors (default 100,000) of ``--dim`` (default 64), l2, each
  with a document; ids ``r0…``. Seeded.
* **Ingest, vectors**: the plain call is ``Collection.add`` in batches of 10,000 (one Lance commit
  each, the fast path for bulk data) in this process; ``agentdb.ray.ingest`` with 1 and 2 workers
  stages batches of 10,000 and commits once. Timed from the call to the last commit (the
  Dataset is materialised in Ray's object store before timing).
* **Ingest, texts**: the same rows as documents embedded with ``HashingEmbedder(dim)`` (pure
  Python/NumPy, CPU bound: it stands for a real embedding model); plain = embed then add in this
  process.
* **Batch search**: ``--queries`` (default 2,000) query vectors, k=10, exact (no index); plain =
  one ``Collection.search(matrix)`` call (the engine already spreads a batch over the cores);
  Ray = ``batch_search`` with 1 and 2 workers (each a read-only open), batches of 250.
* **Sharded search**: the same rows in a ``ShardedCollection`` of 1, 2 and 4 shards (one actor
  each, no replicas): latency of one query (k=10, exact; p50/p95 of ``--probes`` calls, default
  200) and of a 100-query batch, against the same search on one local collection (no Ray).

The Ray cluster is this machine (``ray.init(num_cpus=2)``): the figures show the overhead of
the distribution and what two cores give; they are not a cluster's. Load average is recorded:
other work on the machine moves every figure.

    python bench/scale.py            # full run
    python bench/scale.py --quick    # 20,000 rows, 500 queries, 50 probes

Writes ``bench/results/scale.md``. Not a test: it checks nothing, it measures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import agentdb  # noqa: E402
from agentdb.embed import HashingEmbedder  # noqa: E402


def timed(f: Callable[[], Any]) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--queries", type=int, default=2_000)
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "scale.md"))
    args = ap.parse_args()
    if args.quick:
        args.rows, args.queries, args.probes = 20_000, 500, 50

    import ray

    from agentdb import ray as aray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT / "python")}})
    ray.data.DataContext.get_current().enable_progress_bars = False
    rng = np.random.default_rng(0)
    n, dim = args.rows, args.dim
    vecs = rng.standard_normal((n, dim)).astype(np.float32)
    ids = [f"r{i}" for i in range(n)]
    docs = [f"document {i} about subject {i % 97} and theme {i % 13}" for i in range(n)]
    queries = rng.standard_normal((args.queries, dim)).astype(np.float32)
    emb = HashingEmbedder(dim)
    rows: List[Dict[str, Any]] = []
    results: Dict[str, Any] = {"ingest": [], "ingest_text": [], "search": [], "sharded": []}
    tmp = Path(tempfile.mkdtemp(prefix="agentdb-scale-"))

    # -- ingest of vectors
    def plain_add(path: Path) -> None:
        with agentdb.connect(path) as db:
            c = db.create_collection("c", dim, metric="l2")
            for s in range(0, n, 10_000):
                c.add(ids[s:s + 10_000], vecs[s:s + 10_000], documents=docs[s:s + 10_000])

    t = timed(lambda: plain_add(tmp / "plain"))
    results["ingest"].append(("plain `add` (1 process)", t))
    vec_ds = ray.data.from_items([{"id": ids[i], "vector": vecs[i], "document": docs[i]} for i in range(n)]).repartition(8).materialize()
    for w in (1, 2):
        path = tmp / f"ray{w}"
        t = timed(lambda: aray.ingest(vec_ds, str(path), "c", dim=dim, metric="l2", batch_size=10_000, concurrency=w))
        results["ingest"].append((f"`agentdb.ray.ingest`, {w} worker(s)", t))

    # -- the fixed cost of a distributed call: 100 rows (worker start, read-only open, commit)
    small = ray.data.from_items([{"id": f"s{i}", "vector": vecs[i]} for i in range(100)]).materialize()
    results["fixed"] = timed(lambda: aray.ingest(small, str(tmp / "fixed"), "c", dim=dim, metric="l2", concurrency=1))

    # -- ingest of texts (embedded)
    def plain_embed_add(path: Path) -> None:
        with agentdb.connect(path) as db:
            c = db.create_collection("c", dim, metric="cosine")
            for s in range(0, n, 10_000):
                c.add(ids[s:s + 10_000], emb(docs[s:s + 10_000]), documents=docs[s:s + 10_000])

    t = timed(lambda: plain_embed_add(tmp / "plain_text"))
    results["ingest_text"].append(("plain embed + `add` (1 process)", t))
    text_ds = ray.data.from_items([{"id": ids[i], "document": docs[i]} for i in range(n)]).repartition(8).materialize()
    for w in (1, 2):
        path = tmp / f"ray_text{w}"
        t = timed(lambda: aray.ingest(text_ds, str(path), "c", emb, batch_size=5_000, concurrency=w))
        results["ingest_text"].append((f"`agentdb.ray.ingest` + embedder, {w} worker(s)", t))

    # -- batch search
    with agentdb.connect(tmp / "plain") as db:
        c = db.get_collection("c")
        c.search(queries[:10], k=10, exact=True)  # loads the mirror
        t = min(timed(lambda: c.search(queries, k=10, exact=True)) for _ in range(3))
    results["search"].append(("plain `search(matrix)` (1 process, engine threads)", t))
    q_ds = ray.data.from_items([{"q": i, "vector": queries[i]} for i in range(len(queries))]).materialize()
    for w in (1, 2):
        t = timed(lambda: aray.batch_search(q_ds, str(tmp / "plain"), "c", k=10, exact=True, batch_size=250, concurrency=w).materialize())
        results["search"].append((f"`agentdb.ray.batch_search`, {w} worker(s)", t))

    # -- sharded search latency
    def latencies(search: Callable[[np.ndarray], Any]) -> Dict[str, float]:
        for q in queries[:5]:
            search(q)
        one = []
        for i in range(args.probes):
            q = queries[i % len(queries)]
            t0 = time.perf_counter()
            search(q)
            one.append(time.perf_counter() - t0)
        batch = min(timed(lambda: search(queries[:100])) for _ in range(3))
        one.sort()
        return {"p50": one[len(one) // 2], "p95": one[int(len(one) * 0.95)], "batch100": batch}

    with agentdb.connect(tmp / "plain") as db:
        c = db.get_collection("c")
        results["sharded"].append(("one local collection (no Ray)", latencies(lambda q: c.search(q, k=10, exact=True))))
    for shards in (1, 2, 4):
        sc = aray.ShardedCollection([str(tmp / f"shard{shards}-{i}") for i in range(shards)], "c", dim, metric="l2")
        for s in range(0, n, 10_000):
            sc.add(ids[s:s + 10_000], vecs[s:s + 10_000], documents=docs[s:s + 10_000])
        results["sharded"].append((f"`ShardedCollection`, {shards} shard(s)", latencies(lambda q: sc.search(q, k=10, exact=True))))
        sc.close()
    ray.shutdown()

    load = os.getloadavg()
    out: List[str] = [
        "# Scaling out with Ray: ingest, batch search, sharded search",
        "",
        f"`python bench/scale.py{' --quick' if args.quick else ''}` — {n:,} vectors of {dim} float32, "
        f"{len(queries):,} queries, k=10 exact. Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, Ray {ray.__version__}; local Ray cluster `num_cpus=2`. "
        f"Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (other work shares the cores).",
        "",
        "## Ingest of vectors (already embedded)",
        "",
        "| how | seconds | rows/s |",
        "|---|--:|--:|",
    ]
    for name, t in results["ingest"]:
        out.append(f"| {name} | {t:.2f} | {n / t:,.0f} |")
    out += ["", f"Fixed cost of one distributed call (`ingest` of 100 rows, 1 worker: actor start, read-only open, "
            f"stage, one commit): {results['fixed']:.2f} s."]
    out += ["", "## Ingest of texts, embedded on the way (`HashingEmbedder`)", "", "| how | seconds | rows/s |", "|---|--:|--:|"]
    for name, t in results["ingest_text"]:
        out.append(f"| {name} | {t:.2f} | {n / t:,.0f} |")
    out += ["", f"## Batch search ({len(queries):,} queries, k=10, exact)", "", "| how | seconds | queries/s |", "|---|--:|--:|"]
    for name, t in results["search"]:
        out.append(f"| {name} | {t:.3f} | {len(queries) / t:,.0f} |")
    out += [
        "",
        f"## Sharded search ({n:,} vectors in total, k=10, exact)",
        "",
        "| where | one query p50 (ms) | one query p95 (ms) | 100-query batch (ms) |",
        "|---|--:|--:|--:|",
    ]
    for name, r in results["sharded"]:
        out.append(f"| {name} | {r['p50'] * 1e3:.2f} | {r['p95'] * 1e3:.2f} | {r['batch100'] * 1e3:.1f} |")
    out.append("")
    Path(args.out).write_text("\n".join(out))
    print("\n".join(out))


if __name__ == "__main__":
    main()
