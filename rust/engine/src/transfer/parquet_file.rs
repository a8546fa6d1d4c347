//! The Parquet encoding of an export (see the `transfer` module comment): the JSONL file's header
//! as key-value metadata, its records as five columns. Written and read with the `parquet`
//! crate's Arrow reader and writer (Lance has no Parquet writer of its own); no compression codec
//! is compiled in, so pages are stored plain — readers of every Parquet version take that.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, FixedSizeListArray, Float32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::collection::Collection;
use crate::error::{Error, Result};
use crate::types::value::Value;

use super::Progress;

/// The key-value metadata key that holds the export header (JSON text).
pub const HEADER_KEY: &str = "agentdb-export";
/// Rows per written row group and per read batch: a row group is the unit a reader skips by, and
/// the import writes one commit per batch.
const ROWS_PER_GROUP: usize = super::IMPORT_BATCH;

/// Whether `path` names a Parquet export (decided by the name when writing).
pub fn is_parquet_path(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Whether the file at `path` is Parquet, by its magic bytes (decided by content when reading).
pub fn is_parquet_file(path: &Path) -> Result<bool> {
    let mut magic = [0u8; 4];
    let mut f = File::open(path).map_err(|e| super::io_err(path, e))?;
    match f.read_exact(&mut magic) {
        Ok(()) => Ok(&magic == b"PAR1"),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(super::io_err(path, e)),
    }
}

fn schema(dim: usize) -> Result<Arc<Schema>> {
    let dim = i32::try_from(dim).map_err(|_| Error::internal(format!("dimension {dim} does not fit a Parquet list")))?;
    Ok(Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("vector", DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, false)), dim), false),
        Field::new("document", DataType::Utf8, true),
        Field::new("metadata", DataType::Utf8, false),
        Field::new("created_at_us", DataType::Int64, false),
    ])))
}

fn parquet_err(path: &Path, e: parquet::errors::ParquetError) -> Error {
    Error::storage(format!("{}: {e}", path.display()))
}

/// Writes the Parquet export of `c` to `file` (at `tmp`): `header` as metadata, every record of
/// one scan as rows; synced before it returns the number of records.
pub(super) fn write(
    file: File,
    tmp: &Path,
    header: &serde_json::Value,
    c: &Collection,
    total: u64,
    progress: Progress<'_>,
) -> Result<u64> {
    let schema = schema(c.dim())?;
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![KeyValue::new(HEADER_KEY.to_owned(), header.to_string())]))
        .set_max_row_group_row_count(Some(ROWS_PER_GROUP))
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| parquet_err(tmp, e))?;
    let mut done = 0u64;
    c.scan(&mut |part| {
        let vectors = Float32Array::from(part.vectors.clone());
        let item = Arc::new(Field::new("item", DataType::Float32, false));
        let columns: Vec<Arc<dyn Array>> = vec![
            Arc::new(StringArray::from_iter_values(part.ids.iter())),
            Arc::new(FixedSizeListArray::try_new(item, part.dim as i32, Arc::new(vectors), None)?),
            Arc::new(StringArray::from_iter(part.documents.iter().map(|d| d.as_deref()))),
            Arc::new(StringArray::from_iter_values(part.metadata.iter().map(|m| Value::Map(m.clone()).to_json().to_string()))),
            Arc::new(Int64Array::from(part.created_at.clone())),
        ];
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?).map_err(|e| parquet_err(tmp, e))?;
        crate::util::cancel::check()?;
        done += part.ids.len() as u64;
        progress(done, total.max(done));
        Ok(())
    })?;
    let file = writer.into_inner().map_err(|e| parquet_err(tmp, e))?;
    file.sync_all().map_err(|e| super::io_err(tmp, e))?;
    Ok(done)
}

/// One record as the file holds it; the import checks and converts it.
pub(super) struct Row<'a> {
    pub id: &'a str,
    pub vector: &'a [f32],
    pub document: Option<&'a str>,
    pub metadata: &'a str,
    pub created_at_us: i64,
}

/// An open Parquet export: its header, then its rows batch by batch.
pub(super) struct Reader {
    pub header_text: String,
    batches: ParquetRecordBatchReader,
}

/// Opens the Parquet export at `path` and reads its header (not yet any row).
pub(super) fn open(path: &Path) -> Result<Reader> {
    let file = File::open(path).map_err(|e| super::io_err(path, e))?;
    let bad = |what: String| Error::invalid_argument(format!("{}: {what}", path.display()));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(format!("not a readable Parquet file ({e})")))?;
    let header_text = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|e| e.key == HEADER_KEY))
        .and_then(|e| e.value.clone())
        .ok_or_else(|| bad(format!("a Parquet file, but not an AgentDB export (no \"{HEADER_KEY}\" metadata)")))?;
    let batches = builder.with_batch_size(ROWS_PER_GROUP).build().map_err(|e| parquet_err(path, e))?;
    Ok(Reader { header_text, batches })
}

impl Reader {
    /// The rows as read, batch by batch (for the agent state's table, see `state_parquet`).
    pub fn into_batches(self) -> ParquetRecordBatchReader {
        self.batches
    }

    /// Calls `each(row number from 1, row)` for every row, in file order. A column missing or of
    /// another type than an export's is an `InvalidArgument` naming it.
    pub fn for_each_row(self, path: &Path, dim: usize, each: &mut dyn FnMut(u64, Row<'_>) -> Result<()>) -> Result<()> {
        let bad = |what: String| Error::invalid_argument(format!("{}: {what}", path.display()));
        let mut number = 0u64;
        for batch in self.batches {
            let batch = batch.map_err(|e| Error::storage(format!("{}: {e}", path.display())))?;
            let column = |name: &str| batch.column_by_name(name).ok_or_else(|| bad(format!("no column \"{name}\"")));
            let strings = |name: &str| -> Result<StringArray> {
                column(name)?.as_any().downcast_ref::<StringArray>().cloned().ok_or_else(|| bad(format!("column \"{name}\" is not text")))
            };
            let ids = strings("id")?;
            let documents = strings("document")?;
            let metadata = strings("metadata")?;
            let created = column("created_at_us")?
                .as_any()
                .downcast_ref::<Int64Array>()
                .cloned()
                .ok_or_else(|| bad("column \"created_at_us\" is not int64".to_owned()))?;
            let vectors = column("vector")?
                .as_any()
                .downcast_ref::<FixedSizeListArray>()
                .cloned()
                .ok_or_else(|| bad("column \"vector\" is not a fixed-size list".to_owned()))?;
            if vectors.value_length() as usize != dim {
                return Err(Error::new(
                    crate::error::ErrorKind::DimensionMismatch,
                    format!("{}: column \"vector\" holds {} values per row, the header says {dim}", path.display(), vectors.value_length()),
                ));
            }
            let values = vectors
                .values()
                .as_any()
                .downcast_ref::<Float32Array>()
                .cloned()
                .ok_or_else(|| bad("column \"vector\" does not hold float32".to_owned()))?;
            for i in 0..batch.num_rows() {
                number += 1;
                if ids.is_null(i) || vectors.is_null(i) || metadata.is_null(i) || created.is_null(i) {
                    return Err(bad(format!("row {number}: only \"document\" may be null")));
                }
                let start = vectors.value_offset(i) as usize;
                let row = Row {
                    id: ids.value(i),
                    vector: &values.values()[start..start + dim],
                    document: (!documents.is_null(i)).then(|| documents.value(i)),
                    metadata: metadata.value(i),
                    created_at_us: created.value(i),
                };
                each(number, row)?;
            }
        }
        Ok(())
    }
}
