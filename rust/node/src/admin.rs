//! Backup, restore and verify: the binding of the engine's `admin` module (as
//! `rust/python/src/admin.rs` and `rust/capi/src/admin.rs`). Every call runs off the event loop.

use std::collections::HashMap;

use agentdb_engine::{BackupPoint as EnginePoint, ErrorKind, ProblemKind, Result, VerifyReport as EngineReport};
use napi_derive::napi;

use crate::conversion::non_negative;
use crate::database::Database;
use crate::errors::invalid;
use crate::task::{self, Promise};

/// Counts cross as JS numbers: exact up to 2^53, far past any file count or byte size here.
fn num(v: u64) -> f64 {
    v as f64
}

/// One point of a backup directory.
#[napi(object)]
pub struct BackupPoint {
    /// 1, 2, 3… in the order taken: what `restore(…, { at })` names.
    pub seq: f64,
    /// When the backup began (its consistency point), microseconds since the epoch.
    pub time_micros: f64,
    pub incremental: bool,
    /// Each table's Lance version in the point.
    pub tables: HashMap<String, f64>,
    /// Files the point names (shared with earlier points or copied by it).
    pub files: f64,
    /// Bytes of every file of the point (what a restore writes).
    pub total_bytes: f64,
    /// What this point copied (the rest it shares with earlier points).
    pub copied_files: f64,
    pub copied_bytes: f64,
}

fn point_out(p: &EnginePoint) -> BackupPoint {
    BackupPoint {
        seq: num(p.seq),
        time_micros: p.time_micros as f64,
        incremental: p.incremental,
        tables: p.tables.iter().map(|(k, v)| (k.clone(), num(*v))).collect(),
        files: num(p.files.len() as u64),
        total_bytes: num(p.total_bytes()),
        copied_files: num(p.copied_files),
        copied_bytes: num(p.copied_bytes),
    }
}

/// What `pruneBackups` removed.
#[napi(object)]
pub struct PruneReport {
    /// The sequence numbers of the points removed, oldest first.
    pub removed_points: Vec<f64>,
    /// Copied files no remaining point names, deleted.
    pub removed_files: f64,
    pub freed_bytes: f64,
}

/// One problem `verify` found.
#[napi(object)]
pub struct Problem {
    /// One of `problemKinds()`'s keys ("damaged_file", "missing_file", …).
    pub kind: String,
    /// The table (collection, or the engine's own table) or "wal".
    pub store: String,
    /// The file, relative to the database directory.
    pub file: String,
    pub detail: String,
    /// Whether `verify({ repair: true })` can rebuild it.
    pub repairable: bool,
    /// Whether this run repaired it.
    pub repaired: bool,
}

/// What `verify` checked and found.
#[napi(object)]
pub struct VerifyReport {
    pub problems: Vec<Problem>,
    pub tables: f64,
    pub versions: f64,
    pub files: f64,
    pub rows: f64,
    pub wal_segments: f64,
    pub wal_records: f64,
    pub index_files: f64,
}

fn report_out(r: &EngineReport) -> VerifyReport {
    VerifyReport {
        problems: r
            .problems
            .iter()
            .map(|p| Problem {
                kind: p.kind.as_str().to_owned(),
                store: p.store.clone(),
                file: p.file.clone(),
                detail: p.detail.clone(),
                repairable: p.kind.repairable(),
                repaired: p.repaired,
            })
            .collect(),
        tables: num(r.tables),
        versions: num(r.versions),
        files: num(r.files),
        rows: num(r.rows),
        wal_segments: num(r.wal_segments),
        wal_records: num(r.wal_records),
        index_files: num(r.index_files),
    }
}

/// A damaged file of a backup point: its stored path and what is wrong.
#[napi(object)]
pub struct BackupFileProblem {
    pub file: String,
    pub detail: String,
}

#[napi(object)]
pub struct BackupOptions {
    /// Copy only the files earlier points of `dest` do not have (default false).
    pub incremental: Option<bool>,
}

