use super::context::pack_context;
use super::*;
use crate::rag::chunk::ApproxTokens;

fn hit(doc: &str, pos: usize, start: usize, text: &str) -> RagHit {
    RagHit {
        id: format!("{doc}#{pos}"),
        doc_id: doc.into(),
        source: format!("{doc}.md"),
        position: pos,
        char_start: start,
        char_end: start + text.chars().count(),
        heading: String::new(),
        text: text.into(),
        score: 1.0,
        vector_rank: None,
        distance: None,
        text_rank: None,
        bm25: None,
        metadata: Metadata::new(),
    }
}

#[test]
fn context_merges_overlapping_chunks_in_document_order() {
    // "alpha beta gamma delta" cut with overlap: [0,16) "alpha beta gamma", [11,22) "gamma delta".
    let hits = vec![hit("a", 1, 11, "gamma delta"), hit("b", 0, 0, "other doc"), hit("a", 0, 0, "alpha beta gamma")];
    let ctx = pack_context(hits, &ContextOptions { max_tokens: 100, ..Default::default() }, &ApproxTokens);
    assert_eq!(ctx.text, "[1] a.md (chunks 0–1)\nalpha beta gamma delta\n\n[2] b.md (chunk 0)\nother doc");
    assert_eq!(ctx.citations[0].positions, vec![0, 1]);
    assert!(ctx.tokens <= 100);
}

#[test]
fn context_respects_the_budget() {
    let long = "word ".repeat(200);
    let hits = vec![hit("a", 0, 0, long.trim()), hit("b", 0, 0, "short")];
    let ctx = pack_context(hits.clone(), &ContextOptions { max_tokens: 50, ..Default::default() }, &ApproxTokens);
    assert!(ctx.tokens <= 50, "{}", ctx.tokens);
    assert_eq!(ctx.citations.len(), 1);
    assert_eq!(ctx.citations[0].doc_id, "b", "the chunk that fits is taken");
    let ctx = pack_context(hits[..1].to_vec(), &ContextOptions { max_tokens: 50, ..Default::default() }, &ApproxTokens);
    assert!(ctx.tokens <= 50 && ctx.tokens > 30, "{}", ctx.tokens);
    assert!(ctx.text.ends_with("word…"), "{}", ctx.text);
}

/// A RAG handle outlives the database handle it came from and keeps the database open; the
/// database closes when the last handle goes.
#[test]
fn a_rag_keeps_its_database_open() {
    let dir = tempfile::tempdir().unwrap();
    let rag = Database::open(dir.path()).unwrap().rag("r", 2, Metric::Cosine).unwrap();
    let doc = Document { id: "d".into(), text: "one paragraph".into(), ..Default::default() };
    let mut embed = |texts: &[String]| Ok(texts.iter().flat_map(|_| [1.0f32, 0.0]).collect());
    rag.ingest(&[doc], &ChunkOptions::default(), &ApproxTokens, false, &mut embed).unwrap();
    assert_eq!(Database::open(dir.path()).err().map(|e| e.kind()), Some(ErrorKind::DatabaseLocked));
    assert_eq!(rag.count_chunks(None).unwrap(), 1);
    drop(rag);
    let db = Database::open(dir.path()).unwrap();
    let rag = db.open_rag("r").unwrap();
    assert_eq!(rag.count_chunks(None).unwrap(), 1);
    db.close();
    assert_eq!(rag.count_chunks(None).unwrap_err().kind(), ErrorKind::Closed);
}

/// The same text in several documents scores the same in both retrievers; the fused order must
/// still be the same on every call (ranks are taken after ordering ties by chunk id).
#[test]
fn hybrid_order_is_the_same_on_every_call_with_tied_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let rag = db.rag("r", 2, Metric::Cosine).unwrap();
    // Ingested in reverse id order, so that no search returns ties by id by accident.
    let docs: Vec<Document> = (0..12)
        .rev()
        .map(|i| Document {
            id: format!("d{i:02}"),
            text: if i % 3 == 0 { "the same words in every copy".into() } else { format!("other text number {i}") },
            ..Default::default()
        })
        .collect();
    let mut embed = |texts: &[String]| {
        Ok(texts.iter().flat_map(|t| if t.starts_with("the same") { [1.0f32, 0.0] } else { [0.0, 1.0] }).collect())
    };
    rag.ingest(&docs, &ChunkOptions::default(), &ApproxTokens, false, &mut embed).unwrap();
    let options = RetrieveOptions { k: 6, ..Default::default() };
    let order = |rag: &Rag| -> Vec<String> {
        rag.search(Some("same words"), Some(&[1.0, 0.0]), &options).unwrap().into_iter().map(|h| h.id).collect()
    };
    let first = order(&rag);
    assert_eq!(&first[..4], ["d00#0", "d03#0", "d06#0", "d09#0"], "tied chunks by id");
    for _ in 0..20 {
        assert_eq!(order(&rag), first);
    }
}
