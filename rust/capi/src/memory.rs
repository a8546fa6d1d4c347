//! Agent memory: open a store, remember, recall, get, update, forget, consolidate (on demand or in
//! the background). Callers pass vectors (there is no embedder in C). The score, the filters and
//! every rule are the engine's (`agentdb_engine::Memory`); this layer only translates.

use std::ffi::c_char;
use std::time::Duration;

use agentdb_engine::{
    ConsolidateOptions, MemoryFilter, MemoryHit, MemoryKind, MemoryRecord, MemoryUpdate, NewMemory,
    RecallMode, RecallOptions, RecallWeights, Value, Vectors,
};

use crate::args::{
    batch, batch_vectors, filter_arg, floats_arg, index, json_len, k_arg, metadata_arg, opt_ids, opt_str_arg,
    opt_str_array, out_arg, slice_arg, str_arg, str_array, AGENTDB_MAX_ID_LEN,
};
use crate::database::{agentdb_metric, metric_from_c};
use crate::handle::{self, agentdb_db, agentdb_memories, agentdb_memory, agentdb_strings};
use crate::objects::{metadata_json, StringsObj, Text};
use crate::status::{agentdb_status, guard, Fail, Res};

/// What a memory is about (an `int32_t`, one of the `AGENTDB_MEMORY_*` values).
#[allow(non_camel_case_types)]
pub type agentdb_memory_kind = i32;
/// Short-lived scratch context of the current task.
pub const AGENTDB_MEMORY_WORKING: agentdb_memory_kind = 0;
/// Something that happened (the default kind).
pub const AGENTDB_MEMORY_EPISODIC: agentdb_memory_kind = 1;
/// A fact or piece of knowledge.
pub const AGENTDB_MEMORY_SEMANTIC: agentdb_memory_kind = 2;
/// How to do something.
pub const AGENTDB_MEMORY_PROCEDURAL: agentdb_memory_kind = 3;
/// For `agentdb_memory_remember`: the engine's default kind (episodic), decided there.
pub const AGENTDB_MEMORY_KIND_DEFAULT: agentdb_memory_kind = -1;

fn kind_from_c(k: agentdb_memory_kind) -> Res<MemoryKind> {
    usize::try_from(k)
        .ok()
        .and_then(|i| MemoryKind::ALL.get(i).copied())
        .ok_or_else(|| Fail::invalid(format!("unknown memory kind {k}: expected AGENTDB_MEMORY_WORKING (0) … AGENTDB_MEMORY_PROCEDURAL (3)")))
}

fn kind_to_c(k: MemoryKind) -> agentdb_memory_kind {
    MemoryKind::ALL.iter().position(|x| *x == k).unwrap_or(1) as agentdb_memory_kind
}

/// How recall combines similarity with recency and importance (`agentdb_recall_options.mode`).
#[allow(non_camel_case_types)]
pub type agentdb_recall_mode = i32;
/// Relevance first (the default): the similarity normalised over the candidates, times an
/// adjustment in [1 − adjust, 1] for recency and importance.
pub const AGENTDB_RECALL_RELEVANCE: agentdb_recall_mode = 0;
/// The old additive score: w_similarity · similarity + w_recency · recency + w_importance · importance.
pub const AGENTDB_RECALL_LINEAR: agentdb_recall_mode = 1;

fn mode_from_c(m: agentdb_recall_mode) -> Res<RecallMode> {
    usize::try_from(m)
        .ok()
        .and_then(|i| RecallMode::ALL.get(i).copied())
        .ok_or_else(|| Fail::invalid(format!("unknown recall mode {m}: expected AGENTDB_RECALL_RELEVANCE (0) or AGENTDB_RECALL_LINEAR (1)")))
}

fn mode_to_c(m: RecallMode) -> agentdb_recall_mode {
    RecallMode::ALL.iter().position(|x| *x == m).unwrap_or(0) as agentdb_recall_mode
}

pub(crate) struct MemoryObj {
    pub memory: agentdb_engine::Memory,
}

