//! Agent memory: texts (and their vectors) that an agent remembers, recalls by a score mixing
//! similarity, recency and importance, and forgets or consolidates without any LLM.
//!
//! # Storage
//! A memory store named `n` is the hidden collection `_agentdb_memory_<n>` (see
//! [`crate::database`]: names starting with `_agentdb_` are the engine's own), so it gets the SIMD
//! kernels, the HNSW index (created with the store), filters and whatever the collection write
//! path provides. A memory is one record: its vector, its text in `document`, and typed metadata
//! columns for the system fields [`SYSTEM_KEYS`] (`agent_id`, `session_id`, `kind`, `importance`,
//! `created`, `last_accessed`, `access_count`) next to the user's own metadata keys, kept as they
//! are (so `where={"topic": "x"}` works); the system names are reserved.
//!
//! The scalar fields of every memory are also held in memory (a few hundred bytes per memory), so
//! recall filters by agent, session, kind and time, scores and ranks without reading Lance: with
//! the vectors already mirrored for search, a recall touches no storage at all. Lance is read only
//! for `where` filters (evaluated by Lance's SQL engine) and for vectors returned by `get`.
//!
//! # The score
//! Two modes ([`RecallMode`]); the default is relevance first.
//!
//! ```text
//! recency    = 0.5 ^ (age / half_life),   age = now − last_accessed (≥ 0; last_accessed starts
//!                                          as the creation time and moves on every recall)
//! similarity = cosine: max(0, cos(q, v))  (= clamp(1 − distance, 0, 1))
//!              dot:    clamp(q · v, 0, 1)
//!              l2:     1 / (1 + ‖q − v‖²)
//! strength   = w_rec · recency + w_imp · importance
//!
//! relevance (default):
//!   score      = sim_n · adjustment
//!   sim_n      = (similarity − lo) / (hi − lo)     lo, hi: the lowest and highest similarity among
//!                                                  the candidates (sim_n = 1 when lo = hi)
//!   adjustment = 1 − α · (1 − s),   s = strength / (w_rec + w_imp)   (in [0, 1]; 1 if both are 0)
//! linear (the old score):
//!   score      = w_sim · similarity + strength
//! ```
//! Defaults ([`RecallWeights::DEFAULT`]): relevance mode, `w_sim = 1`, `w_rec = 0.5`, `w_imp =
//! 0.5`, half-life 7 days, `α = adjust = 0.1`. The old default is [`RecallWeights::LINEAR`]
//! (the same weights in linear mode).
//!
//! In relevance mode the candidates are the `n` memories passing the filters that are most
//! similar to the query (`n = candidates`, default `max(10·k, 100)`), whichever way they are found
//! (exact scan or HNSW), and the ranking depends on similarity first: the adjustment is a factor
//! in `[1 − α, 1]`, so recency and importance can only reorder memories whose normalised
//! similarities are within a factor `1 − α` of each other, and the most similar candidate
//! (`sim_n = 1`) scores at least `1 − α`. Embedding similarities sit in a narrow band (e5:
//! ~0.75–0.9), where the linear score's `0.5 · recency` over weeks outweighs any difference in
//! relevance; normalising over the candidates makes the band's width the unit instead. `w_sim`
//! only switches similarity on (> 0) or off (0: rank by the adjustment, i.e. by strength).
//!
//! Worked example (defaults, so `s = (recency + importance) / 2`; three candidates with
//! similarities 0.90, 0.85, 0.80, so `lo = 0.80`, `hi = 0.90`):
//! ```text
//! memory  similarity  age       importance  sim_n  recency  s      adjustment  score
//! A       0.90        60 days   0.5         1.0    0.0026   0.251  0.9251      0.9251
//! B       0.85        0 (now)   0.5         0.5    1.0      0.75   0.975       0.4875
//! C       0.80        0 (now)   1.0         0.0    1.0      1.0    1.0         0.0
//! ```
//! A ranks first although it is two months old; in linear mode with the old defaults A scores
//! `0.90 + 0.5·0.0026 + 0.25 = 1.1513`, B `0.85 + 0.5 + 0.25 = 1.6` and C `0.80 + 0.5 + 0.5 =
//! 1.8`: the ranking is C, B, A, by recency and importance. Two near-equal memories do get
//! ordered by recency: with `sim_n` 1.0 (60 days old) and 0.95 (today), the scores are 0.9251
//! and `0.95 · 0.975 = 0.9263`, so the newer one ranks first.
//!
//! Without a query (or with `w_sim = 0`) there is no similarity term, so memories rank by their
//! strength in both modes (relevance mode reports the adjustment as the score); strength is also
//! what decay, capacity eviction and de-duplication compare, with the same weights in both modes.
//! Ties rank by id.
//!
//! # Recall
//! Each agent's vectors are also kept here, in one contiguous block per agent, so a recall
//! filtered to an agent is one SIMD scan of that block. When the memories passing the filters
//! number at most [`exact_max`]`(dim)` (`max(4096, 4 Mi / dim)`: 32,768 at 128-d, 10,922 at
//! 384-d) or fewer than 5% of the store, every one is scored (exact; in relevance mode, the best
//! `n` by similarity are kept as the candidates). Above that, the `candidates` most similar ones
//! (default `max(10·k, 100)`) are found with the store's HNSW index and re-scored; a memory
//! outside them cannot be returned, which in linear mode only matters when recency and
//! importance could outweigh a large similarity gap. (The per-agent blocks double the memory
//! the vectors take: the collection's mirror holds them too.)
//!
//! Recalling updates the access statistics (`last_accessed = now`, `access_count + 1`) of the
//! memories returned. Those updates are applied in memory at once and written to storage in
//! batches (one upsert of all touched memories), when [`PENDING_FLUSH_ROWS`] memories are waiting
//! or the oldest waited [`PENDING_FLUSH_AFTER`], on [`Memory::flush`], and when the database is
//! closed: recall itself does not commit. A crash loses at most the statistics not yet written.

use std::cmp::Ordering as CmpOrdering;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::collection::{Collection, MAX_K};
use crate::database::Database;
use crate::error::{Error, ErrorKind, Result};
use crate::filter::Filter;
use crate::hnsw::HnswParams;
use crate::kernels::{Kernels, Metric as KernelMetric};
use crate::records::{self, Records, Vectors, MAX_ID_LEN};
use crate::schema::{Metric, MAX_NAME_LEN};
use crate::value::{Metadata, Value};

/// The hidden collection of memory store `n` is `_agentdb_memory_<n>`.
pub const MEMORY_COLLECTION_PREFIX: &str = "_agentdb_memory_";

/// The metadata columns the engine writes for every memory; user metadata may not use them.
pub const SYSTEM_KEYS: [&str; 7] =
    ["agent_id", "session_id", "kind", "importance", "created", "last_accessed", "access_count"];

/// At most this many memories passing the filters are always all scored exactly (more when the
/// dimension is small: see [`exact_max`]).
pub const EXACT_RECALL_MAX: usize = 4096;
/// Memories passing the filters are all scored exactly while their vectors total at most this
/// many floats (16 MiB: a few milliseconds of SIMD scan at worst).
const EXACT_RECALL_FLOATS: usize = 4 << 20;

/// How many matching memories recall scores exactly, for vectors of `dim`:
/// `max(EXACT_RECALL_MAX, 4 Mi / dim)` (32,768 at 128-d, 10,922 at 384-d).
pub fn exact_max(dim: usize) -> usize {
    (EXACT_RECALL_FLOATS / dim.max(1)).max(EXACT_RECALL_MAX)
}
/// Touched memories waiting to be written that trigger a write on the next recall.
pub const PENDING_FLUSH_ROWS: usize = 4096;
/// How long a touched memory may wait before the next recall writes it.
pub const PENDING_FLUSH_AFTER: Duration = Duration::from_secs(5);
/// De-duplication compares every pair exactly in groups up to this size; larger groups ask the
/// vector index for each memory's nearest neighbours.
const DEDUP_EXACT_MAX: usize = 1024;
/// Neighbours examined per memory in index-assisted de-duplication.
const DEDUP_NEIGHBOURS: usize = 32;
/// The graph every memory store gets at creation (kept current by every write).
fn memory_index() -> HnswParams {
    HnswParams { m: 16, ef_construction: 128, ..HnswParams::default() }
}

fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

// -------------------------------------------------------------------------------------------
// Public types
// -------------------------------------------------------------------------------------------

/// What a memory is about (the usual taxonomy of agent memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MemoryKind {
    /// Short-lived scratch context of the current task.
    Working,
    /// Something that happened (an event, an exchange).
    Episodic,
    /// A fact or piece of knowledge.
    Semantic,
    /// How to do something (a skill, a recipe).
    Procedural,
}

impl MemoryKind {
    pub const ALL: [MemoryKind; 4] =
        [MemoryKind::Working, MemoryKind::Episodic, MemoryKind::Semantic, MemoryKind::Procedural];

