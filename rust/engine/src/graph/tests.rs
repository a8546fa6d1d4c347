use super::*;
use crate::Database;

fn ent(id: &str, name: &str, aliases: &[&str]) -> NewEntity {
    NewEntity {
        id: Some(id.into()),
        name: name.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn fact(s: &str, p: &str, o: FactObject, from: i64, to: Option<i64>) -> NewFact {
    NewFact {
        subject: s.into(),
        predicate: p.into(),
        object: o,
        valid_from: Some(from),
        valid_to: to,
        sources: vec!["m1".into()],
        confidence: None,
    }
}

fn at(t: i64) -> FactQuery {
    FactQuery { as_of: Some(t), ..Default::default() }
}

fn known(t: i64, known_at: i64) -> FactQuery {
    FactQuery { as_of: Some(t), known_at: Some(known_at), ..Default::default() }
}

fn objects(g: &Graph, e: &str, q: &FactQuery) -> Vec<FactObject> {
    g.facts(e, q, Direction::Out).unwrap().into_iter().map(|f| f.object).collect()
}

fn lit(s: &str) -> FactObject {
    FactObject::Literal(s.into())
}

/// A single-valued predicate closes the contradicted fact; every as-of query before, during and
/// after each change (valid time and transaction time) answers exactly.
#[test]
fn single_valued_closing_invalidate_and_correct_are_bitemporal() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let g = db.graph("agent-1", None).unwrap();
    g.add_entities(&[ent("alice", "Alice", &["Ali"]), ent("paris", "Paris", &[]), ent("rome", "Rome", &[])]).unwrap();
    g.declare_predicate("lives_in", true).unwrap();
    let ids = g.add_facts(&[fact("alice", "lives_in", FactObject::Entity("paris".into()), 100, None)]).unwrap();
    let f1 = ids[0].clone();
    let t1 = g.fact(&f1, None).unwrap().unwrap().recorded_at;
    // Before, during.
    assert!(objects(&g, "alice", &at(99)).is_empty());
    assert_eq!(objects(&g, "alice", &at(100)), vec![FactObject::Entity("paris".into())]);
    assert_eq!(objects(&g, "alice", &at(10_000)), vec![FactObject::Entity("paris".into())]);

    // She moves to Rome at 200: the Paris fact is closed at 200, not deleted.
    let f2 = g.add_facts(&[fact("alice", "lives_in", FactObject::Entity("rome".into()), 200, None)]).unwrap()[0].clone();
    let t2 = g.fact(&f2, None).unwrap().unwrap().recorded_at;
    assert!(t2 > t1);
    assert_eq!(objects(&g, "alice", &at(150)), vec![FactObject::Entity("paris".into())]);
    assert_eq!(objects(&g, "alice", &at(199)), vec![FactObject::Entity("paris".into())]);
    assert_eq!(objects(&g, "alice", &at(200)), vec![FactObject::Entity("rome".into())]);
    let closed = g.fact(&f1, None).unwrap().unwrap();
    assert_eq!((closed.version, closed.valid_to, closed.recorded_at), (2, Some(200), t2));
    // What we believed before the move was recorded: Paris, open-ended.
    assert_eq!(objects(&g, "alice", &known(250, t1)), vec![FactObject::Entity("paris".into())]);
    assert_eq!(objects(&g, "alice", &known(250, t2 - 1)), vec![FactObject::Entity("paris".into())]);
    assert_eq!(objects(&g, "alice", &known(250, t2)), vec![FactObject::Entity("rome".into())]);
    // Before anything was recorded, nothing was known.
    assert!(objects(&g, "alice", &known(150, t1 - 1)).is_empty());
    let hist = g.fact_history(&f1).unwrap();
    assert_eq!(hist.len(), 2);
    assert_eq!((hist[0].valid_to, hist[0].superseded_at), (None, Some(t2)));

    // An interval query sees both.
    let during = FactQuery { during: Some((150, Some(250))), ..Default::default() };
    assert_eq!(objects(&g, "alice", &during).len(), 2);
    let early = FactQuery { during: Some((0, Some(200))), ..Default::default() };
    assert_eq!(objects(&g, "alice", &early), vec![FactObject::Entity("paris".into())]);

    // Invalidate Rome at 300.
    let inv = g.invalidate(&f2, Some(300)).unwrap();
    let t3 = inv.recorded_at;
    assert_eq!((inv.version, inv.valid_to), (2, Some(300)));
    assert_eq!(objects(&g, "alice", &at(299)), vec![FactObject::Entity("rome".into())]);
    assert!(objects(&g, "alice", &at(300)).is_empty());
    assert_eq!(objects(&g, "alice", &known(300, t3 - 1)), vec![FactObject::Entity("rome".into())]);

    // Correct the Paris fact: it started at 50, not 100.
    let cor = g.correct(&f1, &FactCorrection { valid_from: Some(50), ..Default::default() }).unwrap();
    let t4 = cor.recorded_at;
    assert_eq!((cor.version, cor.valid_from, cor.valid_to), (3, 50, Some(200)));
    assert_eq!(objects(&g, "alice", &at(60)), vec![FactObject::Entity("paris".into())]);
    assert!(objects(&g, "alice", &known(60, t4 - 1)).is_empty());
    assert_eq!(g.fact(&f1, Some(t4 - 1)).unwrap().unwrap().version, 2);
    assert_eq!(g.fact(&f1, Some(t1)).unwrap().unwrap().version, 1);
    assert!(g.fact(&f1, Some(t1 - 1)).unwrap().is_none());

    // Durable and identical after reopening.
    let before: Vec<Vec<Fact>> = [&f1, &f2].iter().map(|id| g.fact_history(id).unwrap()).collect();
    drop(g);
    db.close();
    let db = Database::open(dir.path()).unwrap();
    let g = db.graph("agent-1", None).unwrap();
    let after: Vec<Vec<Fact>> = [&f1, &f2].iter().map(|id| g.fact_history(id).unwrap()).collect();
    assert_eq!(before, after);
    assert_eq!(objects(&g, "alice", &known(60, t4 - 1)), Vec::<FactObject>::new());
    assert!(g.predicates().unwrap().contains(&("lives_in".to_string(), true)));
    // New writes after reopening are recorded later than everything before.
    let f3 = g.add_facts(&[fact("alice", "age", lit("30"), 0, None)]).unwrap()[0].clone();
    assert!(g.fact(&f3, None).unwrap().unwrap().recorded_at > t4);
}

/// A contradiction that begins later closes the new fact at its start; same-time contradiction
/// leaves the older fact empty; multi-valued predicates never close anything.
#[test]
fn contradictions_by_valid_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let g = db.graph("g", None).unwrap();
    g.add_entities(&[ent("a", "A", &[])]).unwrap();
    g.declare_predicate("status", true).unwrap();
    let late = g.add_facts(&[fact("a", "status", lit("retired"), 500, None)]).unwrap()[0].clone();
    let early = g.add_facts(&[fact("a", "status", lit("working"), 100, None)]).unwrap()[0].clone();
    assert_eq!(g.fact(&early, None).unwrap().unwrap().valid_to, Some(500));
    assert_eq!(g.fact(&late, None).unwrap().unwrap().version, 1);
    assert_eq!(objects(&g, "a", &at(499)), vec![lit("working")]);
    assert_eq!(objects(&g, "a", &at(500)), vec![lit("retired")]);
    // Same valid_from: the old one becomes empty (never true), the new one holds.
    let same = g.add_facts(&[fact("a", "status", lit("sabbatical"), 500, None)]).unwrap()[0].clone();
    assert_eq!(objects(&g, "a", &at(600)), vec![lit("sabbatical")]);
    assert_eq!(g.fact(&late, None).unwrap().unwrap().valid_to, Some(500));
    let during = FactQuery { during: Some((0, None)), ..Default::default() };
    assert_eq!(objects(&g, "a", &during), vec![lit("working"), lit("sabbatical")]);
    let _ = same;
    // Two contradicting facts in one batch: the first is closed, recorded as one version.
    let ids = g.add_facts(&[fact("a", "status", lit("x"), 1000, None), fact("a", "status", lit("y"), 2000, None)]).unwrap();
    let x = g.fact_history(&ids[0]).unwrap();
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].valid_to, Some(2000));
    // Multi-valued.
    g.add_facts(&[fact("a", "likes", lit("tea"), 0, None), fact("a", "likes", lit("jazz"), 10, None)]).unwrap();
    let q = FactQuery { as_of: Some(20), predicates: Some(vec!["likes".into()]), ..Default::default() };
    assert_eq!(objects(&g, "a", &q).len(), 2);
}

