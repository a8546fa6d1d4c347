//! Hybrid recall and the per-store text tokenizer: BM25 over memory texts (buffered and
//! flushed alike, with the documented formula checked by hand), the RRF and linear fusions,
//! filters on both sides, and Chinese, Japanese and Korean text in memory stores and collections
//! with queries whose answers are known.

use agentdb_engine::{
    Database, ErrorKind, Fusion, Memory, MemoryFilter, MemoryUpdate, NewMemory, RecallMode, RecallOptions, RecallWeights,
    Records, SearchMode, TextTokenizer, Vectors,
};

fn kind_of<T>(r: agentdb_engine::Result<T>) -> ErrorKind {
    match r {
        Ok(_) => panic!("the call succeeded"),
        Err(e) => e.kind(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn text_mem(agent: &str, id: &str, text: &str) -> NewMemory {
    NewMemory { id: Some(id.into()), text: Some(text.into()), created_at: Some(1_700_000_000_000_000), ..NewMemory::new(agent) }
}

fn remember(m: &Memory, items: &[NewMemory], vectors: &[f32]) {
    m.remember(items, Vectors::Flat { data: vectors, dim: m.dim() }).unwrap();
}

fn text_opts(text: &str, k: usize) -> RecallOptions {
    let mut o = RecallOptions::new(k);
    o.query_text = Some(text.into());
    o.touch = false;
    o.now = Some(1_700_000_000_000_000);
    o
}

fn ids(hits: &[agentdb_engine::MemoryHit]) -> Vec<&str> {
    hits.iter().map(|h| h.record.id.as_str()).collect()
}

/// BM25 as documented (Lance's constants), for checking scores by hand.
fn bm25(tf: f64, len: f64, avg: f64, n: f64, df: f64) -> f64 {
    let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
    idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len / avg))
}

#[test]
fn text_recall_scores_by_bm25_buffered_and_flushed_alike() {
    let dir = tempfile::tempdir().unwrap();
    // Words the English stemmer leaves whole and that are no stop words.
    let docs = [("a", "zebra zebra lion"), ("b", "zebra tiger"), ("c", "tiger lion wolf panda"), ("d", "")];
    let expected_zebra = {
        let avg = (3.0 + 2.0 + 4.0) / 3.0; // "d" has no term, so it is no document
        [("a", bm25(2.0, 3.0, avg, 3.0, 2.0)), ("b", bm25(1.0, 2.0, avg, 3.0, 2.0))]
    };
    let check = |m: &Memory| {
        let hits = m.recall(None, &text_opts("Zebras", 10)).unwrap();
        assert_eq!(ids(&hits), ["a", "b"]);
        for (h, (id, s)) in hits.iter().zip(expected_zebra) {
            assert_eq!(h.record.id, id);
            assert!(close(h.text_score.unwrap(), s), "{id}: {:?} != {s}", h.text_score);
            assert!(h.similarity.is_none());
        }
        // Relevance mode: BM25 normalised over the candidates times the adjustment (equal here).
        assert!(hits[0].score > hits[1].score);
    };
    {
        let db = Database::open(dir.path()).unwrap();
        let m = db.memory("m", Some(2), None).unwrap();
        let items: Vec<NewMemory> = docs.iter().map(|(id, t)| text_mem("ann", id, t)).collect();
        remember(&m, &items, &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.5]);
        // Just remembered: still in the collection's write buffer, not in Lance.
        check(&m);
        db.close();
    }
    let db = Database::open(dir.path()).unwrap();
    let m = db.memory("m", None, None).unwrap();
    check(&m);
    // A memory written now (buffered) ranks together with the flushed ones, by the same statistics.
    remember(&m, &[text_mem("ann", "e", "zebra")], &[0.3, 0.3]);
    let hits = m.recall(None, &text_opts("zebra", 10)).unwrap();
    assert_eq!(ids(&hits), ["e", "a", "b"]);
    let avg = (3.0 + 2.0 + 4.0 + 1.0) / 4.0;
    assert!(close(hits[0].text_score.unwrap(), bm25(1.0, 1.0, avg, 4.0, 3.0)));
    assert!(close(hits[1].text_score.unwrap(), bm25(2.0, 3.0, avg, 4.0, 3.0)));
}

