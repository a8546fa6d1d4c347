"""LangChain chat message history on AgentDB state (``pip install 'agentdb-embedded[langchain]'``).

::

    import agentdb
    from agentdb.integrations.langchain import AgentDBChatMessageHistory

    db = agentdb.connect("./agent-db")
    history = AgentDBChatMessageHistory("thread-7", db=db)
    history.add_user_message("hi")
    history.messages                      # [HumanMessage("hi")], also after a restart
    RunnableWithMessageHistory(chain, lambda sid: AgentDBChatMessageHistory(sid, db=db))

Mapping: one conversation is one key of :attr:`agentdb.Database.state`, ``(agent_id,
session_id, key)`` = ``("langchain", session_id, "messages")`` by default, whose value is the
list of messages in LangChain's dict form (``messages_to_dict``). Every change writes a new
version of that key (:meth:`agentdb.State.put`, durable when it returns), so the state's history
keeps every earlier state of the conversation: :meth:`AgentDBChatMessageHistory.messages_at`
reads one back. :meth:`~AgentDBChatMessageHistory.clear` writes a tombstone (the versions before
it stay readable); ``State.purge`` removes a session for good.

An append reads the list and writes it back longer; appends through one history object (or
several in one process for the same conversation) are serialised by a lock, but two processes
appending to one conversation at the same instant can lose one of the appends (the state has no
compare-and-set yet). Message contents must be JSON-serialisable (LangChain's own messages are).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

try:
    from langchain_core.chat_history import BaseChatMessageHistory
    from langchain_core.messages import BaseMessage, messages_from_dict, messages_to_dict
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "agentdb.integrations.langchain needs langchain-core: pip install 'agentdb-embedded[langchain]'"
    ) from e

from .. import aio as _aio
from .. import errors as _errors
from ..database import Database, PathLike, connect
from ..state import State
from ._conversation import conversation_lock

__all__ = ["AgentDBChatMessageHistory"]

class AgentDBChatMessageHistory(BaseChatMessageHistory):
    """A LangChain chat message history kept in AgentDB state (see the module documentation).

    Args:
        session_id: the conversation (LangChain's session id).
        db: an open :class:`agentdb.Database` (not closed by :meth:`close`). Or:
        path: a database directory to open (closed by :meth:`close`).
        agent_id: the state's agent the conversations belong to.
        key: the state key that holds the messages.

    Raises:
        InvalidArgumentError: neither or both of ``db`` and ``path``; an empty ``session_id``.
    """

    def __init__(
        self,
        session_id: str,
        *,
        db: Optional[Database] = None,
        path: Optional[PathLike] = None,
        agent_id: str = "langchain",
        key: str = "messages",
    ) -> None:
        if (db is None) == (path is None):
            raise _errors.InvalidArgumentError("pass exactly one of db= (an open Database) and path=")
        for name, value in (("session_id", session_id), ("agent_id", agent_id), ("key", key)):
            if not isinstance(value, str) or not value:
                raise _errors.InvalidArgumentError(f"{name} must be a non-empty str, got {value!r}")
        self._owns_db = db is None
        self._db: Database = connect(path) if db is None else db  # type: ignore[arg-type]
        self.session_id = session_id
        self.agent_id = agent_id
        self.key = key
        self._lock = conversation_lock(self._db, agent_id, session_id, key)

    @property
    def state(self) -> State:
        """The AgentDB state the messages live in."""
        return self._db.state

    def close(self) -> None:
        """Closes the database if this history opened it (``path=``)."""
        if self._owns_db:
            self._db.close()

    # -- reads ----------------------------------------------------------------------------------

    def _stored(self, version: Optional[int] = None) -> List[Dict[str, Any]]:
        value = self.state.get(self.agent_id, self.session_id, self.key, version=version, default=[])
        if not isinstance(value, list):
            raise _errors.InvalidArgumentError(
                f"state key {self.key!r} of session {self.session_id!r} holds a {type(value).__name__}, "
                "not a list of messages"
            )
        return value

    @property
    def messages(self) -> List[BaseMessage]:  # type: ignore[override]
        """The conversation's messages, oldest first."""
        return messages_from_dict(self._stored())

    async def aget_messages(self) -> List[BaseMessage]:
        """Async :attr:`messages` (read in a worker thread)."""
        return await _aio.run(lambda: self.messages)

    def messages_at(self, version: int) -> List[BaseMessage]:
        """The messages as they were at ``version`` of the conversation's state key (1 is the
        first write; :meth:`versions` lists them); a cleared version reads as no messages."""
        return messages_from_dict(self._stored(version))

    def versions(self, limit: Optional[int] = None) -> List[int]:
        """The versions of the conversation, newest first (clears included)."""
        return [v.version for v in self.state.history(self.agent_id, self.session_id, self.key, limit=limit)]

    # -- writes ---------------------------------------------------------------------------------

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Appends messages in one write (a reader sees all of them or none).

        Raises:
            InvalidArgumentError: a message whose content is not JSON-serialisable.
        """
        new = messages_to_dict(list(messages))
        if not new:
            return
        with self._lock:
            self.state.put(self.agent_id, self.session_id, self.key, self._stored() + new)

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Async :meth:`add_messages` (runs in a worker thread)."""
        await _aio.run(self.add_messages, messages)

    def clear(self) -> None:
        """Removes every message (a tombstone version; earlier versions stay in the history)."""
        with self._lock:
            self.state.delete(self.agent_id, self.session_id, self.key)

    async def aclear(self) -> None:
        """Async :meth:`clear` (runs in a worker thread)."""
        await _aio.run(self.clear)
