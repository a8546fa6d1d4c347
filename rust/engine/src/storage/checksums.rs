//! Checksums of a Lance table's data files, taken once they are committed, so that `verify` can
//! tell a file whose bytes changed on disk since (a flipped bit, a bad sector, a stray write).
//!
//! Lance keeps no checksum of its data files: a flipped byte inside a value reads back as
//! another value, and Lance's own validation only checks the manifest's structure. Its data and
//! deletion files are immutable once a version names them (new data goes to new files; compaction
//! writes new files too), so a checksum taken after the commit holds for the file's whole life.
//!
//! The ledger is one small JSON file in the table's directory (`_agentdb_checksums.json`, which
//! Lance neither reads nor removes), rewritten whole (temporary file, sync, rename) when it
//! changes. It is brought up to date by the table upkeep in [`super::lance::maintain_table`] —
//! the background flusher's after each round that committed, and each table's at close — with
//! the table's writers kept out, so every file it sums is complete. A file written after the last
//! upkeep has no checksum yet, and `verify` checks only its size; entries of files Lance removed
//! are dropped at the next rewrite.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::util::checksum::crc32c_append;

/// The ledger's file name, in the table's directory.
pub(crate) const LEDGER_FILE: &str = "_agentdb_checksums.json";
const FORMAT: &str = "agentdb-checksums";

/// A file's size and CRC-32C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileSum {
    pub size: u64,
    pub crc32c: u32,
}

/// Sums the file at `path`, a megabyte at a time.
pub(crate) fn sum_file(path: &Path) -> std::io::Result<FileSum> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut size, mut crc) = (0u64, 0u32);
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(FileSum { size, crc32c: crc });
        }
        size += n as u64;
        crc = crc32c_append(crc, &buf[..n]);
    }
}

/// The ledger of the table in `table_dir`: file path (relative to the table) → its sum. A
/// missing ledger is an empty one; one that does not parse is an error (verify reports it).
pub(crate) fn read_ledger(table_dir: &Path) -> Result<BTreeMap<String, FileSum>> {
    let path = table_dir.join(LEDGER_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(Error::storage(format!("{}: {e}", path.display()))),
    };
    let bad = |why: &str| Error::storage(format!("{}: {why}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(&format!("not JSON ({e})")))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(bad("not a checksum ledger"));
    }
    let files = v.get("files").and_then(|f| f.as_object()).ok_or_else(|| bad("no \"files\""))?;
    files
        .iter()
        .map(|(name, sum)| {
            let pair = sum.as_array().filter(|a| a.len() == 2);
            let size = pair.and_then(|a| a[0].as_u64());
            let crc = pair.and_then(|a| a[1].as_u64()).and_then(|c| u32::try_from(c).ok());
            match (size, crc) {
                (Some(size), Some(crc32c)) => Ok((name.clone(), FileSum { size, crc32c })),
                _ => Err(bad(&format!("the entry of {name} is not [size, crc32c]"))),
            }
        })
        .collect()
}

fn write_ledger(table_dir: &Path, files: &BTreeMap<String, FileSum>) -> Result<()> {
    let path = table_dir.join(LEDGER_FILE);
    let tmp = table_dir.join(format!("{LEDGER_FILE}.part"));
    let entries: serde_json::Map<String, serde_json::Value> =
        files.iter().map(|(k, s)| (k.clone(), serde_json::json!([s.size, s.crc32c]))).collect();
    let text = serde_json::json!({ "format": FORMAT, "files": entries }).to_string();
    let io = |e: std::io::Error| Error::storage(format!("{}: {e}", tmp.display()));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::storage(format!("{}: {e}", path.display())))
}

/// The data and deletion files of `ds`'s version, relative to its directory.
pub(crate) fn committed_files(ds: &lance::Dataset) -> Vec<String> {
    let mut out = Vec::new();
    for f in ds.manifest().fragments.iter() {
        out.extend(f.files.iter().filter(|d| d.base_id.is_none()).map(|d| format!("data/{}", d.path)));
        if let Some(d) = &f.deletion_file {
            // Lance's `relative_deletion_file_path` (lance-table, not re-exported by lance).
            out.push(format!("_deletions/{}-{}-{}.{}", f.id, d.read_version, d.id, d.file_type.suffix()));
        }
    }
    out
}

/// Brings the ledger of `ds`'s table up to date with its current version: sums the files it
/// names that have no entry, drops the entries of files no longer on disk. The caller keeps the
/// table's writers out. Returns how many files it summed.
pub(crate) fn seal(ds: &lance::Dataset) -> Result<usize> {
    // On an object store the files are not on this machine: no ledger (verify is local-only).
    if ds.uri().split_once("://").is_some_and(|(scheme, _)| scheme != "file") {
        return Ok(0);
    }
    let dir = Path::new(ds.uri().strip_prefix("file://").unwrap_or(ds.uri())).to_path_buf();
    // A damaged ledger is rebuilt from the files as they are now (verify, which reads it first,
    // has said so if it ran): refusing to maintain the table would help no one.
    let mut ledger = read_ledger(&dir).unwrap_or_default();
    let before = ledger.len();
    let mut summed = 0;
    for rel in committed_files(ds) {
        if ledger.contains_key(&rel) {
            continue;
        }
        match sum_file(&dir.join(&rel)) {
            Ok(sum) => {
                ledger.insert(rel, sum);
                summed += 1;
            }
            // Verify reports a missing or unreadable file; the ledger just has no entry for it.
            Err(_) => continue,
        }
    }
    ledger.retain(|rel, _| dir.join(rel).exists());
    if summed > 0 || ledger.len() != before {
        write_ledger(&dir, &ledger)?;
    }
    Ok(summed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_sums_the_same_in_pieces_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(dir.path().join("f"), &data).unwrap();
        let s = sum_file(&dir.path().join("f")).unwrap();
        assert_eq!(s, FileSum { size: data.len() as u64, crc32c: crate::util::checksum::crc32c(&data) });
    }

    #[test]
    fn the_ledger_round_trips_and_a_bad_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_ledger(dir.path()).unwrap().is_empty());
        let mut files = BTreeMap::new();
        files.insert("data/a.lance".to_owned(), FileSum { size: 10, crc32c: u32::MAX });
        write_ledger(dir.path(), &files).unwrap();
        assert_eq!(read_ledger(dir.path()).unwrap(), files);
        std::fs::write(dir.path().join(LEDGER_FILE), "{\"format\": \"agentdb-checksums\", \"files\": {\"x\": [1]}}").unwrap();
        assert!(read_ledger(dir.path()).unwrap_err().message().contains("not [size, crc32c]"));
    }
}
