/*
 * Dropping a collection while another thread flushes it (rust/fuzz/RESULTS.md, finding 5, found by
 * the C-ABI fuzzer): a flush (or the background flusher's compaction) that had started before the
 * drop went on writing into the table's directory while Lance removed it. The drop then failed
 * with AGENTDB_STORAGE ("Directory not empty") after marking the collection dropped, and every
 * later open of that name handed out the dropped collection (AGENTDB_CLOSED) until the database
 * was reopened.
 */
#define _XOPEN_SOURCE 700

#include <time.h>

#include "harness.h"

static agentdb_db *g_race_db;
static volatile int g_stop;

static void *flush_forever(void *arg) {
    (void)arg;
    while (!g_stop) agentdb_db_flush(g_race_db);
    return NULL;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Create, write, drop, again and again, while another thread flushes without a pause: every drop
 * succeeds and every re-created collection is empty. Bounded in time (valgrind is slow). */
static void test_drop_while_flushing(void) {
    static const float V[] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 2, 2, 2, 3, 3, 3};
    const char *ids[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    pthread_t flusher;
    double until = now_s() + 6;
    int i, failed = 0;
    agentdb_open_options o = agentdb_open_options_default();
    o.sync = AGENTDB_SYNC_OFF;
    OK(agentdb_db_open_with(g_db_path, &o, &g_race_db));
    g_stop = 0;
    CHECK(pthread_create(&flusher, NULL, flush_forever, NULL) == 0);
    for (i = 0; i < 2000 && now_s() < until && !failed; i++) {
        agentdb_collection *c = NULL;
        uint64_t n = 99;
        agentdb_status st = agentdb_collection_open_or_create(g_race_db, "x", 3, AGENTDB_METRIC_L2, &c);
        if (st == AGENTDB_OK) st = agentdb_collection_count(c, NULL, NULL, &n);
        if (st != AGENTDB_OK || n != 0) {
            fprintf(stderr, "    round %d: re-created collection: %s (%s), %llu records\n", i,
                    agentdb_status_name((int32_t)st), agentdb_errmsg(), (unsigned long long)n);
            failed = 1;
        }
        if (c != NULL) {
            agentdb_collection_add(c, ids, (size_t)(1 + i % 8), V, 3, NULL, NULL);
            agentdb_collection_add(c, ids + 4, 4, V + 12, 3, NULL, NULL);
        }
        st = agentdb_collection_drop(g_race_db, "x");
        if (st != AGENTDB_OK) {
            fprintf(stderr, "    round %d: drop: %s (%s)\n", i, agentdb_status_name((int32_t)st), agentdb_errmsg());
            failed = 1;
        }
        agentdb_collection_close(c);
    }
    g_stop = 1;
    pthread_join(flusher, NULL);
    OK(agentdb_db_close(g_race_db));
    CHECK(!failed);
    CHECK(i > 0);
}

static const struct test TESTS[] = {
    {"drop_while_flushing", test_drop_while_flushing},
};

int main(int argc, char **argv) {
    return run_tests("C drop race", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
