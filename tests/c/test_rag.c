/*
 * The C tests of RAG stores (agentdb_rag_*): ingest through an embedding callback (a bag-of-words
 * hashing embedder, so no model is needed), the skip of unchanged documents, atomic replacement,
 * hybrid / vector / text retrieval with filters, packed contexts with citations, and bad input.
 *
 * Usage: test_rag [name-substring]
 */
#define _XOPEN_SOURCE 700

#include <ctype.h>

#include "harness.h"

#define DIM 64

/* Words (ASCII letters/digits, lower-cased) hashed into DIM buckets with a sign, L2-normalised. */
static void embed_one(const char *text, float *out) {
    size_t i = 0, j;
    double norm = 0;
    for (j = 0; j < DIM; j++) out[j] = 0;
    while (text[i]) {
        uint32_t h = 2166136261u;
        size_t n = 0;
        while (text[i] && !isalnum((unsigned char)text[i])) i++;
        while (text[i] && isalnum((unsigned char)text[i])) {
            h = (h ^ (uint32_t)tolower((unsigned char)text[i])) * 16777619u;
            i++;
            n++;
        }
        if (n == 0) continue;
        out[h % DIM] += (h & 0x80000000u) ? -1.0f : 1.0f;
    }
    for (j = 0; j < DIM; j++) norm += (double)out[j] * out[j];
    if (norm == 0) {
        out[0] = 1;
        return;
    }
    for (j = 0; j < DIM; j++) out[j] = (float)(out[j] / sqrt(norm));
}

static int g_embed_calls;

static int32_t embed(void *user, const char *const *texts, size_t n, size_t dim, float *out) {
    size_t i;
    (void)user;
    if (dim != DIM) return 1;
    g_embed_calls++;
    for (i = 0; i < n; i++) embed_one(texts[i], out + i * dim);
    return 0;
}

static int32_t failing_embed(void *user, const char *const *texts, size_t n, size_t dim, float *out) {
    (void)user;
    (void)texts;
    (void)n;
    (void)dim;
    (void)out;
    return 7;
}

static const agentdb_rag_document DOCS[] = {
    {"auth",
     "# Accounts\n\n## Password reset\n\nTo reset a forgotten password, open the login page and choose "
     "\"forgot password\". A reset link arrives by email.",
     "handbook/auth.md", AGENTDB_TEXT_MARKDOWN, "{\"lang\": \"en\"}"},
    {"billing", "Invoices are sent monthly. Refunds for annual plans are prorated and paid within ten days.",
     "handbook/billing.md", AGENTDB_TEXT_PLAIN, "{\"lang\": \"en\"}"},
    {"fr", "Les factures sont envoyees chaque mois par courrier electronique.", NULL, AGENTDB_TEXT_PLAIN,
     "{\"lang\": \"fr\"}"},
};

/* A store "kb" in g_db_path holding DOCS. */
static int open_kb(agentdb_db **db, agentdb_rag **rag) {
    agentdb_ingest_stats st;
    if (agentdb_db_open(g_db_path, db) != AGENTDB_OK) return 0;
    if (agentdb_rag_open_or_create(*db, "kb", DIM, AGENTDB_METRIC_COSINE, rag) != AGENTDB_OK) return 0;
    return agentdb_rag_ingest(*rag, DOCS, 3, ingest_opts(32, false), embed, NULL, &st) == AGENTDB_OK && st.added == 3;
}

static void test_ingest_and_skip(void) {
    agentdb_db *db = NULL;
    agentdb_rag *rag = NULL;
    agentdb_ingest_stats st;
    size_t dim = 0;
    agentdb_metric metric = -1;
    g_embed_calls = 0;
    CHECK(open_kb(&db, &rag));
    CHECK(g_embed_calls == 1);
    OK(agentdb_rag_dim(rag, &dim, &metric));
    CHECK(dim == DIM && metric == AGENTDB_METRIC_COSINE);
    /* The same documents again: skipped, not embedded. */
    OK(agentdb_rag_ingest(rag, DOCS, 3, ingest_opts(32, false), embed, NULL, &st));
    CHECK(st.unchanged == 3 && st.added == 0 && st.chunks == 0);
    CHECK(g_embed_calls == 1);
    /* force re-embeds and replaces. */
    OK(agentdb_rag_ingest(rag, DOCS, 1, ingest_opts(32, true), embed, NULL, &st));
    CHECK(st.replaced == 1 && st.chunks == 1);
    CHECK(g_embed_calls == 2);
    OK(agentdb_rag_close(rag));
    /* Reopened by name: the dimension is stored. */
    OK(agentdb_rag_open(db, "kb", &rag));
    OK(agentdb_rag_dim(rag, &dim, NULL));
    CHECK(dim == DIM);
    OK(agentdb_rag_close(rag));
    OK(agentdb_db_close(db));
}

