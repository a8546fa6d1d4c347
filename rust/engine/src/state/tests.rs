use super::*;
use crate::storage::wal::SyncMode;
use serde_json::json;

fn connect(dir: &std::path::Path) -> lancedb::Connection {
    block_on(lancedb::connect(dir.to_str().unwrap()).execute()).unwrap()
}

fn rows(conn: &lancedb::Connection, table: &str) -> usize {
    block_on(async { conn.open_table(table).execute().await.unwrap().count_rows(None).await.unwrap() })
}

/// A state over `dir` with its log replayed, as the database opens it.
fn open(dir: &std::path::Path) -> (State, Arc<dyn LogConsumer>, Arc<Wal>) {
    let (wal, records) = Wal::open(&dir.join("wal"), SyncMode::Always).unwrap();
    let wal = Arc::new(wal);
    let st = State::open(connect(dir), Some(wal.clone()), false).unwrap();
    let consumer = st.consumer();
    for r in records.iter().filter(|r| r.stream == STREAM) {
        consumer.replay(r.lsn, &r.payload).unwrap();
    }
    (st, consumer, wal)
}

/// Flushed checkpoint payloads leave memory and are read back from Lance on demand.
#[test]
fn flushed_checkpoint_payloads_are_read_from_lance() {
    let dir = tempfile::tempdir().unwrap();
    let (st, consumer, _wal) = open(dir.path());
    let big = vec![7u8; 100_000];
    st.put_checkpoint("t", "", "1", &big, None, None, "raw").unwrap();
    st.put_checkpoint("t", "", "2", b"small", Some("1"), None, "raw").unwrap();
    let stub_in = |st: &State, id: &str| st.inner.mem.read().unwrap().checkpoints[&("t".to_string(), String::new())][id].stub;
    let stub = |id: &str| stub_in(&st, id);
    assert!(!stub("1"));
    consumer.flush().unwrap();
    // The latest checkpoint of the thread keeps its payload in memory.
    assert!(stub("1") && !stub("2"));
    assert_eq!(&st.get_checkpoint("t", "", Some("1")).unwrap().unwrap().checkpoint[..], &big[..]);
    let all = st.list_checkpoints(&CheckpointFilter::default()).unwrap();
    assert_eq!(all.iter().map(|c| c.checkpoint.len()).collect::<Vec<_>>(), vec![5, 100_000]);
    // Replaced after the flush: the new payload is in memory until the next flush.
    st.put_checkpoint("t", "", "1", b"new", None, None, "raw").unwrap();
    assert!(!stub("1"));
    assert_eq!(&st.get_checkpoint("t", "", Some("1")).unwrap().unwrap().checkpoint[..], b"new");
    consumer.flush().unwrap();
    assert!(stub("1") && !stub("2"));
    assert_eq!(&st.get_checkpoint("t", "", Some("1")).unwrap().unwrap().checkpoint[..], b"new");
    // A newer checkpoint takes over as the one kept in memory once it is flushed.
    st.put_checkpoint("t", "", "3", b"three", Some("2"), None, "raw").unwrap();
    consumer.flush().unwrap();
    assert!(stub("1") && stub("2") && !stub("3"));
    assert_eq!(&st.get_checkpoint("t", "", Some("2")).unwrap().unwrap().checkpoint[..], b"small");
    st.inner.closed.store(true, Ordering::Release);
    // On open, payloads are not loaded.
    let st = State::open(connect(dir.path()), None, true).unwrap();
    assert!(stub_in(&st, "1") && stub_in(&st, "2") && stub_in(&st, "3"));
    assert_eq!(&st.get_checkpoint("t", "", None).unwrap().unwrap().checkpoint[..], b"three");
    // Read once, the latest stays in memory; older ones do not.
    assert!(stub_in(&st, "1") && stub_in(&st, "2") && !stub_in(&st, "3"));
    assert_eq!(&st.get_checkpoint("t", "", Some("1")).unwrap().unwrap().checkpoint[..], b"new");
    assert!(stub_in(&st, "1"));
}

/// Values read back (from memory, from the log after a restart, from Lance after a flush)
/// parse to exactly what was written: every double bit for bit (subnormals, -0.0), integers
/// up to the u64 / i64 limits; and a value nested too deep is rejected.
#[test]
fn state_values_round_trip_exactly() {
    let mut floats = vec![0.0, -0.0, 0.1, 5e-324, -5e-324, f64::MIN_POSITIVE / 7.0, f64::MAX, f64::MIN];
    let mut x: u64 = 0x1234_5678_9ABC_DEF1;
    while floats.len() < 2_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let f = f64::from_bits(x);
        if f.is_finite() {
            floats.push(f);
        }
    }
    let ints = json!([i64::MIN, i64::MAX, u64::MAX, 1u64 << 53, (1u64 << 53) + 1, -(1i64 << 53) - 1]);
    let value = json!({"floats": floats, "ints": ints, "nested": {"a": [-0.0, {"b": 5e-324}]}});
    let bits = |v: &serde_json::Value| -> Vec<u64> {
        v["floats"].as_array().unwrap().iter().map(|f| f.as_f64().unwrap().to_bits()).collect()
    };
    let want: Vec<u64> = floats.iter().map(|f| f.to_bits()).collect();
    let check = |st: &State| {
        let got = st.get("a", "s", "k", StateAt::Latest).unwrap().unwrap();
        let back = crate::types::value::parse_json(got.value.as_deref().unwrap()).unwrap();
        assert_eq!(bits(&back), want);
        assert_eq!(back["ints"], ints);
        assert!(back["nested"]["a"][0].as_f64().unwrap().is_sign_negative());
        assert_eq!(back["nested"]["a"][1]["b"].as_f64(), Some(5e-324));
        assert_eq!(back, value);
    };
    let dir = tempfile::tempdir().unwrap();
    {
        let (st, _consumer, _wal) = open(dir.path());
        st.put("a", "s", "k", &value, None).unwrap();
        check(&st);
        st.inner.closed.store(true, Ordering::Release);
    }
    let (st, consumer, _wal) = open(dir.path()); // replayed from the log
    check(&st);
    consumer.flush().unwrap();
    st.inner.closed.store(true, Ordering::Release);
    let st = State::open(connect(dir.path()), None, true).unwrap(); // read from Lance
    check(&st);

    let mut deep = json!(1);
    for _ in 0..MAX_JSON_DEPTH {
        deep = json!([deep]);
    }
    let dir2 = tempfile::tempdir().unwrap();
    let (st, _consumer, _wal) = open(dir2.path());
    st.put("a", "s", "ok", &deep, None).unwrap();
    let e = st.put("a", "s", "deep", &json!([deep]), None).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
    assert!(e.message().contains("nested more than"), "{}", e.message());
}

