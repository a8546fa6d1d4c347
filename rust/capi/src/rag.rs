//! The RAG store object (`agentdb_rag`): open, ingest (with an embedding callback), delete. The
//! engine does the chunking, hashing and embedding batches (`agentdb_engine::rag`); this layer
//! only translates. Retrieval is `rag_search.rs`; its results `rag_hits.rs` and `rag_context.rs`.

use std::ffi::{c_char, c_void, CString};

use agentdb_engine::chunk::{ApproxTokens, ChunkOptions, SizeUnit, TextFormat};
use agentdb_engine::rag::{DocStatus, Document, Rag};
use agentdb_engine::{Error, ErrorKind, Metadata, Value};

use crate::args::{batch, field, flag, json_len, opt_str_arg, out_arg, read_opts, slice_arg, str_arg, str_array};
use crate::database::{agentdb_metric, metric_from_c, metric_to_c};
use crate::handle::{self, agentdb_db, agentdb_rag};
use crate::status::{agentdb_status, guard, Fail, Res};

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

/// Opens RAG store `name` of `db`, creating it for `dim`-dimensional embeddings compared by
/// `metric` if it does not exist (an existing one must have the same dimension and metric), and
/// writes its handle to `*out_rag` (free it with `agentdb_rag_close`; NULL on failure). The chunks
/// live in the hidden collection `_agentdb_rag_<name>`; the same store is `db.rag(name)` in Python.
///
/// Lifetime: the handle is valid until `agentdb_rag_close`, independently of the db handle.
/// `agentdb_db_close(db)` closes the database with every handle from it (there is no freeing a db
/// handle without closing it): calls on this handle then fail with `AGENTDB_CLOSED` ("the database
/// is closed"), and it must still be freed with `agentdb_rag_close`.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out_rag` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_open_or_create(
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
/// As for `agentdb_rag_open_or_create`.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_open(
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

/// Frees a RAG handle (the store stays in the database). Works before or after `agentdb_db_close` of
/// its database. NULL does nothing; freeing twice returns `AGENTDB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn agentdb_rag_close(rag: *mut agentdb_rag) -> agentdb_status {
    handle::free(rag, "rag")
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

/// How `agentdb_rag_ingest` cuts documents into chunks. Start from
/// `agentdb_ingest_options_default()`, which fills every field with the engine's default
/// (`ChunkOptions::default()`), and set what you need. Versioned by `struct_size` like every
/// options struct.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub struct agentdb_ingest_options {
    /// `sizeof(agentdb_ingest_options)`, set by `agentdb_ingest_options_default()`.
    pub struct_size: u32,
    /// The most a chunk holds, in units (see `chunk_chars`); 1 to the engine's maximum.
    pub chunk_size: usize,
    /// How much trailing text of a chunk the next one repeats, in units; below `chunk_size`.
    pub chunk_overlap: usize,
    /// `true`: units are characters; `false`: tokens by the engine's approximation.
    pub chunk_chars: bool,
    /// `true`: re-ingest documents stored unchanged (same hash) instead of skipping them.
    pub force: bool,
}

/// The engine's chunking defaults (`ChunkOptions::default()`), `force` off, `struct_size` set.
/// Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_ingest_options_default() -> agentdb_ingest_options {
    let d = ChunkOptions::default();
    agentdb_ingest_options {
        struct_size: std::mem::size_of::<agentdb_ingest_options>() as u32,
        chunk_size: d.size,
        chunk_overlap: d.overlap,
        chunk_chars: d.unit == SizeUnit::Chars,
        force: false,
    }
}

