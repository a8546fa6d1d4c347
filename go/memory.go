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
	"runtime"
	"time"
)

// MemoryKind is what a memory is about.
type MemoryKind int32

const (
	Working    MemoryKind = C.AGENTDB_MEMORY_WORKING
	Episodic   MemoryKind = C.AGENTDB_MEMORY_EPISODIC
	Semantic   MemoryKind = C.AGENTDB_MEMORY_SEMANTIC
	Procedural MemoryKind = C.AGENTDB_MEMORY_PROCEDURAL
	// KindDefault lets the engine choose (its default kind).
	KindDefault MemoryKind = C.AGENTDB_MEMORY_KIND_DEFAULT
)

// Memory is an agent-memory store. Its methods may run from many goroutines at once.
type Memory struct {
	h handle[*C.agentdb_memory]
	// Keeps the DB reachable while the store is: the DB's leak net must not close it under a
	// store still in use.
	db *DB
}

func newMemory(db *DB, p *C.agentdb_memory) *Memory {
	m := &Memory{db: db}
	m.h.p = p
	m.h.cleanup = runtime.AddCleanup(m, func(p *C.agentdb_memory) { C.agentdb_memory_close(p) }, p)
	return m
}

// Close frees the handle (stopping its background consolidation); the memories stay.
func (m *Memory) Close() error {
	return m.h.close(func(p *C.agentdb_memory) C.enum_agentdb_status { return C.agentdb_memory_close(p) })
}

// OpenMemory opens an existing memory store; ErrNotFound if there is none.
func (db *DB) OpenMemory(ctx context.Context, name string) (*Memory, error) {
	return db.openMemory(ctx, name, func(n *C.char, out **C.agentdb_memory) C.enum_agentdb_status {
		return C.agentdb_memory_open(db.h.p, n, out)
	})
}

// OpenOrCreateMemory opens the memory store, creating it (vectors of dim values) when absent.
func (db *DB) OpenOrCreateMemory(ctx context.Context, name string, dim int, metric Metric) (*Memory, error) {
	return db.openMemory(ctx, name, func(n *C.char, out **C.agentdb_memory) C.enum_agentdb_status {
		return C.agentdb_memory_open_or_create(db.h.p, n, C.size_t(dim), C.agentdb_metric(metric), out)
	})
}

func (db *DB) openMemory(ctx context.Context, name string, fn func(*C.char, **C.agentdb_memory) C.enum_agentdb_status) (*Memory, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	cname, err := cstr(name, "name")
	if err != nil {
		return nil, err
	}
	defer free(cname)
	defer pin()()
	var p *C.agentdb_memory
	if err := status(fn(cname, &p)); err != nil {
		return nil, err
	}
	return newMemory(db, p), nil
}

// DropMemory deletes a memory store and its data.
func (db *DB) DropMemory(ctx context.Context, name string) error {
	if err := ready(ctx); err != nil {
		return err
	}
	cname, err := cstr(name, "name")
	if err != nil {
		return err
	}
	defer free(cname)
	defer pin()()
	return status(C.agentdb_memory_drop(db.h.p, cname))
}

// Dim is the store's vector dimension.
func (m *Memory) Dim() (int, error) {
	defer pin()()
	var d C.size_t
	err := status(C.agentdb_memory_dim(m.h.p, &d))
	return int(d), err
}

// MemoryBatch is who a Remember batch belongs to: every memory of the batch shares it.
type MemoryBatch struct {
	AgentID   string
	SessionID string     // "": none
	Kind      MemoryKind // use KindDefault for the engine's default
}

// NewMemory is one memory to store. ID "": a new time-ordered id; Text "": none; Importance
// nil: the engine's default; CreatedAt zero: now.
type NewMemory struct {
	ID         string
	Text       string
	Vector     []float32
	Importance *float64
	CreatedAt  time.Time
	Metadata   map[string]any
}

