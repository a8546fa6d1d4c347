//! The vector indexes through the engine API: recall against exact search, writes kept current,
//! deletes never returned, filtered search, persistence, damaged, stale or old-format index
//! files; HNSW with int8 quantization (its f32 rows in a mapped cache file); Lance's IVF_PQ with
//! nprobes / refine_factor.

use agentdb_engine::{
    Database, ErrorKind, Filter, HnswParams, IndexOptions, IndexParams, IvfPqParams, Metadata, Metric, OpenOptions, Quantization,
    Records, SearchOptions, Value, Vectors,
};

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
        let params = HnswParams { m: 16, ef_construction: 100, quantization: Quantization::None };
        c.create_index(params).unwrap();
        assert_eq!(c.index_params().unwrap(), Some(IndexParams::Hnsw(params)));
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
    for p in [HnswParams { m: 1, ef_construction: 10, ..Default::default() }, HnswParams { m: 16, ef_construction: 0, ..Default::default() }] {
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

/// `n` points around `centres` seeded centres (a clustered set, like real embeddings).
fn clustered(n: usize, dim: usize, centres: usize, seed: u64) -> Vec<f32> {
    let c = points(centres, dim, seed);
    let noise = points(n, dim, seed + 1);
    (0..n * dim).map(|i| 4.0 * c[(i / dim % centres) * dim + i % dim] + noise[i]).collect()
}

fn add_plain(c: &agentdb_engine::Collection, data: &[f32], dim: usize, first: usize) {
    let ids: Vec<String> = (first..first + data.len() / dim).map(|i| format!("r{i}")).collect();
    c.add(&Records { ids: &ids, vectors: Vectors::Flat { data, dim }, documents: None, metadata: None }).unwrap();
}

/// Recall@k of `opts` against the exact search, and the largest distance difference of the hits
/// both found.
fn recall_with(c: &agentdb_engine::Collection, queries: &[f32], dim: usize, k: usize, opts: &SearchOptions) -> (f64, f32) {
    let exact = SearchOptions { exact: true, ..Default::default() };
    let (mut hits, mut total, mut worst) = (0, 0, 0f32);
    for q in queries.chunks(dim) {
        let want = c.search_with(q, k, None, &exact).unwrap();
        let got = c.search_with(q, k, None, opts).unwrap();
        assert!(got.distances.windows(2).all(|w| w[0] <= w[1]));
        total += want.ids.len();
        for (id, d) in got.ids.iter().zip(&got.distances) {
            if let Some(j) = want.ids.iter().position(|w| w == id) {
                hits += 1;
                worst = worst.max((want.distances[j] - d).abs());
            }
        }
    }
    (hits as f64 / total as f64, worst)
}

/// FNV-1a, the index file's checksum (to forge a file of another format version).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

#[test]
fn int8_hnsw_recall_persistence_and_old_format_files() {
    let dir = tempfile::tempdir().unwrap();
    let (n, dim, k) = (5000, 32, 10);
    let data = clustered(n, dim, 40, 21);
    let queries = clustered(40, dim, 40, 21).iter().zip(points(40, dim, 5)).map(|(a, b)| a + 0.5 * b).collect::<Vec<f32>>();
    let approx = SearchOptions { ef: Some(64), ..Default::default() };
    let params = IndexParams::from_options("hnsw", &IndexOptions { quantization: Some("int8"), ..Default::default() }).unwrap();
    assert_eq!(params, IndexParams::Hnsw(HnswParams { quantization: Quantization::Int8, ..Default::default() }));
    let before;
    {
        let db = Database::open(dir.path()).unwrap();
        let c = db.create_collection("q", dim, Metric::L2).unwrap();
        add_plain(&c, &data[..(n - 500) * dim], dim, 0);
        c.create_index(params).unwrap();
        // Rows added after the build are quantized with the build's scale.
        add_plain(&c, &data[(n - 500) * dim..], dim, n - 500);
        assert_eq!(c.index_params().unwrap(), Some(params));
        let (r, worst) = recall_with(&c, &queries, dim, k, &approx);
        assert!(r >= 0.9, "int8 recall {r}");
        // The reported distances are the exact f32 ones (re-ranked), not the int8 estimates.
        assert!(worst < 1e-3, "distance error {worst}");
        before = (0..10).map(|i| c.search_with(&queries[i * dim..(i + 1) * dim], k, None, &approx).unwrap()).collect::<Vec<_>>();
        db.close();
    }
    let file = dir.path().join("_agentdb").join("q.hnsw");
    let saved = std::fs::read(&file).unwrap();
    assert_eq!(&saved[..8], b"AGDBHNS3");
    {
        // Reopened from the file: identical answers, the file is not rewritten.
        let db = Database::open(dir.path()).unwrap();
        let c = db.get_collection("q").unwrap();
        let after = (0..10).map(|i| c.search_with(&queries[i * dim..(i + 1) * dim], k, None, &approx).unwrap()).collect::<Vec<_>>();
        for (a, b) in before.iter().zip(&after) {
            assert_eq!(a.ids, b.ids);
            assert_eq!(a.distances, b.distances);
        }
        assert_eq!(std::fs::read(&file).unwrap(), saved);
        db.close();
    }
    // A file of the previous format (magic AGDBHNS1) with a valid checksum is not misread as
    // this one: it is stale, and rebuilt.
    let mut old = saved[..saved.len() - 8].to_vec();
    old[..8].copy_from_slice(b"AGDBHNS1");
    let sum = fnv1a(&old);
    old.extend_from_slice(&sum.to_le_bytes());
    std::fs::write(&file, &old).unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let c = db.get_collection("q").unwrap();
        let (r, _) = recall_with(&c, &queries, dim, k, &approx);
        assert!(r >= 0.9, "rebuilt int8 recall {r}");
        assert_eq!(&std::fs::read(&file).unwrap()[..8], b"AGDBHNS3");
        db.close();
    }
    // A parameters file from before index kinds existed still means HNSW (f32).
    std::fs::write(dir.path().join("_agentdb").join("q.index.json"), r#"{"m": 8, "ef_construction": 40}"#).unwrap();
    let db = Database::open(dir.path()).unwrap();
    let c = db.get_collection("q").unwrap();
    assert_eq!(c.index_params().unwrap(), Some(IndexParams::Hnsw(HnswParams { m: 8, ef_construction: 40, quantization: Quantization::None })));
    let (r, _) = recall_with(&c, &queries, dim, k, &approx);
    assert!(r >= 0.9, "rebuilt f32 recall {r}");
}

#[test]
fn int8_rows_live_in_a_cache_file_while_the_index_does() {
    let dir = tempfile::tempdir().unwrap();
    let (n, dim, k) = (3000, 16, 10);
    let data = clustered(n, dim, 30, 41);
    let queries = points(10, dim, 8);
    let rows_file = dir.path().join("_agentdb").join("q.vectors.f32");
    let int8 = HnswParams { quantization: Quantization::Int8, ..Default::default() };
    let exact = SearchOptions { exact: true, ..Default::default() };
    let answers = |c: &agentdb_engine::Collection, opts: &SearchOptions| -> Vec<(Vec<String>, Vec<f32>)> {
        queries
            .chunks(dim)
            .map(|q| c.search_with(q, k, None, opts).unwrap())
            .map(|r| (r.ids, r.distances))
            .collect()
    };
    let in_ram;
    {
        let db = Database::open(dir.path()).unwrap();
        let c = db.create_collection("q", dim, Metric::Cosine).unwrap();
        add_plain(&c, &data, dim, 0);
        in_ram = answers(&c, &exact);
        assert!(!rows_file.exists());
        c.create_index(int8).unwrap();
        assert!(std::fs::metadata(&rows_file).unwrap().len() >= (n * dim * 4) as u64);
        assert_eq!(answers(&c, &exact), in_ram, "an exact scan of the mapped rows");
        // A non-quantized index keeps its rows in RAM; dropping the index too.
        c.create_index(HnswParams::default()).unwrap();
        assert!(!rows_file.exists());
        c.create_index(int8).unwrap();
        assert!(rows_file.exists());
        c.drop_index().unwrap();
        assert!(!rows_file.exists());
        assert_eq!(answers(&c, &exact), in_ram);
        c.create_index(int8).unwrap();
        db.close();
    }
    let approx = SearchOptions { ef: Some(64), ..Default::default() };
    {
        // Reopened from the saved index: the rows are loaded into the file.
        let db = Database::open(dir.path()).unwrap();
        let c = db.get_collection("q").unwrap();
        assert_eq!(answers(&c, &exact), in_ram);
        assert!(rows_file.exists());
        let (r, worst) = recall_with(&c, &queries, dim, k, &approx);
        assert!(r >= 0.9 && worst < 1e-3, "recall {r}, distance error {worst}");
        db.close();
    }
    // A read-only database never writes the writer's cache file: its rows stay in RAM.
    {
        let ro = Database::open_with(dir.path(), OpenOptions { read_only: true, ..Default::default() }).unwrap();
        let c = ro.get_collection("q").unwrap();
        assert_eq!(answers(&c, &exact), in_ram);
        assert!(!rows_file.exists());
    }
    // Rebuilt from Lance (no saved index), over a leftover file of a crash, which is replaced.
    std::fs::remove_file(dir.path().join("_agentdb").join("q.hnsw")).unwrap();
    std::fs::write(&rows_file, vec![0xffu8; 4096]).unwrap();
    let db = Database::open(dir.path()).unwrap();
    let c = db.get_collection("q").unwrap();
    assert_eq!(answers(&c, &exact), in_ram);
    let (r, worst) = recall_with(&c, &queries, dim, k, &approx);
    assert!(r >= 0.9 && worst < 1e-3, "recall {r}, distance error {worst}");
    assert!(std::fs::metadata(&rows_file).unwrap().len() >= (n * dim * 4) as u64);
    db.drop_collection("q").unwrap();
    assert!(!rows_file.exists());
}

#[test]
fn ivf_pq_through_lance() {
    let dir = tempfile::tempdir().unwrap();
    let (n, dim, k) = (3000, 16, 10);
    let data = clustered(n, dim, 30, 31);
    let queries: Vec<f32> = data[..20 * dim].iter().zip(points(20, dim, 6)).map(|(a, b)| a + 0.3 * b).collect();
    let db = Database::open(dir.path()).unwrap();
    let c = db.create_collection("p", dim, Metric::Cosine).unwrap();
    add_plain(&c, &data[..200 * dim], dim, 0);
    // Too few records to train on; options of another kind; sub_vectors not dividing dim.
    assert_eq!(c.create_index(IvfPqParams::default()).unwrap_err().kind(), ErrorKind::InvalidArgument);
    for (kind, o) in [
        ("ivf_pq", IndexOptions { m: Some(8), ..Default::default() }),
        ("hnsw", IndexOptions { partitions: Some(8), ..Default::default() }),
        ("flat", IndexOptions::default()),
    ] {
        assert_eq!(IndexParams::from_options(kind, &o).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
    assert_eq!(c.create_index(IvfPqParams { partitions: 0, sub_vectors: 5 }).unwrap_err().kind(), ErrorKind::InvalidArgument);
    add_plain(&c, &data[200 * dim..], dim, 200);
    assert_eq!(c.index_params().unwrap(), None);

    let params = IvfPqParams { partitions: 16, sub_vectors: 4 };
    c.create_index(params).unwrap();
    assert_eq!(c.index_params().unwrap(), Some(IndexParams::IvfPq(params)));
    // Every partition probed and a wide re-rank: the exact neighbours, at the exact distances.
    let full = SearchOptions { nprobes: Some(16), refine_factor: Some(50), ..Default::default() };
    let (r, worst) = recall_with(&c, &queries, dim, k, &full);
    assert!(r >= 0.99, "ivf_pq recall {r}");
    assert!(worst < 1e-4, "distance error {worst}");
    // Fewer probes, no re-rank: still a useful answer.
    let (r, _) = recall_with(&c, &queries, dim, k, &SearchOptions { nprobes: Some(4), ..Default::default() });
    assert!(r >= 0.5, "ivf_pq recall at 4 probes {r}");
    // Out-of-range options.
    for bad in [SearchOptions { nprobes: Some(0), ..Default::default() }, SearchOptions { refine_factor: Some(0), ..Default::default() }] {
        assert_eq!(c.search_with(&queries[..dim], k, None, &bad).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
    // Documents and metadata come back; ids_only skips them; filters apply.
    let docs = vec![Some("the doc".to_string())];
    let meta = vec![Metadata::from([("tag".to_string(), Value::Str("x".into()))])];
    let new = vec!["new".to_string()];
    let far: Vec<f32> = (0..dim).map(|i| if i == 3 { 1.0 } else { 0.0 }).collect();
    c.add(&Records { ids: &new, vectors: Vectors::Flat { data: &far, dim }, documents: Some(&docs), metadata: Some(&meta) }).unwrap();
    // A record added after the build is found (Lance scans rows its index does not cover yet).
    let hit = c.search_with(&far, 1, None, &full).unwrap();
    assert_eq!(hit.ids, new);
    assert!(hit.distances[0] < 1e-5);
    assert_eq!(hit.documents, docs);
    assert_eq!(hit.metadata, meta);
    let ids_only = c.search_with(&far, 1, None, &SearchOptions { include: agentdb_engine::Include::NONE, ..full }).unwrap();
    assert_eq!((ids_only.ids, ids_only.documents), (new.clone(), vec![None]));
    let only_x = Filter::from_json(r#"{"tag": "x"}"#).unwrap();
    assert_eq!(c.search_with(&queries[..dim], 5, Some(&only_x), &full).unwrap().ids, new);
    // Deleted records are never returned.
    c.delete(Some(&new), None).unwrap();
    assert!(!c.search_with(&far, 5, None, &full).unwrap().ids.contains(&"new".to_string()));
    db.close();

    // Reopened: still IVF_PQ (Lance keeps the index); replaced by HNSW, then dropped.
    let db = Database::open(dir.path()).unwrap();
    let c = db.get_collection("p").unwrap();
    assert_eq!(c.index_params().unwrap(), Some(IndexParams::IvfPq(params)));
    assert!(recall_with(&c, &queries, dim, k, &full).0 >= 0.99);
    c.create_index(HnswParams::default()).unwrap();
    assert!(recall_with(&c, &queries, dim, k, &SearchOptions { ef: Some(64), ..Default::default() }).0 >= 0.95);
    c.create_index(params).unwrap();
    c.drop_index().unwrap();
    assert_eq!(c.index_params().unwrap(), None);
    assert_eq!(recall_with(&c, &queries, dim, k, &full).0, 1.0);
}
