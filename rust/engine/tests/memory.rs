//! Agent memory through the engine API: the recall score on hand-built cases (every number
//! checked against the documented formula), filters, access statistics, forgetting, the three
//! consolidation steps, persistence, and the hidden-collection rule.

use std::time::Duration;

use agentdb_engine::{
    ConsolidateOptions, Database, ErrorKind, Filter, Memory, MemoryFilter, MemoryKind, MemoryUpdate, Metadata, Metric,
    NewMemory, RecallMode, RecallOptions, RecallWeights, Value, Vectors,
};

const S: i64 = 1_000_000; // one second in µs
const T0: i64 = 1_700_000_000 * S;

fn open(dir: &tempfile::TempDir) -> Database {
    Database::open(dir.path()).unwrap()
}

fn mem(agent: &str, id: &str, importance: f64, created: i64) -> NewMemory {
    NewMemory {
        id: Some(id.into()),
        text: Some(format!("text of {id}")),
        importance,
        created_at: Some(created),
        ..NewMemory::new(agent)
    }
}

fn remember(m: &Memory, items: &[NewMemory], vectors: &[f32]) -> Vec<String> {
    m.remember(items, Vectors::Flat { data: vectors, dim: m.dim() }).unwrap()
}

/// Linear-mode weights (the additive score most hand-built cases here check).
fn weights(sim: f64, rec: f64, imp: f64, half_life_secs: f64) -> RecallWeights {
    RecallWeights { similarity: sim, recency: rec, importance: imp, half_life_secs, ..RecallWeights::LINEAR }
}

