//! Online backup and restore.
//!
//! A backup directory (`dest`) holds points, each a complete, restorable copy of the database at
//! one moment:
//! ```text
//! dest/AGENTDB_BACKUP              marks the directory as a backup (format version)
//! dest/points/<seq, 6 digits>.json one per point: time, each table's Lance version, every file
//!                                  (database-relative path, where it is stored, size, SHA-256)
//! dest/files/<seq>/<path>          the files copied by point <seq>
//! dest/LOCK                        held (flock) by the backup writing into the directory
//! ```
//! A point's JSON is written last (atomically), so a backup that fails or is killed leaves no
//! point behind, only files no point names.
//!
//! # Consistency while writers write
//! The backup first flushes every buffered write to Lance and, still holding the flush round (no
//! other flush commits meanwhile), notes each table's current version and tags it in Lance
//! (`agentdb-backup-…`). So every write acknowledged before the backup began is in the versions
//! noted, and no flush after it is half in. The round is then let go and writers carry on while
//! the files are copied: a Lance version's manifest and data files never change once written,
//! and the tag keeps Lance's cleanup (the engine's version pruning, [`PRUNE_VERSIONS`] /
//! [`VERSION_GRACE`]) from removing them until the copy is done and the tag is deleted.
//!
//! Retention: the source keeps a backed-up version only while its backup runs (the tag); after
//! that the point's own copies are what restores it, so no old version need stay in the database.
//! Points stay in `dest` until [`prune_backups`] (`keep` = how many of the newest points stay; the
//! CLI's `backup --keep N`) removes the older ones and the files only they named.
//!
//! The engine's own files are copied too where they cannot be rebuilt cheaply: each collection's
//! index parameters (`_agentdb/<name>.index.json`, read in the flush round, so they say which
//! index each collection had at the point) and its saved HNSW graph (`<name>.hnsw`, which records
//! the Lance version it matches: one saved at another version than the one backed up is rebuilt
//! on the restored database's first search). The write-ahead log is not copied: it
//! holds nothing the flush did not put in Lance.
//!
//! A database opened read-only can be backed up too (e.g. by the CLI next to a running writer):
//! it cannot flush the writer's buffer, so its points hold what the writer had flushed when the
//! backup began (the writer flushes at least every second).
//!
//! # Incremental
//! With `incremental`, a file already in an earlier point of `dest` is not copied again: the new
//! point names the earlier copy. For a Lance file that is decided by name and size (Lance never
//! writes a file twice under one name, so the earlier checksum stands); the engine's own files,
//! which are rewritten in place, are read and compared by SHA-256.
//!
//! [`PRUNE_VERSIONS`]: crate::storage::lance::PRUNE_VERSIONS
//! [`VERSION_GRACE`]: crate::storage::lance::VERSION_GRACE

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use lance::index::DatasetIndexExt;
use serde_json::{json, Value as Json};

use super::{copy_hashed, hash_file, sha256_hex};
use crate::db::Database;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::context::INTERNAL_DIR;
use crate::storage::runtime::block_on;
use crate::util::fs::{sync_dir, write_atomic};
use crate::util::time::now_micros;

const MARKER: &str = "AGENTDB_BACKUP";
const POINTS_DIR: &str = "points";
const FILES_DIR: &str = "files";
const FORMAT: u64 = 1;
const PARAMS_SUFFIX: &str = ".index.json";
const LOCK: &str = "LOCK";
/// The prefix of the Lance tags a running backup pins its versions with. One left behind by a
/// backup that was killed keeps its version from cleanup; `verify` reports it and `--repair`
/// deletes it.
pub const BACKUP_TAG_PREFIX: &str = "agentdb-backup-";

