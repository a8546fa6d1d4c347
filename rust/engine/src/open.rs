//! Opening a database with the services the engine builds on it. The one place that knows them
//! all: the database layer below stays ignorant of the agent state, memory stores and RAG, which
//! register themselves with it (see `db/services.rs`).

use std::path::Path;

use crate::db::{Database, OpenOptions, ObjectStoreOptions};
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
        Self::open_services(db, &options, start)
    }

    /// Opens the database at `uri`: a local path (as [`Database::open_with`]; `store` is then
    /// ignored) or an object-store URI, `s3://bucket/prefix` (S3 or an S3-compatible server,
    /// reached with `store.storage_options`).
    ///
    /// On an object store, a writable open takes the local lock of its local directory
    /// ([`ObjectStoreOptions::wal_dir`]), then the database's lease on the store: a second writer, on
    /// this machine or another, fails with
    /// [`ErrorKind::DatabaseLocked`](crate::ErrorKind::DatabaseLocked). Writes are acknowledged
    /// once in the local log and committed to the store by the background flusher (about every
    /// second, and on [`Database::flush`] and close). A read-only open needs no local directory
    /// and no lease, from any number of machines, and sees the writer's commits within
    /// [`ObjectStoreOptions::read_consistency_interval`] (or at once after [`Database::refresh`]).
    /// Backup and verify work on local databases only.
    pub fn open_uri(uri: &str, options: OpenOptions, store: &ObjectStoreOptions) -> Result<Database> {
        if !crate::storage::remote::is_object_store_uri(uri)? {
            let path = uri.strip_prefix("file://").unwrap_or(uri);
            return Self::open_with(path, options);
        }
        let start = std::time::Instant::now();
        let db = Database::open_remote_storage(uri, &options, store)?;
        Self::open_services(db, &options, start)
    }

    fn open_services(db: Database, options: &OpenOptions, start: std::time::Instant) -> Result<Database> {
        let options = *options;
        // The agent state is loaded on open, and its logged writes replayed before the
        // collections' (a record of a stream no module registered is refused).
        crate::state::attach(&db)?;
        crate::graph::attach(&db)?;
        db.start(&options)?;
        let metrics = db.shared().store.metrics();
        metrics.open_micros.store(start.elapsed().as_micros() as u64, std::sync::atomic::Ordering::Relaxed);
        log::info!(
            "agentdb: opened {}{} in {:?} ({} log record(s) replayed)",
            db.uri(),
            if options.read_only { " read-only" } else { "" },
            start.elapsed(),
            metrics.replayed_records.load(std::sync::atomic::Ordering::Relaxed)
        );
        Ok(db)
    }
}
