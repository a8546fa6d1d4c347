"""Temporal knowledge graphs (agentdb.graph): bi-temporal reads answered exactly before, during
and after every change; traversal (k-hop neighbours, shortest paths) against a plain BFS on
random graphs (hypothesis); durability across a reopen and a killed process; typed errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import deque
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentdb
from agentdb.graph import Fact, Graph

T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def objects(g: Graph, entity: str, **kw: object) -> List[str]:
    return [f.object for f in g.facts(entity, direction="out", **kw)]  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    d = agentdb.connect(tmp_path / "db")
    yield d
    d.close()


def people(g: Graph) -> None:
    g.add_entity("alice", "Alice", type="person", aliases=["Ali"])
    g.add_entity("paris", "Paris", type="city")
    g.add_entity("rome", "Rome", type="city")
    g.add_entity("berlin", "Berlin", type="city")


def test_bitemporal_exact(db: agentdb.Database) -> None:
    g = db.graph("agent-1")
    people(g)
    g.declare_predicate("lives_in", single_valued=True)
    assert g.predicates() == {"lives_in": True}
    f1 = g.add_fact("alice", "lives_in", entity="paris", valid_from=day(0), sources=["mem-1"])
    t1 = g.fact(f1).recorded_at  # type: ignore[union-attr]
    assert objects(g, "alice", as_of=day(-1)) == []
    assert objects(g, "alice", as_of=day(0)) == ["paris"]
    assert objects(g, "alice") == ["paris"]

    f2 = g.add_fact("alice", "lives_in", entity="rome", valid_from=day(100), sources=["mem-2"])
    t2 = g.fact(f2).recorded_at  # type: ignore[union-attr]
    assert t2 > t1
    # Valid time: before, at and after the change.
    assert objects(g, "alice", as_of=day(99)) == ["paris"]
    assert objects(g, "alice", as_of=day(100)) == ["rome"]
    assert objects(g, "alice") == ["rome"]
    # Transaction time: what we believed before the second fact was recorded.
    assert objects(g, "alice", as_of=day(150), known_at=t1) == ["paris"]
    assert objects(g, "alice", as_of=day(150), known_at=t2 - timedelta(microseconds=1)) == ["paris"]
    assert objects(g, "alice", as_of=day(150), known_at=t2) == ["rome"]
    assert objects(g, "alice", as_of=day(50), known_at=t1 - timedelta(microseconds=1)) == []
    # The contradicted fact was closed, not deleted; its history has both versions.
    hist = g.fact_history(f1)
    assert [(h.version, h.valid_to) for h in hist] == [(1, None), (2, day(100))]
    assert hist[0].superseded_at == t2 and hist[1].superseded_at is None
    assert hist[1].sources == ["mem-1"]
    # Intervals.
    assert sorted(objects(g, "alice", during=(day(50), day(150)))) == ["paris", "rome"]
    assert objects(g, "alice", during=(day(0), day(100))) == ["paris"]
    assert objects(g, "alice", during=(day(100), None)) == ["rome"]

    # Invalidate Rome at day 200.
    inv = g.invalidate(f2, day(200))
    t3 = inv.recorded_at
    assert (inv.version, inv.valid_to) == (2, day(200))
    assert objects(g, "alice", as_of=day(199)) == ["rome"]
    assert objects(g, "alice", as_of=day(200)) == []
    assert objects(g, "alice", as_of=day(250), known_at=t3 - timedelta(microseconds=1)) == ["rome"]
    assert objects(g, "alice", as_of=day(250), known_at=t3) == []

    # Correct the Paris fact: it was Berlin all along, from day -10.
    cor = g.correct(f1, entity="berlin", valid_from=day(-10))
    t4 = cor.recorded_at
    assert (cor.version, cor.object, cor.valid_from, cor.valid_to) == (3, "berlin", day(-10), day(100))
    assert objects(g, "alice", as_of=day(-5)) == ["berlin"]
    assert objects(g, "alice", as_of=day(50)) == ["berlin"]
    assert objects(g, "alice", as_of=day(50), known_at=t4 - timedelta(microseconds=1)) == ["paris"]
    assert objects(g, "alice", as_of=day(-5), known_at=t4 - timedelta(microseconds=1)) == []
    assert g.fact(f1, known_at=t1).version == 1  # type: ignore[union-attr]
    assert g.fact(f1, known_at=t1 - timedelta(microseconds=1)) is None
    # Reopen the validity.
    re = g.correct(f2, reopen=True)
    assert re.valid_to is None and objects(g, "alice", as_of=day(300)) == ["rome"]
    # Facts seen from the object's side.
    assert [f.subject for f in g.facts("rome", direction="in")] == ["alice"]
    assert g.count() == (4, 2)


def test_contradiction_that_begins_later_closes_the_new_fact(db: agentdb.Database) -> None:
    g = db.graph("g")
    g.add_entity("a", "A")
    g.declare_predicate("status")
    late = g.add_fact("a", "status", literal="retired", valid_from=day(50))
    early = g.add_fact("a", "status", literal="working", valid_from=day(10))
    assert g.fact(early).valid_to == day(50)  # type: ignore[union-attr]
    assert g.fact(late).version == 1  # type: ignore[union-attr]
    assert objects(g, "a", as_of=day(49)) == ["working"]
    assert objects(g, "a", as_of=day(50)) == ["retired"]
    # Multi-valued predicates keep every object.
    g.add_facts([{"subject": "a", "predicate": "likes", "literal": "tea"}, {"subject": "a", "predicate": "likes", "literal": "jazz"}])
    assert sorted(objects(g, "a", predicates=["likes"])) == ["jazz", "tea"]


def test_search_and_facts_for_text(db: agentdb.Database) -> None:
    g = db.graph("g", dim=3)
    assert g.dim == 3
    g.add_entities([
        {"id": "alice", "name": "Alice Smith", "aliases": ["Ali"], "type": "person", "embedding": [1, 0, 0], "metadata": {"team": "core"}},
        {"id": "acme", "name": "ACME Corp", "aliases": ["Acme"], "type": "org", "embedding": np.array([0, 1, 0], dtype=np.float32)},
        {"id": "bj", "name": "北京"},
    ])
    e = g.entity("alice")
    assert e is not None and e.metadata == {"team": "core"} and e.aliases == ["Ali"]
    assert e.embedding is not None and e.embedding.tolist() == [1.0, 0.0, 0.0]
    g.add_fact("alice", "works_at", entity="acme", valid_from=day(0), sources=["m-7"], confidence=0.9)
    g.add_fact("bj", "population", literal="21 million", valid_from=day(0), sources=["m-8"])
    assert [x.id for x in g.find_entities("ALI")] == ["alice"]
    hits = g.search_entities("acme")
    assert hits[0].entity.id == "acme" and hits[0].score == 1.0
    hits = g.search_entities(vector=[0.1, 1.0, 0.0])
    assert [h.entity.id for h in hits] == ["acme", "alice"]
    assert g.search_entities("smith", type="org") == []
    facts = g.facts_for_text("What does ali do at ACME these days?")
    assert [(f.predicate, f.sources, f.confidence) for f in facts] == [("works_at", ["m-7"], 0.9)]
    assert g.facts_for_text("Alison and Acmes") == []
    assert g.facts_for_text("Ali?", as_of=day(-1)) == []
    assert [f.object for f in g.facts_for_text("北京的人口是多少？")] == ["21 million"]
    assert [x.id for x in g.mentioned_entities("acme, then Alice Smith")] == ["acme", "alice"]
    assert len(g.facts_for_text("alice acme 北京", limit=1)) == 1


def test_bad_input_is_typed(db: agentdb.Database) -> None:
    with pytest.raises(agentdb.InvalidNameError):
        db.graph("no spaces")
    g = db.graph("g", dim=2)
    with pytest.raises(agentdb.DimensionMismatchError):
        db.graph("g", dim=3)
    with pytest.raises(agentdb.InvalidArgumentError):
        g.add_entity(None, "")
    with pytest.raises(agentdb.DuplicateIdError):
        g.add_entities([{"id": "x", "name": "X"}, {"id": "x", "name": "Y"}])
    with pytest.raises(agentdb.DimensionMismatchError):
        g.add_entity("x", "X", embedding=[1.0])
    with pytest.raises(agentdb.InvalidVectorError):
        g.add_entity("x", "X", embedding=[1.0, float("nan")])
    with pytest.raises(agentdb.InvalidMetadataError):
        g.add_entity("x", "X", metadata=[1])  # type: ignore[arg-type]
    with pytest.raises(agentdb.InvalidArgumentError):
        g.add_entity("x", "X", aliases="X")  # type: ignore[arg-type]
    g.add_entity("x", "X")
    with pytest.raises(agentdb.InvalidArgumentError):
        g.add_fact("nobody", "p", literal="v")
    with pytest.raises(agentdb.InvalidArgumentError):
        g.add_fact("x", "p", entity="nobody")
    with pytest.raises(agentdb.InvalidArgumentError):
        g.add_fact("x", "p")
    with pytest.raises(agentdb.InvalidArgumentError):
        g.add_fact("x", "p", literal="v", entity="x")
    with pytest.raises(agentdb.InvalidArgumentError):
        g.add_fact("x", "p", literal="v", valid_from=day(5), valid_to=day(1))
    with pytest.raises(agentdb.InvalidArgumentError):
        g.add_fact("x", "p", literal="v", confidence=2.0)
    with pytest.raises(agentdb.InvalidArgumentError):
        g.add_fact("x", "p", literal="v", valid_from="yesterday")  # type: ignore[arg-type]
    assert g.count() == (1, 0)
    fid = g.add_fact("x", "p", literal="v", valid_from=day(5))
    with pytest.raises(agentdb.InvalidArgumentError):
        g.invalidate(fid, day(1))
    with pytest.raises(agentdb.InvalidArgumentError):
        g.invalidate("no-such-fact")
    with pytest.raises(agentdb.InvalidArgumentError):
        g.facts("x", as_of=day(1), during=(day(0), None))
    with pytest.raises(agentdb.InvalidArgumentError):
        g.facts("x", direction="sideways")
    with pytest.raises(agentdb.InvalidArgumentError):
        g.neighbors("x", 0)
    with pytest.raises(agentdb.InvalidArgumentError):
        g.neighbors("nobody", 1)
    with pytest.raises(agentdb.InvalidArgumentError):
        g.search_entities()
    with pytest.raises(agentdb.InvalidArgumentTypeError):
        g.find_entities(3)  # type: ignore[arg-type]
    assert db.list_graphs() == ["g"]
    db.drop_graph("g")
    assert db.list_graphs() == []
    with pytest.raises(agentdb.CollectionNotFoundError):
        g.count()
    with pytest.raises(agentdb.CollectionNotFoundError):
        db.drop_graph("g")


def test_reopen_and_read_only(tmp_path: Path) -> None:
    path = tmp_path / "db"
    with agentdb.connect(path) as db:
        g = db.graph("g")
        people(g)
        g.declare_predicate("lives_in")
        f1 = g.add_fact("alice", "lives_in", entity="paris", valid_from=day(0))
        g.add_fact("alice", "lives_in", entity="rome", valid_from=day(10))
        before = g.fact_history(f1)
    with agentdb.connect(path) as db:
        g = db.graph("g")
        assert g.fact_history(f1) == before
        assert objects(g, "alice", as_of=day(5)) == ["paris"]
        assert g.predicates() == {"lives_in": True}
    ro = agentdb.connect(path, read_only=True)
    try:
        g = ro.graph("g")
        assert objects(g, "alice") == ["rome"]
        with pytest.raises(agentdb.ReadOnlyError):
            g.add_entity("z", "Z")
    finally:
        ro.close()


def test_a_killed_process_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    """Writes that returned are in the log: a process that dies loses none, and a write both in
    Lance and in the log (flushed, the log not yet trimmed) comes back once."""
    path = tmp_path / "db"
    child = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1] / 'python')!r})
        import agentdb
        db = agentdb.connect({str(path)!r})
        g = db.graph("g")
        g.add_entity("a", "A")
        g.add_entity("b", "B")
        f = g.add_fact("a", "knows", entity="b")
        g.flush()  # in Lance, and still in the log: replay must not apply it twice
        g.invalidate(f)
        print(f, flush=True)
        os._exit(0)
        """
    )
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True)
    fid = out.stdout.strip()
    with agentdb.connect(path) as db:
        g = db.graph("g")
        assert g.count() == (2, 1)
        assert [h.version for h in g.fact_history(fid)] == [1, 2]
        assert g.fact(fid).valid_to is not None  # type: ignore[union-attr]


