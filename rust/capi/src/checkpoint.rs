//! Checkpoints and their pending writes (`agentdb_checkpoint_*`, LangGraph's checkpointer model),
//! reached through the database handle like the agent state. Payloads and pending-write values
//! cross as (pointer, length) bytes. Reads hand out `agentdb_checkpoints` (`checkpoints.rs`) and
//! `agentdb_pending_writes` (`pending_writes.rs`).

use std::ffi::c_char;

use agentdb_engine::serde_json;
use agentdb_engine::{CheckpointFilter, WriteInput};

use crate::args::{batch, opt_str_arg, out_arg, slice_arg, str_arg};
use crate::checkpoints::CheckpointsObj;
use crate::handle::{self, agentdb_checkpoints, agentdb_db, agentdb_pending_writes};
use crate::pending_writes::WritesObj;
use crate::state::{json_arg, state_of};
use crate::status::{agentdb_status, guard, Fail};
use crate::text::Text;

/// A pending write to store (input of `agentdb_checkpoint_put_writes`).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct agentdb_write {
    /// Position in the task's writes; negative for LangGraph's special channels.
    pub idx: i64,
    pub channel: *const c_char,
    /// The serializer's type tag of `value` (NULL: "").
    pub type_tag: *const c_char,
    pub value: *const u8,
    pub value_len: usize,
}

// ---------------------------------------------------------------------------------------------
// Checkpoints
// ---------------------------------------------------------------------------------------------

/// Stores a checkpoint of (`thread_id`, `namespace_`, `checkpoint_id`), replacing one with the same
/// ids. `data`/`len`: the payload, stored as is. `parent_id`: NULL for none. `metadata_json`: a JSON
/// object (NULL: `{}`). `type_tag`: the serializer's tag (NULL: "").
///
/// # Safety
/// The strings are NULL or NUL-terminated; `data` is NULL (then `len` is 0) or readable for `len`
/// bytes.
#[no_mangle]
pub unsafe extern "C" fn agentdb_checkpoint_put(
    db: *const agentdb_db,
    thread_id: *const c_char,
    namespace_: *const c_char,
    checkpoint_id: *const c_char,
    data: *const u8,
    len: usize,
    parent_id: *const c_char,
    metadata_json: *const c_char,
    type_tag: *const c_char,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let (thread, ns, id) = unsafe {
            (str_arg(thread_id, "thread_id")?, str_arg(namespace_, "namespace_")?, str_arg(checkpoint_id, "checkpoint_id")?)
        };
        // SAFETY: contract of this function.
        let (parent, meta, tag) = unsafe {
            (opt_str_arg(parent_id, "parent_id")?, opt_str_arg(metadata_json, "metadata_json")?, opt_str_arg(type_tag, "type_tag")?)
        };
        // SAFETY: contract of this function.
        let payload = unsafe { slice_arg(data, len, "data") }?;
        let meta = meta.map(|m| json_arg(m, "metadata_json")).transpose()?;
        state_of(db)?.put_checkpoint(thread, ns, id, payload, parent, meta.as_ref(), tag.unwrap_or(""))?;
        Ok(())
    })
}

/// Reads checkpoint `checkpoint_id` of (thread, namespace), or with `checkpoint_id` NULL the latest
/// (greatest id), into a new `agentdb_checkpoints` (count 0 when there is none).
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out_checkpoints` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_checkpoint_get(
    db: *const agentdb_db,
    thread_id: *const c_char,
    namespace_: *const c_char,
    checkpoint_id: *const c_char,
    out_checkpoints: *mut *mut agentdb_checkpoints,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_checkpoints, "out_checkpoints") }?;
        *out = std::ptr::null_mut();
        // SAFETY: contract of this function.
        let (thread, ns, id) = unsafe {
            (str_arg(thread_id, "thread_id")?, str_arg(namespace_, "namespace_")?, opt_str_arg(checkpoint_id, "checkpoint_id")?)
        };
        let found = state_of(db)?.get_checkpoint(thread, ns, id)?;
        *out = handle::new_handle(CheckpointsObj::new(found.into_iter().collect()));
        Ok(())
    })
}

/// Lists checkpoints, newest (greatest id) first. Every filter may be NULL (no filter):
/// `thread_id`, `namespace_`, `before` (ids sorting before it), `metadata_json` (a JSON object:
/// checkpoints whose metadata has each key with an equal value). `limit` 0: no limit.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out_checkpoints` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_checkpoint_list(
    db: *const agentdb_db,
    thread_id: *const c_char,
    namespace_: *const c_char,
    before: *const c_char,
    limit: usize,
    metadata_json: *const c_char,
    out_checkpoints: *mut *mut agentdb_checkpoints,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_checkpoints, "out_checkpoints") }?;
        *out = std::ptr::null_mut();
        // SAFETY: contract of this function.
        let (thread, ns, before, meta) = unsafe {
            (
                opt_str_arg(thread_id, "thread_id")?,
                opt_str_arg(namespace_, "namespace_")?,
                opt_str_arg(before, "before")?,
                opt_str_arg(metadata_json, "metadata_json")?,
            )
        };
        let metadata = match meta.map(|m| json_arg(m, "metadata_json")).transpose()? {
            None => None,
            Some(serde_json::Value::Object(m)) => Some(m),
            Some(_) => return Err(Fail::invalid("metadata_json must be a JSON object")),
        };
        let filter = CheckpointFilter {
            thread_id: thread.map(str::to_owned),
            namespace: ns.map(str::to_owned),
            before: before.map(str::to_owned),
            limit: (limit > 0).then_some(limit),
            metadata,
        };
        let found = state_of(db)?.list_checkpoints(&filter)?;
        *out = handle::new_handle(CheckpointsObj::new(found));
        Ok(())
    })
}

