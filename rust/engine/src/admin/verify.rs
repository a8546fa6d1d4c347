//! Verification: reads everything the database is made of and reports what is damaged, by kind,
//! store and file, without changing anything; with `repair`, rebuilds what can be rebuilt.
//!
//! What is checked:
//! - every Lance table: each retained version's manifest opens, and every file it names (data,
//!   deletion and index files) is there with its recorded size; the current version passes
//!   Lance's `validate` and every fragment is read whole (a scan of all its columns), so a data
//!   file whose structure is damaged fails. Lance data files carry no checksums of their own, so
//!   each file is also summed against the CRC-32C the table upkeep took after its commit
//!   (`storage::checksums`): a flipped bit inside a column's values, which still decodes, is
//!   caught there (a file committed since the last upkeep has no checksum yet: its size only);
//! - the write-ahead log: every segment's records against their CRC-32C and framing, with the
//!   recovery's own rules (only a torn tail at the very end is not damage);
//! - the saved HNSW indexes (`_agentdb/<name>.hnsw`): checksum and structure, and the Lance
//!   version each was saved at against its table's (one behind, whose changes are not in memory
//!   waiting for the close that saves them, is stale: the next open rebuilds it); index
//!   parameter files; index files of no table;
//! - Lance tags left by a backup that did not finish (they keep a version from cleanup).
//!
//! Repair rebuilds stale or damaged index files (from Lance), removes index files and mirror
//! cache files of no table, and deletes leftover backup tags. Damaged Lance data and log damage
//! cannot be rebuilt: restore them from a backup.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use futures::{FutureExt, TryStreamExt};

use super::backup::{version_files, BACKUP_TAG_PREFIX};
use crate::db::Database;
use crate::error::{Error, Result};
use crate::index::index_file;
use crate::storage::checksums;
use crate::storage::context::INTERNAL_DIR;
use crate::storage::runtime::block_on;
use crate::storage::wal::{scan_segment, SEGMENT_MAGIC};
use crate::util::checksum::fnv1a;

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    /// A version's manifest does not open.
    BadManifest,
    /// A file a version names is not there.
    MissingFile,
    /// A file is there but of another size than its manifest records, its bytes differ from the
    /// checksum taken after its commit, or it does not read.
    DamagedFile,
    /// A fragment of the current version does not read whole (or Lance's validation fails).
    DamagedData,
    /// A log record fails its checksum or framing where acknowledged records may be.
    DamagedWal,
    /// A saved index file fails its checksum or structure.
    DamagedIndex,
    /// A saved index file matches another Lance version than its table's.
    StaleIndex,
    /// An index file (or mirror cache file) of no table.
    OrphanIndex,
    /// A collection's index parameters file does not parse.
    DamagedIndexParams,
    /// A Lance tag of a backup that did not finish.
    LeftoverBackupTag,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 10] = [
        ProblemKind::BadManifest,
        ProblemKind::MissingFile,
        ProblemKind::DamagedFile,
        ProblemKind::DamagedData,
        ProblemKind::DamagedWal,
        ProblemKind::DamagedIndex,
        ProblemKind::StaleIndex,
        ProblemKind::OrphanIndex,
        ProblemKind::DamagedIndexParams,
        ProblemKind::LeftoverBackupTag,
    ];

    /// What the kind means, for people (reports, `--help`, the bindings' tables).
    pub fn describe(self) -> &'static str {
        match self {
            ProblemKind::BadManifest => "a Lance version's manifest does not open",
            ProblemKind::MissingFile => "a file a Lance version names is not on disk (e.g. a missing fragment)",
            ProblemKind::DamagedFile => "a file is of another size than its manifest records, its bytes changed since it was committed (checksum), or it cannot be read",
            ProblemKind::DamagedData => "a fragment of the current version does not read whole",
            ProblemKind::DamagedWal => "a write-ahead log record fails its checksum or framing",
            ProblemKind::DamagedIndex => "a saved index file fails its checksum or structure (repairable)",
            ProblemKind::StaleIndex => "a saved index file matches another Lance version than its table's (repairable)",
            ProblemKind::OrphanIndex => "an index or cache file of no table (repairable)",
            ProblemKind::DamagedIndexParams => "a collection's index parameters file does not parse",
            ProblemKind::LeftoverBackupTag => "a Lance tag of a backup that did not finish (repairable)",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::BadManifest => "bad_manifest",
            ProblemKind::MissingFile => "missing_file",
            ProblemKind::DamagedFile => "damaged_file",
            ProblemKind::DamagedData => "damaged_data",
            ProblemKind::DamagedWal => "damaged_wal",
            ProblemKind::DamagedIndex => "damaged_index",
            ProblemKind::StaleIndex => "stale_index",
            ProblemKind::OrphanIndex => "orphan_index",
            ProblemKind::DamagedIndexParams => "damaged_index_params",
            ProblemKind::LeftoverBackupTag => "leftover_backup_tag",
        }
    }

    /// Whether `repair` can rebuild it.
    pub fn repairable(self) -> bool {
        matches!(self, ProblemKind::DamagedIndex | ProblemKind::StaleIndex | ProblemKind::OrphanIndex | ProblemKind::LeftoverBackupTag)
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The table (collection, or the engine's own table) or `"wal"`.
    pub store: String,
    /// The file, relative to the database directory.
    pub file: String,
    pub detail: String,
    /// Whether `repair` fixed it.
    pub repaired: bool,
}

/// What verification looked at and found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub problems: Vec<Problem>,
    pub tables: u64,
    pub versions: u64,
    pub files: u64,
    pub rows: u64,
    pub wal_segments: u64,
    pub wal_records: u64,
    pub index_files: u64,
}

