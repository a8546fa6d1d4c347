//! Retrieval-augmented generation: documents cut into chunks ([`crate::chunk`]), embedded by the
//! caller's model, stored in a hidden collection, and retrieved by vector similarity, BM25, or
//! both fused by reciprocal-rank fusion; [`Rag::context`] packs the best chunks into a prompt-ready
//! text with citations.
//!
//! Storage: the chunks of RAG `name` live in the collection `_agentdb_rag_<name>`, one record per
//! chunk: id `<doc_id>#<position>`, the chunk's vector, `document` = the chunk text, and metadata
//! `doc_id`, `source`, `position`, `char_start`, `char_end`, `heading` (the markdown heading path
//! joined by " > "), `tokens`, `content_hash` (SHA-256 of the whole document's text) and
//! `ingest_hash` (SHA-256 of the text, source, format, metadata and chunk settings), plus the
//! document's own metadata.
//!
//! Ingest is idempotent: a document whose `ingest_hash` is stored already is skipped (not even
//! embedded); a changed one has all its chunks replaced in one Lance commit
//! ([`Collection::replace`]), so a reader sees the old chunks or the new ones, never a mix or a
//! gap.
//!
//! Hybrid scores (reciprocal-rank fusion, Cormack et al. 2009): a chunk ranked `r_v` (1-based) by
//! vector similarity and `r_t` by BM25 scores `w_v / (k + r_v) + w_t / (k + r_t)`, a side that
//! did not return it contributing 0. Defaults `k = 60`, `w_v = w_t = 1`. Each side contributes its
//! best `candidates` chunks (default `max(4·k_results, 20)`), both under the same filter.

use std::collections::{BTreeMap, HashMap, HashSet};

use sha2::{Digest, Sha256};

use crate::chunk::{self, ChunkOptions, SizeUnit, TextFormat, TokenCounter};
use crate::collection::{Collection, MAX_K};
use crate::database::Database;
use crate::error::{Error, ErrorKind, Result};
use crate::filter::Filter;
use crate::records::{Records, Vectors, MAX_ID_LEN};
use crate::schema::{validate_collection_name, Metric, MAX_NAME_LEN};
use crate::value::{Metadata, Value};

/// Prefix of the hidden collections holding RAG chunks.
pub const RAG_COLLECTION_PREFIX: &str = "_agentdb_rag_";

/// Metadata keys the engine writes on every chunk; a document's own metadata may not use them.
pub const CHUNK_KEYS: &[&str] =
    &["doc_id", "source", "position", "char_start", "char_end", "heading", "tokens", "content_hash", "ingest_hash"];

/// Longest document id: the chunk id appends `#<position>`.
pub const MAX_DOC_ID_LEN: usize = MAX_ID_LEN - 16;

/// A document to ingest.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// Unique within the RAG; re-ingesting an id replaces that document.
    pub id: String,
    pub text: String,
    /// Where it came from (a path, a URL); cited by [`Rag::context`]. Defaults to the id there.
    pub source: Option<String>,
    pub format: TextFormat,
    /// Copied onto every chunk, so filters can use it.
    pub metadata: Metadata,
}

/// What ingest did with one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocStatus {
    /// New: its chunks were written.
    Added,
    /// It existed with other content or settings: its chunks were replaced.
    Replaced,
    /// It existed with the same hash: nothing was written (nor embedded).
    Unchanged,
}

impl DocStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DocStatus::Added => "added",
            DocStatus::Replaced => "replaced",
            DocStatus::Unchanged => "unchanged",
        }
    }
}

/// The outcome of ingesting one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestReport {
    pub doc_id: String,
    pub status: DocStatus,
    /// The document's chunks now stored.
    pub chunks: usize,
}

/// Which retrievers a search uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetrievalMode {
    /// Vector and BM25, fused by RRF (needs both the query text and its vector).
    #[default]
    Hybrid,
    /// Vector similarity only.
    Vector,
    /// BM25 only.
    Text,
}

impl std::str::FromStr for RetrievalMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "hybrid" => Ok(RetrievalMode::Hybrid),
            "vector" | "dense" => Ok(RetrievalMode::Vector),
            "text" | "bm25" | "fts" | "keyword" => Ok(RetrievalMode::Text),
            _ => Err(Error::invalid_argument(format!("unknown retrieval mode {s:?}: expected 'hybrid', 'vector' or 'text'"))),
        }
    }
}

