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

mod edges;

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
// RaBitQ bits.

/// `(Σ_i b_i qu_i, popcount(code))` coordinate by coordinate: the definition the plane-wise
/// kernels must reproduce.
fn oracle_rabitq(code: &[u64], qu: &[u8]) -> (u32, u32) {
    let mut s = 0u32;
    for (i, &q) in qu.iter().enumerate() {
        if code[i / 64] >> (i % 64) & 1 == 1 {
            s += q as u32;
        }
    }
    (s, code.iter().map(|w| w.count_ones()).sum())
}

/// The four bit planes of 4-bit values `qu` (`words` words each).
fn planes_of(qu: &[u8], words: usize) -> Vec<u64> {
    let mut p = vec![0u64; 4 * words];
    for (i, &q) in qu.iter().enumerate() {
        for j in 0..4 {
            if q >> j & 1 == 1 {
                p[j * words + i / 64] |= 1 << (i % 64);
            }
        }
    }
    p
}

#[test]
fn rabitq_ip_matches_the_coordinate_reference_on_every_backend() {
    let ks = all_kernels();
    let mut rng = Rng::new(21);
    for dim in (1usize..=300).chain([383, 384, 385, 511, 512, 513, 768, 1024, 1536, 2049]) {
        let words = dim.div_ceil(64);
        for trial in 0..3 {
            let qu: Vec<u8> = (0..dim).map(|_| match trial { 0 => rng.below(16) as u8, 1 => 15, _ => 0 }).collect();
            let mut code: Vec<u64> = (0..words).map(|_| rng.next()).collect();
            // Bits past `dim` are never set in a code.
            if dim % 64 != 0 {
                code[words - 1] &= (1u64 << (dim % 64)) - 1;
            }
            let planes = planes_of(&qu, words);
            let want = oracle_rabitq(&code, &qu);
            for k in &ks {
                assert_eq!(k.rabitq_ip(&code, &planes), want, "{:?} dim {dim}", k.backend());
            }
        }
    }
}

#[test]
fn rabitq_gather_matches_pairs_for_any_stride_and_ids() {
    let ks = all_kernels();
    let mut rng = Rng::new(22);
    for words in [1usize, 2, 5, 6, 7, 8, 9, 12, 16, 17, 24] {
        for extra in [0usize, 1, 3] {
            let stride = words + extra;
            let n = 40;
            let records: Vec<u64> = (0..n * stride).map(|_| rng.next()).collect();
            let planes: Vec<u64> = (0..4 * words).map(|_| rng.next()).collect();
            let ids: Vec<u32> = (0..25).map(|_| rng.below(n) as u32).chain([n as u32 - 1, 0]).collect();
            let want: Vec<u64> = ids
                .iter()
                .map(|&id| {
                    let at = id as usize * stride;
                    let (s, ones) = scalar().rabitq_ip(&records[at..at + words], &planes);
                    s as u64 | (ones as u64) << 32
                })
                .collect();
            for k in &ks {
                let mut out = vec![0u64; ids.len()];
                k.rabitq_ip_gather(&planes, &records, stride, &ids, &mut out);
                assert_eq!(out, want, "{:?} words {words} stride {stride}", k.backend());
                let mut none: [u64; 0] = [];
                k.rabitq_ip_gather(&planes, &records, stride, &[], &mut none);
            }
        }
    }
}

#[test]
#[should_panic(expected = "past the end")]
fn rabitq_gather_refuses_an_id_past_the_records() {
    let planes = vec![0u64; 8];
    let records = vec![0u64; 3 * 10];
    let mut out = [0u64];
    Kernels::get().rabitq_ip_gather(&planes, &records, 3, &[10], &mut out);
}

// ---------------------------------------------------------------------------------------------
// Multi-bit RaBitQ codes.

/// The code of values `c` (`bits` each) in the block layout of `exbits.rs`: coordinate
/// `i = b·W + 32·k + j` in bits `bits·k ..` of byte `32·b + j`.
fn ex_code_of(c: &[u8], bits: u32) -> Vec<u64> {
    let w = 256 / bits as usize;
    let blocks = c.len().div_ceil(w);
    let mut bytes = vec![0u8; blocks * 32];
    for (i, &v) in c.iter().enumerate() {
        let (b, k, j) = (i / w, i % w / 32, i % 32);
        bytes[32 * b + j] |= v << (bits as usize * k);
    }
    bytes.chunks_exact(8).map(|x| u64::from_ne_bytes(x.try_into().unwrap())).collect()
}

