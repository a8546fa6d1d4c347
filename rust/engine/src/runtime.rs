//! The engine's own async runtime. LanceDB's API is async only; the engine's API is blocking, so
//! every call enters this one runtime with `block_on` from the caller's thread.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

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
    runtime().block_on(f)
}
