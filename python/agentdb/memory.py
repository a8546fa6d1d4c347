"""Agent memory: what agents remember, recalled by similarity, recency and importance.

Open a store with :meth:`agentdb.Database.memory`::

    from agentdb.embed import default_embedder      # pip install agentdb-embedded[embed]

    mem = db.memory("memory", embedder=default_embedder())
    mem.remember("Alice prefers tea over coffee", agent_id="bot", kind="semantic", importance=0.8)
    for hit in mem.recall("what does Alice drink?", k=3, agent_id="bot"):
        print(hit.score, hit.record.text)
    mem.consolidate(dedup_threshold=0.95, min_score=0.05, capacity=10_000)

A memory is text and/or a vector with an ``agent_id``, an optional ``session_id``, a ``kind``
(``"working"``, ``"episodic"``, ``"semantic"``, ``"procedural"``), an ``importance`` in [0, 1],
creation and last-access times, an access count, and metadata. Texts are embedded by the store's
embedder (any callable, see :mod:`agentdb.embed`); without one, pass ``vector=``.

**The score** (all computed by the engine; two modes, relevance first by default)::

    recency    = 0.5 ** (age / half_life)      age = now − last_accessed  (seconds, ≥ 0)
    similarity = cosine: max(0, cos(q, v))      dot: clamp(q·v, 0, 1)      l2: 1 / (1 + ‖q − v‖²)
    strength   = w_rec · recency + w_imp · importance

    mode="relevance" (default):
      score      = sim_n · adjustment
      sim_n      = (similarity − lo) / (hi − lo)   lo, hi: lowest and highest similarity among
                                                   the candidates (1 when equal)
      adjustment = 1 − adjust · (1 − s)            s = strength / (w_rec + w_imp), in [0, 1]
    mode="linear" (the old score, RecallWeights.linear()):
      score      = w_sim · similarity + strength

with :class:`RecallWeights` defaults (the engine's ``RecallWeights::DEFAULT``, read through
``agentdb._native.recall_weights_default()``; the worked example below is checked against them by
the tests) ``mode="relevance"``, ``w_sim = 1``,
``w_rec = 0.5``, ``w_imp = 0.5``, ``half_life = 7 days``, ``adjust = 0.1``. In relevance mode
the candidates are the ``candidates`` (default ``max(10·k, 100)``) memories passing the filters
most similar to the query, and recency and importance are a factor in ``[1 − adjust, 1]``: they
reorder only memories whose normalised similarities are within that factor of each other, so
a relevant memory months old is not buried under recent ones (embedding similarities sit in a
narrow band, e5: ~0.75–0.9, where the linear score's ``0.5 · recency`` outweighs relevance).

Worked example (defaults; candidates with similarities 0.90, 0.85, 0.80, so ``lo = 0.80``,
``hi = 0.90``)::

    memory  similarity  age      importance  sim_n  s      adjustment  score    linear score
    A       0.90        60 days  0.5         1.0    0.251  0.9251      0.9251   1.1513
    B       0.85        now      0.5         0.5    0.75   0.975       0.4875   1.6
    C       0.80        now      1.0         0.0    1.0    1.0         0.0      1.8

Relevance ranks A, B, C; the linear score ranks C, B, A. Near-equal memories are still ordered by
recency: ``sim_n`` 1.0 at 60 days (0.9251) loses to 0.95 today (0.95 · 0.975 = 0.9263).

``last_accessed`` starts as the creation time and is set to *now* each time the memory is
recalled (``touch=True``), which also adds 1 to ``access_count``. Without a query (or with
``w_sim = 0``), memories rank by their *strength* in both modes (relevance mode reports the
adjustment as the score): the same quantity decay, capacity eviction and de-duplication compare.
Ties rank by id.

Recall scores every memory passing the filters (one SIMD scan of the agent's vectors, which the
store keeps together) when there are at most ``max(4096, 4Mi / dim)`` of them (10,922 at 384-d)
or they are under 5% of the store; above that,
the ``candidates`` most similar ones (default ``max(10·k, 100)``, found with the store's HNSW
index) are re-scored. Access-statistic updates are batched: applied at once in memory, written to
storage in one upsert per batch (when 4096 are waiting, after 5 s, on :meth:`Memory.flush`, and
when the database closes).

**Hybrid recall**: memory texts are also in a BM25 (full-text) index, kept current by every
write, so a memory is found by its words the moment :meth:`Memory.remember` returns. A text
query is embedded *and* matched by its words, and the two rankings are fused::

    mode="hybrid" (default with an embedder and stored texts), "vector" or "text"
    fusion="linear" (default, w_text = 0.3): fused = w_sim·sim_n + w_text·bm25 / max_bm25
    fusion="rrf":    fused = w_sim·(k+1)/(k + rank_vector) + w_text·(k+1)/(k + rank_text)
                     (k = rrf_k = 60; a side's term is 0 outside its ``candidates`` best)
    relevance mode: score = min-max(fused) · adjustment     linear mode: score = fused + strength

so recency and importance apply as above, with the fused relevance in the similarity's place;
the filters restrict both sides. ``hit.text_score`` is the memory's BM25 (0 without a query
word). Without an embedder a text query is a text-only recall. Names, numbers and rare words
that embeddings blur are found by the text side::

    mem.recall("invoice 4711", mode="text")
    mem.recall("what did Bob order?", weights=RecallWeights(text=1.0, fusion="rrf"))

**Tokenizer**: the text index splits words with the store's tokenizer, kept with the store:
``"simple"`` (default: English, stemming and stop words), ``"icu"`` (dictionary word
segmentation: Chinese, Japanese, Korean and mixed text) or ``"ngram"`` (``"ngram:MIN-MAX"``,
character n-grams, default 2–3)::

    mem.set_text_tokenizer("icu")
    mem.recall("熊猫吃什么", mode="text")

**Storage**: the store named ``n`` is the hidden collection ``_agentdb_memory_n`` (not listed by
``list_collections``). User metadata keys are stored as they are, as typed columns, so ``where``
filters use them directly; the names ``agent_id``, ``session_id``, ``kind``, ``importance``,
``created``, ``last_accessed`` and ``access_count`` are the memory's own fields and are reserved
(``where`` may filter on them too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union, cast

import numpy as np

from . import _native
from .embed import as_embedder
from ._args import as_list, as_seconds, as_vector, engine_defaults, require
from .errors import DimensionMismatchError, InvalidArgumentError
from .ops import MemoryStats
from .graph import Fact, Graph

__all__ = [
    "Memory",
    "MemoryRecord",
    "MemoryHit",
    "RecallWeights",
    "RECALL_MODES",
    "SEARCH_MODES",
    "FUSIONS",
    "ConsolidationReport",
    "KINDS",
]

#: The kinds a memory can have (the engine's ``MemoryKind::ALL``).
KINDS: Tuple[str, ...] = tuple(_native.MEMORY_KINDS)

Where = Union[str, Mapping[str, Any], None]
Query = Union[str, np.ndarray, Sequence[float], None]
Kinds = Union[str, Sequence[str], None]


#: The engine's default recall weights (``agentdb._native.recall_weights_default()``): the
#: defaults of :class:`RecallWeights` are read from here, never written out in Python.
_DEFAULT_WEIGHTS: Dict[str, Any] = _native.recall_weights_default()
#: The old linear default (``RecallWeights.linear()``).
_LINEAR_WEIGHTS: Dict[str, Any] = _native.recall_weights_default(linear=True)

#: The recall modes (the engine's ``RecallMode::ALL``): ``"relevance"`` (the default) and
#: ``"linear"`` (the old additive score).
RECALL_MODES: Tuple[str, ...] = tuple(_native.RECALL_MODES)

#: Which rankings recall uses (the engine's ``SearchMode::ALL``): ``"vector"``, ``"text"``,
#: ``"hybrid"``.
SEARCH_MODES: Tuple[str, ...] = tuple(_native.SEARCH_MODES)

#: How hybrid recall fuses the rankings (the engine's ``Fusion::ALL``): ``"rrf"`` (default),
#: ``"linear"``.
FUSIONS: Tuple[str, ...] = tuple(_native.FUSIONS)


@dataclass(frozen=True)
class RecallWeights:
    """The weights of the recall score and the recency half-life (see the module docs for both
    modes and a worked example). Every default is the engine's.

    Attributes:
        similarity: ``w_sim`` (≥ 0). Linear: the similarity term's weight. Relevance: 0 leaves
            similarity out (rank by strength), any value above 0 counts it.
        recency: ``w_rec`` (≥ 0): the recency term's weight (linear) or its share of the
            adjustment (relevance); also in strength.
        importance: ``w_imp`` (≥ 0): likewise for importance.
        half_life: seconds (or a ``timedelta``) after which recency halves (> 0).
        mode: ``"relevance"`` (default: normalised similarity × an adjustment in
            ``[1 − adjust, 1]``) or ``"linear"`` (``w_sim·sim + w_rec·recency + w_imp·importance``).
        adjust: relevance mode's ``α`` in [0, 1]: the most recency and importance together take
            off a score (0: similarity alone).
        text: ``w_text`` (≥ 0, default 0.3): the text (BM25) ranking's weight in text and hybrid
            recall (``similarity`` is the vector ranking's).
        fusion: ``"linear"`` (weighted normalised scores, default) or ``"rrf"`` (reciprocal rank
            fusion): how hybrid recall fuses the two rankings (see ``bench/results/memory.md``
            for why linear is the default).
        rrf_k: RRF's rank constant (> 0, default 60).

    ``RecallWeights.linear()`` is the old default score (linear mode, the same weights).
    """

    similarity: float = _DEFAULT_WEIGHTS["similarity"]
    recency: float = _DEFAULT_WEIGHTS["recency"]
    importance: float = _DEFAULT_WEIGHTS["importance"]
    half_life: Union[float, timedelta] = _DEFAULT_WEIGHTS["half_life"]
    mode: str = _DEFAULT_WEIGHTS["mode"]
    adjust: float = _DEFAULT_WEIGHTS["adjust"]
    text: float = _DEFAULT_WEIGHTS["text"]
    fusion: str = _DEFAULT_WEIGHTS["fusion"]
    rrf_k: float = _DEFAULT_WEIGHTS["rrf_k"]

    @classmethod
    def linear(cls, **changes: Any) -> "RecallWeights":
        """The old default score: linear mode with the engine's linear defaults (``changes``
        override fields)."""
        keys = ("similarity", "recency", "importance", "half_life", "mode", "adjust", "text", "fusion", "rrf_k")
        base = {k: _LINEAR_WEIGHTS[k] for k in keys}
        base.update(changes)
        return cls(**base)

    @property
    def half_life_seconds(self) -> float:
        return as_seconds("half_life", self.half_life)

    def _native(self) -> Tuple[str, float, float, float, float, float, float, str, float]:
        for name in ("similarity", "recency", "importance", "adjust", "text", "rrf_k"):
            require(name, getattr(self, name), (int, float, np.integer, np.floating), "a number")
        require("mode", self.mode, (str,), "'relevance' or 'linear'")
        require("fusion", self.fusion, (str,), "'rrf' or 'linear'")
        return (
            self.mode,
            float(self.similarity),
            float(self.recency),
            float(self.importance),
            self.half_life_seconds,
            float(self.adjust),
            float(self.text),
            self.fusion,
            float(self.rrf_k),
        )

    def score(self, similarity: Optional[float], age_seconds: float, importance: float) -> float:
        """The engine's score of one memory, for checking and explaining a hit's score. In
        relevance mode ``similarity`` is the *normalised* one, ``(sim − lo) / (hi − lo)`` over the
        recall's candidates; in linear mode the raw one. ``None``: no query."""
        return _native.recall_score(self._native(), similarity, float(age_seconds), float(importance))[0]

    def strength(self, age_seconds: float, importance: float) -> float:
        """``w_rec · recency + w_imp · importance`` (the engine's; both modes): the no-query
        ranking and what consolidation compares."""
        return _native.recall_score(self._native(), None, float(age_seconds), float(importance))[2]


