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

/// The agent state comes back exactly: every version with its number, value text and times
/// (tombstones, TTLs, session TTLs), checkpoints with their payloads (those already flushed to
/// Lance too) and pending writes; time travel answers the same.
#[test]
fn the_agent_state_round_trips_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (db, file) = state_round_trip(dir.path(), "state.jsonl");
    let third = Database::open(dir.path().join("c")).unwrap();
    // A bad record: refused with its place, and what came before it is gone again.
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"op\": \"put\", \"agent_id\": \"zed\", \"session_id\": \"s\", \"key\": \"k\", \"version\": 0}\n");
    std::fs::write(&file, text).unwrap();
    let e = third.import_store(&file, None, &mut |_, _| {}).unwrap_err();
    assert!(e.message().contains("version, from 1") && e.message().contains("line 2"), "{}", e.message());
    assert!(third.state().unwrap().is_empty().unwrap());
    drop(db);
}

#[test]
fn the_agent_state_round_trips_exactly_through_parquet() {
    use arrow_array::cast::AsArray;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let dir = tempfile::tempdir().unwrap();
    let (db, file) = state_round_trip(dir.path(), "state.parquet");
    assert!(parquet_file::is_parquet_file(&file).unwrap());
    // One table: a row per operation, payloads as binary, the union of the fields as columns.
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).unwrap()).unwrap().build().unwrap();
    let batches: Vec<arrow_array::RecordBatch> = reader.map(|b| b.unwrap()).collect();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 10);
    let b = &batches[0];
    assert_eq!(b.schema().fields().len(), 22);
    let ops = b.column_by_name("op").unwrap().as_string::<i32>();
    let cp = b.column_by_name("checkpoint").unwrap().as_binary::<i32>();
    let row = (0..b.num_rows()).find(|&i| ops.value(i) == "checkpoint" && cp.value(i).len() == 5000).expect("c1's row");
    assert_eq!(cp.value(row), (0..=255u8).cycle().take(5000).collect::<Vec<u8>>().as_slice());
    assert!(b.column_by_name("agent_id").unwrap().is_null(row));
    let third = Database::open(dir.path().join("c")).unwrap();

    // A bad row: refused with its place, and the batch before it is gone again.
    let mut ops_json = db.state().unwrap().export_ops().unwrap();
    ops_json.push(serde_json::json!({"op": "put", "agent_id": "zed", "session_id": "s", "key": "k", "version": 0, "written_at_us": 1}));
    let bad = dir.path().join("bad.parquet");
    let header = serde_json::json!({"format": EXPORT_FORMAT, "format_version": EXPORT_FORMAT_VERSION, "kind": "state", "name": "state", "records": 11});
    state_parquet::write(std::fs::File::create(&bad).unwrap(), &bad, &header, &ops_json, &mut |_, _| {}).unwrap();
    let e = third.import_store(&bad, None, &mut |_, _| {}).unwrap_err();
    assert!(e.message().contains("version, from 1") && e.message().contains("row 1"), "{}", e.message());
    assert!(third.state().unwrap().is_empty().unwrap());
    // A damaged file (cut short) and a Parquet file that is not an export: refused, nothing kept.
    let bytes = std::fs::read(&file).unwrap();
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = third.import_store(&cut, None, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{}", e.message());
    let foreign = dir.path().join("foreign.parquet");
    let plain = arrow_array::RecordBatch::try_from_iter([("op", std::sync::Arc::new(arrow_array::StringArray::from(vec!["put"])) as _)]).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&foreign).unwrap(), plain.schema(), None).unwrap();
    w.write(&plain).unwrap();
    w.close().unwrap();
    let e = third.import_store(&foreign, None, &mut |_, _| {}).unwrap_err();
    assert!(e.message().contains("not an AgentDB export"), "{}", e.message());
    // A state header over a table without the operations' column.
    let other_table = dir.path().join("coll.parquet");
    let kv = parquet::file::metadata::KeyValue::new(parquet_file::HEADER_KEY.to_owned(), header.to_string());
    let props = parquet::file::properties::WriterProperties::builder().set_key_value_metadata(Some(vec![kv])).build();
    let plain = arrow_array::RecordBatch::try_from_iter([("id", std::sync::Arc::new(arrow_array::StringArray::from(vec!["a"])) as _)]).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&other_table).unwrap(), plain.schema(), Some(props)).unwrap();
    w.write(&plain).unwrap();
    w.close().unwrap();
    let e = third.import_store(&other_table, None, &mut |_, _| {}).unwrap_err();
    assert!(e.message().contains("no column \"op\""), "{}", e.message());
    assert!(third.state().unwrap().is_empty().unwrap());
}

