//! Opening a database with the services the engine builds on it. The one place that knows them
//! all: the database layer below stays ignorant of the agent state, memory stores and RAG, which
//! register themselves with it (see `db/services.rs`).

use std::path::Path;

use crate::db::{Database, OpenOptions};
use crate::error::Result;

impl Database {
    /// Opens the database in directory `path` for writing (`sync = "always"`), creating the
    /// directory if it does not exist.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Self::open_with(path, OpenOptions::default())
    }

    /// Opens the database in directory `path` with `options`.
    ///
    /// A writable open takes the database's lock (a second writer, in this process or another,
    /// fails with [`ErrorKind::DatabaseLocked`](crate::ErrorKind::DatabaseLocked)) and replays the
    /// write-ahead log: every write that returned before a crash is there again. A read-only open
    /// needs the directory to exist.
    pub fn open_with(path: impl AsRef<Path>, options: OpenOptions) -> Result<Database> {
        let start = std::time::Instant::now();
        let db = Database::open_storage(path.as_ref(), &options)?;
        // The agent state is loaded on open, and its logged writes replayed before the
        // collections' (a record of a stream no module registered is refused).
        crate::state::attach(&db)?;
        crate::graph::attach(&db)?;
        db.start(&options)?;
        let metrics = db.shared().store.metrics();
        metrics.open_micros.store(start.elapsed().as_micros() as u64, std::sync::atomic::Ordering::Relaxed);
        log::info!(
            "agentdb: opened {}{} in {:?} ({} log record(s) replayed)",
            db.path().display(),
            if options.read_only { " read-only" } else { "" },
            start.elapsed(),
            metrics.replayed_records.load(std::sync::atomic::Ordering::Relaxed)
        );
        Ok(db)
    }
}
