//! The multi-bit RaBitQ inner-product kernel: a `B`-bit code (`B` ∈ {2, 4, 8}) against a query
//! quantized to signed 8 bits.
//!
//! # Layout
//! A code of `D` coordinates is `⌈D / W⌉` blocks of 32 bytes, `W = 256 / B` coordinates per
//! block: coordinate `i = b·W + 32·k + j` (`j < 32`, `k < 8 / B`) is bits `B·k .. B·k + B` of
//! byte `j` of block `b` (bytes in memory order; codes live in `u64` records, so a record's code
//! is its first `4·⌈D / W⌉` words viewed as bytes). Coordinates past `D` hold code 0. With this
//! layout one 32-byte load, a shift and a mask give 32 consecutive coordinates' code values as
//! bytes, lined up with 32 consecutive query bytes: no nibble interleaving or permutes.
//!
//! The query is `⌈D / W⌉·W` `i8` values in coordinate order (zero past `D`). The kernel returns
//! `S = Σ_i c_i q_i` (`c_i ∈ [0, 2^B)`, `q_i ∈ [-127, 127]`) as an `i32`: exact, since
//! `255 · 127 · 65,536 < 2³¹` (the wrappers refuse longer queries).
//!
//! # Backends
//! - scalar: the reference (also the NEON table's: no NEON-specific kernel yet);
//! - AVX2 (the AVX2 and AVX-512 F tables): `vpmaddubsw` (u8 × i8 → i16 pairs) then `vpmaddwd`
//!   into `i32` lanes. A pair of products is at most `2 · 15 · 127`, so 2- and 4-bit values never
//!   saturate the `i16`; 8-bit codes are split into two nibbles (`c = 16·hi + lo`), each summed
//!   that way;
//! - AVX-512 VNNI: `vpdpbusd` (u8 × i8, four products summed into an `i32` lane, no
//!   saturation) on 256-bit vectors, the 8-bit code used whole.
//!
//! The gather form scores the codes of many nodes named by ids in one array of fixed-size
//! records (`stride` words each, the code first), as [`super::bits`] does for 1-bit codes.

/// `gather(query, records, stride, ids, out)`. Safety contract (checked by the public wrappers
/// in `mod.rs`): `query.len()` is a non-zero multiple of `W = 256 / B` and at most 65,536; the
/// code is `words = 4 · query.len() / W` words; `stride ≥ words`; every
/// `id * stride + words ≤ records.len()`; `out.len() == ids.len()`; the CPU has the table's
/// features.
pub(crate) type ExGather = unsafe fn(&[i8], &[u64], usize, &[u32], &mut [i32]);

/// The kernels of one backend, for `B` = 2, 4 and 8 (in that order).
pub(crate) struct ExBitsFns {
    pub(crate) gather: [ExGather; 3],
}

/// The index of `bits` in [`ExBitsFns::gather`].
pub(crate) fn slot(bits: u32) -> Option<usize> {
    match bits {
        2 => Some(0),
        4 => Some(1),
        8 => Some(2),
        _ => None,
    }
}

/// Coordinates per 32-byte block of a `bits`-bit code.
pub(crate) const fn block_dims(bits: u32) -> usize {
    256 / bits as usize
}

/// `S` for one code: `code` is `blocks · 4` words, `q` is `blocks · W` values.
#[inline(always)]
fn one_portable<const B: u32>(q: &[i8], code: &[u64]) -> i32 {
    let w = block_dims(B);
    let mask = ((1u32 << B) - 1) as u8;
    let mut s = 0i32;
    for (words, qb) in code.chunks_exact(4).zip(q.chunks_exact(w)) {
        let mut blk = [0u8; 32];
        for (d, word) in blk.chunks_exact_mut(8).zip(words) {
            d.copy_from_slice(&word.to_ne_bytes());
        }
        for (k, qk) in qb.chunks_exact(32).enumerate() {
            let shift = B * k as u32;
            for (&c, &x) in blk.iter().zip(qk) {
                s += ((c >> shift) & mask) as i32 * x as i32;
            }
        }
    }
    s
}

#[inline(always)]
fn gather_portable<const B: u32>(q: &[i8], records: &[u64], stride: usize, ids: &[u32], out: &mut [i32]) {
    let words = 4 * q.len() / block_dims(B);
    for (o, &id) in out.iter_mut().zip(ids) {
        let at = id as usize * stride;
        *o = one_portable::<B>(q, &records[at..at + words]);
    }
}

fn gather_scalar<const B: u32>(q: &[i8], records: &[u64], stride: usize, ids: &[u32], out: &mut [i32]) {
    gather_portable::<B>(q, records, stride, ids, out)
}

