//! The HNSW index on disk, next to the collection's Lance data: `<db>/_agentdb/<name>.hnsw`,
//! written whole (temporary file, fsync, rename) with an FNV-1a checksum and the Lance version it
//! matches. A file whose checksum, shape or version does not match is never trusted: the caller
//! rebuilds the index from Lance. The index parameters live apart, in `<name>.index.json`, so a
//! damaged index file still says what to rebuild.
//!
//! Layout (little-endian): magic `AGDBHNS2`, lance version u64, dim u32, metric u8, m u32,
//! ef_construction u32, quantization u8 (0 none, 1 int8), int8 scale f32 (0 without), rows u32,
//! entry u32 (u32::MAX: none); per row: id (u32 length + bytes), alive u8, the row's vector
//! (dim × f32, as the mirror stores it), level count u8, and per level the link count u32 and
//! links u32…; then the checksum u64 of everything before it. The `i8` codes are not stored:
//! they are re-derived from the vectors and the scale.
//!
//! The magic is the format's version: a file of another version (`AGDBHNS1` had no quantization
//! fields) fails the check and is rebuilt, never misread. Change it whenever the layout changes.
//!
//! `<name>.index.json` also records indexes that are not AgentDB's own: `{"kind": "ivf_pq", …}`
//! means the collection has Lance's IVF_PQ index (which Lance stores and maintains itself).
//!
//! `<name>.vectors.f32` is not a saved file but the cache the mirror maps its rows from under an
//! int8 index (see [`crate::vector_store`]): rewritten on every load, removed with the index.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::hnsw::{Hnsw, HnswParams, IndexParams, IvfPqParams, Quantization};
use crate::mirror::Mirror;
use crate::schema::Metric;

const MAGIC: &[u8; 8] = b"AGDBHNS2";

pub(crate) fn index_path(db: &Path, collection: &str) -> PathBuf {
    db.join("_agentdb").join(format!("{collection}.hnsw"))
}

pub(crate) fn params_path(db: &Path, collection: &str) -> PathBuf {
    db.join("_agentdb").join(format!("{collection}.index.json"))
}

