/*
 * A database on an object store through the C ABI: agentdb_db_open_uri with
 * agentdb_object_store_options, writes flushed to the store and read back read-only
 * (agentdb_db_refresh), the writer lease (AGENTDB_DATABASE_LOCKED for a second writer from another
 * local directory, i.e. another machine), and bad options. Runs against the S3 server that
 * `make test-c` starts (tests/object_store_server.py run, which sets AGENTDB_TEST_S3_ENDPOINT and
 * AGENTDB_TEST_S3_BUCKET); without them the tests fail and say so.
 */
#define _XOPEN_SOURCE 700

#include <time.h>

#include "harness.h"

static const char *KEYS[] = {"endpoint", "region", "access_key_id", "secret_access_key", "allow_http"};
static const char *VALUES[5];
static char g_uri[512];

/* The server's endpoint and a fresh prefix in its bucket; 0 when the environment lacks them. */
static int setup(void) {
    const char *endpoint = getenv("AGENTDB_TEST_S3_ENDPOINT");
    const char *bucket = getenv("AGENTDB_TEST_S3_BUCKET");
    struct timespec ts;
    if (!endpoint || !bucket) return 0;
    VALUES[0] = endpoint;
    VALUES[1] = "us-east-1";
    VALUES[2] = "testing";
    VALUES[3] = "testing";
    VALUES[4] = "true";
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(g_uri, sizeof g_uri, "s3://%s/c-%ld-%ld", bucket, (long)ts.tv_sec, ts.tv_nsec);
    return 1;
}

static agentdb_object_store_options store_opts(const char *wal_dir) {
    agentdb_object_store_options s = agentdb_object_store_options_default();
    s.keys = KEYS;
    s.values = VALUES;
    s.count = 5;
    s.wal_dir = wal_dir;
    return s;
}

static uint64_t count_of(agentdb_collection *c) {
    uint64_t n = UINT64_MAX;
    if (agentdb_collection_count(c, NULL, NULL, &n) != AGENTDB_OK) return UINT64_MAX;
    return n;
}

static void test_write_flush_read_and_lease(void) {
    char wal_a[600], wal_b[600];
    agentdb_db *db = NULL, *other = NULL, *ro = NULL;
    agentdb_collection *c = NULL, *rc = NULL;
    agentdb_open_options ro_opts = agentdb_open_options_default();
    agentdb_object_store_options s;
    const char *ids[] = {"a", "b"};
    const char *more[] = {"c"};
    const float v[] = {1, 0, 0, 1};
    const float w[] = {1, 1};
    if (!setup()) {
        report(__FILE__, __LINE__, "no S3 server", "run under tests/object_store_server.py run (make test-c does)");
        return;
    }
    snprintf(wal_a, sizeof wal_a, "%s/a", g_dir);
    snprintf(wal_b, sizeof wal_b, "%s/b", g_dir);
    s = store_opts(wal_a);
    CHECK(s.struct_size == sizeof(agentdb_object_store_options));
    OK(agentdb_db_open_uri(g_uri, NULL, &s, &db));
    OK(agentdb_collection_create(db, "c", 2, AGENTDB_METRIC_L2, &c));
    OK(agentdb_collection_add(c, ids, 2, v, 2, NULL, NULL));
    OK(agentdb_db_flush(db));

    /* Another local directory is another machine to the lease. */
    s = store_opts(wal_b);
    EXPECT(agentdb_db_open_uri(g_uri, NULL, &s, &other), AGENTDB_DATABASE_LOCKED);
    CHECK(other == NULL);
    CHECK_MSG("open for writing on");

    ro_opts.read_only = true;
    s = store_opts(NULL);
    s.read_consistency_interval_ms = 60000;
    OK(agentdb_db_open_uri(g_uri, &ro_opts, &s, &ro));
    OK(agentdb_collection_open(ro, "c", &rc));
    CHECK(count_of(rc) == 2);
    OK(agentdb_collection_add(c, more, 1, w, 2, NULL, NULL));
    OK(agentdb_db_flush(db));
    OK(agentdb_db_refresh(ro));
    CHECK(count_of(rc) == 3);
    EXPECT(agentdb_collection_add(rc, more, 1, w, 2, NULL, NULL), AGENTDB_READ_ONLY);
    OK(agentdb_collection_close(rc));
    OK(agentdb_db_close(ro));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));

    /* Closed: the lease is released, another directory gets it at once. */
    s = store_opts(wal_b);
    OK(agentdb_db_open_uri(g_uri, NULL, &s, &other));
    OK(agentdb_db_close(other));
}

static void test_bad_options(void) {
    agentdb_db *db = NULL;
    agentdb_object_store_options s = agentdb_object_store_options_default();
    EXPECT(agentdb_db_open_uri("gs://bucket/x", NULL, NULL, &db), AGENTDB_INVALID_ARGUMENT);
    CHECK(db == NULL);
    CHECK_MSG("not built");
    s.struct_size = 3;
    EXPECT(agentdb_db_open_uri("s3://bucket/x", NULL, &s, &db), AGENTDB_INVALID_ARGUMENT);
    s = agentdb_object_store_options_default();
    s.count = 2; /* NULL arrays with a count */
    EXPECT(agentdb_db_open_uri("s3://bucket/x", NULL, &s, &db), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_db_open_uri(NULL, NULL, NULL, &db), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_db_refresh(NULL), AGENTDB_NULL_POINTER);
    /* A local path through the same call is a local database. */
    OK(agentdb_db_open_uri(g_db_path, NULL, NULL, &db));
    OK(agentdb_db_refresh(db)); /* writable: nothing to do */
    OK(agentdb_db_close(db));
    CHECK(path_exists(g_db_path));
}

static const struct test TESTS[] = {
    {"write_flush_read_and_lease", test_write_flush_read_and_lease},
    {"bad_options", test_bad_options},
};

int main(int argc, char **argv) {
    return run_tests("C object store", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
