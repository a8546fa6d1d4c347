//! Upkeep of the Lance tables the engine writes (collections, the agent state's tables).
//!
//! Every flush (and every direct write) is a Lance commit: a new data file and a new version. So
//! that a store opened for one request at a time does not pile them up, a writable database looks
//! at each collection it wrote (and at the agent state's tables) when it closes, and the
//! background flusher looks at each collection it flushed: past the thresholds below, the table is
//! compacted and its old versions are removed, with Lance's own compaction and cleanup.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Result;

/// A table is compacted once it has this many fragments of fewer than [`SMALL_FRAGMENT_ROWS`]
/// rows (each flush adds one), or once more than a tenth of its stored rows are deleted ones.
/// So the data files of a table's current version stay below about this many small ones.
pub(crate) const COMPACT_SMALL_FRAGMENTS: usize = 16;
/// A fragment with fewer rows than this counts as small.
pub(crate) const SMALL_FRAGMENT_ROWS: usize = 100_000;
/// A table's replaced versions are removed once at least this many of them are past
/// [`VERSION_GRACE`], and at least a quarter as many as the versions kept (those still in the
/// grace, and the current one). So a table holds at most about 1.25 times the versions committed in
/// the last `VERSION_GRACE`, plus this many. Each cleanup reads every manifest left; the second
/// condition bounds that to 5 manifests per removed version however fast versions come (a cleanup
/// at every close, as before, reread all the versions of the grace window each time, and a
/// session got slower as the window filled).
pub(crate) const PRUNE_VERSIONS: usize = 32;
/// A version is removed only once a newer version has been current for this long, so a
/// read-only reader in another process that started a read on it just before it was replaced has
/// this long to finish that read. (Lance's cleanup also keeps the current version, tagged ones,
/// and files no version refers to that are younger than 7 days.)
pub(crate) const VERSION_GRACE: Duration = Duration::from_secs(10);

/// Looks at a table and, past the thresholds above, compacts it (`compact`) and removes its old
/// versions (`prune`, when allowed), then brings the checksums of its data files up to date
/// ([`super::checksums`]). Returns whether it compacted (the table has a new version). The
/// caller keeps its own writers out meanwhile.
///
/// Looking is cheap and does not grow with the table's history: the fragment list of the current
/// manifest (in memory), and for `prune` one listing of the table's `_versions/` directory, whose
/// file names give the versions and whose write times tell when each became current. No manifest
/// is read unless a cleanup is due.
pub(crate) async fn maintain_table(table: &lancedb::Table, prune: bool) -> Result<bool> {
    let Some(dataset) = table.dataset() else { return Ok(false) };
    let compact = {
        let ds = dataset.get().await?;
        let fragments = &ds.manifest().fragments;
        let small = fragments.iter().filter(|f| f.physical_rows.is_none_or(|r| r < SMALL_FRAGMENT_ROWS)).count();
        let stored: usize = fragments.iter().filter_map(|f| f.physical_rows).sum();
        let deleted: usize =
            fragments.iter().filter_map(|f| f.deletion_file.as_ref().and_then(|d| d.num_deleted_rows)).sum();
        small >= COMPACT_SMALL_FRAGMENTS || (deleted > 0 && deleted * 10 > stored)
    };
    if compact {
        compact_files(table).await?;
    }
    if prune {
        prune_superseded(table, VERSION_GRACE, PRUNE_VERSIONS).await?;
    }
    // The files the current version names, now complete, get their checksums (see checksums).
    let ds = dataset.get().await?;
    super::checksums::seal(&ds)?;
    Ok(compact)
}

/// Index builds and refreshes, and compactions, of all tables are serialised: two searches must
/// not both build the same index (Lance would accept both, the second replacing the first), and
/// an index build that overlaps a compaction of its table fails in Lance with a commit conflict
/// ("CreateIndex preempted by concurrent transaction Rewrite").
pub(crate) static INDEX_MAINTENANCE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Lance's compaction: merges small fragments, drops deleted rows, remaps the indexes.
async fn compact_files(table: &lancedb::Table) -> Result<()> {
    use lancedb::table::{CompactionOptions, OptimizeAction};
    let _guard = INDEX_MAINTENANCE.lock().unwrap_or_else(|p| p.into_inner());
    table.optimize(OptimizeAction::Compact { options: CompactionOptions::default(), remap_options: None }).await?;
    Ok(())
}

