//! `agentdb._native.CancelToken` (binding side of `agentdb/cancel.py`): the engine's
//! [`CancelToken`], attached to the calling thread for the length of one `run`.

use agentdb_engine::{cancel, CancelToken};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// A token that cancels the long calls made inside [`PyCancelToken::run`] (see `agentdb.cancel`).
#[pyclass(frozen, name = "CancelToken", module = "agentdb._native")]
pub struct PyCancelToken {
    token: CancelToken,
}

#[pymethods]
impl PyCancelToken {
    #[new]
    fn new() -> Self {
        Self { token: CancelToken::new() }
    }

    /// Asks the calls running under this token to stop at their next safe point. Any thread.
    fn cancel(&self) {
        self.token.cancel();
    }

    /// Clears the flag, so the token can serve another call.
    fn reset(&self) {
        self.token.reset();
    }

    #[getter]
    fn cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// `call(*args, **kwargs)` with this token attached to the calling thread (the engine calls
    /// it makes release the GIL on this same thread, so they see the token).
    #[pyo3(signature = (call, *args, **kwargs))]
    fn run(&self, call: Bound<'_, PyAny>, args: Bound<'_, PyTuple>, kwargs: Option<Bound<'_, PyDict>>) -> PyResult<Py<PyAny>> {
        cancel::with_token(&self.token, || call.call(args, kwargs.as_ref()).map(Bound::unbind))
    }

    fn __repr__(&self) -> String {
        format!("CancelToken(cancelled={})", if self.token.is_cancelled() { "True" } else { "False" })
    }
}
