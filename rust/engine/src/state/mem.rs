//! The in-memory index of agent state: every stored row, organised for reads. It is rebuilt on
//! open from the Lance tables plus the log, and every operation is applied here first (under the
//! state's writer lock), so reads never touch Lance.
//!
//! Applying an operation also yields its effects on the Lance tables ([`Pending`]): rows to append
//! and rows to delete. Application is idempotent: replaying a record whose rows are already here
//! (loaded from Lance) changes nothing, because rows are identified by their version (state),
//! their id (checkpoints) or their (task, idx) (pending writes), and deletions only remove rows
//! older than the operation (by LSN).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::ops::Op;
use super::{Checkpoint, PendingWrite, StateVersion};

/// One version of a key.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub version: u64,
    /// Compact JSON; `None` for a tombstone.
    pub value: Option<Arc<str>>,
    pub written_at: i64,
    pub expires_at: Option<i64>,
    pub lsn: u64,
}

impl Row {
    pub fn to_version(&self) -> StateVersion {
        StateVersion { version: self.version, value: self.value.clone(), written_at: self.written_at, expires_at: self.expires_at }
    }
}

/// One setting of a session's TTL.
#[derive(Debug, Clone)]
pub(crate) struct SettingRow {
    pub version: u64,
    pub ttl: Option<i64>,
    pub written_at: i64,
    pub lsn: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Session {
    /// Versions of each key, oldest first.
    pub keys: BTreeMap<String, Vec<Row>>,
    /// TTL settings, oldest first; the last one is in force.
    pub settings: Vec<SettingRow>,
    /// The latest `written_at` of any row of the session: a session TTL counts from here.
    pub last_activity: i64,
}

impl Session {
    pub fn ttl(&self) -> Option<i64> {
        self.settings.last().and_then(|s| s.ttl)
    }

    /// Whether the session's TTL has run out: then the session's keys are gone.
    pub fn expired(&self, now: i64) -> bool {
        self.ttl().is_some_and(|ttl| self.last_activity.saturating_add(ttl) <= now)
    }

    fn recompute_activity(&mut self) {
        let keys = self.keys.values().flat_map(|rows| rows.iter().map(|r| r.written_at));
        let settings = self.settings.iter().map(|s| s.written_at);
        self.last_activity = keys.chain(settings).max().unwrap_or(i64::MIN);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.settings.is_empty()
    }
}

/// Whether a key's current version has expired: then the key is gone, with its history.
pub(crate) fn key_expired(rows: &[Row], now: i64) -> bool {
    rows.last().and_then(|r| r.expires_at).is_some_and(|e| e <= now)
}

#[derive(Debug)]
pub(crate) struct CkRow {
    pub cp: Checkpoint,
    pub lsn: u64,
    /// The payload is not held in memory (`cp.checkpoint` is empty): it is in Lance, read on
    /// demand. Checkpoints can be large and many, so only unflushed payloads (and the latest
    /// checkpoint of each thread and namespace) stay in memory.
    pub stub: bool,
    /// The row is in Lance.
    pub flushed: bool,
}

/// Identifies one stored checkpoint row: (thread, namespace, id, lsn).
pub(crate) type CkKey = (String, String, String, u64);

#[derive(Debug)]
pub(crate) struct WriteRow {
    pub w: PendingWrite,
    pub written_at: i64,
    pub lsn: u64,
}

/// The three Lance tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    State = 0,
    Checkpoints = 1,
    Writes = 2,
}

/// A value of a column a deletion matches on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field {
    Str(String),
    Int(i64),
}

