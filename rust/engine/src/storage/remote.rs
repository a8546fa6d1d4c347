//! A database on an object store (`s3://bucket/prefix`): where its parts live, and the small
//! objects the engine keeps there itself.
//!
//! Lance reads and writes the tables through its own object store client (built from the same
//! storage options). The engine keeps beside them, under `<uri>/_agentdb/`, only what must be
//! shared by every machine that opens the database: the writer's lease (`lease.rs`) and each
//! collection's index parameters. Everything else the engine writes goes to a local directory
//! (the `wal_dir`, by default derived from the URI under the cache root): the write-ahead log and
//! the writer's local lock (small writes are acknowledged once in the local log, then flushed to
//! the store as Lance commits), and the saved HNSW graphs and vector files, which are caches of
//! what the tables hold and are rebuilt from them when missing.
//!
//! Only `s3://` is built in (LanceDB's `aws` feature, which also serves S3-compatible servers
//! such as MinIO or moto through `endpoint` and `allow_http`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};

use crate::error::{Error, ErrorKind, Result};
use crate::storage::runtime::block_on_anywhere;

/// The URI schemes this build opens on an object store.
pub(crate) const SCHEMES: &[&str] = &["s3"];

/// What a URI names: a local directory (a plain path or `file://`) or an object-store location.
pub(crate) fn is_object_store_uri(uri: &str) -> Result<bool> {
    match uri.split_once("://") {
        None => Ok(false),
        Some(("file", _)) => Ok(false),
        Some((scheme, _)) if SCHEMES.contains(&scheme) => Ok(true),
        Some((scheme, _)) if matches!(scheme, "gs" | "az" | "abfss" | "s3+ddb") => Err(Error::invalid_argument(format!(
            "{scheme}:// is not built into this AgentDB (only s3:// and S3-compatible stores are)"
        ))),
        Some((scheme, _)) => Err(Error::invalid_argument(format!("unknown URI scheme '{scheme}://' (expected a path or s3://bucket/prefix)"))),
    }
}

/// The local directory of a database at `uri` when no `wal_dir` is given: `<cache root>/<scheme>/
/// <bucket>/<prefix>`, the cache root being `$AGENTDB_CACHE_DIR`, else `$XDG_CACHE_HOME/agentdb`,
/// else `~/.cache/agentdb`. Two processes on one machine opening one URI so share their log and
/// the writer's local lock, which keeps a second local writer out at once.
pub(crate) fn default_local_dir(uri: &str) -> Result<PathBuf> {
    let root = match std::env::var_os("AGENTDB_CACHE_DIR").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            Some(d) => PathBuf::from(d).join("agentdb"),
            None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
                Some(h) => PathBuf::from(h).join(".cache").join("agentdb"),
                None => {
                    return Err(Error::invalid_argument(
                        "no local directory for the database's log: pass wal_dir (neither AGENTDB_CACHE_DIR, XDG_CACHE_HOME nor HOME is set)",
                    ))
                }
            },
        },
    };
    let (scheme, rest) = uri.split_once("://").ok_or_else(|| Error::invalid_argument(format!("{uri} is not a URI")))?;
    let mut dir = root.join(scheme);
    for part in rest.split('/').filter(|p| !p.is_empty()) {
        if part == "." || part == ".." {
            return Err(Error::invalid_argument(format!("the URI {uri} has a '{part}' component")));
        }
        dir.push(part);
    }
    Ok(dir)
}

/// The object store under a database's URI, for the engine's own objects (see the module comment).
pub(crate) struct Remote {
    uri: String,
    store: Arc<dyn ObjectStore>,
    /// The database's root inside the bucket.
    prefix: ObjectPath,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the options: they hold credentials.
        f.debug_struct("Remote").field("uri", &self.uri).finish()
    }
}

/// A small object read back with the version a conditional write must match.
pub(crate) struct Fetched {
    pub bytes: Vec<u8>,
    pub version: UpdateVersion,
}

/// How a conditional write ended.
pub(crate) enum Put {
    Done(UpdateVersion),
    /// `Create`: the object exists; `Update`: it changed since it was read.
    Conflict,
}

