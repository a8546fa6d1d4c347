//! The collection object (`agentdb_collection`): create, open, drop and list collections of a
//! database; the handle's name, dimension and metric; writing, reading, deleting and counting
//! records. Search is `collection_search.rs`, the vector index `collection_index.rs`.

use std::ffi::c_char;

use agentdb_engine::{Collection, Database, Records, Vectors};

use crate::args::{
    batch, batch_vectors, filter_arg, id_array, metadata_arg, opt_ids, opt_str_arg, opt_str_array, out_arg, page_arg,
    str_arg, str_array, write_text,
};
use crate::database::{agentdb_metric, metric_from_c, metric_to_c};
use crate::handle::{self, agentdb_collection, agentdb_db, agentdb_records, agentdb_strings};
use crate::records::RecordsObj;
use crate::status::{agentdb_status, guard, Fail, Res};
use crate::strings::StringsObj;
use crate::text::Text;

pub(crate) struct CollectionObj {
    pub collection: Collection,
    pub name: Text,
}

impl CollectionObj {
    pub(crate) fn new(collection: Collection) -> CollectionObj {
        let name = Text::new(collection.name());
        CollectionObj { collection, name }
    }
}

/// Shared body of the three calls that hand out a collection handle.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out` is NULL or writable.
unsafe fn collection_call(
    db: *const agentdb_db,
    name: *const c_char,
    out: *mut *mut agentdb_collection,
    open: impl FnOnce(&Database, &str) -> Res<agentdb_engine::Collection>,
) -> agentdb_status {
    guard(|| {
        // SAFETY: `out` is NULL or writable (contract of this function).
        let out = unsafe { out_arg(out, "out_collection") }?;
        *out = std::ptr::null_mut();
        let db = handle::get(db, "db")?;
        // SAFETY: `name` is NULL or NUL-terminated (contract of this function).
        let name = unsafe { str_arg(name, "name") }?;
        let collection = open(&db.db, name)?;
        *out = handle::new_handle(CollectionObj::new(collection));
        Ok(())
    })
}

/// Creates an empty collection `name` of `dim`-dimensional vectors compared by `metric`, and writes
/// a handle to it to `*out_collection` (free it with `agentdb_collection_close`).
/// Names are 1–128 ASCII letters, digits, `_` and `-`, not starting with `-`.
/// Fails with `AGENTDB_COLLECTION_EXISTS` if it exists. On failure `*out_collection` is NULL.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string; `out_collection` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_create(
    db: *const agentdb_db,
    name: *const c_char,
    dim: usize,
    metric: agentdb_metric,
    out_collection: *mut *mut agentdb_collection,
) -> agentdb_status {
    // SAFETY: same contract as this function.
    unsafe {
        collection_call(db, name, out_collection, |db, name| {
            Ok(db.create_collection(name, dim, metric_from_c(metric)?)?)
        })
    }
}

/// Opens the existing collection `name` and writes a handle to it to `*out_collection` (free it
/// with `agentdb_collection_close`). Fails with `AGENTDB_COLLECTION_NOT_FOUND` if it does not exist.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string; `out_collection` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_open(
    db: *const agentdb_db,
    name: *const c_char,
    out_collection: *mut *mut agentdb_collection,
) -> agentdb_status {
    // SAFETY: same contract as this function.
    unsafe { collection_call(db, name, out_collection, |db, name| Ok(db.get_collection(name)?)) }
}

/// Opens collection `name`, creating it if it does not exist. An existing collection must have the
/// same `dim` and `metric` (else `AGENTDB_INVALID_ARGUMENT`). Free the handle with
/// `agentdb_collection_close`.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string; `out_collection` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_open_or_create(
    db: *const agentdb_db,
    name: *const c_char,
    dim: usize,
    metric: agentdb_metric,
    out_collection: *mut *mut agentdb_collection,
) -> agentdb_status {
    // SAFETY: same contract as this function.
    unsafe {
        collection_call(db, name, out_collection, |db, name| {
            Ok(db.get_or_create_collection(name, dim, metric_from_c(metric)?)?)
        })
    }
}

