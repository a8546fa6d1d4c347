//! Strings handed out to C: NUL-terminated copies owned by the result object they belong to, and
//! metadata rendered as JSON text. Shared by every result object.

use std::ffi::c_char;

use agentdb_engine::{Metadata, Value};

/// A NUL-terminated UTF-8 string that may also hold NUL bytes inside (its length is exact).
pub(crate) struct Text(Box<[u8]>);

impl Text {
    pub fn new(s: &str) -> Text {
        let mut bytes = Vec::with_capacity(s.len() + 1);
        bytes.extend_from_slice(s.as_bytes());
        bytes.push(0);
        Text(bytes.into_boxed_slice())
    }
    pub fn ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }
    /// The length in bytes, without the terminating NUL.
    pub fn len(&self) -> usize {
        self.0.len() - 1
    }
}

/// One record's metadata as a JSON object (datetimes as `{"$datetime": "<RFC 3339>"}`).
pub(crate) fn metadata_json(meta: &Metadata) -> Text {
    let mut out = String::from("{");
    for (i, (key, value)) in meta.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::Str(key.clone()).to_json().to_string());
        out.push(':');
        out.push_str(&value.to_json().to_string());
    }
    out.push('}');
    Text::new(&out)
}
