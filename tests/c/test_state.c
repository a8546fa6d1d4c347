/*
 * Agent state and checkpoints through the C ABI: versions, history and time travel, snapshots,
 * tombstones, purge, TTL, checkpoints with a branch, pending writes (LangGraph's rules),
 * persistence across reopen, and bad input (NULLs, bad JSON, freed handles, a closed database).
 *
 * Usage: test_state [name-substring]
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <time.h>

#include "harness.h"

/* Version `i` of `v` must be (`version`, `value` JSON or NULL for a tombstone). */
static int version_is(agentdb_state_versions *v, size_t i, uint64_t version, const char *value) {
    agentdb_state_version out;
    if (agentdb_state_versions_at(v, i, &out) != AGENTDB_OK) return 0;
    if (out.version != version) return 0;
    if (value == NULL) return out.deleted && out.value_json == NULL && out.value_len == 0;
    return !out.deleted && out.value_json != NULL && strcmp(out.value_json, value) == 0 &&
           out.value_len == strlen(value);
}

static size_t versions_count(agentdb_state_versions *v) {
    size_t n = SIZE_MAX;
    if (agentdb_state_versions_count(v, &n) != AGENTDB_OK) return SIZE_MAX;
    return n;
}

static int64_t written_at(agentdb_state_versions *v, size_t i) {
    agentdb_state_version out;
    if (agentdb_state_versions_at(v, i, &out) != AGENTDB_OK) return -1;
    return out.written_at_us;
}

