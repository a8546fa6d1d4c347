//! `agentdb._native.State`: the binding of [`agentdb_engine::State`] that `agentdb/state.py`
//! wraps. Values cross as Python objects ↔ JSON (`serde_json::Value`, built here without a text
//! round trip); results come back as plain tuples that the Python layer turns into dataclasses.
//! Every engine call runs with the GIL released.

use std::time::Duration;

use agentdb_engine::serde_json::{Map, Number, Value as Json};
use agentdb_engine::{Checkpoint, CheckpointFilter, ErrorKind, PendingWrite, State, StateAt, StateVersion, WriteInput};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDateTime, PyDelta, PyDeltaAccess, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::args::{opt_i64, opt_string, Int, Text};
use crate::conversion::{datetime_to_micros, micros_to_datetime, non_negative};
use crate::database::PyDatabase;
use crate::errors::{new_err, OrRaise};

/// How deeply a value may nest: the engine's one limit for every value path (each list, tuple
/// or dict one level).
const MAX_DEPTH: usize = agentdb_engine::MAX_VALUE_DEPTH;

fn invalid(message: impl Into<String>) -> PyErr {
    new_err(ErrorKind::InvalidArgument, message)
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// A JSON-serialisable Python value (None, bool, int, float, str, list, tuple, dict with str
/// keys) as JSON; anything else is an `InvalidArgumentError` naming where it was found.
pub fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<Json> {
    to_json_in(obj, &mut String::from("value"))
}

/// [`to_json`] with `path` naming the value in messages.
fn to_json_in(obj: &Bound<'_, PyAny>, path: &mut String) -> PyResult<Json> {
    to_json_at(obj, &mut Vec::new(), path)
}

/// `open` holds the containers enclosing `obj` (outermost first): its length is the depth, and a
/// container that is among them holds itself. Both are checked before descending, so the
/// recursion is at most [`MAX_DEPTH`] deep.
fn to_json_at(obj: &Bound<'_, PyAny>, open: &mut Vec<usize>, path: &mut String) -> PyResult<Json> {
    if obj.is_none() {
        return Ok(Json::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Json::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Json::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Json::from(u));
        }
        return Err(invalid(format!(
            "{path}: the integer {obj} does not fit in 64 bits (state integers range from -2**63 to 2**64-1)"
        )));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        return Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| invalid(format!("{path}: {v} is not a JSON number (NaN and infinity are not allowed)")));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(Json::String(obj.extract::<String>()?));
    }
    let is_seq = obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>();
    let dict = obj.cast::<PyDict>().ok();
    if !is_seq && dict.is_none() {
        return Err(invalid(format!(
            "{path}: a {} is not JSON-serialisable (use None, bool, int, float, str, list, tuple or dict)",
            type_name(obj)
        )));
    }
    let id = obj.as_ptr() as usize;
    if open.contains(&id) {
        return Err(invalid(format!("{path}: the value contains itself")));
    }
    if open.len() >= MAX_DEPTH {
        return Err(invalid(format!(
            "{path}: nested more than {MAX_DEPTH} levels deep (the limit for metadata, filters and state values)"
        )));
    }
    open.push(id);
    let out = if let Some(d) = dict {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            let Ok(key) = k.extract::<String>() else {
                return Err(invalid(format!("{path}: dict keys must be str, got {}", type_name(&k))));
            };
            let len = path.len();
            path.push_str(&format!("[{key:?}]"));
            let value = to_json_at(&v, open, path)?;
            path.truncate(len);
            map.insert(key, value);
        }
        Json::Object(map)
    } else {
        let mut items = Vec::with_capacity(crate::conversion::capacity_hint(obj));
        for (i, item) in obj.try_iter()?.enumerate() {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            items.push(to_json_at(&item?, open, path)?);
            path.truncate(len);
        }
        Json::Array(items)
    };
    open.pop();
    Ok(out)
}

/// JSON as a Python object.
pub fn from_json<'py>(py: Python<'py>, v: &Json) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Json::Null => py.None().into_bound(py),
        Json::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Json::String(s) => PyString::new(py, s).into_any(),
        Json::Array(items) => PyList::new(py, items.iter().map(|v| from_json(py, v)).collect::<PyResult<Vec<_>>>()?)?.into_any(),
        Json::Object(map) => {
            let d = PyDict::new(py);
            for (k, v) in map {
                d.set_item(k, from_json(py, v)?)?;
            }
            d.into_any()
        }
    })
}

/// Stored JSON text as a Python object.
fn parse_stored<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    // Parsed exactly (serde_json's own float parsing can be 1 ULP off): a value reads back as
    // the very bits written.
    let v: Json = agentdb_engine::parse_json(text).map_err(|e| {
        new_err(ErrorKind::Internal, format!("a stored agent-state value is not valid JSON: {}", e.message()))
    })?;
    from_json(py, &v)
}