/// How a search runs.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrieveOptions {
    /// Chunks to return.
    pub k: usize,
    pub mode: RetrievalMode,
    /// RRF weight of the vector ranking.
    pub vector_weight: f32,
    /// RRF weight of the BM25 ranking.
    pub text_weight: f32,
    /// RRF's rank constant.
    pub rrf_k: f32,
    /// Chunks each retriever contributes before fusion; `None`: max(4·k, 20).
    pub candidates: Option<usize>,
    /// Maximal marginal relevance: `Some(λ)` re-ranks the fused candidates by
    /// `λ·relevance − (1−λ)·max cosine similarity to the chunks already picked` (λ in [0, 1];
    /// 1 = pure relevance, lower = more diverse).
    pub mmr_lambda: Option<f32>,
    /// Applied to both retrievers before ranking (chunk metadata: the document's own keys plus
    /// `doc_id`, `source`, `position`, …).
    pub filter: Option<Filter>,
}

/// MMR's λ when re-ranking by maximal marginal relevance is asked for without one (bindings
/// whose options cannot say "not given" use it).
pub const DEFAULT_MMR_LAMBDA: f32 = 0.5;

impl Default for RetrieveOptions {
    fn default() -> Self {
        RetrieveOptions {
            k: 5,
            mode: RetrievalMode::Hybrid,
            vector_weight: 1.0,
            text_weight: 1.0,
            rrf_k: 60.0,
            candidates: None,
            mmr_lambda: None,
            filter: None,
        }
    }
}

/// A retrieved chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct RagHit {
    /// The chunk's record id, `<doc_id>#<position>`.
    pub id: String,
    pub doc_id: String,
    pub source: String,
    /// The chunk's index within its document (0-based).
    pub position: usize,
    /// The chunk's span in the document, in code points.
    pub char_start: usize,
    pub char_end: usize,
    /// Markdown heading path, " > "-joined (empty when none).
    pub heading: String,
    pub text: String,
    /// The fused score (RRF for hybrid; for one retriever, its own RRF term), larger is better.
    pub score: f32,
    /// 1-based rank by vector similarity, and the distance, when that retriever returned it.
    pub vector_rank: Option<usize>,
    pub distance: Option<f32>,
    /// 1-based rank by BM25, and the BM25 score, when that retriever returned it.
    pub text_rank: Option<usize>,
    pub bm25: Option<f32>,
    /// The document's own metadata.
    pub metadata: Metadata,
}

/// Where a passage of a context comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    /// The passage's number in the context text (`[n]`), from 1.
    pub number: usize,
    pub doc_id: String,
    pub source: String,
    pub heading: String,
    /// The chunk positions merged into the passage, ascending.
    pub positions: Vec<usize>,
    /// The passage's span in the document, in code points.
    pub char_start: usize,
    pub char_end: usize,
}

/// Best chunks packed to a token budget.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// Passages, each under a header line `[n] source § heading (chunks …)`, separated by blank
    /// lines.
    pub text: String,
    /// `text`'s size by the counter used.
    pub tokens: usize,
    pub citations: Vec<Citation>,
}

/// How [`Rag::context`] packs.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextOptions {
    /// The budget for the whole text, headers included.
    pub max_tokens: usize,
    /// The retrieval; its `k` is the pool of candidates packing picks from (default 20).
    pub retrieve: RetrieveOptions,
    /// Group passages by document (documents in order of their best chunk) and put each
    /// document's passages in reading order, merging adjacent or overlapping chunks into one
    /// passage. `false`: passages in score order, unmerged.
    pub document_order: bool,
}

impl Default for ContextOptions {
    fn default() -> Self {
        ContextOptions {
            max_tokens: 2000,
            retrieve: RetrieveOptions { k: 20, ..Default::default() },
            document_order: true,
        }
    }
}

/// A RAG store. Cheap to clone. A handle keeps its database open (its chunk collection is a
/// user's handle, see [`Collection`]): the database closes when the last handle to it or to any
/// of its parts goes, or on [`Database::close`], after which the store fails with
/// [`ErrorKind::Closed`].
#[derive(Clone)]
pub struct Rag {
    name: String,
    chunks: Collection,
}

