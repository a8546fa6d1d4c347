//! Searching a collection (`agentdb_collection_search*`): the k nearest records to one query or a
//! batch, with the search options (`agentdb_search_options`). The hits are an `agentdb_results`
//! (`results.rs`).

use std::ffi::c_char;

use agentdb_engine::{Include, SearchOptions, Vectors};

use crate::args::{batch, filter_arg, floats_arg, k_arg, out_arg};
use crate::handle::{self, agentdb_collection, agentdb_results};
use crate::results::{Hits, ResultsObj};
use crate::status::{agentdb_status, guard, Fail, Res};

/// Finds the `k` records nearest to the `dim` floats at `query`, closest first, among those
/// matching the filter (as in `agentdb_collection_get`). Writes a new `agentdb_results` holding one query's
/// hits to `*out_results` (free it with `agentdb_results_free`; on failure it is NULL). Fewer than
/// `k` hits when fewer records match. `k` is 1 to `AGENTDB_MAX_K`; `dim` at most
/// `AGENTDB_MAX_DIM` (checked before `query` is read).
///
/// Without an index the search is exact (every record is compared). With an HNSW index
/// (`agentdb_collection_create_index`) it walks the index with the default candidate list (max(k, 64));
/// `agentdb_collection_search_with` sets that list's size, forces an exact scan, sets the threads of an exact
/// scan, or skips documents and metadata (`agentdb_search_options`).
///
/// # Safety
/// `query` is NULL or points to `dim` floats; `filter_sql` and `filter_json` are NULL or
/// NUL-terminated; `out_results` is NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_collection_search(
    collection: *const agentdb_collection,
    query: *const f32,
    dim: usize,
    k: usize,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    out_results: *mut *mut agentdb_results,
) -> agentdb_status {
    // SAFETY: same contract as this function, with one query.
    unsafe { search(collection, query, 1, dim, k, filter_sql, filter_json, std::ptr::null(), out_results) }
}

/// `agentdb_collection_search` for `n_queries` queries at once, stored row-major at `queries`
/// (`n_queries * dim` floats); they run concurrently. The results hold one list of hits per
/// query, in the order of the queries.
///
/// # Safety
/// `queries` is NULL or points to `n_queries * dim` floats; otherwise as for `agentdb_collection_search`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_collection_search_batch(
    collection: *const agentdb_collection,
    queries: *const f32,
    n_queries: usize,
    dim: usize,
    k: usize,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    out_results: *mut *mut agentdb_results,
) -> agentdb_status {
    // SAFETY: same contract as this function.
    unsafe { search(collection, queries, n_queries, dim, k, filter_sql, filter_json, std::ptr::null(), out_results) }
}

/// Options for `agentdb_collection_search_with` and `agentdb_collection_search_batch_with`.
///
/// Start from `agentdb_search_options_default()` and set the fields you need, so that
/// `struct_size` is right and every other field keeps its default:
///
/// ```c
/// agentdb_search_options o = agentdb_search_options_default();
/// o.ef = 128;
/// agentdb_collection_search_with(c, q, 3, 5, NULL, NULL, &o, &r);
/// ```
///
/// (A zeroed struct with `struct_size = sizeof(agentdb_search_options)` is the same.)
///
/// Versions: fields are only ever added at the end, and each one's zero value means "the
/// default". `struct_size` tells the library which fields the caller knows, so a program built
/// against this header keeps working with later libraries (the fields it does not know take their
/// defaults). A `struct_size` smaller than this first version of the struct, or larger than the
/// struct the library knows (a program built against a newer agentdb.h than the library), is
/// `AGENTDB_INVALID_ARGUMENT`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub struct agentdb_search_options {
    /// `sizeof(agentdb_search_options)`, set by `agentdb_search_options_default()`: the version
    /// of this struct the caller was built with.
    pub struct_size: u32,
    /// The size of the candidate list when an HNSW index is walked, 1 to 100000: larger finds
    /// more of the true neighbours and runs slower; values below `k` act as `k`. 0: the default,
    /// max(k, 64). Ignored when the collection has no index or the search is exact.
    pub ef: usize,
    /// `true`: compare every record even when an index exists (the exact k nearest).
    /// `false` (the default): use the index when there is one.
    pub exact: bool,
    /// The number of threads an exact scan of a large collection may use (small collections are
    /// scanned on one thread). 0: the default, all cores.
    pub threads: usize,
    /// `true`: return only ids and distances; documents and metadata are not read from storage
    /// (most of the cost of a small search), so `agentdb_results_get_document` gives NULL and
    /// `agentdb_results_get_metadata` gives `{}` for every hit. `false` (the default): return them.
    pub ids_only: bool,
    // -- version 2 (the fields above are version 1) --
    /// With an IVF_PQ index (`agentdb_collection_create_index_with`, kind "ivf_pq"): how many partitions to
    /// search; more finds more of the true neighbours and runs slower. 0: Lance's adaptive
    /// default. Ignored by other indexes.
    pub nprobes: usize,
    /// With an IVF_PQ index: re-rank `refine_factor × k` candidates with their exact vectors
    /// (1 to 100000). 0: the default, rank by the compressed codes only. Ignored by other indexes.
    pub refine_factor: u32,
    // -- version 3 --
    /// `true`: hits carry no document (`agentdb_results_get_document` gives NULL); the documents are
    /// not read. `false` (the default): they do. Documents and metadata come from an in-memory
    /// cache kept in step with every write, so returning them costs little.
    pub omit_documents: bool,
    /// `true`: hits carry no metadata (`agentdb_results_get_metadata` gives `{}`). `false` (the
    /// default): they do. `ids_only` omits both.
    pub omit_metadata: bool,
}