/// Removes the versions of a table that were replaced by a newer one at least `grace` ago (and
/// the files only they used), keeping the rest, once at least `batch` of them can go and at least
/// a quarter as many as are kept (see [`PRUNE_VERSIONS`]); `batch` 1 removes every one that can
/// go. A time
/// limit on a version's own age would not do: a version committed long ago may have been current
/// until a moment ago.
pub(crate) async fn prune_superseded(table: &lancedb::Table, grace: Duration, batch: usize) -> Result<()> {
    let Some(dataset) = table.dataset() else { return Ok(()) };
    let before = {
        let ds = dataset.get().await?;
        let local = local_dir(ds.uri());
        let versions = match &local {
            Some(dir) => listed_versions(&dir.join("_versions"))?,
            // On an object store: one listing too (Lance's own `versions()` reads every manifest,
            // a request each), with the objects' last-modified times.
            None => remote_versions(&ds).await?,
        };
        // No grace (no reader to protect) needs no allowance for the file system's clock either;
        // an object store's times come from its own clock, allowed to differ by a little more.
        let slack = match (&local, grace.is_zero()) {
            (_, true) => Duration::ZERO,
            (Some(_), false) => MTIME_SLACK,
            (None, false) => REMOTE_CLOCK_SLACK,
        };
        let cutoff = std::time::SystemTime::now().checked_sub(grace + slack).unwrap_or(std::time::UNIX_EPOCH);
        let Some(anchor) = prune_anchor(&versions, cutoff, batch) else { return Ok(()) };
        // Lance's cleanup removes the versions committed before a time: the anchor's own commit
        // time, from its manifest (the one manifest read here). Every version before the anchor
        // was replaced, by it or an earlier one, before the cutoff.
        ds.checkout_version(anchor).await.map_err(lancedb::Error::from)?.manifest().timestamp()
    };
    table.optimize_prune_before(before, Some(false), Some(false)).await?;
    Ok(())
}

/// File systems stamp modification times from a coarse clock (one scheduler tick, up to 10 ms, on
/// Linux): a manifest's time may be that much before it was written. The cutoff moves back by
/// more than that.
pub(crate) const MTIME_SLACK: Duration = Duration::from_millis(50);

/// How much an object store's clock (its objects' last-modified times) may be ahead of this
/// machine's before a version still in its grace could be taken for one past it.
const REMOTE_CLOCK_SLACK: Duration = Duration::from_secs(2);

/// [`listed_versions`] of a dataset on an object store: one listing of its `_versions/`.
async fn remote_versions(ds: &lance::Dataset) -> Result<Vec<(u64, std::time::SystemTime)>> {
    use futures::TryStreamExt;
    let store = ds.object_store(None).await.map_err(lancedb::Error::from)?;
    let dir = ds.versions_dir();
    let metas: Vec<_> = store.read_dir_all(&dir, None).try_collect().await.map_err(lancedb::Error::from)?;
    Ok(metas
        .into_iter()
        .filter_map(|m| {
            let version = manifest_version(m.location.filename()?)?;
            Some((version, std::time::SystemTime::from(m.last_modified)))
        })
        .collect())
}

/// The directory of a dataset on local disk, from its URI (`None` for other object stores).
fn local_dir(uri: &str) -> Option<PathBuf> {
    let path = match uri.split_once("://") {
        Some(("file", rest)) => rest,
        Some(_) => return None,
        None => uri,
    };
    Some(PathBuf::from(path))
}