# -- traversal against a reference --------------------------------------------------------------

Edge = Tuple[int, int, str, int, Optional[int]]


@st.composite
def random_graphs(draw: st.DrawFn) -> Tuple[int, List[Edge]]:
    n = draw(st.integers(1, 10))
    edges = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.sampled_from(["p", "q"]),
                st.integers(0, 50),
                st.one_of(st.none(), st.integers(1, 50)),
            ),
            max_size=30,
        )
    )
    return n, [(s, o, p, f, None if d is None else f + d) for s, o, p, f, d in edges]


def reference_distances(n: int, edges: List[Edge], t: int, preds: Optional[Set[str]], direction: str, start: int) -> List[Optional[int]]:
    adj: Dict[int, List[int]] = {i: [] for i in range(n)}
    for s, o, p, f, to in edges:
        if not (f <= t and (to is None or t < to)) or (preds is not None and p not in preds):
            continue
        if direction != "in":
            adj[s].append(o)
        if direction != "out":
            adj[o].append(s)
    dist: List[Optional[int]] = [None] * n
    dist[start] = 0
    queue = deque([start])
    while queue:
        x = queue.popleft()
        for y in adj[x]:
            if dist[y] is None:
                dist[y] = dist[x] + 1  # type: ignore[operator]
                queue.append(y)
    return dist