/// This version's `sizeof(agentdb_search_options)`. When fields are added, the size of the first
/// version stays the smallest `struct_size` accepted, and a field is read only when `struct_size`
/// covers it.
const SEARCH_OPTIONS_SIZE: usize = std::mem::size_of::<agentdb_search_options>();

/// `sizeof` the first version (up to `ids_only`, with its trailing padding), which programs built
/// against an older agentdb.h pass.
const SEARCH_OPTIONS_V1_SIZE: usize = std::mem::offset_of!(agentdb_search_options, nprobes);

/// The default search options, the engine's `SearchOptions::default()` (what
/// `agentdb_collection_search` uses), with `struct_size` set to `sizeof(agentdb_search_options)`.
/// The engine leaves `ef`, `threads`, `nprobes` and `refine_factor` to be decided per search (from
/// `k`, the cores, the index): they are 0, "the engine decides". Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_search_options_default() -> agentdb_search_options {
    let d = SearchOptions::default();
    agentdb_search_options {
        // The struct is a few dozen bytes: the cast cannot truncate.
        struct_size: SEARCH_OPTIONS_SIZE as u32,
        ef: d.ef.unwrap_or_default(),
        exact: d.exact,
        threads: d.threads.unwrap_or_default(),
        ids_only: !d.include.documents && !d.include.metadata,
        nprobes: d.nprobes.unwrap_or_default(),
        refine_factor: d.refine_factor.unwrap_or_default(),
        omit_documents: !d.include.documents,
        omit_metadata: !d.include.metadata,
    }
}

/// Finds the `k` records nearest to the `dim` floats at `query`, as `agentdb_collection_search` does, with the
/// search options at `options` (see `agentdb_search_options`; NULL: the defaults, which makes this
/// call `agentdb_collection_search`). The options are read during the call and not kept.
///
/// Options out of range (`ef` or `refine_factor` above 100000, a wrong `struct_size`) are
/// `AGENTDB_INVALID_ARGUMENT`.
///
/// # Safety
/// As for `agentdb_collection_search`; `options` is NULL or points to a readable `agentdb_search_options` of
/// at least `options->struct_size` bytes.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_collection_search_with(
    collection: *const agentdb_collection,
    query: *const f32,
    dim: usize,
    k: usize,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    options: *const agentdb_search_options,
    out_results: *mut *mut agentdb_results,
) -> agentdb_status {
    // SAFETY: same contract as this function, with one query.
    unsafe { search(collection, query, 1, dim, k, filter_sql, filter_json, options, out_results) }
}

