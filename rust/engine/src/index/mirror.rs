//! The in-memory copy of a collection's vectors that exact search scans with the SIMD kernels.
//!
//! LanceDB stays the durable store; this mirror is loaded from it on the first search and then
//! kept in step by every write (under the collection's write lock, after the Lance commit
//! succeeded), so it never holds anything that is not committed. Cosine collections keep their
//! vectors normalised, so a cosine distance is one dot product: `1 - q̂·v̂`.
//!
//! The rows live in RAM, except under an int8 HNSW index, where they live in a memory-mapped
//! cache file (see [`crate::index::vector_store`]): the graph walk reads the `i8` codes, so the `f32`
//! rows are read rarely and may be paged out.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};

use crate::util::cancel::CancelToken;
use crate::index::hnsw::{Hnsw, Points};
use crate::index::params::{HnswParams, Quantization};
use crate::kernels::{self, Kernels};
use crate::types::records::Include;
use crate::types::records::Vectors;
use crate::types::schema::Metric;
use crate::index::vector_store::VectorStore;

/// Rows scanned per kernel call: big enough to amortise the call, small enough for L2 cache.
const BLOCK_ROWS: usize = 2048;
/// Fewer rows than this are scanned on the calling thread only.
const PARALLEL_ABOVE: usize = 32_768;
/// With an index, a filter letting through less than 1/`EXACT_BELOW_SHARE` of the rows is
/// answered by the exact scan over its mask: walking the graph for so few rows would visit most of
/// it anyway, and the scan's recall is 1.
const EXACT_BELOW_SHARE: usize = 20;
/// Row sets of filters kept per mirror (the most recently used).
const FILTERS_KEPT: usize = 32;
/// Bytes the kept row sets may take together; a larger set is used once and not kept.
const FILTER_CACHE_BYTES: usize = 64 << 20;

/// Mirror states are numbered from one process-wide counter, so a number is never reused, not
/// even by a mirror loaded again after the previous one was dropped.
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, AtomicOrdering::Relaxed)
}

/// The number of neighbours a binding asks for when its caller names none (Chroma's choice).
pub const DEFAULT_K: usize = 10;

/// How one search runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchOptions {
    /// HNSW candidate list size (recall ↔ speed); `None`: max(k, 64). Ignored without an index.
    pub ef: Option<usize>,
    /// IVF_PQ partitions to probe (recall ↔ speed); `None`: Lance's adaptive default. Ignored by
    /// other indexes.
    pub nprobes: Option<usize>,
    /// IVF_PQ: re-rank `refine_factor × k` candidates with their exact vectors; `None`: rank by
    /// the compressed codes only. Ignored by other indexes.
    pub refine_factor: Option<u32>,
    /// Scan every row even when an index exists.
    pub exact: bool,
    /// Threads for an exact scan; `None`: all cores.
    pub threads: Option<usize>,
    /// What each hit carries besides its id and distance (default: document and metadata).
    /// [`Include::NONE`] returns ids and distances only.
    pub include: Include,
}

pub(crate) struct Mirror {
    dim: usize,
    metric: Metric,
    /// Row → id; a deleted row keeps its slot (and id) until [`Mirror::compact`].
    ids: Vec<String>,
    alive: Vec<bool>,
    /// Live id → row.
    rows: HashMap<String, usize>,
    /// Row-major `ids.len() × dim`, normalised for cosine.
    vectors: VectorStore,
    /// The cache file the rows are mapped from under an int8 index; `None`: always in RAM (a
    /// read-only database, whose files belong to the writer).
    vectors_file: Option<PathBuf>,
    /// The HNSW graph over the rows, when the collection has an index.
    pub(crate) index: Option<Hnsw>,
    /// Whether the index changed since it was last saved.
    pub(crate) dirty: bool,
    /// This state's number: changed by every write (see [`Mirror::touched`]).
    generation: u64,
    /// The rows of filters evaluated against this state; emptied by every write.
    filters: Mutex<FilterCache>,
}

/// The live rows a filter lets through, evaluated once (by Lance) and reused by later searches
/// with the same filter until a write changes the records.
pub(crate) struct RowFilter {
    /// One bit per mirror row; only live rows are ever set.
    bits: Vec<u64>,
    /// The passing rows in ascending order, kept when they are few: the exact scan visits only
    /// them instead of testing every row.
    rows: Option<Vec<u32>>,
    count: usize,
}

impl RowFilter {
    #[inline(always)]
    fn contains(&self, row: usize) -> bool {
        self.bits[row / 64] >> (row % 64) & 1 == 1
    }

    /// Rows that pass.
    pub fn count(&self) -> usize {
        self.count
    }

    fn bytes(&self) -> usize {
        self.bits.len() * 8 + self.rows.as_ref().map_or(0, |r| r.len() * 4)
    }
}

