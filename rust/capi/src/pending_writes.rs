//! The pending writes of a checkpoint (`agentdb_pending_writes`, from
//! `agentdb_checkpoint_get_writes`): `agentdb_pending_writes_count` / `agentdb_pending_writes_get` /
//! `agentdb_pending_writes_free`.

use std::ffi::c_char;

use agentdb_engine::PendingWrite;

use crate::args::{index, out_arg};
use crate::checkpoints::bytes_ptr;
use crate::handle::{self, agentdb_pending_writes};
use crate::status::{agentdb_status, guard};
use crate::text::Text;

pub(crate) struct WritesObj {
    pub(crate) items: Vec<(PendingWrite, [Text; 4])>,
}

/// A stored pending write, as `agentdb_pending_writes_get` hands it out.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct agentdb_pending_write {
    pub task_id: *const c_char,
    pub idx: i64,
    pub channel: *const c_char,
    pub type_tag: *const c_char,
    /// NULL when the value is empty.
    pub value: *const u8,
    pub value_len: usize,
    pub task_path: *const c_char,
}

/// Writes the number of pending writes to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_pending_writes_count(writes: *const agentdb_pending_writes, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(writes, "writes", out_count, |o| o.items.len()) }
}

/// Writes pending write `i` to `*out` (its strings and bytes live until
/// `agentdb_pending_writes_free`).
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_pending_writes_get(
    writes: *const agentdb_pending_writes,
    i: usize,
    out: *mut agentdb_pending_write,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out, "out") }?;
        let obj = handle::get(writes, "writes")?;
        let (w, t) = &obj.items[index(i, obj.items.len(), "i")?];
        *out = agentdb_pending_write {
            task_id: t[0].ptr(),
            idx: w.idx,
            channel: t[1].ptr(),
            type_tag: t[2].ptr(),
            value: bytes_ptr(&w.value),
            value_len: w.value.len(),
            task_path: t[3].ptr(),
        };
        Ok(())
    })
}

/// Frees an `agentdb_pending_writes` (NULL: nothing).
#[no_mangle]
pub extern "C" fn agentdb_pending_writes_free(writes: *mut agentdb_pending_writes) -> agentdb_status {
    handle::free(writes, "writes")
}
