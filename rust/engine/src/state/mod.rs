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
//! read from Lance when asked for, since checkpoints can be large and many. A write is one record of the database's write-ahead log (a batch
//! of [`ops::Op`]s): it is applied to memory under one lock, so a reader sees a batch whole or not
//! at all, and it is durable when the call returns; the database's flusher later writes what
//! accumulated to Lance in one commit per table. Without a log (read-only, or an engine built
//! without one) each write is committed to Lance before the call returns.

mod mem;
pub(crate) mod ops;
mod store;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mem::{key_expired, Mem, Pending};
use ops::{Op, WriteItem};

use crate::error::{Error, ErrorKind, Result};
use crate::runtime::block_on;
use crate::wal::{LogConsumer, Wal};

/// The log stream of agent state.
pub(crate) const STREAM: &str = "state";
/// The longest agent id, session id, key, thread id or checkpoint id, in bytes.
pub const MAX_STATE_NAME_LEN: usize = 4096;
/// How often the background sweep looks for expired keys and sessions.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

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
    _keep: Option<Arc<crate::database::OpenHandle>>,
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
}

fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
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

/// How deeply a value may nest: the one limit of every value path, [`crate::value::MAX_VALUE_DEPTH`]
/// (each list or map one level). Stored JSON is parsed again on every read, by
/// [`crate::value::parse_json`], which enforces the same limit.
pub const MAX_JSON_DEPTH: usize = crate::value::MAX_VALUE_DEPTH;

