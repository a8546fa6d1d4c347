//! RAG stores: open, ingest (with an embedding callback), hybrid search and prompt contexts.
//! The engine does the chunking, hashing, fusion and packing (`agentdb_engine::rag`); this layer
//! only translates.

use std::ffi::{c_char, c_void, CString};

use agentdb_engine::chunk::{ApproxTokens, ChunkOptions, SizeUnit, TextFormat};
use agentdb_engine::rag::{
    Citation, ContextOptions, DocStatus, Document, Rag, RagHit, RetrievalMode, RetrieveOptions, DEFAULT_MMR_LAMBDA,
};
use agentdb_engine::{Error, ErrorKind, Metadata, Value};

use crate::args::{batch, filter_arg, floats_arg, index, json_len, k_arg, opt_str_arg, out_arg, slice_arg, str_arg};
use crate::database::{agentdb_metric, metric_from_c, metric_to_c};
use crate::handle::{self, agentdb_db, agentdb_rag, agentdb_context, agentdb_rag_hits};
use crate::objects::{metadata_json, Text};
use crate::status::{agentdb_status, guard, Fail, Res};

/// Which retrievers a RAG search uses (an `int32_t`, one of the `AGENTDB_RAG_*` values).
#[allow(non_camel_case_types)]
pub type agentdb_rag_mode = i32;
/// Vector similarity and BM25 fused by reciprocal-rank fusion (needs the query text and vector).
pub const AGENTDB_RAG_HYBRID: agentdb_rag_mode = 0;
/// Vector similarity only (needs the query vector).
pub const AGENTDB_RAG_VECTOR: agentdb_rag_mode = 1;
/// BM25 full-text only (needs the query text).
pub const AGENTDB_RAG_TEXT: agentdb_rag_mode = 2;

/// How a document's text is structured (an `int32_t`).
#[allow(non_camel_case_types)]
pub type agentdb_text_format = i32;
/// Paragraphs separated by blank lines.
pub const AGENTDB_TEXT_PLAIN: agentdb_text_format = 0;
/// Markdown: `#` headings open sections, which chunks never span.
pub const AGENTDB_TEXT_MARKDOWN: agentdb_text_format = 1;

pub(crate) struct RagObj {
    pub rag: Rag,
}

pub(crate) struct HitObj {
    id: Text,
    doc_id: Text,
    source: Text,
    heading: Text,
    text: Text,
    metadata: Text,
    position: usize,
    char_start: usize,
    char_end: usize,
    score: f32,
    vector_rank: usize,
    distance: f32,
    text_rank: usize,
    bm25: f32,
}

impl HitObj {
    fn new(h: RagHit) -> HitObj {
        HitObj {
            id: Text::new(&h.id),
            doc_id: Text::new(&h.doc_id),
            source: Text::new(&h.source),
            heading: Text::new(&h.heading),
            text: Text::new(&h.text),
            metadata: metadata_json(&h.metadata),
            position: h.position,
            char_start: h.char_start,
            char_end: h.char_end,
            score: h.score,
            vector_rank: h.vector_rank.unwrap_or(0),
            distance: h.distance.unwrap_or(f32::NAN),
            text_rank: h.text_rank.unwrap_or(0),
            bm25: h.bm25.unwrap_or(f32::NAN),
        }
    }
}

pub(crate) struct RagHitsObj {
    hits: Vec<HitObj>,
}

pub(crate) struct CitationObj {
    number: usize,
    doc_id: Text,
    source: Text,
    heading: Text,
    first_position: usize,
    last_position: usize,
    char_start: usize,
    char_end: usize,
}

impl CitationObj {
    fn new(c: Citation) -> CitationObj {
        CitationObj {
            number: c.number,
            doc_id: Text::new(&c.doc_id),
            source: Text::new(&c.source),
            heading: Text::new(&c.heading),
            first_position: c.positions.first().copied().unwrap_or(0),
            last_position: c.positions.last().copied().unwrap_or(0),
            char_start: c.char_start,
            char_end: c.char_end,
        }
    }
}

pub(crate) struct RagContextObj {
    text: Text,
    tokens: usize,
    citations: Vec<CitationObj>,
}

