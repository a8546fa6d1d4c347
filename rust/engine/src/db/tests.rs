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
