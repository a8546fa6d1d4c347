"""A filter can never select more than it does alone: regression tests for the filter issue.

Every public call that takes a filter is tried with texts that, pasted into the engine's own SQL,
would have widened the operation (closing its parentheses, trailing text, a second statement);
each must raise ``InvalidFilterError`` and leave every record in place. A hypothesis test checks
``delete(ids, where)`` against the intersection computed in Python.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List

import numpy as np
import pytest
from _helpers import snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentdb
from agentdb.errors import InvalidFilterError

# Texts that break out of "(<engine condition>) AND (<filter>)" or carry trailing text.
HOSTILE = [
    "FALSE) OR (TRUE",
    "n = 1) OR (1 = 1",
    "TRUE garbage",
    "n = 1 n = 2",
    "TRUE; DELETE FROM t",
    "n = 1)",
    "(n = 1",
    "n = 1 OR",
    "repeat(id, 2147483648) = ''",
    "id IN (SELECT id FROM t)",
    "no_such_column = 1",
]


@pytest.fixture
def five(db: agentdb.Database) -> agentdb.Collection:
    c = db.create_collection("five", dim=2, metric="l2")
    ids = [f"r{i}" for i in range(1, 6)]
    c.add(ids, np.eye(5, 2, dtype=np.float32) + 0.5, documents=[f"doc {i}" for i in range(5)],
          metadata=[{"n": i, "tag": "a" if i % 2 else "b"} for i in range(1, 6)])
    return c


def test_the_reported_delete_removes_nothing(five: agentdb.Collection) -> None:
    before = snapshot(five)
    with pytest.raises(InvalidFilterError):
        five.delete(["r1"], where="FALSE) OR (TRUE")
    assert snapshot(five) == before
    assert five.count() == 5


def test_a_comment_cannot_hide_the_engines_conditions(five: agentdb.Collection) -> None:
    # Comments are allowed, and dropped: the engine renders the filter tree, not the text.
    assert five.delete(["r1"], where="n >= 1 --") == 1
    assert sorted(five.get().ids) == ["r2", "r3", "r4", "r5"]


def test_trailing_text_is_an_error(five: agentdb.Collection) -> None:
    for text in ["n = 1 n = 2", "TRUE garbage"]:
        with pytest.raises(InvalidFilterError):
            five.count(where=text)


@pytest.mark.parametrize("text", HOSTILE)
def test_every_collection_call_rejects_hostile_filters(five: agentdb.Collection, text: str) -> None:
    before = snapshot(five)
    q = np.zeros(2, np.float32)
    calls = [
        lambda: five.delete(["r1"], where=text),
        lambda: five.delete(where=text),
        lambda: five.count(where=text),
        lambda: five.get(where=text),
        lambda: five.get(["r1", "r2"], where=text),
        lambda: five.search(q, k=5, where=text),
        lambda: five.search(np.zeros((2, 2), np.float32), k=5, where=text),
    ]
    for call in calls:
        with pytest.raises(InvalidFilterError):
            call()
    assert snapshot(five) == before


def test_memory_calls_reject_hostile_filters(db: agentdb.Database) -> None:
    m = db.memory("mem", dim=2)
    for i in range(5):
        m.remember(vector=[1.0, float(i)], agent_id="ann", id=f"m{i}", text=f"memory {i}")
    for text in HOSTILE:
        with pytest.raises(InvalidFilterError):
            m.forget(["m1"], where=text)
        with pytest.raises(InvalidFilterError):
            m.forget(agent_id="ann", where=text)
        with pytest.raises(InvalidFilterError):
            m.count(where=text)
        with pytest.raises(InvalidFilterError):
            m.recall([1.0, 0.0], k=5, agent_id="ann", where=text)
    assert m.count() == 5


def test_rag_calls_reject_hostile_filters(db: agentdb.Database) -> None:
    rag = db.rag("kb", embedder=agentdb.embed.HashingEmbedder(dim=16))
    rag.ingest("Cats purr. Dogs bark.", id="d1")
    rag.ingest("Fish swim in water.", id="d2")
    chunks = rag.count()
    for text in HOSTILE:
        for mode in ["vector", "text", "hybrid"]:
            with pytest.raises(InvalidFilterError):
                rag.search("cats", k=3, mode=mode, where=text)
        with pytest.raises(InvalidFilterError):
            rag.count(where=text)
        with pytest.raises(InvalidFilterError):
            rag.context("cats", max_tokens=100, where=text)
    assert rag.count() == chunks


def test_deep_dict_filters_are_rejected_quickly(five: agentdb.Collection) -> None:
    where: Dict[str, Any] = {"n": 1}
    for _ in range(60):
        where = {"$not": where}
    t = time.monotonic()
    with pytest.raises(InvalidFilterError):
        five.count(where=where)
    # Not a timing test of speed, a guard against the exponential case (which took days).
    assert time.monotonic() - t < 30
    assert five.count() == 5


def test_deepest_accepted_dict_filter_works(five: agentdb.Collection) -> None:
    where: Dict[str, Any] = {"n": 1}
    for _ in range(20):
        where = {"$not": where}  # an even number of negations: the filter itself
    assert five.get(where=where).ids == ["r1"]


def test_limits_are_reported(five: agentdb.Collection) -> None:
    with pytest.raises(InvalidFilterError, match="bytes"):
        five.count(where="tag = '" + "x" * (64 * 1024 + 1) + "'")
    with pytest.raises(InvalidFilterError, match="terms"):
        five.count(where={"n": {"$in": list(range(20_000))}})
    with pytest.raises(InvalidFilterError, match="nested"):
        five.count(where="NOT " * 40 + "n = 1")


# -- delete(ids, where) selects exactly the intersection ---------------------------------------

ROWS = 12
conditions = st.one_of(
    st.builds(lambda v: (f"n >= {v}", lambda r, v=v: r["n"] >= v), st.integers(0, ROWS)),
    st.builds(lambda v: (f"n < {v}", lambda r, v=v: r["n"] < v), st.integers(0, ROWS)),
    st.builds(
        lambda t: ("tag = '" + t.replace("'", "''") + "'", lambda r, t=t: r["tag"] == t),
        st.sampled_from(["a", "b", "c'"]),
    ),
    st.just(("TRUE", lambda r: True)),
    st.just(("FALSE", lambda r: False)),
)


@st.composite
def where_clauses(draw: Any) -> Any:
    parts = draw(st.lists(conditions, min_size=1, max_size=3))
    op = draw(st.sampled_from([" AND ", " OR "]))
    text = op.join(f"({p[0]})" for p in parts)
    preds = [p[1] for p in parts]
    fn = (lambda r: all(p(r) for p in preds)) if op == " AND " else (lambda r: any(p(r) for p in preds))
    if draw(st.booleans()):
        return f"NOT ({text})", lambda r: not fn(r)
    return text, fn


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    ids=st.lists(st.sampled_from([f"k{i}" for i in range(ROWS)] + ["missing", "k1') OR ('1'='1"]), max_size=6),
    where=where_clauses(),
)
def test_delete_removes_exactly_the_intersection(tmp_path_factory: Any, ids: List[str], where: Any) -> None:
    text, fn = where
    with agentdb.connect(tmp_path_factory.mktemp("db")) as db:
        c = db.create_collection("c", dim=2, metric="l2")
        meta = [{"n": i, "tag": "abc"[i % 3] if i % 3 < 2 else "c'"} for i in range(ROWS)]
        all_ids = [f"k{i}" for i in range(ROWS)]
        c.add(all_ids, np.ones((ROWS, 2), np.float32), metadata=meta)
        expected = {i for i, r in zip(all_ids, meta) if i in set(ids) and fn(r)}
        deleted = c.delete(ids, where=text)
        assert deleted == len(expected)
        assert set(c.get().ids) == set(all_ids) - expected
