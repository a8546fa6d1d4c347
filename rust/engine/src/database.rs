//! A database: one directory holding one Lance table per collection, plus `_agentdb/` with the
//! write-ahead log (`wal/`) and the writer lock (`LOCK`).
//!
//! A writable database owns the [`Wal`], the modules that write through it (their
//! [`LogConsumer`]s: every open collection, the agent state...) and a background flusher thread
//! that turns their buffered writes into Lance commits, trims the log, and compacts small
//! fragments. See [`crate::wal`] for the durability guarantees.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::collection::Collection;
use crate::error::{Error, ErrorKind, Result};
use crate::lock::DbLock;
use crate::runtime::block_on;
use crate::schema::{self, validate_collection_name, Layout, Metric};
use crate::state::State;
use crate::wal::{self, LogConsumer, Record, SyncMode, Wal};

/// The engine's own files live here, inside the database directory.
pub(crate) const INTERNAL_DIR: &str = "_agentdb";
/// Left in `_agentdb/` by a clean close of a writer, once every Lance file is on disk (per the
/// sync mode); the next writable open takes it away again. With it, the open trusts the files
/// present instead of syncing each again at its first flush (that walk grew with the number of
/// files: most of the time of an open → write → close session).
const LANCE_SYNCED: &str = "LANCE_SYNCED";
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
    path: PathBuf,
    pub(crate) conn: lancedb::Connection,
    /// One state per open collection, so every handle to it shares its write lock and schema.
    collections: Mutex<HashMap<String, Collection>>,
    /// One state per open memory store (see `memory.rs`), shared by all its handles.
    pub(crate) memories: Mutex<HashMap<String, Arc<crate::memory::MemoryShared>>>,
    closed: AtomicBool,
    read_only: bool,
    /// [`OpenOptions::payload_cache_bytes`], resolved.
    payload_cache_bytes: usize,
    wal: Option<Arc<Wal>>,
    lock: Mutex<Option<DbLock>>,
    /// A read-only database's shared lock on the database directory (see [`hold_reader_lock`]).
    reader_lock: Mutex<Option<std::fs::File>>,
    /// Every module writing through the log, by stream.
    consumers: Mutex<HashMap<String, Arc<dyn LogConsumer>>>,
    /// Logged records of streams whose module has not registered yet, replayed when it does.
    pending: Mutex<HashMap<String, Vec<Record>>>,
    /// One flush round at a time.
    flushing: Mutex<()>,
    /// Lance files already synced to disk (they never change once written).
    synced_files: Mutex<HashSet<PathBuf>>,
    flusher: Mutex<Vec<JoinHandle<()>>>,
    wake: (Mutex<Wake>, Condvar),
    /// Agent state (its own log consumer, loaded on open).
    state: State,
}

#[derive(Default)]
struct Wake {
    flush: bool,
    stop: bool,
}

impl DbShared {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(crate) fn wal(&self) -> Option<&Arc<Wal>> {
        self.wal.as_ref()
    }

    pub(crate) fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The limit of each collection's search payload cache (see `payload.rs`).
    pub(crate) fn payload_cache_bytes(&self) -> usize {
        self.payload_cache_bytes
    }