impl VerifyReport {
    /// No problem left (none found, or every one repaired).
    pub fn is_ok(&self) -> bool {
        self.problems.iter().all(|p| p.repaired)
    }

    fn add(&mut self, kind: ProblemKind, store: &str, file: impl Into<String>, detail: impl Into<String>) {
        self.problems.push(Problem { kind, store: store.to_owned(), file: file.into(), detail: detail.into(), repaired: false });
    }
}

impl Database {
    /// Verifies the database (see the module comment). Without `repair` nothing is changed; with
    /// it (a writable database only), what can be rebuilt is, and marked `repaired`.
    pub fn verify(&self, repair: bool) -> Result<VerifyReport> {
        self.ensure_open()?;
        self.shared().store.ensure_local("verify")?;
        if repair {
            self.shared().store.ensure_writable()?;
        }
        let root = self.path().to_path_buf();
        let mut report = VerifyReport::default();
        let conn = &self.shared().conn;
        let names = block_on(conn.table_names().execute())?;
        let mut versions_now = std::collections::HashMap::new();
        for name in &names {
            // Safe points between tables, versions and files: verify only reads, and each repair
            // is whole on its own.
            crate::util::cancel::check()?;
            let table = match block_on(conn.open_table(name).execute()) {
                Ok(t) => t,
                // Dropped since it was listed.
                Err(_) if !root.join(format!("{name}.lance")).exists() => continue,
                Err(e) => {
                    report.add(ProblemKind::BadManifest, name, format!("{name}.lance/_versions"), crate::error::Error::from(e).message().to_owned());
                    continue;
                }
            };
            report.tables += 1;
            let Some(dataset) = table.dataset() else { continue };
            let ds = block_on(dataset.get())?.clone();
            versions_now.insert(name.clone(), ds.version().version);
            let checked = block_on(std::panic::AssertUnwindSafe(self.verify_table(&root, name, &ds, &mut report, repair)).catch_unwind());
            match checked {
                Ok(r) => r?,
                Err(p) => report.add(ProblemKind::DamagedData, name, format!("{name}.lance"), lancedb_message(panicked(p))),
            }
        }
        verify_wal(&root, &mut report)?;
        self.verify_index_files(&root, &names, &versions_now, &mut report, repair)?;
        Ok(report)
    }

