package agentdb

/*
#include <stdlib.h>
#include "agentdb.h"
*/
import "C"

import (
	"context"
)

// SearchOptions of Search and SearchBatch; nil: no filter and the engine's defaults. Zero
// numbers and false are the engine's defaults (agentdb_search_options in the header).
type SearchOptions struct {
	Filter        Filter
	Ef            int  // HNSW candidate list (0: max(k, 64))
	Exact         bool // compare every record even when an index exists
	Threads       int  // threads of a large exact scan (0: all cores)
	IDsOnly       bool // ids and distances only
	Nprobes       int  // IVF_PQ partitions searched (0: Lance's default)
	RefineFactor  int  // IVF_PQ re-ranking factor (0: none)
	OmitDocuments bool
	OmitMetadata  bool
}

func (o *SearchOptions) toC() C.agentdb_search_options {
	c := C.agentdb_search_options_default()
	c.ef = C.size_t(o.Ef)
	c.exact = cbool(o.Exact)
	c.threads = C.size_t(o.Threads)
	c.ids_only = cbool(o.IDsOnly)
	c.nprobes = C.size_t(o.Nprobes)
	c.refine_factor = C.uint32_t(o.RefineFactor)
	c.omit_documents = cbool(o.OmitDocuments)
	c.omit_metadata = cbool(o.OmitMetadata)
	return c
}

// Hit is one search result; Document is "" and Metadata nil when the record has none or the
// options omitted them.
type Hit struct {
	ID       string
	Distance float32
	Document string
	Metadata map[string]any
}

// SearchBatchChunk is how many queries SearchBatch hands the engine per call; ctx is checked
// between chunks.
const SearchBatchChunk = 256

func (c *Collection) search(ctx context.Context, flat []float32, nq, dim, k int, opts *SearchOptions) ([][]Hit, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	if k < 0 || dim < 0 {
		return nil, argError(CodeInvalidArgument, "k and the dimension must not be negative")
	}
	var filter Filter
	if opts != nil {
		filter = opts.Filter
	}
	sql, js, err := filter.cFilter()
	defer free(sql)
	defer free(js)
	if err != nil {
		return nil, err
	}
	defer pin()()
	var r *C.agentdb_results
	switch {
	case nq == 1 && opts == nil:
		err = status(C.agentdb_collection_search(c.h.p, vecPtr(flat), C.size_t(dim), C.size_t(k), sql, js, &r))
	case nq == 1:
		o := opts.toC()
		err = status(C.agentdb_collection_search_with(c.h.p, vecPtr(flat), C.size_t(dim), C.size_t(k), sql, js, &o, &r))
	case opts == nil:
		err = status(C.agentdb_collection_search_batch(c.h.p, vecPtr(flat), C.size_t(nq), C.size_t(dim), C.size_t(k), sql, js, &r))
	default:
		o := opts.toC()
		err = status(C.agentdb_collection_search_batch_with(c.h.p, vecPtr(flat), C.size_t(nq), C.size_t(dim), C.size_t(k), sql, js, &o, &r))
	}
	if err != nil {
		return nil, err
	}
	defer C.agentdb_results_free(r)
	return readResults(r)
}

func readResults(r *C.agentdb_results) ([][]Hit, error) {
	var nq C.size_t
	if err := status(C.agentdb_results_query_count(r, &nq)); err != nil {
		return nil, err
	}
	out := make([][]Hit, nq)
	for q := range out {
		var n C.size_t
		if err := status(C.agentdb_results_count(r, C.size_t(q), &n)); err != nil {
			return nil, err
		}
		hits := make([]Hit, n)
		for i := range hits {
			row := C.size_t(i)
			var p *C.char
			var l C.size_t
			var d C.float
			if err := status(C.agentdb_results_get_id(r, C.size_t(q), row, &p, &l)); err != nil {
				return nil, err
			}
			hits[i].ID = goString(p, l)
			if err := status(C.agentdb_results_get_distance(r, C.size_t(q), row, &d)); err != nil {
				return nil, err
			}
			hits[i].Distance = float32(d)
			if err := status(C.agentdb_results_get_document(r, C.size_t(q), row, &p, &l)); err != nil {
				return nil, err
			}
			hits[i].Document = goString(p, l)
			if err := status(C.agentdb_results_get_metadata(r, C.size_t(q), row, &p, &l)); err != nil {
				return nil, err
			}
			m, err := metadataMap(p, l)
			if err != nil {
				return nil, err
			}
			hits[i].Metadata = m
		}
		out[q] = hits
	}
	return out, nil
}