@dataclass(frozen=True)
class MemoryRecord:
    """A stored memory. Times are timezone-aware UTC datetimes; ``vector`` is filled by
    :meth:`Memory.get` (``None`` in recall hits)."""

    id: str
    text: Optional[str]
    agent_id: str
    session_id: Optional[str]
    kind: str
    importance: float
    created_at: datetime
    last_accessed: datetime
    access_count: int
    metadata: Dict[str, Any] = field(default_factory=dict)
    vector: Optional[np.ndarray] = None


@dataclass(frozen=True)
class MemoryHit:
    """One recalled memory and how its score was made.

    ``record`` is the memory as it is after this recall (access statistics already updated when
    touching); ``recency`` is the one the score used (before the touch); ``similarity`` is
    ``None`` for a recall without a query vector (or in text mode); ``text_score`` is the
    memory's BM25 for the query text in text and hybrid recall (0: no query word), else ``None``.
    """

    record: MemoryRecord
    score: float
    similarity: Optional[float]
    recency: float
    text_score: Optional[float] = None

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def text(self) -> Optional[str]:
        return self.record.text

    @property
    def importance(self) -> float:
        return self.record.importance


class RecallResult(List[MemoryHit]):
    """What :meth:`Memory.recall` returns: the hits, best first (it is a list of
    :class:`MemoryHit`), and ``facts``: with ``graph=``, the graph's facts about the entities the
    query text names, valid at the recall's time (else empty). Each :class:`~agentdb.graph.Fact`
    carries its provenance: ``sources`` (the ids of the memories it was taken from),
    ``valid_from``/``valid_to`` and ``confidence``.
    """

    facts: List[Fact]

    def __init__(self, hits: Iterable[MemoryHit] = (), facts: Iterable[Fact] = ()) -> None:
        super().__init__(hits)
        self.facts = list(facts)

    def facts_from(self, memory_id: str) -> List[Fact]:
        """The facts taken from the memory ``memory_id``."""
        return [f for f in self.facts if memory_id in f.sources]


