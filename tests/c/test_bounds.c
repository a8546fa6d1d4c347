/*
 * Bounds of the C ABI: every count and size is checked against the limits in agentdb.h
 * (AGENTDB_MAX_BATCH, AGENTDB_MAX_K, AGENTDB_MAX_DIM, AGENTDB_MAX_ID_LEN, AGENTDB_MAX_JSON_LEN) and
 * against the arrays actually given, before anything is read or allocated. Each case below used
 * to allocate by the count alone (and abort the process: "memory allocation failed"), panic, or
 * read past an array; now each returns a status and a message, and every record written before
 * is still there, unchanged.
 *
 * Also the filter-injection regressions of issue 11: a SQL filter is one expression, never text
 * pasted next to the engine's own conditions.
 *
 * Usage: test_bounds [name-substring]
 */
#include "harness.h"

#define HUGE_N ((size_t)1 << 40)   /* the count of the original report */
#define HUGER_N ((size_t)1 << 61)  /* n × sizeof(metadata map) overflows: used to panic */
#define ALLOC_N ((size_t)1 << 50)  /* fits a slice of small structs, not an allocation */

/* ---------------------------------------------------------------------------------------------- */
/* A collection of 5 records r1..r5 (3-d, L2): record i has vector (i, 0, 1).                     */

static const char *R_IDS[] = {"r1", "r2", "r3", "r4", "r5"};

static int open_five(agentdb_db **db, agentdb_collection **c) {
    float v[15];
    size_t i;
    for (i = 0; i < 5; i++) {
        v[3 * i] = (float)(i + 1);
        v[3 * i + 1] = 0;
        v[3 * i + 2] = 1;
    }
    if (agentdb_db_open(g_db_path, db) != AGENTDB_OK) return 0;
    if (agentdb_collection_create(*db, "five", 3, AGENTDB_METRIC_L2, c) != AGENTDB_OK) return 0;
    return agentdb_collection_add(*c, R_IDS, 5, v, 3, NULL, "[{\"n\": 1}, {\"n\": 2}, {\"n\": 3}, {\"n\": 4}, {\"n\": 5}]") ==
           AGENTDB_OK;
}

/* All 5 records are there, each with its vector and metadata, and nothing else. */
static int five_intact(agentdb_collection *c) {
    agentdb_records *rec = NULL;
    uint64_t count = 0;
    size_t n = 0, i;
    int ok = 1;
    if (agentdb_collection_count(c, NULL, NULL, &count) != AGENTDB_OK || count != 5) return 0;
    if (agentdb_collection_get(c, R_IDS, 5, NULL, NULL, 0, 0, &rec) != AGENTDB_OK) return 0;
    if (agentdb_records_count(rec, &n) != AGENTDB_OK || n != 5) ok = 0;
    for (i = 0; ok && i < 5; i++) {
        const char *id = NULL, *meta = NULL;
        const float *v = NULL;
        size_t dim = 0;
        char want[32];
        snprintf(want, sizeof want, "{\"n\":%zu}", i + 1);
        if (agentdb_records_get_id(rec, i, &id, NULL) != AGENTDB_OK || strcmp(id, R_IDS[i]) != 0) ok = 0;
        if (ok && (agentdb_records_get_vector(rec, i, &v, &dim) != AGENTDB_OK || dim != 3)) ok = 0;
        if (ok && (v[0] != (float)(i + 1) || v[1] != 0 || v[2] != 1)) ok = 0;
        if (ok && (agentdb_records_get_metadata(rec, i, &meta, NULL) != AGENTDB_OK || strcmp(meta, want) != 0)) ok = 0;
    }
    agentdb_records_free(rec);
    return ok;
}

/* A NUL-terminated string of `len` bytes: `[` + spaces + `]` (valid JSON of any size ≥ 2). */
static char *json_of_len(size_t len) {
    char *s = malloc(len + 1);
    if (s == NULL) return NULL;
    memset(s, ' ', len);
    s[0] = '[';
    s[len - 1] = ']';
    s[len] = '\0';
    return s;
}

/* ---------------------------------------------------------------------------------------------- */
/* Memory: the case of the report.                                                                 */

static size_t memory_count(agentdb_memory *m) {
    uint64_t n = UINT64_MAX;
    if (agentdb_memory_count(m, NULL, &n) != AGENTDB_OK) return SIZE_MAX;
    return (size_t)n;
}

