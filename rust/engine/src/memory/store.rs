//! Writing and reading memories: remember, get, count, update, forget, and the write of the
//! access statistics recall leaves pending.

use super::*;

impl Memory {
    /// Stores memories; `vectors` holds one vector per item. Returns their ids, in order.
    ///
    /// The batch is checked whole first (ids unique and new, agent ids, importance in [0, 1],
    /// metadata keys not reserved, vectors of the store's dimension): a bad item rejects it and
    /// nothing is stored.
    pub fn remember(&self, items: &[NewMemory], vectors: Vectors<'_>) -> Result<Vec<String>> {
        self.shared.collection.metrics().time(crate::util::metrics::Op::Remember, false, items.len() as u64, || self.remember_untimed(items, vectors))
    }

    fn remember_untimed(&self, items: &[NewMemory], vectors: Vectors<'_>) -> Result<Vec<String>> {
        self.ensure_open()?;
        if vectors.len() != items.len() {
            return Err(Error::invalid_argument(format!("{} memories but {} vectors", items.len(), vectors.len())));
        }
        let now = now_micros();
        let mut rows = Vec::with_capacity(items.len());
        for (i, m) in items.iter().enumerate() {
            let at = || format!("memory {i}");
            let fail = |e: Error| Error::new(e.kind(), format!("memory {i}: {}", e.message()));
            check_text_field("agent_id", &m.agent_id).map_err(fail)?;
            if let Some(s) = &m.session_id {
                check_text_field("session_id", s).map_err(fail)?;
            }
            check_importance(m.importance).map_err(fail)?;
            check_user_metadata(&m.metadata, &at)?;
            let id = match &m.id {
                Some(id) => id.clone(),
                None => new_id(),
            };
            let created = m.created_at.unwrap_or(now);
            rows.push(Row {
                id,
                text: m.text.clone(),
                agent_id: m.agent_id.clone(),
                session_id: m.session_id.clone(),
                kind: m.kind,
                importance: m.importance,
                created,
                last_accessed: created,
                access_count: 0,
                metadata: m.metadata.clone(),
            });
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let _w = self.write_lock();
        {
            let t = self.table();
            if let Some((i, id)) = ids.iter().enumerate().find(|(_, id)| t.get(id).is_some()) {
                return Err(Error::new(
                    ErrorKind::DuplicateId,
                    format!("memory {i}: id {id:?} already exists in memory store '{}' (use update)", self.shared.name),
                ));
            }
        }
        let docs: Vec<Option<String>> = rows.iter().map(|r| r.text.clone()).collect();
        let meta: Vec<Metadata> = rows.iter().map(Row::stored_metadata).collect();
        self.shared.collection.add(&Records { ids: &ids, vectors, documents: Some(&docs), metadata: Some(&meta) })?;
        let mut t = self.table_mut();
        for (i, r) in rows.into_iter().enumerate() {
            t.insert(r, vectors.row(i));
        }
        Ok(ids)
    }

    /// The memories with the given ids, in that order (ids not found are left out), with their
    /// vectors.
    pub fn get(&self, ids: &[String]) -> Result<Vec<MemoryRecord>> {
        self.ensure_open()?;
        let stored = self.shared.collection.get(Some(ids), None, None, 0)?;
        let dim = stored.dim;
        let pos: HashMap<&str, usize> = stored.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let t = self.table();
        Ok(ids
            .iter()
            .filter_map(|id| {
                let row = t.get(id)?;
                let i = *pos.get(id.as_str())?;
                let mut rec = row.record();
                rec.vector = stored.vectors[i * dim..(i + 1) * dim].to_vec();
                Some(rec)
            })
            .collect())
    }

    /// The tokenizer of the store's text (BM25) recall.
    pub fn text_tokenizer(&self) -> TextTokenizer {
        self.table().text.tokenizer()
    }

    /// Sets the tokenizer of the store's text recall (kept with the store: a reopened store
    /// keeps it) and re-indexes every memory's text with it.
    pub fn set_text_tokenizer(&self, tokenizer: TextTokenizer) -> Result<()> {
        self.ensure_open()?;
        let _w = self.write_lock();
        if self.text_tokenizer() == tokenizer {
            return Ok(());
        }
        self.shared.collection.set_text_tokenizer(tokenizer)?;
        self.table_mut().set_tokenizer(tokenizer)
    }

    /// The number of memories passing `filter`.
    pub fn count(&self, filter: &MemoryFilter) -> Result<u64> {
        self.ensure_open()?;
        let c = self.compile(filter)?;
        Ok(self.table().count_matching(&c) as u64)
    }

    /// Changes one memory. Fails with [`ErrorKind::InvalidArgument`] when no memory has that id.
    pub fn update(&self, id: &str, change: &MemoryUpdate) -> Result<()> {
        self.ensure_open()?;
        if let Some(i) = change.importance {
            check_importance(i)?;
        }
        if let Some(m) = &change.metadata {
            check_user_metadata(m, &|| format!("memory {id:?}"))?;
        }
        let _w = self.write_lock();
        let Some(mut row) = self.table().get(id).cloned() else {
            return Err(Error::invalid_argument(format!("no memory with id {id:?} in store '{}'", self.shared.name)));
        };
        if let Some(t) = &change.text {
            row.text = t.clone();
        }
        if let Some(i) = change.importance {
            row.importance = i;
        }
        if let Some(m) = &change.metadata {
            row.metadata = m.clone();
        }
        let ids = [row.id.clone()];
        let vector = match &change.vector {
            Some(v) => v.clone(),
            None => {
                let stored = self.shared.collection.get(Some(&ids), None, None, 0)?;
                if stored.ids.is_empty() {
                    return Err(Error::internal(format!("memory {id:?} is missing from storage")));
                }
                stored.vectors
            }
        };
        let docs = [row.text.clone()];
        let meta = [row.stored_metadata()];
        let rows = [vector];
        self.shared.collection.upsert(&Records {
            ids: &ids,
            vectors: Vectors::Rows(&rows),
            documents: Some(&docs),
            metadata: Some(&meta),
        })?;
        let mut t = self.table_mut();
        t.pending.remove(id);
        t.replace(row);
        if change.vector.is_some() {
            t.set_vector(id, &rows[0]);
        }
        Ok(())
    }

    /// Deletes the memories with the given ids and/or passing `filter` (both: those that satisfy
    /// both). Returns how many were deleted. With neither, fails (an empty filter would delete
    /// everything; use `forget(None, &MemoryFilter::agent(a))` and the like).
    pub fn forget(&self, ids: Option<&[String]>, filter: &MemoryFilter) -> Result<u64> {
        self.shared.collection.metrics().time(crate::util::metrics::Op::Forget, false, ids.map_or(0, <[String]>::len) as u64, || self.forget_untimed(ids, filter))
    }

    fn forget_untimed(&self, ids: Option<&[String]>, filter: &MemoryFilter) -> Result<u64> {
        self.ensure_open()?;
        if ids.is_none() && filter.is_empty() {
            return Err(Error::invalid_argument("forget needs ids or a filter"));
        }
        let c = self.compile(filter)?;
        let _w = self.write_lock();
        let targets: Vec<String> = {
            let t = self.table();
            match ids {
                Some(ids) => {
                    let mut seen = HashSet::new();
                    ids.iter().filter(|id| t.get(id).is_some_and(|r| c.matches(r)) && seen.insert(id.as_str())).cloned().collect()
                }
                None => t.matching(&c).into_iter().map(|s| t.row(s).id.clone()).collect(),
            }
        };
        self.delete_locked(&targets)?;
        Ok(targets.len() as u64)
    }

    /// Deletes from storage, then from the table; the store's write lock is held.
    pub(super) fn delete_locked(&self, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.shared.collection.delete(Some(ids), None)?;
        let mut t = self.table_mut();
        for id in ids {
            t.remove(id);
        }
        Ok(())
    }

    /// Writes the access statistics that recalls changed since the last write (one upsert).
    pub fn flush(&self) -> Result<()> {
        self.ensure_open()?;
        Self::flush_shared(&self.shared)
    }

    pub(super) fn flush_shared(shared: &MemoryShared) -> Result<()> {
        let _w = shared.write.lock().unwrap_or_else(|p| p.into_inner());
        let (ids, rows): (Vec<String>, Vec<Row>) = {
            let mut t = shared.table.write().unwrap_or_else(|p| p.into_inner());
            let ids: Vec<String> = t.pending.drain().collect();
            t.pending_since = None;
            let rows = ids.iter().filter_map(|id| t.get(id).cloned()).collect();
            (ids, rows)
        };
        if rows.is_empty() {
            return Ok(());
        }
        let result = Self::write_rows(shared, &rows);
        if result.is_err() {
            // Keep them pending, so the next flush tries again.
            let mut t = shared.table.write().unwrap_or_else(|p| p.into_inner());
            for id in ids {
                if t.get(&id).is_some() {
                    t.pending.insert(id);
                }
            }
            t.pending_since.get_or_insert_with(Instant::now);
        }
        result
    }

    /// Upserts whole rows (their vectors read back from storage); the write lock is held.
    pub(super) fn write_rows(shared: &MemoryShared, rows: &[Row]) -> Result<()> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let stored = shared.collection.get(Some(&ids), None, None, 0)?;
        let dim = stored.dim;
        let pos: HashMap<&str, usize> = stored.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let mut out_ids = Vec::with_capacity(rows.len());
        let mut vectors = Vec::with_capacity(rows.len() * dim);
        let mut docs = Vec::with_capacity(rows.len());
        let mut meta = Vec::with_capacity(rows.len());
        for r in rows {
            let Some(&i) = pos.get(r.id.as_str()) else { continue };
            out_ids.push(r.id.clone());
            vectors.extend_from_slice(&stored.vectors[i * dim..(i + 1) * dim]);
            docs.push(r.text.clone());
            meta.push(r.stored_metadata());
        }
        shared.collection.upsert(&Records {
            ids: &out_ids,
            vectors: Vectors::Flat { data: &vectors, dim },
            documents: Some(&docs),
            metadata: Some(&meta),
        })
    }
}
