//! How a storage call runs: a napi [`AsyncTask`] on libuv's worker pool, so the event loop never
//! blocks on the engine. Argument errors found while converting on the JS thread are carried
//! into the task, so they reject the Promise like engine errors do instead of throwing.

use std::panic::{catch_unwind, AssertUnwindSafe};

use agentdb_engine::{Error, ErrorKind, Result};
use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::{Env, Task};

type Work<T> = Box<dyn FnOnce() -> Result<T> + Send>;

/// One engine call: its closure (run on a worker thread) or the error its arguments had.
pub struct Job<T: Send + 'static> {
    work: Option<Result<Work<T>>>,
    /// The `signal` of the call, armed by index.js while the method built this task.
    cancel: Option<agentdb_engine::CancelToken>,
}

/// What a storage method returns: a Promise of `T` to JS.
pub type Promise<T> = AsyncTask<Job<T>>;

/// Runs `f` on the worker pool; its result settles the Promise.
pub fn run<T: ToNapiValue + TypeName + Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Promise<T> {
    AsyncTask::new(Job { work: Some(Ok(Box::new(f))), cancel: crate::cancel::take_armed() })
}

/// Converts the arguments with `args` (on the JS thread), then runs `f` on them off it. An
/// argument error rejects the Promise.
pub fn with<A: Send + 'static, T: ToNapiValue + TypeName + Send + 'static>(
    args: Result<A>,
    f: impl FnOnce(A) -> Result<T> + Send + 'static,
) -> Promise<T> {
    match args {
        Ok(a) => run(move || f(a)),
        Err(e) => AsyncTask::new(Job { work: Some(Err(e)), cancel: crate::cancel::take_armed() }),
    }
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Job<T> {
    type Output = Result<T>;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let work = self.work.take().unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "task ran twice")));
        let cancel = self.cancel.take();
        Ok(work.and_then(|f| {
            let f = move || match &cancel {
                Some(token) => agentdb_engine::cancel::with_token(token, f),
                None => f(),
            };
            // A panic must not unwind into libuv (that aborts the process): it becomes an
            // internal error, as in the Python binding.
            catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
                let why = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(Error::new(ErrorKind::Internal, format!("the engine panicked: {why}")))
            })
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<T> {
        output.map_err(|e| crate::errors::to_js(&env, e))
    }
}
