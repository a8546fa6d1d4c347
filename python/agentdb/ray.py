"""AgentDB on a Ray cluster: distributed ingest, distributed batch search, sharded collections.

Install with the extra: ``pip install agentdb-embedded[ray]`` (Ray 2.60, ``ray[data]``). This module
imports Ray only when one of its functions runs, and raises :class:`ImportError` with the install
line when Ray is missing.

Three tools, each on Ray's own machinery (Ray Data for bulk work, actors for long-lived shards):

* :func:`ingest` — a Ray Dataset of documents (embedded by the workers) or vectors, written by
  the workers as Lance data files of the collection (:meth:`Collection.stage
  <agentdb.collection.Collection.stage>`, on databases they open read-only) and committed **once**
  by the calling process (:meth:`Collection.commit_staged
  <agentdb.collection.Collection.commit_staged>`): readers see all the rows or none.
* :func:`batch_search` — a Ray Dataset of query vectors (or texts, with an embedder) searched by
  workers that open the database read-only; returns the Dataset with ``ids`` and ``distances``
  columns added.
* :class:`ShardedCollection` — one logical collection hash-partitioned over N shards, each an
  AgentDB collection held by a Ray actor, optionally with read-only replica actors for read load.

**Where the data lives.** Every function takes the database as ``uri`` plus ``storage_options``,
passed through unchanged to :func:`agentdb.connect` on every worker (``storage_options`` only
when given). A local path works on one machine (all workers see the same disk); a path on a
shared file system, or an object-store URI once :func:`agentdb.connect` accepts one, works across
machines with no change here.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import errors as _errors
from .results import SearchResult

__all__ = [
    "ingest",
    "batch_search",
    "ShardedCollection",
    "ShardUnavailableError",
    "shard_of",
]

Where = Union[str, Mapping[str, Any], None]


class ShardUnavailableError(_errors.StorageError):
    """A shard of a :class:`ShardedCollection` cannot be reached: its actor died (or its node
    did) and no live replica can answer instead (writes always need the shard's primary)."""

    def __init__(self, message: str, shard: int) -> None:
        super().__init__(message)
        self.shard = shard


def _ray() -> Any:
    try:
        import ray
    except ImportError as e:  # pragma: no cover - exercised only without ray installed
        raise ImportError(
            "agentdb.ray needs Ray: pip install 'agentdb-embedded[ray]' (or pip install 'ray[data]')"
        ) from e
    return ray


def _connect(uri: str, storage_options: Optional[Mapping[str, str]], **kwargs: Any) -> Any:
    from . import connect

    if storage_options is not None:
        kwargs["storage_options"] = dict(storage_options)
    return connect(uri, **kwargs)


def _absolute(uri: str) -> str:
    """A local path made absolute, so workers (whose working directory is not the caller's)
    open the same database; a URI (``scheme://…``) unchanged."""
    import os

    uri = os.fspath(uri)
    return uri if "://" in uri else os.path.abspath(uri)


def shard_of(record_id: str, shards: int) -> int:
    """The shard that holds ``record_id`` among ``shards``: a stable hash (BLAKE2b of the UTF-8
    id, not Python's per-process ``hash``), so every process routes an id the same way."""
    digest = hashlib.blake2b(record_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % shards


def _engine_error(e: BaseException) -> Optional[_errors.AgentDBError]:
    """The engine's typed error a Ray worker raised, out of the exceptions Ray wraps it in
    (``RayTaskError``, Ray Data's ``UserCodeException``), so callers catch what a local call
    raises."""
    todo: List[BaseException] = [e]
    seen: set = set()
    while todo and len(seen) < 32:
        cur = todo.pop(0)
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, _errors.AgentDBError):
            return cur
        nxt = [getattr(cur, "cause", None), cur.__cause__, cur.__context__]
        as_cause = getattr(cur, "as_instanceof_cause", None)
        if callable(as_cause):
            try:
                nxt.append(as_cause())
            except Exception:
                pass
        todo.extend(x for x in nxt if isinstance(x, BaseException))
    return None


# -- distributed ingest ----------------------------------------------------------------------


def _column(batch: Mapping[str, Any], name: Optional[str]) -> Optional[Any]:
    if name is None or name not in batch:
        return None
    return batch[name]


def _metadata_of(batch: Mapping[str, Any], n: int, metadata_column: Optional[str], metadata_columns: Sequence[str]) -> Optional[List[Dict[str, Any]]]:
    rows: List[Dict[str, Any]] = [{} for _ in range(n)]
    any_meta = False
    col = _column(batch, metadata_column)
    if col is not None:
        any_meta = True
        for i, m in enumerate(col):
            if m:
                rows[i].update({k: _plain(v) for k, v in dict(m).items() if v is not None})
    for key in metadata_columns:
        if key not in batch:
            raise _errors.InvalidArgumentError(f"metadata column {key!r} is not in the dataset")
        any_meta = True
        for i, v in enumerate(batch[key]):
            if v is not None:
                rows[i][key] = _plain(v)
    return rows if any_meta else None


def _plain(v: Any) -> Any:
    """numpy scalars (what Ray's numpy batches hold) as Python values."""
    return v.item() if isinstance(v, np.generic) else v


class _Stager:
    """A Ray Data worker of :func:`ingest`: opens the database read-only once, then embeds (when
    given texts and an embedder) and stages each batch, returning its part's bytes."""

    def __init__(self, uri: str, storage_options: Optional[Mapping[str, str]], collection: str,
                 embedder: Optional[Callable[[List[str]], Any]], columns: Dict[str, Any]) -> None:
        self._db = _connect(uri, storage_options, read_only=True)
        self._collection = self._db.get_collection(collection)
        self._embedder = embedder
        self._c = columns

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        c = self._c
        ids = [str(x) for x in batch[c["id"]]]
        documents = _column(batch, c["text"])
        docs = None if documents is None else [None if d is None else str(d) for d in documents]
        vectors = _column(batch, c["vector"])
        if vectors is None:
            if self._embedder is None or docs is None:
                raise _errors.InvalidArgumentError(
                    f"the dataset has no {c['vector']!r} column: give an embedder and a {c['text']!r} column"
                )
            vectors = self._embedder([d or "" for d in docs])
        matrix = np.asarray(np.stack(list(vectors)) if isinstance(vectors, np.ndarray) and vectors.dtype == object else vectors, dtype=np.float32)
        metadata = _metadata_of(batch, len(ids), c["metadata"], c["metadata_columns"])
        try:
            part = self._collection.stage(ids, matrix, documents=docs, metadata=metadata)
        except _errors.AgentDBError as e:
            # Sent back as data: Ray's wrapping keeps an exception's text, not always its class.
            return {"part": np.array([b""], dtype=object), "error": np.array([_error_text(e)], dtype=object)}
        return {"part": np.array([part], dtype=object), "error": np.array([""], dtype=object)}


def _error_text(e: BaseException) -> str:
    return f"{type(e).__name__}\n{e}"


def _raise_error_text(text: str) -> None:
    name, _, message = text.partition("\n")
    cls = getattr(_errors, name, None)
    if isinstance(cls, type) and issubclass(cls, _errors.AgentDBError):
        raise cls(message)
    raise _errors.InternalError(f"{name}: {message}")


def ingest(
    dataset: Any,
    uri: str,
    collection: str,
    embedder: Optional[Callable[[List[str]], Any]] = None,
    *,
    dim: Optional[int] = None,
    metric: str = "cosine",
    id_column: str = "id",
    vector_column: str = "vector",
    text_column: str = "document",
    metadata_column: Optional[str] = "metadata",
    metadata_columns: Sequence[str] = (),
    batch_size: int = 4096,
    concurrency: int = 2,
    num_cpus: float = 1.0,
    storage_options: Optional[Mapping[str, str]] = None,
    database: Any = None,
) -> int:
    """Embeds and writes a Ray Dataset into ``collection`` with ``concurrency`` Ray workers, and
    commits it in **one** Lance commit; returns how many records were added.

    Each row needs ``id_column`` and either ``vector_column`` or ``text_column`` (then
    ``embedder``, any AgentDB embedder or a function from a list of texts to an ``(n, dim)``
    array, runs on the workers; it is pickled to them). ``text_column`` is stored as the
    document when present. Metadata: a dict per row in ``metadata_column`` and/or plain columns
    named in ``metadata_columns``.

    The workers open the database read-only and stage Lance data files; this process (the
    database's writer: it opens ``uri`` unless given an open ``database``) creates the collection
    if needed (``dim`` from ``embedder.dim`` when not given) and commits every part at once.
    Nothing is visible before the commit; if a worker fails, nothing is committed (its files are
    left unreferenced for Lance's cleanup) and the error is raised here.

    ``concurrency`` workers (a Ray Data actor pool) of ``num_cpus`` each: on a cluster whose
    CPUs the workers take all of, upstream Dataset operations that need a CPU (``repartition``, a
    read) wait for them; give a fraction then.

    Limits (those of staged writes): every id must be new (``DuplicateIdError`` otherwise,
    nothing committed), and metadata keys must already be columns of the collection
    (``InvalidMetadataError``; write one record with each key through ``add`` first).
    """
    _ray()
    if concurrency < 1 or batch_size < 1:
        raise _errors.InvalidArgumentError("concurrency and batch_size must be at least 1")
    uri = _absolute(uri)
    own = database is None
    db = _connect(uri, storage_options) if own else database
    try:
        if collection in db.list_collections():
            coll = db.get_collection(collection)
        else:
            d = dim if dim is not None else getattr(embedder, "dim", None)
            if d is None:
                raise _errors.InvalidArgumentError(
                    f"collection {collection!r} does not exist: give dim= (or an embedder with .dim) to create it"
                )
            coll = db.create_collection(collection, int(d), metric=metric)
        # The workers' read-only handles must see the collection (a logged create is in Lance
        # already; flushing also puts earlier buffered writes there, so their ids are checked).
        db.flush()
        columns = {
            "id": id_column,
            "vector": vector_column,
            "text": text_column,
            "metadata": metadata_column,
            "metadata_columns": list(metadata_columns),
        }
        staged = dataset.map_batches(
            _Stager,
            fn_constructor_kwargs={
                "uri": uri,
                "storage_options": storage_options,
                "collection": collection,
                "embedder": embedder,
                "columns": columns,
            },
            batch_size=batch_size,
            batch_format="numpy",
            compute=_ray().data.ActorPoolStrategy(size=concurrency),
            num_cpus=num_cpus,
        )
        try:
            parts = []
            for row in staged.iter_rows():
                if row["error"]:
                    # Nothing committed: the parts staged so far stay unreferenced files.
                    _raise_error_text(row["error"])
                parts.append(row["part"])
        except _errors.AgentDBError:
            raise
        except Exception as e:
            cause = _engine_error(e)
            if cause is None:
                raise
            raise cause from e
        return int(coll.commit_staged(parts))
    finally:
        if own:
            db.close()


# -- distributed batch search ----------------------------------------------------------------


class _Searcher:
    """A Ray Data worker of :func:`batch_search`: one read-only handle, one batched search per
    batch of queries."""

    def __init__(self, uri: str, storage_options: Optional[Mapping[str, str]], collection: str, k: int,
                 where: Where, exact: Optional[bool], embedder: Optional[Callable[[List[str]], Any]],
                 vector_column: str, text_column: Optional[str]) -> None:
        self._db = _connect(uri, storage_options, read_only=True)
        self._collection = self._db.get_collection(collection)
        self._k, self._where, self._exact = k, where, exact
        self._embedder = embedder
        self._vector_column, self._text_column = vector_column, text_column

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        if self._vector_column in batch:
            vectors = batch[self._vector_column]
            q = np.asarray(np.stack(list(vectors)) if vectors.dtype == object else vectors, dtype=np.float32)
        elif self._embedder is not None and self._text_column and self._text_column in batch:
            texts = [str(t) for t in batch[self._text_column]]
            embed_query = getattr(self._embedder, "embed_query", None)
            q = np.asarray([embed_query(t) for t in texts] if embed_query else self._embedder(texts), dtype=np.float32)
        else:
            raise _errors.InvalidArgumentError(
                f"the dataset has no {self._vector_column!r} column (or give an embedder and text_column)"
            )
        results = self._collection.search(q, self._k, self._where, exact=self._exact, include=[]) if len(q) else []
        out = dict(batch)
        # Object arrays filled one by one: np.array over equal-length lists would make a 2-D array.
        ids = np.empty(len(results), dtype=object)
        distances = np.empty(len(results), dtype=object)
        for i, r in enumerate(results):
            ids[i] = list(r.ids)
            distances[i] = np.asarray(r.distances, dtype=np.float32)
        out["ids"], out["distances"] = ids, distances
        return out


def batch_search(
    dataset: Any,
    uri: str,
    collection: str,
    k: int = 10,
    *,
    where: Where = None,
    exact: Optional[bool] = None,
    vector_column: str = "vector",
    text_column: Optional[str] = None,
    embedder: Optional[Callable[[List[str]], Any]] = None,
    batch_size: int = 1024,
    concurrency: int = 2,
    num_cpus: float = 1.0,
    storage_options: Optional[Mapping[str, str]] = None,
) -> Any:
    """Searches every query of a Ray Dataset in ``collection`` with ``concurrency`` workers,
    each holding the database open read-only (next to a writer elsewhere, seeing what it has
    committed). Returns the Dataset (lazy, as Ray Datasets are) with two columns added: ``ids``
    (the k nearest ids per query, closest first) and ``distances``. Queries are vectors in
    ``vector_column``, or texts in ``text_column`` embedded by ``embedder`` on the workers.
    ``concurrency`` workers of ``num_cpus`` each (see :func:`ingest`).
    """
    _ray()
    if concurrency < 1 or batch_size < 1:
        raise _errors.InvalidArgumentError("concurrency and batch_size must be at least 1")
    uri = _absolute(uri)
    return dataset.map_batches(
        _Searcher,
        fn_constructor_kwargs={
            "uri": uri,
            "storage_options": storage_options,
            "collection": collection,
            "k": k,
            "where": where,
            "exact": exact,
            "embedder": embedder,
            "vector_column": vector_column,
            "text_column": text_column,
        },
        batch_size=batch_size,
        batch_format="numpy",
        compute=_ray().data.ActorPoolStrategy(size=concurrency),
        num_cpus=num_cpus,
    )


# -- sharded collections ---------------------------------------------------------------------


class _ShardServer:
    """The body of a shard actor: one AgentDB collection, opened for writing (the primary) or
    read-only (a replica, which serves searches and reads of what the primary has committed)."""

    def __init__(self, uri: str, storage_options: Optional[Mapping[str, str]], collection: str, dim: int,
                 metric: str, read_only: bool) -> None:
        self._read_only = read_only
        if read_only:
            self._db = _connect(uri, storage_options, read_only=True)
            self._c = self._db.get_collection(collection)
        else:
            self._db = _connect(uri, storage_options)
            self._c = self._db.get_or_create_collection(collection, dim, metric=metric)
            # A replica opening next reads Lance: the collection must be there.
            self._db.flush()

    def ping(self) -> bool:
        return True

    def write(self, op: str, ids: List[str], vectors: Optional[np.ndarray], documents: Any, metadata: Any,
              publish: bool) -> None:
        getattr(self._c, op)(ids, vectors, documents=documents, metadata=metadata)
        if publish:
            # Replicas read Lance: flush, so they see the write when this returns.
            self._db.flush()

    def delete(self, ids: Optional[List[str]], where: Where, publish: bool) -> int:
        n = self._c.delete(ids, where)
        if publish:
            self._db.flush()
        return int(n)

    def count(self, where: Where) -> int:
        return int(self._c.count(where))

    def get(self, ids: Optional[List[str]], where: Where) -> Tuple[List[str], List[Optional[str]], List[Dict[str, Any]], np.ndarray]:
        r = self._c.get(ids, where)
        return list(r.ids), list(r.documents), list(r.metadata), np.asarray(r.vectors)

    def search(self, queries: np.ndarray, k: int, where: Where, exact: Optional[bool], include: Optional[List[str]]
               ) -> List[Tuple[List[str], np.ndarray, List[Optional[str]], List[Dict[str, Any]]]]:
        results = self._c.search(queries, k, where, exact=exact, include=include)
        return [(list(r.ids), np.asarray(r.distances, dtype=np.float32), list(r.documents), list(r.metadata)) for r in results]

    def create_index(self, kwargs: Dict[str, Any]) -> None:
        self._c.create_index(**kwargs)
        self._db.flush()

    def close(self) -> None:
        self._db.close()


class ShardedCollection:
    """One logical collection hash-partitioned over N shards, each an AgentDB collection held by
    a Ray actor (its primary), with ``replicas`` read-only actors per shard for read load.

    * ``shards``: one database URI (or local directory) per shard; each holds a collection named
      ``collection``, created with ``dim``/``metric`` if missing. Reopening the same URIs in the
      same order gives the same collection back (routing depends on the shard count and order).
    * **Writes** (``add``, ``upsert``, ``delete`` by id) go to the primary of the shard each id
      hashes to (:func:`shard_of`), one call per shard, in parallel. A write is atomic per shard,
      not across shards: if one shard fails, the others' parts stay written (the error says
      which shard failed).
    * **Searches** scatter every query to one reader of every shard (the primary or a replica, in
      turn), with the filter applied by each shard, and merge the per-shard top-k lists: the
      k smallest distances of the union, which for exact search is exactly the unsharded top-k
      (every true neighbour is among its own shard's top-k). With an approximate index per shard
      the merge is of approximate lists.
    * **Failures**: a reader that fails is skipped for the next reader of the same shard (a
      replica, or the primary); when none answers, :class:`ShardUnavailableError` names the
      shard. Writes need the primary: a dead primary is a ``ShardUnavailableError`` even with
      replicas (they are read-only). Replicas see a write once the primary has flushed it, which
      ``ShardedCollection`` does before a write returns when replicas exist.

    ``actor_options`` go to each actor's ``.options()`` (``num_cpus``, ``resources``,
    ``scheduling_strategy`` to place shards on nodes…); ``timeout`` bounds each call, in seconds.
    """

    def __init__(
        self,
        shards: Sequence[str],
        collection: str,
        dim: int,
        *,
        metric: str = "cosine",
        replicas: int = 0,
        storage_options: Optional[Mapping[str, str]] = None,
        actor_options: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = 120.0,
    ) -> None:
        ray = _ray()
        if not shards:
            raise _errors.InvalidArgumentError("a sharded collection needs at least one shard")
        if replicas < 0:
            raise _errors.InvalidArgumentError("replicas must be 0 or more")
        self._ray = ray
        self._uris = [_absolute(str(s)) for s in shards]
        self._collection, self._dim, self._metric = collection, int(dim), metric
        self._timeout = timeout
        self._replicas = replicas
        options = {"num_cpus": 0, "max_restarts": 0, **dict(actor_options or {})}
        actor = ray.remote(_ShardServer).options(**options)
        self._primaries = [actor.remote(u, storage_options, collection, self._dim, metric, False) for u in self._uris]
        # Replicas open after their primary created the collection.
        self._get([p.ping.remote() for p in self._primaries], list(range(len(self._uris))))
        self._readers: List[List[Any]] = []
        for i, u in enumerate(self._uris):
            reps = [actor.remote(u, storage_options, collection, self._dim, metric, True) for _ in range(replicas)]
            self._readers.append([self._primaries[i], *reps])
        if replicas:
            self._get([r.ping.remote() for rs in self._readers for r in rs[1:]],
                      [i for i, rs in enumerate(self._readers) for _ in rs[1:]])
        self._turn = itertools.count()
        self._lock = threading.Lock()

    # -- helpers --

    @property
    def num_shards(self) -> int:
        return len(self._uris)

    @property
    def primaries(self) -> List[Any]:
        """The shard primaries' actor handles (in shard order)."""
        return list(self._primaries)

    @property
    def replicas(self) -> List[List[Any]]:
        """Each shard's replica actor handles."""
        return [list(rs[1:]) for rs in self._readers]

    def _get(self, refs: List[Any], shards: List[int]) -> List[Any]:
        out = []
        for ref, shard in zip(refs, shards):
            out.append(self._one(ref, shard))
        return out

    def _one(self, ref: Any, shard: int) -> Any:
        ray = self._ray
        try:
            return ray.get(ref, timeout=self._timeout)
        except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError) as e:
            raise ShardUnavailableError(f"shard {shard} ({self._uris[shard]}) is unavailable: {e}", shard) from e
        except ray.exceptions.RayTaskError as e:
            # The engine's own error (a typed AgentDBError) raised in the actor: re-raise it.
            cause = e.as_instanceof_cause()
            if isinstance(cause, _errors.AgentDBError):
                raise cause from None
            raise

    def _route(self, ids: Sequence[str]) -> Dict[int, List[int]]:
        by_shard: Dict[int, List[int]] = {}
        for row, rid in enumerate(ids):
            by_shard.setdefault(shard_of(rid, len(self._uris)), []).append(row)
        return by_shard

    def _write(self, op: str, ids: Union[Sequence[str], str], vectors: Any, documents: Any, metadata: Any) -> None:
        if isinstance(ids, str):
            ids, vectors = [ids], [vectors]
            documents = None if documents is None else [documents]
            metadata = None if metadata is None else [metadata]
        ids = list(ids)
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or len(matrix) != len(ids):
            raise _errors.InvalidArgumentError(f"{len(ids)} ids need an ({len(ids)}, dim) array of vectors")
        for name, col in (("documents", documents), ("metadata", metadata)):
            if col is not None and len(col) != len(ids):
                raise _errors.InvalidArgumentError(f"{len(ids)} ids but {len(col)} {name}")
        publish = self._replicas > 0
        refs, shards = [], []
        for shard, rows in sorted(self._route(ids).items()):
            refs.append(self._primaries[shard].write.remote(
                op,
                [ids[r] for r in rows],
                matrix[rows],
                None if documents is None else [documents[r] for r in rows],
                None if metadata is None else [metadata[r] for r in rows],
                publish,
            ))
            shards.append(shard)
        self._get(refs, shards)

    # -- writes --

    def add(self, ids: Union[Sequence[str], str], vectors: Any, documents: Optional[Sequence[Optional[str]]] = None,
            metadata: Optional[Sequence[Optional[Mapping[str, Any]]]] = None) -> None:
        """Adds new records, each to the shard of its id (``DuplicateIdError`` from a shard that
        already holds one)."""
        self._write("add", ids, vectors, documents, metadata)

    def upsert(self, ids: Union[Sequence[str], str], vectors: Any, documents: Optional[Sequence[Optional[str]]] = None,
               metadata: Optional[Sequence[Optional[Mapping[str, Any]]]] = None) -> None:
        """Inserts or replaces records, each in the shard of its id."""
        self._write("upsert", ids, vectors, documents, metadata)

    def delete(self, ids: Optional[Sequence[str]] = None, where: Where = None) -> int:
        """Deletes by id (sent to the ids' shards) and/or by filter (sent to every shard);
        returns how many were deleted."""
        if ids is None and where is None:
            raise _errors.InvalidArgumentError("delete needs ids or a filter")
        publish = self._replicas > 0
        if ids is None:
            targets = {s: None for s in range(len(self._uris))}
        else:
            id_list = [ids] if isinstance(ids, str) else list(ids)
            targets = {s: [id_list[r] for r in rows] for s, rows in self._route(id_list).items()}
        refs = [self._primaries[s].delete.remote(part, where, publish) for s, part in sorted(targets.items())]
        return int(sum(self._get(refs, sorted(targets))))

    def create_index(self, **kwargs: Any) -> None:
        """Builds the same index (``Collection.create_index`` arguments) on every shard."""
        shards = list(range(len(self._uris)))
        self._get([p.create_index.remote(kwargs) for p in self._primaries], shards)

    # -- reads --

    def _scatter(self, method: str, *args: Any) -> List[Any]:
        """Calls ``method`` on one reader of every shard in parallel, trying the shard's other
        readers (in turn) when one fails."""
        n = len(self._uris)
        with self._lock:
            start = next(self._turn)
        order = [[rs[(start + j) % len(rs)] for j in range(len(rs))] for rs in self._readers]
        pending = {s: (0, getattr(order[s][0], method).remote(*args)) for s in range(n)}
        out: List[Any] = [None] * n
        while pending:
            s, (tried, ref) = next(iter(pending.items()))
            del pending[s]
            try:
                out[s] = self._one(ref, s)
            except ShardUnavailableError as e:
                if tried + 1 >= len(order[s]):
                    raise ShardUnavailableError(
                        f"shard {s} ({self._uris[s]}) is unavailable: its primary and {len(order[s]) - 1} replica(s) failed ({e})",
                        s,
                    ) from e
                pending[s] = (tried + 1, getattr(order[s][tried + 1], method).remote(*args))
        return out

    def count(self, where: Where = None) -> int:
        """Records in all shards (matching ``where``)."""
        return int(sum(self._scatter("count", where)))

    def get(self, ids: Sequence[str]) -> Dict[str, Tuple[Optional[str], Dict[str, Any], np.ndarray]]:
        """The records with these ids, as ``{id: (document, metadata, vector)}`` (missing ids
        left out), each read from its shard."""
        id_list = list(ids)
        routed = self._route(id_list)
        out: Dict[str, Tuple[Optional[str], Dict[str, Any], np.ndarray]] = {}
        for s, rows in routed.items():
            # A get goes to the primary (it sees buffered writes at once).
            got_ids, docs, metas, vecs = self._one(self._primaries[s].get.remote([id_list[r] for r in rows], None), s)
            for j, rid in enumerate(got_ids):
                out[rid] = (docs[j], metas[j], vecs[j])
        return out

    def search(
        self,
        query: Any,
        k: int = 10,
        where: Where = None,
        *,
        exact: Optional[bool] = None,
        include: Optional[Sequence[str]] = None,
    ) -> Union[SearchResult, List[SearchResult]]:
        """k-nearest-neighbour search over every shard, merged: a 1-D query gives one
        :class:`~agentdb.results.SearchResult`, a 2-D array a list (one per query). ``where`` is
        applied by each shard (pushed down), so each shard returns its own k best matches and
        the merge keeps the k closest of all; with ``exact=True`` (or no index) that equals an
        unsharded exact search's top k."""
        q = np.asarray(query, dtype=np.float32)
        single = q.ndim == 1
        queries = q[None, :] if single else q
        if queries.ndim != 2:
            raise _errors.InvalidArgumentError("query must be a vector or a 2-D array of vectors")
        per_shard = self._scatter("search", queries, int(k), where, exact, None if include is None else list(include))
        results = []
        for qi in range(len(queries)):
            candidates = []
            for shard_hits in per_shard:
                ids, dists, docs, metas = shard_hits[qi]
                candidates.extend(zip(dists.tolist(), ids, docs, metas))
            best = heapq.nsmallest(int(k), candidates, key=lambda h: (h[0], h[1]))
            results.append(SearchResult(
                [h[1] for h in best],
                np.asarray([h[0] for h in best], dtype=np.float32),
                [h[2] for h in best],
                [h[3] for h in best],
            ))
        return results[0] if single else results

    def close(self) -> None:
        """Closes every shard's database (flushing what it buffers) and ends the actors. A shard
        that already died is skipped."""
        ray = self._ray
        actors = [a for rs in self._readers for a in rs]
        closing = [a.close.remote() for a in actors]
        for a, ref in zip(actors, closing):
            try:
                ray.get(ref, timeout=self._timeout)
            except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError):
                pass
            ray.kill(a, no_restart=True)
        self._readers = []
        self._primaries = []

    def __enter__(self) -> "ShardedCollection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
