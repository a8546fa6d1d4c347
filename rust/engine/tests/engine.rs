//! The engine's blocking API against a real LanceDB directory: collections, CRUD, filters,
//! persistence and the errors bad input gets.

use agentdb_engine::{Database, ErrorKind, Filter, Metadata, Metric, Records, Value, Vectors};

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn meta(pairs: &[(&str, Value)]) -> Metadata {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn sql(s: &str) -> Filter {
    Filter::Sql(s.into())
}

fn dict(json: &str) -> Filter {
    Filter::from_json(json).unwrap()
}

/// Four 2-d points with metadata, in an l2 collection.
fn fixture(db: &Database) -> agentdb_engine::Collection {
    let c = db.create_collection("pts", 2, Metric::L2).unwrap();
    let ids = ids(&["a", "b", "c", "d"]);
    let vectors = [0.0, 0.0, 1.0, 0.0, 0.0, 2.0, 3.0, 3.0];
    let docs = vec![Some("alpha".to_string()), Some("beta".into()), None, Some("delta".into())];
    let metadata = vec![
        meta(&[("lang", Value::Str("en".into())), ("year", Value::Int(2019)), ("tags", Value::List(vec![Value::Str("x".into())]))]),
        meta(&[("lang", Value::Str("fr".into())), ("year", Value::Int(2021)), ("score", Value::Float(0.5))]),
        meta(&[("lang", Value::Str("en".into())), ("year", Value::Int(2023)), ("ok", Value::Bool(true))]),
        meta(&[("when", Value::Datetime(1_700_000_000_000_000))]),
    ];
    c.add(&Records { ids: &ids, vectors: Vectors::Flat { data: &vectors, dim: 2 }, documents: Some(&docs), metadata: Some(&metadata) })
        .unwrap();
    c
}

#[test]
fn collections_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.create_collection("one", 3, Metric::Cosine).unwrap();
    db.create_collection("two", 4, Metric::Dot).unwrap();
    assert_eq!(db.list_collections().unwrap(), vec!["one", "two"]);
    assert_eq!(db.create_collection("one", 3, Metric::Cosine).err().unwrap().kind(), ErrorKind::CollectionExists);
    assert_eq!(db.get_collection("nope").err().unwrap().kind(), ErrorKind::CollectionNotFound);
    let two = db.get_or_create_collection("two", 4, Metric::Dot).unwrap();
    assert_eq!((two.dim(), two.metric()), (4, Metric::Dot));
    assert_eq!(db.get_or_create_collection("two", 5, Metric::Dot).err().unwrap().kind(), ErrorKind::InvalidArgument);
    db.drop_collection("one").unwrap();
    assert_eq!(db.list_collections().unwrap(), vec!["two"]);
    assert_eq!(db.drop_collection("one").err().unwrap().kind(), ErrorKind::CollectionNotFound);
    for bad in ["", "../x", "a/b", "..", ".hidden", "a b", &"n".repeat(129)] {
        assert_eq!(db.create_collection(bad, 2, Metric::L2).err().unwrap().kind(), ErrorKind::InvalidName, "{bad:?}");
    }
    // Nothing was created outside the database directory.
    assert!(!dir.path().parent().unwrap().join("x.lance").exists());
    db.close();
    assert_eq!(two.count(None).err().unwrap().kind(), ErrorKind::Closed);
}

