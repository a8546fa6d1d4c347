//! What the database's stats and health report about its open memory stores: the background
//! consolidation thread of each, and their access statistics not yet written.

use super::*;
use crate::collection::stats::CollectionStats;

/// One open memory store, for [`Database::health`](crate::Database::health) and stats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryHealth {
    pub name: String,
    /// Whether the background consolidation thread runs; `None`: the store has none.
    pub consolidation_alive: Option<bool>,
    /// The last background consolidation's error, if it failed.
    pub last_consolidation_error: Option<String>,
    /// Access statistics (touches) not yet written to the store's table.
    pub pending_writes: u64,
}

impl MemoryHealth {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "consolidation_alive": self.consolidation_alive,
            "last_consolidation_error": self.last_consolidation_error,
            "pending_writes": self.pending_writes,
        })
    }
}

/// What [`Memory::stats`] returns: the store's hidden collection and its in-memory figures.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryStats {
    pub name: String,
    /// Memories the store holds now (its in-memory table: every acknowledged `remember`,
    /// flushed or not, minus the forgotten).
    pub memories: u64,
    pub collection: CollectionStats,
    pub health: MemoryHealth,
}

impl MemoryStats {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "memories": self.memories,
            "collection": self.collection.to_json(),
            "health": self.health.to_json(),
        })
    }
}

impl Memory {
    /// See [`MemoryStats`]. Cheap: Lance's manifest and in-memory counts, no row is read.
    pub fn stats(&self) -> Result<MemoryStats> {
        self.ensure_open()?;
        let collection = self.shared.collection.stats()?;
        let (memories, pending) = {
            let t = self.shared.table.read().unwrap_or_else(|p| p.into_inner());
            (t.len() as u64, t.pending.len() as u64)
        };
        Ok(MemoryStats {
            name: self.shared.name.clone(),
            memories,
            collection,
            health: health_of(&self.shared, &self.shared.name, pending),
        })
    }
}

fn health_of(shared: &MemoryShared, name: &str, pending_writes: u64) -> MemoryHealth {
    let alive = shared.background.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|b| !b.thread.is_finished());
    let last = match &*shared.last_background.lock().unwrap_or_else(|p| p.into_inner()) {
        Some(Err(e)) => Some(e.message().to_owned()),
        _ => None,
    };
    MemoryHealth { name: name.to_owned(), consolidation_alive: alive, last_consolidation_error: last, pending_writes }
}

impl Database {
    /// Every memory store open in this database (no store is opened for this).
    pub fn memory_health(&self) -> Vec<MemoryHealth> {
        let services = self.services();
        let mut out = Vec::new();
        for key in services.keys() {
            let Some(name) = key.strip_prefix("memory/") else { continue };
            let Some(shared) = services.get::<MemoryShared>(&service_key(name)) else { continue };
            let pending = shared.table.read().unwrap_or_else(|p| p.into_inner()).pending.len() as u64;
            out.push(health_of(&shared, name, pending));
        }
        out
    }
}
