package agentdb_test

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	agentdb "github.com/agentdb/agentdb/go"
)

// tests/fixtures/chroma (made by tests/fixtures/make_chroma_fixture.py): 149 records, r0..r99's
// vectors in Chroma's HNSW segment files, r100..r149's only in its log, r3 deleted, r4 updated.
func TestImportChroma(t *testing.T) {
	fixture := filepath.Join("..", "tests", "fixtures", "chroma")
	db := must(agentdb.Open(bg, t.TempDir(), nil))
	defer db.Close()
	var rep map[string]any
	ok(t, json.Unmarshal([]byte(must(db.ImportChroma(bg, fixture, "fixture", ""))), &rep))
	if rep["records"] != float64(149) || rep["kind"] != "collection" || rep["name"] != "fixture" {
		t.Fatal(rep)
	}
	c := must(db.OpenCollection(bg, "fixture"))
	defer c.Close()
	got := must(c.Get(bg, agentdb.GetOptions{IDs: []string{"r4", "r120", "r3"}}))
	if len(got) != 2 {
		t.Fatalf("%+v", got)
	}
	byID := map[string]agentdb.Record{got[0].ID: got[0], got[1].ID: got[1]}
	if v := byID["r4"].Vector; !reflect.DeepEqual(v, []float32{4, 4, 4}) {
		t.Fatal(v)
	}
	if v := byID["r120"].Vector; !reflect.DeepEqual(v, []float32{120, 60, -120}) || byID["r120"].Document != "doc 120" {
		t.Fatalf("%+v", byID["r120"])
	}
	if m := byID["r4"].Metadata; m["tag"] != "u" || m["even"] != true || m["i"] != float64(4) {
		t.Fatalf("%#v", m)
	}
	_, err := db.ImportChroma(bg, fixture, "fixture", "")
	expect(t, err, agentdb.ErrExists, "")
	_, err = db.ImportChroma(bg, fixture, "nope", "x")
	expect(t, err, agentdb.ErrNotFound, "nope")
	_, err = db.ImportChroma(bg, t.TempDir(), "fixture", "y")
	expect(t, err, agentdb.ErrInvalidArgument, "not a Chroma")
}