/// One memory with strings already NUL-terminated.
pub(crate) struct MemoryItem {
    id: Text,
    text: Option<Text>,
    agent_id: Text,
    session_id: Option<Text>,
    kind: agentdb_memory_kind,
    importance: f64,
    created_at: i64,
    last_accessed: i64,
    access_count: u64,
    metadata: Text,
    vector: Vec<f32>,
    score: f64,
    similarity: f64,
    recency: f64,
}

impl MemoryItem {
    fn new(r: MemoryRecord, score: f64, similarity: f64, recency: f64) -> MemoryItem {
        MemoryItem {
            id: Text::new(&r.id),
            text: r.text.as_deref().map(Text::new),
            agent_id: Text::new(&r.agent_id),
            session_id: r.session_id.as_deref().map(Text::new),
            kind: kind_to_c(r.kind),
            importance: r.importance,
            created_at: r.created_at,
            last_accessed: r.last_accessed,
            access_count: r.access_count,
            metadata: metadata_json(&r.metadata),
            vector: r.vector,
            score,
            similarity,
            recency,
        }
    }

    fn hit(h: MemoryHit) -> MemoryItem {
        MemoryItem::new(h.record, h.score, h.similarity.unwrap_or(f64::NAN), h.recency)
    }
}

pub(crate) struct MemoriesObj {
    pub items: Vec<MemoryItem>,
}

/// Which memories a call applies to. Start from `agentdb_memory_filter_default()` (every memory)
/// and set what you need; every condition set must hold.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_memory_filter {
    /// `sizeof(agentdb_memory_filter)`, set by `agentdb_memory_filter_default()`.
    pub struct_size: u32,
    /// Bit `1 << kind` for each `AGENTDB_MEMORY_*` kind wanted; 0: every kind.
    pub kinds: u32,
    /// Only this agent's memories (NULL: any agent).
    pub agent_id: *const c_char,
    /// Only this session's memories (NULL: any).
    pub session_id: *const c_char,
    /// Created at or after `since_us` (µs since the Unix epoch, UTC) when `has_since`.
    pub has_since: bool,
    pub since_us: i64,
    /// Created before `until_us` when `has_until`.
    pub has_until: bool,
    pub until_us: i64,
    /// A filter on metadata and fields as SQL text, or as JSON dict text (at most one of the
    /// two; NULL: none), as for `agentdb_search`.
    pub filter_sql: *const c_char,
    pub filter_json: *const c_char,
}

/// A filter that lets every memory through, with `struct_size` set. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_memory_filter_default() -> agentdb_memory_filter {
    agentdb_memory_filter {
        struct_size: std::mem::size_of::<agentdb_memory_filter>() as u32,
        kinds: 0,
        agent_id: std::ptr::null(),
        session_id: std::ptr::null(),
        has_since: false,
        since_us: 0,
        has_until: false,
        until_us: 0,
        filter_sql: std::ptr::null(),
        filter_json: std::ptr::null(),
    }
}

