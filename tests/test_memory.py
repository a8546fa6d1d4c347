"""Agent memory through the Python API: the recall score on hand-built cases (each number checked
against the documented formula), filters, access statistics, forgetting, consolidation,
persistence, embedders, and bad input."""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

import agentdb
from agentdb import RecallWeights
from agentdb.embed import HashingEmbedder
from agentdb.errors import (
    ClosedError,
    CollectionNotFoundError,
    DimensionMismatchError,
    DuplicateIdError,
    InvalidArgumentError,
    InvalidFilterError,
    InvalidMetadataError,
    InvalidNameError,
    InvalidVectorError,
)

T0 = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
S = timedelta(seconds=1)
W = RecallWeights(similarity=1.0, recency=1.0, importance=1.0, half_life=100.0, mode="linear")


def ids(hits):
    return [h.id for h in hits]


@pytest.fixture
def mem(db: agentdb.Database) -> agentdb.Memory:
    """Four memories of agent ann in 2-d (cosine), created 0, 0, 100 and 200 s before T0."""
    m = db.memory("mem", dim=2)
    m.remember_many(
        [
            {"id": "a", "text": "text of a", "importance": 0.2, "created_at": T0, "vector": [1, 0]},
            {"id": "b", "text": "text of b", "importance": 1.0, "created_at": T0, "vector": [0, 1]},
            {"id": "c", "text": "text of c", "importance": 0.5, "created_at": T0 - 100 * S, "vector": [1, 1]},
            {"id": "d", "text": "text of d", "importance": 0.0, "created_at": T0 - 200 * S, "vector": [1, 0]},
        ],
        agent_id="ann",
    )
    return m


def test_recall_ranks_by_the_documented_score(mem: agentdb.Memory) -> None:
    hits = mem.recall(np.array([1, 0], dtype=np.float32), k=4, weights=W, now=T0)
    # a: 1 + 1 + 0.2; b: 0 + 1 + 1; c: cos 45° + 0.5 + 0.5; d: 1 + 0.25 + 0
    expected = [("a", 2.2), ("b", 2.0), ("c", math.sqrt(0.5) + 1.0), ("d", 1.25)]
    assert [(h.id, round(h.score, 6)) for h in hits] == [(i, round(s, 6)) for i, s in expected]
    c = hits[2]
    assert c.similarity == pytest.approx(math.sqrt(0.5), abs=1e-6)
    assert c.recency == pytest.approx(0.5)
    assert c.importance == 0.5
    assert c.score == pytest.approx(W.score(c.similarity, 100.0, 0.5), abs=1e-6)
    assert c.text == "text of c"
    for h in hits:
        assert h.record.last_accessed == T0
        assert h.record.access_count == 1
        assert h.record.vector is None
        assert h.record.agent_id == "ann" and h.record.kind == "episodic"
    # Doubling w_sim with every recency now 1: a 3.2, d 3.0, c 2.914, b 2.0.
    w2 = RecallWeights(similarity=2.0, recency=1.0, importance=1.0, half_life=timedelta(seconds=100), mode="linear")
    assert ids(mem.recall([1.0, 0.0], k=4, weights=w2, now=T0, touch=False)) == ["a", "d", "c", "b"]


def test_recall_without_query_ranks_by_strength_and_touching_counts(mem: agentdb.Memory) -> None:
    assert ids(mem.recall([1, 0], k=2, weights=W, now=T0)) == ["a", "b"]
    assert mem.pending_writes == 2
    # 100 s later: a 0.5 + 0.2, b 0.5 + 1, c 0.25 + 0.5, d 0.125 + 0.
    hits = mem.recall(k=4, weights=W, now=T0 + 100 * S, touch=False)
    assert [(h.id, round(h.score, 9)) for h in hits] == [("b", 1.5), ("c", 0.75), ("a", 0.7), ("d", 0.125)]
    assert all(h.similarity is None for h in hits)
    (a,) = mem.get("a")
    assert (a.access_count, a.last_accessed) == (1, T0)
    np.testing.assert_array_equal(a.vector, np.array([1, 0], dtype=np.float32))
    assert a.vector.dtype == np.float32
    mem.flush()
    assert mem.pending_writes == 0
    mem.recall([0, 1], k=1, now=T0 + 5 * S)
    (b,) = mem.get("b")
    assert (b.access_count, b.last_accessed) == (2, T0 + 5 * S)


