//! A text report (`agentdb_report`): the JSON of a stats or health call, or the Prometheus text
//! of `agentdb_db_metrics_text`. Read with `agentdb_report_get_text`, freed by
//! `agentdb_report_free`; the text stays valid until then.

use std::ffi::c_char;

use crate::args::{out_arg, write_text};
use crate::handle::{self, agentdb_report};
use crate::status::{agentdb_status, guard, Res};
use crate::text::Text;

pub(crate) struct ReportObj {
    pub text: Text,
}

/// Writes the report's text (NUL-terminated UTF-8: JSON for stats and health, the Prometheus
/// text exposition format for metrics) to `*out_text` and, if `out_len` is not NULL, its length
/// in bytes. Valid until `agentdb_report_free`.
///
/// # Safety
/// `out_text` is NULL or writable; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_report_get_text(
    report: *const agentdb_report,
    out_text: *mut *const c_char,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let r = handle::get(report, "report")?;
        // SAFETY: contract of this function; the text lives in the registered object.
        unsafe { write_text(Some(&r.text), out_text, out_len) }
    })
}

/// Frees a report and its text. `agentdb_report_free(NULL)` does nothing and returns
/// `AGENTDB_OK`; freeing twice returns `AGENTDB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn agentdb_report_free(report: *mut agentdb_report) -> agentdb_status {
    handle::free(report, "report")
}

/// Runs `make` and writes its text as a new report to `*out` (NULL on failure).
///
/// # Safety
/// `out` is NULL or writable.
pub(crate) unsafe fn new_report(out: *mut *mut agentdb_report, make: impl FnOnce() -> Res<String>) -> agentdb_status {
    guard(|| {
        // SAFETY: forwarded contract of this function.
        let out = unsafe { out_arg(out, "out_report") }?;
        *out = std::ptr::null_mut();
        let text = make()?;
        *out = handle::new_handle(ReportObj { text: Text::new(&text) });
        Ok(())
    })
}
