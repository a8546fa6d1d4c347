//! Staged writes: records written as Lance data files by many processes, committed once.
//!
//! A distributed ingest (Ray workers, `agentdb.ray.ingest`) cannot go through one process's
//! write path: the database has one writer. So each worker opens the database (read-only is
//! enough), calls [`Collection::stage`], which writes its records as Lance fragments in the
//! table's directory without committing them, and sends the returned bytes to the writer;
//! the writer calls [`Collection::commit_staged`] with every worker's bytes, which checks the ids
//! and makes all the fragments visible in one Lance `Append` commit. Until then no reader sees any
//! of it, and a part that is never committed is only unreferenced files, which Lance's cleanup
//! removes (`cleanup_old_versions` with unverified files).
//!
//! This is Lance's own two-step write (`InsertBuilder::execute_uncommitted` → `CommitBuilder`),
//! the one LanceDB's parallel insert uses inside a process; what is ours is the envelope that
//! crosses processes (the fragments' JSON, Lance's own serde form, plus the ids the commit checks)
//! and bringing the collection's own state up to date after the commit.
//!
//! Limits: a staged write is an `add` (ids must be new; no upsert), and its metadata keys must
//! already be columns of the collection (a new key needs a schema change, which only the writer
//! can commit, and fragments written against two different schemas could not be appended
//! together). The driver writes a record carrying each new key through `add` first.

use std::collections::HashSet;

use lance::dataset::transaction::{Operation, Transaction};
use lance::dataset::{CommitBuilder, InsertBuilder, WriteMode as LanceWriteMode, WriteParams};
use lance::table::format::Fragment;

use super::*;

/// Names the envelope, so bytes of anything else are refused with a clear error.
const FORMAT: &str = "agentdb-staged-write/1";

/// One staged part, as it crosses processes: JSON (the fragments in Lance's own serde form).
struct StagedPart {
    format: String,
    collection: String,
    /// The Lance fields (name, field id) the fragments' data files were written with: the commit
    /// refuses them if the table's schema no longer has those fields under those ids.
    fields: Vec<(String, i32)>,
    fragments: Vec<Fragment>,
    ids: Vec<String>,
}

impl StagedPart {
    fn encode(&self) -> Result<Vec<u8>> {
        let fragments = serde_json::to_value(&self.fragments).map_err(|e| Error::internal(format!("encoding fragments: {e}")))?;
        let value = serde_json::json!({
            "format": self.format,
            "collection": self.collection,
            "fields": self.fields,
            "fragments": fragments,
            "ids": self.ids,
        });
        Ok(value.to_string().into_bytes())
    }

    fn decode(bytes: &[u8]) -> std::result::Result<Self, String> {
        let mut v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let format = v.get("format").and_then(|f| f.as_str()).unwrap_or_default().to_string();
        if format != FORMAT {
            return Err(format!("its format is {format:?}, not {FORMAT:?}"));
        }
        let mut take = |key: &str| v.get_mut(key).map(serde_json::Value::take).ok_or_else(|| format!("no {key:?}"));
        let collection = serde_json::from_value(take("collection")?).map_err(|e| format!("collection: {e}"))?;
        let fields = serde_json::from_value(take("fields")?).map_err(|e| format!("fields: {e}"))?;
        let fragments = serde_json::from_value(take("fragments")?).map_err(|e| format!("fragments: {e}"))?;
        let ids = serde_json::from_value(take("ids")?).map_err(|e| format!("ids: {e}"))?;
        Ok(StagedPart { format, collection, fields, fragments, ids })
    }
}

impl Collection {
    /// Writes `records` as Lance data files of this collection without committing them, and
    /// returns what [`Collection::commit_staged`] needs to commit them (a few hundred bytes plus
    /// the ids). Works on a read-only handle: nothing becomes visible until the writer commits.
    /// The records are validated as by [`Collection::add`] (except that an id already in the
    /// collection is found only at commit); a metadata key that is not yet a column is an
    /// [`ErrorKind::InvalidMetadata`].
    pub fn stage(&self, records: &Records<'_>) -> Result<Vec<u8>> {
        self.ensure_open()?;
        let layout = self.layout();
        let checked = records::validate(records, &layout)?;
        if let Some((key, _)) = checked.new_columns.first() {
            return Err(Error::invalid_metadata(format!(
                "metadata key {key:?} is not a column of collection '{}' yet: a staged write cannot add columns \
                 (write one record carrying the key with add or upsert first)",
                self.inner.name
            )));
        }
        block_on(async {
            let dataset = self.dataset().await?;
            let schema = self.inner.table.schema().await?;
            let now = now_micros();
            let created = vec![now; records.ids.len()];
            let fragments = if records.ids.is_empty() {
                Vec::new()
            } else {
                let batch = records::to_batch(records, &layout, schema, &created, now)?;
                let params = WriteParams { mode: LanceWriteMode::Append, ..Default::default() };
                let txn = InsertBuilder::new(dataset.clone())
                    .with_params(&params)
                    .execute_uncommitted(vec![batch])
                    .await
                    .map_err(lancedb::Error::from)?;
                match txn.operation {
                    Operation::Append { fragments } => fragments,
                    other => return Err(Error::internal(format!("an uncommitted append gave a {} operation", other.name()))),
                }
            };
            let part = StagedPart {
                format: FORMAT.into(),
                collection: self.inner.name.clone(),
                fields: dataset.schema().fields_pre_order().map(|f| (f.name.clone(), f.id)).collect(),
                fragments,
                ids: records.ids.to_vec(),
            };
            part.encode()
        })
    }