/// How `agentdb_memory_recall` scores. Start from `agentdb_recall_options_default()` (the
/// engine's defaults).
///
/// recency = 0.5^(age / half_life_s) with age = now − last_accessed; similarity = max(0, cos)
/// (cosine stores), clamp(q·v, 0, 1) (dot), 1 / (1 + squared distance) (l2); strength =
/// w_recency · recency + w_importance · importance.
/// - `AGENTDB_RECALL_RELEVANCE` (default): score = sim_n · (1 − adjust · (1 − s)), with sim_n =
///   (similarity − lo) / (hi − lo) over the candidates (the `candidates` most similar memories
///   passing the filter; 1 when lo = hi) and s = strength / (w_recency + w_importance) (1 when
///   both are 0). w_similarity 0 leaves similarity out, any value above 0 counts it.
/// - `AGENTDB_RECALL_LINEAR` (the old score): score = w_similarity · similarity + strength.
///
/// Without a query the similarity term is absent (memories rank by strength).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_recall_options {
    /// `sizeof(agentdb_recall_options)`, set by `agentdb_recall_options_default()`.
    pub struct_size: u32,
    /// Update the access statistics of the memories returned (default true).
    pub touch: bool,
    /// Score every memory passing the filter, however many (default false: above
    /// max(4096, 4Mi / dim) of them, only the `candidates` most similar are scored).
    pub exact: bool,
    /// Weights (default 1, 0.5, 0.5), each ≥ 0.
    pub w_similarity: f64,
    pub w_recency: f64,
    pub w_importance: f64,
    /// Seconds after which recency halves (default 7 days), > 0.
    pub half_life_s: f64,
    /// Measure recency at `now_us` (µs since the epoch) instead of the clock when `has_now`.
    pub has_now: bool,
    pub now_us: i64,
    /// Nearest memories re-scored above max(4096, 4Mi / dim) matching ones, and in relevance
    /// mode the candidates (0: the default, max(10·k, 100)).
    pub candidates: usize,
    /// `AGENTDB_RECALL_RELEVANCE` (default) or `AGENTDB_RECALL_LINEAR`.
    pub mode: agentdb_recall_mode,
    /// Relevance mode: the most recency and importance together take off a score, in [0, 1]
    /// (default 0.1; 0: similarity alone).
    pub adjust: f64,
}

/// The default recall options (the engine's default weights), `struct_size` set. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_recall_options_default() -> agentdb_recall_options {
    let w = RecallWeights::default();
    agentdb_recall_options {
        struct_size: std::mem::size_of::<agentdb_recall_options>() as u32,
        touch: true,
        exact: false,
        w_similarity: w.similarity,
        w_recency: w.recency,
        w_importance: w.importance,
        half_life_s: w.half_life_secs,
        has_now: false,
        now_us: 0,
        candidates: 0,
        mode: mode_to_c(w.mode),
        adjust: w.adjust,
    }
}

/// What `agentdb_memory_consolidate` does; each step runs only when enabled. Start from
/// `agentdb_consolidate_options_default()` (nothing enabled, default weights).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_consolidate_options {
    /// `sizeof(agentdb_consolidate_options)`, set by `agentdb_consolidate_options_default()`.
    pub struct_size: u32,
    /// De-duplication: memories of one agent with similarity ≥ `dedup_threshold` (0 to 1) are
    /// merged into the strongest.
    pub dedup: bool,
    pub dedup_threshold: f64,
    /// Decay: memories whose strength (w_recency · recency + w_importance · importance) is below
    /// `min_score` are deleted.
    pub decay: bool,
    pub min_score: f64,
    /// Capacity: each agent keeps at most `capacity` memories, the weakest go first.
    pub has_capacity: bool,
    pub capacity: usize,
    /// Only this agent (NULL: every agent, each on its own).
    pub agent_id: *const c_char,
    /// Strength weights, as in `agentdb_recall_options` (`w_similarity` is not used).
    pub w_recency: f64,
    pub w_importance: f64,
    pub half_life_s: f64,
    pub has_now: bool,
    pub now_us: i64,
}

/// Consolidation options with no step enabled and the default weights. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_consolidate_options_default() -> agentdb_consolidate_options {
    let w = RecallWeights::default();
    agentdb_consolidate_options {
        struct_size: std::mem::size_of::<agentdb_consolidate_options>() as u32,
        dedup: false,
        dedup_threshold: 0.0,
        decay: false,
        min_score: 0.0,
        has_capacity: false,
        capacity: 0,
        agent_id: std::ptr::null(),
        w_recency: w.recency,
        w_importance: w.importance,
        half_life_s: w.half_life_secs,
        has_now: false,
        now_us: 0,
    }
}

/// How many memories each consolidation step removed.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
#[allow(non_camel_case_types)]
pub struct agentdb_consolidation_report {
    pub merged: u64,
    pub pruned: u64,
    pub evicted: u64,
}

