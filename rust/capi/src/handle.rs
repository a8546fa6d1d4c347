//! Handles. A handle given to C is not a pointer to memory: it is a key into a registry of live
//! objects (a number that never repeats, shown to C as an opaque pointer). Every call looks its
//! handle up, so a handle that was freed, closed, never valid, or of another type is reported as
//! `AGENTDB_INVALID_HANDLE` instead of being dereferenced, and nothing freed is ever read. The
//! registry hands out a reference-counted object, so a handle freed on one thread while a call on
//! another thread still uses it stays alive until that call returns.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use crate::admin::ProblemsObj;
use crate::checkpoints::CheckpointsObj;
use crate::collection::CollectionObj;
use crate::database::DbObj;
use crate::graph::GraphObj;
use crate::graph_entities::{EntitiesObj, NeighborsObj};
use crate::graph_facts::FactsObj;
use crate::memories::MemoriesObj;
use crate::memory::MemoryObj;
use crate::pending_writes::WritesObj;
use crate::rag::RagObj;
use crate::rag_context::RagContextObj;
use crate::rag_hits::RagHitsObj;
use crate::collection_text::ScoredHitsObj;
use crate::records::RecordsObj;
use crate::results::ResultsObj;
use crate::state_entries::EntriesObj;
use crate::state_versions::VersionsObj;
use crate::strings::StringsObj;
use crate::report::ReportObj;
use crate::cancel::CancelObj;
use crate::args::out_arg;
use crate::status::{agentdb_status, guard, Fail, Res};

/// An open database (from `agentdb_db_open`, freed by `agentdb_db_close`).
#[allow(non_camel_case_types)]
pub struct agentdb_db {
    _opaque: [u8; 0],
}

/// A handle to one collection (from `agentdb_collection_create`, `agentdb_collection_open` or
/// `agentdb_collection_open_or_create`, freed by `agentdb_collection_close`).
#[allow(non_camel_case_types)]
pub struct agentdb_collection {
    _opaque: [u8; 0],
}

/// The results of `agentdb_collection_search` (one query) or `agentdb_collection_search_batch` (several), freed by
/// `agentdb_results_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_results {
    _opaque: [u8; 0],
}

/// Records read by `agentdb_collection_get`, freed by `agentdb_records_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_records {
    _opaque: [u8; 0],
}

/// A list of strings (from `agentdb_collection_list`), freed by `agentdb_strings_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_strings {
    _opaque: [u8; 0],
}

/// A RAG store (from `agentdb_rag_open_or_create`, freed by `agentdb_rag_close`).
#[allow(non_camel_case_types)]
pub struct agentdb_rag {
    _opaque: [u8; 0],
}

/// The hits of `agentdb_rag_search`, freed by `agentdb_rag_hits_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_rag_hits {
    _opaque: [u8; 0],
}

/// The hits of `agentdb_collection_text_search` and `agentdb_collection_hybrid_search`, freed by
/// `agentdb_scored_hits_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_scored_hits {
    _opaque: [u8; 0],
}

/// A packed context from `agentdb_rag_context`, freed by `agentdb_context_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_context {
    _opaque: [u8; 0],
}

/// Versions of an agent-state key (from `agentdb_state_get*` / `agentdb_state_history`), freed by
/// `agentdb_state_versions_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_state_versions {
    _opaque: [u8; 0],
}

/// The keys and values of a session (from `agentdb_state_snapshot`), freed by
/// `agentdb_state_entries_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_state_entries {
    _opaque: [u8; 0],
}

/// Checkpoints (from `agentdb_checkpoint_get` / `agentdb_checkpoint_list`), freed by
/// `agentdb_checkpoints_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_checkpoints {
    _opaque: [u8; 0],
}

/// Pending writes of a checkpoint (from `agentdb_checkpoint_get_writes`), freed by
/// `agentdb_pending_writes_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_pending_writes {
    _opaque: [u8; 0],
}

/// A memory store (from `agentdb_memory_open_or_create`, freed by `agentdb_memory_close`).
#[allow(non_camel_case_types)]
pub struct agentdb_memory {
    _opaque: [u8; 0],
}

/// Memories from `agentdb_memory_recall` or `agentdb_memory_get`, freed by `agentdb_memories_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_memories {
    _opaque: [u8; 0],
}

/// A text report (stats or health JSON, Prometheus metrics), freed by `agentdb_report_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_report {
    _opaque: [u8; 0],
}

/// Problems found by `agentdb_db_verify`, freed by `agentdb_problems_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_problems {
    _opaque: [u8; 0],
}

/// A knowledge graph (from `agentdb_graph_open`, freed by `agentdb_graph_close`).
#[allow(non_camel_case_types)]
pub struct agentdb_graph {
    _opaque: [u8; 0],
}