#[test]
fn text_index_follows_update_forget_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let m = db.memory("m", Some(2), None).unwrap();
    remember(
        &m,
        &[text_mem("ann", "a", "the invoice number is 4711"), text_mem("bob", "b", "invoice 4711 paid"), text_mem("ann", "c", "lunch at noon")],
        &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0],
    );
    let mut o = text_opts("4711", 10);
    assert_eq!(ids(&m.recall(None, &o).unwrap()), ["a", "b"]);
    o.filter = MemoryFilter::agent("ann");
    assert_eq!(ids(&m.recall(None, &o).unwrap()), ["a"]);
    o.filter = MemoryFilter { where_: Some(agentdb_engine::Filter::Sql("agent_id = 'bob'".into())), ..Default::default() };
    assert_eq!(ids(&m.recall(None, &o).unwrap()), ["b"]);
    o.filter = MemoryFilter::default();
    m.update("a", &MemoryUpdate { text: Some(Some("nothing to see".into())), ..Default::default() }).unwrap();
    assert_eq!(ids(&m.recall(None, &o).unwrap()), ["b"]);
    m.update("c", &MemoryUpdate { text: Some(Some("lunch 4711".into())), ..Default::default() }).unwrap();
    m.forget(Some(&["b".to_string()]), &MemoryFilter::default()).unwrap();
    assert_eq!(ids(&m.recall(None, &o).unwrap()), ["c"]);
    assert!(m.recall(None, &text_opts("unknownword", 10)).unwrap().is_empty());
}

#[test]
fn modes_defaults_and_bad_calls() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let m = db.memory("m", Some(2), None).unwrap();
    remember(&m, &[text_mem("ann", "a", "alpha"), text_mem("ann", "b", "beta")], &[1.0, 0.0, 0.0, 1.0]);
    let q = [1.0f32, 0.0];
    let mut o = text_opts("beta", 2);
    // Vector and text given, the store has texts: hybrid by default (both signals reported).
    let hits = m.recall(Some(&q), &o).unwrap();
    assert!(hits.iter().all(|h| h.similarity.is_some() && h.text_score.is_some()));
    o.search = Some(SearchMode::Vector);
    let hits = m.recall(Some(&q), &o).unwrap();
    assert_eq!(ids(&hits), ["a", "b"]);
    assert!(hits.iter().all(|h| h.text_score.is_none()));
    o.search = Some(SearchMode::Text);
    assert_eq!(ids(&m.recall(Some(&q), &o).unwrap()), ["b"]);
    o.search = Some(SearchMode::Hybrid);
    assert_eq!(kind_of(m.recall(None, &o)), ErrorKind::InvalidArgument);
    o.search = Some(SearchMode::Text);
    o.query_text = None;
    assert_eq!(kind_of(m.recall(Some(&q), &o)), ErrorKind::InvalidArgument);
    o.query_text = Some("  ".into());
    o.search = None;
    assert_eq!(kind_of(m.recall(None, &o)), ErrorKind::InvalidArgument);
    o.query_text = Some("beta".into());
    o.weights.rrf_k = 0.0;
    assert_eq!(kind_of(m.recall(None, &o)), ErrorKind::InvalidArgument);
    o.weights.rrf_k = 60.0;
    o.weights.text = -1.0;
    assert_eq!(kind_of(m.recall(None, &o)), ErrorKind::InvalidArgument);
    // A store without any text: vector and text given, vector by default.
    let bare = db.memory("bare", Some(2), None).unwrap();
    bare.remember(&[NewMemory::new("ann")], Vectors::Flat { data: &q, dim: 2 }).unwrap();
    let hits = bare.recall(Some(&q), &text_opts("beta", 2)).unwrap();
    assert_eq!(hits.len(), 1);
    assert!(hits[0].text_score.is_none());
    assert_eq!("hybrid".parse::<SearchMode>().unwrap(), SearchMode::Hybrid);
    assert!("both".parse::<SearchMode>().is_err());
    assert_eq!("linear".parse::<Fusion>().unwrap(), Fusion::Linear);
}

