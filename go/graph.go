package agentdb

/*
#include <stdlib.h>
#include <string.h>
#include "agentdb.h"
*/
import "C"

import (
	"context"
	"runtime"
	"time"
)

// Graph is a temporal knowledge graph (agentdb_graph): entities, and facts between them that are
// bi-temporal (valid from/to in the world; recorded/superseded in the database), so a question
// can be asked as of any time. Its methods may run from many goroutines at once.
type Graph struct {
	h  handle[*C.agentdb_graph]
	db *DB
}

// Direction says which way a traversal follows facts.
type Direction int32

const (
	Both     Direction = C.AGENTDB_GRAPH_BOTH // the default
	Outgoing Direction = C.AGENTDB_GRAPH_OUT  // subject to object
	Incoming Direction = C.AGENTDB_GRAPH_IN   // object to subject
)

// Entity is one entity; Score is set by the searches (1 for FindEntities).
type Entity struct {
	ID, Name, Type string
	Aliases        []string
	Metadata       map[string]any
	Embedding      []float32
	RecordedAt     time.Time
	Score          float64
}

// Fact is one version of a fact "Subject Predicate Object" (Object an entity id when
// ObjectIsEntity, else a literal). ValidTo and SupersededAt are zero while open.
type Fact struct {
	ID                     string
	Version                uint32
	Subject, Predicate     string
	Object                 string
	ObjectIsEntity         bool
	ValidFrom, ValidTo     time.Time
	RecordedAt, Superseded time.Time
	Confidence             float64
	Sources                []string
}

// Neighbor is an entity reached by Neighbors, Hops facts away.
type Neighbor struct {
	EntityID string
	Hops     int
}

// NewEntity is what AddEntity stores; ID "" makes a new id, an existing ID replaces that entity.
type NewEntity struct {
	ID, Name, Type string
	Aliases        []string
	Embedding      []float32
	Metadata       map[string]any
}

// NewFact is what AddFact stores. ValidFrom zero: now; ValidTo zero: open. Confidence < 0: the
// default (1); 0 is a confidence of 0.
type NewFact struct {
	Subject, Predicate, Object string
	ObjectIsEntity             bool
	ValidFrom, ValidTo         time.Time
	Sources                    []string
	Confidence                 float64
}

// GraphQuery selects facts for Facts, Neighbors and Path; the zero value: the facts valid now,
// as known now, of any predicate, both directions.
type GraphQuery struct {
	AsOf       time.Time // valid at this time (zero: now)
	DuringFrom time.Time // or valid at some time in [DuringFrom, DuringTo) (DuringFrom zero: not used)
	DuringTo   time.Time // zero: open-ended
	KnownAt    time.Time // as the database knew it then (zero: now)
	Predicates []string  // only these (nil: any)
	Direction  Direction
}

// OpenGraph opens graph name, creating it if needed; dim is the entity embeddings' dimension
// (0: none for a new graph, any for an existing one).
func (db *DB) OpenGraph(ctx context.Context, name string, dim int) (*Graph, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	if dim < 0 {
		return nil, argError(CodeInvalidArgument, "dim must not be negative")
	}
	n, err := cstr(name, "name")
	if err != nil {
		return nil, err
	}
	defer free(n)
	defer pin()()
	var p *C.agentdb_graph
	if err := status(C.agentdb_graph_open(db.h.p, n, C.size_t(dim), &p)); err != nil {
		return nil, err
	}
	g := &Graph{db: db}
	g.h.p = p
	g.h.cleanup = runtime.AddCleanup(g, func(p *C.agentdb_graph) { C.agentdb_graph_close(p) }, p)
	return g, nil
}

// DropGraph deletes graph name and everything in it.
func (db *DB) DropGraph(ctx context.Context, name string) error {
	if err := ready(ctx); err != nil {
		return err
	}
	n, err := cstr(name, "name")
	if err != nil {
		return err
	}
	defer free(n)
	defer pin()()
	return status(C.agentdb_graph_drop(db.h.p, n))
}

// ListGraphs is the names of the database's graphs.
func (db *DB) ListGraphs(ctx context.Context) ([]string, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	defer pin()()
	var s *C.agentdb_strings
	if err := status(C.agentdb_graph_list(db.h.p, &s)); err != nil {
		return nil, err
	}
	return takeStrings(s)
}

// Close frees the handle; the graph stays.
func (g *Graph) Close() error {
	return g.h.close(func(p *C.agentdb_graph) C.enum_agentdb_status { return C.agentdb_graph_close(p) })
}

