//! What one Lance table holds, from its manifest and its directory listing (no data is read):
//! the figures every kind of store's stats start from.

use std::path::Path;

use crate::error::Result;

/// See the module comment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Rows in the table's current version (buffered writes not yet flushed are not here).
    pub rows: u64,
    /// Rows marked deleted but still stored until compaction.
    pub deleted_rows: u64,
    pub fragments: u64,
    /// Fragments small enough for compaction to merge.
    pub small_fragments: u64,
    /// The current Lance version.
    pub version: u64,
    /// Versions kept on disk (manifests under `_versions/`).
    pub versions: u64,
    /// Every file of the table's directory (data, deletions, indexes, manifests).
    pub disk_bytes: u64,
    /// Lance indices on the table (the engine's HNSW graph is not one of them).
    pub lance_indices: u64,
}

impl TableStats {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "rows": self.rows,
            "deleted_rows": self.deleted_rows,
            "fragments": self.fragments,
            "small_fragments": self.small_fragments,
            "version": self.version,
            "versions": self.versions,
            "disk_bytes": self.disk_bytes,
            "lance_indices": self.lance_indices,
        })
    }
}

/// The stats of `table`, whose directory is `root/<name>.lance`.
pub(crate) async fn table_stats(table: &lancedb::Table, root: &Path) -> Result<TableStats> {
    let s = table.stats().await?;
    let version = table.version().await?;
    let (disk_bytes, versions) = dir_usage(&root.join(format!("{}.lance", table.name())));
    Ok(TableStats {
        rows: s.num_rows as u64,
        deleted_rows: s.num_deleted_rows.unwrap_or(0) as u64,
        fragments: s.fragment_stats.num_fragments as u64,
        small_fragments: s.fragment_stats.num_small_fragments as u64,
        version,
        versions,
        disk_bytes,
        lance_indices: s.num_indices as u64,
    })
}

/// The bytes of every file under `dir`, and how many `.manifest` files its `_versions/` holds.
/// A file removed meanwhile (compaction, cleanup) is skipped: the figure is a snapshot.
pub(crate) fn dir_usage(dir: &Path) -> (u64, u64) {
    let mut bytes = 0;
    let mut manifests = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        let in_versions = d.file_name().is_some_and(|n| n == "_versions");
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                bytes += meta.len();
                if in_versions && entry.path().extension().is_some_and(|e| e == "manifest") {
                    manifests += 1;
                }
            }
        }
    }
    (bytes, manifests)
}
