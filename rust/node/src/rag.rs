//! `Rag`: the binding of [`agentdb_engine::rag::Rag`]: ingest documents (chunked by the engine,
//! embedded by a JS function), hybrid search, and packed prompt contexts.
//!
//! The embedder is a JS function `(texts: string[]) => Float32Array[] | Float32Array` or a
//! Promise of one. `ingest` runs on a worker thread like every other call; when the engine asks
//! for embeddings, that thread calls the function on the JS thread through a threadsafe function
//! and waits for its answer (awaiting a returned Promise there), so the event loop stays free
//! while the engine chunks and writes.

use std::sync::mpsc;

use agentdb_engine::chunk::{ApproxTokens, ChunkOptions, SizeUnit, TextFormat};
use agentdb_engine::rag::{Citation, ContextOptions, DocStatus, Document, Rag as EngineRag, RagHit, RetrievalMode, RetrieveOptions};
use agentdb_engine::serde_json::Value as J;
use agentdb_engine::{Error, ErrorKind, Result};
use napi::bindgen_prelude::{Either, Float32Array, FromNapiValue, Function, Promise as JsPromise, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::JsValue;
use napi_derive::napi;

use crate::conversion::{filter_arg, metadata_out, one_metadata, opt_usize, VectorsArg};
use crate::task::{self, Promise};

#[napi(object)]
pub struct DocumentArg<'a> {
    pub id: String,
    pub text: String,
    pub source: Option<String>,
    /// "plain" or "markdown" (engine default when left out).
    pub format: Option<String>,
    #[napi(ts_type = "Record<string, unknown> | null")]
    pub metadata: Option<Unknown<'a>>,
}

#[napi(object)]
pub struct IngestOptions {
    /// Chunk size, in `unit`s.
    pub size: Option<f64>,
    pub overlap: Option<f64>,
    /// "tokens" or "chars".
    pub unit: Option<String>,
    /// Re-ingest documents whose text is unchanged.
    pub force: Option<bool>,
}

#[napi(object, object_from_js = false)]
pub struct IngestReport {
    pub doc_id: String,
    /// "added", "replaced" or "unchanged".
    pub status: String,
    pub chunks: u32,
}

/// How a search runs; each option left out takes the engine's default.
#[napi(object)]
pub struct RagSearchOptions<'a> {
    /// Query text (for the BM25 side).
    pub text: Option<String>,
    /// Query embedding (for the vector side).
    pub vector: Option<Float32Array>,
    pub k: Option<f64>,
    /// "hybrid", "vector" or "text".
    pub mode: Option<String>,
    pub vector_weight: Option<f64>,
    pub text_weight: Option<f64>,
    pub rrf_k: Option<f64>,
    pub candidates: Option<f64>,
    pub mmr_lambda: Option<f64>,
    #[napi(ts_type = "string | Record<string, unknown> | null")]
    pub filter: Option<Unknown<'a>>,
    /// `context` only: the token budget.
    pub max_tokens: Option<f64>,
    /// `context` only: passages in document order rather than by score.
    pub document_order: Option<bool>,
}

#[napi(object, object_from_js = false)]
pub struct RagSearchHit {
    pub id: String,
    pub doc_id: String,
    pub source: String,
    pub position: u32,
    pub char_start: u32,
    pub char_end: u32,
    pub heading: String,
    pub text: String,
    pub score: f64,
    pub vector_rank: Option<u32>,
    pub distance: Option<f64>,
    pub text_rank: Option<u32>,
    pub bm25: Option<f64>,
    #[napi(ts_type = "Record<string, unknown>")]
    pub metadata: J,
}

#[napi(object, object_from_js = false)]
pub struct RagCitation {
    pub number: u32,
    pub doc_id: String,
    pub source: String,
    pub heading: String,
    pub positions: Vec<u32>,
    pub char_start: u32,
    pub char_end: u32,
}

#[napi(object, object_from_js = false)]
pub struct RagContext {
    pub text: String,
    pub tokens: u32,
    pub citations: Vec<RagCitation>,
}

fn n32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn hit_out(h: RagHit) -> RagSearchHit {
    RagSearchHit {
        metadata: metadata_out(&h.metadata),
        id: h.id,
        doc_id: h.doc_id,
        source: h.source,
        position: n32(h.position),
        char_start: n32(h.char_start),
        char_end: n32(h.char_end),
        heading: h.heading,
        text: h.text,
        score: f64::from(h.score),
        vector_rank: h.vector_rank.map(n32),
        distance: h.distance.map(f64::from),
        text_rank: h.text_rank.map(n32),
        bm25: h.bm25.map(f64::from),
    }
}

fn citation_out(c: Citation) -> RagCitation {
    RagCitation {
        number: n32(c.number),
        doc_id: c.doc_id,
        source: c.source,
        heading: c.heading,
        positions: c.positions.into_iter().map(n32).collect(),
        char_start: n32(c.char_start),
        char_end: n32(c.char_end),
    }
}

