//! Python objects ↔ engine values.
//!
//! * metadata and dict filters: `dict` / `list` / `str` / `int` / `float` / `bool` / `datetime`
//!   ↔ [`Value`] (a naive datetime is UTC; datetimes come back timezone-aware, in UTC);
//! * vectors: a float32 C-contiguous numpy array is borrowed as it is ([`Vectors::Flat`], no
//!   copy); other numeric arrays are converted to float32 once; a sequence of rows (lists, arrays)
//!   is read row by row ([`Vectors::Rows`]), so rows of different lengths reach the engine, which
//!   names the bad row.
//!
//! Errors raised here are the engine's kinds too (`InvalidArgumentError`, `InvalidVectorError`,
//! `InvalidMetadataError`, `InvalidFilterError`), so bad input is reported the same way whichever
//! layer notices it first.

use agentdb_engine::{ErrorKind, Filter, Metadata, Value, Vectors};
use numpy::prelude::*;
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArray};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyDate, PyDateAccess, PyDateTime, PyDelta, PyDeltaAccess, PyDict, PyFloat, PyInt, PyList, PyString,
    PyTimeAccess, PyTuple, PyTzInfo, PyType,
};

use crate::errors::new_err;

// ---------------------------------------------------------------------------------------------
// Values (metadata and dict filters)
// ---------------------------------------------------------------------------------------------

/// The name of an object's type, for messages.
fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

static NUMPY_BOOL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static NUMPY_INTEGER: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static NUMPY_FLOATING: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static EPOCH: PyOnceLock<Py<PyDateTime>> = PyOnceLock::new();

/// A `datetime` as microseconds since the Unix epoch, UTC. A naive datetime is taken as UTC.
pub fn datetime_to_micros(dt: &Bound<'_, PyDateTime>) -> PyResult<i64> {
    let days = agentdb_engine::days_from_civil(dt.get_year() as i64, dt.get_month() as i64, dt.get_day() as i64);
    let secs = days * 86_400 + dt.get_hour() as i64 * 3600 + dt.get_minute() as i64 * 60 + dt.get_second() as i64;
    let mut us = secs * 1_000_000 + dt.get_microsecond() as i64;
    let offset = dt.call_method0("utcoffset")?;
    if !offset.is_none() {
        let off = offset.cast::<PyDelta>()?;
        us -= (off.get_days() as i64 * 86_400 + off.get_seconds() as i64) * 1_000_000 + off.get_microseconds() as i64;
    }
    Ok(us)
}

/// Microseconds since the epoch → a timezone-aware `datetime` in UTC.
pub fn micros_to_datetime<'py>(py: Python<'py>, us: i64) -> PyResult<Bound<'py, PyAny>> {
    let epoch = EPOCH.get_or_try_init(py, || {
        let utc = PyTzInfo::utc(py)?;
        PyDateTime::new(py, 1970, 1, 1, 0, 0, 0, 0, Some(&utc.to_owned())).map(Bound::unbind)
    })?;
    const DAY: i64 = 86_400 * 1_000_000;
    let days = i32::try_from(us.div_euclid(DAY))
        .map_err(|_| new_err(ErrorKind::InvalidArgument, format!("datetime {us} µs is out of range")))?;
    let rem = us.rem_euclid(DAY);
    let delta = PyDelta::new(py, days, (rem / 1_000_000) as i32, (rem % 1_000_000) as i32, true)?;
    epoch.bind(py).add(delta)
}

fn is_instance_of_numpy(obj: &Bound<'_, PyAny>, cell: &'static PyOnceLock<Py<PyType>>, name: &str) -> bool {
    match cell.import(obj.py(), "numpy", name) {
        Ok(t) => obj.is_instance(t.as_any()).unwrap_or(false),
        Err(_) => false,
    }
}

/// Why a Python object is not a [`Value`]: a message, and whether the object broke the depth
/// limit (or holds itself), which is an `InvalidArgumentError` wherever it is found, rather than
/// being a value of an unsupported kind (whose error kind depends on where it was given).
#[derive(Debug)]
pub struct NotAValue {
    pub why: String,
    pub too_deep: bool,
}

impl NotAValue {
    fn bad(why: impl Into<String>) -> Self {
        NotAValue { why: why.into(), too_deep: false }
    }

    /// Adds the key it was found under (not for the depth limit: a hundred keys say nothing).
    fn within(self, context: impl std::fmt::Display) -> Self {
        if self.too_deep {
            return self;
        }
        NotAValue { why: format!("{context}: {}", self.why), ..self }
    }

