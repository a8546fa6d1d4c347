/*
 * The collection fixture shared by test_collection.c and test_collection_search.c: four records in
 * 3-D with documents and metadata, and checks of the hits a search returns.
 */
#ifndef AGENTDB_TEST_COLLECTION_FIXTURE_H
#define AGENTDB_TEST_COLLECTION_FIXTURE_H

#include "harness.h"

/* ---------------------------------------------------------------------------------------------- */
/* Fixtures                                                                                       */

/* Four records in 3-D, l2 (squared Euclidean) distance:
 *   a = (1,0,0) lang=en year=2020          d² to q=(1,0,0): 0
 *   b = (0,1,0) lang=fr year=2021          2
 *   c = (0,0,1) lang=en year=2022 tags     2
 *   d = (1,1,0) lang=en year=2019 when     1
 */
static const char *const IDS[] = {"a", "b", "c", "d"};
static const float VECS[] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0};
static const char *const DOCS[] = {"alpha", "beta", NULL, "delta"};
static const char *const META =
    "[{\"lang\": \"en\", \"year\": 2020},"
    " {\"lang\": \"fr\", \"year\": 2021},"
    " {\"lang\": \"en\", \"year\": 2022, \"tags\": [\"x\", \"y\"]},"
    " {\"lang\": \"en\", \"year\": 2019, \"when\": {\"$datetime\": \"2024-05-01T12:00:00Z\"}}]";

/* Opens g_db_path with collection "docs" (dim 3, l2) holding the four records above. */
static inline int open_fixture(agentdb_db **db, agentdb_collection **c) {
    if (agentdb_db_open(g_db_path, db) != AGENTDB_OK) return 0;
    if (agentdb_collection_create(*db, "docs", 3, AGENTDB_METRIC_L2, c) != AGENTDB_OK) return 0;
    return agentdb_collection_add(*c, IDS, 4, VECS, 3, DOCS, META) == AGENTDB_OK;
}

static inline uint64_t count_of(agentdb_collection *c) {
    uint64_t n = UINT64_MAX;
    if (agentdb_collection_count(c, NULL, NULL, &n) != AGENTDB_OK) return UINT64_MAX;
    return n;
}

/* Checks hit `row` of query `q`: its id and distance. */
static inline int hit_is(agentdb_results *r, size_t q, size_t row, const char *id, float distance) {
    const char *got = NULL;
    size_t len = 0;
    float d = -1;
    if (agentdb_results_get_id(r, q, row, &got, &len) != AGENTDB_OK) return 0;
    if (agentdb_results_get_distance(r, q, row, &d) != AGENTDB_OK) return 0;
    if (strcmp(got, id) != 0 || len != strlen(id)) {
        fprintf(stderr, "    hit %zu of query %zu is %s, expected %s\n", row, q, got, id);
        return 0;
    }
    if (fabsf(d - distance) > 1e-5f) {
        fprintf(stderr, "    hit %s has distance %f, expected %f\n", id, (double)d, (double)distance);
        return 0;
    }
    return 1;
}

#endif /* AGENTDB_TEST_COLLECTION_FIXTURE_H */