    pub fn as_str(self) -> &'static str {
        match self {
            MemoryKind::Working => "working",
            MemoryKind::Episodic => "episodic",
            MemoryKind::Semantic => "semantic",
            MemoryKind::Procedural => "procedural",
        }
    }
}

impl std::str::FromStr for MemoryKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        MemoryKind::ALL.iter().copied().find(|k| k.as_str() == s).ok_or_else(|| {
            Error::invalid_argument(format!(
                "unknown memory kind {s:?}: expected 'working', 'episodic', 'semantic' or 'procedural'"
            ))
        })
    }
}

/// How recall combines similarity with recency and importance (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RecallMode {
    /// Relevance first (the default): the similarity normalised over the candidates, times a
    /// bounded adjustment in `[1 − adjust, 1]` for recency and importance.
    #[default]
    Relevance,
    /// The additive score `w_sim · similarity + w_rec · recency + w_imp · importance` (the only
    /// score before relevance mode; [`RecallWeights::LINEAR`] is its old default).
    Linear,
}

impl RecallMode {
    pub const ALL: [RecallMode; 2] = [RecallMode::Relevance, RecallMode::Linear];

    pub fn as_str(self) -> &'static str {
        match self {
            RecallMode::Relevance => "relevance",
            RecallMode::Linear => "linear",
        }
    }
}

impl std::str::FromStr for RecallMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        RecallMode::ALL
            .iter()
            .copied()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| Error::invalid_argument(format!("unknown recall mode {s:?}: expected 'relevance' or 'linear'")))
    }
}

/// The weights of the recall score and the recency half-life (see the module docs for both
/// modes and worked examples). The bindings take their defaults from [`RecallWeights::DEFAULT`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecallWeights {
    /// How the terms combine (default [`RecallMode::Relevance`]).
    pub mode: RecallMode,
    /// `w_sim`: the similarity term's weight (linear); in relevance mode 0 leaves similarity out
    /// and any value above 0 counts it (the ranking does not depend on how much).
    pub similarity: f64,
    /// `w_rec`: the recency term's weight; in relevance mode its share of the adjustment.
    pub recency: f64,
    /// `w_imp`: the importance term's weight; in relevance mode its share of the adjustment.
    pub importance: f64,
    /// Seconds after which recency has halved.
    pub half_life_secs: f64,
    /// Relevance mode: the most that recency and importance together take off a score, as a
    /// share of it (`α` in [0, 1]; 0 ranks by similarity alone). Not used in linear mode.
    pub adjust: f64,
}

impl RecallWeights {
    /// The defaults: relevance first, `w_sim = 1`, `w_rec = 0.5`, `w_imp = 0.5`, half-life 7
    /// days, `adjust = 0.1`. Strength (decay, capacity, de-duplication) uses the same weights
    /// in both modes, so it is what it was before relevance mode.
    pub const DEFAULT: RecallWeights = RecallWeights {
        mode: RecallMode::Relevance,
        similarity: 1.0,
        recency: 0.5,
        importance: 0.5,
        half_life_secs: 7.0 * 86_400.0,
        adjust: 0.1,
    };

    /// The old default score: linear, `1 · similarity + 0.5 · recency + 0.5 · importance`,
    /// half-life 7 days.
    pub const LINEAR: RecallWeights = RecallWeights { mode: RecallMode::Linear, ..RecallWeights::DEFAULT };

    /// Checks the weights as recall and consolidation do (`InvalidArgument`).
    pub fn validate(&self) -> Result<()> {
        for (name, w) in [("similarity", self.similarity), ("recency", self.recency), ("importance", self.importance)] {
            if !w.is_finite() || w < 0.0 {
                return Err(Error::invalid_argument(format!("the {name} weight must be a finite number >= 0, got {w}")));
            }
        }
        if !self.half_life_secs.is_finite() || self.half_life_secs <= 0.0 {
            return Err(Error::invalid_argument(format!(
                "half_life must be a finite number of seconds > 0, got {}",
                self.half_life_secs
            )));
        }
        if !(0.0..=1.0).contains(&self.adjust) {
            return Err(Error::invalid_argument(format!("adjust must be a number in [0, 1], got {}", self.adjust)));
        }
        Ok(())
    }

    /// `0.5 ^ (age / half_life)` for an age in microseconds (a negative age counts as 0).
    pub fn recency(&self, age_micros: i64) -> f64 {
        let age = (age_micros.max(0) as f64) / 1e6;
        0.5f64.powf(age / self.half_life_secs)
    }

    /// Strength `w_rec · recency + w_imp · importance` (both modes): the no-query ranking, and
    /// what decay, capacity eviction and de-duplication compare.
    pub fn strength(&self, recency: f64, importance: f64) -> f64 {
        self.recency * recency + self.importance * importance
    }

    /// Relevance mode's adjustment `1 − α · (1 − s)`, with `s = strength / (w_rec + w_imp)` in
    /// [0, 1] (`s = 1` when both weights are 0): a factor in `[1 − α, 1]`.
    pub fn adjustment(&self, recency: f64, importance: f64) -> f64 {
        let total = self.recency + self.importance;
        let s = if total > 0.0 { (self.strength(recency, importance) / total).clamp(0.0, 1.0) } else { 1.0 };
        1.0 - self.adjust * (1.0 - s)
    }

    /// The score of one memory. `similarity` is `None` without a query; in relevance mode it is
    /// the *normalised* similarity (see [`RecallWeights::normalized`]), in linear mode the raw
    /// one.
    ///
    /// - linear: `w_sim · similarity + w_rec · recency + w_imp · importance`;
    /// - relevance: `sim_n · adjustment`, with `sim_n = 1` without a query or when `w_sim = 0`.
    pub fn score(&self, similarity: Option<f64>, recency: f64, importance: f64) -> f64 {
        match self.mode {
            RecallMode::Linear => similarity.map_or(0.0, |s| self.similarity * s) + self.strength(recency, importance),
            RecallMode::Relevance => {
                let rel = match similarity {
                    Some(s) if self.similarity > 0.0 => s,
                    _ => 1.0,
                };
                rel * self.adjustment(recency, importance)
            }
        }
    }

    /// Relevance mode's `sim_n = (sim − lo) / (hi − lo)`, where `lo` and `hi` are the lowest and
    /// highest similarity among the candidates (1 when they are equal).
    pub fn normalized(similarity: f64, lo: f64, hi: f64) -> f64 {
        if hi - lo > 1e-12 {
            ((similarity - lo) / (hi - lo)).clamp(0.0, 1.0)
        } else {
            1.0
        }
    }
}

impl Default for RecallWeights {
    fn default() -> Self {
        RecallWeights::DEFAULT
    }
}

/// The similarity in [0, 1] the score uses for a distance of `metric` (see the module docs).
pub fn similarity(metric: Metric, distance: f32) -> f64 {
    let d = distance as f64;
    match metric {
        Metric::Cosine | Metric::Dot => (1.0 - d).clamp(0.0, 1.0),
        Metric::L2 => 1.0 / (1.0 + d.max(0.0)),
    }
}

/// A memory to store (its vector is passed next to it, see [`Memory::remember`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewMemory {
    /// `None`: a new id is generated (time-ordered, like a UUIDv7).
    pub id: Option<String>,
    pub text: Option<String>,
    pub agent_id: String,
    pub session_id: Option<String>,
    pub kind: MemoryKind,
    /// In [0, 1].
    pub importance: f64,
    /// User metadata; keys must not be [`SYSTEM_KEYS`].
    pub metadata: Metadata,
    /// When the memory was formed, microseconds since the epoch; `None`: now. (Given when
    /// importing memories kept elsewhere.)
    pub created_at: Option<i64>,
}

impl NewMemory {
    /// An episodic memory of importance 0.5 with no session, text or metadata.
    pub fn new(agent_id: impl Into<String>) -> NewMemory {
        NewMemory {
            id: None,
            text: None,
            agent_id: agent_id.into(),
            session_id: None,
            kind: MemoryKind::Episodic,
            importance: 0.5,
            metadata: Metadata::new(),
            created_at: None,
        }
    }
}

/// A stored memory.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryRecord {
    pub id: String,
    pub text: Option<String>,
    pub agent_id: String,
    pub session_id: Option<String>,
    pub kind: MemoryKind,
    pub importance: f64,
    /// Microseconds since the epoch, UTC.
    pub created_at: i64,
    pub last_accessed: i64,
    pub access_count: u64,
    pub metadata: Metadata,
    /// The vector as given (filled by [`Memory::get`]; empty in recall hits).
    pub vector: Vec<f32>,
}

