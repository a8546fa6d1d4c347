use super::*;

#[test]
fn ids_are_uuid_shaped_and_unique() {
    let a = new_id();
    let b = new_id();
    assert_ne!(a, b);
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "7");
}

#[test]
fn score_formula() {
    let w = RecallWeights {
        similarity: 2.0,
        recency: 1.0,
        importance: 0.5,
        half_life_secs: 10.0,
        ..RecallWeights::LINEAR
    };
    assert_eq!(w.recency(0), 1.0);
    assert!((w.recency(10_000_000) - 0.5).abs() < 1e-12);
    assert!((w.recency(20_000_000) - 0.25).abs() < 1e-12);
    assert_eq!(w.recency(-5), 1.0);
    assert!((w.score(Some(0.5), 0.25, 0.8) - (1.0 + 0.25 + 0.4)).abs() < 1e-12);
    assert!((w.score(None, 0.25, 0.8) - 0.65).abs() < 1e-12);
    assert_eq!(similarity(Metric::Cosine, 0.25), 0.75);
    assert_eq!(similarity(Metric::Cosine, 1.5), 0.0);
    assert_eq!(similarity(Metric::L2, 1.0), 0.5);
    assert_eq!(similarity(Metric::Dot, -0.5), 1.0);
}

#[test]
fn relevance_score_formula() {
    let d = RecallWeights::default();
    assert_eq!(d.mode, RecallMode::Relevance);
    assert_eq!((d.similarity, d.recency, d.importance, d.adjust), (1.0, 0.5, 0.5, 0.1));
    assert_eq!(RecallWeights::LINEAR, RecallWeights { mode: RecallMode::Linear, ..d });
    let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} != {b}");
    // The module docs' worked example: similarities 0.90, 0.85, 0.80.
    let n = |s| RecallWeights::normalized(s, 0.80, 0.90);
    close(n(0.90), 1.0);
    close(n(0.85), 0.5);
    close(n(0.80), 0.0);
    let old = d.recency(60 * 86_400 * 1_000_000);
    close(old, 0.5f64.powf(60.0 / 7.0));
    close(d.score(Some(1.0), old, 0.5), 1.0 - 0.1 * (1.0 - (old + 0.5) / 2.0));
    close(d.score(Some(0.5), 1.0, 0.5), 0.4875);
    close(d.score(Some(0.0), 1.0, 1.0), 0.0);
    close(d.score(Some(0.95), 1.0, 0.5), 0.92625);
    // The adjustment stays in [1 − α, 1]; no similarity term: the adjustment alone.
    close(d.adjustment(0.0, 0.0), 0.9);
    close(d.adjustment(1.0, 1.0), 1.0);
    close(d.score(None, 0.0, 0.0), 0.9);
    close(RecallWeights { similarity: 0.0, ..d }.score(Some(0.2), 1.0, 1.0), 1.0);
    // Shares: recency only; both weights 0 (s = 1); α = 0 is similarity alone.
    let rec_only = RecallWeights { importance: 0.0, adjust: 0.5, ..d };
    close(rec_only.score(Some(0.8), 0.5, 0.0), 0.8 * 0.75);
    close(RecallWeights { recency: 0.0, importance: 0.0, ..d }.score(Some(0.3), 0.0, 0.0), 0.3);
    close(RecallWeights { adjust: 0.0, ..d }.score(Some(0.3), 0.0, 0.0), 0.3);
    // Equal similarities normalise to 1; strength is mode-independent.
    close(RecallWeights::normalized(0.7, 0.7, 0.7), 1.0);
    close(d.strength(0.25, 0.8), RecallWeights::LINEAR.strength(0.25, 0.8));
    assert!(RecallWeights { adjust: 1.5, ..d }.validate().is_err());
    assert!(RecallWeights { adjust: f64::NAN, ..d }.validate().is_err());
    assert_eq!("linear".parse::<RecallMode>().unwrap(), RecallMode::Linear);
    assert!("fast".parse::<RecallMode>().is_err());
}

/// A store outlives the database handle it came from, keeps the database open (and locked)
/// while it lives, and closes it when it goes; an explicit close still closes it.
#[test]
fn a_store_keeps_its_database_open() {
    let dir = tempfile::tempdir().unwrap();
    let m = Database::open(dir.path()).unwrap().memory("m", Some(2), None).unwrap();
    let copy = m.clone();
    m.remember(&[NewMemory { text: Some("kept".into()), ..NewMemory::new("a") }], Vectors::Flat { data: &[1.0, 0.0], dim: 2 })
        .unwrap();
    assert_eq!(Database::open(dir.path()).err().map(|e| e.kind()), Some(ErrorKind::DatabaseLocked));
    drop(m);
    assert_eq!(copy.count(&MemoryFilter::default()).unwrap(), 1);
    drop(copy);
    let db = Database::open(dir.path()).unwrap();
    let m = db.memory("m", None, None).unwrap();
    assert_eq!(m.count(&MemoryFilter::default()).unwrap(), 1);
    db.close();
    assert_eq!(m.count(&MemoryFilter::default()).unwrap_err().kind(), ErrorKind::Closed);
    Database::open(dir.path()).unwrap();
}
