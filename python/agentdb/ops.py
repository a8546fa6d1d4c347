"""Running AgentDB in production: stats, health, metrics and logging.

Everything here is computed by the engine and is cheap: Lance manifests, directory listings and
in-memory counters; nothing scans rows, flushes buffers or opens a store that is not open.

- :meth:`Database.stats <agentdb.Database.stats>` — what every table holds (rows, fragments,
  Lance versions, bytes on disk), the write-ahead log's size and flush lag, open handles, and for
  each collection open in this process its buffer, mirror, payload cache and index.
  ``Collection.stats()``, ``Memory.stats()``, ``Rag.stats()`` and ``State.stats()`` give one
  store's figures.
- :meth:`Database.health <agentdb.Database.health>` — open, writable, log replayed, background
  flusher and consolidation alive, the last storage error; no disk access, cheap enough to call
  every second.
- :meth:`Database.metrics_text <agentdb.Database.metrics_text>` — per-operation call counters,
  latency histograms and errors by kind in the Prometheus text exposition format (every name
  starts with ``agentdb_``); ``agentdb metrics --db PATH --port N`` serves it. Recording costs a
  few atomic increments per call; ``AGENTDB_METRICS=off`` in the environment (or
  ``db.metrics_enabled = False``) turns it off.
- Logging: the engine's records (open and log replay, flushes, compaction, index builds, damaged
  records) go to Python's :mod:`logging` under the ``agentdb`` logger (``agentdb.db``,
  ``agentdb.collection.maintenance``, …). Quiet by default: at Python's default level only
  warnings and errors show; ``logging.getLogger("agentdb").setLevel(logging.DEBUG)`` shows the
  rest. Records are handed over by a background thread; :func:`flush_logs` waits for it.
"""

from __future__ import annotations

import atexit
from typing import List, Optional, TypedDict

from . import _native

__all__ = [
    "TableStats",
    "IndexStats",
    "CollectionStats",
    "StoreStats",
    "WalStats",
    "MemoryHealth",
    "MemoryStats",
    "RagStats",
    "DbStats",
    "LastError",
    "Health",
    "flush_logs",
]


class TableStats(TypedDict):
    """One Lance table, from its manifest and directory listing."""

    rows: int
    """Rows stored (flushed to Lance), deleted ones excluded."""
    deleted_rows: int
    """Rows deleted but still stored until compaction."""
    fragments: int
    small_fragments: int
    """Fragments small enough that compaction would merge them."""
    version: int
    """The table's current Lance version."""
    versions: int
    """Lance versions kept on disk."""
    disk_bytes: int
    lance_indices: int


class IndexStats(TypedDict):
    """A collection's vector index."""

    kind: Optional[str]
    """``None`` (no index: searches scan), ``"hnsw"`` or ``"ivf_pq"``."""
    state: str
    """``none``; HNSW: ``in_memory``, ``unsaved`` (changed since saved) or ``not_loaded``;
    IVF_PQ: ``on_disk``."""
    memory_bytes: int
    unindexed_rows: Optional[int]
    """IVF_PQ: rows added since it was trained (searched exhaustively); ``None`` for HNSW,
    which every write keeps current."""


class CollectionStats(TypedDict):
    """What a collection holds on disk and in this process (``Collection.stats()``)."""

    name: str
    kind: str
    """``collection``, or ``internal`` for the engine's own (behind memory stores and RAG)."""
    dim: int
    metric: str
    rows: int
    """Rows in Lance; writes still buffered are in ``buffered_writes``."""
    deleted_rows: int
    fragments: int
    small_fragments: int
    version: int
    versions: int
    disk_bytes: int
    buffered_writes: int
    """Logged writes not yet flushed to Lance (about a second's worth at most)."""
    mirror_rows: Optional[int]
    """Live rows in the vector mirror, buffered writes included; ``None`` until a search
    loads it."""
    mirror_bytes: int
    mirror_mapped_bytes: int
    payload_cache_bytes: int
    index: IndexStats


class StoreStats(TypedDict):
    """One table of a database, in :class:`DbStats`."""

    name: str
    """The name the user knows it by (collection, memory store or RAG store)."""
    kind: str
    """``collection``, ``memory``, ``rag``, ``state`` or ``internal``."""
    table_name: str
    table: TableStats
    open: Optional[CollectionStats]
    """In-memory figures of a collection open in this process, else ``None``."""


class WalStats(TypedDict):
    """The write-ahead log."""

    sync_mode: str
    bytes: int
    unflushed_streams: int
    flush_lag_seconds: float


class MemoryHealth(TypedDict):
    """An open memory store's background work."""

    name: str
    consolidation_alive: Optional[bool]
    """Whether its background consolidation runs; ``None``: it has none."""
    last_consolidation_error: Optional[str]
    pending_writes: int
    """Access statistics (touches) not yet written."""


class MemoryStats(TypedDict):
    """``Memory.stats()``."""

    name: str
    memories: int
    """Memories held now, written or not yet flushed, minus the forgotten."""
    collection: CollectionStats
    health: MemoryHealth


class RagStats(TypedDict):
    """``Rag.stats()``."""

    name: str
    chunks: CollectionStats


class DbStats(TypedDict):
    """``Database.stats()``."""

    path: str
    read_only: bool
    stores: List[StoreStats]
    """Every table, sorted by kind then name."""
    wal: Optional[WalStats]
    """``None`` when read-only."""
    memories: List[MemoryHealth]
    open_handles: int
    open_collections: int
    rows: int
    disk_bytes: int
    memory_bytes: int
    """Mirror, index and payload cache memory of the open collections."""
    total_disk_bytes: int
    """Every file under the database directory."""


class LastError(TypedDict):
    operation: str
    kind: str
    message: str
    at_micros: int


class Health(TypedDict):
    """``Database.health()``."""

    status: str
    """``ok``; ``degraded`` (a background thread stopped, or a storage error happened: see
    ``last_error``); ``closed``."""
    open: bool
    writable: bool
    wal_replay: str
    """``done`` (replayed at open) or ``none`` (read-only)."""
    replayed_records: int
    open_seconds: float
    flusher_alive: Optional[bool]
    flusher_heartbeat_age_seconds: Optional[float]
    consolidation_alive: Optional[bool]
    last_error: Optional[LastError]
    uptime_seconds: float


def flush_logs() -> None:
    """Waits until every engine log record so far has reached Python's :mod:`logging`."""
    _native.flush_logs()


# A background thread must not take the GIL while the interpreter finalizes.
atexit.register(_native.stop_logging)
