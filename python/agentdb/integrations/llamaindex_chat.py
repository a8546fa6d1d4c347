"""LlamaIndex chat stores on AgentDB state (``pip install 'agentdb-embedded[llamaindex]'``):
:class:`AgentDBChatStore`, a ``BaseChatStore`` (for ``ChatMemoryBuffer`` and the chat engines),
and :class:`AgentDBAsyncChatStore`, an ``AsyncDBChatStore`` (for LlamaIndex's ``Memory``).

::

    import agentdb
    from llama_index.core.memory import ChatMemoryBuffer
    from agentdb.integrations.llamaindex import AgentDBChatStore

    chat_store = AgentDBChatStore(db=agentdb.connect("./agent-db"))
    memory = ChatMemoryBuffer.from_defaults(chat_store=chat_store, chat_store_key="user-1")

Mapping: a chat store key is a session of :attr:`agentdb.Database.state` under the agent
``"llamaindex"`` (``agent_id=``), and its messages are one state key, ``"messages"``
(``state_key=``), holding the list of ``ChatMessage.model_dump(mode="json")`` dicts. Every change
writes a new version of that key, durable when it returns, so the state's history keeps each
earlier state of the conversation (:meth:`AgentDBChatStore.get_messages_at`). The methods behave
as those of LlamaIndex's reference ``SimpleChatStore`` (``add_message`` inserts at ``idx`` when
given; ``delete_messages`` returns what it removed, None for a key without messages;
``delete_message`` of an index past the end returns None), except that where the reference
raises ``IndexError`` (``delete_last_message`` of an empty conversation, ``delete_message`` of
a negative index out of range) this store returns None and changes nothing.

Changes are read-modify-writes of the list, serialised within the process (see
:mod:`agentdb.integrations._conversation`); the async methods run in AgentDB's worker threads
(:func:`agentdb.aio.run`), never on the event loop.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

try:
    from llama_index.core.bridge.pydantic import PrivateAttr
    from llama_index.core.llms import ChatMessage
    from llama_index.core.storage.chat_store.base import BaseChatStore
    from llama_index.core.storage.chat_store.base_db import AsyncDBChatStore, MessageStatus
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "agentdb.integrations.llamaindex needs llama-index-core: pip install 'agentdb-embedded[llamaindex]'"
    ) from e

from .. import aio as _aio
from .. import errors as _errors
from ..database import Database, PathLike, connect
from ..state import State
from ._conversation import conversation_lock

__all__ = ["AgentDBChatStore", "AgentDBAsyncChatStore"]


class AgentDBChatStore(BaseChatStore):
    """A LlamaIndex ``BaseChatStore`` in AgentDB state (see the module documentation).

    Args:
        db: an open :class:`agentdb.Database` (not closed by :meth:`close`). Or:
        path: a database directory to open (closed by :meth:`close`).
        agent_id: the state agent whose sessions are the chat store's keys.
        state_key: the state key that holds each conversation's messages.

    Raises:
        InvalidArgumentError: neither or both of ``db`` and ``path``; an empty name.
    """

    agent_id: str = "llamaindex"
    state_key: str = "messages"

    _db: Database = PrivateAttr()
    _owns_db: bool = PrivateAttr(default=False)

    def __init__(
        self,
        *,
        db: Optional[Database] = None,
        path: Optional[PathLike] = None,
        agent_id: str = "llamaindex",
        state_key: str = "messages",
        **kwargs: Any,
    ) -> None:
        if (db is None) == (path is None):
            raise _errors.InvalidArgumentError("pass exactly one of db= (an open Database) and path=")
        for name, value in (("agent_id", agent_id), ("state_key", state_key)):
            if not isinstance(value, str) or not value:
                raise _errors.InvalidArgumentError(f"{name} must be a non-empty str, got {value!r}")
        super().__init__(agent_id=agent_id, state_key=state_key, **kwargs)  # type: ignore[call-arg]
        self._owns_db = db is None
        self._db = connect(path) if db is None else db  # type: ignore[arg-type]

    @classmethod
    def class_name(cls) -> str:
        return "AgentDBChatStore"

    @property
    def state(self) -> State:
        """The AgentDB state the conversations live in."""
        return self._db.state

    def close(self) -> None:
        """Closes the database if the store opened it (``path=``)."""
        if self._owns_db:
            self._db.close()

    # -- the stored list ------------------------------------------------------------------------

    def _check_key(self, key: str) -> None:
        if not isinstance(key, str) or not key:
            raise _errors.InvalidArgumentError(f"a chat store key must be a non-empty str, got {key!r}")

    def _stored(self, key: str, version: Optional[int] = None) -> Optional[List[Dict[str, Any]]]:
        """The conversation's message dicts, or None when it has none stored (never written or
        deleted)."""
        self._check_key(key)
        value = self.state.get(self.agent_id, key, self.state_key, version=version)
        if value is not None and not isinstance(value, list):
            raise _errors.InvalidArgumentError(
                f"state key {self.state_key!r} of session {key!r} holds a {type(value).__name__}, not a list of messages"
            )
        return value

    def _write(self, key: str, messages: List[Dict[str, Any]]) -> None:
        self.state.put(self.agent_id, key, self.state_key, messages)

    def _lock(self, key: str) -> Any:
        self._check_key(key)
        return conversation_lock(self._db, self.agent_id, key, self.state_key)

    # -- BaseChatStore --------------------------------------------------------------------------

    def set_messages(self, key: str, messages: List[ChatMessage]) -> None:
        """Replaces the conversation's messages (one write).

        Raises:
            InvalidArgumentError: a message that does not serialise to JSON.
        """
        dumped = [_dump(m) for m in messages]
        with self._lock(key):
            self._write(key, dumped)

    def get_messages(self, key: str) -> List[ChatMessage]:
        """The conversation's messages, oldest first ([] for an unknown key)."""
        return [ChatMessage.model_validate(m) for m in self._stored(key) or []]

    def get_messages_at(self, key: str, version: int) -> List[ChatMessage]:
        """The messages as they were at ``version`` of the conversation's state key (see
        :meth:`agentdb.State.history`); a deleted version reads as no messages."""
        return [ChatMessage.model_validate(m) for m in self._stored(key, version) or []]

    def add_message(self, key: str, message: ChatMessage, idx: Optional[int] = None) -> None:
        """Appends ``message`` (or inserts it before position ``idx``, as ``list.insert``)."""
        dumped = _dump(message)
        with self._lock(key):
            messages = self._stored(key) or []
            if idx is None:
                messages.append(dumped)
            else:
                messages.insert(idx, dumped)
            self._write(key, messages)

    def delete_messages(self, key: str) -> Optional[List[ChatMessage]]:
        """Removes the conversation (a tombstone version; the history keeps what was before) and
        returns its messages, or None if it had none stored."""
        with self._lock(key):
            stored = self._stored(key)
            if stored is None:
                return None
            self.state.delete(self.agent_id, key, self.state_key)
        return [ChatMessage.model_validate(m) for m in stored]

    def delete_message(self, key: str, idx: int) -> Optional[ChatMessage]:
        """Removes and returns the message at ``idx`` (as ``list.pop``; None for an unknown key
        or an ``idx`` out of range)."""
        with self._lock(key):
            stored = self._stored(key)
            if stored is None or not -len(stored) <= idx < len(stored):
                return None
            removed = stored.pop(idx)
            self._write(key, stored)
        return ChatMessage.model_validate(removed)

    def delete_last_message(self, key: str) -> Optional[ChatMessage]:
        """Removes and returns the last message (None when there is none)."""
        with self._lock(key):
            stored = self._stored(key)
            if not stored:
                return None
            removed = stored.pop()
            self._write(key, stored)
        return ChatMessage.model_validate(removed)

    def get_keys(self) -> List[str]:
        """The keys with messages stored (an emptied conversation counts, as in SimpleChatStore), sorted."""
        return [s for s in self.state.sessions(self.agent_id) if self.state_key in self.state.keys(self.agent_id, s)]

    # -- async: the engine calls in worker threads ----------------------------------------------

    async def aset_messages(self, key: str, messages: List[ChatMessage]) -> None:
        await _aio.run(self.set_messages, key, messages)

    async def aget_messages(self, key: str) -> List[ChatMessage]:
        return await _aio.run(self.get_messages, key)

    async def async_add_message(self, key: str, message: ChatMessage, idx: Optional[int] = None) -> None:
        await _aio.run(self.add_message, key, message, idx)

    async def adelete_messages(self, key: str) -> Optional[List[ChatMessage]]:
        return await _aio.run(self.delete_messages, key)

    async def adelete_message(self, key: str, idx: int) -> Optional[ChatMessage]:
        return await _aio.run(self.delete_message, key, idx)

    async def adelete_last_message(self, key: str) -> Optional[ChatMessage]:
        return await _aio.run(self.delete_last_message, key)

    async def aget_keys(self) -> List[str]:
        return await _aio.run(self.get_keys)


