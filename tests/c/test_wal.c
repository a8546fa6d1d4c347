/*
 * The write-ahead log through the C ABI: open options (sync modes, read-only), agentdb_db_flush, the
 * one-writer lock (AGENTDB_DATABASE_LOCKED), writes on a read-only database (AGENTDB_READ_ONLY),
 * and replay of writes that were never flushed (a child process writes and exits without closing).
 */
#define _XOPEN_SOURCE 700

#include <sys/wait.h>

#include "harness.h"

static const float V[] = {1, 0, 0, 0, 1, 0, 0, 0, 1};

static uint64_t count_of(agentdb_collection *c) {
    uint64_t n = UINT64_MAX;
    if (agentdb_collection_count(c, NULL, NULL, &n) != AGENTDB_OK) return UINT64_MAX;
    return n;
}

static void test_options_and_flush(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_open_options o = agentdb_open_options_default();
    CHECK(o.struct_size == sizeof(agentdb_open_options));
    CHECK(o.sync == AGENTDB_SYNC_ALWAYS && !o.read_only);

    o.sync = 7;
    EXPECT(agentdb_db_open_with(g_db_path, &o, &db), AGENTDB_INVALID_ARGUMENT);
    CHECK(db == NULL);
    CHECK_MSG("sync");
    o = agentdb_open_options_default();
    o.struct_size = 3;
    EXPECT(agentdb_db_open_with(g_db_path, &o, &db), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_db_open_with(g_db_path, NULL, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_db_flush(NULL), AGENTDB_NULL_POINTER);

    o = agentdb_open_options_default();
    o.sync = AGENTDB_SYNC_BATCH;
    OK(agentdb_db_open_with(g_db_path, &o, &db));
    OK(agentdb_collection_create(db, "w", 3, AGENTDB_METRIC_L2, &c));
    {
        const char *ids[] = {"a", "b", "c"};
        size_t i;
        for (i = 0; i < 3; i++) OK(agentdb_collection_add(c, &ids[i], 1, &V[3 * i], 3, NULL, NULL));
    }
    CHECK(count_of(c) == 3); /* buffered writes are visible at once */
    OK(agentdb_db_flush(db));
    CHECK(count_of(c) == 3);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));

    /* NULL options: the defaults, as agentdb_db_open. */
    OK(agentdb_db_open_with(g_db_path, NULL, &db));
    OK(agentdb_collection_open(db, "w", &c));
    CHECK(count_of(c) == 3);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_lock_and_read_only(void) {
    agentdb_db *writer = NULL, *other = NULL, *ro = NULL;
    agentdb_collection *c = NULL, *rc = NULL;
    agentdb_open_options o = agentdb_open_options_default();
    const char *ids[] = {"a"};

    OK(agentdb_db_open(g_db_path, &writer));
    OK(agentdb_collection_create(writer, "w", 3, AGENTDB_METRIC_L2, &c));
    OK(agentdb_collection_add(c, ids, 1, V, 3, NULL, NULL));
    OK(agentdb_db_flush(writer));

    EXPECT(agentdb_db_open(g_db_path, &other), AGENTDB_DATABASE_LOCKED);
    CHECK(other == NULL);
    CHECK_MSG("open for writing");
    CHECK(strcmp(agentdb_status_name(AGENTDB_DATABASE_LOCKED), "AGENTDB_DATABASE_LOCKED") == 0);
    CHECK(strcmp(agentdb_status_name(AGENTDB_READ_ONLY), "AGENTDB_READ_ONLY") == 0);

    o.read_only = true;
    OK(agentdb_db_open_with(g_db_path, &o, &ro));
    OK(agentdb_collection_open(ro, "w", &rc));
    CHECK(count_of(rc) == 1);
    {
        const char *more[] = {"b"};
        EXPECT(agentdb_collection_add(rc, more, 1, V, 3, NULL, NULL), AGENTDB_READ_ONLY);
        agentdb_collection *x = NULL;
        EXPECT(agentdb_collection_create(ro, "x", 3, AGENTDB_METRIC_L2, &x), AGENTDB_READ_ONLY);
        CHECK(x == NULL);
    }
    OK(agentdb_db_flush(ro)); /* nothing to flush */
    OK(agentdb_collection_close(rc));
    OK(agentdb_db_close(ro));

    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(writer));
    /* Closing released the lock. */
    OK(agentdb_db_open(g_db_path, &other));
    OK(agentdb_db_close(other));
}

static const char *g_self; /* argv[0]: this program, re-run as the writing child */

/* The child: writes single rows to `path` and exits without closing (no flush: the writes are
 * only in the log). */
static int write_child(const char *path) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    char id[16];
    const char *ids[1];
    int i;
    ids[0] = id;
    if (agentdb_db_open(path, &db) != AGENTDB_OK) return 1;
    if (agentdb_collection_create(db, "w", 3, AGENTDB_METRIC_L2, &c) != AGENTDB_OK) return 2;
    for (i = 0; i < 100; i++) {
        snprintf(id, sizeof id, "r%d", i);
        if (agentdb_collection_add(c, ids, 1, &V[3 * (i % 3)], 3, NULL, NULL) != AGENTDB_OK) return 3;
    }
    _exit(0);
}

/* A child process (this program, exec'd afresh) writes and exits without closing; the parent's
 * open replays the log. */
static void test_replay_after_exit_without_close(void) {
    int status = 0;
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execl(g_self, g_self, "--write-child", g_db_path, (char *)NULL);
        _exit(127);
    }
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_open(db, "w", &c));
    CHECK(count_of(c) == 100);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static const struct test TESTS[] = {
    {"replay_after_exit_without_close", test_replay_after_exit_without_close},
    {"options_and_flush", test_options_and_flush},
    {"lock_and_read_only", test_lock_and_read_only},
};

int main(int argc, char **argv) {
    g_self = argv[0];
    if (argc == 3 && strcmp(argv[1], "--write-child") == 0) return write_child(argv[2]);
    return run_tests("C wal", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
