//! Agent state: JSON values under (agent id, session id, key), versioned and never overwritten in
//! place, plus LangGraph-shaped checkpoints and pending writes.
//!
//! # Model
//! * Every write of a key makes a new version (1, 2, …); [`State::delete`] writes a tombstone
//!   version. Reads give the current value, the value of a version, the value at a time, the
//!   history of a key (newest first) and a session's whole state at a time.
//! * TTL: a key written with a TTL expires that long after the write; a session with a TTL expires
//!   that long after its last write (any put, delete or TTL setting in it). An expired key — or
//!   every key of an expired session — is gone *with its history*, as if purged: reads (also at
//!   past times) no longer see it, a background sweep removes its rows, and writing it again
//!   starts over at version 1. TTL is enforced on every read, whether or not the sweep has run.
//!   A version superseded before its TTL ran out stays in the history like any other.
//! * Checkpoints: opaque payload bytes with a type tag, JSON metadata and a parent id, per
//!   (thread, namespace, checkpoint id); ids sort by time (LangGraph uses uuid6), so the latest
//!   checkpoint is the one with the greatest id. Pending writes belong to one checkpoint and follow
//!   LangGraph's rules (see [`State::put_writes`]).
//!
//! # Storage
//! Everything is held in memory (the [`mem`] index, rebuilt on open) and stored in three hidden
//! Lance tables (see [`store`]), except the payloads of checkpoints already in Lance: those are
//! read from Lance when asked for, since checkpoints can be large and many.
//!
//! A write is one record of the database's write-ahead log (a batch of [`ops::Op`]s): it is
//! applied to memory under one lock, so a reader sees a batch whole or not at all, and it is
//! durable when the call returns; the database's flusher later writes what accumulated to Lance
//! in one commit per table. Without a log (read-only, or an engine built
//! without one) each write is committed to Lance before the call returns.

mod checkpoints;
mod kv;
mod mem;
pub(crate) mod ops;
mod store;
mod transfer;
pub(crate) use store::TABLES as STATE_TABLES;
pub use transfer::op_owner;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, Weak};
use std::time::Duration;

use mem::{key_expired, Mem, Pending};
use ops::{Op, WriteItem};

use crate::db::{Database, Service};
use crate::util::time::now_micros;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::context::KeepAlive;
use crate::storage::runtime::block_on;
use crate::storage::wal::{LogConsumer, Wal};

/// The log stream of agent state.
pub(crate) const STREAM: &str = "state";
/// The longest agent id, session id, key, thread id or checkpoint id, in bytes.
pub const MAX_STATE_NAME_LEN: usize = 4096;
/// How often the background sweep looks for expired keys and sessions.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);
/// The versions a binding's `history` returns when its caller gives no limit (one page).
pub const DEFAULT_HISTORY_LIMIT: usize = 100;

/// One version of a key.
#[derive(Debug, Clone, PartialEq)]
pub struct StateVersion {
    pub version: u64,
    /// The value as compact JSON text; `None` for a tombstone (a delete).
    pub value: Option<Arc<str>>,
    /// Microseconds since the Unix epoch (UTC). Strictly increasing across the writes of an open
    /// database, so each write has its own instant.
    pub written_at: i64,
    /// When this version expires (its TTL), microseconds since the epoch.
    pub expires_at: Option<i64>,
}

impl StateVersion {
    /// Whether this version is a tombstone.
    pub fn deleted(&self) -> bool {
        self.value.is_none()
    }
}

/// Which version [`State::get`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateAt {
    /// The current version.
    Latest,
    /// That version number.
    Version(u64),
    /// The version in force at that time (microseconds since the epoch).
    Time(i64),
}

/// A checkpoint as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub thread_id: String,
    pub namespace: String,
    pub checkpoint_id: String,
    pub parent_id: Option<String>,
    /// The serializer's type tag of `checkpoint`.
    pub type_: String,
    /// The payload, opaque to AgentDB.
    pub checkpoint: Arc<[u8]>,
    /// A JSON object.
    pub metadata: Arc<str>,
    /// Microseconds since the epoch.
    pub created_at: i64,
}

/// A pending write of a task, stored against a checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingWrite {
    pub task_id: String,
    /// Its position in the task's writes; negative for LangGraph's special channels (error,
    /// scheduled, interrupt, resume).
    pub idx: i64,
    pub channel: String,
    pub type_: String,
    pub value: Arc<[u8]>,
    pub task_path: String,
}

