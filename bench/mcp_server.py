"""Latency of MCP tool calls: the SDK's own client over stdio against a real ``agentdb mcp``
process, one call at a time (as an agent makes them), against the same operation called directly
in Python. The difference is the price of the protocol (JSON-RPC over pipes, schema validation,
the SDK's worker thread), not of the engine.

    python bench/mcp_server.py [--calls 300] [--out bench/results/mcp.md]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List

import numpy as np
from mcp import Client, StdioServerParameters

import agentdb

DIM = 64
MEMORIES = 5000
ROOT = Path(__file__).resolve().parents[1]


def percentiles(samples: List[float]) -> Dict[str, float]:
    s = sorted(samples)
    return {"p50": statistics.median(s) * 1e3, "p95": s[int(0.95 * (len(s) - 1))] * 1e3}


async def timed_async(fn: Callable[[int], Awaitable[Any]], n: int) -> List[float]:
    for i in range(20):  # warm-up
        await fn(i)
    out = []
    for i in range(n):
        t = time.perf_counter()
        await fn(i)
        out.append(time.perf_counter() - t)
    return out


def timed(fn: Callable[[int], Any], n: int) -> List[float]:
    for i in range(20):
        fn(i)
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "mcp.md"))
    args = ap.parse_args()
    n = args.calls
    rng = np.random.default_rng(7)
    vecs = rng.standard_normal((MEMORIES, DIM)).astype(np.float32)
    queries = rng.standard_normal((64, DIM)).astype(np.float32)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "db"
        with agentdb.connect(path) as db:
            db.memory("memory", dim=DIM).remember_many(
                [{"text": f"memory {i}", "agent_id": f"a{i % 10}", "vector": vecs[i]} for i in range(MEMORIES)]
            )
            db.state.put("a", "s", "k", {"step": 1, "notes": ["x"] * 10})

        rows = []
        params = StdioServerParameters(command=sys.executable, args=["-m", "agentdb", "mcp", "--db", str(path),
                                                                     "--embedder", "none"], cwd=str(ROOT))
        t0 = time.perf_counter()
        async with Client(params, read_timeout_seconds=60) as client:
            await client.list_tools()
            start = time.perf_counter() - t0
            q = [v.tolist() for v in queries]
            mcp_calls = {
                "state_get": lambda i: client.call_tool("state_get", {"agent_id": "a", "session_id": "s", "key": "k"}),
                "state_put": lambda i: client.call_tool("state_put", {"agent_id": "a", "session_id": "s",
                                                                      "key": f"k{i}", "value": i}),
                "memory_recall (k=5, 5k × 64-d)": lambda i: client.call_tool(
                    "memory_recall", {"vector": q[i % 64], "k": 5, "agent_id": "a1"}),
                "list_stores": lambda i: client.call_tool("list_stores", {}),
            }
            mcp_times = {name: await timed_async(fn, n) for name, fn in mcp_calls.items()}
        with agentdb.connect(path) as db:
            m = db.memory("memory")
            direct = {
                "state_get": lambda i: db.state.get_version("a", "s", "k"),
                "state_put": lambda i: db.state.put("a", "s", f"d{i}", i),
                "memory_recall (k=5, 5k × 64-d)": lambda i: m.recall(queries[i % 64], 5, agent_id="a1"),
                "list_stores": None,
            }
            for name, times in mcp_times.items():
                fn = direct[name]
                d_ = percentiles(timed(fn, n)) if fn is not None else None
                p = percentiles(times)
                rows.append((name, p, d_))

    lines = [
        "# MCP tool call latency",
        "",
        f"`python bench/mcp_server.py --calls {n}` on {platform.machine()}, Python {platform.python_version()}, "
        f"AgentDB {agentdb.__version__}, mcp SDK 2.3.0 over stdio (one call at a time, after 20 warm-up calls). "
        f"Server start to first `tools/list` answer: {start:.2f} s.",
        "",
        "| tool | MCP p50 (ms) | MCP p95 (ms) | direct Python p50 (ms) |",
        "|---|---:|---:|---:|",
    ]
    for name, p, d_ in rows:
        lines.append(f"| {name} | {p['p50']:.2f} | {p['p95']:.2f} | {'-' if d_ is None else format(d_['p50'], '.3f')} |")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
