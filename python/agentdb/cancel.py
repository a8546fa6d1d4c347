"""Cancelling long calls from another thread: :class:`CancelToken`.

Long calls (``Collection.create_index`` and ``optimize``, ``Database.optimize``, backup, restore,
verify, export and import, ``Rag.ingest``, ``Collection.search_batch``) look at the token of the
thread they run on at safe points: between files, batches, documents or chunks of queries, never
inside a commit. Cancelled, they raise :class:`agentdb.errors.CancelledError` with what they had
started undone: a cancelled backup leaves no backup point, a cancelled import no store, a
cancelled index build the old index serving. Other calls ignore the token.

Example (the call on a worker thread, the cancel from here)::

    token = agentdb.CancelToken()
    worker = threading.Thread(target=token.run, args=(docs.create_index,), kwargs={"kind": "hnsw"})
    worker.start()
    token.cancel()          # create_index raises CancelledError on the worker

The async API (:mod:`agentdb.aio`) makes a token for each call and cancels it when the task
awaiting the call is cancelled (``task.cancel()``, an ``asyncio.wait_for`` timeout).
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from . import _native

__all__ = ["CancelToken"]

T = TypeVar("T")


class CancelToken:
    """A flag that cancels the long calls made inside :meth:`run`. Thread-safe: :meth:`cancel`
    is meant to be called from another thread (or a signal handler's thread) while :meth:`run`
    works."""

    __slots__ = ("_native",)

    def __init__(self) -> None:
        self._native = _native.CancelToken()

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on this thread with the token attached: the AgentDB calls it
        makes stop with :class:`~agentdb.errors.CancelledError` once the token is cancelled (a
        token already cancelled stops the first long call at once)."""
        return self._native.run(fn, *args, **kwargs)  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Asks the calls running under this token to stop at their next safe point. Idempotent;
        a call already finished is not affected."""
        self._native.cancel()

    def reset(self) -> None:
        """Clears the flag, so the token can serve another call."""
        self._native.reset()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called (and :meth:`reset` not since)."""
        return self._native.cancelled

    def __repr__(self) -> str:
        return f"CancelToken(cancelled={self.cancelled})"
