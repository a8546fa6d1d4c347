"""AgentDBChatStore (LlamaIndex's BaseChatStore) and AgentDBAsyncChatStore (the AsyncDBChatStore
behind LlamaIndex's Memory) on AgentDB state, checked operation by operation against LlamaIndex's
reference stores (SimpleChatStore, SQLAlchemyChatStore on in-memory SQLite), used by a
ChatMemoryBuffer, a chat engine with LlamaIndex's MockLLM and a Memory that archives, across
restarts, versions, threads and async."""

from __future__ import annotations

import asyncio
import random
import threading
from pathlib import Path
from typing import Any, List

import pytest
from llama_index.core.base.llms.types import ImageBlock, TextBlock
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.llms import ChatMessage, MessageRole, MockLLM
from llama_index.core.memory import ChatMemoryBuffer, Memory
from llama_index.core.memory.memory_blocks import StaticMemoryBlock
from llama_index.core.storage.chat_store import SimpleChatStore
from llama_index.core.storage.chat_store.base_db import MessageStatus
from llama_index.core.storage.chat_store.sql import SQLAlchemyChatStore

import agentdb
from agentdb.errors import InvalidArgumentError
from agentdb.integrations.llamaindex import AgentDBAsyncChatStore, AgentDBChatStore


def _msg(i: int) -> ChatMessage:
    role = [MessageRole.USER, MessageRole.ASSISTANT, MessageRole.SYSTEM][i % 3]
    return ChatMessage(role=role, content=f"message {i}", additional_kwargs={"n": i} if i % 2 else {})


def test_same_behaviour_as_simple_chat_store(db: agentdb.Database) -> None:
    ours, reference = AgentDBChatStore(db=db), SimpleChatStore()
    rng = random.Random(16)
    keys = ["a", "b", "c"]
    counter = 0
    for step in range(300):
        key = rng.choice(keys)
        op = rng.choice(["add", "insert", "set", "delete_all", "delete_at", "delete_last", "get"])
        if op == "add":
            counter += 1
            ours.add_message(key, _msg(counter))
            reference.add_message(key, _msg(counter))
        elif op == "insert":
            counter += 1
            idx = rng.randint(-3, 5)
            ours.add_message(key, _msg(counter), idx=idx)
            reference.add_message(key, _msg(counter), idx=idx)
        elif op == "set":
            batch = [_msg(counter + j) for j in range(rng.randint(0, 3))]
            counter += len(batch)
            ours.set_messages(key, batch)
            reference.set_messages(key, list(batch))
        elif op == "delete_all":
            assert ours.delete_messages(key) == reference.delete_messages(key), step
        elif op in ("delete_at", "delete_last"):
            idx = rng.randint(-4, 6)
            call = (lambda s: s.delete_message(key, idx)) if op == "delete_at" else (lambda s: s.delete_last_message(key))
            try:
                expected = call(reference)
            except IndexError:  # the reference's list.pop out of range: ours returns None
                expected = None
            assert call(ours) == expected, (step, op, idx)
        for k in keys:
            assert ours.get_messages(k) == reference.get_messages(k), (step, op, k)
        assert ours.get_keys() == sorted(reference.get_keys()), step
    assert ours.delete_last_message("never") is None and ours.delete_message("never", 0) is None
    assert ours.delete_messages("never") is None


def test_survives_a_restart_and_keeps_versions(tmp_path: Path) -> None:
    path = tmp_path / "db"
    store = AgentDBChatStore(path=path)
    rich = ChatMessage(role="assistant", blocks=[TextBlock(text="look"), ImageBlock(image=b"\x89PNG-bytes")])
    store.set_messages("user-1", [_msg(1), rich])
    store.add_message("user-1", _msg(2))
    store.delete_message("user-1", 0)
    store.close()

    again = AgentDBChatStore(path=path)
    assert again.get_messages("user-1") == [rich, _msg(2)]
    versions = [v.version for v in again.state.history("llamaindex", "user-1", "messages")]
    assert versions == [3, 2, 1]
    assert again.get_messages_at("user-1", 1) == [_msg(1), rich]
    assert again.get_messages_at("user-1", 2) == [_msg(1), rich, _msg(2)]
    again.delete_messages("user-1")
    assert again.get_messages("user-1") == [] and again.get_keys() == []
    assert again.get_messages_at("user-1", 4) == []  # the deletion
    # Another agent id is another store on the same database.
    other = AgentDBChatStore(db=again._db, agent_id="other")
    other.add_message("user-1", _msg(5))
    assert other.get_keys() == ["user-1"] and again.get_keys() == []
    again.close()


