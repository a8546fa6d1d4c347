"""OpenAI Agents SDK (``openai-agents``): a conversation ``Session`` on AgentDB's agent state.

Quick start::

    import agentdb
    from agents import Agent, Runner
    from agentdb.integrations.openai_agents import AgentDBSession

    db = agentdb.connect("./agent-db")
    session = AgentDBSession("conversation-42", db)
    result = await Runner.run(Agent(name="helper"), "Hello", session=session)

The conversation lives in AgentDB state under ``(agent_id, session_id)``: one state key per item
(``item.000000000001`` …), so an append writes only the new items (one atomic ``put_many``: a
crash keeps all of a turn's items or none), ``pop_item`` tombstones one key, and the order is the
key order. It survives closing and reopening the database. The ``(agent_id, session_id)`` state
session belongs to this ``Session``: :meth:`AgentDBSession.clear_session` purges it whole.

The SDK's methods are async; each runs its state calls on AgentDB's worker pool
(:func:`agentdb.aio.run`; the engine releases the GIL), never on the event loop. Appends and pops
of one ``AgentDBSession`` object are serialised; two objects (or processes) writing the same
conversation at once may interleave their item numbers.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Mapping, Optional

from agents.memory.session import SessionABC
from agents.memory.session_settings import SessionSettings, resolve_session_limit

from .. import aio as _aio
from ..errors import InvalidArgumentError, InvalidArgumentTypeError

__all__ = ["AgentDBSession"]

_PREFIX = "item."
_WIDTH = 12


def _key(n: int) -> str:
    return f"{_PREFIX}{n:0{_WIDTH}d}"


def _state_of(db: Any) -> Any:
    # A Database or its .state API; the put_many/snapshot pair is what this module uses.
    if hasattr(db, "put_many") and hasattr(db, "snapshot"):
        return db
    state = getattr(db, "state", None)
    if not (hasattr(state, "put_many") and hasattr(state, "snapshot")):
        raise InvalidArgumentTypeError(f"expected an agentdb.Database or its .state, got {type(db).__name__}")
    return state


class AgentDBSession(SessionABC):
    """An OpenAI Agents SDK ``Session`` whose items are stored in AgentDB state.

    Args:
        session_id: the conversation's id (the state ``session_id``).
        db: an open :class:`agentdb.Database`, or its ``state`` API.
        agent_id: the state ``agent_id`` the conversation is kept under.
        session_settings: the SDK's settings (``limit``: the default for :meth:`get_items`).

    Raises:
        InvalidArgumentTypeError: ``db`` is neither a Database nor its state.
        InvalidArgumentError: an empty ``session_id`` or ``agent_id``.
    """

    def __init__(
        self,
        session_id: str,
        db: Any,
        *,
        agent_id: str = "openai-agents",
        session_settings: Optional[SessionSettings] = None,
    ) -> None:
        for name, value in (("session_id", session_id), ("agent_id", agent_id)):
            if not isinstance(value, str):
                raise InvalidArgumentTypeError(f"{name} must be a str, got {type(value).__name__}")
            if not value:
                raise InvalidArgumentError(f"{name} must not be empty")
        self.session_id = session_id
        self.agent_id = agent_id
        self.session_settings = session_settings if session_settings is not None else SessionSettings()
        self._state = _state_of(db)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AgentDBSession(session_id={self.session_id!r}, agent_id={self.agent_id!r})"

    # -- sync halves (run on the worker pool) ------------------------------------------------------

    def _items(self) -> List[Any]:
        snap = self._state.snapshot(self.agent_id, self.session_id)
        return [snap[k] for k in sorted(k for k in snap if k.startswith(_PREFIX))]

    def _last_number(self) -> int:
        keys = [k for k in self._state.keys(self.agent_id, self.session_id) if k.startswith(_PREFIX)]
        return int(keys[-1][len(_PREFIX):]) if keys else 0

    def _add(self, items: List[Dict[str, Any]]) -> None:
        with self._lock:
            first = self._last_number() + 1
            self._state.put_many(self.agent_id, self.session_id,
                                 {_key(first + i): item for i, item in enumerate(items)})

    def _pop(self) -> Optional[Any]:
        with self._lock:
            n = self._last_number()
            if n == 0:
                return None
            item = self._state.get(self.agent_id, self.session_id, _key(n))
            self._state.delete(self.agent_id, self.session_id, _key(n))
            return item

    # -- the SDK's Session protocol ----------------------------------------------------------------

    async def get_items(self, limit: Optional[int] = None) -> List[Any]:
        """The conversation's items in order: the latest ``limit`` of them (default:
        ``session_settings.limit``; ``None``: all).

        Raises:
            InvalidArgumentTypeError: ``limit`` is not an int.
            InvalidArgumentError: ``limit`` is negative.
        """
        n = resolve_session_limit(limit, self.session_settings)
        if n is not None:
            if isinstance(n, bool) or not isinstance(n, int):
                raise InvalidArgumentTypeError(f"limit must be an int or None, got {type(n).__name__}")
            if n < 0:
                raise InvalidArgumentError(f"limit must be >= 0, got {n}")
        items = await _aio.run(self._items)
        if n is None:
            return items
        return items[len(items) - n:] if n else []

    async def add_items(self, items: List[Any]) -> None:
        """Appends ``items`` (the SDK's input items: JSON objects) as one atomic write.

        Raises:
            InvalidArgumentTypeError: ``items`` is not a list of mappings.
            InvalidArgumentError: an item is not JSON-serialisable (nothing is written).
            ReadOnlyError: the database is open read-only.
        """
        if not isinstance(items, (list, tuple)):
            raise InvalidArgumentTypeError(f"items must be a list of items, got {type(items).__name__}")
        bad = [type(i).__name__ for i in items if not isinstance(i, Mapping)]
        if bad:
            raise InvalidArgumentTypeError(f"every item must be a dict, got {bad[0]}")
        if not items:
            return
        await _aio.run(self._add, [dict(i) for i in items])

    async def pop_item(self) -> Optional[Any]:
        """Removes and returns the latest item (``None`` if the conversation is empty)."""
        return await _aio.run(self._pop)

    async def clear_session(self) -> None:
        """Removes the whole conversation for good (purges its state session, history too)."""
        await _aio.run(self._state.purge, self.agent_id, self.session_id)
