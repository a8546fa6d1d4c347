//! Temporal knowledge graphs: entities and the facts between them, bi-temporal, per agent or
//! namespace (a graph opened by name, like a memory store).
//!
//! # Model
//! * An **entity** has an id, a name, an optional type, aliases, an optional embedding (of the
//!   graph's fixed dimension) and JSON metadata. Adding an entity with an id the graph holds
//!   replaces it.
//! * A **fact** says `subject predicate object`, where the object is an entity or a literal, with
//!   its *valid time* `[valid_from, valid_to)` (when it is true in the world; `valid_to: None` =
//!   still true) and its *transaction time* `recorded_at` (when the graph learned this version),
//!   the ids of the memories it came from, and a confidence.
//! * Facts are never overwritten. A change — a contradiction closing a fact, [`Graph::invalidate`],
//!   [`Graph::correct`] — records a new *version* of the fact; the old one stays, superseded at
//!   the new one's `recorded_at`. So a query answers "what did we believe at `known_at` about what
//!   was true at `as_of`": the version recorded last at or before `known_at` (default: the latest),
//!   if its validity holds at `as_of` (default: now).
//! * A predicate declared single-valued ([`Graph::declare_predicate`]) has at most one object per
//!   subject at any valid time: a new fact on it closes the fact it contradicts (sets its
//!   `valid_to` to the new fact's `valid_from`) instead of deleting it, and is itself closed at
//!   the start of a contradicting fact that begins later.
//!
//! # Storage
//! Like the agent state: everything is held in memory (rebuilt on open) and every write is one
//! record of the database's write-ahead log (durable when the call returns), applied under one
//! lock; the flusher writes the operations to the hidden Lance table `_agentdb_graph` (see
//! [`store`]). Without a log each write is committed to Lance before it returns.

mod mem;
pub(crate) mod ops;
mod store;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use mem::GraphData;
use ops::Op;
use store::{Pending, Row, Store};

use crate::db::{Database, Service};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::context::KeepAlive;
use crate::storage::runtime::block_on;
use crate::storage::wal::{LogConsumer, Wal};
use crate::util::time::now_micros;

/// The log stream of the knowledge graphs.
pub(crate) const STREAM: &str = "graph";
/// The longest graph name.
pub const MAX_GRAPH_NAME_LEN: usize = 128;
/// The longest id, name, alias, type, predicate, literal or source id, in bytes.
pub const MAX_GRAPH_TEXT_LEN: usize = 4096;
/// The most hops a traversal may take.
pub const MAX_HOPS: usize = 64;
/// How many facts [`Graph::facts_for_text`] returns when its caller gives no limit.
pub const DEFAULT_FACTS_LIMIT: usize = 20;
/// How many entities [`Graph::search_entities`] returns when its caller gives no `k`.
pub const DEFAULT_ENTITY_K: usize = 10;
/// The largest embedding dimension of a graph.
pub const MAX_GRAPH_DIM: usize = crate::types::schema::MAX_DIM;

/// An entity as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub id: String,
    pub name: String,
    pub type_: Option<String>,
    pub aliases: Vec<String>,
    pub embedding: Option<Arc<[f32]>>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// When this version of the entity was recorded (microseconds since the epoch).
    pub recorded_at: i64,
}

/// An entity to add (see [`Graph::add_entities`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewEntity {
    /// `None`: a new time-ordered id.
    pub id: Option<String>,
    pub name: String,
    pub type_: Option<String>,
    pub aliases: Vec<String>,
    pub embedding: Option<Vec<f32>>,
    /// A JSON object (`None`: empty).
    pub metadata: Option<serde_json::Value>,
}

/// The object of a fact.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FactObject {
    /// Another entity of the graph, by id.
    Entity(String),
    /// A value as text.
    Literal(String),
}

/// One version of a fact.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub id: String,
    /// 1 for the fact as first recorded, then one more per change.
    pub version: u32,
    pub subject: String,
    pub predicate: String,
    pub object: FactObject,
    /// Valid time: true from `valid_from` (inclusive) to `valid_to` (exclusive; `None`: open).
    pub valid_from: i64,
    pub valid_to: Option<i64>,
    /// Transaction time: when this version was recorded, and when a later one replaced it.
    pub recorded_at: i64,
    pub superseded_at: Option<i64>,
    /// The ids of the memories the fact was taken from.
    pub sources: Vec<String>,
    /// Between 0 and 1.
    pub confidence: f64,
}

/// A fact to add (see [`Graph::add_facts`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewFact {
    pub subject: String,
    pub predicate: String,
    pub object: FactObject,
    /// `None`: the moment it is recorded.
    pub valid_from: Option<i64>,
    pub valid_to: Option<i64>,
    pub sources: Vec<String>,
    /// `None`: 1.
    pub confidence: Option<f64>,
}

/// What [`Graph::correct`] changes in a fact (`None` fields stay as they are).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactCorrection {
    pub object: Option<FactObject>,
    pub valid_from: Option<i64>,
    /// `Some(None)` reopens the fact's validity.
    pub valid_to: Option<Option<i64>>,
    pub sources: Option<Vec<String>>,
    pub confidence: Option<f64>,
}

