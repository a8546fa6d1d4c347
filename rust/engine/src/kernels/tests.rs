//! Every backend this CPU supports, forced one by one, against an `f64` oracle and against the
//! scalar reference, for every metric, element type, shape and many dimensions (all of 1..=2049
//! for pairs).
//!
//! Tolerances (float kernels, `f32` accumulation in a backend-specific order):
//! - dot: `|got - exact| ≤ 1e-5 · Σ|a_i b_i| + 4 ε |exact|` (ε = `f32::EPSILON`);
//! - L2: `|got - exact| ≤ 1e-5 · exact + 1e-30`;
//! - cosine: `|got - exact| ≤ 1e-5 · (Σ|a_i b_i| / (|a| |b|) + 1) + 4 ε`.
//!
//! `i8` and Hamming results are compared for exact equality.

use super::*;

/// xorshift64* — a tiny deterministic generator, enough for tests.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f32 {
        ((self.next() >> 40) as f32 / (1u64 << 23) as f32) - 1.0
    }
    fn f32s(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.unit() * scale).collect()
    }
    fn i8s(&mut self, n: usize) -> Vec<i8> {
        (0..n).map(|_| self.next() as i8).collect()
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn all_kernels() -> Vec<Kernels> {
    let ks: Vec<Kernels> = Backend::supported()
        .into_iter()
        .map(|b| Kernels::with_backend(b).unwrap())
        .collect();
    assert_eq!(ks[0].backend(), Backend::Scalar);
    ks
}

fn scalar() -> Kernels {
    Kernels::with_backend(Backend::Scalar).unwrap()
}

fn f16s(v: &[f32]) -> Vec<u16> {
    v.iter().map(|&x| f32_to_f16(x)).collect()
}

fn widen(v: &[u16]) -> Vec<f32> {
    v.iter().map(|&h| f16_to_f32(h)).collect()
}

/// The exact distance (in `f64`) and the tolerance of an `f32`-accumulating kernel.
fn oracle(metric: Metric, a: &[f32], b: &[f32]) -> (f64, f64) {
    let (mut ab, mut aa, mut bb, mut l2, mut abs) = (0f64, 0f64, 0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x as f64, y as f64);
        ab += x * y;
        aa += x * x;
        bb += y * y;
        l2 += (x - y) * (x - y);
        abs += (x * y).abs();
    }
    let eps = f32::EPSILON as f64;
    match metric {
        Metric::Dot => (1.0 - ab, 1e-5 * abs + 4.0 * eps * (1.0 - ab).abs().max(1.0)),
        Metric::L2 => (l2, 1e-5 * l2 + 1e-30),
        Metric::Cosine if aa == 0.0 || bb == 0.0 => (1.0, 0.0),
        Metric::Cosine => {
            let norms = (aa * bb).sqrt();
            (
                (1.0 - ab / norms).clamp(0.0, 2.0),
                1e-5 * (abs / norms + 1.0) + 4.0 * eps,
            )
        }
    }
}

/// The exact `i8` distance, through the same final formula as the kernels.
fn oracle_i8(metric: Metric, a: &[i8], b: &[i8]) -> f32 {
    let (mut ab, mut aa, mut bb, mut l2) = (0i64, 0i64, 0i64, 0i64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x as i64, y as i64);
        ab += x * y;
        aa += x * x;
        bb += y * y;
        l2 += (x - y) * (x - y);
    }
    match metric {
        Metric::Dot => finish::<i64, DOT>(ab, 0, 0),
        Metric::L2 => finish::<i64, L2>(l2, 0, 0),
        Metric::Cosine => finish::<i64, COS>(ab, aa, bb),
    }
}

fn oracle_hamming(a: &[u8], b: &[u8]) -> u32 {
    let mut n = 0;
    for (x, y) in a.iter().zip(b) {
        for bit in 0..8 {
            n += ((x >> bit) & 1 != (y >> bit) & 1) as u32;
        }
    }
    n
}

#[track_caller]
fn assert_close(got: f32, (want, tol): (f64, f64), what: &dyn Fn() -> String) {
    let err = (got as f64 - want).abs();
    assert!(
        err <= tol || (got.is_nan() && want.is_nan()),
        "{}: got {got}, want {want} (err {err:e} > tol {tol:e})",
        what()
    );
}

// ---------------------------------------------------------------------------------------------
// f16 conversion.