/// Deletes collection `name` and all its records. Open handles to it fail with `AGENTDB_CLOSED`
/// from then on (and must still be freed).
///
/// # Safety
/// `name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_drop(db: *const agentdb_db, name: *const c_char) -> agentdb_status {
    guard(|| {
        let db = handle::get(db, "db")?;
        // SAFETY: `name` is NULL or NUL-terminated (contract of this function).
        let name = unsafe { str_arg(name, "name") }?;
        db.db.drop_collection(name)?;
        Ok(())
    })
}

/// Writes the names of all collections, sorted, as a new `agentdb_strings` to `*out_names`
/// (read it with `agentdb_strings_count` / `agentdb_strings_get`, free it with
/// `agentdb_strings_free`). On failure `*out_names` is NULL.
///
/// # Safety
/// `out_names` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_list(
    db: *const agentdb_db,
    out_names: *mut *mut agentdb_strings,
) -> agentdb_status {
    guard(|| {
        // SAFETY: `out_names` is NULL or writable (contract of this function).
        let out = unsafe { out_arg(out_names, "out_names") }?;
        *out = std::ptr::null_mut();
        let db = handle::get(db, "db")?;
        let names = db.db.list_collections()?;
        *out = handle::new_handle(StringsObj { items: names.iter().map(|n| Text::new(n)).collect() });
        Ok(())
    })
}

/// Frees a collection handle. The collection and its data stay in the database.
/// `agentdb_collection_close(NULL)` does nothing and returns `AGENTDB_OK`; freeing a handle twice
/// returns `AGENTDB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn agentdb_collection_close(collection: *mut agentdb_collection) -> agentdb_status {
    handle::free(collection, "collection")
}

/// Writes the collection's name (NUL-terminated) to `*out_name` and, if `out_len` is not NULL, its
/// length in bytes to `*out_len`. The string belongs to the handle: valid until
/// `agentdb_collection_close`.
///
/// # Safety
/// `out_name` is NULL or writable; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_name(
    collection: *const agentdb_collection,
    out_name: *mut *const c_char,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let c = handle::get(collection, "collection")?;
        // SAFETY: contract of this function; the text lives inside the registered handle object,
        // which outlives this call until the handle is freed.
        unsafe { write_text(Some(&c.name), out_name, out_len) }
    })
}

/// Writes the collection's vector dimension to `*out_dim`.
///
/// # Safety
/// `out_dim` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_dim(collection: *const agentdb_collection, out_dim: *mut usize) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_dim, "out_dim") }?;
        *out = handle::get(collection, "collection")?.collection.dim();
        Ok(())
    })
}

/// Writes the collection's metric (an `AGENTDB_METRIC_*` value) to `*out_metric`.
///
/// # Safety
/// `out_metric` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_metric(
    collection: *const agentdb_collection,
    out_metric: *mut agentdb_metric,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_metric, "out_metric") }?;
        *out = metric_to_c(handle::get(collection, "collection")?.collection.metric());
        Ok(())
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Add,
    Upsert,
}

/// # Safety
/// As for [`agentdb_collection_add`].
#[allow(clippy::too_many_arguments)]
unsafe fn write(
    mode: Mode,
    collection: *const agentdb_collection,
    ids: *const *const c_char,
    n: usize,
    vectors: *const f32,
    dim: usize,
    documents: *const *const c_char,
    metadata_json: *const c_char,
) -> agentdb_status {
    // SAFETY: same contract as this function.
    guard(|| unsafe {
        with_records(collection, ids, n, vectors, dim, documents, metadata_json, |c, records| match mode {
            Mode::Add => c.add(records),
            Mode::Upsert => c.upsert(records),
        })
    })
}

