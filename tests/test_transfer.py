"""Export and import (agentdb.transfer): every kind of store round-trips exactly (vectors bit for
bit, documents, metadata with types, creation times, index parameters; memories with their
agent, kind, importance and access statistics; RAG chunks searchable again), a failed import
leaves nothing, bad files give clear errors, and the CLI verbs drive the same calls."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

import agentdb
from agentdb.embed import HashingEmbedder


def everything(c: agentdb.Collection) -> list:
    g = c.get()
    got = c._native.get(None, None, None, 0)
    rows = sorted(zip(g.ids, [v.tobytes() for v in g.vectors], g.documents, [json.dumps(m, sort_keys=True, default=str) for m in g.metadata]))
    assert len(got[0]) == len(rows)
    return rows


def export_header(path: Path) -> dict:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return json.loads(pq.read_metadata(path).metadata[b"agentdb-export"])
    return json.loads(path.read_text().splitlines()[0])


FORMATS = pytest.mark.parametrize("ext", ["jsonl", "parquet"])


@FORMATS
def test_a_collection_round_trips_exactly(tmp_path: Path, ext: str) -> None:
    rng = np.random.default_rng(7)
    vecs = rng.standard_normal((700, 8)).astype(np.float32)
    vecs[0] = [np.float32(1) / 3, np.nextafter(np.float32(0), np.float32(1)), -0.0, 1e-30, 3.4e38, -1, 0.1, 0.2]
    with agentdb.connect(tmp_path / "a") as db:
        c = db.create_collection("docs", dim=8, metric="dot")
        c.add(
            ids=[f"r{i}" for i in range(700)],
            vectors=vecs,
            documents=[None if i % 3 else f"line {i}\nwith \"quotes\" and ünïcode" for i in range(700)],
            metadata=[{"n": i, "x": i / 7, "ok": i % 2 == 0, "tags": ["a", "b"], "at": datetime(2024, 5, 1, tzinfo=timezone.utc)} for i in range(700)],
        )
        c.create_index(m=8, ef_construction=64)
        before = everything(c)
        index = c.index
        seen = []
        r = db.export_store("docs", tmp_path / f"docs.{ext}", progress=lambda d, t: seen.append((d, t)))
        assert r == {"kind": "collection", "name": "docs", "records": 700}
        assert seen[-1] == (700, 700)
    header = export_header(tmp_path / f"docs.{ext}")
    assert (header["format"], header["kind"], header["dim"], header["metric"], header["records"]) == ("agentdb-export", "collection", 8, "dot", 700)
    with agentdb.connect(tmp_path / "b") as db:
        assert db.import_store(tmp_path / f"docs.{ext}", progress=False) == {"kind": "collection", "name": "docs", "records": 700}
        c = db.get_collection("docs")
        assert everything(c) == before
        assert c.index == index and c.metric == "dot"
        with pytest.raises(agentdb.CollectionExistsError):
            db.import_store(tmp_path / f"docs.{ext}")
        assert db.import_store(tmp_path / f"docs.{ext}", name="again")["name"] == "again"


@FORMATS
def test_a_memory_store_round_trips_with_its_ranking(tmp_path: Path, ext: str) -> None:
    rng = np.random.default_rng(1)
    with agentdb.connect(tmp_path / "a") as db:
        m = db.memory("notes", dim=4)
        for i in range(30):
            m.remember(f"note {i}", agent_id="ann" if i % 2 else "bob", kind="semantic" if i % 3 else "episodic",
                       importance=i / 30, vector=rng.standard_normal(4).astype(np.float32))
        m.recall(np.ones(4, dtype=np.float32), agent_id="ann")  # access statistics
        m.flush()
        q = np.array([1, 0.5, 0, -1], dtype=np.float32)
        now = datetime.now(timezone.utc)
        want = [(h.record.id, h.record.kind, h.record.agent_id, round(h.score, 6)) for h in m.recall(q, k=10, agent_id="ann", touch=False, now=now)]
        assert db.store_kind("notes") == "memory"
        db.export_store("notes", tmp_path / f"notes.{ext}")
    with agentdb.connect(tmp_path / "b") as db:
        assert db.import_store(tmp_path / f"notes.{ext}")["kind"] == "memory"
        m = db.memory("notes")
        assert m.count() == 30
        got = [(h.record.id, h.record.kind, h.record.agent_id, round(h.score, 6)) for h in m.recall(q, k=10, agent_id="ann", touch=False, now=now)]
        assert got == want


@FORMATS
def test_a_rag_store_round_trips_and_answers_again(tmp_path: Path, ext: str) -> None:
    emb = HashingEmbedder(32)
    with agentdb.connect(tmp_path / "a") as db:
        r = db.rag("kb", embedder=emb)
        r.ingest("# Reset\nTo reset a password open settings.\n\n# Billing\nInvoices are monthly.", id="guide", format="markdown")
        want = [(h.id, h.doc_id) for h in r.search("reset password", k=3)]
        db.export_store("kb", tmp_path / f"kb.{ext}", kind="rag")
    with agentdb.connect(tmp_path / "b") as db:
        db.import_store(tmp_path / f"kb.{ext}")
        r = db.rag("kb", embedder=emb)
        assert [(h.id, h.doc_id) for h in r.search("reset password", k=3)] == want
        assert [d.doc_id for d in r.documents()] == ["guide"]


def test_a_parquet_export_is_a_table_other_readers_take(tmp_path: Path, db: agentdb.Database) -> None:
    """pyarrow reads the export as a plain table: the records' columns, exact float32 vectors."""
    import pyarrow.parquet as pq

    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((5000, 6)).astype(np.float32)
    c = db.create_collection("t", dim=6)
    c.add(ids=[f"r{i}" for i in range(5000)], vectors=vecs, documents=[f"d{i}" if i % 2 else None for i in range(5000)],
          metadata=[{"n": i} for i in range(5000)])
    db.export_store("t", tmp_path / "t.parquet", progress=False)
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.column_names == ["id", "vector", "document", "metadata", "created_at_us"]
    order = np.argsort([int(i[1:]) for i in table.column("id").to_pylist()])
    got = np.stack(table.column("vector").to_numpy(zero_copy_only=False))[order]
    assert got.dtype == np.float32 and np.array_equal(got, vecs)
    assert [json.loads(m)["n"] for m in np.array(table.column("metadata").to_pylist())[order][:3]] == [0, 1, 2]
    assert table.column("document").null_count == 2500


