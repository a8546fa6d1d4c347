//! The memory store object (`agentdb_memory`): open, remember, recall, get, update, forget,
//! consolidate (on demand or in the background). Callers pass vectors (there is no embedder in
//! C). The score, the filters and every rule are the engine's (`agentdb_engine::Memory`); this
//! layer only translates. Options: `memory_options.rs`; the memories handed out: `memories.rs`.

use std::ffi::c_char;
use std::time::Duration;

use agentdb_engine::{MemoryUpdate, NewMemory, Value, Vectors};

use crate::args::{
    batch, batch_vectors, floats_arg, json_len, k_arg, metadata_arg, opt_ids, opt_str_arg, opt_str_array, out_arg, slice_arg,
    str_arg, str_array, AGENTDB_MAX_ID_LEN,
};
use crate::database::{agentdb_metric, metric_from_c};
use crate::handle::{self, agentdb_db, agentdb_graph, agentdb_graph_facts, agentdb_memories, agentdb_memory, agentdb_strings};
use crate::memories::{MemoriesObj, MemoryItem};
use crate::memory_options::{
    agentdb_consolidate_options, agentdb_consolidation_report, agentdb_memory_filter, agentdb_memory_kind, agentdb_recall_options,
    consolidate_from_c, filter_from_c, kind_from_c, recall_from_c, AGENTDB_MEMORY_KIND_DEFAULT,
};
use crate::status::{agentdb_status, guard, Fail, Res};
use crate::strings::StringsObj;
use crate::text::Text;

pub(crate) struct MemoryObj {
    pub memory: agentdb_engine::Memory,
}

fn get_memory(m: *const agentdb_memory) -> Res<std::sync::Arc<MemoryObj>> {
    handle::get(m, "memory")
}

/// Opens the existing memory store `name` of `db` (its dimension and metric are stored) and writes
/// its handle to `*out_memory` (free it with `agentdb_memory_close`; NULL on failure).
/// `AGENTDB_COLLECTION_NOT_FOUND` if there is none.
///
/// A store is a hidden collection (`_agentdb_memory_<name>`) with an HNSW index; see
/// `agentdb_memory_recall` for the score.
///
/// Lifetime: the handle is valid until `agentdb_memory_close`, independently of the db handle.
/// `agentdb_db_close(db)` closes the database with every handle from it (there is no freeing a db
/// handle without closing it): calls on this handle then fail with `AGENTDB_CLOSED` ("memory store
/// '<name>' is closed: ..."), and it must still be freed with `agentdb_memory_close`.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out_memory` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_open(
    db: *const agentdb_db,
    name: *const c_char,
    out_memory: *mut *mut agentdb_memory,
) -> agentdb_status {
    // SAFETY: same contract as this function.
    unsafe { open_call(db, name, None, out_memory) }
}

/// Opens memory store `name` of `db`, creating it if it does not exist (vectors of `dim` floats
/// compared by `metric`), and writes its handle to `*out_memory` (free it with
/// `agentdb_memory_close`; NULL on failure). An existing store must have that dimension
/// (`AGENTDB_DIMENSION_MISMATCH`) and metric (`AGENTDB_INVALID_ARGUMENT`). Lifetime as for
/// `agentdb_memory_open`.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out_memory` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_open_or_create(
    db: *const agentdb_db,
    name: *const c_char,
    dim: usize,
    metric: agentdb_metric,
    out_memory: *mut *mut agentdb_memory,
) -> agentdb_status {
    // SAFETY: same contract as this function.
    unsafe { open_call(db, name, Some((dim, metric)), out_memory) }
}

