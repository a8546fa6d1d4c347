//! Full-text (BM25) and hybrid search of a collection: `agentdb_collection_text_search`,
//! `agentdb_collection_hybrid_search` (options `agentdb_hybrid_options`), and their hits
//! (`agentdb_scored_hits`: `_count` / `_get` / `_free`). Fusion is the engine's.

use std::ffi::c_char;

use agentdb_engine::{FusionMethod, FusionOptions, HybridOptions, HybridSearchResult, Metadata, TextSearchResult};

use crate::args::{field, filter_arg, floats_arg, index, k_arg, out_arg, read_opts, str_arg};
use crate::handle::{self, agentdb_collection, agentdb_scored_hits};
use crate::status::{agentdb_status, guard, Fail, Res};
use crate::text::{metadata_json, Text};

// The fusion methods are the same two values as memory recall's (`agentdb_fusion`,
// `AGENTDB_FUSION_RRF`/`_LINEAR`, defined once in memory_options.rs); a collection's hybrid
// search computes RRF as `vector_weight / (rrf_k + vector_rank) + text_weight / (rrf_k +
// text_rank)` and LINEAR over both sides' scores min-max normalised, a side that did not return
// the record adding 0.
use crate::memory_options::{agentdb_fusion, AGENTDB_FUSION_LINEAR, AGENTDB_FUSION_RRF};

/// Options of `agentdb_collection_hybrid_search`. Start from `agentdb_hybrid_options_default()`
/// and set what you need; each field's zero value also means "the default", so a zeroed struct
/// with `struct_size` set works. (A weight cannot be set to 0 here: to rank by one side only,
/// call `agentdb_collection_search` or `agentdb_collection_text_search`.) Versioned by
/// `struct_size` like every options struct.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(non_camel_case_types)]
pub struct agentdb_hybrid_options {
    /// `sizeof(agentdb_hybrid_options)`, set by `agentdb_hybrid_options_default()`.
    pub struct_size: u32,
    /// `AGENTDB_FUSION_RRF` (the default) or `AGENTDB_FUSION_LINEAR`.
    pub method: agentdb_fusion,
    /// Weight of the vector ranking (finite, > 0).
    pub vector_weight: f32,
    /// Weight of the BM25 ranking (finite, > 0).
    pub text_weight: f32,
    /// RRF's rank constant (ignored by linear fusion).
    pub rrf_k: f32,
    /// Records each side contributes before fusion, at least `k`; 0: the engine decides from
    /// `k` (max(4·k, 20)).
    pub candidates: usize,
}

const HYBRID_OPTIONS_SIZE: usize = std::mem::size_of::<agentdb_hybrid_options>();

/// The engine's hybrid defaults (`HybridOptions::default()`), `struct_size` set. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_hybrid_options_default() -> agentdb_hybrid_options {
    let d = HybridOptions::default();
    agentdb_hybrid_options {
        // A few dozen bytes: the cast cannot truncate.
        struct_size: HYBRID_OPTIONS_SIZE as u32,
        method: method_to_c(d.fusion.method),
        vector_weight: d.fusion.vector_weight,
        text_weight: d.fusion.text_weight,
        rrf_k: d.fusion.rrf_k,
        candidates: d.candidates.unwrap_or_default(),
    }
}

fn method_to_c(m: FusionMethod) -> agentdb_fusion {
    match m {
        FusionMethod::Rrf => AGENTDB_FUSION_RRF,
        FusionMethod::Linear => AGENTDB_FUSION_LINEAR,
    }
}

/// The options at `p` (NULL: the defaults) as the engine's; a field left 0 takes its default.
///
/// # Safety
/// `p` is NULL or points to a readable `agentdb_hybrid_options`.
unsafe fn hybrid_options(p: *const agentdb_hybrid_options) -> Res<HybridOptions> {
    let d = HybridOptions::default();
    if p.is_null() {
        return Ok(d);
    }
    read_opts!(p, agentdb_hybrid_options, "options", "agentdb_hybrid_options_default", |o| {
        let method = match field!(o, method) {
            AGENTDB_FUSION_RRF => FusionMethod::Rrf,
            AGENTDB_FUSION_LINEAR => FusionMethod::Linear,
            other => return Err(Fail::invalid(format!("unknown fusion method {other}"))),
        };
        let or = |v: f32, d: f32| if v == 0.0 { d } else { v };
        let candidates: usize = field!(o, candidates);
        Ok(HybridOptions {
            fusion: FusionOptions {
                method,
                vector_weight: or(field!(o, vector_weight), d.fusion.vector_weight),
                text_weight: or(field!(o, text_weight), d.fusion.text_weight),
                rrf_k: or(field!(o, rrf_k), d.fusion.rrf_k),
            },
            candidates: if candidates == 0 { d.candidates } else { Some(candidates) },
        })
    })
}

/// One scored hit, as stored in the hits object.
struct HitObj {
    id: Text,
    document: Option<Text>,
    metadata: Text,
    score: f32,
    vector_rank: usize,
    distance: f32,
    text_rank: usize,
    bm25: f32,
}

