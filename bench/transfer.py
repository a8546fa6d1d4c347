"""Import throughput from a Chroma ``PersistentClient`` directory: the engine's own reader
(``db.import_chroma``, which reads Chroma's SQLite database and HNSW segment files) against the
path it replaced, reading through chromadb's client page by page and writing with ``add``.

* Source: ``--rows`` records (default 100,000) of ``--dim`` float32 (default 384) with a document
  and three metadata fields (str, int, float), written with chromadb in batches of 5,000 into a
  ``cosine`` collection (its HNSW segment persists them; the last writes stay in its log), then
  closed.
* Engine: ``db.import_chroma(dir, name)`` into a fresh database (read, convert, write in commits
  of 2,048 records; no index is built).
* chromadb client: ``collection.get(limit=1000, offset=…, include=[embeddings, documents,
  metadatas])`` then ``Collection.add`` of each page, into a fresh database — what
  ``agentdb.transfer.import_chroma`` did before the engine reader.

Each figure is the median of ``--runs`` runs (default 3), the page cache warm (the directory
was just written and read). Both imports are checked to hold the same records.

    python bench/transfer.py             # full run
    python bench/transfer.py --quick     # 20,000 rows, one run

Writes ``bench/results/transfer.md``. Not a test: it measures.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, List

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
import agentdb  # noqa: E402

NAME = "bench-notes"
WRITE_BATCH = 5_000
PAGE = 1_000


def make_chroma(path: Path, rows: int, dim: int) -> float:
    import chromadb

    rng = np.random.default_rng(0)
    client = chromadb.PersistentClient(path=str(path))
    col = client.create_collection(NAME, metadata={"hnsw:space": "cosine"})
    t = time.perf_counter()
    for s in range(0, rows, WRITE_BATCH):
        n = min(WRITE_BATCH, rows - s)
        col.add(
            ids=[f"id{i}" for i in range(s, s + n)],
            embeddings=rng.standard_normal((n, dim)).astype(np.float32),
            documents=[f"document number {i}" for i in range(s, s + n)],
            metadatas=[{"tag": f"t{i % 17}", "n": i, "w": i / 7} for i in range(s, s + n)],
        )
    elapsed = time.perf_counter() - t
    del col, client
    return elapsed


def via_engine(src: Path, dst: Path) -> int:
    with agentdb.connect(dst) as db:
        return db.import_chroma(src, NAME, progress=False)["records"]


def via_chromadb(src: Path, dst: Path) -> int:
    import chromadb

    client = chromadb.PersistentClient(path=str(src))
    source = client.get_collection(NAME)
    total = source.count()
    dim = len(source.get(limit=1, include=["embeddings"])["embeddings"][0])
    done = 0
    with agentdb.connect(dst) as db:
        coll = db.create_collection(NAME, dim=dim, metric="cosine")
        for offset in range(0, total, PAGE):
            page = source.get(limit=PAGE, offset=offset, include=["embeddings", "documents", "metadatas"])
            coll.add(
                ids=list(page["ids"]),
                vectors=np.asarray(page["embeddings"], dtype=np.float32),
                documents=list(page["documents"]),
                metadata=[dict(m) if m else {} for m in page["metadatas"]],
            )
            done += len(page["ids"])
    del source, client
    return done


def writes_alone(src: Path, dst: Path) -> int:
    """The write side by itself: the records the engine imported, already in memory, added to a
    fresh database in commits of 2,048 (what the import writes); the rest of an import's time is
    reading Chroma's files."""
    global _RECORDS
    if _RECORDS is None:
        with agentdb.connect(dst.with_name("records-src")) as db:
            db.import_chroma(src, NAME, progress=False)
            c = db.get_collection(NAME)
            g = c.get(limit=c.count())
            _RECORDS = (list(g.ids), np.asarray(g.vectors), list(g.documents), list(g.metadata))
        shutil.rmtree(dst.with_name("records-src"))
    ids, vecs, docs, metas = _RECORDS
    t = time.perf_counter()
    with agentdb.connect(dst) as db:
        coll = db.create_collection(NAME, dim=vecs.shape[1], metric="cosine")
        for s in range(0, len(ids), 2048):
            coll.add(ids=ids[s : s + 2048], vectors=vecs[s : s + 2048], documents=docs[s : s + 2048], metadata=metas[s : s + 2048])
    global _WRITE_S
    _WRITE_S.append(time.perf_counter() - t)
    return len(ids)