def test_bad_files_are_refused_and_leave_nothing(tmp_path: Path, db: agentdb.Database) -> None:
    c = db.create_collection("c", dim=2)
    c.add(ids=["a", "b"], vectors=np.eye(2, dtype=np.float32))
    f = tmp_path / "c.jsonl"
    db.export_store("c", f)
    lines = f.read_text().splitlines()
    with agentdb.connect(tmp_path / "other") as other:
        bad = tmp_path / "bad.jsonl"
        bad.write_text("\n".join(lines + ['{"id": "z", "vector": [1, "x"]}']) + "\n")
        with pytest.raises(agentdb.InvalidArgumentError, match="line 4"):
            other.import_store(bad)
        bad.write_text("\n".join(lines + ['{"id": "z", "vector": [1, 2, 3]}']) + "\n")
        with pytest.raises(agentdb.DimensionMismatchError, match="line 4: .*3 values"):
            other.import_store(bad)
        bad.write_text("\n".join(lines + ["not json"]) + "\n")
        with pytest.raises(agentdb.InvalidArgumentError, match="not JSON"):
            other.import_store(bad)
        bad.write_text('{"hello": 1}\n')
        with pytest.raises(agentdb.InvalidArgumentError, match="not an AgentDB export"):
            other.import_store(bad)
        with pytest.raises(agentdb.StorageError):
            other.import_store(tmp_path / "missing.jsonl")
        assert other.list_collections() == []
        bad.write_text(lines[0].replace('"name":"c"', '"name":"../x"') + "\n")
        with pytest.raises(agentdb.InvalidNameError):
            other.import_store(bad)
    with pytest.raises(agentdb.CollectionNotFoundError):
        db.export_store("nope", f)
    with pytest.raises(agentdb.InvalidArgumentError):
        db.export_store("c", f, kind="table")
    assert f.read_text().splitlines() == lines, "a failed export left the old file"


