"""Writers and readers on several threads at once: every batch is seen whole or not at all, by
every kind of read, while small writes are buffered, flushed in the background and flushed by
reads that need Lance."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Dict, List

import numpy as np

import agentdb

WRITERS = 4
READERS = 3
ROUNDS = 60
GROUP = 5  # records per batch, all carrying the batch's generation
DIM = 4


def group_ids(w: int) -> List[str]:
    return [f"w{w}-{j}" for j in range(GROUP)]


def vectors(w: int, gen: int) -> np.ndarray:
    return np.array([[w, gen, j, 1.0] for j in range(GROUP)], dtype=np.float32)


def test_readers_never_see_partial_batches(db_path: Path) -> None:
    db = agentdb.open(db_path)
    c = db.create_collection("t", dim=DIM, metric="l2")
    errors: List[str] = []
    done = threading.Event()

    def writer(w: int) -> None:
        try:
            for gen in range(1, ROUNDS + 1):
                ids = group_ids(w)
                if gen % 10 == 0:
                    # A batched delete: the whole group goes at once...
                    assert c.delete(ids) == GROUP
                    # ...and comes back as one batch.
                    c.add(ids, vectors(w, gen), metadata=[{"w": w, "gen": gen}] * GROUP)
                else:
                    c.upsert(ids, vectors(w, gen), documents=[f"{w}:{gen}"] * GROUP, metadata=[{"w": w, "gen": gen}] * GROUP)
                if gen % 25 == 0:
                    db.flush()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(f"writer {w}: {e!r}")

    def check_group(where: str, w: int, gens: List[int], vecs: np.ndarray) -> None:
        if not gens:
            return
        if len(gens) != GROUP or len(set(gens)) != 1:
            errors.append(f"{where}: writer {w} group seen as generations {gens}")
            return
        want = vectors(w, gens[0])
        if vecs is not None and not np.array_equal(np.asarray(vecs, dtype=np.float32), want):
            errors.append(f"{where}: writer {w} generation {gens[0]} has other vectors")

    def reader(r: int) -> None:
        try:
            while not done.is_set():
                for w in range(WRITERS):
                    ids = group_ids(w)
                    got = c.get(ids)
                    check_group("get(ids)", w, [m["gen"] for m in got.metadata], got.vectors if len(got) else None)
                    got = c.get(where={"w": w})
                    order = np.argsort(got.ids)
                    check_group(
                        "get(where)", w, [got.metadata[i]["gen"] for i in order], got.vectors[order] if len(got) else None
                    )
                    n = c.count(where={"w": w})
                    if n not in (0, GROUP):
                        errors.append(f"count: writer {w} has {n} records")
                    hits = c.search(vectors(w, 0)[0], k=GROUP * WRITERS)
                    by_writer: Dict[int, List[int]] = {}
                    for m in hits.metadata:
                        by_writer.setdefault(m["w"], []).append(m["gen"])
                    for ww, gens in by_writer.items():
                        if len(gens) != GROUP or len(set(gens)) != 1:
                            errors.append(f"search: writer {ww} group seen as generations {gens}")
                    hits = c.search(vectors(w, 0)[0], k=GROUP, where={"w": w})
                    check_group("search(where)", w, [m["gen"] for m in hits.metadata], None)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(f"reader {r}: {e!r}")

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    readers = [threading.Thread(target=reader, args=(r,)) for r in range(READERS)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert not errors, "\n".join(errors[:20])

    # The end state: every group at its last generation, after a flush and after reopening.
    def final(coll: agentdb.Collection) -> None:
        assert coll.count() == WRITERS * GROUP
        for w in range(WRITERS):
            got = coll.get(group_ids(w))
            assert [m["gen"] for m in got.metadata] == [ROUNDS] * GROUP
            np.testing.assert_array_equal(got.vectors, vectors(w, ROUNDS))

    final(c)
    db.flush()
    final(c)
    db.close()
    with agentdb.open(db_path) as db2:
        final(db2.get_collection("t"))


def test_concurrent_single_row_writers_all_land(db_path: Path) -> None:
    # Many threads of one-row adds share group commits; every one of them is durable and
    # visible, and none is lost or doubled.
    threads, per = 8, 150
    with agentdb.open(db_path) as db:
        c = db.create_collection("t", dim=DIM, metric="l2")

        def run(t: int) -> None:
            for i in range(per):
                c.add([f"{t}-{i}"], np.array([[t, i, 0, 1]], dtype=np.float32), metadata=[{"t": t}])

        ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert c.count() == threads * per
        assert c.count(where={"t": 3}) == per
    with agentdb.open(db_path) as db:
        c = db.get_collection("t")
        ids = sorted(c.get().ids)
        assert ids == sorted(f"{t}-{i}" for t in range(threads) for i in range(per))
