/*
 * Agent memory through the C ABI: the recall score on a hand-built case (each number checked
 * against the documented formula), access statistics and their persistence, filters, forget and
 * update, the three consolidation steps, background consolidation, and bad input.
 */
#include "harness.h"

#include <math.h>
#include <time.h>

#define SEC 1000000LL
#define T0 (1700000000LL * SEC)

/* Four memories of agent "ann" in 2-d (cosine), created 0, 0, 100 and 200 s before T0:
 *   a (1,0) imp 0.2   b (0,1) imp 1.0   c (1,1) imp 0.5   d (1,0) imp 0.0 */
static agentdb_status fixture(agentdb_db *db, agentdb_memory **m) {
    const char *ids[] = {"a", "b", "c", "d"};
    const char *texts[] = {"text of a", "text of b", "text of c", NULL};
    float v[] = {1, 0, 0, 1, 1, 1, 1, 0};
    double imp[] = {0.2, 1.0, 0.5, 0.0};
    int64_t created[] = {T0, T0, T0 - 100 * SEC, T0 - 200 * SEC};
    agentdb_status s = agentdb_memory_open_or_create(db, "mem", 2, AGENTDB_METRIC_COSINE, m);
    if (s != AGENTDB_OK) return s;
    return agentdb_memory_remember(*m, "ann", NULL, AGENTDB_MEMORY_EPISODIC, 4, ids, texts, v, 2, imp, created,
                                   "[{\"topic\": \"x\"}, null, null, null]", NULL);
}

static size_t facts_count(agentdb_graph_facts *f) {
    size_t n = SIZE_MAX;
    if (agentdb_graph_facts_count(f, &n) != AGENTDB_OK) return SIZE_MAX;
    return n;
}

/* Linear-mode weights (the additive score most cases here check). */
static agentdb_recall_options weights(double sim, double rec, double imp, double half_life) {
    agentdb_recall_options o = agentdb_recall_options_default();
    o.mode = AGENTDB_RECALL_LINEAR;
    o.w_similarity = sim;
    o.w_recency = rec;
    o.w_importance = imp;
    o.half_life_s = half_life;
    o.has_now = true;
    o.now_us = T0;
    return o;
}

static void test_recall_score(void) {
    agentdb_db *db;
    agentdb_memory *m;
    agentdb_memories *r;
    agentdb_memory_info info;
    size_t n, i;
    float q[] = {1, 0};
    const char *want_ids[] = {"a", "b", "c", "d"};
    double want_scores[] = {2.2, 2.0, 0.70710678 + 1.0, 1.25};
    agentdb_recall_options o = weights(1, 1, 1, 100);
    OK(agentdb_db_open(g_db_path, &db));
    OK(fixture(db, &m));
    OK(agentdb_memory_recall(m, q, 2, 4, NULL, &o, &r));
    OK(agentdb_memories_count(r, &n));
    CHECK(n == 4);
    for (i = 0; i < n; i++) {
        OK(agentdb_memories_get(r, i, &info));
        CHECK(strcmp(info.id, want_ids[i]) == 0);
        CHECK_NEAR(info.score, want_scores[i]);
        CHECK(info.last_accessed_us == T0 && info.access_count == 1);
        CHECK(info.vector == NULL && info.dim == 0);
        CHECK(strcmp(info.agent_id, "ann") == 0 && info.session_id == NULL);
        CHECK(info.kind == AGENTDB_MEMORY_EPISODIC);
    }
    OK(agentdb_memories_get(r, 2, &info));
    CHECK_NEAR(info.similarity, 0.70710678);
    CHECK_NEAR(info.recency, 0.5);
    CHECK(strcmp(info.text, "text of c") == 0);
    OK(agentdb_memories_get(r, 3, &info));
    CHECK(info.text == NULL);
    OK(agentdb_memories_get(r, 0, &info));
    CHECK(strcmp(info.metadata_json, "{\"topic\":\"x\"}") == 0);
    EXPECT(agentdb_memories_get(r, 4, &info), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_memories_free(r));

    /* Without a query, 100 s later: strength = recency + importance, everything accessed at T0:
     * b 0.5 + 1, a 0.5 + 0.2, c 0.5 + 0.5, d 0.5 + 0 → b, c, a, d. */
    o.now_us = T0 + 100 * SEC;
    o.touch = false;
    OK(agentdb_memory_recall(m, NULL, 0, 4, NULL, &o, &r));
    {
        const char *order[] = {"b", "c", "a", "d"};
        double scores[] = {1.5, 1.0, 0.7, 0.5};
        for (i = 0; i < 4; i++) {
            OK(agentdb_memories_get(r, i, &info));
            CHECK(strcmp(info.id, order[i]) == 0);
            CHECK_NEAR(info.score, scores[i]);
            CHECK(isnan(info.similarity));
        }
    }
    OK(agentdb_memories_free(r));
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
}

