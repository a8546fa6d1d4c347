//! A collection: records of (id, vector, document, metadata) in one Lance table.
//!
//! Writes to one collection are serialised by a lock held for the whole validate → write step, so
//! "add fails on an existing id" holds under concurrent callers. Every write is one Lance commit:
//! when it returns, the data is on disk, and a failed write commits nothing of its batch.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{RecordBatch, RecordBatchIterator};
use futures::TryStreamExt;
use lancedb::query::{ExecutableQuery, QueryBase, Select};
use lancedb::table::NewColumnTransform;

use crate::database::DbShared;
use crate::error::{Error, ErrorKind, Result};
use crate::filter::{self, Filter};
use crate::hnsw::HnswParams;
use crate::index_file;
use crate::mirror::{Mirror, SearchOptions};
use crate::records::{self, GetResult, Records, SearchResult, Vectors};
use crate::runtime::block_on;
use crate::schema::{self, Layout, Metric};

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

/// A handle to a collection. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Collection {
    pub(crate) inner: Arc<CollectionInner>,
}

pub(crate) struct CollectionInner {
    pub(crate) name: String,
    pub(crate) table: lancedb::Table,
    pub(crate) layout: RwLock<Layout>,
    write_lock: Mutex<()>,
    /// Vectors in memory for exact search; `None` until the first search loads it.
    mirror: RwLock<Option<Mirror>>,
    pub(crate) dropped: AtomicBool,
    db: Arc<DbShared>,
}

fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

/// Whether a record whose id already exists is an error or is replaced.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WriteMode {
    Add,
    Upsert,
}

impl Collection {
    pub(crate) fn new(name: String, table: lancedb::Table, layout: Layout, db: Arc<DbShared>) -> Self {
        Collection {
            inner: Arc::new(CollectionInner {
                name,
                table,
                layout: RwLock::new(layout),
                write_lock: Mutex::new(()),
                mirror: RwLock::new(None),
                dropped: AtomicBool::new(false),
                db,
            }),
        }
    }

