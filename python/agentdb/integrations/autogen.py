"""AutoGen (``autogen-core`` / ``autogen-agentchat``): an ``autogen_core.memory.Memory`` on an
AgentDB memory store.

Quick start::

    import agentdb
    from autogen_agentchat.agents import AssistantAgent
    from autogen_core.memory import MemoryContent
    from agentdb.integrations.autogen import AgentDBMemory

    db = agentdb.connect("./agent-db")
    memory = AgentDBMemory(db.memory("memory", embedder="default"), agent_id="assistant")
    await memory.add(MemoryContent(content="The user drinks green tea.", mime_type="text/plain"))
    agent = AssistantAgent("assistant", model_client=client, memory=[memory])

Translation only: :meth:`~AgentDBMemory.add` is :meth:`agentdb.Memory.remember`,
:meth:`~AgentDBMemory.query` is :meth:`agentdb.Memory.recall` (similarity, recency and importance,
ranked by the engine), and :meth:`~AgentDBMemory.update_context` recalls with the model context's
last message as the query (as AutoGen's own vector memories do) and adds the hits, best first, as
one ``SystemMessage``. Every call runs on AgentDB's worker pool (:func:`agentdb.aio.run`), never
on the event loop. The memory store and its database belong to the caller: :meth:`close` only
flushes.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Union

from autogen_core import CancellationToken
from autogen_core.memory import Memory, MemoryContent, MemoryMimeType, MemoryQueryResult, UpdateContextResult
from autogen_core.model_context import ChatCompletionContext
from autogen_core.models import SystemMessage

from .. import aio as _aio
from ..errors import InvalidArgumentError, InvalidArgumentTypeError
from ..memory import Memory as _AgentDBMemoryStore
from ..memory import MemoryHit

__all__ = ["AgentDBMemory"]

# Metadata keys this module adds to each memory (and reads back), beside the caller's own.
_MIME = "mime_type"
_TEXT_TYPES = (MemoryMimeType.TEXT.value, MemoryMimeType.MARKDOWN.value)


def _mime(content: MemoryContent) -> str:
    m = content.mime_type
    return m.value if isinstance(m, MemoryMimeType) else str(m)


class AgentDBMemory(Memory):
    """AutoGen memory over an AgentDB memory store (one agent's memories, optionally one session's).

    Args:
        memory: an :class:`agentdb.Memory` with an embedder (texts are embedded by it).
        agent_id: whose memories these are: ``add`` stores under it, ``query`` and ``clear`` see
            only its memories.
        session_id: if given, memories are stored under this session and ``query``/``clear`` see
            only it.
        k: how many memories ``query`` and ``update_context`` return (``None``: the engine's
            default).
        kinds: recall only these kinds (a kind or a list), as :meth:`agentdb.Memory.recall`.
        kind: the kind new memories get (``None``: the engine's default).
        name: the component's name in AutoGen's listings.

    Raises:
        InvalidArgumentTypeError: ``memory`` is not an :class:`agentdb.Memory`.
        InvalidArgumentError: the memory store has no embedder, or an empty ``agent_id``.
    """

    component_type = "memory"

    def __init__(
        self,
        memory: _AgentDBMemoryStore,
        *,
        agent_id: str,
        session_id: Optional[str] = None,
        k: Optional[int] = None,
        kinds: Union[str, Sequence[str], None] = None,
        kind: Optional[str] = None,
        name: str = "agentdb_memory",
    ) -> None:
        if not isinstance(memory, _AgentDBMemoryStore):
            raise InvalidArgumentTypeError(f"memory must be an agentdb.Memory, got {type(memory).__name__}")
        if memory.embedder is None:
            raise InvalidArgumentError("the memory store needs an embedder (db.memory(name, embedder=...))")
        if not isinstance(agent_id, str) or not agent_id:
            raise InvalidArgumentError("agent_id must be a non-empty str")
        self._memory = memory
        self._agent_id = agent_id
        self._session_id = session_id
        self._k = k
        self._kinds = kinds
        self._kind = kind
        self._name = name

    @property
    def name(self) -> str:
        """The component's name."""
        return self._name

    @property
    def memory(self) -> _AgentDBMemoryStore:
        """The AgentDB memory store."""
        return self._memory

    def __repr__(self) -> str:
        return f"AgentDBMemory({self._memory.name!r}, agent_id={self._agent_id!r})"

    # -- translation -----------------------------------------------------------------------------

    @staticmethod
    def _text(content: MemoryContent) -> str:
        c = content.content
        if isinstance(c, str):
            return c
        if isinstance(c, dict):
            return json.dumps(c, sort_keys=True)
        raise InvalidArgumentTypeError(
            f"AgentDBMemory stores text and JSON contents, got {type(c).__name__} ({_mime(content)})"
        )

    @staticmethod
    def _content(hit: MemoryHit) -> MemoryContent:
        meta: Dict[str, Any] = dict(hit.record.metadata)
        mime = meta.pop(_MIME, MemoryMimeType.TEXT.value)
        text = hit.text or ""
        content: Union[str, Dict[str, Any]] = json.loads(text) if mime == MemoryMimeType.JSON.value else text
        meta.update(id=hit.id, score=hit.score, similarity=hit.similarity, importance=hit.importance)
        return MemoryContent(content=content, mime_type=mime, metadata=meta)

    def _query_text(self, query: Union[str, MemoryContent]) -> str:
        if isinstance(query, MemoryContent):
            return self._text(query)
        if not isinstance(query, str):
            raise InvalidArgumentTypeError(f"query must be a str or MemoryContent, got {type(query).__name__}")
        return query

    # -- the Memory protocol ---------------------------------------------------------------------

    async def add(self, content: MemoryContent, cancellation_token: Optional[CancellationToken] = None) -> None:
        """Remembers ``content`` (text, markdown or JSON). Its ``metadata`` becomes the memory's
        metadata, with ``mime_type`` added.

        Raises:
            InvalidArgumentTypeError: ``content`` is not a ``MemoryContent``, or holds bytes or an
                image.
            InvalidMetadataError: a metadata key AgentDB refuses (reserved or malformed).
        """
        if not isinstance(content, MemoryContent):
            raise InvalidArgumentTypeError(f"content must be a MemoryContent, got {type(content).__name__}")
        text = self._text(content)
        metadata = {**(content.metadata or {}), _MIME: _mime(content)}
        await _aio.run(self._memory.remember, text, agent_id=self._agent_id, session_id=self._session_id,
                       kind=self._kind, metadata=metadata)

    async def query(
        self,
        query: Union[str, MemoryContent] = "",
        cancellation_token: Optional[CancellationToken] = None,
        **kwargs: Any,
    ) -> MemoryQueryResult:
        """The memories :meth:`agentdb.Memory.recall` ranks best for ``query``, best first; each
        ``MemoryContent``'s metadata carries its ``id``, ``score``, ``similarity`` and
        ``importance``. ``kwargs`` go to ``recall`` (``k``, ``where``, ``since`` …).

        Raises:
            InvalidArgumentTypeError: ``query`` is neither a str nor a ``MemoryContent``.
        """
        text = self._query_text(query)
        kwargs.setdefault("k", self._k)
        kwargs.setdefault("kinds", self._kinds)
        hits = await _aio.run(self._memory.recall, text, agent_id=self._agent_id, session_id=self._session_id,
                              **kwargs)
        return MemoryQueryResult(results=[self._content(h) for h in hits])

    async def update_context(self, model_context: ChatCompletionContext) -> UpdateContextResult:
        """Recalls with the context's last message as the query and, if anything is found,
        adds the memories (best first) to ``model_context`` as one ``SystemMessage``."""
        messages = await model_context.get_messages()
        if not messages:
            return UpdateContextResult(memories=MemoryQueryResult(results=[]))
        last = messages[-1]
        query = last.content if isinstance(last.content, str) else str(last.content)
        result = await self.query(query)
        if result.results:
            lines = [f"{i}. {c.content if isinstance(c.content, str) else json.dumps(c.content)}"
                     for i, c in enumerate(result.results, 1)]
            await model_context.add_message(
                SystemMessage(content="\nRelevant memory content (best first):\n" + "\n".join(lines)))
        return UpdateContextResult(memories=result)

    async def clear(self) -> None:
        """Forgets every memory of this agent (of this session, if one was given)."""
        await _aio.run(self._memory.forget, agent_id=self._agent_id, session_id=self._session_id)

    async def close(self) -> None:
        """Writes buffered memories to disk; the store stays open (it belongs to the caller)."""
        await _aio.run(self._memory.flush)