impl Remote {
    /// Parses `uri` (`s3://bucket[/prefix]`) and builds a client from `options` (the keys Lance and
    /// `object_store` take: `endpoint`/`aws_endpoint`, `region`, `access_key_id`,
    /// `secret_access_key`, `session_token`, `allow_http`, `timeout`, ...; the `AWS_*` environment
    /// fills what they do not say). Keys only Lance knows (`client_max_retries`, ...) are left to it.
    pub(crate) fn open(uri: &str, options: &HashMap<String, String>) -> Result<Remote> {
        let uri = uri.trim_end_matches('/').to_owned();
        let rest = uri.strip_prefix("s3://").ok_or_else(|| Error::invalid_argument(format!("{uri} is not an s3:// URI")))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::invalid_argument(format!("the URI {uri} names no bucket")));
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let mut client = object_store::ClientOptions::new();
        for (key, value) in options {
            let k = key.to_ascii_lowercase();
            if let Ok(config) = k.parse::<AmazonS3ConfigKey>() {
                builder = match config {
                    AmazonS3ConfigKey::Client(c) => {
                        client = client.with_config(c, value);
                        builder
                    }
                    other => builder.with_config(other, value),
                };
            } else if let Ok(c) = k.parse::<object_store::ClientConfigKey>() {
                client = client.with_config(c, value);
            }
        }
        // Few retries: the lease's renewal has its own schedule, and an open against a store that
        // does not answer should say so within seconds, not after object_store's three minutes.
        let retry = object_store::RetryConfig { max_retries: 2, retry_timeout: Duration::from_secs(10), ..Default::default() };
        let store = builder
            .with_client_options(client)
            .with_retry(retry)
            .build()
            .map_err(|e| Error::invalid_argument(format!("cannot reach {uri}: {e}")))?;
        let prefix = ObjectPath::parse(prefix).map_err(|e| Error::invalid_argument(format!("the URI {uri}: {e}")))?;
        Ok(Remote { uri, store: Arc::new(store), prefix })
    }

    /// A remote over any store (tests: `object_store`'s in-memory one, which honours
    /// conditional puts like S3).
    #[cfg(test)]
    pub(crate) fn over(uri: &str, store: Arc<dyn ObjectStore>) -> Remote {
        Remote { uri: uri.to_owned(), store, prefix: ObjectPath::from("db") }
    }

    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }

    /// `<prefix>/_agentdb/<name>`.
    fn internal(&self, name: &str) -> ObjectPath {
        let mut p = self.prefix.clone();
        for part in [crate::storage::context::INTERNAL_DIR, name] {
            p = p.join(part);
        }
        p
    }

    /// The engine's object `name`, `None` when there is none.
    pub(crate) fn get(&self, name: &str) -> Result<Option<Fetched>> {
        let path = self.internal(name);
        block_on_anywhere(async {
            match self.store.get(&path).await {
                Ok(got) => {
                    let version = UpdateVersion { e_tag: got.meta.e_tag.clone(), version: got.meta.version.clone() };
                    let bytes = got.bytes().await.map_err(|e| self.error("read", name, e))?;
                    Ok(Some(Fetched { bytes: bytes.to_vec(), version }))
                }
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(self.error("read", name, e)),
            }
        })
    }

    /// Writes the engine's object `name`: `Overwrite`, `Create` (only if absent) or `Update`
    /// (only if unchanged since read).
    pub(crate) fn put(&self, name: &str, bytes: Vec<u8>, mode: PutMode) -> Result<Put> {
        let path = self.internal(name);
        let opts = PutOptions { mode, ..Default::default() };
        block_on_anywhere(async {
            match self.store.put_opts(&path, PutPayload::from(bytes), opts).await {
                Ok(r) => Ok(Put::Done(UpdateVersion { e_tag: r.e_tag, version: r.version })),
                Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => Ok(Put::Conflict),
                Err(e) => Err(self.error("write", name, e)),
            }
        })
    }

    /// Removes the engine's object `name`; none is not an error.
    pub(crate) fn delete(&self, name: &str) -> Result<()> {
        let path = self.internal(name);
        block_on_anywhere(async {
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(self.error("remove", name, e)),
            }
        })
    }

    fn error(&self, what: &str, name: &str, e: object_store::Error) -> Error {
        Error::new(ErrorKind::Storage, format!("cannot {what} {}/{}/{name}: {e}", self.uri, crate::storage::context::INTERNAL_DIR))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_kinds() {
        assert!(!is_object_store_uri("/tmp/x").unwrap());
        assert!(!is_object_store_uri("file:///tmp/x").unwrap());
        assert!(is_object_store_uri("s3://b/p").unwrap());
        assert_eq!(is_object_store_uri("gs://b/p").unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(is_object_store_uri("ftp://b/p").unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn local_dir_follows_the_uri_and_refuses_dot_dot() {
        let d = default_local_dir("s3://bucket/a/b/").unwrap();
        assert!(d.ends_with("s3/bucket/a/b"), "{}", d.display());
        assert!(default_local_dir("s3://bucket/../etc").is_err());
    }

    #[test]
    fn open_refuses_a_uri_without_bucket() {
        assert_eq!(Remote::open("s3://", &HashMap::new()).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
}
