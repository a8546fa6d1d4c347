//! The loops shared by the SIMD backends, written once over a small set of vector operations
//! ([`Kern`]) that each backend implements with its intrinsics.
//!
//! Everything here is `#[inline(always)]` and has no target features of its own: it is inlined
//! into the `#[target_feature]` entry points that [`kern_fns!`] and [`hamming_fns!`] generate in
//! each backend, so the intrinsics are compiled for that backend's instruction set.
//!
//! Shapes:
//! - pair: four independent accumulators (dot, L2) or four triples (cosine) hide the FMA latency;
//! - batch: a 1 × 4 register tile (one query chunk loaded once, four rows, four accumulators)
//!   for up to 256 KiB of rows; above that, row after row (see `BATCH_TILE_MAX_BYTES`);
//! - many: rows in cache-sized blocks (prefetched in address order when the rows are big); per
//!   block, 4 × 2 register tiles (four queries × two rows, eight accumulators), so each loaded
//!   row chunk serves four queries; fewer than four queries use batch.
//!
//! Tails are handled by `Kern::load_part` (a masked or zero-padded load of the last `n < LANES`
//! elements): zero padding adds nothing to any of the sums. `i8` sums are exact in `i32` lanes as
//! long as a run covers at most `Kern::CHUNK` elements; longer vectors are cut into such runs,
//! whose sums are added in `i64`.

use super::{finish, Sum, COS, L2};

/// The vector operations of one element type on one instruction set.
///
/// # Safety
/// Every method may only be called on a CPU that has the backend's target features (the entry
/// points are reachable only through a table handed out after runtime detection). `load` reads
/// `LANES` elements at `p`; `load_part` reads exactly `n` elements, `0 < n < LANES`, and zero-fills
/// the rest; both require those elements to be readable.
pub(crate) trait Kern {
    /// The element type in memory.
    type T: Copy;
    /// `LANES` elements, loaded and widened.
    type V: Copy;
    /// An accumulator.
    type A: Copy;
    /// A horizontal sum of an accumulator.
    type S: Sum;
    /// Elements per step.
    const LANES: usize;
    /// The longest run (elements) after which an accumulator must be reduced (integers only).
    const CHUNK: usize;

    unsafe fn zero() -> Self::A;
    unsafe fn vzero() -> Self::V;
    unsafe fn load(p: *const Self::T) -> Self::V;
    unsafe fn load_part(p: *const Self::T, n: usize) -> Self::V;
    /// `acc + a·b` (lane-wise).
    unsafe fn mul_acc(acc: Self::A, a: Self::V, b: Self::V) -> Self::A;
    /// `acc + (a - b)²` (lane-wise).
    unsafe fn sqdiff_acc(acc: Self::A, a: Self::V, b: Self::V) -> Self::A;
    unsafe fn add(a: Self::A, b: Self::A) -> Self::A;
    unsafe fn reduce(a: Self::A) -> Self::S;
    /// A hint to bring the cache line of `p` into the cache; `p` may point anywhere (it is never
    /// dereferenced). The default does nothing.
    #[inline(always)]
    unsafe fn prefetch(p: *const Self::T) {
        let _ = p;
    }
}

/// One accumulation step of metric `M`: `(a-b)²` for L2, `a·b` otherwise.
#[inline(always)]
unsafe fn step<K: Kern, const M: u8>(acc: K::A, a: K::V, b: K::V) -> K::A {
    // SAFETY: same contract as the `Kern` methods, forwarded to the caller.
    unsafe {
        if M == L2 {
            K::sqdiff_acc(acc, a, b)
        } else {
            K::mul_acc(acc, a, b)
        }
    }
}