/// Opens RAG store `name` of `db`, creating it for `dim`-dimensional embeddings compared by
/// `metric` if it does not exist (an existing one must have the same dimension and metric), and
/// writes its handle to `*out_rag` (free it with `agentdb_rag_close`; NULL on failure). The chunks
/// live in the hidden collection `_agentdb_rag_<name>`; the same store is `db.rag(name)` in Python.
///
/// Lifetime: the handle is valid until `agentdb_rag_close`, independently of the db handle.
/// `agentdb_close(db)` closes the database with every handle from it (there is no freeing a db
/// handle without closing it): calls on this handle then fail with `AGENTDB_CLOSED` ("the database
/// is closed"), and it must still be freed with `agentdb_rag_close`.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out_rag` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_open(
    db: *const agentdb_db,
    name: *const c_char,
    dim: usize,
    metric: agentdb_metric,
    out_rag: *mut *mut agentdb_rag,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_rag, "out_rag") }?;
        *out = std::ptr::null_mut();
        let db = handle::get(db, "db")?;
        // SAFETY: contract of this function.
        let name = unsafe { str_arg(name, "name") }?;
        let rag = db.db.rag(name, dim, metric_from_c(metric)?)?;
        *out = handle::new_handle(RagObj { rag });
        Ok(())
    })
}

/// Opens an existing RAG store (its dimension and metric are stored); `AGENTDB_COLLECTION_NOT_FOUND`
/// if there is none.
///
/// # Safety
/// As for `agentdb_rag_open`.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_open_existing(
    db: *const agentdb_db,
    name: *const c_char,
    out_rag: *mut *mut agentdb_rag,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_rag, "out_rag") }?;
        *out = std::ptr::null_mut();
        let db = handle::get(db, "db")?;
        // SAFETY: contract of this function.
        let name = unsafe { str_arg(name, "name") }?;
        let rag = db.db.open_rag(name)?;
        *out = handle::new_handle(RagObj { rag });
        Ok(())
    })
}

/// Frees a RAG handle (the store stays in the database). Works before or after `agentdb_close` of
/// its database. NULL does nothing; freeing twice returns `AGENTDB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn agentdb_rag_close(rag: *mut agentdb_rag) -> agentdb_status {
    guard(|| {
        handle::take(rag, "rag")?;
        Ok(())
    })
}

/// Writes the store's embedding dimension to `*out_dim` and, if `out_metric` is not NULL, its
/// metric to `*out_metric`.
///
/// # Safety
/// `out_dim` is NULL or writable; `out_metric` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_dim(
    rag: *const agentdb_rag,
    out_dim: *mut usize,
    out_metric: *mut agentdb_metric,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_dim, "out_dim") }?;
        let r = handle::get(rag, "rag")?;
        *out = r.rag.dim();
        if !out_metric.is_null() {
            // SAFETY: contract of this function.
            *unsafe { out_arg(out_metric, "out_metric") }? = metric_to_c(r.rag.metric());
        }
        Ok(())
    })
}

/// Computes embeddings for `agentdb_rag_ingest`: writes `n * dim` floats (row-major, one row per
/// text) to `out` for the `n` NUL-terminated texts at `texts`, and returns 0; any other return
/// value aborts the ingest (nothing is written) with `AGENTDB_INVALID_ARGUMENT`. `user` is the
/// pointer given to `agentdb_rag_ingest`. It is called on the calling thread, during the call.
#[allow(non_camel_case_types)]
pub type agentdb_embed_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, texts: *const *const c_char, n: usize, dim: usize, out: *mut f32) -> i32>;

/// One document for `agentdb_rag_ingest`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_rag_document {
    /// Unique in the store; ingesting an id again replaces that document. Required.
    pub id: *const c_char,
    /// The text. Required.
    pub text: *const c_char,
    /// Where it came from (cited by contexts); NULL: the id.
    pub source: *const c_char,
    /// `AGENTDB_TEXT_PLAIN` or `AGENTDB_TEXT_MARKDOWN`.
    pub format: agentdb_text_format,
    /// NULL or a JSON object copied onto every chunk (filterable).
    pub metadata_json: *const c_char,
}

/// What `agentdb_rag_ingest` did.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub struct agentdb_ingest_stats {
    /// New documents.
    pub added: usize,
    /// Documents that existed with other content or settings (their chunks were replaced).
    pub replaced: usize,
    /// Documents skipped because they are stored with the same hash (not embedded).
    pub unchanged: usize,
    /// Chunks written.
    pub chunks: usize,
}