@dataclass(frozen=True)
class ConsolidationReport:
    """What :meth:`Memory.consolidate` changed.

    Attributes:
        merged: ``(kept, removed)`` pairs of de-duplication.
        pruned: ids deleted by decay (strength under ``min_score``).
        evicted: ids deleted by the capacity limit.
    """

    merged: List[Tuple[str, str]]
    pruned: List[str]
    evicted: List[str]

    @property
    def removed(self) -> int:
        """How many memories were deleted in all."""
        return len(self.merged) + len(self.pruned) + len(self.evicted)


def _record(t: Tuple[Any, ...]) -> MemoryRecord:
    return MemoryRecord(*t)


def _report(t: Tuple[Any, ...]) -> ConsolidationReport:
    merged, pruned, evicted = t
    return ConsolidationReport([tuple(p) for p in merged], list(pruned), list(evicted))


def _weights(w: Optional[RecallWeights]) -> Optional[Tuple[str, float, float, float, float, float, float, str, float]]:
    if w is None:
        return None
    if not isinstance(w, RecallWeights):
        raise InvalidArgumentError(f"weights must be a RecallWeights, got {type(w).__name__}")
    return w._native()


def _kinds(kinds: Kinds) -> Optional[List[str]]:
    if kinds is None:
        return None
    return [kinds] if isinstance(kinds, str) else as_list("kinds", kinds, "a str or a sequence of str")


