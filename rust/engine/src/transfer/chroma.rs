//! Import from a Chroma `PersistentClient` directory, read by the engine itself (no chromadb, no
//! Python): the format below is the one chromadb 1.5 writes; the SQLite migrations it records
//! are checked, so a newer Chroma is refused by name instead of misread.
//!
//! # What a Chroma directory holds
//! - `chroma.sqlite3`: tables `collections` (id, name, dimension, `config_json_str`,
//!   `schema_str`), `collection_metadata` (the legacy `hnsw:space` key), `segments` (each
//!   collection has a METADATA segment, `urn:chroma:segment/metadata/sqlite`, and a VECTOR
//!   segment, `urn:chroma:segment/vector/hnsw-local-persisted`), `embeddings` (one row per record
//!   of a metadata segment: its id, `created_at`), `embedding_metadata` (key → one of
//!   string/int/float/bool columns; the document is the key `chroma:document`),
//!   `embedding_metadata_array` (list values, one row per element in order), `max_seq_id` (per
//!   segment, the last log entry it has applied) and `embeddings_queue` (the write log: seq_id,
//!   operation 0 add / 1 update / 2 upsert / 3 delete, topic `…/<collection id>`, the record id,
//!   the vector as little-endian float32 with `encoding` `FLOAT32`).
//! - `<vector segment id>/`: hnswlib's index in Chroma's fork, as four files: `header.bin`
//!   (persistence version 1, then hnswlib's geometry: element size, offsets of the data and the
//!   label, element count), `data_level0.bin` (per element: level-0 link list whose count's third
//!   byte carries the delete mark, the vector, the u64 label), `length.bin` (per element its
//!   norm: for `cosine` the stored vector is normalized and Chroma hands back vector × norm),
//!   `link_lists.bin` (upper levels; not needed), and `index_metadata.pickle` (a Python pickle of
//!   `label_to_id`, the map from hnswlib labels to record ids).
//!
//! # The source of truth
//! Chroma applies every write to the metadata segment at once (its `max_seq_id` is the log's
//! last entry), so **which records exist, their documents and metadata come from `embeddings`
//! and `embedding_metadata`**. Vectors are persisted to the HNSW files only every
//! `sync_threshold` writes; the log keeps every entry past the oldest segment's `max_seq_id`.
//! So **a vector is the HNSW segment's as of its `max_seq_id`, with the log entries after that
//! replayed over it** (an add of an absent id and an upsert set it, an update sets it if the id
//! is present, a delete removes it); elements marked deleted or whose label the pickle no longer
//! maps are not records. Vectors from the log go through the same float32 normalize-and-scale
//! as Chroma's index for `cosine`, so an import equals what Chroma's own `get` returns, bit for
//! bit. A metadata segment behind the log (a crash between the two) is refused rather than half
//! applied: opening the directory once with chromadb brings it up to date.
//!
//! Nothing is written to the Chroma directory: SQLite is opened `mode=ro` (Chroma's journal is a
//! rollback journal, so a read-only connection creates no file) and everything is read in one
//! read transaction; the HNSW files are only read. Import from a directory no Chroma process is
//! writing (its files are not synchronised with the database's transaction).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::db::Database;
use crate::error::{Error, ErrorKind, Result};
use crate::types::schema::Metric;
use crate::types::value::{Metadata, Value};

use super::{Batch, Progress, StoreKind, TransferReport, IMPORT_BATCH};

/// The newest migration of each of Chroma's SQLite migration folders this reader knows (chromadb
/// 1.5). A directory with a newer one was written by a Chroma whose format may differ.
const KNOWN_MIGRATIONS: [(&str, i64); 3] = [("sysdb", 10), ("metadb", 6), ("embeddings_queue", 2)];
/// The HNSW segment's `PERSISTENCE_VERSION`.
const HNSW_PERSISTENCE_VERSION: i32 = 1;
const HEADER_LEN: usize = 100;
/// The metadata key Chroma keeps a record's document under.
const DOCUMENT_KEY: &str = "chroma:document";
const METADATA_SEGMENT: &str = "urn:chroma:segment/metadata/sqlite";
const VECTOR_SEGMENT: &str = "urn:chroma:segment/vector/hnsw-local-persisted";

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::storage(format!("damaged Chroma directory: {what}"))
}

fn sql_err(db: &Path, e: rusqlite::Error) -> Error {
    Error::storage(format!("{}: {e}", db.display()))
}

/// One Chroma collection, as found in the directory.
struct ChromaCollection {
    id: String,
    dim: Option<usize>,
    metric: Metric,
    metadata_segment: String,
    vector_segment: String,
}

