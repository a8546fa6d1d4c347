"""Index files are untrusted input (issue 22): a saved ``<name>.hnsw`` whose checksum is valid but
whose counts are crafted or inconsistent with the table must never abort the process nor change
an answer. The engine drops such a file with a warning on stderr and rebuilds the index; every
search below is compared with numpy's exact neighbours.

Each damaged database is searched in a child process, so an abort (the bug this guards against)
fails its test instead of killing the test run."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import numpy as np
import pytest

import agentdb

ROOT = Path(__file__).resolve().parents[1]
N, DIM, K = 1500, 12, 10
# The header of an AGDBHNS3 file (as AGDBHNS2's; see rust/engine/src/index_file.rs): magic 8,
# lance version 8, dim 4, metric 1, m 4, ef_construction 4, quantization 1, scale 4, then rows
# and entry.
ROWS_AT = 34
FIRST_ROW_AT = 42


def fnv1a(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def reseal(body: bytes) -> bytes:
    """``body`` followed by its valid checksum: what a crafted file looks like."""
    return body + struct.pack("<Q", fnv1a(body))


def rows_of(body: bytes) -> List[Tuple[str, int]]:
    """Each saved row's id and the offset of its alive flag."""
    (rows,) = struct.unpack_from("<I", body, ROWS_AT)
    out, at = [], FIRST_ROW_AT
    for _ in range(rows):
        (n,) = struct.unpack_from("<I", body, at)
        rid = body[at + 4 : at + 4 + n].decode()
        alive_at = at + 4 + n
        at = alive_at + 1 + 4 * DIM
        levels = body[at]
        at += 1
        for _ in range(levels):
            (links,) = struct.unpack_from("<I", body, at)
            at += 4 + 4 * links
        out.append((rid, alive_at))
    assert at == len(body)
    return out


def data() -> Tuple[List[str], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(22)
    vectors = rng.standard_normal((N, DIM)).astype(np.float32)
    queries = rng.standard_normal((20, DIM)).astype(np.float32)
    return [f"r{i}" for i in range(N)], vectors, queries


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray) -> List[List[str]]:
    d = ((queries[:, None, :].astype(np.float64) - vectors[None, :, :]) ** 2).sum(-1)
    return [[f"r{j}" for j in np.argsort(row, kind="stable")[:K]] for row in d]


def saved_database(db_path: Path) -> Path:
    ids, vectors, _ = data()
    with agentdb.open(db_path) as db:
        c = db.create_collection("v", dim=DIM, metric="l2")
        c.add(ids, vectors)
        c.create_index("hnsw", m=8, ef_construction=64)
    path = db_path / "_agentdb" / "v.hnsw"
    assert path.exists()
    return path


SEARCH = """
    import json, sys
    import numpy as np
    import agentdb
    queries = np.array(json.loads(sys.argv[2]), dtype=np.float32)
    with agentdb.open(sys.argv[1]) as db:
        c = db.get_collection("v")
        out = {
            "count": c.count(),
            "graph": [c.search(q, k=10, ef=2000).ids for q in queries],
            "exact": [c.search(q, k=10, exact=True).ids for q in queries],
        }
    print(json.dumps(out))
"""


def search_in_child(db_path: Path, queries: np.ndarray) -> Tuple[Dict, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "python"), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SEARCH), str(db_path), json.dumps(queries.tolist())],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"the search process died ({done.returncode}): {done.stderr[-2000:]}"
    return json.loads(done.stdout), done.stderr


def huge_row_count(body: bytes) -> bytes:
    return body[:ROWS_AT] + struct.pack("<I", 0xFFFFFFF0) + body[ROWS_AT + 4 :]


def truncated(body: bytes) -> bytes:
    return body[: len(body) * 2 // 3]


def huge_link_count(body: bytes) -> bytes:
    # The first row's level-0 link count.
    (n,) = struct.unpack_from("<I", body, FIRST_ROW_AT)
    at = FIRST_ROW_AT + 4 + n + 1 + 4 * DIM + 1
    return body[:at] + struct.pack("<I", 0xFFFFFFF0) + body[at + 4 :]


def nearest_rows_deleted(body: bytes) -> bytes:
    """Marks the true nearest neighbour of every query deleted: the file then has fewer live rows
    than the table. Trusted, it would silently drop those records from every answer."""
    ids, vectors, queries = data()
    nearest = {nb[0] for nb in exact_neighbours(vectors, queries)}
    out = bytearray(body)
    for rid, alive_at in rows_of(body):
        if rid in nearest:
            out[alive_at] = 0
    return bytes(out)


DAMAGE: Dict[str, Callable[[bytes], bytes]] = {
    "huge row count": huge_row_count,
    "truncated": truncated,
    "huge link count": huge_link_count,
    "live rows not the table's": nearest_rows_deleted,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_crafted_index_file_is_rebuilt_and_answers_stay_exact(db_path: Path, damage: str) -> None:
    path = saved_database(db_path)
    good = path.read_bytes()
    body = good[:-8]
    assert struct.pack("<Q", fnv1a(body)) == good[-8:], "the test's checksum is the engine's"
    crafted = reseal(DAMAGE[damage](body))
    path.write_bytes(crafted)

    _, vectors, queries = data()
    expected = exact_neighbours(vectors, queries)
    got, stderr = search_in_child(db_path, queries)
    assert got["count"] == N
    assert got["exact"] == expected
    # ef ≥ the collection's size: the walk of a sound graph finds the exact neighbours.
    assert got["graph"] == expected
    assert "ignoring the index file" in stderr and "v.hnsw" in stderr, stderr
    # The rebuilt index was saved over the crafted file, and is used as is on the next open.
    assert path.read_bytes() != crafted
    rebuilt = path.read_bytes()
    assert struct.unpack_from("<I", rebuilt, ROWS_AT)[0] == N
    assert struct.pack("<Q", fnv1a(rebuilt[:-8])) == rebuilt[-8:]
    got, stderr = search_in_child(db_path, queries)
    assert got["exact"] == expected and got["graph"] == expected
    assert "ignoring the index file" not in stderr, stderr


def test_an_intact_file_is_loaded_without_a_warning(db_path: Path) -> None:
    path = saved_database(db_path)
    before = path.read_bytes()
    _, vectors, queries = data()
    got, stderr = search_in_child(db_path, queries)
    assert got["exact"] == exact_neighbours(vectors, queries)
    assert "ignoring the index file" not in stderr, stderr
    # Not rebuilt: the same file (a rebuild would save a new one).
    assert path.read_bytes() == before


def test_index_parameters_out_of_range_are_a_storage_error(db_path: Path) -> None:
    saved_database(db_path)
    params = db_path / "_agentdb" / "v.index.json"
    params.write_text('{"kind": "hnsw", "m": 1099511627776, "ef_construction": 200, "quantization": "none"}')
    _, _, queries = data()
    with agentdb.open(db_path) as db:
        c = db.get_collection("v")
        with pytest.raises(agentdb.StorageError, match="damaged"):
            c.search(queries[0], k=K)
