"""Fixtures and settings for the framework integration tests (LangChain, LlamaIndex, ...).

Framework test suites (``langchain_tests``) write their async tests as bare ``async def``
methods and expect pytest-asyncio's ``asyncio_mode = auto``. Setting that mode in the project's
pytest configuration would change how every other test directory is collected, so this
directory gets the same effect on its own: each coroutine test collected below it is marked
``asyncio`` before pytest-asyncio decides whether to run it in an event loop.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any, Generator, List

import pytest


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_pycollect_makeitem(collector: Any, name: str, obj: object) -> Generator[None, Any, None]:
    # trylast makes this wrapper run inside pytest-asyncio's, so the mark is already there when
    # pytest-asyncio looks at the collected items.
    outcome = yield
    result = outcome.get_result()
    items = result if isinstance(result, list) else [result]
    for item in items:
        if isinstance(item, pytest.Function) and inspect.iscoroutinefunction(getattr(item, "obj", None)):
            item.add_marker(pytest.mark.asyncio)


@pytest.fixture
def engine_call_threads(monkeypatch: pytest.MonkeyPatch) -> List[int]:
    """The ids of the threads that call the engine's collection methods during the test (to
    check that async APIs keep those calls off the event loop's thread)."""
    import agentdb

    seen: List[int] = []
    for name in ("upsert", "search", "get", "delete", "count"):
        original = getattr(agentdb.Collection, name)

        def spy(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            seen.append(threading.get_ident())
            return __original(self, *args, **kwargs)

        monkeypatch.setattr(agentdb.Collection, name, spy)
    return seen
