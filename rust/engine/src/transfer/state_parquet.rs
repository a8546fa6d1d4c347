//! The Parquet encoding of an agent-state export: one table, one row per operation, its columns
//! the union of the four operations' fields (each null where an operation has no such field), so
//! DuckDB or pyarrow read the state as a table. The header is the JSONL file's, in the same
//! key-value metadata as a store's Parquet export (see [`super::parquet_file`]).
//!
//! The JSON operation objects of `state::transfer` stay the one definition of an operation: the
//! export encodes those objects as columns (base64 payloads decoded to binary), and the import
//! turns each row back into such an object, so a Parquet row is checked by exactly the code that
//! checks a JSONL line. A `writes` operation carries a list of pending writes; the export emits one
//! per operation, so a row holds one (its `type` column is the write's type), and an imported row
//! becomes a one-item operation.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, Int64Builder, LargeStringBuilder, StringBuilder, UInt64Builder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use base64::Engine as _;
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};

use super::parquet_file::{Reader, HEADER_KEY};
use super::Progress;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Rows per written batch (and row group): few enough that a batch of large checkpoints stays
/// far below the 2 GiB a `binary` column's offsets can address, whichever comes first with
/// [`BYTES_PER_GROUP`].
const ROWS_PER_GROUP: usize = 512;
const BYTES_PER_GROUP: usize = 64 << 20;

/// How a column holds its values.
#[derive(Clone, Copy)]
enum Col {
    Text,
    LargeText,
    Version,
    Int,
    Bytes,
}

/// The columns in file order, each named as its field of the JSON operation object (the binary
/// columns are that object's base64 fields, see [`json_field`]); `idx`, `channel`, `type` and `value` of a
/// `writes` row are its one pending write's.
const COLUMNS: [(&str, Col); 22] = [
    ("op", Col::Text),
    ("agent_id", Col::Text),
    ("session_id", Col::Text),
    ("key", Col::Text),
    ("version", Col::Version),
    ("value_json", Col::LargeText),
    ("written_at_us", Col::Int),
    ("expires_at_us", Col::Int),
    ("ttl_us", Col::Int),
    ("thread_id", Col::Text),
    ("checkpoint_ns", Col::Text),
    ("checkpoint_id", Col::Text),
    ("parent_id", Col::Text),
    ("type", Col::Text),
    ("checkpoint", Col::Bytes),
    ("metadata_json", Col::LargeText),
    ("created_at_us", Col::Int),
    ("task_id", Col::Text),
    ("task_path", Col::Text),
    ("idx", Col::Int),
    ("channel", Col::Text),
    ("value", Col::Bytes),
];

/// Columns taken from a `writes` operation's pending write rather than from the operation.
const ITEM_COLUMNS: [&str; 4] = ["idx", "channel", "type", "value"];

fn data_type(c: Col) -> DataType {
    match c {
        Col::Text => DataType::Utf8,
        Col::LargeText => DataType::LargeUtf8,
        Col::Version => DataType::UInt64,
        Col::Int => DataType::Int64,
        Col::Bytes => DataType::Binary,
    }
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(COLUMNS.iter().map(|&(name, c)| Field::new(name, data_type(c), name != "op")).collect::<Vec<_>>()))
}

/// The JSON field a column is read from and written to (the binary columns are base64 there).
fn json_field(column: &str) -> &str {
    match column {
        "checkpoint" => "checkpoint_b64",
        "value" => "value_b64",
        c => c,
    }
}

enum Builder {
    Text(StringBuilder),
    LargeText(LargeStringBuilder),
    Version(UInt64Builder),
    Int(Int64Builder),
    Bytes(BinaryBuilder),
}

impl Builder {
    fn new(c: Col) -> Builder {
        match c {
            Col::Text => Builder::Text(StringBuilder::new()),
            Col::LargeText => Builder::LargeText(LargeStringBuilder::new()),
            Col::Version => Builder::Version(UInt64Builder::new()),
            Col::Int => Builder::Int(Int64Builder::new()),
            Col::Bytes => Builder::Bytes(BinaryBuilder::new()),
        }
    }

