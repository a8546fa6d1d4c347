//! Operations: stats, health and metrics of a database and its stores (`agentdb/ops.py`), and
//! the bridge from the engine's `log` records to Python's `logging`.
//!
//! The figures cross as the engine's own JSON (`to_json` on each stats type) turned into Python
//! dicts, so a field added in the engine reaches Python without a change here.
//!
//! Logging: engine threads (the flusher, compaction, consolidation) must never wait for the GIL
//! — a Python thread holding it may be waiting for them (closing a database joins its flusher),
//! which is how a bridge that takes the GIL in `log()` can deadlock. So `log()` only queues the
//! record (bounded; the oldest are dropped and counted when Python falls behind) and one
//! forwarder thread takes the GIL to hand records to `logging.getLogger("agentdb…")`, where
//! Python's own levels and handlers decide what is shown. Quiet by default: Python's default
//! level (WARNING) shows only the engine's warnings and errors.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

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

/// Records queued for Python at most; past it the oldest go (counted in `dropped`).
const QUEUE_LIMIT: usize = 10_000;

struct Entry {
    /// Python's level number (`logging.DEBUG` = 10 … `logging.ERROR` = 40).
    level: u8,
    /// `agentdb` plus the engine module the record comes from (`agentdb.db`, …).
    logger: String,
    message: String,
}

#[derive(Default)]
struct Queue {
    entries: VecDeque<Entry>,
    /// The forwarder is handing a batch to Python (for `flush_logs`).
    busy: bool,
}

struct Bridge {
    queue: Mutex<Queue>,
    /// Signalled when records arrive (wakes the forwarder) and when a batch is done (wakes
    /// `flush_logs`).
    changed: Condvar,
    dropped: AtomicU64,
    /// Set at interpreter exit: from then on nothing takes the GIL.
    stopped: AtomicBool,
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
        metadata.target().starts_with("agentdb") && !self.stopped.load(Ordering::Relaxed)
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let entry = Entry {
            level: python_level(record.level()),
            logger: logger_name(record.target()),
            message: record.args().to_string(),
        };
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.entries.len() >= QUEUE_LIMIT {
            q.entries.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        q.entries.push_back(entry);
        self.changed.notify_all();
    }

    fn flush(&self) {}
}

impl Bridge {
    fn forward(&'static self) {
        loop {
            let batch: Vec<Entry> = {
                let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
                q.busy = false;
                self.changed.notify_all();
                while q.entries.is_empty() {
                    q = self.changed.wait(q).unwrap_or_else(|p| p.into_inner());
                }
                q.busy = true;
                q.entries.drain(..).collect()
            };
            if self.stopped.load(Ordering::Relaxed) {
                continue;
            }
            let dropped = self.dropped.swap(0, Ordering::Relaxed);
            Python::attach(|py| {
                // A failing handler must not stop the forwarding; Python reports its own
                // handler errors through `logging.raiseExceptions`.
                let _ = emit(py, dropped, &batch);
            });
        }
    }
}

fn emit(py: Python<'_>, dropped: u64, batch: &[Entry]) -> PyResult<()> {
    let logging = py.import("logging")?;
    if dropped > 0 {
        let msg = format!("agentdb: {dropped} log record(s) dropped (Python's logging fell behind)");
        logging.call_method1("getLogger", ("agentdb",))?.call_method1("log", (30u8, msg))?;
    }
    for e in batch {
        let logger = logging.call_method1("getLogger", (e.logger.as_str(),))?;
        if logger.call_method1("isEnabledFor", (e.level,))?.is_truthy()? {
            logger.call_method1("log", (e.level, e.message.as_str()))?;
        }
    }
    Ok(())
}

/// Installs the bridge (once per process; the module's init calls it). When another logger is
/// already installed (an embedding application's), the engine's records go there instead.
pub fn install_logging() {
    let bridge: &'static Bridge = BRIDGE.get_or_init(|| {
        Box::leak(Box::new(Bridge {
            queue: Mutex::new(Queue::default()),
            changed: Condvar::new(),
            dropped: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
        }))
    });
    if log::set_logger(bridge).is_err() {
        return;
    }
    // Every record reaches the queue; Python's levels filter them (the engine logs a few lines
    // per open, flush and compaction, so formatting them all costs nothing measurable).
    log::set_max_level(log::LevelFilter::Debug);
    let spawned = std::thread::Builder::new().name("agentdb-log".into()).spawn(move || bridge.forward());
    if spawned.is_err() {
        bridge.stopped.store(true, Ordering::Relaxed);
    }
}

/// Waits until every record logged so far has been handed to Python's `logging` (tests, and
/// programs that want the engine's lines before they go on).
#[pyfunction]
pub fn flush_logs(py: Python<'_>) {
    let Some(bridge) = BRIDGE.get() else { return };
    if bridge.stopped.load(Ordering::Relaxed) {
        return;
    }
    py.detach(|| {
        let mut q = bridge.queue.lock().unwrap_or_else(|p| p.into_inner());
        while !q.entries.is_empty() || q.busy {
            q = bridge.changed.wait(q).unwrap_or_else(|p| p.into_inner());
        }
    });
}

/// Stops handing records to Python (registered with `atexit`: a thread must not take the GIL
/// while the interpreter finalizes).
#[pyfunction]
pub fn stop_logging() {
    if let Some(bridge) = BRIDGE.get() {
        bridge.stopped.store(true, Ordering::Relaxed);
        bridge.changed.notify_all();
    }
}
