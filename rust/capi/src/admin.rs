//! Backup, restore and verify: `agentdb_db_backup`, `agentdb_restore`, `agentdb_db_verify` and the
//! problems it returns (`agentdb_problems`: `agentdb_problems_count` / `agentdb_problems_get` /
//! `agentdb_problems_free`). Strings point into the problems object and stay valid until its free
//! call. What is checked, copied and refused is the engine's (`agentdb_engine::admin`).

use std::ffi::c_char;

use agentdb_engine::{BackupPoint, VerifyReport};

use crate::args::{index, out_arg, str_arg};
use crate::handle::{self, agentdb_db, agentdb_problems};
use crate::status::{agentdb_status, guard, Res};
use crate::text::Text;
use crate::handle::agentdb_report;
use crate::report::new_report;
use agentdb_engine::serde_json;

/// A backup point, as `agentdb_db_backup` and `agentdb_restore` fill it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub struct agentdb_backup_point {
    /// 1, 2, 3… in the order taken: what `agentdb_restore`'s `at` names.
    pub seq: u64,
    /// When the backup began (its consistency point), microseconds since the Unix epoch.
    pub time_micros: i64,
    pub incremental: bool,
    /// The point's files and their bytes (what a restore writes).
    pub files: u64,
    pub total_bytes: u64,
    /// What this point copied itself (the rest it shares with earlier points).
    pub copied_files: u64,
    pub copied_bytes: u64,
}

fn point_to_c(p: &BackupPoint) -> agentdb_backup_point {
    agentdb_backup_point {
        seq: p.seq,
        time_micros: p.time_micros,
        incremental: p.incremental,
        files: p.files.len() as u64,
        total_bytes: p.total_bytes(),
        copied_files: p.copied_files,
        copied_bytes: p.copied_bytes,
    }
}

/// Writes `p` to `out` unless it is NULL.
///
/// # Safety
/// `out` is NULL or writable.
unsafe fn write_point(out: *mut agentdb_backup_point, p: &BackupPoint) -> Res {
    if !out.is_null() {
        // SAFETY: non-NULL and writable by this function's contract.
        *unsafe { out_arg(out, "out_point") }? = point_to_c(p);
    }
    Ok(())
}

/// Backs the database up into directory `dest` (NUL-terminated UTF-8; created if missing) as a new
/// restorable point, while other threads keep writing: every write acknowledged before the call is
/// in the point, and none is half in. With `incremental`, files that earlier points of `dest`
/// already hold are not copied again. Fills `*out_point` (NULL: not wanted).
/// `AGENTDB_INVALID_ARGUMENT` when `dest` is not empty and not a backup directory.
///
/// # Safety
/// `dest` is NULL or a NUL-terminated string; `out_point` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_db_backup(
    db: *const agentdb_db,
    dest: *const c_char,
    incremental: bool,
    out_point: *mut agentdb_backup_point,
) -> agentdb_status {
    guard(|| {
        let db = handle::get(db, "db")?;
        // SAFETY: contract of this function.
        let dest = unsafe { str_arg(dest, "dest") }?;
        let point = db.db.backup(dest, incremental)?;
        // SAFETY: contract of this function.
        unsafe { write_point(out_point, &point) }
    })
}

/// Restores point `at` (0: the latest) of the backup directory `src` into `path`, a directory that
/// must not exist or be empty, checking every file against the SHA-256 its point recorded. Fills
/// `*out_point` (NULL: not wanted). `AGENTDB_STORAGE` when a file is missing or damaged (nothing is
/// left in `path`); `AGENTDB_INVALID_ARGUMENT` when `src` is not a backup, has no point `at`, or
/// `path` is not empty.
///
/// # Safety
/// `src` and `path` are NULL or NUL-terminated strings; `out_point` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_restore(
    src: *const c_char,
    path: *const c_char,
    at: u64,
    out_point: *mut agentdb_backup_point,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let (src, path) = unsafe { (str_arg(src, "src")?, str_arg(path, "path")?) };
        let point = agentdb_engine::restore(src, path, (at != 0).then_some(at))?;
        // SAFETY: contract of this function.
        unsafe { write_point(out_point, &point) }
    })
}

