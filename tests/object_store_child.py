"""Child processes of tests/test_object_store.py (a second process is what a second machine
looks like to the store).

Usage: python object_store_child.py MODE URI OPTIONS_JSON [ARGS...]

* ``writer WAL_DIR`` — opens ``URI`` for writing and adds record ``i`` (vector :func:`vector`)
  for i = 0, 1, ...; prints ``ACK i`` after each ``add`` returned, until killed.
* ``hold WAL_DIR`` — opens ``URI`` for writing, prints ``OPEN``, then waits until killed.
* ``open WAL_DIR`` — tries a writable open; prints ``OPENED`` or ``ERROR <class> <message>``.
* ``read`` — opens ``URI`` read-only and prints one JSON line: the count of collection ``c``,
  the ids of its 3 nearest to vector(7), memory (None if there is no store ``m``) and state values written by the parent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

import numpy as np  # noqa: E402

import agentdb  # noqa: E402

DIM = 8


def vector(i: int) -> np.ndarray:
    return np.random.default_rng(i).standard_normal(DIM).astype(np.float32)


def main() -> None:
    mode, uri, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    if mode in ("writer", "hold", "open"):
        wal_dir = sys.argv[4]
        lease_ttl = options.pop("_lease_ttl", None)
        try:
            db = agentdb.connect(uri, storage_options=options, wal_dir=wal_dir, lease_ttl=lease_ttl)
        except agentdb.errors.AgentDBError as e:
            print("ERROR", type(e).__name__, str(e).replace("\n", " "), flush=True)
            return
        if mode == "open":
            print("OPENED", flush=True)
            db.close()
            return
        if mode == "hold":
            print("OPEN", flush=True)
            sys.stdin.read()  # until the parent kills us or closes stdin
            db.close()
            return
        c = db.get_or_create_collection("c", dim=DIM, metric="l2")
        i = 0
        while True:
            c.add([f"r{i}"], vector(i)[None, :], documents=[f"doc {i}"])
            print("ACK", i, flush=True)
            i += 1
    if mode == "read":
        db = agentdb.connect(uri, storage_options=options, read_only=True)
        c = db.get_collection("c")
        hits = c.search(vector(7), k=3)
        out = {
            "count": c.count(),
            "nearest": list(hits.ids),
            "index": None if c.index is None else c.index.kind,
            "state": db.state.get("agent", "s", "k"),
            # A writer that wrote no memory store (the kill test) has none to open read-only.
            "memories": db.memory("m", dim=DIM).count() if "m" in db.list_memories() else None,
        }
        print(json.dumps(out), flush=True)
        db.close()
        return
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
