/*
 * The C test suite of AgentDB's C ABI (include/agentdb.h, libagentdb).
 *
 * A real program against a real database in a temporary directory: it writes, searches, reopens
 * and checks the results against answers worked out by hand, then checks each kind of bad input
 * on its own. `make test-c` builds it with -std=c11 -Wall -Wextra -Werror -pedantic and runs it
 * twice: plainly, and under valgrind (zero errors, zero leaks).
 *
 * Usage: test_agentdb [name-substring]   (runs the tests whose name contains the substring)
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw, pthreads */

#include <stddef.h>

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
static int open_fixture(agentdb_db **db, agentdb_collection **c) {
    if (agentdb_open(g_db_path, db) != AGENTDB_OK) return 0;
    if (agentdb_create_collection(*db, "docs", 3, AGENTDB_METRIC_L2, c) != AGENTDB_OK) return 0;
    return agentdb_add(*c, IDS, 4, VECS, 3, DOCS, META) == AGENTDB_OK;
}

static uint64_t count_of(agentdb_collection *c) {
    uint64_t n = UINT64_MAX;
    if (agentdb_count(c, NULL, NULL, &n) != AGENTDB_OK) return UINT64_MAX;
    return n;
}

/* Checks hit `row` of query `q`: its id and distance. */
static int hit_is(agentdb_results *r, size_t q, size_t row, const char *id, float distance) {
    const char *got = NULL;
    size_t len = 0;
    float d = -1;
    if (agentdb_results_id(r, q, row, &got, &len) != AGENTDB_OK) return 0;
    if (agentdb_results_distance(r, q, row, &d) != AGENTDB_OK) return 0;
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

/* ---------------------------------------------------------------------------------------------- */
/* The main scenario                                                                              */

static void test_version(void) {
    const char *v = agentdb_version();
    CHECK(v != NULL);
    CHECK(v[0] >= '0' && v[0] <= '9');
    CHECK(strchr(v, '.') != NULL);
    CHECK(strcmp(agentdb_status_name(AGENTDB_OK), "AGENTDB_OK") == 0);
    CHECK(strcmp(agentdb_status_name(AGENTDB_DIMENSION_MISMATCH), "AGENTDB_DIMENSION_MISMATCH") == 0);
    CHECK(strcmp(agentdb_status_name(-1), "AGENTDB_UNKNOWN_STATUS") == 0);
    CHECK(strcmp(agentdb_status_name(9999), "AGENTDB_UNKNOWN_STATUS") == 0);
}

static void test_write_search_reopen(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_results *r = NULL;
    agentdb_records *rec = NULL;
    agentdb_strings *names = NULL;
    size_t n = 0;
    uint64_t count = 0;
    const char *s = NULL;
    size_t len = 0;

    OK(agentdb_open(g_db_path, &db));
    CHECK(db != NULL);
    OK(agentdb_create_collection(db, "docs", 3, AGENTDB_METRIC_L2, &c));
    CHECK(c != NULL);
    OK(agentdb_collection_name(c, &s, &len));
    CHECK(strcmp(s, "docs") == 0 && len == 4);
    OK(agentdb_collection_dim(c, &n));
    CHECK(n == 3);
    {
        agentdb_metric m = -1;
        OK(agentdb_collection_metric(c, &m));
        CHECK(m == AGENTDB_METRIC_L2);
    }
    OK(agentdb_add(c, IDS, 4, VECS, 3, DOCS, META));
    OK(agentdb_count(c, NULL, NULL, &count));
    CHECK(count == 4);
    OK(agentdb_count(c, "lang = 'en'", NULL, &count));
    CHECK(count == 3);
    OK(agentdb_count(c, NULL, "{\"year\": {\"$gte\": 2021}}", &count));
    CHECK(count == 2);

    /* Nearest to (1,0,0): a at 0, then d at 1. */
    {
        const float q[] = {1, 0, 0};
        OK(agentdb_search(c, q, 3, 2, NULL, NULL, &r));
        OK(agentdb_results_query_count(r, &n));
        CHECK(n == 1);
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 2);
        CHECK(hit_is(r, 0, 0, "a", 0.0f));
        CHECK(hit_is(r, 0, 1, "d", 1.0f));
        OK(agentdb_results_document(r, 0, 0, &s, &len));
        CHECK(strcmp(s, "alpha") == 0 && len == 5);
        OK(agentdb_results_metadata(r, 0, 1, &s, NULL));
        CHECK(strstr(s, "\"lang\":\"en\"") != NULL);
        CHECK(strstr(s, "\"year\":2019") != NULL);
        CHECK(strstr(s, "\"when\":{\"$datetime\":\"2024-05-01T12:00:00") != NULL);
        OK(agentdb_results_free(r));
        r = NULL;
    }
    /* k larger than the collection: every record, in distance order; c has no document. */
    {
        const float q[] = {0, 0, 1};
        OK(agentdb_search(c, q, 3, 10, NULL, NULL, &r));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 4);
        CHECK(hit_is(r, 0, 0, "c", 0.0f));
        OK(agentdb_results_document(r, 0, 0, &s, &len));
        CHECK(s == NULL && len == 0);
        OK(agentdb_results_free(r));
        r = NULL;
    }
    /* Filters, as SQL and as a JSON dict. */
    {
        const float q[] = {1, 0, 0};
        OK(agentdb_search(c, q, 3, 10, "lang = 'fr'", NULL, &r));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 1);
        CHECK(hit_is(r, 0, 0, "b", 2.0f));
        OK(agentdb_results_free(r));
        OK(agentdb_search(c, q, 3, 10, NULL, "{\"lang\": \"en\", \"year\": {\"$lt\": 2021}}", &r));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 2);
        CHECK(hit_is(r, 0, 0, "a", 0.0f));
        CHECK(hit_is(r, 0, 1, "d", 1.0f));
        OK(agentdb_results_free(r));
        OK(agentdb_search(c, q, 3, 10, NULL, "{\"tags\": {\"$contains\": \"y\"}}", &r));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 1);
        CHECK(hit_is(r, 0, 0, "c", 2.0f));
        OK(agentdb_results_free(r));
        /* A quote in a value is a value, not SQL: it matches nothing. */
        OK(agentdb_search(c, q, 3, 10, NULL, "{\"lang\": \"x' OR 1=1 --\"}", &r));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 0);
        OK(agentdb_results_free(r));
        r = NULL;
    }
    /* A batch of two queries. */
    {
        const float qs[] = {1, 0, 0, 0, 0.9f, 0.1f};
        OK(agentdb_search_batch(c, qs, 2, 3, 1, NULL, NULL, &r));
        OK(agentdb_results_query_count(r, &n));
        CHECK(n == 2);
        CHECK(hit_is(r, 0, 0, "a", 0.0f));
        CHECK(hit_is(r, 1, 0, "b", 0.02f));
        OK(agentdb_results_free(r));
        r = NULL;
    }
    /* Get by ids: in the order asked, ids not found left out. */
    {
        const char *want[] = {"c", "zz", "a"};
        const float *v = NULL;
        int64_t created = 0, updated = 0;
        OK(agentdb_get(c, want, 3, NULL, NULL, 0, 0, &rec));
        OK(agentdb_records_count(rec, &n));
        CHECK(n == 2);
        OK(agentdb_records_id(rec, 0, &s, NULL));
        CHECK(strcmp(s, "c") == 0);
        OK(agentdb_records_id(rec, 1, &s, NULL));
        CHECK(strcmp(s, "a") == 0);
        OK(agentdb_records_vector(rec, 0, &v, &n));
        CHECK(n == 3 && v[0] == 0 && v[1] == 0 && v[2] == 1);
        OK(agentdb_records_document(rec, 1, &s, NULL));
        CHECK(strcmp(s, "alpha") == 0);
        OK(agentdb_records_metadata(rec, 0, &s, NULL));
        CHECK(strstr(s, "\"tags\":[\"x\",\"y\"]") != NULL);
        OK(agentdb_records_timestamps(rec, 0, &created, &updated));
        CHECK(created > 1600000000000000LL && updated >= created);
        OK(agentdb_records_free(rec));
        rec = NULL;
    }
    /* Get by filter, with limit. */
    OK(agentdb_get(c, NULL, 0, "lang = 'en'", NULL, 2, 0, &rec));
    OK(agentdb_records_count(rec, &n));
    CHECK(n == 2);
    OK(agentdb_records_free(rec));
    rec = NULL;

    /* Upsert replaces a (new vector, document and metadata) and adds e. */
    {
        const char *ids[] = {"a", "e"};
        const float vecs[] = {0, 1, 1, 1.5f, 0, 0};
        const char *docs[] = {"alpha v2", "echo"};
        const float q[] = {1, 0, 0};
        OK(agentdb_upsert(c, ids, 2, vecs, 3, docs, "[{\"lang\": \"de\"}, null]"));
        CHECK(count_of(c) == 5);
        OK(agentdb_search(c, q, 3, 2, NULL, NULL, &r));
        CHECK(hit_is(r, 0, 0, "e", 0.25f));
        CHECK(hit_is(r, 0, 1, "d", 1.0f));
        OK(agentdb_results_free(r));
        r = NULL;
        OK(agentdb_get(c, ids, 1, NULL, NULL, 0, 0, &rec));
        OK(agentdb_records_document(rec, 0, &s, NULL));
        CHECK(strcmp(s, "alpha v2") == 0);
        OK(agentdb_records_metadata(rec, 0, &s, NULL));
        CHECK(strcmp(s, "{\"lang\":\"de\"}") == 0);
        OK(agentdb_records_free(rec));
        rec = NULL;
    }
    /* Delete by ids, then by filter. */
    {
        const char *gone[] = {"b", "nope"};
        uint64_t deleted = 0;
        OK(agentdb_delete(c, gone, 2, NULL, NULL, &deleted));
        CHECK(deleted == 1);
        OK(agentdb_delete(c, NULL, 0, "year < 2020", NULL, &deleted));
        CHECK(deleted == 1);
        OK(agentdb_delete(c, NULL, 0, NULL, "{\"lang\": \"zz\"}", NULL));
        CHECK(count_of(c) == 3); /* a, c, e */
    }
    OK(agentdb_collection_close(c));
    c = NULL;
    OK(agentdb_close(db));
    db = NULL;

    /* Reopen: exactly what was committed. */
    OK(agentdb_open(g_db_path, &db));
    OK(agentdb_list_collections(db, &names));
    OK(agentdb_strings_count(names, &n));
    CHECK(n == 1);
    OK(agentdb_strings_get(names, 0, &s, &len));
    CHECK(strcmp(s, "docs") == 0 && len == 4);
    OK(agentdb_strings_free(names));
    names = NULL;
    OK(agentdb_get_collection(db, "docs", &c));
    CHECK(count_of(c) == 3);
    {
        const float q[] = {0, 1, 1};
        OK(agentdb_search(c, q, 3, 3, NULL, NULL, &r));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 3);
        CHECK(hit_is(r, 0, 0, "a", 0.0f)); /* the upserted vector */
        CHECK(hit_is(r, 0, 1, "c", 1.0f));
        CHECK(hit_is(r, 0, 2, "e", 4.25f));
        OK(agentdb_results_free(r));
        r = NULL;
    }
    OK(agentdb_collection_close(c));
    c = NULL;

    /* get_or_create: opens the existing one when dim and metric agree. */
    OK(agentdb_get_or_create_collection(db, "docs", 3, AGENTDB_METRIC_L2, &c));
    CHECK(count_of(c) == 3);
    OK(agentdb_collection_close(c));
    c = NULL;
    EXPECT(agentdb_get_or_create_collection(db, "docs", 4, AGENTDB_METRIC_L2, &c), AGENTDB_INVALID_ARGUMENT);
    CHECK(c == NULL);
    OK(agentdb_get_or_create_collection(db, "other", 2, AGENTDB_METRIC_COSINE, &c));
    OK(agentdb_collection_close(c));
    c = NULL;

    /* Drop. */
    OK(agentdb_drop_collection(db, "docs"));
    EXPECT(agentdb_get_collection(db, "docs", &c), AGENTDB_COLLECTION_NOT_FOUND);
    CHECK(c == NULL);
    EXPECT(agentdb_drop_collection(db, "docs"), AGENTDB_COLLECTION_NOT_FOUND);
    OK(agentdb_list_collections(db, &names));
    OK(agentdb_strings_count(names, &n));
    CHECK(n == 1);
    OK(agentdb_strings_free(names));
    OK(agentdb_close(db));
}

