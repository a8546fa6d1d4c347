//! Retrieval from a RAG store: hybrid search (`agentdb_rag_search`, hits in `rag_hits.rs`) and
//! prompt contexts (`agentdb_rag_context`, in `rag_context.rs`), with their options
//! (`agentdb_rag_options`, whose two `*_default()` functions are the engine's defaults for each
//! call). Fusion, MMR and packing are the engine's.

use std::ffi::c_char;

use agentdb_engine::chunk::ApproxTokens;
use agentdb_engine::rag::{ContextOptions, RetrievalMode, RetrieveOptions, DEFAULT_MMR_LAMBDA};

use crate::args::{field, filter_arg, flag, floats_arg, k_arg, opt_str_arg, out_arg, read_opts};
use crate::handle::{self, agentdb_context, agentdb_rag, agentdb_rag_hits};
use crate::rag_context::{CitationObj, RagContextObj};
use crate::rag_hits::{HitObj, RagHitsObj};
use crate::status::{agentdb_status, guard, Fail, Res};
use crate::text::Text;

/// Which retrievers a RAG search uses (an `int32_t`, one of the `AGENTDB_RAG_*` values).
#[allow(non_camel_case_types)]
pub type agentdb_rag_mode = i32;

/// Vector similarity and BM25 fused by reciprocal-rank fusion (needs the query text and vector).
pub const AGENTDB_RAG_HYBRID: agentdb_rag_mode = 0;

/// Vector similarity only (needs the query vector).
pub const AGENTDB_RAG_VECTOR: agentdb_rag_mode = 1;

/// BM25 full-text only (needs the query text).
pub const AGENTDB_RAG_TEXT: agentdb_rag_mode = 2;

/// Options of `agentdb_rag_search` and `agentdb_rag_context`. Start from
/// `agentdb_rag_search_options_default()` or `agentdb_rag_context_options_default()` (the
/// engine's defaults differ between the two calls, in `k` and `score_order`), and set what you
/// need. Each field's zero value also means "the call's default", so a zeroed struct with
/// `struct_size` set works for both. Versioned by `struct_size` like every options struct.
///
/// Hybrid score (reciprocal-rank fusion): `vector_weight / (rrf_k + rank_vector) + text_weight /
/// (rrf_k + rank_bm25)`, a side that did not return the chunk adding 0.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(non_camel_case_types)]
pub struct agentdb_rag_options {
    /// `sizeof(agentdb_rag_options)`, set by the `*_default()` functions.
    pub struct_size: u32,
    /// `AGENTDB_RAG_HYBRID`, `AGENTDB_RAG_VECTOR` or `AGENTDB_RAG_TEXT`.
    pub mode: agentdb_rag_mode,
    /// Chunks to return (search) or to pack from (context), at most `AGENTDB_MAX_K`.
    pub k: usize,
    /// RRF weight of the vector ranking. (Use `mode` to leave a side out.)
    pub vector_weight: f32,
    /// RRF weight of the BM25 ranking.
    pub text_weight: f32,
    /// RRF rank constant.
    pub rrf_k: f32,
    /// Chunks each retriever contributes before fusion; 0: the engine decides from `k`.
    pub candidates: usize,
    /// `true`: re-rank by maximal marginal relevance with `mmr_lambda`.
    pub mmr: bool,
    /// MMR's λ in (0, 1]: 1 = relevance only, lower = more diverse.
    pub mmr_lambda: f32,
    /// Context only: `true` puts passages in score order, unmerged, instead of grouped by
    /// document in reading order with overlapping chunks merged.
    pub score_order: bool,
}

const RAG_OPTIONS_SIZE: usize = std::mem::size_of::<agentdb_rag_options>();

fn mode_to_c(m: RetrievalMode) -> agentdb_rag_mode {
    match m {
        RetrievalMode::Hybrid => AGENTDB_RAG_HYBRID,
        RetrievalMode::Vector => AGENTDB_RAG_VECTOR,
        RetrievalMode::Text => AGENTDB_RAG_TEXT,
    }
}