    pub(crate) fn ensure_writable(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::new(ErrorKind::ReadOnly, format!("the database {} is open read-only", self.path.display())));
        }
        Ok(())
    }

    fn wake_lock(&self) -> MutexGuard<'_, Wake> {
        self.wake.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the background flusher for a flush round now (a buffer grew large).
    pub(crate) fn request_flush(&self) {
        self.wake_lock().flush = true;
        self.wake.1.notify_all();
    }

    /// Registers a module that writes through the log, replaying (in LSN order, before this
    /// returns) the records of its stream that are not in Lance yet.
    pub(crate) fn register_consumer(&self, consumer: Arc<dyn LogConsumer>) -> Result<()> {
        if self.wal.is_none() {
            return Ok(());
        }
        let stream = consumer.stream();
        let records = self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&stream);
        // A record the consumer cannot apply (sound checksum, impossible content) is a storage
        // error naming its file and offset. Its stream's records go back to the pending ones, so
        // a second try fails the same way and never opens the stream without them.
        let failed = records.iter().flatten().find_map(|r| consumer.replay(r.lsn, &r.payload).err().map(|e| crate::wal::unusable_record(r, &e)));
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
        if let Some(wal) = &self.wal {
            wal.set_flushed(stream, wal.last_lsn(stream))?;
        }
        Ok(())
    }

    /// Makes every Lance file written since the last call durable (Lance's local store does not
    /// sync). Needed before the log drops records that those files now hold.
    pub(crate) fn sync_lance(&self) -> Result<()> {
        let Some(wal) = &self.wal else { return Ok(()) };
        if wal.mode() == SyncMode::Off {
            return Ok(());
        }
        let mut seen = self.synced_files.lock().unwrap_or_else(|p| p.into_inner());
        let mut dirs = Vec::new();
        let mut fresh_files = Vec::new();
        let mut present = HashSet::new();
        let mut stack = vec![self.path.clone()];
        while let Some(dir) = stack.pop() {
            let mut fresh = false;
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let path = entry.path();
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    if dir == self.path && entry.file_name() == INTERNAL_DIR {
                        continue; // the log syncs itself
                    }
                    stack.push(path);
                } else if kind.is_file() && seen.contains(&path) {
                    present.insert(path);
                } else if kind.is_file() {
                    fresh_files.push(path);
                    fresh = true;
                }
            }
            if fresh {
                dirs.push(dir);
            }
        }
        // Files first, then the directories naming them.
        for path in sync_all(fresh_files)? {
            seen.insert(path.clone());
            present.insert(path);
        }
        // Forget files that are gone (compacted, pruned), so the set does not grow forever.
        seen.retain(|p| present.contains(p));
        sync_all(dirs)?;
        Ok(())
    }

    /// See [`LANCE_SYNCED`]: written when the sync mode makes Lance files durable at all.
    fn leave_synced_marker(&self) -> Result<()> {
        if self.wal.as_ref().is_none_or(|w| w.mode() == SyncMode::Off) {
            return Ok(());
        }
        let internal = self.path.join(INTERNAL_DIR);
        std::fs::File::create(internal.join(LANCE_SYNCED))?.sync_all()?;
        wal::sync_dir(&internal)
    }

    /// Flushes every consumer's buffer to Lance, notes it in the log, and trims the log. Returns
    /// the first error (the others are still attempted: a failing collection must not keep the
    /// rest in the log forever).
    pub(crate) fn flush_all(&self) -> Result<()> {
        let Some(wal) = &self.wal else { return Ok(()) };
        let _round = self.flushing.lock().unwrap_or_else(|p| p.into_inner());
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
                self.sync_lance()?;
            }
            wal.set_flushed_many(&done)?;
            wal.trim()
        })();
        match (first_err, result) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(())) => Ok(()),
        }
    }

    /// See [`Database::close`].
    pub(crate) fn close(&self) {
        if self.is_closed() {
            return;
        }
        // Memory stores first, while the collections still accept writes: they stop their
        // background threads and write their pending access statistics.
        let memories: Vec<_> = self.memories.lock().unwrap_or_else(|p| p.into_inner()).drain().map(|(_, m)| m).collect();
        for m in &memories {
            m.close();
        }
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        {
            self.wake_lock().stop = true;
            self.wake.1.notify_all();
        }
        let threads = std::mem::take(&mut *self.flusher.lock().unwrap_or_else(|p| p.into_inner()));
        for t in threads {
            let _ = t.join();
        }
        // Stops the state's sweeper (no more writes), and without a log writes it to Lance.
        let _ = self.state.close();
        let flushed = self.flush_all();
        if let Some(w) = &self.wal {
            let _ = w.sync();
        }
        let collections: Vec<Collection> = self.collections.lock().unwrap_or_else(|p| p.into_inner()).drain().map(|(_, c)| c).collect();
        if !self.read_only {
            // Compaction and version cleanup past their thresholds, so that a store opened for
            // one request at a time does not pile up data files and versions. Nothing here can
            // lose data: a failed step leaves the table as it was, and is retried next time.
            for c in &collections {
                let _ = c.maintain_storage(true);
            }
            let hidden = self.maintain_hidden_tables(&collections);
            if flushed.is_ok() && self.sync_lance().is_ok() {
                // After the sync: what the cleanup keeps is on disk before what it replaced goes.
                let _ = self.prune_unread(&collections, &hidden);
                let _ = self.leave_synced_marker();
            }
        }
        for c in &collections {
            // An index that cannot be saved is rebuilt on the next open; closing still succeeds.
            let _ = c.save_index();
        }
        self.consumers.lock().unwrap_or_else(|p| p.into_inner()).clear();
        *self.lock.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.reader_lock.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Background maintenance of the collections flushed since the last round (see
    /// [`maintain_table`]).
    fn maintain_all(&self) {
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
        let Some(_readers_out) = lock_out_readers(&self.path) else { return Ok(()) };
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

/// Every file of the database's Lance tables (not the engine's own `_agentdb/`).
fn lance_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                if dir == root && entry.file_name() == INTERNAL_DIR {
                    continue;
                }
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    Ok(out)
}

/// Syncs every file or directory of `paths` to disk and returns those still there (one removed
/// meanwhile, by a compaction or cleanup, has nothing to keep). The syncs run side by side: the
/// file system commits concurrent syncs together, so a flush's dozen new files cost about one
/// sync instead of a dozen in a row (measured here: 12 files, 35-40 ms in a row, 7-19 ms at once).
fn sync_all(paths: Vec<PathBuf>) -> Result<Vec<PathBuf>> {
    const THREADS: usize = 8;
    let sync_one = |path: &PathBuf| -> Result<bool> {
        match std::fs::File::open(path) {
            Ok(f) => {
                f.sync_all()?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    };
    if paths.len() <= 1 {
        let mut out = Vec::new();
        for p in paths {
            if sync_one(&p)? {
                out.push(p);
            }
        }
        return Ok(out);
    }
    let threads = paths.len().min(THREADS);
    let kept: Vec<Result<Vec<bool>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let paths = &paths;
                let sync_one = &sync_one;
                scope.spawn(move || paths.iter().skip(t).step_by(threads).map(sync_one).collect::<Result<Vec<bool>>>())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(Error::internal("a sync thread panicked"))))
            .collect()
    });
    let mut present = vec![false; paths.len()];
    for (t, k) in kept.into_iter().enumerate() {
        for (j, there) in k?.into_iter().enumerate() {
            present[t + j * threads] = there;
        }
    }
    Ok(paths.into_iter().zip(present).filter_map(|(p, there)| there.then_some(p)).collect())
}