def test_statistics_survive_reopening(db_path: Path) -> None:
    with agentdb.connect(db_path) as db:
        m = db.memory("mem", dim=2)
        m.remember(vector=[1, 0], agent_id="ann", id="a", created_at=T0)
        m.remember(vector=[0, 1], agent_id="ann", id="b", created_at=T0)
        m.recall([0, 1], k=1, now=T0 + 5 * S)
        assert m.pending_writes == 1
    with agentdb.connect(db_path) as db:
        m = db.memory("mem")
        got = {r.id: (r.access_count, r.last_accessed, r.created_at) for r in m.get(["a", "b"])}
        assert got == {"a": (0, T0, T0), "b": (1, T0 + 5 * S, T0)}
        assert db.list_memories() == ["mem"]
        assert db.list_collections() == []


def test_filters(db: agentdb.Database) -> None:
    m = db.memory("mem", dim=2)
    items = [
        dict(id="a1", agent_id="ann", session_id="s1", created_at=T0, metadata={"topic": "food"}),
        dict(id="a2", agent_id="ann", session_id="s2", kind="semantic", created_at=T0 + S),
        dict(id="b1", agent_id="bob", created_at=T0 + 2 * S),
        dict(id="a3", agent_id="ann", kind="procedural", created_at=T0 + 3 * S, metadata={"topic": "code"}),
    ]
    for i, it in enumerate(items):
        it["vector"] = [1.0, 0.1 * i]
    m.remember_many(items)

    def found(**kw):
        return sorted(ids(m.recall([1, 0], k=10, touch=False, **kw)))

    assert found(agent_id="ann") == ["a1", "a2", "a3"]
    assert found(agent_id="nobody") == []
    assert found(session_id="s2") == ["a2"]
    assert found(kinds=["semantic", "procedural"]) == ["a2", "a3"]
    assert found(kinds="semantic") == ["a2"]
    assert found(since=T0 + S, until=T0 + 3 * S) == ["a2", "b1"]
    assert found(where={"topic": "code"}) == ["a3"]
    assert found(agent_id="ann", where="topic IS NOT NULL") == ["a1", "a3"]
    assert found(where={"importance": {"$gte": 0.5}}) == ["a1", "a2", "a3", "b1"]
    assert m.count(agent_id="ann") == 3
    assert m.count() == len(m) == 4
    assert m.count(where={"topic": {"$in": ["food", "code"]}}) == 2
    with pytest.raises(InvalidFilterError):
        m.count(where={"topic": {"$bogus": 1}})
    with pytest.raises(InvalidArgumentError):
        m.count(kinds=[])
    with pytest.raises(InvalidArgumentError):
        m.count(kinds=["dream"])
    rec = m.get("a1")[0]
    assert (rec.session_id, rec.metadata) == ("s1", {"topic": "food"})
    assert m.get("b1")[0].session_id is None


def test_forget_and_update(mem: agentdb.Memory) -> None:
    mem.remember(vector=[0.5, 0.5], agent_id="bob", id="x")
    assert mem.forget(["a", "zzz", "a"]) == 1
    assert mem.forget(agent_id="bob") == 1
    assert mem.forget(["b", "c"], agent_id="bob") == 0
    assert mem.forget("d") == 1
    assert mem.count() == 2
    with pytest.raises(InvalidArgumentError):
        mem.forget()
    mem.update("b", importance=0.9, text=None)
    mem.update("c", vector=[-3, 0], metadata={"note": "moved"})
    b, c = mem.get(["b", "c"])
    assert (b.importance, b.text) == (0.9, None)
    np.testing.assert_array_equal(c.vector, [-3, 0])
    assert (c.text, c.metadata) == ("text of c", {"note": "moved"})
    (hit,) = mem.recall([-1, 0], k=1, weights=RecallWeights(1, 0, 0))
    assert hit.id == "c" and hit.similarity == pytest.approx(1.0)
    with pytest.raises(InvalidArgumentError):
        mem.update("nope", importance=0.1)
    with pytest.raises(InvalidArgumentError):
        mem.update("b", importance=1.5)


