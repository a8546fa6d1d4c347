"""Type stub of the native extension ``agentdb._native`` (Rust, PyO3; source in rust/python/src).

Internal: use :mod:`agentdb` (``agentdb.connect``), which wraps these classes. Errors are raised
as the classes of :mod:`agentdb.errors`.

Checked against the built module by mypy's stubtest (``make test-python``). A default written
``= ...`` is one the runtime signature cannot show (PyO3 renders a non-literal default as
``...``); ``None`` means the engine decides (see the ``DEFAULT_…`` attributes). The classes are
PyO3 classes: constructed through ``__new__``, not subclassable.
"""

from os import PathLike
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union, final

import numpy as np
import numpy.typing as npt
from typing_extensions import Self

__all__ = [
    "Collection",
    "DEFAULT_CHUNK_OVERLAP",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_CHUNK_UNIT",
    "DEFAULT_CONTEXT_DOCUMENT_ORDER",
    "DEFAULT_CONTEXT_K",
    "DEFAULT_CONTEXT_MAX_TOKENS",
    "DEFAULT_FUSION_METHOD",
    "DEFAULT_FUSION_RRF_K",
    "DEFAULT_FUSION_TEXT_WEIGHT",
    "DEFAULT_FUSION_VECTOR_WEIGHT",
    "DEFAULT_HISTORY_LIMIT",
    "DEFAULT_HNSW_EF_CONSTRUCTION",
    "DEFAULT_HNSW_M",
    "DEFAULT_HNSW_QUANTIZATION",
    "DEFAULT_IMPORTANCE",
    "DEFAULT_INDEX_KIND",
    "DEFAULT_IVF_PQ_PARTITIONS",
    "DEFAULT_IVF_PQ_SUB_VECTORS",
    "DEFAULT_MEMORY_KIND",
    "DEFAULT_METRIC",
    "DEFAULT_PAYLOAD_CACHE_BYTES",
    "DEFAULT_RAG_K",
    "DEFAULT_RAG_MODE",
    "DEFAULT_RAG_RRF_K",
    "DEFAULT_RAG_TEXT_WEIGHT",
    "DEFAULT_RAG_VECTOR_WEIGHT",
    "DEFAULT_RECALL_EXACT",
    "DEFAULT_RECALL_K",
    "DEFAULT_RECALL_TOUCH",
    "DEFAULT_SEARCH_EXACT",
    "DEFAULT_SEARCH_K",
    "DEFAULT_SYNC",
    "DEFAULT_TEXT_FORMAT",
    "Database",
    "ERROR_CLASSES",
    "EXPORT_FORMAT",
    "INDEX_KINDS",
    "MAX_DIM",
    "MAX_ID_LEN",
    "MAX_K",
    "MAX_METADATA_KEY_LEN",
    "MAX_NAME_LEN",
    "MAX_VALUE_DEPTH",
    "MEMORY_KINDS",
    "METRICS",
    "Memory",
    "PROBLEM_KINDS",
    "QUANTIZATIONS",
    "RECALL_MODES",
    "SEARCH_MODES",
    "FUSIONS",
    "DEFAULT_TEXT_TOKENIZER",
    "Rag",
    "STORE_KINDS",
    "SYNC_MODES",
    "State",
    "WorkerPool",
    "CancelToken",
    "__version__",
    "backup",
    "chunk_text",
    "collection_stats",
    "count_tokens",
    "db_health",
    "db_stats",
    "distance",
    "drop_memory",
    "drop_rag",
    "export_store",
    "hamming",
    "import_lance_table",
    "import_chroma",
    "import_store",
    "is_metadata_key",
    "kernel_backends",
    "list_backups",
    "list_memories",
    "list_rags",
    "log_drain",
    "log_wake_fd",
    "memory_stats",
    "metrics_enabled",
    "metrics_text",
    "open_memory",
    "prune_backups",
    "rag_stats",
    "recall_score",
    "recall_weights_default",
    "restore",
    "retrieval_mode",
    "set_metrics_enabled",
    "state_stats",
    "store_kind",
    "verify",
    "verify_backup",
    "GRAPH_DEFAULT_ENTITY_K",
    "GRAPH_DEFAULT_FACTS_LIMIT",
    "GRAPH_MAX_HOPS",
    "Graph",
    "drop_graph",
    "list_graphs",
    "open_graph",
    "rabitq_ip",
    "search_counters",
    "reset_search_counters",
]

