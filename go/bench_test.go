package agentdb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	agentdb "github.com/agentdb/agentdb/go"
	"github.com/agentdb/agentdb/go/internal/cbench"
)

// The benchmark's collection: benchN random benchDim-d vectors (a fixed seed), each with a
// document and a little metadata; searches are k=10, exact (no index), one query per call.
const (
	benchN   = 4096
	benchDim = 64
	benchK   = 10
)

func randVecs(r *rand.Rand, n, dim int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		v := make([]float32, dim)
		for j := range v {
			v[j] = r.Float32()*2 - 1
		}
		out[i] = v
	}
	return out
}

func benchCollection(b *testing.B) (string, *agentdb.DB, *agentdb.Collection, [][]float32) {
	dir := b.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	db := must(agentdb.Open(bg, dir, nil))
	c := must(db.CreateCollection(bg, "bench", benchDim, agentdb.Cosine))
	vecs := randVecs(r, benchN, benchDim)
	recs := make([]agentdb.Record, benchN)
	for i, v := range vecs {
		recs[i] = agentdb.Record{ID: fmt.Sprintf("r%05d", i), Vector: v, Document: fmt.Sprintf("document %d", i),
			Metadata: map[string]any{"bucket": i % 100, "tag": "t"}}
	}
	ok(b, c.Add(bg, recs))
	ok(b, db.Flush(bg))
	b.Cleanup(func() { c.Close(); db.Close() })
	return dir, db, c, randVecs(r, 256, benchDim)
}

func flat(qs [][]float32) []float32 {
	var out []float32
	for _, q := range qs {
		out = append(out, q...)
	}
	return out
}

// BenchmarkSearch: one Search per op through the Go layer, and the same calls in a C loop
// (cbench) on the same store; the difference per call is the Go layer's overhead.
func BenchmarkSearch(b *testing.B) {
	_, _, c, queries := benchCollection(b)
	for _, mode := range []struct {
		name string
		opts *agentdb.SearchOptions
	}{{"default", &agentdb.SearchOptions{}}, {"omit_metadata", &agentdb.SearchOptions{OmitMetadata: true}},
		{"ids_only", &agentdb.SearchOptions{IDsOnly: true}}} {
		b.Run("go/"+mode.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				hits, err := c.Search(bg, queries[i%len(queries)], benchK, mode.opts)
				if err != nil || len(hits) != benchK {
					b.Fatal(err, len(hits))
				}
				i++
			}
		})
		b.Run("c/"+mode.name, func(b *testing.B) {
			d, err := cbench.SearchLoop(agentdb.RawCollection(c), flat(queries), benchDim, benchK, mode.opts.IDsOnly, mode.opts.OmitMetadata, b.N)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "ns/op")
		})
	}
	b.Run("go/parallel", func(b *testing.B) {
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				if _, err := c.Search(bg, queries[int(i)%len(queries)], benchK, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkCall: the fixed cost of one call, Collection.Dim (a cgo call, the thread pin, the
// status check) against agentdb_collection_dim in a C loop.
func BenchmarkCall(b *testing.B) {
	_, _, c, _ := benchCollection(b)
	b.Run("go/dim", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Dim(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("c/dim", func(b *testing.B) {
		d, err := cbench.DimLoop(agentdb.RawCollection(c), b.N)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "ns/op")
	})
}

// BenchmarkSearchBatch: 256 queries per op, one hit list each.
func BenchmarkSearchBatch(b *testing.B) {
	_, _, c, queries := benchCollection(b)
	for b.Loop() {
		res, err := c.SearchBatch(bg, queries, benchK, nil)
		if err != nil || len(res) != len(queries) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(queries)), "ns/query")
}

// BenchmarkCancelWatch: what in-call cancellation costs a long call (cancel.go: a C token
// attached to the thread and a goroutine waiting on ctx.Done()), measured on a one-query
// SearchBatch with IDsOnly: with context.Background (no watch: Done is nil) and with a
// cancellable context (the watch); the difference is the watch's cost per call.
func BenchmarkCancelWatch(b *testing.B) {
	_, _, c, queries := benchCollection(b)
	one := queries[:1]
	opts := &agentdb.SearchOptions{IDsOnly: true}
	cancellable, cancel := context.WithCancel(bg)
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{{"background", bg}, {"cancellable", cancellable}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.SearchBatch(tc.ctx, one, benchK, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWrite: durable upserts (sync always: each returns once its WAL record is on disk),
// one record per call and 1,000 per call.
func BenchmarkWrite(b *testing.B) {
	for _, batch := range []int{1, 1000} {
		b.Run(fmt.Sprintf("upsert/batch=%d", batch), func(b *testing.B) {
			db := must(agentdb.Open(bg, b.TempDir(), nil))
			defer db.Close()
			c := must(db.CreateCollection(bg, "w", benchDim, agentdb.Cosine))
			defer c.Close()
			r := rand.New(rand.NewPCG(3, 4))
			recs := make([]agentdb.Record, batch)
			for i, v := range randVecs(r, batch, benchDim) {
				recs[i] = agentdb.Record{Vector: v, Document: "doc", Metadata: map[string]any{"i": i}}
			}
			n := 0
			for b.Loop() {
				for i := range recs {
					recs[i].ID = fmt.Sprintf("w%d", n%5000)
					n++
				}
				if err := c.Upsert(bg, recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