    /// Commits staged parts (from [`Collection::stage`], in any processes) as one Lance commit:
    /// all their records become visible together, or none do. Fails with
    /// [`ErrorKind::DuplicateId`] if an id repeats across the parts or is already in the
    /// collection, and with [`ErrorKind::InvalidArgument`] on bytes that are not a staged part of
    /// this collection or were staged against columns the table no longer has; then nothing is
    /// committed. Returns how many records were added. A search, get or count right after sees
    /// them.
    pub fn commit_staged(&self, parts: &[&[u8]]) -> Result<u64> {
        self.ensure_open()?;
        self.inner.store.ensure_writable()?;
        let mut decoded = Vec::with_capacity(parts.len());
        for (i, bytes) in parts.iter().enumerate() {
            let part = StagedPart::decode(bytes).map_err(|why| Error::invalid_argument(format!("part {i} is not a staged write: {why}")))?;
            if part.collection != self.inner.name {
                return Err(Error::invalid_argument(format!(
                    "part {i} was staged for collection '{}', not '{}'",
                    part.collection, self.inner.name
                )));
            }
            let rows: u64 = part.fragments.iter().map(|f| f.physical_rows.unwrap_or(0) as u64).sum();
            if rows != part.ids.len() as u64 {
                return Err(Error::invalid_argument(format!(
                    "part {i} holds {rows} rows for {} ids",
                    part.ids.len()
                )));
            }
            decoded.push(part);
        }
        let total: usize = decoded.iter().map(|p| p.ids.len()).sum();
        self.timed(Op::Add, total, || {
            if total == 0 {
                return Ok(0);
            }
            let n = self.commit_parts(decoded)?;
            self.end_direct()?;
            Ok(n)
        })
    }

    fn commit_parts(&self, parts: Vec<StagedPart>) -> Result<u64> {
        // Buffered writes reach Lance (and the log notes it) before this commit, as for any
        // direct write; the locks keep every other write out until the state below is current.
        let _direct = block_on(self.begin_direct())?;
        block_on(async {
            let mut seen: HashSet<&str> = HashSet::new();
            let mut ids: Vec<String> = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                for id in &part.ids {
                    if !seen.insert(id.as_str()) {
                        return Err(Error::new(
                            ErrorKind::DuplicateId,
                            format!("id {id:?} of part {i} is staged more than once"),
                        ));
                    }
                    ids.push(id.clone());
                }
            }
            let existing = self.existing(&ids).await?;
            if let Some(id) = ids.iter().find(|id| existing.contains_key(*id)) {
                return Err(Error::new(
                    ErrorKind::DuplicateId,
                    format!("id {id:?} already exists in collection '{}'", self.inner.name),
                ));
            }
            let dataset = self.dataset().await?;
            let schema = dataset.schema();
            for (i, part) in parts.iter().enumerate() {
                for (name, id) in &part.fields {
                    if schema.field_by_id(*id).is_none_or(|f| &f.name != name) {
                        return Err(Error::invalid_argument(format!(
                            "part {i} was staged against column {name:?} (field {id}), which the table no longer has"
                        )));
                    }
                }
            }
            let fragments: Vec<Fragment> = parts.into_iter().flat_map(|p| p.fragments).collect();
            // Lance gives appended fragments their ids at commit, so parts staged apart do not clash.
            let txn = Transaction::new(dataset.version().version, Operation::Append { fragments }, None);
            let committed = CommitBuilder::new(dataset.clone()).execute(txn).await.map_err(lancedb::Error::from)?;
            self.inner.table.dataset().ok_or_else(|| Error::internal("a collection's table has no dataset"))?.update(committed);
            // The mirror (and its HNSW graph) and the payload cache do not hold the new rows;
            // they are loaded again by the next search (the saved HNSW index is stale by its
            // Lance version and is rebuilt). Cheaper than reading the staged rows back here, and
            // a bulk commit is followed by few searches before the next.
            self.forget_copies();
            self.maintain_id_index().await?;
            Ok(ids.len() as u64)
        })
    }

    /// The collection's Lance dataset at its latest version.
    async fn dataset(&self) -> Result<std::sync::Arc<lance::Dataset>> {
        let wrapper = self.inner.table.dataset().ok_or_else(|| Error::internal("a collection's table has no dataset"))?;
        Ok(wrapper.get().await?)
    }
}

