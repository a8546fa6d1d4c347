"""A LangGraph checkpointer (``BaseCheckpointSaver``) on AgentDB's checkpoint store (``db.state``).

::

    from agentdb.integrations.langgraph import AgentDBSaver

    with AgentDBSaver.from_path("./agent-db") as saver:
        graph = builder.compile(checkpointer=saver)
        graph.invoke(inputs, {"configurable": {"thread_id": "t1"}})

Storage mapping (one AgentDB checkpoint row per LangGraph checkpoint):

* ``thread_id`` / ``checkpoint_ns`` / ``checkpoint["id"]`` / parent id are the row's keys, so
  "latest" (the greatest id: LangGraph ids are time-ordered uuid6), ``before=`` and the parent
  chain are answered by the engine.
* The payload is the saver's ``serde.dumps_typed`` of the whole checkpoint *and* its metadata,
  so every value LangGraph's serializer handles round-trips exactly. The checkpoint is stored
  whole, like LangGraph's SQLite saver (not split into per-channel blobs like the Postgres one):
  one read rebuilds it, at the cost of repeating unchanged channels in every checkpoint.
* The metadata is also stored as JSON (the JSON-representable part of it), which is what
  ``list(filter=...)`` matches against; results are checked again against the exact metadata.
* Pending writes are rows of their own keyed by ``(task_id, idx)``; special channels (errors,
  interrupts...) use LangGraph's negative indices and are replaced, while a regular write that
  already exists is kept (LangGraph's rule: a task's first result wins). The engine applies
  these rules and returns writes in LangGraph's replay order.

The async methods run the same code in a worker thread (:func:`agentdb.aio.run`, AgentDB's worker pool): they never block
the event loop.
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Optional, Union

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    SerializerProtocol,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
)

from ... import aio as _aio

__all__ = ["AgentDBSaver"]


def _state_of(db: Any) -> Any:
    """``db.state`` of a Database, or ``db`` itself if it already is the state API."""
    if hasattr(db, "put_checkpoint"):
        return db
    state = getattr(db, "state", None)
    if not hasattr(state, "put_checkpoint"):
        raise TypeError(f"expected an agentdb.Database or its .state, got {type(db).__name__}")
    return state


def _json_safe(value: Any) -> tuple[bool, Any]:
    """``(True, v)`` with ``v`` plain JSON (tuples become lists), or ``(False, None)`` when the
    value has no JSON form (an object, a non-finite float, a non-str key)."""
    if value is None or isinstance(value, (bool, str)):
        return True, value
    if isinstance(value, int):
        return True, value
    if isinstance(value, float):
        return (True, value) if math.isfinite(value) else (False, None)
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            ok, j = _json_safe(v)
            if not ok:
                return False, None
            out.append(j)
        return True, out
    if isinstance(value, dict):
        obj = {}
        for k, v in value.items():
            if not isinstance(k, str):
                return False, None
            ok, j = _json_safe(v)
            if not ok:
                return False, None
            obj[k] = j
        return True, obj
    return False, None


def _json_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``metadata`` whose values have a JSON form: what the engine stores as the
    row's (filterable) JSON metadata. The exact metadata travels in the payload."""
    out = {}
    for k, v in metadata.items():
        ok, j = _json_safe(v)
        if ok:
            out[k] = j
    return out


def _matches(metadata: dict[str, Any], filter: dict[str, Any]) -> bool:
    """LangGraph's filter rule (as in ``InMemorySaver``): every key equals the query value."""
    return all(metadata.get(k) == v for k, v in filter.items())


def _config(thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> RunnableConfig:
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
            "checkpoint_id": checkpoint_id,
        }
    }


