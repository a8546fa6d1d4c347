//! Operations: stats, health and metrics of a database and its stores, each handed out as an
//! `agentdb_report` (the engine's JSON, or the Prometheus text), and metrics recording on/off.
//! The JSON has the same fields as Python's `agentdb.ops` dicts (both come from the engine's
//! `to_json`), documented there and in the README's operations section.

use crate::args::out_arg;
use crate::handle::{self, agentdb_collection, agentdb_db, agentdb_memory, agentdb_rag, agentdb_report};
use crate::report::ReportObj;
use crate::status::{agentdb_status, guard, Res};
use crate::text::Text;

/// Runs `make` and writes its text as a new report to `*out` (NULL on failure).
///
/// # Safety
/// `out` is NULL or writable.
unsafe fn report(out: *mut *mut agentdb_report, make: impl FnOnce() -> Res<String>) -> agentdb_status {
    guard(|| {
        // SAFETY: forwarded contract of this function.
        let out = unsafe { out_arg(out, "out_report") }?;
        *out = std::ptr::null_mut();
        let text = make()?;
        *out = handle::new_handle(ReportObj { text: Text::new(&text) });
        Ok(())
    })
}

/// Writes the database's stats as a JSON report to `*out_report`: every table (rows, fragments,
/// Lance versions, bytes on disk; and buffers, mirror, caches and index of the collections open
/// in this process), the write-ahead log's size and flush lag (`null` when read-only), open
/// handles. Cheap: no row is read.
///
/// # Safety
/// `out_report` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_db_stats(db: *const agentdb_db, out_report: *mut *mut agentdb_report) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { report(out_report, || Ok(handle::get(db, "db")?.db.stats()?.to_json().to_string())) }
}

/// Writes the database's health as a JSON report to `*out_report`: `status` (`ok`, `degraded`,
/// `closed`), writable, log replay, background threads alive, the last storage error. No disk
/// access: cheap enough to call every second.
///
/// # Safety
/// `out_report` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_db_health(db: *const agentdb_db, out_report: *mut *mut agentdb_report) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { report(out_report, || Ok(handle::get(db, "db")?.db.health().to_json().to_string())) }
}

/// Writes the database's metrics in the Prometheus text exposition format (0.0.4) as a report to
/// `*out_report`: per-operation call counters and latency histograms, errors by kind, gauges from
/// the stats. Every name starts with `agentdb_`.
///
/// # Safety
/// `out_report` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_db_metrics_text(db: *const agentdb_db, out_report: *mut *mut agentdb_report) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { report(out_report, || Ok(handle::get(db, "db")?.db.metrics_text()?)) }
}

/// Turns the recording of metrics on or off for this database (on by default, off when the
/// environment has `AGENTDB_METRICS=off` at open). The counters keep what they had.
#[no_mangle]
pub extern "C" fn agentdb_db_set_metrics_enabled(db: *const agentdb_db, enabled: bool) -> agentdb_status {
    guard(|| {
        handle::get(db, "db")?.db.set_metrics_enabled(enabled);
        Ok(())
    })
}

/// Writes the agent state's tables (a JSON array of stores, as in `agentdb_db_stats`) as a report
/// to `*out_report`.
///
/// # Safety
/// `out_report` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_stats(db: *const agentdb_db, out_report: *mut *mut agentdb_report) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe {
        report(out_report, || {
            let stores = handle::get(db, "db")?.db.state_stats()?;
            Ok(agentdb_engine::serde_json::Value::Array(stores.iter().map(|s| s.to_json()).collect()).to_string())
        })
    }
}

/// Writes a collection's stats as a JSON report to `*out_report`: rows, fragments, versions and
/// bytes on disk from Lance's manifest, buffered writes, mirror, payload cache and index.
///
/// # Safety
/// `out_report` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_stats(
    collection: *const agentdb_collection,
    out_report: *mut *mut agentdb_report,
) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { report(out_report, || Ok(handle::get(collection, "collection")?.collection.stats()?.to_json().to_string())) }
}

/// Writes a memory store's stats as a JSON report to `*out_report`: the memories it holds, its
/// collection's figures and its background consolidation.
///
/// # Safety
/// `out_report` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_stats(memory: *const agentdb_memory, out_report: *mut *mut agentdb_report) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { report(out_report, || Ok(handle::get(memory, "memory")?.memory.stats()?.to_json().to_string())) }
}

/// Writes a RAG store's stats (its chunk collection's figures) as a JSON report to `*out_report`.
///
/// # Safety
/// `out_report` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_stats(rag: *const agentdb_rag, out_report: *mut *mut agentdb_report) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { report(out_report, || Ok(handle::get(rag, "rag")?.rag.stats()?.to_json().to_string())) }
}
