/*
 * The collection object through the C ABI (include/agentdb.h, libagentdb): opening and closing a
 * database, creating, opening and dropping collections, writing, reading, counting and deleting
 * records, the results and records they hand out, and each kind of bad input on its own.
 *
 * A real program against a real database in a temporary directory: it writes, searches, reopens
 * and checks the results against answers worked out by hand. `make test-c` builds every
 * tests/c/test_*.c with -std=c11 -Wall -Wextra -Werror -pedantic and runs it twice: plainly, and
 * under valgrind (zero errors, zero leaks). Search options and the HNSW index are
 * test_collection_search.c; index kinds test_index.c.
 *
 * Usage: test_collection [name-substring]   (runs the tests whose name contains the substring)
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw, pthreads */

#include <stddef.h>

#include "collection_fixture.h"

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

    OK(agentdb_db_open(g_db_path, &db));
    CHECK(db != NULL);
    OK(agentdb_collection_create(db, "docs", 3, AGENTDB_METRIC_L2, &c));
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
    OK(agentdb_collection_add(c, IDS, 4, VECS, 3, DOCS, META));
    OK(agentdb_collection_count(c, NULL, NULL, &count));
    CHECK(count == 4);
    OK(agentdb_collection_count(c, "lang = 'en'", NULL, &count));
    CHECK(count == 3);
    OK(agentdb_collection_count(c, NULL, "{\"year\": {\"$gte\": 2021}}", &count));
    CHECK(count == 2);

    /* Nearest to (1,0,0): a at 0, then d at 1. */
    {
        const float q[] = {1, 0, 0};
        OK(agentdb_collection_search(c, q, 3, 2, NULL, NULL, &r));
        OK(agentdb_results_query_count(r, &n));
        CHECK(n == 1);
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 2);
        CHECK(hit_is(r, 0, 0, "a", 0.0f));
        CHECK(hit_is(r, 0, 1, "d", 1.0f));
        OK(agentdb_results_get_document(r, 0, 0, &s, &len));
        CHECK(strcmp(s, "alpha") == 0 && len == 5);
        OK(agentdb_results_get_metadata(r, 0, 1, &s, NULL));
        CHECK(strstr(s, "\"lang\":\"en\"") != NULL);
        CHECK(strstr(s, "\"year\":2019") != NULL);
        CHECK(strstr(s, "\"when\":{\"$datetime\":\"2024-05-01T12:00:00") != NULL);
        OK(agentdb_results_free(r));
        r = NULL;
    }
    /* k larger than the collection: every record, in distance order; c has no document. */
    {
        const float q[] = {0, 0, 1};
        OK(agentdb_collection_search(c, q, 3, 10, NULL, NULL, &r));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 4);
        CHECK(hit_is(r, 0, 0, "c", 0.0f));
        OK(agentdb_results_get_document(r, 0, 0, &s, &len));
        CHECK(s == NULL && len == 0);
        OK(agentdb_results_free(r));
        r = NULL;
    }
    /* Filters, as SQL and as a JSON dict. */
    {
        const float q[] = {1, 0, 0};
        OK(agentdb_collection_search(c, q, 3, 10, "lang = 'fr'", NULL, &r));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 1);
        CHECK(hit_is(r, 0, 0, "b", 2.0f));
        OK(agentdb_results_free(r));
        OK(agentdb_collection_search(c, q, 3, 10, NULL, "{\"lang\": \"en\", \"year\": {\"$lt\": 2021}}", &r));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 2);
        CHECK(hit_is(r, 0, 0, "a", 0.0f));
        CHECK(hit_is(r, 0, 1, "d", 1.0f));
        OK(agentdb_results_free(r));
        OK(agentdb_collection_search(c, q, 3, 10, NULL, "{\"tags\": {\"$contains\": \"y\"}}", &r));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 1);
        CHECK(hit_is(r, 0, 0, "c", 2.0f));
        OK(agentdb_results_free(r));
        /* A quote in a value is a value, not SQL: it matches nothing. */
        OK(agentdb_collection_search(c, q, 3, 10, NULL, "{\"lang\": \"x' OR 1=1 --\"}", &r));
        OK(agentdb_results_count(r, 0, &n));
        CHECK(n == 0);
        OK(agentdb_results_free(r));
        r = NULL;
    }
    /* A batch of two queries. */
    {
        const float qs[] = {1, 0, 0, 0, 0.9f, 0.1f};
        OK(agentdb_collection_search_batch(c, qs, 2, 3, 1, NULL, NULL, &r));
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
        OK(agentdb_collection_get(c, want, 3, NULL, NULL, 0, 0, &rec));
        OK(agentdb_records_count(rec, &n));
        CHECK(n == 2);
        OK(agentdb_records_get_id(rec, 0, &s, NULL));
        CHECK(strcmp(s, "c") == 0);
        OK(agentdb_records_get_id(rec, 1, &s, NULL));
        CHECK(strcmp(s, "a") == 0);
        OK(agentdb_records_get_vector(rec, 0, &v, &n));
        CHECK(n == 3 && v[0] == 0 && v[1] == 0 && v[2] == 1);
        OK(agentdb_records_get_document(rec, 1, &s, NULL));
        CHECK(strcmp(s, "alpha") == 0);
        OK(agentdb_records_get_metadata(rec, 0, &s, NULL));
        CHECK(strstr(s, "\"tags\":[\"x\",\"y\"]") != NULL);
        OK(agentdb_records_get_timestamps(rec, 0, &created, &updated));
        CHECK(created > 1600000000000000LL && updated >= created);
        OK(agentdb_records_free(rec));
        rec = NULL;
    }
    /* Get by filter, with limit. */
    OK(agentdb_collection_get(c, NULL, 0, "lang = 'en'", NULL, 2, 0, &rec));
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
        OK(agentdb_collection_upsert(c, ids, 2, vecs, 3, docs, "[{\"lang\": \"de\"}, null]"));
        CHECK(count_of(c) == 5);
        OK(agentdb_collection_search(c, q, 3, 2, NULL, NULL, &r));
        CHECK(hit_is(r, 0, 0, "e", 0.25f));
        CHECK(hit_is(r, 0, 1, "d", 1.0f));
        OK(agentdb_results_free(r));
        r = NULL;
        OK(agentdb_collection_get(c, ids, 1, NULL, NULL, 0, 0, &rec));
        OK(agentdb_records_get_document(rec, 0, &s, NULL));
        CHECK(strcmp(s, "alpha v2") == 0);
        OK(agentdb_records_get_metadata(rec, 0, &s, NULL));
        CHECK(strcmp(s, "{\"lang\":\"de\"}") == 0);
        OK(agentdb_records_free(rec));
        rec = NULL;
    }
    /* Delete by ids, then by filter. */
    {
        const char *gone[] = {"b", "nope"};
        uint64_t deleted = 0;
        OK(agentdb_collection_delete(c, gone, 2, NULL, NULL, &deleted));
        CHECK(deleted == 1);
        OK(agentdb_collection_delete(c, NULL, 0, "year < 2020", NULL, &deleted));
        CHECK(deleted == 1);
        OK(agentdb_collection_delete(c, NULL, 0, NULL, "{\"lang\": \"zz\"}", NULL));
        CHECK(count_of(c) == 3); /* a, c, e */
    }
    OK(agentdb_collection_close(c));
    c = NULL;
    OK(agentdb_db_close(db));
    db = NULL;

    /* Reopen: exactly what was committed. */
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_list(db, &names));
    OK(agentdb_strings_count(names, &n));
    CHECK(n == 1);
    OK(agentdb_strings_get(names, 0, &s, &len));
    CHECK(strcmp(s, "docs") == 0 && len == 4);
    OK(agentdb_strings_free(names));
    names = NULL;
    OK(agentdb_collection_open(db, "docs", &c));
    CHECK(count_of(c) == 3);
    {
        const float q[] = {0, 1, 1};
        OK(agentdb_collection_search(c, q, 3, 3, NULL, NULL, &r));
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
    OK(agentdb_collection_open_or_create(db, "docs", 3, AGENTDB_METRIC_L2, &c));
    CHECK(count_of(c) == 3);
    OK(agentdb_collection_close(c));
    c = NULL;
    EXPECT(agentdb_collection_open_or_create(db, "docs", 4, AGENTDB_METRIC_L2, &c), AGENTDB_INVALID_ARGUMENT);
    CHECK(c == NULL);
    OK(agentdb_collection_open_or_create(db, "other", 2, AGENTDB_METRIC_COSINE, &c));
    OK(agentdb_collection_close(c));
    c = NULL;

    /* Drop. */
    OK(agentdb_collection_drop(db, "docs"));
    EXPECT(agentdb_collection_open(db, "docs", &c), AGENTDB_COLLECTION_NOT_FOUND);
    CHECK(c == NULL);
    EXPECT(agentdb_collection_drop(db, "docs"), AGENTDB_COLLECTION_NOT_FOUND);
    OK(agentdb_collection_list(db, &names));
    OK(agentdb_strings_count(names, &n));
    CHECK(n == 1);
    OK(agentdb_strings_free(names));
    OK(agentdb_db_close(db));
}

