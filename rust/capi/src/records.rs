//! Records read by `agentdb_collection_get` (`agentdb_records`): `agentdb_records_count` /
//! `agentdb_records_get_*` / `agentdb_records_free`. Strings and vectors point into the object and
//! stay valid until its free call.

use std::ffi::c_char;

use agentdb_engine::GetResult;

use crate::args::{index, out_arg, write_text};
use crate::handle::{self, agentdb_records};
use crate::status::{agentdb_status, guard};
use crate::text::{metadata_json, Text};

pub(crate) struct RecordsObj {
    pub ids: Vec<Text>,
    /// Row-major `ids.len() × dim`, as the engine returned them.
    pub vectors: Vec<f32>,
    pub dim: usize,
    pub documents: Vec<Option<Text>>,
    pub metadata: Vec<Text>,
    pub created_at: Vec<i64>,
    pub updated_at: Vec<i64>,
}

impl RecordsObj {
    pub(crate) fn new(r: GetResult) -> RecordsObj {
        RecordsObj {
            ids: r.ids.iter().map(|s| Text::new(s)).collect(),
            documents: r.documents.iter().map(|d| d.as_deref().map(Text::new)).collect(),
            metadata: r.metadata.iter().map(metadata_json).collect(),
            vectors: r.vectors,
            dim: r.dim,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Writes the number of records to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_records_count(records: *const agentdb_records, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(records, "records", out_count, |o| o.ids.len()) }
}

/// Writes the id of record `row` (NUL-terminated) to `*out_id` and, if `out_len` is not NULL, its
/// length in bytes. Valid until `agentdb_records_free`.
///
/// # Safety
/// `out_id` is NULL or writable; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_records_get_id(
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
pub unsafe extern "C" fn agentdb_records_get_vector(
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
pub unsafe extern "C" fn agentdb_records_get_document(
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
/// `agentdb_results_get_metadata`). Valid until `agentdb_records_free`.
///
/// # Safety
/// `out_json` is NULL or writable; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_records_get_metadata(
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
pub unsafe extern "C" fn agentdb_records_get_timestamps(
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
    handle::free(records, "records")
}
