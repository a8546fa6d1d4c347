package agentdb_test

import (
	"testing"
	"time"

	agentdb "github.com/agentdb/agentdb/go"
)

func us(n int64) time.Time { return time.UnixMicro(n) }

// objectAt is the object of alice's one outgoing fact that q selects ("" for none).
func objectAt(t *testing.T, g *agentdb.Graph, q agentdb.GraphQuery) string {
	t.Helper()
	q.Direction = agentdb.Outgoing
	fs := must(g.Facts(bg, "alice", &q))
	switch len(fs) {
	case 0:
		return ""
	case 1:
		return fs[0].Object
	}
	t.Fatalf("%d facts: %+v", len(fs), fs)
	return ""
}

// The scenario of zig/tests/graph_test.zig: a single-valued predicate closes the contradicted
// fact; invalidate and correct keep the history; as-of and known-at reads; reopening.
func TestGraphBitemporalFacts(t *testing.T) {
	dir := t.TempDir()
	db := must(agentdb.Open(bg, dir, nil))
	g := must(db.OpenGraph(bg, "agent-1", 0))
	for _, id := range []string{"alice", "paris", "rome"} {
		must(g.AddEntity(bg, agentdb.NewEntity{ID: id, Name: id}))
	}
	ok(t, g.DeclarePredicate(bg, "lives_in", true))
	f1 := must(g.AddFact(bg, agentdb.NewFact{Subject: "alice", Predicate: "lives_in", Object: "paris", ObjectIsEntity: true,
		ValidFrom: us(100), Sources: []string{"mem-1"}, Confidence: -1}))
	if got := objectAt(t, g, agentdb.GraphQuery{AsOf: us(99)}); got != "" {
		t.Fatal(got)
	}
	if got := objectAt(t, g, agentdb.GraphQuery{AsOf: us(100)}); got != "paris" {
		t.Fatal(got)
	}
	f2 := must(g.AddFact(bg, agentdb.NewFact{Subject: "alice", Predicate: "lives_in", Object: "rome", ObjectIsEntity: true, ValidFrom: us(200), Confidence: -1}))
	if objectAt(t, g, agentdb.GraphQuery{AsOf: us(199)}) != "paris" || objectAt(t, g, agentdb.GraphQuery{AsOf: us(200)}) != "rome" {
		t.Fatal("the single-valued predicate did not close the old fact")
	}
	hist := must(g.History(bg, f1))
	if len(hist) != 2 || !hist[1].ValidTo.Equal(us(200)) || hist[1].Sources[0] != "mem-1" || !hist[0].Superseded.Equal(hist[1].RecordedAt) {
		t.Fatalf("%+v", hist)
	}
	t2 := hist[1].RecordedAt
	if objectAt(t, g, agentdb.GraphQuery{AsOf: us(250), KnownAt: t2.Add(-time.Microsecond)}) != "paris" ||
		objectAt(t, g, agentdb.GraphQuery{AsOf: us(250), KnownAt: t2}) != "rome" {
		t.Fatal("known-at")
	}
	inv := must(g.Invalidate(bg, f2, us(300)))
	if inv.Version != 2 || objectAt(t, g, agentdb.GraphQuery{AsOf: us(300)}) != "" {
		t.Fatalf("%+v", inv)
	}
	cor := must(g.Correct(bg, f1, agentdb.Correction{ValidFrom: us(50)}))
	if !cor.ValidFrom.Equal(us(50)) || objectAt(t, g, agentdb.GraphQuery{AsOf: us(60)}) != "paris" ||
		objectAt(t, g, agentdb.GraphQuery{AsOf: us(60), KnownAt: cor.RecordedAt.Add(-time.Microsecond)}) != "" {
		t.Fatalf("%+v", cor)
	}
	re := must(g.Correct(bg, f2, agentdb.Correction{ReopenValidTo: true}))
	if !re.ValidTo.IsZero() {
		t.Fatalf("%+v", re)
	}
	if during := must(g.Facts(bg, "alice", &agentdb.GraphQuery{DuringFrom: us(150), DuringTo: us(250)})); len(during) != 2 {
		t.Fatalf("%+v", during)
	}
	_, err := g.Invalidate(bg, "no-such-fact", time.Time{})
	if err == nil {
		t.Fatal("invalidating a missing fact")
	}
	ok(t, g.Close())
	ok(t, db.Close())

	db = must(agentdb.Open(bg, dir, nil))
	defer db.Close()
	if names := must(db.ListGraphs(bg)); len(names) != 1 || names[0] != "agent-1" {
		t.Fatal(names)
	}
	g = must(db.OpenGraph(bg, "agent-1", 0))
	defer g.Close()
	if h := must(g.History(bg, f1)); len(h) != 3 {
		t.Fatalf("%+v", h)
	}
	expect(t, db.DropGraph(bg, "nope"), agentdb.ErrNotFound, "nope")
}

