//! Records going in (validated and turned into Arrow batches) and coming out (read back from the
//! batches Lance returns).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{
    Array, ArrayRef, BooleanArray, FixedSizeListArray, Float32Array, Float64Array, Int64Array,
    RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::{Error, ErrorKind, Result};
use crate::types::schema::{self, Layout, Metric};
use crate::types::value::{validate_key, MetaType, Metadata, Value};

/// Longest id accepted, in bytes.
pub const MAX_ID_LEN: usize = 1024;

/// The vectors of a batch of records.
#[derive(Debug, Clone, Copy)]
pub enum Vectors<'a> {
    /// Row-major `n × dim` values (a 2-D array), borrowed without a copy.
    Flat { data: &'a [f32], dim: usize },
    /// One slice per row, possibly of different lengths (checked row by row).
    Rows(&'a [Vec<f32>]),
}

impl<'a> Vectors<'a> {
    pub fn len(&self) -> usize {
        match self {
            Vectors::Flat { data, dim } => {
                if *dim == 0 {
                    0
                } else {
                    data.len() / dim
                }
            }
            Vectors::Rows(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn row(&self, i: usize) -> &'a [f32] {
        match *self {
            Vectors::Flat { data, dim } => &data[i * dim..(i + 1) * dim],
            Vectors::Rows(rows) => &rows[i],
        }
    }
}

/// A batch of records to write: ids, vectors and, optionally, documents and metadata (each as
/// long as `ids`).
#[derive(Debug, Clone, Copy)]
pub struct Records<'a> {
    pub ids: &'a [String],
    pub vectors: Vectors<'a>,
    pub documents: Option<&'a [Option<String>]>,
    pub metadata: Option<&'a [Metadata]>,
}

/// Checks a single query or stored vector against a collection's dimension and metric.
pub(crate) fn check_vector(v: &[f32], dim: usize, metric: Metric, what: &dyn Fn() -> String) -> Result<()> {
    if v.len() != dim {
        return Err(Error::new(
            ErrorKind::DimensionMismatch,
            format!("{} has dimension {}, the collection has dimension {dim}", what(), v.len()),
        ));
    }
    if let Some(j) = v.iter().position(|x| !x.is_finite()) {
        return Err(Error::new(
            ErrorKind::InvalidVector,
            format!("{} holds {} at position {j}", what(), v[j]),
        ));
    }
    if metric == Metric::Cosine && v.iter().all(|x| *x == 0.0) {
        return Err(Error::new(
            ErrorKind::InvalidVector,
            format!("{} is all zeros, which has no cosine distance", what()),
        ));
    }
    Ok(())
}

/// The result of validating a batch against a collection: the metadata columns it adds.
pub(crate) struct Checked {
    pub new_columns: Vec<(String, MetaType)>,
}

/// Validates a whole batch before anything is written: any bad row rejects the batch, and the
/// error names the row.
pub(crate) fn validate(records: &Records<'_>, layout: &Layout) -> Result<Checked> {
    let n = records.ids.len();
    let lens = [
        ("vectors", Some(records.vectors.len())),
        ("documents", records.documents.map(|d| d.len())),
        ("metadata", records.metadata.map(|m| m.len())),
    ];
    for (what, len) in lens {
        if let Some(len) = len {
            if len != n {
                return Err(Error::invalid_argument(format!("{n} ids but {len} {what}")));
            }
        }
    }
    if let Vectors::Flat { data, dim } = records.vectors {
        if dim != layout.dim && n > 0 {
            return Err(Error::new(
                ErrorKind::DimensionMismatch,
                format!("vectors have dimension {dim}, the collection has dimension {}", layout.dim),
            ));
        }
        if data.len() != n * dim {
            return Err(Error::invalid_argument(format!(
                "{} vector values for {n} rows of dimension {dim}",
                data.len()
            )));
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (row, id) in records.ids.iter().enumerate() {
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Err(Error::invalid_argument(format!(
                "row {row}: an id must be 1 to {MAX_ID_LEN} bytes long"
            )));
        }
        if let Some(first) = seen.insert(id.as_str(), row) {
            return Err(Error::new(
                ErrorKind::DuplicateId,
                format!("row {row}: id {id:?} repeats row {first} of the same batch"),
            ));
        }
        check_vector(records.vectors.row(row), layout.dim, layout.metric, &|| format!("row {row} (id {id:?})"))?;
    }
    let mut new_columns: Vec<(String, MetaType)> = Vec::new();
    for (row, meta) in records.metadata.unwrap_or(&[]).iter().enumerate() {
        for (key, value) in meta {
            let bad = |why: String| Error::invalid_metadata(format!("row {row} (id {:?}): {why}", records.ids[row]));
            validate_key(key).map_err(bad)?;
            let Some(t) = value.meta_type().map_err(|e| bad(format!("key {key:?}: {e}")))? else {
                continue;
            };
            let stored = layout.meta_type(key).or_else(|| new_columns.iter().find(|(k, _)| k == key).map(|(_, t)| *t));
            match stored {
                None => new_columns.push((key.clone(), t)),
                Some(s) if s == t || (s == MetaType::Float && t == MetaType::Int) => {}
                // A key first seen as int in this batch widens to float if a later row brings a float.
                Some(MetaType::Int) if t == MetaType::Float && layout.meta_type(key).is_none() => {
                    if let Some(entry) = new_columns.iter_mut().find(|(k, _)| k == key) {
                        entry.1 = MetaType::Float;
                    }
                }
                Some(s) => {
                    return Err(bad(format!("key {key:?} holds {} values, got a {}", s.name(), t.name())));
                }
            }
        }
    }
    Ok(Checked { new_columns })
}

/// Builds the Arrow batch for validated records in the collection's full schema.
/// `created_at[i]` is the creation time to store for row i; `now` is the update time.
pub(crate) fn to_batch(records: &Records<'_>, layout: &Layout, schema: SchemaRef, created_at: &[i64], now: i64) -> Result<RecordBatch> {
    let n = records.ids.len();
    let dim = layout.dim;
    let mut values = Vec::with_capacity(n * dim);
    for i in 0..n {
        values.extend_from_slice(records.vectors.row(i));
    }
    let item = Arc::new(Field::new("item", DataType::Float32, true));
    let vectors = FixedSizeListArray::try_new(item, dim as i32, Arc::new(Float32Array::from(values)), None)?;
    let documents: StringArray = match records.documents {
        Some(d) => d.iter().map(|s| s.as_deref()).collect(),
        None => StringArray::new_null(n),
    };
    let ts = |v: Vec<i64>| Arc::new(TimestampMicrosecondArray::from(v).with_timezone("UTC")) as ArrayRef;
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(records.ids.iter())),
        Arc::new(vectors),
        Arc::new(documents),
        ts(created_at.to_vec()),
        ts(vec![now; n]),
    ];
    let empty = Metadata::new();
    let meta_of = |i: usize| records.metadata.map(|m| &m[i]).unwrap_or(&empty);
    for (key, t) in &layout.meta {
        let get = |i: usize| meta_of(i).get(key).filter(|v| !matches!(v, Value::Null));
        let col: ArrayRef = match t {
            MetaType::Bool => Arc::new((0..n).map(|i| get(i).and_then(|v| match v { Value::Bool(b) => Some(*b), _ => None })).collect::<BooleanArray>()),
            MetaType::Int => Arc::new((0..n).map(|i| get(i).and_then(|v| match v { Value::Int(x) => Some(*x), _ => None })).collect::<Int64Array>()),
            MetaType::Float => Arc::new(
                (0..n)
                    .map(|i| get(i).and_then(|v| match v { Value::Float(x) => Some(*x), Value::Int(x) => Some(*x as f64), _ => None }))
                    .collect::<Float64Array>(),
            ),
            MetaType::Str => Arc::new((0..n).map(|i| get(i).and_then(|v| match v { Value::Str(s) => Some(s.as_str()), _ => None })).collect::<StringArray>()),
            MetaType::Datetime => Arc::new(
                (0..n)
                    .map(|i| get(i).and_then(|v| match v { Value::Datetime(x) => Some(*x), _ => None }))
                    .collect::<TimestampMicrosecondArray>()
                    .with_timezone("UTC"),
            ),
            MetaType::StrList => {
                let mut b = ListBuilder::new(StringBuilder::new());
                for i in 0..n {
                    match get(i) {
                        Some(Value::List(items)) => {
                            for it in items {
                                if let Value::Str(s) = it {
                                    b.values().append_value(s);
                                }
                            }
                            b.append(true);
                        }
                        _ => b.append(false),
                    }
                }
                Arc::new(b.finish())
            }
        };
        columns.push(col);
    }
    // The schema's own field types win (nullability, list item names), so cast where they differ.
    let columns = columns
        .into_iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c)
            } else {
                arrow::compute::cast(&c, f.data_type()).map_err(Error::from)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// The schema of just the given metadata columns (for adding them to a table).
pub(crate) fn meta_schema(cols: &[(String, MetaType)]) -> SchemaRef {
    Arc::new(Schema::new(
        cols.iter().map(|(k, t)| Field::new(k, schema::meta_data_type(*t), true)).collect::<Vec<_>>(),
    ))
}

/// Records read back from a collection, column-wise.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GetResult {
    pub ids: Vec<String>,
    /// Row-major `ids.len() × dim` values.
    pub vectors: Vec<f32>,
    pub dim: usize,
    pub documents: Vec<Option<String>>,
    pub metadata: Vec<Metadata>,
    /// Creation and last-update times, microseconds since the epoch (UTC).
    pub created_at: Vec<i64>,
    pub updated_at: Vec<i64>,
}