/// The error kind of a call that must fail (the value types need not be `Debug`).
fn kind_of<T>(r: agentdb_engine::Result<T>) -> ErrorKind {
    match r {
        Ok(_) => panic!("the call succeeded"),
        Err(e) => e.kind(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// Four memories in 2-d (cosine), created 0, 0, 100 and 200 s before T0.
fn fixture(db: &Database) -> Memory {
    let m = db.memory("mem", Some(2), None).unwrap();
    remember(
        &m,
        &[mem("ann", "a", 0.2, T0), mem("ann", "b", 1.0, T0), mem("ann", "c", 0.5, T0 - 100 * S), mem("ann", "d", 0.0, T0 - 200 * S)],
        &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0],
    );
    m
}

#[test]
fn recall_ranks_by_the_documented_score() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = fixture(&db);
    let w = weights(1.0, 1.0, 1.0, 100.0);
    let mut opts = RecallOptions::new(4);
    opts.weights = w;
    opts.now = Some(T0);
    let hits = m.recall(Some(&[1.0, 0.0]), &opts).unwrap();
    let got: Vec<(&str, f64)> = hits.iter().map(|h| (h.record.id.as_str(), h.score)).collect();
    // a: sim 1 + rec 1 + imp 0.2; b: 0 + 1 + 1; c: cos 45° + 0.5 + 0.5; d: 1 + 0.25 + 0.
    let expected = [("a", 2.2), ("b", 2.0), ("c", std::f64::consts::FRAC_1_SQRT_2 + 1.0), ("d", 1.25)];
    assert_eq!(got.len(), 4);
    for ((id, score), (eid, escore)) in got.iter().zip(expected) {
        assert_eq!(*id, eid);
        assert!(close(*score, escore), "{id}: {score} != {escore}");
    }
    let c = &hits[2];
    assert!(close(c.similarity.unwrap(), std::f64::consts::FRAC_1_SQRT_2));
    assert!(close(c.recency, 0.5));
    // Every hit was touched: last_accessed = now, one access.
    for h in &hits {
        assert_eq!(h.record.last_accessed, T0);
        assert_eq!(h.record.access_count, 1);
    }

    // Doubling the similarity weight, with every recency now 1 (all were just accessed):
    // a 2 + 1 + 0.2, d 2 + 1 + 0, c 2·cos 45° + 1 + 0.5, b 0 + 1 + 1.
    let mut opts2 = RecallOptions::new(4);
    opts2.weights = weights(2.0, 1.0, 1.0, 100.0);
    opts2.now = Some(T0);
    opts2.touch = false;
    let ids: Vec<String> = m.recall(Some(&[1.0, 0.0]), &opts2).unwrap().into_iter().map(|h| h.record.id).collect();
    assert_eq!(ids, ["a", "d", "c", "b"]); // 3.2, 3.0, 2.914, 2.0
}

#[test]
fn default_recall_ranks_by_relevance_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = fixture(&db);
    // The default weights (relevance mode, w_rec = w_imp = 0.5, α = 0.1), half-life 100 s.
    let mut opts = RecallOptions::new(4);
    assert_eq!(opts.weights.mode, RecallMode::Relevance);
    opts.weights.half_life_secs = 100.0;
    opts.now = Some(T0);
    opts.touch = false;
    let hits = m.recall(Some(&[1.0, 0.0]), &opts).unwrap();
    let got: Vec<(&str, f64)> = hits.iter().map(|h| (h.record.id.as_str(), h.score)).collect();
    // Similarities a 1, b 0, c cos 45°, d 1: lo = 0, hi = 1, so sim_n = similarity.
    // s = (recency + importance) / 2: a (1 + 0.2)/2, b (1 + 1)/2, c (0.5 + 0.5)/2, d (0.25 + 0)/2;
    // score = sim_n · (1 − 0.1 · (1 − s)).
    let expected = [("a", 0.96), ("d", 0.9125), ("c", std::f64::consts::FRAC_1_SQRT_2 * 0.95), ("b", 0.0)];
    assert_eq!(got.len(), 4);
    for ((id, score), (eid, escore)) in got.iter().zip(expected) {
        assert_eq!(*id, eid);
        assert!(close(*score, escore), "{id}: {score} != {escore}");
    }
    // The similarity reported is the raw one; the recency the one used.
    assert!(close(hits[2].similarity.unwrap(), std::f64::consts::FRAC_1_SQRT_2));
    assert!(close(hits[1].recency, 0.25));

    // The old score is reachable: linear mode with the old defaults ranks c above d
    // (a 1 + 0.5 + 0.1, c 0.707 + 0.25 + 0.25, d 1 + 0.125 + 0, b 0 + 0.5 + 0.5).
    let mut linear = opts.clone();
    linear.weights = RecallWeights { half_life_secs: 100.0, ..RecallWeights::LINEAR };
    let got: Vec<(String, f64)> = m.recall(Some(&[1.0, 0.0]), &linear).unwrap().into_iter().map(|h| (h.record.id, h.score)).collect();
    let expected = [("a", 1.6), ("c", std::f64::consts::FRAC_1_SQRT_2 + 0.5), ("d", 1.125), ("b", 1.0)];
    for ((id, score), (eid, escore)) in got.iter().zip(expected) {
        assert_eq!(id, eid);
        assert!(close(*score, escore), "{id}: {score} != {escore}");
    }

    // The candidates are the n most similar (n = max(candidates, k)): a and d, both at
    // similarity 1, so lo = hi and sim_n = 1: the adjustment alone orders them.
    let mut two = opts.clone();
    two.k = 2;
    two.candidates = Some(2);
    let got: Vec<(String, f64)> = m.recall(Some(&[1.0, 0.0]), &two).unwrap().into_iter().map(|h| (h.record.id, h.score)).collect();
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].0.as_str(), got[1].0.as_str()), ("a", "d"));
    assert!(close(got[0].1, 0.96) && close(got[1].1, 0.9125));
    // k = 1 of the same two: a.
    let mut one = two.clone();
    one.k = 1;
    assert_eq!(m.recall(Some(&[1.0, 0.0]), &one).unwrap()[0].record.id, "a");

    // α = 0: similarity alone (ties by id); w_sim = 0: strength alone, as without a query.
    let mut sim_only = opts.clone();
    sim_only.weights.adjust = 0.0;
    let ids: Vec<String> = m.recall(Some(&[1.0, 0.0]), &sim_only).unwrap().into_iter().map(|h| h.record.id).collect();
    assert_eq!(ids, ["a", "d", "c", "b"]);
    let mut no_sim = opts.clone();
    no_sim.weights.similarity = 0.0;
    let with_query: Vec<String> = m.recall(Some(&[1.0, 0.0]), &no_sim).unwrap().into_iter().map(|h| h.record.id).collect();
    let without: Vec<(String, f64)> = m.recall(None, &opts).unwrap().into_iter().map(|h| (h.record.id, h.score)).collect();
    assert_eq!(with_query, ["b", "a", "c", "d"]);
    assert_eq!(without.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(), ["b", "a", "c", "d"]);
    assert!(close(without[0].1, 1.0) && close(without[3].1, 0.9125));

    // Filters still apply before the candidates are chosen: without a and d.
    let mut f = opts.clone();
    f.filter = MemoryFilter { until: Some(T0 - 50 * S), ..MemoryFilter::agent("ann") };
    let got: Vec<(String, f64)> = m.recall(Some(&[1.0, 0.0]), &f).unwrap().into_iter().map(|h| (h.record.id, h.score)).collect();
    // c and d only: similarities 0.707 and 1, so sim_n 0 and 1.
    assert_eq!(got.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(), ["d", "c"]);
    assert!(close(got[0].1, 0.9125) && close(got[1].1, 0.0));

    // Bad adjust values are refused.
    for bad in [-0.1, 1.5, f64::NAN] {
        let mut o = opts.clone();
        o.weights.adjust = bad;
        assert_eq!(m.recall(Some(&[1.0, 0.0]), &o).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
}

#[test]
fn recall_updates_access_statistics_and_recency_follows_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = fixture(&db);
    let w = weights(1.0, 1.0, 1.0, 100.0);
    let mut opts = RecallOptions::new(2);
    opts.weights = w;
    opts.now = Some(T0);
    let top: Vec<String> = m.recall(Some(&[1.0, 0.0]), &opts).unwrap().into_iter().map(|h| h.record.id).collect();
    assert_eq!(top, ["a", "b"]);
    assert_eq!(m.pending_writes(), 2);

    // 100 s later, without a query: strength = recency + importance, with a and b just accessed at T0:
    // a 0.5 + 0.2 = 0.7, b 0.5 + 1 = 1.5, c 0.25 + 0.5 = 0.75, d 0.125 + 0 = 0.125.
    let mut later = RecallOptions::new(4);
    later.weights = w;
    later.now = Some(T0 + 100 * S);
    later.touch = false;
    let hits = m.recall(None, &later).unwrap();
    let got: Vec<(&str, f64)> = hits.iter().map(|h| (h.record.id.as_str(), h.score)).collect();
    let expected = [("b", 1.5), ("c", 0.75), ("a", 0.7), ("d", 0.125)];
    for ((id, score), (eid, escore)) in got.iter().zip(expected) {
        assert_eq!(*id, eid);
        assert!(close(*score, escore), "{id}: {score} != {escore}");
        assert!(hits.iter().all(|h| h.similarity.is_none()));
    }
    // touch=false changed nothing.
    let a = &m.get(&["a".into()]).unwrap()[0];
    assert_eq!((a.access_count, a.last_accessed), (1, T0));
    assert_eq!(a.vector, vec![1.0, 0.0]);

    // The statistics reach storage on flush (and on close) and survive reopening.
    m.flush().unwrap();
    assert_eq!(m.pending_writes(), 0);
    let mut again = RecallOptions::new(1);
    again.now = Some(T0 + 5 * S);
    m.recall(Some(&[0.0, 1.0]), &again).unwrap(); // b again: 2 accesses, pending until close
    db.close();
    let db = open(&dir);
    let m = db.memory("mem", None, None).unwrap();
    let got = m.get(&["a".into(), "b".into(), "c".into()]).unwrap();
    let stats: Vec<(&str, u64, i64)> = got.iter().map(|r| (r.id.as_str(), r.access_count, r.last_accessed)).collect();
    assert_eq!(stats, [("a", 1, T0), ("b", 2, T0 + 5 * S), ("c", 0, T0 - 100 * S)]);
    assert_eq!(got[0].text.as_deref(), Some("text of a"));
    assert_eq!(got[2].created_at, T0 - 100 * S);
}

