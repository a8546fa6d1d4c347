//! The HNSW index through the engine API: recall against exact search, writes kept current,
//! deletes never returned, filtered search, persistence, and damaged or stale index files.

use agentdb_engine::{Database, ErrorKind, Filter, HnswParams, Metadata, Metric, Records, SearchOptions, Value, Vectors};

fn points(n: usize, dim: usize, seed: u64) -> Vec<f32> {
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

fn fill(c: &agentdb_engine::Collection, n: usize, dim: usize) -> Vec<f32> {
    let data = points(n, dim, 11);
    let ids: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
    let meta: Vec<Metadata> = (0..n).map(|i| Metadata::from([("bucket".to_string(), Value::Int((i % 100) as i64))])).collect();
    c.add(&Records { ids: &ids, vectors: Vectors::Flat { data: &data, dim }, documents: None, metadata: Some(&meta) }).unwrap();
    data
}

fn recall(c: &agentdb_engine::Collection, queries: &[f32], dim: usize, k: usize, filter: Option<&Filter>) -> f64 {
    let exact = SearchOptions { exact: true, ..Default::default() };
    let approx = SearchOptions { ef: Some(128), ..Default::default() };
    let mut hits = 0;
    let mut total = 0;
    for q in queries.chunks(dim) {
        let want = c.search_with(q, k, filter, &exact).unwrap().ids;
        let got = c.search_with(q, k, filter, &approx).unwrap().ids;
        total += want.len();
        hits += got.iter().filter(|id| want.contains(id)).count();
    }
    hits as f64 / total as f64
}

#[test]
fn hnsw_recall_writes_and_persistence() {
    let dir = tempfile::tempdir().unwrap();
    let (n, dim, k) = (4000, 24, 10);
    let queries = points(40, dim, 777);
    {
        let db = Database::open(dir.path()).unwrap();
        let c = db.create_collection("v", dim, Metric::Cosine).unwrap();
        fill(&c, n, dim);
        assert_eq!(c.index_params().unwrap(), None);
        let params = HnswParams { m: 16, ef_construction: 100 };
        c.create_index(params).unwrap();
        assert_eq!(c.index_params().unwrap(), Some(params));
        assert!(recall(&c, &queries, dim, k, None) >= 0.95);

        // Deleted records are never returned; upserted ones are found at their new place.
        let top = c.search(&queries[..dim], k, None).unwrap().ids;
        c.delete(Some(&top[..3]), None).unwrap();
        let after = c.search(&queries[..dim], k, None).unwrap().ids;
        assert!(top[..3].iter().all(|id| !after.contains(id)));
        let moved = vec!["r5".to_string()];
        c.upsert(&Records { ids: &moved, vectors: Vectors::Flat { data: &queries[dim..2 * dim], dim }, documents: None, metadata: None })
            .unwrap();
        let hit = c.search(&queries[dim..2 * dim], 1, None).unwrap();
        assert_eq!(hit.ids, moved);
        assert!(hit.distances[0] < 1e-5);

        // Filters: a broad one walks the graph, a narrow one (1%) scans exactly.
        let broad = Filter::from_json(r#"{"bucket": {"$lt": 50}}"#).unwrap();
        assert!(recall(&c, &queries, dim, k, Some(&broad)) >= 0.95);
        let narrow = Filter::from_json(r#"{"bucket": 7}"#).unwrap();
        assert_eq!(recall(&c, &queries, dim, k, Some(&narrow)), 1.0);
        for id in c.search(&queries[..dim], k, Some(&narrow)).unwrap().ids {
            let i: usize = id[1..].parse().unwrap();
            assert_eq!(i % 100, 7);
        }
        db.close();
    }
    let index_file = dir.path().join("_agentdb").join("v.hnsw");
    assert!(index_file.exists());
    let saved = std::fs::read(&index_file).unwrap();
    {
        // Reopened: the saved index is used (same answers as before closing).
        let db = Database::open(dir.path()).unwrap();
        let c = db.get_collection("v").unwrap();
        assert!(recall(&c, &queries, dim, k, None) >= 0.95);
        assert_eq!(std::fs::read(&index_file).unwrap(), saved, "a fresh index file is not rewritten");
        db.close();
    }
    // A damaged file is detected by its checksum and rebuilt, never trusted.
    let mut damaged = saved.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0xFF;
    std::fs::write(&index_file, &damaged).unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let c = db.get_collection("v").unwrap();
        assert!(recall(&c, &queries, dim, k, None) >= 0.95);
        assert_ne!(std::fs::read(&index_file).unwrap(), damaged);
        // Writes without a clean close leave the file stale (older Lance version): rebuilt too.
        let extra = vec!["extra".to_string()];
        c.add(&Records { ids: &extra, vectors: Vectors::Flat { data: &queries[..dim], dim }, documents: None, metadata: None }).unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    let c = db.get_collection("v").unwrap();
    assert_eq!(c.search(&queries[..dim], 1, None).unwrap().ids, vec!["extra".to_string()]);
    c.drop_index().unwrap();
    assert_eq!(c.index_params().unwrap(), None);
    assert!(!index_file.exists());
    assert_eq!(c.search(&queries[..dim], 1, None).unwrap().ids, vec!["extra".to_string()]);
}

#[test]
fn bad_index_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let c = db.create_collection("v", 4, Metric::L2).unwrap();
    for p in [HnswParams { m: 1, ef_construction: 10 }, HnswParams { m: 16, ef_construction: 0 }] {
        assert_eq!(c.create_index(p).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
    let bad_ef = SearchOptions { ef: Some(0), ..Default::default() };
    assert_eq!(c.search_with(&[0.0; 4], 1, None, &bad_ef).unwrap_err().kind(), ErrorKind::InvalidArgument);
    // An index on an empty collection grows with the writes.
    c.create_index(HnswParams::default()).unwrap();
    let ids: Vec<String> = (0..50).map(|i| i.to_string()).collect();
    let data = points(50, 4, 5);
    c.add(&Records { ids: &ids, vectors: Vectors::Flat { data: &data, dim: 4 }, documents: None, metadata: None }).unwrap();
    assert_eq!(c.search(&data[8..12], 1, None).unwrap().ids, vec!["2".to_string()]);
}