/// "Delete the rows of `target` whose columns equal `eq`, with an LSN of at most `upto`" (and,
/// with `keys_only`, only key rows, not session settings).
#[derive(Debug, Clone)]
pub(crate) struct Delete {
    pub target: Target,
    pub eq: Vec<(&'static str, Field)>,
    pub keys_only: bool,
    pub upto: u64,
}

/// A row as it goes to Lance.
#[derive(Debug, Clone)]
pub(crate) enum StoreRow {
    State {
        agent: String,
        session: String,
        /// `None`: a session setting row.
        key: Option<String>,
        version: u64,
        value: Option<Arc<str>>,
        written_at: i64,
        expires_at: Option<i64>,
        ttl: Option<i64>,
        lsn: u64,
    },
    Checkpoint(Arc<CkRow>),
    Write { thread: String, namespace: String, checkpoint: String, row: Arc<WriteRow> },
}

impl StoreRow {
    pub fn target(&self) -> Target {
        match self {
            StoreRow::State { .. } => Target::State,
            StoreRow::Checkpoint(_) => Target::Checkpoints,
            StoreRow::Write { .. } => Target::Writes,
        }
    }

    pub fn lsn(&self) -> u64 {
        match self {
            StoreRow::State { lsn, .. } => *lsn,
            StoreRow::Checkpoint(c) => c.lsn,
            StoreRow::Write { row, .. } => row.lsn,
        }
    }

    fn field(&self, name: &str) -> Option<Field> {
        let s = |v: &str| Some(Field::Str(v.to_owned()));
        match (self, name) {
            (StoreRow::State { agent, .. }, "agent_id") => s(agent),
            (StoreRow::State { session, .. }, "session_id") => s(session),
            (StoreRow::State { key, .. }, "state_key") => key.as_deref().and_then(s),
            (StoreRow::Checkpoint(c), "thread_id") => s(&c.cp.thread_id),
            (StoreRow::Checkpoint(c), "checkpoint_ns") => s(&c.cp.namespace),
            (StoreRow::Checkpoint(c), "checkpoint_id") => s(&c.cp.checkpoint_id),
            (StoreRow::Write { thread, .. }, "thread_id") => s(thread),
            (StoreRow::Write { namespace, .. }, "checkpoint_ns") => s(namespace),
            (StoreRow::Write { checkpoint, .. }, "checkpoint_id") => s(checkpoint),
            (StoreRow::Write { row, .. }, "task_id") => s(&row.w.task_id),
            (StoreRow::Write { row, .. }, "idx") => Some(Field::Int(row.w.idx)),
            _ => None,
        }
    }

    /// Whether `d` deletes this row (the same test its SQL predicate makes).
    pub fn deleted_by(&self, d: &Delete) -> bool {
        if self.target() != d.target || self.lsn() > d.upto {
            return false;
        }
        if d.keys_only && matches!(self, StoreRow::State { key: None, .. }) {
            return false;
        }
        d.eq.iter().all(|(col, v)| self.field(col).as_ref() == Some(v))
    }
}

/// An effect on Lance of one applied operation.
#[derive(Debug, Clone)]
pub(crate) enum Pending {
    Append(StoreRow),
    Delete(Delete),
}

#[derive(Debug, Default)]
pub(crate) struct Mem {
    /// agent → session → session state.
    pub agents: HashMap<String, BTreeMap<String, Session>>,
    /// (thread, namespace) → checkpoint id → checkpoint. Ids sort by time, so the last is the latest.
    pub checkpoints: BTreeMap<(String, String), BTreeMap<String, Arc<CkRow>>>,
    /// (thread, namespace, checkpoint id) → (task id, idx) → write.
    pub writes: BTreeMap<(String, String, String), BTreeMap<(String, i64), Arc<WriteRow>>>,
    /// How many rows and sessions carry a TTL (the sweeper has nothing to do while this is 0).
    pub ttl_rows: usize,
}

impl Mem {
    pub fn session(&self, agent: &str, session: &str) -> Option<&Session> {
        self.agents.get(agent)?.get(session)
    }

    /// Inserts a row read from Lance (no effects: it is already there).
    pub fn load(&mut self, row: StoreRow) {
        self.insert(row);
    }