#[test]
fn bad_input_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(db.graph("bad name", None).err().unwrap().kind(), ErrorKind::InvalidName);
    assert_eq!(db.graph("g", Some(0)).err().unwrap().kind(), ErrorKind::InvalidArgument);
    let g = db.graph("g", Some(2)).unwrap();
    assert_eq!(db.graph("g", Some(3)).err().unwrap().kind(), ErrorKind::DimensionMismatch);
    let kind = |r: Result<Vec<String>>| r.err().unwrap().kind();
    assert_eq!(kind(g.add_entities(&[ent("", "x", &[])])), ErrorKind::InvalidArgument);
    assert_eq!(kind(g.add_entities(&[ent("a", "", &[])])), ErrorKind::InvalidArgument);
    assert_eq!(kind(g.add_entities(&[ent("a", "A", &[]), ent("a", "B", &[])])), ErrorKind::DuplicateId);
    let mut e = ent("a", "A", &[]);
    e.embedding = Some(vec![1.0]);
    assert_eq!(kind(g.add_entities(&[e.clone()])), ErrorKind::DimensionMismatch);
    e.embedding = Some(vec![1.0, f32::NAN]);
    assert_eq!(kind(g.add_entities(&[e.clone()])), ErrorKind::InvalidVector);
    e.embedding = None;
    e.metadata = Some(serde_json::json!([1]));
    assert_eq!(kind(g.add_entities(&[e])), ErrorKind::InvalidMetadata);
    g.add_entities(&[ent("a", "A", &[])]).unwrap();
    assert_eq!(kind(g.add_facts(&[fact("nobody", "p", lit("x"), 0, None)])), ErrorKind::InvalidArgument);
    assert_eq!(kind(g.add_facts(&[fact("a", "p", FactObject::Entity("nobody".into()), 0, None)])), ErrorKind::InvalidArgument);
    assert_eq!(kind(g.add_facts(&[fact("a", "p", lit("x"), 10, Some(5))])), ErrorKind::InvalidArgument);
    assert_eq!(kind(g.add_facts(&[fact("a", "p", lit("x"), 10, Some(10))])), ErrorKind::InvalidArgument);
    let mut f = fact("a", "p", lit("x"), 0, None);
    f.confidence = Some(1.5);
    assert_eq!(kind(g.add_facts(&[f])), ErrorKind::InvalidArgument);
    // A failed batch wrote nothing.
    assert_eq!(g.counts().unwrap(), (1, 0));
    let id = g.add_facts(&[fact("a", "p", lit("x"), 10, None)]).unwrap()[0].clone();
    assert_eq!(g.invalidate(&id, Some(5)).err().unwrap().kind(), ErrorKind::InvalidArgument);
    assert_eq!(g.invalidate("nope", None).err().unwrap().kind(), ErrorKind::InvalidArgument);
    g.invalidate(&id, Some(20)).unwrap();
    assert_eq!(g.invalidate(&id, Some(30)).err().unwrap().kind(), ErrorKind::InvalidArgument);
    assert_eq!(g.facts("nobody", &FactQuery::default(), Direction::Both).err().unwrap().kind(), ErrorKind::InvalidArgument);
    let both = FactQuery { as_of: Some(1), during: Some((0, None)), ..Default::default() };
    assert_eq!(g.facts("a", &both, Direction::Both).err().unwrap().kind(), ErrorKind::InvalidArgument);
    assert_eq!(g.neighbors("a", 0, &FactQuery::default(), Direction::Both).err().unwrap().kind(), ErrorKind::InvalidArgument);
    assert_eq!(g.search_entities(None, None, 5, None).err().unwrap().kind(), ErrorKind::InvalidArgument);
    assert_eq!(g.search_entities(None, Some(&[1.0]), 5, None).err().unwrap().kind(), ErrorKind::DimensionMismatch);
    db.drop_graph("g").unwrap();
    assert_eq!(g.counts().err().unwrap().kind(), ErrorKind::CollectionNotFound);
    assert_eq!(db.drop_graph("g").err().unwrap().kind(), ErrorKind::CollectionNotFound);
}

