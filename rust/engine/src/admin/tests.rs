use std::path::{Path, PathBuf};

use crate::collection::Collection;
use crate::db::Database;
use crate::error::ErrorKind;
use crate::index::params::HnswParams;
use crate::types::records::{Records, Vectors};
use crate::types::schema::Metric;

use super::{list_backups, prune_backups, restore, verify_backup, ProblemKind};

fn add(c: &Collection, from: usize, to: usize) {
    let ids: Vec<String> = (from..to).map(|i| format!("r{i}")).collect();
    let data: Vec<f32> = (from..to).flat_map(|i| [i as f32, 1.0, (i % 7) as f32]).collect();
    let docs: Vec<Option<String>> = (from..to).map(|i| Some(format!("doc {i}"))).collect();
    c.add(&Records { ids: &ids, vectors: Vectors::Flat { data: &data, dim: 3 }, documents: Some(&docs), metadata: None }).unwrap();
}

fn ids_of(db: &Database, name: &str) -> Vec<String> {
    let mut ids = db.get_collection(name).unwrap().get(None, None, None, 0).unwrap().ids;
    ids.sort();
    ids
}

fn expected(n: usize) -> Vec<String> {
    let mut ids: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
    ids.sort();
    ids
}

/// The data files of a table's current version, largest first.
fn data_files(db: &Path, table: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(db.join(format!("{table}.lance")).join("data")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort_by_key(|p| std::cmp::Reverse(p.metadata().unwrap().len()));
    files
}

#[test]
fn backup_restores_what_was_written_and_refuses_bad_targets() {
    let dir = tempfile::tempdir().unwrap();
    let (path, dest) = (dir.path().join("db"), dir.path().join("bk"));
    let db = Database::open(&path).unwrap();
    let c = db.create_collection("docs", 3, Metric::L2).unwrap();
    add(&c, 0, 50);
    c.create_index(HnswParams::default()).unwrap();
    // Buffered in the log, not yet flushed: the backup must still hold them.
    add(&c, 50, 60);
    let point = db.backup(&dest, false).unwrap();
    assert_eq!(point.seq, 1);
    assert!(point.tables.contains_key("docs"));
    assert!(point.copied_bytes > 0 && point.copied_bytes == point.total_bytes());
    assert!(point.files.iter().any(|f| f.path == "_agentdb/docs.index.json"));
    // The backup's tag is gone once it is done: nothing keeps old versions in the database.
    assert!(!std::fs::read_dir(path.join("docs.lance/_refs/tags")).map(|d| d.count() > 0).unwrap_or(false));
    add(&c, 60, 70);

    let out = dir.path().join("restored");
    restore(&dest, &out, None).unwrap();
    let r = Database::open(&out).unwrap();
    assert_eq!(ids_of(&r, "docs"), expected(60));
    assert_eq!(r.get_collection("docs").unwrap().index_params().unwrap(), Some(HnswParams::default().into()));
    let hit = r.get_collection("docs").unwrap().search(&[5.0, 1.0, 5.0], 1, None).unwrap();
    assert_eq!(hit.ids, vec!["r5".to_string()]);
    assert!(r.verify(false).unwrap().is_ok(), "{:?}", r.verify(false).unwrap().problems);
    r.close();

    // A non-empty target is refused and left alone; so is an unknown point.
    let e = restore(&dest, &out, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(out.join("docs.lance").exists());
    assert_eq!(restore(&dest, dir.path().join("x"), Some(9)).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert!(!dir.path().join("x").exists());
    // A directory that is not a backup is neither written to nor restored from.
    std::fs::create_dir_all(dir.path().join("other")).unwrap();
    std::fs::write(dir.path().join("other/file"), b"x").unwrap();
    assert_eq!(db.backup(dir.path().join("other"), false).unwrap_err().kind(), ErrorKind::InvalidArgument);
    // One backup at a time per backup directory (another process's holds its lock).
    let held = std::fs::File::open(dest.join("LOCK")).unwrap();
    held.try_lock().unwrap();
    assert_eq!(db.backup(&dest, true).unwrap_err().kind(), ErrorKind::DatabaseLocked);
    drop(held);
    assert_eq!(db.backup(&dest, true).unwrap().seq, 2);
    // Nor into the database's own directory.
    assert_eq!(db.backup(path.join("bk"), false).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert!(!path.join("bk").exists());
    assert_eq!(restore(dir.path().join("other"), dir.path().join("y"), None).unwrap_err().kind(), ErrorKind::InvalidArgument);
    db.close();
}

#[test]
fn incremental_chain_restores_each_point() {
    let dir = tempfile::tempdir().unwrap();
    let (path, dest) = (dir.path().join("db"), dir.path().join("bk"));
    let db = Database::open(&path).unwrap();
    let c = db.create_collection("docs", 3, Metric::Cosine).unwrap();
    add(&c, 0, 200);
    let p1 = db.backup(&dest, true).unwrap();
    add(&c, 200, 210);
    let p2 = db.backup(&dest, true).unwrap();
    c.delete(Some(&["r3".to_string()]), None).unwrap();
    add(&c, 210, 220);
    let p3 = db.backup(&dest, true).unwrap();
    assert_eq!((p1.seq, p2.seq, p3.seq), (1, 2, 3));
    assert!(p2.incremental && p2.copied_files < p2.files.len() as u64, "{p2:?}");
    assert!(p2.copied_bytes < p1.copied_bytes);
    assert_eq!(list_backups(&dest).unwrap().iter().map(|p| p.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    db.close();

    let mut want3 = expected(220);
    want3.retain(|i| i != "r3");
    for (seq, want) in [(1, expected(200)), (2, expected(210)), (3, want3)] {
        let out = dir.path().join(format!("r{seq}"));
        let point = restore(&dest, &out, Some(seq)).unwrap();
        assert_eq!(point.seq, seq);
        let r = Database::open(&out).unwrap();
        assert_eq!(ids_of(&r, "docs"), want, "point {seq}");
        r.close();
    }
    assert!(verify_backup(&dest, None).unwrap().is_empty());
}

#[test]
fn damaged_backup_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, dest) = (dir.path().join("db"), dir.path().join("bk"));
    let db = Database::open(&path).unwrap();
    add(&db.create_collection("docs", 3, Metric::L2).unwrap(), 0, 20);
    let point = db.backup(&dest, false).unwrap();
    db.close();
    let victim = point.files.iter().filter(|f| f.path.contains("/data/")).max_by_key(|f| f.size).unwrap();
    let file = dest.join(&victim.stored);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[victim.size as usize / 2] ^= 0x40;
    std::fs::write(&file, &bytes).unwrap();
    let bad = verify_backup(&dest, None).unwrap();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].0, victim.stored);
    let out = dir.path().join("out");
    let e = restore(&dest, &out, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert!(e.message().contains(&victim.stored), "{}", e.message());
    assert!(!out.exists(), "a refused restore leaves nothing behind");
}

#[test]
fn verify_names_each_kind_of_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let db = Database::open(&path).unwrap();
        let c = db.create_collection("docs", 3, Metric::L2).unwrap();
        add(&c, 0, 40);
        db.flush().unwrap();
        add(&c, 40, 80);
        c.create_index(HnswParams::default()).unwrap();
        c.search(&[1.0, 1.0, 1.0], 1, None).unwrap();
        let clean = db.verify(false).unwrap();
        assert!(clean.is_ok(), "{:?}", clean.problems);
        assert!(clean.tables >= 1 && clean.rows >= 40 && clean.files >= 2, "{clean:?}");
        db.close();
    }
    let kinds = |db: &Database| db.verify(false).unwrap().problems.iter().map(|p| p.kind).collect::<Vec<_>>();

    // A stale index file: the one saved at an earlier version put back.
    let graph = path.join("_agentdb/docs.hnsw");
    let old_graph = std::fs::read(&graph).unwrap();
    {
        let db = Database::open(&path).unwrap();
        add(&db.get_collection("docs").unwrap(), 80, 90);
        db.close();
    }
    std::fs::write(&graph, &old_graph).unwrap();
    let db = Database::open_with(&path, crate::db::OpenOptions { read_only: true, ..Default::default() }).unwrap();
    let report = db.verify(false).unwrap();
    assert_eq!(kinds(&db), vec![ProblemKind::StaleIndex], "{report:?}");
    assert_eq!(db.verify(true).unwrap_err().kind(), ErrorKind::ReadOnly);
    db.close();
    let db = Database::open(&path).unwrap();
    let repaired = db.verify(true).unwrap();
    assert!(repaired.is_ok() && repaired.problems.len() == 1 && repaired.problems[0].repaired, "{repaired:?}");
    assert!(kinds(&db).is_empty());
    // Repair does not change the data.
    assert_eq!(ids_of(&db, "docs"), expected(90));
    db.close();

    // A damaged index file.
    let mut bytes = std::fs::read(&graph).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&graph, &bytes).unwrap();
    let db = Database::open_with(&path, crate::db::OpenOptions { read_only: true, ..Default::default() }).unwrap();
    assert_eq!(kinds(&db), vec![ProblemKind::DamagedIndex]);
    db.close();
    std::fs::remove_file(&graph).unwrap();

    // A flipped byte among a data file's values: it still decodes (as another value), and only
    // the checksum the table upkeep took after the commit tells.
    let victim = data_files(&path, "docs")[0].clone();
    let clean = std::fs::read(&victim).unwrap();
    let mut bytes = clean.clone();
    bytes[clean.len() / 3] ^= 0x10;
    std::fs::write(&victim, &bytes).unwrap();
    let db = Database::open_with(&path, crate::db::OpenOptions { read_only: true, ..Default::default() }).unwrap();
    let report = db.verify(false).unwrap();
    let name = victim.file_name().unwrap().to_str().unwrap();
    assert!(
        report.problems.iter().any(|p| p.kind == ProblemKind::DamagedFile && p.file.ends_with(name) && p.detail.contains("changed since it was committed")),
        "{report:?}"
    );
    db.close();
    std::fs::write(&victim, &clean).unwrap();
    let db = Database::open_with(&path, crate::db::OpenOptions { read_only: true, ..Default::default() }).unwrap();
    assert!(kinds(&db).is_empty(), "the file put back is sound again");
    db.close();

    // A flipped byte in a data file's structure (its footer): the read of the fragment fails too.
    let mut bytes = clean.clone();
    let at = bytes.len() - 2;
    bytes[at] ^= 0xff;
    std::fs::write(&victim, &bytes).unwrap();
    let db = Database::open_with(&path, crate::db::OpenOptions { read_only: true, ..Default::default() }).unwrap();
    let report = db.verify(false).unwrap();
    assert!(report.problems.iter().any(|p| p.kind == ProblemKind::DamagedData && p.file.contains(victim.file_name().unwrap().to_str().unwrap())), "{report:?}");
    db.close();

    // A missing fragment.
    std::fs::remove_file(&victim).unwrap();
    let db = Database::open_with(&path, crate::db::OpenOptions { read_only: true, ..Default::default() }).unwrap();
    let report = db.verify(false).unwrap();
    assert!(report.problems.iter().any(|p| p.kind == ProblemKind::MissingFile && p.file.ends_with(victim.file_name().unwrap().to_str().unwrap())), "{report:?}");
    db.close();
    std::fs::write(&victim, &clean).unwrap();
}