/// Fills an agent state with every kind of row, exports it to `dir/name`, imports it into a new
/// database and compares everything exactly; returns the first database and the file.
fn state_round_trip(dir: &Path, name: &str) -> (Database, std::path::PathBuf) {
    use crate::state::{CheckpointFilter, StateAt, WriteInput};
    use std::time::Duration;

    let db = Database::open(dir.join("a")).unwrap();
    let st = db.state().unwrap();
    st.put("ann", "s1", "plan", &serde_json::json!({"step": 1, "x": 0.1}), None).unwrap();
    st.put("ann", "s1", "plan", &serde_json::json!({"step": 2}), None).unwrap();
    st.put("ann", "s1", "note", &serde_json::json!("kept an hour"), Some(Duration::from_secs(3600))).unwrap();
    st.delete("ann", "s1", "note").unwrap();
    st.put("bob", "s2", "k", &serde_json::json!([1, 2, 3]), None).unwrap();
    st.set_session_ttl("bob", "s2", Some(Duration::from_secs(86_400))).unwrap();
    let payload: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    st.put_checkpoint("t1", "", "c1", &payload, None, Some(&serde_json::json!({"step": 1})), "msgpack").unwrap();
    db.flush().unwrap(); // c1 now in Lance: its payload may be read from there
    st.put_checkpoint("t1", "", "c2", b"second", Some("c1"), None, "msgpack").unwrap();
    let w = |idx: i64, v: &[u8]| WriteInput { idx, channel: "messages".into(), type_: "msgpack".into(), value: v.to_vec() };
    st.put_writes("t1", "", "c2", "task-a", &[w(0, b"\x00\x01"), w(1, b"two")], "path/a").unwrap();
    let middle = st.get("ann", "s1", "plan", StateAt::Version(1)).unwrap().unwrap().written_at;

    let file = dir.join(name);
    assert_eq!(db.store_kind("state").unwrap(), StoreKind::State);
    let r = db.export_store("state", None, &file, &mut |_, _| {}).unwrap();
    assert_eq!((r.kind, r.records), (StoreKind::State, 10));

    let other = Database::open(dir.join("b")).unwrap();
    let r = other.import_store(&file, None, &mut |_, _| {}).unwrap();
    assert_eq!((r.kind, r.name.as_str(), r.records), (StoreKind::State, "state", 10));
    let back = other.state().unwrap();
    for (agent, session, key) in [("ann", "s1", "plan"), ("ann", "s1", "note"), ("bob", "s2", "k")] {
        assert_eq!(back.history(agent, session, key, 100, 0).unwrap(), st.history(agent, session, key, 100, 0).unwrap(), "{key}");
    }
    assert_eq!(back.snapshot("ann", "s1", Some(middle)).unwrap(), st.snapshot("ann", "s1", Some(middle)).unwrap());
    assert_eq!(back.session_ttl("bob", "s2").unwrap(), Some(Duration::from_secs(86_400)));
    let all = CheckpointFilter::default();
    assert_eq!(back.list_checkpoints(&all).unwrap(), st.list_checkpoints(&all).unwrap());
    assert_eq!(back.get_checkpoint("t1", "", Some("c1")).unwrap().unwrap().checkpoint.to_vec(), payload);
    assert_eq!(back.get_writes("t1", "", "c2").unwrap(), st.get_writes("t1", "", "c2").unwrap());
    // A write after the import is later than every imported one, and numbered on from it.
    let v = back.put("ann", "s1", "plan", &serde_json::json!({"step": 3}), None).unwrap();
    assert_eq!(v, 3);
    let h = back.history("ann", "s1", "plan", 1, 0).unwrap();
    assert!(h[0].written_at > st.history("ann", "s1", "plan", 1, 0).unwrap()[0].written_at);

    // Only into an empty agent state, and under no other name.
    let e = other.import_store(&file, None, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CollectionExists, "{}", e.message());
    let third = Database::open(dir.join("c")).unwrap();
    assert_eq!(third.import_store(&file, Some("other"), &mut |_, _| {}).unwrap_err().kind(), ErrorKind::InvalidArgument);
    drop(st);
    (db, file)
}