/// Which facts a read selects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactQuery {
    /// Valid at this instant (`None` and no `during`: now).
    pub as_of: Option<i64>,
    /// Valid at some instant of `[from, to)` (`to: None`: unbounded); excludes `as_of`.
    pub during: Option<(i64, Option<i64>)>,
    /// As believed at this transaction time (`None`: the latest versions).
    pub known_at: Option<i64>,
    /// Only these predicates (`None`: all).
    pub predicates: Option<Vec<String>>,
}

/// Which way a traversal follows facts (subject → object is "out").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Direction {
    Out,
    In,
    #[default]
    Both,
}

impl Direction {
    pub fn parse(s: &str) -> Result<Direction> {
        match s {
            "out" => Ok(Direction::Out),
            "in" => Ok(Direction::In),
            "both" => Ok(Direction::Both),
            _ => Err(Error::invalid_argument(format!("unknown direction {s:?}: use 'out', 'in' or 'both'"))),
        }
    }
}

/// An entity reached by [`Graph::neighbors`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbor {
    pub entity: String,
    pub hops: usize,
}

/// An entity found by [`Graph::search_entities`], best first.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityHit {
    pub entity: Entity,
    pub score: f64,
}

/// A knowledge graph of one database (from [`Database::graph`]). Cheap to clone.
#[derive(Clone)]
pub struct Graph {
    inner: Arc<Inner>,
    name: String,
    _keep: Option<KeepAlive>,
}

enum Log {
    Wal(Arc<Wal>),
    Direct,
    ReadOnly,
}

struct Writer {
    pending: Vec<Pending>,
    applied: u64,
    reported: u64,
    /// The highest LSN the table held on open: replay does not append those rows again.
    skip: u64,
    /// The last `recorded_at` handed out (they are strictly increasing, so each write has its own
    /// transaction instant and "known at the time of this write" is exact).
    last_time: i64,
    next_lsn: u64,
}

struct Inner {
    graphs: RwLock<HashMap<String, GraphData>>,
    writer: Mutex<Writer>,
    /// `last_time`, readable without the writer lock ("now" is never before the last write).
    last_time: AtomicU64,
    store: Store,
    flushing: Mutex<()>,
    log: Log,
    closed: AtomicBool,
}

fn check_text(what: &str, s: &str) -> Result<()> {
    if s.is_empty() || s.len() > MAX_GRAPH_TEXT_LEN {
        return Err(Error::invalid_argument(format!("{what} must be 1 to {MAX_GRAPH_TEXT_LEN} bytes long")));
    }
    Ok(())
}

fn check_confidence(c: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&c) {
        return Err(Error::invalid_argument(format!("confidence must be between 0 and 1, got {c}")));
    }
    Ok(())
}

fn check_interval(from: i64, to: Option<i64>) -> Result<()> {
    if let Some(t) = to {
        if t < from {
            return Err(Error::invalid_argument(format!("valid_to ({t}) is before valid_from ({from})")));
        }
    }
    Ok(())
}

pub(crate) fn validate_graph_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_GRAPH_NAME_LEN
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        && !name.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidName,
            format!("invalid graph name {name:?}: 1 to {MAX_GRAPH_NAME_LEN} ASCII letters, digits, '_' or '-', not starting with '-'"),
        ))
    }
}

/// A new time-ordered id (a UUIDv7-shaped string: ids made later sort later).
fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let ms = (now_micros() / 1000) as u64 & 0xffff_ffff_ffff;
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u64(now_micros() as u64);
    let r1 = h.finish();
    h.write_u64(r1);
    let r2 = h.finish();
    format!(
        "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
        ms >> 16,
        ms & 0xffff,
        r1 & 0x0fff,
        0x8000 | ((r2 >> 48) & 0x3fff),
        r2 & 0xffff_ffff_ffff
    )
}

impl Inner {
    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn graphs(&self) -> RwLockReadGuard<'_, HashMap<String, GraphData>> {
        self.graphs.read().unwrap_or_else(|p| p.into_inner())
    }

    fn apply(&self, w: &mut Writer, lsn: u64, ops: &[Op], replay: bool) {
        if replay && lsn <= w.skip {
            // Already in the table, so already loaded: a flush writes every record up to the
            // one it reports in one append (drops first), in LSN order, so the table holding LSN
            // `skip` holds every record before it. Applying it again would add its fact versions
            // twice (a crash between the Lance commit and the log's trim leaves it in both).
            w.applied = w.applied.max(lsn);
            w.next_lsn = w.next_lsn.max(lsn + 1);
            return;
        }
        let mut graphs = self.graphs.write().unwrap_or_else(|p| p.into_inner());
        for (seq, op) in ops.iter().enumerate() {
            apply_op(&mut graphs, op.clone());
            match op {
                Op::Entity { entity, .. } => w.last_time = w.last_time.max(entity.recorded_at),
                Op::Fact { fact, .. } => w.last_time = w.last_time.max(fact.recorded_at),
                _ => {}
            }
            if let Op::Drop { graph } = op {
                w.pending.push(Pending::Delete { graph: graph.clone(), upto: lsn });
            } else {
                w.pending.push(Pending::Append(Row { lsn, seq: seq as u32, op: op.clone() }));
            }
        }
        self.last_time.fetch_max(w.last_time.max(0) as u64, Ordering::AcqRel);
        w.applied = w.applied.max(lsn);
        w.next_lsn = w.next_lsn.max(lsn + 1);
    }

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
            if let Err((e, rest)) = block_on(self.store.write(pending)) {
                let mut w = self.lock_writer();
                let newer = std::mem::take(&mut w.pending);
                w.pending = rest;
                w.pending.extend(newer);
                return Err(e);
            }
        }
        let mut w = self.lock_writer();
        w.reported = w.reported.max(upto);
        Ok(Some(upto))
    }
}