/// One pending write to store (see [`State::put_writes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct WriteInput {
    pub idx: i64,
    pub channel: String,
    pub type_: String,
    pub value: Vec<u8>,
}

/// What [`State::list_checkpoints`] returns.
#[derive(Debug, Clone, Default)]
pub struct CheckpointFilter {
    /// Only this thread (`None`: every thread).
    pub thread_id: Option<String>,
    /// Only this namespace (`None`: every namespace).
    pub namespace: Option<String>,
    /// Only checkpoints whose id sorts before this one (older ones).
    pub before: Option<String>,
    /// At most this many.
    pub limit: Option<usize>,
    /// Only checkpoints whose metadata has each of these top-level keys with an equal value.
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Agent state of one database (from [`Database::state`](crate::Database::state)). Cheap to
/// clone; clones share everything. A handle keeps its database open: the database closes when
/// the last handle to it or to any of its parts goes, or on
/// [`Database::close`](crate::Database::close), after which every call fails with
/// [`ErrorKind::Closed`].
#[derive(Clone)]
pub struct State {
    inner: Arc<Inner>,
    /// A user's handle keeps the database open; the database's own copy and the sweeper's do
    /// not, or the database could never close.
    _keep: Option<KeepAlive>,
}

/// How writes become durable.
enum Log {
    /// Through the database's write-ahead log; flushed to Lance by the database's flusher.
    Wal(Arc<Wal>),
    /// Straight to Lance, one flush per write call.
    Direct,
    /// Writes are refused.
    ReadOnly,
}

/// What the writer lock guards: what was applied but is not in Lance yet, and the clock.
struct Writer {
    pending: Vec<Pending>,
    /// The highest LSN applied, and the highest reported to the log as in Lance.
    applied: u64,
    reported: u64,
    /// Per table, the highest LSN it held on open: replay does not append those rows again.
    skip: [u64; 3],
    /// The last `written_at` handed out (they are strictly increasing).
    last_time: i64,
    /// LSNs of a database without a log.
    next_lsn: u64,
}

impl Writer {
    fn tick(&mut self) -> i64 {
        self.last_time = now_micros().max(self.last_time.saturating_add(1));
        self.last_time
    }
}

struct Inner {
    mem: RwLock<Mem>,
    writer: Mutex<Writer>,
    store: store::Store,
    /// Serialises flushes (a flush writes outside the writer lock).
    flushing: Mutex<()>,
    log: Log,
    closed: AtomicBool,
    /// The sweeper thread: started with the first TTL, stopped by `close`.
    sweeper: Mutex<Option<std::thread::JoinHandle<()>>>,
    stop: Arc<(Mutex<bool>, Condvar)>,
    /// The database's metrics registry, once attached to a database (see [`attach`]).
    metrics: std::sync::OnceLock<Arc<crate::util::metrics::Metrics>>,
}

fn check_name(what: &str, s: &str) -> Result<()> {
    if s.is_empty() {
        return Err(Error::invalid_argument(format!("{what} is empty")));
    }
    if s.len() > MAX_STATE_NAME_LEN {
        return Err(Error::invalid_argument(format!("{what} is longer than {MAX_STATE_NAME_LEN} bytes")));
    }
    Ok(())
}

fn check_len(what: &str, s: &str) -> Result<()> {
    if s.len() > MAX_STATE_NAME_LEN {
        return Err(Error::invalid_argument(format!("{what} is longer than {MAX_STATE_NAME_LEN} bytes")));
    }
    Ok(())
}

fn ttl_micros(ttl: Duration) -> Result<i64> {
    let us = ttl.as_micros();
    if us == 0 {
        return Err(Error::invalid_argument("a TTL must be positive (at least one microsecond)"));
    }
    i64::try_from(us).map_err(|_| Error::invalid_argument("the TTL is too long"))
}

/// How deeply a value may nest: the one limit of every value path, [`crate::types::value::MAX_VALUE_DEPTH`]
/// (each list or map one level). Stored JSON is parsed again on every read, by
/// [`crate::types::value::parse_json`], which enforces the same limit.
pub const MAX_JSON_DEPTH: usize = crate::types::value::MAX_VALUE_DEPTH;

fn check_depth(what: &str, v: &serde_json::Value) -> Result<()> {
    crate::types::value::check_json_depth(what, v)
}

/// A JSON object given as text (checkpoint metadata), compacted.
fn metadata_text(metadata: Option<&serde_json::Value>) -> Result<String> {
    match metadata {
        None => Ok("{}".into()),
        Some(v @ serde_json::Value::Object(_)) => {
            check_depth("checkpoint metadata", v)?;
            Ok(v.to_string())
        }
        Some(other) => Err(Error::invalid_argument(format!("checkpoint metadata must be a JSON object, got {other}"))),
    }
}

impl State {
    /// Loads the state of the database behind `conn`. With `wal`, writes go through it (the
    /// caller registers [`State::consumer`] with the database, which replays the log into it).
    pub(crate) fn open(conn: lancedb::Connection, wal: Option<Arc<Wal>>, read_only: bool) -> Result<State> {
        let (store, loaded) = block_on(store::Store::open(conn))?;
        let mut mem = Mem::default();
        let mut last_time = 0;
        for row in loaded.rows {
            if let mem::StoreRow::State { written_at, .. } = &row {
                last_time = last_time.max(*written_at);
            }
            mem.load(row);
        }
        let max_lsn = loaded.max_lsn.iter().copied().max().unwrap_or(0);
        let log = match (read_only, wal) {
            (true, _) => Log::ReadOnly,
            (false, Some(w)) => Log::Wal(w),
            (false, None) => Log::Direct,
        };
        let has_ttl = mem.ttl_rows > 0;
        let state = State {
            inner: Arc::new(Inner {
                mem: RwLock::new(mem),
                writer: Mutex::new(Writer {
                    pending: Vec::new(),
                    applied: 0,
                    reported: 0,
                    skip: loaded.max_lsn,
                    last_time,
                    next_lsn: max_lsn + 1,
                }),
                store,
                flushing: Mutex::new(()),
                metrics: std::sync::OnceLock::new(),
                log,
                closed: AtomicBool::new(false),
                sweeper: Mutex::new(None),
                stop: Arc::new((Mutex::new(false), Condvar::new())),
            }),
            _keep: None,
        };
        if has_ttl {
            state.ensure_sweeper();
        }
        Ok(state)
    }