/// A store's full-text tokenizer travels with its export (JSONL and Parquet): an imported
/// memory store finds its Chinese memories by their words as the original does, and an imported
/// collection keeps its tokenizer. A file without it imports with the default; a bad one is
/// refused before anything is created.
#[test]
fn the_text_tokenizer_travels_with_an_export() {
    use crate::memory::{NewMemory, RecallOptions};
    use crate::types::text::TextTokenizer;
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("a")).unwrap();
    let m = db.memory("zh", Some(2), None).unwrap();
    m.set_text_tokenizer(TextTokenizer::Icu).unwrap();
    let texts = ["我喜欢喝绿茶", "明天去北京出差", "神经网络需要大量数据"];
    let items: Vec<NewMemory> =
        texts.iter().enumerate().map(|(i, t)| NewMemory { id: Some(format!("d{i}")), text: Some(t.to_string()), ..NewMemory::new("ann") }).collect();
    m.remember(&items, Vectors::Flat { data: &[1.0, 0.0, 1.0, 1.0, 0.0, 1.0], dim: 2 }).unwrap();
    m.flush().unwrap();
    let c = db.create_collection("docs", 3, Metric::L2).unwrap();
    c.set_text_tokenizer(TextTokenizer::Ngram { min: 2, max: 3 }).unwrap();
    records(&c, 4);
    let top = |m: &crate::memory::Memory, q: &str| {
        let mut o = RecallOptions::new(1);
        o.query_text = Some(q.into());
        o.touch = false;
        m.recall(None, &o).unwrap().first().map(|h| h.record.id.clone())
    };
    assert_eq!(top(&m, "北京").as_deref(), Some("d1"));
    let other = Database::open(dir.path().join("b")).unwrap();
    for (i, ext) in ["jsonl", "parquet"].iter().enumerate() {
        let file = dir.path().join(format!("zh.{ext}"));
        db.export_store("zh", Some(StoreKind::Memory), &file, &mut |_, _| {}).unwrap();
        let name = format!("zh{i}");
        other.import_store(&file, Some(&name), &mut |_, _| {}).unwrap();
        let back = other.memory(&name, None, None).unwrap();
        assert_eq!(back.text_tokenizer(), TextTokenizer::Icu);
        for (q, want) in [("北京", "d1"), ("绿茶", "d0"), ("神经网络", "d2")] {
            assert_eq!(top(&back, q).as_deref(), Some(want), "{q} after a {ext} round trip");
        }
        let file = dir.path().join(format!("docs.{ext}"));
        db.export_store("docs", None, &file, &mut |_, _| {}).unwrap();
        let name = format!("docs{i}");
        other.import_store(&file, Some(&name), &mut |_, _| {}).unwrap();
        assert_eq!(other.get_collection(&name).unwrap().text_tokenizer(), TextTokenizer::Ngram { min: 2, max: 3 });
    }
    // An older file (no "text_tokenizer"), and a bad one.
    let file = dir.path().join("zh.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let (head, rest) = text.split_once('\n').unwrap();
    let mut header: serde_json::Value = serde_json::from_str(head).unwrap();
    header.as_object_mut().unwrap().remove("text_tokenizer");
    std::fs::write(&file, format!("{header}\n{rest}")).unwrap();
    other.import_store(&file, Some("old"), &mut |_, _| {}).unwrap();
    assert_eq!(other.memory("old", None, None).unwrap().text_tokenizer(), TextTokenizer::Simple);
    header["text_tokenizer"] = serde_json::json!("klingon");
    std::fs::write(&file, format!("{header}\n{rest}")).unwrap();
    let e = other.import_store(&file, Some("bad"), &mut |_, _| {}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("line 1"), "{}", e.message());
    assert!(!other.list_memories().unwrap().contains(&"bad".to_string()));
}
