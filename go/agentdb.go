// Package agentdb is AgentDB for Go: a thin layer over the C ABI (include/agentdb.h) linked
// statically from libagentdb.a, so a Go program builds into one binary.
//
// It translates and decides nothing: every behaviour (validation, defaults, scoring) is the
// engine's. Status codes become *Error values (errors.Is(err, agentdb.ErrNotFound),
// errors.As(err, &e)); results are copied into Go values and the C lists freed before a method
// returns, so the only objects to Close are the handles: DB, Collection, Memory and Rag.
//
// Coverage, as the Zig API's: databases (open, flush, optimize, stats, health, metrics, backup,
// restore, verify, export and import of stores, the log callback), collections (add, upsert,
// get, delete, count, search, batch search, SQL and JSON filters, HNSW and IVF_PQ indexes),
// memory (remember, recall, get, count, forget, update, consolidate, background consolidation),
// agent state (put, get at a version or a time, history, snapshot, keys, sessions, TTLs,
// checkpoints and pending writes) and RAG (ingest with a Go embedder, search, context).
//
//	db, err := agentdb.Open(ctx, "/tmp/my-db", nil)
//	docs, err := db.OpenOrCreateCollection(ctx, "docs", 3, agentdb.Cosine)
//	err = docs.Add(ctx, []agentdb.Record{{ID: "a", Vector: []float32{1, 0, 0}}})
//	hits, err := docs.Search(ctx, []float32{1, 0.1, 0}, 5, &agentdb.SearchOptions{Filter: agentdb.SQL("lang = 'en'")})
//
// # Building
//
// The cgo directives below look for include/agentdb.h next to this module and link
// -l:libagentdb.a; tell the linker where that file is with CGO_LDFLAGS, e.g.
//
//	CGO_LDFLAGS=-L$CARGO_TARGET_DIR/release go build ./...
//
// (`make test-go` does this). After `make install PREFIX=/usr/local` the library is on the
// default search path and no variable is needed; a header elsewhere is given with
// CGO_CFLAGS=-I/path/to/include.
//
// # Goroutines
//
// As the C ABI promises, every method may run concurrently with every other, on the same or
// different handles: writes to one store are serialised by the engine, reads run beside them and
// see each write whole. Close a handle only once no goroutine uses it any more (a call already
// running finishes safely; calls after Close return ErrInvalidHandle).
//
// # Cancellation
//
// Every method that may block takes a context first. The context is checked before the call
// starts. The C ABI has no cancellation hook, so a running engine call (an index build, a
// search) is not interrupted; where the work comes in pieces this layer checks between them:
// SearchBatch runs its queries in chunks of SearchBatchChunk and checks between chunks, and
// Rag.Ingest hands ctx to the embedder and aborts (nothing written) when the embedder returns an
// error or ctx is done by the time it returns.
package agentdb

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#cgo LDFLAGS: -l:libagentdb.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
#include <stdlib.h>
#include "agentdb.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Version is the library's version (agentdb_version).
func Version() string { return C.GoString(C.agentdb_version()) }

// Limits of one call, from include/agentdb.h.
const (
	MaxBatch   = C.AGENTDB_MAX_BATCH
	MaxK       = C.AGENTDB_MAX_K
	MaxDim     = C.AGENTDB_MAX_DIM
	MaxIDLen   = C.AGENTDB_MAX_ID_LEN
	MaxJSONLen = C.AGENTDB_MAX_JSON_LEN
)

// Metric is how a store compares vectors; distances are "smaller is closer".
type Metric int32

const (
	Cosine Metric = C.AGENTDB_METRIC_COSINE
	L2     Metric = C.AGENTDB_METRIC_L2
	Dot    Metric = C.AGENTDB_METRIC_DOT
)

// Sync is when a write counts as durable (see agentdb_open_options in the header).
type Sync int32

const (
	SyncAlways Sync = C.AGENTDB_SYNC_ALWAYS
	SyncBatch  Sync = C.AGENTDB_SYNC_BATCH
	SyncOff    Sync = C.AGENTDB_SYNC_OFF
)

