"""The asyncio API: :func:`connect_async` and the ``Async*`` twins of the sync classes.

Quick start::

    import asyncio, numpy as np, agentdb

    async def main():
        async with agentdb.connect_async("./my-db") as db:
            docs = await db.get_or_create_collection("docs", dim=3)
            await docs.add(["a"], np.array([[1, 0, 0]], dtype=np.float32), documents=["first"])
            hits = await docs.search(np.array([1, 0, 0], dtype=np.float32), k=1)
            async for record in docs.iter(batch_size=1000):
                print(record.id)

    asyncio.run(main())

**One definition of each behaviour.** Every async method is its sync twin (same name, arguments,
result and errors: see :class:`agentdb.Database`, :class:`agentdb.Collection`,
:class:`agentdb.Memory`, :class:`agentdb.State`, :class:`agentdb.Rag`) run on a worker thread of
the database's pool (``agentdb._native.WorkerPool``: std threads in the extension that settle the
asyncio future with ``loop.call_soon_threadsafe``). The engine releases the GIL while it works, so
the event loop keeps running. The wrappers are generated from the ``_METHODS`` table of each class;
``tests/test_async.py`` checks every table against the public methods of the sync class, so a sync
method added without an async twin (or an explicit exclusion in ``_EXCLUDED``) fails a test.
Properties (``name``, ``dim``, ``closed``, …) are forwarded as plain properties: they read state
already in memory.

**Cancellation and timeouts.** Cancelling the task awaiting a call (or an ``asyncio.wait_for``
timeout) cancels the call's :class:`agentdb.cancel.CancelToken`: a long call (an index build,
``optimize``, backup, restore, verify, export or import, RAG ingest, a batch search) stops at its
next safe point with its work undone (no half backup or import; the old index serves on). Any
other call runs to completion and its result is dropped: a cancelled write is *done* (once, in
full: each engine write commits its batch atomically), never half done, and the database stays
usable. Await :meth:`AsyncDatabase.close` to wait for calls still running.

**Embedders.** An embedder given to :meth:`AsyncDatabase.memory`, :meth:`AsyncDatabase.rag` or
:meth:`AsyncDatabase.get_rag` whose ``__call__`` (or ``aembed_documents`` / ``aembed``) is a coroutine function is awaited on the
event loop; a sync embedder runs on the worker thread with the rest of the call.

**Threads.** Each :class:`AsyncDatabase` has its own pool of at most ``threads`` threads (default
``min(32, cpu_count + 4)``, as :class:`concurrent.futures.ThreadPoolExecutor`), started as
concurrency needs them; :meth:`AsyncDatabase.close` ends them. :func:`run` runs any sync callable
on a shared process-wide pool (the framework integrations use it).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import os
import threading
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, ClassVar, Dict, Mapping, Optional, Tuple, TypeVar

from . import _native
from .collection import Collection, Where
from .database import Database, PathLike
from .graph import Graph
from .memory import Memory
from .rag import Rag
from .results import Record
from .state import State

__all__ = [
    "AsyncCollection",
    "AsyncDatabase",
    "AsyncGraph",
    "AsyncMemory",
    "AsyncRag",
    "AsyncState",
    "connect_async",
    "run",
]

T = TypeVar("T")


def _resolve(future: "asyncio.Future[Any]", ok: bool, value: Any) -> None:
    """Settles ``future`` on its loop (called there by the worker pool); a cancelled future
    keeps its cancellation."""
    if future.done():
        return
    if ok:
        future.set_result(value)
        return
    try:
        future.set_exception(value)
    except TypeError:  # StopIteration cannot travel through a future
        future.set_exception(RuntimeError(f"{type(value).__name__} raised in an async call"))


def _default_threads() -> int:
    return min(32, (os.cpu_count() or 1) + 4)


class _Runner:
    """A worker pool and the asyncio side of it."""

    __slots__ = ("_pool",)

    def __init__(self, threads: Optional[int] = None) -> None:
        self._pool = _native.WorkerPool(_default_threads() if threads is None else threads, _resolve)

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> "asyncio.Future[T]":
        """``fn(*args, **kwargs)`` on a worker, in a copy of the caller's context (as
        :func:`asyncio.to_thread`), as a future of the running loop."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        ctx = contextvars.copy_context()
        self._pool.submit(loop, future, ctx.run, (fn, *args), kwargs or None)
        return future

    @property
    def threads(self) -> int:
        return self._pool.threads

    async def aclose(self) -> None:
        """Stops the pool once its queued calls are done and waits for its threads to exit."""
        loop = asyncio.get_running_loop()
        drained = loop.create_future()
        self._pool.shutdown(loop, drained)
        await asyncio.shield(drained)
        self._pool.join()


_shared: Optional[_Runner] = None
_shared_lock = threading.Lock()


