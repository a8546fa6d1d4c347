//! `agentdb._native.WorkerPool`: the threads behind `agentdb/aio.py`.
//!
//! The engine API is synchronous (it blocks on its own runtime internally), so an async call is
//! a sync call run off the event loop. This pool is that "off": plain std threads that take a
//! Python callable (a bound method of the sync API, so each behaviour stays defined once), call
//! it, and hand the outcome back to the event loop with `loop.call_soon_threadsafe(resolve, fut,
//! ok, value)`. `resolve` is a Python function given at construction that settles the asyncio
//! future unless it was cancelled. No tokio here: engine calls must not run on a tokio worker
//! (they `block_on` the engine's own runtime), and a tokio dependency with other features
//! would recompile LanceDB.
//!
//! Measured against `asyncio.to_thread` and a ThreadPoolExecutor in `bench/async.py`
//! (`bench/results/async.md`).
//!
//! A job that started always runs to completion: cancelling the awaiting task only drops the
//! result (so a cancelled write is either done or, if cancelled before a worker took it, still
//! done once a worker takes it — never half done; the engine commits each batch atomically).
//! Threads start lazily, up to `threads`, and stay until `shutdown`, which lets the queued jobs
//! finish, then `join` waits for the threads to exit.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use agentdb_engine::ErrorKind;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::args::Int;
use crate::errors::new_err;

/// One sync call and where its outcome goes.
struct Job {
    call: Py<PyAny>,
    args: Py<PyTuple>,
    kwargs: Option<Py<PyDict>>,
    event_loop: Py<PyAny>,
    future: Py<PyAny>,
}

/// Who to tell when the last thread has left after `shutdown`.
struct Drained {
    event_loop: Py<PyAny>,
    future: Py<PyAny>,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
    /// Threads started and not yet exited.
    live: usize,
    /// Threads waiting for a job.
    idle: usize,
    drained: Option<Drained>,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    /// `resolve(fut, ok, value)`, the Python function that settles a future on its loop.
    resolve: Py<PyAny>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A worker never panics while holding the lock (no Python runs under it), so a poisoned
        // lock still holds a consistent queue.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Schedules `resolve(fut, ok, value)` on `event_loop`. A loop that is already closed has
    /// nobody awaiting: the outcome is dropped.
    fn settle(&self, py: Python<'_>, event_loop: &Py<PyAny>, future: &Py<PyAny>, ok: bool, value: Py<PyAny>) {
        let _ = event_loop
            .bind(py)
            .call_method1("call_soon_threadsafe", (self.resolve.bind(py), future.bind(py), ok, value));
    }
}

/// A worker thread: attached to the interpreter for its whole life (a thread state made once,
/// not per job: attaching a new thread per call cost about as much as a small search), the GIL
/// released while it waits.
fn worker(shared: Arc<Shared>) {
    // `move`: the last `Arc` (and the Python objects in `Shared`) may be dropped here, and must be
    // dropped while attached.
    Python::attach(move |py| {
        loop {
            let job = py.detach(|| {
                let mut q = shared.lock();
                loop {
                    if let Some(job) = q.jobs.pop_front() {
                        break Some(job);
                    }
                    if q.closed {
                        break None;
                    }
                    q.idle += 1;
                    q = shared.ready.wait(q).unwrap_or_else(|p| p.into_inner());
                    q.idle -= 1;
                }
            });
            let Some(job) = job else { break };
            let args = job.args.bind(py);
            let kwargs = job.kwargs.as_ref().map(|k| k.bind(py));
            let (ok, value) = match job.call.bind(py).call(args, kwargs) {
                Ok(v) => (true, v.unbind()),
                Err(e) => (false, e.into_value(py).into_any()),
            };
            shared.settle(py, &job.event_loop, &job.future, ok, value);
            drop(job);
        }
        let drained = {
            let mut q = shared.lock();
            q.live -= 1;
            if q.live == 0 { q.drained.take() } else { None }
        };
        if let Some(d) = drained {
            shared.settle(py, &d.event_loop, &d.future, true, py.None());
        }
    });
}

