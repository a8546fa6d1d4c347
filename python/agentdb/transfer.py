"""Moving data out of a database and into one: a store (collection, memory store or RAG store)
exported to a JSONL or a Parquet file and imported from one, exactly.

A JSONL file's first line is a header (kind, name, dimension, metric, record count, index
parameters); each further line is one record: ``id``, ``vector``, ``document``, ``metadata``
and ``created_at_us``. Vectors come back bit for bit, metadata with its types (datetimes as
``{"$datetime": ...}``), creation times as they were; memories keep their agent, session, kind,
importance and access statistics, RAG chunks their documents and positions. The format is the
engine's, so a file written from Python imports from C or Zig and back.

A path ending in ``.parquet`` is written as Parquet: the same header (key-value metadata
``agentdb-export``) and the same records as columns ``id``, ``vector`` (fixed-size list of
float32), ``document``, ``metadata`` (JSON text) and ``created_at_us``, so pyarrow, DuckDB or
Polars read an export as a table. Import tells the formats apart by the file's content.

The agent state (kind ``"state"``, name ``"state"``) is exported as the operations that wrote
its rows — key versions, session TTLs, checkpoints, pending writes — one per JSONL line, or as
Parquet one row per operation in a table whose columns are the union of their fields (``op``,
``agent_id``, ``session_id``, ``key``, ``version``, ``value_json``, ``written_at_us``, ...,
``checkpoint`` and ``value`` as binary), null where an operation has no such field. It imports
only into a database whose agent state is empty.

Export reads every record as of one Lance version while writers go on. Import creates the store
(it must not exist: :class:`~agentdb.errors.CollectionExistsError`), writes it in batches and
rebuilds a collection's index; if anything fails on the way the store is dropped again, so a
failed import leaves nothing behind.

    db.export_store("docs", "docs.jsonl")            # the kind is found from the name
    other.import_store("docs.jsonl")                 # creates "docs"
    other.import_store("docs.jsonl", name="docs2")   # under another name
    db.export_store("docs", "docs.parquet")          # Parquet: chosen by the name

A table of another LanceDB database (written by LanceDB, pylance or any Lance writer) becomes a
collection with :meth:`Database.import_lancedb <agentdb.Database.import_lancedb>`: ids, vectors
and documents from the columns named, every other column as a metadata key.

``agentdb export PATH STORE FILE``, ``agentdb import PATH FILE`` and
``agentdb import PATH --lancedb URI --table T`` do the same from the shell.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Tuple, TypedDict, Union

import numpy as np

from . import _native

__all__ = ["EXPORT_FORMAT", "STORE_KINDS", "TransferReport", "ProgressArg"]

#: The header's ``format`` value.
EXPORT_FORMAT: str = _native.EXPORT_FORMAT
#: The kinds of store a file holds: ``("collection", "memory", "rag", "state")``.
STORE_KINDS: Tuple[str, ...] = tuple(_native.STORE_KINDS)

#: ``True``: a progress bar on stderr when it is a terminal and ``tqdm`` is installed;
#: ``False``/``None``: none; or a callable ``(done, total) -> None``.
ProgressArg = Union[bool, None, Callable[[int, int], None]]


class TransferReport(TypedDict):
    """What an export or import did."""

    kind: str
    name: str
    """The store's name (for an import: the name it was created under)."""
    records: int


def progress_callback(progress: ProgressArg, desc: str) -> Tuple[Optional[Callable[[int, int], None]], Callable[[], None]]:
    """The callable to hand the engine for ``progress``, and a function that closes its bar."""
    if callable(progress):
        return progress, lambda: None
    if not progress or not sys.stderr.isatty():
        return None, lambda: None
    try:
        from tqdm import tqdm
    except ImportError:
        return None, lambda: None
    bar = tqdm(total=0, desc=desc, unit="rec", file=sys.stderr)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return update, bar.close


def export_store(db_native: Any, name: str, path: Union[str, os.PathLike], kind: Optional[str], progress: ProgressArg) -> TransferReport:
    callback, close = progress_callback(progress, f"export {name}")
    try:
        return _native.export_store(db_native, name, Path(path), kind, callback)  # type: ignore[return-value]
    finally:
        close()