/// The C struct of the engine's retrieval defaults (`score_order` from the context's packing).
fn options_to_c(d: &RetrieveOptions, score_order: bool) -> agentdb_rag_options {
    agentdb_rag_options {
        // A few dozen bytes: the cast cannot truncate.
        struct_size: RAG_OPTIONS_SIZE as u32,
        mode: mode_to_c(d.mode),
        k: d.k,
        vector_weight: d.vector_weight,
        text_weight: d.text_weight,
        rrf_k: d.rrf_k,
        candidates: d.candidates.unwrap_or_default(),
        mmr: d.mmr_lambda.is_some(),
        // The λ MMR takes when it is switched on (the engine's `DEFAULT_MMR_LAMBDA`).
        mmr_lambda: d.mmr_lambda.unwrap_or(DEFAULT_MMR_LAMBDA),
        score_order,
    }
}

/// The engine's defaults for `agentdb_rag_search` (`RetrieveOptions::default()`), `struct_size`
/// set. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_rag_search_options_default() -> agentdb_rag_options {
    options_to_c(&RetrieveOptions::default(), false)
}

/// The engine's defaults for `agentdb_rag_context` (`ContextOptions::default()`: its retrieval,
/// and its packing order), `struct_size` set. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_rag_context_options_default() -> agentdb_rag_options {
    let d = ContextOptions::default();
    options_to_c(&d.retrieve, !d.document_order)
}

/// The options at `p` (NULL: defaults) as the engine's: a field left 0 takes its value from
/// `defaults` (the engine's defaults for the call), and `score_order` from `default_score_order`
/// when `p` is NULL.
///
/// # Safety
/// `p` is NULL or points to a readable `agentdb_rag_options`.
unsafe fn rag_options(
    p: *const agentdb_rag_options,
    defaults: RetrieveOptions,
    default_score_order: bool,
) -> Res<(RetrieveOptions, bool)> {
    if p.is_null() {
        return Ok((defaults, default_score_order));
    }
    read_opts!(p, agentdb_rag_options, "options", "agentdb_rag_search_options_default", |o| {
        let mode = match field!(o, mode) {
            AGENTDB_RAG_HYBRID => RetrievalMode::Hybrid,
            AGENTDB_RAG_VECTOR => RetrievalMode::Vector,
            AGENTDB_RAG_TEXT => RetrievalMode::Text,
            other => return Err(Fail::invalid(format!("unknown RAG mode {other}"))),
        };
        let or = |v: f32, d: f32| if v == 0.0 { d } else { v };
        let d = defaults;
        let (k, candidates, mmr_lambda): (usize, usize, f32) = (field!(o, k), field!(o, candidates), field!(o, mmr_lambda));
        Ok((
            RetrieveOptions {
                k: if k == 0 { d.k } else { k_arg(k, "options->k")? },
                mode,
                vector_weight: or(field!(o, vector_weight), d.vector_weight),
                text_weight: or(field!(o, text_weight), d.text_weight),
                rrf_k: or(field!(o, rrf_k), d.rrf_k),
                candidates: if candidates == 0 { d.candidates } else { Some(candidates) },
                mmr_lambda: if flag!(o, mmr) { Some(or(mmr_lambda, d.mmr_lambda.unwrap_or(DEFAULT_MMR_LAMBDA))) } else { None },
                filter: d.filter,
            },
            flag!(o, score_order),
        ))
    })
}

/// The query of a search: text (NULL for vector-only) and vector (NULL / dim 0 for text-only).
///
/// # Safety
/// `text` is NULL or NUL-terminated; `vector` is NULL or points to `dim` floats.
unsafe fn query_args<'a>(text: *const c_char, vector: *const f32, dim: usize) -> Res<(Option<&'a str>, Option<&'a [f32]>)> {
    // SAFETY: contract of this function.
    let text = unsafe { opt_str_arg(text, "query_text") }?;
    let vector = if vector.is_null() {
        None
    } else {
        // SAFETY: contract of this function.
        Some(unsafe { floats_arg(vector, 1, dim, "query_vector") }?)
    };
    Ok((text, vector))
}