#[test]
fn rabitq_ex_ip_matches_the_coordinate_sum_on_every_backend() {
    let ks = all_kernels();
    let mut rng = Rng::new(23);
    for bits in [2u32, 4, 8] {
        let w = 256 / bits as usize;
        for dim in (1usize..=260).chain([383, 384, 385, 511, 512, 513, 768, 1024, 1536, 2049]) {
            let padded = dim.div_ceil(w) * w;
            for trial in 0..4 {
                let top = (1u32 << bits) - 1;
                // Random values, then the extremes (every product at its largest magnitude).
                let c: Vec<u8> = (0..dim).map(|_| if trial < 2 { rng.below(top as usize + 1) as u8 } else { top as u8 }).collect();
                let mut q: Vec<i8> = (0..dim)
                    .map(|_| match trial {
                        0 | 1 => (rng.below(255) as i32 - 127) as i8,
                        2 => 127,
                        _ => -127,
                    })
                    .collect();
                let want: i32 = c.iter().zip(&q).map(|(&a, &b)| a as i32 * b as i32).sum();
                q.resize(padded, 0);
                let code = ex_code_of(&c, bits);
                for k in &ks {
                    assert_eq!(k.rabitq_ex_ip(bits, &code, &q), want, "{:?} bits {bits} dim {dim}", k.backend());
                }
            }
        }
    }
}

#[test]
fn rabitq_ex_ip_is_exact_at_the_largest_dimension() {
    // 255 · 127 · 65,536 is the largest |S|: it must not overflow any backend's accumulators.
    let c = vec![255u8; 65_536];
    let code = ex_code_of(&c, 8);
    for k in all_kernels() {
        assert_eq!(k.rabitq_ex_ip(8, &code, &vec![127i8; 65_536]) as i64, 255 * 127 * 65_536);
        assert_eq!(k.rabitq_ex_ip(8, &code, &vec![-127i8; 65_536]) as i64, -255 * 127 * 65_536);
    }
}

#[test]
fn rabitq_ex_gather_matches_pairs_for_any_stride_and_ids() {
    let ks = all_kernels();
    let mut rng = Rng::new(24);
    for bits in [2u32, 4, 8] {
        let w = 256 / bits as usize;
        for blocks in [1usize, 2, 3, 5, 6, 12] {
            let words = 4 * blocks;
            for extra in [0usize, 1, 2, 3] {
                let stride = words + extra;
                let n = 30;
                let records: Vec<u64> = (0..n * stride).map(|_| rng.next()).collect();
                let q: Vec<i8> = (0..blocks * w).map(|_| (rng.below(255) as i32 - 127) as i8).collect();
                let ids: Vec<u32> = (0..25).map(|_| rng.below(n) as u32).chain([n as u32 - 1, 0]).collect();
                let want: Vec<i32> = ids
                    .iter()
                    .map(|&id| {
                        let at = id as usize * stride;
                        scalar().rabitq_ex_ip(bits, &records[at..at + words], &q)
                    })
                    .collect();
                for k in &ks {
                    let mut out = vec![0i32; ids.len()];
                    k.rabitq_ex_gather(bits, &q, &records, stride, &ids, &mut out);
                    assert_eq!(out, want, "{:?} bits {bits} blocks {blocks} stride {stride}", k.backend());
                    k.rabitq_ex_gather(bits, &q, &records, stride, &[], &mut []);
                }
            }
        }
    }
}

