"""The Python side of bench/results/go.md: the same collection as go/bench_test.go (4,096 random
64-d cosine vectors with a document and metadata each), the same searches (k=10, exact, one query
per call; default and ids_only) and the same durable upserts (1 and 1,000 records per call).
Prints one line per case: name and µs per call (the best of 5 repetitions).

    .venv/bin/python go/testdata/bench_python.py
"""

import tempfile
import time

import numpy as np

import agentdb

N, DIM, K = 4096, 64, 10


def best(fn, reps=5, calls=2000):
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        for i in range(calls):
            fn(i)
        out.append((time.perf_counter() - t) / calls)
    return min(out) * 1e6


def main():
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as d:
        db = agentdb.open(d)
        c = db.create_collection("bench", DIM, "cosine")
        vecs = rng.uniform(-1, 1, (N, DIM)).astype(np.float32)
        c.add([f"r{i:05d}" for i in range(N)], vecs, [f"document {i}" for i in range(N)],
              [{"bucket": i % 100, "tag": "t"} for i in range(N)])
        db.flush()  # as the Go benchmark does before it searches
        qs = rng.uniform(-1, 1, (256, DIM)).astype(np.float32)
        print(f"search/default  {best(lambda i: c.search(qs[i % 256], k=K)):.1f} us")
        print(f"search/ids_only {best(lambda i: c.search(qs[i % 256], k=K, ids_only=True)):.1f} us")
        w = db.create_collection("w", DIM, "cosine")
        one = rng.uniform(-1, 1, (1, DIM)).astype(np.float32)
        print(f"upsert/batch=1    {best(lambda i: w.upsert([f'w{i % 5000}'], one, ['doc'], [{'i': 0}]), reps=3, calls=300):.1f} us")
        many = rng.uniform(-1, 1, (1000, DIM)).astype(np.float32)
        ids = [f"w{j}" for j in range(1000)]
        meta = [{"i": j} for j in range(1000)]
        print(f"upsert/batch=1000 {best(lambda i: w.upsert(ids, many, ['doc'] * 1000, meta), reps=3, calls=30):.1f} us")
        db.close()


if __name__ == "__main__":
    main()
