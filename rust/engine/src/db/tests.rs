use super::*;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Instant, SystemTime};

use crate::storage::lance::{listed_versions, MTIME_SLACK, VERSION_GRACE};
use crate::types::schema::Metric;

/// The directory listing names the same versions as Lance's own (which reads every manifest),
/// with write times no earlier than the commit times the manifests hold.
#[test]
fn listed_versions_match_lance() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let c = db.create_collection("c", 2, Metric::L2).unwrap();
    for i in 0..5 {
        add_one(&c, i);
        db.flush().unwrap();
    }
    let table = block_on(db.shared.conn.open_table("c").execute()).unwrap();
    let lance = block_on(table.list_versions()).unwrap();
    let mut listed = listed_versions(&dir.path().join("c.lance").join("_versions")).unwrap();
    listed.sort_by_key(|(v, _)| *v);
    assert_eq!(listed.iter().map(|(v, _)| *v).collect::<Vec<_>>(), lance.iter().map(|v| v.version).collect::<Vec<_>>());
    for ((_, written), v) in listed.iter().zip(&lance) {
        let stamped = SystemTime::from(v.timestamp);
        assert!(
            *written + MTIME_SLACK >= stamped,
            "version {}: file written {:?} before its manifest's time",
            v.version,
            stamped.duration_since(*written).unwrap_or_default()
        );
    }
    // An explicit cleanup with no grace keeps the current version only.
    block_on(prune_superseded(&table, Duration::ZERO, 1)).unwrap();
    let left = listed_versions(&dir.path().join("c.lance").join("_versions")).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(c.count(None).unwrap(), 5);
    db.close();
}

/// Adds record `r{i}` to a 2-dimensional collection.
fn add_one(c: &Collection, i: usize) {
    let ids = vec![format!("r{i}")];
    let data = [i as f32, 1.0];
    c.add(&crate::types::records::Records {
        ids: &ids,
        vectors: crate::types::records::Vectors::Flat { data: &data, dim: 2 },
        documents: None,
        metadata: None,
    })
    .unwrap();
}

/// One open → add one record → close session.
fn session(path: &Path, i: usize) {
    let db = Database::open(path).unwrap();
    add_one(&db.get_or_create_collection("c", 2, Metric::L2).unwrap(), i);
    db.close();
}

fn version_count(path: &Path) -> usize {
    listed_versions(&path.join("c.lance").join("_versions")).unwrap().len()
}

/// With no reader open, a close removes the replaced versions at once (past the batch of
/// PRUNE_VERSIONS); with one open, the grace holds, and the reader reads on.
#[test]
fn readers_keep_the_grace_and_only_they() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let sessions = PRUNE_VERSIONS * 2;
    for i in 0..sessions {
        session(path, i);
        assert!(version_count(path) <= PRUNE_VERSIONS + 2, "session {i}: {} versions", version_count(path));
    }
    let reader = Database::open_with(path, OpenOptions { read_only: true, ..Default::default() }).unwrap();
    let before = version_count(path);
    let start = Instant::now();
    for i in sessions..sessions * 2 {
        session(path, i);
        assert_eq!(reader.get_collection("c").unwrap().count(None).unwrap(), i as u64 + 1);
    }
    // (Past the grace, the writer may remove the first versions the reader no longer reads.)
    if start.elapsed() < VERSION_GRACE {
        assert!(version_count(path) >= before + sessions, "{} versions, {before} before", version_count(path));
    }
    reader.close();
    session(path, sessions * 2);
    assert!(version_count(path) <= PRUNE_VERSIONS + 2, "{} versions after the reader closed", version_count(path));
    let db = Database::open(path).unwrap();
    assert_eq!(db.get_collection("c").unwrap().count(None).unwrap(), sessions as u64 * 2 + 1);
}

/// A reader opening while a closing writer holds the readers out waits, then opens.
#[test]
fn a_reader_waits_for_the_cleanup() {
    let dir = tempfile::tempdir().unwrap();
    session(dir.path(), 0);
    let held = lock_out_readers(dir.path()).expect("no reader holds the lock");
    assert!(lock_out_readers(dir.path()).is_none(), "the exclusive lock is taken once");
    let path = dir.path().to_path_buf();
    let opened = std::sync::Arc::new(AtomicBool::new(false));
    let flag = opened.clone();
    let t = std::thread::spawn(move || {
        let r = Database::open_with(&path, OpenOptions { read_only: true, ..Default::default() }).unwrap();
        flag.store(true, Ordering::SeqCst);
        assert!(lock_out_readers(&path).is_none(), "an open reader keeps the writer's cleanup out");
        r.get_collection("c").unwrap().count(None).unwrap()
    });
    std::thread::sleep(Duration::from_millis(200));
    assert!(!opened.load(Ordering::SeqCst), "the reader opened under the writer's exclusive lock");
    drop(held);
    assert_eq!(t.join().unwrap(), 1);
    assert!(lock_out_readers(dir.path()).is_some(), "a closed reader lets the writer's cleanup in");
}

/// An HNSW build cancelled from another thread while it runs returns `Cancelled` and leaves the
/// old index (its parameters, and searches through it); the next build works. A cancelled batch
/// search returns `Cancelled` too, and optimize checks before it compacts.
#[test]
fn a_cancelled_index_build_leaves_the_old_index() {
    use crate::index::params::{HnswParams, IndexParams};
    use crate::util::cancel::{with_token, CancelToken};
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let dim = 16;
    let c = db.create_collection("c", dim, Metric::L2).unwrap();
    let n = 20_000;
    let ids: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
    let mut x = 1u64;
    let data: Vec<f32> = (0..n * dim)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect();
    c.add(&crate::types::records::Records { ids: &ids, vectors: crate::types::records::Vectors::Flat { data: &data, dim }, documents: None, metadata: None })
        .unwrap();
    let old = HnswParams { m: 4, ef_construction: 8, ..HnswParams::default() };
    c.create_index(old).unwrap();
    assert_eq!(c.search(&data[..dim], 5, None).unwrap().ids[0], "r0");

    let token = CancelToken::new();
    let started = Instant::now();
    let slow = HnswParams { m: 48, ef_construction: 2000, ..HnswParams::default() };
    let err = std::thread::scope(|s| {
        let canceller = s.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            token.cancel();
        });
        let r = with_token(&token, || c.create_index(slow));
        canceller.join().unwrap();
        r
    })
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    // Stopped soon after the cancel, not at the end of a build of minutes.
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "took {:?}", started.elapsed());
    assert_eq!(c.index_params().unwrap(), Some(IndexParams::Hnsw(old)));
    let after = c.search(&data[..dim], 5, None).unwrap();
    assert_eq!((after.ids.len(), after.ids[0].as_str()), (5, "r0"));
    assert_eq!(c.count(None).unwrap(), n as u64);

    let queries = crate::types::records::Vectors::Flat { data: &data[..dim * 100], dim };
    let err = with_token(&token, || c.search_batch(queries, 3, None)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert_eq!(with_token(&token, || c.optimize()).unwrap_err().kind(), ErrorKind::Cancelled);
    token.reset();
    assert_eq!(with_token(&token, || c.search_batch(queries, 3, None)).unwrap().len(), 100);
    let next = HnswParams { m: 8, ef_construction: 16, ..HnswParams::default() };
    with_token(&token, || c.create_index(next)).unwrap();
    assert_eq!(c.index_params().unwrap(), Some(IndexParams::Hnsw(next)));
}
