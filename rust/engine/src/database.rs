//! A database: one directory holding one Lance table per collection.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::collection::Collection;
use crate::error::{Error, ErrorKind, Result};
use crate::runtime::block_on;
use crate::schema::{self, validate_collection_name, Layout, Metric};

/// An open database. Cheap to clone; clones share one connection, and
/// [`Database::close`] closes them all.
#[derive(Clone)]
pub struct Database {
    shared: Arc<DbShared>,
}

pub(crate) struct DbShared {
    path: PathBuf,
    conn: lancedb::Connection,
    /// One state per open collection, so every handle to it shares its write lock and schema.
    collections: Mutex<HashMap<String, Collection>>,
    closed: AtomicBool,
}

impl DbShared {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl Database {
    /// Opens the database in directory `path`, creating the directory if it does not exist.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        let path = path.as_ref();
        if path.as_os_str().is_empty() {
            return Err(Error::invalid_argument("the database path is empty"));
        }
        if path.exists() && !path.is_dir() {
            return Err(Error::storage(format!("{} exists and is not a directory", path.display())));
        }
        std::fs::create_dir_all(path)
            .map_err(|e| Error::storage(format!("cannot create database directory {}: {e}", path.display())))?;
        let path = path.canonicalize()?;
        let uri = path
            .to_str()
            .ok_or_else(|| Error::invalid_argument(format!("the path {} is not valid UTF-8", path.display())))?
            .to_owned();
        let conn = block_on(lancedb::connect(&uri).execute())?;
        Ok(Database {
            shared: Arc::new(DbShared {
                path,
                conn,
                collections: Mutex::new(HashMap::new()),
                closed: AtomicBool::new(false),
            }),
        })
    }

    /// The database directory (absolute).
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Closes the database: every handle to it and to its collections fails with
    /// [`ErrorKind::Closed`] from now on. Writes are durable when they return, so nothing is lost.
    /// Closing twice is harmless.
    pub fn close(&self) {
        let collections: Vec<Collection> = self.registry().drain().map(|(_, c)| c).collect();
        for c in &collections {
            // An index that cannot be saved is rebuilt on the next open; closing still succeeds.
            let _ = c.save_index();
        }
        self.shared.closed.store(true, Ordering::Release);
    }

    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    fn ensure_open(&self) -> Result<()> {
        if self.shared.is_closed() {
            return Err(Error::new(ErrorKind::Closed, "the database is closed"));
        }
        Ok(())
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, HashMap<String, Collection>> {
        self.shared.collections.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates an empty collection of `dim`-dimensional vectors compared by `metric`.
    pub fn create_collection(&self, name: &str, dim: usize, metric: Metric) -> Result<Collection> {
        self.ensure_open()?;
        validate_collection_name(name)?;
        if dim == 0 || dim > schema::MAX_DIM {
            return Err(Error::invalid_argument(format!("dim must be between 1 and {}, got {dim}", schema::MAX_DIM)));
        }
        let mut registry = self.registry();
        if self.list_collections()?.iter().any(|n| n == name) {
            return Err(Error::new(ErrorKind::CollectionExists, format!("collection '{name}' already exists")));
        }
        // Index files left by an earlier collection of this name describe other data.
        crate::index_file::remove(&self.shared.path, name)?;
        let table = block_on(
            self.shared
                .conn
                .create_empty_table(name, schema::new_collection_schema(dim, metric))
                .execute(),
        )?;
        let layout = Layout { dim, metric, meta: Vec::new() };
        let c = Collection::new(name.to_owned(), table, layout, self.shared.clone());
        registry.insert(name.to_owned(), c.clone());
        Ok(c)
    }

    /// Opens an existing collection.
    pub fn get_collection(&self, name: &str) -> Result<Collection> {
        self.ensure_open()?;
        validate_collection_name(name)?;
        let mut registry = self.registry();
        if let Some(c) = registry.get(name) {
            return Ok(c.clone());
        }
        let table = block_on(self.shared.conn.open_table(name).execute())?;
        let schema = block_on(table.schema())?;
        let layout = Layout::from_schema(name, &schema)?;
        let c = Collection::new(name.to_owned(), table, layout, self.shared.clone());
        registry.insert(name.to_owned(), c.clone());
        Ok(c)
    }

    /// Opens the collection, creating it if it does not exist. An existing collection must have
    /// the same dimension and metric.
    pub fn get_or_create_collection(&self, name: &str, dim: usize, metric: Metric) -> Result<Collection> {
        match self.get_collection(name) {
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
            Err(e) if e.kind() == ErrorKind::CollectionNotFound => match self.create_collection(name, dim, metric) {
                // Lost a race with another creator: open theirs.
                Err(e) if e.kind() == ErrorKind::CollectionExists => self.get_collection(name),
                other => other,
            },
            Err(e) => Err(e),
        }
    }

    /// The names of all collections, sorted.
    pub fn list_collections(&self) -> Result<Vec<String>> {
        self.ensure_open()?;
        let mut names = block_on(self.shared.conn.table_names().execute())?;
        names.retain(|n| validate_collection_name(n).is_ok());
        names.sort();
        Ok(names)
    }

    /// Deletes a collection and its data. Open handles to it fail with [`ErrorKind::Closed`].
    pub fn drop_collection(&self, name: &str) -> Result<()> {
        self.ensure_open()?;
        validate_collection_name(name)?;
        let mut registry = self.registry();
        if !self.list_collections()?.iter().any(|n| n == name) {
            return Err(Error::new(ErrorKind::CollectionNotFound, format!("collection '{name}' does not exist")));
        }
        block_on(self.shared.conn.drop_table(name, &[]))?;
        crate::index_file::remove(&self.shared.path, name)?;
        if let Some(c) = registry.remove(name) {
            c.inner.dropped.store(true, Ordering::Release);
        }
        Ok(())
    }
}
