"""A collection is a Lance table: pylance, DuckDB (over pylance's Arrow) and Polars read the same
rows AgentDB does, in the column layout docs/storage-layout.md describes."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Tuple

import numpy as np
import pytest

import agentdb

lance = pytest.importorskip("lance")
pa = pytest.importorskip("pyarrow")

DIM = 8
N = 500


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Dict[str, Any]]:
    path = tmp_path_factory.mktemp("engines") / "db"
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((N, DIM)).astype(np.float32)
    ids = [f"r{i}" for i in range(N)]
    docs = [None if i % 10 == 0 else f"document {i}" for i in range(N)]
    meta = [
        {
            "lang": "en" if i % 3 else "fr",
            "year": 2000 + i % 25,
            "score": i / 7,
            "ok": i % 2 == 0,
            "tags": ["a", f"t{i % 4}"],
            "when": datetime(2026, 1, 1 + i % 28, tzinfo=timezone.utc),
        }
        for i in range(N)
    ]
    with agentdb.connect(path) as db:
        c = db.create_collection("docs", DIM, metric="l2")
        c.add(ids[:300], vecs[:300], documents=docs[:300], metadata=meta[:300])  # one direct commit
        for i in range(300, N, 50):  # small logged writes, flushed on close
            c.add(ids[i : i + 50], vecs[i : i + 50], documents=docs[i : i + 50], metadata=meta[i : i + 50])
        c.delete(["r1", "r2"])
        c.upsert(["r3"], vecs[3:4] * 2, documents=["changed"], metadata=[{**meta[3], "year": 1999}])
        expected = c.get()
    return path, {"result": expected}


def _by_id(ids: Any, *cols: Any) -> Dict[str, Tuple[Any, ...]]:
    return {i: tuple(c[j] for c in cols) for j, i in enumerate(ids)}


def test_layout_is_the_documented_one(written: Tuple[Path, Dict[str, Any]]) -> None:
    path, _ = written
    ds = lance.dataset(str(path / "docs.lance"))
    schema = ds.schema
    assert schema.names[:5] == ["id", "vector", "document", "created_at", "updated_at"]
    assert schema.field("id").type == pa.string() and not schema.field("id").nullable
    assert schema.field("vector").type == pa.list_(pa.field("item", pa.float32()), DIM)
    assert schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    # One typed column per metadata key, named by the key.
    types = {f.name: f.type for f in schema if f.name not in ("id", "vector", "document", "created_at", "updated_at")}
    assert types == {
        "lang": pa.string(),
        "year": pa.int64(),
        "score": pa.float64(),
        "ok": pa.bool_(),
        "tags": pa.list_(pa.field("item", pa.string())),
        "when": pa.timestamp("us", tz="UTC"),
    }
    md = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}
    assert md["agentdb.metric"] == "l2" and md["agentdb.format"] == "1"


def test_pylance_reads_the_same_rows(written: Tuple[Path, Dict[str, Any]]) -> None:
    path, ctx = written
    want = ctx["result"]
    table = lance.dataset(str(path / "docs.lance")).to_table()
    assert table.num_rows == len(want.ids) == N - 2
    got = table.to_pydict()
    wanted = _by_id(want.ids, want.documents, [m.get("year") for m in want.metadata], [m.get("lang") for m in want.metadata])
    assert _by_id(got["id"], got["document"], got["year"], got["lang"]) == wanted
    vec = {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["id"], got["vector"])}
    for j, i in enumerate(want.ids):
        np.testing.assert_array_equal(vec[i], np.asarray(want.vectors[j]))
    # Lance's own vector search over the same column finds the same nearest record.
    q = np.asarray(want.vectors[want.ids.index("r42")])
    near = lance.dataset(str(path / "docs.lance")).to_table(nearest={"column": "vector", "q": q, "k": 1})
    assert near["id"].to_pylist() == ["r42"]


def test_duckdb_queries_the_table(written: Tuple[Path, Dict[str, Any]]) -> None:
    duckdb = pytest.importorskip("duckdb")
    path, ctx = written
    want = ctx["result"]
    docs = lance.dataset(str(path / "docs.lance")).to_table()  # noqa: F841 - DuckDB finds it by name
    con = duckdb.connect()
    rows = con.execute(
        "SELECT lang, count(*) AS n, max(year) AS y FROM docs WHERE ok GROUP BY lang ORDER BY lang"
    ).fetchall()
    expect: Dict[str, Tuple[int, int]] = {}
    for m in want.metadata:
        if m["ok"]:
            n, y = expect.get(m["lang"], (0, 0))
            expect[m["lang"]] = (n + 1, max(y, m["year"]))
    assert [(lang, n, y) for lang, n, y in rows] == [(k, *expect[k]) for k in sorted(expect)]
    assert con.execute("SELECT document FROM docs WHERE id = 'r3'").fetchone() == ("changed",)
    # A scanner (lazy, batch by batch) works too: DuckDB pushes the projection into Lance.
    scanner = lance.dataset(str(path / "docs.lance")).scanner(columns=["id", "year"])  # noqa: F841
    assert con.execute("SELECT count(*) FROM scanner WHERE year = 1999").fetchone() == (1,)


def test_polars_reads_the_table(written: Tuple[Path, Dict[str, Any]]) -> None:
    pl = pytest.importorskip("polars")
    path, ctx = written
    want = ctx["result"]
    df = pl.from_arrow(lance.dataset(str(path / "docs.lance")).to_table())
    assert isinstance(df, pl.DataFrame) and df.height == N - 2
    got = dict(zip(df["id"].to_list(), df["score"].to_list()))
    assert got == {i: m["score"] for i, m in zip(want.ids, want.metadata)}
    tags = df.filter(pl.col("id") == "r5")["tags"].to_list()
    assert tags == [["a", "t1"]]
    fr = df.filter(pl.col("lang") == "fr").height
    assert fr == sum(1 for m in want.metadata if m["lang"] == "fr")
