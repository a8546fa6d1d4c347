//! The inputs of the memory calls: kinds, recall modes, the filter (`agentdb_memory_filter`),
//! recall and consolidation options, each with its `*_default()` filled from the engine's
//! defaults, and their conversion to the engine's types.

use std::ffi::c_char;

use agentdb_engine::{ConsolidateOptions, Fusion, MemoryFilter, MemoryKind, RecallMode, RecallOptions, RecallWeights, SearchMode, TextTokenizer};

use crate::args::{field, filter_arg, flag, k_arg, opt_str_arg, out_arg, read_opts, str_arg};
use crate::status::{Fail, Res};

/// What a memory is about (an `int32_t`, one of the `AGENTDB_MEMORY_*` values).
#[allow(non_camel_case_types)]
pub type agentdb_memory_kind = i32;

/// Short-lived scratch context of the current task.
pub const AGENTDB_MEMORY_WORKING: agentdb_memory_kind = 0;

/// Something that happened.
pub const AGENTDB_MEMORY_EPISODIC: agentdb_memory_kind = 1;

/// A fact or piece of knowledge.
pub const AGENTDB_MEMORY_SEMANTIC: agentdb_memory_kind = 2;

/// How to do something.
pub const AGENTDB_MEMORY_PROCEDURAL: agentdb_memory_kind = 3;

/// For `agentdb_memory_remember`: the engine's default kind, decided there.
pub const AGENTDB_MEMORY_KIND_DEFAULT: agentdb_memory_kind = -1;

pub(crate) fn kind_from_c(k: agentdb_memory_kind) -> Res<MemoryKind> {
    usize::try_from(k)
        .ok()
        .and_then(|i| MemoryKind::ALL.get(i).copied())
        .ok_or_else(|| Fail::invalid(format!("unknown memory kind {k}: expected AGENTDB_MEMORY_WORKING (0) … AGENTDB_MEMORY_PROCEDURAL (3)")))
}

pub(crate) fn kind_to_c(k: MemoryKind) -> agentdb_memory_kind {
    // Exhaustive: a kind added to the engine fails to compile here until it has a C value.
    match k {
        MemoryKind::Working => AGENTDB_MEMORY_WORKING,
        MemoryKind::Episodic => AGENTDB_MEMORY_EPISODIC,
        MemoryKind::Semantic => AGENTDB_MEMORY_SEMANTIC,
        MemoryKind::Procedural => AGENTDB_MEMORY_PROCEDURAL,
    }
}



/// How recall combines similarity with recency and importance (`agentdb_recall_options.mode`).
#[allow(non_camel_case_types)]
pub type agentdb_recall_mode = i32;

/// Relevance first (the default): the similarity normalised over the candidates, times an
/// adjustment in [1 − adjust, 1] for recency and importance.
pub const AGENTDB_RECALL_RELEVANCE: agentdb_recall_mode = 0;

/// The old additive score: w_similarity · similarity + w_recency · recency + w_importance · importance.
pub const AGENTDB_RECALL_LINEAR: agentdb_recall_mode = 1;

pub(crate) fn mode_from_c(m: agentdb_recall_mode) -> Res<RecallMode> {
    usize::try_from(m)
        .ok()
        .and_then(|i| RecallMode::ALL.get(i).copied())
        .ok_or_else(|| Fail::invalid(format!("unknown recall mode {m}: expected AGENTDB_RECALL_RELEVANCE (0) or AGENTDB_RECALL_LINEAR (1)")))
}

pub(crate) fn mode_to_c(m: RecallMode) -> agentdb_recall_mode {
    // Exhaustive, as for kinds.
    match m {
        RecallMode::Relevance => AGENTDB_RECALL_RELEVANCE,
        RecallMode::Linear => AGENTDB_RECALL_LINEAR,
    }
}

/// Which rankings recall uses (`agentdb_recall_options.search_mode`).
#[allow(non_camel_case_types)]
pub type agentdb_search_mode = i32;

/// The engine decides (the default): hybrid with a query vector, a query text and stored
/// texts; text with only a query text; vector with only a query vector.
pub const AGENTDB_SEARCH_AUTO: agentdb_search_mode = -1;

/// Vector similarity only.
pub const AGENTDB_SEARCH_VECTOR: agentdb_search_mode = 0;

/// BM25 of `query_text` over the memory texts only.
pub const AGENTDB_SEARCH_TEXT: agentdb_search_mode = 1;

/// Both rankings, fused as `fusion` says.
pub const AGENTDB_SEARCH_HYBRID: agentdb_search_mode = 2;

