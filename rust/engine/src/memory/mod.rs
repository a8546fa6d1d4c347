//! Agent memory: texts (and their vectors) that an agent remembers, recalls by a score mixing
//! similarity, recency and importance, and forgets or consolidates without any LLM.
//!
//! # Storage
//! A memory store named `n` is the hidden collection `_agentdb_memory_<n>` (see
//! [`crate::db`]: names starting with `_agentdb_` are the engine's own), so it gets the SIMD
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
//! # Hybrid recall
//! Memory texts are also in an in-memory BM25 index (`text.rs`), changed by every write, so a
//! memory is findable by its words the moment `remember` returns, whether its record is still in
//! the collection's write buffer or already in Lance: both live in the one index and are scored
//! with the same corpus statistics, so there is nothing to merge. [`RecallOptions::query_text`]
//! and [`RecallOptions::search`] ([`SearchMode`]) choose the rankings: vector (the above), text
//! (BM25 only) or hybrid (both, fused by RRF or a weighted linear sum, [`Fusion`], with weights
//! `w_sim` and `w_text` of [`RecallWeights`]). The same filters restrict both sides. The fused
//! relevance takes the similarity's place in the score, so recency and importance apply as
//! above:
//! ```text
//! linear (default, w_text = 0.3): fused = w_sim·sim_n + w_text·bm25/max_bm25
//!                                  (sim_n: min-max over the candidates)
//! rrf:    fused = w_sim·(k+1)/(k + rank_v) + w_text·(k+1)/(k + rank_t)   (k = rrf_k = 60;
//!                 a side's term is 0 for a memory outside its `candidates`)
//! text:   fused = w_text·bm25/max_bm25
//! relevance mode: score = min-max(fused) · adjustment;   linear mode: score = fused + strength
//! ```
//! The candidates are the union of the `candidates` best of each side; each is scored on both
//! signals exactly (a text-only candidate's similarity and a vector-only one's BM25 are
//! computed). Hits report `similarity` and `text_score` (the raw BM25, whose corpus statistics
//! count the memories passing the filter: within one agent, that agent's memories). The tokenizer is the
//! store's [`TextTokenizer`] (`simple` by default; `icu` or `ngram` for Chinese, Japanese and
//! Korean), kept with the store by [`Memory::set_text_tokenizer`].
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

mod consolidate;
mod health;
pub use health::{MemoryHealth, MemoryStats};
mod recall;
pub use recall::GraphRecall;
mod store;
mod table;
mod text;
mod types;

pub use types::*;
use table::{Compiled, Row, Table};

use std::cmp::Ordering as CmpOrdering;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use crate::collection::{Collection, MAX_K};
use crate::db::{Database, Service};
use crate::storage::context::KeepAlive;
use crate::util::time::now_micros;
use crate::error::{Error, ErrorKind, Result};
use crate::types::filter::Filter;
use crate::index::params::HnswParams;
use crate::kernels::{Kernels, Metric as KernelMetric};
use crate::types::records::{self, Records, Vectors, MAX_ID_LEN};
use crate::types::schema::{Metric, MAX_NAME_LEN};
use crate::types::value::{Metadata, Value};
use crate::types::text::TextTokenizer;

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
    _keep: Option<KeepAlive>,
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

impl Service for MemoryShared {
    /// Stops the background thread and writes the pending access statistics. Called by
    /// [`Database::close`]; the store is unusable afterwards.
    fn stop(&self) {
        stop_background(&self.background);
        let _ = Memory::flush_shared(self);
        self.closed.store(true, Ordering::Release);
    }
}

/// The key a memory store's shared state is registered under with its database.
fn service_key(name: &str) -> String {
    format!("memory/{name}")
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

pub(crate) fn validate_store_name(name: &str) -> Result<()> {
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
        let registry = self.services().get::<MemoryShared>(&service_key(name));
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
                let mut reg = self.services();
                match reg.get::<MemoryShared>(&service_key(name)) {
                    Some(s) if !s.closed.load(Ordering::Acquire) => s,
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
                        reg.insert(&service_key(name), s.clone());
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
        // Taken out of the registry under one lock, so a concurrent open cannot get it meanwhile.
        let registered = {
            let mut services = self.services();
            let s = services.get::<MemoryShared>(&service_key(name));
            if s.is_some() {
                services.remove(&service_key(name));
            }
            s
        };
        if let Some(s) = registered {
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
    let mut t = Table::new(c.dim(), c.metric(), c.text_tokenizer())?;
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

    /// How many memories have access statistics not yet written to storage.
    pub fn pending_writes(&self) -> usize {
        self.table().pending.len()
    }
}

#[cfg(test)]
mod tests;
