//! Agent state through the engine's public API, against a real database directory: versions and
//! time travel, tombstones, purge, TTL (keys and sessions, enforced on read, swept from disk),
//! checkpoints with branches and LangGraph's pending-write rules, persistence, concurrency and
//! bad input.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use agentdb_engine::serde_json::{json, Value as Json};
use agentdb_engine::{CheckpointFilter, Database, ErrorKind, OpenOptions, StateAt, WriteInput};

fn text(v: &Json) -> String {
    v.to_string()
}

fn value_of(v: &agentdb_engine::StateVersion) -> Json {
    agentdb_engine::serde_json::from_str(v.value.as_deref().expect("a value, not a tombstone")).unwrap()
}

#[test]
fn versions_history_and_time_travel() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let st = db.state().unwrap();

    assert_eq!(st.put("ag", "s1", "plan", &json!({"step": 1}), None).unwrap(), 1);
    assert_eq!(st.put("ag", "s1", "plan", &json!({"step": 2}), None).unwrap(), 2);
    assert_eq!(st.put("ag", "s1", "plan", &json!("three"), None).unwrap(), 3);
    assert_eq!(st.put("ag", "s1", "other", &json!([1, 2.5, null, true]), None).unwrap(), 1);
    // Another session and agent are separate namespaces.
    assert_eq!(st.put("ag", "s2", "plan", &json!(0), None).unwrap(), 1);
    assert_eq!(st.put("ag2", "s1", "plan", &json!(0), None).unwrap(), 1);

    let cur = st.get("ag", "s1", "plan", StateAt::Latest).unwrap().unwrap();
    assert_eq!((cur.version, value_of(&cur)), (3, json!("three")));
    let v1 = st.get("ag", "s1", "plan", StateAt::Version(1)).unwrap().unwrap();
    assert_eq!(value_of(&v1), json!({"step": 1}));
    assert!(st.get("ag", "s1", "plan", StateAt::Version(4)).unwrap().is_none());
    assert!(st.get("ag", "s1", "nope", StateAt::Latest).unwrap().is_none());

    let hist = st.history("ag", "s1", "plan", 100, 0).unwrap();
    assert_eq!(hist.iter().map(|v| v.version).collect::<Vec<_>>(), vec![3, 2, 1]);
    // Each write has its own instant, increasing.
    assert!(hist[0].written_at > hist[1].written_at && hist[1].written_at > hist[2].written_at);
    // Reading at a version's own instant gives exactly that version; just before it, the previous.
    for v in &hist {
        let at = st.get("ag", "s1", "plan", StateAt::Time(v.written_at)).unwrap().unwrap();
        assert_eq!(at.version, v.version);
    }
    let before_v2 = st.get("ag", "s1", "plan", StateAt::Time(hist[1].written_at - 1)).unwrap().unwrap();
    assert_eq!(before_v2.version, 1);
    assert!(st.get("ag", "s1", "plan", StateAt::Time(hist[2].written_at - 1)).unwrap().is_none());
    // Pagination, newest first.
    assert_eq!(st.history("ag", "s1", "plan", 2, 1).unwrap().iter().map(|v| v.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(st.history("ag", "s1", "plan", 1, 0).unwrap()[0].version, 3);
    assert!(st.history("ag", "s1", "plan", 10, 3).unwrap().is_empty());

    // Snapshots now and back then.
    let t_v1 = hist[2].written_at;
    let snap = st.snapshot("ag", "s1", None).unwrap();
    assert_eq!(snap.keys().cloned().collect::<Vec<_>>(), vec!["other".to_string(), "plan".into()]);
    assert_eq!(&*snap["plan"], text(&json!("three")));
    let then = st.snapshot("ag", "s1", Some(t_v1)).unwrap();
    assert_eq!(then.len(), 1);
    assert_eq!(&*then["plan"], text(&json!({"step": 1})));
    assert_eq!(st.keys("ag", "s1", Some(t_v1)).unwrap(), vec!["plan".to_string()]);

    // Delete: a tombstone version that the history keeps.
    assert_eq!(st.delete("ag", "s1", "plan").unwrap(), 4);
    let tomb = st.get("ag", "s1", "plan", StateAt::Latest).unwrap().unwrap();
    assert!(tomb.deleted() && tomb.version == 4);
    assert!(st.get("ag", "s1", "plan", StateAt::Time(tomb.written_at)).unwrap().is_none());
    assert_eq!(st.get("ag", "s1", "plan", StateAt::Time(tomb.written_at - 1)).unwrap().unwrap().version, 3);
    assert_eq!(st.history("ag", "s1", "plan", 10, 0).unwrap().len(), 4);
    assert_eq!(st.keys("ag", "s1", None).unwrap(), vec!["other".to_string()]);
    // Deleting again writes nothing.
    assert_eq!(st.delete("ag", "s1", "plan").unwrap(), 0);
    assert_eq!(st.delete("ag", "s1", "never", ).unwrap(), 0);
    // Writing after a delete continues the versions.
    assert_eq!(st.put("ag", "s1", "plan", &json!(5), None).unwrap(), 5);

    assert_eq!(st.sessions("ag").unwrap(), vec!["s1".to_string(), "s2".into()]);
    assert!(st.sessions("nobody").unwrap().is_empty());

    // Purge removes the session's rows for good.
    assert_eq!(st.purge("ag", Some("s1")).unwrap(), 6);
    assert!(st.history("ag", "s1", "plan", 10, 0).unwrap().is_empty());
    assert_eq!(st.sessions("ag").unwrap(), vec!["s2".to_string()]);
    assert_eq!(st.put("ag", "s1", "plan", &json!(1), None).unwrap(), 1);
    assert_eq!(st.purge("ag", None).unwrap(), 2);
    assert!(st.sessions("ag").unwrap().is_empty());
    assert_eq!(st.purge("ag", None).unwrap(), 0);
    assert_eq!(st.sessions("ag2").unwrap(), vec!["s1".to_string()]);
    db.close();
}

#[test]
fn state_persists_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (t1, t2);
    {
        let db = Database::open(&path).unwrap();
        let st = db.state().unwrap();
        st.put("a", "s", "k", &json!({"n": 1}), None).unwrap();
        st.put("a", "s", "k", &json!({"n": 2}), None).unwrap();
        st.delete("a", "s", "k").unwrap();
        st.put_many("a", "s", &[("x".into(), json!(1)), ("y".into(), json!("why"))], None).unwrap();
        st.set_session_ttl("a", "s", Some(Duration::from_secs(3600))).unwrap();
        st.put_checkpoint("t", "", "0001", b"\x00\x01payload", None, Some(&json!({"step": 1})), "bytes").unwrap();
        st.put_writes("t", "", "0001", "task", &[WriteInput { idx: 0, channel: "c".into(), type_: "json".into(), value: b"v".to_vec() }], "")
            .unwrap();
        let h = st.history("a", "s", "k", 10, 0).unwrap();
        t1 = h[2].written_at;
        t2 = h[0].written_at;
        db.close();
    }
    // Twice: the first reopen reads what close flushed; the second what the first left.
    for round in 0..2 {
        let db = Database::open(&path).unwrap();
        let st = db.state().unwrap();
        let h = st.history("a", "s", "k", 10, round).unwrap();
        assert_eq!(h.iter().map(|v| (v.version, v.deleted())).collect::<Vec<_>>(), vec![(3, true), (2, false), (1, false)]);
        assert_eq!((h[2].written_at, h[0].written_at), (t1, t2));
        assert_eq!(value_of(&st.get("a", "s", "k", StateAt::Version(1)).unwrap().unwrap()), json!({"n": 1}));
        // "k" is deleted until the first round writes it again.
        let keys: &[&str] = if round == 0 { &["x", "y"] } else { &["k", "x", "y"] };
        assert_eq!(st.keys("a", "s", None).unwrap(), keys);
        assert_eq!(st.session_ttl("a", "s").unwrap(), Some(Duration::from_secs(3600)));
        let cp = st.get_checkpoint("t", "", None).unwrap().unwrap();
        assert_eq!((&cp.checkpoint[..], cp.type_.as_str(), &*cp.metadata), (&b"\x00\x01payload"[..], "bytes", r#"{"step":1}"#));
        assert_eq!(st.get_writes("t", "", "0001").unwrap().len(), 1);
        // New writes continue where the old ones ended, and are strictly later.
        let v = st.put("a", "s", "k", &json!(4), None).unwrap();
        assert_eq!(v, 4 + round as u64);
        assert!(st.get("a", "s", "k", StateAt::Latest).unwrap().unwrap().written_at > t2);
        db.close();
    }
}

#[test]
fn names_with_quotes_reach_lance_intact() {
    // Purges become SQL predicates on the Lance table: quotes and backslashes must stay data.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (agent, other) = ("o'brien\\'; --", "o'brien");
    {
        let db = Database::open(&path).unwrap();
        let st = db.state().unwrap();
        st.put(agent, "s'1", "k'\"", &json!(1), None).unwrap();
        st.put(other, "s'1", "k'\"", &json!(2), None).unwrap();
        st.put_checkpoint("t'1", "n's", "c'1", b"x", None, None, "").unwrap();
        st.put_checkpoint("t'2", "", "c'1", b"y", None, None, "").unwrap();
        db.flush().unwrap();
        assert_eq!(st.purge(agent, Some("s'1")).unwrap(), 1);
        st.delete_thread("t'1").unwrap();
        db.close();
    }
    let db = Database::open(&path).unwrap();
    let st = db.state().unwrap();
    assert!(st.sessions(agent).unwrap().is_empty());
    assert_eq!(value_of(&st.get(other, "s'1", "k'\"", StateAt::Latest).unwrap().unwrap()), json!(2));
    assert!(st.get_checkpoint("t'1", "n's", None).unwrap().is_none());
    assert_eq!(&st.get_checkpoint("t'2", "", None).unwrap().unwrap().checkpoint[..], b"y");
    db.close();
}

#[test]
fn key_ttl_expires_on_read_and_is_swept() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let st = db.state().unwrap();
    st.put("a", "s", "keep", &json!("forever"), None).unwrap();
    assert_eq!(st.put("a", "s", "tmp", &json!(1), Some(Duration::from_millis(1000))).unwrap(), 1);
    assert_eq!(st.put("a", "s", "tmp", &json!(2), Some(Duration::from_millis(1000))).unwrap(), 2);
    let v = st.get("a", "s", "tmp", StateAt::Latest).unwrap().unwrap();
    assert_eq!(v.expires_at, Some(v.written_at + 1_000_000));
    assert_eq!(st.keys("a", "s", None).unwrap(), vec!["keep".to_string(), "tmp".into()]);
    std::thread::sleep(Duration::from_millis(1200));
    // Gone with its history, whatever the sweep did meanwhile.
    assert!(st.get("a", "s", "tmp", StateAt::Latest).unwrap().is_none());
    assert!(st.get("a", "s", "tmp", StateAt::Version(1)).unwrap().is_none());
    assert!(st.get("a", "s", "tmp", StateAt::Time(v.written_at)).unwrap().is_none());
    assert!(st.history("a", "s", "tmp", 10, 0).unwrap().is_empty());
    assert_eq!(st.keys("a", "s", None).unwrap(), vec!["keep".to_string()]);
    // Sweeping twice removes nothing the second time (the background sweep may have run first).
    st.sweep().unwrap();
    assert_eq!(st.sweep().unwrap(), 0);
    // Writing it again starts over.
    assert_eq!(st.put("a", "s", "tmp", &json!(3), None).unwrap(), 1);
    assert_eq!(st.history("a", "s", "tmp", 10, 0).unwrap().len(), 1);
    // A version superseded before it expired stays in the history.
    st.put("a", "s", "mixed", &json!("short"), Some(Duration::from_millis(1000))).unwrap();
    st.put("a", "s", "mixed", &json!("long"), None).unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(st.history("a", "s", "mixed", 10, 0).unwrap().len(), 2);
    assert_eq!(value_of(&st.get("a", "s", "mixed", StateAt::Version(1)).unwrap().unwrap()), json!("short"));
    db.close();

    // The sweep's removals reached disk.
    let db = Database::open(dir.path().join("db")).unwrap();
    let st = db.state().unwrap();
    assert_eq!(st.history("a", "s", "tmp", 10, 0).unwrap().len(), 1);
    assert_eq!(st.keys("a", "s", None).unwrap(), vec!["keep".to_string(), "mixed".into(), "tmp".into()]);
    db.close();
}

#[test]
fn background_sweep_removes_expired_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let st = db.state().unwrap();
    st.put("a", "s", "tmp", &json!(1), Some(Duration::from_millis(100))).unwrap();
    st.put("a", "s", "keep", &json!(1), None).unwrap();
    // The sweeper runs every second: after three, it has removed the expired key, so an explicit
    // sweep finds nothing left to do.
    std::thread::sleep(Duration::from_millis(3000));
    assert_eq!(st.sweep().unwrap(), 0);
    assert_eq!(st.keys("a", "s", None).unwrap(), vec!["keep".to_string()]);
    db.close();
}

