//! Vector indexes of a collection: creating and dropping them, their parameters, and saving the
//! HNSW graph between sessions.

use super::*;
use crate::util::cancel;

impl Collection {
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
        self.inner.store.ensure_writable()?;
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
        // Read on this thread: the build runs on helper threads, which have no token attached.
        let cancel = cancel::current();
        block_on(async {
            let db = self.inner.store.path();
            match params {
                IndexParams::Hnsw(p) => {
                    self.load_mirror().await?;
                    let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
                    // Writes still buffered will be flushed as a new Lance version, which the file
                    // saved now does not name: it stays to be saved again (on close), or the next
                    // open would find it stale and rebuild the index (verify reported it).
                    let buffered = !self.inner.overlay.lock().unwrap_or_else(|p| p.into_inner()).is_empty();
                    let mut slot = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner());
                    let mirror = slot.as_mut().ok_or_else(|| Error::internal("the vector mirror is not loaded"))?;
                    if !mirror.build_index_until(p, cancel.as_ref()) {
                        // Cancelled: the mirror is compacted and half indexed. Unloaded, it is
                        // loaded again by the next call from storage, where the old index and
                        // its parameters are still saved: the old index serves on.
                        *slot = None;
                        return Err(cancel::cancelled());
                    }
                    let version = self.inner.table.version().await?;
                    index_file::save(&index_file::index_path(db, &self.inner.name), mirror, version)?;
                    mirror.dirty = buffered;
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
                    let build = async {
                        Ok(self
                            .inner
                            .table
                            .create_index(&[schema::VECTOR], Index::IvfPq(builder))
                            .name(VECTOR_INDEX.to_string())
                            .replace(true)
                            .execute()
                            .await?)
                    };
                    // Lance commits the new index atomically at its end: dropped before, the old
                    // index (or none) stays the table's.
                    cancel::race(cancel.as_ref(), build).await?;
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
        self.inner.store.ensure_writable()?;
        let _guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        block_on(self.drop_lance_vector_index())?;
        self.inner.store.remove_index_files(&self.inner.name)?;
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
        let p = self.inner.store.load_index_params(&self.inner.name)?;
        *self.inner.index_params.write().unwrap_or_else(|p| p.into_inner()) = Some(p);
        Ok(p)
    }

    pub(super) fn set_index_params(&self, params: IndexParams) -> Result<()> {
        self.inner.store.save_index_params(&self.inner.name, params)?;
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
    pub(super) async fn search_lance(
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
        index_file::save(&index_file::index_path(self.inner.store.path(), &self.inner.name), mirror, version)?;
        mirror.dirty = false;
        Ok(())
    }

    /// Whether the index in memory has changes its saved file does not (the file is then behind
    /// the table's version by design, and saved on close).
    pub(crate) fn index_unsaved(&self) -> bool {
        let slot = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner());
        slot.as_ref().is_some_and(|m| m.dirty && m.index.is_some())
    }

    /// Writes the index file now from the index in memory, or, when none is loaded, loads it
    /// (rebuilding it from Lance, and saving it, when its file is missing, stale or damaged):
    /// verify's repair of an index file.
    pub(crate) fn rewrite_index(&self) -> Result<()> {
        self.ensure_open()?;
        {
            let mut slot = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner());
            if let Some(m) = slot.as_mut().filter(|m| m.index.is_some()) {
                m.dirty = true;
            }
        }
        block_on(self.load_mirror())?;
        self.save_index()
    }

    /// The ids of the records matching a compiled predicate (all when `None`).
    pub(super) async fn matching_ids(&self, pred: Option<&str>) -> Result<Vec<String>> {
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
