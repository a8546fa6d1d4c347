//! `agentdb._native`: the PyO3 binding of the AgentDB engine.
//!
//! Layers mirror the Python package: `database.rs` ↔ `agentdb/database.py`, `collection.rs` ↔
//! `agentdb/collection.py`, `memory.rs` ↔ `agentdb/memory.py`, `state.rs` ↔ `agentdb/state.py`,
//! `rag.rs` ↔ `agentdb/rag.py`, `ops.rs` ↔ `agentdb/ops.py` (stats, health, metrics, logging), `transfer.rs` ↔
//! `agentdb/transfer.py` (export and import), `distance.rs` ↔ `agentdb/distance.py` (the SIMD kernels on
//! numpy arrays), `errors.rs` ↔ `agentdb/errors.py`, `args.rs` ↔ `agentdb/_args.py` (argument
//! checks); `conversion.rs` turns Python objects into engine values and back. The Python modules
//! hold the documented public API; this module only converts, releases the GIL, and calls the
//! engine.
//!
//! Defaults are the engine's: an argument left `None` is filled from the engine's `Default`
//! impls and constants, never from a number written here, and each binding file exports the
//! defaults of its part as module attributes (`add_defaults`: `DEFAULT_RAG_K`, `MEMORY_KINDS`,
//! `DEFAULT_HNSW_M`, …) for the Python layer and its docstrings to read. The stub
//! `agentdb/_native.pyi` is checked against this module by mypy's stubtest (`make test-python`).

mod admin;
mod aio;
mod args;
mod collection;
mod conversion;
mod database;
mod distance;
mod errors;
mod graph;
mod memory;
mod ops;
mod state;
mod transfer;
mod rag;
mod cancel;

use pyo3::prelude::*;
use pyo3::types::PyDict;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<database::PyDatabase>()?;
    m.add_class::<collection::PyCollection>()?;
    m.add_class::<memory::PyMemory>()?;
    m.add_function(wrap_pyfunction!(memory::open_memory, m)?)?;
    m.add_function(wrap_pyfunction!(memory::list_memories, m)?)?;
    m.add_function(wrap_pyfunction!(memory::drop_memory, m)?)?;
    m.add_function(wrap_pyfunction!(memory::recall_weights_default, m)?)?;
    m.add_function(wrap_pyfunction!(memory::recall_score, m)?)?;
    m.add_class::<state::PyState>()?;
    m.add_class::<graph::PyGraph>()?;
    m.add_function(wrap_pyfunction!(graph::open_graph, m)?)?;
    m.add_function(wrap_pyfunction!(graph::list_graphs, m)?)?;
    m.add_function(wrap_pyfunction!(graph::drop_graph, m)?)?;
    graph::add_defaults(m)?;
    m.add_class::<rag::PyRag>()?;
    m.add_function(wrap_pyfunction!(rag::chunk_text, m)?)?;
    m.add_function(wrap_pyfunction!(rag::count_tokens, m)?)?;
    m.add_function(wrap_pyfunction!(rag::list_rags, m)?)?;
    m.add_function(wrap_pyfunction!(rag::drop_rag, m)?)?;
    m.add_function(wrap_pyfunction!(rag::retrieval_mode, m)?)?;
    m.add_function(wrap_pyfunction!(distance::distance, m)?)?;
    m.add_function(wrap_pyfunction!(distance::hamming, m)?)?;
    m.add_function(wrap_pyfunction!(distance::kernel_backends, m)?)?;
    m.add_function(wrap_pyfunction!(distance::rabitq_ip, m)?)?;
    m.add_function(wrap_pyfunction!(collection::search_counters, m)?)?;
    m.add_function(wrap_pyfunction!(collection::reset_search_counters, m)?)?;
    m.add_class::<aio::PyWorkerPool>()?;
    m.add_class::<cancel::PyCancelToken>()?;
    m.add_function(wrap_pyfunction!(ops::db_stats, m)?)?;
    m.add_function(wrap_pyfunction!(ops::db_health, m)?)?;
    m.add_function(wrap_pyfunction!(ops::metrics_text, m)?)?;
    m.add_function(wrap_pyfunction!(ops::set_metrics_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(ops::metrics_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(ops::state_stats, m)?)?;
    m.add_function(wrap_pyfunction!(ops::collection_stats, m)?)?;
    m.add_function(wrap_pyfunction!(ops::memory_stats, m)?)?;
    m.add_function(wrap_pyfunction!(ops::rag_stats, m)?)?;
    m.add_function(wrap_pyfunction!(ops::log_wake_fd, m)?)?;
    m.add_function(wrap_pyfunction!(ops::log_drain, m)?)?;
    m.add_function(wrap_pyfunction!(transfer::export_store, m)?)?;
    m.add_function(wrap_pyfunction!(transfer::import_store, m)?)?;
    m.add_function(wrap_pyfunction!(transfer::store_kind, m)?)?;
    m.add_function(wrap_pyfunction!(transfer::import_lance_table, m)?)?;
    m.add_function(wrap_pyfunction!(transfer::import_chroma, m)?)?;
    transfer::add_defaults(m)?;
    admin::add_defaults(m)?;
    ops::install_logging();
    m.add_function(wrap_pyfunction!(admin::backup, m)?)?;
    m.add_function(wrap_pyfunction!(admin::restore, m)?)?;
    m.add_function(wrap_pyfunction!(admin::list_backups, m)?)?;
    m.add_function(wrap_pyfunction!(admin::prune_backups, m)?)?;
    m.add_function(wrap_pyfunction!(admin::verify_backup, m)?)?;
    m.add_function(wrap_pyfunction!(admin::verify, m)?)?;
    m.add("__version__", agentdb_engine::VERSION)?;
    m.add("MAX_DIM", agentdb_engine::MAX_DIM)?;
    m.add("MAX_K", agentdb_engine::MAX_K)?;
    m.add("MAX_NAME_LEN", agentdb_engine::MAX_NAME_LEN)?;
    m.add("MAX_ID_LEN", agentdb_engine::MAX_ID_LEN)?;
    m.add("MAX_METADATA_KEY_LEN", agentdb_engine::MAX_METADATA_KEY_LEN)?;
    m.add("MAX_VALUE_DEPTH", agentdb_engine::MAX_VALUE_DEPTH)?;
    m.add_function(wrap_pyfunction!(is_metadata_key, m)?)?;
    database::add_defaults(m)?;
    collection::add_defaults(m)?;
    memory::add_defaults(m)?;
    rag::add_defaults(m)?;
    state::add_defaults(m)?;
    // Engine error code → name of its class in `agentdb.errors` (checked by the tests, so the
    // two sides cannot drift apart).
    let kinds = PyDict::new(m.py());
    for kind in errors::ALL_KINDS {
        kinds.set_item(kind as u8, errors::class_name(kind))?;
    }
    m.add("ERROR_CLASSES", kinds)?;
    Ok(())
}

/// Whether the engine accepts `key` as a metadata key (an identifier of at most
/// `MAX_METADATA_KEY_LEN` characters, not a reserved column name). The rule lives in the engine;
/// integrations that map foreign keys ask here instead of keeping a copy.
#[pyfunction]
fn is_metadata_key(key: &str) -> bool {
    agentdb_engine::validate_metadata_key(key).is_ok()
}
