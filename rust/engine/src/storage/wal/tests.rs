use super::*;
use crate::util::checksum::crc32c;


fn records(dir: &Path) -> Vec<(u64, String, Vec<u8>)> {
    let (_, recs) = Wal::open(dir, SyncMode::Always).unwrap();
    recs.into_iter().map(|r| (r.lsn, r.stream, r.payload)).collect()
}

#[test]
fn appends_replay_in_order() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (wal, recs) = Wal::open(dir.path(), SyncMode::Always).unwrap();
        assert!(recs.is_empty());
        assert_eq!(wal.append("a", b"one").unwrap(), 1);
        assert_eq!(wal.append("b", b"two").unwrap(), 2);
        assert_eq!(wal.append("a", b"").unwrap(), 3);
    }
    let got = records(dir.path());
    assert_eq!(got, vec![(1, "a".into(), b"one".to_vec()), (2, "b".into(), b"two".to_vec()), (3, "a".into(), vec![])]);
    // LSNs continue after reopening.
    let (wal, _) = Wal::open(dir.path(), SyncMode::Off).unwrap();
    assert_eq!(wal.append("a", b"four").unwrap(), 4);
}

#[test]
fn concurrent_appends_get_distinct_lsns() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), SyncMode::Always).unwrap();
    let wal = Arc::new(wal);
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || (0..200).map(|i| wal.append("s", format!("{t}:{i}").as_bytes()).unwrap()).collect::<Vec<_>>())
        })
        .collect();
    let mut lsns: Vec<u64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    lsns.sort_unstable();
    assert_eq!(lsns, (1..=1600).collect::<Vec<_>>());
    drop(wal);
    assert_eq!(records(dir.path()).len(), 1600);
}

fn only_segment(dir: &Path) -> PathBuf {
    let mut segs: Vec<PathBuf> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "wal")).collect();
    assert_eq!(segs.len(), 1);
    segs.pop().unwrap()
}

#[test]
fn torn_tail_is_dropped_and_writing_continues() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (wal, _) = Wal::open(dir.path(), SyncMode::Always).unwrap();
        for i in 0..10u8 {
            wal.append("s", &[i; 100]).unwrap();
        }
    }
    let seg = only_segment(dir.path());
    let full = fs::read(&seg).unwrap();
    let end = SEGMENT_MAGIC.len() + 10 * (HEADER + 8 + 2 + 1 + 100);
    assert!(full.len() > end && full[end..].iter().all(|&b| b == 0), "zeros are written ahead of the records");
    let full = full[..end].to_vec();
    // Cut the last record at every possible point, with or without the zeros after it: the
    // first nine always survive.
    for cut in [1usize, 7, 8, 9, 50, 118] {
        for zeros in [0usize, 5, 4096] {
            let mut torn = full[..full.len() - cut].to_vec();
            torn.resize(torn.len() + zeros, 0);
            fs::write(&seg, &torn).unwrap();
            let got = records(dir.path());
            assert_eq!(got.len(), 9, "cut {cut}, zeros {zeros}");
            assert_eq!(got[8].2, vec![8u8; 100]);
        }
    }
    // Garbage instead of the last record's end: also a torn tail.
    let mut bad = full.clone();
    let n = bad.len();
    bad[n - 3] ^= 0x55;
    fs::write(&seg, &bad).unwrap();
    let (wal, got) = Wal::open(dir.path(), SyncMode::Always).unwrap();
    assert_eq!(got.len(), 9);
    assert_eq!(wal.append("s", b"after").unwrap(), 10);
    drop(wal);
    let got = records(dir.path());
    assert_eq!(got.len(), 10);
    assert_eq!(got[9], (10, "s".into(), b"after".to_vec()));
}