/// Read-only openers hold a shared `flock` on the database directory itself for as long as they
/// are open, taken before they read anything; a closing writer that can take it exclusively knows
/// that no reader in any process has the database open, and removes old versions without waiting
/// out [`VERSION_GRACE`] (see [`DbShared::prune_unread`]). The directory cannot be replaced while
/// it holds the data, so every process locks the same inode (a lock file could be deleted under
/// its holders). The writer's own locks are on `_agentdb/` (see `lock.rs`), not on this.
///
/// This takes the reader's lock, waiting while a closing writer holds it exclusively (for the
/// length of a cleanup). Where `flock` is not supported, the writer cannot take the lock either and
/// keeps the grace; a reader that cannot open the directory to lock it says so on stderr.
fn hold_reader_lock(root: &Path) -> Option<std::fs::File> {
    match std::fs::File::open(root).and_then(|dir| dir.lock_shared().map(|()| dir)) {
        Ok(dir) => Some(dir),
        Err(e) => {
            eprintln!(
                "agentdb: warning: cannot lock {} for reading ({e}): a writer's cleanup may remove a version while this reader reads it",
                root.display()
            );
            None
        }
    }
}

/// The exclusive lock of [`hold_reader_lock`], if no reader holds it now; readers opening meanwhile
/// wait until it is dropped.
fn lock_out_readers(root: &Path) -> Option<std::fs::File> {
    let dir = std::fs::File::open(root).ok()?;
    dir.try_lock().ok()?;
    Some(dir)
}

/// On a writable open: if the last writer closed cleanly (see [`LANCE_SYNCED`]), the Lance files
/// present, which it made durable; the marker is removed (durably) before anything is written,
/// so a crash of this session leaves none behind. Otherwise nothing: the first flush syncs every
/// file.
fn take_synced_marker(root: &Path) -> Result<HashSet<PathBuf>> {
    let internal = root.join(INTERNAL_DIR);
    let marker = internal.join(LANCE_SYNCED);
    if !marker.exists() {
        return Ok(HashSet::new());
    }
    let files = lance_files(root)?;
    std::fs::remove_file(&marker)?;
    wal::sync_dir(&internal)?;
    Ok(files.into_iter().collect())
}

