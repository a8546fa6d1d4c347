//! Opening a database on an object store: its local directory, the writer's lease, and what a
//! read-only opener does differently (see `storage/remote.rs` for where each part lives).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::storage::lease::{Lease, DEFAULT_LEASE_TTL};
use crate::storage::remote::{default_local_dir, Remote};

/// How a read-only opener of a database on an object store looks for the writer's new commits
/// when nothing else says: at most once a second per table. Each look is a listing of the
/// table's versions on the store (a round trip), which at every read would cost more than the
/// read. So what a reader sees lags the writer's flushes by at most this (plus the writer's own
/// flush interval, about a second), unless it calls [`super::Database::refresh`].
pub const DEFAULT_READ_CONSISTENCY: Duration = Duration::from_secs(1);

/// Where and how to reach a database on an object store (see [`super::Database::open_uri`]).
/// Ignored for a local path.
#[derive(Clone, Default)]
pub struct ObjectStoreOptions {
    /// The store's client settings, as Lance and the `object_store` crate name them: `endpoint`
    /// (`aws_endpoint`), `region`, `access_key_id`, `secret_access_key`, `session_token`,
    /// `allow_http` ("true" for a plain-HTTP endpoint), `timeout`, `client_max_retries`,
    /// `client_retry_timeout`, ... What they leave out comes from the `AWS_*` environment.
    pub storage_options: HashMap<String, String>,
    /// The local directory of a writer's log (and of the index caches). Default: derived from the
    /// URI under the cache root (`$AGENTDB_CACHE_DIR`, else `$XDG_CACHE_HOME/agentdb`, else
    /// `~/.cache/agentdb`), `<root>/s3/<bucket>/<prefix>`. Writes are acknowledged once in this
    /// log and reach the store within about a second; a writer that crashes before is recovered
    /// by the next writable open of the same URI with the same directory.
    pub wal_dir: Option<PathBuf>,
    /// How long the writer's lease lasts unless renewed (default 30 s, at least 3 s): after a
    /// writer dies without closing, another machine can open the database for writing this long
    /// after its last renewal (on the same machine and directory, at once).
    pub lease_ttl: Option<Duration>,
    /// A read-only opener's staleness bound on the writer's commits (default
    /// [`DEFAULT_READ_CONSISTENCY`]); zero looks at every read.
    pub read_consistency_interval: Option<Duration>,
}

impl std::fmt::Debug for ObjectStoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The option names only: their values may be credentials.
        let mut keys: Vec<&String> = self.storage_options.keys().collect();
        keys.sort();
        f.debug_struct("ObjectStoreOptions")
            .field("storage_options", &keys)
            .field("wal_dir", &self.wal_dir)
            .field("lease_ttl", &self.lease_ttl)
            .field("read_consistency_interval", &self.read_consistency_interval)
            .finish()
    }
}

/// A note kept in the local directory naming the URI whose log it holds: one directory's log
/// replayed into another database would write that database's records into this one.
const URI_FILE: &str = "URI";

/// The local directory for the database at `uri`, created, and tied to that URI.
pub(crate) fn local_dir(uri: &str, store: &ObjectStoreOptions, read_only: bool) -> Result<PathBuf> {
    let dir = match &store.wal_dir {
        Some(d) if d.as_os_str().is_empty() => return Err(Error::invalid_argument("wal_dir is empty")),
        Some(d) => d.clone(),
        None => default_local_dir(uri)?,
    };
    if read_only {
        // A reader writes nothing; its directory need not exist.
        return Ok(dir);
    }
    let internal = dir.join(crate::storage::context::INTERNAL_DIR);
    std::fs::create_dir_all(&internal).map_err(|e| Error::storage(format!("cannot create the local directory {}: {e}", internal.display())))?;
    let dir = dir.canonicalize()?;
    check_uri_file(&dir.join(crate::storage::context::INTERNAL_DIR), uri)?;
    Ok(dir)
}

fn check_uri_file(internal: &Path, uri: &str) -> Result<()> {
    let path = internal.join(URI_FILE);
    let uri = uri.trim_end_matches('/');
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim() == uri => Ok(()),
        Ok(text) => Err(Error::invalid_argument(format!(
            "the local directory {} holds the log of {}, not of {uri}: give this database its own wal_dir",
            internal.parent().unwrap_or(internal).display(),
            text.trim()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => crate::util::fs::write_atomic(&path, uri.as_bytes()),
        Err(e) => Err(Error::storage(format!("{}: {e}", path.display()))),
    }
}

/// The object store and, for a writer, its lease, taken now. `local` is the local directory
/// (whose local lock the writer already holds).
pub(crate) fn connect(uri: &str, store: &ObjectStoreOptions, read_only: bool, local: &Path) -> Result<(Arc<Remote>, Option<Arc<Lease>>)> {
    let remote = Arc::new(Remote::open(uri, &store.storage_options)?);
    if read_only {
        return Ok((remote, None));
    }
    let ttl = store.lease_ttl.unwrap_or(DEFAULT_LEASE_TTL);
    let lease = Lease::acquire(remote.clone(), ttl, local).map_err(|e| match e.kind() {
        ErrorKind::DatabaseLocked | ErrorKind::InvalidArgument => e,
        _ => Error::storage(format!("cannot take the writer lease of {uri}: {}", e.message())),
    })?;
    Ok((remote, Some(Arc::new(lease))))
}
