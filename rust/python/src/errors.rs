//! Engine errors → Python exceptions (binding side of `agentdb/errors.py`).
//!
//! The exception classes are defined once, in Python (`agentdb.errors`), so users and the Python
//! layer see one hierarchy. This module only maps each engine [`ErrorKind`] to the name of its
//! class and looks the class up when an error is raised.

use agentdb_engine::{Error, ErrorKind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// The Python module that defines the exception classes.
const ERRORS_MODULE: &str = "agentdb.errors";

/// The name of the class in `agentdb.errors` that represents `kind`.
pub fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "InvalidArgumentError",
        ErrorKind::InvalidName => "InvalidNameError",
        ErrorKind::CollectionNotFound => "CollectionNotFoundError",
        ErrorKind::CollectionExists => "CollectionExistsError",
        ErrorKind::DimensionMismatch => "DimensionMismatchError",
        ErrorKind::DuplicateId => "DuplicateIdError",
        ErrorKind::InvalidVector => "InvalidVectorError",
        ErrorKind::InvalidMetadata => "InvalidMetadataError",
        ErrorKind::InvalidFilter => "InvalidFilterError",
        ErrorKind::Closed => "ClosedError",
        ErrorKind::Storage => "StorageError",
        ErrorKind::Internal => "InternalError",
        ErrorKind::DatabaseLocked => "DatabaseLockedError",
        ErrorKind::ReadOnly => "ReadOnlyError",
        ErrorKind::Cancelled => "CancelledError",
    }
}

/// Every kind, in the order of their numeric codes (for the `ERROR_CLASSES` table of the module).
pub const ALL_KINDS: [ErrorKind; 15] = ErrorKind::ALL;

static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn class<'py>(py: Python<'py>, kind: ErrorKind) -> PyResult<Bound<'py, PyType>> {
    let module = MODULE.get_or_try_init(py, || py.import(ERRORS_MODULE).map(Bound::unbind))?;
    Ok(module.bind(py).getattr(class_name(kind))?.cast_into::<PyType>()?)
}

/// The Python exception for an engine error.
pub fn to_py(e: Error) -> PyErr {
    Python::attach(|py| match class(py, e.kind()) {
        Ok(cls) => PyErr::from_type(cls, e.message().to_owned()),
        // Only if `agentdb.errors` cannot be imported (a broken installation): still say what
        // went wrong.
        Err(_) => PyRuntimeError::new_err(format!("{}: {}", e.kind().as_str(), e.message())),
    })
}

/// A Python exception of `kind` raised by the binding itself (bad Python input).
pub fn new_err(kind: ErrorKind, message: impl Into<String>) -> PyErr {
    to_py(Error::new(kind, message))
}

/// The class for an argument of the wrong type: `agentdb.errors.InvalidArgumentTypeError`, an
/// `InvalidArgumentError` (engine kind `InvalidArgument`) that is also a `TypeError`.
const TYPE_ERROR_CLASS: &str = "InvalidArgumentTypeError";

/// An `InvalidArgumentTypeError`: an argument of the wrong type (bad Python input).
pub fn type_err(message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| {
        let cls = MODULE
            .get_or_try_init(py, || py.import(ERRORS_MODULE).map(Bound::unbind))
            .and_then(|m| Ok(m.bind(py).getattr(TYPE_ERROR_CLASS)?.cast_into::<PyType>()?));
        match cls {
            Ok(cls) => PyErr::from_type(cls, message),
            Err(_) => new_err(ErrorKind::InvalidArgument, message),
        }
    })
}

/// `result.map_err(to_py)` as a method: `engine_call().or_raise()?`.
pub trait OrRaise<T> {
    fn or_raise(self) -> PyResult<T>;
}

impl<T> OrRaise<T> for agentdb_engine::Result<T> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}