/// One file of a backup point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    /// Relative to the database directory.
    pub path: String,
    /// Relative to the backup directory.
    pub stored: String,
    pub size: u64,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// A restorable point of a backup directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupPoint {
    /// 1, 2, 3... in the order taken: what `restore(at=…)` names.
    pub seq: u64,
    /// When the backup began (its consistency point), microseconds since the epoch.
    pub time_micros: i64,
    pub incremental: bool,
    /// Each table's Lance version in the point.
    pub tables: BTreeMap<String, u64>,
    pub files: Vec<BackupFile>,
    /// What this point copied (the rest it shares with earlier points).
    pub copied_files: u64,
    pub copied_bytes: u64,
}

impl BackupPoint {
    /// The bytes of every file of the point (what a restore writes).
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    fn to_json(&self) -> Json {
        json!({
            "format": FORMAT,
            "seq": self.seq,
            "time": crate::types::value::format_rfc3339_micros(self.time_micros),
            "time_micros": self.time_micros,
            "incremental": self.incremental,
            "tables": self.tables,
            "copied_files": self.copied_files,
            "copied_bytes": self.copied_bytes,
            "files": self.files.iter().map(|f| json!({"path": f.path, "stored": f.stored, "size": f.size, "sha256": f.sha256})).collect::<Vec<_>>(),
        })
    }

    fn from_json(path: &Path, v: &Json) -> Result<BackupPoint> {
        let bad = |what: &str| Error::storage(format!("the backup point {} is damaged: {what}", path.display()));
        if v.get("format").and_then(Json::as_u64) != Some(FORMAT) {
            return Err(bad("unknown format"));
        }
        let u = |k: &str| v.get(k).and_then(Json::as_u64).ok_or_else(|| bad(&format!("no {k}")));
        let mut tables = BTreeMap::new();
        for (k, ver) in v.get("tables").and_then(Json::as_object).ok_or_else(|| bad("no tables"))? {
            tables.insert(k.clone(), ver.as_u64().ok_or_else(|| bad("a table version is not a number"))?);
        }
        let mut files = Vec::new();
        for f in v.get("files").and_then(Json::as_array).ok_or_else(|| bad("no files"))? {
            let s = |k: &str| f.get(k).and_then(Json::as_str).map(str::to_owned).ok_or_else(|| bad(&format!("a file has no {k}")));
            let file = BackupFile {
                path: s("path")?,
                stored: s("stored")?,
                size: f.get("size").and_then(Json::as_u64).ok_or_else(|| bad("a file has no size"))?,
                sha256: s("sha256")?,
            };
            for p in [&file.path, &file.stored] {
                if !safe_relative(p) {
                    return Err(bad(&format!("the file path {p:?} leaves its directory")));
                }
            }
            files.push(file);
        }
        Ok(BackupPoint {
            seq: u("seq")?,
            time_micros: v.get("time_micros").and_then(Json::as_i64).ok_or_else(|| bad("no time_micros"))?,
            incremental: v.get("incremental").and_then(Json::as_bool).unwrap_or(false),
            tables,
            files,
            copied_files: u("copied_files")?,
            copied_bytes: u("copied_bytes")?,
        })
    }
}

