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
mod collection;
mod database;
mod error;
mod filter;
mod hnsw;
mod index_file;
pub mod kernels;
mod mirror;
mod records;
mod runtime;
mod schema;
mod value;

pub use arrow_in::OwnedRecords;
pub use collection::{Collection, MAX_K};
pub use database::Database;
pub use error::{Error, ErrorKind, Result};
pub use filter::Filter;
pub use hnsw::{HnswParams, IndexKind};
pub use mirror::SearchOptions;
pub use records::{GetResult, Records, SearchResult, Vectors, MAX_ID_LEN};
pub use schema::{validate_collection_name, Metric, MAX_DIM, MAX_NAME_LEN};
pub use value::{days_from_civil, format_rfc3339_micros, parse_rfc3339_micros, MetaType, Metadata, Value};

/// Re-exported so the bindings use exactly the engine's Arrow (one version, one feature set).
pub use arrow;
pub use arrow_array;
pub use arrow_schema;

/// The engine's version (the workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