static void test_versions_and_time_travel(void) {
    agentdb_db *db = NULL;
    agentdb_state_versions *v = NULL;
    agentdb_state_entries *e = NULL;
    agentdb_strings *s = NULL;
    uint64_t ver = 0;
    int64_t t1, t2, t3;
    size_t n = 0;
    const char *key, *val;
    size_t klen, vlen;

    OK(agentdb_open(g_db_path, &db));
    OK(agentdb_state_put(db, "agent", "s1", "plan", "{\"step\": 1}", 0, &ver));
    CHECK(ver == 1);
    OK(agentdb_state_put(db, "agent", "s1", "plan", "{\"step\":2}", 0, &ver));
    CHECK(ver == 2);
    OK(agentdb_state_put(db, "agent", "s1", "plan", "\"three\"", 0, NULL));
    OK(agentdb_state_put(db, "agent", "s2", "plan", "0", 0, &ver));
    CHECK(ver == 1);

    /* Values come back as compact JSON. */
    OK(agentdb_state_get(db, "agent", "s1", "plan", &v));
    CHECK(versions_count(v) == 1 && version_is(v, 0, 3, "\"three\""));
    OK(agentdb_state_versions_free(v));
    OK(agentdb_state_get_version(db, "agent", "s1", "plan", 1, &v));
    CHECK(versions_count(v) == 1 && version_is(v, 0, 1, "{\"step\":1}"));
    OK(agentdb_state_versions_free(v));
    OK(agentdb_state_get_version(db, "agent", "s1", "plan", 7, &v));
    CHECK(versions_count(v) == 0);
    OK(agentdb_state_versions_free(v));
    OK(agentdb_state_get(db, "agent", "s1", "missing", &v));
    CHECK(versions_count(v) == 0);
    OK(agentdb_state_versions_free(v));

    OK(agentdb_state_history(db, "agent", "s1", "plan", 10, 0, &v));
    CHECK(versions_count(v) == 3);
    CHECK(version_is(v, 0, 3, "\"three\"") && version_is(v, 1, 2, "{\"step\":2}") && version_is(v, 2, 1, "{\"step\":1}"));
    t3 = written_at(v, 0);
    t2 = written_at(v, 1);
    t1 = written_at(v, 2);
    CHECK(t3 > t2 && t2 > t1 && t1 > 0);
    EXPECT(agentdb_state_versions_at(v, 3, &(agentdb_state_version){0}), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_state_versions_free(v));
    OK(agentdb_state_history(db, "agent", "s1", "plan", 1, 1, &v));
    CHECK(versions_count(v) == 1 && version_is(v, 0, 2, "{\"step\":2}"));
    OK(agentdb_state_versions_free(v));

    /* Time travel: each instant reads its own version; before the first, nothing. */
    OK(agentdb_state_get_at(db, "agent", "s1", "plan", t2, &v));
    CHECK(versions_count(v) == 1 && version_is(v, 0, 2, "{\"step\":2}"));
    OK(agentdb_state_versions_free(v));
    OK(agentdb_state_get_at(db, "agent", "s1", "plan", t2 - 1, &v));
    CHECK(versions_count(v) == 1 && version_is(v, 0, 1, "{\"step\":1}"));
    OK(agentdb_state_versions_free(v));
    OK(agentdb_state_get_at(db, "agent", "s1", "plan", t1 - 1, &v));
    CHECK(versions_count(v) == 0);
    OK(agentdb_state_versions_free(v));

    /* Snapshot now and at t1. */
    OK(agentdb_state_put(db, "agent", "s1", "extra", "[true, null]", 0, NULL));
    OK(agentdb_state_snapshot(db, "agent", "s1", NULL, &e));
    OK(agentdb_state_entries_count(e, &n));
    CHECK(n == 2);
    OK(agentdb_state_entries_at(e, 0, &key, &klen, &val, &vlen));
    CHECK(strcmp(key, "extra") == 0 && klen == 5 && strcmp(val, "[true,null]") == 0 && vlen == 11);
    OK(agentdb_state_entries_at(e, 1, &key, NULL, &val, NULL));
    CHECK(strcmp(key, "plan") == 0 && strcmp(val, "\"three\"") == 0);
    OK(agentdb_state_entries_free(e));
    OK(agentdb_state_snapshot(db, "agent", "s1", &t1, &e));
    OK(agentdb_state_entries_count(e, &n));
    CHECK(n == 1);
    OK(agentdb_state_entries_at(e, 0, &key, NULL, &val, NULL));
    CHECK(strcmp(key, "plan") == 0 && strcmp(val, "{\"step\":1}") == 0);
    OK(agentdb_state_entries_free(e));
    OK(agentdb_state_keys(db, "agent", "s1", &t1, &s));
    OK(agentdb_strings_count(s, &n));
    CHECK(n == 1);
    OK(agentdb_strings_free(s));

    /* Delete: a tombstone in the history; deleting again writes nothing. */
    OK(agentdb_state_delete(db, "agent", "s1", "plan", &ver));
    CHECK(ver == 4);
    OK(agentdb_state_delete(db, "agent", "s1", "plan", &ver));
    CHECK(ver == 0);
    OK(agentdb_state_get(db, "agent", "s1", "plan", &v));
    CHECK(versions_count(v) == 1 && version_is(v, 0, 4, NULL));
    OK(agentdb_state_versions_free(v));

    OK(agentdb_state_sessions(db, "agent", &s));
    OK(agentdb_strings_count(s, &n));
    CHECK(n == 2);
    OK(agentdb_strings_get(s, 1, &key, NULL));
    CHECK(strcmp(key, "s2") == 0);
    OK(agentdb_strings_free(s));

    OK(agentdb_state_purge(db, "agent", "s1", &ver));
    CHECK(ver == 5);
    OK(agentdb_state_purge(db, "agent", NULL, &ver));
    CHECK(ver == 1);
    OK(agentdb_state_sessions(db, "agent", &s));
    OK(agentdb_strings_count(s, &n));
    CHECK(n == 0);
    OK(agentdb_strings_free(s));
    OK(agentdb_close(db));
}

static void test_put_many_and_reopen(void) {
    agentdb_db *db = NULL;
    agentdb_state_versions *v = NULL;
    const char *keys[] = {"x", "y"};
    const char *values[] = {"1", "{\"deep\": [1, 2]}"};
    uint64_t versions[2] = {0, 0};

    OK(agentdb_open(g_db_path, &db));
    OK(agentdb_state_put_many(db, "a", "s", keys, values, 2, 0, versions));
    CHECK(versions[0] == 1 && versions[1] == 1);
    OK(agentdb_state_put_many(db, "a", "s", keys, values, 2, 0, versions));
    CHECK(versions[0] == 2 && versions[1] == 2);
    OK(agentdb_state_put_many(db, "a", "s", NULL, NULL, 0, 0, NULL));
    OK(agentdb_close(db));

    OK(agentdb_open(g_db_path, &db));
    OK(agentdb_state_history(db, "a", "s", "y", 10, 0, &v));
    CHECK(versions_count(v) == 2 && version_is(v, 0, 2, "{\"deep\":[1,2]}"));
    OK(agentdb_state_versions_free(v));
    OK(agentdb_close(db));
}