/* The default score: relevance first. Similarities a 1, b 0, c cos 45°, d 1 (lo 0, hi 1, so sim_n
 * = similarity); with half-life 100 s, score = sim_n · (1 − 0.1 · (1 − (recency + importance) / 2)). */
static void test_recall_relevance_default(void) {
    agentdb_db *db;
    agentdb_memory *m;
    agentdb_memories *r;
    agentdb_memory_info info;
    size_t i;
    float q[] = {1, 0};
    const char *want_ids[] = {"a", "d", "c", "b"};
    double want_scores[] = {0.96, 0.9125, 0.70710678 * 0.95, 0.0};
    agentdb_recall_options o = agentdb_recall_options_default();
    CHECK(o.mode == AGENTDB_RECALL_RELEVANCE && o.adjust == 0.1);
    CHECK(o.w_similarity == 1 && o.w_recency == 0.5 && o.w_importance == 0.5);
    o.half_life_s = 100;
    o.has_now = true;
    o.now_us = T0;
    o.touch = false;
    OK(agentdb_db_open(g_db_path, &db));
    OK(fixture(db, &m));
    OK(agentdb_memory_recall(m, q, 2, 4, NULL, &o, &r));
    for (i = 0; i < 4; i++) {
        OK(agentdb_memories_get(r, i, &info));
        CHECK(strcmp(info.id, want_ids[i]) == 0);
        CHECK_NEAR(info.score, want_scores[i]);
    }
    OK(agentdb_memories_free(r));
    /* The old score, linear with the same weights: a 1.6, c 1.207, d 1.125, b 1.0. */
    o.mode = AGENTDB_RECALL_LINEAR;
    OK(agentdb_memory_recall(m, q, 2, 4, NULL, &o, &r));
    {
        const char *order[] = {"a", "c", "d", "b"};
        double scores[] = {1.6, 0.70710678 + 0.5, 1.125, 1.0};
        for (i = 0; i < 4; i++) {
            OK(agentdb_memories_get(r, i, &info));
            CHECK(strcmp(info.id, order[i]) == 0);
            CHECK_NEAR(info.score, scores[i]);
        }
    }
    OK(agentdb_memories_free(r));
    o.mode = 7;
    EXPECT(agentdb_memory_recall(m, q, 2, 4, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    o.mode = AGENTDB_RECALL_RELEVANCE;
    o.adjust = 1.5;
    EXPECT(agentdb_memory_recall(m, q, 2, 4, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
}

static void test_statistics_persist(void) {
    agentdb_db *db;
    agentdb_memory *m;
    agentdb_memories *r;
    agentdb_memory_info info;
    float q[] = {0, 1};
    const char *ids[] = {"b", "a"};
    agentdb_recall_options o = weights(1, 0.5, 0.5, 3600);
    o.now_us = T0 + 5 * SEC;
    OK(agentdb_db_open(g_db_path, &db));
    OK(fixture(db, &m));
    OK(agentdb_memory_recall(m, q, 2, 1, NULL, &o, &r));
    OK(agentdb_memories_free(r));
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db)); /* writes the pending statistics */

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_memory_open(db, "mem", &m));
    OK(agentdb_memory_get(m, ids, 2, &r));
    OK(agentdb_memories_get(r, 0, &info));
    CHECK(strcmp(info.id, "b") == 0 && info.access_count == 1 && info.last_accessed_us == T0 + 5 * SEC);
    CHECK(info.created_at_us == T0 && info.dim == 2 && info.vector[0] == 0.0f && info.vector[1] == 1.0f);
    CHECK(isnan(info.score));
    OK(agentdb_memories_get(r, 1, &info));
    CHECK(strcmp(info.id, "a") == 0 && info.access_count == 0 && info.last_accessed_us == T0);
    OK(agentdb_memories_free(r));
    {
        agentdb_memory *other;
        EXPECT(agentdb_memory_open_or_create(db, "mem", 3, AGENTDB_METRIC_COSINE, &other), AGENTDB_DIMENSION_MISMATCH);
        CHECK(other == NULL);
    }
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
}

static void test_filters_forget_update(void) {
    agentdb_db *db;
    agentdb_memory *m;
    agentdb_memories *r;
    agentdb_memory_info info;
    agentdb_strings *made;
    uint64_t count, deleted;
    size_t n;
    float v2[] = {1, 0.5f, 1, 0.25f};
    double imp[] = {0.9, 0.1};
    const char *texts[] = {"semantic one", "semantic two"};
    const char *c_id[] = {"c"};
    const char *p;
    agentdb_memory_filter f = agentdb_memory_filter_default();
    OK(agentdb_db_open(g_db_path, &db));
    OK(fixture(db, &m));
    OK(agentdb_memory_remember(m, "bob", "s1", AGENTDB_MEMORY_SEMANTIC, 2, NULL, texts, v2, 2, imp, NULL, NULL, &made));
    OK(agentdb_strings_count(made, &n));
    CHECK(n == 2);
    OK(agentdb_strings_get(made, 0, &p, NULL));
    CHECK(strlen(p) == 36); /* a generated, UUID-shaped id */
    OK(agentdb_strings_free(made));

    f.agent_id = "ann";
    OK(agentdb_memory_count(m, &f, &count));
    CHECK(count == 4);
    f = agentdb_memory_filter_default();
    f.kinds = 1u << AGENTDB_MEMORY_SEMANTIC;
    OK(agentdb_memory_count(m, &f, &count));
    CHECK(count == 2);
    f.kinds = 0;
    f.session_id = "s1";
    OK(agentdb_memory_count(m, &f, &count));
    CHECK(count == 2);
    f = agentdb_memory_filter_default();
    f.has_since = true;
    f.since_us = T0 - 150 * SEC;
    f.has_until = true;
    f.until_us = T0;
    OK(agentdb_memory_count(m, &f, &count));
    CHECK(count == 1); /* c */
    f = agentdb_memory_filter_default();
    f.filter_json = "{\"topic\": \"x\"}";
    OK(agentdb_memory_count(m, &f, &count));
    CHECK(count == 1); /* a */
    f.filter_sql = "importance > 0.5";
    EXPECT(agentdb_memory_count(m, &f, &count), AGENTDB_INVALID_ARGUMENT); /* both forms */
    f.filter_json = NULL;
    OK(agentdb_memory_count(m, &f, &count));
    CHECK(count == 2); /* b (1.0) and bob's first (0.9) */
    f = agentdb_memory_filter_default();
    f.kinds = 1u << 7;
    EXPECT(agentdb_memory_count(m, &f, &count), AGENTDB_INVALID_ARGUMENT);

    /* Recall within bob's memories only. */
    f = agentdb_memory_filter_default();
    f.agent_id = "bob";
    OK(agentdb_memory_recall(m, v2, 2, 10, &f, NULL, &r));
    OK(agentdb_memories_count(r, &n));
    CHECK(n == 2);
    OK(agentdb_memories_get(r, 0, &info));
    CHECK(strcmp(info.agent_id, "bob") == 0 && strcmp(info.session_id, "s1") == 0);
    CHECK(info.kind == AGENTDB_MEMORY_SEMANTIC);
    OK(agentdb_memories_free(r));

    OK(agentdb_memory_forget(m, NULL, 0, &f, &deleted));
    CHECK(deleted == 2);
    EXPECT(agentdb_memory_forget(m, NULL, 0, NULL, &deleted), AGENTDB_INVALID_ARGUMENT);
    {
        const char *gone[] = {"d", "nope"};
        OK(agentdb_memory_forget(m, gone, 2, NULL, &deleted));
        CHECK(deleted == 1);
    }
    {
        float nv[] = {-2, 0};
        OK(agentdb_memory_update(m, "c", true, NULL, 0.75, nv, 2, "{\"note\": \"moved\"}"));
    }
    OK(agentdb_memory_get(m, c_id, 1, &r));
    OK(agentdb_memories_get(r, 0, &info));
    CHECK(info.text == NULL && info.importance == 0.75 && info.vector[0] == -2.0f);
    CHECK(strcmp(info.metadata_json, "{\"note\":\"moved\"}") == 0);
    OK(agentdb_memories_free(r));
    OK(agentdb_memory_update(m, "c", false, NULL, NAN, NULL, 0, NULL)); /* nothing changes */
    EXPECT(agentdb_memory_update(m, "zzz", false, NULL, 0.5, NULL, 0, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_memory_update(m, "c", false, NULL, 2.0, NULL, 0, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_memory_update(m, "c", false, NULL, NAN, NULL, 0, "[1]"), AGENTDB_INVALID_METADATA);
    OK(agentdb_memory_count(m, NULL, &count));
    CHECK(count == 3);
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
}

static void test_consolidation(void) {
    agentdb_db *db;
    agentdb_memory *m;
    agentdb_consolidation_report rep;
    agentdb_consolidate_options o = agentdb_consolidate_options_default();
    uint64_t count;
    OK(agentdb_db_open(g_db_path, &db));
    OK(fixture(db, &m));
    o.w_recency = 1;
    o.w_importance = 1;
    o.half_life_s = 100;
    o.has_now = true;
    o.now_us = T0;
    /* Nothing enabled: nothing happens. */
    OK(agentdb_memory_consolidate(m, &o, &rep));
    CHECK(rep.merged == 0 && rep.pruned == 0 && rep.evicted == 0);
    /* a and d point the same way: d (strength 0.25) merges into a (1.2). */
    o.dedup = true;
    o.dedup_threshold = 0.999;
    OK(agentdb_memory_consolidate(m, &o, &rep));
    CHECK(rep.merged == 1 && rep.pruned == 0 && rep.evicted == 0);
    o.dedup = false;
    /* Strengths: a 1.2 (absorbed d), b 2, c 1.0: decay under 1.1 prunes c. */
    o.decay = true;
    o.min_score = 1.1;
    OK(agentdb_memory_consolidate(m, &o, &rep));
    CHECK(rep.pruned == 1);
    o.decay = false;
    o.has_capacity = true;
    o.capacity = 1;
    OK(agentdb_memory_consolidate(m, &o, &rep));
    CHECK(rep.evicted == 1);
    OK(agentdb_memory_count(m, NULL, &count));
    CHECK(count == 1);
    {
        const char *b[] = {"b"};
        agentdb_memories *r;
        size_t n;
        OK(agentdb_memory_get(m, b, 1, &r));
        OK(agentdb_memories_count(r, &n));
        CHECK(n == 1);
        OK(agentdb_memories_free(r));
    }
    o.dedup = true;
    o.dedup_threshold = 1.5;
    EXPECT(agentdb_memory_consolidate(m, &o, &rep), AGENTDB_INVALID_ARGUMENT);
    o.struct_size = 3;
    EXPECT(agentdb_memory_consolidate(m, &o, &rep), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("struct_size");
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
}

static void test_background(void) {
    agentdb_db *db;
    agentdb_memory *m;
    agentdb_consolidate_options o = agentdb_consolidate_options_default();
    uint64_t count = 4;
    int tries;
    OK(agentdb_db_open(g_db_path, &db));
    OK(fixture(db, &m));
    o.has_capacity = true;
    o.capacity = 2;
    OK(agentdb_memory_start_background(m, 20, &o));
    for (tries = 0; tries < 2000 && count > 2; tries++) {
        struct timespec ten_ms = {0, 10000000L};
        nanosleep(&ten_ms, NULL);
        OK(agentdb_memory_count(m, NULL, &count));
    }
    CHECK(count == 2);
    OK(agentdb_memory_stop_background(m));
    OK(agentdb_memory_stop_background(m));
    EXPECT(agentdb_memory_start_background(m, 0, &o), AGENTDB_INVALID_ARGUMENT);
    /* Closing the database stops a schedule still running. */
    OK(agentdb_memory_start_background(m, 3600000, NULL));
    OK(agentdb_db_close(db));
    EXPECT(agentdb_memory_count(m, NULL, &count), AGENTDB_CLOSED);
    OK(agentdb_memory_close(m));
}

/* Times at the ends of int64 (the C-ABI fuzzer's finding 6, rust/fuzz/RESULTS.md): a memory
 * created at INT64_MIN recalled at INT64_MAX is as old as can be (recency 0); one created later
 * than the time of the recall has age 0 (recency 1). `now - last_accessed` overflowed: a panic
 * (AGENTDB_PANIC) with overflow checks, a wrapped age (recency 1 for the oldest memory) without. */
static void test_extreme_times(void) {
    agentdb_db *db;
    agentdb_memory *m;
    agentdb_memories *r;
    agentdb_memory_info info;
    const char *ids[] = {"old", "new"};
    float v[] = {1, 0, 0, 1};
    int64_t created[] = {INT64_MIN, INT64_MAX};
    float q[] = {1, 0};
    size_t n = 0, i;
    agentdb_recall_options o = weights(0, 1, 0, 100);
    agentdb_status st;
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_memory_open_or_create(db, "mem", 2, AGENTDB_METRIC_COSINE, &m));
    st = agentdb_memory_remember(m, "ann", NULL, AGENTDB_MEMORY_EPISODIC, 2, ids, NULL, v, 2, NULL, created, NULL, NULL);
    if (st == AGENTDB_OK) {
        int64_t nows[] = {INT64_MAX, INT64_MIN};
        int k;
        o.touch = false;
        for (k = 0; k < 2; k++) {
            o.now_us = nows[k];
            OK(agentdb_memory_recall(m, q, 2, 2, NULL, &o, &r));
            OK(agentdb_memories_count(r, &n));
            CHECK(n == 2);
            for (i = 0; i < n; i++) {
                OK(agentdb_memories_get(r, i, &info));
                /* At INT64_MIN both were last accessed "later" (age 0); at INT64_MAX only "new". */
                if (k == 1 || strcmp(info.id, "new") == 0) {
                    CHECK(info.recency == 1.0);
                } else {
                    CHECK(info.recency < 1e-12);
                }
            }
            OK(agentdb_memories_free(r));
        }
    } else {
        /* Rejecting such times is fine too, as long as it is a bad-argument status. */
        CHECK(st == AGENTDB_INVALID_ARGUMENT);
    }
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
}

static void test_bad_input(void) {
    agentdb_db *db;
    agentdb_memory *m, *m2;
    agentdb_memories *r;
    agentdb_collection *c;
    float v[] = {1, 0, 0};
    const char *dup[] = {"a"};
    agentdb_recall_options o = agentdb_recall_options_default();
    OK(agentdb_db_open(g_db_path, &db));
    EXPECT(agentdb_memory_open(db, "absent", &m), AGENTDB_COLLECTION_NOT_FOUND);
    CHECK(m == NULL);
    EXPECT(agentdb_memory_open_or_create(db, "../x", 2, AGENTDB_METRIC_COSINE, &m), AGENTDB_INVALID_NAME);
    EXPECT(agentdb_memory_open_or_create(db, "mem", 2, 9, &m), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_memory_open_or_create(db, NULL, 2, 0, &m), AGENTDB_NULL_POINTER);
    OK(fixture(db, &m));
    EXPECT(agentdb_memory_open_or_create(db, "mem", 2, AGENTDB_METRIC_L2, &m2), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_memory_remember(m, "ann", NULL, 9, 1, NULL, NULL, v, 2, NULL, NULL, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_memory_remember(m, "ann", NULL, 1, 1, NULL, NULL, v, 3, NULL, NULL, NULL, NULL), AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_memory_remember(m, "ann", NULL, 1, 1, dup, NULL, v, 2, NULL, NULL, NULL, NULL), AGENTDB_DUPLICATE_ID);
    EXPECT(agentdb_memory_remember(m, NULL, NULL, 1, 1, NULL, NULL, v, 2, NULL, NULL, NULL, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_memory_remember(m, "ann", NULL, 1, 1, NULL, NULL, v, 2, NULL, NULL, "[{\"kind\": 1}]", NULL), AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_memory_remember(m, "ann", NULL, 1, 1, NULL, NULL, v, 2, NULL, NULL, "[{}, {}]", NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_memory_recall(m, v, 3, 1, NULL, NULL, &r), AGENTDB_DIMENSION_MISMATCH);
    CHECK(r == NULL);
    EXPECT(agentdb_memory_recall(m, v, 2, 0, NULL, NULL, &r), AGENTDB_INVALID_ARGUMENT);
    o.half_life_s = 0;
    EXPECT(agentdb_memory_recall(m, NULL, 0, 1, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    o = agentdb_recall_options_default();
    o.struct_size = 8;
    EXPECT(agentdb_memory_recall(m, NULL, 0, 1, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    /* The store's collection is hidden: not listed, not reachable as a collection. */
    EXPECT(agentdb_collection_open(db, "_agentdb_memory_mem", &c), AGENTDB_INVALID_NAME);
    EXPECT(agentdb_collection_create(db, "_agentdb_mine", 2, AGENTDB_METRIC_L2, &c), AGENTDB_INVALID_NAME);
    {
        agentdb_strings *names;
        size_t n;
        OK(agentdb_collection_list(db, &names));
        OK(agentdb_strings_count(names, &n));
        CHECK(n == 0);
        OK(agentdb_strings_free(names));
    }
    OK(agentdb_memory_close(m));
    EXPECT(agentdb_memory_close(m), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_memory_dim(m, NULL), AGENTDB_NULL_POINTER);
    {
        size_t dim;
        EXPECT(agentdb_memory_dim(m, &dim), AGENTDB_INVALID_HANDLE);
        EXPECT(agentdb_memories_count((agentdb_memories *)db, &dim), AGENTDB_INVALID_HANDLE);
    }
    OK(agentdb_memory_drop(db, "mem"));
    EXPECT(agentdb_memory_drop(db, "mem"), AGENTDB_COLLECTION_NOT_FOUND);
    OK(agentdb_memories_free(NULL));
    OK(agentdb_memory_close(NULL));
    OK(agentdb_db_close(db));
}

/* Text and hybrid recall: memories found by their words (Chinese, with the ICU tokenizer kept
 * across reopening), the text score reported, the modes and their bad uses. */
static void test_text_recall(void) {
    agentdb_db *db;
    agentdb_memory *m;
    agentdb_memories *r;
    agentdb_memory_info info;
    size_t n, len;
    char name[16];
    const char *ids[] = {"d0", "d1", "d2"};
    const char *texts[] = {"北京是中华人民共和国的首都。", "熊猫主要生活在四川的山区，以竹子为食。", "深度学习使用多层神经网络。"};
    float v[] = {1, 0, 0, 1, 1, 1};
    float q[] = {1, 0};
    agentdb_recall_options o = agentdb_recall_options_default();
    CHECK(o.search_mode == AGENTDB_SEARCH_AUTO && o.fusion == AGENTDB_FUSION_LINEAR && o.query_text == NULL);
    CHECK(o.w_text > 0 && o.rrf_k > 0);
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_memory_open_or_create(db, "zh", 2, AGENTDB_METRIC_COSINE, &m));
    OK(agentdb_memory_text_tokenizer(m, name, sizeof name, &len));
    CHECK(strcmp(name, "simple") == 0 && len == 6);
    EXPECT(agentdb_memory_set_text_tokenizer(m, "jieba"), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_memory_set_text_tokenizer(m, NULL), AGENTDB_NULL_POINTER);
    OK(agentdb_memory_set_text_tokenizer(m, "icu"));
    OK(agentdb_memory_remember(m, "ann", NULL, AGENTDB_MEMORY_SEMANTIC, 3, ids, texts, v, 2, NULL, NULL, NULL, NULL));
    o.touch = false;
    o.query_text = "熊猫吃什么";
    /* No vector: text recall by default. */
    OK(agentdb_memory_recall(m, NULL, 0, 3, NULL, &o, &r));
    OK(agentdb_memories_count(r, &n));
    CHECK(n == 1);
    OK(agentdb_memories_get(r, 0, &info));
    CHECK(strcmp(info.id, "d1") == 0 && info.text_score > 0 && isnan(info.similarity));
    OK(agentdb_memories_free(r));
    /* Vector and text: hybrid, both signals reported; d1 (the text match) is among the hits. */
    OK(agentdb_memory_recall(m, q, 2, 3, NULL, &o, &r));
    OK(agentdb_memories_count(r, &n));
    CHECK(n == 3);
    {
        size_t i;
        int seen = 0;
        for (i = 0; i < n; i++) {
            OK(agentdb_memories_get(r, i, &info));
            CHECK(!isnan(info.similarity) && !isnan(info.text_score));
            if (strcmp(info.id, "d1") == 0) seen = info.text_score > 0;
        }
        CHECK(seen);
    }
    OK(agentdb_memories_free(r));
    /* Vector only: no text score. */
    o.search_mode = AGENTDB_SEARCH_VECTOR;
    OK(agentdb_memory_recall(m, q, 2, 1, NULL, &o, &r));
    OK(agentdb_memories_get(r, 0, &info));
    CHECK(strcmp(info.id, "d0") == 0 && isnan(info.text_score));
    OK(agentdb_memories_free(r));
    o.search_mode = AGENTDB_SEARCH_HYBRID;
    EXPECT(agentdb_memory_recall(m, NULL, 0, 1, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    o.search_mode = 7;
    EXPECT(agentdb_memory_recall(m, q, 2, 1, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    o.search_mode = AGENTDB_SEARCH_TEXT;
    o.fusion = 5;
    EXPECT(agentdb_memory_recall(m, q, 2, 1, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    o.fusion = AGENTDB_FUSION_LINEAR;
    o.rrf_k = 0;
    EXPECT(agentdb_memory_recall(m, q, 2, 1, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    o.rrf_k = 60;
    o.query_text = NULL;
    EXPECT(agentdb_memory_recall(m, q, 2, 1, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    /* A buffer too small for the name: an error, with the length needed. */
    EXPECT(agentdb_memory_text_tokenizer(m, name, 3, &len), AGENTDB_INVALID_ARGUMENT);
    CHECK(len == 3);
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
    /* Reopened: the tokenizer is the store's. */
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_memory_open(db, "zh", &m));
    OK(agentdb_memory_text_tokenizer(m, name, sizeof name, NULL));
    CHECK(strcmp(name, "icu") == 0);
    o.query_text = "神经网络";
    OK(agentdb_memory_recall(m, NULL, 0, 1, NULL, &o, &r));
    OK(agentdb_memories_get(r, 0, &info));
    CHECK(strcmp(info.id, "d2") == 0);
    OK(agentdb_memories_free(r));
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
}

/* Recall with a graph: the hits of plain recall, and the graph's facts about the entities the
 * query text names, valid at the recall's time, with their source memories. */
static void test_recall_with_graph(void) {
    agentdb_db *db;
    agentdb_memory *m;
    agentdb_graph *g;
    agentdb_memories *r, *plain;
    agentdb_graph_facts *f;
    agentdb_graph_fact x;
    agentdb_memory_info info, info2;
    const char *src_a[] = {"a"}, *src_b[] = {"b"}, *source = NULL;
    float q[] = {1, 0};
    size_t n, n2;
    agentdb_recall_options o = agentdb_recall_options_default();
    OK(agentdb_db_open(g_db_path, &db));
    OK(fixture(db, &m));
    OK(agentdb_graph_open(db, "people", 0, &g));
    OK(agentdb_graph_add_entity(g, "alice", "Alice", NULL, NULL, 0, NULL, 0, NULL, NULL));
    OK(agentdb_graph_declare_predicate(g, "drinks", true));
    OK(agentdb_graph_add_fact(g, "alice", "drinks", "tea", false, true, 100, false, 0, src_a, 1, 0.5, NULL));
    OK(agentdb_graph_add_fact(g, "alice", "drinks", "coffee", false, true, 200, false, 0, src_b, 1, -1, NULL));
    o.query_text = "what does alice drink";
    o.has_now = true;
    o.now_us = 150;
    o.touch = false;
    OK(agentdb_memory_recall_with_graph(m, g, q, 2, 3, NULL, &o, 0, &r, &f));
    OK(agentdb_memory_recall(m, q, 2, 3, NULL, &o, &plain));
    OK(agentdb_memories_count(r, &n));
    OK(agentdb_memories_count(plain, &n2));
    CHECK(n == n2 && n > 0);
    for (size_t i = 0; i < n; i++) {
        OK(agentdb_memories_get(r, i, &info));
        OK(agentdb_memories_get(plain, i, &info2));
        CHECK(strcmp(info.id, info2.id) == 0);
    }
    OK(agentdb_memories_free(plain));
    OK(agentdb_memories_free(r));
    CHECK(facts_count(f) == 1);
    OK(agentdb_graph_facts_get(f, 0, &x));
    CHECK(strcmp(x.object, "tea") == 0 && x.valid_from_us == 100 && x.has_valid_to && x.valid_to_us == 200);
    CHECK(x.confidence == 0.5 && x.n_sources == 1);
    OK(agentdb_graph_facts_source(f, 0, 0, &source));
    CHECK(strcmp(source, "a") == 0);
    OK(agentdb_graph_facts_free(f));
    o.now_us = 250;
    OK(agentdb_memory_recall_with_graph(m, g, q, 2, 3, NULL, &o, 1, &r, &f));
    OK(agentdb_graph_facts_get(f, 0, &x));
    CHECK(facts_count(f) == 1 && strcmp(x.object, "coffee") == 0 && !x.has_valid_to);
    OK(agentdb_graph_facts_free(f));
    OK(agentdb_memories_free(r));
    /* No query text, a bad handle: typed errors, both outputs NULL. */
    o.query_text = NULL;
    EXPECT(agentdb_memory_recall_with_graph(m, g, q, 2, 3, NULL, &o, 0, &r, &f), AGENTDB_INVALID_ARGUMENT);
    CHECK(r == NULL && f == NULL);
    o.query_text = "alice";
    EXPECT(agentdb_memory_recall_with_graph(m, NULL, q, 2, 3, NULL, &o, 0, &r, &f), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_memory_recall_with_graph(m, g, q, 2, 3, NULL, &o, 0, &r, NULL), AGENTDB_NULL_POINTER);
    OK(agentdb_graph_close(g));
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        {"recall_with_graph", test_recall_with_graph},
        {"recall_score", test_recall_score},
        {"recall_relevance_default", test_recall_relevance_default},
        {"statistics_persist", test_statistics_persist},
        {"filters_forget_update", test_filters_forget_update},
        {"consolidation", test_consolidation},
        {"background", test_background},
        {"extreme_times", test_extreme_times},
        {"bad_input", test_bad_input},
        {"text_recall", test_text_recall},
    };
    return run_tests("memory", tests, sizeof tests / sizeof tests[0], argc, argv);
}
