//! Agent state and checkpoints (the engine's `State`, reached through the database handle).
//!
//! Values cross as JSON text; checkpoint payloads and pending-write values as (pointer, length)
//! bytes. Reads hand out result objects (`agentdb_state_versions`, `agentdb_state_entries`,
//! `agentdb_checkpoints`, `agentdb_pending_writes`), each read with `*_count` / `*_at` and freed
//! by its one `*_free` call; the strings and bytes they hand out live until that free.

use std::ffi::c_char;
use std::time::Duration;

use agentdb_engine::serde_json;
use agentdb_engine::{Checkpoint, CheckpointFilter, PendingWrite, State, StateAt, StateVersion, WriteInput};

use crate::args::{batch, index, json_len, opt_str_arg, out_arg, slice_arg, str_arg};
use crate::handle::{self, agentdb_checkpoints, agentdb_db, agentdb_pending_writes, agentdb_state_entries, agentdb_state_versions, agentdb_strings};
use crate::objects::{StringsObj, Text};
use crate::status::{agentdb_status, guard, Fail, Res};

fn state_of(db: *const agentdb_db) -> Res<State> {
    Ok(handle::get(db, "db")?.db.state()?)
}

/// A TTL in seconds: 0 is "none"; negative, NaN or infinite is refused.
fn ttl_arg(secs: f64) -> Res<Option<Duration>> {
    if secs == 0.0 {
        return Ok(None);
    }
    if !secs.is_finite() || secs < 0.0 {
        return Err(Fail::invalid(format!("ttl_seconds must be 0 (none) or positive, got {secs}")));
    }
    Duration::try_from_secs_f64(secs).map(Some).map_err(|_| Fail::invalid(format!("ttl_seconds {secs} is out of range")))
}

/// JSON text argument (its size checked before it is parsed).
fn json_arg(text: &str, what: &str) -> Res<serde_json::Value> {
    json_len(text, what)?;
    // The engine's parser: exact doubles (serde_json's own is off by an ULP for some) and the
    // engine's nesting limit.
    agentdb_engine::parse_json(text).map_err(|e| Fail::invalid(format!("{what} is not valid JSON: {}", e.message())))
}

// ---------------------------------------------------------------------------------------------
// Result objects
// ---------------------------------------------------------------------------------------------

pub(crate) struct VersionsObj {
    items: Vec<(StateVersion, Option<Text>)>,
}