def test_bad_input_is_rejected_whole(mem: agentdb.Memory) -> None:
    with pytest.raises(DuplicateIdError):
        mem.remember_many([{"id": "new", "vector": [1, 0]}, {"id": "a", "vector": [1, 0]}], agent_id="ann")
    with pytest.raises(InvalidArgumentError):
        mem.remember(vector=[1, 0], agent_id="ann", importance=1.5)
    with pytest.raises(InvalidArgumentError):
        mem.remember(vector=[1, 0], agent_id="ann", importance="high")
    with pytest.raises(InvalidArgumentError):
        mem.remember(vector=[1, 0], agent_id="")
    with pytest.raises(InvalidArgumentError):
        mem.remember(vector=[1, 0], agent_id="ann", kind="dream")
    with pytest.raises(InvalidMetadataError):
        mem.remember(vector=[1, 0], agent_id="ann", metadata={"importance": 1.0})
    with pytest.raises(DimensionMismatchError):
        mem.remember(vector=[1, 0, 0], agent_id="ann")
    with pytest.raises(InvalidVectorError):
        mem.remember(vector=[float("nan"), 0], agent_id="ann")
    with pytest.raises(InvalidArgumentError, match="no embedder"):
        mem.remember("just text", agent_id="ann")
    with pytest.raises(InvalidArgumentError, match="text or a vector"):
        mem.remember(agent_id="ann")
    with pytest.raises(InvalidArgumentError, match="unknown keys"):
        mem.remember_many([{"vector": [1, 0], "agent": "ann"}])
    assert mem.count() == 4
    with pytest.raises(DimensionMismatchError):
        mem.recall([1, 0, 0])
    with pytest.raises(InvalidArgumentError):
        mem.recall([1, 0], k=0)
    with pytest.raises(InvalidArgumentError):
        mem.recall(k=1, weights=RecallWeights(half_life=0))
    with pytest.raises(InvalidArgumentError):
        mem.recall(k=1, weights=RecallWeights(similarity=-1))
    # Without an embedder a text query is matched by its words only; a vector ranking needs one.
    with pytest.raises(InvalidArgumentError, match="no embedder"):
        mem.recall("a text query", mode="vector")
    assert [h.id for h in mem.recall("text of b", mode="text", touch=False)][0] == "b"


def test_decay(mem: agentdb.Memory) -> None:
    # Strengths at T0 (w_rec = w_imp = 1, half-life 100 s): a 1.2, b 2, c 1.0, d 0.25.
    report = mem.consolidate(min_score=1.1, weights=W, now=T0)
    assert sorted(report.pruned) == ["c", "d"]
    assert report.merged == [] and report.evicted == [] and report.removed == 2
    assert mem.count() == 2 and mem.get(["c", "d"]) == []


def test_capacity(mem: agentdb.Memory) -> None:
    mem.remember_many(
        [{"id": "x", "vector": [1, 0], "importance": 0.0, "created_at": T0 - 1000 * S},
         {"id": "y", "vector": [1, 0], "importance": 0.1, "created_at": T0}],
        agent_id="bob",
    )
    report = mem.consolidate(capacity=2, weights=W, now=T0)
    assert report.evicted == ["d", "c"]
    assert sorted(ids(mem.recall(k=10, touch=False))) == ["a", "b", "x", "y"]
    assert mem.consolidate(agent_id="bob", capacity=1, weights=W, now=T0).evicted == ["x"]
    assert mem.count(agent_id="ann") == 2


def test_dedup_merges_into_the_strongest(db: agentdb.Database) -> None:
    m = db.memory("mem", dim=3)
    m.remember_many(
        [
            {"id": "p", "vector": [1, 0, 0], "importance": 0.3, "created_at": T0 - 10 * S},
            {"id": "q", "vector": [1, 0.01, 0], "importance": 0.9, "created_at": T0 - 20 * S, "metadata": {"topic": "q's"}, "text": "q"},
            {"id": "r", "vector": [1, 0, 0.02], "importance": 0.1, "created_at": T0 - 30 * S},
            {"id": "s", "vector": [0, 1, 0], "importance": 0.5, "created_at": T0},
        ],
        agent_id="ann",
    )
    m.remember(vector=[1, 0, 0], agent_id="bob", id="t")
    m.recall(k=1, agent_id="ann", weights=RecallWeights(0, 0, 1), now=T0 - 5 * S)  # touches q
    report = m.consolidate(dedup_threshold=0.99, weights=RecallWeights(1, 0, 1, 100), now=T0)
    assert report.merged == [("q", "p"), ("q", "r")]
    assert m.count() == 3
    (q,) = m.get("q")
    assert (q.importance, q.created_at, q.last_accessed, q.access_count) == (0.9, T0 - 30 * S, T0 - 5 * S, 1)
    assert (q.text, q.metadata) == ("q", {"topic": "q's"})
    assert m.consolidate(dedup_threshold=1.0).merged == []
    with pytest.raises(InvalidArgumentError):
        m.consolidate(dedup_threshold=1.5)


def test_background_consolidation(mem: agentdb.Memory) -> None:
    assert mem.last_background_run() is None
    mem.start_background(0.02, capacity=1)
    assert mem.background_running
    deadline = time.monotonic() + 20
    while mem.count() > 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert mem.count() == 1
    mem.stop_background()
    assert not mem.background_running
    report = mem.last_background_run()
    assert report is not None
    with pytest.raises(InvalidArgumentError):
        mem.start_background(0)