fn check_depth(what: &str, v: &serde_json::Value) -> Result<()> {
    crate::value::check_json_depth(what, v)
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
    pub(crate) fn kept_by(mut self, handle: Arc<crate::database::OpenHandle>) -> Self {
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

    // ---------------------------------------------------------------------------------------
    // Key/value state
    // ---------------------------------------------------------------------------------------

    /// Writes a new version of `key` and returns its number (1 for a new key, or for a key whose
    /// earlier life expired). With `ttl`, this version expires that long after now.
    pub fn put(&self, agent: &str, session: &str, key: &str, value: &serde_json::Value, ttl: Option<Duration>) -> Result<u64> {
        let versions = self.put_many(agent, session, &[(key.to_owned(), value.clone())], ttl)?;
        versions.into_iter().next().ok_or_else(|| Error::internal("put wrote no version"))
    }

    /// Writes several keys of one session as one atomic batch (readers see all of it or none) and
    /// returns the new version of each, in order. Keys must not repeat.
    pub fn put_many(
        &self,
        agent: &str,
        session: &str,
        items: &[(String, serde_json::Value)],
        ttl: Option<Duration>,
    ) -> Result<Vec<u64>> {
        check_name("agent_id", agent)?;
        check_name("session_id", session)?;
        let mut seen = std::collections::HashSet::new();
        for (k, v) in items {
            check_name("key", k)?;
            check_depth(&format!("the value of {k:?}"), v)?;
            if !seen.insert(k.as_str()) {
                return Err(Error::invalid_argument(format!("key {k:?} appears twice in one batch")));
            }
        }
        let ttl = ttl.map(ttl_micros).transpose()?;
        let values: Vec<(String, Option<String>)> = items.iter().map(|(k, v)| (k.clone(), Some(v.to_string()))).collect();
        self.commit(|mem, now| Ok(write_ops(mem, now, agent, session, values, ttl)))
    }

    /// Deletes `key`: writes a tombstone version (the history keeps it) and returns its number;
    /// 0 when the key has no current value (nothing is written then).
    pub fn delete(&self, agent: &str, session: &str, key: &str) -> Result<u64> {
        check_name("agent_id", agent)?;
        check_name("session_id", session)?;
        check_name("key", key)?;
        self.commit(|mem, now| {
            let live = current(mem, agent, session, key, now).is_some_and(|r| r.value.is_some());
            if !live {
                return Ok((Vec::new(), vec![0]));
            }
            Ok(write_ops(mem, now, agent, session, vec![(key.to_owned(), None)], None))
        })
        .map(|v| v[0])
    }

    /// The version of `key` selected by `at` (see [`StateAt`]), or `None` if there is none: the
    /// key never existed, expired, or (for [`StateAt::Time`]) had no version yet or was deleted
    /// or expired at that time. A tombstone is returned as such for [`StateAt::Latest`] and
    /// [`StateAt::Version`] (check [`StateVersion::deleted`]).
    pub fn get(&self, agent: &str, session: &str, key: &str, at: StateAt) -> Result<Option<StateVersion>> {
        let mem = self.read()?;
        let now = now_micros();
        let Some(rows) = live_rows(&mem, agent, session, key, now) else { return Ok(None) };
        Ok(match at {
            StateAt::Latest => rows.last().map(mem::Row::to_version),
            StateAt::Version(v) => rows.iter().find(|r| r.version == v).map(mem::Row::to_version),
            StateAt::Time(t) => at_time(rows, t).map(mem::Row::to_version),
        })
    }

    /// The versions of `key`, newest first, tombstones included: at most `limit` after skipping
    /// `offset`. Empty for a key that never existed or expired.
    pub fn history(&self, agent: &str, session: &str, key: &str, limit: usize, offset: usize) -> Result<Vec<StateVersion>> {
        let mem = self.read()?;
        let Some(rows) = live_rows(&mem, agent, session, key, now_micros()) else { return Ok(Vec::new()) };
        Ok(rows.iter().rev().skip(offset).take(limit).map(mem::Row::to_version).collect())
    }

    /// Every key of a session with its value (JSON text), now or at time `at` (microseconds since
    /// the epoch), sorted by key. Deleted and expired keys are left out.
    pub fn snapshot(&self, agent: &str, session: &str, at: Option<i64>) -> Result<BTreeMap<String, Arc<str>>> {
        let mem = self.read()?;
        let now = now_micros();
        let mut out = BTreeMap::new();
        let Some(s) = mem.session(agent, session) else { return Ok(out) };
        if s.expired(now) {
            return Ok(out);
        }
        for (key, rows) in &s.keys {
            if key_expired(rows, now) {
                continue;
            }
            let row = match at {
                None => rows.last(),
                Some(t) => at_time(rows, t),
            };
            if let Some(v) = row.and_then(|r| r.value.clone()) {
                out.insert(key.clone(), v);
            }
        }
        Ok(out)
    }

    /// The keys [`State::snapshot`] would return.
    pub fn keys(&self, agent: &str, session: &str, at: Option<i64>) -> Result<Vec<String>> {
        Ok(self.snapshot(agent, session, at)?.into_keys().collect())
    }

    /// The sessions of `agent` that hold anything (a key, even deleted, or a TTL setting) and have
    /// not expired, sorted.
    pub fn sessions(&self, agent: &str) -> Result<Vec<String>> {
        let mem = self.read()?;
        let now = now_micros();
        let Some(sessions) = mem.agents.get(agent) else { return Ok(Vec::new()) };
        Ok(sessions
            .iter()
            .filter(|(_, s)| !s.expired(now) && (!s.settings.is_empty() || s.keys.values().any(|r| !key_expired(r, now))))
            .map(|(name, _)| name.clone())
            .collect())
    }

    /// Removes a session (or, with `session = None`, every session of the agent) for good: every
    /// version of every key and the TTL setting. Returns how many key versions were removed.
    pub fn purge(&self, agent: &str, session: Option<&str>) -> Result<u64> {
        check_name("agent_id", agent)?;
        if let Some(s) = session {
            check_name("session_id", s)?;
        }
        self.commit(|mem, _| {
            let n = mem.count_rows(agent, session);
            let exists = match session {
                Some(s) => mem.session(agent, s).is_some(),
                None => mem.agents.contains_key(agent),
            };
            if !exists {
                return Ok((Vec::new(), 0));
            }
            let op = Op::Drop { agent: agent.into(), session: session.map(Into::into), key: None, keys_only: false, upto: None };
            Ok((vec![op], n))
        })
    }

    /// Sets (or with `None` removes) the session's TTL: the session expires `ttl` after its last
    /// write. Setting it counts as a write.
    pub fn set_session_ttl(&self, agent: &str, session: &str, ttl: Option<Duration>) -> Result<()> {
        check_name("agent_id", agent)?;
        check_name("session_id", session)?;
        let ttl = ttl.map(ttl_micros).transpose()?;
        self.commit(|mem, now| {
            let mut ops = Vec::new();
            let s = mem.session(agent, session);
            if s.is_some_and(|s| s.expired(now) && !s.keys.is_empty()) {
                ops.push(Op::Drop { agent: agent.into(), session: Some(session.into()), key: None, keys_only: true, upto: None });
            }
            let version = s.and_then(|s| s.settings.last()).map_or(1, |r| r.version + 1);
            ops.push(Op::SessionTtl { agent: agent.into(), session: session.into(), version, ttl, written_at: now });
            Ok((ops, ()))
        })
    }

    /// The session's TTL, if it has one.
    pub fn session_ttl(&self, agent: &str, session: &str) -> Result<Option<Duration>> {
        let mem = self.read()?;
        Ok(mem.session(agent, session).and_then(|s| s.ttl()).map(|us| Duration::from_micros(us as u64)))
    }

    /// Removes the rows of expired keys and sessions now (the background sweep does this every
    /// second). Returns how many key versions were removed.
    pub fn sweep(&self) -> Result<u64> {
        if matches!(self.inner.log, Log::ReadOnly) {
            return Ok(0);
        }
        if self.mem().ttl_rows == 0 {
            return Ok(0);
        }
        self.commit(|mem, now| {
            let ops = mem.expired(now);
            let mut n = 0;
            for op in &ops {
                if let Op::Drop { agent, session: Some(s), key, .. } = op {
                    let sess = mem.session(agent, s);
                    n += match key {
                        Some(k) => sess.and_then(|x| x.keys.get(k)).map_or(0, |r| r.len() as u64),
                        None => sess.map_or(0, |x| x.keys.values().map(|r| r.len() as u64).sum()),
                    };
                }
            }
            Ok((ops, n))
        })
    }

    // ---------------------------------------------------------------------------------------
    // Checkpoints
    // ---------------------------------------------------------------------------------------

    /// Stores a checkpoint (replacing one with the same thread, namespace and id).
    #[allow(clippy::too_many_arguments)]
    pub fn put_checkpoint(
        &self,
        thread_id: &str,
        namespace: &str,
        checkpoint_id: &str,
        checkpoint: &[u8],
        parent_id: Option<&str>,
        metadata: Option<&serde_json::Value>,
        type_: &str,
    ) -> Result<()> {
        check_name("thread_id", thread_id)?;
        check_len("namespace", namespace)?;
        check_name("checkpoint_id", checkpoint_id)?;
        if let Some(p) = parent_id {
            check_name("parent_id", p)?;
        }
        check_len("type", type_)?;
        let metadata = metadata_text(metadata)?;
        self.commit(|_, now| {
            let op = Op::Checkpoint {
                thread: thread_id.into(),
                namespace: namespace.into(),
                id: checkpoint_id.into(),
                parent: parent_id.map(Into::into),
                type_: type_.into(),
                payload: checkpoint.to_vec(),
                metadata,
                created_at: now,
            };
            Ok((vec![op], ()))
        })
    }

    /// The checkpoint `checkpoint_id` of (thread, namespace), or with `None` the latest one (the
    /// greatest id).
    pub fn get_checkpoint(&self, thread_id: &str, namespace: &str, checkpoint_id: Option<&str>) -> Result<Option<Checkpoint>> {
        let found = self.with_payloads(|mem| {
            let Some(per) = mem.checkpoints.get(&(thread_id.to_owned(), namespace.to_owned())) else { return Vec::new() };
            match checkpoint_id {
                Some(id) => per.get(id).cloned().into_iter().collect(),
                None => per.values().next_back().cloned().into_iter().collect(),
            }
        })?;
        Ok(found.into_iter().next())
    }

    /// The checkpoints `select` picks from memory, with their payloads: those not held in memory
    /// are read from Lance. A row replaced (and flushed) between the two steps is picked again.
    fn with_payloads(&self, select: impl Fn(&Mem) -> Vec<Arc<mem::CkRow>>) -> Result<Vec<Checkpoint>> {
        for _ in 0..8 {
            let rows = {
                let mem = self.read()?;
                select(&mem)
            };
            let stubs: Vec<mem::CkKey> = rows
                .iter()
                .filter(|r| r.stub)
                .map(|r| (r.cp.thread_id.clone(), r.cp.namespace.clone(), r.cp.checkpoint_id.clone(), r.lsn))
                .collect();
            let payloads = if stubs.is_empty() { Default::default() } else { block_on(self.inner.store.payloads(&stubs))? };
            if payloads.len() < stubs.len() {
                continue;
            }
            if !payloads.is_empty() {
                let mut mem = self.inner.mem.write().unwrap_or_else(|p| p.into_inner());
                for (key, payload) in &payloads {
                    mem.cache_latest(key, payload);
                }
            }
            return Ok(rows
                .into_iter()
                .map(|r| {
                    let mut cp = r.cp.clone();
                    if r.stub {
                        let key = (cp.thread_id.clone(), cp.namespace.clone(), cp.checkpoint_id.clone(), r.lsn);
                        cp.checkpoint = payloads[&key].clone();
                    }
                    cp
                })
                .collect());
        }
        Err(Error::storage("checkpoints kept changing while being read; try again"))
    }

    /// Checkpoints matching `filter`, newest (greatest id) first.
    pub fn list_checkpoints(&self, filter: &CheckpointFilter) -> Result<Vec<Checkpoint>> {
        self.with_payloads(|mem| list_rows(mem, filter))
    }

    /// Stores the pending writes of task `task_id` against a checkpoint, as one atomic batch.
    /// LangGraph's rules: a write whose (task_id, idx) is already stored is ignored when
    /// `idx >= 0` (a retried task writes the same thing) and replaces the stored one when
    /// `idx < 0` (the special channels: error, scheduled, interrupt, resume); within one call,
    /// likewise the first regular and the last special write of an idx count.
    pub fn put_writes(
        &self,
        thread_id: &str,
        namespace: &str,
        checkpoint_id: &str,
        task_id: &str,
        writes: &[WriteInput],
        task_path: &str,
    ) -> Result<()> {
        check_name("thread_id", thread_id)?;
        check_len("namespace", namespace)?;
        check_name("checkpoint_id", checkpoint_id)?;
        check_len("task_id", task_id)?;
        check_len("task_path", task_path)?;
        for w in writes {
            check_len("channel", &w.channel)?;
            check_len("type", &w.type_)?;
        }
        // The same rules within one call, as LangGraph's in-memory saver applies them: of writes
        // sharing an idx, the first regular one counts and the last special one.
        let mut items: Vec<&WriteInput> = Vec::with_capacity(writes.len());
        for w in writes {
            match items.iter().position(|x| x.idx == w.idx) {
                Some(i) if w.idx < 0 => items[i] = w,
                Some(_) => {}
                None => items.push(w),
            }
        }
        if items.is_empty() {
            self.ensure_open()?;
            return Ok(());
        }
        self.commit(|_, now| {
            let op = Op::Writes {
                thread: thread_id.into(),
                namespace: namespace.into(),
                checkpoint: checkpoint_id.into(),
                task_id: task_id.into(),
                task_path: task_path.into(),
                items: items
                    .iter()
                    .map(|w| WriteItem { idx: w.idx, channel: w.channel.clone(), type_: w.type_.clone(), value: w.value.clone() })
                    .collect(),
                written_at: now,
            };
            Ok((vec![op], ()))
        })
    }

    /// The pending writes stored against a checkpoint, in LangGraph's order: by task path, task
    /// id, then idx.
    pub fn get_writes(&self, thread_id: &str, namespace: &str, checkpoint_id: &str) -> Result<Vec<PendingWrite>> {
        let mem = self.read()?;
        let key = (thread_id.to_owned(), namespace.to_owned(), checkpoint_id.to_owned());
        let mut out: Vec<PendingWrite> =
            mem.writes.get(&key).map(|per| per.values().map(|w| w.w.clone()).collect()).unwrap_or_default();
        out.sort_by(|a, b| (&a.task_path, &a.task_id, a.idx).cmp(&(&b.task_path, &b.task_id, b.idx)));
        Ok(out)
    }

    /// Removes every checkpoint and pending write of a thread (all namespaces).
    pub fn delete_thread(&self, thread_id: &str) -> Result<()> {
        check_name("thread_id", thread_id)?;
        self.commit(|mem, _| {
            let any = mem.checkpoints.keys().any(|(t, _)| t == thread_id) || mem.writes.keys().any(|(t, _, _)| t == thread_id);
            let ops = if any { vec![Op::DeleteThread { thread: thread_id.into() }] } else { Vec::new() };
            Ok((ops, ()))
        })
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

/// The checkpoint rows matching `filter`, newest first.
fn list_rows(mem: &Mem, filter: &CheckpointFilter) -> Vec<Arc<mem::CkRow>> {
    let mut found: Vec<&Arc<mem::CkRow>> = Vec::new();
    for ((thread, ns), per) in &mem.checkpoints {
        if filter.thread_id.as_ref().is_some_and(|t| t != thread) || filter.namespace.as_ref().is_some_and(|n| n != ns) {
            continue;
        }
        for (id, c) in per.iter().rev() {
            if filter.before.as_ref().is_some_and(|b| id.as_str() >= b.as_str()) {
                continue;
            }
            if let Some(want) = &filter.metadata {
                let meta = crate::value::parse_json(&c.cp.metadata).unwrap_or_default();
                if !want.iter().all(|(k, v)| meta.get(k) == Some(v)) {
                    continue;
                }
            }
            found.push(c);
        }
    }
    found.sort_by(|a, b| {
        let (a, b) = (&a.cp, &b.cp);
        b.checkpoint_id
            .cmp(&a.checkpoint_id)
            .then_with(|| a.thread_id.cmp(&b.thread_id))
            .then_with(|| a.namespace.cmp(&b.namespace))
    });
    let limit = filter.limit.unwrap_or(usize::MAX);
    found.into_iter().take(limit).cloned().collect()
}

/// The rows of a key, unless it, or its session, expired.
fn live_rows<'m>(mem: &'m Mem, agent: &str, session: &str, key: &str, now: i64) -> Option<&'m [mem::Row]> {
    let s = mem.session(agent, session)?;
    if s.expired(now) {
        return None;
    }
    let rows = s.keys.get(key)?;
    if key_expired(rows, now) {
        return None;
    }
    Some(rows)
}

fn current<'m>(mem: &'m Mem, agent: &str, session: &str, key: &str, now: i64) -> Option<&'m mem::Row> {
    live_rows(mem, agent, session, key, now)?.last()
}