/// The hidden collection's name for RAG `name`.
pub fn collection_name(name: &str) -> Result<String> {
    let full = format!("{RAG_COLLECTION_PREFIX}{name}");
    if name.is_empty() || full.len() > MAX_NAME_LEN {
        return Err(Error::new(
            ErrorKind::InvalidName,
            format!(
                "invalid RAG name {name:?}: 1 to {} characters",
                MAX_NAME_LEN - RAG_COLLECTION_PREFIX.len()
            ),
        ));
    }
    validate_collection_name(name).map_err(|e| Error::new(ErrorKind::InvalidName, e.message().replace("collection", "RAG")))?;
    Ok(full)
}

impl Database {
    /// Opens RAG `name`, creating it for `dim`-dimensional embeddings compared by `metric` if it
    /// does not exist (an existing one must have the same dimension and metric).
    pub fn rag(&self, name: &str, dim: usize, metric: Metric) -> Result<Rag> {
        let full = collection_name(name)?;
        match self.get_collection_any(&full) {
            Ok(chunks) => {
                if chunks.dim() != dim {
                    return Err(Error::new(
                        ErrorKind::DimensionMismatch,
                        format!("RAG '{name}' holds {}-dimensional embeddings, not {dim}", chunks.dim()),
                    ));
                }
                if chunks.metric() != metric {
                    return Err(Error::invalid_argument(format!(
                        "RAG '{name}' compares embeddings by {}, not {}",
                        chunks.metric().as_str(),
                        metric.as_str()
                    )));
                }
                Ok(self.rag_handle(name, chunks))
            }
            Err(e) if e.kind() == ErrorKind::CollectionNotFound => {
                let chunks = self.get_or_create_collection_any(&full, dim, metric)?;
                Ok(self.rag_handle(name, chunks))
            }
            Err(e) => Err(e),
        }
    }

    /// Opens an existing RAG ([`ErrorKind::CollectionNotFound`] if there is none).
    pub fn open_rag(&self, name: &str) -> Result<Rag> {
        let chunks = self.get_collection_any(&collection_name(name)?).map_err(|e| {
            if e.kind() == ErrorKind::CollectionNotFound {
                Error::new(ErrorKind::CollectionNotFound, format!("RAG '{name}' does not exist"))
            } else {
                e
            }
        })?;
        Ok(self.rag_handle(name, chunks))
    }

    /// The user's handle to a RAG: it keeps the database open.
    fn rag_handle(&self, name: &str, chunks: Collection) -> Rag {
        Rag { name: name.to_owned(), chunks: chunks.kept_by(self.keep_alive()) }
    }

    /// Deletes RAG `name` and all its chunks.
    pub fn drop_rag(&self, name: &str) -> Result<()> {
        self.drop_collection_any(&collection_name(name)?).map_err(|e| {
            if e.kind() == ErrorKind::CollectionNotFound {
                Error::new(ErrorKind::CollectionNotFound, format!("RAG '{name}' does not exist"))
            } else {
                e
            }
        })
    }

    /// The names of the RAG stores, sorted.
    pub fn list_rags(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .all_collection_names()?
            .into_iter()
            .filter_map(|n| n.strip_prefix(RAG_COLLECTION_PREFIX).map(str::to_owned))
            .collect();
        names.sort();
        Ok(names)
    }
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn metadata_json(m: &Metadata) -> String {
    // BTreeMap: keys in order, so equal metadata gives equal text.
    Value::Map(m.clone()).to_json().to_string()
}

fn str_of<'a>(m: &'a Metadata, key: &str) -> Option<&'a str> {
    match m.get(key) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}

fn int_of(m: &Metadata, key: &str) -> Option<i64> {
    match m.get(key) {
        Some(Value::Int(i)) => Some(*i),
        _ => None,
    }
}

fn doc_filter(ids: &[&str]) -> Filter {
    let list = Value::List(ids.iter().map(|s| Value::Str((*s).to_owned())).collect());
    Filter::Where(Value::Map(BTreeMap::from([(
        "doc_id".to_owned(),
        Value::Map(BTreeMap::from([("$in".to_owned(), list)])),
    )])))
}