/// A path from a backup's JSON is used only if it stays inside its directory.
fn safe_relative(p: &str) -> bool {
    let path = Path::new(p);
    !p.is_empty() && path.components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// One backup at a time per process: their tags and flush rounds would not conflict, but two
/// copies at once only halve each other's speed.
static BACKUP_RUNNING: Mutex<()> = Mutex::new(());

/// Whether a backup runs in this process now (its tags are not leftovers).
pub(crate) fn backup_running() -> bool {
    matches!(BACKUP_RUNNING.try_lock(), Err(std::sync::TryLockError::WouldBlock))
}

/// Whether the process that made a backup tag may still be running it: only a tag whose process
/// is known to be gone is a leftover (on Linux, from `/proc`; elsewhere one older than a day).
pub(crate) fn tag_may_be_live(tag: &str) -> bool {
    let Some((pid, started)) = tag.strip_prefix(BACKUP_TAG_PREFIX).and_then(|r| r.split_once('-')) else { return false };
    let (Ok(pid), Ok(started)) = (pid.parse::<u32>(), started.parse::<i64>()) else { return false };
    if pid == std::process::id() {
        return backup_running();
    }
    if cfg!(target_os = "linux") {
        return Path::new("/proc").join(pid.to_string()).exists();
    }
    now_micros().saturating_sub(started) < 86_400_000_000
}

/// The versions a running backup pinned, untagged when it ends (also on error).
struct Pins {
    tag: String,
    tables: Vec<(String, std::sync::Arc<lance::Dataset>)>,
    /// The collections' index parameter files, read in the flush round: (relative path, bytes).
    params: Vec<(String, Vec<u8>)>,
}

impl Drop for Pins {
    fn drop(&mut self) {
        for (_, ds) in &self.tables {
            // A tag that cannot be deleted only keeps a version longer; verify reports it.
            let _ = block_on(ds.tags().delete(&self.tag));
        }
    }
}

impl Database {
    /// Backs the database up into `dest` (created if missing) as a new restorable point, while
    /// writers keep writing: every write acknowledged before the call is in the point, and no
    /// write is half in (see the module comment). With `incremental`, files already in an
    /// earlier point of `dest` are not copied again. Returns the point.
    pub fn backup(&self, dest: impl AsRef<Path>, incremental: bool) -> Result<BackupPoint> {
        self.ensure_open()?;
        self.shared().store.ensure_local("backup")?;
        let dest = dest.as_ref();
        if absolute(dest)?.starts_with(self.path()) {
            return Err(Error::invalid_argument(format!(
                "the backup destination {} is inside the database directory {}",
                dest.display(),
                self.path().display()
            )));
        }
        let _one = BACKUP_RUNNING.lock().unwrap_or_else(|p| p.into_inner());
        prepare_dest(dest)?;
        let _lock = lock_dest(dest)?;
        let earlier = list_backups(dest)?;
        let seq = earlier.last().map_or(1, |p| p.seq + 1);
        let time_micros = now_micros();
        let mut pins = self.pin_tables(time_micros)?;
        let root = self.path().to_path_buf();

        // What earlier points hold, by database path: (size, checksum) → stored copy.
        let mut known: HashMap<(String, u64, Option<String>), BackupFile> = HashMap::new();
        if incremental {
            for p in &earlier {
                for f in &p.files {
                    if dest.join(&f.stored).metadata().is_ok_and(|m| m.len() == f.size) {
                        known.insert((f.path.clone(), f.size, None), f.clone());
                        known.insert((f.path.clone(), f.size, Some(f.sha256.clone())), f.clone());
                    }
                }
            }
        }
        let mut point = BackupPoint { seq, time_micros, incremental, tables: BTreeMap::new(), files: Vec::new(), copied_files: 0, copied_bytes: 0 };
        let mut sources: Vec<(String, bool)> = Vec::new();
        for (name, ds) in &pins.tables {
            point.tables.insert(name.clone(), ds.version().version);
            let dir = table_dir(&root, ds)?;
            for rel in block_on(version_files(ds))? {
                sources.push((format!("{dir}/{rel}"), true));
            }
        }
        for name in engine_files(&root)?.into_iter().filter(|n| !n.ends_with(PARAMS_SUFFIX)) {
            sources.push((format!("{INTERNAL_DIR}/{name}"), false));
        }
        let mut dirs: HashSet<PathBuf> = HashSet::new();
        // The index parameters as read in the flush round: which collections have which index
        // at the point (a saved graph names its own Lance version, and one of another version is
        // rebuilt on the restored database's first search, so graphs are copied as they are).
        for (rel, bytes) in std::mem::take(&mut pins.params) {
            let sum = sha256_hex(&bytes);
            let reuse = if incremental { known.get(&(rel.clone(), bytes.len() as u64, Some(sum.clone()))).cloned() } else { None };
            let file = match reuse {
                Some(f) => f,
                None => {
                    let stored = format!("{FILES_DIR}/{seq:06}/{rel}");
                    let to = dest.join(&stored);
                    if let Some(d) = to.parent() {
                        std::fs::create_dir_all(d)?;
                        dirs.insert(d.to_path_buf());
                    }
                    write_atomic(&to, &bytes)?;
                    point.copied_files += 1;
                    point.copied_bytes += bytes.len() as u64;
                    BackupFile { path: rel, stored, size: bytes.len() as u64, sha256: sum }
                }
            };
            point.files.push(file);
        }
        for (rel, immutable) in sources {
            // A safe point per file: the point's record is written last, so a cancelled backup
            // leaves no point (its copied files are removed below).
            if let Err(e) = crate::util::cancel::check() {
                let _ = std::fs::remove_dir_all(dest.join(FILES_DIR).join(format!("{seq:06}")));
                return Err(e);
            }
            let src = root.join(&rel);
            let size = match src.metadata() {
                Ok(m) => m.len(),
                // An engine file removed meanwhile (an index dropped) is not part of the point.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !immutable => continue,
                Err(e) => return Err(Error::storage(format!("backup: cannot read {}: {e}", src.display()))),
            };
            // A manifest is named by its version number, which another database backed up into
            // the same directory may share: it is compared by checksum (it is small).
            let by_name = immutable && !rel.contains("/_versions/");
            let reuse = if !incremental {
                None
            } else if by_name {
                known.get(&(rel.clone(), size, None)).cloned()
            } else {
                let (size, sum) = hash_file(&src)?;
                known.get(&(rel.clone(), size, Some(sum))).cloned()
            };
            let file = match reuse {
                Some(f) => f,
                None => {
                    let stored = format!("{FILES_DIR}/{seq:06}/{rel}");
                    let to = dest.join(&stored);
                    let (size, sha256) = match copy_hashed(&src, &to) {
                        Ok(r) => r,
                        Err(e) if !immutable && e.kind() == ErrorKind::Storage && !src.exists() => continue,
                        Err(e) => return Err(e),
                    };
                    if let Some(d) = to.parent() {
                        dirs.insert(d.to_path_buf());
                    }
                    point.copied_files += 1;
                    point.copied_bytes += size;
                    BackupFile { path: rel, stored, size, sha256 }
                }
            };
            point.files.push(file);
        }
        drop(pins);
        for d in &dirs {
            sync_dir(d)?;
        }
        let text = serde_json::to_vec_pretty(&point.to_json()).map_err(|e| Error::internal(format!("backup point JSON: {e}")))?;
        write_atomic(&point_path(dest, seq), &text)?;
        Ok(point)
    }

    /// Flushes every buffered write and, in the same flush round, tags each table's current
    /// version (see the module comment).
    fn pin_tables(&self, started: i64) -> Result<Pins> {
        let shared = self.shared();
        let tag = format!("{BACKUP_TAG_PREFIX}{}-{started}", std::process::id());
        let mut pins = Pins { tag: tag.clone(), tables: Vec::new(), params: Vec::new() };
        let _round = shared.flush_all_holding()?;
        let names = block_on(shared.conn.table_names().execute())?;
        for name in names {
            let table = match block_on(shared.conn.open_table(&name).execute()) {
                Ok(t) => t,
                // Dropped since it was listed (the flush round does not keep drops out).
                Err(_) if !self.path().join(format!("{name}.lance")).exists() => continue,
                Err(e) => return Err(e.into()),
            };
            let dataset = table.dataset().ok_or_else(|| Error::internal("a local table has no dataset"))?;
            let ds = block_on(dataset.get())?.clone();
            let version = ds.version().version;
            block_on(ds.tags().create(&tag, version)).map_err(lancedb::Error::from)?;
            pins.tables.push((name, ds));
        }
        let root = self.path();
        for name in engine_files(root)?.into_iter().filter(|n| n.ends_with(PARAMS_SUFFIX)) {
            match std::fs::read(root.join(INTERNAL_DIR).join(&name)) {
                Ok(bytes) => pins.params.push((format!("{INTERNAL_DIR}/{name}"), bytes)),
                // Dropped meanwhile: not part of the point.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(pins)
    }
}

/// The directory of a table relative to the database directory.
fn table_dir(root: &Path, ds: &lance::Dataset) -> Result<String> {
    let uri = ds.uri();
    let path = uri.strip_prefix("file://").unwrap_or(uri);
    let path = Path::new(path);
    let rel = path.strip_prefix(root).map_err(|_| Error::storage(format!("the table {uri} is not inside the database directory")))?;
    rel.to_str().map(str::to_owned).ok_or_else(|| Error::storage(format!("the table path {uri} is not UTF-8")))
}

/// Every file a Lance version reads, relative to its table's directory: its manifest, its
/// fragments' data and deletion files, and its indexes' files.
pub(crate) async fn version_files(ds: &lance::Dataset) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let manifest = ds.manifest_location().path.filename().map(str::to_owned);
    let manifest = manifest.ok_or_else(|| Error::storage(format!("the manifest of {} has no file name", ds.uri())))?;
    out.push(format!("_versions/{manifest}"));
    for f in ds.manifest().fragments.iter() {
        if !f.overlays.is_empty() {
            return Err(Error::storage(format!("{}: fragment {} has data overlay files, which backup does not know", ds.uri(), f.id)));
        }
        for file in &f.files {
            if file.base_id.is_some() {
                return Err(Error::storage(format!("{}: the data file {} lives outside the table", ds.uri(), file.path)));
            }
            out.push(format!("data/{}", file.path));
        }
        if let Some(d) = &f.deletion_file {
            // Lance's `relative_deletion_file_path` (lance-table, not re-exported by lance).
            out.push(format!("_deletions/{}-{}-{}.{}", f.id, d.read_version, d.id, d.file_type.suffix()));
        }
    }
    let dir = Path::new(ds.uri().strip_prefix("file://").unwrap_or(ds.uri())).to_path_buf();
    for index in ds.load_indices().await.map_err(lancedb::Error::from)?.iter() {
        let idir = format!("_indices/{}", index.uuid);
        for f in files_under(&dir.join(&idir))? {
            out.push(format!("{idir}/{f}"));
        }
    }
    Ok(out)
}

/// The files under `dir`, relative to it (none if it does not exist).
fn files_under(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
            if entry.file_type()?.is_dir() {
                stack.push((entry.path(), rel));
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The engine files a backup carries: index parameters and saved graphs (the log, the lock and
/// the mirror's cache file are not).
fn engine_files(root: &Path) -> Result<Vec<String>> {
    let mut out: Vec<String> = files_under(&root.join(INTERNAL_DIR))?
        .into_iter()
        .filter(|n| !n.contains('/') && (n.ends_with(".index.json") || n.ends_with(".hnsw")))
        .collect();
    out.sort();
    Ok(out)
}

/// `path` made absolute through its nearest existing ancestor (symbolic links resolved), whether
/// or not it exists yet.
fn absolute(path: &Path) -> Result<PathBuf> {
    let path = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir()?.join(path) };
    let mut rest = Vec::new();
    let mut at = path.as_path();
    loop {
        match at.canonicalize() {
            Ok(base) => return Ok(rest.iter().rev().fold(base, |p, c| p.join(c))),
            Err(_) => match (at.parent(), at.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_owned());
                    at = parent;
                }
                _ => return Ok(path),
            },
        }
    }
}

fn prepare_dest(dest: &Path) -> Result<()> {
    let marker = dest.join(MARKER);
    if dest.exists() {
        if !dest.is_dir() {
            return Err(Error::invalid_argument(format!("the backup destination {} is not a directory", dest.display())));
        }
        if marker.exists() {
            return Ok(());
        }
        if std::fs::read_dir(dest)?.next().is_some() {
            return Err(Error::invalid_argument(format!(
                "the backup destination {} is not empty and holds no backup: refusing to write into it",
                dest.display()
            )));
        }
    }
    std::fs::create_dir_all(dest.join(POINTS_DIR))?;
    write_atomic(&marker, format!("{{\"format\": {FORMAT}}}\n").as_bytes())
}

/// Holds the backup directory's `LOCK` (flock) while the returned file is open: one writer at a
/// time per backup directory, across processes (two backups would pick the same point number; a
/// prune beside a backup could delete a file the new point names). Released when the file closes,
/// also when the process dies.
fn lock_dest(dest: &Path) -> Result<std::fs::File> {
    let lock = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(dest.join(LOCK))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::new(
            ErrorKind::DatabaseLocked,
            format!("another backup or prune is writing into {} now; try again when it is done", dest.display()),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::storage(format!("cannot lock {}: {e}", dest.join(LOCK).display()))),
    }
}

/// What [`prune_backups`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// The sequence numbers of the points removed, oldest first.
    pub removed_points: Vec<u64>,
    /// Copied files no remaining point names, deleted.
    pub removed_files: u64,
    pub freed_bytes: u64,
}

