"""Backup and restore throughput: ``db.backup`` / ``agentdb.restore`` in MB/s against a plain
``cp -r`` of the database directory, and the size of an incremental backup after 1% of the
records changed.

* Database: ``--rows`` records (default 200,000) of 128 float32 with a document and a metadata
  field each, added in batches of 10,000, closed (nothing buffered; the close compacts the small
  fragments).
* ``cp -r``: the database directory copied to a fresh directory (no fsync; the backup and the
  restore fsync every file they write, and hash every byte with SHA-256 — the comparison flatters
  ``cp``).
* Full backup: ``db.backup(dest)`` into an empty directory; restore: ``agentdb.restore`` of that
  point into an empty directory (every file checked against its SHA-256).
* Incremental: 1% of the records upserted (new vectors), then ``db.backup(dest, incremental=True)``
  into the same directory: the bytes it copied, against the full point's.
* Data-file checksums: the close of a writable open after a one-record add, with the table's
  checksum ledger removed before (the close's upkeep then sums every data file again) and with it
  in place (it sums only the new file): the difference is what summing the table costs, once per
  file in a table's life. And ``db.verify()`` (read-only open), which sums every file again and
  reads the current version whole.

Each figure is the median of ``--runs`` runs (default 3), with the page cache warm (the database
was just written). MB = 10^6 bytes.

    python bench/backup.py              # full run
    python bench/backup.py --quick      # 40,000 rows, one run

Writes ``bench/results/backup.md``. Not a test: it checks nothing, it measures.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, List

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
import agentdb  # noqa: E402

DIM = 128
BATCH = 10_000


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def build(path: Path, rows: int, rng: np.random.Generator) -> None:
    with agentdb.connect(path, sync="off") as db:
        col = db.create_collection("docs", DIM, "cosine")
        for start in range(0, rows, BATCH):
            n = min(BATCH, rows - start)
            col.add(
                [f"id{i}" for i in range(start, start + n)],
                rng.random((n, DIM), dtype=np.float32),
                documents=[f"document number {i} with a few words of text" for i in range(start, start + n)],
                metadata=[{"n": i, "group": f"g{i % 10}"} for i in range(start, start + n)],
            )


def close_after_one_add(path: Path, rng: np.random.Generator, drop_ledger: bool, i: int) -> float:
    """Seconds of the close after a one-record add (its upkeep seals the table's files)."""
    if drop_ledger:
        (path / "docs.lance" / "_agentdb_checksums.json").unlink(missing_ok=True)
    db = agentdb.connect(path, sync="off")
    db.get_collection("docs").add([f"extra{i}"], rng.random((1, DIM), dtype=np.float32))
    t = time.perf_counter()
    db.close()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "backup.md")
    args = ap.parse_args()
    if args.quick:
        args.rows, args.runs = 40_000, 1
    started = time.time()
    rng = np.random.default_rng(42)
    work = Path(tempfile.mkdtemp(prefix="agentdb-bench-backup-"))
    try:
        db_path = work / "db"
        build(db_path, args.rows, rng)
        size = dir_bytes(db_path)
        # Closing compacts small fragments (see storage/lance.rs): count what is there.
        fragments = len(list((db_path / "docs.lance" / "data").iterdir()))

        cp_t: List[float] = []
        backup_t: List[float] = []
        restore_t: List[float] = []
        point_bytes = 0
        for r in range(args.runs):
            cp_t.append(timed(lambda: subprocess.run(["cp", "-r", str(db_path), str(work / f"cp{r}")], check=True)))
            shutil.rmtree(work / f"cp{r}")
            with agentdb.connect(db_path) as db:
                dest = work / f"bk{r}"
                t = time.perf_counter()
                point = db.backup(dest)
                backup_t.append(time.perf_counter() - t)
                point_bytes = point.total_bytes
            restore_t.append(timed(lambda: agentdb.restore(work / f"bk{r}", work / f"restored{r}")))
            shutil.rmtree(work / f"restored{r}")
            if r:
                shutil.rmtree(work / f"bk{r}")

        # 1% of the records change, then an incremental point in the first backup directory.
        changed = args.rows // 100
        ids = rng.choice(args.rows, size=changed, replace=False)
        incr_t: List[float] = []
        incr_bytes: List[int] = []
        with agentdb.connect(db_path) as db:
            col = db.get_collection("docs")
            for r in range(args.runs):
                chunk = ids[r * changed // args.runs : (r + 1) * changed // args.runs] if args.runs > 1 else ids
                col.upsert([f"id{i}" for i in chunk], rng.random((len(chunk), DIM), dtype=np.float32))
            t = time.perf_counter()
            incr = db.backup(work / "bk0", incremental=True)
            incr_t.append(time.perf_counter() - t)
            incr_bytes.append(incr.copied_bytes)
            # No change at all: what a point costs by itself.
            t = time.perf_counter()
            empty = db.backup(work / "bk0", incremental=True)
            incr_t.append(time.perf_counter() - t)
        incr_restore_t = timed(lambda: agentdb.restore(work / "bk0", work / "restored-incr", at=incr.seq))
        # Checksums: alternate a close that sums every file with one that sums only the new one.
        resum_t: List[float] = []
        keep_t: List[float] = []
        for r in range(max(args.runs, 3)):
            resum_t.append(close_after_one_add(db_path, rng, True, 2 * r))
            keep_t.append(close_after_one_add(db_path, rng, False, 2 * r + 1))
        data_bytes = sum(p.stat().st_size for p in (db_path / "docs.lance" / "data").iterdir())
        verify_t: List[float] = []
        for _ in range(args.runs):
            with agentdb.connect(db_path, read_only=True) as db:
                t = time.perf_counter()
                report = db.verify()
                verify_t.append(time.perf_counter() - t)
                assert report.ok, report
        mb = size / 1e6
        med = statistics.median
        lines = [
            "# Backup and restore",
            "",
            f"Produced by `python bench/backup.py{' --quick' if args.quick else ''}` on "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {(time.time() - started) / 60:.1f} min. "
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, AgentDB {agentdb.__version__}. "
            f"Load average at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine is shared; figures are indicative).",
            "",
            f"Database: {args.rows:,} records of {DIM} float32 with a document and two metadata fields, "
            f"added in batches of {BATCH:,}, {fragments} data files after the close's compaction, {mb:.1f} MB on disk ({point_bytes / 1e6:.1f} MB in a backup point: "
            "the write-ahead log, lock and caches are not copied). Page cache warm. Median of "
            f"{args.runs} run(s). MB = 10^6 bytes.",
            "",
            "## Throughput",
            "",
            "| operation | what it does | seconds | MB/s |",
            "|---|---|--:|--:|",
            f"| `cp -r` of the directory | copy, no fsync, no checksum | {med(cp_t):.2f} | {mb / med(cp_t):,.0f} |",
            f"| `db.backup(dest)` (full) | flush, pin versions, copy + SHA-256 + fsync every file | {med(backup_t):.2f} | {point_bytes / 1e6 / med(backup_t):,.0f} |",
            f"| `agentdb.restore(src, path)` | copy + check SHA-256 + fsync every file | {med(restore_t):.2f} | {point_bytes / 1e6 / med(restore_t):,.0f} |",
            "",
            "## Incremental backup after 1% of the records changed",
            "",
            "| point | copied | of a full point | seconds |",
            "|---|--:|--:|--:|",
            f"| full | {point_bytes / 1e6:.2f} MB | 100% | {med(backup_t):.2f} |",
            f"| incremental, {changed:,} records upserted (1%) | {incr_bytes[0] / 1e6:.2f} MB | {100 * incr_bytes[0] / point_bytes:.2f}% | {incr_t[0]:.2f} |",
            f"| incremental, nothing changed | {empty.copied_bytes / 1e6:.3f} MB | {100 * empty.copied_bytes / point_bytes:.3f}% | {incr_t[1]:.2f} |",
            "",
            f"Restoring the incremental point (all {incr.files} files, {incr.total_bytes / 1e6:.1f} MB, from the points "
            f"that hold them) took {incr_restore_t:.2f} s.",
            "",
            "The incremental point copies the new fragment of the upserted rows, the deletion files marking "
            "their old copies, and the new manifest; the unchanged fragments are named from the earlier point "
            "(Lance never rewrites a data file under the same name). The SHA-256 of every byte is the main cost "
            "of a full backup and restore over `cp -r` (it is what lets restore refuse a damaged backup).",
            "",
            "## Data-file checksums",
            "",
            "| call | seconds | note |",
            "|---|--:|---|",
            f"| close after a one-record add, ledger in place | {med(keep_t):.3f} | the upkeep sums only the new data file |",
            f"| the same, ledger removed first | {med(resum_t):.3f} | the upkeep sums all {data_bytes / 1e6:.1f} MB of data files again: "
            f"{data_bytes / 1e6 / max(med(resum_t) - med(keep_t), 1e-9):,.0f} MB/s of summing |",
            f"| `db.verify()` (read-only) | {med(verify_t):.2f} | sums every file of every retained version and reads the current one whole: "
            f"{size / 1e6 / med(verify_t):,.0f} MB/s of the directory |",
            "",
            "Each data file is summed once in its life (CRC-32C, table-driven), by the upkeep after the flush or "
            "close that committed it, on the background flusher's thread or in `close()`.",
            "",
        ]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines))
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
