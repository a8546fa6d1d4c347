//! The metrics of one open database: per operation, a call count, an error count and a latency
//! histogram, plus errors by kind, kept in relaxed atomics so recording takes no lock (an
//! `Instant::now` pair and three or four atomic adds per call). Rendered in the Prometheus text
//! exposition format by [`Metrics::render`]; the database adds its gauges (rows, bytes, log size)
//! from its stats.
//!
//! The histogram buckets are fixed and log-spaced (powers of two microseconds, 1 µs … ~33 s), so a
//! sample lands in its bucket with one `leading_zeros`, and every database exposes the same
//! bucket bounds (dashboards can aggregate them).
//!
//! Labels are bounded: the operation, and the kind of store it ran on (`collection` for a user's
//! collection, `internal` for the engine's own collections behind memory stores and RAG, then
//! `memory`, `state`, `rag`, `db`). No per-collection or per-id label: a database with thousands
//! of collections must not make thousands of series.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::error::{Error, ErrorKind, Result};

/// Histogram buckets: upper bounds 2^0 … 2^(BUCKETS-1) microseconds, then +Inf.
const BUCKETS: usize = 26;

/// The set of metric names, for docs and the dashboard: every one starts with `agentdb_`.
pub(crate) const PREFIX: &str = "agentdb_";

/// What was timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Add,
    Upsert,
    Delete,
    Get,
    Search,
    TextSearch,
    Remember,
    Recall,
    Forget,
    StatePut,
    StateGet,
    Ingest,
    Retrieve,
    Flush,
    Compaction,
    WalSync,
}

impl Op {
    const ALL: [Op; 16] = [
        Op::Add,
        Op::Upsert,
        Op::Delete,
        Op::Get,
        Op::Search,
        Op::TextSearch,
        Op::Remember,
        Op::Recall,
        Op::Forget,
        Op::StatePut,
        Op::StateGet,
        Op::Ingest,
        Op::Retrieve,
        Op::Flush,
        Op::Compaction,
        Op::WalSync,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Upsert => "upsert",
            Op::Delete => "delete",
            Op::Get => "get",
            Op::Search => "search",
            Op::TextSearch => "text_search",
            Op::Remember => "remember",
            Op::Recall => "recall",
            Op::Forget => "forget",
            Op::StatePut => "state_put",
            Op::StateGet => "state_get",
            Op::Ingest => "ingest",
            Op::Retrieve => "retrieve",
            Op::Flush => "flush",
            Op::Compaction => "compaction",
            Op::WalSync => "wal_sync",
        }
    }

    /// Collection operations run on a user's collection or an internal one; the others have one
    /// kind each.
    fn kind(self, internal: bool) -> Kind {
        match self {
            Op::Add | Op::Upsert | Op::Delete | Op::Get | Op::Search | Op::TextSearch if internal => Kind::Internal,
            Op::Add | Op::Upsert | Op::Delete | Op::Get | Op::Search | Op::TextSearch => Kind::Collection,
            Op::Remember | Op::Recall | Op::Forget => Kind::Memory,
            Op::StatePut | Op::StateGet => Kind::State,
            Op::Ingest | Op::Retrieve => Kind::Rag,
            Op::Flush | Op::Compaction | Op::WalSync => Kind::Db,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Collection,
    Internal,
    Memory,
    State,
    Rag,
    Db,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Collection => "collection",
            Kind::Internal => "internal",
            Kind::Memory => "memory",
            Kind::State => "state",
            Kind::Rag => "rag",
            Kind::Db => "db",
        }
    }
}

/// One (operation, kind) series. Aligned to a cache line so two series written by different
/// threads do not share one.
#[repr(align(64))]
#[derive(Default)]
struct Series {
    /// Per bucket, not cumulative (made cumulative when rendered); the last is +Inf.
    buckets: [AtomicU64; BUCKETS + 1],
    sum_nanos: AtomicU64,
    errors: AtomicU64,
    /// Records (or queries, items, chunks) the calls carried.
    items: AtomicU64,
}

