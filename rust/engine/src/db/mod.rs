//! A database: one directory holding one Lance table per collection, plus `_agentdb/` with the
//! write-ahead log (`wal/`) and the writer lock (`LOCK`).
//!
//! A writable database owns the [`Wal`], the modules that write through it (their
//! [`LogConsumer`]s: every open collection, the agent state...) and a background flusher thread
//! that turns their buffered writes into Lance commits, trims the log, and compacts small
//! fragments. See [`crate::storage::wal`] for the durability guarantees.

mod collections;
mod flusher;
mod health;
mod remote;
mod services;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::collection::Collection;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::context::{self, KeepAlive, StoreContext, INTERNAL_DIR};
use crate::storage::lance::{compact_table, maintain_table, prune_superseded, PRUNE_VERSIONS};
use crate::storage::lock::{hold_reader_lock, lock_out_readers, DbLock};
use crate::storage::runtime::block_on;
use crate::storage::wal::{LogConsumer, Record, SyncMode, Wal};

pub use collections::is_hidden;
pub(crate) use services::{Service, Services};
pub use health::WalStats;
pub use remote::{ObjectStoreOptions, DEFAULT_READ_CONSISTENCY};

/// Buffered writes are flushed to Lance at least this often.
const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// ... and as soon as the log holds this much.
const FLUSH_LOG_BYTES: u64 = 32 << 20;

/// How to open a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenOptions {
    /// When a write counts as durable (see [`SyncMode`]).
    pub sync: SyncMode,
    /// Open for reading only: takes no lock (any number of readers, next to one writer), does
    /// not replay the log, and sees what the writer has committed to Lance (its buffered writes
    /// appear once flushed, within about a second). Every write fails with
    /// [`ErrorKind::ReadOnly`].
    pub read_only: bool,
    /// The most memory one collection's search payload cache may take, in bytes (`None`:
    /// [`DEFAULT_PAYLOAD_CACHE_BYTES`](crate::DEFAULT_PAYLOAD_CACHE_BYTES), 256 MiB). Searches
    /// return documents and metadata from this in-memory copy; a collection whose payload is
    /// larger reads it from Lance per search (slower), and 0 turns the cache off.
    pub payload_cache_bytes: Option<usize>,
}

/// An open database. Cheap to clone; clones share one connection, and
/// [`Database::close`] closes them all. Dropping the last handle (every clone, and every
/// [`Collection`] obtained from it) closes it too: buffered writes are flushed and the writer
/// lock is released.
#[derive(Clone)]
pub struct Database {
    shared: Arc<DbShared>,
    handle: Arc<OpenHandle>,
}

/// Shared by the user's handles (databases, collections, memory stores, agent state, RAG) but
/// not by the engine's own registries, so the database closes when the user lets go of it even
/// though its parts refer to each other. It holds the database strongly: the last handle to go
/// closes it, whatever else (a background thread between two rounds, a handle without a
/// collection such as the agent state) holds or does not hold it at that moment.
pub(crate) struct OpenHandle(Arc<DbShared>);

impl Drop for OpenHandle {
    fn drop(&mut self) {
        self.0.close();
    }
}

pub(crate) struct DbShared {
    /// The directory, open/writable flags, log and flush requests, shared with the collections.
    pub(crate) store: Arc<StoreContext>,
    pub(crate) conn: lancedb::Connection,
    /// One state per open collection, so every handle to it shares its write lock and schema.
    collections: Mutex<HashMap<String, Collection>>,
    /// The services built on this database (memory stores, the agent state), registered by
    /// themselves (see [`Service`]).
    services: Mutex<Services>,
    lock: Mutex<Option<DbLock>>,
    /// A read-only database's shared lock on the database directory (see [`hold_reader_lock`]).
    reader_lock: Mutex<Option<std::fs::File>>,
    /// Every module writing through the log, by stream.
    consumers: Mutex<HashMap<String, Arc<dyn LogConsumer>>>,
    /// Logged records of streams whose module has not registered yet, replayed when it does.
    pending: Mutex<HashMap<String, Vec<Record>>>,
    /// One flush round at a time.
    pub(crate) flushing: Mutex<()>,
    flusher: Mutex<Vec<JoinHandle<()>>>,
}

