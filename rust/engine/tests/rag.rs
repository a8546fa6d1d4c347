//! RAG against a real database: chunking invariants, ingest (skip unchanged, atomic replace),
//! BM25 through Lance's inverted index, hybrid RRF, MMR, filters, contexts, persistence.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use agentdb_engine::chunk::{self, ApproxTokens, ChunkOptions, SizeUnit, TextFormat};
use agentdb_engine::rag::{ContextOptions, DocStatus, Document, Rag, RetrievalMode, RetrieveOptions};
use agentdb_engine::{Database, ErrorKind, Filter, Metric, Result, Value};

const DIM: usize = 64;

/// Bag of words hashed into DIM signed buckets, L2-normalised: similar wording → similar vectors.
fn embed_one(text: &str) -> Vec<f32> {
    let mut v = vec![0f32; DIM];
    for w in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let mut h: u32 = 2166136261;
        for b in w.to_lowercase().bytes() {
            h = (h ^ b as u32).wrapping_mul(16777619);
        }
        v[(h % DIM as u32) as usize] += if h & 0x8000_0000 != 0 { -1.0 } else { 1.0 };
    }
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n == 0.0 {
        v[0] = 1.0;
    } else {
        v.iter_mut().for_each(|x| *x /= n);
    }
    v
}

fn embed(texts: &[String]) -> Result<Vec<f32>> {
    Ok(texts.iter().flat_map(|t| embed_one(t)).collect())
}

fn doc(id: &str, text: &str, meta: &[(&str, &str)]) -> Document {
    Document {
        id: id.into(),
        text: text.into(),
        source: Some(format!("{id}.txt")),
        format: TextFormat::Plain,
        metadata: meta.iter().map(|(k, v)| (k.to_string(), Value::Str(v.to_string()))).collect(),
    }
}

fn ingest(rag: &Rag, docs: &[Document]) -> Vec<DocStatus> {
    rag.ingest(docs, &ChunkOptions::default(), &ApproxTokens, false, &mut embed).unwrap().into_iter().map(|r| r.status).collect()
}

fn corpus() -> Vec<Document> {
    vec![
        doc("cats", "Cats are small carnivorous mammals. A cat sleeps most of the day and purrs when content.", &[("topic", "animals")]),
        doc("dogs", "Dogs are loyal companions. A dog needs daily walks and barks at strangers.", &[("topic", "animals")]),
        doc("rust", "Rust is a systems programming language with ownership and borrowing for memory safety.", &[("topic", "code")]),
        doc("python", "Python is a dynamic programming language popular for data science and scripting.", &[("topic", "code")]),
    ]
}

fn open(dir: &tempfile::TempDir) -> (Database, Rag) {
    let db = Database::open(dir.path()).unwrap();
    let rag = db.rag("kb", DIM, Metric::Cosine).unwrap();
    (db, rag)
}

fn opts(mode: RetrievalMode, k: usize) -> RetrieveOptions {
    RetrieveOptions { k, mode, ..Default::default() }
}

