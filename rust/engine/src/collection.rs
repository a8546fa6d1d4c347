//! A collection: records of (id, vector, document, metadata) in one Lance table.
//!
//! Writes to one collection are serialised by a lock held for the whole validate → write step, so
//! "add fails on an existing id" holds under concurrent callers. A small write (up to
//! [`LOGGED_MAX_ROWS`](crate::buffer::LOGGED_MAX_ROWS) records) goes through the database's
//! write-ahead log and an in-memory buffer that reads see at once (see `buffer.rs`); a larger one
//! is one Lance commit. Either way, when it returns it is durable, and a failed write writes
//! nothing of its batch.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{RecordBatch, RecordBatchIterator};
use futures::TryStreamExt;
use lancedb::query::{ExecutableQuery, QueryBase, Select};
use lancedb::index::vector::IvfPqIndexBuilder;
use lancedb::index::Index;

use crate::database::DbShared;
use crate::error::{Error, ErrorKind, Result};
use crate::filter::{self, Filter};
use crate::hnsw::IndexParams;
use crate::index_file;
use crate::mirror::{Mirror, SearchOptions};
use crate::payload::{Include, PayloadCache, Payloads};
use crate::records::{self, GetResult, Records, SearchResult, Vectors};
use crate::runtime::block_on;
use crate::schema::{self, Layout, Metric};
use crate::value::Metadata;

/// Ids per `id IN (…)` lookup.
const IDS_PER_LOOKUP: usize = 512;
/// Above this many ids, one scan of the id column beats many `IN` lookups.
const SCAN_ABOVE: usize = 4 * IDS_PER_LOOKUP;
/// A collection this large gets a BTree index on `id` (smaller ones are scanned quickly).
const ID_INDEX_ABOVE: usize = 8192;
/// The id index is brought up to date once this share of rows is not in it.
const ID_INDEX_STALE_SHARE: usize = 10;
/// The most neighbours one search may ask for.
pub const MAX_K: usize = 100_000;
/// Records an IVF_PQ index needs to train its PQ codebooks on.
const IVF_PQ_MIN_ROWS: usize = 256;
/// The name of Lance's index on the vector column.
const VECTOR_INDEX: &str = "vector_idx";
/// The distance column of a Lance vector search.
const LANCE_DISTANCE: &str = "_distance";

/// A handle to a collection. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Collection {
    pub(crate) inner: Arc<CollectionInner>,
    /// A user's handle keeps the database open (see [`Database`](crate::Database)); the engine's
    /// own copies do not.
    _keep: Option<Arc<crate::database::OpenHandle>>,
}

pub(crate) struct CollectionInner {
    pub(crate) name: String,
    pub(crate) table: lancedb::Table,
    pub(crate) layout: RwLock<Layout>,
    pub(crate) write_lock: Mutex<()>,
    /// Vectors in memory for exact search; `None` until the first search loads it.
    pub(crate) mirror: RwLock<Option<Mirror>>,
    /// What searches return besides ids and distances (see `payload.rs`). Loaded only while the
    /// mirror is; lock order: mirror → payloads.
    pub(crate) payloads: RwLock<PayloadCache>,
    /// The Lance version the mirror was loaded from: a read-only handle reloads it once the
    /// writer has committed a newer one.
    mirror_version: AtomicU64,
    /// Small writes logged but not yet in Lance (see `buffer.rs`).
    pub(crate) overlay: Mutex<crate::buffer::Overlay>,
    /// Readers share it; a flush holds it alone while it commits a layer.
    pub(crate) gate: RwLock<()>,
    /// One flush (or direct write) at a time.
    pub(crate) flush_lock: Mutex<()>,
    /// Flush commits since storage maintenance last looked at the table.
    pub(crate) commits: std::sync::atomic::AtomicUsize,
    /// When the background maintenance last removed old versions.
    pub(crate) pruned_at: Mutex<Option<std::time::Instant>>,
    /// The collection's index parameters once read from `<name>.index.json` (`Some(None)`: no
    /// index), so a search does not read the file.
    index_params: RwLock<Option<Option<IndexParams>>>,
    pub(crate) dropped: AtomicBool,
    pub(crate) db: Arc<DbShared>,
}

fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

/// Whether a record whose id already exists is an error or is replaced.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteMode<'a> {
    Add,
    Upsert,
    /// Upsert, and delete in the same commit every other record matching this SQL predicate.
    Replace(&'a str),
}

