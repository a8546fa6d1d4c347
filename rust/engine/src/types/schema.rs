//! How a collection is laid out in its Lance table: fixed columns, one typed column per metadata
//! key, and the collection's settings in the table's schema metadata.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::error::{Error, ErrorKind, Result};
use crate::types::text::TextTokenizer;
use crate::types::value::{MetaType, RESERVED_KEYS};

pub const ID: &str = "id";
pub const VECTOR: &str = "vector";
pub const DOCUMENT: &str = "document";
pub const CREATED_AT: &str = "created_at";
pub const UPDATED_AT: &str = "updated_at";

const META_METRIC: &str = "agentdb.metric";
const META_FORMAT: &str = "agentdb.format";
/// The full-text tokenizer ([`TextTokenizer::name`]); absent: the default (`simple`).
pub(crate) const META_TOKENIZER: &str = "agentdb.text_tokenizer";
const FORMAT_VERSION: &str = "1";

pub const MAX_NAME_LEN: usize = 128;
/// Largest vector dimension a collection accepts (Lance's fixed-size lists are i32-sized; this is
/// far above any embedding model's output).
pub const MAX_DIM: usize = 65_536;

/// How vectors are compared. Distances follow Lance's conventions, smaller is closer:
/// cosine → `1 - cos(a, b)`, l2 → squared Euclidean distance, dot → `1 - a·b`.
/// A collection created without a metric uses cosine ([`Metric::default`]), the metric text
/// embeddings are trained for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Metric {
    #[default]
    Cosine,
    L2,
    Dot,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::Cosine, Metric::L2, Metric::Dot];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::L2 => "l2",
            Metric::Dot => "dot",
        }
    }
}

impl std::str::FromStr for Metric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.parse::<crate::kernels::Metric>()? {
            crate::kernels::Metric::Cosine => Metric::Cosine,
            crate::kernels::Metric::L2 => Metric::L2,
            crate::kernels::Metric::Dot => Metric::Dot,
        })
    }
}

/// A collection name becomes a directory name: 1–128 characters of ASCII letters, digits, `_`
/// and `-`, starting with a letter, digit or `_`. So no separator, no `..`, nothing hidden.
pub fn validate_collection_name(name: &str) -> Result<()> {
    let fail = |why: &str| Err(Error::new(ErrorKind::InvalidName, format!("invalid collection name {name:?}: {why}")));
    if name.is_empty() {
        return fail("it is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return fail("it is longer than 128 characters");
    }
    if !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
        return fail("only ASCII letters, digits, '_' and '-' are allowed");
    }
    if name.starts_with('-') {
        return fail("it must not start with '-'");
    }
    Ok(())
}

pub(crate) fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

pub(crate) fn vector_type(dim: usize) -> DataType {
    DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, true)), dim as i32)
}

pub(crate) fn meta_data_type(t: MetaType) -> DataType {
    match t {
        MetaType::Bool => DataType::Boolean,
        MetaType::Int => DataType::Int64,
        MetaType::Float => DataType::Float64,
        MetaType::Str => DataType::Utf8,
        MetaType::Datetime => timestamp_type(),
        MetaType::StrList => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
    }
}

/// The metadata type a stored column holds, if it is one the engine writes.
pub(crate) fn meta_type_of(dt: &DataType) -> Option<MetaType> {
    Some(match dt {
        DataType::Boolean => MetaType::Bool,
        DataType::Int64 => MetaType::Int,
        DataType::Float64 => MetaType::Float,
        DataType::Utf8 => MetaType::Str,
        DataType::Timestamp(TimeUnit::Microsecond, _) => MetaType::Datetime,
        DataType::List(f) if f.data_type() == &DataType::Utf8 => MetaType::StrList,
        _ => return None,
    })
}

/// The schema of a new, empty collection (metadata columns are added as keys appear).
pub(crate) fn new_collection_schema(dim: usize, metric: Metric) -> SchemaRef {
    let fields = vec![
        Field::new(ID, DataType::Utf8, false),
        Field::new(VECTOR, vector_type(dim), false),
        Field::new(DOCUMENT, DataType::Utf8, true),
        Field::new(CREATED_AT, timestamp_type(), false),
        Field::new(UPDATED_AT, timestamp_type(), false),
    ];
    let meta = HashMap::from([
        (META_METRIC.to_string(), metric.as_str().to_string()),
        (META_FORMAT.to_string(), FORMAT_VERSION.to_string()),
    ]);
    Arc::new(Schema::new_with_metadata(fields, meta))
}

/// What the engine knows about a stored collection, read back from its schema.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub dim: usize,
    pub metric: Metric,
    /// Metadata columns in schema order.
    pub meta: Vec<(String, MetaType)>,
    /// The full-text tokenizer (schema metadata [`META_TOKENIZER`]).
    pub tokenizer: TextTokenizer,
}

impl Layout {
    pub fn from_schema(name: &str, schema: &Schema) -> Result<Layout> {
        let not_ours = |why: String| {
            Error::storage(format!("table '{name}' is not an AgentDB collection: {why}"))
        };
        let metric = schema
            .metadata()
            .get(META_METRIC)
            .ok_or_else(|| not_ours("no metric in its schema".into()))?
            .parse::<Metric>()
            .map_err(|e| not_ours(e.to_string()))?;
        let dim = match schema.field_with_name(VECTOR).map(|f| f.data_type()) {
            Ok(DataType::FixedSizeList(item, dim)) if item.data_type() == &DataType::Float32 => *dim as usize,
            _ => return Err(not_ours("no fixed-size float32 'vector' column".into())),
        };
        let mut meta = Vec::new();
        for f in schema.fields() {
            if RESERVED_KEYS.contains(&f.name().as_str()) {
                continue;
            }
            let t = meta_type_of(f.data_type())
                .ok_or_else(|| not_ours(format!("column '{}' has unsupported type {}", f.name(), f.data_type())))?;
            meta.push((f.name().clone(), t));
        }
        let tokenizer = match schema.metadata().get(META_TOKENIZER) {
            Some(t) => TextTokenizer::parse(t).map_err(|e| not_ours(e.to_string()))?,
            None => TextTokenizer::default(),
        };
        Ok(Layout { dim, metric, meta, tokenizer })
    }

    pub fn meta_type(&self, key: &str) -> Option<MetaType> {
        self.meta.iter().find(|(k, _)| k == key).map(|(_, t)| *t)
    }
}
