"""Databases: a directory holding one LanceDB table per collection.

Durability and the write-ahead log
----------------------------------
Small writes (``add``/``upsert``/``delete`` of up to 1024 records, agent state) are appended to
a write-ahead log in ``<db>/_agentdb/wal/`` and kept in memory, where every read sees them at
once; a background thread turns them into one Lance commit per collection about every second
(sooner when many are buffered), then trims the log, and compacts small Lance fragments now and
then. Larger batches are committed to Lance directly. After a crash, opening the database
replays the log: every write that returned is there, none twice, none in part.

``sync`` says when a write returns (``None``: the engine's default, ``{DEFAULT_SYNC!r}``):

* ``"always"``: after its log record is on disk (``fdatasync``). Concurrent writers
  share one sync (group commit). Survives a process crash and a power loss.
* ``"batch"``: once the record is written to the operating system; the log is synced every
  20 ms. Survives a process crash; a power loss can lose the last ~20 ms of writes.
* ``"off"``: once written to the operating system, which syncs when it likes. Survives a process
  crash; a power loss can lose recent writes.

In every mode a write is all-or-nothing. A damaged record at the end of the log (a crash in the
middle of an append) is detected by its checksum and dropped; damage anywhere else makes
``open`` fail with :class:`~agentdb.errors.StorageError` rather than silently lose writes.

One process writes a database at a time: a writable open holds a lock on ``<db>/_agentdb/LOCK``
until :meth:`Database.close`, and a second writable open (another process, or a second handle in
this one) raises :class:`~agentdb.errors.DatabaseLockedError`. ``read_only=True`` takes no lock
and sees what the writer has committed to Lance, not the writes still in its log: those appear
after its next flush (within about a second), or at once after ``db.flush()``.

Object storage
--------------
``connect("s3://bucket/prefix", storage_options={...})`` opens a database whose tables are on
S3 or an S3-compatible server (LanceDB's ``aws`` support; ``gs://`` and ``az://`` are not built
in). The write path is the same: writes are acknowledged once in a write-ahead log on local disk
(``wal_dir``, by default under ``~/.cache/agentdb/s3/<bucket>/<prefix>``) and committed to the
store as Lance commits by the background flusher, about every second, and on ``flush()`` and
``close()``. The saved HNSW graphs are local caches, rebuilt from the tables when missing; index
parameters are kept on the store.

One writer at a time, across machines: a writable open takes the local lock of its ``wal_dir``,
then a lease object on the store (``<uri>/_agentdb/LEASE``, written with conditional puts and
renewed every ``lease_ttl / 3``). A second writer anywhere raises
:class:`~agentdb.errors.DatabaseLockedError`. A writer that dies without closing is replaced at
once by the next writer using the same ``wal_dir`` on the same machine (which replays its log),
and by a writer elsewhere once its lease expires (``lease_ttl``, 30 s by default; the clocks of
the two machines must agree to within a quarter of it). A writer that cannot renew its lease in
time refuses writes with ``DatabaseLockedError`` instead of acknowledging them.

``read_only=True`` on a URI takes no lock and no lease, from any number of processes and
machines, and sees what the writer has flushed: at most ``read_consistency_interval`` (1 s by
default) plus the writer's flush interval (about 1 s) behind, or up to date after
``db.refresh()``. ``backup``/``verify`` work on local databases only.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence, Tuple, Type, Union, cast

from . import _native
from ._args import engine_defaults, fill_defaults
from .ops import DbStats, Health
from .collection import Collection

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .admin import BackupPoint, VerifyReport
    from .graph import Graph
    from .memory import Memory
    from .rag import Embedder, Rag, Tokenizer
    from .state import State
    from .transfer import ProgressArg, TransferReport

__all__ = ["Database", "connect", "open", "METRICS", "SYNC_MODES"]

#: The metrics a collection can use (see :mod:`agentdb.collection` for their distances).
METRICS: Tuple[str, ...] = _native.METRICS

#: The durability settings of :func:`open` (see the module documentation).
SYNC_MODES: Tuple[str, ...] = _native.SYNC_MODES

PathLike = Union[str, "os.PathLike[str]"]


class Database:
    """An open AgentDB database: a directory of collections.

    Use :func:`connect` (or this constructor), preferably as a context manager::

        with agentdb.connect("./my-db") as db:
            docs = db.get_or_create_collection("docs", dim=384)
            docs.add(["a"], vectors, documents=["hello"])

    Writes are durable when they return (see the module documentation for ``sync``). Closing
    flushes buffered writes to Lance and releases the writer lock; it makes every handle of this
    database (collections, memory stores, ``state``, RAG stores) raise
    :class:`~agentdb.errors.ClosedError`, and asking a closed database for one raises it too.
    Close a writable database when done: the lock is held until then.

    Without ``close()``, each handle keeps the database open: ``agentdb.connect(p).memory("m")``
    is a working store, and the database closes (flushing, releasing the lock) when the last of
    this object and its handles is garbage-collected.
    """

    __slots__ = ("_native",)

    @engine_defaults
    def __init__(
        self,
        path: PathLike,
        *,
        sync: Optional[str] = None,
        read_only: bool = False,
        payload_cache_bytes: Optional[int] = None,
        storage_options: Optional[Mapping[str, str]] = None,
        wal_dir: Optional[PathLike] = None,
        lease_ttl: Optional[float] = None,
        read_consistency_interval: Optional[float] = None,
    ) -> None:
        """Opens the database in directory ``path``, creating the directory if needed, or on an
        object store at a URI (``"s3://bucket/prefix"``; see "Object storage" in the module
        documentation).

        Args:
            path: the database directory, or an object-store URI.
            sync: ``"always"``, ``"batch"`` or ``"off"``: when a write counts as durable
                (``None``: the engine's default, ``{DEFAULT_SYNC!r}``).
            read_only: open for reading only (no lock, the directory must exist; writes raise
                :class:`~agentdb.errors.ReadOnlyError`).
            payload_cache_bytes: the most memory each collection's search payload cache may
                take (``None``: the engine's default, ``{DEFAULT_PAYLOAD_CACHE_BYTES}`` bytes).
                Searches return documents and metadata from this in-memory copy, kept in step
                with every write; a collection whose documents and metadata are larger reads them
                from storage per search (slower), and 0 turns the cache off.
            storage_options: for a URI: the object store's client settings (``endpoint``,
                ``region``, ``access_key_id``, ``secret_access_key``, ``session_token``,
                ``allow_http``, ``timeout``, ``client_max_retries``, ...; what they leave out
                comes from the ``AWS_*`` environment). Ignored for a directory.
            wal_dir: for a URI: the local directory of the writer's log and index caches
                (default: derived from the URI under ``$AGENTDB_CACHE_DIR``, else
                ``$XDG_CACHE_HOME/agentdb``, else ``~/.cache/agentdb``).
            lease_ttl: for a URI: seconds the writer's lease lasts without renewal (default 30,
                at least 3): how long after a writer dies without closing another machine can
                take over.
            read_consistency_interval: for a URI opened ``read_only``: the most seconds its reads
                lag the writer's commits (default 1; 0 looks at every read). :meth:`refresh`
                catches up at once.

        Raises:
            DatabaseLockedError: another writer has the database open (on an object store: holds
                its lease, on this machine or another).
            InvalidArgumentError: an unknown ``sync`` mode, a bad URI or option.
            StorageError: the directory cannot be created, the log is damaged, or the object
                store cannot be reached.
        """
        self._native = _native.Database(
            path,
            sync,
            read_only,
            payload_cache_bytes,
            dict(storage_options) if storage_options is not None else None,
            os.fspath(wal_dir) if wal_dir is not None else None,
            lease_ttl,
            read_consistency_interval,
        )

    @property
    def path(self) -> Path:
        """The database directory (absolute, symlinks resolved); for a database on an object
        store, the local directory of its log and caches (see :attr:`uri`)."""
        return self._native.path

    @property
    def uri(self) -> str:
        """Where the tables are: the object-store URI of a database on one, else the directory."""
        return self._native.uri

    def refresh(self) -> None:
        """Brings a read-only database to the writer's latest commit now: the collections opened
        through it read it at once, instead of within ``read_consistency_interval`` (on an
        object store; on local disk a reader looks at every read anyway). Does nothing on a
        writable database."""
        self._native.refresh()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._native.closed

    @property
    def read_only(self) -> bool:
        """Whether the database was opened with ``read_only=True``."""
        return self._native.read_only

    @property
    def sync(self) -> Optional[str]:
        """The durability setting (``"always"``, ``"batch"``, ``"off"``); ``None`` if read-only."""
        return self._native.sync

    def flush(self) -> None:
        """Writes every buffered write to Lance now and trims the write-ahead log.

        Writes are already durable when they return; flushing makes them visible to read-only
        openers at once and shortens the replay of the next open. Does nothing when read-only.
        """
        self._native.flush()

    def optimize(self) -> None:
        """Compacts every collection open in this process and the engine's own tables now
        (buffered writes are flushed first: small fragments merged, deleted rows dropped) and
        removes Lance versions replaced more than the retention grace ago. The database does
        this on its own in the background past its thresholds; this is for explicit use, say
        after a bulk delete. ``agentdb compact PATH`` does it for every collection.

        Raises:
            ReadOnlyError: the database is open read-only.
        """
        self._native.optimize()

    def close(self) -> None:
        """Flushes buffered writes, releases the writer lock and closes the database. Calling it
        again does nothing. If the final flush fails, nothing is lost: the writes stay in the log
        and are replayed on the next open."""
        self._native.close()

    # -- export and import (see agentdb.transfer) ------------------------------------------

    def store_kind(self, name: str) -> str:
        """The kind of the store called ``name``: ``"collection"``, ``"memory"``, ``"rag"`` or
        ``"state"`` (the agent state, named ``"state"``).

        Raises:
            CollectionNotFoundError: no store has that name.
            InvalidArgumentError: stores of several kinds have that name.
        """
        return _native.store_kind(self._native, name)

    def export_store(
        self,
        name: str,
        path: Union[str, "os.PathLike[str]"],
        *,
        kind: Optional[str] = None,
        progress: "ProgressArg" = True,
    ) -> "TransferReport":
        """Writes store ``name`` to the file ``path`` — Parquet when its name ends in ``.parquet``,
        else JSONL — (created or replaced whole: the file appears when it is complete), every
        record as of one Lance version. ``kind``: one of
        ``"collection"``, ``"memory"``, ``"rag"``, ``"state"`` (``None``: whichever kind has that
        name). The agent state is exported under the name ``"state"`` (as Parquet too: one row per
        operation, see :mod:`agentdb.transfer`).
        ``progress``: a bar on a terminal (``True``), none, or a ``(done, total)`` callable.
        See :mod:`agentdb.transfer` for the format."""
        from .transfer import export_store

        return export_store(self._native, name, path, kind, progress)

    def import_store(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        name: Optional[str] = None,
        progress: "ProgressArg" = True,
    ) -> "TransferReport":
        """Creates a store from the export ``path`` (JSONL or Parquet, told apart by content;
        written by :meth:`export_store`, here or from C or Zig), named as in the file or ``name``; a collection's index is rebuilt. All or
        nothing: on any error the store is dropped again.

        Raises:
            CollectionExistsError: the store exists.
            InvalidArgumentError: the file is not an export, or a line (row) is malformed (the
                message names it).
            DimensionMismatchError: a vector of the wrong length.
        """
        from .transfer import import_store

        return import_store(self._native, path, name, progress)

    def import_lancedb(
        self,
        uri: Union[str, "os.PathLike[str]"],
        table: str,
        *,
        name: Optional[str] = None,
        id_column: Optional[str] = None,
        vector_column: Optional[str] = None,
        text_column: Optional[str] = None,
        metadata_columns: Optional[Sequence[str]] = None,
        metric: Optional[str] = None,
        progress: "ProgressArg" = True,
    ) -> "TransferReport":
        """Creates collection ``name`` (default: the table's name) from table ``table`` of the
        LanceDB database at ``uri`` (a directory): ids from ``id_column`` (default ``"id"``;
        integers become text), vectors from ``vector_column`` (default ``"vector"``, a
        fixed-size list of floats), documents from ``text_column`` (default: none), and as
        metadata keys the ``metadata_columns`` (default: every other column). All or nothing.

        Raises:
            CollectionNotFoundError: no such table.
            CollectionExistsError: the collection exists.
            InvalidArgumentError: a column is missing or of a type that cannot be read.
        """
        from .transfer import import_lancedb

        return import_lancedb(
            self._native, uri, table, name=name, id_column=id_column, vector_column=vector_column,
            text_column=text_column, metadata_columns=metadata_columns, metric=metric, progress=progress,
        )

    def import_chroma(
        self,
        path: Union[str, "os.PathLike[str]"],
        collection: str,
        *,
        name: Optional[str] = None,
        progress: "ProgressArg" = True,
    ) -> "TransferReport":
        """Creates collection ``name`` (default: the same name) from collection ``collection`` of
        the Chroma ``PersistentClient`` directory ``path``: ids, embeddings, documents and
        metadata (lists of strings too) and creation times, with the metric of its space (``l2``,
        ``cosine``, ``ip`` → ``dot``). The engine reads Chroma's files (SQLite and the HNSW
        segment) itself, read-only; chromadb need not be installed. Vectors are what Chroma's
        own ``get`` returns, bit for bit. All or nothing.

        Raises:
            CollectionNotFoundError: no such Chroma collection.
            CollectionExistsError: the AgentDB collection exists.
            InvalidArgumentError: not a Chroma directory, one written by a newer Chroma, or an
                empty collection.
            StorageError: a damaged Chroma file.
            InvalidMetadataError: a metadata key AgentDB does not accept, or a list of numbers
                or booleans (AgentDB's metadata lists hold strings).
        """
        from .transfer import import_chroma

        return import_chroma(self._native, path, collection, name=name, progress=progress)

    # -- operations (see agentdb.ops) ------------------------------------------------------

    def stats(self) -> DbStats:
        """What every table holds (rows, fragments, Lance versions, bytes on disk), the log's
        size and flush lag, open handles, and the in-memory figures of the collections open in
        this process. Cheap: no row is read. See :class:`agentdb.ops.DbStats`."""
        return cast("DbStats", _native.db_stats(self._native))

    def health(self) -> Health:
        """Whether the database can serve: open, writable, log replayed, background threads
        alive, the last storage error. No disk access; works on a closed database (status
        ``"closed"``). See :class:`agentdb.ops.Health`."""
        return cast("Health", _native.db_health(self._native))

    def metrics_text(self) -> str:
        """Call counters, latency histograms, errors by kind and gauges from :meth:`stats`, in
        the Prometheus text exposition format (version 0.0.4)."""
        return _native.metrics_text(self._native)

    @property
    def metrics_enabled(self) -> bool:
        """Whether calls are recorded in the metrics (on unless ``AGENTDB_METRICS=off``).
        Setting it to ``False`` stops recording; the counters keep what they had."""
        return _native.metrics_enabled(self._native)

    @metrics_enabled.setter
    def metrics_enabled(self, on: bool) -> None:
        _native.set_metrics_enabled(self._native, bool(on))

    def __enter__(self) -> "Database":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = ", closed" if self.closed else (", read_only" if self.read_only else "")
        return f"Database({str(self.path)!r}{state})"

    @engine_defaults
    def create_collection(self, name: str, dim: int, metric: Optional[str] = None) -> Collection:
        """Creates an empty collection of ``dim``-dimensional vectors.

        Args:
            name: 1–128 ASCII letters, digits, ``_`` or ``-`` (not starting with ``-``).
            dim: the vector dimension (1 … 65536).
            metric: ``"cosine"`` (distance ``1 - cos``), ``"l2"`` (squared Euclidean) or
                ``"dot"`` (``1 - a·b``); ``None``: the engine's default, ``{DEFAULT_METRIC!r}``.

        Raises:
            CollectionExistsError: the collection exists.
            InvalidNameError: the name is not allowed.
            InvalidArgumentError: bad ``dim`` or ``metric``.
        """
        return Collection(self._native.create_collection(name, dim, metric))

    def get_collection(self, name: str) -> Collection:
        """Opens an existing collection.

        Raises:
            CollectionNotFoundError: no collection has that name (also a ``KeyError``).
        """
        return Collection(self._native.get_collection(name))

    @engine_defaults
    def get_or_create_collection(self, name: str, dim: int, metric: Optional[str] = None) -> Collection:
        """Opens the collection, creating it if it does not exist. An existing collection must
        have the same ``dim`` and ``metric`` (else :class:`~agentdb.errors.InvalidArgumentError`;
        ``None``: the engine's default, ``{DEFAULT_METRIC!r}``)."""
        return Collection(self._native.get_or_create_collection(name, dim, metric))

    def list_collections(self) -> List[str]:
        """The names of all collections, sorted."""
        return self._native.list_collections()

    def drop_collection(self, name: str) -> None:
        """Deletes a collection and its data. Open handles to it raise
        :class:`~agentdb.errors.ClosedError` afterwards.

        Raises:
            CollectionNotFoundError: no collection has that name.
        """
        self._native.drop_collection(name)

    @engine_defaults
    def rag(
        self,
        name: str = "rag",
        *,
        embedder: Optional["Embedder"] = None,
        dim: Optional[int] = None,
        metric: Optional[str] = None,
        tokenizer: Optional["Tokenizer"] = None,
        chunk_size: Optional[int] = None,
        chunk_overlap: Optional[int] = None,
        chunk_unit: Optional[str] = None,
    ) -> "Rag":
        """Opens RAG store ``name`` (creating it if needed): documents chunked, embedded and
        indexed for hybrid (vector + BM25) retrieval and prompt contexts. See :mod:`agentdb.rag`.

        Args:
            embedder: callable ``list[str] -> (n, dim)`` array (with ``embed_query(str)`` if
                queries are embedded differently); default: ``agentdb.embed.default_embedder()``.
            dim: the embedding dimension (default: ``embedder.dim``, else one probe call).
            metric: ``"cosine"``, ``"l2"`` or ``"dot"`` (``None``: the engine's default,
                ``{DEFAULT_METRIC!r}``).
            tokenizer: ``str -> int`` token counter for chunk sizes and context budgets (default:
                the engine's approximation, :func:`agentdb.rag.count_tokens`).
            chunk_size, chunk_overlap, chunk_unit: chunking (``"tokens"`` or ``"chars"``); ``None``
                takes the engine's default ({DEFAULT_CHUNK_SIZE} {DEFAULT_CHUNK_UNIT},
                {DEFAULT_CHUNK_OVERLAP} of overlap).

        Raises:
            InvalidNameError: a bad name.
            InvalidArgumentError: the store exists with another dimension or metric.
        """
        from .rag import open_rag

        return open_rag(
            self._native, name, embedder=embedder, dim=dim, metric=metric, tokenizer=tokenizer,
            chunk_size=chunk_size, chunk_overlap=chunk_overlap, chunk_unit=chunk_unit,
        )

    def get_rag(
        self,
        name: str,
        *,
        embedder: Optional["Embedder"] = None,
        tokenizer: Optional["Tokenizer"] = None,
        chunk_size: Optional[int] = None,
        chunk_overlap: Optional[int] = None,
        chunk_unit: Optional[str] = None,
    ) -> "Rag":
        """Opens the existing RAG store ``name`` with the dimension and metric it was created
        with. Without an ``embedder`` it still answers full-text searches (``mode="text"``),
        counts, documents, deletes and stats; ingesting or searching by vector then raises
        :class:`~agentdb.errors.InvalidArgumentError`.

        Raises:
            CollectionNotFoundError: no RAG store has that name.
        """
        from .rag import get_rag

        return get_rag(
            self._native, name, embedder=embedder, tokenizer=tokenizer,
            chunk_size=chunk_size, chunk_overlap=chunk_overlap, chunk_unit=chunk_unit,
        )

    def list_rags(self) -> List[str]:
        """The names of the RAG stores, sorted."""
        return _native.list_rags(self._native)

    def drop_rag(self, name: str) -> None:
        """Deletes RAG store ``name`` and its chunks.

        Raises:
            CollectionNotFoundError: there is no such store.
        """
        _native.drop_rag(self._native, name)

    @property
    def state(self) -> "State":
        """The agent state of this database: versioned JSON values per (agent, session, key),
        with time travel and TTL, plus checkpoints for LangGraph. See :mod:`agentdb.state`."""
        from .state import State

        return State(_native.State(self._native))

    def memory(
        self,
        name: str = "memory",
        *,
        embedder: Any = None,
        dim: Optional[int] = None,
        metric: Optional[str] = None,
    ) -> "Memory":
        """Opens memory store ``name``, creating it if needed: what agents remember, recalled by
        similarity, recency and importance, forgotten and consolidated. See :mod:`agentdb.memory`.

        Args:
            embedder: turns texts into vectors: any callable ``list[str] -> (n, dim)`` array
                (see :mod:`agentdb.embed`), or ``"default"`` for
                :func:`agentdb.embed.default_embedder` (``pip install agentdb-embedded[embed]``), or
                ``None`` (then memories and queries are given as vectors).
            dim: the vector dimension, fixed when the store is created (default: the embedder's).
                Needed to create a store without an embedder; may be left out to open one.
            metric: ``"cosine"`` (the default for a new store), ``"l2"`` or ``"dot"``.

        Raises:
            DimensionMismatchError: the store exists with another dimension (or ``dim`` and the
                embedder disagree).
            CollectionNotFoundError: the store does not exist and no dimension was given.
            InvalidNameError: a bad name.
        """
        from .memory import open_memory

        return open_memory(self._native, name, embedder=embedder, dim=dim, metric=metric)

    def graph(self, name: str = "graph", *, dim: Optional[int] = None) -> "Graph":
        """Opens knowledge graph ``name``, creating it if needed: entities and bi-temporal facts
        between them (what is true now, what was true then, what we believed when). See
        :mod:`agentdb.graph`.

        Args:
            dim: the dimension of entity embeddings, fixed when the graph is created (``None``:
                no embeddings for a new graph; any for an existing one).

        Raises:
            DimensionMismatchError: the graph exists with another dimension.
            InvalidNameError: a bad name.
        """
        from .graph import Graph

        return Graph(_native.open_graph(self._native, name, dim))

    def list_graphs(self) -> List[str]:
        """The names of the knowledge graphs, sorted."""
        return _native.list_graphs(self._native)

    def drop_graph(self, name: str) -> None:
        """Deletes knowledge graph ``name`` and everything in it.

        Raises:
            CollectionNotFoundError: there is no such graph.
        """
        _native.drop_graph(self._native, name)

    def list_memories(self) -> List[str]:
        """The names of the memory stores, sorted."""
        return _native.list_memories(self._native)

    def drop_memory(self, name: str) -> None:
        """Deletes memory store ``name`` and all its memories.

        Raises:
            CollectionNotFoundError: there is no such store.
        """
        _native.drop_memory(self._native, name)

    def backup(self, dest: PathLike, incremental: bool = False) -> "BackupPoint":
        """Backs the database up into directory ``dest`` as a new restorable point while writers
        keep writing (every write acknowledged before the call is in it, none half in);
        ``incremental=True`` copies only what earlier points of ``dest`` lack. See
        :mod:`agentdb.admin`; restore with :func:`agentdb.restore`.

        Raises:
            InvalidArgumentError: ``dest`` is not empty and not a backup directory.
            StorageError: a file cannot be read or written.
        """
        from .admin import backup

        return backup(self, dest, incremental)

    def verify(self, repair: bool = False) -> "VerifyReport":
        """Checks every table's manifests and fragments, the write-ahead log's checksums and the
        index files, and reports problems by kind without changing anything; ``repair=True``
        rebuilds what can be rebuilt. See :mod:`agentdb.admin`.

        Raises:
            ReadOnlyError: ``repair`` on a read-only database.
        """
        from .admin import verify

        return verify(self, repair)

    def __contains__(self, name: object) -> bool:
        """``"docs" in db``: whether a collection of that name exists."""
        return isinstance(name, str) and name in self.list_collections()


@engine_defaults
def open(  # noqa: A001
    path: PathLike, *, sync: Optional[str] = None, read_only: bool = False, payload_cache_bytes: Optional[int] = None
) -> Database:
    """Opens (creating if needed) the AgentDB database in directory ``path``.

    ``sync`` is ``"always"``, ``"batch"`` or ``"off"`` (``None``: the engine's default,
    ``{DEFAULT_SYNC!r}``; see the module documentation for what each guarantees);
    ``read_only=True`` opens without taking the writer lock. The
    returned :class:`Database` is also a context manager that closes it on exit.

    Raises:
        DatabaseLockedError: another writer has the database open.
    """
    return Database(path, sync=sync, read_only=read_only, payload_cache_bytes=payload_cache_bytes)


def connect(
    path: PathLike,
    *,
    sync: Optional[str] = None,
    read_only: bool = False,
    payload_cache_bytes: Optional[int] = None,
    storage_options: Optional[Mapping[str, str]] = None,
    wal_dir: Optional[PathLike] = None,
    lease_ttl: Optional[float] = None,
    read_consistency_interval: Optional[float] = None,
) -> Database:
    """Same as :func:`open` (the name other vector databases use), and also opens a database on
    an object store: ``connect("s3://bucket/prefix", storage_options={...})`` (see
    :class:`Database` for the object-store arguments)."""
    return Database(
        path,
        sync=sync,
        read_only=read_only,
        payload_cache_bytes=payload_cache_bytes,
        storage_options=storage_options,
        wal_dir=wal_dir,
        lease_ttl=lease_ttl,
        read_consistency_interval=read_consistency_interval,
    )


__doc__ = fill_defaults(__doc__)
