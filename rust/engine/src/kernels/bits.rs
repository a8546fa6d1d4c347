//! The RaBitQ inner-product kernel: a 1-bit code against a query quantized to 4 bits.
//!
//! A code is `words` `u64`s, bit `i` (word `i / 64`, bit `i % 64`) set where coordinate `i` of
//! the rotated vector is positive. The query's 4-bit values `qu_i ∈ [0, 15]` are given as four
//! bit planes of `words` words each (`planes[j * words ..][.. words]` holds bit `j` of every
//! `qu_i`). The kernel returns `S = Σ_i b_i qu_i = Σ_j 2^j popcount(code & plane_j)` and the
//! number of set bits of the code, packed as `S | ones << 32` (both are below 2³²: `S ≤ 15 D`):
//! everything the estimator needs from the code (see `index::hnsw::rabitq`).
//!
//! The gather form scores the codes of many nodes stored in one array of fixed-size records (a
//! node's record is `stride` words, its code first), the nodes named by a list of ids: one graph
//! expansion scores all its unvisited neighbours in one call, and the query's planes stay in
//! registers across them.
//!
//! Backends: the scalar reference (`u64::count_ones`, which on AArch64 compiles to NEON `cnt`,
//! so the NEON table uses it too); x86 `popcnt` (AVX2 and AVX-512 tables); AVX-512 VPOPCNTDQ
//! (one masked 512-bit load per code of up to 512 dimensions, all four planes in registers).

/// The kernels of one backend. Safety contract (checked by the public wrappers in `mod.rs`):
/// `pair`: `planes.len() == 4 * code.len()`; `gather`: `planes.len() == 4 * words` with
/// `words ≥ 1`, `stride ≥ words`, every `id * stride + words ≤ records.len()`,
/// `out.len() == ids.len()`; and the CPU has the table's features.
pub(crate) struct BitsFns {
    pub(crate) pair: unsafe fn(&[u64], &[u64]) -> u64,
    pub(crate) gather: unsafe fn(&[u64], &[u64], usize, &[u32], &mut [u64]),
}

#[inline(always)]
fn pair_portable(code: &[u64], planes: &[u64]) -> u64 {
    let w = code.len();
    let (mut s, mut ones) = (0u64, 0u64);
    for (i, &c) in code.iter().enumerate() {
        ones += c.count_ones() as u64;
        for j in 0..4 {
            s += ((c & planes[j * w + i]).count_ones() as u64) << j;
        }
    }
    s | ones << 32
}

#[inline(always)]
fn gather_portable(planes: &[u64], records: &[u64], stride: usize, ids: &[u32], out: &mut [u64]) {
    let w = planes.len() / 4;
    for (o, &id) in out.iter_mut().zip(ids) {
        let at = id as usize * stride;
        *o = pair_portable(&records[at..at + w], planes);
    }
}

fn pair_scalar(code: &[u64], planes: &[u64]) -> u64 {
    pair_portable(code, planes)
}

fn gather_scalar(planes: &[u64], records: &[u64], stride: usize, ids: &[u32], out: &mut [u64]) {
    gather_portable(planes, records, stride, ids, out)
}

