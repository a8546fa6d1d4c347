//! AgentDB's HNSW graph (Malkov & Yashunin, 2016) over the rows of a collection's vector mirror.
//!
//! Nodes are mirror rows. Rows are never rewritten while an index exists: an upsert appends a new
//! row and tombstones the old one, and a delete tombstones. Tombstoned nodes are still walked
//! through (so the graph stays connected) but never returned. Distances come from the SIMD
//! kernels.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::kernels::{self, Kernels};

/// The kinds of vector index a collection can have. Bindings parse user text with
/// [`std::str::FromStr`], so the list of kinds and its error message live here only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// AgentDB's HNSW graph ([`HnswParams`]).
    Hnsw,
}

impl IndexKind {
    pub const ALL: &'static [IndexKind] = &[IndexKind::Hnsw];

    pub fn as_str(self) -> &'static str {
        match self {
            IndexKind::Hnsw => "hnsw",
        }
    }
}

impl std::str::FromStr for IndexKind {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        IndexKind::ALL.iter().copied().find(|k| k.as_str() == s).ok_or_else(|| {
            let supported: Vec<String> = IndexKind::ALL.iter().map(|k| format!("'{}'", k.as_str())).collect();
            crate::Error::invalid_argument(format!(
                "unsupported index kind '{s}'; supported kinds: {}",
                supported.join(", ")
            ))
        })
    }
}

/// Index build parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HnswParams {
    /// Links per node on the upper layers (twice as many on layer 0). 2–128, default 16.
    pub m: usize,
    /// Candidate list size while building; larger builds slower and finds better links. Default 200.
    pub ef_construction: usize,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams { m: 16, ef_construction: 200 }
    }
}

/// The vectors the graph's nodes refer to (the mirror's rows).
pub(crate) struct Points<'a> {
    pub data: &'a [f32],
    pub dim: usize,
    pub metric: kernels::Metric,
}