/// The backup retention setting: keeps the newest `keep` points of the backup directory `dest`
/// (`keep` ≥ 1) and removes the older ones, then deletes every copied file no remaining point
/// names. A file an older point copied and a kept incremental point shares stays, so every kept
/// point still restores exactly (`restore`/`verify_backup` check each file's SHA-256).
///
/// Crash-safe by order: a point's JSON is removed (and the directory synced) before any file,
/// so no point ever names a missing file; a prune cut short leaves only files no point names,
/// which the next prune deletes. Holds the directory's lock, so it cannot run beside a backup
/// into the same directory (`DatabaseLocked`).
pub fn prune_backups(dest: impl AsRef<Path>, keep: usize) -> Result<PruneReport> {
    let dest = dest.as_ref();
    if keep == 0 {
        return Err(Error::invalid_argument("keep must be at least 1: a backup directory with no point restores nothing"));
    }
    // Listed first only to refuse a directory that is no backup before creating a lock in it;
    // listed again under the lock, as a backup may have added a point meanwhile.
    list_backups(dest)?;
    let _lock = lock_dest(dest)?;
    let points = list_backups(dest)?;
    let mut report = PruneReport::default();
    let cut = points.len().saturating_sub(keep);
    for p in &points[..cut] {
        std::fs::remove_file(point_path(dest, p.seq))?;
        report.removed_points.push(p.seq);
    }
    sync_dir(&dest.join(POINTS_DIR))?;
    let named: HashSet<&str> = points[cut..].iter().flat_map(|p| p.files.iter().map(|f| f.stored.as_str())).collect();
    let files = dest.join(FILES_DIR);
    if files.is_dir() {
        for rel in files_under(&files)? {
            let stored = format!("{FILES_DIR}/{rel}");
            if !named.contains(stored.as_str()) {
                let path = files.join(&rel);
                report.freed_bytes += path.metadata()?.len();
                std::fs::remove_file(&path)?;
                report.removed_files += 1;
            }
        }
        remove_empty_dirs(&files)?;
    }
    Ok(report)
}

