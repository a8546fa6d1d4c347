//! The clock, as the engine stores it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in microseconds since the Unix epoch (what `created_at`/`updated_at` columns, memory
/// timestamps and the agent state's version times hold); 0 if the clock is before 1970.
pub(crate) fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}