/// Applies one operation to the graphs in memory. Operations were checked when they were made, so
/// this cannot fail; one naming a graph that is gone (dropped later in the log) is skipped. It
/// takes the operation by value: on open every stored row is moved in, not copied.
fn apply_op(graphs: &mut HashMap<String, GraphData>, op: Op) {
    match op {
        Op::Create { graph, dim } => {
            graphs.entry(graph).or_insert_with(|| GraphData { dim, ..Default::default() });
        }
        Op::Drop { graph } => {
            graphs.remove(&graph);
        }
        Op::Predicate { graph, name, single_valued } => {
            if let Some(g) = graphs.get_mut(&graph) {
                g.single_valued.insert(name, single_valued);
            }
        }
        Op::Entity { graph, entity } => {
            if let Some(g) = graphs.get_mut(&graph) {
                g.put_entity(entity);
            }
        }
        Op::Fact { graph, fact } => {
            if let Some(g) = graphs.get_mut(&graph) {
                g.put_fact(fact);
            }
        }
    }
}

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

/// The database's knowledge graphs, closed with it.
struct GraphService(Arc<Inner>);

impl Service for GraphService {
    fn finish(&self) {
        if self.0.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        // With a log, the database flushes every consumer right after.
        if matches!(self.0.log, Log::Direct) {
            let _ = self.0.flush();
        }
    }
}

const SERVICE_KEY: &str = "graph";

fn load(rows: Vec<Row>) -> (HashMap<String, GraphData>, i64) {
    let mut graphs = HashMap::new();
    let mut last = 0;
    for r in rows {
        match &r.op {
            Op::Entity { entity, .. } => last = last.max(entity.recorded_at),
            Op::Fact { fact, .. } => last = last.max(fact.recorded_at),
            _ => {}
        }
        apply_op(&mut graphs, r.op);
    }
    (graphs, last)
}

/// Loads the knowledge graphs of a database being opened, registers them with it, and replays
/// their logged writes (see [`crate::Database::open_with`]).
pub(crate) fn attach(db: &Database) -> Result<()> {
    let shared = db.shared();
    let store = Store::new(shared.conn.clone());
    let (rows, max_lsn) = block_on(store.load())?;
    let (graphs, last_time) = load(rows);
    let log = match (db.is_read_only(), shared.store.wal().cloned()) {
        (true, _) => Log::ReadOnly,
        (false, Some(w)) => Log::Wal(w),
        (false, None) => Log::Direct,
    };
    let inner = Arc::new(Inner {
        graphs: RwLock::new(graphs),
        writer: Mutex::new(Writer {
            pending: Vec::new(),
            applied: 0,
            reported: 0,
            skip: max_lsn,
            last_time,
            next_lsn: max_lsn + 1,
        }),
        last_time: AtomicU64::new(last_time.max(0) as u64),
        store,
        flushing: Mutex::new(()),
        log,
        closed: AtomicBool::new(false),
    });
    db.services().insert(SERVICE_KEY, Arc::new(GraphService(inner.clone())));
    if !db.is_read_only() {
        shared.register_consumer(Arc::new(Consumer(inner)))?;
    }
    Ok(())
}

impl Database {
    fn graph_inner(&self) -> Result<Arc<Inner>> {
        self.ensure_open()?;
        let service = self
            .services()
            .get::<GraphService>(SERVICE_KEY)
            .ok_or_else(|| Error::new(ErrorKind::Closed, "the database is closed"))?;
        Ok(service.0.clone())
    }

    /// Opens the knowledge graph `name`, creating it when it does not exist. `dim` is the
    /// dimension of its entities' embeddings, fixed when the graph is created (`None`: entities
    /// have no embeddings); opening an existing graph with another `dim` is
    /// [`ErrorKind::DimensionMismatch`] (`None` accepts any).
    pub fn graph(&self, name: &str, dim: Option<usize>) -> Result<Graph> {
        validate_graph_name(name)?;
        if let Some(d) = dim {
            if d == 0 || d > MAX_GRAPH_DIM {
                return Err(Error::invalid_argument(format!("dim must be between 1 and {MAX_GRAPH_DIM}, got {d}")));
            }
        }
        let inner = self.graph_inner()?;
        let g = Graph { inner, name: name.to_owned(), _keep: Some(self.keep_alive()) };
        let existing = g.read()?.get(name).map(|d| d.dim);
        match existing {
            Some(have) => {
                if dim.is_some() && dim != have {
                    return Err(Error::new(
                        ErrorKind::DimensionMismatch,
                        format!("graph '{name}' has embedding dimension {have:?}, not {dim:?}"),
                    ));
                }
            }
            None => {
                let n = name.to_owned();
                g.commit(move |graphs, _| {
                    // Created meanwhile by another handle: nothing to do.
                    if graphs.contains_key(&n) {
                        return Ok((Vec::new(), ()));
                    }
                    Ok((vec![Op::Create { graph: n, dim }], ()))
                })?;
                let have = g.read()?.get(name).map(|d| d.dim);
                if dim.is_some() && have != Some(dim) {
                    return Err(Error::new(ErrorKind::DimensionMismatch, format!("graph '{name}' has another embedding dimension")));
                }
            }
        }
        Ok(g)
    }

