//! A text report (`agentdb_report`): the JSON of a stats or health call, or the Prometheus text
//! of `agentdb_db_metrics_text`. Read with `agentdb_report_get_text`, freed by
//! `agentdb_report_free`; the text stays valid until then.

use std::ffi::c_char;

use crate::args::write_text;
use crate::handle::{self, agentdb_report};
use crate::status::{agentdb_status, guard};
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