static void test_ttl(void) {
    agentdb_db *db = NULL;
    agentdb_state_versions *v = NULL;
    agentdb_state_version out;
    uint64_t removed = 99;

    OK(agentdb_open(g_db_path, &db));
    /* Long enough that the reads below happen before expiry even under valgrind. */
    OK(agentdb_state_put(db, "a", "s", "tmp", "1", 3.0, NULL));
    OK(agentdb_state_get(db, "a", "s", "tmp", &v));
    OK(agentdb_state_versions_at(v, 0, &out));
    CHECK(out.has_expiry && out.expires_at_us == out.written_at_us + 3000000);
    OK(agentdb_state_versions_free(v));
    OK(agentdb_state_put(db, "a", "t", "k", "1", 0, NULL));
    OK(agentdb_state_set_session_ttl(db, "a", "t", 3.0));
    nanosleep(&(struct timespec){3, 500 * 1000 * 1000}, NULL);
    OK(agentdb_state_get(db, "a", "s", "tmp", &v));
    CHECK(versions_count(v) == 0);
    OK(agentdb_state_versions_free(v));
    OK(agentdb_state_get(db, "a", "t", "k", &v));
    CHECK(versions_count(v) == 0);
    OK(agentdb_state_versions_free(v));
    OK(agentdb_state_sweep(db, NULL));
    OK(agentdb_state_sweep(db, &removed));
    CHECK(removed == 0);
    OK(agentdb_state_set_session_ttl(db, "a", "t", 0)); /* 0 removes it */
    EXPECT(agentdb_state_put(db, "a", "s", "k", "1", -1, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_state_put(db, "a", "s", "k", "1", NAN, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("ttl_seconds");
    OK(agentdb_close(db));
}

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

    OK(agentdb_open(g_db_path, &db));
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
    OK(agentdb_checkpoints_at(cps, 0, &cp));
    CHECK(strcmp(cp.checkpoint_id, "0004") == 0 && strcmp(cp.parent_id, "0002") == 0);
    CHECK(cp.data == NULL && cp.data_len == 0 && strcmp(cp.type_tag, "") == 0);
    CHECK(strcmp(cp.metadata_json, "{\"source\":\"loop\"}") == 0 && cp.created_at_us > 0);
    OK(agentdb_checkpoints_free(cps));

    OK(agentdb_checkpoint_get(db, "t1", "", "0001", &cps));
    OK(agentdb_checkpoints_at(cps, 0, &cp));
    CHECK(cp.parent_id == NULL && cp.data_len == 4 && memcmp(cp.data, blob, 4) == 0);
    CHECK(strcmp(cp.type_tag, "msgpack") == 0 && strcmp(cp.thread_id, "t1") == 0 && strcmp(cp.namespace_, "") == 0);
    OK(agentdb_checkpoints_free(cps));

    OK(agentdb_checkpoint_list(db, "t1", NULL, NULL, 0, NULL, &cps));
    OK(agentdb_checkpoints_count(cps, &n));
    CHECK(n == 4);
    OK(agentdb_checkpoints_at(cps, 3, &cp));
    CHECK(strcmp(cp.checkpoint_id, "0001") == 0);
    OK(agentdb_checkpoints_free(cps));
    OK(agentdb_checkpoint_list(db, NULL, NULL, "0004", 2, "{\"source\": \"loop\"}", &cps));
    OK(agentdb_checkpoints_count(cps, &n));
    CHECK(n == 1);
    OK(agentdb_checkpoints_at(cps, 0, &cp));
    CHECK(strcmp(cp.checkpoint_id, "0002") == 0);
    OK(agentdb_checkpoints_free(cps));
    EXPECT(agentdb_checkpoint_list(db, NULL, NULL, NULL, 0, "[1]", &cps), AGENTDB_INVALID_ARGUMENT);
    CHECK(cps == NULL);

    OK(agentdb_checkpoint_put_writes(db, "t1", "", "0004", "task", "p", writes, 2));
    OK(agentdb_checkpoint_put_writes(db, "t1", "", "0004", "task", "p", retry, 2));
    OK(agentdb_checkpoint_get_writes(db, "t1", "", "0004", &pw));
    OK(agentdb_pending_writes_count(pw, &n));
    CHECK(n == 2);
    OK(agentdb_pending_writes_at(pw, 0, &w));
    CHECK(w.idx == -1 && w.value_len == 5 && memcmp(w.value, "boom2", 5) == 0 && strcmp(w.type_tag, "") == 0);
    OK(agentdb_pending_writes_at(pw, 1, &w));
    CHECK(w.idx == 0 && w.value_len == 2 && memcmp(w.value, "a0", 2) == 0);
    CHECK(strcmp(w.task_id, "task") == 0 && strcmp(w.channel, "messages") == 0 && strcmp(w.task_path, "p") == 0);
    OK(agentdb_pending_writes_free(pw));
    OK(agentdb_close(db));

    /* Persisted; then delete_thread. */
    OK(agentdb_open(g_db_path, &db));
    OK(agentdb_checkpoint_get_writes(db, "t1", "", "0004", &pw));
    OK(agentdb_pending_writes_count(pw, &n));
    CHECK(n == 2);
    OK(agentdb_pending_writes_free(pw));
    OK(agentdb_checkpoint_delete_thread(db, "t1"));
    OK(agentdb_checkpoint_list(db, NULL, NULL, NULL, 0, NULL, &cps));
    OK(agentdb_checkpoints_count(cps, &n));
    CHECK(n == 1);
    OK(agentdb_checkpoints_free(cps));
    OK(agentdb_close(db));
}

static void test_bad_input(void) {
    agentdb_db *db = NULL;
    agentdb_state_versions *v = (agentdb_state_versions *)1;
    agentdb_checkpoints *cps = NULL;
    const char bad_utf8[] = {'k', (char)0xff, 0};
    agentdb_write nul_channel[] = {{0, NULL, NULL, NULL, 0}};

    OK(agentdb_open(g_db_path, &db));
    EXPECT(agentdb_state_put(db, "a", "s", "k", "{not json", 0, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("value_json");
    EXPECT(agentdb_state_put(db, "a", "s", "k", NULL, 0, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_state_put(db, NULL, "s", "k", "1", 0, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_state_put(db, "", "s", "k", "1", 0, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_state_put(db, "a", "s", bad_utf8, "1", 0, NULL), AGENTDB_INVALID_UTF8);
    EXPECT(agentdb_state_get(db, "a", "s", "k", &v), AGENTDB_OK);
    CHECK(versions_count(v) == 0);
    OK(agentdb_state_versions_free(v));
    EXPECT(agentdb_state_get(db, "a", "s", "k", NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_state_versions_count(v, &(size_t){0}), AGENTDB_INVALID_HANDLE); /* freed */
    EXPECT(agentdb_state_versions_free(v), AGENTDB_INVALID_HANDLE);
    OK(agentdb_state_versions_free(NULL));
    EXPECT(agentdb_checkpoints_free((agentdb_checkpoints *)db), AGENTDB_INVALID_HANDLE); /* wrong type */
    EXPECT(agentdb_checkpoint_put(db, "t", "", "1", NULL, 3, NULL, NULL, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_checkpoint_put(db, "t", "", "1", NULL, 0, NULL, "[1]", NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_checkpoint_put_writes(db, "t", "", "1", "task", NULL, nul_channel, 1), AGENTDB_NULL_POINTER);
    CHECK_MSG("writes[0].channel");
    EXPECT(agentdb_checkpoint_put_writes(db, "t", "", "1", "task", NULL, NULL, 2), AGENTDB_NULL_POINTER);
    OK(agentdb_checkpoint_list(db, NULL, NULL, NULL, 0, NULL, &cps));
    OK(agentdb_checkpoints_free(cps));
    OK(agentdb_close(db));
    EXPECT(agentdb_state_put(db, "a", "s", "k", "1", 0, NULL), AGENTDB_INVALID_HANDLE); /* closed handle */
}

static const struct test TESTS[] = {
    {"versions_and_time_travel", test_versions_and_time_travel},
    {"put_many_and_reopen", test_put_many_and_reopen},
    {"ttl", test_ttl},
    {"checkpoints", test_checkpoints},
    {"bad_input", test_bad_input},
};

int main(int argc, char **argv) {
    return run_tests("C state", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