/// Row sets by filter (its SQL, which the engine derives from the checked filter tree, so equal
/// filters give equal text), the most recently used last.
#[derive(Default)]
struct FilterCache {
    entries: Vec<(String, Arc<RowFilter>)>,
    bytes: usize,
}

impl FilterCache {
    fn get(&mut self, key: &str) -> Option<Arc<RowFilter>> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        let e = self.entries.remove(i);
        let f = e.1.clone();
        self.entries.push(e);
        Some(f)
    }

    fn put(&mut self, key: String, f: Arc<RowFilter>) {
        let size = f.bytes() + key.len();
        if size > FILTER_CACHE_BYTES || self.entries.iter().any(|(k, _)| *k == key) {
            return;
        }
        while !self.entries.is_empty() && (self.entries.len() >= FILTERS_KEPT || self.bytes + size > FILTER_CACHE_BYTES) {
            let (k, old) = self.entries.remove(0);
            self.bytes -= old.bytes() + k.len();
        }
        self.bytes += size;
        self.entries.push((key, f));
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}

/// A candidate neighbour; the heap keeps the worst on top. Ties break on the row so results are
/// deterministic.
#[derive(Clone, Copy, PartialEq)]
struct Hit {
    dist: f32,
    row: usize,
}

impl Eq for Hit {}
impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Hit {
    fn cmp(&self, other: &Self) -> Ordering {
        self.dist.total_cmp(&other.dist).then(self.row.cmp(&other.row))
    }
}

/// What a mirror holds in memory, for stats (approximate: allocator overhead left out).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct MirrorFootprint {
    /// Live rows.
    pub rows: usize,
    /// Rows, ids and the id map in anonymous memory.
    pub bytes: usize,
    /// Rows mapped from the cache file (page cache, evictable) instead of anonymous memory.
    pub mapped_bytes: usize,
    /// The HNSW graph (and its int8 codes), when there is one.
    pub index_bytes: usize,
    /// Whether the index changed since it was last saved.
    pub index_dirty: bool,
}

impl Mirror {
    /// See [`MirrorFootprint`].
    pub(crate) fn footprint(&self) -> MirrorFootprint {
        let vectors = self.vectors.as_slice().len() * std::mem::size_of::<f32>();
        let (ram, mapped) = if matches!(self.vectors, VectorStore::File(_)) { (0, vectors) } else { (vectors, 0) };
        let ids: usize = self.ids.iter().map(|s| s.capacity() + std::mem::size_of::<String>()).sum();
        // The map holds a second copy of each live id, a row number and about one byte of control.
        let map: usize = self.rows.keys().map(|k| k.capacity() + std::mem::size_of::<String>() + std::mem::size_of::<usize>() + 1).sum();
        MirrorFootprint {
            rows: self.rows.len(),
            bytes: ram + ids + map + self.alive.len(),
            mapped_bytes: mapped,
            index_bytes: self.index.as_ref().map_or(0, |h| h.memory_bytes()),
            index_dirty: self.dirty,
        }
    }

    /// An empty mirror with its rows in RAM; `vectors_file` is where they go under an int8 index.
    pub fn new(dim: usize, metric: Metric, vectors_file: Option<PathBuf>) -> Self {
        Mirror {
            dim,
            metric,
            ids: Vec::new(),
            alive: Vec::new(),
            rows: HashMap::new(),
            vectors: VectorStore::Ram(Vec::new()),
            vectors_file,
            index: None,
            dirty: false,
            generation: next_generation(),
            filters: Mutex::new(FilterCache::default()),
        }
    }