def test_chat_memory_buffer_and_chat_engine(db: agentdb.Database) -> None:
    store = AgentDBChatStore(db=db)
    memory = ChatMemoryBuffer.from_defaults(chat_store=store, chat_store_key="ada", token_limit=10_000)
    engine = SimpleChatEngine.from_defaults(llm=MockLLM(max_tokens=5), memory=memory)
    engine.chat("I am Ada.")
    engine.chat("Who am I?")
    stored = store.get_messages("ada")
    assert [m.role for m in stored] == [MessageRole.USER, MessageRole.ASSISTANT] * 2
    assert [stored[0].content, stored[2].content] == ["I am Ada.", "Who am I?"]
    # A new memory over the same store and key continues the conversation.
    again = ChatMemoryBuffer.from_defaults(chat_store=AgentDBChatStore(db=db), chat_store_key="ada")
    assert again.get_all() == stored
    again.reset()
    assert store.get_messages("ada") == []


def test_concurrent_adds_in_one_process_lose_nothing(db: agentdb.Database) -> None:
    def writer(n: int) -> None:
        store = AgentDBChatStore(db=db)  # one object per thread: the lock is per conversation
        for i in range(10):
            store.add_message("busy", ChatMessage(role="user", content=f"{n}-{i}"))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = [m.content for m in AgentDBChatStore(db=db).get_messages("busy")]
    assert sorted(got) == sorted(f"{n}-{i}" for n in range(4) for i in range(10))


async def test_async_methods_off_the_loop(db: agentdb.Database) -> None:
    store = AgentDBChatStore(db=db)
    loop_thread = threading.get_ident()
    seen: List[int] = []
    original = agentdb.State.put

    def spy(self: agentdb.State, *args: Any, **kwargs: Any) -> int:
        seen.append(threading.get_ident())
        return original(self, *args, **kwargs)

    agentdb.State.put = spy  # type: ignore[method-assign]
    try:
        await store.aset_messages("k", [_msg(1)])
        await asyncio.gather(*(store.async_add_message("k", _msg(i)) for i in range(2, 6)))
        await store.async_add_message("k", _msg(0), idx=0)
        assert (await store.adelete_message("k", 0)) == _msg(0)
        assert (await store.adelete_last_message("k")) is not None
    finally:
        agentdb.State.put = original  # type: ignore[method-assign]
    assert seen and loop_thread not in seen
    got = await store.aget_messages("k")
    assert len(got) == 4 and got[0] == _msg(1)
    assert await store.aget_keys() == ["k"]
    assert len(await store.adelete_messages("k") or []) == 4
    assert await store.aget_messages("k") == []


def test_bad_arguments(db: agentdb.Database, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError):
        AgentDBChatStore()
    with pytest.raises(InvalidArgumentError):
        AgentDBChatStore(db=db, path=tmp_path / "x")
    with pytest.raises(InvalidArgumentError):
        AgentDBChatStore(db=db, agent_id="")
    store = AgentDBChatStore(db=db)
    with pytest.raises(InvalidArgumentError):
        store.get_messages("")
    with pytest.raises(InvalidArgumentError):
        store.add_message("k", "not a message")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        store.add_message("k", ChatMessage(role="user", content="x", additional_kwargs={"f": object()}))
    assert store.get_messages("k") == []  # nothing written
    db.state.put("llamaindex", "odd", "messages", "a string")
    with pytest.raises(InvalidArgumentError, match="not a list"):
        store.get_messages("odd")


# -- AgentDBAsyncChatStore: the store of LlamaIndex's Memory --------------------------------------