/// Facts of a knowledge graph (from `agentdb_graph_get_facts` and the other fact reads), freed by
/// `agentdb_graph_facts_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_graph_facts {
    _opaque: [u8; 0],
}

/// Entities of a knowledge graph (from `agentdb_graph_get_entity`, `agentdb_graph_find_entities`,
/// `agentdb_graph_search_entities`), freed by `agentdb_graph_entities_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_graph_entities {
    _opaque: [u8; 0],
}

/// Neighbours of an entity (from `agentdb_graph_get_neighbors`), freed by `agentdb_graph_neighbors_free`.
#[allow(non_camel_case_types)]
pub struct agentdb_graph_neighbors {
    _opaque: [u8; 0],
}

/// A token that cancels long calls on the threads it is attached to (from
/// `agentdb_cancel_token_new`, freed by `agentdb_cancel_token_free`).
#[allow(non_camel_case_types)]
pub struct agentdb_cancel_token {
    _opaque: [u8; 0],
}

pub(crate) enum Object {
    Memory(Arc<MemoryObj>),
    Memories(Arc<MemoriesObj>),
    Rag(Arc<RagObj>),
    RagHits(Arc<RagHitsObj>),
    RagContext(Arc<RagContextObj>),
    Db(Arc<DbObj>),
    Collection(Arc<CollectionObj>),
    Results(Arc<ResultsObj>),
    Records(Arc<RecordsObj>),
    Strings(Arc<StringsObj>),
    StateVersions(Arc<VersionsObj>),
    StateEntries(Arc<EntriesObj>),
    Checkpoints(Arc<CheckpointsObj>),
    PendingWrites(Arc<WritesObj>),
    Report(Arc<ReportObj>),
    Problems(Arc<ProblemsObj>),
    Graph(Arc<GraphObj>),
    GraphFacts(Arc<FactsObj>),
    GraphEntities(Arc<EntitiesObj>),
    GraphNeighbors(Arc<NeighborsObj>),
    ScoredHits(Arc<ScoredHitsObj>),
    Cancel(Arc<CancelObj>),
}

/// Ties each opaque C type to the object it stands for.
pub(crate) trait Handle {
    type Obj;
    /// How the type is named in messages.
    const WHAT: &'static str;
    fn wrap(obj: Arc<Self::Obj>) -> Object;
    fn unwrap(obj: &Object) -> Option<&Arc<Self::Obj>>;
}

macro_rules! handle {
    ($c:ident, $obj:ident, $variant:ident, $what:literal) => {
        impl Handle for $c {
            type Obj = $obj;
            const WHAT: &'static str = $what;
            fn wrap(obj: Arc<$obj>) -> Object {
                Object::$variant(obj)
            }
            fn unwrap(obj: &Object) -> Option<&Arc<$obj>> {
                match obj {
                    Object::$variant(o) => Some(o),
                    _ => None,
                }
            }
        }
    };
}

handle!(agentdb_db, DbObj, Db, "agentdb_db");
handle!(agentdb_collection, CollectionObj, Collection, "agentdb_collection");
handle!(agentdb_results, ResultsObj, Results, "agentdb_results");
handle!(agentdb_records, RecordsObj, Records, "agentdb_records");
handle!(agentdb_strings, StringsObj, Strings, "agentdb_strings");
handle!(agentdb_memory, MemoryObj, Memory, "agentdb_memory");
handle!(agentdb_memories, MemoriesObj, Memories, "agentdb_memories");
handle!(agentdb_state_versions, VersionsObj, StateVersions, "agentdb_state_versions");
handle!(agentdb_state_entries, EntriesObj, StateEntries, "agentdb_state_entries");
handle!(agentdb_checkpoints, CheckpointsObj, Checkpoints, "agentdb_checkpoints");
handle!(agentdb_pending_writes, WritesObj, PendingWrites, "agentdb_pending_writes");
handle!(agentdb_rag, RagObj, Rag, "agentdb_rag");
handle!(agentdb_rag_hits, RagHitsObj, RagHits, "agentdb_rag_hits");
handle!(agentdb_context, RagContextObj, RagContext, "agentdb_context");
handle!(agentdb_report, ReportObj, Report, "agentdb_report");
handle!(agentdb_problems, ProblemsObj, Problems, "agentdb_problems");
handle!(agentdb_graph, GraphObj, Graph, "agentdb_graph");
handle!(agentdb_graph_facts, FactsObj, GraphFacts, "agentdb_graph_facts");
handle!(agentdb_graph_entities, EntitiesObj, GraphEntities, "agentdb_graph_entities");
handle!(agentdb_graph_neighbors, NeighborsObj, GraphNeighbors, "agentdb_graph_neighbors");
handle!(agentdb_scored_hits, ScoredHitsObj, ScoredHits, "agentdb_scored_hits");
handle!(agentdb_cancel_token, CancelObj, Cancel, "agentdb_cancel_token");