    /// Appends the JSON field `v` (absent or null: a null); returns the bytes it added.
    fn append(&mut self, column: &str, v: Option<&Json>) -> Result<usize> {
        let wrong = || Error::internal(format!("an exported state operation has a malformed \"{column}\""));
        let v = v.filter(|v| !v.is_null());
        Ok(match self {
            Builder::Text(b) => {
                let s = v.map(|v| v.as_str().ok_or_else(wrong)).transpose()?;
                b.append_option(s);
                s.map_or(0, str::len)
            }
            Builder::LargeText(b) => {
                let s = v.map(|v| v.as_str().ok_or_else(wrong)).transpose()?;
                b.append_option(s);
                s.map_or(0, str::len)
            }
            Builder::Version(b) => {
                b.append_option(v.map(|v| v.as_u64().ok_or_else(wrong)).transpose()?);
                8
            }
            Builder::Int(b) => {
                b.append_option(v.map(|v| v.as_i64().ok_or_else(wrong)).transpose()?);
                8
            }
            Builder::Bytes(b) => {
                let bytes = v.map(|v| v.as_str().and_then(|t| B64.decode(t).ok()).ok_or_else(wrong)).transpose()?;
                b.append_option(bytes.as_deref());
                bytes.map_or(0, |b| b.len())
            }
        })
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::LargeText(b) => Arc::new(b.finish()),
            Builder::Version(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Bytes(b) => Arc::new(b.finish()),
        }
    }
}

fn parquet_err(path: &Path, e: parquet::errors::ParquetError) -> Error {
    Error::storage(format!("{}: {e}", path.display()))
}

/// Writes the exported operations `ops` (the JSON objects of `State::export_ops`) to `file` (at
/// `tmp`) with `header` as metadata; synced before it returns.
pub(super) fn write(file: File, tmp: &Path, header: &Json, ops: &[Json], progress: Progress<'_>) -> Result<()> {
    let schema = schema();
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![KeyValue::new(HEADER_KEY.to_owned(), header.to_string())]))
        .set_max_row_group_row_count(Some(ROWS_PER_GROUP))
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| parquet_err(tmp, e))?;
    let total = ops.len() as u64;
    let mut done = 0u64;
    for chunk in chunks(ops) {
        let mut builders: Vec<Builder> = COLUMNS.iter().map(|&(_, c)| Builder::new(c)).collect();
        for op in chunk {
            // A "writes" operation's one pending write (the export emits one per operation).
            let item = match op.get("items").and_then(|i| i.as_array()) {
                Some(items) if items.len() == 1 => Some(&items[0]),
                Some(_) => return Err(Error::internal("an exported \"writes\" operation holds other than one pending write")),
                None => None,
            };
            for (b, &(name, _)) in builders.iter_mut().zip(COLUMNS.iter()) {
                let from = if ITEM_COLUMNS.contains(&name) && item.is_some() { item } else { Some(op) };
                b.append(name, from.and_then(|o| o.get(json_field(name))))?;
            }
        }
        let columns: Vec<ArrayRef> = builders.iter_mut().map(Builder::finish).collect();
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?).map_err(|e| parquet_err(tmp, e))?;
        // One row group per chunk, so the byte bound holds for what a reader loads at once too.
        writer.flush().map_err(|e| parquet_err(tmp, e))?;
        done += chunk.len() as u64;
        crate::util::cancel::check()?;
        progress(done, total);
    }
    progress(total, total);
    let file = writer.into_inner().map_err(|e| parquet_err(tmp, e))?;
    file.sync_all().map_err(|e| super::io_err(tmp, e))
}