    /// Inserts a row unless an equal one is present; returns whether it was inserted.
    fn insert(&mut self, row: StoreRow) -> bool {
        match row {
            StoreRow::State { agent, session, key, version, value, written_at, expires_at, ttl, lsn } => {
                let s = self.agents.entry(agent).or_default().entry(session).or_default();
                match key {
                    Some(key) => {
                        let rows = s.keys.entry(key).or_default();
                        let Err(pos) = rows.binary_search_by_key(&version, |r| r.version) else { return false };
                        rows.insert(pos, Row { version, value, written_at, expires_at, lsn });
                        if expires_at.is_some() {
                            self.ttl_rows += 1;
                        }
                    }
                    None => {
                        let Err(pos) = s.settings.binary_search_by_key(&version, |r| r.version) else { return false };
                        s.settings.insert(pos, SettingRow { version, ttl, written_at, lsn });
                        if ttl.is_some() {
                            self.ttl_rows += 1;
                        }
                    }
                }
                s.last_activity = s.last_activity.max(written_at);
                true
            }
            StoreRow::Checkpoint(c) => {
                let per = self.checkpoints.entry((c.cp.thread_id.clone(), c.cp.namespace.clone())).or_default();
                match per.get(&c.cp.checkpoint_id) {
                    Some(old) if old.lsn >= c.lsn => false,
                    _ => {
                        per.insert(c.cp.checkpoint_id.clone(), c);
                        true
                    }
                }
            }
            StoreRow::Write { thread, namespace, checkpoint, row } => {
                let per = self.writes.entry((thread, namespace, checkpoint)).or_default();
                let k = (row.w.task_id.clone(), row.w.idx);
                match per.get(&k) {
                    // LangGraph's rule: a regular write (idx ≥ 0) is kept once stored; a special
                    // one (error, interrupt, … with idx < 0) is replaced by a newer one.
                    Some(old) if row.w.idx >= 0 || old.lsn >= row.lsn => false,
                    _ => {
                        per.insert(k, row);
                        true
                    }
                }
            }
        }
    }