class AgentDBSaver(BaseCheckpointSaver[Union[int, float, str]]):
    """LangGraph checkpointer storing checkpoints and pending writes in an AgentDB database.

    Sync and async (``aget_tuple``, ``alist``, ``aput``, ``aput_writes``, ``adelete_thread``,
    ``acopy_thread``) methods share one implementation; the async ones run it off the event
    loop. Checkpoints are durable when ``put`` returns (per the database's sync mode) and are
    visible to every process that opens the database.

    Args:
        db: an open :class:`agentdb.Database` (its ``state`` API is used), or that ``state``
            object itself. The saver does not close a database it was given.
        serde: LangGraph serializer for checkpoints and writes (default: LangGraph's
            ``JsonPlusSerializer``).
    """

    def __init__(self, db: Any, *, serde: Optional[SerializerProtocol] = None) -> None:
        super().__init__(serde=serde)
        self._db = db
        self._state = _state_of(db)
        self._owned: Any = None

    @classmethod
    def from_path(
        cls,
        path: Union[str, "os.PathLike[str]"],
        *,
        serde: Optional[SerializerProtocol] = None,
        sync: Optional[str] = None,
        read_only: bool = False,
    ) -> "AgentDBSaver":
        """Opens (creating if needed) the database at ``path`` for this saver alone (``sync`` and
        ``read_only`` as for :func:`agentdb.open`); the saver closes it in :meth:`close` (or on
        leaving a ``with`` block)."""
        import agentdb

        db = agentdb.open(path, sync=sync, read_only=read_only)
        try:
            saver = cls(db, serde=serde)
        except BaseException:
            db.close()
            raise
        saver._owned = db
        return saver

    def close(self) -> None:
        """Closes the database if :meth:`from_path` opened it; otherwise does nothing."""
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> "AgentDBSaver":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def __aenter__(self) -> "AgentDBSaver":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await _aio.run(self.close)

    # -- reading ----------------------------------------------------------------------------

    def _decode(self, row: Any) -> tuple[Checkpoint, CheckpointMetadata]:
        packed = self.serde.loads_typed((row.type, bytes(row.checkpoint)))
        return packed["checkpoint"], packed["metadata"]

    def _writes(self, thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> list[tuple[str, str, Any]]:
        # The engine returns them in LangGraph's replay order, (task_path, task_id, idx).
        rows = self._state.get_writes(thread_id, checkpoint_ns, checkpoint_id)
        return [(w.task_id, w.channel, self.serde.loads_typed((w.type, bytes(w.value)))) for w in rows]

    def _tuple(self, row: Any, checkpoint: Checkpoint, metadata: CheckpointMetadata) -> CheckpointTuple:
        ns = row.namespace or ""
        return CheckpointTuple(
            config=_config(row.thread_id, ns, row.checkpoint_id),
            checkpoint=checkpoint,
            metadata=metadata,
            parent_config=_config(row.thread_id, ns, row.parent_id) if row.parent_id else None,
            pending_writes=self._writes(row.thread_id, ns, row.checkpoint_id),
        )

    def get_tuple(self, config: RunnableConfig) -> Optional[CheckpointTuple]:
        """The checkpoint named by ``config`` (``thread_id``, ``checkpoint_ns``, and
        ``checkpoint_id``, or the thread's latest checkpoint in that namespace when the id is
        absent), with its pending writes; ``None`` if there is none."""
        conf = config["configurable"]
        row = self._state.get_checkpoint(
            str(conf["thread_id"]),
            namespace=conf.get("checkpoint_ns", "") or "",
            checkpoint_id=get_checkpoint_id(config),
        )
        if row is None:
            return None
        checkpoint, metadata = self._decode(row)
        return self._tuple(row, checkpoint, metadata)

    def _list_rows(
        self,
        config: Optional[RunnableConfig],
        filter: Optional[dict[str, Any]],
        before: Optional[RunnableConfig],
        limit: Optional[int],
    ) -> list[tuple[Any, Checkpoint, CheckpointMetadata]]:
        conf = (config or {}).get("configurable", {})
        thread_id = conf.get("thread_id")
        namespace = conf.get("checkpoint_ns")
        only_id = conf.get("checkpoint_id")
        before_id = get_checkpoint_id(before) if before else None
        if limit is not None and limit <= 0:
            return []

        def fetch(engine_limit: Optional[int], engine_filter: Optional[dict[str, Any]]) -> list[Any]:
            return self._state.list_checkpoints(
                None if thread_id is None else str(thread_id),
                namespace=namespace,
                before=before_id,
                limit=engine_limit,
                metadata=engine_filter,
            )

        # The engine filters on the JSON metadata; the exact metadata (decoded from the payload)
        # has the last word. A filter value with no JSON form cannot be matched by the engine, so
        # it is left to Python alone, and so is the limit whenever Python may drop rows.
        json_filter = None
        python_only = False
        if filter:
            ok, json_filter = _json_safe(filter)
            python_only = not ok
            if python_only:
                json_filter = None
        engine_limit = limit if only_id is None and not python_only else None

        def select(rows: list[Any]) -> tuple[list[tuple[Any, Checkpoint, CheckpointMetadata]], bool]:
            out, dropped = [], False
            for row in rows:
                if only_id is not None and row.checkpoint_id != only_id:
                    continue
                checkpoint, metadata = self._decode(row)
                if filter and not _matches(metadata, filter):
                    dropped = True
                    continue
                out.append((row, checkpoint, metadata))
                if limit is not None and len(out) >= limit:
                    break
            return out, dropped

        out, dropped = select(fetch(engine_limit, json_filter))
        if dropped and engine_limit is not None:
            # The engine's JSON match was looser than LangGraph's exact one (a tuple equals a
            # list in JSON): the limit has to be applied here instead.
            out, _ = select(fetch(None, json_filter))
        return out

    def list(
        self,
        config: Optional[RunnableConfig],
        *,
        filter: Optional[dict[str, Any]] = None,
        before: Optional[RunnableConfig] = None,
        limit: Optional[int] = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints, newest first: of ``config``'s thread (all threads if ``config`` is
        ``None``) and, if it names one, of its ``checkpoint_ns`` only; whose metadata has every
        ``filter`` key equal to the given value; older than ``before``'s checkpoint; at most
        ``limit`` of them."""
        for row, checkpoint, metadata in self._list_rows(config, filter, before, limit):
            yield self._tuple(row, checkpoint, metadata)

    # -- writing ----------------------------------------------------------------------------

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Stores ``checkpoint`` as a child of ``config``'s checkpoint (if it names one) and
        returns the config that addresses the new checkpoint."""
        conf = config["configurable"]
        thread_id = str(conf["thread_id"])
        checkpoint_ns = conf.get("checkpoint_ns", "") or ""
        parent_id = conf.get("checkpoint_id")
        md = get_serializable_checkpoint_metadata(config, metadata)
        type_, payload = self.serde.dumps_typed({"checkpoint": checkpoint, "metadata": md})
        self._state.put_checkpoint(
            thread_id,
            checkpoint["id"],
            payload,
            namespace=checkpoint_ns,
            parent_id=parent_id,
            metadata=_json_metadata(md),
            type=type_,
        )
        return _config(thread_id, checkpoint_ns, checkpoint["id"])

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Stores the writes of task ``task_id`` against ``config``'s checkpoint, atomically. A
        regular write already stored for the same ``(task_id, index)`` is kept; special channels
        (error, interrupt, ...) use LangGraph's negative indices and are replaced (the engine
        applies both rules)."""
        conf = config["configurable"]
        encoded = []
        for idx, (channel, value) in enumerate(writes):
            type_, blob = self.serde.dumps_typed(value)
            encoded.append((WRITES_IDX_MAP.get(channel, idx), channel, type_, blob))
        self._state.put_writes(
            str(conf["thread_id"]),
            conf.get("checkpoint_ns", "") or "",
            conf["checkpoint_id"],
            task_id,
            encoded,
            task_path,
        )

    def delete_thread(self, thread_id: str) -> None:
        """Deletes every checkpoint and write of the thread (all namespaces). A thread with
        nothing stored is not an error."""
        self._state.delete_thread(str(thread_id))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copies every checkpoint (all namespaces, with parents, metadata and pending writes)
        of one thread to another thread, e.g. to branch a conversation off into a new thread."""
        src, dst = str(source_thread_id), str(target_thread_id)
        rows = self._state.list_checkpoints(src)
        # Oldest first, so that a reader of the target never sees a child without its parent.
        for row in reversed(rows):
            ns = row.namespace or ""
            self._state.put_checkpoint(
                dst,
                row.checkpoint_id,
                bytes(row.checkpoint),
                namespace=ns,
                parent_id=row.parent_id,
                metadata=row.metadata,
                type=row.type,
            )
            by_task: dict[tuple[str, str], list[tuple[int, str, str, bytes]]] = {}
            for w in self._state.get_writes(src, ns, row.checkpoint_id):
                by_task.setdefault((w.task_id, w.task_path or ""), []).append(
                    (w.idx, w.channel, w.type, bytes(w.value))
                )
            for (task_id, task_path), ws in by_task.items():
                self._state.put_writes(dst, ns, row.checkpoint_id, task_id, ws, task_path)

    # -- async twins: the same code in a worker thread ----------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> Optional[CheckpointTuple]:
        """Async :meth:`get_tuple` (runs in a worker thread)."""
        return await _aio.run(self.get_tuple, config)

    async def alist(
        self,
        config: Optional[RunnableConfig],
        *,
        filter: Optional[dict[str, Any]] = None,
        before: Optional[RunnableConfig] = None,
        limit: Optional[int] = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """Async :meth:`list` (reads run in a worker thread)."""
        rows = await _aio.run(self._list_rows, config, filter, before, limit)
        for row, checkpoint, metadata in rows:
            yield await _aio.run(self._tuple, row, checkpoint, metadata)

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Async :meth:`put` (runs in a worker thread)."""
        return await _aio.run(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Async :meth:`put_writes` (runs in a worker thread)."""
        await _aio.run(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        """Async :meth:`delete_thread` (runs in a worker thread)."""
        await _aio.run(self.delete_thread, thread_id)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Async :meth:`copy_thread` (runs in a worker thread)."""
        await _aio.run(self.copy_thread, source_thread_id, target_thread_id)
