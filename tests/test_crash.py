"""Crash test: a child process performs acknowledged writes (vectors, and agent state and memories
when the engine has them) and is killed with SIGKILL at random moments, many times. After each
kill the database must open cleanly and hold every acknowledged write, intact, and nothing else
but possibly the one write in flight when the kill came. "Intact" is exact: every vector, metadata
value, agent-state value and memory field compares bit for bit with what was written (doubles from
random bits, subnormals, ±0.0, extreme ints, non-ASCII text).

The child (tests/crash_child.py) prints ``ACK n`` after write ``n`` returned; every write is a
pure function of (seed, n), so the parent recomputes the expected contents. Set
``AGENTDB_CRASH_ITERATIONS`` (default 20; ``make stress`` runs 300) and ``AGENTDB_CRASH_SEED``
to vary a run.
"""

from __future__ import annotations

import copy
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

import agentdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import crash_child  # noqa: E402
from crash_child import canon, f32_bits  # noqa: E402

ITERATIONS = int(os.environ.get("AGENTDB_CRASH_ITERATIONS", "20"))


def features() -> List[str]:
    out = ["vectors"]
    if hasattr(agentdb.Database, "state"):
        out.append("state")
    if hasattr(agentdb.Database, "memory"):
        out.append("memory")
    return out


def read_back(path: Path, feats: List[str], candidates: Dict[str, Any]) -> Dict[str, Any]:
    """The database's contents in the model's shape, checking each record is intact."""
    got = crash_child.new_model()
    with agentdb.open(path) as db:
        coll = db.get_or_create_collection("crash", dim=crash_child.DIM, metric="l2")
        r = coll.get()
        for i, rec in enumerate(r):
            # Every stored value exactly as written by the write it claims: floats bit for bit.
            n = rec.metadata["op"]
            assert canon(rec.metadata) == canon(crash_child.metadata(n, rec.id)), rec
            assert rec.document == f"op {n}", rec
            assert f32_bits(r.vectors[i]) == f32_bits(crash_child.vector(n, rec.id)), rec
            got["vectors"][rec.id] = n
        assert coll.count() == len(got["vectors"])
        if "state" in feats:
            for k in range(crash_child.STATE_KEYS):
                key = f"key{k}"
                value = db.state.get("agent", "session", key)
                if value is not None:
                    assert canon(value) == canon(crash_child.state_value(value["op"], key)), value
                    got["state"][key] = value["op"]
        if "memory" in feats:
            mem = db.memory("crash_mem", dim=crash_child.DIM)
            records = mem.get(sorted(candidates["memory"]))
            for rec in records:
                n = int(rec.id[1:])
                assert rec.text == f"memory {n}", rec
                assert f32_bits(rec.vector) == f32_bits(crash_child.vector(n, rec.id, wide=False)), rec
                fields = crash_child.memory_fields(n, rec.id)
                assert canon(rec.importance) == canon(fields["importance"]), rec
                assert canon(rec.metadata) == canon(fields["metadata"]), rec
                got["memory"].add(rec.id)
            assert mem.count() == len(got["memory"])
    return got


def describe(diff_from: Dict[str, Any], actual: Dict[str, Any]) -> str:
    lines = []
    for part in ("vectors", "state"):
        want, have = diff_from[part], actual[part]
        for k in sorted(set(want) | set(have)):
            if want.get(k) != have.get(k):
                lines.append(f"{part}[{k}]: expected {want.get(k)}, found {have.get(k)}")
    missing = diff_from["memory"] - actual["memory"]
    extra = actual["memory"] - diff_from["memory"]
    if missing or extra:
        lines.append(f"memory: missing {sorted(missing)[:10]}, unexpected {sorted(extra)[:10]}")
    return "\n".join(lines[:20])


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_every_acknowledged_write_survives_sigkill(tmp_path: Path) -> None:
    seed = int(os.environ.get("AGENTDB_CRASH_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    feats = features()
    path = tmp_path / "db"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent / "python"), env.get("PYTHONPATH")]))
    model = crash_child.new_model()  # contents after the first `applied` writes
    applied = 0
    total_acked = 0
    for iteration in range(ITERATIONS):
        child = subprocess.Popen(
            [sys.executable, str(HERE / "crash_child.py"), str(path), str(seed), str(applied), ",".join(feats)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None
        target = rng.randint(20, 300)
        last = applied - 1
        while last - applied + 1 < target:
            line = child.stdout.readline()
            if not line:
                child.wait()
                pytest.fail(f"seed {seed}: the writer died on its own:\n{child.stderr.read() if child.stderr else ''}")
            last = int(line.split()[1])
        # Land anywhere: between writes, inside an append, a sync, a flush or a compaction.
        time.sleep(rng.uniform(0, 0.02))
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        for line in rest.splitlines():
            if line.startswith("ACK "):
                last = int(line.split()[1])
        total_acked += last - applied + 1

        # Every acknowledged write (applied .. last) is in; the one in flight may be.
        acked = model
        for n in range(applied, last + 1):
            crash_child.apply(acked, n, crash_child.op(seed, n, feats))
        with_next = copy.deepcopy(acked)
        crash_child.apply(with_next, last + 1, crash_child.op(seed, last + 1, feats))
        actual = read_back(path, feats, with_next)
        if actual == acked:
            applied = last + 1
        elif actual == with_next:
            acked, applied = with_next, last + 2
        else:
            pytest.fail(
                f"seed {seed}, iteration {iteration}: after acknowledged write {last} the database holds\n"
                + describe(acked, actual)
            )
        model = acked
    # Thousands of acknowledged writes over the run (the default settings).
    assert total_acked >= ITERATIONS * 20
