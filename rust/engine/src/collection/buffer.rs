//! A collection's small writes: logged in the write-ahead log, buffered in memory (where every
//! read sees them at once), and flushed to Lance in the background as one commit.
//!
//! # Layers
//! The buffer ("overlay") maps id → last operation (`Put` of a whole record, or `Delete`), in two
//! layers: `active` takes new writes; `flushing` is the layer a flush is committing. A read sees
//! Lance, overridden by `flushing`, overridden by `active`.
//!
//! # Which reads use the overlay, which flush first
//! - get by ids (no filter), and fetching the records of search hits, merge the overlay in
//!   memory; the vector mirror holds buffered vectors from the moment of the write, so a search
//!   without a filter sees them too.
//! - reads that Lance must evaluate (filters, full scans, count, Lance's IVF_PQ search) first
//!   flush the buffer, then read Lance. Correct and simple; it costs a commit only when writes
//!   and such reads interleave.
//!
//! # Atomicity for readers
//! A flush writes its layer as one Lance commit (an append, one merge on `id`, or one delete; see
//! `commit_layer`), so every version of the table, the ones a read-only reader in another process
//! checks out included, holds a layer whole or not at all. In this process, the collection's
//! `gate` keeps readers out while a flush commits and retires its layer (a flush holds it
//! exclusively, every read holds it shared), so a read sees the layer either buffered or in
//! Lance, never both or neither. Lock order: flush_lock → write_lock → gate → overlay / mirror; nothing takes
//! write_lock or flush_lock while holding the gate.
//!
//! # Replay
//! Records are whole-record puts and deletes by id, so applying one again over a state that
//! already has it changes nothing: a crash between a flush's Lance commit and the log noting it
//! replays harmlessly.

mod flush;
mod record;

pub(crate) use record::{decode, normalise};
use record::{encode_deletes, encode_puts, Logged};

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard, RwLockReadGuard};


use arrow_array::{ArrayRef, RecordBatch, RecordBatchIterator, TimestampMicrosecondArray};
use lancedb::table::NewColumnTransform;

use crate::collection::Collection;
use crate::util::bytes::ByteReader;
use crate::util::time::now_micros;
use crate::error::{Error, ErrorKind, Result};
use crate::types::filter;
use crate::types::records::{self, GetResult, Records, Vectors};
use crate::types::schema::{self, Layout};
use crate::types::value::{MetaType, Metadata, Value};
use crate::storage::wal::{LogConsumer, SyncMode, MAX_RECORD_BYTES};

/// Streams of collections are named `collection:<name>`.
pub(crate) const STREAM_PREFIX: &str = "collection:";
/// Writes of up to this many records go through the log; larger batches are one direct Lance
/// commit each (they are not "small writes", and one commit per batch is what Lance is good at).
pub(crate) const LOGGED_MAX_ROWS: usize = 1024;
/// A buffer this large asks the background flusher to flush now.
const FLUSH_ROWS: usize = 16_384;
/// A buffer this large is flushed by the writer itself (back-pressure when writes outrun the
/// flusher).
const MAX_BUFFERED_ROWS: usize = 262_144;

pub(crate) fn stream_name(collection: &str) -> String {
    format!("{STREAM_PREFIX}{collection}")
}

/// One buffered record, as Lance will store it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub vector: Vec<f32>,
    pub document: Option<String>,
    /// Normalised to what reading it back from Lance gives (no nulls; ints widened where the
    /// column is float).
    pub metadata: Metadata,
    pub created: i64,
    pub updated: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Put(Row),
    Delete,
}

/// The last operation per id, with the order of first appearance (Lance gets rows in that
/// order).
#[derive(Default)]
pub(crate) struct Layer {
    ops: HashMap<String, (u64, Op)>,
    next_seq: u64,
    pub max_lsn: u64,
}