#[test]
fn crud_and_persistence() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let c = fixture(&db);
        assert_eq!(c.count(None).unwrap(), 4);
        let got = c.get(Some(&ids(&["c", "zz", "a"])), None, None, 0).unwrap();
        assert_eq!(got.ids, ids(&["c", "a"]));
        assert_eq!(got.vectors, vec![0.0, 2.0, 0.0, 0.0]);
        assert_eq!(got.documents, vec![None, Some("alpha".to_string())]);
        assert_eq!(got.metadata[0].get("year"), Some(&Value::Int(2023)));
        assert_eq!(got.metadata[0].get("ok"), Some(&Value::Bool(true)));
        assert!(!got.metadata[0].contains_key("score"), "absent keys stay absent");

        // Upsert replaces the record and keeps its creation time; a new key may appear.
        let before = c.get(Some(&ids(&["a"])), None, None, 0).unwrap();
        let new_meta = vec![meta(&[("fresh", Value::Str("yes".into()))]), Metadata::new()];
        c.upsert(&Records {
            ids: &ids(&["a", "e"]),
            vectors: Vectors::Flat { data: &[9.0, 9.0, 5.0, 5.0], dim: 2 },
            documents: None,
            metadata: Some(&new_meta),
        })
        .unwrap();
        let after = c.get(Some(&ids(&["a", "e"])), None, None, 0).unwrap();
        assert_eq!(after.vectors, vec![9.0, 9.0, 5.0, 5.0]);
        assert_eq!(after.metadata[0], new_meta[0]);
        assert_eq!(after.created_at[0], before.created_at[0]);
        assert!(after.updated_at[0] >= before.updated_at[0]);
        assert_eq!(c.count(None).unwrap(), 5);

        assert_eq!(c.delete(Some(&ids(&["e", "missing"])), None).unwrap(), 1);
        assert_eq!(c.count(None).unwrap(), 4);
        db.close();
    }
    let db = Database::open(dir.path()).unwrap();
    let c = db.get_collection("pts").unwrap();
    assert_eq!((c.dim(), c.metric()), (2, Metric::L2));
    assert_eq!(c.count(None).unwrap(), 4);
    let got = c.get(Some(&ids(&["a"])), None, None, 0).unwrap();
    assert_eq!(got.metadata[0].get("fresh"), Some(&Value::Str("yes".into())));
    let hits = c.search(&[0.9, 0.1], 2, None).unwrap();
    assert_eq!(hits.ids, ids(&["b", "c"]));
}

#[test]
fn exact_search_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let c = fixture(&db);
    let hits = c.search(&[0.1, 0.0], 3, None).unwrap();
    assert_eq!(hits.ids, ids(&["a", "b", "c"]));
    // l2 distances are squared Euclidean.
    let want = [0.01f32, 0.81, 4.01];
    for (d, w) in hits.distances.iter().zip(want) {
        assert!((d - w).abs() < 1e-5, "{d} vs {w}");
    }
    let batch = c.search_batch(Vectors::Flat { data: &[3.0, 3.0, 0.0, 1.9], dim: 2 }, 1, None).unwrap();
    assert_eq!(batch.len(), 2);
    assert_eq!(batch[0].ids, ids(&["d"]));
    assert_eq!(batch[1].ids, ids(&["c"]));
    assert_eq!(c.search(&[0.0, 0.0], 1, Some(&sql("lang = 'fr'"))).unwrap().ids, ids(&["b"]));

    let cos = db.create_collection("cos", 2, Metric::Cosine).unwrap();
    cos.add(&Records { ids: &ids(&["x", "y"]), vectors: Vectors::Flat { data: &[1.0, 0.0, 0.0, 3.0], dim: 2 }, documents: None, metadata: None })
        .unwrap();
    let hits = cos.search(&[2.0, 2.0], 2, None).unwrap();
    let expect = 1.0 - std::f32::consts::FRAC_1_SQRT_2;
    assert!((hits.distances[0] - expect).abs() < 1e-5 && (hits.distances[1] - expect).abs() < 1e-5);
}