/// A search's converted arguments.
struct Query {
    text: Option<String>,
    vector: Option<Float32Array>,
    retrieve: RetrieveOptions,
    max_tokens: Option<usize>,
    document_order: Option<bool>,
}

fn query_arg(o: RagSearchOptions<'_>, d: RetrieveOptions) -> Result<Query> {
    let f32_or = |v: Option<f64>, default: f32| v.map_or(default, |x| x as f32);
    Ok(Query {
        retrieve: RetrieveOptions {
            k: opt_usize("k", o.k)?.unwrap_or(d.k),
            mode: o.mode.as_deref().map_or(Ok(d.mode), |m| m.parse::<RetrievalMode>())?,
            vector_weight: f32_or(o.vector_weight, d.vector_weight),
            text_weight: f32_or(o.text_weight, d.text_weight),
            rrf_k: f32_or(o.rrf_k, d.rrf_k),
            candidates: opt_usize("candidates", o.candidates)?.or(d.candidates),
            mmr_lambda: o.mmr_lambda.map(|m| m as f32).or(d.mmr_lambda),
            filter: filter_arg(o.filter)?,
        },
        max_tokens: opt_usize("maxTokens", o.max_tokens)?,
        document_order: o.document_order,
        text: o.text,
        vector: o.vector,
    })
}

/// What the embedder gave back: its vectors, or a Promise of them to wait for.
enum Reply {
    Now(napi::Result<Either<Float32Array, Vec<Float32Array>>>),
    Later(JsPromise<Either<Float32Array, Vec<Float32Array>>>),
}

type Embedder = ThreadsafeFunction<Vec<String>, Unknown<'static>, Vec<String>, napi::Status, false>;

fn embedder_error(e: napi::Error) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("the embedder failed: {}", e.reason))
}

/// Calls the JS embedder from a worker thread and waits for its vectors: `texts.len() × dim`
/// values, row-major, as the engine wants them.
fn embed(f: &Embedder, texts: &[String], dim: usize) -> Result<Vec<f32>> {
    let (tx, rx) = mpsc::sync_channel::<Reply>(1);
    let status = f.call_with_return_value(texts.to_vec(), ThreadsafeFunctionCallMode::Blocking, move |ret, _env| {
        // On the JS thread: a Promise is handed to the worker to await, anything else converted.
        let reply = match ret {
            Err(e) => Reply::Now(Err(e)),
            Ok(v) => match v.is_promise() {
                Ok(true) => match JsPromise::from_unknown(v) {
                    Ok(p) => Reply::Later(p),
                    Err(e) => Reply::Now(Err(e)),
                },
                Ok(false) => Reply::Now(Either::<Float32Array, Vec<Float32Array>>::from_unknown(v)),
                Err(e) => Reply::Now(Err(e)),
            },
        };
        let _ = tx.send(reply);
        Ok(())
    });
    if status != napi::Status::Ok {
        return Err(Error::new(ErrorKind::Internal, format!("could not call the embedder: {status}")));
    }
    let reply = rx.recv().map_err(|_| Error::new(ErrorKind::Internal, "the embedder call was dropped"))?;
    let out = match reply {
        Reply::Now(r) => r,
        Reply::Later(p) => futures::executor::block_on(p),
    }
    .map_err(embedder_error)?;
    let vectors = VectorsArg::new(out);
    let v = vectors.as_vectors(dim)?;
    if v.len() != texts.len() {
        return Err(Error::new(
            ErrorKind::DimensionMismatch,
            format!("the embedder returned {} vectors for {} texts", v.len(), texts.len()),
        ));
    }
    let mut flat = Vec::with_capacity(texts.len() * dim);
    for i in 0..v.len() {
        let row = v.row(i);
        if row.len() != dim {
            return Err(Error::new(
                ErrorKind::DimensionMismatch,
                format!("the embedder returned vectors of dimension {}, the RAG has dimension {dim}", row.len()),
            ));
        }
        flat.extend_from_slice(row);
    }
    Ok(flat)
}

/// A RAG store (`db.rag(name, dim)`).
#[napi]
pub struct Rag {
    pub(crate) inner: EngineRag,
}

impl Rag {
    pub fn new(inner: EngineRag) -> Self {
        Rag { inner }
    }
}

#[napi]
impl Rag {
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    #[napi(getter)]
    pub fn dim(&self) -> u32 {
        n32(self.inner.dim())
    }