    /// The names of the knowledge graphs, sorted.
    pub fn list_graphs(&self) -> Result<Vec<String>> {
        let inner = self.graph_inner()?;
        let g = Graph { inner, name: String::new(), _keep: None };
        let mut names: Vec<String> = g.read()?.keys().cloned().collect();
        names.sort();
        Ok(names)
    }

    /// Deletes a knowledge graph and everything in it.
    pub fn drop_graph(&self, name: &str) -> Result<()> {
        validate_graph_name(name)?;
        let inner = self.graph_inner()?;
        let g = Graph { inner, name: name.to_owned(), _keep: None };
        let n = name.to_owned();
        g.commit(move |graphs, _| {
            if !graphs.contains_key(&n) {
                return Err(Error::new(ErrorKind::CollectionNotFound, format!("graph '{n}' does not exist")));
            }
            Ok((vec![Op::Drop { graph: n }], ()))
        })
    }
}

impl Graph {
    pub fn name(&self) -> &str {
        &self.name
    }

    fn ensure_open(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(Error::new(ErrorKind::Closed, "the database is closed"));
        }
        Ok(())
    }

    /// For reads: the graphs, first reloaded from Lance when the database is read-only and the
    /// writer (another process) committed since.
    fn read(&self) -> Result<RwLockReadGuard<'_, HashMap<String, GraphData>>> {
        self.ensure_open()?;
        if matches!(self.inner.log, Log::ReadOnly) && block_on(self.inner.store.changed())? {
            let (rows, _) = block_on(self.inner.store.load())?;
            let (graphs, _) = load(rows);
            *self.inner.graphs.write().unwrap_or_else(|p| p.into_inner()) = graphs;
        }
        Ok(self.inner.graphs())
    }

    /// Runs `f` on this graph's data (for reads), with "now".
    fn with<R>(&self, f: impl FnOnce(&GraphData, i64) -> Result<R>) -> Result<R> {
        let graphs = self.read()?;
        let g = graphs.get(&self.name).ok_or_else(|| self.gone())?;
        f(g, self.now())
    }

    fn gone(&self) -> Error {
        Error::new(ErrorKind::CollectionNotFound, format!("graph '{}' does not exist (it was dropped)", self.name))
    }

    /// Now, never before the last write's `recorded_at` (those are strictly increasing and may
    /// run a little ahead of the clock).
    fn now(&self) -> i64 {
        now_micros().max(self.inner.last_time.load(Ordering::Acquire) as i64)
    }

    /// Runs one write: `build` decides the operations (under the writer lock, from the current
    /// graphs, with this write's `recorded_at`), they are logged as one record, applied, and made
    /// durable before this returns.
    fn commit<R>(&self, build: impl FnOnce(&HashMap<String, GraphData>, i64) -> Result<(Vec<Op>, R)>) -> Result<R> {
        self.ensure_open()?;
        let inner = &self.inner;
        if matches!(inner.log, Log::ReadOnly) {
            return Err(Error::new(ErrorKind::ReadOnly, "the database is open read-only: the graph cannot be written"));
        }
        let mut w = inner.lock_writer();
        let now = now_micros().max(w.last_time.saturating_add(1));
        let (ops, out) = build(&inner.graphs(), now)?;
        if ops.is_empty() {
            return Ok(out);
        }
        w.last_time = now;
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
        Ok(out)
    }

    /// Like [`Graph::commit`], on this graph's data.
    fn commit_graph<R>(&self, build: impl FnOnce(&GraphData, i64) -> Result<(Vec<Op>, R)>) -> Result<R> {
        let name = self.name.clone();
        self.commit(|graphs, now| {
            let g = graphs.get(&name).ok_or_else(|| self.gone())?;
            build(g, now)
        })
    }

    /// The embedding dimension (`None`: entities have no embeddings).
    pub fn dim(&self) -> Result<Option<usize>> {
        self.with(|g, _| Ok(g.dim))
    }

    /// Adds entities, or replaces those whose id the graph holds. Returns their ids (new ones
    /// for entities given without). One write: all are added, or none.
    pub fn add_entities(&self, items: &[NewEntity]) -> Result<Vec<String>> {
        let name = self.name.clone();
        self.commit_graph(|g, now| {
            let mut seen = std::collections::HashSet::new();
            let mut ops = Vec::with_capacity(items.len());
            let mut ids = Vec::with_capacity(items.len());
            for (i, e) in items.iter().enumerate() {
                let at = |m: String| Error::invalid_argument(format!("entity {i}: {m}"));
                check_text("the name", &e.name).map_err(|x| at(x.message().to_owned()))?;
                if let Some(t) = &e.type_ {
                    check_text("the type", t).map_err(|x| at(x.message().to_owned()))?;
                }
                for a in &e.aliases {
                    check_text("an alias", a).map_err(|x| at(x.message().to_owned()))?;
                }
                let id = match &e.id {
                    Some(id) => {
                        check_text("the id", id).map_err(|x| at(x.message().to_owned()))?;
                        id.clone()
                    }
                    None => new_id(),
                };
                if !seen.insert(id.clone()) {
                    return Err(Error::new(ErrorKind::DuplicateId, format!("entity id {id:?} repeats in the batch")));
                }
                let embedding = match (&e.embedding, g.dim) {
                    (None, _) => None,
                    (Some(_), None) => {
                        return Err(Error::new(
                            ErrorKind::DimensionMismatch,
                            format!("entity {i}: graph '{name}' was created without embeddings (give dim when creating it)"),
                        ))
                    }
                    (Some(v), Some(d)) => {
                        if v.len() != d {
                            return Err(Error::new(
                                ErrorKind::DimensionMismatch,
                                format!("entity {i}: the embedding has {} values, the graph's dimension is {d}", v.len()),
                            ));
                        }
                        if v.iter().any(|x| !x.is_finite()) {
                            return Err(Error::new(ErrorKind::InvalidVector, format!("entity {i}: the embedding holds NaN or infinity")));
                        }
                        Some(Arc::from(v.as_slice()))
                    }
                };
                let metadata = match &e.metadata {
                    None => serde_json::Map::new(),
                    Some(v @ serde_json::Value::Object(m)) => {
                        crate::types::value::check_json_depth("entity metadata", v)?;
                        m.clone()
                    }
                    Some(other) => {
                        return Err(Error::invalid_metadata(format!("entity {i}: metadata must be a JSON object, got {other}")))
                    }
                };
                ids.push(id.clone());
                ops.push(Op::Entity {
                    graph: name.clone(),
                    entity: Entity {
                        id,
                        name: e.name.clone(),
                        type_: e.type_.clone(),
                        aliases: e.aliases.clone(),
                        embedding,
                        metadata,
                        recorded_at: now,
                    },
                });
            }
            Ok((ops, ids))
        })
    }

    /// The entity with this id, if any.
    pub fn entity(&self, id: &str) -> Result<Option<Entity>> {
        self.with(|g, _| Ok(g.entities.get(id).cloned()))
    }

    /// How many entities and how many facts (each fact once, whatever its versions) the graph holds.
    pub fn counts(&self) -> Result<(usize, usize)> {
        self.with(|g, _| Ok((g.entities.len(), g.facts.len())))
    }

    /// Declares whether `predicate` is single-valued (see the module's documentation). Facts
    /// already recorded are left as they are; the rule applies to facts added from now on.
    pub fn declare_predicate(&self, predicate: &str, single_valued: bool) -> Result<()> {
        check_text("the predicate", predicate)?;
        let (name, p) = (self.name.clone(), predicate.to_owned());
        self.commit_graph(move |g, _| {
            if g.single_valued.get(&p) == Some(&single_valued) {
                return Ok((Vec::new(), ()));
            }
            Ok((vec![Op::Predicate { graph: name, name: p, single_valued }], ()))
        })
    }

    /// The declared predicates and whether each is single-valued, sorted by name.
    pub fn predicates(&self) -> Result<Vec<(String, bool)>> {
        self.with(|g, _| Ok(g.single_valued.iter().map(|(k, v)| (k.clone(), *v)).collect()))
    }

    /// Adds facts (in order: a later fact of the batch sees the earlier ones). Returns their ids.
    /// A fact on a single-valued predicate closes the facts it contradicts (same subject and
    /// predicate, another object, validity overlapping): one that began before it ends where it
    /// begins; one that begins at the same time ends there too (it was never true); one that
    /// begins later closes the new fact at its start instead. One write: all or nothing.
    pub fn add_facts(&self, items: &[NewFact]) -> Result<Vec<String>> {
        let name = self.name.clone();
        self.commit_graph(|g, now| {
            // The versions this batch makes, by fact id, over the graph's own (later facts of the
            // batch see them).
            let mut made: BTreeMap<String, Fact> = BTreeMap::new();
            let mut ops = Vec::new();
            let mut ids = Vec::new();
            for (i, nf) in items.iter().enumerate() {
                let at = |m: &str| Error::invalid_argument(format!("fact {i}: {m}"));
                check_text("the subject", &nf.subject).map_err(|e| at(e.message()))?;
                check_text("the predicate", &nf.predicate).map_err(|e| at(e.message()))?;
                if !g.entities.contains_key(&nf.subject) {
                    return Err(at(&format!("the subject {:?} is not an entity of the graph", nf.subject)));
                }
                match &nf.object {
                    FactObject::Entity(o) => {
                        check_text("the object", o).map_err(|e| at(e.message()))?;
                        if !g.entities.contains_key(o) {
                            return Err(at(&format!("the object {o:?} is not an entity of the graph")));
                        }
                    }
                    FactObject::Literal(s) => check_text("the literal", s).map_err(|e| at(e.message()))?,
                }
                for s in &nf.sources {
                    check_text("a source id", s).map_err(|e| at(e.message()))?;
                }
                let confidence = nf.confidence.unwrap_or(1.0);
                check_confidence(confidence).map_err(|e| at(e.message()))?;
                let from = nf.valid_from.unwrap_or(now);
                check_interval(from, nf.valid_to).map_err(|e| at(e.message()))?;
                if nf.valid_to == Some(from) {
                    return Err(at("its validity is empty (valid_to equals valid_from)"));
                }
                let mut to = nf.valid_to;
                if g.single_valued.get(&nf.predicate) == Some(&true) {
                    // The believed facts of this subject and predicate, this batch's versions first.
                    let mut current: Vec<Fact> = made.values().filter(|f| f.subject == nf.subject).cloned().collect();
                    if let Some((out, _)) = g.by_entity.get(&nf.subject) {
                        current.extend(
                            out.iter()
                                .filter(|id| {
                                    let id: &str = id;
                                    !made.contains_key(id)
                                })
                                .filter_map(|id| g.version_at(id, None))
                                .cloned(),
                        );
                    }
                    current.sort_by(|a, b| a.id.cmp(&b.id));
                    for old in current {
                        if old.predicate != nf.predicate || old.object == nf.object || !mem::overlaps(&old, from, to) {
                            continue;
                        }
                        if old.valid_from <= from {
                            let mut v = old.clone();
                            // A fact already changed by this batch (or made by it) keeps its
                            // version: the batch records one version of it, its last.
                            if !made.contains_key(&v.id) {
                                v.version += 1;
                            }
                            v.valid_to = Some(from);
                            v.recorded_at = now;
                            v.superseded_at = None;
                            made.insert(v.id.clone(), v);
                        } else {
                            to = Some(to.map_or(old.valid_from, |t| t.min(old.valid_from)));
                        }
                    }
                }
                let f = Fact {
                    id: new_id(),
                    version: 1,
                    subject: nf.subject.clone(),
                    predicate: nf.predicate.clone(),
                    object: nf.object.clone(),
                    valid_from: from,
                    valid_to: to,
                    recorded_at: now,
                    superseded_at: None,
                    sources: nf.sources.clone(),
                    confidence,
                };
                ids.push(f.id.clone());
                made.insert(f.id.clone(), f);
            }
            for f in made.into_values() {
                ops.push(Op::Fact { graph: name.clone(), fact: f });
            }
            Ok((ops, ids))
        })
    }

    fn latest(g: &GraphData, id: &str) -> Result<Fact> {
        g.version_at(id, None).cloned().ok_or_else(|| Error::invalid_argument(format!("no fact with id {id:?}")))
    }

    /// Ends a fact's validity at `at` (default: now), recording it as a new version (the old one
    /// stays in the history). `at` must fall inside the fact's current validity.
    pub fn invalidate(&self, fact_id: &str, at: Option<i64>) -> Result<Fact> {
        let name = self.name.clone();
        self.commit_graph(|g, now| {
            let old = Self::latest(g, fact_id)?;
            let at = at.unwrap_or(now);
            if at < old.valid_from {
                return Err(Error::invalid_argument(format!(
                    "cannot invalidate fact {fact_id:?} at {at}: it is valid only from {}",
                    old.valid_from
                )));
            }
            if old.valid_to.is_some_and(|t| t <= at) {
                return Err(Error::invalid_argument(format!("fact {fact_id:?} is no longer valid at {at} already")));
            }
            let mut v = old;
            v.version += 1;
            v.valid_to = Some(at);
            v.recorded_at = now;
            v.superseded_at = None;
            Ok((vec![Op::Fact { graph: name, fact: v.clone() }], v))
        })
    }

    /// Corrects a fact (it was recorded wrong): a new version with the changed fields, the old
    /// one kept, so reads known at an earlier time still see what was believed then. A
    /// correction does not close contradicting facts of a single-valued predicate.
    pub fn correct(&self, fact_id: &str, change: &FactCorrection) -> Result<Fact> {
        let name = self.name.clone();
        self.commit_graph(|g, now| {
            let mut v = Self::latest(g, fact_id)?;
            if let Some(o) = &change.object {
                match o {
                    FactObject::Entity(e) => {
                        if !g.entities.contains_key(e) {
                            return Err(Error::invalid_argument(format!("the object {e:?} is not an entity of the graph")));
                        }
                    }
                    FactObject::Literal(s) => check_text("the literal", s)?,
                }
                v.object = o.clone();
            }
            if let Some(f) = change.valid_from {
                v.valid_from = f;
            }
            if let Some(t) = change.valid_to {
                v.valid_to = t;
            }
            check_interval(v.valid_from, v.valid_to)?;
            if let Some(s) = &change.sources {
                for x in s {
                    check_text("a source id", x)?;
                }
                v.sources = s.clone();
            }
            if let Some(c) = change.confidence {
                check_confidence(c)?;
                v.confidence = c;
            }
            v.version += 1;
            v.recorded_at = now;
            v.superseded_at = None;
            Ok((vec![Op::Fact { graph: name, fact: v.clone() }], v))
        })
    }

    /// A fact as believed at `known_at` (`None`: its latest version), if it existed then.
    pub fn fact(&self, fact_id: &str, known_at: Option<i64>) -> Result<Option<Fact>> {
        self.with(|g, _| Ok(g.version_at(fact_id, known_at).cloned()))
    }

    /// Every version of a fact, oldest first (empty: no such fact).
    pub fn fact_history(&self, fact_id: &str) -> Result<Vec<Fact>> {
        self.with(|g, _| Ok(g.facts.get(fact_id).cloned().unwrap_or_default()))
    }

    fn check_query(q: &FactQuery) -> Result<()> {
        if q.during.is_some() && q.as_of.is_some() {
            return Err(Error::invalid_argument("give as_of or an interval (during), not both"));
        }
        if let Some((from, to)) = q.during {
            if to.is_some_and(|t| t <= from) {
                return Err(Error::invalid_argument("the interval is empty: its end is not after its start"));
            }
        }
        if let Some(p) = &q.predicates {
            if p.is_empty() {
                return Err(Error::invalid_argument("predicates is empty: give at least one, or none for all"));
            }
        }
        Ok(())
    }

    fn check_entity(g: &GraphData, id: &str) -> Result<()> {
        if !g.entities.contains_key(id) {
            return Err(Error::invalid_argument(format!("no entity with id {id:?}")));
        }
        Ok(())
    }

    /// The facts about an entity (as subject or object, per `direction`) that `query` selects,
    /// ordered by valid_from.
    pub fn facts(&self, entity: &str, query: &FactQuery, direction: Direction) -> Result<Vec<Fact>> {
        Self::check_query(query)?;
        self.with(|g, now| {
            Self::check_entity(g, entity)?;
            Ok(g.facts_of(entity, query, direction, now))
        })
    }

    /// The entities within `hops` facts of `entity` (following only facts between entities that
    /// `query` selects), nearest first.
    pub fn neighbors(&self, entity: &str, hops: usize, query: &FactQuery, direction: Direction) -> Result<Vec<Neighbor>> {
        Self::check_query(query)?;
        if hops == 0 || hops > MAX_HOPS {
            return Err(Error::invalid_argument(format!("hops must be between 1 and {MAX_HOPS}, got {hops}")));
        }
        self.with(|g, now| {
            Self::check_entity(g, entity)?;
            Ok(g.neighbors(entity, hops, query, direction, now))
        })
    }

    /// A shortest chain of facts leading from `from` to `to` in at most `max_hops`, or `None`
    /// (an entity to itself: the empty chain).
    pub fn shortest_path(&self, from: &str, to: &str, max_hops: usize, query: &FactQuery, direction: Direction) -> Result<Option<Vec<Fact>>> {
        Self::check_query(query)?;
        if max_hops == 0 || max_hops > MAX_HOPS {
            return Err(Error::invalid_argument(format!("max_hops must be between 1 and {MAX_HOPS}, got {max_hops}")));
        }
        self.with(|g, now| {
            Self::check_entity(g, from)?;
            Self::check_entity(g, to)?;
            Ok(g.shortest_path(from, to, max_hops, query, direction, now))
        })
    }

    /// The entities whose name or an alias is `name`, ignoring case.
    pub fn find_entities(&self, name: &str) -> Result<Vec<Entity>> {
        check_text("the name", name)?;
        self.with(|g, _| {
            Ok(g.names.get(&name.to_lowercase()).into_iter().flatten().filter_map(|id| g.entities.get(id).cloned()).collect())
        })
    }

    /// Entities by text, by vector, or both, best first, at most `k`, optionally of one type.
    ///
    /// The text score is 1 for a name or alias equal to the text (ignoring case), else the share
    /// of the text's words found among the words of the entity's name, aliases and type (times
    /// 0.9, so an exact name outranks any partial match); entities sharing no word are left out.
    /// The vector score is the cosine similarity of the embeddings (entities without one are left
    /// out). With both, the score is their mean.
    pub fn search_entities(&self, text: Option<&str>, vector: Option<&[f32]>, k: usize, type_: Option<&str>) -> Result<Vec<EntityHit>> {
        if text.is_none() && vector.is_none() {
            return Err(Error::invalid_argument("give a text, a vector, or both"));
        }
        if k == 0 || k > crate::collection::MAX_K {
            return Err(Error::invalid_argument(format!("k must be between 1 and {}, got {k}", crate::collection::MAX_K)));
        }
        if let Some(t) = text {
            check_text("the text", t)?;
        }
        if let Some(v) = vector {
            if v.iter().any(|x| !x.is_finite()) {
                return Err(Error::new(ErrorKind::InvalidVector, "the query vector holds NaN or infinity"));
            }
        }
        self.with(|g, _| {
            if let Some(v) = vector {
                match g.dim {
                    None => return Err(Error::new(ErrorKind::DimensionMismatch, format!("graph '{}' has no embeddings", self.name))),
                    Some(d) if d != v.len() => {
                        return Err(Error::new(ErrorKind::DimensionMismatch, format!("the query vector has {} values, the graph's dimension is {d}", v.len())))
                    }
                    _ => {}
                }
            }
            let query_words: Vec<String> = text.map(mem::tokens).unwrap_or_default();
            let lowered = text.map(str::to_lowercase);
            // The entities named exactly so (any case), from the name index.
            let exact = lowered.as_ref().and_then(|l| g.names.get(l));
            let mut hits = Vec::new();
            // By text alone only entities sharing a word with it (or named by it) can score: those
            // from the word index. With a vector, every entity with an embedding can: its
            // similarity comes from one kernel call over the embedding matrix (1 - the cosine
            // distance; a zero vector scores 0). The tests check it against a plain f64 scan.
            let candidates: Vec<(&Entity, Option<f64>)> = match vector {
                Some(q) => {
                    let mut dist = vec![0f32; g.emb_ids.len()];
                    if !dist.is_empty() {
                        crate::kernels::cosine_f32_batch(q, &g.emb, q.len(), &mut dist);
                    }
                    // By vector alone and of any type, the k best rows are chosen on the
                    // distances (same order as the final one: distance, then id), so only those
                    // k entities are looked up: a map lookup per entity costs far more than the
                    // kernel call (~25 ms against ~1 ms at 100k).
                    let mut rows: Vec<usize> = (0..dist.len()).collect();
                    if text.is_none() && type_.is_none() && rows.len() > k {
                        let by = |a: &usize, b: &usize| dist[*a].total_cmp(&dist[*b]).then_with(|| g.emb_ids[*a].cmp(&g.emb_ids[*b]));
                        rows.select_nth_unstable_by(k - 1, by);
                        rows.truncate(k);
                    }
                    rows.into_iter()
                        .filter_map(|i| g.entities.get(&g.emb_ids[i]).map(|e| (e, Some(1.0 - dist[i] as f64))))
                        .collect()
                }
                None => {
                    let mut ids: std::collections::BTreeSet<&String> = exact.map(|s| s.iter().collect()).unwrap_or_default();
                    for w in &query_words {
                        if let Some(s) = g.by_word.get(w) {
                            ids.extend(s.iter());
                        }
                    }
                    ids.into_iter().filter_map(|id| g.entities.get(id).map(|e| (e, None))).collect()
                }
            };
            for (e, vector_score) in candidates {
                if type_.is_some_and(|t| e.type_.as_deref() != Some(t)) {
                    continue;
                }
                let text_score = match &lowered {
                    None => None,
                    Some(_) => {
                        if exact.is_some_and(|ids| ids.contains(&e.id)) {
                            Some(1.0)
                        } else {
                            let found = match g.words.get(&e.id) {
                                Some(words) => query_words.iter().filter(|w| words.contains(*w)).count(),
                                None => 0,
                            };
                            if found == 0 || query_words.is_empty() {
                                None
                            } else {
                                Some(0.9 * found as f64 / query_words.len() as f64)
                            }
                        }
                    }
                };
                let score = match (text_score, vector_score) {
                    (Some(t), Some(v)) => (t + v) / 2.0,
                    (Some(t), None) if vector.is_none() => t,
                    (None, Some(v)) if text.is_none() => v,
                    // Both asked for, the text not matching: the vector alone, halved.
                    (None, Some(v)) => v / 2.0,
                    _ => continue,
                };
                hits.push((e, score));
            }
            // Best score first, then id: a total order, so selecting the k best and sorting only
            // those gives exactly the full sort's first k. Ranked by reference: only the k
            // returned are copied.
            let order = |a: &(&Entity, f64), b: &(&Entity, f64)| b.1.total_cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id));
            if hits.len() > k {
                hits.select_nth_unstable_by(k - 1, order);
                hits.truncate(k);
            }
            hits.sort_by(order);
            Ok(hits.into_iter().map(|(e, score)| EntityHit { entity: e.clone(), score }).collect())
        })
    }

    /// The facts about the entities `text` mentions (a name or alias, as whole words, ignoring
    /// case), valid at `as_of` (default: now), at most `limit`: per entity in order of first
    /// mention, its facts by confidence then most recent validity. Each fact carries its sources
    /// (the memories it came from). Memory recall with the graph adds these to its hits.
    pub fn facts_for_text(&self, text: &str, as_of: Option<i64>, limit: usize) -> Result<Vec<Fact>> {
        if limit == 0 {
            return Err(Error::invalid_argument("limit must be at least 1"));
        }
        self.with(|g, now| {
            let q = FactQuery { as_of, ..Default::default() };
            let mut out: Vec<Fact> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for e in g.mentioned(text) {
                let mut facts = g.facts_of(&e, &q, Direction::Both, now);
                facts.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(b.valid_from.cmp(&a.valid_from)).then(a.id.cmp(&b.id)));
                for f in facts {
                    if seen.insert(f.id.clone()) {
                        out.push(f);
                        if out.len() == limit {
                            return Ok(out);
                        }
                    }
                }
            }
            Ok(out)
        })
    }

    /// The entities `text` mentions (see [`Graph::facts_for_text`]), in order of first mention.
    pub fn mentioned_entities(&self, text: &str) -> Result<Vec<Entity>> {
        self.with(|g, _| Ok(g.mentioned(text).into_iter().filter_map(|id| g.entities.get(&id).cloned()).collect()))
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

#[cfg(test)]
mod tests;
