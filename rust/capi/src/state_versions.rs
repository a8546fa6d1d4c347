//! Versions of a state key (`agentdb_state_versions`, from `agentdb_state_get*` and
//! `agentdb_state_history`): `agentdb_state_versions_count` / `agentdb_state_versions_get` /
//! `agentdb_state_versions_free`.

use std::ffi::c_char;

use agentdb_engine::StateVersion;

use crate::args::{index, out_arg};
use crate::handle::{self, agentdb_state_versions};
use crate::status::{agentdb_status, guard};
use crate::text::Text;

// ---------------------------------------------------------------------------------------------
// Result objects
// ---------------------------------------------------------------------------------------------

pub(crate) struct VersionsObj {
    pub(crate) items: Vec<(StateVersion, Option<Text>)>,
}

impl VersionsObj {
    pub(crate) fn new(items: Vec<StateVersion>) -> VersionsObj {
        VersionsObj {
            items: items
                .into_iter()
                .map(|v| {
                    let t = v.value.as_deref().map(Text::new);
                    (v, t)
                })
                .collect(),
        }
    }
}

/// One version of a key, as `agentdb_state_versions_get` hands it out. The strings point into the
/// `agentdb_state_versions` object and live until its free.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct agentdb_state_version {
    /// 1, 2, …
    pub version: u64,
    /// The value as JSON text (NUL-terminated), or NULL for a tombstone.
    pub value_json: *const c_char,
    /// Length of `value_json` in bytes (0 for a tombstone).
    pub value_len: usize,
    /// When it was written: microseconds since the Unix epoch (UTC).
    pub written_at_us: i64,
    /// When it expires (microseconds since the epoch), if `has_expiry`.
    pub expires_at_us: i64,
    /// Whether this version expires (was written with a TTL).
    pub has_expiry: bool,
    /// Whether this version is a tombstone (a delete).
    pub deleted: bool,
}

/// Writes the number of versions to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_versions_count(versions: *const agentdb_state_versions, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(versions, "versions", out_count, |o| o.items.len()) }
}

/// Writes version `i` to `*out` (its string lives until `agentdb_state_versions_free`).
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_versions_get(
    versions: *const agentdb_state_versions,
    i: usize,
    out: *mut agentdb_state_version,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out, "out") }?;
        let obj = handle::get(versions, "versions")?;
        let (v, text) = &obj.items[index(i, obj.items.len(), "i")?];
        *out = agentdb_state_version {
            version: v.version,
            value_json: text.as_ref().map_or(std::ptr::null(), Text::ptr),
            value_len: text.as_ref().map_or(0, Text::len),
            written_at_us: v.written_at,
            expires_at_us: v.expires_at.unwrap_or(0),
            has_expiry: v.expires_at.is_some(),
            deleted: v.deleted(),
        };
        Ok(())
    })
}

/// Frees an `agentdb_state_versions` (NULL: nothing).
#[no_mangle]
pub extern "C" fn agentdb_state_versions_free(versions: *mut agentdb_state_versions) -> agentdb_status {
    handle::free(versions, "versions")
}