/// Ingests `n` documents: each is hashed and skipped if stored unchanged (unless `force`), else cut
/// into chunks of at most `chunk_size` units with up to `chunk_overlap` units of overlap (units:
/// tokens by the engine's approximation if `chunk_chars` is false, characters if true; 0 for
/// `chunk_size` means 256), embedded by one call of `embed`, and written; all changed documents are
/// replaced in one commit. Writes what happened to `*out_stats` if it is not NULL.
///
/// `n` is at most `AGENTDB_MAX_BATCH`, and `docs` must not be NULL when `n > 0`
/// (`AGENTDB_NULL_POINTER`), both checked before `docs` is read; each document's `metadata_json`
/// is at most `AGENTDB_MAX_JSON_LEN` bytes.
///
/// # Safety
/// `docs` is NULL or points to `n` readable `agentdb_rag_document`s whose strings are NULL or
/// NUL-terminated; `embed` follows the contract of `agentdb_embed_fn`; `out_stats` is NULL or
/// writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_rag_ingest(
    rag: *const agentdb_rag,
    docs: *const agentdb_rag_document,
    n: usize,
    chunk_size: usize,
    chunk_overlap: usize,
    chunk_chars: bool,
    force: bool,
    embed: agentdb_embed_fn,
    user: *mut c_void,
    out_stats: *mut agentdb_ingest_stats,
) -> agentdb_status {
    guard(|| {
        let stats_out = if out_stats.is_null() {
            None
        } else {
            // SAFETY: contract of this function.
            let o = unsafe { out_arg(out_stats, "out_stats") }?;
            *o = agentdb_ingest_stats::default();
            Some(o)
        };
        batch(n, "documents", &[("docs", docs.is_null())])?;
        let r = handle::get(rag, "rag")?;
        let Some(embed) = embed else { return Err(Fail::null("embed")) };
        // SAFETY: contract of this function.
        let docs = unsafe { slice_arg(docs, n, "docs") }?;
        let mut documents = Vec::with_capacity(n);
        for (i, d) in docs.iter().enumerate() {
            let what = |f: &str| format!("docs[{i}].{f}");
            // SAFETY: contract of this function (each string NULL or NUL-terminated).
            let id = unsafe { str_arg(d.id, &what("id")) }?;
            // SAFETY: as above.
            let text = unsafe { str_arg(d.text, &what("text")) }?;
            // SAFETY: as above.
            let source = unsafe { opt_str_arg(d.source, &what("source")) }?;
            // SAFETY: as above.
            let meta = unsafe { opt_str_arg(d.metadata_json, &what("metadata_json")) }?;
            let format = match d.format {
                AGENTDB_TEXT_PLAIN => TextFormat::Plain,
                AGENTDB_TEXT_MARKDOWN => TextFormat::Markdown,
                other => return Err(Fail::invalid(format!("{}: unknown format {other}", what("format")))),
            };
            let metadata: Metadata = match meta {
                None => Metadata::new(),
                Some(json) => {
                    json_len(json, &what("metadata_json"))?;
                    match Value::from_json(json) {
                        Ok(Value::Map(m)) => m,
                        Ok(Value::Null) => Metadata::new(),
                        Ok(v) => {
                            return Err(Fail::new(
                                agentdb_status::AGENTDB_INVALID_METADATA,
                                format!("{} must be a JSON object, got a {}", what("metadata_json"), v.type_name()),
                            ))
                        }
                        Err(e) => {
                            return Err(Fail::new(
                                agentdb_status::AGENTDB_INVALID_METADATA,
                                format!("{}: {}", what("metadata_json"), e.message()),
                            ))
                        }
                    }
                }
            };
            documents.push(Document { id: id.to_owned(), text: text.to_owned(), source: source.map(str::to_owned), format, metadata });
        }
        let options = ChunkOptions {
            size: if chunk_size == 0 { ChunkOptions::default().size } else { chunk_size },
            overlap: chunk_overlap,
            unit: if chunk_chars { SizeUnit::Chars } else { SizeUnit::Tokens },
        };
        let dim = r.rag.dim();
        let mut embed_fn = |texts: &[String]| -> Result<Vec<f32>, Error> {
            let owned: Vec<CString> = texts
                .iter()
                .map(|t| CString::new(t.as_str()))
                .collect::<Result<_, _>>()
                .map_err(|_| Error::new(ErrorKind::InvalidArgument, "a chunk holds a NUL byte"))?;
            let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
            let floats = texts
                .len()
                .checked_mul(dim)
                .ok_or_else(|| Error::new(ErrorKind::InvalidArgument, format!("{} chunks × {dim} floats is too many", texts.len())))?;
            let mut out = vec![0f32; floats];
            // SAFETY: `ptrs` holds `texts.len()` valid NUL-terminated strings and `out` room for
            // `texts.len() * dim` floats, both alive for the call; the callback's own contract
            // (agentdb_embed_fn) is the caller's promise.
            let rc = unsafe { embed(user, ptrs.as_ptr(), ptrs.len(), dim, out.as_mut_ptr()) };
            if rc != 0 {
                return Err(Error::new(ErrorKind::InvalidArgument, format!("the embed callback returned {rc}")));
            }
            Ok(out)
        };
        let reports = r.rag.ingest(&documents, &options, &ApproxTokens, force, &mut embed_fn)?;
        if let Some(o) = stats_out {
            for rep in &reports {
                match rep.status {
                    DocStatus::Added => o.added += 1,
                    DocStatus::Replaced => o.replaced += 1,
                    DocStatus::Unchanged => o.unchanged += 1,
                }
                o.chunks += rep.chunks;
            }
        }
        r.rag.update_text_index()?;
        Ok(())
    })
}