__version__: str
MAX_DIM: int
MAX_K: int
MAX_NAME_LEN: int
MAX_ID_LEN: int
MAX_METADATA_KEY_LEN: int
MAX_VALUE_DEPTH: int
#: engine error code → class name in agentdb.errors
ERROR_CLASSES: Dict[int, str]

# The engine's defaults and value lists, exported by each binding file's `add_defaults` from the
# engine's `Default` impls and constants (an argument left None below is filled from the same).
# database.rs: OpenOptions::default(), DEFAULT_PAYLOAD_CACHE_BYTES, SyncMode::ALL, Metric::ALL,
# Metric::default()
DEFAULT_SYNC: str
DEFAULT_PAYLOAD_CACHE_BYTES: int
SYNC_MODES: Tuple[str, ...]
METRICS: Tuple[str, ...]
DEFAULT_METRIC: str
# collection.rs: IndexKind::ALL, Quantization::ALL, HnswParams::default(), IvfPqParams::default(),
# IndexKind::default(), DEFAULT_SEARCH_K, SearchOptions::default()
INDEX_KINDS: Tuple[str, ...]
QUANTIZATIONS: Tuple[str, ...]
DEFAULT_INDEX_KIND: str
DEFAULT_SEARCH_K: int
DEFAULT_SEARCH_EXACT: bool
DEFAULT_HNSW_M: int
DEFAULT_HNSW_EF_CONSTRUCTION: int
DEFAULT_HNSW_QUANTIZATION: str
DEFAULT_IVF_PQ_PARTITIONS: int
DEFAULT_IVF_PQ_SUB_VECTORS: int
DEFAULT_FUSION_METHOD: str
DEFAULT_FUSION_RRF_K: float
DEFAULT_FUSION_VECTOR_WEIGHT: float
DEFAULT_FUSION_TEXT_WEIGHT: float
# memory.rs: MemoryKind::ALL, RecallMode::ALL, NewMemory::new, RecallOptions::new, DEFAULT_RECALL_K
MEMORY_KINDS: Tuple[str, ...]
RECALL_MODES: Tuple[str, ...]
SEARCH_MODES: Tuple[str, ...]
FUSIONS: Tuple[str, ...]
DEFAULT_TEXT_TOKENIZER: str
DEFAULT_MEMORY_KIND: str
DEFAULT_IMPORTANCE: float
DEFAULT_RECALL_TOUCH: bool
DEFAULT_RECALL_EXACT: bool
DEFAULT_RECALL_K: int
# rag.rs: RetrieveOptions::default(), ContextOptions::default(), ChunkOptions::default(),
# TextFormat::default()
DEFAULT_RAG_K: int
DEFAULT_RAG_MODE: str
DEFAULT_RAG_VECTOR_WEIGHT: float
DEFAULT_RAG_TEXT_WEIGHT: float
DEFAULT_RAG_RRF_K: float
DEFAULT_CONTEXT_MAX_TOKENS: int
DEFAULT_CONTEXT_K: int
DEFAULT_CONTEXT_DOCUMENT_ORDER: bool
DEFAULT_CHUNK_SIZE: int
DEFAULT_CHUNK_OVERLAP: int
DEFAULT_CHUNK_UNIT: str
DEFAULT_TEXT_FORMAT: str
# state.rs: DEFAULT_HISTORY_LIMIT
DEFAULT_HISTORY_LIMIT: int