pub(crate) struct ProblemsObj {
    items: Vec<(Text, Text, Text, Text, bool, bool)>,
    report: VerifyReport,
}

/// Verifies the database: every table's manifests and fragments (each fragment of the current
/// version read whole), the write-ahead log's checksums, and the saved index files against their
/// tables' Lance versions. Writes the problems found to `*out_problems` (none: the database is
/// sound); free it with `agentdb_problems_free`. Nothing is changed unless `repair`, which rebuilds
/// what can be rebuilt (index files, leftover backup tags) and marks it repaired;
/// `AGENTDB_READ_ONLY` for `repair` on a read-only database. On failure `*out_problems` is NULL.
///
/// # Safety
/// `out_problems` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_db_verify(db: *const agentdb_db, repair: bool, out_problems: *mut *mut agentdb_problems) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_problems, "out_problems") }?;
        *out = std::ptr::null_mut();
        let db = handle::get(db, "db")?;
        let report = db.db.verify(repair)?;
        let items = report
            .problems
            .iter()
            .map(|p| (Text::new(p.kind.as_str()), Text::new(&p.store), Text::new(&p.file), Text::new(&p.detail), p.kind.repairable(), p.repaired))
            .collect();
        *out = handle::new_handle(ProblemsObj { items, report });
        Ok(())
    })
}

/// Writes the number of problems to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_problems_count(problems: *const agentdb_problems, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(problems, "problems", out_count, |o| o.items.len()) }
}

/// One problem, as `agentdb_problems_get` fills it. The strings point into the problems object and
/// are valid until `agentdb_problems_free`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_problem {
    /// What is wrong: "bad_manifest", "missing_file", "damaged_file", "damaged_data",
    /// "damaged_wal", "damaged_index", "stale_index", "orphan_index", "damaged_index_params" or
    /// "leftover_backup_tag".
    pub kind: *const c_char,
    /// The table (collection or engine table), or "wal".
    pub store: *const c_char,
    /// The file, relative to the database directory.
    pub file: *const c_char,
    pub detail: *const c_char,
    /// Whether repair can rebuild it, and whether it did.
    pub repairable: bool,
    pub repaired: bool,
}

/// Fills `*out` with problem `i`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_problems_get(problems: *const agentdb_problems, i: usize, out: *mut agentdb_problem) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out, "out") }?;
        let obj = handle::get(problems, "problems")?;
        let (kind, store, file, detail, repairable, repaired) = &obj.items[index(i, obj.items.len(), "i")?];
        *out = agentdb_problem {
            kind: kind.ptr(),
            store: store.ptr(),
            file: file.ptr(),
            detail: detail.ptr(),
            repairable: *repairable,
            repaired: *repaired,
        };
        Ok(())
    })
}

/// Writes what the verification looked at: tables, files and rows read (each NULL: not wanted).
///
/// # Safety
/// Each out pointer is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_problems_checked(
    problems: *const agentdb_problems,
    out_tables: *mut u64,
    out_files: *mut u64,
    out_rows: *mut u64,
) -> agentdb_status {
    guard(|| {
        let obj = handle::get(problems, "problems")?;
        let r = &obj.report;
        for (p, v, what) in [(out_tables, r.tables, "out_tables"), (out_files, r.files, "out_files"), (out_rows, r.rows, "out_rows")] {
            if !p.is_null() {
                // SAFETY: non-NULL and writable by this function's contract.
                *unsafe { out_arg(p, what) }? = v;
            }
        }
        Ok(())
    })
}

