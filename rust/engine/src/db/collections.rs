//! A database's collections: create, open, list and drop them, hidden ones (the engine's own, for
//! memory stores and RAG) included for the engine's modules.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::Database;
use crate::collection::Collection;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::runtime::block_on;
use crate::types::schema::{self, validate_collection_name, Layout, Metric};

impl Database {
    /// Creates an empty collection of `dim`-dimensional vectors compared by `metric`.
    pub fn create_collection(&self, name: &str, dim: usize, metric: Metric) -> Result<Collection> {
        check_not_hidden(name)?;
        Ok(self.create_collection_any(name, dim, metric)?.kept_by(self.keep_alive()))
    }

    /// [`Database::create_collection`] for any name, hidden ones included (engine modules).
    pub(crate) fn create_collection_any(&self, name: &str, dim: usize, metric: Metric) -> Result<Collection> {
        self.ensure_open()?;
        self.shared.store.ensure_writable()?;
        validate_collection_name(name)?;
        if dim == 0 || dim > schema::MAX_DIM {
            return Err(Error::invalid_argument(format!("dim must be between 1 and {}, got {dim}", schema::MAX_DIM)));
        }
        let mut registry = self.registry();
        if self.all_collection_names()?.iter().any(|n| n == name) {
            return Err(Error::new(ErrorKind::CollectionExists, format!("collection '{name}' already exists")));
        }
        // Index files left by an earlier collection of this name describe other data.
        self.shared.store.remove_index_files(name)?;
        let table = block_on(
            self.shared
                .conn
                .create_empty_table(name, schema::new_collection_schema(dim, metric))
                .execute(),
        )?;
        let layout = Layout { dim, metric, meta: Vec::new(), tokenizer: Default::default() };
        let c = Collection::new(name.to_owned(), table, layout, self.shared.store.clone());
        self.shared.register_consumer(Arc::new(c.clone()))?;
        registry.insert(name.to_owned(), c.clone());
        Ok(c)
    }

    /// Opens an existing collection.
    pub fn get_collection(&self, name: &str) -> Result<Collection> {
        check_not_hidden(name)?;
        Ok(self.get_collection_any(name)?.kept_by(self.keep_alive()))
    }

    /// [`Database::get_collection`] for any name, hidden ones included (engine modules).
    pub(crate) fn get_collection_any(&self, name: &str) -> Result<Collection> {
        self.ensure_open()?;
        validate_collection_name(name)?;
        let mut registry = self.registry();
        if let Some(c) = registry.get(name) {
            return Ok(c.clone());
        }
        let table = block_on(self.shared.conn.open_table(name).execute())?;
        let schema = block_on(table.schema())?;
        let layout = Layout::from_schema(name, &schema)?;
        let c = Collection::new(name.to_owned(), table, layout, self.shared.store.clone());
        self.shared.register_consumer(Arc::new(c.clone()))?;
        registry.insert(name.to_owned(), c.clone());
        Ok(c)
    }

    /// Opens the collection, creating it if it does not exist. An existing collection must have
    /// the same dimension and metric.
    pub fn get_or_create_collection(&self, name: &str, dim: usize, metric: Metric) -> Result<Collection> {
        check_not_hidden(name)?;
        Ok(self.get_or_create_collection_any(name, dim, metric)?.kept_by(self.keep_alive()))
    }

    /// [`Database::get_or_create_collection`] for any name, hidden ones included (engine modules).
    pub(crate) fn get_or_create_collection_any(&self, name: &str, dim: usize, metric: Metric) -> Result<Collection> {
        match self.get_collection_any(name) {
            Ok(c) => {
                if c.dim() != dim || c.metric() != metric {
                    return Err(Error::invalid_argument(format!(
                        "collection '{name}' exists with dim={} metric={}, not dim={dim} metric={}",
                        c.dim(),
                        c.metric().as_str(),
                        metric.as_str()
                    )));
                }
                Ok(c)
            }
            Err(e) if e.kind() == ErrorKind::CollectionNotFound => match self.create_collection_any(name, dim, metric) {
                // Lost a race with another creator: open theirs.
                Err(e) if e.kind() == ErrorKind::CollectionExists => self.get_collection_any(name),
                other => other,
            },
            Err(e) => Err(e),
        }
    }

