//! The portable kernels: plain Rust, no `unsafe`, the reference every SIMD backend is tested
//! against, and the fallback on CPUs without a SIMD backend.
//!
//! Floats are accumulated in `f32` over eight interleaved partial sums (lane `i % 8`), which is
//! simple, lets the compiler vectorize, and is the same summation shape as the 8-lane SIMD code.
//! Products and sums are rounded separately (no `mul_add`: without hardware FMA it is a slow
//! library call).
//! `f16` is widened to `f32` first, so `f16` results equal the `f32` results on the widened
//! values exactly. `i8` is accumulated in `i64`: exact.

use super::{f16_to_f32, Fns, HammingFns, Table, COS, DOT, L2};

pub(super) static TABLE: Table = Table {
    backend: super::Backend::Scalar,
    f32: Fns {
        pair: [pair_f32::<DOT>, pair_f32::<L2>, pair_f32::<COS>],
        batch: [batch_f32::<DOT>, batch_f32::<L2>, batch_f32::<COS>],
        many: [many_f32::<DOT>, many_f32::<L2>, many_f32::<COS>],
    },
    f16: Fns {
        pair: [pair_f16::<DOT>, pair_f16::<L2>, pair_f16::<COS>],
        batch: [batch_f16::<DOT>, batch_f16::<L2>, batch_f16::<COS>],
        many: [many_f16::<DOT>, many_f16::<L2>, many_f16::<COS>],
    },
    i8: Fns {
        pair: [pair_i8::<DOT>, pair_i8::<L2>, pair_i8::<COS>],
        batch: [batch_i8::<DOT>, batch_i8::<L2>, batch_i8::<COS>],
        many: [many_i8::<DOT>, many_i8::<L2>, many_i8::<COS>],
    },
    hamming: HammingFns {
        pair: hamming,
        batch: hamming_batch,
        many: hamming_many,
    },
    bits: super::bits::SCALAR,
    ex: super::exbits::SCALAR,
};

const W: usize = 8;

/// `(Σ a·b or Σ (a-b)², Σ a², Σ b²)` over the `f32` values `conv` gives for the elements of `a`
/// and `b` (equal lengths); the norms only for cosine. Element `i` goes to partial sum `i % 8`.
#[inline(always)]
fn sums_f32<T: Copy, const M: u8>(a: &[T], b: &[T], conv: impl Fn(T) -> f32) -> (f32, f32, f32) {
    let mut x = [0f32; W];
    let mut aa = [0f32; W];
    let mut bb = [0f32; W];
    let mut step = |l: usize, a: f32, b: f32| {
        if M == L2 {
            let d = a - b;
            x[l] += d * d;
        } else {
            x[l] += a * b;
            if M == COS {
                aa[l] += a * a;
                bb[l] += b * b;
            }
        }
    };
    let (ca, cb) = (a.chunks_exact(W), b.chunks_exact(W));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (pa, pb) in ca.zip(cb) {
        for l in 0..W {
            step(l, conv(pa[l]), conv(pb[l]));
        }
    }
    for (l, (&a, &b)) in ra.iter().zip(rb).enumerate() {
        step(l, conv(a), conv(b));
    }
    (hsum(&x), hsum(&aa), hsum(&bb))
}

#[inline(always)]
fn hsum(v: &[f32; W]) -> f32 {
    ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]))
}

#[inline(always)]
fn finish_f32<const M: u8>((x, aa, bb): (f32, f32, f32)) -> f32 {
    super::finish::<f32, M>(x, aa, bb)
}

fn pair_f32<const M: u8>(a: &[f32], b: &[f32]) -> f32 {
    finish_f32::<M>(sums_f32::<f32, M>(a, b, |x| x))
}

fn pair_f16<const M: u8>(a: &[u16], b: &[u16]) -> f32 {
    finish_f32::<M>(sums_f32::<u16, M>(a, b, f16_to_f32))
}

fn pair_i8<const M: u8>(a: &[i8], b: &[i8]) -> f32 {
    let (mut x, mut aa, mut bb) = (0i64, 0i64, 0i64);
    for (&a, &b) in a.iter().zip(b) {
        let (a, b) = (a as i64, b as i64);
        if M == L2 {
            x += (a - b) * (a - b);
        } else {
            x += a * b;
            if M == COS {
                aa += a * a;
                bb += b * b;
            }
        }
    }
    super::finish::<i64, M>(x, aa, bb)
}

// Batch and many: the pair kernel on every (query, row), which is what they must equal.

fn rows<T: Copy>(queries: &[T], rows: &[T], dim: usize, out: &mut [f32], pair: impl Fn(&[T], &[T]) -> f32) {
    let nrows = rows.len() / dim;
    for (qi, q) in queries.chunks_exact(dim).enumerate() {
        let out = &mut out[qi * nrows..(qi + 1) * nrows];
        for (o, r) in out.iter_mut().zip(rows.chunks_exact(dim)) {
            *o = pair(q, r);
        }
    }
}

fn batch_f32<const M: u8>(q: &[f32], r: &[f32], dim: usize, out: &mut [f32]) {
    rows(q, r, dim, out, pair_f32::<M>)
}
fn many_f32<const M: u8>(q: &[f32], r: &[f32], dim: usize, out: &mut [f32]) {
    rows(q, r, dim, out, pair_f32::<M>)
}
fn batch_f16<const M: u8>(q: &[u16], r: &[u16], dim: usize, out: &mut [f32]) {
    rows(q, r, dim, out, pair_f16::<M>)
}
fn many_f16<const M: u8>(q: &[u16], r: &[u16], dim: usize, out: &mut [f32]) {
    rows(q, r, dim, out, pair_f16::<M>)
}
fn batch_i8<const M: u8>(q: &[i8], r: &[i8], dim: usize, out: &mut [f32]) {
    rows(q, r, dim, out, pair_i8::<M>)
}
fn many_i8<const M: u8>(q: &[i8], r: &[i8], dim: usize, out: &mut [f32]) {
    rows(q, r, dim, out, pair_i8::<M>)
}

pub(super) fn hamming(a: &[u8], b: &[u8]) -> u64 {
    let mut bits = 0u64;
    let (a8, at) = a.split_at(a.len() / 8 * 8);
    let (b8, bt) = b.split_at(a8.len().min(b.len()));
    for (x, y) in a8.chunks_exact(8).zip(b8.chunks_exact(8)) {
        let x = u64::from_le_bytes(x.try_into().expect("8 bytes"));
        let y = u64::from_le_bytes(y.try_into().expect("8 bytes"));
        bits += (x ^ y).count_ones() as u64;
    }
    for (x, y) in at.iter().zip(bt) {
        bits += (x ^ y).count_ones() as u64;
    }
    bits
}

fn hamming_rows(queries: &[u8], rows: &[u8], dim: usize, out: &mut [u32]) {
    let nrows = rows.len() / dim;
    for (qi, q) in queries.chunks_exact(dim).enumerate() {
        let out = &mut out[qi * nrows..(qi + 1) * nrows];
        for (o, r) in out.iter_mut().zip(rows.chunks_exact(dim)) {
            *o = hamming(q, r) as u32;
        }
    }
}

fn hamming_batch(q: &[u8], r: &[u8], dim: usize, out: &mut [u32]) {
    hamming_rows(q, r, dim, out)
}

fn hamming_many(q: &[u8], r: &[u8], dim: usize, out: &mut [u32]) {
    hamming_rows(q, r, dim, out)
}
