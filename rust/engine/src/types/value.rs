//! Metadata values and the small dynamic value tree that carries metadata and dict filters across
//! the bindings. Python translates its objects into [`Value`]; C and Zig send JSON, which
//! [`Value::from_json`] reads (a datetime is written there as `{"$datetime": "<RFC 3339>"}`).

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// How deeply a value may nest, in every path that takes one: metadata, dict filters, agent-state
/// values and checkpoint metadata, from Python objects or from JSON text. Each list or map is one
/// level (`[]` and `{}` are 1, `[[1]]` is 2); scalars add none. Deeper input — and a Python
/// container that holds itself — is rejected with [`ErrorKind::InvalidArgument`] before anything
/// recurses into it, so no input can exhaust the stack.
///
/// [`ErrorKind::InvalidArgument`]: crate::ErrorKind::InvalidArgument
pub const MAX_VALUE_DEPTH: usize = 100;

/// The error for a value nested more than [`MAX_VALUE_DEPTH`] levels deep.
pub fn too_deep(what: &str) -> Error {
    Error::invalid_argument(format!(
        "{what} is nested more than {MAX_VALUE_DEPTH} levels deep (the limit for metadata, filters and state values)"
    ))
}

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

    /// Reads JSON text (the form C and Zig use) with [`parse_json`]: numbers exactly, nesting
    /// limited to [`MAX_VALUE_DEPTH`]. Integers that fit i64 stay integers.
    pub fn from_json(text: &str) -> Result<Value> {
        Self::from_json_bounded(parse_json(text)?)
    }

    /// How deeply this value nests (see [`MAX_VALUE_DEPTH`]), computed without recursion.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack: Vec<(&Value, usize)> = vec![(self, 0)];
        while let Some((v, d)) = stack.pop() {
            match v {
                Value::List(items) => {
                    deepest = deepest.max(d + 1);
                    stack.extend(items.iter().map(|i| (i, d + 1)));
                }
                Value::Map(map) => {
                    deepest = deepest.max(d + 1);
                    stack.extend(map.values().map(|i| (i, d + 1)));
                }
                _ => {}
            }
        }
        deepest
    }

    /// `Err` (invalid argument) if this value nests deeper than [`MAX_VALUE_DEPTH`]; `what`
    /// names it in the message.
    pub fn check_depth(&self, what: &str) -> Result<()> {
        if self.depth() > MAX_VALUE_DEPTH {
            return Err(too_deep(what));
        }
        Ok(())
    }

    /// From parsed JSON, which [`parse_json`] limited to [`MAX_VALUE_DEPTH`] levels; a
    /// `serde_json::Value` built by other means is checked first, so this recursion is bounded.
    pub fn from_json_value(json: serde_json::Value) -> Result<Value> {
        check_json_depth("the value", &json)?;
        Self::from_json_bounded(json)
    }

    fn from_json_bounded(json: serde_json::Value) -> Result<Value> {
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
                Value::List(items.into_iter().map(Self::from_json_bounded).collect::<Result<_>>()?)
            }
            J::Object(map) => {
                if map.len() == 1 {
                    if let Some(J::String(s)) = map.get("$datetime") {
                        return Ok(Value::Datetime(parse_rfc3339_micros(s)?));
                    }
                }
                Value::Map(
                    map.into_iter()
                        .map(|(k, v)| Ok((k, Self::from_json_bounded(v)?)))
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

/// How deeply a JSON value nests (each array or object one level), computed without recursion.
pub fn json_depth(v: &serde_json::Value) -> usize {
    use serde_json::Value as J;
    let mut deepest = 0;
    let mut stack: Vec<(&J, usize)> = vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        match v {
            J::Array(items) => {
                deepest = deepest.max(d + 1);
                stack.extend(items.iter().map(|i| (i, d + 1)));
            }
            J::Object(map) => {
                deepest = deepest.max(d + 1);
                stack.extend(map.values().map(|i| (i, d + 1)));
            }
            _ => {}
        }
    }
    deepest
}

/// `Err` (invalid argument) if `v` nests deeper than [`MAX_VALUE_DEPTH`]; `what` names it.
pub fn check_json_depth(what: &str, v: &serde_json::Value) -> Result<()> {
    if json_depth(v) > MAX_VALUE_DEPTH {
        return Err(too_deep(what));
    }
    Ok(())
}

/// Parses JSON text exactly, for every value that crosses the bindings as text (C and Zig
/// metadata and filters, agent-state values, checkpoint metadata) and for stored state values.
///
/// * Numbers: an integer that fits `i64` (or, if positive, `u64`) stays an integer; any other
///   number becomes the `f64` nearest to its decimal text (Rust's `str::parse`, correctly rounded),
///   so the shortest form serde_json writes reads back as the very same bits, subnormals and `-0.0`
///   included. (serde_json's own parser, without its `float_roundtrip` feature, can be 1 ULP off.)
///   `-0` reads as the float `-0.0`, and integers beyond `u64` as floats, as serde_json does; a
///   number outside the `f64` range is an error.
/// * Nesting is limited to [`MAX_VALUE_DEPTH`] levels, checked before descending.
/// * Strict JSON otherwise (RFC 8259): one value, no trailing text, no comments, escapes checked,
///   no lone surrogates, no raw control characters in strings. A repeated object key keeps its
///   last value. All errors are invalid-argument errors naming the byte offset.
pub fn parse_json(text: &str) -> Result<serde_json::Value> {
    let mut p = JsonParser { text, s: text.as_bytes(), i: 0 };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

struct JsonParser<'a> {
    text: &'a str,
    s: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn err(&self, what: &str) -> Error {
        Error::invalid_argument(format!("invalid JSON: {what} at byte {}", self.i))
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn literal(&mut self, lit: &str, v: serde_json::Value) -> Result<serde_json::Value> {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            Ok(v)
        } else {
            Err(self.err("unexpected character"))
        }
    }

    /// One value; `depth` containers enclose it. Recursion is bounded by [`MAX_VALUE_DEPTH`].
    fn value(&mut self, depth: usize) -> Result<serde_json::Value> {
        use serde_json::Value as J;
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'n') => self.literal("null", J::Null),
            Some(b't') => self.literal("true", J::Bool(true)),
            Some(b'f') => self.literal("false", J::Bool(false)),
            Some(b'"') => Ok(J::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(open @ (b'[' | b'{')) => {
                if depth >= MAX_VALUE_DEPTH {
                    return Err(too_deep("the JSON value"));
                }
                self.i += 1;
                self.ws();
                let close = if open == b'[' { b']' } else { b'}' };
                let mut items = Vec::new();
                let mut map = serde_json::Map::new();
                if self.peek() == Some(close) {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        if open == b'[' {
                            items.push(self.value(depth + 1)?);
                        } else {
                            if self.peek() != Some(b'"') {
                                return Err(self.err("expected a string key"));
                            }
                            let key = self.string()?;
                            self.ws();
                            if self.peek() != Some(b':') {
                                return Err(self.err("expected ':'"));
                            }
                            self.i += 1;
                            self.ws();
                            let v = self.value(depth + 1)?;
                            map.insert(key, v);
                        }
                        self.ws();
                        match self.peek() {
                            Some(b',') => self.i += 1,
                            Some(c) if c == close => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(self.err(if open == b'[' { "expected ',' or ']'" } else { "expected ',' or '}'" })),
                        }
                    }
                }
                Ok(if open == b'[' { J::Array(items) } else { J::Object(map) })
            }
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn digits(&mut self) -> Result<()> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.err("invalid number"));
        }
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        Ok(())
    }

    fn number(&mut self) -> Result<serde_json::Value> {
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits()?,
            _ => return Err(self.err("invalid number")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digits()?;
            integer = false;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digits()?;
            integer = false;
        }
        let text = &self.text[start..self.i];
        if integer {
            if negative {
                // "-0" is the float -0.0 (as serde_json reads it): the sign is kept.
                if let Ok(i) = text.parse::<i64>() {
                    if i != 0 {
                        return Ok(serde_json::Value::from(i));
                    }
                }
            } else if let Ok(u) = text.parse::<u64>() {
                return Ok(serde_json::Value::from(u));
            }
        }
        let f: f64 = text.parse().map_err(|_| self.err("invalid number"))?;
        serde_json::Number::from_f64(f).map(serde_json::Value::Number).ok_or_else(|| {
            Error::invalid_argument(format!("invalid JSON: the number {text} is beyond the range of a 64-bit float"))
        })
    }

    fn hex4(&mut self) -> Result<u32> {
        let h = self.s.get(self.i..self.i + 4).ok_or_else(|| self.err("invalid \\u escape"))?;
        let h = std::str::from_utf8(h).ok().filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        let v = h.and_then(|h| u32::from_str_radix(h, 16).ok()).ok_or_else(|| self.err("invalid \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    /// A string; `self.i` is at its opening quote.
    fn string(&mut self) -> Result<String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            // Both ends sit next to ASCII bytes (or the ends of the text): char boundaries.
            out.push_str(&self.text[start..self.i]);
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let Some(c) = self.peek() else { return Err(self.err("unterminated string")) };
                    self.i += 1;
                    out.push(match c {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = match hi {
                                0xD800..=0xDBFF => {
                                    if !self.s[self.i..].starts_with(b"\\u") {
                                        return Err(self.err("lone surrogate in \\u escape"));
                                    }
                                    self.i += 2;
                                    let lo = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&lo) {
                                        return Err(self.err("lone surrogate in \\u escape"));
                                    }
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                }
                                0xDC00..=0xDFFF => return Err(self.err("lone surrogate in \\u escape")),
                                _ => hi,
                            };
                            char::from_u32(code).ok_or_else(|| self.err("invalid \\u escape"))?
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.err("invalid escape"));
                        }
                    });
                }
                Some(_) => return Err(self.err("control character in a string")),
            }
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
    // After the offset and a leap second, the instant must still be one the four-digit years of
    // RFC 3339 can write (0000-01-01 to 9999-12-31 UTC), so that what is stored reads back.
    let first = days_from_civil(0, 1, 1) * 86_400 * 1_000_000;
    let end = days_from_civil(10_000, 1, 1) * 86_400 * 1_000_000;
    if !(first..end).contains(&us) {
        return Err(Error::invalid_argument(format!(
            "invalid datetime {s:?}: outside the years 0000 to 9999 once in UTC"
        )));
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
mod tests;
