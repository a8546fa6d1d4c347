"""Import from a Chroma ``PersistentClient`` directory, read by the engine from Chroma's files
(``rust/engine/src/transfer/chroma.rs``). chromadb is used here only to write the directories and
to say what they hold: every record must come back as Chroma's own ``get`` returns it (ids,
vectors bit for bit, documents, metadata values and types), searches must rank as Chroma's, and
the directory must not change."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest

import agentdb

chromadb = pytest.importorskip("chromadb")

DIM = 8


def _write(col: Any, ids: List[str], vecs: np.ndarray, docs: Any = None, metas: Any = None, step: int = 25) -> None:
    """Adds in writes of ``step``: Chroma's HNSW segment persists every ``sync_threshold`` writes,
    so the last ones stay only in its log (one large write is applied and persisted whole)."""
    for s in range(0, len(ids), step):
        col.add(
            ids=ids[s : s + step],
            embeddings=vecs[s : s + step],
            documents=None if docs is None else docs[s : s + step],
            metadatas=None if metas is None else metas[s : s + step],
        )


def _meta(i: int) -> Dict[str, Any]:
    m: Dict[str, Any] = {"s": f"v{i % 7}", "n": i, "big": 2**53 + i, "f": i / 3, "neg": -i * 0.5, "b": i % 3 == 0}
    if i % 5 == 0:
        m.update(tags=["x", f"t{i}"])  # AgentDB's lists hold strings (see the numeric-list test)
    return m


@pytest.fixture(scope="module")
def chroma_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three collections, one per space, each past its HNSW sync threshold with deletes, updates
    and upserts both before and after the last sync; plus an empty one."""
    path = tmp_path_factory.mktemp("chroma") / "db"
    client = chromadb.PersistentClient(path=str(path))
    rng = np.random.default_rng(15)
    for name, space, n in (("cosine-notes", "cosine", 700), ("l2-notes", "l2", 430), ("ip-notes", "ip", 260)):
        col = client.create_collection(name, metadata={"hnsw:space": space, "hnsw:batch_size": 50, "hnsw:sync_threshold": 100})
        vecs = rng.standard_normal((n, DIM)).astype(np.float32)
        ids = [f"{name[:2]}{i}" for i in range(n)]
        docs = [None if i % 11 == 0 else f"note {i} of {name}" for i in range(n)]
        # Chroma takes a document list only whole: write the undocumented ones apart.
        with_doc = [i for i in range(n) if docs[i] is not None]
        without = [i for i in range(n) if docs[i] is None]
        _write(col, [ids[i] for i in with_doc], vecs[with_doc], [docs[i] for i in with_doc], [_meta(i) for i in with_doc])
        _write(col, [ids[i] for i in without], vecs[without], None, [_meta(i) for i in without])
        # Deletes and updates reach the segment files at the next sync; the last ones stay in the log.
        col.delete(ids=ids[1:40:3])
        col.update(ids=[ids[2], ids[5]], embeddings=rng.standard_normal((2, DIM)).astype(np.float32), metadatas=[{"s": "new"}, {"n": -5}])
        # A document alone would make Chroma embed it (its default model): give the vector too.
        col.update(ids=[ids[8]], documents=["rewritten"], embeddings=rng.standard_normal((1, DIM)).astype(np.float32))
        col.upsert(ids=[ids[11], f"{name[:2]}-late"], embeddings=rng.standard_normal((2, DIM)).astype(np.float32),
                   documents=["up 11", "late"], metadatas=[{"u": True}, {"u": False}])
        col.delete(ids=[ids[n - 1], ids[n - 2]])
        col.update(ids=[ids[n - 3]], embeddings=[[1.0] * DIM])
    client.create_collection("empty-one")
    nums = client.create_collection("num-lists")
    nums.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]], metadatas=[{"tags": ["x"]}, {"nums": [1, 2]}])
    del client
    return path


def _tree(path: Path) -> Dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.rglob("*")) if p.is_file()}


def _chroma_records(path: Path, name: str) -> Dict[str, Any]:
    client = chromadb.PersistentClient(path=str(path))
    got = client.get_collection(name).get(include=["embeddings", "documents", "metadatas"])
    out = {i: (np.asarray(e, dtype=np.float32).tobytes(), d, m or {}) for i, e, d, m in zip(got["ids"], got["embeddings"], got["documents"], got["metadatas"])}
    del client
    return out