/// Raw sums of one pair over `n ≤ K::CHUNK` elements: `(x, aa, bb)` where `x` is `a·b` or
/// `Σ(a-b)²`, and `aa`, `bb` are the squared norms (cosine only, else zero).
///
/// # Safety
/// `a` and `b` readable for `n` elements; CPU has the backend.
#[inline(always)]
unsafe fn pair_run<K: Kern, const M: u8>(a: *const K::T, b: *const K::T, n: usize) -> (K::S, K::S, K::S) {
    let l = K::LANES;
    // SAFETY: every load below reads elements `i..i + LANES` with `i + LANES <= n`, or the
    // `n - i < LANES` elements left at `i < n` through `load_part`: all inside `a[..n]`, `b[..n]`.
    unsafe {
        let mut i = 0;
        if M == COS {
            // Four triples of accumulators (12 registers): enough independent FMA chains to
            // keep two FMA units busy through a 4-cycle latency.
            let mut ab = [K::zero(); 4];
            let mut aa = [K::zero(); 4];
            let mut bb = [K::zero(); 4];
            while i + 4 * l <= n {
                for u in 0..4 {
                    let (x, y) = (K::load(a.add(i + u * l)), K::load(b.add(i + u * l)));
                    ab[u] = K::mul_acc(ab[u], x, y);
                    aa[u] = K::mul_acc(aa[u], x, x);
                    bb[u] = K::mul_acc(bb[u], y, y);
                }
                i += 4 * l;
            }
            // (Constant indices only: a variable index would keep the accumulators in memory.)
            while i + l <= n {
                let (x, y) = (K::load(a.add(i)), K::load(b.add(i)));
                ab[0] = K::mul_acc(ab[0], x, y);
                aa[0] = K::mul_acc(aa[0], x, x);
                bb[0] = K::mul_acc(bb[0], y, y);
                i += l;
            }
            if i < n {
                let (x, y) = (K::load_part(a.add(i), n - i), K::load_part(b.add(i), n - i));
                ab[3] = K::mul_acc(ab[3], x, y);
                aa[3] = K::mul_acc(aa[3], x, x);
                bb[3] = K::mul_acc(bb[3], y, y);
            }
            let sum = |v: [K::A; 4]| K::reduce(K::add(K::add(v[0], v[1]), K::add(v[2], v[3])));
            (sum(ab), sum(aa), sum(bb))
        } else {
            let (mut s0, mut s1, mut s2, mut s3) = (K::zero(), K::zero(), K::zero(), K::zero());
            while i + 4 * l <= n {
                s0 = step::<K, M>(s0, K::load(a.add(i)), K::load(b.add(i)));
                s1 = step::<K, M>(s1, K::load(a.add(i + l)), K::load(b.add(i + l)));
                s2 = step::<K, M>(s2, K::load(a.add(i + 2 * l)), K::load(b.add(i + 2 * l)));
                s3 = step::<K, M>(s3, K::load(a.add(i + 3 * l)), K::load(b.add(i + 3 * l)));
                i += 4 * l;
            }
            while i + l <= n {
                s0 = step::<K, M>(s0, K::load(a.add(i)), K::load(b.add(i)));
                i += l;
            }
            if i < n {
                s1 = step::<K, M>(s1, K::load_part(a.add(i), n - i), K::load_part(b.add(i), n - i));
            }
            let s = K::reduce(K::add(K::add(s0, s1), K::add(s2, s3)));
            (s, K::S::ZERO, K::S::ZERO)
        }
    }
}

/// [`pair_run`] over any length, in runs of at most `K::CHUNK` elements.
///
/// # Safety
/// `a` and `b` readable for `n` elements; CPU has the backend.
#[inline(always)]
unsafe fn pair_sums<K: Kern, const M: u8>(a: *const K::T, b: *const K::T, n: usize) -> (K::S, K::S, K::S) {
    // SAFETY: each run `[s, s + len)` lies inside `[0, n)`.
    unsafe {
        if n <= K::CHUNK {
            return pair_run::<K, M>(a, b, n);
        }
        let (mut x, mut aa, mut bb) = (K::S::ZERO, K::S::ZERO, K::S::ZERO);
        let mut s = 0;
        while s < n {
            let len = K::CHUNK.min(n - s);
            let (x1, aa1, bb1) = pair_run::<K, M>(a.add(s), b.add(s), len);
            (x, aa, bb) = (x.plus(x1), aa.plus(aa1), bb.plus(bb1));
            s += len;
        }
        (x, aa, bb)
    }
}

/// Distance of metric `M` between `a` and `b` (`a.len() == b.len()`).
///
/// # Safety
/// CPU has the backend.
#[inline(always)]
pub(crate) unsafe fn pair_dist<K: Kern, const M: u8>(a: &[K::T], b: &[K::T]) -> f32 {
    let n = a.len().min(b.len());
    // SAFETY: both slices hold at least `n` elements.
    let (x, aa, bb) = unsafe { pair_sums::<K, M>(a.as_ptr(), b.as_ptr(), n) };
    finish::<K::S, M>(x, aa, bb)
}

