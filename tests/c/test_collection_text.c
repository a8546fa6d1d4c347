/*
 * Full-text and hybrid search of a collection through the C ABI: agentdb_collection_text_search,
 * agentdb_collection_hybrid_search with its options (agentdb_hybrid_options: RRF and linear
 * fusion), the hits (agentdb_scored_hits_count/_get/_free), filters on both sides, bad arguments,
 * the collection's text tokenizer (agentdb_collection_set_text_tokenizer / _text_tokenizer).
 *
 * Usage: test_collection_text [name-substring]
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw, pthreads */

#include <stddef.h>

#include "harness.h"

/* Four records in 2-D, l2; distances to q = (0,0): a 0, d 0.25, b 1, c 9. "apple" is in a's and
 * b's documents (b's is shorter, so its BM25 is higher); d has no document. */
static const char *const T_IDS[] = {"a", "b", "c", "d"};
static const float T_VECS[] = {0, 0, 1, 0, 3, 0, 0.5f, 0};
static const char *const T_DOCS[] = {"red apple pie", "green apple", "red wine", NULL};
static const char *const T_META = "[{\"lang\": \"en\"}, {\"lang\": \"fr\"}, {\"lang\": \"en\"}, {\"lang\": \"fr\"}]";
static const float Q[] = {0, 0};

static int open_text_fixture(agentdb_db **db, agentdb_collection **c) {
    if (agentdb_db_open(g_db_path, db) != AGENTDB_OK) return 0;
    if (agentdb_collection_create(*db, "fruit", 2, AGENTDB_METRIC_L2, c) != AGENTDB_OK) return 0;
    return agentdb_collection_add(*c, T_IDS, 4, T_VECS, 2, T_DOCS, T_META) == AGENTDB_OK;
}

/* Checks hit `i`: its id, ranks (0 = that side did not return it), and score. */
static int hit_is(agentdb_scored_hits *h, size_t i, const char *id, size_t vector_rank, size_t text_rank, float score) {
    agentdb_scored_hit hit;
    if (agentdb_scored_hits_get(h, i, &hit) != AGENTDB_OK) return 0;
    if (strcmp(hit.id, id) != 0 || hit.vector_rank != vector_rank || hit.text_rank != text_rank ||
        fabsf(hit.score - score) > 1e-6f) {
        fprintf(stderr, "    hit %zu is (%s, v%zu, t%zu, %f), expected (%s, v%zu, t%zu, %f)\n", i, hit.id,
                hit.vector_rank, hit.text_rank, (double)hit.score, id, vector_rank, text_rank, (double)score);
        return 0;
    }
    if ((vector_rank == 0) != isnan(hit.distance) || (text_rank == 0) != isnan(hit.bm25)) {
        fprintf(stderr, "    hit %s: a side's score is NaN where its rank is not 0, or the reverse\n", id);
        return 0;
    }
    return 1;
}

