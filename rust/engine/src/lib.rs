//! AgentDB's engine: collections of (id, vector, document, metadata) stored in LanceDB, behind a
//! plain blocking API. The bindings (Python, C, Zig) translate to and from this API and add no
//! logic of their own.
//!
//! ```no_run
//! use agentdb_engine::{Database, Metric, Records, Vectors};
//! let db = Database::open("/tmp/my-db")?;
//! let docs = db.create_collection("docs", 3, Metric::Cosine)?;
//! let ids = vec!["a".to_string()];
//! docs.add(&Records { ids: &ids, vectors: Vectors::Flat { data: &[1.0, 0.0, 0.0], dim: 3 }, documents: None, metadata: None })?;
//! let hits = docs.search(&[1.0, 0.1, 0.0], 5, None)?;
//! # Ok::<(), agentdb_engine::Error>(())
//! ```

// The layers, lowest first: each module imports only from the ones above it in this list (and
// `error`); `tests/layers.rs` fails the build's tests on an upward import or a circle.
mod error;
mod util;
pub mod kernels;
mod types;
mod index;
mod storage;
mod collection;
mod db;
mod graph;
mod state;
mod memory;
pub mod rag;
mod admin;
mod open;
mod ops;
mod transfer;
#[doc(hidden)]
pub mod fuzz;

pub use rag::chunk;
pub use storage::runtime::on_live_thread;

pub use types::arrow_in::OwnedRecords;
pub use collection::{Collection, MAX_K};
pub use db::{Database, OpenOptions};
pub use error::{Error, ErrorKind, Result};
pub use types::filter::{Filter, MAX_FILTER_DEPTH, MAX_FILTER_NODES, MAX_FILTER_SQL_LEN, MAX_FILTER_STRING_LEN};
pub use index::params::{HnswParams, IndexKind, IndexOptions, IndexParams, IvfPqParams, Quantization};
pub use index::mirror::{SearchOptions, DEFAULT_K as DEFAULT_SEARCH_K};
pub use index::hnsw::{reset_search_counters, search_counters, SearchCounters};
pub use collection::payload::DEFAULT_PAYLOAD_CACHE_BYTES;
pub use memory::{
    similarity as memory_similarity, ConsolidateOptions, DEFAULT_IMPORTANCE as MEMORY_DEFAULT_IMPORTANCE, DEFAULT_RECALL_K, default_recall_candidates, ConsolidationReport, Memory, MemoryFilter, MemoryHit, MemoryKind,
    MemoryRecord, MemoryUpdate, NewMemory, RecallMode, RecallOptions, RecallWeights, EXACT_RECALL_MAX, MEMORY_COLLECTION_PREFIX,
    SYSTEM_KEYS as MEMORY_SYSTEM_KEYS,
};
pub use types::records::{Include, GetResult, Records, SearchResult, Vectors, MAX_ID_LEN};
pub use collection::text_index::TextSearchResult;
pub use types::fusion::{default_candidates as default_hybrid_candidates, fuse, FusionMethod, FusionOptions, Fused, DEFAULT_RRF_K};
pub use collection::hybrid::{HybridOptions, HybridSearchResult};
pub use types::schema::{validate_collection_name, Metric, MAX_DIM, MAX_NAME_LEN};
pub use storage::wal::SyncMode;
pub use state::{
    Checkpoint, CheckpointFilter, PendingWrite, State, StateAt, StateVersion, WriteInput, DEFAULT_HISTORY_LIMIT, MAX_JSON_DEPTH,
    MAX_STATE_NAME_LEN,
};
pub use types::value::{
    check_json_depth, days_from_civil, format_rfc3339_micros, json_depth, parse_json, parse_rfc3339_micros,
    validate_key as validate_metadata_key, MetaType, Metadata, Value, MAX_KEY_LEN as MAX_METADATA_KEY_LEN, MAX_VALUE_DEPTH,
};

pub use ops::{DbStats, Health, RagStats, StoreStats};
pub use transfer::{LanceImport, StoreKind, TransferReport, EXPORT_FORMAT, EXPORT_FORMAT_VERSION, STATE_STORE_NAME};
pub use collection::stats::{CollectionStats, IndexStats};
pub use storage::stats::TableStats;
pub use db::WalStats;
pub use memory::{MemoryHealth, MemoryStats};
pub use memory::{Fusion, SearchMode};
pub use types::text::{TextTokenizer, DEFAULT_NGRAM, MAX_NGRAM};
pub use util::metrics::LastError;
pub use util::cancel::{self, CancelToken};

/// Re-exported so the bindings use exactly the engine's Arrow (one version, one feature set).
pub use arrow;
pub use arrow_array;
pub use arrow_schema;
/// Re-exported so the bindings build agent-state values with the engine's serde_json.
pub use serde_json;

/// The engine's version (the workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub use admin::{list_backups, prune_backups, restore, verify_backup, BackupFile, BackupPoint, Problem, ProblemKind, PruneReport, VerifyReport, BACKUP_TAG_PREFIX};
pub use graph::{
    Direction as GraphDirection, Entity, EntityHit, Fact, FactCorrection, FactObject, FactQuery, Graph, Neighbor, NewEntity, NewFact,
    DEFAULT_ENTITY_K as GRAPH_DEFAULT_ENTITY_K, DEFAULT_FACTS_LIMIT as GRAPH_DEFAULT_FACTS_LIMIT, MAX_GRAPH_NAME_LEN, MAX_GRAPH_TEXT_LEN,
    MAX_HOPS as GRAPH_MAX_HOPS,
};
pub use memory::GraphRecall;
// Databases on object stores (s3://): see `storage/remote.rs`.
pub use db::{ObjectStoreOptions, DEFAULT_READ_CONSISTENCY};
pub use storage::lease::{DEFAULT_LEASE_TTL, MIN_LEASE_TTL};