#[test]
fn filters_sql_and_dict() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let c = fixture(&db);
    let count = |f: Filter| c.count(Some(&f)).unwrap();
    assert_eq!(count(sql("lang = 'en' AND year >= 2020")), 1);
    assert_eq!(count(dict(r#"{"year": {"$gte": 2020}, "lang": {"$in": ["en", "fr"]}}"#)), 2);
    assert_eq!(count(dict(r#"{"lang": {"$ne": "en"}}"#)), 1);
    assert_eq!(count(dict(r#"{"lang": {"$nin": ["en"]}}"#)), 1);
    assert_eq!(count(dict(r#"{"$or": [{"year": {"$lt": 2020}}, {"ok": true}]}"#)), 2);
    assert_eq!(count(dict(r#"{"$not": {"lang": "en"}}"#)), 1);
    assert_eq!(count(dict(r#"{"lang": {"$exists": false}}"#)), 1);
    assert_eq!(count(dict(r#"{"tags": {"$contains": "x"}}"#)), 1);
    assert_eq!(count(dict(r#"{"document": {"$contains": "lph"}}"#)), 1);
    assert_eq!(count(dict(r#"{"score": {"$gt": 0.25}}"#)), 1);
    assert_eq!(count(dict(r#"{"year": {"$gt": 2020.5}}"#)), 2);
    assert_eq!(count(dict(r#"{"when": {"$gte": {"$datetime": "2023-11-14T00:00:00Z"}}}"#)), 1);
    assert_eq!(count(dict(r#"{"when": {"$lt": "2023-11-14T00:00:00Z"}}"#)), 0);
    assert_eq!(count(dict(r#"{"created_at": {"$gte": "2000-01-01"}}"#)), 4);
    assert_eq!(count(dict(r#"{"never_seen": 1}"#)), 0);
    assert_eq!(count(dict(r#"{"id": {"$in": []}}"#)), 0);
    let got = c.get(None, Some(&dict(r#"{"year": {"$gte": 2020}}"#)), Some(10), 0).unwrap();
    assert_eq!(got.len(), 2);

    // A hostile value is a value: it matches nothing and deletes nothing.
    let evil = dict(r#"{"lang": "x' OR 1=1 --"}"#);
    assert_eq!(count(evil.clone()), 0);
    assert_eq!(c.delete(None, Some(&evil)).unwrap(), 0);
    assert_eq!(c.delete(Some(&ids(&["a' OR 1=1 --"])), None).unwrap(), 0);
    assert_eq!(c.count(None).unwrap(), 4);

    for bad in [sql("lang = "), sql("no_such_column > 1"), dict(r#"{"year": "x"}"#), dict(r#"{"year": {"$regex": 1}}"#)] {
        assert_eq!(c.count(Some(&bad)).err().unwrap().kind(), ErrorKind::InvalidFilter, "{bad:?}");
        assert_eq!(c.delete(None, Some(&bad)).err().unwrap().kind(), ErrorKind::InvalidFilter);
    }
    assert_eq!(c.delete(None, Some(&sql("year < 2022"))).unwrap(), 2);
    assert_eq!(c.count(None).unwrap(), 2);
}

#[test]
fn bad_batches_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let c = fixture(&db);
    let rows = |v: &[Vec<f32>]| v.to_vec();
    let cases: Vec<(Vec<String>, Vec<Vec<f32>>, Option<Vec<Metadata>>, ErrorKind)> = vec![
        (ids(&["n1", "n2"]), rows(&[vec![1.0, 1.0], vec![1.0]]), None, ErrorKind::DimensionMismatch),
        (ids(&["n1", "n2"]), rows(&[vec![1.0, 1.0], vec![f32::NAN, 0.0]]), None, ErrorKind::InvalidVector),
        (ids(&["n1", "n2"]), rows(&[vec![1.0, 1.0], vec![f32::INFINITY, 0.0]]), None, ErrorKind::InvalidVector),
        (ids(&["n1", "n1"]), rows(&[vec![1.0, 1.0], vec![2.0, 0.0]]), None, ErrorKind::DuplicateId),
        (ids(&["n1", "a"]), rows(&[vec![1.0, 1.0], vec![2.0, 0.0]]), None, ErrorKind::DuplicateId),
        (
            ids(&["n1", "n2"]),
            rows(&[vec![1.0, 1.0], vec![2.0, 0.0]]),
            Some(vec![Metadata::new(), meta(&[("year", Value::Str("2020".into()))])]),
            ErrorKind::InvalidMetadata,
        ),
        (
            ids(&["n1", "n2"]),
            rows(&[vec![1.0, 1.0], vec![2.0, 0.0]]),
            Some(vec![Metadata::new(), meta(&[("nested", Value::Map(Default::default()))])]),
            ErrorKind::InvalidMetadata,
        ),
        (
            ids(&["n1", "n2"]),
            rows(&[vec![1.0, 1.0], vec![2.0, 0.0]]),
            Some(vec![Metadata::new(), meta(&[("id", Value::Int(1))])]),
            ErrorKind::InvalidMetadata,
        ),
    ];
    for (ids, vectors, metadata, kind) in cases {
        let r = Records { ids: &ids, vectors: Vectors::Rows(&vectors), documents: None, metadata: metadata.as_deref() };
        let err = c.add(&r).unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert!(err.message().contains("row 1"), "the message names the row: {err}");
        assert_eq!(c.count(None).unwrap(), 4);
        assert!(c.get(Some(&ids), None, None, 0).unwrap().ids.iter().all(|i| i == "a"));
    }
    assert_eq!(c.search(&[1.0], 1, None).unwrap_err().kind(), ErrorKind::DimensionMismatch);
    assert_eq!(c.search(&[1.0, 1.0], 0, None).unwrap_err().kind(), ErrorKind::InvalidArgument);
}
