"""OpenAI Agents SDK: :class:`agentdb.integrations.openai_agents.AgentDBSession` driven by the SDK's
own ``Runner`` with an offline fake model (as the SDK's tests do, on its ``Model`` interface).

Two turns run; the session holds their items, the second turn's model input carries the first
turn (the runner read the history back from AgentDB); the conversation survives closing and
reopening the database; pop and clear work; bad input raises ``agentdb.errors`` exceptions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, List

import pytest

pytest.importorskip("agents")

from agents import Agent, Runner, set_tracing_disabled  # noqa: E402
from agents.items import ModelResponse  # noqa: E402
from agents.memory.session_settings import SessionSettings  # noqa: E402
from agents.models.interface import Model  # noqa: E402
from agents.usage import Usage  # noqa: E402
from openai.types.responses import ResponseOutputMessage, ResponseOutputText  # noqa: E402

import agentdb  # noqa: E402
from agentdb.errors import ClosedError, InvalidArgumentError, InvalidArgumentTypeError  # noqa: E402
from agentdb.integrations.openai_agents import AgentDBSession  # noqa: E402

# Offline: the SDK would otherwise try to export traces to OpenAI.
set_tracing_disabled(True)


class FakeModel(Model):
    """Answers each call with the next canned text and records the input it was given."""

    def __init__(self, replies: List[str]) -> None:
        self.replies = list(replies)
        self.inputs: List[Any] = []

    async def get_response(self, system_instructions: Any, input: Any, model_settings: Any, tools: Any,
                           output_schema: Any, handoffs: Any, tracing: Any, **kwargs: Any) -> ModelResponse:
        self.inputs.append(input)
        n = len(self.inputs)
        msg = ResponseOutputMessage(
            id=f"msg_{n}", type="message", role="assistant", status="completed",
            content=[ResponseOutputText(type="output_text", text=self.replies.pop(0), annotations=[])],
        )
        return ModelResponse(output=[msg], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError("the test does not stream")


def texts(items: List[Any]) -> List[str]:
    """Each item's text: user inputs are plain strings, assistant outputs lists of parts."""
    out = []
    for item in items:
        content = item["content"]
        out.append(content if isinstance(content, str) else content[0]["text"])
    return out


async def test_two_turns_restart_pop_and_clear(tmp_path: Path) -> None:
    path = tmp_path / "db"
    model = FakeModel(["Hello Ada.", "You said your name is Ada."])
    agent = Agent(name="helper", instructions="Be brief.", model=model)
    with agentdb.connect(path) as db:
        session = AgentDBSession("conv-1", db)
        r1 = await Runner.run(agent, "Hi, I am Ada.", session=session)
        assert r1.final_output == "Hello Ada."
        r2 = await Runner.run(agent, "What is my name?", session=session)
        assert r2.final_output == "You said your name is Ada."
        # The runner fed the first turn, read back from AgentDB, into the second model call.
        assert texts(model.inputs[1]) == ["Hi, I am Ada.", "Hello Ada.", "What is my name?"]
        items = await session.get_items()
        assert texts(items) == ["Hi, I am Ada.", "Hello Ada.", "What is my name?", "You said your name is Ada."]
        assert [i["role"] for i in items] == ["user", "assistant", "user", "assistant"]
        assert texts(await session.get_items(limit=2)) == ["What is my name?", "You said your name is Ada."]
        assert await session.get_items(limit=0) == []
        # Another conversation (and another agent id) is separate.
        assert await AgentDBSession("conv-2", db).get_items() == []
        assert await AgentDBSession("conv-1", db, agent_id="other").get_items() == []
        assert AgentDBSession("conv-1", db.state).session_id == "conv-1"

    with agentdb.connect(path) as db:
        session = AgentDBSession("conv-1", db, session_settings=SessionSettings(limit=3))
        assert len(await session.get_items()) == 3  # the settings' default limit
        items = await session.get_items(limit=10)
        assert texts(items) == ["Hi, I am Ada.", "Hello Ada.", "What is my name?", "You said your name is Ada."]
        # A third turn after the restart sees the whole conversation.
        model3 = FakeModel(["Still Ada."])
        await Runner.run(Agent(name="helper", model=model3), "And now?", session=AgentDBSession("conv-1", db))
        assert texts(model3.inputs[0])[:2] == ["Hi, I am Ada.", "Hello Ada."]
        assert len(await session.get_items(limit=100)) == 6

        popped = await session.pop_item()
        assert popped is not None and texts([popped]) == ["Still Ada."]
        assert texts(await session.get_items(limit=100))[-1] == "And now?"
        await session.add_items([{"role": "user", "content": "appended after a pop"}])
        assert texts(await session.get_items(limit=1)) == ["appended after a pop"]

        await session.clear_session()
        assert await session.get_items() == []
        assert await session.pop_item() is None
        assert db.state.sessions("openai-agents") == []

    with agentdb.connect(path) as db:
        assert await AgentDBSession("conv-1", db).get_items() == []


async def test_bad_input_raises_agentdb_errors(tmp_path: Path) -> None:
    with agentdb.connect(tmp_path / "db") as db:
        session = AgentDBSession("s", db)
        with pytest.raises(InvalidArgumentTypeError):
            await session.add_items("not a list")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentTypeError):
            await session.add_items([{"role": "user", "content": "ok"}, "not a dict"])  # type: ignore[list-item]
        with pytest.raises(InvalidArgumentError):
            await session.add_items([{"role": "user", "content": "ok"}, {"role": "user", "content": object()}])
        assert await session.get_items() == []  # nothing of the refused batches was written
        with pytest.raises(InvalidArgumentError):
            await session.get_items(limit=-1)
        with pytest.raises(InvalidArgumentTypeError):
            await session.get_items(limit="5")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError):
            AgentDBSession("", db)
        with pytest.raises(InvalidArgumentTypeError):
            AgentDBSession(7, db)  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentTypeError):
            AgentDBSession("s", object())
    with pytest.raises(ClosedError):
        await session.get_items()
    with agentdb.connect(tmp_path / "db", read_only=True) as ro:
        with pytest.raises(agentdb.errors.ReadOnlyError):
            await AgentDBSession("s", ro).add_items([{"role": "user", "content": "x"}])