impl VersionsObj {
    fn new(items: Vec<StateVersion>) -> VersionsObj {
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

pub(crate) struct EntriesObj {
    items: Vec<(Text, Text)>,
}

pub(crate) struct CheckpointsObj {
    items: Vec<(Checkpoint, [Text; 5], Option<Text>)>,
}

impl CheckpointsObj {
    fn new(items: Vec<Checkpoint>) -> CheckpointsObj {
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

pub(crate) struct WritesObj {
    items: Vec<(PendingWrite, [Text; 4])>,
}

/// One version of a key, as `agentdb_state_versions_at` hands it out. The strings point into the
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

/// One checkpoint, as `agentdb_checkpoints_at` hands it out. Strings and bytes point into the
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

/// A stored pending write, as `agentdb_pending_writes_at` hands it out.
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

fn bytes_ptr(b: &[u8]) -> *const u8 {
    if b.is_empty() {
        std::ptr::null()
    } else {
        b.as_ptr()
    }
}

// ---------------------------------------------------------------------------------------------
// Key/value state
// ---------------------------------------------------------------------------------------------

/// Writes a new version of `key` in (`agent_id`, `session_id`) and writes its number to
/// `*out_version` (1 for a new key; NULL: not wanted). `value_json` is any JSON value (at most
/// `AGENTDB_MAX_JSON_LEN` bytes).
/// `ttl_seconds`: 0 for none, else this version expires that long after now.
///
/// Every `agentdb_state_*` and `agentdb_checkpoint_*` call reaches the agent state through the db
/// handle, so there is no state handle to outlive it: after `agentdb_close(db)` they return
/// `AGENTDB_INVALID_HANDLE`. Result objects already read (`agentdb_state_versions`, ...) hold
/// copies and stay readable until freed.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out_version` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_put(
    db: *const agentdb_db,
    agent_id: *const c_char,
    session_id: *const c_char,
    key: *const c_char,
    value_json: *const c_char,
    ttl_seconds: f64,
    out_version: *mut u64,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let (agent, session, key, value) = unsafe {
            (str_arg(agent_id, "agent_id")?, str_arg(session_id, "session_id")?, str_arg(key, "key")?, str_arg(value_json, "value_json")?)
        };
        let value = json_arg(value, "value_json")?;
        let ttl = ttl_arg(ttl_seconds)?;
        let v = state_of(db)?.put(agent, session, key, &value, ttl)?;
        if !out_version.is_null() {
            // SAFETY: not NULL, writable by contract.
            *unsafe { out_arg(out_version, "out_version") }? = v;
        }
        Ok(())
    })
}

/// Writes `n` keys of one session as one atomic batch (a reader sees all or none). `keys[i]` gets
/// `values_json[i]`; keys must not repeat. The new versions go to `out_versions[0..n]` (NULL: not
/// wanted). `n` is at most `AGENTDB_MAX_BATCH`, and with `n > 0` neither `keys` nor
/// `values_json` may be NULL (`AGENTDB_NULL_POINTER`), checked before either is read; each value
/// is at most `AGENTDB_MAX_JSON_LEN` bytes.
///
/// # Safety
/// `keys` and `values_json` are NULL or arrays of `n` NUL-terminated strings; `out_versions` is NULL
/// or writable for `n` values.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_put_many(
    db: *const agentdb_db,
    agent_id: *const c_char,
    session_id: *const c_char,
    keys: *const *const c_char,
    values_json: *const *const c_char,
    n: usize,
    ttl_seconds: f64,
    out_versions: *mut u64,
) -> agentdb_status {
    guard(|| {
        // The count first, against the arrays given.
        batch(n, "keys", &[("keys", keys.is_null()), ("values_json", values_json.is_null())])?;
        if !out_versions.is_null() && !out_versions.is_aligned() {
            return Err(Fail::invalid("out_versions is not aligned"));
        }
        // SAFETY: contract of this function.
        let (agent, session) = unsafe { (str_arg(agent_id, "agent_id")?, str_arg(session_id, "session_id")?) };
        // SAFETY: contract of this function.
        let keys = unsafe { crate::args::str_array(keys, n, "keys") }?;
        // SAFETY: contract of this function.
        let values = unsafe { crate::args::str_array(values_json, n, "values_json") }?;
        let items = keys
            .into_iter()
            .zip(values.iter())
            .enumerate()
            .map(|(i, (k, v))| Ok((k, json_arg(v, &format!("values_json[{i}]"))?)))
            .collect::<Res<Vec<_>>>()?;
        let ttl = ttl_arg(ttl_seconds)?;
        let versions = state_of(db)?.put_many(agent, session, &items, ttl)?;
        if versions.len() != n {
            return Err(Fail::new(
                agentdb_status::AGENTDB_INTERNAL,
                format!("the engine returned {} versions for {n} keys", versions.len()),
            ));
        }
        if !out_versions.is_null() && n > 0 {
            // SAFETY: non-NULL, aligned (checked above), writable for `n` values by contract.
            let out = unsafe { std::slice::from_raw_parts_mut(out_versions, n) };
            out.copy_from_slice(&versions);
        }
        Ok(())
    })
}

/// Shared body of the three reads of one version.
///
/// # Safety
/// Strings NULL or NUL-terminated; `out` NULL or writable.
unsafe fn get_call(
    db: *const agentdb_db,
    agent_id: *const c_char,
    session_id: *const c_char,
    key: *const c_char,
    at: StateAt,
    out: *mut *mut agentdb_state_versions,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out, "out_versions") }?;
        *out = std::ptr::null_mut();
        // SAFETY: contract of this function.
        let (agent, session, key) = unsafe { (str_arg(agent_id, "agent_id")?, str_arg(session_id, "session_id")?, str_arg(key, "key")?) };
        let found = state_of(db)?.get(agent, session, key, at)?;
        *out = handle::new_handle(VersionsObj::new(found.into_iter().collect()));
        Ok(())
    })
}

/// Reads the current version of `key` into a new `agentdb_state_versions` (count 0 when the key
/// never existed or expired; a deleted key gives its tombstone, `deleted = true`). Free it with
/// `agentdb_state_versions_free`.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out_versions` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_get(
    db: *const agentdb_db,
    agent_id: *const c_char,
    session_id: *const c_char,
    key: *const c_char,
    out_versions: *mut *mut agentdb_state_versions,
) -> agentdb_status {
    // SAFETY: same contract.
    unsafe { get_call(db, agent_id, session_id, key, StateAt::Latest, out_versions) }
}

/// Reads version `version` (1, 2, …) of `key` (count 0 if there is no such version).
///
/// # Safety
/// As for `agentdb_state_get`.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_get_version(
    db: *const agentdb_db,
    agent_id: *const c_char,
    session_id: *const c_char,
    key: *const c_char,
    version: u64,
    out_versions: *mut *mut agentdb_state_versions,
) -> agentdb_status {
    // SAFETY: same contract.
    unsafe { get_call(db, agent_id, session_id, key, StateAt::Version(version), out_versions) }
}

