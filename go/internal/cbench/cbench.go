// Package cbench runs the benchmark's search loop in C, straight on the C ABI, so the Go
// benchmark can report the Go layer's per-call overhead against the same calls without Go.
// Used only by the tests of package agentdb.
package cbench

/*
#cgo CFLAGS: -I${SRCDIR}/../../../include
#cgo LDFLAGS: -l:libagentdb.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include "agentdb.h"

// One search per iteration on the collection handle the Go benchmark opened, reading every field of every hit as the Go layer does (id,
// distance, document, metadata), then freeing the results. Returns the elapsed ns, or -status.
static int64_t search_loop(const void *handle, const float *queries, size_t nq, size_t dim, size_t k,
		int ids_only, int omit_metadata, int64_t iters) {
	const agentdb_collection *c = handle;
	int st = 0;
	agentdb_search_options o = agentdb_search_options_default();
	o.ids_only = ids_only != 0;
	o.omit_metadata = omit_metadata != 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int64_t i = 0; i < iters && st == 0; i++) {
		agentdb_results *r = NULL;
		st = agentdb_collection_search_with(c, queries + (size_t)(i % (int64_t)nq) * dim, dim, k, NULL, NULL, &o, &r);
		size_t n = 0;
		if (!st) st = agentdb_results_count(r, 0, &n);
		for (size_t j = 0; j < n && !st; j++) {
			const char *s; size_t len; float d;
			st = agentdb_results_get_id(r, 0, j, &s, &len);
			if (!st) st = agentdb_results_get_distance(r, 0, j, &d);
			if (!st) st = agentdb_results_get_document(r, 0, j, &s, &len);
			if (!st) st = agentdb_results_get_metadata(r, 0, j, &s, &len);
		}
		agentdb_results_free(r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (st) return -st;
	return (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
}

// The cheapest call, for the fixed cost of one call: agentdb_collection_dim per iteration.
static int64_t dim_loop(const void *handle, int64_t iters) {
	const agentdb_collection *c = handle;
	size_t d = 0;
	int st = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int64_t i = 0; i < iters && st == 0; i++) st = agentdb_collection_dim(c, &d);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (st) return -st;
	return (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
}
*/
import "C"

import (
	"fmt"
	"time"
	"unsafe"
)

// SearchLoop times iters searches in C on collection (the C handle of an *agentdb.Collection),
// cycling through queries (row-major, dim each).
func SearchLoop(collection unsafe.Pointer, queries []float32, dim, k int, idsOnly, omitMetadata bool, iters int) (time.Duration, error) {
	ids, omit := 0, 0
	if idsOnly {
		ids = 1
	}
	if omitMetadata {
		omit = 1
	}
	ns := C.search_loop(collection, (*C.float)(unsafe.Pointer(&queries[0])), C.size_t(len(queries)/dim), C.size_t(dim),
		C.size_t(k), C.int(ids), C.int(omit), C.int64_t(iters))
	if ns < 0 {
		return 0, fmt.Errorf("C search loop: status %d: %s", -ns, C.GoString(C.agentdb_errmsg()))
	}
	return time.Duration(ns), nil
}

// DimLoop times iters agentdb_collection_dim calls in C on collection.
func DimLoop(collection unsafe.Pointer, iters int) (time.Duration, error) {
	ns := C.dim_loop(collection, C.int64_t(iters))
	if ns < 0 {
		return 0, fmt.Errorf("C dim loop: status %d", -ns)
	}
	return time.Duration(ns), nil
}