/// Where a record's vector is: an element of the HNSW file, or a log entry (already in the form
/// Chroma hands it back).
enum VectorAt {
    Element(u32),
    Log(Vec<f32>),
}

/// The HNSW segment's files, opened for reading vectors by element.
struct HnswFile {
    data: File,
    element_size: u64,
    data_offset: u64,
    /// Per element its norm, when vectors are stored normalized (`cosine`).
    norms: Option<Vec<f32>>,
}

impl HnswFile {
    fn vector(&self, element: u32, dim: usize) -> Result<Vec<f32>> {
        let mut buf = vec![0u8; dim * 4];
        self.data
            .read_exact_at(&mut buf, u64::from(element) * self.element_size + self.data_offset)
            .map_err(|e| corrupt(format!("data_level0.bin: element {element}: {e}")))?;
        let mut v: Vec<f32> = buf.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        if let Some(norms) = &self.norms {
            let n = *norms.get(element as usize).ok_or_else(|| corrupt(format!("length.bin has no norm for element {element}")))?;
            v.iter_mut().for_each(|x| *x *= n);
        }
        Ok(v)
    }
}

/// What Chroma's index makes of a vector it is given, for `cosine`: normalized in float32 as
/// hnswlib's `normalize_vector` does (the same operations in the same order), then scaled back by
/// its norm as `getDataByLabel` does. One unit in the last place from the input at most.
fn cosine_round_trip(v: &mut [f32]) {
    let mut sum = 0.0f32;
    for x in v.iter() {
        sum += x * x;
    }
    let length = sum.sqrt();
    let inv = 1.0f32 / (length + 1e-30f32);
    for x in v.iter_mut() {
        *x = (*x * inv) * length;
    }
}

