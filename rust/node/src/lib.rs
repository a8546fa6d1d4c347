//! `agentdb-embedded`'s native addon: the napi-rs binding of the AgentDB engine for Node.js.
//!
//! Files mirror the other bindings: `database.rs` (connect, collections, the parts of a
//! database), `collection.rs`, `memory.rs`, `graph.rs`, `state.rs`, `rag.rs`, `ops.rs` (stats, health, metrics, text
//! tokenizers), `admin.rs` (backup, restore, verify), `transfer.rs` (export, import), `errors.rs` (engine kinds →
//! the `AgentDBError` classes of `node/errors.js`), `conversion.rs` (JS values → engine values
//! and back) and `task.rs` (how a call runs off the event loop).
//!
//! The engine's API is blocking, so every call that touches storage is a napi `AsyncTask`: its
//! arguments are converted on the JS thread, the engine call runs on libuv's worker pool, and
//! the Promise settles back on the JS thread. Like the Python and C bindings, this crate only
//! translates: defaults are the engine's (`Default` impls and constants), and every check that
//! is not about JS types is the engine's.

mod admin;
mod cancel;
mod collection;
mod conversion;
mod database;
mod errors;
mod graph;
mod log;
mod memory;
mod ops;
mod rag;
mod search_counters;
mod state;
mod task;
mod transfer;

use napi_derive::napi;

/// The engine's version (the workspace version).
#[napi]
pub fn engine_version() -> &'static str {
    agentdb_engine::VERSION
}

/// The engine's limits, for callers that check sizes up front (the engine checks them anyway).
#[napi(object)]
pub struct Limits {
    pub max_dim: u32,
    pub max_k: u32,
    pub max_name_len: u32,
    pub max_id_len: u32,
    pub max_metadata_key_len: u32,
    pub max_value_depth: u32,
}

#[napi]
pub fn limits() -> Limits {
    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    Limits {
        max_dim: n(agentdb_engine::MAX_DIM),
        max_k: n(agentdb_engine::MAX_K),
        max_name_len: n(agentdb_engine::MAX_NAME_LEN),
        max_id_len: n(agentdb_engine::MAX_ID_LEN),
        max_metadata_key_len: n(agentdb_engine::MAX_METADATA_KEY_LEN),
        max_value_depth: n(agentdb_engine::MAX_VALUE_DEPTH),
    }
}