#[test]
fn verify_finds_a_damaged_log_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let db = Database::open(&path).unwrap();
    let c = db.create_collection("docs", 3, Metric::L2).unwrap();
    for i in 0..5 {
        add(&c, i * 10, i * 10 + 10);
    }
    let report = db.verify(false).unwrap();
    assert!(report.is_ok() && report.wal_records >= 5, "{report:?}");
    // Damage a record in the middle of the live segment (records follow it: not a torn tail).
    let wal = path.join("_agentdb/wal");
    let seg = std::fs::read_dir(&wal).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "wal")).max().unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[8 + 20] ^= 0x10;
    std::fs::write(&seg, &bytes).unwrap();
    let report = db.verify(false).unwrap();
    assert_eq!(report.problems.iter().map(|p| p.kind).collect::<Vec<_>>(), vec![ProblemKind::DamagedWal], "{report:?}");
    assert!(!report.problems[0].kind.repairable());
    // Put it back so the close's flush and trim find the log they wrote.
    bytes[8 + 20] ^= 0x10;
    std::fs::write(&seg, &bytes).unwrap();
    db.close();
}

#[test]
fn leftover_backup_tag_is_reported_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let db = Database::open(&path).unwrap();
    add(&db.create_collection("docs", 3, Metric::L2).unwrap(), 0, 10);
    db.flush().unwrap();
    // A tag of a process that does not exist (pid beyond Linux's pid_max).
    let tag = format!("{}{}-{}", super::BACKUP_TAG_PREFIX, 999_999_999u32, 1);
    let table = crate::storage::runtime::block_on(db.shared().conn.open_table("docs").execute()).unwrap();
    let ds = crate::storage::runtime::block_on(table.dataset().unwrap().get()).unwrap().clone();
    crate::storage::runtime::block_on(ds.tags().create(&tag, ds.version().version)).unwrap();
    let report = db.verify(false).unwrap();
    assert_eq!(report.problems.iter().map(|p| p.kind).collect::<Vec<_>>(), vec![ProblemKind::LeftoverBackupTag]);
    assert!(db.verify(true).unwrap().is_ok());
    assert!(db.verify(false).unwrap().problems.is_empty());
    db.close();
}

