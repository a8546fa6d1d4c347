//! A collection: records of (id, vector, document, metadata) in one Lance table.
//!
//! Writes to one collection are serialised by a lock held for the whole validate → write step, so
//! "add fails on an existing id" holds under concurrent callers. A small write (up to
//! [`LOGGED_MAX_ROWS`](crate::collection::buffer::LOGGED_MAX_ROWS) records) goes through the database's
//! write-ahead log and an in-memory buffer that reads see at once (see `buffer.rs`); a larger one
//! is one Lance commit. Either way, when it returns it is durable, and a failed write writes
//! nothing of its batch.

pub(crate) mod buffer;
mod copies;
mod indexing;
mod maintenance;
pub(crate) mod payload;
mod read;
mod search;
pub(crate) mod stats;
pub(crate) mod text_index;
mod transfer;
mod staged;
mod write;
pub(crate) mod hybrid;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};


use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{RecordBatch, RecordBatchIterator};
use futures::TryStreamExt;
use lancedb::query::{ExecutableQuery, QueryBase, Select};
use lancedb::index::vector::IvfPqIndexBuilder;
use lancedb::index::Index;

use crate::storage::context::{KeepAlive, StoreContext};
use crate::util::time::now_micros;
use crate::error::{Error, ErrorKind, Result};
use crate::types::filter::{self, Filter};
use crate::index::params::IndexParams;
use crate::index::index_file;
use crate::index::mirror::{Mirror, RowFilter, SearchOptions};
use crate::collection::payload::{PayloadCache, Payloads};
use crate::types::records::Include;
use crate::types::records::{self, GetResult, Records, SearchResult, Vectors};
use crate::storage::runtime::block_on;
use crate::types::schema::{self, Layout, Metric};
use crate::types::value::Metadata;
use crate::util::metrics::Op;

/// Ids per `id IN (…)` lookup.
const IDS_PER_LOOKUP: usize = 512;
/// Above this many ids, one scan of the id column beats many `IN` lookups.
const SCAN_ABOVE: usize = 4 * IDS_PER_LOOKUP;
/// A collection this large gets a BTree index on `id` (smaller ones are scanned quickly).
const ID_INDEX_ABOVE: usize = 8192;
/// The id index is brought up to date once this share of rows is not in it.
const ID_INDEX_STALE_SHARE: usize = 10;
/// The most neighbours one search may ask for.
pub const MAX_K: usize = 100_000;
/// Records an IVF_PQ index needs to train its PQ codebooks on.
const IVF_PQ_MIN_ROWS: usize = 256;
/// The name of Lance's index on the vector column.
const VECTOR_INDEX: &str = "vector_idx";
/// The distance column of a Lance vector search.
const LANCE_DISTANCE: &str = "_distance";

/// A handle to a collection. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Collection {
    pub(crate) inner: Arc<CollectionInner>,
    /// A user's handle keeps the database open (see [`Database`](crate::Database)); the engine's
    /// own copies do not.
    _keep: Option<KeepAlive>,
}

pub(crate) struct CollectionInner {
    pub(crate) name: String,
    pub(crate) table: lancedb::Table,
    pub(crate) layout: RwLock<Layout>,
    pub(crate) write_lock: Mutex<()>,
    /// Vectors in memory for exact search; `None` until the first search loads it.
    pub(crate) mirror: RwLock<Option<Mirror>>,
    /// What searches return besides ids and distances (see `payload.rs`). Loaded only while the
    /// mirror is; lock order: mirror → payloads.
    pub(crate) payloads: RwLock<PayloadCache>,
    /// The Lance version the mirror was loaded from: a read-only handle reloads it once the
    /// writer has committed a newer one.
    mirror_version: AtomicU64,
    /// Small writes logged but not yet in Lance (see `buffer.rs`).
    pub(crate) overlay: Mutex<crate::collection::buffer::Overlay>,
    /// Readers share it; a flush holds it alone while it commits a layer.
    pub(crate) gate: RwLock<()>,
    /// One flush (or direct write) at a time.
    pub(crate) flush_lock: Mutex<()>,
    /// Flush commits since storage maintenance last looked at the table.
    pub(crate) commits: std::sync::atomic::AtomicUsize,
    /// When the background maintenance last removed old versions.
    pub(crate) pruned_at: Mutex<Option<std::time::Instant>>,
    /// The collection's index parameters once read from `<name>.index.json` (`Some(None)`: no
    /// index), so a search does not read the file.
    index_params: RwLock<Option<Option<IndexParams>>>,
    pub(crate) dropped: AtomicBool,
    /// What the collection needs of its database: the directory, open/writable flags, the log
    /// and flush requests (not the database itself, which holds the collections).
    pub(crate) store: Arc<StoreContext>,
}