/// The candidates each retriever contributes.
fn candidates(options: &RetrieveOptions) -> usize {
    options.candidates.unwrap_or_else(|| (options.k * 4).max(20)).max(options.k).min(MAX_K)
}

/// One chunk as returned by a retriever, before fusion.
struct Candidate {
    id: String,
    text: Option<String>,
    metadata: Metadata,
}

impl Rag {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn dim(&self) -> usize {
        self.chunks.dim()
    }

    pub fn metric(&self) -> Metric {
        self.chunks.metric()
    }

    /// The hidden collection holding the chunks (for inspection; write through the RAG).
    pub fn collection(&self) -> &Collection {
        &self.chunks
    }

    /// Ingests documents: each is hashed, skipped if stored with the same hash (unless `force`),
    /// else chunked, embedded (one `embed` call for all chunks of the batch, which must return
    /// `n × dim` values, row-major) and written; all changed documents of the batch are replaced
    /// in one commit. Returns one report per document, in input order.
    pub fn ingest(
        &self,
        docs: &[Document],
        options: &ChunkOptions,
        counter: &dyn TokenCounter,
        force: bool,
        embed: &mut dyn FnMut(&[String]) -> Result<Vec<f32>>,
    ) -> Result<Vec<IngestReport>> {
        options.validate()?;
        let mut seen = HashSet::new();
        for (i, d) in docs.iter().enumerate() {
            if d.id.is_empty() || d.id.len() > MAX_DOC_ID_LEN {
                return Err(Error::invalid_argument(format!(
                    "document {i}: an id must be 1 to {MAX_DOC_ID_LEN} bytes long"
                )));
            }
            if !seen.insert(d.id.as_str()) {
                return Err(Error::new(ErrorKind::DuplicateId, format!("document {i}: id {:?} repeats in the batch", d.id)));
            }
            if let Some(k) = d.metadata.keys().find(|k| CHUNK_KEYS.contains(&k.as_str())) {
                return Err(Error::invalid_metadata(format!(
                    "document {i} (id {:?}): metadata key {k:?} is reserved for chunk bookkeeping",
                    d.id
                )));
            }
        }
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        // What is stored: the first chunk of each document carries its hashes.
        let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
        let mut stored: HashMap<String, String> = HashMap::new();
        for part in ids.chunks(256) {
            let first = Filter::Where(Value::Map(BTreeMap::from([
                ("$and".to_owned(), Value::List(vec![
                    match doc_filter(part) { Filter::Where(v) => v, Filter::Sql(_) => unreachable!("doc_filter builds a dict") },
                    Value::Map(BTreeMap::from([("position".to_owned(), Value::Int(0))])),
                ])),
            ])));
            let got = self.chunks.get(None, Some(&first), None, 0)?;
            for m in &got.metadata {
                if let (Some(id), Some(h)) = (str_of(m, "doc_id"), str_of(m, "ingest_hash")) {
                    stored.insert(id.to_owned(), h.to_owned());
                }
            }
        }
        let unit = match options.unit {
            SizeUnit::Tokens => "tokens",
            SizeUnit::Chars => "chars",
        };
        let settings = format!("{}:{}:{unit}", options.size, options.overlap);
        let mut reports = Vec::with_capacity(docs.len());
        let mut changed: Vec<&str> = Vec::new();
        let (mut rec_ids, mut texts, mut metas) = (Vec::new(), Vec::new(), Vec::new());
        for d in docs {
            let content_hash = sha256_hex(&[d.text.as_bytes()]);
            let source = d.source.clone().unwrap_or_else(|| d.id.clone());
            let format = match d.format {
                TextFormat::Plain => "plain",
                TextFormat::Markdown => "markdown",
            };
            let ingest_hash = sha256_hex(&[
                content_hash.as_bytes(),
                source.as_bytes(),
                format.as_bytes(),
                metadata_json(&d.metadata).as_bytes(),
                settings.as_bytes(),
            ]);
            let old = stored.get(&d.id);
            if !force && old == Some(&ingest_hash) {
                reports.push(IngestReport { doc_id: d.id.clone(), status: DocStatus::Unchanged, chunks: 0 });
                continue;
            }
            let chunks = chunk::chunk(&d.text, d.format, options, counter)?;
            for (pos, c) in chunks.iter().enumerate() {
                let mut m = d.metadata.clone();
                m.insert("doc_id".into(), Value::Str(d.id.clone()));
                m.insert("source".into(), Value::Str(source.clone()));
                m.insert("position".into(), Value::Int(pos as i64));
                m.insert("char_start".into(), Value::Int(c.char_start as i64));
                m.insert("char_end".into(), Value::Int(c.char_end as i64));
                m.insert("heading".into(), Value::Str(c.headings.join(" > ")));
                m.insert("tokens".into(), Value::Int(c.tokens as i64));
                m.insert("content_hash".into(), Value::Str(content_hash.clone()));
                m.insert("ingest_hash".into(), Value::Str(ingest_hash.clone()));
                rec_ids.push(format!("{}#{pos}", d.id));
                texts.push(c.text.clone());
                metas.push(m);
            }
            changed.push(&d.id);
            let status = if old.is_some() { DocStatus::Replaced } else { DocStatus::Added };
            reports.push(IngestReport { doc_id: d.id.clone(), status, chunks: chunks.len() });
        }
        if changed.is_empty() {
            return Ok(reports);
        }
        // Skip the model call when every changed document is empty (it may reject no input).
        let vectors = if texts.is_empty() { Vec::new() } else { embed(&texts)? };
        let dim = self.dim();
        if vectors.len() != texts.len() * dim {
            return Err(Error::new(
                ErrorKind::DimensionMismatch,
                format!(
                    "the embedder returned {} values for {} chunks of dimension {dim}",
                    vectors.len(),
                    texts.len()
                ),
            ));
        }
        let documents: Vec<Option<String>> = texts.into_iter().map(Some).collect();
        let records = Records {
            ids: &rec_ids,
            vectors: Vectors::Flat { data: &vectors, dim },
            documents: Some(&documents),
            metadata: Some(&metas),
        };
        self.chunks.replace(&records, &doc_filter(&changed))?;
        Ok(reports)
    }

