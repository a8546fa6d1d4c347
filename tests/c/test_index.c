/*
 * Index kinds through the C ABI: agentdb_collection_create_index_with (HNSW with int8 quantization, Lance's
 * IVF_PQ), agentdb_collection_index_describe, and the version-2 fields of agentdb_search_options (nprobes,
 * refine_factor), including a caller built against the version-1 struct.
 */
#include "harness.h"

#include <stddef.h>

#define N 1000
#define DIM 16

static float g_vecs[N * DIM];
static char g_id_buf[N][8];
static const char *g_ids[N];

/* 1000 deterministic vectors around 20 centres (a clustered set, like real embeddings). */
static float next(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static void make_data(void) {
    uint32_t state = 99;
    float centres[20 * DIM];
    size_t i, d;
    for (i = 0; i < 20 * DIM; i++) centres[i] = next(&state) * 4.0f;
    for (i = 0; i < N; i++) {
        for (d = 0; d < DIM; d++) g_vecs[i * DIM + d] = centres[(i % 20) * DIM + d] + next(&state) * 0.5f;
        snprintf(g_id_buf[i], sizeof g_id_buf[i], "v%zu", i);
        g_ids[i] = g_id_buf[i];
    }
}

/* Hits of `opts` among the exact 10 nearest, over 20 stored vectors as queries (of 200). */
static int overlap(agentdb_collection *c, const agentdb_search_options *opts, int *out) {
    agentdb_search_options exact = agentdb_search_options_default();
    size_t q, a, b, na, nb;
    exact.exact = true;
    *out = 0;
    for (q = 0; q < N; q += 50) {
        agentdb_results *got = NULL, *want = NULL;
        if (agentdb_collection_search_with(c, &g_vecs[q * DIM], DIM, 10, NULL, NULL, opts, &got) != AGENTDB_OK) return -1;
        if (agentdb_collection_search_with(c, &g_vecs[q * DIM], DIM, 10, NULL, NULL, &exact, &want) != AGENTDB_OK) return -1;
        agentdb_results_count(got, 0, &na);
        agentdb_results_count(want, 0, &nb);
        for (a = 0; a < na; a++) {
            const char *ga;
            agentdb_results_get_id(got, 0, a, &ga, NULL);
            for (b = 0; b < nb; b++) {
                const char *wb;
                agentdb_results_get_id(want, 0, b, &wb, NULL);
                if (strcmp(ga, wb) == 0) (*out)++;
            }
        }
        agentdb_results_free(got);
        agentdb_results_free(want);
    }
    return 0;
}

static agentdb_db *g_db;
static agentdb_collection *g_c;

static int open_filled(void) {
    make_data();
    if (agentdb_db_open(g_db_path, &g_db) != AGENTDB_OK) return -1;
    if (agentdb_collection_create(g_db, "vecs", DIM, AGENTDB_METRIC_L2, &g_c) != AGENTDB_OK) return -1;
    return agentdb_collection_add(g_c, g_ids, N, g_vecs, DIM, NULL, NULL) == AGENTDB_OK ? 0 : -1;
}

static void close_all(void) {
    agentdb_collection_close(g_c);
    agentdb_db_close(g_db);
}

static void test_hnsw_int8(void) {
    agentdb_index_options o = agentdb_index_options_default(), d = agentdb_index_options_default();
    agentdb_search_options s = agentdb_search_options_default();
    bool has = true;
    int hits = 0;
    CHECK(open_filled() == 0);
    OK(agentdb_collection_index_describe(g_c, &has, &d));
    CHECK(!has);
    o.m = 12;
    o.quantization = "int8";
    OK(agentdb_collection_create_index_with(g_c, &o));
    OK(agentdb_collection_index_describe(g_c, &has, &d));
    CHECK(has && strcmp(d.kind, "hnsw") == 0 && strcmp(d.quantization, "int8") == 0);
    CHECK(d.m == 12 && d.ef_construction == 200 && d.partitions == 0);
    s.ef = 64;
    CHECK(overlap(g_c, &s, &hits) == 0);
    CHECK(hits >= 180);
    /* Bad kind / quantization / parameter of another kind / wrong struct_size. */
    o = agentdb_index_options_default();
    o.kind = "flat";
    EXPECT(agentdb_collection_create_index_with(g_c, &o), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("supported kinds");
    o.kind = NULL;
    o.quantization = "int4";
    EXPECT(agentdb_collection_create_index_with(g_c, &o), AGENTDB_INVALID_ARGUMENT);
    o.quantization = NULL;
    o.partitions = 4;
    EXPECT(agentdb_collection_create_index_with(g_c, &o), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("partitions does not apply");
    o = agentdb_index_options_default();
    o.struct_size = 8;
    EXPECT(agentdb_collection_create_index_with(g_c, &o), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_index_describe(g_c, &has, NULL), AGENTDB_NULL_POINTER);
    /* The index is unchanged by the failures; NULL options: the default HNSW. */
    OK(agentdb_collection_index_describe(g_c, &has, &d));
    CHECK(has && strcmp(d.quantization, "int8") == 0);
    OK(agentdb_collection_create_index_with(g_c, NULL));
    OK(agentdb_collection_index_describe(g_c, &has, &d));
    CHECK(has && d.m == 16 && strcmp(d.quantization, "none") == 0);
    close_all();
}

static void test_hnsw_rabitq(void) {
    agentdb_index_options o = agentdb_index_options_default(), d = agentdb_index_options_default();
    agentdb_search_options s = agentdb_search_options_default();
    bool has = false;
    int hits = 0;
    CHECK(open_filled() == 0);
    o.quantization = "rabitq";
    OK(agentdb_collection_create_index_with(g_c, &o));
    OK(agentdb_collection_index_describe(g_c, &has, &d));
    CHECK(has && strcmp(d.kind, "hnsw") == 0 && strcmp(d.quantization, "rabitq") == 0);
    s.ef = 128;
    CHECK(overlap(g_c, &s, &hits) == 0);
    CHECK(hits >= 160);
    close_all();
}

/* agentdb_search_options as a program built against the first header declared it. */
struct search_options_v1 {
    uint32_t struct_size;
    size_t ef;
    bool exact;
    size_t threads;
    bool ids_only;
};

static void test_ivf_pq(void) {
    agentdb_index_options o = agentdb_index_options_default(), d = agentdb_index_options_default();
    agentdb_search_options s = agentdb_search_options_default();
    struct search_options_v1 v1 = {sizeof(struct search_options_v1), 0, false, 0, true};
    agentdb_results *r = NULL;
    bool has = false;
    size_t m = 99, n = 0;
    int hits = 0;
    CHECK(offsetof(agentdb_search_options, nprobes) == sizeof(struct search_options_v1));
    CHECK(open_filled() == 0);
    o.kind = "ivf_pq";
    o.sub_vectors = 5; /* does not divide 16 */
    EXPECT(agentdb_collection_create_index_with(g_c, &o), AGENTDB_INVALID_ARGUMENT);
    o.sub_vectors = 4;
    o.partitions = 8;
    OK(agentdb_collection_create_index_with(g_c, &o));
    OK(agentdb_collection_index_describe(g_c, &has, &d));
    CHECK(has && strcmp(d.kind, "ivf_pq") == 0 && d.partitions == 8 && d.sub_vectors == 4 && d.quantization == NULL);
    /* The old inspection call: an index, but not HNSW (m is 0). */
    OK(agentdb_collection_index_params(g_c, &has, &m, NULL));
    CHECK(has && m == 0);
    /* Every partition probed, a wide re-rank: the exact neighbours. */
    s.nprobes = 8;
    s.refine_factor = 50;
    CHECK(overlap(g_c, &s, &hits) == 0);
    CHECK(hits >= 198);
    s.refine_factor = 0;
    s.nprobes = 0;
    /* A version-1 caller (smaller struct_size) still works, with the defaults for the new fields. */
    OK(agentdb_collection_search_with(g_c, g_vecs, DIM, 3, NULL, NULL, (const agentdb_search_options *)&v1, &r));
    OK(agentdb_results_count(r, 0, &n));
    CHECK(n == 3);
    agentdb_results_free(r);
    r = NULL;
    s.struct_size = (uint32_t)sizeof(agentdb_search_options) + 8;
    EXPECT(agentdb_collection_search_with(g_c, g_vecs, DIM, 3, NULL, NULL, &s, &r), AGENTDB_INVALID_ARGUMENT);
    s = agentdb_search_options_default();
    s.refine_factor = 100001;
    EXPECT(agentdb_collection_search_with(g_c, g_vecs, DIM, 3, NULL, NULL, &s, &r), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_collection_drop_index(g_c));
    OK(agentdb_collection_index_describe(g_c, &has, &d));
    CHECK(!has && d.kind == NULL);
    close_all();
}

static const struct test TESTS[] = {
    {"index kinds: hnsw int8 through create_index_with", test_hnsw_int8},
    {"index kinds: hnsw rabitq through create_index_with", test_hnsw_rabitq},
    {"index kinds: ivf_pq, nprobes, refine_factor, v1 search options", test_ivf_pq},
};

int main(int argc, char **argv) {
    return run_tests("C index", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