/// `agentdb_collection_search_batch` with the options of `agentdb_collection_search_with` (NULL: the defaults), applied
/// to every query.
///
/// # Safety
/// As for `agentdb_collection_search_batch`, and `options` as for `agentdb_collection_search_with`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn agentdb_collection_search_batch_with(
    collection: *const agentdb_collection,
    queries: *const f32,
    n_queries: usize,
    dim: usize,
    k: usize,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    options: *const agentdb_search_options,
    out_results: *mut *mut agentdb_results,
) -> agentdb_status {
    // SAFETY: same contract as this function.
    unsafe { search(collection, queries, n_queries, dim, k, filter_sql, filter_json, options, out_results) }
}

/// The engine's options from a C `agentdb_search_options` (NULL: the defaults; 0 for `ef` or
/// `threads`: the default).
///
/// # Safety
/// `p` is NULL or points to a readable `agentdb_search_options` of at least `p->struct_size` bytes.
unsafe fn search_options_arg(p: *const agentdb_search_options) -> Res<SearchOptions> {
    if p.is_null() {
        return Ok(SearchOptions::default());
    }
    if !p.is_aligned() {
        return Err(Fail::invalid("options is not aligned for agentdb_search_options"));
    }
    // SAFETY: `p` is non-NULL and aligned, and every version of the struct starts with
    // `struct_size`, which the caller guarantees readable.
    let size = unsafe { std::ptr::addr_of!((*p).struct_size).read() } as usize;
    if size < SEARCH_OPTIONS_V1_SIZE {
        return Err(Fail::invalid(format!(
            "options->struct_size is {size}, smaller than the first agentdb_search_options \
             ({SEARCH_OPTIONS_V1_SIZE} bytes): start from agentdb_search_options_default()"
        )));
    }
    if size > SEARCH_OPTIONS_SIZE {
        return Err(Fail::invalid(format!(
            "options->struct_size is {size}, larger than this library's agentdb_search_options \
             ({SEARCH_OPTIONS_SIZE} bytes): the program was built against a newer agentdb.h"
        )));
    }
    // SAFETY: `p` is non-NULL and aligned and (by the checks above and the caller's contract)
    // points to `struct_size` ≥ `SEARCH_OPTIONS_V1_SIZE` readable bytes: at least the version-1
    // fields read here. The integer fields are read as they are; the two `bool`s are read as
    // bytes, so a value other than 0 or 1 from C is "true" rather than an invalid Rust `bool`.
    let (ef, exact, threads, ids_only) = unsafe {
        (
            std::ptr::addr_of!((*p).ef).read(),
            std::ptr::addr_of!((*p).exact).cast::<u8>().read() != 0,
            std::ptr::addr_of!((*p).threads).read(),
            std::ptr::addr_of!((*p).ids_only).cast::<u8>().read() != 0,
        )
    };
    // Version-2 fields, when the caller's struct has them (an older caller's get the defaults).
    let (mut nprobes, mut refine_factor) = (0, 0);
    if size >= std::mem::offset_of!(agentdb_search_options, refine_factor) + std::mem::size_of::<u32>() {
        // SAFETY: `struct_size` covers both fields (checked just above), readable by contract.
        (nprobes, refine_factor) =
            unsafe { (std::ptr::addr_of!((*p).nprobes).read(), std::ptr::addr_of!((*p).refine_factor).read()) };
    }
    let (mut omit_documents, mut omit_metadata) = (false, false);
    if size > std::mem::offset_of!(agentdb_search_options, omit_metadata) {
        // SAFETY: `struct_size` covers both one-byte fields (checked just above), readable by
        // contract; read as bytes, so any non-zero value from C is "true".
        (omit_documents, omit_metadata) = unsafe {
            (
                std::ptr::addr_of!((*p).omit_documents).cast::<u8>().read() != 0,
                std::ptr::addr_of!((*p).omit_metadata).cast::<u8>().read() != 0,
            )
        };
    }
    Ok(SearchOptions {
        ef: (ef != 0).then_some(ef),
        exact,
        threads: (threads != 0).then_some(threads),
        include: Include { documents: !(ids_only || omit_documents), metadata: !(ids_only || omit_metadata) },
        nprobes: (nprobes != 0).then_some(nprobes),
        refine_factor: (refine_factor != 0).then_some(refine_factor),
    })
}

