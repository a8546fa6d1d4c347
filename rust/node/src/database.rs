//! `connect()` and `Database`: the binding of [`agentdb_engine::Database`] and of the parts it
//! opens (collections, memory stores, the agent state, RAG stores).

use agentdb_engine::{Database as EngineDb, Metric, ObjectStoreOptions, OpenOptions, Result, SyncMode};
use napi_derive::napi;

use crate::collection::Collection;
use crate::conversion::{non_negative, opt_usize};
use crate::memory::Memory;
use crate::rag::Rag;
use crate::state::State;
use crate::task::{self, Promise};

/// How to open a database; each option left out takes the engine's default.
#[napi(object)]
pub struct ConnectOptions {
    /// When a write is durable: "always", "batch" or "off".
    pub sync: Option<String>,
    /// Open without the writer lock; every write then fails with `ReadOnlyError`.
    pub read_only: Option<bool>,
    /// The most memory one collection's search payload cache may take, in bytes (0: off).
    pub payload_cache_bytes: Option<f64>,
    /// For an object-store URI (`s3://bucket/prefix`): the store's client settings
    /// (`endpoint`, `region`, `access_key_id`, `secret_access_key`, `allow_http`, ...).
    pub storage_options: Option<std::collections::HashMap<String, String>>,
    /// For a URI: the local directory of the writer's log (default: under the cache root).
    pub wal_dir: Option<String>,
    /// For a URI: seconds the writer's lease lasts without renewal (default 30, at least 3).
    pub lease_ttl: Option<f64>,
    /// For a URI opened read-only: the most seconds its reads lag the writer (default 1; 0: none).
    pub read_consistency_interval: Option<f64>,
}

/// Options of `Database.memory()`.
#[napi(object)]
pub struct MemoryOpenOptions {
    /// The vector dimension: required to create the store; must match an existing one.
    pub dim: Option<f64>,
    /// "cosine", "l2" or "dot" (engine default when left out).
    pub metric: Option<String>,
}

pub(crate) fn parse_metric(metric: Option<&str>) -> Result<Metric> {
    metric.map_or(Ok(Metric::default()), |m| m.parse::<Metric>())
}

fn open_options(opts: Option<ConnectOptions>) -> Result<(OpenOptions, ObjectStoreOptions)> {
    let d = OpenOptions::default();
    let Some(o) = opts else { return Ok((d, ObjectStoreOptions::default())) };
    let seconds = |name: &str, v: Option<f64>| {
        v.map(|v| {
            std::time::Duration::try_from_secs_f64(v).map_err(|_| {
                agentdb_engine::Error::new(agentdb_engine::ErrorKind::InvalidArgument, format!("{name} must be a finite number of seconds >= 0, got {v}"))
            })
        })
        .transpose()
    };
    let store = ObjectStoreOptions {
        storage_options: o.storage_options.unwrap_or_default(),
        wal_dir: o.wal_dir.map(std::path::PathBuf::from),
        lease_ttl: seconds("leaseTtl", o.lease_ttl)?,
        read_consistency_interval: seconds("readConsistencyInterval", o.read_consistency_interval)?,
    };
    Ok((
        OpenOptions {
            sync: o.sync.as_deref().map_or(Ok(d.sync), |s| s.parse::<SyncMode>())?,
            read_only: o.read_only.unwrap_or(d.read_only),
            payload_cache_bytes: opt_usize("payloadCacheBytes", o.payload_cache_bytes)?.or(d.payload_cache_bytes),
        },
        store,
    ))
}

/// Opens (creating if needed) the database in directory `path`, or on an object store at a URI
/// (`s3://bucket/prefix`, with `storageOptions`).
#[napi(strict, ts_return_type = "Promise<Database>")]
pub fn connect(path: String, opts: Option<ConnectOptions>) -> Promise<Database> {
    task::with(open_options(opts), move |(options, store)| Ok(Database { inner: EngineDb::open_uri(&path, options, &store)? }))
}

/// An open database directory. Close it with `close()` (or `await using`): that flushes
/// buffered writes and releases the writer lock. Handles from it stop working once it is closed.
#[napi]
pub struct Database {
    pub(crate) inner: EngineDb,
}

#[napi]
impl Database {
    /// The database directory, absolute.
    #[napi(getter)]
    pub fn path(&self) -> String {
        self.inner.path().display().to_string()
    }

    #[napi(getter)]
    pub fn read_only(&self) -> bool {
        self.inner.is_read_only()
    }