/// `ops` cut into runs of at most [`ROWS_PER_GROUP`] operations and about [`BYTES_PER_GROUP`]
/// bytes of payload (base64 length stands in for the bytes).
fn chunks(ops: &[Json]) -> Vec<&[Json]> {
    let size = |op: &Json| -> usize {
        let text = |v: Option<&Json>| v.and_then(|v| v.as_str()).map_or(0, str::len);
        let items = op.get("items").and_then(|i| i.as_array()).map_or(0, |items| items.iter().map(|it| text(it.get("value_b64"))).sum());
        text(op.get("checkpoint_b64")) + text(op.get("value_json")) + text(op.get("metadata_json")) + items
    };
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, op) in ops.iter().enumerate() {
        if i > start && (i - start >= ROWS_PER_GROUP || bytes + size(op) > BYTES_PER_GROUP) {
            out.push(&ops[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size(op);
    }
    if start < ops.len() {
        out.push(&ops[start..]);
    }
    out
}

/// One column of a read batch, by how it holds its values (text of either offset width).
enum Read<'a> {
    Absent,
    Text(&'a arrow_array::StringArray),
    LargeText(&'a arrow_array::LargeStringArray),
    Version(&'a arrow_array::UInt64Array),
    Int(&'a arrow_array::Int64Array),
    Bytes(&'a arrow_array::BinaryArray),
    LargeBytes(&'a arrow_array::LargeBinaryArray),
}

impl Read<'_> {
    /// Row `i` as the JSON field it stands for (null: absent).
    fn json(&self, i: usize) -> Option<Json> {
        let valid = |a: &dyn Array| a.is_valid(i);
        match self {
            Read::Absent => None,
            Read::Text(a) => valid(*a).then(|| Json::String(a.value(i).to_owned())),
            Read::LargeText(a) => valid(*a).then(|| Json::String(a.value(i).to_owned())),
            Read::Version(a) => valid(*a).then(|| Json::from(a.value(i))),
            Read::Int(a) => valid(*a).then(|| Json::from(a.value(i))),
            Read::Bytes(a) => valid(*a).then(|| Json::String(B64.encode(a.value(i)))),
            Read::LargeBytes(a) => valid(*a).then(|| Json::String(B64.encode(a.value(i)))),
        }
    }
}

/// Calls `each(row number from 1, operation object)` for every row of the state export `reader`
/// (of `path`), in file order. A column of another type than the export's is an
/// `InvalidArgument` naming it; a column left out reads as nulls (the operation's own check then
/// names a field it needs).
pub(super) fn for_each_op(reader: Reader, path: &Path, each: &mut dyn FnMut(u64, Json) -> Result<()>) -> Result<()> {
    let bad = |what: String| Error::invalid_argument(format!("{}: {what}", path.display()));
    let mut number = 0u64;
    for batch in reader.into_batches() {
        let batch = batch.map_err(|e| Error::storage(format!("{}: {e}", path.display())))?;
        let mut columns = Vec::with_capacity(COLUMNS.len());
        for &(name, c) in &COLUMNS {
            let read = match batch.column_by_name(name) {
                None if name == "op" => return Err(bad("no column \"op\": not an agent-state export".to_owned())),
                None => Read::Absent,
                Some(a) => match (c, a.data_type()) {
                    (Col::Text | Col::LargeText, DataType::Utf8) => Read::Text(a.as_string::<i32>()),
                    (Col::Text | Col::LargeText, DataType::LargeUtf8) => Read::LargeText(a.as_string::<i64>()),
                    (Col::Version, DataType::UInt64) => Read::Version(a.as_primitive::<UInt64Type>()),
                    (Col::Int, DataType::Int64) => Read::Int(a.as_primitive::<Int64Type>()),
                    (Col::Bytes, DataType::Binary) => Read::Bytes(a.as_binary::<i32>()),
                    (Col::Bytes, DataType::LargeBinary) => Read::LargeBytes(a.as_binary::<i64>()),
                    (_, other) => return Err(bad(format!("column \"{name}\" is {other}, not {}", data_type(c)))),
                },
            };
            columns.push((name, read));
        }
        for i in 0..batch.num_rows() {
            number += 1;
            let mut op = Map::new();
            let mut item = Map::new();
            let writes = columns[0].1.json(i).is_some_and(|o| o == "writes");
            for (name, read) in &columns {
                if let Some(v) = read.json(i) {
                    let into = if writes && ITEM_COLUMNS.contains(name) { &mut item } else { &mut op };
                    into.insert(json_field(name).to_owned(), v);
                }
            }
            if writes {
                op.insert("items".to_owned(), Json::Array(vec![Json::Object(item)]));
            }
            each(number, Json::Object(op))?;
        }
    }
    Ok(())
}