#[test]
fn filters_by_agent_session_kind_time_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = db.memory("mem", Some(2), Some(Metric::Cosine)).unwrap();
    let mut items = vec![
        mem("ann", "a1", 0.5, T0),
        mem("ann", "a2", 0.5, T0 + S),
        mem("bob", "b1", 0.5, T0 + 2 * S),
        mem("ann", "a3", 0.5, T0 + 3 * S),
    ];
    items[0].session_id = Some("s1".into());
    items[1].session_id = Some("s2".into());
    items[1].kind = MemoryKind::Semantic;
    items[3].kind = MemoryKind::Procedural;
    items[0].metadata = Metadata::from([("topic".to_string(), Value::Str("food".into()))]);
    items[3].metadata = Metadata::from([("topic".to_string(), Value::Str("code".into()))]);
    remember(&m, &items, &[1.0, 0.0, 1.0, 0.1, 1.0, 0.2, 1.0, 0.3]);

    let ids = |f: MemoryFilter| -> Vec<String> {
        let mut o = RecallOptions::new(10);
        o.filter = f;
        o.touch = false;
        let mut v: Vec<String> = m.recall(Some(&[1.0, 0.0]), &o).unwrap().into_iter().map(|h| h.record.id).collect();
        v.sort();
        v
    };
    assert_eq!(ids(MemoryFilter::agent("ann")), ["a1", "a2", "a3"]);
    assert_eq!(ids(MemoryFilter::agent("nobody")), Vec::<String>::new());
    assert_eq!(ids(MemoryFilter { session_id: Some("s2".into()), ..Default::default() }), ["a2"]);
    assert_eq!(
        ids(MemoryFilter { kinds: Some(vec![MemoryKind::Semantic, MemoryKind::Procedural]), ..Default::default() }),
        ["a2", "a3"]
    );
    assert_eq!(ids(MemoryFilter { since: Some(T0 + S), until: Some(T0 + 3 * S), ..Default::default() }), ["a2", "b1"]);
    assert_eq!(ids(MemoryFilter { where_: Some(Filter::from_json(r#"{"topic": "code"}"#).unwrap()), ..Default::default() }), ["a3"]);
    assert_eq!(
        ids(MemoryFilter { agent_id: Some("ann".into()), where_: Some(Filter::Sql("topic IS NOT NULL".into())), ..Default::default() }),
        ["a1", "a3"]
    );
    assert_eq!(m.count(&MemoryFilter::agent("ann")).unwrap(), 3);
    assert_eq!(m.count(&MemoryFilter::default()).unwrap(), 4);
    let err = m.count(&MemoryFilter { where_: Some(Filter::from_json(r#"{"topic": {"$bogus": 1}}"#).unwrap()), ..Default::default() });
    assert_eq!(err.unwrap_err().kind(), ErrorKind::InvalidFilter);
    let err = m.count(&MemoryFilter { kinds: Some(vec![]), ..Default::default() });
    assert_eq!(err.unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn forget_and_update() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = fixture(&db);
    remember(&m, &[mem("bob", "x", 0.5, T0)], &[0.5, 0.5]);
    assert_eq!(m.forget(Some(&["a".into(), "zzz".into(), "a".into()]), &MemoryFilter::default()).unwrap(), 1);
    assert_eq!(m.forget(None, &MemoryFilter::agent("bob")).unwrap(), 1);
    // ids and a filter: only those satisfying both.
    assert_eq!(m.forget(Some(&["b".into(), "c".into()]), &MemoryFilter::agent("bob")).unwrap(), 0);
    assert_eq!(m.count(&MemoryFilter::default()).unwrap(), 3);
    assert_eq!(m.forget(None, &MemoryFilter::default()).unwrap_err().kind(), ErrorKind::InvalidArgument);

    m.update("b", &MemoryUpdate { importance: Some(0.9), text: Some(None), ..Default::default() }).unwrap();
    m.update("c", &MemoryUpdate { vector: Some(vec![-3.0, 0.0]), ..Default::default() }).unwrap();
    let got = m.get(&["b".into(), "c".into()]).unwrap();
    assert_eq!((got[0].importance, got[0].text.clone()), (0.9, None));
    assert_eq!(got[1].vector, vec![-3.0, 0.0]);
    assert_eq!(got[1].text.as_deref(), Some("text of c"));
    assert_eq!(m.update("nope", &MemoryUpdate::default()).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let bad = MemoryUpdate { importance: Some(1.5), ..Default::default() };
    assert_eq!(m.update("b", &bad).unwrap_err().kind(), ErrorKind::InvalidArgument);
    // The new vector is what recall compares: only c points that way now.
    let mut o = RecallOptions::new(1);
    o.weights = weights(1.0, 0.0, 0.0, 1.0);
    let hits = m.recall(Some(&[-1.0, 0.0]), &o).unwrap();
    assert_eq!(hits[0].record.id, "c");
    assert!(close(hits[0].similarity.unwrap(), 1.0));
}

#[test]
fn bad_input_is_rejected_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = fixture(&db);
    let v = [1.0, 0.0, 0.0, 1.0];
    let kind = |items: &[NewMemory], vectors: &[f32]| m.remember(items, Vectors::Flat { data: vectors, dim: 2 }).unwrap_err().kind();
    assert_eq!(kind(&[mem("ann", "new", 0.5, T0), mem("ann", "a", 0.5, T0)], &v), ErrorKind::DuplicateId);
    assert_eq!(kind(&[mem("ann", "n1", 0.5, T0), mem("ann", "n2", 1.5, T0)], &v), ErrorKind::InvalidArgument);
    assert_eq!(kind(&[mem("", "n1", 0.5, T0)], &v[..2]), ErrorKind::InvalidArgument);
    let mut reserved = mem("ann", "n1", 0.5, T0);
    reserved.metadata.insert("importance".into(), Value::Float(1.0));
    assert_eq!(kind(&[reserved], &v[..2]), ErrorKind::InvalidMetadata);
    assert_eq!(m.remember(&[mem("ann", "n1", 0.5, T0)], Vectors::Flat { data: &[1.0, 0.0, 0.0], dim: 3 }).unwrap_err().kind(), ErrorKind::DimensionMismatch);
    assert_eq!(kind(&[mem("ann", "n1", 0.5, T0)], &[f32::NAN, 0.0]), ErrorKind::InvalidVector);
    assert_eq!(m.count(&MemoryFilter::default()).unwrap(), 4, "nothing of a rejected batch is stored");

    assert_eq!(m.recall(Some(&[1.0, 0.0, 0.0]), &RecallOptions::new(1)).unwrap_err().kind(), ErrorKind::DimensionMismatch);
    assert_eq!(m.recall(None, &RecallOptions::new(0)).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let mut o = RecallOptions::new(1);
    o.weights.half_life_secs = 0.0;
    assert_eq!(m.recall(None, &o).unwrap_err().kind(), ErrorKind::InvalidArgument);
    o.weights = weights(-1.0, 0.0, 0.0, 1.0);
    assert_eq!(m.recall(None, &o).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn generated_ids_are_unique_and_texts_optional() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = db.memory("gen", Some(2), None).unwrap();
    let items: Vec<NewMemory> = (0..3).map(|_| NewMemory::new("ann")).collect();
    let ids = remember(&m, &items, &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    assert_eq!(ids.len(), 3);
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
    let got = m.get(&ids).unwrap();
    assert!(got.iter().all(|r| r.text.is_none() && r.kind == MemoryKind::Episodic && r.importance == 0.5));
}

#[test]
fn decay_prunes_weak_memories() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = fixture(&db);
    // Strengths at T0 with recency 1, importance 1, half-life 100 s:
    // a 1 + 0.2 = 1.2, b 1 + 1 = 2, c 0.5 + 0.5 = 1, d 0.25 + 0 = 0.25.
    let opts = ConsolidateOptions { min_score: Some(1.1), weights: weights(1.0, 1.0, 1.0, 100.0), now: Some(T0), ..Default::default() };
    let report = m.consolidate(&opts).unwrap();
    let mut pruned = report.pruned.clone();
    pruned.sort();
    assert_eq!(pruned, ["c", "d"]);
    assert!(report.merged.is_empty() && report.evicted.is_empty());
    assert_eq!(m.count(&MemoryFilter::default()).unwrap(), 2);
    assert!(m.get(&["c".into(), "d".into()]).unwrap().is_empty());
}

#[test]
fn capacity_evicts_the_weakest_per_agent() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = fixture(&db);
    remember(&m, &[mem("bob", "x", 0.0, T0 - 1000 * S), mem("bob", "y", 0.1, T0)], &[1.0, 0.0, 1.0, 0.0]);
    let opts = ConsolidateOptions { capacity: Some(2), weights: weights(1.0, 1.0, 1.0, 100.0), now: Some(T0), ..Default::default() };
    let report = m.consolidate(&opts).unwrap();
    // ann: weakest d (0.25) then c (1.0) go; bob has 2 and keeps both.
    assert_eq!(report.evicted, ["d", "c"]);
    let mut left: Vec<String> = m.recall(None, &RecallOptions::new(10)).unwrap().into_iter().map(|h| h.record.id).collect();
    left.sort();
    assert_eq!(left, ["a", "b", "x", "y"]);
    // Only one agent, capacity 1: bob keeps y.
    let opts = ConsolidateOptions { agent_id: Some("bob".into()), capacity: Some(1), now: Some(T0), ..opts };
    assert_eq!(m.consolidate(&opts).unwrap().evicted, ["x"]);
    assert_eq!(m.count(&MemoryFilter::agent("ann")).unwrap(), 2);
}

#[test]
fn dedup_merges_near_duplicates_into_the_strongest() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = db.memory("mem", Some(3), None).unwrap();
    let mut items = vec![
        mem("ann", "p", 0.3, T0 - 10 * S),
        mem("ann", "q", 0.9, T0 - 20 * S), // strongest of the p/q/r cluster
        mem("ann", "r", 0.1, T0 - 30 * S),
        mem("ann", "s", 0.5, T0),           // far from the others
        mem("bob", "t", 0.5, T0),           // same vector as p, other agent: untouched
    ];
    items[1].metadata = Metadata::from([("topic".to_string(), Value::Str("q's".into()))]);
    let v = [
        1.0, 0.0, 0.0, //
        1.0, 0.01, 0.0, //
        1.0, 0.0, 0.02, //
        0.0, 1.0, 0.0, //
        1.0, 0.0, 0.0,
    ];
    remember(&m, &items, &v);
    // One access of q (the most important), to see the statistics carried over.
    let mut touch = RecallOptions::new(1);
    touch.filter = MemoryFilter { kinds: None, ..MemoryFilter::agent("ann") };
    touch.weights = weights(0.0, 0.0, 1.0, 1.0); // by importance only: q
    touch.now = Some(T0 - 5 * S);
    m.recall(None, &touch).unwrap();

    let opts = ConsolidateOptions { dedup_threshold: Some(0.99), weights: weights(1.0, 0.0, 1.0, 100.0), now: Some(T0), ..Default::default() };
    let report = m.consolidate(&opts).unwrap();
    assert_eq!(report.merged, [("q".to_string(), "p".to_string()), ("q".to_string(), "r".to_string())]);
    assert_eq!(m.count(&MemoryFilter::default()).unwrap(), 3);
    let q = &m.get(&["q".into()]).unwrap()[0];
    assert_eq!(q.importance, 0.9);
    assert_eq!(q.created_at, T0 - 30 * S, "the earliest creation");
    assert_eq!(q.last_accessed, T0 - 5 * S, "the latest access");
    assert_eq!(q.access_count, 1);
    assert_eq!(q.text.as_deref(), Some("text of q"));
    assert_eq!(q.metadata.get("topic"), Some(&Value::Str("q's".into())));
    // A threshold of 1 merges only exact directions; there are none left.
    let opts = ConsolidateOptions { dedup_threshold: Some(1.0), ..opts };
    assert!(m.consolidate(&opts).unwrap().merged.is_empty());
}

#[test]
fn background_consolidation_runs_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = fixture(&db);
    m.start_background(Duration::from_millis(20), ConsolidateOptions { capacity: Some(1), ..Default::default() }).unwrap();
    assert!(m.background_running());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while m.count(&MemoryFilter::default()).unwrap() > 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(m.count(&MemoryFilter::default()).unwrap(), 1);
    m.stop_background();
    assert!(!m.background_running());
    let last = m.last_background_run().expect("one run at least");
    assert!(last.is_ok());
    // Closing the database stops a running schedule too.
    m.start_background(Duration::from_secs(3600), ConsolidateOptions::default()).unwrap();
    db.close();
    assert_eq!(m.count(&MemoryFilter::default()).unwrap_err().kind(), ErrorKind::Closed);
}

#[test]
fn large_stores_recall_through_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let dim = 16;
    let m = db.memory("big", Some(dim), None).unwrap();
    let n = 6000;
    let mut s = 42u64;
    let v: Vec<f32> = (0..n * dim)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 10_000) as f32 / 10_000.0 - 0.5
        })
        .collect();
    let items: Vec<NewMemory> = (0..n).map(|i| NewMemory { id: Some(format!("m{i:05}")), ..NewMemory::new(if i % 3 == 0 { "ann" } else { "bob" }) }).collect();
    remember(&m, &items, &v);
    let (mut found, mut found_default) = (0, 0);
    let queries = 20;
    for qi in 0..queries {
        let q = &v[qi * 37 * dim..(qi * 37 + 1) * dim];
        let mut approx = RecallOptions::new(10);
        approx.touch = false;
        approx.weights = weights(1.0, 0.0, 0.0, 1.0);
        let mut exact = approx.clone();
        exact.exact = true;
        let a: Vec<String> = m.recall(Some(q), &approx).unwrap().into_iter().map(|h| h.record.id).collect();
        let e: Vec<String> = m.recall(Some(q), &exact).unwrap().into_iter().map(|h| h.record.id).collect();
        assert_eq!(e[0], format!("m{:05}", qi * 37), "a stored vector is its own nearest");
        found += a.iter().filter(|id| e.contains(id)).count();
        // The default (relevance) score: the graph's candidates and the exact scan's best n
        // are the same set up to the walk's misses, so the rankings agree as well.
        let mut d_approx = approx.clone();
        d_approx.weights = RecallWeights::default();
        let mut d_exact = d_approx.clone();
        d_exact.exact = true;
        let da: Vec<String> = m.recall(Some(q), &d_approx).unwrap().into_iter().map(|h| h.record.id).collect();
        let de: Vec<String> = m.recall(Some(q), &d_exact).unwrap().into_iter().map(|h| h.record.id).collect();
        assert_eq!(de[0], format!("m{:05}", qi * 37), "a stored vector stays first by default");
        found_default += da.iter().filter(|id| de.contains(id)).count();
        // Filtered by agent: every hit is ann's.
        let mut f = approx.clone();
        f.filter = MemoryFilter::agent("ann");
        assert!(m.recall(Some(q), &f).unwrap().iter().all(|h| h.record.agent_id == "ann"));
    }
    let recall = found as f64 / (queries * 10) as f64;
    assert!(recall >= 0.9, "recall@10 {recall}");
    let recall = found_default as f64 / (queries * 10) as f64;
    assert!(recall >= 0.9, "default recall@10 {recall}");
}

#[test]
fn stores_are_hidden_collections_with_a_fixed_dimension() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    db.create_collection("docs", 2, Metric::Cosine).unwrap();
    let m = db.memory("mem", Some(4), None).unwrap();
    assert_eq!(m.dim(), 4);
    assert_eq!(db.list_collections().unwrap(), ["docs"]);
    assert_eq!(db.list_memories().unwrap(), ["mem"]);
    for name in ["_agentdb_memory_mem", "_agentdb_x"] {
        assert_eq!(kind_of(db.get_collection(name)), ErrorKind::InvalidName);
        assert_eq!(kind_of(db.create_collection(name, 2, Metric::L2)), ErrorKind::InvalidName);
        assert_eq!(db.drop_collection(name).unwrap_err().kind(), ErrorKind::InvalidName);
        assert_eq!(kind_of(db.get_or_create_collection(name, 2, Metric::L2)), ErrorKind::InvalidName);
    }
    assert_eq!(kind_of(db.memory("mem", Some(8), None)), ErrorKind::DimensionMismatch);
    assert_eq!(kind_of(db.memory("mem", None, Some(Metric::L2))), ErrorKind::InvalidArgument);
    assert_eq!(kind_of(db.memory("absent", None, None)), ErrorKind::CollectionNotFound);
    assert_eq!(kind_of(db.memory("../x", Some(2), None)), ErrorKind::InvalidName);
    db.close();
    let db = open(&dir);
    assert_eq!(kind_of(db.memory("mem", Some(8), None)), ErrorKind::DimensionMismatch);
    assert_eq!(db.memory("mem", None, None).unwrap().dim(), 4);
    db.drop_memory("mem").unwrap();
    assert!(db.list_memories().unwrap().is_empty());
    assert_eq!(db.drop_memory("mem").unwrap_err().kind(), ErrorKind::CollectionNotFound);
}
