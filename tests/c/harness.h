/*
 * The shared harness of the C test programs (tests/c/test_*.c): CHECK/EXPECT/OK/CHECK_MSG, a fresh
 * temporary directory per test (g_dir, g_db_path = g_dir/db) and the runner. Each test_*.c is its
 * own program; `make test-c` builds and runs every one, plainly and under valgrind.
 */
#ifndef AGENTDB_TEST_HARNESS_H
#define AGENTDB_TEST_HARNESS_H

#define _XOPEN_SOURCE 700 /* mkdtemp, nftw, pthreads */

#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentdb.h"

/* ---------------------------------------------------------------------------------------------- */
/* A tiny test harness                                                                            */

static int g_failed_checks; /* one test program per file: each has its own copy */
static char g_dir[256];     /* this test's temporary directory */
static char g_db_path[512]; /* g_dir/db */

static inline void report(const char *file, int line, const char *what, const char *detail) {
    fprintf(stderr, "    %s:%d: %s%s%s\n", file, line, what, detail ? ": " : "", detail ? detail : "");
    g_failed_checks++;
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            report(__FILE__, __LINE__, "check failed", #cond);                                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* The call must return `want`; on a failure status the message must not be empty. */
#define EXPECT(call, want)                                                                         \
    do {                                                                                           \
        agentdb_status got_ = (call);                                                              \
        if (got_ != (want)) {                                                                      \
            char buf_[1024];                                                                       \
            snprintf(buf_, sizeof buf_, "%s returned %s, expected %s (message: %s)", #call,       \
                     agentdb_status_name((int32_t)got_), agentdb_status_name((int32_t)(want)),     \
                     agentdb_errmsg());                                                            \
            report(__FILE__, __LINE__, "wrong status", buf_);                                      \
            return;                                                                                \
        }                                                                                          \
        if (got_ != AGENTDB_OK && agentdb_errmsg()[0] == '\0') {                                   \
            report(__FILE__, __LINE__, "empty error message", #call);                              \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define OK(call) EXPECT(call, AGENTDB_OK)

/* The last error message must contain `needle`. */
#define CHECK_MSG(needle)                                                                          \
    do {                                                                                           \
        if (strstr(agentdb_errmsg(), (needle)) == NULL) {                                          \
            char buf_[1024];                                                                       \
            snprintf(buf_, sizeof buf_, "message \"%s\" lacks \"%s\"", agentdb_errmsg(), (needle)); \
            report(__FILE__, __LINE__, "wrong message", buf_);                                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b) CHECK(fabs((double)(a) - (double)(b)) < 1e-5)

static inline int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void make_temp_dir(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/agentdb-c-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(g_dir) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(g_db_path, sizeof g_db_path, "%s/db", g_dir);
}

static inline void remove_temp_dir(void) {
    nftw(g_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static inline int path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Options for agentdb_rag_ingest: the engine's defaults (agentdb_ingest_options_default), with
 * the chunk overlap and `force` a test needs. A per-thread copy, valid until the next call of this
 * helper on the same thread (each test passes it straight to one call). */
static inline const agentdb_ingest_options *ingest_opts(size_t chunk_overlap, bool force) {
    static _Thread_local agentdb_ingest_options o;
    o = agentdb_ingest_options_default();
    o.chunk_overlap = chunk_overlap;
    o.force = force;
    return &o;
}

/* ---------------------------------------------------------------------------------------------- */
/* The runner: each test gets a fresh temporary directory.                                        */

struct test {
    const char *name;
    void (*run)(void);
};

/* Runs the tests whose name contains argv[1] (all without it); prints "<suite>: N passed, M failed". */
static inline int run_tests(const char *suite, const struct test *tests, size_t n, int argc, char **argv) {
    size_t i;
    int passed = 0, failed = 0;
    const char *only = argc > 1 ? argv[1] : NULL;

    for (i = 0; i < n; i++) {
        int before = g_failed_checks;
        if (only && strstr(tests[i].name, only) == NULL) continue;
        make_temp_dir();
        tests[i].run();
        remove_temp_dir();
        if (g_failed_checks == before) {
            printf("ok   %s\n", tests[i].name);
            passed++;
        } else {
            printf("FAIL %s\n", tests[i].name);
            failed++;
        }
        fflush(stdout);
    }
    printf("%s: %d passed, %d failed\n", suite, passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif /* AGENTDB_TEST_HARNESS_H */
