use std::time::Instant;

use super::*;
use crate::storage::runtime::block_on;

/// Keys (and agent, session, thread names) that SQL pasting would have got wrong.
const ODD: [&str; 12] = [
    "it's",
    "it''s",
    "'",
    "''",
    "(x)",
    ") OR (TRUE",
    "a') OR ('1'='1",
    r"back\slash",
    r"\'",
    "`tick`",
    "per%cent_under",
    "ünï ✓\n\t",
];

fn open(dir: &std::path::Path) -> Store {
    let conn = block_on(lancedb::connect(dir.to_str().unwrap()).execute()).unwrap();
    block_on(Store::open(conn)).unwrap().0
}

fn key_row(agent: &str, session: &str, key: Option<&str>, lsn: u64) -> StoreRow {
    StoreRow::State {
        agent: agent.into(),
        session: session.into(),
        key: key.map(Into::into),
        version: 1,
        value: key.map(|_| Arc::from("1")),
        written_at: 0,
        expires_at: None,
        ttl: key.is_none().then_some(1),
        lsn,
    }
}

fn delete(eq: Vec<(&'static str, &str)>, keys_only: bool, upto: u64) -> Pending {
    let eq = eq.into_iter().map(|(c, v)| (c, Field::Str(v.into()))).collect();
    Pending::Delete(Delete { target: Target::State, eq, keys_only, upto })
}

fn write(store: &Store, pending: Vec<Pending>) {
    block_on(store.write(pending)).map_err(|(e, _)| e).unwrap();
}

fn version(store: &Store, target: Target) -> u64 {
    block_on(async { store.table(target, false).await.unwrap().unwrap().version().await.unwrap() })
}

/// The state rows in Lance, as (agent, session, key, lsn), sorted.
fn state_rows(store: &Store) -> Vec<(String, String, Option<String>, u64)> {
    let mut out: Vec<_> = block_on(store.load())
        .unwrap()
        .rows
        .into_iter()
        .filter_map(|r| match r {
            StoreRow::State { agent, session, key, lsn, .. } => Some((agent, session, key, lsn)),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

fn tuple(r: &StoreRow) -> (String, String, Option<String>, u64) {
    match r {
        StoreRow::State { agent, session, key, lsn, .. } => (agent.clone(), session.clone(), key.clone(), *lsn),
        _ => unreachable!(),
    }
}

/// A flush that deletes 10,000 keys is one Lance commit (one version), whatever the mix of
/// deletions in it, and deletes exactly what the in-memory test (`deleted_by`) says.
#[test]
fn a_big_state_delete_is_one_commit() {
    const N: usize = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut rows = Vec::new();
    for i in 0..N {
        rows.push(key_row("a", "s", Some(&format!("k{i}'({i})")), 5));
    }
    for (i, odd) in ODD.iter().enumerate() {
        rows.push(key_row(odd, odd, Some(odd), 3));
        rows.push(key_row("a", "kept", Some(odd), 3 + i as u64));
        rows.push(key_row("b", odd, Some("k"), 3));
    }
    rows.push(key_row("a", "s", None, 5)); // the session's TTL setting
    rows.push(key_row("a", "s", Some("k1'(1)"), 9)); // newer than the deletions
    write(&store, rows.iter().cloned().map(Pending::Append).collect());
    let before = version(&store, Target::State);

    // Every key of session s (10,000 deletions sharing all but the key), purges of odd
    // agents and sessions, keys-only drops and a deletion that matches nothing.
    let mut deletes = Vec::new();
    let names: Vec<String> = (0..N).map(|i| format!("k{i}'({i})")).collect();
    for k in &names {
        deletes.push(delete(vec![("agent_id", "a"), ("session_id", "s"), ("state_key", k)], false, 8));
    }
    for odd in &ODD[..6] {
        deletes.push(delete(vec![("agent_id", odd)], false, 8));
        deletes.push(delete(vec![("agent_id", "b"), ("session_id", odd)], true, 8));
    }
    deletes.push(delete(vec![("agent_id", "a"), ("session_id", "kept"), ("state_key", ODD[0])], false, 3));
    deletes.push(delete(vec![("agent_id", "a"), ("session_id", "kept"), ("state_key", ODD[1])], false, 2));
    deletes.push(delete(vec![("agent_id", "nobody")], false, 8));
    let sql = deletes_predicate(
        &deletes.iter().map(|p| match p { Pending::Delete(d) => d.clone(), _ => unreachable!() }).collect::<Vec<_>>(),
    )
    .to_sql();
    let start = Instant::now();
    write(&store, deletes.clone());
    let took = start.elapsed();
    eprintln!("{} deletions ({} bytes of SQL) in {took:?}", deletes.len(), sql.len());
    assert_eq!(version(&store, Target::State), before + 1, "one commit for the whole delete");

    let mut want: Vec<_> = rows
        .iter()
        .filter(|r| !deletes.iter().any(|p| matches!(p, Pending::Delete(d) if r.deleted_by(d))))
        .map(tuple)
        .collect();
    want.sort();
    assert_eq!(state_rows(&store), want);
    assert!(want.len() < rows.len() - N && want.iter().any(|(_, s, k, _)| s == "s" && k.is_none()));

    // Nothing left to delete: no commit at all.
    write(&store, deletes);
    assert_eq!(version(&store, Target::State), before + 1);
}

/// Every deletion with its own LSN (10,000 purges of different sessions between two flushes):
/// no two share a group, and the predicate is still one commit.
#[test]
fn ten_thousand_unrelated_deletions_are_one_commit() {
    const N: u64 = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let sessions: Vec<String> = (0..N).map(|i| format!("s'{i})")).collect();
    let rows: Vec<StoreRow> = sessions.iter().enumerate().map(|(i, s)| key_row("a", s, Some("k"), i as u64 + 1)).collect();
    write(&store, rows.into_iter().map(Pending::Append).collect());
    let before = version(&store, Target::State);
    // Even sessions are purged after their row; odd ones before it (their row is newer).
    let deletes: Vec<Pending> = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| delete(vec![("agent_id", "a"), ("session_id", s)], false, i as u64 + 1 - (i as u64 % 2)))
        .collect();
    let start = Instant::now();
    write(&store, deletes);
    eprintln!("{N} ungrouped deletions in {:?}", start.elapsed());
    assert_eq!(version(&store, Target::State), before + 1);
    let left = state_rows(&store);
    assert_eq!(left.len() as u64, N / 2);
    assert!(left.iter().all(|(_, s, _, lsn)| lsn % 2 == 0 && sessions[*lsn as usize - 1] == *s));
}

/// Odd names are stored, read back, deleted and fetched exactly: deleting one never touches
/// another that only differs in quoting.
#[test]
fn odd_keys_round_trip_and_delete_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut rows = Vec::new();
    for (i, odd) in ODD.iter().enumerate() {
        rows.push(key_row(odd, odd, Some(odd), i as u64 + 1));
        rows.push(key_row("a", "s", Some(odd), i as u64 + 1));
    }
    write(&store, rows.iter().cloned().map(Pending::Append).collect());
    let mut all: Vec<_> = rows.iter().map(tuple).collect();
    all.sort();
    assert_eq!(state_rows(&store), all);
    for odd in ODD {
        write(&store, vec![delete(vec![("agent_id", "a"), ("session_id", "s"), ("state_key", odd)], false, 100)]);
        all.retain(|(a, s, k, _)| !(a == "a" && s == "s" && k.as_deref() == Some(odd)));
        assert_eq!(state_rows(&store), all, "after deleting {odd:?}");
    }
    for odd in ODD {
        write(&store, vec![delete(vec![("agent_id", odd)], false, 100)]);
        all.retain(|(a, ..)| a != odd);
        assert_eq!(state_rows(&store), all, "after purging {odd:?}");
    }
    assert!(all.is_empty());

    // Checkpoint payloads are fetched by the same kind of predicate.
    let ck = |t: &str, id: &str, lsn: u64| {
        StoreRow::Checkpoint(Arc::new(CkRow {
            cp: Checkpoint {
                thread_id: t.into(),
                namespace: t.into(),
                checkpoint_id: id.into(),
                parent_id: None,
                type_: "raw".into(),
                checkpoint: Arc::from(format!("{t}|{id}").as_bytes()),
                metadata: Arc::from("{}"),
                created_at: 0,
            },
            lsn,
            stub: false,
            flushed: false,
        }))
    };
    let cks: Vec<StoreRow> = ODD.iter().enumerate().flat_map(|(i, t)| [ck(t, t, i as u64), ck(t, "1", i as u64)]).collect();
    write(&store, cks.into_iter().map(Pending::Append).collect());
    let wanted: Vec<CkKey> =
        ODD.iter().enumerate().map(|(i, t)| (t.to_string(), t.to_string(), t.to_string(), i as u64)).collect();
    let got = block_on(store.payloads(&wanted)).unwrap();
    assert_eq!(got.len(), ODD.len());
    for k in &wanted {
        assert_eq!(&got[k][..], format!("{}|{}", k.0, k.2).as_bytes());
    }
}