static void test_hybrid_search(void) {
    agentdb_db *db = NULL;
    agentdb_rag *rag = NULL;
    agentdb_rag_hits *hits = NULL;
    agentdb_rag_hit h;
    agentdb_rag_options o = agentdb_rag_search_options_default();
    float q[DIM];
    size_t n = 0;
    CHECK(open_kb(&db, &rag));
    embed_one("how to reset a forgotten password", q);
    o.k = 2;
    OK(agentdb_rag_search(rag, "reset forgotten password", q, DIM, &o, NULL, NULL, &hits));
    OK(agentdb_rag_hits_count(hits, &n));
    CHECK(n == 2);
    OK(agentdb_rag_hits_get(hits, 0, &h));
    CHECK(strcmp(h.doc_id, "auth") == 0);
    CHECK(strcmp(h.id, "auth#0") == 0);
    CHECK(strcmp(h.source, "handbook/auth.md") == 0);
    CHECK(strcmp(h.heading, "Accounts > Password reset") == 0);
    CHECK(strstr(h.text, "reset link") != NULL);
    CHECK(strcmp(h.metadata_json, "{\"lang\":\"en\"}") == 0);
    CHECK(h.vector_rank == 1 && h.text_rank == 1);
    CHECK_NEAR(h.score, 2.0 / 61.0);
    /* The second hit came from the vector side only (BM25 matches only "auth"). */
    OK(agentdb_rag_hits_get(hits, 1, &h));
    CHECK(h.text_rank == 0 && isnan(h.bm25) && h.vector_rank == 2);
    EXPECT(agentdb_rag_hits_get(hits, 2, &h), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_rag_hits_free(hits));

    /* Text only, no vector; a JSON filter on the documents' metadata. */
    o = agentdb_rag_search_options_default();
    o.mode = AGENTDB_RAG_TEXT;
    OK(agentdb_rag_search(rag, "factures", NULL, 0, &o, NULL, "{\"lang\": \"fr\"}", &hits));
    OK(agentdb_rag_hits_count(hits, &n));
    CHECK(n == 1);
    OK(agentdb_rag_hits_get(hits, 0, &h));
    CHECK(strcmp(h.doc_id, "fr") == 0 && strcmp(h.source, "fr") == 0 && h.vector_rank == 0);
    OK(agentdb_rag_hits_free(hits));
    /* SQL filter on a chunk key, vector only. */
    o.mode = AGENTDB_RAG_VECTOR;
    OK(agentdb_rag_search(rag, NULL, q, DIM, &o, "doc_id = 'billing'", NULL, &hits));
    OK(agentdb_rag_hits_count(hits, &n));
    CHECK(n == 1);
    OK(agentdb_rag_hits_get(hits, 0, &h));
    CHECK(strcmp(h.doc_id, "billing") == 0);
    OK(agentdb_rag_hits_free(hits));
    OK(agentdb_rag_close(rag));
    OK(agentdb_db_close(db));
}

static void test_replace_and_delete(void) {
    agentdb_db *db = NULL;
    agentdb_rag *rag = NULL;
    agentdb_rag_hits *hits = NULL;
    agentdb_ingest_stats st;
    agentdb_rag_options o = agentdb_rag_search_options_default();
    const agentdb_rag_document changed[] = {{"billing", "Payment is due on receipt.", NULL, AGENTDB_TEXT_PLAIN, NULL}};
    const char *del[] = {"billing", "never-there"};
    size_t n = 99;
    uint64_t deleted = 0;
    CHECK(open_kb(&db, &rag));
    OK(agentdb_rag_ingest(rag, changed, 1, ingest_opts(32, false), embed, NULL, &st));
    CHECK(st.replaced == 1);
    o.mode = AGENTDB_RAG_TEXT;
    OK(agentdb_rag_search(rag, "refunds prorated", NULL, 0, &o, NULL, NULL, &hits));
    OK(agentdb_rag_hits_count(hits, &n));
    CHECK(n == 0);
    OK(agentdb_rag_hits_free(hits));
    OK(agentdb_rag_search(rag, "payment receipt", NULL, 0, &o, NULL, NULL, &hits));
    OK(agentdb_rag_hits_count(hits, &n));
    CHECK(n == 1);
    OK(agentdb_rag_hits_free(hits));
    OK(agentdb_rag_delete(rag, del, 2, &deleted));
    CHECK(deleted == 1);
    OK(agentdb_rag_search(rag, "payment receipt", NULL, 0, &o, NULL, NULL, &hits));
    OK(agentdb_rag_hits_count(hits, &n));
    CHECK(n == 0);
    OK(agentdb_rag_hits_free(hits));
    OK(agentdb_rag_close(rag));
    OK(agentdb_db_close(db));
}

