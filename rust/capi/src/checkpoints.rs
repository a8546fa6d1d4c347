//! Checkpoints read by `agentdb_checkpoint_get` / `agentdb_checkpoint_list`
//! (`agentdb_checkpoints`): `agentdb_checkpoints_count` / `agentdb_checkpoints_get` /
//! `agentdb_checkpoints_free`. Strings and bytes point into the object and stay valid until its
//! free call.

use std::ffi::c_char;

use agentdb_engine::Checkpoint;

use crate::args::{index, out_arg};
use crate::handle::{self, agentdb_checkpoints};
use crate::status::{agentdb_status, guard};
use crate::text::Text;

pub(crate) struct CheckpointsObj {
    pub(crate) items: Vec<(Checkpoint, [Text; 5], Option<Text>)>,
}

impl CheckpointsObj {
    pub(crate) fn new(items: Vec<Checkpoint>) -> CheckpointsObj {
        CheckpointsObj {
            items: items
                .into_iter()
                .map(|c| {
                    let texts = [
                        Text::new(&c.thread_id),
                        Text::new(&c.namespace),
                        Text::new(&c.checkpoint_id),
                        Text::new(&c.type_),
                        Text::new(&c.metadata),
                    ];
                    let parent = c.parent_id.as_deref().map(Text::new);
                    (c, texts, parent)
                })
                .collect(),
        }
    }
}

/// One checkpoint, as `agentdb_checkpoints_get` hands it out. Strings and bytes point into the
/// `agentdb_checkpoints` object and live until its free.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct agentdb_checkpoint {
    pub thread_id: *const c_char,
    pub namespace_: *const c_char,
    pub checkpoint_id: *const c_char,
    /// NULL when the checkpoint has no parent.
    pub parent_id: *const c_char,
    /// The serializer's type tag of the payload.
    pub type_tag: *const c_char,
    /// The payload (NULL when it is empty).
    pub data: *const u8,
    pub data_len: usize,
    /// The metadata as a JSON object.
    pub metadata_json: *const c_char,
    /// Microseconds since the Unix epoch (UTC).
    pub created_at_us: i64,
}

pub(crate) fn bytes_ptr(b: &[u8]) -> *const u8 {
    if b.is_empty() {
        std::ptr::null()
    } else {
        b.as_ptr()
    }
}

/// Writes the number of checkpoints to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_checkpoints_count(checkpoints: *const agentdb_checkpoints, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(checkpoints, "checkpoints", out_count, |o| o.items.len()) }
}

/// Writes checkpoint `i` to `*out` (its strings and bytes live until `agentdb_checkpoints_free`).
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_checkpoints_get(
    checkpoints: *const agentdb_checkpoints,
    i: usize,
    out: *mut agentdb_checkpoint,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out, "out") }?;
        let obj = handle::get(checkpoints, "checkpoints")?;
        let (c, t, parent) = &obj.items[index(i, obj.items.len(), "i")?];
        *out = agentdb_checkpoint {
            thread_id: t[0].ptr(),
            namespace_: t[1].ptr(),
            checkpoint_id: t[2].ptr(),
            parent_id: parent.as_ref().map_or(std::ptr::null(), Text::ptr),
            type_tag: t[3].ptr(),
            data: bytes_ptr(&c.checkpoint),
            data_len: c.checkpoint.len(),
            metadata_json: t[4].ptr(),
            created_at_us: c.created_at,
        };
        Ok(())
    })
}

/// Frees an `agentdb_checkpoints` (NULL: nothing).
#[no_mangle]
pub extern "C" fn agentdb_checkpoints_free(checkpoints: *mut agentdb_checkpoints) -> agentdb_status {
    handle::free(checkpoints, "checkpoints")
}
