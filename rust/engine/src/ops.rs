//! Running a database in production: its stats (what every store holds on disk and in memory),
//! its health (can it write, do its background threads run, what failed last) and its metrics in
//! the Prometheus text format. Here, above every service, because the stats name memory stores,
//! RAG stores and the agent state by what they are, which the layers below do not know.
//!
//! Everything here is cheap: Lance manifests, directory listings, in-memory counters. Nothing
//! scans rows, flushes buffers or opens a store that is not open already.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use crate::collection::stats::CollectionStats;
use crate::db::{Database, WalStats};
use crate::error::Result;
use crate::memory::{MemoryHealth, MEMORY_COLLECTION_PREFIX};
use crate::rag::{Rag, RAG_COLLECTION_PREFIX};
use crate::storage::runtime::block_on;
use crate::storage::stats::{table_stats, TableStats};
use crate::util::metrics::{family, label_value, LastError, PREFIX};

/// One Lance table of the database and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreStats {
    /// The name the user knows it by (collection, memory store or RAG store name); the table
    /// name for the agent state's tables and other internal ones.
    pub name: String,
    /// `collection`, `memory`, `rag`, `state` or `internal`.
    pub kind: &'static str,
    /// The Lance table's name (`<table>.lance` in the database directory).
    pub table_name: String,
    pub table: TableStats,
    /// The in-memory figures (buffer, mirror, caches, index) of a collection open in this
    /// process; `None` for a table not open (its on-disk figures are still above).
    pub open: Option<CollectionStats>,
}

impl StoreStats {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "kind": self.kind,
            "table_name": self.table_name,
            "table": self.table.to_json(),
            "open": self.open.as_ref().map(CollectionStats::to_json),
        })
    }

    /// Memory the store takes in this process (mirror, index, payload cache).
    fn memory_bytes(&self) -> u64 {
        self.open.as_ref().map_or(0, |c| c.mirror_bytes + c.index.memory_bytes + c.payload_cache_bytes)
    }
}

/// What [`Database::stats`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct DbStats {
    pub path: String,
    pub read_only: bool,
    /// Every table, sorted by kind then name.
    pub stores: Vec<StoreStats>,
    /// `None` when read-only.
    pub wal: Option<WalStats>,
    pub memories: Vec<MemoryHealth>,
    /// Handles the user holds to the database and its parts.
    pub open_handles: u64,
    pub open_collections: u64,
    /// Sums over `stores`.
    pub rows: u64,
    pub disk_bytes: u64,
    /// Mirror, index and payload cache memory of the open collections.
    pub memory_bytes: u64,
    /// Every file under the database directory, the log and the engine's own files included.
    pub total_disk_bytes: u64,
}

impl DbStats {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "path": self.path,
            "read_only": self.read_only,
            "stores": self.stores.iter().map(StoreStats::to_json).collect::<Vec<_>>(),
            "wal": self.wal.as_ref().map(WalStats::to_json),
            "memories": self.memories.iter().map(MemoryHealth::to_json).collect::<Vec<_>>(),
            "open_handles": self.open_handles,
            "open_collections": self.open_collections,
            "rows": self.rows,
            "disk_bytes": self.disk_bytes,
            "memory_bytes": self.memory_bytes,
            "total_disk_bytes": self.total_disk_bytes,
        })
    }
}

/// What [`Database::health`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// `ok`: open, background threads running, no storage error since the open; `degraded`: open
    /// but a background thread stopped or a storage/internal error happened (see `last_error`);
    /// `closed`.
    pub status: &'static str,
    pub open: bool,
    /// Open for writing (not read-only, not closed).
    pub writable: bool,
    /// `done` (the log was replayed when the database opened), `none` (read-only: no log).
    pub wal_replay: &'static str,
    /// Log records replayed at the open.
    pub replayed_records: u64,
    /// How long the open took (replay included), seconds.
    pub open_seconds: f64,
    /// The background flusher runs (`None` when read-only or closed: there is none).
    pub flusher_alive: Option<bool>,
    /// Seconds since the flusher last finished a round (`None` before its first round).
    pub flusher_heartbeat_age_seconds: Option<f64>,
    /// Every open memory store's background consolidation runs (`None`: no store has one).
    pub consolidation_alive: Option<bool>,
    pub last_error: Option<LastError>,
    pub uptime_seconds: f64,
}

impl Health {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "status": self.status,
            "open": self.open,
            "writable": self.writable,
            "wal_replay": self.wal_replay,
            "replayed_records": self.replayed_records,
            "open_seconds": self.open_seconds,
            "flusher_alive": self.flusher_alive,
            "flusher_heartbeat_age_seconds": self.flusher_heartbeat_age_seconds,
            "consolidation_alive": self.consolidation_alive,
            "last_error": self.last_error.as_ref().map(|e| serde_json::json!({
                "operation": e.operation,
                "kind": e.kind.name(),
                "message": e.message,
                "at_micros": e.at_micros,
            })),
            "uptime_seconds": self.uptime_seconds,
        })
    }
}