/// The nearest records to one query, closest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResult {
    pub ids: Vec<String>,
    pub distances: Vec<f32>,
    pub documents: Vec<Option<String>>,
    pub metadata: Vec<Metadata>,
}

fn column<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| Error::internal(format!("column '{name}' missing from a result")))
}

fn read_strings(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>> {
    let col = column(batch, name)?;
    let col = arrow::compute::cast(col, &DataType::Utf8)?;
    Ok(col.as_string::<i32>().iter().map(|s| s.map(str::to_owned)).collect())
}

fn read_meta(batch: &RecordBatch, layout: &Layout) -> Result<Vec<Metadata>> {
    let mut out = vec![BTreeMap::new(); batch.num_rows()];
    for (key, t) in &layout.meta {
        let Some(col) = batch.column_by_name(key) else { continue };
        for (row, m) in out.iter_mut().enumerate() {
            if col.is_null(row) {
                continue;
            }
            let v = match t {
                MetaType::Bool => Value::Bool(col.as_boolean().value(row)),
                MetaType::Int => Value::Int(col.as_primitive::<Int64Type>().value(row)),
                MetaType::Float => Value::Float(col.as_primitive::<Float64Type>().value(row)),
                MetaType::Str => Value::Str(col.as_string::<i32>().value(row).to_owned()),
                MetaType::Datetime => Value::Datetime(col.as_primitive::<TimestampMicrosecondType>().value(row)),
                MetaType::StrList => {
                    let items = col.as_list::<i32>().value(row);
                    Value::List(items.as_string::<i32>().iter().map(|s| Value::Str(s.unwrap_or("").to_owned())).collect())
                }
            };
            m.insert(key.clone(), v);
        }
    }
    Ok(out)
}

fn read_timestamps(batch: &RecordBatch, name: &str) -> Result<Vec<i64>> {
    Ok(column(batch, name)?.as_primitive::<TimestampMicrosecondType>().values().to_vec())
}

/// The columns a read of `include` needs, id first.
pub(crate) fn payload_columns(layout: &Layout, include: Include) -> Vec<String> {
    let mut cols = vec![schema::ID.to_string()];
    if include.documents {
        cols.push(schema::DOCUMENT.to_string());
    }
    if include.metadata {
        cols.extend(layout.meta.iter().map(|(k, _)| k.clone()));
    }
    cols
}

/// The ids, documents and metadata of a batch read with [`payload_columns`] (a part not
/// included reads as `None` / empty).
pub(crate) fn read_payload(
    batch: &RecordBatch,
    layout: &Layout,
    include: Include,
) -> Result<Vec<(String, Option<String>, Metadata)>> {
    let ids = read_ids(batch)?;
    let docs = if include.documents { read_strings(batch, schema::DOCUMENT)? } else { vec![None; ids.len()] };
    let metas = if include.metadata { read_meta(batch, layout)? } else { vec![Metadata::new(); ids.len()] };
    Ok(ids.into_iter().zip(docs).zip(metas).map(|((id, d), m)| (id, d, m)).collect())
}

/// The `id` column of a batch.
pub(crate) fn read_ids(batch: &RecordBatch) -> Result<Vec<String>> {
    Ok(read_strings(batch, schema::ID)?.into_iter().map(Option::unwrap_or_default).collect())
}

impl GetResult {
    /// Appends the ids and vectors of a batch (other columns are not read).
    pub(crate) fn append_ids_and_vectors(&mut self, batch: &RecordBatch, layout: &Layout) -> Result<()> {
        self.dim = layout.dim;
        self.ids.extend(read_ids(batch)?);
        let vectors = column(batch, schema::VECTOR)?.as_fixed_size_list();
        let values = vectors.values().as_primitive::<Float32Type>();
        let start = vectors.offset() * layout.dim;
        self.vectors.extend_from_slice(&values.values()[start..start + vectors.len() * layout.dim]);
        Ok(())
    }

    pub(crate) fn append(&mut self, batch: &RecordBatch, layout: &Layout) -> Result<()> {
        self.append_ids_and_vectors(batch, layout)?;
        self.documents.extend(read_strings(batch, schema::DOCUMENT)?);
        self.metadata.extend(read_meta(batch, layout)?);
        self.created_at.extend(read_timestamps(batch, schema::CREATED_AT)?);
        self.updated_at.extend(read_timestamps(batch, schema::UPDATED_AT)?);
        Ok(())
    }

    /// Puts the rows in the order of `ids`, dropping those not found.
    pub(crate) fn reorder(self, ids: &[String]) -> GetResult {
        let pos: HashMap<&str, usize> = self.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let mut out = GetResult { dim: self.dim, ..Default::default() };
        for id in ids {
            if let Some(&i) = pos.get(id.as_str()) {
                out.ids.push(self.ids[i].clone());
                out.vectors.extend_from_slice(&self.vectors[i * self.dim..(i + 1) * self.dim]);
                out.documents.push(self.documents[i].clone());
                out.metadata.push(self.metadata[i].clone());
                out.created_at.push(self.created_at[i]);
                out.updated_at.push(self.updated_at[i]);
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl SearchResult {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Which parts of each hit a search returns besides its id and distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Include {
    pub documents: bool,
    pub metadata: bool,
}

impl Include {
    /// Documents and metadata: what a search returns by default.
    pub const ALL: Include = Include { documents: true, metadata: true };
    /// Ids and distances only.
    pub const NONE: Include = Include { documents: false, metadata: false };

    /// The parts named, as Chroma users write them: `"documents"`, `"metadata"` (or
    /// `"metadatas"`); `"distances"` is accepted and changes nothing, since distances are always
    /// returned. Anything else is an [`ErrorKind::InvalidArgument`](crate::ErrorKind).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Include> {
        let mut out = Include::NONE;
        for name in names {
            match name.as_ref() {
                "documents" => out.documents = true,
                "metadata" | "metadatas" => out.metadata = true,
                "distances" => {}
                "embeddings" | "vectors" => {
                    return Err(Error::invalid_argument(
                        "a search does not return vectors: read them with get(ids) (include takes \"documents\", \"metadata\", \"distances\")",
                    ))
                }
                other => {
                    return Err(Error::invalid_argument(format!(
                        "unknown include {other:?}: expected \"documents\", \"metadata\" or \"distances\""
                    )))
                }
            }
        }
        Ok(out)
    }

    /// What a binding's `ids_only` flag and `include` list (`None`: not given) ask for together:
    /// `ids_only` is [`Include::NONE`]; both at once is an error unless `include` is empty.
    pub fn resolve<S: AsRef<str>>(ids_only: bool, include: Option<&[S]>) -> Result<Include> {
        match (ids_only, include) {
            (false, None) => Ok(Include::ALL),
            (true, None) => Ok(Include::NONE),
            (false, Some(names)) => Include::from_names(names),
            (true, Some(names)) => match Include::from_names(names)? {
                i if i.any() => Err(Error::invalid_argument("ids_only=True returns no documents or metadata: give ids_only or include, not both")),
                i => Ok(i),
            },
        }
    }

    /// Whether the search returns anything besides ids and distances.
    pub fn any(&self) -> bool {
        self.documents || self.metadata
    }
}

impl Default for Include {
    fn default() -> Self {
        Include::ALL
    }
}