#[test]
fn segments_rotate_sealed_to_their_records() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut wal, _) = Wal::open(dir.path(), SyncMode::Always).unwrap();
        wal.segment_limit = 1000;
        for i in 0..30u8 {
            wal.append("s", &[i; 100]).unwrap();
        }
    }
    let mut segs: Vec<PathBuf> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    segs.sort();
    assert!(segs.len() >= 3, "{segs:?}");
    for sealed in &segs[..segs.len() - 1] {
        let data = fs::read(sealed).unwrap();
        assert_ne!(*data.last().unwrap(), 0, "a sealed segment ends with its last record");
        assert_eq!((data.len() - SEGMENT_MAGIC.len()) % (HEADER + 111), 0);
    }
    let got = records(dir.path());
    assert_eq!(got.len(), 30);
    assert!(got.iter().enumerate().all(|(i, r)| r.0 == i as u64 + 1 && r.2 == vec![i as u8; 100]));
    // Reopened, the log goes on after the last record, not after the zeros.
    let (wal, _) = Wal::open(dir.path(), SyncMode::Always).unwrap();
    assert_eq!(wal.append("s", b"more").unwrap(), 31);
    drop(wal);
    assert_eq!(records(dir.path()).last().unwrap().2, b"more".to_vec());
}

#[test]
fn damage_in_the_middle_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (wal, _) = Wal::open(dir.path(), SyncMode::Always).unwrap();
        for i in 0..10u8 {
            wal.append("s", &[i; 100]).unwrap();
        }
    }
    let seg = only_segment(dir.path());
    let mut data = fs::read(&seg).unwrap();
    data[8 + 3 * 118 + 40] ^= 0xFF; // inside the 4th record
    fs::write(&seg, &data).unwrap();
    let err = Wal::open(dir.path(), SyncMode::Always).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.message().contains("damaged"), "{}", err.message());
}

#[test]
fn flushed_records_are_skipped_and_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (wal, _) = Wal::open(dir.path(), SyncMode::Batch).unwrap();
        for i in 0..5u8 {
            wal.append("a", &[i]).unwrap();
            wal.append("b", &[i]).unwrap();
        }
        wal.set_flushed("a", wal.last_lsn("a")).unwrap();
        wal.sync().unwrap();
        wal.trim().unwrap(); // "b" is not flushed: nothing goes
    }
    let got = records(dir.path());
    assert_eq!(got.iter().filter(|r| r.1 == "a").count(), 0);
    assert_eq!(got.iter().filter(|r| r.1 == "b").count(), 5);
    {
        let (wal, _) = Wal::open(dir.path(), SyncMode::Always).unwrap();
        wal.set_flushed("b", wal.last_lsn("b")).unwrap();
        wal.trim().unwrap();
        assert_eq!(wal.segment_bytes(), SEGMENT_MAGIC.len() as u64);
    }
    let (wal, got) = Wal::open(dir.path(), SyncMode::Always).unwrap();
    assert!(got.is_empty());
    // LSNs never go back, even with the log emptied.
    assert_eq!(wal.append("a", b"x").unwrap(), 11);
}

/// A record as [`encode`] writes it, with any LSN and stream bytes (the checksum valid).
fn raw_record(lsn: u64, stream: &[u8], payload: &[u8]) -> Vec<u8> {
    let body: Vec<u8> = [&lsn.to_le_bytes()[..], &(stream.len() as u16).to_le_bytes(), stream, payload].concat();
    [&(body.len() as u32).to_le_bytes()[..], &crc32c(&body).to_le_bytes(), &body].concat()
}

/// A log of three good records, then `bad` (valid checksum), as the last thing in the log.
fn log_ending_in(dir: &Path, bad: &[u8]) -> PathBuf {
    {
        let (wal, _) = Wal::open(dir, SyncMode::Always).unwrap();
        for i in 0..3u8 {
            wal.append("s", &[i; 10]).unwrap();
        }
    }
    let seg = only_segment(dir);
    let mut data = fs::read(&seg).unwrap();
    let end = SEGMENT_MAGIC.len() + 3 * (HEADER + 8 + 2 + 1 + 10);
    data.truncate(end);
    data.extend_from_slice(bad);
    data.resize(data.len() + 4096, 0);
    fs::write(&seg, &data).unwrap();
    seg
}