/// Reads the arguments of a write (as documented at `agentdb_collection_add`) into the engine's
/// records and runs `f` on them.
///
/// # Safety
/// As for `agentdb_collection_add`.
#[allow(clippy::too_many_arguments)]
unsafe fn with_records<T>(
    collection: *const agentdb_collection,
    ids: *const *const c_char,
    n: usize,
    vectors: *const f32,
    dim: usize,
    documents: *const *const c_char,
    metadata_json: *const c_char,
    f: impl FnOnce(&Collection, &Records<'_>) -> agentdb_engine::Result<T>,
) -> Res<T> {
    {
        // The count first, against the arrays given: nothing is read or allocated before.
        batch(n, "records", &[("ids", ids.is_null()), ("vectors", vectors.is_null())])?;
        let c = handle::get(collection, "collection")?;
        // SAFETY: `vectors` is NULL or n × dim floats (contract of agentdb_collection_add).
        let data = unsafe { batch_vectors(vectors, n, dim, "records") }?;
        // SAFETY: `ids` is NULL or n string pointers (contract of agentdb_collection_add).
        let ids = unsafe { id_array(ids, n, "ids") }?;
        // SAFETY: `documents` is NULL or n nullable string pointers (contract of agentdb_collection_add).
        let documents = unsafe { opt_str_array(documents, n, "documents", usize::MAX) }?;
        // SAFETY: `metadata_json` is NULL or NUL-terminated (contract of agentdb_collection_add).
        let metadata = match unsafe { opt_str_arg(metadata_json, "metadata_json") }? {
            Some(json) => Some(metadata_arg(json, n, "records")?),
            None => None,
        };
        let records = Records {
            ids: &ids,
            vectors: Vectors::Flat { data, dim },
            documents: documents.as_deref(),
            metadata: metadata.as_deref(),
        };
        Ok(f(&c.collection, &records)?)
    }
}

/// Writes `n` records as Lance data files of the collection **without committing them**, and
/// writes what `agentdb_collection_commit_staged` needs to commit them (the "part", a
/// NUL-terminated UTF-8 text) as the one string of a new `agentdb_strings` to `*out_part` (read it
/// with `agentdb_strings_get`, free it with `agentdb_strings_free`; NULL on failure). The part
/// may be sent to another process: any number of processes stage parts, on databases opened
/// read-only, and the writer commits them all at once. Nothing is visible before the commit.
/// Arguments and checks as for `agentdb_collection_add`, except that an id already in the
/// collection is found only by the commit, and a metadata key that is not yet a column fails with
/// `AGENTDB_INVALID_METADATA`.
///
/// # Safety
/// As for `agentdb_collection_add`; `out_part` is NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_collection_stage(
    collection: *const agentdb_collection,
    ids: *const *const c_char,
    n: usize,
    vectors: *const f32,
    dim: usize,
    documents: *const *const c_char,
    metadata_json: *const c_char,
    out_part: *mut *mut agentdb_strings,
) -> agentdb_status {
    guard(|| {
        // SAFETY: `out_part` is NULL or writable (contract of this function).
        let out = unsafe { out_arg(out_part, "out_part") }?;
        *out = std::ptr::null_mut();
        // SAFETY: contract of agentdb_collection_add, which this function shares.
        let bytes = unsafe { with_records(collection, ids, n, vectors, dim, documents, metadata_json, |c, r| c.stage(r)) }?;
        // The engine's part is JSON text: valid UTF-8 without NUL bytes.
        let text = String::from_utf8(bytes).map_err(|_| Fail::new(agentdb_status::AGENTDB_INTERNAL, "a staged part is not UTF-8"))?;
        *out = handle::new_handle(StringsObj { items: vec![Text::new(&text)] });
        Ok(())
    })
}

