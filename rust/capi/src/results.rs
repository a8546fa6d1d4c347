//! Reading results: search hits (`agentdb_results`), records (`agentdb_records`) and string lists
//! (`agentdb_strings`). Strings and vectors returned by these accessors point into the object and
//! stay valid until its free call; do not free them yourself.

use std::ffi::c_char;

use crate::args::{index, out_arg, write_text};
use crate::handle::{self, agentdb_records, agentdb_results, agentdb_strings};
use crate::objects::{Hits, ResultsObj};
use crate::status::{agentdb_status, guard, Res};

fn hits(r: &ResultsObj, query: usize) -> Res<&Hits> {
    Ok(&r.queries[index(query, r.queries.len(), "query")?])
}

/// Writes the number of queries the results hold to `*out_count` (1 for `agentdb_search`).
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_results_query_count(results: *const agentdb_results, out_count: *mut usize) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        *out = handle::get(results, "results")?.queries.len();
        Ok(())
    })
}

/// Writes the number of hits of query `query` (0 for `agentdb_search`) to `*out_count`.
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
pub unsafe extern "C" fn agentdb_results_id(
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
pub unsafe extern "C" fn agentdb_results_distance(
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
pub unsafe extern "C" fn agentdb_results_document(
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
pub unsafe extern "C" fn agentdb_results_metadata(
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
    guard(|| {
        handle::take(results, "results")?;
        Ok(())
    })
}

/// Writes the number of records to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_records_count(records: *const agentdb_records, out_count: *mut usize) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        *out = handle::get(records, "records")?.ids.len();
        Ok(())
    })
}

/// Writes the id of record `row` (NUL-terminated) to `*out_id` and, if `out_len` is not NULL, its
/// length in bytes. Valid until `agentdb_records_free`.
///
/// # Safety
/// `out_id` is NULL or writable; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_records_id(
    records: *const agentdb_records,
    row: usize,
    out_id: *mut *const c_char,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let r = handle::get(records, "records")?;
        let t = &r.ids[index(row, r.ids.len(), "row")?];
        // SAFETY: contract of this function; the text lives in the registered object.
        unsafe { write_text(Some(t), out_id, out_len) }
    })
}

/// Writes a pointer to the vector of record `row` (`*out_dim` floats, the collection's dimension)
/// to `*out_vector`; `out_dim` may be NULL. Valid until `agentdb_records_free`.
///
/// # Safety
/// `out_vector` is NULL or writable; `out_dim` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_records_vector(
    records: *const agentdb_records,
    row: usize,
    out_vector: *mut *const f32,
    out_dim: *mut usize,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_vector, "out_vector") }?;
        *out = std::ptr::null();
        let r = handle::get(records, "records")?;
        let row = index(row, r.ids.len(), "row")?;
        let v = &r.vectors[row * r.dim..(row + 1) * r.dim];
        *out = v.as_ptr();
        if !out_dim.is_null() {
            // SAFETY: contract of this function.
            *unsafe { out_arg(out_dim, "out_dim") }? = r.dim;
        }
        Ok(())
    })
}

/// Writes the document of record `row` to `*out_document`, or NULL if it has none. Valid until
/// `agentdb_records_free`.
///
/// # Safety
/// `out_document` is NULL or writable; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_records_document(
    records: *const agentdb_records,
    row: usize,
    out_document: *mut *const c_char,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let r = handle::get(records, "records")?;
        let d = r.documents[index(row, r.documents.len(), "row")?].as_ref();
        // SAFETY: contract of this function; the text lives in the registered object.
        unsafe { write_text(d, out_document, out_len) }
    })
}

/// Writes the metadata of record `row` as a JSON object to `*out_json` (see
/// `agentdb_results_metadata`). Valid until `agentdb_records_free`.
///
/// # Safety
/// `out_json` is NULL or writable; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_records_metadata(
    records: *const agentdb_records,
    row: usize,
    out_json: *mut *const c_char,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let r = handle::get(records, "records")?;
        let m = &r.metadata[index(row, r.metadata.len(), "row")?];
        // SAFETY: contract of this function; the text lives in the registered object.
        unsafe { write_text(Some(m), out_json, out_len) }
    })
}

/// Writes when record `row` was created and last updated, in microseconds since the Unix epoch
/// (UTC). Either out-pointer may be NULL.
///
/// # Safety
/// `out_created_at` and `out_updated_at` are each NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_records_timestamps(
    records: *const agentdb_records,
    row: usize,
    out_created_at: *mut i64,
    out_updated_at: *mut i64,
) -> agentdb_status {
    guard(|| {
        let r = handle::get(records, "records")?;
        let row = index(row, r.ids.len(), "row")?;
        if !out_created_at.is_null() {
            // SAFETY: contract of this function.
            *unsafe { out_arg(out_created_at, "out_created_at") }? = r.created_at[row];
        }
        if !out_updated_at.is_null() {
            // SAFETY: contract of this function.
            *unsafe { out_arg(out_updated_at, "out_updated_at") }? = r.updated_at[row];
        }
        Ok(())
    })
}

/// Frees records and every string and vector obtained from them. `agentdb_records_free(NULL)` does
/// nothing and returns `AGENTDB_OK`; freeing twice returns `AGENTDB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn agentdb_records_free(records: *mut agentdb_records) -> agentdb_status {
    guard(|| {
        handle::take(records, "records")?;
        Ok(())
    })
}

/// Writes the number of strings in the list to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_strings_count(strings: *const agentdb_strings, out_count: *mut usize) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        *out = handle::get(strings, "strings")?.items.len();
        Ok(())
    })
}

/// Writes string `i` of the list (NUL-terminated) to `*out_str` and, if `out_len` is not NULL,
/// its length in bytes. Valid until `agentdb_strings_free`.
///
/// # Safety
/// `out_str` is NULL or writable; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_strings_get(
    strings: *const agentdb_strings,
    i: usize,
    out_str: *mut *const c_char,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let s = handle::get(strings, "strings")?;
        let t = &s.items[index(i, s.items.len(), "index")?];
        // SAFETY: contract of this function; the text lives in the registered object.
        unsafe { write_text(Some(t), out_str, out_len) }
    })
}

/// Frees a string list and every string obtained from it. `agentdb_strings_free(NULL)` does
/// nothing and returns `AGENTDB_OK`; freeing twice returns `AGENTDB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn agentdb_strings_free(strings: *mut agentdb_strings) -> agentdb_status {
    guard(|| {
        handle::take(strings, "strings")?;
        Ok(())
    })
}
