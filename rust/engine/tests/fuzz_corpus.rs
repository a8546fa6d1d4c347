//! Replays the fuzz targets' corpora — `rust/fuzz/corpus/<target>/*`: the seeds, the shapes of
//! issues 11 and 22, and every input a fuzzer ever crashed on — through the same entry points the
//! fuzz targets call (`agentdb_engine::fuzz`), with no instrumentation, so `make test` checks them
//! on every run. An input passes when its entry point returns (the entry points assert their own
//! invariants) within a few seconds. Each test runs its inputs on a thread with the default 2 MiB
//! test stack, smaller than a fuzzer's main thread: deep recursion shows here first.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// An input that takes longer than this is a failure (a fuzzer's `-timeout` in `make fuzz` is 10 s).
const SLOW: Duration = Duration::from_secs(5);

fn corpus(target: &str) -> Vec<PathBuf> {
    inputs("corpus", target)
}

fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz").join(kind).join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no inputs", dir.display());
    files
}

fn replay(target: &str, entry: fn(&[u8])) {
    replay_files(target, corpus(target), entry);
}

fn replay_files(target: &str, files: Vec<PathBuf>, entry: fn(&[u8])) {
    let mut failed = Vec::new();
    for path in &files {
        let data = std::fs::read(path).unwrap();
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(|| entry(&data));
        let took = started.elapsed();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match outcome {
            Err(_) => failed.push(format!("{name}: panicked (message above)")),
            Ok(()) if took > SLOW => failed.push(format!("{name}: took {took:?}")),
            Ok(()) => {}
        }
    }
    assert!(failed.is_empty(), "{target}: {} of {} inputs failed:\n  {}", failed.len(), files.len(), failed.join("\n  "));
    println!("{target}: {} inputs replayed", files.len());
}

#[test]
fn filter_sql_corpus() {
    replay("filter_sql", agentdb_engine::fuzz::filter_sql);
}

#[test]
fn filter_json_corpus() {
    replay("filter_json", agentdb_engine::fuzz::filter_json);
}

#[test]
fn wal_decode_corpus() {
    replay("wal_decode", agentdb_engine::fuzz::wal_decode);
}

#[test]
fn index_load_corpus() {
    replay("index_load", agentdb_engine::fuzz::index_load);
}

#[test]
fn metadata_json_corpus() {
    replay("metadata_json", agentdb_engine::fuzz::metadata_json);
}

/// The findings of fuzz runs not fixed yet (`rust/fuzz/findings/<target>/`, each described in
/// rust/fuzz/RESULTS.md): ignored, so `make test` stays green while they are open; run them with
/// `cargo test --release --test fuzz_corpus -- --ignored`. Once one passes, its file moves into
/// `rust/fuzz/corpus/<target>/`, where the tests above replay it on every run.
#[test]
#[ignore = "open fuzz findings: see rust/fuzz/RESULTS.md"]
fn open_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/findings");
    let entries: [(&str, fn(&[u8])); 5] = [
        ("filter_sql", agentdb_engine::fuzz::filter_sql),
        ("filter_json", agentdb_engine::fuzz::filter_json),
        ("wal_decode", agentdb_engine::fuzz::wal_decode),
        ("index_load", agentdb_engine::fuzz::index_load),
        ("metadata_json", agentdb_engine::fuzz::metadata_json),
    ];
    for (target, entry) in entries {
        if root.join(target).is_dir() {
            replay_files(target, inputs("findings", target), entry);
        }
    }
}
