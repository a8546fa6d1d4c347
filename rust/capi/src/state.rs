//! Agent state (`agentdb_state_*`): versioned JSON values per (agent, session, key), with
//! history, time travel and TTLs. There is no state handle: every call reaches the engine's
//! `State` through the database handle. Reads hand out `agentdb_state_versions`
//! (`state_versions.rs`), `agentdb_state_entries` (`state_entries.rs`) or `agentdb_strings`.
//! Checkpoints are `checkpoint.rs`.

use std::ffi::c_char;
use std::time::Duration;

use agentdb_engine::serde_json;
use agentdb_engine::{State, StateAt};

use crate::args::{batch, json_len, opt_str_arg, out_arg, slice_arg, str_arg, str_array};
use crate::handle::{self, agentdb_db, agentdb_state_entries, agentdb_state_versions, agentdb_strings};
use crate::state_entries::EntriesObj;
use crate::state_versions::VersionsObj;
use crate::status::{agentdb_status, guard, Fail, Res};
use crate::strings::StringsObj;
use crate::text::Text;

pub(crate) fn state_of(db: *const agentdb_db) -> Res<State> {
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
pub(crate) fn json_arg(text: &str, what: &str) -> Res<serde_json::Value> {
    json_len(text, what)?;
    // The engine's parser: exact doubles (serde_json's own is off by an ULP for some) and the
    // engine's nesting limit.
    agentdb_engine::parse_json(text).map_err(|e| Fail::invalid(format!("{what} is not valid JSON: {}", e.message())))
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
/// handle, so there is no state handle to outlive it: after `agentdb_db_close(db)` they return
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
        let keys = unsafe { str_array(keys, n, "keys") }?;
        // SAFETY: contract of this function.
        let values = unsafe { str_array(values_json, n, "values_json") }?;
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