static void test_context(void) {
    agentdb_db *db = NULL;
    agentdb_rag *rag = NULL;
    agentdb_context *ctx = NULL;
    agentdb_rag_citation cite;
    float q[DIM];
    const char *text = NULL;
    size_t len = 0, tokens = 0, n = 0;
    CHECK(open_kb(&db, &rag));
    embed_one("reset forgotten password", q);
    OK(agentdb_rag_context(rag, "reset forgotten password", q, DIM, 80, NULL, NULL, NULL, &ctx));
    OK(agentdb_context_get_text(ctx, &text, &len, &tokens));
    CHECK(len == strlen(text) && tokens > 0 && tokens <= 80);
    CHECK(strncmp(text, "[1] handbook/auth.md", 20) == 0);
    OK(agentdb_context_count(ctx, &n));
    CHECK(n >= 1);
    OK(agentdb_context_get(ctx, 0, &cite));
    CHECK(cite.number == 1 && strcmp(cite.doc_id, "auth") == 0 && cite.first_position == 0);
    CHECK(cite.char_start == 0 && cite.char_end > cite.char_start);
    EXPECT(agentdb_context_get(ctx, n, &cite), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_context_free(ctx));
    /* A budget too small for any header gives an empty context, not an error. */
    OK(agentdb_rag_context(rag, "reset forgotten password", q, DIM, 3, NULL, NULL, NULL, &ctx));
    OK(agentdb_context_get_text(ctx, &text, &len, NULL));
    CHECK(len == 0);
    OK(agentdb_context_count(ctx, &n));
    CHECK(n == 0);
    OK(agentdb_context_free(ctx));
    EXPECT(agentdb_rag_context(rag, "x", q, DIM, 0, NULL, NULL, NULL, &ctx), AGENTDB_INVALID_ARGUMENT);
    CHECK(ctx == NULL);
    OK(agentdb_rag_close(rag));
    OK(agentdb_db_close(db));
}