def run(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> "asyncio.Future[T]":
    """Awaitable ``fn(*args, **kwargs)`` run on AgentDB's shared worker pool, off the event loop
    (what the framework integrations use instead of :func:`asyncio.to_thread`). Cancelling the
    await drops the result; a call already queued still runs to completion."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = _Runner()
    return _shared.run(fn, *args, **kwargs)


# -- embedders --------------------------------------------------------------------------------


def _coroutine_fn(obj: Any, *names: str) -> Optional[Callable[..., Any]]:
    for name in names:
        fn = obj if name == "__call__" and inspect.iscoroutinefunction(obj) else getattr(obj, name, None)
        if fn is not None and inspect.iscoroutinefunction(fn):
            return fn
    return None


class _LoopEmbedder:
    """A sync face for an async embedder: called on a worker thread (inside a sync call), it
    runs the embedder's coroutine on the event loop and waits for it."""

    def __init__(self, embedder: Any, documents: Callable[..., Any], loop: asyncio.AbstractEventLoop) -> None:
        self._embedder = embedder
        self._documents = documents
        self._query = _coroutine_fn(embedder, "aembed_query")
        self._loop = loop
        dim = getattr(embedder, "dim", None)
        if isinstance(dim, int):
            self.dim = dim

    def _wait(self, coro: Any) -> Any:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            coro.close()
            raise RuntimeError("an async embedder cannot be called synchronously on its own event loop")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def __call__(self, texts: Any) -> Any:
        return self._wait(self._documents(list(texts)))

    def embed_documents(self, texts: Any) -> Any:
        return self(texts)

    def embed_query(self, text: str) -> Any:
        if self._query is not None:
            return self._wait(self._query(text))
        return self([text])[0]

    def __repr__(self) -> str:
        return f"_LoopEmbedder({self._embedder!r})"


def _sync_embedder(embedder: Any, loop: asyncio.AbstractEventLoop) -> Any:
    if embedder is None or isinstance(embedder, str):
        return embedder
    documents = _coroutine_fn(embedder, "aembed_documents", "aembed", "__call__")
    return embedder if documents is None else _LoopEmbedder(embedder, documents, loop)


# -- the wrappers ------------------------------------------------------------------------------


def _async_method(sync_class: type, name: str, wrap: Optional[str]) -> Callable[..., Any]:
    """The async twin of ``sync_class.name``: the sync method run on the handle's worker pool,
    its result wrapped as ``_WRAPPERS[wrap]`` (if given); signature and docs are the sync one's.
    An ``embedder=`` argument that is async is adapted to be awaited on the calling loop."""
    sync_fn = getattr(sync_class, name)

    @functools.wraps(sync_fn)
    async def method(self: "_AsyncHandle", *args: Any, **kwargs: Any) -> Any:
        if "embedder" in kwargs:
            kwargs["embedder"] = _sync_embedder(kwargs["embedder"], asyncio.get_running_loop())
        # A token per call: a long call (an index build, a backup, an ingest...) stops at its
        # next safe point when the awaiting task is cancelled, instead of running on unseen.
        token = _native.CancelToken()
        try:
            result = await self._runner.run(token.run, self._call, name, args, kwargs)
        except asyncio.CancelledError:
            token.cancel()
            raise
        return result if wrap is None else _WRAPPERS[wrap](result, self._runner)

    method.__doc__ = f"Async :meth:`{sync_class.__module__}.{sync_class.__qualname__}.{name}`.\n\n" + (
        sync_fn.__doc__ or ""
    )
    return method


def _forward_property(name: str, sync_class: type) -> property:
    def get(self: "_AsyncHandle") -> Any:
        return getattr(self._target(), name)

    def set_(self: "_AsyncHandle", value: Any) -> None:
        setattr(self._target(), name, value)

    sync_prop = getattr(sync_class, name)
    return property(get, set_ if sync_prop.fset is not None else None, doc=sync_prop.__doc__)


class _AsyncHandle:
    """Base of the async classes: the sync object (or a factory of it, resolved on the first
    call, on a worker) and the runner its calls go to."""

    #: The sync class this one mirrors.
    _sync_class: ClassVar[type]
    #: Async method name → ``None`` (result as is) or the key in ``_WRAPPERS`` of the async class
    #: its result becomes (a ``Collection`` result is returned as an ``AsyncCollection``).
    _METHODS: ClassVar[Mapping[str, Optional[str]]]
    #: Public members of the sync class without an async method, and why.
    _EXCLUDED: ClassVar[Mapping[str, str]] = {}

    __slots__ = ("_sync", "_factory", "_lock", "_runner")

    if TYPE_CHECKING:
        # The generated methods are invisible to type checkers; this lets them through (as
        # ``Any``). A generated ``aio.pyi`` would type them exactly.
        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, sync: Any, runner: _Runner, *, factory: Optional[Callable[[], Any]] = None) -> None:
        self._sync = sync
        self._factory = factory
        self._lock = threading.Lock()
        self._runner = runner

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        for name, wrap in cls._METHODS.items():
            setattr(cls, name, _async_method(cls._sync_class, name, wrap))
        for name, member in vars(cls._sync_class).items():
            if isinstance(member, property) and not name.startswith("_") and name not in cls.__dict__:
                setattr(cls, name, _forward_property(name, cls._sync_class))

    def _target(self) -> Any:
        if self._sync is None:
            with self._lock:
                if self._sync is None:
                    assert self._factory is not None
                    self._sync = self._factory()
        return self._sync

    def _call(self, name: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        return getattr(self._target(), name)(*args, **kwargs)

    def as_sync(self) -> Any:
        """The sync object this one wraps (same handle, same data)."""
        return self._target()

    def __repr__(self) -> str:
        return f"Async{self._target()!r}" if self._sync is not None else f"<{type(self).__name__}>"


class AsyncCollection(_AsyncHandle):
    """Async :class:`agentdb.Collection` (from :meth:`AsyncDatabase.get_or_create_collection`)."""

    _sync_class = Collection
    _METHODS = {
        "add": None,
        "upsert": None,
        "delete": None,
        "get": None,
        "count": None,
        "create_index": None,
        "drop_index": None,
        "search": None,
        "optimize": None,
        "stats": None,
        "text_search": None,
        "hybrid_search": None,
        "stage": None,
        "commit_staged": None,
        "set_text_tokenizer": None,
    }
    _EXCLUDED = {"__len__": "cannot be awaited: use await count()"}
    __slots__ = ()

    async def iter(self, batch_size: int = 1000, *, where: Where = None) -> AsyncIterator[Record]:
        """The records (matching ``where``) in storage order, read ``batch_size`` per call with
        ``get(limit, offset)``. Writes made while iterating may shift the pages (a record may be
        seen twice or not at all), as with any offset paging."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            from .errors import InvalidArgumentTypeError

            raise InvalidArgumentTypeError(f"batch_size must be an int, got {type(batch_size).__name__}")
        if batch_size < 1:
            from .errors import InvalidArgumentError

            raise InvalidArgumentError(f"batch_size must be at least 1, got {batch_size}")
        offset = 0
        while True:
            page = await self.get(where=where, limit=batch_size, offset=offset)  # type: ignore[attr-defined]
            for record in page:
                yield record
            if len(page) < batch_size:
                return
            offset += len(page)


class AsyncMemory(_AsyncHandle):
    """Async :class:`agentdb.Memory` (from :meth:`AsyncDatabase.memory`)."""

    _sync_class = Memory
    _METHODS = {
        "remember": None,
        "remember_many": None,
        "update": None,
        "forget": None,
        "recall": None,
        "get": None,
        "count": None,
        "consolidate": None,
        "start_background": None,
        "stop_background": None,
        "last_background_run": None,
        "flush": None,
        "stats": None,
        "set_text_tokenizer": None,
    }
    _EXCLUDED = {"__len__": "cannot be awaited: use await count()"}

    def _call(self, name: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        # recall(graph=…) takes the sync Graph; an AsyncGraph stands for the one it wraps.
        if isinstance(kwargs.get("graph"), AsyncGraph):
            kwargs = {**kwargs, "graph": kwargs["graph"].as_sync()}
        return super()._call(name, args, kwargs)
    __slots__ = ()


class AsyncState(_AsyncHandle):
    """Async :class:`agentdb.State` (``AsyncDatabase.state``)."""

    _sync_class = State
    _METHODS = {
        "put": None,
        "put_many": None,
        "get": None,
        "get_version": None,
        "history": None,
        "delete": None,
        "snapshot": None,
        "keys": None,
        "sessions": None,
        "purge": None,
        "set_session_ttl": None,
        "session_ttl": None,
        "sweep": None,
        "flush": None,
        "put_checkpoint": None,
        "get_checkpoint": None,
        "list_checkpoints": None,
        "put_writes": None,
        "get_writes": None,
        "delete_thread": None,
        "stats": None,
    }
    __slots__ = ()


class AsyncRag(_AsyncHandle):
    """Async :class:`agentdb.Rag` (from :meth:`AsyncDatabase.rag`)."""

    _sync_class = Rag
    _METHODS = {
        "ingest": None,
        "ingest_documents": None,
        "ingest_file": None,
        "ingest_directory": None,
        "search": None,
        "context": None,
        "delete": None,
        "documents": None,
        "count": None,
        "update_text_index": None,
        "stats": None,
        "set_text_tokenizer": None,
    }
    _EXCLUDED = {"__len__": "cannot be awaited: use await count()"}
    __slots__ = ()


class AsyncGraph(_AsyncHandle):
    """Async :class:`agentdb.graph.Graph` (``AsyncDatabase.graph``)."""

    _sync_class = Graph
    _METHODS = {
        "add_entity": None,
        "add_entities": None,
        "declare_predicate": None,
        "predicates": None,
        "add_fact": None,
        "add_facts": None,
        "invalidate": None,
        "correct": None,
        "entity": None,
        "count": None,
        "fact": None,
        "fact_history": None,
        "facts": None,
        "neighbors": None,
        "shortest_path": None,
        "find_entities": None,
        "search_entities": None,
        "mentioned_entities": None,
        "facts_for_text": None,
        "flush": None,
    }
    __slots__ = ()


class AsyncDatabase(_AsyncHandle):
    """Async :class:`agentdb.Database`, from :func:`connect_async`; ``async with`` closes it."""

    _sync_class = Database
    _METHODS = {
        "flush": None,
        "create_collection": "collection",
        "get_collection": "collection",
        "get_or_create_collection": "collection",
        "list_collections": None,
        "drop_collection": None,
        "list_rags": None,
        "drop_rag": None,
        "list_memories": None,
        "drop_memory": None,
        "graph": "graph",
        "list_graphs": None,
        "drop_graph": None,
        "memory": "memory",
        "rag": "rag",
        "get_rag": "rag",
        "optimize": None,
        "store_kind": None,
        "export_store": None,
        "import_store": None,
        "import_lancedb": None,
        "import_chroma": None,
        "stats": None,
        "health": None,
        "metrics_text": None,
        "backup": None,
        "verify": None,
        "refresh": None,
    }
    # Written out below instead of generated: close (also ends the pool) and state (a property:
    # an AsyncState without I/O).
    _EXCLUDED = {
        "__enter__": "async with instead",
        "__exit__": "async with instead",
        "__contains__": "cannot be awaited: use name in await list_collections()",
    }
    __slots__ = ()

    @property
    def state(self) -> AsyncState:
        """The agent state of this database (see :attr:`agentdb.Database.state`)."""
        db = self._target()
        return AsyncState(None, self._runner, factory=lambda: db.state)

    async def close(self) -> None:
        """Closes the database (as :meth:`agentdb.Database.close`) once the calls already
        queued are done, then ends this database's worker threads. A second call does nothing."""
        if self._runner._pool.closed:
            return
        try:
            await self._runner.run(self._target().close)
        finally:
            await self._runner.aclose()

    async def __aenter__(self) -> "AsyncDatabase":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


_WRAPPERS: Dict[str, Callable[[Any, _Runner], Any]] = {
    "collection": AsyncCollection,
    "memory": AsyncMemory,
    "graph": AsyncGraph,
    "rag": AsyncRag,
    "state": AsyncState,
}


class _Connecting:
    """What :func:`connect_async` returns: awaitable (``db = await connect_async(p)``) and an
    async context manager (``async with connect_async(p) as db``) that closes on exit."""

    __slots__ = ("_open", "_db")

    def __init__(self, open_: Callable[[], Any]) -> None:
        self._open = open_
        self._db: Optional[AsyncDatabase] = None

    def __await__(self) -> Any:
        return self._open().__await__()

    async def __aenter__(self) -> AsyncDatabase:
        self._db = await self._open()
        return self._db

    async def __aexit__(self, *exc: Any) -> None:
        if self._db is not None:
            await self._db.close()


def connect_async(
    path: PathLike,
    *,
    sync: Optional[str] = None,
    read_only: bool = False,
    payload_cache_bytes: Optional[int] = None,
    threads: Optional[int] = None,
    storage_options: Optional[Mapping[str, str]] = None,
    wal_dir: Optional[PathLike] = None,
    lease_ttl: Optional[float] = None,
    read_consistency_interval: Optional[float] = None,
) -> "_Connecting":
    """Opens (creating if needed) the database in directory ``path`` without blocking the event
    loop: the arguments and errors of :func:`agentdb.connect`, plus ``threads``, the most worker
    threads its calls run on (default ``min(32, cpu_count + 4)``). Await it for an
    :class:`AsyncDatabase`, or use it in ``async with``."""

    async def open_() -> AsyncDatabase:
        runner = _Runner(threads)
        try:
            db = await runner.run(
                Database,
                path,
                sync=sync,
                read_only=read_only,
                payload_cache_bytes=payload_cache_bytes,
                storage_options=storage_options,
                wal_dir=wal_dir,
                lease_ttl=lease_ttl,
                read_consistency_interval=read_consistency_interval,
            )
        except BaseException:
            await runner.aclose()
            raise
        return AsyncDatabase(db, runner)

    return _Connecting(open_)