impl Layer {
    fn set(&mut self, id: &str, op: Op, lsn: u64) {
        self.max_lsn = self.max_lsn.max(lsn);
        match self.ops.get_mut(id) {
            Some(slot) => slot.1 = op,
            None => {
                self.ops.insert(id.to_owned(), (self.next_seq, op));
                self.next_seq += 1;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }
}

#[derive(Default)]
pub(crate) struct Overlay {
    pub active: Layer,
    pub flushing: Option<Arc<Layer>>,
}

impl Overlay {
    /// The buffered operation on `id`, if any (`Some(Op::Delete)`: deleted, not yet in Lance).
    pub fn lookup(&self, id: &str) -> Option<&Op> {
        self.active
            .ops
            .get(id)
            .or_else(|| self.flushing.as_ref().and_then(|f| f.ops.get(id)))
            .map(|(_, op)| op)
    }

    pub fn is_empty(&self) -> bool {
        self.active.ops.is_empty() && self.flushing.is_none()
    }
}

/// Held by a write that goes straight to Lance: no flush can run meanwhile, and the buffer was
/// flushed (and noted in the log) first, so the direct write lands after every earlier write.
pub(crate) struct DirectWrite<'a> {
    _flush: MutexGuard<'a, ()>,
    _write: MutexGuard<'a, ()>,
}


impl GetResult {
    fn push_row(&mut self, id: &str, row: &Row) {
        self.ids.push(id.to_owned());
        self.vectors.extend_from_slice(&row.vector);
        self.documents.push(row.document.clone());
        self.metadata.push(row.metadata.clone());
        self.created_at.push(row.created);
        self.updated_at.push(row.updated);
    }
}

impl Collection {
    pub(crate) fn stream(&self) -> String {
        stream_name(&self.inner.name)
    }

    fn overlay(&self) -> MutexGuard<'_, Overlay> {
        self.inner.overlay.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a write of `rows` records goes through the log.
    pub(crate) fn logs(&self, rows: usize) -> bool {
        self.inner.store.wal().is_some() && rows <= LOGGED_MAX_ROWS
    }

    /// Shared access for a read: no flush commits or retires a layer while it is held.
    pub(crate) fn read_gate(&self) -> RwLockReadGuard<'_, ()> {
        self.inner.gate.read().unwrap_or_else(|p| p.into_inner())
    }