fn point_path(dest: &Path, seq: u64) -> PathBuf {
    dest.join(POINTS_DIR).join(format!("{seq:06}.json"))
}

/// Removes the empty directories under `dir` (not `dir` itself), deepest first.
fn remove_empty_dirs(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            remove_empty_dirs(&path)?;
            if std::fs::read_dir(&path)?.next().is_none() {
                std::fs::remove_dir(&path)?;
            }
        }
    }
    Ok(())
}

/// The points of the backup directory `src`, oldest first.
pub fn list_backups(src: impl AsRef<Path>) -> Result<Vec<BackupPoint>> {
    let src = src.as_ref();
    if !src.join(MARKER).exists() {
        return Err(Error::invalid_argument(format!("{} is not an AgentDB backup directory", src.display())));
    }
    let mut points = Vec::new();
    for entry in std::fs::read_dir(src.join(POINTS_DIR))? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read(&path)?;
        let v: Json = serde_json::from_slice(&text).map_err(|e| Error::storage(format!("the backup point {} is damaged: {e}", path.display())))?;
        points.push(BackupPoint::from_json(&path, &v)?);
    }
    points.sort_by_key(|p| p.seq);
    Ok(points)
}

fn choose(src: &Path, at: Option<u64>) -> Result<BackupPoint> {
    let points = list_backups(src)?;
    match at {
        None => points.into_iter().last().ok_or_else(|| Error::invalid_argument(format!("the backup {} holds no point", src.display()))),
        Some(seq) => points.into_iter().find(|p| p.seq == seq).ok_or_else(|| {
            Error::invalid_argument(format!("the backup {} has no point {seq}", src.display()))
        }),
    }
}