/// Which memories an operation applies to. Every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryFilter {
    pub agent_id: Option<String>,
    pub session_id: Option<String>,
    /// `None`: every kind.
    pub kinds: Option<Vec<MemoryKind>>,
    /// Created at or after (µs since the epoch).
    pub since: Option<i64>,
    /// Created strictly before (µs since the epoch).
    pub until: Option<i64>,
    /// A collection filter (SQL or dict) over the memory columns: user metadata keys, the system
    /// keys, `id`, `document` (the text). Evaluated by Lance, so slower than the others.
    pub where_: Option<Filter>,
}

impl MemoryFilter {
    /// A filter on one agent's memories.
    pub fn agent(agent_id: impl Into<String>) -> MemoryFilter {
        MemoryFilter { agent_id: Some(agent_id.into()), ..Default::default() }
    }

    fn is_empty(&self) -> bool {
        self.agent_id.is_none()
            && self.session_id.is_none()
            && self.kinds.is_none()
            && self.since.is_none()
            && self.until.is_none()
            && self.where_.is_none()
    }
}

/// How [`Memory::recall`] ranks and what it returns.
#[derive(Debug, Clone, PartialEq)]
pub struct RecallOptions {
    pub k: usize,
    pub filter: MemoryFilter,
    pub weights: RecallWeights,
    /// Update the access statistics of the memories returned.
    pub touch: bool,
    /// The time recency is measured at (and the new `last_accessed`); `None`: now.
    pub now: Option<i64>,
    /// How many nearest memories are re-scored when more than [`exact_max`] pass the filters,
    /// and in relevance mode how many most similar ones are the candidates however they are
    /// found (at least `k`); `None`: `max(10·k, 100)`.
    pub candidates: Option<usize>,
    /// Score every memory passing the filters, however many (relevance mode: find the
    /// candidates by an exact scan instead of the graph).
    pub exact: bool,
}

impl RecallOptions {
    pub fn new(k: usize) -> RecallOptions {
        RecallOptions {
            k,
            filter: MemoryFilter::default(),
            weights: RecallWeights::default(),
            touch: true,
            now: None,
            candidates: None,
            exact: false,
        }
    }
}

/// One recalled memory and how its score was made.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryHit {
    /// The memory as it is after this recall (access statistics already updated when touching).
    pub record: MemoryRecord,
    pub score: f64,
    /// `None` for a recall without a query.
    pub similarity: Option<f64>,
    /// The recency used in the score (before this recall's touch).
    pub recency: f64,
}

/// Changes to one memory; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryUpdate {
    /// `Some(None)` removes the text.
    pub text: Option<Option<String>>,
    pub importance: Option<f64>,
    /// Replaces the user metadata as a whole.
    pub metadata: Option<Metadata>,
    pub vector: Option<Vec<f32>>,
}

/// What [`Memory::consolidate`] does; each step runs only when its setting is given.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsolidateOptions {
    /// Only this agent's memories (`None`: every agent, each on its own).
    pub agent_id: Option<String>,
    /// De-duplication: memories of the same agent whose similarity is at least this are merged
    /// into the strongest of them.
    pub dedup_threshold: Option<f64>,
    /// Decay: memories whose strength `w_rec · recency + w_imp · importance` is below this are
    /// deleted.
    pub min_score: Option<f64>,
    /// Capacity: each agent keeps at most this many memories, the weakest are deleted first.
    pub capacity: Option<usize>,
    pub weights: RecallWeights,
    /// The time strengths are measured at; `None`: now.
    pub now: Option<i64>,
}

impl Default for ConsolidateOptions {
    fn default() -> Self {
        ConsolidateOptions {
            agent_id: None,
            dedup_threshold: None,
            min_score: None,
            capacity: None,
            weights: RecallWeights::default(),
            now: None,
        }
    }
}

/// What a consolidation changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsolidationReport {
    /// `(kept, removed)`: `removed` was merged into `kept` (de-duplication).
    pub merged: Vec<(String, String)>,
    /// Deleted by decay.
    pub pruned: Vec<String>,
    /// Deleted by the capacity limit.
    pub evicted: Vec<String>,
}

// -------------------------------------------------------------------------------------------
// The in-memory table of memories
// -------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Row {
    id: String,
    text: Option<String>,
    agent_id: String,
    session_id: Option<String>,
    kind: MemoryKind,
    importance: f64,
    created: i64,
    last_accessed: i64,
    access_count: u64,
    metadata: Metadata,
}

impl Row {
    fn record(&self) -> MemoryRecord {
        MemoryRecord {
            id: self.id.clone(),
            text: self.text.clone(),
            agent_id: self.agent_id.clone(),
            session_id: self.session_id.clone(),
            kind: self.kind,
            importance: self.importance,
            created_at: self.created,
            last_accessed: self.last_accessed,
            access_count: self.access_count,
            metadata: self.metadata.clone(),
            vector: Vec::new(),
        }
    }

    fn strength(&self, w: &RecallWeights, now: i64) -> f64 {
        w.strength(w.recency(now.saturating_sub(self.last_accessed)), self.importance)
    }

    /// The system fields and the user metadata, as stored in the collection.
    fn stored_metadata(&self) -> Metadata {
        let mut m = self.metadata.clone();
        m.insert("agent_id".into(), Value::Str(self.agent_id.clone()));
        if let Some(s) = &self.session_id {
            m.insert("session_id".into(), Value::Str(s.clone()));
        }
        m.insert("kind".into(), Value::Str(self.kind.as_str().into()));
        m.insert("importance".into(), Value::Float(self.importance));
        m.insert("created".into(), Value::Datetime(self.created));
        m.insert("last_accessed".into(), Value::Datetime(self.last_accessed));
        m.insert("access_count".into(), Value::Int(self.access_count.min(i64::MAX as u64) as i64));
        m
    }

    /// Reads a stored record back (the inverse of [`Row::stored_metadata`]).
    fn from_stored(id: String, text: Option<String>, mut meta: Metadata, fallback_time: i64) -> Result<Row> {
        let bad = |what: &str| Error::storage(format!("memory {id:?}: {what}"));
        let agent_id = match meta.remove("agent_id") {
            Some(Value::Str(s)) => s,
            _ => return Err(bad("no agent_id")),
        };
        let session_id = match meta.remove("session_id") {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        };
        let kind = match meta.remove("kind") {
            Some(Value::Str(s)) => s.parse::<MemoryKind>().map_err(|_| bad("unknown kind"))?,
            _ => return Err(bad("no kind")),
        };
        let importance = match meta.remove("importance") {
            Some(Value::Float(f)) => f,
            Some(Value::Int(i)) => i as f64,
            _ => return Err(bad("no importance")),
        };
        let created = match meta.remove("created") {
            Some(Value::Datetime(t)) => t,
            _ => fallback_time,
        };
        let last_accessed = match meta.remove("last_accessed") {
            Some(Value::Datetime(t)) => t,
            _ => created,
        };
        let access_count = match meta.remove("access_count") {
            Some(Value::Int(n)) => n.max(0) as u64,
            _ => 0,
        };
        Ok(Row { id, text, agent_id, session_id, kind, importance, created, last_accessed, access_count, metadata: meta })
    }
}

/// The filter with its `where` part resolved to ids.
struct Compiled<'a> {
    f: &'a MemoryFilter,
    where_ids: Option<HashSet<String>>,
}

impl Compiled<'_> {
    fn matches(&self, r: &Row) -> bool {
        let f = self.f;
        f.agent_id.as_ref().is_none_or(|a| *a == r.agent_id)
            && f.session_id.as_ref().is_none_or(|s| r.session_id.as_ref() == Some(s))
            && f.kinds.as_ref().is_none_or(|k| k.contains(&r.kind))
            && f.since.is_none_or(|t| r.created >= t)
            && f.until.is_none_or(|t| r.created < t)
            && self.where_ids.as_ref().is_none_or(|ids| ids.contains(&r.id))
    }

    /// Whether only the agent condition is set (then the agent's group is the answer).
    fn agent_only(&self) -> bool {
        let f = self.f;
        f.session_id.is_none() && f.kinds.is_none() && f.since.is_none() && f.until.is_none() && self.where_ids.is_none()
    }
}

/// One agent's memories: their slots and, in the same order, their vectors in one contiguous
/// block (normalised for cosine), so a recall filtered to an agent is one SIMD scan of that block
/// rather than a lookup per memory.
#[derive(Default)]
struct Group {
    slots: Vec<usize>,
    vectors: Vec<f32>,
}

struct Table {
    dim: usize,
    metric: Metric,
    /// Slots; a freed slot is `None` until reused.
    rows: Vec<Option<Row>>,
    /// The position of each slot's memory in its agent's group.
    pos: Vec<usize>,
    free: Vec<usize>,
    slot: HashMap<String, usize>,
    groups: HashMap<String, Group>,
    /// Ids whose access statistics changed since they were last written.
    pending: HashSet<String>,
    pending_since: Option<Instant>,
}