    /// This state as a user's handle, which keeps the database open while it lives.
    pub(crate) fn kept_by(mut self, handle: KeepAlive) -> Self {
        self._keep = Some(handle);
        self
    }

    /// The log consumer to register with the database (replay and flush).
    pub(crate) fn consumer(&self) -> Arc<dyn LogConsumer> {
        Arc::new(Consumer(self.inner.clone()))
    }

    /// Stops the sweeper and makes every later call fail with [`ErrorKind::Closed`]; without a
    /// log, also writes what is buffered to Lance. The database calls it on close, before its
    /// final flush.
    pub(crate) fn close(&self) -> Result<()> {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        {
            let (lock, cv) = &*self.inner.stop;
            *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
            cv.notify_all();
        }
        if let Some(h) = self.inner.sweeper.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = h.join();
        }
        // With a log, the database flushes every consumer (this one too) right after.
        if !matches!(self.inner.log, Log::Direct) {
            return Ok(());
        }
        self.inner.flush().map(|_| ())
    }

    fn ensure_open(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(Error::new(ErrorKind::Closed, "the database is closed"));
        }
        Ok(())
    }

    fn mem(&self) -> RwLockReadGuard<'_, Mem> {
        self.inner.mem.read().unwrap_or_else(|p| p.into_inner())
    }

    /// For reads: the memory, first reloaded from Lance when the database is read-only and the
    /// writer (another process) committed since.
    fn read(&self) -> Result<RwLockReadGuard<'_, Mem>> {
        self.ensure_open()?;
        if matches!(self.inner.log, Log::ReadOnly) && block_on(self.inner.store.changed())? {
            let loaded = block_on(self.inner.store.load())?;
            let mut mem = Mem::default();
            for row in loaded.rows {
                mem.load(row);
            }
            *self.inner.mem.write().unwrap_or_else(|p| p.into_inner()) = mem;
        }
        Ok(self.mem())
    }

    /// Runs one write: `build` decides the operations from the current state (under the writer
    /// lock, so nothing changes in between), they are logged as one record, applied, and made
    /// durable before this returns.
    fn commit<R>(&self, build: impl FnOnce(&Mem, i64) -> Result<(Vec<Op>, R)>) -> Result<R> {
        self.ensure_open()?;
        let inner = &self.inner;
        if matches!(inner.log, Log::ReadOnly) {
            return Err(Error::new(ErrorKind::ReadOnly, "the database is open read-only: agent state cannot be written"));
        }
        let mut w = inner.lock_writer();
        let now = w.tick();
        let (ops, out) = build(&self.mem(), now)?;
        if ops.is_empty() {
            return Ok(out);
        }
        let uses_ttl = ops.iter().any(|op| {
            matches!(op, Op::Put { expires_at: Some(_), .. } | Op::SessionTtl { ttl: Some(_), .. })
        });
        let payload = ops::encode(&ops);
        let lsn = match &inner.log {
            Log::Wal(wal) => wal.submit(STREAM, &payload)?,
            _ => {
                w.next_lsn += 1;
                w.next_lsn - 1
            }
        };
        inner.apply(&mut w, lsn, &ops, false);
        drop(w);
        match &inner.log {
            Log::Wal(wal) => wal.wait(lsn)?,
            _ => {
                inner.flush()?;
            }
        }
        if uses_ttl {
            self.ensure_sweeper();
        }
        Ok(out)
    }

    fn ensure_sweeper(&self) {
        if matches!(self.inner.log, Log::ReadOnly) {
            return;
        }
        let mut slot = self.inner.sweeper.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() || self.inner.closed.load(Ordering::Acquire) {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let stop = self.inner.stop.clone();
        let spawned = std::thread::Builder::new().name("agentdb-state-sweep".into()).spawn(move || loop {
            {
                let (lock, cv) = &*stop;
                let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                let (guard, _) = cv.wait_timeout(guard, SWEEP_INTERVAL).unwrap_or_else(|p| p.into_inner());
                if *guard {
                    return;
                }
            }
            let Some(inner) = weak.upgrade() else { return };
            // A failed sweep is retried on the next tick; reads enforce TTL meanwhile.
            let _ = State { inner, _keep: None }.sweep();
        });
        // Without a thread (out of threads), reads still enforce TTL; rows go at the next sweep().
        if let Ok(h) = spawned {
            *slot = Some(h);
        }
    }

    /// Writes what is buffered to Lance now (the database's flusher does this in the background).
    pub fn flush(&self) -> Result<()> {
        self.ensure_open()?;
        if matches!(self.inner.log, Log::ReadOnly) {
            return Err(Error::new(ErrorKind::ReadOnly, "the database is open read-only"));
        }
        self.inner.flush().map(|_| ())
    }
}

