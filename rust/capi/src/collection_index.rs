//! A collection's vector index (AgentDB's HNSW graph or Lance's IVF_PQ): create, drop, inspect
//! (`agentdb_collection_*index*`). Searching with it is `collection_search.rs`.

use std::ffi::{c_char, CStr};

use agentdb_engine::{HnswParams, IndexOptions, IndexParams, Quantization};

use crate::args::{check_struct_size, opt_str_arg, out_arg};
use crate::handle::{self, agentdb_collection};
use crate::status::{agentdb_status, guard, Fail, Res};

/// Builds an HNSW index over the collection's vectors (replacing any index it has), saves it next
/// to the collection's data, and keeps it current with every later add, upsert and delete; search
/// uses it from then on (see `agentdb_collection_search_with` for `ef` and forced exact search). The index
/// persists: reopening the database does not rebuild it.
///
/// - `m`: links per node (2 to 128; 0: the engine's default). More links: better recall, more memory.
/// - `ef_construction`: the candidate list size while building (1 to 10000; 0: the engine's default).
///   Larger builds slower and finds better links.
///
/// Out-of-range values return `AGENTDB_INVALID_ARGUMENT` and leave any existing index as it was.
/// Building takes time that grows with the number of records; searches and writes on the same
/// collection wait until it is built.
#[no_mangle]
pub extern "C" fn agentdb_collection_create_index(collection: *const agentdb_collection, m: usize, ef_construction: usize) -> agentdb_status {
    guard(|| {
        let c = handle::get(collection, "collection")?;
        let default = HnswParams::default();
        let params = HnswParams {
            m: if m == 0 { default.m } else { m },
            ef_construction: if ef_construction == 0 { default.ef_construction } else { ef_construction },
            quantization: Quantization::None,
        };
        c.collection.create_index(params)?;
        Ok(())
    })
}

/// Removes the collection's index (and its file); search compares every record again. A collection
/// without an index is not an error.
#[no_mangle]
pub extern "C" fn agentdb_collection_drop_index(collection: *const agentdb_collection) -> agentdb_status {
    guard(|| {
        handle::get(collection, "collection")?.collection.drop_index()?;
        Ok(())
    })
}

/// Tells whether the collection has an index and with which parameters: writes `true` or `false`
/// to `*out_has_index` and, when it has one, its `m` and `ef_construction` to `*out_m` and
/// `*out_ef_construction` (0 when it has none, or when its index is not HNSW: see
/// `agentdb_collection_index_describe` for every kind). `out_m` and `out_ef_construction` may be NULL when
/// not wanted.
///
/// # Safety
/// `out_has_index` is NULL or writable; `out_m` and `out_ef_construction` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_index_params(
    collection: *const agentdb_collection,
    out_has_index: *mut bool,
    out_m: *mut usize,
    out_ef_construction: *mut usize,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let has = unsafe { out_arg(out_has_index, "out_has_index") }?;
        *has = false;
        let m_out = if out_m.is_null() {
            None
        } else {
            // SAFETY: contract of this function.
            let out = unsafe { out_arg(out_m, "out_m") }?;
            *out = 0;
            Some(out)
        };
        let ef_out = if out_ef_construction.is_null() {
            None
        } else {
            // SAFETY: contract of this function.
            let out = unsafe { out_arg(out_ef_construction, "out_ef_construction") }?;
            *out = 0;
            Some(out)
        };
        let c = handle::get(collection, "collection")?;
        if let Some(params) = c.collection.index_params()? {
            *has = true;
            let IndexParams::Hnsw(params) = params else { return Ok(()) };
            if let Some(out) = m_out {
                *out = params.m;
            }
            if let Some(out) = ef_out {
                *out = params.ef_construction;
            }
        }
        Ok(())
    })
}