static REGISTRY: LazyLock<Mutex<HashMap<usize, Object>>> = LazyLock::new(|| Mutex::new(HashMap::new()));
/// Handle numbers are never reused (a 64-bit counter does not wrap in practice). They are
/// multiples of 16 so that they look like aligned pointers to tools and debuggers.
static NEXT: AtomicUsize = AtomicUsize::new(1);

fn registry() -> MutexGuard<'static, HashMap<usize, Object>> {
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

/// Registers an object and returns its handle.
pub(crate) fn new_handle<H: Handle>(obj: H::Obj) -> *mut H {
    let obj = H::wrap(Arc::new(obj));
    let mut reg = registry();
    let key = loop {
        let key = NEXT.fetch_add(1, Ordering::Relaxed).wrapping_mul(16);
        if key != 0 && !reg.contains_key(&key) {
            break key;
        }
    };
    reg.insert(key, obj);
    // A handle is a number dressed as a pointer; nobody ever dereferences it.
    std::ptr::without_provenance_mut(key)
}

fn invalid<H: Handle>(arg: &str) -> Fail {
    Fail::new(
        agentdb_status::AGENTDB_INVALID_HANDLE,
        format!("{arg} is not a live {} handle (already freed or closed, or not a handle of this type)", H::WHAT),
    )
}

/// The live object behind a handle argument named `arg`.
pub(crate) fn get<H: Handle>(handle: *const H, arg: &str) -> Res<Arc<H::Obj>> {
    if handle.is_null() {
        return Err(Fail::null(arg));
    }
    let reg = registry();
    reg.get(&handle.addr()).and_then(H::unwrap).cloned().ok_or_else(|| invalid::<H>(arg))
}

/// Removes a handle from the registry and returns its object (dropped by the caller, or kept
/// alive by calls still running on other threads). NULL is `Ok(None)`, like `free(NULL)`.
pub(crate) fn take<H: Handle>(handle: *mut H, arg: &str) -> Res<Option<Arc<H::Obj>>> {
    if handle.is_null() {
        return Ok(None);
    }
    let mut reg = registry();
    let key = handle.addr();
    match reg.get(&key).and_then(H::unwrap) {
        Some(obj) => {
            let obj = obj.clone();
            reg.remove(&key);
            if reg.is_empty() {
                // Give the table's memory back when no handle is live (leak checkers then see
                // nothing of the registry at exit).
                reg.shrink_to_fit();
            }
            Ok(Some(obj))
        }
        None => Err(invalid::<H>(arg)),
    }
}

/// The body of every result list's `*_count` call: writes the number of items of the live object
/// behind `handle` (named `arg` in messages) to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
pub(crate) unsafe fn count<H: Handle>(
    handle: *const H,
    arg: &str,
    out_count: *mut usize,
    len: impl FnOnce(&H::Obj) -> usize,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        let obj = get(handle, arg)?;
        *out = len(&obj);
        Ok(())
    })
}

/// The body of every `*_free` / `*_close` call of a handle: NULL does nothing, a handle that is
/// not live is `AGENTDB_INVALID_HANDLE`, and the object is dropped once no call still uses it.
pub(crate) fn free<H: Handle>(handle: *mut H, arg: &str) -> agentdb_status {
    guard(|| take(handle, arg).map(drop))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status<T>(r: Res<T>) -> agentdb_status {
        r.err().map_or(agentdb_status::AGENTDB_OK, |f| f.status)
    }

    #[test]
    fn freed_and_foreign_handles_are_refused() {
        let h: *mut agentdb_strings = new_handle(StringsObj { items: vec![] });
        assert!(get(h, "s").is_ok());
        // Of another type: refused.
        let as_records = h.cast::<agentdb_records>();
        assert_eq!(status(get(as_records, "r")), agentdb_status::AGENTDB_INVALID_HANDLE);
        assert_eq!(status(take(as_records, "r")), agentdb_status::AGENTDB_INVALID_HANDLE);
        // Freed: refused, and a second free too; the number is never handed out again.
        assert!(take(h, "s").unwrap().is_some());
        assert_eq!(status(get(h, "s")), agentdb_status::AGENTDB_INVALID_HANDLE);
        assert_eq!(status(take(h, "s")), agentdb_status::AGENTDB_INVALID_HANDLE);
        let h2: *mut agentdb_strings = new_handle(StringsObj { items: vec![] });
        assert_ne!(h2.addr(), h.addr());
        assert!(take(h2, "s").unwrap().is_some());
        // NULL: an error for a call, nothing for a free.
        assert_eq!(status(get(std::ptr::null::<agentdb_db>(), "db")), agentdb_status::AGENTDB_NULL_POINTER);
        assert!(take(std::ptr::null_mut::<agentdb_db>(), "db").unwrap().is_none());
    }
}