/// Every flush is a commit (a fragment); the store compacts a table every COMPACT_EVERY
/// commits, and the rows survive it.
#[test]
fn flushed_tables_are_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let (st, consumer, _wal) = open(dir.path());
    for i in 0..70 {
        st.put("a", "s", "k", &json!(i), None).unwrap();
        consumer.flush().unwrap();
    }
    let conn = connect(dir.path());
    let fragments = block_on(async {
        let t = conn.open_table("_agentdb_state").execute().await.unwrap();
        t.stats().await.unwrap().fragment_stats.num_fragments
    });
    assert!(fragments < 10, "{fragments} fragments after compaction");
    assert_eq!(rows(&conn, "_agentdb_state"), 70);
    st.inner.closed.store(true, Ordering::Release);
    let st = State::open(connect(dir.path()), None, true).unwrap();
    let h = st.history("a", "s", "k", 100, 0).unwrap();
    assert_eq!(h.iter().map(|v| v.version).collect::<Vec<_>>(), (1..=70).rev().collect::<Vec<u64>>());
}

/// A crash after the Lance commit but before the log noted it: replay sees records whose rows
/// are already in Lance, and must neither duplicate them nor undo later deletions.
#[test]
fn replay_after_flush_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (st, consumer, _wal) = open(dir.path());
        st.put("a", "s", "k", &json!(1), None).unwrap();
        st.put("a", "s", "k", &json!(2), None).unwrap();
        st.put("a", "s", "gone", &json!(0), None).unwrap();
        st.put_checkpoint("t", "", "1", b"one", None, None, "").unwrap();
        st.put_checkpoint("t", "", "1", b"one again", None, None, "").unwrap();
        let w = |idx, v: &str| WriteInput { idx, channel: "c".into(), type_: "".into(), value: v.as_bytes().to_vec() };
        st.put_writes("t", "", "1", "task", &[w(0, "a"), w(-1, "e1")], "").unwrap();
        st.put_writes("t", "", "1", "task", &[w(0, "b"), w(-1, "e2")], "").unwrap();
        consumer.flush().unwrap(); // in Lance, but the log is never told
        st.purge("a", Some("s")).unwrap();
        st.put("a", "s", "k", &json!(3), None).unwrap();
        consumer.flush().unwrap();
        st.put("a", "s", "k", &json!(4), None).unwrap(); // only in the log
        st.inner.closed.store(true, Ordering::Release);
    }
    for _ in 0..2 {
        let (st, consumer, _wal) = open(dir.path());
        let h = st.history("a", "s", "k", 10, 0).unwrap();
        assert_eq!(h.iter().map(|v| v.version).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(h[0].value.as_deref(), Some("4"));
        assert!(st.get("a", "s", "gone", StateAt::Latest).unwrap().is_none());
        assert_eq!(&st.get_checkpoint("t", "", Some("1")).unwrap().unwrap().checkpoint[..], b"one again");
        let writes = st.get_writes("t", "", "1").unwrap();
        assert_eq!(writes.iter().map(|w| (w.idx, &w.value[..])).collect::<Vec<_>>(), vec![(-1, &b"e2"[..]), (0, &b"a"[..])]);
        consumer.flush().unwrap();
        let conn = connect(dir.path());
        assert_eq!(rows(&conn, "_agentdb_state"), 2);
        assert_eq!(rows(&conn, "_agentdb_checkpoints"), 1);
        assert_eq!(rows(&conn, "_agentdb_writes"), 2);
        st.inner.closed.store(true, Ordering::Release);
    }
}

/// The agent state outlives the database handle it came from and keeps the database open
/// (its writes go to a log nobody else writes); the database closes when the last handle
/// goes, and an explicit close makes the state fail with `Closed`.
#[test]
fn the_state_keeps_its_database_open() {
    let dir = tempfile::tempdir().unwrap();
    let st = crate::Database::open(dir.path()).unwrap().state().unwrap();
    assert_eq!(st.put("a", "s", "k", &json!(1), None).unwrap(), 1);
    assert_eq!(crate::Database::open(dir.path()).err().map(|e| e.kind()), Some(ErrorKind::DatabaseLocked));
    assert_eq!(st.put("a", "s", "k", &json!(2), None).unwrap(), 2);
    drop(st);
    let db = crate::Database::open(dir.path()).unwrap();
    let st = db.state().unwrap();
    assert_eq!(st.get("a", "s", "k", StateAt::Latest).unwrap().unwrap().version, 2);
    db.close();
    assert_eq!(st.get("a", "s", "k", StateAt::Latest).unwrap_err().kind(), ErrorKind::Closed);
    drop(st);
    drop(db);
    crate::Database::open(dir.path()).unwrap();
}