#[test]
fn rabitq_ex_refuses_bad_shapes() {
    let k = Kernels::get();
    let records = vec![0u64; 8 * 10];
    let caught = |f: &dyn Fn()| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err();
    assert!(caught(&|| k.rabitq_ex_gather(3, &[0; 85], &records, 8, &[0], &mut [0])), "3 bits");
    assert!(caught(&|| k.rabitq_ex_gather(4, &[0; 60], &records, 8, &[0], &mut [0])), "not whole blocks");
    assert!(caught(&|| k.rabitq_ex_gather(4, &[], &records, 8, &[], &mut [])), "empty query");
    assert!(caught(&|| k.rabitq_ex_gather(4, &[0; 128], &records, 7, &[0], &mut [0])), "short stride");
    assert!(caught(&|| k.rabitq_ex_gather(4, &[0; 64], &records, 8, &[10], &mut [0])), "past the end");
    assert!(caught(&|| k.rabitq_ex_gather(4, &[0; 64], &records, 8, &[0, 1], &mut [0])), "out length");
    assert!(caught(&|| { k.rabitq_ex_ip(8, &records[..3], &[0; 32]); }), "code length");
    // The largest accepted shapes work.
    k.rabitq_ex_gather(4, &[0; 64], &records, 8, &[9], &mut [0]);
}

/// ns per code of the RaBitQ kernels at 384 dimensions on every backend, against `f32` and
/// `i8` distances on the same ids: a measurement, run by hand
/// (`cargo test --release -p agentdb-engine rabitq_ns_per_code -- --ignored --nocapture`).
#[test]
#[ignore]
fn rabitq_ns_per_code() {
    let dim = 384;
    let n = 50_000;
    let mut rng = Rng::new(25);
    // Ids in batches of 32 (a layer-0 expansion's neighbours), hot (the same 1,000 rows, in
    // cache) and cold (all 50,000).
    let hot: Vec<u32> = (0..32 * 4096).map(|_| rng.below(1000) as u32).collect();
    let cold: Vec<u32> = (0..32 * 4096).map(|_| rng.below(n) as u32).collect();
    let time = |ids: &[u32], f: &mut dyn FnMut(&[u32])| {
        for c in ids.chunks(32).take(64) {
            f(c);
        }
        let t = std::time::Instant::now();
        for c in ids.chunks(32) {
            f(c);
        }
        t.elapsed().as_nanos() as f64 / ids.len() as f64
    };
    let f32_rows = rng.f32s(n * dim, 1.0);
    let i8_rows = rng.i8s(n * dim);
    let q = rng.f32s(dim, 1.0);
    let qi = rng.i8s(dim);
    for k in all_kernels() {
        let mut line = format!("{:>10}:", k.backend().name());
        let mut sink = 0f64;
        for (name, ids) in [("hot", &hot), ("cold", &cold)] {
            let ns = time(ids, &mut |c| {
                for &id in c {
                    sink += k.pair_f32(Metric::L2, &q, &f32_rows[id as usize * dim..][..dim]) as f64;
                }
            });
            line += &format!(" f32 {name} {ns:.1}");
            let ns = time(ids, &mut |c| {
                for &id in c {
                    sink += k.pair_i8(Metric::L2, &qi, &i8_rows[id as usize * dim..][..dim]) as f64;
                }
            });
            line += &format!(" | i8 {ns:.1}");
            let words = dim.div_ceil(64);
            let stride = words + 1;
            let records: Vec<u64> = (0..n * stride).map(|_| rng.next()).collect();
            let planes: Vec<u64> = (0..4 * words).map(|_| rng.next()).collect();
            let mut out = vec![0u64; 32];
            let ns = time(ids, &mut |c| {
                k.rabitq_ip_gather(&planes, &records, stride, c, &mut out[..c.len()]);
                sink += out[0] as f64;
            });
            line += &format!(" | 1-bit {ns:.1}");
            for bits in [2u32, 4, 8] {
                let w = 256 / bits as usize;
                let words = 4 * dim.div_ceil(w);
                let stride = words + 2;
                let records: Vec<u64> = (0..n * stride).map(|_| rng.next()).collect();
                let qb: Vec<i8> = (0..dim.div_ceil(w) * w).map(|_| (rng.below(255) as i32 - 127) as i8).collect();
                let mut out = vec![0i32; 32];
                let ns = time(ids, &mut |c| {
                    k.rabitq_ex_gather(bits, &qb, &records, stride, c, &mut out[..c.len()]);
                    sink += out[0] as f64;
                });
                line += &format!(" | {bits}-bit {ns:.1}");
            }
            line += " ns/code;";
        }
        eprintln!("{line} ({sink:.0})");
    }
}