/// Commits `n_parts` parts from `agentdb_collection_stage` (staged in any processes) as one Lance
/// commit: readers see all their records or none. Writes how many records were added to
/// `*out_added` (if not NULL). Fails with `AGENTDB_DUPLICATE_ID` if an id repeats across the parts
/// or already exists, `AGENTDB_INVALID_ARGUMENT` on a text that is not a staged part of this
/// collection, `AGENTDB_READ_ONLY` on a read-only database; then nothing is committed.
///
/// # Safety
/// `parts` is NULL (only with `n_parts` 0) or points to `n_parts` NUL-terminated strings;
/// `out_added` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_commit_staged(
    collection: *const agentdb_collection,
    parts: *const *const c_char,
    n_parts: usize,
    out_added: *mut u64,
) -> agentdb_status {
    guard(|| {
        batch(n_parts, "parts", &[("parts", parts.is_null())])?;
        let c = handle::get(collection, "collection")?;
        // SAFETY: `parts` is NULL or n_parts strings (contract of this function).
        let parts = unsafe { str_array(parts, n_parts, "parts") }?;
        let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
        let added = c.collection.commit_staged(&refs)?;
        if !out_added.is_null() {
            // SAFETY: `out_added` is writable (contract of this function).
            unsafe { *out_added = added };
        }
        Ok(())
    })
}

/// Adds `n` new records. Record `i` has id `ids[i]` (NUL-terminated UTF-8, 1 to
/// `AGENTDB_MAX_ID_LEN` bytes), vector `vectors[i*dim .. i*dim+dim]` (`dim` must be the
/// collection's dimension), document `documents[i]` (`documents` may be NULL, and any entry may be
/// NULL: no document), and metadata `metadata_json`: NULL, or a JSON array of `n` entries (at most
/// `AGENTDB_MAX_JSON_LEN` bytes), each an object (or `null`) whose keys are identifiers and whose
/// values are strings, integers, floats, booleans, lists of strings or datetimes written
/// `{"$datetime": "2024-05-01T12:00:00Z"}`.
///
/// `n` is at most `AGENTDB_MAX_BATCH`, and with `n > 0`, `ids` and `vectors` must not be NULL
/// (`AGENTDB_NULL_POINTER`) and `dim` must not be 0; these are checked before any array is read.
///
/// The batch is validated whole before anything is written: a bad row (wrong dimension, NaN,
/// repeated id, an id the collection already holds → `AGENTDB_DUPLICATE_ID`, bad metadata) rejects
/// the batch, the message names the row, and nothing is written. When the call returns
/// `AGENTDB_OK` the records are on disk. The vectors are read in place, not copied by this layer.
///
/// # Safety
/// `ids` is NULL or points to `n` pointers, each NULL or a NUL-terminated string; `vectors` is
/// NULL or points to `n * dim` floats; `documents` is NULL or points to `n` pointers, each NULL or
/// a NUL-terminated string; `metadata_json` is NULL or a NUL-terminated string. All stay valid and
/// unchanged during the call.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_add(
    collection: *const agentdb_collection,
    ids: *const *const c_char,
    n: usize,
    vectors: *const f32,
    dim: usize,
    documents: *const *const c_char,
    metadata_json: *const c_char,
) -> agentdb_status {
    // SAFETY: same contract as this function.
    unsafe { write(Mode::Add, collection, ids, n, vectors, dim, documents, metadata_json) }
}

/// Like `agentdb_collection_add`, but a record whose id exists replaces the stored one (vector, document and
/// metadata are all replaced; its creation time is kept).
///
/// # Safety
/// As for `agentdb_collection_add`.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_upsert(
    collection: *const agentdb_collection,
    ids: *const *const c_char,
    n: usize,
    vectors: *const f32,
    dim: usize,
    documents: *const *const c_char,
    metadata_json: *const c_char,
) -> agentdb_status {
    // SAFETY: same contract as this function.
    unsafe { write(Mode::Upsert, collection, ids, n, vectors, dim, documents, metadata_json) }
}

