"""Agent state: versioned JSON values per (agent, session, key), and LangGraph-shaped checkpoints.

Reach it through :attr:`agentdb.Database.state`::

    with agentdb.open("./db") as db:
        st = db.state
        st.put("agent-1", "thread-7", "plan", {"step": 1})      # -> 1 (the version)
        st.put("agent-1", "thread-7", "plan", {"step": 2})      # -> 2
        st.get("agent-1", "thread-7", "plan")                   # {'step': 2}
        st.get("agent-1", "thread-7", "plan", version=1)        # {'step': 1}
        st.history("agent-1", "thread-7", "plan")               # [StateVersion(2, ...), StateVersion(1, ...)]
        st.snapshot("agent-1", "thread-7", at=some_datetime)    # the whole session back then

**Versions.** Every write makes a new version (1, 2, …); nothing is overwritten. :meth:`State.delete`
writes a tombstone version, which the history keeps; :meth:`State.purge` removes a session for good.
Values are anything JSON can hold (``None``, ``bool``, ``int``, ``float``, ``str``, lists/tuples and
dicts with ``str`` keys); anything else — a ``datetime``, a set, NaN or ±infinity, an integer
outside ``-2**63 … 2**64-1``, a value nested more than :data:`agentdb.MAX_VALUE_DEPTH` (100) levels
deep or one that contains itself — raises :class:`~agentdb.errors.InvalidArgumentError`. Tuples
come back as lists.

**Exact values.** A value reads back exactly as written, from memory, the log or Lance: every
``float`` bit for bit (subnormals, ``-0.0`` with its sign; stored in the shortest decimal form that
parses back to the same double, and parsed exactly), every ``int`` in that range as the same
``int``.

**Time.** Each write gets its own ``written_at`` instant (UTC, microseconds, strictly increasing),
so ``get(..., at=v.written_at)`` reads exactly version ``v``. A naive ``datetime`` is taken as UTC.

**TTL.** ``put(..., ttl=seconds)`` makes that version expire after ``ttl``; a session TTL
(:meth:`State.set_session_ttl`) expires the whole session ``ttl`` after its last write. An expired
key, or every key of an expired session, is gone *with its history*, as if purged: reads no longer
see it (also at past times), a background sweep removes it from disk within about a second, and
writing it again starts over at version 1. TTL is enforced on every read, swept or not.

**Durability and threads.** A write is in the database's write-ahead log when it returns (per the
database's ``sync`` mode) and survives a crash; it reaches the Lance tables in the background.
Reads are served from memory and never see half of a batch (:meth:`State.put_many`,
:meth:`State.put_writes`).

**Checkpoints** (for LangGraph's checkpointer, :mod:`agentdb.integrations`): opaque ``bytes`` plus
a serializer type tag, JSON metadata and a parent id, per (thread, namespace, checkpoint id).
Checkpoint ids sort by time (LangGraph uses uuid6), so "latest" is the greatest id.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union, cast

from . import _native
from ._args import as_list, engine_defaults
from .errors import InvalidArgumentTypeError
from .ops import StoreStats

__all__ = ["State", "StateVersion", "Checkpoint", "PendingWrite", "TTL"]

#: A TTL: seconds (``int`` / ``float``) or a ``timedelta``.
TTL = Union[int, float, _dt.timedelta]


@dataclass(frozen=True)
class StateVersion:
    """One version of a key."""

    version: int
    #: The value (``None`` for a tombstone; check :attr:`deleted`).
    value: Any
    #: When it was written (timezone-aware, UTC).
    written_at: _dt.datetime
    #: Whether this version is a tombstone (a delete).
    deleted: bool
    #: When this version expires (its TTL), or ``None``.
    expires_at: Optional[_dt.datetime] = None


@dataclass(frozen=True)
class Checkpoint:
    """A stored checkpoint."""

    thread_id: str
    namespace: str
    checkpoint_id: str
    parent_id: Optional[str]
    #: The serializer's type tag of :attr:`checkpoint`.
    type: str
    #: The payload, exactly as given to :meth:`State.put_checkpoint`.
    checkpoint: bytes
    metadata: Dict[str, Any] = field(default_factory=dict)
    #: When it was stored (timezone-aware, UTC).
    created_at: Optional[_dt.datetime] = None


@dataclass(frozen=True)
class PendingWrite:
    """A pending write of a task, stored against a checkpoint."""

    task_id: str
    #: Position in the task's writes; negative for LangGraph's special channels.
    idx: int
    channel: str
    #: The serializer's type tag of :attr:`value`.
    type: str
    value: bytes
    task_path: str = ""


def _version(t: Tuple[Any, ...]) -> StateVersion:
    return StateVersion(*t)


def _checkpoint(t: Tuple[Any, ...]) -> Checkpoint:
    return Checkpoint(*t)


class State:
    """The agent state of one database (``db.state``). Thread-safe; cheap to keep around. It
    keeps its database open (``agentdb.connect(p).state`` is usable on its own); after
    :meth:`~agentdb.Database.close` every call raises :class:`~agentdb.errors.ClosedError`.

    Agent, session and key names are non-empty strings of at most 4096 bytes.
    """

    __slots__ = ("_native",)

    def __init__(self, native: "_native.State") -> None:
        self._native = native

    def __repr__(self) -> str:
        return "State()"

    # ----------------------------------------------------------------------------------------
    # Key/value state
    # ----------------------------------------------------------------------------------------

    def put(self, agent_id: str, session_id: str, key: str, value: Any, *, ttl: Optional[TTL] = None) -> int:
        """Writes a new version of ``key`` and returns its number (1 for a new key).

        Args:
            value: a JSON-serialisable value.
            ttl: this version expires after ``ttl`` seconds (or a ``timedelta``).

        Raises:
            InvalidArgumentError: ``value`` is not JSON-serialisable, a name is empty or too long,
                ``ttl`` is not positive.
            ReadOnlyError: the database is open read-only.
        """
        return self._native.put(agent_id, session_id, key, value, ttl)

    def put_many(
        self, agent_id: str, session_id: str, values: Mapping[str, Any], *, ttl: Optional[TTL] = None
    ) -> Dict[str, int]:
        """Writes several keys of one session as one atomic batch: a concurrent reader (and a
        crash) sees all of them or none. Returns each key's new version.

        Raises:
            InvalidArgumentTypeError: ``values`` is not a mapping (a dict of key -> value).
            InvalidArgumentError: as for :meth:`put`, for any of the values (nothing is written).
        """
        if not isinstance(values, Mapping):
            raise InvalidArgumentTypeError(f"values must be a dict of key -> value, got {type(values).__name__}")
        items = dict(values)
        versions = self._native.put_many(agent_id, session_id, items, ttl)
        return dict(zip(items.keys(), versions))

    def get(
        self,
        agent_id: str,
        session_id: str,
        key: str,
        *,
        version: Optional[int] = None,
        at: Optional[_dt.datetime] = None,
        default: Any = None,
    ) -> Any:
        """The current value of ``key``, or the value of ``version``, or the value in force at
        time ``at``; ``default`` if there is none (never written, deleted, expired, or not yet
        written at ``at``).

        Raises:
            InvalidArgumentError: both ``version`` and ``at`` are given, or ``version < 1``.
        """
        found = self._native.get(agent_id, session_id, key, version, at)
        if found is None or found[3]:
            return default
        return found[1]

    def get_version(
        self,
        agent_id: str,
        session_id: str,
        key: str,
        *,
        version: Optional[int] = None,
        at: Optional[_dt.datetime] = None,
    ) -> Optional[StateVersion]:
        """Like :meth:`get`, but returns the whole :class:`StateVersion` (a tombstone too, for the
        current version or an explicit ``version``), or ``None``."""
        found = self._native.get(agent_id, session_id, key, version, at)
        return None if found is None else _version(found)

    @engine_defaults
    def history(
        self, agent_id: str, session_id: str, key: str, *, limit: Optional[int] = None, offset: int = 0
    ) -> List[StateVersion]:
        """The versions of ``key``, newest first, tombstones included: at most ``limit``
        (``None``: the engine's default, {DEFAULT_HISTORY_LIMIT}) after skipping ``offset``.
        Empty for a key that never existed or expired."""
        return [_version(t) for t in self._native.history(agent_id, session_id, key, limit, offset)]

    def delete(self, agent_id: str, session_id: str, key: str) -> int:
        """Deletes ``key`` by writing a tombstone version (the history keeps it). Returns the
        tombstone's version, or 0 if the key had no value (then nothing is written)."""
        return self._native.delete(agent_id, session_id, key)

    def snapshot(self, agent_id: str, session_id: str, *, at: Optional[_dt.datetime] = None) -> Dict[str, Any]:
        """Every key of the session with its value, now or as it was at time ``at``. Deleted and
        expired keys are left out."""
        return self._native.snapshot(agent_id, session_id, at)

    def keys(self, agent_id: str, session_id: str, *, at: Optional[_dt.datetime] = None) -> List[str]:
        """The keys :meth:`snapshot` would return, sorted."""
        return self._native.keys(agent_id, session_id, at)

    def sessions(self, agent_id: str) -> List[str]:
        """The agent's sessions that hold anything and have not expired, sorted."""
        return self._native.sessions(agent_id)

    def purge(self, agent_id: str, session_id: Optional[str] = None) -> int:
        """Removes a session — or with ``session_id=None`` every session of the agent — for good:
        all versions of all keys and the session's TTL. Returns how many versions were removed."""
        return self._native.purge(agent_id, session_id)

    def set_session_ttl(self, agent_id: str, session_id: str, ttl: Optional[TTL]) -> None:
        """Makes the session expire ``ttl`` after its last write (``None`` removes the TTL).
        Setting it counts as a write."""
        self._native.set_session_ttl(agent_id, session_id, ttl)

    def session_ttl(self, agent_id: str, session_id: str) -> Optional[float]:
        """The session's TTL in seconds, or ``None``."""
        return self._native.session_ttl(agent_id, session_id)

    def sweep(self) -> int:
        """Removes expired keys and sessions from disk now (a background sweep does it every
        second). Returns how many versions were removed."""
        return self._native.sweep()

    def flush(self) -> None:
        """Writes buffered state to the Lance tables now (the database does it in the
        background; writes are durable in the log before that)."""
        self._native.flush()

    def stats(self) -> List[StoreStats]:
        """The agent state's Lance tables (values, checkpoints, pending writes): rows,
        fragments, versions, bytes on disk. See :class:`agentdb.ops.StoreStats`."""
        return cast("List[StoreStats]", _native.state_stats(self._native))

    # ----------------------------------------------------------------------------------------
    # Checkpoints
    # ----------------------------------------------------------------------------------------

    def put_checkpoint(
        self,
        thread_id: str,
        checkpoint_id: str,
        checkpoint: bytes,
        *,
        namespace: str = "",
        parent_id: Optional[str] = None,
        metadata: Optional[Dict[str, Any]] = None,
        type: str = "",
    ) -> None:
        """Stores a checkpoint, replacing one with the same (thread, namespace, id).

        Args:
            checkpoint: the payload (``bytes``, ``bytearray`` or ``memoryview``), stored as is.
            parent_id: the checkpoint this one follows; branches share a parent.
            metadata: a JSON-serialisable dict (filterable in :meth:`list_checkpoints`).
            type: the serializer's type tag for ``checkpoint``.
        """
        self._native.put_checkpoint(thread_id, namespace, checkpoint_id, checkpoint, parent_id, metadata, type)

    def get_checkpoint(
        self, thread_id: str, *, namespace: str = "", checkpoint_id: Optional[str] = None
    ) -> Optional[Checkpoint]:
        """The checkpoint ``checkpoint_id``, or with ``None`` the thread's latest (greatest id) in
        ``namespace``; ``None`` if there is none."""
        found = self._native.get_checkpoint(thread_id, namespace, checkpoint_id)
        return None if found is None else _checkpoint(found)

    def list_checkpoints(
        self,
        thread_id: Optional[str] = None,
        *,
        namespace: Optional[str] = None,
        before: Optional[str] = None,
        limit: Optional[int] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> List[Checkpoint]:
        """Checkpoints, newest (greatest id) first.

        Args:
            thread_id: only this thread (``None``: every thread).
            namespace: only this namespace (``None``: every namespace).
            before: only checkpoints whose id sorts before this one.
            limit: at most this many.
            metadata: only checkpoints whose metadata has each of these keys with an equal value.
        """
        found = self._native.list_checkpoints(thread_id, namespace, before, limit, metadata)
        return [_checkpoint(t) for t in found]

    def put_writes(
        self,
        thread_id: str,
        namespace: str,
        checkpoint_id: str,
        task_id: str,
        writes: Sequence[Tuple[int, str, str, bytes]],
        task_path: str = "",
    ) -> None:
        """Stores a task's pending writes against a checkpoint, atomically. Each write is
        ``(idx, channel, type, value)``. LangGraph's rules: a write whose ``(task_id, idx)`` is
        already stored is ignored when ``idx >= 0`` and replaces the stored one when ``idx < 0``
        (errors, interrupts and the other special channels)."""
        writes = as_list("writes", writes, "a sequence of (idx, channel, type, value) tuples")
        self._native.put_writes(thread_id, namespace, checkpoint_id, task_id, writes, task_path)

    def get_writes(self, thread_id: str, namespace: str, checkpoint_id: str) -> List[PendingWrite]:
        """The pending writes of a checkpoint, ordered by (task_path, task_id, idx)."""
        return [PendingWrite(*t) for t in self._native.get_writes(thread_id, namespace, checkpoint_id)]

    def delete_thread(self, thread_id: str) -> None:
        """Removes every checkpoint and pending write of a thread (all namespaces)."""
        self._native.delete_thread(thread_id)