#[test]
fn search_and_mentions() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let g = db.graph("g", Some(2)).unwrap();
    let mut a = ent("alice", "Alice Smith", &["Ali"]);
    a.type_ = Some("person".into());
    a.embedding = Some(vec![1.0, 0.0]);
    let mut b = ent("acme", "ACME Corp", &["Acme"]);
    b.embedding = Some(vec![0.0, 1.0]);
    let bj = ent("bj", "北京", &["Beijing"]);
    g.add_entities(&[a, b, bj]).unwrap();
    g.add_facts(&[
        fact("alice", "works_at", FactObject::Entity("acme".into()), 0, None),
        fact("bj", "population", lit("21 million"), 0, None),
        fact("alice", "title", lit("CTO"), 0, Some(10)),
    ])
    .unwrap();
    assert_eq!(g.find_entities("ali").unwrap()[0].id, "alice");
    assert_eq!(g.find_entities("ALICE SMITH").unwrap()[0].id, "alice");
    assert!(g.find_entities("smith").unwrap().is_empty());
    let hits = g.search_entities(Some("smith"), None, 5, None).unwrap();
    assert_eq!(hits.len(), 1);
    assert!((hits[0].score - 0.9).abs() < 1e-9);
    let hits = g.search_entities(Some("smith jones"), None, 5, None).unwrap();
    assert!((hits[0].score - 0.45).abs() < 1e-9);
    assert_eq!(g.search_entities(Some("Ali"), None, 5, None).unwrap()[0].score, 1.0);
    let hits = g.search_entities(None, Some(&[0.1, 1.0]), 5, None).unwrap();
    assert_eq!(hits[0].entity.id, "acme");
    assert_eq!(hits.len(), 2);
    assert_eq!(g.search_entities(Some("acme"), None, 5, Some("person")).unwrap().len(), 0);
    // Whole words, any case; "Alison" does not mention "Ali".
    let facts = g.facts_for_text("What does ali do at ACME?", Some(20), 10).unwrap();
    assert_eq!(facts.len(), 1);
    assert_eq!(facts[0].predicate, "works_at");
    assert_eq!(facts[0].sources, vec!["m1".to_string()]);
    assert!(g.facts_for_text("Alison went home", Some(20), 10).unwrap().is_empty());
    assert_eq!(g.facts_for_text("alice smith", Some(5), 10).unwrap().len(), 2);
    assert_eq!(g.facts_for_text("alice smith", Some(5), 1).unwrap().len(), 1);
    // CJK names match inside a sentence.
    let zh = g.facts_for_text("北京有多少人口？", None, 10).unwrap();
    assert_eq!(zh.len(), 1);
    assert_eq!(zh[0].object, lit("21 million"));
    let m: Vec<String> = g.mentioned_entities("acme and beijing").unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(m, vec!["acme".to_string(), "bj".to_string()]);
}

