//! The keys and values of a session (`agentdb_state_entries`, from `agentdb_state_snapshot`):
//! `agentdb_state_entries_count` / `agentdb_state_entries_get` / `agentdb_state_entries_free`.

use std::ffi::c_char;

use crate::args::{index, write_text};
use crate::handle::{self, agentdb_state_entries};
use crate::status::{agentdb_status, guard};
use crate::text::Text;

pub(crate) struct EntriesObj {
    pub(crate) items: Vec<(Text, Text)>,
}

/// Writes the number of entries to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_entries_count(entries: *const agentdb_state_entries, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(entries, "entries", out_count, |o| o.items.len()) }
}

/// Writes entry `i`: its key to `*out_key` and its value (JSON) to `*out_value_json`, NUL-terminated
/// and valid until `agentdb_state_entries_free`. The length pointers may be NULL.
///
/// # Safety
/// `out_key` and `out_value_json` are NULL or writable; the length pointers NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_entries_get(
    entries: *const agentdb_state_entries,
    i: usize,
    out_key: *mut *const c_char,
    out_key_len: *mut usize,
    out_value_json: *mut *const c_char,
    out_value_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let obj = handle::get(entries, "entries")?;
        let (k, v) = &obj.items[index(i, obj.items.len(), "i")?];
        // SAFETY: contract of this function; the texts live in the registered object.
        unsafe {
            write_text(Some(k), out_key, out_key_len)?;
            write_text(Some(v), out_value_json, out_value_len)
        }
    })
}

/// Frees an `agentdb_state_entries` (NULL: nothing).
#[no_mangle]
pub extern "C" fn agentdb_state_entries_free(entries: *mut agentdb_state_entries) -> agentdb_status {
    handle::free(entries, "entries")
}