impl HitObj {
    fn new(id: &str, document: &Option<String>, metadata: &Metadata, score: f32) -> HitObj {
        HitObj {
            id: Text::new(id),
            document: document.as_deref().map(Text::new),
            metadata: metadata_json(metadata),
            score,
            vector_rank: 0,
            distance: f32::NAN,
            text_rank: 0,
            bm25: f32::NAN,
        }
    }
}

pub(crate) struct ScoredHitsObj {
    hits: Vec<HitObj>,
}

impl ScoredHitsObj {
    fn from_text(r: &TextSearchResult) -> ScoredHitsObj {
        let hits = (0..r.len())
            .map(|i| HitObj {
                text_rank: i + 1,
                bm25: r.scores[i],
                ..HitObj::new(&r.ids[i], &r.documents[i], &r.metadata[i], r.scores[i])
            })
            .collect();
        ScoredHitsObj { hits }
    }

    fn from_hybrid(r: &HybridSearchResult) -> ScoredHitsObj {
        let hits = (0..r.len())
            .map(|i| HitObj {
                vector_rank: r.vector_ranks[i].unwrap_or(0),
                distance: r.distances[i].unwrap_or(f32::NAN),
                text_rank: r.text_ranks[i].unwrap_or(0),
                bm25: r.bm25_scores[i].unwrap_or(f32::NAN),
                ..HitObj::new(&r.ids[i], &r.documents[i], &r.metadata[i], r.scores[i])
            })
            .collect();
        ScoredHitsObj { hits }
    }
}

/// The `k` records whose document best matches `query` by BM25, best first, among those matching
/// the filter (as in `agentdb_collection_get`). Writes a new `agentdb_scored_hits` to `*out_hits`
/// (free it with `agentdb_scored_hits_free`; NULL on failure). Each hit's `score` and `bm25` are
/// its BM25 score and `text_rank` its rank; `vector_rank` is 0. Records without a document never
/// match; an empty collection gives no hits. The full-text index is built on the first call and
/// brought up to date by each later one. An empty `query` is `AGENTDB_INVALID_ARGUMENT`.
///
/// # Safety
/// `query` is NULL or NUL-terminated; `filter_sql` and `filter_json` are NULL or NUL-terminated;
/// `out_hits` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_text_search(
    collection: *const agentdb_collection,
    query: *const c_char,
    k: usize,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    out_hits: *mut *mut agentdb_scored_hits,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_hits, "out_hits") }?;
        *out = std::ptr::null_mut();
        k_arg(k, "k")?;
        // SAFETY: contract of this function.
        let query = unsafe { str_arg(query, "query") }?;
        let c = handle::get(collection, "collection")?;
        // SAFETY: contract of this function.
        let filter = unsafe { filter_arg(filter_sql, filter_json) }?;
        let found = c.collection.text_search(query, k, filter.as_ref())?;
        *out = handle::new_handle(ScoredHitsObj::from_text(&found));
        Ok(())
    })
}

/// The `k` best records by both the `dim` floats at `vector` (nearest-neighbour search) and
/// `text` (BM25), fused as `options` say (NULL: the defaults, reciprocal-rank fusion), among those
/// matching the filter, applied to both sides before ranking. Writes a new `agentdb_scored_hits`
/// to `*out_hits` (NULL on failure): `score` is the fused score, and each side's rank and raw
/// score are filled where that side returned the hit (rank 0 and NaN where not).
///
/// # Safety
/// `vector` is NULL or points to `dim` floats; `text`, `filter_sql` and `filter_json` are NULL or
/// NUL-terminated; `options` is NULL or points to a readable `agentdb_hybrid_options`;
/// `out_hits` is NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_collection_hybrid_search(
    collection: *const agentdb_collection,
    vector: *const f32,
    dim: usize,
    text: *const c_char,
    k: usize,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    options: *const agentdb_hybrid_options,
    out_hits: *mut *mut agentdb_scored_hits,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_hits, "out_hits") }?;
        *out = std::ptr::null_mut();
        k_arg(k, "k")?;
        if vector.is_null() {
            return Err(Fail::null("vector"));
        }
        // SAFETY: contract of this function.
        let text = unsafe { str_arg(text, "text") }?;
        let c = handle::get(collection, "collection")?;
        // SAFETY: contract of this function.
        let v = unsafe { floats_arg(vector, 1, dim, "vector") }?;
        // SAFETY: contract of this function.
        let filter = unsafe { filter_arg(filter_sql, filter_json) }?;
        // SAFETY: contract of this function.
        let options = unsafe { hybrid_options(options) }?;
        let found = c.collection.hybrid_search(v, text, k, filter.as_ref(), &options)?;
        *out = handle::new_handle(ScoredHitsObj::from_hybrid(&found));
        Ok(())
    })
}