/// Reads the version of `key` in force at `at_us` (microseconds since the Unix epoch, UTC):
/// count 0 if the key had no value then (not yet written, deleted, or expired).
///
/// # Safety
/// As for `agentdb_state_get`.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_get_at(
    db: *const agentdb_db,
    agent_id: *const c_char,
    session_id: *const c_char,
    key: *const c_char,
    at_us: i64,
    out_versions: *mut *mut agentdb_state_versions,
) -> agentdb_status {
    // SAFETY: same contract.
    unsafe { get_call(db, agent_id, session_id, key, StateAt::Time(at_us), out_versions) }
}

/// The versions of `key`, newest first, tombstones included: at most `limit` after skipping
/// `offset`.
///
/// # Safety
/// As for `agentdb_state_get`.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_history(
    db: *const agentdb_db,
    agent_id: *const c_char,
    session_id: *const c_char,
    key: *const c_char,
    limit: usize,
    offset: usize,
    out_versions: *mut *mut agentdb_state_versions,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_versions, "out_versions") }?;
        *out = std::ptr::null_mut();
        // SAFETY: contract of this function.
        let (agent, session, key) = unsafe { (str_arg(agent_id, "agent_id")?, str_arg(session_id, "session_id")?, str_arg(key, "key")?) };
        let rows = state_of(db)?.history(agent, session, key, limit, offset)?;
        *out = handle::new_handle(VersionsObj::new(rows));
        Ok(())
    })
}

/// Deletes `key` by writing a tombstone version; its number goes to `*out_version` (0 when the key
/// had no value and nothing was written; NULL: not wanted).
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out_version` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_delete(
    db: *const agentdb_db,
    agent_id: *const c_char,
    session_id: *const c_char,
    key: *const c_char,
    out_version: *mut u64,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let (agent, session, key) = unsafe { (str_arg(agent_id, "agent_id")?, str_arg(session_id, "session_id")?, str_arg(key, "key")?) };
        let v = state_of(db)?.delete(agent, session, key)?;
        if !out_version.is_null() {
            // SAFETY: not NULL, writable by contract.
            *unsafe { out_arg(out_version, "out_version") }? = v;
        }
        Ok(())
    })
}

/// Every key of a session with its value (JSON), sorted by key, now (`at_us` NULL) or at time
/// `*at_us`. Deleted and expired keys are left out. Free it with `agentdb_state_entries_free`.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `at_us` is NULL or readable; `out_entries` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_snapshot(
    db: *const agentdb_db,
    agent_id: *const c_char,
    session_id: *const c_char,
    at_us: *const i64,
    out_entries: *mut *mut agentdb_state_entries,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_entries, "out_entries") }?;
        *out = std::ptr::null_mut();
        // SAFETY: contract of this function.
        let (agent, session) = unsafe { (str_arg(agent_id, "agent_id")?, str_arg(session_id, "session_id")?) };
        // SAFETY: NULL or readable for one i64 (contract).
        let at = unsafe { slice_arg(at_us, usize::from(!at_us.is_null()), "at_us") }?.first().copied();
        let snap = state_of(db)?.snapshot(agent, session, at)?;
        *out = handle::new_handle(EntriesObj { items: snap.iter().map(|(k, v)| (Text::new(k), Text::new(v))).collect() });
        Ok(())
    })
}

/// The keys `agentdb_state_snapshot` would give, as an `agentdb_strings`.
///
/// # Safety
/// As for `agentdb_state_snapshot`.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_keys(
    db: *const agentdb_db,
    agent_id: *const c_char,
    session_id: *const c_char,
    at_us: *const i64,
    out_keys: *mut *mut agentdb_strings,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_keys, "out_keys") }?;
        *out = std::ptr::null_mut();
        // SAFETY: contract of this function.
        let (agent, session) = unsafe { (str_arg(agent_id, "agent_id")?, str_arg(session_id, "session_id")?) };
        // SAFETY: NULL or readable for one i64 (contract).
        let at = unsafe { slice_arg(at_us, usize::from(!at_us.is_null()), "at_us") }?.first().copied();
        let keys = state_of(db)?.keys(agent, session, at)?;
        *out = handle::new_handle(StringsObj { items: keys.iter().map(|k| Text::new(k)).collect() });
        Ok(())
    })
}

/// The sessions of `agent_id` that hold anything and have not expired, sorted.
///
/// # Safety
/// `agent_id` is NULL or NUL-terminated; `out_sessions` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_sessions(
    db: *const agentdb_db,
    agent_id: *const c_char,
    out_sessions: *mut *mut agentdb_strings,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_sessions, "out_sessions") }?;
        *out = std::ptr::null_mut();
        // SAFETY: contract of this function.
        let agent = unsafe { str_arg(agent_id, "agent_id") }?;
        let sessions = state_of(db)?.sessions(agent)?;
        *out = handle::new_handle(StringsObj { items: sessions.iter().map(|k| Text::new(k)).collect() });
        Ok(())
    })
}

/// Removes a session (or with `session_id` NULL every session of the agent) for good; the number
/// of key versions removed goes to `*out_removed` (NULL: not wanted).
///
/// # Safety
/// `agent_id` is NULL or NUL-terminated; `session_id` NULL or NUL-terminated; `out_removed` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_purge(
    db: *const agentdb_db,
    agent_id: *const c_char,
    session_id: *const c_char,
    out_removed: *mut u64,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let (agent, session) = unsafe { (str_arg(agent_id, "agent_id")?, opt_str_arg(session_id, "session_id")?) };
        let n = state_of(db)?.purge(agent, session)?;
        if !out_removed.is_null() {
            // SAFETY: not NULL, writable by contract.
            *unsafe { out_arg(out_removed, "out_removed") }? = n;
        }
        Ok(())
    })
}

/// Sets the session's TTL: it expires `ttl_seconds` after its last write (0 removes the TTL).
///
/// # Safety
/// The strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_set_session_ttl(
    db: *const agentdb_db,
    agent_id: *const c_char,
    session_id: *const c_char,
    ttl_seconds: f64,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let (agent, session) = unsafe { (str_arg(agent_id, "agent_id")?, str_arg(session_id, "session_id")?) };
        state_of(db)?.set_session_ttl(agent, session, ttl_arg(ttl_seconds)?)?;
        Ok(())
    })
}

/// Removes expired keys and sessions from disk now (a background sweep does it every second); the
/// number of versions removed goes to `*out_removed` (NULL: not wanted).
///
/// # Safety
/// `out_removed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_sweep(db: *const agentdb_db, out_removed: *mut u64) -> agentdb_status {
    guard(|| {
        let n = state_of(db)?.sweep()?;
        if !out_removed.is_null() {
            // SAFETY: not NULL, writable by contract.
            *unsafe { out_arg(out_removed, "out_removed") }? = n;
        }
        Ok(())
    })
}

