//! `agentdb._native.Database`: the binding of [`agentdb_engine::Database`] that
//! `agentdb/database.py` wraps. Every engine call runs with the GIL released.

use std::path::PathBuf;

use agentdb_engine::{Database, Metric};
use pyo3::prelude::*;

use crate::collection::PyCollection;
use crate::conversion::non_negative;
use crate::errors::OrRaise;

/// An open database directory (see `agentdb.Database`).
#[pyclass(frozen, name = "Database", module = "agentdb._native")]
pub struct PyDatabase {
    inner: Database,
}

fn parse_metric(metric: &str) -> PyResult<Metric> {
    metric.parse::<Metric>().or_raise()
}

#[pymethods]
impl PyDatabase {
    /// Opens (creating if needed) the database in directory `path`.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| Database::open(&path)).or_raise()?;
        Ok(PyDatabase { inner })
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

    fn create_collection(&self, py: Python<'_>, name: &str, dim: i64, metric: &str) -> PyResult<PyCollection> {
        let (dim, metric) = (non_negative("dim", dim)?, parse_metric(metric)?);
        let c = py.detach(|| self.inner.create_collection(name, dim, metric)).or_raise()?;
        Ok(PyCollection::new(c))
    }

    fn get_collection(&self, py: Python<'_>, name: &str) -> PyResult<PyCollection> {
        let c = py.detach(|| self.inner.get_collection(name)).or_raise()?;
        Ok(PyCollection::new(c))
    }

    fn get_or_create_collection(&self, py: Python<'_>, name: &str, dim: i64, metric: &str) -> PyResult<PyCollection> {
        let (dim, metric) = (non_negative("dim", dim)?, parse_metric(metric)?);
        let c = py.detach(|| self.inner.get_or_create_collection(name, dim, metric)).or_raise()?;
        Ok(PyCollection::new(c))
    }

    fn list_collections(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        py.detach(|| self.inner.list_collections()).or_raise()
    }

    fn drop_collection(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        py.detach(|| self.inner.drop_collection(name)).or_raise()
    }

    fn __repr__(&self) -> String {
        format!("_native.Database({:?})", self.inner.path().display().to_string())
    }
}
