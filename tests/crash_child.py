"""The writer of tests/test_crash.py: performs a deterministic sequence of writes and prints
``ACK <n>`` after write ``n`` returned, until it is killed.

Usage: python crash_child.py <db> <seed> <first op> <features>

Write ``n`` is a pure function of (seed, n) — see :func:`op` — so the parent can recompute what
every acknowledged write did. ``features`` is a comma-separated subset of ``vectors,state,memory``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

import agentdb  # noqa: E402

DIM = 4
IDS = 300  # small id space: ids are written, overwritten and deleted again and again
BIG = 1100  # a batch this large is committed to Lance directly, not through the log
STATE_KEYS = 12


def vector(n: int, key: str) -> List[float]:
    return [float(n), float(sum(map(ord, key)) % 97), 1.0, float(n % 13) - 6.0]


def op(seed: int, n: int, features: List[str]) -> Tuple[str, Any]:
    """Write number ``n``: ``("upsert", [ids])``, ``("delete", [ids])``, ``("state", key)``,
    ``("memory", id)``."""
    rng = random.Random(f"{seed}:{n}")
    if "vectors" in features and n % 400 == 200:
        return "upsert", [f"big{i}" for i in range(BIG)]
    kinds = ["upsert"] * 6 + ["delete"] * 2
    if "state" in features:
        kinds += ["state"] * 2
    if "memory" in features:
        kinds += ["memory"]
    if "vectors" not in features:
        kinds = [k for k in kinds if k not in ("upsert", "delete")]
    kind = rng.choice(kinds)
    if kind == "upsert":
        return kind, sorted({f"k{rng.randrange(IDS)}" for _ in range(rng.randint(1, 4))})
    if kind == "delete":
        return kind, sorted({f"k{rng.randrange(IDS)}" for _ in range(rng.randint(1, 2))})
    if kind == "state":
        return kind, f"key{rng.randrange(STATE_KEYS)}"
    return kind, f"m{n}"


def apply(model: Dict[str, Any], n: int, o: Tuple[str, Any]) -> None:
    """What write ``n`` does to the expected contents."""
    kind, arg = o
    if kind == "upsert":
        for i in arg:
            model["vectors"][i] = n
    elif kind == "delete":
        for i in arg:
            model["vectors"].pop(i, None)
    elif kind == "state":
        model["state"][arg] = n
    else:
        model["memory"].add(arg)


def new_model() -> Dict[str, Any]:
    return {"vectors": {}, "state": {}, "memory": set()}


def main() -> None:
    path, seed, first, features = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")
    db = agentdb.open(path, sync="always")
    coll = db.get_or_create_collection("crash", dim=DIM, metric="l2")
    mem = db.memory("crash_mem", dim=DIM) if "memory" in features else None
    state = db.state if "state" in features else None
    out = sys.stdout
    n = first
    while True:
        kind, arg = op(seed, n, features)
        if kind == "upsert":
            coll.upsert(
                arg,
                [vector(n, i) for i in arg],
                documents=[f"op {n}"] * len(arg),
                metadata=[{"op": n, "key": i} for i in arg],
            )
        elif kind == "delete":
            coll.delete(arg)
        elif kind == "state":
            assert state is not None
            state.put("agent", "session", arg, {"op": n})
        else:
            assert mem is not None
            mem.remember(f"memory {n}", agent_id="agent", vector=vector(n, arg), id=arg)
        out.write(f"ACK {n}\n")
        out.flush()
        n += 1


if __name__ == "__main__":
    main()
