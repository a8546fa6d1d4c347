//! The process-wide search counters (`agentdb_search_counters`): what HNSW searches did since the
//! last reset, summed over every collection of every database in the process, for benchmarks
//! (divide by `searches`). The engine keeps them; this file copies them out.

use crate::status::{agentdb_status, guard, Fail, Res};

/// What searches did in this process since the last `agentdb_search_counters_reset`, summed over
/// every search of every collection. Exact scans are not counted (only graph walks), except in
/// the two filter counters, which count every filtered search.
///
/// Set `struct_size` to `sizeof(agentdb_search_counters)` before `agentdb_search_counters_get`.
/// Versions: fields are only ever added at the end; the library fills the fields that both it
/// and `struct_size` know and leaves any later ones as they are.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub struct agentdb_search_counters {
    /// `sizeof(agentdb_search_counters)`: the version of this struct the caller was built with.
    pub struct_size: u32,
    /// Searches that walked a graph.
    pub searches: u64,
    /// Nodes whose links were read.
    pub expansions: u64,
    /// float32 / int8 distances computed during the walk.
    pub distances: u64,
    /// RaBitQ estimates computed during the walk.
    pub codes_scored: u64,
    /// Exact float32 distances computed after a quantized walk.
    pub reranks: u64,
    /// RaBitQ candidates not re-ranked because their error bound could not beat the k-th.
    pub rerank_skipped: u64,
    /// Bytes of links, vectors, codes and re-ranked rows read (each read counted once, cached or
    /// not).
    pub bytes: u64,
    /// Filtered searches whose filter was evaluated in storage into a set of rows.
    pub filters_evaluated: u64,
    /// Filtered searches that reused the rows of the same filter evaluated earlier (no write
    /// in between).
    pub filters_reused: u64,
}

/// The size of the first version of the struct: the smallest `struct_size` accepted.
const COUNTERS_V1_SIZE: usize = std::mem::size_of::<agentdb_search_counters>();

/// Writes the process-wide search counters to `*out` (see `agentdb_search_counters`).
/// `out->struct_size` below the first version's size is `AGENTDB_INVALID_ARGUMENT`.
///
/// # Safety
/// `out` is NULL or points to a writable `agentdb_search_counters` of at least `out->struct_size`
/// bytes whose `struct_size` is set.
#[no_mangle]
pub unsafe extern "C" fn agentdb_search_counters_get(out: *mut agentdb_search_counters) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        unsafe { write_counters(out) }
    })
}

/// # Safety
/// As for [`agentdb_search_counters_get`].
unsafe fn write_counters(out: *mut agentdb_search_counters) -> Res<()> {
    if out.is_null() {
        return Err(Fail::null("out"));
    }
    if !out.is_aligned() {
        return Err(Fail::invalid("out is not aligned for agentdb_search_counters"));
    }
    // SAFETY: `out` is non-NULL and aligned, and the caller set `struct_size`, which every version
    // of the struct starts with.
    let size = unsafe { std::ptr::addr_of!((*out).struct_size).read() } as usize;
    if size < COUNTERS_V1_SIZE {
        return Err(Fail::invalid(format!(
            "out->struct_size is {size}, smaller than agentdb_search_counters ({COUNTERS_V1_SIZE} bytes): \
             set it to sizeof(agentdb_search_counters)"
        )));
    }
    let c = agentdb_engine::search_counters();
    let value = agentdb_search_counters {
        struct_size: size as u32,
        searches: c.searches,
        expansions: c.expansions,
        distances: c.distances,
        codes_scored: c.codes_scored,
        reranks: c.reranks,
        rerank_skipped: c.rerank_skipped,
        bytes: c.bytes,
        filters_evaluated: c.filters_evaluated,
        filters_reused: c.filters_reused,
    };
    // SAFETY: `out` is aligned and (by the check above and the caller's contract) points to at
    // least `size_of::<agentdb_search_counters>()` writable bytes; a larger caller's struct keeps
    // its later fields.
    unsafe { out.write(value) };
    Ok(())
}

/// Sets the process-wide search counters to zero. Cannot fail.
#[no_mangle]
pub extern "C" fn agentdb_search_counters_reset() -> agentdb_status {
    guard(|| -> Res<()> {
        agentdb_engine::reset_search_counters();
        Ok(())
    })
}
