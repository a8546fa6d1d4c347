"""Agent state: how long single writes and reads take, and how long a reopen takes.

Measures, on a fresh database per sync mode: `put` of a small JSON value (one call, one log
record), `put_many` of 10 keys, `get` (current and at a time), `history(limit=10)`, `snapshot` of a
100-key session, `put_checkpoint` of 10 KB, `get_checkpoint` before and after a flush, and reopening a database holding 100,000 versions
(the in-memory index is rebuilt from Lance). Results go to bench/results/state.md.

    .venv/bin/python bench/state.py
"""

from __future__ import annotations

import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, List

import agentdb

N = 2000


def timed(fn: Callable[[int], object], n: int = N) -> float:
    """Median microseconds per call over `n` calls."""
    samples: List[float] = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t) * 1e6)
    return statistics.median(samples)


def main() -> None:
    rows = []
    for sync in ("always", "batch", "off"):
        with tempfile.TemporaryDirectory() as d, agentdb.open(Path(d) / "db", sync=sync) as db:
            st = db.state
            put = timed(lambda i: st.put("agent", "s", f"k{i % 100}", {"step": i, "note": "x" * 64}))
            many = timed(lambda i: st.put_many("agent", "m", {f"k{j}": i for j in range(10)}), N // 4)
            cp = timed(lambda i: st.put_checkpoint("t", f"{i:08d}", b"x" * 10_000, metadata={"step": i}), N // 4)
            if sync == "always":
                get = timed(lambda i: st.get("agent", "s", f"k{i % 100}"))
                at = st.history("agent", "s", "k0")[5].written_at
                get_at = timed(lambda i: st.get("agent", "s", "k0", at=at))
                hist = timed(lambda i: st.history("agent", "s", f"k{i % 100}", limit=10))
                snap = timed(lambda i: st.snapshot("agent", "s"), N // 4)
                latest = timed(lambda i: st.get_checkpoint("t"), N // 4)
                db.flush()  # flushed payloads leave memory: read back from Lance
                flushed = timed(lambda i: st.get_checkpoint("t", checkpoint_id=f"{i % 100:08d}"), 200)
            rows.append((sync, put, many, cp))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "db"
        with agentdb.open(path, sync="off") as db:
            for i in range(100):
                db.state.put_many("agent", f"s{i}", {f"k{j}": {"v": j} for j in range(1000)})
        t = time.perf_counter()
        with agentdb.open(path) as db:
            db.state.get("agent", "s0", "k0")
            reopen = time.perf_counter() - t

    out = [
        "# Agent state: latency (median µs per call)",
        "",
        f"`bench/state.py`, {platform.machine()}, Python {platform.python_version()}, one thread; "
        "shared 2-core machine, so treat as orders of magnitude.",
        "",
        "| sync | put (1 key) | put_many (10 keys) | put_checkpoint (10 KB) |",
        "|---|--:|--:|--:|",
    ]
    out += [f"| {s} | {p:.0f} | {m:.0f} | {c:.0f} |" for s, p, m, c in rows]
    out += [
        "",
        "| read | µs |",
        "|---|--:|",
        f"| get (current) | {get:.1f} |",
        f"| get (at a time) | {get_at:.1f} |",
        f"| history(limit=10) | {hist:.1f} |",
        f"| snapshot (100 keys) | {snap:.1f} |",
        f"| get_checkpoint (unflushed, 10 KB) | {latest:.1f} |",
        f"| get_checkpoint (flushed: payload read from Lance, 10 KB) | {flushed:.0f} |",
        "",
        f"Reopening a database with 100,000 versions (100 sessions × 1,000 keys): {reopen:.2f} s.",
        "",
    ]
    text = "\n".join(out)
    print(text)
    (Path(__file__).parent / "results" / "state.md").write_text(text)


if __name__ == "__main__":
    main()