/// Options of `agentdb_collection_create_index_with`, and what `agentdb_collection_index_describe` reports.
///
/// Start from `agentdb_index_options_default()` (an HNSW index with the default parameters) and
/// set the fields you need:
///
/// ```c
/// agentdb_index_options o = agentdb_index_options_default();
/// o.kind = "ivf_pq";
/// o.partitions = 64;
/// agentdb_collection_create_index_with(c, &o);
/// ```
///
/// Numbers are 0 and strings NULL for "the default"; a parameter of another kind than `kind`
/// (say `m` for "ivf_pq") is `AGENTDB_INVALID_ARGUMENT`. Versioned like `agentdb_search_options`:
/// fields are only added at the end, and `struct_size` says which ones the caller knows.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_index_options {
    /// `sizeof(agentdb_index_options)`, set by `agentdb_index_options_default()`.
    pub struct_size: u32,
    /// "hnsw" (NULL: the default): AgentDB's graph, in memory, the fastest. "ivf_pq": Lance's
    /// IVF_PQ index, searched on disk, for collections larger than memory (at least 256 records;
    /// searches take `nprobes` and `refine_factor` in `agentdb_search_options`).
    pub kind: *const c_char,
    /// HNSW: links per node, 2 to 128 (0: the engine's default, `HnswParams::default()`).
    pub m: usize,
    /// HNSW: candidate list size while building, 1 to 10000 (0: the engine's default).
    pub ef_construction: usize,
    /// HNSW: "none" (NULL: the default) or "int8": the graph is built and walked on int8 codes
    /// and the candidates re-ranked with the float vectors; or "rabitq": built on the float
    /// vectors, walked on 1-bit RaBitQ codes, candidates re-ranked with the float vectors; or
    /// "rabitq2", "rabitq4", "rabitq8": the same with 2-, 4- or 8-bit (Extended RaBitQ) codes.
    pub quantization: *const c_char,
    /// IVF_PQ: partitions (0: about the square root of the number of records).
    pub partitions: usize,
    /// IVF_PQ: PQ sub-vectors, dividing the dimension (0: Lance's default).
    pub sub_vectors: usize,
}

const INDEX_OPTIONS_SIZE: usize = std::mem::size_of::<agentdb_index_options>();

/// The default index options, with `struct_size` set: every parameter 0 / NULL, which the engine
/// reads as its default (`IndexParams::from_options`: an HNSW index with `HnswParams::default()`).
/// Unlike the other `*_default()` functions, this one does not write the engine's numbers into
/// the struct: one struct describes every kind, and a parameter set for another kind than
/// `kind` is refused (`m` for "ivf_pq"), so the defaults of one kind cannot be filled in. Read
/// a built index's parameters with `agentdb_collection_index_describe`. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_index_options_default() -> agentdb_index_options {
    agentdb_index_options {
        // A few dozen bytes: the cast cannot truncate.
        struct_size: INDEX_OPTIONS_SIZE as u32,
        kind: std::ptr::null(),
        m: 0,
        ef_construction: 0,
        quantization: std::ptr::null(),
        partitions: 0,
        sub_vectors: 0,
    }
}

/// Checks `struct_size` of a caller's `agentdb_index_options`.
///
/// # Safety
/// `p` is non-NULL and its `struct_size` readable.
unsafe fn index_options_size(p: *const agentdb_index_options, what: &str) -> Res<()> {
    // SAFETY: contract of this function.
    unsafe { check_struct_size(p, what, "agentdb_index_options_default") }
}

