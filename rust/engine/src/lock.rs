//! One writer process per database: an exclusive advisory lock on `<db>/_agentdb/LOCK`, held for
//! as long as the writable database is open.
//!
//! It is `flock`-style (std's `File::try_lock`): the OS drops it when the process exits, however it
//! exits, so a crashed writer never leaves the database locked. It is tied to the open file, so a
//! second writable open of the same directory in the same process is refused too (open it once and
//! share the handle). Read-only opens take no lock.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// Held while the database is open for writing; dropping it releases the lock.
pub(crate) struct DbLock {
    _file: File,
}

impl DbLock {
    /// Takes the lock of the database whose internal directory is `dir`, or fails at once with
    /// [`ErrorKind::DatabaseLocked`] when another writer holds it.
    pub fn acquire(dir: &Path, db: &Path) -> Result<DbLock> {
        let path = dir.join("LOCK");
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(DbLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::new(
                ErrorKind::DatabaseLocked,
                format!(
                    "the database {} is open for writing elsewhere (another process, or another open \
                     handle in this one); open it read-only, or close the other writer first",
                    db.display()
                ),
            )),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(Error::storage(format!("cannot lock {}: {e}", path.display())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = DbLock::acquire(dir.path(), dir.path()).unwrap();
        let err = DbLock::acquire(dir.path(), dir.path()).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::DatabaseLocked);
        drop(first);
        DbLock::acquire(dir.path(), dir.path()).unwrap();
    }
}