/// Every search call (`options` NULL: the defaults).
///
/// # Safety
/// As for [`agentdb_collection_search_batch_with`].
#[allow(clippy::too_many_arguments)]
unsafe fn search(
    collection: *const agentdb_collection,
    queries: *const f32,
    n_queries: usize,
    dim: usize,
    k: usize,
    filter_sql: *const c_char,
    filter_json: *const c_char,
    options: *const agentdb_search_options,
    out_results: *mut *mut agentdb_results,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of the calling function.
        let out = unsafe { out_arg(out_results, "out_results") }?;
        *out = std::ptr::null_mut();
        k_arg(k, "k")?;
        batch(n_queries, "queries", &[("queries", queries.is_null() && dim > 0)])?;
        let c = handle::get(collection, "collection")?;
        // SAFETY: contract of the calling function.
        let data = unsafe { floats_arg(queries, n_queries, dim, "queries") }?;
        // SAFETY: contract of the calling function.
        let filter = unsafe { filter_arg(filter_sql, filter_json) }?;
        // SAFETY: contract of the calling function.
        let options = unsafe { search_options_arg(options) }?;
        let found = if n_queries == 1 {
            vec![c.collection.search_with(data, k, filter.as_ref(), &options)?]
        } else {
            c.collection.search_batch_with(Vectors::Flat { data, dim }, k, filter.as_ref(), &options)?
        };
        *out = handle::new_handle(ResultsObj { queries: found.iter().map(Hits::new).collect() });
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::agentdb_status::AGENTDB_INVALID_ARGUMENT;

    fn read(o: &agentdb_search_options) -> Res<SearchOptions> {
        // SAFETY: `o` is a whole, live struct.
        unsafe { search_options_arg(o) }
    }

    #[test]
    fn search_options_from_c() {
        // NULL and the default struct: the engine's defaults.
        // SAFETY: NULL is allowed.
        let null = unsafe { search_options_arg(std::ptr::null()) }.unwrap();
        let d = agentdb_search_options_default();
        assert_eq!(d.struct_size as usize, std::mem::size_of::<agentdb_search_options>());
        for o in [null, read(&d).unwrap()] {
            assert_eq!((o.ef, o.exact, o.threads, o.include), (None, false, None, Include::ALL));
        }
        // Non-zero fields are passed on; 0 for ef or threads is "the default".
        let o = read(&agentdb_search_options { ef: 32, exact: true, threads: 2, ids_only: true, ..d }).unwrap();
        assert_eq!((o.ef, o.exact, o.threads, o.include), (Some(32), true, Some(2), Include::NONE));
        let full = agentdb_search_options { ef: 32, nprobes: 20, refine_factor: 5, ..d };
        let o = read(&full).unwrap();
        assert_eq!((o.ef, o.nprobes, o.refine_factor), (Some(32), Some(20), Some(5)));
        // A caller built against version 1 passes its smaller size: the version-2 fields are not
        // read (they may not exist in its memory) and take their defaults.
        // The first version's sizeof as C compilers laid it out (on 64-bit targets).
        #[cfg(target_pointer_width = "64")]
        assert_eq!(SEARCH_OPTIONS_V1_SIZE, 40);
        let o = read(&agentdb_search_options { struct_size: SEARCH_OPTIONS_V1_SIZE as u32, ..full }).unwrap();
        assert_eq!((o.ef, o.nprobes, o.refine_factor), (Some(32), None, None));
        // Version 3: either part of the payload may be left out; a version-2 caller gets both.
        let o = read(&agentdb_search_options { omit_documents: true, ..d }).unwrap();
        assert_eq!(o.include, Include { documents: false, metadata: true });
        let o = read(&agentdb_search_options { omit_metadata: true, ..d }).unwrap();
        assert_eq!(o.include, Include { documents: true, metadata: false });
        let v2 = std::mem::offset_of!(agentdb_search_options, omit_documents) as u32;
        let o = read(&agentdb_search_options { struct_size: v2, omit_documents: true, omit_metadata: true, ..d }).unwrap();
        assert_eq!(o.include, Include::ALL);
        // A wrong struct_size is refused, with a message that says which way it is wrong.
        for (size, says) in [(0, "smaller"), (8, "smaller"), (d.struct_size + 8, "larger")] {
            let fail = read(&agentdb_search_options { struct_size: size, ..d }).unwrap_err();
            assert_eq!(fail.status, AGENTDB_INVALID_ARGUMENT);
            assert!(fail.message.contains("struct_size") && fail.message.contains(says), "{}", fail.message);
        }
    }
}
