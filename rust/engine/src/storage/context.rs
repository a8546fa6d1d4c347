//! What every part of an open database shares about its files, below the database itself: the
//! directory, whether it is open and writable, the write-ahead log, flush requests to the
//! background flusher, and which Lance files are already durable. Collections hold this (not the
//! database), so they reach storage without reaching up to the database that holds them.

use std::any::Any;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::index::index_file;
use crate::index::params::IndexParams;
use crate::storage::lease::Lease;
use crate::storage::remote::Remote;
use crate::storage::wal::{SyncMode, Wal};
use crate::util::metrics::Metrics;

/// The engine's own files live here, inside the database directory.
pub(crate) const INTERNAL_DIR: &str = "_agentdb";
/// The names of the engine's own collections (behind memory stores, RAG, the agent state) start
/// with this; here, below both the database and the collections, so both can tell them apart.
pub(crate) const HIDDEN_PREFIX: &str = "_agentdb_";
/// Left in `_agentdb/` by a clean close of a writer, once every Lance file is on disk (per the
/// sync mode); the next writable open takes it away again. With it, the open trusts the files
/// present instead of syncing each again at its first flush (that walk grew with the number of
/// files: most of the time of an open → write → close session).
const LANCE_SYNCED: &str = "LANCE_SYNCED";

/// What a user's handle to a part of a database (a collection, memory store, state store or RAG)
/// holds so that the database stays open as long as the handle lives. Opaque here: the database
/// decides what it is.
pub(crate) type KeepAlive = Arc<dyn Any + Send + Sync>;

/// Why the background flusher wakes up.
#[derive(Default)]
pub(crate) struct Wake {
    pub(crate) flush: bool,
    pub(crate) stop: bool,
}

/// See the module comment.
pub(crate) struct StoreContext {
    path: PathBuf,
    read_only: bool,
    closed: AtomicBool,
    /// The limit of each collection's search payload cache (see `collection/payload.rs`).
    payload_cache_bytes: usize,
    wal: Option<Arc<Wal>>,
    /// Lance files already synced to disk (they never change once written).
    synced_files: Mutex<HashSet<PathBuf>>,
    wake: (Mutex<Wake>, Condvar),
    /// The database's metrics registry: every layer above records into it through this context.
    metrics: Arc<Metrics>,
    /// A database on an object store: the store (`path` is then its local directory, see
    /// `remote.rs`) and, when writable, the writer's lease.
    remote: Option<Arc<Remote>>,
    lease: Option<Arc<Lease>>,
}

impl StoreContext {
    pub(crate) fn new(path: PathBuf, read_only: bool, payload_cache_bytes: usize, wal: Option<Arc<Wal>>, synced: HashSet<PathBuf>) -> Self {
        StoreContext {
            path,
            read_only,
            closed: AtomicBool::new(false),
            payload_cache_bytes,
            wal,
            synced_files: Mutex::new(synced),
            wake: (Mutex::new(Wake::default()), Condvar::new()),
            metrics: Arc::new(Metrics::new(crate::util::metrics::enabled_by_env())),
            remote: None,
            lease: None,
        }
    }

    /// A database on the object store `remote` (with the writer's `lease`, when writable).
    pub(crate) fn on_remote(mut self, remote: Arc<Remote>, lease: Option<Arc<Lease>>) -> Self {
        self.remote = Some(remote);
        self.lease = lease;
        self
    }

    /// The object store of a database on one (`None` on local disk).
    pub(crate) fn remote(&self) -> Option<&Arc<Remote>> {
        self.remote.as_ref()
    }

    pub(crate) fn lease(&self) -> Option<&Arc<Lease>> {
        self.lease.as_ref()
    }

    /// Where Lance finds the tables: the object-store URI, or the local directory.
    pub(crate) fn uri(&self) -> String {
        match &self.remote {
            Some(r) => r.uri().to_owned(),
            None => self.path.display().to_string(),
        }
    }

    /// The parameters of `collection`'s index, `None` without one. On an object store they are
    /// kept there (`_agentdb/<name>.index.json`), so every machine's opener builds the same index;
    /// the saved graphs beside them on local disk are only caches.
    pub(crate) fn load_index_params(&self, collection: &str) -> Result<Option<IndexParams>> {
        let path = index_file::params_path(&self.path, collection);
        match &self.remote {
            Some(r) => match r.get(&params_object(collection))? {
                Some(f) => index_file::parse_params(&path, &String::from_utf8_lossy(&f.bytes)).map(Some),
                None => Ok(None),
            },
            None => index_file::load_params(&path),
        }
    }