    /// The exception: of `kind` (e.g. `InvalidMetadata`), or `InvalidArgument` for the depth
    /// limit; the message is `context: why`.
    pub fn into_err(self, kind: ErrorKind, context: &str) -> PyErr {
        let kind = if self.too_deep { ErrorKind::InvalidArgument } else { kind };
        new_err(kind, format!("{context}: {}", self.why))
    }
}

impl std::fmt::Display for NotAValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.why)
    }
}

/// A Python object as a [`Value`], or why it cannot be one (the caller adds context and kind).
/// Nesting is limited to [`agentdb_engine::MAX_VALUE_DEPTH`] levels (each list, tuple, dict or
/// array one level), and a container that holds itself is rejected: both are checked before
/// descending, so no input can exhaust the stack.
pub fn to_value(obj: &Bound<'_, PyAny>) -> Result<Value, NotAValue> {
    to_value_at(obj, &mut Vec::new())
}

/// Enters a container: `open` holds the containers around it (outermost first), so its length is
/// the depth, and finding `obj` among them means it holds itself.
fn enter(obj: &Bound<'_, PyAny>, open: &mut Vec<usize>) -> Result<(), NotAValue> {
    let id = obj.as_ptr() as usize;
    if open.contains(&id) {
        return Err(NotAValue { why: format!("a {} that contains itself", type_name(obj)), too_deep: true });
    }
    if open.len() >= agentdb_engine::MAX_VALUE_DEPTH {
        return Err(NotAValue {
            why: format!(
                "nested more than {} levels deep (the limit for metadata, filters and state values)",
                agentdb_engine::MAX_VALUE_DEPTH
            ),
            too_deep: true,
        });
    }
    open.push(id);
    Ok(())
}

fn to_value_at(obj: &Bound<'_, PyAny>, open: &mut Vec<usize>) -> Result<Value, NotAValue> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj
            .extract::<i64>()
            .map(Value::Int)
            .map_err(|_| NotAValue::bad(format!("the integer {obj} does not fit in 64 bits")));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if obj.is_instance_of::<PyString>() {
        return obj.extract::<String>().map(Value::Str).map_err(|e| NotAValue::bad(e.to_string()));
    }
    if let Ok(dt) = obj.cast::<PyDateTime>() {
        return datetime_to_micros(dt).map(Value::Datetime).map_err(|e| NotAValue::bad(e.to_string()));
    }
    if obj.is_instance_of::<PyDate>() {
        return Err(NotAValue::bad("a date is not supported, use a datetime (e.g. datetime(y, m, d))"));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        enter(obj, open)?;
        let mut items = Vec::with_capacity(capacity_hint(obj));
        for item in obj.try_iter().map_err(|e| NotAValue::bad(e.to_string()))? {
            items.push(to_value_at(&item.map_err(|e| NotAValue::bad(e.to_string()))?, open)?);
        }
        open.pop();
        return Ok(Value::List(items));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        enter(obj, open)?;
        let mut map = std::collections::BTreeMap::new();
        for (k, v) in d.iter() {
            let key = k
                .extract::<String>()
                .map_err(|_| NotAValue::bad(format!("dict keys must be str, got {}", type_name(&k))))?;
            let value = to_value_at(&v, open).map_err(|e| e.within(format_args!("{key:?}")))?;
            map.insert(key, value);
        }
        open.pop();
        return Ok(Value::Map(map));
    }
    // numpy scalars (np.int64, np.bool_, np.float32 …), read directly: `item()` can return a
    // numpy scalar again (np.longdouble does).
    if is_instance_of_numpy(obj, &NUMPY_BOOL, "bool_") {
        return obj.is_truthy().map(Value::Bool).map_err(|e| NotAValue::bad(e.to_string()));
    }
    if is_instance_of_numpy(obj, &NUMPY_INTEGER, "integer") {
        return obj
            .extract::<i64>()
            .map(Value::Int)
            .map_err(|_| NotAValue::bad(format!("the integer {obj} does not fit in 64 bits")));
    }
    if is_instance_of_numpy(obj, &NUMPY_FLOATING, "floating") {
        return obj.extract::<f64>().map(Value::Float).map_err(|e| NotAValue::bad(e.to_string()));
    }
    // numpy arrays (lists of strings): one level, as their `tolist()`, which for an object array
    // can hold the array itself.
    if obj.is_instance_of::<PyUntypedArray>() {
        enter(obj, open)?;
        let plain = obj.call_method0("tolist").map_err(|e| NotAValue::bad(e.to_string()))?;
        // The list `tolist()` made is this same level (its own sublists are the next ones).
        let v = if plain.is_instance_of::<PyList>() {
            let mut items = Vec::with_capacity(capacity_hint(&plain));
            for item in plain.try_iter().map_err(|e| NotAValue::bad(e.to_string()))? {
                items.push(to_value_at(&item.map_err(|e| NotAValue::bad(e.to_string()))?, open)?);
            }
            Value::List(items)
        } else {
            to_value_at(&plain, open)?
        };
        open.pop();
        return Ok(v);
    }
    Err(NotAValue::bad(format!(
        "values of type {} are not supported (str, int, float, bool, datetime, list of str)",
        type_name(obj)
    )))
}