impl Collection {
    pub(crate) fn new(name: String, table: lancedb::Table, layout: Layout, db: Arc<DbShared>) -> Self {
        Collection {
            _keep: None,
            inner: Arc::new(CollectionInner {
                name,
                table,
                layout: RwLock::new(layout),
                write_lock: Mutex::new(()),
                mirror: RwLock::new(None),
                payloads: RwLock::new(PayloadCache::Unloaded),
                mirror_version: AtomicU64::new(0),
                overlay: Mutex::new(Default::default()),
                gate: RwLock::new(()),
                flush_lock: Mutex::new(()),
                commits: Default::default(),
                pruned_at: Mutex::new(None),
                index_params: RwLock::new(None),
                dropped: AtomicBool::new(false),
                db,
            }),
        }
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// This handle, keeping the database open while it lives.
    pub(crate) fn kept_by(mut self, handle: Arc<crate::database::OpenHandle>) -> Self {
        self._keep = Some(handle);
        self
    }

    pub fn dim(&self) -> usize {
        self.layout().dim
    }

    pub fn metric(&self) -> Metric {
        self.layout().metric
    }

    /// The metadata keys seen so far and their types.
    pub fn metadata_schema(&self) -> Vec<(String, crate::MetaType)> {
        self.layout().meta
    }

    pub(crate) fn layout(&self) -> Layout {
        self.inner.layout.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn ensure_open(&self) -> Result<()> {
        if self.inner.db.is_closed() {
            return Err(Error::new(ErrorKind::Closed, "the database is closed"));
        }
        if self.inner.dropped.load(Ordering::Acquire) {
            return Err(Error::new(ErrorKind::Closed, format!("collection '{}' was dropped", self.inner.name)));
        }
        Ok(())
    }

    /// Inserts new records. Fails with [`ErrorKind::DuplicateId`] if any id already exists (or
    /// repeats within the batch); then nothing is written.
    pub fn add(&self, records: &Records<'_>) -> Result<()> {
        self.write(records, WriteMode::Add).map(|_| ())
    }

    /// Inserts records, replacing those whose id exists (vector, document and metadata are all
    /// replaced; the creation time is kept).
    pub fn upsert(&self, records: &Records<'_>) -> Result<()> {
        self.write(records, WriteMode::Upsert).map(|_| ())
    }

    /// Replaces, in one Lance commit, every record matching `scope` with `records`: records whose
    /// id exists are updated (keeping their creation time), new ones inserted, and the records
    /// matching `scope` that are not in `records` deleted. Readers see either the old set or the
    /// new one, never a mix. Returns how many records were deleted. (RAG uses it to re-ingest a
    /// document: scope = that document's chunks.)
    pub fn replace(&self, records: &Records<'_>, scope: &Filter) -> Result<u64> {
        let layout = self.layout();
        // The scope must compile against the current layout; a scope on a key never written
        // compiles to FALSE (nothing to delete), which is correct.
        let pred = block_on(self.predicate(Some(scope), &layout))?
            .ok_or_else(|| Error::invalid_argument("replace needs a scope that does not match every record"))?;
        self.write(records, WriteMode::Replace(&pred))
    }

    fn write(&self, records: &Records<'_>, mode: WriteMode<'_>) -> Result<u64> {
        self.ensure_open()?;
        self.inner.db.ensure_writable()?;
        if !matches!(mode, WriteMode::Replace(_)) && self.logs(records.ids.len()) {
            return self.write_logged(records, mode == WriteMode::Add).map(|()| 0);
        }
        let n = self.write_direct(records, mode)?;
        self.end_direct()?;
        Ok(n)
    }

    /// A write as one Lance commit of its own (large batches, `replace`).
    pub(crate) fn write_direct(&self, records: &Records<'_>, mode: WriteMode<'_>) -> Result<u64> {
        let _direct = block_on(self.begin_direct())?;
        let mut layout = self.layout();
        let checked = records::validate(records, &layout)?;
        if records.ids.is_empty() {
            return match mode {
                WriteMode::Replace(scope) => self.delete_locked(scope),
                _ => Ok(0),
            };
        }
        block_on(async {
            let existing = self.existing(records.ids).await?;
            if mode == WriteMode::Add {
                if let Some((row, id)) = records.ids.iter().enumerate().find(|(_, id)| existing.contains_key(*id)) {
                    return Err(Error::new(
                        ErrorKind::DuplicateId,
                        format!("row {row}: id {id:?} already exists in collection '{}'", self.inner.name),
                    ));
                }
            }
            if !checked.new_columns.is_empty() {
                // A schema-only commit: new metadata keys become nullable columns, null for
                // every row already stored.
                layout = self.add_meta_columns(&checked.new_columns).await?;
            }
            let now = now_micros();
            let created: Vec<i64> = records.ids.iter().map(|id| existing.get(id).copied().unwrap_or(now)).collect();
            let schema = self.inner.table.schema().await?;
            let batch = records::to_batch(records, &layout, schema.clone(), &created, now)?;
            let mut deleted = 0;
            if let WriteMode::Replace(scope) = mode {
                // The ids this commit removes: in scope, not among the new records.
                let new_ids: std::collections::HashSet<&str> = records.ids.iter().map(String::as_str).collect();
                let gone: Vec<String> =
                    self.matching_ids(Some(scope)).await?.into_iter().filter(|id| !new_ids.contains(id.as_str())).collect();
                // One merge: matched → updated, new → inserted, in scope but not in the batch →
                // deleted. Lance commits it as one version.
                let mut merge = self.inner.table.merge_insert(&[schema::ID]);
                merge
                    .when_matched_update_all(None)
                    .when_not_matched_insert_all()
                    .when_not_matched_by_source_delete(Some(scope.to_string()));
                merge.execute(Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema))).await?;
                deleted = gone.len() as u64;
                self.copies_remove(&gone);
            } else if mode == WriteMode::Add || existing.is_empty() {
                self.inner.table.add(batch).execute().await?;
            } else {
                let mut merge = self.inner.table.merge_insert(&[schema::ID]);
                merge.when_matched_update_all(None).when_not_matched_insert_all();
                merge.execute(Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema))).await?;
            }
            self.copies_put(records.ids, records.vectors, &|i| {
                let document = records.documents.and_then(|d| d[i].clone());
                let metadata = records.metadata.map(|m| crate::buffer::normalise(&m[i], &layout)).unwrap_or_default();
                (document, metadata)
            });
            self.maintain_id_index().await?;
            Ok(deleted)
        })
    }

    /// Deletes the records matching a compiled predicate, the write lock being held.
    fn delete_locked(&self, pred: &str) -> Result<u64> {
        block_on(async {
            if self.inner.table.count_rows(Some(pred.to_string())).await? == 0 {
                return Ok(0);
            }
            let mirrored = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner()).is_some();
            let gone = if mirrored { self.matching_ids(Some(pred)).await? } else { Vec::new() };
            let n = self.inner.table.delete(pred).await?.num_deleted_rows;
            self.copies_remove(&gone);
            Ok(n)
        })
    }

    /// Keeps a BTree index on `id`, so lookups by id (the duplicate check of `add`, `get`,
    /// `delete`, and fetching search hits) do not scan the whole id column. Lance does not add new
    /// rows to an index by itself (it scans them besides the index), so once enough rows are
    /// outside it, they are folded in.
    pub(crate) async fn maintain_id_index(&self) -> Result<()> {
        use lancedb::index::{scalar::BTreeIndexBuilder, Index};
        use lancedb::table::{OptimizeAction, OptimizeOptions};
        let table = &self.inner.table;
        let rows = table.count_rows(None).await?;
        if rows < ID_INDEX_ABOVE {
            return Ok(());
        }
        let indices = table.list_indices().await?;
        match indices.iter().find(|i| i.columns == [schema::ID]) {
            None => {
                table.create_index(&[schema::ID], Index::BTree(BTreeIndexBuilder::default())).execute().await?;
            }
            Some(index) => {
                let stale = table.index_stats(&index.name).await?.map_or(0, |s| s.num_unindexed_rows);
                if stale * ID_INDEX_STALE_SHARE > rows {
                    table.optimize(OptimizeAction::Index(OptimizeOptions::default())).await?;
                }
            }
        }
        Ok(())
    }

    /// The creation time of each of `ids` that the collection holds.
    pub(crate) async fn existing(&self, ids: &[String]) -> Result<HashMap<String, i64>> {
        let table = &self.inner.table;
        let mut found = HashMap::new();
        if table.count_rows(None).await? == 0 {
            return Ok(found);
        }
        let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        let predicates: Vec<Option<String>> = if ids.len() > SCAN_ABOVE {
            vec![None]
        } else {
            ids.chunks(IDS_PER_LOOKUP).map(|c| Some(filter::ids_predicate(c))).collect()
        };
        for pred in predicates {
            let mut q = table.query().select(Select::columns(&[schema::ID, schema::CREATED_AT]));
            if let Some(p) = pred {
                q = q.only_if(p);
            }
            let batches: Vec<RecordBatch> = q.execute().await?.try_collect().await?;
            for b in &batches {
                let (Some(id), Some(ts)) = (b.column_by_name(schema::ID), b.column_by_name(schema::CREATED_AT)) else {
                    return Err(Error::internal("id lookup returned no id column"));
                };
                let id = arrow::compute::cast(id, &arrow_schema::DataType::Utf8)?;
                let (id, ts) = (id.as_string::<i32>(), ts.as_primitive::<TimestampMicrosecondType>());
                for i in 0..b.num_rows() {
                    let v = id.value(i);
                    if wanted.contains(v) {
                        found.insert(v.to_owned(), ts.value(i));
                    }
                }
            }
        }
        Ok(found)
    }

    /// Compiles and checks a filter, so a bad one is an [`ErrorKind::InvalidFilter`] before
    /// anything runs.
    pub(crate) async fn predicate(&self, filter: Option<&Filter>, layout: &Layout) -> Result<Option<String>> {
        Ok(self.predicate_tree(filter, layout).await?.map(|t| t.to_sql()))
    }

    /// Like [`Collection::predicate`], as a tree, for combining with the engine's own conditions.
    pub(crate) async fn predicate_tree(&self, filter: Option<&Filter>, layout: &Layout) -> Result<Option<filter::Expr>> {
        let Some(filter) = filter else { return Ok(None) };
        let Some(tree) = filter::compile(filter, layout)? else { return Ok(None) };
        // The tree is checked already; planning it in Lance catches what only Lance knows (its
        // coercions between the column and value types).
        let sql = tree.to_sql();
        self.inner
            .table
            .query()
            .only_if(&sql)
            .select(Select::columns(&[schema::ID]))
            .limit(1)
            .explain_plan(false)
            .await
            .map_err(|e| Error::invalid_filter(format!("invalid filter {sql:?}: {}", lance_message(&e))))?;
        Ok(Some(tree))
    }

    /// Reads records by id (in the order given; ids not found are left out), or all records that
    /// match `filter`, at most `limit` after skipping `offset`.
    pub fn get(&self, ids: Option<&[String]>, filter: Option<&Filter>, limit: Option<usize>, offset: usize) -> Result<GetResult> {
        self.ensure_open()?;
        let layout = self.layout();
        block_on(async {
            let pred = self.predicate_tree(filter, &layout).await?;
            // By ids alone: buffered writes are merged in memory; anything Lance must evaluate
            // is read after flushing them.
            let by_ids = ids.is_some() && pred.is_none();
            let _view = if by_ids { self.read_gate() } else { self.lance_view().await? };
            let (mut out, lookup) = match ids {
                Some(ids) if by_ids => {
                    let (found, rest) = self.overlay_split(ids, &layout);
                    (found, Some(rest))
                }
                other => (GetResult { dim: layout.dim, ..Default::default() }, other.map(<[String]>::to_vec)),
            };
            let chunks: Vec<Option<String>> = match &lookup {
                Some(ids) if ids.is_empty() => Vec::new(),
                Some(ids) => ids
                    .chunks(IDS_PER_LOOKUP)
                    .map(|c| {
                        let by_id = filter::Expr::ids(c);
                        Some(match &pred {
                            Some(p) => by_id.and(p.clone()).to_sql(),
                            None => by_id.to_sql(),
                        })
                    })
                    .collect(),
                None => vec![pred.map(|p| p.to_sql())],
            };
            for p in chunks {
                let mut q = self.inner.table.query();
                if let Some(p) = p {
                    q = q.only_if(p);
                }
                if ids.is_none() {
                    if let Some(limit) = limit {
                        q = q.limit(limit);
                    }
                    if offset > 0 {
                        q = q.offset(offset);
                    }
                }
                let batches: Vec<RecordBatch> = q.execute().await?.try_collect().await?;
                for b in &batches {
                    out.append(b, &layout)?;
                }
            }
            Ok(match ids {
                Some(ids) => {
                    let mut out = out.reorder(ids);
                    let end = limit.map_or(out.len(), |l| (offset + l).min(out.len()));
                    if offset > 0 || end < out.len() {
                        let keep = out.ids[offset.min(end)..end].to_vec();
                        out = out.reorder(&keep);
                    }
                    out
                }
                None => out,
            })
        })
    }

    /// Deletes the records with the given ids and/or matching `filter` (both given: records that
    /// satisfy both). Returns how many were deleted; ids not present are not an error.
    pub fn delete(&self, ids: Option<&[String]>, filter: Option<&Filter>) -> Result<u64> {
        self.ensure_open()?;
        if ids.is_none() && filter.is_none() {
            return Err(Error::invalid_argument("delete needs ids or a filter (use a filter that matches all to clear)"));
        }
        self.inner.db.ensure_writable()?;
        if let (Some(ids), None) = (ids, filter) {
            if self.logs(ids.len()) {
                return self.delete_logged(ids);
            }
        }
        let layout = self.layout();
        let _direct = block_on(self.begin_direct())?;
        let deleted = block_on(async {
            let pred = self.predicate_tree(filter, &layout).await?;
            let by_id = match ids {
                Some([]) => return Ok(0),
                // One IN list per chunk, OR-ed: one predicate, so one commit however many ids.
                Some(ids) => Some(filter::Expr::any(ids.chunks(IDS_PER_LOOKUP * 8).map(filter::Expr::ids).collect())),
                None => None,
            };
            let p = match (by_id, pred) {
                (Some(i), Some(p)) => i.and(p).to_sql(),
                (Some(i), None) => i.to_sql(),
                (None, Some(p)) => p.to_sql(),
                (None, None) => "TRUE".into(),
            };
            // Skip the commit when nothing matches: a delete is a new table version.
            if self.inner.table.count_rows(Some(p.clone())).await? == 0 {
                return Ok(0);
            }
            let mirrored = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner()).is_some();
            let gone = if mirrored { self.matching_ids(Some(&p)).await? } else { Vec::new() };
            let deleted = self.inner.table.delete(p.as_str()).await?.num_deleted_rows;
            self.copies_remove(&gone);
            Ok::<u64, Error>(deleted)
        })?;
        self.end_direct()?;
        Ok(deleted)
    }

    /// The number of records, or of those matching `filter`.
    pub fn count(&self, filter: Option<&Filter>) -> Result<u64> {
        self.ensure_open()?;
        let layout = self.layout();
        block_on(async {
            let pred = self.predicate(filter, &layout).await?;
            let _view = self.lance_view().await?;
            Ok(self.inner.table.count_rows(pred).await? as u64)
        })
    }

    /// The `k` records nearest to `query` (exact search), closest first, among those matching
    /// `filter`. Fewer than `k` when fewer match.
    pub fn search(&self, query: &[f32], k: usize, filter: Option<&Filter>) -> Result<SearchResult> {
        self.search_with(query, k, filter, &SearchOptions::default())
    }

    /// [`Collection::search`] with options (the HNSW `ef`, or a forced exact scan).
    pub fn search_with(&self, query: &[f32], k: usize, filter: Option<&Filter>, options: &SearchOptions) -> Result<SearchResult> {
        let mut all = self.search_batch_with(Vectors::Flat { data: query, dim: query.len() }, k, filter, options)?;
        all.pop().ok_or_else(|| Error::internal("a search of one query returned no result"))
    }

    /// [`Collection::search`] for many queries at once.
    pub fn search_batch(&self, queries: Vectors<'_>, k: usize, filter: Option<&Filter>) -> Result<Vec<SearchResult>> {
        self.search_batch_with(queries, k, filter, &SearchOptions::default())
    }

    /// [`Collection::search_batch`] with options.
    ///
    /// Without an index (or with `exact`), every row is scanned: the results are the exact k
    /// nearest. With an HNSW index the graph is walked with a candidate list of `ef`; a filter
    /// that lets through under 5% of the records is answered by the exact scan instead.
    pub fn search_batch_with(
        &self,
        queries: Vectors<'_>,
        k: usize,
        filter: Option<&Filter>,
        options: &SearchOptions,
    ) -> Result<Vec<SearchResult>> {
        self.ensure_open()?;
        if k == 0 || k > MAX_K {
            return Err(Error::invalid_argument(format!("k must be between 1 and {MAX_K}, got {k}")));
        }
        if let Some(ef) = options.ef {
            if ef == 0 || ef > MAX_K {
                return Err(Error::invalid_argument(format!("ef must be between 1 and {MAX_K}, got {ef}")));
            }
        }
        if options.nprobes == Some(0) {
            return Err(Error::invalid_argument("nprobes must be at least 1"));
        }
        if let Some(r) = options.refine_factor {
            if r == 0 || r as usize > MAX_K {
                return Err(Error::invalid_argument(format!("refine_factor must be between 1 and {MAX_K}, got {r}")));
            }
        }
        let layout = self.layout();
        if let Vectors::Flat { dim, .. } = queries {
            if dim != layout.dim {
                return Err(Error::new(
                    ErrorKind::DimensionMismatch,
                    format!("the query has dimension {dim}, the collection has dimension {}", layout.dim),
                ));
            }
        }
        for i in 0..queries.len() {
            records::check_vector(queries.row(i), layout.dim, layout.metric, &|| format!("query {i}"))?;
        }
        let threads = options.threads.unwrap_or_else(crate::cores::available);
        if threads == 0 {
            return Err(Error::invalid_argument("threads must be at least 1"));
        }
        block_on(async {
            let pred = self.predicate(filter, &layout).await?;
            if let Some(IndexParams::IvfPq(_)) = self.cached_index_params()? {
                let _view = self.lance_view().await?;
                return self.search_lance(queries, k, pred.as_deref(), options, &layout).await;
            }
            self.load_mirror().await?;
            let allowed = match &pred {
                Some(p) => {
                    let _view = self.lance_view().await?;
                    Some(self.matching_ids(Some(p)).await?)
                }
                None => None,
            };
            let include = options.include;
            if include.any() {
                self.load_payloads().await?;
            }
            {
                let guard = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner());
                let mirror = guard.as_ref().ok_or_else(|| Error::internal("the vector mirror is not loaded"))?;
                let mask = allowed.as_ref().map(|ids| mirror.mask_of(ids.iter().map(String::as_str)));
                let hits: Vec<Vec<(String, f32)>> =
                    (0..queries.len()).map(|i| mirror.search(queries.row(i), k, mask.as_deref(), threads, options)).collect();
                // Read under the mirror's lock, which every write holds while it updates both:
                // each hit's payload is the one of the vector it was found by.
                let payloads = self.inner.payloads.read().unwrap_or_else(|p| p.into_inner());
                match (include.any(), payloads.loaded()) {
                    (false, _) => return Ok(hits.into_iter().map(|h| with_payload(h, include, |_| None)).collect()),
                    (true, Some(cache)) => {
                        let from_cache = |id: &str| {
                            Some(match cache.get(id) {
                                Some((document, metadata)) => (
                                    if include.documents { document.cloned() } else { None },
                                    if include.metadata { metadata.clone() } else { Metadata::new() },
                                ),
                                None => (None, Metadata::new()),
                            })
                        };
                        return Ok(hits.into_iter().map(|h| with_payload(h, include, from_cache)).collect());
                    }
                    // Past its limit: payload comes from Lance, below.
                    (true, None) => {
                        drop(payloads);
                        drop(guard);
                        let mut wanted: Vec<String> = hits.iter().flatten().map(|(id, _)| id.clone()).collect();
                        wanted.sort_unstable();
                        wanted.dedup();
                        let found = self.fetch_payload(&wanted, include, &layout).await?;
                        // A record deleted between the walk and the fetch is left out.
                        let from_lance = |id: &str| found.get(id).cloned();
                        Ok(hits.into_iter().map(|h| with_payload(h, include, from_lance)).collect())
                    }
                }
            }
        })
    }

    /// Loads the payload cache if it is not loaded (the mirror is), under the same locks as the
    /// mirror's load, so it misses no write.
    async fn load_payloads(&self) -> Result<()> {
        if !matches!(*self.inner.payloads.read().unwrap_or_else(|p| p.into_inner()), PayloadCache::Unloaded) {
            return Ok(());
        }
        let limit = self.inner.db.payload_cache_bytes();
        let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        if !matches!(*self.inner.payloads.read().unwrap_or_else(|p| p.into_inner()), PayloadCache::Unloaded) {
            return Ok(());
        }
        if self.inner.mirror.read().unwrap_or_else(|p| p.into_inner()).is_none() {
            // The mirror was dropped meanwhile (an IVF_PQ index): nothing to keep in step with.
            return Ok(());
        }
        let _gate = self.read_gate();
        let layout = self.layout();
        let mut cache = PayloadCache::Loaded(Payloads::new(limit));
        let include = Include::ALL;
        let columns = records::payload_columns(&layout, include);
        let mut stream = self.inner.table.query().select(Select::columns(&columns)).execute().await?;
        while let Some(batch) = stream.try_next().await? {
            for (id, document, metadata) in records::read_payload(&batch, &layout, include)? {
                cache.put(&id, document, metadata);
            }
            if matches!(cache, PayloadCache::OverLimit) {
                break;
            }
        }
        self.overlay_into_payloads(&mut cache);
        *self.inner.payloads.write().unwrap_or_else(|p| p.into_inner()) = cache;
        Ok(())
    }

    /// The documents and/or metadata of the given ids from storage (buffered writes included),
    /// reading only the columns `include` names. Ids not found are left out.
    async fn fetch_payload(&self, ids: &[String], include: Include, layout: &Layout) -> Result<HashMap<String, (Option<String>, Metadata)>> {
        let _gate = self.read_gate();
        let (buffered, rest) = self.overlay_split(ids, layout);
        let mut out: HashMap<String, (Option<String>, Metadata)> = HashMap::with_capacity(ids.len());
        for (i, id) in buffered.ids.into_iter().enumerate() {
            out.insert(id, (buffered.documents[i].clone(), buffered.metadata[i].clone()));
        }
        let columns = records::payload_columns(layout, include);
        for chunk in rest.chunks(IDS_PER_LOOKUP) {
            let q = self.inner.table.query().only_if(filter::ids_predicate(chunk)).select(Select::columns(&columns));
            let batches: Vec<RecordBatch> = q.execute().await?.try_collect().await?;
            for b in &batches {
                for (id, document, metadata) in records::read_payload(b, layout, include)? {
                    out.insert(id, (document, metadata));
                }
            }
        }
        Ok(out)
    }

    /// A committed put reaches the in-memory copies of the records (vector mirror and payload
    /// cache) together, under the mirror's lock, so a search sees both changes or neither.
    /// `payload(i)` gives record `i`'s document and normalised metadata; it is called only while
    /// the payload cache is loaded.
    pub(crate) fn copies_put(&self, ids: &[String], vectors: Vectors<'_>, payload: &dyn Fn(usize) -> (Option<String>, Metadata)) {
        let mut mirror = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner());
        // The payload cache is loaded only while the mirror is.
        let Some(m) = mirror.as_mut() else { return };
        m.upsert(ids, vectors);
        let mut payloads = self.inner.payloads.write().unwrap_or_else(|p| p.into_inner());
        if payloads.loaded().is_some() {
            for (i, id) in ids.iter().enumerate() {
                let (document, metadata) = payload(i);
                payloads.put(id, document, metadata);
            }
        }
    }

    /// A committed delete reaches the in-memory copies together (see [`Collection::copies_put`]).
    pub(crate) fn copies_remove(&self, ids: &[String]) {
        let mut mirror = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner());
        let Some(m) = mirror.as_mut() else { return };
        m.remove(ids.iter().map(String::as_str));
        self.inner.payloads.write().unwrap_or_else(|p| p.into_inner()).remove(ids.iter().map(String::as_str));
    }

    /// Drops the in-memory copies; the next search loads them again.
    pub(crate) fn forget_copies(&self) {
        let mut mirror = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner());
        *mirror = None;
        *self.inner.payloads.write().unwrap_or_else(|p| p.into_inner()) = PayloadCache::Unloaded;
    }

    /// A read-only handle's copies were loaded from the version the writer had committed then:
    /// once it has committed another, they are dropped and loaded again, so searches see what
    /// `get` and `count` see.
    async fn refresh_copies_if_stale(&self) -> Result<()> {
        if !self.inner.db.is_read_only() || self.inner.mirror.read().unwrap_or_else(|p| p.into_inner()).is_none() {
            return Ok(());
        }
        let latest = self.inner.table.version().await?;
        if latest != self.inner.mirror_version.load(Ordering::Acquire) {
            let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
            self.forget_copies();
        }
        Ok(())
    }

    /// Loads the vector mirror from Lance if this is the first search.
    pub(crate) async fn load_mirror(&self) -> Result<()> {
        self.refresh_copies_if_stale().await?;
        if self.inner.mirror.read().unwrap_or_else(|p| p.into_inner()).is_some() {
            return Ok(());
        }
        // The write lock keeps writes out while loading, so the mirror misses none of them.
        let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        if self.inner.mirror.read().unwrap_or_else(|p| p.into_inner()).is_some() {
            return Ok(());
        }
        // No flush commits meanwhile: Lance and the buffer are read as one state.
        let _gate = self.read_gate();
        let layout = self.layout();
        let db = self.inner.db.path();
        // Only AgentDB's own HNSW lives in the mirror; Lance keeps an IVF_PQ index itself.
        let params = match self.cached_index_params()? {
            Some(IndexParams::Hnsw(p)) => Some(p),
            _ => None,
        };
        let version = self.inner.table.version().await?;
        if let Some(params) = params {
            let path = index_file::index_path(db, &self.inner.name);
            // The saved rows must be the table's, give or take the buffered writes.
            let table_rows = self.inner.table.count_rows(None).await?;
            let buffered = {
                let ov = self.inner.overlay.lock().unwrap_or_else(|p| p.into_inner());
                ov.active.len() + ov.flushing.as_ref().map_or(0, |l| l.len())
            };
            let expect = index_file::Expected {
                lance_version: version,
                dim: layout.dim,
                metric: layout.metric,
                params,
                live_rows: table_rows.saturating_sub(buffered)..=table_rows.saturating_add(buffered),
            };
            if let Some(mut saved) = index_file::load(&path, &expect, self.mirror_vectors_file())? {
                self.overlay_into_mirror(&mut saved);
                self.inner.mirror_version.store(version, Ordering::Release);
                *self.inner.mirror.write().unwrap_or_else(|p| p.into_inner()) = Some(saved);
                return Ok(());
            }
        }
        let mut mirror = Mirror::new(layout.dim, layout.metric, self.mirror_vectors_file());
        if let Some(params) = params {
            mirror.expect_index(params);
        }
        let stream = self
            .inner
            .table
            .query()
            .select(Select::columns(&[schema::ID, schema::VECTOR]))
            .execute()
            .await?;
        let batches: Vec<RecordBatch> = stream.try_collect().await?;
        for b in &batches {
            let mut part = GetResult { dim: layout.dim, ..Default::default() };
            part.append_ids_and_vectors(b, &layout)?;
            mirror.upsert(&part.ids, Vectors::Flat { data: &part.vectors, dim: layout.dim });
        }
        self.overlay_into_mirror(&mut mirror);
        if let Some(params) = params {
            // The saved index was missing, damaged or stale: rebuild it from the data. Saved by
            // a writer only: a read-only handle's files belong to the writer process.
            mirror.build_index(params);
            if self.inner.db.ensure_writable().is_ok() {
                index_file::save(&index_file::index_path(db, &self.inner.name), &mirror, version)?;
            }
            mirror.dirty = false;
        } else {
            mirror.prefer_huge_pages();
        }
        self.inner.mirror_version.store(version, Ordering::Release);
        *self.inner.mirror.write().unwrap_or_else(|p| p.into_inner()) = Some(mirror);
        Ok(())
    }

    /// Where the mirror maps its rows under an int8 index: the cache file beside the saved index;
    /// `None` (rows in RAM) in a read-only database, whose files belong to its writer process.
    fn mirror_vectors_file(&self) -> Option<std::path::PathBuf> {
        let writable = self.inner.db.ensure_writable().is_ok();
        writable.then(|| index_file::vectors_path(self.inner.db.path(), &self.inner.name))
    }

    /// Builds a vector index over the collection's vectors, replacing any index; search uses it
    /// from then on.
    ///
    /// - [`HnswParams`](crate::HnswParams): AgentDB's HNSW graph, in memory next to the vector
    ///   mirror, saved to `<db>/_agentdb/<name>.hnsw` and kept current with every later write.
    ///   With int8 quantization the mirror's `f32` rows move out of anonymous memory into a
    ///   memory-mapped cache file, `<db>/_agentdb/<name>.vectors.f32`, which the OS pages in and
    ///   out as searches need them (dropping the index moves them back).
    /// - [`IvfPqParams`](crate::IvfPqParams): Lance's IVF_PQ index, stored and searched by Lance
    ///   from disk, for collections larger than memory (search options `nprobes` and
    ///   `refine_factor`). Needs at least 256 records (the PQ codebooks are trained on them).
    pub fn create_index(&self, params: impl Into<IndexParams>) -> Result<()> {
        self.ensure_open()?;
        self.inner.db.ensure_writable()?;
        let params = params.into();
        let layout = self.layout();
        match params {
            IndexParams::Hnsw(p) => {
                if !(2..=128).contains(&p.m) {
                    return Err(Error::invalid_argument(format!("m must be between 2 and 128, got {}", p.m)));
                }
                if !(1..=10_000).contains(&p.ef_construction) {
                    return Err(Error::invalid_argument(format!(
                        "ef_construction must be between 1 and 10000, got {}",
                        p.ef_construction
                    )));
                }
            }
            IndexParams::IvfPq(p) => {
                if p.partitions > 65_536 {
                    return Err(Error::invalid_argument(format!("partitions must be at most 65536, got {}", p.partitions)));
                }
                if p.sub_vectors != 0 && (p.sub_vectors > layout.dim || layout.dim % p.sub_vectors != 0) {
                    return Err(Error::invalid_argument(format!(
                        "sub_vectors must divide the dimension {}, got {}",
                        layout.dim, p.sub_vectors
                    )));
                }
            }
        }
        block_on(async {
            let db = self.inner.db.path();
            match params {
                IndexParams::Hnsw(p) => {
                    self.load_mirror().await?;
                    let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
                    let mut slot = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner());
                    let mirror = slot.as_mut().ok_or_else(|| Error::internal("the vector mirror is not loaded"))?;
                    mirror.build_index(p);
                    let version = self.inner.table.version().await?;
                    index_file::save(&index_file::index_path(db, &self.inner.name), mirror, version)?;
                    mirror.dirty = false;
                    drop(slot);
                    self.drop_lance_vector_index().await?;
                    self.set_index_params(params)
                }
                IndexParams::IvfPq(p) => {
                    // Lance trains on its table alone: buffered small writes go in first (before
                    // the write lock, which the flush takes). Later ones are searched besides the
                    // index until Lance folds them in.
                    self.flush_buffer_async().await?;
                    let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
                    let rows = self.inner.table.count_rows(None).await?;
                    if rows < IVF_PQ_MIN_ROWS {
                        return Err(Error::invalid_argument(format!(
                            "an ivf_pq index needs at least {IVF_PQ_MIN_ROWS} records to train on; \
                             collection '{}' has {rows}",
                            self.inner.name
                        )));
                    }
                    let partitions = match p.partitions {
                        0 => ((rows as f64).sqrt() as usize).clamp(1, 4096),
                        n if n > rows => {
                            return Err(Error::invalid_argument(format!(
                                "partitions ({n}) must not exceed the number of records ({rows})"
                            )))
                        }
                        n => n,
                    };
                    let mut builder =
                        IvfPqIndexBuilder::default().distance_type(lance_distance(layout.metric)).num_partitions(partitions as u32);
                    if p.sub_vectors != 0 {
                        builder = builder.num_sub_vectors(p.sub_vectors as u32);
                    }
                    self.inner
                        .table
                        .create_index(&[schema::VECTOR], Index::IvfPq(builder))
                        .name(VECTOR_INDEX.to_string())
                        .replace(true)
                        .execute()
                        .await?;
                    // The HNSW graph and the vectors in memory are not needed any more: Lance
                    // answers from disk.
                    index_file::remove_graph(db, &self.inner.name)?;
                    self.forget_copies();
                    self.set_index_params(params)
                }
            }
        })
    }

    /// Removes the index (search scans exactly again). No index is not an error.
    pub fn drop_index(&self) -> Result<()> {
        self.ensure_open()?;
        self.inner.db.ensure_writable()?;
        let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        block_on(self.drop_lance_vector_index())?;
        index_file::remove(self.inner.db.path(), &self.inner.name)?;
        *self.inner.index_params.write().unwrap_or_else(|p| p.into_inner()) = Some(None);
        if let Some(m) = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner()).as_mut() {
            m.drop_index();
        }
        Ok(())
    }

    /// The parameters of the collection's index, `None` without one.
    pub fn index_params(&self) -> Result<Option<IndexParams>> {
        self.ensure_open()?;
        self.cached_index_params()
    }

    /// The index parameters, read from their file once.
    pub(crate) fn cached_index_params(&self) -> Result<Option<IndexParams>> {
        if let Some(p) = *self.inner.index_params.read().unwrap_or_else(|p| p.into_inner()) {
            return Ok(p);
        }
        let p = index_file::load_params(&index_file::params_path(self.inner.db.path(), &self.inner.name))?;
        *self.inner.index_params.write().unwrap_or_else(|p| p.into_inner()) = Some(p);
        Ok(p)
    }

    fn set_index_params(&self, params: IndexParams) -> Result<()> {
        index_file::save_params(&index_file::params_path(self.inner.db.path(), &self.inner.name), params)?;
        *self.inner.index_params.write().unwrap_or_else(|p| p.into_inner()) = Some(Some(params));
        Ok(())
    }

    /// Drops Lance's index on the vector column, if there is one.
    async fn drop_lance_vector_index(&self) -> Result<()> {
        let indices = self.inner.table.list_indices().await?;
        for index in indices.iter().filter(|i| i.columns == [schema::VECTOR]) {
            self.inner.table.drop_index(&index.name).await?;
        }
        Ok(())
    }

    /// Searches through Lance's IVF_PQ index (or, with `exact`, Lance's flat scan), so the
    /// collection's vectors need not fit in memory.
    async fn search_lance(
        &self,
        queries: Vectors<'_>,
        k: usize,
        pred: Option<&str>,
        options: &SearchOptions,
        layout: &Layout,
    ) -> Result<Vec<SearchResult>> {
        let mut out = Vec::with_capacity(queries.len());
        for i in 0..queries.len() {
            let mut q = self
                .inner
                .table
                .query()
                .nearest_to(queries.row(i))?
                .distance_type(lance_distance(layout.metric))
                .limit(k);
            if options.exact {
                q = q.bypass_vector_index();
            }
            if let Some(n) = options.nprobes {
                q = q.nprobes(n)?;
            }
            if let Some(r) = options.refine_factor {
                q = q.refine_factor(r);
            }
            if let Some(p) = pred {
                q = q.only_if(p);
            }
            q = q.select(Select::columns(&records::payload_columns(layout, options.include)));
            let batches: Vec<RecordBatch> = q.execute().await?.try_collect().await?;
            let mut hits: Vec<(f32, (String, Option<String>, Metadata))> = Vec::new();
            for b in &batches {
                let dist = b
                    .column_by_name(LANCE_DISTANCE)
                    .ok_or_else(|| Error::internal("a vector search returned no distance column"))?;
                let dist = arrow::compute::cast(dist, &arrow_schema::DataType::Float32)?;
                let dist = dist.as_primitive::<arrow_array::types::Float32Type>();
                hits.extend(records::read_payload(b, layout, options.include)?.into_iter().enumerate().map(|(r, p)| (dist.value(r), p)));
            }
            // Lance returns the hits ordered; sort anyway (ties by id) so the order is defined.
            hits.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1 .0.cmp(&b.1 .0)));
            hits.truncate(k);
            let mut r = SearchResult::default();
            for (d, (id, document, metadata)) in hits {
                r.ids.push(id);
                // Rounding can take an identical pair just below 0.
                r.distances.push(if layout.metric == Metric::Cosine { d.max(0.0) } else { d });
                r.documents.push(document);
                r.metadata.push(metadata);
            }
            out.push(r);
        }
        Ok(out)
    }

    /// Saves the index if writes changed it since it was last saved, so the next open need not
    /// rebuild it. [`Database::close`](crate::Database::close) calls this.
    pub(crate) fn save_index(&self) -> Result<()> {
        let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut slot = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner());
        let Some(mirror) = slot.as_mut().filter(|m| m.dirty && m.index.is_some()) else { return Ok(()) };
        let version = block_on(self.inner.table.version())?;
        index_file::save(&index_file::index_path(self.inner.db.path(), &self.inner.name), mirror, version)?;
        mirror.dirty = false;
        Ok(())
    }

    /// The ids of the records matching a compiled predicate (all when `None`).
    async fn matching_ids(&self, pred: Option<&str>) -> Result<Vec<String>> {
        let mut q = self.inner.table.query().select(Select::columns(&[schema::ID]));
        if let Some(p) = pred {
            q = q.only_if(p);
        }
        let batches: Vec<RecordBatch> = q.execute().await?.try_collect().await?;
        let mut ids = Vec::new();
        for b in &batches {
            ids.extend(records::read_ids(b)?);
        }
        Ok(ids)
    }
}

