/*
 * Operations through the C ABI: stats and health as JSON reports, the metrics as Prometheus text
 * whose counters match the calls made, metrics recording off and on, the log callback, and bad
 * input (NULL out-pointers, freed reports, a bad log level).
 */
#include "harness.h"

/* The text of the report `*rp` made by the call that returned `s`, copied into `buf` (the report
 * is freed). `rp` is read only after that call has run. */
static int read_report(agentdb_status s, agentdb_report **rp, char *buf, size_t cap) {
    const char *text;
    size_t len;
    agentdb_report *r = *rp;
    if (s != AGENTDB_OK) return 0;
    if (agentdb_report_get_text(r, &text, &len) != AGENTDB_OK || len + 1 > cap || strlen(text) != len) return 0;
    memcpy(buf, text, len + 1);
    return agentdb_report_free(r) == AGENTDB_OK;
}

static agentdb_status add_three(agentdb_db *db, agentdb_collection **c) {
    const char *ids[] = {"a", "b", "c"};
    float v[] = {1, 0, 0, 1, 1, 1};
    agentdb_status s = agentdb_collection_open_or_create(db, "docs", 2, AGENTDB_METRIC_L2, c);
    if (s != AGENTDB_OK) return s;
    return agentdb_collection_add(*c, ids, 3, v, 2, NULL, NULL);
}

static void test_stats(void) {
    static char buf[1 << 16];
    agentdb_db *db;
    agentdb_collection *c;
    agentdb_report *r;
    OK(agentdb_db_open(g_db_path, &db));
    OK(add_three(db, &c));
    OK(agentdb_db_flush(db));
    CHECK(read_report(agentdb_collection_stats(c, &r), &r, buf, sizeof buf));
    CHECK(strstr(buf, "\"name\":\"docs\"") && strstr(buf, "\"rows\":3") && strstr(buf, "\"dim\":2"));
    CHECK(strstr(buf, "\"metric\":\"l2\"") && strstr(buf, "\"buffered_writes\":0"));
    CHECK(read_report(agentdb_db_stats(db, &r), &r, buf, sizeof buf));
    CHECK(strstr(buf, "\"kind\":\"collection\"") && strstr(buf, "\"table_name\":\"docs\""));
    CHECK(strstr(buf, "\"read_only\":false") && strstr(buf, "\"wal\":{"));
    OK(agentdb_state_put(db, "ag", "s", "k", "{\"v\": 1}", 0, NULL));
    OK(agentdb_db_flush(db));
    CHECK(read_report(agentdb_state_stats(db, &r), &r, buf, sizeof buf));
    CHECK(buf[0] == '[' && strstr(buf, "\"kind\":\"state\""));
    {
        agentdb_memory *m;
        const char *ids[] = {"m1"};
        const char *texts[] = {"hello"};
        float v[] = {1, 0};
        OK(agentdb_memory_open_or_create(db, "mem", 2, AGENTDB_METRIC_COSINE, &m));
        OK(agentdb_memory_remember(m, "ag", NULL, AGENTDB_MEMORY_EPISODIC, 1, ids, texts, v, 2, NULL, NULL, NULL, NULL));
        CHECK(read_report(agentdb_memory_stats(m, &r), &r, buf, sizeof buf));
        CHECK(strstr(buf, "\"name\":\"mem\"") && strstr(buf, "\"memories\":1"));
        OK(agentdb_memory_close(m));
    }
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static void test_health(void) {
    static char buf[4096];
    agentdb_db *db;
    agentdb_report *r;
    OK(agentdb_db_open(g_db_path, &db));
    CHECK(read_report(agentdb_db_health(db, &r), &r, buf, sizeof buf));
    CHECK(strstr(buf, "\"status\":\"ok\"") && strstr(buf, "\"writable\":true") && strstr(buf, "\"last_error\":null"));
    OK(agentdb_db_close(db));
    EXPECT(agentdb_db_health(db, &r), AGENTDB_INVALID_HANDLE);
    CHECK(r == NULL);
}

static void test_metrics(void) {
    static char buf[1 << 17];
    agentdb_db *db;
    agentdb_collection *c;
    agentdb_results *res;
    agentdb_report *r;
    float q[] = {1, 0};
    int i;
    OK(agentdb_db_open(g_db_path, &db));
    OK(add_three(db, &c));
    for (i = 0; i < 4; i++) {
        OK(agentdb_collection_search(c, q, 2, 2, NULL, NULL, &res));
        OK(agentdb_results_free(res));
    }
    EXPECT(agentdb_collection_search(c, q, 1, 2, NULL, NULL, &res), AGENTDB_DIMENSION_MISMATCH);
    CHECK(read_report(agentdb_db_metrics_text(db, &r), &r, buf, sizeof buf));
    CHECK(strstr(buf, "# TYPE agentdb_operations_total counter"));
    CHECK(strstr(buf, "agentdb_operations_total{op=\"search\",kind=\"collection\"} 5\n"));
    CHECK(strstr(buf, "agentdb_operation_errors_total{op=\"search\",kind=\"collection\"} 1\n"));
    CHECK(strstr(buf, "agentdb_operation_items_total{op=\"add\",kind=\"collection\"} 3\n"));
    CHECK(strstr(buf, "agentdb_up 1\n"));
    OK(agentdb_db_set_metrics_enabled(db, false));
    OK(agentdb_collection_search(c, q, 2, 2, NULL, NULL, &res));
    OK(agentdb_results_free(res));
    CHECK(read_report(agentdb_db_metrics_text(db, &r), &r, buf, sizeof buf));
    CHECK(strstr(buf, "agentdb_operations_total{op=\"search\",kind=\"collection\"} 5\n"));
    OK(agentdb_db_set_metrics_enabled(db, true));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

/* Compaction merges the fragments of many small writes and keeps every record. */
static void test_optimize(void) {
    static char buf[1 << 16];
    agentdb_db *db;
    agentdb_collection *c;
    agentdb_report *r;
    uint64_t n;
    int i;
    const char *p;
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_open_or_create(db, "docs", 2, AGENTDB_METRIC_L2, &c));
    for (i = 0; i < 6; i++) {
        char id[16];
        const char *ids[1];
        float v[2] = {(float)i, 1};
        snprintf(id, sizeof id, "r%d", i);
        ids[0] = id;
        OK(agentdb_collection_add(c, ids, 1, v, 2, NULL, NULL));
        OK(agentdb_db_flush(db));
    }
    OK(agentdb_collection_optimize(c));
    OK(agentdb_db_optimize(db));
    OK(agentdb_collection_count(c, NULL, NULL, &n));
    CHECK(n == 6);
    CHECK(read_report(agentdb_collection_stats(c, &r), &r, buf, sizeof buf));
    p = strstr(buf, "\"fragments\":");
    CHECK(p && atoi(p + strlen("\"fragments\":")) == 1);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));
}