/// Whether a record whose id already exists is an error or is replaced.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteMode<'a> {
    Add,
    Upsert,
    /// Upsert, and delete in the same commit every other record matching this SQL predicate.
    Replace(&'a str),
}

impl Collection {
    pub(crate) fn new(name: String, table: lancedb::Table, layout: Layout, store: Arc<StoreContext>) -> Self {
        Collection {
            _keep: None,
            inner: Arc::new(CollectionInner {
                name,
                table,
                layout: RwLock::new(layout),
                write_lock: Mutex::new(()),
                mirror: RwLock::new(None),
                payloads: RwLock::new(PayloadCache::Unloaded),
                mirror_version: AtomicU64::new(0),
                overlay: Mutex::new(Default::default()),
                gate: RwLock::new(()),
                flush_lock: Mutex::new(()),
                commits: Default::default(),
                pruned_at: Mutex::new(None),
                index_params: RwLock::new(None),
                dropped: AtomicBool::new(false),
                store,
            }),
        }
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// This handle, keeping the database open while it lives.
    pub(crate) fn kept_by(mut self, handle: KeepAlive) -> Self {
        self._keep = Some(handle);
        self
    }

    pub fn dim(&self) -> usize {
        self.layout().dim
    }

    pub fn metric(&self) -> Metric {
        self.layout().metric
    }

    /// The metadata keys seen so far and their types.
    pub fn metadata_schema(&self) -> Vec<(String, crate::types::value::MetaType)> {
        self.layout().meta
    }

    pub(crate) fn layout(&self) -> Layout {
        self.inner.layout.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn ensure_open(&self) -> Result<()> {
        if self.inner.store.is_closed() {
            return Err(Error::new(ErrorKind::Closed, "the database is closed"));
        }
        if self.inner.dropped.load(Ordering::Acquire) {
            return Err(Error::new(ErrorKind::Closed, format!("collection '{}' was dropped", self.inner.name)));
        }
        Ok(())
    }

}

/// Lance's distance for a collection metric. Lance's conventions match the engine's: cosine
/// `1 - cos`, l2 squared Euclidean, dot `1 - q·v`.
fn lance_distance(m: Metric) -> lancedb::DistanceType {
    match m {
        Metric::Cosine => lancedb::DistanceType::Cosine,
        Metric::L2 => lancedb::DistanceType::L2,
        Metric::Dot => lancedb::DistanceType::Dot,
    }
}

/// The innermost message of a LanceDB error, without the chain of wrappers and source paths.
fn lance_message(e: &lancedb::Error) -> String {
    let text = e.to_string();
    // Lance appends ", <file>:<line>:<col>" to many messages; users need not see our dependency's
    // source paths.
    match text.rfind(", /") {
        Some(i) if text[i..].contains(".rs:") => text[..i].to_string(),
        _ => text,
    }
}

/// For engine modules that keep their own view of a collection's records (agent memory).
impl Collection {
    /// Runs `f` on the vector mirror (loaded first if this is its first use), under its read lock.
    pub(crate) fn with_mirror<R>(&self, f: impl FnOnce(&Mirror) -> R) -> Result<R> {
        self.ensure_open()?;
        block_on(self.load_mirror())?;
        let guard = self.inner.mirror.read().unwrap_or_else(|p| p.into_inner());
        let mirror = guard.as_ref().ok_or_else(|| Error::internal("the vector mirror is not loaded"))?;
        Ok(f(mirror))
    }

    /// The ids of the records matching `filter` (checked like any filter: a bad one is an
    /// [`ErrorKind::InvalidFilter`]).
    pub(crate) fn ids_matching(&self, filter: &Filter) -> Result<Vec<String>> {
        self.ensure_open()?;
        let layout = self.layout();
        block_on(async {
            let pred = self.predicate(Some(filter), &layout).await?;
            let _view = self.lance_view().await?;
            self.matching_ids(pred.as_deref()).await
        })
    }
}
