package agentdb_test

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	agentdb "github.com/agentdb/agentdb/go"
)

// TestObjectStore runs against the S3 server `make test-go` starts (tests/object_store_server.py
// run, which sets AGENTDB_TEST_S3_ENDPOINT and AGENTDB_TEST_S3_BUCKET): a write flushed to the
// store and read back read-only after Refresh, and the writer lease keeping a second writer (from
// another local directory, i.e. another machine) out.
func TestObjectStore(t *testing.T) {
	endpoint, bucket := os.Getenv("AGENTDB_TEST_S3_ENDPOINT"), os.Getenv("AGENTDB_TEST_S3_BUCKET")
	if endpoint == "" || bucket == "" {
		t.Fatal("no S3 server: run under tests/object_store_server.py run (make test-go does)")
	}
	store := map[string]string{"endpoint": endpoint, "region": "us-east-1", "access_key_id": "testing", "secret_access_key": "testing", "allow_http": "true"}
	uri := fmt.Sprintf("s3://%s/go-%d", bucket, time.Now().UnixNano())
	dir := t.TempDir()
	db := must(agentdb.Open(bg, uri, &agentdb.OpenOptions{StorageOptions: store, WalDir: dir + "/a"}))
	defer db.Close()
	c := must(db.CreateCollection(bg, "c", 2, agentdb.L2))
	ok(t, c.Add(bg, []agentdb.Record{{ID: "a", Vector: []float32{1, 0}}, {ID: "b", Vector: []float32{0, 1}}}))
	ok(t, db.Flush(bg))

	_, err := agentdb.Open(bg, uri, &agentdb.OpenOptions{StorageOptions: store, WalDir: dir + "/b"})
	if !errors.Is(err, agentdb.ErrDatabaseLocked) {
		t.Fatalf("a second writer: got %v, want ErrDatabaseLocked", err)
	}
	_, err = agentdb.Open(bg, uri, &agentdb.OpenOptions{StorageOptions: store, LeaseTTL: -time.Second})
	if !errors.Is(err, agentdb.ErrInvalidArgument) {
		t.Fatalf("a negative lease: got %v, want ErrInvalidArgument", err)
	}

	ro := must(agentdb.Open(bg, uri, &agentdb.OpenOptions{ReadOnly: true, StorageOptions: store, ReadConsistencyInterval: time.Minute}))
	defer ro.Close()
	rc := must(ro.OpenCollection(bg, "c"))
	if n := must(rc.Count(bg, agentdb.Filter{})); n != 2 {
		t.Fatalf("reader count %d, want 2", n)
	}
	ok(t, c.Add(bg, []agentdb.Record{{ID: "c", Vector: []float32{1, 1}}}))
	ok(t, db.Flush(bg))
	ok(t, ro.Refresh(bg))
	if n := must(rc.Count(bg, agentdb.Filter{})); n != 3 {
		t.Fatalf("reader count after Refresh %d, want 3", n)
	}
}