/// One step of a `Q × R` tile at element `i`: a full `LANES` load if `FULL`, else the tail.
///
/// # Safety
/// Every pointer readable for `n` elements; `i + LANES <= n` if `FULL`, else `i < n`.
#[inline(always)]
unsafe fn tile_step<K: Kern, const M: u8, const Q: usize, const R: usize, const FULL: bool>(
    acc: &mut [[K::A; R]; Q],
    rr: &mut [K::A; R],
    q: &[*const K::T; Q],
    r: &[*const K::T; R],
    i: usize,
    n: usize,
) {
    // SAFETY: per the contract, the loads read elements `i..i + LANES` (FULL) or `i..n`.
    unsafe {
        let mut rv = [K::vzero(); R];
        for j in 0..R {
            rv[j] = if FULL {
                K::load(r[j].add(i))
            } else {
                K::load_part(r[j].add(i), n - i)
            };
            if M == COS {
                rr[j] = K::mul_acc(rr[j], rv[j], rv[j]);
            }
        }
        for k in 0..Q {
            let qv = if FULL {
                K::load(q[k].add(i))
            } else {
                K::load_part(q[k].add(i), n - i)
            };
            for j in 0..R {
                acc[k][j] = step::<K, M>(acc[k][j], qv, rv[j]);
            }
        }
    }
}

/// Raw sums of a `Q × R` register tile over `n ≤ K::CHUNK` elements: `x[k][j]` for query `k` and
/// row `j` (`a·b` or `Σ(a-b)²`), and `rr[j]` the squared norm of row `j` (cosine only).
///
/// # Safety
/// Every pointer readable for `n` elements; CPU has the backend.
#[inline(always)]
unsafe fn tile_run<K: Kern, const M: u8, const Q: usize, const R: usize>(
    q: [*const K::T; Q],
    r: [*const K::T; R],
    n: usize,
) -> ([[K::S; R]; Q], [K::S; R]) {
    // SAFETY: as in `pair_run`, every load covers elements inside `[0, n)` of its vector.
    unsafe {
        let mut acc = [[K::zero(); R]; Q];
        let mut rr = [K::zero(); R];
        let mut i = 0;
        while i + K::LANES <= n {
            tile_step::<K, M, Q, R, true>(&mut acc, &mut rr, &q, &r, i, n);
            i += K::LANES;
        }
        if i < n {
            tile_step::<K, M, Q, R, false>(&mut acc, &mut rr, &q, &r, i, n);
        }
        let mut x = [[K::S::ZERO; R]; Q];
        for k in 0..Q {
            for j in 0..R {
                x[k][j] = K::reduce(acc[k][j]);
            }
        }
        let mut norms = [K::S::ZERO; R];
        if M == COS {
            for j in 0..R {
                norms[j] = K::reduce(rr[j]);
            }
        }
        (x, norms)
    }
}

/// [`tile_run`] over any length, in runs of at most `K::CHUNK` elements.
///
/// # Safety
/// Every pointer readable for `n` elements; CPU has the backend.
#[inline(always)]
unsafe fn tile<K: Kern, const M: u8, const Q: usize, const R: usize>(
    q: [*const K::T; Q],
    r: [*const K::T; R],
    n: usize,
) -> ([[K::S; R]; Q], [K::S; R]) {
    // SAFETY: each run `[s, s + len)` lies inside `[0, n)` of every vector.
    unsafe {
        if n <= K::CHUNK {
            return tile_run::<K, M, Q, R>(q, r, n);
        }
        let mut x = [[K::S::ZERO; R]; Q];
        let mut norms = [K::S::ZERO; R];
        let mut s = 0;
        while s < n {
            let len = K::CHUNK.min(n - s);
            let mut qs = q;
            let mut rs = r;
            for p in qs.iter_mut() {
                *p = p.add(s);
            }
            for p in rs.iter_mut() {
                *p = p.add(s);
            }
            let (x1, n1) = tile_run::<K, M, Q, R>(qs, rs, len);
            for k in 0..Q {
                for j in 0..R {
                    x[k][j] = x[k][j].plus(x1[k][j]);
                }
            }
            for j in 0..R {
                norms[j] = norms[j].plus(n1[j]);
            }
            s += len;
        }
        (x, norms)
    }
}

