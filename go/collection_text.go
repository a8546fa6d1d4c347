package agentdb

/*
#include <stdlib.h>
#include <string.h>
#include "agentdb.h"
*/
import "C"

import (
	"context"
	"math"
)

// ScoredHit is one hit of TextSearch or HybridSearch. Score is larger-is-better: the BM25 score
// of a text search, the fused score of a hybrid one. Each side's rank is 1-based, 0 when that
// side did not return the record (its Distance or BM25 is then NaN).
type ScoredHit struct {
	ID         string
	Document   string
	Metadata   map[string]any
	Score      float32
	VectorRank int
	Distance   float32
	TextRank   int
	BM25       float32
}

// Fusion is how HybridSearch fuses the vector and the BM25 rankings.
type Fusion int32

const (
	// FusionRRF is reciprocal-rank fusion (the default).
	FusionRRF Fusion = C.AGENTDB_FUSION_RRF
	// FusionLinear is a weighted sum of each side's min-max normalised scores.
	FusionLinear Fusion = C.AGENTDB_FUSION_LINEAR
)

// HybridOptions of HybridSearch; nil: the engine's defaults (agentdb_hybrid_options_default).
// Read DefaultHybridOptions for the numbers; a zero field here is passed on as zero (which the
// engine refuses where it is out of range), so start from DefaultHybridOptions.
type HybridOptions struct {
	Filter       Filter
	Method       Fusion
	VectorWeight float32
	TextWeight   float32
	RRFK         float32
	Candidates   int // per side; 0: the engine decides from k
}

// DefaultHybridOptions is the engine's defaults (agentdb_hybrid_options_default).
func DefaultHybridOptions() HybridOptions {
	o := C.agentdb_hybrid_options_default()
	return HybridOptions{Method: Fusion(o.method), VectorWeight: float32(o.vector_weight), TextWeight: float32(o.text_weight),
		RRFK: float32(o.rrf_k), Candidates: int(o.candidates)}
}

// TextSearch is the k records whose document best matches query by BM25, best first, among
// those filter lets through (the zero Filter: all). Records without a document never match.
func (c *Collection) TextSearch(ctx context.Context, query string, k int, filter Filter) ([]ScoredHit, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, argError(CodeInvalidArgument, "k must not be negative")
	}
	q, err := cstr(query, "query")
	if err != nil {
		return nil, err
	}
	defer free(q)
	sql, js, err := filter.cFilter()
	defer free(sql)
	defer free(js)
	if err != nil {
		return nil, err
	}
	defer pin()()
	var h *C.agentdb_scored_hits
	if err := status(C.agentdb_collection_text_search(c.h.p, q, C.size_t(k), sql, js, &h)); err != nil {
		return nil, err
	}
	return takeScoredHits(h)
}

// HybridSearch is the k best records by both vector (nearest neighbours) and text (BM25), fused
// as opts say (nil: the defaults), the filter applied to both sides before ranking.
func (c *Collection) HybridSearch(ctx context.Context, vector []float32, text string, k int, opts *HybridOptions) ([]ScoredHit, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, argError(CodeInvalidArgument, "k must not be negative")
	}
	t, err := cstr(text, "text")
	if err != nil {
		return nil, err
	}
	defer free(t)
	var filter Filter
	var co *C.agentdb_hybrid_options
	o := C.agentdb_hybrid_options_default()
	if opts != nil {
		if opts.Candidates < 0 {
			return nil, argError(CodeInvalidArgument, "candidates must not be negative")
		}
		filter = opts.Filter
		o.method = C.agentdb_fusion(opts.Method)
		o.vector_weight, o.text_weight, o.rrf_k = C.float(opts.VectorWeight), C.float(opts.TextWeight), C.float(opts.RRFK)
		o.candidates = C.size_t(opts.Candidates)
		co = &o
	}
	sql, js, err := filter.cFilter()
	defer free(sql)
	defer free(js)
	if err != nil {
		return nil, err
	}
	defer pin()()
	var h *C.agentdb_scored_hits
	if err := status(C.agentdb_collection_hybrid_search(c.h.p, vecPtr(vector), C.size_t(len(vector)), t, C.size_t(k), sql, js, co, &h)); err != nil {
		return nil, err
	}
	return takeScoredHits(h)
}

// takeScoredHits copies and frees an agentdb_scored_hits list.
func takeScoredHits(h *C.agentdb_scored_hits) ([]ScoredHit, error) {
	defer C.agentdb_scored_hits_free(h)
	var n C.size_t
	if err := status(C.agentdb_scored_hits_count(h, &n)); err != nil {
		return nil, err
	}
	out := make([]ScoredHit, n)
	for i := range out {
		var s C.agentdb_scored_hit
		if err := status(C.agentdb_scored_hits_get(h, C.size_t(i), &s)); err != nil {
			return nil, err
		}
		m, err := metadataMap(s.metadata_json, C.size_t(cStrLen(s.metadata_json)))
		if err != nil {
			return nil, err
		}
		out[i] = ScoredHit{ID: C.GoString(s.id), Document: goCString(s.document), Metadata: m, Score: float32(s.score),
			VectorRank: int(s.vector_rank), Distance: nanIfZero(float32(s.distance), s.vector_rank), TextRank: int(s.text_rank),
			BM25: nanIfZero(float32(s.bm25), s.text_rank)}
	}
	return out, nil
}

func nanIfZero(v float32, rank C.size_t) float32 {
	if rank == 0 {
		return float32(math.NaN())
	}
	return v
}

func cStrLen(p *C.char) int {
	if p == nil {
		return 0
	}
	return int(C.strlen(p))
}
