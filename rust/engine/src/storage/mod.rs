//! What keeps data on disk: the write-ahead log, the writer lock, the async runtime that drives
//! LanceDB, and the Lance table upkeep (compaction, version cleanup, data-file checksums) shared
//! by every table the engine writes.

pub(crate) mod lock;
pub(crate) mod runtime;
pub(crate) mod wal;
pub(crate) mod context;
pub(crate) mod lance;
pub(crate) mod checksums;
pub(crate) mod stats;
pub(crate) mod remote;
pub(crate) mod lease;