/// Squared norm of `q` (for cosine), with the same lane layout as the tiles.
///
/// # Safety
/// `q` readable for `n` elements; CPU has the backend.
#[inline(always)]
unsafe fn norm<K: Kern>(q: *const K::T, n: usize) -> K::S {
    // SAFETY: forwarded.
    unsafe { pair_sums::<K, { super::DOT }>(q, q, n).0 }
}

/// Above this many bytes of rows, `batch_dist` scans row after row instead of in 1 × 4 tiles,
/// and `many_dist` prefetches each block of rows in address order before its tiles read it.
/// The tiles are ~1.4× faster on rows in cache (one query load serves four rows) but ~2× slower
/// on rows streamed from memory (four interleaved streams defeat the hardware prefetchers; row
/// after row runs at memory bandwidth). A call cannot know whether its rows are cached, so small
/// calls (likely cached, and cheap either way) take the tiles and big ones the streaming order.
const BATCH_TILE_MAX_BYTES: usize = 256 << 10;

/// One query against row-major rows: `out[i] = d(q, rows[i])`.
///
/// # Safety
/// CPU has the backend; `q.len() == dim > 0`, `rows.len() == out.len() * dim`.
#[inline(always)]
pub(crate) unsafe fn batch_dist<K: Kern, const M: u8>(q: &[K::T], rows: &[K::T], dim: usize, out: &mut [f32]) {
    debug_assert!(dim > 0 && q.len() == dim && rows.len() == out.len() * dim);
    let n = out.len();
    let qp = q.as_ptr();
    let rp = rows.as_ptr();
    // SAFETY: row `i < n` is `rows[i * dim..(i + 1) * dim]`, inside `rows`; `q` has `dim`
    // elements.
    unsafe {
        if std::mem::size_of_val(rows) > BATCH_TILE_MAX_BYTES {
            // Rows streamed from memory: one row after the other is the access pattern the
            // hardware prefetchers serve best (the tiles below read four rows in lockstep, which
            // halves the bandwidth from DRAM on current x86 cores).
            for (i, o) in out.iter_mut().enumerate() {
                let (x, aa, bb) = pair_sums::<K, M>(qp, rp.add(i * dim), dim);
                *o = finish::<K::S, M>(x, aa, bb);
            }
            return;
        }
        let qq = if M == COS { norm::<K>(qp, dim) } else { K::S::ZERO };
        let mut i = 0;
        while i + 4 <= n {
            let r = [
                rp.add(i * dim),
                rp.add((i + 1) * dim),
                rp.add((i + 2) * dim),
                rp.add((i + 3) * dim),
            ];
            let (x, rr) = tile::<K, M, 1, 4>([qp], r, dim);
            for j in 0..4 {
                out[i + j] = finish::<K::S, M>(x[0][j], qq, rr[j]);
            }
            i += 4;
        }
        while i < n {
            let (x, rr) = tile::<K, M, 1, 1>([qp], [rp.add(i * dim)], dim);
            out[i] = finish::<K::S, M>(x[0][0], qq, rr[0]);
            i += 1;
        }
    }
}

/// Bytes of rows kept hot per block in `many_dist` (fits the L2 cache of every target CPU).
const BLOCK_BYTES: usize = 128 * 1024;