impl Table {
    fn new(dim: usize, metric: Metric) -> Table {
        Table {
            dim,
            metric,
            rows: Vec::new(),
            pos: Vec::new(),
            free: Vec::new(),
            slot: HashMap::new(),
            groups: HashMap::new(),
            pending: HashSet::new(),
            pending_since: None,
        }
    }

    fn len(&self) -> usize {
        self.slot.len()
    }

    fn get(&self, id: &str) -> Option<&Row> {
        self.slot.get(id).and_then(|&s| self.rows[s].as_ref())
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut Row> {
        let s = *self.slot.get(id)?;
        self.rows[s].as_mut()
    }

    /// Appends the vector as the group keeps it (normalised for cosine).
    fn push_vector(&self, out: &mut Vec<f32>, v: &[f32]) {
        let start = out.len();
        out.extend_from_slice(v);
        if self.metric == Metric::Cosine {
            crate::kernels::normalize(&mut out[start..]);
        }
    }

    /// Inserts a memory with its vector (replacing one of the same id).
    fn insert(&mut self, row: Row, vector: &[f32]) {
        if let Some(&s) = self.slot.get(&row.id) {
            self.remove_slot(s);
        }
        let s = match self.free.pop() {
            Some(s) => s,
            None => {
                self.rows.push(None);
                self.pos.push(0);
                self.rows.len() - 1
            }
        };
        let mut block = std::mem::take(&mut self.groups.entry(row.agent_id.clone()).or_default().vectors);
        self.push_vector(&mut block, vector);
        let g = self.groups.get_mut(&row.agent_id).expect("the group was just made");
        g.vectors = block;
        g.slots.push(s);
        self.pos[s] = g.slots.len() - 1;
        self.slot.insert(row.id.clone(), s);
        self.rows[s] = Some(row);
    }

    /// Replaces the fields of a stored memory of the same agent, keeping its vector.
    fn replace(&mut self, row: Row) {
        match self.slot.get(&row.id) {
            Some(&s) if self.rows[s].as_ref().is_some_and(|r| r.agent_id == row.agent_id) => self.rows[s] = Some(row),
            _ => debug_assert!(false, "replace of a memory that is not stored under that agent"),
        }
    }

    /// Replaces the vector of a stored memory.
    fn set_vector(&mut self, id: &str, vector: &[f32]) {
        let Some(&s) = self.slot.get(id) else { return };
        let Some(agent) = self.rows[s].as_ref().map(|r| r.agent_id.clone()) else { return };
        let mut v = Vec::with_capacity(self.dim);
        self.push_vector(&mut v, vector);
        let (dim, p) = (self.dim, self.pos[s]);
        if let Some(g) = self.groups.get_mut(&agent) {
            g.vectors[p * dim..(p + 1) * dim].copy_from_slice(&v);
        }
    }

    fn remove(&mut self, id: &str) -> bool {
        match self.slot.get(id) {
            Some(&s) => {
                self.remove_slot(s);
                true
            }
            None => false,
        }
    }

    fn remove_slot(&mut self, s: usize) {
        let Some(row) = self.rows[s].take() else { return };
        self.slot.remove(&row.id);
        self.pending.remove(&row.id);
        let dim = self.dim;
        if let Some(g) = self.groups.get_mut(&row.agent_id) {
            // Swap-remove: the group's last memory takes the freed position.
            let p = self.pos[s];
            let last = g.slots.len() - 1;
            if p != last {
                let moved = g.slots[last];
                g.slots[p] = moved;
                g.vectors.copy_within(last * dim..(last + 1) * dim, p * dim);
                self.pos[moved] = p;
            }
            g.slots.pop();
            g.vectors.truncate(last * dim);
            if g.slots.is_empty() {
                self.groups.remove(&row.agent_id);
            }
        }
        self.free.push(s);
    }

    /// The slots passing the filter, in no particular order.
    fn matching(&self, c: &Compiled<'_>) -> Vec<usize> {
        match &c.f.agent_id {
            Some(a) => {
                let Some(group) = self.groups.get(a) else { return Vec::new() };
                if c.agent_only() {
                    group.slots.clone()
                } else {
                    group.slots.iter().copied().filter(|&s| self.rows[s].as_ref().is_some_and(|r| c.matches(r))).collect()
                }
            }
            None => (0..self.rows.len()).filter(|&s| self.rows[s].as_ref().is_some_and(|r| c.matches(r))).collect(),
        }
    }

    /// How many memories pass the filter, without listing them when the answer is a group size.
    fn count_matching(&self, c: &Compiled<'_>) -> usize {
        match (&c.f.agent_id, c.agent_only()) {
            (Some(a), true) => self.groups.get(a).map_or(0, |g| g.slots.len()),
            (None, _) if c.f.is_empty() => self.len(),
            _ => self.matching(c).len(),
        }
    }

    /// `(slot, distance to query)` of every memory passing the filter: one SIMD scan of each
    /// group in scope (the agent's, or all).
    fn distances(&self, query: &[f32], c: &Compiled<'_>) -> Vec<(usize, f32)> {
        let kern = Kernels::get();
        let metric = match self.metric {
            Metric::L2 => KernelMetric::L2,
            // Both sides normalised: cosine distance is 1 - q̂·v̂.
            Metric::Cosine | Metric::Dot => KernelMetric::Dot,
        };
        let mut q = Vec::with_capacity(self.dim);
        self.push_vector(&mut q, query);
        let groups: Vec<&Group> = match &c.f.agent_id {
            Some(a) => self.groups.get(a).into_iter().collect(),
            None => self.groups.values().collect(),
        };
        let every = c.agent_only() || c.f.is_empty();
        let mut out = Vec::new();
        let mut buf = Vec::new();
        for g in groups {
            buf.resize(g.slots.len(), 0f32);
            if g.slots.is_empty() {
                continue;
            }
            kern.batch_f32(metric, &q, &g.vectors, self.dim, &mut buf);
            for (&s, &d) in g.slots.iter().zip(&buf) {
                if every || self.rows[s].as_ref().is_some_and(|r| c.matches(r)) {
                    let d = if self.metric == Metric::Cosine { d.max(0.0) } else { d };
                    out.push((s, d));
                }
            }
        }
        out
    }

    fn row(&self, s: usize) -> &Row {
        self.rows[s].as_ref().expect("a listed slot holds a row")
    }
}

// -------------------------------------------------------------------------------------------
// The store
// -------------------------------------------------------------------------------------------

/// A memory store. Cheap to clone; clones share one state (also with every other handle to the
/// same store of the same [`Database`]). A handle keeps its database open: dropping every
/// [`Database`] handle while a `Memory` lives leaves the store usable, and the database closes
/// when the last of them goes. [`Database::close`] still closes it, and the store then fails
/// with [`ErrorKind::Closed`].
#[derive(Clone)]
pub struct Memory {
    shared: Arc<MemoryShared>,
    /// A user's handle keeps the database open (see [`Database`]); the background thread's
    /// transient handle does not, or the database could never close while it runs.
    _keep: Option<Arc<crate::database::OpenHandle>>,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory").field("name", &self.shared.name).field("dim", &self.dim()).finish()
    }
}

pub(crate) struct MemoryShared {
    name: String,
    collection: Collection,
    table: RwLock<Table>,
    /// Serialises the writes of this store (collection write, then the table).
    write: Mutex<()>,
    background: Mutex<Option<Background>>,
    last_background: Mutex<Option<Result<ConsolidationReport>>>,
    closed: AtomicBool,
    /// On a read-only database recall does not touch (there is nowhere to write it).
    read_only: bool,
}

struct Background {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: std::thread::JoinHandle<()>,
}

impl MemoryShared {
    /// Stops the background thread and writes the pending access statistics. Called by
    /// [`Database::close`]; the store is unusable afterwards.
    pub(crate) fn close(&self) {
        stop_background(&self.background);
        let _ = Memory::flush_shared(self);
        self.closed.store(true, Ordering::Release);
    }
}

thread_local! {
    /// Set on the background consolidation threads.
    static IN_BACKGROUND: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn stop_background(slot: &Mutex<Option<Background>>) {
    let bg = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(bg) = bg {
        let (lock, cv) = &*bg.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
        // The thread holds only a weak reference and never waits on this caller: joining cannot
        // deadlock, except when the thread itself is the caller (e.g. it closes the database),
        // which `join` would refuse, so it is not joined then. (A thread-local flag rather than
        // `thread::current()`, which allocates a handle that foreign threads never free.)
        if !IN_BACKGROUND.with(|b| b.get()) {
            let _ = bg.thread.join();
        }
    }
}

fn validate_store_name(name: &str) -> Result<()> {
    let max = MAX_NAME_LEN - MEMORY_COLLECTION_PREFIX.len();
    let ok = !name.is_empty()
        && name.len() <= max
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        && !name.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidName,
            format!(
                "invalid memory store name {name:?}: 1 to {max} ASCII letters, digits, '_' or '-', not starting with '-'"
            ),
        ))
    }
}

