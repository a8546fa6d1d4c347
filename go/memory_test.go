package agentdb_test

import (
	"errors"
	"math"
	"testing"
	"time"

	agentdb "github.com/agentdb/agentdb/go"
)

func TestMemory(t *testing.T) {
	dir := t.TempDir()
	db := must(agentdb.Open(bg, dir, nil))
	defer db.Close()
	_, err := db.OpenMemory(bg, "mem")
	expect(t, err, agentdb.ErrNotFound, "")
	m := must(db.OpenOrCreateMemory(bg, "mem", 3, agentdb.Cosine))
	defer m.Close()
	if d := must(m.Dim()); d != 3 {
		t.Fatal(d)
	}
	high := 0.9
	old := time.Now().Add(-30 * 24 * time.Hour)
	got := must(m.Remember(bg, agentdb.MemoryBatch{AgentID: "ann", SessionID: "s1", Kind: agentdb.Semantic}, []agentdb.NewMemory{
		{ID: "tea", Text: "likes green tea", Vector: []float32{1, 0, 0}, Importance: &high, Metadata: map[string]any{"topic": "food"}},
		{Text: "lives in Oslo", Vector: []float32{0, 1, 0}, CreatedAt: old},
	}))
	if len(got) != 2 || got[0] != "tea" || got[1] == "" {
		t.Fatal(got)
	}
	must(m.Remember(bg, agentdb.MemoryBatch{AgentID: "bob", Kind: agentdb.KindDefault}, []agentdb.NewMemory{{Text: "bob's", Vector: []float32{0, 0, 1}}}))
	if n := must(m.Count(bg, nil)); n != 3 {
		t.Fatal(n)
	}
	if n := must(m.Count(bg, &agentdb.MemoryFilter{AgentID: "ann"})); n != 2 {
		t.Fatal(n)
	}
	if n := must(m.Count(bg, &agentdb.MemoryFilter{Kinds: []agentdb.MemoryKind{agentdb.Semantic}, Since: old.Add(time.Hour)})); n != 1 {
		t.Fatal(n)
	}
	if n := must(m.Count(bg, &agentdb.MemoryFilter{Filter: agentdb.SQL("topic = 'food'")})); n != 1 {
		t.Fatal(n)
	}
	// Recall: the most similar first, with the engine's defaults and with options.
	hits := must(m.Recall(bg, []float32{0.9, 0.1, 0}, 2, nil))
	if len(hits) != 2 || hits[0].ID != "tea" || hits[0].Text != "likes green tea" || hits[0].AgentID != "ann" ||
		hits[0].SessionID != "s1" || hits[0].Kind != agentdb.Semantic || hits[0].Importance != 0.9 ||
		hits[0].Metadata["topic"] != "food" || math.IsNaN(hits[0].Similarity) || hits[0].Vector != nil {
		t.Fatalf("%+v", hits)
	}
	opts := agentdb.DefaultRecallOptions()
	if opts.HalfLife <= 0 || opts.Mode != agentdb.Relevance {
		t.Fatalf("defaults %+v", opts)
	}
	opts.Filter = &agentdb.MemoryFilter{AgentID: "bob"}
	opts.Touch = false
	hits = must(m.Recall(bg, []float32{1, 0, 0}, 5, &opts))
	if len(hits) != 1 || hits[0].Text != "bob's" {
		t.Fatalf("%+v", hits)
	}
	// Without a query: by strength alone (similarity NaN).
	hits = must(m.Recall(bg, nil, 1, nil))
	if len(hits) != 1 || !math.IsNaN(hits[0].Similarity) {
		t.Fatalf("%+v", hits)
	}
	recs := must(m.Get(bg, []string{"tea", "none"}))
	if len(recs) != 1 || len(recs[0].Vector) != 3 || recs[0].AccessCount < 1 {
		t.Fatalf("%+v", recs)
	}
	text := "likes black tea"
	low := 0.1
	ok(t, m.Update(bg, "tea", agentdb.MemoryUpdate{Text: &text, Importance: &low, Metadata: map[string]any{"topic": "drink"}}))
	recs = must(m.Get(bg, []string{"tea"}))
	if recs[0].Text != text || recs[0].Importance != low || recs[0].Metadata["topic"] != "drink" {
		t.Fatalf("%+v", recs)
	}
	expect(t, m.Update(bg, "nobody", agentdb.MemoryUpdate{Importance: &low}), agentdb.ErrInvalidArgument, "")
	// Bad input: a duplicate id, a wrong dimension, forget with no condition.
	_, err = m.Remember(bg, agentdb.MemoryBatch{AgentID: "ann"}, []agentdb.NewMemory{{ID: "tea", Vector: []float32{1, 0, 0}}})
	expect(t, err, agentdb.ErrDuplicateID, "")
	_, err = m.Remember(bg, agentdb.MemoryBatch{AgentID: "ann"}, []agentdb.NewMemory{{Vector: []float32{1, 0}}})
	expect(t, err, agentdb.ErrDimensionMismatch, "")
	_, err = m.Recall(bg, []float32{1, 0, 0}, 0, nil)
	expect(t, err, agentdb.ErrInvalidArgument, "")
	_, err = m.Forget(bg, nil, nil)
	expect(t, err, agentdb.ErrInvalidArgument, "")
	// Consolidate: dedup merges a near copy; decay and capacity as the engine decides.
	must(m.Remember(bg, agentdb.MemoryBatch{AgentID: "bob"}, []agentdb.NewMemory{{Text: "bob's again", Vector: []float32{0, 0, 1}}}))
	co := agentdb.DefaultConsolidateOptions()
	if co.Dedup || co.Decay {
		t.Fatalf("defaults %+v", co)
	}
	co.Dedup, co.DedupThreshold = true, 0.999
	rep := must(m.Consolidate(bg, co))
	if rep.Merged != 1 {
		t.Fatalf("%+v", rep)
	}
	co = agentdb.DefaultConsolidateOptions()
	co.Capacity, co.AgentID = 1, "ann"
	if rep := must(m.Consolidate(bg, co)); rep.Evicted != 1 {
		t.Fatalf("%+v", rep)
	}
	ok(t, m.StartBackground(bg, time.Hour, agentdb.DefaultConsolidateOptions()))
	ok(t, m.StopBackground(bg))
	if n := must(m.Forget(bg, nil, &agentdb.MemoryFilter{AgentID: "bob"})); n != 1 {
		t.Fatal(n)
	}
	ok(t, m.Flush(bg))
	if n := must(m.Count(bg, nil)); n != 1 {
		t.Fatal(n)
	}
	// Reopened, the store is as left.
	ok(t, m.Close())
	m2 := must(db.OpenMemory(bg, "mem"))
	defer m2.Close()
	if n := must(m2.Count(bg, nil)); n != 1 {
		t.Fatal(n)
	}
	ok(t, db.DropMemory(bg, "mem"))
	if _, err := db.OpenMemory(bg, "mem"); !errors.Is(err, agentdb.ErrNotFound) {
		t.Fatal(err)
	}
}
