//! A collection's HNSW index: create, drop, inspect. Searching with it is `agentdb_search` and
//! `agentdb_search_opts` (in `collection.rs`).

use agentdb_engine::HnswParams;

use crate::args::out_arg;
use crate::handle::{self, agentdb_collection};
use crate::status::{agentdb_status, guard};

/// Builds an HNSW index over the collection's vectors (replacing any index it has), saves it next
/// to the collection's data, and keeps it current with every later add, upsert and delete; search
/// uses it from then on (see `agentdb_search_opts` for `ef` and forced exact search). The index
/// persists: reopening the database does not rebuild it.
///
/// - `m`: links per node (2 to 128; 0: the default, 16). More links: better recall, more memory.
/// - `ef_construction`: the candidate list size while building (1 to 10000; 0: the default, 200).
///   Larger builds slower and finds better links.
///
/// Out-of-range values return `AGENTDB_INVALID_ARGUMENT` and leave any existing index as it was.
/// Building takes time that grows with the number of records; searches and writes on the same
/// collection wait until it is built.
#[no_mangle]
pub extern "C" fn agentdb_create_index(collection: *const agentdb_collection, m: usize, ef_construction: usize) -> agentdb_status {
    guard(|| {
        let c = handle::get(collection, "collection")?;
        let default = HnswParams::default();
        let params = HnswParams {
            m: if m == 0 { default.m } else { m },
            ef_construction: if ef_construction == 0 { default.ef_construction } else { ef_construction },
        };
        c.collection.create_index(params)?;
        Ok(())
    })
}

/// Removes the collection's index (and its file); search compares every record again. A collection
/// without an index is not an error.
#[no_mangle]
pub extern "C" fn agentdb_drop_index(collection: *const agentdb_collection) -> agentdb_status {
    guard(|| {
        handle::get(collection, "collection")?.collection.drop_index()?;
        Ok(())
    })
}

/// Tells whether the collection has an index and with which parameters: writes `true` or `false`
/// to `*out_has_index` and, when it has one, its `m` and `ef_construction` to `*out_m` and
/// `*out_ef_construction` (0 when it has none). `out_m` and `out_ef_construction` may be NULL when
/// not wanted.
///
/// # Safety
/// `out_has_index` is NULL or writable; `out_m` and `out_ef_construction` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_index_params(
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
