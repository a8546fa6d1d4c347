//! AgentDB's HNSW graph (Malkov & Yashunin, 2016) over the rows of a collection's vector mirror.
//!
//! Nodes are mirror rows. Rows are never rewritten while an index exists: an upsert appends a new
//! row and tombstones the old one, and a delete tombstones. Tombstoned nodes are still walked
//! through (so the graph stays connected) but never returned. Distances come from the SIMD
//! kernels.
//!
//! # Layout and speed
//! A search spends its time waiting for memory: each expanded node costs one read of its link
//! list and one read of every unvisited neighbour's vector. So layer 0 (where almost all the work
//! happens) keeps every node's links in one fixed-size block of one flat array (count, then up to
//! 2m links), the neighbours' vectors are prefetched before their distances are computed, the
//! visited set and heaps are per-thread and reused across queries, and heap entries are single
//! `u64` keys (ordered distance bits, node) so comparisons are one integer compare.
//!
//! # Building in parallel
//! Link slots are atomics, so several threads insert nodes at once (as hnswlib does): a writer
//! holds the node's (striped) lock while it rewrites a list, storing the links before the count;
//! readers walk without locks and may see a list mid-rewrite, which only ever holds valid node
//! numbers. A node that raises the top level holds the global lock for its whole insertion.
//!
//! # int8 quantization
//! With [`Quantization::Int8`] the graph is built and walked on `i8` codes (one global symmetric
//! scale, `code = round(x / scale)`), a quarter of the memory traffic of `f32`; the `ef`
//! candidates the walk finds are then re-ranked with the exact `f32` distances. Those few reads
//! are all the walk needs of the `f32` rows, so the mirror keeps them in a memory-mapped file
//! under such an index (see [`crate::index::vector_store`]).
//!
//! # RaBitQ quantization
//! With [`Quantization::RaBitQ`] the graph is built on the `f32` rows (the estimates are too
//! coarse to choose links with), and walked on 1-bit codes of about `D / 8 + 8` bytes per node
//! (see [`rabitq`]): one expansion reads the node's links, prefetches the records of the
//! neighbours not yet visited, and scores them all in one popcount-kernel call. The `ef` nodes
//! the walk finds are re-ranked in `f32` in the order of their lower bounds (estimate minus error
//! bound), stopping at the first whose bound cannot beat the k-th exact distance found so far.
//! [`Quantization::RaBitQ2`], [`Quantization::RaBitQ4`] and [`Quantization::RaBitQ8`] do the
//! same with 2-, 4- and 8-bit codes (Extended RaBitQ: `D / 4`, `D / 2` or `D` bytes plus 16 per
//! node, scored with `vpdpbusd` / `vpmaddubsw` kernels against an 8-bit query), whose tighter
//! estimates keep the walk on track where 1 bit per dimension is too coarse.
//!
//! # Counters
//! Every search adds what it did to process-wide counters ([`search_counters`]): expansions,
//! distances and codes scored, re-ranks and the bytes those read, for benchmarks to report.

use crate::util::cancel::CancelToken;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::index::params::{HnswParams, Quantization};
use crate::kernels::{self, Kernels};

pub(crate) mod rabitq;
use rabitq::RaBitQ;

/// The seed of a new RaBitQ index's rotation (saved with the index, so a fixed one only makes
/// builds reproducible).
const RABITQ_SEED: u64 = 0x5EED_AB17_0000_0001;

/// What HNSW searches did, summed over every search in this process since the last
/// [`reset_search_counters`] (relaxed atomics, added once per search). Bytes count each link
/// list, vector, code and re-ranked row a search reads once, cache hits or not: the memory
/// traffic a search asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchCounters {
    /// Searches that walked a graph.
    pub searches: u64,
    /// Nodes whose links were read.
    pub expansions: u64,
    /// Distances computed on vectors during the walk (`f32` or `i8`).
    pub distances: u64,
    /// RaBitQ estimates computed during the walk.
    pub codes_scored: u64,
    /// Exact `f32` distances computed after a quantized walk.
    pub reranks: u64,
    /// Candidates of a RaBitQ walk not re-ranked because their error bound could not beat the
    /// k-th exact distance.
    pub rerank_skipped: u64,
    /// Bytes of links, vectors, codes and re-ranked rows read.
    pub bytes: u64,
    /// Filtered searches whose filter was evaluated in storage into a set of rows.
    pub filters_evaluated: u64,
    /// Filtered searches that reused the set of rows of an earlier, identical filter (no write
    /// in between), so storage was not asked.
    pub filters_reused: u64,
}

