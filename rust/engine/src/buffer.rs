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

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard, RwLockReadGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use arrow_array::{ArrayRef, RecordBatch, RecordBatchIterator, TimestampMicrosecondArray};
use lancedb::table::NewColumnTransform;

use crate::collection::Collection;
use crate::error::{Error, ErrorKind, Result};
use crate::filter;
use crate::records::{self, GetResult, Records, Vectors};
use crate::schema::{self, Layout};
use crate::value::{MetaType, Metadata, Value};
use crate::wal::{LogConsumer, SyncMode, MAX_RECORD_BYTES};

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

fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
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

// ---- payload encoding ------------------------------------------------------------------------

const OP_PUT: u8 = 1;
const OP_DELETE: u8 = 2;

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_value(out: &mut Vec<u8>, v: &Value) -> Result<()> {
    match v {
        Value::Null => out.push(0),
        Value::Bool(b) => out.extend_from_slice(&[1, *b as u8]),
        Value::Int(i) => {
            out.push(2);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            out.push(3);
            out.extend_from_slice(&f.to_le_bytes());
        }
        Value::Str(s) => {
            out.push(4);
            put_str(out, s);
        }
        Value::Datetime(us) => {
            out.push(5);
            out.extend_from_slice(&us.to_le_bytes());
        }
        Value::List(items) => {
            out.push(6);
            out.extend_from_slice(&(items.len() as u32).to_le_bytes());
            for it in items {
                put_value(out, it)?;
            }
        }
        Value::Map(_) => return Err(Error::invalid_metadata("nested maps are not supported as metadata")),
    }
    Ok(())
}

fn encode_puts(ids: &[String], rows: &[Row]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64 + rows.iter().map(|r| r.vector.len() * 4 + 64).sum::<usize>());
    out.push(OP_PUT);
    out.extend_from_slice(&(ids.len() as u32).to_le_bytes());
    for (id, row) in ids.iter().zip(rows) {
        put_str(&mut out, id);
        out.extend_from_slice(&row.created.to_le_bytes());
        out.extend_from_slice(&row.updated.to_le_bytes());
        match &row.document {
            Some(d) => {
                out.push(1);
                put_str(&mut out, d);
            }
            None => out.push(0),
        }
        out.extend_from_slice(&(row.vector.len() as u32).to_le_bytes());
        for x in &row.vector {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.extend_from_slice(&(row.metadata.len() as u32).to_le_bytes());
        for (k, v) in &row.metadata {
            put_str(&mut out, k);
            put_value(&mut out, v)?;
        }
    }
    Ok(out)
}

fn encode_deletes(ids: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + ids.iter().map(|i| i.len() + 4).sum::<usize>());
    out.push(OP_DELETE);
    out.extend_from_slice(&(ids.len() as u32).to_le_bytes());
    for id in ids {
        put_str(&mut out, id);
    }
    out
}

/// Reads a payload back; any inconsistency is a damaged record.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.data.len() - self.pos < n {
            return Err(Error::storage("a log record of a collection is cut short"));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap_or_default()))
    }
    fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().unwrap_or_default()))
    }
    fn str(&mut self) -> Result<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| Error::storage("a log record holds invalid UTF-8"))
    }
    fn value(&mut self, depth: usize) -> Result<Value> {
        Ok(match self.u8()? {
            0 => Value::Null,
            1 => Value::Bool(self.u8()? != 0),
            2 => Value::Int(self.i64()?),
            3 => Value::Float(f64::from_le_bytes(self.take(8)?.try_into().unwrap_or_default())),
            4 => Value::Str(self.str()?),
            5 => Value::Datetime(self.i64()?),
            6 if depth < 4 => {
                let n = self.u32()? as usize;
                let mut items = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::List(items)
            }
            t => return Err(Error::storage(format!("a log record holds an unknown value tag {t}"))),
        })
    }
}

/// A decoded collection record.
pub(crate) enum Logged {
    Puts(Vec<(String, Row)>),
    Deletes(Vec<String>),
}