/// Reads records into a new `agentdb_records` written to `*out_records` (free it with
/// `agentdb_records_free`; on failure `*out_records` is NULL).
///
/// With `ids` not NULL: the records with those `n_ids` ids (at most `AGENTDB_MAX_BATCH`), in that
/// order; ids not found are left out. With `ids` NULL (then `n_ids` must be 0): all records, in
/// storage order.
/// The filter, if any, further restricts the records: give it as SQL (`filter_sql`, e.g.
/// `"lang = 'en' AND year >= 2020"`) or as a JSON dict (`filter_json`, e.g.
/// `{"year": {"$gte": 2020}}`), not both; NULL for none. At most `limit` records after skipping
/// `offset` (`limit` 0: no limit; `offset` at most `INT64_MAX`).
///
/// # Safety
/// `ids` is NULL or points to `n_ids` pointers, each NULL or a NUL-terminated string;
/// `filter_sql` and `filter_json` are NULL or NUL-terminated; `out_records` is NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_collection_get(
    collection: *const agentdb_collection,
    ids: *const *const c_char,
    n_ids: usize,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    limit: usize,
    offset: usize,
    out_records: *mut *mut agentdb_records,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_records, "out_records") }?;
        *out = std::ptr::null_mut();
        let (limit, offset) = page_arg(limit, offset)?;
        let c = handle::get(collection, "collection")?;
        // SAFETY: contract of this function.
        let ids = unsafe { opt_ids(ids, n_ids) }?;
        // SAFETY: contract of this function.
        let filter = unsafe { filter_arg(filter_sql, filter_json) }?;
        let got = c.collection.get(ids.as_deref(), filter.as_ref(), limit, offset)?;
        *out = handle::new_handle(RecordsObj::new(got));
        Ok(())
    })
}

/// Deletes the records with the given ids and/or matching the filter (both given: the records that
/// satisfy both; at least one must be given — a filter of `"TRUE"` clears the collection). Ids not
/// present are not an error (`n_ids` is at most `AGENTDB_MAX_BATCH`). Writes the number deleted to
/// `*out_deleted` if it is not NULL.
///
/// # Safety
/// As for `agentdb_collection_get`; `out_deleted` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_delete(
    collection: *const agentdb_collection,
    ids: *const *const c_char,
    n_ids: usize,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    out_deleted: *mut u64,
) -> agentdb_status {
    guard(|| {
        let out = if out_deleted.is_null() {
            None
        } else {
            // SAFETY: contract of this function.
            let out = unsafe { out_arg(out_deleted, "out_deleted") }?;
            *out = 0;
            Some(out)
        };
        let c = handle::get(collection, "collection")?;
        // SAFETY: contract of this function.
        let ids = unsafe { opt_ids(ids, n_ids) }?;
        // SAFETY: contract of this function.
        let filter = unsafe { filter_arg(filter_sql, filter_json) }?;
        let n = c.collection.delete(ids.as_deref(), filter.as_ref())?;
        if let Some(out) = out {
            *out = n;
        }
        Ok(())
    })
}

/// Compacts the collection now (buffered writes flushed, small fragments merged, deleted rows
/// dropped) and removes old Lance versions past the retention grace.
#[no_mangle]
pub extern "C" fn agentdb_collection_optimize(collection: *const agentdb_collection) -> agentdb_status {
    guard(|| {
        handle::get(collection, "collection")?.collection.optimize()?;
        Ok(())
    })
}

/// Writes the number of records (matching the filter, if one is given) to `*out_count`.
///
/// # Safety
/// `filter_sql` and `filter_json` are NULL or NUL-terminated; `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_count(
    collection: *const agentdb_collection,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    out_count: *mut u64,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        *out = 0;
        let c = handle::get(collection, "collection")?;
        // SAFETY: contract of this function.
        let filter = unsafe { filter_arg(filter_sql, filter_json) }?;
        *out = c.collection.count(filter.as_ref())?;
        Ok(())
    })
}