func firstString(s *C.agentdb_strings) (string, error) {
	ss, err := takeStrings(s)
	if err != nil {
		return "", err
	}
	if len(ss) != 1 {
		return "", argError(CodeInternal, "expected one id from the library, got %d", len(ss))
	}
	return ss[0], nil
}

// AddEntity stores an entity and returns its id.
func (g *Graph) AddEntity(ctx context.Context, e NewEntity) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	var strs []*C.char
	defer func() {
		for _, p := range strs {
			free(p)
		}
	}()
	opt := func(s, what string) (*C.char, error) {
		p, err := optCstr(s, what)
		strs = append(strs, p)
		return p, err
	}
	id, err := opt(e.ID, "id")
	if err != nil {
		return "", err
	}
	name, err := cstr(e.Name, "name")
	if err != nil {
		return "", err
	}
	strs = append(strs, name)
	typ, err := opt(e.Type, "type")
	if err != nil {
		return "", err
	}
	var meta *C.char
	if e.Metadata != nil {
		if meta, err = jsonText(e.Metadata, "metadata"); err != nil {
			return "", err
		}
		strs = append(strs, meta)
	}
	aliases, pal, err := newCStrings(e.Aliases, "aliases", false)
	if err != nil {
		return "", err
	}
	defer aliases.free()
	defer pin()()
	var out *C.agentdb_strings
	if err := status(C.agentdb_graph_add_entity(g.h.p, id, name, typ, pal, C.size_t(len(e.Aliases)),
		vecPtr(e.Embedding), C.size_t(len(e.Embedding)), meta, &out)); err != nil {
		return "", err
	}
	return firstString(out)
}

// DeclarePredicate says whether predicate is single-valued: a new fact on it closes the one it
// contradicts.
func (g *Graph) DeclarePredicate(ctx context.Context, predicate string, singleValued bool) error {
	if err := ready(ctx); err != nil {
		return err
	}
	p, err := cstr(predicate, "predicate")
	if err != nil {
		return err
	}
	defer free(p)
	defer pin()()
	return status(C.agentdb_graph_declare_predicate(g.h.p, p, cbool(singleValued)))
}

func timeArg(t time.Time) (C.bool, C.int64_t) {
	if t.IsZero() {
		return false, 0
	}
	return true, C.int64_t(t.UnixMicro())
}

// AddFact stores a fact and returns its id.
func (g *Graph) AddFact(ctx context.Context, f NewFact) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	cs := make([]*C.char, 0, 3)
	defer func() {
		for _, p := range cs {
			free(p)
		}
	}()
	for _, s := range []struct{ v, what string }{{f.Subject, "subject"}, {f.Predicate, "predicate"}, {f.Object, "object"}} {
		p, err := cstr(s.v, s.what)
		if err != nil {
			return "", err
		}
		cs = append(cs, p)
	}
	src, psrc, err := newCStrings(f.Sources, "sources", false)
	if err != nil {
		return "", err
	}
	defer src.free()
	hasFrom, from := timeArg(f.ValidFrom)
	hasTo, to := timeArg(f.ValidTo)
	defer pin()()
	var out *C.agentdb_strings
	if err := status(C.agentdb_graph_add_fact(g.h.p, cs[0], cs[1], cs[2], cbool(f.ObjectIsEntity), hasFrom, from, hasTo, to,
		psrc, C.size_t(len(f.Sources)), C.double(f.Confidence), &out)); err != nil {
		return "", err
	}
	return firstString(out)
}

// Invalidate ends fact id's validity at at (zero: now) as a new version, which it returns.
func (g *Graph) Invalidate(ctx context.Context, id string, at time.Time) (Fact, error) {
	if err := ready(ctx); err != nil {
		return Fact{}, err
	}
	p, err := cstr(id, "fact id")
	if err != nil {
		return Fact{}, err
	}
	defer free(p)
	has, us := timeArg(at)
	defer pin()()
	var out *C.agentdb_graph_facts
	if err := status(C.agentdb_graph_invalidate(g.h.p, p, has, us, &out)); err != nil {
		return Fact{}, err
	}
	return oneFact(out)
}

// Correction is what Correct changes in a fact recorded wrong; nil / zero fields stay as they were.
type Correction struct {
	Object         *string // the new object
	ObjectIsEntity bool    // with Object: whether it is an entity id
	ValidFrom      time.Time
	ValidTo        time.Time // set it (with ReopenValidTo false)
	ReopenValidTo  bool      // clear valid_to: valid from ValidFrom on
	Sources        []string  // nil: unchanged
	Confidence     *float64
}

