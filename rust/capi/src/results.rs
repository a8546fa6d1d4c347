//! Search results (`agentdb_results`): one list of hits per query, read with
//! `agentdb_results_query_count` / `agentdb_results_count` / `agentdb_results_get_*` and freed by
//! `agentdb_results_free`. Strings point into the object and stay valid until its free call.

use std::ffi::c_char;

use agentdb_engine::SearchResult;

use crate::args::{index, out_arg, write_text};
use crate::handle::{self, agentdb_results};
use crate::status::{agentdb_status, guard, Res};
use crate::text::{metadata_json, Text};

/// The hits of one query.
pub(crate) struct Hits {
    pub ids: Vec<Text>,
    pub distances: Vec<f32>,
    pub documents: Vec<Option<Text>>,
    pub metadata: Vec<Text>,
}

impl Hits {
    pub(crate) fn new(r: &SearchResult) -> Hits {
        Hits {
            ids: r.ids.iter().map(|s| Text::new(s)).collect(),
            distances: r.distances.clone(),
            documents: r.documents.iter().map(|d| d.as_deref().map(Text::new)).collect(),
            metadata: r.metadata.iter().map(metadata_json).collect(),
        }
    }
}

pub(crate) struct ResultsObj {
    pub queries: Vec<Hits>,
}

fn hits(r: &ResultsObj, query: usize) -> Res<&Hits> {
    Ok(&r.queries[index(query, r.queries.len(), "query")?])
}

/// Writes the number of queries the results hold to `*out_count` (1 for `agentdb_collection_search`).
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_results_query_count(results: *const agentdb_results, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(results, "results", out_count, |o| o.queries.len()) }
}

/// Writes the number of hits of query `query` (0 for `agentdb_collection_search`) to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_results_count(
    results: *const agentdb_results,
    query: usize,
    out_count: *mut usize,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        let r = handle::get(results, "results")?;
        *out = hits(&r, query)?.ids.len();
        Ok(())
    })
}

/// Writes the id of hit `row` of query `query` (NUL-terminated) to `*out_id` and, if `out_len` is
/// not NULL, its length in bytes to `*out_len`. Valid until `agentdb_results_free`.
///
/// # Safety
/// `out_id` is NULL or writable; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_results_get_id(
    results: *const agentdb_results,
    query: usize,
    row: usize,
    out_id: *mut *const c_char,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let r = handle::get(results, "results")?;
        let h = hits(&r, query)?;
        let t = &h.ids[index(row, h.ids.len(), "row")?];
        // SAFETY: contract of this function; the text lives in the registered object.
        unsafe { write_text(Some(t), out_id, out_len) }
    })
}

/// Writes the distance of hit `row` of query `query` to `*out_distance` (smaller is closer; see
/// `agentdb_metric`).
///
/// # Safety
/// `out_distance` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_results_get_distance(
    results: *const agentdb_results,
    query: usize,
    row: usize,
    out_distance: *mut f32,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_distance, "out_distance") }?;
        let r = handle::get(results, "results")?;
        let h = hits(&r, query)?;
        *out = h.distances[index(row, h.distances.len(), "row")?];
        Ok(())
    })
}

/// Writes the document of hit `row` of query `query` to `*out_document`, or NULL if the record has
/// none (then `*out_len`, if given, is 0). Valid until `agentdb_results_free`.
///
/// # Safety
/// `out_document` is NULL or writable; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_results_get_document(
    results: *const agentdb_results,
    query: usize,
    row: usize,
    out_document: *mut *const c_char,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let r = handle::get(results, "results")?;
        let h = hits(&r, query)?;
        let d = h.documents[index(row, h.documents.len(), "row")?].as_ref();
        // SAFETY: contract of this function; the text lives in the registered object.
        unsafe { write_text(d, out_document, out_len) }
    })
}

/// Writes the metadata of hit `row` of query `query` as a JSON object (`{}` when it has none;
/// datetimes as `{"$datetime": "<RFC 3339>"}`) to `*out_json`. Valid until `agentdb_results_free`.
///
/// # Safety
/// `out_json` is NULL or writable; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_results_get_metadata(
    results: *const agentdb_results,
    query: usize,
    row: usize,
    out_json: *mut *const c_char,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let r = handle::get(results, "results")?;
        let h = hits(&r, query)?;
        let m = &h.metadata[index(row, h.metadata.len(), "row")?];
        // SAFETY: contract of this function; the text lives in the registered object.
        unsafe { write_text(Some(m), out_json, out_len) }
    })
}

/// Frees search results and every string obtained from them. `agentdb_results_free(NULL)` does
/// nothing and returns `AGENTDB_OK`; freeing twice returns `AGENTDB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn agentdb_results_free(results: *mut agentdb_results) -> agentdb_status {
    handle::free(results, "results")
}
