package agentdb_test

import (
	"math"
	"testing"

	agentdb "github.com/agentdb/agentdb/go"
)

func TestTextAndHybridSearch(t *testing.T) {
	db := must(agentdb.Open(bg, t.TempDir(), nil))
	defer db.Close()
	c := must(db.CreateCollection(bg, "kb", 2, agentdb.L2))
	defer c.Close()
	ok(t, c.Add(bg, []agentdb.Record{
		{ID: "pw", Vector: []float32{1, 0}, Document: "how to reset your password", Metadata: map[string]any{"lang": "en"}},
		{ID: "bill", Vector: []float32{0, 1}, Document: "billing and invoices", Metadata: map[string]any{"lang": "en"}},
		{ID: "pw-de", Vector: []float32{0.9, 0.1}, Document: "password zurücksetzen", Metadata: map[string]any{"lang": "de"}},
		{ID: "none", Vector: []float32{1, 0.05}},
	}))
	hits := must(c.TextSearch(bg, "reset password", 5, agentdb.Filter{}))
	if len(hits) != 2 || hits[0].ID != "pw" || hits[0].TextRank != 1 || hits[0].VectorRank != 0 || !(hits[0].Score > hits[1].Score) ||
		!math.IsNaN(float64(hits[0].Distance)) || hits[0].Document != "how to reset your password" || hits[0].Metadata["lang"] != "en" {
		t.Fatalf("%+v", hits)
	}
	if h := must(c.TextSearch(bg, "password", 5, agentdb.Where(map[string]any{"lang": "de"}))); len(h) != 1 || h[0].ID != "pw-de" {
		t.Fatalf("%+v", h)
	}
	_, err := c.TextSearch(bg, "", 5, agentdb.Filter{})
	expect(t, err, agentdb.ErrInvalidArgument, "")

	hy := must(c.HybridSearch(bg, []float32{1, 0}, "password", 3, nil))
	if len(hy) != 3 || hy[0].ID != "pw" || hy[0].VectorRank == 0 || hy[0].TextRank == 0 {
		t.Fatalf("%+v", hy)
	}
	// "none" has no document: found by its vector only.
	for _, h := range hy {
		if h.ID == "none" && (h.TextRank != 0 || !math.IsNaN(float64(h.BM25)) || h.VectorRank == 0) {
			t.Fatalf("%+v", h)
		}
	}
	o := agentdb.DefaultHybridOptions()
	if o.Method != agentdb.FusionRRF || o.RRFK <= 0 {
		t.Fatalf("%+v", o)
	}
	o.Method = agentdb.FusionLinear
	o.Filter = agentdb.SQL("lang = 'en'")
	lin := must(c.HybridSearch(bg, []float32{0, 1}, "password", 3, &o))
	if len(lin) != 2 {
		t.Fatalf("the filter applies to both sides: %+v", lin)
	}
	for _, h := range lin {
		if h.Metadata["lang"] != "en" || (h.ID == "pw" && h.TextRank != 1) {
			t.Fatalf("%+v", lin)
		}
	}
	o.RRFK = -1
	o.Method = agentdb.FusionRRF
	_, err = c.HybridSearch(bg, []float32{0, 1}, "password", 2, &o)
	expect(t, err, agentdb.ErrInvalidArgument, "")
	_, err = c.HybridSearch(bg, []float32{0, 1, 2}, "password", 2, nil)
	expect(t, err, agentdb.ErrDimensionMismatch, "")
}

