//! The hits of `agentdb_rag_search` (`agentdb_rag_hits`): `agentdb_rag_hits_count` /
//! `agentdb_rag_hits_get` / `agentdb_rag_hits_free`. Strings point into the object and stay
//! valid until its free call.

use std::ffi::c_char;

use agentdb_engine::rag::RagHit;

use crate::args::{index, out_arg};
use crate::handle::{self, agentdb_rag_hits};
use crate::status::{agentdb_status, guard};
use crate::text::{metadata_json, Text};

pub(crate) struct HitObj {
    pub(crate) id: Text,
    pub(crate) doc_id: Text,
    pub(crate) source: Text,
    pub(crate) heading: Text,
    pub(crate) text: Text,
    pub(crate) metadata: Text,
    pub(crate) position: usize,
    pub(crate) char_start: usize,
    pub(crate) char_end: usize,
    pub(crate) score: f32,
    pub(crate) vector_rank: usize,
    pub(crate) distance: f32,
    pub(crate) text_rank: usize,
    bm25: f32,
}

impl HitObj {
    pub(crate) fn new(h: RagHit) -> HitObj {
        HitObj {
            id: Text::new(&h.id),
            doc_id: Text::new(&h.doc_id),
            source: Text::new(&h.source),
            heading: Text::new(&h.heading),
            text: Text::new(&h.text),
            metadata: metadata_json(&h.metadata),
            position: h.position,
            char_start: h.char_start,
            char_end: h.char_end,
            score: h.score,
            vector_rank: h.vector_rank.unwrap_or(0),
            distance: h.distance.unwrap_or(f32::NAN),
            text_rank: h.text_rank.unwrap_or(0),
            bm25: h.bm25.unwrap_or(f32::NAN),
        }
    }
}

pub(crate) struct RagHitsObj {
    pub(crate) hits: Vec<HitObj>,
}

/// Writes the number of hits to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_hits_count(hits: *const agentdb_rag_hits, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(hits, "hits", out_count, |o| o.hits.len()) }
}

/// One retrieved chunk, as `agentdb_rag_hits_get` fills it. The strings point into the hits object
/// and are valid until `agentdb_rag_hits_free`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_rag_hit {
    /// `<doc_id>#<position>`.
    pub id: *const c_char,
    pub doc_id: *const c_char,
    pub source: *const c_char,
    /// Markdown heading path joined by " > " (empty when none).
    pub heading: *const c_char,
    pub text: *const c_char,
    /// The document's own metadata as a JSON object.
    pub metadata_json: *const c_char,
    /// The chunk's index in its document, from 0.
    pub position: usize,
    /// The chunk's span in the document, in Unicode code points.
    pub char_start: usize,
    pub char_end: usize,
    /// The fused RRF score, larger is better.
    pub score: f32,
    /// 1-based rank by vector similarity; 0 if that retriever did not return the chunk.
    pub vector_rank: usize,
    /// The vector distance (NaN when `vector_rank` is 0).
    pub distance: f32,
    /// 1-based rank by BM25; 0 if that retriever did not return the chunk.
    pub text_rank: usize,
    /// The BM25 score (NaN when `text_rank` is 0).
    pub bm25: f32,
}

/// Fills `*out_hit` with hit `i` (0-based, best first).
///
/// # Safety
/// `out_hit` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_hits_get(
    hits: *const agentdb_rag_hits,
    i: usize,
    out_hit: *mut agentdb_rag_hit,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_hit, "out_hit") }?;
        let hs = handle::get(hits, "hits")?;
        let h = &hs.hits[index(i, hs.hits.len(), "hit")?];
        // The pointers stay valid after `hs` (an Arc clone) is dropped here: the registry keeps
        // the object alive until agentdb_rag_hits_free.
        *out = agentdb_rag_hit {
            id: h.id.ptr(),
            doc_id: h.doc_id.ptr(),
            source: h.source.ptr(),
            heading: h.heading.ptr(),
            text: h.text.ptr(),
            metadata_json: h.metadata.ptr(),
            position: h.position,
            char_start: h.char_start,
            char_end: h.char_end,
            score: h.score,
            vector_rank: h.vector_rank,
            distance: h.distance,
            text_rank: h.text_rank,
            bm25: h.bm25,
        };
        Ok(())
    })
}

/// Frees search hits. NULL does nothing.
#[no_mangle]
pub extern "C" fn agentdb_rag_hits_free(hits: *mut agentdb_rag_hits) -> agentdb_status {
    handle::free(hits, "hits")
}