#[test]
fn session_ttl_counts_from_the_last_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let st = db.state().unwrap();
    st.put("a", "s", "k1", &json!(1), None).unwrap();
    st.put("a", "s", "k2", &json!(2), None).unwrap();
    st.put("a", "other", "k", &json!(0), None).unwrap();
    st.set_session_ttl("a", "s", Some(Duration::from_millis(1000))).unwrap();
    assert_eq!(st.session_ttl("a", "s").unwrap(), Some(Duration::from_millis(1000)));
    std::thread::sleep(Duration::from_millis(600));
    // A write refreshes the whole session.
    st.put("a", "s", "k1", &json!(10), None).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(st.keys("a", "s", None).unwrap(), vec!["k1".to_string(), "k2".into()]);
    std::thread::sleep(Duration::from_millis(600));
    assert!(st.keys("a", "s", None).unwrap().is_empty());
    assert!(st.get("a", "s", "k2", StateAt::Latest).unwrap().is_none());
    assert_eq!(st.sessions("a").unwrap(), vec!["other".to_string()]);
    // Writing into the expired session starts it afresh (its TTL setting stays).
    assert_eq!(st.put("a", "s", "k1", &json!("new"), None).unwrap(), 1);
    assert_eq!(st.keys("a", "s", None).unwrap(), vec!["k1".to_string()]);
    assert_eq!(st.session_ttl("a", "s").unwrap(), Some(Duration::from_millis(1000)));
    st.set_session_ttl("a", "s", None).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(st.keys("a", "s", None).unwrap(), vec!["k1".to_string()]);
    db.close();
}

