//! Storage upkeep of one collection: compaction of the fragments flushes leave and removal of old
//! versions (see `storage/lance.rs`), in the background, on close, or on `optimize`.

use super::*;

impl Collection {
    /// Storage maintenance past the thresholds of [`crate::storage::lance::maintain_table`]: compaction
    /// of the small fragments that flushes leave, and removal of old versions. The background
    /// flusher calls it for collections it flushed (version cleanup at most once per
    /// [`VERSION_GRACE`](crate::storage::lance::VERSION_GRACE) each), [`Database::close`] for every
    /// collection it has open (`closing`), so a store opened for one write at a time is kept
    /// compact as well.
    pub(crate) fn maintain_storage(&self, closing: bool) -> Result<()> {
        if self.inner.dropped.load(Ordering::Acquire) {
            return Ok(());
        }
        if !closing && (self.ensure_open().is_err() || self.inner.commits.load(Ordering::Relaxed) == 0) {
            return Ok(());
        }
        self.inner.commits.store(0, Ordering::Relaxed);
        let prune = closing || {
            let mut last = self.inner.pruned_at.lock().unwrap_or_else(|p| p.into_inner());
            let due = last.is_none_or(|t| t.elapsed() >= crate::storage::lance::VERSION_GRACE);
            if due {
                *last = Some(std::time::Instant::now());
            }
            due
        };
        crate::storage::runtime::block_on(async {
            // Compaction rewrites rows: keep flushes (and direct writes) out meanwhile.
            let _flush = self.inner.flush_lock.lock().unwrap_or_else(|p| p.into_inner());
            if self.inner.dropped.load(Ordering::Acquire) {
                return Ok(());
            }
            let start = std::time::Instant::now();
            let compacted = crate::storage::lance::maintain_table(&self.inner.table, prune).await;
            let compacted = match compacted {
                Ok(c) => c,
                Err(e) => {
                    self.metrics().record(crate::util::metrics::Op::Compaction, self.is_internal(), 0, start, Some(&e));
                    log::warn!("agentdb: compaction of '{}' failed (retried later): {}", self.inner.name, e.message());
                    return Err(e);
                }
            };
            if compacted {
                self.metrics().record(crate::util::metrics::Op::Compaction, self.is_internal(), 0, start, None);
                log::debug!("agentdb: compacted '{}'", self.inner.name);
                self.index_follows_version();
            }
            Ok(())
        })
    }

    /// Compacts the collection now (small fragments merged, deleted rows dropped; buffered writes
    /// are flushed first) and removes the versions replaced more than
    /// [`VERSION_GRACE`](crate::storage::lance::VERSION_GRACE) ago. Maintenance does this on its own
    /// past its thresholds; this is for explicit use (say, after a bulk delete).
    pub fn optimize(&self) -> Result<()> {
        self.timed(crate::util::metrics::Op::Compaction, 0, || self.optimize_untimed())
    }

    fn optimize_untimed(&self) -> Result<()> {
        self.ensure_open()?;
        self.inner.store.ensure_writable()?;
        crate::storage::runtime::block_on(async {
            let _flush = self.inner.flush_lock.lock().unwrap_or_else(|p| p.into_inner());
            self.flush_held(false).await?;
            // Before the compaction, not inside it: Lance's commit is the one step that must not
            // be cut.
            crate::util::cancel::check()?;
            crate::storage::lance::compact_table(&self.inner.table).await?;
            self.index_follows_version();
            Ok::<(), Error>(())
        })?;
        self.inner.store.sync_lance()
    }

    /// After a compaction (a new Lance version, the same records): the saved HNSW index names the
    /// Lance version it matches, so it is saved again on close rather than found stale and
    /// rebuilt on the next open.
    pub(super) fn index_follows_version(&self) {
        if let Some(m) = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner()).as_mut() {
            if m.index.is_some() {
                m.dirty = true;
            }
        }
    }
}