impl Database {
    /// Creates collection `rename` (default: the same name) from collection `collection` of the
    /// Chroma `PersistentClient` directory `dir`: ids, vectors, documents, metadata (lists of
    /// strings too: AgentDB's lists hold strings, so a Chroma list of numbers or booleans is
    /// refused as `InvalidMetadata`, naming the record and key) and creation times, with the metric of its space (`l2`, `cosine`, `ip` → `dot`). Read by
    /// the engine from Chroma's files (see the module comment); the directory is not changed.
    /// All or nothing: on any error the new collection is dropped again.
    ///
    /// Errors: `CollectionNotFound` (no such Chroma collection), `CollectionExists`,
    /// `InvalidArgument` (not a Chroma directory, one of a newer format, an empty collection),
    /// `Storage` (a damaged file), `InvalidMetadata` (a key AgentDB does not take).
    pub fn import_chroma(&self, dir: &Path, collection: &str, rename: Option<&str>, progress: Progress<'_>) -> Result<TransferReport> {
        self.ensure_open()?;
        let sqlite = dir.join("chroma.sqlite3");
        if !sqlite.is_file() {
            return Err(Error::invalid_argument(format!("{} is not a Chroma PersistentClient directory (no chroma.sqlite3)", dir.display())));
        }
        let mut conn = open_read_only(&sqlite)?;
        // One read transaction: the collection, its log and its records as of one moment.
        let tx = conn.transaction().map_err(|e| sql_err(&sqlite, e))?;
        check_migrations(&tx, &sqlite)?;
        let source = find_collection(&tx, &sqlite, collection)?;
        let dim = source
            .dim
            .ok_or_else(|| Error::invalid_argument(format!("Chroma collection '{collection}' is empty: its dimension is unknown")))?;
        let total: u64 = tx
            .query_row("SELECT count(*) FROM embeddings WHERE segment_id = ?1", [&source.metadata_segment], |r| r.get::<_, i64>(0))
            .map_err(|e| sql_err(&sqlite, e))? as u64;
        if total == 0 {
            return Err(Error::invalid_argument(format!("Chroma collection '{collection}' is empty")));
        }
        let (vectors, hnsw) = load_vectors(&tx, &sqlite, dir, &source, dim)?;
        let name = rename.unwrap_or(collection).to_owned();
        let c = self.create_collection(&name, dim, source.metric)?;
        let written = (|| -> Result<u64> {
            let mut done = 0u64;
            let mut after = i64::MIN;
            loop {
                let mut batch = Batch::default();
                let last = read_batch(&tx, &sqlite, &source, after, &vectors, hnsw.as_ref(), dim, &mut batch)?;
                let Some(last) = last else { break };
                after = last;
                done += batch.write(&c)?;
                progress(done, total.max(done));
            }
            progress(done, total.max(done));
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

fn open_read_only(sqlite: &Path) -> Result<Connection> {
    // A URI so that `mode=ro` holds even where the path could be read as options; read-only and
    // no-create: nothing is ever written to the directory.
    let mut uri = String::from("file:");
    for b in sqlite.to_string_lossy().bytes() {
        match b {
            b'?' | b'#' | b'%' => uri.push_str(&format!("%{b:02X}")),
            _ => uri.push(b as char),
        }
    }
    uri.push_str("?mode=ro");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&uri, flags).map_err(|e| sql_err(sqlite, e))?;
    // Another process writing: wait for it a while instead of failing at once.
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(|e| sql_err(sqlite, e))?;
    Ok(conn)
}

fn check_migrations(conn: &Connection, sqlite: &Path) -> Result<()> {
    let not_chroma = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => corrupt(format!("{}: {e}", sqlite.display())),
        _ => Error::invalid_argument(format!("{} is not a Chroma database ({e})", sqlite.display())),
    };
    let mut stmt = conn.prepare("SELECT dir, max(version) FROM migrations GROUP BY dir").map_err(not_chroma)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| sql_err(sqlite, e))?;
    for (dir, version) in &rows {
        match KNOWN_MIGRATIONS.iter().find(|(d, _)| d == dir) {
            Some((_, known)) if version <= known => {}
            Some((_, known)) => {
                return Err(Error::invalid_argument(format!(
                    "{}: Chroma's {dir} schema is at migration {version}, newer than this AgentDB reads ({known}, chromadb 1.5)",
                    sqlite.display()
                )))
            }
            None => return Err(Error::invalid_argument(format!("{}: unknown Chroma migration folder {dir:?}: a newer Chroma format", sqlite.display()))),
        }
    }
    for (dir, _) in KNOWN_MIGRATIONS {
        if !rows.iter().any(|(d, _)| d == dir) {
            return Err(Error::invalid_argument(format!("{}: no {dir} migrations: not a Chroma PersistentClient database", sqlite.display())));
        }
    }
    Ok(())
}

/// The space of a collection: its schema's `#embedding` vector index (Chroma ≥ 1.1), else its
/// configuration's `hnsw.space`, else the legacy `hnsw:space` metadata key, else `l2` (Chroma's
/// default).
fn space_of(schema: Option<&str>, config: Option<&str>, legacy: Option<String>) -> String {
    let json = |s: Option<&str>| s.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
    let from_schema = json(schema).and_then(|v| {
        v.pointer("/keys/#embedding/float_list/vector_index/config/space").and_then(|s| s.as_str()).map(str::to_owned)
    });
    let from_config = || json(config).and_then(|v| v.pointer("/hnsw/space").and_then(|s| s.as_str()).map(str::to_owned));
    from_schema.or_else(from_config).or(legacy).unwrap_or_else(|| "l2".to_owned())
}

fn find_collection(conn: &Connection, sqlite: &Path, name: &str) -> Result<ChromaCollection> {
    let e = |e| sql_err(sqlite, e);
    // A name is unique per Chroma database; with several databases the default one's wins, as
    // `PersistentClient()` would open it.
    let mut stmt = conn
        .prepare(
            "SELECT c.id, c.dimension, c.config_json_str, c.schema_str FROM collections c LEFT JOIN databases d ON d.id = c.database_id
             WHERE c.name = ?1 ORDER BY (d.name = 'default') DESC",
        )
        .map_err(e)?;
    let found = stmt
        .query_map([name], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, Option<String>>(3)?)))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(e)?;
    let Some((id, dim, config, schema)) = found.into_iter().next() else {
        let names = conn
            .prepare("SELECT name FROM collections ORDER BY name")
            .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<String>>>())
            .map_err(e)?;
        return Err(Error::new(
            ErrorKind::CollectionNotFound,
            format!("no Chroma collection '{name}' in {} (it has: {})", sqlite.display(), if names.is_empty() { "none".to_owned() } else { names.join(", ") }),
        ));
    };
    let legacy: Option<String> = conn
        .query_row("SELECT str_value FROM collection_metadata WHERE collection_id = ?1 AND key = 'hnsw:space'", [&id], |r| r.get(0))
        .optional()
        .map_err(e)?
        .flatten();
    let space = space_of(schema.as_deref(), config.as_deref(), legacy);
    let metric = match space.as_str() {
        "l2" => Metric::L2,
        "cosine" => Metric::Cosine,
        // Chroma's ip distance is 1 - a·b, AgentDB's dot.
        "ip" => Metric::Dot,
        other => return Err(Error::invalid_argument(format!("Chroma space {other:?} of collection '{name}' has no AgentDB metric"))),
    };
    let segment = |kind: &str| -> Result<String> {
        conn.query_row("SELECT id FROM segments WHERE collection = ?1 AND type = ?2", [&id, kind], |r| r.get::<_, String>(0))
            .optional()
            .map_err(e)?
            .ok_or_else(|| corrupt(format!("collection '{name}' has no {kind} segment")))
    };
    let dim = dim.map(|d| usize::try_from(d).map_err(|_| corrupt(format!("collection '{name}' has dimension {d}")))).transpose()?;
    Ok(ChromaCollection { metadata_segment: segment(METADATA_SEGMENT)?, vector_segment: segment(VECTOR_SEGMENT)?, id, dim, metric })
}