fn search_from_c(m: agentdb_search_mode) -> Res<Option<SearchMode>> {
    if m == AGENTDB_SEARCH_AUTO {
        return Ok(None);
    }
    usize::try_from(m).ok().and_then(|i| SearchMode::ALL.get(i).copied()).map(Some).ok_or_else(|| {
        Fail::invalid(format!(
            "unknown search mode {m}: expected AGENTDB_SEARCH_AUTO (-1), AGENTDB_SEARCH_VECTOR (0), AGENTDB_SEARCH_TEXT (1) or AGENTDB_SEARCH_HYBRID (2)"
        ))
    })
}

fn search_to_c(m: Option<SearchMode>) -> agentdb_search_mode {
    match m {
        None => AGENTDB_SEARCH_AUTO,
        Some(SearchMode::Vector) => AGENTDB_SEARCH_VECTOR,
        Some(SearchMode::Text) => AGENTDB_SEARCH_TEXT,
        Some(SearchMode::Hybrid) => AGENTDB_SEARCH_HYBRID,
    }
}

/// How a hybrid ranking fuses its vector and text rankings (`agentdb_recall_options.fusion`,
/// `agentdb_hybrid_options.method`).
#[allow(non_camel_case_types)]
pub type agentdb_fusion = i32;

/// Reciprocal rank fusion. Memory recall: w_similarity·(k+1)/(k + rank_vector) + w_text·(k+1)/
/// (k + rank_text), k = rrf_k; a collection's hybrid search: the same without the (k+1) scale.
pub const AGENTDB_FUSION_RRF: agentdb_fusion = 0;

/// Weighted scores (memory recall's default): w_similarity·(min-max normalised similarity) +
/// w_text·bm25 / max bm25 (a collection's hybrid search min-max normalises BM25 too).
pub const AGENTDB_FUSION_LINEAR: agentdb_fusion = 1;

fn fusion_from_c(f: agentdb_fusion) -> Res<Fusion> {
    usize::try_from(f)
        .ok()
        .and_then(|i| Fusion::ALL.get(i).copied())
        .ok_or_else(|| Fail::invalid(format!("unknown fusion {f}: expected AGENTDB_FUSION_RRF (0) or AGENTDB_FUSION_LINEAR (1)")))
}

fn fusion_to_c(f: Fusion) -> agentdb_fusion {
    match f {
        Fusion::Rrf => AGENTDB_FUSION_RRF,
        Fusion::Linear => AGENTDB_FUSION_LINEAR,
    }
}

/// A tokenizer name (`"simple"`, `"icu"`, `"ngram"`, `"ngram:MIN-MAX"`) from C.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
pub(crate) unsafe fn tokenizer_arg(p: *const c_char) -> Res<TextTokenizer> {
    // SAFETY: contract of this function.
    let name = unsafe { str_arg(p, "tokenizer") }?;
    Ok(TextTokenizer::parse(name)?)
}

/// Copies a tokenizer's name, NUL-terminated, into `buf` (`buf_len` bytes) and its length to
/// `*out_len` (if not NULL). A buffer too small (or NULL with `buf_len` 0) is
/// `AGENTDB_INVALID_ARGUMENT` with `*out_len` still set, so the caller can size one.
///
/// # Safety
/// `buf` is NULL or writable for `buf_len` bytes; `out_len` NULL or writable.
pub(crate) unsafe fn write_tokenizer(t: TextTokenizer, buf: *mut c_char, buf_len: usize, out_len: *mut usize) -> Res {
    let name = t.name();
    if !out_len.is_null() {
        // SAFETY: contract of this function.
        *unsafe { out_arg(out_len, "out_len") }? = name.len();
    }
    if buf.is_null() || buf_len <= name.len() {
        return Err(Fail::invalid(format!("the tokenizer name {name:?} needs a buffer of {} bytes", name.len() + 1)));
    }
    // SAFETY: `buf` is writable for `buf_len` > name.len() bytes (contract of this function).
    unsafe {
        std::ptr::copy_nonoverlapping(name.as_ptr(), buf.cast::<u8>(), name.len());
        buf.add(name.len()).write(0);
    }
    Ok(())
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
    /// two; NULL: none), as for `agentdb_collection_search`.
    pub filter_sql: *const c_char,
    pub filter_json: *const c_char,
}

/// A filter that lets every memory through (the engine's `MemoryFilter::default()`), with
/// `struct_size` set. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_memory_filter_default() -> agentdb_memory_filter {
    let d = MemoryFilter::default();
    agentdb_memory_filter {
        struct_size: std::mem::size_of::<agentdb_memory_filter>() as u32,
        kinds: d.kinds.as_deref().map_or(0, kinds_mask),
        // The engine's default names no agent, session or filter text: nothing to point at.
        agent_id: std::ptr::null(),
        session_id: std::ptr::null(),
        has_since: d.since.is_some(),
        since_us: d.since.unwrap_or_default(),
        has_until: d.until.is_some(),
        until_us: d.until.unwrap_or_default(),
        filter_sql: std::ptr::null(),
        filter_json: std::ptr::null(),
    }
}

