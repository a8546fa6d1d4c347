//! AArch64 NEON backend (compiled on aarch64 only; NEON is part of every AArch64 CPU).
//!
//! Floats: each step is 8 lanes as two `float32x4_t` registers, so the four accumulators of a
//! pair are eight independent FMA chains (wide cores such as Apple's or Neoverse V have four FMA
//! pipes). `f16` is widened with integer operations (stable Rust has no `float16x4_t`), exactly
//! like the scalar `f16_to_f32`. `i8`: `smull` to `i16` products (|p| ≤ 2¹⁴) pairwise added into
//! `i32` lanes with `sadalp`; L2 uses the widening absolute difference (`sabdl`, ≤ 255) squared
//! with `umlal` in `u32` lanes. Hamming: `cnt` per byte, `uadalp` into `u16` lanes.
//!
//! Tails are zero-padded stack copies of the last `n < LANES` elements.

use core::arch::aarch64::*;

use super::simd::{hamming_fns, kern_fns, Kern, Popcount};
use super::{Backend, Table};

pub(super) fn has_neon() -> bool {
    std::arch::is_aarch64_feature_detected!("neon")
}

pub(super) static NEON: Table = Table {
    backend: Backend::Neon,
    f32: kern_fns!("neon", NeonF32),
    f16: kern_fns!("neon", NeonF16),
    i8: kern_fns!("neon", NeonI8),
    hamming: hamming_fns!("neon", NeonPopcount),
    bits: super::bits::SCALAR,
    ex: super::exbits::SCALAR,
};

/// Copies `n < LANES` elements to a zeroed buffer of `LANES` and returns it.
///
/// # Safety
/// `p` readable for `n <= N` elements.
#[inline(always)]
unsafe fn padded<T: Copy + Default, const N: usize>(p: *const T, n: usize) -> [T; N] {
    let mut buf = [T::default(); N];
    debug_assert!(n <= N);
    // SAFETY: `p` readable for `n` elements, `buf` writable for `N >= n`, no overlap. A plain
    // element loop (not `copy_nonoverlapping`, which would become a `memcpy` call).
    unsafe {
        for (j, slot) in buf.iter_mut().enumerate().take(n) {
            *slot = *p.add(j);
        }
    }
    buf
}

type F32x8 = (float32x4_t, float32x4_t);

/// The `f32`-lane arithmetic shared by the NEON `f32` and `f16` kernels.
macro_rules! neon_float_ops {
    () => {
        type V = F32x8;
        type A = F32x8;
        type S = f32;
        const LANES: usize = 8;
        const CHUNK: usize = usize::MAX;

        #[inline(always)]
        unsafe fn zero() -> F32x8 {
            // SAFETY: NEON present (Kern contract).
            unsafe { (vdupq_n_f32(0.0), vdupq_n_f32(0.0)) }
        }
        #[inline(always)]
        unsafe fn vzero() -> F32x8 {
            // SAFETY: NEON present (Kern contract).
            unsafe { (vdupq_n_f32(0.0), vdupq_n_f32(0.0)) }
        }
        #[inline(always)]
        unsafe fn mul_acc(acc: F32x8, a: F32x8, b: F32x8) -> F32x8 {
            // SAFETY: NEON present (Kern contract).
            unsafe { (vfmaq_f32(acc.0, a.0, b.0), vfmaq_f32(acc.1, a.1, b.1)) }
        }
        #[inline(always)]
        unsafe fn sqdiff_acc(acc: F32x8, a: F32x8, b: F32x8) -> F32x8 {
            // SAFETY: NEON present (Kern contract).
            unsafe {
                let (d0, d1) = (vsubq_f32(a.0, b.0), vsubq_f32(a.1, b.1));
                (vfmaq_f32(acc.0, d0, d0), vfmaq_f32(acc.1, d1, d1))
            }
        }
        #[inline(always)]
        unsafe fn add(a: F32x8, b: F32x8) -> F32x8 {
            // SAFETY: NEON present (Kern contract).
            unsafe { (vaddq_f32(a.0, b.0), vaddq_f32(a.1, b.1)) }
        }
        #[inline(always)]
        unsafe fn reduce(a: F32x8) -> f32 {
            // SAFETY: NEON present (Kern contract).
            unsafe { vaddvq_f32(vaddq_f32(a.0, a.1)) }
        }
    };
}