#[napi(object)]
pub struct VerifyOptions {
    /// Rebuild what can be rebuilt (indexes, mirrors); default false.
    pub repair: Option<bool>,
}

#[napi(object)]
pub struct RestoreOptions {
    /// The point to restore (its `seq`); the latest when left out.
    pub at: Option<f64>,
}

/// A point number: a whole number, 1 or more (`None`: the latest).
fn point_arg(at: Option<f64>) -> Result<Option<u64>> {
    match at {
        None => Ok(None),
        Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= 2f64.powi(53) => Ok(Some(n as u64)),
        Some(n) => Err(invalid(ErrorKind::InvalidArgument, format!("at must be a backup point number (1 or more), got {n}"))),
    }
}

#[napi]
impl Database {
    /// Backs the database up into directory `dest` as a new point (a consistent copy taken
    /// while writes go on).
    #[napi(strict, ts_return_type = "Promise<BackupPoint>")]
    pub fn backup(&self, dest: String, opts: Option<BackupOptions>) -> Promise<BackupPoint> {
        let db = self.inner.clone();
        let incremental = opts.and_then(|o| o.incremental).unwrap_or(false);
        task::run(move || Ok(point_out(&db.backup(&dest, incremental)?)))
    }

    /// Checks every table's files, versions and indexes and the log; with `repair`, rebuilds
    /// what can be rebuilt. A problem is reported, not thrown.
    #[napi(strict, ts_return_type = "Promise<VerifyReport>")]
    pub fn verify(&self, opts: Option<VerifyOptions>) -> Promise<VerifyReport> {
        let db = self.inner.clone();
        let repair = opts.and_then(|o| o.repair).unwrap_or(false);
        task::run(move || Ok(report_out(&db.verify(repair)?)))
    }
}

/// Restores a point of the backup directory `src` (the latest unless `at`) into the new
/// directory `path`.
#[napi(strict, ts_return_type = "Promise<BackupPoint>")]
pub fn restore(src: String, path: String, opts: Option<RestoreOptions>) -> Promise<BackupPoint> {
    task::with(point_arg(opts.and_then(|o| o.at)), move |at| Ok(point_out(&agentdb_engine::restore(&src, &path, at)?)))
}

/// The points of the backup directory `src`, oldest first.
#[napi(strict, ts_return_type = "Promise<BackupPoint[]>")]
pub fn list_backups(src: String) -> Promise<Vec<BackupPoint>> {
    task::run(move || Ok(agentdb_engine::list_backups(&src)?.iter().map(point_out).collect()))
}

/// Keeps the newest `keep` points of the backup directory `dest`; removes the older ones and
/// the files only they named.
#[napi(strict, ts_return_type = "Promise<PruneReport>")]
pub fn prune_backups(dest: String, keep: f64) -> Promise<PruneReport> {
    task::with(non_negative("keep", keep), move |keep| {
        let r = agentdb_engine::prune_backups(&dest, keep)?;
        Ok(PruneReport {
            removed_points: r.removed_points.into_iter().map(num).collect(),
            removed_files: num(r.removed_files),
            freed_bytes: num(r.freed_bytes),
        })
    })
}

/// The files of point `at` (the latest when left out) of the backup `src` that fail their
/// recorded size or SHA-256; empty when the point is intact.
#[napi(strict, ts_return_type = "Promise<BackupFileProblem[]>")]
pub fn verify_backup(src: String, at: Option<f64>) -> Promise<Vec<BackupFileProblem>> {
    task::with(point_arg(at), move |at| {
        Ok(agentdb_engine::verify_backup(&src, at)?.into_iter().map(|(file, detail)| BackupFileProblem { file, detail }).collect())
    })
}

/// What each problem kind of `verify` means, by kind.
#[napi]
pub fn problem_kinds() -> HashMap<String, String> {
    ProblemKind::ALL.iter().map(|k| (k.as_str().to_owned(), k.describe().to_owned())).collect()
}