#[test]
fn checkpoints_branch_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let st = db.state().unwrap();
    assert!(st.get_checkpoint("t1", "", None).unwrap().is_none());
    st.put_checkpoint("t1", "", "0001", b"one", None, Some(&json!({"source": "input", "step": -1})), "msgpack").unwrap();
    st.put_checkpoint("t1", "", "0002", b"two", Some("0001"), Some(&json!({"source": "loop", "step": 0})), "msgpack").unwrap();
    st.put_checkpoint("t1", "", "0003", b"three", Some("0002"), Some(&json!({"source": "loop", "step": 1})), "msgpack").unwrap();
    // Branch: resume from 0002 with a different step.
    st.put_checkpoint("t1", "", "0004", b"fork", Some("0002"), Some(&json!({"source": "update", "step": 1})), "msgpack").unwrap();
    st.put_checkpoint("t1", "sub", "0005", b"child", None, None, "").unwrap();
    st.put_checkpoint("t2", "", "0006", b"other", None, None, "").unwrap();

    let latest = st.get_checkpoint("t1", "", None).unwrap().unwrap();
    assert_eq!((latest.checkpoint_id.as_str(), latest.parent_id.as_deref(), &latest.checkpoint[..]), ("0004", Some("0002"), &b"fork"[..]));
    let c3 = st.get_checkpoint("t1", "", Some("0003")).unwrap().unwrap();
    assert_eq!(c3.parent_id.as_deref(), Some("0002"));
    assert_eq!(st.get_checkpoint("t1", "sub", None).unwrap().unwrap().checkpoint_id, "0005");
    assert!(st.get_checkpoint("t1", "", Some("9999")).unwrap().is_none());
    // Both branches share the parent.
    let ids = |f: CheckpointFilter| st.list_checkpoints(&f).unwrap().into_iter().map(|c| c.checkpoint_id).collect::<Vec<_>>();
    let t1 = || CheckpointFilter { thread_id: Some("t1".into()), namespace: Some("".into()), ..Default::default() };
    assert_eq!(ids(t1()), vec!["0004", "0003", "0002", "0001"]);
    assert_eq!(ids(CheckpointFilter { before: Some("0004".into()), ..t1() }), vec!["0003", "0002", "0001"]);
    assert_eq!(ids(CheckpointFilter { limit: Some(2), ..t1() }), vec!["0004", "0003"]);
    let loop_ = json!({"source": "loop"}).as_object().unwrap().clone();
    assert_eq!(ids(CheckpointFilter { metadata: Some(loop_), ..t1() }), vec!["0003", "0002"]);
    let step1 = json!({"step": 1, "source": "update"}).as_object().unwrap().clone();
    assert_eq!(ids(CheckpointFilter { metadata: Some(step1), ..t1() }), vec!["0004"]);
    assert_eq!(ids(CheckpointFilter { thread_id: Some("t1".into()), ..Default::default() }), vec!["0005", "0004", "0003", "0002", "0001"]);
    assert_eq!(ids(CheckpointFilter::default()), vec!["0006", "0005", "0004", "0003", "0002", "0001"]);
    // Same id again replaces.
    st.put_checkpoint("t1", "", "0003", b"three again", Some("0002"), None, "json").unwrap();
    let c3 = st.get_checkpoint("t1", "", Some("0003")).unwrap().unwrap();
    assert_eq!((&c3.checkpoint[..], c3.type_.as_str(), &*c3.metadata), (&b"three again"[..], "json", "{}"));
    assert_eq!(ids(t1()).len(), 4);

    // Pending writes: (task, idx >= 0) is kept once stored; idx < 0 replaces.
    let w = |idx: i64, ch: &str, v: &str| WriteInput { idx, channel: ch.into(), type_: "json".into(), value: v.as_bytes().to_vec() };
    st.put_writes("t1", "", "0004", "task-b", &[w(0, "messages", "b0"), w(1, "count", "b1")], "path/1").unwrap();
    st.put_writes("t1", "", "0004", "task-a", &[w(0, "messages", "a0"), w(-1, "__error__", "boom")], "path/0").unwrap();
    st.put_writes("t1", "", "0004", "task-a", &[w(0, "messages", "a0-retry"), w(-1, "__error__", "boom2"), w(2, "x", "a2")], "path/0")
        .unwrap();
    let got = st.get_writes("t1", "", "0004").unwrap();
    let seen: Vec<(String, i64, String)> =
        got.iter().map(|p| (p.task_id.clone(), p.idx, String::from_utf8(p.value.to_vec()).unwrap())).collect();
    assert_eq!(
        seen,
        vec![
            ("task-a".to_string(), -1, "boom2".to_string()),
            ("task-a".into(), 0, "a0".into()),
            ("task-a".into(), 2, "a2".into()),
            ("task-b".into(), 0, "b0".into()),
            ("task-b".into(), 1, "b1".into()),
        ]
    );
    assert_eq!(got[0].task_path, "path/0");
    assert!(st.get_writes("t1", "", "0003").unwrap().is_empty());
    // Within one call: the first regular write of an idx counts, and the last special one.
    st.put_writes("t1", "", "0009", "t", &[w(0, "a", "1"), w(0, "b", "2"), w(-3, "i", "x"), w(-3, "i", "y")], "").unwrap();
    let got: Vec<(i64, Vec<u8>)> = st.get_writes("t1", "", "0009").unwrap().iter().map(|p| (p.idx, p.value.to_vec())).collect();
    assert_eq!(got, vec![(-3, b"y".to_vec()), (0, b"1".to_vec())]);
    db.close();

    // All of it persists, replacements included; then delete_thread removes one thread.
    let db = Database::open(dir.path().join("db")).unwrap();
    let st = db.state().unwrap();
    assert_eq!(st.get_writes("t1", "", "0004").unwrap().len(), 5);
    assert_eq!(&st.get_checkpoint("t1", "", Some("0003")).unwrap().unwrap().checkpoint[..], b"three again");
    assert_eq!(st.list_checkpoints(&CheckpointFilter::default()).unwrap().len(), 6);
    st.delete_thread("t1").unwrap();
    assert!(st.get_checkpoint("t1", "", None).unwrap().is_none());
    assert!(st.get_checkpoint("t1", "sub", None).unwrap().is_none());
    assert!(st.get_writes("t1", "", "0004").unwrap().is_empty());
    assert_eq!(st.list_checkpoints(&CheckpointFilter::default()).unwrap().len(), 1);
    db.close();
    let db = Database::open(dir.path().join("db")).unwrap();
    let st = db.state().unwrap();
    assert_eq!(st.list_checkpoints(&CheckpointFilter::default()).unwrap().len(), 1);
    assert!(st.get_writes("t1", "", "0004").unwrap().is_empty());
    db.close();
}

