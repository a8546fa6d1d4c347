//! Export and import of stores (`agentdb_db_export_store`, `agentdb_db_import_store`): the
//! engine's JSONL and Parquet files (the formats is described in the engine's `transfer` module and the
//! README), each call's outcome handed out as an `agentdb_report` holding
//! `{"kind", "name", "records"}`.

use std::ffi::{c_char, c_void};
use std::path::Path;

use agentdb_engine::{LanceImport, StoreKind};

use crate::args::{opt_str_arg, str_arg, str_array};
use crate::database::{agentdb_metric, metric_from_c};
use crate::handle::{self, agentdb_db, agentdb_report};
use crate::report::new_report;
use crate::status::{agentdb_status, Fail};

/// Which kind of store (an `int32_t`): `AGENTDB_STORE_ANY` lets the engine find the one store of
/// that name.
pub const AGENTDB_STORE_ANY: i32 = 0;
pub const AGENTDB_STORE_COLLECTION: i32 = 1;
pub const AGENTDB_STORE_MEMORY: i32 = 2;
pub const AGENTDB_STORE_RAG: i32 = 3;
/// The database's agent state (exported under the name "state"; JSONL, or Parquet for a `.parquet`
/// path: one row per operation).
pub const AGENTDB_STORE_STATE: i32 = 4;

/// Progress of an export or import: records `done` of `total`, and the `user` pointer given.
/// Called on the calling thread between batches.
#[allow(non_camel_case_types)]
pub type agentdb_progress_fn = Option<unsafe extern "C" fn(done: u64, total: u64, user: *mut c_void)>;

fn kind_arg(kind: i32) -> Result<Option<StoreKind>, Fail> {
    match kind {
        AGENTDB_STORE_ANY => Ok(None),
        AGENTDB_STORE_COLLECTION => Ok(Some(StoreKind::Collection)),
        AGENTDB_STORE_MEMORY => Ok(Some(StoreKind::Memory)),
        AGENTDB_STORE_RAG => Ok(Some(StoreKind::Rag)),
        AGENTDB_STORE_STATE => Ok(Some(StoreKind::State)),
        other => Err(Fail::invalid(format!("kind {other} is not one of AGENTDB_STORE_ANY (0) … AGENTDB_STORE_STATE (4)"))),
    }
}

fn reporter(progress: agentdb_progress_fn, user: *mut c_void) -> impl FnMut(u64, u64) {
    move |done, total| {
        if let Some(f) = progress {
            // SAFETY: the caller gave this callback for exactly this call shape, to be called on
            // this thread during this call, with its own `user` pointer.
            unsafe { f(done, total, user) }
        }
    }
}

/// Writes store `name` (of `kind`, or `AGENTDB_STORE_ANY`) to the file `path` (Parquet if its
/// name ends in `.parquet`, else JSONL; created, or replaced whole once complete), every record as of one Lance version, and a report
/// `{"kind", "name", "records"}` to `*out_report` (NULL on failure). `progress` (may be NULL)
/// is called between batches.
///
/// # Safety
/// `name` and `path` are NUL-terminated; `out_report` is NULL or writable; `progress`, if not
/// NULL, is a function of that type.
#[no_mangle]
pub unsafe extern "C" fn agentdb_db_export_store(
    db: *const agentdb_db,
    name: *const c_char,
    kind: i32,
    path: *const c_char,
    progress: agentdb_progress_fn,
    user: *mut c_void,
    out_report: *mut *mut agentdb_report,
) -> agentdb_status {
    let make = || {
        let db = handle::get(db, "db")?;
        // SAFETY: contract of this function.
        let name = unsafe { str_arg(name, "name") }?;
        // SAFETY: contract of this function.
        let path = unsafe { str_arg(path, "path") }?;
        let kind = kind_arg(kind)?;
        let mut report = reporter(progress, user);
        let r = db.db.export_store(name, kind, Path::new(path), &mut report)?;
        Ok(r.to_json().to_string())
    };
    // SAFETY: contract of this function (`out_report`).
    unsafe { new_report(out_report, make) }
}

/// Creates a store from the export `path` (JSONL or Parquet, told apart by content), named as in the file or `name` (NULL:
/// the file's), and writes a report `{"kind", "name", "records"}` to `*out_report`. The store
/// must not exist (`AGENTDB_COLLECTION_EXISTS`); on any error it is dropped again, so a failed
/// import leaves nothing. A malformed line (row) is `AGENTDB_INVALID_ARGUMENT` naming it.
///
/// # Safety
/// `path` is NUL-terminated; `name` is NULL or NUL-terminated; `out_report` is NULL or
/// writable; `progress`, if not NULL, is a function of that type.
#[no_mangle]
pub unsafe extern "C" fn agentdb_db_import_store(
    db: *const agentdb_db,
    path: *const c_char,
    name: *const c_char,
    progress: agentdb_progress_fn,
    user: *mut c_void,
    out_report: *mut *mut agentdb_report,
) -> agentdb_status {
    let make = || {
        let db = handle::get(db, "db")?;
        // SAFETY: contract of this function.
        let path = unsafe { str_arg(path, "path") }?;
        // SAFETY: contract of this function.
        let name = unsafe { opt_str_arg(name, "name") }?;
        let mut report = reporter(progress, user);
        let r = db.db.import_store(Path::new(path), name, &mut report)?;
        Ok(r.to_json().to_string())
    };
    // SAFETY: contract of this function (`out_report`).
    unsafe { new_report(out_report, make) }
}