/// Both opens: `shape` `None` opens an existing store, `Some((dim, metric))` creates it if needed.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out_memory` is NULL or writable.
unsafe fn open_call(
    db: *const agentdb_db,
    name: *const c_char,
    shape: Option<(usize, agentdb_metric)>,
    out_memory: *mut *mut agentdb_memory,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_memory, "out_memory") }?;
        *out = std::ptr::null_mut();
        let d = handle::get(db, "db")?;
        // SAFETY: contract of this function.
        let name = unsafe { str_arg(name, "name") }?;
        let (dim, metric) = match shape {
            None => (None, None),
            Some((dim, metric)) => (Some(dim), Some(metric_from_c(metric)?)),
        };
        let memory = d.db.memory(name, dim, metric)?;
        *out = handle::new_handle(MemoryObj { memory });
        Ok(())
    })
}

/// Frees a memory store handle (the store stays in the database; pending access statistics are
/// written when the database closes or on `agentdb_memory_flush`). Works before or after
/// `agentdb_db_close` of its database. NULL does nothing; freeing twice returns
/// `AGENTDB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn agentdb_memory_close(memory: *mut agentdb_memory) -> agentdb_status {
    handle::free(memory, "memory")
}

/// Deletes memory store `name` and all its memories (`AGENTDB_COLLECTION_NOT_FOUND` if absent).
/// Handles to it fail with `AGENTDB_CLOSED` afterwards.
///
/// # Safety
/// `name` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_drop(db: *const agentdb_db, name: *const c_char) -> agentdb_status {
    guard(|| {
        let d = handle::get(db, "db")?;
        // SAFETY: contract of this function.
        let name = unsafe { str_arg(name, "name") }?;
        d.db.drop_memory(name)?;
        Ok(())
    })
}

/// Writes the store's vector dimension to `*out_dim`.
///
/// # Safety
/// `out_dim` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_dim(memory: *const agentdb_memory, out_dim: *mut usize) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_dim, "out_dim") }?;
        *out = get_memory(memory)?.memory.dim();
        Ok(())
    })
}