/// Frees an `agentdb_problems` (NULL: nothing).
#[no_mangle]
pub extern "C" fn agentdb_problems_free(problems: *mut agentdb_problems) -> agentdb_status {
    handle::free(problems, "problems")
}

/// Writes the points of the backup directory `src` as a JSON report to `*out_report`: an array,
/// oldest first, of `{"seq", "time_micros", "incremental", "tables": {table: Lance version},
/// "files", "bytes", "copied_files", "copied_bytes"}` (`files`/`bytes`: what a restore of the
/// point writes). `AGENTDB_INVALID_ARGUMENT` when `src` is not a backup directory.
///
/// # Safety
/// `src` is NULL or a NUL-terminated string; `out_report` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_list_backups(src: *const c_char, out_report: *mut *mut agentdb_report) -> agentdb_status {
    let make = || {
        // SAFETY: contract of this function.
        let src = unsafe { str_arg(src, "src") }?;
        let points = agentdb_engine::list_backups(src)?;
        let items: Vec<serde_json::Value> = points
            .iter()
            .map(|p| {
                serde_json::json!({
                    "seq": p.seq,
                    "time_micros": p.time_micros,
                    "incremental": p.incremental,
                    "tables": p.tables,
                    "files": p.files.len(),
                    "bytes": p.total_bytes(),
                    "copied_files": p.copied_files,
                    "copied_bytes": p.copied_bytes,
                })
            })
            .collect();
        Ok(serde_json::Value::Array(items).to_string())
    };
    // SAFETY: contract of this function (`out_report`).
    unsafe { new_report(out_report, make) }
}

/// The backup retention setting: keeps the newest `keep` points (at least 1) of the backup
/// directory `dest`, removes the older ones and deletes the copied files no remaining point names
/// (files a kept incremental point shares stay), and writes what it removed as a JSON report to
/// `*out_report`: `{"removed_points": [seq, ...], "removed_files", "freed_bytes"}`. Crash-safe:
/// point records go before any file. `AGENTDB_INVALID_ARGUMENT` when `keep` is 0 or `dest` is not
/// a backup directory; `AGENTDB_DATABASE_LOCKED` while a backup or prune writes into `dest`.
///
/// # Safety
/// `dest` is NULL or a NUL-terminated string; `out_report` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_prune_backups(dest: *const c_char, keep: u64, out_report: *mut *mut agentdb_report) -> agentdb_status {
    let make = || {
        // SAFETY: contract of this function.
        let dest = unsafe { str_arg(dest, "dest") }?;
        // A count past usize keeps every point, as any count above the number of points does.
        let report = agentdb_engine::prune_backups(dest, usize::try_from(keep).unwrap_or(usize::MAX))?;
        Ok(serde_json::json!({
            "removed_points": report.removed_points,
            "removed_files": report.removed_files,
            "freed_bytes": report.freed_bytes,
        })
        .to_string())
    };
    // SAFETY: contract of this function (`out_report`).
    unsafe { new_report(out_report, make) }
}

/// Checks every file of point `at` (0: the latest) of the backup directory `src` against the
/// size and SHA-256 its point recorded, changing nothing, and writes the problems as a JSON
/// report to `*out_report`: an array of `{"path", "problem"}`, empty when the point is sound.
///
/// # Safety
/// `src` is NULL or a NUL-terminated string; `out_report` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_verify_backup(src: *const c_char, at: u64, out_report: *mut *mut agentdb_report) -> agentdb_status {
    let make = || {
        // SAFETY: contract of this function.
        let src = unsafe { str_arg(src, "src") }?;
        let bad = agentdb_engine::verify_backup(src, (at != 0).then_some(at))?;
        let items: Vec<serde_json::Value> =
            bad.iter().map(|(path, problem)| serde_json::json!({"path": path, "problem": problem})).collect();
        Ok(serde_json::Value::Array(items).to_string())
    };
    // SAFETY: contract of this function (`out_report`).
    unsafe { new_report(out_report, make) }
}
