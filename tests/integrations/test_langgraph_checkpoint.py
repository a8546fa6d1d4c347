"""The LangGraph checkpointer (agentdb.integrations.langgraph.AgentDBSaver).

Two kinds of tests:

* LangGraph's own conformance suite (PyPI ``langgraph-checkpoint-conformance``, pinned in
  requirements-dev.txt), one pytest test per capability, each on a fresh database;
* real graphs (``langgraph.graph.StateGraph``) with a scripted chat model: several steps with a
  tool, resuming after the database is closed and reopened, time travel and forks, interrupts
  (human in the loop), subgraphs (non-root checkpoint namespaces), and the async API.
"""

from __future__ import annotations

import asyncio
import operator
import threading
from pathlib import Path
from typing import Annotated, Any, List, Optional, TypedDict

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command, interrupt

import agentdb
from agentdb.integrations.langgraph import AgentDBSaver

# -- LangGraph's conformance suite ---------------------------------------------------------------

# Base capabilities (required) and the optional ones AgentDBSaver implements.
CAPABILITIES = ["put", "put_writes", "get_tuple", "list", "delete_thread", "copy_thread"]


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_conformance(tmp_path: Path, capability: str) -> None:
    @checkpointer_test(name=f"AgentDBSaver[{capability}]")
    async def saver_factory():  # type: ignore[no-untyped-def]
        db = agentdb.connect(tmp_path / "db")
        try:
            yield AgentDBSaver(db)
        finally:
            db.close()

    report = asyncio.run(validate(saver_factory, capabilities={capability}))
    result = report.results[capability]
    assert result.detected, f"{capability} not detected as implemented"
    assert result.passed, "\n".join(result.failures)
    assert result.tests_passed > 0 and result.tests_failed == 0


def test_conformance_full_run_passes_all_base(tmp_path: Path) -> None:
    """The whole suite in one run, on one database shared by the capability suites (as a user
    running ``validate`` would), passes every base capability."""
    db = agentdb.connect(tmp_path / "db")

    @checkpointer_test(name="AgentDBSaver")
    async def saver_factory():  # type: ignore[no-untyped-def]
        yield AgentDBSaver(db)

    try:
        report = asyncio.run(validate(saver_factory))
    finally:
        db.close()
    failures = [f for r in report.results.values() for f in (r.failures or [])]
    assert report.passed_all_base(), "\n".join(failures)
    assert report.results["copy_thread"].passed, "\n".join(failures)


# -- a scripted chat model and a small tool-using agent ---------------------------------------------