/// Three memories: the vector ranking is a, b, c; the text ranking c, b (a has no query word).
fn fusion_fixture(db: &Database) -> Memory {
    let m = db.memory("f", Some(2), None).unwrap();
    remember(
        &m,
        &[text_mem("ann", "a", "red apple"), text_mem("ann", "b", "green pear kiwi"), text_mem("ann", "c", "kiwi kiwi")],
        &[1.0, 0.0, 0.8, 0.6, 0.0, 1.0],
    );
    m
}

#[test]
fn rrf_fusion_matches_the_formula() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let m = fusion_fixture(&db);
    let mut o = text_opts("kiwi", 3);
    // adjust = 0: the score is the fused relevance, min-max normalised over the candidates.
    o.weights = RecallWeights { adjust: 0.0, fusion: Fusion::Rrf, text: 1.0, ..RecallWeights::DEFAULT };
    let hits = m.recall(Some(&[1.0, 0.0]), &o).unwrap();
    let k = 60.0;
    let r = |rank: f64| (k + 1.0) / (k + rank);
    // a: vector rank 1, no text; b: vector 2, text 2; c: vector 3, text 1.
    let fused = [("a", r(1.0)), ("b", r(2.0) + r(2.0)), ("c", r(3.0) + r(1.0))];
    let (lo, hi) = (fused.iter().map(|f| f.1).fold(f64::INFINITY, f64::min), fused.iter().map(|f| f.1).fold(0.0, f64::max));
    let mut expected: Vec<(&str, f64)> = fused.iter().map(|&(id, f)| (id, (f - lo) / (hi - lo))).collect();
    expected.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap());
    assert_eq!(ids(&hits), expected.iter().map(|e| e.0).collect::<Vec<_>>());
    for (h, (id, s)) in hits.iter().zip(&expected) {
        assert!(close(h.score, *s), "{id}: {} != {s}", h.score);
    }
    // The text-only candidate's similarity is computed exactly: c is orthogonal to the query.
    let c = hits.iter().find(|h| h.record.id == "c").unwrap();
    assert!(close(c.similarity.unwrap(), 0.0));
    let a = hits.iter().find(|h| h.record.id == "a").unwrap();
    assert_eq!(a.text_score, Some(0.0));
    // Text weight 0: the vector ranking alone.
    o.weights.text = 0.0;
    assert_eq!(ids(&m.recall(Some(&[1.0, 0.0]), &o).unwrap()), ["a", "b", "c"]);
    // Vector weight 0: the text ranking alone (a, with neither, last).
    o.weights.text = 1.0;
    o.weights.similarity = 0.0;
    assert_eq!(ids(&m.recall(Some(&[1.0, 0.0]), &o).unwrap()), ["c", "b", "a"]);
}