pub(crate) fn decode(payload: &[u8]) -> Result<Logged> {
    let mut r = Reader { data: payload, pos: 0 };
    let op = r.u8()?;
    let n = r.u32()? as usize;
    let out = match op {
        OP_PUT => {
            let mut rows = Vec::with_capacity(n.min(LOGGED_MAX_ROWS));
            for _ in 0..n {
                let id = r.str()?;
                let created = r.i64()?;
                let updated = r.i64()?;
                let document = if r.u8()? != 0 { Some(r.str()?) } else { None };
                let dim = r.u32()? as usize;
                let raw = r.take(dim.checked_mul(4).ok_or_else(|| Error::storage("a log record is damaged"))?)?;
                let vector = raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
                let nmeta = r.u32()? as usize;
                let mut metadata = Metadata::new();
                for _ in 0..nmeta {
                    let k = r.str()?;
                    let v = r.value(0)?;
                    metadata.insert(k, v);
                }
                rows.push((id, Row { vector, document, metadata, created, updated }));
            }
            Logged::Puts(rows)
        }
        OP_DELETE => Logged::Deletes((0..n).map(|_| r.str()).collect::<Result<_>>()?),
        other => return Err(Error::storage(format!("a log record of a collection has an unknown operation {other}"))),
    };
    if r.pos != payload.len() {
        return Err(Error::storage("a log record of a collection has trailing bytes"));
    }
    Ok(out)
}