/// Creates collection `name` (NULL: the table's name) from table `table` of the LanceDB database
/// at `uri` (a directory), and writes a report `{"kind", "name", "records"}` to `*out_report`:
/// ids from `id_column` (NULL: `"id"`; integers become text), vectors from `vector_column`
/// (NULL: `"vector"`, a fixed-size list of floats), documents from `text_column` (NULL: none),
/// and as metadata keys the `n_metadata_columns` names in `metadata_columns` (NULL: every other
/// column). All or nothing.
///
/// # Safety
/// `uri` and `table` are NUL-terminated; `name`, `id_column`, `vector_column`, `text_column` are
/// NULL or NUL-terminated; `metadata_columns` is NULL or holds `n_metadata_columns`
/// NUL-terminated strings; `out_report` is NULL or writable; `progress`, if not NULL, is a
/// function of that type.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_db_import_lance_table(
    db: *const agentdb_db,
    uri: *const c_char,
    table: *const c_char,
    name: *const c_char,
    id_column: *const c_char,
    vector_column: *const c_char,
    text_column: *const c_char,
    metadata_columns: *const *const c_char,
    n_metadata_columns: usize,
    metric: agentdb_metric,
    progress: agentdb_progress_fn,
    user: *mut c_void,
    out_report: *mut *mut agentdb_report,
) -> agentdb_status {
    let make = || {
        let db = handle::get(db, "db")?;
        // SAFETY: contract of this function.
        let uri = unsafe { str_arg(uri, "uri") }?;
        // SAFETY: contract of this function.
        let table = unsafe { str_arg(table, "table") }?;
        let mut opts = LanceImport::new(uri, table);
        // SAFETY: contract of this function.
        opts.name = unsafe { opt_str_arg(name, "name") }?.map(str::to_owned);
        // SAFETY: contract of this function.
        if let Some(c) = unsafe { opt_str_arg(id_column, "id_column") }? {
            opts.id_column = c.to_owned();
        }
        // SAFETY: contract of this function.
        if let Some(c) = unsafe { opt_str_arg(vector_column, "vector_column") }? {
            opts.vector_column = c.to_owned();
        }
        // SAFETY: contract of this function.
        opts.text_column = unsafe { opt_str_arg(text_column, "text_column") }?.map(str::to_owned);
        if !metadata_columns.is_null() {
            // SAFETY: contract of this function.
            opts.metadata_columns = Some(unsafe { str_array(metadata_columns, n_metadata_columns, "metadata_columns") }?);
        }
        opts.metric = metric_from_c(metric)?;
        let mut report = reporter(progress, user);
        let r = db.db.import_lance_table(&opts, &mut report)?;
        Ok(r.to_json().to_string())
    };
    // SAFETY: contract of this function (`out_report`).
    unsafe { new_report(out_report, make) }
}

/// Creates collection `name` (NULL: the same name) from collection `collection` of the Chroma
/// `PersistentClient` directory `path`, read by the engine from Chroma's own files (its SQLite
/// database and HNSW segment; the directory is not changed, chromadb is not needed), and writes a
/// report `{"kind", "name", "records"}` to `*out_report`: ids, vectors (as Chroma's `get`
/// returns them), documents, metadata and creation times, with the metric of its space (`l2`,
/// `cosine`, `ip` → dot). All or nothing. `AGENTDB_COLLECTION_NOT_FOUND`: no such Chroma
/// collection; `AGENTDB_INVALID_ARGUMENT`: not a Chroma directory, a newer Chroma format, an
/// empty collection; `AGENTDB_STORAGE`: a damaged file.
///
/// # Safety
/// `path` and `collection` are NUL-terminated; `name` is NULL or NUL-terminated; `out_report` is
/// NULL or writable; `progress`, if not NULL, is a function of that type.
#[no_mangle]
pub unsafe extern "C" fn agentdb_db_import_chroma(
    db: *const agentdb_db,
    path: *const c_char,
    collection: *const c_char,
    name: *const c_char,
    progress: agentdb_progress_fn,
    user: *mut c_void,
    out_report: *mut *mut agentdb_report,
) -> agentdb_status {
    let make = || {
        let db = handle::get(db, "db")?;
        // SAFETY: contract of this function.
        let path = unsafe { str_arg(path, "path") }?;
        // SAFETY: contract of this function.
        let collection = unsafe { str_arg(collection, "collection") }?;
        // SAFETY: contract of this function.
        let name = unsafe { opt_str_arg(name, "name") }?;
        let mut report = reporter(progress, user);
        let r = db.db.import_chroma(Path::new(path), collection, name, &mut report)?;
        Ok(r.to_json().to_string())
    };
    // SAFETY: contract of this function (`out_report`).
    unsafe { new_report(out_report, make) }
}