/// One memory as `agentdb_memories_get` fills it. Strings point into the memories object and stay
/// valid until `agentdb_memories_free`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_memory_info {
    pub id: *const c_char,
    /// NULL when the memory has no text.
    pub text: *const c_char,
    pub agent_id: *const c_char,
    /// NULL when the memory has no session.
    pub session_id: *const c_char,
    pub kind: agentdb_memory_kind,
    pub importance: f64,
    /// µs since the Unix epoch, UTC.
    pub created_at_us: i64,
    pub last_accessed_us: i64,
    pub access_count: u64,
    /// User metadata as a JSON object (`{}` when none).
    pub metadata_json: *const c_char,
    /// Recall: the score, the similarity (NaN without a query) and the recency it used. NaN for
    /// memories from `agentdb_memory_get`.
    pub score: f64,
    pub similarity: f64,
    pub recency: f64,
    /// `agentdb_memory_get`: the vector (`dim` floats). Recall: NULL and 0.
    pub vector: *const f32,
    pub dim: usize,
}

/// Reads a versioned options struct: `struct_size` must be this version's size. Bools are read
/// as bytes (any non-zero is true), so no C value can be an invalid Rust `bool`.
macro_rules! read_opts {
    ($p:expr, $ty:ty, $what:literal, |$r:ident| $body:expr) => {{
        let p: *const $ty = $p;
        if !p.is_aligned() {
            return Err(Fail::invalid(concat!($what, " is not aligned")));
        }
        // SAFETY: `p` is non-NULL (checked by the callers) and aligned; every version of the struct
        // starts with `struct_size`, which the caller guarantees readable.
        let size = unsafe { std::ptr::addr_of!((*p).struct_size).read() } as usize;
        if size != std::mem::size_of::<$ty>() {
            return Err(Fail::invalid(format!(
                "{}->struct_size is {size}, not sizeof = {}: start from the _default() function",
                $what,
                std::mem::size_of::<$ty>()
            )));
        }
        let $r = p;
        $body
    }};
}

/// Reads field `f` of `*p` (a plain integer, float or pointer).
macro_rules! field {
    ($p:expr, $f:ident) => {
        // SAFETY: `$p` points to a whole readable struct (struct_size checked by read_opts!).
        unsafe { std::ptr::addr_of!((*$p).$f).read() }
    };
}

/// Reads bool field `f` of `*p` as a byte.
macro_rules! flag {
    ($p:expr, $f:ident) => {
        // SAFETY: as for field!, read as a byte: any value is valid.
        unsafe { std::ptr::addr_of!((*$p).$f).cast::<u8>().read() != 0 }
    };
}

/// # Safety
/// `p` is NULL or points to a readable `agentdb_memory_filter` whose strings are NULL or
/// NUL-terminated.
unsafe fn filter_from_c(p: *const agentdb_memory_filter) -> Res<MemoryFilter> {
    if p.is_null() {
        return Ok(MemoryFilter::default());
    }
    read_opts!(p, agentdb_memory_filter, "filter", |f| {
        let kinds_mask: u32 = field!(f, kinds);
        if kinds_mask >> MemoryKind::ALL.len() != 0 {
            return Err(Fail::invalid(format!("filter->kinds {kinds_mask:#x} has bits for no kind")));
        }
        let kinds = (kinds_mask != 0)
            .then(|| MemoryKind::ALL.iter().enumerate().filter(|(i, _)| kinds_mask & (1 << i) != 0).map(|(_, k)| *k).collect());
        let (agent_ptr, session_ptr): (*const c_char, *const c_char) = (field!(f, agent_id), field!(f, session_id));
        let (sql_ptr, json_ptr): (*const c_char, *const c_char) = (field!(f, filter_sql), field!(f, filter_json));
        // SAFETY: the strings are NULL or NUL-terminated (contract of this function).
        let agent_id = unsafe { opt_str_arg(agent_ptr, "filter->agent_id") }?.map(str::to_owned);
        // SAFETY: as above.
        let session_id = unsafe { opt_str_arg(session_ptr, "filter->session_id") }?.map(str::to_owned);
        // SAFETY: as above.
        let where_ = unsafe { filter_arg(sql_ptr, json_ptr) }?;
        Ok(MemoryFilter {
            agent_id,
            session_id,
            kinds,
            since: flag!(f, has_since).then(|| field!(f, since_us)),
            until: flag!(f, has_until).then(|| field!(f, until_us)),
            where_,
        })
    })
}