/// What [`Rag::stats`] returns: the RAG store's chunk collection.
#[derive(Debug, Clone, PartialEq)]
pub struct RagStats {
    pub name: String,
    /// Chunks in Lance are `chunks.rows` (flushed) plus `chunks.buffered_writes`.
    pub chunks: CollectionStats,
}

impl RagStats {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "name": self.name, "chunks": self.chunks.to_json() })
    }
}

impl Rag {
    /// See [`RagStats`]. Cheap: Lance's manifest and in-memory counts.
    pub fn stats(&self) -> Result<RagStats> {
        Ok(RagStats { name: self.name().to_owned(), chunks: self.collection().stats()? })
    }
}

/// The kind and user-facing name of a table.
fn classify(table: &str) -> (&'static str, String) {
    if let Some(n) = table.strip_prefix(MEMORY_COLLECTION_PREFIX) {
        ("memory", n.to_owned())
    } else if let Some(n) = table.strip_prefix(RAG_COLLECTION_PREFIX) {
        ("rag", n.to_owned())
    } else if crate::state::is_state_table(table) {
        ("state", table.to_owned())
    } else if crate::db::is_hidden(table) {
        ("internal", table.to_owned())
    } else {
        ("collection", table.to_owned())
    }
}

fn kind_order(k: &str) -> usize {
    ["collection", "memory", "rag", "state", "internal"].iter().position(|x| *x == k).unwrap_or(9)
}

impl Database {
    /// What every table of the database holds (rows, fragments, versions, bytes on disk) and,
    /// for the collections open in this process, their buffers, mirrors, caches and indexes;
    /// the log's size and flush lag; open handles. Cheap: no row is read.
    pub fn stats(&self) -> Result<DbStats> {
        self.ensure_open()?;
        let open: std::collections::HashMap<String, crate::collection::Collection> =
            self.open_collections().into_iter().map(|c| (c.name().to_owned(), c)).collect();
        let names = block_on(self.shared().conn.table_names().execute())?;
        let mut stores = Vec::with_capacity(names.len());
        for table_name in names {
            let (kind, name) = classify(&table_name);
            let (table, open_stats) = match open.get(&table_name) {
                Some(c) => {
                    let s = c.stats()?;
                    (s.table.clone(), Some(s))
                }
                None => {
                    // Dropped meanwhile by another handle: not an error, just gone.
                    let t = match block_on(self.shared().conn.open_table(&table_name).execute()) {
                        Ok(t) => t,
                        Err(lancedb::Error::TableNotFound { .. }) => continue,
                        Err(e) => return Err(e.into()),
                    };
                    (block_on(table_stats(&t, self.path()))?, None)
                }
            };
            stores.push(StoreStats { name, kind, table_name, table, open: open_stats });
        }
        stores.sort_by(|a, b| kind_order(a.kind).cmp(&kind_order(b.kind)).then_with(|| a.name.cmp(&b.name)));
        let (total_disk_bytes, _) = crate::storage::stats::dir_usage(self.path());
        Ok(DbStats {
            path: self.uri(),
            read_only: self.is_read_only(),
            rows: stores.iter().map(|s| s.table.rows).sum(),
            disk_bytes: stores.iter().map(|s| s.table.disk_bytes).sum(),
            memory_bytes: stores.iter().map(StoreStats::memory_bytes).sum(),
            stores,
            wal: self.wal_stats(),
            memories: self.memory_health(),
            open_handles: self.open_handles() as u64,
            open_collections: open.len() as u64,
            total_disk_bytes,
        })
    }

    /// Whether the database can serve: open, writable, its background threads alive, its last
    /// storage error. Cheap enough to call every second (no disk access). Works on a closed
    /// database too (status `closed`).
    pub fn health(&self) -> Health {
        let m = self.shared().store.metrics();
        let open = !self.is_closed();
        let read_only = self.is_read_only();
        let (started, alive) = self.background_threads();
        let flusher_alive = (open && !read_only && started > 0).then_some(alive == started);
        let beat = m.flusher_heartbeat.load(Ordering::Relaxed) as i64;
        let memories = if open { self.memory_health() } else { Vec::new() };
        let with_bg: Vec<bool> = memories.iter().filter_map(|h| h.consolidation_alive).collect();
        let consolidation_alive = (!with_bg.is_empty()).then(|| with_bg.iter().all(|a| *a));
        let last_error = m.last_error();
        let status = if !open {
            "closed"
        } else if flusher_alive == Some(false) || consolidation_alive == Some(false) || last_error.is_some() {
            "degraded"
        } else {
            "ok"
        };
        Health {
            status,
            open,
            writable: open && !read_only,
            wal_replay: if read_only { "none" } else { "done" },
            replayed_records: m.replayed_records.load(Ordering::Relaxed),
            open_seconds: m.open_micros.load(Ordering::Relaxed) as f64 / 1e6,
            flusher_alive,
            flusher_heartbeat_age_seconds: (beat > 0).then(|| (crate::util::time::now_micros() - beat).max(0) as f64 / 1e6),
            consolidation_alive,
            last_error,
            uptime_seconds: m.uptime_seconds(),
        }
    }