    async fn verify_table(&self, root: &Path, name: &str, ds: &lance::Dataset, report: &mut VerifyReport, repair: bool) -> Result<()> {
        let dir = Path::new(ds.uri().strip_prefix("file://").unwrap_or(ds.uri())).to_path_buf();
        let rel_dir = dir.strip_prefix(root).map(|p| p.display().to_string()).unwrap_or_else(|_| dir.display().to_string());
        // Every retained version: its manifest opens and its files are there.
        let versions = match ds.versions().await {
            Ok(v) => v,
            Err(e) => {
                report.add(ProblemKind::BadManifest, name, format!("{rel_dir}/_versions"), lancedb_message(e));
                Vec::new()
            }
        };
        // The checksums taken when the files were committed: a file whose bytes changed since
        // reads back as other values, which no read below would notice.
        let sums = match checksums::read_ledger(&dir) {
            Ok(s) => s,
            Err(e) => {
                report.add(ProblemKind::DamagedFile, name, format!("{rel_dir}/{}", checksums::LEDGER_FILE), e.message().to_owned());
                Default::default()
            }
        };
        let mut seen: HashSet<String> = HashSet::new();
        for v in &versions {
            crate::util::cancel::check()?;
            report.versions += 1;
            let old = match ds.checkout_version(v.version).await {
                Ok(d) => d,
                Err(e) => {
                    report.add(ProblemKind::BadManifest, name, format!("{rel_dir}/_versions (version {})", v.version), lancedb_message(e));
                    continue;
                }
            };
            let sizes: std::collections::HashMap<String, u64> = old
                .manifest()
                .fragments
                .iter()
                .flat_map(|f| f.files.iter())
                .filter_map(|f| f.file_size_bytes.get().map(|s| (format!("data/{}", f.path), s.get())))
                .collect();
            let files = match version_files(&old).await {
                Ok(f) => f,
                Err(e) => {
                    report.add(ProblemKind::BadManifest, name, format!("{rel_dir}/_versions (version {})", v.version), e.message().to_owned());
                    continue;
                }
            };
            let manifest = files.first().cloned().unwrap_or_default();
            for f in files {
                if !seen.insert(f.clone()) {
                    continue;
                }
                crate::util::cancel::check()?;
                report.files += 1;
                match std::fs::metadata(dir.join(&f)) {
                    Ok(m) => {
                        if let Some(&want) = sizes.get(&f) {
                            if m.len() != want {
                                report.add(ProblemKind::DamagedFile, name, format!("{rel_dir}/{f}"), format!("{} bytes, the manifest of version {} records {want}", m.len(), v.version));
                                continue;
                            }
                        }
                        if let Some(want) = sums.get(&f) {
                            match checksums::sum_file(&dir.join(&f)) {
                                Ok(got) if got == *want => {}
                                Ok(got) => report.add(
                                    ProblemKind::DamagedFile,
                                    name,
                                    format!("{rel_dir}/{f}"),
                                    format!(
                                        "its bytes changed since it was committed (CRC-32C {:08x} over {} bytes, then {:08x} over {})",
                                        got.crc32c, got.size, want.crc32c, want.size
                                    ),
                                ),
                                Err(e) => report.add(ProblemKind::DamagedFile, name, format!("{rel_dir}/{f}"), e.to_string()),
                            }
                        }
                    }
                    // An old version a writer's cleanup removed while this ran (its manifest is
                    // gone too) is not damage: only a file of a version still there is.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound && v.version != ds.version().version && !dir.join(&manifest).exists() => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        report.add(ProblemKind::MissingFile, name, format!("{rel_dir}/{f}"), format!("named by version {}, not on disk", v.version));
                    }
                    Err(e) => report.add(ProblemKind::DamagedFile, name, format!("{rel_dir}/{f}"), e.to_string()),
                }
            }
        }
        // The current version, read whole, fragment by fragment so damage names its file; then
        // Lance's own validation of the manifest (reported when the reads found nothing).
        let before = report.problems.len();
        for f in ds.manifest().fragments.iter() {
            let files: Vec<String> = f.files.iter().map(|d| format!("{rel_dir}/data/{}", d.path)).collect();
            let file = files.join(", ");
            if files.iter().any(|p| report.problems.iter().any(|q| &q.file == p && q.kind == ProblemKind::MissingFile)) {
                continue; // already reported; reading it would only say so again
            }
            let mut scanner = ds.scan();
            scanner.with_fragments(vec![f.clone()]);
            let read = async {
                let mut stream = scanner.try_into_stream().await?;
                let mut rows = 0u64;
                while let Some(b) = stream.try_next().await? {
                    rows += b.num_rows() as u64;
                }
                Ok::<u64, lance::Error>(rows)
            };
            // Lance panics on some damage (a length read from a damaged page): that is a finding.
            let read = async { std::panic::AssertUnwindSafe(read).catch_unwind().await.unwrap_or_else(|p| Err(panicked(p))) };
            match read.await {
                Ok(rows) => {
                    report.rows += rows;
                    let deleted = f.deletion_file.as_ref().and_then(|d| d.num_deleted_rows).unwrap_or(0) as u64;
                    if let Some(physical) = f.physical_rows {
                        if rows + deleted != physical as u64 {
                            report.add(ProblemKind::DamagedData, name, file, format!("read {rows} rows (+{deleted} deleted), the manifest records {physical}"));
                        }
                    }
                }
                Err(e) => report.add(ProblemKind::DamagedData, name, file, lancedb_message(e)),
            }
        }
        if report.problems.len() == before {
            if let Err(e) = ds.validate().await {
                report.add(ProblemKind::DamagedData, name, rel_dir.clone(), lancedb_message(e));
            }
        }
        // Tags of backups that did not finish (one running in this process is not leftover).
        if let Ok(tags) = ds.tags().list().await {
            for tag in tags.keys().filter(|t| t.starts_with(BACKUP_TAG_PREFIX)) {
                if super::backup::tag_may_be_live(tag) {
                    continue;
                }
                report.add(ProblemKind::LeftoverBackupTag, name, format!("{rel_dir}/_refs/tags/{tag}.json"), "keeps its version from cleanup");
                if repair && ds.tags().delete(tag).await.is_ok() {
                    report.problems.last_mut().map(|p| p.repaired = true);
                }
            }
        }
        Ok(())
    }

    fn verify_index_files(
        &self,
        root: &Path,
        tables: &[String],
        versions: &std::collections::HashMap<String, u64>,
        report: &mut VerifyReport,
        repair: bool,
    ) -> Result<()> {
        let internal = root.join(INTERNAL_DIR);
        let entries = match std::fs::read_dir(&internal) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let mut names = BTreeSet::new();
        for e in entries {
            names.insert(e?.file_name().to_string_lossy().into_owned());
        }
        for file in &names {
            let (collection, kind) = if let Some(c) = file.strip_suffix(".hnsw") {
                (c, "graph")
            } else if let Some(c) = file.strip_suffix(".index.json") {
                (c, "params")
            } else if let Some(c) = file.strip_suffix(".vectors.f32") {
                (c, "cache")
            } else {
                continue;
            };
            let rel = format!("{INTERNAL_DIR}/{file}");
            let path = internal.join(file);
            report.index_files += 1;
            if !tables.iter().any(|t| t == collection) {
                report.add(ProblemKind::OrphanIndex, collection, rel, "no table of this name");
                if repair && std::fs::remove_file(&path).is_ok() {
                    report.problems.last_mut().map(|p| p.repaired = true);
                }
                continue;
            }
            match kind {
                "params" => {
                    if let Err(e) = index_file::load_params(&path) {
                        report.add(ProblemKind::DamagedIndexParams, collection, rel, e.message().to_owned());
                    }
                }
                "graph" => {
                    // A collection that does not open (an unusable log record of its stream) is
                    // reported through the log's check; its graph cannot be judged then.
                    let Ok(Some(why)) = self.check_graph(&path, collection, versions.get(collection).copied()) else { continue };
                    report.add(why.0, collection, rel, why.1);
                    if repair {
                        let fixed = index_file::remove_graph(root, collection)
                            .and_then(|_| self.get_collection_any(collection))
                            .and_then(|c| c.rewrite_index());
                        if fixed.is_ok() {
                            report.problems.last_mut().map(|p| p.repaired = true);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// What is wrong with a saved HNSW file, if anything.
    fn check_graph(&self, path: &Path, collection: &str, table_version: Option<u64>) -> Result<Option<(ProblemKind, String)>> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return Ok(Some((ProblemKind::DamagedIndex, format!("it does not read: {e}")))),
        };
        if bytes.len() < 16 + 8 || !index_file::is_readable_magic(&bytes[..8]) {
            return Ok(Some((ProblemKind::DamagedIndex, "not an index file of this format".into())));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        if fnv1a(body).to_le_bytes() != sum {
            return Ok(Some((ProblemKind::DamagedIndex, "its checksum does not match".into())));
        }
        let saved_at = u64::from_le_bytes(bytes[8..16].try_into().unwrap_or_default());
        let Some(current) = table_version else { return Ok(None) };
        if saved_at != current {
            // An open collection whose index changed since it was saved writes it on close: that
            // file is behind by design.
            let open = self.registry().get(collection).cloned();
            if open.is_some_and(|c| c.index_unsaved()) {
                return Ok(None);
            }
            // A read-only opener cannot see a writer's index in memory: say so.
            let writer = if self.is_read_only() { " (if a writer has the database open, it saves the index when it closes)" } else { "" };
            return Ok(Some((ProblemKind::StaleIndex, format!("saved at Lance version {saved_at}, the table is at {current}{writer}"))));
        }
        let c = self.get_collection_any(collection)?;
        let layout = c.layout();
        let Some(crate::index::params::IndexParams::Hnsw(params)) = c.cached_index_params()? else {
            return Ok(Some((ProblemKind::StaleIndex, "the collection has no HNSW index any more".into())));
        };
        let rows = c.count(None)? as usize;
        let expect = index_file::Expected { lance_version: current, dim: layout.dim, metric: layout.metric, params, live_rows: 0..=rows.max(1) * 2 };
        Ok(match index_file::parse(&bytes, &expect, None) {
            Ok(_) => None,
            Err(index_file::Reject::Stale) => Some((ProblemKind::StaleIndex, "of another shape than the collection's index".into())),
            Err(index_file::Reject::Damaged(why)) => Some((ProblemKind::DamagedIndex, why.to_owned())),
        })
    }
}

/// A panic of Lance's while reading damaged files, as an error.
fn panicked(p: Box<dyn std::any::Any + Send>) -> lance::Error {
    let what = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default();
    lance::Error::io(format!("reading it failed inside Lance (a panic): {what}"))
}

fn lancedb_message(e: lance::Error) -> String {
    Error::from(lancedb::Error::from(e)).message().to_owned()
}

/// The log's segments, read with the recovery's rules (see [`crate::storage::wal`]).
fn verify_wal(root: &Path, report: &mut VerifyReport) -> Result<()> {
    let dir = root.join(INTERNAL_DIR).join("wal");
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut starts: Vec<(u64, String)> = Vec::new();
    for e in entries {
        let name = e?.file_name().to_string_lossy().into_owned();
        if let Some(start) = name.strip_suffix(".wal").and_then(|s| s.parse::<u64>().ok()) {
            starts.push((start, name));
        }
    }
    starts.sort();
    let mut prev = 0u64;
    for (i, (_, name)) in starts.iter().enumerate() {
        let rel = format!("{INTERNAL_DIR}/wal/{name}");
        let data = match std::fs::read(dir.join(name)) {
            Ok(d) => d,
            // Trimmed by the writer meanwhile.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                report.add(ProblemKind::DamagedWal, "wal", rel, e.to_string());
                continue;
            }
        };
        report.wal_segments += 1;
        if data.len() < SEGMENT_MAGIC.len() {
            continue; // a segment being created
        }
        match scan_segment(&data, i + 1 == starts.len(), prev) {
            Ok((found, _)) => {
                report.wal_records += found.len() as u64;
                if let Some(last) = found.last() {
                    prev = last.lsn;
                }
            }
            Err((offset, why)) => report.add(ProblemKind::DamagedWal, "wal", rel, format!("at offset {offset}: {why}")),
        }
    }
    Ok(())
}