/// Deletes documents (all their chunks) by id (`n` at most `AGENTDB_MAX_BATCH`); writes the
/// number of chunks deleted to `*out_deleted` if it is not NULL.
///
/// # Safety
/// `doc_ids` is NULL or points to `n` NUL-terminated strings; `out_deleted` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_delete(
    rag: *const agentdb_rag,
    doc_ids: *const *const c_char,
    n: usize,
    out_deleted: *mut u64,
) -> agentdb_status {
    guard(|| {
        let r = handle::get(rag, "rag")?;
        // SAFETY: contract of this function.
        let ids = unsafe { crate::args::str_array(doc_ids, n, "doc_ids") }?;
        let deleted = r.rag.delete(&ids)?;
        if !out_deleted.is_null() {
            // SAFETY: contract of this function.
            *unsafe { out_arg(out_deleted, "out_deleted") }? = deleted;
        }
        Ok(())
    })
}

/// Options of `agentdb_rag_search` and `agentdb_rag_context`. Start from
/// `agentdb_rag_options_default()`; a zeroed struct with `struct_size` set is the same. Fields are
/// only ever added at the end, and each one's zero value means its default.
///
/// Hybrid score (reciprocal-rank fusion): `vector_weight / (rrf_k + rank_vector) + text_weight /
/// (rrf_k + rank_bm25)`, a side that did not return the chunk adding 0.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(non_camel_case_types)]
pub struct agentdb_rag_options {
    /// `sizeof(agentdb_rag_options)`.
    pub struct_size: u32,
    /// `AGENTDB_RAG_HYBRID` (default), `AGENTDB_RAG_VECTOR` or `AGENTDB_RAG_TEXT`.
    pub mode: agentdb_rag_mode,
    /// Chunks to return (search) or to pack from (context), at most `AGENTDB_MAX_K`. 0: 5 for
    /// search, 20 for context.
    pub k: usize,
    /// RRF weight of the vector ranking; 0: 1. (Use `mode` to leave a side out.)
    pub vector_weight: f32,
    /// RRF weight of the BM25 ranking; 0: 1.
    pub text_weight: f32,
    /// RRF rank constant; 0: 60.
    pub rrf_k: f32,
    /// Chunks each retriever contributes before fusion; 0: max(4k, 20).
    pub candidates: usize,
    /// `true`: re-rank by maximal marginal relevance with `mmr_lambda`.
    pub mmr: bool,
    /// MMR's λ in (0, 1]: 1 = relevance only, lower = more diverse; 0: the engine's default, 0.5.
    pub mmr_lambda: f32,
    /// Context only: `true` puts passages in score order, unmerged, instead of grouped by
    /// document in reading order with overlapping chunks merged (the default).
    pub score_order: bool,
}

