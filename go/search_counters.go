package agentdb

/*
#include "agentdb.h"
*/
import "C"

// SearchCounters is what HNSW searches did in this process since the last
// ResetSearchCounters, summed over every collection (agentdb_search_counters in the header):
// for benchmarks, divide by Searches. Exact scans are not counted, except in the two filter
// counters, which count every filtered search.
type SearchCounters struct {
	Searches         uint64 // searches that walked a graph
	Expansions       uint64 // nodes whose links were read
	Distances        uint64 // float32 / int8 distances computed during the walk
	CodesScored      uint64 // RaBitQ estimates computed during the walk
	Reranks          uint64 // exact float32 distances after a quantized walk
	RerankSkipped    uint64 // RaBitQ candidates whose error bound could not beat the k-th
	Bytes            uint64 // links, vectors, codes and re-ranked rows read
	FiltersEvaluated uint64 // filtered searches that evaluated their filter in storage
	FiltersReused    uint64 // filtered searches that reused an identical filter's rows
}

// ReadSearchCounters returns the process-wide search counters now.
func ReadSearchCounters() (SearchCounters, error) {
	var c C.agentdb_search_counters
	c.struct_size = C.uint32_t(C.sizeof_agentdb_search_counters)
	if err := status(C.agentdb_search_counters_get(&c)); err != nil {
		return SearchCounters{}, err
	}
	return SearchCounters{
		Searches:         uint64(c.searches),
		Expansions:       uint64(c.expansions),
		Distances:        uint64(c.distances),
		CodesScored:      uint64(c.codes_scored),
		Reranks:          uint64(c.reranks),
		RerankSkipped:    uint64(c.rerank_skipped),
		Bytes:            uint64(c.bytes),
		FiltersEvaluated: uint64(c.filters_evaluated),
		FiltersReused:    uint64(c.filters_reused),
	}, nil
}

// ResetSearchCounters sets the process-wide search counters to zero.
func ResetSearchCounters() error {
	return status(C.agentdb_search_counters_reset())
}
