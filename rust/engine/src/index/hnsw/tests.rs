use super::*;

/// `n × dim` pseudo-random values in [-0.5, 0.5) (xorshift): test data, also for the mirror's tests.
pub(crate) fn data(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n * dim)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 10_000) as f32 / 10_000.0 - 0.5
        })
        .collect()
}

fn recall(h: &Hnsw, points: &Points<'_>, queries: &[f32], k: usize) -> f64 {
    let dim = points.dim;
    let n = points.len();
    let mut hits = 0;
    for q in queries.chunks(dim) {
        let mut exact: Vec<Scored> = (0..n as u32).map(|i| Scored(kernels::l2_f32(q, points.row(i)), i)).collect();
        exact.sort_unstable();
        let want: std::collections::HashSet<u32> = exact[..k].iter().map(|s| s.1).collect();
        let got = h.search(points, q, k, 64, |_| true);
        assert_eq!(got.len(), k);
        assert!(got.windows(2).all(|w| w[0] <= w[1]));
        hits += got.iter().filter(|s| want.contains(&s.1)).count();
    }
    hits as f64 / (queries.len() / dim * k) as f64
}

#[test]
fn keys_order_like_distances() {
    let ds = [-3.5f32, -0.0, 0.0, 1e-30, 0.5, 1.0, 7.25, f32::INFINITY];
    for w in ds.windows(2) {
        assert!(key(w[0], 9) < key(w[1], 0), "{} {}", w[0], w[1]);
    }
    for &d in &ds {
        assert_eq!(key_dist(key(d, 3)).to_bits(), d.to_bits());
        assert_eq!(key_node(key(d, 3)), 3);
    }
}

#[test]
fn recall_against_brute_force() {
    let (n, dim) = (3000, 16);
    let pts = data(n, dim, 7);
    let points = Points { data: &pts, dim, metric: kernels::Metric::L2 };
    let mut h = Hnsw::new(HnswParams { m: 12, ef_construction: 100, quantization: Quantization::None });
    h.add_rows(&points, 1);
    let r = recall(&h, &points, &data(50, dim, 99), 10);
    assert!(r >= 0.95, "recall {r}");
}

#[test]
fn parallel_build_and_incremental_inserts_keep_recall() {
    let (n, dim) = (12_000, 16);
    let pts = data(n, dim, 5);
    let mut h = Hnsw::new(HnswParams { m: 12, ef_construction: 100, quantization: Quantization::None });
    // Most rows in one parallel batch, then a few small batches on one thread.
    h.add_rows(&Points { data: &pts[..10_000 * dim], dim, metric: kernels::Metric::L2 }, 4);
    for end in [10_500, 11_000, n] {
        h.add_rows(&Points { data: &pts[..end * dim], dim, metric: kernels::Metric::L2 }, 4);
    }
    let points = Points { data: &pts, dim, metric: kernels::Metric::L2 };
    assert_eq!(h.len(), n);
    let r = recall(&h, &points, &data(50, dim, 98), 10);
    assert!(r >= 0.95, "recall {r}");
}

#[test]
fn int8_walk_with_f32_rerank_keeps_recall() {
    let (n, dim) = (3000, 16);
    let pts = data(n, dim, 8);
    let points = Points { data: &pts, dim, metric: kernels::Metric::L2 };
    let mut h = Hnsw::new(HnswParams { m: 12, ef_construction: 100, quantization: Quantization::Int8 });
    h.add_rows(&points, 1);
    assert!(h.int8_scale().is_some());
    let r = recall(&h, &points, &data(50, dim, 97), 10);
    assert!(r >= 0.9, "recall {r}");
    // Re-ranked distances are the exact f32 ones.
    let q = &pts[..dim];
    let got = h.search(&points, q, 5, 64, |_| true);
    assert_eq!(got[0].1, 0);
    assert_eq!(got[0].0, 0.0);
}

#[test]
fn from_parts_round_trips_and_rejects_inconsistent_parts() {
    let (n, dim) = (800, 8);
    let pts = data(n, dim, 4);
    let points = Points { data: &pts, dim, metric: kernels::Metric::L2 };
    let params = HnswParams { m: 8, ef_construction: 50, quantization: Quantization::Int8 };
    let mut h = Hnsw::new(params);
    h.add_rows(&points, 1);
    let parts = |h: &Hnsw| -> Vec<Vec<Vec<u32>>> {
        (0..h.len() as u32).map(|i| (0..h.levels(i)).map(|l| h.links(i, l)).collect()).collect()
    };
    let nodes = parts(&h);
    let back = Hnsw::from_parts(params, h.entry(), nodes.clone(), h.int8_scale(), &points).unwrap();
    assert_eq!(parts(&back), nodes);
    assert_eq!(back.entry(), h.entry());
    assert_eq!(back.quant.as_ref().unwrap().1, h.quant.as_ref().unwrap().1);
    let q = &pts[3 * dim..4 * dim];
    assert_eq!(back.search(&points, q, 10, 40, |_| true), h.search(&points, q, 10, 40, |_| true));
    let mut bad = nodes.clone();
    bad[1][0].push(n as u32);
    assert!(Hnsw::from_parts(params, h.entry(), bad, h.int8_scale(), &points).is_none());
    assert!(Hnsw::from_parts(params, h.entry(), nodes.clone(), None, &points).is_none());
    let low = (0..n as u32).find(|&i| h.levels(i) == 1).unwrap();
    if h.levels(h.entry().unwrap()) > 1 {
        assert!(Hnsw::from_parts(params, Some(low), nodes, h.int8_scale(), &points).is_none());
    }
}

#[test]
fn rejected_nodes_are_never_returned() {
    let (n, dim) = (500, 8);
    let pts = data(n, dim, 3);
    let points = Points { data: &pts, dim, metric: kernels::Metric::L2 };
    let mut h = Hnsw::new(HnswParams::default());
    h.add_rows(&points, 1);
    let got = h.search(&points, points.row(0), 20, 50, |i| i % 2 == 1);
    assert_eq!(got.len(), 20);
    assert!(got.iter().all(|s| s.1 % 2 == 1));
}
