//! Opening and closing a database; creating, opening, listing and dropping collections.

use std::ffi::c_char;

use agentdb_engine::{Database, Metric, OpenOptions, SyncMode};

use crate::args::{out_arg, str_arg};
use crate::handle::{self, agentdb_collection, agentdb_db, agentdb_strings};
use crate::objects::{CollectionObj, DbObj, StringsObj, Text};
use crate::status::{agentdb_status, guard, Fail, Res};

/// How a collection compares vectors (an `int32_t`, one of the `AGENTDB_METRIC_*` values).
/// Distances are "smaller is closer": cosine → `1 - cos(a, b)`, l2 → squared Euclidean distance,
/// dot → `1 - a·b`.
#[allow(non_camel_case_types)]
pub type agentdb_metric = i32;
/// Cosine distance, `1 - cos(a, b)`.
pub const AGENTDB_METRIC_COSINE: agentdb_metric = 0;
/// Squared Euclidean distance.
pub const AGENTDB_METRIC_L2: agentdb_metric = 1;
/// Dot-product distance, `1 - a·b`.
pub const AGENTDB_METRIC_DOT: agentdb_metric = 2;

pub(crate) fn metric_from_c(m: agentdb_metric) -> Res<Metric> {
    match m {
        AGENTDB_METRIC_COSINE => Ok(Metric::Cosine),
        AGENTDB_METRIC_L2 => Ok(Metric::L2),
        AGENTDB_METRIC_DOT => Ok(Metric::Dot),
        other => Err(Fail::invalid(format!(
            "unknown metric {other}: expected AGENTDB_METRIC_COSINE (0), AGENTDB_METRIC_L2 (1) or AGENTDB_METRIC_DOT (2)"
        ))),
    }
}

pub(crate) fn metric_to_c(m: Metric) -> agentdb_metric {
    match m {
        Metric::Cosine => AGENTDB_METRIC_COSINE,
        Metric::L2 => AGENTDB_METRIC_L2,
        Metric::Dot => AGENTDB_METRIC_DOT,
    }
}

/// AgentDB's version as a static NUL-terminated string, e.g. `"0.1.0"`. Never NULL; do not free it.
#[no_mangle]
pub extern "C" fn agentdb_version() -> *const c_char {
    const V: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    V.as_ptr().cast()
}

/// Opens the database in directory `path` (NUL-terminated UTF-8), creating the directory if it does
/// not exist, and writes its handle to `*out_db`. Free it with `agentdb_close`.
/// On failure `*out_db` is set to NULL.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `out_db` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_open(path: *const c_char, out_db: *mut *mut agentdb_db) -> agentdb_status {
    guard(|| {
        // SAFETY: `out_db` is NULL or writable (contract of this function).
        let out = unsafe { out_arg(out_db, "out_db") }?;
        *out = std::ptr::null_mut();
        // SAFETY: `path` is NULL or NUL-terminated (contract of this function).
        let path = unsafe { str_arg(path, "path") }?;
        let db = Database::open(path)?;
        *out = handle::new_handle(DbObj { db });
        Ok(())
    })
}

/// When a write counts as durable (an `int32_t`, one of the `AGENTDB_SYNC_*` values; see
/// `agentdb_open_options`).
#[allow(non_camel_case_types)]
pub type agentdb_sync = i32;
/// A write returns after its log record is on disk (`fdatasync`; concurrent writers share one).
/// Survives a process crash and a power loss. The default.
pub const AGENTDB_SYNC_ALWAYS: agentdb_sync = 0;
/// A write returns once its log record is written to the OS; the log is synced every 20 ms.
/// Survives a process crash; a power loss can lose the last ~20 ms of writes.
pub const AGENTDB_SYNC_BATCH: agentdb_sync = 1;
/// A write returns once its log record is written to the OS, which syncs when it likes.
/// Survives a process crash; a power loss can lose recent writes.
pub const AGENTDB_SYNC_OFF: agentdb_sync = 2;

/// How `agentdb_open_with` opens a database. Start from `agentdb_open_options_default()`:
///
/// ```c
/// agentdb_open_options o = agentdb_open_options_default();
/// o.read_only = true;
/// agentdb_open_with("/tmp/db", &o, &db);
/// ```
///
/// Versioned like `agentdb_search_options`: fields are only added at the end, each one's zero
/// value is the default, and `struct_size` says which fields the caller knows.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub struct agentdb_open_options {
    /// `sizeof(agentdb_open_options)`, set by `agentdb_open_options_default()`.
    pub struct_size: u32,
    /// One of `AGENTDB_SYNC_ALWAYS` (0, the default), `AGENTDB_SYNC_BATCH`, `AGENTDB_SYNC_OFF`.
    pub sync: agentdb_sync,
    /// `true`: open for reading only. No lock is taken (readers may open next to the one
    /// writer), the directory must exist, the write-ahead log is not replayed (the reader sees
    /// what the writer has committed to Lance, within about a second of each write, at once after
    /// `agentdb_flush`), and every write fails with `AGENTDB_READ_ONLY`.
    pub read_only: bool,
}

const OPEN_OPTIONS_SIZE: usize = std::mem::size_of::<agentdb_open_options>();

/// The default open options (what `agentdb_open` uses): `sync = AGENTDB_SYNC_ALWAYS`, writable,
/// `struct_size = sizeof(agentdb_open_options)`. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_open_options_default() -> agentdb_open_options {
    agentdb_open_options { struct_size: OPEN_OPTIONS_SIZE as u32, sync: AGENTDB_SYNC_ALWAYS, read_only: false }
}

