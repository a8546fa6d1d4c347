//! Small helpers every layer may use: the clock, atomic file writes, byte readers, checksums, the
//! number of cores. Nothing here knows about vectors, tables or databases.

pub(crate) mod bytes;
pub(crate) mod checksum;
pub mod cancel;
pub(crate) mod cores;
pub(crate) mod fs;
pub(crate) mod time;
pub(crate) mod metrics;