_RECORDS: Any = None
_WRITE_S: List[float] = []


def median_run(fn: Callable[[Path, Path], int], src: Path, work: Path, runs: int) -> tuple:
    times: List[float] = []
    count = 0
    for r in range(runs):
        dst = work / f"{fn.__name__}-{r}"
        t = time.perf_counter()
        count = fn(src, dst)
        times.append(time.perf_counter() - t)
        shutil.rmtree(dst)
    return statistics.median(times), count


def same_records(src: Path, work: Path) -> bool:
    a, b = work / "check-engine", work / "check-client"
    via_engine(src, a)
    via_chromadb(src, b)
    with agentdb.connect(a) as da, agentdb.connect(b) as dbb:
        ca, cb = da.get_collection(NAME), dbb.get_collection(NAME)
        ids = [f"id{i}" for i in range(0, ca.count(), 997)]
        ga, gb = ca.get(ids), cb.get(ids)
        ok: Any = ca.count() == cb.count() and ga.ids == gb.ids and ga.vectors.tobytes() == gb.vectors.tobytes()
        ok = ok and ga.documents == gb.documents and ga.metadata == gb.metadata
    shutil.rmtree(a)
    shutil.rmtree(b)
    return bool(ok)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--source", help="a Chroma directory this script wrote before (same --rows/--dim): reused, not rewritten")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "transfer.md"))
    args = ap.parse_args()
    if args.quick:
        args.rows, args.runs = 20_000, 1
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="agentdb-bench-transfer-") as tmp:
        work = Path(tmp)
        if args.source:
            src, write_s = Path(args.source), None
        else:
            src = work / "chroma"
            write_s = make_chroma(src, args.rows, args.dim)
        src_mb = sum(p.stat().st_size for p in src.rglob("*") if p.is_file()) / 1e6
        eng_s, eng_n = median_run(via_engine, src, work, args.runs)
        cli_s, cli_n = median_run(via_chromadb, src, work, args.runs)
        median_run(writes_alone, src, work, args.runs)
        wr_s = statistics.median(_WRITE_S)
        same = same_records(src, work)
    load = os.getloadavg()
    import chromadb

    lines = [
        "# Import from a Chroma directory",
        "",
        f"Produced by `python bench/transfer.py{' --quick' if args.quick else ''}{' --source DIR' if args.source else ''}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"in {(time.time() - started) / 60:.1f} min. {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"AgentDB {agentdb.__version__}, chromadb {chromadb.__version__}. Load average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        "(the machine is shared; figures are indicative).",
        "",
        f"Source: a Chroma `PersistentClient` directory of {args.rows:,} records × {args.dim} float32 (`cosine`) with a document and "
        f"three metadata fields each, {src_mb:.1f} MB on disk, written by chromadb in batches of {WRITE_BATCH:,}"
        f"{'' if write_s is None else f' in {write_s:.1f} s'}. "
        f"Median of {args.runs} run(s), page cache warm. Both imports hold the same records (sampled ids, vectors bit for bit, "
        f"documents, metadata): {'yes' if same else 'NO'}.",
        "",
        "| path | what it does | seconds | records/s |",
        "|---|---|--:|--:|",
        f"| `db.import_chroma` (engine reader) | SQLite read-only + HNSW segment files + log replay, commits of 2,048 | {eng_s:.2f} | {eng_n / eng_s:,.0f} |",
        f"| chromadb client (the old path) | `get(limit={PAGE}, offset=…)` pages, `Collection.add` each | {cli_s:.2f} | {cli_n / cli_s:,.0f} |",
        f"| AgentDB writes alone | the same records from memory, `Collection.add` in commits of 2,048 | {wr_s:.2f} | {eng_n / wr_s:,.0f} |",
        "",
        f"The engine reader is {cli_s / eng_s:.2f}× the old path's speed, and needs no chromadb. Writing the records into "
        f"AgentDB takes {wr_s:.2f} s of either import: reading Chroma's files costs the engine {max(eng_s - wr_s, 0):.2f} s "
        f"({eng_n / max(eng_s - wr_s, 1e-9):,.0f} records/s) and the chromadb client {max(cli_s - wr_s, 0):.2f} s "
        f"({cli_n / max(cli_s - wr_s, 1e-9):,.0f} records/s).",
        "",
    ]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