    pub fn name(&self) -> &str {
        &self.inner.name
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

    fn layout(&self) -> Layout {
        self.inner.layout.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn ensure_open(&self) -> Result<()> {
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
        self.write(records, WriteMode::Add)
    }

    /// Inserts records, replacing those whose id exists (vector, document and metadata are all
    /// replaced; the creation time is kept).
    pub fn upsert(&self, records: &Records<'_>) -> Result<()> {
        self.write(records, WriteMode::Upsert)
    }

    fn write(&self, records: &Records<'_>, mode: WriteMode) -> Result<()> {
        self.ensure_open()?;
        let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut layout = self.layout();
        let checked = records::validate(records, &layout)?;
        if records.ids.is_empty() {
            return Ok(());
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
                self.inner
                    .table
                    .add_columns()
                    .transform(NewColumnTransform::AllNulls(records::meta_schema(&checked.new_columns)))
                    .execute()
                    .await?;
                let schema = self.inner.table.schema().await?;
                layout = Layout::from_schema(&self.inner.name, &schema)?;
                *self.inner.layout.write().unwrap_or_else(|p| p.into_inner()) = layout.clone();
            }
            let now = now_micros();
            let created: Vec<i64> = records.ids.iter().map(|id| existing.get(id).copied().unwrap_or(now)).collect();
            let schema = self.inner.table.schema().await?;
            let batch = records::to_batch(records, &layout, schema.clone(), &created, now)?;
            if mode == WriteMode::Add || existing.is_empty() {
                self.inner.table.add(batch).execute().await?;
            } else {
                let mut merge = self.inner.table.merge_insert(&[schema::ID]);
                merge.when_matched_update_all(None).when_not_matched_insert_all();
                merge.execute(Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema))).await?;
            }
            if let Some(m) = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner()).as_mut() {
                m.upsert(records.ids, records.vectors);
            }
            self.maintain_id_index().await
        })
    }

    /// Keeps a BTree index on `id`, so lookups by id (the duplicate check of `add`, `get`,
    /// `delete`, and fetching search hits) do not scan the whole id column. Lance does not add new
    /// rows to an index by itself (it scans them besides the index), so once enough rows are
    /// outside it, they are folded in.
    async fn maintain_id_index(&self) -> Result<()> {
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
    async fn existing(&self, ids: &[String]) -> Result<HashMap<String, i64>> {
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
    async fn predicate(&self, filter: Option<&Filter>, layout: &Layout) -> Result<Option<String>> {
        let Some(filter) = filter else { return Ok(None) };
        let Some(sql) = filter::to_sql(filter, layout)? else { return Ok(None) };
        self.inner
            .table
            .query()
            .only_if(&sql)
            .select(Select::columns(&[schema::ID]))
            .limit(1)
            .explain_plan(false)
            .await
            .map_err(|e| Error::invalid_filter(format!("invalid filter {sql:?}: {}", lance_message(&e))))?;
        Ok(Some(sql))
    }

    /// Reads records by id (in the order given; ids not found are left out), or all records that
    /// match `filter`, at most `limit` after skipping `offset`.
    pub fn get(&self, ids: Option<&[String]>, filter: Option<&Filter>, limit: Option<usize>, offset: usize) -> Result<GetResult> {
        self.ensure_open()?;
        let layout = self.layout();
        block_on(async {
            let pred = self.predicate(filter, &layout).await?;
            let mut out = GetResult { dim: layout.dim, ..Default::default() };
            let chunks: Vec<Option<String>> = match ids {
                Some(ids) if ids.is_empty() => return Ok(out),
                Some(ids) => ids
                    .chunks(IDS_PER_LOOKUP)
                    .map(|c| {
                        let by_id = filter::ids_predicate(c);
                        Some(match &pred {
                            Some(p) => format!("({by_id}) AND ({p})"),
                            None => by_id,
                        })
                    })
                    .collect(),
                None => vec![pred],
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
        let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let layout = self.layout();
        block_on(async {
            let pred = self.predicate(filter, &layout).await?;
            let predicates: Vec<String> = match ids {
                Some([]) => return Ok(0),
                Some(ids) => ids
                    .chunks(IDS_PER_LOOKUP * 8)
                    .map(|c| {
                        let by_id = filter::ids_predicate(c);
                        match &pred {
                            Some(p) => format!("({by_id}) AND ({p})"),
                            None => by_id,
                        }
                    })
                    .collect(),
                None => vec![pred.unwrap_or_else(|| "TRUE".into())],
            };
            let mut deleted = 0;
            for p in predicates {
                // Skip the commit when nothing matches: a delete is a new table version.
                if self.inner.table.count_rows(Some(p.clone())).await? == 0 {
                    continue;
                }
                let mirrored = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner()).is_some();
                let gone = if mirrored { self.matching_ids(Some(&p)).await? } else { Vec::new() };
                deleted += self.inner.table.delete(p.as_str()).await?.num_deleted_rows;
                if let Some(m) = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner()).as_mut() {
                    m.remove(gone.iter().map(String::as_str));
                }
            }
            Ok(deleted)
        })
    }

    /// The number of records, or of those matching `filter`.
    pub fn count(&self, filter: Option<&Filter>) -> Result<u64> {
        self.ensure_open()?;
        let layout = self.layout();
        block_on(async {
            let pred = self.predicate(filter, &layout).await?;
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
        let threads = options.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        if threads == 0 {
            return Err(Error::invalid_argument("threads must be at least 1"));
        }
        block_on(async {
            let pred = self.predicate(filter, &layout).await?;
            self.load_mirror().await?;
            let allowed = match &pred {
                Some(p) => Some(self.matching_ids(Some(p)).await?),
                None => None,
            };
            let hits: Vec<Vec<(String, f32)>> = {
                let guard = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner());
                let mirror = guard.as_ref().ok_or_else(|| Error::internal("the vector mirror is not loaded"))?;
                let mask = allowed.as_ref().map(|ids| mirror.mask_of(ids.iter().map(String::as_str)));
                (0..queries.len()).map(|i| mirror.search(queries.row(i), k, mask.as_deref(), threads, options)).collect()
            };
            if options.ids_only {
                return Ok(hits
                    .into_iter()
                    .map(|hits| {
                        let (ids, distances): (Vec<String>, Vec<f32>) = hits.into_iter().unzip();
                        let n = ids.len();
                        SearchResult { ids, distances, documents: vec![None; n], metadata: vec![Default::default(); n] }
                    })
                    .collect());
            }
            let mut wanted: Vec<String> = hits.iter().flatten().map(|(id, _)| id.clone()).collect();
            wanted.sort_unstable();
            wanted.dedup();
            let records = self.fetch(&wanted, &layout).await?;
            let pos: HashMap<&str, usize> = records.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
            Ok(hits
                .into_iter()
                .map(|hits| {
                    let mut out = SearchResult::default();
                    for (id, dist) in hits {
                        // A record deleted between the scan and the fetch is left out.
                        let Some(&i) = pos.get(id.as_str()) else { continue };
                        out.ids.push(id);
                        out.distances.push(dist);
                        out.documents.push(records.documents[i].clone());
                        out.metadata.push(records.metadata[i].clone());
                    }
                    out
                })
                .collect())
        })
    }

    /// Loads the vector mirror from Lance if this is the first search.
    async fn load_mirror(&self) -> Result<()> {
        if self.inner.mirror.read().unwrap_or_else(|p| p.into_inner()).is_some() {
            return Ok(());
        }
        // The write lock keeps writes out while loading, so the mirror misses none of them.
        let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        if self.inner.mirror.read().unwrap_or_else(|p| p.into_inner()).is_some() {
            return Ok(());
        }
        let layout = self.layout();
        let db = self.inner.db.path();
        let params = index_file::load_params(&index_file::params_path(db, &self.inner.name))?;
        let version = self.inner.table.version().await?;
        if let Some(params) = params {
            let path = index_file::index_path(db, &self.inner.name);
            if let Some(saved) = index_file::load(&path, version, layout.dim, layout.metric, params)? {
                *self.inner.mirror.write().unwrap_or_else(|p| p.into_inner()) = Some(saved);
                return Ok(());
            }
        }
        let mut mirror = Mirror::new(layout.dim, layout.metric);
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
        if let Some(params) = params {
            // The saved index was missing, damaged or stale: rebuild it from the data.
            mirror.build_index(params);
            index_file::save(&index_file::index_path(db, &self.inner.name), &mirror, version)?;
            mirror.dirty = false;
        }
        *self.inner.mirror.write().unwrap_or_else(|p| p.into_inner()) = Some(mirror);
        Ok(())
    }

    /// Builds an HNSW index over the collection's vectors (replacing any index), saves it, and
    /// keeps it current with every later write. Search uses it from then on.
    pub fn create_index(&self, params: HnswParams) -> Result<()> {
        self.ensure_open()?;
        if !(2..=128).contains(&params.m) {
            return Err(Error::invalid_argument(format!("m must be between 2 and 128, got {}", params.m)));
        }
        if !(1..=10_000).contains(&params.ef_construction) {
            return Err(Error::invalid_argument(format!(
                "ef_construction must be between 1 and 10000, got {}",
                params.ef_construction
            )));
        }
        block_on(async {
            self.load_mirror().await?;
            let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
            let db = self.inner.db.path();
            let mut slot = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner());
            let mirror = slot.as_mut().ok_or_else(|| Error::internal("the vector mirror is not loaded"))?;
            mirror.build_index(params);
            index_file::save_params(&index_file::params_path(db, &self.inner.name), params)?;
            let version = self.inner.table.version().await?;
            index_file::save(&index_file::index_path(db, &self.inner.name), mirror, version)?;
            mirror.dirty = false;
            Ok(())
        })
    }

    /// Removes the index (search scans exactly again). No index is not an error.
    pub fn drop_index(&self) -> Result<()> {
        self.ensure_open()?;
        let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        index_file::remove(self.inner.db.path(), &self.inner.name)?;
        if let Some(m) = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner()).as_mut() {
            m.drop_index();
        }
        Ok(())
    }

    /// The parameters of the collection's index, `None` without one.
    pub fn index_params(&self) -> Result<Option<HnswParams>> {
        self.ensure_open()?;
        index_file::load_params(&index_file::params_path(self.inner.db.path(), &self.inner.name))
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

    /// The records with the given ids, in no particular order.
    async fn fetch(&self, ids: &[String], layout: &Layout) -> Result<GetResult> {
        let mut out = GetResult { dim: layout.dim, ..Default::default() };
        for chunk in ids.chunks(IDS_PER_LOOKUP) {
            let q = self.inner.table.query().only_if(filter::ids_predicate(chunk));
            let batches: Vec<RecordBatch> = q.execute().await?.try_collect().await?;
            for b in &batches {
                out.append(b, layout)?;
            }
        }
        Ok(out)
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
