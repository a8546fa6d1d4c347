use super::*;
use crate::types::schema::Metric;

fn records(c: &Collection, n: usize) {
    let ids: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
    // Floats whose decimal text is long: the round trip must restore the bits.
    let data: Vec<f32> = (0..n).flat_map(|i| [i as f32 / 3.0, 0.1f32 + i as f32 * 1e-7, -f32::MIN_POSITIVE]).collect();
    let docs: Vec<Option<String>> = (0..n).map(|i| (i % 2 == 0).then(|| format!("doc \"{i}\"\n"))).collect();
    let meta: Vec<Metadata> = (0..n)
        .map(|i| {
            let mut m = Metadata::new();
            m.insert("n".into(), Value::Int(i as i64));
            m.insert("tags".into(), Value::List(vec![Value::Str("a".into()), Value::Str("é".into())]));
            m.insert("at".into(), Value::Datetime(1_700_000_000_000_000 + i as i64));
            m
        })
        .collect();
    c.add(&Records { ids: &ids, vectors: Vectors::Flat { data: &data, dim: 3 }, documents: Some(&docs), metadata: Some(&meta) }).unwrap();
}

fn sorted(c: &Collection) -> Vec<(String, Vec<u32>, Option<String>, Metadata, i64)> {
    let g = c.get(None, None, None, 0).unwrap();
    let mut rows: Vec<_> = (0..g.ids.len())
        .map(|i| {
            let bits = g.vectors[i * g.dim..(i + 1) * g.dim].iter().map(|x| x.to_bits()).collect();
            (g.ids[i].clone(), bits, g.documents[i].clone(), g.metadata[i].clone(), g.created_at[i])
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

#[test]
fn export_then_import_restores_every_record_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("a")).unwrap();
    let c = db.create_collection("docs", 3, Metric::L2).unwrap();
    records(&c, 3000);
    c.create_index(crate::index::params::HnswParams::default()).unwrap();
    let file = dir.path().join("docs.jsonl");
    let mut seen = Vec::new();
    let r = db.export_store("docs", None, &file, &mut |done, total| seen.push((done, total))).unwrap();
    assert_eq!((r.kind, r.records), (StoreKind::Collection, 3000));
    assert_eq!(seen.last(), Some(&(3000, 3000)));

    let other = Database::open(dir.path().join("b")).unwrap();
    let r = other.import_store(&file, None, &mut |_, _| {}).unwrap();
    assert_eq!((r.kind, r.name.as_str(), r.records), (StoreKind::Collection, "docs", 3000));
    let back = other.get_collection("docs").unwrap();
    assert_eq!((back.dim(), back.metric()), (3, Metric::L2));
    assert_eq!(back.index_params().unwrap(), c.index_params().unwrap());
    assert_eq!(sorted(&back), sorted(&c));
    // The same file again: the store exists, nothing changes.
    let e = other.import_store(&file, None, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CollectionExists);
    let r = other.import_store(&file, Some("copy"), &mut |_, _| {}).unwrap();
    assert_eq!(r.name, "copy");
    assert_eq!(other.get_collection("copy").unwrap().count(None).unwrap(), 3000);
}

#[test]
fn a_bad_line_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("a")).unwrap();
    let c = db.create_collection("docs", 3, Metric::Cosine).unwrap();
    records(&c, 5000);
    let file = dir.path().join("docs.jsonl");
    db.export_store("docs", Some(StoreKind::Collection), &file, &mut |_, _| {}).unwrap();
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"id\": \"x\", \"vector\": [1, 2]}\n");
    std::fs::write(&file, text).unwrap();
    let other = Database::open(dir.path().join("b")).unwrap();
    let e = other.import_store(&file, None, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DimensionMismatch, "{}", e.message());
    assert!(e.message().contains("line 5002") && e.message().contains("2 values"), "{}", e.message());
    assert!(other.list_collections().unwrap().is_empty(), "the half-imported store was dropped");

    std::fs::write(&file, "{\"format\": \"something else\"}\n").unwrap();
    let e = other.import_store(&file, None, &mut |_, _| {}).unwrap_err();
    assert!(e.message().contains("not an AgentDB export"), "{}", e.message());
    let e = other.export_store("nope", None, &file, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CollectionNotFound);
}
