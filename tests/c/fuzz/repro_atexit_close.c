/* Reproducer of a C-ABI fuzzer finding (rust/fuzz/RESULTS.md): agentdb_close called from an
 * atexit handler, i.e. after the main thread's thread-locals were destroyed, panics inside the
 * engine's async runtime ("The Tokio context thread-local variable has been destroyed") and
 * returns AGENTDB_PANIC instead of flushing and closing. Exit status 0 when agentdb_close
 * returns AGENTDB_OK, 1 otherwise.
 *
 *   cc -std=c11 -Iinclude tests/c/fuzz/repro_atexit_close.c -L$LIBDIR -Wl,-rpath,$LIBDIR -lagentdb
 *   ./a.out /tmp/some-new-dir
 */
#include <agentdb.h>

#include <stdio.h>
#include <stdlib.h>

static agentdb_db *db;

static void close_at_exit(void) {
    int32_t st = agentdb_close(db);
    fprintf(stderr, "agentdb_close from atexit: %s %s\n", agentdb_status_name(st), st ? agentdb_errmsg() : "");
    if (st != AGENTDB_OK) _Exit(1);
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    agentdb_collection *c = NULL;
    if (agentdb_open(argv[1], &db) || agentdb_get_or_create_collection(db, "c", 2, AGENTDB_METRIC_L2, &c)) {
        fprintf(stderr, "setup: %s\n", agentdb_errmsg());
        return 2;
    }
    const char *ids[] = {"a"};
    const float v[] = {1, 2};
    if (agentdb_add(c, ids, 1, v, 2, NULL, NULL)) return 2;
    agentdb_collection_close(c);
    atexit(close_at_exit);
    return 0;
}
