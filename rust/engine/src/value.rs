//! Metadata values and the small dynamic value tree that carries metadata and dict filters across
//! the bindings. Python translates its objects into [`Value`]; C and Zig send JSON, which
//! [`Value::from_json`] reads (a datetime is written there as `{"$datetime": "<RFC 3339>"}`).

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// A dynamic value: what a metadata entry or a node of a dict filter can be.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Microseconds since the Unix epoch, UTC.
    Datetime(i64),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

/// The metadata of one record: key → value. Keys are identifiers (see [`validate_key`]).
pub type Metadata = BTreeMap<String, Value>;

/// The storage type of a metadata key: fixed by the first write that brings the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaType {
    Bool,
    Int,
    Float,
    Str,
    Datetime,
    StrList,
}

impl MetaType {
    pub fn name(self) -> &'static str {
        match self {
            MetaType::Bool => "bool",
            MetaType::Int => "int",
            MetaType::Float => "float",
            MetaType::Str => "str",
            MetaType::Datetime => "datetime",
            MetaType::StrList => "list[str]",
        }
    }
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Datetime(_) => "datetime",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }

    /// The storage type this value needs as metadata, or why it cannot be metadata.
    /// `Null` has none: a null metadata value means "key absent".
    pub fn meta_type(&self) -> Result<Option<MetaType>, String> {
        Ok(Some(match self {
            Value::Null => return Ok(None),
            Value::Bool(_) => MetaType::Bool,
            Value::Int(_) => MetaType::Int,
            Value::Float(f) if !f.is_finite() => return Err(format!("float {f} is not finite")),
            Value::Float(_) => MetaType::Float,
            Value::Str(_) => MetaType::Str,
            Value::Datetime(_) => MetaType::Datetime,
            Value::List(items) => {
                if let Some(bad) = items.iter().find(|v| !matches!(v, Value::Str(_))) {
                    return Err(format!("lists may hold only strings, found a {}", bad.type_name()));
                }
                MetaType::StrList
            }
            Value::Map(_) => return Err("nested maps are not supported as metadata".into()),
        }))
    }

    /// Reads JSON text (the form C and Zig use). Integers that fit i64 stay integers.
    pub fn from_json(text: &str) -> Result<Value> {
        let json: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::invalid_argument(format!("invalid JSON: {e}")))?;
        Self::from_json_value(json)
    }

    fn from_json_value(json: serde_json::Value) -> Result<Value> {
        use serde_json::Value as J;
        Ok(match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().ok_or_else(|| {
                    Error::invalid_argument(format!("number {n} does not fit a 64-bit value"))
                })?),
            },
            J::String(s) => Value::Str(s),
            J::Array(items) => {
                Value::List(items.into_iter().map(Self::from_json_value).collect::<Result<_>>()?)
            }
            J::Object(map) => {
                if map.len() == 1 {
                    if let Some(J::String(s)) = map.get("$datetime") {
                        return Ok(Value::Datetime(parse_rfc3339_micros(s)?));
                    }
                }
                Value::Map(
                    map.into_iter()
                        .map(|(k, v)| Ok((k, Self::from_json_value(v)?)))
                        .collect::<Result<_>>()?,
                )
            }
        })
    }

    /// Writes the value as JSON; a datetime becomes `{"$datetime": "<RFC 3339>"}`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
            Value::Str(s) => J::String(s.clone()),
            Value::Datetime(us) => {
                let mut m = serde_json::Map::new();
                m.insert("$datetime".into(), J::String(format_rfc3339_micros(*us)));
                J::Object(m)
            }
            Value::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(map) => J::Object(map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }
}

/// Names the engine itself uses for columns, and names Lance reserves for its own.
pub const RESERVED_KEYS: &[&str] = &[
    "id",
    "vector",
    "document",
    "created_at",
    "updated_at",
    "_rowid",
    "_rowaddr",
    "_rowoffset",
    "_distance",
    "_score",
    "_relevance_score",
    "_row_created_at_version",
    "_row_last_updated_at_version",
];

pub const MAX_KEY_LEN: usize = 64;

