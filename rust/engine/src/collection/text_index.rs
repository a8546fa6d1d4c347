//! Full-text search (BM25) over a collection's `document` column, on Lance's inverted index.
//!
//! The index is Lance's own (`Index::FTS`) with the collection's [`TextTokenizer`] (default
//! "simple": split on whitespace and punctuation, lower-cased, ASCII-folded, English stemming and
//! stop words; "icu" and "ngram" for Chinese, Japanese and Korean). The tokenizer is kept in the
//! table's schema metadata, so it survives reopening; changing it drops the index, and the next
//! search rebuilds it with the new tokenizer. Lance does not add
//! rows written after the index was built to it by itself; it scores them by scanning (with the
//! index's corpus statistics), so a search is always complete, and [`Collection::update_text_index`]
//! folds new rows in so that ranking uses exact statistics again. A text search brings the index
//! up to date first, so results never depend on when the index was last refreshed.

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::RecordBatch;
use futures::TryStreamExt;
use lancedb::index::scalar::{FtsIndexBuilder, FullTextSearchQuery};
use lancedb::index::{Index, IndexType};
use lancedb::query::{ExecutableQuery, QueryBase};
use lancedb::table::{OptimizeAction, OptimizeOptions};

use crate::collection::{Collection, MAX_K};
use crate::error::{Error, Result};
use crate::types::filter::Filter;
use crate::types::records::GetResult;
use crate::storage::runtime::block_on;
use crate::types::schema;
use crate::types::value::Metadata;

use crate::storage::lance::INDEX_MAINTENANCE;
use crate::types::text::TextTokenizer;

/// Lance's index parameters for a tokenizer: the same ones build the collection's FTS index and
/// the analyzer memory stores tokenize with (see [`analyzer`]).
pub(crate) fn fts_params(t: TextTokenizer) -> FtsIndexBuilder {
    match t {
        TextTokenizer::Simple => FtsIndexBuilder::default(),
        // Lance's ICU setting removes the stop words of every language and stems English.
        TextTokenizer::Icu => FtsIndexBuilder::default().base_tokenizer("icu".into()),
        TextTokenizer::Ngram { min, max } => FtsIndexBuilder::default()
            .base_tokenizer("ngram".into())
            .ngram_min_length(min)
            .ngram_max_length(max),
    }
}

/// The analyzer Lance's FTS index applies for `t` (to documents and queries alike).
pub(crate) fn analyzer(t: TextTokenizer) -> Result<Box<dyn lance_index::scalar::inverted::tokenizer::document_tokenizer::LanceTokenizer>> {
    fts_params(t).build().map_err(|e| Error::internal(format!("building the {} tokenizer: {e}", t.name())))
}

/// The best-matching records of a text search, best first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextSearchResult {
    pub ids: Vec<String>,
    /// BM25 scores, larger is better.
    pub scores: Vec<f32>,
    pub documents: Vec<Option<String>>,
    pub metadata: Vec<Metadata>,
}

impl TextSearchResult {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl Collection {
    /// The `k` records whose `document` best matches `query` by BM25, best first, among those
    /// matching `filter` (applied before ranking). Records without a document never match; an
    /// empty collection or a query with no indexable word gives no results.
    pub fn text_search(&self, query: &str, k: usize, filter: Option<&Filter>) -> Result<TextSearchResult> {
        self.timed(crate::util::metrics::Op::TextSearch, 1, || self.text_search_untimed(query, k, filter))
    }

    fn text_search_untimed(&self, query: &str, k: usize, filter: Option<&Filter>) -> Result<TextSearchResult> {
        self.ensure_open()?;
        if k == 0 || k > MAX_K {
            return Err(Error::invalid_argument(format!("k must be between 1 and {MAX_K}, got {k}")));
        }
        if query.trim().is_empty() {
            return Err(Error::invalid_argument("the text query is empty"));
        }
        self.flush_for_text()?;
        let layout = self.layout();
        block_on(async {
            let pred = self.predicate(filter, &layout).await?;
            if !self.ensure_text_index().await? {
                return Ok(TextSearchResult::default());
            }
            let fts = FullTextSearchQuery::new(query.to_owned())
                .with_column(schema::DOCUMENT.to_owned())
                .map_err(|e| Error::internal(format!("full-text query: {e}")))?;
            let mut q = self.inner.table.query().full_text_search(fts).limit(k);
            if let Some(p) = &pred {
                q = q.only_if(p);
            }
            let batches: Vec<RecordBatch> = q.execute().await?.try_collect().await?;
            let mut rows = GetResult { dim: layout.dim, ..Default::default() };
            let mut scores = Vec::new();
            for b in &batches {
                rows.append(b, &layout)?;
                let col = b
                    .column_by_name("_score")
                    .ok_or_else(|| Error::internal("a full-text search returned no _score column"))?;
                let col = arrow::compute::cast(col, &arrow_schema::DataType::Float32)?;
                scores.extend(col.as_primitive::<Float32Type>().values().iter().copied());
            }
            let mut order: Vec<usize> = (0..rows.len()).collect();
            // Best first; ties by id so results are deterministic.
            order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then_with(|| rows.ids[a].cmp(&rows.ids[b])));
            order.truncate(k);
            Ok(TextSearchResult {
                ids: order.iter().map(|&i| rows.ids[i].clone()).collect(),
                scores: order.iter().map(|&i| scores[i]).collect(),
                documents: order.iter().map(|&i| rows.documents[i].clone()).collect(),
                metadata: order.iter().map(|&i| rows.metadata[i].clone()).collect(),
            })
        })
    }

