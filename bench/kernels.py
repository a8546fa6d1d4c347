#!/usr/bin/env python
"""Benchmark of AgentDB's SIMD distance kernels against simsimd and numpy (not a test).

    .venv/bin/python bench/kernels.py            # full run, writes bench/results/kernels.md
    .venv/bin/python bench/kernels.py --quick    # a fast smoke run (short timings, 100k-row scan)

Measures, single-threaded (one core, BLAS limited to one thread):

1. **Kernel throughput, ns per pair** — float32 / float16 / int8, cosine and L2, d = 128, 768,
   1536, in two shapes: *batch* (one query against a block of rows that fits in L2: AgentDB's
   batch kernel ``agentdb.distance(q, rows)``, ``simsimd.cdist(q[None], rows)``, numpy's
   vectorised formula) and *many* (32 queries against the same rows: ``agentdb.cdist``,
   ``simsimd.cdist``, numpy through a BLAS matrix product). Python call overhead is spread over
   hundreds of pairs, so these numbers compare the kernels.
2. **Call latency, ns per call** — one pair per Python call (``agentdb.distance(a, b)``,
   ``simsimd.cosine(a, b)``, a numpy one-liner): what a loop of single-pair calls costs, mostly
   interpreter and argument handling.
3. **Exact scan, GB/s** — one float32 query against 1,000,000 × 128 float32 rows (512 MB, far
   larger than the caches): AgentDB's batch kernel vs numpy's mat-vec ``rows @ q`` (BLAS sgemv)
   and ``simsimd.cdist``.

numpy is given its best case: float16 and int8 data are converted to float32 copies *before*
timing (numpy has no float16 BLAS, and int8 products overflow int8), and L2 uses the BLAS form
``|r|² - 2 r·q + |q|²``; norms are computed inside the timing, as the kernels do.

Environment: ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` (which pin OpenBLAS to a kernel
family / cache size on some machines) are removed, and ``OPENBLAS_NUM_THREADS`` /
``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` set to 1, by re-executing this script with the cleaned
environment before numpy is imported; the BLAS kernel threadpoolctl reports is recorded. Needs
``simsimd`` and ``threadpoolctl`` (``pip install simsimd threadpoolctl``); without simsimd its
columns are left empty.
"""

from __future__ import annotations

import os
import sys

# --- Clean the BLAS environment before numpy is imported (re-exec once). ---------------------
_REMOVE = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
if "_AGENTDB_BENCH_CLEAN" not in os.environ:
    _env = {k: v for k, v in os.environ.items() if k not in _REMOVE}
    _env.update({k: "1" for k in _ONE_THREAD})
    _env["_AGENTDB_BENCH_CLEAN"] = ";".join(f"{k}={os.environ[k]}" for k in _REMOVE if k in os.environ) or "-"
    os.execve(sys.executable, [sys.executable, *sys.argv], _env)

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import timeit  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable, Dict, List, Optional  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
import agentdb  # noqa: E402

try:
    import simsimd
except ImportError:  # pragma: no cover - reported in the results
    simsimd = None

try:
    import threadpoolctl
except ImportError:  # pragma: no cover
    threadpoolctl = None

DIMS = (128, 768, 1536)
DTYPES = ("float32", "float16", "int8")
METRICS = ("cosine", "l2")
SIMSIMD_METRIC = {"cosine": "cosine", "l2": "sqeuclidean"}
NQ_MANY = 32


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


class Timer:
    def __init__(self, min_time: float, repeat: int) -> None:
        self.min_time, self.repeat = min_time, repeat

    def seconds(self, fn: Callable[[], object]) -> float:
        """Best time of one call of ``fn`` over ``repeat`` rounds of at least ``min_time``."""
        t = timeit.Timer(fn)
        number = 1
        while True:
            if t.timeit(number) >= self.min_time:
                break
            number *= 2
        return min(t.repeat(self.repeat, number)) / number


