"""The writer process of tests/test_backup.py: writes batches to a collection and the agent state
without pause in a thread, and backs the database up from its main thread while the writes go on.

    python backup_writer_child.py DB CTL BACKUPS

Batch ``i`` is records ``i*BATCH .. i*BATCH+BATCH-1`` of collection ``w`` (one ``add``) and the
state key ``k<i>`` (one ``put``). ``acked`` counts the batches whose two calls have returned. For
each backup, ``CTL/backup-<n>.json`` records ``acked`` read just before the call (every batch
below it must be in the point) and the point. ``CTL/flushed`` holds the batches acknowledged
before the last ``db.flush()`` that returned (what a read-only backup in another process must
hold). ``CTL/stop`` ends the run.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

import agentdb

BATCH = 5
DIM = 4


def record(n: int) -> tuple:
    """Record ``n``'s id, vector, document and metadata (the test checks them whole)."""
    return f"r{n:07d}", np.array([n, n % 13, 1.0, -n], dtype=np.float32), f"document {n}", {"n": n, "tag": f"t{n % 7}"}


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main() -> None:
    db_path, ctl, backups = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    db = agentdb.connect(db_path, sync="batch")
    col = db.get_or_create_collection("w", DIM, "l2")
    state = db.state
    acked = 0
    lock = threading.Lock()
    stop = threading.Event()
    errors: list = []

    def writer() -> None:
        nonlocal acked
        i = 0
        try:
            while not stop.is_set():
                rows = [record(i * BATCH + j) for j in range(BATCH)]
                col.add([r[0] for r in rows], np.stack([r[1] for r in rows]), documents=[r[2] for r in rows], metadata=[r[3] for r in rows])
                state.put("agent", "s", f"k{i}", {"i": i, "ids": [r[0] for r in rows]})
                i += 1
                with lock:
                    acked = i
                if i % 40 == 0:
                    before = i
                    db.flush()
                    write_atomic(ctl / "flushed", str(before))
        except BaseException as e:  # pragma: no cover - reported to the test
            errors.append(repr(e))

    t = threading.Thread(target=writer)
    t.start()
    n = 0
    while not (ctl / "stop").exists():
        time.sleep(0.05)
        request = ctl / f"request-{n + 1}"
        if not request.exists():
            continue
        n += 1
        with lock:
            before = acked
        point = db.backup(backups, incremental=n > 1)
        with lock:
            after = acked
        write_atomic(ctl / f"backup-{n}.json", json.dumps({"acked_before": before, "acked_after": after, "seq": point.seq, "copied_bytes": point.copied_bytes}))
    stop.set()
    t.join()
    write_atomic(ctl / "done", json.dumps({"acked": acked, "errors": errors}))
    db.close()


if __name__ == "__main__":
    main()