func TestHybridRecallAndTokenizers(t *testing.T) {
	db := must(agentdb.Open(bg, t.TempDir(), nil))
	defer db.Close()
	m := must(db.OpenOrCreateMemory(bg, "mem", 2, agentdb.Cosine))
	defer m.Close()
	must(m.Remember(bg, agentdb.MemoryBatch{AgentID: "ann", Kind: agentdb.KindDefault}, []agentdb.NewMemory{
		{ID: "tea", Text: "likes green tea", Vector: []float32{1, 0}},
		{ID: "oslo", Text: "lives in Oslo", Vector: []float32{0, 1}},
	}))
	o := agentdb.DefaultRecallOptions()
	if o.SearchMode != agentdb.SearchAuto || o.RRFK <= 0 {
		t.Fatalf("%+v", o)
	}
	o.QueryText, o.SearchMode = "oslo", agentdb.SearchText
	if got := must(m.Recall(bg, nil, 1, &o)); len(got) != 1 || got[0].ID != "oslo" {
		t.Fatalf("%+v", got)
	}
	// Hybrid: the text side finds "oslo" although the vector points at "tea".
	o.SearchMode = agentdb.SearchHybrid
	o.WSimilarity, o.WText = 0, 1
	if got := must(m.Recall(bg, []float32{1, 0}, 1, &o)); got[0].ID != "oslo" {
		t.Fatalf("%+v", got)
	}
	if name := must(m.TextTokenizer(bg)); name != "simple" {
		t.Fatal(name)
	}
	ok(t, m.SetTextTokenizer(bg, "ngram:2-3"))
	if name := must(m.TextTokenizer(bg)); name != "ngram:2-3" {
		t.Fatal(name)
	}
	o2 := agentdb.DefaultRecallOptions()
	o2.QueryText, o2.SearchMode = "osl", agentdb.SearchText
	if got := must(m.Recall(bg, nil, 1, &o2)); len(got) != 1 || got[0].ID != "oslo" {
		t.Fatalf("ngrams: %+v", got)
	}
	expect(t, m.SetTextTokenizer(bg, "klingon"), agentdb.ErrInvalidArgument, "")
	r := must(db.OpenOrCreateRag(bg, "docs", 2, agentdb.Cosine))
	defer r.Close()
	ok(t, r.SetTextTokenizer(bg, "icu"))
	if name := must(r.TextTokenizer(bg)); name != "icu" {
		t.Fatal(name)
	}
}

func TestChineseCollectionTokenizer(t *testing.T) {
	dir := t.TempDir()
	db := must(agentdb.Open(bg, dir, nil))
	c := must(db.CreateCollection(bg, "zh", 2, agentdb.Cosine))
	ok(t, c.Add(bg, []agentdb.Record{
		{ID: "capital", Vector: []float32{1, 0}, Document: "北京是中华人民共和国的首都，也是全国的政治和文化中心。"},
		{ID: "panda", Vector: []float32{0, 1}, Document: "熊猫主要生活在四川的山区，以竹子为食。"},
		{ID: "tea", Vector: []float32{1, 1}, Document: "茶起源于中国，绿茶和红茶是最常见的种类。"},
	}))
	top := func(c *agentdb.Collection, q string) string {
		t.Helper()
		hits := must(c.TextSearch(bg, q, 1, agentdb.Filter{}))
		if len(hits) == 0 {
			return ""
		}
		return hits[0].ID
	}
	if name := must(c.TextTokenizer(bg)); name != "simple" {
		t.Fatal(name)
	}
	if got := top(c, "绿茶"); got != "" { // the English tokenizer makes a clause one word
		t.Fatal(got)
	}
	expect(t, c.SetTextTokenizer(bg, "jieba"), agentdb.ErrInvalidArgument, "jieba")
	expect(t, c.SetTextTokenizer(bg, "ngram:9-2"), agentdb.ErrInvalidArgument, "")
	ok(t, c.SetTextTokenizer(bg, "icu"))
	for q, want := range map[string]string{"绿茶": "tea", "熊猫吃什么": "panda", "首都": "capital"} {
		if got := top(c, q); got != want {
			t.Fatalf("%s: %q, want %q", q, got, want)
		}
	}
	c.Close()
	db.Close()
	ro := must(agentdb.Open(bg, dir, &agentdb.OpenOptions{ReadOnly: true}))
	rc := must(ro.OpenCollection(bg, "zh"))
	if name := must(rc.TextTokenizer(bg)); name != "icu" {
		t.Fatal(name)
	}
	expect(t, rc.SetTextTokenizer(bg, "ngram"), agentdb.ErrReadOnly, "")
	rc.Close()
	ro.Close()
	db = must(agentdb.Open(bg, dir, nil))
	defer db.Close()
	c = must(db.OpenCollection(bg, "zh"))
	defer c.Close()
	ok(t, c.SetTextTokenizer(bg, "ngram:2"))
	if name := must(c.TextTokenizer(bg)); name != "ngram:2-2" {
		t.Fatal(name)
	}
	if got := top(c, "绿茶"); got != "tea" {
		t.Fatal(got)
	}
}