#[test]
fn a_sound_checksum_over_impossible_framing_is_damage_not_a_torn_tail() {
    let end = SEGMENT_MAGIC.len() + 3 * (HEADER + 8 + 2 + 1 + 10);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("stream name longer than the record", {
            let mut r = raw_record(4, b"s", b"payload");
            r[HEADER + 8..HEADER + 10].copy_from_slice(&u16::MAX.to_le_bytes());
            let crc = crc32c(&r[HEADER..]);
            r[4..8].copy_from_slice(&crc.to_le_bytes());
            r
        }),
        ("stream name not UTF-8", raw_record(4, &[0xFF, 0xFE], b"payload")),
        ("empty stream name", raw_record(4, b"", b"payload")),
        ("LSN going backwards", raw_record(2, b"s", b"payload")),
        ("LSN impossibly large", raw_record(u64::MAX, b"s", b"payload")),
    ];
    for (what, bad) in cases {
        let dir = tempfile::tempdir().unwrap();
        let seg = log_ending_in(dir.path(), &bad);
        let before = fs::read(&seg).unwrap();
        let err = Wal::open(dir.path(), SyncMode::Always).err().unwrap_or_else(|| panic!("{what}: opened"));
        assert_eq!(err.kind(), ErrorKind::Storage, "{what}");
        let m = err.message();
        assert!(m.contains(&seg.display().to_string()) && m.contains(&format!("at byte {end}")), "{what}: {m}");
        // Not cut off as a torn tail: the file is as it was.
        assert_eq!(fs::read(&seg).unwrap(), before, "{what}");
    }
}

#[test]
fn records_know_their_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let seg = log_ending_in(dir.path(), &raw_record(4, b"t", b"four"));
    let (_, recs) = Wal::open(dir.path(), SyncMode::Always).unwrap();
    assert_eq!(recs.len(), 4);
    let last = &recs[3];
    assert_eq!((last.lsn, last.stream.as_str(), last.payload.as_slice()), (4, "t", &b"four"[..]));
    assert_eq!(&*last.segment, seg.as_path());
    assert_eq!(last.offset as usize, SEGMENT_MAGIC.len() + 3 * (HEADER + 11 + 10));
    let err = unusable_record(last, &Error::storage("bad"));
    assert!(is_unusable_record(&err));
    assert!(err.message().contains(&format!("at byte {}", last.offset)), "{}", err.message());
}