pub(super) struct NeonF32;

impl Kern for NeonF32 {
    type T = f32;
    neon_float_ops!();

    #[inline(always)]
    unsafe fn load(p: *const f32) -> F32x8 {
        // SAFETY: NEON present; `p` readable for 8 `f32` (Kern contract).
        unsafe { (vld1q_f32(p), vld1q_f32(p.add(4))) }
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, n: usize) -> F32x8 {
        // SAFETY: `p` readable for `n < 8` elements (Kern contract); the loads read `buf`.
        unsafe {
            let buf = padded::<f32, 8>(p, n);
            (vld1q_f32(buf.as_ptr()), vld1q_f32(buf.as_ptr().add(4)))
        }
    }
}

/// Widens four binary16 values to `f32` exactly (see `super::f16_to_f32`, which this mirrors).
#[inline(always)]
unsafe fn f16x4_to_f32(h: uint16x4_t) -> float32x4_t {
    // SAFETY: NEON present (Kern contract); register-only operations.
    unsafe {
        let h = vmovl_u16(h);
        let sign = vshlq_n_u32::<16>(vandq_u32(h, vdupq_n_u32(0x8000)));
        let em = vandq_u32(h, vdupq_n_u32(0x7fff));
        let exp = vshrq_n_u32::<10>(em);
        let man = vandq_u32(h, vdupq_n_u32(0x3ff));
        let normal = vaddq_u32(vshlq_n_u32::<13>(em), vdupq_n_u32(112 << 23));
        let subnormal = vreinterpretq_u32_f32(vmulq_f32(vcvtq_f32_u32(man), vdupq_n_f32(1.0 / 16_777_216.0)));
        let quiet = vandq_u32(vtstq_u32(man, man), vdupq_n_u32(0x0040_0000));
        let special = vorrq_u32(vorrq_u32(vdupq_n_u32(0x7f80_0000), vshlq_n_u32::<13>(man)), quiet);
        let is_sub = vceqq_u32(exp, vdupq_n_u32(0));
        let is_special = vceqq_u32(exp, vdupq_n_u32(0x1f));
        let bits = vbslq_u32(is_sub, subnormal, vbslq_u32(is_special, special, normal));
        vreinterpretq_f32_u32(vorrq_u32(bits, sign))
    }
}

pub(super) struct NeonF16;

impl Kern for NeonF16 {
    type T = u16;
    neon_float_ops!();

    #[inline(always)]
    unsafe fn load(p: *const u16) -> F32x8 {
        // SAFETY: NEON present; `p` readable for 8 `u16` (Kern contract).
        unsafe {
            let h = vld1q_u16(p);
            (f16x4_to_f32(vget_low_u16(h)), f16x4_to_f32(vget_high_u16(h)))
        }
    }
    #[inline(always)]
    unsafe fn load_part(p: *const u16, n: usize) -> F32x8 {
        // SAFETY: `p` readable for `n < 8` elements (Kern contract); the load reads `buf`.
        unsafe {
            let buf = padded::<u16, 8>(p, n);
            let h = vld1q_u16(buf.as_ptr());
            (f16x4_to_f32(vget_low_u16(h)), f16x4_to_f32(vget_high_u16(h)))
        }
    }
}

pub(super) struct NeonI8;

impl Kern for NeonI8 {
    type T = i8;
    type V = int8x16_t;
    type A = int32x4_t;
    type S = i64;
    const LANES: usize = 16;
    // Each step adds at most 4 × 65025 to a lane; 8192 steps stay below 2³¹.
    const CHUNK: usize = 8192 * 16;