/// A [`Value`] as a Python object.
pub fn from_value<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => (*i).into_pyobject(py)?.into_any(),
        Value::Float(f) => PyFloat::new(py, *f).into_any(),
        Value::Str(s) => PyString::new(py, s).into_any(),
        Value::Datetime(us) => micros_to_datetime(py, *us)?,
        Value::List(items) => {
            PyList::new(py, items.iter().map(|v| from_value(py, v)).collect::<PyResult<Vec<_>>>()?)?.into_any()
        }
        Value::Map(map) => {
            let d = PyDict::new(py);
            for (k, v) in map {
                d.set_item(k, from_value(py, v)?)?;
            }
            d.into_any()
        }
    })
}

/// One record's metadata as a dict.
pub fn metadata_to_dict<'py>(py: Python<'py>, m: &Metadata) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in m {
        d.set_item(k, from_value(py, v)?)?;
    }
    Ok(d)
}

/// Many records' metadata as a list of dicts.
pub fn metadata_to_list<'py>(py: Python<'py>, rows: &[Metadata]) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, rows.iter().map(|m| metadata_to_dict(py, m)).collect::<PyResult<Vec<_>>>()?)
}

/// A capacity to reserve for the items of `obj`: its `len()`, but at most 65,536, so an object
/// whose `__len__` claims more items than it yields cannot make us allocate for them (the vector
/// grows with what actually comes).
pub fn capacity_hint(obj: &Bound<'_, PyAny>) -> usize {
    obj.len().unwrap_or(0).min(1 << 16)
}

// ---------------------------------------------------------------------------------------------
// Record fields
// ---------------------------------------------------------------------------------------------

fn invalid_argument(message: String) -> PyErr {
    new_err(ErrorKind::InvalidArgument, message)
}

/// `ids`: a sequence of str.
pub fn extract_ids(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if obj.is_instance_of::<PyString>() {
        return Err(invalid_argument("ids must be a sequence of str, not a single str".into()));
    }
    let iter = obj
        .try_iter()
        .map_err(|_| invalid_argument(format!("ids must be a sequence of str, got {}", type_name(obj))))?;
    let mut ids = Vec::with_capacity(capacity_hint(obj));
    for (row, item) in iter.enumerate() {
        let item = item?;
        if !item.is_instance_of::<PyString>() {
            return Err(invalid_argument(format!("row {row}: an id must be a str, got {}", type_name(&item))));
        }
        ids.push(item.extract::<String>()?);
    }
    Ok(ids)
}