/// Series slots: one per operation, plus one more for each collection operation on an internal
/// collection (stored after the others).
const SLOTS: usize = Op::ALL.len() + 6;

fn slot(op: Op, internal: bool) -> usize {
    let i = op as usize;
    if internal && op.kind(true) == Kind::Internal {
        Op::ALL.len() + i
    } else {
        i
    }
}

fn slot_key(s: usize) -> (Op, Kind) {
    if s < Op::ALL.len() {
        let op = Op::ALL[s];
        (op, op.kind(false))
    } else {
        (Op::ALL[s - Op::ALL.len()], Kind::Internal)
    }
}

/// The last failure of the database itself (a storage or internal error, in a call or in the
/// background): what [`Database::health`](crate::Database::health) reports. Caller mistakes
/// (a bad argument, a missing collection) are counted but are not the database's health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastError {
    /// The operation that failed (`flush`, `add`, …).
    pub operation: String,
    pub kind: ErrorKind,
    pub message: String,
    /// When, in microseconds since the Unix epoch.
    pub at_micros: i64,
}

/// See the module comment.
pub(crate) struct Metrics {
    enabled: AtomicBool,
    series: [Series; SLOTS],
    errors_by_kind: [AtomicU64; ErrorKind::ALL.len() + 1],
    last_error: Mutex<Option<LastError>>,
    /// Records replayed from the log when the database opened, and how long the open took.
    pub(crate) replayed_records: AtomicU64,
    pub(crate) open_micros: AtomicU64,
    /// When the background flusher last finished a round (µs since the epoch; 0: never).
    pub(crate) flusher_heartbeat: AtomicU64,
    /// When a flush last wrote something to Lance (µs since the epoch; 0: never).
    pub(crate) last_flush: AtomicU64,
    started: Instant,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(true)
    }
}

/// `AGENTDB_METRICS=off` (or `0`, `false`) opens databases with metrics off (see
/// [`Metrics::set_enabled`]).
pub(crate) fn enabled_by_env() -> bool {
    !matches!(std::env::var("AGENTDB_METRICS").as_deref().map(str::to_ascii_lowercase).as_deref(), Ok("off" | "0" | "false"))
}