const RAG_OPTIONS_SIZE: usize = std::mem::size_of::<agentdb_rag_options>();

/// The default RAG options, with `struct_size` set. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_rag_options_default() -> agentdb_rag_options {
    agentdb_rag_options {
        // A few dozen bytes: the cast cannot truncate.
        struct_size: RAG_OPTIONS_SIZE as u32,
        mode: AGENTDB_RAG_HYBRID,
        k: 0,
        vector_weight: 0.0,
        text_weight: 0.0,
        rrf_k: 0.0,
        candidates: 0,
        mmr: false,
        mmr_lambda: 0.0,
        score_order: false,
    }
}

/// The options at `p` (NULL: defaults) as the engine's: a field left 0 takes its value from
/// `defaults` (the engine's defaults for the call).
///
/// # Safety
/// `p` is NULL or points to a readable `agentdb_rag_options` of at least `p->struct_size` bytes.
unsafe fn rag_options(p: *const agentdb_rag_options, defaults: RetrieveOptions) -> Res<(RetrieveOptions, bool)> {
    let o = if p.is_null() {
        agentdb_rag_options_default()
    } else {
        if !p.is_aligned() {
            return Err(Fail::invalid("options is not aligned"));
        }
        // SAFETY: non-NULL, aligned; the caller promises at least `struct_size` readable bytes,
        // and the first field is read alone before trusting the size.
        let size = unsafe { std::ptr::addr_of!((*p).struct_size).read() } as usize;
        if size != RAG_OPTIONS_SIZE {
            return Err(Fail::invalid(format!(
                "options->struct_size is {size}, this library's agentdb_rag_options has {RAG_OPTIONS_SIZE} bytes"
            )));
        }
        // SAFETY: the whole struct is readable (struct_size checked above).
        unsafe { p.read() }
    };
    let mode = match o.mode {
        AGENTDB_RAG_HYBRID => RetrievalMode::Hybrid,
        AGENTDB_RAG_VECTOR => RetrievalMode::Vector,
        AGENTDB_RAG_TEXT => RetrievalMode::Text,
        other => return Err(Fail::invalid(format!("unknown RAG mode {other}"))),
    };
    let or = |v: f32, d: f32| if v == 0.0 { d } else { v };
    let d = defaults;
    Ok((
        RetrieveOptions {
            k: if o.k == 0 { d.k } else { k_arg(o.k, "options->k")? },
            mode,
            vector_weight: or(o.vector_weight, d.vector_weight),
            text_weight: or(o.text_weight, d.text_weight),
            rrf_k: or(o.rrf_k, d.rrf_k),
            candidates: if o.candidates == 0 { d.candidates } else { Some(o.candidates) },
            mmr_lambda: if o.mmr { Some(or(o.mmr_lambda, d.mmr_lambda.unwrap_or(DEFAULT_MMR_LAMBDA))) } else { None },
            filter: d.filter,
        },
        o.score_order,
    ))
}

/// The query of a search: text (NULL for vector-only) and vector (NULL / dim 0 for text-only).
///
/// # Safety
/// `text` is NULL or NUL-terminated; `vector` is NULL or points to `dim` floats.
unsafe fn query_args<'a>(text: *const c_char, vector: *const f32, dim: usize) -> Res<(Option<&'a str>, Option<&'a [f32]>)> {
    // SAFETY: contract of this function.
    let text = unsafe { opt_str_arg(text, "query_text") }?;
    let vector = if vector.is_null() {
        None
    } else {
        // SAFETY: contract of this function.
        Some(unsafe { floats_arg(vector, 1, dim, "query_vector") }?)
    };
    Ok((text, vector))
}