/// `documents`: a sequence of str or None.
pub fn extract_documents(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Option<String>>> {
    if obj.is_instance_of::<PyString>() {
        return Err(invalid_argument("documents must be a sequence of str, not a single str".into()));
    }
    let iter = obj
        .try_iter()
        .map_err(|_| invalid_argument(format!("documents must be a sequence of str, got {}", type_name(obj))))?;
    let mut docs = Vec::with_capacity(capacity_hint(obj));
    for (row, item) in iter.enumerate() {
        let item = item?;
        if item.is_none() {
            docs.push(None);
        } else if item.is_instance_of::<PyString>() {
            docs.push(Some(item.extract::<String>()?));
        } else {
            return Err(invalid_argument(format!(
                "row {row}: a document must be a str or None, got {}",
                type_name(&item)
            )));
        }
    }
    Ok(docs)
}

/// `metadata`: a sequence of dicts (or None for no metadata). `ids` name the rows in errors.
pub fn extract_metadata(obj: &Bound<'_, PyAny>, ids: &[String]) -> PyResult<Vec<Metadata>> {
    let bad = |msg: String| new_err(ErrorKind::InvalidMetadata, msg);
    if obj.is_instance_of::<PyDict>() {
        return Err(bad("metadata must be a sequence of dicts (one per id), not a single dict".into()));
    }
    let iter = obj
        .try_iter()
        .map_err(|_| bad(format!("metadata must be a sequence of dicts, got {}", type_name(obj))))?;
    let mut out = Vec::with_capacity(capacity_hint(obj));
    for (row, item) in iter.enumerate() {
        let item = item?;
        let at = match ids.get(row) {
            Some(id) => format!("row {row} (id {id:?})"),
            None => format!("row {row}"),
        };
        if item.is_none() {
            out.push(Metadata::new());
            continue;
        }
        let Ok(d) = item.cast::<PyDict>() else {
            return Err(bad(format!("{at}: metadata must be a dict or None, got {}", type_name(&item))));
        };
        let mut m = Metadata::new();
        // The record's dict is the first level of nesting (and may not hold itself).
        let mut open = vec![d.as_ptr() as usize];
        for (k, v) in d.iter() {
            let Ok(key) = k.extract::<String>() else {
                return Err(bad(format!("{at}: metadata keys must be str, got {}", type_name(&k))));
            };
            let value = to_value_at(&v, &mut open)
                .map_err(|e| e.into_err(ErrorKind::InvalidMetadata, &format!("{at}: key {key:?}")))?;
            m.insert(key, value);
        }
        out.push(m);
    }
    Ok(out)
}

/// `where`: None, a SQL string, or a dict filter.
pub fn extract_filter(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Filter>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(None) };
    let bad = |msg: String| new_err(ErrorKind::InvalidFilter, msg);
    if obj.is_instance_of::<PyString>() {
        return Ok(Some(Filter::Sql(obj.extract::<String>()?)));
    }
    if obj.is_instance_of::<PyDict>() {
        return Ok(Some(Filter::Where(to_value(obj).map_err(|e| e.into_err(ErrorKind::InvalidFilter, "invalid filter"))?)));
    }
    Err(bad(format!("a filter must be a str (SQL) or a dict, got {}", type_name(obj))))
}

// ---------------------------------------------------------------------------------------------
// Vectors
// ---------------------------------------------------------------------------------------------

/// Vectors taken from Python: a borrowed (or once-converted) float32 array, or rows.
pub enum VectorsArg<'py> {
    /// A C-contiguous `(n, dim)` float32 array, read in place.
    Array(PyReadonlyArray2<'py, f32>),
    /// One vector per row, of any lengths (the engine checks them).
    Rows(Vec<Vec<f32>>),
}

impl VectorsArg<'_> {
    /// The engine's view of these vectors (no copy).
    pub fn as_vectors(&self) -> PyResult<Vectors<'_>> {
        Ok(match self {
            VectorsArg::Array(a) => Vectors::Flat { data: a.as_slice()?, dim: a.shape()[1] },
            VectorsArg::Rows(rows) => Vectors::Rows(rows),
        })
    }
}

/// One query vector taken from Python.
pub enum QueryArg<'py> {
    Array(PyReadonlyArray1<'py, f32>),
    Owned(Vec<f32>),
}

impl QueryArg<'_> {
    pub fn as_slice(&self) -> PyResult<&[f32]> {
        Ok(match self {
            QueryArg::Array(a) => a.as_slice()?,
            QueryArg::Owned(v) => v,
        })
    }
}

/// Whether a numpy dtype kind is a real number type that converts to float32 without surprises
/// (not strings, which numpy would parse, nor objects, nor booleans).
fn numeric_kind(kind: u8) -> bool {
    matches!(kind, b'f' | b'i' | b'u')
}

/// A fresh C-contiguous float32 copy of a numeric array (`numpy.array(obj, dtype=float32)`).
fn to_float32<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let np = numpy::get_array_module(obj.py())?;
    let kwargs = PyDict::new(obj.py());
    kwargs.set_item("dtype", "float32")?;
    kwargs.set_item("order", "C")?;
    np.getattr("array")?.call((obj,), Some(&kwargs))
}

/// A float32 C-contiguous array borrowed without a copy, if `obj` is one. (`as_slice` alone
/// also accepts Fortran-ordered arrays, whose memory is column-major: those are converted.)
fn borrow_f32<'py, D: numpy::ndarray::Dimension>(
    obj: &Bound<'py, PyAny>,
) -> Option<numpy::PyReadonlyArray<'py, f32, D>> {
    let arr = obj.cast::<numpy::PyArray<f32, D>>().ok()?;
    if !arr.is_c_contiguous() {
        return None;
    }
    let ro = arr.try_readonly().ok()?;
    ro.as_slice().is_ok().then_some(ro)
}