fn max_seq_id(conn: &Connection, sqlite: &Path, segment: &str) -> Result<i64> {
    // Written as an integer since metadb migration 5; older rows are big-endian bytes.
    let v: Option<rusqlite::types::Value> = conn
        .query_row("SELECT seq_id FROM max_seq_id WHERE segment_id = ?1", [segment], |r| r.get(0))
        .optional()
        .map_err(|e| sql_err(sqlite, e))?;
    match v {
        None | Some(rusqlite::types::Value::Null) => Ok(0),
        Some(rusqlite::types::Value::Integer(i)) => Ok(i),
        Some(rusqlite::types::Value::Blob(b)) if b.len() <= 8 => Ok(b.iter().fold(0i64, |acc, &x| (acc << 8) | i64::from(x))),
        Some(other) => Err(corrupt(format!("max_seq_id of segment {segment} is {other:?}"))),
    }
}

/// Every record's vector: the HNSW segment's, then the log past its `max_seq_id` replayed.
fn load_vectors(
    conn: &Connection,
    sqlite: &Path,
    dir: &Path,
    source: &ChromaCollection,
    dim: usize,
) -> Result<(HashMap<String, VectorAt>, Option<HnswFile>)> {
    let e = |e| sql_err(sqlite, e);
    // The metadata segment must have applied the whole log (see the module comment).
    let topic_like = format!("%/{}", source.id);
    let last_logged: Option<i64> = conn
        .query_row("SELECT max(seq_id) FROM embeddings_queue WHERE topic LIKE ?1", [&topic_like], |r| r.get(0))
        .map_err(e)?;
    if let Some(last) = last_logged {
        if max_seq_id(conn, sqlite, &source.metadata_segment)? < last {
            return Err(Error::invalid_argument(format!(
                "the Chroma collection's metadata segment has not applied its log up to entry {last}: open the directory once with chromadb, then import"
            )));
        }
    }
    let vector_seq = max_seq_id(conn, sqlite, &source.vector_segment)?;
    let seg_dir = dir.join(&source.vector_segment);
    let mut vectors: HashMap<String, VectorAt> = HashMap::new();
    let hnsw = if seg_dir.join("header.bin").is_file() {
        Some(read_hnsw(&seg_dir, dim, source.metric == Metric::Cosine, &mut vectors)?)
    } else if vector_seq > 0 {
        return Err(corrupt(format!("{} is missing though the segment has applied the log up to {vector_seq}", seg_dir.join("header.bin").display())));
    } else {
        None
    };
    let mut stmt = conn
        .prepare("SELECT seq_id, operation, id, vector, encoding FROM embeddings_queue WHERE topic LIKE ?1 AND seq_id > ?2 ORDER BY seq_id")
        .map_err(e)?;
    let mut rows = stmt.query(rusqlite::params![topic_like, vector_seq]).map_err(e)?;
    while let Some(r) = rows.next().map_err(e)? {
        let seq: i64 = r.get(0).map_err(e)?;
        let op: i64 = r.get(1).map_err(e)?;
        let id: String = r.get(2).map_err(e)?;
        let blob: Option<Vec<u8>> = r.get(3).map_err(e)?;
        let encoding: Option<String> = r.get(4).map_err(e)?;
        let vector = match blob {
            None => None,
            Some(b) => {
                if !matches!(encoding.as_deref(), Some("FLOAT32") | None) {
                    return Err(Error::invalid_argument(format!("log entry {seq}: vector encoding {encoding:?} (this AgentDB reads FLOAT32)")));
                }
                if b.len() != dim * 4 {
                    return Err(corrupt(format!("log entry {seq}: a vector of {} bytes in a collection of dimension {dim}", b.len())));
                }
                let mut v: Vec<f32> = b.chunks_exact(4).map(|x| f32::from_le_bytes([x[0], x[1], x[2], x[3]])).collect();
                if source.metric == Metric::Cosine {
                    cosine_round_trip(&mut v);
                }
                Some(v)
            }
        };
        match op {
            // add: an id already present is left as it is (Chroma ignores the duplicate).
            0 => {
                if let Some(v) = vector {
                    vectors.entry(id).or_insert(VectorAt::Log(v));
                }
            }
            1 => {
                if let (Some(v), Some(slot)) = (vector, vectors.get_mut(&id)) {
                    *slot = VectorAt::Log(v);
                }
            }
            2 => {
                if let Some(v) = vector {
                    vectors.insert(id, VectorAt::Log(v));
                }
            }
            3 => {
                vectors.remove(&id);
            }
            other => return Err(Error::invalid_argument(format!("log entry {seq}: unknown operation {other} (a newer Chroma format)"))),
        }
    }
    Ok((vectors, hnsw))
}