/// Writes the number of versions to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_versions_count(versions: *const agentdb_state_versions, out_count: *mut usize) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        *out = handle::get(versions, "versions")?.items.len();
        Ok(())
    })
}

/// Writes version `i` to `*out` (its string lives until `agentdb_state_versions_free`).
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_versions_at(
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
    guard(|| handle::take(versions, "versions").map(drop))
}

/// Writes the number of entries to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_entries_count(entries: *const agentdb_state_entries, out_count: *mut usize) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        *out = handle::get(entries, "entries")?.items.len();
        Ok(())
    })
}

/// Writes entry `i`: its key to `*out_key` and its value (JSON) to `*out_value_json`, NUL-terminated
/// and valid until `agentdb_state_entries_free`. The length pointers may be NULL.
///
/// # Safety
/// `out_key` and `out_value_json` are NULL or writable; the length pointers NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_state_entries_at(
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
            crate::args::write_text(Some(k), out_key, out_key_len)?;
            crate::args::write_text(Some(v), out_value_json, out_value_len)
        }
    })
}

/// Frees an `agentdb_state_entries` (NULL: nothing).
#[no_mangle]
pub extern "C" fn agentdb_state_entries_free(entries: *mut agentdb_state_entries) -> agentdb_status {
    guard(|| handle::take(entries, "entries").map(drop))
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

/// Writes the number of checkpoints to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_checkpoints_count(checkpoints: *const agentdb_checkpoints, out_count: *mut usize) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        *out = handle::get(checkpoints, "checkpoints")?.items.len();
        Ok(())
    })
}

/// Writes checkpoint `i` to `*out` (its strings and bytes live until `agentdb_checkpoints_free`).
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_checkpoints_at(
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
    guard(|| handle::take(checkpoints, "checkpoints").map(drop))
}

/// Writes the number of pending writes to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_pending_writes_count(writes: *const agentdb_pending_writes, out_count: *mut usize) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_count, "out_count") }?;
        *out = handle::get(writes, "writes")?.items.len();
        Ok(())
    })
}

/// Writes pending write `i` to `*out` (its strings and bytes live until
/// `agentdb_pending_writes_free`).
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_pending_writes_at(
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
    guard(|| handle::take(writes, "writes").map(drop))
}
