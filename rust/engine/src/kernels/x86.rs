//! x86-64 backends: AVX2 + FMA + F16C, AVX-512 F/BW/VL/DQ, and AVX-512 with VNNI (`i8`) and
//! VPOPCNTDQ (Hamming).
//!
//! Each `Kern` below is a handful of intrinsics; the loops are in `simd.rs`. Every method is
//! `unsafe` with the contract of `Kern` (CPU has the features; pointers readable for the stated
//! number of elements), and is only ever inlined into a `#[target_feature]` entry point generated
//! with the backend's feature string.
//!
//! Tails: AVX2 uses `vmaskmovps` for `f32` and a zero-padded stack copy for `f16` and `i8` (there
//! is no 16- or 8-bit masked load before AVX-512); AVX-512 uses masked loads, which never touch
//! the masked-off elements.

use core::arch::x86_64::*;

use super::simd::{hamming_fns, kern_fns, Kern, Popcount};
use super::{Backend, Fns, Table};

// ---------------------------------------------------------------------------------------------
// Detection and tables.

pub(super) fn has_avx2() -> bool {
    is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && is_x86_feature_detected!("f16c")
        && is_x86_feature_detected!("popcnt")
}

pub(super) fn has_avx512() -> bool {
    has_avx2()
        && is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx512dq")
}

pub(super) fn has_avx512_vnni() -> bool {
    has_avx512() && is_x86_feature_detected!("avx512vnni") && is_x86_feature_detected!("avx512vpopcntdq")
}

pub(super) static AVX2: Table = Table {
    backend: Backend::Avx2,
    f32: kern_fns!("avx2,fma,f16c,popcnt", Avx2F32),
    f16: kern_fns!("avx2,fma,f16c,popcnt", Avx2F16),
    i8: kern_fns!("avx2,fma,f16c,popcnt", Avx2I8),
    hamming: hamming_fns!("avx2,fma,f16c,popcnt", Avx2Popcount),
    bits: super::bits::POPCNT,
    ex: super::exbits::AVX2,
};

const AVX512_F32: Fns<f32> = kern_fns!("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,popcnt", Avx512F32);
const AVX512_F16: Fns<u16> = kern_fns!("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,popcnt", Avx512F16);

pub(super) static AVX512: Table = Table {
    backend: Backend::Avx512,
    f32: AVX512_F32,
    f16: AVX512_F16,
    i8: kern_fns!("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,popcnt", Avx512I8),
    hamming: hamming_fns!(
        "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,popcnt",
        Avx512Popcount
    ),
    bits: super::bits::POPCNT,
    ex: super::exbits::AVX2,
};

pub(super) static AVX512_VNNI: Table = Table {
    backend: Backend::Avx512Vnni,
    f32: AVX512_F32,
    f16: AVX512_F16,
    i8: kern_fns!(
        "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vpopcntdq,avx2,fma,f16c,popcnt",
        Avx512VnniI8
    ),
    hamming: hamming_fns!(
        "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vpopcntdq,avx2,fma,f16c,popcnt",
        Avx512VpopcntPopcount
    ),
    bits: super::bits::VPOPCNT,
    ex: super::exbits::VNNI,
};

// ---------------------------------------------------------------------------------------------
// AVX2.

/// Horizontal sum of 8 `f32` lanes.
#[inline(always)]
unsafe fn hsum256_ps(v: __m256) -> f32 {
    // SAFETY: AVX present (Kern contract); register-only operations.
    unsafe {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_movehdup_ps(s));
        _mm_cvtss_f32(s)
    }
}

/// Horizontal sum of 8 `i32` lanes, in `i64`.
#[inline(always)]
unsafe fn hsum256_epi32(v: __m256i) -> i64 {
    // SAFETY: AVX2 present (Kern contract); register-only operations.
    unsafe {
        let lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(v));
        let hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256::<1>(v));
        let s = _mm256_add_epi64(lo, hi);
        let s = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256::<1>(s));
        _mm_cvtsi128_si64(s) + _mm_extract_epi64::<1>(s)
    }
}

