//! Cancelling long calls (`agentdb_cancel_token`): a token made with `agentdb_cancel_token_new`,
//! attached to the thread that will make the long call (`agentdb_cancel_token_attach`), and
//! cancelled from any other thread (`agentdb_cancel_token_cancel`). The engine decides where a
//! call may stop (see the engine's `util::cancel`): index builds, optimize, backup, restore,
//! verify, export and import, RAG ingest and batch search stop at their next safe point and
//! return `AGENTDB_CANCELLED`, having undone what they started; every other call ignores it.
//!
//! The token is attached to a thread rather than passed to each call, so no long call needs a
//! second variant. A thread has at most one token attached; calls it makes while attached all
//! observe it, so a caller attaches around the one call it may want to cancel and detaches after.

use crate::args::out_arg;
use crate::handle::{self, agentdb_cancel_token};
use crate::status::{agentdb_status, guard};
use agentdb_engine::{cancel, CancelToken};

pub(crate) struct CancelObj {
    pub token: CancelToken,
}

/// Makes a new token, not cancelled, in `*out_token`; free it with `agentdb_cancel_token_free`.
///
/// # Safety
/// `out_token` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_cancel_token_new(out_token: *mut *mut agentdb_cancel_token) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_token, "out_token")? };
        *out = handle::new_handle(CancelObj { token: CancelToken::new() });
        Ok(())
    })
}

/// Cancels the token: every call on a thread it is attached to stops at its next safe point with
/// `AGENTDB_CANCELLED`, and so does every later long call there until `agentdb_cancel_token_reset`.
/// Callable from any thread, also while the long call runs (that is its purpose); idempotent.
#[no_mangle]
pub extern "C" fn agentdb_cancel_token_cancel(token: *const agentdb_cancel_token) -> agentdb_status {
    guard(|| {
        handle::get(token, "token")?.token.cancel();
        Ok(())
    })
}

/// Clears a cancelled token so it can serve another call.
#[no_mangle]
pub extern "C" fn agentdb_cancel_token_reset(token: *const agentdb_cancel_token) -> agentdb_status {
    guard(|| {
        handle::get(token, "token")?.token.reset();
        Ok(())
    })
}

/// Writes 1 to `*out_cancelled` if the token was cancelled (and not reset since), else 0.
///
/// # Safety
/// `out_cancelled` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_cancel_token_is_cancelled(
    token: *const agentdb_cancel_token,
    out_cancelled: *mut i32,
) -> agentdb_status {
    guard(|| {
        let t = handle::get(token, "token")?;
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_cancelled, "out_cancelled")? };
        *out = i32::from(t.token.is_cancelled());
        Ok(())
    })
}

/// Attaches the token to the calling thread, replacing any token attached there: the calls this
/// thread makes from now on observe it, until `agentdb_cancel_token_detach`. The token stays
/// attached (and alive) even if its handle is freed meanwhile.
#[no_mangle]
pub extern "C" fn agentdb_cancel_token_attach(token: *const agentdb_cancel_token) -> agentdb_status {
    guard(|| {
        let t = handle::get(token, "token")?;
        cancel::attach(t.token.clone());
        Ok(())
    })
}

/// Detaches whatever token is attached to the calling thread (none attached: nothing to do).
#[no_mangle]
pub extern "C" fn agentdb_cancel_token_detach() -> agentdb_status {
    guard(|| {
        cancel::detach();
        Ok(())
    })
}

/// Frees a token. `agentdb_cancel_token_free(NULL)` does nothing and returns `AGENTDB_OK`;
/// freeing twice returns `AGENTDB_INVALID_HANDLE`. A thread it is still attached to keeps
/// observing it until detached.
#[no_mangle]
pub extern "C" fn agentdb_cancel_token_free(token: *mut agentdb_cancel_token) -> agentdb_status {
    handle::free(token, "token")
}