/// The versions in a table's `_versions/` directory and when each manifest was written, from the
/// file names (Lance's two naming schemes: `{version}.manifest`, and `{u64::MAX - version:020}`
/// `.manifest`) and their modification times. Other files (detached versions, temporary files) are
/// not versions of the table's history and are skipped; skipping one can only keep versions
/// longer.
pub(crate) fn listed_versions(dir: &Path) -> Result<Vec<(u64, std::time::SystemTime)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(version) = name.to_str().and_then(manifest_version) else { continue };
        let modified = match entry.metadata() {
            Ok(m) => m.modified()?,
            // Removed meanwhile (a cleanup).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        out.push((version, modified));
    }
    Ok(out)
}

/// The version a manifest file name stands for (see [`listed_versions`]).
fn manifest_version(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(".manifest")?;
    if stem.is_empty() || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = stem.parse().ok()?;
    // Lance's V2 scheme pads the inverted version to 20 digits; a V1 name of 20 digits would be a
    // version beyond 10^19.
    Some(if stem.len() == 20 { u64::MAX - n } else { n })
}

/// The version before which a cleanup may remove every version (the newest one that became current
/// before `cutoff`), when at least `batch` versions, and at least a quarter as many as would be
/// kept, are before it (any one when `batch` is 1); otherwise `None`.
fn prune_anchor(versions: &[(u64, std::time::SystemTime)], cutoff: std::time::SystemTime, batch: usize) -> Option<u64> {
    let anchor = versions.iter().filter(|(_, t)| *t <= cutoff).map(|(v, _)| *v).max()?;
    let removable = versions.iter().filter(|(v, _)| *v < anchor).count();
    let kept = versions.len() - removable;
    (removable > 0 && removable >= batch && (batch <= 1 || removable * 4 >= kept)).then_some(anchor)
}

/// Compacts a table now (merges its small fragments, drops deleted rows) and removes the versions
/// replaced more than [`VERSION_GRACE`] ago. The caller keeps its own writers out meanwhile (a
/// collection holds its flush lock; the agent state runs it inside a flush).
pub(crate) async fn compact_table(table: &lancedb::Table) -> Result<()> {
    compact_files(table).await?;
    prune_superseded(table, VERSION_GRACE, 1).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    #[test]
    fn manifest_names_of_both_schemes() {
        assert_eq!(manifest_version("1.manifest"), Some(1));
        assert_eq!(manifest_version("12345.manifest"), Some(12345));
        assert_eq!(manifest_version(&format!("{:020}.manifest", u64::MAX - 7)), Some(7));
        for other in ["d123.manifest", ".manifest", "7.manifest.tmp", "7.txn", "x7.manifest", "-1.manifest", "+1.manifest"] {
            assert_eq!(manifest_version(other), None, "{other}");
        }
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn prune_waits_for_a_batch_at_least_as_large_as_what_stays() {
        // Versions 1..=n, version v written at second v.
        let versions = |n: u64| (1..=n).map(|v| (v, at(v))).collect::<Vec<_>>();
        // Nothing became current before the cutoff, or only the first: nothing to remove.
        assert_eq!(prune_anchor(&versions(100), at(0), 1), None);
        assert_eq!(prune_anchor(&versions(100), at(1), 1), None);
        // Explicit cleanup: everything before the newest version current before the cutoff.
        assert_eq!(prune_anchor(&versions(100), at(50), 1), Some(50));
        // 31 removable: not yet a batch of 32.
        assert_eq!(prune_anchor(&versions(40), at(32), 32), None);
        assert_eq!(prune_anchor(&versions(40), at(33), 32), Some(33));
        // 40 removable, but 200 kept inside the grace: wait until a quarter as many can go.
        assert_eq!(prune_anchor(&versions(240), at(41), 32), None);
        assert_eq!(prune_anchor(&versions(240), at(48), 32), None);
        assert_eq!(prune_anchor(&versions(240), at(49), 32), Some(49));
        // The current version alone is kept.
        assert_eq!(prune_anchor(&versions(100), at(1000), 32), Some(100));
        // Order of the listing does not matter.
        let mut shuffled = versions(100);
        shuffled.reverse();
        assert_eq!(prune_anchor(&shuffled, at(51), 32), Some(51));
        assert_eq!(prune_anchor(&shuffled, at(20), 32), None);
    }
}
