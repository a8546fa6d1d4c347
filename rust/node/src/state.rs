//! `State`: the binding of [`agentdb_engine::State`]: versioned key/values per (agent, session)
//! and LangGraph-style checkpoints with their pending writes. Values are any JSON-shaped JS
//! value; checkpoints and pending writes are bytes (`Uint8Array`/`Buffer`).

use std::collections::HashMap;
use std::time::Duration;

use agentdb_engine::serde_json::{Map, Value as J};
use agentdb_engine::{
    Checkpoint as EngineCheckpoint, CheckpointFilter, Error, ErrorKind, PendingWrite as EngineWrite, Result,
    State as EngineState, StateAt, StateVersion as EngineVersion, WriteInput,
};
use napi::bindgen_prelude::{Buffer, Uint8Array, Unknown};
use napi_derive::napi;

use crate::conversion::{micros_to_ms, ms_to_micros, opt_usize, stored_json, to_json};
use crate::task::{self, Promise};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

/// A TTL in seconds; left out: none.
fn ttl_arg(ttl: Option<f64>) -> Result<Option<Duration>> {
    let Some(secs) = ttl else { return Ok(None) };
    if !secs.is_finite() || secs <= 0.0 {
        return Err(invalid(format!("ttl must be a positive number of seconds, got {secs}")));
    }
    Duration::try_from_secs_f64(secs).map(Some).map_err(|_| invalid(format!("ttl {secs} s is out of range")))
}

fn at_arg(at: Option<f64>) -> Result<Option<i64>> {
    at.map(|ms| ms_to_micros(ms, "at")).transpose()
}

/// One version of a key.
#[napi(object, object_from_js = false)]
pub struct StateVersion {
    pub version: f64,
    /// The value; null for a deletion.
    #[napi(ts_type = "unknown")]
    pub value: J,
    /// Milliseconds since the epoch.
    pub written_at: f64,
    pub deleted: bool,
    pub expires_at: Option<f64>,
}

fn version_out(v: &EngineVersion) -> Result<StateVersion> {
    Ok(StateVersion {
        version: v.version as f64,
        value: v.value.as_deref().map(stored_json).transpose()?.unwrap_or(J::Null),
        written_at: micros_to_ms(v.written_at),
        deleted: v.deleted(),
        expires_at: v.expires_at.map(micros_to_ms),
    })
}

/// Which version `get` reads: the latest, a version number, or the one current at a time.
#[napi(object)]
pub struct GetStateOptions {
    pub version: Option<f64>,
    /// Milliseconds since the epoch.
    pub at: Option<f64>,
}

#[napi(object)]
pub struct HistoryOptions {
    pub limit: Option<f64>,
    pub offset: Option<f64>,
}

#[napi(object, object_from_js = false)]
pub struct Checkpoint {
    pub thread_id: String,
    pub namespace: String,
    pub checkpoint_id: String,
    pub parent_id: Option<String>,
    #[napi(js_name = "type")]
    pub type_: String,
    pub checkpoint: Buffer,
    #[napi(ts_type = "Record<string, unknown>")]
    pub metadata: J,
    /// Milliseconds since the epoch.
    pub created_at: f64,
}

fn checkpoint_out(c: &EngineCheckpoint) -> Result<Checkpoint> {
    Ok(Checkpoint {
        thread_id: c.thread_id.clone(),
        namespace: c.namespace.clone(),
        checkpoint_id: c.checkpoint_id.clone(),
        parent_id: c.parent_id.clone(),
        type_: c.type_.clone(),
        checkpoint: Buffer::from(c.checkpoint.to_vec()),
        metadata: stored_json(&c.metadata)?,
        created_at: micros_to_ms(c.created_at),
    })
}

#[napi(object)]
pub struct PutCheckpointOptions<'a> {
    pub parent_id: Option<String>,
    #[napi(ts_type = "Record<string, unknown> | null")]
    pub metadata: Option<Unknown<'a>>,
    #[napi(js_name = "type")]
    pub type_: Option<String>,
}

#[napi(object)]
pub struct ListCheckpointsOptions<'a> {
    pub thread_id: Option<String>,
    pub namespace: Option<String>,
    /// Only checkpoints before this id.
    pub before: Option<String>,
    pub limit: Option<f64>,
    /// Only checkpoints whose metadata holds these key/values.
    #[napi(ts_type = "Record<string, unknown> | null")]
    pub metadata: Option<Unknown<'a>>,
}

/// A pending write to store.
#[napi(object)]
pub struct WriteArg {
    pub idx: i64,
    pub channel: String,
    #[napi(js_name = "type")]
    pub type_: String,
    pub value: Uint8Array,
}

#[napi(object, object_from_js = false)]
pub struct PendingWrite {
    pub task_id: String,
    pub idx: i64,
    pub channel: String,
    #[napi(js_name = "type")]
    pub type_: String,
    pub value: Buffer,
    pub task_path: String,
}

fn write_out(w: &EngineWrite) -> PendingWrite {
    PendingWrite {
        task_id: w.task_id.clone(),
        idx: w.idx,
        channel: w.channel.clone(),
        type_: w.type_.clone(),
        value: Buffer::from(w.value.to_vec()),
        task_path: w.task_path.clone(),
    }
}