impl Points<'_> {
    #[inline]
    fn row(&self, i: u32) -> &[f32] {
        let i = i as usize;
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    #[inline]
    fn dist(&self, kern: Kernels, q: &[f32], i: u32) -> f32 {
        kern.pair_f32(self.metric, q, self.row(i))
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

pub(crate) struct Hnsw {
    pub params: HnswParams,
    /// `links[node][level]`: the node's neighbours on that level.
    pub links: Vec<Vec<Vec<u32>>>,
    pub entry: Option<u32>,
    rng: u64,
}

impl Hnsw {
    pub fn new(params: HnswParams) -> Self {
        Hnsw { params, links: Vec::new(), entry: None, rng: 0x9E37_79B9_7F4A_7C15 }
    }

    pub fn len(&self) -> usize {
        self.links.len()
    }

    fn max_links(&self, level: usize) -> usize {
        if level == 0 {
            2 * self.params.m
        } else {
            self.params.m
        }
    }

    fn top_level(&self) -> usize {
        self.entry.map_or(0, |e| self.links[e as usize].len() - 1)
    }

    /// A level drawn from the geometric distribution with factor 1/ln(m).
    fn random_level(&mut self) -> usize {
        // xorshift64*: deterministic, so the same inserts build the same graph.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let u = ((r >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        let ml = 1.0 / (self.params.m as f64).ln();
        ((-u.ln() * ml) as usize).min(16)
    }

    /// Adds the next node (it must be row `self.len()` of `points`).
    pub fn insert(&mut self, points: &Points<'_>) {
        let kern = Kernels::get();
        let node = self.links.len() as u32;
        let level = self.random_level();
        self.links.push(vec![Vec::new(); level + 1]);
        let Some(entry) = self.entry else {
            self.entry = Some(node);
            return;
        };
        let q = points.row(node).to_vec();
        let top = self.top_level();
        let mut ep = Scored(points.dist(kern, &q, entry), entry);
        for l in (level + 1..=top).rev() {
            ep = self.greedy(points, kern, &q, ep, l);
        }
        let mut eps = vec![ep];
        let mut visited = Visited::new(self.links.len());
        for l in (0..=level.min(top)).rev() {
            let found = self.search_layer(points, kern, &q, &eps, self.params.ef_construction, l, &mut visited, &|_| true);
            let chosen = self.select(points, kern, &found, self.max_links(l));
            for &Scored(_, nb) in &chosen {
                self.links[nb as usize][l].push(node);
                if self.links[nb as usize][l].len() > self.max_links(l) {
                    self.shrink(points, kern, nb, l);
                }
            }
            self.links[node as usize][l] = chosen.iter().map(|s| s.1).collect();
            eps = found;
        }
        if level > top {
            self.entry = Some(node);
        }
    }

    /// Re-selects the links of `node` on `level` after it gained one too many.
    fn shrink(&mut self, points: &Points<'_>, kern: Kernels, node: u32, level: usize) {
        let q = points.row(node);
        let mut cands: Vec<Scored> =
            self.links[node as usize][level].iter().map(|&n| Scored(points.dist(kern, q, n), n)).collect();
        cands.sort_unstable();
        let kept = self.select(points, kern, &cands, self.max_links(level));
        self.links[node as usize][level] = kept.into_iter().map(|s| s.1).collect();
    }

    /// The neighbour-selection heuristic: take candidates closest first, skipping one that is
    /// closer to an already chosen neighbour than to the base point (it is reachable through it),
    /// then fill up with the skipped ones so nodes keep enough links for filtered walks.
    fn select(&self, points: &Points<'_>, kern: Kernels, sorted: &[Scored], m: usize) -> Vec<Scored> {
        let mut chosen: Vec<Scored> = Vec::with_capacity(m);
        let mut skipped = Vec::new();
        for &c in sorted {
            if chosen.len() >= m {
                break;
            }
            let diverse = chosen.iter().all(|r| kern.pair_f32(points.metric, points.row(c.1), points.row(r.1)) > c.0);
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

    fn greedy(&self, points: &Points<'_>, kern: Kernels, q: &[f32], mut best: Scored, level: usize) -> Scored {
        loop {
            let mut improved = false;
            for &n in &self.links[best.1 as usize][level] {
                let d = points.dist(kern, q, n);
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
    fn search_layer(
        &self,
        points: &Points<'_>,
        kern: Kernels,
        q: &[f32],
        entries: &[Scored],
        ef: usize,
        level: usize,
        visited: &mut Visited,
        accept: &dyn Fn(u32) -> bool,
    ) -> Vec<Scored> {
        visited.clear();
        let mut candidates: BinaryHeap<Reverse<Scored>> = BinaryHeap::new();
        let mut results: BinaryHeap<Scored> = BinaryHeap::new();
        for &e in entries {
            if visited.insert(e.1) {
                candidates.push(Reverse(e));
                if accept(e.1) {
                    results.push(e);
                }
            }
        }
        while results.len() > ef {
            results.pop();
        }
        while let Some(Reverse(c)) = candidates.pop() {
            if results.len() >= ef && results.peek().is_some_and(|w| c.0 > w.0) {
                break;
            }
            for &n in &self.links[c.1 as usize][level] {
                if !visited.insert(n) {
                    continue;
                }
                let d = points.dist(kern, q, n);
                if results.len() < ef || results.peek().is_some_and(|w| d < w.0) {
                    candidates.push(Reverse(Scored(d, n)));
                    if accept(n) {
                        results.push(Scored(d, n));
                        if results.len() > ef {
                            results.pop();
                        }
                    }
                }
            }
        }
        let mut out = results.into_vec();
        out.sort_unstable();
        out
    }

    /// The `k` accepted nodes nearest to `q` found with a candidate list of `ef` (≥ k).
    pub fn search(&self, points: &Points<'_>, q: &[f32], k: usize, ef: usize, accept: &dyn Fn(u32) -> bool) -> Vec<Scored> {
        let Some(entry) = self.entry else { return Vec::new() };
        let kern = Kernels::get();
        let mut ep = Scored(points.dist(kern, q, entry), entry);
        for l in (1..=self.top_level()).rev() {
            ep = self.greedy(points, kern, q, ep, l);
        }
        let mut visited = Visited::new(self.links.len());
        let mut found = self.search_layer(points, kern, q, &[ep], ef.max(k), 0, &mut visited, accept);
        found.truncate(k);
        found
    }
}

/// A visited set over node numbers (a bitset cleared by the nodes it set).
struct Visited {
    bits: Vec<u64>,
    set: Vec<u32>,
}

impl Visited {
    fn new(n: usize) -> Self {
        Visited { bits: vec![0; n.div_ceil(64)], set: Vec::new() }
    }
    fn clear(&mut self) {
        for &n in &self.set {
            self.bits[n as usize / 64] = 0;
        }
        self.set.clear();
    }
    /// True if `n` was not yet visited.
    fn insert(&mut self, n: u32) -> bool {
        let (w, b) = (n as usize / 64, n % 64);
        if self.bits[w] >> b & 1 == 1 {
            return false;
        }
        self.bits[w] |= 1 << b;
        self.set.push(n);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, dim: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n * dim)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s % 10_000) as f32 / 10_000.0 - 0.5
            })
            .collect()
    }

    #[test]
    fn recall_against_brute_force() {
        let (n, dim, k) = (3000, 16, 10);
        let pts = data(n, dim, 7);
        let points = Points { data: &pts, dim, metric: kernels::Metric::L2 };
        let mut h = Hnsw::new(HnswParams { m: 12, ef_construction: 100 });
        for _ in 0..n {
            h.insert(&points);
        }
        let queries = data(50, dim, 99);
        let mut hits = 0;
        for q in queries.chunks(dim) {
            let mut exact: Vec<Scored> = (0..n as u32).map(|i| Scored(kernels::l2_f32(q, points.row(i)), i)).collect();
            exact.sort_unstable();
            let want: std::collections::HashSet<u32> = exact[..k].iter().map(|s| s.1).collect();
            let got = h.search(&points, q, k, 64, &|_| true);
            assert_eq!(got.len(), k);
            assert!(got.windows(2).all(|w| w[0] <= w[1]));
            hits += got.iter().filter(|s| want.contains(&s.1)).count();
        }
        let recall = hits as f64 / (50 * k) as f64;
        assert!(recall >= 0.95, "recall {recall}");
    }

    #[test]
    fn rejected_nodes_are_never_returned() {
        let (n, dim) = (500, 8);
        let pts = data(n, dim, 3);
        let points = Points { data: &pts, dim, metric: kernels::Metric::L2 };
        let mut h = Hnsw::new(HnswParams::default());
        for _ in 0..n {
            h.insert(&points);
        }
        let got = h.search(&points, points.row(0), 20, 50, &|i| i % 2 == 1);
        assert_eq!(got.len(), 20);
        assert!(got.iter().all(|s| s.1 % 2 == 1));
    }
}