/// The operations of writing `values` (`None`: a tombstone) to keys of one session at `now`.
/// A key (or the whole session) that expired is dropped first, so it starts over at version 1.
fn write_ops(
    mem: &Mem,
    now: i64,
    agent: &str,
    session: &str,
    values: Vec<(String, Option<String>)>,
    ttl: Option<i64>,
) -> (Vec<Op>, Vec<u64>) {
    let mut ops = Vec::new();
    let mut versions = Vec::new();
    let s = mem.session(agent, session);
    let session_expired = s.is_some_and(|s| s.expired(now));
    if session_expired && s.is_some_and(|s| !s.keys.is_empty()) {
        ops.push(Op::Drop { agent: agent.into(), session: Some(session.into()), key: None, keys_only: true, upto: None });
    }
    for (key, value) in values {
        let rows = if session_expired { None } else { s.and_then(|s| s.keys.get(&key)) };
        let version = match rows {
            Some(rows) if key_expired(rows, now) => {
                ops.push(Op::Drop {
                    agent: agent.into(),
                    session: Some(session.into()),
                    key: Some(key.clone()),
                    keys_only: false,
                    upto: None,
                });
                1
            }
            Some(rows) => rows.last().map_or(1, |r| r.version + 1),
            None => 1,
        };
        versions.push(version);
        ops.push(Op::Put {
            agent: agent.into(),
            session: session.into(),
            key,
            version,
            value,
            written_at: now,
            expires_at: ttl.map(|t| now.saturating_add(t)),
        });
    }
    (ops, versions)
}

