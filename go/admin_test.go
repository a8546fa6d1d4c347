package agentdb_test

import (
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"

	agentdb "github.com/agentdb/agentdb/go"
)

func TestBackupRestoreVerify(t *testing.T) {
	db, c, _ := openFixture(t)
	rep := must(db.Verify(bg, false))
	if len(rep.Problems) != 0 || rep.Tables == 0 {
		t.Fatalf("%+v", rep)
	}
	dest := filepath.Join(t.TempDir(), "backups")
	p1 := must(db.Backup(bg, dest, false))
	ok(t, c.Add(bg, []agentdb.Record{{ID: "e", Vector: []float32{3, 2, 1}}}))
	p2 := must(db.Backup(bg, dest, true))
	if p2.Seq <= p1.Seq || !p2.Incremental || p1.Files == 0 || p2.Time.Before(p1.Time) {
		t.Fatalf("%+v %+v", p1, p2)
	}
	var points []map[string]any
	ok(t, json.Unmarshal([]byte(must(agentdb.ListBackups(bg, dest))), &points))
	if len(points) != 2 {
		t.Fatal(points)
	}
	if probs := must(agentdb.VerifyBackup(bg, dest, 0)); probs != "[]" {
		t.Fatal(probs)
	}
	// Restoring the first point: the record added after it is not there.
	into := filepath.Join(t.TempDir(), "restored")
	must(agentdb.Restore(bg, dest, into, p1.Seq))
	rdb := must(agentdb.Open(bg, into, nil))
	defer rdb.Close()
	rc := must(rdb.OpenCollection(bg, "docs"))
	defer rc.Close()
	if n := must(rc.Count(bg, agentdb.Filter{})); n != 4 {
		t.Fatal(n)
	}
	_, err := agentdb.Restore(bg, dest, into, 0)
	expect(t, err, agentdb.ErrInvalidArgument, "")
	_, err = agentdb.PruneBackups(bg, dest, 0)
	expect(t, err, agentdb.ErrInvalidArgument, "")
	must(agentdb.PruneBackups(bg, dest, 1))
	ok(t, json.Unmarshal([]byte(must(agentdb.ListBackups(bg, dest))), &points))
	if len(points) != 1 {
		t.Fatal(points)
	}
	ok(t, db.SetMetricsEnabled(true))
	if m := must(db.MetricsText(bg)); m == "" {
		t.Fatal("no metrics")
	}
	if h := must(db.Health(bg)); !json.Valid([]byte(h)) {
		t.Fatal(h)
	}
	if s := must(db.Stats(bg)); !json.Valid([]byte(s)) {
		t.Fatal(s)
	}
}

func TestExportImport(t *testing.T) {
	db, _, _ := openFixture(t)
	file := filepath.Join(t.TempDir(), "docs.jsonl")
	var rep map[string]any
	ok(t, json.Unmarshal([]byte(must(db.ExportStore(bg, "docs", agentdb.AnyStore, file))), &rep))
	if rep["records"] != float64(4) || rep["kind"] != "collection" {
		t.Fatal(rep)
	}
	_, err := db.ImportStore(bg, file, "")
	expect(t, err, agentdb.ErrExists, "")
	must(db.ImportStore(bg, file, "copy"))
	c := must(db.OpenCollection(bg, "copy"))
	defer c.Close()
	if hits := must(c.Search(bg, []float32{1, 0, 0}, 1, nil)); hits[0].ID != "a" || hits[0].Document != "alpha" {
		t.Fatalf("%+v", hits)
	}
	_, err = db.ExportStore(bg, "nope", agentdb.AnyStore, file)
	expect(t, err, agentdb.ErrNotFound, "")
}

func TestLogger(t *testing.T) {
	var mu sync.Mutex
	var got []string
	ok(t, agentdb.SetLogger(agentdb.LogDebug, func(level agentdb.LogLevel, target, message string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, target+": "+message)
	}))
	db := must(agentdb.Open(bg, t.TempDir(), nil))
	c := must(db.CreateCollection(bg, "logged", 3, agentdb.L2))
	ok(t, c.Close())
	ok(t, db.Close())
	ok(t, agentdb.SetLogger(agentdb.LogOff, nil))
	mu.Lock()
	n := len(got)
	mu.Unlock()
	if n == 0 {
		t.Fatal("no log records at debug level")
	}
	if err := agentdb.SetLogger(agentdb.LogLevel(9), func(agentdb.LogLevel, string, string) {}); err == nil {
		t.Fatal("level 9 accepted")
	}
}