static COUNTERS: [AtomicU64; 9] = [const { AtomicU64::new(0) }; 9];

impl SearchCounters {
    fn as_array(&self) -> [u64; 9] {
        [
            self.searches,
            self.expansions,
            self.distances,
            self.codes_scored,
            self.reranks,
            self.rerank_skipped,
            self.bytes,
            self.filters_evaluated,
            self.filters_reused,
        ]
    }

    fn publish(&self) {
        for (c, v) in COUNTERS.iter().zip(self.as_array()) {
            c.fetch_add(v, Ordering::Relaxed);
        }
    }
}

/// The process-wide HNSW search counters (see [`SearchCounters`]).
pub fn search_counters() -> SearchCounters {
    let v: Vec<u64> = COUNTERS.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    SearchCounters {
        searches: v[0],
        expansions: v[1],
        distances: v[2],
        codes_scored: v[3],
        reranks: v[4],
        rerank_skipped: v[5],
        bytes: v[6],
        filters_evaluated: v[7],
        filters_reused: v[8],
    }
}

/// Counts one filtered search's filter: evaluated in storage, or its rows reused.
pub(crate) fn count_filter(reused: bool) {
    COUNTERS[if reused { 8 } else { 7 }].fetch_add(1, Ordering::Relaxed);
}

/// Sets the process-wide HNSW search counters to zero.
pub fn reset_search_counters() {
    COUNTERS.iter().for_each(|c| c.store(0, Ordering::Relaxed));
}

/// What the walk scores nodes with: exact distances on vectors (or `i8` codes), or RaBitQ
/// estimates.
trait Scorer {
    /// Whether scores are RaBitQ estimates (for the counters).
    const CODES: bool;
    /// Starts loading what scoring `n` reads.
    fn prefetch(&self, n: u32);
    /// Bytes read to score one node.
    fn bytes(&self) -> usize;
    fn one(&self, n: u32) -> f32;
    /// The scores of `ns` into `out` (`sums` is scratch space).
    fn many(&self, ns: &[u32], sums: &mut rabitq::Sums, out: &mut Vec<f32>);
}

struct Exact<'a, 'p, T> {
    points: &'a Points<'p, T>,
    q: &'a [T],
    kern: Kernels,
}

impl<T: Elem> Scorer for Exact<'_, '_, T> {
    const CODES: bool = false;
    #[inline(always)]
    fn prefetch(&self, n: u32) {
        kernels::prefetch(self.points.row(n));
    }
    fn bytes(&self) -> usize {
        self.points.dim * std::mem::size_of::<T>()
    }
    #[inline(always)]
    fn one(&self, n: u32) -> f32 {
        self.points.dist(self.kern, self.q, n)
    }
    #[inline(always)]
    fn many(&self, ns: &[u32], _: &mut rabitq::Sums, out: &mut Vec<f32>) {
        out.clear();
        out.extend(ns.iter().map(|&n| self.one(n)));
    }
}

struct Coded<'a> {
    rq: &'a RaBitQ,
    q: &'a rabitq::Query,
    kern: Kernels,
}

impl Scorer for Coded<'_> {
    const CODES: bool = true;
    #[inline(always)]
    fn prefetch(&self, n: u32) {
        kernels::prefetch(self.rq.record(n));
    }
    fn bytes(&self) -> usize {
        self.rq.stride() * 8
    }
    fn one(&self, n: u32) -> f32 {
        self.rq.score_one(self.kern, self.q, n).0
    }
    #[inline(always)]
    fn many(&self, ns: &[u32], sums: &mut rabitq::Sums, out: &mut Vec<f32>) {
        out.clear();
        self.rq.score(self.kern, self.q, ns, sums, |_, est, _| out.push(est));
    }
}

/// The codes a quantized graph is walked on.
enum Codes {
    /// `i8` codes of every node (row-major) and their scale ([`Quantization::Int8`]).
    Int8(Int8Scale, Vec<i8>),
    /// RaBitQ records ([`Quantization::RaBitQ`] and the multi-bit modes).
    RaBitQ(RaBitQ),
}

/// An element type the graph can be walked on.
pub(crate) trait Elem: Copy + Send + Sync + 'static {
    fn dist(kern: Kernels, metric: kernels::Metric, a: &[Self], b: &[Self]) -> f32;
}

