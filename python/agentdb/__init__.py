"""AgentDB: an embeddable vector database on LanceDB.

Quick start::

    import numpy as np
    import agentdb

    with agentdb.connect("./my-db") as db:
        docs = db.get_or_create_collection("docs", dim=3, metric="cosine")
        docs.add(
            ids=["a", "b"],
            vectors=np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32),
            documents=["first", "second"],
            metadata=[{"lang": "en", "year": 2021}, {"lang": "fr", "year": 2019}],
        )
        hits = docs.search(np.array([1, 0.1, 0], dtype=np.float32), k=1, where={"year": {"$gte": 2020}})
        print(hits.ids, hits.distances)

See :mod:`agentdb.collection` for distances and the filter grammar, :mod:`agentdb.errors` for
the exceptions, and :mod:`agentdb.distance` for the SIMD distance kernels on numpy arrays
(``agentdb.distance(a, b, metric="cosine")``, ``agentdb.cdist``, ``agentdb.hamming``).
"""

from __future__ import annotations

from . import errors
from ._native import MAX_VALUE_DEPTH, __version__
from .collection import Collection, IndexInfo, VectorLike, VectorsLike, Where
from .collection import reset_search_counters, search_counters
from .database import METRICS, SYNC_MODES, Database, connect, open
from .distance import KernelBackends, cdist, distance, hamming, kernel_backends
from .errors import (
    AgentDBError,
    ClosedError,
    CollectionExistsError,
    CollectionNotFoundError,
    DatabaseLockedError,
    DimensionMismatchError,
    DuplicateIdError,
    InternalError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    InvalidFilterError,
    InvalidMetadataError,
    InvalidNameError,
    InvalidVectorError,
    ReadOnlyError,
    StorageError,
)
from .results import GetResult, Hit, Metadata, MetadataValue, Record, SearchResult
from .results import HybridHit, HybridSearchResult, TextHit, TextSearchResult
from .rag import Citation, Context, IngestResult, IngestSummary, Rag, RagHit
from .memory import ConsolidationReport, Memory, MemoryHit, MemoryRecord, RecallWeights
from .memory import RecallResult
from . import embed
from .state import Checkpoint, PendingWrite, State, StateVersion
from .graph import Entity, EntityHit, Fact, Graph, Neighbor
from . import aio
from .aio import AsyncCollection, AsyncDatabase, AsyncMemory, AsyncRag, AsyncState, connect_async
from .aio import AsyncGraph
from . import admin
from .admin import BackupPoint, Problem, PruneReport, VerifyReport, list_backups, prune_backups, restore
from . import cancel
from .cancel import CancelToken
from .errors import CancelledError

__all__ = [
    "__version__",
    "MAX_VALUE_DEPTH",
    "Rag",
    "RagHit",
    "Context",
    "Citation",
    "IngestResult",
    "IngestSummary",
    "Memory",
    "MemoryHit",
    "MemoryRecord",
    "RecallWeights",
    "ConsolidationReport",
    "embed",
    "State",
    "StateVersion",
    "Checkpoint",
    "PendingWrite",
    "connect",
    "open",
    "Database",
    "SYNC_MODES",
    "Collection",
    "IndexInfo",
    "SearchResult",
    "GetResult",
    "Hit",
    "Record",
    "Metadata",
    "MetadataValue",
    "TextSearchResult",
    "TextHit",
    "HybridSearchResult",
    "HybridHit",
    "Where",
    "VectorLike",
    "VectorsLike",
    "METRICS",
    "distance",
    "cdist",
    "hamming",
    "kernel_backends",
    "KernelBackends",
    "errors",
    "AgentDBError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "InvalidNameError",
    "CollectionNotFoundError",
    "CollectionExistsError",
    "DimensionMismatchError",
    "DuplicateIdError",
    "InvalidVectorError",
    "InvalidMetadataError",
    "InvalidFilterError",
    "ClosedError",
    "StorageError",
    "InternalError",
    "DatabaseLockedError",
    "ReadOnlyError",
    "aio",
    "connect_async",
    "AsyncDatabase",
    "AsyncCollection",
    "AsyncMemory",
    "AsyncState",
    "AsyncRag",
    "admin",
    "BackupPoint",
    "PruneReport",
    "Problem",
    "VerifyReport",
    "restore",
    "list_backups",
    "prune_backups",
    "Graph",
    "Entity",
    "Fact",
    "EntityHit",
    "Neighbor",
    "AsyncGraph",
    "search_counters",
    "reset_search_counters",
    "cancel",
    "CancelToken",
    "CancelledError",
    "RecallResult",
]
