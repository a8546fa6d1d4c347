//! How many threads the engine's parallel work (exact scans, index builds) may use.
//!
//! `std::thread::available_parallelism` reads the process's cgroup files on Linux on every call
//! (a few open/read/close syscalls, tens of microseconds): more than a whole small search. The
//! answer is read once per process.

use std::sync::OnceLock;

/// The cores available to this process (at least 1), as found at its first use.
pub(crate) fn available() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