impl Elem for f32 {
    #[inline(always)]
    fn dist(kern: Kernels, metric: kernels::Metric, a: &[f32], b: &[f32]) -> f32 {
        kern.pair_f32(metric, a, b)
    }
}

impl Elem for i8 {
    #[inline(always)]
    fn dist(kern: Kernels, metric: kernels::Metric, a: &[i8], b: &[i8]) -> f32 {
        kern.pair_i8(metric, a, b)
    }
}

/// The vectors the graph's nodes refer to (the mirror's rows, or their `i8` codes).
pub(crate) struct Points<'a, T = f32> {
    pub data: &'a [T],
    pub dim: usize,
    pub metric: kernels::Metric,
}

impl<T: Elem> Points<'_, T> {
    #[inline(always)]
    fn row(&self, i: u32) -> &[T] {
        let i = i as usize;
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    #[inline(always)]
    fn dist(&self, kern: Kernels, q: &[T], i: u32) -> f32 {
        T::dist(kern, self.metric, q, self.row(i))
    }

    fn len(&self) -> usize {
        self.data.len() / self.dim
    }
}

/// (distance, node) ordered by distance, then node.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) struct Scored(pub f32, pub u32);

impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

/// A heap key: the distance's bits mapped to an order-preserving `u32` (the order of
/// `f32::total_cmp`), then the node. One integer compare orders two candidates.
#[inline(always)]
fn key(d: f32, node: u32) -> u64 {
    let b = d.to_bits();
    let ord = if b >> 31 == 1 { !b } else { b | 0x8000_0000 };
    (ord as u64) << 32 | node as u64
}

#[inline(always)]
fn key_dist(k: u64) -> f32 {
    let o = (k >> 32) as u32;
    f32::from_bits(if o >> 31 == 1 { o & 0x7fff_ffff } else { !o })
}

#[inline(always)]
fn key_node(k: u64) -> u32 {
    k as u32
}

/// The global symmetric `i8` scale of [`Quantization::Int8`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Int8Scale(pub f32);

impl Int8Scale {
    /// The scale that maps the largest magnitude in `data` to 127.
    fn fit(data: &[f32]) -> Int8Scale {
        let max = data.iter().fold(0f32, |m, x| if x.is_finite() { m.max(x.abs()) } else { m });
        Int8Scale(if max > 0.0 { max / 127.0 } else { 1.0 })
    }

    fn encode(self, v: &[f32], out: &mut Vec<i8>) {
        let inv = 1.0 / self.0;
        // Values beyond the fitted range (rows added after the build) saturate.
        out.extend(v.iter().map(|x| (x * inv).round().clamp(-127.0, 127.0) as i8));
    }
}

/// Links of one node: a count, then up to the level's capacity of node numbers.
type Block = [AtomicU32];

/// Lock stripes guarding link-list rewrites while building.
const STRIPES: usize = 1024;
/// Batches smaller than this are inserted on the calling thread.
const PARALLEL_BUILD_ABOVE: usize = 4096;
const NONE: u32 = u32::MAX;
/// The most levels a node has (`random_level` draws at most 16 above level 0).
pub(crate) const MAX_LEVELS: usize = 17;

pub(crate) struct Hnsw {
    pub params: HnswParams,
    /// Layer 0: node `i`'s block is `level0[i * (1 + 2m) ..][.. 1 + 2m]`.
    level0: Vec<AtomicU32>,
    /// Layers 1…: node `i` has `levels[i] - 1` blocks of `1 + m` slots (none for most nodes).
    upper: Vec<Box<Block>>,
    /// Levels per node (≥ 1).
    levels: Vec<u8>,
    entry: AtomicU32,
    /// Guards raising the entry point while building in parallel.
    top_lock: Mutex<()>,
    rng: u64,
    /// The codes of every node, with a quantization.
    quant: Option<Codes>,
}

