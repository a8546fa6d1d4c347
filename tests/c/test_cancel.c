/*
 * Cancelling long calls through the C ABI (agentdb_cancel_token_*): a token's own calls and bad
 * handles; an index build cancelled from another thread while it runs (AGENTDB_CANCELLED, the old
 * index still serving, the next build working); a backup under a cancelled token (no point left)
 * and one after detaching (it runs); a short call ignores the token.
 */
#define _XOPEN_SOURCE 700

#include <pthread.h>
#include <time.h>

#include "harness.h"

#define N 3000
#define DIM 8

static void test_token_calls(void) {
    agentdb_cancel_token *t = NULL;
    int cancelled = -1;
    OK(agentdb_cancel_token_new(&t));
    OK(agentdb_cancel_token_is_cancelled(t, &cancelled));
    CHECK(cancelled == 0);
    OK(agentdb_cancel_token_cancel(t));
    OK(agentdb_cancel_token_cancel(t));
    OK(agentdb_cancel_token_is_cancelled(t, &cancelled));
    CHECK(cancelled == 1);
    OK(agentdb_cancel_token_reset(t));
    OK(agentdb_cancel_token_is_cancelled(t, &cancelled));
    CHECK(cancelled == 0);
    EXPECT(agentdb_cancel_token_new(NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_cancel_token_is_cancelled(t, NULL), AGENTDB_NULL_POINTER);
    OK(agentdb_cancel_token_detach()); /* none attached: nothing to do */
    OK(agentdb_cancel_token_free(t));
    EXPECT(agentdb_cancel_token_free(t), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_cancel_token_cancel(t), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_cancel_token_attach(t), AGENTDB_INVALID_HANDLE);
    OK(agentdb_cancel_token_free(NULL));
    CHECK(strcmp(agentdb_status_name(AGENTDB_CANCELLED), "AGENTDB_CANCELLED") == 0);
}

static void *cancel_later(void *arg) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    agentdb_cancel_token_cancel((agentdb_cancel_token *)arg);
    return NULL;
}

static float g_vecs[N * DIM];

static void test_cancelled_index_build_keeps_the_old_index(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_cancel_token *t = NULL;
    agentdb_index_options o = agentdb_index_options_default(), got = agentdb_index_options_default();
    agentdb_results *r = NULL;
    const char *id = NULL;
    static char names[N][16];
    const char *ids[N];
    pthread_t th;
    bool has = false;
    uint64_t n = 0;
    unsigned x = 1;
    size_t i;
    for (i = 0; i < N * DIM; i++) {
        x = x * 1664525u + 1013904223u;
        g_vecs[i] = (float)x / 4294967296.0f;
    }
    for (i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "r%zu", i);
        ids[i] = names[i];
    }
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_create(db, "big", DIM, AGENTDB_METRIC_L2, &c));
    OK(agentdb_collection_add(c, ids, N, g_vecs, DIM, NULL, NULL));
    o.m = 4;
    o.ef_construction = 8;
    OK(agentdb_collection_create_index_with(c, &o));

    OK(agentdb_cancel_token_new(&t));
    OK(agentdb_cancel_token_attach(t));
    CHECK(pthread_create(&th, NULL, cancel_later, t) == 0);
    o.m = 48;
    o.ef_construction = 2000;
    EXPECT(agentdb_collection_create_index_with(c, &o), AGENTDB_CANCELLED);
    CHECK_MSG("cancelled");
    CHECK(pthread_join(th, NULL) == 0);
    /* Still attached and cancelled: a short call ignores it, a long one stops at once. */
    OK(agentdb_collection_count(c, NULL, NULL, &n));
    CHECK(n == N);
    EXPECT(agentdb_collection_optimize(c), AGENTDB_CANCELLED);
    OK(agentdb_cancel_token_detach());

    OK(agentdb_collection_index_describe(c, &has, &got));
    CHECK(has && got.m == 4 && got.ef_construction == 8);
    OK(agentdb_collection_search(c, g_vecs, DIM, 3, NULL, NULL, &r));
    OK(agentdb_results_get_id(r, 0, 0, &id, NULL));
    CHECK(strcmp(id, "r0") == 0);
    OK(agentdb_results_free(r));
    o.m = 8;
    o.ef_construction = 16;
    OK(agentdb_collection_create_index_with(c, &o));
    OK(agentdb_collection_index_describe(c, &has, &got));
    CHECK(has && got.m == 8);
    OK(agentdb_cancel_token_free(t));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_cancelled_backup_leaves_no_point(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_cancel_token *t = NULL;
    agentdb_backup_point p;
    agentdb_report *rep = NULL;
    const char *text = NULL;
    const char *ids[2] = {"a", "b"};
    float v[2 * DIM] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    char dest[600];
    snprintf(dest, sizeof dest, "%s/bk", g_dir);
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_create(db, "docs", DIM, AGENTDB_METRIC_L2, &c));
    OK(agentdb_collection_add(c, ids, 2, v, DIM, NULL, NULL));
    OK(agentdb_cancel_token_new(&t));
    OK(agentdb_cancel_token_cancel(t));
    OK(agentdb_cancel_token_attach(t));
    EXPECT(agentdb_db_backup(db, dest, false, &p), AGENTDB_CANCELLED);
    OK(agentdb_cancel_token_detach());
    OK(agentdb_list_backups(dest, &rep));
    OK(agentdb_report_get_text(rep, &text, NULL));
    CHECK(strcmp(text, "[]") == 0);
    OK(agentdb_report_free(rep));
    OK(agentdb_db_backup(db, dest, false, &p));
    CHECK(p.seq == 1);
    OK(agentdb_cancel_token_free(t));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static const struct test TESTS[] = {
    {"token_calls", test_token_calls},
    {"cancelled_index_build_keeps_the_old_index", test_cancelled_index_build_keeps_the_old_index},
    {"cancelled_backup_leaves_no_point", test_cancelled_backup_leaves_no_point},
};

int main(int argc, char **argv) {
    return run_tests("C cancel", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
