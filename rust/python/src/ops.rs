//! Operations: stats, health and metrics of a database and its stores (`agentdb/ops.py`), and
//! the bridge from the engine's `log` records to Python's `logging`.
//!
//! The figures cross as the engine's own JSON (`to_json` on each stats type) turned into Python
//! dicts, so a field added in the engine reaches Python without a change here.
//!
//! Logging: engine threads (the flusher, compaction, consolidation) never touch Python. A
//! bridge that takes the GIL in `log()` can deadlock (a Python thread holding the GIL may be
//! waiting for that engine thread: closing a database joins its flusher), and a Rust thread
//! that asks for the GIL while the interpreter finalizes is ended by CPython with a forced
//! unwind, which aborts the process. So `log()` only queues the record (bounded; the oldest are
//! dropped and counted when Python falls behind) and writes one wake-up byte to a pipe; a Python
//! daemon thread (`agentdb/ops.py`) blocks on the pipe in CPython's own `os.read`, drains the
//! queue and hands the records to `logging.getLogger("agentdb…")`, where Python's levels and
//! handlers decide what is shown. Quiet by default: at Python's default level (WARNING) only
//! the engine's warnings and errors show.

use std::collections::VecDeque;
use std::sync::{Mutex, OnceLock};

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::collection::PyCollection;
use crate::database::PyDatabase;
use crate::errors::OrRaise;
use crate::memory::PyMemory;
use crate::rag::PyRag;
use crate::state::{from_json, PyState};

/// `Database.stats()`: every table, the log, open handles (see `agentdb.ops.DbStats`).
#[pyfunction]
pub fn db_stats<'py>(py: Python<'py>, db: PyRef<'py, PyDatabase>) -> PyResult<Bound<'py, PyAny>> {
    let db = db.engine().clone();
    let s = py.detach(|| db.stats()).or_raise()?;
    from_json(py, &s.to_json())
}

/// `Database.health()` (see `agentdb.ops.Health`). No disk access.
#[pyfunction]
pub fn db_health<'py>(py: Python<'py>, db: PyRef<'py, PyDatabase>) -> PyResult<Bound<'py, PyAny>> {
    let db = db.engine().clone();
    let h = py.detach(|| db.health());
    from_json(py, &h.to_json())
}

/// `Database.metrics_text()`: the Prometheus text exposition format.
#[pyfunction]
pub fn metrics_text(py: Python<'_>, db: PyRef<'_, PyDatabase>) -> PyResult<String> {
    let db = db.engine().clone();
    py.detach(|| db.metrics_text()).or_raise()
}

#[pyfunction]
pub fn set_metrics_enabled(db: PyRef<'_, PyDatabase>, on: bool) {
    db.engine().set_metrics_enabled(on);
}

#[pyfunction]
pub fn metrics_enabled(db: PyRef<'_, PyDatabase>) -> bool {
    db.engine().metrics_enabled()
}