    /// Builds or refreshes the full-text index now (searches do it themselves when needed).
    pub fn update_text_index(&self) -> Result<()> {
        self.chunks.update_text_index()
    }

    /// Deletes documents (all their chunks); returns how many chunks were deleted.
    pub fn delete(&self, doc_ids: &[String]) -> Result<u64> {
        if doc_ids.is_empty() {
            return Ok(0);
        }
        let ids: Vec<&str> = doc_ids.iter().map(String::as_str).collect();
        let mut n = 0;
        for part in ids.chunks(256) {
            n += self.chunks.delete(None, Some(&doc_filter(part)))?;
        }
        Ok(n)
    }

    /// The number of chunks (matching `filter`).
    pub fn count_chunks(&self, filter: Option<&Filter>) -> Result<u64> {
        self.chunks.count(filter)
    }

    /// The stored documents: `(doc_id, source, chunks, content_hash)`, sorted by id.
    pub fn documents(&self) -> Result<Vec<(String, String, usize, String)>> {
        let all = self.chunks.get(None, None, None, 0)?;
        let mut docs: BTreeMap<String, (String, usize, String)> = BTreeMap::new();
        for m in &all.metadata {
            let Some(id) = str_of(m, "doc_id") else { continue };
            let e = docs.entry(id.to_owned()).or_insert_with(|| {
                (str_of(m, "source").unwrap_or("").to_owned(), 0, str_of(m, "content_hash").unwrap_or("").to_owned())
            });
            e.1 += 1;
        }
        Ok(docs.into_iter().map(|(id, (s, n, h))| (id, s, n, h)).collect())
    }

