/*
 * Handle lifetimes through the C ABI. C cannot free a db handle without closing the database
 * (`agentdb_db_close` is both), so a memory, RAG or collection handle never outlives an open
 * database: after `agentdb_db_close` each reports AGENTDB_CLOSED with a message, is still freed by
 * its own close call, and the database is closed for real (a new writer opens it and finds
 * everything written). The agent state goes through the db handle: AGENTDB_INVALID_HANDLE after.
 * Also: what `agentdb_memory_remember` is not given (kind, importance) is the engine's default.
 */
#include "harness.h"

#define DIM 4

static int32_t embed(void *user, const char *const *texts, size_t n, size_t dim, float *out) {
    size_t i, j;
    (void)user;
    (void)texts;
    for (i = 0; i < n; i++)
        for (j = 0; j < dim; j++) out[i * dim + j] = j == 0 ? 1.0f : 0.0f;
    return 0;
}

static const agentdb_rag_document DOC = {"doc", "One short paragraph about refunds.", NULL, 0, NULL};

static void test_handles_after_close(void) {
    agentdb_db *db = NULL;
    agentdb_memory *m = NULL;
    agentdb_rag *rag = NULL;
    agentdb_collection *c = NULL;
    agentdb_memories *got = NULL;
    agentdb_ingest_stats st;
    uint64_t count = 0, version = 0;
    float v[DIM] = {1, 0, 0, 0};
    float q[DIM] = {1, 0, 0, 0};
    const char *ids[] = {"m1"};

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_memory_open_or_create(db, "mem", DIM, AGENTDB_METRIC_COSINE, &m));
    OK(agentdb_rag_open_or_create(db, "kb", DIM, AGENTDB_METRIC_COSINE, &rag));
    OK(agentdb_collection_open_or_create(db, "docs", DIM, AGENTDB_METRIC_COSINE, &c));
    OK(agentdb_memory_remember(m, "ann", NULL, AGENTDB_MEMORY_EPISODIC, 1, ids, NULL, v, DIM, NULL, NULL, NULL, NULL));
    OK(agentdb_rag_ingest(rag, &DOC, 1, ingest_opts(0, false), embed, NULL, &st));
    OK(agentdb_state_put(db, "ann", "s", "k", "1", 0, &version));

    OK(agentdb_db_close(db));
    /* Every call on a handle of the closed database: CLOSED, with a message saying so. */
    EXPECT(agentdb_memory_count(m, NULL, &count), AGENTDB_CLOSED);
    CHECK_MSG("closed");
    EXPECT(agentdb_memory_remember(m, "ann", NULL, AGENTDB_MEMORY_EPISODIC, 1, NULL, NULL, v, DIM, NULL, NULL, NULL,
                                   NULL),
           AGENTDB_CLOSED);
    EXPECT(agentdb_memory_recall(m, q, DIM, 3, NULL, NULL, &got), AGENTDB_CLOSED);
    CHECK(got == NULL);
    EXPECT(agentdb_rag_ingest(rag, &DOC, 1, ingest_opts(0, true), embed, NULL, &st), AGENTDB_CLOSED);
    CHECK_MSG("closed");
    EXPECT(agentdb_collection_count(c, NULL, NULL, &count), AGENTDB_CLOSED);
    /* The state has no handle of its own: the freed db handle is reported. */
    EXPECT(agentdb_state_put(db, "ann", "s", "k", "2", 0, &version), AGENTDB_INVALID_HANDLE);

    /* The database is closed for real: a new writer opens it, and finds everything. */
    OK(agentdb_db_open(g_db_path, &db));
    {
        agentdb_memory *m2 = NULL;
        agentdb_state_versions *vs = NULL;
        size_t n = 0;
        OK(agentdb_memory_open(db, "mem", &m2));
        OK(agentdb_memory_count(m2, NULL, &count));
        CHECK(count == 1);
        OK(agentdb_memory_close(m2));
        OK(agentdb_state_get(db, "ann", "s", "k", &vs));
        OK(agentdb_state_versions_count(vs, &n));
        CHECK(n == 1);
        OK(agentdb_state_versions_free(vs));
    }
    /* The old handles still belong to the old, closed database... */
    EXPECT(agentdb_memory_count(m, NULL, &count), AGENTDB_CLOSED);
    /* ...and are freed as usual, after their database. */
    OK(agentdb_memory_close(m));
    OK(agentdb_rag_close(rag));
    OK(agentdb_collection_close(c));
    EXPECT(agentdb_memory_close(m), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_rag_close(rag), AGENTDB_INVALID_HANDLE);
    OK(agentdb_db_close(db));
}