    /// For reads that Lance evaluates: flushes the buffer first (when it holds anything), then
    /// takes the read gate.
    pub(crate) async fn lance_view(&self) -> Result<RwLockReadGuard<'_, ()>> {
        if !self.overlay().is_empty() {
            self.flush_buffer_async().await?;
        }
        Ok(self.read_gate())
    }

    /// Adds or upserts a small batch through the log. Returns once it is durable (per the sync
    /// mode) and visible to every read.
    pub(crate) fn write_logged(&self, records: &Records<'_>, add: bool) -> Result<()> {
        let wal = self.inner.store.wal().cloned().ok_or_else(|| Error::internal("no write-ahead log"))?;
        let in_memory = self.existence_in_memory()?;
        let mut flush_guard = None;
        let mut guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut layout = self.layout();
        let mut checked = records::validate(records, &layout)?;
        if !checked.new_columns.is_empty() {
            // The schema commit below must not run next to a flush's commit (Lance would reject
            // one of the two as conflicting): hold the flush lock for it, taken first as the lock
            // order wants, and check again under both.
            drop(guard);
            flush_guard = Some(self.inner.flush_lock.lock().unwrap_or_else(|p| p.into_inner()));
            guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
            layout = self.layout();
            checked = records::validate(records, &layout)?;
        }
        let n = records.ids.len();
        if n == 0 {
            return Ok(());
        }
        // Per record: `Some(Some(t))` exists, created at t; `Some(None)` exists (or, without the
        // mirror, may exist) and Lance has its creation time; `None` does not exist.
        let mut created: Vec<Option<Option<i64>>> = Vec::with_capacity(n);
        {
            let ov = self.overlay();
            let mirror = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner());
            for id in records.ids {
                created.push(match ov.lookup(id) {
                    Some(Op::Put(row)) => Some(Some(row.created)),
                    Some(Op::Delete) => None,
                    None if in_memory => mirror.as_ref().and_then(|m| m.vector_of(id)).map(|_| None),
                    None => Some(None),
                });
            }
        }
        let unknown: Vec<String> =
            records.ids.iter().zip(&created).filter(|(_, c)| matches!(c, Some(None))).map(|(id, _)| id.clone()).collect();
        let known = if unknown.is_empty() { HashMap::new() } else { crate::storage::runtime::block_on(self.existing(&unknown))? };
        for (id, c) in records.ids.iter().zip(created.iter_mut()) {
            if *c == Some(None) && !known.contains_key(id) {
                *c = None;
            }
        }
        if add {
            if let Some((row, id)) = records.ids.iter().enumerate().find(|(i, _)| created[*i].is_some()) {
                return Err(Error::new(
                    ErrorKind::DuplicateId,
                    format!("row {row}: id {id:?} already exists in collection '{}'", self.inner.name),
                ));
            }
        }
        if !checked.new_columns.is_empty() {
            // A schema-only commit, as for a direct write: new keys become nullable columns.
            layout = crate::storage::runtime::block_on(self.add_meta_columns(&checked.new_columns))?;
        }
        drop(flush_guard);
        let now = now_micros();
        let rows: Vec<Row> = (0..n)
            .map(|i| Row {
                vector: records.vectors.row(i).to_vec(),
                document: records.documents.and_then(|d| d[i].clone()),
                metadata: records.metadata.map(|m| normalise(&m[i], &layout)).unwrap_or_default(),
                created: match created[i] {
                    Some(Some(t)) => t,
                    Some(None) => known.get(&records.ids[i]).copied().unwrap_or(now),
                    None => now,
                },
                updated: now,
            })
            .collect();
        let payload = encode_puts(records.ids, &rows)?;
        if payload.len() > MAX_RECORD_BYTES / 2 {
            drop(guard);
            return self.write_direct_fallback(records, add);
        }
        let lsn = wal.submit(&self.stream(), &payload)?;
        let buffered = {
            let mut ov = self.overlay();
            self.copies_put(records.ids, records.vectors, &|i| (rows[i].document.clone(), rows[i].metadata.clone()));
            for (id, row) in records.ids.iter().zip(rows) {
                ov.active.set(id, Op::Put(row), lsn);
            }
            ov.active.len()
        };
        drop(guard);
        wal.wait(lsn)?;
        self.after_buffering(buffered)
    }

    /// A batch too large for one log record after all (huge documents): written directly.
    fn write_direct_fallback(&self, records: &Records<'_>, add: bool) -> Result<()> {
        use crate::collection::WriteMode;
        self.write_direct(records, if add { WriteMode::Add } else { WriteMode::Upsert }, None)?;
        self.end_direct()
    }

    /// Deletes a small set of ids through the log. Returns how many existed.
    pub(crate) fn delete_logged(&self, ids: &[String]) -> Result<u64> {
        let wal = self.inner.store.wal().cloned().ok_or_else(|| Error::internal("no write-ahead log"))?;
        let in_memory = self.existence_in_memory()?;
        let guard = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut present: Vec<String> = Vec::new();
        let mut ask: Vec<String> = Vec::new();
        {
            let ov = self.overlay();
            let mirror = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner());
            let mut seen = std::collections::HashSet::new();
            for id in ids {
                if !seen.insert(id.as_str()) {
                    continue;
                }
                let exists = match ov.lookup(id) {
                    Some(Op::Put(_)) => true,
                    Some(Op::Delete) => false,
                    None if in_memory => mirror.as_ref().is_some_and(|m| m.vector_of(id).is_some()),
                    None => {
                        ask.push(id.clone());
                        false
                    }
                };
                if exists {
                    present.push(id.clone());
                }
            }
        }
        if !ask.is_empty() {
            let found = crate::storage::runtime::block_on(self.existing(&ask))?;
            present.extend(ask.into_iter().filter(|id| found.contains_key(id)));
        }
        if present.is_empty() {
            return Ok(0);
        }
        let lsn = wal.submit(&self.stream(), &encode_deletes(&present))?;
        let buffered = {
            let mut ov = self.overlay();
            for id in &present {
                ov.active.set(id, Op::Delete, lsn);
            }
            self.copies_remove(&present);
            ov.active.len()
        };
        drop(guard);
        wal.wait(lsn)?;
        self.after_buffering(buffered)?;
        Ok(present.len() as u64)
    }

    /// Whether the vector mirror answers "does this id exist" (no Lance query per write),
    /// loading it first if needed. Not for a collection with an IVF_PQ index, which may be larger
    /// than memory and never loads the mirror: there Lance is asked.
    fn existence_in_memory(&self) -> Result<bool> {
        // Checked without entering the runtime: this is on the path of every small write.
        if self.inner.mirror.read().unwrap_or_else(|p| p.into_inner()).is_some() {
            return Ok(true);
        }
        if matches!(self.cached_index_params()?, Some(crate::index::params::IndexParams::IvfPq(_))) {
            return Ok(false);
        }
        crate::storage::runtime::block_on(self.load_mirror())?;
        Ok(true)
    }

    fn after_buffering(&self, buffered: usize) -> Result<()> {
        if buffered >= MAX_BUFFERED_ROWS {
            self.flush_buffer()?;
        } else if buffered >= FLUSH_ROWS {
            self.inner.store.request_flush();
        }
        Ok(())
    }

    /// Takes the locks of a direct (unlogged) write and flushes the buffer first, noting it in
    /// the log: records of this collection logged before the direct write must never be
    /// replayed after it.
    pub(crate) async fn begin_direct(&self) -> Result<DirectWrite<'_>> {
        let flush = self.inner.flush_lock.lock().unwrap_or_else(|p| p.into_inner());
        // Dropped while this waited for the lock: its table is gone.
        if self.inner.dropped.load(Ordering::Acquire) {
            return Err(Error::new(ErrorKind::Closed, format!("collection '{}' was dropped", self.inner.name)));
        }
        let write = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(wal) = self.inner.store.wal().cloned() {
            let stream = self.stream();
            // No record of this stream can be submitted meanwhile: we hold the write lock.
            let mark = wal.last_lsn(&stream);
            self.flush_held(true).await?;
            if mark > 0 {
                self.inner.store.sync_lance()?;
                wal.set_flushed(&stream, mark)?;
            }
        }
        Ok(DirectWrite { _flush: flush, _write: write })
    }

    /// After a direct write's Lance commit: with `sync="always"`, it is on disk before the call
    /// returns, like a logged write.
    pub(crate) fn end_direct(&self) -> Result<()> {
        // A new fragment, like a flush's: storage maintenance looks at the table next round.
        self.inner.commits.fetch_add(1, Ordering::Relaxed);
        if self.inner.store.wal().is_some_and(|w| w.mode() == SyncMode::Always) {
            self.inner.store.sync_lance()?;
        }
        Ok(())
    }

    /// Splits ids into those the overlay answers (their records, or nothing if deleted) and those
    /// Lance must. Call under the read gate.
    pub(crate) fn overlay_split(&self, ids: &[String], layout: &Layout) -> (GetResult, Vec<String>) {
        let mut found = GetResult { dim: layout.dim, ..Default::default() };
        let ov = self.overlay();
        if ov.is_empty() {
            return (found, ids.to_vec());
        }
        let mut rest = Vec::new();
        for id in ids {
            match ov.lookup(id) {
                Some(Op::Put(row)) => found.push_row(id, row),
                Some(Op::Delete) => {}
                None => rest.push(id.clone()),
            }
        }
        (found, rest)
    }

    /// Applies the buffer to a freshly loaded mirror (under the write lock and the read gate).
    pub(crate) fn overlay_into_mirror(&self, mirror: &mut crate::index::mirror::Mirror) {
        self.for_each_buffered_op(|id, op| match op {
            Op::Put(row) => mirror.upsert(std::slice::from_ref(id), Vectors::Rows(std::slice::from_ref(&row.vector))),
            Op::Delete => mirror.remove([id.as_str()]),
        });
    }

    /// Applies the buffer to a freshly loaded payload cache (under the write lock and the read
    /// gate), as [`Collection::overlay_into_mirror`] does to the mirror.
    pub(crate) fn overlay_into_payloads(&self, cache: &mut crate::collection::payload::PayloadCache) {
        self.for_each_buffered_op(|id, op| match op {
            Op::Put(row) => cache.put(id, row.document.clone(), row.metadata.clone()),
            Op::Delete => cache.remove([id.as_str()]),
        });
    }

    /// Every buffered operation in the order it was written: the layers being flushed, oldest
    /// first, then the active one.
    fn for_each_buffered_op(&self, mut f: impl FnMut(&String, &Op)) {
        let ov = self.overlay();
        let layers = ov.flushing.iter().map(|l| &**l).chain(std::iter::once(&ov.active));
        for layer in layers {
            let mut ops: Vec<(&String, &(u64, Op))> = layer.ops.iter().collect();
            ops.sort_unstable_by_key(|(_, (seq, _))| *seq);
            for (id, (_, op)) in ops {
                f(id, op);
            }
        }
    }

    /// Forgets the buffer (the collection was dropped).
    pub(crate) fn discard_buffer(&self) {
        *self.overlay() = Overlay::default();
    }

    /// Applies one logged record (on open).
    fn replay_record(&self, lsn: u64, payload: &[u8]) -> Result<()> {
        let mut logged = decode(payload)?;
        if let Logged::Puts(rows) = &mut logged {
            self.check_replayed(rows)?;
        }
        let _write = self.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut ov = self.overlay();
        match logged {
            Logged::Puts(rows) => {
                for (id, row) in rows {
                    let ids = std::slice::from_ref(&id);
                    self.copies_put(ids, Vectors::Rows(std::slice::from_ref(&row.vector)), &|_| (row.document.clone(), row.metadata.clone()));
                    ov.active.set(&id, Op::Put(row), lsn);
                }
            }
            Logged::Deletes(ids) => {
                self.copies_remove(&ids);
                for id in ids {
                    ov.active.set(&id, Op::Delete, lsn);
                }
            }
        }
        Ok(())
    }
}

