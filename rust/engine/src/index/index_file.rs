//! The HNSW index on disk, next to the collection's Lance data: `<db>/_agentdb/<name>.hnsw`,
//! written whole (temporary file, fsync, rename) with an FNV-1a checksum and the Lance version it
//! matches. A file whose checksum, shape or version does not match is never trusted: the caller
//! rebuilds the index from Lance. The index parameters live apart, in `<name>.index.json`, so a
//! damaged index file still says what to rebuild.
//!
//! Layout (little-endian): magic `AGDBHNS3`, lance version u64, dim u32, metric u8, m u32,
//! ef_construction u32, quantization u8 (0 none, 1 int8, 2 rabitq, 3 rabitq2, 4 rabitq4,
//! 5 rabitq8), int8 scale f32 (0 without), rows u32, entry u32 (u32::MAX: none); with a rabitq
//! mode only, the rotation's seed u64 and the centroid (dim × f32); per row: id (u32 length + bytes), alive u8, the row's vector (dim × f32,
//! as the mirror stores it), level count u8, and per level the link count u32 and links u32…;
//! then the checksum u64 of everything before it. Codes are not stored: they are re-derived from
//! the vectors and the scale (int8) or the seed's rotation and the centroid (rabitq modes).
//! The multi-bit rabitq modes (codes 3–5) came later under the same magic: their layout is the
//! 1-bit mode's, and a build that does not know them finds the file stale (its parameters never
//! name those modes) and rebuilds.
//!
//! The magic is the format's version. `AGDBHNS2` (the same layout without rabitq, which it
//! could not hold) is still read; a file of another version (`AGDBHNS1` had no quantization
//! fields) fails the check and is rebuilt, never misread. Change it whenever the layout changes,
//! and keep reading the versions a release wrote.
//!
//! `<name>.index.json` also records indexes that are not AgentDB's own: `{"kind": "ivf_pq", …}`
//! means the collection has Lance's IVF_PQ index (which Lance stores and maintains itself).
//!
//! `<name>.vectors.f32` is not a saved file but the cache the mirror maps its rows from under an
//! int8 index (see [`crate::index::vector_store`]): rewritten on every load, removed with the index.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::util::bytes::ByteReader;
use crate::util::checksum::fnv1a;
use crate::util::fs::write_atomic;
use crate::index::hnsw::Hnsw;
use crate::index::params::{HnswParams, IndexParams, IvfPqParams, Quantization};
use crate::index::mirror::Mirror;
use crate::types::schema::Metric;

const MAGIC: &[u8; 8] = b"AGDBHNS3";
/// The previous version, still read: `MAGIC`'s layout minus the rabitq section.
const MAGIC_V2: &[u8; 8] = b"AGDBHNS2";
/// Whether a file starting with `magic` is of a version this build reads.
pub(crate) fn is_readable_magic(magic: &[u8]) -> bool {
    magic == MAGIC || magic == MAGIC_V2
}

/// The largest `m` an index may have (`create_index` accepts 2..=128), and the range of
/// `ef_construction`: a parameters file outside them is damaged.
pub(crate) const MAX_M: usize = 128;
pub(crate) const MAX_EF_CONSTRUCTION: usize = 10_000;

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

/// [`write_atomic`], creating the index directory first.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().ok_or_else(|| Error::internal("an index path has no directory"))?;
    std::fs::create_dir_all(dir)?;
    write_atomic(path, bytes)
}

/// Records that the collection has an index with these parameters.
pub(crate) fn save_params(path: &Path, params: IndexParams) -> Result<()> {
    write_atomically(path, params_json(params).as_bytes())
}

/// The parameters as the JSON object of `<name>.index.json` (also in export files).
pub(crate) fn params_json(params: IndexParams) -> String {
    match params {
        IndexParams::Hnsw(p) => format!(
            r#"{{"kind": "hnsw", "m": {}, "ef_construction": {}, "quantization": "{}"}}"#,
            p.m,
            p.ef_construction,
            p.quantization.as_str()
        ),
        IndexParams::IvfPq(p) => {
            format!(r#"{{"kind": "ivf_pq", "partitions": {}, "sub_vectors": {}}}"#, p.partitions, p.sub_vectors)
        }
    }
}

/// The parameters of the collection's index, `None` if it has none.
pub(crate) fn load_params(path: &Path) -> Result<Option<IndexParams>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    parse_params(path, &text).map(Some)
}