static void test_cosine_and_dot(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_results *r = NULL;
    const char *ids[] = {"x", "y"};
    const float vecs[] = {1, 0, 0, 2}; /* 2-D */
    const float q[] = {3, 0};

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_create(db, "cos", 2, AGENTDB_METRIC_COSINE, &c));
    OK(agentdb_collection_add(c, ids, 2, vecs, 2, NULL, NULL));
    OK(agentdb_collection_search(c, q, 2, 2, NULL, NULL, &r));
    CHECK(hit_is(r, 0, 0, "x", 0.0f)); /* 1 - cos = 0 */
    CHECK(hit_is(r, 0, 1, "y", 1.0f)); /* orthogonal */
    OK(agentdb_results_free(r));
    OK(agentdb_collection_close(c));

    OK(agentdb_collection_create(db, "dot", 2, AGENTDB_METRIC_DOT, &c));
    OK(agentdb_collection_add(c, ids, 2, vecs, 2, NULL, NULL));
    {
        const float q2[] = {0, 1};
        OK(agentdb_collection_search(c, q2, 2, 2, NULL, NULL, &r));
        CHECK(hit_is(r, 0, 0, "y", -1.0f)); /* 1 - 2 */
        CHECK(hit_is(r, 0, 1, "x", 1.0f));  /* 1 - 0 */
        OK(agentdb_results_free(r));
    }
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
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

    EXPECT(agentdb_db_open(NULL, &db), AGENTDB_NULL_POINTER);
    CHECK_MSG("path");
    CHECK(db == NULL);
    EXPECT(agentdb_db_open(g_db_path, NULL), AGENTDB_NULL_POINTER);
    CHECK_MSG("out_db");
    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_collection_create(db, NULL, 3, AGENTDB_METRIC_L2, &c2), AGENTDB_NULL_POINTER);
    CHECK(c2 == NULL);
    EXPECT(agentdb_collection_open(NULL, "docs", &c2), AGENTDB_NULL_POINTER);
    CHECK_MSG("db");
    EXPECT(agentdb_collection_add(c, NULL, 1, q, 3, NULL, NULL), AGENTDB_NULL_POINTER);
    CHECK_MSG("ids");
    EXPECT(agentdb_collection_add(c, null_ids, 2, vecs, 3, NULL, NULL), AGENTDB_NULL_POINTER);
    CHECK_MSG("ids[1]");
    EXPECT(agentdb_collection_add(c, null_ids, 1, NULL, 3, NULL, NULL), AGENTDB_NULL_POINTER);
    CHECK_MSG("vectors");
    EXPECT(agentdb_collection_search(c, NULL, 3, 1, NULL, NULL, &r), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_search(c, q, 3, 1, NULL, NULL, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_count(c, NULL, NULL, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_count(NULL, NULL, NULL, &count), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_get(c, NULL, 2, NULL, NULL, 0, 0, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_results_count(NULL, 0, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_collection_name(c, NULL, NULL), AGENTDB_NULL_POINTER);
    /* Free calls take NULL like free(). */
    OK(agentdb_results_free(NULL));
    OK(agentdb_records_free(NULL));
    OK(agentdb_strings_free(NULL));
    OK(agentdb_collection_close(NULL));
    OK(agentdb_db_close(NULL));
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_invalid_utf8(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL, *c2 = NULL;
    agentdb_records *rec = NULL;
    const char *bad_ids[] = {"ok", "bad\xff\xfe"};
    const float vecs[] = {1, 0, 0, 0, 1, 0};
    const char *bad_docs[] = {"fine", "\xc3\x28"};

    EXPECT(agentdb_db_open("/tmp/\xff\xfe", &db), AGENTDB_INVALID_UTF8);
    CHECK_MSG("UTF-8");
    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_collection_create(db, "na\xffme", 3, AGENTDB_METRIC_L2, &c2), AGENTDB_INVALID_UTF8);
    CHECK(c2 == NULL);
    EXPECT(agentdb_collection_add(c, bad_ids, 2, vecs, 3, NULL, NULL), AGENTDB_INVALID_UTF8);
    CHECK_MSG("ids[1]");
    EXPECT(agentdb_collection_add(c, IDS, 2, vecs, 3, bad_docs, NULL), AGENTDB_INVALID_UTF8);
    CHECK_MSG("documents[1]");
    EXPECT(agentdb_collection_add(c, IDS, 2, vecs, 3, NULL, "[{\"k\": \"\xff\"}, {}]"), AGENTDB_INVALID_UTF8);
    EXPECT(agentdb_collection_get(c, NULL, 0, "lang = '\xff'", NULL, 0, 0, &rec), AGENTDB_INVALID_UTF8);
    CHECK(rec == NULL);
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_wrong_dimension(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL, *c2 = NULL;
    agentdb_results *r = NULL;
    const char *ids[] = {"p", "q"};
    const float v2[] = {1, 0, 0, 1};
    const float q4[] = {1, 0, 0, 0};

    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_collection_add(c, ids, 2, v2, 2, NULL, NULL), AGENTDB_DIMENSION_MISMATCH);
    CHECK_MSG("dimension");
    EXPECT(agentdb_collection_upsert(c, ids, 1, q4, 4, NULL, NULL), AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_collection_search(c, q4, 4, 1, NULL, NULL, &r), AGENTDB_DIMENSION_MISMATCH);
    CHECK(r == NULL);
    EXPECT(agentdb_collection_search_batch(c, q4, 2, 2, 1, NULL, NULL, &r), AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_collection_create(db, "zero", 0, AGENTDB_METRIC_L2, &c2), AGENTDB_INVALID_ARGUMENT);
    CHECK(c2 == NULL);
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_invalid_vectors(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL, *cos = NULL;
    agentdb_results *r = NULL;
    const char *ids[] = {"n1", "n2"};
    float vecs[] = {1, 0, 0, 0, 0, 0};

    CHECK(open_fixture(&db, &c));
    vecs[4] = NAN;
    EXPECT(agentdb_collection_add(c, ids, 2, vecs, 3, NULL, NULL), AGENTDB_INVALID_VECTOR);
    CHECK_MSG("row 1");
    vecs[4] = INFINITY;
    EXPECT(agentdb_collection_search(c, vecs + 3, 3, 1, NULL, NULL, &r), AGENTDB_INVALID_VECTOR);
    OK(agentdb_collection_create(db, "cos", 3, AGENTDB_METRIC_COSINE, &cos));
    vecs[4] = 0;
    EXPECT(agentdb_collection_add(cos, ids, 2, vecs, 3, NULL, NULL), AGENTDB_INVALID_VECTOR); /* zero vector */
    CHECK(count_of(c) == 4);
    CHECK(count_of(cos) == 0);
    OK(agentdb_collection_close(cos));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_duplicate_ids(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    const char *again[] = {"new", "a"};
    const char *twice[] = {"z", "z"};
    const float vecs[] = {1, 1, 1, 2, 2, 2};

    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_collection_add(c, again, 2, vecs, 3, NULL, NULL), AGENTDB_DUPLICATE_ID);
    CHECK_MSG("row 1");
    EXPECT(agentdb_collection_add(c, twice, 2, vecs, 3, NULL, NULL), AGENTDB_DUPLICATE_ID);
    EXPECT(agentdb_collection_upsert(c, twice, 2, vecs, 3, NULL, NULL), AGENTDB_DUPLICATE_ID);
    CHECK(count_of(c) == 4); /* nothing of either batch was written */
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_bad_filter(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_results *r = NULL;
    agentdb_records *rec = NULL;
    uint64_t n = 0;
    const float q[] = {1, 0, 0};

    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_collection_search(c, q, 3, 2, "lang = = 'en'", NULL, &r), AGENTDB_INVALID_FILTER);
    CHECK(r == NULL);
    EXPECT(agentdb_collection_count(c, "no_such_column > 3", NULL, &n), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_collection_count(c, NULL, "{not json", &n), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_collection_count(c, NULL, "{\"year\": {\"$like\": 1}}", &n), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_collection_count(c, NULL, "{\"year\": \"2020\"}", &n), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_collection_count(c, NULL, "[1, 2]", &n), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_collection_get(c, NULL, 0, "year >", NULL, 0, 0, &rec), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_collection_delete(c, NULL, 0, "lang = ", NULL, NULL), AGENTDB_INVALID_FILTER);
    EXPECT(agentdb_collection_count(c, "lang = 'en'", "{\"lang\": \"en\"}", &n), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("not both");
    EXPECT(agentdb_collection_delete(c, NULL, 0, NULL, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_bad_names(void) {
    static const char *const bad[] = {"../escape", "..", "a/b", "/abs", "", ".hidden", "a\\b",
                                      "-dash", "sp ace"};
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    char outside[600];
    size_t i;

    OK(agentdb_db_open(g_db_path, &db));
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        EXPECT(agentdb_collection_create(db, bad[i], 3, AGENTDB_METRIC_L2, &c), AGENTDB_INVALID_NAME);
        CHECK(c == NULL);
        EXPECT(agentdb_collection_open(db, bad[i], &c), AGENTDB_INVALID_NAME);
        EXPECT(agentdb_collection_drop(db, bad[i]), AGENTDB_INVALID_NAME);
    }
    {
        char long_name[200];
        memset(long_name, 'x', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = '\0';
        EXPECT(agentdb_collection_create(db, long_name, 3, AGENTDB_METRIC_L2, &c), AGENTDB_INVALID_NAME);
    }
    /* Nothing was created next to the database directory. */
    snprintf(outside, sizeof outside, "%s/escape", g_dir);
    CHECK(!path_exists(outside));
    snprintf(outside, sizeof outside, "%s/escape.lance", g_dir);
    CHECK(!path_exists(outside));
    OK(agentdb_db_close(db));
}

static void test_bad_metadata(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    const char *ids[] = {"m1", "m2"};
    const float vecs[] = {1, 1, 0, 0, 1, 1};

    CHECK(open_fixture(&db, &c));
    EXPECT(agentdb_collection_add(c, ids, 2, vecs, 3, NULL, "not json"), AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_collection_add(c, ids, 2, vecs, 3, NULL, "{\"lang\": \"en\"}"), AGENTDB_INVALID_METADATA);
    CHECK_MSG("array");
    EXPECT(agentdb_collection_add(c, ids, 2, vecs, 3, NULL, "[{}, 5]"), AGENTDB_INVALID_METADATA);
    CHECK_MSG("metadata_json[1]");
    EXPECT(agentdb_collection_add(c, ids, 2, vecs, 3, NULL, "[{}, {\"nested\": {\"a\": 1}}]"), AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_collection_add(c, ids, 2, vecs, 3, NULL, "[{}, {\"bad key\": 1}]"), AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_collection_add(c, ids, 2, vecs, 3, NULL, "[{}, {\"year\": \"not an int\"}]"), AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_collection_add(c, ids, 2, vecs, 3, NULL, "[{}, {\"when\": {\"$datetime\": \"yesterday\"}}]"),
           AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_collection_add(c, ids, 2, vecs, 3, NULL, "[{}]"), AGENTDB_INVALID_ARGUMENT); /* 2 ids, 1 entry */
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
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
    EXPECT(agentdb_collection_search(c, q, 3, 0, NULL, NULL, &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("k must be");
    EXPECT(agentdb_collection_create(db, "m", 3, 7, &c2), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("metric");
    EXPECT(agentdb_collection_create(db, "docs", 3, AGENTDB_METRIC_L2, &c2), AGENTDB_COLLECTION_EXISTS);
    EXPECT(agentdb_collection_open(db, "missing", &c2), AGENTDB_COLLECTION_NOT_FOUND);
    EXPECT(agentdb_collection_add(c, empty_id, 1, q, 3, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_collection_add(c, IDS, SIZE_MAX / 2, q, 3, NULL, NULL), AGENTDB_INVALID_ARGUMENT); /* overflow */
    /* Indices past the end of a result. */
    OK(agentdb_collection_search(c, q, 3, 2, NULL, NULL, &r));
    EXPECT(agentdb_results_get_id(r, 0, 2, &s, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("out of range");
    EXPECT(agentdb_results_get_distance(r, 1, 0, &d), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_results_count(r, 5, &n), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_results_free(r));
    OK(agentdb_collection_get(c, NULL, 0, NULL, NULL, 0, 0, &rec));
    EXPECT(agentdb_records_get_id(rec, 4, &s, NULL), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_records_free(rec));
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
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
    OK(agentdb_collection_search(c, q, 3, 1, NULL, NULL, &r));
    OK(agentdb_results_free(r));
    /* Results used and freed again after the free. */
    EXPECT(agentdb_results_count(r, 0, &n), AGENTDB_INVALID_HANDLE);
    CHECK_MSG("agentdb_results");
    EXPECT(agentdb_results_free(r), AGENTDB_INVALID_HANDLE);
    /* A handle of one type passed as another. */
    OK(agentdb_collection_get(c, NULL, 0, NULL, NULL, 0, 0, &rec));
    EXPECT(agentdb_results_count((agentdb_results *)rec, 0, &n), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_collection_count((agentdb_collection *)db, NULL, NULL, &count), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_db_close((agentdb_db *)c), AGENTDB_INVALID_HANDLE);
    OK(agentdb_records_free(rec));
    /* Something that was never a handle. */
    EXPECT(agentdb_collection_count((agentdb_collection *)(uintptr_t)0x1234, NULL, NULL, &count), AGENTDB_INVALID_HANDLE);
    {
        int local = 0;
        EXPECT(agentdb_collection_count((agentdb_collection *)(void *)&local, NULL, NULL, &count), AGENTDB_INVALID_HANDLE);
    }
    /* A collection handle used after its own close. */
    OK(agentdb_collection_open(db, "docs", &c2));
    OK(agentdb_collection_close(c2));
    EXPECT(agentdb_collection_count(c2, NULL, NULL, &count), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_collection_close(c2), AGENTDB_INVALID_HANDLE);
    /* A dropped collection: its handle reports CLOSED. */
    OK(agentdb_collection_create(db, "tmp", 3, AGENTDB_METRIC_L2, &c2));
    OK(agentdb_collection_drop(db, "tmp"));
    EXPECT(agentdb_collection_count(c2, NULL, NULL, &count), AGENTDB_CLOSED);
    OK(agentdb_collection_close(c2));
    /* After the database is closed: its collections report CLOSED, the db handle is gone. */
    OK(agentdb_db_close(db));
    EXPECT(agentdb_collection_count(c, NULL, NULL, &count), AGENTDB_CLOSED);
    EXPECT(agentdb_collection_search(c, q, 3, 1, NULL, NULL, &r), AGENTDB_CLOSED);
    EXPECT(agentdb_collection_open(db, "docs", &c2), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_db_close(db), AGENTDB_INVALID_HANDLE);
    OK(agentdb_collection_close(c));
    /* The data is intact. */
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_open(db, "docs", &c));
    CHECK(count_of(c) == 4);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
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
    if (agentdb_collection_add(w->c, ids, 8, vecs, 3, NULL, NULL) != AGENTDB_OK) return NULL;
    if (agentdb_collection_search(w->c, vecs, 3, 1, NULL, NULL, &r) != AGENTDB_OK) return NULL;
    if (agentdb_results_count(r, 0, &n) != AGENTDB_OK || n != 1) return NULL;
    {
        const char *id = NULL;
        if (agentdb_results_get_id(r, 0, 0, &id, NULL) != AGENTDB_OK || strcmp(id, ids[0]) != 0) return NULL;
    }
    agentdb_results_free(r);
    /* Each thread's error message is its own. */
    if (agentdb_collection_count(w->c, NULL, "{\"bad\": {\"$nope\": 1}}", &count) != AGENTDB_INVALID_FILTER) return NULL;
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
    EXPECT(agentdb_db_open(NULL, NULL), AGENTDB_NULL_POINTER);
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
    OK(agentdb_db_close(db));
}

/* Staged writes: a read-only handle stages parts (as a distributed worker does), the writer
 * commits them at once; duplicates and foreign texts are refused and commit nothing. */
static void test_stage_and_commit(void) {
    agentdb_db *db = NULL, *ro = NULL;
    agentdb_collection *c = NULL, *rc = NULL;
    agentdb_strings *p1 = NULL, *p2 = NULL, *again = NULL;
    agentdb_results *r = NULL;
    const char *parts[2] = {NULL, NULL};
    size_t len = 0;
    uint64_t added = 0;
    static const char *const MORE[] = {"e", "f"};
    static const float MORE_VECS[] = {5, 5, 5, 6, 6, 6};
    static const char *const MORE_DOCS[] = {"echo", NULL};
    static const char *const MORE_META = "[{\"lang\": \"de\"}, null]";

    CHECK(open_fixture(&db, &c));
    OK(agentdb_db_flush(db));
    {
        agentdb_open_options o = agentdb_open_options_default();
        o.read_only = true;
        OK(agentdb_db_open_with(g_db_path, &o, &ro));
    }
    OK(agentdb_collection_open(ro, "docs", &rc));
    OK(agentdb_collection_stage(rc, MORE, 1, MORE_VECS, 3, MORE_DOCS, "[{\"lang\": \"de\"}]", &p1));
    OK(agentdb_collection_stage(rc, MORE + 1, 1, MORE_VECS + 3, 3, NULL, NULL, &p2));
    OK(agentdb_strings_get(p1, 0, &parts[0], &len));
    CHECK(len > 0 && parts[0][0] == '{');
    OK(agentdb_strings_get(p2, 0, &parts[1], &len));
    CHECK(count_of(c) == 4); /* nothing visible before the commit */
    EXPECT(agentdb_collection_commit_staged(rc, parts, 2, &added), AGENTDB_READ_ONLY);
    OK(agentdb_collection_commit_staged(c, parts, 2, &added));
    CHECK(added == 2 && count_of(c) == 6);
    {
        static const float Q[] = {5, 5, 5};
        OK(agentdb_collection_search(c, Q, 3, 1, NULL, NULL, &r));
        CHECK(hit_is(r, 0, 0, "e", 0));
        agentdb_results_free(r);
    }
    /* The same ids again: refused, nothing committed. */
    OK(agentdb_collection_stage(rc, MORE, 2, MORE_VECS, 3, MORE_DOCS, MORE_META, &again));
    OK(agentdb_strings_get(again, 0, &parts[0], &len));
    EXPECT(agentdb_collection_commit_staged(c, parts, 1, &added), AGENTDB_DUPLICATE_ID);
    parts[0] = "{\"not\": \"a part\"}";
    EXPECT(agentdb_collection_commit_staged(c, parts, 1, &added), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("not a staged write");
    EXPECT(agentdb_collection_commit_staged(c, NULL, 1, &added), AGENTDB_NULL_POINTER);
    OK(agentdb_collection_commit_staged(c, NULL, 0, NULL));
    CHECK(count_of(c) == 6);
    /* A metadata key that is no column yet cannot be staged. */
    agentdb_strings *bad = (agentdb_strings *)1;
    EXPECT(agentdb_collection_stage(rc, MORE, 1, MORE_VECS, 3, NULL, "[{\"brand_new\": 1}]", &bad), AGENTDB_INVALID_METADATA);
    CHECK(bad == NULL);
    agentdb_strings_free(p1);
    agentdb_strings_free(p2);
    agentdb_strings_free(again);
    agentdb_collection_close(rc);
    agentdb_db_close(ro);
    agentdb_collection_close(c);
    agentdb_db_close(db);
}

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
    {"stage_and_commit", test_stage_and_commit},
};

int main(int argc, char **argv) {
    return run_tests("C collection", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