    /// Records `collection`'s index parameters (see [`StoreContext::load_index_params`]).
    pub(crate) fn save_index_params(&self, collection: &str, params: IndexParams) -> Result<()> {
        if let Some(r) = &self.remote {
            r.put(&params_object(collection), index_file::params_json(params).into_bytes(), object_store::PutMode::Overwrite)?;
        }
        index_file::save_params(&index_file::params_path(&self.path, collection), params)
    }

    /// Removes `collection`'s index parameters and its saved index files.
    pub(crate) fn remove_index_files(&self, collection: &str) -> Result<()> {
        if let Some(r) = &self.remote {
            r.delete(&params_object(collection))?;
        }
        index_file::remove(&self.path, collection)
    }

    /// Refuses an operation that reads or writes the database's files directly (backup, verify):
    /// on an object store they are not on this machine.
    pub(crate) fn ensure_local(&self, what: &str) -> Result<()> {
        match &self.remote {
            Some(r) => Err(Error::invalid_argument(format!(
                "{what} works on a database on local disk; {} is on an object store (use the store's own versioning or replication)",
                r.uri()
            ))),
            None => Ok(()),
        }
    }

    pub(crate) fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Marks the database closed; returns whether it already was.
    pub(crate) fn mark_closed(&self) -> bool {
        self.closed.swap(true, Ordering::AcqRel)
    }

    pub(crate) fn wal(&self) -> Option<&Arc<Wal>> {
        self.wal.as_ref()
    }

    pub(crate) fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub(crate) fn payload_cache_bytes(&self) -> usize {
        self.payload_cache_bytes
    }

    pub(crate) fn ensure_writable(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::new(ErrorKind::ReadOnly, format!("the database {} is open read-only", self.uri())));
        }
        if let Some(lease) = &self.lease {
            lease.check()?;
        }
        Ok(())
    }

    pub(crate) fn wake_lock(&self) -> MutexGuard<'_, Wake> {
        self.wake.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits on the flusher's wake-up for at most `timeout`.
    pub(crate) fn wait_wake<'a>(&self, wake: MutexGuard<'a, Wake>, timeout: Duration) -> MutexGuard<'a, Wake> {
        self.wake.1.wait_timeout(wake, timeout).unwrap_or_else(|p| p.into_inner()).0
    }

    /// Asks the background flusher for a flush round now (a buffer grew large).
    pub(crate) fn request_flush(&self) {
        self.wake_lock().flush = true;
        self.wake.1.notify_all();
    }

    /// Tells the background threads to stop.
    pub(crate) fn request_stop(&self) {
        self.wake_lock().stop = true;
        self.wake.1.notify_all();
    }

    /// Makes every Lance file written since the last call durable (Lance's local store does not
    /// sync). Needed before the log drops records that those files now hold.
    pub(crate) fn sync_lance(&self) -> Result<()> {
        let Some(wal) = &self.wal else { return Ok(()) };
        // An object store's puts are durable when they return.
        if wal.mode() == SyncMode::Off || self.remote.is_some() {
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
    pub(crate) fn leave_synced_marker(&self) -> Result<()> {
        if self.wal.as_ref().is_none_or(|w| w.mode() == SyncMode::Off) || self.remote.is_some() {
            return Ok(());
        }
        let internal = self.path.join(INTERNAL_DIR);
        std::fs::File::create(internal.join(LANCE_SYNCED))?.sync_all()?;
        crate::util::fs::sync_dir(&internal)
    }
}

/// The object holding a collection's index parameters on an object store.
fn params_object(collection: &str) -> String {
    format!("{collection}.index.json")
}

/// On a writable open: if the last writer closed cleanly (see [`LANCE_SYNCED`]), the Lance files
/// present, which it made durable; the marker is removed (durably) before anything is written,
/// so a crash of this session leaves none behind. Otherwise nothing: the first flush syncs every
/// file.
pub(crate) fn take_synced_marker(root: &Path) -> Result<HashSet<PathBuf>> {
    let internal = root.join(INTERNAL_DIR);
    let marker = internal.join(LANCE_SYNCED);
    if !marker.exists() {
        return Ok(HashSet::new());
    }
    let files = lance_files(root)?;
    std::fs::remove_file(&marker)?;
    crate::util::fs::sync_dir(&internal)?;
    Ok(files.into_iter().collect())
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

