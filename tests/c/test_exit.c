/*
 * Calls from an atexit handler (rust/fuzz/RESULTS.md, finding 3). glibc destroys the main thread's
 * thread-locals before it runs the atexit handlers, and the engine's async runtime needs its own on
 * the calling thread: agentdb_db_close from an atexit handler used to return AGENTDB_PANIC without
 * flushing. Each test runs a child (this program, exec'd afresh) whose atexit handler makes the
 * calls and reports through its exit status; the parent then opens the database read-only, which
 * does not replay the write-ahead log, so it sees the writes only if the child's close flushed them
 * to Lance.
 */
#define _XOPEN_SOURCE 700

#include <sys/wait.h>

#include "harness.h"

static const char *g_self; /* argv[0]: this program, re-run as the child */
static agentdb_db *g_child_db;
static agentdb_collection *g_child_coll;

static const float V[] = {1, 0, 0, 0, 1, 0, 0, 0, 1};

/* In the child, from an atexit handler: a failed call ends the child with status `code` (exit()
 * must not be called again from a handler). */
static void must(agentdb_status st, const char *what, int code) {
    if (st == AGENTDB_OK) return;
    fprintf(stderr, "child, at exit: %s returned %s (%s)\n", what, agentdb_status_name((int32_t)st), agentdb_errmsg());
    _Exit(code);
}

/* The child writes in main and only closes at exit: the writes are buffered and in the log. */
static void close_only_at_exit(void) {
    must(agentdb_collection_close(g_child_coll), "agentdb_collection_close", 10);
    must(agentdb_db_close(g_child_db), "agentdb_db_close", 11);
}

/* Every kind of call at exit: collection writes and reads, agent state, flush, close. */
static void everything_at_exit(void) {
    agentdb_collection *c = NULL;
    uint64_t n = 0, version = 0;
    const char *ids[] = {"x", "y"};
    must(agentdb_collection_open_or_create(g_child_db, "late", 3, AGENTDB_METRIC_L2, &c), "agentdb_collection_open_or_create", 20);
    must(agentdb_collection_add(c, ids, 2, V, 3, NULL, NULL), "agentdb_collection_add", 21);
    must(agentdb_collection_count(c, NULL, NULL, &n), "agentdb_collection_count", 22);
    if (n != 2) _Exit(23);
    must(agentdb_state_put(g_child_db, "agent", "s", "k'(\\)", "{\"at\": \"exit\"}", 0, &version), "agentdb_state_put", 24);
    if (version != 1) _Exit(25);
    /* A failure at exit still has its message. */
    if (agentdb_collection_add(c, ids, 1, V, 2, NULL, NULL) != AGENTDB_DIMENSION_MISMATCH) _Exit(26);
    if (agentdb_errmsg()[0] == '\0') _Exit(27);
    must(agentdb_db_flush(g_child_db), "agentdb_db_flush", 28);
    must(agentdb_collection_close(c), "agentdb_collection_close (late)", 30);
    close_only_at_exit();
}

static int child(const char *mode, const char *path) {
    const char *ids[] = {"a", "b", "c"};
    if (agentdb_db_open(path, &g_child_db) != AGENTDB_OK) return 2;
    if (agentdb_collection_open_or_create(g_child_db, "w", 3, AGENTDB_METRIC_L2, &g_child_coll) != AGENTDB_OK) return 3;
    if (agentdb_collection_add(g_child_coll, ids, 3, V, 3, NULL, NULL) != AGENTDB_OK) return 4;
    atexit(strcmp(mode, "--everything-at-exit") == 0 ? everything_at_exit : close_only_at_exit);
    return 0; /* returning from main calls exit(), which destroys thread-locals and runs the handler */
}

/* Runs the child in `mode` on g_db_path; true if it exited with status 0. */
static int run_child(const char *mode) {
    int status = 0;
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        execl(g_self, g_self, mode, g_db_path, (char *)NULL);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid) return 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "    child %s exited with status %d\n", mode, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return 0;
    }
    return 1;
}

static uint64_t count_in(agentdb_db *db, const char *name) {
    agentdb_collection *c = NULL;
    uint64_t n = UINT64_MAX;
    if (agentdb_collection_open(db, name, &c) != AGENTDB_OK) return UINT64_MAX;
    if (agentdb_collection_count(c, NULL, NULL, &n) != AGENTDB_OK) n = UINT64_MAX;
    agentdb_collection_close(c);
    return n;
}

static agentdb_db *open_read_only(void) {
    agentdb_db *db = NULL;
    agentdb_open_options o = agentdb_open_options_default();
    o.read_only = true;
    return agentdb_db_open_with(g_db_path, &o, &db) == AGENTDB_OK ? db : NULL;
}

static void test_close_from_atexit_flushes(void) {
    agentdb_db *db;
    CHECK(run_child("--close-at-exit"));
    db = open_read_only();
    CHECK(db != NULL);
    CHECK(count_in(db, "w") == 3);
    OK(agentdb_db_close(db));
    /* The child released the writer lock. */
    OK(agentdb_db_open(g_db_path, &db));
    CHECK(count_in(db, "w") == 3);
    OK(agentdb_db_close(db));
}

static void test_every_call_from_atexit(void) {
    agentdb_db *db;
    agentdb_state_versions *v = NULL;
    size_t n = 0;
    agentdb_state_version one;
    CHECK(run_child("--everything-at-exit"));
    db = open_read_only();
    CHECK(db != NULL);
    CHECK(count_in(db, "w") == 3);
    CHECK(count_in(db, "late") == 2);
    OK(agentdb_state_get(db, "agent", "s", "k'(\\)", &v));
    OK(agentdb_state_versions_count(v, &n));
    CHECK(n == 1);
    OK(agentdb_state_versions_get(v, 0, &one));
    CHECK(strstr(one.value_json, "exit") != NULL);
    OK(agentdb_state_versions_free(v));
    OK(agentdb_db_close(db));
}

static const struct test TESTS[] = {
    {"close_from_atexit_flushes", test_close_from_atexit_flushes},
    {"every_call_from_atexit", test_every_call_from_atexit},
};

int main(int argc, char **argv) {
    g_self = argv[0];
    if (argc == 3 && strncmp(argv[1], "--", 2) == 0) return child(argv[1], argv[2]);
    return run_tests("C exit", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