/// The reference (and the NEON table's: `count_ones` is `cnt` there).
pub(crate) const SCALAR: BitsFns = BitsFns { pair: pair_scalar, gather: gather_scalar };

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    use super::BitsFns;

    #[target_feature(enable = "popcnt")]
    unsafe fn pair_popcnt(code: &[u64], planes: &[u64]) -> u64 {
        super::pair_portable(code, planes)
    }

    #[target_feature(enable = "popcnt")]
    unsafe fn gather_popcnt(planes: &[u64], records: &[u64], stride: usize, ids: &[u32], out: &mut [u64]) {
        super::gather_portable(planes, records, stride, ids, out)
    }

    /// `popcnt` on every x86-64 CPU with AVX2 (the AVX2 and AVX-512 F tables).
    pub(crate) const POPCNT: BitsFns = BitsFns { pair: pair_popcnt, gather: gather_popcnt };

    /// `S | ones << 32` for the code at `c` (`words` words) against planes starting at `p`.
    #[inline(always)]
    unsafe fn one_vpopcnt(c: *const u64, p: *const u64, words: usize) -> u64 {
        // SAFETY: AVX-512F/VPOPCNTDQ present (caller's target features); every load is masked to
        // the words that remain, so only `c[..words]` and `p[j * words..][..words]` are read.
        unsafe {
            let mut acc = _mm512_setzero_si512();
            let mut i = 0;
            while i < words {
                let n = (words - i).min(8);
                let m: __mmask8 = ((1u16 << n) - 1) as u8;
                let x = _mm512_maskz_loadu_epi64(m, c.add(i).cast());
                let ones = _mm512_slli_epi64::<32>(_mm512_popcnt_epi64(x));
                let mut s = ones;
                for j in 0..4 {
                    let pl = _mm512_maskz_loadu_epi64(m, p.add(j * words + i).cast());
                    let pc = _mm512_popcnt_epi64(_mm512_and_si512(x, pl));
                    s = _mm512_add_epi64(s, _mm512_sllv_epi64(pc, _mm512_set1_epi64(j as i64)));
                }
                acc = _mm512_add_epi64(acc, s);
                i += 8;
            }
            _mm512_reduce_add_epi64(acc) as u64
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vpopcntdq,popcnt")]
    unsafe fn pair_vpopcnt(code: &[u64], planes: &[u64]) -> u64 {
        // SAFETY: `planes.len() == 4 * code.len()` (contract), so both reads are in bounds.
        unsafe { one_vpopcnt(code.as_ptr(), planes.as_ptr(), code.len()) }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vpopcntdq,popcnt")]
    unsafe fn gather_vpopcnt(planes: &[u64], records: &[u64], stride: usize, ids: &[u32], out: &mut [u64]) {
        let words = planes.len() / 4;
        if words > 8 {
            for (o, &id) in out.iter_mut().zip(ids) {
                // SAFETY: `id * stride + words <= records.len()` (contract) and
                // `planes.len() == 4 * words`.
                *o = unsafe { one_vpopcnt(records.as_ptr().add(id as usize * stride), planes.as_ptr(), words) };
            }
            return;
        }
        // Codes of up to 512 dimensions: the planes are loaded once for all the ids.
        // SAFETY: AVX-512F/VPOPCNTDQ present; loads are masked to `words ≤ 8` words, inside the
        // planes (`4 * words` long) and inside each record (`id * stride + words ≤ len`).
        unsafe {
            let m: __mmask8 = ((1u16 << words) - 1) as u8;
            let p = planes.as_ptr();
            let pl = [
                _mm512_maskz_loadu_epi64(m, p.cast()),
                _mm512_maskz_loadu_epi64(m, p.add(words).cast()),
                _mm512_maskz_loadu_epi64(m, p.add(2 * words).cast()),
                _mm512_maskz_loadu_epi64(m, p.add(3 * words).cast()),
            ];
            for (o, &id) in out.iter_mut().zip(ids) {
                let x = _mm512_maskz_loadu_epi64(m, records.as_ptr().add(id as usize * stride).cast());
                let s0 = _mm512_popcnt_epi64(_mm512_and_si512(x, pl[0]));
                let s1 = _mm512_popcnt_epi64(_mm512_and_si512(x, pl[1]));
                let s2 = _mm512_popcnt_epi64(_mm512_and_si512(x, pl[2]));
                let s3 = _mm512_popcnt_epi64(_mm512_and_si512(x, pl[3]));
                let ones = _mm512_slli_epi64::<32>(_mm512_popcnt_epi64(x));
                let s = _mm512_add_epi64(
                    _mm512_add_epi64(s0, _mm512_slli_epi64::<1>(s1)),
                    _mm512_add_epi64(_mm512_slli_epi64::<2>(s2), _mm512_slli_epi64::<3>(s3)),
                );
                *o = _mm512_reduce_add_epi64(_mm512_add_epi64(s, ones)) as u64;
            }
        }
    }

    /// AVX-512 VPOPCNTDQ (the AVX-512 VNNI table, whose detection includes it).
    pub(crate) const VPOPCNT: BitsFns = BitsFns { pair: pair_vpopcnt, gather: gather_vpopcnt };
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{POPCNT, VPOPCNT};