/// Stores `n` pending writes of task `task_id` against a checkpoint, atomically. LangGraph's
/// rules: a write whose (task_id, idx) is stored already is ignored when `idx >= 0` and replaces
/// the stored one when `idx < 0`. `task_path` NULL: "". `n` is at most `AGENTDB_MAX_BATCH`,
/// checked before `writes` is read.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `writes` is NULL (then `n` is 0) or `n` readable
/// `agentdb_write`s whose pointers follow the same rules.
#[no_mangle]
pub unsafe extern "C" fn agentdb_checkpoint_put_writes(
    db: *const agentdb_db,
    thread_id: *const c_char,
    namespace_: *const c_char,
    checkpoint_id: *const c_char,
    task_id: *const c_char,
    task_path: *const c_char,
    writes: *const agentdb_write,
    n: usize,
) -> agentdb_status {
    guard(|| {
        // The count first, against the array given.
        batch(n, "writes", &[("writes", writes.is_null())])?;
        // SAFETY: contract of this function.
        let (thread, ns, id, task, path) = unsafe {
            (
                str_arg(thread_id, "thread_id")?,
                str_arg(namespace_, "namespace_")?,
                str_arg(checkpoint_id, "checkpoint_id")?,
                str_arg(task_id, "task_id")?,
                opt_str_arg(task_path, "task_path")?,
            )
        };
        // SAFETY: contract of this function.
        let raw = unsafe { slice_arg(writes, n, "writes") }?;
        let mut items = Vec::with_capacity(raw.len());
        for (i, w) in raw.iter().enumerate() {
            // SAFETY: each write's pointers follow this function's contract.
            let (channel, tag, value) = unsafe {
                (
                    str_arg(w.channel, &format!("writes[{i}].channel"))?,
                    opt_str_arg(w.type_tag, &format!("writes[{i}].type_tag"))?,
                    slice_arg(w.value, w.value_len, &format!("writes[{i}].value"))?,
                )
            };
            items.push(WriteInput { idx: w.idx, channel: channel.to_owned(), type_: tag.unwrap_or("").to_owned(), value: value.to_vec() });
        }
        state_of(db)?.put_writes(thread, ns, id, task, &items, path.unwrap_or(""))?;
        Ok(())
    })
}

/// The pending writes of a checkpoint, ordered by (task_path, task_id, idx), as a new
/// `agentdb_pending_writes`.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out_writes` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_checkpoint_get_writes(
    db: *const agentdb_db,
    thread_id: *const c_char,
    namespace_: *const c_char,
    checkpoint_id: *const c_char,
    out_writes: *mut *mut agentdb_pending_writes,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_writes, "out_writes") }?;
        *out = std::ptr::null_mut();
        // SAFETY: contract of this function.
        let (thread, ns, id) = unsafe {
            (str_arg(thread_id, "thread_id")?, str_arg(namespace_, "namespace_")?, str_arg(checkpoint_id, "checkpoint_id")?)
        };
        let found = state_of(db)?.get_writes(thread, ns, id)?;
        let items = found
            .into_iter()
            .map(|w| {
                let t = [Text::new(&w.task_id), Text::new(&w.channel), Text::new(&w.type_), Text::new(&w.task_path)];
                (w, t)
            })
            .collect();
        *out = handle::new_handle(WritesObj { items });
        Ok(())
    })
}

/// Removes every checkpoint and pending write of a thread (all namespaces).
///
/// # Safety
/// `thread_id` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn agentdb_checkpoint_delete_thread(db: *const agentdb_db, thread_id: *const c_char) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let thread = unsafe { str_arg(thread_id, "thread_id") }?;
        state_of(db)?.delete_thread(thread)?;
        Ok(())
    })
}