// Remember stores memories, checked whole (an existing id is ErrDuplicateID and nothing is
// stored), and returns their ids.
func (m *Memory) Remember(ctx context.Context, batch MemoryBatch, items []NewMemory) ([]string, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	n := len(items)
	ids, texts, vecs := make([]string, n), make([]string, n), make([][]float32, n)
	imp := make([]C.double, n)
	created := make([]C.int64_t, n)
	anyCreated := false
	for i, it := range items {
		ids[i], texts[i], vecs[i] = it.ID, it.Text, it.Vector
		imp[i] = C.double(math.NaN())
		if it.Importance != nil {
			imp[i] = C.double(*it.Importance)
		}
		if !it.CreatedAt.IsZero() {
			anyCreated = true
			created[i] = C.int64_t(it.CreatedAt.UnixMicro())
		}
	}
	if anyCreated {
		for i, it := range items {
			if it.CreatedAt.IsZero() {
				created[i] = C.int64_t(time.Now().UnixMicro())
			}
		}
	}
	flat, dim, err := flatten(vecs, "vectors")
	if err != nil {
		return nil, err
	}
	agent, err := cstr(batch.AgentID, "agent_id")
	if err != nil {
		return nil, err
	}
	defer free(agent)
	session, err := optCstr(batch.SessionID, "session_id")
	if err != nil {
		return nil, err
	}
	defer free(session)
	cids, pids, err := newCStrings(ids, "ids", true)
	if err != nil {
		return nil, err
	}
	defer cids.free()
	ctexts, ptexts, err := newCStrings(texts, "texts", true)
	if err != nil {
		return nil, err
	}
	defer ctexts.free()
	meta, err := metadataArray(n, func(i int) map[string]any { return items[i].Metadata })
	if err != nil {
		return nil, err
	}
	defer free(meta)
	var pimp *C.double
	var pcreated *C.int64_t
	if n > 0 {
		pimp = &imp[0]
		if anyCreated {
			pcreated = &created[0]
		}
	}
	defer pin()()
	var out *C.agentdb_strings
	if err := status(C.agentdb_memory_remember(m.h.p, agent, session, C.agentdb_memory_kind(batch.Kind), C.size_t(n),
		pids, ptexts, vecPtr(flat), C.size_t(dim), pimp, pcreated, meta, &out)); err != nil {
		return nil, err
	}
	return takeStrings(out)
}

// MemoryFilter says which memories a call applies to; the zero value is every memory.
type MemoryFilter struct {
	Kinds     []MemoryKind // any of these (nil: every kind)
	AgentID   string
	SessionID string
	Since     time.Time // created at or after (zero: no bound)
	Until     time.Time // created before (zero: no bound)
	Filter    Filter    // on metadata and fields
}

