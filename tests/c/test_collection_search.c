/*
 * Searching a collection through the C ABI: the HNSW index (agentdb_collection_create_index,
 * search through it with agentdb_collection_search_with, following writes, reopening, dropping),
 * the search options (agentdb_search_options: ef, exact, threads, ids_only, omit_*, versions of
 * the struct), and bad index and search arguments. Index kinds (int8, IVF_PQ) are test_index.c.
 *
 * Usage: test_collection_search [name-substring]
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw, pthreads */

#include <stddef.h>

#include "collection_fixture.h"

/* ---------------------------------------------------------------------------------------------- */
/* The HNSW index                                                                                 */

#define IDX_N 300
#define IDX_DIM 8

/* IDX_N deterministic pseudo-random vectors in [-1, 1)^IDX_DIM, ids "v0" .. "v299". */
static float g_idx_vecs[IDX_N * IDX_DIM];
static char g_idx_id_text[IDX_N][8];
static const char *g_idx_ids[IDX_N];

static void make_index_data(void) {
    uint32_t state = 12345u;
    size_t i;
    for (i = 0; i < IDX_N * IDX_DIM; i++) {
        state = state * 1664525u + 1013904223u;
        g_idx_vecs[i] = (float)(state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
    }
    for (i = 0; i < IDX_N; i++) {
        snprintf(g_idx_id_text[i], sizeof g_idx_id_text[i], "v%zu", i);
        g_idx_ids[i] = g_idx_id_text[i];
    }
}

/* Opens g_db_path with collection "vecs" (IDX_DIM, l2) holding the IDX_N vectors. */
static int open_index_fixture(agentdb_db **db, agentdb_collection **c) {
    make_index_data();
    if (agentdb_db_open(g_db_path, db) != AGENTDB_OK) return 0;
    if (agentdb_collection_create(*db, "vecs", IDX_DIM, AGENTDB_METRIC_L2, c) != AGENTDB_OK) return 0;
    return agentdb_collection_add(*c, g_idx_ids, IDX_N, g_idx_vecs, IDX_DIM, NULL, NULL) == AGENTDB_OK;
}

/* The index's state: 1 with the parameters written to *m / *ef, 0 without an index, -1 on error. */
static int index_state(agentdb_collection *c, size_t *m, size_t *ef) {
    bool has = true;
    if (agentdb_collection_index_params(c, &has, m, ef) != AGENTDB_OK) return -1;
    return has ? 1 : 0;
}

/* Fills *o with the default search options but `ef` and `exact`; returns o. */
static const agentdb_search_options *opts(agentdb_search_options *o, size_t ef, bool exact) {
    *o = agentdb_search_options_default();
    o->ef = ef;
    o->exact = exact;
    return o;
}

/* Whether `a` and `b` hold the same queries with the same hits (ids and distances) in the same order. */
static int same_hits(agentdb_results *a, agentdb_results *b) {
    size_t qa = 0, qb = 0, q, i;
    if (agentdb_results_query_count(a, &qa) != AGENTDB_OK || agentdb_results_query_count(b, &qb) != AGENTDB_OK) return 0;
    if (qa != qb) return 0;
    for (q = 0; q < qa; q++) {
        size_t na = 0, nb = 0;
        if (agentdb_results_count(a, q, &na) != AGENTDB_OK || agentdb_results_count(b, q, &nb) != AGENTDB_OK) return 0;
        if (na != nb) return 0;
        for (i = 0; i < na; i++) {
            const char *x = NULL, *y = NULL;
            float dx = -1, dy = -2;
            if (agentdb_results_get_id(a, q, i, &x, NULL) != AGENTDB_OK || agentdb_results_get_id(b, q, i, &y, NULL) != AGENTDB_OK) return 0;
            if (agentdb_results_get_distance(a, q, i, &dx) != AGENTDB_OK || agentdb_results_get_distance(b, q, i, &dy) != AGENTDB_OK) return 0;
            if (strcmp(x, y) != 0 || dx != dy) return 0;
        }
    }
    return 1;
}

/* How many of the hits of query `q` in `a` are among those of query `q` in `b`. */
static size_t overlap(agentdb_results *a, agentdb_results *b, size_t q) {
    size_t na = 0, nb = 0, i, j, same = 0;
    if (agentdb_results_count(a, q, &na) != AGENTDB_OK || agentdb_results_count(b, q, &nb) != AGENTDB_OK) return 0;
    for (i = 0; i < na; i++) {
        const char *x = NULL;
        if (agentdb_results_get_id(a, q, i, &x, NULL) != AGENTDB_OK) return 0;
        for (j = 0; j < nb; j++) {
            const char *y = NULL;
            if (agentdb_results_get_id(b, q, j, &y, NULL) != AGENTDB_OK) return 0;
            if (strcmp(x, y) == 0) same++;
        }
    }
    return same;
}

static void test_index(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_results *r = NULL, *exact = NULL;
    agentdb_search_options o;
    size_t m = 99, ef = 99, n = 0, i, q;
    size_t total_overlap = 0;

    CHECK(open_index_fixture(&db, &c));
    CHECK(index_state(c, &m, &ef) == 0);
    CHECK(m == 0 && ef == 0);
    /* 0, 0: the defaults. */
    OK(agentdb_collection_create_index(c, 0, 0));
    CHECK(index_state(c, &m, &ef) == 1);
    CHECK(m == 16 && ef == 200);
    CHECK(index_state(c, NULL, NULL) == 1); /* the parameters are optional outputs */

    /* A stored vector finds itself first, at distance 0: through the index, with a small and a
     * large ef, and exactly. */
    for (i = 0; i < IDX_N; i += 37) {
        const float *v = &g_idx_vecs[i * IDX_DIM];
        OK(agentdb_collection_search(c, v, IDX_DIM, 1, NULL, NULL, &r));
        CHECK(hit_is(r, 0, 0, g_idx_ids[i], 0.0f));
        OK(agentdb_results_free(r));
        OK(agentdb_collection_search_with(c, v, IDX_DIM, 5, NULL, NULL, opts(&o, 8, false), &r));
        CHECK(hit_is(r, 0, 0, g_idx_ids[i], 0.0f));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 5);
        OK(agentdb_results_free(r));
        OK(agentdb_collection_search_with(c, v, IDX_DIM, 5, NULL, NULL, opts(&o, 500, false), &r));
        CHECK(hit_is(r, 0, 0, g_idx_ids[i], 0.0f));
        OK(agentdb_results_free(r));
        OK(agentdb_collection_search_with(c, v, IDX_DIM, 5, NULL, NULL, opts(&o, 0, true), &r));
        CHECK(hit_is(r, 0, 0, g_idx_ids[i], 0.0f));
        OK(agentdb_results_free(r));
    }

    /* Batches: 4 queries (stored vectors 3, 50, 120, 299), index with a wide ef vs exact. The
     * exact results are the true 10 nearest; a wide ef on 300 points finds nearly all of them. */
    {
        float queries[4 * IDX_DIM];
        const size_t rows[4] = {3, 50, 120, 299};
        for (q = 0; q < 4; q++) memcpy(&queries[q * IDX_DIM], &g_idx_vecs[rows[q] * IDX_DIM], sizeof(float) * IDX_DIM);
        OK(agentdb_collection_search_batch_with(c, queries, 4, IDX_DIM, 10, NULL, NULL, opts(&o, 300, false), &r));
        OK(agentdb_collection_search_batch_with(c, queries, 4, IDX_DIM, 10, NULL, NULL, opts(&o, 0, true), &exact));
        /* The exact scan on one thread gives the same results as on all cores (threads = 0). */
        {
            agentdb_results *one = NULL;
            opts(&o, 0, true);
            o.threads = 1;
            OK(agentdb_collection_search_batch_with(c, queries, 4, IDX_DIM, 10, NULL, NULL, &o, &one));
            CHECK(same_hits(exact, one));
            OK(agentdb_results_free(one));
        }
        OK(agentdb_results_query_count(r, &n));
        CHECK(n == 4);
        for (q = 0; q < 4; q++) {
            CHECK(hit_is(r, q, 0, g_idx_ids[rows[q]], 0.0f));
            CHECK(hit_is(exact, q, 0, g_idx_ids[rows[q]], 0.0f));
            total_overlap += overlap(r, exact, q);
        }
        OK(agentdb_results_free(r));
        OK(agentdb_results_free(exact));
        CHECK(total_overlap >= 36); /* recall@10 >= 0.9 */
        /* The plain batch call uses the index too, and agrees on the nearest. */
        OK(agentdb_collection_search_batch(c, queries, 4, IDX_DIM, 3, NULL, NULL, &r));
        for (q = 0; q < 4; q++) CHECK(hit_is(r, q, 0, g_idx_ids[rows[q]], 0.0f));
        OK(agentdb_results_free(r));
    }

    /* The index follows writes: a new vector is found, a deleted one never returned. */
    {
        const char *new_id[] = {"new"};
        const float far[IDX_DIM] = {5, 5, 5, 5, 5, 5, 5, 5};
        const char *del_id[] = {"v7"};
        uint64_t deleted = 0;
        OK(agentdb_collection_add(c, new_id, 1, far, IDX_DIM, NULL, NULL));
        OK(agentdb_collection_search_with(c, far, IDX_DIM, 1, NULL, NULL, opts(&o, 0, false), &r));
        CHECK(hit_is(r, 0, 0, "new", 0.0f));
        OK(agentdb_results_free(r));
        OK(agentdb_collection_delete(c, del_id, 1, NULL, NULL, &deleted));
        CHECK(deleted == 1);
        OK(agentdb_collection_search_with(c, &g_idx_vecs[7 * IDX_DIM], IDX_DIM, 3, NULL, NULL, opts(&o, 0, false), &r));
        for (i = 0; i < 3; i++) {
            const char *id = NULL;
            OK(agentdb_results_get_id(r, 0, i, &id, NULL));
            CHECK(strcmp(id, "v7") != 0);
        }
        OK(agentdb_results_free(r));
    }

    /* Filters apply to indexed search too. */
    OK(agentdb_collection_search_with(c, &g_idx_vecs[0], IDX_DIM, 3, "id = 'v200'", NULL, opts(&o, 64, false), &r));
    OK(agentdb_results_count(r, 0, &n));
    CHECK(n == 1);
    {
        const char *id = NULL;
        OK(agentdb_results_get_id(r, 0, 0, &id, NULL));
        CHECK(strcmp(id, "v200") == 0);
    }
    OK(agentdb_results_free(r));

    /* Replaced with other parameters; they survive reopening the database. */
    OK(agentdb_collection_create_index(c, 8, 64));
    CHECK(index_state(c, &m, &ef) == 1);
    CHECK(m == 8 && ef == 64);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_open(db, "vecs", &c));
    CHECK(index_state(c, &m, &ef) == 1);
    CHECK(m == 8 && ef == 64);
    OK(agentdb_collection_search_with(c, &g_idx_vecs[42 * IDX_DIM], IDX_DIM, 1, NULL, NULL, opts(&o, 32, false), &r));
    CHECK(hit_is(r, 0, 0, "v42", 0.0f));
    OK(agentdb_results_free(r));

    /* Dropped: search is exact again; dropping twice is fine. */
    OK(agentdb_collection_drop_index(c));
    CHECK(index_state(c, &m, &ef) == 0);
    CHECK(m == 0 && ef == 0);
    OK(agentdb_collection_drop_index(c));
    OK(agentdb_collection_search(c, &g_idx_vecs[42 * IDX_DIM], IDX_DIM, 1, NULL, NULL, &r));
    CHECK(hit_is(r, 0, 0, "v42", 0.0f));
    OK(agentdb_results_free(r));
    /* ef without an index is accepted and ignored. */
    OK(agentdb_collection_search_with(c, &g_idx_vecs[42 * IDX_DIM], IDX_DIM, 1, NULL, NULL, opts(&o, 16, false), &r));
    CHECK(hit_is(r, 0, 0, "v42", 0.0f));
    OK(agentdb_results_free(r));
    CHECK(count_of(c) == IDX_N); /* 300 + "new" - "v7" */
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