/// The background flusher: flushes every `FLUSH_INTERVAL`, or when asked, until the database
/// closes. Holds only a weak reference, so it never keeps a database alive.
fn flusher(db: Weak<DbShared>) {
    let mut last = Instant::now();
    loop {
        let Some(shared) = db.upgrade() else { return };
        {
            let mut wake = shared.wake_lock();
            let deadline = last + FLUSH_INTERVAL;
            while !wake.stop && !wake.flush && Instant::now() < deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                wake = shared.wake.1.wait_timeout(wake, left).unwrap_or_else(|p| p.into_inner()).0;
            }
            if wake.stop {
                return;
            }
            wake.flush = false;
        }
        last = Instant::now();
        let big = shared.wal.as_ref().is_some_and(|w| w.segment_bytes() > FLUSH_LOG_BYTES);
        // A failed flush keeps the records in the log (durable, replayed on the next open) and
        // is retried next round.
        let _ = shared.flush_all();
        if !big {
            shared.maintain_all();
        }
    }
}

/// `sync="batch"`: syncs the log every `BATCH_SYNC_INTERVAL`.
fn batch_syncer(db: Weak<DbShared>) {
    loop {
        let Some(shared) = db.upgrade() else { return };
        {
            let wake = shared.wake_lock();
            if wake.stop {
                return;
            }
            let (wake, _) = shared.wake.1.wait_timeout(wake, wal::BATCH_SYNC_INTERVAL).unwrap_or_else(|p| p.into_inner());
            if wake.stop {
                return;
            }
        }
        if let Some(w) = &shared.wal {
            let _ = w.sync();
        }
    }
}