#[test]
fn chunks_cover_the_text_in_order_within_size() {
    let mut text = String::from("# Title\n\nIntro paragraph. ");
    for s in 0..40 {
        text.push_str(&format!("Sentence number {s} talks about topic {} in some detail. ", s % 7));
        if s % 9 == 8 {
            text.push_str("\n\n## Section ");
            text.push_str(&s.to_string());
            text.push_str("\n\n");
        }
    }
    text.push_str("Averyveryveryveryveryveryveryverylongwordwithoutanyspacesinsideitatall.");
    for (unit, size, overlap) in [(SizeUnit::Tokens, 40, 8), (SizeUnit::Tokens, 12, 0), (SizeUnit::Chars, 120, 30), (SizeUnit::Chars, 25, 5)] {
        let o = ChunkOptions { size, overlap, unit };
        let chunks = chunk::chunk(&text, TextFormat::Markdown, &o, &ApproxTokens).unwrap();
        let cps: Vec<char> = text.chars().collect();
        let mut covered = vec![false; cps.len()];
        let mut last_start = 0;
        for c in &chunks {
            let measured = match unit {
                SizeUnit::Tokens => chunk::approx_tokens(&c.text),
                SizeUnit::Chars => c.text.chars().count(),
            };
            assert!(measured <= size, "{unit:?} {size}: chunk of {measured}: {:?}", c.text);
            assert_eq!(cps[c.char_start..c.char_end].iter().collect::<String>(), c.text);
            assert!(c.char_start >= last_start, "chunks go forward");
            last_start = c.char_start;
            covered[c.char_start..c.char_end].iter_mut().for_each(|x| *x = true);
        }
        for (i, ch) in cps.iter().enumerate() {
            assert!(covered[i] || ch.is_whitespace(), "{unit:?} {size}: char {i} {ch:?} is in no chunk");
        }
    }
    assert_eq!(
        chunk::chunk("x", TextFormat::Plain, &ChunkOptions { size: 4, overlap: 4, unit: SizeUnit::Chars }, &ApproxTokens).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert!(chunk::chunk("  \n\n ", TextFormat::Plain, &ChunkOptions::default(), &ApproxTokens).unwrap().is_empty());
}

#[test]
fn ingest_skips_unchanged_and_replaces_changed() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, rag) = open(&dir);
    assert_eq!(ingest(&rag, &corpus()), vec![DocStatus::Added; 4]);
    let mut calls = 0;
    let mut counting = |t: &[String]| {
        calls += 1;
        embed(t)
    };
    let r = rag.ingest(&corpus(), &ChunkOptions::default(), &ApproxTokens, false, &mut counting).unwrap();
    assert!(r.iter().all(|r| r.status == DocStatus::Unchanged && r.chunks == 0));
    assert_eq!(calls, 0, "unchanged documents are not embedded");
    // Metadata is part of the hash; so are the chunk settings.
    let mut changed = corpus();
    changed[0].metadata.insert("topic".into(), Value::Str("pets".into()));
    assert_eq!(ingest(&rag, &changed[..1]), vec![DocStatus::Replaced]);
    let small = ChunkOptions { size: 8, overlap: 2, unit: SizeUnit::Tokens };
    let r = rag.ingest(&changed[..1], &small, &ApproxTokens, false, &mut embed).unwrap();
    assert_eq!(r[0].status, DocStatus::Replaced);
    assert!(r[0].chunks > 2);
    let cats = Filter::from_json(r#"{"doc_id": "cats"}"#).unwrap();
    assert_eq!(rag.count_chunks(Some(&cats)).unwrap(), r[0].chunks as u64);
    // Back to one chunk: the extra chunks are gone.
    assert_eq!(ingest(&rag, &changed[..1]), vec![DocStatus::Replaced]);
    assert_eq!(rag.count_chunks(Some(&cats)).unwrap(), 1);
    let docs = rag.documents().unwrap();
    assert_eq!(docs.iter().map(|d| d.0.as_str()).collect::<Vec<_>>(), ["cats", "dogs", "python", "rust"]);
    assert_eq!(docs[0].1, "cats.txt");
    // Empty text: the document's chunks are removed.
    assert_eq!(ingest(&rag, &[doc("cats", "", &[])]), vec![DocStatus::Replaced]);
    assert_eq!(rag.count_chunks(Some(&cats)).unwrap(), 0);
    assert_eq!(rag.delete(&["dogs".to_string(), "none".into()]).unwrap(), 1);
    assert_eq!(rag.count_chunks(None).unwrap(), 2);
}

#[test]
fn bad_documents_are_rejected_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (db, rag) = open(&dir);
    let mut reserved = corpus();
    reserved[2].metadata.insert("position".into(), Value::Int(1));
    let e = rag.ingest(&reserved, &ChunkOptions::default(), &ApproxTokens, false, &mut embed).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidMetadata);
    let e = rag.ingest(&[doc("a", "x", &[]), doc("a", "y", &[])], &ChunkOptions::default(), &ApproxTokens, false, &mut embed).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DuplicateId);
    let mut short = |t: &[String]| Ok(vec![0.5; t.len() * DIM - 1]);
    let e = rag.ingest(&corpus(), &ChunkOptions::default(), &ApproxTokens, false, &mut short).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
    assert_eq!(rag.count_chunks(None).unwrap(), 0, "nothing of a failed batch is written");
    assert_eq!(db.rag("kb", DIM + 1, Metric::Cosine).err().unwrap().kind(), ErrorKind::DimensionMismatch);
    assert_eq!(db.rag("kb", DIM, Metric::L2).err().unwrap().kind(), ErrorKind::InvalidArgument);
    assert_eq!(db.rag("../x", DIM, Metric::Cosine).err().unwrap().kind(), ErrorKind::InvalidName);
    assert_eq!(db.get_collection("_agentdb_rag_kb").err().unwrap().kind(), ErrorKind::InvalidName, "hidden from users");
}