    #[inline(always)]
    unsafe fn zero() -> int32x4_t {
        // SAFETY: NEON present (Kern contract).
        unsafe { vdupq_n_s32(0) }
    }
    #[inline(always)]
    unsafe fn vzero() -> int8x16_t {
        // SAFETY: NEON present (Kern contract).
        unsafe { vdupq_n_s8(0) }
    }
    #[inline(always)]
    unsafe fn load(p: *const i8) -> int8x16_t {
        // SAFETY: NEON present; `p` readable for 16 bytes (Kern contract).
        unsafe { vld1q_s8(p) }
    }
    #[inline(always)]
    unsafe fn load_part(p: *const i8, n: usize) -> int8x16_t {
        // SAFETY: `p` readable for `n < 16` bytes (Kern contract); the load reads `buf`.
        unsafe { vld1q_s8(padded::<i8, 16>(p, n).as_ptr()) }
    }
    #[inline(always)]
    unsafe fn mul_acc(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
        // SAFETY: NEON present (Kern contract). Products of i8 fit i16.
        unsafe {
            let acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
            vpadalq_s16(acc, vmull_high_s8(a, b))
        }
    }
    #[inline(always)]
    unsafe fn sqdiff_acc(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
        // SAFETY: NEON present (Kern contract). |a - b| ≤ 255 fits u16, its square u32; the
        // lane sums stay below 2³¹ (CHUNK), so reinterpreting u32 as i32 is exact.
        unsafe {
            let lo = vreinterpretq_u16_s16(vabdl_s8(vget_low_s8(a), vget_low_s8(b)));
            let hi = vreinterpretq_u16_s16(vabdl_high_s8(a, b));
            let mut acc = vreinterpretq_u32_s32(acc);
            acc = vmlal_u16(acc, vget_low_u16(lo), vget_low_u16(lo));
            acc = vmlal_high_u16(acc, lo, lo);
            acc = vmlal_u16(acc, vget_low_u16(hi), vget_low_u16(hi));
            acc = vmlal_high_u16(acc, hi, hi);
            vreinterpretq_s32_u32(acc)
        }
    }
    #[inline(always)]
    unsafe fn add(a: int32x4_t, b: int32x4_t) -> int32x4_t {
        // SAFETY: NEON present (Kern contract).
        unsafe { vaddq_s32(a, b) }
    }
    #[inline(always)]
    unsafe fn reduce(a: int32x4_t) -> i64 {
        // SAFETY: NEON present (Kern contract). Widening add across lanes.
        unsafe { vaddlvq_s32(a) }
    }
}

pub(super) struct NeonPopcount;

impl Popcount for NeonPopcount {
    #[inline(always)]
    unsafe fn count(a: *const u8, b: *const u8, n: usize) -> u64 {
        // SAFETY: NEON present (Popcount contract); the vector loads read bytes `i..i + 16` with
        // `i + 16 <= n`, the tail is read through slices of the remaining `n - i` bytes.
        unsafe {
            let mut bits = 0u64;
            let mut i = 0;
            while i + 16 <= n {
                // Each step adds at most 16 to a u16 lane: flush every 2048 steps.
                let end = n.min(i + 2048 * 16);
                let mut acc = vdupq_n_u16(0);
                while i + 16 <= end {
                    let x = veorq_u8(vld1q_u8(a.add(i)), vld1q_u8(b.add(i)));
                    acc = vpadalq_u8(acc, vcntq_u8(x));
                    i += 16;
                }
                bits += vaddlvq_u16(acc) as u64;
            }
            let tail_a = core::slice::from_raw_parts(a.add(i), n - i);
            let tail_b = core::slice::from_raw_parts(b.add(i), n - i);
            bits + super::scalar::hamming(tail_a, tail_b)
        }
    }
}