/// Per-thread search state, reused across queries so a search allocates nothing.
#[derive(Default)]
struct Scratch {
    visited: Visited,
    candidates: BinaryHeap<Reverse<u64>>,
    results: BinaryHeap<u64>,
    links: Vec<u32>,
    fresh: Vec<u32>,
    packed: rabitq::Sums,
    dists: Vec<f32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl Hnsw {
    /// The graph's memory (links, levels, codes), for stats.
    pub(crate) fn memory_bytes(&self) -> usize {
        let upper: usize = self.upper.iter().map(|b| b.len() * 4 + 2 * std::mem::size_of::<usize>()).sum();
        let quant = match &self.quant {
            None => 0,
            Some(Codes::Int8(_, codes)) => codes.len(),
            Some(Codes::RaBitQ(rq)) => rq.memory_bytes(),
        };
        self.level0.len() * 4 + upper + self.levels.len() + quant
    }

    pub fn new(params: HnswParams) -> Self {
        Hnsw {
            params,
            level0: Vec::new(),
            upper: Vec::new(),
            levels: Vec::new(),
            entry: AtomicU32::new(NONE),
            top_lock: Mutex::new(()),
            rng: 0x9E37_79B9_7F4A_7C15,
            quant: None,
        }
    }

    pub fn len(&self) -> usize {
        self.levels.len()
    }

    pub fn entry(&self) -> Option<u32> {
        match self.entry.load(Ordering::Acquire) {
            NONE => None,
            e => Some(e),
        }
    }

    /// The `i8` scale, with [`Quantization::Int8`] once a row was added.
    /// Huge pages under the level-0 links and the codes, the arrays a search reads at random.
    pub fn prefer_huge_pages(&self) {
        kernels::prefer_huge_pages(&self.level0);
        match &self.quant {
            Some(Codes::Int8(_, codes)) => kernels::prefer_huge_pages(codes),
            Some(Codes::RaBitQ(rq)) => kernels::prefer_huge_pages(&rq.records),
            None => {}
        }
    }

    pub fn int8_scale(&self) -> Option<f32> {
        match &self.quant {
            Some(Codes::Int8(s, _)) => Some(s.0),
            _ => None,
        }
    }

    /// The RaBitQ rotation's seed and the centroid, with a RaBitQ mode once a row was added.
    pub fn rabitq_parts(&self) -> Option<(u64, &[f32])> {
        match &self.quant {
            Some(Codes::RaBitQ(rq)) => Some((rq.seed, &rq.centroid)),
            _ => None,
        }
    }

    fn cap(&self, level: usize) -> usize {
        if level == 0 {
            2 * self.params.m
        } else {
            self.params.m
        }
    }

    pub fn levels(&self, node: u32) -> usize {
        self.levels[node as usize] as usize
    }

    #[inline(always)]
    fn block(&self, node: u32, level: usize) -> &Block {
        if level == 0 {
            let stride = 1 + 2 * self.params.m;
            let at = node as usize * stride;
            &self.level0[at..at + stride]
        } else {
            let stride = 1 + self.params.m;
            &self.upper[node as usize][(level - 1) * stride..level * stride]
        }
    }

    /// Copies the links of `node` on `level` into `out` (replacing its contents).
    #[inline(always)]
    fn read_links(&self, node: u32, level: usize, out: &mut Vec<u32>) {
        let b = self.block(node, level);
        // The count is stored after the links (Release), so the links it covers are visible.
        let n = (b[0].load(Ordering::Acquire) as usize).min(b.len() - 1);
        out.clear();
        out.extend(b[1..=n].iter().map(|l| l.load(Ordering::Relaxed)));
    }

    /// The links of `node` on `level`.
    pub fn links(&self, node: u32, level: usize) -> Vec<u32> {
        let mut out = Vec::new();
        self.read_links(node, level, &mut out);
        out
    }

    /// Stores a link list (the caller holds the node's lock, or is the only thread).
    fn write_links(&self, node: u32, level: usize, links: &[u32]) {
        let b = self.block(node, level);
        debug_assert!(links.len() < b.len());
        for (slot, &l) in b[1..].iter().zip(links) {
            slot.store(l, Ordering::Relaxed);
        }
        b[0].store(links.len() as u32, Ordering::Release);
    }

    /// A level drawn from the geometric distribution with factor 1/ln(m).
    fn random_level(&mut self) -> usize {
        // xorshift64*: deterministic, so the same inserts draw the same levels.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let u = ((r >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        let ml = 1.0 / (self.params.m as f64).ln();
        ((-u.ln() * ml) as usize).min(16)
    }

    /// Makes room for a node with `levels` levels (its lists empty).
    fn push_node(&mut self, levels: usize) {
        let m = self.params.m;
        self.level0.extend((0..1 + 2 * m).map(|_| AtomicU32::new(0)));
        self.upper.push((0..(levels - 1) * (1 + m)).map(|_| AtomicU32::new(0)).collect());
        self.levels.push(levels as u8);
    }

    /// Adds the rows of `points` the graph does not have yet, on up to `threads` threads.
    pub fn add_rows(&mut self, points: &Points<'_, f32>, threads: usize) {
        self.add_rows_until(points, threads, None);
    }

    /// [`Hnsw::add_rows`] that stops early once `stop` is cancelled (checked before each node).
    /// Returns whether every row was linked; a graph that was stopped has nodes left unlinked and
    /// must be thrown away (the caller, an index build, does).
    pub fn add_rows_until(&mut self, points: &Points<'_, f32>, threads: usize, stop: Option<&CancelToken>) -> bool {
        let start = self.len();
        let end = points.len();
        if start >= end {
            return true;
        }
        match self.params.quantization {
            Quantization::None => {}
            Quantization::Int8 => {
                let q = self.quant.get_or_insert_with(|| Codes::Int8(Int8Scale::fit(&points.data[start * points.dim..]), Vec::new()));
                if let Codes::Int8(scale, codes) = q {
                    for i in start..end {
                        scale.encode(points.row(i as u32), codes);
                    }
                }
            }
            Quantization::RaBitQ | Quantization::RaBitQ2 | Quantization::RaBitQ4 | Quantization::RaBitQ8 => {
                let dim = points.dim;
                let bits = self.params.quantization.rabitq_bits().unwrap_or(1);
                let q = self.quant.get_or_insert_with(|| {
                    Codes::RaBitQ(RaBitQ::new(dim, bits, points.metric, RABITQ_SEED, RaBitQ::mean(&points.data[start * dim..], dim)))
                });
                if let Codes::RaBitQ(rq) = q {
                    let kern = Kernels::get();
                    for i in start..end {
                        rq.encode(kern, points.row(i as u32));
                    }
                }
            }
        }
        for _ in start..end {
            let level = self.random_level();
            self.push_node(level + 1);
        }
        let this = &*self;
        match &this.quant {
            Some(Codes::Int8(_, codes)) => {
                this.insert_range(&Points { data: codes, dim: points.dim, metric: points.metric }, start, end, threads, stop)
            }
            Some(Codes::RaBitQ(_)) | None => this.insert_range(points, start, end, threads, stop),
        }
    }

    fn insert_range<T: Elem>(&self, points: &Points<'_, T>, mut start: usize, end: usize, threads: usize, stop: Option<&CancelToken>) -> bool {
        let stopped = || stop.is_some_and(CancelToken::is_cancelled);
        if self.entry().is_none() {
            self.entry.store(start as u32, Ordering::Release);
            start += 1;
        }
        let locks: Vec<Mutex<()>> = (0..STRIPES).map(|_| Mutex::new(())).collect();
        let threads = if end - start < PARALLEL_BUILD_ABOVE { 1 } else { threads.max(1) };
        if threads == 1 {
            for node in start..end {
                if stopped() {
                    return false;
                }
                self.insert(points, node as u32, &locks);
            }
            return true;
        }
        let next = AtomicUsize::new(start);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| loop {
                    let node = next.fetch_add(1, Ordering::Relaxed);
                    if node >= end || stopped() {
                        break;
                    }
                    self.insert(points, node as u32, &locks);
                });
            }
        });
        !stopped()
    }

    /// Links node `node` (already allocated, vector in `points`) into the graph.
    fn insert<T: Elem>(&self, points: &Points<'_, T>, node: u32, locks: &[Mutex<()>]) {
        let kern = Kernels::get();
        let level = self.levels(node) - 1;
        let lock = |n: u32| locks[n as usize % STRIPES].lock().unwrap_or_else(|p| p.into_inner());
        let mut entry = self.entry.load(Ordering::Acquire);
        // A node that may become the new top holds the global lock throughout, so that two such
        // nodes do not both take the top and leave one unreachable from the entry.
        let _top = if level + 1 > self.levels(entry) {
            let g = self.top_lock.lock().unwrap_or_else(|p| p.into_inner());
            entry = self.entry.load(Ordering::Acquire);
            (level + 1 > self.levels(entry)).then_some(g)
        } else {
            None
        };
        let top = self.levels(entry) - 1;
        let q = points.row(node);
        let sc = Exact { points, q, kern };
        let mut links = Vec::new();
        let mut unused = SearchCounters::default();
        let mut ep = Scored(sc.one(entry), entry);
        for l in (level + 1..=top).rev() {
            ep = self.greedy(&sc, ep, l, &mut links, &mut unused);
        }
        let mut eps = vec![ep];
        for l in (0..=level.min(top)).rev() {
            let found = SCRATCH.with(|s| {
                self.search_layer(&sc, &eps, self.params.ef_construction, l, &mut s.borrow_mut(), &|_| true, &mut unused)
            });
            let chosen = self.select(points, kern, &found, self.cap(l));
            let ids: Vec<u32> = chosen.iter().map(|s| s.1).collect();
            {
                let _g = lock(node);
                self.write_links(node, l, &ids);
            }
            for &nb in &ids {
                let _g = lock(nb);
                self.read_links(nb, l, &mut links);
                if links.contains(&node) {
                    continue;
                }
                links.push(node);
                if links.len() > self.cap(l) {
                    // Too many: re-select among the old links and the new node.
                    let base = points.row(nb);
                    let mut cands: Vec<Scored> = links.iter().map(|&n| Scored(points.dist(kern, base, n), n)).collect();
                    cands.sort_unstable();
                    links = self.select(points, kern, &cands, self.cap(l)).into_iter().map(|s| s.1).collect();
                }
                self.write_links(nb, l, &links);
            }
            eps = found;
        }
        if _top.is_some() {
            self.entry.store(node, Ordering::Release);
        }
    }

    /// The neighbour-selection heuristic: take candidates closest first, skipping one that is
    /// closer to an already chosen neighbour than to the base point (it is reachable through it),
    /// then fill up with the skipped ones so nodes keep enough links for filtered walks.
    fn select<T: Elem>(&self, points: &Points<'_, T>, kern: Kernels, sorted: &[Scored], m: usize) -> Vec<Scored> {
        let mut chosen: Vec<Scored> = Vec::with_capacity(m);
        let mut skipped = Vec::new();
        for &c in sorted {
            if chosen.len() >= m {
                break;
            }
            let diverse = chosen.iter().all(|r| points.dist(kern, points.row(c.1), r.1) > c.0);
            if diverse {
                chosen.push(c);
            } else {
                skipped.push(c);
            }
        }
        for c in skipped {
            if chosen.len() >= m {
                break;
            }
            chosen.push(c);
        }
        chosen
    }

    fn greedy<S: Scorer>(&self, sc: &S, mut best: Scored, level: usize, links: &mut Vec<u32>, counters: &mut SearchCounters) -> Scored {
        loop {
            let mut improved = false;
            self.read_links(best.1, level, links);
            counters.expansions += 1;
            if S::CODES {
                counters.codes_scored += links.len() as u64;
            } else {
                counters.distances += links.len() as u64;
            }
            counters.bytes += (4 * (1 + links.len()) + links.len() * sc.bytes()) as u64;
            for &n in links.iter() {
                let d = sc.one(n);
                if d < best.0 {
                    best = Scored(d, n);
                    improved = true;
                }
            }
            if !improved {
                return best;
            }
        }
    }

    /// Best-first search of one layer. Every reached node is expanded, but only those `accept`
    /// allows enter the result list (at most `ef`), closest first.
    #[allow(clippy::too_many_arguments)]
    fn search_layer<S: Scorer, F: Fn(u32) -> bool + ?Sized>(
        &self,
        sc: &S,
        entries: &[Scored],
        ef: usize,
        level: usize,
        s: &mut Scratch,
        accept: &F,
        counters: &mut SearchCounters,
    ) -> Vec<Scored> {
        let Scratch { visited, candidates, results, links, fresh, packed, dists } = s;
        visited.reset(self.len());
        candidates.clear();
        results.clear();
        for &e in entries {
            if visited.insert(e.1) {
                candidates.push(Reverse(key(e.0, e.1)));
                if accept(e.1) {
                    results.push(key(e.0, e.1));
                }
            }
        }
        while results.len() > ef {
            results.pop();
        }
        let per_node = sc.bytes();
        while let Some(Reverse(c)) = candidates.pop() {
            if results.len() >= ef && results.peek().is_some_and(|&w| c > w) {
                break;
            }
            self.read_links(key_node(c), level, links);
            // Mark the new neighbours and start loading their vectors (codes), so the loads
            // overlap instead of each distance waiting for its own cache misses.
            fresh.clear();
            for &n in links.iter() {
                if visited.insert(n) {
                    fresh.push(n);
                    sc.prefetch(n);
                }
            }
            if let Some(&Reverse(next)) = candidates.peek() {
                kernels::prefetch(self.block(key_node(next), level));
            }
            counters.expansions += 1;
            if S::CODES {
                counters.codes_scored += fresh.len() as u64;
            } else {
                counters.distances += fresh.len() as u64;
            }
            counters.bytes += (4 * (1 + links.len()) + fresh.len() * per_node) as u64;
            // All the fresh neighbours in one call (one kernel pass for RaBitQ codes).
            sc.many(fresh, packed, dists);
            for (&n, &d) in fresh.iter().zip(dists.iter()) {
                let kd = key(d, n);
                if results.len() < ef || results.peek().is_some_and(|&w| kd < w) {
                    candidates.push(Reverse(kd));
                    if accept(n) {
                        results.push(kd);
                        if results.len() > ef {
                            results.pop();
                        }
                    }
                }
            }
        }
        let mut out: Vec<Scored> = results.drain().map(|k| Scored(key_dist(k), key_node(k))).collect();
        out.sort_unstable();
        out
    }

    /// The `k` accepted nodes nearest to `q` found with a candidate list of `ef` (≥ k).
    /// `points` are the `f32` rows; a quantized index walks its codes and re-ranks with them.
    pub fn search<F: Fn(u32) -> bool>(&self, points: &Points<'_, f32>, q: &[f32], k: usize, ef: usize, accept: F) -> Vec<Scored> {
        let ef = ef.max(k);
        let kern = Kernels::get();
        let mut counters = SearchCounters { searches: 1, ..Default::default() };
        let found = match &self.quant {
            None => {
                let mut found = self.walk(&Exact { points, q, kern }, ef, &accept, &mut counters);
                found.truncate(k);
                found
            }
            Some(Codes::Int8(scale, codes)) => {
                let mut qc = Vec::with_capacity(q.len());
                scale.encode(q, &mut qc);
                let coded = Points { data: codes.as_slice(), dim: points.dim, metric: points.metric };
                let walked = self.walk(&Exact { points: &coded, q: &qc, kern }, ef, &accept, &mut counters);
                counters.reranks += walked.len() as u64;
                counters.bytes += (walked.len() * points.dim * 4) as u64;
                let mut found: Vec<Scored> = walked.into_iter().map(|s| Scored(points.dist(kern, q, s.1), s.1)).collect();
                found.sort_unstable();
                found.truncate(k);
                found
            }
            Some(Codes::RaBitQ(rq)) => {
                let query = rq.query(kern, q);
                let walked = self.walk(&Coded { rq, q: &query, kern }, ef, &accept, &mut counters);
                self.rerank(points, q, k, rq, &query, &walked, &mut counters)
            }
        };
        counters.publish();
        found
    }

    /// The `k` nearest of a RaBitQ walk's candidates by exact distance, computing it only for
    /// those whose lower bound (estimate minus error bound) is below the k-th exact distance so
    /// far, taken in the order of their lower bounds.
    #[allow(clippy::too_many_arguments)]
    fn rerank(
        &self,
        points: &Points<'_, f32>,
        q: &[f32],
        k: usize,
        rq: &RaBitQ,
        query: &rabitq::Query,
        walked: &[Scored],
        counters: &mut SearchCounters,
    ) -> Vec<Scored> {
        let kern = Kernels::get();
        let ids: Vec<u32> = walked.iter().map(|s| s.1).collect();
        let mut lower: Vec<Scored> = Vec::with_capacity(ids.len());
        rq.score(kern, query, &ids, &mut rabitq::Sums::default(), |n, est, bound| lower.push(Scored(est - bound, n)));
        lower.sort_unstable();
        let mut best: BinaryHeap<Scored> = BinaryHeap::with_capacity(k + 1);
        for (i, c) in lower.iter().enumerate() {
            if best.len() >= k && best.peek().is_some_and(|w| c.0 > w.0) {
                counters.rerank_skipped += (lower.len() - i) as u64;
                break;
            }
            for next in lower.iter().skip(i + 1).take(2) {
                kernels::prefetch(points.row(next.1));
            }
            best.push(Scored(points.dist(kern, q, c.1), c.1));
            counters.reranks += 1;
            counters.bytes += (points.dim * 4) as u64;
            if best.len() > k {
                best.pop();
            }
        }
        best.into_sorted_vec()
    }

    fn walk<S: Scorer, F: Fn(u32) -> bool>(&self, sc: &S, ef: usize, accept: &F, counters: &mut SearchCounters) -> Vec<Scored> {
        let Some(entry) = self.entry() else { return Vec::new() };
        SCRATCH.with(|s| {
            let s = &mut *s.borrow_mut();
            let mut ep = Scored(sc.one(entry), entry);
            for l in (1..self.levels(entry)).rev() {
                ep = self.greedy(sc, ep, l, &mut s.links, counters);
            }
            self.search_layer(sc, &[ep], ef, 0, s, accept, counters)
        })
    }

    /// Rebuilds a graph from saved parts: per node its link lists (one per level), the entry
    /// point, and the `i8` scale (codes are re-derived from `points`). `None` when the parts
    /// are inconsistent (a list too long, a link to a node missing on that level, a wrong entry).
    pub fn from_parts(
        params: HnswParams,
        entry: Option<u32>,
        nodes: Vec<Vec<Vec<u32>>>,
        scale: Option<f32>,
        rabitq: Option<(u64, Vec<f32>)>,
        points: &Points<'_, f32>,
    ) -> Option<Hnsw> {
        let mut h = Hnsw::new(params);
        if nodes.len() != points.len()
            || (params.quantization == Quantization::Int8) != scale.is_some()
            || params.quantization.rabitq_bits().is_some() != rabitq.is_some()
        {
            return None;
        }
        // The parts come from a file: the arrays are reserved fallibly, so a count the allocator
        // cannot serve is a rejected file (rebuilt), not an abort.
        let n = nodes.len();
        h.level0.try_reserve_exact(n.checked_mul(1 + 2 * params.m)?).ok()?;
        h.upper.try_reserve_exact(n).ok()?;
        h.levels.try_reserve_exact(n).ok()?;
        for levels in &nodes {
            if levels.is_empty() || levels.len() > MAX_LEVELS {
                return None;
            }
            h.push_node(levels.len());
        }
        for (node, levels) in nodes.iter().enumerate() {
            for (l, links) in levels.iter().enumerate() {
                if links.len() > h.cap(l) || links.iter().any(|&n| n as usize >= nodes.len() || nodes[n as usize].len() <= l) {
                    return None;
                }
                h.write_links(node as u32, l, links);
            }
        }
        match entry {
            None if nodes.is_empty() => {}
            Some(e) if (e as usize) < nodes.len() && nodes.iter().all(|n| n.len() <= nodes[e as usize].len()) => {
                h.entry.store(e, Ordering::Release)
            }
            _ => return None,
        }
        // Later inserts draw levels from a generator that depends on how many were drawn.
        for _ in 0..nodes.len() {
            h.random_level();
        }
        if let Some(s) = scale {
            if !(s.is_finite() && s > 0.0) {
                return None;
            }
            let scale = Int8Scale(s);
            let mut codes = Vec::new();
            codes.try_reserve_exact(points.data.len()).ok()?;
            for i in 0..points.len() {
                scale.encode(points.row(i as u32), &mut codes);
            }
            h.quant = Some(Codes::Int8(scale, codes));
        }
        if let Some((seed, centroid)) = rabitq {
            if centroid.len() != points.dim || !centroid.iter().all(|x| x.is_finite()) {
                return None;
            }
            let bits = params.quantization.rabitq_bits().unwrap_or(1);
            let mut rq = RaBitQ::new(points.dim, bits, points.metric, seed, centroid);
            rq.records.try_reserve_exact(points.len().checked_mul(rq.stride())?).ok()?;
            let kern = Kernels::get();
            for i in 0..points.len() {
                rq.encode(kern, points.row(i as u32));
            }
            h.quant = Some(Codes::RaBitQ(rq));
        }
        Some(h)
    }
}

/// A visited set over node numbers: a bitset, cleared through the list of nodes it set (or
/// wholesale when that list is long), and reused across searches.
#[derive(Default)]
struct Visited {
    bits: Vec<u64>,
    set: Vec<u32>,
}

impl Visited {
    fn reset(&mut self, n: usize) {
        if self.set.len() > self.bits.len() / 8 {
            self.bits.iter_mut().for_each(|w| *w = 0);
        } else {
            for &n in &self.set {
                self.bits[n as usize / 64] = 0;
            }
        }
        self.set.clear();
        if self.bits.len() < n.div_ceil(64) {
            self.bits.resize(n.div_ceil(64), 0);
        }
    }

    /// True if `n` was not yet visited.
    #[inline(always)]
    fn insert(&mut self, n: u32) -> bool {
        let (w, b) = (n as usize / 64, n % 64);
        let word = &mut self.bits[w];
        if *word >> b & 1 == 1 {
            return false;
        }
        *word |= 1 << b;
        self.set.push(n);
        true
    }
}

#[cfg(test)]
pub(crate) mod tests;