#[test]
fn readers_never_see_half_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let st = db.state().unwrap();
    st.put_many("a", "s", &[("x".into(), json!(0)), ("y".into(), json!(0)), ("z".into(), json!(0))], None).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (st, stop) = (st.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut reads = 0;
                while !stop.load(Ordering::Relaxed) {
                    let snap = st.snapshot("a", "s", None).unwrap();
                    assert_eq!(snap["x"], snap["y"]);
                    assert_eq!(snap["y"], snap["z"]);
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    // Concurrent writers of one key get distinct, gap-free versions.
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let st = st.clone();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for i in 0..25 {
                    mine.push(st.put("a", "counter", "n", &json!(t * 100 + i), None).unwrap());
                }
                mine
            })
        })
        .collect();
    for i in 1..=100 {
        st.put_many("a", "s", &[("x".into(), json!(i)), ("y".into(), json!(i)), ("z".into(), json!(i))], None).unwrap();
    }
    let mut versions: Vec<u64> = writers.into_iter().flat_map(|h| h.join().unwrap()).collect();
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    versions.sort_unstable();
    assert_eq!(versions, (1..=100).collect::<Vec<u64>>());
    assert_eq!(st.history("a", "counter", "n", 1000, 0).unwrap().len(), 100);
    assert_eq!(st.get("a", "s", "x", StateAt::Latest).unwrap().unwrap().version, 101);
    db.close();
}