/// Retrieves chunks for a query: `query_text` (NUL-terminated; NULL for vector-only search) for
/// BM25 and `query_vector` (`dim` floats, the query's embedding, `dim` at most `AGENTDB_MAX_DIM`;
/// NULL for text-only) for vector similarity; hybrid needs both. The filter (SQL or JSON, as in
/// `agentdb_collection_get`) applies to both retrievers, over the chunk metadata (the document's metadata
/// plus `doc_id`, `source`, `position`, …). Writes the hits, best first, to a new `*out_hits`
/// (free with `agentdb_rag_hits_free`; NULL on failure).
///
/// # Safety
/// `query_text`, `filter_sql`, `filter_json` are NULL or NUL-terminated; `query_vector` is NULL or
/// points to `dim` floats; `options` is NULL or a readable `agentdb_rag_options`; `out_hits` is
/// NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_rag_search(
    rag: *const agentdb_rag,
    query_text: *const c_char,
    query_vector: *const f32,
    dim: usize,
    options: *const agentdb_rag_options,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    out_hits: *mut *mut agentdb_rag_hits,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_hits, "out_hits") }?;
        *out = std::ptr::null_mut();
        let r = handle::get(rag, "rag")?;
        // SAFETY: contract of this function.
        let (text, vector) = unsafe { query_args(query_text, query_vector, dim) }?;
        // SAFETY: contract of this function.
        let (mut opts, _) = unsafe { rag_options(options, RetrieveOptions::default(), false) }?;
        // SAFETY: contract of this function.
        opts.filter = unsafe { filter_arg(filter_sql, filter_json) }?;
        let hits = r.rag.search(text, vector, &opts)?;
        *out = handle::new_handle(RagHitsObj { hits: hits.into_iter().map(HitObj::new).collect() });
        Ok(())
    })
}

/// Packs the best chunks for a query into at most `max_tokens` tokens (the engine's token
/// approximation), ready to paste into a prompt: passages headed `[n] source § heading (chunk i)`,
/// grouped by document in reading order with overlapping chunks merged (unless
/// `options->score_order`). Query, options and filter as for `agentdb_rag_search` (`k` is the pool
/// of candidates; NULL options: `agentdb_rag_context_options_default()`). Writes a new `*out_context` (free with `agentdb_context_free`;
/// NULL on failure).
///
/// # Safety
/// As for `agentdb_rag_search`; `out_context` is NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_rag_context(
    rag: *const agentdb_rag,
    query_text: *const c_char,
    query_vector: *const f32,
    dim: usize,
    max_tokens: usize,
    options: *const agentdb_rag_options,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    out_context: *mut *mut agentdb_context,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_context, "out_context") }?;
        *out = std::ptr::null_mut();
        let r = handle::get(rag, "rag")?;
        // SAFETY: contract of this function.
        let (text, vector) = unsafe { query_args(query_text, query_vector, dim) }?;
        let defaults = ContextOptions::default();
        // SAFETY: contract of this function.
        let (mut retrieve, score_order) = unsafe { rag_options(options, defaults.retrieve, !defaults.document_order) }?;
        // SAFETY: contract of this function.
        retrieve.filter = unsafe { filter_arg(filter_sql, filter_json) }?;
        let opts = ContextOptions { max_tokens, retrieve, document_order: !score_order };
        let ctx = r.rag.context(text, vector, &opts, &ApproxTokens)?;
        *out = handle::new_handle(RagContextObj {
            text: Text::new(&ctx.text),
            tokens: ctx.tokens,
            citations: ctx.citations.into_iter().map(CitationObj::new).collect(),
        });
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_engines() {
        // Each default struct reads back as the engine's defaults for its call, and so does NULL.
        let search = agentdb_rag_search_options_default();
        // SAFETY: `search` is a whole, live struct; NULL is allowed.
        let (got, score_order) = unsafe { rag_options(&search, RetrieveOptions::default(), false) }.unwrap();
        assert_eq!((got, score_order), (RetrieveOptions::default(), false));
        let d = ContextOptions::default();
        let context = agentdb_rag_context_options_default();
        // SAFETY: as above.
        let got = unsafe { rag_options(&context, d.retrieve.clone(), !d.document_order) }.unwrap();
        assert_eq!(got, (d.retrieve.clone(), !d.document_order));
        // SAFETY: NULL is allowed.
        let got = unsafe { rag_options(std::ptr::null(), d.retrieve.clone(), !d.document_order) }.unwrap();
        assert_eq!(got, (d.retrieve, !d.document_order));
        // The two calls' defaults differ (that is why there are two functions).
        assert_ne!(search.k, context.k);
    }
}