#[test]
fn a_reingested_document_is_never_seen_half_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, rag) = open(&dir);
    let opts = ChunkOptions { size: 6, overlap: 0, unit: SizeUnit::Tokens };
    // Two versions with different chunk counts.
    let v1 = doc("d", "One two three four five. Six seven eight nine ten. Eleven twelve.", &[]);
    let v2 = doc("d", "Alpha beta gamma delta. Epsilon zeta eta theta. Iota kappa lambda mu. Nu xi omicron pi. Rho sigma.", &[]);
    let n1 = rag.ingest(std::slice::from_ref(&v1), &opts, &ApproxTokens, false, &mut embed).unwrap()[0].chunks;
    let n2 = chunk::chunk(&v2.text, TextFormat::Plain, &opts, &ApproxTokens).unwrap().len();
    assert_ne!(n1, n2);
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (rag, stop) = (rag.clone(), stop.clone());
        std::thread::spawn(move || {
            let only_d = Filter::from_json(r#"{"doc_id": "d"}"#).unwrap();
            let mut seen = HashSet::new();
            while !stop.load(Ordering::Acquire) {
                let got = rag.collection().get(None, Some(&only_d), None, 0).unwrap();
                let hashes: HashSet<String> = got
                    .metadata
                    .iter()
                    .map(|m| match m.get("content_hash") {
                        Some(Value::Str(s)) => s.clone(),
                        _ => panic!("a chunk without its hash"),
                    })
                    .collect();
                assert_eq!(hashes.len(), 1, "chunks of two versions seen together");
                assert!(got.len() == n1 || got.len() == n2, "a version seen with {} chunks", got.len());
                seen.insert(got.len());
            }
            seen
        })
    };
    for i in 0..12 {
        let v = if i % 2 == 0 { &v2 } else { &v1 };
        rag.ingest(std::slice::from_ref(v), &opts, &ApproxTokens, false, &mut embed).unwrap();
    }
    stop.store(true, Ordering::Release);
    let seen = reader.join().unwrap();
    assert!(!seen.is_empty());
}