#[test]
fn prune_keeps_the_newest_points_restorable_and_frees_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (path, dest) = (dir.path().join("db"), dir.path().join("bk"));
    let db = Database::open(&path).unwrap();
    let c = db.create_collection("docs", 3, Metric::L2).unwrap();
    // Point 1 full, points 2..4 incremental: the later points share files point 1 copied.
    add(&c, 0, 40);
    db.backup(&dest, false).unwrap();
    for (seq, n) in [(2, 60), (3, 80), (4, 100)] {
        add(&c, n - 20, n);
        assert_eq!(db.backup(&dest, true).unwrap().seq, seq);
    }
    let before = list_backups(&dest).unwrap();
    assert_eq!(prune_backups(&dest, 0).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(prune_backups(dir.path(), 1).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert!(!dir.path().join("LOCK").exists(), "a directory that is no backup got a lock file");
    // Nothing to prune: nothing removed.
    assert_eq!(prune_backups(&dest, 4).unwrap(), super::PruneReport::default());

    let report = prune_backups(&dest, 2).unwrap();
    assert_eq!(report.removed_points, vec![1, 2]);
    let left = list_backups(&dest).unwrap();
    assert_eq!(left.iter().map(|p| p.seq).collect::<Vec<_>>(), vec![3, 4]);
    // Exactly the files no kept point names are gone, and what is left is what kept points name.
    let named: std::collections::HashSet<String> = left.iter().flat_map(|p| p.files.iter().map(|f| f.stored.clone())).collect();
    let dropped: std::collections::HashSet<String> =
        before.iter().flat_map(|p| p.files.iter().map(|f| f.stored.clone())).filter(|s| !named.contains(s)).collect();
    assert!(!dropped.is_empty());
    assert_eq!(report.removed_files as usize, dropped.len());
    for s in &dropped {
        assert!(!dest.join(s).exists(), "{s} should be deleted");
    }
    // A kept incremental point still names files point 1 copied; those stayed.
    assert!(named.iter().any(|s| s.starts_with("files/000001/")));
    for (seq, n) in [(3, 80), (4, 100)] {
        assert!(verify_backup(&dest, Some(seq)).unwrap().is_empty());
        let out = dir.path().join(format!("restored{seq}"));
        restore(&dest, &out, Some(seq)).unwrap();
        let r = Database::open(&out).unwrap();
        assert_eq!(ids_of(&r, "docs"), expected(n));
        r.close();
    }
    // Numbering goes on after a prune: a new point does not reuse a removed number.
    assert_eq!(db.backup(&dest, true).unwrap().seq, 5);
    // Not beside a backup or another prune (the directory's lock).
    let held = std::fs::File::open(dest.join("LOCK")).unwrap();
    held.try_lock().unwrap();
    assert_eq!(prune_backups(&dest, 1).unwrap_err().kind(), ErrorKind::DatabaseLocked);
    drop(held);
    assert_eq!(prune_backups(&dest, 1).unwrap().removed_points, vec![3, 4]);
    db.close();
}

/// A cancelled backup, restore or verify stops with `Cancelled` and leaves nothing that looks
/// complete: no backup point (and no copied files), an empty restore target; the next call works.
#[test]
fn cancelled_backup_restore_and_verify_leave_nothing_half_done() {
    use crate::util::cancel::{with_token, CancelToken};
    let dir = tempfile::tempdir().unwrap();
    let (path, dest) = (dir.path().join("db"), dir.path().join("bk"));
    let db = Database::open(&path).unwrap();
    let c = db.create_collection("docs", 3, Metric::L2).unwrap();
    add(&c, 0, 40);
    db.flush().unwrap();
    let token = CancelToken::new();
    token.cancel();
    let err = with_token(&token, || db.backup(&dest, false)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(list_backups(&dest).unwrap().is_empty());
    assert!(!dest.join("files").join("000001").exists(), "a cancelled backup's files stay behind");
    let err = with_token(&token, || db.verify(false)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);

    // Not attached (another thread's token, or none): the calls run whole.
    let point = db.backup(&dest, false).unwrap();
    assert_eq!(point.seq, 1);
    let out = dir.path().join("restored");
    let err = with_token(&token, || restore(&dest, &out, None)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(), "a cancelled restore left files");
    let err = with_token(&token, || verify_backup(&dest, None)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    token.reset();
    with_token(&token, || restore(&dest, &out, None)).unwrap();
    assert_eq!(ids_of(&Database::open(&out).unwrap(), "docs"), expected(40));
    assert!(db.verify(false).unwrap().problems.is_empty());
}
