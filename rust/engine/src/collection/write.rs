//! Writing a collection: add, upsert, replace and delete, logged and buffered (see `buffer.rs`) or
//! committed to Lance directly, and the id index the duplicate checks rely on.

use super::*;

impl Collection {
    /// Inserts new records. Fails with [`ErrorKind::DuplicateId`] if any id already exists (or
    /// repeats within the batch); then nothing is written.
    pub fn add(&self, records: &Records<'_>) -> Result<()> {
        self.timed(Op::Add, records.ids.len(), || self.write(records, WriteMode::Add).map(|_| ()))
    }

    /// Inserts records, replacing those whose id exists (vector, document and metadata are all
    /// replaced; the creation time is kept).
    pub fn upsert(&self, records: &Records<'_>) -> Result<()> {
        self.timed(Op::Upsert, records.ids.len(), || self.write(records, WriteMode::Upsert).map(|_| ()))
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

    pub(super) fn write(&self, records: &Records<'_>, mode: WriteMode<'_>) -> Result<u64> {
        self.ensure_open()?;
        self.inner.store.ensure_writable()?;
        if !matches!(mode, WriteMode::Replace(_)) && self.logs(records.ids.len()) {
            return self.write_logged(records, mode == WriteMode::Add).map(|()| 0);
        }
        let n = self.write_direct(records, mode, None)?;
        self.end_direct()?;
        Ok(n)
    }

    /// A write as one Lance commit of its own (large batches, `replace`). `created_at` gives the
    /// new rows' creation times (an import); `None`: now, and kept for rows that exist.
    pub(crate) fn write_direct(&self, records: &Records<'_>, mode: WriteMode<'_>, created_at: Option<&[i64]>) -> Result<u64> {
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
            let created: Vec<i64> = match created_at {
                Some(given) => given.to_vec(),
                None => records.ids.iter().map(|id| existing.get(id).copied().unwrap_or(now)).collect(),
            };
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
                let metadata = records.metadata.map(|m| crate::collection::buffer::normalise(&m[i], &layout)).unwrap_or_default();
                (document, metadata)
            });
            self.maintain_id_index().await?;
            Ok(deleted)
        })
    }

    /// Deletes the records matching a compiled predicate, the write lock being held.
    pub(super) fn delete_locked(&self, pred: &str) -> Result<u64> {
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

    /// Deletes the records with the given ids and/or matching `filter` (both given: records that
    /// satisfy both). Returns how many were deleted; ids not present are not an error.
    pub fn delete(&self, ids: Option<&[String]>, filter: Option<&Filter>) -> Result<u64> {
        self.timed(Op::Delete, ids.map_or(0, <[String]>::len), || self.delete_untimed(ids, filter))
    }

    fn delete_untimed(&self, ids: Option<&[String]>, filter: Option<&Filter>) -> Result<u64> {
        self.ensure_open()?;
        if ids.is_none() && filter.is_none() {
            return Err(Error::invalid_argument("delete needs ids or a filter (use a filter that matches all to clear)"));
        }
        self.inner.store.ensure_writable()?;
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
}