/// The version in force at `t`: the last written at or before `t`, unless it is a tombstone or
/// had expired by `t`.
fn at_time(rows: &[mem::Row], t: i64) -> Option<&mem::Row> {
    let r = rows.iter().rev().find(|r| r.written_at <= t)?;
    if r.value.is_none() || r.expires_at.is_some_and(|e| e <= t) {
        return None;
    }
    Some(r)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wal::SyncMode;
    use serde_json::json;

    fn connect(dir: &std::path::Path) -> lancedb::Connection {
        block_on(lancedb::connect(dir.to_str().unwrap()).execute()).unwrap()
    }

    fn rows(conn: &lancedb::Connection, table: &str) -> usize {
        block_on(async { conn.open_table(table).execute().await.unwrap().count_rows(None).await.unwrap() })
    }

    /// A state over `dir` with its log replayed, as the database opens it.
    fn open(dir: &std::path::Path) -> (State, Arc<dyn LogConsumer>, Arc<Wal>) {
        let (wal, records) = Wal::open(&dir.join("wal"), SyncMode::Always).unwrap();
        let wal = Arc::new(wal);
        let st = State::open(connect(dir), Some(wal.clone()), false).unwrap();
        let consumer = st.consumer();
        for r in records.iter().filter(|r| r.stream == STREAM) {
            consumer.replay(r.lsn, &r.payload).unwrap();
        }
        (st, consumer, wal)
    }

    /// Flushed checkpoint payloads leave memory and are read back from Lance on demand.
    #[test]
    fn flushed_checkpoint_payloads_are_read_from_lance() {
        let dir = tempfile::tempdir().unwrap();
        let (st, consumer, _wal) = open(dir.path());
        let big = vec![7u8; 100_000];
        st.put_checkpoint("t", "", "1", &big, None, None, "raw").unwrap();
        st.put_checkpoint("t", "", "2", b"small", Some("1"), None, "raw").unwrap();
        let stub_in = |st: &State, id: &str| st.inner.mem.read().unwrap().checkpoints[&("t".to_string(), String::new())][id].stub;
        let stub = |id: &str| stub_in(&st, id);
        assert!(!stub("1"));
        consumer.flush().unwrap();
        // The latest checkpoint of the thread keeps its payload in memory.
        assert!(stub("1") && !stub("2"));
        assert_eq!(&st.get_checkpoint("t", "", Some("1")).unwrap().unwrap().checkpoint[..], &big[..]);
        let all = st.list_checkpoints(&CheckpointFilter::default()).unwrap();
        assert_eq!(all.iter().map(|c| c.checkpoint.len()).collect::<Vec<_>>(), vec![5, 100_000]);
        // Replaced after the flush: the new payload is in memory until the next flush.
        st.put_checkpoint("t", "", "1", b"new", None, None, "raw").unwrap();
        assert!(!stub("1"));
        assert_eq!(&st.get_checkpoint("t", "", Some("1")).unwrap().unwrap().checkpoint[..], b"new");
        consumer.flush().unwrap();
        assert!(stub("1") && !stub("2"));
        assert_eq!(&st.get_checkpoint("t", "", Some("1")).unwrap().unwrap().checkpoint[..], b"new");
        // A newer checkpoint takes over as the one kept in memory once it is flushed.
        st.put_checkpoint("t", "", "3", b"three", Some("2"), None, "raw").unwrap();
        consumer.flush().unwrap();
        assert!(stub("1") && stub("2") && !stub("3"));
        assert_eq!(&st.get_checkpoint("t", "", Some("2")).unwrap().unwrap().checkpoint[..], b"small");
        st.inner.closed.store(true, Ordering::Release);
        // On open, payloads are not loaded.
        let st = State::open(connect(dir.path()), None, true).unwrap();
        assert!(stub_in(&st, "1") && stub_in(&st, "2") && stub_in(&st, "3"));
        assert_eq!(&st.get_checkpoint("t", "", None).unwrap().unwrap().checkpoint[..], b"three");
        // Read once, the latest stays in memory; older ones do not.
        assert!(stub_in(&st, "1") && stub_in(&st, "2") && !stub_in(&st, "3"));
        assert_eq!(&st.get_checkpoint("t", "", Some("1")).unwrap().unwrap().checkpoint[..], b"new");
        assert!(stub_in(&st, "1"));
    }

    /// Values read back (from memory, from the log after a restart, from Lance after a flush)
    /// parse to exactly what was written: every double bit for bit (subnormals, -0.0), integers
    /// up to the u64 / i64 limits; and a value nested too deep is rejected.
    #[test]
    fn state_values_round_trip_exactly() {
        let mut floats = vec![0.0, -0.0, 0.1, 5e-324, -5e-324, f64::MIN_POSITIVE / 7.0, f64::MAX, f64::MIN];
        let mut x: u64 = 0x1234_5678_9ABC_DEF1;
        while floats.len() < 2_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            if f.is_finite() {
                floats.push(f);
            }
        }
        let ints = json!([i64::MIN, i64::MAX, u64::MAX, 1u64 << 53, (1u64 << 53) + 1, -(1i64 << 53) - 1]);
        let value = json!({"floats": floats, "ints": ints, "nested": {"a": [-0.0, {"b": 5e-324}]}});
        let bits = |v: &serde_json::Value| -> Vec<u64> {
            v["floats"].as_array().unwrap().iter().map(|f| f.as_f64().unwrap().to_bits()).collect()
        };
        let want: Vec<u64> = floats.iter().map(|f| f.to_bits()).collect();
        let check = |st: &State| {
            let got = st.get("a", "s", "k", StateAt::Latest).unwrap().unwrap();
            let back = crate::value::parse_json(got.value.as_deref().unwrap()).unwrap();
            assert_eq!(bits(&back), want);
            assert_eq!(back["ints"], ints);
            assert!(back["nested"]["a"][0].as_f64().unwrap().is_sign_negative());
            assert_eq!(back["nested"]["a"][1]["b"].as_f64(), Some(5e-324));
            assert_eq!(back, value);
        };
        let dir = tempfile::tempdir().unwrap();
        {
            let (st, _consumer, _wal) = open(dir.path());
            st.put("a", "s", "k", &value, None).unwrap();
            check(&st);
            st.inner.closed.store(true, Ordering::Release);
        }
        let (st, consumer, _wal) = open(dir.path()); // replayed from the log
        check(&st);
        consumer.flush().unwrap();
        st.inner.closed.store(true, Ordering::Release);
        let st = State::open(connect(dir.path()), None, true).unwrap(); // read from Lance
        check(&st);

        let mut deep = json!(1);
        for _ in 0..MAX_JSON_DEPTH {
            deep = json!([deep]);
        }
        let dir2 = tempfile::tempdir().unwrap();
        let (st, _consumer, _wal) = open(dir2.path());
        st.put("a", "s", "ok", &deep, None).unwrap();
        let e = st.put("a", "s", "deep", &json!([deep]), None).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        assert!(e.message().contains("nested more than"), "{}", e.message());
    }

    /// Every flush is a commit (a fragment); the store compacts a table every COMPACT_EVERY
    /// commits, and the rows survive it.
    #[test]
    fn flushed_tables_are_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let (st, consumer, _wal) = open(dir.path());
        for i in 0..70 {
            st.put("a", "s", "k", &json!(i), None).unwrap();
            consumer.flush().unwrap();
        }
        let conn = connect(dir.path());
        let fragments = block_on(async {
            let t = conn.open_table("_agentdb_state").execute().await.unwrap();
            t.stats().await.unwrap().fragment_stats.num_fragments
        });
        assert!(fragments < 10, "{fragments} fragments after compaction");
        assert_eq!(rows(&conn, "_agentdb_state"), 70);
        st.inner.closed.store(true, Ordering::Release);
        let st = State::open(connect(dir.path()), None, true).unwrap();
        let h = st.history("a", "s", "k", 100, 0).unwrap();
        assert_eq!(h.iter().map(|v| v.version).collect::<Vec<_>>(), (1..=70).rev().collect::<Vec<u64>>());
    }

    /// A crash after the Lance commit but before the log noted it: replay sees records whose rows
    /// are already in Lance, and must neither duplicate them nor undo later deletions.
    #[test]
    fn replay_after_flush_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (st, consumer, _wal) = open(dir.path());
            st.put("a", "s", "k", &json!(1), None).unwrap();
            st.put("a", "s", "k", &json!(2), None).unwrap();
            st.put("a", "s", "gone", &json!(0), None).unwrap();
            st.put_checkpoint("t", "", "1", b"one", None, None, "").unwrap();
            st.put_checkpoint("t", "", "1", b"one again", None, None, "").unwrap();
            let w = |idx, v: &str| WriteInput { idx, channel: "c".into(), type_: "".into(), value: v.as_bytes().to_vec() };
            st.put_writes("t", "", "1", "task", &[w(0, "a"), w(-1, "e1")], "").unwrap();
            st.put_writes("t", "", "1", "task", &[w(0, "b"), w(-1, "e2")], "").unwrap();
            consumer.flush().unwrap(); // in Lance, but the log is never told
            st.purge("a", Some("s")).unwrap();
            st.put("a", "s", "k", &json!(3), None).unwrap();
            consumer.flush().unwrap();
            st.put("a", "s", "k", &json!(4), None).unwrap(); // only in the log
            st.inner.closed.store(true, Ordering::Release);
        }
        for _ in 0..2 {
            let (st, consumer, _wal) = open(dir.path());
            let h = st.history("a", "s", "k", 10, 0).unwrap();
            assert_eq!(h.iter().map(|v| v.version).collect::<Vec<_>>(), vec![2, 1]);
            assert_eq!(h[0].value.as_deref(), Some("4"));
            assert!(st.get("a", "s", "gone", StateAt::Latest).unwrap().is_none());
            assert_eq!(&st.get_checkpoint("t", "", Some("1")).unwrap().unwrap().checkpoint[..], b"one again");
            let writes = st.get_writes("t", "", "1").unwrap();
            assert_eq!(writes.iter().map(|w| (w.idx, &w.value[..])).collect::<Vec<_>>(), vec![(-1, &b"e2"[..]), (0, &b"a"[..])]);
            consumer.flush().unwrap();
            let conn = connect(dir.path());
            assert_eq!(rows(&conn, "_agentdb_state"), 2);
            assert_eq!(rows(&conn, "_agentdb_checkpoints"), 1);
            assert_eq!(rows(&conn, "_agentdb_writes"), 2);
            st.inner.closed.store(true, Ordering::Release);
        }
    }

    /// The agent state outlives the database handle it came from and keeps the database open
    /// (its writes go to a log nobody else writes); the database closes when the last handle
    /// goes, and an explicit close makes the state fail with `Closed`.
    #[test]
    fn the_state_keeps_its_database_open() {
        let dir = tempfile::tempdir().unwrap();
        let st = crate::Database::open(dir.path()).unwrap().state().unwrap();
        assert_eq!(st.put("a", "s", "k", &json!(1), None).unwrap(), 1);
        assert_eq!(crate::Database::open(dir.path()).err().map(|e| e.kind()), Some(ErrorKind::DatabaseLocked));
        assert_eq!(st.put("a", "s", "k", &json!(2), None).unwrap(), 2);
        drop(st);
        let db = crate::Database::open(dir.path()).unwrap();
        let st = db.state().unwrap();
        assert_eq!(st.get("a", "s", "k", StateAt::Latest).unwrap().unwrap().version, 2);
        db.close();
        assert_eq!(st.get("a", "s", "k", StateAt::Latest).unwrap_err().kind(), ErrorKind::Closed);
        drop(st);
        drop(db);
        crate::Database::open(dir.path()).unwrap();
    }
}