/// Stores `n` memories of agent `agent_id` (and session `session_id`, NULL: none), all of kind
/// `kind` (`AGENTDB_MEMORY_KIND_DEFAULT`: the engine's default). Memory `i` has vector
/// `vectors[i*dim .. i*dim+dim]`, id `ids[i]` (`ids` NULL or an entry NULL: a new time-ordered
/// id), text `texts[i]` (`texts` or the entry NULL: none), importance `importance[i]` in [0, 1]
/// (`importance` NULL, or an entry NaN: the engine's default), creation time
/// `created_at_us[i]` (µs since the epoch; `created_at_us` NULL: now), and metadata from
/// `metadata_json` (NULL, or a JSON array of `n` objects or nulls, at most `AGENTDB_MAX_JSON_LEN`
/// bytes; the keys `agent_id`, `session_id`, `kind`, `importance`, `created`, `last_accessed`,
/// `access_count` are reserved).
///
/// `n` is at most `AGENTDB_MAX_BATCH`; with `n > 0`, `vectors` must not be NULL
/// (`AGENTDB_NULL_POINTER`) and `dim` not 0 (`AGENTDB_INVALID_ARGUMENT`); ids are at most
/// `AGENTDB_MAX_ID_LEN` bytes. These are checked before any array is read or anything allocated,
/// and a failing call stores nothing.
///
/// The batch is checked whole: an id that exists (`AGENTDB_DUPLICATE_ID`), a wrong dimension, a
/// bad value rejects it and nothing is stored. If `out_ids` is not NULL, the ids are written to
/// a new `*out_ids` (free with `agentdb_strings_free`).
///
/// # Safety
/// `agent_id` NUL-terminated; `session_id`, `metadata_json` NULL or NUL-terminated; `ids` and
/// `texts` NULL or `n` pointers each NULL or NUL-terminated; `vectors` `n * dim` floats;
/// `importance` NULL or `n` doubles; `created_at_us` NULL or `n` int64s; `out_ids` NULL or
/// writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_memory_remember(
    memory: *const agentdb_memory,
    agent_id: *const c_char,
    session_id: *const c_char,
    kind: agentdb_memory_kind,
    n: usize,
    ids: *const *const c_char,
    texts: *const *const c_char,
    vectors: *const f32,
    dim: usize,
    importance: *const f64,
    created_at_us: *const i64,
    metadata_json: *const c_char,
    out_ids: *mut *mut agentdb_strings,
) -> agentdb_status {
    guard(|| {
        let out = if out_ids.is_null() {
            None
        } else {
            // SAFETY: contract of this function.
            let o = unsafe { out_arg(out_ids, "out_ids") }?;
            *o = std::ptr::null_mut();
            Some(o)
        };
        // The count first, against the arrays given (only `vectors` is required): nothing is
        // read or allocated before, and nothing after is sized by `n` without an array of `n`
        // entries behind it.
        batch(n, "memories", &[("vectors", vectors.is_null())])?;
        let m = get_memory(memory)?;
        // SAFETY: contract of this function (each argument as documented).
        let agent_id = unsafe { str_arg(agent_id, "agent_id") }?;
        // SAFETY: as above.
        let session_id = unsafe { opt_str_arg(session_id, "session_id") }?;
        let kind = if kind == AGENTDB_MEMORY_KIND_DEFAULT { None } else { Some(kind_from_c(kind)?) };
        // SAFETY: as above.
        let data = unsafe { batch_vectors(vectors, n, dim, "memories") }?;
        // SAFETY: as above.
        let ids = unsafe { opt_str_array(ids, n, "ids", AGENTDB_MAX_ID_LEN) }?;
        // SAFETY: as above.
        let texts = unsafe { opt_str_array(texts, n, "texts", usize::MAX) }?;
        let importance = if importance.is_null() {
            None
        } else {
            // SAFETY: as above.
            Some(unsafe { slice_arg(importance, n, "importance") }?)
        };
        let created = if created_at_us.is_null() {
            None
        } else {
            // SAFETY: as above.
            Some(unsafe { slice_arg(created_at_us, n, "created_at_us") }?)
        };
        // SAFETY: as above.
        let mut metadata = match unsafe { opt_str_arg(metadata_json, "metadata_json") }? {
            Some(json) => Some(metadata_arg(json, n, "memories")?.into_iter()),
            None => None,
        };
        // What is not given takes the engine's defaults (`NewMemory::new`), decided there only.
        let items: Vec<NewMemory> = (0..n)
            .map(|i| {
                let defaults = NewMemory::new(agent_id);
                NewMemory {
                    id: ids.as_ref().and_then(|v| v[i].clone()),
                    text: texts.as_ref().and_then(|v| v[i].clone()),
                    session_id: session_id.map(str::to_owned),
                    kind: kind.unwrap_or(defaults.kind),
                    importance: importance.map(|v| v[i]).filter(|x| !x.is_nan()).unwrap_or(defaults.importance),
                    metadata: metadata.as_mut().and_then(Iterator::next).unwrap_or_default(),
                    created_at: created.map(|v| v[i]),
                    ..defaults
                }
            })
            .collect();
        let made = m.memory.remember(&items, Vectors::Flat { data, dim })?;
        if let Some(o) = out {
            *o = handle::new_handle(StringsObj { items: made.iter().map(|s| Text::new(s)).collect() });
        }
        Ok(())
    })
}

