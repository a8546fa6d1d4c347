//! The in-memory copy of a collection's vectors that exact search scans with the SIMD kernels.
//!
//! LanceDB stays the durable store; this mirror is loaded from it on the first search and then
//! kept in step by every write (under the collection's write lock, after the Lance commit
//! succeeded), so it never holds anything that is not committed. Cosine collections keep their
//! vectors normalised, so a cosine distance is one dot product: `1 - q̂·v̂`.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use crate::kernels::{self, Kernels};
use crate::records::Vectors;
use crate::schema::Metric;

/// Rows scanned per kernel call: big enough to amortise the call, small enough for L2 cache.
const BLOCK_ROWS: usize = 2048;
/// Fewer rows than this are scanned on the calling thread only.
const PARALLEL_ABOVE: usize = 32_768;

pub(crate) struct Mirror {
    dim: usize,
    metric: Metric,
    /// Row → id; a deleted row keeps its slot (and id) until [`Mirror::compact`].
    ids: Vec<String>,
    alive: Vec<bool>,
    /// Live id → row.
    rows: HashMap<String, usize>,
    /// Row-major `ids.len() × dim`, normalised for cosine.
    vectors: Vec<f32>,
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

impl Mirror {
    pub fn new(dim: usize, metric: Metric) -> Self {
        Mirror { dim, metric, ids: Vec::new(), alive: Vec::new(), rows: HashMap::new(), vectors: Vec::new() }
    }

    fn kernel_metric(&self) -> kernels::Metric {
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
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                out[start..].iter_mut().for_each(|x| *x /= norm);
            }
        }
    }

    /// Inserts or replaces the given records' vectors.
    pub fn upsert(&mut self, ids: &[String], vectors: Vectors<'_>) {
        let mut buf = Vec::with_capacity(self.dim);
        for (i, id) in ids.iter().enumerate() {
            buf.clear();
            self.prepare(vectors.row(i), &mut buf);
            match self.rows.get(id) {
                Some(&row) => self.vectors[row * self.dim..(row + 1) * self.dim].copy_from_slice(&buf),
                None => {
                    self.rows.insert(id.clone(), self.ids.len());
                    self.ids.push(id.clone());
                    self.alive.push(true);
                    self.vectors.extend_from_slice(&buf);
                }
            }
        }
    }

    /// Forgets the given ids (unknown ids are ignored).
    pub fn remove<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        for id in ids {
            if let Some(row) = self.rows.remove(id) {
                self.alive[row] = false;
            }
        }
        if self.ids.len() > 1024 && self.rows.len() < self.ids.len() / 2 {
            self.compact();
        }
    }

    /// Drops the slots of deleted rows.
    fn compact(&mut self) {
        let dim = self.dim;
        let mut next = 0;
        for row in 0..self.ids.len() {
            if !self.alive[row] {
                continue;
            }
            if next != row {
                self.vectors.copy_within(row * dim..(row + 1) * dim, next * dim);
                self.ids.swap(next, row);
            }
            next += 1;
        }
        self.ids.truncate(next);
        self.vectors.truncate(next * dim);
        self.alive = vec![true; next];
        self.rows = self.ids.iter().enumerate().map(|(i, id)| (id.clone(), i)).collect();
    }

    /// The rows of the given ids, as a mask over all rows.
    pub fn mask_of<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<bool> {
        let mut mask = vec![false; self.ids.len()];
        for id in ids {
            if let Some(&row) = self.rows.get(id) {
                mask[row] = true;
            }
        }
        mask
    }

    /// The ids and distances of the `k` rows nearest to `query`, closest first, among the live
    /// rows that `mask` allows (all when `None`), scanning on up to `threads` threads.
    pub fn search(&self, query: &[f32], k: usize, mask: Option<&[bool]>, threads: usize) -> Vec<(String, f32)> {
        let mut q = Vec::with_capacity(self.dim);
        self.prepare(query, &mut q);
        let n = self.ids.len();
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
        best.into_iter()
            .map(|h| {
                // The dot kernel gives 1 - q̂·v̂; rounding can take an identical pair just below 0.
                let d = if self.metric == Metric::Cosine { h.dist.max(0.0) } else { h.dist };
                (self.ids[h.row].clone(), d)
            })
            .collect()
    }

    fn scan(&self, q: &[f32], range: std::ops::Range<usize>, k: usize, mask: Option<&[bool]>) -> BinaryHeap<Hit> {
        let kern = Kernels::get();
        let metric = self.kernel_metric();
        let dim = self.dim;
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
            let allowed = |row: usize| self.alive[row] && mask.is_none_or(|m| m[row]);
            let block_allowed = (start..end).filter(|&r| allowed(r)).count();
            if block_allowed * 4 >= end - start {
                let out = &mut out[..end - start];
                kern.batch_f32(metric, q, &self.vectors[start * dim..end * dim], dim, out);
                for (i, &dist) in out.iter().enumerate() {
                    if allowed(start + i) {
                        push(&mut heap, Hit { dist, row: start + i });
                    }
                }
            } else if block_allowed > 0 {
                // A sparse filter: compute only the rows it lets through.
                for row in (start..end).filter(|&r| allowed(r)) {
                    let dist = kern.pair_f32(metric, q, &self.vectors[row * dim..(row + 1) * dim]);
                    push(&mut heap, Hit { dist, row });
                }
            }
            start = end;
        }
        heap
    }
}