// OpenOptions of Open; nil takes the engine's defaults (agentdb_open_options_default).
//
// The object-store fields apply when path is a URI (s3://bucket/prefix; see agentdb_db_open_uri):
// StorageOptions are the store's client settings (endpoint, region, access_key_id,
// secret_access_key, allow_http, ...), WalDir the writer's local log directory ("" : under the
// cache root), LeaseTTL the writer lease's time to live (0: 30 s), ReadConsistencyInterval a
// reader's most lag behind the writer (0: 1 s), ReadLatest a reader that looks at every read.
type OpenOptions struct {
	Sync     Sync
	ReadOnly bool

	StorageOptions          map[string]string
	WalDir                  string
	LeaseTTL                time.Duration
	ReadConsistencyInterval time.Duration
	ReadLatest              bool
}

// millis is a duration in whole milliseconds for the C options (0 stays the default).
func millis(d time.Duration, what string) (C.uint32_t, error) {
	if d < 0 || d.Milliseconds() > math.MaxUint32 {
		return 0, argError(CodeInvalidArgument, "%s must be between 0 and %d ms, got %v", what, uint32(math.MaxUint32), d)
	}
	return C.uint32_t(d.Milliseconds()), nil
}

// openURI is Open through agentdb_db_open_uri (a directory or an object-store URI).
func openURI(cpath *C.char, opts *OpenOptions, p **C.agentdb_db) error {
	o := C.agentdb_open_options_default()
	o.sync = C.agentdb_sync(opts.Sync)
	o.read_only = cbool(opts.ReadOnly)
	s := C.agentdb_object_store_options_default()
	keys := make([]string, 0, len(opts.StorageOptions))
	values := make([]string, 0, len(opts.StorageOptions))
	for k, v := range opts.StorageOptions {
		keys = append(keys, k)
		values = append(values, v)
	}
	ck, kp, err := newCStrings(keys, "StorageOptions key", false)
	if err != nil {
		return err
	}
	defer ck.free()
	cv, vp, err := newCStrings(values, "StorageOptions value", false)
	if err != nil {
		return err
	}
	defer cv.free()
	s.keys, s.values, s.count = kp, vp, C.size_t(len(keys))
	wal, err := optCstr(opts.WalDir, "WalDir")
	if err != nil {
		return err
	}
	defer free(wal)
	s.wal_dir = wal
	if s.lease_ttl_ms, err = millis(opts.LeaseTTL, "LeaseTTL"); err != nil {
		return err
	}
	if s.read_consistency_interval_ms, err = millis(opts.ReadConsistencyInterval, "ReadConsistencyInterval"); err != nil {
		return err
	}
	s.read_latest = cbool(opts.ReadLatest)
	return status(C.agentdb_db_open_uri(cpath, &o, &s, p))
}

// pin locks the goroutine to its OS thread for one method: agentdb_errmsg is per thread, so the
// call and the reading of its message must happen on the same one. Use: defer pin()().
func pin() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}

// ready is the check before a call starts.
func ready(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	return ctx.Err()
}

// cstr copies s into C memory (free with C.free). A NUL byte inside s would silently cut the
// string in C, so it is refused.
func cstr(s string, what string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, argError(CodeInvalidArgument, "%s contains a NUL byte", what)
	}
	return C.CString(s), nil
}

// optCstr is cstr with "" meaning NULL (the C "none").
func optCstr(s string, what string) (*C.char, error) {
	if s == "" {
		return nil, nil
	}
	return cstr(s, what)
}

func free(p *C.char) {
	if p != nil {
		C.free(unsafe.Pointer(p))
	}
}

// cstrings is an array of C strings in one C allocation (pointers, then the bytes), freed by
// free(). Empty entries are NULL when nullEmpty (the C "none" for optional entries).
type cstrings struct{ base unsafe.Pointer }

func newCStrings(ss []string, what string, nullEmpty bool) (cstrings, **C.char, error) {
	if len(ss) == 0 {
		return cstrings{}, nil, nil
	}
	size := 0
	for i, s := range ss {
		if strings.IndexByte(s, 0) >= 0 {
			return cstrings{}, nil, argError(CodeInvalidArgument, "%s[%d] contains a NUL byte", what, i)
		}
		size += len(s) + 1
	}
	ptrBytes := len(ss) * int(unsafe.Sizeof((*C.char)(nil)))
	base := C.malloc(C.size_t(ptrBytes + size))
	ptrs := unsafe.Slice((**C.char)(base), len(ss))
	data := unsafe.Slice((*byte)(unsafe.Add(base, ptrBytes)), size)
	off := 0
	for i, s := range ss {
		if nullEmpty && s == "" {
			ptrs[i] = nil
			continue
		}
		copy(data[off:], s)
		data[off+len(s)] = 0
		ptrs[i] = (*C.char)(unsafe.Pointer(&data[off]))
		off += len(s) + 1
	}
	return cstrings{base}, (**C.char)(base), nil
}