/// A tiny deterministic generator (no proptest in the lock file).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// k-hop neighbours and shortest-path lengths against a plain BFS over an edge list, on random
/// graphs with random validity windows and predicates.
#[test]
fn traversal_matches_a_reference_on_random_graphs() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..12 {
        let g = db.graph(&format!("r{round}"), None).unwrap();
        let n = 2 + rng.below(12) as usize;
        let ents: Vec<NewEntity> = (0..n).map(|i| ent(&format!("e{i}"), &format!("E{i}"), &[])).collect();
        g.add_entities(&ents).unwrap();
        let m = rng.below(3 * n as u64) as usize;
        let mut edges = Vec::new();
        let mut batch = Vec::new();
        for _ in 0..m {
            let (s, o) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
            let p = ["p", "q"][rng.below(2) as usize];
            let from = rng.below(100) as i64;
            let to = if rng.below(2) == 0 { None } else { Some(from + 1 + rng.below(100) as i64) };
            edges.push((s, o, p, from, to));
            batch.push(fact(&format!("e{s}"), p, FactObject::Entity(format!("e{o}")), from, to));
        }
        g.add_facts(&batch).unwrap();
        for _ in 0..8 {
            let t = rng.below(220) as i64;
            let only_p = rng.below(2) == 0;
            let dir = [Direction::Out, Direction::In, Direction::Both][rng.below(3) as usize];
            let q = FactQuery { as_of: Some(t), predicates: only_p.then(|| vec!["p".to_string()]), ..Default::default() };
            // Reference adjacency.
            let mut adj = vec![Vec::new(); n];
            for &(s, o, p, from, to) in &edges {
                let valid = from <= t && to.is_none_or(|x| t < x);
                if !valid || (only_p && p != "p") {
                    continue;
                }
                if dir != Direction::In {
                    adj[s].push(o);
                }
                if dir != Direction::Out {
                    adj[o].push(s);
                }
            }
            let bfs = |start: usize| {
                let mut d = vec![usize::MAX; n];
                d[start] = 0;
                let mut queue = std::collections::VecDeque::from([start]);
                while let Some(x) = queue.pop_front() {
                    for &y in &adj[x] {
                        if d[y] == usize::MAX {
                            d[y] = d[x] + 1;
                            queue.push_back(y);
                        }
                    }
                }
                d
            };
            let start = rng.below(n as u64) as usize;
            let k = 1 + rng.below(4) as usize;
            let d = bfs(start);
            let mut want: Vec<(usize, String)> =
                (0..n).filter(|&i| i != start && d[i] <= k).map(|i| (d[i], format!("e{i}"))).collect();
            want.sort();
            let got: Vec<(usize, String)> =
                g.neighbors(&format!("e{start}"), k, &q, dir).unwrap().into_iter().map(|x| (x.hops, x.entity)).collect();
            assert_eq!(got, want, "round {round}, t {t}, dir {dir:?}");
            let end = rng.below(n as u64) as usize;
            let path = g.shortest_path(&format!("e{start}"), &format!("e{end}"), MAX_HOPS, &q, dir).unwrap();
            match path {
                None => assert_eq!(d[end], usize::MAX),
                Some(p) => {
                    assert_eq!(p.len(), d[end]);
                    // A chain from start to end of facts the query selects.
                    let mut at = format!("e{start}");
                    for f in &p {
                        assert!(f.valid_from <= t && f.valid_to.is_none_or(|x| t < x));
                        let FactObject::Entity(o) = &f.object else { panic!() };
                        at = if f.subject == at && dir != Direction::In {
                            o.clone()
                        } else {
                            assert!(*o == at && dir != Direction::Out);
                            f.subject.clone()
                        };
                    }
                    assert_eq!(at, format!("e{end}"));
                }
            }
        }
    }
}

