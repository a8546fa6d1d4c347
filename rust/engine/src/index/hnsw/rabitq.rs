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
//!
//! # Multi-bit codes (Extended RaBitQ)
//! With `B` = 2, 4 or 8 bits per coordinate (Gao et al., "Practical and Asymptotically Optimal
//! Quantization of High-Dimensional Vectors in Euclidean Space for Approximate Nearest Neighbor
//! Search", SIGMOD 2025) the rotated unit residual `u' = P u` is rounded to the grid of
//! half-integers `y_i ∈ {-(2^(B-1) - ½), …, -½, ½, …, 2^(B-1) - ½}` after a per-vector rescaling
//! `t`: `y_i = clamp(⌊t·u'_i⌋, -2^(B-1), 2^(B-1) - 1) + ½`, stored as the unsigned code
//! `c_i = y_i + 2^(B-1) - ½ ∈ [0, 2^B)` (the block layout of `kernels/exbits.rs`). The paper
//! picks `t` maximizing `f = ⟨y, u'⟩ / |y|` by enumerating every critical value of `t`; here `t`
//! is searched on a grid (48 steps of `top / 16`, `top = 2^(B-1) / max|u'_i|`, then 64 steps of
//! `top / 512` around the best), within 0.1% of the exact optimum's `f` (see the tests) at a
//! fixed cost of about 110 passes over the coordinates whatever `B`. At 2 and 4 bits the
//! smallest `t` tried gives the 1-bit code (every `y_i = ±½`), so `f` is never below 1-bit's.
//!
//! The estimate is the 1-bit one with `x̄ = y / |y|`: `⟨y, q̄⟩ / ⟨y, u'⟩` estimates `⟨u, t⟩`, with
//! the same error `|t|·√(1 - f²)/f / √(D - 1)` (the part of `y` orthogonal to `u'` points in a
//! uniformly random direction, whatever the grid), and `f` close to 1: about 0.94 at 2 bits, 0.99
//! at 4, 0.9999 at 8 (1-bit: 0.80). The query is quantized to signed 8 bits, `q̄_i = Δ·qu_i`
//! with `Δ = max|q'_i| / 127`: at 4 bits per code a 4-bit query's rounding error would exceed
//! the code's, and at 8 bits even the 8-bit query's rounding dominates, so it is part of the
//! bound here: `ε₀·Δ/√12 / f` (`Σ y_i e_i / ⟨y, u'⟩` with `e_i` uniform in `±Δ/2`). A record
//! is the code, then `|r|` and `1 / ⟨y, u'⟩`, then `√(1 - f²)/f` and `1 / f` (four `f32`s).

use crate::kernels::{self, Kernels};

/// ε₀ of the error bound (see the module docs).
pub(crate) const EPS0: f32 = 3.0;
/// Bits per coordinate of the quantized query (1-bit codes).
const QUERY_BITS: usize = 4;
const QUERY_LEVELS: f32 = ((1 << QUERY_BITS) - 1) as f32;
/// Bits per coordinate of the quantized query (multi-bit codes), sign included.
pub(crate) const QUERY_BITS_EX: u32 = 8;

/// Coordinates per 32-byte block of a `bits`-bit code (the layout of `kernels/exbits.rs`).
fn block_dims(bits: u32) -> usize {
    256 / bits as usize
}

pub(crate) struct RaBitQ {
    dim: usize,
    /// Bits per coordinate of the codes: 1, 2, 4 or 8.
    pub bits: u32,
    /// Code words per node: `⌈dim / 64⌉` (1 bit), `4·⌈dim / (256 / B)⌉` (`B` bits).
    words: usize,
    pub seed: u64,
    pub centroid: Vec<f32>,
    /// `dim × dim`, row-major, orthonormal rows: rotated coordinate `i` is `⟨row i, v⟩`.
    rotation: Vec<f32>,
    /// Per node [`RaBitQ::stride`] words: the code, then (1 bit) `|r|` (low half) and `f` (high
    /// half) as `f32` bits, or (multi-bit) `|r|`, `1 / ⟨y, u'⟩`, `√(1 - f²)/f` and `1 / f`.
    pub records: Vec<u64>,
    metric: kernels::Metric,
}

