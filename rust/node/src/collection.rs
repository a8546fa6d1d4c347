//! `Collection`: the binding of [`agentdb_engine::Collection`]. Arguments are converted on the
//! JS thread (see `conversion.rs`); the engine call runs on the worker pool. Query vectors are
//! read in place from their `Float32Array`; result distances and vectors come back as
//! `Float32Array`s over the engine's own buffers (no copy).

use agentdb_engine::serde_json::Value as J;
use agentdb_engine::{
    Collection as EngineCollection, Filter, GetResult, Include, IndexKind, IndexOptions, IndexParams, Records, Result,
    SearchOptions as EngineSearchOptions, SearchResult,
};
use agentdb_engine::{FusionMethod, FusionOptions, HybridOptions, HybridSearchResult, TextSearchResult};
use napi::bindgen_prelude::{Either, Float32Array, Unknown};
use napi_derive::napi;

use crate::conversion::{filter_arg, metadata_arg, metadata_out, micros_to_ms, opt_usize, VectorsArg};
use crate::errors::invalid;
use crate::task::{self, Promise};

/// Options of `search` and `searchBatch`; each left out takes the engine's default.
#[napi(object)]
pub struct SearchOptions<'a> {
    /// How many neighbours (engine default when left out).
    pub k: Option<f64>,
    /// SQL text (`"lang = 'en'"`) or a dict filter (`{ lang: "en", year: { $gte: 2020 } }`).
    #[napi(ts_type = "string | Record<string, unknown> | null")]
    pub filter: Option<Unknown<'a>>,
    /// HNSW search breadth.
    pub ef: Option<f64>,
    /// Scan every vector instead of the index.
    pub exact: Option<bool>,
    /// Threads of a batch search.
    pub threads: Option<f64>,
    /// Return ids and distances only.
    pub ids_only: Option<bool>,
    /// Which payload to return: any of "documents", "metadata".
    pub include: Option<Vec<String>>,
    /// IVF-PQ partitions probed.
    pub nprobes: Option<f64>,
    /// IVF-PQ re-ranking factor.
    pub refine_factor: Option<f64>,
}

/// One search's neighbours, nearest first.
#[napi(object, object_from_js = false)]
pub struct SearchHits {
    pub ids: Vec<String>,
    pub distances: Float32Array,
    pub documents: Vec<Option<String>>,
    #[napi(ts_type = "Array<Record<string, unknown>>")]
    pub metadata: Vec<J>,
}

/// Options of `textSearch`; each left out takes the engine's default.
#[napi(object)]
pub struct TextSearchOptions<'a> {
    /// How many hits (engine default when left out).
    pub k: Option<f64>,
    /// Applied before ranking (SQL text or a dict filter).
    #[napi(ts_type = "string | Record<string, unknown> | null")]
    pub filter: Option<Unknown<'a>>,
}

/// Options of `hybridSearch`; each left out takes the engine's default.
#[napi(object)]
pub struct HybridSearchOptions<'a> {
    /// How many hits (engine default when left out).
    pub k: Option<f64>,
    /// Applied to both sides before ranking (SQL text or a dict filter).
    #[napi(ts_type = "string | Record<string, unknown> | null")]
    pub filter: Option<Unknown<'a>>,
    /// "rrf" (reciprocal-rank fusion) or "linear" (weighted sum of min-max normalised scores).
    pub method: Option<String>,
    /// Weight of the vector ranking (≥ 0).
    pub vector_weight: Option<f64>,
    /// Weight of the BM25 ranking (≥ 0).
    pub text_weight: Option<f64>,
    /// RRF's rank constant (≥ 0).
    pub rrf_k: Option<f64>,
    /// Records each side contributes before fusion.
    pub candidates: Option<f64>,
}