/// Writes logged but not flushed come back from the log; read-only opens see flushed graphs.
#[test]
fn log_replay_and_read_only() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let g = db.graph("g", None).unwrap();
        g.add_entities(&[ent("a", "A", &[]), ent("b", "B", &[])]).unwrap();
        g.add_facts(&[fact("a", "knows", FactObject::Entity("b".into()), 0, None)]).unwrap();
        g.flush().unwrap();
        g.add_facts(&[fact("b", "knows", FactObject::Entity("a".into()), 0, None)]).unwrap();
        db.close();
    }
    let db = Database::open(dir.path()).unwrap();
    let g = db.graph("g", None).unwrap();
    assert_eq!(g.counts().unwrap(), (2, 2));
    assert_eq!(db.list_graphs().unwrap(), vec!["g".to_string()]);
    db.close();
    let ro = Database::open_with(dir.path(), crate::OpenOptions { read_only: true, ..Default::default() }).unwrap();
    let g = ro.graph("g", None).unwrap();
    assert_eq!(g.counts().unwrap(), (2, 2));
    assert_eq!(g.add_entities(&[ent("c", "C", &[])]).err().unwrap().kind(), ErrorKind::ReadOnly);
    assert_eq!(ro.graph("other", None).err().unwrap().kind(), ErrorKind::ReadOnly);
}

/// The reference of the vector score: cosine similarity in f64, 0 for a zero vector.
fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (*x as f64, *y as f64);
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