// Search finds the k nearest records to query (closest first), among those the options' filter
// lets through; opts nil: the defaults.
func (c *Collection) Search(ctx context.Context, query []float32, k int, opts *SearchOptions) ([]Hit, error) {
	res, err := c.search(ctx, query, 1, len(query), k, opts)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// SearchBatch searches for each query (all of one dimension) and returns one hit list per
// query, in order. The queries go to the engine SearchBatchChunk at a time and ctx is checked
// between chunks and, by the engine, within one (see cancel.go): a cancelled context stops a
// long batch early (errors.Is(err, ctx.Err()) holds).
func (c *Collection) SearchBatch(ctx context.Context, queries [][]float32, k int, opts *SearchOptions) ([][]Hit, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	flat, dim, err := flatten(queries, "queries")
	if err != nil {
		return nil, err
	}
	out := make([][]Hit, 0, len(queries))
	defer pin()()
	done := watch(ctx)
	for start := 0; start < len(queries) || start == 0; start += SearchBatchChunk {
		end := min(start+SearchBatchChunk, len(queries))
		part, err := c.search(ctx, flat[start*dim:end*dim], end-start, dim, k, opts)
		if err != nil {
			return nil, done(err)
		}
		out = append(out, part...)
		if end == len(queries) {
			break
		}
	}
	return out, done(nil)
}

// IndexOptions say which index CreateIndex builds; "" and 0 are the engine's defaults (nil
// options: an HNSW index with the engine's parameters). Index reports them the same way.
type IndexOptions struct {
	Kind           string // "hnsw" (""), or "ivf_pq"
	M              int    // HNSW links per node
	EfConstruction int    // HNSW build candidate list
	Quantization   string // HNSW: "none" (""), "int8", "rabitq", "rabitq2", "rabitq4" or "rabitq8"
	Partitions     int    // IVF_PQ partitions
	SubVectors     int    // IVF_PQ sub-vectors
}

// CreateIndex builds an index, replacing any; a bad parameter leaves the old index as it was.
// Cancelling ctx during the build stops it (ErrCancelled, see cancel.go) with the old index
// still serving.
func (c *Collection) CreateIndex(ctx context.Context, opts *IndexOptions) error {
	if err := ready(ctx); err != nil {
		return err
	}
	if opts == nil {
		defer pin()()
		done := watch(ctx)
		return done(status(C.agentdb_collection_create_index_with(c.h.p, nil)))
	}
	o := C.agentdb_index_options_default()
	kind, err := optCstr(opts.Kind, "kind")
	if err != nil {
		return err
	}
	defer free(kind)
	quant, err := optCstr(opts.Quantization, "quantization")
	if err != nil {
		return err
	}
	defer free(quant)
	if opts.M < 0 || opts.EfConstruction < 0 || opts.Partitions < 0 || opts.SubVectors < 0 {
		return argError(CodeInvalidArgument, "index parameters must not be negative")
	}
	o.kind, o.quantization = kind, quant
	o.m, o.ef_construction = C.size_t(opts.M), C.size_t(opts.EfConstruction)
	o.partitions, o.sub_vectors = C.size_t(opts.Partitions), C.size_t(opts.SubVectors)
	defer pin()()
	done := watch(ctx)
	return done(status(C.agentdb_collection_create_index_with(c.h.p, &o)))
}

// DropIndex removes the index (searches scan exactly again).
func (c *Collection) DropIndex(ctx context.Context) error {
	if err := ready(ctx); err != nil {
		return err
	}
	defer pin()()
	return status(C.agentdb_collection_drop_index(c.h.p))
}

// Index describes the collection's index, nil when it has none.
func (c *Collection) Index(ctx context.Context) (*IndexOptions, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	defer pin()()
	o := C.agentdb_index_options_default()
	var has C.bool
	if err := status(C.agentdb_collection_index_describe(c.h.p, &has, &o)); err != nil {
		return nil, err
	}
	if !bool(has) {
		return nil, nil
	}
	return &IndexOptions{
		Kind: C.GoString(o.kind), M: int(o.m), EfConstruction: int(o.ef_construction),
		Quantization: goCString(o.quantization), Partitions: int(o.partitions), SubVectors: int(o.sub_vectors),
	}, nil
}

func goCString(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}
