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

mod arrow_in;
pub mod chunk;
mod buffer;
mod collection;
mod cores;
mod database;
mod error;
mod filter;
#[doc(hidden)]
pub mod fuzz;
mod hnsw;
mod index_file;
pub mod kernels;
mod lock;
mod memory;
mod mirror;
mod payload;
pub mod rag;
mod records;
mod runtime;
pub use runtime::on_live_thread;
mod schema;
mod state;
mod text_index;
mod value;
mod vector_store;
mod wal;

pub use arrow_in::OwnedRecords;
pub use collection::{Collection, MAX_K};
pub use database::{Database, OpenOptions};
pub use error::{Error, ErrorKind, Result};
pub use filter::{Filter, MAX_FILTER_DEPTH, MAX_FILTER_NODES, MAX_FILTER_SQL_LEN, MAX_FILTER_STRING_LEN};
pub use hnsw::{HnswParams, IndexKind, IndexOptions, IndexParams, IvfPqParams, Quantization};
pub use mirror::SearchOptions;
pub use payload::{Include, DEFAULT_PAYLOAD_CACHE_BYTES};
pub use memory::{
    similarity as memory_similarity, ConsolidateOptions, ConsolidationReport, Memory, MemoryFilter, MemoryHit, MemoryKind,
    MemoryRecord, MemoryUpdate, NewMemory, RecallMode, RecallOptions, RecallWeights, EXACT_RECALL_MAX, MEMORY_COLLECTION_PREFIX,
    SYSTEM_KEYS as MEMORY_SYSTEM_KEYS,
};
pub use records::{GetResult, Records, SearchResult, Vectors, MAX_ID_LEN};
pub use text_index::TextSearchResult;
pub use schema::{validate_collection_name, Metric, MAX_DIM, MAX_NAME_LEN};
pub use wal::SyncMode;
pub use state::{
    Checkpoint, CheckpointFilter, PendingWrite, State, StateAt, StateVersion, WriteInput, MAX_JSON_DEPTH, MAX_STATE_NAME_LEN,
};
pub use value::{
    check_json_depth, days_from_civil, format_rfc3339_micros, json_depth, parse_json, parse_rfc3339_micros,
    validate_key as validate_metadata_key, MetaType, Metadata, Value, MAX_KEY_LEN as MAX_METADATA_KEY_LEN, MAX_VALUE_DEPTH,
};

/// Re-exported so the bindings use exactly the engine's Arrow (one version, one feature set).
pub use arrow;
pub use arrow_array;
pub use arrow_schema;
/// Re-exported so the bindings build agent-state values with the engine's serde_json.
pub use serde_json;

/// The engine's version (the workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