/* agentdb_search_options: the defaults, NULL, threads, ids_only (on the four-record fixture). */
static void test_search_options(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_results *plain = NULL, *r = NULL;
    agentdb_search_options o = agentdb_search_options_default();
    const float q[] = {1, 0, 0};
    const char *s = NULL;
    size_t n = 0, len = 99, i;

    CHECK(o.struct_size == sizeof(agentdb_search_options));
    CHECK(o.ef == 0 && !o.exact && o.threads == 0 && !o.ids_only);
    CHECK(open_fixture(&db, &c));
    OK(agentdb_collection_search(c, q, 3, 4, NULL, NULL, &plain));
    /* NULL options and the default struct: agentdb_collection_search. */
    OK(agentdb_collection_search_with(c, q, 3, 4, NULL, NULL, NULL, &r));
    CHECK(same_hits(plain, r));
    OK(agentdb_results_free(r));
    OK(agentdb_collection_search_with(c, q, 3, 4, NULL, NULL, &o, &r));
    CHECK(same_hits(plain, r));
    OK(agentdb_results_free(r));
    /* Exact on one thread: the same. */
    o.exact = true;
    o.threads = 1;
    OK(agentdb_collection_search_with(c, q, 3, 4, NULL, NULL, &o, &r));
    CHECK(same_hits(plain, r));
    OK(agentdb_results_free(r));

    /* ids_only: the same ids and distances, but no documents and `{}` metadata. */
    o = agentdb_search_options_default();
    o.ids_only = true;
    OK(agentdb_collection_search_with(c, q, 3, 4, NULL, NULL, &o, &r));
    CHECK(same_hits(plain, r));
    OK(agentdb_results_get_document(plain, 0, 0, &s, &len));
    CHECK(s != NULL && strcmp(s, "alpha") == 0); /* the full search has them */
    OK(agentdb_results_count(r, 0, &n));
    CHECK(n == 4);
    for (i = 0; i < n; i++) {
        s = "x";
        len = 99;
        OK(agentdb_results_get_document(r, 0, i, &s, &len));
        CHECK(s == NULL && len == 0);
        OK(agentdb_results_get_metadata(r, 0, i, &s, &len));
        CHECK(strcmp(s, "{}") == 0 && len == 2);
    }
    OK(agentdb_results_free(r));
    /* omit_documents / omit_metadata: each part of the payload can be left out alone. */
    o = agentdb_search_options_default();
    o.omit_documents = true;
    OK(agentdb_collection_search_with(c, q, 3, 4, NULL, NULL, &o, &r));
    CHECK(same_hits(plain, r));
    OK(agentdb_results_get_document(r, 0, 0, &s, &len));
    CHECK(s == NULL && len == 0);
    OK(agentdb_results_get_metadata(r, 0, 0, &s, &len));
    {
        const char *want = NULL;
        size_t want_len = 0;
        OK(agentdb_results_get_metadata(plain, 0, 0, &want, &want_len));
        CHECK(len == want_len && strcmp(s, want) == 0 && len > 2);
    }
    OK(agentdb_results_free(r));
    o = agentdb_search_options_default();
    o.omit_metadata = true;
    OK(agentdb_collection_search_with(c, q, 3, 4, NULL, NULL, &o, &r));
    OK(agentdb_results_get_document(r, 0, 0, &s, &len));
    CHECK(s != NULL && strcmp(s, "alpha") == 0);
    OK(agentdb_results_get_metadata(r, 0, 0, &s, &len));
    CHECK(strcmp(s, "{}") == 0 && len == 2);
    OK(agentdb_results_free(r));
    o = agentdb_search_options_default();
    o.ids_only = true;
    /* With a filter, in a batch, and through an index as well. */
    {
        const float qs[] = {1, 0, 0, 0, 1, 0};
        OK(agentdb_collection_create_index(c, 0, 0));
        OK(agentdb_collection_search_batch_with(c, qs, 2, 3, 2, "lang = 'en'", NULL, &o, &r));
        CHECK(hit_is(r, 0, 0, "a", 0.0f));
        CHECK(hit_is(r, 0, 1, "d", 1.0f));
        CHECK(hit_is(r, 1, 0, "d", 1.0f));
        OK(agentdb_results_get_document(r, 1, 0, &s, NULL));
        CHECK(s == NULL);
        OK(agentdb_results_get_metadata(r, 1, 0, &s, NULL));
        CHECK(strcmp(s, "{}") == 0);
        OK(agentdb_results_free(r));
    }
    OK(agentdb_results_free(plain));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_index_bad_arguments(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_results *r = NULL;
    agentdb_search_options o;
    bool has = true;
    size_t m = 99, ef = 99;
    const float q[] = {1, 0, 0};

    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_collection_create_index(c, 1, 0), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("m must be between 2 and 128");
    EXPECT(agentdb_collection_create_index(c, 129, 200), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("m must be");
    EXPECT(agentdb_collection_create_index(c, 16, 10001), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("ef_construction must be");
    CHECK(index_state(c, &m, &ef) == 0); /* nothing was built */
    /* A failed rebuild leaves the existing index as it was. */
    OK(agentdb_collection_create_index(c, 4, 10));
    EXPECT(agentdb_collection_create_index(c, 1, 10), AGENTDB_INVALID_ARGUMENT);
    CHECK(index_state(c, &m, &ef) == 1);
    CHECK(m == 4 && ef == 10);
    /* Search options out of range; the out-pointer is set to NULL. */
    r = (agentdb_results *)(uintptr_t)1;
    EXPECT(agentdb_collection_search_with(c, q, 3, 1, NULL, NULL, opts(&o, 100001, false), &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("ef must be");
    CHECK(r == NULL);
    EXPECT(agentdb_collection_search_batch_with(c, q, 1, 3, 0, NULL, NULL, opts(&o, 10, false), &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("k must be");
    EXPECT(agentdb_collection_search_with(c, q, 2, 1, NULL, NULL, opts(&o, 10, true), &r), AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_collection_search_with(c, q, 3, 1, "lang = ", NULL, opts(&o, 10, false), &r), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_collection_search_with(c, q, 3, 1, NULL, NULL, opts(&o, 10, false), NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_search_batch_with(c, NULL, 1, 3, 1, NULL, NULL, opts(&o, 10, false), &r), AGENTDB_NULL_POINTER);
    /* A struct_size that is too small (e.g. not set) or too large (a newer header). */
    memset(&o, 0, sizeof o);
    r = (agentdb_results *)(uintptr_t)1;
    EXPECT(agentdb_collection_search_with(c, q, 3, 1, NULL, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("struct_size is 0, smaller than the first agentdb_search_options");
    CHECK(r == NULL);
    /* One byte short of the first version of the struct (which ends where nprobes begins). */
    o.struct_size = (uint32_t)offsetof(agentdb_search_options, nprobes) - 1;
    EXPECT(agentdb_collection_search_batch_with(c, q, 1, 3, 1, NULL, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("smaller");
    o.struct_size = (uint32_t)sizeof o + 8;
    EXPECT(agentdb_collection_search_with(c, q, 3, 1, NULL, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("newer agentdb.h");
    /* NULL pointers and handles. */
    EXPECT(agentdb_collection_create_index(NULL, 0, 0), AGENTDB_NULL_POINTER);
    CHECK_MSG("collection");
    EXPECT(agentdb_collection_drop_index(NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_index_params(c, NULL, &m, &ef), AGENTDB_NULL_POINTER);
    CHECK_MSG("out_has_index");
    EXPECT(agentdb_collection_index_params(NULL, &has, &m, &ef), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_create_index((agentdb_collection *)db, 0, 0), AGENTDB_INVALID_HANDLE);
    /* After the database is closed: CLOSED. */
    OK(agentdb_db_close(db));
    EXPECT(agentdb_collection_create_index(c, 0, 0), AGENTDB_CLOSED);
    EXPECT(agentdb_collection_drop_index(c), AGENTDB_CLOSED);
    EXPECT(agentdb_collection_index_params(c, &has, &m, &ef), AGENTDB_CLOSED);
    CHECK(!has);
    EXPECT(agentdb_collection_search_with(c, q, 3, 1, NULL, NULL, opts(&o, 0, false), &r), AGENTDB_CLOSED);
    OK(agentdb_collection_close(c));
    /* A freed collection handle. */
    EXPECT(agentdb_collection_create_index(c, 0, 0), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_collection_index_params(c, &has, NULL, NULL), AGENTDB_INVALID_HANDLE);
}

/* ---------------------------------------------------------------------------------------------- */


static const struct test TESTS[] = {
    {"index", test_index},
    {"search_options", test_search_options},
    {"index_bad_arguments", test_index_bad_arguments},
};

int main(int argc, char **argv) {
    return run_tests("C collection search", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
