//! Records from Arrow data (a pyarrow Table, an Arrow C stream): column `id` (string), `vector`
//! (fixed-size or variable list of floats), optional `document` (string), and every other column
//! as a metadata key.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};

use crate::error::{Error, Result};
use crate::types::records::{Records, Vectors};
use crate::types::schema;
use crate::types::value::{Metadata, Value};

/// Records that own their data, e.g. converted from Arrow.
#[derive(Debug, Clone, Default)]
pub struct OwnedRecords {
    pub ids: Vec<String>,
    pub vectors: Vec<Vec<f32>>,
    pub documents: Vec<Option<String>>,
    pub metadata: Vec<Metadata>,
}

impl OwnedRecords {
    pub fn as_records(&self) -> Records<'_> {
        Records {
            ids: &self.ids,
            vectors: Vectors::Rows(&self.vectors),
            documents: Some(&self.documents),
            metadata: Some(&self.metadata),
        }
    }

    /// Appends the rows of an Arrow batch.
    pub fn extend_from_arrow(&mut self, batch: &RecordBatch) -> Result<()> {
        let bad = |msg: String| Error::invalid_argument(format!("Arrow input: {msg}"));
        let cast = |name: &str, to: &DataType| -> Result<Option<arrow_array::ArrayRef>> {
            match batch.column_by_name(name) {
                None => Ok(None),
                Some(c) => arrow::compute::cast(c, to)
                    .map(Some)
                    .map_err(|e| bad(format!("column '{name}' cannot be read as {to}: {e}"))),
            }
        };
        let base = self.ids.len();
        let ids = cast(schema::ID, &DataType::Utf8)?.ok_or_else(|| bad("no 'id' column".into()))?;
        for (i, id) in ids.as_string::<i32>().iter().enumerate() {
            self.ids.push(id.ok_or_else(|| bad(format!("row {}: id is null", base + i)))?.to_owned());
        }
        let list_f32 = DataType::List(std::sync::Arc::new(arrow_schema::Field::new("item", DataType::Float32, true)));
        let vectors = cast(schema::VECTOR, &list_f32)?.ok_or_else(|| bad("no 'vector' column".into()))?;
        let vectors = vectors.as_list::<i32>();
        for i in 0..batch.num_rows() {
            if vectors.is_null(i) {
                return Err(bad(format!("row {}: vector is null", base + i)));
            }
            let row = vectors.value(i);
            let row = row.as_primitive::<Float32Type>();
            if row.null_count() > 0 {
                return Err(bad(format!("row {}: vector holds nulls", base + i)));
            }
            self.vectors.push(row.values().to_vec());
        }
        match cast(schema::DOCUMENT, &DataType::Utf8)? {
            Some(d) => self.documents.extend(d.as_string::<i32>().iter().map(|s| s.map(str::to_owned))),
            None => self.documents.extend(std::iter::repeat_n(None, batch.num_rows())),
        }
        let mut meta = vec![Metadata::new(); batch.num_rows()];
        for (field, col) in batch.schema().fields().iter().zip(batch.columns()) {
            let key = field.name().as_str();
            if [schema::ID, schema::VECTOR, schema::DOCUMENT].contains(&key) {
                continue;
            }
            let values: Vec<Value> = match field.data_type() {
                DataType::Boolean => col.as_boolean().iter().map(|v| v.map_or(Value::Null, Value::Bool)).collect(),
                DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 | DataType::UInt8 | DataType::UInt16 | DataType::UInt32 => {
                    let c = cast(key, &DataType::Int64)?.unwrap_or_else(|| col.clone());
                    c.as_primitive::<arrow_array::types::Int64Type>().iter().map(|v| v.map_or(Value::Null, Value::Int)).collect()
                }
                DataType::Float16 | DataType::Float32 | DataType::Float64 => {
                    let c = cast(key, &DataType::Float64)?.unwrap_or_else(|| col.clone());
                    c.as_primitive::<arrow_array::types::Float64Type>().iter().map(|v| v.map_or(Value::Null, Value::Float)).collect()
                }
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                    let c = cast(key, &DataType::Utf8)?.unwrap_or_else(|| col.clone());
                    c.as_string::<i32>().iter().map(|v| v.map_or(Value::Null, |s| Value::Str(s.to_owned()))).collect()
                }
                DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
                    let c = cast(key, &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())))?.unwrap_or_else(|| col.clone());
                    c.as_primitive::<TimestampMicrosecondType>().iter().map(|v| v.map_or(Value::Null, Value::Datetime)).collect()
                }
                DataType::List(f) | DataType::LargeList(f) if matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8) => {
                    let list_utf8 = DataType::List(std::sync::Arc::new(arrow_schema::Field::new("item", DataType::Utf8, true)));
                    let c = cast(key, &list_utf8)?.unwrap_or_else(|| col.clone());
                    let l = c.as_list::<i32>();
                    (0..l.len())
                        .map(|i| {
                            if l.is_null(i) {
                                Value::Null
                            } else {
                                let items = l.value(i);
                                Value::List(items.as_string::<i32>().iter().map(|s| Value::Str(s.unwrap_or("").to_owned())).collect())
                            }
                        })
                        .collect()
                }
                other => {
                    return Err(Error::invalid_metadata(format!(
                        "column '{key}' has type {other}, which metadata cannot hold \
                         (bool, integers, floats, strings, timestamps, lists of strings)"
                    )))
                }
            };
            for (m, v) in meta.iter_mut().zip(values) {
                if v != Value::Null {
                    m.insert(key.to_owned(), v);
                }
            }
        }
        self.metadata.extend(meta);
        Ok(())
    }
}