    /// Builds the full-text index on `document` if the collection has records and no index yet,
    /// or folds the records written since into it. Text search calls this itself; calling it
    /// after a large ingest moves the work out of the first search.
    pub fn update_text_index(&self) -> Result<()> {
        self.ensure_open()?;
        self.flush_for_text()?;
        block_on(self.ensure_text_index()).map(|_| ())
    }

    /// Whether the collection has a full-text index (it is built on the first text search).
    pub fn has_text_index(&self) -> Result<bool> {
        self.ensure_open()?;
        Ok(block_on(self.text_index_name())?.is_some())
    }

    /// The tokenizer of this collection's full-text search.
    pub fn text_tokenizer(&self) -> TextTokenizer {
        self.layout().tokenizer
    }

    /// Sets the tokenizer of this collection's full-text search, kept with the collection (its
    /// schema metadata: a reopened collection keeps it). When it changes, an existing text index
    /// is dropped and the next text search rebuilds it with the new tokenizer.
    pub fn set_text_tokenizer(&self, t: TextTokenizer) -> Result<()> {
        self.ensure_open()?;
        if self.layout().tokenizer == t {
            return Ok(());
        }
        self.inner.store.ensure_writable()?;
        // No flush commits (and rewrites the layout from the schema) meanwhile.
        let _flush = self.inner.flush_lock.lock().unwrap_or_else(|p| p.into_inner());
        block_on(async {
            let table = &self.inner.table;
            let native = table
                .as_native()
                .ok_or_else(|| Error::internal("a collection's table is not a native Lance table"))?;
            let schema = table.schema().await?;
            let mut meta: Vec<(String, String)> =
                schema.metadata().iter().filter(|(k, _)| k.as_str() != schema::META_TOKENIZER).map(|(k, v)| (k.clone(), v.clone())).collect();
            meta.push((schema::META_TOKENIZER.to_owned(), t.name()));
            native.replace_schema_metadata(meta).await?;
            if let Some(name) = self.text_index_name().await? {
                let _guard = INDEX_MAINTENANCE.lock().unwrap_or_else(|p| p.into_inner());
                table.drop_index(&name).await?;
            }
            Ok::<(), Error>(())
        })?;
        self.inner.layout.write().unwrap_or_else(|p| p.into_inner()).tokenizer = t;
        Ok(())
    }

    async fn text_index_name(&self) -> Result<Option<String>> {
        let indices = self.inner.table.list_indices().await?;
        Ok(indices
            .into_iter()
            .find(|i| i.index_type == IndexType::FTS && i.columns == [schema::DOCUMENT])
            .map(|i| i.name))
    }

    /// Makes the index current; `false` when there is nothing to index (no records).
    async fn ensure_text_index(&self) -> Result<bool> {
        let table = &self.inner.table;
        if table.count_rows(None).await? == 0 {
            return Ok(false);
        }
        match self.text_index_name().await? {
            Some(name) => {
                let stale = table.index_stats(&name).await?.map_or(0, |s| s.num_unindexed_rows);
                if stale > 0 {
                    let _guard = INDEX_MAINTENANCE.lock().unwrap_or_else(|p| p.into_inner());
                    // Another caller may have refreshed it while this one waited.
                    let stale = table.index_stats(&name).await?.map_or(0, |s| s.num_unindexed_rows);
                    if stale > 0 {
                        table.optimize(OptimizeAction::Index(OptimizeOptions::default())).await?;
                    }
                }
            }
            None => {
                let _guard = INDEX_MAINTENANCE.lock().unwrap_or_else(|p| p.into_inner());
                if self.text_index_name().await?.is_none() {
                    table
                        .create_index(&[schema::DOCUMENT], Index::FTS(fts_params(self.layout().tokenizer)))
                        .execute()
                        .await?;
                }
            }
        }
        Ok(true)
    }

    /// Full-text search reads Lance directly, so writes still buffered in memory go to Lance
    /// first.
    fn flush_for_text(&self) -> Result<()> {
        self.flush_buffer().map(|_| ())
    }
}