/// Retrieves chunks for a query: `query_text` (NUL-terminated; NULL for vector-only search) for
/// BM25 and `query_vector` (`dim` floats, the query's embedding, `dim` at most `AGENTDB_MAX_DIM`;
/// NULL for text-only) for vector similarity; hybrid needs both. The filter (SQL or JSON, as in
/// `agentdb_get`) applies to both retrievers, over the chunk metadata (the document's metadata
/// plus `doc_id`, `source`, `position`, …). Writes the hits, best first, to a new `*out_hits`
/// (free with `agentdb_rag_hits_free`; NULL on failure).
///
/// # Safety
/// `query_text`, `filter_sql`, `filter_json` are NULL or NUL-terminated; `query_vector` is NULL or
/// points to `dim` floats; `options` is NULL or a readable `agentdb_rag_options`; `out_hits` is
/// NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_rag_search(
    rag: *const agentdb_rag,
    query_text: *const c_char,
    query_vector: *const f32,
    dim: usize,
    options: *const agentdb_rag_options,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    out_hits: *mut *mut agentdb_rag_hits,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_hits, "out_hits") }?;
        *out = std::ptr::null_mut();
        let r = handle::get(rag, "rag")?;
        // SAFETY: contract of this function.
        let (text, vector) = unsafe { query_args(query_text, query_vector, dim) }?;
        // SAFETY: contract of this function.
        let (mut opts, _) = unsafe { rag_options(options, RetrieveOptions::default()) }?;
        // SAFETY: contract of this function.
        opts.filter = unsafe { filter_arg(filter_sql, filter_json) }?;
        let hits = r.rag.search(text, vector, &opts)?;
        *out = handle::new_handle(RagHitsObj { hits: hits.into_iter().map(HitObj::new).collect() });
        Ok(())
    })
}

/// Frees search hits. NULL does nothing.
#[no_mangle]
pub extern "C" fn agentdb_rag_hits_free(hits: *mut agentdb_rag_hits) -> agentdb_status {
    guard(|| {
        handle::take(hits, "hits")?;
        Ok(())
    })
}

/// Writes the number of hits to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_hits_count(hits: *const agentdb_rag_hits, out_count: *mut usize) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        *out = handle::get(hits, "hits")?.hits.len();
        Ok(())
    })
}

/// One retrieved chunk, as `agentdb_rag_hit_get` fills it. The strings point into the hits object
/// and are valid until `agentdb_rag_hits_free`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_rag_hit {
    /// `<doc_id>#<position>`.
    pub id: *const c_char,
    pub doc_id: *const c_char,
    pub source: *const c_char,
    /// Markdown heading path joined by " > " (empty when none).
    pub heading: *const c_char,
    pub text: *const c_char,
    /// The document's own metadata as a JSON object.
    pub metadata_json: *const c_char,
    /// The chunk's index in its document, from 0.
    pub position: usize,
    /// The chunk's span in the document, in Unicode code points.
    pub char_start: usize,
    pub char_end: usize,
    /// The fused RRF score, larger is better.
    pub score: f32,
    /// 1-based rank by vector similarity; 0 if that retriever did not return the chunk.
    pub vector_rank: usize,
    /// The vector distance (NaN when `vector_rank` is 0).
    pub distance: f32,
    /// 1-based rank by BM25; 0 if that retriever did not return the chunk.
    pub text_rank: usize,
    /// The BM25 score (NaN when `text_rank` is 0).
    pub bm25: f32,
}

/// Fills `*out_hit` with hit `i` (0-based, best first).
///
/// # Safety
/// `out_hit` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_hit_get(
    hits: *const agentdb_rag_hits,
    i: usize,
    out_hit: *mut agentdb_rag_hit,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_hit, "out_hit") }?;
        let hs = handle::get(hits, "hits")?;
        let h = &hs.hits[index(i, hs.hits.len(), "hit")?];
        // The pointers stay valid after `hs` (an Arc clone) is dropped here: the registry keeps
        // the object alive until agentdb_rag_hits_free.
        *out = agentdb_rag_hit {
            id: h.id.ptr(),
            doc_id: h.doc_id.ptr(),
            source: h.source.ptr(),
            heading: h.heading.ptr(),
            text: h.text.ptr(),
            metadata_json: h.metadata.ptr(),
            position: h.position,
            char_start: h.char_start,
            char_end: h.char_end,
            score: h.score,
            vector_rank: h.vector_rank,
            distance: h.distance,
            text_rank: h.text_rank,
            bm25: h.bm25,
        };
        Ok(())
    })
}