/// The `k` best memories for `query` (`dim` floats, at most `AGENTDB_MAX_DIM`; NULL: rank by
/// strength, recency and importance, alone), best first (`k` is 1 to `AGENTDB_MAX_K`), among
/// those `filter` lets through (NULL: all), scored as `options` says (NULL: the defaults; see
/// `agentdb_recall_options`; its `candidates` at most `AGENTDB_MAX_K`). Recalled memories get
/// `last_accessed = now` and one more access unless `options->touch` is false. Writes a new
/// `*out_memories` (free with `agentdb_memories_free`; NULL on failure).
///
/// # Safety
/// `query` NULL or `dim` floats; `filter` NULL or a readable `agentdb_memory_filter`; `options`
/// NULL or a readable `agentdb_recall_options`; `out_memories` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_recall(
    memory: *const agentdb_memory,
    query: *const f32,
    dim: usize,
    k: usize,
    filter: *const agentdb_memory_filter,
    options: *const agentdb_recall_options,
    out_memories: *mut *mut agentdb_memories,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_memories, "out_memories") }?;
        *out = std::ptr::null_mut();
        k_arg(k, "k")?;
        let m = get_memory(memory)?;
        let q = if query.is_null() {
            None
        } else {
            // SAFETY: contract of this function.
            Some(unsafe { floats_arg(query, 1, dim, "query") }?)
        };
        // SAFETY: contract of this function.
        let filter = unsafe { filter_from_c(filter) }?;
        // SAFETY: contract of this function.
        let opts = unsafe { recall_from_c(options, k, filter) }?;
        let hits = m.memory.recall(q, &opts)?;
        *out = handle::new_handle(MemoriesObj { items: hits.into_iter().map(MemoryItem::hit).collect() });
        Ok(())
    })
}

/// `agentdb_memory_recall` with a knowledge graph: the same hits to `*out_memories`, and to
/// `*out_facts` the facts of `graph` about the entities the query text
/// (`options->query_text`, required) names, valid at the recall's time (`options->now_us` when
/// `has_now`, else now), at most `facts_limit` (0: the engine's default), each with its provenance
/// (source memory ids, validity, confidence; read with `agentdb_graph_facts_*`, free with
/// `agentdb_graph_facts_free`). Both outputs are NULL on failure; a failure touches nothing.
///
/// # Safety
/// As `agentdb_memory_recall`; `graph` a live graph handle; `out_facts` writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_memory_recall_with_graph(
    memory: *const agentdb_memory,
    graph: *const agentdb_graph,
    query: *const f32,
    dim: usize,
    k: usize,
    filter: *const agentdb_memory_filter,
    options: *const agentdb_recall_options,
    facts_limit: usize,
    out_memories: *mut *mut agentdb_memories,
    out_facts: *mut *mut agentdb_graph_facts,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_memories, "out_memories") }?;
        *out = std::ptr::null_mut();
        // SAFETY: contract of this function.
        let out_f = unsafe { out_arg(out_facts, "out_facts") }?;
        *out_f = std::ptr::null_mut();
        k_arg(k, "k")?;
        let m = get_memory(memory)?;
        let g = crate::graph::get_graph(graph)?;
        let q = if query.is_null() {
            None
        } else {
            // SAFETY: contract of this function.
            Some(unsafe { floats_arg(query, 1, dim, "query") }?)
        };
        // SAFETY: contract of this function.
        let filter = unsafe { filter_from_c(filter) }?;
        // SAFETY: contract of this function.
        let opts = unsafe { recall_from_c(options, k, filter) }?;
        let got = m.memory.recall_with_graph(q, &opts, &g.graph, (facts_limit > 0).then_some(facts_limit))?;
        *out = handle::new_handle(MemoriesObj { items: got.hits.into_iter().map(MemoryItem::hit).collect() });
        *out_f = handle::new_handle(crate::graph_facts::FactsObj::new(got.facts));
        Ok(())
    })
}

/// The memories with ids `ids[0..n]` (in that order; ids not found are left out), with their
/// vectors (`n` at most `AGENTDB_MAX_BATCH`). Writes a new `*out_memories` (free with
/// `agentdb_memories_free`).
///
/// # Safety
/// `ids` is NULL or `n` NUL-terminated strings; `out_memories` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_get(
    memory: *const agentdb_memory,
    ids: *const *const c_char,
    n: usize,
    out_memories: *mut *mut agentdb_memories,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_memories, "out_memories") }?;
        *out = std::ptr::null_mut();
        let m = get_memory(memory)?;
        // SAFETY: contract of this function.
        let ids = unsafe { str_array(ids, n, "ids") }?;
        let records = m.memory.get(&ids)?;
        let items = records.into_iter().map(|r| MemoryItem::new(r, f64::NAN, f64::NAN, f64::NAN)).collect();
        *out = handle::new_handle(MemoriesObj { items });
        Ok(())
    })
}

