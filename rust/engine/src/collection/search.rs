//! Nearest-neighbour search: exact or through the collection's index, one query or a batch, with
//! the hits' documents and metadata.

use super::*;

/// Queries of a batch search between two looks at the call's cancel token.
const CANCEL_EVERY: usize = 32;

impl Collection {
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
    /// that lets through under 5% of the records is answered by the exact scan of its rows
    /// instead. A filter is evaluated by Lance once into a set of rows, which later searches with
    /// the same filter reuse until the next write.
    pub fn search_batch_with(
        &self,
        queries: Vectors<'_>,
        k: usize,
        filter: Option<&Filter>,
        options: &SearchOptions,
    ) -> Result<Vec<SearchResult>> {
        let n = queries.len();
        self.timed(Op::Search, n, || self.search_batch_untimed(queries, k, filter, options))
    }

    fn search_batch_untimed(
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
        let threads = options.threads.unwrap_or_else(crate::util::cores::available);
        if threads == 0 {
            return Err(Error::invalid_argument("threads must be at least 1"));
        }
        block_on(async {
            if let Some(IndexParams::IvfPq(_)) = self.cached_index_params()? {
                let pred = self.predicate(filter, &layout).await?;
                let _view = self.lance_view().await?;
                return self.search_lance(queries, k, pred.as_deref(), options, &layout).await;
            }
            // Compiled before anything loads, so a bad filter fails first.
            let sql = match filter {
                Some(f) => filter::compile(f, &layout)?.map(|tree| tree.to_sql()),
                None => None,
            };
            self.load_mirror().await?;
            let rows = match &sql {
                Some(sql) => Some(self.filter_rows(sql).await?),
                None => None,
            };
            let include = options.include;
            if include.any() {
                self.load_payloads().await?;
            }
            {
                let guard = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner());
                let mirror = guard.as_ref().ok_or_else(|| Error::internal("the vector mirror is not loaded"))?;
                let mask = rows.as_deref();
                let mut hits: Vec<Vec<(String, f32)>> = Vec::with_capacity(queries.len());
                for i in 0..queries.len() {
                    // A safe point every few queries (a search writes nothing).
                    if i % CANCEL_EVERY == 0 {
                        crate::util::cancel::check()?;
                    }
                    hits.push(mirror.search(queries.row(i), k, mask, threads, options));
                }
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

    /// The mirror rows that the filter `sql` lets through. Lance evaluates it (the semantics of
    /// every other filtered read) once per state of the records: the rows are kept with the
    /// mirror, which forgets them at the next write, so repeated searches with one filter ask
    /// Lance nothing (nor flush the write buffer, as a Lance read must).
    async fn filter_rows(&self, sql: &str) -> Result<Arc<RowFilter>> {
        let generation = {
            let guard = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner());
            let mirror = guard.as_ref().ok_or_else(|| Error::internal("the vector mirror is not loaded"))?;
            if let Some(rows) = mirror.kept_filter(sql) {
                crate::index::hnsw::count_filter(true);
                return Ok(rows);
            }
            mirror.generation()
        };
        self.check_predicate(sql).await?;
        let ids = {
            let _view = self.lance_view().await?;
            self.matching_ids(Some(sql)).await?
        };
        crate::index::hnsw::count_filter(false);
        let guard = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner());
        let mirror = guard.as_ref().ok_or_else(|| Error::internal("the vector mirror is not loaded"))?;
        // Lance was read after the mirror reached `generation`, and every write reaches Lance
        // before the mirror: kept only if no write reached the mirror meanwhile, the rows are
        // those of this state. Otherwise they serve this search only, as an uncached filter would.
        let rows = Arc::new(mirror.row_filter(ids.iter().map(String::as_str)));
        mirror.keep_filter(sql.to_string(), generation, rows.clone());
        Ok(rows)
    }

    /// Loads the payload cache if it is not loaded (the mirror is), under the same locks as the
    /// mirror's load, so it misses no write.
    async fn load_payloads(&self) -> Result<()> {
        if !matches!(*self.inner.payloads.read().unwrap_or_else(|p| p.into_inner()), PayloadCache::Unloaded) {
            return Ok(());
        }
        let limit = self.inner.store.payload_cache_bytes();
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
}

/// One query's hits with their payload: `payload(id)` gives a hit's document and metadata, `None`
/// for a hit no longer there (left out). Parts not in `include` are `None` / empty.
pub(super) fn with_payload(
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