#[test]
fn impossible_lsns_in_names_and_marks_are_damage() {
    let dir = tempfile::tempdir().unwrap();
    drop(Wal::open(dir.path(), SyncMode::Always).unwrap());
    fs::write(dir.path().join(FLUSHED_FILE), format!(r#"{{"s": {}}}"#, u64::MAX)).unwrap();
    assert_eq!(Wal::open(dir.path(), SyncMode::Always).err().unwrap().kind(), ErrorKind::Storage);
    fs::remove_file(dir.path().join(FLUSHED_FILE)).unwrap();
    create_segment(dir.path(), u64::MAX).unwrap();
    assert_eq!(Wal::open(dir.path(), SyncMode::Always).err().unwrap().kind(), ErrorKind::Storage);
}

/// Random bytes and resealed random edits of a real segment: scanning never panics.
#[test]
fn scanning_arbitrary_segments_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let seg = log_ending_in(dir.path(), &raw_record(4, b"collection:v", &[1, 0xF0, 0xFF, 0xFF, 0xFF]));
    let good = fs::read(seg).unwrap();
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..3000 {
        let mut data = good.clone();
        for _ in 0..1 + next() % 3 {
            let at = next() as usize % data.len();
            data[at] = next() as u8;
        }
        if round % 3 == 0 {
            data.truncate(next() as usize % data.len());
        }
        let _ = scan_segment(&data, round % 2 == 0, 0);
        crate::fuzz::wal_decode(&data);
    }
}

// ---- records whose content the database cannot apply ---------------------------------

/// A collection record putting one row, laid out as `buffer.rs` encodes it.
fn put_payload(id: &str, vector: &[f32], created: i64, meta: &[(&str, u8, &[u8])]) -> Vec<u8> {
    let mut p = vec![1u8];
    p.extend_from_slice(&1u32.to_le_bytes());
    p.extend_from_slice(&(id.len() as u32).to_le_bytes());
    p.extend_from_slice(id.as_bytes());
    p.extend_from_slice(&created.to_le_bytes());
    p.extend_from_slice(&created.to_le_bytes());
    p.push(0); // no document
    p.extend_from_slice(&(vector.len() as u32).to_le_bytes());
    for x in vector {
        p.extend_from_slice(&x.to_le_bytes());
    }
    p.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    for (k, tag, v) in meta {
        p.extend_from_slice(&(k.len() as u32).to_le_bytes());
        p.extend_from_slice(k.as_bytes());
        p.push(*tag);
        p.extend_from_slice(v);
    }
    p
}

const NOW: i64 = 1_700_000_000_000_000;

/// A database with collections `v` and `w` (dim 3) whose log then holds, as a crashed writer
/// leaves it: a good row of `w`, `bad` in `stream`, another good row of `w`. Returns the
/// database directory and the segment the records are in.
fn database_with_bad_record(stream: &[u8], bad: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = crate::Database::open(dir.path()).unwrap();
        db.create_collection("v", 3, crate::Metric::L2).unwrap();
        let w = db.create_collection("w", 3, crate::Metric::L2).unwrap();
        let ids = vec!["in-lance".to_string()];
        w.add(&crate::Records { ids: &ids, vectors: crate::Vectors::Flat { data: &[0.0, 0.0, 1.0], dim: 3 }, documents: None, metadata: None })
            .unwrap();
        db.close();
    }
    let wal_dir = dir.path().join("_agentdb").join("wal");
    let (wal, _) = Wal::open(&wal_dir, SyncMode::Always).unwrap();
    wal.append("collection:w", &put_payload("w1", &[1.0, 2.0, 3.0], NOW, &[])).unwrap();
    let lsn = wal.append("collection:w", &put_payload("w2", &[4.0, 5.0, 6.0], NOW, &[])).unwrap();
    drop(wal);
    // The bad record goes between the two good ones' LSNs: write it by hand after them.
    let mut segs: Vec<PathBuf> = fs::read_dir(&wal_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    segs.sort();
    let seg = segs.pop().unwrap();
    let mut data = fs::read(&seg).unwrap();
    let (found, _) = scan_segment(&data, true, 0).unwrap();
    let end = found.last().map(|f| f.offset + HEADER + 10 + f.stream.len() + f.payload.len()).unwrap();
    data.truncate(end);
    data.extend_from_slice(&raw_record(lsn + 1, stream, bad));
    data.extend_from_slice(&raw_record(lsn + 2, b"collection:w", &put_payload("w3", &[7.0, 8.0, 9.0], NOW, &[])));
    fs::write(&seg, &data).unwrap();
    (dir, seg)
}

#[test]
fn an_unusable_collection_record_fails_that_collection_and_the_rest_is_recovered() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", (0..64u8).map(|i| i.wrapping_mul(37) ^ 0xA5).collect()),
        ("a huge row count", [&[1u8][..], &0xFFFF_FFF0u32.to_le_bytes()].concat()),
        ("a huge id length", [&[1u8][..], &1u32.to_le_bytes(), &0xFFFF_FFF0u32.to_le_bytes(), b"x"].concat()),
        ("a huge vector length", {
            let mut p = put_payload("v1", &[1.0, 2.0, 3.0], NOW, &[]);
            let at = 1 + 4 + 4 + 2 + 8 + 8 + 1;
            p[at..at + 4].copy_from_slice(&0x4000_0000u32.to_le_bytes());
            p
        }),
        ("an unknown operation", vec![9, 0, 0, 0, 0]),
        ("trailing bytes", [put_payload("v1", &[1.0, 2.0, 3.0], NOW, &[]), vec![0; 3]].concat()),
        ("another dimension", put_payload("v1", &[1.0, 2.0], NOW, &[])),
        ("a NaN", put_payload("v1", &[1.0, f32::NAN, 3.0], NOW, &[])),
        ("an empty id", put_payload("", &[1.0, 2.0, 3.0], NOW, &[])),
        ("a negative creation time", put_payload("v1", &[1.0, 2.0, 3.0], -5, &[])),
        ("a key without a column", put_payload("v1", &[1.0, 2.0, 3.0], NOW, &[("lang", 4, &[2, 0, 0, 0, b'e', b'n'])])),
        ("an invalid key", put_payload("v1", &[1.0, 2.0, 3.0], NOW, &[("no spaces", 1, &[1])])),
        ("an infinity", put_payload("v1", &[1.0, f32::INFINITY, 3.0], NOW, &[])),
    ];
    for (what, bad) in cases {
        let (dir, seg) = database_with_bad_record(b"collection:v", &bad);
        let db = crate::Database::open(dir.path()).unwrap_or_else(|e| panic!("{what}: open failed: {e}"));
        // Everything else in the log is back, also the record after the bad one.
        let w = db.get_collection("w").unwrap();
        assert_eq!(w.count(None).unwrap(), 4, "{what}");
        let ids = ["w1", "w2", "w3"].map(String::from);
        assert_eq!(w.get(Some(&ids), None, None, 0).unwrap().ids.len(), 3, "{what}");
        // The damaged collection fails, naming the file and the offset, every time.
        for _ in 0..2 {
            let err = db.get_collection("v").err().unwrap_or_else(|| panic!("{what}: v opened"));
            assert_eq!(err.kind(), ErrorKind::Storage, "{what}: {err}");
            let m = err.message();
            assert!(m.contains(&seg.display().to_string()) && m.contains("at byte "), "{what}: {m}");
        }
        // State works; the log keeps the bad record (and so opens fail the same way again).
        db.state().unwrap();
        db.close();
        let db = crate::Database::open(dir.path()).unwrap();
        assert_eq!(db.get_collection("v").err().unwrap().kind(), ErrorKind::Storage, "{what}");
        // Dropping the collection discards its records: the database is whole again.
        db.drop_collection("v").unwrap();
        db.close();
        let db = crate::Database::open(dir.path()).unwrap();
        assert_eq!(db.get_collection("w").unwrap().count(None).unwrap(), 4);
        db.close();
    }
}

#[test]
fn unusable_records_of_the_state_or_of_no_known_stream_fail_the_open_naming_them() {
    for (stream, payload) in [(&b"state"[..], vec![0xEEu8; 20]), (&b"bogus"[..], vec![1, 2, 3])] {
        let (dir, seg) = database_with_bad_record(stream, &payload);
        let err = crate::Database::open(dir.path()).err().expect("opened");
        assert_eq!(err.kind(), ErrorKind::Storage);
        let m = err.message();
        assert!(m.contains(&seg.display().to_string()) && m.contains("at byte "), "{m}");
        // Nothing was lost meanwhile: a read-only open sees what Lance has.
        let ro = crate::Database::open_with(dir.path(), crate::OpenOptions { read_only: true, ..Default::default() }).unwrap();
        assert_eq!(ro.get_collection("w").unwrap().count(None).unwrap(), 1);
    }
}

#[test]
fn a_record_of_a_collection_that_does_not_exist_is_discarded() {
    let (dir, _) = database_with_bad_record(b"collection:gone", &put_payload("g", &[1.0, 2.0, 3.0], NOW, &[]));
    let db = crate::Database::open(dir.path()).unwrap();
    assert_eq!(db.get_collection("w").unwrap().count(None).unwrap(), 4);
}