/// Sets the tokenizer of the collection's text and hybrid search (the names of
/// `agentdb_memory_set_text_tokenizer`: `"simple"`, `"icu"`, `"ngram"`, `"ngram:N"`,
/// `"ngram:MIN-MAX"`); kept with the collection, its documents' full-text index rebuilt with it on
/// the next text search. `AGENTDB_INVALID_ARGUMENT` for another name (nothing changes),
/// `AGENTDB_READ_ONLY` on a read-only database.
///
/// # Safety
/// `tokenizer` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_set_text_tokenizer(
    collection: *const agentdb_collection,
    tokenizer: *const c_char,
) -> agentdb_status {
    guard(|| {
        let c = handle::get(collection, "collection")?;
        // SAFETY: contract of this function.
        let t = unsafe { crate::memory_options::tokenizer_arg(tokenizer) }?;
        c.collection.set_text_tokenizer(t)?;
        Ok(())
    })
}

/// Copies the name of the collection's text tokenizer into `buf` (as
/// `agentdb_memory_text_tokenizer`: NUL-terminated, 16 bytes always suffice, `*out_len` set even
/// when the buffer is too small).
///
/// # Safety
/// `buf` NULL or writable for `buf_len` bytes; `out_len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_text_tokenizer(
    collection: *const agentdb_collection,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let c = handle::get(collection, "collection")?;
        // SAFETY: contract of this function.
        unsafe { crate::memory_options::write_tokenizer(c.collection.text_tokenizer(), buf, buf_len, out_len) }
    })
}

/// Writes the number of hits to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_scored_hits_count(hits: *const agentdb_scored_hits, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(hits, "hits", out_count, |o| o.hits.len()) }
}

/// One hit of a text or hybrid search, as `agentdb_scored_hits_get` fills it. The strings point
/// into the hits object and are valid until `agentdb_scored_hits_free`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_scored_hit {
    pub id: *const c_char,
    /// The record's document; NULL when it has none (a hybrid hit found by its vector only).
    pub document: *const c_char,
    /// The record's metadata as a JSON object.
    pub metadata_json: *const c_char,
    /// Larger is better: BM25 for a text search, the fused score for a hybrid one.
    pub score: f32,
    /// 1-based rank in the vector ranking; 0 when that side did not return the record.
    pub vector_rank: usize,
    /// The vector distance (NaN when `vector_rank` is 0).
    pub distance: f32,
    /// 1-based rank in the BM25 ranking; 0 when that side did not return the record.
    pub text_rank: usize,
    /// The BM25 score (NaN when `text_rank` is 0).
    pub bm25: f32,
}

/// Fills `*out_hit` with hit `i` (0-based, best first).
///
/// # Safety
/// `out_hit` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_scored_hits_get(
    hits: *const agentdb_scored_hits,
    i: usize,
    out_hit: *mut agentdb_scored_hit,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_hit, "out_hit") }?;
        let hs = handle::get(hits, "hits")?;
        let h = &hs.hits[index(i, hs.hits.len(), "hit")?];
        // The pointers stay valid after `hs` (an Arc clone) is dropped here: the registry keeps
        // the object alive until agentdb_scored_hits_free.
        *out = agentdb_scored_hit {
            id: h.id.ptr(),
            document: h.document.as_ref().map_or(std::ptr::null(), Text::ptr),
            metadata_json: h.metadata.ptr(),
            score: h.score,
            vector_rank: h.vector_rank,
            distance: h.distance,
            text_rank: h.text_rank,
            bm25: h.bm25,
        };
        Ok(())
    })
}

/// Frees the hits of a text or hybrid search. NULL does nothing.
#[no_mangle]
pub extern "C" fn agentdb_scored_hits_free(hits: *mut agentdb_scored_hits) -> agentdb_status {
    handle::free(hits, "hits")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hybrid_options_from_c() {
        // SAFETY: NULL is allowed.
        let null = unsafe { hybrid_options(std::ptr::null()) }.unwrap();
        let d = agentdb_hybrid_options_default();
        // SAFETY: `d` is a whole, live struct.
        assert_eq!(unsafe { hybrid_options(&d) }.unwrap(), null);
        assert_eq!(null, HybridOptions::default());
        let zeroed = agentdb_hybrid_options { struct_size: d.struct_size, method: 0, vector_weight: 0.0, text_weight: 0.0, rrf_k: 0.0, candidates: 0 };
        // SAFETY: as above.
        assert_eq!(unsafe { hybrid_options(&zeroed) }.unwrap(), null);
        let set = agentdb_hybrid_options { method: AGENTDB_FUSION_LINEAR, text_weight: 2.0, candidates: 7, ..d };
        // SAFETY: as above.
        let o = unsafe { hybrid_options(&set) }.unwrap();
        assert_eq!((o.fusion.method, o.fusion.text_weight, o.candidates), (FusionMethod::Linear, 2.0, Some(7)));
        for bad in [agentdb_hybrid_options { method: 9, ..d }, agentdb_hybrid_options { struct_size: 4, ..d }] {
            // SAFETY: as above.
            assert!(unsafe { hybrid_options(&bad) }.is_err());
        }
    }
}
