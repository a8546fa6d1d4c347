"""Persistence: what was committed is there after close/reopen, and in another process."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict

import numpy as np
from _helpers import snapshot

import agentdb

ROOT = Path(__file__).resolve().parents[1]

UTC = dt.timezone.utc

# A child process dumps a collection (and a search) as JSON.
DUMP = textwrap.dedent(
    """
    import json, sys
    import agentdb

    path, name = sys.argv[1], sys.argv[2]
    with agentdb.connect(path, read_only=True) as db:
        c = db.get_collection(name)
        r = c.get()
        hits = c.search([0.0, 0.0, 0.0], k=3)
        out = {
            "collections": db.list_collections(),
            "dim": c.dim,
            "metric": c.metric,
            "count": c.count(),
            "records": {
                rec.id: {
                    "vector": [float(x) for x in rec.vector],
                    "document": rec.document,
                    "metadata": {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in rec.metadata.items()},
                }
                for rec in r
            },
            "search": [[h.id, h.distance] for h in hits],
        }
    print(json.dumps(out))
    """
)

# A child process writes to a collection and exits.
WRITE = textwrap.dedent(
    """
    import sys
    import agentdb

    with agentdb.connect(sys.argv[1]) as db:
        c = db.get_or_create_collection("child", dim=2, metric="dot")
        c.add(["from-child-1", "from-child-2"], [[1.0, 0.0], [0.0, 1.0]], metadata=[{"pid": 1}, {"pid": 2}])
        c.delete(["from-child-2"])
    """
)


def run_child(script: str, *args: str) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "python"), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def fill(c: agentdb.Collection) -> None:
    c.add(
        ["a", "b", "c", "d"],
        np.array([[1, 0, 0], [0, 2, 0], [0, 0, 3], [1, 1, 1]], dtype=np.float32),
        documents=["A", None, "C", "D"],
        metadata=[
            {"n": 1, "when": dt.datetime(2024, 5, 6, 7, 8, 9, 10)},
            {"tags": ["x", "y"]},
            {"n": 3, "f": 0.5, "ok": True},
            {},
        ],
    )
    c.upsert(["b", "e"], [[0.0, 5.0, 0.0], [2.0, 2.0, 2.0]], documents=["B2", "E"], metadata=[{"n": 20}, None])
    assert c.delete(["c"]) == 1
    assert c.delete(where={"n": {"$gte": 20}}) == 1  # b


def test_reopen_sees_everything(db_path: Path) -> None:
    with agentdb.connect(db_path) as db:
        c = db.create_collection("docs", dim=3, metric="l2")
        fill(c)
        before = snapshot(c)
        schema = c.metadata_schema
        db.create_collection("other", dim=7, metric="dot")
    with agentdb.connect(db_path) as db:
        assert db.list_collections() == ["docs", "other"]
        c = db.get_collection("docs")
        assert (c.dim, c.metric) == (3, "l2")
        assert snapshot(c) == before
        assert c.metadata_schema == schema
        assert sorted(before[1]) == ["a", "d", "e"]
        assert c.get("a").metadata[0]["when"] == dt.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=UTC)
        # and it is still writable, with the same rules
        c.add(["f"], [[9.0, 9.0, 9.0]], metadata=[{"n": 5}])
        assert c.count() == 4
        o = db.get_collection("other")
        assert (o.dim, o.metric, o.count()) == (7, "dot", 0)


def test_second_process_sees_committed_data(db_path: Path) -> None:
    db = agentdb.connect(db_path)
    c = db.create_collection("docs", dim=3, metric="l2")
    fill(c)
    expected_records: Dict[str, Any] = {
        rec.id: {
            "vector": [float(x) for x in rec.vector],
            "document": rec.document,
            "metadata": {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in rec.metadata.items()},
        }
        for rec in c.get()
    }
    expected_search = [[h.id, h.distance] for h in c.search([0.0, 0.0, 0.0], k=3)]
    # The database stays open here (one writer at a time: the child opens read-only). A reader
    # sees what is in Lance; flush() puts the writes buffered by the log there at once.
    db.flush()
    out = json.loads(run_child(DUMP, str(db_path), "docs"))
    assert out["collections"] == ["docs"]
    assert (out["dim"], out["metric"], out["count"]) == (3, "l2", 3)
    assert out["records"] == expected_records
    assert out["search"] == expected_search
    db.close()


def test_parent_reopening_sees_a_child_process_writes(db_path: Path) -> None:
    with agentdb.connect(db_path) as db:
        db.create_collection("docs", dim=2, metric="l2")
    run_child(WRITE, str(db_path))
    with agentdb.connect(db_path) as db:
        assert db.list_collections() == ["child", "docs"]
        c = db.get_collection("child")
        r = c.get()
        assert r.ids == ["from-child-1"]
        assert r.metadata == [{"pid": 1}]
        assert c.search([1.0, 0.0], k=1).ids == ["from-child-1"]
