//! The objects behind the handles. Results hold their strings already NUL-terminated, so the
//! accessors hand out pointers into them without allocating; the pointers live as long as the
//! object (until its free call).

use std::ffi::c_char;

use agentdb_engine::{Collection, Database, GetResult, Metadata, SearchResult, Value};

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

pub(crate) struct DbObj {
    pub db: Database,
}

pub(crate) struct CollectionObj {
    pub collection: Collection,
    pub name: Text,
}

impl CollectionObj {
    pub fn new(collection: Collection) -> CollectionObj {
        let name = Text::new(collection.name());
        CollectionObj { collection, name }
    }
}

/// The hits of one query.
pub(crate) struct Hits {
    pub ids: Vec<Text>,
    pub distances: Vec<f32>,
    pub documents: Vec<Option<Text>>,
    pub metadata: Vec<Text>,
}

impl Hits {
    pub fn new(r: &SearchResult) -> Hits {
        Hits {
            ids: r.ids.iter().map(|s| Text::new(s)).collect(),
            distances: r.distances.clone(),
            documents: r.documents.iter().map(|d| d.as_deref().map(Text::new)).collect(),
            metadata: r.metadata.iter().map(metadata_json).collect(),
        }
    }
}

pub(crate) struct ResultsObj {
    pub queries: Vec<Hits>,
}

pub(crate) struct RecordsObj {
    pub ids: Vec<Text>,
    /// Row-major `ids.len() × dim`, as the engine returned them.
    pub vectors: Vec<f32>,
    pub dim: usize,
    pub documents: Vec<Option<Text>>,
    pub metadata: Vec<Text>,
    pub created_at: Vec<i64>,
    pub updated_at: Vec<i64>,
}

impl RecordsObj {
    pub fn new(r: GetResult) -> RecordsObj {
        RecordsObj {
            ids: r.ids.iter().map(|s| Text::new(s)).collect(),
            documents: r.documents.iter().map(|d| d.as_deref().map(Text::new)).collect(),
            metadata: r.metadata.iter().map(metadata_json).collect(),
            vectors: r.vectors,
            dim: r.dim,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(crate) struct StringsObj {
    pub items: Vec<Text>,
}