_counter = [0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    graph=random_graphs(),
    t=st.integers(0, 110),
    only_p=st.booleans(),
    direction=st.sampled_from(["out", "in", "both"]),
    k=st.integers(1, 4),
    start=st.integers(0, 9),
    end=st.integers(0, 9),
)
def test_traversal_matches_bfs(db: agentdb.Database, graph: Tuple[int, List[Edge]], t: int, only_p: bool, direction: str, k: int, start: int, end: int) -> None:
    n, edges = graph
    start, end = start % n, end % n
    _counter[0] += 1
    g = db.graph(f"h{_counter[0]}")
    g.add_entities([{"id": f"e{i}", "name": f"E{i}"} for i in range(n)])
    if edges:
        g.add_facts([
            {"subject": f"e{s}", "predicate": p, "entity": f"e{o}", "valid_from": day(f), "valid_to": None if to is None else day(to)}
            for s, o, p, f, to in edges
        ])
    preds = {"p"} if only_p else None
    kw = dict(as_of=day(t), predicates=sorted(preds) if preds else None, direction=direction)
    dist = reference_distances(n, edges, t, preds, direction, start)
    want = sorted((d, f"e{i}") for i, d in enumerate(dist) if i != start and d is not None and d <= k)
    got = [(x.hops, x.entity_id) for x in g.neighbors(f"e{start}", k, **kw)]  # type: ignore[arg-type]
    assert got == want
    path = g.shortest_path(f"e{start}", f"e{end}", **kw)  # type: ignore[arg-type]
    if dist[end] is None:
        assert path is None
    else:
        assert path is not None and len(path) == dist[end]
        at = f"e{start}"
        for f in path:
            assert f.valid_from <= day(t) and (f.valid_to is None or day(t) < f.valid_to)
            assert preds is None or f.predicate in preds
            if f.subject == at and direction != "in":
                at = f.object
            else:
                assert f.object == at and direction != "out"
                at = f.subject
        assert at == f"e{end}"
    db.drop_graph(g.name)


