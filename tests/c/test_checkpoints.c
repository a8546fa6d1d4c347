/*
 * Checkpoints through the C ABI: a checkpoint with a branch, pending writes (LangGraph's rules),
 * listing, persistence across reopen, and bad input (NULLs, bad JSON, a handle of the wrong type,
 * a closed database).
 *
 * Usage: test_checkpoints [name-substring]
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include "harness.h"

static void test_checkpoints(void) {
    agentdb_db *db = NULL;
    agentdb_checkpoints *cps = NULL;
    agentdb_pending_writes *pw = NULL;
    agentdb_checkpoint cp;
    agentdb_pending_write w;
    size_t n = 0;
    const unsigned char blob[] = {0, 1, 2, 255};
    agentdb_write writes[] = {
        {0, "messages", "json", (const uint8_t *)"a0", 2},
        {-1, "__error__", "json", (const uint8_t *)"boom", 4},
    };
    agentdb_write retry[] = {
        {0, "messages", "json", (const uint8_t *)"a0-retry", 8},
        {-1, "__error__", NULL, (const uint8_t *)"boom2", 5},
    };

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_checkpoint_get(db, "t1", "", NULL, &cps));
    OK(agentdb_checkpoints_count(cps, &n));
    CHECK(n == 0);
    OK(agentdb_checkpoints_free(cps));

    OK(agentdb_checkpoint_put(db, "t1", "", "0001", blob, sizeof blob, NULL, "{\"source\": \"input\"}", "msgpack"));
    OK(agentdb_checkpoint_put(db, "t1", "", "0002", (const uint8_t *)"two", 3, "0001", "{\"source\": \"loop\"}", "msgpack"));
    OK(agentdb_checkpoint_put(db, "t1", "", "0003", (const uint8_t *)"three", 5, "0002", NULL, NULL));
    OK(agentdb_checkpoint_put(db, "t1", "", "0004", NULL, 0, "0002", "{\"source\": \"loop\"}", NULL)); /* a branch */
    OK(agentdb_checkpoint_put(db, "t2", "", "0005", NULL, 0, NULL, NULL, NULL));

    OK(agentdb_checkpoint_get(db, "t1", "", NULL, &cps));
    OK(agentdb_checkpoints_count(cps, &n));
    CHECK(n == 1);
    OK(agentdb_checkpoints_get(cps, 0, &cp));
    CHECK(strcmp(cp.checkpoint_id, "0004") == 0 && strcmp(cp.parent_id, "0002") == 0);
    CHECK(cp.data == NULL && cp.data_len == 0 && strcmp(cp.type_tag, "") == 0);
    CHECK(strcmp(cp.metadata_json, "{\"source\":\"loop\"}") == 0 && cp.created_at_us > 0);
    OK(agentdb_checkpoints_free(cps));

    OK(agentdb_checkpoint_get(db, "t1", "", "0001", &cps));
    OK(agentdb_checkpoints_get(cps, 0, &cp));
    CHECK(cp.parent_id == NULL && cp.data_len == 4 && memcmp(cp.data, blob, 4) == 0);
    CHECK(strcmp(cp.type_tag, "msgpack") == 0 && strcmp(cp.thread_id, "t1") == 0 && strcmp(cp.namespace_, "") == 0);
    OK(agentdb_checkpoints_free(cps));

    OK(agentdb_checkpoint_list(db, "t1", NULL, NULL, 0, NULL, &cps));
    OK(agentdb_checkpoints_count(cps, &n));
    CHECK(n == 4);
    OK(agentdb_checkpoints_get(cps, 3, &cp));
    CHECK(strcmp(cp.checkpoint_id, "0001") == 0);
    OK(agentdb_checkpoints_free(cps));
    OK(agentdb_checkpoint_list(db, NULL, NULL, "0004", 2, "{\"source\": \"loop\"}", &cps));
    OK(agentdb_checkpoints_count(cps, &n));
    CHECK(n == 1);
    OK(agentdb_checkpoints_get(cps, 0, &cp));
    CHECK(strcmp(cp.checkpoint_id, "0002") == 0);
    OK(agentdb_checkpoints_free(cps));
    EXPECT(agentdb_checkpoint_list(db, NULL, NULL, NULL, 0, "[1]", &cps), AGENTDB_INVALID_ARGUMENT);
    CHECK(cps == NULL);

    OK(agentdb_checkpoint_put_writes(db, "t1", "", "0004", "task", "p", writes, 2));
    OK(agentdb_checkpoint_put_writes(db, "t1", "", "0004", "task", "p", retry, 2));
    OK(agentdb_checkpoint_get_writes(db, "t1", "", "0004", &pw));
    OK(agentdb_pending_writes_count(pw, &n));
    CHECK(n == 2);
    OK(agentdb_pending_writes_get(pw, 0, &w));
    CHECK(w.idx == -1 && w.value_len == 5 && memcmp(w.value, "boom2", 5) == 0 && strcmp(w.type_tag, "") == 0);
    OK(agentdb_pending_writes_get(pw, 1, &w));
    CHECK(w.idx == 0 && w.value_len == 2 && memcmp(w.value, "a0", 2) == 0);
    CHECK(strcmp(w.task_id, "task") == 0 && strcmp(w.channel, "messages") == 0 && strcmp(w.task_path, "p") == 0);
    OK(agentdb_pending_writes_free(pw));
    OK(agentdb_db_close(db));

    /* Persisted; then delete_thread. */
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_checkpoint_get_writes(db, "t1", "", "0004", &pw));
    OK(agentdb_pending_writes_count(pw, &n));
    CHECK(n == 2);
    OK(agentdb_pending_writes_free(pw));
    OK(agentdb_checkpoint_delete_thread(db, "t1"));
    OK(agentdb_checkpoint_list(db, NULL, NULL, NULL, 0, NULL, &cps));
    OK(agentdb_checkpoints_count(cps, &n));
    CHECK(n == 1);
    OK(agentdb_checkpoints_free(cps));
    OK(agentdb_db_close(db));
}

static void test_bad_input(void) {
    agentdb_db *db = NULL;
    agentdb_checkpoints *cps = NULL;
    agentdb_write nul_channel[] = {{0, NULL, NULL, NULL, 0}};

    OK(agentdb_db_open(g_db_path, &db));
    EXPECT(agentdb_checkpoints_free((agentdb_checkpoints *)db), AGENTDB_INVALID_HANDLE); /* wrong type */
    EXPECT(agentdb_checkpoint_put(db, "t", "", "1", NULL, 3, NULL, NULL, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_checkpoint_put(db, "t", "", "1", NULL, 0, NULL, "[1]", NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_checkpoint_put_writes(db, "t", "", "1", "task", NULL, nul_channel, 1), AGENTDB_NULL_POINTER);
    CHECK_MSG("writes[0].channel");
    EXPECT(agentdb_checkpoint_put_writes(db, "t", "", "1", "task", NULL, NULL, 2), AGENTDB_NULL_POINTER);
    OK(agentdb_checkpoint_list(db, NULL, NULL, NULL, 0, NULL, &cps));
    OK(agentdb_checkpoints_free(cps));
    OK(agentdb_db_close(db));
    EXPECT(agentdb_checkpoint_delete_thread(db, "t"), AGENTDB_INVALID_HANDLE); /* closed handle */
}

static const struct test TESTS[] = {
    {"checkpoints", test_checkpoints},
    {"bad_input", test_bad_input},
};

int main(int argc, char **argv) {
    return run_tests("C checkpoints", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