static void test_text_search(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_scored_hits *h = NULL;
    agentdb_scored_hit hit, second;
    size_t n = 0;

    CHECK(open_text_fixture(&db, &c));
    OK(agentdb_collection_text_search(c, "apple", 10, NULL, NULL, &h));
    OK(agentdb_scored_hits_count(h, &n));
    CHECK(n == 2);
    OK(agentdb_scored_hits_get(h, 0, &hit));
    OK(agentdb_scored_hits_get(h, 1, &second));
    CHECK(strcmp(hit.id, "b") == 0 && strcmp(second.id, "a") == 0);
    CHECK(hit.score > second.score && second.score > 0);
    CHECK(hit.bm25 == hit.score && hit.text_rank == 1 && second.text_rank == 2 && hit.vector_rank == 0);
    CHECK(isnan(hit.distance));
    CHECK(strcmp(hit.document, "green apple") == 0);
    CHECK(strcmp(hit.metadata_json, "{\"lang\":\"fr\"}") == 0);
    EXPECT(agentdb_scored_hits_get(h, 2, &hit), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("out of range");
    OK(agentdb_scored_hits_free(h));
    /* A filter applies before ranking. */
    OK(agentdb_collection_text_search(c, "apple", 10, "lang = 'en'", NULL, &h));
    OK(agentdb_scored_hits_count(h, &n));
    CHECK(n == 1);
    OK(agentdb_scored_hits_get(h, 0, &hit));
    CHECK(strcmp(hit.id, "a") == 0 && hit.text_rank == 1);
    OK(agentdb_scored_hits_free(h));
    /* No match: no hits. A record written just before is found. */
    OK(agentdb_collection_text_search(c, "banana", 10, NULL, NULL, &h));
    OK(agentdb_scored_hits_count(h, &n));
    CHECK(n == 0);
    OK(agentdb_scored_hits_free(h));
    {
        const char *ids[] = {"e"};
        const float v[] = {9, 9};
        const char *docs[] = {"banana split"};
        OK(agentdb_collection_add(c, ids, 1, v, 2, docs, NULL));
    }
    OK(agentdb_collection_text_search(c, "banana", 10, NULL, NULL, &h));
    OK(agentdb_scored_hits_count(h, &n));
    CHECK(n == 1);
    OK(agentdb_scored_hits_free(h));
    OK(agentdb_scored_hits_free(NULL));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_hybrid_search(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_scored_hits *h = NULL;
    agentdb_hybrid_options o = agentdb_hybrid_options_default();
    agentdb_scored_hit hit;
    size_t n = 0;

    CHECK(o.struct_size == sizeof(agentdb_hybrid_options));
    CHECK(o.method == AGENTDB_FUSION_RRF && o.vector_weight == 1.0f && o.text_weight == 1.0f && o.rrf_k == 60.0f);
    CHECK(o.candidates == 0);
    CHECK(open_text_fixture(&db, &c));
    /* RRF: vector a, d, b, c; BM25 b, a. */
    OK(agentdb_collection_hybrid_search(c, Q, 2, "apple", 10, NULL, NULL, NULL, &h));
    OK(agentdb_scored_hits_count(h, &n));
    CHECK(n == 4);
    CHECK(hit_is(h, 0, "a", 1, 2, 1.0f / 61 + 1.0f / 62));
    CHECK(hit_is(h, 1, "b", 3, 1, 1.0f / 63 + 1.0f / 61));
    CHECK(hit_is(h, 2, "d", 2, 0, 1.0f / 62));
    CHECK(hit_is(h, 3, "c", 4, 0, 1.0f / 64));
    OK(agentdb_scored_hits_get(h, 2, &hit));
    CHECK(hit.document == NULL && fabsf(hit.distance - 0.25f) < 1e-6f);
    OK(agentdb_scored_hits_free(h));
    /* The default options struct is the same as NULL; k cuts the list. */
    OK(agentdb_collection_hybrid_search(c, Q, 2, "apple", 2, NULL, NULL, &o, &h));
    OK(agentdb_scored_hits_count(h, &n));
    CHECK(n == 2);
    CHECK(hit_is(h, 0, "a", 1, 2, 1.0f / 61 + 1.0f / 62));
    OK(agentdb_scored_hits_free(h));
    /* Weights and the rank constant. */
    o.text_weight = 4.0f;
    o.rrf_k = 1.0f;
    OK(agentdb_collection_hybrid_search(c, Q, 2, "apple", 1, NULL, NULL, &o, &h));
    CHECK(hit_is(h, 0, "b", 3, 1, 1.0f / 4 + 4.0f / 2));
    OK(agentdb_scored_hits_free(h));
    /* Linear fusion: v = (9 - d) / 9, t = (bm25 - min) / (max - min). */
    o = agentdb_hybrid_options_default();
    o.method = AGENTDB_FUSION_LINEAR;
    OK(agentdb_collection_hybrid_search(c, Q, 2, "apple", 4, NULL, NULL, &o, &h));
    CHECK(hit_is(h, 0, "b", 3, 1, 8.0f / 9 + 1));
    CHECK(hit_is(h, 1, "a", 1, 2, 1.0f));
    CHECK(hit_is(h, 2, "d", 2, 0, 8.75f / 9));
    CHECK(hit_is(h, 3, "c", 4, 0, 0.0f));
    OK(agentdb_scored_hits_free(h));
    /* The filter applies to both sides: the fr records d (vector 1) and b (vector 2, BM25 1). */
    OK(agentdb_collection_hybrid_search(c, Q, 2, "apple", 10, NULL, "{\"lang\": \"fr\"}", NULL, &h));
    OK(agentdb_scored_hits_count(h, &n));
    CHECK(n == 2);
    CHECK(hit_is(h, 0, "b", 2, 1, 1.0f / 62 + 1.0f / 61));
    CHECK(hit_is(h, 1, "d", 1, 0, 1.0f / 61));
    OK(agentdb_scored_hits_free(h));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_text_bad_arguments(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_scored_hits *h = NULL;
    agentdb_hybrid_options o = agentdb_hybrid_options_default();
    size_t n = 0;

    CHECK(open_text_fixture(&db, &c));
    h = (agentdb_scored_hits *)(uintptr_t)1;
    EXPECT(agentdb_collection_text_search(c, "   ", 5, NULL, NULL, &h), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("empty");
    CHECK(h == NULL);
    EXPECT(agentdb_collection_text_search(c, NULL, 5, NULL, NULL, &h), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_text_search(c, "apple", 0, NULL, NULL, &h), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("k must be");
    EXPECT(agentdb_collection_text_search(c, "apple", 5, "lang = ", NULL, &h), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_collection_text_search(c, "apple", 5, NULL, NULL, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_text_search(NULL, "apple", 5, NULL, NULL, &h), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_hybrid_search(c, Q, 2, "", 5, NULL, NULL, NULL, &h), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_hybrid_search(c, Q, 2, NULL, 5, NULL, NULL, NULL, &h), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_hybrid_search(c, NULL, 2, "apple", 5, NULL, NULL, NULL, &h), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_hybrid_search(c, Q, 3, "apple", 5, NULL, NULL, NULL, &h), AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_collection_hybrid_search(c, Q, 2, "apple", 0, NULL, NULL, NULL, &h), AGENTDB_INVALID_ARGUMENT);
    /* Bounds, checked before the vector is read: a huge dim, a k above AGENTDB_MAX_K. */
    EXPECT(agentdb_collection_hybrid_search(c, Q, (size_t)1 << 40, "apple", 5, NULL, NULL, NULL, &h),
           AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_collection_hybrid_search(c, Q, 2, "apple", AGENTDB_MAX_K + 1, NULL, NULL, NULL, &h),
           AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_text_search(c, "apple", AGENTDB_MAX_K + 1, NULL, NULL, &h), AGENTDB_INVALID_ARGUMENT);
    o = agentdb_hybrid_options_default();
    o.candidates = AGENTDB_MAX_K + 1; /* more candidates than any search returns: capped, not refused */
    OK(agentdb_collection_hybrid_search(c, Q, 2, "apple", 5, NULL, NULL, &o, &h));
    OK(agentdb_scored_hits_count(h, &n));
    CHECK(n == 4);
    OK(agentdb_scored_hits_free(h));
    o = agentdb_hybrid_options_default();
    o.method = 7;
    EXPECT(agentdb_collection_hybrid_search(c, Q, 2, "apple", 5, NULL, NULL, &o, &h), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("fusion method");
    o = agentdb_hybrid_options_default();
    o.vector_weight = -1.0f;
    EXPECT(agentdb_collection_hybrid_search(c, Q, 2, "apple", 5, NULL, NULL, &o, &h), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("vector_weight");
    o = agentdb_hybrid_options_default();
    o.struct_size = 8;
    EXPECT(agentdb_collection_hybrid_search(c, Q, 2, "apple", 5, NULL, NULL, &o, &h), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("struct_size");
    CHECK(h == NULL);
    EXPECT(agentdb_scored_hits_count(NULL, &n), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_scored_hits_count((agentdb_scored_hits *)c, &n), AGENTDB_INVALID_HANDLE);
    /* After the database is closed: CLOSED. */
    OK(agentdb_db_close(db));
    EXPECT(agentdb_collection_text_search(c, "apple", 5, NULL, NULL, &h), AGENTDB_CLOSED);
    EXPECT(agentdb_collection_hybrid_search(c, Q, 2, "apple", 5, NULL, NULL, NULL, &h), AGENTDB_CLOSED);
    OK(agentdb_collection_close(c));
}

/* The top hit of a text search for `query`, compared with `id`. */
static int top_text_hit_is(agentdb_collection *c, const char *query, const char *id) {
    agentdb_scored_hits *h = NULL;
    agentdb_scored_hit hit;
    int same = 0;
    if (agentdb_collection_text_search(c, query, 1, NULL, NULL, &h) != AGENTDB_OK) return 0;
    if (agentdb_scored_hits_get(h, 0, &hit) == AGENTDB_OK) same = strcmp(hit.id, id) == 0;
    agentdb_scored_hits_free(h);
    return same;
}

/* A Chinese collection: the ICU tokenizer finds the known answers, is kept across reopening and
 * refused on a read-only database; unknown names and a short buffer are typed errors. */
static void test_chinese_tokenizer(void) {
    agentdb_db *db = NULL, *ro = NULL;
    agentdb_collection *c = NULL;
    char name[16];
    size_t len = 0;
    static const char *const ZH_IDS[] = {"capital", "panda", "tea"};
    static const char *const ZH_DOCS[] = {
        "北京是中华人民共和国的首都，也是全国的政治和文化中心。",
        "熊猫主要生活在四川的山区，以竹子为食。",
        "茶起源于中国，绿茶和红茶是最常见的种类。",
    };
    static const float ZH_VECS[] = {1, 0, 0, 1, 1, 1};

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_create(db, "zh", 2, AGENTDB_METRIC_COSINE, &c));
    OK(agentdb_collection_add(c, ZH_IDS, 3, ZH_VECS, 2, ZH_DOCS, NULL));
    OK(agentdb_collection_text_tokenizer(c, name, sizeof name, &len));
    CHECK(strcmp(name, "simple") == 0 && len == 6);
    CHECK(!top_text_hit_is(c, "绿茶", "tea")); /* the English tokenizer makes a clause one word */
    EXPECT(agentdb_collection_set_text_tokenizer(c, "jieba"), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("jieba");
    EXPECT(agentdb_collection_set_text_tokenizer(c, "ngram:9-2"), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_set_text_tokenizer(c, NULL), AGENTDB_NULL_POINTER);
    OK(agentdb_collection_set_text_tokenizer(c, "icu"));
    CHECK(top_text_hit_is(c, "绿茶", "tea"));
    CHECK(top_text_hit_is(c, "熊猫吃什么", "panda"));
    CHECK(top_text_hit_is(c, "首都", "capital"));
    EXPECT(agentdb_collection_text_tokenizer(c, name, 3, &len), AGENTDB_INVALID_ARGUMENT);
    CHECK(len == 3); /* the length is set even when the buffer is too small */
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
    {
        agentdb_open_options o = agentdb_open_options_default();
        o.read_only = true;
        OK(agentdb_db_open_with(g_db_path, &o, &ro));
    }
    OK(agentdb_collection_open(ro, "zh", &c));
    OK(agentdb_collection_text_tokenizer(c, name, sizeof name, NULL));
    CHECK(strcmp(name, "icu") == 0);
    CHECK(top_text_hit_is(c, "熊猫吃什么", "panda"));
    EXPECT(agentdb_collection_set_text_tokenizer(c, "ngram"), AGENTDB_READ_ONLY);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(ro));
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_open(db, "zh", &c));
    OK(agentdb_collection_set_text_tokenizer(c, "ngram:2"));
    OK(agentdb_collection_text_tokenizer(c, name, sizeof name, &len));
    CHECK(strcmp(name, "ngram:2-2") == 0 && len == 9);
    CHECK(top_text_hit_is(c, "绿茶", "tea"));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static const struct test TESTS[] = {
    {"text_search", test_text_search},
    {"hybrid_search", test_hybrid_search},
    {"text_bad_arguments", test_text_bad_arguments},
    {"chinese_tokenizer", test_chinese_tokenizer},
};

int main(int argc, char **argv) {
    return run_tests("C collection text search", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