#[test]
fn bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let db = Database::open(&path).unwrap();
    let st = db.state().unwrap();
    let kind = |r: agentdb_engine::Result<u64>| r.unwrap_err().kind();
    assert_eq!(kind(st.put("", "s", "k", &json!(1), None)), ErrorKind::InvalidArgument);
    assert_eq!(kind(st.put("a", "", "k", &json!(1), None)), ErrorKind::InvalidArgument);
    assert_eq!(kind(st.put("a", "s", "", &json!(1), None)), ErrorKind::InvalidArgument);
    assert_eq!(kind(st.put("a", "s", &"k".repeat(5000), &json!(1), None)), ErrorKind::InvalidArgument);
    assert_eq!(kind(st.put("a", "s", "k", &json!(1), Some(Duration::ZERO))), ErrorKind::InvalidArgument);
    let mut deep = json!(1);
    for _ in 0..101 {
        deep = json!([deep]);
    }
    assert_eq!(kind(st.put("a", "s", "k", &deep, None)), ErrorKind::InvalidArgument);
    let twice = st.put_many("a", "s", &[("k".into(), json!(1)), ("k".into(), json!(2))], None).unwrap_err();
    assert_eq!(twice.kind(), ErrorKind::InvalidArgument);
    let meta = st.put_checkpoint("t", "", "1", b"", None, Some(&json!([1])), "").unwrap_err();
    assert_eq!(meta.kind(), ErrorKind::InvalidArgument);
    assert_eq!(st.put_checkpoint("", "", "1", b"", None, None, "").unwrap_err().kind(), ErrorKind::InvalidArgument);
    // Nothing of the refused writes was stored.
    assert!(st.sessions("a").unwrap().is_empty());
    assert!(st.list_checkpoints(&CheckpointFilter::default()).unwrap().is_empty());
    st.put("a", "s", "k", &json!("kept"), None).unwrap();
    db.close();
    assert_eq!(st.put("a", "s", "k", &json!(1), None).unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(st.get("a", "s", "k", StateAt::Latest).unwrap_err().kind(), ErrorKind::Closed);

    // Read-only: reads work, writes are refused.
    let ro = Database::open_with(&path, OpenOptions { read_only: true, ..Default::default() }).unwrap();
    let st = ro.state().unwrap();
    assert_eq!(value_of(&st.get("a", "s", "k", StateAt::Latest).unwrap().unwrap()), json!("kept"));
    assert_eq!(kind(st.put("a", "s", "k", &json!(1), None)), ErrorKind::ReadOnly);
    assert_eq!(st.delete_thread("t").unwrap_err().kind(), ErrorKind::ReadOnly);
    ro.close();
}