    /// The sync mode ("always", "batch", "off"); null when read-only.
    #[napi(getter)]
    pub fn sync(&self) -> Option<&'static str> {
        self.inner.sync_mode().map(SyncMode::as_str)
    }

    /// Whether `close()` was called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Flushes buffered writes and closes the database and every handle from it. Idempotent.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise<()> {
        let db = self.inner.clone();
        task::run(move || {
            db.close();
            Ok(())
        })
    }

    /// Where the tables are: the object-store URI, or the database directory.
    #[napi(getter)]
    pub fn uri(&self) -> String {
        self.inner.uri()
    }

    /// Brings a read-only database to the writer's latest commit now.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn refresh(&self) -> Promise<()> {
        let db = self.inner.clone();
        task::run(move || db.refresh())
    }

    /// Writes buffered writes to Lance and trims the log.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn flush(&self) -> Promise<()> {
        let db = self.inner.clone();
        task::run(move || db.flush())
    }

    /// Compacts the open collections and the engine's own tables now.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn optimize(&self) -> Promise<()> {
        let db = self.inner.clone();
        task::run(move || db.optimize())
    }

    /// Creates collection `name` of `dim`-dimensional vectors (`metric`: "cosine", "l2" or "dot").
    #[napi(strict, ts_return_type = "Promise<Collection>")]
    pub fn create_collection(&self, name: String, dim: f64, metric: Option<String>) -> Promise<Collection> {
        let db = self.inner.clone();
        let args = non_negative("dim", dim).and_then(|d| Ok((d, parse_metric(metric.as_deref())?)));
        task::with(args, move |(dim, metric)| Ok(Collection::new(db.create_collection(&name, dim, metric)?)))
    }

    /// Opens existing collection `name` (`CollectionNotFoundError` otherwise).
    #[napi(strict, ts_return_type = "Promise<Collection>")]
    pub fn get_collection(&self, name: String) -> Promise<Collection> {
        let db = self.inner.clone();
        task::run(move || Ok(Collection::new(db.get_collection(&name)?)))
    }

    /// Opens collection `name`, creating it when missing; an existing one must match `dim`.
    #[napi(strict, ts_return_type = "Promise<Collection>")]
    pub fn get_or_create_collection(&self, name: String, dim: f64, metric: Option<String>) -> Promise<Collection> {
        let db = self.inner.clone();
        let args = non_negative("dim", dim).and_then(|d| Ok((d, parse_metric(metric.as_deref())?)));
        task::with(args, move |(dim, metric)| Ok(Collection::new(db.get_or_create_collection(&name, dim, metric)?)))
    }

    #[napi(strict, ts_return_type = "Promise<string[]>")]
    pub fn list_collections(&self) -> Promise<Vec<String>> {
        let db = self.inner.clone();
        task::run(move || db.list_collections())
    }

    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn drop_collection(&self, name: String) -> Promise<()> {
        let db = self.inner.clone();
        task::run(move || db.drop_collection(&name))
    }

    /// Opens memory store `name`, creating it when it does not exist (then `dim` is required).
    #[napi(strict, ts_return_type = "Promise<Memory>")]
    pub fn memory(&self, name: String, opts: Option<MemoryOpenOptions>) -> Promise<Memory> {
        let db = self.inner.clone();
        let (dim, metric) = opts.map_or((None, None), |o| (o.dim, o.metric));
        let args = opt_usize("dim", dim)
            .and_then(|d| Ok((d, metric.as_deref().map(|m| m.parse::<Metric>()).transpose()?)));
        task::with(args, move |(dim, metric)| Ok(Memory::new(db.memory(&name, dim, metric)?)))
    }

    #[napi(strict, ts_return_type = "Promise<string[]>")]
    pub fn list_memories(&self) -> Promise<Vec<String>> {
        let db = self.inner.clone();
        task::run(move || db.list_memories())
    }

    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn drop_memory(&self, name: String) -> Promise<()> {
        let db = self.inner.clone();
        task::run(move || db.drop_memory(&name))
    }

    /// Opens knowledge graph `name`, creating it when it does not exist; `dim` fixes the
    /// dimension of its entities' embeddings when it is created (left out: no embeddings).
    #[napi(strict, ts_return_type = "Promise<Graph>")]
    pub fn graph(&self, name: String, dim: Option<f64>) -> Promise<crate::graph::Graph> {
        let db = self.inner.clone();
        task::with(opt_usize("dim", dim), move |dim| Ok(crate::graph::Graph::new(db.graph(&name, dim)?)))
    }

    #[napi(strict, ts_return_type = "Promise<string[]>")]
    pub fn list_graphs(&self) -> Promise<Vec<String>> {
        let db = self.inner.clone();
        task::run(move || db.list_graphs())
    }

    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn drop_graph(&self, name: String) -> Promise<()> {
        let db = self.inner.clone();
        task::run(move || db.drop_graph(&name))
    }

    /// The agent state of this database (versioned key/values, checkpoints).
    #[napi(strict, ts_return_type = "Promise<State>")]
    pub fn state(&self) -> Promise<State> {
        let db = self.inner.clone();
        task::run(move || Ok(State::new(db.state()?, db)))
    }

    /// Opens RAG store `name`, creating it (for `dim`-d embeddings) when it does not exist.
    #[napi(strict, ts_return_type = "Promise<Rag>")]
    pub fn rag(&self, name: String, dim: f64, metric: Option<String>) -> Promise<Rag> {
        let db = self.inner.clone();
        let args = non_negative("dim", dim).and_then(|d| Ok((d, parse_metric(metric.as_deref())?)));
        task::with(args, move |(dim, metric)| Ok(Rag::new(db.rag(&name, dim, metric)?)))
    }

    /// Opens existing RAG store `name`.
    #[napi(strict, ts_return_type = "Promise<Rag>")]
    pub fn open_rag(&self, name: String) -> Promise<Rag> {
        let db = self.inner.clone();
        task::run(move || Ok(Rag::new(db.open_rag(&name)?)))
    }

    #[napi(strict, ts_return_type = "Promise<string[]>")]
    pub fn list_rags(&self) -> Promise<Vec<String>> {
        let db = self.inner.clone();
        task::run(move || db.list_rags())
    }

    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn drop_rag(&self, name: String) -> Promise<()> {
        let db = self.inner.clone();
        task::run(move || db.drop_rag(&name))
    }
}