def test_backup_restore_and_verify_keep_the_graph(tmp_path: Path) -> None:
    """The graph's table is one of the database's tables: verified, backed up and restored."""
    path = tmp_path / "db"
    with agentdb.connect(path) as db:
        g = db.graph("g")
        people(g)
        g.declare_predicate("lives_in")
        fid = g.add_fact("alice", "lives_in", entity="paris", valid_from=day(0), sources=["m"])
        g.add_fact("alice", "lives_in", entity="rome", valid_from=day(10))
        report = db.verify()
        assert report.ok, report
        db.backup(tmp_path / "bk")
        history = g.fact_history(fid)
    agentdb.restore(tmp_path / "bk", tmp_path / "restored")
    with agentdb.connect(tmp_path / "restored") as db:
        g = db.graph("g")
        assert g.fact_history(fid) == history
        assert objects(g, "alice", as_of=day(5)) == ["paris"]


def test_memory_recall_with_the_graph(db: agentdb.Database) -> None:
    """recall(graph=…): the hits of recall without it, and the graph's facts about the entities
    the query names, valid at the recall's time, with their provenance; bad calls touch nothing."""
    mem = db.memory("m", dim=2)
    mem.remember_many(
        [
            {"id": "m1", "text": "Alice moved to Paris", "vector": [1.0, 0.0]},
            {"id": "m2", "text": "Alice moved again, to Rome", "vector": [0.9, 0.1]},
            {"id": "m3", "text": "tea with Bob", "vector": [0.0, 1.0]},
        ],
        agent_id="ann",
    )
    g = db.graph("people")
    g.add_entities([{"id": "alice", "name": "Alice", "aliases": ["Ali"]}, {"id": "paris", "name": "Paris"}, {"id": "rome", "name": "Rome"}])
    g.declare_predicate("lives_in", single_valued=True)
    g.add_fact("alice", "lives_in", entity="paris", valid_from=day(10), sources=["m1"], confidence=0.8)
    g.add_fact("alice", "lives_in", entity="rome", valid_from=day(20), sources=["m2"])
    q = [1.0, 0.0]
    kw = dict(k=3, text="where does ali live?", touch=False)
    r = mem.recall(q, now=day(15), graph=g, **kw)  # type: ignore[arg-type]
    assert isinstance(r, agentdb.RecallResult) and isinstance(r, list)
    assert [h.id for h in r] == [h.id for h in mem.recall(q, now=day(15), **kw)]  # type: ignore[arg-type]
    assert [(f.object, f.valid_from, f.valid_to, f.confidence, f.sources) for f in r.facts] == [("paris", day(10), day(20), 0.8, ["m1"])]
    assert r.facts_from("m1") == r.facts and r.facts_from("m2") == []
    later = mem.recall(q, now=day(25), graph=g, graph_facts=5, **kw)  # type: ignore[arg-type]
    assert [(f.object, f.sources) for f in later.facts] == [("rome", ["m2"])]
    assert mem.recall(q, now=day(5), graph=g, **kw).facts == []  # type: ignore[arg-type]
    assert mem.recall(q, now=day(25), **kw).facts == []  # type: ignore[arg-type]
    # Bad calls: typed errors, no access statistics changed.
    before = mem.get("m1")[0].access_count
    with pytest.raises(agentdb.InvalidArgumentError):
        mem.recall(q, k=3, graph=g)  # no query text
    with pytest.raises(agentdb.InvalidArgumentError):
        mem.recall(q, k=3, text="ali", graph=g, graph_facts=0)
    with pytest.raises(agentdb.InvalidArgumentError):
        mem.recall(q, k=3, text="ali", graph="people")  # type: ignore[arg-type]
    with pytest.raises(agentdb.InvalidArgumentError):
        mem.recall(q, k=3, text="ali", graph_facts=3)
    assert mem.get("m1")[0].access_count == before
