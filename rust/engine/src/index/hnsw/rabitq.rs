//! RaBitQ codes for the graph walk (Gao & Long, "RaBitQ: Quantizing High-Dimensional Vectors
//! with a Theoretical Error Bound for Approximate Nearest Neighbor Search", SIGMOD 2024).
//!
//! # Codes
//! Every vector `o` is stored as its residual from the centroid `c` of the rows the index was
//! built on, `r = o - c`: its norm `|r|`, and the signs of `P·u` where `u = r / |r|` and `P` is a
//! random orthogonal matrix (seeded; the seed and the centroid are saved with the index, the
//! matrix is re-derived). With `x̄ = sign(P u) / √D` (a unit vector), the code keeps one more
//! scalar, `f = ⟨x̄, P u⟩ = Σ|(P u)_i| / √D`. A node's record is `⌈D / 64⌉` code words then one
//! word holding `|r|` and `f` (two `f32`): 56 bytes at 384 dimensions instead of 1,536.
//!
//! # The estimate
//! A query `q` is turned into `t = q - c` (L2) or `t = q` (dot), rotated (`q' = P t`) and
//! quantized to 4 bits per coordinate (`q̄_i = lo + Δ·qu_i`, `qu_i ∈ [0, 15]`), kept as four bit
//! planes so that `Σ b_i qu_i` is four AND + popcount passes over the code (the kernel in
//! `kernels/bits.rs`). Then `⟨x̄, q̄⟩ / f` is RaBitQ's unbiased estimate of `⟨u, t⟩`, whose error
//! is close to normal with standard deviation `|t|·√(1 - f²)/f / √(D - 1)`; the bound is ε₀ = 3
//! of those (the paper's 1.9 leaves about 6% of pairs outside it, measured on 128-d data, and a
//! true neighbour whose estimate is off by more than its bound is never re-ranked: lost recall).
//! The distance follows:
//! - L2: `|o - q|² = |r|² + |t|² - 2|r|·⟨u, t⟩`, error bound `2|r|` times the above;
//! - dot: `1 - ⟨o, q⟩ = 1 - ⟨c, q⟩ - |r|·⟨u, t⟩`, error bound `|r|` times the above.
//!
//! The 4-bit query rounding adds an error of about `Δ/√12` to `⟨x̄, q̄⟩`, a few percent of the
//! bound, which the paper shows leaves the estimator's accuracy unchanged (it is left out of the
//! bound).

use crate::kernels::{self, Kernels};

/// ε₀ of the error bound (see the module docs).
pub(crate) const EPS0: f32 = 3.0;
/// Bits per coordinate of the quantized query.
const QUERY_BITS: usize = 4;
const QUERY_LEVELS: f32 = ((1 << QUERY_BITS) - 1) as f32;

pub(crate) struct RaBitQ {
    dim: usize,
    /// Code words per node: `⌈dim / 64⌉`.
    words: usize,
    pub seed: u64,
    pub centroid: Vec<f32>,
    /// `dim × dim`, row-major, orthonormal rows: rotated coordinate `i` is `⟨row i, v⟩`.
    rotation: Vec<f32>,
    /// Per node `words + 1` words: the code, then `|r|` (low half) and `f` (high half) as `f32` bits.
    pub records: Vec<u64>,
    metric: kernels::Metric,
}

/// A query prepared for [`RaBitQ::estimate`].
pub(crate) struct Query {
    /// Four bit planes of the 4-bit rotated query, `words` words each.
    pub planes: Vec<u64>,
    lo: f32,
    delta: f32,
    sum_qu: f32,
    /// `|t|·ε₀/√(D - 1)`: the part of the error bound that depends on the query only.
    err: f32,
    /// L2: `|t|²`; dot: `1 - ⟨c, q⟩`.
    base: f32,
}

