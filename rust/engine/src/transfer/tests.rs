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

/// The Parquet encoding holds what the JSONL one holds: the same store comes back bit for bit,
/// a memory store's hidden fields included, and either file imports whatever its name.
#[test]
fn parquet_export_then_import_restores_every_record_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("a")).unwrap();
    let c = db.create_collection("docs", 3, Metric::L2).unwrap();
    records(&c, 5000);
    c.create_index(crate::index::params::HnswParams::default()).unwrap();
    let file = dir.path().join("docs.PARQUET");
    let mut seen = Vec::new();
    let r = db.export_store("docs", None, &file, &mut |done, total| seen.push((done, total))).unwrap();
    assert_eq!(r.records, 5000);
    assert_eq!(seen.last(), Some(&(5000, 5000)));
    assert_eq!(&std::fs::read(&file).unwrap()[..4], b"PAR1");

    let other = Database::open(dir.path().join("b")).unwrap();
    let r = other.import_store(&file, None, &mut |_, _| {}).unwrap();
    assert_eq!((r.kind, r.name.as_str(), r.records), (StoreKind::Collection, "docs", 5000));
    let back = other.get_collection("docs").unwrap();
    assert_eq!(back.index_params().unwrap(), c.index_params().unwrap());
    assert_eq!(sorted(&back), sorted(&c));
    // Told apart by content: a Parquet export under another name still imports.
    let renamed = dir.path().join("docs.export");
    std::fs::copy(&file, &renamed).unwrap();
    other.import_store(&renamed, Some("copy"), &mut |_, _| {}).unwrap();
    assert_eq!(sorted(&other.get_collection("copy").unwrap()), sorted(&c));

    // A memory store: its hidden collection's rows, fields and all.
    let m = db.memory("notes", Some(3), None).unwrap();
    let item = crate::memory::NewMemory { text: Some("kept".into()), importance: 0.75, ..crate::memory::NewMemory::new("ada") };
    m.remember(&[item], Vectors::Flat { data: &[0.25, 0.5, 1.0], dim: 3 }).unwrap();
    m.flush().unwrap();
    let mfile = dir.path().join("notes.parquet");
    assert_eq!(db.export_store("notes", Some(StoreKind::Memory), &mfile, &mut |_, _| {}).unwrap().records, 1);
    let r = other.import_store(&mfile, None, &mut |_, _| {}).unwrap();
    assert_eq!((r.kind, r.records), (StoreKind::Memory, 1));
    let table = StoreKind::Memory.table_name("notes");
    assert_eq!(sorted(&other.get_collection_any(&table).unwrap()), sorted(&db.get_collection_any(&table).unwrap()));
}

/// A Parquet file that is not an export, or is damaged, is refused and leaves nothing behind.
#[test]
fn a_bad_parquet_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("a")).unwrap();
    let c = db.create_collection("docs", 3, Metric::Cosine).unwrap();
    records(&c, 3000);
    let file = dir.path().join("docs.parquet");
    db.export_store("docs", None, &file, &mut |_, _| {}).unwrap();
    let other = Database::open(dir.path().join("b")).unwrap();

    // Cut short: the footer is gone.
    let bytes = std::fs::read(&file).unwrap();
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = other.import_store(&cut, None, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{}", e.message());
    assert!(e.message().contains("not a readable Parquet file"), "{}", e.message());

    // A Parquet file another program wrote (no export header).
    use arrow_array::{Int64Array, RecordBatch};
    use arrow_schema::{DataType, Field, Schema};
    let schema = std::sync::Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
    let batch = RecordBatch::try_new(schema.clone(), vec![std::sync::Arc::new(Int64Array::from(vec![1, 2]))]).unwrap();
    let foreign = dir.path().join("foreign.parquet");
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&foreign).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let e = other.import_store(&foreign, None, &mut |_, _| {}).unwrap_err();
    assert!(e.message().contains("not an AgentDB export"), "{}", e.message());
    assert!(other.list_collections().unwrap().is_empty());
}

/// A table written by LanceDB itself, with its own column names and types, becomes a collection.
#[test]
fn a_lancedb_table_is_imported() {
    use arrow_array::types::Float32Type;
    use arrow_array::{FixedSizeListArray, Float64Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    use crate::storage::runtime::block_on;

    let dir = tempfile::tempdir().unwrap();
    let lance_dir = dir.path().join("lance");
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("emb", DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, true)), 3), true),
        Field::new("body", DataType::Utf8, true),
        Field::new("year", DataType::Int64, true),
        Field::new("score", DataType::Float64, true),
    ]));
    let n = 2500usize;
    let vectors: Vec<Option<Vec<Option<f32>>>> = (0..n).map(|i| Some(vec![Some(i as f32 / 7.0), Some(0.5), Some(-1.0)])).collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(0..n as i64)),
            Arc::new(FixedSizeListArray::from_iter_primitive::<Float32Type, _, _>(vectors, 3)),
            Arc::new(StringArray::from_iter((0..n).map(|i| (i % 2 == 0).then(|| format!("body {i}"))))),
            Arc::new(Int64Array::from_iter_values((0..n as i64).map(|i| 2000 + i % 25))),
            Arc::new(Float64Array::from_iter_values((0..n).map(|i| i as f64 * 0.1))),
        ],
    )
    .unwrap();
    let conn = block_on(lancedb::connect(lance_dir.to_str().unwrap()).execute()).unwrap();
    block_on(conn.create_table("papers", batch).execute()).unwrap();

    let db = Database::open(dir.path().join("db")).unwrap();
    let mut opts = LanceImport::new(lance_dir.to_str().unwrap(), "papers");
    opts.vector_column = "emb".into();
    opts.text_column = Some("body".into());
    opts.metric = Metric::L2;
    let r = db.import_lance_table(&opts, &mut |_, _| {}).unwrap();
    assert_eq!((r.name.as_str(), r.records), ("papers", n as u64));
    let c = db.get_collection("papers").unwrap();
    let g = c.get(Some(&["7".to_owned(), "8".to_owned()]), None, None, 0).unwrap();
    assert_eq!(g.ids, ["7", "8"]);
    assert_eq!(g.vectors[0].to_bits(), (7.0f32 / 7.0).to_bits());
    assert_eq!(g.documents, [None, Some("body 8".to_owned())]);
    assert_eq!(g.metadata[1].get("year"), Some(&Value::Int(2008)));
    assert_eq!(g.metadata[1].get("score"), Some(&Value::Float(8.0 * 0.1)));

    // A missing column or table is refused, and nothing is created.
    let mut bad = LanceImport::new(lance_dir.to_str().unwrap(), "papers");
    bad.name = Some("other".into());
    let e = db.import_lance_table(&bad, &mut |_, _| {}).unwrap_err();
    assert!(e.message().contains("no column 'vector'"), "{}", e.message());
    let e = db.import_lance_table(&LanceImport::new(lance_dir.to_str().unwrap(), "nope"), &mut |_, _| {}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CollectionNotFound);
    assert_eq!(db.list_collections().unwrap(), ["papers"]);
}