/// Every query against every row: `out[qi * nrows + ri] = d(query qi, row ri)`.
///
/// # Safety
/// CPU has the backend; `dim > 0`, `queries.len()` and `rows.len()` multiples of `dim`,
/// `out.len() == nq * nrows`.
#[inline(always)]
pub(crate) unsafe fn many_dist<K: Kern, const M: u8>(queries: &[K::T], rows: &[K::T], dim: usize, out: &mut [f32]) {
    let nq = queries.len() / dim;
    let nr = rows.len() / dim;
    debug_assert!(out.len() == nq * nr);
    if nq < 4 {
        // Too few queries for the 4 × 2 tiles: the batch kernel per query.
        for (q, out) in queries.chunks_exact(dim).zip(out.chunks_exact_mut(nr.max(1))) {
            // SAFETY: `q` has `dim` elements and `rows.len() == out.len() * dim`.
            unsafe { batch_dist::<K, M>(q, rows, dim, out) };
        }
        return;
    }
    let qp = queries.as_ptr();
    let rp = rows.as_ptr();
    let block = (BLOCK_BYTES / (dim * std::mem::size_of::<K::T>())).max(4);
    // SAFETY: query `k < nq` and row `j < nr` are in bounds of `queries` and `rows` (as in
    // `batch_dist`); `out` is indexed with bounds checks.
    unsafe {
        let mut qnorms: Vec<K::S> = Vec::new();
        if M == COS {
            qnorms.reserve_exact(nq);
            for k in 0..nq {
                qnorms.push(norm::<K>(qp.add(k * dim), dim));
            }
        }
        let qn = |k: usize| if M == COS { qnorms[k] } else { K::S::ZERO };
        let streamed = std::mem::size_of_val(rows) > BATCH_TILE_MAX_BYTES;
        let mut r0 = 0;
        while r0 < nr {
            let r1 = (r0 + block).min(nr);
            if streamed {
                // Rows coming from memory: request the block's cache lines in address order
                // first (what the prefetchers serve best), so the tiles below, which read rows in
                // lockstep, find them in cache.
                let (start, end) = (rp.add(r0 * dim).cast::<u8>(), rp.add(r1 * dim).cast::<u8>());
                let mut line = start;
                while line < end {
                    K::prefetch(line.cast::<K::T>());
                    line = line.wrapping_add(64);
                }
            }
            let mut k = 0;
            while k + 4 <= nq {
                let q = [
                    qp.add(k * dim),
                    qp.add((k + 1) * dim),
                    qp.add((k + 2) * dim),
                    qp.add((k + 3) * dim),
                ];
                let mut j = r0;
                while j + 2 <= r1 {
                    let (x, rr) = tile::<K, M, 4, 2>(q, [rp.add(j * dim), rp.add((j + 1) * dim)], dim);
                    for a in 0..4 {
                        for b in 0..2 {
                            out[(k + a) * nr + j + b] = finish::<K::S, M>(x[a][b], qn(k + a), rr[b]);
                        }
                    }
                    j += 2;
                }
                if j < r1 {
                    let (x, rr) = tile::<K, M, 4, 1>(q, [rp.add(j * dim)], dim);
                    for a in 0..4 {
                        out[(k + a) * nr + j] = finish::<K::S, M>(x[a][0], qn(k + a), rr[0]);
                    }
                }
                k += 4;
            }
            while k < nq {
                let q = qp.add(k * dim);
                let mut j = r0;
                while j + 4 <= r1 {
                    let r = [
                        rp.add(j * dim),
                        rp.add((j + 1) * dim),
                        rp.add((j + 2) * dim),
                        rp.add((j + 3) * dim),
                    ];
                    let (x, rr) = tile::<K, M, 1, 4>([q], r, dim);
                    for b in 0..4 {
                        out[k * nr + j + b] = finish::<K::S, M>(x[0][b], qn(k), rr[b]);
                    }
                    j += 4;
                }
                while j < r1 {
                    let (x, rr) = tile::<K, M, 1, 1>([q], [rp.add(j * dim)], dim);
                    out[k * nr + j] = finish::<K::S, M>(x[0][0], qn(k), rr[0]);
                    j += 1;
                }
                k += 1;
            }
            r0 = r1;
        }
    }
}

/// Hamming distance (popcount of XOR) of one instruction set.
///
/// # Safety
/// `count` may only be called on a CPU with the backend, with `a` and `b` readable for `n`
/// bytes.
pub(crate) trait Popcount {
    unsafe fn count(a: *const u8, b: *const u8, n: usize) -> u64;
}

/// # Safety
/// CPU has the backend.
#[inline(always)]
pub(crate) unsafe fn hamming_pair<H: Popcount>(a: &[u8], b: &[u8]) -> u64 {
    // SAFETY: both slices hold at least `min(len)` bytes.
    unsafe { H::count(a.as_ptr(), b.as_ptr(), a.len().min(b.len())) }
}