/// The `agentdb_memory_filter.kinds` bits of a set of kinds (`1 << AGENTDB_MEMORY_*`).
fn kinds_mask(kinds: &[MemoryKind]) -> u32 {
    kinds.iter().fold(0, |mask, k| mask | (1 << kind_to_c(*k)))
}

/// How `agentdb_memory_recall` scores. Start from `agentdb_recall_options_default()`, which
/// fills every field with the engine's default (read them there: this header writes no default
/// number down).
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
    /// Update the access statistics of the memories returned.
    pub touch: bool,
    /// Score every memory passing the filter, however many (false: above max(4096, 4Mi / dim) of
    /// them, only the `candidates` most similar are scored).
    pub exact: bool,
    /// Weights, each ≥ 0.
    pub w_similarity: f64,
    pub w_recency: f64,
    pub w_importance: f64,
    /// Seconds after which recency halves, > 0.
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
    /// (0: similarity alone).
    pub adjust: f64,
    /// The query text of text and hybrid recall (NULL: none): BM25 over the memory texts.
    pub query_text: *const c_char,
    /// `AGENTDB_SEARCH_AUTO` (default), `AGENTDB_SEARCH_VECTOR`, `_TEXT` or `_HYBRID`.
    pub search_mode: agentdb_search_mode,
    /// `AGENTDB_FUSION_LINEAR` (default) or `AGENTDB_FUSION_RRF`: how hybrid recall fuses.
    pub fusion: agentdb_fusion,
    /// The text ranking's weight (≥ 0; w_similarity is the vector ranking's).
    pub w_text: f64,
    /// RRF's rank constant (> 0).
    pub rrf_k: f64,
}

/// The default recall options: the engine's (`RecallOptions::new`, `RecallWeights::default()`),
/// with `struct_size` set. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_recall_options_default() -> agentdb_recall_options {
    // `k` is an argument of the call, not an option: any value gives the same defaults.
    let d = RecallOptions::new(1);
    let w = d.weights;
    agentdb_recall_options {
        struct_size: std::mem::size_of::<agentdb_recall_options>() as u32,
        touch: d.touch,
        exact: d.exact,
        w_similarity: w.similarity,
        w_recency: w.recency,
        w_importance: w.importance,
        half_life_s: w.half_life_secs,
        has_now: d.now.is_some(),
        now_us: d.now.unwrap_or_default(),
        // 0 is "the engine decides" (max(10·k, 100): it depends on k).
        candidates: d.candidates.unwrap_or_default(),
        mode: mode_to_c(w.mode),
        adjust: w.adjust,
        // The engine's default is no query text: nothing to point at.
        query_text: std::ptr::null(),
        search_mode: search_to_c(d.search),
        fusion: fusion_to_c(w.fusion),
        w_text: w.text,
        rrf_k: w.rrf_k,
    }
}