/// A metadata key is stored as a column of its own, so filters can use it directly
/// (`"year >= 2020"`): it must be an identifier of at most 64 characters, letters, digits and `_`,
/// not starting with a digit, and not a reserved column name.
pub fn validate_key(key: &str) -> Result<(), String> {
    let mut chars = key.chars();
    let ok_first = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_');
    if !ok_first || key.len() > MAX_KEY_LEN || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "metadata key {key:?} is not an identifier (letters, digits and '_', not starting \
             with a digit, at most {MAX_KEY_LEN} characters)"
        ));
    }
    if RESERVED_KEYS.iter().any(|r| r.eq_ignore_ascii_case(key)) {
        return Err(format!("metadata key {key:?} is reserved"));
    }
    Ok(())
}

/// Microseconds since the epoch → `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub fn format_rfc3339_micros(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let frac = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// Parses `YYYY-MM-DD[THH:MM:SS[.f…]][Z|±HH:MM]` into microseconds since the epoch (UTC).
/// A time without offset is taken as UTC.
pub fn parse_rfc3339_micros(s: &str) -> Result<i64> {
    let bad = || Error::invalid_argument(format!("invalid datetime {s:?}: expected RFC 3339"));
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Result<i64> {
        let part = s.get(r).ok_or_else(bad)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse::<i64>().map_err(|_| bad())
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let mut us = days_from_civil(y, mo, d) * 86_400 * 1_000_000;
    let mut i = 10;
    if i < b.len() {
        if b[i] != b'T' && b[i] != b't' && b[i] != b' ' {
            return Err(bad());
        }
        if b.len() < i + 9 || b[i + 3] != b':' || b[i + 6] != b':' {
            return Err(bad());
        }
        let (h, mi, se) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?, num(i + 7..i + 9)?);
        if h > 23 || mi > 59 || se > 60 {
            return Err(bad());
        }
        us += (h * 3600 + mi * 60 + se) * 1_000_000;
        i += 9;
        if i < b.len() && b[i] == b'.' {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            if end == start {
                return Err(bad());
            }
            let digits = &s[start..end.min(start + 6)];
            us += digits.parse::<i64>().map_err(|_| bad())? * 10i64.pow(6 - digits.len() as u32);
            i = end;
        }
        match &s[i..] {
            "" | "Z" | "z" => {}
            off if off.len() == 6 && (off.starts_with('+') || off.starts_with('-')) && &off[3..4] == ":" => {
                let oh = num(i + 1..i + 3)?;
                let om = num(i + 4..i + 6)?;
                let sign = if off.starts_with('+') { 1 } else { -1 };
                us -= sign * (oh * 3600 + om * 60) * 1_000_000;
            }
            _ => return Err(bad()),
        }
    }
    Ok(us)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_round_trips() {
        for us in [0i64, 1, -1, 1_700_000_000_123_456, -62_135_596_800_000_000, 253_402_300_799_999_999] {
            assert_eq!(parse_rfc3339_micros(&format_rfc3339_micros(us)).unwrap(), us);
        }
        assert_eq!(parse_rfc3339_micros("1970-01-01T01:00:00+01:00").unwrap(), 0);
        assert_eq!(parse_rfc3339_micros("2024-02-29").unwrap(), 1_709_164_800_000_000);
        assert!(parse_rfc3339_micros("2024-13-01").is_err());
        assert!(parse_rfc3339_micros("yesterday").is_err());
    }

    #[test]
    fn keys_are_identifiers() {
        assert!(validate_key("year").is_ok());
        assert!(validate_key("_node_type").is_ok());
        for bad in ["", "1a", "a b", "a.b", "id", "ID", "_rowid", "x'--", &"k".repeat(65)] {
            assert!(validate_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_round_trips() {
        let v = Value::from_json(r#"{"a": 1, "b": 2.5, "c": ["x"], "d": {"$datetime": "2020-01-01T00:00:00Z"}}"#)
            .unwrap();
        assert_eq!(Value::from_json(&v.to_json().to_string()).unwrap(), v);
    }
}