static void test_cosine_and_dot(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_results *r = NULL;
    const char *ids[] = {"x", "y"};
    const float vecs[] = {1, 0, 0, 2}; /* 2-D */
    const float q[] = {3, 0};

    OK(agentdb_open(g_db_path, &db));
    OK(agentdb_create_collection(db, "cos", 2, AGENTDB_METRIC_COSINE, &c));
    OK(agentdb_add(c, ids, 2, vecs, 2, NULL, NULL));
    OK(agentdb_search(c, q, 2, 2, NULL, NULL, &r));
    CHECK(hit_is(r, 0, 0, "x", 0.0f)); /* 1 - cos = 0 */
    CHECK(hit_is(r, 0, 1, "y", 1.0f)); /* orthogonal */
    OK(agentdb_results_free(r));
    OK(agentdb_collection_close(c));

    OK(agentdb_create_collection(db, "dot", 2, AGENTDB_METRIC_DOT, &c));
    OK(agentdb_add(c, ids, 2, vecs, 2, NULL, NULL));
    {
        const float q2[] = {0, 1};
        OK(agentdb_search(c, q2, 2, 2, NULL, NULL, &r));
        CHECK(hit_is(r, 0, 0, "y", -1.0f)); /* 1 - 2 */
        CHECK(hit_is(r, 0, 1, "x", 1.0f));  /* 1 - 0 */
        OK(agentdb_results_free(r));
    }
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
}

