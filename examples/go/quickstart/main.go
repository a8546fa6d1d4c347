// Quickstart: a collection, agent memory, agent state and a RAG store, in one binary.
//
//	go run ./quickstart /tmp/quickstart-db
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"

	agentdb "github.com/agentdb/agentdb/go"
)

func main() {
	ctx := context.Background()
	dir := "quickstart-db"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	db, err := agentdb.Open(ctx, dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// Vectors with documents and metadata; search with a filter.
	docs, err := db.OpenOrCreateCollection(ctx, "docs", 3, agentdb.Cosine)
	if err != nil {
		log.Fatal(err)
	}
	defer docs.Close()
	err = docs.Upsert(ctx, []agentdb.Record{
		{ID: "apple", Vector: []float32{0.9, 0.1, 0}, Document: "a fruit", Metadata: map[string]any{"kind": "fruit"}},
		{ID: "carrot", Vector: []float32{0.7, 0.3, 0.1}, Document: "a root", Metadata: map[string]any{"kind": "vegetable"}},
		{ID: "car", Vector: []float32{0, 0.1, 0.9}, Document: "a vehicle", Metadata: map[string]any{"kind": "machine"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	hits, err := docs.Search(ctx, []float32{1, 0.1, 0}, 2, &agentdb.SearchOptions{Filter: agentdb.SQL("kind != 'machine'")})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hits {
		fmt.Printf("hit %s %.3f %s\n", h.ID, h.Distance, h.Document)
	}

	// Errors carry the engine's kind.
	if _, err := db.OpenCollection(ctx, "missing"); errors.Is(err, agentdb.ErrNotFound) {
		fmt.Println("missing collection: ErrNotFound")
	}

	// Agent memory: remember, then recall by similarity, recency and importance.
	mem, err := db.OpenOrCreateMemory(ctx, "memories", 3, agentdb.Cosine)
	if err != nil {
		log.Fatal(err)
	}
	defer mem.Close()
	if _, err := mem.Remember(ctx, agentdb.MemoryBatch{AgentID: "ann", Kind: agentdb.Semantic}, []agentdb.NewMemory{
		{ID: "tea", Text: "Ann likes green tea", Vector: []float32{1, 0, 0}},
	}); err != nil && !errors.Is(err, agentdb.ErrDuplicateID) {
		log.Fatal(err)
	}
	recalled, err := mem.Recall(ctx, []float32{0.9, 0.1, 0}, 1, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("recalled", recalled[0].Text)

	// Agent state: versioned JSON values.
	st := db.State()
	if _, err := st.Put(ctx, "ann", "s1", "plan", map[string]any{"step": 2}, 0); err != nil {
		log.Fatal(err)
	}
	plan, err := st.Get(ctx, "ann", "s1", "plan")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("plan", string(plan.Value))

	// RAG: the embedder is a Go function (here a toy one: letter counts).
	kb, err := db.OpenOrCreateRag(ctx, "kb", 26, agentdb.Cosine)
	if err != nil {
		log.Fatal(err)
	}
	defer kb.Close()
	if _, err := kb.Ingest(ctx, []agentdb.Document{
		{ID: "reset", Text: "To reset your password, open settings and choose reset."},
		{ID: "ship", Text: "Orders ship within two days."},
	}, nil, letters); err != nil {
		log.Fatal(err)
	}
	query := "how do I reset my password"
	vec, _ := letters(ctx, []string{query})
	found, err := kb.Search(ctx, agentdb.RagQuery{Text: query, Vector: vec[0]}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rag", found[0].DocID)
}

// letters embeds each text as its letter counts (a stand-in for a real model).
func letters(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, 26)
		for _, r := range strings.ToLower(t) {
			if r >= 'a' && r <= 'z' {
				v[r-'a']++
			}
		}
		v[0] += 0.01 // never all zeros (a cosine store refuses those)
		out[i] = v
	}
	return out, nil
}
