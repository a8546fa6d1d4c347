//! Edge cases (overflow, zeros, NaN, empty and mismatched shapes), random properties, the SIMD
//! f16 widening and huge pages.

use super::*;

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