def _dump(message: ChatMessage) -> Dict[str, Any]:
    if not isinstance(message, ChatMessage):
        raise _errors.InvalidArgumentError(f"expected a llama_index ChatMessage, got {type(message).__name__}")
    try:
        return message.model_dump(mode="json")
    except (TypeError, ValueError) as e:  # pydantic's serialization error is a ValueError
        raise _errors.InvalidArgumentError(f"the message does not serialise to JSON: {e}") from e


# -- the store of LlamaIndex's Memory (AsyncDBChatStore) ------------------------------------------


class AgentDBAsyncChatStore(AsyncDBChatStore):
    """A LlamaIndex ``AsyncDBChatStore`` in AgentDB state: the store behind LlamaIndex's
    ``Memory`` (``Memory.from_defaults(session_id=..., chat_store=AgentDBAsyncChatStore(db=db))``),
    which keeps a FIFO queue of active messages and archives the oldest ones into its memory
    blocks.

    Mapping: a key is a session of the state agent ``agent_id`` (default ``"llamaindex_memory"``)
    whose state key ``state_key`` holds ``{"next_id": n, "messages": [{"id", "status", "data"}]}``:
    each message's id (numbered from 1 in each conversation, never reused), its status
    (``"active"`` / ``"archived"``) and ``ChatMessage.model_dump(mode="json")``. Every change is
    one new version of that key, durable when it returns. The methods behave as those of
    LlamaIndex's reference ``SQLAlchemyChatStore``, except that message ids (``delete_message``)
    count per conversation rather than across the whole table. Changes are read-modify-writes,
    serialised within the process (:mod:`agentdb.integrations._conversation`); the engine calls
    run in AgentDB's worker threads (:func:`agentdb.aio.run`).

    Args:
        db: an open :class:`agentdb.Database` (not closed by :meth:`close`). Or:
        path: a database directory to open (closed by :meth:`close`).
        agent_id: the state agent whose sessions are the store's keys.
        state_key: the state key of each conversation.
    """

    agent_id: str = "llamaindex_memory"
    state_key: str = "messages"

    _db: Database = PrivateAttr()
    _owns_db: bool = PrivateAttr(default=False)

    def __init__(
        self,
        *,
        db: Optional[Database] = None,
        path: Optional[PathLike] = None,
        agent_id: str = "llamaindex_memory",
        state_key: str = "messages",
        **kwargs: Any,
    ) -> None:
        if (db is None) == (path is None):
            raise _errors.InvalidArgumentError("pass exactly one of db= (an open Database) and path=")
        for name, value in (("agent_id", agent_id), ("state_key", state_key)):
            if not isinstance(value, str) or not value:
                raise _errors.InvalidArgumentError(f"{name} must be a non-empty str, got {value!r}")
        super().__init__(agent_id=agent_id, state_key=state_key, **kwargs)  # type: ignore[call-arg]
        self._owns_db = db is None
        self._db = connect(path) if db is None else db  # type: ignore[arg-type]

    @classmethod
    def class_name(cls) -> str:
        return "AgentDBAsyncChatStore"

    @property
    def state(self) -> State:
        """The AgentDB state the conversations live in."""
        return self._db.state

    def close(self) -> None:
        """Closes the database if the store opened it (``path=``)."""
        if self._owns_db:
            self._db.close()

    # -- the stored record, read and written under the conversation's lock ----------------------

    def _read(self, key: str) -> Dict[str, Any]:
        if not isinstance(key, str) or not key:
            raise _errors.InvalidArgumentError(f"a chat store key must be a non-empty str, got {key!r}")
        value = self.state.get(self.agent_id, key, self.state_key)
        if value is None:
            return {"next_id": 1, "messages": []}
        if not (isinstance(value, dict) and isinstance(value.get("messages"), list) and isinstance(value.get("next_id"), int)):
            raise _errors.InvalidArgumentError(
                f"state key {self.state_key!r} of session {key!r} does not hold a message queue"
            )
        return value

    def _write(self, key: str, record: Dict[str, Any]) -> None:
        # An emptied conversation keeps its record, so its ids are never reused.
        self.state.put(self.agent_id, key, self.state_key, record)

    def _change(self, key: str, change: Any) -> Any:
        """Runs ``change(record)``, which edits the record in place and returns ``(result,
        changed)``, under the conversation's lock; writes the record if it changed."""
        if not isinstance(key, str) or not key:
            raise _errors.InvalidArgumentError(f"a chat store key must be a non-empty str, got {key!r}")
        with conversation_lock(self._db, self.agent_id, key, self.state_key):
            record = self._read(key)
            result, changed = change(record)
            if changed:
                self._write(key, record)
            return result

    # -- sync implementations -------------------------------------------------------------------

    def _get(self, key: str, status: Optional[MessageStatus], limit: Optional[int], offset: Optional[int]) -> List[ChatMessage]:
        rows = [r for r in self._read(key)["messages"] if status is None or r["status"] == status.value]
        start = offset or 0
        rows = rows[start:] if limit is None else rows[start : start + limit]
        return [ChatMessage.model_validate(r["data"]) for r in rows]

    def _add(self, key: str, messages: List[ChatMessage], status: MessageStatus, replace: bool) -> None:
        dumped = [_dump(m) for m in messages]

        def change(record: Dict[str, Any]) -> Any:
            if replace:
                record["messages"] = []
            for data in dumped:
                record["messages"].append({"id": record["next_id"], "status": MessageStatus(status).value, "data": data})
                record["next_id"] += 1
            return None, bool(dumped) or replace

        self._change(key, change)

    def _delete_id(self, key: str, idx: int) -> Optional[ChatMessage]:
        def change(record: Dict[str, Any]) -> Any:
            for i, row in enumerate(record["messages"]):
                if row["id"] == idx:
                    del record["messages"][i]
                    return ChatMessage.model_validate(row["data"]), True
            return None, False

        return self._change(key, change)

    def _delete_status(self, key: str, status: Optional[MessageStatus]) -> None:
        def change(record: Dict[str, Any]) -> Any:
            kept = [r for r in record["messages"] if status is not None and r["status"] != status.value]
            changed = len(kept) != len(record["messages"])
            record["messages"] = kept
            return None, changed

        self._change(key, change)

    def _oldest(self, key: str, n: int, archive: bool) -> List[ChatMessage]:
        def change(record: Dict[str, Any]) -> Any:
            active = [r for r in record["messages"] if r["status"] == MessageStatus.ACTIVE.value][: max(n, 0)]
            if archive:
                for r in active:
                    r["status"] = MessageStatus.ARCHIVED.value
            else:
                taken = {r["id"] for r in active}
                record["messages"] = [r for r in record["messages"] if r["id"] not in taken]
            return [ChatMessage.model_validate(r["data"]) for r in active], bool(active)

        return self._change(key, change)

    def _keys(self) -> List[str]:
        # As the reference's distinct keys of its rows: conversations with at least one message.
        return [
            s for s in self.state.sessions(self.agent_id)
            if self.state_key in self.state.keys(self.agent_id, s) and self._read(s)["messages"]
        ]

    # -- AsyncDBChatStore -----------------------------------------------------------------------

    async def get_messages(
        self,
        key: str,
        status: Optional[MessageStatus] = MessageStatus.ACTIVE,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> List[ChatMessage]:
        """The messages of ``key`` with ``status`` (None: all), oldest first, after skipping
        ``offset``, at most ``limit``."""
        return await _aio.run(self._get, key, status, limit, offset)

    async def count_messages(self, key: str, status: Optional[MessageStatus] = MessageStatus.ACTIVE) -> int:
        """How many messages ``key`` has with ``status`` (None: all)."""
        return len(await self.get_messages(key, status))

    async def add_message(self, key: str, message: ChatMessage, status: MessageStatus = MessageStatus.ACTIVE) -> None:
        """Appends a message with ``status``."""
        await _aio.run(self._add, key, [message], status, False)

    async def add_messages(
        self, key: str, messages: List[ChatMessage], status: MessageStatus = MessageStatus.ACTIVE
    ) -> None:
        """Appends messages with ``status`` in one write."""
        await _aio.run(self._add, key, list(messages), status, False)

    async def set_messages(
        self, key: str, messages: List[ChatMessage], status: MessageStatus = MessageStatus.ACTIVE
    ) -> None:
        """Replaces every message of ``key`` (of any status) with ``messages``, in one write."""
        await _aio.run(self._add, key, list(messages), status, True)

    async def delete_message(self, key: str, idx: int) -> Optional[ChatMessage]:
        """Removes and returns the message with id ``idx`` (None if there is none)."""
        return await _aio.run(self._delete_id, key, idx)

    async def delete_messages(self, key: str, status: Optional[MessageStatus] = None) -> None:
        """Removes the messages of ``key`` with ``status`` (None: all)."""
        await _aio.run(self._delete_status, key, status)

    async def delete_oldest_messages(self, key: str, n: int) -> List[ChatMessage]:
        """Removes and returns the ``n`` oldest active messages."""
        return await _aio.run(self._oldest, key, n, False)

    async def archive_oldest_messages(self, key: str, n: int) -> List[ChatMessage]:
        """Marks the ``n`` oldest active messages archived and returns them."""
        return await _aio.run(self._oldest, key, n, True)

    async def get_keys(self) -> List[str]:
        """The keys with messages, sorted."""
        return await _aio.run(self._keys)