/// The parameters in the text of `<name>.index.json` (`path` names it in errors).
pub(crate) fn parse_params(path: &Path, text: &str) -> Result<IndexParams> {
    let bad = || Error::storage(format!("{} is damaged: {text:?}", path.display()));
    let v = crate::types::value::Value::from_json(&text).map_err(|_| bad())?;
    let crate::types::value::Value::Map(m) = v else { return Err(bad()) };
    // Bounded like `create_index` bounds them: the numbers size allocations when the index is
    // rebuilt, and a damaged file must not turn into a huge one.
    let num = |k: &str, min: i64, max: usize| match m.get(k) {
        Some(crate::types::value::Value::Int(i)) if *i >= min && *i as u64 <= max as u64 => Ok(*i as usize),
        _ => Err(bad()),
    };
    let text_of = |k: &str| match m.get(k) {
        Some(crate::types::value::Value::Str(s)) => Some(s.as_str()),
        _ => None,
    };
    // Files written before index kinds existed hold only m and ef_construction: HNSW, f32.
    match text_of("kind").unwrap_or("hnsw") {
        "hnsw" => Ok(IndexParams::Hnsw(HnswParams {
            m: num("m", 1, MAX_M)?,
            ef_construction: num("ef_construction", 1, MAX_EF_CONSTRUCTION)?,
            quantization: match text_of("quantization") {
                None => Quantization::None,
                Some(q) => q.parse().map_err(|_| bad())?,
            },
        })),
        "ivf_pq" => Ok(IndexParams::IvfPq(IvfPqParams {
            partitions: num("partitions", 0, 65_536)?,
            sub_vectors: num("sub_vectors", 0, crate::types::schema::MAX_DIM)?,
        })),
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
        Quantization::RaBitQ => 2,
        Quantization::RaBitQ2 => 3,
        Quantization::RaBitQ4 => 4,
        Quantization::RaBitQ8 => 5,
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
    if index.params.quantization.rabitq_bits().is_some() {
        // An index without rows has no centroid yet: the mean of no rows, zero.
        let zero = vec![0f32; dim];
        let (seed, centroid) = index.rabitq_parts().unwrap_or((0, &zero));
        b.extend_from_slice(&seed.to_le_bytes());
        for x in centroid {
            b.extend_from_slice(&x.to_le_bytes());
        }
    }
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
/// stale (another Lance version), of another shape, or inconsistent with the table (its live
/// rows outside `live_rows`, the range the table and the buffered writes allow): the caller then
/// rebuilds. A file that exists but is not used is reported on stderr (it costs a rebuild).
/// `vectors_file` is the mirror's cache file (see [`Mirror::new`]).
///
/// The file is untrusted input: every count in it is checked against the bytes that remain and
/// every allocation is fallible, so no file, however crafted, makes loading abort or misread.
pub(crate) fn load(
    path: &Path,
    expect: &Expected,
    vectors_file: Option<PathBuf>,
) -> Result<Option<Mirror>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    match parse(&bytes, expect, vectors_file) {
        Ok(m) => Ok(Some(m)),
        Err(Reject::Stale) => Ok(None),
        Err(Reject::Damaged(why)) => {
            eprintln!("agentdb: warning: ignoring the index file {} ({why}); rebuilding the index from the data", path.display());
            Ok(None)
        }
    }
}

/// What a saved index must match to be used.
#[derive(Clone, Debug)]
pub(crate) struct Expected {
    pub lance_version: u64,
    pub dim: usize,
    pub metric: Metric,
    pub params: HnswParams,
    /// How many live (not deleted) rows the file may hold: the table's row count, give or take
    /// the writes buffered in the log on top of it.
    pub live_rows: RangeInclusive<usize>,
}

/// Why a saved index is not used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Reject {
    /// Of another format, Lance version or index shape: expected after a write or a new
    /// `create_index`, rebuilt without a word.
    Stale,
    /// Damaged or inconsistent (checksum, counts, links, rows the table does not have).
    Damaged(&'static str),
}

/// Fallible `Vec::with_capacity`: a count that passed the length checks can still be more than
/// the allocator gives; that is a rebuild, never an abort.
fn try_vec<T>(n: usize) -> std::result::Result<Vec<T>, Reject> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Reject::Damaged("it needs more memory than is available"))?;
    Ok(v)
}