#[test]
fn linear_fusion_and_linear_mode_match_the_formula() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let m = fusion_fixture(&db);
    let mut o = text_opts("kiwi", 3);
    o.weights = RecallWeights { mode: RecallMode::Linear, fusion: Fusion::Linear, similarity: 2.0, text: 1.0, ..RecallWeights::DEFAULT };
    let hits = m.recall(Some(&[1.0, 0.0]), &o).unwrap();
    let by_id = |id: &str| hits.iter().find(|h| h.record.id == id).unwrap();
    let max_bm = by_id("c").text_score.unwrap();
    assert!(max_bm > by_id("b").text_score.unwrap());
    // sims 1, 0.8, 0: min-max gives 1, 0.8, 0. Linear mode adds strength = 0.5·1 + 0.5·0.5.
    let strength = 0.5 * 1.0 + 0.5 * 0.5;
    for (id, sim_n) in [("a", 1.0), ("b", 0.8), ("c", 0.0)] {
        let h = by_id(id);
        let expected = 2.0 * sim_n + h.text_score.unwrap() / max_bm + strength;
        assert!((h.score - expected).abs() < 1e-6, "{id}: {} != {expected}", h.score);
    }
}

const ZH_DOCS: [&str; 8] = [
    "北京是中华人民共和国的首都，也是全国的政治和文化中心。",
    "上海是中国最大的经济中心城市，位于长江入海口。",
    "熊猫主要生活在四川的山区，以竹子为食。",
    "长城是古代中国为抵御北方游牧民族而修建的军事工程。",
    "杭州西湖以美丽的风景闻名，每年吸引大量游客。",
    "人工智能正在改变医疗、金融和教育等行业。",
    "深度学习是机器学习的一个分支，使用多层神经网络。",
    "茶起源于中国，绿茶和红茶是最常见的种类。",
];

/// (query, index of the one right document).
const ZH_QUERIES: [(&str, usize); 10] = [
    ("首都", 0),
    ("长江", 1),
    ("熊猫吃什么", 2),
    ("竹子", 2),
    ("长城", 3),
    ("西湖的风景", 4),
    ("人工智能", 5),
    ("神经网络", 6),
    ("机器学习", 6),
    ("绿茶", 7),
];

fn zh_store(db: &Database, name: &str, tokenizer: TextTokenizer) -> Memory {
    let m = db.memory(name, Some(2), None).unwrap();
    m.set_text_tokenizer(tokenizer).unwrap();
    let items: Vec<NewMemory> = ZH_DOCS.iter().enumerate().map(|(i, t)| text_mem("ann", &format!("d{i}"), t)).collect();
    let vectors: Vec<f32> = (0..ZH_DOCS.len()).flat_map(|i| [1.0, i as f32]).collect();
    remember(&m, &items, &vectors);
    m
}

fn zh_hits(m: &Memory) -> usize {
    ZH_QUERIES
        .iter()
        .filter(|(q, want)| m.recall(None, &text_opts(q, 1)).unwrap().first().is_some_and(|h| h.record.id == format!("d{want}")))
        .count()
}

#[test]
fn chinese_memories_are_found_with_icu_and_ngram_not_with_simple() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let icu = zh_store(&db, "icu", TextTokenizer::Icu);
        let ngram = zh_store(&db, "ngram", TextTokenizer::parse("ngram").unwrap());
        let simple = zh_store(&db, "simple", TextTokenizer::Simple);
        assert_eq!(zh_hits(&icu), ZH_QUERIES.len());
        assert_eq!(zh_hits(&ngram), ZH_QUERIES.len());
        // The English tokenizer makes a clause one term: almost nothing is found.
        assert!(zh_hits(&simple) <= 1, "simple found {}", zh_hits(&simple));
        db.close();
    }
    // Reopened: the tokenizer is kept with the store, and the texts indexed with it.
    let db = Database::open(dir.path()).unwrap();
    let icu = db.memory("icu", None, None).unwrap();
    assert_eq!(icu.text_tokenizer(), TextTokenizer::Icu);
    assert_eq!(zh_hits(&icu), ZH_QUERIES.len());
    let simple = db.memory("simple", None, None).unwrap();
    assert_eq!(simple.text_tokenizer(), TextTokenizer::Simple);
    // Changing the tokenizer re-indexes what is stored.
    simple.set_text_tokenizer(TextTokenizer::Ngram { min: 2, max: 2 }).unwrap();
    assert_eq!(zh_hits(&simple), ZH_QUERIES.len());
    drop(simple);
    db.close();
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(db.memory("simple", None, None).unwrap().text_tokenizer(), TextTokenizer::Ngram { min: 2, max: 2 });
}

