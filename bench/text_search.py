"""Per-call cost of full-text and hybrid search on a collection, next to the vector search they
build on.

* corpus: ``--n`` records (default 20,000) of 128-d random vectors, each with a document of 12
  words drawn from a 5,000-word vocabulary with Zipf frequencies (s = 1.1), so that queries hit
  posting lists of very different lengths, as real text does.
* calls, one query per call, ``k=10``, default options: ``col.search(q)`` (exact, no index),
  ``col.text_search(words)`` (two words per query, drawn like the documents' words),
  ``col.hybrid_search(q, words)`` (both, ``max(4·k, 20)`` candidates per side, fused by RRF).
* also: the first text search (it builds Lance's inverted index) and a text search right after
  one small ``add`` (it folds the new row into the index first).

Each figure is the median of ``--queries`` calls after 20 warm-up calls.

    python bench/text_search.py            # full run
    python bench/text_search.py --quick    # 5,000 records, 100 queries

Writes ``bench/results/text_search.md``. Not a test: it checks nothing, it measures.
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
from typing import Callable, List

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

import agentdb  # noqa: E402

RESULTS = Path(__file__).parent / "results"
DIM = 128
VOCAB = 5000


def words(rng: np.random.Generator, n: int) -> List[str]:
    ranks = np.arange(1, VOCAB + 1)
    p = 1.0 / ranks**1.1
    p /= p.sum()
    return [f"w{i}" for i in rng.choice(VOCAB, size=n, p=p)]


def median_us(fn: Callable[[int], object], calls: int) -> float:
    for i in range(20):
        fn(i)
    times = []
    for i in range(calls):
        t = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n, queries = (5_000, 100) if args.quick else (args.n, args.queries)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    docs = [" ".join(words(rng, 12)) for _ in range(n)]
    qv = rng.normal(size=(queries + 20, DIM)).astype(np.float32)
    qt = [" ".join(words(rng, 2)) for _ in range(queries + 20)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, agentdb.connect(Path(tmp) / "db") as db:
        col = db.create_collection("docs", DIM)
        for lo in range(0, n, 5000):
            col.add([f"d{i}" for i in range(lo, min(lo + 5000, n))], vectors[lo : lo + 5000], documents=docs[lo : lo + 5000])
        t = time.perf_counter()
        col.text_search(qt[0], k=10)
        build_ms = (time.perf_counter() - t) * 1e3
        rows.append(("search(q, k=10), exact", median_us(lambda i: col.search(qv[i], k=10), queries)))
        rows.append(("text_search(two words, k=10)", median_us(lambda i: col.text_search(qt[i], k=10), queries)))
        rows.append(("hybrid_search(q, two words, k=10), RRF", median_us(lambda i: col.hybrid_search(qv[i], qt[i], k=10), queries)))
        rows.append(
            (
                "hybrid_search(..., method=\"linear\")",
                median_us(lambda i: col.hybrid_search(qv[i], qt[i], k=10, method="linear"), queries),
            )
        )
        after_add = []
        for i in range(10):
            col.add([f"new{i}"], rng.normal(size=(1, DIM)).astype(np.float32), documents=[f"fresh{i} w1 w2"])
            t = time.perf_counter()
            col.text_search(f"fresh{i}", k=10)
            after_add.append(time.perf_counter() - t)
        refresh_ms = statistics.median(after_add) * 1e3
    lines = [
        "# Text and hybrid search on a collection",
        "",
        f"`python bench/text_search.py{' --quick' if args.quick else ''}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, AgentDB {agentdb.__version__}: "
        f"{n:,} records of {DIM}-d vectors with 12-word documents (Zipf over {VOCAB:,} words), "
        f"median of {queries} calls, one query per call.",
        "",
        "| call | µs/call |",
        "|---|---:|",
        *[f"| {name} | {us:,.0f} |" for name, us in rows],
        "",
        f"First text search (builds the inverted index over {n:,} documents): {build_ms:,.0f} ms. "
        f"A text search right after a one-row `add` (flushes the buffered write to Lance and folds it "
        f"into the index): {refresh_ms:,.1f} ms (median of 10).",
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "text_search.md"
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