/// A TTL argument: seconds (int or float) or a `timedelta`; `None` is no TTL.
fn ttl_arg(ttl: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    let Some(ttl) = ttl.filter(|t| !t.is_none()) else { return Ok(None) };
    let secs = if let Ok(d) = ttl.cast::<PyDelta>() {
        d.get_days() as f64 * 86_400.0 + d.get_seconds() as f64 + d.get_microseconds() as f64 / 1e6
    } else if ttl.is_instance_of::<PyBool>() {
        return Err(invalid("ttl must be a number of seconds or a timedelta, not a bool"));
    } else if ttl.is_instance_of::<PyInt>() || ttl.is_instance_of::<PyFloat>() {
        ttl.extract::<f64>()?
    } else {
        return Err(invalid(format!("ttl must be a number of seconds or a timedelta, got {}", type_name(ttl))));
    };
    if !secs.is_finite() || secs <= 0.0 {
        return Err(invalid(format!("ttl must be positive, got {secs} seconds")));
    }
    Duration::try_from_secs_f64(secs).map(Some).map_err(|_| invalid(format!("ttl {secs} s is out of range")))
}

/// A point in time: a `datetime` (naive = UTC).
fn at_arg(at: Option<&Bound<'_, PyAny>>) -> PyResult<Option<i64>> {
    let Some(at) = at.filter(|a| !a.is_none()) else { return Ok(None) };
    let Ok(dt) = at.cast::<PyDateTime>() else {
        return Err(invalid(format!("at must be a datetime, got {}", type_name(at))));
    };
    datetime_to_micros(dt).map(Some)
}

/// Bytes from `bytes`, `bytearray` or `memoryview`.
fn bytes_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if obj.get_type().name().is_ok_and(|n| n == "memoryview") {
        return Ok(obj.call_method0("tobytes")?.cast::<PyBytes>()?.as_bytes().to_vec());
    }
    Err(invalid(format!("{what} must be bytes, got {}", type_name(obj))))
}

/// `(version, value, written_at, deleted, expires_at)`.
fn version_tuple<'py>(py: Python<'py>, v: &StateVersion) -> PyResult<Bound<'py, PyTuple>> {
    let value = match &v.value {
        Some(text) => parse_stored(py, text)?,
        None => py.None().into_bound(py),
    };
    let expires = v.expires_at.map(|e| micros_to_datetime(py, e)).transpose()?;
    (v.version, value, micros_to_datetime(py, v.written_at)?, v.deleted(), expires).into_pyobject(py)
}

/// `(thread_id, namespace, checkpoint_id, parent_id, type, checkpoint, metadata, created_at)`.
fn checkpoint_tuple<'py>(py: Python<'py>, c: &Checkpoint) -> PyResult<Bound<'py, PyTuple>> {
    (
        &c.thread_id,
        &c.namespace,
        &c.checkpoint_id,
        c.parent_id.as_deref(),
        &c.type_,
        PyBytes::new(py, &c.checkpoint),
        parse_stored(py, &c.metadata)?,
        micros_to_datetime(py, c.created_at)?,
    )
        .into_pyobject(py)
}

/// `(task_id, idx, channel, type, value, task_path)`.
fn write_tuple<'py>(py: Python<'py>, w: &PendingWrite) -> PyResult<Bound<'py, PyTuple>> {
    (&w.task_id, w.idx, &w.channel, &w.type_, PyBytes::new(py, &w.value), &w.task_path).into_pyobject(py)
}

/// The engine's state defaults, as attributes of `agentdb._native`.
pub fn add_defaults(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("DEFAULT_HISTORY_LIMIT", agentdb_engine::DEFAULT_HISTORY_LIMIT)?;
    Ok(())
}

/// The agent state of a database (see `agentdb.state.State`).
#[pyclass(frozen, name = "State", module = "agentdb._native")]
pub struct PyState {
    inner: State,
    /// The database the state belongs to (its stats are the database's state tables).
    db: agentdb_engine::Database,
}

impl PyState {
    pub(crate) fn database(&self) -> &agentdb_engine::Database {
        &self.db
    }
}

#[pymethods]
impl PyState {
    #[new]
    fn new(py: Python<'_>, db: PyRef<'_, PyDatabase>) -> PyResult<Self> {
        let db = db.engine().clone();
        let inner = py.detach(|| db.state()).or_raise()?;
        Ok(PyState { inner, db })
    }

    #[pyo3(signature = (agent_id, session_id, key, value, ttl=None))]
    fn put(
        &self,
        py: Python<'_>,
        agent_id: Text,
        session_id: Text,
        key: Text,
        value: &Bound<'_, PyAny>,
        ttl: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let (value, ttl) = (to_json(value)?, ttl_arg(ttl)?);
        py.detach(|| self.inner.put(&agent_id, &session_id, &key, &value, ttl)).or_raise()
    }

