//! `agentdb._native` backup, restore and verify: the binding of the engine's `admin` module that
//! `agentdb/admin.py` wraps in typed results. Results cross as plain dicts; every engine call runs
//! with the GIL released.

use std::path::PathBuf;

use agentdb_engine::{BackupPoint, VerifyReport};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::args::{Flag, Int};
use crate::database::PyDatabase;
use crate::errors::{new_err, type_err, OrRaise};

/// A path argument (`str` or `os.PathLike`), or an `InvalidArgumentTypeError` naming it.
fn path_arg(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    obj.extract().map_err(|_| {
        let t = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        type_err(format!("{what} must be a str or an os.PathLike, got {t}"))
    })
}

/// A point number (`at`): a positive int, or `None` for the latest.
fn point_arg(at: Option<Int>) -> PyResult<Option<u64>> {
    match at {
        None => Ok(None),
        Some(Int(n)) if n >= 1 => Ok(Some(n as u64)),
        Some(Int(n)) => Err(new_err(agentdb_engine::ErrorKind::InvalidArgument, format!("at must be a backup point number (1 or more), got {n}"))),
    }
}

fn point_dict<'py>(py: Python<'py>, p: &BackupPoint) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("seq", p.seq)?;
    d.set_item("time_micros", p.time_micros)?;
    d.set_item("incremental", p.incremental)?;
    d.set_item("tables", p.tables.clone())?;
    d.set_item("files", p.files.len())?;
    d.set_item("total_bytes", p.total_bytes())?;
    d.set_item("copied_files", p.copied_files)?;
    d.set_item("copied_bytes", p.copied_bytes)?;
    Ok(d)
}

fn report_dict<'py>(py: Python<'py>, r: &VerifyReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let problems = PyList::empty(py);
    for p in &r.problems {
        let q = PyDict::new(py);
        q.set_item("kind", p.kind.as_str())?;
        q.set_item("store", &p.store)?;
        q.set_item("file", &p.file)?;
        q.set_item("detail", &p.detail)?;
        q.set_item("repairable", p.kind.repairable())?;
        q.set_item("repaired", p.repaired)?;
        problems.append(q)?;
    }
    d.set_item("problems", problems)?;
    for (k, v) in [
        ("tables", r.tables),
        ("versions", r.versions),
        ("files", r.files),
        ("rows", r.rows),
        ("wal_segments", r.wal_segments),
        ("wal_records", r.wal_records),
        ("index_files", r.index_files),
    ] {
        d.set_item(k, v)?;
    }
    Ok(d)
}

/// Backs `db` up into `dest` as a new point (see `Database::backup`).
#[pyfunction]
#[pyo3(signature = (db, dest, incremental=Flag(false)))]
pub fn backup<'py>(py: Python<'py>, db: &PyDatabase, dest: &Bound<'py, PyAny>, incremental: Flag) -> PyResult<Bound<'py, PyDict>> {
    let dest = path_arg("dest", dest)?;
    let db = db.engine();
    let point = py.detach(|| db.backup(&dest, *incremental)).or_raise()?;
    point_dict(py, &point)
}

/// Restores point `at` (the latest when `None`) of the backup `src` into the new directory `path`.
#[pyfunction]
#[pyo3(signature = (src, path, at=None))]
pub fn restore<'py>(py: Python<'py>, src: &Bound<'py, PyAny>, path: &Bound<'py, PyAny>, at: Option<Int>) -> PyResult<Bound<'py, PyDict>> {
    let (src, path, at) = (path_arg("src", src)?, path_arg("path", path)?, point_arg(at)?);
    let point = py.detach(|| agentdb_engine::restore(&src, &path, at)).or_raise()?;
    point_dict(py, &point)
}

/// The points of the backup directory `src`, oldest first.
#[pyfunction]
pub fn list_backups<'py>(py: Python<'py>, src: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let src = path_arg("src", src)?;
    let points = py.detach(|| agentdb_engine::list_backups(&src)).or_raise()?;
    points.iter().map(|p| point_dict(py, p)).collect()
}

/// Keeps the newest `keep` points of the backup `dest` and removes the older ones and the files
/// only they named; returns {"removed_points", "removed_files", "freed_bytes"}.
#[pyfunction]
pub fn prune_backups<'py>(py: Python<'py>, dest: &Bound<'py, PyAny>, keep: Int) -> PyResult<Bound<'py, PyDict>> {
    let dest = path_arg("dest", dest)?;
    // A negative count is refused by the engine's own check, as 0 is.
    let keep = usize::try_from(keep.0).unwrap_or(0);
    let report = py.detach(|| agentdb_engine::prune_backups(&dest, keep)).or_raise()?;
    let d = PyDict::new(py);
    d.set_item("removed_points", report.removed_points)?;
    d.set_item("removed_files", report.removed_files)?;
    d.set_item("freed_bytes", report.freed_bytes)?;
    Ok(d)
}

/// The files of point `at` of the backup `src` that fail their recorded size or SHA-256, as
/// (stored path, what is wrong).
#[pyfunction]
#[pyo3(signature = (src, at=None))]
pub fn verify_backup(py: Python<'_>, src: &Bound<'_, PyAny>, at: Option<Int>) -> PyResult<Vec<(String, String)>> {
    let (src, at) = (path_arg("src", src)?, point_arg(at)?);
    py.detach(|| agentdb_engine::verify_backup(&src, at)).or_raise()
}

/// Verifies `db` (see `Database::verify`), repairing what can be rebuilt when `repair`.
#[pyfunction]
#[pyo3(signature = (db, repair=Flag(false)))]
pub fn verify<'py>(py: Python<'py>, db: &PyDatabase, repair: Flag) -> PyResult<Bound<'py, PyDict>> {
    let db = db.engine();
    let report = py.detach(|| db.verify(*repair)).or_raise()?;
    report_dict(py, &report)
}

pub fn add_defaults(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let kinds = PyDict::new(m.py());
    for k in agentdb_engine::ProblemKind::ALL {
        kinds.set_item(k.as_str(), k.describe())?;
    }
    m.add("PROBLEM_KINDS", kinds)
}