func (c cstrings) free() {
	if c.base != nil {
		C.free(c.base)
	}
}

// goString copies a (pointer, length) string handed out by the library.
func goString(p *C.char, n C.size_t) string {
	if p == nil {
		return ""
	}
	return C.GoStringN(p, C.int(n))
}

// Filter restricts records by metadata and fields, given as SQL text or as a JSON dict; the
// engine parses both (values of a JSON filter are quoted by the engine, never pasted into SQL).
// The zero Filter is "no filter".
type Filter struct {
	kind uint8 // 0 none, 1 SQL, 2 JSON
	text string
	err  error
}

// SQL is a filter as SQL text, e.g. "lang = 'en' AND year >= 2020".
func SQL(expr string) Filter { return Filter{kind: 1, text: expr} }

// JSON is a filter as JSON dict text, e.g. `{"year": {"$gte": 2020}}`.
func JSON(dict string) Filter { return Filter{kind: 2, text: dict} }

// Where is a JSON dict filter from a Go map, e.g. Where(map[string]any{"lang": "en"}).
func Where(dict map[string]any) Filter {
	b, err := json.Marshal(dict)
	if err != nil {
		return Filter{kind: 2, err: argError(CodeInvalidFilter, "filter: %v", err)}
	}
	return Filter{kind: 2, text: string(b)}
}

// cFilter gives the (filter_sql, filter_json) pair of a C call; free both with free.
func (f Filter) cFilter() (sql, js *C.char, err error) {
	if f.err != nil {
		return nil, nil, f.err
	}
	switch f.kind {
	case 1:
		sql, err = cstr(f.text, "filter")
	case 2:
		js, err = cstr(f.text, "filter")
	}
	return sql, js, err
}

// vecPtr is the C view of a Go float slice (read in place during the call; a []float32 holds no
// Go pointers, so cgo's rules allow it).
func vecPtr(v []float32) *C.float {
	if len(v) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&v[0]))
}

// flatten lays vectors out row-major, checking they share one dimension.
func flatten(vs [][]float32, what string) ([]float32, int, error) {
	if len(vs) == 0 {
		return nil, 0, nil
	}
	dim := len(vs[0])
	flat := make([]float32, 0, len(vs)*dim)
	for i, v := range vs {
		if len(v) != dim {
			return nil, 0, argError(CodeDimensionMismatch, "%s[%d] has %d values, %s[0] has %d", what, i, len(v), what, dim)
		}
		flat = append(flat, v...)
	}
	return flat, dim, nil
}

// metadataArray is the JSON array of n objects or nulls the write calls take; nil when no entry
// has metadata.
func metadataArray(n int, get func(i int) map[string]any) (*C.char, error) {
	has := false
	for i := 0; i < n; i++ {
		if get(i) != nil {
			has = true
			break
		}
	}
	if !has {
		return nil, nil
	}
	arr := make([]map[string]any, n)
	for i := range arr {
		arr[i] = get(i)
	}
	b, err := json.Marshal(arr)
	if err != nil {
		return nil, argError(CodeInvalidMetadata, "metadata: %v", err)
	}
	return cstr(string(b), "metadata")
}

// metadataMap decodes the JSON object the library hands out ("{}" when none: nil).
func metadataMap(p *C.char, n C.size_t) (map[string]any, error) {
	if p == nil || n == 0 || (n == 2 && C.GoStringN(p, 2) == "{}") {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)), &m); err != nil {
		return nil, argError(CodeInternal, "metadata from the library is not a JSON object: %v", err)
	}
	return m, nil
}

func cbool(b bool) C.bool { return C.bool(b) }

// handle is what every Go handle holds: the C handle and the leak net that closes it if the Go
// value is collected unclosed.
type handle[P any] struct {
	p       P
	once    sync.Once
	cleanup runtime.Cleanup
}

func (h *handle[P]) close(closeFn func(P) C.enum_agentdb_status) error {
	var err error
	h.once.Do(func() {
		h.cleanup.Stop()
		defer pin()()
		err = status(closeFn(h.p))
	})
	return err
}