/// Metadata as it reads back from Lance: nulls dropped, ints in float columns widened.
pub(crate) fn normalise(meta: &Metadata, layout: &Layout) -> Metadata {
    meta.iter()
        .filter(|(_, v)| !matches!(v, Value::Null))
        .map(|(k, v)| {
            let v = match (layout.meta_type(k), v) {
                (Some(MetaType::Float), Value::Int(i)) => Value::Float(*i as f64),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect()
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
        self.inner.db.wal().is_some() && rows <= LOGGED_MAX_ROWS
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
        let wal = self.inner.db.wal().cloned().ok_or_else(|| Error::internal("no write-ahead log"))?;
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
        let known = if unknown.is_empty() { HashMap::new() } else { crate::runtime::block_on(self.existing(&unknown))? };
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
            layout = crate::runtime::block_on(self.add_meta_columns(&checked.new_columns))?;
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
        self.write_direct(records, if add { WriteMode::Add } else { WriteMode::Upsert })?;
        self.end_direct()
    }

    /// Deletes a small set of ids through the log. Returns how many existed.
    pub(crate) fn delete_logged(&self, ids: &[String]) -> Result<u64> {
        let wal = self.inner.db.wal().cloned().ok_or_else(|| Error::internal("no write-ahead log"))?;
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
            let found = crate::runtime::block_on(self.existing(&ask))?;
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
        if matches!(self.cached_index_params()?, Some(crate::hnsw::IndexParams::IvfPq(_))) {
            return Ok(false);
        }
        crate::runtime::block_on(self.load_mirror())?;
        Ok(true)
    }

    fn after_buffering(&self, buffered: usize) -> Result<()> {
        if buffered >= MAX_BUFFERED_ROWS {
            self.flush_buffer()?;
        } else if buffered >= FLUSH_ROWS {
            self.inner.db.request_flush();
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
        if let Some(wal) = self.inner.db.wal().cloned() {
            let stream = self.stream();
            // No record of this stream can be submitted meanwhile: we hold the write lock.
            let mark = wal.last_lsn(&stream);
            self.flush_held(true).await?;
            if mark > 0 {
                self.inner.db.sync_lance()?;
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
        if self.inner.db.wal().is_some_and(|w| w.mode() == SyncMode::Always) {
            self.inner.db.sync_lance()?;
        }
        Ok(())
    }

    /// Writes the buffer to Lance (the log consumer's flush). Returns the highest LSN flushed.
    pub(crate) fn flush_buffer(&self) -> Result<Option<u64>> {
        crate::runtime::block_on(self.flush_buffer_async())
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
    async fn flush_held(&self, write_held: bool) -> Result<Option<u64>> {
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
    pub(crate) fn overlay_into_mirror(&self, mirror: &mut crate::mirror::Mirror) {
        self.for_each_buffered_op(|id, op| match op {
            Op::Put(row) => mirror.upsert(std::slice::from_ref(id), Vectors::Rows(std::slice::from_ref(&row.vector))),
            Op::Delete => mirror.remove([id.as_str()]),
        });
    }

    /// Applies the buffer to a freshly loaded payload cache (under the write lock and the read
    /// gate), as [`Collection::overlay_into_mirror`] does to the mirror.
    pub(crate) fn overlay_into_payloads(&self, cache: &mut crate::payload::PayloadCache) {
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

    /// Storage maintenance past the thresholds of [`crate::database::maintain_table`]: compaction
    /// of the small fragments that flushes leave, and removal of old versions. The background
    /// flusher calls it for collections it flushed (version cleanup at most once per
    /// [`VERSION_GRACE`](crate::database::VERSION_GRACE) each), [`Database::close`] for every
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
            let due = last.is_none_or(|t| t.elapsed() >= crate::database::VERSION_GRACE);
            if due {
                *last = Some(std::time::Instant::now());
            }
            due
        };
        crate::runtime::block_on(async {
            // Compaction rewrites rows: keep flushes (and direct writes) out meanwhile.
            let _flush = self.inner.flush_lock.lock().unwrap_or_else(|p| p.into_inner());
            if self.inner.dropped.load(Ordering::Acquire) {
                return Ok(());
            }
            let compacted = crate::database::maintain_table(&self.inner.table, prune).await?;
            if compacted {
                self.index_follows_version();
            }
            Ok(())
        })
    }

    /// Compacts the collection now (small fragments merged, deleted rows dropped; buffered writes
    /// are flushed first) and removes the versions replaced more than
    /// [`VERSION_GRACE`](crate::database::VERSION_GRACE) ago. Maintenance does this on its own
    /// past its thresholds; this is for explicit use (say, after a bulk delete).
    pub fn optimize(&self) -> Result<()> {
        self.ensure_open()?;
        self.inner.db.ensure_writable()?;
        crate::runtime::block_on(async {
            let _flush = self.inner.flush_lock.lock().unwrap_or_else(|p| p.into_inner());
            self.flush_held(false).await?;
            crate::database::compact_table(&self.inner.table).await?;
            self.index_follows_version();
            Ok::<(), Error>(())
        })?;
        self.inner.db.sync_lance()
    }

    /// After a compaction (a new Lance version, the same records): the saved HNSW index names the
    /// Lance version it matches, so it is saved again on close rather than found stale and
    /// rebuilt on the next open.
    fn index_follows_version(&self) {
        if let Some(m) = self.inner.mirror.write().unwrap_or_else(|p| p.into_inner()).as_mut() {
            if m.index.is_some() {
                m.dirty = true;
            }
        }
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
mod tests {
    use super::*;
    use crate::{Database, Metric};

    fn ids(range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| format!("r{i}")).collect()
    }

    fn upsert(c: &Collection, ids: &[String], tag: f32) {
        let data: Vec<f32> = ids.iter().flat_map(|_| [tag, 1.0]).collect();
        let mut meta = Metadata::new();
        meta.insert("tag".into(), Value::Float(tag as f64));
        let metadata = vec![meta; ids.len()];
        c.upsert(&Records { ids, vectors: Vectors::Flat { data: &data, dim: 2 }, documents: None, metadata: Some(&metadata) })
            .unwrap();
    }

    /// A flush is one Lance version whatever it holds (new records, replaced ones, deletes), so
    /// no version a reader elsewhere can check out holds part of it.
    #[test]
    fn a_flush_is_one_lance_commit() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let c = db.create_collection("c", 2, Metric::L2).unwrap();
        let version = || crate::runtime::block_on(c.inner.table.version()).unwrap();
        upsert(&c, &ids(0..100), 1.0);
        db.flush().unwrap(); // the first flush also adds the `tag` column
        let cases: [(&str, &dyn Fn()); 4] = [
            ("new records", &|| upsert(&c, &ids(100..150), 2.0)),
            ("replaced records", &|| upsert(&c, &ids(0..50), 3.0)),
            ("deletes", &|| assert_eq!(c.delete(Some(&ids(140..150)), None).unwrap(), 10)),
            ("replaced, new and deleted records", &|| {
                upsert(&c, &ids(50..60), 4.0);
                upsert(&c, &ids(150..160), 4.0);
                assert_eq!(c.delete(Some(&ids(60..70)), None).unwrap(), 10);
            }),
        ];
        for (what, write) in cases {
            let before = version();
            {
                // All the writes of a case in one layer: the background flusher waits meanwhile.
                let _hold = c.inner.flush_lock.lock().unwrap();
                write();
            }
            db.flush().unwrap();
            assert_eq!(version(), before + 1, "{what}: one commit");
        }
        let got = c.get(None, None, None, 0).unwrap();
        assert_eq!(got.ids.len(), 140);
        let tag_of = |id: &str| {
            let i = got.ids.iter().position(|x| x == id).unwrap();
            (got.vectors[2 * i], got.metadata[i].get("tag").cloned())
        };
        assert_eq!(tag_of("r0"), (3.0, Some(Value::Float(3.0))));
        assert_eq!(tag_of("r55"), (4.0, Some(Value::Float(4.0))));
        assert_eq!(tag_of("r75"), (1.0, Some(Value::Float(1.0))));
        assert_eq!(tag_of("r155"), (4.0, Some(Value::Float(4.0))));
        assert!(!got.ids.iter().any(|id| id == "r65" || id == "r145"));
    }

    /// Sessions of one small write each: closing compacts once the fragment threshold is reached.
    #[test]
    fn closing_compacts() {
        let dir = tempfile::tempdir().unwrap();
        let fragments = |db: &Database| {
            let c = db.get_collection("c").unwrap();
            crate::runtime::block_on(async {
                let ds = c.inner.table.dataset().unwrap().get().await.unwrap();
                ds.manifest().fragments.len()
            })
        };
        for session in 0..(crate::database::COMPACT_SMALL_FRAGMENTS * 3) {
            let db = Database::open(dir.path()).unwrap();
            let c = db.get_or_create_collection("c", 2, Metric::L2).unwrap();
            upsert(&c, &ids(session..session + 1), session as f32);
            db.close();
            let db = Database::open_with(dir.path(), crate::OpenOptions { read_only: true, ..Default::default() }).unwrap();
            assert!(fragments(&db) < crate::database::COMPACT_SMALL_FRAGMENTS, "session {session}: {} fragments", fragments(&db));
        }
        let db = Database::open(dir.path()).unwrap();
        assert_eq!(db.get_collection("c").unwrap().count(None).unwrap(), crate::database::COMPACT_SMALL_FRAGMENTS as u64 * 3);
    }

    #[test]
    fn payloads_round_trip() {
        let ids = vec!["a".to_string(), "b".to_string()];
        let mut meta = Metadata::new();
        meta.insert("n".into(), Value::Int(-3));
        meta.insert("f".into(), Value::Float(0.5));
        meta.insert("s".into(), Value::Str("x'y".into()));
        meta.insert("t".into(), Value::Datetime(1_700_000_000_000_000));
        meta.insert("l".into(), Value::List(vec![Value::Str("p".into()), Value::Str("q".into())]));
        meta.insert("b".into(), Value::Bool(true));
        let rows = vec![
            Row { vector: vec![1.0, -2.5], document: Some("doc".into()), metadata: meta, created: 5, updated: 6 },
            Row { vector: vec![0.0, 1e-9], document: None, metadata: Metadata::new(), created: 7, updated: 8 },
        ];
        let bytes = encode_puts(&ids, &rows).unwrap();
        match decode(&bytes).unwrap() {
            Logged::Puts(got) => {
                assert_eq!(got.len(), 2);
                assert_eq!(got[0], (ids[0].clone(), rows[0].clone()));
                assert_eq!(got[1], (ids[1].clone(), rows[1].clone()));
            }
            Logged::Deletes(_) => panic!("expected puts"),
        }
        match decode(&encode_deletes(&ids)).unwrap() {
            Logged::Deletes(got) => assert_eq!(got, ids),
            Logged::Puts(_) => panic!("expected deletes"),
        }
        // Any truncation is an error, never a shorter record.
        for cut in 1..bytes.len() {
            assert!(decode(&bytes[..bytes.len() - cut]).is_err(), "cut {cut}");
        }
    }
}