/// # Safety
/// `p` is NULL or points to a readable `agentdb_consolidate_options` whose `agent_id` is NULL or
/// NUL-terminated.
unsafe fn consolidate_from_c(p: *const agentdb_consolidate_options) -> Res<ConsolidateOptions> {
    if p.is_null() {
        return Ok(ConsolidateOptions::default());
    }
    read_opts!(p, agentdb_consolidate_options, "options", |o| {
        let agent_ptr: *const c_char = field!(o, agent_id);
        // SAFETY: NULL or NUL-terminated (contract of this function).
        let agent_id = unsafe { opt_str_arg(agent_ptr, "options->agent_id") }?.map(str::to_owned);
        Ok(ConsolidateOptions {
            agent_id,
            dedup_threshold: flag!(o, dedup).then(|| field!(o, dedup_threshold)),
            min_score: flag!(o, decay).then(|| field!(o, min_score)),
            capacity: flag!(o, has_capacity).then(|| field!(o, capacity)),
            weights: RecallWeights {
                similarity: 0.0,
                recency: field!(o, w_recency),
                importance: field!(o, w_importance),
                half_life_secs: field!(o, half_life_s),
                ..RecallWeights::DEFAULT
            },
            now: flag!(o, has_now).then(|| field!(o, now_us)),
        })
    })
}

fn get_memory(m: *const agentdb_memory) -> Res<std::sync::Arc<MemoryObj>> {
    handle::get(m, "memory")
}

/// Opens memory store `name` of `db` and writes its handle to `*out_memory` (free it with
/// `agentdb_memory_close`; NULL on failure). With `dim` > 0 the store is created if it does not
/// exist (vectors of `dim` floats compared by `metric`), and an existing store must have that
/// dimension (`AGENTDB_DIMENSION_MISMATCH`) and metric (`AGENTDB_INVALID_ARGUMENT`). With `dim` 0
/// the store must exist (`AGENTDB_COLLECTION_NOT_FOUND`) and `metric` is ignored.
///
/// A store is a hidden collection (`_agentdb_memory_<name>`) with an HNSW index; see
/// `agentdb_memory_recall` for the score.
///
/// Lifetime: the handle is valid until `agentdb_memory_close`, independently of the db handle.
/// `agentdb_close(db)` closes the database with every handle from it (there is no freeing a db
/// handle without closing it): calls on this handle then fail with `AGENTDB_CLOSED` ("memory store
/// '<name>' is closed: ..."), and it must still be freed with `agentdb_memory_close`.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out_memory` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memory_open(
    db: *const agentdb_db,
    name: *const c_char,
    dim: usize,
    metric: agentdb_metric,
    out_memory: *mut *mut agentdb_memory,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_memory, "out_memory") }?;
        *out = std::ptr::null_mut();
        let d = handle::get(db, "db")?;
        // SAFETY: contract of this function.
        let name = unsafe { str_arg(name, "name") }?;
        let (dim, metric) = if dim == 0 { (None, None) } else { (Some(dim), Some(metric_from_c(metric)?)) };
        let memory = d.db.memory(name, dim, metric)?;
        *out = handle::new_handle(MemoryObj { memory });
        Ok(())
    })
}