/// Packs the best chunks for a query into at most `max_tokens` tokens (the engine's token
/// approximation), ready to paste into a prompt: passages headed `[n] source § heading (chunk i)`,
/// grouped by document in reading order with overlapping chunks merged (unless
/// `options->score_order`). Query, options and filter as for `agentdb_rag_search` (`k` is the pool
/// of candidates, default 20). Writes a new `*out_context` (free with `agentdb_rag_context_free`;
/// NULL on failure).
///
/// # Safety
/// As for `agentdb_rag_search`; `out_context` is NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_rag_context(
    rag: *const agentdb_rag,
    query_text: *const c_char,
    query_vector: *const f32,
    dim: usize,
    max_tokens: usize,
    options: *const agentdb_rag_options,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    out_context: *mut *mut agentdb_context,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_context, "out_context") }?;
        *out = std::ptr::null_mut();
        let r = handle::get(rag, "rag")?;
        // SAFETY: contract of this function.
        let (text, vector) = unsafe { query_args(query_text, query_vector, dim) }?;
        // SAFETY: contract of this function.
        let (mut retrieve, score_order) = unsafe { rag_options(options, ContextOptions::default().retrieve) }?;
        // SAFETY: contract of this function.
        retrieve.filter = unsafe { filter_arg(filter_sql, filter_json) }?;
        let opts = ContextOptions { max_tokens, retrieve, document_order: !score_order };
        let ctx = r.rag.context(text, vector, &opts, &ApproxTokens)?;
        *out = handle::new_handle(RagContextObj {
            text: Text::new(&ctx.text),
            tokens: ctx.tokens,
            citations: ctx.citations.into_iter().map(CitationObj::new).collect(),
        });
        Ok(())
    })
}

/// Frees a context. NULL does nothing.
#[no_mangle]
pub extern "C" fn agentdb_rag_context_free(context: *mut agentdb_context) -> agentdb_status {
    guard(|| {
        handle::take(context, "context")?;
        Ok(())
    })
}

/// Writes the context text (NUL-terminated; empty when nothing matched) to `*out_text`, its length
/// in bytes to `*out_len` and its token count to `*out_tokens` (each out-pointer but `out_text`
/// may be NULL). Valid until `agentdb_rag_context_free`.
///
/// # Safety
/// `out_text` is NULL or writable; `out_len` and `out_tokens` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_context_text(
    context: *const agentdb_context,
    out_text: *mut *const c_char,
    out_len: *mut usize,
    out_tokens: *mut usize,
) -> agentdb_status {
    guard(|| {
        let c = handle::get(context, "context")?;
        if !out_tokens.is_null() {
            // SAFETY: contract of this function.
            *unsafe { out_arg(out_tokens, "out_tokens") }? = c.tokens;
        }
        // SAFETY: contract of this function; the text lives in the registered object.
        unsafe { crate::args::write_text(Some(&c.text), out_text, out_len) }
    })
}

/// Writes the number of passages (citations) of the context to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_context_citation_count(
    context: *const agentdb_context,
    out_count: *mut usize,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        *out = handle::get(context, "context")?.citations.len();
        Ok(())
    })
}

/// Where passage `[number]` of a context comes from. Strings valid until
/// `agentdb_rag_context_free`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_rag_citation {
    /// The passage's number in the text (`[n]`), from 1.
    pub number: usize,
    pub doc_id: *const c_char,
    pub source: *const c_char,
    pub heading: *const c_char,
    /// The first and last chunk positions merged into the passage.
    pub first_position: usize,
    pub last_position: usize,
    /// The passage's span in the document, in Unicode code points.
    pub char_start: usize,
    pub char_end: usize,
}

/// Fills `*out_citation` with citation `i` (0-based; its `number` is `i + 1`).
///
/// # Safety
/// `out_citation` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_context_citation(
    context: *const agentdb_context,
    i: usize,
    out_citation: *mut agentdb_rag_citation,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_citation, "out_citation") }?;
        let c = handle::get(context, "context")?;
        let x = &c.citations[index(i, c.citations.len(), "citation")?];
        *out = agentdb_rag_citation {
            number: x.number,
            doc_id: x.doc_id.ptr(),
            source: x.source.ptr(),
            heading: x.heading.ptr(),
            first_position: x.first_position,
            last_position: x.last_position,
            char_start: x.char_start,
            char_end: x.char_end,
        };
        Ok(())
    })
}