/// A pool of engine-call threads (see `agentdb.aio`).
#[pyclass(frozen, name = "WorkerPool", module = "agentdb._native")]
pub struct PyWorkerPool {
    shared: Arc<Shared>,
    size: usize,
    handles: Mutex<Vec<JoinHandle<()>>>,
}

#[pymethods]
impl PyWorkerPool {
    /// A pool of at most `threads` threads (started as needed) that settle futures with
    /// `resolve(fut, ok, value)`.
    #[new]
    fn new(threads: Int, resolve: Bound<'_, PyAny>) -> PyResult<Self> {
        let size = threads.0;
        if size < 1 {
            return Err(new_err(ErrorKind::InvalidArgument, format!("threads must be at least 1, got {size}")));
        }
        if !resolve.is_callable() {
            return Err(crate::errors::type_err("resolve must be callable"));
        }
        Ok(Self {
            shared: Arc::new(Shared { queue: Mutex::new(Queue::default()), ready: Condvar::new(), resolve: resolve.unbind() }),
            size: size as usize,
            handles: Mutex::new(Vec::new()),
        })
    }

    /// Queues `call(*args, **kwargs)`; its result or exception goes to `future` on `event_loop`.
    ///
    /// Raises `ClosedError` after `shutdown`.
    #[pyo3(signature = (event_loop, future, call, args, kwargs=None))]
    fn submit(
        &self,
        event_loop: Bound<'_, PyAny>,
        future: Bound<'_, PyAny>,
        call: Bound<'_, PyAny>,
        args: Bound<'_, PyTuple>,
        kwargs: Option<Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let spawn = {
            let mut q = self.shared.lock();
            if q.closed {
                return Err(new_err(ErrorKind::Closed, "the async worker pool is shut down"));
            }
            q.jobs.push_back(Job {
                call: call.unbind(),
                args: args.unbind(),
                kwargs: kwargs.map(Bound::unbind),
                event_loop: event_loop.unbind(),
                future: future.unbind(),
            });
            // Start a thread only when no idle one will take the job: threads grow with the
            // concurrency actually seen, up to `size`.
            let spawn = q.idle < q.jobs.len() && q.live < self.size;
            if spawn {
                q.live += 1;
            }
            spawn
        };
        if spawn {
            let shared = Arc::clone(&self.shared);
            let handle = std::thread::Builder::new()
                .name("agentdb-aio".into())
                .spawn(move || worker(shared))
                .map_err(|e| {
                    self.shared.lock().live -= 1;
                    new_err(ErrorKind::Internal, format!("cannot start an async worker thread: {e}"))
                })?;
            self.handles.lock().unwrap_or_else(|p| p.into_inner()).push(handle);
        }
        self.shared.ready.notify_one();
        Ok(())
    }

    /// Stops taking jobs; the queued ones still run. `future` on `event_loop` is settled (with
    /// `None`) once the last thread has finished its jobs (at once if none is running); then
    /// `join` returns without waiting. A second call changes nothing.
    fn shutdown(&self, py: Python<'_>, event_loop: Bound<'_, PyAny>, future: Bound<'_, PyAny>) {
        let now = {
            let mut q = self.shared.lock();
            let again = q.closed;
            q.closed = true;
            let d = Drained { event_loop: event_loop.unbind(), future: future.unbind() };
            if q.live == 0 || again {
                Some(d)
            } else {
                q.drained = Some(d);
                None
            }
        };
        self.shared.ready.notify_all();
        if let Some(d) = now {
            self.shared.settle(py, &d.event_loop, &d.future, true, py.None());
        }
    }

    /// Waits (GIL released) until every thread has exited; call after `shutdown`.
    fn join(&self, py: Python<'_>) {
        let handles = std::mem::take(&mut *self.handles.lock().unwrap_or_else(|p| p.into_inner()));
        py.detach(|| {
            for h in handles {
                let _ = h.join();
            }
        });
    }

    /// The most threads this pool starts.
    #[getter]
    fn size(&self) -> usize {
        self.size
    }

    /// The threads running now.
    #[getter]
    fn threads(&self) -> usize {
        self.shared.lock().live
    }

    /// Whether `shutdown` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.shared.lock().closed
    }
}

impl Drop for PyWorkerPool {
    /// A pool dropped without `shutdown` still lets its idle threads exit (after the queued jobs).
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_all();
    }
}