    /// Retrieves chunks for a query: `text` for BM25, `vector` (the query's embedding) for
    /// similarity; hybrid needs both.
    pub fn search(&self, text: Option<&str>, vector: Option<&[f32]>, options: &RetrieveOptions) -> Result<Vec<RagHit>> {
        if options.k == 0 || options.k > MAX_K {
            return Err(Error::invalid_argument(format!("k must be between 1 and {MAX_K}, got {}", options.k)));
        }
        for (what, w) in [("vector_weight", options.vector_weight), ("text_weight", options.text_weight)] {
            if !w.is_finite() || w < 0.0 {
                return Err(Error::invalid_argument(format!("{what} must be a finite number ≥ 0, got {w}")));
            }
        }
        if !options.rrf_k.is_finite() || options.rrf_k < 0.0 {
            return Err(Error::invalid_argument(format!("rrf_k must be a finite number ≥ 0, got {}", options.rrf_k)));
        }
        if let Some(l) = options.mmr_lambda {
            if !(0.0..=1.0).contains(&l) {
                return Err(Error::invalid_argument(format!("mmr_lambda must be between 0 and 1, got {l}")));
            }
        }
        let text = text.filter(|t| !t.trim().is_empty());
        let (use_vec, use_text) = match options.mode {
            RetrievalMode::Hybrid => (true, true),
            RetrievalMode::Vector => (true, false),
            RetrievalMode::Text => (false, true),
        };
        if use_vec && vector.is_none() {
            return Err(Error::invalid_argument(format!("{:?} retrieval needs the query's vector", options.mode).to_lowercase()));
        }
        if use_text && text.is_none() {
            return Err(Error::invalid_argument(format!("{:?} retrieval needs the query's text", options.mode).to_lowercase()));
        }
        let n = candidates(options);
        let filter = options.filter.as_ref();
        let mut pool: HashMap<String, (Candidate, RagHitRanks)> = HashMap::new();
        if use_vec {
            let r = self.chunks.search(vector.unwrap_or_default(), n, filter)?;
            for (i, id) in r.ids.into_iter().enumerate() {
                let e = pool.entry(id.clone()).or_insert_with(|| {
                    (Candidate { id, text: r.documents[i].clone(), metadata: r.metadata[i].clone() }, RagHitRanks::default())
                });
                e.1.vector_rank = i + 1;
                e.1.distance = r.distances[i];
            }
        }
        if use_text {
            let r = self.chunks.text_search(text.unwrap_or_default(), n, filter)?;
            for (i, id) in r.ids.into_iter().enumerate() {
                let e = pool.entry(id.clone()).or_insert_with(|| {
                    (Candidate { id, text: r.documents[i].clone(), metadata: r.metadata[i].clone() }, RagHitRanks::default())
                });
                e.1.text_rank = i + 1;
                e.1.bm25 = r.scores[i];
            }
        }
        let mut hits: Vec<RagHit> = pool
            .into_values()
            .map(|(c, ranks)| {
                let rrf = |w: f32, rank: usize| if rank == 0 { 0.0 } else { w / (options.rrf_k + rank as f32) };
                let score = rrf(options.vector_weight, ranks.vector_rank) + rrf(options.text_weight, ranks.text_rank);
                to_hit(c, ranks, score)
            })
            .collect();
        // Best first; ties by (document, position) so results are deterministic.
        hits.sort_by(|a, b| {
            b.score.total_cmp(&a.score).then_with(|| a.doc_id.cmp(&b.doc_id)).then(a.position.cmp(&b.position))
        });
        match options.mmr_lambda {
            Some(lambda) if hits.len() > 1 => self.mmr(hits, options.k, lambda),
            _ => {
                hits.truncate(options.k);
                Ok(hits)
            }
        }
    }

    /// Re-ranks fused candidates by maximal marginal relevance.
    fn mmr(&self, hits: Vec<RagHit>, k: usize, lambda: f32) -> Result<Vec<RagHit>> {
        let ids: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
        let got = self.chunks.get(Some(&ids), None, None, 0)?;
        let dim = got.dim;
        let mut vecs: HashMap<&str, Vec<f32>> = HashMap::new();
        for (i, id) in got.ids.iter().enumerate() {
            let mut v = got.vectors[i * dim..(i + 1) * dim].to_vec();
            crate::kernels::normalize(&mut v);
            vecs.insert(id.as_str(), v);
        }
        let top = hits.first().map_or(1.0, |h| h.score).max(f32::MIN_POSITIVE);
        let mut rest: Vec<RagHit> = hits.into_iter().filter(|h| vecs.contains_key(h.id.as_str())).collect();
        let mut picked: Vec<RagHit> = Vec::with_capacity(k);
        while picked.len() < k && !rest.is_empty() {
            let mut best = 0;
            let mut best_value = f32::NEG_INFINITY;
            for (i, h) in rest.iter().enumerate() {
                let v = &vecs[h.id.as_str()];
                let redundancy = picked
                    .iter()
                    .map(|p| vecs[p.id.as_str()].iter().zip(v).map(|(a, b)| a * b).sum::<f32>())
                    .fold(0.0f32, f32::max);
                let value = lambda * (h.score / top) - (1.0 - lambda) * redundancy;
                if value > best_value {
                    best_value = value;
                    best = i;
                }
            }
            picked.push(rest.remove(best));
        }
        Ok(picked)
    }

