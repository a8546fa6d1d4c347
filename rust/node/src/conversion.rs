//! JS values → engine values and back.
//!
//! Metadata, dict filters and agent-state values are dynamic. They are read here into the
//! engine's JSON form (the one C and Zig send as text) by a walk bounded to
//! [`MAX_VALUE_DEPTH`] levels, so a deep or self-referencing JS object is an error rather than a
//! stack overflow; a `Date` becomes `{"$datetime": "<RFC 3339>"}`, which the engine reads as a
//! datetime. Results go back as plain JSON values (a datetime as that same object). Times given
//! as plain numbers are milliseconds since the Unix epoch, as `Date.now()` returns.

use agentdb_engine::serde_json::{Map, Number, Value as J};
use agentdb_engine::{
    format_rfc3339_micros, Error, ErrorKind, Filter, Metadata, Result, Value, Vectors, MAX_VALUE_DEPTH,
};
use napi::bindgen_prelude::{Array, Either, Float32Array, FromNapiValue, JsObjectValue, JsValue, Object, Unknown};
use napi::{JsDate, ValueType};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

fn napi_err(what: &str, e: napi::Error) -> Error {
    invalid(format!("{what}: {}", e.reason))
}

/// A JS value as JSON, for the engine. `what` names it in errors.
pub fn to_json(v: Unknown<'_>, what: &str) -> Result<J> {
    to_json_at(v, what, 0)
}

fn to_json_at(v: Unknown<'_>, what: &str, depth: usize) -> Result<J> {
    let e = |err: napi::Error| napi_err(what, err);
    Ok(match v.get_type().map_err(e)? {
        ValueType::Null | ValueType::Undefined => J::Null,
        ValueType::Boolean => J::Bool(bool::from_unknown(v).map_err(e)?),
        ValueType::Number => number(f64::from_unknown(v).map_err(e)?, what)?,
        ValueType::String => J::String(String::from_unknown(v).map_err(e)?),
        ValueType::BigInt => return Err(invalid(format!("{what}: a BigInt is not a supported value (use a number)"))),
        ValueType::Object => {
            if v.is_date().map_err(e)? {
                let ms = JsDate::from_unknown(v).map_err(e)?.value_of().map_err(e)?;
                let mut m = Map::new();
                m.insert("$datetime".into(), J::String(format_rfc3339_micros(ms_to_micros(ms, what)?)));
                return Ok(J::Object(m));
            }
            if depth >= MAX_VALUE_DEPTH {
                return Err(agentdb_engine::Error::new(
                    ErrorKind::InvalidArgument,
                    format!("{what} is nested more than {MAX_VALUE_DEPTH} levels deep (or refers to itself)"),
                ));
            }
            if v.is_array().map_err(e)? {
                let a = Array::from_unknown(v).map_err(e)?;
                let mut items = Vec::with_capacity(a.len() as usize);
                for i in 0..a.len() {
                    let item: Unknown<'_> = a.get_element(i).map_err(e)?;
                    items.push(to_json_at(item, what, depth + 1)?);
                }
                J::Array(items)
            } else if v.is_typedarray().map_err(e)? || v.is_arraybuffer().map_err(e)? {
                return Err(invalid(format!("{what}: a typed array is not a supported value")));
            } else {
                let o = Object::from_unknown(v).map_err(e)?;
                let keys = o.get_property_names().map_err(e)?;
                let n = keys.get_array_length().map_err(e)?;
                let mut m = Map::new();
                for i in 0..n {
                    let key: String = keys.get_element(i).map_err(e)?;
                    let value: Unknown<'_> = o.get_named_property(&key).map_err(e)?;
                    // An undefined property is an absent one, as in JSON.stringify.
                    if value.get_type().map_err(e)? == ValueType::Undefined {
                        continue;
                    }
                    m.insert(key, to_json_at(value, what, depth + 1)?);
                }
                J::Object(m)
            }
        }
        other => return Err(invalid(format!("{what}: a {other:?} is not a supported value"))),
    })
}

/// A JS number as JSON: integral values that fit an i64 stay integers (the engine then stores
/// an int), the rest are floats; NaN and infinities are refused here as JSON cannot hold them.
fn number(f: f64, what: &str) -> Result<J> {
    if !f.is_finite() {
        return Err(invalid(format!("{what}: {f} is not a finite number")));
    }
    // 2^63: the first float past i64::MAX.
    if f.fract() == 0.0 && f.abs() < 9.223_372_036_854_775_808e18 {
        return Ok(J::from(f as i64));
    }
    Number::from_f64(f).map(J::Number).ok_or_else(|| invalid(format!("{what}: {f} is not a finite number")))
}

/// Milliseconds since the epoch (a JS time) → microseconds (the engine's).
pub fn ms_to_micros(ms: f64, what: &str) -> Result<i64> {
    let us = (ms * 1000.0).round();
    if !us.is_finite() || us.abs() >= 9.2e18 {
        return Err(invalid(format!("{what}: {ms} is not a valid time in milliseconds")));
    }
    Ok(us as i64)
}