func TestGraphTraversalAndSearch(t *testing.T) {
	db := must(agentdb.Open(bg, t.TempDir(), nil))
	defer db.Close()
	g := must(db.OpenGraph(bg, "g", 2))
	defer g.Close()
	must(g.AddEntity(bg, agentdb.NewEntity{ID: "a", Name: "Alice Smith", Aliases: []string{"Ali"}, Embedding: []float32{1, 0}, Metadata: map[string]any{"team": "core"}}))
	must(g.AddEntity(bg, agentdb.NewEntity{ID: "b", Name: "ACME Corp", Type: "org", Embedding: []float32{0, 1}}))
	must(g.AddEntity(bg, agentdb.NewEntity{ID: "c", Name: "Carol"}))
	must(g.AddFact(bg, agentdb.NewFact{Subject: "a", Predicate: "works_at", Object: "b", ObjectIsEntity: true, ValidFrom: us(0), Sources: []string{"m-1", "m-2"}, Confidence: 0.9}))
	must(g.AddFact(bg, agentdb.NewFact{Subject: "c", Predicate: "works_at", Object: "b", ObjectIsEntity: true, ValidFrom: us(0), ValidTo: us(10), Confidence: -1}))
	must(g.AddFact(bg, agentdb.NewFact{Subject: "c", Predicate: "age", Object: "41", ValidFrom: us(0), Confidence: -1}))
	if e, f := must2(g.Count(bg)); e != 3 || f != 3 {
		t.Fatal(e, f)
	}
	nb := must(g.Neighbors(bg, "a", 2, &agentdb.GraphQuery{AsOf: us(5)}))
	if len(nb) != 2 || nb[1].EntityID != "c" || nb[1].Hops != 2 {
		t.Fatalf("%+v", nb)
	}
	if nb := must(g.Neighbors(bg, "a", 2, &agentdb.GraphQuery{AsOf: us(20)})); len(nb) != 1 {
		t.Fatalf("%+v", nb)
	}
	path, found, err := g.Path(bg, "a", "c", 0, &agentdb.GraphQuery{AsOf: us(5)})
	ok(t, err)
	if !found || len(path) != 2 {
		t.Fatalf("%v %+v", found, path)
	}
	if _, found, _ := g.Path(bg, "a", "c", 0, &agentdb.GraphQuery{AsOf: us(20)}); found {
		t.Fatal("a path through an expired fact")
	}
	hits := must(g.SearchEntities(bg, "", []float32{0.1, 1}, 0, ""))
	if hits[0].ID != "b" || len(hits[0].Embedding) != 2 {
		t.Fatalf("%+v", hits)
	}
	found2 := must(g.FindEntities(bg, "ali"))
	if len(found2) != 1 || found2[0].ID != "a" || found2[0].Metadata["team"] != "core" || found2[0].Aliases[0] != "Ali" {
		t.Fatalf("%+v", found2)
	}
	if e := must(g.Entity(bg, "b")); e == nil || e.Type != "org" {
		t.Fatalf("%+v", e)
	}
	if e := must(g.Entity(bg, "zz")); e != nil {
		t.Fatalf("%+v", e)
	}
	tf := must(g.FactsForText(bg, "what does Ali do at acme?", us(5), 0))
	if len(tf) == 0 || tf[0].Predicate != "works_at" {
		t.Fatalf("%+v", tf)
	}
	_, err = g.AddFact(bg, agentdb.NewFact{Subject: "a", Predicate: "", Object: "x"})
	expect(t, err, agentdb.ErrInvalidArgument, "")
	_, err = db.OpenGraph(bg, "g", 3)
	expect(t, err, agentdb.ErrDimensionMismatch, "")
}

// RecallWithGraph: the hits are Recall's, the facts are the graph's about the entities the query
// text names, with their provenance; a missing query text is refused.
func TestRecallWithGraph(t *testing.T) {
	db := must(agentdb.Open(bg, t.TempDir(), nil))
	defer db.Close()
	m := must(db.OpenOrCreateMemory(bg, "mem", 2, agentdb.Cosine))
	defer m.Close()
	ids := must(m.Remember(bg, agentdb.MemoryBatch{AgentID: "ann"}, []agentdb.NewMemory{
		{ID: "m1", Text: "Ali joined Acme in May", Vector: []float32{1, 0}},
		{ID: "m2", Text: "the weather was grey", Vector: []float32{0, 1}},
	}))
	if len(ids) != 2 {
		t.Fatal(ids)
	}
	g := must(db.OpenGraph(bg, "ann", 0))
	must(g.AddEntity(bg, agentdb.NewEntity{ID: "ali", Name: "Ali"}))
	must(g.AddEntity(bg, agentdb.NewEntity{ID: "acme", Name: "Acme"}))
	must(g.AddFact(bg, agentdb.NewFact{Subject: "ali", Predicate: "works_at", Object: "acme", ObjectIsEntity: true,
		ValidFrom: us(1), Sources: []string{"m1"}, Confidence: -1}))
	opts := agentdb.DefaultRecallOptions()
	opts.QueryText = "where does Ali work?"
	plain := must(m.Recall(bg, []float32{1, 0}, 2, &opts))
	got := must(m.RecallWithGraph(bg, g, []float32{1, 0}, 2, &opts, 0))
	if len(got.Hits) != len(plain) || got.Hits[0].ID != plain[0].ID {
		t.Fatalf("%+v vs %+v", got.Hits, plain)
	}
	if len(got.Facts) != 1 || got.Facts[0].Predicate != "works_at" || got.Facts[0].Sources[0] != "m1" {
		t.Fatalf("%+v", got.Facts)
	}
	_, err := m.RecallWithGraph(bg, g, []float32{1, 0}, 2, nil, 0)
	expect(t, err, agentdb.ErrInvalidArgument, "")
	_, err = m.RecallWithGraph(bg, nil, []float32{1, 0}, 2, &opts, 0)
	expect(t, err, agentdb.ErrInvalidArgument, "")
}
