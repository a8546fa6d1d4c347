//! What export and import need from a collection: every record as of one Lance version, streamed
//! in batches, and records written with the creation times they had.

use super::*;

impl Collection {
    /// Calls `each` with the records in batches (Lance's, about 8k rows), every record as of
    /// one Lance version: buffered writes are flushed first, and the scan then reads the version
    /// it started on while writers go on. Returns how many records were passed.
    pub fn scan(&self, each: &mut dyn FnMut(&GetResult) -> Result<()>) -> Result<u64> {
        self.ensure_open()?;
        let layout = self.layout();
        block_on(async {
            // The gate only while the scan starts: Lance's stream holds its version itself.
            let stream = {
                let _view = self.lance_view().await?;
                self.inner.table.query().execute().await?
            };
            futures::pin_mut!(stream);
            let mut n = 0u64;
            while let Some(batch) = stream.try_next().await? {
                let mut part = GetResult { dim: layout.dim, ..Default::default() };
                part.append(&batch, &layout)?;
                n += part.ids.len() as u64;
                each(&part)?;
            }
            Ok(n)
        })
    }

    /// Adds records that carry their own creation times (`created_at[i]` for record i,
    /// microseconds since the epoch), in one Lance commit; fails like [`Collection::add`] on an
    /// id that exists. The update time is now.
    pub fn add_with_created(&self, records: &Records<'_>, created_at: &[i64]) -> Result<()> {
        if created_at.len() != records.ids.len() {
            return Err(Error::invalid_argument(format!(
                "{} creation times for {} records",
                created_at.len(),
                records.ids.len()
            )));
        }
        self.ensure_open()?;
        self.inner.store.ensure_writable()?;
        self.timed(Op::Add, records.ids.len(), || {
            self.write_direct(records, WriteMode::Add, Some(created_at))?;
            self.end_direct()
        })
    }
}
