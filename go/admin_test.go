package agentdb_test

import (
	"encoding/json"
	"path/filepath"
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