impl Database {
    /// Opens the database in directory `path` for writing (`sync = "always"`), creating the
    /// directory if it does not exist.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Self::open_with(path, OpenOptions::default())
    }

    /// Opens the database in directory `path` with `options`.
    ///
    /// A writable open takes the database's lock (a second writer, in this process or another,
    /// fails with [`ErrorKind::DatabaseLocked`]) and replays the write-ahead log: every write
    /// that returned before a crash is there again. A read-only open needs the directory to
    /// exist.
    pub fn open_with(path: impl AsRef<Path>, options: OpenOptions) -> Result<Database> {
        let path = path.as_ref();
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
        let synced = if options.read_only { HashSet::new() } else { take_synced_marker(&path)? };
        let mut connect = lancedb::connect(&uri);
        if options.read_only {
            // See the writer's commits as they happen.
            connect = connect.read_consistency_interval(Duration::ZERO);
        }
        let conn = block_on(connect.execute())?;
        let mut pending: HashMap<String, Vec<Record>> = HashMap::new();
        for r in records {
            pending.entry(r.stream.clone()).or_default().push(r);
        }
        let state = State::open(conn.clone(), wal.clone(), options.read_only)?;
        let shared = Arc::new(DbShared {
            path,
            conn,
            collections: Mutex::new(HashMap::new()),
            memories: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
            read_only: options.read_only,
            payload_cache_bytes: options.payload_cache_bytes.unwrap_or(crate::payload::DEFAULT_PAYLOAD_CACHE_BYTES),
            wal,
            lock: Mutex::new(lock),
            reader_lock: Mutex::new(reader_lock),
            consumers: Mutex::new(HashMap::new()),
            pending: Mutex::new(pending),
            flushing: Mutex::new(()),
            synced_files: Mutex::new(synced),
            flusher: Mutex::new(Vec::new()),
            wake: (Mutex::new(Wake::default()), Condvar::new()),
            state,
        });
        let db = Database { handle: Arc::new(OpenHandle(shared.clone())), shared };
        if !options.read_only {
            db.shared.register_consumer(db.shared.state.consumer())?;
            db.replay_collections()?;
            let weak = Arc::downgrade(&db.shared);
            let mut threads = vec![std::thread::Builder::new()
                .name("agentdb-flush".into())
                .spawn(move || flusher(weak))
                .map_err(|e| Error::storage(format!("cannot start the flusher thread: {e}")))?];
            if options.sync == SyncMode::Batch {
                let weak = Arc::downgrade(&db.shared);
                threads.push(
                    std::thread::Builder::new()
                        .name("agentdb-sync".into())
                        .spawn(move || batch_syncer(weak))
                        .map_err(|e| Error::storage(format!("cannot start the log sync thread: {e}")))?,
                );
            }
            *db.shared.flusher.lock().unwrap_or_else(|p| p.into_inner()) = threads;
        }
        Ok(db)
    }

    /// Opens every collection the log holds records for, which replays them; records of a
    /// collection that no longer exists (dropped before the crash) are discarded.
    fn replay_collections(&self) -> Result<()> {
        let mut streams: Vec<String> = {
            let pending = self.shared.pending.lock().unwrap_or_else(|p| p.into_inner());
            // The state's stream was replayed when it registered: any stream but a collection's
            // is unknown, and refused before anything is replayed.
            let unknown = pending.iter().filter(|(s, _)| !s.starts_with(crate::buffer::STREAM_PREFIX));
            if let Some(r) = unknown.filter_map(|(_, records)| records.first()).min_by_key(|r| r.lsn) {
                return Err(crate::wal::unknown_stream(r));
            }
            pending.keys().cloned().collect()
        };
        streams.sort_unstable();
        for stream in streams {
            let Some(name) = stream.strip_prefix(crate::buffer::STREAM_PREFIX) else { continue };
            match self.get_collection_any(name) {
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::CollectionNotFound | ErrorKind::InvalidName) => {
                    self.shared.unregister_consumer(&stream)?;
                }
                // One collection's unusable record does not keep the rest of the log from being
                // recovered: the database opens, and that collection fails with this error
                // until the record is repaired or the collection dropped.
                Err(e) if crate::wal::is_unusable_record(&e) => eprintln!("agentdb: warning: {}", e.message()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The database directory (absolute).
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Whether the database was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.shared.read_only
    }

    /// The durability mode of a writable database (`None` when read-only).
    pub fn sync_mode(&self) -> Option<SyncMode> {
        self.shared.wal.as_ref().map(|w| w.mode())
    }

    pub(crate) fn shared(&self) -> &Arc<DbShared> {
        &self.shared
    }

    /// The agent state of this database (versioned key/values, checkpoints).
    pub fn state(&self) -> Result<State> {
        self.ensure_open()?;
        Ok(self.shared.state.clone().kept_by(self.keep_alive()))
    }

    /// Writes every buffered write to Lance now (one commit per collection / module) and trims
    /// the log. Writes are already durable when they return; this makes them visible to
    /// read-only openers and shortens the next open's replay. Does nothing when read-only.
    pub fn flush(&self) -> Result<()> {
        self.ensure_open()?;
        self.shared.flush_all()?;
        if let Some(w) = &self.shared.wal {
            w.sync()?;
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
        self.shared.ensure_writable()?;
        self.shared.flush_all()?;
        let collections: Vec<Collection> = self.registry().values().cloned().collect();
        for c in &collections {
            c.optimize()?;
        }
        // The agent state writes its tables only in a flush round: hold the round.
        let _round = self.shared.flushing.lock().unwrap_or_else(|p| p.into_inner());
        let names = block_on(self.shared.conn.table_names().execute())?;
        for name in names.iter().filter(|n| is_hidden(n) && !collections.iter().any(|c| c.name() == n.as_str())) {
            let table = block_on(self.shared.conn.open_table(name).execute())?;
            block_on(compact_table(&table))?;
        }
        self.shared.sync_lance()
    }

    /// Closes the database: flushes buffered writes to Lance, stops the background threads,
    /// saves indexes and releases the lock. Every handle to it and to its collections fails with
    /// [`ErrorKind::Closed`] from then on. Closing twice is harmless. Nothing is lost even if the
    /// final flush fails: the writes stay in the log and are replayed on the next open.
    pub fn close(&self) {
        self.shared.close();
    }

    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    fn ensure_open(&self) -> Result<()> {
        if self.shared.is_closed() {
            return Err(Error::new(ErrorKind::Closed, "the database is closed"));
        }
        Ok(())
    }

    /// What a user's handle to a part of this database (a collection, memory store, state store
    /// or RAG) holds so the database stays open as long as the handle lives.
    pub(crate) fn keep_alive(&self) -> Arc<OpenHandle> {
        self.handle.clone()
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, HashMap<String, Collection>> {
        self.shared.collections.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates an empty collection of `dim`-dimensional vectors compared by `metric`.
    pub fn create_collection(&self, name: &str, dim: usize, metric: Metric) -> Result<Collection> {
        check_not_hidden(name)?;
        Ok(self.create_collection_any(name, dim, metric)?.kept_by(self.handle.clone()))
    }

    /// [`Database::create_collection`] for any name, hidden ones included (engine modules).
    pub(crate) fn create_collection_any(&self, name: &str, dim: usize, metric: Metric) -> Result<Collection> {
        self.ensure_open()?;
        self.shared.ensure_writable()?;
        validate_collection_name(name)?;
        if dim == 0 || dim > schema::MAX_DIM {
            return Err(Error::invalid_argument(format!("dim must be between 1 and {}, got {dim}", schema::MAX_DIM)));
        }
        let mut registry = self.registry();
        if self.all_collection_names()?.iter().any(|n| n == name) {
            return Err(Error::new(ErrorKind::CollectionExists, format!("collection '{name}' already exists")));
        }
        // Index files left by an earlier collection of this name describe other data.
        crate::index_file::remove(&self.shared.path, name)?;
        let table = block_on(
            self.shared
                .conn
                .create_empty_table(name, schema::new_collection_schema(dim, metric))
                .execute(),
        )?;
        let layout = Layout { dim, metric, meta: Vec::new() };
        let c = Collection::new(name.to_owned(), table, layout, self.shared.clone());
        self.shared.register_consumer(Arc::new(c.clone()))?;
        registry.insert(name.to_owned(), c.clone());
        Ok(c)
    }

    /// Opens an existing collection.
    pub fn get_collection(&self, name: &str) -> Result<Collection> {
        check_not_hidden(name)?;
        Ok(self.get_collection_any(name)?.kept_by(self.handle.clone()))
    }

    /// [`Database::get_collection`] for any name, hidden ones included (engine modules).
    pub(crate) fn get_collection_any(&self, name: &str) -> Result<Collection> {
        self.ensure_open()?;
        validate_collection_name(name)?;
        let mut registry = self.registry();
        if let Some(c) = registry.get(name) {
            return Ok(c.clone());
        }
        let table = block_on(self.shared.conn.open_table(name).execute())?;
        let schema = block_on(table.schema())?;
        let layout = Layout::from_schema(name, &schema)?;
        let c = Collection::new(name.to_owned(), table, layout, self.shared.clone());
        self.shared.register_consumer(Arc::new(c.clone()))?;
        registry.insert(name.to_owned(), c.clone());
        Ok(c)
    }

    /// Opens the collection, creating it if it does not exist. An existing collection must have
    /// the same dimension and metric.
    pub fn get_or_create_collection(&self, name: &str, dim: usize, metric: Metric) -> Result<Collection> {
        check_not_hidden(name)?;
        Ok(self.get_or_create_collection_any(name, dim, metric)?.kept_by(self.handle.clone()))
    }

    /// [`Database::get_or_create_collection`] for any name, hidden ones included (engine modules).
    pub(crate) fn get_or_create_collection_any(&self, name: &str, dim: usize, metric: Metric) -> Result<Collection> {
        match self.get_collection_any(name) {
            Ok(c) => {
                if c.dim() != dim || c.metric() != metric {
                    return Err(Error::invalid_argument(format!(
                        "collection '{name}' exists with dim={} metric={}, not dim={dim} metric={}",
                        c.dim(),
                        c.metric().as_str(),
                        metric.as_str()
                    )));
                }
                Ok(c)
            }
            Err(e) if e.kind() == ErrorKind::CollectionNotFound => match self.create_collection_any(name, dim, metric) {
                // Lost a race with another creator: open theirs.
                Err(e) if e.kind() == ErrorKind::CollectionExists => self.get_collection_any(name),
                other => other,
            },
            Err(e) => Err(e),
        }
    }

    /// The names of all collections, sorted (the engine's hidden ones are not listed).
    pub fn list_collections(&self) -> Result<Vec<String>> {
        let mut names = self.all_collection_names()?;
        names.retain(|n| !is_hidden(n));
        Ok(names)
    }

    /// The names of every collection, hidden ones included, sorted.
    pub(crate) fn all_collection_names(&self) -> Result<Vec<String>> {
        self.ensure_open()?;
        let mut names = block_on(self.shared.conn.table_names().execute())?;
        names.retain(|n| validate_collection_name(n).is_ok());
        names.sort();
        Ok(names)
    }

    /// Deletes a collection and its data (buffered writes too). Open handles to it fail with
    /// [`ErrorKind::Closed`].
    pub fn drop_collection(&self, name: &str) -> Result<()> {
        check_not_hidden(name)?;
        self.drop_collection_any(name)
    }

    /// [`Database::drop_collection`] for any name, hidden ones included (engine modules).
    pub(crate) fn drop_collection_any(&self, name: &str) -> Result<()> {
        self.ensure_open()?;
        self.shared.ensure_writable()?;
        validate_collection_name(name)?;
        let mut registry = self.registry();
        if !self.all_collection_names()?.iter().any(|n| n == name) {
            return Err(Error::new(ErrorKind::CollectionNotFound, format!("collection '{name}' does not exist")));
        }
        // A flush, compaction or index build of the collection already running on another thread
        // (the background flusher) would write into the table's directory while Lance removes
        // it, and the drop would fail half-way ("Directory not empty"). Marked dropped, none
        // starts; holding its flush and write locks (in the buffer's lock order) waits for the
        // one running.
        let open = registry.get(name).cloned();
        let _quiet = open.as_ref().map(|c| {
            c.inner.dropped.store(true, Ordering::Release);
            let flush = c.inner.flush_lock.lock().unwrap_or_else(|p| p.into_inner());
            (flush, c.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner()))
        });
        if let Err(e) = block_on(self.shared.conn.drop_table(name, &[])) {
            // Not dropped: the open handles go on working (and the next open is not handed a
            // dropped collection).
            if let Some(c) = &open {
                c.inner.dropped.store(false, Ordering::Release);
            }
            return Err(e.into());
        }
        // The table is gone: so is the collection, even if a step below fails.
        if let Some(c) = registry.remove(name) {
            c.discard_buffer();
        }
        crate::index_file::remove(&self.shared.path, name)?;
        // After the table is gone: a crash in between replays records of a collection that no
        // longer exists, which are discarded.
        self.shared.unregister_consumer(&crate::buffer::stream_name(name))?;
        Ok(())
    }
}

/// Collections whose names start with this are the engine's own (memory stores, RAG chunks):
/// users cannot create, open or drop them by name, and `list_collections` does not show them.
pub const HIDDEN_PREFIX: &str = "_agentdb_";

/// Whether a collection name is one of the engine's hidden ones.
pub fn is_hidden(name: &str) -> bool {
    name.starts_with(HIDDEN_PREFIX)
}

fn check_not_hidden(name: &str) -> Result<()> {
    if is_hidden(name) {
        return Err(Error::new(
            ErrorKind::InvalidName,
            format!("invalid collection name {name:?}: names starting with '{HIDDEN_PREFIX}' are reserved for AgentDB's internal collections"),
        ));
    }
    Ok(())
}

// ---- storage maintenance ---------------------------------------------------------------------
//
// Every flush (and every direct write) is a Lance commit: a new data file and a new version. So
// that a store opened for one request at a time does not pile them up, a writable database looks
// at each collection it wrote (and at the agent state's tables) when it closes, and the
// background flusher looks at each collection it flushed: past the thresholds below, the table is
// compacted and its old versions are removed, with Lance's own compaction and cleanup.

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
/// versions (`prune`, when allowed). Returns whether it compacted (the table has a new version).
/// The caller keeps its own writers out meanwhile.
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
        let versions = match local_dir(ds.uri()) {
            Some(dir) => listed_versions(&dir.join("_versions"))?,
            // Not on local disk: Lance's own listing (it reads every manifest).
            None => ds
                .versions()
                .await
                .map_err(lancedb::Error::from)?
                .iter()
                .map(|v| (v.version, std::time::SystemTime::from(v.timestamp)))
                .collect(),
        };
        let cutoff = std::time::SystemTime::now().checked_sub(grace + MTIME_SLACK).unwrap_or(std::time::UNIX_EPOCH);
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
const MTIME_SLACK: Duration = Duration::from_millis(50);

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
fn listed_versions(dir: &Path) -> Result<Vec<(u64, std::time::SystemTime)>> {
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

    /// The directory listing names the same versions as Lance's own (which reads every manifest),
    /// with write times no earlier than the commit times the manifests hold.
    #[test]
    fn listed_versions_match_lance() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let c = db.create_collection("c", 2, Metric::L2).unwrap();
        for i in 0..5 {
            let ids = vec![format!("r{i}")];
            let data = [i as f32, 1.0];
            c.add(&crate::records::Records {
                ids: &ids,
                vectors: crate::records::Vectors::Flat { data: &data, dim: 2 },
                documents: None,
                metadata: None,
            })
            .unwrap();
            db.flush().unwrap();
        }
        let table = block_on(db.shared.conn.open_table("c").execute()).unwrap();
        let lance = block_on(table.list_versions()).unwrap();
        let mut listed = listed_versions(&dir.path().join("c.lance").join("_versions")).unwrap();
        listed.sort_by_key(|(v, _)| *v);
        assert_eq!(listed.iter().map(|(v, _)| *v).collect::<Vec<_>>(), lance.iter().map(|v| v.version).collect::<Vec<_>>());
        for ((_, written), v) in listed.iter().zip(&lance) {
            let stamped = SystemTime::from(v.timestamp);
            assert!(
                *written + MTIME_SLACK >= stamped,
                "version {}: file written {:?} before its manifest's time",
                v.version,
                stamped.duration_since(*written).unwrap_or_default()
            );
        }
        // An explicit cleanup with no grace keeps the current version only.
        block_on(prune_superseded(&table, Duration::ZERO, 1)).unwrap();
        let left = listed_versions(&dir.path().join("c.lance").join("_versions")).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(c.count(None).unwrap(), 5);
        db.close();
    }

    fn session(path: &Path, i: usize) {
        let db = Database::open(path).unwrap();
        let c = db.get_or_create_collection("c", 2, Metric::L2).unwrap();
        let ids = vec![format!("r{i}")];
        let data = [i as f32, 1.0];
        c.add(&crate::records::Records {
            ids: &ids,
            vectors: crate::records::Vectors::Flat { data: &data, dim: 2 },
            documents: None,
            metadata: None,
        })
        .unwrap();
        db.close();
    }

    fn version_count(path: &Path) -> usize {
        listed_versions(&path.join("c.lance").join("_versions")).unwrap().len()
    }

    /// With no reader open, a close removes the replaced versions at once (past the batch of
    /// PRUNE_VERSIONS); with one open, the grace holds, and the reader reads on.
    #[test]
    fn readers_keep_the_grace_and_only_they() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path();
        let sessions = PRUNE_VERSIONS * 2;
        for i in 0..sessions {
            session(path, i);
            assert!(version_count(path) <= PRUNE_VERSIONS + 2, "session {i}: {} versions", version_count(path));
        }
        let reader = Database::open_with(path, OpenOptions { read_only: true, ..Default::default() }).unwrap();
        let before = version_count(path);
        let start = Instant::now();
        for i in sessions..sessions * 2 {
            session(path, i);
            assert_eq!(reader.get_collection("c").unwrap().count(None).unwrap(), i as u64 + 1);
        }
        // (Past the grace, the writer may remove the first versions the reader no longer reads.)
        if start.elapsed() < VERSION_GRACE {
            assert!(version_count(path) >= before + sessions, "{} versions, {before} before", version_count(path));
        }
        reader.close();
        session(path, sessions * 2);
        assert!(version_count(path) <= PRUNE_VERSIONS + 2, "{} versions after the reader closed", version_count(path));
        let db = Database::open(path).unwrap();
        assert_eq!(db.get_collection("c").unwrap().count(None).unwrap(), sessions as u64 * 2 + 1);
    }

    /// A reader opening while a closing writer holds the readers out waits, then opens.
    #[test]
    fn a_reader_waits_for_the_cleanup() {
        let dir = tempfile::tempdir().unwrap();
        session(dir.path(), 0);
        let held = lock_out_readers(dir.path()).expect("no reader holds the lock");
        assert!(lock_out_readers(dir.path()).is_none(), "the exclusive lock is taken once");
        let path = dir.path().to_path_buf();
        let opened = std::sync::Arc::new(AtomicBool::new(false));
        let flag = opened.clone();
        let t = std::thread::spawn(move || {
            let r = Database::open_with(&path, OpenOptions { read_only: true, ..Default::default() }).unwrap();
            flag.store(true, Ordering::SeqCst);
            assert!(lock_out_readers(&path).is_none(), "an open reader keeps the writer's cleanup out");
            r.get_collection("c").unwrap().count(None).unwrap()
        });
        std::thread::sleep(Duration::from_millis(200));
        assert!(!opened.load(Ordering::SeqCst), "the reader opened under the writer's exclusive lock");
        drop(held);
        assert_eq!(t.join().unwrap(), 1);
        assert!(lock_out_readers(dir.path()).is_some(), "a closed reader lets the writer's cleanup in");
    }
}