class ScriptedChatModel(BaseChatModel):
    """A chat model that answers with the next scripted message, and records how many messages
    it was shown each time (so tests can check what history a resumed graph hands it)."""

    responses: List[BaseMessage]
    seen: List[int] = []
    position: int = 0

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: List[BaseMessage],
        stop: Optional[List[str]] = None,
        run_manager: Optional[CallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.position >= len(self.responses):
            raise AssertionError("the scripted model ran out of responses")
        self.seen.append(len(messages))
        msg = self.responses[self.position]
        self.position += 1
        return ChatResult(generations=[ChatGeneration(message=msg)])


@tool
def add(a: int, b: int) -> int:
    """Adds two integers."""
    return a + b


def tool_call(call_id: str, a: int, b: int) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": "add", "args": {"a": a, "b": b}, "id": call_id}])


def agent_graph(model: ScriptedChatModel, saver: AgentDBSaver) -> Any:
    """START → agent ⇄ tools → END: the agent calls the model; a tool call runs the tool."""

    def agent(state: MessagesState) -> dict:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([add]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    return builder.compile(checkpointer=saver)


def texts(messages: List[BaseMessage]) -> List[str]:
    return [f"{type(m).__name__}:{m.content}" for m in messages]


@pytest.fixture
def db_dir(tmp_path: Path) -> Path:
    return tmp_path / "agent-db"


def test_agent_steps_resume_after_reopen(db_dir: Path) -> None:
    config = {"configurable": {"thread_id": "conversation-1"}}
    model = ScriptedChatModel(responses=[tool_call("c1", 2, 3), AIMessage(content="2+3 is 5")])
    with AgentDBSaver.from_path(db_dir) as saver:
        graph = agent_graph(model, saver)
        out = graph.invoke({"messages": [HumanMessage(content="what is 2+3?")]}, config)
        assert texts(out["messages"]) == [
            "HumanMessage:what is 2+3?",
            "AIMessage:",
            "ToolMessage:5",
            "AIMessage:2+3 is 5",
        ]
        history = list(graph.get_state_history(config))
        # input, agent, tools, agent: one checkpoint per step, plus the initial empty one.
        assert [h.metadata["step"] for h in history] == [3, 2, 1, 0, -1]
        assert history[0].next == ()
        first_turn = graph.get_state(config)

    # A new process: everything comes from the database.
    model2 = ScriptedChatModel(responses=[tool_call("c2", 5, 10), AIMessage(content="plus 10 is 15")])
    with AgentDBSaver.from_path(db_dir) as saver:
        graph = agent_graph(model2, saver)
        state = graph.get_state(config)
        assert state.values == first_turn.values
        assert (
            state.config["configurable"]["checkpoint_id"]
            == first_turn.config["configurable"]["checkpoint_id"]
        )
        out = graph.invoke({"messages": [HumanMessage(content="plus 10?")]}, config)
        assert texts(out["messages"])[4:] == [
            "HumanMessage:plus 10?",
            "AIMessage:",
            "ToolMessage:15",
            "AIMessage:plus 10 is 15",
        ]
        # The model saw the whole conversation, including the turn before the restart.
        assert model2.seen == [5, 7]
        assert [h.metadata["step"] for h in graph.get_state_history(config)][:5] == [8, 7, 6, 5, 4]
        # Other threads are untouched and independent.
        assert graph.get_state({"configurable": {"thread_id": "other"}}).values == {}


def test_time_travel_and_fork(db_dir: Path) -> None:
    config = {"configurable": {"thread_id": "t"}}
    model = ScriptedChatModel(
        responses=[tool_call("c1", 2, 3), AIMessage(content="five"), AIMessage(content="FIVE (retry)")]
    )
    with AgentDBSaver.from_path(db_dir) as saver:
        graph = agent_graph(model, saver)
        graph.invoke({"messages": [HumanMessage(content="2+3?")]}, config)
        history = list(graph.get_state_history(config))
        original_head = history[0]
        # The checkpoint after the tool ran, before the final answer.
        fork_point = next(
            h for h in history if h.next == ("agent",) and h.values["messages"][-1].type == "tool"
        )

        # Replay from the fork point: the agent runs again and answers differently.
        out = graph.invoke(None, fork_point.config)
        assert out["messages"][-1].content == "FIVE (retry)"
        head = graph.get_state(config)
        assert head.values["messages"][-1].content == "FIVE (retry)"
        # LangGraph records the replay as a "fork" checkpoint, a child of the fork point.
        fork = graph.get_state(head.parent_config)
        assert fork.metadata["source"] == "fork"
        assert (
            fork.parent_config["configurable"]["checkpoint_id"]
            == fork_point.config["configurable"]["checkpoint_id"]
        )
        assert fork.values == fork_point.values

        # The original branch is still there, unchanged, and shares the fork point as parent.
        old = graph.get_state(original_head.config)
        assert old.values["messages"][-1].content == "five"
        assert (
            old.parent_config["configurable"]["checkpoint_id"]
            == fork_point.config["configurable"]["checkpoint_id"]
        )

        # A manual edit of an old checkpoint is a fork too (source "update").
        edited = graph.update_state(fork_point.config, {"messages": [HumanMessage(content="note")]})
        edited_state = graph.get_state(edited)
        assert edited_state.metadata["source"] == "update"
        assert (
            edited_state.parent_config["configurable"]["checkpoint_id"]
            == fork_point.config["configurable"]["checkpoint_id"]
        )
        assert texts(edited_state.values["messages"])[-1] == "HumanMessage:note"
        # Three children of the fork point now: the original answer, the replay's fork and the edit.
        children = [
            h
            for h in graph.get_state_history(config)
            if h.parent_config
            and h.parent_config["configurable"]["checkpoint_id"]
            == fork_point.config["configurable"]["checkpoint_id"]
        ]
        assert len(children) == 3

        # A fork into a new thread: copy the thread, continue the copy alone.
        saver.copy_thread("t", "t-copy")
        copy_config = {"configurable": {"thread_id": "t-copy"}}
        assert graph.get_state(copy_config).values == graph.get_state(config).values
        graph.update_state(copy_config, {"messages": [HumanMessage(content="only in the copy")]})
        assert graph.get_state(copy_config).values["messages"][-1].content == "only in the copy"
        assert graph.get_state(config).values["messages"][-1].content == "note"


class ReviewState(TypedDict):
    request: str
    decision: str
    log: Annotated[List[str], operator.add]


def review_graph(saver: AgentDBSaver) -> Any:
    def draft(state: ReviewState) -> dict:
        return {"log": [f"drafted {state['request']}"]}

    def review(state: ReviewState) -> dict:
        answer = interrupt({"question": f"approve {state['request']}?"})
        return {"decision": answer, "log": [f"reviewed: {answer}"]}

    builder = StateGraph(ReviewState)
    builder.add_node("draft", draft)
    builder.add_node("review", review)
    builder.add_edge(START, "draft")
    builder.add_edge("draft", "review")
    builder.add_edge("review", END)
    return builder.compile(checkpointer=saver)


def test_interrupt_survives_restart_and_resumes(db_dir: Path) -> None:
    config = {"configurable": {"thread_id": "review-1"}}
    with AgentDBSaver.from_path(db_dir) as saver:
        graph = review_graph(saver)
        out = graph.invoke({"request": "refund", "decision": "", "log": []}, config)
        assert out["__interrupt__"][0].value == {"question": "approve refund?"}
        state = graph.get_state(config)
        assert state.next == ("review",)
        assert state.tasks[0].interrupts[0].value == {"question": "approve refund?"}

    with AgentDBSaver.from_path(db_dir) as saver:
        graph = review_graph(saver)
        state = graph.get_state(config)
        assert state.next == ("review",)  # the interrupt (a pending write) was persisted
        out = graph.invoke(Command(resume="yes"), config)
        assert out["decision"] == "yes"
        assert out["log"] == ["drafted refund", "reviewed: yes"]
        assert graph.get_state(config).next == ()


def test_subgraph_checkpoints_live_in_their_namespace(db_dir: Path) -> None:
    class Inner(TypedDict):
        question: str
        answer: str

    class Outer(TypedDict):
        question: str
        answer: str
        log: Annotated[List[str], operator.add]

    def ask(state: Inner) -> dict:
        return {"answer": f"{state['question']} -> {interrupt(state['question'])}"}

    inner = StateGraph(Inner)
    inner.add_node("ask", ask)
    inner.add_edge(START, "ask")
    sub = inner.compile()

    outer = StateGraph(Outer)
    outer.add_node("before", lambda s: {"log": ["before"]})
    outer.add_node("sub", sub)
    outer.add_node("after", lambda s: {"log": [f"after: {s['answer']}"]})
    outer.add_edge(START, "before")
    outer.add_edge("before", "sub")
    outer.add_edge("sub", "after")
    outer.add_edge("after", END)

    config = {"configurable": {"thread_id": "nested"}}
    with AgentDBSaver.from_path(db_dir) as saver:
        graph = outer.compile(checkpointer=saver)
        graph.invoke({"question": "6*7?", "answer": "", "log": []}, config)
        # list() without a namespace covers them all: the root's and the subgraph's.
        all_ns = {t.config["configurable"]["checkpoint_ns"] for t in saver.list(config)}
        assert "" in all_ns and any(ns.startswith("sub:") for ns in all_ns), all_ns
        root_only = {
            t.config["configurable"]["checkpoint_ns"]
            for t in saver.list({"configurable": {"thread_id": "nested", "checkpoint_ns": ""}})
        }
        assert root_only == {""}
        state = graph.get_state(config, subgraphs=True)
        assert state.next == ("sub",)
        assert state.tasks[0].state.next == ("ask",)
        assert state.tasks[0].state.values["question"] == "6*7?"

    with AgentDBSaver.from_path(db_dir) as saver:
        graph = outer.compile(checkpointer=saver)
        out = graph.invoke(Command(resume="42"), config)
        assert out["log"] == ["before", "after: 6*7? -> 42"]
        saver.delete_thread("nested")
        assert list(saver.list(config)) == []
        assert graph.get_state(config).values == {}


class ThreadRecordingState:
    """Wraps the state API and records the thread each call ran in."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.threads: set[int] = set()
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.threads.add(threading.get_ident())
            self.calls += 1
            return attr(*args, **kwargs)

        return call


def test_async_graph_runs_database_work_off_the_event_loop(db_dir: Path) -> None:
    db = agentdb.connect(db_dir)
    try:
        recorder = ThreadRecordingState(db.state)
        saver = AgentDBSaver(recorder)
        model = ScriptedChatModel(
            responses=[tool_call("c1", 20, 22), AIMessage(content="42"), AIMessage(content="still 42")]
        )
        graph = agent_graph(model, saver)
        config = {"configurable": {"thread_id": "async-1"}}

        async def main() -> tuple[int, Any, list]:
            loop_thread = threading.get_ident()
            out = await graph.ainvoke({"messages": [HumanMessage(content="20+22?")]}, config)
            out2 = await graph.ainvoke({"messages": [HumanMessage(content="sure?")]}, config)
            history = [s async for s in graph.aget_state_history(config)]
            return loop_thread, (out, out2), history

        loop_thread, (out, out2), history = asyncio.run(main())
        assert out["messages"][-1].content == "42"
        assert texts(out2["messages"])[-2:] == ["HumanMessage:sure?", "AIMessage:still 42"]
        assert model.seen == [1, 3, 5]
        # Per turn: the input checkpoint, then one per step (the tool turn has two more).
        assert [h.metadata["step"] for h in history] == [6, 5, 4, 3, 2, 1, 0, -1]
        assert recorder.calls > 0
        assert loop_thread not in recorder.threads
        # The sync API reads what the async one wrote.
        assert graph.get_state(config).values == history[0].values
    finally:
        db.close()


def test_list_filters_and_pagination_on_a_real_thread(db_dir: Path) -> None:
    model = ScriptedChatModel(responses=[AIMessage(content=f"answer {i}") for i in range(4)])
    with AgentDBSaver.from_path(db_dir) as saver:
        graph = agent_graph(model, saver)
        config = {"configurable": {"thread_id": "pages"}}
        for i in range(3):
            graph.invoke({"messages": [HumanMessage(content=f"q{i}")]}, config)
        every = list(saver.list(config))
        assert len(every) == 3 * 3  # per turn: the input, the start step, the agent step
        ids = [t.config["configurable"]["checkpoint_id"] for t in every]
        assert ids == sorted(ids, reverse=True)
        inputs = list(saver.list(config, filter={"source": "input"}))
        assert [t.metadata["step"] for t in inputs] == [5, 2, -1]
        page1 = list(saver.list(config, limit=3))
        page2 = list(saver.list(config, before=page1[-1].config, limit=3))
        assert [t.config["configurable"]["checkpoint_id"] for t in page1 + page2] == ids[:6]
        assert len(list(saver.list(config, before=every[-2].config))) == 1
        assert list(saver.list(config, filter={"source": "input", "step": 2}))[0].metadata["step"] == 2
        assert list(saver.list(config, filter={"source": "input", "step": 3})) == []
        assert list(saver.list(config, filter={"source": "nope"})) == []
        graph.invoke({"messages": [HumanMessage(content="q")]}, {"configurable": {"thread_id": "other"}})
        assert len(list(saver.list(None))) == 12  # every thread
        assert {t.config["configurable"]["thread_id"] for t in saver.list(None, filter={"step": -1})} == {
            "pages",
            "other",
        }


def test_saver_needs_a_database_or_its_state(db: Any) -> None:
    with pytest.raises(TypeError):
        AgentDBSaver(object())
    assert AgentDBSaver(db.state).get_tuple({"configurable": {"thread_id": "none"}}) is None