    /// Applies one operation of the record at `lsn`; returns its effects on Lance.
    pub fn apply(&mut self, op: &Op, lsn: u64) -> Vec<Pending> {
        let mut out = Vec::new();
        match op {
            Op::Put { agent, session, key, version, value, written_at, expires_at } => {
                let row = StoreRow::State {
                    agent: agent.clone(),
                    session: session.clone(),
                    key: Some(key.clone()),
                    version: *version,
                    value: value.as_deref().map(Arc::from),
                    written_at: *written_at,
                    expires_at: *expires_at,
                    ttl: None,
                    lsn,
                };
                if self.insert(row.clone()) {
                    out.push(Pending::Append(row));
                }
            }
            Op::SessionTtl { agent, session, version, ttl, written_at } => {
                let row = StoreRow::State {
                    agent: agent.clone(),
                    session: session.clone(),
                    key: None,
                    version: *version,
                    value: None,
                    written_at: *written_at,
                    expires_at: None,
                    ttl: *ttl,
                    lsn,
                };
                if self.insert(row.clone()) {
                    out.push(Pending::Append(row));
                }
            }
            Op::Drop { agent, session, key, keys_only, upto } => {
                let upto = upto.unwrap_or(lsn.saturating_sub(1));
                self.drop_rows(agent, session.as_deref(), key.as_deref(), *keys_only, upto);
                let mut eq = vec![("agent_id", Field::Str(agent.clone()))];
                if let Some(s) = session {
                    eq.push(("session_id", Field::Str(s.clone())));
                }
                if let Some(k) = key {
                    eq.push(("state_key", Field::Str(k.clone())));
                }
                out.push(Pending::Delete(Delete { target: Target::State, eq, keys_only: *keys_only, upto }));
            }
            Op::Checkpoint { thread, namespace, id, parent, type_, payload, metadata, created_at } => {
                let existed = self
                    .checkpoints
                    .get(&(thread.clone(), namespace.clone()))
                    .is_some_and(|m| m.contains_key(id));
                let row = StoreRow::Checkpoint(Arc::new(CkRow {
                    cp: Checkpoint {
                        thread_id: thread.clone(),
                        namespace: namespace.clone(),
                        checkpoint_id: id.clone(),
                        parent_id: parent.clone(),
                        type_: type_.clone(),
                        checkpoint: Arc::from(payload.as_slice()),
                        metadata: Arc::from(metadata.as_str()),
                        created_at: *created_at,
                    },
                    lsn,
                    stub: false,
                    flushed: false,
                }));
                if self.insert(row.clone()) {
                    if existed {
                        out.push(Pending::Delete(Delete {
                            target: Target::Checkpoints,
                            eq: vec![
                                ("thread_id", Field::Str(thread.clone())),
                                ("checkpoint_ns", Field::Str(namespace.clone())),
                                ("checkpoint_id", Field::Str(id.clone())),
                            ],
                            keys_only: false,
                            upto: lsn - 1,
                        }));
                    }
                    out.push(Pending::Append(row));
                }
            }
            Op::Writes { thread, namespace, checkpoint, task_id, task_path, items, written_at } => {
                let outer = (thread.clone(), namespace.clone(), checkpoint.clone());
                for it in items {
                    let existed = self.writes.get(&outer).is_some_and(|m| m.contains_key(&(task_id.clone(), it.idx)));
                    let row = StoreRow::Write {
                        thread: thread.clone(),
                        namespace: namespace.clone(),
                        checkpoint: checkpoint.clone(),
                        row: Arc::new(WriteRow {
                            w: PendingWrite {
                                task_id: task_id.clone(),
                                idx: it.idx,
                                channel: it.channel.clone(),
                                type_: it.type_.clone(),
                                value: Arc::from(it.value.as_slice()),
                                task_path: task_path.clone(),
                            },
                            written_at: *written_at,
                            lsn,
                        }),
                    };
                    if self.insert(row.clone()) {
                        if existed {
                            out.push(Pending::Delete(Delete {
                                target: Target::Writes,
                                eq: vec![
                                    ("thread_id", Field::Str(thread.clone())),
                                    ("checkpoint_ns", Field::Str(namespace.clone())),
                                    ("checkpoint_id", Field::Str(checkpoint.clone())),
                                    ("task_id", Field::Str(task_id.clone())),
                                    ("idx", Field::Int(it.idx)),
                                ],
                                keys_only: false,
                                upto: lsn - 1,
                            }));
                        }
                        out.push(Pending::Append(row));
                    }
                }
            }
            Op::DeleteThread { thread } => {
                let upto = lsn.saturating_sub(1);
                for ((t, _), per) in self.checkpoints.iter_mut() {
                    if t == thread {
                        per.retain(|_, c| c.lsn > upto);
                    }
                }
                self.checkpoints.retain(|_, per| !per.is_empty());
                for ((t, _, _), per) in self.writes.iter_mut() {
                    if t == thread {
                        per.retain(|_, w| w.lsn > upto);
                    }
                }
                self.writes.retain(|_, per| !per.is_empty());
                for target in [Target::Checkpoints, Target::Writes] {
                    out.push(Pending::Delete(Delete {
                        target,
                        eq: vec![("thread_id", Field::Str(thread.clone()))],
                        keys_only: false,
                        upto,
                    }));
                }
            }
        }
        out
    }

    /// Drops from memory the payloads of checkpoints now in Lance (unless replaced meanwhile),
    /// but the latest of each (thread, namespace): the one a resuming agent reads.
    pub fn stub_checkpoints(&mut self, flushed: &[CkKey]) {
        let mut touched = std::collections::BTreeSet::new();
        for (thread, ns, id, lsn) in flushed {
            let Some(per) = self.checkpoints.get_mut(&(thread.clone(), ns.clone())) else { continue };
            let Some(row) = per.get_mut(id) else { continue };
            if row.lsn == *lsn && !row.flushed {
                *row = Arc::new(CkRow { cp: row.cp.clone(), lsn: *lsn, stub: row.stub, flushed: true });
                touched.insert((thread.clone(), ns.clone()));
            }
        }
        for key in touched {
            let Some(per) = self.checkpoints.get_mut(&key) else { continue };
            let latest = per.keys().next_back().cloned();
            for (id, row) in per.iter_mut() {
                if row.flushed && !row.stub && Some(id) != latest.as_ref() {
                    let mut cp = row.cp.clone();
                    cp.checkpoint = Arc::from(&[][..]);
                    *row = Arc::new(CkRow { cp, lsn: row.lsn, stub: true, flushed: true });
                }
            }
        }
    }