/// Frees a memory store handle (the store stays in the database; pending access statistics are
/// written when the database closes or on `agentdb_memory_flush`). Works before or after
/// `agentdb_close` of its database. NULL does nothing; freeing twice returns
/// `AGENTDB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn agentdb_memory_close(memory: *mut agentdb_memory) -> agentdb_status {
    guard(|| {
        handle::take(memory, "memory")?;
        Ok(())
    })
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
/// `kind` (`AGENTDB_MEMORY_KIND_DEFAULT`: the engine's default, episodic). Memory `i` has vector
/// `vectors[i*dim .. i*dim+dim]`, id `ids[i]` (`ids` NULL or an entry NULL: a new time-ordered
/// id), text `texts[i]` (`texts` or the entry NULL: none), importance `importance[i]` in [0, 1]
/// (`importance` NULL, or an entry NaN: the engine's default, 0.5), creation time
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
        let mut opts = RecallOptions::new(k);
        // SAFETY: contract of this function.
        opts.filter = unsafe { filter_from_c(filter) }?;
        if !options.is_null() {
            read_opts!(options, agentdb_recall_options, "options", |o| {
                opts.touch = flag!(o, touch);
                opts.exact = flag!(o, exact);
                opts.weights = RecallWeights {
                    mode: mode_from_c(field!(o, mode))?,
                    similarity: field!(o, w_similarity),
                    recency: field!(o, w_recency),
                    importance: field!(o, w_importance),
                    half_life_secs: field!(o, half_life_s),
                    adjust: field!(o, adjust),
                };
                opts.now = flag!(o, has_now).then(|| field!(o, now_us));
                let c: usize = field!(o, candidates);
                opts.candidates = if c == 0 { None } else { Some(k_arg(c, "options->candidates")?) };
            });
        }
        let hits = m.memory.recall(q, &opts)?;
        *out = handle::new_handle(MemoriesObj { items: hits.into_iter().map(MemoryItem::hit).collect() });
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
/// `agentdb_memory_stop_background`, `agentdb_memory_drop` or `agentdb_close`. Replaces a schedule
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

/// Writes the access statistics that recalls changed since the last write (one commit).
#[no_mangle]
pub extern "C" fn agentdb_memory_flush(memory: *const agentdb_memory) -> agentdb_status {
    guard(|| {
        get_memory(memory)?.memory.flush()?;
        Ok(())
    })
}

/// Writes the number of memories in the object to `*out_count`.
///
/// # Safety
/// `out_count` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memories_count(memories: *const agentdb_memories, out_count: *mut usize) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        *out = handle::get(memories, "memories")?.items.len();
        Ok(())
    })
}

/// Fills `*out_info` with memory `i` (0-based; for recall, best first).
///
/// # Safety
/// `out_info` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memories_get(
    memories: *const agentdb_memories,
    i: usize,
    out_info: *mut agentdb_memory_info,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_info, "out_info") }?;
        let ms = handle::get(memories, "memories")?;
        let m = &ms.items[index(i, ms.items.len(), "memory")?];
        // The pointers stay valid after `ms` (an Arc clone) is dropped: the registry keeps the
        // object alive until agentdb_memories_free.
        *out = agentdb_memory_info {
            id: m.id.ptr(),
            text: m.text.as_ref().map_or(std::ptr::null(), Text::ptr),
            agent_id: m.agent_id.ptr(),
            session_id: m.session_id.as_ref().map_or(std::ptr::null(), Text::ptr),
            kind: m.kind,
            importance: m.importance,
            created_at_us: m.created_at,
            last_accessed_us: m.last_accessed,
            access_count: m.access_count,
            metadata_json: m.metadata.ptr(),
            score: m.score,
            similarity: m.similarity,
            recency: m.recency,
            vector: if m.vector.is_empty() { std::ptr::null() } else { m.vector.as_ptr() },
            dim: m.vector.len(),
        };
        Ok(())
    })
}

/// Frees memories from `agentdb_memory_recall` / `agentdb_memory_get` and every string and vector
/// obtained from them. NULL does nothing; freeing twice returns `AGENTDB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn agentdb_memories_free(memories: *mut agentdb_memories) -> agentdb_status {
    guard(|| {
        handle::take(memories, "memories")?;
        Ok(())
    })
}
