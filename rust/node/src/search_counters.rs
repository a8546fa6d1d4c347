//! The process-wide search counters (`agentdb.search_counters()` in Python,
//! `agentdb_search_counters_get` in C): what HNSW searches did since the last reset, summed over
//! every collection in the process, for benchmarks (divide by `searches`).

use napi_derive::napi;

/// What searches did since the last `resetSearchCounters()`. Counts are JS numbers: exact up to
/// 2^53, which no counter reaches in practice.
#[napi(object)]
pub struct SearchCounters {
    /// Searches that walked a graph (exact scans are not counted).
    pub searches: f64,
    /// Nodes whose links were read.
    pub expansions: f64,
    /// float32 / int8 distances computed during the walk.
    pub distances: f64,
    /// RaBitQ estimates computed during the walk.
    pub codes_scored: f64,
    /// Exact float32 distances computed after a quantized walk.
    pub reranks: f64,
    /// RaBitQ candidates not re-ranked because their error bound could not beat the k-th.
    pub rerank_skipped: f64,
    /// Bytes of links, vectors, codes and re-ranked rows read (each read counted once).
    pub bytes: f64,
    /// Filtered searches whose filter was evaluated in storage into a set of rows.
    pub filters_evaluated: f64,
    /// Filtered searches that reused the rows of the same filter (no write in between).
    pub filters_reused: f64,
}

/// The process-wide search counters now.
#[napi]
pub fn search_counters() -> SearchCounters {
    let c = agentdb_engine::search_counters();
    SearchCounters {
        searches: c.searches as f64,
        expansions: c.expansions as f64,
        distances: c.distances as f64,
        codes_scored: c.codes_scored as f64,
        reranks: c.reranks as f64,
        rerank_skipped: c.rerank_skipped as f64,
        bytes: c.bytes as f64,
        filters_evaluated: c.filters_evaluated as f64,
        filters_reused: c.filters_reused as f64,
    }
}

/// Sets the process-wide search counters to zero.
#[napi]
pub fn reset_search_counters() {
    agentdb_engine::reset_search_counters()
}