def _typed(v: Any) -> Any:
    """A metadata value with its type, so 1 and 1.0 and True differ."""
    if isinstance(v, list):
        return [_typed(x) for x in v]
    return (type(v).__name__, v)


@pytest.mark.parametrize("name,metric", [("cosine-notes", "cosine"), ("l2-notes", "l2"), ("ip-notes", "dot")])
def test_every_record_comes_back_as_chroma_returns_it(tmp_path: Path, chroma_dir: Path, name: str, metric: str) -> None:
    before = _tree(chroma_dir)
    want = _chroma_records(chroma_dir, name)
    after_chroma = _tree(chroma_dir)
    seen: List[Any] = []
    with agentdb.connect(tmp_path / "db") as db:
        r = db.import_chroma(chroma_dir, name, progress=lambda d, t: seen.append((d, t)))
        assert r == {"kind": "collection", "name": name, "records": len(want)}
        assert seen and seen[-1] == (len(want), len(want))
        c = db.get_collection(name)
        assert (c.dim, c.metric, c.count()) == (DIM, metric, len(want))
        got = c.get(sorted(want))
        assert got.ids == sorted(want)
        for i, rid in enumerate(got.ids):
            vec, doc, meta = want[rid]
            assert got.vectors[i].tobytes() == vec, rid
            assert got.documents[i] == doc, rid
            assert {k: _typed(v) for k, v in got.metadata[i].items()} == {k: _typed(v) for k, v in meta.items()}, rid
    # The import read the directory without changing a byte (nor adding a journal file).
    assert _tree(chroma_dir) == after_chroma
    del before


@pytest.mark.parametrize("name", ["cosine-notes", "l2-notes", "ip-notes"])
def test_searches_rank_as_chromas_exact_results(tmp_path: Path, chroma_dir: Path, name: str) -> None:
    """The import's (exact) search equals the exact ranking under Chroma's own distance, computed
    from the vectors Chroma returns, and Chroma's query agrees on the nearest hits."""
    want = _chroma_records(chroma_dir, name)
    ids = list(want)
    m = np.stack([np.frombuffer(want[i][0], dtype=np.float32) for i in ids]).astype(np.float64)
    client = chromadb.PersistentClient(path=str(chroma_dir))
    src = client.get_collection(name)
    rng = np.random.default_rng(7)
    with agentdb.connect(tmp_path / "db") as db:
        db.import_chroma(chroma_dir, name, progress=False)
        c = db.get_collection(name)
        for q in rng.standard_normal((5, DIM)).astype(np.float32):
            qd = q.astype(np.float64)
            if name.startswith("co"):
                d = 1 - (m @ qd) / (np.linalg.norm(m, axis=1) * np.linalg.norm(qd))
            elif name.startswith("l2"):
                d = ((m - qd) ** 2).sum(axis=1)
            else:
                d = 1 - m @ qd
            exact = [ids[j] for j in np.argsort(d, kind="stable")[:10]]
            hits = c.search(q, k=10)
            assert hits.ids == exact
            assert np.allclose(hits.distances, np.sort(d)[:10], rtol=1e-4, atol=1e-4)
            theirs = src.query(query_embeddings=[q], n_results=3)
            assert theirs["ids"][0] == exact[:3]
    del client