// toC fills a C filter; the strings it allocates are freed by the returned func.
func (f *MemoryFilter) toC() (*C.agentdb_memory_filter, func(), error) {
	if f == nil {
		return nil, func() {}, nil
	}
	c := (*C.agentdb_memory_filter)(C.malloc(C.sizeof_agentdb_memory_filter))
	*c = C.agentdb_memory_filter_default()
	var strs []*C.char
	done := func() {
		for _, s := range strs {
			free(s)
		}
		C.free(unsafeP(c))
	}
	for _, k := range f.Kinds {
		if k < 0 || k > 31 {
			done()
			return nil, nil, argError(CodeInvalidArgument, "memory kind %d out of range", k)
		}
		c.kinds |= 1 << uint(k)
	}
	var err error
	if c.agent_id, err = optCstr(f.AgentID, "agent_id"); err != nil {
		done()
		return nil, nil, err
	}
	strs = append(strs, c.agent_id)
	if c.session_id, err = optCstr(f.SessionID, "session_id"); err != nil {
		done()
		return nil, nil, err
	}
	strs = append(strs, c.session_id)
	if !f.Since.IsZero() {
		c.has_since, c.since_us = true, C.int64_t(f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		c.has_until, c.until_us = true, C.int64_t(f.Until.UnixMicro())
	}
	if c.filter_sql, c.filter_json, err = f.Filter.cFilter(); err != nil {
		done()
		return nil, nil, err
	}
	strs = append(strs, c.filter_sql, c.filter_json)
	return c, done, nil
}

// RecallMode is how recall combines similarity with recency and importance.
type RecallMode int32

const (
	Relevance RecallMode = C.AGENTDB_RECALL_RELEVANCE
	Linear    RecallMode = C.AGENTDB_RECALL_LINEAR
)

// RecallOptions say how Recall scores. Start from DefaultRecallOptions (the engine's defaults,
// read from agentdb_recall_options_default; this layer writes no default down).
type RecallOptions struct {
	Filter      *MemoryFilter
	Touch       bool // update the access statistics of the memories returned
	Exact       bool // score every memory passing the filter
	WSimilarity float64
	WRecency    float64
	WImportance float64
	HalfLife    time.Duration // after which recency halves
	Now         time.Time     // measure recency here instead of the clock (zero: the clock)
	Candidates  int
	Mode        RecallMode
	Adjust      float64
	// Text and hybrid recall: QueryText is ranked by BM25 over the memory texts; SearchMode
	// says which rankings are used (SearchAuto: hybrid when both a query vector and QueryText
	// are given), Fusion and WText (the text ranking's weight; WSimilarity is the vector's) and
	// RRFK how they are fused.
	QueryText  string
	SearchMode SearchMode
	Fusion     Fusion
	WText      float64
	RRFK       float64
}

// SearchMode says which rankings a recall uses (agentdb_search_mode).
type SearchMode int32

const (
	SearchAuto   SearchMode = C.AGENTDB_SEARCH_AUTO
	SearchVector SearchMode = C.AGENTDB_SEARCH_VECTOR
	SearchText   SearchMode = C.AGENTDB_SEARCH_TEXT
	SearchHybrid SearchMode = C.AGENTDB_SEARCH_HYBRID
)

// DefaultRecallOptions is the engine's recall defaults.
func DefaultRecallOptions() RecallOptions {
	c := C.agentdb_recall_options_default()
	return RecallOptions{
		Touch: bool(c.touch), Exact: bool(c.exact), WSimilarity: float64(c.w_similarity), WRecency: float64(c.w_recency),
		WImportance: float64(c.w_importance), HalfLife: seconds(float64(c.half_life_s)), Candidates: int(c.candidates),
		Mode: RecallMode(c.mode), Adjust: float64(c.adjust),
		SearchMode: SearchMode(c.search_mode), Fusion: Fusion(c.fusion), WText: float64(c.w_text), RRFK: float64(c.rrf_k),
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// MemoryRecord is one memory as Recall or Get returns it.
type MemoryRecord struct {
	ID           string
	Text         string
	AgentID      string
	SessionID    string
	Kind         MemoryKind
	Importance   float64
	CreatedAt    time.Time
	LastAccessed time.Time
	AccessCount  uint64
	Metadata     map[string]any
	// Recall: the score, similarity (NaN without a query) and recency; NaN from Get.
	Score, Similarity, Recency float64
	// Get: the vector; Recall: nil.
	Vector []float32
}

func takeMemories(p *C.agentdb_memories) ([]MemoryRecord, error) {
	defer C.agentdb_memories_free(p)
	var n C.size_t
	if err := status(C.agentdb_memories_count(p, &n)); err != nil {
		return nil, err
	}
	out := make([]MemoryRecord, n)
	for i := range out {
		var info C.agentdb_memory_info
		if err := status(C.agentdb_memories_get(p, C.size_t(i), &info)); err != nil {
			return nil, err
		}
		meta, err := metadataMap(info.metadata_json, C.size_t(C.strlen(info.metadata_json)))
		if err != nil {
			return nil, err
		}
		out[i] = MemoryRecord{
			ID: goCString(info.id), Text: goCString(info.text), AgentID: goCString(info.agent_id),
			SessionID: goCString(info.session_id), Kind: MemoryKind(info.kind), Importance: float64(info.importance),
			CreatedAt: micros(info.created_at_us), LastAccessed: micros(info.last_accessed_us),
			AccessCount: uint64(info.access_count), Metadata: meta, Score: float64(info.score),
			Similarity: float64(info.similarity), Recency: float64(info.recency),
			Vector: append([]float32(nil), unsafeFloats(info.vector, int(info.dim))...),
		}
	}
	return out, nil
}

// Recall returns the k best memories for query (nil: rank by strength alone), best first;
// opts nil: the engine's defaults and every memory.
func (m *Memory) Recall(ctx context.Context, query []float32, k int, opts *RecallOptions) ([]MemoryRecord, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	a, err := newRecallArgs(k, opts)
	if err != nil {
		return nil, err
	}
	defer a.free()
	defer pin()()
	var out *C.agentdb_memories
	if err := status(C.agentdb_memory_recall(m.h.p, vecPtr(query), C.size_t(len(query)), C.size_t(k), a.filter, a.opts, &out)); err != nil {
		return nil, err
	}
	return takeMemories(out)
}

// GraphRecall is what RecallWithGraph returns: the hits of Recall and the graph's facts about the
// entities the query text names, with their provenance.
type GraphRecall struct {
	Hits  []MemoryRecord
	Facts []Fact
}

// RecallWithGraph is Recall (same arguments; opts.QueryText is required) plus the facts of g about
// the entities the query text names, valid at the recall's time (opts.Now, else now), at most
// factsLimit of them (0: the engine's default). A failure changes nothing.
func (m *Memory) RecallWithGraph(ctx context.Context, g *Graph, query []float32, k int, opts *RecallOptions, factsLimit int) (*GraphRecall, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	if g == nil {
		return nil, argError(CodeInvalidArgument, "graph must not be nil")
	}
	if factsLimit < 0 {
		return nil, argError(CodeInvalidArgument, "facts limit must not be negative")
	}
	a, err := newRecallArgs(k, opts)
	if err != nil {
		return nil, err
	}
	defer a.free()
	defer pin()()
	var hits *C.agentdb_memories
	var facts *C.agentdb_graph_facts
	if err := status(C.agentdb_memory_recall_with_graph(m.h.p, g.h.p, vecPtr(query), C.size_t(len(query)), C.size_t(k), a.filter, a.opts,
		C.size_t(factsLimit), &hits, &facts)); err != nil {
		return nil, err
	}
	// Both results are owned here from now on: take (and so free) both even if the first fails.
	h, herr := takeMemories(hits)
	f, ferr := takeFacts(facts)
	if herr != nil {
		return nil, herr
	}
	if ferr != nil {
		return nil, ferr
	}
	return &GraphRecall{Hits: h, Facts: f}, nil
}

// recallArgs is a recall's filter and options in C form, valid until free.
type recallArgs struct {
	filter *C.agentdb_memory_filter
	opts   *C.agentdb_recall_options
	frees  []func()
}

func (a *recallArgs) free() {
	for i := len(a.frees) - 1; i >= 0; i-- {
		a.frees[i]()
	}
}

// newRecallArgs checks k and opts (nil: the engine's defaults) and converts them.
func newRecallArgs(k int, opts *RecallOptions) (*recallArgs, error) {
	if k < 0 {
		return nil, argError(CodeInvalidArgument, "k must not be negative")
	}
	a := &recallArgs{}
	var filter *MemoryFilter
	if opts != nil {
		filter = opts.Filter
		if opts.Candidates < 0 {
			return nil, argError(CodeInvalidArgument, "candidates must not be negative")
		}
		o := C.agentdb_recall_options_default()
		o.touch, o.exact = cbool(opts.Touch), cbool(opts.Exact)
		o.w_similarity, o.w_recency, o.w_importance = C.double(opts.WSimilarity), C.double(opts.WRecency), C.double(opts.WImportance)
		o.half_life_s = C.double(opts.HalfLife.Seconds())
		if !opts.Now.IsZero() {
			o.has_now, o.now_us = true, C.int64_t(opts.Now.UnixMicro())
		}
		o.candidates, o.mode, o.adjust = C.size_t(opts.Candidates), C.agentdb_recall_mode(opts.Mode), C.double(opts.Adjust)
		qt, err := optCstr(opts.QueryText, "query text")
		if err != nil {
			a.free()
			return nil, err
		}
		a.frees = append(a.frees, func() { free(qt) })
		o.query_text = qt
		o.search_mode, o.fusion = C.agentdb_search_mode(opts.SearchMode), C.agentdb_fusion(opts.Fusion)
		o.w_text, o.rrf_k = C.double(opts.WText), C.double(opts.RRFK)
		a.opts = &o
	}
	cf, done, err := filter.toC()
	if err != nil {
		a.free()
		return nil, err
	}
	a.frees = append(a.frees, done)
	a.filter = cf
	return a, nil
}

// Get reads memories by id, with their vectors (ids not found are left out).
func (m *Memory) Get(ctx context.Context, ids []string) ([]MemoryRecord, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	cids, pids, err := newCStrings(ids, "ids", false)
	if err != nil {
		return nil, err
	}
	defer cids.free()
	defer pin()()
	var out *C.agentdb_memories
	if err := status(C.agentdb_memory_get(m.h.p, pids, C.size_t(len(ids)), &out)); err != nil {
		return nil, err
	}
	return takeMemories(out)
}

// Count counts the memories filter lets through (nil: all).
func (m *Memory) Count(ctx context.Context, filter *MemoryFilter) (uint64, error) {
	if err := ready(ctx); err != nil {
		return 0, err
	}
	cf, done, err := filter.toC()
	if err != nil {
		return 0, err
	}
	defer done()
	defer pin()()
	var n C.uint64_t
	err = status(C.agentdb_memory_count(m.h.p, cf, &n))
	return uint64(n), err
}

// Forget deletes the memories with these ids and/or passing filter (neither:
// ErrInvalidArgument) and returns how many.
func (m *Memory) Forget(ctx context.Context, ids []string, filter *MemoryFilter) (uint64, error) {
	if err := ready(ctx); err != nil {
		return 0, err
	}
	cids, pids, err := newCStrings(ids, "ids", false)
	if err != nil {
		return 0, err
	}
	defer cids.free()
	cf, done, err := filter.toC()
	if err != nil {
		return 0, err
	}
	defer done()
	defer pin()()
	var n C.uint64_t
	err = status(C.agentdb_memory_forget(m.h.p, pids, C.size_t(len(ids)), cf, &n))
	return uint64(n), err
}

// MemoryUpdate is a change to one memory; nil fields are left as they are.
type MemoryUpdate struct {
	Text       *string // "" removes the text
	Importance *float64
	Vector     []float32
	Metadata   map[string]any // replaced whole when not nil
}

// Update changes memory id (ErrInvalidArgument when no memory has it).
func (m *Memory) Update(ctx context.Context, id string, u MemoryUpdate) error {
	if err := ready(ctx); err != nil {
		return err
	}
	cid, err := cstr(id, "id")
	if err != nil {
		return err
	}
	defer free(cid)
	var text *C.char
	if u.Text != nil {
		if text, err = optCstr(*u.Text, "text"); err != nil {
			return err
		}
		defer free(text)
	}
	imp := C.double(math.NaN())
	if u.Importance != nil {
		imp = C.double(*u.Importance)
	}
	var meta *C.char
	if u.Metadata != nil {
		if meta, err = jsonText(u.Metadata, "metadata"); err != nil {
			return err
		}
		defer free(meta)
	}
	defer pin()()
	return status(C.agentdb_memory_update(m.h.p, cid, cbool(u.Text != nil), text, imp, vecPtr(u.Vector), C.size_t(len(u.Vector)), meta))
}

// ConsolidateOptions say what Consolidate does; start from DefaultConsolidateOptions (nothing
// enabled, the engine's weights).
type ConsolidateOptions struct {
	Dedup          bool
	DedupThreshold float64
	Decay          bool
	MinScore       float64
	Capacity       int // each agent keeps at most this many (0: no cap)
	AgentID        string
	WRecency       float64
	WImportance    float64
	HalfLife       time.Duration
	Now            time.Time
}

// DefaultConsolidateOptions is the engine's consolidation defaults.
func DefaultConsolidateOptions() ConsolidateOptions {
	c := C.agentdb_consolidate_options_default()
	o := ConsolidateOptions{
		Dedup: bool(c.dedup), DedupThreshold: float64(c.dedup_threshold), Decay: bool(c.decay),
		MinScore: float64(c.min_score), WRecency: float64(c.w_recency), WImportance: float64(c.w_importance),
		HalfLife: seconds(float64(c.half_life_s)),
	}
	if c.has_capacity {
		o.Capacity = int(c.capacity)
	}
	return o
}

func (o *ConsolidateOptions) toC() (C.agentdb_consolidate_options, *C.char, error) {
	c := C.agentdb_consolidate_options_default()
	if o.Capacity < 0 {
		return c, nil, argError(CodeInvalidArgument, "capacity must not be negative")
	}
	agent, err := optCstr(o.AgentID, "agent_id")
	if err != nil {
		return c, nil, err
	}
	c.dedup, c.dedup_threshold = cbool(o.Dedup), C.double(o.DedupThreshold)
	c.decay, c.min_score = cbool(o.Decay), C.double(o.MinScore)
	c.has_capacity, c.capacity = cbool(o.Capacity > 0), C.size_t(o.Capacity)
	c.agent_id = agent
	c.w_recency, c.w_importance, c.half_life_s = C.double(o.WRecency), C.double(o.WImportance), C.double(o.HalfLife.Seconds())
	if !o.Now.IsZero() {
		c.has_now, c.now_us = true, C.int64_t(o.Now.UnixMicro())
	}
	return c, agent, nil
}

// ConsolidationReport is how many memories each step removed.
type ConsolidationReport struct{ Merged, Pruned, Evicted uint64 }

// Consolidate de-duplicates, decays and caps memories as opts says.
func (m *Memory) Consolidate(ctx context.Context, opts ConsolidateOptions) (ConsolidationReport, error) {
	if err := ready(ctx); err != nil {
		return ConsolidationReport{}, err
	}
	c, agent, err := opts.toC()
	if err != nil {
		return ConsolidationReport{}, err
	}
	defer free(agent)
	defer pin()()
	var r C.agentdb_consolidation_report
	if err := status(C.agentdb_memory_consolidate(m.h.p, &c, &r)); err != nil {
		return ConsolidationReport{}, err
	}
	return ConsolidationReport{uint64(r.merged), uint64(r.pruned), uint64(r.evicted)}, nil
}

// StartBackground consolidates every interval on an engine thread until StopBackground or Close.
func (m *Memory) StartBackground(ctx context.Context, interval time.Duration, opts ConsolidateOptions) error {
	if err := ready(ctx); err != nil {
		return err
	}
	c, agent, err := opts.toC()
	if err != nil {
		return err
	}
	defer free(agent)
	defer pin()()
	return status(C.agentdb_memory_start_background(m.h.p, C.uint64_t(interval.Milliseconds()), &c))
}

// StopBackground stops background consolidation.
func (m *Memory) StopBackground(ctx context.Context) error {
	if err := ready(ctx); err != nil {
		return err
	}
	defer pin()()
	return status(C.agentdb_memory_stop_background(m.h.p))
}

// Flush writes pending access statistics.
func (m *Memory) Flush(ctx context.Context) error {
	if err := ready(ctx); err != nil {
		return err
	}
	defer pin()()
	return status(C.agentdb_memory_flush(m.h.p))
}

// Stats is the store's statistics as JSON text.
func (m *Memory) Stats(ctx context.Context) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	defer pin()()
	var r *C.agentdb_report
	return takeReport(C.agentdb_memory_stats(m.h.p, &r), r)
}
