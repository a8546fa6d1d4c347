"""AgentDBChatMessageHistory: LangChain messages on AgentDB state, through LangChain's own
RunnableWithMessageHistory with a fake chat model; restarts, versions, clear, concurrency,
async. (langchain-tests 1.1.9 has no standard chat history suite.)"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import List

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.history import RunnableWithMessageHistory

import agentdb
from agentdb.errors import InvalidArgumentError
from agentdb.integrations.langchain import AgentDBChatMessageHistory


def test_messages_round_trip_and_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "db"
    history = AgentDBChatMessageHistory("thread-1", path=path)
    assert history.messages == []
    sent: List[BaseMessage] = [
        SystemMessage("be brief"),
        HumanMessage("hi", additional_kwargs={"lang": "en"}),
        AIMessage("hello", id="m-2", tool_calls=[{"name": "lookup", "args": {"q": "x"}, "id": "call-1"}]),
        ToolMessage("42", tool_call_id="call-1"),
    ]
    history.add_messages(sent[:2])
    history.add_message(sent[2])
    history.add_messages([sent[3]])
    assert history.messages == sent
    history.close()

    reopened = AgentDBChatMessageHistory("thread-1", path=path)
    assert reopened.messages == sent
    # Other sessions and other agents are apart.
    assert AgentDBChatMessageHistory("thread-2", db=reopened._db).messages == []
    assert AgentDBChatMessageHistory("thread-1", db=reopened._db, agent_id="other").messages == []
    # The messages are a plain state value, readable without LangChain.
    raw = reopened.state.get("langchain", "thread-1", "messages")
    assert [m["type"] for m in raw] == ["system", "human", "ai", "tool"]
    reopened.close()


def test_versions_and_clear(db: agentdb.Database) -> None:
    history = AgentDBChatMessageHistory("t", db=db)
    history.add_user_message("one")
    history.add_ai_message("two")
    history.add_messages([])  # nothing written
    assert history.versions() == [2, 1]
    assert history.messages_at(1) == [HumanMessage("one")]
    history.clear()
    assert history.messages == []
    assert history.versions() == [3, 2, 1]
    assert history.messages_at(2) == [HumanMessage("one"), AIMessage("two")]
    assert history.messages_at(3) == []  # the clear
    history.clear()  # nothing to clear: no new version
    assert history.versions() == [3, 2, 1]
    history.add_user_message("three")
    assert history.messages == [HumanMessage("three")]


@pytest.mark.filterwarnings("ignore:RunnableWithMessageHistory is deprecated")
def test_runnable_with_message_history(db: agentdb.Database) -> None:
    model = FakeListChatModel(responses=["Hello Ada.", "You are Ada."])
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are helpful."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    chain = RunnableWithMessageHistory(
        prompt | model,
        lambda session_id: AgentDBChatMessageHistory(session_id, db=db),
        input_messages_key="question",
        history_messages_key="history",
    )
    config = {"configurable": {"session_id": "ada"}}
    assert chain.invoke({"question": "I am Ada."}, config=config).content == "Hello Ada."
    assert chain.invoke({"question": "Who am I?"}, config=config).content == "You are Ada."
    stored = AgentDBChatMessageHistory("ada", db=db).messages
    assert [(type(m).__name__, m.content) for m in stored] == [
        ("HumanMessage", "I am Ada."),
        ("AIMessage", "Hello Ada."),
        ("HumanMessage", "Who am I?"),
        ("AIMessage", "You are Ada."),
    ]


def test_concurrent_appends_in_one_process_lose_nothing(db: agentdb.Database) -> None:
    def writer(n: int) -> None:
        history = AgentDBChatMessageHistory("busy", db=db)  # one object per thread, one lock
        for i in range(10):
            history.add_user_message(f"{n}-{i}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = [m.content for m in AgentDBChatMessageHistory("busy", db=db).messages]
    assert sorted(got) == sorted(f"{n}-{i}" for n in range(4) for i in range(10))
    for n in range(4):  # each writer's messages in its own order
        assert [c for c in got if c.startswith(f"{n}-")] == [f"{n}-{i}" for i in range(10)]


async def test_async_methods(db: agentdb.Database) -> None:
    history = AgentDBChatMessageHistory("async", db=db)
    loop_thread = threading.get_ident()
    seen: List[int] = []
    original = agentdb.State.put

    def spy(self: agentdb.State, *args: object, **kwargs: object) -> int:
        seen.append(threading.get_ident())
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    agentdb.State.put = spy  # type: ignore[method-assign]
    try:
        await history.aadd_messages([HumanMessage("a"), AIMessage("b")])
        await asyncio.gather(history.aadd_messages([HumanMessage("c")]), history.aadd_messages([HumanMessage("d")]))
    finally:
        agentdb.State.put = original  # type: ignore[method-assign]
    assert seen and loop_thread not in seen
    got = await history.aget_messages()
    assert [m.content for m in got][:2] == ["a", "b"] and sorted(m.content for m in got[2:]) == ["c", "d"]
    await history.aclear()
    assert await history.aget_messages() == []


def test_bad_arguments_and_values(db: agentdb.Database, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError):
        AgentDBChatMessageHistory("t")
    with pytest.raises(InvalidArgumentError):
        AgentDBChatMessageHistory("t", db=db, path=tmp_path / "x")
    with pytest.raises(InvalidArgumentError):
        AgentDBChatMessageHistory("", db=db)
    history = AgentDBChatMessageHistory("t", db=db)
    with pytest.raises(InvalidArgumentError):
        history.add_message(HumanMessage("x", additional_kwargs={"when": object()}))
    assert history.messages == []  # nothing written
    db.state.put("langchain", "wrong", "messages", {"not": "a list"})
    with pytest.raises(InvalidArgumentError, match="not a list"):
        AgentDBChatMessageHistory("wrong", db=db).messages