def test_text_memories_with_an_embedder(db: agentdb.Database) -> None:
    emb = HashingEmbedder(dim=512)
    m = db.memory("notes", embedder=emb)
    assert m.dim == 512 and m.embedder is not None
    m.remember("alice likes green tea", agent_id="bot", kind="semantic", importance=0.9)
    m.remember("the deploy failed on friday", agent_id="bot")
    m.remember_many([{"text": "alice dislikes coffee"}, {"text": "bob plays chess", "vector": emb(["chess"])[0]}], agent_id="bot")
    hits = m.recall("what tea does alice like", k=2, weights=RecallWeights(1, 0, 0))
    assert hits[0].text == "alice likes green tea"
    (chess,) = [r for r in m.get([h.id for h in m.recall(k=10, touch=False)]) if r.text == "bob plays chess"]
    np.testing.assert_allclose(chess.vector, emb(["chess"])[0])
    # A new text is re-embedded.
    m.update(hits[0].id, text="the deploy succeeded on monday")
    top = m.recall("deploy monday", k=1, weights=RecallWeights(1, 0, 0))[0]
    assert top.id == hits[0].id
    # Any callable works as an embedder; its dimension is learned from a probe.
    m2 = db.memory("plain", embedder=lambda texts: np.ones((len(texts), 3)))
    assert m2.dim == 3
    with pytest.raises(DimensionMismatchError):
        db.memory("notes", embedder=HashingEmbedder(dim=32))
    with pytest.raises(DimensionMismatchError):
        db.memory("notes", embedder=emb, dim=513)


def test_stores_are_hidden_and_fixed(db: agentdb.Database) -> None:
    db.create_collection("docs", dim=2)
    m = db.memory("mem", dim=4)
    assert (m.name, m.dim, m.metric) == ("mem", 4, "cosine")
    assert db.list_collections() == ["docs"]
    assert db.list_memories() == ["mem"]
    for name in ["_agentdb_memory_mem", "_agentdb_x"]:
        with pytest.raises(InvalidNameError):
            db.get_collection(name)
        with pytest.raises(InvalidNameError):
            db.create_collection(name, dim=2)
        with pytest.raises(InvalidNameError):
            db.drop_collection(name)
    with pytest.raises(DimensionMismatchError):
        db.memory("mem", dim=8)
    with pytest.raises(InvalidArgumentError):
        db.memory("mem", metric="l2")
    with pytest.raises(CollectionNotFoundError):
        db.memory("absent")
    with pytest.raises(InvalidNameError):
        db.memory("../x", dim=2)
    assert db.memory("mem").dim == 4
    db.drop_memory("mem")
    assert db.list_memories() == []
    with pytest.raises(CollectionNotFoundError):
        db.drop_memory("mem")
    with pytest.raises(ClosedError):
        m.count()


def test_large_store_recalls_through_the_index(db: agentdb.Database) -> None:
    rng = np.random.default_rng(7)
    n, dim = 6000, 16
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    m = db.memory("big", dim=dim)
    m.remember_many([{"id": f"m{i:05d}", "vector": vectors[i], "agent_id": "ann" if i % 3 == 0 else "bob"} for i in range(n)])
    w = RecallWeights(1, 0, 0)
    overlap = 0
    for qi in range(0, 20 * 37, 37):
        approx = ids(m.recall(vectors[qi], k=10, weights=w, touch=False))
        exact = ids(m.recall(vectors[qi], k=10, weights=w, touch=False, exact=True))
        assert exact[0] == f"m{qi:05d}"
        overlap += len(set(approx) & set(exact))
        assert all(h.record.agent_id == "ann" for h in m.recall(vectors[qi], k=5, agent_id="ann", touch=False))
    assert overlap / 200 >= 0.9


def test_read_only_database_recalls_without_touching(db_path: Path) -> None:
    with agentdb.connect(db_path) as db:
        m = db.memory("mem", dim=2)
        m.remember(vector=[1, 0], agent_id="ann", id="a", created_at=T0)
    with agentdb.open(db_path, read_only=True) as db:
        m = db.memory("mem")
        (hit,) = m.recall([1, 0], k=1)
        assert hit.id == "a" and hit.record.access_count == 0
        assert m.pending_writes == 0
        with pytest.raises(agentdb.ReadOnlyError):
            m.remember(vector=[0, 1], agent_id="ann")
        with pytest.raises(agentdb.ReadOnlyError):
            db.memory("new", dim=2)