/// A query prepared for [`RaBitQ::estimate`].
pub(crate) struct Query {
    /// 1-bit codes: four bit planes of the 4-bit rotated query, `words` words each.
    pub planes: Vec<u64>,
    /// Multi-bit codes: the rotated query quantized to `i8` (`q̄_i = Δ·qu_i`), padded to whole
    /// blocks with zeros.
    pub bytes: Vec<i8>,
    lo: f32,
    delta: f32,
    sum_qu: f32,
    /// Multi-bit: `(2^(B-1) - ½)·Σ qu_i`, the grid's offset times the query's sum.
    offset: f64,
    /// Multi-bit: `ε₀·Δ/√12`, the query rounding's part of the bound (times `1 / f`).
    qerr: f32,
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

/// Scratch space of [`RaBitQ::score`], reused across calls.
#[derive(Default)]
pub(crate) struct Sums {
    packed: Vec<u64>,
    ex: Vec<i32>,
}

/// `⟨y, u⟩` and `|y|²` of the grid point of `u` at scale `t` (see the module docs), `m` = 2^(B-1).
#[inline]
fn grid_fit(u: &[f32], t: f32, m: f32) -> (f32, f32) {
    let (mut yu, mut yy) = (0f32, 0f32);
    for &x in u {
        let y = (t * x).floor().clamp(-m, m - 1.0) + 0.5;
        yu += y * x;
        yy += y * y;
    }
    (yu, yy)
}

/// The scale `t` whose grid point is closest in angle to `u` (the largest `f`), searched on a
/// grid then refined (see the module docs); `amax = max|u_i| > 0`. The range goes past
/// `top = 2^(B-1) / amax` (where the largest coordinate reaches the top of the grid): clipping
/// the few largest coordinates pays at 2 bits (the optimum is near `1.6·top` at 384 dimensions).
pub(crate) fn fit_scale(u: &[f32], bits: u32, amax: f32) -> f32 {
    let m = (1u32 << (bits - 1)) as f32;
    let step = m / amax / 16.0;
    let cos = |t: f32| {
        let (yu, yy) = grid_fit(u, t, m);
        yu / yy.sqrt()
    };
    let (mut best_t, mut best) = (step, cos(step));
    for s in 2..=48 {
        let t = step * s as f32;
        let c = cos(t);
        if c > best {
            (best_t, best) = (t, c);
        }
    }
    let lo = best_t - step;
    for s in 0..=64 {
        let t = lo + step * s as f32 / 32.0;
        if t > 0.0 {
            let c = cos(t);
            if c > best {
                (best_t, best) = (t, c);
            }
        }
    }
    best_t
}

impl RaBitQ {
    /// A quantizer of `bits` (1, 2, 4 or 8) per coordinate with the rotation of `seed` and the
    /// given centroid (`dim` long).
    pub fn new(dim: usize, bits: u32, metric: kernels::Metric, seed: u64, centroid: Vec<f32>) -> RaBitQ {
        debug_assert_eq!(centroid.len(), dim);
        debug_assert!(matches!(bits, 1 | 2 | 4 | 8));
        let words = if bits == 1 { dim.div_ceil(64) } else { 4 * dim.div_ceil(block_dims(bits)) };
        RaBitQ { dim, bits, words, seed, centroid, rotation: rotation(dim, seed), records: Vec::new(), metric }
    }