impl Metrics {
    pub(crate) fn new(enabled: bool) -> Self {
        Metrics {
            enabled: AtomicBool::new(enabled),
            series: Default::default(),
            errors_by_kind: Default::default(),
            last_error: Mutex::new(None),
            replayed_records: AtomicU64::new(0),
            open_micros: AtomicU64::new(0),
            flusher_heartbeat: AtomicU64::new(0),
            last_flush: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Turns recording on or off (what was counted stays). Off, a call costs one relaxed load.
    pub(crate) fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    /// Runs `f` and records it as one `op` carrying `items` records. `internal`: a collection
    /// operation on one of the engine's hidden collections.
    #[inline]
    pub(crate) fn time<T>(&self, op: Op, internal: bool, items: u64, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if !self.is_enabled() {
            return f();
        }
        let start = Instant::now();
        let r = f();
        self.record(op, internal, items, start, r.as_ref().err());
        r
    }

    /// Records one `op` that started at `start` (and failed with `err`, if given).
    pub(crate) fn record(&self, op: Op, internal: bool, items: u64, start: Instant, err: Option<&Error>) {
        if !self.is_enabled() {
            return;
        }
        let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let s = &self.series[slot(op, internal)];
        s.buckets[bucket_of(nanos)].fetch_add(1, Ordering::Relaxed);
        s.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        if items > 0 {
            s.items.fetch_add(items, Ordering::Relaxed);
        }
        if let Some(e) = err {
            s.errors.fetch_add(1, Ordering::Relaxed);
            self.note_error(op, e);
        }
    }

    /// Counts an error by kind and, when it is the database's own failure, keeps it as the last
    /// error. (Also for failures outside a timed call: a background flush.)
    pub(crate) fn note_error(&self, op: Op, e: &Error) {
        let k = ErrorKind::ALL.iter().position(|k| *k == e.kind()).unwrap_or(ErrorKind::ALL.len());
        self.errors_by_kind[k].fetch_add(1, Ordering::Relaxed);
        if matches!(e.kind(), ErrorKind::Storage | ErrorKind::Internal) {
            *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(LastError {
                operation: op.as_str().to_owned(),
                kind: e.kind(),
                message: e.message().to_owned(),
                at_micros: crate::util::time::now_micros(),
            });
        }
    }

    pub(crate) fn last_error(&self) -> Option<LastError> {
        self.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn uptime_seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Calls and errors of `op` so far (user collections, or internal ones), for tests.
    #[cfg(test)]
    pub(crate) fn counts(&self, op: Op, internal: bool) -> (u64, u64) {
        let s = &self.series[slot(op, internal)];
        (s.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum(), s.errors.load(Ordering::Relaxed))
    }

    /// Every counter and histogram, in the Prometheus text format (version 0.0.4), each family
    /// with its `# HELP` and `# TYPE` lines. Series never recorded are left out, except the
    /// call counters, which are always present (a dashboard shows 0, not "no data").
    pub(crate) fn render(&self, out: &mut String) {
        let snap: Vec<(Op, Kind, [u64; BUCKETS + 1], u64, u64, u64)> = (0..SLOTS)
            .map(|i| {
                let s = &self.series[i];
                let (op, kind) = slot_key(i);
                let b = std::array::from_fn(|j| s.buckets[j].load(Ordering::Relaxed));
                (op, kind, b, s.sum_nanos.load(Ordering::Relaxed), s.errors.load(Ordering::Relaxed), s.items.load(Ordering::Relaxed))
            })
            .collect();
        let shown = |(op, kind, b, ..): &&(Op, Kind, [u64; BUCKETS + 1], u64, u64, u64)| {
            let _ = op;
            b.iter().any(|&n| n > 0) || *kind != Kind::Internal
        };
        family(out, "operations_total", "counter", "Calls of each operation, by the kind of store it ran on.");
        for (op, kind, b, ..) in snap.iter().filter(shown) {
            let _ = writeln!(out, "{PREFIX}operations_total{{op=\"{}\",kind=\"{}\"}} {}", op.as_str(), kind.as_str(), b.iter().sum::<u64>());
        }
        family(out, "operation_errors_total", "counter", "Calls of each operation that failed.");
        for (op, kind, _, _, errors, _) in snap.iter().filter(shown) {
            let _ = writeln!(out, "{PREFIX}operation_errors_total{{op=\"{}\",kind=\"{}\"}} {errors}", op.as_str(), kind.as_str());
        }
        family(out, "operation_items_total", "counter", "Records, queries, memories or chunks the calls carried.");
        for (op, kind, _, _, _, items) in snap.iter().filter(shown) {
            let _ = writeln!(out, "{PREFIX}operation_items_total{{op=\"{}\",kind=\"{}\"}} {items}", op.as_str(), kind.as_str());
        }
        family(out, "operation_duration_seconds", "histogram", "Latency of each operation.");
        for (op, kind, b, sum, ..) in snap.iter().filter(|s| s.2.iter().any(|&n| n > 0)) {
            let labels = format!("op=\"{}\",kind=\"{}\"", op.as_str(), kind.as_str());
            let mut cum = 0;
            for (j, n) in b.iter().enumerate() {
                cum += n;
                if j < BUCKETS {
                    let le = (1u64 << j) as f64 / 1e6;
                    let _ = writeln!(out, "{PREFIX}operation_duration_seconds_bucket{{{labels},le=\"{le:e}\"}} {cum}");
                } else {
                    let _ = writeln!(out, "{PREFIX}operation_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {cum}");
                }
            }
            let _ = writeln!(out, "{PREFIX}operation_duration_seconds_sum{{{labels}}} {}", *sum as f64 / 1e9);
            let _ = writeln!(out, "{PREFIX}operation_duration_seconds_count{{{labels}}} {cum}");
        }
        family(out, "errors_total", "counter", "Failed calls, by error kind.");
        for (i, k) in ErrorKind::ALL.iter().enumerate() {
            let _ = writeln!(out, "{PREFIX}errors_total{{kind=\"{}\"}} {}", k.name(), self.errors_by_kind[i].load(Ordering::Relaxed));
        }
        family(out, "wal_replayed_records", "gauge", "Log records replayed when the database opened.");
        let _ = writeln!(out, "{PREFIX}wal_replayed_records {}", self.replayed_records.load(Ordering::Relaxed));
        family(out, "uptime_seconds", "gauge", "Seconds since the database was opened.");
        let _ = writeln!(out, "{PREFIX}uptime_seconds {}", self.uptime_seconds());
    }
}

/// The `# HELP` / `# TYPE` header of one metric family.
pub(crate) fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {PREFIX}{name} {help}");
    let _ = writeln!(out, "# TYPE {PREFIX}{name} {kind}");
}

/// A label value with `\`, `"` and newlines escaped, as the text format requires.
pub(crate) fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The bucket of a sample: the first whose bound (2^j µs) is at least the sample.
fn bucket_of(nanos: u64) -> usize {
    let micros = nanos.div_ceil(1000);
    if micros <= 1 {
        return 0;
    }
    let j = (64 - (micros - 1).leading_zeros()) as usize;
    j.min(BUCKETS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two_microseconds() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1000), 0);
        assert_eq!(bucket_of(1001), 1);
        assert_eq!(bucket_of(2000), 1);
        assert_eq!(bucket_of(2001), 2);
        assert_eq!(bucket_of(1_000_000), 10); // 1 ms ≤ 2^10 µs
        assert_eq!(bucket_of(1_000_000_000), 20); // 1 s ≤ 2^20 µs
        assert_eq!(bucket_of(u64::MAX), BUCKETS);
    }