fn check_text_field(what: &str, s: &str) -> Result<()> {
    if s.is_empty() || s.len() > MAX_ID_LEN {
        return Err(Error::invalid_argument(format!("{what} must be 1 to {MAX_ID_LEN} bytes long")));
    }
    Ok(())
}

fn check_importance(i: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&i) {
        return Err(Error::invalid_argument(format!("importance must be between 0 and 1, got {i}")));
    }
    Ok(())
}

fn check_user_metadata(m: &Metadata, at: &dyn Fn() -> String) -> Result<()> {
    if let Some(k) = m.keys().find(|k| SYSTEM_KEYS.iter().any(|s| s.eq_ignore_ascii_case(k))) {
        return Err(Error::invalid_metadata(format!(
            "{}: metadata key {k:?} is reserved for the memory's own fields ({})",
            at(),
            SYSTEM_KEYS.join(", ")
        )));
    }
    Ok(())
}

/// A new time-ordered id: 48 bits of milliseconds, then 80 random bits, as a UUIDv7-shaped
/// string (ids made later sort later, which keeps the id index and the tie-break meaningful).
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
    let rand_a = (r1 & 0x0fff) as u16;
    let rand_b = r2 & 0x3fff_ffff_ffff_ffff;
    format!(
        "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
        ms >> 16,
        ms & 0xffff,
        rand_a,
        0x8000 | ((rand_b >> 48) & 0x3fff) as u16,
        rand_b & 0xffff_ffff_ffff
    )
}

impl Database {
    /// Opens the memory store `name`, creating it when it does not exist.
    ///
    /// `dim` is the vector dimension: required to create the store; when the store exists it must
    /// match (else [`ErrorKind::DimensionMismatch`]), or be `None`. `metric` likewise (default
    /// cosine; an existing store with another metric is [`ErrorKind::InvalidArgument`]).
    pub fn memory(&self, name: &str, dim: Option<usize>, metric: Option<Metric>) -> Result<Memory> {
        validate_store_name(name)?;
        let full = format!("{MEMORY_COLLECTION_PREFIX}{name}");
        let registry = self.shared().memories.lock().unwrap_or_else(|p| p.into_inner()).get(name).cloned();
        let shared = match registry {
            Some(s) if !s.closed.load(Ordering::Acquire) => s,
            _ => {
                let collection = match self.get_collection_any(&full) {
                    Ok(c) => c,
                    Err(e) if e.kind() == ErrorKind::CollectionNotFound => {
                        let Some(d) = dim else {
                            return Err(Error::new(
                                ErrorKind::CollectionNotFound,
                                format!("memory store '{name}' does not exist (give its dimension to create it)"),
                            ));
                        };
                        let c = match self.create_collection_any(&full, d, metric.unwrap_or(Metric::Cosine)) {
                            Err(e) if e.kind() == ErrorKind::CollectionExists => self.get_collection_any(&full)?,
                            other => other?,
                        };
                        if c.index_params()?.is_none() {
                            c.create_index(memory_index())?;
                        }
                        c
                    }
                    Err(e) => return Err(e),
                };
                let mut reg = self.shared().memories.lock().unwrap_or_else(|p| p.into_inner());
                match reg.get(name) {
                    Some(s) if !s.closed.load(Ordering::Acquire) => s.clone(),
                    _ => {
                        let s = Arc::new(MemoryShared {
                            name: name.to_owned(),
                            table: RwLock::new(load_table(&collection)?),
                            collection,
                            write: Mutex::new(()),
                            background: Mutex::new(None),
                            last_background: Mutex::new(None),
                            closed: AtomicBool::new(false),
                            read_only: self.is_read_only(),
                        });
                        reg.insert(name.to_owned(), s.clone());
                        s
                    }
                }
            }
        };
        let m = Memory { shared, _keep: Some(self.keep_alive()) };
        if let Some(d) = dim {
            if d != m.dim() {
                return Err(Error::new(
                    ErrorKind::DimensionMismatch,
                    format!("memory store '{name}' has dimension {}, not {d}", m.dim()),
                ));
            }
        }
        if let Some(mt) = metric {
            if mt != m.metric() {
                return Err(Error::invalid_argument(format!(
                    "memory store '{name}' uses metric {}, not {}",
                    m.metric().as_str(),
                    mt.as_str()
                )));
            }
        }
        Ok(m)
    }

    /// The names of the memory stores, sorted.
    pub fn list_memories(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .all_collection_names()?
            .into_iter()
            .filter_map(|n| n.strip_prefix(MEMORY_COLLECTION_PREFIX).map(str::to_owned))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Deletes a memory store and all its memories.
    pub fn drop_memory(&self, name: &str) -> Result<()> {
        validate_store_name(name)?;
        if let Some(s) = self.shared().memories.lock().unwrap_or_else(|p| p.into_inner()).remove(name) {
            stop_background(&s.background);
            s.closed.store(true, Ordering::Release);
        }
        self.drop_collection_any(&format!("{MEMORY_COLLECTION_PREFIX}{name}")).map_err(|e| {
            if e.kind() == ErrorKind::CollectionNotFound {
                Error::new(ErrorKind::CollectionNotFound, format!("memory store '{name}' does not exist"))
            } else {
                e
            }
        })
    }
}

/// Reads every stored memory into the in-memory table.
fn load_table(c: &Collection) -> Result<Table> {
    let mut t = Table::new(c.dim(), c.metric());
    let all = c.get(None, None, None, 0)?;
    let now = now_micros();
    for (i, id) in all.ids.into_iter().enumerate() {
        let created = all.created_at.get(i).copied().unwrap_or(now);
        let row = Row::from_stored(id, all.documents[i].clone(), all.metadata[i].clone(), created)?;
        t.insert(row, &all.vectors[i * all.dim..(i + 1) * all.dim]);
    }
    Ok(t)
}

impl Memory {
    /// The store's name (without the hidden collection's prefix).
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    pub fn dim(&self) -> usize {
        self.shared.collection.dim()
    }

    pub fn metric(&self) -> Metric {
        self.shared.collection.metric()
    }