/// # Safety
/// CPU has the backend; `q.len() == dim > 0`, `rows.len() == out.len() * dim`.
#[inline(always)]
pub(crate) unsafe fn hamming_batch<H: Popcount>(q: &[u8], rows: &[u8], dim: usize, out: &mut [u32]) {
    for (o, r) in out.iter_mut().zip(rows.chunks_exact(dim)) {
        // SAFETY: `q` and `r` both hold `dim` bytes.
        *o = unsafe { H::count(q.as_ptr(), r.as_ptr(), dim) } as u32;
    }
}

/// # Safety
/// CPU has the backend; shapes as in `many_dist`.
#[inline(always)]
pub(crate) unsafe fn hamming_many<H: Popcount>(queries: &[u8], rows: &[u8], dim: usize, out: &mut [u32]) {
    let nr = rows.len() / dim;
    let block = (BLOCK_BYTES / dim).max(1);
    let mut r0 = 0;
    while r0 < nr {
        let r1 = (r0 + block).min(nr);
        for (k, q) in queries.chunks_exact(dim).enumerate() {
            let out = &mut out[k * nr + r0..k * nr + r1];
            for (o, r) in out.iter_mut().zip(rows[r0 * dim..r1 * dim].chunks_exact(dim)) {
                // SAFETY: `q` and `r` both hold `dim` bytes.
                *o = unsafe { H::count(q.as_ptr(), r.as_ptr(), dim) } as u32;
            }
        }
        r0 = r1;
    }
}

/// The nine `f32`-returning kernels of one `Kern` (pair, batch and many for each metric) as
/// `#[target_feature(enable = $feat)]` entry points, in a [`super::Fns`].
macro_rules! kern_fns {
    ($feat:literal, $K:ty) => {{
        type T = <$K as super::simd::Kern>::T;

        #[target_feature(enable = $feat)]
        unsafe fn pair<const M: u8>(a: &[T], b: &[T]) -> f32 {
            // SAFETY: reachable only through a table handed out after detecting `$feat`.
            unsafe { super::simd::pair_dist::<$K, M>(a, b) }
        }

        #[target_feature(enable = $feat)]
        unsafe fn batch<const M: u8>(q: &[T], rows: &[T], dim: usize, out: &mut [f32]) {
            // SAFETY: detected `$feat`; shapes checked by the public wrapper.
            unsafe { super::simd::batch_dist::<$K, M>(q, rows, dim, out) }
        }

        #[target_feature(enable = $feat)]
        unsafe fn many<const M: u8>(q: &[T], rows: &[T], dim: usize, out: &mut [f32]) {
            // SAFETY: detected `$feat`; shapes checked by the public wrapper.
            unsafe { super::simd::many_dist::<$K, M>(q, rows, dim, out) }
        }

        use super::{COS, DOT, L2};
        super::Fns {
            pair: [pair::<DOT>, pair::<L2>, pair::<COS>],
            batch: [batch::<DOT>, batch::<L2>, batch::<COS>],
            many: [many::<DOT>, many::<L2>, many::<COS>],
        }
    }};
}
pub(crate) use kern_fns;

/// The Hamming kernels of one `Popcount` as `#[target_feature(enable = $feat)]` entry points.
macro_rules! hamming_fns {
    ($feat:literal, $H:ty) => {{
        #[target_feature(enable = $feat)]
        unsafe fn pair(a: &[u8], b: &[u8]) -> u64 {
            // SAFETY: reachable only through a table handed out after detecting `$feat`.
            unsafe { super::simd::hamming_pair::<$H>(a, b) }
        }

        #[target_feature(enable = $feat)]
        unsafe fn batch(q: &[u8], rows: &[u8], dim: usize, out: &mut [u32]) {
            // SAFETY: detected `$feat`; shapes checked by the public wrapper.
            unsafe { super::simd::hamming_batch::<$H>(q, rows, dim, out) }
        }

        #[target_feature(enable = $feat)]
        unsafe fn many(q: &[u8], rows: &[u8], dim: usize, out: &mut [u32]) {
            // SAFETY: detected `$feat`; shapes checked by the public wrapper.
            unsafe { super::simd::hamming_many::<$H>(q, rows, dim, out) }
        }

        super::HammingFns { pair, batch, many }
    }};
}
pub(crate) use hamming_fns;
