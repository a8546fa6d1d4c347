"""AutoGen: :class:`agentdb.integrations.autogen.AgentDBMemory` in AutoGen's own ``AssistantAgent``
with AutoGen's ``ReplayChatCompletionClient`` (offline, canned replies; it records what the model
was sent).

The memory the agent injects into the model context must be what ``Memory.recall`` ranks first
for the user's message; a conversation runs over two turns; memories survive reopening the
database; ``clear`` forgets only this agent's memories; bad input raises ``agentdb.errors``.
Texts are embedded with the deterministic :class:`agentdb.embed.HashingEmbedder`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import pytest

pytest.importorskip("autogen_agentchat")
pytest.importorskip("autogen_ext.models.replay")

from autogen_agentchat.agents import AssistantAgent  # noqa: E402
from autogen_agentchat.messages import MemoryQueryEvent, TextMessage  # noqa: E402
from autogen_core.memory import MemoryContent, MemoryMimeType  # noqa: E402
from autogen_core.model_context import UnboundedChatCompletionContext  # noqa: E402
from autogen_core.models import SystemMessage, UserMessage  # noqa: E402
from autogen_ext.models.replay import ReplayChatCompletionClient  # noqa: E402

import agentdb  # noqa: E402
from agentdb.embed import HashingEmbedder  # noqa: E402
from agentdb.errors import InvalidArgumentError, InvalidArgumentTypeError, InvalidMetadataError  # noqa: E402
from agentdb.integrations.autogen import AgentDBMemory  # noqa: E402

EMB = HashingEmbedder(64)
FACTS = [
    "The user drinks green tea every morning.",
    "The user's cat is called Miso.",
    "The user works on a vector database written in Rust.",
    "The user prefers short answers.",
]


def system_texts(messages: List[Any]) -> List[str]:
    return [m.content for m in messages if isinstance(m, SystemMessage)]


async def test_assistant_agent_gets_what_recall_ranks_first(tmp_path: Path) -> None:
    path = tmp_path / "db"
    with agentdb.connect(path) as db:
        store = db.memory("memory", embedder=EMB)
        memory = AgentDBMemory(store, agent_id="assistant", k=2)
        for fact in FACTS:
            await memory.add(MemoryContent(content=fact, mime_type=MemoryMimeType.TEXT, metadata={"source": "chat"}))
        # another agent's memory, which must never be injected
        store.remember("The user drinks green tea, says the other agent.", agent_id="other")

        client = ReplayChatCompletionClient(["Green tea, every morning.", "Miso."])
        agent = AssistantAgent("assistant", model_client=client, memory=[memory])

        turns = [("Which green tea does the user drink every morning?", "Green tea, every morning."),
                 ("What is the name of the user's cat?", "Miso.")]
        for turn, (question, reply) in enumerate(turns, 1):
            ranked = store.recall(question, 2, agent_id="assistant", touch=False)
            result = await agent.run(task=question)
            events = [m for m in result.messages if isinstance(m, MemoryQueryEvent)]
            assert len(events) == 1
            injected = events[0].content
            assert [c.content for c in injected] == [h.text for h in ranked]
            assert injected[0].metadata is not None
            assert injected[0].metadata["id"] == ranked[0].id and injected[0].metadata["source"] == "chat"
            assert result.messages[-1].content == reply
            # What the model was sent: this turn's memory system message, best first (the agent's
            # model context keeps the earlier turns' messages, as with AutoGen's own memories).
            sent = client.create_calls[-1]["messages"]
            memory_msgs = [t for t in system_texts(sent) if "Relevant memory content" in t]
            assert len(memory_msgs) == turn
            lines = memory_msgs[-1].strip().splitlines()[1:]
            assert lines == [f"{i}. {h.text}" for i, h in enumerate(ranked, 1)]
        assert ranked[0].text == FACTS[1]  # the cat question found the cat
        await memory.close()

    with agentdb.connect(path) as db:
        memory = AgentDBMemory(db.memory("memory", embedder=EMB), agent_id="assistant")
        got = await memory.query(MemoryContent(content="green tea", mime_type="text/plain"), k=1)
        assert [c.content for c in got.results] == [FACTS[0]]
        assert got.results[0].mime_type == "text/plain"
        await memory.clear()
        assert (await memory.query("green tea")).results == []
        assert db.memory("memory").count(agent_id="other") == 1  # clear kept the other agent's


async def test_update_context_json_and_empty(tmp_path: Path) -> None:
    with agentdb.connect(tmp_path / "db") as db:
        memory = AgentDBMemory(db.memory("m", embedder=EMB), agent_id="a", session_id="s1")
        ctx = UnboundedChatCompletionContext()
        assert (await memory.update_context(ctx)).memories.results == []  # no messages: nothing
        await ctx.add_message(UserMessage(content="which colour?", source="user"))
        assert (await memory.update_context(ctx)).memories.results == []  # no memories: nothing added
        assert len(await ctx.get_messages()) == 1

        await memory.add(MemoryContent(content={"favourite": "blue colour"}, mime_type=MemoryMimeType.JSON))
        res = await memory.update_context(ctx)
        assert res.memories.results[0].content == {"favourite": "blue colour"}
        assert res.memories.results[0].mime_type == "application/json"
        assert '1. {"favourite": "blue colour"}' in system_texts(await ctx.get_messages())[0]
        # another session of the same agent does not see it
        other = AgentDBMemory(db.memory("m", embedder=EMB), agent_id="a", session_id="s2")
        assert (await other.query("colour")).results == []


async def test_bad_input_raises_agentdb_errors(tmp_path: Path) -> None:
    with agentdb.connect(tmp_path / "db") as db:
        with pytest.raises(InvalidArgumentError):
            AgentDBMemory(db.memory("plain", dim=4), agent_id="a")  # no embedder
        with pytest.raises(InvalidArgumentTypeError):
            AgentDBMemory("memory", agent_id="a")  # type: ignore[arg-type]
        store = db.memory("m", embedder=EMB)
        with pytest.raises(InvalidArgumentError):
            AgentDBMemory(store, agent_id="")
        memory = AgentDBMemory(store, agent_id="a")
        with pytest.raises(InvalidArgumentTypeError):
            await memory.add(MemoryContent(content=b"\x00\x01", mime_type=MemoryMimeType.BINARY))
        with pytest.raises(InvalidArgumentTypeError):
            await memory.add("just a string")  # type: ignore[arg-type]
        with pytest.raises(InvalidMetadataError):
            await memory.add(MemoryContent(content="x", mime_type="text/plain", metadata={"bad key!": 1}))
        with pytest.raises(InvalidArgumentTypeError):
            await memory.query(42)  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError):
            await memory.query("x", k=0)
        assert store.count() == 0  # nothing of the refused adds was stored
        agent = AssistantAgent("a", model_client=ReplayChatCompletionClient(["ok"]), memory=[memory])
        assert isinstance((await agent.run(task="hello")).messages[-1], TextMessage)
