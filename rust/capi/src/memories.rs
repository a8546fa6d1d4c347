//! Memories handed out by `agentdb_memory_recall` and `agentdb_memory_get` (`agentdb_memories`):
//! `agentdb_memories_count` / `agentdb_memories_get` / `agentdb_memories_free`. Strings and
//! vectors point into the object and stay valid until its free call.

use std::ffi::c_char;

use agentdb_engine::{MemoryHit, MemoryRecord};

use crate::args::{index, out_arg};
use crate::handle::{self, agentdb_memories};
use crate::memory_options::{agentdb_memory_kind, kind_to_c};
use crate::status::{agentdb_status, guard};
use crate::text::{metadata_json, Text};

/// One memory with strings already NUL-terminated.
pub(crate) struct MemoryItem {
    pub(crate) id: Text,
    pub(crate) text: Option<Text>,
    pub(crate) agent_id: Text,
    pub(crate) session_id: Option<Text>,
    pub(crate) kind: agentdb_memory_kind,
    pub(crate) importance: f64,
    pub(crate) created_at: i64,
    pub(crate) last_accessed: i64,
    pub(crate) access_count: u64,
    pub(crate) metadata: Text,
    pub(crate) vector: Vec<f32>,
    pub(crate) score: f64,
    pub(crate) similarity: f64,
    pub(crate) recency: f64,
    pub(crate) text_score: f64,
}

impl MemoryItem {
    pub(crate) fn new(r: MemoryRecord, score: f64, similarity: f64, recency: f64) -> MemoryItem {
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
            text_score: f64::NAN,
        }
    }

    pub(crate) fn hit(h: MemoryHit) -> MemoryItem {
        let text_score = h.text_score.unwrap_or(f64::NAN);
        MemoryItem { text_score, ..MemoryItem::new(h.record, h.score, h.similarity.unwrap_or(f64::NAN), h.recency) }
    }
}

pub(crate) struct MemoriesObj {
    pub items: Vec<MemoryItem>,
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
    /// Text and hybrid recall: the BM25 score of the query text (0: no query word); NaN
    /// otherwise.
    pub text_score: f64,
}

/// Writes the number of memories in the object to `*out_count`.
///
/// # Safety
/// `out_count` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_memories_count(memories: *const agentdb_memories, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(memories, "memories", out_count, |o| o.items.len()) }
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
            text_score: m.text_score,
        };
        Ok(())
    })
}

/// Frees memories from `agentdb_memory_recall` / `agentdb_memory_get` and every string and vector
/// obtained from them. NULL does nothing; freeing twice returns `AGENTDB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn agentdb_memories_free(memories: *mut agentdb_memories) -> agentdb_status {
    handle::free(memories, "memories")
}
