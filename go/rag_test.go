package agentdb_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode"

	agentdb "github.com/agentdb/agentdb/go"
)

const ragDim = 64

// embedText is the C suite's bag-of-words hashing embedder (tests/c/test_rag.c), so no model
// is needed: words hashed into ragDim signed buckets, L2-normalised.
func embedText(text string) []float32 {
	v := make([]float32, ragDim)
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		h := fnv.New32a()
		h.Write([]byte(strings.ToLower(w)))
		s := h.Sum32()
		if s&0x80000000 != 0 {
			v[s%ragDim]--
		} else {
			v[s%ragDim]++
		}
	}
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		v[0] = 1
		return v
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(norm))
	}
	return v
}

type counter struct{ calls atomic.Int32 }

func (c *counter) embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.calls.Add(1)
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = embedText(t)
	}
	return out, nil
}

var ragDocs = []agentdb.Document{
	{ID: "faq", Text: "# Accounts\n\nTo reset a forgotten password, open the login page and choose reset.", Format: agentdb.Markdown, Metadata: map[string]any{"lang": "en"}},
	{ID: "ship", Text: "Orders ship within two days. Tracking numbers arrive by email.", Source: "shipping.txt", Metadata: map[string]any{"lang": "en"}},
	{ID: "fr", Text: "Pour changer le mot de passe, ouvrez la page de connexion.", Metadata: map[string]any{"lang": "fr"}},
}