async def test_async_store_behaves_as_sqlalchemy_chat_store(db: agentdb.Database) -> None:
    # Message ids are left out: SQLite reuses the highest row id after a delete, ours never do
    # (delete_message is tested on its own below).
    ours = AgentDBAsyncChatStore(db=db)
    reference = SQLAlchemyChatStore(table_name="reference")  # in-memory SQLite (aiosqlite)
    keys = ["k", "j"]
    rng = random.Random(17)
    counter = 0
    statuses = [MessageStatus.ACTIVE, MessageStatus.ARCHIVED, None]
    for step in range(200):
        key = rng.choice(keys)
        op = rng.choice(["add", "add_many", "set", "delete_status", "oldest", "archive", "get"])
        if op in ("add", "add_many", "set"):
            batch = [_msg(counter + j) for j in range(1 if op == "add" else rng.randint(0, 3))]
            counter += len(batch)
            status = rng.choice(statuses[:2])
            if op == "add":
                await ours.add_message(key, batch[0], status)
                await reference.add_message(key, batch[0], status)
            elif op == "add_many":
                if not batch:
                    continue  # the reference cannot insert no rows
                await ours.add_messages(key, batch, status)
                await reference.add_messages(key, batch, status)
            else:
                await ours.set_messages(key, batch, status)
                await reference.set_messages(key, batch, status)
        elif op == "delete_status":
            status = rng.choice(statuses)
            await ours.delete_messages(key, status)
            await reference.delete_messages(key, status)
        elif op in ("oldest", "archive"):
            n = rng.randint(0, 3)
            call = "delete_oldest_messages" if op == "oldest" else "archive_oldest_messages"
            assert await getattr(ours, call)(key, n) == await getattr(reference, call)(key, n), step
        for k in keys:
            for status in statuses:
                assert await ours.get_messages(k, status) == await reference.get_messages(k, status), (step, op, k)
                assert await ours.count_messages(k, status) == await reference.count_messages(k, status)
        offset, limit = rng.randint(0, 3), rng.choice([None, 1, 2])
        assert await ours.get_messages(key, MessageStatus.ACTIVE, limit, offset) == await reference.get_messages(
            key, MessageStatus.ACTIVE, limit, offset
        )
        assert await ours.get_keys() == sorted(await reference.get_keys()), step


async def test_memory_with_the_async_store(tmp_path: Path) -> None:
    path = tmp_path / "db"
    store = AgentDBAsyncChatStore(path=path)
    # A small token limit makes Memory archive its oldest messages (flushing them to its blocks).
    memory = Memory.from_defaults(
        session_id="ada", chat_store=store, token_limit=60, token_flush_size=20,
        memory_blocks=[StaticMemoryBlock(name="profile", static_content="The user is Ada.")],
    )
    sent = [ChatMessage(role="user" if i % 2 == 0 else "assistant", content=f"message number {i} " * 3)
            for i in range(12)]
    for message in sent:
        await memory.aput(message)
    active = await store.get_messages("ada", MessageStatus.ACTIVE)
    archived = await store.get_messages("ada", MessageStatus.ARCHIVED)
    assert archived and active and archived + active == sent  # the queue moved, nothing was lost
    assert await memory.aget_all() == sent and await memory.aget_all(MessageStatus.ACTIVE) == active
    context = await memory.aget()
    assert "The user is Ada." in str(context[0].content)
    store.close()

    again = AgentDBAsyncChatStore(path=path)  # survives a restart
    assert await again.get_messages("ada", None) == sent
    await Memory.from_defaults(session_id="ada", chat_store=again).areset()
    assert await again.get_messages("ada", None) == [] and await again.get_keys() == []
    again.close()


async def test_async_store_keys_ids_and_arguments(db: agentdb.Database) -> None:
    store = AgentDBAsyncChatStore(db=db)
    await store.add_messages("a", [_msg(1), _msg(2)])
    await store.add_message("b", _msg(3))
    assert await store.get_keys() == ["a", "b"]
    assert await store.delete_message("a", 1) == _msg(1)
    await store.delete_messages("a")
    await store.add_message("a", _msg(4))
    assert await store.delete_message("a", 3) == _msg(4)  # ids are never reused in a conversation
    assert await store.get_keys() == ["b"]
    with pytest.raises(InvalidArgumentError):
        AgentDBAsyncChatStore()
    with pytest.raises(InvalidArgumentError):
        await store.get_messages("")
    with pytest.raises(InvalidArgumentError):
        await store.add_message("b", "not a message")  # type: ignore[arg-type]
    db.state.put("llamaindex_memory", "odd", "messages", [1, 2])
    with pytest.raises(InvalidArgumentError, match="message queue"):
        await store.get_messages("odd")