/// The engine's chunk options and `force` from a C `agentdb_ingest_options` (NULL: the defaults).
///
/// # Safety
/// `p` is NULL or points to a readable `agentdb_ingest_options`.
unsafe fn ingest_options_arg(p: *const agentdb_ingest_options) -> Res<(ChunkOptions, bool)> {
    if p.is_null() {
        return Ok((ChunkOptions::default(), false));
    }
    read_opts!(p, agentdb_ingest_options, "options", "agentdb_ingest_options_default", |o| {
        let chunks = ChunkOptions {
            size: field!(o, chunk_size),
            overlap: field!(o, chunk_overlap),
            unit: if flag!(o, chunk_chars) { SizeUnit::Chars } else { SizeUnit::Tokens },
        };
        Ok((chunks, flag!(o, force)))
    })
}

/// Ingests `n` documents: each is hashed and skipped if stored unchanged (unless
/// `options->force`), else cut into chunks as `options` says (NULL: the engine's defaults, see
/// `agentdb_ingest_options_default`), embedded by one call of `embed`, and written; all changed
/// documents are replaced in one commit. Writes what happened to `*out_stats` if it is not NULL.
///
/// `n` is at most `AGENTDB_MAX_BATCH`, and `docs` must not be NULL when `n > 0`
/// (`AGENTDB_NULL_POINTER`), both checked before `docs` is read; each document's `metadata_json`
/// is at most `AGENTDB_MAX_JSON_LEN` bytes. Chunk sizes out of range are the engine's
/// `AGENTDB_INVALID_ARGUMENT`.
///
/// # Safety
/// `docs` is NULL or points to `n` readable `agentdb_rag_document`s whose strings are NULL or
/// NUL-terminated; `options` is NULL or a readable `agentdb_ingest_options`; `embed` follows the
/// contract of `agentdb_embed_fn`; `out_stats` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_ingest(
    rag: *const agentdb_rag,
    docs: *const agentdb_rag_document,
    n: usize,
    options: *const agentdb_ingest_options,
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
        // SAFETY: contract of this function.
        let (options, force) = unsafe { ingest_options_arg(options) }?;
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
        // (The engine's ingest has brought the full-text index up to date.)
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
        let ids = unsafe { str_array(doc_ids, n, "doc_ids") }?;
        let deleted = r.rag.delete(&ids)?;
        if !out_deleted.is_null() {
            // SAFETY: contract of this function.
            *unsafe { out_arg(out_deleted, "out_deleted") }? = deleted;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingest_defaults_are_the_engines() {
        let o = agentdb_ingest_options_default();
        // SAFETY: `o` is a whole, live struct; NULL is allowed.
        assert_eq!(unsafe { ingest_options_arg(&o) }.unwrap(), (ChunkOptions::default(), false));
        // SAFETY: NULL is allowed.
        assert_eq!(unsafe { ingest_options_arg(std::ptr::null()) }.unwrap(), (ChunkOptions::default(), false));
        let mut bad = o;
        bad.struct_size = 3;
        // SAFETY: as above.
        let fail = unsafe { ingest_options_arg(&bad) }.unwrap_err();
        assert!(fail.message.contains("struct_size is 3"), "{}", fail.message);
    }
}

/// Sets the tokenizer of the RAG's text and hybrid search (as
/// `agentdb_memory_set_text_tokenizer`); kept with the store, the chunks' text index rebuilt with
/// it on the next search.
///
/// # Safety
/// `tokenizer` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_set_text_tokenizer(rag: *const agentdb_rag, tokenizer: *const c_char) -> agentdb_status {
    guard(|| {
        let r = handle::get(rag, "rag")?;
        // SAFETY: contract of this function.
        let t = unsafe { crate::memory_options::tokenizer_arg(tokenizer) }?;
        r.rag.set_text_tokenizer(t)?;
        Ok(())
    })
}

/// Copies the name of the RAG's text tokenizer into `buf` (as `agentdb_memory_text_tokenizer`).
///
/// # Safety
/// `buf` NULL or writable for `buf_len` bytes; `out_len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_rag_text_tokenizer(
    rag: *const agentdb_rag,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let r = handle::get(rag, "rag")?;
        // SAFETY: contract of this function.
        unsafe { crate::memory_options::write_tokenizer(r.rag.text_tokenizer(), buf, buf_len, out_len) }
    })
}
