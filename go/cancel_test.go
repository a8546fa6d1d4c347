package agentdb_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	agentdb "github.com/agentdb/agentdb/go"
)

// doneLater is a context that is cancelled while the Go layer checks it before the call: its
// first `ready` Err checks cancel it but still answer nil, so the Go layer lets the call start
// with the context already done, and the engine's own safe points must stop it (deterministic:
// no timing). Only those checks see the in-between state; after them it is an ordinary
// cancelled context.
type doneLater struct {
	context.Context
	cancel context.CancelFunc
	ready  int64
	calls  atomic.Int64
}

func newDoneLater(ready int64) *doneLater {
	ctx, cancel := context.WithCancel(context.Background())
	return &doneLater{Context: ctx, cancel: cancel, ready: ready}
}

func (d *doneLater) Err() error {
	if d.calls.Add(1) <= d.ready {
		d.cancel()
		return nil
	}
	return d.Context.Err()
}

func cancelled(t *testing.T, err error, cause error) {
	t.Helper()
	if !errors.Is(err, agentdb.ErrCancelled) || !errors.Is(err, cause) {
		t.Fatalf("got %v, want ErrCancelled caused by %v", err, cause)
	}
}

// An index build cancelled by its ctx while it runs stops with ErrCancelled; the old index
// still serves; the next build works.
func TestCancelIndexBuildKeepsTheOldIndex(t *testing.T) {
	db := must(agentdb.Open(bg, t.TempDir(), nil))
	defer db.Close()
	const n, dim = 20000, 16
	c := must(db.CreateCollection(bg, "big", dim, agentdb.L2))
	defer c.Close()
	x := uint64(1)
	recs := make([]agentdb.Record, 0, 5000)
	var first []float32
	for i := 0; i < n; i++ {
		v := make([]float32, dim)
		for j := range v {
			x = x*6364136223846793005 + 1442695040888963407
			v[j] = float32(x>>40) / float32(1<<24)
		}
		if i == 0 {
			first = v
		}
		recs = append(recs, agentdb.Record{ID: fmt.Sprintf("r%d", i), Vector: v})
		if len(recs) == cap(recs) {
			ok(t, c.Add(bg, recs))
			recs = recs[:0]
		}
	}
	old := &agentdb.IndexOptions{M: 4, EfConstruction: 8}
	ok(t, c.CreateIndex(bg, old))
	ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.CreateIndex(ctx, &agentdb.IndexOptions{M: 48, EfConstruction: 2000})
	cancelled(t, err, context.DeadlineExceeded)
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("the cancelled build took %v", d)
	}
	idx := must(c.Index(bg))
	if idx == nil || idx.Kind != "hnsw" || idx.M != 4 || idx.EfConstruction != 8 {
		t.Fatalf("index after the cancelled build: %+v", idx)
	}
	if hits := must(c.Search(bg, first, 3, nil)); len(hits) != 3 || hits[0].ID != "r0" {
		t.Fatalf("%+v", hits)
	}
	if got := must(c.Count(bg, agentdb.Filter{})); got != n {
		t.Fatal(got)
	}
	ok(t, c.CreateIndex(bg, &agentdb.IndexOptions{M: 8, EfConstruction: 16}))
	if idx := must(c.Index(bg)); idx.M != 8 {
		t.Fatalf("%+v", idx)
	}
}

// Backup, restore, verify, export, import and batch search reach an engine safe point after a
// cancel and leave nothing half done: no backup point, an empty restore target, no export file,
// no imported store. Each next call works.
func TestCancelLongCallsLeaveNothingHalfDone(t *testing.T) {
	db, c, _ := openFixture(t)
	tmp := t.TempDir()
	dest := filepath.Join(tmp, "bk")
	_, err := db.Backup(newDoneLater(1), dest, false)
	cancelled(t, err, context.Canceled)
	if pts := must(agentdb.ListBackups(bg, dest)); pts != "[]" {
		t.Fatalf("a cancelled backup left points: %s", pts)
	}
	p := must(db.Backup(bg, dest, false))
	if p.Seq != 1 {
		t.Fatalf("%+v", p)
	}

	into := filepath.Join(tmp, "restored")
	_, err = agentdb.Restore(newDoneLater(1), dest, into, 0)
	cancelled(t, err, context.Canceled)
	if entries, _ := os.ReadDir(into); len(entries) != 0 {
		t.Fatalf("a cancelled restore left %d entries", len(entries))
	}
	_, err = agentdb.VerifyBackup(newDoneLater(1), dest, 0)
	cancelled(t, err, context.Canceled)
	_, err = db.Verify(newDoneLater(1), false)
	cancelled(t, err, context.Canceled)

	file := filepath.Join(tmp, "docs.jsonl")
	_, err = db.ExportStore(newDoneLater(1), "docs", agentdb.AnyStore, file)
	cancelled(t, err, context.Canceled)
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a cancelled export left a file: %v", err)
	}
	must(db.ExportStore(bg, "docs", agentdb.AnyStore, file))
	_, err = db.ImportStore(newDoneLater(1), file, "copy")
	cancelled(t, err, context.Canceled)
	_, err = db.OpenCollection(bg, "copy")
	expect(t, err, agentdb.ErrNotFound, "")

	// SearchBatch checks ctx itself before each chunk too: 2 checks pass, then the engine's.
	_, err = c.SearchBatch(newDoneLater(2), [][]float32{{1, 0, 0}, {0, 1, 0}}, 1, nil)
	cancelled(t, err, context.Canceled)

	// Everything still works.
	must(agentdb.Restore(bg, dest, into, 0))
	rdb := must(agentdb.Open(bg, into, nil))
	defer rdb.Close()
	rc := must(rdb.OpenCollection(bg, "docs"))
	defer rc.Close()
	if n := must(rc.Count(bg, agentdb.Filter{})); n != 4 {
		t.Fatal(n)
	}
	must(db.ImportStore(bg, file, "copy"))
	if hits := must(c.SearchBatch(bg, [][]float32{{1, 0, 0}, {0, 1, 0}}, 1, nil)); hits[0][0].ID != "a" || hits[1][0].ID != "b" {
		t.Fatalf("%+v", hits)
	}
	if rep := must(db.Verify(bg, false)); len(rep.Problems) != 0 {
		t.Fatalf("%+v", rep)
	}
}
