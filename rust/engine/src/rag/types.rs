//! The RAG store's public types: documents in, ingest reports, retrieval and context options, hits,
//! citations and contexts out.

use super::*;

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

impl RetrievalMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RetrievalMode::Hybrid => "hybrid",
            RetrievalMode::Vector => "vector",
            RetrievalMode::Text => "text",
        }
    }
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

/// The chunks each retriever contributes when [`RetrieveOptions::candidates`] is `None`:
/// `max(4·k, 20)`, enough for fusion to lift a chunk one retriever ranks low.
pub fn default_candidates(k: usize) -> usize {
    crate::types::fusion::default_candidates(k)
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
    /// Chunks each retriever contributes before fusion; `None`: [`default_candidates`].
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
