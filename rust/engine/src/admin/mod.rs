//! Running a database in production: online backup and restore, and verification (with repair).
//! Built on the database (the layer above `db`): it reads Lance's versions and the engine's own
//! files, and writes only through the database's ordinary paths (flushes, index saves, Lance tags)
//! or into directories of its own (a backup, a restored database).
//!
//! Lance is used where it meets the guarantees: its versions are the consistent snapshots, its
//! tags pin them against cleanup while a backup copies them, its immutable data files make
//! incremental backups a matter of file names. Checksums are AgentDB's own (SHA-256 per file in a
//! backup point), since Lance keeps none for its data files.

mod backup;
mod verify;

pub use backup::{list_backups, prune_backups, restore, verify_backup, BackupFile, BackupPoint, PruneReport, BACKUP_TAG_PREFIX};
pub use verify::{Problem, ProblemKind, VerifyReport};

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;

use crate::error::Result;

/// Copy buffer: large enough that a copy runs at disk speed, small enough to stay in cache.
const CHUNK: usize = 1 << 20;

/// SHA-256 of a file's bytes, hex, and its size.
pub(crate) fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex(&h.finalize())))
}

/// Copies `from` to `to` (through a temporary file renamed into place, synced), returning the
/// size and SHA-256 of what was copied: one read of the source serves both.
pub(crate) fn copy_hashed(from: &Path, to: &Path) -> Result<(u64, String)> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = to.with_extension("part");
    let mut src = std::fs::File::open(from)?;
    let mut dst = std::fs::File::create(&tmp)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        dst.write_all(&buf[..n])?;
        size += n as u64;
    }
    dst.sync_all()?;
    drop(dst);
    std::fs::rename(&tmp, to)?;
    Ok((size, hex(&h.finalize())))
}

/// SHA-256 of bytes in memory, hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