/* Handles freed before their database: it stays open until agentdb_db_close (which also works). */
static void test_handles_freed_first(void) {
    agentdb_db *db = NULL, *other = NULL;
    agentdb_memory *m = NULL;
    agentdb_rag *rag = NULL;
    uint64_t count = 0;
    float v[DIM] = {0, 1, 0, 0};

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_memory_open_or_create(db, "mem", DIM, AGENTDB_METRIC_COSINE, &m));
    OK(agentdb_rag_open_or_create(db, "kb", DIM, AGENTDB_METRIC_COSINE, &rag));
    OK(agentdb_memory_remember(m, "ann", NULL, AGENTDB_MEMORY_EPISODIC, 1, NULL, NULL, v, DIM, NULL, NULL, NULL, NULL));
    OK(agentdb_memory_close(m));
    OK(agentdb_rag_close(rag));
    EXPECT(agentdb_db_open(g_db_path, &other), AGENTDB_DATABASE_LOCKED);
    CHECK(other == NULL);
    OK(agentdb_memory_open(db, "mem", &m));
    OK(agentdb_memory_count(m, NULL, &count));
    CHECK(count == 1);
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_db_close(db));
}

/* Kind and importance not given: the engine decides (episodic, 0.5). */
static void test_remember_defaults(void) {
    agentdb_db *db = NULL;
    agentdb_memory *m = NULL;
    agentdb_memories *got = NULL;
    agentdb_memory_info info;
    float v[2 * DIM] = {1, 0, 0, 0, 0, 1, 0, 0};
    double imp[] = {NAN, 0.9};
    const char *ids[] = {"a", "b"};
    const char *c_ids[] = {"c"};
    const char *all[] = {"a", "b", "c"};

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_memory_open_or_create(db, "mem", DIM, AGENTDB_METRIC_COSINE, &m));
    OK(agentdb_memory_remember(m, "ann", NULL, AGENTDB_MEMORY_KIND_DEFAULT, 2, ids, NULL, v, DIM, imp, NULL, NULL,
                               NULL));
    OK(agentdb_memory_remember(m, "ann", NULL, AGENTDB_MEMORY_SEMANTIC, 1, c_ids, NULL, v, DIM, NULL, NULL, NULL, NULL));
    EXPECT(agentdb_memory_remember(m, "ann", NULL, -2, 1, NULL, NULL, v, DIM, NULL, NULL, NULL, NULL),
           AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_memory_get(m, all, 3, &got));
    OK(agentdb_memories_get(got, 0, &info));
    CHECK(info.kind == AGENTDB_MEMORY_EPISODIC && info.importance == 0.5);
    OK(agentdb_memories_get(got, 1, &info));
    CHECK(info.kind == AGENTDB_MEMORY_EPISODIC && info.importance == 0.9);
    OK(agentdb_memories_get(got, 2, &info));
    CHECK(info.kind == AGENTDB_MEMORY_SEMANTIC && info.importance == 0.5);
    OK(agentdb_memories_free(got));
    OK(agentdb_memory_close(m));
    OK(agentdb_db_close(db));
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        {"handles_after_close", test_handles_after_close},
        {"handles_freed_first", test_handles_freed_first},
        {"remember_defaults", test_remember_defaults},
    };
    return run_tests("C handle lifetimes", tests, sizeof tests / sizeof tests[0], argc, argv);
}
