"""Temporal knowledge graphs: entities and the facts between them, with valid time and
transaction time.

Open a graph with :meth:`agentdb.Database.graph` (one per agent or namespace)::

    from datetime import datetime, timezone
    g = db.graph("agent-1")
    g.add_entity("alice", "Alice", type="person", aliases=["Ali"])
    g.add_entity("paris", "Paris", type="city")
    g.add_entity("rome", "Rome", type="city")
    g.declare_predicate("lives_in", single_valued=True)
    g.add_fact("alice", "lives_in", entity="paris", valid_from=datetime(2020, 1, 1), sources=["mem-1"])
    g.add_fact("alice", "lives_in", entity="rome", valid_from=datetime(2024, 6, 1), sources=["mem-9"])
    g.facts("alice")                                  # now: Rome
    g.facts("alice", as_of=datetime(2022, 1, 1))      # then: Paris (its validity was closed, not deleted)
    g.facts_for_text("Where does ali live?")          # the facts of the entities a text names

**Model.** An entity has an id, a name, a type, aliases, an optional embedding (of the dimension
fixed when the graph is created) and JSON metadata; adding one with an existing id replaces it.
A fact says ``subject predicate object`` (the object an entity or a literal string) and is
*valid* in the world from ``valid_from`` (inclusive) to ``valid_to`` (exclusive; ``None``: still
true); it was *recorded* at ``recorded_at``. Facts are never overwritten: a contradiction on a
single-valued predicate, :meth:`Graph.invalidate` and :meth:`Graph.correct` record a new version
of the fact and keep the old one (superseded at the new one's ``recorded_at``). So every read
answers "what did we believe at ``known_at`` (default: the latest) about what was true at
``as_of`` (default: now)", or over an interval with ``during=(start, end)``.

A new fact on a single-valued predicate closes the facts it contradicts (same subject and
predicate, another object, overlapping validity): one that began earlier ends where the new one
begins, one that begins at the same time becomes empty, and one that begins later closes the new
fact at its start. Corrections do not close anything.

**Storage**: every write is one record of the database's write-ahead log (durable when the call
returns) and reaches the hidden Lance table ``_agentdb_graph`` with the next flush; the graph is
held in memory and rebuilt on open. Times are timezone-aware UTC datetimes (a naive one is taken
as UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from .errors import InvalidArgumentError

__all__ = ["Graph", "Entity", "Fact", "EntityHit", "Neighbor", "DIRECTIONS"]

#: Which way traversals follow facts: ``"out"`` (subject to object), ``"in"``, ``"both"``.
DIRECTIONS: Tuple[str, ...] = ("out", "in", "both")
#: The engine's defaults and limits.
DEFAULT_FACTS_LIMIT: int = _native.GRAPH_DEFAULT_FACTS_LIMIT
DEFAULT_ENTITY_K: int = _native.GRAPH_DEFAULT_ENTITY_K
MAX_HOPS: int = _native.GRAPH_MAX_HOPS

During = Optional[Tuple[datetime, Optional[datetime]]]


@dataclass(frozen=True)
class Entity:
    """An entity as stored (its latest version)."""

    id: str
    name: str
    type: Optional[str]
    aliases: List[str]
    embedding: Optional[np.ndarray]
    metadata: Dict[str, Any]
    recorded_at: datetime

    @classmethod
    def _from(cls, t: Tuple[Any, ...]) -> "Entity":
        return cls(t[0], t[1], t[2], list(t[3]), t[4], dict(t[5]), t[6])


@dataclass(frozen=True)
class Fact:
    """One version of a fact.

    Attributes:
        object: an entity id when ``object_is_entity``, else the literal.
        valid_from, valid_to: its validity in the world, ``[valid_from, valid_to)``.
        recorded_at, superseded_at: when this version was recorded, and when a later one
            replaced it (``None``: it is the current one).
        sources: the ids of the memories it was taken from.
    """

    id: str
    version: int
    subject: str
    predicate: str
    object: str
    object_is_entity: bool
    valid_from: datetime
    valid_to: Optional[datetime]
    recorded_at: datetime
    superseded_at: Optional[datetime]
    sources: List[str] = field(default_factory=list)
    confidence: float = 1.0

    @classmethod
    def _from(cls, t: Tuple[Any, ...]) -> "Fact":
        return cls(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], list(t[10]), t[11])


@dataclass(frozen=True)
class EntityHit:
    """An entity found by :meth:`Graph.search_entities`, with its score."""

    entity: Entity
    score: float


@dataclass(frozen=True)
class Neighbor:
    """An entity reached by :meth:`Graph.neighbors`, ``hops`` facts away."""

    entity_id: str
    hops: int


def _strings(v: Optional[Iterable[str]], what: str) -> List[str]:
    if v is None:
        return []
    if isinstance(v, str):
        raise InvalidArgumentError(f"{what} must be a list of str, not a str")
    return list(v)


def _object(entity: Optional[str], literal: Optional[str]) -> Tuple[str, bool]:
    if (entity is None) == (literal is None):
        raise InvalidArgumentError("give the fact's object as entity= or as literal= (exactly one)")
    return (entity, True) if entity is not None else (literal, False)  # type: ignore[return-value]


class Graph:
    """A knowledge graph (``db.graph(name)``). Thread-safe; it keeps its database open.

    Ids, names, aliases, types, predicates, literals and source ids are non-empty strings of at
    most 4096 bytes. Unknown entities or facts and malformed arguments raise
    :class:`~agentdb.errors.InvalidArgumentError`.
    """

    __slots__ = ("_native",)

    def __init__(self, native: "_native.Graph") -> None:
        self._native = native

    def __repr__(self) -> str:
        return f"Graph({self.name!r})"

    @property
    def name(self) -> str:
        """The graph's name."""
        return self._native.name

    @property
    def dim(self) -> Optional[int]:
        """The embedding dimension (``None``: entities have no embeddings)."""
        return self._native.dim

    # ----------------------------------------------------------------------------------------
    # Writes
    # ----------------------------------------------------------------------------------------

    def add_entity(
        self,
        id: Optional[str],
        name: str,
        *,
        type: Optional[str] = None,
        aliases: Optional[Sequence[str]] = None,
        embedding: Any = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> str:
        """Adds an entity (or replaces the one with this id) and returns its id (a new one when
        ``id`` is ``None``).

        Raises:
            DimensionMismatchError: the embedding's length is not the graph's dimension, or the
                graph has no embeddings.
            InvalidVectorError: the embedding holds NaN or infinity.
            InvalidMetadataError: metadata is not a JSON object.
        """
        return self.add_entities([{"id": id, "name": name, "type": type, "aliases": aliases, "embedding": embedding, "metadata": metadata}])[0]

    def add_entities(self, entities: Sequence[Mapping[str, Any]]) -> List[str]:
        """Adds several entities in one write (all or none): mappings with ``name`` and
        optionally ``id``, ``type``, ``aliases``, ``embedding``, ``metadata``. Returns their ids.

        Raises:
            DuplicateIdError: an id repeats within the batch.
        """
        items = []
        for e in entities:
            if not isinstance(e, Mapping):
                raise InvalidArgumentError("each entity must be a mapping with at least 'name'")
            unknown = set(e) - {"id", "name", "type", "aliases", "embedding", "metadata"}
            if unknown:
                raise InvalidArgumentError(f"unknown entity field(s): {sorted(unknown)}")
            if "name" not in e:
                raise InvalidArgumentError("an entity needs a name")
            items.append((e.get("id"), e["name"], e.get("type"), _strings(e.get("aliases"), "aliases"), e.get("embedding"), e.get("metadata")))
        return self._native.add_entities(items)

    def declare_predicate(self, predicate: str, *, single_valued: bool = True) -> None:
        """Declares whether ``predicate`` has at most one object per subject at a time. Applies to
        facts added from now on."""
        self._native.declare_predicate(predicate, single_valued)

    def predicates(self) -> Dict[str, bool]:
        """The declared predicates, and whether each is single-valued."""
        return dict(self._native.predicates())

    def add_fact(
        self,
        subject: str,
        predicate: str,
        *,
        entity: Optional[str] = None,
        literal: Optional[str] = None,
        valid_from: Optional[datetime] = None,
        valid_to: Optional[datetime] = None,
        sources: Optional[Sequence[str]] = None,
        confidence: Optional[float] = None,
    ) -> str:
        """Adds a fact and returns its id. The object is another entity (``entity=``) or a literal
        string (``literal=``). ``valid_from`` defaults to the moment it is recorded; ``confidence``
        to 1.

        Raises:
            InvalidArgumentError: an unknown subject or object entity, an empty or inverted
                validity, a confidence outside [0, 1].
        """
        return self.add_facts(
            [{"subject": subject, "predicate": predicate, "entity": entity, "literal": literal, "valid_from": valid_from,
              "valid_to": valid_to, "sources": sources, "confidence": confidence}]
        )[0]

    def add_facts(self, facts: Sequence[Mapping[str, Any]]) -> List[str]:
        """Adds several facts in one write (all or none; a later fact of the batch sees the
        earlier ones): mappings with the arguments of :meth:`add_fact`. Returns their ids."""
        items = []
        allowed = {"subject", "predicate", "entity", "literal", "valid_from", "valid_to", "sources", "confidence"}
        for f in facts:
            if not isinstance(f, Mapping):
                raise InvalidArgumentError("each fact must be a mapping with subject, predicate and entity or literal")
            unknown = set(f) - allowed
            if unknown:
                raise InvalidArgumentError(f"unknown fact field(s): {sorted(unknown)}")
            if "subject" not in f or "predicate" not in f:
                raise InvalidArgumentError("a fact needs a subject and a predicate")
            obj, is_entity = _object(f.get("entity"), f.get("literal"))
            items.append((f["subject"], f["predicate"], obj, is_entity, f.get("valid_from"), f.get("valid_to"),
                          _strings(f.get("sources"), "sources"), f.get("confidence")))
        return self._native.add_facts(items)

    def invalidate(self, fact_id: str, at: Optional[datetime] = None) -> Fact:
        """Ends a fact's validity at ``at`` (default: now) as a new version; the old version stays
        in its history. Returns the new version.

        Raises:
            InvalidArgumentError: no such fact, or ``at`` is outside its current validity.
        """
        return Fact._from(self._native.invalidate(fact_id, at))

    def correct(
        self,
        fact_id: str,
        *,
        entity: Optional[str] = None,
        literal: Optional[str] = None,
        valid_from: Optional[datetime] = None,
        valid_to: Optional[datetime] = None,
        reopen: bool = False,
        sources: Optional[Sequence[str]] = None,
        confidence: Optional[float] = None,
    ) -> Fact:
        """Corrects a fact that was recorded wrong: a new version with the given fields changed
        (``reopen=True`` clears ``valid_to``). Reads known at an earlier time still see the old
        version. Returns the new version."""
        obj: Optional[str] = None
        is_entity: Optional[bool] = None
        if entity is not None or literal is not None:
            obj, is_entity = _object(entity, literal)
        return Fact._from(
            self._native.correct(fact_id, obj, is_entity, valid_from, valid_to, reopen,
                                 None if sources is None else _strings(sources, "sources"), confidence)
        )

    # ----------------------------------------------------------------------------------------
    # Reads
    # ----------------------------------------------------------------------------------------

    def entity(self, entity_id: str) -> Optional[Entity]:
        """The entity with this id, or ``None``."""
        t = self._native.entity(entity_id)
        return None if t is None else Entity._from(t)

    def count(self) -> Tuple[int, int]:
        """``(entities, facts)``: how many the graph holds (each fact once, whatever its versions)."""
        return self._native.counts()

    def fact(self, fact_id: str, *, known_at: Optional[datetime] = None) -> Optional[Fact]:
        """A fact as believed at ``known_at`` (default: its latest version), or ``None``."""
        t = self._native.fact(fact_id, known_at)
        return None if t is None else Fact._from(t)

    def fact_history(self, fact_id: str) -> List[Fact]:
        """Every version of a fact, oldest first (empty: no such fact)."""
        return [Fact._from(t) for t in self._native.fact_history(fact_id)]

    def facts(
        self,
        entity_id: str,
        *,
        as_of: Optional[datetime] = None,
        during: During = None,
        known_at: Optional[datetime] = None,
        predicates: Optional[Sequence[str]] = None,
        direction: str = "both",
    ) -> List[Fact]:
        """The facts about an entity (as subject: ``direction="out"``, as object: ``"in"``, or
        both) valid at ``as_of`` (default: now) or at some time in ``during=(start, end)`` (end
        ``None``: unbounded), as believed at ``known_at``; ordered by ``valid_from``."""
        return [Fact._from(t) for t in self._native.facts(entity_id, as_of, during, known_at, _opt_list(predicates), direction)]

    def neighbors(
        self,
        entity_id: str,
        hops: int = 1,
        *,
        as_of: Optional[datetime] = None,
        during: During = None,
        known_at: Optional[datetime] = None,
        predicates: Optional[Sequence[str]] = None,
        direction: str = "both",
    ) -> List[Neighbor]:
        """The entities within ``hops`` facts of ``entity_id`` (1 to :data:`MAX_HOPS`), following
        the facts between entities that the filters select; nearest first, then by id."""
        rows = self._native.neighbors(entity_id, hops, as_of, during, known_at, _opt_list(predicates), direction)
        return [Neighbor(e, h) for e, h in rows]

    def shortest_path(
        self,
        from_id: str,
        to_id: str,
        *,
        max_hops: Optional[int] = None,
        as_of: Optional[datetime] = None,
        during: During = None,
        known_at: Optional[datetime] = None,
        predicates: Optional[Sequence[str]] = None,
        direction: str = "both",
    ) -> Optional[List[Fact]]:
        """A shortest chain of facts from ``from_id`` to ``to_id`` (at most ``max_hops``, default
        :data:`MAX_HOPS`), or ``None`` when there is none; an entity to itself is ``[]``."""
        rows = self._native.shortest_path(from_id, to_id, max_hops, as_of, during, known_at, _opt_list(predicates), direction)
        return None if rows is None else [Fact._from(t) for t in rows]

    def find_entities(self, name: str) -> List[Entity]:
        """The entities whose name or an alias is ``name``, ignoring case."""
        return [Entity._from(t) for t in self._native.find_entities(name)]

    def search_entities(
        self,
        text: Optional[str] = None,
        *,
        vector: Any = None,
        k: Optional[int] = None,
        type: Optional[str] = None,
    ) -> List[EntityHit]:
        """Entities by text, by embedding, or both, best first (at most ``k``, default
        :data:`DEFAULT_ENTITY_K`), optionally of one type. The text score is 1 for a name or
        alias equal to ``text`` (ignoring case), else 0.9 × the share of its words among the
        entity's name, aliases and type words; the vector score is the cosine similarity; with
        both, their mean."""
        return [EntityHit(Entity._from(e), s) for e, s in self._native.search_entities(text, vector, k, type)]

    def mentioned_entities(self, text: str) -> List[Entity]:
        """The entities ``text`` names (a name or alias as whole words, ignoring case; each CJK
        character counts as a word), in order of first mention."""
        return [Entity._from(t) for t in self._native.mentioned_entities(text)]

    def facts_for_text(self, text: str, *, as_of: Optional[datetime] = None, limit: Optional[int] = None) -> List[Fact]:
        """The facts about the entities ``text`` mentions, valid at ``as_of`` (default: now), at
        most ``limit`` (default :data:`DEFAULT_FACTS_LIMIT`): per entity in order of first mention,
        by confidence then latest validity. Each carries its ``sources`` (memory ids)."""
        return [Fact._from(t) for t in self._native.facts_for_text(text, as_of, limit)]

    def flush(self) -> None:
        """Writes what is buffered to Lance now (the database does this about every second)."""
        self._native.flush()


def _opt_list(v: Optional[Sequence[str]]) -> Optional[List[str]]:
    if v is None:
        return None
    if isinstance(v, str):
        return [v]
    return list(v)