/* ---------------------------------------------------------------------------------------------- */
/* Bad input: one test per case                                                                   */

static void test_null_pointers(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL, *c2 = NULL;
    agentdb_results *r = NULL;
    uint64_t count = 0;
    const float q[] = {1, 0, 0};
    const char *null_ids[] = {"a", NULL};
    const float vecs[] = {1, 0, 0, 0, 1, 0};

    EXPECT(agentdb_open(NULL, &db), AGENTDB_NULL_POINTER);
    CHECK_MSG("path");
    CHECK(db == NULL);
    EXPECT(agentdb_open(g_db_path, NULL), AGENTDB_NULL_POINTER);
    CHECK_MSG("out_db");
    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_create_collection(db, NULL, 3, AGENTDB_METRIC_L2, &c2), AGENTDB_NULL_POINTER);
    CHECK(c2 == NULL);
    EXPECT(agentdb_get_collection(NULL, "docs", &c2), AGENTDB_NULL_POINTER);
    CHECK_MSG("db");
    EXPECT(agentdb_add(c, NULL, 1, q, 3, NULL, NULL), AGENTDB_NULL_POINTER);
    CHECK_MSG("ids");
    EXPECT(agentdb_add(c, null_ids, 2, vecs, 3, NULL, NULL), AGENTDB_NULL_POINTER);
    CHECK_MSG("ids[1]");
    EXPECT(agentdb_add(c, null_ids, 1, NULL, 3, NULL, NULL), AGENTDB_NULL_POINTER);
    CHECK_MSG("vectors");
    EXPECT(agentdb_search(c, NULL, 3, 1, NULL, NULL, &r), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_search(c, q, 3, 1, NULL, NULL, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_count(c, NULL, NULL, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_count(NULL, NULL, NULL, &count), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_get(c, NULL, 2, NULL, NULL, 0, 0, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_results_count(NULL, 0, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_name(c, NULL, NULL), AGENTDB_NULL_POINTER);
    /* Free calls take NULL like free(). */
    OK(agentdb_results_free(NULL));
    OK(agentdb_records_free(NULL));
    OK(agentdb_strings_free(NULL));
    OK(agentdb_collection_close(NULL));
    OK(agentdb_close(NULL));
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
}

static void test_invalid_utf8(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL, *c2 = NULL;
    agentdb_records *rec = NULL;
    const char *bad_ids[] = {"ok", "bad\xff\xfe"};
    const float vecs[] = {1, 0, 0, 0, 1, 0};
    const char *bad_docs[] = {"fine", "\xc3\x28"};

    EXPECT(agentdb_open("/tmp/\xff\xfe", &db), AGENTDB_INVALID_UTF8);
    CHECK_MSG("UTF-8");
    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_create_collection(db, "na\xffme", 3, AGENTDB_METRIC_L2, &c2), AGENTDB_INVALID_UTF8);
    CHECK(c2 == NULL);
    EXPECT(agentdb_add(c, bad_ids, 2, vecs, 3, NULL, NULL), AGENTDB_INVALID_UTF8);
    CHECK_MSG("ids[1]");
    EXPECT(agentdb_add(c, IDS, 2, vecs, 3, bad_docs, NULL), AGENTDB_INVALID_UTF8);
    CHECK_MSG("documents[1]");
    EXPECT(agentdb_add(c, IDS, 2, vecs, 3, NULL, "[{\"k\": \"\xff\"}, {}]"), AGENTDB_INVALID_UTF8);
    EXPECT(agentdb_get(c, NULL, 0, "lang = '\xff'", NULL, 0, 0, &rec), AGENTDB_INVALID_UTF8);
    CHECK(rec == NULL);
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
}

static void test_wrong_dimension(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL, *c2 = NULL;
    agentdb_results *r = NULL;
    const char *ids[] = {"p", "q"};
    const float v2[] = {1, 0, 0, 1};
    const float q4[] = {1, 0, 0, 0};

    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_add(c, ids, 2, v2, 2, NULL, NULL), AGENTDB_DIMENSION_MISMATCH);
    CHECK_MSG("dimension");
    EXPECT(agentdb_upsert(c, ids, 1, q4, 4, NULL, NULL), AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_search(c, q4, 4, 1, NULL, NULL, &r), AGENTDB_DIMENSION_MISMATCH);
    CHECK(r == NULL);
    EXPECT(agentdb_search_batch(c, q4, 2, 2, 1, NULL, NULL, &r), AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_create_collection(db, "zero", 0, AGENTDB_METRIC_L2, &c2), AGENTDB_INVALID_ARGUMENT);
    CHECK(c2 == NULL);
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
}

static void test_invalid_vectors(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL, *cos = NULL;
    agentdb_results *r = NULL;
    const char *ids[] = {"n1", "n2"};
    float vecs[] = {1, 0, 0, 0, 0, 0};

    CHECK(open_fixture(&db, &c));
    vecs[4] = NAN;
    EXPECT(agentdb_add(c, ids, 2, vecs, 3, NULL, NULL), AGENTDB_INVALID_VECTOR);
    CHECK_MSG("row 1");
    vecs[4] = INFINITY;
    EXPECT(agentdb_search(c, vecs + 3, 3, 1, NULL, NULL, &r), AGENTDB_INVALID_VECTOR);
    OK(agentdb_create_collection(db, "cos", 3, AGENTDB_METRIC_COSINE, &cos));
    vecs[4] = 0;
    EXPECT(agentdb_add(cos, ids, 2, vecs, 3, NULL, NULL), AGENTDB_INVALID_VECTOR); /* zero vector */
    CHECK(count_of(c) == 4);
    CHECK(count_of(cos) == 0);
    OK(agentdb_collection_close(cos));
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
}

static void test_duplicate_ids(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    const char *again[] = {"new", "a"};
    const char *twice[] = {"z", "z"};
    const float vecs[] = {1, 1, 1, 2, 2, 2};

    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_add(c, again, 2, vecs, 3, NULL, NULL), AGENTDB_DUPLICATE_ID);
    CHECK_MSG("row 1");
    EXPECT(agentdb_add(c, twice, 2, vecs, 3, NULL, NULL), AGENTDB_DUPLICATE_ID);
    EXPECT(agentdb_upsert(c, twice, 2, vecs, 3, NULL, NULL), AGENTDB_DUPLICATE_ID);
    CHECK(count_of(c) == 4); /* nothing of either batch was written */
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
}

