"""Storage maintenance without being asked: a store opened for one write at a time (an agent
opening it per request) is compacted and its old versions removed on their own.

Every flush is a Lance commit: a new data file and a new version. The thresholds (see
``rust/engine/src/database.rs`` and the README): a table is compacted once it has 16 fragments of
fewer than 100,000 rows (or more than a tenth of its stored rows are deleted ones), and its
replaced versions are removed once at least 32 of them were replaced over 10 s ago (a reader in
another process may still be reading the younger ones) and at least a quarter as many as the
versions kept. Checked on close and after background flushes; looking costs one directory listing,
and no manifest is read unless a cleanup is due, so a session costs the same at cycle 1,000 as at
cycle 10 (the figures are printed with ``-s``; timing is not asserted).

``AGENTDB_SESSION_CYCLES`` (default 200) sets the number of open → write → close cycles.
"""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path
from typing import List

import numpy as np

import agentdb

CYCLES = int(os.environ.get("AGENTDB_SESSION_CYCLES", "200"))
COMPACT_SMALL_FRAGMENTS = 16
PRUNE_VERSIONS = 32
VERSION_GRACE = 10.0
# After a pause longer than VERSION_GRACE, the next session's close leaves fewer than
# PRUNE_VERSIONS replaced versions (cleanup runs once that many can go; nothing is inside the
# grace then but that session's own few), whose data files are their current
# fragments (fewer than COMPACT_SMALL_FRAGMENTS small ones) and the files they added (one each,
# or one compacted file).
FILE_BOUND = COMPACT_SMALL_FRAGMENTS + PRUNE_VERSIONS + 2
DIM = 8


def files(path: Path, table: str, sub: str) -> List[Path]:
    d = path / f"{table}.lance" / sub
    return [p for p in d.iterdir() if p.is_file()] if d.exists() else []


def manifest_files(path: Path, table: str) -> List[Path]:
    return [p for p in files(path, table, "_versions") if p.suffix == ".manifest"]


def window_means(times: List[float]) -> str:
    """Mean seconds per cycle over the 10 cycles up to cycle 10, 100, 1,000... (as far as run)."""
    out = []
    at = 10
    while at <= len(times):
        out.append(f"cycle {at}: {np.mean(times[at - 10:at]):.4f}")
        at *= 10
    return ", ".join(out)


def vec(cycle: int, i: int) -> np.ndarray:
    rng = np.random.default_rng(cycle * 1000 + i)
    return rng.standard_normal(DIM).astype(np.float32)


def cycle_write(path: Path, cycle: int) -> None:
    with agentdb.open(path) as db:
        c = db.get_or_create_collection("s", dim=DIM, metric="l2")
        # One batch: the same 50 records rewritten, and one new record.
        ids = [f"fixed{i}" for i in range(50)] + [f"new{cycle}"]
        c.upsert(
            ids,
            np.stack([vec(cycle, i) for i in range(51)]),
            documents=[f"cycle {cycle}"] * 51,
            metadata=[{"cycle": cycle, "x": cycle + i / 8} for i in range(51)],
        )
        db.state.put("agent", "session", "counter", {"cycle": cycle})


def test_short_sessions_stay_compact(tmp_path: Path) -> None:
    path = tmp_path / "db"
    times: List[float] = []
    peak = 0
    peak_versions = 0
    for cycle in range(CYCLES):
        t0 = time.perf_counter()
        cycle_write(path, cycle)
        times.append(time.perf_counter() - t0)
        peak = max(peak, len(files(path, "s", "data")))
        peak_versions = max(peak_versions, len(manifest_files(path, "s")))
    # Let every version but the last few pass the grace period; one more session cleans up.
    time.sleep(VERSION_GRACE + 1)
    cycle_write(path, CYCLES)
    last = CYCLES
    data = files(path, "s", "data")
    manifests = manifest_files(path, "s")
    state_data = files(path, "_agentdb_state", "data")
    tenth = max(1, CYCLES // 10)
    print(
        f"\nshort sessions: {CYCLES} cycles, seconds per cycle: first {tenth} mean "
        f"{np.mean(times[:tenth]):.4f}, last {tenth} mean {np.mean(times[-tenth:]):.4f}, "
        f"max {max(times):.4f}; mean of the 10 cycles up to {window_means(times)}; data files at "
        f"most {peak} and versions at most {peak_versions} during the loop, {len(data)} data files "
        f"after cleanup; {len(manifests)} versions; agent-state data files {len(state_data)}"
    )
    assert len(data) <= FILE_BOUND, f"{len(data)} data files after {CYCLES + 1} sessions"
    assert len(manifests) <= PRUNE_VERSIONS + 4, f"{len(manifests)} versions after {CYCLES + 1} sessions"
    assert len(state_data) <= FILE_BOUND, f"{len(state_data)} agent-state data files"

    # All the data is there, exactly.
    with agentdb.open(path, read_only=True) as db:
        c = db.get_collection("s")
        assert c.count() == 50 + CYCLES + 1
        r = c.get()
        got = {rec.id: rec for rec in r}
        assert len(got) == 50 + CYCLES + 1
        for i in range(50):
            rec = got[f"fixed{i}"]
            assert rec.document == f"cycle {last}"
            assert rec.metadata == {"cycle": last, "x": last + i / 8}
            assert np.asarray(rec.vector, dtype=np.float32).tobytes() == vec(last, i).tobytes()
        for cycle in range(CYCLES + 1):
            rec = got[f"new{cycle}"]
            assert rec.document == f"cycle {cycle}"
            assert struct.pack("<d", rec.metadata["x"]) == struct.pack("<d", cycle + 50 / 8)
            assert np.asarray(rec.vector, dtype=np.float32).tobytes() == vec(cycle, 50).tobytes()
        assert db.state.get("agent", "session", "counter") == {"cycle": last}
