/*
 * Agent state through the C ABI: versions, history and time travel, snapshots, tombstones,
 * purge, TTL, persistence across reopen, and bad input (NULLs, bad JSON, freed handles, a closed
 * database). Checkpoints are test_checkpoints.c.
 *
 * Usage: test_state [name-substring]
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <time.h>

#include "harness.h"

/* Version `i` of `v` must be (`version`, `value` JSON or NULL for a tombstone). */
static int version_is(agentdb_state_versions *v, size_t i, uint64_t version, const char *value) {
    agentdb_state_version out;
    if (agentdb_state_versions_get(v, i, &out) != AGENTDB_OK) return 0;
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
    if (agentdb_state_versions_get(v, i, &out) != AGENTDB_OK) return -1;
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

    OK(agentdb_db_open(g_db_path, &db));
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
    EXPECT(agentdb_state_versions_get(v, 3, &(agentdb_state_version){0}), AGENTDB_INVALID_ARGUMENT);
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
    OK(agentdb_state_entries_get(e, 0, &key, &klen, &val, &vlen));
    CHECK(strcmp(key, "extra") == 0 && klen == 5 && strcmp(val, "[true,null]") == 0 && vlen == 11);
    OK(agentdb_state_entries_get(e, 1, &key, NULL, &val, NULL));
    CHECK(strcmp(key, "plan") == 0 && strcmp(val, "\"three\"") == 0);
    OK(agentdb_state_entries_free(e));
    OK(agentdb_state_snapshot(db, "agent", "s1", &t1, &e));
    OK(agentdb_state_entries_count(e, &n));
    CHECK(n == 1);
    OK(agentdb_state_entries_get(e, 0, &key, NULL, &val, NULL));
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
    OK(agentdb_db_close(db));
}

static void test_put_many_and_reopen(void) {
    agentdb_db *db = NULL;
    agentdb_state_versions *v = NULL;
    const char *keys[] = {"x", "y"};
    const char *values[] = {"1", "{\"deep\": [1, 2]}"};
    uint64_t versions[2] = {0, 0};

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_state_put_many(db, "a", "s", keys, values, 2, 0, versions));
    CHECK(versions[0] == 1 && versions[1] == 1);
    OK(agentdb_state_put_many(db, "a", "s", keys, values, 2, 0, versions));
    CHECK(versions[0] == 2 && versions[1] == 2);
    OK(agentdb_state_put_many(db, "a", "s", NULL, NULL, 0, 0, NULL));
    OK(agentdb_db_close(db));

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_state_history(db, "a", "s", "y", 10, 0, &v));
    CHECK(versions_count(v) == 2 && version_is(v, 0, 2, "{\"deep\":[1,2]}"));
    OK(agentdb_state_versions_free(v));
    OK(agentdb_db_close(db));
}

static void test_ttl(void) {
    agentdb_db *db = NULL;
    agentdb_state_versions *v = NULL;
    agentdb_state_version out;
    uint64_t removed = 99;

    OK(agentdb_db_open(g_db_path, &db));
    /* Long enough that the reads below happen before expiry even under valgrind. */
    OK(agentdb_state_put(db, "a", "s", "tmp", "1", 3.0, NULL));
    OK(agentdb_state_get(db, "a", "s", "tmp", &v));
    OK(agentdb_state_versions_get(v, 0, &out));
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
    OK(agentdb_db_close(db));
}

static void test_bad_input(void) {
    agentdb_db *db = NULL;
    agentdb_state_versions *v = (agentdb_state_versions *)1;
    const char bad_utf8[] = {'k', (char)0xff, 0};

    OK(agentdb_db_open(g_db_path, &db));
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
    OK(agentdb_db_close(db));
    EXPECT(agentdb_state_put(db, "a", "s", "k", "1", 0, NULL), AGENTDB_INVALID_HANDLE); /* closed handle */
}

static const struct test TESTS[] = {
    {"versions_and_time_travel", test_versions_and_time_travel},
    {"put_many_and_reopen", test_put_many_and_reopen},
    {"ttl", test_ttl},
    {"bad_input", test_bad_input},
};

int main(int argc, char **argv) {
    return run_tests("C state", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