/// One query's hits with their payload: `payload(id)` gives a hit's document and metadata, `None`
/// for a hit no longer there (left out). Parts not in `include` are `None` / empty.
fn with_payload(
    hits: Vec<(String, f32)>,
    include: Include,
    payload: impl Fn(&str) -> Option<(Option<String>, Metadata)>,
) -> SearchResult {
    let mut out = SearchResult::default();
    for (id, dist) in hits {
        let (document, metadata) = if include.any() {
            let Some(p) = payload(&id) else { continue };
            p
        } else {
            (None, Metadata::new())
        };
        out.documents.push(if include.documents { document } else { None });
        out.metadata.push(if include.metadata { metadata } else { Metadata::new() });
        out.ids.push(id);
        out.distances.push(dist);
    }
    out
}

/// Lance's distance for a collection metric. Lance's conventions match the engine's: cosine
/// `1 - cos`, l2 squared Euclidean, dot `1 - q·v`.
fn lance_distance(m: Metric) -> lancedb::DistanceType {
    match m {
        Metric::Cosine => lancedb::DistanceType::Cosine,
        Metric::L2 => lancedb::DistanceType::L2,
        Metric::Dot => lancedb::DistanceType::Dot,
    }
}

/// The innermost message of a LanceDB error, without the chain of wrappers and source paths.
fn lance_message(e: &lancedb::Error) -> String {
    let text = e.to_string();
    // Lance appends ", <file>:<line>:<col>" to many messages; users need not see our dependency's
    // source paths.
    match text.rfind(", /") {
        Some(i) if text[i..].contains(".rs:") => text[..i].to_string(),
        _ => text,
    }
}

/// For engine modules that keep their own view of a collection's records (agent memory).
impl Collection {
    /// Runs `f` on the vector mirror (loaded first if this is its first use), under its read lock.
    pub(crate) fn with_mirror<R>(&self, f: impl FnOnce(&Mirror) -> R) -> Result<R> {
        self.ensure_open()?;
        block_on(self.load_mirror())?;
        let guard = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner());
        let mirror = guard.as_ref().ok_or_else(|| Error::internal("the vector mirror is not loaded"))?;
        Ok(f(mirror))
    }

    /// The ids of the records matching `filter` (checked like any filter: a bad one is an
    /// [`ErrorKind::InvalidFilter`]).
    pub(crate) fn ids_matching(&self, filter: &Filter) -> Result<Vec<String>> {
        self.ensure_open()?;
        let layout = self.layout();
        block_on(async {
            let pred = self.predicate(Some(filter), &layout).await?;
            let _view = self.lance_view().await?;
            self.matching_ids(pred.as_deref()).await
        })
    }
}
