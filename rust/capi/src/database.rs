//! The database object (`agentdb_db`): open, flush, close; the library version; the metric and
//! sync enums every store uses.

use std::ffi::c_char;

use agentdb_engine::{Database, Metric, OpenOptions, SyncMode};

use crate::args::{field, flag, out_arg, read_opts, str_arg};
use crate::handle::{self, agentdb_db};
use crate::status::{agentdb_status, guard, Fail, Res};

pub(crate) struct DbObj {
    pub db: Database,
}

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
/// not exist, and writes its handle to `*out_db`. Free it with `agentdb_db_close`.
/// On failure `*out_db` is set to NULL.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `out_db` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_db_open(path: *const c_char, out_db: *mut *mut agentdb_db) -> agentdb_status {
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

/// How `agentdb_db_open_with` opens a database. Start from `agentdb_open_options_default()`:
///
/// ```c
/// agentdb_open_options o = agentdb_open_options_default();
/// o.read_only = true;
/// agentdb_db_open_with("/tmp/db", &o, &db);
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
    /// One of `AGENTDB_SYNC_ALWAYS`, `AGENTDB_SYNC_BATCH`, `AGENTDB_SYNC_OFF`.
    pub sync: agentdb_sync,
    /// `true`: open for reading only. No lock is taken (readers may open next to the one
    /// writer), the directory must exist, the write-ahead log is not replayed (the reader sees
    /// what the writer has committed to Lance, within about a second of each write, at once after
    /// `agentdb_db_flush`), and every write fails with `AGENTDB_READ_ONLY`.
    pub read_only: bool,
}

const OPEN_OPTIONS_SIZE: usize = std::mem::size_of::<agentdb_open_options>();

/// The default open options, the engine's `OpenOptions::default()` (what `agentdb_db_open`
/// uses), with `struct_size = sizeof(agentdb_open_options)`. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_open_options_default() -> agentdb_open_options {
    let d = OpenOptions::default();
    agentdb_open_options { struct_size: OPEN_OPTIONS_SIZE as u32, sync: sync_to_c(d.sync), read_only: d.read_only }
}

fn sync_to_c(s: SyncMode) -> agentdb_sync {
    match s {
        SyncMode::Always => AGENTDB_SYNC_ALWAYS,
        SyncMode::Batch => AGENTDB_SYNC_BATCH,
        SyncMode::Off => AGENTDB_SYNC_OFF,
    }
}

fn sync_from_c(s: agentdb_sync) -> Res<SyncMode> {
    match s {
        AGENTDB_SYNC_ALWAYS => Ok(SyncMode::Always),
        AGENTDB_SYNC_BATCH => Ok(SyncMode::Batch),
        AGENTDB_SYNC_OFF => Ok(SyncMode::Off),
        other => Err(Fail::invalid(format!(
            "unknown sync mode {other}: expected AGENTDB_SYNC_ALWAYS (0), AGENTDB_SYNC_BATCH (1) or AGENTDB_SYNC_OFF (2)"
        ))),
    }
}

/// The engine's options from a C `agentdb_open_options` (NULL: the defaults).
///
/// # Safety
/// `p` is NULL or points to a readable `agentdb_open_options`.
unsafe fn open_options_arg(p: *const agentdb_open_options) -> Res<OpenOptions> {
    if p.is_null() {
        return Ok(OpenOptions::default());
    }
    read_opts!(p, agentdb_open_options, "options", "agentdb_open_options_default", |o| {
        Ok(OpenOptions { sync: sync_from_c(field!(o, sync))?, read_only: flag!(o, read_only), ..OpenOptions::default() })
    })
}

