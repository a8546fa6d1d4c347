//! The engine's layers, kept by a test: every module of `src/` imports only from the layers below
//! its own (and not from another module of its own layer), so the imports cannot form a circle
//! and the tree reads from the bottom up. The test reads the `crate::…` paths of the engine's
//! sources (code, not comments; unit tests, which may drive a module through the whole engine,
//! are exempt) and fails on an upward or sideways edge, naming the file and line.
//!
//! A new module is placed in [`LAYERS`]; one that is not fails the test, so the shape is a decision
//! and not an accident. (TigerBeetle's `tidy.zig` keeps its style the same way.)

use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may import from every layer before its own.
const LAYERS: &[&[&str]] = &[
    &["error"],                    // the one error type
    &["util"],                     // clock, atomic writes, byte readers, checksums, cores
    &["kernels"],                  // SIMD distance kernels
    &["types"],                    // values, schemas, records, filters, Arrow input, the fusion of rankings
    &["index"],                    // index kinds and parameters, HNSW, the vector mirror, index files
    &["storage"],                  // write-ahead log, locks, runtime, Lance upkeep, the store context
    &["collection"],               // one collection: writes, reads, search, indexes, text index
    &["db"],                       // a database: its collections, flushes, services, close
    &["graph"],                    // temporal knowledge graphs (below memory, whose recall reads them)
    &["state", "memory", "rag"],   // services built on a database, independent of each other
    &["admin"],                    // backup, restore, verify: over the database and its files
    &["open", "fuzz", "ops", "transfer"], // opening a database with its services; fuzzing entry points; stats, health, metrics; export and import
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The module path of a source file relative to `src/` (`collection/buffer.rs` →
/// `["collection", "buffer"]`, `db/mod.rs` → `["db"]`).
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if let Some(last) = parts.pop() {
        let stem = last.strip_suffix(".rs").unwrap_or(&last).to_owned();
        if stem != "mod" {
            parts.push(stem);
        }
    }
    parts
}

/// The top-level modules one line of code names through `crate::` (or through enough `super::`
/// to reach the crate root), grouped imports (`crate::{a, b::c}`) included.
fn named_modules(line: &str, depth: usize) -> Vec<String> {
    let mut out = Vec::new();
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            // Each item of the group starts after `{` or a `,` at the group's own depth.
            let mut level = 0;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => level += 1,
                    '}' if level == 0 => break,
                    '}' => level -= 1,
                    ',' if level == 0 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start => {
                        out.push(ident(&group[i..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(after));
        }
        rest = after;
    }
    // `super::` repeated past the file's own module path reaches the crate root.
    if depth > 0 {
        let climb = "super::".repeat(depth);
        let mut rest = line;
        while let Some(at) = rest.find(&climb) {
            let after = &rest[at + climb.len()..];
            let name = ident(after);
            if !name.is_empty() && name != "super" {
                out.push(name);
            }
            rest = after;
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

/// Every import of `files` (path relative to `src/`, contents) that breaks the layering.
fn violations(files: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (rel, text) in files {
        if rel == Path::new("lib.rs") {
            continue; // the crate root declares the layers and re-exports from every one
        }
        let path = module_path(rel);
        let Some(own) = path.first() else { continue };
        if path.iter().any(|p| p == "tests") {
            continue;
        }
        let Some(own_layer) = layer_of(own) else {
            out.push(format!("{}: module `{own}` is in no layer (add it to LAYERS in tests/layers.rs)", rel.display()));
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("#[cfg(test)]") {
                break; // the file's unit tests
            }
            if code.starts_with("//") {
                continue;
            }
            // A trailing comment is not code either.
            let code = code.split(" //").next().unwrap_or(code);
            for target in named_modules(code, path.len()) {
                if &target == own {
                    continue;
                }
                let where_ = format!("{}:{}", rel.display(), n + 1);
                match layer_of(&target) {
                    None if target.starts_with(|c: char| c.is_uppercase()) => out.push(format!(
                        "{where_}: `crate::{target}` goes through the crate root's re-exports: import it from its module"
                    )),
                    None => out.push(format!("{where_}: `{target}` is in no layer")),
                    Some(l) if l > own_layer => out.push(format!("{where_}: `{own}` imports `{target}`, a layer above it")),
                    Some(l) if l == own_layer => {
                        out.push(format!("{where_}: `{own}` imports `{target}`, of its own layer (keep them independent)"))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    out
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            out.push((rel, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn no_import_runs_up_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    assert!(files.len() > 40, "read {} files of {}", files.len(), src.display());
    let found = violations(&files);
    assert!(found.is_empty(), "the engine's layering is broken:\n  {}", found.join("\n  "));
}

#[test]
fn every_module_of_the_crate_root_is_in_a_layer() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let mods: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().trim_start_matches("pub ").strip_prefix("mod "))
        .map(|m| m.trim_end_matches(';'))
        .collect();
    assert!(mods.len() >= 10, "{mods:?}");
    for m in mods {
        assert!(layer_of(m).is_some(), "module `{m}` of lib.rs is in no layer");
    }
}

/// The checker itself catches what it is for.
#[test]
fn the_check_finds_upward_sideways_and_unplaced_imports() {
    let file = |p: &str, s: &str| (PathBuf::from(p), s.to_owned());
    let ok = [
        file("collection/buffer.rs", "use crate::storage::wal::{Wal};\nuse crate::{error::Result, types::value::Value};"),
        file("db/mod.rs", "// see crate::state\nuse crate::collection::Collection; // crate::memory in a comment"),
        file("kernels/mod.rs", "fn f() {}\n#[cfg(test)]\nmod tests { use crate::db::Database; }"),
        file("memory/tests.rs", "use crate::open;"),
    ];
    assert_eq!(violations(&ok), Vec::<String>::new());
    let bad = [
        file("kernels/mod.rs", "use crate::db::Database;"),
        file("types/filter/sql.rs", "use crate::{error::Result, collection::Collection};"),
        file("memory/mod.rs", "let x = crate::rag::chunk::chunk_text(s);"),
        file("collection/buffer.rs", "use super::super::db::DbShared;"),
        file("index/hnsw.rs", "use crate::Database;"),
        file("newthing.rs", "fn f() {}"),
    ];
    let found = violations(&bad);
    assert_eq!(found.len(), bad.len(), "{found:#?}");
    assert!(found[0].contains("kernels/mod.rs:1") && found[0].contains("a layer above"), "{}", found[0]);
    assert!(found[1].contains("`collection`"), "{}", found[1]);
    assert!(found[2].contains("own layer"), "{}", found[2]);
    assert!(found[3].contains("`db`"), "{}", found[3]);
    assert!(found[4].contains("re-exports"), "{}", found[4]);
    assert!(found[5].contains("in no layer"), "{}", found[5]);
}
