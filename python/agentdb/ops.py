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
  rest. Records are handed over by a background thread within moments; :func:`flush_logs`
  hands over what is queued at once.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, List, Optional, TypedDict

from . import _native

if TYPE_CHECKING:
    from .database import Database

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
    "MetricsServer",
    "serve_metrics",
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


_emit_lock = threading.Lock()


def _emit_queued() -> None:
    """Hands the engine's queued log records to :mod:`logging` (in the order they were logged:
    one drain at a time)."""
    with _emit_lock:
        dropped, records = _native.log_drain()
        if dropped:
            logging.getLogger("agentdb").warning(
                "agentdb: %d log record(s) dropped (Python's logging fell behind)", dropped
            )
        for level, name, message in records:
            logger = logging.getLogger(name)
            if logger.isEnabledFor(level):
                logger.log(level, message)


def flush_logs() -> None:
    """Hands every engine log record so far to Python's :mod:`logging` now, on this thread (a
    background thread does it anyway within moments; tests and short scripts call this)."""
    _emit_queued()


def _pump(fd: int) -> None:
    # Blocks in CPython's own os.read with the GIL released, so the interpreter may finalize
    # around it at any time (see rust/python/src/ops.rs for why no engine thread does this).
    while True:
        try:
            if not os.read(fd, 4096):
                return
        except InterruptedError:
            continue
        except OSError:
            return
        try:
            _emit_queued()
        except Exception:  # a broken handler must not stop the forwarding
            pass


def _start_pump() -> None:
    fd = _native.log_wake_fd()
    if fd is not None:
        threading.Thread(target=_pump, args=(fd,), name="agentdb-log", daemon=True).start()


_start_pump()


#: The Prometheus text exposition format's content type.
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class MetricsServer:
    """An HTTP server on a background thread: ``GET /metrics`` answers
    :meth:`Database.metrics_text`, ``GET /health`` answers :meth:`Database.health` as JSON
    (status 200 when ``ok``, 503 otherwise). Made by :func:`serve_metrics`."""

    def __init__(self, db: "Database", host: str, port: int) -> None:
        self._db = db
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                path = self.path.split("?", 1)[0]
                try:
                    if path == "/metrics":
                        body, ctype, code = server._db.metrics_text().encode(), PROMETHEUS_CONTENT_TYPE, 200
                    elif path == "/health":
                        h = server._db.health()
                        body, ctype = json.dumps(h).encode(), "application/json"
                        code = 200 if h["status"] == "ok" else 503
                    else:
                        body, ctype, code = b"not found: try /metrics or /health\n", "text/plain", 404
                except Exception as e:  # a closed database, a storage error: say so, keep serving
                    body, ctype, code = f"{type(e).__name__}: {e}\n".encode(), "text/plain", 500
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # scrapes every few seconds would flood stderr

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self.host: str = str(self._httpd.server_address[0])
        self.port: int = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="agentdb-metrics", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://HOST:PORT/metrics``."""
        return f"http://{self.host}:{self.port}/metrics"

    def wait(self) -> None:
        """Blocks until the server is closed (or the process interrupted)."""
        # Polls with sleep, not Thread.join(timeout): a join that Ctrl-C interrupts can leave the
        # thread's state lock held, and the join in close() then never returns (CPython's
        # interrupted-join race; seen as an `agentdb metrics --port` that ignored SIGINT).
        while self._thread.is_alive():
            time.sleep(0.5)

    def close(self) -> None:
        """Stops serving and frees the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> "MetricsServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve_metrics(db: "Database", port: int = 9464, host: str = "127.0.0.1") -> MetricsServer:
    """Serves ``db``'s metrics for Prometheus at ``http://host:port/metrics`` (and its health at
    ``/health``) from a background thread of this process, so the counters are this process's
    calls. Loopback only by default; ``port=0`` picks a free port (see ``server.port``).

    Example::

        server = agentdb.ops.serve_metrics(db, port=9464)
        ...
        server.close()
    """
    return MetricsServer(db, host, port)