    /// Code words per node (the code, without the scalars).
    #[cfg(test)]
    pub fn code_words(&self) -> usize {
        self.words
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

    /// Words per node record: the code, then the scalars (one word at 1 bit, two multi-bit).
    #[inline(always)]
    pub fn stride(&self) -> usize {
        self.words + if self.bits == 1 { 1 } else { 2 }
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
        let direction = norm > 0.0 && norm.is_finite();
        let mut u = vec![0f32; dim];
        if direction {
            r.iter_mut().for_each(|x| *x /= norm);
            self.rotate(kern, &r, &mut u);
        }
        // A vector at the centroid (or not finite) has no direction: `|r| = 0` makes its
        // estimate `|t|²` (resp. `1 - ⟨c, q⟩`), exact, with a zero bound.
        let norm = if norm.is_finite() { norm } else { 0.0 };
        if self.bits == 1 {
            let mut f = 1.0f32;
            if direction {
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
            rec[self.words] = norm.to_bits() as u64 | (f.to_bits() as u64) << 32;
        } else {
            let (inv_yu, g, inv_f) = self.encode_grid(&u, direction, &mut rec[..self.words]);
            rec[self.words] = norm.to_bits() as u64 | (inv_yu.to_bits() as u64) << 32;
            rec[self.words + 1] = g.to_bits() as u64 | (inv_f.to_bits() as u64) << 32;
        }
        self.records.extend_from_slice(&rec);
    }

    /// The multi-bit code of the rotated unit residual `u` into `code`, and its scalars
    /// `(1 / ⟨y, u⟩, √(1 - f²)/f, 1 / f)` (zeros and 1 without a direction).
    fn encode_grid(&self, u: &[f32], direction: bool, code: &mut [u64]) -> (f32, f32, f32) {
        let bits = self.bits;
        let m = (1u32 << (bits - 1)) as f32;
        let amax = u.iter().fold(0f32, |a, x| a.max(x.abs()));
        if !direction || !(amax > 0.0 && amax.is_finite()) {
            return (0.0, 0.0, 1.0);
        }
        let t = fit_scale(u, bits, amax);
        let w = block_dims(bits);
        let mut bytes = vec![0u8; code.len() * 8];
        let (mut yu, mut yy) = (0f32, 0f32);
        for (i, &x) in u.iter().enumerate() {
            let y = (t * x).floor().clamp(-m, m - 1.0);
            let c = (y + m) as u8;
            let y = y + 0.5;
            yu += y * x;
            yy += y * y;
            let (b, rem) = (i / w, i % w);
            bytes[b * 32 + rem % 32] |= c << (bits as usize * (rem / 32));
        }
        for (word, chunk) in code.iter_mut().zip(bytes.chunks_exact(8)) {
            *word = u64::from_ne_bytes(chunk.try_into().unwrap_or_default());
        }
        // `f ≤ 1` in exact arithmetic; rounding must not make `1 - f²` negative.
        let f = (yu / yy.sqrt()).min(1.0);
        if !(f > 0.0 && yu.is_finite()) {
            return (0.0, 0.0, 1.0);
        }
        (1.0 / yu, (1.0 - f * f).max(0.0).sqrt() / f, 1.0 / f)
    }

    /// Prepares `q` (as the mirror stores it) for estimates.
    pub fn query(&self, kern: Kernels, q: &[f32]) -> Query {
        self.query_with(kern, q, QUERY_BITS_EX)
    }

    /// [`RaBitQ::query`] with the multi-bit codes' query quantized to `qbits` (2 to 8) bits, sign
    /// included: tests measure what fewer bits would cost.
    pub(crate) fn query_with(&self, kern: Kernels, q: &[f32], qbits: u32) -> Query {
        let dim = self.dim;
        let t: Vec<f32> = match self.metric {
            kernels::Metric::L2 => q.iter().zip(&self.centroid).map(|(a, c)| a - c).collect(),
            _ => q.to_vec(),
        };
        let t_norm2 = t.iter().map(|x| x * x).sum::<f32>();
        let mut qr = vec![0f32; dim];
        self.rotate(kern, &t, &mut qr);
        let base = match self.metric {
            kernels::Metric::L2 => t_norm2,
            _ => 1.0 - q.iter().zip(&self.centroid).map(|(a, c)| a * c).sum::<f32>(),
        };
        let err = t_norm2.sqrt() * EPS0 / ((dim.max(2) - 1) as f32).sqrt();
        let mut query = Query {
            planes: Vec::new(),
            bytes: Vec::new(),
            lo: 0.0,
            delta: 0.0,
            sum_qu: 0.0,
            offset: 0.0,
            qerr: 0.0,
            err,
            base,
        };
        if self.bits == 1 {
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
            query.planes = planes;
            query.lo = if lo.is_finite() { lo } else { 0.0 };
            query.delta = delta;
            query.sum_qu = sum_qu as f32;
        } else {
            let levels = ((1u32 << (qbits.clamp(2, 8) - 1)) - 1) as f32;
            let amax = qr.iter().fold(0f32, |a, x| a.max(x.abs()));
            let delta = if amax > 0.0 && amax.is_finite() { amax / levels } else { 0.0 };
            let mut bytes = vec![0i8; self.words * 8 * 8 / self.bits as usize];
            let mut sum_qu = 0i64;
            for (b, &x) in bytes.iter_mut().zip(&qr) {
                let qu = if delta > 0.0 { (x / delta).round().clamp(-levels, levels) as i8 } else { 0 };
                sum_qu += qu as i64;
                *b = qu;
            }
            let m = (1u32 << (self.bits - 1)) as f64 - 0.5;
            query.bytes = bytes;
            query.delta = delta;
            query.offset = m * sum_qu as f64;
            query.qerr = EPS0 * delta / 12f32.sqrt();
        }
        query
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

    /// [`RaBitQ::estimate`] for a multi-bit code, from the kernel's `S = Σ c_i qu_i` for `node`.
    #[inline(always)]
    pub fn estimate_ex(&self, q: &Query, node: u32, s: i32) -> (f32, f32) {
        let at = node as usize * self.stride() + self.words;
        let (a, b) = (self.records[at], self.records[at + 1]);
        let (norm, inv_yu) = (f32::from_bits(a as u32), f32::from_bits((a >> 32) as u32));
        let (g, inv_f) = (f32::from_bits(b as u32), f32::from_bits((b >> 32) as u32));
        // ⟨y, q̄⟩ = Δ·Σ (c_i - (2^(B-1) - ½))·qu_i; in f64, since both terms can be large.
        let yq = q.delta * (s as f64 - q.offset) as f32;
        let ip = yq * inv_yu;
        let err = q.err * g + q.qerr * inv_f;
        match self.metric {
            kernels::Metric::L2 => (norm * norm + q.base - 2.0 * norm * ip, 2.0 * norm * err),
            _ => (q.base - norm * ip, norm * err),
        }
    }

    /// `(estimate, bound)` of every node of `ids`, in order, passed to `each` (one kernel call).
    #[inline(always)]
    pub fn score(&self, kern: Kernels, q: &Query, ids: &[u32], sums: &mut Sums, mut each: impl FnMut(u32, f32, f32)) {
        if self.bits == 1 {
            sums.packed.clear();
            sums.packed.resize(ids.len(), 0);
            kern.rabitq_ip_gather(&q.planes, &self.records, self.stride(), ids, &mut sums.packed);
            for (&n, &p) in ids.iter().zip(&sums.packed) {
                let (e, b) = self.estimate(q, n, p);
                each(n, e, b);
            }
        } else {
            sums.ex.clear();
            sums.ex.resize(ids.len(), 0);
            kern.rabitq_ex_gather(self.bits, &q.bytes, &self.records, self.stride(), ids, &mut sums.ex);
            for (&n, &s) in ids.iter().zip(&sums.ex) {
                let (e, b) = self.estimate_ex(q, n, s);
                each(n, e, b);
            }
        }
    }

    /// `(estimate, bound)` of one node, without scratch space.
    #[inline(always)]
    pub fn score_one(&self, kern: Kernels, q: &Query, node: u32) -> (f32, f32) {
        if self.bits == 1 {
            let mut p = [0u64];
            kern.rabitq_ip_gather(&q.planes, &self.records, self.stride(), &[node], &mut p);
            self.estimate(q, node, p[0])
        } else {
            let mut s = [0i32];
            kern.rabitq_ex_gather(self.bits, &q.bytes, &self.records, self.stride(), &[node], &mut s);
            self.estimate_ex(q, node, s[0])
        }
    }

    /// The code words of `node`, for prefetching.
    #[inline(always)]
    pub fn record(&self, node: u32) -> &[u64] {
        let s = self.stride();
        &self.records[node as usize * s..(node as usize + 1) * s]
    }
}