    /// Every change to the rows, or to what the records behind them hold, goes through here: the
    /// state gets a new number and the filters evaluated against the old one are forgotten.
    fn touched(&mut self) {
        self.generation = next_generation();
        self.filters.get_mut().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// This state's number, for [`Mirror::keep_filter`].
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The rows of `key`'s filter, when evaluated against this state and still kept.
    pub fn kept_filter(&self, key: &str) -> Option<Arc<RowFilter>> {
        self.filters.lock().unwrap_or_else(|p| p.into_inner()).get(key)
    }

    /// Keeps the rows of `key`'s filter, evaluated while the mirror was in state `generation`:
    /// only if it still is (a write in between may have changed what the filter selects).
    pub fn keep_filter(&self, key: String, generation: u64, rows: Arc<RowFilter>) {
        if generation == self.generation {
            self.filters.lock().unwrap_or_else(|p| p.into_inner()).put(key, rows);
        }
    }

    /// Places the (still empty) rows where an index with `params` keeps them, so a collection
    /// opened with an int8 index loads its rows straight into the file, never all in RAM first.
    pub fn expect_index(&mut self, params: HnswParams) {
        self.place_rows(Some(params.quantization));
    }

    /// Moves the rows where an index of this quantization (`None`: no index) wants them: the
    /// mapped file under int8 (when the mirror has a file), RAM otherwise.
    fn place_rows(&mut self, index: Option<Quantization>) {
        match (&self.vectors_file, index) {
            (Some(path), Some(q)) if q.walks_codes() => self.vectors.move_to_file(path),
            _ => self.vectors.move_to_ram(),
        }
    }

    pub(crate) fn kernel_metric(&self) -> kernels::Metric {
        match self.metric {
            Metric::L2 => kernels::Metric::L2,
            // Stored and query vectors are normalised, so cosine is a dot product.
            Metric::Cosine | Metric::Dot => kernels::Metric::Dot,
        }
    }

    /// The vector as the mirror stores it (normalised for cosine).
    fn prepare(&self, v: &[f32], out: &mut Vec<f32>) {
        let start = out.len();
        out.extend_from_slice(v);
        if self.metric == Metric::Cosine {
            kernels::normalize(&mut out[start..]);
        }
    }

    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// Row ids, liveness, row-major vectors and the dimension (for saving).
    pub fn parts(&self) -> (&[String], &[bool], &[f32], usize) {
        (&self.ids, &self.alive, self.vectors.as_slice(), self.dim)
    }

    /// Makes room for `rows` rows read from a saved index, fallibly: `false` when the allocator
    /// cannot serve it (the file is then not used, rather than the process aborting).
    pub fn try_reserve_saved_rows(&mut self, rows: usize) -> bool {
        let Some(values) = rows.checked_mul(self.dim) else { return false };
        let vectors_ok = match &mut self.vectors {
            VectorStore::Ram(v) => v.try_reserve_exact(values).is_ok(),
            // A mapped file grows as rows come (and falls back to RAM if it cannot).
            VectorStore::File(_) => true,
        };
        vectors_ok
            && self.ids.try_reserve_exact(rows).is_ok()
            && self.alive.try_reserve_exact(rows).is_ok()
            && self.rows.try_reserve(rows).is_ok()
    }

    /// Appends a row read from a saved index: its vector as the mirror stores it, live or not.
    /// `false` (and nothing appended) when the row is live and its id already has a live row: a
    /// damaged file.
    #[must_use]
    pub fn push_saved_row(&mut self, id: String, alive: bool, vector: &[f32]) -> bool {
        if vector.len() != self.dim {
            return false;
        }
        if alive {
            match self.rows.entry(id.clone()) {
                std::collections::hash_map::Entry::Occupied(_) => return false,
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(self.ids.len());
                }
            }
        }
        self.touched();
        self.ids.push(id);
        self.alive.push(alive);
        self.vectors.extend_from_slice(vector);
        true
    }

    /// Installs the saved index over the rows pushed with [`Mirror::push_saved_row`].
    pub fn attach_saved_index(&mut self, index: Hnsw) {
        self.touched();
        self.place_rows(Some(index.params.quantization));
        self.index = Some(index);
        self.dirty = false;
        self.prefer_huge_pages();
    }

    /// Huge pages under the rows in RAM and the graph (see [`kernels::prefer_huge_pages`]):
    /// called once they are loaded or built, the big arrays that searches read at random.
    pub fn prefer_huge_pages(&self) {
        if let VectorStore::Ram(rows) = &self.vectors {
            kernels::prefer_huge_pages(rows);
        }
        if let Some(index) = &self.index {
            index.prefer_huge_pages();
        }
    }