/// The engine's options from a C `agentdb_open_options` (NULL: the defaults).
///
/// # Safety
/// `p` is NULL or points to a readable `agentdb_open_options` of at least `p->struct_size` bytes.
unsafe fn open_options_arg(p: *const agentdb_open_options) -> Res<OpenOptions> {
    if p.is_null() {
        return Ok(OpenOptions::default());
    }
    if !p.is_aligned() {
        return Err(Fail::invalid("options is not aligned for agentdb_open_options"));
    }
    // SAFETY: `p` is non-NULL and aligned, and the struct starts with `struct_size`, which the
    // caller guarantees readable.
    let size = unsafe { std::ptr::addr_of!((*p).struct_size).read() } as usize;
    if size != OPEN_OPTIONS_SIZE {
        return Err(Fail::invalid(format!(
            "options->struct_size is {size}, not this library's sizeof(agentdb_open_options) \
             ({OPEN_OPTIONS_SIZE} bytes): start from agentdb_open_options_default()"
        )));
    }
    // SAFETY: `p` is non-NULL, aligned and points to a whole `agentdb_open_options` (checked
    // size, caller's contract). The `bool` is read as a byte, so any non-zero value from C is
    // "true" rather than an invalid Rust `bool`.
    let (sync, read_only) = unsafe {
        (std::ptr::addr_of!((*p).sync).read(), std::ptr::addr_of!((*p).read_only).cast::<u8>().read() != 0)
    };
    let sync = match sync {
        AGENTDB_SYNC_ALWAYS => SyncMode::Always,
        AGENTDB_SYNC_BATCH => SyncMode::Batch,
        AGENTDB_SYNC_OFF => SyncMode::Off,
        other => {
            return Err(Fail::invalid(format!(
                "unknown sync mode {other}: expected AGENTDB_SYNC_ALWAYS (0), AGENTDB_SYNC_BATCH (1) or AGENTDB_SYNC_OFF (2)"
            )))
        }
    };
    Ok(OpenOptions { sync, read_only, ..Default::default() })
}

/// Opens the database in directory `path` (NUL-terminated UTF-8) with `options` (NULL: the
/// defaults, which makes this `agentdb_open`) and writes its handle to `*out_db`. Free it with
/// `agentdb_close`. On failure `*out_db` is set to NULL.
///
/// One process writes a database at a time: a writable open while another writer (another
/// process, or another open handle in this one) has it fails with `AGENTDB_DATABASE_LOCKED`.
/// After a crash, the writable open replays the write-ahead log: every write that returned is
/// there. A damaged log (other than a torn last record, which is dropped) is `AGENTDB_STORAGE`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `options` is NULL or points to a readable
/// `agentdb_open_options` of at least `options->struct_size` bytes; `out_db` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_open_with(
    path: *const c_char,
    options: *const agentdb_open_options,
    out_db: *mut *mut agentdb_db,
) -> agentdb_status {
    guard(|| {
        // SAFETY: `out_db` is NULL or writable (contract of this function).
        let out = unsafe { out_arg(out_db, "out_db") }?;
        *out = std::ptr::null_mut();
        // SAFETY: `path` is NULL or NUL-terminated (contract of this function).
        let path = unsafe { str_arg(path, "path") }?;
        // SAFETY: `options` is NULL or readable for its `struct_size` (contract of this function).
        let options = unsafe { open_options_arg(options) }?;
        let db = Database::open_with(path, options)?;
        *out = handle::new_handle(DbObj { db });
        Ok(())
    })
}

/// Writes every buffered write to Lance now (one commit per collection) and trims the
/// write-ahead log. Writes are already durable when their call returns; flushing makes them
/// visible to read-only openers at once. Does nothing on a read-only database.
#[no_mangle]
pub extern "C" fn agentdb_flush(db: *const agentdb_db) -> agentdb_status {
    guard(|| {
        let db = handle::get(db, "db")?;
        db.db.flush()?;
        Ok(())
    })
}

/// Closes a database and frees its handle: buffered writes are flushed to Lance and the writer
/// lock is released. Every collection handle obtained from it fails with `AGENTDB_CLOSED` from
/// then on, but must still be freed with `agentdb_collection_close`. Writes are durable when
/// their call returns, so closing loses nothing (if the final flush fails, they stay in the
/// write-ahead log and are replayed by the next open).
/// `agentdb_close(NULL)` does nothing and returns `AGENTDB_OK`; closing a handle twice returns
/// `AGENTDB_INVALID_HANDLE`.
/// It may be called from an `atexit` handler, after the thread's thread-locals are destroyed (as
/// may every other call): it then runs on a short-lived helper thread while the caller waits, and
/// flushes as usual.
#[no_mangle]
pub extern "C" fn agentdb_close(db: *mut agentdb_db) -> agentdb_status {
    guard(|| {
        if let Some(obj) = handle::take(db, "db")? {
            obj.db.close();
        }
        Ok(())
    })
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
pub unsafe extern "C" fn agentdb_create_collection(
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
pub unsafe extern "C" fn agentdb_get_collection(
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
pub unsafe extern "C" fn agentdb_get_or_create_collection(
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
pub unsafe extern "C" fn agentdb_drop_collection(db: *const agentdb_db, name: *const c_char) -> agentdb_status {
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
pub unsafe extern "C" fn agentdb_list_collections(
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