/// The engine's recall options for `k` from a C `agentdb_recall_options` (NULL: the defaults)
/// and filter.
///
/// # Safety
/// `p` is NULL or points to a readable `agentdb_recall_options` whose `query_text` is NULL or
/// NUL-terminated.
pub(crate) unsafe fn recall_from_c(p: *const agentdb_recall_options, k: usize, filter: MemoryFilter) -> Res<RecallOptions> {
    let mut opts = RecallOptions::new(k);
    opts.filter = filter;
    if p.is_null() {
        return Ok(opts);
    }
    read_opts!(p, agentdb_recall_options, "options", "agentdb_recall_options_default", |o| {
        opts.touch = flag!(o, touch);
        opts.exact = flag!(o, exact);
        opts.weights = RecallWeights {
            mode: mode_from_c(field!(o, mode))?,
            similarity: field!(o, w_similarity),
            recency: field!(o, w_recency),
            importance: field!(o, w_importance),
            half_life_secs: field!(o, half_life_s),
            adjust: field!(o, adjust),
            text: field!(o, w_text),
            fusion: fusion_from_c(field!(o, fusion))?,
            rrf_k: field!(o, rrf_k),
        };
        let text_ptr: *const c_char = field!(o, query_text);
        // SAFETY: NULL or NUL-terminated (contract of this function).
        opts.query_text = unsafe { opt_str_arg(text_ptr, "options->query_text") }?.map(str::to_owned);
        opts.search = search_from_c(field!(o, search_mode))?;
        opts.now = flag!(o, has_now).then(|| field!(o, now_us));
        let c: usize = field!(o, candidates);
        opts.candidates = if c == 0 { None } else { Some(k_arg(c, "options->candidates")?) };
    });
    Ok(opts)
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

/// The engine's consolidation options (`ConsolidateOptions::default()`: no step enabled, the
/// default weights), with `struct_size` set. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_consolidate_options_default() -> agentdb_consolidate_options {
    let d = ConsolidateOptions::default();
    agentdb_consolidate_options {
        struct_size: std::mem::size_of::<agentdb_consolidate_options>() as u32,
        dedup: d.dedup_threshold.is_some(),
        dedup_threshold: d.dedup_threshold.unwrap_or_default(),
        decay: d.min_score.is_some(),
        min_score: d.min_score.unwrap_or_default(),
        has_capacity: d.capacity.is_some(),
        capacity: d.capacity.unwrap_or_default(),
        // The engine's default is every agent: nothing to point at.
        agent_id: std::ptr::null(),
        w_recency: d.weights.recency,
        w_importance: d.weights.importance,
        half_life_s: d.weights.half_life_secs,
        has_now: d.now.is_some(),
        now_us: d.now.unwrap_or_default(),
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

/// # Safety
/// `p` is NULL or points to a readable `agentdb_memory_filter` whose strings are NULL or
/// NUL-terminated.
pub(crate) unsafe fn filter_from_c(p: *const agentdb_memory_filter) -> Res<MemoryFilter> {
    if p.is_null() {
        return Ok(MemoryFilter::default());
    }
    read_opts!(p, agentdb_memory_filter, "filter", "agentdb_memory_filter_default", |f| {
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
pub(crate) unsafe fn consolidate_from_c(p: *const agentdb_consolidate_options) -> Res<ConsolidateOptions> {
    if p.is_null() {
        return Ok(ConsolidateOptions::default());
    }
    read_opts!(p, agentdb_consolidate_options, "options", "agentdb_consolidate_options_default", |o| {
        let agent_ptr: *const c_char = field!(o, agent_id);
        // SAFETY: NULL or NUL-terminated (contract of this function).
        let agent_id = unsafe { opt_str_arg(agent_ptr, "options->agent_id") }?.map(str::to_owned);
        Ok(ConsolidateOptions {
            agent_id,
            dedup_threshold: flag!(o, dedup).then(|| field!(o, dedup_threshold)),
            min_score: flag!(o, decay).then(|| field!(o, min_score)),
            capacity: flag!(o, has_capacity).then(|| field!(o, capacity)),
            // Consolidation compares strengths only: the weights it does not read (similarity,
            // mode, adjust) keep the engine's defaults.
            weights: RecallWeights {
                recency: field!(o, w_recency),
                importance: field!(o, w_importance),
                half_life_secs: field!(o, half_life_s),
                ..ConsolidateOptions::default().weights
            },
            now: flag!(o, has_now).then(|| field!(o, now_us)),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_modes_round_trip() {
        // `kind_from_c` reads a C value as a position in `MemoryKind::ALL`, `kind_to_c` matches:
        // the two must agree for every kind (and likewise for modes).
        for k in MemoryKind::ALL {
            assert_eq!(kind_from_c(kind_to_c(k)).unwrap(), k);
        }
        for m in RecallMode::ALL {
            assert_eq!(mode_from_c(mode_to_c(m)).unwrap(), m);
        }
        for m in SearchMode::ALL.map(Some).into_iter().chain([None]) {
            assert_eq!(search_from_c(search_to_c(m)).unwrap(), m);
        }
        for f in Fusion::ALL {
            assert_eq!(fusion_from_c(fusion_to_c(f)).unwrap(), f);
        }
        assert!(search_from_c(3).is_err() && fusion_from_c(2).is_err());
        assert!(kind_from_c(MemoryKind::ALL.len() as i32).is_err() && kind_from_c(AGENTDB_MEMORY_KIND_DEFAULT).is_err());
    }

    #[test]
    fn defaults_are_the_engines() {
        // What the default structs carry reads back as the engine's own defaults.
        let r = agentdb_recall_options_default();
        // SAFETY: `r` is a whole, live struct.
        let got = unsafe { recall_from_c(&r, 7, MemoryFilter::default()) }.unwrap();
        assert_eq!(got, RecallOptions::new(7));
        let c = agentdb_consolidate_options_default();
        // SAFETY: as above.
        let got = unsafe { consolidate_from_c(&c) }.unwrap();
        assert_eq!(got, ConsolidateOptions::default());
        let f = agentdb_memory_filter_default();
        // SAFETY: as above.
        assert_eq!(unsafe { filter_from_c(&f) }.unwrap(), MemoryFilter::default());
    }
}