    /// Keeps a payload read from Lance in memory if it belongs to the latest checkpoint of its
    /// (thread, namespace) and that row is still the same.
    pub fn cache_latest(&mut self, key: &CkKey, payload: &Arc<[u8]>) {
        let (thread, ns, id, lsn) = key;
        let Some(per) = self.checkpoints.get_mut(&(thread.clone(), ns.clone())) else { return };
        if per.keys().next_back() != Some(id) {
            return;
        }
        let Some(row) = per.get_mut(id) else { return };
        if row.lsn == *lsn && row.stub {
            let mut cp = row.cp.clone();
            cp.checkpoint = payload.clone();
            *row = Arc::new(CkRow { cp, lsn: *lsn, stub: false, flushed: true });
        }
    }

    /// Removes the state rows an [`Op::Drop`] covers; returns how many key versions went.
    fn drop_rows(&mut self, agent: &str, session: Option<&str>, key: Option<&str>, keys_only: bool, upto: u64) -> u64 {
        let Some(sessions) = self.agents.get_mut(agent) else { return 0 };
        let mut removed = 0u64;
        let mut ttl_removed = 0usize;
        for (name, s) in sessions.iter_mut() {
            if session.is_some_and(|want| want != name) {
                continue;
            }
            for (k, rows) in s.keys.iter_mut() {
                if key.is_some_and(|want| want != k) {
                    continue;
                }
                let before = rows.len();
                ttl_removed += rows.iter().filter(|r| r.lsn <= upto && r.expires_at.is_some()).count();
                rows.retain(|r| r.lsn > upto);
                removed += (before - rows.len()) as u64;
            }
            s.keys.retain(|_, rows| !rows.is_empty());
            if key.is_none() && !keys_only {
                ttl_removed += s.settings.iter().filter(|r| r.lsn <= upto && r.ttl.is_some()).count();
                s.settings.retain(|r| r.lsn > upto);
            }
            s.recompute_activity();
        }
        sessions.retain(|_, s| !s.is_empty());
        if sessions.is_empty() {
            self.agents.remove(agent);
        }
        self.ttl_rows = self.ttl_rows.saturating_sub(ttl_removed);
        removed
    }

    /// How many key versions an [`Op::Drop`] of this scope would remove now.
    pub fn count_rows(&self, agent: &str, session: Option<&str>) -> u64 {
        let Some(sessions) = self.agents.get(agent) else { return 0 };
        sessions
            .iter()
            .filter(|(name, _)| session.is_none_or(|want| want == name.as_str()))
            .map(|(_, s)| s.keys.values().map(|rows| rows.len() as u64).sum::<u64>())
            .sum()
    }

    /// What has expired by `now` and should be removed: whole sessions (their keys) and single keys.
    pub fn expired(&self, now: i64) -> Vec<Op> {
        let mut ops = Vec::new();
        if self.ttl_rows == 0 {
            return ops;
        }
        for (agent, sessions) in &self.agents {
            for (name, s) in sessions {
                if s.expired(now) {
                    if !s.keys.is_empty() {
                        ops.push(Op::Drop { agent: agent.clone(), session: Some(name.clone()), key: None, keys_only: true, upto: None });
                    }
                    continue;
                }
                for (key, rows) in &s.keys {
                    if key_expired(rows, now) {
                        ops.push(Op::Drop {
                            agent: agent.clone(),
                            session: Some(name.clone()),
                            key: Some(key.clone()),
                            keys_only: false,
                            upto: None,
                        });
                    }
                }
            }
        }
        ops
    }
}
