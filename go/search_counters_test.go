package agentdb_test

import (
	"fmt"
	"testing"

	agentdb "github.com/agentdb/agentdb/go"
)

// The process-wide search counters from Go (tests/c/test_search_counters.c): a graph walk and
// its work are counted, a repeated filter is evaluated once and then reused until a write, reset
// zeroes them. Not parallel: other tests' searches would add to the counters.
func TestSearchCounters(t *testing.T) {
	db := must(agentdb.Open(bg, t.TempDir(), nil))
	defer db.Close()
	c := must(db.CreateCollection(bg, "sc", 2, agentdb.L2))
	defer c.Close()
	var recs []agentdb.Record
	for i := 0; i < 100; i++ {
		recs = append(recs, agentdb.Record{ID: fmt.Sprintf("r%d", i), Vector: []float32{float32(i % 10), float32(i / 10)},
			Metadata: map[string]any{"tag": i % 4}})
	}
	ok(t, c.Add(bg, recs))
	ok(t, c.CreateIndex(bg, nil))

	ok(t, agentdb.ResetSearchCounters())
	if z := must(agentdb.ReadSearchCounters()); z.Searches != 0 || z.Bytes != 0 {
		t.Fatalf("after reset: %+v", z)
	}
	must(c.Search(bg, []float32{1, 1}, 3, nil))
	walked := must(agentdb.ReadSearchCounters())
	if walked.Searches != 1 || walked.Expansions == 0 || walked.Distances == 0 || walked.Bytes == 0 {
		t.Fatalf("one walk: %+v", walked)
	}
	opts := &agentdb.SearchOptions{Filter: agentdb.SQL("tag != 2")}
	for i := 0; i < 2; i++ {
		for _, h := range must(c.Search(bg, []float32{1, 1}, 3, opts)) {
			if fmt.Sprint(h.Metadata["tag"]) == "2" {
				t.Fatalf("hit %s fails the filter", h.ID)
			}
		}
	}
	filtered := must(agentdb.ReadSearchCounters())
	if filtered.FiltersEvaluated != walked.FiltersEvaluated+1 || filtered.FiltersReused != walked.FiltersReused+1 {
		t.Fatalf("evaluated once, reused once: %+v then %+v", walked, filtered)
	}
	must(c.Delete(bg, []string{"r0"}, agentdb.Filter{}))
	must(c.Search(bg, []float32{1, 1}, 3, opts))
	if after := must(agentdb.ReadSearchCounters()); after.FiltersEvaluated != filtered.FiltersEvaluated+1 {
		t.Fatalf("a write: evaluated again: %+v", after)
	}
}