/// A text search's hits, best first: BM25 scores, larger is better.
#[napi(object, object_from_js = false)]
pub struct TextHits {
    pub ids: Vec<String>,
    pub scores: Float32Array,
    pub documents: Vec<Option<String>>,
    #[napi(ts_type = "Array<Record<string, unknown>>")]
    pub metadata: Vec<J>,
}

/// A hybrid search's hits, best first: the fused score, and each side's 1-based rank and raw
/// score (null where that side did not return the record).
#[napi(object, object_from_js = false)]
pub struct HybridHits {
    pub ids: Vec<String>,
    pub scores: Float32Array,
    pub documents: Vec<Option<String>>,
    #[napi(ts_type = "Array<Record<string, unknown>>")]
    pub metadata: Vec<J>,
    #[napi(ts_type = "Array<number | null>")]
    pub vector_ranks: Vec<Option<u32>>,
    #[napi(ts_type = "Array<number | null>")]
    pub distances: Vec<Option<f64>>,
    #[napi(ts_type = "Array<number | null>")]
    pub text_ranks: Vec<Option<u32>>,
    #[napi(ts_type = "Array<number | null>")]
    pub bm25_scores: Vec<Option<f64>>,
}

fn hybrid_args(opts: Option<HybridSearchOptions<'_>>) -> Result<(usize, Option<Filter>, HybridOptions)> {
    let d = HybridOptions::default();
    let Some(o) = opts else { return Ok((agentdb_engine::DEFAULT_SEARCH_K, None, d)) };
    let f32_or = |v: Option<f64>, default: f32| v.map_or(default, |x| x as f32);
    let options = HybridOptions {
        fusion: FusionOptions {
            method: o.method.as_deref().map_or(Ok(d.fusion.method), |m| m.parse::<FusionMethod>())?,
            vector_weight: f32_or(o.vector_weight, d.fusion.vector_weight),
            text_weight: f32_or(o.text_weight, d.fusion.text_weight),
            rrf_k: f32_or(o.rrf_k, d.fusion.rrf_k),
        },
        candidates: opt_usize("candidates", o.candidates)?.or(d.candidates),
    };
    Ok((opt_usize("k", o.k)?.unwrap_or(agentdb_engine::DEFAULT_SEARCH_K), filter_arg(o.filter)?, options))
}

fn text_hits(r: TextSearchResult) -> TextHits {
    TextHits {
        metadata: r.metadata.iter().map(metadata_out).collect(),
        ids: r.ids,
        scores: Float32Array::new(r.scores),
        documents: r.documents,
    }
}

fn hybrid_hits(r: HybridSearchResult) -> HybridHits {
    HybridHits {
        metadata: r.metadata.iter().map(metadata_out).collect(),
        vector_ranks: r.vector_ranks.iter().map(|x| x.map(small)).collect(),
        distances: r.distances.iter().map(|x| x.map(f64::from)).collect(),
        text_ranks: r.text_ranks.iter().map(|x| x.map(small)).collect(),
        bm25_scores: r.bm25_scores.iter().map(|x| x.map(f64::from)).collect(),
        ids: r.ids,
        scores: Float32Array::new(r.scores),
        documents: r.documents,
    }
}

/// Records read by `get`.
#[napi(object, object_from_js = false)]
pub struct Rows {
    pub ids: Vec<String>,
    /// Row-major, `ids.length × dim` values.
    pub vectors: Float32Array,
    pub dim: u32,
    pub documents: Vec<Option<String>>,
    #[napi(ts_type = "Array<Record<string, unknown>>")]
    pub metadata: Vec<J>,
    /// Milliseconds since the epoch, per record.
    pub created_at: Vec<f64>,
    pub updated_at: Vec<f64>,
}

/// Options of `get`.
#[napi(object)]
pub struct GetOptions<'a> {
    pub ids: Option<Vec<String>>,
    #[napi(ts_type = "string | Record<string, unknown> | null")]
    pub filter: Option<Unknown<'a>>,
    pub limit: Option<f64>,
    pub offset: Option<f64>,
}