def import_lancedb(
    db_native: Any,
    uri: Union[str, os.PathLike],
    table: str,
    *,
    name: Optional[str],
    id_column: Optional[str],
    vector_column: Optional[str],
    text_column: Optional[str],
    metadata_columns: Optional[Sequence[str]],
    metric: Optional[str],
    progress: ProgressArg,
) -> TransferReport:
    callback, close = progress_callback(progress, f"import {table}")
    columns = None if metadata_columns is None else [metadata_columns] if isinstance(metadata_columns, str) else list(metadata_columns)
    try:
        return _native.import_lance_table(  # type: ignore[return-value]
            db_native, os.fspath(uri), table, name, id_column, vector_column, text_column, columns, metric, callback
        )
    finally:
        close()


#: Chroma's ``hnsw:space`` → AgentDB's metric (the distances match: Chroma's ``l2`` is squared
#: Euclidean like AgentDB's, its ``ip`` is ``1 - a·b`` like ``dot``).
CHROMA_METRICS = {"l2": "l2", "cosine": "cosine", "ip": "dot"}
#: Records read from Chroma per page.
CHROMA_PAGE = 1000


def import_chroma(
    db: Any,
    path: Union[str, os.PathLike],
    collection: str,
    *,
    name: Optional[str],
    progress: ProgressArg,
) -> TransferReport:
    """See :meth:`agentdb.Database.import_chroma`. Chroma's storage is its own (SQLite plus its
    HNSW segments), so it is read through its own client, page by page, and written through the
    ordinary ``add``; the engine's all-or-nothing rule is kept by dropping the new collection on
    any error."""
    try:
        import chromadb
    except ImportError as e:
        from .errors import InvalidArgumentError

        raise InvalidArgumentError("importing from Chroma needs the chromadb package (pip install chromadb)") from e
    from .errors import CollectionNotFoundError, InvalidArgumentError

    client = chromadb.PersistentClient(path=os.fspath(path))
    try:
        source = client.get_collection(collection)
    except Exception as e:  # chromadb raises its own NotFoundError / ValueError by version
        raise CollectionNotFoundError(f"no Chroma collection {collection!r} in {os.fspath(path)!r}: {e}") from None
    space = (source.configuration_json or {}).get("hnsw", {}) or {}
    space_name = space.get("space") or (source.metadata or {}).get("hnsw:space", "l2")
    metric = CHROMA_METRICS.get(space_name)
    if metric is None:
        raise InvalidArgumentError(f"Chroma space {space_name!r} has no AgentDB metric")
    total = source.count()
    first = source.get(limit=1, include=["embeddings"])
    if not first["ids"]:
        raise InvalidArgumentError(f"Chroma collection {collection!r} is empty: its dimension is unknown")
    dim = len(first["embeddings"][0])
    target = name or collection
    coll = db.create_collection(target, dim=dim, metric=metric)
    callback, close = progress_callback(progress, f"import {collection}")
    done = 0
    try:
        for offset in range(0, total, CHROMA_PAGE):
            page = source.get(limit=CHROMA_PAGE, offset=offset, include=["embeddings", "documents", "metadatas"])
            if not page["ids"]:
                break
            coll.add(
                ids=list(page["ids"]),
                vectors=np.asarray(page["embeddings"], dtype=np.float32),
                documents=list(page["documents"]) if page.get("documents") is not None else None,
                metadata=[dict(m) if m else {} for m in page["metadatas"]] if page.get("metadatas") is not None else None,
            )
            done += len(page["ids"])
            if callback is not None:
                callback(done, max(total, done))
    except BaseException:
        db.drop_collection(target)
        raise
    finally:
        close()
    return {"kind": "collection", "name": target, "records": done}


def import_store(db_native: Any, path: Union[str, os.PathLike], name: Optional[str], progress: ProgressArg) -> TransferReport:
    callback, close = progress_callback(progress, f"import {Path(path).name}")
    try:
        return _native.import_store(db_native, Path(path), name, callback)  # type: ignore[return-value]
    finally:
        close()