pub(crate) fn parse(bytes: &[u8], expect: &Expected, vectors_file: Option<PathBuf>) -> std::result::Result<Mirror, Reject> {
    use Reject::{Damaged, Stale};
    let cut = Damaged("it is cut short");
    if bytes.len() < MAGIC.len() + 8 {
        return Err(cut);
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let v2 = body[..MAGIC.len()] == MAGIC_V2[..];
    if body[..MAGIC.len()] != MAGIC[..] && !v2 {
        // Another version of the format (an older AgentDB's file): rebuilt, never misread.
        return Err(if body.starts_with(&MAGIC[..MAGIC.len() - 1]) { Stale } else { Damaged("it is not an index file") });
    }
    if fnv1a(body) != u64::from_le_bytes(sum.try_into().map_err(|_| Damaged("it is cut short"))?) {
        return Err(Damaged("its checksum does not match"));
    }
    let dim = expect.dim;
    let params = expect.params;
    let mut r = ByteReader::new(body);
    r.take(MAGIC.len());
    let header = (|| {
        Some((r.u64()?, r.u32()?, r.u8()?, r.u32()?, r.u32()?, r.u8()?, f32::from_le_bytes(r.take(4)?.try_into().ok()?), r.u32()?, r.u32()?))
    })();
    let Some((version, file_dim, metric, m, ef_construction, quantization, scale, rows, entry)) = header else {
        return Err(cut);
    };
    if version != expect.lance_version
        || file_dim as usize != dim
        || metric != metric_code(expect.metric)
        || m as usize != params.m
        || ef_construction as usize != params.ef_construction
        || quantization != quantization_code(params.quantization)
    {
        return Err(Stale);
    }
    if dim == 0 || dim > crate::types::schema::MAX_DIM || !(1..=MAX_M).contains(&params.m) {
        return Err(Damaged("its shape is impossible"));
    }
    let scale = (params.quantization == Quantization::Int8).then_some(scale);
    let rabitq = if params.quantization.rabitq_bits().is_some() {
        if v2 {
            return Err(Damaged("a version 2 file cannot hold a rabitq index"));
        }
        let seed = r.u64().ok_or(cut)?;
        let raw = r.take(4 * dim).ok_or(cut)?;
        let centroid: Vec<f32> = raw.chunks_exact(4).map(|x| f32::from_le_bytes([x[0], x[1], x[2], x[3]])).collect();
        if !centroid.iter().all(|x| x.is_finite()) {
            return Err(Damaged("the rabitq centroid holds NaN or infinity"));
        }
        Some((seed, centroid))
    } else {
        None
    };
    let rows = rows as usize;
    // The smallest a row can be: an empty id, the alive flag, the vector, one level, no links.
    let min_row = 4 + 1 + 4 * dim + 1 + 4;
    if rows > r.remaining() / min_row {
        return Err(Damaged("its row count is larger than the file"));
    }
    let entry = match entry {
        u32::MAX => None,
        e if (e as usize) < rows => Some(e),
        _ => return Err(Damaged("its entry point is not a row")),
    };
    // Rows go straight where the index keeps them (the mapped file under int8).
    let mut mirror = Mirror::new(dim, expect.metric, vectors_file);
    mirror.expect_index(params);
    if !mirror.try_reserve_saved_rows(rows) {
        return Err(Damaged("it needs more memory than is available"));
    }
    let mut nodes: Vec<Vec<Vec<u32>>> = try_vec(rows)?;
    let mut vector: Vec<f32> = try_vec(dim)?;
    let mut live = 0usize;
    for _ in 0..rows {
        let len = r.u32().ok_or(Damaged("it is cut short"))? as usize;
        if len > crate::types::records::MAX_ID_LEN {
            return Err(Damaged("an id is longer than ids may be"));
        }
        let id = std::str::from_utf8(r.take(len).ok_or(Damaged("it is cut short"))?)
            .map_err(|_| Damaged("an id is not UTF-8"))?
            .to_owned();
        let alive = match r.u8().ok_or(Damaged("it is cut short"))? {
            0 => false,
            1 => true,
            _ => return Err(Damaged("a row's alive flag is neither 0 nor 1")),
        };
        vector.clear();
        for x in r.take(4 * dim).ok_or(Damaged("it is cut short"))?.chunks_exact(4) {
            vector.push(f32::from_le_bytes([x[0], x[1], x[2], x[3]]));
        }
        if !vector.iter().all(|x| x.is_finite()) {
            return Err(Damaged("a vector holds NaN or infinity"));
        }
        if !mirror.push_saved_row(id, alive, &vector) {
            return Err(Damaged("an id is live in two rows"));
        }
        live += alive as usize;
        let levels = r.u8().ok_or(Damaged("it is cut short"))? as usize;
        if levels == 0 || levels > crate::index::hnsw::MAX_LEVELS {
            return Err(Damaged("a node's level count is impossible"));
        }
        let mut node = try_vec(levels)?;
        for level in 0..levels {
            let n = r.u32().ok_or(Damaged("it is cut short"))? as usize;
            let cap = if level == 0 { 2 * params.m } else { params.m };
            if n > cap {
                return Err(Damaged("a node has more links than the index allows"));
            }
            let raw = r.take(4 * n).ok_or(Damaged("it is cut short"))?;
            let mut links = try_vec(n)?;
            for l in raw.chunks_exact(4) {
                let l = u32::from_le_bytes([l[0], l[1], l[2], l[3]]);
                if l as usize >= rows {
                    return Err(Damaged("a link points past the last row"));
                }
                links.push(l);
            }
            node.push(links);
        }
        nodes.push(node);
    }
    if r.remaining() != 0 {
        return Err(Damaged("bytes follow its last row"));
    }
    if !expect.live_rows.contains(&live) {
        return Err(Damaged("its live rows do not match the table's row count"));
    }
    let index = Hnsw::from_parts(params, entry, nodes, scale, rabitq, &mirror.points()).ok_or(Damaged("its graph is inconsistent"))?;
    mirror.attach_saved_index(index);
    Ok(mirror)
}

/// For fuzzing [`parse`]: the expectations a file's own header states, where they are ones a
/// collection can have (others are replaced by valid ones, which the header then fails to match),
/// with any number of live rows.
pub(crate) fn expected_from_header(bytes: &[u8]) -> Expected {
    let u32_at = |at: usize| bytes.get(at..at + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let in_range = |v: usize, lo: usize, hi: usize| if (lo..=hi).contains(&v) { v } else { lo };
    Expected {
        lance_version: bytes.get(8..16).map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or_default())),
        dim: in_range(u32_at(16), 1, crate::types::schema::MAX_DIM),
        metric: match bytes.get(20) {
            Some(1) => Metric::L2,
            Some(2) => Metric::Dot,
            _ => Metric::Cosine,
        },
        params: HnswParams {
            m: in_range(u32_at(21), 2, MAX_M),
            ef_construction: in_range(u32_at(25), 1, MAX_EF_CONSTRUCTION),
            quantization: match bytes.get(29) {
                Some(1) => Quantization::Int8,
                Some(2) => Quantization::RaBitQ,
                Some(3) => Quantization::RaBitQ2,
                Some(4) => Quantization::RaBitQ4,
                Some(5) => Quantization::RaBitQ8,
                _ => Quantization::None,
            },
        },
        live_rows: 0..=usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::records::Vectors;

    const DIM: usize = 8;
    /// Where the header's row count, entry point and first row sit (see the module's layout).
    const ROWS_AT: usize = 34;
    const ENTRY_AT: usize = 38;
    const FIRST_ROW_AT: usize = 42;

    fn params(quantization: Quantization) -> HnswParams {
        HnswParams { m: 8, ef_construction: 40, quantization }
    }

    fn expected(quantization: Quantization, live_rows: RangeInclusive<usize>) -> Expected {
        Expected { lance_version: 3, dim: DIM, metric: Metric::L2, params: params(quantization), live_rows }
    }

    /// A saved index of `n` rows (the first `deleted` of them deleted), as its file's bytes.
    fn saved(n: usize, deleted: usize, quantization: Quantization) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let ids: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
        let mut m = Mirror::new(DIM, Metric::L2, None);
        m.upsert(&ids, Vectors::Flat { data: &crate::index::hnsw::tests::data(n, DIM, 5), dim: DIM });
        m.build_index(params(quantization));
        m.remove(ids[..deleted].iter().map(String::as_str));
        let path = dir.path().join("c.hnsw");
        save(&path, &m, 3).unwrap();
        std::fs::read(&path).unwrap()
    }

    /// `body` with a valid checksum after it: what a crafted file looks like.
    fn sealed(mut body: Vec<u8>) -> Vec<u8> {
        let sum = fnv1a(&body);
        body.extend_from_slice(&sum.to_le_bytes());
        body
    }

    fn body(file: &[u8]) -> Vec<u8> {
        file[..file.len() - 8].to_vec()
    }

    fn set_u32(b: &mut [u8], at: usize, v: u32) {
        b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn damaged(bytes: &[u8], expect: &Expected) -> &'static str {
        match parse(bytes, expect, None) {
            Err(Reject::Damaged(why)) => why,
            Err(Reject::Stale) => panic!("rejected as stale, expected damaged"),
            Ok(_) => panic!("a damaged file was accepted"),
        }
    }

    #[test]
    fn a_saved_index_loads_back() {
        for &q in Quantization::ALL {
            let file = saved(300, 20, q);
            let m = parse(&file, &expected(q, 280..=280), None).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(m.parts().0.len(), 300);
            assert_eq!(m.index.as_ref().unwrap().len(), 300);
        }
    }

    #[test]
    fn a_version_2_file_still_opens() {
        for q in [Quantization::None, Quantization::Int8] {
            // Version 3 without rabitq is version 2's layout under a new magic.
            let mut b = body(&saved(200, 10, q));
            b[..8].copy_from_slice(MAGIC_V2);
            let m = parse(&sealed(b), &expected(q, 190..=190), None).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(m.index.as_ref().unwrap().len(), 200);
        }
        let mut b = body(&saved(20, 0, Quantization::RaBitQ));
        b[..8].copy_from_slice(MAGIC_V2);
        assert_eq!(damaged(&sealed(b), &expected(Quantization::RaBitQ, 0..=usize::MAX)), "a version 2 file cannot hold a rabitq index");
    }

    #[test]
    fn a_multi_bit_rabitq_file_reloads_the_same_codes_and_answers() {
        for q in [Quantization::RaBitQ2, Quantization::RaBitQ4, Quantization::RaBitQ8] {
            let file = saved(300, 20, q);
            assert_eq!(file[29], quantization_code(q));
            let m = parse(&file, &expected(q, 280..=280), None).unwrap_or_else(|e| panic!("{e:?}"));
            let again = parse(&file, &expected(q, 280..=280), None).unwrap();
            let (a, b) = (m.index.as_ref().unwrap(), again.index.as_ref().unwrap());
            assert_eq!(a.rabitq_parts().map(|(s, c)| (s, c.to_vec())), b.rabitq_parts().map(|(s, c)| (s, c.to_vec())));
            let points = m.points();
            for row in [0u32, 7, 150] {
                let query = points.data[row as usize * DIM..(row as usize + 1) * DIM].to_vec();
                assert_eq!(a.search(&points, &query, 5, 40, |_| true), b.search(&again.points(), &query, 5, 40, |_| true));
            }
            // Another mode's parameters find the file stale (rebuilt), never misread.
            let other = if q == Quantization::RaBitQ4 { Quantization::RaBitQ8 } else { Quantization::RaBitQ4 };
            assert_eq!(parse(&file, &expected(other, 280..=280), None).err(), Some(Reject::Stale));
            assert_eq!(parse(&file, &expected(Quantization::RaBitQ, 280..=280), None).err(), Some(Reject::Stale));
        }
    }

    #[test]
    fn a_rabitq_file_keeps_its_rotation_and_centroid() {
        let file = saved(300, 0, Quantization::RaBitQ);
        let m = parse(&file, &expected(Quantization::RaBitQ, 300..=300), None).unwrap();
        let (seed, centroid) = m.index.as_ref().unwrap().rabitq_parts().unwrap();
        assert_eq!(seed, u64::from_le_bytes(file[FIRST_ROW_AT..FIRST_ROW_AT + 8].try_into().unwrap()));
        assert_eq!(centroid.len(), DIM);
        // A damaged centroid is refused, a cut one too.
        let mut b = body(&file);
        b[FIRST_ROW_AT + 8..FIRST_ROW_AT + 12].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(damaged(&sealed(b), &expected(Quantization::RaBitQ, 300..=300)), "the rabitq centroid holds NaN or infinity");
        let b = body(&file)[..FIRST_ROW_AT + 20].to_vec();
        assert_eq!(damaged(&sealed(b), &expected(Quantization::RaBitQ, 300..=300)), "it is cut short");
        // Saved again, the same bytes (the codes re-derived the same way).
        let dir = tempfile::tempdir().unwrap();
        save(&dir.path().join("c.hnsw"), &m, 3).unwrap();
        assert_eq!(std::fs::read(dir.path().join("c.hnsw")).unwrap(), file);
    }

    #[test]
    fn huge_row_counts_are_rejected_before_allocating() {
        let file = saved(50, 0, Quantization::None);
        for rows in [0xFFFF_FFF0u32, u32::MAX - 1, 1 << 28, 51] {
            let mut b = body(&file);
            set_u32(&mut b, ROWS_AT, rows);
            let why = damaged(&sealed(b), &expected(Quantization::None, 0..=usize::MAX));
            assert!(why.contains("row count") || why.contains("cut short"), "{rows}: {why}");
        }
        // One row fewer than stored: a link to the 50th row, or the bytes left over, gives it away.
        let mut b = body(&file);
        set_u32(&mut b, ROWS_AT, 49);
        let why = damaged(&sealed(b), &expected(Quantization::None, 0..=usize::MAX));
        assert!(why == "a link points past the last row" || why == "bytes follow its last row", "{why}");
    }

    #[test]
    fn truncated_files_are_rejected() {
        let file = saved(40, 0, Quantization::Int8);
        let expect = expected(Quantization::Int8, 0..=usize::MAX);
        for cut in [1usize, 4, 9, 100, file.len() / 2, file.len() - ROWS_AT, file.len() - 9] {
            // Cut with the checksum still the old one, and resealed over the shorter body.
            let short = &file[..file.len() - cut];
            assert!(parse(short, &expect, None).is_err(), "cut {cut}");
            let b = body(&file);
            if cut < b.len() {
                let resealed = sealed(b[..b.len() - cut].to_vec());
                assert!(matches!(parse(&resealed, &expect, None), Err(Reject::Damaged(_))), "resealed cut {cut}");
            }
        }
        for n in 0..16 {
            assert!(parse(&file[..n], &expect, None).is_err());
        }
    }

    #[test]
    fn live_rows_must_match_the_table() {
        let file = saved(100, 10, Quantization::None);
        // 90 live rows: a table of 90 (or 85 to 95 with 5 buffered writes) accepts them.
        assert!(parse(&file, &expected(Quantization::None, 90..=90), None).is_ok());
        assert!(parse(&file, &expected(Quantization::None, 85..=95), None).is_ok());
        for range in [0..=0, 91..=200, 0..=89, 1000..=1000] {
            assert_eq!(
                damaged(&file, &expected(Quantization::None, range.clone())),
                "its live rows do not match the table's row count",
                "{range:?}"
            );
        }
    }

    #[test]
    fn crafted_counts_inside_rows_are_rejected() {
        let file = saved(30, 0, Quantization::None);
        let expect = expected(Quantization::None, 0..=usize::MAX);
        let first_id_len = u32::from_le_bytes(file[FIRST_ROW_AT..FIRST_ROW_AT + 4].try_into().unwrap()) as usize;
        let alive_at = FIRST_ROW_AT + 4 + first_id_len;
        let levels_at = alive_at + 1 + 4 * DIM;
        let links_at = levels_at + 1;
        let cases: Vec<(&str, Box<dyn Fn(&mut Vec<u8>)>)> = vec![
            ("huge id length", Box::new(|b: &mut Vec<u8>| set_u32(b, FIRST_ROW_AT, 0xFFFF_FFF0))),
            ("id longer than the file", Box::new(|b: &mut Vec<u8>| set_u32(b, FIRST_ROW_AT, 1000))),
            ("alive flag 7", Box::new(move |b: &mut Vec<u8>| b[alive_at] = 7)),
            ("no levels", Box::new(move |b: &mut Vec<u8>| b[levels_at] = 0)),
            ("255 levels", Box::new(move |b: &mut Vec<u8>| b[levels_at] = 255)),
            ("huge link count", Box::new(move |b: &mut Vec<u8>| set_u32(b, links_at, 0xFFFF_FFF0))),
            ("17 links with m = 8", Box::new(move |b: &mut Vec<u8>| set_u32(b, links_at, 17))),
            ("a link past the rows", Box::new(move |b: &mut Vec<u8>| set_u32(b, links_at + 4, 30))),
            ("entry past the rows", Box::new(|b: &mut Vec<u8>| set_u32(b, ENTRY_AT, 30))),
            ("a NaN coordinate", Box::new(move |b: &mut Vec<u8>| b[alive_at + 1..alive_at + 5].copy_from_slice(&f32::NAN.to_le_bytes()))),
            ("an id that is not UTF-8", Box::new(|b: &mut Vec<u8>| b[FIRST_ROW_AT + 4] = 0xFF)),
        ];
        for (what, edit) in cases {
            let mut b = body(&file);
            edit(&mut b);
            let why = damaged(&sealed(b), &expect);
            assert!(!why.is_empty(), "{what}");
        }
    }

    #[test]
    fn an_id_live_twice_is_rejected() {
        let file = saved(2, 0, Quantization::None);
        // Both ids are "r0" / "r1", the same length: rename the second to the first.
        let mut b = body(&file);
        let at = b.windows(2).rposition(|w| w == b"r1").unwrap();
        b[at + 1] = b'0';
        assert_eq!(damaged(&sealed(b), &expected(Quantization::None, 0..=usize::MAX)), "an id is live in two rows");
    }

    #[test]
    fn other_versions_are_stale_and_garbage_is_damaged() {
        let file = saved(10, 0, Quantization::None);
        let expect = expected(Quantization::None, 0..=usize::MAX);
        assert_eq!(parse(&file, &Expected { lance_version: 4, ..expect.clone() }, None).err(), Some(Reject::Stale));
        let mut old = body(&file);
        old[7] = b'1'; // AGDBHNS1
        assert_eq!(parse(&sealed(old), &expect, None).err(), Some(Reject::Stale));
        let mut garbage = body(&file);
        garbage[0] = b'X';
        assert!(matches!(parse(&sealed(garbage), &expect, None), Err(Reject::Damaged(_))));
    }

    /// Random edits and cuts of a valid file, resealed so the checksum passes: never a panic,
    /// and whatever loads is whole (its graph covers its rows).
    #[test]
    fn resealed_random_damage_never_panics() {
        let file = saved(60, 5, Quantization::Int8);
        let expect = expected(Quantization::Int8, 0..=usize::MAX);
        let mut s = 0x1234_5678_9abc_def1u64;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..3000 {
            let mut b = body(&file);
            for _ in 0..1 + next() % 4 {
                let at = next() as usize % b.len();
                match next() % 3 {
                    0 => b[at] = next() as u8,
                    1 => b[at] ^= 1 << (next() % 8),
                    _ => b.truncate(at.max(1)),
                }
            }
            if let Ok(m) = parse(&sealed(b), &expect, None) {
                assert_eq!(m.index.as_ref().unwrap().len(), m.parts().0.len());
            }
        }
    }

    #[test]
    fn a_crafted_file_on_disk_is_ignored_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.hnsw");
        let mut b = body(&saved(20, 0, Quantization::None));
        set_u32(&mut b, ROWS_AT, 0xFFFF_FFF0);
        std::fs::write(&path, sealed(b)).unwrap();
        assert!(load(&path, &expected(Quantization::None, 20..=20), None).unwrap().is_none());
        assert!(load(&dir.path().join("missing.hnsw"), &expected(Quantization::None, 0..=0), None).unwrap().is_none());
    }

    #[test]
    fn parameters_out_of_range_are_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.index.json");
        for text in [
            r#"{"kind": "hnsw", "m": 1099511627776, "ef_construction": 200}"#,
            r#"{"kind": "hnsw", "m": 16, "ef_construction": 4294967296}"#,
            r#"{"kind": "hnsw", "m": -3, "ef_construction": 200}"#,
            r#"{"kind": "ivf_pq", "partitions": 1000000000, "sub_vectors": 0}"#,
        ] {
            std::fs::write(&path, text).unwrap();
            let err = load_params(&path).err().unwrap_or_else(|| panic!("{text} was accepted"));
            assert_eq!(err.kind(), crate::ErrorKind::Storage);
        }
        std::fs::write(&path, r#"{"kind": "hnsw", "m": 16, "ef_construction": 200}"#).unwrap();
        assert!(load_params(&path).unwrap().is_some());
    }
}
