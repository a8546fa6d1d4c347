"""The AgentDB side of a framework vector store: one collection, created on the first write
(frameworks hand out an empty store before any embedding, so the dimension is not known
earlier), written with the metadata convention of :mod:`._metadata`."""

from __future__ import annotations

import threading
from typing import Any, List, Mapping, Optional, Sequence

import numpy as np

from .. import _native
from .. import errors as _errors
from ..collection import Collection
from ..database import Database, PathLike, connect
from . import _metadata

__all__ = ["LazyCollection", "as_matrix"]


class LazyCollection:
    """A named collection of a database that may not exist yet.

    Args:
        db: an open database (not closed by :meth:`close`), or
        path: a directory to open (closed by :meth:`close`).
        name: the collection.
        metric: the metric for a new collection (None: cosine); an existing collection must
            have it, unless it is None.
    """

    def __init__(self, db: Optional[Database], path: Optional[PathLike], name: str, metric: Optional[str]) -> None:
        if (db is None) == (path is None):
            raise _errors.InvalidArgumentError("pass exactly one of db= (an open Database) and path=")
        self.owns_db = db is None
        self.db: Database = connect(path) if db is None else db  # type: ignore[arg-type]
        self.name = name
        self.metric = metric
        self._lock = threading.Lock()
        self._collection: Optional[Collection] = None
        try:
            self.get()  # an existing collection with another metric is an error now, not later
        except BaseException:
            self.close()
            raise

    def get(self) -> Optional[Collection]:
        """The collection, or None while it does not exist."""
        if self._collection is not None:
            return self._collection
        try:
            found = self.db.get_collection(self.name)
        except _errors.CollectionNotFoundError:
            return None
        if self.metric is not None and found.metric != self.metric:
            raise _errors.InvalidArgumentError(
                f"collection {self.name!r} uses metric {found.metric!r}, not {self.metric!r}"
            )
        self._collection = found
        return found

    def effective_metric(self) -> str:
        """The metric of the collection, or the one it will be created with."""
        found = self.get()
        return found.metric if found is not None else (self.metric or _native.DEFAULT_METRIC)

    def get_or_create(self, dim: int) -> Collection:
        """The collection, created with dimension ``dim`` if it does not exist yet."""
        with self._lock:
            found = self.get()
            if found is not None:
                return found
            try:
                self.db.create_collection(self.name, dim, self.metric)
            except _errors.CollectionExistsError:  # created meanwhile, by another store or process
                pass
            found = self.get()
            assert found is not None, "the collection was dropped as it was created"
            return found

    def drop(self) -> None:
        """Drops the collection (if it exists); the next write creates it afresh."""
        with self._lock:
            try:
                self.db.drop_collection(self.name)
            except _errors.CollectionNotFoundError:
                pass
            self._collection = None

    def close(self) -> None:
        """Closes the database if this object opened it."""
        if self.owns_db:
            self.db.close()

    def upsert(
        self,
        ids: List[str],
        vectors: np.ndarray,
        documents: List[str],
        metadata: Sequence[Optional[Mapping[str, Any]]],
    ) -> None:
        """Inserts or replaces records, encoding framework metadata (see :mod:`._metadata`). An id
        that repeats keeps its last occurrence, as if the records were written one by one."""
        last = {id_: i for i, id_ in enumerate(ids)}
        if len(last) != len(ids):  # the engine rejects an id repeated within one batch
            keep = sorted(last.values())
            ids, documents, metadata = [ids[i] for i in keep], [documents[i] for i in keep], [metadata[i] for i in keep]
            vectors = vectors[keep]
        collection = self.get_or_create(vectors.shape[1])
        # The encoding depends on the column types; if another writer gives a new key a type
        # between our read of the schema and our write, the engine refuses the batch whole and
        # one retry with the fresh schema settles it.
        for attempt in range(2):
            encoded = _metadata.encode_batch(metadata, collection.metadata_schema)
            try:
                collection.upsert(ids, vectors, documents, encoded)
                return
            except _errors.InvalidMetadataError:
                if attempt == 1:
                    raise


def as_matrix(vectors: Any, n: int) -> np.ndarray:
    """Embeddings (lists of numbers, numpy) → a float32 ``(n, dim)`` array.

    Raises:
        InvalidVectorError: not ``n`` vectors of one length.
    """
    try:
        array = np.asarray(vectors, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise _errors.InvalidVectorError(f"the embeddings are not {n} vectors of numbers of one length: {e}") from e
    if array.ndim != 2 or array.shape[0] != n:
        raise _errors.InvalidVectorError(f"expected {n} embeddings, got an array of shape {array.shape}")
    return array