/// Restores the latest point of the backup `src` (or point `at`) into `path`, a new database
/// directory (it must not exist or be empty). Every file is checked against its size and
/// SHA-256 as it is copied; a damaged backup is refused with an
/// [`ErrorKind::Storage`] error naming the file, and nothing is left in `path`.
pub fn restore(src: impl AsRef<Path>, path: impl AsRef<Path>, at: Option<u64>) -> Result<BackupPoint> {
    let (src, path) = (src.as_ref(), path.as_ref());
    let point = choose(src, at)?;
    let created = !path.exists();
    if !created {
        if !path.is_dir() {
            return Err(Error::invalid_argument(format!("{} exists and is not a directory", path.display())));
        }
        if std::fs::read_dir(path)?.next().is_some() {
            return Err(Error::invalid_argument(format!("refusing to restore into {}: it is not empty", path.display())));
        }
    }
    std::fs::create_dir_all(path)?;
    let result = (|| {
        let mut dirs: HashSet<PathBuf> = HashSet::new();
        for f in &point.files {
            // Cancelled: removed below like any other failure, nothing is left in `path`.
            crate::util::cancel::check()?;
            let to = path.join(&f.path);
            let (size, sum) = copy_hashed(&src.join(&f.stored), &to).map_err(|e| {
                Error::storage(format!("the backup {} point {} is damaged: {}: {}", src.display(), point.seq, f.stored, e.message()))
            })?;
            if size != f.size || sum != f.sha256 {
                return Err(Error::storage(format!(
                    "the backup {} point {} is damaged: {} has {size} bytes with SHA-256 {sum}, the point records {} bytes with {}",
                    src.display(),
                    point.seq,
                    f.stored,
                    f.size,
                    f.sha256
                )));
            }
            if let Some(d) = to.parent() {
                dirs.insert(d.to_path_buf());
            }
        }
        std::fs::create_dir_all(path.join(INTERNAL_DIR))?;
        for d in &dirs {
            sync_dir(d)?;
        }
        sync_dir(path)
    })();
    if let Err(e) = result {
        // The directory was empty or new: what is in it now is ours.
        if created {
            let _ = std::fs::remove_dir_all(path);
        } else if let Ok(entries) = std::fs::read_dir(path) {
            for entry in entries.flatten() {
                let p = entry.path();
                let _ = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
            }
        }
        return Err(e);
    }
    Ok(point)
}

/// Checks every file of point `at` (the latest when `None`) of the backup `src` against its
/// recorded size and SHA-256, without restoring. Returns the files that do not match (missing,
/// other size, other checksum), each as (stored path, what is wrong).
pub fn verify_backup(src: impl AsRef<Path>, at: Option<u64>) -> Result<Vec<(String, String)>> {
    let src = src.as_ref();
    let point = choose(src, at)?;
    let mut bad = Vec::new();
    for f in &point.files {
        crate::util::cancel::check()?;
        match hash_file(&src.join(&f.stored)) {
            Ok((size, sum)) if size == f.size && sum == f.sha256 => {}
            Ok((size, sum)) => bad.push((f.stored.clone(), format!("{size} bytes with SHA-256 {sum}; recorded {} bytes with {}", f.size, f.sha256))),
            Err(e) => bad.push((f.stored.clone(), e.message().to_owned())),
        }
    }
    Ok(bad)
}