fn object_arg(v: Option<Unknown<'_>>, what: &str) -> Result<Option<Map<String, J>>> {
    match v.map(|v| to_json(v, what)).transpose()? {
        None | Some(J::Null) => Ok(None),
        Some(J::Object(m)) => Ok(Some(m)),
        Some(_) => Err(invalid(format!("{what} must be an object"))),
    }
}

/// The agent state of a database (`db.state()`).
#[napi]
pub struct State {
    inner: EngineState,
    /// The database the state belongs to (its stats are the database's state tables).
    pub(crate) db: agentdb_engine::Database,
}

impl State {
    pub fn new(inner: EngineState, db: agentdb_engine::Database) -> Self {
        State { inner, db }
    }
}

#[napi]
impl State {
    /// Writes `value` (any JSON-shaped value) under `key`; resolves to the new version number.
    #[napi(strict, ts_return_type = "Promise<number>")]
    pub fn put(
        &self,
        agent_id: String,
        session_id: String,
        key: String,
        #[napi(ts_arg_type = "unknown")] value: Unknown<'_>,
        ttl_seconds: Option<f64>,
    ) -> Promise<f64> {
        let s = self.inner.clone();
        let args = (|| Ok((to_json(value, "value")?, ttl_arg(ttl_seconds)?)))();
        task::with(args, move |(value, ttl)| Ok(s.put(&agent_id, &session_id, &key, &value, ttl)? as f64))
    }

    /// Writes every key of `values` in one commit; resolves to their versions.
    #[napi(strict, ts_return_type = "Promise<number[]>")]
    pub fn put_many(
        &self,
        agent_id: String,
        session_id: String,
        #[napi(ts_arg_type = "Record<string, unknown>")] values: Unknown<'_>,
        ttl_seconds: Option<f64>,
    ) -> Promise<Vec<f64>> {
        let s = self.inner.clone();
        let args = (|| {
            let items: Vec<(String, J)> = match to_json(values, "values")? {
                J::Object(m) => m.into_iter().collect(),
                _ => return Err(invalid("values must be an object of key -> value")),
            };
            Ok((items, ttl_arg(ttl_seconds)?))
        })();
        task::with(args, move |(items, ttl)| {
            Ok(s.put_many(&agent_id, &session_id, &items, ttl)?.into_iter().map(|v| v as f64).collect())
        })
    }

    /// The latest version of `key`, or the one given by `version` or current `at` a time; null
    /// when there is none.
    #[napi(strict, ts_return_type = "Promise<StateVersion | null>")]
    pub fn get(
        &self,
        agent_id: String,
        session_id: String,
        key: String,
        opts: Option<GetStateOptions>,
    ) -> Promise<Option<StateVersion>> {
        let s = self.inner.clone();
        let args = (|| {
            let (version, at) = opts.map_or((None, None), |o| (o.version, o.at));
            Ok(match (version, at_arg(at)?) {
                (Some(_), Some(_)) => return Err(invalid("give version or at, not both")),
                (Some(v), None) if !(v >= 1.0) || v.fract() != 0.0 => {
                    return Err(invalid(format!("version must be an integer of at least 1, got {v}")))
                }
                (Some(v), None) => StateAt::Version(v as u64),
                (None, Some(t)) => StateAt::Time(t),
                (None, None) => StateAt::Latest,
            })
        })();
        task::with(args, move |at| s.get(&agent_id, &session_id, &key, at)?.as_ref().map(version_out).transpose())
    }

    /// Versions of `key`, newest first.
    #[napi(strict, ts_return_type = "Promise<StateVersion[]>")]
    pub fn history(
        &self,
        agent_id: String,
        session_id: String,
        key: String,
        opts: Option<HistoryOptions>,
    ) -> Promise<Vec<StateVersion>> {
        let s = self.inner.clone();
        let args = (|| {
            let (limit, offset) = opts.map_or((None, None), |o| (o.limit, o.offset));
            Ok((
                opt_usize("limit", limit)?.unwrap_or(agentdb_engine::DEFAULT_HISTORY_LIMIT),
                opt_usize("offset", offset)?.unwrap_or(0),
            ))
        })();
        task::with(args, move |(limit, offset)| {
            s.history(&agent_id, &session_id, &key, limit, offset)?.iter().map(version_out).collect()
        })
    }

    /// Deletes `key` (a new, deleted version); resolves to that version.
    #[napi(strict, ts_return_type = "Promise<number>")]
    pub fn delete(&self, agent_id: String, session_id: String, key: String) -> Promise<f64> {
        let s = self.inner.clone();
        task::run(move || Ok(s.delete(&agent_id, &session_id, &key)? as f64))
    }