/// Opens the database in directory `path` (NUL-terminated UTF-8) with `options` (NULL: the
/// defaults, which makes this `agentdb_db_open`) and writes its handle to `*out_db`. Free it with
/// `agentdb_db_close`. On failure `*out_db` is set to NULL.
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
pub unsafe extern "C" fn agentdb_db_open_with(
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
pub extern "C" fn agentdb_db_flush(db: *const agentdb_db) -> agentdb_status {
    guard(|| {
        let db = handle::get(db, "db")?;
        db.db.flush()?;
        Ok(())
    })
}

/// Compacts every collection open in this database and the engine's own tables now (buffered
/// writes are flushed first; small fragments merged, deleted rows dropped) and removes Lance
/// versions replaced more than the retention grace ago. The database does this in the
/// background past its thresholds; this is for explicit use. `AGENTDB_READ_ONLY` when
/// read-only.
#[no_mangle]
pub extern "C" fn agentdb_db_optimize(db: *const agentdb_db) -> agentdb_status {
    guard(|| {
        handle::get(db, "db")?.db.optimize()?;
        Ok(())
    })
}

/// Closes a database and frees its handle: buffered writes are flushed to Lance and the writer
/// lock is released. Every collection handle obtained from it fails with `AGENTDB_CLOSED` from
/// then on, but must still be freed with `agentdb_collection_close`. Writes are durable when
/// their call returns, so closing loses nothing (if the final flush fails, they stay in the
/// write-ahead log and are replayed by the next open).
/// `agentdb_db_close(NULL)` does nothing and returns `AGENTDB_OK`; closing a handle twice returns
/// `AGENTDB_INVALID_HANDLE`.
/// It may be called from an `atexit` handler, after the thread's thread-locals are destroyed (as
/// may every other call): it then runs on a short-lived helper thread while the caller waits, and
/// flushes as usual.
#[no_mangle]
pub extern "C" fn agentdb_db_close(db: *mut agentdb_db) -> agentdb_status {
    guard(|| {
        if let Some(obj) = handle::take(db, "db")? {
            obj.db.close();
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_defaults_are_the_engines() {
        let o = agentdb_open_options_default();
        // SAFETY: `o` is a whole, live struct.
        assert_eq!(unsafe { open_options_arg(&o) }.unwrap(), OpenOptions::default());
        for s in [SyncMode::Always, SyncMode::Batch, SyncMode::Off] {
            assert_eq!(sync_from_c(sync_to_c(s)).unwrap(), s);
        }
    }
}

/// Where and how `agentdb_db_open_uri` reaches a database on an object store. Start from
/// `agentdb_object_store_options_default()`:
///
/// ```c
/// const char *keys[] = {"endpoint", "region", "allow_http"};
/// const char *values[] = {"http://127.0.0.1:9000", "us-east-1", "true"};
/// agentdb_object_store_options s = agentdb_object_store_options_default();
/// s.keys = keys; s.values = values; s.count = 3;
/// agentdb_db_open_uri("s3://bucket/prefix", NULL, &s, &db);
/// ```
///
/// Versioned like `agentdb_open_options`: each field's zero value is the default.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(non_camel_case_types)]
pub struct agentdb_object_store_options {
    /// `sizeof(agentdb_object_store_options)`, set by `agentdb_object_store_options_default()`.
    pub struct_size: u32,
    /// `count` storage option names and their values (NUL-terminated UTF-8), as Lance names
    /// them: `endpoint`, `region`, `access_key_id`, `secret_access_key`, `session_token`,
    /// `allow_http`, `timeout`, `client_max_retries`, ... What they leave out comes from the
    /// `AWS_*` environment. NULL arrays with `count` 0: none.
    pub keys: *const *const c_char,
    /// The values, one per key.
    pub values: *const *const c_char,
    pub count: usize,
    /// The local directory of the writer's log and index caches; NULL: derived from the URI
    /// under the cache root (`$AGENTDB_CACHE_DIR`, else `$XDG_CACHE_HOME/agentdb`, else
    /// `~/.cache/agentdb`).
    pub wal_dir: *const c_char,
    /// How long the writer's lease lasts without renewal, in milliseconds; 0: 30000 (at least 3000).
    pub lease_ttl_ms: u32,
    /// A read-only opener's most lag behind the writer's commits, in milliseconds; 0: 1000.
    pub read_consistency_interval_ms: u32,
    /// `true`: a read-only opener looks for new commits at every read (no lag, a store round trip
    /// per read); overrides `read_consistency_interval_ms`.
    pub read_latest: bool,
}

const STORE_OPTIONS_SIZE: usize = std::mem::size_of::<agentdb_object_store_options>();

/// The default store options (no storage options: the `AWS_*` environment only), with
/// `struct_size = sizeof(agentdb_object_store_options)`. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_object_store_options_default() -> agentdb_object_store_options {
    agentdb_object_store_options {
        struct_size: STORE_OPTIONS_SIZE as u32,
        keys: std::ptr::null(),
        values: std::ptr::null(),
        count: 0,
        wal_dir: std::ptr::null(),
        lease_ttl_ms: 0,
        read_consistency_interval_ms: 0,
        read_latest: false,
    }
}

/// The engine's store options from a C `agentdb_object_store_options` (NULL: the defaults).
///
/// # Safety
/// `p` is NULL or points to a readable `agentdb_object_store_options` whose arrays hold `count` valid
/// strings and whose `wal_dir` is NULL or NUL-terminated.
unsafe fn store_options_arg(p: *const agentdb_object_store_options) -> Res<agentdb_engine::ObjectStoreOptions> {
    use crate::args::{opt_str_arg, str_array};
    let mut store = agentdb_engine::ObjectStoreOptions::default();
    if p.is_null() {
        return Ok(store);
    }
    read_opts!(p, agentdb_object_store_options, "store", "agentdb_object_store_options_default", |o| {
        let count: usize = field!(o, count);
        let (keys, values, wal_dir) = (field!(o, keys), field!(o, values), field!(o, wal_dir));
        // SAFETY: `keys`/`values` hold `count` strings (contract of this function).
        let keys = unsafe { str_array(keys, count, "store->keys") }?;
        // SAFETY: as above.
        let values = unsafe { str_array(values, count, "store->values") }?;
        store.storage_options = keys.into_iter().zip(values).collect();
        // SAFETY: `wal_dir` is NULL or NUL-terminated (contract of this function).
        store.wal_dir = unsafe { opt_str_arg(wal_dir, "store->wal_dir") }?.map(std::path::PathBuf::from);
        let ms = |v: u32| (v != 0).then(|| std::time::Duration::from_millis(v as u64));
        store.lease_ttl = ms(field!(o, lease_ttl_ms));
        store.read_consistency_interval =
            if flag!(o, read_latest) { Some(std::time::Duration::ZERO) } else { ms(field!(o, read_consistency_interval_ms)) };
        Ok(store)
    })
}

/// Opens the database at `uri` (NUL-terminated UTF-8): a local path (as `agentdb_db_open_with`;
/// `store` is then ignored) or `s3://bucket/prefix` on S3 or an S3-compatible server, with
/// `options` (NULL: the defaults) and `store` (NULL: the defaults), and writes its handle to
/// `*out_db`. Free it with `agentdb_db_close`. On failure `*out_db` is set to NULL.
///
/// On an object store, one writer at a time across machines: a writable open takes the local
/// lock of its `wal_dir`, then a lease object on the store; another writer anywhere makes it fail
/// with `AGENTDB_DATABASE_LOCKED`. Writes are acknowledged once in the local log and reach the
/// store within about a second (at once with `agentdb_db_flush`). A read-only open takes no lock
/// and sees the writer's commits within `read_consistency_interval_ms` (at once after
/// `agentdb_db_refresh`). An unreachable store is `AGENTDB_STORAGE`; a bad URI or option
/// `AGENTDB_INVALID_ARGUMENT`.
///
/// # Safety
/// `uri` is NULL or a NUL-terminated string; `options` is NULL or points to a readable
/// `agentdb_open_options`; `store` is NULL or points to a readable `agentdb_object_store_options`
/// (see `store_options_arg`'s contract); `out_db` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_db_open_uri(
    uri: *const c_char,
    options: *const agentdb_open_options,
    store: *const agentdb_object_store_options,
    out_db: *mut *mut agentdb_db,
) -> agentdb_status {
    guard(|| {
        // SAFETY: `out_db` is NULL or writable (contract of this function).
        let out = unsafe { out_arg(out_db, "out_db") }?;
        *out = std::ptr::null_mut();
        // SAFETY: `uri` is NULL or NUL-terminated (contract of this function).
        let uri = unsafe { str_arg(uri, "uri") }?;
        // SAFETY: `options` is NULL or readable for its `struct_size` (contract of this function).
        let options = unsafe { open_options_arg(options) }?;
        // SAFETY: `store` is NULL or a valid `agentdb_object_store_options` (contract of this function).
        let store = unsafe { store_options_arg(store) }?;
        let db = Database::open_uri(uri, options, &store)?;
        *out = handle::new_handle(DbObj { db });
        Ok(())
    })
}

/// Brings a read-only database to the writer's latest commit now (on an object store its reads
/// otherwise lag by up to `read_consistency_interval_ms`). Does nothing on a writable database.
#[no_mangle]
pub extern "C" fn agentdb_db_refresh(db: *const agentdb_db) -> agentdb_status {
    guard(|| {
        let db = handle::get(db, "db")?;
        db.db.refresh()?;
        Ok(())
    })
}