/// One row of a sequence of vectors as numbers.
fn extract_row(row: &Bound<'_, PyAny>) -> Option<Vec<f32>> {
    if let Some(a) = borrow_f32::<numpy::Ix1>(row) {
        return a.as_slice().ok().map(<[f32]>::to_vec);
    }
    if let Ok(a) = row.cast::<PyUntypedArray>() {
        if a.ndim() != 1 || !numeric_kind(a.dtype().kind()) {
            return None;
        }
        let converted = to_float32(row).ok()?;
        let arr = converted.cast::<PyArray1<f32>>().ok()?;
        return arr.try_readonly().ok()?.as_slice().ok().map(<[f32]>::to_vec);
    }
    if row.is_instance_of::<PyString>() {
        return None;
    }
    if row.is_instance_of::<PyList>() || row.is_instance_of::<PyTuple>() {
        return row.extract::<Vec<f32>>().ok();
    }
    // Other sequences are iterated: their `__len__` is not trusted for an allocation.
    if row.cast::<pyo3::types::PySequence>().is_err() {
        return None;
    }
    let mut out = Vec::with_capacity(capacity_hint(row));
    for x in row.try_iter().ok()? {
        let x = x.ok()?;
        if x.is_instance_of::<PyString>() {
            return None;
        }
        out.push(x.extract::<f32>().ok()?);
    }
    Some(out)
}

/// Vectors for `add`/`upsert` (`what` = "vectors") or a batch of queries (`what` = "queries"):
/// a 2-D array or a sequence of 1-D vectors.
pub fn extract_vectors<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<VectorsArg<'py>> {
    if let Some(a) = borrow_f32::<numpy::Ix2>(obj) {
        return Ok(VectorsArg::Array(a));
    }
    if let Ok(arr) = obj.cast::<PyUntypedArray>() {
        let kind = arr.dtype().kind();
        match arr.ndim() {
            2 if numeric_kind(kind) => {
                let converted = to_float32(obj)?;
                let a = converted.cast_into::<PyArray2<f32>>()?;
                return Ok(VectorsArg::Array(a.try_readonly()?));
            }
            // Object arrays (ragged rows) and other kinds are read row by row below.
            1 | 2 if !numeric_kind(kind) => {}
            n => {
                return Err(invalid_argument(format!(
                    "{what} must be a 2-D array (one row per vector), got an array of {n} dimension(s) with shape {:?}",
                    arr.shape()
                )))
            }
        }
    }
    if obj.is_instance_of::<PyString>() {
        return Err(invalid_argument(format!("{what} must be a 2-D array or a sequence of vectors, got a str")));
    }
    let iter = obj.try_iter().map_err(|_| {
        invalid_argument(format!("{what} must be a 2-D array or a sequence of vectors, got {}", type_name(obj)))
    })?;
    let mut rows = Vec::with_capacity(capacity_hint(obj));
    let unit = if what == "queries" { "query" } else { "row" };
    for (i, row) in iter.enumerate() {
        let row = row?;
        let v = extract_row(&row).ok_or_else(|| {
            new_err(
                ErrorKind::InvalidVector,
                format!("{unit} {i}: a vector must be a sequence of numbers, got {}", type_name(&row)),
            )
        })?;
        rows.push(v);
    }
    Ok(VectorsArg::Rows(rows))
}

/// One query vector: a 1-D array or a sequence of numbers.
pub fn extract_query<'py>(obj: &Bound<'py, PyAny>) -> PyResult<QueryArg<'py>> {
    if let Some(a) = borrow_f32::<numpy::Ix1>(obj) {
        return Ok(QueryArg::Array(a));
    }
    if let Ok(arr) = obj.cast::<PyUntypedArray>() {
        if arr.ndim() != 1 {
            return Err(invalid_argument(format!(
                "a query must be one vector (1-D), got an array of shape {:?}",
                arr.shape()
            )));
        }
        if numeric_kind(arr.dtype().kind()) {
            let converted = to_float32(obj)?;
            return Ok(QueryArg::Array(converted.cast_into::<PyArray1<f32>>()?.try_readonly()?));
        }
    }
    extract_row(obj)
        .map(QueryArg::Owned)
        .ok_or_else(|| new_err(ErrorKind::InvalidVector, format!("a query must be a sequence of numbers, got {}", type_name(obj))))
}

/// An optional non-negative integer argument (`limit`, `offset`, `k`, `dim`).
pub fn non_negative(name: &str, v: i64) -> PyResult<usize> {
    usize::try_from(v).map_err(|_| invalid_argument(format!("{name} must be >= 0, got {v}")))
}