#[test]
fn japanese_and_korean_memories() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let docs = ["東京は日本の首都です。", "富士山は日本で一番高い山です。", "서울은 대한민국의 수도이다.", "부산은 항구 도시이다."];
    for (name, tok) in [("icu", TextTokenizer::Icu), ("ngram", TextTokenizer::Ngram { min: 2, max: 3 })] {
        let m = db.memory(name, Some(2), None).unwrap();
        m.set_text_tokenizer(tok).unwrap();
        let items: Vec<NewMemory> = docs.iter().enumerate().map(|(i, t)| text_mem("ann", &format!("d{i}"), t)).collect();
        remember(&m, &items, &[1.0, 0.0, 1.0, 0.1, 1.0, 0.2, 1.0, 0.3]);
        let top = |q: &str| m.recall(None, &text_opts(q, 1)).unwrap().first().map(|h| h.record.id.clone());
        assert_eq!(top("東京").as_deref(), Some("d0"), "{name}");
        assert_eq!(top("富士山").as_deref(), Some("d1"), "{name}");
        assert_eq!(top("부산은").as_deref(), Some("d3"), "{name}");
        if name == "ngram" {
            // Korean particles are attached to the word: only n-grams find the bare noun.
            assert_eq!(top("서울").as_deref(), Some("d2"));
        }
    }
}

#[test]
fn collection_text_search_on_chinese_with_a_persisted_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let n = ZH_DOCS.len();
    let ids: Vec<String> = (0..n).map(|i| format!("d{i}")).collect();
    let docs: Vec<Option<String>> = ZH_DOCS.iter().map(|d| Some(d.to_string())).collect();
    let vectors: Vec<f32> = (0..n).flat_map(|i| [1.0, i as f32]).collect();
    let found = |c: &agentdb_engine::Collection| {
        ZH_QUERIES.iter().filter(|(q, want)| c.text_search(q, 1, None).unwrap().ids.first() == Some(&format!("d{want}"))).count()
    };
    {
        let db = Database::open(dir.path()).unwrap();
        let c = db.create_collection("zh", 2, Default::default()).unwrap();
        assert_eq!(c.text_tokenizer(), TextTokenizer::Simple);
        c.add(&Records { ids: &ids, vectors: Vectors::Flat { data: &vectors, dim: 2 }, documents: Some(&docs), metadata: None }).unwrap();
        assert!(found(&c) <= 1);
        assert!(c.has_text_index().unwrap());
        // Switching drops the simple index; the next search builds an ICU one.
        c.set_text_tokenizer(TextTokenizer::Icu).unwrap();
        assert!(!c.has_text_index().unwrap());
        assert_eq!(found(&c), ZH_QUERIES.len());
        db.close();
    }
    let db = Database::open(dir.path()).unwrap();
    let c = db.get_collection("zh").unwrap();
    assert_eq!(c.text_tokenizer(), TextTokenizer::Icu);
    // Writes after reopening (a new metadata column evolves the schema) keep the tokenizer.
    let more = [("d8".to_string(), "故宫是明清两代的皇家宫殿。")];
    let meta = vec![agentdb_engine::Metadata::from([("lang".to_string(), agentdb_engine::Value::Str("zh".into()))])];
    c.add(&Records {
        ids: &[more[0].0.clone()],
        vectors: Vectors::Flat { data: &[0.5, 0.5], dim: 2 },
        documents: Some(&[Some(more[0].1.to_string())]),
        metadata: Some(&meta),
    })
    .unwrap();
    assert_eq!(found(&c), ZH_QUERIES.len());
    assert_eq!(c.text_search("故宫", 1, None).unwrap().ids, ["d8"]);
    db.close();
    let db = Database::open(dir.path()).unwrap();
    let c = db.get_collection("zh").unwrap();
    assert_eq!(c.text_tokenizer(), TextTokenizer::Icu);
    c.set_text_tokenizer(TextTokenizer::parse("ngram:2").unwrap()).unwrap();
    assert_eq!(found(&c), ZH_QUERIES.len());
}

