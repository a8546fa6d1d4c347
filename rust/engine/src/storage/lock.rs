//! One writer process per database: exclusive advisory locks, held for as long as the writable
//! database is open, on the database's internal directory `<db>/_agentdb` itself and on the
//! file `<db>/_agentdb/LOCK`.
//!
//! They are `flock`-style (std's `File::try_lock`): the OS drops them when the process exits,
//! however it exits, so a crashed writer never leaves the database locked. They are tied to the
//! open file, so a second writable open of the same directory in the same process is refused
//! too (open it once and share the handle). Read-only opens take no lock.
//!
//! The lock that counts is the directory's: a file can be deleted under its holder (a cleanup
//! script, a user removing a stale-looking `LOCK`), and the next writer would then create a new
//! file and lock that, with two writers on one log and one table. The directory cannot be
//! replaced while it holds the log and the index files, so every writer locks the same inode.
//! `LOCK` is still taken (second), for writers of earlier versions, which lock only it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// Held while the database is open for writing; dropping it releases the locks.
pub(crate) struct DbLock {
    _dir: File,
    _file: File,
}

impl DbLock {
    /// Takes the locks of the database whose internal directory is `dir`, or fails at once with
    /// [`ErrorKind::DatabaseLocked`] when another writer holds either.
    pub fn acquire(dir: &Path, db: &Path) -> Result<DbLock> {
        // A directory opens read-only (O_RDONLY | O_DIRECTORY); flock works on it like on a file.
        let dir_file = File::open(dir).map_err(|e| Error::storage(format!("cannot open {} to lock it: {e}", dir.display())))?;
        if !dir_file.metadata()?.is_dir() {
            return Err(Error::storage(format!("{} is not a directory", dir.display())));
        }
        lock(&dir_file, dir, db)?;
        let path = dir.join("LOCK");
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path)?;
        lock(&file, &path, db)?;
        Ok(DbLock { _dir: dir_file, _file: file })
    }
}

fn lock(file: &File, path: &Path, db: &Path) -> Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(Error::new(
            ErrorKind::DatabaseLocked,
            format!(
                "the database {} is open for writing elsewhere (another process, or another open \
                 handle in this one); open it read-only, or close the other writer first",
                db.display()
            ),
        )),
        Err(TryLockError::Error(e)) => Err(Error::storage(format!("cannot lock {}: {e}", path.display()))),
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

    #[test]
    fn deleting_the_lock_file_does_not_let_a_second_writer_in() {
        let dir = tempfile::tempdir().unwrap();
        let first = DbLock::acquire(dir.path(), dir.path()).unwrap();
        std::fs::remove_file(dir.path().join("LOCK")).unwrap();
        let err = DbLock::acquire(dir.path(), dir.path()).err().expect("a second writer got the lock");
        assert_eq!(err.kind(), ErrorKind::DatabaseLocked);
        drop(first);
        DbLock::acquire(dir.path(), dir.path()).unwrap();
    }

    #[test]
    fn a_writer_holding_only_the_lock_file_keeps_others_out() {
        // An earlier version's writer: it locks LOCK and not the directory.
        let dir = tempfile::tempdir().unwrap();
        let old = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(dir.path().join("LOCK")).unwrap();
        old.try_lock().unwrap();
        let err = DbLock::acquire(dir.path(), dir.path()).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::DatabaseLocked);
        drop(old);
        // The failed attempt released the directory lock it had taken.
        DbLock::acquire(dir.path(), dir.path()).unwrap();
    }
}

/// Read-only openers hold a shared `flock` on the database directory itself for as long as they
/// are open, taken before they read anything; a closing writer that can take it exclusively knows
/// that no reader in any process has the database open, and removes old versions without waiting
/// out [`VERSION_GRACE`] (see [`DbShared::prune_unread`]). The directory cannot be replaced while
/// it holds the data, so every process locks the same inode (a lock file could be deleted under
/// its holders). The writer's own locks are on `_agentdb/` (see `lock.rs`), not on this.
///
/// This takes the reader's lock, waiting while a closing writer holds it exclusively (for the
/// length of a cleanup). Where `flock` is not supported, the writer cannot take the lock either and
/// keeps the grace; a reader that cannot open the directory to lock it says so on stderr.
pub(crate) fn hold_reader_lock(root: &Path) -> Option<std::fs::File> {
    match std::fs::File::open(root).and_then(|dir| dir.lock_shared().map(|()| dir)) {
        Ok(dir) => Some(dir),
        Err(e) => {
            eprintln!(
                "agentdb: warning: cannot lock {} for reading ({e}): a writer's cleanup may remove a version while this reader reads it",
                root.display()
            );
            None
        }
    }
}

/// The exclusive lock of [`hold_reader_lock`], if no reader holds it now; readers opening meanwhile
/// wait until it is dropped.
pub(crate) fn lock_out_readers(root: &Path) -> Option<std::fs::File> {
    let dir = std::fs::File::open(root).ok()?;
    dir.try_lock().ok()?;
    Some(dir)
}
