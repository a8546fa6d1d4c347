//! The engine's log records (open and log replay, flushes, compaction, index builds, damaged
//! records) handed to a C callback: `agentdb_log_set_callback`. Nothing is logged until a
//! callback is set (quiet by default).

use std::ffi::{c_char, c_void, CString};
use std::sync::RwLock;

use crate::status::{agentdb_status, guard, Fail};

/// Log levels (an `int32_t`): a record is passed to the callback when its level is at most the
/// `max_level` given to `agentdb_log_set_callback`.
pub const AGENTDB_LOG_OFF: i32 = 0;
pub const AGENTDB_LOG_ERROR: i32 = 1;
pub const AGENTDB_LOG_WARN: i32 = 2;
pub const AGENTDB_LOG_INFO: i32 = 3;
pub const AGENTDB_LOG_DEBUG: i32 = 4;
pub const AGENTDB_LOG_TRACE: i32 = 5;

/// A log callback: `level` (one of `AGENTDB_LOG_*`), `target` (the engine module, e.g.
/// `agentdb_engine::db`), `message` (NUL-terminated UTF-8, valid only during the call) and the
/// `user` pointer given to `agentdb_log_set_callback`.
#[allow(non_camel_case_types)]
pub type agentdb_log_fn =
    Option<unsafe extern "C" fn(level: i32, target: *const c_char, message: *const c_char, user: *mut c_void)>;

struct Sink {
    callback: unsafe extern "C" fn(i32, *const c_char, *const c_char, *mut c_void),
    user: *mut c_void,
}

// SAFETY: the caller of `agentdb_log_set_callback` promises that the callback and its `user`
// pointer may be used from any thread (documented there); the library never dereferences `user`.
unsafe impl Send for Sink {}
// SAFETY: as above: the library only passes `user` back to the callback.
unsafe impl Sync for Sink {}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

struct CLogger;

static LOGGER: CLogger = CLogger;

fn c_level(level: log::Level) -> i32 {
    match level {
        log::Level::Error => AGENTDB_LOG_ERROR,
        log::Level::Warn => AGENTDB_LOG_WARN,
        log::Level::Info => AGENTDB_LOG_INFO,
        log::Level::Debug => AGENTDB_LOG_DEBUG,
        log::Level::Trace => AGENTDB_LOG_TRACE,
    }
}

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

impl log::Log for CLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with("agentdb")
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let sink = SINK.read().unwrap_or_else(|p| p.into_inner());
        let Some(sink) = sink.as_ref() else { return };
        let target = c_string(record.target());
        let message = c_string(&record.args().to_string());
        // SAFETY: the callback was given by the application for exactly this call shape; the
        // strings are NUL-terminated and live until it returns.
        unsafe { (sink.callback)(c_level(record.level()), target.as_ptr(), message.as_ptr(), sink.user) };
    }

    fn flush(&self) {}
}

/// Sets the callback that receives the engine's log records of level `max_level` and more severe
/// (`AGENTDB_LOG_ERROR` … `AGENTDB_LOG_TRACE`); a NULL `callback` or `AGENTDB_LOG_OFF` stops
/// logging. The callback runs on the thread that logs — often one of the engine's background
/// threads — so it and `user` must be safe to use from any thread; it should return quickly and
/// must not call `agentdb_log_set_callback`. One callback serves the whole process (the log
/// facade is global); setting another replaces it.
///
/// Returns `AGENTDB_INVALID_ARGUMENT` for a level outside 0…5. When the program already installed
/// another Rust logger (a Rust program linking the library), the records go there instead and
/// this returns `AGENTDB_INVALID_ARGUMENT` with a message saying so.
#[no_mangle]
pub extern "C" fn agentdb_log_set_callback(callback: agentdb_log_fn, max_level: i32, user: *mut c_void) -> agentdb_status {
    guard(|| {
        let filter = match max_level {
            AGENTDB_LOG_OFF => log::LevelFilter::Off,
            AGENTDB_LOG_ERROR => log::LevelFilter::Error,
            AGENTDB_LOG_WARN => log::LevelFilter::Warn,
            AGENTDB_LOG_INFO => log::LevelFilter::Info,
            AGENTDB_LOG_DEBUG => log::LevelFilter::Debug,
            AGENTDB_LOG_TRACE => log::LevelFilter::Trace,
            other => return Err(Fail::invalid(format!("max_level {other} is not one of AGENTDB_LOG_OFF (0) … AGENTDB_LOG_TRACE (5)"))),
        };
        // Installed once; an error means it is already ours (or another logger's: checked below).
        let _ = log::set_logger(&LOGGER);
        if !std::ptr::addr_eq(log::logger(), &LOGGER as &dyn log::Log) {
            return Err(Fail::invalid("another logger is installed in this process; the engine's records go to it"));
        }
        let sink = callback.filter(|_| filter != log::LevelFilter::Off).map(|callback| Sink { callback, user });
        let on = sink.is_some();
        *SINK.write().unwrap_or_else(|p| p.into_inner()) = sink;
        log::set_max_level(if on { filter } else { log::LevelFilter::Off });
        Ok(())
    })
}
