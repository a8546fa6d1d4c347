//! What a database reports about itself for stats and health: its log, its background threads,
//! its open collections and handles. All from memory (locks held for a moment), nothing read
//! from disk but the log's size.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::Database;
use crate::collection::Collection;
use crate::storage::wal::SyncMode;

/// The write-ahead log of a writable database.
#[derive(Debug, Clone, PartialEq)]
pub struct WalStats {
    pub sync_mode: SyncMode,
    /// Bytes in the log not yet trimmed (records not yet in Lance, and flushed ones the next trim
    /// drops).
    pub bytes: u64,
    /// Streams (collections, the agent state) with logged writes not yet flushed to Lance.
    pub unflushed_streams: u64,
    /// How long the unflushed writes may have waited: the time since the last flush that wrote
    /// something (or since the open); 0 when nothing waits.
    pub flush_lag_seconds: f64,
}

impl WalStats {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "sync_mode": self.sync_mode.as_str(),
            "bytes": self.bytes,
            "unflushed_streams": self.unflushed_streams,
            "flush_lag_seconds": self.flush_lag_seconds,
        })
    }
}

impl Database {
    /// The log's figures; `None` when read-only (no log).
    pub(crate) fn wal_stats(&self) -> Option<WalStats> {
        let wal = self.shared.store.wal()?;
        let streams: Vec<String> = self.shared.consumers.lock().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect();
        let unflushed = streams.iter().filter(|s| wal.last_lsn(s) > wal.flushed_lsn(s)).count() as u64;
        let metrics = self.shared.store.metrics();
        let lag = if unflushed == 0 {
            0.0
        } else {
            let last = metrics.last_flush.load(Ordering::Relaxed) as i64;
            let now = crate::util::time::now_micros();
            if last > 0 {
                (now - last).max(0) as f64 / 1e6
            } else {
                metrics.uptime_seconds()
            }
        };
        Some(WalStats { sync_mode: wal.mode(), bytes: wal.segment_bytes(), unflushed_streams: unflushed, flush_lag_seconds: lag })
    }

    /// The background threads (flusher, and the log syncer under `sync="batch"`): how many were
    /// started and how many still run. None on a read-only or closed database.
    pub(crate) fn background_threads(&self) -> (usize, usize) {
        let threads = self.shared.flusher.lock().unwrap_or_else(|p| p.into_inner());
        (threads.len(), threads.iter().filter(|t| !t.is_finished()).count())
    }

    /// The collections open in this database (hidden ones included).
    pub(crate) fn open_collections(&self) -> Vec<Collection> {
        self.registry().values().cloned().collect()
    }

    /// Handles the user holds to this database and its parts (database clones, collections,
    /// memory stores, agent state, RAG stores).
    pub(crate) fn open_handles(&self) -> usize {
        Arc::strong_count(&self.handle)
    }
}