/// Microseconds since the epoch → milliseconds (a JS time, `new Date(ms)`).
pub fn micros_to_ms(us: i64) -> f64 {
    us as f64 / 1000.0
}

/// A filter: a string is SQL, an object a dict filter; `null`/`undefined`: none.
pub fn filter_arg(v: Option<Unknown<'_>>) -> Result<Option<Filter>> {
    let Some(v) = v else { return Ok(None) };
    let bad = |e: Error| Error::new(ErrorKind::InvalidFilter, e.message().to_owned());
    match to_json(v, "filter").map_err(bad)? {
        J::Null => Ok(None),
        J::String(s) => Ok(Some(Filter::Sql(s))),
        obj @ J::Object(_) => Ok(Some(Filter::Where(Value::from_json_value(obj).map_err(bad)?))),
        other => Err(Error::new(
            ErrorKind::InvalidFilter,
            format!("a filter must be a string (SQL) or an object, got {}", json_type(&other)),
        )),
    }
}

fn json_type(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "boolean",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    }
}

/// One record's metadata: an object, or `null`/`undefined` for none.
pub fn one_metadata(v: Unknown<'_>, what: &str) -> Result<Metadata> {
    let bad = |m: String| Error::new(ErrorKind::InvalidMetadata, m);
    match to_json(v, what).map_err(|e| bad(e.message().to_owned()))? {
        J::Null => Ok(Metadata::new()),
        obj @ J::Object(_) => match Value::from_json_value(obj).map_err(|e| bad(format!("{what}: {}", e.message())))? {
            Value::Map(m) => Ok(m),
            // `{"$datetime": …}` alone reads as a datetime, not a map.
            other => Err(bad(format!("{what} must be an object, got a {}", other.type_name()))),
        },
        other => Err(bad(format!("{what} must be an object, got {}", json_type(&other)))),
    }
}

/// Per-record metadata: an array of objects (or nulls), or `null`/`undefined` for none.
pub fn metadata_arg(v: Option<Unknown<'_>>) -> Result<Option<Vec<Metadata>>> {
    let Some(v) = v else { return Ok(None) };
    let e = |err: napi::Error| napi_err("metadata", err);
    match v.get_type().map_err(e)? {
        ValueType::Null | ValueType::Undefined => return Ok(None),
        _ if v.is_array().map_err(e)? => {}
        _ => return Err(Error::new(ErrorKind::InvalidMetadata, "metadata must be an array (one object per record)")),
    }
    let a = Array::from_unknown(v).map_err(e)?;
    (0..a.len())
        .map(|i| one_metadata(a.get_element::<Unknown<'_>>(i).map_err(e)?, &format!("metadata[{i}]")))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// Metadata for JS: an object (a datetime as `{"$datetime": …}`).
pub fn metadata_out(m: &Metadata) -> J {
    J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

/// Stored JSON text (agent-state values, checkpoint metadata) as a JSON value for JS.
pub fn stored_json(text: &str) -> Result<J> {
    agentdb_engine::parse_json(text)
}

/// Vectors from JS: one flat `Float32Array` of `n × dim` values (read in place, no copy), or
/// one `Float32Array` per row (copied into rows).
pub enum VectorsArg {
    Flat(Float32Array),
    Rows(Vec<Vec<f32>>),
}

impl VectorsArg {
    pub fn new(v: Either<Float32Array, Vec<Float32Array>>) -> VectorsArg {
        match v {
            Either::A(flat) => VectorsArg::Flat(flat),
            Either::B(rows) => VectorsArg::Rows(rows.iter().map(|r| r.to_vec()).collect()),
        }
    }

    /// The engine's view, rows of `dim` values. A flat array whose length is not a multiple of
    /// `dim` cannot be cut into rows: a dimension mismatch.
    pub fn as_vectors(&self, dim: usize) -> Result<Vectors<'_>> {
        Ok(match self {
            VectorsArg::Flat(a) => {
                let data: &[f32] = a;
                if dim == 0 || data.len() % dim != 0 {
                    return Err(Error::new(
                        ErrorKind::DimensionMismatch,
                        format!("a flat Float32Array of {} values is not a whole number of {dim}-d vectors", data.len()),
                    ));
                }
                Vectors::Flat { data, dim }
            }
            VectorsArg::Rows(rows) => Vectors::Rows(rows),
        })
    }
}

/// A count or size from JS (a number) as `usize`: a negative or fractional value is refused.
pub fn non_negative(what: &str, v: f64) -> Result<usize> {
    if !(v >= 0.0) || v.fract() != 0.0 || v > 9.0e15 {
        return Err(invalid(format!("{what} must be a non-negative integer, got {v}")));
    }
    Ok(v as usize)
}

/// [`non_negative`] of an optional number.
pub fn opt_usize(what: &str, v: Option<f64>) -> Result<Option<usize>> {
    v.map(|v| non_negative(what, v)).transpose()
}