// DB is an open database. Its methods may run from many goroutines at once.
type DB struct {
	h handle[*C.agentdb_db]
}

// Open opens (creating if needed) the database in directory path; opts nil: the defaults.
func Open(ctx context.Context, path string, opts *OpenOptions) (*DB, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	cpath, err := cstr(path, "path")
	if err != nil {
		return nil, err
	}
	defer free(cpath)
	defer pin()()
	var p *C.agentdb_db
	if opts == nil {
		err = status(C.agentdb_db_open(cpath, &p))
	} else if strings.Contains(path, "://") || opts.StorageOptions != nil || opts.WalDir != "" {
		err = openURI(cpath, opts, &p)
	} else {
		o := C.agentdb_open_options_default()
		o.sync = C.agentdb_sync(opts.Sync)
		o.read_only = cbool(opts.ReadOnly)
		err = status(C.agentdb_db_open_with(cpath, &o, &p))
	}
	if err != nil {
		return nil, err
	}
	db := &DB{}
	db.h.p = p
	db.h.cleanup = runtime.AddCleanup(db, func(p *C.agentdb_db) { C.agentdb_db_close(p) }, p)
	return db, nil
}

// Close flushes and closes the database (agentdb_db_close); calls after it fail. Closing twice
// is a no-op. Handles opened from it fail with ErrClosed or ErrInvalidHandle afterwards.
func (db *DB) Close() error {
	return db.h.close(func(p *C.agentdb_db) C.enum_agentdb_status { return C.agentdb_db_close(p) })
}

// Flush makes every write so far durable (agentdb_db_flush).
func (db *DB) Flush(ctx context.Context) error {
	if err := ready(ctx); err != nil {
		return err
	}
	defer pin()()
	return status(C.agentdb_db_flush(db.h.p))
}

// Refresh brings a read-only database to the writer's latest commit now (agentdb_db_refresh).
func (db *DB) Refresh(ctx context.Context) error {
	if err := ready(ctx); err != nil {
		return err
	}
	defer pin()()
	return status(C.agentdb_db_refresh(db.h.p))
}

// Optimize compacts every store (agentdb_db_optimize).
func (db *DB) Optimize(ctx context.Context) error {
	if err := ready(ctx); err != nil {
		return err
	}
	defer pin()()
	done := watch(ctx)
	return done(status(C.agentdb_db_optimize(db.h.p)))
}

// takeStrings copies and frees an agentdb_strings list.
func takeStrings(s *C.agentdb_strings) ([]string, error) {
	defer C.agentdb_strings_free(s)
	var n C.size_t
	if err := status(C.agentdb_strings_count(s, &n)); err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		var p *C.char
		var l C.size_t
		if err := status(C.agentdb_strings_get(s, C.size_t(i), &p, &l)); err != nil {
			return nil, err
		}
		out[i] = goString(p, l)
	}
	return out, nil
}

// takeReport copies and frees a text report.
func takeReport(st C.enum_agentdb_status, r *C.agentdb_report) (string, error) {
	if err := status(st); err != nil {
		return "", err
	}
	defer C.agentdb_report_free(r)
	var p *C.char
	var n C.size_t
	if err := status(C.agentdb_report_get_text(r, &p, &n)); err != nil {
		return "", err
	}
	return goString(p, n), nil
}

// Stats is the database's statistics as JSON text (agentdb_db_stats).
func (db *DB) Stats(ctx context.Context) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	defer pin()()
	var r *C.agentdb_report
	return takeReport(C.agentdb_db_stats(db.h.p, &r), r)
}

// Health is the database's health report as JSON text (agentdb_db_health).
func (db *DB) Health(ctx context.Context) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	defer pin()()
	var r *C.agentdb_report
	return takeReport(C.agentdb_db_health(db.h.p, &r), r)
}

// MetricsText is the database's metrics in Prometheus text format (agentdb_db_metrics_text).
func (db *DB) MetricsText(ctx context.Context) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	defer pin()()
	var r *C.agentdb_report
	return takeReport(C.agentdb_db_metrics_text(db.h.p, &r), r)
}

// jsonText marshals v into a C string.
func jsonText(v any, what string) (*C.char, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, argError(CodeInvalidArgument, "%s: %v", what, err)
	}
	return cstr(string(b), what)
}