def data(dtype: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    if dtype == "int8":
        return rng.integers(-128, 128, size=(n, d), dtype=np.int8)
    return rng.standard_normal((n, d), dtype=np.float32).astype(dtype)


def rows_for(d: int, itemsize: int) -> int:
    """Rows of a block of ~1 MiB (in L2), at least 256."""
    return max(256, (1 << 20) // (d * itemsize))


# numpy, given float32 copies (see the module docstring).
def np_batch(metric: str, q: np.ndarray, rows: np.ndarray) -> np.ndarray:
    dots = rows @ q
    rr = np.einsum("ij,ij->i", rows, rows)
    qq = q @ q
    if metric == "cosine":
        return 1 - dots / np.sqrt(rr * qq)
    return rr - 2 * dots + qq


def np_many(metric: str, qs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    dots = qs @ rows.T
    rr = np.einsum("ij,ij->i", rows, rows)
    qq = np.einsum("ij,ij->i", qs, qs)
    if metric == "cosine":
        return 1 - dots / np.sqrt(np.outer(qq, rr))
    return qq[:, None] + rr[None, :] - 2 * dots


def np_pair(metric: str, a: np.ndarray, b: np.ndarray) -> float:
    if metric == "cosine":
        return 1 - float(a @ b) / float(np.sqrt((a @ a) * (b @ b)))
    diff = a - b
    return float(diff @ diff)


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


def kernel_rows(timer: Timer, rng: np.random.Generator) -> List[Dict[str, object]]:
    out = []
    for dtype in DTYPES:
        for metric in METRICS:
            for d in DIMS:
                itemsize = np.dtype(dtype).itemsize
                n = rows_for(d, itemsize)
                rows = data(dtype, n, d, rng)
                qs = data(dtype, NQ_MANY, d, rng)
                q = qs[0].copy()
                rows32, qs32, q32 = rows.astype(np.float32), qs.astype(np.float32), q.astype(np.float32)
                r: Dict[str, object] = {"dtype": dtype, "metric": metric, "d": d, "n": n}
                # Sanity: AgentDB agrees with numpy before anything is timed.
                ref = np_batch(metric, q32.astype(np.float64), rows32.astype(np.float64))
                got = agentdb.distance(q, rows, metric)
                assert np.allclose(got, ref, rtol=2e-3, atol=2e-3 * max(1.0, float(np.abs(ref).max()))), (dtype, metric, d)

                r["batch_agentdb"] = timer.seconds(lambda: agentdb.distance(q, rows, metric)) / n * 1e9
                r["batch_numpy"] = timer.seconds(lambda: np_batch(metric, q32, rows32)) / n * 1e9
                r["many_agentdb"] = timer.seconds(lambda: agentdb.cdist(qs, rows, metric)) / (n * NQ_MANY) * 1e9
                r["many_numpy"] = timer.seconds(lambda: np_many(metric, qs32, rows32)) / (n * NQ_MANY) * 1e9
                a, b = rows[0].copy(), rows[1].copy()
                a32, b32 = a.astype(np.float32), b.astype(np.float32)
                r["call_agentdb"] = timer.seconds(lambda: agentdb.distance(a, b, metric)) * 1e9
                r["call_numpy"] = timer.seconds(lambda: np_pair(metric, a32, b32)) * 1e9
                if simsimd is not None:
                    sm = SIMSIMD_METRIC[metric]
                    q2 = q[None, :]
                    s = np.asarray(simsimd.cdist(q2, rows, metric=sm, out_dtype="float32"))[0]
                    assert np.allclose(s, ref, rtol=2e-2, atol=2e-2 * max(1.0, float(np.abs(ref).max()))), ("simsimd", dtype, metric, d)
                    r["batch_simsimd"] = timer.seconds(lambda: simsimd.cdist(q2, rows, metric=sm, out_dtype="float32")) / n * 1e9
                    r["many_simsimd"] = (
                        timer.seconds(lambda: simsimd.cdist(qs, rows, metric=sm, out_dtype="float32")) / (n * NQ_MANY) * 1e9
                    )
                    fn = simsimd.cosine if metric == "cosine" else simsimd.sqeuclidean
                    r["call_simsimd"] = timer.seconds(lambda: fn(a, b)) * 1e9
                print(
                    f"{dtype:8} {metric:6} d={d:5}  batch ns/pair: agentdb {r['batch_agentdb']:7.2f}"
                    f"  simsimd {r.get('batch_simsimd', float('nan')):7.2f}  numpy {r['batch_numpy']:7.2f}"
                    f" | call ns: agentdb {r['call_agentdb']:6.0f}  simsimd {r.get('call_simsimd', float('nan')):6.0f}",
                    flush=True,
                )
                out.append(r)
    return out


def scan(n: int, d: int, repeat: int, rng: np.random.Generator) -> Dict[str, object]:
    rows = rng.standard_normal((n, d), dtype=np.float32)
    q = rng.standard_normal(d, dtype=np.float32)
    nbytes = rows.nbytes
    np.testing.assert_allclose(agentdb.distance(q, rows[:1000], "dot"), 1 - rows[:1000] @ q, rtol=1e-4, atol=1e-3)
    runs: Dict[str, Callable[[], object]] = {
        "numpy `rows @ q` (sgemv)": lambda: rows @ q,
        "AgentDB batch kernel, dot": lambda: agentdb.distance(q, rows, "dot"),
        "AgentDB batch kernel, l2": lambda: agentdb.distance(q, rows, "l2"),
        "AgentDB batch kernel, cosine": lambda: agentdb.distance(q, rows, "cosine"),
    }
    if simsimd is not None:
        q2 = q[None, :]
        runs["simsimd `cdist(q, rows, 'inner')`"] = lambda: simsimd.cdist(q2, rows, metric="inner", out_dtype="float32")
        runs["simsimd `cdist(q, rows, 'sqeuclidean')`"] = lambda: simsimd.cdist(
            q2, rows, metric="sqeuclidean", out_dtype="float32"
        )
    result: Dict[str, object] = {"n": n, "d": d, "bytes": nbytes, "runs": {}}
    for name, fn in runs.items():
        fn()  # warm-up (page faults of the output, caches of the code)
        times = sorted(timeit.repeat(fn, number=1, repeat=repeat))
        best, median = times[0], times[len(times) // 2]
        result["runs"][name] = (nbytes / best / 1e9, nbytes / median / 1e9, best * 1e3)  # type: ignore[index]
        print(f"scan {name:42} {nbytes / best / 1e9:6.2f} GB/s best, {nbytes / median / 1e9:6.2f} median", flush=True)
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def cpu_model() -> str:
    name, family, model, flags = "?", "?", "?", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "model name" and name == "?":
                name = value
            elif key == "cpu family" and family == "?":
                family = value
            elif key == "model" and model == "?":
                model = value
            elif key == "flags" and not flags:
                flags = value
    except OSError:
        return platform.processor() or platform.machine()
    wanted = ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx512_vpopcntdq", "avx512_bf16", "avx512_fp16"]
    have = [f for f in wanted if f in flags.split()]
    return f"{name} (family {family}, model {model}; {os.cpu_count()} logical CPUs; {' '.join(have)})"


def fmt(x: Optional[object], digits: int = 2) -> str:
    return "–" if x is None else f"{float(x):.{digits}f}"  # type: ignore[arg-type]


def ratio(a: Optional[object], b: Optional[object]) -> str:
    return "–" if a is None or b is None else f"{float(a) / float(b):.2f}"  # type: ignore[arg-type]


def report(kernels: List[Dict[str, object]], scan_result: Dict[str, object], args: argparse.Namespace) -> str:
    backends = agentdb.kernel_backends()
    blas = threadpoolctl.threadpool_info() if threadpoolctl else []
    blas_s = "; ".join(
        f"{i.get('internal_api')} {i.get('version')} kernel `{i.get('architecture')}`, {i.get('num_threads')} thread(s)"
        for i in blas
        if i.get("user_api") == "blas"
    ) or "unknown (threadpoolctl not installed)"
    removed = os.environ.get("_AGENTDB_BENCH_CLEAN", "-")
    removed = "none of them was set" if removed == "-" else f"removed `{removed}`"
    try:
        load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    lines = [
        "# Distance kernels: AgentDB vs simsimd vs numpy",
        "",
        f"Produced by `.venv/bin/python bench/kernels.py{' --quick' if args.quick else ''}` on "
        f"{datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
        f"- CPU: {cpu_model()}",
        f"- AgentDB {agentdb.__version__}, kernels backend `{backends.active}` (supported: {', '.join(backends.supported)})",
        f"- simsimd {getattr(simsimd, '__version__', 'not installed')}"
        + (
            f", capabilities: {', '.join(k for k, v in simsimd.get_capabilities().items() if v)}"
            if simsimd is not None
            else ""
        ),
        f"- numpy {np.__version__}, BLAS: {blas_s}",
        f"- Python {platform.python_version()}; single-threaded (BLAS limited to 1 thread, simsimd `threads=1`);"
        f" OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset before numpy was imported ({removed})",
        f"- load average at the end of the run (1/5/15 min): {load}",
        "",
        "## Kernel throughput (ns per pair, lower is better)",
        "",
        "*batch*: one query against `n` rows (a ~1 MiB block, in L2) — AgentDB `distance(q, rows)` "
        "(batch kernel), simsimd `cdist(q[None], rows)`, numpy vectorised formula on float32 copies. "
        f"*many*: {NQ_MANY} queries against the same rows — AgentDB `cdist` (many kernel), simsimd `cdist`, "
        "numpy `qs @ rows.T` + norms. Ratio = AgentDB / simsimd (≤ 1.10 is the target; < 1 is faster).",
        "",
        "| dtype | metric | d | n | batch AgentDB | batch simsimd | batch numpy | ratio | many AgentDB | many simsimd | many numpy | ratio |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in kernels:
        lines.append(
            f"| {r['dtype']} | {r['metric']} | {r['d']} | {r['n']} "
            f"| {fmt(r['batch_agentdb'])} | {fmt(r.get('batch_simsimd'))} | {fmt(r['batch_numpy'])} "
            f"| {ratio(r['batch_agentdb'], r.get('batch_simsimd'))} "
            f"| {fmt(r['many_agentdb'])} | {fmt(r.get('many_simsimd'))} | {fmt(r['many_numpy'])} "
            f"| {ratio(r['many_agentdb'], r.get('many_simsimd'))} |"
        )
    lines += [
        "",
        "## Call latency (ns per single-pair Python call, lower is better)",
        "",
        "`agentdb.distance(a, b, metric)` vs `simsimd.cosine(a, b)` / `simsimd.sqeuclidean(a, b)` vs a numpy "
        "one-liner on float32 copies. Mostly Python and argument-handling overhead, not kernel time.",
        "",
        "| dtype | metric | d | AgentDB | simsimd | numpy | ratio AgentDB / simsimd |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for r in kernels:
        lines.append(
            f"| {r['dtype']} | {r['metric']} | {r['d']} | {fmt(r['call_agentdb'], 0)} | {fmt(r.get('call_simsimd'), 0)} "
            f"| {fmt(r['call_numpy'], 0)} | {ratio(r['call_agentdb'], r.get('call_simsimd'))} |"
        )
    n, d, nbytes = scan_result["n"], scan_result["d"], scan_result["bytes"]
    runs: Dict[str, tuple] = scan_result["runs"]  # type: ignore[assignment]
    base = runs["numpy `rows @ q` (sgemv)"][0]
    lines += [
        "",
        f"## Exact scan: one float32 query against {n:,} × {d} float32 rows ({int(nbytes) / 1e6:.0f} MB)",  # type: ignore[call-overload]
        "",
        f"GB/s = row bytes / time of one full pass (best and median of {args.scan_repeat}). "
        "vs numpy = best GB/s / numpy's best GB/s (target ≥ 0.9).",
        "",
        "| system | GB/s (best) | GB/s (median) | ms per scan | vs numpy |",
        "|---|--:|--:|--:|--:|",
    ]
    for name, (best, median, ms) in runs.items():
        lines.append(f"| {name} | {best:.2f} | {median:.2f} | {ms:.1f} | {best / base:.2f} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="short timings and a 100k-row scan (smoke test)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "kernels.md")
    p.add_argument("--scan-rows", type=int, default=None, help="rows of the scan (default 1,000,000)")
    p.add_argument("--scan-repeat", type=int, default=None)
    p.add_argument("--cpu", type=int, default=None, help="pin the process to this CPU")
    args = p.parse_args()
    args.scan_rows = args.scan_rows or (100_000 if args.quick else 1_000_000)
    args.scan_repeat = args.scan_repeat or (3 if args.quick else 9)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    timer = Timer(0.02, 2) if args.quick else Timer(0.1, 5)
    if threadpoolctl:
        threadpoolctl.threadpool_limits(1)
    print(f"AgentDB kernels: {agentdb.kernel_backends()}; simsimd: {getattr(simsimd, '__version__', None)}", flush=True)
    rng = np.random.default_rng(0)
    kernels = kernel_rows(timer, rng)
    scan_result = scan(args.scan_rows, 128, args.scan_repeat, rng)
    text = report(kernels, scan_result, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