def _importance(i: int, v: Any) -> Optional[float]:
    if v is None:  # the engine's default
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
        raise InvalidArgumentError(f"memory {i}: importance must be a number in [0, 1], got {v!r}")
    return float(v)


_UNSET: Any = object()


class Memory:
    """A memory store of a :class:`~agentdb.Database` (see the module docs).

    Obtain it with :meth:`Database.memory`. The store keeps its database open
    (``agentdb.connect(p).memory("m")`` is usable on its own; the database closes when its last
    handle goes); after :meth:`Database.close` it raises :class:`~agentdb.errors.ClosedError`.
    Handles are thread-safe and cheap; every call
    releases the GIL while the engine works (the embedder, a Python callable, runs with it).
    """

    __slots__ = ("_native", "_embedder")

    def __init__(self, native: _native.Memory, embedder: Any = None) -> None:
        self._native = native
        self._embedder = None if embedder is None else as_embedder(embedder)

    # -- properties -----------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._native.name

    @property
    def dim(self) -> int:
        """The vector dimension, fixed when the store was created."""
        return self._native.dim

    @property
    def metric(self) -> str:
        return self._native.metric

    @property
    def embedder(self) -> Any:
        """The embedder texts go through (``None``: vectors must be given)."""
        return self._embedder

    @property
    def pending_writes(self) -> int:
        """Memories whose access statistics are updated in memory but not yet written."""
        return self._native.pending_writes

    @property
    def text_tokenizer(self) -> str:
        """The tokenizer of text recall: ``"simple"``, ``"icu"`` or ``"ngram:MIN-MAX"``."""
        return self._native.text_tokenizer

    def set_text_tokenizer(self, tokenizer: str) -> None:
        """Sets the tokenizer of text and hybrid recall and re-indexes every memory's text with
        it; kept with the store (a reopened store keeps it).

        Args:
            tokenizer: ``"simple"`` (English: stemming, stop words), ``"icu"`` (dictionary word
                segmentation for Chinese, Japanese, Korean and mixed text), ``"ngram"`` (character
                bigrams and trigrams), ``"ngram:N"`` or ``"ngram:MIN-MAX"`` (1 ≤ MIN ≤ MAX ≤ 16).

        Raises:
            InvalidArgumentError: an unknown tokenizer.
        """
        require("tokenizer", tokenizer, (str,), "a str")
        self._native.set_text_tokenizer(tokenizer)

    def __repr__(self) -> str:
        return f"Memory(name={self.name!r}, dim={self.dim}, metric={self.metric!r})"

    def __len__(self) -> int:
        return self.count()

    # -- embedding ------------------------------------------------------------------------

    def _need_embedder(self, what: str) -> Any:
        if self._embedder is None:
            raise InvalidArgumentError(
                f"{what} needs a vector: this memory store has no embedder (db.memory(..., embedder=...))"
            )
        return self._embedder

    def _embed(self, texts: List[str]) -> np.ndarray:
        vectors = self._need_embedder("a memory given only as text")(texts)
        if vectors.shape[1] != self.dim:
            raise DimensionMismatchError(
                f"the embedder gives {vectors.shape[1]}-d vectors, the memory store has dimension {self.dim}"
            )
        return vectors

    # -- writes ---------------------------------------------------------------------------

    @engine_defaults
    def remember(
        self,
        text: Optional[str] = None,
        *,
        agent_id: str,
        session_id: Optional[str] = None,
        kind: Optional[str] = None,
        importance: Optional[float] = None,
        vector: Any = None,
        metadata: Optional[Mapping[str, Any]] = None,
        id: Optional[str] = None,
        created_at: Optional[datetime] = None,
    ) -> str:
        """Stores one memory and returns its id.

        Args:
            text: what to remember; embedded by the store's embedder unless ``vector`` is given.
            agent_id: whose memory it is.
            session_id: optional session it belongs to.
            kind: one of :data:`KINDS`, the engine's kinds (``None``: the engine's default,
                ``{DEFAULT_MEMORY_KIND!r}``).
            importance: in [0, 1] (``None``: the engine's default, ``{DEFAULT_IMPORTANCE}``).
            vector: its vector (required without text or without an embedder).
            metadata: user metadata (keys are identifiers; the memory's own field names are
                reserved).
            id: its id (default: a new time-ordered id). An id that exists raises
                :class:`~agentdb.errors.DuplicateIdError` (use :meth:`update`).
            created_at: when it was formed (default: now), e.g. when importing memories.

        Raises:
            InvalidArgumentError: no text and no vector, importance out of range, a bad kind.
            DimensionMismatchError: a vector of another dimension than the store's.
            InvalidMetadataError: a reserved or malformed metadata key.
        """
        item: Dict[str, Any] = {
            "text": text,
            "agent_id": agent_id,
            "session_id": session_id,
            "kind": kind,
            "importance": importance,
            "vector": vector,
            "metadata": metadata,
            "id": id,
            "created_at": created_at,
        }
        return self.remember_many([item])[0]

    def remember_many(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        agent_id: Optional[str] = None,
        session_id: Optional[str] = None,
        kind: Optional[str] = None,
    ) -> List[str]:
        """Stores many memories in one write; returns their ids in order.

        Each item is a dict with the keyword arguments of :meth:`remember` (``text``,
        ``agent_id``, ``session_id``, ``kind``, ``importance``, ``vector``, ``metadata``, ``id``,
        ``created_at``); ``agent_id``, ``session_id`` and ``kind`` given here are defaults for
        items without them. Texts without vectors are embedded in one embedder call. The batch is
        checked whole: a bad item rejects it and nothing is stored.
        """
        items = as_list("items", items, "a sequence of dicts")
        if not items:
            return []
        allowed = {"text", "agent_id", "session_id", "kind", "importance", "vector", "metadata", "id", "created_at"}
        for i, it in enumerate(items):
            if not isinstance(it, Mapping):
                raise InvalidArgumentError(f"memory {i}: an item must be a dict, got {type(it).__name__}")
            unknown = set(it) - allowed
            if unknown:
                raise InvalidArgumentError(f"memory {i}: unknown keys {sorted(unknown)}")
        texts = [it.get("text") for it in items]
        for i, t in enumerate(texts):
            if t is not None and not isinstance(t, str):
                raise InvalidArgumentError(f"memory {i}: text must be a str or None, got {type(t).__name__}")
        need = [i for i, it in enumerate(items) if it.get("vector") is None]
        for i in need:
            if texts[i] is None:
                raise InvalidArgumentError(f"memory {i}: give a text or a vector")
        vectors = np.empty((len(items), self.dim), dtype=np.float32)
        if need:
            embedded = self._embed([texts[i] for i in need])
            for row, i in enumerate(need):
                vectors[i] = embedded[row]
        for i, it in enumerate(items):
            v = it.get("vector")
            if v is None:
                continue
            arr = as_vector(f"memory {i}: the vector", v)
            if arr.shape[0] != self.dim:
                raise DimensionMismatchError(
                    f"memory {i}: the vector has dimension {arr.shape[0]}, the memory store has dimension {self.dim}"
                )
            vectors[i] = arr
        agent_ids = [it.get("agent_id", agent_id) for it in items]
        for i, a in enumerate(agent_ids):
            if a is None:
                raise InvalidArgumentError(f"memory {i}: agent_id is required")
        return self._native.remember(
            vectors,
            [it.get("id") for it in items],
            texts,
            agent_ids,
            [it.get("session_id", session_id) for it in items],
            # None (not given) leaves the kind and importance to the engine's defaults.
            [it.get("kind", kind) for it in items],
            [_importance(i, it.get("importance")) for i, it in enumerate(items)],
            [it.get("metadata") for it in items],
            [it.get("created_at") for it in items],
        )

    def update(
        self,
        id: str,
        *,
        text: Optional[str] = _UNSET,
        importance: Optional[float] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        vector: Any = None,
    ) -> None:
        """Changes one memory; arguments not given stay as they are.

        A new ``text`` without a ``vector`` is re-embedded when the store has an embedder (else
        the old vector is kept); ``text=None`` removes the text. ``metadata`` replaces the user
        metadata as a whole. Access statistics are kept.

        Raises:
            InvalidArgumentError: no memory has that id, or a value is out of range.
        """
        set_text = text is not _UNSET
        if set_text and text is not None and vector is None and self._embedder is not None:
            vector = self._embed([text])[0]
        self._native.update(
            id,
            set_text=set_text,
            text=text if set_text else None,
            importance=importance,
            metadata=metadata,
            vector=vector,
        )

    def forget(
        self,
        ids: Union[Sequence[str], str, None] = None,
        *,
        agent_id: Optional[str] = None,
        session_id: Optional[str] = None,
        kinds: Kinds = None,
        since: Optional[datetime] = None,
        until: Optional[datetime] = None,
        where: Where = None,
    ) -> int:
        """Deletes memories by id and/or filter (both: those matching both); returns how many.

        Raises:
            InvalidArgumentError: neither ids nor a filter (that would be everything; to clear a
                store use :meth:`Database.drop_memory`, or ``forget(agent_id=...)`` per agent).
        """
        if isinstance(ids, str):
            ids = [ids]
        return self._native.forget(
            ids, agent_id=agent_id, session_id=session_id, kinds=_kinds(kinds), since=since, until=until, filter=where
        )

    # -- reads ----------------------------------------------------------------------------

    @engine_defaults
    def recall(
        self,
        query: Query = None,
        k: Optional[int] = None,
        *,
        agent_id: Optional[str] = None,
        session_id: Optional[str] = None,
        kinds: Kinds = None,
        since: Optional[datetime] = None,
        until: Optional[datetime] = None,
        where: Where = None,
        weights: Optional[RecallWeights] = None,
        touch: Optional[bool] = None,
        now: Optional[datetime] = None,
        candidates: Optional[int] = None,
        exact: Optional[bool] = None,
        mode: Optional[str] = None,
        text: Optional[str] = None,
        graph: Optional[Graph] = None,
        graph_facts: Optional[int] = None,
    ) -> RecallResult:
        """The ``k`` best memories, best first (see the module docs for the score).

        Args:
            query: a text (embedded with the embedder's ``embed_query`` when the store has an
                embedder and the mode is not ``"text"``, and matched by its words unless the mode
                is ``"vector"``), a vector, or ``None`` to rank by strength (recency and
                importance) alone.
            k: how many (1 … 100000; ``None``: the engine's default, {DEFAULT_RECALL_K}).
            agent_id, session_id: only this agent's / session's memories.
            kinds: a kind or a list of kinds.
            since, until: created at or after ``since`` and before ``until``.
            where: a filter on metadata and fields, as for collections (SQL or dict).
            weights: the score's :class:`RecallWeights` (``None``: the engine's defaults, those of
                ``RecallWeights()``).
            touch: update the access statistics of the memories returned (``None``: the
                engine's default, ``{DEFAULT_RECALL_TOUCH}``).
            now: the time recency is measured at (default: now); also the new ``last_accessed``.
            candidates: above ``max(4096, 4Mi / dim)`` matching memories, how many nearest
                ones are re-scored (default ``max(10·k, 100)``).
            exact: score every matching memory however many there are (``None``: the engine's
                default, ``{DEFAULT_RECALL_EXACT}``).
            mode: ``"vector"``, ``"text"`` or ``"hybrid"`` (see :data:`SEARCH_MODES`; ``None``:
                hybrid when there are a query vector, a query text and stored texts, text with
                only a text, vector with only a vector).
            text: the query text when ``query`` is a vector (for text and hybrid recall).
            graph: a :class:`~agentdb.graph.Graph` (``db.graph(name)``): also return, in the
                result's ``facts``, its facts about the entities the query text names (by name or
                alias, whole words, any case), valid at ``now`` — "graph recall". The graph is
                passed rather than implied because which graph holds an agent's facts is the
                application's choice. Needs a query text.
            graph_facts: at most this many facts (``None``: ``agentdb.graph.DEFAULT_FACTS_LIMIT``).

        Returns:
            a :class:`RecallResult`: the list of hits, with ``facts`` (empty without ``graph``).

        Raises:
            InvalidArgumentError: a mode without what it needs (``"text"`` without a text,
                ``"vector"`` or ``"hybrid"`` without a vector or an embedder), an unknown mode.
        """
        if mode is not None:
            require("mode", mode, (str,), "'vector', 'text' or 'hybrid'")
        if text is not None:
            require("text", text, (str,), "a str")
        if isinstance(query, str):
            if text is not None:
                raise InvalidArgumentError("give the query text once: as query or as text")
            text = query
            query = None
            if mode != "text" and (self._embedder is not None or mode in ("vector", "hybrid")):
                emb = self._need_embedder("a text query")
                vec = emb.embed_query(text)
                if vec.shape[0] != self.dim:
                    raise DimensionMismatchError(
                        f"the embedder gives {vec.shape[0]}-d vectors, the memory store has dimension {self.dim}"
                    )
                query = vec
            if mode == "vector":
                text = None
        args: Dict[str, Any] = dict(
            agent_id=agent_id,
            session_id=session_id,
            kinds=_kinds(kinds),
            since=since,
            until=until,
            filter=where,
            weights=_weights(weights),
            touch=touch,
            now=now,
            candidates=candidates,
            exact=exact,
            text=text,
            mode=mode,
        )
        facts: List[Fact] = []
        if graph is not None or graph_facts is not None:
            if not isinstance(graph, Graph):
                raise InvalidArgumentError(f"graph must be an agentdb Graph (db.graph(name)), got {type(graph).__name__}")
            raw, raw_facts = self._native.recall_with_graph(graph._native, query, k, graph_facts=graph_facts, **args)
            facts = [Fact._from(t) for t in raw_facts]
        else:
            raw = self._native.recall(query, k, **args)
        hits = [MemoryHit(_record(rec), score, sim, recency, ts) for rec, score, sim, recency, ts in raw]
        return RecallResult(hits, facts)

    def get(self, ids: Union[Sequence[str], str]) -> List[MemoryRecord]:
        """The memories with these ids (in that order; ids not found are left out), with their
        vectors."""
        if isinstance(ids, str):
            ids = [ids]
        return [_record(t) for t in self._native.get(ids)]

    def count(
        self,
        *,
        agent_id: Optional[str] = None,
        session_id: Optional[str] = None,
        kinds: Kinds = None,
        since: Optional[datetime] = None,
        until: Optional[datetime] = None,
        where: Where = None,
    ) -> int:
        """How many memories match (all without arguments)."""
        return self._native.count(
            agent_id=agent_id, session_id=session_id, kinds=_kinds(kinds), since=since, until=until, filter=where
        )

    # -- forgetting and consolidation -----------------------------------------------------

    def consolidate(
        self,
        *,
        agent_id: Optional[str] = None,
        min_score: Optional[float] = None,
        capacity: Optional[int] = None,
        dedup_threshold: Optional[float] = None,
        weights: Optional[RecallWeights] = None,
        now: Optional[datetime] = None,
    ) -> ConsolidationReport:
        """Forgets and merges, agent by agent; each step runs only when its argument is given,
        in this order:

        1. **de-duplication** (``dedup_threshold`` in [0, 1]): memories of the same agent with
           similarity ≥ the threshold are merged into the strongest of them (highest strength,
           then oldest, then id), which keeps its text and metadata and takes the highest
           importance, the latest access, the earliest creation and the sum of access counts;
        2. **decay** (``min_score``): memories whose strength ``w_rec · recency + w_imp ·
           importance`` is below ``min_score`` are deleted;
        3. **capacity** (``capacity``): each agent keeps at most that many memories; the weakest
           go first (lowest strength, then least recently accessed, then id).

        ``weights`` and ``now`` define strength as for :meth:`recall`. Returns what was removed.
        """
        return _report(
            self._native.consolidate(
                agent_id=agent_id,
                min_score=min_score,
                capacity=capacity,
                dedup_threshold=dedup_threshold,
                weights=_weights(weights),
                now=now,
            )
        )

    def start_background(
        self,
        every: Union[float, timedelta],
        *,
        agent_id: Optional[str] = None,
        min_score: Optional[float] = None,
        capacity: Optional[int] = None,
        dedup_threshold: Optional[float] = None,
        weights: Optional[RecallWeights] = None,
    ) -> None:
        """Runs :meth:`consolidate` with these settings every ``every`` seconds on an engine
        thread (and writes pending access statistics each time), until :meth:`stop_background`
        or the database closes. Replaces a schedule already running."""
        seconds = as_seconds("every", every)
        self._native.start_background(
            seconds,
            agent_id=agent_id,
            min_score=min_score,
            capacity=capacity,
            dedup_threshold=dedup_threshold,
            weights=_weights(weights),
        )

    def stop_background(self) -> None:
        """Stops the background consolidation (waits for a run in progress)."""
        self._native.stop_background()

    @property
    def background_running(self) -> bool:
        return self._native.background_running

    def last_background_run(self) -> Optional[ConsolidationReport]:
        """The report of the last background run (``None`` before the first); raises the error
        of that run if it failed."""
        raw = self._native.last_background_run()
        return None if raw is None else _report(raw)

    def flush(self) -> None:
        """Writes the pending access statistics now (one upsert)."""
        self._native.flush()

    def stats(self) -> MemoryStats:
        """The memories held, the store's collection (rows, bytes, index, mirror) and its
        background consolidation. Cheap: no row is read. See :class:`agentdb.ops.MemoryStats`."""
        return cast("MemoryStats", _native.memory_stats(self._native))


def open_memory(
    db_native: Any,
    name: str,
    *,
    embedder: Any = None,
    dim: Optional[int] = None,
    metric: Optional[str] = None,
) -> Memory:
    """Implementation of :meth:`agentdb.Database.memory`."""
    if isinstance(embedder, str):
        if embedder != "default":
            raise InvalidArgumentError(f"embedder must be a callable, None or 'default', got {embedder!r}")
        from .embed import default_embedder

        embedder = default_embedder()
    emb = None if embedder is None else as_embedder(embedder)
    if emb is not None:
        edim = emb.dim
        if dim is not None and dim != edim:
            raise DimensionMismatchError(f"dim={dim} but the embedder gives {edim}-d vectors")
        dim = edim
    return Memory(_native.open_memory(db_native, name, dim, metric), emb)