#[test]
fn text_search_sees_new_rows_and_hybrid_fuses_by_rrf() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, rag) = open(&dir);
    ingest(&rag, &corpus());
    let q = "programming language memory safety";
    let qv = embed_one(q);
    let text = rag.search(Some(q), None, &opts(RetrievalMode::Text, 4)).unwrap();
    assert_eq!(text[0].doc_id, "rust");
    assert!(text.iter().all(|h| h.bm25.is_some() && h.distance.is_none()));
    let vector = rag.search(None, Some(&qv), &opts(RetrievalMode::Vector, 4)).unwrap();
    assert_eq!(vector.len(), 4);
    let hybrid = rag.search(Some(q), Some(&qv), &opts(RetrievalMode::Hybrid, 4)).unwrap();
    for h in &hybrid {
        let rv = vector.iter().position(|x| x.id == h.id).map(|p| p + 1);
        let rt = text.iter().position(|x| x.id == h.id).map(|p| p + 1);
        assert_eq!((h.vector_rank, h.text_rank), (rv, rt));
        let want = rv.map_or(0.0, |r| 1.0 / (60.0 + r as f32)) + rt.map_or(0.0, |r| 1.0 / (60.0 + r as f32));
        assert!((h.score - want).abs() < 1e-7);
    }
    assert!(hybrid.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!(hybrid[0].doc_id, "rust");
    // A document written after the index was built is found by BM25 at once.
    ingest(&rag, &[doc("go", "Go is a compiled programming language with goroutines.", &[("topic", "code")])]);
    let found = rag.search(Some("goroutines"), None, &opts(RetrievalMode::Text, 3)).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].doc_id, "go");
    // Filters apply to both sides; weights shift the fusion.
    let only_animals = RetrieveOptions { filter: Some(Filter::from_json(r#"{"topic": "animals"}"#).unwrap()), ..opts(RetrievalMode::Hybrid, 10) };
    let hits = rag.search(Some(q), Some(&qv), &only_animals).unwrap();
    assert!(!hits.is_empty() && hits.iter().all(|h| h.metadata.get("topic") == Some(&Value::Str("animals".into()))));
    let text_only_weight = RetrieveOptions { vector_weight: 0.0, ..opts(RetrievalMode::Hybrid, 2) };
    let hits = rag.search(Some("barks walks"), Some(&embed_one("cat purrs")), &text_only_weight).unwrap();
    assert_eq!(hits[0].doc_id, "dogs");
    // Errors.
    let e = rag.search(Some(q), None, &opts(RetrievalMode::Hybrid, 3)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = rag.search(Some(q), Some(&qv[..3]), &opts(RetrievalMode::Vector, 3)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
    let bad = RetrieveOptions { filter: Some(Filter::Sql("nope(".into())), ..opts(RetrievalMode::Text, 3) };
    assert_eq!(rag.search(Some(q), None, &bad).unwrap_err().kind(), ErrorKind::InvalidFilter);
}

#[test]
fn mmr_trades_relevance_for_diversity() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, rag) = open(&dir);
    ingest(
        &rag,
        &[
            doc("a1", "solar panels convert sunlight into electricity", &[]),
            doc("a2", "solar panels convert sunlight into electricity efficiently", &[]),
            doc("b", "wind turbines convert wind into electricity", &[]),
        ],
    );
    let q = "solar panels electricity";
    let qv = embed_one(q);
    let plain = rag.search(Some(q), Some(&qv), &opts(RetrievalMode::Hybrid, 2)).unwrap();
    let ids: HashSet<&str> = plain.iter().map(|h| h.doc_id.as_str()).collect();
    assert_eq!(ids, HashSet::from(["a1", "a2"]));
    let diverse = RetrieveOptions { mmr_lambda: Some(0.3), ..opts(RetrievalMode::Hybrid, 2) };
    let hits = rag.search(Some(q), Some(&qv), &diverse).unwrap();
    let ids: HashSet<&str> = hits.iter().map(|h| h.doc_id.as_str()).collect();
    assert!(ids.contains("b"), "{ids:?}");
    assert_eq!(hits[0].doc_id, plain[0].doc_id, "the most relevant chunk is picked first");
}

#[test]
fn context_packs_to_the_budget_with_citations_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (db, rag) = open(&dir);
        let long: String = (0..30).map(|i| format!("Paragraph {i} explains the cat's habits in detail.\n\n")).collect();
        let mut docs = corpus();
        docs.push(Document { id: "catbook".into(), text: long, source: Some("books/cats.md".into()), format: TextFormat::Markdown, metadata: Default::default() });
        rag.ingest(&docs, &ChunkOptions { size: 40, overlap: 10, unit: SizeUnit::Tokens }, &ApproxTokens, false, &mut embed).unwrap();
        let q = "cat habits";
        for budget in [30, 120, 400] {
            let ctx = rag
                .context(Some(q), Some(&embed_one(q)), &ContextOptions { max_tokens: budget, ..Default::default() }, &ApproxTokens)
                .unwrap();
            assert!(ctx.tokens <= budget, "{} > {budget}", ctx.tokens);
            assert_eq!(ctx.tokens, chunk::approx_tokens(&ctx.text));
            assert!(!ctx.citations.is_empty());
            for c in &ctx.citations {
                assert!(ctx.text.contains(&format!("[{}] {}", c.number, c.source)));
                assert!(c.positions.windows(2).all(|w| w[0] < w[1]));
            }
        }
        db.close();
    }
    let db = Database::open(dir.path()).unwrap();
    let rag = db.open_rag("kb").unwrap();
    assert_eq!(rag.dim(), DIM);
    assert_eq!(db.list_rags().unwrap(), vec!["kb".to_string()]);
    let hits = rag.search(Some("loyal companions"), None, &opts(RetrievalMode::Text, 1)).unwrap();
    assert_eq!(hits[0].doc_id, "dogs");
    let r = rag.ingest(&corpus(), &ChunkOptions { size: 40, overlap: 10, unit: SizeUnit::Tokens }, &ApproxTokens, false, &mut embed).unwrap();
    assert!(r.iter().all(|r| r.status == DocStatus::Unchanged));
    db.drop_rag("kb").unwrap();
    assert_eq!(db.open_rag("kb").err().unwrap().kind(), ErrorKind::CollectionNotFound);
}
