//! The engine's log records to a JS function (`setLogCallback`), as `agentdb_log_set_callback`
//! does for C and Python's `logging` bridge does there: the engine logs through the `log` facade
//! (open, replay, flush, compaction, index rebuilds, damage found), quiet until a callback is set.
//!
//! Records come from any thread (often the engine's background flusher), so each one is queued
//! to the JS thread through a threadsafe function, without waiting (a record logged on the JS
//! thread itself must not wait for the JS thread). The function is weak: a set callback does not
//! keep the process alive.

use std::sync::RwLock;

use agentdb_engine::{Error, ErrorKind, Result};
use napi::bindgen_prelude::{FnArgs, Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Env;
use napi_derive::napi;

type LogFn = ThreadsafeFunction<FnArgs<(String, String, String)>, Unknown<'static>, FnArgs<(String, String, String)>, napi::Status, false, true>;

static SINK: RwLock<Option<LogFn>> = RwLock::new(None);
static LOGGER: NodeLogger = NodeLogger;

struct NodeLogger;

impl log::Log for NodeLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with("agentdb")
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let sink = SINK.read().unwrap_or_else(|p| p.into_inner());
        let Some(f) = sink.as_ref() else { return };
        let level = record.level().as_str().to_ascii_lowercase();
        let args = (level, record.target().to_owned(), record.args().to_string());
        // A full queue or a closing environment drops the record: logging never blocks the engine.
        let _ = f.call(args.into(), ThreadsafeFunctionCallMode::NonBlocking);
    }

    fn flush(&self) {}
}

/// Sends the engine's log records of level `maxLevel` ("error", "warn", "info" (default),
/// "debug", "trace") and more severe to `callback(level, target, message)`, called on the JS
/// thread; `null` (or "off") stops logging. A later call replaces the callback.
#[napi(strict, ts_args_type = "callback: ((level: string, target: string, message: string) => void) | null, maxLevel?: string")]
pub fn set_log_callback(
    env: Env,
    callback: Option<Function<'_, FnArgs<(String, String, String)>, Unknown<'static>>>,
    max_level: Option<String>,
) -> napi::Result<()> {
    let result = (|| -> Result<()> {
        let filter = match max_level.as_deref().unwrap_or("info") {
            "off" => log::LevelFilter::Off,
            "error" => log::LevelFilter::Error,
            "warn" => log::LevelFilter::Warn,
            "info" => log::LevelFilter::Info,
            "debug" => log::LevelFilter::Debug,
            "trace" => log::LevelFilter::Trace,
            other => {
                return Err(Error::new(ErrorKind::InvalidArgument, format!("maxLevel {other:?} is not one of off, error, warn, info, debug, trace")))
            }
        };
        let f = match callback {
            Some(f) => Some(
                f.build_threadsafe_function::<FnArgs<(String, String, String)>>()
                    .callee_handled::<false>()
                    .weak::<true>()
                    .build()
                    .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("callback: {}", e.reason)))?,
            ),
            None => None,
        };
        let on = f.is_some() && filter != log::LevelFilter::Off;
        *SINK.write().unwrap_or_else(|p| p.into_inner()) = if on { f } else { None };
        // The facade takes one logger per process; in a Node process that is this one.
        let _ = log::set_logger(&LOGGER);
        log::set_max_level(if on { filter } else { log::LevelFilter::Off });
        Ok(())
    })();
    result.map_err(|e| crate::errors::to_js(&env, e))
}
