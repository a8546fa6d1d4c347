//! Links the fuzz targets against libFuzzer from clang's compiler-rt (`main`, the mutator and the
//! sanitizer-coverage callbacks that the instrumented crates call). mk/fuzz.mk passes its path in
//! AGENTDB_LIBFUZZER; without it, the one of the newest installed clang is used.

use std::path::PathBuf;

fn find_libfuzzer() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("AGENTDB_LIBFUZZER").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let mut found: Vec<PathBuf> = Vec::new();
    for llvm in std::fs::read_dir("/usr/lib").ok()?.flatten() {
        if !llvm.file_name().to_string_lossy().starts_with("llvm-") {
            continue;
        }
        let clang = llvm.path().join("lib/clang");
        for version in std::fs::read_dir(&clang).into_iter().flatten().flatten() {
            let lib = version.path().join("lib/linux/libclang_rt.fuzzer-x86_64.a");
            if lib.exists() {
                found.push(lib);
            }
        }
    }
    found.sort();
    found.pop()
}

fn main() {
    println!("cargo:rerun-if-env-changed=AGENTDB_LIBFUZZER");
    match find_libfuzzer() {
        Some(lib) => {
            println!("cargo:rerun-if-changed={}", lib.display());
            println!("cargo:rustc-link-arg-bins={}", lib.display());
            // libFuzzer is C++.
            println!("cargo:rustc-link-arg-bins=-lstdc++");
        }
        None => println!(
            "cargo:warning=libFuzzer (libclang_rt.fuzzer-x86_64.a) not found: install clang, or set AGENTDB_LIBFUZZER"
        ),
    }
}