/// The latest creation or update time a logged row can have: 9999-12-31T23:59:59.999999Z.
const MAX_LOGGED_MICROS: i64 = 253_402_300_799_999_999;

impl Collection {
    /// A logged batch passed validation when it was written; one read back that would not
    /// (another dimension, NaN, a bad id, a metadata key or type the collection does not have,
    /// a timestamp out of range) is damaged, and is refused before it reaches the buffer, where
    /// reads would trip on it. Metadata is normalised as when it was written.
    fn check_replayed(&self, rows: &mut [(String, Row)]) -> Result<()> {
        let layout = self.layout();
        let ids: Vec<String> = rows.iter().map(|(id, _)| id.clone()).collect();
        let vectors: Vec<Vec<f32>> = rows.iter().map(|(_, r)| r.vector.clone()).collect();
        let documents: Vec<Option<String>> = rows.iter().map(|(_, r)| r.document.clone()).collect();
        let metadata: Vec<Metadata> = rows.iter().map(|(_, r)| r.metadata.clone()).collect();
        let batch = Records { ids: &ids, vectors: Vectors::Rows(&vectors), documents: Some(&documents), metadata: Some(&metadata) };
        let checked = records::validate(&batch, &layout)?;
        if let Some((key, _)) = checked.new_columns.first() {
            return Err(Error::storage(format!("a logged row has the metadata key {key:?}, which the collection has no column for")));
        }
        for (id, row) in rows.iter_mut() {
            for t in [row.created, row.updated] {
                if !(0..=MAX_LOGGED_MICROS).contains(&t) {
                    return Err(Error::storage(format!("the logged row {id:?} has the impossible timestamp {t} µs")));
                }
            }
            row.metadata = normalise(&row.metadata, &layout);
        }
        Ok(())
    }
}

impl LogConsumer for Collection {
    fn stream(&self) -> String {
        Collection::stream(self)
    }

    fn replay(&self, lsn: u64, payload: &[u8]) -> Result<()> {
        self.replay_record(lsn, payload)
    }

    fn flush(&self) -> Result<Option<u64>> {
        if self.inner.dropped.load(Ordering::Acquire) {
            return Ok(None);
        }
        self.flush_buffer()
    }
}

#[cfg(test)]
mod tests;
