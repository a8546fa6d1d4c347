"""Recall ranking: the default relevance-first score on hand-built cases (every number checked
against the documented formula and the module docs' worked example), the old linear score still
reachable, defaults taken from the engine, filters applied before the candidates are chosen, and
bad weights refused."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

import agentdb
from agentdb import RecallWeights, _native
from agentdb.errors import InvalidArgumentError

T0 = datetime(2024, 6, 1, tzinfo=timezone.utc)
DAY = timedelta(days=1)
HALF_LIFE = 7 * 86400.0
Q = [1.0, 0.0, 0.0]


def vec(sim: float) -> list:
    """A unit vector whose cosine with ``Q`` is ``sim``."""
    return [sim, math.sqrt(1.0 - sim * sim), 0.0]


def recency(age_days: float) -> float:
    return 0.5 ** (age_days * 86400.0 / HALF_LIFE)


def adjustment(rec: float, imp: float, alpha: float = 0.1) -> float:
    # Defaults: w_rec = w_imp = 0.5, so s = (recency + importance) / 2.
    return 1.0 - alpha * (1.0 - (rec + imp) / 2.0)


@pytest.fixture
def mem(db: agentdb.Database) -> agentdb.Memory:
    """The worked example of the docs (A, B, C) plus a near-tie D, all ann's, and a very similar
    memory E of another agent."""
    m = db.memory("ranking", dim=3)
    m.remember_many(
        [
            {"id": "A", "vector": vec(0.90), "importance": 0.5, "created_at": T0 - 60 * DAY},
            {"id": "B", "vector": vec(0.85), "importance": 0.5, "created_at": T0},
            {"id": "C", "vector": vec(0.80), "importance": 1.0, "created_at": T0},
            {"id": "D", "vector": vec(0.895), "importance": 0.5, "created_at": T0},
        ],
        agent_id="ann",
    )
    m.remember(vector=vec(0.99), agent_id="bob", id="E", created_at=T0 - 30 * DAY)
    return m


def scores(hits) -> list:
    return [(h.id, h.score) for h in hits]


def check(hits, expected, abs_tol=1e-4) -> None:
    assert [h.id for h in hits] == [i for i, _ in expected]
    for h, (_, s) in zip(hits, expected):
        assert h.score == pytest.approx(s, abs=abs_tol), (h.id, h.score, s)


def test_defaults_come_from_the_engine() -> None:
    d = _native.recall_weights_default()
    w = RecallWeights()
    assert (w.mode, w.similarity, w.recency, w.importance, w.half_life, w.adjust) == (
        d["mode"], d["similarity"], d["recency"], d["importance"], d["half_life"], d["adjust"],
    )
    assert d == {"mode": "relevance", "similarity": 1.0, "recency": 0.5, "importance": 0.5,
                 "half_life": HALF_LIFE, "adjust": 0.1, "text": 0.3, "fusion": "linear", "rrf_k": 60.0}
    assert (w.text, w.fusion, w.rrf_k) == (d["text"], d["fusion"], d["rrf_k"])
    old = RecallWeights.linear()
    assert old.mode == "linear" and (old.similarity, old.recency, old.importance) == (1.0, 0.5, 0.5)
    assert RecallWeights.linear(recency=0.0).recency == 0.0


def test_default_recall_ranks_by_relevance_first(mem: agentdb.Memory) -> None:
    hits = mem.recall(Q, k=4, agent_id="ann", now=T0, touch=False)
    # Candidates A 0.90, D 0.895, B 0.85, C 0.80: lo 0.80, hi 0.90.
    a = 1.0 * adjustment(recency(60), 0.5)             # 0.92513: two months old, still near the top
    d = 0.95 * adjustment(1.0, 0.5)                    # 0.92625: a near-tie, ordered by recency
    b = 0.5 * adjustment(1.0, 0.5)                     # 0.4875
    c = 0.0 * adjustment(1.0, 1.0)                     # 0.0: least similar candidate
    assert (round(a, 5), round(d, 5), b, c) == (0.92513, 0.92625, 0.4875, 0.0)
    check(hits, [("D", d), ("A", a), ("B", b), ("C", c)])
    # Raw similarity and recency are reported; RecallWeights.score (the engine's) explains a hit
    # from its normalised similarity.
    by_id = {h.id: h for h in hits}
    assert by_id["A"].similarity == pytest.approx(0.90, abs=1e-6)
    assert by_id["A"].recency == pytest.approx(recency(60), rel=1e-9)
    w = RecallWeights()
    assert w.score(1.0, 60 * 86400.0, 0.5) == pytest.approx(a, abs=1e-12)
    assert w.score(0.5, 0.0, 0.5) == pytest.approx(0.4875, abs=1e-12)
    assert w.score(None, 0.0, 1.0) == pytest.approx(1.0, abs=1e-12)
    assert w.strength(0.0, 1.0) == pytest.approx(1.0, abs=1e-12)


def test_the_old_linear_score_is_reachable(mem: agentdb.Memory) -> None:
    hits = mem.recall(Q, k=4, agent_id="ann", now=T0, touch=False, weights=RecallWeights.linear())
    # similarity + 0.5 · recency + 0.5 · importance: recent and important first.
    expected = [("C", 0.80 + 0.5 + 0.5), ("D", 0.895 + 0.5 + 0.25), ("B", 0.85 + 0.5 + 0.25),
                ("A", 0.90 + 0.5 * recency(60) + 0.25)]
    check(hits, expected, abs_tol=1e-6)
    assert RecallWeights.linear().score(0.9, 60 * 86400.0, 0.5) == pytest.approx(expected[3][1], abs=1e-12)


def test_adjust_and_weights_are_tunable(mem: agentdb.Memory) -> None:
    # adjust = 0: similarity alone, normalised.
    hits = mem.recall(Q, k=4, agent_id="ann", now=T0, touch=False, weights=RecallWeights(adjust=0.0))
    check(hits, [("A", 1.0), ("D", 0.95), ("B", 0.5), ("C", 0.0)])
    # A larger adjust lets recency reorder more: with 0.5, B (sim_n 0.5, today) and A (1.0,
    # two months) score 0.5 · 0.875 and 1.0 · (1 − 0.5 · (1 − s_A)).
    w = RecallWeights(adjust=0.5)
    hits = mem.recall(Q, k=4, agent_id="ann", now=T0, touch=False, weights=w)
    check(hits, [("D", 0.95 * 0.875), ("A", adjustment(recency(60), 0.5, 0.5)), ("B", 0.5 * 0.875), ("C", 0.0)])
    # Recency only in the adjustment (w_imp = 0): s = recency.
    w = RecallWeights(importance=0.0)
    hits = mem.recall(Q, k=2, agent_id="ann", now=T0, touch=False, weights=w)
    check(hits, [("D", 0.95 * 1.0), ("A", 1.0 * (1 - 0.1 * (1 - recency(60))))])
    # w_sim = 0: no similarity term, strength alone (as without a query).
    hits = mem.recall(Q, k=4, agent_id="ann", now=T0, touch=False, weights=RecallWeights(similarity=0.0))
    assert [h.id for h in hits][:1] == ["C"] and [h.id for h in hits][-1] == "A"


def test_candidates_and_filters_define_the_normalisation(mem: agentdb.Memory) -> None:
    # Two candidates (A 0.90, D 0.895): lo 0.895, so D's sim_n is 0.
    hits = mem.recall(Q, k=2, agent_id="ann", now=T0, touch=False, candidates=2)
    check(hits, [("A", adjustment(recency(60), 0.5)), ("D", 0.0)])
    # Without the agent filter bob's E (0.99) is a candidate and the top: hi 0.99, lo 0.80.
    hits = mem.recall(Q, k=5, now=T0, touch=False)
    assert [h.id for h in hits][0] == "E"
    n = lambda s: (s - 0.80) / (0.99 - 0.80)  # noqa: E731
    by_id = {h.id: h.score for h in hits}
    assert by_id["A"] == pytest.approx(n(0.90) * adjustment(recency(60), 0.5), abs=1e-4)
    assert by_id["E"] == pytest.approx(1.0 * adjustment(recency(30), 0.5), abs=1e-4)
    # Filtered to bob: one candidate, sim_n 1.
    (e,) = mem.recall(Q, k=3, agent_id="bob", now=T0, touch=False)
    assert e.id == "E" and e.score == pytest.approx(adjustment(recency(30), 0.5), abs=1e-9)
    # Other filters still apply: only memories created before T0 − 1 day (A).
    hits = mem.recall(Q, k=4, agent_id="ann", until=T0 - DAY, now=T0, touch=False)
    assert [h.id for h in hits] == ["A"]
    assert all(h.record.agent_id == "ann" for h in mem.recall(Q, k=10, agent_id="ann", touch=False))


def test_no_query_ranks_by_strength(mem: agentdb.Memory) -> None:
    hits = mem.recall(k=5, agent_id="ann", now=T0, touch=False)
    # Adjustment alone: C (s 1.0) 1.0, B and D (s 0.75) 0.975 (ties by id), A ≈ 0.925.
    check(hits, [("C", 1.0), ("B", 0.975), ("D", 0.975), ("A", adjustment(recency(60), 0.5))], abs_tol=1e-9)
    linear = mem.recall(k=5, agent_id="ann", now=T0, touch=False, weights=RecallWeights.linear())
    assert [h.id for h in linear] == ["C", "B", "D", "A"]
    assert linear[0].score == pytest.approx(1.0) and linear[1].score == pytest.approx(0.75)


def test_bad_weights_are_refused(mem: agentdb.Memory) -> None:
    for bad in (RecallWeights(adjust=1.5), RecallWeights(adjust=-0.1), RecallWeights(adjust=float("nan")),
                RecallWeights(mode="fast"), RecallWeights(recency=-1.0)):
        with pytest.raises(InvalidArgumentError):
            mem.recall(Q, k=1, weights=bad)
        with pytest.raises(InvalidArgumentError):
            bad.score(0.5, 0.0, 0.5)
    with pytest.raises(InvalidArgumentError):
        mem.recall(Q, k=1, weights=RecallWeights(mode=1))  # type: ignore[arg-type]


def test_a_relevant_old_memory_is_not_buried(db: agentdb.Database) -> None:
    """Many recent memories in a narrow similarity band and one old, clearly more similar one:
    the default finds it first; the old linear default buries it."""
    rng = np.random.default_rng(7)
    m = db.memory("buried", dim=3)
    items = [{"id": f"r{i:03d}", "vector": vec(float(s)), "created_at": T0 - DAY * float(rng.uniform(0, 3))}
             for i, s in enumerate(rng.uniform(0.75, 0.85, size=200))]
    items.append({"id": "old", "vector": vec(0.88), "created_at": T0 - 120 * DAY})
    m.remember_many(items, agent_id="ann")
    assert m.recall(Q, k=1, now=T0, touch=False)[0].id == "old"
    linear = [h.id for h in m.recall(Q, k=10, now=T0, touch=False, weights=RecallWeights.linear())]
    assert "old" not in linear
