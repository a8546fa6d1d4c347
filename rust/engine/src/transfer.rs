//! Moving a store's data out of a database and into one: export to a JSONL or a Parquet file,
//! import from either. Here, above the stores, because a file names its store by kind
//! (collection, memory store, RAG store), which the layers below do not know.
//!
//! # The JSONL file
//! Line 1 is a header object; each further line one record:
//!
//! ```text
//! {"format":"agentdb-export","format_version":1,"kind":"collection","name":"docs","dim":3,"metric":"l2",
//!  "records":2,"index":{"kind":"hnsw","m":16,"ef_construction":200,"quantization":"none"},
//!  "text_tokenizer":"simple","agentdb_version":"0.1.0","exported_at_us":1733500000000000}
//! {"id":"a","vector":[1.0,0.0,0.0],"document":"first","metadata":{"lang":"en"},"created_at_us":1733400000000000}
//! ```
//!
//! Vectors are written as the decimal of each float32 (widened to float64, which prints the
//! shortest text that reads back to the same float64) and read with the engine's exact number
//! parser, so an import restores them bit for bit;
//! metadata as the engine's JSON (datetimes `{"$datetime": "…"}`). A memory or RAG store is its
//! hidden collection's rows: memories keep their agent, session, kind, importance and access
//! statistics, chunks their document ids and positions. Creation times are kept; update times
//! become the import's. `text_tokenizer` is the store's full-text tokenizer (a memory store's
//! BM25 index, a collection's or RAG store's text search), set on the imported store; a file
//! without it (written before it was carried) imports with the default.
//!
//! # The Parquet file
//! An export path ending in `.parquet` is written as Parquet instead (see [`parquet_file`]): the
//! same header, as the file's key-value metadata under `agentdb-export`, and the same records as
//! columns `id`, `vector` (fixed-size list of float32: exact by construction), `document`,
//! `metadata` (the engine's JSON text, as in the JSONL file) and `created_at_us`, so DuckDB,
//! Polars or pyarrow read an export as a table. Import tells the two apart by the file's first
//! bytes (Parquet's `PAR1`), not by its name.
//!
//! The agent state (kind `state`) is exported as its operations (see `state::transfer`): one
//! JSON object per JSONL line, or in Parquet one row per operation in a table whose columns are
//! the union of the operations' fields, null where an operation has none (see [`state_parquet`]).
//!
//! Export reads every record as of one Lance version (writers go on meanwhile). Import creates
//! the store (it must not exist), writes it in batches, and on any error drops what it created,
//! so a failed import leaves nothing behind.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use crate::collection::Collection;
use crate::db::Database;
use crate::error::{Error, ErrorKind, Result};
use crate::index::index_file;
use crate::memory::MEMORY_COLLECTION_PREFIX;
use crate::rag::RAG_COLLECTION_PREFIX;
use crate::types::records::{Records, Vectors};
use crate::types::schema::Metric;
use crate::types::value::{parse_json, Metadata, Value};

/// The header's `format` and `format_version`.
pub const EXPORT_FORMAT: &str = "agentdb-export";
pub const EXPORT_FORMAT_VERSION: i64 = 1;
/// Records per import commit.
pub(crate) const IMPORT_BATCH: usize = 2048;

/// The kinds of store a file can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Collection,
    Memory,
    Rag,
    /// The database's agent state (one per database, named `state`).
    State,
}

/// The name an agent-state export goes by (a database has one agent state).
pub const STATE_STORE_NAME: &str = "state";
/// State records per import commit (one log record each; checkpoints can be large).
const STATE_IMPORT_BATCH: usize = 512;

impl StoreKind {
    pub const ALL: [StoreKind; 4] = [StoreKind::Collection, StoreKind::Memory, StoreKind::Rag, StoreKind::State];

    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Collection => "collection",
            StoreKind::Memory => "memory",
            StoreKind::Rag => "rag",
            StoreKind::State => "state",
        }
    }

    /// The Lance table behind store `name` of this kind.
    fn table_name(self, name: &str) -> String {
        match self {
            StoreKind::Collection => name.to_owned(),
            StoreKind::Memory => format!("{MEMORY_COLLECTION_PREFIX}{name}"),
            StoreKind::Rag => format!("{RAG_COLLECTION_PREFIX}{name}"),
            // Not one table (see `store_kind`); the versions table stands for it.
            StoreKind::State => crate::state::STATE_TABLES[0].to_owned(),
        }
    }
}