_Filter = Union[str, Mapping[str, Any], None]
_Metadata = Dict[str, Any]
#: (ids, distances float32 (n,), documents, metadata)
_RawSearch = Tuple[List[str], npt.NDArray[np.float32], List[Optional[str]], List[_Metadata]]
#: (ids, BM25 scores float32 (n,), documents, metadata)
_RawTextSearch = Tuple[List[str], npt.NDArray[np.float32], List[Optional[str]], List[_Metadata]]
#: (ids, fused scores float32 (n,), documents, metadata, vector ranks, distances, text ranks, BM25)
_RawHybridSearch = Tuple[
    List[str],
    npt.NDArray[np.float32],
    List[Optional[str]],
    List[_Metadata],
    List[Optional[int]],
    List[Optional[float]],
    List[Optional[int]],
    List[Optional[float]],
]
#: (ids, vectors float32 (n, dim), documents, metadata)
_RawGet = Tuple[List[str], npt.NDArray[np.float32], List[Optional[str]], List[_Metadata]]

@final
class Database:
    def __new__(
        cls,
        path: Union[str, PathLike[str]],
        sync: Optional[str] = None,
        read_only: bool = ...,
        payload_cache_bytes: Optional[int] = None,
        storage_options: Optional[Dict[str, str]] = None,
        wal_dir: Optional[Union[str, PathLike[str]]] = None,
        lease_ttl: Optional[float] = None,
        read_consistency_interval: Optional[float] = None,
    ) -> Self: ...
    @property
    def path(self) -> Path: ...
    @property
    def uri(self) -> str: ...
    def refresh(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def sync(self) -> Optional[str]: ...
    def flush(self) -> None: ...
    def optimize(self) -> None: ...
    def close(self) -> None: ...
    def create_collection(self, name: str, dim: int, metric: Optional[str] = None) -> Collection: ...
    def get_collection(self, name: str) -> Collection: ...
    def get_or_create_collection(self, name: str, dim: int, metric: Optional[str] = None) -> Collection: ...
    def list_collections(self) -> List[str]: ...
    def drop_collection(self, name: str) -> None: ...

@final
class Collection:
    @property
    def name(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def metric(self) -> str: ...
    def metadata_schema(self) -> List[Tuple[str, str]]: ...
    def add(
        self,
        ids: Sequence[str],
        vectors: Any,
        documents: Optional[Sequence[Optional[str]]] = None,
        metadata: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
    ) -> None: ...
    def upsert(
        self,
        ids: Sequence[str],
        vectors: Any,
        documents: Optional[Sequence[Optional[str]]] = None,
        metadata: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
    ) -> None: ...
    def add_arrow(self, data: Any, upsert: bool) -> None: ...
    def stage(
        self,
        ids: Sequence[str],
        vectors: Any,
        documents: Optional[Sequence[Optional[str]]] = None,
        metadata: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
    ) -> bytes: ...
    def commit_staged(self, parts: List[bytes]) -> int: ...
    def get(
        self,
        ids: Optional[Sequence[str]] = None,
        filter: _Filter = None,
        limit: Optional[int] = None,
        offset: int = ...,
    ) -> _RawGet: ...
    def delete(self, ids: Optional[Sequence[str]] = None, filter: _Filter = None) -> int: ...
    def optimize(self) -> None: ...
    def count(self, filter: _Filter = None) -> int: ...
    def search(
        self,
        query: Any,
        k: Optional[int] = None,
        filter: _Filter = None,
        ef: Optional[int] = None,
        exact: Optional[bool] = None,
        threads: Optional[int] = None,
        ids_only: bool = ...,
        include: Optional[List[str]] = None,
        nprobes: Optional[int] = None,
        refine_factor: Optional[int] = None,
    ) -> _RawSearch: ...
    def search_batch(
        self,
        queries: Any,
        k: Optional[int] = None,
        filter: _Filter = None,
        ef: Optional[int] = None,
        exact: Optional[bool] = None,
        threads: Optional[int] = None,
        ids_only: bool = ...,
        include: Optional[List[str]] = None,
        nprobes: Optional[int] = None,
        refine_factor: Optional[int] = None,
    ) -> List[_RawSearch]: ...
    def text_search(self, query: str, k: Optional[int] = None, filter: _Filter = None) -> _RawTextSearch: ...
    def hybrid_search(
        self,
        vector: Any,
        text: str,
        k: Optional[int] = None,
        filter: _Filter = None,
        method: Optional[str] = None,
        vector_weight: Optional[float] = None,
        text_weight: Optional[float] = None,
        rrf_k: Optional[float] = None,
        candidates: Optional[int] = None,
    ) -> _RawHybridSearch: ...
    @property
    def text_tokenizer(self) -> str: ...
    def set_text_tokenizer(self, tokenizer: str) -> None: ...
    def create_index(
        self,
        kind: Optional[str] = None,
        m: Optional[int] = None,
        ef_construction: Optional[int] = None,
        quantization: Optional[str] = None,
        partitions: Optional[int] = None,
        sub_vectors: Optional[int] = None,
    ) -> None: ...
    def drop_index(self) -> None: ...
    #: {"kind": ..., plus the kind's parameters}, or None without an index
    def index_params(self) -> Optional[Dict[str, Any]]: ...

# SIMD distance kernels (rust/python/src/distance.rs); wrapped by agentdb.distance, which
# normalises the arguments: a and b are C-contiguous arrays of the same dtype, float32, uint16
# (float16 bits) or int8 (uint8 for hamming), 1-D or 2-D. 1-D × 1-D → a scalar; 1-D × 2-D (either
# order) → (n,); 2-D × 2-D → (m, n).
def distance(
    a: npt.NDArray[Any], b: npt.NDArray[Any], metric: str, backend: Optional[str] = None
) -> Union[float, npt.NDArray[np.float32]]: ...
def hamming(
    a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8], backend: Optional[str] = None
) -> Union[int, npt.NDArray[np.uint32]]: ...
#: (supported backend names, active backend name)
def kernel_backends() -> Tuple[List[str], str]: ...
#: (Σ b_i qu_i, set bits of code): the RaBitQ kernel on uint64 code words and 4 × as many plane words
def rabitq_ip(
    code: npt.NDArray[np.uint64], planes: npt.NDArray[np.uint64], backend: Optional[str] = None
) -> Tuple[int, int]: ...
# collection.rs: the process-wide HNSW search counters (name → count) and their reset
def search_counters() -> Dict[str, int]: ...
def reset_search_counters() -> None: ...

# Agent state (rust/python/src/state.rs), wrapped by agentdb.state.State. Values are
# JSON-serialisable objects; times are datetimes (naive = UTC; returned aware, in UTC); a TTL is
# seconds or a timedelta.
#: (version, value, written_at, deleted, expires_at)
_RawVersion = Tuple[int, Any, Any, bool, Optional[Any]]
#: (thread_id, namespace, checkpoint_id, parent_id, type, checkpoint, metadata, created_at)
_RawCheckpoint = Tuple[str, str, str, Optional[str], str, bytes, Dict[str, Any], Any]
#: (task_id, idx, channel, type, value, task_path)
_RawWrite = Tuple[str, int, str, str, bytes, str]

@final
class State:
    def __new__(cls, db: Database) -> Self: ...
    def put(self, agent_id: str, session_id: str, key: str, value: Any, ttl: Any = None) -> int: ...
    def put_many(self, agent_id: str, session_id: str, values: Dict[str, Any], ttl: Any = None) -> List[int]: ...
    def get(
        self, agent_id: str, session_id: str, key: str, version: Optional[int] = None, at: Any = None
    ) -> Optional[_RawVersion]: ...
    def history(
        self, agent_id: str, session_id: str, key: str, limit: Optional[int] = None, offset: int = ...
    ) -> List[_RawVersion]: ...
    def delete(self, agent_id: str, session_id: str, key: str) -> int: ...
    def snapshot(self, agent_id: str, session_id: str, at: Any = None) -> Dict[str, Any]: ...
    def keys(self, agent_id: str, session_id: str, at: Any = None) -> List[str]: ...
    def sessions(self, agent_id: str) -> List[str]: ...
    def purge(self, agent_id: str, session_id: Optional[str] = None) -> int: ...
    def set_session_ttl(self, agent_id: str, session_id: str, ttl: Any = None) -> None: ...
    def session_ttl(self, agent_id: str, session_id: str) -> Optional[float]: ...
    def sweep(self) -> int: ...
    def flush(self) -> None: ...
    def put_checkpoint(
        self,
        thread_id: str,
        namespace: str,
        checkpoint_id: str,
        checkpoint: Union[bytes, bytearray, memoryview],
        parent_id: Optional[str] = None,
        metadata: Optional[Dict[str, Any]] = None,
        type_: str = ...,
    ) -> None: ...
    def get_checkpoint(self, thread_id: str, namespace: str, checkpoint_id: Optional[str] = None) -> Optional[_RawCheckpoint]: ...
    def list_checkpoints(
        self,
        thread_id: Optional[str] = None,
        namespace: Optional[str] = None,
        before: Optional[str] = None,
        limit: Optional[int] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> List[_RawCheckpoint]: ...
    def put_writes(
        self,
        thread_id: str,
        namespace: str,
        checkpoint_id: str,
        task_id: str,
        writes: List[Tuple[int, str, str, bytes]],
        task_path: str = ...,
    ) -> None: ...
    def get_writes(self, thread_id: str, namespace: str, checkpoint_id: str) -> List[_RawWrite]: ...
    def delete_thread(self, thread_id: str) -> None: ...

# Agent memory (rust/python/src/memory.rs), wrapped by agentdb.memory.
#: (id, text, agent_id, session_id, kind, importance, created_at, last_accessed, access_count,
#:  metadata, vector float32 (dim,) or None in recall hits)
_RawMemory = Tuple[
    str, Optional[str], str, Optional[str], str, float, Any, Any, int, Dict[str, Any], Optional[npt.NDArray[np.float32]]
]
#: (merged [(kept, removed)], pruned ids, evicted ids)
_RawReport = Tuple[List[Tuple[str, str]], List[str], List[str]]
#: (mode, similarity, recency, importance, half_life_secs, adjust)
_RawWeights = Tuple[str, float, float, float, float, float, float, str, float]

def recall_weights_default(linear: bool = False) -> Dict[str, Any]: ...
def recall_score(
    weights: _RawWeights, similarity: Optional[float], age_seconds: float, importance: float
) -> Tuple[float, float, float]: ...

def open_memory(db: Database, name: str, dim: Optional[int] = None, metric: Optional[str] = None) -> Memory: ...
def list_memories(db: Database) -> List[str]: ...
def drop_memory(db: Database, name: str) -> None: ...

@final
class Memory:
    @property
    def name(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def metric(self) -> str: ...
    @property
    def pending_writes(self) -> int: ...
    @property
    def background_running(self) -> bool: ...
    @property
    def text_tokenizer(self) -> str: ...
    def set_text_tokenizer(self, tokenizer: str) -> None: ...
    def remember(
        self,
        vectors: Any,
        ids: List[Optional[str]],
        texts: List[Optional[str]],
        agent_ids: List[str],
        session_ids: List[Optional[str]],
        kinds: List[Optional[str]],
        importances: List[Optional[float]],
        metadata: List[Optional[Mapping[str, Any]]],
        created_at: List[Any],
    ) -> List[str]: ...
    def recall(
        self,
        query: Any,
        k: Optional[int] = None,
        agent_id: Optional[str] = None,
        session_id: Optional[str] = None,
        kinds: Optional[List[str]] = None,
        since: Any = None,
        until: Any = None,
        filter: _Filter = None,
        weights: Optional[_RawWeights] = None,
        touch: Optional[bool] = None,
        now: Any = None,
        candidates: Optional[int] = None,
        exact: Optional[bool] = None,
        text: Optional[str] = None,
        mode: Optional[str] = None,
    ) -> List[Tuple[_RawMemory, float, Optional[float], float, Optional[float]]]: ...
    def recall_with_graph(
        self,
        graph: Graph,
        query: Any,
        k: Optional[int] = None,
        agent_id: Optional[str] = None,
        session_id: Optional[str] = None,
        kinds: Optional[List[str]] = None,
        since: Any = None,
        until: Any = None,
        filter: _Filter = None,
        weights: Optional[_RawWeights] = None,
        touch: Optional[bool] = None,
        now: Any = None,
        candidates: Optional[int] = None,
        exact: Optional[bool] = None,
        text: Optional[str] = None,
        mode: Optional[str] = None,
        graph_facts: Optional[int] = None,
    ) -> Tuple[List[Tuple[_RawMemory, float, Optional[float], float, Optional[float]]], List[_FactTuple]]: ...
    def get(self, ids: Sequence[str]) -> List[_RawMemory]: ...
    def count(
        self,
        agent_id: Optional[str] = None,
        session_id: Optional[str] = None,
        kinds: Optional[List[str]] = None,
        since: Any = None,
        until: Any = None,
        filter: _Filter = None,
    ) -> int: ...
    def update(
        self,
        id: str,
        set_text: bool = ...,
        text: Optional[str] = None,
        importance: Optional[float] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        vector: Any = None,
    ) -> None: ...
    def forget(
        self,
        ids: Optional[Sequence[str]] = None,
        agent_id: Optional[str] = None,
        session_id: Optional[str] = None,
        kinds: Optional[List[str]] = None,
        since: Any = None,
        until: Any = None,
        filter: _Filter = None,
    ) -> int: ...
    def consolidate(
        self,
        agent_id: Optional[str] = None,
        min_score: Optional[float] = None,
        capacity: Optional[int] = None,
        dedup_threshold: Optional[float] = None,
        weights: Optional[_RawWeights] = None,
        now: Any = None,
    ) -> _RawReport: ...
    def flush(self) -> None: ...
    def start_background(
        self,
        every: float,
        agent_id: Optional[str] = None,
        min_score: Optional[float] = None,
        capacity: Optional[int] = None,
        dedup_threshold: Optional[float] = None,
        weights: Optional[_RawWeights] = None,
    ) -> None: ...
    def stop_background(self) -> None: ...
    def last_background_run(self) -> Optional[_RawReport]: ...

# -- RAG (rust/python/src/rag.rs) --------------------------------------------------------------

#: (text, char_start, char_end, headings, tokens)
_RawChunk = Tuple[str, int, int, List[str], int]
#: (id, doc_id, source, position, char_start, char_end, heading, text, score,
#:  vector_rank, distance, text_rank, bm25, metadata)
_RawRagHit = Tuple[
    str, str, str, int, int, int, str, str, float, Optional[int], Optional[float], Optional[int], Optional[float], _Metadata
]
#: (number, doc_id, source, heading, positions, char_start, char_end)
_RawCitation = Tuple[int, str, str, str, List[int], int, int]
#: (id, text, source, format or None for the engine's default, metadata)
_RawDocument = Tuple[str, str, Optional[str], Optional[str], Optional[Mapping[str, Any]]]

def chunk_text(
    text: str,
    format: Optional[str] = None,
    size: Optional[int] = None,
    overlap: Optional[int] = None,
    unit: Optional[str] = None,
    tokenizer: Optional[Callable[[str], int]] = None,
) -> List[_RawChunk]: ...
def count_tokens(text: str) -> int: ...
#: the canonical name ("hybrid", "vector", "text") of a retrieval mode; None: the default mode
def retrieval_mode(mode: Optional[str] = None) -> str: ...
def list_rags(db: Database) -> List[str]: ...
def drop_rag(db: Database, name: str) -> None: ...

@final
class Rag:
    def __new__(cls, db: Database, name: str, dim: int, metric: Optional[str] = None) -> Self: ...
    @staticmethod
    def open(db: Database, name: str) -> Rag: ...
    @property
    def name(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def metric(self) -> str: ...
    def ingest(
        self,
        docs: List[_RawDocument],
        embed: Callable[[List[str]], Any],
        size: Optional[int] = None,
        overlap: Optional[int] = None,
        unit: Optional[str] = None,
        force: bool = ...,
        tokenizer: Optional[Callable[[str], int]] = None,
    ) -> List[Tuple[str, str, int]]: ...
    def search(
        self,
        text: Optional[str] = None,
        vector: Any = None,
        k: Optional[int] = None,
        mode: Optional[str] = None,
        vector_weight: Optional[float] = None,
        text_weight: Optional[float] = None,
        rrf_k: Optional[float] = None,
        candidates: Optional[int] = None,
        mmr_lambda: Optional[float] = None,
        filter: _Filter = None,
    ) -> List[_RawRagHit]: ...
    def context(
        self,
        text: Optional[str] = None,
        vector: Any = None,
        max_tokens: Optional[int] = None,
        k: Optional[int] = None,
        mode: Optional[str] = None,
        vector_weight: Optional[float] = None,
        text_weight: Optional[float] = None,
        rrf_k: Optional[float] = None,
        candidates: Optional[int] = None,
        mmr_lambda: Optional[float] = None,
        filter: _Filter = None,
        document_order: Optional[bool] = None,
        tokenizer: Optional[Callable[[str], int]] = None,
    ) -> Tuple[str, int, List[_RawCitation]]: ...
    def delete(self, doc_ids: Sequence[str]) -> int: ...
    def count(self, filter: _Filter = None) -> int: ...
    def documents(self) -> List[Tuple[str, str, int, str]]: ...
    def update_text_index(self) -> None: ...
    @property
    def text_tokenizer(self) -> str: ...
    def set_text_tokenizer(self, tokenizer: str) -> None: ...

def is_metadata_key(key: str) -> bool: ...

@final
class WorkerPool:
    def __new__(cls, threads: int, resolve: Callable[[Any, bool, Any], None]) -> Self: ...
    def submit(
        self,
        event_loop: Any,
        future: Any,
        call: Callable[..., Any],
        args: Tuple[Any, ...],
        kwargs: Optional[Dict[str, Any]] = None,
    ) -> None: ...
    def shutdown(self, event_loop: Any, future: Any) -> None: ...
    def join(self) -> None: ...
    @property
    def size(self) -> int: ...
    @property
    def threads(self) -> int: ...
    @property
    def closed(self) -> bool: ...
# cancel.rs: cancelling long calls (see agentdb.cancel)
@final
class CancelToken:
    def __new__(cls) -> Self: ...
    def cancel(self) -> None: ...
    def reset(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...
    def run(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...
# ops.rs: stats, health, metrics and the log bridge (see agentdb.ops for the dicts' fields)
def db_stats(db: Database) -> Dict[str, Any]: ...
def db_health(db: Database) -> Dict[str, Any]: ...
def metrics_text(db: Database) -> str: ...
def set_metrics_enabled(db: Database, on: bool) -> None: ...
def metrics_enabled(db: Database) -> bool: ...
def state_stats(state: State) -> List[Dict[str, Any]]: ...
def collection_stats(collection: Collection) -> Dict[str, Any]: ...
def memory_stats(memory: Memory) -> Dict[str, Any]: ...
def rag_stats(rag: Rag) -> Dict[str, Any]: ...
def log_wake_fd() -> Optional[int]: ...
def log_drain() -> Tuple[int, List[Tuple[int, str, str]]]: ...

# transfer.rs: export and import of stores (see agentdb.transfer)
EXPORT_FORMAT: str
STORE_KINDS: List[str]
def export_store(
    db: Database, name: str, path: Any, kind: Optional[str] = None, progress: Optional[Callable[[int, int], None]] = None
) -> Dict[str, Any]: ...
def import_store(
    db: Database, path: Any, name: Optional[str] = None, progress: Optional[Callable[[int, int], None]] = None
) -> Dict[str, Any]: ...
def store_kind(db: Database, name: str) -> str: ...
def import_lance_table(
    db: Database,
    uri: str,
    table: str,
    name: Optional[str] = None,
    id_column: Optional[str] = None,
    vector_column: Optional[str] = None,
    text_column: Optional[str] = None,
    metadata_columns: Optional[Sequence[str]] = None,
    metric: Optional[str] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> Dict[str, Any]: ...
def import_chroma(
    db: Database, path: Any, collection: str, name: Optional[str] = None, progress: Optional[Callable[[int, int], None]] = None
) -> Dict[str, Any]: ...

# Backup, restore and verify (rust/python/src/admin.rs; wrapped by agentdb/admin.py).
PROBLEM_KINDS: Dict[str, str]
def backup(db: Database, dest: Union[str, PathLike[str]], incremental: bool = ...) -> Dict[str, Any]: ...
def restore(src: Union[str, PathLike[str]], path: Union[str, PathLike[str]], at: Optional[int] = None) -> Dict[str, Any]: ...
def list_backups(src: Union[str, PathLike[str]]) -> List[Dict[str, Any]]: ...
def prune_backups(dest: Union[str, PathLike[str]], keep: int) -> Dict[str, Any]: ...
def verify_backup(src: Union[str, PathLike[str]], at: Optional[int] = None) -> List[Tuple[str, str]]: ...
def verify(db: Database, repair: bool = ...) -> Dict[str, Any]: ...

# Knowledge graphs (rust/python/src/graph.rs; wrapped by agentdb/graph.py). An entity tuple is
# (id, name, type, aliases, embedding, metadata, recorded_at); a fact tuple is (id, version,
# subject, predicate, object, object_is_entity, valid_from, valid_to, recorded_at, superseded_at,
# sources, confidence).
GRAPH_DEFAULT_FACTS_LIMIT: int
GRAPH_DEFAULT_ENTITY_K: int
GRAPH_MAX_HOPS: int
_EntityTuple = Tuple[str, str, Optional[str], List[str], Optional[npt.NDArray[np.float32]], Dict[str, Any], Any]
_FactTuple = Tuple[str, int, str, str, str, bool, Any, Any, Any, Any, List[str], float]
def open_graph(db: Database, name: str, dim: Optional[int] = None) -> Graph: ...
def list_graphs(db: Database) -> List[str]: ...
def drop_graph(db: Database, name: str) -> None: ...
@final
class Graph:
    @property
    def name(self) -> str: ...
    @property
    def dim(self) -> Optional[int]: ...
    def add_entities(self, items: Sequence[Tuple[Any, ...]]) -> List[str]: ...
    def entity(self, entity_id: str) -> Optional[_EntityTuple]: ...
    def counts(self) -> Tuple[int, int]: ...
    def declare_predicate(self, predicate: str, single_valued: bool) -> None: ...
    def predicates(self) -> List[Tuple[str, bool]]: ...
    def add_facts(self, items: Sequence[Tuple[Any, ...]]) -> List[str]: ...
    def invalidate(self, fact_id: str, at: Any = None) -> _FactTuple: ...
    def correct(
        self,
        fact_id: str,
        object: Optional[str] = None,
        object_is_entity: Optional[bool] = None,
        valid_from: Any = None,
        valid_to: Any = None,
        reopen: Optional[bool] = None,
        sources: Optional[Sequence[str]] = None,
        confidence: Optional[float] = None,
    ) -> _FactTuple: ...
    def fact(self, fact_id: str, known_at: Any = None) -> Optional[_FactTuple]: ...
    def fact_history(self, fact_id: str) -> List[_FactTuple]: ...
    def facts(
        self,
        entity_id: str,
        as_of: Any = None,
        during: Any = None,
        known_at: Any = None,
        predicates: Optional[Sequence[str]] = None,
        direction: Optional[str] = None,
    ) -> List[_FactTuple]: ...
    def neighbors(
        self,
        entity_id: str,
        hops: int,
        as_of: Any = None,
        during: Any = None,
        known_at: Any = None,
        predicates: Optional[Sequence[str]] = None,
        direction: Optional[str] = None,
    ) -> List[Tuple[str, int]]: ...
    def shortest_path(
        self,
        from_id: str,
        to_id: str,
        max_hops: Optional[int] = None,
        as_of: Any = None,
        during: Any = None,
        known_at: Any = None,
        predicates: Optional[Sequence[str]] = None,
        direction: Optional[str] = None,
    ) -> Optional[List[_FactTuple]]: ...
    def find_entities(self, name: str) -> List[_EntityTuple]: ...
    def search_entities(
        self, text: Optional[str] = None, vector: Any = None, k: Optional[int] = None, type_: Optional[str] = None
    ) -> List[Tuple[_EntityTuple, float]]: ...
    def facts_for_text(self, text: str, as_of: Any = None, limit: Optional[int] = None) -> List[_FactTuple]: ...
    def mentioned_entities(self, text: str) -> List[_EntityTuple]: ...
    def flush(self) -> None: ...
