package agentdb

/*
#include <stdlib.h>
#include "agentdb.h"

extern int32_t agentdbGoEmbed(void *user, char **texts, size_t n, size_t dim, float *out);

// The C ABI's embed callback type has const texts; the exported Go function cannot say const.
static int32_t adb_embed(void *user, const char *const *texts, size_t n, size_t dim, float *out) {
	return agentdbGoEmbed(user, (char **)texts, n, dim, out);
}

// The cgo.Handle travels as the user pointer; converting it here keeps unsafe uintptr casts out
// of the Go code.
static enum agentdb_status adb_rag_ingest(const agentdb_rag *rag, const agentdb_rag_document *docs, size_t n,
		const agentdb_ingest_options *options, uintptr_t handle, agentdb_ingest_stats *out) {
	return agentdb_rag_ingest(rag, docs, n, options, adb_embed, (void *)handle, out);
}
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"runtime/cgo"
)

// Rag is a RAG store: documents cut into chunks, embedded, and retrieved by vector, BM25 or
// both. Its methods may run from many goroutines at once.
type Rag struct {
	h handle[*C.agentdb_rag]
	// Keeps the DB reachable while the store is: the DB's leak net must not close it under a
	// store still in use.
	db *DB
}

func newRag(db *DB, p *C.agentdb_rag) *Rag {
	r := &Rag{db: db}
	r.h.p = p
	r.h.cleanup = runtime.AddCleanup(r, func(p *C.agentdb_rag) { C.agentdb_rag_close(p) }, p)
	return r
}

// Close frees the handle; the documents stay.
func (r *Rag) Close() error {
	return r.h.close(func(p *C.agentdb_rag) C.enum_agentdb_status { return C.agentdb_rag_close(p) })
}

func (db *DB) openRag(ctx context.Context, name string, fn func(*C.char, **C.agentdb_rag) C.enum_agentdb_status) (*Rag, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	cname, err := cstr(name, "name")
	if err != nil {
		return nil, err
	}
	defer free(cname)
	defer pin()()
	var p *C.agentdb_rag
	if err := status(fn(cname, &p)); err != nil {
		return nil, err
	}
	return newRag(db, p), nil
}

// OpenRag opens an existing RAG store; ErrNotFound if there is none.
func (db *DB) OpenRag(ctx context.Context, name string) (*Rag, error) {
	return db.openRag(ctx, name, func(n *C.char, out **C.agentdb_rag) C.enum_agentdb_status {
		return C.agentdb_rag_open(db.h.p, n, out)
	})
}

// OpenOrCreateRag opens the RAG store, creating it (embeddings of dim values) when absent.
func (db *DB) OpenOrCreateRag(ctx context.Context, name string, dim int, metric Metric) (*Rag, error) {
	return db.openRag(ctx, name, func(n *C.char, out **C.agentdb_rag) C.enum_agentdb_status {
		return C.agentdb_rag_open_or_create(db.h.p, n, C.size_t(dim), C.agentdb_metric(metric), out)
	})
}

// Dim is the store's embedding dimension and metric.
func (r *Rag) Dim() (int, Metric, error) {
	defer pin()()
	var d C.size_t
	var m C.agentdb_metric
	err := status(C.agentdb_rag_dim(r.h.p, &d, &m))
	return int(d), Metric(m), err
}

// TextFormat is how a document's text is structured.
type TextFormat int32

const (
	Plain    TextFormat = C.AGENTDB_TEXT_PLAIN
	Markdown TextFormat = C.AGENTDB_TEXT_MARKDOWN
)

// Document is one document to ingest. Source "": the id. Metadata is copied onto every chunk
// (filterable).
type Document struct {
	ID       string
	Text     string
	Source   string
	Format   TextFormat
	Metadata map[string]any
}

// IngestOptions say how Ingest cuts documents; start from DefaultIngestOptions (the engine's
// ChunkOptions::default()).
type IngestOptions struct {
	ChunkSize    int
	ChunkOverlap int
	ChunkChars   bool // units are characters (false: the engine's tokens)
	Force        bool // re-ingest documents stored unchanged
}

// DefaultIngestOptions is the engine's chunking defaults.
func DefaultIngestOptions() IngestOptions {
	c := C.agentdb_ingest_options_default()
	return IngestOptions{ChunkSize: int(c.chunk_size), ChunkOverlap: int(c.chunk_overlap), ChunkChars: bool(c.chunk_chars), Force: bool(c.force)}
}

// IngestStats is what Ingest did.
type IngestStats struct{ Added, Replaced, Unchanged, Chunks int }

// EmbedFunc embeds texts: one vector of the store's dimension per text, in order. It is called
// once per Ingest, on the calling goroutine, with Ingest's context; an error aborts the ingest.
type EmbedFunc func(ctx context.Context, texts []string) ([][]float32, error)

type ingestCall struct {
	ctx   context.Context
	embed EmbedFunc
	err   error
}

// Ingest stores documents: each is hashed and skipped if stored unchanged (unless opts.Force),
// else chunked, embedded by embed and written; all changed documents are replaced in one commit.
// opts nil: the engine's defaults. A cancelled ctx (before the call, or by the time embed
// returns) or an embedder error aborts with nothing written; the error returned wraps it
// (errors.Is(err, context.Canceled) holds).
func (r *Rag) Ingest(ctx context.Context, docs []Document, opts *IngestOptions, embed EmbedFunc) (IngestStats, error) {
	if err := ready(ctx); err != nil {
		return IngestStats{}, err
	}
	if embed == nil {
		return IngestStats{}, argError(CodeNullPointer, "embed is nil")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	var strs []*C.char
	defer func() {
		for _, p := range strs {
			free(p)
		}
	}()
	cdocs := make([]C.agentdb_rag_document, len(docs))
	for i, d := range docs {
		var err error
		fields := []struct {
			dst **C.char
			v   string
			opt bool
		}{{&cdocs[i].id, d.ID, false}, {&cdocs[i].text, d.Text, false}, {&cdocs[i].source, d.Source, true}}
		for _, f := range fields {
			if f.opt {
				*f.dst, err = optCstr(f.v, fmt.Sprintf("docs[%d]", i))
			} else {
				*f.dst, err = cstr(f.v, fmt.Sprintf("docs[%d]", i))
			}
			if err != nil {
				return IngestStats{}, err
			}
			strs = append(strs, *f.dst)
		}
		cdocs[i].format = C.agentdb_text_format(d.Format)
		if d.Metadata != nil {
			if cdocs[i].metadata_json, err = jsonText(d.Metadata, fmt.Sprintf("docs[%d].metadata", i)); err != nil {
				return IngestStats{}, err
			}
			strs = append(strs, cdocs[i].metadata_json)
		}
	}
	var copts *C.agentdb_ingest_options
	if opts != nil {
		if opts.ChunkSize < 0 || opts.ChunkOverlap < 0 {
			return IngestStats{}, argError(CodeInvalidArgument, "chunk sizes must not be negative")
		}
		o := C.agentdb_ingest_options_default()
		o.chunk_size, o.chunk_overlap = C.size_t(opts.ChunkSize), C.size_t(opts.ChunkOverlap)
		o.chunk_chars, o.force = cbool(opts.ChunkChars), cbool(opts.Force)
		copts = &o
	}
	var pdocs *C.agentdb_rag_document
	if len(cdocs) > 0 {
		pdocs = &cdocs[0]
	}
	call := &ingestCall{ctx: ctx, embed: embed}
	h := cgo.NewHandle(call)
	defer h.Delete()
	defer pin()()
	var st C.agentdb_ingest_stats
	done := watch(ctx)
	err := done(status(C.adb_rag_ingest(r.h.p, pdocs, C.size_t(len(cdocs)), copts, C.uintptr_t(h), &st)))
	if call.err != nil {
		if call.err == ctx.Err() {
			return IngestStats{}, call.err
		}
		return IngestStats{}, fmt.Errorf("agentdb: ingest aborted by the embedder: %w", call.err)
	}
	if err != nil {
		return IngestStats{}, err
	}
	return IngestStats{int(st.added), int(st.replaced), int(st.unchanged), int(st.chunks)}, nil
}

// Delete deletes documents (and their chunks) by id and returns how many.
func (r *Rag) Delete(ctx context.Context, docIDs []string) (uint64, error) {
	if err := ready(ctx); err != nil {
		return 0, err
	}
	cids, pids, err := newCStrings(docIDs, "doc_ids", false)
	if err != nil {
		return 0, err
	}
	defer cids.free()
	defer pin()()
	var n C.uint64_t
	err = status(C.agentdb_rag_delete(r.h.p, pids, C.size_t(len(docIDs)), &n))
	return uint64(n), err
}

// RagMode is which retrievers a RAG search uses.
type RagMode int32

const (
	Hybrid     RagMode = C.AGENTDB_RAG_HYBRID
	VectorOnly RagMode = C.AGENTDB_RAG_VECTOR
	TextOnly   RagMode = C.AGENTDB_RAG_TEXT
)

// RagOptions of Search and Context. Start from DefaultRagSearchOptions or
// DefaultRagContextOptions (the engine's defaults differ between the two); nil: those defaults
// and no filter.
type RagOptions struct {
	Mode         RagMode
	K            int
	VectorWeight float32
	TextWeight   float32
	RRFK         float32
	Candidates   int
	MMR          bool
	MMRLambda    float32
	ScoreOrder   bool // Context only: passages in score order, unmerged
	Filter       Filter
}

func ragOptions(c C.agentdb_rag_options) RagOptions {
	return RagOptions{
		Mode: RagMode(c.mode), K: int(c.k), VectorWeight: float32(c.vector_weight), TextWeight: float32(c.text_weight),
		RRFK: float32(c.rrf_k), Candidates: int(c.candidates), MMR: bool(c.mmr), MMRLambda: float32(c.mmr_lambda),
		ScoreOrder: bool(c.score_order),
	}
}

// DefaultRagSearchOptions is the engine's defaults for Search.
func DefaultRagSearchOptions() RagOptions { return ragOptions(C.agentdb_rag_search_options_default()) }

// DefaultRagContextOptions is the engine's defaults for Context.
func DefaultRagContextOptions() RagOptions {
	return ragOptions(C.agentdb_rag_context_options_default())
}

func (o *RagOptions) toC() (*C.agentdb_rag_options, error) {
	if o == nil {
		return nil, nil
	}
	if o.K < 0 || o.Candidates < 0 {
		return nil, argError(CodeInvalidArgument, "k and candidates must not be negative")
	}
	c := C.agentdb_rag_search_options_default()
	c.mode, c.k = C.agentdb_rag_mode(o.Mode), C.size_t(o.K)
	c.vector_weight, c.text_weight, c.rrf_k = C.float(o.VectorWeight), C.float(o.TextWeight), C.float(o.RRFK)
	c.candidates, c.mmr, c.mmr_lambda, c.score_order = C.size_t(o.Candidates), cbool(o.MMR), C.float(o.MMRLambda), cbool(o.ScoreOrder)
	return &c, nil
}

// RagQuery is what to retrieve for: Text for BM25 ("": vector-only) and Vector, the query's
// embedding, for similarity (nil: text-only); hybrid needs both.
type RagQuery struct {
	Text   string
	Vector []float32
}

// RagHit is one retrieved chunk.
type RagHit struct {
	ID, DocID, Source, Heading, Text string
	Metadata                         map[string]any
	Position, CharStart, CharEnd     int
	Score                            float32 // fused RRF score, larger is better
	VectorRank                       int     // 1-based; 0: not returned by the vector side
	Distance                         float32 // NaN when VectorRank is 0
	TextRank                         int     // 1-based; 0: not returned by BM25
	BM25                             float32 // NaN when TextRank is 0
}

func (r *Rag) prepare(ctx context.Context, q RagQuery, opts *RagOptions) (text *C.char, copts *C.agentdb_rag_options, sql, js *C.char, err error) {
	if err = ready(ctx); err != nil {
		return
	}
	if text, err = optCstr(q.Text, "query text"); err != nil {
		return
	}
	if copts, err = opts.toC(); err != nil {
		return
	}
	if opts != nil {
		sql, js, err = opts.Filter.cFilter()
	}
	return
}

// Search retrieves the best chunks for q.
func (r *Rag) Search(ctx context.Context, q RagQuery, opts *RagOptions) ([]RagHit, error) {
	text, copts, sql, js, err := r.prepare(ctx, q, opts)
	defer free(text)
	defer free(sql)
	defer free(js)
	if err != nil {
		return nil, err
	}
	defer pin()()
	var p *C.agentdb_rag_hits
	if err := status(C.agentdb_rag_search(r.h.p, text, vecPtr(q.Vector), C.size_t(len(q.Vector)), copts, sql, js, &p)); err != nil {
		return nil, err
	}
	defer C.agentdb_rag_hits_free(p)
	var n C.size_t
	if err := status(C.agentdb_rag_hits_count(p, &n)); err != nil {
		return nil, err
	}
	out := make([]RagHit, n)
	for i := range out {
		var h C.agentdb_rag_hit
		if err := status(C.agentdb_rag_hits_get(p, C.size_t(i), &h)); err != nil {
			return nil, err
		}
		meta, err := metadataMap(h.metadata_json, C.size_t(len(goCString(h.metadata_json))))
		if err != nil {
			return nil, err
		}
		out[i] = RagHit{
			ID: goCString(h.id), DocID: goCString(h.doc_id), Source: goCString(h.source), Heading: goCString(h.heading),
			Text: goCString(h.text), Metadata: meta, Position: int(h.position), CharStart: int(h.char_start),
			CharEnd: int(h.char_end), Score: float32(h.score), VectorRank: int(h.vector_rank), Distance: float32(h.distance),
			TextRank: int(h.text_rank), BM25: float32(h.bm25),
		}
	}
	return out, nil
}

// Citation says where passage [Number] of a context comes from.
type Citation struct {
	Number                      int
	DocID, Source, Heading      string
	FirstPosition, LastPosition int
	CharStart, CharEnd          int
}

// RagContext is a packed context, ready to paste into a prompt.
type RagContext struct {
	Text      string
	Tokens    int
	Citations []Citation
}

// Context packs the best chunks for q into at most maxTokens tokens (the engine's
// approximation), passages headed [n] with their citations.
func (r *Rag) Context(ctx context.Context, q RagQuery, maxTokens int, opts *RagOptions) (*RagContext, error) {
	text, copts, sql, js, err := r.prepare(ctx, q, opts)
	defer free(text)
	defer free(sql)
	defer free(js)
	if err != nil {
		return nil, err
	}
	if maxTokens < 0 {
		return nil, argError(CodeInvalidArgument, "max_tokens must not be negative")
	}
	defer pin()()
	var p *C.agentdb_context
	if err := status(C.agentdb_rag_context(r.h.p, text, vecPtr(q.Vector), C.size_t(len(q.Vector)), C.size_t(maxTokens), copts, sql, js, &p)); err != nil {
		return nil, err
	}
	defer C.agentdb_context_free(p)
	var tp *C.char
	var tl, tokens, n C.size_t
	if err := status(C.agentdb_context_get_text(p, &tp, &tl, &tokens)); err != nil {
		return nil, err
	}
	out := &RagContext{Text: goString(tp, tl), Tokens: int(tokens)}
	if err := status(C.agentdb_context_count(p, &n)); err != nil {
		return nil, err
	}
	out.Citations = make([]Citation, n)
	for i := range out.Citations {
		var c C.agentdb_rag_citation
		if err := status(C.agentdb_context_get(p, C.size_t(i), &c)); err != nil {
			return nil, err
		}
		out.Citations[i] = Citation{
			Number: int(c.number), DocID: goCString(c.doc_id), Source: goCString(c.source), Heading: goCString(c.heading),
			FirstPosition: int(c.first_position), LastPosition: int(c.last_position), CharStart: int(c.char_start), CharEnd: int(c.char_end),
		}
	}
	return out, nil
}

// Stats is the store's statistics as JSON text.
func (r *Rag) Stats(ctx context.Context) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	defer pin()()
	var rep *C.agentdb_report
	return takeReport(C.agentdb_rag_stats(r.h.p, &rep), rep)
}