    pub(crate) fn points(&self) -> Points<'_> {
        Points { data: self.vectors.as_slice(), dim: self.dim, metric: self.kernel_metric() }
    }

    /// Inserts or replaces the given records' vectors. With an index, a replaced record gets a
    /// new row (the graph's nodes never move) and its old row is tombstoned.
    pub fn upsert(&mut self, ids: &[String], vectors: Vectors<'_>) {
        // Even when no vector changes: the records' metadata may have, and with it what a filter
        // selects.
        self.touched();
        let mut buf = Vec::with_capacity(self.dim);
        for (i, id) in ids.iter().enumerate() {
            buf.clear();
            self.prepare(vectors.row(i), &mut buf);
            let dim = self.dim;
            let at = |row: usize| row * dim..(row + 1) * dim;
            match self.rows.get(id) {
                // The same vector again (an upsert that changes only the document or metadata):
                // nothing to do, and no graph node to move.
                Some(&row) if self.vectors.as_slice()[at(row)] == buf[..] => {}
                Some(&row) if self.index.is_none() => self.vectors.as_mut_slice()[at(row)].copy_from_slice(&buf),
                old => {
                    if let Some(&row) = old {
                        self.alive[row] = false;
                    }
                    self.rows.insert(id.clone(), self.ids.len());
                    self.ids.push(id.clone());
                    self.alive.push(true);
                    self.vectors.extend_from_slice(&buf);
                }
            }
        }
        self.index_new_rows();
    }

    /// Inserts the rows the graph does not have yet (a large batch on every core).
    fn index_new_rows(&mut self) {
        let Some(mut index) = self.index.take() else { return };
        if index.len() < self.ids.len() {
            let threads = crate::util::cores::available();
            index.add_rows(&self.points(), threads);
            self.dirty = true;
        }
        self.index = Some(index);
    }

    /// Builds an HNSW index over the live rows (replacing any index).
    pub fn build_index(&mut self, params: HnswParams) {
        let built = self.build_index_until(params, None);
        debug_assert!(built);
    }

    /// [`Mirror::build_index`] that stops once `stop` is cancelled, returning `false`. A stopped
    /// mirror has been compacted and holds a partial graph: the caller must discard it (and load
    /// the mirror again from storage, where the old index is still saved).
    pub fn build_index_until(&mut self, params: HnswParams, stop: Option<&CancelToken>) -> bool {
        self.touched();
        self.compact();
        // Compaction renumbered the rows: the old graph does not fit them any more.
        self.index = None;
        self.place_rows(Some(params.quantization));
        let mut index = Hnsw::new(params);
        if !index.add_rows_until(&self.points(), crate::util::cores::available(), stop) {
            return false;
        }
        self.index = Some(index);
        self.dirty = true;
        self.prefer_huge_pages();
        true
    }

    pub fn drop_index(&mut self) {
        self.touched();
        self.index = None;
        self.dirty = false;
        self.place_rows(None);
    }

    /// Forgets the given ids (unknown ids are ignored).
    pub fn remove<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        self.touched();
        for id in ids {
            if let Some(row) = self.rows.remove(id) {
                self.alive[row] = false;
            }
        }
        if self.index.is_some() {
            self.dirty = true;
        }
        if self.ids.len() > 1024 && self.rows.len() < self.ids.len() / 2 {
            // Rows are renumbered, so an index is rebuilt over the survivors.
            match self.index.as_ref().map(|i| i.params) {
                Some(params) => self.build_index(params),
                None => self.compact(),
            }
        }
    }

    /// Drops the slots of deleted rows.
    fn compact(&mut self) {
        self.touched();
        let dim = self.dim;
        let mut next = 0;
        for row in 0..self.ids.len() {
            if !self.alive[row] {
                continue;
            }
            if next != row {
                self.vectors.as_mut_slice().copy_within(row * dim..(row + 1) * dim, next * dim);
                self.ids.swap(next, row);
            }
            next += 1;
        }
        self.ids.truncate(next);
        self.vectors.truncate(next * dim);
        self.alive = vec![true; next];
        self.rows = self.ids.iter().enumerate().map(|(i, id)| (id.clone(), i)).collect();
    }

    /// The live rows of the given ids (unknown ids are ignored).
    pub fn row_filter<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> RowFilter {
        let n = self.ids.len();
        let mut bits = vec![0u64; n.div_ceil(64)];
        let mut count = 0;
        for id in ids {
            if let Some(&row) = self.rows.get(id) {
                let word = &mut bits[row / 64];
                count += (*word >> (row % 64) & 1 == 0) as usize;
                *word |= 1 << (row % 64);
            }
        }
        // The list costs 4 bytes a passing row; worth it only where the scan would skip most rows.
        let rows = (count * 4 < n).then(|| {
            let mut rows = Vec::with_capacity(count);
            for (w, &word) in bits.iter().enumerate() {
                let mut word = word;
                while word != 0 {
                    rows.push((w * 64) as u32 + word.trailing_zeros());
                    word &= word - 1;
                }
            }
            rows
        });
        RowFilter { bits, rows, count }
    }

    /// The ids and distances of the `k` rows nearest to `query`, closest first, among the live
    /// rows that `mask` allows (all when `None`), scanning on up to `threads` threads.
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        mask: Option<&RowFilter>,
        threads: usize,
        options: &SearchOptions,
    ) -> Vec<(String, f32)> {
        let mut q = Vec::with_capacity(self.dim);
        self.prepare(query, &mut q);
        let n = self.ids.len();
        if let (Some(index), false) = (&self.index, options.exact) {
            let allowed = mask.map_or(self.rows.len(), RowFilter::count);
            if allowed * EXACT_BELOW_SHARE >= self.rows.len() {
                let ef = options.ef.unwrap_or(64).max(k);
                // Nodes the filter rejects are still walked through (the graph stays connected)
                // but never enter the results, so the walk goes on until it has `ef` that pass.
                let found = match mask {
                    None => index.search(&self.points(), &q, k, ef, |row: u32| self.alive[row as usize]),
                    // A row set holds live rows only.
                    Some(m) => index.search(&self.points(), &q, k, ef, |row: u32| m.contains(row as usize)),
                };
                return found.into_iter().map(|s| (self.ids[s.1 as usize].clone(), self.finish(s.0))).collect();
            }
        }
        if let Some(rows) = mask.and_then(|m| m.rows.as_deref()) {
            return self.scan_rows(&q, rows, k, threads);
        }
        let threads = if n < PARALLEL_ABOVE { 1 } else { threads.clamp(1, n / BLOCK_ROWS + 1) };
        let per = n.div_ceil(threads).max(1);
        let heaps: Vec<BinaryHeap<Hit>> = if threads == 1 {
            vec![self.scan(&q, 0..n, k, mask)]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let q = &q;
                        s.spawn(move || self.scan(q, t * per..((t + 1) * per).min(n), k, mask))
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().expect("a search thread panicked")).collect()
            })
        };
        let mut best: Vec<Hit> = heaps.into_iter().flatten().collect();
        best.sort_unstable();
        best.truncate(k);
        best.into_iter().map(|h| (self.ids[h.row].clone(), self.finish(h.dist))).collect()
    }

    /// The reported distance for a kernel result.
    fn finish(&self, dist: f32) -> f32 {
        // The dot kernel gives 1 - q̂·v̂; rounding can take an identical pair just below 0.
        if self.metric == Metric::Cosine {
            dist.max(0.0)
        } else {
            dist
        }
    }

    /// The `k` nearest of a few listed rows (a selective filter's), comparing only those.
    fn scan_rows(&self, q: &[f32], rows: &[u32], k: usize, threads: usize) -> Vec<(String, f32)> {
        let kern = Kernels::get();
        let metric = self.kernel_metric();
        let dim = self.dim;
        let vectors = self.vectors.as_slice();
        let part = |rows: &[u32]| {
            let mut heap: BinaryHeap<Hit> = BinaryHeap::with_capacity(k + 1);
            for (i, &row) in rows.iter().enumerate() {
                if let Some(&next) = rows.get(i + 4) {
                    kernels::prefetch(&vectors[next as usize * dim..(next as usize + 1) * dim]);
                }
                let row = row as usize;
                let hit = Hit { dist: kern.pair_f32(metric, q, &vectors[row * dim..(row + 1) * dim]), row };
                if heap.len() < k {
                    heap.push(hit);
                } else if heap.peek().is_some_and(|w| hit < *w) {
                    heap.pop();
                    heap.push(hit);
                }
            }
            heap
        };
        let threads = if rows.len() < PARALLEL_ABOVE { 1 } else { threads.clamp(1, rows.len() / BLOCK_ROWS + 1) };
        let mut best: Vec<Hit> = if threads == 1 {
            part(rows).into_vec()
        } else {
            let per = rows.len().div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = rows.chunks(per).map(|c| s.spawn(move || part(c))).collect();
                handles.into_iter().flat_map(|h| h.join().expect("a search thread panicked")).collect()
            })
        };
        best.sort_unstable();
        best.truncate(k);
        best.into_iter().map(|h| (self.ids[h.row].clone(), self.finish(h.dist))).collect()
    }

    fn scan(&self, q: &[f32], range: std::ops::Range<usize>, k: usize, mask: Option<&RowFilter>) -> BinaryHeap<Hit> {
        let kern = Kernels::get();
        let metric = self.kernel_metric();
        let dim = self.dim;
        let vectors = self.vectors.as_slice();
        let mut heap = BinaryHeap::with_capacity(k + 1);
        let push = |heap: &mut BinaryHeap<Hit>, hit: Hit| {
            if heap.len() < k {
                heap.push(hit);
            } else if let Some(worst) = heap.peek() {
                if hit < *worst {
                    heap.pop();
                    heap.push(hit);
                }
            }
        };
        let mut out = vec![0f32; BLOCK_ROWS];
        let mut start = range.start;
        while start < range.end {
            let end = (start + BLOCK_ROWS).min(range.end);
            let allowed = |row: usize| self.alive[row] && mask.is_none_or(|m| m.contains(row));
            let block_allowed = (start..end).filter(|&r| allowed(r)).count();
            if block_allowed * 4 >= end - start {
                let out = &mut out[..end - start];
                kern.batch_f32(metric, q, &vectors[start * dim..end * dim], dim, out);
                for (i, &dist) in out.iter().enumerate() {
                    if allowed(start + i) {
                        push(&mut heap, Hit { dist, row: start + i });
                    }
                }
            } else if block_allowed > 0 {
                // A sparse filter: compute only the rows it lets through.
                for row in (start..end).filter(|&r| allowed(r)) {
                    let dist = kern.pair_f32(metric, q, &vectors[row * dim..(row + 1) * dim]);
                    push(&mut heap, Hit { dist, row });
                }
            }
            start = end;
        }
        heap
    }
}