/// The cache file of the mirror's rows under an int8 index.
pub(crate) fn vectors_path(db: &Path, collection: &str) -> PathBuf {
    db.join("_agentdb").join(format!("{collection}.vectors.f32"))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().ok_or_else(|| Error::internal("an index path has no directory"))?;
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    // The rename is durable once the directory is synced.
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Records that the collection has an index with these parameters.
pub(crate) fn save_params(path: &Path, params: IndexParams) -> Result<()> {
    let text = match params {
        IndexParams::Hnsw(p) => format!(
            r#"{{"kind": "hnsw", "m": {}, "ef_construction": {}, "quantization": "{}"}}"#,
            p.m,
            p.ef_construction,
            p.quantization.as_str()
        ),
        IndexParams::IvfPq(p) => {
            format!(r#"{{"kind": "ivf_pq", "partitions": {}, "sub_vectors": {}}}"#, p.partitions, p.sub_vectors)
        }
    };
    write_atomically(path, text.as_bytes())
}

/// The parameters of the collection's index, `None` if it has none.
pub(crate) fn load_params(path: &Path) -> Result<Option<IndexParams>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let bad = || Error::storage(format!("{} is damaged: {text:?}", path.display()));
    let v = crate::Value::from_json(&text).map_err(|_| bad())?;
    let crate::Value::Map(m) = v else { return Err(bad()) };
    let num = |k: &str, min: i64| match m.get(k) {
        Some(crate::Value::Int(i)) if *i >= min => Ok(*i as usize),
        _ => Err(bad()),
    };
    let text_of = |k: &str| match m.get(k) {
        Some(crate::Value::Str(s)) => Some(s.as_str()),
        _ => None,
    };
    // Files written before index kinds existed hold only m and ef_construction: HNSW, f32.
    match text_of("kind").unwrap_or("hnsw") {
        "hnsw" => Ok(Some(IndexParams::Hnsw(HnswParams {
            m: num("m", 1)?,
            ef_construction: num("ef_construction", 1)?,
            quantization: match text_of("quantization") {
                None => Quantization::None,
                Some(q) => q.parse().map_err(|_| bad())?,
            },
        }))),
        "ivf_pq" => Ok(Some(IndexParams::IvfPq(IvfPqParams {
            partitions: num("partitions", 0)?,
            sub_vectors: num("sub_vectors", 0)?,
        }))),
        _ => Err(bad()),
    }
}

/// Removes the saved graph (not the parameters).
pub(crate) fn remove_graph(db: &Path, collection: &str) -> Result<()> {
    match std::fs::remove_file(index_path(db, collection)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// Removes the saved index, its parameters and the rows' cache file.
pub(crate) fn remove(db: &Path, collection: &str) -> Result<()> {
    for p in [index_path(db, collection), params_path(db, collection)] {
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    // Best effort: a cache file is never read back, so one that cannot be removed (still mapped,
    // on a system that refuses that) is harmless; the mirror mapping it removes it when dropped.
    let _ = std::fs::remove_file(vectors_path(db, collection));
    Ok(())
}

fn quantization_code(q: Quantization) -> u8 {
    match q {
        Quantization::None => 0,
        Quantization::Int8 => 1,
    }
}

fn metric_code(m: Metric) -> u8 {
    match m {
        Metric::Cosine => 0,
        Metric::L2 => 1,
        Metric::Dot => 2,
    }
}

/// Writes the mirror and its index.
pub(crate) fn save(path: &Path, mirror: &Mirror, lance_version: u64) -> Result<()> {
    let Some(index) = &mirror.index else { return Ok(()) };
    let (ids, alive, vectors, dim) = mirror.parts();
    let mut b: Vec<u8> = Vec::with_capacity(vectors.len() * 4 + ids.len() * 64 + 64);
    b.extend_from_slice(MAGIC);
    b.extend_from_slice(&lance_version.to_le_bytes());
    b.extend_from_slice(&(dim as u32).to_le_bytes());
    b.push(metric_code(mirror.metric()));
    b.extend_from_slice(&(index.params.m as u32).to_le_bytes());
    b.extend_from_slice(&(index.params.ef_construction as u32).to_le_bytes());
    b.push(quantization_code(index.params.quantization));
    b.extend_from_slice(&index.int8_scale().unwrap_or(0.0).to_le_bytes());
    b.extend_from_slice(&(ids.len() as u32).to_le_bytes());
    b.extend_from_slice(&index.entry().unwrap_or(u32::MAX).to_le_bytes());
    for (row, id) in ids.iter().enumerate() {
        b.extend_from_slice(&(id.len() as u32).to_le_bytes());
        b.extend_from_slice(id.as_bytes());
        b.push(alive[row] as u8);
        for x in &vectors[row * dim..(row + 1) * dim] {
            b.extend_from_slice(&x.to_le_bytes());
        }
        let levels = index.levels(row as u32);
        b.push(levels as u8);
        for level in 0..levels {
            let links = index.links(row as u32, level);
            b.extend_from_slice(&(links.len() as u32).to_le_bytes());
            for l in links {
                b.extend_from_slice(&l.to_le_bytes());
            }
        }
    }
    let sum = fnv1a(&b);
    b.extend_from_slice(&sum.to_le_bytes());
    write_atomically(path, &b)
}

/// Reads a saved mirror and index. `Ok(None)` when there is no file, or when it is damaged,
/// stale (another Lance version), or of another shape: the caller then rebuilds. `vectors_file` is
/// the mirror's cache file (see [`Mirror::new`]).
pub(crate) fn load(
    path: &Path,
    lance_version: u64,
    dim: usize,
    metric: Metric,
    params: HnswParams,
    vectors_file: Option<PathBuf>,
) -> Result<Option<Mirror>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(parse(&bytes, lance_version, dim, metric, params, vectors_file))
}

fn parse(
    bytes: &[u8],
    lance_version: u64,
    dim: usize,
    metric: Metric,
    params: HnswParams,
    vectors_file: Option<PathBuf>,
) -> Option<Mirror> {
    if bytes.len() < 8 + 8 {
        return None;
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    if fnv1a(body) != u64::from_le_bytes(sum.try_into().ok()?) {
        return None;
    }
    let mut r = Reader { b: body, at: 0 };
    if r.take(8)? != MAGIC
        || r.u64()? != lance_version
        || r.u32()? as usize != dim
        || r.u8()? != metric_code(metric)
        || r.u32()? as usize != params.m
        || r.u32()? as usize != params.ef_construction
        || r.u8()? != quantization_code(params.quantization)
    {
        return None;
    }
    let scale = f32::from_le_bytes(r.take(4)?.try_into().ok()?);
    let scale = (params.quantization == Quantization::Int8).then_some(scale);
    let rows = r.u32()? as usize;
    let entry = match r.u32()? {
        u32::MAX => None,
        e if (e as usize) < rows => Some(e),
        _ => return None,
    };
    // Rows go straight where the index keeps them (the mapped file under int8).
    let mut mirror = Mirror::new(dim, metric, vectors_file);
    mirror.expect_index(params);
    let mut nodes = Vec::with_capacity(rows);
    let mut vector = Vec::with_capacity(dim);
    for _ in 0..rows {
        let len = r.u32()? as usize;
        let id = String::from_utf8(r.take(len)?.to_vec()).ok()?;
        let alive = r.u8()? != 0;
        vector.clear();
        for _ in 0..dim {
            vector.push(f32::from_le_bytes(r.take(4)?.try_into().ok()?));
        }
        mirror.push_saved_row(id, alive, &vector);
        let levels = r.u8()? as usize;
        let mut node = Vec::with_capacity(levels);
        for _ in 0..levels {
            let n = r.u32()? as usize;
            let mut links = Vec::with_capacity(n);
            for _ in 0..n {
                let l = r.u32()?;
                if l as usize >= rows {
                    return None;
                }
                links.push(l);
            }
            node.push(links);
        }
        if levels == 0 {
            return None;
        }
        nodes.push(node);
    }
    if r.at != body.len() {
        return None;
    }
    let index = Hnsw::from_parts(params, entry, nodes, scale, &mirror.points())?;
    mirror.attach_saved_index(index);
    Some(mirror)
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}