/// Writes how many memories `filter` lets through (NULL: all) to `*out_count`.
///
/// # Safety
/// `filter` NULL or a readable `agentdb_memory_filter`; `out_count` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_count(
    memory: *const agentdb_memory,
    filter: *const agentdb_memory_filter,
    out_count: *mut u64,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        let m = get_memory(memory)?;
        // SAFETY: contract of this function.
        let f = unsafe { filter_from_c(filter) }?;
        *out = m.memory.count(&f)?;
        Ok(())
    })
}

/// Deletes the memories with ids `ids[0..n]` and/or passing `filter` (both: those matching both)
/// and writes how many to `*out_deleted` (may be NULL). With neither ids nor a condition in the
/// filter: `AGENTDB_INVALID_ARGUMENT` (that would be everything). `n` is at most
/// `AGENTDB_MAX_BATCH`.
///
/// # Safety
/// `ids` NULL (then `n` is 0) or `n` NUL-terminated strings; `filter` NULL or a readable
/// `agentdb_memory_filter`; `out_deleted` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_forget(
    memory: *const agentdb_memory,
    ids: *const *const c_char,
    n: usize,
    filter: *const agentdb_memory_filter,
    out_deleted: *mut u64,
) -> agentdb_status {
    guard(|| {
        let m = get_memory(memory)?;
        // SAFETY: contract of this function.
        let ids = unsafe { opt_ids(ids, n) }?;
        // SAFETY: contract of this function.
        let f = unsafe { filter_from_c(filter) }?;
        let deleted = m.memory.forget(ids.as_deref(), &f)?;
        if !out_deleted.is_null() {
            // SAFETY: contract of this function.
            *unsafe { out_arg(out_deleted, "out_deleted") }? = deleted;
        }
        Ok(())
    })
}

/// Changes memory `id`: its text when `set_text` (`text` NULL removes it), its importance unless
/// `importance` is NaN, its vector when `vector` is not NULL (`dim` floats), its user metadata
/// (replaced whole) when `metadata_json` is not NULL (a JSON object). `AGENTDB_INVALID_ARGUMENT`
/// when no memory has that id.
///
/// # Safety
/// `id` NUL-terminated; `text`, `metadata_json` NULL or NUL-terminated; `vector` NULL or `dim`
/// floats.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_memory_update(
    memory: *const agentdb_memory,
    id: *const c_char,
    set_text: bool,
    text: *const c_char,
    importance: f64,
    vector: *const f32,
    dim: usize,
    metadata_json: *const c_char,
) -> agentdb_status {
    guard(|| {
        let m = get_memory(memory)?;
        // SAFETY: contract of this function.
        let id = unsafe { str_arg(id, "id") }?;
        // SAFETY: contract of this function.
        let text = unsafe { opt_str_arg(text, "text") }?.map(str::to_owned);
        let vector = if vector.is_null() {
            None
        } else {
            // SAFETY: contract of this function.
            Some(unsafe { floats_arg(vector, 1, dim, "vector") }?.to_vec())
        };
        // SAFETY: contract of this function.
        let metadata = match unsafe { opt_str_arg(metadata_json, "metadata_json") }? {
            None => None,
            Some(json) => match json_len(json, "metadata_json").and_then(|()| {
                Value::from_json(json).map_err(|e| Fail::new(agentdb_status::AGENTDB_INVALID_METADATA, e.message()))
            })? {
                Value::Map(m) => Some(m),
                other => {
                    return Err(Fail::new(
                        agentdb_status::AGENTDB_INVALID_METADATA,
                        format!("metadata_json must be a JSON object, got a {}", other.type_name()),
                    ))
                }
            },
        };
        let change = MemoryUpdate {
            text: set_text.then_some(text),
            importance: (!importance.is_nan()).then_some(importance),
            metadata,
            vector,
        };
        m.memory.update(id, &change)?;
        Ok(())
    })
}

