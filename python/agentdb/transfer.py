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

A collection of a Chroma ``PersistentClient`` directory becomes a collection with
:meth:`Database.import_chroma <agentdb.Database.import_chroma>`, read by the engine from
Chroma's own files (chromadb need not be installed).

``agentdb export PATH STORE FILE``, ``agentdb import PATH FILE`` and
``agentdb import PATH --lancedb URI --table T`` do the same from the shell.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Tuple, TypedDict, Union

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


def import_chroma(
    db_native: Any,
    path: Union[str, os.PathLike],
    collection: str,
    *,
    name: Optional[str],
    progress: ProgressArg,
) -> TransferReport:
    """See :meth:`agentdb.Database.import_chroma`. The engine reads Chroma's files itself (its
    SQLite database and HNSW segment files; see ``rust/engine/src/transfer/chroma.rs``), so
    chromadb need not be installed, and C, Zig, Node and Go reach the same import."""
    callback, close = progress_callback(progress, f"import {collection}")
    try:
        return _native.import_chroma(db_native, Path(path), collection, name, callback)  # type: ignore[return-value]
    finally:
        close()


def import_store(db_native: Any, path: Union[str, os.PathLike], name: Optional[str], progress: ProgressArg) -> TransferReport:
    callback, close = progress_callback(progress, f"import {Path(path).name}")
    try:
        return _native.import_store(db_native, Path(path), name, callback)  # type: ignore[return-value]
    finally:
        close()