static void test_bad_input(void) {
    agentdb_db *db = NULL;
    agentdb_rag *rag = NULL, *other = NULL;
    agentdb_rag_hits *hits = NULL;
    agentdb_ingest_stats st;
    agentdb_rag_options o = agentdb_rag_search_options_default();
    float q[DIM + 1] = {0};
    const agentdb_rag_document no_text[] = {{"x", NULL, NULL, AGENTDB_TEXT_PLAIN, NULL}};
    const agentdb_rag_document bad_format[] = {{"x", "text", NULL, 9, NULL}};
    const agentdb_rag_document bad_meta[] = {{"x", "text", NULL, AGENTDB_TEXT_PLAIN, "[1]"}};
    const agentdb_rag_document reserved[] = {{"x", "text", NULL, AGENTDB_TEXT_PLAIN, "{\"doc_id\": \"y\"}"}};
    const agentdb_rag_document twice[] = {{"x", "a", NULL, AGENTDB_TEXT_PLAIN, NULL}, {"x", "b", NULL, AGENTDB_TEXT_PLAIN, NULL}};
    CHECK(open_kb(&db, &rag));
    q[0] = 1;
    EXPECT(agentdb_rag_open_or_create(db, "../kb", DIM, AGENTDB_METRIC_COSINE, &other), AGENTDB_INVALID_NAME);
    CHECK(other == NULL);
    EXPECT(agentdb_rag_open_or_create(db, "kb", DIM + 1, AGENTDB_METRIC_COSINE, &other), AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_rag_open_or_create(db, "kb", DIM, AGENTDB_METRIC_L2, &other), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_rag_open(db, "nope", &other), AGENTDB_COLLECTION_NOT_FOUND);
    EXPECT(agentdb_rag_ingest(rag, no_text, 1, ingest_opts(32, false), embed, NULL, &st), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_rag_ingest(rag, bad_format, 1, ingest_opts(32, false), embed, NULL, &st), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_rag_ingest(rag, bad_meta, 1, ingest_opts(32, false), embed, NULL, &st), AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_rag_ingest(rag, reserved, 1, ingest_opts(32, false), embed, NULL, &st), AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_rag_ingest(rag, twice, 2, ingest_opts(32, false), embed, NULL, &st), AGENTDB_DUPLICATE_ID);
    agentdb_ingest_options overlap_too_big = agentdb_ingest_options_default();
    overlap_too_big.chunk_size = 10;
    overlap_too_big.chunk_overlap = 10;
    EXPECT(agentdb_rag_ingest(rag, DOCS, 1, &overlap_too_big, embed, NULL, &st), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_rag_ingest(rag, DOCS, 1, ingest_opts(32, true), NULL, NULL, &st), AGENTDB_NULL_POINTER);
    /* A failing embedder aborts the ingest and writes nothing. */
    EXPECT(agentdb_rag_ingest(rag, bad_format, 0, ingest_opts(32, false), embed, NULL, &st), AGENTDB_OK);
    EXPECT(agentdb_rag_ingest(rag, DOCS + 1, 1, ingest_opts(32, true), failing_embed, NULL, &st), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("returned 7");
    /* Hybrid needs both the text and the vector; dimensions are checked. */
    EXPECT(agentdb_rag_search(rag, "x", NULL, 0, NULL, NULL, NULL, &hits), AGENTDB_INVALID_ARGUMENT);
    CHECK(hits == NULL);
    EXPECT(agentdb_rag_search(rag, NULL, q, DIM, NULL, NULL, NULL, &hits), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_rag_search(rag, "x", q, DIM + 1, NULL, NULL, NULL, &hits), AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_rag_search(rag, "x", q, DIM, NULL, "nope(", NULL, &hits), AGENTDB_INVALID_FILTER);
    o.mode = 7;
    EXPECT(agentdb_rag_search(rag, "x", q, DIM, &o, NULL, NULL, &hits), AGENTDB_INVALID_ARGUMENT);
    o = agentdb_rag_search_options_default();
    o.struct_size = 3;
    EXPECT(agentdb_rag_search(rag, "x", q, DIM, &o, NULL, NULL, &hits), AGENTDB_INVALID_ARGUMENT);
    o = agentdb_rag_search_options_default();
    o.mmr = true;
    o.mmr_lambda = 2;
    EXPECT(agentdb_rag_search(rag, "x", q, DIM, &o, NULL, NULL, &hits), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_rag_close(rag));
    EXPECT(agentdb_rag_search(rag, "x", q, DIM, NULL, NULL, NULL, &hits), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_rag_close(rag), AGENTDB_INVALID_HANDLE);
    OK(agentdb_rag_close(NULL));
    OK(agentdb_rag_hits_free(NULL));
    OK(agentdb_context_free(NULL));
    OK(agentdb_db_close(db));
}

/* The options structs come filled with the engine's defaults (numbers, not zeros standing for
 * "the default"), and passing them is passing NULL. */
static void test_option_defaults(void) {
    agentdb_db *db = NULL;
    agentdb_rag *rag = NULL;
    agentdb_rag_hits *with_null = NULL, *with_defaults = NULL;
    agentdb_context *ctx_null = NULL, *ctx_defaults = NULL;
    const agentdb_rag_options s = agentdb_rag_search_options_default();
    const agentdb_rag_options cx = agentdb_rag_context_options_default();
    const agentdb_ingest_options in = agentdb_ingest_options_default();
    const char *t1 = NULL, *t2 = NULL;
    float q[DIM];
    size_t n1 = 0, n2 = 0, i;
    CHECK(s.struct_size == sizeof s && cx.struct_size == sizeof cx && in.struct_size == sizeof in);
    CHECK(s.mode == AGENTDB_RAG_HYBRID && cx.mode == AGENTDB_RAG_HYBRID);
    CHECK(s.k > 0 && cx.k > s.k); /* a context packs from a larger pool than a search returns */
    CHECK(s.vector_weight > 0 && s.text_weight > 0 && s.rrf_k > 0 && s.rrf_k == cx.rrf_k);
    CHECK(!s.mmr && s.mmr_lambda > 0 && s.mmr_lambda <= 1);
    CHECK(!s.score_order && !cx.score_order);
    CHECK(in.chunk_size > in.chunk_overlap && in.chunk_overlap > 0 && !in.chunk_chars && !in.force);

    CHECK(open_kb(&db, &rag));
    embed_one("reset forgotten password", q);
    OK(agentdb_rag_search(rag, "reset forgotten password", q, DIM, NULL, NULL, NULL, &with_null));
    OK(agentdb_rag_search(rag, "reset forgotten password", q, DIM, &s, NULL, NULL, &with_defaults));
    OK(agentdb_rag_hits_count(with_null, &n1));
    OK(agentdb_rag_hits_count(with_defaults, &n2));
    CHECK(n1 == n2 && n1 == 3); /* s.k is more than the three chunks stored */
    for (i = 0; i < n1 && i < n2; i++) {
        agentdb_rag_hit a, b;
        OK(agentdb_rag_hits_get(with_null, i, &a));
        OK(agentdb_rag_hits_get(with_defaults, i, &b));
        CHECK(strcmp(a.id, b.id) == 0 && a.score == b.score);
    }
    OK(agentdb_rag_hits_free(with_null));
    OK(agentdb_rag_hits_free(with_defaults));
    OK(agentdb_rag_context(rag, "reset forgotten password", q, DIM, 200, NULL, NULL, NULL, &ctx_null));
    OK(agentdb_rag_context(rag, "reset forgotten password", q, DIM, 200, &cx, NULL, NULL, &ctx_defaults));
    OK(agentdb_context_get_text(ctx_null, &t1, NULL, NULL));
    OK(agentdb_context_get_text(ctx_defaults, &t2, NULL, NULL));
    CHECK(strcmp(t1, t2) == 0 && strlen(t1) > 0);
    OK(agentdb_context_free(ctx_null));
    OK(agentdb_context_free(ctx_defaults));
    OK(agentdb_rag_close(rag));
    OK(agentdb_db_close(db));
}

/* Chinese documents with the ICU tokenizer, kept across reopening; bad tokenizer names. */
static void test_chinese_text_search(void) {
    agentdb_db *db = NULL;
    agentdb_rag *rag = NULL;
    agentdb_rag_hits *hits = NULL;
    agentdb_rag_hit h;
    agentdb_ingest_stats st;
    char name[16];
    size_t len = 0;
    static const agentdb_rag_document ZH[] = {
        {"capital", "北京是中华人民共和国的首都，也是全国的政治和文化中心。", NULL, AGENTDB_TEXT_PLAIN, NULL},
        {"panda", "熊猫主要生活在四川的山区，以竹子为食。", NULL, AGENTDB_TEXT_PLAIN, NULL},
        {"tea", "茶起源于中国，绿茶和红茶是最常见的种类。", NULL, AGENTDB_TEXT_PLAIN, NULL},
    };
    agentdb_rag_options o = agentdb_rag_search_options_default();
    o.mode = AGENTDB_RAG_TEXT;
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_rag_open_or_create(db, "zh", DIM, AGENTDB_METRIC_COSINE, &rag));
    EXPECT(agentdb_rag_set_text_tokenizer(rag, "ngram:0"), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_rag_set_text_tokenizer(rag, "icu"));
    OK(agentdb_rag_ingest(rag, ZH, 3, ingest_opts(64, false), embed, NULL, &st));
    OK(agentdb_rag_close(rag));
    OK(agentdb_db_close(db));
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_rag_open(db, "zh", &rag));
    OK(agentdb_rag_text_tokenizer(rag, name, sizeof name, &len));
    CHECK(strcmp(name, "icu") == 0 && len == 3);
    OK(agentdb_rag_search(rag, "绿茶", NULL, 0, &o, NULL, NULL, &hits));
    OK(agentdb_rag_hits_get(hits, 0, &h));
    CHECK(strcmp(h.doc_id, "tea") == 0);
    OK(agentdb_rag_hits_free(hits));
    OK(agentdb_rag_search(rag, "熊猫吃什么", NULL, 0, &o, NULL, NULL, &hits));
    OK(agentdb_rag_hits_get(hits, 0, &h));
    CHECK(strcmp(h.doc_id, "panda") == 0);
    OK(agentdb_rag_hits_free(hits));
    OK(agentdb_rag_close(rag));
    OK(agentdb_db_close(db));
}

static const struct test TESTS[] = {
    {"ingest_and_skip", test_ingest_and_skip},
    {"hybrid_search", test_hybrid_search},
    {"replace_and_delete", test_replace_and_delete},
    {"context", test_context},
    {"bad_input", test_bad_input},
    {"option_defaults", test_option_defaults},
    {"chinese_text_search", test_chinese_text_search},
};

int main(int argc, char **argv) {
    return run_tests("rag", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
