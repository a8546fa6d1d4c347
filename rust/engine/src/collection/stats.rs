//! A collection's stats (what it holds on disk and in memory, from Lance's manifest and the
//! engine's in-memory structures: no data is read) and the hooks its calls record metrics through.

use std::sync::Arc;

use super::*;
use crate::index::params::IndexKind;
use crate::storage::stats::{table_stats, TableStats};
use crate::util::metrics::Metrics;

/// The state of a collection's vector index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexStats {
    /// `None`: no index (searches scan every row).
    pub kind: Option<IndexKind>,
    /// `none`; for HNSW `in_memory` (the graph is loaded and saved), `unsaved` (loaded, changed
    /// since it was saved: saved again on close, rebuilt if the process dies first) or
    /// `not_loaded` (the collection has not been searched since it was opened); for IVF_PQ
    /// `on_disk`.
    pub state: &'static str,
    /// The graph's memory (HNSW), bytes.
    pub memory_bytes: u64,
    /// Rows the index does not cover yet (IVF_PQ: added since it was trained; searched
    /// exhaustively meanwhile). `None` where the index is kept current by every write (HNSW).
    pub unindexed_rows: Option<u64>,
}

/// See the module comment. Figures are a snapshot; `rows` counts what Lance holds, and writes
/// still in the buffer (at most about a second's worth, see `buffered_writes`) are not in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionStats {
    pub name: String,
    /// `collection`, or `internal` for the engine's own collections (memory stores, RAG).
    pub kind: &'static str,
    pub dim: usize,
    pub metric: Metric,
    pub table: TableStats,
    /// Logged writes (ids) not yet flushed to Lance.
    pub buffered_writes: u64,
    /// Live rows in the vector mirror (exact, buffered writes included); `None` until the first
    /// search loads it.
    pub mirror_rows: Option<u64>,
    /// The mirror's rows, ids and id map in anonymous memory.
    pub mirror_bytes: u64,
    /// The mirror's rows mapped from its cache file (an int8 index), in the page cache.
    pub mirror_mapped_bytes: u64,
    /// The search payload cache (documents and metadata).
    pub payload_cache_bytes: u64,
    pub index: IndexStats,
}

impl CollectionStats {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "kind": self.kind,
            "dim": self.dim,
            "metric": self.metric.as_str(),
            "rows": self.table.rows,
            "deleted_rows": self.table.deleted_rows,
            "fragments": self.table.fragments,
            "small_fragments": self.table.small_fragments,
            "version": self.table.version,
            "versions": self.table.versions,
            "disk_bytes": self.table.disk_bytes,
            "buffered_writes": self.buffered_writes,
            "mirror_rows": self.mirror_rows,
            "mirror_bytes": self.mirror_bytes,
            "mirror_mapped_bytes": self.mirror_mapped_bytes,
            "payload_cache_bytes": self.payload_cache_bytes,
            "index": {
                "kind": self.index.kind.map(|k| k.as_str()),
                "state": self.index.state,
                "memory_bytes": self.index.memory_bytes,
                "unindexed_rows": self.index.unindexed_rows,
            },
        })
    }
}

impl Collection {
    /// See [`CollectionStats`]. Reads Lance's manifest and lists the table's directory; never
    /// flushes, loads the mirror or scans rows.
    pub fn stats(&self) -> Result<CollectionStats> {
        self.ensure_open()?;
        let layout = self.layout();
        let table = block_on(table_stats(&self.inner.table, self.inner.store.path()))?;
        let buffered = {
            let o = self.inner.overlay.lock().unwrap_or_else(|p| p.into_inner());
            o.active.len() + o.flushing.as_ref().map_or(0, |f| f.len())
        };
        let foot = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner()).as_ref().map(|m| m.footprint());
        let payload_cache_bytes = self.inner.payloads.read().unwrap_or_else(|p| p.into_inner()).bytes() as u64;
        let params = self.cached_index_params()?;
        let index = match params.map(|p| p.kind()) {
            None => IndexStats { kind: None, state: "none", memory_bytes: 0, unindexed_rows: None },
            Some(IndexKind::Hnsw) => {
                let state = match foot {
                    Some(f) if f.index_bytes > 0 || f.rows == 0 => if f.index_dirty { "unsaved" } else { "in_memory" },
                    _ => "not_loaded",
                };
                IndexStats { kind: Some(IndexKind::Hnsw), state, memory_bytes: foot.map_or(0, |f| f.index_bytes as u64), unindexed_rows: None }
            }
            Some(IndexKind::IvfPq) => {
                let s = block_on(async { self.inner.table.index_stats(VECTOR_INDEX).await.map_err(Error::from) })?;
                IndexStats {
                    kind: Some(IndexKind::IvfPq),
                    state: "on_disk",
                    memory_bytes: 0,
                    unindexed_rows: s.map(|s| s.num_unindexed_rows as u64),
                }
            }
        };
        Ok(CollectionStats {
            name: self.inner.name.clone(),
            kind: if self.is_internal() { "internal" } else { "collection" },
            dim: layout.dim,
            metric: layout.metric,
            table,
            buffered_writes: buffered as u64,
            mirror_rows: foot.map(|f| f.rows as u64),
            mirror_bytes: foot.map_or(0, |f| f.bytes as u64),
            mirror_mapped_bytes: foot.map_or(0, |f| f.mapped_bytes as u64),
            payload_cache_bytes,
            index,
        })
    }

    /// The database's metrics registry.
    pub(crate) fn metrics(&self) -> &Arc<Metrics> {
        self.inner.store.metrics()
    }

    /// One of the engine's own collections (behind a memory store or RAG), counted apart from
    /// the user's in the metrics.
    pub(crate) fn is_internal(&self) -> bool {
        self.inner.name.starts_with(crate::storage::context::HIDDEN_PREFIX)
    }

    /// Runs `f` as one `op` carrying `items` records, in the metrics.
    #[inline]
    pub(crate) fn timed<T>(&self, op: Op, items: usize, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.metrics().time(op, self.is_internal(), items as u64, f)
    }
}
