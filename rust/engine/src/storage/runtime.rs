//! The engine's own async runtime. LanceDB's API is async only; the engine's API is blocking, so
//! every call enters this one runtime with `block_on` from the caller's thread.
//!
//! That needs tokio's thread-locals on the caller's thread, which are gone once the thread has run
//! its thread-local destructors: in a C program's `atexit` handler (glibc destroys the main
//! thread's thread-locals before it runs the `atexit` handlers), or in the destructor of another
//! thread-local. A call that may come from such a thread goes through [`on_live_thread`].

use std::cell::Cell;
use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .thread_name("agentdb-io")
            .enable_all()
            .build()
            .expect("cannot start the AgentDB runtime (out of threads or memory?)")
    })
}

/// Runs a future to completion on the engine runtime. Must not be called from inside the
/// runtime itself (the engine never does: only the blocking API calls this).
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    let out = runtime().block_on(f);
    let _ = ENTERED.try_with(|_| ());
    out
}

/// [`block_on`] that may also be called from inside a future this runtime is running: from a
/// synchronous helper that the engine's async code calls (the object-store requests of
/// `remote.rs`, made while an index build holds its locks). It steps out of the runtime's
/// context for the length of the call; the engine's other calls keep the plain, cheaper one.
pub(crate) fn block_on_anywhere<F: Future>(f: F) -> F::Output {
    if Handle::try_current().is_ok() {
        tokio::task::block_in_place(|| block_on(f))
    } else {
        block_on(f)
    }
}

/// Whether this thread's thread-locals have been destroyed, in part or in full (it is exiting, or
/// it is the main thread inside `exit`), so that the runtime cannot be entered from it: tokio's
/// context is gone, or [`ENTERED`] is, which this thread created after tokio's own thread-locals
/// and which is therefore destroyed before them.
pub fn thread_locals_destroyed() -> bool {
    TORN_DOWN.with(Cell::get) || matches!(Handle::try_current(), Err(e) if e.is_thread_local_destroyed())
}

/// Created by the first `block_on` on a thread, once tokio has made its own thread-locals there
/// (its context and its parker). Thread-local destructors run in reverse order of creation, so
/// this one is destroyed before tokio's, and its destruction marks the thread as torn down, also
/// when tokio's context outlives its parker (which `Handle::try_current` cannot tell).
struct Entered;

impl Drop for Entered {
    fn drop(&mut self) {
        TORN_DOWN.with(|t| t.set(true));
    }
}

thread_local! {
    static ENTERED: Entered = const { Entered };
    /// Without a destructor, so readable until the thread is gone; looking at it creates nothing
    /// (looking at `ENTERED` would create it, too early).
    static TORN_DOWN: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` on this thread, or, when this thread's thread-locals are destroyed, on a helper thread
/// (whose thread-locals are fresh) while this one waits. `f` may borrow from the caller: the helper
/// is scoped. A panic in `f` is resumed on the caller's thread, so the caller's boundary (the C
/// ABI's guard) reports it as usual.
///
/// Per call rather than inside [`block_on`]: the engine's futures hold `std` lock guards across
/// awaits and so are not `Send`, but a whole blocking call can move to another thread.
pub fn on_live_thread<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if !thread_locals_destroyed() {
        return f();
    }
    std::thread::scope(|s| {
        let helper = std::thread::Builder::new()
            .name("agentdb-exit".into())
            .spawn_scoped(s, f)
            .expect("cannot start a thread to finish an AgentDB call at thread exit");
        helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A thread-local whose destructor makes engine calls, as a C `atexit` handler that closes its
    /// database does: tokio's own thread-locals on this thread are gone by then.
    struct CallsAtThreadExit(std::sync::mpsc::Sender<(bool, Option<u32>, bool)>);

    impl Drop for CallsAtThreadExit {
        fn drop(&mut self) {
            let destroyed = thread_locals_destroyed();
            let direct = std::panic::catch_unwind(|| block_on(async { 1 })).is_err();
            let borrowed = vec![3, 4];
            let out = std::panic::catch_unwind(|| {
                on_live_thread(|| {
                    block_on(async {
                        tokio::task::spawn(async {}).await.unwrap();
                        borrowed.iter().sum::<u32>()
                    })
                })
            });
            let _ = self.0.send((destroyed, out.ok(), direct));
        }
    }

    thread_local! {
        static AT_EXIT: std::cell::RefCell<Option<CallsAtThreadExit>> = const { std::cell::RefCell::new(None) };
    }

    /// Makes engine calls from a thread-local destructor of a thread that used the engine.
    fn calls_at_thread_exit(context_first: bool) -> (bool, Option<u32>, bool) {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            if context_first {
                // Tokio's context is created here, before the thread-local below, and so
                // outlives it, while tokio's parker (created by the call after it) does not:
                // the partly torn-down state that `Handle::try_current` alone does not see.
                assert!(!thread_locals_destroyed());
            }
            AT_EXIT.with(|slot| *slot.borrow_mut() = Some(CallsAtThreadExit(tx)));
            assert_eq!(on_live_thread(|| block_on(async { 1 })), 1);
            assert!(!thread_locals_destroyed());
        })
        .join()
        .unwrap();
        rx.recv().unwrap()
    }

    #[test]
    fn calls_work_after_thread_locals_are_destroyed() {
        for context_first in [false, true] {
            let (destroyed, out, direct_panicked) = calls_at_thread_exit(context_first);
            assert!(destroyed, "the thread's thread-locals were not seen as destroyed ({context_first})");
            assert!(direct_panicked, "block_on worked without a helper: the test no longer tests anything");
            assert_eq!(out, Some(7));
        }
    }
}
