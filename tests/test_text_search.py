"""Collection.text_search (BM25) and Collection.hybrid_search (vector + BM25 fused in the engine):
results typed like search's, filters on both sides, and hybrid ranks checked against the two
single rankings fused by a reference RRF / linear fusion written here."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentdb
from agentdb import HybridSearchResult, TextSearchResult

DIM = 4
WORDS = ["river", "stone", "cloud", "ember", "violet", "harbor", "meadow", "quartz"]


def _fixture(db: agentdb.Database) -> agentdb.Collection:
    c = db.create_collection("docs", DIM, metric="l2")
    rng = np.random.default_rng(3)
    ids = [f"d{i}" for i in range(12)]
    docs: List[Optional[str]] = [f"{WORDS[i % 8]} {WORDS[(i * 3) % 8]} note {i}" for i in range(12)]
    docs[5] = None
    meta = [{"even": i % 2 == 0, "i": i} for i in range(12)]
    c.add(ids, rng.normal(size=(12, DIM)).astype(np.float32), documents=docs, metadata=meta)
    return c


@pytest.fixture
def col(tmp_path: Path) -> agentdb.Collection:
    db = agentdb.connect(tmp_path / "db")
    yield _fixture(db)
    db.close()


def _rrf(vector: List[str], text: List[str], vw: float = 1.0, tw: float = 1.0, k: float = 60.0) -> Dict[str, float]:
    """Reference RRF, in float32 as the engine computes it (vector term first), so that ties and
    near-ties order the same way."""
    f = np.float32
    out: Dict[str, np.float32] = {}
    for w, ranking in ((vw, vector), (tw, text)):
        for r, i in enumerate(ranking, 1):
            out[i] = f(out.get(i, f(0.0)) + f(f(w) / f(f(k) + f(r))))
    return {i: float(v) for i, v in out.items()}


def _ranked(ids: List[str], scores: np.ndarray, descending: bool) -> List[str]:
    """Ids ordered by score, ties by id (the engine ranks each side so)."""
    return [i for _, i in sorted(zip((-s if descending else s for s in scores.tolist()), ids))]


def test_text_search_results(col: agentdb.Collection) -> None:
    r = col.text_search("river", k=20)
    assert isinstance(r, TextSearchResult) and len(r) > 0
    assert r.scores.dtype == np.float32 and list(r.scores) == sorted(r.scores, reverse=True)
    for hit in r:
        assert "river" in (hit.document or "") and hit.score > 0
        assert hit.metadata["i"] == int(hit.id[1:])
    assert r[0].id == r.ids[0] and "TextSearchResult" in repr(r)
    evens = col.text_search("river", k=20, where={"even": True})
    assert evens.ids and all(m["even"] for m in evens.metadata)
    assert set(evens.ids) == {i for i, m in zip(r.ids, r.metadata) if m["even"]}
    assert len(col.text_search("river", k=1)) == 1
    assert len(col.text_search("nothingmatches")) == 0
    # A record written just now is found at once.
    col.add(["new"], np.ones((1, DIM), dtype=np.float32), documents=["a zebra"])
    assert col.text_search("zebra").ids == ["new"]


def test_text_search_bad_input(col: agentdb.Collection) -> None:
    with pytest.raises(agentdb.InvalidArgumentError):
        col.text_search("   ")
    with pytest.raises(agentdb.InvalidArgumentError):
        col.text_search("river", k=0)
    with pytest.raises(agentdb.errors.InvalidArgumentTypeError):
        col.text_search(3)  # type: ignore[arg-type]
    with pytest.raises(agentdb.InvalidFilterError):
        col.text_search("river", where="nope ((")


def test_hybrid_ranks_fuse_the_single_rankings(col: agentdb.Collection) -> None:
    q = np.array([0.5, -0.2, 0.1, 0.3], dtype=np.float32)
    vec = col.search(q, k=20)
    txt = col.text_search("stone violet", k=20)
    h = col.hybrid_search(q, "stone violet", k=10)
    assert isinstance(h, HybridSearchResult) and len(h) == 10
    assert vec.ids == _ranked(vec.ids, vec.distances, False) and txt.ids == _ranked(txt.ids, txt.scores, True)
    want = _rrf(vec.ids, txt.ids)
    expected = sorted(want, key=lambda i: (-want[i], i))[:10]
    assert h.ids == expected
    for hit in h:
        assert hit.score == pytest.approx(want[hit.id], rel=1e-6)
        assert hit.vector_rank == (vec.ids.index(hit.id) + 1 if hit.id in vec.ids else None)
        assert hit.text_rank == (txt.ids.index(hit.id) + 1 if hit.id in txt.ids else None)
        if hit.distance is not None:
            assert hit.distance == pytest.approx(float(vec.distances[vec.ids.index(hit.id)]))
        if hit.bm25 is not None:
            assert hit.bm25 == pytest.approx(float(txt.scores[txt.ids.index(hit.id)]))
    # Weights and the rank constant are passed on.
    h2 = col.hybrid_search(q, "stone violet", k=5, vector_weight=0.25, text_weight=2.0, rrf_k=5.0)
    want2 = _rrf(vec.ids, txt.ids, 0.25, 2.0, 5.0)
    assert h2.ids == sorted(want2, key=lambda i: (-want2[i], i))[:5]
    # Linear fusion, against a reference.
    h3 = col.hybrid_search(q, "stone violet", k=12, method="linear", candidates=12)
    d = {i: float(x) for i, x in zip(vec.ids, vec.distances)}
    s = {i: float(x) for i, x in zip(txt.ids, txt.scores)}
    lin = {}
    for i in set(d) | set(s):
        v = (max(d.values()) - d[i]) / (max(d.values()) - min(d.values())) if i in d else 0.0
        t = (s[i] - min(s.values())) / (max(s.values()) - min(s.values())) if i in s else 0.0
        lin[i] = v + t
    for hit in h3:
        assert hit.score == pytest.approx(lin[hit.id], abs=1e-5)
    assert list(h3.scores) == sorted(h3.scores, reverse=True)


def test_hybrid_filters_both_sides_and_bad_input(col: agentdb.Collection) -> None:
    q = np.zeros(DIM, dtype=np.float32)
    h = col.hybrid_search(q, "river stone", k=20, where={"even": True})
    assert h.ids and all(m["even"] for m in h.metadata)
    assert any(r is not None for r in h.text_ranks) and any(r is None for r in h.text_ranks)
    with pytest.raises(agentdb.InvalidArgumentError):
        col.hybrid_search(q, "river", method="max")
    with pytest.raises(agentdb.InvalidArgumentError):
        col.hybrid_search(q, "river", vector_weight=-1.0)
    with pytest.raises(agentdb.InvalidArgumentError):
        col.hybrid_search(q, "")
    with pytest.raises(agentdb.DimensionMismatchError):
        col.hybrid_search(np.zeros(DIM + 1, dtype=np.float32), "river")


def test_hybrid_to_arrow(col: agentdb.Collection) -> None:
    pytest.importorskip("pyarrow")
    h = col.hybrid_search(np.zeros(DIM, dtype=np.float32), "river", k=5)
    t = h.to_arrow()
    assert t.column("id").to_pylist() == h.ids
    assert t.column("_text_rank").to_pylist() == h.text_ranks
    assert col.text_search("river").to_arrow().column("_score").to_pylist() == pytest.approx(
        list(col.text_search("river").scores)
    )


_token = st.from_regex(r"[a-z]{3,8}", fullmatch=True)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.lists(_token, min_size=1, max_size=5), st.booleans()), min_size=1, max_size=12),
    st.data(),
)
def test_text_search_finds_every_record_holding_a_unique_token(
    tmp_path_factory: pytest.TempPathFactory, rows: List[Tuple[List[str], bool]], data: st.DataObject
) -> None:
    db = agentdb.connect(tmp_path_factory.mktemp("h") / "db")
    try:
        c = db.create_collection("t", 2)
        unique = "zqxjuniq"
        holders = [has for _, has in rows]
        docs = [" ".join(words + ([unique] if has else [])) for words, has in rows]
        vectors = np.array([[1.0, float(i)] for i in range(len(rows))], dtype=np.float32)
        c.add([f"r{i}" for i in range(len(rows))], vectors, documents=docs)
        got = c.text_search(unique, k=100)
        assert set(got.ids) == {f"r{i}" for i, h in enumerate(holders) if h}
        # Hybrid agrees with a reference RRF of the two single rankings.
        q = np.array([1.0, data.draw(st.floats(-3, 15))], dtype=np.float32)
        k = data.draw(st.integers(1, 12))
        v = c.search(q, k=max(4 * k, 20))
        t = c.text_search(unique, k=max(4 * k, 20))
        vec, txt = _ranked(v.ids, v.distances, False), _ranked(t.ids, t.scores, True)
        want = _rrf(vec, txt)
        h = c.hybrid_search(q, unique, k=k)
        assert h.ids == sorted(want, key=lambda i: (-want[i], i))[:k]
    finally:
        db.close()


ZH_DOCS = [
    "北京是中华人民共和国的首都，也是全国的政治和文化中心。",
    "上海是中国最大的经济中心城市，位于长江入海口。",
    "熊猫主要生活在四川的山区，以竹子为食。",
    "长城是古代中国为抵御北方游牧民族而修建的军事工程。",
    "杭州西湖以美丽的风景闻名，每年吸引大量游客。",
    "茶起源于中国，绿茶和红茶是最常见的种类。",
]
ZH_QUERIES = [("首都", 0), ("长江", 1), ("熊猫吃什么", 2), ("长城", 3), ("西湖的风景", 4), ("绿茶", 5)]


def test_chinese_collection_with_a_persisted_tokenizer(tmp_path: Path) -> None:
    db = agentdb.connect(tmp_path / "db")
    c = db.create_collection("zh", DIM)
    assert c.text_tokenizer == "simple"
    c.add([f"z{i}" for i in range(len(ZH_DOCS))], np.eye(len(ZH_DOCS), DIM, dtype=np.float32) + 0.1, documents=ZH_DOCS)
    found = lambda: sum(c.text_search(q, k=1).ids == [f"z{a}"] for q, a in ZH_QUERIES)  # noqa: E731
    assert found() <= 1  # the English tokenizer makes a clause one word
    c.set_text_tokenizer("icu")
    assert c.text_tokenizer == "icu"
    assert found() == len(ZH_QUERIES)
    hyb = c.hybrid_search(np.ones(DIM, dtype=np.float32), "熊猫吃什么", k=1)
    assert hyb.ids == ["z2"] and hyb.text_ranks[0] == 1
    with pytest.raises(agentdb.InvalidArgumentError):
        c.set_text_tokenizer("jieba")
    with pytest.raises(agentdb.InvalidArgumentError):
        c.set_text_tokenizer("ngram:0")
    with pytest.raises(agentdb.InvalidArgumentError):
        c.set_text_tokenizer(3)  # type: ignore[arg-type]
    assert c.text_tokenizer == "icu"  # a refused name changed nothing
    db.close()
    db = agentdb.connect(tmp_path / "db", read_only=True)
    c = db.get_collection("zh")
    assert c.text_tokenizer == "icu"
    assert found() == len(ZH_QUERIES)
    with pytest.raises(agentdb.ReadOnlyError):
        c.set_text_tokenizer("ngram")
    db.close()
    db = agentdb.connect(tmp_path / "db")
    c = db.get_collection("zh")
    c.set_text_tokenizer("ngram:2")
    assert c.text_tokenizer == "ngram:2-2"
    assert found() == len(ZH_QUERIES)
    db.close()
