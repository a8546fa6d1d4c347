//! A packed prompt context from `agentdb_rag_context` (`agentdb_context`): its text
//! (`agentdb_context_get_text`) and its citations, a list read with `agentdb_context_count` /
//! `agentdb_context_get`, freed by `agentdb_context_free`. Strings point into the object and stay
//! valid until its free call.

use std::ffi::c_char;

use agentdb_engine::rag::Citation;

use crate::args::{index, out_arg, write_text};
use crate::handle::{self, agentdb_context};
use crate::status::{agentdb_status, guard};
use crate::text::Text;

pub(crate) struct CitationObj {
    pub(crate) number: usize,
    pub(crate) doc_id: Text,
    pub(crate) source: Text,
    pub(crate) heading: Text,
    pub(crate) first_position: usize,
    pub(crate) last_position: usize,
    pub(crate) char_start: usize,
    pub(crate) char_end: usize,
}

impl CitationObj {
    pub(crate) fn new(c: Citation) -> CitationObj {
        CitationObj {
            number: c.number,
            doc_id: Text::new(&c.doc_id),
            source: Text::new(&c.source),
            heading: Text::new(&c.heading),
            first_position: c.positions.first().copied().unwrap_or(0),
            last_position: c.positions.last().copied().unwrap_or(0),
            char_start: c.char_start,
            char_end: c.char_end,
        }
    }
}

pub(crate) struct RagContextObj {
    pub(crate) text: Text,
    pub(crate) tokens: usize,
    pub(crate) citations: Vec<CitationObj>,
}

/// Writes the context text (NUL-terminated; empty when nothing matched) to `*out_text`, its length
/// in bytes to `*out_len` and its token count to `*out_tokens` (each out-pointer but `out_text`
/// may be NULL). Valid until `agentdb_context_free`.
///
/// # Safety
/// `out_text` is NULL or writable; `out_len` and `out_tokens` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_context_get_text(
    context: *const agentdb_context,
    out_text: *mut *const c_char,
    out_len: *mut usize,
    out_tokens: *mut usize,
) -> agentdb_status {
    guard(|| {
        let c = handle::get(context, "context")?;
        if !out_tokens.is_null() {
            // SAFETY: contract of this function.
            *unsafe { out_arg(out_tokens, "out_tokens") }? = c.tokens;
        }
        // SAFETY: contract of this function; the text lives in the registered object.
        unsafe { write_text(Some(&c.text), out_text, out_len) }
    })
}

/// Writes the number of passages (citations) of the context to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_context_count(
    context: *const agentdb_context,
    out_count: *mut usize,
) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(context, "context", out_count, |o| o.citations.len()) }
}

/// Where passage `[number]` of a context comes from. Strings valid until
/// `agentdb_context_free`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_rag_citation {
    /// The passage's number in the text (`[n]`), from 1.
    pub number: usize,
    pub doc_id: *const c_char,
    pub source: *const c_char,
    pub heading: *const c_char,
    /// The first and last chunk positions merged into the passage.
    pub first_position: usize,
    pub last_position: usize,
    /// The passage's span in the document, in Unicode code points.
    pub char_start: usize,
    pub char_end: usize,
}

/// Fills `*out_citation` with citation `i` (0-based; its `number` is `i + 1`).
///
/// # Safety
/// `out_citation` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_context_get(
    context: *const agentdb_context,
    i: usize,
    out_citation: *mut agentdb_rag_citation,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_citation, "out_citation") }?;
        let c = handle::get(context, "context")?;
        let x = &c.citations[index(i, c.citations.len(), "citation")?];
        *out = agentdb_rag_citation {
            number: x.number,
            doc_id: x.doc_id.ptr(),
            source: x.source.ptr(),
            heading: x.heading.ptr(),
            first_position: x.first_position,
            last_position: x.last_position,
            char_start: x.char_start,
            char_end: x.char_end,
        };
        Ok(())
    })
}

/// Frees a context. NULL does nothing.
#[no_mangle]
pub extern "C" fn agentdb_context_free(context: *mut agentdb_context) -> agentdb_status {
    handle::free(context, "context")
}
