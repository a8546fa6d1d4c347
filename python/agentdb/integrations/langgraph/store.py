"""A LangGraph long-term memory store (``BaseStore``) on AgentDB memory (``db.memory``).

::

    from agentdb.embed import default_embedder  # offline e5-small: pip install 'agentdb-embedded[embed]'
    from agentdb.integrations.langgraph import AgentDBStore

    emb = default_embedder()
    with AgentDBStore.from_path("./agent-db", index={"dims": emb.dim, "embed": emb}) as store:
        store.put(("memories", "user-1"), "food", {"text": "likes spicy ramen"})
        store.search(("memories", "user-1"), query="what does the user eat?", limit=3)

Mapping. Every item lives in one AgentDB memory (``name``, default ``"langgraph_store"``) as
rows of ``agent_id`` (default ``"langgraph"``), ``kind="semantic"``:

* the item's *primary row*, id ``lg-<hash(namespace, key)>``, holds the value (as JSON text,
  so any JSON value round-trips unchanged: nested objects, lists, ints that stay ints), the
  namespace, key, timestamps and TTL, and the embedding of the item's first indexed text;
* an item with several indexed texts (several ``fields``, or a ``[*]`` path) gets one more row
  per extra text (``<primary>-1``, ``<primary>-2`` ...), holding only the vector and the item's
  identity. A search ranks rows by similarity and keeps each item's best row (max pooling, as
  LangGraph's own stores do);
* an item with nothing to embed (no index configured, ``index=False``, or none of the fields
  present) still has its primary row, with a placeholder vector that searches never rank.

The namespace is kept both whole (``"a.b.c"``: labels cannot hold ``.``) and as the list of its
prefixes, so a search or a listing under a prefix is one engine filter. Filters on value fields
(LangGraph's ``$eq $ne $gt $gte $lt $lte`` and nested equality) are evaluated on the decoded
value, with the semantics of LangGraph's in-memory store; searches fetch candidates from the
engine until enough pass. Scores are cosine similarities (the memory's metric is l2 over unit
vectors, which ranks like cosine and gives the cosine back exactly, negative ones included).
Searches without a query list the most recently updated items first.

Batches follow LangGraph's reference stores: reads (get, search, list) see the store as it was
before the batch, and the batch's puts are applied after them, the last put of a key winning.

TTL (minutes, as in LangGraph): an item expires ``ttl`` minutes after it was written (and, when
refreshing is on, last read). Expired items are never returned; :meth:`AgentDBStore.sweep_ttl`
(or the background sweeper of :meth:`AgentDBStore.start_ttl_sweeper`) deletes them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np
from langchain_core.embeddings import Embeddings
from langgraph.store.base import (
    BaseStore,
    GetOp,
    IndexConfig,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    ensure_embeddings,
    get_text_at_path,
    tokenize_path,
)

from ... import aio as _aio
from ...errors import DuplicateIdError

try:  # langgraph >= 0.3: checks labels of ops that reach batch() directly
    from langgraph.store.base import validate_op_namespace as _validate_op
except ImportError:  # pragma: no cover - older langgraph
    _validate_op = None

__all__ = ["AgentDBStore"]

_NS_SEP = "."
# Rows read per call when listing (the engine's k is at most 100 000).
_SCAN_PAGE = 10_000
_MAX_K = 100_000
_KIND = "semantic"
# Metadata keys of the memory rows. Prefixed so they never collide with what other code keeps
# in the same memory.
_M_NS = "lg_ns"  # "a.b.c"
_M_PREFIXES = "lg_prefixes"  # ["a", "a.b", "a.b.c"]
_M_KEY = "lg_key"
_M_ITEM = "lg_item"  # the primary row's id, on every row of the item
_M_PRIMARY = "lg_primary"  # True on the primary row
_M_VALUE = "lg_value"  # JSON text (primary row only)
_M_VEC = "lg_vec"  # whether the row's vector is a real embedding
_M_PATH = "lg_path"  # the field path the row's text came from
_M_CREATED = "lg_created"  # epoch seconds
_M_UPDATED = "lg_updated"
_M_EXPIRES = "lg_expires"  # epoch seconds (absent: never)
_M_TTL = "lg_ttl"  # minutes (absent: no TTL)


def _item_id(namespace: tuple[str, ...], key: str) -> str:
    raw = json.dumps([list(namespace), key], ensure_ascii=False).encode()
    return "lg-" + hashlib.blake2b(raw, digest_size=16).hexdigest()


def _prefixes(namespace: tuple[str, ...]) -> list[str]:
    return [_NS_SEP.join(namespace[: i + 1]) for i in range(len(namespace))]


def _unit(v: np.ndarray) -> np.ndarray:
    """``v`` scaled to length 1 (the store keeps unit vectors so that l2 ranks like cosine)."""
    v = np.asarray(v, dtype=np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 and math.isfinite(n) else v


def _now() -> float:
    """Seconds since the epoch (a function, so tests can move the clock)."""
    return time.time()


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


class _AgentDBEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over an AgentDB embedder (see :mod:`agentdb.embed`): passages
    through the embedder itself, queries through its ``embed_query`` when it has one (E5 models
    embed the two differently), outputs checked by :func:`agentdb.embed.as_embedder`."""

    def __init__(self, embedder: Any) -> None:
        from ...embed import as_embedder

        self._embedder = as_embedder(embedder)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embedder(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._embedder.embed_query(text).tolist()


def _as_embeddings(embed: Any) -> Embeddings:
    """LangGraph's ``ensure_embeddings``, except that an AgentDB embedder with a separate query
    encoding (``embed_query``) keeps it."""
    if (
        not isinstance(embed, (Embeddings, str))
        and callable(embed)
        and callable(getattr(embed, "embed_query", None))
    ):
        return _AgentDBEmbeddings(embed)
    return ensure_embeddings(embed)


# -- value filters: LangGraph's semantics (langgraph.store.memory), without its crashes -------


def _apply_operator(value: Any, operator: str, operand: Any) -> bool:
    if operator == "$eq":
        return value == operand
    if operator == "$ne":
        return value != operand
    if operator in ("$gt", "$gte", "$lt", "$lte"):
        # Numbers compare as numbers; anything else (missing field, a string...) does not match.
        try:
            a, b = float(value), float(operand)
        except (TypeError, ValueError):
            return False
        if operator == "$gt":
            return a > b
        if operator == "$gte":
            return a >= b
        if operator == "$lt":
            return a < b
        return a <= b
    raise ValueError(f"unsupported filter operator {operator!r} (use $eq $ne $gt $gte $lt $lte)")


def _compare(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        if any(k.startswith("$") for k in wanted):
            return all(_apply_operator(value, op, operand) for op, operand in wanted.items())
        if not isinstance(value, dict):
            return False
        return all(_compare(value.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, (list, tuple)):
        return (
            isinstance(value, (list, tuple))
            and len(value) == len(wanted)
            and all(_compare(a, b) for a, b in zip(value, wanted))
        )
    return value == wanted


def _passes(value: dict[str, Any], filter: Optional[dict[str, Any]]) -> bool:
    return not filter or all(_compare(value.get(k), v) for k, v in filter.items())


def _ns_matches(cond: MatchCondition, ns: tuple[str, ...]) -> bool:
    path = tuple(cond.path)
    if len(ns) < len(path):
        return False
    pairs = zip(ns, path) if cond.match_type == "prefix" else zip(reversed(ns), reversed(path))
    if cond.match_type not in ("prefix", "suffix"):
        raise ValueError(f"unsupported match type {cond.match_type!r}")
    return all(p == "*" or a == p for a, p in pairs)


# -- rows -------------------------------------------------------------------------------------


@dataclass
class _Row:
    """One memory row as the store sees it."""

    id: str
    metadata: dict[str, Any]
    text: Optional[str] = None
    vector: Optional[np.ndarray] = None

    @property
    def item(self) -> str:
        return self.metadata.get(_M_ITEM, self.id)

    def expired(self, now: float) -> bool:
        exp = self.metadata.get(_M_EXPIRES)
        return exp is not None and float(exp) <= now

    def to_item(self, cls: type = Item, **extra: Any) -> Any:
        md = self.metadata
        return cls(
            namespace=tuple(md[_M_NS].split(_NS_SEP)),
            key=md[_M_KEY],
            value=json.loads(md[_M_VALUE]),
            created_at=_dt(float(md[_M_CREATED])),
            updated_at=_dt(float(md[_M_UPDATED])),
            **extra,
        )


@dataclass
class _PutPlan:
    """What a put writes: the primary row and its extra vector rows."""

    op: PutOp
    item_id: str
    value_json: Optional[str] = None  # None: a delete
    texts: list[tuple[str, str]] = field(default_factory=list)  # (path, text)
    vectors: list[np.ndarray] = field(default_factory=list)


class AgentDBStore(BaseStore):
    """LangGraph ``BaseStore`` keeping items in AgentDB memory, with semantic search.

    Args:
        db: an open :class:`agentdb.Database`. The store does not close a database it was given.
        index: LangGraph's ``IndexConfig``: ``dims``, ``embed`` (a LangChain ``Embeddings``, a
            sync or async function ``list[str] -> list[vector]``, or an AgentDB embedder such as
            ``agentdb.embed.HashingEmbedder``) and ``fields`` (JSON paths to embed, default
            ``["$"]``: the whole value). Without it the store has no semantic search (``query``
            is ignored, as in LangGraph's stores). ``dims`` may be left out when ``embed`` has a
            ``dim`` attribute.
        ttl: LangGraph's ``TTLConfig``: ``default_ttl`` (minutes), ``refresh_on_read`` (default
            True), ``sweep_interval_minutes`` (used by :meth:`start_ttl_sweeper`).
        name: the AgentDB memory holding the items (metric l2, over unit vectors). Its vector
            dimension is fixed when it is created (``dims``, or 1 without an index): opening it
            with another ``dims`` raises ``DimensionMismatchError``; opening it without an
            index always works (no semantic search then).
        agent_id: the memory ``agent_id`` of every row.
    """

    supports_ttl = True

    def __init__(
        self,
        db: Any,
        *,
        index: Optional[IndexConfig] = None,
        ttl: Optional[TTLConfig] = None,
        name: str = "langgraph_store",
        agent_id: str = "langgraph",
    ) -> None:
        self._db = db
        self._owned: Any = None
        self.ttl_config = ttl
        self.agent_id = agent_id
        self.index_config: Optional[IndexConfig] = None
        self.embeddings: Any = None
        self._fields: list[tuple[str, Any]] = []
        dims = 1
        if index:
            cfg = dict(index)
            embed = cfg.get("embed")
            if embed is None:
                raise ValueError("index config needs 'embed'")
            if cfg.get("dims") is None:
                dim = getattr(embed, "dim", None)
                if dim is None:
                    raise ValueError("index config needs 'dims' (or an embedder with a 'dim')")
                cfg["dims"] = int(dim)
            self.index_config = cfg  # type: ignore[assignment]
            self.embeddings = _as_embeddings(embed)
            self._fields = [(p, p if p == "$" else tokenize_path(p)) for p in (cfg.get("fields") or ["$"])]
            dims = int(cfg["dims"])
        # l2 over unit vectors ranks exactly like cosine, and the memory's l2 similarity
        # 1 / (1 + d) gives the cosine back unclamped (see _nearest).
        if index is None and name in db.list_memories():
            # Without an index any existing store opens (its items are still readable).
            self._memory = db.memory(name, metric="l2")
            dims = self._memory.dim
        else:
            self._memory = db.memory(name, dim=dims, metric="l2")
        self._dims = dims
        from agentdb.memory import RecallWeights

        self._weights = RecallWeights(similarity=1.0, recency=0.0, importance=0.0)
        self._by_id = RecallWeights(similarity=0.0, recency=0.0, importance=0.0)
        self._placeholder = np.zeros(dims, dtype=np.float32)
        self._placeholder[0] = 1.0
        self._sweeper: Optional[threading.Thread] = None
        self._sweeper_stop = threading.Event()
        # Puts of one store are serialised: "is the row there? then update, else create" must
        # not interleave with another put of the same key.
        self._write_lock = threading.Lock()

    @classmethod
    def from_path(
        cls,
        path: Union[str, "os.PathLike[str]"],
        *,
        sync: Optional[str] = None,
        read_only: bool = False,
        **kwargs: Any,
    ) -> "AgentDBStore":
        """Opens (creating if needed) the database at ``path`` for this store alone (``sync`` and
        ``read_only`` as for :func:`agentdb.open`); the store closes it in :meth:`close`. Other
        keyword arguments are those of the constructor."""
        import agentdb

        db = agentdb.open(path, sync=sync, read_only=read_only)
        try:
            store = cls(db, **kwargs)
        except BaseException:
            db.close()
            raise
        store._owned = db
        return store

    def close(self) -> None:
        """Stops the TTL sweeper, and closes the database if :meth:`from_path` opened it."""
        self.stop_ttl_sweeper()
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> "AgentDBStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def __aenter__(self) -> "AgentDBStore":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await _aio.run(self.close)

    # -- the backend: every call into AgentDB memory goes through these few methods ---------

    def _fetch(self, ids: Sequence[str]) -> dict[str, _Row]:
        """The rows with these ids (missing ones left out), without vectors."""
        if not ids:
            return {}
        return {r.id: _Row(r.id, dict(r.metadata or {}), r.text) for r in self._memory.get(list(ids))}

    def _scan(self, where: dict[str, Any]) -> list[_Row]:
        """Every row of the store matching ``where``, in id order."""
        out: list[_Row] = []
        last: Optional[str] = None
        while True:
            # With every weight 0, recall ranks by id: pages follow each other by id.
            page_where = where if last is None else {"$and": [where, {"id": {"$gt": last}}]}
            hits = self._memory.recall(
                None, k=_SCAN_PAGE, agent_id=self.agent_id, where=page_where, weights=self._by_id, touch=False
            )
            out.extend(_Row(h.record.id, dict(h.record.metadata or {}), h.record.text) for h in hits)
            if len(hits) < _SCAN_PAGE:
                return out
            last = hits[-1].record.id

    def _nearest(
        self, vector: np.ndarray, k: int, where: dict[str, Any]
    ) -> tuple[list[tuple[_Row, float]], bool]:
        """The ``k`` rows nearest to ``vector`` among those matching ``where``, best first, with
        their cosine similarity; and whether that is all the rows that match."""
        hits = self._memory.recall(
            _unit(vector), k=k, agent_id=self.agent_id, where=where, weights=self._weights, touch=False
        )
        out = []
        for h in hits:
            # The memory's metric is l2 over unit vectors: similarity = 1 / (1 + d) with
            # d = |q - v|^2 = 2 - 2 cos, so cos = 1 - d / 2 (exact, and never clamped at 0).
            d = 1.0 / float(h.similarity) - 1.0
            out.append((_Row(h.record.id, dict(h.record.metadata or {}), h.record.text), 1.0 - d / 2.0))
        return out, len(hits) < k

    def _write(self, rows: list[tuple[str, Optional[str], np.ndarray, dict[str, Any]]]) -> None:
        """Creates or replaces these rows: ``(id, text, vector, metadata)``."""
        if not rows:
            return
        present = set(self._fetch([r[0] for r in rows]))
        new = [r for r in rows if r[0] not in present]
        for rid, text, vec, md in rows:
            if rid in present:
                self._memory.update(rid, text=text, metadata=md, vector=vec)
        if not new:
            return
        items = [
            {"id": rid, "text": text, "agent_id": self.agent_id, "kind": _KIND, "vector": vec, "metadata": md}
            for rid, text, vec, md in new
        ]
        try:
            self._memory.remember_many(items)
        except DuplicateIdError:
            # Another store object wrote one of these keys meanwhile: the last write wins.
            for it in items:
                try:
                    self._memory.remember_many([it])
                except DuplicateIdError:
                    self._memory.update(
                        it["id"], text=it["text"], metadata=it["metadata"], vector=it["vector"]
                    )

    def _delete_items(self, item_ids: Sequence[str]) -> None:
        """Deletes every row of these items."""
        if item_ids:
            self._memory.forget(agent_id=self.agent_id, where={_M_ITEM: {"$in": list(item_ids)}})

    def _delete_rows(self, ids: Sequence[str]) -> None:
        if ids:
            self._memory.forget(list(ids))

    def _refresh(self, rows: Sequence[_Row], now: float) -> None:
        """Moves the expiry of these (primary) rows to ``now + ttl`` (not on a read-only
        database: reading must not fail there)."""
        if getattr(self._db, "read_only", False):
            return
        for row in rows:
            md = dict(row.metadata)
            md[_M_EXPIRES] = now + float(md[_M_TTL]) * 60.0
            self._memory.update(row.id, metadata=md)
            row.metadata = md

    # -- batch ------------------------------------------------------------------------------

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Runs the operations (reads first, against the store as it was, then the puts) and
        returns one result per operation, in order."""
        ops = list(ops)
        self._check(ops)
        queries = self._queries(ops)
        vectors = {}
        if queries:
            embedded = [self.embeddings.embed_query(q) for q in queries]
            vectors = dict(zip(queries, self._as_matrix(embedded, len(queries))))
        plans = self._plan_puts(ops)
        texts = [t for p in plans for _, t in p.texts]
        if texts:
            self._assign(plans, self._as_matrix(self.embeddings.embed_documents(texts), len(texts)))
        return self._run(ops, vectors, plans)

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Async :meth:`batch`: embeddings through the embedder's async API, database work in a
        worker thread (the event loop is never blocked)."""
        ops = list(ops)
        self._check(ops)
        queries = self._queries(ops)
        vectors = {}
        if queries:
            embedded = await asyncio.gather(*(self.embeddings.aembed_query(q) for q in queries))
            vectors = dict(zip(queries, self._as_matrix(embedded, len(queries))))
        plans = self._plan_puts(ops)
        texts = [t for p in plans for _, t in p.texts]
        if texts:
            self._assign(plans, self._as_matrix(await self.embeddings.aembed_documents(texts), len(texts)))
        return await _aio.run(self._run, ops, vectors, plans)

    def _check(self, ops: list[Op]) -> None:
        for op in ops:
            if not isinstance(op, (GetOp, SearchOp, PutOp, ListNamespacesOp)):
                raise ValueError(f"unknown store operation {type(op).__name__}")
            if _validate_op is not None:
                _validate_op(op)
            if isinstance(op, PutOp):
                if not op.namespace:
                    raise InvalidNamespaceError("namespace cannot be empty")
                if op.value is not None and not isinstance(op.value, dict):
                    op_value_type = type(op.value).__name__
                    raise ValueError(f"a stored value must be a dict, got {op_value_type}")

    def _queries(self, ops: list[Op]) -> list[str]:
        if self.embeddings is None:
            return []
        return sorted({op.query for op in ops if isinstance(op, SearchOp) and op.query})

    def _as_matrix(self, embedded: Any, n: int) -> np.ndarray:
        m = np.asarray(embedded, dtype=np.float32)
        if m.ndim != 2 or m.shape[0] != n or m.shape[1] != self._dims:
            raise ValueError(
                f"the embedder returned shape {m.shape} for {n} texts; the index has dims={self._dims}"
            )
        return m

    def _plan_puts(self, ops: list[Op]) -> list[_PutPlan]:
        last: dict[tuple[tuple[str, ...], str], PutOp] = {}
        for op in ops:
            if isinstance(op, PutOp):
                last.pop((tuple(op.namespace), op.key), None)
                last[(tuple(op.namespace), op.key)] = op
        plans = []
        for (ns, key), op in last.items():
            plan = _PutPlan(op, _item_id(ns, key))
            if op.value is not None:
                # Encoded before anything is written: a value without a JSON form fails the
                # whole batch, not half of it.
                try:
                    plan.value_json = json.dumps(op.value, ensure_ascii=False, allow_nan=False)
                except (TypeError, ValueError) as e:
                    raise ValueError(f"the value of {ns}/{key!r} is not JSON-serializable: {e}") from e
            if op.value is not None and op.index is not False and self.embeddings is not None:
                paths = (
                    self._fields
                    if op.index is None
                    else [(p, p if p == "$" else tokenize_path(p)) for p in op.index]
                )
                for path, tokens in paths:
                    found = get_text_at_path(op.value, tokens)
                    if len(found) > 1:
                        plan.texts.extend((f"{path}.{i}", t) for i, t in enumerate(found))
                    elif found:
                        plan.texts.append((path, found[0]))
            plans.append(plan)
        return plans

    @staticmethod
    def _assign(plans: list[_PutPlan], matrix: np.ndarray) -> None:
        if not np.isfinite(matrix).all():
            raise ValueError("the embedder returned NaN or infinite values")
        i = 0
        for p in plans:
            n = len(p.texts)
            kept = [(t, matrix[i + j]) for j, t in enumerate(p.texts) if np.any(matrix[i + j])]
            # A zero vector has no direction: its text cannot be ranked (like an item with
            # nothing to embed).
            p.texts = [t for t, _ in kept]
            p.vectors = [_unit(v) for _, v in kept]
            i += n

    def _run(self, ops: list[Op], vectors: dict[str, np.ndarray], plans: list[_PutPlan]) -> list[Result]:
        now = _now()
        results: list[Result] = [None] * len(ops)
        gets = [(i, op) for i, op in enumerate(ops) if isinstance(op, GetOp)]
        if gets:
            ids = [_item_id(tuple(op.namespace), op.key) for _, op in gets]
            found = self._fetch(ids)
            refresh = []
            for (i, op), rid in zip(gets, ids):
                row = found.get(rid)
                if row is None or row.expired(now):
                    continue
                results[i] = row.to_item()
                if op.refresh_ttl and _M_TTL in row.metadata:
                    refresh.append(row)
            self._refresh(refresh, now)
        for i, op in enumerate(ops):
            if isinstance(op, SearchOp):
                results[i] = self._search(op, vectors.get(op.query) if op.query else None, now)
            elif isinstance(op, ListNamespacesOp):
                results[i] = self._list_namespaces(op, now)
        if plans:
            with self._write_lock:
                self._apply_puts(plans, now)
        return results

    # -- operations -------------------------------------------------------------------------

    def _prefix_where(self, prefix: tuple[str, ...], **extra: Any) -> dict[str, Any]:
        where: dict[str, Any] = {}
        if prefix:
            where[_M_PREFIXES] = {"$contains": _NS_SEP.join(prefix)}
        where.update(extra)
        return where

    def _search(self, op: SearchOp, query: Optional[np.ndarray], now: float) -> list[SearchItem]:
        prefix = tuple(op.namespace_prefix)
        if op.limit <= 0:
            return []
        if query is None:
            rows = [
                r
                for r in self._scan(self._prefix_where(prefix, **{_M_PRIMARY: True}))
                if not r.expired(now) and _passes(json.loads(r.metadata[_M_VALUE]), op.filter)
            ]
            # Most recently updated first (as LangGraph's Postgres store), then by key.
            rows.sort(key=lambda r: (-float(r.metadata[_M_UPDATED]), r.metadata[_M_NS], r.metadata[_M_KEY]))
            page = rows[op.offset : op.offset + op.limit]
            self._refresh([r for r in page if op.refresh_ttl and _M_TTL in r.metadata], now)
            return [r.to_item(SearchItem) for r in page]

        want = op.offset + op.limit
        where = self._prefix_where(prefix, **{_M_VEC: True})
        k = min(max(want * 2, 16), _MAX_K)
        while True:
            hits, exhausted = self._nearest(query, k, where)
            best: dict[str, float] = {}
            primaries: dict[str, _Row] = {}
            for row, sim in hits:  # best first: the first row of an item is its best
                best.setdefault(row.item, sim)
                if row.metadata.get(_M_PRIMARY):
                    primaries[row.id] = row
            # Items ranked through an extra row need their primary row (the value) read.
            primaries.update(self._fetch([i for i in best if i not in primaries]))
            ranked = []
            for item_id, sim in best.items():
                row = primaries.get(item_id)
                if row is None or row.expired(now):
                    continue
                if _passes(json.loads(row.metadata[_M_VALUE]), op.filter):
                    ranked.append((row, sim))
            if len(ranked) >= want or exhausted or k >= _MAX_K:
                break
            k = min(k * 4, _MAX_K)
        page = ranked[op.offset : want]
        out = [row.to_item(SearchItem, score=float(sim)) for row, sim in page]
        refresh = [row for row, _ in page if op.refresh_ttl and _M_TTL in row.metadata]
        if len(out) < op.limit:
            # Items with nothing embedded cannot be ranked; like LangGraph's in-memory store,
            # they fill the rest of the page, unscored.
            extra = [
                r
                for r in self._scan(self._prefix_where(prefix, **{_M_PRIMARY: True, _M_VEC: False}))
                if not r.expired(now) and _passes(json.loads(r.metadata[_M_VALUE]), op.filter)
            ]
            extra.sort(key=lambda r: (-float(r.metadata[_M_UPDATED]), r.metadata[_M_NS], r.metadata[_M_KEY]))
            extra = extra[: op.limit - len(out)]
            out.extend(r.to_item(SearchItem) for r in extra)
            refresh.extend(r for r in extra if op.refresh_ttl and _M_TTL in r.metadata)
        self._refresh(refresh, now)
        return out

    def _list_namespaces(self, op: ListNamespacesOp, now: float) -> list[tuple[str, ...]]:
        # A prefix condition without wildcards narrows the scan in the engine.
        prefix: tuple[str, ...] = ()
        for cond in op.match_conditions or ():
            if cond.match_type == "prefix" and "*" not in cond.path and len(cond.path) > len(prefix):
                prefix = tuple(cond.path)
        namespaces = set()
        for r in self._scan(self._prefix_where(prefix, **{_M_PRIMARY: True})):
            if r.expired(now):
                continue
            ns = tuple(r.metadata[_M_NS].split(_NS_SEP))
            if all(_ns_matches(c, ns) for c in op.match_conditions or ()):
                namespaces.add(ns if op.max_depth is None else ns[: op.max_depth])
        return sorted(namespaces)[op.offset : op.offset + op.limit]

    def _apply_puts(self, plans: list[_PutPlan], now: float) -> None:
        deletes = [p.item_id for p in plans if p.op.value is None]
        if deletes:
            self._delete_items(deletes)
        writes = [p for p in plans if p.op.value is not None]
        if not writes:
            return
        existing = self._fetch([p.item_id for p in writes])
        rows: list[tuple[str, Optional[str], np.ndarray, dict[str, Any]]] = []
        stale: list[str] = []
        for p in writes:
            ns = tuple(p.op.namespace)
            old = existing.get(p.item_id)
            created = now
            if old is not None and not old.expired(now):
                created = float(old.metadata.get(_M_CREATED, now))
            ttl = p.op.ttl
            base = {
                _M_NS: _NS_SEP.join(ns),
                _M_PREFIXES: _prefixes(ns),
                _M_KEY: p.op.key,
                _M_ITEM: p.item_id,
            }
            if ttl is not None:
                base[_M_TTL] = float(ttl)
                base[_M_EXPIRES] = now + float(ttl) * 60.0
            primary = dict(
                base,
                **{
                    _M_PRIMARY: True,
                    _M_VALUE: p.value_json,
                    _M_VEC: bool(p.vectors),
                    _M_CREATED: created,
                    _M_UPDATED: now,
                },
            )
            if p.vectors:
                primary[_M_PATH] = p.texts[0][0]
                rows.append((p.item_id, p.texts[0][1], p.vectors[0], primary))
            else:
                rows.append((p.item_id, None, self._placeholder, primary))
            for j in range(1, len(p.vectors)):
                extra = dict(base, **{_M_PRIMARY: False, _M_VEC: True, _M_PATH: p.texts[j][0]})
                rows.append((f"{p.item_id}-{j}", p.texts[j][1], p.vectors[j], extra))
            # Extra rows of the previous version that this one no longer has.
            old_extra = int(old.metadata.get("lg_extra", 0)) if old is not None else 0
            stale.extend(f"{p.item_id}-{j}" for j in range(max(len(p.vectors), 1), old_extra + 1))
            primary["lg_extra"] = max(len(p.vectors) - 1, 0)
        self._write(rows)
        if stale:
            self._delete_rows(stale)

    # -- TTL --------------------------------------------------------------------------------

    def sweep_ttl(self) -> int:
        """Deletes every expired item now; returns how many items were deleted."""
        now = _now()
        expired = [r.id for r in self._scan({_M_PRIMARY: True, _M_EXPIRES: {"$lte": now}})]
        # Delete in slices: one filter with an unbounded $in list would grow without limit.
        for i in range(0, len(expired), 512):
            self._delete_items(expired[i : i + 512])
        return len(expired)

    async def asweep_ttl(self) -> int:
        """Async :meth:`sweep_ttl` (runs in a worker thread)."""
        return await _aio.run(self.sweep_ttl)

    def start_ttl_sweeper(self, sweep_interval_minutes: Optional[float] = None) -> None:
        """Starts a daemon thread that calls :meth:`sweep_ttl` every ``sweep_interval_minutes``
        (default: the TTL config's ``sweep_interval_minutes``, else 5). Stopped by
        :meth:`stop_ttl_sweeper` or :meth:`close`."""
        if self._sweeper is not None:
            return
        minutes = sweep_interval_minutes
        if minutes is None:
            minutes = (self.ttl_config or {}).get("sweep_interval_minutes") or 5
        interval = float(minutes) * 60.0
        self._sweeper_stop.clear()

        def loop() -> None:
            while not self._sweeper_stop.wait(interval):
                try:
                    self.sweep_ttl()
                except Exception:  # noqa: BLE001 - a closed db ends the loop below
                    if self._sweeper_stop.is_set():
                        return

        self._sweeper = threading.Thread(target=loop, name="agentdb-langgraph-ttl", daemon=True)
        self._sweeper.start()

    def stop_ttl_sweeper(self, timeout: Optional[float] = None) -> bool:
        """Stops the sweeper thread; returns whether it has stopped within ``timeout``."""
        if self._sweeper is None:
            return True
        self._sweeper_stop.set()
        self._sweeper.join(timeout)
        stopped = not self._sweeper.is_alive()
        if stopped:
            self._sweeper = None
        return stopped