    #[test]
    fn counts_calls_errors_and_kinds() {
        let m = Metrics::new(true);
        let _ = m.time(Op::Add, false, 3, || Ok(()));
        let _ = m.time(Op::Add, true, 1, || Ok(()));
        let _: Result<()> = m.time(Op::Add, false, 1, || Err(Error::new(ErrorKind::DuplicateId, "x")));
        assert_eq!(m.counts(Op::Add, false), (2, 1));
        assert_eq!(m.counts(Op::Add, true), (1, 0));
        assert!(m.last_error().is_none(), "a caller's mistake is not the database's health");
        let _: Result<()> = m.time(Op::Flush, false, 0, || Err(Error::storage("disk full")));
        assert_eq!(m.last_error().map(|e| e.operation), Some("flush".to_owned()));
        let mut text = String::new();
        m.render(&mut text);
        assert!(text.contains("agentdb_operations_total{op=\"add\",kind=\"collection\"} 2"), "{text}");
        assert!(text.contains("agentdb_operations_total{op=\"add\",kind=\"internal\"} 1"), "{text}");
        assert!(text.contains("agentdb_operation_items_total{op=\"add\",kind=\"collection\"} 4"), "{text}");
        assert!(text.contains("agentdb_errors_total{kind=\"duplicate_id\"} 1"), "{text}");
        assert!(text.contains("agentdb_operation_duration_seconds_count{op=\"add\",kind=\"collection\"} 2"), "{text}");
        m.set_enabled(false);
        let _ = m.time(Op::Add, false, 1, || Ok(()));
        assert_eq!(m.counts(Op::Add, false), (2, 1));
    }
}