static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_opened_lines, g_info_lines, g_bad_lines;

static void on_log(int32_t level, const char *target, const char *message, void *user) {
    pthread_mutex_lock(&g_log_lock);
    if (user != (void *)&g_log_lock || level < AGENTDB_LOG_ERROR || level > AGENTDB_LOG_TRACE ||
        strncmp(target, "agentdb", 7) != 0)
        g_bad_lines++;
    if (level == AGENTDB_LOG_INFO) g_info_lines++;
    if (strstr(message, "opened") && strstr(message, g_db_path)) g_opened_lines++;
    pthread_mutex_unlock(&g_log_lock);
}

static void test_log_callback(void) {
    agentdb_db *db;
    int opened;
    OK(agentdb_log_set_callback(on_log, AGENTDB_LOG_DEBUG, (void *)&g_log_lock));
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_db_close(db));
    /* Only errors and warnings: the open's info line is not passed on. */
    OK(agentdb_log_set_callback(on_log, AGENTDB_LOG_WARN, (void *)&g_log_lock));
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_db_close(db));
    OK(agentdb_log_set_callback(NULL, AGENTDB_LOG_OFF, NULL));
    pthread_mutex_lock(&g_log_lock);
    opened = g_opened_lines;
    pthread_mutex_unlock(&g_log_lock);
    CHECK(opened == 1);
    CHECK(g_bad_lines == 0 && g_info_lines >= 1);
    EXPECT(agentdb_log_set_callback(on_log, 6, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("max_level");
    EXPECT(agentdb_log_set_callback(on_log, -1, NULL), AGENTDB_INVALID_ARGUMENT);
}

static void test_bad_input(void) {
    agentdb_db *db;
    agentdb_report *r;
    const char *text;
    OK(agentdb_db_open(g_db_path, &db));
    EXPECT(agentdb_db_stats(db, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_db_metrics_text(NULL, &r), AGENTDB_NULL_POINTER);
    CHECK(r == NULL);
    EXPECT(agentdb_collection_stats((agentdb_collection *)db, &r), AGENTDB_INVALID_HANDLE);
    OK(agentdb_db_health(db, &r));
    EXPECT(agentdb_report_get_text(r, NULL, NULL), AGENTDB_NULL_POINTER);
    OK(agentdb_report_free(r));
    EXPECT(agentdb_report_free(r), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_report_get_text(r, &text, NULL), AGENTDB_INVALID_HANDLE);
    OK(agentdb_report_free(NULL));
    EXPECT(agentdb_db_set_metrics_enabled(NULL, true), AGENTDB_NULL_POINTER);
    OK(agentdb_db_close(db));
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        {"stats", test_stats},
        {"health", test_health},
        {"metrics", test_metrics},
        {"optimize", test_optimize},
        {"log_callback", test_log_callback},
        {"bad_input", test_bad_input},
    };
    return run_tests("ops", tests, sizeof tests / sizeof tests[0], argc, argv);
}