    /// Every live key of the session and its value, now or `at` a time (ms since the epoch).
    #[napi(strict, ts_return_type = "Promise<Record<string, unknown>>")]
    pub fn snapshot(&self, agent_id: String, session_id: String, at: Option<f64>) -> Promise<HashMap<String, J>> {
        let s = self.inner.clone();
        task::with(at_arg(at), move |at| {
            let snap = s.snapshot(&agent_id, &session_id, at)?;
            snap.into_iter().map(|(k, text)| Ok((k, stored_json(&text)?))).collect()
        })
    }

    #[napi(strict, ts_return_type = "Promise<string[]>")]
    pub fn keys(&self, agent_id: String, session_id: String, at: Option<f64>) -> Promise<Vec<String>> {
        let s = self.inner.clone();
        task::with(at_arg(at), move |at| s.keys(&agent_id, &session_id, at))
    }

    #[napi(strict, ts_return_type = "Promise<string[]>")]
    pub fn sessions(&self, agent_id: String) -> Promise<Vec<String>> {
        let s = self.inner.clone();
        task::run(move || s.sessions(&agent_id))
    }

    /// Removes an agent's state (one session, or all); resolves to the rows removed.
    #[napi(strict, ts_return_type = "Promise<number>")]
    pub fn purge(&self, agent_id: String, session_id: Option<String>) -> Promise<f64> {
        let s = self.inner.clone();
        task::run(move || Ok(s.purge(&agent_id, session_id.as_deref())? as f64))
    }

    /// Removes expired keys now; resolves to how many.
    #[napi(strict, ts_return_type = "Promise<number>")]
    pub fn sweep(&self) -> Promise<f64> {
        let s = self.inner.clone();
        task::run(move || Ok(s.sweep()? as f64))
    }

    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn flush(&self) -> Promise<()> {
        let s = self.inner.clone();
        task::run(move || s.flush())
    }

    /// Stores a checkpoint (its bytes as given).
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn put_checkpoint(
        &self,
        thread_id: String,
        namespace: String,
        checkpoint_id: String,
        checkpoint: Uint8Array,
        opts: Option<PutCheckpointOptions<'_>>,
    ) -> Promise<()> {
        let s = self.inner.clone();
        let args = (|| {
            let Some(o) = opts else { return Ok((None, None, String::new())) };
            Ok((o.parent_id, object_arg(o.metadata, "metadata")?.map(J::Object), o.type_.unwrap_or_default()))
        })();
        task::with(args, move |(parent, metadata, type_)| {
            s.put_checkpoint(&thread_id, &namespace, &checkpoint_id, &checkpoint, parent.as_deref(), metadata.as_ref(), &type_)
        })
    }

    /// Checkpoint `checkpointId` of the thread and namespace, or its latest; null when none.
    #[napi(strict, ts_return_type = "Promise<Checkpoint | null>")]
    pub fn get_checkpoint(
        &self,
        thread_id: String,
        namespace: String,
        checkpoint_id: Option<String>,
    ) -> Promise<Option<Checkpoint>> {
        let s = self.inner.clone();
        task::run(move || {
            s.get_checkpoint(&thread_id, &namespace, checkpoint_id.as_deref())?.as_ref().map(checkpoint_out).transpose()
        })
    }

    /// Checkpoints, newest first.
    #[napi(strict, ts_return_type = "Promise<Checkpoint[]>")]
    pub fn list_checkpoints(&self, opts: Option<ListCheckpointsOptions<'_>>) -> Promise<Vec<Checkpoint>> {
        let s = self.inner.clone();
        let args = (|| {
            let Some(o) = opts else { return Ok(CheckpointFilter::default()) };
            Ok(CheckpointFilter {
                thread_id: o.thread_id,
                namespace: o.namespace,
                before: o.before,
                limit: opt_usize("limit", o.limit)?,
                metadata: object_arg(o.metadata, "metadata")?,
            })
        })();
        task::with(args, move |filter| s.list_checkpoints(&filter)?.iter().map(checkpoint_out).collect())
    }

    /// Stores a task's pending writes for a checkpoint.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn put_writes(
        &self,
        thread_id: String,
        namespace: String,
        checkpoint_id: String,
        task_id: String,
        writes: Vec<WriteArg>,
        task_path: Option<String>,
    ) -> Promise<()> {
        let s = self.inner.clone();
        let items: Vec<WriteInput> = writes
            .into_iter()
            .map(|w| WriteInput { idx: w.idx, channel: w.channel, type_: w.type_, value: w.value.to_vec() })
            .collect();
        let task_path = task_path.unwrap_or_default();
        task::run(move || s.put_writes(&thread_id, &namespace, &checkpoint_id, &task_id, &items, &task_path))
    }

    #[napi(strict, ts_return_type = "Promise<PendingWrite[]>")]
    pub fn get_writes(&self, thread_id: String, namespace: String, checkpoint_id: String) -> Promise<Vec<PendingWrite>> {
        let s = self.inner.clone();
        task::run(move || Ok(s.get_writes(&thread_id, &namespace, &checkpoint_id)?.iter().map(write_out).collect()))
    }

    /// Deletes a thread's checkpoints and writes.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn delete_thread(&self, thread_id: String) -> Promise<()> {
        let s = self.inner.clone();
        task::run(move || s.delete_thread(&thread_id))
    }
}