static void test_bad_filter(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_results *r = NULL;
    agentdb_records *rec = NULL;
    uint64_t n = 0;
    const float q[] = {1, 0, 0};

    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_search(c, q, 3, 2, "lang = = 'en'", NULL, &r), AGENTDB_INVALID_FILTER);
    CHECK(r == NULL);
    EXPECT(agentdb_count(c, "no_such_column > 3", NULL, &n), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_count(c, NULL, "{not json", &n), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_count(c, NULL, "{\"year\": {\"$like\": 1}}", &n), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_count(c, NULL, "{\"year\": \"2020\"}", &n), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_count(c, NULL, "[1, 2]", &n), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_get(c, NULL, 0, "year >", NULL, 0, 0, &rec), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_delete(c, NULL, 0, "lang = ", NULL, NULL), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_count(c, "lang = 'en'", "{\"lang\": \"en\"}", &n), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("not both");
    EXPECT(agentdb_delete(c, NULL, 0, NULL, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
}

static void test_bad_names(void) {
    static const char *const bad[] = {"../escape", "..", "a/b", "/abs", "", ".hidden", "a\\b",
                                      "-dash", "sp ace"};
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    char outside[600];
    size_t i;

    OK(agentdb_open(g_db_path, &db));
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        EXPECT(agentdb_create_collection(db, bad[i], 3, AGENTDB_METRIC_L2, &c), AGENTDB_INVALID_NAME);
        CHECK(c == NULL);
        EXPECT(agentdb_get_collection(db, bad[i], &c), AGENTDB_INVALID_NAME);
        EXPECT(agentdb_drop_collection(db, bad[i]), AGENTDB_INVALID_NAME);
    }
    {
        char long_name[200];
        memset(long_name, 'x', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = '\0';
        EXPECT(agentdb_create_collection(db, long_name, 3, AGENTDB_METRIC_L2, &c), AGENTDB_INVALID_NAME);
    }
    /* Nothing was created next to the database directory. */
    snprintf(outside, sizeof outside, "%s/escape", g_dir);
    CHECK(!path_exists(outside));
    snprintf(outside, sizeof outside, "%s/escape.lance", g_dir);
    CHECK(!path_exists(outside));
    OK(agentdb_close(db));
}

static void test_bad_metadata(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    const char *ids[] = {"m1", "m2"};
    const float vecs[] = {1, 1, 0, 0, 1, 1};

    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_add(c, ids, 2, vecs, 3, NULL, "not json"), AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_add(c, ids, 2, vecs, 3, NULL, "{\"lang\": \"en\"}"), AGENTDB_INVALID_METADATA);
    CHECK_MSG("array");
    EXPECT(agentdb_add(c, ids, 2, vecs, 3, NULL, "[{}, 5]"), AGENTDB_INVALID_METADATA);
    CHECK_MSG("metadata_json[1]");
    EXPECT(agentdb_add(c, ids, 2, vecs, 3, NULL, "[{}, {\"nested\": {\"a\": 1}}]"), AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_add(c, ids, 2, vecs, 3, NULL, "[{}, {\"bad key\": 1}]"), AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_add(c, ids, 2, vecs, 3, NULL, "[{}, {\"year\": \"not an int\"}]"), AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_add(c, ids, 2, vecs, 3, NULL, "[{}, {\"when\": {\"$datetime\": \"yesterday\"}}]"),
           AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_add(c, ids, 2, vecs, 3, NULL, "[{}]"), AGENTDB_INVALID_ARGUMENT); /* 2 ids, 1 entry */
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
}

static void test_bad_arguments(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL, *c2 = NULL;
    agentdb_results *r = NULL;
    agentdb_records *rec = NULL;
    const char *s = NULL;
    float d = 0;
    size_t n = 0;
    const float q[] = {1, 0, 0};
    const char *empty_id[] = {""};

    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_search(c, q, 3, 0, NULL, NULL, &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("k must be");
    EXPECT(agentdb_create_collection(db, "m", 3, 7, &c2), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("metric");
    EXPECT(agentdb_create_collection(db, "docs", 3, AGENTDB_METRIC_L2, &c2), AGENTDB_COLLECTION_EXISTS);
    EXPECT(agentdb_get_collection(db, "missing", &c2), AGENTDB_COLLECTION_NOT_FOUND);
    EXPECT(agentdb_add(c, empty_id, 1, q, 3, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_add(c, IDS, SIZE_MAX / 2, q, 3, NULL, NULL), AGENTDB_INVALID_ARGUMENT); /* overflow */
    /* Indices past the end of a result. */
    OK(agentdb_search(c, q, 3, 2, NULL, NULL, &r));
    EXPECT(agentdb_results_id(r, 0, 2, &s, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("out of range");
    EXPECT(agentdb_results_distance(r, 1, 0, &d), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_results_count(r, 5, &n), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_results_free(r));
    OK(agentdb_get(c, NULL, 0, NULL, NULL, 0, 0, &rec));
    EXPECT(agentdb_records_id(rec, 4, &s, NULL), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_records_free(rec));
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
}

static void test_freed_and_closed_handles(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL, *c2 = NULL;
    agentdb_results *r = NULL;
    agentdb_records *rec = NULL;
    size_t n = 0;
    uint64_t count = 0;
    const float q[] = {1, 0, 0};

    CHECK(open_fixture(&db, &c));
    OK(agentdb_search(c, q, 3, 1, NULL, NULL, &r));
    OK(agentdb_results_free(r));
    /* Results used and freed again after the free. */
    EXPECT(agentdb_results_count(r, 0, &n), AGENTDB_INVALID_HANDLE);
    CHECK_MSG("agentdb_results");
    EXPECT(agentdb_results_free(r), AGENTDB_INVALID_HANDLE);
    /* A handle of one type passed as another. */
    OK(agentdb_get(c, NULL, 0, NULL, NULL, 0, 0, &rec));
    EXPECT(agentdb_results_count((agentdb_results *)rec, 0, &n), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_count((agentdb_collection *)db, NULL, NULL, &count), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_close((agentdb_db *)c), AGENTDB_INVALID_HANDLE);
    OK(agentdb_records_free(rec));
    /* Something that was never a handle. */
    EXPECT(agentdb_count((agentdb_collection *)(uintptr_t)0x1234, NULL, NULL, &count), AGENTDB_INVALID_HANDLE);
    {
        int local = 0;
        EXPECT(agentdb_count((agentdb_collection *)(void *)&local, NULL, NULL, &count), AGENTDB_INVALID_HANDLE);
    }
    /* A collection handle used after its own close. */
    OK(agentdb_get_collection(db, "docs", &c2));
    OK(agentdb_collection_close(c2));
    EXPECT(agentdb_count(c2, NULL, NULL, &count), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_collection_close(c2), AGENTDB_INVALID_HANDLE);
    /* A dropped collection: its handle reports CLOSED. */
    OK(agentdb_create_collection(db, "tmp", 3, AGENTDB_METRIC_L2, &c2));
    OK(agentdb_drop_collection(db, "tmp"));
    EXPECT(agentdb_count(c2, NULL, NULL, &count), AGENTDB_CLOSED);
    OK(agentdb_collection_close(c2));
    /* After the database is closed: its collections report CLOSED, the db handle is gone. */
    OK(agentdb_close(db));
    EXPECT(agentdb_count(c, NULL, NULL, &count), AGENTDB_CLOSED);
    EXPECT(agentdb_search(c, q, 3, 1, NULL, NULL, &r), AGENTDB_CLOSED);
    EXPECT(agentdb_get_collection(db, "docs", &c2), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_close(db), AGENTDB_INVALID_HANDLE);
    OK(agentdb_collection_close(c));
    /* The data is intact. */
    OK(agentdb_open(g_db_path, &db));
    OK(agentdb_get_collection(db, "docs", &c));
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
}

/* ---------------------------------------------------------------------------------------------- */
/* Threads                                                                                        */

struct worker {
    agentdb_collection *c;
    int index;
    int ok;
};

static void *writer_and_reader(void *arg) {
    struct worker *w = (struct worker *)arg;
    char id_buf[8][32];
    const char *ids[8];
    float vecs[8 * 3];
    int i;
    agentdb_results *r = NULL;
    size_t n = 0;
    uint64_t count = 0;

    for (i = 0; i < 8; i++) {
        snprintf(id_buf[i], sizeof id_buf[i], "t%d-%d", w->index, i);
        ids[i] = id_buf[i];
        vecs[3 * i] = (float)w->index + 1;
        vecs[3 * i + 1] = (float)i;
        vecs[3 * i + 2] = 1;
    }
    if (agentdb_add(w->c, ids, 8, vecs, 3, NULL, NULL) != AGENTDB_OK) return NULL;
    if (agentdb_search(w->c, vecs, 3, 1, NULL, NULL, &r) != AGENTDB_OK) return NULL;
    if (agentdb_results_count(r, 0, &n) != AGENTDB_OK || n != 1) return NULL;
    {
        const char *id = NULL;
        if (agentdb_results_id(r, 0, 0, &id, NULL) != AGENTDB_OK || strcmp(id, ids[0]) != 0) return NULL;
    }
    agentdb_results_free(r);
    /* Each thread's error message is its own. */
    if (agentdb_count(w->c, NULL, "{\"bad\": {\"$nope\": 1}}", &count) != AGENTDB_INVALID_FILTER) return NULL;
    if (strstr(agentdb_errmsg(), "$nope") == NULL) return NULL;
    w->ok = 1;
    return NULL;
}

static void test_threads(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    pthread_t threads[4];
    struct worker workers[4];
    int i;

    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_open(NULL, NULL), AGENTDB_NULL_POINTER);
    for (i = 0; i < 4; i++) {
        workers[i].c = c;
        workers[i].index = i;
        workers[i].ok = 0;
        CHECK(pthread_create(&threads[i], NULL, writer_and_reader, &workers[i]) == 0);
    }
    for (i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    for (i = 0; i < 4; i++) CHECK(workers[i].ok);
    CHECK(count_of(c) == 4 + 4 * 8);
    CHECK(strstr(agentdb_errmsg(), "out_db") != NULL); /* the main thread's message is untouched */
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
}

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
    if (agentdb_open(g_db_path, db) != AGENTDB_OK) return 0;
    if (agentdb_create_collection(*db, "vecs", IDX_DIM, AGENTDB_METRIC_L2, c) != AGENTDB_OK) return 0;
    return agentdb_add(*c, g_idx_ids, IDX_N, g_idx_vecs, IDX_DIM, NULL, NULL) == AGENTDB_OK;
}

/* The index's state: 1 with the parameters written to *m / *ef, 0 without an index, -1 on error. */
static int index_state(agentdb_collection *c, size_t *m, size_t *ef) {
    bool has = true;
    if (agentdb_index_params(c, &has, m, ef) != AGENTDB_OK) return -1;
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
            if (agentdb_results_id(a, q, i, &x, NULL) != AGENTDB_OK || agentdb_results_id(b, q, i, &y, NULL) != AGENTDB_OK) return 0;
            if (agentdb_results_distance(a, q, i, &dx) != AGENTDB_OK || agentdb_results_distance(b, q, i, &dy) != AGENTDB_OK) return 0;
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
        if (agentdb_results_id(a, q, i, &x, NULL) != AGENTDB_OK) return 0;
        for (j = 0; j < nb; j++) {
            const char *y = NULL;
            if (agentdb_results_id(b, q, j, &y, NULL) != AGENTDB_OK) return 0;
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
    OK(agentdb_create_index(c, 0, 0));
    CHECK(index_state(c, &m, &ef) == 1);
    CHECK(m == 16 && ef == 200);
    CHECK(index_state(c, NULL, NULL) == 1); /* the parameters are optional outputs */

    /* A stored vector finds itself first, at distance 0: through the index, with a small and a
     * large ef, and exactly. */
    for (i = 0; i < IDX_N; i += 37) {
        const float *v = &g_idx_vecs[i * IDX_DIM];
        OK(agentdb_search(c, v, IDX_DIM, 1, NULL, NULL, &r));
        CHECK(hit_is(r, 0, 0, g_idx_ids[i], 0.0f));
        OK(agentdb_results_free(r));
        OK(agentdb_search_opts(c, v, IDX_DIM, 5, NULL, NULL, opts(&o, 8, false), &r));
        CHECK(hit_is(r, 0, 0, g_idx_ids[i], 0.0f));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 5);
        OK(agentdb_results_free(r));
        OK(agentdb_search_opts(c, v, IDX_DIM, 5, NULL, NULL, opts(&o, 500, false), &r));
        CHECK(hit_is(r, 0, 0, g_idx_ids[i], 0.0f));
        OK(agentdb_results_free(r));
        OK(agentdb_search_opts(c, v, IDX_DIM, 5, NULL, NULL, opts(&o, 0, true), &r));
        CHECK(hit_is(r, 0, 0, g_idx_ids[i], 0.0f));
        OK(agentdb_results_free(r));
    }

    /* Batches: 4 queries (stored vectors 3, 50, 120, 299), index with a wide ef vs exact. The
     * exact results are the true 10 nearest; a wide ef on 300 points finds nearly all of them. */
    {
        float queries[4 * IDX_DIM];
        const size_t rows[4] = {3, 50, 120, 299};
        for (q = 0; q < 4; q++) memcpy(&queries[q * IDX_DIM], &g_idx_vecs[rows[q] * IDX_DIM], sizeof(float) * IDX_DIM);
        OK(agentdb_search_batch_opts(c, queries, 4, IDX_DIM, 10, NULL, NULL, opts(&o, 300, false), &r));
        OK(agentdb_search_batch_opts(c, queries, 4, IDX_DIM, 10, NULL, NULL, opts(&o, 0, true), &exact));
        /* The exact scan on one thread gives the same results as on all cores (threads = 0). */
        {
            agentdb_results *one = NULL;
            opts(&o, 0, true);
            o.threads = 1;
            OK(agentdb_search_batch_opts(c, queries, 4, IDX_DIM, 10, NULL, NULL, &o, &one));
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
        OK(agentdb_search_batch(c, queries, 4, IDX_DIM, 3, NULL, NULL, &r));
        for (q = 0; q < 4; q++) CHECK(hit_is(r, q, 0, g_idx_ids[rows[q]], 0.0f));
        OK(agentdb_results_free(r));
    }

    /* The index follows writes: a new vector is found, a deleted one never returned. */
    {
        const char *new_id[] = {"new"};
        const float far[IDX_DIM] = {5, 5, 5, 5, 5, 5, 5, 5};
        const char *del_id[] = {"v7"};
        uint64_t deleted = 0;
        OK(agentdb_add(c, new_id, 1, far, IDX_DIM, NULL, NULL));
        OK(agentdb_search_opts(c, far, IDX_DIM, 1, NULL, NULL, opts(&o, 0, false), &r));
        CHECK(hit_is(r, 0, 0, "new", 0.0f));
        OK(agentdb_results_free(r));
        OK(agentdb_delete(c, del_id, 1, NULL, NULL, &deleted));
        CHECK(deleted == 1);
        OK(agentdb_search_opts(c, &g_idx_vecs[7 * IDX_DIM], IDX_DIM, 3, NULL, NULL, opts(&o, 0, false), &r));
        for (i = 0; i < 3; i++) {
            const char *id = NULL;
            OK(agentdb_results_id(r, 0, i, &id, NULL));
            CHECK(strcmp(id, "v7") != 0);
        }
        OK(agentdb_results_free(r));
    }

    /* Filters apply to indexed search too. */
    OK(agentdb_search_opts(c, &g_idx_vecs[0], IDX_DIM, 3, "id = 'v200'", NULL, opts(&o, 64, false), &r));
    OK(agentdb_results_count(r, 0, &n));
    CHECK(n == 1);
    {
        const char *id = NULL;
        OK(agentdb_results_id(r, 0, 0, &id, NULL));
        CHECK(strcmp(id, "v200") == 0);
    }
    OK(agentdb_results_free(r));

    /* Replaced with other parameters; they survive reopening the database. */
    OK(agentdb_create_index(c, 8, 64));
    CHECK(index_state(c, &m, &ef) == 1);
    CHECK(m == 8 && ef == 64);
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
    OK(agentdb_open(g_db_path, &db));
    OK(agentdb_get_collection(db, "vecs", &c));
    CHECK(index_state(c, &m, &ef) == 1);
    CHECK(m == 8 && ef == 64);
    OK(agentdb_search_opts(c, &g_idx_vecs[42 * IDX_DIM], IDX_DIM, 1, NULL, NULL, opts(&o, 32, false), &r));
    CHECK(hit_is(r, 0, 0, "v42", 0.0f));
    OK(agentdb_results_free(r));

    /* Dropped: search is exact again; dropping twice is fine. */
    OK(agentdb_drop_index(c));
    CHECK(index_state(c, &m, &ef) == 0);
    CHECK(m == 0 && ef == 0);
    OK(agentdb_drop_index(c));
    OK(agentdb_search(c, &g_idx_vecs[42 * IDX_DIM], IDX_DIM, 1, NULL, NULL, &r));
    CHECK(hit_is(r, 0, 0, "v42", 0.0f));
    OK(agentdb_results_free(r));
    /* ef without an index is accepted and ignored. */
    OK(agentdb_search_opts(c, &g_idx_vecs[42 * IDX_DIM], IDX_DIM, 1, NULL, NULL, opts(&o, 16, false), &r));
    CHECK(hit_is(r, 0, 0, "v42", 0.0f));
    OK(agentdb_results_free(r));
    CHECK(count_of(c) == IDX_N); /* 300 + "new" - "v7" */
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
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
    OK(agentdb_search(c, q, 3, 4, NULL, NULL, &plain));
    /* NULL options and the default struct: agentdb_search. */
    OK(agentdb_search_opts(c, q, 3, 4, NULL, NULL, NULL, &r));
    CHECK(same_hits(plain, r));
    OK(agentdb_results_free(r));
    OK(agentdb_search_opts(c, q, 3, 4, NULL, NULL, &o, &r));
    CHECK(same_hits(plain, r));
    OK(agentdb_results_free(r));
    /* Exact on one thread: the same. */
    o.exact = true;
    o.threads = 1;
    OK(agentdb_search_opts(c, q, 3, 4, NULL, NULL, &o, &r));
    CHECK(same_hits(plain, r));
    OK(agentdb_results_free(r));

    /* ids_only: the same ids and distances, but no documents and `{}` metadata. */
    o = agentdb_search_options_default();
    o.ids_only = true;
    OK(agentdb_search_opts(c, q, 3, 4, NULL, NULL, &o, &r));
    CHECK(same_hits(plain, r));
    OK(agentdb_results_document(plain, 0, 0, &s, &len));
    CHECK(s != NULL && strcmp(s, "alpha") == 0); /* the full search has them */
    OK(agentdb_results_count(r, 0, &n));
    CHECK(n == 4);
    for (i = 0; i < n; i++) {
        s = "x";
        len = 99;
        OK(agentdb_results_document(r, 0, i, &s, &len));
        CHECK(s == NULL && len == 0);
        OK(agentdb_results_metadata(r, 0, i, &s, &len));
        CHECK(strcmp(s, "{}") == 0 && len == 2);
    }
    OK(agentdb_results_free(r));
    /* omit_documents / omit_metadata: each part of the payload can be left out alone. */
    o = agentdb_search_options_default();
    o.omit_documents = true;
    OK(agentdb_search_opts(c, q, 3, 4, NULL, NULL, &o, &r));
    CHECK(same_hits(plain, r));
    OK(agentdb_results_document(r, 0, 0, &s, &len));
    CHECK(s == NULL && len == 0);
    OK(agentdb_results_metadata(r, 0, 0, &s, &len));
    {
        const char *want = NULL;
        size_t want_len = 0;
        OK(agentdb_results_metadata(plain, 0, 0, &want, &want_len));
        CHECK(len == want_len && strcmp(s, want) == 0 && len > 2);
    }
    OK(agentdb_results_free(r));
    o = agentdb_search_options_default();
    o.omit_metadata = true;
    OK(agentdb_search_opts(c, q, 3, 4, NULL, NULL, &o, &r));
    OK(agentdb_results_document(r, 0, 0, &s, &len));
    CHECK(s != NULL && strcmp(s, "alpha") == 0);
    OK(agentdb_results_metadata(r, 0, 0, &s, &len));
    CHECK(strcmp(s, "{}") == 0 && len == 2);
    OK(agentdb_results_free(r));
    o = agentdb_search_options_default();
    o.ids_only = true;
    /* With a filter, in a batch, and through an index as well. */
    {
        const float qs[] = {1, 0, 0, 0, 1, 0};
        OK(agentdb_create_index(c, 0, 0));
        OK(agentdb_search_batch_opts(c, qs, 2, 3, 2, "lang = 'en'", NULL, &o, &r));
        CHECK(hit_is(r, 0, 0, "a", 0.0f));
        CHECK(hit_is(r, 0, 1, "d", 1.0f));
        CHECK(hit_is(r, 1, 0, "d", 1.0f));
        OK(agentdb_results_document(r, 1, 0, &s, NULL));
        CHECK(s == NULL);
        OK(agentdb_results_metadata(r, 1, 0, &s, NULL));
        CHECK(strcmp(s, "{}") == 0);
        OK(agentdb_results_free(r));
    }
    OK(agentdb_results_free(plain));
    OK(agentdb_collection_close(c));
    OK(agentdb_close(db));
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
    EXPECT(agentdb_create_index(c, 1, 0), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("m must be between 2 and 128");
    EXPECT(agentdb_create_index(c, 129, 200), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("m must be");
    EXPECT(agentdb_create_index(c, 16, 10001), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("ef_construction must be");
    CHECK(index_state(c, &m, &ef) == 0); /* nothing was built */
    /* A failed rebuild leaves the existing index as it was. */
    OK(agentdb_create_index(c, 4, 10));
    EXPECT(agentdb_create_index(c, 1, 10), AGENTDB_INVALID_ARGUMENT);
    CHECK(index_state(c, &m, &ef) == 1);
    CHECK(m == 4 && ef == 10);
    /* Search options out of range; the out-pointer is set to NULL. */
    r = (agentdb_results *)(uintptr_t)1;
    EXPECT(agentdb_search_opts(c, q, 3, 1, NULL, NULL, opts(&o, 100001, false), &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("ef must be");
    CHECK(r == NULL);
    EXPECT(agentdb_search_batch_opts(c, q, 1, 3, 0, NULL, NULL, opts(&o, 10, false), &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("k must be");
    EXPECT(agentdb_search_opts(c, q, 2, 1, NULL, NULL, opts(&o, 10, true), &r), AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_search_opts(c, q, 3, 1, "lang = ", NULL, opts(&o, 10, false), &r), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_search_opts(c, q, 3, 1, NULL, NULL, opts(&o, 10, false), NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_search_batch_opts(c, NULL, 1, 3, 1, NULL, NULL, opts(&o, 10, false), &r), AGENTDB_NULL_POINTER);
    /* A struct_size that is too small (e.g. not set) or too large (a newer header). */
    memset(&o, 0, sizeof o);
    r = (agentdb_results *)(uintptr_t)1;
    EXPECT(agentdb_search_opts(c, q, 3, 1, NULL, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("struct_size is 0, smaller than the first agentdb_search_options");
    CHECK(r == NULL);
    /* One byte short of the first version of the struct (which ends where nprobes begins). */
    o.struct_size = (uint32_t)offsetof(agentdb_search_options, nprobes) - 1;
    EXPECT(agentdb_search_batch_opts(c, q, 1, 3, 1, NULL, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("smaller");
    o.struct_size = (uint32_t)sizeof o + 8;
    EXPECT(agentdb_search_opts(c, q, 3, 1, NULL, NULL, &o, &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("newer agentdb.h");
    /* NULL pointers and handles. */
    EXPECT(agentdb_create_index(NULL, 0, 0), AGENTDB_NULL_POINTER);
    CHECK_MSG("collection");
    EXPECT(agentdb_drop_index(NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_index_params(c, NULL, &m, &ef), AGENTDB_NULL_POINTER);
    CHECK_MSG("out_has_index");
    EXPECT(agentdb_index_params(NULL, &has, &m, &ef), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_create_index((agentdb_collection *)db, 0, 0), AGENTDB_INVALID_HANDLE);
    /* After the database is closed: CLOSED. */
    OK(agentdb_close(db));
    EXPECT(agentdb_create_index(c, 0, 0), AGENTDB_CLOSED);
    EXPECT(agentdb_drop_index(c), AGENTDB_CLOSED);
    EXPECT(agentdb_index_params(c, &has, &m, &ef), AGENTDB_CLOSED);
    CHECK(!has);
    EXPECT(agentdb_search_opts(c, q, 3, 1, NULL, NULL, opts(&o, 0, false), &r), AGENTDB_CLOSED);
    OK(agentdb_collection_close(c));
    /* A freed collection handle. */
    EXPECT(agentdb_create_index(c, 0, 0), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_index_params(c, &has, NULL, NULL), AGENTDB_INVALID_HANDLE);
}

/* ---------------------------------------------------------------------------------------------- */


static const struct test TESTS[] = {
    {"version", test_version},
    {"write_search_reopen", test_write_search_reopen},
    {"cosine_and_dot", test_cosine_and_dot},
    {"null_pointers", test_null_pointers},
    {"invalid_utf8", test_invalid_utf8},
    {"wrong_dimension", test_wrong_dimension},
    {"invalid_vectors", test_invalid_vectors},
    {"duplicate_ids", test_duplicate_ids},
    {"bad_filter", test_bad_filter},
    {"bad_names", test_bad_names},
    {"bad_metadata", test_bad_metadata},
    {"bad_arguments", test_bad_arguments},
    {"freed_and_closed_handles", test_freed_and_closed_handles},
    {"threads", test_threads},
    {"index", test_index},
    {"search_options", test_search_options},
    {"index_bad_arguments", test_index_bad_arguments},
};

int main(int argc, char **argv) {
    return run_tests("C", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