fn read_u64(h: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(h[at..at + 8].try_into().expect("8 bytes"))
}

/// Reads the HNSW segment in `seg_dir`: every live element whose label the pickle maps to an id
/// goes into `vectors`; returns the file to read their vectors from.
fn read_hnsw(seg_dir: &Path, dim: usize, normalized: bool, vectors: &mut HashMap<String, VectorAt>) -> Result<HnswFile> {
    let path = |f: &str| seg_dir.join(f);
    let io = |p: PathBuf, e: std::io::Error| corrupt(format!("{}: {e}", p.display()));
    let header = std::fs::read(path("header.bin")).map_err(|e| io(path("header.bin"), e))?;
    if header.len() < HEADER_LEN {
        return Err(corrupt(format!("{}: {} bytes, a header has {HEADER_LEN}", path("header.bin").display(), header.len())));
    }
    let version = i32::from_le_bytes(header[0..4].try_into().expect("4 bytes"));
    if version != HNSW_PERSISTENCE_VERSION {
        return Err(Error::invalid_argument(format!(
            "{}: HNSW persistence version {version}, this AgentDB reads {HNSW_PERSISTENCE_VERSION}",
            path("header.bin").display()
        )));
    }
    // PERSISTENCE_VERSION (i32), offsetLevel0, max_elements, cur_element_count,
    // size_data_per_element, label_offset, offsetData (each u64), then the graph's own fields.
    let offset_level0 = read_u64(&header, 4);
    let count = read_u64(&header, 20);
    let element_size = read_u64(&header, 28);
    let label_offset = read_u64(&header, 36);
    let data_offset = read_u64(&header, 44);
    let vector_bytes = dim as u64 * 4;
    if data_offset + vector_bytes > label_offset || label_offset + 8 > element_size || offset_level0 + 4 > data_offset {
        return Err(corrupt(format!(
            "{}: element layout (size {element_size}, data at {data_offset}, label at {label_offset}) does not hold {dim} floats",
            path("header.bin").display()
        )));
    }
    let data = File::open(path("data_level0.bin")).map_err(|e| io(path("data_level0.bin"), e))?;
    let len = data.metadata().map_err(|e| io(path("data_level0.bin"), e))?.len();
    if len < count * element_size {
        return Err(corrupt(format!("{}: {len} bytes, {count} elements need {}", path("data_level0.bin").display(), count * element_size)));
    }
    let norms = if normalized {
        let bytes = std::fs::read(path("length.bin")).map_err(|e| io(path("length.bin"), e))?;
        if (bytes.len() as u64) < count * 4 {
            return Err(corrupt(format!("{}: {} bytes for {count} elements", path("length.bin").display(), bytes.len())));
        }
        Some(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    } else {
        None
    };
    let labels = if count == 0 {
        HashMap::new()
    } else {
        let bytes = std::fs::read(path("index_metadata.pickle")).map_err(|e| io(path("index_metadata.pickle"), e))?;
        pickle::label_to_id(&bytes).map_err(|what| corrupt(format!("{}: {what}", path("index_metadata.pickle").display())))?
    };
    // One sequential pass over the elements for their labels and delete marks; vectors are read
    // later, per batch, so memory holds the id map and not the vectors.
    let mut reader = BufReader::with_capacity(1 << 20, &data);
    let mut element = vec![0u8; element_size as usize];
    for i in 0..count {
        reader.read_exact(&mut element).map_err(|e| io(path("data_level0.bin"), e))?;
        let deleted = element[offset_level0 as usize + 2] & 0x01 != 0;
        if deleted {
            continue;
        }
        let label = read_u64(&element, label_offset as usize);
        if let Some(id) = labels.get(&label) {
            let at = u32::try_from(i).map_err(|_| corrupt(format!("element {i} out of range")))?;
            vectors.insert(id.clone(), VectorAt::Element(at));
        }
    }
    Ok(HnswFile { data, element_size, data_offset, norms })
}

/// `"YYYY-MM-DD HH:MM:SS"` (SQLite's CURRENT_TIMESTAMP, UTC) in microseconds since the epoch.
fn timestamp_micros(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d, hh, mm, ss) = (n(0..4)?, n(5..7)?, n(8..10)?, n(11..13)?, n(14..16)?, n(17..19)?);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400) + hh * 3600 + mm * 60 + ss) * 1_000_000)
}