func TestRag(t *testing.T) {
	db := must(agentdb.Open(bg, t.TempDir(), nil))
	defer db.Close()
	_, err := db.OpenRag(bg, "kb")
	expect(t, err, agentdb.ErrNotFound, "")
	r := must(db.OpenOrCreateRag(bg, "kb", ragDim, agentdb.Cosine))
	defer r.Close()
	if d, m := must2(r.Dim()); d != ragDim || m != agentdb.Cosine {
		t.Fatal(d, m)
	}
	var c counter
	opts := agentdb.DefaultIngestOptions()
	if opts.ChunkSize <= 0 {
		t.Fatalf("defaults %+v", opts)
	}
	st := must(r.Ingest(bg, ragDocs, nil, c.embed))
	if st.Added != 3 || st.Chunks < 3 || c.calls.Load() != 1 {
		t.Fatalf("%+v calls %d", st, c.calls.Load())
	}
	// Unchanged documents are skipped (not embedded); force re-embeds.
	if st := must(r.Ingest(bg, ragDocs, nil, c.embed)); st.Unchanged != 3 || c.calls.Load() != 1 {
		t.Fatalf("%+v", st)
	}
	opts.Force = true
	if st := must(r.Ingest(bg, ragDocs[:1], &opts, c.embed)); st.Replaced != 1 || c.calls.Load() != 2 {
		t.Fatalf("%+v", st)
	}
	q := agentdb.RagQuery{Text: "reset forgotten password", Vector: embedText("reset forgotten password")}
	hits := must(r.Search(bg, q, nil))
	if len(hits) == 0 || hits[0].DocID != "faq" || hits[0].VectorRank != 1 || hits[0].TextRank != 1 || hits[0].Heading != "Accounts" {
		t.Fatalf("%+v", hits)
	}
	so := agentdb.DefaultRagSearchOptions()
	so.Mode, so.Filter = agentdb.TextOnly, agentdb.SQL("lang = 'fr'")
	hits = must(r.Search(bg, agentdb.RagQuery{Text: "page connexion"}, &so))
	if len(hits) != 1 || hits[0].DocID != "fr" || hits[0].VectorRank != 0 || !math.IsNaN(float64(hits[0].Distance)) {
		t.Fatalf("%+v", hits)
	}
	ctxo := agentdb.DefaultRagContextOptions()
	pack := must(r.Context(bg, q, 200, &ctxo))
	if !strings.Contains(pack.Text, "[1]") || !strings.Contains(pack.Text, "password") || len(pack.Citations) == 0 ||
		pack.Citations[0].Number != 1 || pack.Tokens == 0 || pack.Tokens > 200 {
		t.Fatalf("%+v", pack)
	}
	// Bad input and a failing embedder: typed errors, nothing written.
	_, err = r.Search(bg, agentdb.RagQuery{Text: "x", Vector: []float32{1}}, nil)
	expect(t, err, agentdb.ErrDimensionMismatch, "")
	bad := func(ctx context.Context, texts []string) ([][]float32, error) { return [][]float32{{1}}, nil }
	_, err = r.Ingest(bg, []agentdb.Document{{ID: "new", Text: "some new text"}}, nil, bad)
	if !errors.Is(err, agentdb.ErrInvalidArgument) && !errors.Is(err, agentdb.ErrDimensionMismatch) {
		t.Fatal(err)
	}
	boom := errors.New("model unavailable")
	_, err = r.Ingest(bg, []agentdb.Document{{ID: "new", Text: "some new text"}}, nil,
		func(context.Context, []string) ([][]float32, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	_, err = r.Ingest(bg, []agentdb.Document{{ID: "new", Text: "some new text"}}, nil,
		func(context.Context, []string) ([][]float32, error) { panic("embedder bug") })
	if err == nil || !strings.Contains(err.Error(), "embedder bug") {
		t.Fatal(err)
	}
	_, err = r.Ingest(bg, []agentdb.Document{{ID: "", Text: "x"}}, nil, c.embed)
	expect(t, err, agentdb.ErrInvalidArgument, "")
	// Cancellation during the ingest: the embedder sees ctx done, the ingest stops, nothing written.
	ctx, cancel := context.WithCancel(bg)
	_, err = r.Ingest(ctx, []agentdb.Document{{ID: "new", Text: "some new text"}}, nil,
		func(ctx context.Context, texts []string) ([][]float32, error) {
			cancel()
			<-ctx.Done()
			return nil, ctx.Err()
		})
	if !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	// An embedder that ignores ctx: the ingest still stops when it returns.
	ctx, cancel = context.WithCancel(bg)
	_, err = r.Ingest(ctx, []agentdb.Document{{ID: "new", Text: "some new text"}}, nil,
		func(_ context.Context, texts []string) ([][]float32, error) { cancel(); return c.embed(bg, texts) })
	if !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if hits := must(r.Search(bg, agentdb.RagQuery{Text: "some new text"}, &agentdb.RagOptions{Mode: agentdb.TextOnly, K: 10})); len(hits) != 0 && hits[0].DocID == "new" {
		t.Fatalf("a failed ingest wrote: %+v", hits)
	}
	if n := must(r.Delete(bg, []string{"ship", "none"})); n != 1 {
		t.Fatal(n)
	}
	must(r.Stats(bg))
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// TestRagConcurrent: ingests and searches from many goroutines at once on one store, each with
// its own embedder call (the cgo callback runs on the goroutine that called Ingest).
func TestRagConcurrent(t *testing.T) {
	db := must(agentdb.Open(bg, t.TempDir(), nil))
	defer db.Close()
	r := must(db.OpenOrCreateRag(bg, "kb", ragDim, agentdb.Cosine))
	defer r.Close()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var c counter
			for i := 0; i < 5; i++ {
				id := fmt.Sprintf("doc-%d-%d", g, i)
				if _, err := r.Ingest(bg, []agentdb.Document{{ID: id, Text: fmt.Sprintf("goroutine %d writes note %d about topic%d", g, i, g)}}, nil, c.embed); err != nil {
					t.Error(err)
					return
				}
				hits, err := r.Search(bg, agentdb.RagQuery{Text: fmt.Sprintf("topic%d", g)}, &agentdb.RagOptions{Mode: agentdb.TextOnly, K: 10})
				if err != nil || len(hits) == 0 || !strings.HasPrefix(hits[0].DocID, fmt.Sprintf("doc-%d-", g)) {
					t.Errorf("goroutine %d: %v %+v", g, err, hits)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	hits := must(r.Search(bg, agentdb.RagQuery{Text: "goroutine writes note"}, &agentdb.RagOptions{Mode: agentdb.TextOnly, K: 100}))
	if len(hits) != 20 {
		t.Fatal(len(hits))
	}
}
