//! Export and import of stores (`agentdb/transfer.py`): the engine's JSONL and Parquet files, with progress
//! reported to a Python callable.

use std::path::PathBuf;

use agentdb_engine::{LanceImport, StoreKind};
use pyo3::prelude::*;

use crate::args::Text;
use crate::database::PyDatabase;
use crate::errors::OrRaise;
use crate::state::from_json;

fn kind_arg(kind: Option<Text>) -> PyResult<Option<StoreKind>> {
    kind.map(|k| k.parse::<StoreKind>()).transpose().or_raise()
}

/// The engine's progress callback over an optional Python callable `(done, total) -> None`. A
/// failing callable does not stop the transfer (its exception is printed as unraisable).
fn reporter(progress: Option<Py<PyAny>>) -> impl FnMut(u64, u64) {
    move |done, total| {
        if let Some(f) = &progress {
            Python::attach(|py| {
                if let Err(e) = f.call1(py, (done, total)) {
                    e.write_unraisable(py, Some(f.bind(py)));
                }
            });
        }
    }
}

/// `Database.export_store`: `{"kind", "name", "records"}`.
#[pyfunction]
#[pyo3(signature = (db, name, path, kind=None, progress=None))]
pub fn export_store<'py>(
    py: Python<'py>,
    db: PyRef<'py, PyDatabase>,
    name: Text,
    path: PathBuf,
    kind: Option<Text>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let kind = kind_arg(kind)?;
    let db = db.engine().clone();
    let mut report = reporter(progress);
    let r = py.detach(|| db.export_store(&name, kind, &path, &mut report)).or_raise()?;
    from_json(py, &r.to_json())
}

/// `Database.import_store`: `{"kind", "name", "records"}`.
#[pyfunction]
#[pyo3(signature = (db, path, name=None, progress=None))]
pub fn import_store<'py>(
    py: Python<'py>,
    db: PyRef<'py, PyDatabase>,
    path: PathBuf,
    name: Option<Text>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let db = db.engine().clone();
    let mut report = reporter(progress);
    let r = py.detach(|| db.import_store(&path, name.as_ref().map(|n| n.0.as_str()), &mut report)).or_raise()?;
    from_json(py, &r.to_json())
}

/// `Database.import_lancedb`: a table of another LanceDB database as a new collection. Column
/// names left `None` are the engine's (`LanceImport::new`).
#[pyfunction]
#[pyo3(signature = (db, uri, table, name=None, id_column=None, vector_column=None, text_column=None, metadata_columns=None, metric=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn import_lance_table<'py>(
    py: Python<'py>,
    db: PyRef<'py, PyDatabase>,
    uri: Text,
    table: Text,
    name: Option<Text>,
    id_column: Option<Text>,
    vector_column: Option<Text>,
    text_column: Option<Text>,
    metadata_columns: Option<Vec<String>>,
    metric: Option<Text>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut opts = LanceImport::new(&uri, &table);
    opts.name = name.map(|n| n.0);
    if let Some(c) = id_column {
        opts.id_column = c.0;
    }
    if let Some(c) = vector_column {
        opts.vector_column = c.0;
    }
    opts.text_column = text_column.map(|c| c.0);
    opts.metadata_columns = metadata_columns;
    opts.metric = crate::database::parse_metric(metric)?;
    let db = db.engine().clone();
    let mut report = reporter(progress);
    let r = py.detach(|| db.import_lance_table(&opts, &mut report)).or_raise()?;
    from_json(py, &r.to_json())
}

/// `Database.import_chroma`: a collection of a Chroma `PersistentClient` directory as a new
/// collection, read by the engine from Chroma's files.
#[pyfunction]
#[pyo3(signature = (db, path, collection, name=None, progress=None))]
pub fn import_chroma<'py>(
    py: Python<'py>,
    db: PyRef<'py, PyDatabase>,
    path: PathBuf,
    collection: Text,
    name: Option<Text>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let db = db.engine().clone();
    let mut report = reporter(progress);
    let r = py.detach(|| db.import_chroma(&path, &collection, name.as_ref().map(|n| n.0.as_str()), &mut report)).or_raise()?;
    from_json(py, &r.to_json())
}

/// `Database.store_kind`.
#[pyfunction]
pub fn store_kind(py: Python<'_>, db: PyRef<'_, PyDatabase>, name: Text) -> PyResult<&'static str> {
    let db = db.engine().clone();
    py.detach(|| db.store_kind(&name)).map(StoreKind::as_str).or_raise()
}

pub fn add_defaults(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("STORE_KINDS", StoreKind::ALL.map(StoreKind::as_str).to_vec())?;
    m.add("EXPORT_FORMAT", agentdb_engine::EXPORT_FORMAT)?;
    Ok(())
}