def test_cli_export_and_import(tmp_path: Path) -> None:
    with agentdb.connect(tmp_path / "a") as db:
        db.create_collection("c", dim=2).add(ids=["a", "b"], vectors=np.eye(2, dtype=np.float32), documents=["x", "y"])
    cli = [sys.executable, "-m", "agentdb"]
    p = subprocess.run(cli + ["export", str(tmp_path / "a"), "c", str(tmp_path / "c.jsonl"), "--json"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"kind": "collection", "name": "c", "records": 2}
    p = subprocess.run(cli + ["import", str(tmp_path / "b"), str(tmp_path / "c.jsonl"), "--name", "copy"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "imported collection 'copy': 2 records" in p.stdout
    p = subprocess.run(cli + ["import", str(tmp_path / "b"), str(tmp_path / "c.jsonl"), "--name", "copy"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "CollectionExistsError" in p.stderr
    with agentdb.connect(tmp_path / "b", read_only=True) as db:
        assert sorted(db.get_collection("copy").get().documents) == ["x", "y"]


def test_a_table_written_by_lancedb_becomes_a_collection(tmp_path: Path, db: agentdb.Database) -> None:
    lancedb = pytest.importorskip("lancedb")
    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((300, 6)).astype(np.float32)
    ldb = lancedb.connect(tmp_path / "lance")
    ldb.create_table("papers", data=[
        {"id": i, "vector": vecs[i].tolist(), "text": f"paper {i}", "year": 2000 + i % 20, "score": i / 3, "open": i % 2 == 0}
        for i in range(300)
    ])
    r = db.import_lancedb(tmp_path / "lance", "papers", text_column="text", metric="l2", progress=False)
    assert r == {"kind": "collection", "name": "papers", "records": 300}
    c = db.get_collection("papers")
    assert (c.dim, c.metric, c.count()) == (6, "l2", 300)
    got = c.get(["17"])
    assert got.vectors[0].tobytes() == vecs[17].tobytes()
    assert got.documents == ["paper 17"]
    assert got.metadata[0] == {"year": 2017, "score": 17 / 3, "open": False}
    hits = c.search(vecs[42], k=1, where={"year": 2002})
    assert hits.ids == ["42"]
    with pytest.raises(agentdb.InvalidArgumentError, match="no column 'emb'"):
        db.import_lancedb(tmp_path / "lance", "papers", name="x", vector_column="emb")
    with pytest.raises(agentdb.CollectionNotFoundError):
        db.import_lancedb(tmp_path / "lance", "nope")
    assert db.list_collections() == ["papers"]
    p = subprocess.run([sys.executable, "-m", "agentdb", "import", str(tmp_path / "cli-db"), "--lancedb", str(tmp_path / "lance"),
                        "--table", "papers", "--text-column", "text", "--json"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["records"] == 300
    r = db.import_lancedb(tmp_path / "lance", "papers", name="slim", metadata_columns=["year"], progress=False)
    assert db.get_collection("slim").get(["3"]).metadata == [{"year": 2003}]
    assert db.get_collection("slim").get(["3"]).documents == [None]


def test_another_agentdb_collection_imports_as_a_lancedb_table(tmp_path: Path) -> None:
    """Every AgentDB collection is a LanceDB table: its own time columns are left out by naming
    the metadata columns."""
    with agentdb.connect(tmp_path / "a") as a:
        a.create_collection("docs", dim=2).add(ids=["x", "y"], vectors=np.eye(2, dtype=np.float32), documents=["d1", "d2"], metadata=[{"k": 1}, {"k": 2}])
    with agentdb.connect(tmp_path / "b") as b:
        with pytest.raises(agentdb.InvalidMetadataError, match="reserved"):
            b.import_lancedb(tmp_path / "a", "docs", text_column="document")
        b.import_lancedb(tmp_path / "a", "docs", text_column="document", metadata_columns=["k"])
        got = b.get_collection("docs").get(["x", "y"])
        assert got.documents == ["d1", "d2"] and got.metadata == [{"k": 1}, {"k": 2}]


def test_a_chroma_directory_becomes_a_collection(tmp_path: Path, db: agentdb.Database) -> None:
    chromadb = pytest.importorskip("chromadb")
    rng = np.random.default_rng(5)
    vecs = rng.standard_normal((250, 5)).astype(np.float32)
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    src = client.create_collection("notes", metadata={"hnsw:space": "cosine"})
    src.add(
        ids=[f"n{i}" for i in range(250)],
        embeddings=vecs.tolist(),
        documents=[f"note {i}" for i in range(250)],
        metadatas=[{"topic": "a" if i % 2 else "b", "n": i, "w": i / 4, "ok": i % 3 == 0} for i in range(250)],
    )
    # What Chroma hands back (its storage rounds some float32 values by a unit in the last place):
    # the import must keep exactly that.
    chroma_7 = np.asarray(src.get(ids=["n7"], include=["embeddings"])["embeddings"][0], dtype=np.float32)
    del client
    seen = []
    r = db.import_chroma(tmp_path / "chroma", "notes", progress=lambda d, t: seen.append((d, t)))
    assert r == {"kind": "collection", "name": "notes", "records": 250} and seen[-1] == (250, 250)
    c = db.get_collection("notes")
    assert (c.dim, c.metric, c.count()) == (5, "cosine", 250)
    got = c.get(["n7"])
    assert got.vectors[0].tobytes() == chroma_7.tobytes()
    assert np.allclose(got.vectors[0], vecs[7], atol=1e-6)
    assert got.documents == ["note 7"] and got.metadata[0] == {"topic": "a", "n": 7, "w": 7 / 4, "ok": False}
    assert c.search(vecs[42], k=1).ids == ["n42"]
    with pytest.raises(agentdb.CollectionExistsError):
        db.import_chroma(tmp_path / "chroma", "notes")
    with pytest.raises(agentdb.CollectionNotFoundError):
        db.import_chroma(tmp_path / "chroma", "nope", name="x")
    assert db.list_collections() == ["notes"]
    p = subprocess.run([sys.executable, "-m", "agentdb", "import", str(tmp_path / "cli-db"), "--chroma", str(tmp_path / "chroma"),
                        "--collection", "notes", "--json"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"kind": "collection", "name": "notes", "records": 250}


@FORMATS
def test_the_agent_state_round_trips_exactly(tmp_path: Path, ext: str) -> None:
    f = tmp_path / f"state.{ext}"
    payload = bytes(range(256)) * 20
    with agentdb.connect(tmp_path / "a") as db:
        st = db.state
        st.put("ann", "s1", "plan", {"step": 1, "x": 0.1})
        st.put("ann", "s1", "plan", {"step": 2, "big": 12345678901234567890})
        st.put("ann", "s1", "gone", "soon")
        st.delete("ann", "s1", "gone")
        st.put_checkpoint("t1", "c1", payload, metadata={"step": 1}, type="msgpack")
        st.put_writes("t1", "", "c1", "task-a", [(0, "messages", "msgpack", b"\x00\x01"), (1, "messages", "json", b"two")])
        want = {k: [(v.version, v.value, v.written_at, v.deleted) for v in st.history("ann", "s1", k)] for k in ("plan", "gone")}
        want_cp = st.get_checkpoint("t1", checkpoint_id="c1")
        want_writes = st.get_writes("t1", "", "c1")
        assert db.store_kind("state") == "state"
        r = db.export_store("state", f, progress=False)
        assert r == {"kind": "state", "name": "state", "records": 7}
    assert export_header(f)["kind"] == "state"
    with agentdb.connect(tmp_path / "b") as db:
        assert db.import_store(f, progress=False)["kind"] == "state"
        got = {k: [(v.version, v.value, v.written_at, v.deleted) for v in db.state.history("ann", "s1", k)] for k in ("plan", "gone")}
        assert got == want
        assert db.state.get_checkpoint("t1", checkpoint_id="c1") == want_cp
        assert db.state.get_checkpoint("t1", checkpoint_id="c1").checkpoint == payload
        assert db.state.get_writes("t1", "", "c1") == want_writes
        with pytest.raises(agentdb.CollectionExistsError, match="not empty"):
            db.import_store(f)


def test_pyarrow_reads_the_agent_state_as_a_table(tmp_path: Path) -> None:
    """The Parquet state export is one table: a row per operation, null where an op lacks a field."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with agentdb.connect(tmp_path / "a") as db:
        db.state.put("ann", "s1", "plan", {"step": 1})
        db.state.put_checkpoint("t1", "c1", b"\x00payload", type="msgpack")
        db.state.put_writes("t1", "", "c1", "task-a", [(0, "messages", "json", b"w")])
        db.export_store("state", tmp_path / "state.parquet", progress=False)
    t = pq.read_table(tmp_path / "state.parquet")
    assert t.column_names == ["op", "agent_id", "session_id", "key", "version", "value_json", "written_at_us", "expires_at_us",
                              "ttl_us", "thread_id", "checkpoint_ns", "checkpoint_id", "parent_id", "type", "checkpoint",
                              "metadata_json", "created_at_us", "task_id", "task_path", "idx", "channel", "value"]
    assert t.schema.field("checkpoint").type == pa.binary() and t.schema.field("version").type == pa.uint64()
    rows = {r["op"]: r for r in t.to_pylist()}
    assert set(rows) == {"put", "checkpoint", "writes"}
    assert rows["put"]["agent_id"] == "ann" and rows["put"]["version"] == 1 and json.loads(rows["put"]["value_json"]) == {"step": 1}
    assert rows["put"]["thread_id"] is None and rows["put"]["checkpoint"] is None
    assert rows["checkpoint"]["checkpoint"] == b"\x00payload" and rows["checkpoint"]["type"] == "msgpack"
    assert (rows["writes"]["idx"], rows["writes"]["channel"], rows["writes"]["type"], rows["writes"]["value"]) == (0, "messages", "json", b"w")


def test_a_foreign_parquet_file_is_not_a_state(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"op": ["put"]}), tmp_path / "x.parquet")
    with agentdb.connect(tmp_path / "a") as db:
        with pytest.raises(agentdb.InvalidArgumentError, match="not an AgentDB export"):
            db.import_store(tmp_path / "x.parquet")
        with pytest.raises(agentdb.CollectionNotFoundError):
            db.store_kind("state")  # nothing of it was imported