    #[pyo3(signature = (agent_id, session_id, values, ttl=None))]
    fn put_many(
        &self,
        py: Python<'_>,
        agent_id: Text,
        session_id: Text,
        values: &Bound<'_, PyAny>,
        ttl: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<u64>> {
        let Ok(d) = values.cast::<PyDict>() else {
            return Err(invalid(format!("values must be a dict of key -> value, got {}", type_name(values))));
        };
        let mut items = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            let Ok(key) = k.extract::<String>() else {
                return Err(invalid(format!("keys must be str, got {}", type_name(&k))));
            };
            let value = to_json_in(&v, &mut format!("values[{key:?}]"))?;
            items.push((key, value));
        }
        let ttl = ttl_arg(ttl)?;
        py.detach(|| self.inner.put_many(&agent_id, &session_id, &items, ttl)).or_raise()
    }

    #[pyo3(signature = (agent_id, session_id, key, version=None, at=None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        agent_id: Text,
        session_id: Text,
        key: Text,
        version: Option<Int>,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let at = at_arg(at)?;
        let which = match (opt_i64(version), at) {
            (Some(_), Some(_)) => return Err(invalid("give version or at, not both")),
            (Some(v), None) if v < 1 => return Err(invalid(format!("version must be at least 1, got {v}"))),
            (Some(v), None) => StateAt::Version(v as u64),
            (None, Some(t)) => StateAt::Time(t),
            (None, None) => StateAt::Latest,
        };
        let found = py.detach(|| self.inner.get(&agent_id, &session_id, &key, which)).or_raise()?;
        found.map(|v| version_tuple(py, &v)).transpose()
    }

    /// Versions newest first; `limit` `None`: the engine's `DEFAULT_HISTORY_LIMIT`.
    #[pyo3(signature = (agent_id, session_id, key, limit=None, offset=Int(0)))]
    fn history<'py>(
        &self,
        py: Python<'py>,
        agent_id: Text,
        session_id: Text,
        key: Text,
        limit: Option<Int>,
        offset: Int,
    ) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let limit = limit.map_or(Ok(agentdb_engine::DEFAULT_HISTORY_LIMIT), |l| non_negative("limit", *l))?;
        let offset = non_negative("offset", *offset)?;
        let rows = py.detach(|| self.inner.history(&agent_id, &session_id, &key, limit, offset)).or_raise()?;
        rows.iter().map(|v| version_tuple(py, v)).collect()
    }

    fn delete(&self, py: Python<'_>, agent_id: Text, session_id: Text, key: Text) -> PyResult<u64> {
        py.detach(|| self.inner.delete(&agent_id, &session_id, &key)).or_raise()
    }

    #[pyo3(signature = (agent_id, session_id, at=None))]
    fn snapshot<'py>(
        &self,
        py: Python<'py>,
        agent_id: Text,
        session_id: Text,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let at = at_arg(at)?;
        let snap = py.detach(|| self.inner.snapshot(&agent_id, &session_id, at)).or_raise()?;
        let d = PyDict::new(py);
        for (k, v) in &snap {
            d.set_item(k, parse_stored(py, v)?)?;
        }
        Ok(d)
    }

    #[pyo3(signature = (agent_id, session_id, at=None))]
    fn keys(&self, py: Python<'_>, agent_id: Text, session_id: Text, at: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
        let at = at_arg(at)?;
        py.detach(|| self.inner.keys(&agent_id, &session_id, at)).or_raise()
    }

    fn sessions(&self, py: Python<'_>, agent_id: Text) -> PyResult<Vec<String>> {
        py.detach(|| self.inner.sessions(&agent_id)).or_raise()
    }

    #[pyo3(signature = (agent_id, session_id=None))]
    fn purge(&self, py: Python<'_>, agent_id: Text, session_id: Option<Text>) -> PyResult<u64> {
        py.detach(|| self.inner.purge(&agent_id, session_id.as_deref())).or_raise()
    }

    #[pyo3(signature = (agent_id, session_id, ttl=None))]
    fn set_session_ttl(&self, py: Python<'_>, agent_id: Text, session_id: Text, ttl: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let ttl = ttl_arg(ttl)?;
        py.detach(|| self.inner.set_session_ttl(&agent_id, &session_id, ttl)).or_raise()
    }

    fn session_ttl(&self, py: Python<'_>, agent_id: Text, session_id: Text) -> PyResult<Option<f64>> {
        let ttl = py.detach(|| self.inner.session_ttl(&agent_id, &session_id)).or_raise()?;
        Ok(ttl.map(|d| d.as_secs_f64()))
    }

    fn sweep(&self, py: Python<'_>) -> PyResult<u64> {
        py.detach(|| self.inner.sweep()).or_raise()
    }

    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.flush()).or_raise()
    }

    #[pyo3(signature = (thread_id, namespace, checkpoint_id, checkpoint, parent_id=None, metadata=None, type_=Text::lit("")))]
    #[allow(clippy::too_many_arguments)]
    fn put_checkpoint(
        &self,
        py: Python<'_>,
        thread_id: Text,
        namespace: Text,
        checkpoint_id: Text,
        checkpoint: &Bound<'_, PyAny>,
        parent_id: Option<Text>,
        metadata: Option<&Bound<'_, PyAny>>,
        type_: Text,
    ) -> PyResult<()> {
        let payload = bytes_arg(checkpoint, "checkpoint")?;
        let metadata = match metadata.filter(|m| !m.is_none()) {
            None => None,
            Some(m) if m.is_instance_of::<PyDict>() => Some(to_json_in(m, &mut String::from("metadata"))?),
            Some(m) => return Err(invalid(format!("metadata must be a dict, got {}", type_name(m)))),
        };
        py.detach(|| {
            self.inner.put_checkpoint(&thread_id, &namespace, &checkpoint_id, &payload, parent_id.as_deref(), metadata.as_ref(), &type_)
        })
        .or_raise()
    }

    #[pyo3(signature = (thread_id, namespace, checkpoint_id=None))]
    fn get_checkpoint<'py>(
        &self,
        py: Python<'py>,
        thread_id: Text,
        namespace: Text,
        checkpoint_id: Option<Text>,
    ) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let found = py.detach(|| self.inner.get_checkpoint(&thread_id, &namespace, checkpoint_id.as_deref())).or_raise()?;
        found.map(|c| checkpoint_tuple(py, &c)).transpose()
    }

    #[pyo3(signature = (thread_id=None, namespace=None, before=None, limit=None, metadata=None))]
    fn list_checkpoints<'py>(
        &self,
        py: Python<'py>,
        thread_id: Option<Text>,
        namespace: Option<Text>,
        before: Option<Text>,
        limit: Option<Int>,
        metadata: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let metadata = match metadata.filter(|m| !m.is_none()) {
            None => None,
            Some(m) => match to_json_in(m, &mut String::from("metadata"))? {
                Json::Object(map) => Some(map),
                _ => return Err(invalid(format!("metadata must be a dict, got {}", type_name(m)))),
            },
        };
        let filter = CheckpointFilter {
            thread_id: opt_string(thread_id),
            namespace: opt_string(namespace),
            before: opt_string(before),
            limit: opt_i64(limit).map(|l| non_negative("limit", l)).transpose()?,
            metadata,
        };
        let found = py.detach(|| self.inner.list_checkpoints(&filter)).or_raise()?;
        found.iter().map(|c| checkpoint_tuple(py, c)).collect()
    }

    #[pyo3(signature = (thread_id, namespace, checkpoint_id, task_id, writes, task_path=Text::lit("")))]
    fn put_writes(
        &self,
        py: Python<'_>,
        thread_id: Text,
        namespace: Text,
        checkpoint_id: Text,
        task_id: Text,
        writes: &Bound<'_, PyAny>,
        task_path: Text,
    ) -> PyResult<()> {
        let mut items = Vec::new();
        for (i, w) in writes.try_iter().map_err(|_| invalid("writes must be a list of (idx, channel, type, value) tuples"))?.enumerate() {
            let w = w?;
            let bad = || invalid(format!("writes[{i}] must be an (idx: int, channel: str, type: str, value: bytes) tuple"));
            let t = w.cast::<PyTuple>().map_err(|_| bad())?;
            if t.len() != 4 {
                return Err(bad());
            }
            let idx = t.get_item(0)?.extract::<i64>().map_err(|_| bad())?;
            let channel = t.get_item(1)?.extract::<String>().map_err(|_| bad())?;
            let type_ = t.get_item(2)?.extract::<String>().map_err(|_| bad())?;
            let value = bytes_arg(&t.get_item(3)?, &format!("writes[{i}] value"))?;
            items.push(WriteInput { idx, channel, type_, value });
        }
        py.detach(|| self.inner.put_writes(&thread_id, &namespace, &checkpoint_id, &task_id, &items, &task_path)).or_raise()
    }

    fn get_writes<'py>(
        &self,
        py: Python<'py>,
        thread_id: Text,
        namespace: Text,
        checkpoint_id: Text,
    ) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let found = py.detach(|| self.inner.get_writes(&thread_id, &namespace, &checkpoint_id)).or_raise()?;
        found.iter().map(|w| write_tuple(py, w)).collect()
    }

    fn delete_thread(&self, py: Python<'_>, thread_id: Text) -> PyResult<()> {
        py.detach(|| self.inner.delete_thread(&thread_id)).or_raise()
    }
}