/// Which records `delete` removes: by id, by filter, or both (records matching both).
#[napi(object)]
pub struct DeleteOptions<'a> {
    pub ids: Option<Vec<String>>,
    #[napi(ts_type = "string | Record<string, unknown> | null")]
    pub filter: Option<Unknown<'a>>,
}

/// Options of `createIndex`; each left out takes the kind's default.
#[napi(object)]
pub struct IndexOptionsArg {
    /// "hnsw" or "ivf_pq".
    pub kind: Option<String>,
    pub m: Option<f64>,
    pub ef_construction: Option<f64>,
    /// HNSW vector encoding: "none", "int8", "rabitq" (1 bit per dimension), "rabitq2",
    /// "rabitq4" or "rabitq8".
    pub quantization: Option<String>,
    pub partitions: Option<f64>,
    pub sub_vectors: Option<f64>,
}

/// The index's kind and parameters (the kind's own keys set).
#[napi(object, object_from_js = false)]
pub struct IndexInfo {
    pub kind: String,
    pub m: Option<u32>,
    pub ef_construction: Option<u32>,
    pub quantization: Option<String>,
    pub partitions: Option<u32>,
    pub sub_vectors: Option<u32>,
}

/// One metadata key and its storage type.
#[napi(object, object_from_js = false)]
pub struct MetadataField {
    pub key: String,
    #[napi(js_name = "type")]
    pub type_: String,
}

/// A search's converted arguments.
struct Search {
    k: usize,
    filter: Option<Filter>,
    options: EngineSearchOptions,
}

fn search_args(opts: Option<SearchOptions<'_>>) -> Result<Search> {
    let d = EngineSearchOptions::default();
    let Some(o) = opts else {
        return Ok(Search { k: agentdb_engine::DEFAULT_SEARCH_K, filter: None, options: d });
    };
    Ok(Search {
        k: opt_usize("k", o.k)?.unwrap_or(agentdb_engine::DEFAULT_SEARCH_K),
        filter: filter_arg(o.filter)?,
        options: EngineSearchOptions {
            ef: opt_usize("ef", o.ef)?,
            nprobes: opt_usize("nprobes", o.nprobes)?,
            // Too large for u32 is out of range anyway; the engine says so.
            refine_factor: opt_usize("refineFactor", o.refine_factor)?.map(|r| u32::try_from(r).unwrap_or(u32::MAX)),
            exact: o.exact.unwrap_or(d.exact),
            threads: opt_usize("threads", o.threads)?,
            include: Include::resolve(o.ids_only.unwrap_or(false), o.include.as_deref())?,
        },
    })
}

fn hits(r: SearchResult) -> SearchHits {
    SearchHits {
        metadata: r.metadata.iter().map(metadata_out).collect(),
        ids: r.ids,
        distances: Float32Array::new(r.distances),
        documents: r.documents,
    }
}

fn rows(r: GetResult) -> Rows {
    Rows {
        metadata: r.metadata.iter().map(metadata_out).collect(),
        ids: r.ids,
        vectors: Float32Array::new(r.vectors),
        dim: u32::try_from(r.dim).unwrap_or(u32::MAX),
        documents: r.documents,
        created_at: r.created_at.into_iter().map(micros_to_ms).collect(),
        updated_at: r.updated_at.into_iter().map(micros_to_ms).collect(),
    }
}