impl Inner {
    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies the operations of the record at `lsn` to memory and queues their effects on Lance.
    /// On replay, rows a table already held on open are not queued again.
    fn apply(&self, w: &mut Writer, lsn: u64, ops: &[Op], replay: bool) {
        let mut mem = self.mem.write().unwrap_or_else(|p| p.into_inner());
        for op in ops {
            for effect in mem.apply(op, lsn) {
                if replay {
                    if let Pending::Append(row) = &effect {
                        if row.lsn() <= w.skip[row.target() as usize] {
                            continue;
                        }
                    }
                }
                w.pending.push(effect);
            }
            match op {
                Op::Put { written_at, .. } | Op::SessionTtl { written_at, .. } | Op::Writes { written_at, .. } => {
                    w.last_time = w.last_time.max(*written_at)
                }
                Op::Checkpoint { created_at, .. } => w.last_time = w.last_time.max(*created_at),
                _ => {}
            }
        }
        w.applied = w.applied.max(lsn);
        w.next_lsn = w.next_lsn.max(lsn + 1);
    }

    /// Writes the queued effects to Lance; returns the highest LSN now in Lance, if it advanced.
    fn flush(&self) -> Result<Option<u64>> {
        let _one = self.flushing.lock().unwrap_or_else(|p| p.into_inner());
        let (pending, upto) = {
            let mut w = self.lock_writer();
            if w.pending.is_empty() && w.applied <= w.reported {
                return Ok(None);
            }
            (std::mem::take(&mut w.pending), w.applied)
        };
        if !pending.is_empty() {
            match block_on(self.store.write(pending)) {
                Ok(written) => {
                    if !written.is_empty() {
                        self.mem.write().unwrap_or_else(|p| p.into_inner()).stub_checkpoints(&written);
                    }
                }
                Err((e, rest)) => {
                    let mut w = self.lock_writer();
                    let newer = std::mem::take(&mut w.pending);
                    w.pending = rest;
                    w.pending.extend(newer);
                    return Err(e);
                }
            }
        }
        let mut w = self.lock_writer();
        w.reported = w.reported.max(upto);
        Ok(Some(upto))
    }
}

/// The state as the log sees it.
struct Consumer(Arc<Inner>);

impl LogConsumer for Consumer {
    fn stream(&self) -> String {
        STREAM.to_owned()
    }

    fn replay(&self, lsn: u64, payload: &[u8]) -> Result<()> {
        let ops = ops::decode(payload)?;
        let mut w = self.0.lock_writer();
        self.0.apply(&mut w, lsn, &ops, true);
        Ok(())
    }

    fn flush(&self) -> Result<Option<u64>> {
        self.0.flush()
    }
}

/// The database's own copy of its agent state, closed with it.
struct StateService(State);

impl Service for StateService {
    fn finish(&self) {
        // Stops the sweeper (no more writes), and without a log writes the state to Lance.
        let _ = self.0.close();
    }
}

const SERVICE_KEY: &str = "state";

/// Loads the agent state of a database being opened, registers it with the database, and
/// replays its logged writes (see [`crate::Database::open_with`]).
pub(crate) fn attach(db: &Database) -> Result<()> {
    let shared = db.shared();
    let state = State::open(shared.conn.clone(), shared.store.wal().cloned(), db.is_read_only())?;
    let _ = state.inner.metrics.set(shared.store.metrics().clone());
    let consumer = state.consumer();
    // Registered before its replay, so a failed open still closes it.
    db.services().insert(SERVICE_KEY, Arc::new(StateService(state)));
    if !db.is_read_only() {
        shared.register_consumer(consumer)?;
    }
    Ok(())
}

impl Database {
    /// The agent state of this database (versioned key/values, checkpoints).
    pub fn state(&self) -> Result<State> {
        self.ensure_open()?;
        let service = self
            .services()
            .get::<StateService>(SERVICE_KEY)
            .ok_or_else(|| Error::new(ErrorKind::Closed, "the database is closed"))?;
        Ok(service.0.clone().kept_by(self.keep_alive()))
    }
}

#[cfg(test)]
mod tests;

impl State {
    /// Runs `f` as one `op` in the database's metrics (nothing is recorded before [`attach`]).
    #[inline]
    fn timed<T>(&self, op: crate::util::metrics::Op, items: usize, f: impl FnOnce() -> Result<T>) -> Result<T> {
        match self.inner.metrics.get() {
            Some(m) => m.time(op, false, items as u64, f),
            None => f(),
        }
    }
}

/// Whether `table` is one of the agent state's tables (for the database's stats).
pub(crate) fn is_state_table(table: &str) -> bool {
    store::TABLES.contains(&table)
}
