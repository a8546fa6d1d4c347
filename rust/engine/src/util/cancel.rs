//! Cancelling a long call from another thread (the model is SQLite's `sqlite3_interrupt`, but per
//! call rather than per connection).
//!
//! A caller makes a [`CancelToken`], attaches it to the thread that will make the call
//! ([`with_token`], or [`attach`]/[`detach`] for a binding that cannot pass a closure), and may
//! [`CancelToken::cancel`] it from any thread. Long calls (index builds, backup, restore, verify,
//! export and import, RAG ingest, batch search) look at the attached token at *safe points* only:
//! between files, batches, documents or chunks of queries, and never inside a commit. A call that
//! sees it cancelled returns an [`ErrorKind::Cancelled`] error and undoes what it had started, the
//! same way as for any other error in the middle (a backup point is written last, so a cancelled
//! one leaves none; an import drops the half-made store; an index build leaves the old index).
//!
//! Why a thread-scoped token rather than a parameter on every long call: every binding (C, Python,
//! Zig, Node, Go) already runs each engine call synchronously on one thread, so attaching a token
//! around a call reaches every long call at once, with no second variant of each function in each
//! binding. Short calls ignore it. A call that spawns helper threads (the parallel HNSW build)
//! reads the token on the calling thread first ([`current`]) and hands it to them.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};

/// A flag shared between the thread making a call and whoever may cancel it. Cheap to clone
/// (the clones are the same flag); thread-safe.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the calls this token is attached to to stop at their next safe point. Idempotent,
    /// from any thread; a call that already finished is not affected.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Clears the flag, so the token can serve another call.
    pub fn reset(&self) {
        self.0.store(false, Ordering::Release);
    }

    /// `Err(Cancelled)` once cancelled.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(cancelled())
        } else {
            Ok(())
        }
    }
}

/// The error a cancelled call returns.
pub fn cancelled() -> Error {
    Error::new(ErrorKind::Cancelled, "the call was cancelled")
}

thread_local! {
    static CURRENT: RefCell<Option<CancelToken>> = const { RefCell::new(None) };
}

/// Runs `f` with `token` attached to this thread (the previous attachment, if any, is restored
/// afterwards, also when `f` panics).
pub fn with_token<R>(token: &CancelToken, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<CancelToken>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0.take();
            let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
        }
    }
    let _restore = Restore(attach(token.clone()));
    f()
}

/// Attaches `token` to this thread until [`detach`]; returns the token it replaces. For
/// bindings whose calls cannot be wrapped in a closure (the C ABI).
pub fn attach(token: CancelToken) -> Option<CancelToken> {
    CURRENT.try_with(|c| c.borrow_mut().replace(token)).ok().flatten()
}

/// Removes this thread's token; returns it.
pub fn detach() -> Option<CancelToken> {
    CURRENT.try_with(|c| c.borrow_mut().take()).ok().flatten()
}

/// The token attached to this thread, for a call that checks it on other threads.
pub(crate) fn current() -> Option<CancelToken> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// A safe point: `Err(Cancelled)` when this thread's token is cancelled.
pub(crate) fn check() -> Result<()> {
    match current() {
        Some(t) => t.check(),
        None => Ok(()),
    }
}

/// Awaits `fut`, or stops waiting (dropping it) once `token` is cancelled. For one long await
/// into LanceDB (an IVF_PQ training) whose own commit is atomic: dropped before its commit, it
/// leaves the table as it was (the files it had written are unreferenced, removed by cleanup).
pub(crate) async fn race<T>(token: Option<&CancelToken>, fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let Some(token) = token else { return fut.await };
    token.check()?;
    let mut fut = std::pin::pin!(fut);
    loop {
        let tick = std::pin::pin!(tokio::time::sleep(std::time::Duration::from_millis(20)));
        match futures::future::select(fut.as_mut(), tick).await {
            futures::future::Either::Left((out, _)) => return out,
            futures::future::Either::Right(((), _)) => token.check()?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attached_only_inside_the_scope_and_nested_scopes_restore() {
        let outer = CancelToken::new();
        let inner = CancelToken::new();
        assert!(check().is_ok());
        with_token(&outer, || {
            outer.cancel();
            assert_eq!(check().unwrap_err().kind(), ErrorKind::Cancelled);
            with_token(&inner, || assert!(check().is_ok()));
            assert_eq!(check().unwrap_err().kind(), ErrorKind::Cancelled);
        });
        assert!(check().is_ok());
        outer.reset();
        assert!(outer.check().is_ok());
    }

    #[test]
    fn another_threads_token_is_not_seen() {
        let t = CancelToken::new();
        t.cancel();
        with_token(&t, || std::thread::spawn(|| check().is_ok()).join().unwrap()).then_some(()).unwrap();
    }
}