/// A seeded xorshift64* generator (the rotation must be the same every time it is derived).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in (0, 1).
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn gauss(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// A random orthogonal `dim × dim` matrix drawn from `seed`: Gaussian rows orthonormalized by
/// modified Gram–Schmidt in `f64` (the Haar distribution RaBitQ's bound assumes). Plain scalar
/// code, so the same seed gives the same matrix on every CPU. `O(dim³)`: 0.05 s at 384
/// dimensions, a few seconds at 1,536 (paid on build and load).
pub(crate) fn rotation(dim: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng(seed | 1);
    let mut m: Vec<f64> = Vec::with_capacity(dim * dim);
    for i in 0..dim {
        loop {
            let mut row: Vec<f64> = (0..dim).map(|_| rng.gauss()).collect();
            for j in 0..i {
                let prev = &m[j * dim..(j + 1) * dim];
                let d: f64 = row.iter().zip(prev).map(|(a, b)| a * b).sum();
                row.iter_mut().zip(prev).for_each(|(a, b)| *a -= d * b);
            }
            let norm = row.iter().map(|a| a * a).sum::<f64>().sqrt();
            // A draw (almost) in the span of the previous rows is redrawn; it never happens in
            // practice, but a zero row would make the matrix singular.
            if norm > 1e-6 {
                m.extend(row.iter().map(|a| a / norm));
                break;
            }
        }
    }
    m.into_iter().map(|x| x as f32).collect()
}

impl RaBitQ {
    /// A quantizer with the rotation of `seed` and the given centroid (`dim` long).
    pub fn new(dim: usize, metric: kernels::Metric, seed: u64, centroid: Vec<f32>) -> RaBitQ {
        debug_assert_eq!(centroid.len(), dim);
        RaBitQ { dim, words: dim.div_ceil(64), seed, centroid, rotation: rotation(dim, seed), records: Vec::new(), metric }
    }

    /// The mean of the finite rows of `rows` (`dim` wide); zero without rows.
    pub fn mean(rows: &[f32], dim: usize) -> Vec<f32> {
        let mut sum = vec![0f64; dim];
        let mut n = 0usize;
        for row in rows.chunks_exact(dim) {
            if row.iter().all(|x| x.is_finite()) {
                sum.iter_mut().zip(row).for_each(|(s, &x)| *s += x as f64);
                n += 1;
            }
        }
        sum.into_iter().map(|s| if n > 0 { (s / n as f64) as f32 } else { 0.0 }).collect()
    }

    /// Words per node record: the code, then the two scalars.
    #[inline(always)]
    pub fn stride(&self) -> usize {
        self.words + 1
    }

    /// The memory of the codes, the rotation and the centroid.
    pub fn memory_bytes(&self) -> usize {
        self.records.len() * 8 + self.rotation.len() * 4 + self.centroid.len() * 4
    }

    /// `P v` into `out`.
    fn rotate(&self, kern: Kernels, v: &[f32], out: &mut [f32]) {
        // The dot kernel returns `1 - a·b` (the engine's dot distance).
        kern.batch_f32(kernels::Metric::Dot, v, &self.rotation, self.dim, out);
        out.iter_mut().for_each(|x| *x = 1.0 - *x);
    }

    /// Appends the record of `v`.
    pub fn encode(&mut self, kern: Kernels, v: &[f32]) {
        let dim = self.dim;
        let mut r: Vec<f32> = v.iter().zip(&self.centroid).map(|(a, c)| a - c).collect();
        let norm = r.iter().map(|x| x * x).sum::<f32>().sqrt();
        let mut rec = vec![0u64; self.stride()];
        let mut f = 1.0f32;
        if norm > 0.0 && norm.is_finite() {
            r.iter_mut().for_each(|x| *x /= norm);
            let mut u = vec![0f32; dim];
            self.rotate(kern, &r, &mut u);
            for (i, &x) in u.iter().enumerate() {
                if x > 0.0 {
                    rec[i / 64] |= 1 << (i % 64);
                }
            }
            let s = u.iter().map(|x| x.abs()).sum::<f32>() / (dim as f32).sqrt();
            // `f ≤ 1` in exact arithmetic; rounding must not make `1 - f²` negative.
            if s > 0.0 && s.is_finite() {
                f = s.min(1.0);
            }
        }
        // A vector at the centroid (or not finite) has no direction: `|r| = 0` makes its
        // estimate `|t|²` (resp. `1 - ⟨c, q⟩`), exact, with a zero bound.
        let norm = if norm.is_finite() { norm } else { 0.0 };
        rec[self.words] = norm.to_bits() as u64 | (f.to_bits() as u64) << 32;
        self.records.extend_from_slice(&rec);
    }

    /// Prepares `q` (as the mirror stores it) for estimates.
    pub fn query(&self, kern: Kernels, q: &[f32]) -> Query {
        let dim = self.dim;
        let t: Vec<f32> = match self.metric {
            kernels::Metric::L2 => q.iter().zip(&self.centroid).map(|(a, c)| a - c).collect(),
            _ => q.to_vec(),
        };
        let t_norm2 = t.iter().map(|x| x * x).sum::<f32>();
        let mut qr = vec![0f32; dim];
        self.rotate(kern, &t, &mut qr);
        let (lo, hi) = qr.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let delta = if hi > lo { (hi - lo) / QUERY_LEVELS } else { 0.0 };
        let mut planes = vec![0u64; QUERY_BITS * self.words];
        let mut sum_qu = 0u32;
        for (i, &x) in qr.iter().enumerate() {
            let qu = if delta > 0.0 { ((x - lo) / delta).round().clamp(0.0, QUERY_LEVELS) as u32 } else { 0 };
            sum_qu += qu;
            for (j, plane) in planes.chunks_exact_mut(self.words).enumerate() {
                if qu >> j & 1 == 1 {
                    plane[i / 64] |= 1 << (i % 64);
                }
            }
        }
        let base = match self.metric {
            kernels::Metric::L2 => t_norm2,
            _ => 1.0 - q.iter().zip(&self.centroid).map(|(a, c)| a * c).sum::<f32>(),
        };
        let err = t_norm2.sqrt() * EPS0 / ((dim.max(2) - 1) as f32).sqrt();
        Query { planes, lo: if lo.is_finite() { lo } else { 0.0 }, delta, sum_qu: sum_qu as f32, err, base }
    }

    /// The estimated distance of `node` and its error bound, from the kernel's output `packed`
    /// (`S | ones << 32`) for that node.
    #[inline(always)]
    pub fn estimate(&self, q: &Query, node: u32, packed: u64) -> (f32, f32) {
        let scalars = self.records[node as usize * self.stride() + self.words];
        let (norm, f) = (f32::from_bits(scalars as u32), f32::from_bits((scalars >> 32) as u32));
        let s = (packed as u32) as f32;
        let ones = (packed >> 32) as f32;
        let dim = self.dim as f32;
        // ⟨x̄, q̄⟩ with x̄_i = (2 b_i - 1)/√D and q̄_i = lo + Δ qu_i.
        let xq = (q.delta * (2.0 * s - q.sum_qu) + q.lo * (2.0 * ones - dim)) / dim.sqrt();
        let ip = xq / f;
        let err = q.err * (1.0 - f * f).max(0.0).sqrt() / f;
        match self.metric {
            kernels::Metric::L2 => (norm * norm + q.base - 2.0 * norm * ip, 2.0 * norm * err),
            _ => (q.base - norm * ip, norm * err),
        }
    }

    /// The code words of `node`, for prefetching.
    #[inline(always)]
    pub fn record(&self, node: u32) -> &[u64] {
        let s = self.stride();
        &self.records[node as usize * s..(node as usize + 1) * s]
    }
}