fn small(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// A collection of (id, vector, document, metadata) records.
#[napi]
pub struct Collection {
    pub(crate) inner: EngineCollection,
}

impl Collection {
    pub fn new(inner: EngineCollection) -> Self {
        Collection { inner }
    }

    fn write(
        &self,
        ids: Vec<String>,
        vectors: Either<Float32Array, Vec<Float32Array>>,
        documents: Option<Vec<Option<String>>>,
        metadata: Option<Unknown<'_>>,
        upsert: bool,
    ) -> Promise<()> {
        self.write_with(ids, vectors, documents, metadata, move |c, records| if upsert { c.upsert(records) } else { c.add(records) })
    }

    /// Converts the arguments of a write and runs `f` on the engine's records off the JS thread.
    fn write_with<T: napi::bindgen_prelude::ToNapiValue + napi::bindgen_prelude::TypeName + Send + 'static>(
        &self,
        ids: Vec<String>,
        vectors: Either<Float32Array, Vec<Float32Array>>,
        documents: Option<Vec<Option<String>>>,
        metadata: Option<Unknown<'_>>,
        f: impl FnOnce(&EngineCollection, &Records<'_>) -> agentdb_engine::Result<T> + Send + 'static,
    ) -> Promise<T> {
        let c = self.inner.clone();
        let vectors = VectorsArg::new(vectors);
        task::with(metadata_arg(metadata), move |metadata| {
            let v = vectors.as_vectors(c.dim())?;
            if v.len() != ids.len() {
                return Err(invalid(
                    agentdb_engine::ErrorKind::InvalidArgument,
                    format!("{} ids but {} vectors", ids.len(), v.len()),
                ));
            }
            let records = Records { ids: &ids, vectors: v, documents: documents.as_deref(), metadata: metadata.as_deref() };
            Ok(f(&c, &records)?)
        })
    }
}

#[napi]
impl Collection {
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    #[napi(getter)]
    pub fn dim(&self) -> u32 {
        small(self.inner.dim())
    }

    #[napi(getter)]
    pub fn metric(&self) -> &'static str {
        self.inner.metric().as_str()
    }

    /// Every metadata key seen so far and its storage type.
    #[napi]
    pub fn metadata_schema(&self) -> Vec<MetadataField> {
        self.inner.metadata_schema().into_iter().map(|(key, t)| MetadataField { key, type_: t.name().to_owned() }).collect()
    }

    /// Adds records; an id the collection already holds is a `DuplicateIdError`. `vectors` is
    /// one flat `Float32Array` of `ids.length × dim` values (read in place: do not modify it
    /// until the Promise settles) or one `Float32Array` per record.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn add(
        &self,
        ids: Vec<String>,
        vectors: Either<Float32Array, Vec<Float32Array>>,
        documents: Option<Vec<Option<String>>>,
        #[napi(ts_arg_type = "Array<Record<string, unknown> | null> | null")] metadata: Option<Unknown<'_>>,
    ) -> Promise<()> {
        self.write(ids, vectors, documents, metadata, false)
    }

    /// Adds records, replacing those whose id exists.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn upsert(
        &self,
        ids: Vec<String>,
        vectors: Either<Float32Array, Vec<Float32Array>>,
        documents: Option<Vec<Option<String>>>,
        #[napi(ts_arg_type = "Array<Record<string, unknown> | null> | null")] metadata: Option<Unknown<'_>>,
    ) -> Promise<()> {
        self.write(ids, vectors, documents, metadata, true)
    }

    /// Writes records as Lance data files without committing them (the engine's
    /// `Collection::stage`; a read-only database is enough) and resolves to the part, a string
    /// for `commitStaged` in the writer, in this process or another. Nothing is visible before.
    #[napi(strict, ts_return_type = "Promise<string>")]
    pub fn stage(
        &self,
        ids: Vec<String>,
        vectors: Either<Float32Array, Vec<Float32Array>>,
        documents: Option<Vec<Option<String>>>,
        #[napi(ts_arg_type = "Array<Record<string, unknown> | null> | null")] metadata: Option<Unknown<'_>>,
    ) -> Promise<String> {
        self.write_with(ids, vectors, documents, metadata, |c, records| {
            let bytes = c.stage(records)?;
            // The engine's part is JSON text.
            String::from_utf8(bytes).map_err(|_| agentdb_engine::Error::new(agentdb_engine::ErrorKind::Internal, "a staged part is not UTF-8"))
        })
    }

    /// Commits parts from `stage` as one Lance commit (all their records visible at once, or
    /// none); resolves to how many records were added.
    #[napi(strict, ts_return_type = "Promise<number>")]
    pub fn commit_staged(&self, parts: Vec<String>) -> Promise<f64> {
        let c = self.inner.clone();
        task::with(Ok(parts), move |parts| {
            let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
            Ok(c.commit_staged(&refs)? as f64)
        })
    }

    /// Records by id and/or filter, `limit`/`offset` paging.
    #[napi(strict, ts_return_type = "Promise<Rows>")]
    pub fn get(&self, opts: Option<GetOptions<'_>>) -> Promise<Rows> {
        let c = self.inner.clone();
        let args = (|| {
            let Some(o) = opts else { return Ok((None, None, None, 0)) };
            Ok((o.ids, filter_arg(o.filter)?, opt_usize("limit", o.limit)?, opt_usize("offset", o.offset)?.unwrap_or(0)))
        })();
        task::with(args, move |(ids, filter, limit, offset)| {
            Ok(rows(c.get(ids.as_deref(), filter.as_ref(), limit, offset)?))
        })
    }

    /// Deletes the records matching `ids` and/or `filter`; resolves to how many were deleted.
    #[napi(strict, ts_return_type = "Promise<number>")]
    pub fn delete(&self, opts: DeleteOptions<'_>) -> Promise<f64> {
        let c = self.inner.clone();
        let ids = opts.ids;
        task::with(filter_arg(opts.filter), move |filter| Ok(c.delete(ids.as_deref(), filter.as_ref())? as f64))
    }

    /// The number of records (matching `filter`).
    #[napi(strict, ts_return_type = "Promise<number>")]
    pub fn count(
        &self,
        #[napi(ts_arg_type = "string | Record<string, unknown> | null")] filter: Option<Unknown<'_>>,
    ) -> Promise<f64> {
        let c = self.inner.clone();
        task::with(filter_arg(filter), move |filter| Ok(c.count(filter.as_ref())? as f64))
    }

    /// The `k` nearest records to `query` (read in place: do not modify it until the Promise
    /// settles).
    #[napi(strict, ts_return_type = "Promise<SearchHits>")]
    pub fn search(&self, query: Float32Array, opts: Option<SearchOptions<'_>>) -> Promise<SearchHits> {
        let c = self.inner.clone();
        task::with(search_args(opts), move |s| Ok(hits(c.search_with(&query, s.k, s.filter.as_ref(), &s.options)?)))
    }

    /// Many queries in one engine batch (a flat `Float32Array` of `n × dim` values, or one per
    /// query); one result per query, in order.
    #[napi(strict, ts_return_type = "Promise<SearchHits[]>")]
    pub fn search_batch(
        &self,
        queries: Either<Float32Array, Vec<Float32Array>>,
        opts: Option<SearchOptions<'_>>,
    ) -> Promise<Vec<SearchHits>> {
        let c = self.inner.clone();
        let queries = VectorsArg::new(queries);
        task::with(search_args(opts), move |s| {
            let q = queries.as_vectors(c.dim())?;
            Ok(c.search_batch_with(q, s.k, s.filter.as_ref(), &s.options)?.into_iter().map(hits).collect())
        })
    }

    /// The records whose document best matches `query` by BM25, best first (records without a
    /// document never match).
    #[napi(strict, ts_return_type = "Promise<TextHits>")]
    pub fn text_search(&self, query: String, opts: Option<TextSearchOptions<'_>>) -> Promise<TextHits> {
        let c = self.inner.clone();
        let args = (|| {
            let Some(o) = opts else { return Ok((agentdb_engine::DEFAULT_SEARCH_K, None)) };
            Ok((opt_usize("k", o.k)?.unwrap_or(agentdb_engine::DEFAULT_SEARCH_K), filter_arg(o.filter)?))
        })();
        task::with(args, move |(k, filter)| Ok(text_hits(c.text_search(&query, k, filter.as_ref())?)))
    }

    /// The best records by `vector` (nearest neighbours) and `text` (BM25), fused by the engine
    /// (`vector` is read in place: do not modify it until the Promise settles).
    #[napi(strict, ts_return_type = "Promise<HybridHits>")]
    pub fn hybrid_search(&self, vector: Float32Array, text: String, opts: Option<HybridSearchOptions<'_>>) -> Promise<HybridHits> {
        let c = self.inner.clone();
        task::with(hybrid_args(opts), move |(k, filter, options)| {
            Ok(hybrid_hits(c.hybrid_search(&vector, &text, k, filter.as_ref(), &options)?))
        })
    }

    /// Builds an index (replacing any); options left out take the kind's defaults.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn create_index(&self, opts: Option<IndexOptionsArg>) -> Promise<()> {
        let c = self.inner.clone();
        let args = (|| {
            let o = opts.unwrap_or(IndexOptionsArg {
                kind: None,
                m: None,
                ef_construction: None,
                quantization: None,
                partitions: None,
                sub_vectors: None,
            });
            let options = IndexOptions {
                m: opt_usize("m", o.m)?,
                ef_construction: opt_usize("efConstruction", o.ef_construction)?,
                quantization: o.quantization.as_deref(),
                partitions: opt_usize("partitions", o.partitions)?,
                sub_vectors: opt_usize("subVectors", o.sub_vectors)?,
            };
            IndexParams::from_options(o.kind.as_deref().unwrap_or(IndexKind::default().as_str()), &options)
        })();
        task::with(args, move |params| c.create_index(params))
    }

    /// Removes the index, if any.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn drop_index(&self) -> Promise<()> {
        let c = self.inner.clone();
        task::run(move || c.drop_index())
    }

    /// The index's kind and parameters, or null without one.
    #[napi(strict, ts_return_type = "Promise<IndexInfo | null>")]
    pub fn index_params(&self) -> Promise<Option<IndexInfo>> {
        let c = self.inner.clone();
        task::run(move || {
            Ok(c.index_params()?.map(|p| {
                let mut info = IndexInfo {
                    kind: p.kind().as_str().to_owned(),
                    m: None,
                    ef_construction: None,
                    quantization: None,
                    partitions: None,
                    sub_vectors: None,
                };
                match p {
                    IndexParams::Hnsw(h) => {
                        info.m = Some(small(h.m));
                        info.ef_construction = Some(small(h.ef_construction));
                        info.quantization = Some(h.quantization.as_str().to_owned());
                    }
                    IndexParams::IvfPq(q) => {
                        info.partitions = Some(small(q.partitions));
                        info.sub_vectors = Some(small(q.sub_vectors));
                    }
                }
                info
            }))
        })
    }

    /// Compacts the collection now.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn optimize(&self) -> Promise<()> {
        let c = self.inner.clone();
        task::run(move || c.optimize())
    }
}


// The full-text tokenizer (the memory and RAG stores' are in ops.rs; a collection's lives with
// its other calls).
#[napi]
impl Collection {
    /// The text tokenizer's name ("simple", "icu", "ngram:2-3", …).
    #[napi(getter)]
    pub fn text_tokenizer(&self) -> String {
        self.inner.text_tokenizer().name()
    }

    /// Sets the tokenizer of text and hybrid search ("simple", "icu", "ngram" or
    /// "ngram:MIN-MAX"), kept with the collection; the full-text index is rebuilt with it on the
    /// next text search.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn set_text_tokenizer(&self, tokenizer: String) -> Promise<()> {
        let c = self.inner.clone();
        task::with(agentdb_engine::TextTokenizer::parse(&tokenizer), move |t| c.set_text_tokenizer(t))
    }
}
