//! The collection's in-memory copies of its records, the vector mirror and the payload cache:
//! loaded on the first search, kept in step by every write.

use super::*;

impl Collection {
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
        if !self.inner.store.is_read_only() || self.inner.mirror.read().unwrap_or_else(|p| p.into_inner()).is_none() {
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
        let db = self.inner.store.path();
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
            let start = std::time::Instant::now();
            mirror.build_index(params);
            log::info!(
                "agentdb: rebuilt the HNSW index of '{}' ({} rows) in {:?}: its saved index was missing, damaged or stale",
                self.inner.name,
                mirror.footprint().rows,
                start.elapsed()
            );
            if self.inner.store.ensure_writable().is_ok() {
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
    pub(super) fn mirror_vectors_file(&self) -> Option<std::path::PathBuf> {
        let writable = self.inner.store.ensure_writable().is_ok();
        writable.then(|| index_file::vectors_path(self.inner.store.path(), &self.inner.name))
    }
}
