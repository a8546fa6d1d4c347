"""A hypothesis state machine: random add / upsert / delete / search / reopen against a model.

The model is a plain dict ``id -> (vector, document, metadata)`` and numpy brute force. After
every step, ``get``, ``count`` and ``search`` must agree with it: search returns the exact top-k
(ties at the k-th distance may come back in any order, so ids are compared through their
distances) with distances equal to numpy's to 1e-4. Rejected batches (duplicate ids, zero vectors
in cosine collections) must raise exactly the expected error and change nothing. At the end the
database is closed, reopened and compared again.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import Any, Dict, List, Optional, Tuple, Type

import numpy as np
import pytest
from _helpers import np_distances
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import agentdb
from agentdb.errors import DuplicateIdError, InvalidVectorError

DIM = 4
TOL = 1e-4
POOL = [f"id{i}" for i in range(12)]
GROUPS = [0, 1, 2]

# Small integer coordinates: many exact ties and zero vectors, which is the point.
vectors = st.lists(st.integers(-3, 3), min_size=DIM, max_size=DIM).map(lambda xs: np.array(xs, np.float32) / 2)
records = st.tuples(
    st.sampled_from(POOL),
    vectors,
    st.one_of(st.none(), st.text(max_size=6)),
    st.one_of(st.none(), st.sampled_from(GROUPS)),
)
batches = st.lists(records, min_size=1, max_size=6)
groups = st.one_of(st.none(), st.sampled_from(GROUPS))

Model = Dict[str, Tuple[np.ndarray, Optional[str], Dict[str, Any]]]


class AgentDBMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.path = tempfile.mkdtemp(prefix="agentdb-sm-")
        self.db: Optional[agentdb.Database] = None
        self.c: Optional[agentdb.Collection] = None
        self.metric = "l2"
        self.model: Model = {}

    # -- setup ------------------------------------------------------------------------------

    @initialize(metric=st.sampled_from(["cosine", "l2", "dot"]))
    def open(self, metric: str) -> None:
        self.metric = metric
        self.db = agentdb.connect(self.path)
        self.c = self.db.create_collection("sm", dim=DIM, metric=metric)

    def teardown(self) -> None:
        try:
            if self.db is not None:
                self.reopen()
                self.check_everything(np.arange(1, DIM + 1, dtype=np.float32), k=len(POOL), group=None)
                self.db.close()
        finally:
            shutil.rmtree(self.path, ignore_errors=True)

    # -- the model ----------------------------------------------------------------------------

    def expected_error(self, batch: List[Any], upsert: bool) -> Optional[Type[Exception]]:
        """The error the engine must raise for this batch: the first bad row wins, checked in
        row order (a repeated id, then a zero vector in a cosine collection); then, for add, an
        id that already exists."""
        seen = set()
        for rid, vec, _, _ in batch:
            if rid in seen:
                return DuplicateIdError
            seen.add(rid)
            if self.metric == "cosine" and not vec.any():
                return InvalidVectorError
        if not upsert and any(rid in self.model for rid, _, _, _ in batch):
            return DuplicateIdError
        return None

    def write(self, batch: List[Any], upsert: bool) -> None:
        assert self.c is not None
        ids = [r[0] for r in batch]
        vecs = np.stack([r[1] for r in batch])
        docs = [r[2] for r in batch]
        metas = [None if g is None else {"g": g} for _, _, _, g in batch]
        call = self.c.upsert if upsert else self.c.add
        error = self.expected_error(batch, upsert)
        if error is not None:
            with pytest.raises(error) as info:
                call(ids, vecs, documents=docs, metadata=metas)
            assert type(info.value) is error, info.value
            return
        call(ids, vecs, documents=docs, metadata=metas)
        for rid, vec, doc, meta in zip(ids, vecs, docs, metas):
            self.model[rid] = (vec.copy(), doc, dict(meta or {}))

    def matching(self, group: Optional[int]) -> List[str]:
        return [rid for rid, (_, _, m) in self.model.items() if group is None or m.get("g") == group]

    # -- rules ----------------------------------------------------------------------------------

    @rule(batch=batches)
    def add(self, batch: List[Any]) -> None:
        self.write(batch, upsert=False)

    @rule(batch=batches)
    def upsert(self, batch: List[Any]) -> None:
        self.write(batch, upsert=True)

    @rule(ids=st.lists(st.sampled_from(POOL), max_size=5))
    def delete_ids(self, ids: List[str]) -> None:
        assert self.c is not None
        expected = {i for i in ids if i in self.model}
        assert self.c.delete(ids) == len(expected)
        for i in expected:
            del self.model[i]

    @rule(group=st.sampled_from(GROUPS))
    def delete_where(self, group: int) -> None:
        assert self.c is not None
        expected = self.matching(group)
        assert self.c.delete(where={"g": group}) == len(expected)
        for i in expected:
            del self.model[i]

    @rule(query=vectors, k=st.integers(1, len(POOL) + 2), group=groups)
    def search(self, query: np.ndarray, k: int, group: Optional[int]) -> None:
        assert self.c is not None
        if self.metric == "cosine" and not query.any():
            with pytest.raises(InvalidVectorError):
                self.c.search(query, k=k)
            return
        self.check_search(query, k, group, self.search_one(query, k, group))

    @rule(queries=st.lists(vectors, min_size=1, max_size=3), k=st.integers(1, 6), group=groups)
    def search_batch(self, queries: List[np.ndarray], k: int, group: Optional[int]) -> None:
        assert self.c is not None
        if self.metric == "cosine":
            queries = [q for q in queries if q.any()] or [np.ones(DIM, np.float32)]
        where = None if group is None else {"g": group}
        results = self.c.search(np.stack(queries), k=k, where=where)
        assert len(results) == len(queries)
        for q, res in zip(queries, results):
            self.check_search(q, k, group, res)

    @rule()
    def reopen(self) -> None:
        assert self.db is not None
        self.db.close()
        self.db = agentdb.connect(self.path)
        self.c = self.db.get_collection("sm")
        assert (self.c.dim, self.c.metric) == (DIM, self.metric)

    # -- checks -----------------------------------------------------------------------------------

    def search_one(self, query: np.ndarray, k: int, group: Optional[int]) -> agentdb.SearchResult:
        assert self.c is not None
        where = None if group is None else {"g": group}
        res = self.c.search(query, k=k, where=where)
        assert isinstance(res, agentdb.SearchResult)
        return res

    def check_search(self, query: np.ndarray, k: int, group: Optional[int], res: agentdb.SearchResult) -> None:
        candidates = self.matching(group)
        n = min(k, len(candidates))
        assert len(res) == n, (res.ids, candidates)
        assert len(set(res.ids)) == n
        if not candidates:
            return
        model_d = dict(zip(candidates, np_distances(self.metric, query, np.stack([self.model[i][0] for i in candidates]))))
        # every hit is a candidate, at its true distance, with its document and metadata
        for rid, d, doc, meta in res:
            assert rid in model_d, rid
            assert abs(d - model_d[rid]) <= TOL, (rid, d, model_d[rid])
            assert doc == self.model[rid][1]
            assert meta == self.model[rid][2]
        # closest first
        assert all(np.diff(res.distances) >= -TOL), res.distances
        # the exact top-k distances (ties: any of the tied ids may come back)…
        np.testing.assert_allclose(np.sort(res.distances), np.sort(list(model_d.values()))[:n], atol=TOL)
        # …so every id strictly closer than the k-th distance must be there
        kth = float(np.max(res.distances))
        must = {rid for rid, d in model_d.items() if d < kth - TOL}
        assert must <= set(res.ids), (must, res.ids)

    def check_everything(self, query: np.ndarray, k: int, group: Optional[int]) -> None:
        assert self.c is not None
        assert self.c.count() == len(self.model)
        assert len(self.c) == len(self.model)
        r = self.c.get()
        assert sorted(r.ids) == sorted(self.model)
        for rec in r:
            vec, doc, meta = self.model[rec.id]
            np.testing.assert_array_equal(rec.vector, vec)
            assert rec.document == doc
            assert rec.metadata == meta
        by_ids = self.c.get(POOL)
        assert by_ids.ids == [i for i in POOL if i in self.model]  # in the order asked
        for g in GROUPS:
            assert self.c.count({"g": g}) == len(self.matching(g))
        self.check_search(query, k, group, self.search_one(query, k, group))

    @invariant()
    def agrees_with_model(self) -> None:
        if self.c is None:
            return
        self.check_everything(np.array([1.0, -0.5, 0.25, 2.0], np.float32), k=5, group=None)


AgentDBMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestAgentDB = AgentDBMachine.TestCase