/// Reads the records of the metadata segment with row ids after `after` (up to a batch) into
/// `batch`; returns the last row id read, or `None` when there are no more.
#[allow(clippy::too_many_arguments)]
fn read_batch(
    conn: &Connection,
    sqlite: &Path,
    source: &ChromaCollection,
    after: i64,
    vectors: &HashMap<String, VectorAt>,
    hnsw: Option<&HnswFile>,
    dim: usize,
    batch: &mut Batch,
) -> Result<Option<i64>> {
    let e = |e| sql_err(sqlite, e);
    // `+segment_id`: not by the (segment_id, embedding_id) index, which would find every row of
    // the segment and sort them for each batch (quadratic: 22 s of a 100k import), but a rowid
    // range from `after`, skipping other segments' rows.
    let mut stmt = conn
        .prepare_cached("SELECT id, embedding_id, created_at FROM embeddings WHERE +segment_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3")
        .map_err(e)?;
    let records = stmt
        .query_map(rusqlite::params![source.metadata_segment, after, IMPORT_BATCH as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(e)?;
    let (Some(first), Some(last)) = (records.first().map(|r| r.0), records.last().map(|r| r.0)) else {
        return Ok(None);
    };
    let mut metadata: HashMap<i64, Metadata> = HashMap::new();
    let mut documents: HashMap<i64, String> = HashMap::new();
    let scalar = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Option<Value>> {
        Ok(if let Some(s) = r.get::<_, Option<String>>(2)? {
            Some(Value::Str(s))
        } else if let Some(i) = r.get::<_, Option<i64>>(3)? {
            Some(Value::Int(i))
        } else if let Some(f) = r.get::<_, Option<f64>>(4)? {
            Some(Value::Float(f))
        } else {
            r.get::<_, Option<i64>>(5)?.map(|b| Value::Bool(b != 0))
        })
    };
    // Row ids between the batch's first and last that belong to another segment are skipped below.
    let mut stmt = conn
        .prepare_cached("SELECT id, key, string_value, int_value, float_value, bool_value FROM embedding_metadata WHERE id BETWEEN ?1 AND ?2")
        .map_err(e)?;
    let mut rows = stmt.query([first, last]).map_err(e)?;
    while let Some(r) = rows.next().map_err(e)? {
        let (row, key): (i64, String) = (r.get(0).map_err(e)?, r.get(1).map_err(e)?);
        let Some(value) = scalar(r).map_err(e)? else { continue };
        if key == DOCUMENT_KEY {
            if let Value::Str(s) = value {
                documents.insert(row, s);
            }
        } else {
            metadata.entry(row).or_default().insert(key, value);
        }
    }
    drop(rows);
    let has_arrays: bool = conn
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'embedding_metadata_array'", [], |r| r.get::<_, i64>(0))
        .map_err(e)?
        > 0;
    if has_arrays {
        // A list's elements in the order they were written (rowid).
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, key, string_value, int_value, float_value, bool_value FROM embedding_metadata_array WHERE id BETWEEN ?1 AND ?2 ORDER BY id, rowid",
            )
            .map_err(e)?;
        let mut rows = stmt.query([first, last]).map_err(e)?;
        while let Some(r) = rows.next().map_err(e)? {
            let (row, key): (i64, String) = (r.get(0).map_err(e)?, r.get(1).map_err(e)?);
            let Some(value) = scalar(r).map_err(e)? else { continue };
            let slot = metadata.entry(row).or_default().entry(key).or_insert_with(|| Value::List(Vec::new()));
            match slot {
                Value::List(items) => items.push(value),
                _ => return Err(corrupt(format!("row {row}: a key is both a list and a single value"))),
            }
        }
    }
    for (row, id, created) in records {
        let vector = match vectors.get(&id) {
            Some(VectorAt::Log(v)) => v.clone(),
            Some(VectorAt::Element(i)) => hnsw.ok_or_else(|| Error::internal("an HNSW element without its file"))?.vector(*i, dim)?,
            None => return Err(corrupt(format!("record {id:?} has no vector in the HNSW segment nor in the log"))),
        };
        let created = created.as_deref().and_then(timestamp_micros).unwrap_or_else(crate::util::time::now_micros);
        batch.push(id, &vector, documents.remove(&row), metadata.remove(&row).unwrap_or_default(), created, dim)?;
    }
    Ok(Some(last))
}

/// Just enough of Python's unpickler for `index_metadata.pickle`: a dict of str keys holding
/// dicts of str/int keys and values (protocols 2–5 opcodes for those types), so the
/// `label_to_id` map can be read without Python.
mod pickle {
    use std::collections::HashMap;

    #[derive(Clone, Debug)]
    enum V {
        None,
        Bool,
        Int(i64),
        Str(String),
        Dict(Vec<(V, V)>),
        List(Vec<V>),
        Mark,
    }

    struct In<'a> {
        b: &'a [u8],
        at: usize,
    }

    impl<'a> In<'a> {
        fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
            let end = self.at.checked_add(n).filter(|&e| e <= self.b.len()).ok_or_else(|| format!("truncated at byte {}", self.at))?;
            let s = &self.b[self.at..end];
            self.at = end;
            Ok(s)
        }
        fn u8(&mut self) -> Result<u8, String> {
            Ok(self.take(1)?[0])
        }
        fn u32(&mut self) -> Result<u32, String> {
            Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
        }
        fn u64(&mut self) -> Result<u64, String> {
            Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
        }
        fn str(&mut self, n: usize) -> Result<V, String> {
            let s = self.take(n)?;
            String::from_utf8(s.to_vec()).map(V::Str).map_err(|_| "a string that is not UTF-8".to_owned())
        }
    }

    fn pop_mark(stack: &mut Vec<V>) -> Result<Vec<V>, String> {
        let at = stack.iter().rposition(|v| matches!(v, V::Mark)).ok_or("SETITEMS without MARK")?;
        let items = stack.split_off(at + 1);
        stack.pop();
        Ok(items)
    }

    fn parse(b: &[u8]) -> Result<V, String> {
        let mut r = In { b, at: 0 };
        let mut stack: Vec<V> = Vec::new();
        let mut memo: HashMap<u64, V> = HashMap::new();
        loop {
            let op = r.u8()?;
            match op {
                0x80 => {
                    r.u8()?;
                }
                0x95 => {
                    r.u64()?;
                }
                b'.' => return stack.pop().ok_or_else(|| "STOP on an empty stack".to_owned()),
                b'(' => stack.push(V::Mark),
                b'}' => stack.push(V::Dict(Vec::new())),
                b']' => stack.push(V::List(Vec::new())),
                b'N' => stack.push(V::None),
                0x88 | 0x89 => stack.push(V::Bool),
                b'J' => stack.push(V::Int(i64::from(r.u32()? as i32))),
                b'K' => stack.push(V::Int(i64::from(r.u8()?))),
                b'M' => {
                    let lo = r.take(2)?;
                    stack.push(V::Int(i64::from(u16::from_le_bytes([lo[0], lo[1]]))))
                }
                0x8a => {
                    let n = r.u8()? as usize;
                    let bytes = r.take(n)?;
                    if n > 8 {
                        return Err(format!("an integer of {n} bytes"));
                    }
                    let mut v: i64 = if bytes.last().is_some_and(|&x| x & 0x80 != 0) { -1 } else { 0 };
                    for &x in bytes.iter().rev() {
                        v = (v << 8) | i64::from(x);
                    }
                    stack.push(V::Int(v));
                }
                b'X' => {
                    let n = r.u32()? as usize;
                    stack.push(r.str(n)?)
                }
                0x8c => {
                    let n = r.u8()? as usize;
                    stack.push(r.str(n)?)
                }
                0x8d => {
                    let n = usize::try_from(r.u64()?).map_err(|_| "a string too long")?;
                    stack.push(r.str(n)?)
                }
                b'q' | b'r' | 0x94 => {
                    let key = match op {
                        b'q' => u64::from(r.u8()?),
                        b'r' => u64::from(r.u32()?),
                        _ => memo.len() as u64,
                    };
                    memo.insert(key, stack.last().cloned().ok_or("PUT on an empty stack")?);
                }
                b'h' | b'j' => {
                    let key = if op == b'h' { u64::from(r.u8()?) } else { u64::from(r.u32()?) };
                    stack.push(memo.get(&key).cloned().ok_or_else(|| format!("GET of unknown memo {key}"))?);
                }
                b's' | b'u' => {
                    let items = if op == b's' {
                        let v = stack.pop().ok_or("SETITEM on an empty stack")?;
                        let k = stack.pop().ok_or("SETITEM on an empty stack")?;
                        vec![k, v]
                    } else {
                        pop_mark(&mut stack)?
                    };
                    if items.len() % 2 != 0 {
                        return Err("SETITEMS with an odd number of items".to_owned());
                    }
                    let Some(V::Dict(d)) = stack.last_mut() else { return Err("SETITEMS on a non-dict".to_owned()) };
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        d.push((k, v));
                    }
                }
                b'a' | b'e' => {
                    let items = if op == b'a' { vec![stack.pop().ok_or("APPEND on an empty stack")?] } else { pop_mark(&mut stack)? };
                    let Some(V::List(l)) = stack.last_mut() else { return Err("APPEND on a non-list".to_owned()) };
                    l.extend(items);
                }
                other => return Err(format!("pickle opcode 0x{other:02x} at byte {} is not one this reader knows", r.at - 1)),
            }
        }
    }

    /// The `label_to_id` entry of the pickled segment metadata: hnswlib label → record id.
    pub(super) fn label_to_id(b: &[u8]) -> Result<HashMap<u64, String>, String> {
        let V::Dict(top) = parse(b)? else { return Err("not a pickled dict".to_owned()) };
        let entries = top
            .into_iter()
            .find_map(|(k, v)| match (k, v) {
                (V::Str(k), V::Dict(d)) if k == "label_to_id" => Some(d),
                _ => None,
            })
            .ok_or("no label_to_id")?;
        let mut map = HashMap::with_capacity(entries.len());
        for (k, v) in entries {
            match (k, v) {
                (V::Int(label), V::Str(id)) if label >= 0 => {
                    map.insert(label as u64, id);
                }
                (k, v) => return Err(format!("label_to_id holds {k:?}: {v:?}")),
            }
        }
        Ok(map)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn reads_a_pickled_label_map() {
            // pickle.dumps({"total": 2, "label_to_id": {1: "a", 300: "b", 70000: "c"}}, protocol=3)
            let mut b = vec![0x80, 3, b'}', b'(', b'X'];
            b.extend(5u32.to_le_bytes());
            b.extend(b"total");
            b.extend([b'K', 2, b'X']);
            b.extend(11u32.to_le_bytes());
            b.extend(b"label_to_id");
            b.extend([b'}', b'q', 1, b'(', b'K', 1, 0x8c, 1, b'a', b'M']);
            b.extend(300u16.to_le_bytes());
            b.extend([0x8c, 1, b'b', b'J']);
            b.extend(70000u32.to_le_bytes());
            b.extend([0x8c, 1, b'c', b'u', b'u', b'.']);
            let m = super::label_to_id(&b).unwrap();
            assert_eq!((m[&1].as_str(), m[&300].as_str(), m[&70000].as_str(), m.len()), ("a", "b", "c", 3));
            assert!(super::label_to_id(&b[..b.len() - 3]).is_err());
            assert!(super::label_to_id(&[0x80, 3, b'c']).unwrap_err().contains("opcode"));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_timestamps_become_micros() {
        assert_eq!(super::timestamp_micros("1970-01-01 00:00:01"), Some(1_000_000));
        assert_eq!(super::timestamp_micros("2024-02-29 12:00:00"), Some(1_709_208_000_000_000));
        assert_eq!(super::timestamp_micros("garbage"), None);
    }

    /// tests/fixtures/chroma (see tests/fixtures/make_chroma_fixture.py): r0..r99's vectors in the
    /// segment files, r100..r149's in the log, r3 deleted and r4 updated in the log only.
    #[test]
    fn the_committed_fixture_imports_exactly() {
        use crate::db::Database;
        use crate::error::ErrorKind;
        use crate::types::value::Value;
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/chroma");
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path().join("db")).unwrap();
        let mut last = 0;
        let r = db.import_chroma(&fixture, "fixture", None, &mut |d, _| last = d).unwrap();
        assert_eq!((r.records, last), (149, 149));
        let c = db.get_collection("fixture").unwrap();
        let ids: Vec<String> = ["r0", "r3", "r4", "r99", "r100", "r149"].map(String::from).to_vec();
        let g = c.get(Some(&ids), None, None, 0).unwrap();
        assert_eq!(g.ids, ["r0", "r4", "r99", "r100", "r149"]);
        assert_eq!(g.vectors, [0f32, 0., 0., 4., 4., 4., 99., 49.5, -99., 100., 50., -100., 149., 74.5, -149.]);
        assert_eq!(g.documents[3].as_deref(), Some("doc 100"));
        assert_eq!(g.metadata[1].get("tag"), Some(&Value::Str("u".into())));
        assert_eq!(g.metadata[1].get("i"), Some(&Value::Int(4)));
        assert_eq!(g.metadata[1].get("even"), Some(&Value::Bool(true)));
        let e = db.import_chroma(&fixture, "missing", None, &mut |_, _| {}).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CollectionNotFound);
        assert!(e.message().contains("fixture"), "{}", e.message());
    }

    #[test]
    fn the_cosine_round_trip_is_chromas() {
        let mut v = [3.0f32, 4.0];
        super::cosine_round_trip(&mut v);
        assert_eq!(v, [3.0, 4.0]);
    }
}