/// Searches for engine modules that keep their own view of a collection's records (agent memory):
/// a predicate on ids instead of a row mask, so a filter is asked only about the rows a search
/// visits.
impl Mirror {
    /// The distance from `query` to each of `ids` (`None` for an id not mirrored).
    pub(crate) fn distances_of(&self, query: &[f32], ids: &[&str]) -> Vec<Option<f32>> {
        let mut q = Vec::with_capacity(self.dim);
        self.prepare(query, &mut q);
        let kern = Kernels::get();
        let metric = self.kernel_metric();
        let dim = self.dim;
        let vectors = self.vectors.as_slice();
        ids.iter()
            .map(|id| {
                let row = *self.rows.get(*id)?;
                Some(self.finish(kern.pair_f32(metric, &q, &vectors[row * dim..(row + 1) * dim])))
            })
            .collect()
    }

    /// The stored vector of `id` (normalised for cosine).
    pub(crate) fn vector_of(&self, id: &str) -> Option<Vec<f32>> {
        let row = *self.rows.get(id)?;
        Some(self.vectors.as_slice()[row * self.dim..(row + 1) * self.dim].to_vec())
    }

    /// The `k` live rows nearest to `query` whose id `accept` admits, closest first. With an
    /// index the graph is walked with a candidate list of `ef` (approximate); without, every live
    /// row is compared.
    pub(crate) fn search_where(&self, query: &[f32], k: usize, ef: usize, accept: &dyn Fn(&str) -> bool) -> Vec<(String, f32)> {
        let mut q = Vec::with_capacity(self.dim);
        self.prepare(query, &mut q);
        if let Some(index) = &self.index {
            let ok = |row: u32| self.alive[row as usize] && accept(&self.ids[row as usize]);
            return index
                .search(&self.points(), &q, k, ef.max(k), ok)
                .into_iter()
                .map(|s| (self.ids[s.1 as usize].clone(), self.finish(s.0)))
                .collect();
        }
        let kern = Kernels::get();
        let metric = self.kernel_metric();
        let dim = self.dim;
        let vectors = self.vectors.as_slice();
        let mut heap: BinaryHeap<Hit> = BinaryHeap::with_capacity(k + 1);
        for row in 0..self.ids.len() {
            if !self.alive[row] || !accept(&self.ids[row]) {
                continue;
            }
            let hit = Hit { dist: kern.pair_f32(metric, &q, &vectors[row * dim..(row + 1) * dim]), row };
            if heap.len() < k {
                heap.push(hit);
            } else if heap.peek().is_some_and(|w| hit < *w) {
                heap.pop();
                heap.push(hit);
            }
        }
        let mut best = heap.into_vec();
        best.sort_unstable();
        best.into_iter().map(|h| (self.ids[h.row].clone(), self.finish(h.dist))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::index_file;

    const DIM: usize = 16;
    const K: usize = 10;

    fn data(n: usize, seed: u64) -> Vec<f32> {
        crate::index::hnsw::tests::data(n, DIM, seed)
    }

    fn ids(range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| format!("r{i}")).collect()
    }

    fn upsert(mirrors: [&mut Mirror; 2], ids: &[String], vectors: &[f32]) {
        for m in mirrors {
            m.upsert(ids, Vectors::Flat { data: vectors, dim: DIM });
        }
    }

    /// Every kind of search answers the same from both mirrors: the graph walk, the exact scan,
    /// a filtered one, and the id-based searches agent memory uses.
    fn assert_same_answers(a: &Mirror, b: &Mirror) {
        let queries = data(20, 99);
        let mask = a.row_filter(a.rows.keys().filter(|id| id.ends_with('3')).map(String::as_str));
        let mask_b = b.row_filter(a.rows.keys().filter(|id| id.ends_with('3')).map(String::as_str));
        for q in queries.chunks(DIM) {
            for exact in [false, true] {
                let o = SearchOptions { exact, ef: Some(64), ..Default::default() };
                let got = a.search(q, K, None, 1, &o);
                assert_eq!(got.len(), K);
                assert_eq!(got, b.search(q, K, None, 1, &o), "exact: {exact}");
                assert_eq!(a.search(q, K, Some(&mask), 1, &o), b.search(q, K, Some(&mask_b), 1, &o));
            }
            let odd = |id: &str| id.ends_with(['1', '3', '5', '7', '9']);
            assert_eq!(a.search_where(q, K, 64, &odd), b.search_where(q, K, 64, &odd));
            let some: Vec<&str> = a.rows.keys().take(50).map(String::as_str).collect();
            assert_eq!(a.distances_of(q, &some), b.distances_of(q, &some));
        }
        let mut live: Vec<&String> = a.rows.keys().collect();
        live.sort();
        assert_eq!(live.len(), b.rows.len());
        for id in live {
            assert_eq!(a.vector_of(id), b.vector_of(id));
        }
    }

    #[test]
    fn rows_in_the_file_under_int8_answer_like_rows_in_ram() {
        rows_in_the_file_answer_like_rows_in_ram(Quantization::Int8);
    }

    #[test]
    fn rows_in_the_file_under_rabitq_answer_like_rows_in_ram() {
        rows_in_the_file_answer_like_rows_in_ram(Quantization::RaBitQ);
    }

    #[test]
    fn rows_in_the_file_under_multi_bit_rabitq_answer_like_rows_in_ram() {
        for q in [Quantization::RaBitQ2, Quantization::RaBitQ4, Quantization::RaBitQ8] {
            rows_in_the_file_answer_like_rows_in_ram(q);
        }
    }

    /// Upserts, deletes, a compaction, a save and load, all under a quantized index.
    fn rows_in_the_file_answer_like_rows_in_ram(quantization: Quantization) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.vectors.f32");
        let mut mapped = Mirror::new(DIM, Metric::Cosine, Some(file.clone()));
        let mut ram = Mirror::new(DIM, Metric::Cosine, None);
        // Batches under the parallel-build threshold, so both graphs are built identically.
        upsert([&mut mapped, &mut ram], &ids(0..2000), &data(2000, 1));
        assert!(!mapped.vectors.is_file_backed() && !file.exists());
        let params = HnswParams { m: 12, ef_construction: 80, quantization };
        mapped.build_index(params);
        ram.build_index(params);
        assert!(mapped.vectors.is_file_backed() && file.exists());
        assert!(!ram.vectors.is_file_backed());
        assert_same_answers(&mapped, &ram);

        // New records, moved vectors (new rows, old ones tombstoned) and deletes.
        upsert([&mut mapped, &mut ram], &ids(1900..2300), &data(400, 2));
        for m in [&mut mapped, &mut ram] {
            m.remove(ids(0..300).iter().map(String::as_str));
        }
        assert_eq!(mapped.ids.len(), 2300 + 100);
        assert_same_answers(&mapped, &ram);

        // Deleting most rows compacts them (rows move within the file) and rebuilds the graph.
        for m in [&mut mapped, &mut ram] {
            m.remove(ids(300..1800).iter().map(String::as_str));
        }
        assert_eq!(mapped.ids.len(), 500);
        assert!(mapped.vectors.is_file_backed());
        assert_same_answers(&mapped, &ram);

        // Saved and loaded again ("reopened"): the rows go straight to the file.
        let saved = dir.path().join("c.hnsw");
        index_file::save(&saved, &mapped, 7).unwrap();
        drop(mapped);
        assert!(!file.exists());
        let expect = index_file::Expected {
            lance_version: 7,
            dim: DIM,
            metric: Metric::Cosine,
            params,
            live_rows: 0..=usize::MAX,
        };
        let mut loaded = index_file::load(&saved, &expect, Some(file.clone())).unwrap().unwrap();
        assert!(loaded.vectors.is_file_backed() && file.exists());
        assert_same_answers(&loaded, &ram);
        upsert([&mut loaded, &mut ram], &ids(5000..5100), &data(100, 3));
        assert_same_answers(&loaded, &ram);

        // Without the index the rows are back in RAM and the file is gone.
        loaded.drop_index();
        ram.drop_index();
        assert!(!loaded.vectors.is_file_backed() && !file.exists());
        assert_same_answers(&loaded, &ram);
    }