// Correct records a corrected version of fact id (the old version stays) and returns it.
func (g *Graph) Correct(ctx context.Context, id string, c Correction) (Fact, error) {
	if err := ready(ctx); err != nil {
		return Fact{}, err
	}
	p, err := cstr(id, "fact id")
	if err != nil {
		return Fact{}, err
	}
	defer free(p)
	var obj *C.char
	if c.Object != nil {
		if obj, err = cstr(*c.Object, "object"); err != nil {
			return Fact{}, err
		}
		defer free(obj)
	}
	var src cstrings
	var psrc **C.char
	if c.Sources != nil {
		if src, psrc, err = newCStrings(c.Sources, "sources", false); err != nil {
			return Fact{}, err
		}
		defer src.free()
		if psrc == nil {
			// An empty list (no sources any more), told apart from nil (unchanged): a non-NULL
			// array of none.
			psrc = (**C.char)(C.malloc(C.size_t(8)))
			defer C.free(unsafeP(psrc))
		}
	}
	hasFrom, from := timeArg(c.ValidFrom)
	mode, to := C.int32_t(C.AGENTDB_GRAPH_KEEP), C.int64_t(0)
	switch {
	case c.ReopenValidTo:
		mode = C.AGENTDB_GRAPH_REOPEN
	case !c.ValidTo.IsZero():
		mode, to = C.AGENTDB_GRAPH_SET, C.int64_t(c.ValidTo.UnixMicro())
	}
	conf := C.double(-1)
	if c.Confidence != nil {
		conf = C.double(*c.Confidence)
	}
	defer pin()()
	var out *C.agentdb_graph_facts
	if err := status(C.agentdb_graph_correct(g.h.p, p, obj, cbool(c.ObjectIsEntity), hasFrom, from, mode, to,
		psrc, C.size_t(len(c.Sources)), conf, &out)); err != nil {
		return Fact{}, err
	}
	return oneFact(out)
}

// withQuery runs fn with q as an agentdb_graph_query (nil: the default query).
func withQuery(q *GraphQuery, fn func(*C.agentdb_graph_query) error) error {
	if q == nil {
		return fn(nil)
	}
	cq := C.agentdb_graph_query_default()
	cq.has_as_of, cq.as_of_us = timeArg(q.AsOf)
	if !q.DuringFrom.IsZero() {
		cq.has_during, cq.during_from_us = true, C.int64_t(q.DuringFrom.UnixMicro())
		if q.DuringTo.IsZero() {
			cq.during_open_end = true
		} else {
			cq.during_to_us = C.int64_t(q.DuringTo.UnixMicro())
		}
	}
	cq.has_known_at, cq.known_at_us = timeArg(q.KnownAt)
	preds, pp, err := newCStrings(q.Predicates, "predicates", false)
	if err != nil {
		return err
	}
	defer preds.free()
	cq.predicates, cq.n_predicates = pp, C.size_t(len(q.Predicates))
	cq.direction = C.int32_t(q.Direction)
	return fn(&cq)
}

// Facts is the facts about entity id that q selects (nil: valid now), ordered by valid_from.
func (g *Graph) Facts(ctx context.Context, id string, q *GraphQuery) ([]Fact, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	p, err := cstr(id, "entity id")
	if err != nil {
		return nil, err
	}
	defer free(p)
	var out []Fact
	err = withQuery(q, func(cq *C.agentdb_graph_query) error {
		defer pin()()
		var f *C.agentdb_graph_facts
		if err := status(C.agentdb_graph_get_facts(g.h.p, p, cq, &f)); err != nil {
			return err
		}
		var err error
		out, err = takeFacts(f)
		return err
	})
	return out, err
}

// History is every version of fact id, oldest first (none: no such fact).
func (g *Graph) History(ctx context.Context, id string) ([]Fact, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	p, err := cstr(id, "fact id")
	if err != nil {
		return nil, err
	}
	defer free(p)
	defer pin()()
	var f *C.agentdb_graph_facts
	if err := status(C.agentdb_graph_fact_history(g.h.p, p, &f)); err != nil {
		return nil, err
	}
	return takeFacts(f)
}