#[test]
fn f16_widening_is_exact_and_round_trips() {
    for h in 0..=u16::MAX {
        let f = f16_to_f32(h);
        if f.is_nan() {
            assert_eq!(h & 0x7c00, 0x7c00);
            assert_ne!(h & 0x3ff, 0);
            continue;
        }
        assert_eq!(f32_to_f16(f), h, "round trip of {h:#06x} ({f})");
    }
    assert_eq!(f16_to_f32(0x3c00), 1.0);
    assert_eq!(f16_to_f32(0xc000), -2.0);
    assert_eq!(f16_to_f32(0x7bff), 65504.0);
    assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
    assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
    assert_eq!(f32_to_f16(65520.0), 0x7c00); // rounds up to infinity
    assert_eq!(f32_to_f16(65519.0), 0x7bff);
    assert_eq!(f32_to_f16(2f32.powi(-25)), 0); // tie to even: 0
    assert_eq!(f32_to_f16(2f32.powi(-25) * 1.5), 1);
    assert_eq!(f32_to_f16(-0.0), 0x8000);
    assert_eq!(f32_to_f16(1.0 + 2f32.powi(-11)), 0x3c00); // tie to even
    assert_eq!(f32_to_f16(1.0 + 3.0 * 2f32.powi(-11)), 0x3c02);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn f16_conversion_matches_f16c() {
    if !is_x86_feature_detected!("f16c") {
        return;
    }
    use core::arch::x86_64::*;
    #[target_feature(enable = "f16c")]
    unsafe fn widen4(h: [u16; 8]) -> [f32; 4] {
        // SAFETY: F16C detected by the caller; `h` is 16 readable bytes.
        unsafe { std::mem::transmute(_mm_cvtph_ps(_mm_loadu_si128(h.as_ptr().cast()))) }
    }
    #[target_feature(enable = "f16c")]
    unsafe fn narrow4(f: [f32; 4]) -> [u16; 8] {
        // SAFETY: F16C detected by the caller; `f` is 16 readable bytes.
        unsafe { std::mem::transmute(_mm_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(_mm_loadu_ps(f.as_ptr()))) }
    }
    for h in 0..=u16::MAX {
        // SAFETY: F16C detected above.
        let want = unsafe { widen4([h; 8]) }[0];
        assert_eq!(f16_to_f32(h).to_bits(), want.to_bits(), "widen {h:#06x}");
    }
    let mut rng = Rng::new(7);
    let specials = [
        0.0f32,
        -0.0,
        1.0,
        65504.0,
        65519.99,
        65520.0,
        1e-8,
        2f32.powi(-24),
        2f32.powi(-25),
        f32::MAX,
        f32::MIN_POSITIVE,
        1e-40,
    ];
    for i in 0..2_000_000u32 {
        let f = if (i as usize) < specials.len() {
            specials[i as usize]
        } else {
            f32::from_bits(rng.next() as u32)
        };
        // SAFETY: F16C detected above.
        let want = unsafe { narrow4([f; 4]) }[0];
        let got = f32_to_f16(f);
        if f.is_nan() {
            assert!(
                f16_to_f32(got).is_nan() && f16_to_f32(want).is_nan(),
                "narrow NaN {:#x}",
                f.to_bits()
            );
        } else {
            assert_eq!(got, want, "narrow {f:e} ({:#x})", f.to_bits());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dispatch.

#[test]
fn dispatch_picks_a_supported_backend() {
    let supported = Backend::supported();
    assert!(supported.contains(&Backend::Scalar));
    assert!(supported.contains(&Kernels::get().backend()));
    assert!(supported.contains(&Backend::best()));
    for b in Backend::ALL {
        assert_eq!(Backend::from_name(b.name()), Some(b));
        assert_eq!(Kernels::with_backend(b).is_some(), supported.contains(&b));
        if let Some(k) = Kernels::with_backend(b) {
            assert_eq!(k.backend(), b);
        }
    }
    #[cfg(target_arch = "x86_64")]
    assert!(!Backend::Neon.is_supported());
    #[cfg(target_arch = "aarch64")]
    assert!(Backend::Neon.is_supported() && !Backend::Avx2.is_supported());
    eprintln!(
        "kernels: supported {supported:?}, chosen {:?}",
        Kernels::get().backend()
    );
}

// ---------------------------------------------------------------------------------------------
// Pairs: every dimension 1..=2049, every backend, metric and element type.

#[test]
fn pairs_match_oracle_and_reference_at_every_dim() {
    let ks = all_kernels();
    let mut rng = Rng::new(1);
    let mut worst = 0f64; // largest err / tol seen
    for dim in 1..=2049usize {
        let scale = [1.0f32, 1e-2, 1e2][dim % 3];
        let a = rng.f32s(dim, scale);
        // Every 4th dim: positively correlated data (no cancellation), otherwise independent.
        let b: Vec<f32> = if dim % 4 == 0 {
            a.iter().map(|&x| x * 0.5 + rng.unit() * scale * 0.1).collect()
        } else {
            rng.f32s(dim, scale)
        };
        let (ha, hb) = (f16s(&a), f16s(&b));
        let (wa, wb) = (widen(&ha), widen(&hb));
        let (ia, ib) = (rng.i8s(dim), rng.i8s(dim));
        for m in Metric::ALL {
            let want = oracle(m, &a, &b);
            let want16 = oracle(m, &wa, &wb);
            let want8 = oracle_i8(m, &ia, &ib);
            let reference = scalar().pair_f32(m, &a, &b);
            for k in &ks {
                let what = || format!("{:?} {m:?} dim {dim}", k.backend());
                let got = k.pair_f32(m, &a, &b);
                assert_close(got, want, &|| format!("f32 {}", what()));
                assert_close(got, (reference as f64, 2.0 * want.1), &|| {
                    format!("f32 vs scalar {}", what())
                });
                worst = worst.max((got as f64 - want.0).abs() / want.1.max(1e-300));
                let got16 = k.pair_f16(m, &ha, &hb);
                assert_close(got16, want16, &|| format!("f16 {}", what()));
                // f16 is widened, then accumulated exactly like f32: identical results.
                assert_eq!(
                    got16.to_bits(),
                    k.pair_f32(m, &wa, &wb).to_bits(),
                    "f16 == f32 on widened {}",
                    what()
                );
                assert_eq!(k.pair_i8(m, &ia, &ib).to_bits(), want8.to_bits(), "i8 {}", what());
            }
        }
    }
    eprintln!("pairs: worst error / tolerance = {worst:.4}");
}

#[test]
fn hamming_matches_bit_by_bit_reference() {
    let ks = all_kernels();
    let mut rng = Rng::new(2);
    let dims: Vec<usize> = (0..=300).chain([511, 512, 513, 1000, 4096 + 13, 65536 + 7]).collect();
    for dim in dims {
        let a = rng.bytes(dim);
        let mut b = rng.bytes(dim);
        if dim % 5 == 0 {
            // mostly equal vectors too
            b = a
                .iter()
                .map(|&x| if rng.below(16) == 0 { x ^ (1 << rng.below(8)) } else { x })
                .collect();
        }
        let want = oracle_hamming(&a, &b);
        for k in &ks {
            assert_eq!(k.hamming_u8(&a, &b), want, "{:?} dim {dim}", k.backend());
            assert_eq!(k.hamming_u8(&a, &a), 0);
            let not_a: Vec<u8> = a.iter().map(|x| !x).collect();
            assert_eq!(k.hamming_u8(&a, &not_a), 8 * dim as u32);
        }
    }
    for words in 0..=70usize {
        let a: Vec<u64> = (0..words).map(|_| rng.next()).collect();
        let b: Vec<u64> = (0..words).map(|_| rng.next()).collect();
        let want: u32 = a.iter().zip(&b).map(|(x, y)| (x ^ y).count_ones()).sum();
        for k in &ks {
            assert_eq!(k.hamming_u64(&a, &b), want, "{:?} u64 words {words}", k.backend());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Batch and many.

const SHAPE_DIMS: &[usize] = &[
    1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 300, 511, 512, 513,
    768, 1023, 1024, 1025, 1536, 2047, 2048, 2049,
];
const SHAPE_ROWS: &[usize] = &[0, 1, 2, 3, 4, 5, 7, 8, 9, 17];
const SHAPE_QUERIES: &[usize] = &[1, 2, 3, 4, 5, 7, 9];

/// Checks `batch` and `many` of every backend on `nq` queries × `nr` rows of width `dim`.
fn check_shapes(rng: &mut Rng, dim: usize, nq: usize, nr: usize) {
    let ks = all_kernels();
    let qs = rng.f32s(nq * dim, 1.0);
    let rows = rng.f32s(nr * dim, 1.0);
    let (hq, hr) = (f16s(&qs), f16s(&rows));
    let (wq, wr) = (widen(&hq), widen(&hr));
    let (iq, ir) = (rng.i8s(nq * dim), rng.i8s(nr * dim));
    let (bq, br) = (rng.bytes(nq * dim), rng.bytes(nr * dim));
    let row = |v: &[f32], i: usize| v[i * dim..(i + 1) * dim].to_vec();
    for m in Metric::ALL {
        for k in &ks {
            let what = |s: &str, qi: usize, ri: usize| {
                format!("{s} {:?} {m:?} dim {dim} nq {nq} nr {nr} q {qi} r {ri}", k.backend())
            };
            let mut many = vec![f32::NAN; nq * nr];
            let mut many16 = vec![f32::NAN; nq * nr];
            let mut many8 = vec![f32::NAN; nq * nr];
            k.many_f32(m, &qs, &rows, dim, &mut many);
            k.many_f16(m, &hq, &hr, dim, &mut many16);
            k.many_i8(m, &iq, &ir, dim, &mut many8);
            for qi in 0..nq {
                let q = row(&qs, qi);
                let mut batch = vec![f32::NAN; nr];
                let mut batch16 = vec![f32::NAN; nr];
                let mut batch8 = vec![f32::NAN; nr];
                k.batch_f32(m, &q, &rows, dim, &mut batch);
                k.batch_f16(m, &hq[qi * dim..(qi + 1) * dim], &hr, dim, &mut batch16);
                k.batch_i8(m, &iq[qi * dim..(qi + 1) * dim], &ir, dim, &mut batch8);
                for ri in 0..nr {
                    let r = row(&rows, ri);
                    let want = oracle(m, &q, &r);
                    assert_close(batch[ri], want, &|| what("f32 batch", qi, ri));
                    assert_close(many[qi * nr + ri], want, &|| what("f32 many", qi, ri));
                    let want16 = oracle(m, &row(&wq, qi), &row(&wr, ri));
                    assert_close(batch16[ri], want16, &|| what("f16 batch", qi, ri));
                    assert_close(many16[qi * nr + ri], want16, &|| what("f16 many", qi, ri));
                    let want8 = oracle_i8(m, &iq[qi * dim..(qi + 1) * dim], &ir[ri * dim..(ri + 1) * dim]);
                    assert_eq!(batch8[ri].to_bits(), want8.to_bits(), "{}", what("i8 batch", qi, ri));
                    assert_eq!(
                        many8[qi * nr + ri].to_bits(),
                        want8.to_bits(),
                        "{}",
                        what("i8 many", qi, ri)
                    );
                }
            }
        }
    }
    for k in &ks {
        let mut many = vec![u32::MAX; nq * nr];
        k.hamming_u8_many(&bq, &br, dim, &mut many);
        for qi in 0..nq {
            let q = &bq[qi * dim..(qi + 1) * dim];
            let mut batch = vec![u32::MAX; nr];
            k.hamming_u8_batch(q, &br, dim, &mut batch);
            for ri in 0..nr {
                let want = oracle_hamming(q, &br[ri * dim..(ri + 1) * dim]);
                assert_eq!(
                    batch[ri],
                    want,
                    "hamming batch {:?} dim {dim} q {qi} r {ri}",
                    k.backend()
                );
                assert_eq!(
                    many[qi * nr + ri],
                    want,
                    "hamming many {:?} dim {dim} q {qi} r {ri}",
                    k.backend()
                );
            }
        }
    }
}

#[test]
fn batch_and_many_match_oracle_for_all_shapes() {
    let mut rng = Rng::new(3);
    for &dim in SHAPE_DIMS {
        for &nr in SHAPE_ROWS {
            // all query counts at a few dims, one or two elsewhere (keeps the test fast)
            if dim <= 33 || dim == 128 || dim == 2049 {
                for &nq in SHAPE_QUERIES {
                    check_shapes(&mut rng, dim, nq, nr);
                }
            } else {
                check_shapes(&mut rng, dim, 1 + nr % 5, nr);
            }
        }
    }
}

#[test]
fn many_crosses_row_blocks() {
    // 128 KiB blocks: 15 rows of 2049 f32, 31 of f16, 63 of i8 — these shapes span several
    // (and, below 256 KiB of rows, take the tiled paths).
    let mut rng = Rng::new(4);
    check_shapes(&mut rng, 2049, 6, 70);
    check_shapes(&mut rng, 1000, 5, 64);
}

#[test]
fn big_inputs_take_the_streaming_paths() {
    // Rows above 256 KiB: batch scans row after row and many prefetches each block.
    // f32 1.2 MB, f16 600 KB, i8 300 KB.
    let mut rng = Rng::new(8);
    check_shapes(&mut rng, 1000, 5, 300);
}

#[test]
fn u64_hamming_shapes() {
    let mut rng = Rng::new(5);
    for k in all_kernels() {
        for (dim, nq, nr) in [(1, 3, 5), (2, 4, 9), (13, 5, 7), (16, 1, 33)] {
            let qs: Vec<u64> = (0..nq * dim).map(|_| rng.next()).collect();
            let rows: Vec<u64> = (0..nr * dim).map(|_| rng.next()).collect();
            let mut many = vec![0; nq * nr];
            k.hamming_u64_many(&qs, &rows, dim, &mut many);
            for qi in 0..nq {
                let q = &qs[qi * dim..(qi + 1) * dim];
                let mut batch = vec![0; nr];
                k.hamming_u64_batch(q, &rows, dim, &mut batch);
                for ri in 0..nr {
                    let want = k.hamming_u64(q, &rows[ri * dim..(ri + 1) * dim]);
                    assert_eq!(batch[ri], want);
                    assert_eq!(many[qi * nr + ri], want);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Edge cases.

#[test]
fn i8_long_vectors_do_not_overflow() {
    // Longer than every backend's i32 run; extreme values maximise every sum.
    let dim = 600_000;
    let lo = vec![-128i8; dim];
    let hi = vec![127i8; dim];
    let mut rows = lo.clone();
    rows.extend_from_slice(&hi);
    for k in all_kernels() {
        for m in Metric::ALL {
            for (a, b) in [(&lo, &lo), (&lo, &hi), (&hi, &hi)] {
                assert_eq!(
                    k.pair_i8(m, a, b).to_bits(),
                    oracle_i8(m, a, b).to_bits(),
                    "{:?} {m:?}",
                    k.backend()
                );
            }
            let mut out = [0f32; 2];
            k.batch_i8(m, &lo, &rows, dim, &mut out);
            assert_eq!(out, [oracle_i8(m, &lo, &lo), oracle_i8(m, &lo, &hi)]);
            let mut out4 = [0f32; 4];
            k.many_i8(m, &rows, &rows, dim, &mut out4);
            assert_eq!(
                out4,
                [
                    oracle_i8(m, &lo, &lo),
                    oracle_i8(m, &lo, &hi),
                    oracle_i8(m, &hi, &lo),
                    oracle_i8(m, &hi, &hi)
                ]
            );
        }
    }
    assert_eq!(l2_i8(&lo, &hi), (255.0f64 * 255.0 * dim as f64) as f32);
    assert_eq!(dot_i8(&lo, &lo), (1.0 - 16384.0 * dim as f64) as f32);
}

#[test]
fn zero_vectors_and_empty_vectors() {
    for k in all_kernels() {
        for dim in [0usize, 1, 7, 16, 33, 1000] {
            let z = vec![0f32; dim];
            let a: Vec<f32> = (0..dim).map(|i| i as f32 + 1.0).collect();
            let (hz, ha) = (f16s(&z), f16s(&a));
            let (iz, ia) = (
                vec![0i8; dim],
                (0..dim).map(|i| (i % 100) as i8 + 1).collect::<Vec<_>>(),
            );
            for (x, y) in [(&z, &z), (&z, &a), (&a, &z)] {
                assert_eq!(k.pair_f32(Metric::Cosine, x, y), 1.0, "{:?} dim {dim}", k.backend());
            }
            assert_eq!(k.pair_f16(Metric::Cosine, &hz, &ha), 1.0);
            assert_eq!(k.pair_i8(Metric::Cosine, &iz, &ia), 1.0);
            assert_eq!(k.pair_i8(Metric::Cosine, &iz, &iz), 1.0);
            assert_eq!(k.pair_f32(Metric::Dot, &z, &a), 1.0);
            assert_eq!(k.pair_f32(Metric::L2, &z, &z), 0.0);
            if dim > 0 {
                let mut out = vec![0f32; 2];
                let rows: Vec<f32> = z.iter().chain(&a).copied().collect();
                k.batch_f32(Metric::Cosine, &z, &rows, dim, &mut out);
                assert_eq!(out, [1.0, 1.0]);
                k.batch_f32(Metric::Cosine, &a, &rows, dim, &mut out);
                assert_eq!(out[0], 1.0);
                assert!(out[1].abs() < 1e-6);
                let mut out4 = vec![0f32; 4];
                k.many_f32(Metric::Cosine, &rows, &rows, dim, &mut out4);
                assert_eq!(&out4[..3], &[1.0, 1.0, 1.0]);
            }
        }
        let empty: [f32; 0] = [];
        assert_eq!(k.pair_f32(Metric::Dot, &empty, &empty), 1.0);
        assert_eq!(k.pair_f32(Metric::L2, &empty, &empty), 0.0);
        assert_eq!(k.hamming_u8(&[], &[]), 0);
    }
}

#[test]
fn nan_propagates() {
    for k in all_kernels() {
        for dim in [1usize, 5, 17, 64] {
            let mut a = vec![1f32; dim];
            let b = vec![1f32; dim];
            a[dim / 2] = f32::NAN;
            for m in Metric::ALL {
                assert!(k.pair_f32(m, &a, &b).is_nan(), "{:?} {m:?} dim {dim}", k.backend());
                let mut out = [0f32; 1];
                k.batch_f32(m, &b, &a, dim, &mut out);
                assert!(out[0].is_nan());
                k.many_f32(m, &a, &b, dim, &mut out);
                assert!(out[0].is_nan());
            }
        }
    }
}

#[test]
fn empty_batches() {
    for k in all_kernels() {
        let q = [1f32, 2.0];
        k.batch_f32(Metric::L2, &q, &[], 2, &mut []);
        k.many_f32(Metric::L2, &[], &q, 2, &mut []);
        k.many_f32(Metric::Cosine, &q, &[], 2, &mut []);
        k.hamming_u8_many(&[], &[1, 2], 2, &mut []);
    }
}

#[test]
#[should_panic(expected = "different lengths")]
fn pair_length_mismatch_panics() {
    l2_f32(&[1.0, 2.0], &[1.0]);
}

#[test]
#[should_panic(expected = "not the number of rows")]
fn batch_output_mismatch_panics() {
    l2_f32_batch(&[1.0, 2.0], &[1.0, 2.0, 3.0, 4.0], 2, &mut [0.0; 3]);
}

#[test]
#[should_panic(expected = "multiple of dim")]
fn many_ragged_rows_panic() {
    l2_f32_many(&[1.0, 2.0], &[1.0, 2.0, 3.0], 2, &mut [0.0; 1]);
}

#[test]
#[should_panic(expected = "dim must be > 0")]
fn zero_dim_batch_panics() {
    hamming_u64_batch(&[], &[], 0, &mut []);
}

#[test]
fn free_functions_use_the_default_backend() {
    let a = [1f32, 2.0, 3.0];
    let b = [4f32, 5.0, 6.0];
    assert_eq!(dot_f32(&a, &b), 1.0 - 32.0);
    assert_eq!(l2_f32(&a, &b), 27.0);
    assert!((cosine_f32(&a, &b) - (1.0 - 32.0 / (14f32.sqrt() * 77f32.sqrt()))).abs() < 1e-6);
    let (ha, hb) = (f16s(&a), f16s(&b));
    assert_eq!(l2_f16(&ha, &hb), 27.0);
    assert_eq!(dot_f16(&ha, &hb), -31.0);
    assert_eq!(l2_i8(&[1, 2, 3], &[4, 5, 6]), 27.0);
    assert_eq!(dot_i8(&[1, 2, 3], &[4, 5, 6]), -31.0);
    assert_eq!(cosine_i8(&[1, 0], &[0, 1]), 1.0);
    assert_eq!(hamming_u8(&[0b1011], &[0b0001]), 2);
    assert_eq!(hamming_u64(&[u64::MAX, 0], &[0, 1]), 65);
    let mut out = [0f32; 2];
    l2_f32_batch(&a, &[a, b].concat(), 3, &mut out);
    assert_eq!(out, [0.0, 27.0]);
    cosine_f32_many(&a, &[a, b].concat(), 3, &mut out);
    assert!(out[0].abs() < 1e-6);
}

// ---------------------------------------------------------------------------------------------
// Property test: random shapes and data, invariants that hold exactly or nearly.

#[test]
fn properties_hold_on_random_inputs() {
    let ks = all_kernels();
    let mut rng = Rng::new(6);
    for case in 0..3000 {
        let dim = if case % 10 == 0 {
            1 + rng.below(2049)
        } else {
            1 + rng.below(80)
        };
        let scale = [1e-3f32, 1.0, 1e3][rng.below(3)];
        let a = rng.f32s(dim, scale);
        let b = rng.f32s(dim, scale);
        let k = ks[rng.below(ks.len())];
        let what = || format!("case {case} {:?} dim {dim} scale {scale}", k.backend());

        // Symmetry is exact: the same products are summed in the same order.
        for m in Metric::ALL {
            assert_eq!(
                k.pair_f32(m, &a, &b).to_bits(),
                k.pair_f32(m, &b, &a).to_bits(),
                "symmetry {m:?} {}",
                what()
            );
        }
        // Identity.
        assert_eq!(k.pair_f32(Metric::L2, &a, &a), 0.0, "{}", what());
        let c = k.pair_f32(Metric::Cosine, &a, &a);
        assert!(c.abs() < 1e-6, "cos(a, a) = {c} {}", what());
        // Scaling by a power of two changes no cosine; negation gives 2.
        let a4: Vec<f32> = a.iter().map(|x| x * 4.0).collect();
        let neg: Vec<f32> = a.iter().map(|x| -x).collect();
        assert!(k.pair_f32(Metric::Cosine, &a, &a4).abs() < 1e-6, "{}", what());
        assert!((k.pair_f32(Metric::Cosine, &a, &neg) - 2.0).abs() < 1e-6, "{}", what());
        // Ranges.
        let cos = k.pair_f32(Metric::Cosine, &a, &b);
        assert!((0.0..=2.0).contains(&cos), "{}", what());
        assert!(k.pair_f32(Metric::L2, &a, &b) >= 0.0);
        // L2 = |a|² + |b|² - 2 a·b = (1 - dot(a, a)) + (1 - dot(b, b)) - 2 (1 - dot(a, b)) ± tol.
        let (da, db, dab) = (
            k.pair_f32(Metric::Dot, &a, &a) as f64,
            k.pair_f32(Metric::Dot, &b, &b) as f64,
            k.pair_f32(Metric::Dot, &a, &b) as f64,
        );
        let l2 = k.pair_f32(Metric::L2, &a, &b) as f64;
        let expanded = (1.0 - da) + (1.0 - db) - 2.0 * (1.0 - dab);
        let norms = (1.0 - da) + (1.0 - db) + 1.0;
        assert!(
            (l2 - expanded).abs() <= 1e-4 * norms,
            "l2 {l2} vs expanded {expanded} {}",
            what()
        );
        // Against the oracle and the reference.
        for m in Metric::ALL {
            let want = oracle(m, &a, &b);
            assert_close(k.pair_f32(m, &a, &b), want, &|| format!("{m:?} {}", what()));
            assert_close(scalar().pair_f32(m, &a, &b), want, &|| {
                format!("scalar {m:?} {}", what())
            });
        }
        // i8: exact on every backend, and symmetric.
        let (ia, ib) = (rng.i8s(dim), rng.i8s(dim));
        for m in Metric::ALL {
            let got = k.pair_i8(m, &ia, &ib);
            assert_eq!(got.to_bits(), oracle_i8(m, &ia, &ib).to_bits(), "i8 {m:?} {}", what());
            assert_eq!(got.to_bits(), k.pair_i8(m, &ib, &ia).to_bits());
        }
        // Hamming: metric axioms on random bytes.
        let (x, y, z) = (rng.bytes(dim), rng.bytes(dim), rng.bytes(dim));
        let (xy, yz, xz) = (k.hamming_u8(&x, &y), k.hamming_u8(&y, &z), k.hamming_u8(&x, &z));
        assert!(xz <= xy + yz && xy == k.hamming_u8(&y, &x) && xy <= 8 * dim as u32);
    }
}

// ---------------------------------------------------------------------------------------------
// The SIMD f16 widening, on all 65,536 values, against the scalar one (bit for bit).

/// Checks `widen(chunk)` == scalar widening of `chunk` for every chunk of `LANES` bit patterns,
/// and `widen_part` for every tail length.
#[allow(dead_code)]
fn check_f16_lanes<const LANES: usize>(
    widen: impl Fn(&[u16; LANES]) -> [f32; LANES],
    widen_part: impl Fn(&[u16], usize) -> [f32; LANES],
) {
    let all: Vec<u16> = (0..=u16::MAX).collect();
    for chunk in all.chunks_exact(LANES) {
        let got = widen(chunk.try_into().unwrap());
        for (h, g) in chunk.iter().zip(got) {
            assert_eq!(g.to_bits(), f16_to_f32(*h).to_bits(), "widen {h:#06x}");
        }
    }
    let src: Vec<u16> = (0..LANES as u16).map(|i| 0x3c00 + i).collect();
    for n in 1..LANES {
        let got = widen_part(&src[..n], n);
        for (i, g) in got.iter().enumerate() {
            let want = if i < n { f16_to_f32(src[i]) } else { 0.0 };
            assert_eq!(g.to_bits(), want.to_bits(), "tail {n} lane {i}");
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn simd_f16_widening_matches_scalar() {
    use super::simd::Kern;
    use super::x86::{Avx2F16, Avx512F16};
    if Backend::Avx2.is_supported() {
        #[target_feature(enable = "avx2,fma,f16c")]
        unsafe fn full(h: &[u16; 8]) -> [f32; 8] {
            // SAFETY: AVX2/F16C detected by the caller; `h` holds 8 elements.
            unsafe { std::mem::transmute(Avx2F16::load(h.as_ptr())) }
        }
        #[target_feature(enable = "avx2,fma,f16c")]
        unsafe fn part(h: &[u16], n: usize) -> [f32; 8] {
            // SAFETY: AVX2/F16C detected by the caller; `h` holds `n` elements.
            unsafe { std::mem::transmute(Avx2F16::load_part(h.as_ptr(), n)) }
        }
        // SAFETY: AVX2/F16C detected above.
        check_f16_lanes::<8>(|h| unsafe { full(h) }, |h, n| unsafe { part(h, n) });
    }
    if Backend::Avx512.is_supported() {
        #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma,f16c")]
        unsafe fn full(h: &[u16; 16]) -> [f32; 16] {
            // SAFETY: AVX-512 detected by the caller; `h` holds 16 elements.
            unsafe { std::mem::transmute(Avx512F16::load(h.as_ptr())) }
        }
        #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma,f16c")]
        unsafe fn part(h: &[u16], n: usize) -> [f32; 16] {
            // SAFETY: AVX-512 detected by the caller; `h` holds `n` elements.
            unsafe { std::mem::transmute(Avx512F16::load_part(h.as_ptr(), n)) }
        }
        // SAFETY: AVX-512 detected above.
        check_f16_lanes::<16>(|h| unsafe { full(h) }, |h, n| unsafe { part(h, n) });
    }
}

#[cfg(target_arch = "aarch64")]
#[test]
fn simd_f16_widening_matches_scalar() {
    use super::neon::NeonF16;
    use super::simd::Kern;
    #[target_feature(enable = "neon")]
    unsafe fn full(h: &[u16; 8]) -> [f32; 8] {
        // SAFETY: NEON is always present on aarch64; `h` holds 8 elements.
        unsafe { std::mem::transmute(NeonF16::load(h.as_ptr())) }
    }
    #[target_feature(enable = "neon")]
    unsafe fn part(h: &[u16], n: usize) -> [f32; 8] {
        // SAFETY: NEON present; `h` holds `n` elements.
        unsafe { std::mem::transmute(NeonF16::load_part(h.as_ptr(), n)) }
    }
    // SAFETY: NEON present.
    check_f16_lanes::<8>(|h| unsafe { full(h) }, |h, n| unsafe { part(h, n) });
}

#[cfg(target_os = "linux")]
#[test]
fn huge_pages_are_taken_where_the_os_offers_them() {
    let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    let data: Vec<f32> = (0..(16 << 20)).map(|i| i as f32).collect();
    let before = data.clone();
    super::prefer_huge_pages(&data);
    assert_eq!(data, before, "contents never change");
    let huge_kb: u64 = std::fs::read_to_string("/proc/self/smaps_rollup")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AnonHugePages:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0);
    // MADV_COLLAPSE (which turns pages already touched into huge pages) is in Linux 6.1 on.
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut version = release.split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse::<u32>().ok());
    let collapse = (version.next().unwrap_or(0), version.next().unwrap_or(0)) >= (6, 1);
    if collapse && !thp.contains("[never]") && !thp.is_empty() {
        assert!(huge_kb >= 2048, "{huge_kb} kB in huge pages");
    }
}
