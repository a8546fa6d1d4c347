//! Retrieval-augmented generation: documents cut into chunks ([`crate::rag::chunk`]), embedded by the
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

pub mod chunk;
mod context;
mod ingest;
mod retrieve;
mod types;

pub use types::*;

use std::collections::{BTreeMap, HashMap, HashSet};

use sha2::{Digest, Sha256};

use crate::rag::chunk::{ChunkOptions, TextFormat, TokenCounter};
use crate::collection::{Collection, MAX_K};
use crate::db::Database;
use crate::error::{Error, ErrorKind, Result};
use crate::types::filter::Filter;
use crate::types::records::{Records, Vectors, MAX_ID_LEN};
use crate::types::schema::{validate_collection_name, Metric, MAX_NAME_LEN};
use crate::types::value::{Metadata, Value};

/// Prefix of the hidden collections holding RAG chunks.
pub const RAG_COLLECTION_PREFIX: &str = "_agentdb_rag_";

/// Metadata keys the engine writes on every chunk; a document's own metadata may not use them.
pub const CHUNK_KEYS: &[&str] =
    &["doc_id", "source", "position", "char_start", "char_end", "heading", "tokens", "content_hash", "ingest_hash"];

/// Longest document id: the chunk id appends `#<position>`.
pub const MAX_DOC_ID_LEN: usize = MAX_ID_LEN - 16;

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

    /// Builds or refreshes the full-text index now (searches do it themselves when needed).
    pub fn update_text_index(&self) -> Result<()> {
        self.chunks.update_text_index()
    }

    /// The tokenizer of text and hybrid retrieval over the chunks.
    pub fn text_tokenizer(&self) -> crate::types::text::TextTokenizer {
        self.chunks.text_tokenizer()
    }

    /// Sets the tokenizer of text and hybrid retrieval (kept with the store; the chunks' text
    /// index is rebuilt with it on the next search). "icu" or "ngram" for Chinese, Japanese and
    /// Korean documents.
    pub fn set_text_tokenizer(&self, tokenizer: crate::types::text::TextTokenizer) -> Result<()> {
        self.chunks.set_text_tokenizer(tokenizer)
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

}

#[cfg(test)]
mod tests;