static void test_remember_huge_count(void) {
    agentdb_db *db = NULL;
    agentdb_memory *m = NULL;
    agentdb_strings *ids = NULL;
    agentdb_memories *got = NULL;
    const char *mine[] = {"m1", "m2", "m3"};
    const float v[] = {1, 0, 0, 1, 1, 1};
    size_t n = 0;

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_memory_open_or_create(db, "mem", 2, AGENTDB_METRIC_COSINE, &m));
    OK(agentdb_memory_remember(m, "agent", NULL, AGENTDB_MEMORY_EPISODIC, 3, mine, NULL, v, 2, NULL, NULL, NULL, NULL));

    /* n = 2^40 with every array NULL (0 items given): allocated n metadata maps, then aborted. */
    ids = (agentdb_strings *)&ids; /* must be reset to NULL by the failing call */
    EXPECT(agentdb_memory_remember(m, "agent", NULL, AGENTDB_MEMORY_EPISODIC, HUGE_N, NULL, NULL, NULL, 0, NULL,
                                   NULL, NULL, &ids),
           AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("AGENTDB_MAX_BATCH");
    CHECK_MSG("1099511627776");
    CHECK(ids == NULL);
    /* n = 2^61: n maps overflowed the allocation size and panicked. */
    EXPECT(agentdb_memory_remember(m, "agent", NULL, AGENTDB_MEMORY_EPISODIC, HUGER_N, NULL, NULL, NULL, 0, NULL,
                                   NULL, NULL, &ids),
           AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("AGENTDB_MAX_BATCH");
    EXPECT(agentdb_memory_remember(m, "agent", NULL, AGENTDB_MEMORY_EPISODIC, SIZE_MAX, NULL, NULL, NULL, 0, NULL,
                                   NULL, NULL, NULL),
           AGENTDB_INVALID_ARGUMENT);
    /* With real arrays behind a lying count: refused before any of them is read. */
    EXPECT(agentdb_memory_remember(m, "agent", NULL, AGENTDB_MEMORY_EPISODIC, HUGE_N, mine, mine, v, 2, NULL, NULL,
                                   "[{}]", NULL),
           AGENTDB_INVALID_ARGUMENT);
    /* A count within the limit, but no vectors for it. */
    EXPECT(agentdb_memory_remember(m, "agent", NULL, AGENTDB_MEMORY_EPISODIC, AGENTDB_MAX_BATCH, NULL, NULL, NULL,
                                   0, NULL, NULL, NULL, NULL),
           AGENTDB_NULL_POINTER);
    CHECK_MSG("vectors");
    /* Vectors given, but dim 0: no vector for any of the n memories. */
    EXPECT(agentdb_memory_remember(m, "agent", NULL, AGENTDB_MEMORY_EPISODIC, AGENTDB_MAX_BATCH, NULL, NULL, v, 0,
                                   NULL, NULL, NULL, NULL),
           AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("dim is 0");
    /* dim past AGENTDB_MAX_DIM, and n × dim overflowing. */
    EXPECT(agentdb_memory_remember(m, "agent", NULL, AGENTDB_MEMORY_EPISODIC, 1, NULL, NULL, v, AGENTDB_MAX_DIM + 1,
                                   NULL, NULL, NULL, NULL),
           AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_memory_remember(m, "agent", NULL, AGENTDB_MEMORY_EPISODIC, 3, NULL, NULL, v, SIZE_MAX / 2, NULL,
                                   NULL, NULL, NULL),
           AGENTDB_DIMENSION_MISMATCH);
    /* Metadata for another number of memories. */
    EXPECT(agentdb_memory_remember(m, "agent", NULL, AGENTDB_MEMORY_EPISODIC, 2, NULL, NULL, v, 2, NULL, NULL,
                                   "[{}, {}, {}]", NULL),
           AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("3 entries");

    /* Everything remembered before is there, and nothing else. */
    CHECK(memory_count(m) == 3);
    OK(agentdb_memory_get(m, mine, 3, &got));
    OK(agentdb_memories_count(got, &n));
    CHECK(n == 3);
    OK(agentdb_memories_free(got));
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));

    /* And after reopening. */
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_memory_open(db, "mem", &m));
    CHECK(memory_count(m) == 3);
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
}