    /// The database's metrics in the Prometheus text exposition format (0.0.4): per operation
    /// counters and latency histograms, errors by kind, and gauges from [`Database::stats`]
    /// (rows, bytes, versions and memory by kind of store, the log's size and lag, handles,
    /// health). Every name starts with `agentdb_`.
    pub fn metrics_text(&self) -> Result<String> {
        let mut out = String::new();
        self.shared().store.metrics().render(&mut out);
        let health = self.health();
        family(&mut out, "up", "gauge", "1 while the database is open and healthy, 0 when degraded or closed.");
        let _ = writeln!(out, "{PREFIX}up {}", u8::from(health.status == "ok"));
        family(&mut out, "writable", "gauge", "1 when the database is open for writing.");
        let _ = writeln!(out, "{PREFIX}writable {}", u8::from(health.writable));
        if !health.open {
            return Ok(out);
        }
        let stats = self.stats()?;
        let kinds = ["collection", "memory", "rag", "state", "internal"];
        let by_kind = |f: &dyn Fn(&StoreStats) -> u64| -> Vec<(&str, u64)> {
            kinds.iter().map(|k| (*k, stats.stores.iter().filter(|s| s.kind == *k).map(f).sum())).collect()
        };
        let gauges: [(&str, &str, Vec<(&str, u64)>); 8] = [
            ("stores", "Tables, by kind of store.", by_kind(&|_| 1)),
            ("rows", "Rows in Lance (flushed), by kind of store.", by_kind(&|s| s.table.rows)),
            ("deleted_rows", "Rows deleted but still stored until compaction.", by_kind(&|s| s.table.deleted_rows)),
            ("disk_bytes", "Bytes of the tables' directories, by kind of store.", by_kind(&|s| s.table.disk_bytes)),
            ("fragments", "Lance fragments, by kind of store.", by_kind(&|s| s.table.fragments)),
            ("versions", "Lance versions kept on disk, by kind of store.", by_kind(&|s| s.table.versions)),
            ("buffered_writes", "Logged writes not yet flushed to Lance.", by_kind(&|s| s.open.as_ref().map_or(0, |c| c.buffered_writes))),
            ("memory_bytes", "Mirror, index and payload cache memory of open collections.", by_kind(&StoreStats::memory_bytes)),
        ];
        for (name, help, values) in gauges {
            family(&mut out, name, "gauge", help);
            for (k, v) in values {
                let _ = writeln!(out, "{PREFIX}{name}{{kind=\"{}\"}} {v}", label_value(k));
            }
        }
        family(&mut out, "total_disk_bytes", "gauge", "Every file under the database directory.");
        let _ = writeln!(out, "{PREFIX}total_disk_bytes {}", stats.total_disk_bytes);
        family(&mut out, "open_handles", "gauge", "Handles the application holds to the database and its parts.");
        let _ = writeln!(out, "{PREFIX}open_handles {}", stats.open_handles);
        if let Some(w) = &stats.wal {
            family(&mut out, "wal_bytes", "gauge", "Bytes in the write-ahead log not yet trimmed.");
            let _ = writeln!(out, "{PREFIX}wal_bytes {}", w.bytes);
            family(&mut out, "wal_unflushed_streams", "gauge", "Streams with logged writes not yet in Lance.");
            let _ = writeln!(out, "{PREFIX}wal_unflushed_streams {}", w.unflushed_streams);
            family(&mut out, "flush_lag_seconds", "gauge", "How long unflushed writes may have waited.");
            let _ = writeln!(out, "{PREFIX}flush_lag_seconds {}", w.flush_lag_seconds);
        }
        Ok(out)
    }

    /// Turns the metrics' recording on or off for this database (on by default; the
    /// `AGENTDB_METRICS=off` environment variable opens databases with it off). Off, a call
    /// costs one relaxed atomic load; the counters keep what they had.
    pub fn set_metrics_enabled(&self, on: bool) {
        self.shared().store.metrics().set_enabled(on);
    }

