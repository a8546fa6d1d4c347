//! AgentDB's C ABI: `libagentdb.so` / `libagentdb.a` and `include/agentdb.h` (generated from this
//! crate by cbindgen; see `rust/capi/cbindgen.toml`, whose header text documents the conventions:
//! the naming pattern, handles, status codes, strings, ownership, threads).
//!
//! This layer translates between C and the engine and decides nothing: every rule (names,
//! dimensions, ids, metadata types, filters) and every default is the engine's. What it adds is
//! the boundary's own safety: NULL pointers, invalid UTF-8, lengths that overflow, handles that
//! were freed or are of the wrong type, and panics are all turned into a status and a message
//! (see `status.rs`, `args.rs`, `handle.rs`). `unsafe` exists only in this crate, and every block
//! says why it holds.
//!
//! One file per C object, as DuckDB's `src/main/capi/<object>-c.cpp`: the object's handle type
//! is declared in `handle.rs` (the registry needs them all), its calls and the result object it
//! owns live in the file named after it.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

// Shared machinery, then the objects in the order the header reads top-down: database,
// collection (its search and index), the result lists of collections, memory, state and
// checkpoints, RAG.
mod status;
mod handle;
mod args;
mod text;
mod database;
mod collection;
mod collection_search;
mod collection_index;
mod results;
mod records;
mod strings;
mod memory_options;
mod memory;
mod memories;
mod state;
mod state_versions;
mod state_entries;
mod checkpoint;
mod checkpoints;
mod pending_writes;
mod rag;
mod rag_search;
mod rag_hits;
mod rag_context;
mod report;
mod ops;
mod log;
mod transfer;
mod admin;
mod graph;
mod graph_facts;
mod graph_entities;
mod collection_text;
mod cancel;
mod search_counters;

pub use args::{AGENTDB_MAX_BATCH, AGENTDB_MAX_DIM, AGENTDB_MAX_ID_LEN, AGENTDB_MAX_JSON_LEN, AGENTDB_MAX_K};
pub use handle::{
    agentdb_checkpoints, agentdb_collection, agentdb_context, agentdb_db, agentdb_memories, agentdb_memory,
    agentdb_pending_writes, agentdb_rag, agentdb_rag_hits, agentdb_records, agentdb_results, agentdb_state_entries,
    agentdb_state_versions, agentdb_strings, agentdb_report,
};
pub use handle::agentdb_problems;
pub use handle::{agentdb_graph, agentdb_graph_entities, agentdb_graph_facts, agentdb_graph_neighbors};
pub use {graph::*, graph_entities::*, graph_facts::*};
pub use handle::agentdb_scored_hits;
pub use collection_text::*;
pub use cancel::*;
pub use search_counters::*;
pub use handle::agentdb_cancel_token;
pub use admin::*;
pub use status::{agentdb_errmsg, agentdb_status, agentdb_status_name};
pub use {
    checkpoint::*, checkpoints::*, collection::*, collection_index::*, collection_search::*, database::*, memories::*,
    memory::*, memory_options::*, pending_writes::*, rag::*, rag_context::*, rag_hits::*, rag_search::*, records::*,
    results::*, state::*, state_entries::*, state_versions::*, strings::*, report::*, ops::*, log::*, transfer::*,
};
