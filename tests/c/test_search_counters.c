/*
 * The process-wide search counters through the C ABI: agentdb_search_counters_get / _reset count
 * the graph walks of HNSW searches and whether a filtered search evaluated its filter or reused
 * the rows of the same filter (until a write); a bad struct_size or NULL is an error.
 */
#include "harness.h"

#define N 400
#define DIM 8

static float g_vecs[N * DIM];
static char g_id_buf[N][8];
static const char *g_ids[N];

static float next(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static agentdb_search_counters read_counters(void) {
    agentdb_search_counters c;
    memset(&c, 0, sizeof c);
    c.struct_size = (uint32_t)sizeof c;
    if (agentdb_search_counters_get(&c) != AGENTDB_OK) c.struct_size = 0;
    return c;
}

static void test_counters(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_results *r = NULL;
    agentdb_search_counters before, after, bad;
    char meta[N * 16 + 8];
    size_t i, d, at = 0;
    uint32_t state = 5;
    for (i = 0; i < N; i++) {
        for (d = 0; d < DIM; d++) g_vecs[i * DIM + d] = next(&state);
        snprintf(g_id_buf[i], sizeof g_id_buf[i], "v%zu", i);
        g_ids[i] = g_id_buf[i];
    }
    at += (size_t)snprintf(meta + at, sizeof meta - at, "[");
    for (i = 0; i < N; i++) at += (size_t)snprintf(meta + at, sizeof meta - at, "%s{\"tag\":%zu}", i ? "," : "", i % 100);
    snprintf(meta + at, sizeof meta - at, "]");
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_create(db, "vecs", DIM, AGENTDB_METRIC_L2, &c));
    OK(agentdb_collection_add(c, g_ids, N, g_vecs, DIM, NULL, meta));
    OK(agentdb_collection_create_index_with(c, NULL));

    OK(agentdb_search_counters_reset());
    before = read_counters();
    CHECK(before.struct_size == sizeof before);
    OK(agentdb_collection_search(c, g_vecs, DIM, 5, NULL, NULL, &r));
    agentdb_results_free(r);
    after = read_counters();
    /* Counters only grow (nothing else searches in this program): one walk, its work counted. */
    CHECK(after.searches == before.searches + 1);
    CHECK(after.expansions > before.expansions && after.distances > before.distances && after.bytes > before.bytes);

    /* A broad filter: evaluated once, then reused until a write. */
    before = read_counters();
    OK(agentdb_collection_search(c, g_vecs, DIM, 5, "tag >= 1", NULL, &r));
    agentdb_results_free(r);
    OK(agentdb_collection_search(c, g_vecs, DIM, 5, "tag >= 1", NULL, &r));
    agentdb_results_free(r);
    after = read_counters();
    CHECK(after.filters_evaluated == before.filters_evaluated + 1);
    CHECK(after.filters_reused == before.filters_reused + 1);
    OK(agentdb_collection_delete(c, g_ids, 1, NULL, NULL, NULL));
    OK(agentdb_collection_search(c, g_vecs, DIM, 5, "tag >= 1", NULL, &r));
    agentdb_results_free(r);
    CHECK(read_counters().filters_evaluated == after.filters_evaluated + 1);

    OK(agentdb_search_counters_reset());
    after = read_counters();
    CHECK(after.searches == 0 && after.bytes == 0 && after.filters_evaluated == 0 && after.filters_reused == 0);

    memset(&bad, 0, sizeof bad);
    bad.struct_size = 4;
    EXPECT(agentdb_search_counters_get(&bad), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("struct_size");
    EXPECT(agentdb_search_counters_get(NULL), AGENTDB_NULL_POINTER);
    agentdb_collection_close(c);
    agentdb_db_close(db);
}

static const struct test TESTS[] = {
    {"search counters: walks, filter evaluations and reuse, reset, bad struct_size", test_counters},
};

int main(int argc, char **argv) {
    return run_tests("C search counters", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