/// `State.stats()`: the agent state's tables.
#[pyfunction]
pub fn state_stats<'py>(py: Python<'py>, state: PyRef<'py, PyState>) -> PyResult<Bound<'py, PyList>> {
    let db = state.database().clone();
    let stores = py.detach(|| db.state_stats()).or_raise()?;
    let items = stores.iter().map(|s| from_json(py, &s.to_json())).collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

#[pyfunction]
pub fn collection_stats<'py>(py: Python<'py>, collection: PyRef<'py, PyCollection>) -> PyResult<Bound<'py, PyAny>> {
    let c = collection.engine().clone();
    let s = py.detach(|| c.stats()).or_raise()?;
    from_json(py, &s.to_json())
}

#[pyfunction]
pub fn memory_stats<'py>(py: Python<'py>, memory: PyRef<'py, PyMemory>) -> PyResult<Bound<'py, PyAny>> {
    let m = memory.engine().clone();
    let s = py.detach(|| m.stats()).or_raise()?;
    from_json(py, &s.to_json())
}

#[pyfunction]
pub fn rag_stats<'py>(py: Python<'py>, rag: PyRef<'py, PyRag>) -> PyResult<Bound<'py, PyAny>> {
    let s = {
        let r = rag.engine();
        py.detach(|| r.stats()).or_raise()?
    };
    from_json(py, &s.to_json())
}

// ---- logging ----

/// Records queued for Python at most; past it the oldest go (counted, and reported as a
/// warning with the next batch).
const QUEUE_LIMIT: usize = 10_000;

/// One record: Python's level number (`logging.DEBUG` = 10 … `logging.ERROR` = 40), the logger
/// name (`agentdb` plus the engine module: `agentdb.db`, …) and the message.
type Entry = (u8, String, String);

#[derive(Default)]
struct Queue {
    entries: VecDeque<Entry>,
    dropped: u64,
    /// A wake-up byte is in the pipe and not yet answered by a drain: at most one is ever
    /// pending, so the pipe never fills and a logging thread never blocks on it.
    wake_pending: bool,
}

struct Bridge {
    queue: Mutex<Queue>,
    /// Written (one byte) when records arrive; Python's pump thread waits on the read end.
    wake: Mutex<std::io::PipeWriter>,
    /// Kept open for the life of the process: Python reads its file descriptor.
    read_end: std::io::PipeReader,
}

static BRIDGE: OnceLock<&'static Bridge> = OnceLock::new();

fn python_level(level: log::Level) -> u8 {
    match level {
        log::Level::Error => 40,
        log::Level::Warn => 30,
        log::Level::Info => 20,
        log::Level::Debug => 10,
        log::Level::Trace => 5,
    }
}

/// `agentdb_engine::collection::maintenance` → `agentdb.collection.maintenance`.
fn logger_name(target: &str) -> String {
    let mut parts = target.split("::");
    let _crate = parts.next();
    std::iter::once("agentdb").chain(parts).collect::<Vec<_>>().join(".")
}

impl log::Log for Bridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with("agentdb")
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let entry = (python_level(record.level()), logger_name(record.target()), record.args().to_string());
        let wake = {
            let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            if q.entries.len() >= QUEUE_LIMIT {
                q.entries.pop_front();
                q.dropped += 1;
            }
            q.entries.push_back(entry);
            !std::mem::replace(&mut q.wake_pending, true)
        };
        if wake {
            use std::io::Write as _;
            // A failed write only delays the records to the next drain (`flush_logs`, or the
            // next wake-up).
            let _ = self.wake.lock().unwrap_or_else(|p| p.into_inner()).write_all(&[1]);
        }
    }

    fn flush(&self) {}
}

/// Installs the bridge (once per process; the module's init calls it). When another logger is
/// already installed (an embedding application's), the engine's records go there instead.
pub fn install_logging() {
    let Ok((read_end, write_end)) = std::io::pipe() else { return };
    let bridge: &'static Bridge = BRIDGE.get_or_init(|| {
        Box::leak(Box::new(Bridge { queue: Mutex::new(Queue::default()), wake: Mutex::new(write_end), read_end }))
    });
    if log::set_logger(bridge).is_ok() {
        // Every record reaches the queue; Python's levels filter them (the engine logs a few
        // lines per open, flush and compaction, so formatting them all costs nothing measurable).
        log::set_max_level(log::LevelFilter::Debug);
    }
}

/// The file descriptor Python's pump thread reads wake-up bytes from (`None`: no bridge).
#[pyfunction]
pub fn log_wake_fd() -> Option<i32> {
    use std::os::fd::AsRawFd as _;
    BRIDGE.get().map(|b| b.read_end.as_raw_fd())
}

/// Takes every queued record: `(dropped, [(level, logger, message), ...])`. Never blocks on the
/// engine: the queue's lock is held only to move the records out.
#[pyfunction]
pub fn log_drain() -> (u64, Vec<Entry>) {
    let Some(bridge) = BRIDGE.get() else { return (0, Vec::new()) };
    let mut q = bridge.queue.lock().unwrap_or_else(|p| p.into_inner());
    q.wake_pending = false;
    let dropped = std::mem::take(&mut q.dropped);
    (dropped, q.entries.drain(..).collect())
}