    /// The best chunks for a query packed into at most `options.max_tokens` tokens (by
    /// `counter`), each passage under a citation header. See [`ContextOptions`].
    pub fn context(
        &self,
        text: Option<&str>,
        vector: Option<&[f32]>,
        options: &ContextOptions,
        counter: &dyn TokenCounter,
    ) -> Result<Context> {
        if options.max_tokens == 0 {
            return Err(Error::invalid_argument("max_tokens must be at least 1"));
        }
        let hits = self.search(text, vector, &options.retrieve)?;
        Ok(pack_context(hits, options, counter))
    }
}

/// What each retriever made of a candidate: 1-based rank (0 = not returned) and raw score.
/// Plain fields rather than `Option<(usize, f32)>`, so no copy ever moves an uninitialised
/// payload (valgrind, which the C suite runs under, reports branches on those).
#[derive(Clone, Copy)]
struct RagHitRanks {
    vector_rank: usize,
    distance: f32,
    text_rank: usize,
    bm25: f32,
}

impl Default for RagHitRanks {
    fn default() -> Self {
        RagHitRanks { vector_rank: 0, distance: f32::NAN, text_rank: 0, bm25: f32::NAN }
    }
}

fn to_hit(c: Candidate, ranks: RagHitRanks, score: f32) -> RagHit {
    let m = &c.metadata;
    let doc_id = str_of(m, "doc_id").unwrap_or_default().to_owned();
    let source = str_of(m, "source").map(str::to_owned).unwrap_or_else(|| doc_id.clone());
    let mut metadata = c.metadata.clone();
    metadata.retain(|k, _| !CHUNK_KEYS.contains(&k.as_str()));
    RagHit {
        position: int_of(m, "position").unwrap_or(0).max(0) as usize,
        char_start: int_of(m, "char_start").unwrap_or(0).max(0) as usize,
        char_end: int_of(m, "char_end").unwrap_or(0).max(0) as usize,
        heading: str_of(m, "heading").unwrap_or_default().to_owned(),
        id: c.id,
        doc_id,
        source,
        text: c.text.unwrap_or_default(),
        score,
        vector_rank: (ranks.vector_rank > 0).then_some(ranks.vector_rank),
        distance: (ranks.vector_rank > 0).then_some(ranks.distance),
        text_rank: (ranks.text_rank > 0).then_some(ranks.text_rank),
        bm25: (ranks.text_rank > 0).then_some(ranks.bm25),
        metadata,
    }
}

/// A passage being assembled: one or more chunks of one document.
struct Passage {
    doc_id: String,
    source: String,
    heading: String,
    positions: Vec<usize>,
    char_start: usize,
    char_end: usize,
    text: String,
}

fn header(number: usize, p: &Passage) -> String {
    let mut h = format!("[{number}] {}", p.source);
    if !p.heading.is_empty() {
        h.push_str(" § ");
        h.push_str(&p.heading);
    }
    let (first, last) = (p.positions[0], p.positions[p.positions.len() - 1]);
    if first == last {
        h.push_str(&format!(" (chunk {first})"));
    } else {
        h.push_str(&format!(" (chunks {first}–{last})"));
    }
    h
}

fn render(passages: &[Passage]) -> String {
    let mut out = String::new();
    for (i, p) in passages.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(&header(i + 1, p));
        out.push('\n');
        out.push_str(&p.text);
    }
    out
}

/// Appends chunk `h` to passage `p` (same document, `h` starting at or before `p`'s end): the
/// overlapping prefix of `h` is dropped, since chunks are exact slices of the document, so the
/// passage stays exactly `document[char_start..char_end]`.
fn extend(p: &mut Passage, h: &RagHit) {
    if h.char_end <= p.char_end {
        p.positions.push(h.position);
        return;
    }
    let skip = p.char_end.saturating_sub(h.char_start);
    let tail: String = h.text.chars().skip(skip).collect();
    p.text.push_str(&tail);
    p.char_end = h.char_end;
    p.positions.push(h.position);
}