#[test]
fn rag_text_retrieval_on_chinese_documents() {
    use agentdb_engine::chunk::{ApproxTokens, ChunkOptions, SizeUnit, TextFormat};
    use agentdb_engine::rag::{Document, RetrievalMode, RetrieveOptions};
    let dir = tempfile::tempdir().unwrap();
    let doc = |id: &str, text: String| Document {
        id: id.into(),
        text,
        source: None,
        format: TextFormat::Plain,
        metadata: Default::default(),
    };
    // One document of all eight sentences, chunked a sentence or so per chunk.
    let docs = [doc("zh", ZH_DOCS.concat())];
    let mut embed = |texts: &[String]| Ok(texts.iter().flat_map(|_| [1.0f32, 0.0]).collect::<Vec<f32>>());
    let opts = ChunkOptions { size: 30, overlap: 0, unit: SizeUnit::Tokens };
    {
        let db = Database::open(dir.path()).unwrap();
        let rag = db.rag("kb", 2, Default::default()).unwrap();
        rag.set_text_tokenizer(TextTokenizer::Icu).unwrap();
        rag.ingest(&docs, &opts, &ApproxTokens, false, &mut embed).unwrap();
        db.close();
    }
    let db = Database::open(dir.path()).unwrap();
    let rag = db.open_rag("kb").unwrap();
    assert_eq!(rag.text_tokenizer(), TextTokenizer::Icu);
    let ro = RetrieveOptions { k: 1, mode: RetrievalMode::Text, ..Default::default() };
    for (q, want) in ZH_QUERIES {
        let hits = rag.search(Some(q), None, &ro).unwrap();
        assert_eq!(hits.len(), 1, "{q}");
        assert!(hits[0].text.contains(&ZH_DOCS[want][..9]), "{q}: {:?}", hits[0].text);
    }
}

#[test]
fn bm25_statistics_count_the_memories_passing_the_filter() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let m = db.memory("m", Some(2), None).unwrap();
    // "zebra" is in every one of ann's memories and in none of bob's.
    let mut items = vec![text_mem("ann", "a1", "zebra lion"), text_mem("ann", "a2", "zebra tiger wolf")];
    for i in 0..6 {
        items.push(text_mem("bob", &format!("b{i}"), "panda koala"));
    }
    let vectors: Vec<f32> = (0..items.len()).flat_map(|_| [1.0, 0.0]).collect();
    remember(&m, &items, &vectors);
    let mut o = text_opts("zebra", 5);
    let whole = m.recall(None, &o).unwrap();
    let avg = (2.0 + 3.0 + 6.0 * 2.0) / 8.0;
    assert!(close(whole[0].text_score.unwrap(), bm25(1.0, 2.0, avg, 8.0, 2.0)));
    o.filter = MemoryFilter::agent("ann");
    let ann = m.recall(None, &o).unwrap();
    assert_eq!(ids(&ann), ["a1", "a2"]);
    // Within ann's memories the word is everywhere: N = 2, df = 2, avg length 2.5.
    assert!(close(ann[0].text_score.unwrap(), bm25(1.0, 2.0, 2.5, 2.0, 2.0)));
    assert!(close(ann[1].text_score.unwrap(), bm25(1.0, 3.0, 2.5, 2.0, 2.0)));
    assert!(ann[0].text_score.unwrap() < whole[0].text_score.unwrap());
}