    fn ensure_open(&self) -> Result<()> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(Error::new(
                ErrorKind::Closed,
                format!("memory store '{}' is closed: its database was closed, or the store dropped", self.shared.name),
            ));
        }
        self.shared.collection.ensure_open()
    }

    fn table(&self) -> std::sync::RwLockReadGuard<'_, Table> {
        self.shared.table.read().unwrap_or_else(|p| p.into_inner())
    }

    fn table_mut(&self) -> std::sync::RwLockWriteGuard<'_, Table> {
        self.shared.table.write().unwrap_or_else(|p| p.into_inner())
    }

    fn write_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.shared.write.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Resolves the `where` part of a filter to ids (Lance evaluates it). Pending access
    /// statistics are written first, so a `where` on them sees what recall sees.
    fn compile<'a>(&self, f: &'a MemoryFilter) -> Result<Compiled<'a>> {
        if let Some(k) = &f.kinds {
            if k.is_empty() {
                return Err(Error::invalid_argument("kinds is empty: give at least one kind, or none for all"));
            }
        }
        let where_ids = match &f.where_ {
            None => None,
            Some(w) => {
                if !self.table().pending.is_empty() {
                    self.flush()?;
                }
                Some(self.shared.collection.ids_matching(w)?.into_iter().collect())
            }
        };
        Ok(Compiled { f, where_ids })
    }

    /// Stores memories; `vectors` holds one vector per item. Returns their ids, in order.
    ///
    /// The batch is checked whole first (ids unique and new, agent ids, importance in [0, 1],
    /// metadata keys not reserved, vectors of the store's dimension): a bad item rejects it and
    /// nothing is stored.
    pub fn remember(&self, items: &[NewMemory], vectors: Vectors<'_>) -> Result<Vec<String>> {
        self.ensure_open()?;
        if vectors.len() != items.len() {
            return Err(Error::invalid_argument(format!("{} memories but {} vectors", items.len(), vectors.len())));
        }
        let now = now_micros();
        let mut rows = Vec::with_capacity(items.len());
        for (i, m) in items.iter().enumerate() {
            let at = || format!("memory {i}");
            let fail = |e: Error| Error::new(e.kind(), format!("memory {i}: {}", e.message()));
            check_text_field("agent_id", &m.agent_id).map_err(fail)?;
            if let Some(s) = &m.session_id {
                check_text_field("session_id", s).map_err(fail)?;
            }
            check_importance(m.importance).map_err(fail)?;
            check_user_metadata(&m.metadata, &at)?;
            let id = match &m.id {
                Some(id) => id.clone(),
                None => new_id(),
            };
            let created = m.created_at.unwrap_or(now);
            rows.push(Row {
                id,
                text: m.text.clone(),
                agent_id: m.agent_id.clone(),
                session_id: m.session_id.clone(),
                kind: m.kind,
                importance: m.importance,
                created,
                last_accessed: created,
                access_count: 0,
                metadata: m.metadata.clone(),
            });
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let _w = self.write_lock();
        {
            let t = self.table();
            if let Some((i, id)) = ids.iter().enumerate().find(|(_, id)| t.get(id).is_some()) {
                return Err(Error::new(
                    ErrorKind::DuplicateId,
                    format!("memory {i}: id {id:?} already exists in memory store '{}' (use update)", self.shared.name),
                ));
            }
        }
        let docs: Vec<Option<String>> = rows.iter().map(|r| r.text.clone()).collect();
        let meta: Vec<Metadata> = rows.iter().map(Row::stored_metadata).collect();
        self.shared.collection.add(&Records { ids: &ids, vectors, documents: Some(&docs), metadata: Some(&meta) })?;
        let mut t = self.table_mut();
        for (i, r) in rows.into_iter().enumerate() {
            t.insert(r, vectors.row(i));
        }
        Ok(ids)
    }

    /// The memories with the given ids, in that order (ids not found are left out), with their
    /// vectors.
    pub fn get(&self, ids: &[String]) -> Result<Vec<MemoryRecord>> {
        self.ensure_open()?;
        let stored = self.shared.collection.get(Some(ids), None, None, 0)?;
        let dim = stored.dim;
        let pos: HashMap<&str, usize> = stored.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let t = self.table();
        Ok(ids
            .iter()
            .filter_map(|id| {
                let row = t.get(id)?;
                let i = *pos.get(id.as_str())?;
                let mut rec = row.record();
                rec.vector = stored.vectors[i * dim..(i + 1) * dim].to_vec();
                Some(rec)
            })
            .collect())
    }

    /// The number of memories passing `filter`.
    pub fn count(&self, filter: &MemoryFilter) -> Result<u64> {
        self.ensure_open()?;
        let c = self.compile(filter)?;
        Ok(self.table().count_matching(&c) as u64)
    }

    /// Changes one memory. Fails with [`ErrorKind::InvalidArgument`] when no memory has that id.
    pub fn update(&self, id: &str, change: &MemoryUpdate) -> Result<()> {
        self.ensure_open()?;
        if let Some(i) = change.importance {
            check_importance(i)?;
        }
        if let Some(m) = &change.metadata {
            check_user_metadata(m, &|| format!("memory {id:?}"))?;
        }
        let _w = self.write_lock();
        let Some(mut row) = self.table().get(id).cloned() else {
            return Err(Error::invalid_argument(format!("no memory with id {id:?} in store '{}'", self.shared.name)));
        };
        if let Some(t) = &change.text {
            row.text = t.clone();
        }
        if let Some(i) = change.importance {
            row.importance = i;
        }
        if let Some(m) = &change.metadata {
            row.metadata = m.clone();
        }
        let ids = [row.id.clone()];
        let vector = match &change.vector {
            Some(v) => v.clone(),
            None => {
                let stored = self.shared.collection.get(Some(&ids), None, None, 0)?;
                if stored.ids.is_empty() {
                    return Err(Error::internal(format!("memory {id:?} is missing from storage")));
                }
                stored.vectors
            }
        };
        let docs = [row.text.clone()];
        let meta = [row.stored_metadata()];
        let rows = [vector];
        self.shared.collection.upsert(&Records {
            ids: &ids,
            vectors: Vectors::Rows(&rows),
            documents: Some(&docs),
            metadata: Some(&meta),
        })?;
        let mut t = self.table_mut();
        t.pending.remove(id);
        t.replace(row);
        if change.vector.is_some() {
            t.set_vector(id, &rows[0]);
        }
        Ok(())
    }

    /// Deletes the memories with the given ids and/or passing `filter` (both: those that satisfy
    /// both). Returns how many were deleted. With neither, fails (an empty filter would delete
    /// everything; use `forget(None, &MemoryFilter::agent(a))` and the like).
    pub fn forget(&self, ids: Option<&[String]>, filter: &MemoryFilter) -> Result<u64> {
        self.ensure_open()?;
        if ids.is_none() && filter.is_empty() {
            return Err(Error::invalid_argument("forget needs ids or a filter"));
        }
        let c = self.compile(filter)?;
        let _w = self.write_lock();
        let targets: Vec<String> = {
            let t = self.table();
            match ids {
                Some(ids) => {
                    let mut seen = HashSet::new();
                    ids.iter().filter(|id| t.get(id).is_some_and(|r| c.matches(r)) && seen.insert(id.as_str())).cloned().collect()
                }
                None => t.matching(&c).into_iter().map(|s| t.row(s).id.clone()).collect(),
            }
        };
        self.delete_locked(&targets)?;
        Ok(targets.len() as u64)
    }

    /// Deletes from storage, then from the table; the store's write lock is held.
    fn delete_locked(&self, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.shared.collection.delete(Some(ids), None)?;
        let mut t = self.table_mut();
        for id in ids {
            t.remove(id);
        }
        Ok(())
    }

    /// The `opts.k` best memories for `query` (or, without a query, the strongest), best first,
    /// among those passing `opts.filter`. See the module docs for the score.
    pub fn recall(&self, query: Option<&[f32]>, opts: &RecallOptions) -> Result<Vec<MemoryHit>> {
        self.ensure_open()?;
        if opts.k == 0 || opts.k > MAX_K {
            return Err(Error::invalid_argument(format!("k must be between 1 and {MAX_K}, got {}", opts.k)));
        }
        opts.weights.validate()?;
        if let Some(c) = opts.candidates {
            if c == 0 || c > MAX_K {
                return Err(Error::invalid_argument(format!("candidates must be between 1 and {MAX_K}, got {c}")));
            }
        }
        let metric = self.metric();
        if let Some(q) = query {
            records::check_vector(q, self.dim(), metric, &|| "the query".to_string())?;
        }
        let compiled = self.compile(&opts.filter)?;
        let now = opts.now.unwrap_or_else(now_micros);
        let w = &opts.weights;
        // (score, similarity, recency, id) of the best k. Scoring works on slots; only the best
        // k are ranked fully and have their ids copied.
        let scored: Vec<(f64, Option<f64>, f64, String)> = {
            let t = self.table();
            let allowed = t.count_matching(&compiled);
            let n = opts.candidates.unwrap_or_else(|| (opts.k * 10).max(100)).max(opts.k);
            // (slot, raw similarity) of every memory that may be returned.
            let mut cands: Vec<(usize, Option<f64>)> = match query {
                None => t.matching(&compiled).into_iter().map(|s| (s, None)).collect(),
                // Few enough to score them all; or so few of the store that a graph walk
                // filtered down to them would miss many (as the collection's own search does
                // below 5%).
                Some(q) if allowed <= exact_max(t.dim) || allowed * 20 < t.len() || opts.exact => {
                    t.distances(q, &compiled).into_iter().map(|(s, d)| (s, Some(similarity(metric, d)))).collect()
                }
                Some(q) => {
                    let accept = |id: &str| t.get(id).is_some_and(|r| compiled.matches(r));
                    let hits = self.shared.collection.with_mirror(|m| m.search_where(q, n, n.max(64), &accept))?;
                    hits.into_iter()
                        .filter_map(|(id, d)| t.slot.get(&id).map(|&s| (s, Some(similarity(metric, d)))))
                        .collect()
                }
            };
            // Relevance mode with a similarity term: the candidates are the `n` most similar
            // (as the graph walk gives them; an exact scan keeps its best `n` too, so both paths
            // rank the same set), and similarity is normalised over them.
            let relevance = w.mode == RecallMode::Relevance && query.is_some() && w.similarity > 0.0;
            let mut range = (0.0, 0.0);
            if relevance && !cands.is_empty() {
                if cands.len() > n {
                    let most_similar = |a: &(usize, Option<f64>), b: &(usize, Option<f64>)| {
                        b.1.partial_cmp(&a.1).unwrap_or(CmpOrdering::Equal).then_with(|| t.row(a.0).id.cmp(&t.row(b.0).id))
                    };
                    cands.select_nth_unstable_by(n - 1, most_similar);
                    cands.truncate(n);
                }
                let sims = cands.iter().filter_map(|c| c.1);
                range = sims.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| (lo.min(s), hi.max(s)));
            }
            let mut all: Vec<(f64, Option<f64>, f64, usize)> = cands
                .into_iter()
                .map(|(s, sim)| {
                    let r = t.row(s);
                    let rec = w.recency(now.saturating_sub(r.last_accessed));
                    let term = if relevance { sim.map(|x| RecallWeights::normalized(x, range.0, range.1)) } else { sim };
                    (w.score(term, rec, r.importance), sim, rec, s)
                })
                .collect();
            let best_first = |a: &(f64, Option<f64>, f64, usize), b: &(f64, Option<f64>, f64, usize)| {
                b.0.partial_cmp(&a.0).unwrap_or(CmpOrdering::Equal).then_with(|| t.row(a.3).id.cmp(&t.row(b.3).id))
            };
            if all.len() > opts.k {
                all.select_nth_unstable_by(opts.k - 1, best_first);
                all.truncate(opts.k);
            }
            all.sort_by(best_first);
            all.into_iter().map(|(score, sim, rec, s)| (score, sim, rec, t.row(s).id.clone())).collect()
        };
        let hits: Vec<MemoryHit> = if opts.touch && !self.shared.read_only && !scored.is_empty() {
            let mut t = self.table_mut();
            if t.pending.is_empty() {
                t.pending_since = Some(Instant::now());
            }
            let mut out = Vec::with_capacity(scored.len());
            for (score, similarity, recency, id) in scored {
                // A memory forgotten since it was scored is left out.
                let Some(r) = t.get_mut(&id) else { continue };
                r.last_accessed = now;
                r.access_count += 1;
                let record = r.record();
                t.pending.insert(id);
                out.push(MemoryHit { record, score, similarity, recency });
            }
            out
        } else {
            let t = self.table();
            scored
                .into_iter()
                .filter_map(|(score, similarity, recency, id)| {
                    t.get(&id).map(|r| MemoryHit { record: r.record(), score, similarity, recency })
                })
                .collect()
        };
        let due = {
            let t = self.table();
            t.pending.len() >= PENDING_FLUSH_ROWS || t.pending_since.is_some_and(|s| s.elapsed() >= PENDING_FLUSH_AFTER)
        };
        if due {
            self.flush()?;
        }
        Ok(hits)
    }

    /// Writes the access statistics that recalls changed since the last write (one upsert).
    pub fn flush(&self) -> Result<()> {
        self.ensure_open()?;
        Self::flush_shared(&self.shared)
    }

    fn flush_shared(shared: &MemoryShared) -> Result<()> {
        let _w = shared.write.lock().unwrap_or_else(|p| p.into_inner());
        let (ids, rows): (Vec<String>, Vec<Row>) = {
            let mut t = shared.table.write().unwrap_or_else(|p| p.into_inner());
            let ids: Vec<String> = t.pending.drain().collect();
            t.pending_since = None;
            let rows = ids.iter().filter_map(|id| t.get(id).cloned()).collect();
            (ids, rows)
        };
        if rows.is_empty() {
            return Ok(());
        }
        let result = Self::write_rows(shared, &rows);
        if result.is_err() {
            // Keep them pending, so the next flush tries again.
            let mut t = shared.table.write().unwrap_or_else(|p| p.into_inner());
            for id in ids {
                if t.get(&id).is_some() {
                    t.pending.insert(id);
                }
            }
            t.pending_since.get_or_insert_with(Instant::now);
        }
        result
    }

    /// Upserts whole rows (their vectors read back from storage); the write lock is held.
    fn write_rows(shared: &MemoryShared, rows: &[Row]) -> Result<()> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let stored = shared.collection.get(Some(&ids), None, None, 0)?;
        let dim = stored.dim;
        let pos: HashMap<&str, usize> = stored.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let mut out_ids = Vec::with_capacity(rows.len());
        let mut vectors = Vec::with_capacity(rows.len() * dim);
        let mut docs = Vec::with_capacity(rows.len());
        let mut meta = Vec::with_capacity(rows.len());
        for r in rows {
            let Some(&i) = pos.get(r.id.as_str()) else { continue };
            out_ids.push(r.id.clone());
            vectors.extend_from_slice(&stored.vectors[i * dim..(i + 1) * dim]);
            docs.push(r.text.clone());
            meta.push(r.stored_metadata());
        }
        shared.collection.upsert(&Records {
            ids: &out_ids,
            vectors: Vectors::Flat { data: &vectors, dim },
            documents: Some(&docs),
            metadata: Some(&meta),
        })
    }

    /// De-duplicates, decays and enforces the capacity limit (each when its option is given, in
    /// that order), agent by agent. Deleted memories leave storage in one commit; merged
    /// survivors are written in one commit before that.
    ///
    /// De-duplication visits memories strongest first (ties: older first, then id); each one
    /// not yet merged absorbs every other memory of its agent with similarity ≥ the threshold:
    /// the survivor takes the highest importance, the latest `last_accessed`, the earliest
    /// creation time and the sum of the access counts; its text and metadata stay its own. Groups
    /// above 1024 memories find near-duplicates through the vector index (its 32 nearest), smaller
    /// ones compare every pair.
    pub fn consolidate(&self, opts: &ConsolidateOptions) -> Result<ConsolidationReport> {
        self.ensure_open()?;
        opts.weights.validate()?;
        if let Some(t) = opts.dedup_threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(Error::invalid_argument(format!("dedup_threshold must be between 0 and 1, got {t}")));
            }
        }
        if let Some(m) = opts.min_score {
            if !m.is_finite() {
                return Err(Error::invalid_argument(format!("min_score must be finite, got {m}")));
            }
        }
        let now = opts.now.unwrap_or_else(now_micros);
        let w = &opts.weights;
        let metric = self.metric();
        let _w = self.write_lock();
        let mut report = ConsolidationReport::default();
        // Working copies of the rows in scope, per agent; survivors changed by merging.
        let mut groups: Vec<Vec<Row>> = {
            let t = self.table();
            let mut agents: Vec<&String> = match &opts.agent_id {
                Some(a) => t.groups.keys().filter(|k| *k == a).collect(),
                None => t.groups.keys().collect(),
            };
            agents.sort();
            agents
                .into_iter()
                .map(|a| {
                    let mut g: Vec<Row> = t.groups[a].slots.iter().map(|&s| t.row(s).clone()).collect();
                    g.sort_by(|a, b| a.id.cmp(&b.id));
                    g
                })
                .collect()
        };
        let mut changed: HashSet<String> = HashSet::new();
        let strongest_first = |a: &Row, b: &Row| {
            b.strength(w, now)
                .partial_cmp(&a.strength(w, now))
                .unwrap_or(CmpOrdering::Equal)
                .then(a.created.cmp(&b.created))
                .then_with(|| a.id.cmp(&b.id))
        };
        if let Some(threshold) = opts.dedup_threshold {
            for g in groups.iter_mut() {
                g.sort_by(strongest_first);
                let removed = self.dedup_group(g, threshold, metric)?;
                let mut gone: HashSet<usize> = HashSet::new();
                for (keeper, victim) in removed {
                    let v = g[victim].clone();
                    let k = &mut g[keeper];
                    k.importance = k.importance.max(v.importance);
                    k.last_accessed = k.last_accessed.max(v.last_accessed);
                    k.created = k.created.min(v.created);
                    k.access_count = k.access_count.saturating_add(v.access_count);
                    changed.insert(k.id.clone());
                    report.merged.push((k.id.clone(), v.id.clone()));
                    gone.insert(victim);
                }
                let mut i = 0;
                g.retain(|_| {
                    i += 1;
                    !gone.contains(&(i - 1))
                });
            }
        }
        if let Some(min) = opts.min_score {
            for g in groups.iter_mut() {
                g.retain(|r| {
                    let keep = r.strength(w, now) >= min;
                    if !keep {
                        report.pruned.push(r.id.clone());
                    }
                    keep
                });
            }
        }
        if let Some(cap) = opts.capacity {
            for g in groups.iter_mut() {
                if g.len() <= cap {
                    continue;
                }
                // Weakest first: lowest strength, then least recently accessed, then id.
                g.sort_by(|a, b| {
                    a.strength(w, now)
                        .partial_cmp(&b.strength(w, now))
                        .unwrap_or(CmpOrdering::Equal)
                        .then(a.last_accessed.cmp(&b.last_accessed))
                        .then_with(|| a.id.cmp(&b.id))
                });
                let n = g.len() - cap;
                report.evicted.extend(g.drain(..n).map(|r| r.id));
            }
        }
        let deleted: Vec<String> = report
            .merged
            .iter()
            .map(|(_, r)| r.clone())
            .chain(report.pruned.iter().cloned())
            .chain(report.evicted.iter().cloned())
            .collect();
        let survivors: Vec<Row> = groups.into_iter().flatten().filter(|r| changed.contains(&r.id)).collect();
        if !survivors.is_empty() {
            Self::write_rows(&self.shared, &survivors)?;
            let mut t = self.table_mut();
            for r in survivors {
                t.pending.remove(&r.id);
                t.replace(r);
            }
        }
        self.delete_locked(&deleted)?;
        Ok(report)
    }

    /// The `(keeper, removed)` index pairs of one agent's group sorted strongest first.
    fn dedup_group(&self, g: &[Row], threshold: f64, metric: Metric) -> Result<Vec<(usize, usize)>> {
        let mut merged_into: Vec<Option<usize>> = vec![None; g.len()];
        let mut out = Vec::new();
        let ids: Vec<&str> = g.iter().map(|r| r.id.as_str()).collect();
        let pos: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        self.shared.collection.with_mirror(|m| {
            for i in 0..g.len() {
                if merged_into[i].is_some() {
                    continue;
                }
                let Some(v) = m.vector_of(ids[i]) else { continue };
                let near: Vec<(usize, f32)> = if g.len() <= DEDUP_EXACT_MAX {
                    let later = &ids[i + 1..];
                    m.distances_of(&v, later)
                        .into_iter()
                        .enumerate()
                        .filter_map(|(j, d)| d.map(|d| (i + 1 + j, d)))
                        .collect()
                } else {
                    let accept = |id: &str| pos.get(id).is_some_and(|&j| j != i && merged_into[j].is_none());
                    m.search_where(&v, DEDUP_NEIGHBOURS, DEDUP_NEIGHBOURS.max(64), &accept)
                        .into_iter()
                        .filter_map(|(id, d)| pos.get(id.as_str()).map(|&j| (j, d)))
                        .collect()
                };
                let mut victims: Vec<usize> = near
                    .into_iter()
                    .filter(|&(j, d)| j != i && merged_into[j].is_none() && similarity(metric, d) >= threshold)
                    .map(|(j, _)| j)
                    .collect();
                victims.sort_unstable();
                for j in victims {
                    merged_into[j] = Some(i);
                    out.push((i, j));
                }
            }
        })?;
        Ok(out)
    }

    /// Runs [`Memory::consolidate`] with `opts` every `every`, on a thread of its own, and writes
    /// the pending access statistics each time; replaces a schedule already running. The thread
    /// stops with [`Memory::stop_background`], when the database closes, or when the store is
    /// dropped. The outcome of the last run is [`Memory::last_background_run`].
    pub fn start_background(&self, every: Duration, opts: ConsolidateOptions) -> Result<()> {
        self.ensure_open()?;
        if every.is_zero() {
            return Err(Error::invalid_argument("the background interval must be greater than zero"));
        }
        opts.weights.validate()?;
        stop_background(&self.shared.background);
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let weak: Weak<MemoryShared> = Arc::downgrade(&self.shared);
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("agentdb-memory-{}", self.shared.name))
            .spawn(move || loop {
                IN_BACKGROUND.with(|b| b.set(true));
                {
                    let (lock, cv) = &*stop2;
                    let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                    let (guard, _) = cv.wait_timeout_while(guard, every, |stopped| !*stopped).unwrap_or_else(|p| p.into_inner());
                    if *guard {
                        return;
                    }
                }
                let Some(shared) = weak.upgrade() else { return };
                let m = Memory { shared, _keep: None };
                if m.ensure_open().is_err() {
                    return;
                }
                let result = m.consolidate(&opts).and_then(|r| m.flush().map(|_| r));
                *m.shared.last_background.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
            })
            .map_err(|e| Error::internal(format!("cannot start the background thread: {e}")))?;
        *self.shared.background.lock().unwrap_or_else(|p| p.into_inner()) = Some(Background { stop, thread });
        Ok(())
    }

    /// Stops the background consolidation, waiting for a run in progress. Not running is fine.
    pub fn stop_background(&self) {
        stop_background(&self.shared.background);
    }

    /// Whether a background consolidation is scheduled.
    pub fn background_running(&self) -> bool {
        self.shared.background.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// The outcome of the last background run (`None` before the first).
    pub fn last_background_run(&self) -> Option<Result<ConsolidationReport>> {
        self.shared.last_background.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// How many memories have access statistics not yet written to storage.
    pub fn pending_writes(&self) -> usize {
        self.table().pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_shaped_and_unique() {
        let a = new_id();
        let b = new_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "7");
    }

    #[test]
    fn score_formula() {
        let w = RecallWeights {
            similarity: 2.0,
            recency: 1.0,
            importance: 0.5,
            half_life_secs: 10.0,
            ..RecallWeights::LINEAR
        };
        assert_eq!(w.recency(0), 1.0);
        assert!((w.recency(10_000_000) - 0.5).abs() < 1e-12);
        assert!((w.recency(20_000_000) - 0.25).abs() < 1e-12);
        assert_eq!(w.recency(-5), 1.0);
        assert!((w.score(Some(0.5), 0.25, 0.8) - (1.0 + 0.25 + 0.4)).abs() < 1e-12);
        assert!((w.score(None, 0.25, 0.8) - 0.65).abs() < 1e-12);
        assert_eq!(similarity(Metric::Cosine, 0.25), 0.75);
        assert_eq!(similarity(Metric::Cosine, 1.5), 0.0);
        assert_eq!(similarity(Metric::L2, 1.0), 0.5);
        assert_eq!(similarity(Metric::Dot, -0.5), 1.0);
    }

    #[test]
    fn relevance_score_formula() {
        let d = RecallWeights::default();
        assert_eq!(d.mode, RecallMode::Relevance);
        assert_eq!((d.similarity, d.recency, d.importance, d.adjust), (1.0, 0.5, 0.5, 0.1));
        assert_eq!(RecallWeights::LINEAR, RecallWeights { mode: RecallMode::Linear, ..d });
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} != {b}");
        // The module docs' worked example: similarities 0.90, 0.85, 0.80.
        let n = |s| RecallWeights::normalized(s, 0.80, 0.90);
        close(n(0.90), 1.0);
        close(n(0.85), 0.5);
        close(n(0.80), 0.0);
        let old = d.recency(60 * 86_400 * 1_000_000);
        close(old, 0.5f64.powf(60.0 / 7.0));
        close(d.score(Some(1.0), old, 0.5), 1.0 - 0.1 * (1.0 - (old + 0.5) / 2.0));
        close(d.score(Some(0.5), 1.0, 0.5), 0.4875);
        close(d.score(Some(0.0), 1.0, 1.0), 0.0);
        close(d.score(Some(0.95), 1.0, 0.5), 0.92625);
        // The adjustment stays in [1 − α, 1]; no similarity term: the adjustment alone.
        close(d.adjustment(0.0, 0.0), 0.9);
        close(d.adjustment(1.0, 1.0), 1.0);
        close(d.score(None, 0.0, 0.0), 0.9);
        close(RecallWeights { similarity: 0.0, ..d }.score(Some(0.2), 1.0, 1.0), 1.0);
        // Shares: recency only; both weights 0 (s = 1); α = 0 is similarity alone.
        let rec_only = RecallWeights { importance: 0.0, adjust: 0.5, ..d };
        close(rec_only.score(Some(0.8), 0.5, 0.0), 0.8 * 0.75);
        close(RecallWeights { recency: 0.0, importance: 0.0, ..d }.score(Some(0.3), 0.0, 0.0), 0.3);
        close(RecallWeights { adjust: 0.0, ..d }.score(Some(0.3), 0.0, 0.0), 0.3);
        // Equal similarities normalise to 1; strength is mode-independent.
        close(RecallWeights::normalized(0.7, 0.7, 0.7), 1.0);
        close(d.strength(0.25, 0.8), RecallWeights::LINEAR.strength(0.25, 0.8));
        assert!(RecallWeights { adjust: 1.5, ..d }.validate().is_err());
        assert!(RecallWeights { adjust: f64::NAN, ..d }.validate().is_err());
        assert_eq!("linear".parse::<RecallMode>().unwrap(), RecallMode::Linear);
        assert!("fast".parse::<RecallMode>().is_err());
    }

    /// A store outlives the database handle it came from, keeps the database open (and locked)
    /// while it lives, and closes it when it goes; an explicit close still closes it.
    #[test]
    fn a_store_keeps_its_database_open() {
        let dir = tempfile::tempdir().unwrap();
        let m = Database::open(dir.path()).unwrap().memory("m", Some(2), None).unwrap();
        let copy = m.clone();
        m.remember(&[NewMemory { text: Some("kept".into()), ..NewMemory::new("a") }], Vectors::Flat { data: &[1.0, 0.0], dim: 2 })
            .unwrap();
        assert_eq!(Database::open(dir.path()).err().map(|e| e.kind()), Some(ErrorKind::DatabaseLocked));
        drop(m);
        assert_eq!(copy.count(&MemoryFilter::default()).unwrap(), 1);
        drop(copy);
        let db = Database::open(dir.path()).unwrap();
        let m = db.memory("m", None, None).unwrap();
        assert_eq!(m.count(&MemoryFilter::default()).unwrap(), 1);
        db.close();
        assert_eq!(m.count(&MemoryFilter::default()).unwrap_err().kind(), ErrorKind::Closed);
        Database::open(dir.path()).unwrap();
    }
}
