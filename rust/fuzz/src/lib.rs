//! What every fuzz target shares: [`fuzz_target!`] defines libFuzzer's entry point
//! (`LLVMFuzzerTestOneInput`) around one `fn(&[u8])` of `agentdb_engine::fuzz`.
//!
//! libFuzzer itself (its `main`, the mutator, the coverage runtime) is clang's compiler-rt
//! library, linked by build.rs: no `libfuzzer-sys` crate, whose build-dependency features would
//! differ from the root workspace's and rebuild every build script (and then LanceDB).
//!
//! A panic is a finding: it is printed, then the process aborts, which libFuzzer reports as a
//! crash and saves the input.

/// Defines `LLVMFuzzerTestOneInput` calling `$f(&[u8])`; a panic aborts the process.
#[macro_export]
macro_rules! fuzz_target {
    ($f:path) => {
        #[no_mangle]
        pub extern "C" fn LLVMFuzzerTestOneInput(data: *const u8, size: usize) -> i32 {
            $crate::run(data, size, $f)
        }
    };
}

#[doc(hidden)]
pub fn run(data: *const u8, size: usize, f: fn(&[u8])) -> i32 {
    let bytes: &[u8] = if data.is_null() || size == 0 {
        &[]
    } else {
        // SAFETY: libFuzzer passes `size` readable bytes at `data`, valid during this call.
        unsafe { std::slice::from_raw_parts(data, size) }
    };
    if std::panic::catch_unwind(|| f(bytes)).is_err() {
        // The panic message is already on stderr (the default hook).
        std::process::abort();
    }
    0
}