/// The reference (and the NEON table's).
pub(crate) const SCALAR: ExBitsFns = ExBitsFns { gather: [gather_scalar::<2>, gather_scalar::<4>, gather_scalar::<8>] };

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    use super::{block_dims, ExBitsFns};

    /// The sum of the eight `i32` lanes.
    #[inline(always)]
    unsafe fn hsum(v: __m256i) -> i32 {
        // SAFETY: AVX2 present (callers' target features); register-only operations.
        unsafe {
            let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
            _mm_cvtsi128_si32(s)
        }
    }

    /// `S` for the code at `c` (`blocks` blocks) and the query at `q`, with `vpmaddubsw`.
    #[inline(always)]
    unsafe fn one_avx2<const B: u32>(q: *const i8, c: *const u8, blocks: usize) -> i32 {
        let w = block_dims(B);
        // SAFETY: AVX2 present; the code is `blocks · 32` bytes from `c` and the query
        // `blocks · W` bytes from `q` (the contract), and every load below stays inside them.
        unsafe {
            let ones = _mm256_set1_epi16(1);
            let mut acc = _mm256_setzero_si256();
            if B == 8 {
                let m4 = _mm256_set1_epi8(0x0F);
                let mut acc_hi = _mm256_setzero_si256();
                for b in 0..blocks {
                    let x = _mm256_loadu_si256(c.add(32 * b).cast());
                    let qv = _mm256_loadu_si256(q.add(32 * b).cast());
                    let lo = _mm256_and_si256(x, m4);
                    let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(x), m4);
                    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, qv), ones));
                    acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, qv), ones));
                }
                // Σ hi·q is at most 15·127·65,536 in magnitude: ×16 stays inside `i32`.
                acc = _mm256_add_epi32(acc, _mm256_slli_epi32::<4>(acc_hi));
            } else {
                let mask = _mm256_set1_epi8(((1u32 << B) - 1) as i8);
                for b in 0..blocks {
                    let x = _mm256_loadu_si256(c.add(32 * b).cast());
                    for k in 0..(8 / B) as usize {
                        // A 16-bit shift moves the next byte's low bits into this byte's top;
                        // the mask keeps only bits `B·k .. B·k + B` of each byte.
                        let sub = _mm256_and_si256(_mm256_srl_epi16(x, _mm_cvtsi32_si128((B as usize * k) as i32)), mask);
                        let qv = _mm256_loadu_si256(q.add(b * w + 32 * k).cast());
                        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(sub, qv), ones));
                    }
                }
            }
            hsum(acc)
        }
    }

    /// `S` with `vpdpbusd` (256-bit).
    #[inline(always)]
    unsafe fn one_vnni<const B: u32>(q: *const i8, c: *const u8, blocks: usize) -> i32 {
        let w = block_dims(B);
        // SAFETY: AVX-512 VNNI/VL present; loads as in `one_avx2`.
        unsafe {
            let mut acc = _mm256_setzero_si256();
            if B == 8 {
                // Two accumulators: `vpdpbusd` has a latency of several cycles.
                let mut acc2 = _mm256_setzero_si256();
                let mut b = 0;
                while b + 2 <= blocks {
                    let x0 = _mm256_loadu_si256(c.add(32 * b).cast());
                    let x1 = _mm256_loadu_si256(c.add(32 * b + 32).cast());
                    acc = _mm256_dpbusd_epi32(acc, x0, _mm256_loadu_si256(q.add(32 * b).cast()));
                    acc2 = _mm256_dpbusd_epi32(acc2, x1, _mm256_loadu_si256(q.add(32 * b + 32).cast()));
                    b += 2;
                }
                if b < blocks {
                    let x = _mm256_loadu_si256(c.add(32 * b).cast());
                    acc = _mm256_dpbusd_epi32(acc, x, _mm256_loadu_si256(q.add(32 * b).cast()));
                }
                acc = _mm256_add_epi32(acc, acc2);
            } else {
                let mask = _mm256_set1_epi8(((1u32 << B) - 1) as i8);
                for b in 0..blocks {
                    let x = _mm256_loadu_si256(c.add(32 * b).cast());
                    for k in 0..(8 / B) as usize {
                        let sub = _mm256_and_si256(_mm256_srl_epi16(x, _mm_cvtsi32_si128((B as usize * k) as i32)), mask);
                        let qv = _mm256_loadu_si256(q.add(b * w + 32 * k).cast());
                        acc = _mm256_dpbusd_epi32(acc, sub, qv);
                    }
                }
            }
            hsum(acc)
        }
    }

    macro_rules! gather_fn {
        ($name:ident, $one:ident, $features:literal) => {
            #[target_feature(enable = $features)]
            unsafe fn $name<const B: u32>(q: &[i8], records: &[u64], stride: usize, ids: &[u32], out: &mut [i32]) {
                let blocks = q.len() / block_dims(B);
                for (o, &id) in out.iter_mut().zip(ids) {
                    // SAFETY: `id * stride + 4 · blocks ≤ records.len()` and
                    // `q.len() == blocks · W` (the contract); the features are enabled here.
                    *o = unsafe { $one::<B>(q.as_ptr(), records.as_ptr().add(id as usize * stride).cast(), blocks) };
                }
            }
        };
    }

    gather_fn!(gather_avx2, one_avx2, "avx2,fma,f16c,popcnt");
    gather_fn!(gather_vnni, one_vnni, "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c,popcnt");

    /// The AVX2 and AVX-512 F tables.
    pub(crate) const AVX2: ExBitsFns = ExBitsFns { gather: [gather_avx2::<2>, gather_avx2::<4>, gather_avx2::<8>] };
    /// The AVX-512 VNNI table.
    pub(crate) const VNNI: ExBitsFns = ExBitsFns { gather: [gather_vnni::<2>, gather_vnni::<4>, gather_vnni::<8>] };
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{AVX2, VNNI};
