//! `agentdb._native.Database`: the binding of [`agentdb_engine::Database`] that
//! `agentdb/database.py` wraps. Every engine call runs with the GIL released.

use std::path::PathBuf;

use agentdb_engine::{Database, Metric, OpenOptions, ObjectStoreOptions, SyncMode};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::args::{Flag, Int, Text};
use crate::collection::PyCollection;
use crate::conversion::non_negative;
use crate::errors::{type_err, OrRaise};

/// An open database directory (see `agentdb.Database`).
#[pyclass(frozen, name = "Database", module = "agentdb._native")]
pub struct PyDatabase {
    inner: Database,
}

impl PyDatabase {
    /// The engine database (for the other binding modules, e.g. `rag.rs`).
    pub(crate) fn engine(&self) -> &Database {
        &self.inner
    }
}

/// The engine's defaults for opening a database, as attributes of `agentdb._native` (read by
/// `agentdb/database.py` and its docstrings instead of copies).
pub fn add_defaults(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let d = OpenOptions::default();
    m.add("DEFAULT_SYNC", d.sync.as_str())?;
    m.add("SYNC_MODES", PyTuple::new(py, SyncMode::ALL.iter().map(|s| s.as_str()))?)?;
    m.add("METRICS", PyTuple::new(py, Metric::ALL.iter().map(|s| s.as_str()))?)?;
    m.add("DEFAULT_METRIC", Metric::default().as_str())?;
    // `OpenOptions::payload_cache_bytes` `None` stands for this limit.
    m.add("DEFAULT_PAYLOAD_CACHE_BYTES", agentdb_engine::DEFAULT_PAYLOAD_CACHE_BYTES)?;
    Ok(())
}

/// A duration in seconds from Python: finite and not negative, else the engine's
/// InvalidArgument (`None` stays `None`: the engine's default).
fn seconds(name: &str, value: Option<f64>) -> PyResult<Option<std::time::Duration>> {
    value
        .map(|v| {
            std::time::Duration::try_from_secs_f64(v).map_err(|_| {
                agentdb_engine::Error::new(agentdb_engine::ErrorKind::InvalidArgument, format!("{name} must be a finite number of seconds >= 0, got {v}"))
            })
        })
        .transpose()
        .or_raise()
}

/// `metric` parsed by the engine; `None`: the engine's default ([`Metric::default`]).
pub(crate) fn parse_metric(metric: Option<Text>) -> PyResult<Metric> {
    metric.map_or(Ok(Metric::default()), |m| m.parse::<Metric>()).or_raise()
}

#[pymethods]
impl PyDatabase {
    /// Opens (creating if needed) the database in directory `path`; `sync` is "always",
    /// "batch" or "off"; `read_only` opens without the writer lock. Options left `None` take the
    /// engine's defaults (`OpenOptions::default()`).
    ///
    /// A `str` with a scheme (`s3://bucket/prefix`, `file://...`) is opened as a URI with
    /// `storage_options`, `wal_dir`, `lease_ttl` and `read_consistency_interval` (seconds; see
    /// the engine's `ObjectStoreOptions`); on a local path those four are ignored.
    #[new]
    #[pyo3(signature = (path, sync=None, read_only=Flag(false), payload_cache_bytes=None, storage_options=None, wal_dir=None, lease_ttl=None, read_consistency_interval=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        sync: Option<Text>,
        read_only: Flag,
        payload_cache_bytes: Option<Int>,
        storage_options: Option<std::collections::HashMap<String, String>>,
        wal_dir: Option<PathBuf>,
        lease_ttl: Option<f64>,
        read_consistency_interval: Option<f64>,
    ) -> PyResult<Self> {
        let uri: Option<String> = path.extract::<String>().ok().filter(|s| s.contains("://"));
        let path: PathBuf = path.extract().map_err(|_| {
            let t = path.get_type().name().map(|n| n.to_string()).unwrap_or_default();
            type_err(format!("path must be a str or an os.PathLike, got {t}"))
        })?;
        let d = OpenOptions::default();
        let options = OpenOptions {
            sync: sync.map_or(Ok(d.sync), |s| s.parse::<SyncMode>()).or_raise()?,
            read_only: *read_only,
            payload_cache_bytes: match payload_cache_bytes {
                Some(b) => Some(non_negative("payload_cache_bytes", *b)?),
                None => d.payload_cache_bytes,
            },
        };
        let inner = match uri {
            Some(uri) => {
                let store = ObjectStoreOptions {
                    storage_options: storage_options.unwrap_or_default(),
                    wal_dir,
                    lease_ttl: seconds("lease_ttl", lease_ttl)?,
                    read_consistency_interval: seconds("read_consistency_interval", read_consistency_interval)?,
                };
                py.detach(|| Database::open_uri(&uri, options, &store)).or_raise()?
            }
            None => py.detach(|| Database::open_with(&path, options)).or_raise()?,
        };
        Ok(PyDatabase { inner })
    }

    /// Where the tables are: the object-store URI, or the database directory.
    #[getter]
    fn uri(&self) -> String {
        self.inner.uri()
    }

    /// Brings a read-only handle to the writer's latest commit now.
    fn refresh(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.refresh()).or_raise()
    }

    /// Whether the database was opened read-only.
    #[getter]
    fn read_only(&self) -> bool {
        self.inner.is_read_only()
    }

    /// The sync mode ("always", "batch", "off"), `None` when read-only.
    #[getter]
    fn sync(&self) -> Option<&'static str> {
        self.inner.sync_mode().map(SyncMode::as_str)
    }

    /// Writes buffered writes to Lance and trims the log.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.flush()).or_raise()
    }

    /// Compacts the open collections and the engine's own tables now.
    fn optimize(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.optimize()).or_raise()
    }

    /// The database directory, absolute.
    #[getter]
    fn path(&self) -> PathBuf {
        self.inner.path().to_path_buf()
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Closes the database and every collection handle from it. Idempotent.
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.inner.close())
    }

    #[pyo3(signature = (name, dim, metric=None))]
    fn create_collection(&self, py: Python<'_>, name: Text, dim: Int, metric: Option<Text>) -> PyResult<PyCollection> {
        let (dim, metric) = (non_negative("dim", *dim)?, parse_metric(metric)?);
        let c = py.detach(|| self.inner.create_collection(&name, dim, metric)).or_raise()?;
        Ok(PyCollection::new(c))
    }

    fn get_collection(&self, py: Python<'_>, name: Text) -> PyResult<PyCollection> {
        let c = py.detach(|| self.inner.get_collection(&name)).or_raise()?;
        Ok(PyCollection::new(c))
    }

    #[pyo3(signature = (name, dim, metric=None))]
    fn get_or_create_collection(&self, py: Python<'_>, name: Text, dim: Int, metric: Option<Text>) -> PyResult<PyCollection> {
        let (dim, metric) = (non_negative("dim", *dim)?, parse_metric(metric)?);
        let c = py.detach(|| self.inner.get_or_create_collection(&name, dim, metric)).or_raise()?;
        Ok(PyCollection::new(c))
    }

    fn list_collections(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        py.detach(|| self.inner.list_collections()).or_raise()
    }

    fn drop_collection(&self, py: Python<'_>, name: Text) -> PyResult<()> {
        py.detach(|| self.inner.drop_collection(&name)).or_raise()
    }

    fn __repr__(&self) -> String {
        format!("_native.Database({:?})", self.inner.path().display().to_string())
    }
}