/// Copies `bytes < 16` bytes from `src` to `dst` with at most four unaligned moves (8, 4, 2, 1
/// bytes), inline: a `memcpy` call for a vector tail would cost more than the tail.
///
/// # Safety
/// `src` readable and `dst` writable for `bytes` bytes, not overlapping.
#[inline(always)]
unsafe fn copy_tail(src: *const u8, dst: *mut u8, bytes: usize) {
    debug_assert!(bytes < 16);
    // SAFETY: the moves cover disjoint pieces of `[0, bytes)`, each inside both buffers.
    unsafe {
        let mut o = 0;
        if bytes & 8 != 0 {
            dst.cast::<u64>().write_unaligned(src.cast::<u64>().read_unaligned());
            o = 8;
        }
        if bytes & 4 != 0 {
            dst.add(o)
                .cast::<u32>()
                .write_unaligned(src.add(o).cast::<u32>().read_unaligned());
            o += 4;
        }
        if bytes & 2 != 0 {
            dst.add(o)
                .cast::<u16>()
                .write_unaligned(src.add(o).cast::<u16>().read_unaligned());
            o += 2;
        }
        if bytes & 1 != 0 {
            *dst.add(o) = *src.add(o);
        }
    }
}

/// The `f32`-lane arithmetic shared by the AVX2 `f32` and `f16` kernels.
macro_rules! avx2_float_ops {
    () => {
        type V = __m256;
        type A = __m256;
        type S = f32;
        const LANES: usize = 8;
        const CHUNK: usize = usize::MAX;

        #[inline(always)]
        unsafe fn zero() -> __m256 {
            // SAFETY: AVX present (Kern contract).
            unsafe { _mm256_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn vzero() -> __m256 {
            // SAFETY: AVX present (Kern contract).
            unsafe { _mm256_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn mul_acc(acc: __m256, a: __m256, b: __m256) -> __m256 {
            // SAFETY: FMA present (Kern contract).
            unsafe { _mm256_fmadd_ps(a, b, acc) }
        }
        #[inline(always)]
        unsafe fn sqdiff_acc(acc: __m256, a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX and FMA present (Kern contract).
            unsafe {
                let d = _mm256_sub_ps(a, b);
                _mm256_fmadd_ps(d, d, acc)
            }
        }
        #[inline(always)]
        unsafe fn add(a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX present (Kern contract).
            unsafe { _mm256_add_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn reduce(a: __m256) -> f32 {
            // SAFETY: AVX present (Kern contract).
            unsafe { hsum256_ps(a) }
        }
        #[inline(always)]
        unsafe fn prefetch(p: *const Self::T) {
            // SAFETY: SSE is baseline on x86-64; a prefetch never faults nor dereferences `p`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) }
        }
    };
}

pub(super) struct Avx2F32;

impl Kern for Avx2F32 {
    type T = f32;
    avx2_float_ops!();

    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m256 {
        // SAFETY: AVX present; `p` readable for 8 `f32` (Kern contract); unaligned load.
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, n: usize) -> __m256 {
        // SAFETY: AVX2 present; the mask enables lanes `0..n` only, and `vmaskmovps` does not
        // access masked-off elements, so only the `n` readable `f32` at `p` are read.
        unsafe {
            let mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            _mm256_maskload_ps(p, mask)
        }
    }
}

pub(super) struct Avx2F16;

impl Kern for Avx2F16 {
    type T = u16;
    avx2_float_ops!();

    #[inline(always)]
    unsafe fn load(p: *const u16) -> __m256 {
        // SAFETY: AVX and F16C present; `p` readable for 8 `u16` = 16 bytes (Kern contract).
        unsafe { _mm256_cvtph_ps(_mm_loadu_si128(p.cast::<__m128i>())) }
    }
    #[inline(always)]
    unsafe fn load_part(p: *const u16, n: usize) -> __m256 {
        let mut buf = [0u16; 8];
        // SAFETY: `p` readable for `n < 8` elements (Kern contract), `buf` has room for 8, and
        // they do not overlap; F16C present.
        unsafe {
            copy_tail(p.cast::<u8>(), buf.as_mut_ptr().cast::<u8>(), 2 * n);
            _mm256_cvtph_ps(_mm_loadu_si128(buf.as_ptr().cast::<__m128i>()))
        }
    }
}

/// `i8` on AVX2: 16 bytes sign-extended to 16 `i16`, multiplied and pairwise added into 8 `i32`
/// lanes (`vpmaddwd`; exact: |product| ≤ 2¹⁴, |(a-b)²| ≤ 65025).
pub(super) struct Avx2I8;

impl Kern for Avx2I8 {
    type T = i8;
    type V = __m256i;
    type A = __m256i;
    type S = i64;
    const LANES: usize = 16;
    // Each step adds at most 2 × 65025 to a lane; 16384 steps stay below 2³¹.
    const CHUNK: usize = 16384 * 16;

    #[inline(always)]
    unsafe fn zero() -> __m256i {
        // SAFETY: AVX present (Kern contract).
        unsafe { _mm256_setzero_si256() }
    }
    #[inline(always)]
    unsafe fn vzero() -> __m256i {
        // SAFETY: AVX present (Kern contract).
        unsafe { _mm256_setzero_si256() }
    }
    #[inline(always)]
    unsafe fn load(p: *const i8) -> __m256i {
        // SAFETY: AVX2 present; `p` readable for 16 bytes (Kern contract).
        unsafe { _mm256_cvtepi8_epi16(_mm_loadu_si128(p.cast::<__m128i>())) }
    }
    #[inline(always)]
    unsafe fn load_part(p: *const i8, n: usize) -> __m256i {
        let mut buf = [0i8; 16];
        // SAFETY: `p` readable for `n < 16` bytes (Kern contract), `buf` has room for 16, no
        // overlap; AVX2 present.
        unsafe {
            copy_tail(p.cast::<u8>(), buf.as_mut_ptr().cast::<u8>(), n);
            _mm256_cvtepi8_epi16(_mm_loadu_si128(buf.as_ptr().cast::<__m128i>()))
        }
    }
    #[inline(always)]
    unsafe fn mul_acc(acc: __m256i, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (Kern contract).
        unsafe { _mm256_add_epi32(acc, _mm256_madd_epi16(a, b)) }
    }
    #[inline(always)]
    unsafe fn sqdiff_acc(acc: __m256i, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (Kern contract). `a - b` fits i16 (|a - b| ≤ 255).
        unsafe {
            let d = _mm256_sub_epi16(a, b);
            _mm256_add_epi32(acc, _mm256_madd_epi16(d, d))
        }
    }
    #[inline(always)]
    unsafe fn add(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (Kern contract).
        unsafe { _mm256_add_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn reduce(a: __m256i) -> i64 {
        // SAFETY: AVX2 present (Kern contract).
        unsafe { hsum256_epi32(a) }
    }
    #[inline(always)]
    unsafe fn prefetch(p: *const Self::T) {
        // SAFETY: SSE is baseline on x86-64; a prefetch never faults nor dereferences `p`.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) }
    }
}

/// Hamming on AVX2: per-nibble popcount with a `vpshufb` table, bytes summed with `vpsadbw`.
pub(super) struct Avx2Popcount;

impl Popcount for Avx2Popcount {
    #[inline(always)]
    unsafe fn count(a: *const u8, b: *const u8, n: usize) -> u64 {
        // SAFETY: AVX2 present (Popcount contract); the vector loads read bytes `i..i + 32` with
        // `i + 32 <= n`, and the tail is read through slices of the remaining `n - i` bytes.
        unsafe {
            let lut = _mm256_setr_epi8(
                0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, //
                0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            );
            let low = _mm256_set1_epi8(0x0f);
            let mut acc = _mm256_setzero_si256();
            let mut i = 0;
            while i + 32 <= n {
                let x = _mm256_xor_si256(
                    _mm256_loadu_si256(a.add(i).cast::<__m256i>()),
                    _mm256_loadu_si256(b.add(i).cast::<__m256i>()),
                );
                let lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(x, low));
                let hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16::<4>(x), low));
                acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_add_epi8(lo, hi), _mm256_setzero_si256()));
                i += 32;
            }
            let s = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256::<1>(acc));
            let vec = (_mm_cvtsi128_si64(s) + _mm_extract_epi64::<1>(s)) as u64;
            let tail_a = core::slice::from_raw_parts(a.add(i), n - i);
            let tail_b = core::slice::from_raw_parts(b.add(i), n - i);
            vec + super::scalar::hamming(tail_a, tail_b)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// AVX-512.

/// Mask of the low `n < 64` bits.
#[inline(always)]
fn low_mask(n: usize) -> u64 {
    (1u64 << n) - 1
}

/// The `f32`-lane arithmetic shared by the AVX-512 `f32` and `f16` kernels.
macro_rules! avx512_float_ops {
    () => {
        type V = __m512;
        type A = __m512;
        type S = f32;
        const LANES: usize = 16;
        const CHUNK: usize = usize::MAX;

        #[inline(always)]
        unsafe fn zero() -> __m512 {
            // SAFETY: AVX-512F present (Kern contract).
            unsafe { _mm512_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn vzero() -> __m512 {
            // SAFETY: AVX-512F present (Kern contract).
            unsafe { _mm512_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn mul_acc(acc: __m512, a: __m512, b: __m512) -> __m512 {
            // SAFETY: AVX-512F present (Kern contract).
            unsafe { _mm512_fmadd_ps(a, b, acc) }
        }
        #[inline(always)]
        unsafe fn sqdiff_acc(acc: __m512, a: __m512, b: __m512) -> __m512 {
            // SAFETY: AVX-512F present (Kern contract).
            unsafe {
                let d = _mm512_sub_ps(a, b);
                _mm512_fmadd_ps(d, d, acc)
            }
        }
        #[inline(always)]
        unsafe fn add(a: __m512, b: __m512) -> __m512 {
            // SAFETY: AVX-512F present (Kern contract).
            unsafe { _mm512_add_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn reduce(a: __m512) -> f32 {
            // SAFETY: AVX-512F present (Kern contract).
            unsafe { _mm512_reduce_add_ps(a) }
        }
        #[inline(always)]
        unsafe fn prefetch(p: *const Self::T) {
            // SAFETY: SSE is baseline on x86-64; a prefetch never faults nor dereferences `p`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) }
        }
    };
}

pub(super) struct Avx512F32;

impl Kern for Avx512F32 {
    type T = f32;
    avx512_float_ops!();

    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m512 {
        // SAFETY: AVX-512F present; `p` readable for 16 `f32` (Kern contract).
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, n: usize) -> __m512 {
        // SAFETY: AVX-512F present; the masked load reads only lanes `0..n`, which are readable
        // (Kern contract), and zeroes the others without touching their memory.
        unsafe { _mm512_maskz_loadu_ps(low_mask(n) as __mmask16, p) }
    }
}

pub(super) struct Avx512F16;

impl Kern for Avx512F16 {
    type T = u16;
    avx512_float_ops!();

    #[inline(always)]
    unsafe fn load(p: *const u16) -> __m512 {
        // SAFETY: AVX-512F present; `p` readable for 16 `u16` = 32 bytes (Kern contract).
        unsafe { _mm512_cvt_roundph_ps::<_MM_FROUND_CUR_DIRECTION>(_mm256_loadu_si256(p.cast::<__m256i>())) }
    }
    #[inline(always)]
    unsafe fn load_part(p: *const u16, n: usize) -> __m512 {
        // SAFETY: AVX-512F/BW/VL present; the masked load reads only the `n` readable elements.
        unsafe {
            _mm512_cvt_roundph_ps::<_MM_FROUND_CUR_DIRECTION>(_mm256_maskz_loadu_epi16(
                low_mask(n) as __mmask16,
                p.cast::<i16>(),
            ))
        }
    }
}

/// The `i8` kernels on AVX-512: 32 bytes sign-extended to 32 `i16`, then `$madd` into 16 `i32`
/// lanes (`vpmaddwd` + `vpaddd` on BW, one `vpdpwssd` with VNNI).
macro_rules! avx512_i8 {
    ($name:ident, $what:literal, |$acc:ident, $a:ident, $b:ident| $madd:expr) => {
        #[doc = $what]
        pub(super) struct $name;

        impl Kern for $name {
            type T = i8;
            type V = __m512i;
            type A = __m512i;
            type S = i64;
            const LANES: usize = 32;
            // Each step adds at most 2 × 65025 to a lane; 16384 steps stay below 2³¹.
            const CHUNK: usize = 16384 * 32;

            #[inline(always)]
            unsafe fn zero() -> __m512i {
                // SAFETY: AVX-512F present (Kern contract).
                unsafe { _mm512_setzero_si512() }
            }
            #[inline(always)]
            unsafe fn vzero() -> __m512i {
                // SAFETY: AVX-512F present (Kern contract).
                unsafe { _mm512_setzero_si512() }
            }
            #[inline(always)]
            unsafe fn load(p: *const i8) -> __m512i {
                // SAFETY: AVX-512BW present; `p` readable for 32 bytes (Kern contract).
                unsafe { _mm512_cvtepi8_epi16(_mm256_loadu_si256(p.cast::<__m256i>())) }
            }
            #[inline(always)]
            unsafe fn load_part(p: *const i8, n: usize) -> __m512i {
                // SAFETY: AVX-512BW/VL present; the masked load reads only the `n` readable bytes.
                unsafe { _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(low_mask(n) as __mmask32, p)) }
            }
            #[inline(always)]
            unsafe fn mul_acc($acc: __m512i, $a: __m512i, $b: __m512i) -> __m512i {
                // SAFETY: the backend's features are present (Kern contract).
                unsafe { $madd }
            }
            #[inline(always)]
            unsafe fn sqdiff_acc(acc: __m512i, a: __m512i, b: __m512i) -> __m512i {
                // SAFETY: AVX-512BW present (Kern contract); `a - b` fits i16.
                unsafe {
                    let d = _mm512_sub_epi16(a, b);
                    Self::mul_acc(acc, d, d)
                }
            }
            #[inline(always)]
            unsafe fn add(a: __m512i, b: __m512i) -> __m512i {
                // SAFETY: AVX-512F present (Kern contract).
                unsafe { _mm512_add_epi32(a, b) }
            }
            #[inline(always)]
            unsafe fn reduce(a: __m512i) -> i64 {
                // SAFETY: AVX-512F present (Kern contract). Lanes are widened to i64 first.
                unsafe {
                    let lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(a));
                    let hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64::<1>(a));
                    _mm512_reduce_add_epi64(_mm512_add_epi64(lo, hi))
                }
            }
            #[inline(always)]
            unsafe fn prefetch(p: *const Self::T) {
                // SAFETY: SSE is baseline on x86-64; a prefetch never faults nor dereferences `p`.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) }
            }
        }
    };
}

avx512_i8!(Avx512I8, "`i8` on AVX-512BW (`vpmaddwd`).", |acc, a, b| {
    _mm512_add_epi32(acc, _mm512_madd_epi16(a, b))
});
avx512_i8!(Avx512VnniI8, "`i8` on AVX-512 VNNI (`vpdpwssd`).", |acc, a, b| {
    _mm512_dpwssd_epi32(acc, a, b)
});

/// Per-64-bit-lane popcount with the nibble table (AVX-512BW).
#[inline(always)]
unsafe fn popcnt512_bw(x: __m512i) -> __m512i {
    // SAFETY: AVX-512F/BW present (Popcount contract); register-only operations.
    unsafe {
        let lut = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
        let low = _mm512_set1_epi8(0x0f);
        let lo = _mm512_shuffle_epi8(lut, _mm512_and_si512(x, low));
        let hi = _mm512_shuffle_epi8(lut, _mm512_and_si512(_mm512_srli_epi16::<4>(x), low));
        _mm512_sad_epu8(_mm512_add_epi8(lo, hi), _mm512_setzero_si512())
    }
}

/// Hamming on AVX-512BW: the AVX2 nibble-table method on 64-byte vectors, masked tail.
pub(super) struct Avx512Popcount;

impl Popcount for Avx512Popcount {
    #[inline(always)]
    unsafe fn count(a: *const u8, b: *const u8, n: usize) -> u64 {
        // SAFETY: AVX-512F/BW present (Popcount contract); full loads read bytes `i..i + 64`
        // with `i + 64 <= n`, the masked tail load only bytes `i..n`.
        unsafe {
            let mut acc = _mm512_setzero_si512();
            let mut i = 0;
            while i + 64 <= n {
                let x = _mm512_xor_si512(
                    _mm512_loadu_si512(a.add(i).cast::<__m512i>()),
                    _mm512_loadu_si512(b.add(i).cast::<__m512i>()),
                );
                acc = _mm512_add_epi64(acc, popcnt512_bw(x));
                i += 64;
            }
            if i < n {
                let m = low_mask(n - i);
                let x = _mm512_xor_si512(
                    _mm512_maskz_loadu_epi8(m, a.add(i).cast::<i8>()),
                    _mm512_maskz_loadu_epi8(m, b.add(i).cast::<i8>()),
                );
                acc = _mm512_add_epi64(acc, popcnt512_bw(x));
            }
            _mm512_reduce_add_epi64(acc) as u64
        }
    }
}

/// Hamming with AVX-512 VPOPCNTDQ (`vpopcntq`), masked tail.
pub(super) struct Avx512VpopcntPopcount;

impl Popcount for Avx512VpopcntPopcount {
    #[inline(always)]
    unsafe fn count(a: *const u8, b: *const u8, n: usize) -> u64 {
        // SAFETY: AVX-512F/BW/VPOPCNTDQ present (Popcount contract); full loads read bytes
        // `i..i + 64` with `i + 64 <= n`, the masked tail load only bytes `i..n`.
        unsafe {
            let (mut acc0, mut acc1) = (_mm512_setzero_si512(), _mm512_setzero_si512());
            let mut i = 0;
            while i + 128 <= n {
                let x0 = _mm512_xor_si512(
                    _mm512_loadu_si512(a.add(i).cast::<__m512i>()),
                    _mm512_loadu_si512(b.add(i).cast::<__m512i>()),
                );
                let x1 = _mm512_xor_si512(
                    _mm512_loadu_si512(a.add(i + 64).cast::<__m512i>()),
                    _mm512_loadu_si512(b.add(i + 64).cast::<__m512i>()),
                );
                acc0 = _mm512_add_epi64(acc0, _mm512_popcnt_epi64(x0));
                acc1 = _mm512_add_epi64(acc1, _mm512_popcnt_epi64(x1));
                i += 128;
            }
            if i + 64 <= n {
                let x = _mm512_xor_si512(
                    _mm512_loadu_si512(a.add(i).cast::<__m512i>()),
                    _mm512_loadu_si512(b.add(i).cast::<__m512i>()),
                );
                acc0 = _mm512_add_epi64(acc0, _mm512_popcnt_epi64(x));
                i += 64;
            }
            if i < n {
                let m = low_mask(n - i);
                let x = _mm512_xor_si512(
                    _mm512_maskz_loadu_epi8(m, a.add(i).cast::<i8>()),
                    _mm512_maskz_loadu_epi8(m, b.add(i).cast::<i8>()),
                );
                acc1 = _mm512_add_epi64(acc1, _mm512_popcnt_epi64(x));
            }
            _mm512_reduce_add_epi64(_mm512_add_epi64(acc0, acc1)) as u64
        }
    }
}