/// De-duplicates, decays and enforces the capacity limit as `options` enables (NULL: nothing),
/// and writes how many memories each step removed to `*out_report` (may be NULL).
///
/// # Safety
/// `options` NULL or a readable `agentdb_consolidate_options`; `out_report` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_consolidate(
    memory: *const agentdb_memory,
    options: *const agentdb_consolidate_options,
    out_report: *mut agentdb_consolidation_report,
) -> agentdb_status {
    guard(|| {
        let m = get_memory(memory)?;
        // SAFETY: contract of this function.
        let opts = unsafe { consolidate_from_c(options) }?;
        let r = m.memory.consolidate(&opts)?;
        if !out_report.is_null() {
            // SAFETY: contract of this function.
            *unsafe { out_arg(out_report, "out_report") }? = agentdb_consolidation_report {
                merged: r.merged.len() as u64,
                pruned: r.pruned.len() as u64,
                evicted: r.evicted.len() as u64,
            };
        }
        Ok(())
    })
}

/// Runs `agentdb_memory_consolidate` with `options` every `interval_ms` milliseconds on a thread
/// of the library (writing pending access statistics each time), until
/// `agentdb_memory_stop_background`, `agentdb_memory_drop` or `agentdb_db_close`. Replaces a schedule
/// already running.
///
/// # Safety
/// `options` NULL or a readable `agentdb_consolidate_options`.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_start_background(
    memory: *const agentdb_memory,
    interval_ms: u64,
    options: *const agentdb_consolidate_options,
) -> agentdb_status {
    guard(|| {
        let m = get_memory(memory)?;
        // SAFETY: contract of this function.
        let opts = unsafe { consolidate_from_c(options) }?;
        m.memory.start_background(Duration::from_millis(interval_ms), opts)?;
        Ok(())
    })
}

/// Stops the background consolidation of the store (waiting for a run in progress). Not running
/// is not an error.
#[no_mangle]
pub extern "C" fn agentdb_memory_stop_background(memory: *const agentdb_memory) -> agentdb_status {
    guard(|| {
        get_memory(memory)?.memory.stop_background();
        Ok(())
    })
}

/// Sets the tokenizer of the store's text and hybrid recall: `"simple"` (English, the default),
/// `"icu"` (dictionary word segmentation: Chinese, Japanese, Korean), `"ngram"` (character 2- and
/// 3-grams), `"ngram:N"` or `"ngram:MIN-MAX"`; kept with the store, every text re-indexed.
/// `AGENTDB_INVALID_ARGUMENT` for another name.
///
/// # Safety
/// `tokenizer` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_set_text_tokenizer(memory: *const agentdb_memory, tokenizer: *const c_char) -> agentdb_status {
    guard(|| {
        let m = get_memory(memory)?;
        // SAFETY: contract of this function.
        let t = unsafe { crate::memory_options::tokenizer_arg(tokenizer) }?;
        m.memory.set_text_tokenizer(t)?;
        Ok(())
    })
}

/// Copies the name of the store's text tokenizer (`"simple"`, `"icu"`, `"ngram:MIN-MAX"`),
/// NUL-terminated, into `buf` (`buf_len` bytes; 16 always suffice) and its length to `*out_len`
/// (if not NULL). A buffer too small is `AGENTDB_INVALID_ARGUMENT`, `*out_len` still set.
///
/// # Safety
/// `buf` NULL or writable for `buf_len` bytes; `out_len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_text_tokenizer(
    memory: *const agentdb_memory,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let m = get_memory(memory)?;
        // SAFETY: contract of this function.
        unsafe { crate::memory_options::write_tokenizer(m.memory.text_tokenizer(), buf, buf_len, out_len) }
    })
}

/// Writes the access statistics that recalls changed since the last write (one commit).
#[no_mangle]
pub extern "C" fn agentdb_memory_flush(memory: *const agentdb_memory) -> agentdb_status {
    guard(|| {
        get_memory(memory)?.memory.flush()?;
        Ok(())
    })
}
