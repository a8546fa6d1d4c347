package agentdb_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	agentdb "github.com/agentdb/agentdb/go"
)

func TestState(t *testing.T) {
	dir := t.TempDir()
	db := must(agentdb.Open(bg, dir, nil))
	s := db.State()
	if v := must(s.Put(bg, "ann", "s1", "plan", map[string]any{"step": 1}, 0)); v != 1 {
		t.Fatal(v)
	}
	before := time.Now()
	time.Sleep(2 * time.Millisecond)
	if v := must(s.Put(bg, "ann", "s1", "plan", json.RawMessage(`{"step":2}`), 0)); v != 2 {
		t.Fatal(v)
	}
	cur := must(s.Get(bg, "ann", "s1", "plan"))
	if cur == nil || cur.Version != 2 || string(cur.Value) != `{"step":2}` || cur.Deleted || !cur.ExpiresAt.IsZero() {
		t.Fatalf("%+v", cur)
	}
	if v1 := must(s.GetVersion(bg, "ann", "s1", "plan", 1)); v1 == nil || string(v1.Value) != `{"step":1}` {
		t.Fatalf("%+v", v1)
	}
	if at := must(s.GetAt(bg, "ann", "s1", "plan", before)); at == nil || at.Version != 1 {
		t.Fatalf("%+v", at)
	}
	if none := must(s.Get(bg, "ann", "s1", "nothing")); none != nil {
		t.Fatalf("%+v", none)
	}
	vs := must(s.PutMany(bg, "ann", "s1", map[string]any{"a": 1, "b": []int{2}}, time.Hour))
	if vs["a"] != 1 || vs["b"] != 1 {
		t.Fatal(vs)
	}
	if b := must(s.Get(bg, "ann", "s1", "b")); b.ExpiresAt.Before(time.Now().Add(59 * time.Minute)) {
		t.Fatalf("%+v", b)
	}
	if v := must(s.Delete(bg, "ann", "s1", "a")); v != 2 {
		t.Fatal(v)
	}
	hist := must(s.History(bg, "ann", "s1", "a", 0, 0))
	if len(hist) != 2 || !hist[0].Deleted || hist[0].Value != nil || hist[1].Version != 1 {
		t.Fatalf("%+v", hist)
	}
	snap := must(s.Snapshot(bg, "ann", "s1", time.Time{}))
	if len(snap) != 2 || string(snap["plan"]) != `{"step":2}` || string(snap["b"]) != `[2]` {
		t.Fatalf("%+v", snap)
	}
	if old := must(s.Snapshot(bg, "ann", "s1", before)); len(old) != 1 || string(old["plan"]) != `{"step":1}` {
		t.Fatalf("%+v", old)
	}
	if keys := must(s.Keys(bg, "ann", "s1", time.Time{})); len(keys) != 2 {
		t.Fatal(keys)
	}
	must(s.Put(bg, "ann", "s2", "x", true, 0))
	if sess := must(s.Sessions(bg, "ann")); len(sess) != 2 {
		t.Fatal(sess)
	}
	ok(t, s.SetSessionTTL(bg, "ann", "s2", time.Hour))
	must(s.Sweep(bg))
	if n := must(s.Purge(bg, "ann", "s2")); n != 1 {
		t.Fatal(n)
	}
	must(s.Stats(bg))
	// Bad input.
	_, err := s.Put(bg, "ann", "s1", "k", json.RawMessage(`{not json`), 0)
	if err == nil {
		t.Fatal("bad JSON accepted")
	}
	_, err = s.Put(bg, "", "s1", "k", 1, 0)
	expect(t, err, agentdb.ErrInvalidArgument, "")
	// Checkpoints.
	for i, id := range []string{"c1", "c2"} {
		ok(t, s.PutCheckpoint(bg, agentdb.Checkpoint{ThreadID: "th", Namespace: "", CheckpointID: id, ParentID: map[bool]string{true: "c1"}[i == 1],
			TypeTag: "json", Data: []byte(fmt.Sprintf(`{"n":%d}`, i)), Metadata: json.RawMessage(fmt.Sprintf(`{"step":%d}`, i))}))
	}
	latest := must(s.GetCheckpoint(bg, "th", "", ""))
	if latest == nil || latest.CheckpointID != "c2" || latest.ParentID != "c1" || string(latest.Data) != `{"n":1}` || latest.TypeTag != "json" {
		t.Fatalf("%+v", latest)
	}
	if cps := must(s.ListCheckpoints(bg, agentdb.CheckpointFilter{ThreadID: "th"})); len(cps) != 2 || cps[0].CheckpointID != "c2" {
		t.Fatalf("%+v", cps)
	}
	if cps := must(s.ListCheckpoints(bg, agentdb.CheckpointFilter{Metadata: json.RawMessage(`{"step":0}`)})); len(cps) != 1 || cps[0].CheckpointID != "c1" {
		t.Fatalf("%+v", cps)
	}
	ok(t, s.PutWrites(bg, "th", "", "c2", "task1", "", []agentdb.Write{{Idx: 0, Channel: "messages", TypeTag: "json", Value: []byte(`"hi"`)},
		{Idx: -1, Channel: "__error__", Value: nil}}))
	// idx >= 0 stored already: kept; idx < 0: replaced.
	ok(t, s.PutWrites(bg, "th", "", "c2", "task1", "", []agentdb.Write{{Idx: 0, Channel: "messages", Value: []byte("other")},
		{Idx: -1, Channel: "__error__", Value: []byte("boom")}}))
	pw := must(s.GetWrites(bg, "th", "", "c2"))
	if len(pw) != 2 {
		t.Fatalf("%+v", pw)
	}
	for _, w := range pw {
		if w.TaskID != "task1" || (w.Idx == 0 && string(w.Value) != `"hi"`) || (w.Idx == -1 && string(w.Value) != "boom") {
			t.Fatalf("%+v", pw)
		}
	}
	expect(t, s.PutWrites(bg, "th", "", "c2", "task\x00", "", nil), agentdb.ErrInvalidArgument, "")
	ok(t, s.DeleteThread(bg, "th"))
	if pw := must(s.GetWrites(bg, "th", "", "c2")); len(pw) != 0 {
		t.Fatalf("%+v", pw)
	}
	if cp := must(s.GetCheckpoint(bg, "th", "", "")); cp != nil {
		t.Fatalf("%+v", cp)
	}
	// Concurrent writers to one key: every version number handed out once.
	var wg sync.WaitGroup
	seen := make(chan uint64, 40)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				v, err := s.Put(bg, "ann", "race", "k", i, 0)
				if err != nil {
					t.Error(err)
					return
				}
				seen <- v
			}
		}()
	}
	wg.Wait()
	close(seen)
	got := map[uint64]bool{}
	for v := range seen {
		if got[v] {
			t.Fatalf("version %d twice", v)
		}
		got[v] = true
	}
	if len(got) != 40 {
		t.Fatal(len(got))
	}
	// Reopen: the state persisted; after Close, calls fail with ErrInvalidHandle.
	ok(t, db.Close())
	_, err = s.Get(bg, "ann", "s1", "plan")
	expect(t, err, agentdb.ErrInvalidHandle, "")
	db = must(agentdb.Open(bg, dir, nil))
	defer db.Close()
	if cur := must(db.State().Get(bg, "ann", "s1", "plan")); cur == nil || cur.Version != 2 {
		t.Fatalf("%+v", cur)
	}
}