/// The longest prefix of `text` ending at a word boundary whose count fits `budget`.
fn truncate_to(text: &str, budget: usize, counter: &dyn TokenCounter) -> String {
    let bounds: Vec<usize> = text.char_indices().filter(|(_, c)| c.is_whitespace()).map(|(i, _)| i).chain([text.len()]).collect();
    let (mut lo, mut hi) = (0usize, bounds.len());
    // Largest i with count(text[..bounds[i-1]] + "…") <= budget; 0 = nothing fits.
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let cand = format!("{}…", &text[..bounds[mid - 1]]);
        if counter.count(&cand) <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo == 0 {
        String::new()
    } else {
        format!("{}…", &text[..bounds[lo - 1]])
    }
}

fn pack_context(hits: Vec<RagHit>, options: &ContextOptions, counter: &dyn TokenCounter) -> Context {
    let budget = options.max_tokens;
    let mut chosen: Vec<(usize, RagHit)> = Vec::new();
    let arrange = |chosen: &[(usize, RagHit)]| -> Vec<Passage> {
        let mut items: Vec<&(usize, RagHit)> = chosen.iter().collect();
        if !options.document_order {
            return items
                .into_iter()
                .map(|(_, h)| Passage {
                    doc_id: h.doc_id.clone(),
                    source: h.source.clone(),
                    heading: h.heading.clone(),
                    positions: vec![h.position],
                    char_start: h.char_start,
                    char_end: h.char_end,
                    text: h.text.clone(),
                })
                .collect();
        }
        let mut best: HashMap<&str, usize> = HashMap::new();
        for (rank, h) in &items {
            let e = best.entry(h.doc_id.as_str()).or_insert(*rank);
            *e = (*e).min(*rank);
        }
        items.sort_by_key(|(_, h)| (best[h.doc_id.as_str()], h.char_start, h.position));
        let mut out: Vec<Passage> = Vec::new();
        for (_, h) in items {
            if let Some(p) = out.last_mut() {
                if p.doc_id == h.doc_id && h.char_start <= p.char_end && p.heading == h.heading {
                    extend(p, h);
                    continue;
                }
            }
            out.push(Passage {
                doc_id: h.doc_id.clone(),
                source: h.source.clone(),
                heading: h.heading.clone(),
                positions: vec![h.position],
                char_start: h.char_start,
                char_end: h.char_end,
                text: h.text.clone(),
            });
        }
        out
    };
    // Greedy by score: take each chunk that still fits once arranged (merging can only save);
    // one that does not fit is passed over for lower-ranked, smaller ones.
    let mut best: Option<(usize, RagHit)> = None;
    for (rank, h) in hits.into_iter().enumerate() {
        chosen.push((rank, h));
        if counter.count(&render(&arrange(&chosen))) > budget {
            let dropped = chosen.pop().expect("just pushed");
            best.get_or_insert(dropped);
        }
    }
    if chosen.is_empty() {
        // Not even one chunk fits: give as much of the best one as the budget allows.
        let Some(best) = best else { return Context::default() };
        let mut p = arrange(&[best]);
        let head = counter.count(&header(1, &p[0])) + 1;
        if head >= budget {
            return Context::default();
        }
        p[0].text = truncate_to(&p[0].text, budget - head, counter);
        if p[0].text.is_empty() {
            return Context::default();
        }
        let text = render(&p);
        return Context { tokens: counter.count(&text), citations: citations(&p), text };
    }
    let passages = arrange(&chosen);
    let text = render(&passages);
    Context { tokens: counter.count(&text), citations: citations(&passages), text }
}

fn citations(passages: &[Passage]) -> Vec<Citation> {
    passages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Citation {
                number: i + 1,
                doc_id: p.doc_id.clone(),
                source: p.source.clone(),
                heading: p.heading.clone(),
                positions: p.positions.clone(),
                char_start: p.char_start,
                char_end: p.char_end,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::ApproxTokens;

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
}