// Neighbors is the entities within hops facts of entity id (following the facts q selects),
// nearest first.
func (g *Graph) Neighbors(ctx context.Context, id string, hops int, q *GraphQuery) ([]Neighbor, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	if hops < 0 {
		return nil, argError(CodeInvalidArgument, "hops must not be negative")
	}
	p, err := cstr(id, "entity id")
	if err != nil {
		return nil, err
	}
	defer free(p)
	var out []Neighbor
	err = withQuery(q, func(cq *C.agentdb_graph_query) error {
		defer pin()()
		var nb *C.agentdb_graph_neighbors
		if err := status(C.agentdb_graph_get_neighbors(g.h.p, p, C.size_t(hops), cq, &nb)); err != nil {
			return err
		}
		defer C.agentdb_graph_neighbors_free(nb)
		var n C.size_t
		if err := status(C.agentdb_graph_neighbors_count(nb, &n)); err != nil {
			return err
		}
		out = make([]Neighbor, n)
		for i := range out {
			var c C.agentdb_graph_neighbor
			if err := status(C.agentdb_graph_neighbors_get(nb, C.size_t(i), &c)); err != nil {
				return err
			}
			out[i] = Neighbor{EntityID: C.GoString(c.entity_id), Hops: int(c.hops)}
		}
		return nil
	})
	return out, err
}

// Path is a shortest chain of facts from entity from to entity to in at most maxHops (0: the
// engine's most), and whether there is one (from an entity to itself: found, no facts).
func (g *Graph) Path(ctx context.Context, from, to string, maxHops int, q *GraphQuery) ([]Fact, bool, error) {
	if err := ready(ctx); err != nil {
		return nil, false, err
	}
	if maxHops < 0 {
		return nil, false, argError(CodeInvalidArgument, "maxHops must not be negative")
	}
	pf, err := cstr(from, "from")
	if err != nil {
		return nil, false, err
	}
	defer free(pf)
	pt, err := cstr(to, "to")
	if err != nil {
		return nil, false, err
	}
	defer free(pt)
	var out []Fact
	var found C.bool
	err = withQuery(q, func(cq *C.agentdb_graph_query) error {
		defer pin()()
		var f *C.agentdb_graph_facts
		if err := status(C.agentdb_graph_shortest_path(g.h.p, pf, pt, C.size_t(maxHops), cq, &found, &f)); err != nil {
			return err
		}
		var err error
		out, err = takeFacts(f)
		return err
	})
	return out, bool(found), err
}

// FactsForText is the facts about the entities text mentions (names or aliases as whole words,
// ignoring case), valid at asOf (zero: now), at most limit (0: the engine's default).
func (g *Graph) FactsForText(ctx context.Context, text string, asOf time.Time, limit int) ([]Fact, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	if limit < 0 {
		return nil, argError(CodeInvalidArgument, "limit must not be negative")
	}
	p, err := cstr(text, "text")
	if err != nil {
		return nil, err
	}
	defer free(p)
	has, us := timeArg(asOf)
	defer pin()()
	var f *C.agentdb_graph_facts
	if err := status(C.agentdb_graph_get_facts_for_text(g.h.p, p, has, us, C.size_t(limit), &f)); err != nil {
		return nil, err
	}
	return takeFacts(f)
}

// Entity is entity id, or nil when there is none.
func (g *Graph) Entity(ctx context.Context, id string) (*Entity, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	p, err := cstr(id, "entity id")
	if err != nil {
		return nil, err
	}
	defer free(p)
	defer pin()()
	var e *C.agentdb_graph_entities
	if err := status(C.agentdb_graph_get_entity(g.h.p, p, &e)); err != nil {
		return nil, err
	}
	es, err := takeEntities(e)
	if err != nil || len(es) == 0 {
		return nil, err
	}
	return &es[0], nil
}

// SearchEntities is the entities best matching text ("": none) and/or vector (nil: none), best
// first, at most k (0: the engine's default), of type typ only ("": any).
func (g *Graph) SearchEntities(ctx context.Context, text string, vector []float32, k int, typ string) ([]Entity, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, argError(CodeInvalidArgument, "k must not be negative")
	}
	t, err := optCstr(text, "text")
	if err != nil {
		return nil, err
	}
	defer free(t)
	ty, err := optCstr(typ, "type")
	if err != nil {
		return nil, err
	}
	defer free(ty)
	defer pin()()
	var e *C.agentdb_graph_entities
	if err := status(C.agentdb_graph_search_entities(g.h.p, t, vecPtr(vector), C.size_t(len(vector)), C.size_t(k), ty, &e)); err != nil {
		return nil, err
	}
	return takeEntities(e)
}