    /// The exact top `k` of the rows `pass` admits, by brute force.
    fn brute(m: &Mirror, q: &[f32], k: usize, pass: &dyn Fn(&str) -> bool) -> Vec<(String, f32)> {
        let mut ids: Vec<&str> = m.rows.keys().map(String::as_str).filter(|id| pass(id)).collect();
        ids.sort_unstable();
        let d = m.distances_of(q, &ids);
        let mut all: Vec<(String, f32, usize)> =
            ids.iter().zip(d).map(|(id, d)| (id.to_string(), d.unwrap(), m.rows[*id])).collect();
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.2.cmp(&b.2)));
        all.into_iter().take(k).map(|(id, d, _)| (id, d)).collect()
    }

    #[test]
    fn row_filters_answer_like_brute_force_and_are_forgotten_on_writes() {
        let mut m = Mirror::new(DIM, Metric::L2, None);
        m.upsert(&ids(0..3000), Vectors::Flat { data: &data(3000, 5), dim: DIM });
        m.build_index(HnswParams { m: 12, ef_construction: 80, quantization: Quantization::None });
        m.remove(ids(0..100).iter().map(String::as_str));
        let queries = data(10, 6);
        // 1% (exact scan of the listed rows), 10% (the masked block scan), 90% (the graph walk).
        let cases: [(&str, &dyn Fn(&str) -> bool); 3] = [
            ("1%", &|id: &str| id[1..].parse::<usize>().unwrap() % 100 == 7),
            ("10%", &|id: &str| id[1..].parse::<usize>().unwrap() % 10 == 3),
            ("90%", &|id: &str| id[1..].parse::<usize>().unwrap() % 10 != 3),
        ];
        for (name, pass) in cases {
            let f = m.row_filter(m.ids.iter().map(String::as_str).filter(|id| pass(id)));
            assert_eq!(f.count(), m.rows.keys().filter(|id| pass(id)).count(), "{name}");
            assert_eq!(f.rows.is_some(), f.count() * 4 < m.ids.len(), "{name}");
            for q in queries.chunks(DIM) {
                let want = brute(&m, q, K, pass);
                let want_ids: Vec<&String> = want.iter().map(|h| &h.0).collect();
                let exact = SearchOptions { exact: true, ..Default::default() };
                let got = m.search(q, K, Some(&f), 1, &exact);
                assert_eq!(got.iter().map(|h| &h.0).collect::<Vec<_>>(), want_ids, "{name}");
                assert!(got.iter().zip(&want).all(|(a, b)| (a.1 - b.1).abs() <= 1e-4 * b.1.abs().max(1.0)), "{name}");
                let walk = m.search(q, K, Some(&f), 1, &SearchOptions { ef: Some(200), ..Default::default() });
                assert!(walk.iter().all(|(id, _)| pass(id)), "{name}");
                let hits = walk.iter().filter(|h| want_ids.contains(&&h.0)).count();
                assert!(hits >= K - 1, "{name}: {hits} of {K}");
            }
        }

        // Kept only for the state it was evaluated against; forgotten by every kind of write.
        let keep = |m: &Mirror, key: &str| {
            let f = Arc::new(m.row_filter(m.rows.keys().map(String::as_str)));
            m.keep_filter(key.to_string(), m.generation(), f);
            assert!(m.kept_filter(key).is_some());
        };
        let g = m.generation();
        keep(&m, "a");
        m.keep_filter("stale".into(), g - 1, Arc::new(m.row_filter(std::iter::empty())));
        assert!(m.kept_filter("stale").is_none());
        let same = m.vector_of("r500").unwrap();
        // An upsert of the same vector still changes the state: the metadata may differ.
        m.upsert(&ids(500..501), Vectors::Flat { data: &same, dim: DIM });
        assert!(m.kept_filter("a").is_none() && m.generation() != g);
        keep(&m, "a");
        m.remove(["r501"]);
        assert!(m.kept_filter("a").is_none());
        keep(&m, "a");
        m.drop_index();
        assert!(m.kept_filter("a").is_none());
        keep(&m, "a");
        m.build_index(HnswParams { m: 12, ef_construction: 80, quantization: Quantization::None });
        assert!(m.kept_filter("a").is_none());
        // A fresh mirror never reuses a number.
        assert!(Mirror::new(DIM, Metric::L2, None).generation() > m.generation());
    }

    #[test]
    fn the_filter_cache_is_bounded() {
        let mut c = FilterCache::default();
        let small = || Arc::new(RowFilter { bits: vec![0; 8], rows: None, count: 0 });
        for i in 0..FILTERS_KEPT + 5 {
            c.put(format!("f{i}"), small());
        }
        assert_eq!(c.entries.len(), FILTERS_KEPT);
        assert!(c.get("f0").is_none() && c.get(&format!("f{}", FILTERS_KEPT + 4)).is_some());
        // The least recently used goes first: f5 (just used) stays, f6 goes.
        assert!(c.get("f5").is_some());
        c.put("one more".into(), small());
        assert!(c.get("f5").is_some() && c.get("f6").is_none());
        // Bytes bound it too: a set of nearly the whole budget pushes every other out.
        let big = |words: usize| Arc::new(RowFilter { bits: vec![0; words], rows: None, count: 0 });
        c.put("big".into(), big(FILTER_CACHE_BYTES / 8 - 1));
        assert!(c.get("big").is_some() && c.bytes <= FILTER_CACHE_BYTES);
        assert_eq!(c.entries.len(), 1);
        c.put("too big".into(), big(FILTER_CACHE_BYTES / 8 + 1));
        assert!(c.get("too big").is_none() && c.bytes <= FILTER_CACHE_BYTES);
    }

    #[test]
    fn rows_follow_the_kind_of_index() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.vectors.f32");
        let mut m = Mirror::new(DIM, Metric::L2, Some(file.clone()));
        m.expect_index(HnswParams { quantization: Quantization::Int8, ..Default::default() });
        m.upsert(&ids(0..300), Vectors::Flat { data: &data(300, 4), dim: DIM });
        assert!(m.vectors.is_file_backed(), "rows expected under int8 go straight to the file");
        let rows = m.vectors.as_slice().to_vec();
        m.build_index(HnswParams { m: 8, ef_construction: 40, quantization: Quantization::None });
        assert!(!m.vectors.is_file_backed() && !file.exists());
        assert_eq!(m.vectors.as_slice(), &rows[..]);
        m.build_index(HnswParams { m: 8, ef_construction: 40, quantization: Quantization::Int8 });
        assert!(m.vectors.is_file_backed() && file.exists());
        assert_eq!(m.vectors.as_slice(), &rows[..]);

        // Without a file (a read-only database) the rows stay in RAM under any index.
        let mut ro = Mirror::new(DIM, Metric::L2, None);
        ro.upsert(&ids(0..300), Vectors::Flat { data: &data(300, 4), dim: DIM });
        ro.build_index(HnswParams { m: 8, ef_construction: 40, quantization: Quantization::Int8 });
        assert!(!ro.vectors.is_file_backed());
        assert_eq!(ro.vectors.as_slice(), &rows[..]);
    }
}
