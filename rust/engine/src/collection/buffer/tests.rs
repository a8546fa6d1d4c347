use super::*;
use crate::{Database, Metric};

fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("r{i}")).collect()
}

fn upsert(c: &Collection, ids: &[String], tag: f32) {
    let data: Vec<f32> = ids.iter().flat_map(|_| [tag, 1.0]).collect();
    let mut meta = Metadata::new();
    meta.insert("tag".into(), Value::Float(tag as f64));
    let metadata = vec![meta; ids.len()];
    c.upsert(&Records { ids, vectors: Vectors::Flat { data: &data, dim: 2 }, documents: None, metadata: Some(&metadata) })
        .unwrap();
}

/// A flush is one Lance version whatever it holds (new records, replaced ones, deletes), so
/// no version a reader elsewhere can check out holds part of it.
#[test]
fn a_flush_is_one_lance_commit() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let c = db.create_collection("c", 2, Metric::L2).unwrap();
    let version = || crate::storage::runtime::block_on(c.inner.table.version()).unwrap();
    upsert(&c, &ids(0..100), 1.0);
    db.flush().unwrap(); // the first flush also adds the `tag` column
    let cases: [(&str, &dyn Fn()); 4] = [
        ("new records", &|| upsert(&c, &ids(100..150), 2.0)),
        ("replaced records", &|| upsert(&c, &ids(0..50), 3.0)),
        ("deletes", &|| assert_eq!(c.delete(Some(&ids(140..150)), None).unwrap(), 10)),
        ("replaced, new and deleted records", &|| {
            upsert(&c, &ids(50..60), 4.0);
            upsert(&c, &ids(150..160), 4.0);
            assert_eq!(c.delete(Some(&ids(60..70)), None).unwrap(), 10);
        }),
    ];
    for (what, write) in cases {
        let before = version();
        {
            // All the writes of a case in one layer: the background flusher waits meanwhile.
            let _hold = c.inner.flush_lock.lock().unwrap();
            write();
        }
        db.flush().unwrap();
        assert_eq!(version(), before + 1, "{what}: one commit");
    }
    let got = c.get(None, None, None, 0).unwrap();
    assert_eq!(got.ids.len(), 140);
    let tag_of = |id: &str| {
        let i = got.ids.iter().position(|x| x == id).unwrap();
        (got.vectors[2 * i], got.metadata[i].get("tag").cloned())
    };
    assert_eq!(tag_of("r0"), (3.0, Some(Value::Float(3.0))));
    assert_eq!(tag_of("r55"), (4.0, Some(Value::Float(4.0))));
    assert_eq!(tag_of("r75"), (1.0, Some(Value::Float(1.0))));
    assert_eq!(tag_of("r155"), (4.0, Some(Value::Float(4.0))));
    assert!(!got.ids.iter().any(|id| id == "r65" || id == "r145"));
}

/// Sessions of one small write each: closing compacts once the fragment threshold is reached.
#[test]
fn closing_compacts() {
    let dir = tempfile::tempdir().unwrap();
    let fragments = |db: &Database| {
        let c = db.get_collection("c").unwrap();
        crate::storage::runtime::block_on(async {
            let ds = c.inner.table.dataset().unwrap().get().await.unwrap();
            ds.manifest().fragments.len()
        })
    };
    for session in 0..(crate::storage::lance::COMPACT_SMALL_FRAGMENTS * 3) {
        let db = Database::open(dir.path()).unwrap();
        let c = db.get_or_create_collection("c", 2, Metric::L2).unwrap();
        upsert(&c, &ids(session..session + 1), session as f32);
        db.close();
        let db = Database::open_with(dir.path(), crate::OpenOptions { read_only: true, ..Default::default() }).unwrap();
        assert!(fragments(&db) < crate::storage::lance::COMPACT_SMALL_FRAGMENTS, "session {session}: {} fragments", fragments(&db));
    }
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(db.get_collection("c").unwrap().count(None).unwrap(), crate::storage::lance::COMPACT_SMALL_FRAGMENTS as u64 * 3);
}

#[test]
fn payloads_round_trip() {
    let ids = vec!["a".to_string(), "b".to_string()];
    let mut meta = Metadata::new();
    meta.insert("n".into(), Value::Int(-3));
    meta.insert("f".into(), Value::Float(0.5));
    meta.insert("s".into(), Value::Str("x'y".into()));
    meta.insert("t".into(), Value::Datetime(1_700_000_000_000_000));
    meta.insert("l".into(), Value::List(vec![Value::Str("p".into()), Value::Str("q".into())]));
    meta.insert("b".into(), Value::Bool(true));
    let rows = vec![
        Row { vector: vec![1.0, -2.5], document: Some("doc".into()), metadata: meta, created: 5, updated: 6 },
        Row { vector: vec![0.0, 1e-9], document: None, metadata: Metadata::new(), created: 7, updated: 8 },
    ];
    let bytes = encode_puts(&ids, &rows).unwrap();
    match decode(&bytes).unwrap() {
        Logged::Puts(got) => {
            assert_eq!(got.len(), 2);
            assert_eq!(got[0], (ids[0].clone(), rows[0].clone()));
            assert_eq!(got[1], (ids[1].clone(), rows[1].clone()));
        }
        Logged::Deletes(_) => panic!("expected puts"),
    }
    match decode(&encode_deletes(&ids)).unwrap() {
        Logged::Deletes(got) => assert_eq!(got, ids),
        Logged::Puts(_) => panic!("expected deletes"),
    }
    // Any truncation is an error, never a shorter record.
    for cut in 1..bytes.len() {
        assert!(decode(&bytes[..bytes.len() - cut]).is_err(), "cut {cut}");
    }
}