static void test_memory_other_counts(void) {
    agentdb_db *db = NULL;
    agentdb_memory *m = NULL;
    agentdb_memories *got = NULL;
    const char *mine[] = {"m1", "m2", "m3"};
    const float v[] = {1, 0, 0, 1, 1, 1};
    uint64_t deleted = 99;
    char long_id[AGENTDB_MAX_ID_LEN + 2];
    const char *long_ids[] = {long_id};

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_memory_open_or_create(db, "mem", 2, AGENTDB_METRIC_COSINE, &m));
    OK(agentdb_memory_remember(m, "agent", NULL, AGENTDB_MEMORY_EPISODIC, 3, mine, NULL, v, 2, NULL, NULL, NULL, NULL));

    EXPECT(agentdb_memory_get(m, NULL, HUGE_N, &got), AGENTDB_INVALID_ARGUMENT);
    CHECK(got == NULL);
    EXPECT(agentdb_memory_get(m, mine, HUGER_N, &got), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_memory_get(m, NULL, 2, &got), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_memory_forget(m, NULL, HUGE_N, NULL, &deleted), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_memory_forget(m, mine, HUGER_N, NULL, &deleted), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("AGENTDB_MAX_BATCH");
    EXPECT(agentdb_memory_forget(m, mine, AGENTDB_MAX_BATCH + 1, NULL, &deleted), AGENTDB_INVALID_ARGUMENT);
    /* k past AGENTDB_MAX_K, and candidates past it. */
    EXPECT(agentdb_memory_recall(m, v, 2, AGENTDB_MAX_K + 1, NULL, NULL, &got), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("k must be between 1 and 100000");
    EXPECT(agentdb_memory_recall(m, v, 2, SIZE_MAX, NULL, NULL, &got), AGENTDB_INVALID_ARGUMENT);
    {
        agentdb_recall_options o = agentdb_recall_options_default();
        o.candidates = SIZE_MAX;
        EXPECT(agentdb_memory_recall(m, v, 2, 1, NULL, &o, &got), AGENTDB_INVALID_ARGUMENT);
        CHECK_MSG("candidates");
    }
    /* A query dimension no store has, read as 4 TB before: refused before it is read. */
    EXPECT(agentdb_memory_recall(m, v, (size_t)1 << 40, 1, NULL, NULL, &got), AGENTDB_DIMENSION_MISMATCH);
    CHECK_MSG("AGENTDB_MAX_DIM");
    /* update copied `dim` floats before checking them: 2^40 floats (4 TB) aborted the process. */
    EXPECT(agentdb_memory_update(m, "m1", false, NULL, NAN, v, (size_t)1 << 40, NULL), AGENTDB_DIMENSION_MISMATCH);
    /* An id past AGENTDB_MAX_ID_LEN is refused before it is copied. */
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    EXPECT(agentdb_memory_remember(m, "agent", NULL, AGENTDB_MEMORY_EPISODIC, 1, long_ids, NULL, v, 2, NULL, NULL, NULL,
                                   NULL),
           AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("ids[0]");

    CHECK(memory_count(m) == 3);
    {
        agentdb_memory_info info;
        OK(agentdb_memory_get(m, mine, 3, &got));
        OK(agentdb_memories_get(got, 0, &info));
        CHECK(info.dim == 2 && info.vector[0] == 1 && info.vector[1] == 0);
        OK(agentdb_memories_free(got));
    }
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
}

/* ---------------------------------------------------------------------------------------------- */
/* Collections                                                                                     */

static void test_write_counts(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    const float v[] = {9, 9, 9, 8, 8, 8};
    const char *two[] = {"r1", "new"};
    char long_id[AGENTDB_MAX_ID_LEN + 2];
    const char *long_ids[] = {long_id};

    CHECK(open_five(&db, &c));
    EXPECT(agentdb_collection_add(c, NULL, HUGE_N, NULL, 0, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("AGENTDB_MAX_BATCH");
    EXPECT(agentdb_collection_upsert(c, NULL, HUGE_N, NULL, 0, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_add(c, NULL, HUGER_N, NULL, 3, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    /* Real arrays of 2 behind a lying count: refused before they are read. */
    EXPECT(agentdb_collection_upsert(c, two, HUGE_N, v, 3, two, "[{}, {}]"), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_upsert(c, two, AGENTDB_MAX_BATCH + 1, v, 3, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_upsert(c, two, SIZE_MAX, v, 3, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    /* Arrays that are required for n > 0. */
    EXPECT(agentdb_collection_upsert(c, NULL, 2, v, 3, NULL, NULL), AGENTDB_NULL_POINTER);
    CHECK_MSG("ids");
    EXPECT(agentdb_collection_upsert(c, two, 2, NULL, 3, NULL, NULL), AGENTDB_NULL_POINTER);
    CHECK_MSG("vectors");
    EXPECT(agentdb_collection_upsert(c, two, 2, NULL, 0, NULL, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_upsert(c, two, 2, v, 0, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("dim is 0");
    /* dim past AGENTDB_MAX_DIM; n × dim overflowing. */
    EXPECT(agentdb_collection_upsert(c, two, 2, v, AGENTDB_MAX_DIM + 1, NULL, NULL), AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_collection_upsert(c, two, 2, v, SIZE_MAX / 2 + 1, NULL, NULL), AGENTDB_DIMENSION_MISMATCH);
    /* Metadata for another number of records. */
    EXPECT(agentdb_collection_upsert(c, two, 2, v, 3, NULL, "[{}]"), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("1 entries for n = 2");
    EXPECT(agentdb_collection_upsert(c, two, 2, v, 3, NULL, "[{}, {}, {}]"), AGENTDB_INVALID_ARGUMENT);
    /* An id past AGENTDB_MAX_ID_LEN. */
    memset(long_id, 'y', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    EXPECT(agentdb_collection_add(c, long_ids, 1, v, 3, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("1025 bytes");
    long_id[AGENTDB_MAX_ID_LEN] = '\0'; /* exactly the limit: accepted */
    OK(agentdb_collection_add(c, long_ids, 1, v, 3, NULL, NULL));
    OK(agentdb_collection_delete(c, long_ids, 1, NULL, NULL, NULL));
    /* n = 0 needs no arrays. */
    OK(agentdb_collection_upsert(c, NULL, 0, NULL, 0, NULL, NULL));
    CHECK(five_intact(c));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_read_counts(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_records *rec = NULL;
    agentdb_results *r = NULL;
    uint64_t deleted = 99;
    size_t n = 0;
    const float q[] = {1, 0, 1, 2, 0, 1};
    const char *three[] = {"r1", "r2", "r3"};
    const char *id = NULL;

    CHECK(open_five(&db, &c));
    /* get / delete by ids: the count is checked before the ids are read. */
    EXPECT(agentdb_collection_get(c, NULL, HUGE_N, NULL, NULL, 0, 0, &rec), AGENTDB_INVALID_ARGUMENT);
    CHECK(rec == NULL);
    EXPECT(agentdb_collection_get(c, three, HUGER_N, NULL, NULL, 0, 0, &rec), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_delete(c, NULL, HUGE_N, NULL, NULL, &deleted), AGENTDB_INVALID_ARGUMENT);
    CHECK(deleted == 0);
    EXPECT(agentdb_collection_delete(c, three, HUGER_N, "TRUE", NULL, &deleted), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_delete(c, three, AGENTDB_MAX_BATCH + 1, NULL, NULL, &deleted), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("AGENTDB_MAX_BATCH");
    /* limit + offset overflowing: the limit is clamped, not wrapped around (which returned 0). */
    OK(agentdb_collection_get(c, three, 3, NULL, NULL, SIZE_MAX, 1, &rec));
    OK(agentdb_records_count(rec, &n));
    CHECK(n == 2);
    OK(agentdb_records_get_id(rec, 0, &id, NULL));
    CHECK(strcmp(id, "r2") == 0);
    OK(agentdb_records_free(rec));
    rec = NULL;
    OK(agentdb_collection_get(c, NULL, 0, NULL, NULL, SIZE_MAX, 2, &rec));
    OK(agentdb_records_count(rec, &n));
    CHECK(n == 3);
    OK(agentdb_records_free(rec));
    rec = NULL;
    EXPECT(agentdb_collection_get(c, NULL, 0, NULL, NULL, 1, SIZE_MAX, &rec), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("offset");
    /* Search: k, the number of queries, the dimension. */
    EXPECT(agentdb_collection_search(c, q, 3, AGENTDB_MAX_K + 1, NULL, NULL, &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("k must be between 1 and 100000");
    EXPECT(agentdb_collection_search(c, q, 3, SIZE_MAX, NULL, NULL, &r), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_search_batch(c, NULL, HUGE_N, 3, 1, NULL, NULL, &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("AGENTDB_MAX_BATCH");
    EXPECT(agentdb_collection_search_batch(c, q, HUGER_N, 3, 1, NULL, NULL, &r), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_search_batch(c, q, AGENTDB_MAX_BATCH + 1, 3, 1, NULL, NULL, &r), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_search_batch(c, NULL, 2, 3, 1, NULL, NULL, &r), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_search(c, q, SIZE_MAX, 1, NULL, NULL, &r), AGENTDB_DIMENSION_MISMATCH);
    CHECK_MSG("AGENTDB_MAX_DIM");
    EXPECT(agentdb_collection_search_batch(c, q, 2, AGENTDB_MAX_DIM + 1, 1, NULL, NULL, &r), AGENTDB_DIMENSION_MISMATCH);
    CHECK(r == NULL);
    /* The limits themselves are accepted. */
    OK(agentdb_collection_search_batch(c, q, 2, 3, AGENTDB_MAX_K, NULL, NULL, &r));
    OK(agentdb_results_count(r, 1, &n));
    CHECK(n == 5);
    OK(agentdb_results_get_id(r, 1, 0, &id, NULL));
    CHECK(strcmp(id, "r2") == 0);
    OK(agentdb_results_free(r));
    CHECK(five_intact(c));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

/* A JSON text past AGENTDB_MAX_JSON_LEN is refused before it is parsed; one at the limit is read. */
static void test_json_size(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_records *rec = NULL;
    agentdb_state_versions *ver = NULL;
    const char *two[] = {"a", "b"};
    const float v[] = {1, 0, 0, 0, 1, 0};
    char *big = json_of_len(AGENTDB_MAX_JSON_LEN + 1);
    CHECK(big != NULL);

    CHECK(open_five(&db, &c));
    EXPECT(agentdb_collection_add(c, two, 2, v, 3, NULL, big), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("AGENTDB_MAX_JSON_LEN");
    EXPECT(agentdb_collection_get(c, NULL, 0, NULL, big, 0, 0, &rec), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("filter_json");
    EXPECT(agentdb_state_put(db, "agent", "s", "k", big, 0, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("value_json");
    /* At the limit: parsed (an empty array is a JSON value, but no metadata for 2 records). */
    big[AGENTDB_MAX_JSON_LEN - 1] = ']';
    big[AGENTDB_MAX_JSON_LEN] = '\0';
    EXPECT(agentdb_collection_add(c, two, 2, v, 3, NULL, big), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("0 entries for n = 2");
    free(big);
    OK(agentdb_state_get(db, "agent", "s", "k", &ver));
    {
        size_t n = 1;
        OK(agentdb_state_versions_count(ver, &n));
        CHECK(n == 0);
    }
    OK(agentdb_state_versions_free(ver));
    CHECK(five_intact(c));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

/* ---------------------------------------------------------------------------------------------- */
/* Agent state and checkpoints                                                                     */

static void test_state_counts(void) {
    agentdb_db *db = NULL;
    agentdb_state_entries *e = NULL;
    agentdb_pending_writes *pw = NULL;
    const char *keys[] = {"a", "b"};
    const char *values[] = {"1", "2"};
    uint64_t versions[2] = {0, 0};
    agentdb_write w = {0, "chan", NULL, (const uint8_t *)"v", 1};
    size_t n = 0;

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_state_put_many(db, "agent", "s", keys, values, 2, 0, versions));
    CHECK(versions[0] == 1 && versions[1] == 1);
    OK(agentdb_checkpoint_put(db, "t", "", "c1", (const uint8_t *)"x", 1, NULL, NULL, NULL));
    OK(agentdb_checkpoint_put_writes(db, "t", "", "c1", "task", NULL, &w, 1));

    EXPECT(agentdb_state_put_many(db, "agent", "s", NULL, NULL, HUGE_N, 0, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("AGENTDB_MAX_BATCH");
    EXPECT(agentdb_state_put_many(db, "agent", "s", keys, values, HUGER_N, 0, versions), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_state_put_many(db, "agent", "s", NULL, values, 2, 0, versions), AGENTDB_NULL_POINTER);
    CHECK_MSG("keys");
    EXPECT(agentdb_state_put_many(db, "agent", "s", keys, NULL, 2, 0, versions), AGENTDB_NULL_POINTER);
    CHECK_MSG("values_json");
    /* 2^50 writes of 40 bytes fit a slice, not an allocation of 2^50 decoded writes: that
     * allocation came first and aborted the process. */
    EXPECT(agentdb_checkpoint_put_writes(db, "t", "", "c1", "task2", NULL, &w, ALLOC_N), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("AGENTDB_MAX_BATCH");
    EXPECT(agentdb_checkpoint_put_writes(db, "t", "", "c1", "task2", NULL, NULL, HUGE_N), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_checkpoint_put_writes(db, "t", "", "c1", "task2", NULL, NULL, 1), AGENTDB_NULL_POINTER);

    /* What was written before is all there, at version 1. */
    OK(agentdb_state_snapshot(db, "agent", "s", NULL, &e));
    OK(agentdb_state_entries_count(e, &n));
    CHECK(n == 2);
    OK(agentdb_state_entries_free(e));
    OK(agentdb_checkpoint_get_writes(db, "t", "", "c1", &pw));
    OK(agentdb_pending_writes_count(pw, &n));
    CHECK(n == 1);
    OK(agentdb_pending_writes_free(pw));
    OK(agentdb_db_close(db));
}

/* ---------------------------------------------------------------------------------------------- */
/* RAG                                                                                             */

#define RDIM 4

static int32_t embed4(void *user, const char *const *texts, size_t n, size_t dim, float *out) {
    size_t i;
    (void)user;
    if (dim != RDIM) return 1;
    for (i = 0; i < n; i++) {
        out[i * dim] = 1;
        out[i * dim + 1] = (float)strlen(texts[i]);
        out[i * dim + 2] = 0;
        out[i * dim + 3] = 0;
    }
    return 0;
}

static size_t rag_hits(agentdb_rag *rag) {
    agentdb_rag_hits *hits = NULL;
    agentdb_rag_options o = agentdb_rag_search_options_default();
    const float q[RDIM] = {1, 1, 0, 0};
    size_t n = SIZE_MAX;
    o.mode = AGENTDB_RAG_VECTOR;
    o.k = 10;
    if (agentdb_rag_search(rag, NULL, q, RDIM, &o, NULL, NULL, &hits) != AGENTDB_OK) return SIZE_MAX;
    if (agentdb_rag_hits_count(hits, &n) != AGENTDB_OK) n = SIZE_MAX;
    agentdb_rag_hits_free(hits);
    return n;
}

static void test_rag_counts(void) {
    agentdb_db *db = NULL;
    agentdb_rag *rag = NULL;
    agentdb_rag_hits *hits = NULL;
    agentdb_context *ctx = NULL;
    agentdb_ingest_stats st;
    agentdb_rag_document docs[2] = {
        {"d1", "The first document.", NULL, AGENTDB_TEXT_PLAIN, NULL},
        {"d2", "The second one, a little longer.", NULL, AGENTDB_TEXT_PLAIN, "{\"lang\": \"en\"}"},
    };
    const char *doc_ids[] = {"d1", "d2"};
    const float q[RDIM] = {1, 1, 0, 0};
    uint64_t deleted = 99;
    agentdb_rag_options o = agentdb_rag_search_options_default();

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_rag_open_or_create(db, "kb", RDIM, AGENTDB_METRIC_COSINE, &rag));
    OK(agentdb_rag_ingest(rag, docs, 2, ingest_opts(0, false), embed4, NULL, &st));
    CHECK(st.added == 2);
    CHECK(rag_hits(rag) == 2);

    EXPECT(agentdb_rag_ingest(rag, NULL, HUGE_N, ingest_opts(0, false), embed4, NULL, &st), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("AGENTDB_MAX_BATCH");
    CHECK(st.added == 0);
    /* 2^50 documents of 40 bytes fit a slice; 2^50 decoded ones were allocated first: abort. */
    EXPECT(agentdb_rag_ingest(rag, docs, ALLOC_N, ingest_opts(0, true), embed4, NULL, &st), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_rag_ingest(rag, NULL, 1, ingest_opts(0, true), embed4, NULL, &st), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_rag_delete(rag, NULL, HUGE_N, &deleted), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_rag_delete(rag, doc_ids, HUGER_N, &deleted), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("AGENTDB_MAX_BATCH");
    EXPECT(agentdb_rag_delete(rag, NULL, 1, &deleted), AGENTDB_NULL_POINTER);
    /* k and the query dimension. */
    o.mode = AGENTDB_RAG_VECTOR;
    o.k = AGENTDB_MAX_K + 1;
    EXPECT(agentdb_rag_search(rag, NULL, q, RDIM, &o, NULL, NULL, &hits), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("options->k");
    CHECK(hits == NULL);
    EXPECT(agentdb_rag_context(rag, NULL, q, RDIM, 100, &o, NULL, NULL, &ctx), AGENTDB_INVALID_ARGUMENT);
    CHECK(ctx == NULL);
    o.k = 1;
    EXPECT(agentdb_rag_search(rag, NULL, q, (size_t)1 << 40, &o, NULL, NULL, &hits), AGENTDB_DIMENSION_MISMATCH);
    CHECK_MSG("AGENTDB_MAX_DIM");
    EXPECT(agentdb_rag_context(rag, NULL, q, SIZE_MAX, 100, &o, NULL, NULL, &ctx), AGENTDB_DIMENSION_MISMATCH);

    CHECK(rag_hits(rag) == 2);
    OK(agentdb_rag_close(rag));
    OK(agentdb_db_close(db));
}

/* ---------------------------------------------------------------------------------------------- */
/* Filter injection (issue 11, case 1 and 2): may fail until the engine parses filters.            */

static void test_filter_cannot_widen_delete(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    uint64_t deleted = 99;
    const char *r1[] = {"r1"};

    CHECK(open_five(&db, &c));
    /* Pasted inside the engine's parentheses, the `)` closed them: all 5 records were deleted. */
    EXPECT(agentdb_collection_delete(c, r1, 1, "FALSE) OR (TRUE", NULL, &deleted), AGENTDB_INVALID_FILTER);
    CHECK(deleted == 0);
    CHECK(five_intact(c));
    /* The same shape with a filter alone, and in reads. */
    EXPECT(agentdb_collection_delete(c, NULL, 0, "FALSE) OR (TRUE", NULL, &deleted), AGENTDB_INVALID_FILTER);
    {
        agentdb_records *rec = NULL;
        agentdb_results *r = NULL;
        uint64_t n = 0;
        const float q[] = {1, 0, 1};
        EXPECT(agentdb_collection_get(c, r1, 1, "FALSE) OR (TRUE", NULL, 0, 0, &rec), AGENTDB_INVALID_FILTER);
        CHECK(rec == NULL);
        EXPECT(agentdb_collection_count(c, "FALSE) OR (TRUE", NULL, &n), AGENTDB_INVALID_FILTER);
        EXPECT(agentdb_collection_search(c, q, 3, 5, "FALSE) OR (TRUE", NULL, &r), AGENTDB_INVALID_FILTER);
        CHECK(r == NULL);
    }
    /* A genuine filter next to ids still works: the intersection. */
    OK(agentdb_collection_delete(c, r1, 1, "n = 2", NULL, &deleted));
    CHECK(deleted == 0);
    CHECK(five_intact(c));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_filter_trailing_text(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    uint64_t n = 99;

    CHECK(open_five(&db, &c));
    /* Trailing text was ignored: "TRUE garbage" counted 5, "n = 1 n = 2" counted 1. */
    EXPECT(agentdb_collection_count(c, "TRUE garbage", NULL, &n), AGENTDB_INVALID_FILTER);
    CHECK(n == 0);
    EXPECT(agentdb_collection_count(c, "n = 1 n = 2", NULL, &n), AGENTDB_INVALID_FILTER);
    OK(agentdb_collection_count(c, "n = 1 OR n = 2", NULL, &n));
    CHECK(n == 2);
    CHECK(five_intact(c));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        {"remember_huge_count", test_remember_huge_count},
        {"memory_other_counts", test_memory_other_counts},
        {"write_counts", test_write_counts},
        {"read_counts", test_read_counts},
        {"json_size", test_json_size},
        {"state_counts", test_state_counts},
        {"rag_counts", test_rag_counts},
        {"filter_cannot_widen_delete", test_filter_cannot_widen_delete},
        {"filter_trailing_text", test_filter_trailing_text},
    };
    return run_tests("bounds", tests, sizeof tests / sizeof tests[0], argc, argv);
}