/// Builds an index of the kind and with the parameters in `*options` (NULL: the defaults, an
/// HNSW index), replacing any index, as `agentdb_collection_create_index` does. An unknown kind or
/// quantization, a parameter out of range or of another kind, or (for "ivf_pq") too few records
/// is `AGENTDB_INVALID_ARGUMENT`, and leaves any existing index as it was. The options are read
/// during the call and not kept.
///
/// # Safety
/// `options` is NULL or points to a readable `agentdb_index_options` whose `kind` and
/// `quantization` are NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_create_index_with(
    collection: *const agentdb_collection,
    options: *const agentdb_index_options,
) -> agentdb_status {
    guard(|| {
        let c = handle::get(collection, "collection")?;
        let params = if options.is_null() {
            IndexParams::Hnsw(HnswParams::default())
        } else {
            // SAFETY: non-NULL, readable by contract.
            unsafe { index_options_size(options, "options") }?;
            // SAFETY: the size check says the caller's struct is this version's, readable whole.
            let o = unsafe { options.read() };
            // SAFETY: contract of this function (NULL or NUL-terminated).
            let kind = unsafe { opt_str_arg(o.kind, "options->kind") }?.unwrap_or("hnsw");
            // SAFETY: as above.
            let quantization = unsafe { opt_str_arg(o.quantization, "options->quantization") }?;
            let nonzero = |v: usize| (v != 0).then_some(v);
            IndexParams::from_options(
                kind,
                &IndexOptions {
                    m: nonzero(o.m),
                    ef_construction: nonzero(o.ef_construction),
                    quantization,
                    partitions: nonzero(o.partitions),
                    sub_vectors: nonzero(o.sub_vectors),
                },
            )?
        };
        c.collection.create_index(params)?;
        Ok(())
    })
}

/// Static C strings for the names the engine reports.
fn c_name(name: &str) -> *const c_char {
    let s: &'static CStr = match name {
        "hnsw" => c"hnsw",
        "ivf_pq" => c"ivf_pq",
        "none" => c"none",
        "int8" => c"int8",
        "rabitq" => c"rabitq",
        "rabitq2" => c"rabitq2",
        "rabitq4" => c"rabitq4",
        "rabitq8" => c"rabitq8",
        _ => c"",
    };
    s.as_ptr()
}

/// Tells whether the collection has an index (`*out_has_index`) and, when it has one, fills
/// `*out_options` with its kind and parameters (the caller sets `out_options->struct_size`, e.g.
/// by starting from `agentdb_index_options_default()`). The strings written (`kind`,
/// `quantization`) are static: valid for the life of the program, never freed. Without an
/// index, `*out_options` is set to the defaults. Parameters of another kind are 0 / NULL; for
/// "ivf_pq", `partitions` and `sub_vectors` are what `agentdb_collection_create_index_with` was given
/// (0: chosen by Lance).
///
/// # Safety
/// `out_has_index` is NULL or writable; `out_options` is NULL or points to a writable
/// `agentdb_index_options` whose `struct_size` is set.
#[no_mangle]
pub unsafe extern "C" fn agentdb_collection_index_describe(
    collection: *const agentdb_collection,
    out_has_index: *mut bool,
    out_options: *mut agentdb_index_options,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let has = unsafe { out_arg(out_has_index, "out_has_index") }?;
        *has = false;
        if out_options.is_null() {
            return Err(Fail::null("out_options"));
        }
        // SAFETY: non-NULL, `struct_size` readable by contract.
        unsafe { index_options_size(out_options, "out_options") }?;
        // SAFETY: contract of this function; the size check says it is this version's struct.
        let out = unsafe { out_arg(out_options, "out_options") }?;
        *out = agentdb_index_options_default();
        let c = handle::get(collection, "collection")?;
        let Some(params) = c.collection.index_params()? else { return Ok(()) };
        *has = true;
        out.kind = c_name(params.kind().as_str());
        match params {
            IndexParams::Hnsw(p) => {
                out.m = p.m;
                out.ef_construction = p.ef_construction;
                out.quantization = c_name(p.quantization.as_str());
            }
            IndexParams::IvfPq(p) => {
                out.partitions = p.partitions;
                out.sub_vectors = p.sub_vectors;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    /// Every quantization the engine has, and every index kind, has its static C name (a new
    /// mode missing from `c_name` would be reported as "").
    #[test]
    fn every_mode_and_kind_has_a_c_name() {
        let names = agentdb_engine::Quantization::ALL.iter().map(|q| q.as_str()).chain(agentdb_engine::IndexKind::ALL.iter().map(|k| k.as_str()));
        for name in names {
            // SAFETY: `c_name` returns a pointer to a static NUL-terminated string.
            let got = unsafe { std::ffi::CStr::from_ptr(super::c_name(name)) };
            assert_eq!(got.to_str().unwrap(), name);
        }
    }
}