impl DbShared {
    /// Registers a module that writes through the log, replaying (in LSN order, before this
    /// returns) the records of its stream that are not in Lance yet.
    pub(crate) fn register_consumer(&self, consumer: Arc<dyn LogConsumer>) -> Result<()> {
        if self.store.wal().is_none() {
            return Ok(());
        }
        let stream = consumer.stream();
        let records = self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&stream);
        // A record the consumer cannot apply (sound checksum, impossible content) is a storage
        // error naming its file and offset. Its stream's records go back to the pending ones, so
        // a second try fails the same way and never opens the stream without them.
        let failed = records.iter().flatten().find_map(|r| consumer.replay(r.lsn, &r.payload).err().map(|e| crate::storage::wal::unusable_record(r, &e)));
        if let Some(e) = failed {
            if let Some(records) = records {
                self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(stream, records);
            }
            return Err(e);
        }
        self.consumers.lock().unwrap_or_else(|p| p.into_inner()).insert(stream, consumer);
        Ok(())
    }

    /// Forgets a consumer (its data is gone, e.g. a dropped collection) and every logged record
    /// of its stream.
    pub(crate) fn unregister_consumer(&self, stream: &str) -> Result<()> {
        self.consumers.lock().unwrap_or_else(|p| p.into_inner()).remove(stream);
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(stream);
        if let Some(wal) = self.store.wal() {
            wal.set_flushed(stream, wal.last_lsn(stream))?;
        }
        Ok(())
    }

    /// Flushes every consumer's buffer to Lance, notes it in the log, and trims the log. Returns
    /// the first error (the others are still attempted: a failing collection must not keep the
    /// rest in the log forever).
    pub(crate) fn flush_all(&self) -> Result<()> {
        let _round = self.flushing.lock().unwrap_or_else(|p| p.into_inner());
        self.flush_in_round()
    }

    /// [`DbShared::flush_all`], returning the flush round still held: no flush commits to any
    /// table until the guard goes, so a backup sees every table at one point (every write
    /// acknowledged before the call is in Lance, and no later flush is half in).
    pub(crate) fn flush_all_holding(&self) -> Result<std::sync::MutexGuard<'_, ()>> {
        let round = self.flushing.lock().unwrap_or_else(|p| p.into_inner());
        self.flush_in_round()?;
        Ok(round)
    }

    fn flush_in_round(&self) -> Result<()> {
        let Some(wal) = self.store.wal() else { return Ok(()) };
        // On an object store, only the lease holder commits: a writer whose lease lapsed keeps
        // its records in its log (they are not lost) until it renews or closes.
        if let Some(lease) = self.store.lease() {
            lease.check()?;
        }
        let start = std::time::Instant::now();
        let consumers: Vec<Arc<dyn LogConsumer>> =
            self.consumers.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        let mut first_err = None;
        let mut done = Vec::new();
        for c in consumers {
            let stream = c.stream();
            // Read before flushing: the consumer's lock discipline guarantees its flush covers
            // every record submitted up to here.
            let mark = wal.last_lsn(&stream);
            match c.flush() {
                Ok(_) if mark > wal.flushed_lsn(&stream) => done.push((stream, mark)),
                Ok(_) => {}
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        let result = (|| {
            if !done.is_empty() {
                self.store.sync_lance()?;
            }
            wal.set_flushed_many(&done)?;
            wal.trim()
        })();
        let out = match (first_err, result) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(())) => Ok(()),
        };
        // A round with nothing to write is not a flush (the flusher looks every second).
        if !done.is_empty() || out.is_err() {
            self.store.metrics().record(crate::util::metrics::Op::Flush, false, done.len() as u64, start, out.as_ref().err());
            if out.is_ok() {
                self.store.metrics().last_flush.store(crate::util::time::now_micros().max(0) as u64, Ordering::Relaxed);
            }
            match &out {
                Ok(()) => log::debug!("agentdb: flushed {} stream(s) of {} in {:?}", done.len(), self.store.path().display(), start.elapsed()),
                Err(e) => log::warn!("agentdb: flush of {} failed (the writes stay in the log): {}", self.store.path().display(), e.message()),
            }
        }
        out
    }

    /// See [`Database::close`].
    pub(crate) fn close(&self) {
        if self.store.is_closed() {
            return;
        }
        // The services first, while the collections still accept writes: memory stores stop
        // their background threads and write their pending access statistics.
        let services = self.services.lock().unwrap_or_else(|p| p.into_inner()).take_all();
        for s in &services {
            s.stop();
        }
        if self.store.mark_closed() {
            return;
        }
        self.store.request_stop();
        let threads = std::mem::take(&mut *self.flusher.lock().unwrap_or_else(|p| p.into_inner()));
        for t in threads {
            let _ = t.join();
        }
        // Then what the services write once nothing runs in the background (the agent state stops
        // its sweeper, and without a log writes itself to Lance), before the last flush.
        for s in &services {
            s.finish();
        }
        let flushed = self.flush_all();
        if let Some(w) = self.store.wal() {
            let _ = w.sync();
        }
        let collections: Vec<Collection> = self.collections.lock().unwrap_or_else(|p| p.into_inner()).drain().map(|(_, c)| c).collect();
        if !self.store.is_read_only() && self.store.lease().is_none_or(|l| l.check().is_ok()) {
            // Compaction and version cleanup past their thresholds, so that a store opened for
            // one request at a time does not pile up data files and versions. Nothing here can
            // lose data: a failed step leaves the table as it was, and is retried next time.
            for c in &collections {
                let _ = c.maintain_storage(true);
            }
            let hidden = self.maintain_hidden_tables(&collections);
            // On an object store, readers on other machines take no lock here: the grace
            // alone protects them (background maintenance prunes with it).
            if flushed.is_ok() && self.store.sync_lance().is_ok() && self.store.remote().is_none() {
                // After the sync: what the cleanup keeps is on disk before what it replaced goes.
                let _ = self.prune_unread(&collections, &hidden);
                let _ = self.store.leave_synced_marker();
            }
        }
        for c in &collections {
            // An index that cannot be saved is rebuilt on the next open; closing still succeeds.
            let _ = c.save_index();
        }
        self.consumers.lock().unwrap_or_else(|p| p.into_inner()).clear();
        // The lease goes before the local lock: a next writer from this directory finds it
        // released; one that finds it held instead takes it over, since it holds the local lock.
        if let (Some(lease), true) = (self.store.lease(), flushed.is_ok()) {
            lease.release();
        }
        *self.lock.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.reader_lock.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Background maintenance of the collections flushed since the last round (see
    /// [`maintain_table`]).
    fn maintain_all(&self) {
        // Compaction commits too: only under a lease still held.
        if self.store.lease().is_some_and(|l| l.check().is_err()) {
            return;
        }
        let collections: Vec<Collection> =
            self.collections.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        for c in collections {
            // A failed compaction or cleanup leaves the table as it was; it is retried later.
            let _ = c.maintain_storage(false);
        }
    }

    /// On close, after the last flush: maintenance of the engine's hidden tables other than the
    /// collections in `done` (the agent state's tables, whose own compaction runs only every so
    /// many commits of one session). Nothing writes them any more. Returns the tables it opened.
    fn maintain_hidden_tables(&self, done: &[Collection]) -> Vec<lancedb::Table> {
        let Ok(names) = block_on(self.conn.table_names().execute()) else { return Vec::new() };
        let mut tables = Vec::new();
        for name in names.iter().filter(|n| is_hidden(n) && !done.iter().any(|c| c.name() == n.as_str())) {
            let Ok(table) = block_on(self.conn.open_table(name).execute()) else { continue };
            // A failed step leaves the table as it was, and is retried next time.
            let _ = block_on(maintain_table(&table, true));
            tables.push(table);
        }
        tables
    }

    /// On close, when no read-only reader has the database open (see [`hold_reader_lock`]): removes
    /// every version but the current one of each table, once at least [`PRUNE_VERSIONS`] can go,
    /// without waiting out [`VERSION_GRACE`], which only protects readers. So a store opened for
    /// one write at a time keeps a few versions and files whatever the pace of its sessions (with
    /// the grace alone it kept every version of the last 10 s, and each open, flush and close
    /// walked them). Readers that open meanwhile wait for the lock, then see the current version.
    fn prune_unread(&self, collections: &[Collection], hidden: &[lancedb::Table]) -> Result<()> {
        let Some(_readers_out) = lock_out_readers(self.store.path()) else { return Ok(()) };
        // This process's own reads of the collections run under their read gates, and none
        // starts once the database is closed: wait for those still running.
        for c in collections {
            drop(c.inner.gate.write().unwrap_or_else(|p| p.into_inner()));
        }
        let tables = collections.iter().filter(|c| !c.inner.dropped.load(Ordering::Acquire)).map(|c| &c.inner.table);
        let mut first_err = None;
        for table in tables.chain(hidden) {
            if let Err(e) = block_on(prune_superseded(table, Duration::ZERO, PRUNE_VERSIONS)) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

impl Database {
    /// The first half of an open (see [`Database::open_with`], which adds the services): the
    /// directory, the reader's or the writer's lock, the log read back (its records wait for the
    /// module of their stream to register), the Lance connection. Nothing is replayed or
    /// started yet.
    pub(crate) fn open_storage(path: &Path, options: &OpenOptions) -> Result<Database> {
        if path.as_os_str().is_empty() {
            return Err(Error::invalid_argument("the database path is empty"));
        }
        if path.exists() && !path.is_dir() {
            return Err(Error::storage(format!("{} exists and is not a directory", path.display())));
        }
        if options.read_only {
            if !path.exists() {
                return Err(Error::storage(format!("cannot open {} read-only: it does not exist", path.display())));
            }
        } else {
            std::fs::create_dir_all(path)
                .map_err(|e| Error::storage(format!("cannot create database directory {}: {e}", path.display())))?;
        }
        let path = path.canonicalize()?;
        // Before anything of the database is read: see hold_reader_lock.
        let reader_lock = if options.read_only { hold_reader_lock(&path) } else { None };
        let uri = path
            .to_str()
            .ok_or_else(|| Error::invalid_argument(format!("the path {} is not valid UTF-8", path.display())))?
            .to_owned();
        let (lock, wal, records) = if options.read_only {
            (None, None, Vec::new())
        } else {
            let internal = path.join(INTERNAL_DIR);
            std::fs::create_dir_all(&internal)?;
            let lock = DbLock::acquire(&internal, &path)?;
            let (wal, records) = Wal::open(&internal.join("wal"), options.sync)?;
            (Some(lock), Some(Arc::new(wal)), records)
        };
        let synced = if options.read_only { HashSet::new() } else { context::take_synced_marker(&path)? };
        let mut connect = lancedb::connect(&uri);
        if options.read_only {
            // See the writer's commits as they happen.
            connect = connect.read_consistency_interval(Duration::ZERO);
        }
        let conn = block_on(connect.execute())?;
        let store = StoreContext::new(path, options.read_only, Self::payload_cache(options), wal, synced);
        Ok(Self::assemble(store, conn, lock, reader_lock, records))
    }

    fn payload_cache(options: &OpenOptions) -> usize {
        options.payload_cache_bytes.unwrap_or(crate::collection::payload::DEFAULT_PAYLOAD_CACHE_BYTES)
    }

    /// [`Database::open_storage`] for a database on an object store (see `remote.rs`): the
    /// writer's local lock on its local directory, then its lease on the store, then its log.
    pub(crate) fn open_remote_storage(uri: &str, options: &OpenOptions, store_options: &ObjectStoreOptions) -> Result<Database> {
        let uri = uri.trim_end_matches('/');
        let path = remote::local_dir(uri, store_options, options.read_only)?;
        let (lock, wal, records, remote, lease) = if options.read_only {
            let (remote, _) = remote::connect(uri, store_options, true, &path)?;
            (None, None, Vec::new(), remote, None)
        } else {
            let internal = path.join(INTERNAL_DIR);
            // The local lock first: a second writer on this machine fails here without touching
            // the store, and holding it proves a lease held from this directory is a dead one's.
            let lock = DbLock::acquire(&internal, &path)?;
            let (remote, lease) = remote::connect(uri, store_options, false, &path)?;
            let (wal, records) = Wal::open(&internal.join("wal"), options.sync)?;
            let wal = Arc::new(wal);
            if let Some(lease) = &lease {
                wal.set_fence(lease.clone());
            }
            (Some(lock), Some(wal), records, remote, lease)
        };
        let mut connect = lancedb::connect(uri).storage_options(store_options.storage_options.iter().map(|(k, v)| (k.clone(), v.clone())));
        if options.read_only {
            connect = connect.read_consistency_interval(store_options.read_consistency_interval.unwrap_or(remote::DEFAULT_READ_CONSISTENCY));
        }
        let conn = match block_on(connect.execute()) {
            Ok(c) => c,
            Err(e) => {
                if let Some(l) = &lease {
                    l.release();
                }
                return Err(Error::storage(format!("cannot open {uri}: {e}")));
            }
        };
        let store = StoreContext::new(path, options.read_only, Self::payload_cache(options), wal, HashSet::new()).on_remote(remote, lease);
        Ok(Self::assemble(store, conn, lock, None, records))
    }

    fn assemble(store: StoreContext, conn: lancedb::Connection, lock: Option<DbLock>, reader_lock: Option<std::fs::File>, records: Vec<Record>) -> Database {
        let mut pending: HashMap<String, Vec<Record>> = HashMap::new();
        for r in records {
            pending.entry(r.stream.clone()).or_default().push(r);
        }
        let replayed: u64 = pending.values().map(|r| r.len() as u64).sum();
        let shared = Arc::new(DbShared {
            store: Arc::new(store),
            conn,
            collections: Mutex::new(HashMap::new()),
            services: Mutex::new(Services::default()),
            lock: Mutex::new(lock),
            reader_lock: Mutex::new(reader_lock),
            consumers: Mutex::new(HashMap::new()),
            pending: Mutex::new(pending),
            flushing: Mutex::new(()),
            flusher: Mutex::new(Vec::new()),
        });
        shared.store.metrics().replayed_records.store(replayed, Ordering::Relaxed);
        Database { handle: Arc::new(OpenHandle(shared.clone())), shared }
    }

    /// The second half of an open, once the services that write through the log have registered:
    /// the collections' records are replayed and the background threads start.
    pub(crate) fn start(&self, options: &OpenOptions) -> Result<()> {
        if options.read_only {
            return Ok(());
        }
        self.replay_collections()?;
        let weak = Arc::downgrade(&self.shared);
        let mut threads = vec![std::thread::Builder::new()
            .name("agentdb-flush".into())
            .spawn(move || flusher::flusher(weak))
            .map_err(|e| Error::storage(format!("cannot start the flusher thread: {e}")))?];
        if let Some(lease) = self.shared.store.lease().cloned() {
            let store = self.shared.store.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("agentdb-lease".into())
                    .spawn(move || flusher::lease_renewer(store, lease))
                    .map_err(|e| Error::storage(format!("cannot start the lease thread: {e}")))?,
            );
        }
        if options.sync == SyncMode::Batch {
            let weak = Arc::downgrade(&self.shared);
            threads.push(
                std::thread::Builder::new()
                    .name("agentdb-sync".into())
                    .spawn(move || flusher::batch_syncer(weak))
                    .map_err(|e| Error::storage(format!("cannot start the log sync thread: {e}")))?,
            );
        }
        *self.shared.flusher.lock().unwrap_or_else(|p| p.into_inner()) = threads;
        Ok(())
    }

    /// Opens every collection the log holds records for, which replays them; records of a
    /// collection that no longer exists (dropped before the crash) are discarded.
    fn replay_collections(&self) -> Result<()> {
        let mut streams: Vec<String> = {
            let pending = self.shared.pending.lock().unwrap_or_else(|p| p.into_inner());
            // The services' streams were replayed when they registered: any stream but a
            // collection's is unknown, and refused before anything is replayed.
            let unknown = pending.iter().filter(|(s, _)| !s.starts_with(crate::collection::buffer::STREAM_PREFIX));
            if let Some(r) = unknown.filter_map(|(_, records)| records.first()).min_by_key(|r| r.lsn) {
                return Err(crate::storage::wal::unknown_stream(r));
            }
            pending.keys().cloned().collect()
        };
        streams.sort_unstable();
        for stream in streams {
            let Some(name) = stream.strip_prefix(crate::collection::buffer::STREAM_PREFIX) else { continue };
            match self.get_collection_any(name) {
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::CollectionNotFound | ErrorKind::InvalidName) => {
                    self.shared.unregister_consumer(&stream)?;
                }
                // One collection's unusable record does not keep the rest of the log from being
                // recovered: the database opens, and that collection fails with this error
                // until the record is repaired or the collection dropped.
                Err(e) if crate::storage::wal::is_unusable_record(&e) => {
                    log::error!("agentdb: damaged log record, collection '{name}' left unusable: {}", e.message());
                    eprintln!("agentdb: warning: {}", e.message())
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The database directory (absolute).
    pub fn path(&self) -> &Path {
        self.shared.store.path()
    }

    /// Where the tables are: the object-store URI of a database on one, else the directory.
    pub fn uri(&self) -> String {
        self.shared.store.uri()
    }

    /// Whether the database is on an object store (opened with [`Database::open_uri`] on a URI).
    pub fn is_remote(&self) -> bool {
        self.shared.store.remote().is_some()
    }

    /// Brings a read-only handle's open collections to the writer's latest commit now, instead
    /// of within the read consistency interval ([`ObjectStoreOptions::read_consistency_interval`]; on
    /// local disk a reader looks at every read anyway). Searches then reload their in-memory
    /// copies. Does nothing on a writable database, which is always current.
    pub fn refresh(&self) -> Result<()> {
        self.ensure_open()?;
        if !self.is_read_only() {
            return Ok(());
        }
        let collections: Vec<Collection> = self.registry().values().cloned().collect();
        for c in collections {
            if c.inner.dropped.load(Ordering::Acquire) {
                continue;
            }
            block_on(c.inner.table.checkout_latest())?;
        }
        Ok(())
    }

    /// Whether the database was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.shared.store.is_read_only()
    }

    /// The durability mode of a writable database (`None` when read-only).
    pub fn sync_mode(&self) -> Option<SyncMode> {
        self.shared.store.wal().map(|w| w.mode())
    }

    pub(crate) fn shared(&self) -> &Arc<DbShared> {
        &self.shared
    }

    /// Writes every buffered write to Lance now (one commit per collection / module) and trims
    /// the log. Writes are already durable when they return; this makes them visible to
    /// read-only openers and shortens the next open's replay. Does nothing when read-only.
    pub fn flush(&self) -> Result<()> {
        self.ensure_open()?;
        self.shared.flush_all()?;
        if let Some(w) = self.shared.store.wal() {
            self.shared.store.metrics().time(crate::util::metrics::Op::WalSync, false, 0, || w.sync())?;
        }
        Ok(())
    }

    /// Compacts every collection open in this database, and the engine's own tables, now
    /// (buffered writes are flushed first), and removes their versions replaced more than
    /// [`VERSION_GRACE`] ago. Maintenance does this on its own past its thresholds
    /// ([`COMPACT_SMALL_FRAGMENTS`], [`PRUNE_VERSIONS`]), in the background and on close; this is
    /// for explicit use.
    pub fn optimize(&self) -> Result<()> {
        self.ensure_open()?;
        self.shared.store.ensure_writable()?;
        self.shared.flush_all()?;
        let collections: Vec<Collection> = self.registry().values().cloned().collect();
        for c in &collections {
            c.optimize()?;
        }
        crate::util::cancel::check()?;
        // The agent state writes its tables only in a flush round: hold the round.
        let _round = self.shared.flushing.lock().unwrap_or_else(|p| p.into_inner());
        let names = block_on(self.shared.conn.table_names().execute())?;
        for name in names.iter().filter(|n| is_hidden(n) && !collections.iter().any(|c| c.name() == n.as_str())) {
            let table = block_on(self.shared.conn.open_table(name).execute())?;
            block_on(compact_table(&table))?;
        }
        self.shared.store.sync_lance()
    }

    /// Closes the database: flushes buffered writes to Lance, stops the background threads,
    /// saves indexes and releases the lock. Every handle to it and to its collections fails with
    /// [`ErrorKind::Closed`] from then on. Closing twice is harmless. Nothing is lost even if the
    /// final flush fails: the writes stay in the log and are replayed on the next open.
    pub fn close(&self) {
        self.shared.close();
    }

    pub fn is_closed(&self) -> bool {
        self.shared.store.is_closed()
    }

    pub(crate) fn ensure_open(&self) -> Result<()> {
        if self.shared.store.is_closed() {
            return Err(Error::new(ErrorKind::Closed, "the database is closed"));
        }
        Ok(())
    }

    /// What a user's handle to a part of this database (a collection, memory store, state store
    /// or RAG) holds so the database stays open as long as the handle lives.
    pub(crate) fn keep_alive(&self) -> KeepAlive {
        self.handle.clone()
    }

    /// The services registered on this database (see [`Service`]).
    pub(crate) fn services(&self) -> std::sync::MutexGuard<'_, Services> {
        self.shared.services.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn registry(&self) -> std::sync::MutexGuard<'_, HashMap<String, Collection>> {
        self.shared.collections.lock().unwrap_or_else(|p| p.into_inner())
    }
}
