//! What the database's stats and health report about its open memory stores: the background
//! consolidation thread of each, and their access statistics not yet written.

use super::*;

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

impl Database {
    /// Every memory store open in this database (no store is opened for this).
    pub fn memory_health(&self) -> Vec<MemoryHealth> {
        let services = self.services();
        let mut out = Vec::new();
        for key in services.keys() {
            let Some(name) = key.strip_prefix("memory/") else { continue };
            let Some(shared) = services.get::<MemoryShared>(&service_key(name)) else { continue };
            let alive = shared.background.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|b| !b.thread.is_finished());
            let last = match &*shared.last_background.lock().unwrap_or_else(|p| p.into_inner()) {
                Some(Err(e)) => Some(e.message().to_owned()),
                _ => None,
            };
            let pending = shared.table.read().unwrap_or_else(|p| p.into_inner()).pending.len() as u64;
            out.push(MemoryHealth { name: name.to_owned(), consolidation_alive: alive, last_consolidation_error: last, pending_writes: pending });
        }
        out
    }
}