    pub fn metrics_enabled(&self) -> bool {
        self.shared().store.metrics().is_enabled()
    }

    /// The agent state's tables (kind `state` in [`Database::stats`]).
    pub fn state_stats(&self) -> Result<Vec<StoreStats>> {
        Ok(self.stats()?.stores.into_iter().filter(|s| s.kind == "state").collect())
    }
}

/// For tests: the calls and errors recorded for an operation on user collections.
#[cfg(test)]
pub(crate) fn op_counts(db: &Database, op: crate::util::metrics::Op) -> (u64, u64) {
    db.shared().store.metrics().counts(op, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::records::{Records, Vectors};
    use crate::types::schema::Metric;
    use crate::util::metrics::Op;

    fn add(c: &crate::collection::Collection, from: usize, n: usize) {
        let ids: Vec<String> = (from..from + n).map(|i| format!("r{i}")).collect();
        let data: Vec<f32> = (from..from + n).flat_map(|i| [i as f32, 1.0]).collect();
        c.add(&Records { ids: &ids, vectors: Vectors::Flat { data: &data, dim: 2 }, documents: None, metadata: None }).unwrap();
    }

    /// The figures are what the data holds: rows flushed and buffered, one store per table, the
    /// sums over the stores.
    #[test]
    fn stats_match_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let c = db.create_collection("c", 2, Metric::L2).unwrap();
        add(&c, 0, 7);
        let before = c.stats().unwrap();
        assert_eq!(before.buffered_writes + before.table.rows, 7);
        db.flush().unwrap();
        add(&c, 7, 3);
        db.flush().unwrap();
        let s = c.stats().unwrap();
        assert_eq!((s.table.rows, s.buffered_writes, s.dim, s.metric), (10, 0, 2, Metric::L2));
        assert!(s.table.fragments >= 1 && s.table.disk_bytes > 0 && s.table.version >= 2);
        assert_eq!(s.index.state, "none");
        c.delete(Some(&["r0".to_owned()]), None).unwrap();
        db.flush().unwrap();
        assert_eq!(c.stats().unwrap().table.rows, 9);
        let d = db.stats().unwrap();
        let store = d.stores.iter().find(|s| s.name == "c").unwrap();
        assert_eq!((store.kind, store.table.rows), ("collection", 9));
        assert!(store.open.is_some());
        assert_eq!(d.rows, d.stores.iter().map(|s| s.table.rows).sum::<u64>());
        assert!(d.total_disk_bytes >= d.disk_bytes && d.open_collections >= 1);
        assert!(d.wal.is_some());
        db.close();
        // A table not open in this process is still counted, from its manifest.
        let db = Database::open(dir.path()).unwrap();
        let d = db.stats().unwrap();
        let store = d.stores.iter().find(|s| s.name == "c").unwrap();
        assert_eq!((store.table.rows, store.open.is_none()), (9, true));
        db.close();
    }

    /// Each call a user makes is counted once under its operation, failures under their kind.
    #[test]
    fn metrics_count_the_calls_made() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let c = db.create_collection("c", 2, Metric::L2).unwrap();
        add(&c, 0, 4);
        add(&c, 4, 4);
        for _ in 0..5 {
            c.search(&[1.0, 1.0], 3, None).unwrap();
        }
        assert!(c.search(&[1.0], 3, None).is_err());
        assert_eq!(op_counts(&db, Op::Add), (2, 0));
        // (calls, of which failed)
        assert_eq!(op_counts(&db, Op::Search), (6, 1));
        let text = db.metrics_text().unwrap();
        assert!(text.contains("agentdb_operations_total{op=\"search\",kind=\"collection\"} 6"), "{text}");
        assert!(text.contains("agentdb_operation_items_total{op=\"add\",kind=\"collection\"} 8"), "{text}");
        assert!(text.contains("agentdb_up 1"), "{text}");
        db.set_metrics_enabled(false);
        c.search(&[1.0, 1.0], 3, None).unwrap();
        assert_eq!(op_counts(&db, Op::Search), (6, 1));
        db.close();
    }

    #[test]
    fn health_reports_open_closed_and_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let h = db.health();
        assert_eq!((h.status, h.open, h.writable, h.wal_replay), ("ok", true, true, "done"));
        assert!(h.last_error.is_none());
        db.close();
        let h = db.health();
        assert_eq!((h.status, h.open, h.writable), ("closed", false, false));
        let ro = Database::open_with(dir.path(), crate::db::OpenOptions { read_only: true, ..Default::default() }).unwrap();
        let h = ro.health();
        assert_eq!((h.status, h.writable, h.wal_replay, h.flusher_alive), ("ok", false, "none", None));
        assert!(ro.stats().unwrap().wal.is_none());
        ro.close();
    }
}