// FindEntities is the entities whose name or an alias is name (ignoring case).
func (g *Graph) FindEntities(ctx context.Context, name string) ([]Entity, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	p, err := cstr(name, "name")
	if err != nil {
		return nil, err
	}
	defer free(p)
	defer pin()()
	var e *C.agentdb_graph_entities
	if err := status(C.agentdb_graph_find_entities(g.h.p, p, &e)); err != nil {
		return nil, err
	}
	return takeEntities(e)
}

// Count is the number of entities and of facts (current versions).
func (g *Graph) Count(ctx context.Context) (entities, facts int, err error) {
	if err := ready(ctx); err != nil {
		return 0, 0, err
	}
	defer pin()()
	var e, f C.size_t
	err = status(C.agentdb_graph_count(g.h.p, &e, &f))
	return int(e), int(f), err
}

// Flush makes the graph's writes so far durable.
func (g *Graph) Flush(ctx context.Context) error {
	if err := ready(ctx); err != nil {
		return err
	}
	defer pin()()
	return status(C.agentdb_graph_flush(g.h.p))
}

func optMicros(has C.bool, us C.int64_t) time.Time {
	if !bool(has) {
		return time.Time{}
	}
	return micros(us)
}

func oneFact(f *C.agentdb_graph_facts) (Fact, error) {
	fs, err := takeFacts(f)
	if err != nil {
		return Fact{}, err
	}
	if len(fs) != 1 {
		return Fact{}, argError(CodeInternal, "expected one fact from the library, got %d", len(fs))
	}
	return fs[0], nil
}

// takeFacts copies and frees an agentdb_graph_facts list.
func takeFacts(f *C.agentdb_graph_facts) ([]Fact, error) {
	defer C.agentdb_graph_facts_free(f)
	var n C.size_t
	if err := status(C.agentdb_graph_facts_count(f, &n)); err != nil {
		return nil, err
	}
	out := make([]Fact, n)
	for i := range out {
		var c C.agentdb_graph_fact
		if err := status(C.agentdb_graph_facts_get(f, C.size_t(i), &c)); err != nil {
			return nil, err
		}
		x := Fact{ID: C.GoString(c.id), Version: uint32(c.version), Subject: C.GoString(c.subject), Predicate: C.GoString(c.predicate),
			Object: C.GoString(c.object), ObjectIsEntity: bool(c.object_is_entity), ValidFrom: micros(c.valid_from_us),
			ValidTo: optMicros(c.has_valid_to, c.valid_to_us), RecordedAt: micros(c.recorded_at_us),
			Superseded: optMicros(c.has_superseded_at, c.superseded_at_us), Confidence: float64(c.confidence)}
		for j := 0; j < int(c.n_sources); j++ {
			var s *C.char
			if err := status(C.agentdb_graph_facts_source(f, C.size_t(i), C.size_t(j), &s)); err != nil {
				return nil, err
			}
			x.Sources = append(x.Sources, C.GoString(s))
		}
		out[i] = x
	}
	return out, nil
}

// takeEntities copies and frees an agentdb_graph_entities list.
func takeEntities(e *C.agentdb_graph_entities) ([]Entity, error) {
	defer C.agentdb_graph_entities_free(e)
	var n C.size_t
	if err := status(C.agentdb_graph_entities_count(e, &n)); err != nil {
		return nil, err
	}
	out := make([]Entity, n)
	for i := range out {
		var c C.agentdb_graph_entity
		if err := status(C.agentdb_graph_entities_get(e, C.size_t(i), &c)); err != nil {
			return nil, err
		}
		meta, err := metadataMap(c.metadata_json, C.size_t(cStrLen(c.metadata_json)))
		if err != nil {
			return nil, err
		}
		x := Entity{ID: C.GoString(c.id), Name: C.GoString(c.name), Type: goCString(c.type_), Metadata: meta,
			RecordedAt: micros(c.recorded_at_us), Score: float64(c.score)}
		if c.dim > 0 {
			x.Embedding = append([]float32(nil), unsafeFloats(c.embedding, int(c.dim))...)
		}
		for j := 0; j < int(c.n_aliases); j++ {
			var s *C.char
			if err := status(C.agentdb_graph_entities_alias(e, C.size_t(i), C.size_t(j), &s)); err != nil {
				return nil, err
			}
			x.Aliases = append(x.Aliases, C.GoString(s))
		}
		out[i] = x
	}
	return out, nil
}