/// Recall with a graph: the hits are those of plain recall, and the facts those the graph holds
/// about the entities the query names, as of the recall's time, with their source memories.
#[test]
fn recall_with_a_graph_adds_the_facts_of_mentioned_entities() {
    use agentdb_engine::{FactObject, NewEntity, NewFact};
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let m = db.memory("m", Some(2), None).unwrap();
    remember(
        &m,
        &[text_mem("ann", "m1", "Alice moved to Paris"), text_mem("ann", "m2", "Alice moved again, to Berlin"), text_mem("ann", "m3", "tea")],
        &[1.0, 0.0, 0.9, 0.1, 0.0, 1.0],
    );
    let g = db.graph("people", None).unwrap();
    let e = |id: &str, name: &str, aliases: &[&str]| NewEntity {
        id: Some(id.into()),
        name: name.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    g.add_entities(&[e("alice", "Alice", &["Ali"]), e("paris", "Paris", &[]), e("berlin", "Berlin", &[])]).unwrap();
    g.declare_predicate("lives_in", true).unwrap();
    let lives = |city: &str, from: i64, src: &str| NewFact {
        subject: "alice".into(),
        predicate: "lives_in".into(),
        object: FactObject::Entity(city.into()),
        valid_from: Some(from),
        valid_to: None,
        sources: vec![src.into()],
        confidence: Some(0.8),
    };
    g.add_facts(&[lives("paris", 100, "m1")]).unwrap();
    g.add_facts(&[lives("berlin", 200, "m2")]).unwrap();
    let q = [1.0f32, 0.0];
    let mut o = text_opts("where does ali live", 3);
    o.now = Some(150);
    let got = m.recall_with_graph(Some(&q), &o, &g, None).unwrap();
    assert_eq!(got.hits, m.recall(Some(&q), &o).unwrap());
    assert_eq!(got.facts.len(), 1);
    let f = &got.facts[0];
    assert_eq!((f.object.clone(), f.valid_from, f.valid_to, f.confidence), (FactObject::Entity("paris".into()), 100, Some(200), 0.8));
    assert_eq!(f.sources, ["m1"]);
    assert_eq!(got.facts_from("m1").count(), 1);
    assert_eq!(got.facts_from("m2").count(), 0);
    // Later, the single-valued predicate's newer fact is the one in force.
    o.now = Some(250);
    let got = m.recall_with_graph(Some(&q), &o, &g, None).unwrap();
    assert_eq!(got.facts.iter().map(|f| (f.object.clone(), f.sources.clone())).collect::<Vec<_>>(), [(FactObject::Entity("berlin".into()), vec!["m2".to_string()])]);
    // Before any fact, and a query naming nobody: hits without facts.
    o.now = Some(50);
    assert!(m.recall_with_graph(Some(&q), &o, &g, None).unwrap().facts.is_empty());
    o.now = Some(250);
    o.query_text = Some("tea".into());
    let got = m.recall_with_graph(Some(&q), &o, &g, None).unwrap();
    assert!(got.facts.is_empty() && !got.hits.is_empty());
    // Two entities named, the limit honoured; entity names match by name or alias, any case.
    o.query_text = Some("ALICE and paris".into());
    assert_eq!(m.recall_with_graph(Some(&q), &o, &g, Some(1)).unwrap().facts.len(), 1);
    // Bad calls fail before anything is touched.
    let before = m.get(&["m1".to_string()]).unwrap()[0].access_count;
    o.touch = true;
    assert_eq!(kind_of(m.recall_with_graph(Some(&q), &o, &g, Some(0))), ErrorKind::InvalidArgument);
    o.query_text = None;
    assert_eq!(kind_of(m.recall_with_graph(Some(&q), &o, &g, None)), ErrorKind::InvalidArgument);
    o.query_text = Some(" ".into());
    assert_eq!(kind_of(m.recall_with_graph(Some(&q), &o, &g, None)), ErrorKind::InvalidArgument);
    assert_eq!(m.get(&["m1".to_string()]).unwrap()[0].access_count, before);
}
