//! The memory store's public types: kinds, recall modes and weights (the score formula), what is
//! stored and returned, filters and options.

use super::*;

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

/// A memory stored without a kind is episodic.
impl Default for MemoryKind {
    fn default() -> Self {
        MemoryKind::Episodic
    }
}

/// The importance of a memory stored without one.
pub const DEFAULT_IMPORTANCE: f64 = 0.5;

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

/// Which rankings recall draws its candidates from (see the module docs of `memory`, "Hybrid
/// recall").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchMode {
    /// Vector similarity to the query vector only.
    Vector,
    /// BM25 of the query text over the memory texts only.
    Text,
    /// Both rankings, fused ([`Fusion`]).
    Hybrid,
}

impl SearchMode {
    pub const ALL: [SearchMode; 3] = [SearchMode::Vector, SearchMode::Text, SearchMode::Hybrid];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchMode::Vector => "vector",
            SearchMode::Text => "text",
            SearchMode::Hybrid => "hybrid",
        }
    }
}

impl std::str::FromStr for SearchMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        SearchMode::ALL
            .iter()
            .copied()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| Error::invalid_argument(format!("unknown search mode {s:?}: expected 'vector', 'text' or 'hybrid'")))
    }
}

/// How hybrid recall fuses the vector and the text ranking (see the module docs of `memory`).
///
/// The default is `Linear` with `w_text = 0.3` ([`RecallWeights::DEFAULT`]): on the one
/// multi-session conversational set with evidence labels available offline (the synthetic
/// conversations of `bench/memory_recall.py`, measured by `bench/memory.py`), RRF with equal
/// weights lost to vector-only recall (evidence recall@10 0.42 against 0.56): every memory
/// sharing one common word with the question gets a text rank, and RRF credits rank 200 of
/// that long tail like a real match. A weighted sum keeps the scores' magnitudes, so weak matches
/// add little; with `w_text` 0.2–0.4 it reached 0.59–0.62 @10 (0.62 at 0.3). That is tuned on a
/// synthetic set: check it on yours (LoCoMo is kept aside as the independent check).
///
/// It is the engine's one fusion type ([`crate::types::fusion::FusionMethod`]), whose module
/// holds the formulas of memory recall and collection hybrid search alike.
pub use crate::types::fusion::FusionMethod as Fusion;

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
    /// `w_text`: the text (BM25) ranking's weight in text and hybrid recall (`w_sim` is the
    /// vector ranking's).
    pub text: f64,
    /// How hybrid recall fuses the two rankings (default [`Fusion::Linear`]; see [`Fusion`]
    /// for why).
    pub fusion: Fusion,
    /// RRF's rank constant `k` (default 60, as in Cormack et al.): larger flattens the ranks.
    pub rrf_k: f64,
}

impl RecallWeights {
    /// The defaults: relevance first, `w_sim = 1`, `w_rec = 0.5`, `w_imp = 0.5`, half-life 7
    /// days, `adjust = 0.1`; text and hybrid recall: weighted linear fusion, `w_text = 0.3`
    /// (`rrf_k = 60` for RRF). Strength (decay, capacity, de-duplication) uses the same weights
    /// in both modes, so it is what it was before relevance mode.
    pub const DEFAULT: RecallWeights = RecallWeights {
        mode: RecallMode::Relevance,
        similarity: 1.0,
        recency: 0.5,
        importance: 0.5,
        half_life_secs: 7.0 * 86_400.0,
        adjust: 0.1,
        text: 0.3,
        fusion: Fusion::Linear,
        rrf_k: 60.0,
    };

    /// The old default score: linear, `1 · similarity + 0.5 · recency + 0.5 · importance`,
    /// half-life 7 days.
    pub const LINEAR: RecallWeights = RecallWeights { mode: RecallMode::Linear, ..RecallWeights::DEFAULT };

    /// Checks the weights as recall and consolidation do (`InvalidArgument`).
    pub fn validate(&self) -> Result<()> {
        for (name, w) in [("similarity", self.similarity), ("recency", self.recency), ("importance", self.importance), ("text", self.text)] {
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
        if !self.rrf_k.is_finite() || self.rrf_k <= 0.0 {
            return Err(Error::invalid_argument(format!("rrf_k must be a finite number > 0, got {}", self.rrf_k)));
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
        crate::types::fusion::min_max(similarity, lo, hi)
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
    /// A memory of the default kind ([`MemoryKind::Episodic`]) and [`DEFAULT_IMPORTANCE`] (0.5),
    /// with no session, text or metadata.
    pub fn new(agent_id: impl Into<String>) -> NewMemory {
        NewMemory {
            id: None,
            text: None,
            agent_id: agent_id.into(),
            session_id: None,
            kind: MemoryKind::default(),
            importance: DEFAULT_IMPORTANCE,
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

    pub(super) fn is_empty(&self) -> bool {
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
    /// The query's text, for text and hybrid recall (BM25 over the memory texts).
    pub query_text: Option<String>,
    /// Which rankings to use; `None`: hybrid when there is a query vector and a query text and
    /// the store holds texts, text with only a query text, vector with only a vector.
    pub search: Option<SearchMode>,
}

/// The number of memories a binding recalls when its caller names none: a few, for a prompt.
pub const DEFAULT_RECALL_K: usize = 5;

/// The candidates re-scored when [`RecallOptions::candidates`] is `None`: `max(10·k, 100)`.
pub fn default_recall_candidates(k: usize) -> usize {
    (k * 10).max(100)
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
            query_text: None,
            search: None,
        }
    }
}

/// One recalled memory and how its score was made.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryHit {
    /// The memory as it is after this recall (access statistics already updated when touching).
    pub record: MemoryRecord,
    pub score: f64,
    /// `None` for a recall without a query vector (or in text mode).
    pub similarity: Option<f64>,
    /// The BM25 score of the query text (0: no query term), in text and hybrid recall; `None`
    /// otherwise.
    pub text_score: Option<f64>,
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
