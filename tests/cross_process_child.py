"""The processes of tests/test_cross_process.py: one writer and any number of read-only readers of
one database, each its own process.

Usage:
    python cross_process_child.py writer <db> <seed> <seconds>
    python cross_process_child.py reader <db> <seconds>

The collection ``torn`` holds ``GROUPS`` groups of ``GROUP_ROWS`` records. Every write of the
writer is one *batch* ``b``: it upserts all the records of one group, each carrying ``batch = b``
(in its metadata, its document and its vector), or it deletes all the records of one group. The
writer prints ``U <b> <g>`` / ``D <b> <g>`` after batch ``b`` returned, so the journal it prints is
the order of its writes.

A reader reads the whole collection again and again and prints one line per read: per group,
``<b>`` when all its records are there and carry batch ``b``, ``-`` when none is there, and
``X…`` (with what it saw) for anything else; ``BAD …`` when a record disagrees with itself.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

import agentdb  # noqa: E402

NAME = "torn"
DIM = 4
GROUPS = 20
GROUP_ROWS = 50


def ids_of(g: int) -> List[str]:
    return [f"g{g}r{i}" for i in range(GROUP_ROWS)]


def vector(b: int, g: int, i: int) -> List[float]:
    return [float(b), float(g), float(i), 0.5]


def upsert(coll: agentdb.Collection, b: int, g: int, extra_key: bool = False) -> None:
    meta: List[Dict[str, object]] = [{"batch": b, "group": g} for _ in range(GROUP_ROWS)]
    if extra_key:
        # Now and then a new metadata key: a schema change (its own Lance commit) mid-stream.
        for m in meta:
            m[f"extra{b % 5}"] = b
    coll.upsert(
        ids_of(g),
        [vector(b, g, i) for i in range(GROUP_ROWS)],
        documents=[f"batch {b}"] * GROUP_ROWS,
        metadata=meta,
    )


def setup(path: str) -> None:
    """Batches 0 .. GROUPS-1: group g written by batch g, flushed."""
    with agentdb.open(path) as db:
        coll = db.create_collection(NAME, dim=DIM, metric="l2")
        for g in range(GROUPS):
            upsert(coll, g, g)
        db.flush()


def writer(path: str, seed: int, seconds: float) -> None:
    rng = random.Random(seed)
    out = sys.stdout
    db = agentdb.open(path, sync="off")
    coll = db.get_collection(NAME)
    b = GROUPS
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        g = rng.randrange(GROUPS)
        if rng.random() < 0.08:
            coll.delete(ids_of(g))
            out.write(f"D {b} {g}\n")
        else:
            upsert(coll, b, g, extra_key=rng.random() < 0.02)
            out.write(f"U {b} {g}\n")
        b += 1
        r = rng.random()
        if r < 0.6:
            db.flush()  # one flush per batch
        elif r < 0.65:
            time.sleep(rng.uniform(0, 0.3))  # several batches, flushed by the background flusher
    db.close()
    out.write("DONE\n")
    out.flush()


def summarize(r: agentdb.GetResult) -> str:
    seen: Dict[int, Counter] = {}
    for i in range(len(r)):
        meta = r.metadata[i]
        b, g = meta.get("batch"), meta.get("group")
        rid = r.ids[i]
        row = int(rid.split("r")[1]) if rid.startswith(f"g{g}r") else -1
        if (
            row < 0
            or r.documents[i] != f"batch {b}"
            or [float(x) for x in r.vectors[i]] != vector(b, g, row)
        ):
            return f"BAD {rid} {meta} {r.documents[i]} {list(r.vectors[i])}"
        seen.setdefault(g, Counter())[b] += 1
    parts = []
    for g in range(GROUPS):
        c = seen.get(g)
        if not c:
            parts.append("-")
        elif len(c) == 1 and next(iter(c.values())) == GROUP_ROWS:
            parts.append(str(next(iter(c))))
        else:
            parts.append("X" + ",".join(f"{b}x{n}" for b, n in sorted(c.items())))
    return " ".join(parts)


def reader(path: str, seconds: float) -> None:
    out = sys.stdout
    db = agentdb.open(path, read_only=True)
    coll = db.get_collection(NAME)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = summarize(coll.get())
        except agentdb.AgentDBError as e:
            line = f"ERROR {type(e).__name__}: {e}"
        out.write(line + "\n")
    out.flush()
    db.close()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "writer":
        writer(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "reader":
        reader(sys.argv[2], float(sys.argv[3]))
    elif mode == "setup":
        setup(sys.argv[2])
    else:
        raise SystemExit(f"unknown mode {mode}")