def test_no_chromadb_is_needed(tmp_path: Path, chroma_dir: Path) -> None:
    code = (
        "import sys; sys.modules['chromadb'] = None\n"
        "import agentdb\n"
        f"with agentdb.connect({str(tmp_path / 'db')!r}) as db:\n"
        f"    print(db.import_chroma({str(chroma_dir)!r}, 'l2-notes', progress=False)['records'])\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert int(p.stdout) == len(_chroma_records(chroma_dir, "l2-notes"))


def test_refusals_are_typed_and_leave_nothing(tmp_path: Path, chroma_dir: Path) -> None:
    with agentdb.connect(tmp_path / "db") as db:
        with pytest.raises(agentdb.CollectionNotFoundError, match="l2-notes"):  # the message lists what there is
            db.import_chroma(chroma_dir, "nope")
        with pytest.raises(agentdb.InvalidArgumentError, match="empty"):
            db.import_chroma(chroma_dir, "empty-one")
        with pytest.raises(agentdb.InvalidArgumentError, match="not a Chroma"):
            db.import_chroma(tmp_path, "l2-notes")
        sqlite3.connect(tmp_path / "chroma.sqlite3").execute("CREATE TABLE t (x)").connection.close()
        with pytest.raises(agentdb.InvalidArgumentError, match="not a Chroma database"):
            db.import_chroma(tmp_path, "l2-notes")
        # AgentDB's metadata lists hold strings: a Chroma list of numbers is refused, by key.
        with pytest.raises(agentdb.InvalidMetadataError, match='"b".*nums'):
            db.import_chroma(chroma_dir, "num-lists")
        db.import_chroma(chroma_dir, "ip-notes", name="taken", progress=False)
        with pytest.raises(agentdb.CollectionExistsError):
            db.import_chroma(chroma_dir, "ip-notes", name="taken")
        assert db.list_collections() == ["taken"]


def _copy(chroma_dir: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(chroma_dir, dst)
    return dst


def _vector_segment(path: Path, name: str) -> Path:
    con = sqlite3.connect(path / "chroma.sqlite3")
    (seg,) = con.execute(
        "SELECT s.id FROM segments s JOIN collections c ON c.id = s.collection WHERE c.name = ? AND s.scope = 'VECTOR'", (name,)
    ).fetchone()
    con.close()
    return path / seg


def test_a_newer_chroma_format_is_refused_by_name(tmp_path: Path, chroma_dir: Path) -> None:
    d = _copy(chroma_dir, tmp_path)
    con = sqlite3.connect(d / "chroma.sqlite3")
    con.execute("INSERT INTO migrations (dir, version, filename, sql, hash) VALUES ('metadb', 99, 'x.sql', '', '')")
    con.commit()
    con.close()
    with agentdb.connect(tmp_path / "db") as db:
        with pytest.raises(agentdb.InvalidArgumentError, match="newer"):
            db.import_chroma(d, "l2-notes")
        header = _vector_segment(d, "l2-notes") / "header.bin"
        con = sqlite3.connect(d / "chroma.sqlite3")
        con.execute("DELETE FROM migrations WHERE version = 99")
        con.commit()
        con.close()
        raw = bytearray(header.read_bytes())
        raw[0] = 2  # the HNSW persistence version
        header.write_bytes(bytes(raw))
        with pytest.raises(agentdb.InvalidArgumentError, match="persistence version 2"):
            db.import_chroma(d, "l2-notes")
        assert db.list_collections() == []


@pytest.mark.parametrize("damage", ["truncated-data", "bad-pickle", "short-header", "not-sqlite"])
def test_damaged_files_are_storage_errors(tmp_path: Path, chroma_dir: Path, damage: str) -> None:
    d = _copy(chroma_dir, tmp_path)
    seg = _vector_segment(d, "cosine-notes")
    if damage == "truncated-data":
        data = seg / "data_level0.bin"
        data.write_bytes(data.read_bytes()[:1000])
    elif damage == "bad-pickle":
        (seg / "index_metadata.pickle").write_bytes(b"\x80\x03}q\x00(X\x05\x00\x00\x00")
    elif damage == "short-header":
        (seg / "header.bin").write_bytes(b"\x01\x00\x00\x00")
    else:
        (d / "chroma.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\xff" * 600)
    with agentdb.connect(tmp_path / "db") as db:
        with pytest.raises(agentdb.StorageError, match="damaged Chroma directory"):
            db.import_chroma(d, "cosine-notes")
        assert db.list_collections() == []


def test_the_cli_imports_a_chroma_directory(tmp_path: Path, chroma_dir: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "agentdb", "import", str(tmp_path / "cli-db"), "--chroma", str(chroma_dir),
                        "--collection", "ip-notes", "--name", "ip", "--json"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert '"records": ' + str(len(_chroma_records(chroma_dir, "ip-notes"))) in p.stdout