#[cfg(test)]
mod tests {
    use crate::types::records::{Records, Vectors};
    use crate::types::value::{Metadata, Value};
    use crate::{Database, ErrorKind, Metric, OpenOptions};

    fn part(c: &crate::Collection, ids: &[String], x: f32) -> crate::Result<Vec<u8>> {
        let data: Vec<f32> = ids.iter().enumerate().flat_map(|(i, _)| [x, i as f32]).collect();
        let mut meta = Metadata::new();
        meta.insert("tag".into(), Value::Str("staged".into()));
        let metadata = vec![meta; ids.len()];
        let documents: Vec<Option<String>> = ids.iter().map(|id| Some(format!("doc {id}"))).collect();
        c.stage(&Records {
            ids,
            vectors: Vectors::Flat { data: &data, dim: 2 },
            documents: Some(&documents),
            metadata: Some(&metadata),
        })
    }

    fn ids(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    /// Parts staged by read-only handles (as Ray workers are) are invisible until the writer
    /// commits them, then all visible at once, to search (whose mirror was loaded before) too.
    #[test]
    fn staged_parts_commit_once_and_are_searchable() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let c = db.create_collection("c", 2, Metric::L2).unwrap();
        // The `tag` column, through the ordinary (logged) path; the search loads the mirror.
        let seed = ids("seed", 3);
        c.add(&Records {
            ids: &seed,
            vectors: Vectors::Flat { data: &[0.0, 0.0, 0.0, 1.0, 0.0, 2.0], dim: 2 },
            documents: None,
            metadata: Some(&vec![Metadata::from([("tag".to_string(), Value::Str("seed".into()))]); 3]),
        })
        .unwrap();
        assert_eq!(c.search(&[0.0, 0.0], 1, None).unwrap().ids, ["seed0"]);
        let reader = Database::open_with(dir.path(), OpenOptions { read_only: true, ..Default::default() }).unwrap();
        let rc = reader.get_collection("c").unwrap();
        let a = part(&rc, &ids("a", 300), 10.0).unwrap();
        let b = part(&rc, &ids("b", 200), 20.0).unwrap();
        assert_eq!(c.count(None).unwrap(), 3, "staged rows are invisible before the commit");
        let version = crate::storage::runtime::block_on(c.inner.table.version()).unwrap();
        assert_eq!(c.commit_staged(&[&a, &b]).unwrap(), 500);
        assert_eq!(crate::storage::runtime::block_on(c.inner.table.version()).unwrap(), version + 1, "one commit");
        assert_eq!(c.count(None).unwrap(), 503);
        let hit = c.search(&[20.0, 7.0], 1, None).unwrap();
        assert_eq!(hit.ids, ["b7"]);
        assert_eq!(hit.documents[0].as_deref(), Some("doc b7"));
        assert_eq!(c.count(Some(&crate::Filter::Sql("tag = 'staged'".into()))).unwrap(), 500);
        // The same ids again, and an id repeated across parts: refused, nothing committed.
        let again = part(&rc, &ids("a", 2), 30.0).unwrap();
        assert_eq!(c.commit_staged(&[&again]).unwrap_err().kind(), ErrorKind::DuplicateId);
        let x1 = part(&rc, &ids("x", 2), 1.0).unwrap();
        let x2 = part(&rc, &ids("x", 1), 1.0).unwrap();
        assert_eq!(c.commit_staged(&[&x1, &x2]).unwrap_err().kind(), ErrorKind::DuplicateId);
        assert_eq!(c.count(None).unwrap(), 503);
        // Not a staged part, or one of another collection.
        assert_eq!(c.commit_staged(&[b"{}"]).unwrap_err().kind(), ErrorKind::InvalidArgument);
        let other = db.create_collection("other", 2, Metric::L2).unwrap();
        assert_eq!(other.commit_staged(&[&x1]).unwrap_err().kind(), ErrorKind::InvalidArgument);
        // A key that is no column yet cannot be staged.
        let meta = vec![Metadata::from([("new_key".to_string(), Value::Int(1))])];
        let err = rc
            .stage(&Records { ids: &ids("n", 1), vectors: Vectors::Flat { data: &[1.0, 1.0], dim: 2 }, documents: None, metadata: Some(&meta) })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidMetadata);
        // Committing survives reopening.
        drop((rc, reader, c, other));
        db.close();
        let db = Database::open(dir.path()).unwrap();
        let c = db.get_collection("c").unwrap();
        assert_eq!(c.count(None).unwrap(), 503);
        assert_eq!(c.search(&[10.0, 299.0], 1, None).unwrap().ids, ["a299"]);
    }
}
