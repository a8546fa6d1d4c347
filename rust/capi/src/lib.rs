//! AgentDB's C ABI: `libagentdb.so` / `libagentdb.a` and `include/agentdb.h` (generated from this
//! crate by cbindgen; see `rust/capi/cbindgen.toml`, whose header text documents the conventions:
//! handles, status codes, strings, ownership, threads).
//!
//! This layer translates between C and the engine and decides nothing: every rule (names,
//! dimensions, ids, metadata types, filters) is the engine's. What it adds is the boundary's own
//! safety: NULL pointers, invalid UTF-8, lengths that overflow, handles that were freed or are of
//! the wrong type, and panics are all turned into a status and a message (see `status.rs`,
//! `args.rs`, `handle.rs`). `unsafe` exists only in this crate, and every block says why it holds.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

// In this order, so the header reads top-down: status and errors, handles, database,
// collection, index, results.
mod status;
mod handle;
mod database;
mod collection;
mod index;
mod results;
mod args;
mod objects;
mod memory;
mod state;
mod rag;

pub use args::{AGENTDB_MAX_BATCH, AGENTDB_MAX_DIM, AGENTDB_MAX_ID_LEN, AGENTDB_MAX_JSON_LEN, AGENTDB_MAX_K};
pub use collection::*;
pub use database::*;
pub use index::*;
pub use memory::*;
pub use handle::{agentdb_memories, agentdb_memory};
pub use rag::*;
pub use handle::{agentdb_collection, agentdb_db, agentdb_records, agentdb_results, agentdb_strings};
pub use handle::{agentdb_checkpoints, agentdb_pending_writes, agentdb_state_entries, agentdb_state_versions};
pub use handle::{agentdb_rag, agentdb_context, agentdb_rag_hits};
pub use results::*;
pub use state::*;
pub use status::{agentdb_errmsg, agentdb_status, agentdb_status_name};
