//! Flushing a collection's buffer: its layers become one Lance commit.

use super::*;

impl Collection {
    /// Writes the buffer to Lance (the log consumer's flush). Returns the highest LSN flushed.
    pub(crate) fn flush_buffer(&self) -> Result<Option<u64>> {
        crate::storage::runtime::block_on(self.flush_buffer_async())
    }

    pub(crate) async fn flush_buffer_async(&self) -> Result<Option<u64>> {
        let _flush = self.inner.flush_lock.lock().unwrap_or_else(|p| p.into_inner());
        // Dropped while this waited for the lock: its table is gone (a commit would recreate
        // its directory).
        if self.inner.dropped.load(Ordering::Acquire) {
            return Ok(None);
        }
        self.flush_held(false).await
    }

    /// The flush proper; the caller holds flush_lock (and write_lock when `write_held`). A layer
    /// whose commit failed earlier goes first, then everything buffered up to now.
    pub(in crate::collection) async fn flush_held(&self, write_held: bool) -> Result<Option<u64>> {
        let retried = self.commit_flushing().await?;
        {
            // Writers put into `active` under the write lock: holding it for the swap means the
            // swap catches every write whose record was submitted before.
            let _write = (!write_held).then(|| self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner()));
            let mut ov = self.overlay();
            if !ov.active.ops.is_empty() {
                let layer = std::mem::take(&mut ov.active);
                ov.flushing = Some(Arc::new(layer));
            }
        }
        Ok(retried.max(self.commit_flushing().await?))
    }

    /// Commits the `flushing` layer, if any, and retires it. Readers are kept out meanwhile, so
    /// they see it either buffered or in Lance, never half of it.
    async fn commit_flushing(&self) -> Result<Option<u64>> {
        let Some(layer) = self.overlay().flushing.clone() else { return Ok(None) };
        let _gate = self.inner.gate.write().unwrap_or_else(|p| p.into_inner());
        self.commit_layer(&layer).await?;
        self.overlay().flushing = None;
        Ok(Some(layer.max_lsn))
    }

    /// One layer into Lance as one Lance commit, so that every table version another process can
    /// check out holds all of the layer or none of it:
    /// - puts only, none of them stored yet: an append;
    /// - anything else: one merge on `id` (stored ids updated, new ones inserted, and the
    ///   layer's deleted ids that are stored removed: "not matched by source, delete if
    ///   `id IN (…)`");
    /// - deletes only: one delete.
    ///
    /// (It used to delete the replaced ids and then append their rows: two commits, and a
    /// read-only reader elsewhere, which follows every commit, could land between them and see the
    /// rows missing.) A schema-only commit adding the layer's new metadata columns may come
    /// first; it changes no row.
    async fn commit_layer(&self, layer: &Layer) -> Result<()> {
        let mut ops: Vec<(&String, &(u64, Op))> = layer.ops.iter().collect();
        ops.sort_unstable_by_key(|(_, (seq, _))| *seq);
        let mut put_ids: Vec<String> = Vec::new();
        let mut rows: Vec<&Row> = Vec::new();
        let mut deleted: Vec<String> = Vec::new();
        for (id, (_, op)) in ops {
            match op {
                Op::Put(row) => {
                    put_ids.push(id.clone());
                    rows.push(row);
                }
                Op::Delete => deleted.push(id.clone()),
            }
        }
        let table = &self.inner.table;
        // Only the deletes that match a stored record (a replayed delete may match nothing, and
        // a delete that matches nothing would still be a new version).
        let doomed: Vec<String> =
            if deleted.is_empty() { Vec::new() } else { self.existing(&deleted).await?.into_keys().collect() };
        let doomed_pred = (!doomed.is_empty()).then(|| {
            // `id IN (…)` lists of bounded length, OR-ed: one predicate, one commit.
            filter::Expr::any(doomed.chunks(4096).map(filter::Expr::ids).collect()).to_sql()
        });
        if rows.is_empty() {
            if let Some(pred) = doomed_pred {
                table.delete(&pred).await?;
            }
        } else {
            let mut layout = self.layout();
            let vectors: Vec<Vec<f32>> = rows.iter().map(|r| r.vector.clone()).collect();
            let documents: Vec<Option<String>> = rows.iter().map(|r| r.document.clone()).collect();
            let metadata: Vec<Metadata> = rows.iter().map(|r| r.metadata.clone()).collect();
            let records = Records {
                ids: &put_ids,
                vectors: Vectors::Rows(&vectors),
                documents: Some(&documents),
                metadata: Some(&metadata),
            };
            // Replayed rows may name keys whose column a crash kept from being added.
            let checked = records::validate(&records, &layout)?;
            if !checked.new_columns.is_empty() {
                layout = self.add_meta_columns(&checked.new_columns).await?;
            }
            let created: Vec<i64> = rows.iter().map(|r| r.created).collect();
            let schema = table.schema().await?;
            let batch = records::to_batch(&records, &layout, schema.clone(), &created, 0)?;
            let at = schema.index_of(schema::UPDATED_AT)?;
            let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
            let updated = TimestampMicrosecondArray::from(rows.iter().map(|r| r.updated).collect::<Vec<_>>()).with_timezone("UTC");
            columns[at] = arrow::compute::cast(&updated, schema.field(at).data_type())?;
            let batch = RecordBatch::try_new(schema.clone(), columns)?;
            let replaces = doomed_pred.is_some() || !self.existing(&put_ids).await?.is_empty();
            if replaces {
                let mut merge = table.merge_insert(&[schema::ID]);
                merge.when_matched_update_all(None).when_not_matched_insert_all();
                if let Some(pred) = doomed_pred {
                    merge.when_not_matched_by_source_delete(Some(pred));
                }
                merge.execute(Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema))).await?;
            } else {
                table.add(batch).execute().await?;
            }
        }
        self.inner.commits.fetch_add(1, Ordering::Relaxed);
        self.maintain_id_index().await
    }

    /// Adds nullable metadata columns (a schema-only commit) and returns the new layout.
    pub(crate) async fn add_meta_columns(&self, cols: &[(String, MetaType)]) -> Result<Layout> {
        self.inner
            .table
            .add_columns()
            .transform(NewColumnTransform::AllNulls(records::meta_schema(cols)))
            .execute()
            .await?;
        let schema = self.inner.table.schema().await?;
        let layout = Layout::from_schema(&self.inner.name, &schema)?;
        *self.inner.layout.write().unwrap_or_else(|p| p.into_inner()) = layout.clone();
        Ok(layout)
    }
}