impl std::str::FromStr for StoreKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<StoreKind> {
        StoreKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            Error::invalid_argument(format!("unknown store kind {s:?}: expected collection, memory, rag or state"))
        })
    }
}

/// What an export or an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferReport {
    pub kind: StoreKind,
    /// The store's name (for an import: the name it was created under).
    pub name: String,
    pub records: u64,
}

impl TransferReport {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "kind": self.kind.as_str(), "name": self.name, "records": self.records })
    }
}

/// Progress of a long export or import: `(records done, records in all)`.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

fn io_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::storage(format!("{}: {e}", path.display()))
}

fn bad_file(path: &Path, line: usize, what: impl std::fmt::Display) -> Error {
    Error::invalid_argument(format!("{} line {line}: {what}", path.display()))
}

impl Database {
    /// The kind of the store called `name`, when exactly one store (collection, memory store,
    /// RAG store, or the agent state under the name `state`) has that name.
    pub fn store_kind(&self, name: &str) -> Result<StoreKind> {
        let tables = self.all_collection_names()?;
        let found: Vec<StoreKind> = StoreKind::ALL
            .into_iter()
            .filter(|k| match k {
                // "state" names the agent state once it holds anything (written or only logged).
                StoreKind::State => name == STATE_STORE_NAME && self.state().and_then(|s| s.is_empty()).is_ok_and(|empty| !empty),
                k => tables.contains(&k.table_name(name)),
            })
            .collect();
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::new(ErrorKind::CollectionNotFound, format!("no collection, memory store, RAG store or agent state is named '{name}'"))),
            many => Err(Error::invalid_argument(format!(
                "'{name}' names a store of each of these kinds: {}; say which",
                many.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// Writes store `name` (of `kind`; `None`: whichever kind has that name) to the file `path`
    /// (created or replaced): Parquet when its name ends in `.parquet`, else JSONL. See the
    /// module comment for the formats.
    pub fn export_store(&self, name: &str, kind: Option<StoreKind>, path: &Path, progress: Progress<'_>) -> Result<TransferReport> {
        self.ensure_open()?;
        let kind = match kind {
            Some(k) => k,
            None => self.store_kind(name)?,
        };
        if kind == StoreKind::State {
            return self.export_state(name, path, progress);
        }
        let c = self.get_collection_any(&kind.table_name(name)).map_err(|e| {
            if e.kind() == ErrorKind::CollectionNotFound {
                Error::new(ErrorKind::CollectionNotFound, format!("no {} is named '{name}'", kind.as_str()))
            } else {
                e
            }
        })?;
        let total = c.count(None)?;
        let index = match c.index_params()? {
            Some(p) => serde_json::from_str::<serde_json::Value>(&index_file::params_json(p)).map_err(|e| Error::internal(e.to_string()))?,
            None => serde_json::Value::Null,
        };
        let header = serde_json::json!({
            "format": EXPORT_FORMAT,
            "format_version": EXPORT_FORMAT_VERSION,
            "kind": kind.as_str(),
            "name": name,
            "dim": c.dim(),
            "metric": c.metric().as_str(),
            "records": total,
            "index": index,
            "text_tokenizer": c.text_tokenizer().name(),
            "agentdb_version": env!("CARGO_PKG_VERSION"),
            "exported_at_us": crate::util::time::now_micros(),
        });
        // Written beside the target and renamed over it when complete: a reader never sees half
        // a file, and a failed export leaves the old file.
        let tmp = path.with_extension("agentdb-export-part");
        let file = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
        let result = if is_parquet_path(path) {
            parquet_file::write(file, &tmp, &header, &c, total, progress)
        } else {
            write_jsonl(file, &tmp, &header, &c, total, progress)
        };
        match result {
            Ok(records) => {
                std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
                Ok(TransferReport { kind, name: name.to_owned(), records })
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Creates a store from the export `path` (JSONL or Parquet, told apart by content; see the
    /// module comment), named as in the file
    /// or `rename`. The store must not exist (`CollectionExists`); a collection's index is built
    /// again with the file's parameters. On any error (a bad line, a wrong dimension) the store
    /// is dropped again: nothing of a failed import stays.
    pub fn import_store(&self, path: &Path, rename: Option<&str>, progress: Progress<'_>) -> Result<TransferReport> {
        self.ensure_open()?;
        // The header (the first line, or the Parquet file's metadata), then the records.
        let (header_text, source) = if parquet_file::is_parquet_file(path)? {
            let reader = parquet_file::open(path)?;
            (reader.header_text.clone(), Source::Parquet(reader))
        } else {
            let file = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
            let mut lines = BufReader::new(file).lines();
            let first = lines.next().ok_or_else(|| bad_file(path, 1, "empty file"))?.map_err(|e| io_err(path, e))?;
            (first, Source::Jsonl(lines))
        };
        let header = parse_json(&header_text).map_err(|e| bad_file(path, 1, format!("the header is not JSON ({})", e.message())))?;
        if header.get("format").and_then(|v| v.as_str()) != Some(EXPORT_FORMAT) {
            return Err(bad_file(path, 1, format!("not an AgentDB export (no \"format\": \"{EXPORT_FORMAT}\")")));
        }
        match header.get("format_version").and_then(|v| v.as_i64()) {
            Some(EXPORT_FORMAT_VERSION) => {}
            other => return Err(bad_file(path, 1, format!("format_version {other:?}: this AgentDB reads {EXPORT_FORMAT_VERSION}"))),
        }
        let field = |k: &str| header.get(k).ok_or_else(|| bad_file(path, 1, format!("the header has no \"{k}\"")));
        let kind: StoreKind = field("kind")?.as_str().unwrap_or("").parse()?;
        if kind == StoreKind::State {
            let total = header.get("records").and_then(|v| v.as_u64()).unwrap_or(0);
            return self.import_state(path, rename, source, total, progress);
        }
        let name = match rename {
            Some(n) => n.to_owned(),
            None => field("name")?.as_str().ok_or_else(|| bad_file(path, 1, "\"name\" is not a string"))?.to_owned(),
        };
        let dim = field("dim")?.as_u64().ok_or_else(|| bad_file(path, 1, "\"dim\" is not a number"))? as usize;
        let metric: Metric = field("metric")?.as_str().unwrap_or("").parse()?;
        let total = header.get("records").and_then(|v| v.as_u64()).unwrap_or(0);
        let index = match header.get("index") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(index_file::parse_params(path, &v.to_string())?),
        };
        // The store's full-text tokenizer (files written before it was carried have none: the
        // default). Checked before anything is created.
        let tokenizer = match header.get("text_tokenizer") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(
                v.as_str()
                    .ok_or_else(|| bad_file(path, 1, "\"text_tokenizer\" is not a string"))?
                    .parse::<crate::types::text::TextTokenizer>()
                    .map_err(|e| bad_file(path, 1, e.message()))?,
            ),
        };
        let table = kind.table_name(&name);
        // Each kind's own name rules first (the hidden table's name alone is laxer).
        let c = match kind {
            StoreKind::Collection => self.create_collection(&name, dim, metric)?,
            StoreKind::Memory => {
                crate::memory::validate_store_name(&name)?;
                self.create_collection_any(&table, dim, metric)?
            }
            StoreKind::Rag => self.create_collection_any(&crate::rag::collection_name(&name)?, dim, metric)?,
            // Handed to import_state above; a state header never reaches here.
            StoreKind::State => return Err(Error::internal("an agent-state export reached the store import")),
        };
        let written = (|| -> Result<u64> {
            // Set on the empty collection, before any record: a memory store opened afterwards
            // indexes its texts with it, a collection or RAG store builds its text index with it.
            if let Some(t) = tokenizer {
                c.set_text_tokenizer(t)?;
            }
            let mut done = 0u64;
            let mut batch = Batch::default();
            // The record's own kind of error (a wrong dimension, bad metadata), located.
            let locate = |e: Error, at: String| Error::new(e.kind(), format!("{} {at}: {}", path.display(), e.message()));
            let mut full = |batch: &mut Batch, done: &mut u64| -> Result<()> {
                if batch.ids.len() >= IMPORT_BATCH {
                    *done += batch.write(&c)?;
                    crate::util::cancel::check()?;
                    progress(*done, total.max(*done));
                }
                Ok(())
            };
            match source {
                Source::Jsonl(lines) => {
                    for (i, line) in lines.enumerate() {
                        let line = line.map_err(|e| io_err(path, e))?;
                        if line.trim().is_empty() {
                            continue;
                        }
                        batch.push_json(&line, dim).map_err(|e| locate(e, format!("line {}", i + 2)))?;
                        full(&mut batch, &mut done)?;
                    }
                }
                Source::Parquet(reader) => {
                    reader.for_each_row(path, dim, &mut |number, row| {
                        let metadata = parse_json(row.metadata)
                            .map_err(|e| Error::new(ErrorKind::InvalidMetadata, format!("\"metadata\" is not JSON ({})", e.message())))
                            .and_then(|m| metadata_from_json(Some(&m), row.id));
                        let pushed = metadata.and_then(|m| {
                            batch.push(row.id.to_owned(), row.vector, row.document.map(str::to_owned), m, row.created_at_us, dim)
                        });
                        pushed.map_err(|e| locate(e, format!("row {number}")))?;
                        full(&mut batch, &mut done)
                    })?;
                }
            }
            crate::util::cancel::check()?;
            done += batch.write(&c)?;
            progress(done, total.max(done));
            if let Some(p) = index {
                c.create_index(p)?;
            }
            Ok(done)
        })();
        match written {
            Ok(records) => Ok(TransferReport { kind, name, records }),
            Err(e) => {
                drop(c);
                let _ = self.drop_collection_any(&table);
                Err(e)
            }
        }
    }
}

/// Where [`Database::import_lance_table`] reads, and how its columns map onto records.
#[derive(Debug, Clone)]
pub struct LanceImport {
    /// The LanceDB database: a directory (what `lancedb.connect(uri)` takes).
    pub uri: String,
    pub table: String,
    /// The collection to create (`None`: the table's name).
    pub name: Option<String>,
    /// The column of record ids (strings, or integers written as text).
    pub id_column: String,
    /// The column of vectors: a fixed-size or variable list of floats.
    pub vector_column: String,
    /// The column of documents, if any.
    pub text_column: Option<String>,
    /// The columns that become metadata keys (`None`: every other column).
    pub metadata_columns: Option<Vec<String>>,
    pub metric: Metric,
}

impl LanceImport {
    /// LanceDB's usual column names: `id`, `vector`, and `text` as the document when present.
    pub fn new(uri: &str, table: &str) -> LanceImport {
        LanceImport {
            uri: uri.to_owned(),
            table: table.to_owned(),
            name: None,
            id_column: schema_names::ID.to_owned(),
            vector_column: schema_names::VECTOR.to_owned(),
            text_column: None,
            metadata_columns: None,
            metric: Metric::default(),
        }
    }
}

use crate::types::schema as schema_names;

impl Database {
    /// Creates a collection from a table of another LanceDB database (any LanceDB or Lance
    /// writer's table): ids, vectors and documents from the named columns, every other column
    /// as a metadata key (names must be valid metadata keys). All or nothing, like
    /// [`Database::import_store`].
    pub fn import_lance_table(&self, opts: &LanceImport, progress: Progress<'_>) -> Result<TransferReport> {
        use arrow_schema::{DataType, Field, Schema};
        use futures::TryStreamExt;
        use lancedb::query::ExecutableQuery;

        use crate::storage::runtime::block_on;
        use crate::types::arrow_in::OwnedRecords;

        self.ensure_open()?;
        let conn = block_on(lancedb::connect(&opts.uri).execute())?;
        let table = block_on(conn.open_table(&opts.table).execute()).map_err(|e| match e {
            lancedb::Error::TableNotFound { .. } => {
                Error::new(ErrorKind::CollectionNotFound, format!("no table '{}' in the LanceDB database {}", opts.table, opts.uri))
            }
            e => e.into(),
        })?;
        let schema = block_on(table.schema())?;
        let missing = |c: &str| Error::invalid_argument(format!("table '{}' has no column '{c}'", opts.table));
        let vector_field = schema.field_with_name(&opts.vector_column).map_err(|_| missing(&opts.vector_column))?;
        schema.field_with_name(&opts.id_column).map_err(|_| missing(&opts.id_column))?;
        let text_column = match &opts.text_column {
            Some(t) => {
                schema.field_with_name(t).map_err(|_| missing(t))?;
                Some(t.clone())
            }
            None => None,
        };
        let dim = match vector_field.data_type() {
            DataType::FixedSizeList(_, n) if *n > 0 => *n as usize,
            other => {
                return Err(Error::invalid_argument(format!(
                    "column '{}' is {other}, not a fixed-size list of floats (a vector column)",
                    opts.vector_column
                )))
            }
        };
        // The table's columns under the names the engine's Arrow reader takes.
        let rename = |name: &str| -> String {
            if name == opts.id_column {
                schema_names::ID.to_owned()
            } else if name == opts.vector_column {
                schema_names::VECTOR.to_owned()
            } else if text_column.as_deref() == Some(name) {
                schema_names::DOCUMENT.to_owned()
            } else {
                name.to_owned()
            }
        };
        if let Some(cols) = &opts.metadata_columns {
            for col in cols {
                schema.field_with_name(col).map_err(|_| missing(col))?;
            }
        }
        let keep = |name: &str| {
            name == opts.id_column
                || name == opts.vector_column
                || text_column.as_deref() == Some(name)
                || opts.metadata_columns.as_ref().is_none_or(|cols| cols.iter().any(|c| c == name))
        };
        let kept: Vec<usize> = (0..schema.fields().len()).filter(|&i| keep(schema.field(i).name())).collect();
        let renamed = std::sync::Arc::new(Schema::new(
            kept.iter().map(|&i| {
                let f = schema.field(i);
                Field::new(rename(f.name()), f.data_type().clone(), true)
            }).collect::<Vec<_>>(),
        ));
        let total = block_on(table.count_rows(None))? as u64;
        let name = opts.name.clone().unwrap_or_else(|| opts.table.clone());
        let c = self.create_collection(&name, dim, opts.metric)?;
        let written = (|| -> Result<u64> {
            let mut stream = Box::pin(block_on(table.query().execute())?);
            let mut done = 0u64;
            // One batch at a time (each write runs the engine's runtime itself).
            while let Some(batch) = block_on(stream.try_next())? {
                let columns = kept.iter().map(|&i| batch.column(i).clone()).collect();
                let batch = arrow_array::RecordBatch::try_new(renamed.clone(), columns)?;
                let mut owned = OwnedRecords::default();
                owned.extend_from_arrow(&batch)?;
                let now = crate::util::time::now_micros();
                c.add_with_created(&owned.as_records(), &vec![now; owned.ids.len()])?;
                done += owned.ids.len() as u64;
                crate::util::cancel::check()?;
                progress(done, total.max(done));
            }
            Ok(done)
        })();
        match written {
            Ok(records) => Ok(TransferReport { kind: StoreKind::Collection, name, records }),
            Err(e) => {
                drop(c);
                let _ = self.drop_collection_any(&name);
                Err(e)
            }
        }
    }
}

impl Database {
    /// Writes the agent state to the file `path`: the header, then one record per stored row as
    /// the operation that wrote it (see `state::transfer`) — JSONL lines, or for a `.parquet`
    /// path the rows of one table (see [`state_parquet`]). Read as of one moment.
    fn export_state(&self, name: &str, path: &Path, progress: Progress<'_>) -> Result<TransferReport> {
        if name != STATE_STORE_NAME {
            return Err(Error::invalid_argument(format!("the agent state is exported under the name '{STATE_STORE_NAME}', not '{name}'")));
        }
        let ops = self.state()?.export_ops()?;
        let total = ops.len() as u64;
        let header = serde_json::json!({
            "format": EXPORT_FORMAT,
            "format_version": EXPORT_FORMAT_VERSION,
            "kind": StoreKind::State.as_str(),
            "name": STATE_STORE_NAME,
            "records": total,
            "agentdb_version": env!("CARGO_PKG_VERSION"),
            "exported_at_us": crate::util::time::now_micros(),
        });
        let tmp = path.with_extension("agentdb-export-part");
        let result = (|| -> Result<()> {
            let file = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
            if is_parquet_path(path) {
                return state_parquet::write(file, &tmp, &header, &ops, progress);
            }
            let mut out = BufWriter::new(file);
            writeln!(out, "{header}").map_err(|e| io_err(&tmp, e))?;
            for (i, op) in ops.iter().enumerate() {
                writeln!(out, "{op}").map_err(|e| io_err(&tmp, e))?;
                if (i + 1) % IMPORT_BATCH == 0 {
                    crate::util::cancel::check()?;
                    progress(i as u64 + 1, total);
                }
            }
            progress(total, total);
            let file = out.into_inner().map_err(|e| io_err(&tmp, e.error()))?;
            file.sync_all().map_err(|e| io_err(&tmp, e))
        })();
        match result {
            Ok(()) => {
                std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
                Ok(TransferReport { kind: StoreKind::State, name: STATE_STORE_NAME.to_owned(), records: total })
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Rebuilds the agent state from an agent-state export, into a database whose agent state
    /// is empty (else `CollectionExists`). In batches, each logged and durable; on any error what
    /// was imported is removed again.
    fn import_state(&self, path: &Path, rename: Option<&str>, source: Source, total: u64, progress: Progress<'_>) -> Result<TransferReport> {
        if let Some(n) = rename.filter(|n| *n != STATE_STORE_NAME) {
            return Err(Error::invalid_argument(format!("a database has one agent state: it cannot be imported under the name '{n}'")));
        }
        let state = self.state()?;
        if !state.is_empty()? {
            return Err(Error::new(ErrorKind::CollectionExists, "the database's agent state is not empty: an agent-state export imports only into an empty one"));
        }
        let (mut agents, mut threads) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
        let result = (|| -> Result<u64> {
            let mut done = 0u64;
            let mut batch = Vec::new();
            // Every record, JSONL line or Parquet row, as the same JSON operation object.
            let mut add = |at: String, v: serde_json::Value| -> Result<()> {
                let (agent, thread) = crate::state::op_owner(&v);
                agents.extend(agent.map(str::to_owned));
                threads.extend(thread.map(str::to_owned));
                batch.push((at, v));
                if batch.len() >= STATE_IMPORT_BATCH {
                    done += import_state_batch(&state, path, &mut batch)?;
                    crate::util::cancel::check()?;
                    progress(done, total.max(done));
                }
                Ok(())
            };
            match source {
                Source::Jsonl(lines) => {
                    for (i, line) in lines.enumerate() {
                        let line = line.map_err(|e| io_err(path, e))?;
                        if line.trim().is_empty() {
                            continue;
                        }
                        let v = parse_json(&line).map_err(|e| bad_file(path, i + 2, format!("not JSON ({})", e.message())))?;
                        add(format!("line {}", i + 2), v)?;
                    }
                }
                Source::Parquet(reader) => state_parquet::for_each_op(reader, path, &mut |number, v| add(format!("row {number}"), v))?,
            }
            done += import_state_batch(&state, path, &mut batch)?;
            progress(done, total.max(done));
            Ok(done)
        })();
        match result {
            Ok(records) => Ok(TransferReport { kind: StoreKind::State, name: STATE_STORE_NAME.to_owned(), records }),
            Err(e) => {
                let agents: Vec<String> = agents.into_iter().collect();
                let threads: Vec<String> = threads.into_iter().collect();
                let _ = state.purge_imported(&agents, &threads);
                Err(e)
            }
        }
    }
}

/// Imports one batch of state records (`(where in the file, record)`), emptying it.
fn import_state_batch(state: &crate::state::State, path: &Path, batch: &mut Vec<(String, serde_json::Value)>) -> Result<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    let first = batch[0].0.clone();
    let ops: Vec<serde_json::Value> = batch.drain(..).map(|(_, v)| v).collect();
    let n = ops.len() as u64;
    // A bad record is found before anything of its batch is written; the message says where.
    state.import_ops(&ops).map_err(|e| Error::new(e.kind(), format!("{} (the batch from {first}): {}", path.display(), e.message())))?;
    Ok(n)
}

/// Writes the JSONL export: the header line, then one line per record of `c`.
fn write_jsonl(file: std::fs::File, tmp: &Path, header: &serde_json::Value, c: &Collection, total: u64, progress: Progress<'_>) -> Result<u64> {
    let mut out = BufWriter::new(file);
    writeln!(out, "{header}").map_err(|e| io_err(tmp, e))?;
    let mut done = 0u64;
    c.scan(&mut |part| {
        for i in 0..part.ids.len() {
            let vector: Vec<f64> = part.vectors[i * part.dim..(i + 1) * part.dim].iter().map(|&x| f64::from(x)).collect();
            let line = serde_json::json!({
                "id": part.ids[i],
                "vector": vector,
                "document": part.documents[i],
                "metadata": Value::Map(part.metadata[i].clone()).to_json(),
                "created_at_us": part.created_at[i],
            });
            writeln!(out, "{line}").map_err(|e| io_err(tmp, e))?;
        }
        crate::util::cancel::check()?;
        done += part.ids.len() as u64;
        progress(done, total.max(done));
        Ok(())
    })?;
    let file = out.into_inner().map_err(|e| io_err(tmp, e.error()))?;
    file.sync_all().map_err(|e| io_err(tmp, e))?;
    Ok(done)
}

/// Records read from the file, not yet written.
#[derive(Default)]
struct Batch {
    ids: Vec<String>,
    vectors: Vec<f32>,
    documents: Vec<Option<String>>,
    metadata: Vec<Metadata>,
    created_at: Vec<i64>,
}

/// Where an import reads its records.
enum Source {
    Jsonl(std::io::Lines<BufReader<std::fs::File>>),
    Parquet(parquet_file::Reader),
}

/// A record's metadata from its JSON (absent or null: none).
fn metadata_from_json(m: Option<&serde_json::Value>, id: &str) -> Result<Metadata> {
    match m {
        None | Some(serde_json::Value::Null) => Ok(Metadata::new()),
        Some(m) => match Value::from_json_value(m.clone())? {
            Value::Map(m) => Ok(m),
            _ => Err(Error::new(ErrorKind::InvalidMetadata, format!("record {id:?}: \"metadata\" must be an object"))),
        },
    }
}

impl Batch {
    /// Adds one JSONL record line.
    fn push_json(&mut self, line: &str, dim: usize) -> Result<()> {
        // The engine's parser: numbers exactly (serde_json's own can be one unit in the last
        // place off), so floats come back bit for bit.
        let v = parse_json(line).map_err(|e| Error::invalid_argument(format!("not JSON ({})", e.message())))?;
        let obj = v.as_object().ok_or_else(|| Error::invalid_argument("a record must be a JSON object"))?;
        let id = obj.get("id").and_then(|v| v.as_str()).ok_or_else(|| Error::invalid_argument("\"id\" must be a string"))?;
        let values = obj.get("vector").and_then(|v| v.as_array()).ok_or_else(|| Error::invalid_argument("\"vector\" must be a list of numbers"))?;
        let vector = values
            .iter()
            .map(|x| x.as_f64().map(|f| f as f32))
            .collect::<Option<Vec<f32>>>()
            .ok_or_else(|| Error::invalid_argument(format!("record {id:?}: \"vector\" holds a non-number")))?;
        let document = match obj.get("document") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(Error::invalid_argument(format!("record {id:?}: \"document\" must be a string or null"))),
        };
        let metadata = metadata_from_json(obj.get("metadata"), id)?;
        let created = obj.get("created_at_us").and_then(|v| v.as_i64()).unwrap_or_else(crate::util::time::now_micros);
        self.push(id.to_owned(), &vector, document, metadata, created, dim)
    }

    /// Adds one record, after checking its vector has the store's `dim` values.
    fn push(&mut self, id: String, vector: &[f32], document: Option<String>, metadata: Metadata, created: i64, dim: usize) -> Result<()> {
        if vector.len() != dim {
            return Err(Error::new(ErrorKind::DimensionMismatch, format!("record {id:?} has {} values, the store {dim}", vector.len())));
        }
        self.ids.push(id);
        self.vectors.extend_from_slice(vector);
        self.documents.push(document);
        self.metadata.push(metadata);
        self.created_at.push(created);
        Ok(())
    }

    /// Writes the batch (one commit) and empties it.
    fn write(&mut self, c: &Collection) -> Result<u64> {
        if self.ids.is_empty() {
            return Ok(0);
        }
        let n = self.ids.len() as u64;
        c.add_with_created(
            &Records {
                ids: &self.ids,
                vectors: Vectors::Flat { data: &self.vectors, dim: c.dim() },
                documents: Some(&self.documents),
                metadata: Some(&self.metadata),
            },
            &self.created_at,
        )?;
        *self = Batch::default();
        Ok(n)
    }
}

mod chroma;
mod parquet_file;
mod state_parquet;
pub use parquet_file::is_parquet_path;

#[cfg(test)]
mod tests;
