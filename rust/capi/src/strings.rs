//! String lists (`agentdb_strings`: collection names, new memory ids, state keys and sessions):
//! `agentdb_strings_count` / `agentdb_strings_get` / `agentdb_strings_free`.

use std::ffi::c_char;

use crate::args::{index, write_text};
use crate::handle::{self, agentdb_strings};
use crate::status::{agentdb_status, guard};
use crate::text::Text;

pub(crate) struct StringsObj {
    pub items: Vec<Text>,
}

/// Writes the number of strings in the list to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_strings_count(strings: *const agentdb_strings, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(strings, "strings", out_count, |o| o.items.len()) }
}

/// Writes string `i` of the list (NUL-terminated) to `*out_str` and, if `out_len` is not NULL,
/// its length in bytes. Valid until `agentdb_strings_free`.
///
/// # Safety
/// `out_str` is NULL or writable; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_strings_get(
    strings: *const agentdb_strings,
    i: usize,
    out_str: *mut *const c_char,
    out_len: *mut usize,
) -> agentdb_status {
    guard(|| {
        let s = handle::get(strings, "strings")?;
        let t = &s.items[index(i, s.items.len(), "index")?];
        // SAFETY: contract of this function; the text lives in the registered object.
        unsafe { write_text(Some(t), out_str, out_len) }
    })
}

/// Frees a string list and every string obtained from it. `agentdb_strings_free(NULL)` does
/// nothing and returns `AGENTDB_OK`; freeing twice returns `AGENTDB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn agentdb_strings_free(strings: *mut agentdb_strings) -> agentdb_status {
    handle::free(strings, "strings")
}
