//! Cancelling long calls from JS: the `signal` option (an `AbortSignal`) of the Promise methods.
//!
//! `index.js` turns a call's `signal` into a [`CancelToken`], cancels it on `abort`, and *arms* it
//! on the JS thread around the method call ([`arm_cancel`] / [`disarm_cancel`]). The method
//! builds its task synchronously on that thread, and the task takes the armed token
//! ([`take_armed`]) and attaches it to the libuv worker thread while the engine call runs, so the
//! engine's safe points see it (see the engine's `util::cancel`). The long calls (index builds,
//! optimize, batch search, backup, restore, verify, export and import, RAG ingest) then stop with
//! a `CancelledError`, their work undone; other calls ignore it.

use std::cell::RefCell;

use napi_derive::napi;

/// A token that cancels the long call it is armed for (`index.js` makes one per `signal`).
#[napi]
pub struct CancelToken {
    inner: agentdb_engine::CancelToken,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self { inner: agentdb_engine::CancelToken::new() }
    }

    /// Asks the call to stop at its next safe point (any time, idempotent).
    #[napi]
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}

thread_local! {
    /// The token for the task the JS thread is about to build (one JS thread per environment).
    static ARMED: RefCell<Option<agentdb_engine::CancelToken>> = const { RefCell::new(None) };
}

/// Arms `token` for the next Promise method called on this thread (index.js only).
#[napi(skip_typescript)]
pub fn arm_cancel(token: &CancelToken) {
    ARMED.with(|a| *a.borrow_mut() = Some(token.inner.clone()));
}

/// Clears the armed token (index.js only, after the method call returned its Promise).
#[napi(skip_typescript)]
pub fn disarm_cancel() {
    ARMED.with(|a| a.borrow_mut().take());
}

/// The armed token, taken by the task being built.
pub(crate) fn take_armed() -> Option<agentdb_engine::CancelToken> {
    ARMED.try_with(|a| a.borrow_mut().take()).ok().flatten()
}