/// Vector entity search (one kernel call over the embedding matrix, then a top-k selection)
/// against an f64 scan of the entities, on random graphs whose entities are replaced with and
/// without embeddings (so matrix rows are overwritten, added and moved), with and without a type
/// filter and a text, before and after a reopen (the matrix rebuilt from the table).
#[test]
fn vector_search_matches_a_reference() {
    const DIM: usize = 5;
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let rand_vec = |rng: &mut Rng| -> Vec<f32> {
        (0..DIM).map(|_| (rng.below(2001) as f32 - 1000.0) / 1000.0).collect()
    };
    // The reference state: id → (type, embedding).
    let mut want: std::collections::BTreeMap<String, (Option<String>, Option<Vec<f32>>)> = Default::default();
    let check = |g: &Graph, want: &std::collections::BTreeMap<String, (Option<String>, Option<Vec<f32>>)>, rng: &mut Rng, q: &[f32]| {
        let k = 1 + rng.below(12) as usize;
        let type_ = (rng.below(3) == 0).then_some("t1");
        let mut ref_hits: Vec<(f64, String)> = want
            .iter()
            .filter(|(_, (t, e))| e.is_some() && type_.is_none_or(|x| t.as_deref() == Some(x)))
            .map(|(id, (_, e))| (cosine(q, e.as_ref().unwrap()), id.clone()))
            .collect();
        ref_hits.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let got = g.search_entities(None, Some(q), k, type_).unwrap();
        assert_eq!(got.len(), ref_hits.len().min(k));
        for (i, h) in got.iter().enumerate() {
            assert!((h.score - ref_hits[i].0).abs() < 1e-5, "score {} vs {}", h.score, ref_hits[i].0);
            // Ids agree wherever the reference's scores are not within rounding of a neighbour's.
            let separated = (i == 0 || ref_hits[i - 1].0 - ref_hits[i].0 > 1e-5)
                && ref_hits.get(i + 1).is_none_or(|n| ref_hits[i].0 - n.0 > 1e-5);
            if separated {
                assert_eq!(h.entity.id, ref_hits[i].1, "rank {i} of {k}");
            }
            assert_eq!(h.entity.embedding.as_deref(), want[&h.entity.id].1.as_deref());
        }
    };
    {
        let db = Database::open(dir.path()).unwrap();
        let g = db.graph("v", Some(DIM)).unwrap();
        for round in 0..30 {
            let n = 1 + rng.below(40) as usize;
            let batch: Vec<NewEntity> = (0..n)
                .map(|_| {
                    let id = format!("e{}", rng.below(120));
                    let mut e = ent(&id, &format!("Name {id}"), &[]);
                    e.type_ = Some(format!("t{}", rng.below(2)));
                    // A few without an embedding, some of them replacing one that had one.
                    e.embedding = (rng.below(5) != 0).then(|| rand_vec(&mut rng));
                    if round % 7 == 3 && rng.below(2) == 0 {
                        e.embedding = Some(vec![0.0; DIM]);
                    }
                    e
                })
                .collect();
            // Within a batch a later entity with the same id replaces the earlier one.
            let mut dedup: std::collections::BTreeMap<String, NewEntity> = Default::default();
            for e in batch {
                dedup.insert(e.id.clone().unwrap(), e);
            }
            let batch: Vec<NewEntity> = dedup.into_values().collect();
            for e in &batch {
                want.insert(e.id.clone().unwrap(), (e.type_.clone(), e.embedding.clone()));
            }
            g.add_entities(&batch).unwrap();
            for _ in 0..4 {
                let q = rand_vec(&mut rng);
                check(&g, &want, &mut rng, &q);
            }
            if round % 10 == 9 {
                g.flush().unwrap();
            }
        }
        db.close();
    }
    let db = Database::open(dir.path()).unwrap();
    let g = db.graph("v", None).unwrap();
    for _ in 0..20 {
        let q = rand_vec(&mut rng);
        check(&g, &want, &mut rng, &q);
    }
    // With a text as well: the mean of both scores, the vector alone halved where the text misses.
    let q = rand_vec(&mut rng);
    let hits = g.search_entities(Some("e7"), Some(&q), 200, None).unwrap();
    for h in &hits {
        let v = cosine(&q, want[&h.entity.id].1.as_ref().unwrap());
        let expect = if h.entity.id == "e7" { (0.9 + v) / 2.0 } else { v / 2.0 };
        assert!((h.score - expect).abs() < 1e-5, "{}: {} vs {expect}", h.entity.id, h.score);
    }
}