    #[napi(getter)]
    pub fn metric(&self) -> &'static str {
        self.inner.metric().as_str()
    }

    /// Chunks, embeds (with `embed`) and stores documents; unchanged ones are skipped. Resolves
    /// to one report per document, in order.
    #[napi(
        strict,
        ts_args_type = "docs: DocumentArg[], embed: (texts: string[]) => Float32Array[] | Float32Array | Promise<Float32Array[] | Float32Array>, opts?: IngestOptions | undefined | null",
        ts_return_type = "Promise<IngestReport[]>"
    )]
    pub fn ingest(
        &self,
        docs: Vec<DocumentArg<'_>>,
        embed_fn: Function<'_, Vec<String>, Unknown<'static>>,
        opts: Option<IngestOptions>,
    ) -> Promise<Vec<IngestReport>> {
        let rag = self.inner.clone();
        let args = (|| {
            let documents = docs
                .into_iter()
                .enumerate()
                .map(|(i, d)| {
                    Ok(Document {
                        format: d.format.as_deref().map_or(Ok(TextFormat::default()), str::parse::<TextFormat>)?,
                        metadata: match d.metadata {
                            Some(m) => one_metadata(m, &format!("docs[{i}].metadata"))?,
                            None => Default::default(),
                        },
                        id: d.id,
                        text: d.text,
                        source: d.source,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let d = ChunkOptions::default();
            let (size, overlap, unit, force) = opts.map_or((None, None, None, None), |o| (o.size, o.overlap, o.unit, o.force));
            let chunks = ChunkOptions {
                size: opt_usize("size", size)?.unwrap_or(d.size),
                overlap: opt_usize("overlap", overlap)?.unwrap_or(d.overlap),
                unit: unit.as_deref().map_or(Ok(d.unit), |u| u.parse::<SizeUnit>())?,
            };
            let f: Embedder = embed_fn
                .build_threadsafe_function::<Vec<String>>()
                .callee_handled::<false>()
                .build()
                .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("embed: {}", e.reason)))?;
            Ok((documents, chunks, force.unwrap_or(false), f))
        })();
        task::with(args, move |(documents, chunks, force, f)| {
            let dim = rag.dim();
            let mut embed_fn = |texts: &[String]| embed(&f, texts, dim);
            let reports = rag.ingest(&documents, &chunks, &ApproxTokens, force, &mut embed_fn)?;
            Ok(reports
                .into_iter()
                .map(|r| IngestReport {
                    doc_id: r.doc_id,
                    status: match r.status {
                        DocStatus::Added => "added",
                        DocStatus::Replaced => "replaced",
                        DocStatus::Unchanged => "unchanged",
                    }
                    .to_owned(),
                    chunks: n32(r.chunks),
                })
                .collect())
        })
    }

    /// The best chunks for a query text and/or vector.
    #[napi(strict, ts_return_type = "Promise<RagSearchHit[]>")]
    pub fn search(&self, opts: RagSearchOptions<'_>) -> Promise<Vec<RagSearchHit>> {
        let rag = self.inner.clone();
        task::with(query_arg(opts, RetrieveOptions::default()), move |q| {
            Ok(rag.search(q.text.as_deref(), q.vector.as_deref(), &q.retrieve)?.into_iter().map(hit_out).collect())
        })
    }

    /// The best chunks packed into a token budget, each passage under a citation header.
    #[napi(strict, ts_return_type = "Promise<RagContext>")]
    pub fn context(&self, opts: RagSearchOptions<'_>) -> Promise<RagContext> {
        let rag = self.inner.clone();
        let d = ContextOptions::default();
        let retrieve_defaults = d.retrieve.clone();
        task::with(query_arg(opts, retrieve_defaults), move |q| {
            let options = ContextOptions {
                max_tokens: q.max_tokens.unwrap_or(d.max_tokens),
                document_order: q.document_order.unwrap_or(d.document_order),
                retrieve: q.retrieve,
            };
            let ctx = rag.context(q.text.as_deref(), q.vector.as_deref(), &options, &ApproxTokens)?;
            Ok(RagContext {
                text: ctx.text,
                tokens: n32(ctx.tokens),
                citations: ctx.citations.into_iter().map(citation_out).collect(),
            })
        })
    }

    /// Deletes documents (all their chunks); resolves to how many chunks were deleted.
    #[napi(strict, ts_return_type = "Promise<number>")]
    pub fn delete(&self, doc_ids: Vec<String>) -> Promise<f64> {
        let rag = self.inner.clone();
        task::run(move || Ok(rag.delete(&doc_ids)? as f64))
    }

    /// The number of chunks (matching `filter`).
    #[napi(strict, ts_return_type = "Promise<number>")]
    pub fn count(
        &self,
        #[napi(ts_arg_type = "string | Record<string, unknown> | null")] filter: Option<Unknown<'_>>,
    ) -> Promise<f64> {
        let rag = self.inner.clone();
        task::with(filter_arg(filter), move |filter| Ok(rag.count_chunks(filter.as_ref())? as f64))
    }
}
