"""The writer of tests/test_crash.py: performs a deterministic sequence of writes and prints
``ACK <n>`` after write ``n`` returned, until it is killed.

Usage: python crash_child.py <db> <seed> <first op> <features>

Write ``n`` is a pure function of (seed, n) — see :func:`op` — and so is every value it writes
(:func:`vector`, :func:`metadata`, :func:`state_value`, :func:`memory_fields`: doubles from random
bits, subnormals, ±0.0, extreme ints, awkward text), so the parent can recompute, bit for bit,
what every acknowledged write stored. ``features`` is a comma-separated subset of ``vectors,state,memory``.
"""

from __future__ import annotations

import math
import random
import struct
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

import numpy as np  # noqa: E402

import agentdb  # noqa: E402

DIM = 4
IDS = 300  # small id space: ids are written, overwritten and deleted again and again
BIG = 1100  # a batch this large is committed to Lance directly, not through the log
STATE_KEYS = 12


def _rng(n: int, key: str, what: str) -> random.Random:
    return random.Random(f"{n}:{key}:{what}")


def _double(rng: random.Random) -> float:
    """Any finite double, the awkward ones often: ±0.0, subnormals, the extremes, random bits."""
    pick = rng.random()
    if pick < 0.1:
        return rng.choice([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308, 0.1, 1 / 3])
    if pick < 0.2:
        return struct.unpack("<d", struct.pack("<Q", rng.getrandbits(52)))[0]  # subnormal (or 0)
    while True:
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(x):
            return x


def _float32(rng: random.Random, wide: bool) -> float:
    """A float32 value (as the double that holds it exactly): with ``wide``, random bits (any
    finite float32, subnormals and -0.0 included); otherwise of moderate size."""
    if not wide:
        return float(np.float32(rng.uniform(-4.0, 4.0)))
    while True:
        x = float(np.frombuffer(struct.pack("<I", rng.getrandbits(32)), dtype=np.float32)[0])
        if math.isfinite(x):
            return x


def _int(rng: random.Random) -> int:
    return rng.choice([0, -1, 2**53 + 1, -(2**53) - 1, 2**63 - 1, -(2**63), rng.randrange(-(2**63), 2**63)])


def _text(rng: random.Random) -> str:
    alphabet = "abcXYZ019 '\"\\%_\n\té漢字🙂"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))


def vector(n: int, key: str, wide: bool = True) -> List[float]:
    """The vector written by write ``n`` for ``key``: float32 values, compared bit for bit."""
    rng = _rng(n, key, "vector")
    v = [_float32(rng, wide) for _ in range(DIM)]
    if not wide and not any(v):
        v[0] = 1.0  # memories are compared by cosine: never all zeros
    return v


def metadata(n: int, key: str) -> Dict[str, Any]:
    """The metadata written by write ``n`` for record ``key`` (every metadata type but datetime)."""
    rng = _rng(n, key, "meta")
    return {
        "op": n,
        "key": key,
        "f": _double(rng),
        "i": _int(rng),
        "s": _text(rng),
        "b": rng.random() < 0.5,
        "tags": [_text(rng) for _ in range(rng.randrange(1, 4))],
    }


def state_value(n: int, key: str) -> Dict[str, Any]:
    """The agent-state value written by write ``n`` for ``key``: JSON with doubles, big ints,
    nesting."""
    rng = _rng(n, key, "state")
    return {
        "op": n,
        "f": _double(rng),
        "i": _int(rng),
        "s": _text(rng),
        "nested": {"l": [_double(rng), _int(rng), None, True, _text(rng)], "z": -0.0},
    }


def memory_fields(n: int, key: str) -> Dict[str, Any]:
    rng = _rng(n, key, "memory")
    return {"importance": rng.random(), "metadata": {"f": _double(rng), "i": _int(rng), "s": _text(rng)}}


def canon(v: Any) -> Any:
    """A value in a form where equal means bit-for-bit equal (``0.0 != -0.0``, floats never equal
    ints)."""
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int):
        return ("int", v)
    if isinstance(v, float):
        return ("float", struct.pack("<d", v))
    if isinstance(v, str) or v is None:
        return ("str", v)
    if isinstance(v, (list, tuple)):
        return ("list", tuple(canon(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted((k, canon(x)) for k, x in v.items())))
    raise TypeError(f"unexpected {type(v).__name__}: {v!r}")


def f32_bits(v: Any) -> bytes:
    return np.asarray(v, dtype=np.float32).tobytes()


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
                np.array([vector(n, i) for i in arg], dtype=np.float32),
                documents=[f"op {n}"] * len(arg),
                metadata=[metadata(n, i) for i in arg],
            )
        elif kind == "delete":
            coll.delete(arg)
        elif kind == "state":
            assert state is not None
            state.put("agent", "session", arg, state_value(n, arg))
        else:
            assert mem is not None
            mem.remember(
                f"memory {n}",
                agent_id="agent",
                vector=np.array(vector(n, arg, wide=False), dtype=np.float32),
                id=arg,
                **memory_fields(n, arg),
            )
        out.write(f"ACK {n}\n")
        out.flush()
        n += 1


if __name__ == "__main__":
    main()