    /// The names of all collections, sorted (the engine's hidden ones are not listed).
    pub fn list_collections(&self) -> Result<Vec<String>> {
        let mut names = self.all_collection_names()?;
        names.retain(|n| !is_hidden(n));
        Ok(names)
    }

    /// The names of every collection, hidden ones included, sorted.
    pub(crate) fn all_collection_names(&self) -> Result<Vec<String>> {
        self.ensure_open()?;
        let mut names = block_on(self.shared.conn.table_names().execute())?;
        names.retain(|n| validate_collection_name(n).is_ok());
        names.sort();
        Ok(names)
    }

    /// Deletes a collection and its data (buffered writes too). Open handles to it fail with
    /// [`ErrorKind::Closed`].
    pub fn drop_collection(&self, name: &str) -> Result<()> {
        check_not_hidden(name)?;
        self.drop_collection_any(name)
    }

    /// [`Database::drop_collection`] for any name, hidden ones included (engine modules).
    pub(crate) fn drop_collection_any(&self, name: &str) -> Result<()> {
        self.ensure_open()?;
        self.shared.store.ensure_writable()?;
        validate_collection_name(name)?;
        let mut registry = self.registry();
        if !self.all_collection_names()?.iter().any(|n| n == name) {
            return Err(Error::new(ErrorKind::CollectionNotFound, format!("collection '{name}' does not exist")));
        }
        // A flush, compaction or index build of the collection already running on another thread
        // (the background flusher) would write into the table's directory while Lance removes
        // it, and the drop would fail half-way ("Directory not empty"). Marked dropped, none
        // starts; holding its flush and write locks (in the buffer's lock order) waits for the
        // one running.
        let open = registry.get(name).cloned();
        let _quiet = open.as_ref().map(|c| {
            c.inner.dropped.store(true, Ordering::Release);
            let flush = c.inner.flush_lock.lock().unwrap_or_else(|p| p.into_inner());
            (flush, c.inner.write_lock.lock().unwrap_or_else(|p| p.into_inner()))
        });
        if let Err(e) = block_on(self.shared.conn.drop_table(name, &[])) {
            // Not dropped: the open handles go on working (and the next open is not handed a
            // dropped collection).
            if let Some(c) = &open {
                c.inner.dropped.store(false, Ordering::Release);
            }
            return Err(e.into());
        }
        // The table is gone: so is the collection, even if a step below fails.
        if let Some(c) = registry.remove(name) {
            c.discard_buffer();
        }
        self.shared.store.remove_index_files(name)?;
        // After the table is gone: a crash in between replays records of a collection that no
        // longer exists, which are discarded.
        self.shared.unregister_consumer(&crate::collection::buffer::stream_name(name))?;
        Ok(())
    }
}

/// Collections whose names start with this are the engine's own (memory stores, RAG chunks):
/// users cannot create, open or drop them by name, and `list_collections` does not show them.
pub const HIDDEN_PREFIX: &str = crate::storage::context::HIDDEN_PREFIX;

/// Whether a collection name is one of the engine's hidden ones.
pub fn is_hidden(name: &str) -> bool {
    name.starts_with(HIDDEN_PREFIX)
}

fn check_not_hidden(name: &str) -> Result<()> {
    if is_hidden(name) {
        return Err(Error::new(
            ErrorKind::InvalidName,
            format!("invalid collection name {name:?}: names starting with '{HIDDEN_PREFIX}' are reserved for AgentDB's internal collections"),
        ));
    }
    Ok(())
}

