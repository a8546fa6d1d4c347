/*
 * Export and import through the C ABI: a collection written to a JSONL file and read back into
 * another database exactly (ids, vectors bit for bit, documents, metadata), progress reported,
 * an existing store refused, a malformed file refused with its line and nothing left behind.
 */
#include "harness.h"

static int g_progress_calls;
static uint64_t g_last_done;

static void on_progress(uint64_t done, uint64_t total, void *user) {
    (void)total;
    if (user == &g_progress_calls) g_progress_calls++;
    g_last_done = done;
}

static int report_has(agentdb_report *r, const char *needle) {
    const char *text;
    int found = agentdb_report_get_text(r, &text, NULL) == AGENTDB_OK && strstr(text, needle) != NULL;
    agentdb_report_free(r);
    return found;
}

/* The same round trip through either encoding: `ext` "jsonl" or "parquet" (chosen by the name). */
static void round_trip(const char *ext) {
    char src[600], dst[600], file[600];
    agentdb_db *a, *b;
    agentdb_collection *c;
    agentdb_records *rec;
    agentdb_report *r;
    const char *ids[] = {"x", "y", "z"};
    float v[] = {1.0f / 3.0f, 0.1f, 1e-30f, -2.5f, 3.4e38f, 0.0f};
    const char *docs[] = {"first \"doc\"\n", NULL, "third"};
    const char *want_ids[] = {"x", "y", "z"};
    size_t n, i;
    snprintf(src, sizeof src, "%s/a_%s", g_dir, ext);
    snprintf(dst, sizeof dst, "%s/b_%s", g_dir, ext);
    snprintf(file, sizeof file, "%s/c.%s", g_dir, ext);
    OK(agentdb_db_open(src, &a));
    OK(agentdb_collection_open_or_create(a, "docs", 2, AGENTDB_METRIC_L2, &c));
    OK(agentdb_collection_add(c, ids, 3, v, 2, docs, "[{\"n\": 1, \"f\": 0.1}, null, {\"tags\": [\"a\"]}]"));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_export_store(a, "docs", AGENTDB_STORE_ANY, file, on_progress, &g_progress_calls, &r));
    CHECK(report_has(r, "\"records\":3"));
    CHECK(g_progress_calls >= 1 && g_last_done == 3);
    OK(agentdb_db_close(a));

    OK(agentdb_db_open(dst, &b));
    OK(agentdb_db_import_store(b, file, NULL, NULL, NULL, &r));
    CHECK(report_has(r, "\"name\":\"docs\""));
    EXPECT(agentdb_db_import_store(b, file, NULL, NULL, NULL, &r), AGENTDB_COLLECTION_EXISTS);
    CHECK(r == NULL);
    OK(agentdb_collection_open(b, "docs", &c));
    OK(agentdb_collection_get(c, want_ids, 3, NULL, NULL, 0, 0, &rec));
    OK(agentdb_records_count(rec, &n));
    CHECK(n == 3);
    for (i = 0; i < n; i++) {
        const char *id;
        const float *vec;
        size_t dim;
        OK(agentdb_records_get_id(rec, i, &id, NULL));
        CHECK(strcmp(id, want_ids[i]) == 0);
        OK(agentdb_records_get_vector(rec, i, &vec, &dim));
        CHECK(dim == 2 && memcmp(vec, v + 2 * i, 2 * sizeof(float)) == 0);
    }
    {
        const char *doc, *meta;
        OK(agentdb_records_get_document(rec, 0, &doc, NULL));
        CHECK(doc && strcmp(doc, docs[0]) == 0);
        OK(agentdb_records_get_metadata(rec, 0, &meta, NULL));
        CHECK(strstr(meta, "\"f\":0.1") && strstr(meta, "\"n\":1"));
    }
    OK(agentdb_records_free(rec));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(b));
}

static void test_round_trip(void) { round_trip("jsonl"); }

static void test_round_trip_parquet(void) {
    char file[600];
    FILE *f;
    char magic[4] = {0};
    round_trip("parquet");
    snprintf(file, sizeof file, "%s/c.parquet", g_dir);
    f = fopen(file, "rb");
    CHECK(f != NULL && fread(magic, 1, 4, f) == 4 && memcmp(magic, "PAR1", 4) == 0);
    if (f) fclose(f);
}

/* The agent state: exported under the name "state" (JSONL), imported into an empty one. */
/* The agent state as JSONL and as Parquet (one row per operation): the same histories and
 * checkpoint payloads back from either. */
static void test_state(void) {
    char src[600], dst[600], pq_db[600], file[600], pq_file[600];
    agentdb_db *a, *b;
    agentdb_report *r;
    agentdb_state_versions *h;
    agentdb_checkpoints *cps;
    agentdb_checkpoint cp;
    uint8_t blob[3000];
    uint64_t version;
    size_t n, i;
    for (i = 0; i < sizeof blob; i++) blob[i] = (uint8_t)(i * 7);
    snprintf(src, sizeof src, "%s/state_a", g_dir);
    snprintf(dst, sizeof dst, "%s/state_b", g_dir);
    snprintf(pq_db, sizeof pq_db, "%s/state_c", g_dir);
    snprintf(file, sizeof file, "%s/state.jsonl", g_dir);
    snprintf(pq_file, sizeof pq_file, "%s/state.parquet", g_dir);
    OK(agentdb_db_open(src, &a));
    OK(agentdb_state_put(a, "ann", "s1", "plan", "{\"step\": 1}", 0, &version));
    OK(agentdb_state_put(a, "ann", "s1", "plan", "{\"step\": 2}", 0, &version));
    CHECK(version == 2);
    OK(agentdb_checkpoint_put(a, "t1", "", "c1", blob, sizeof blob, NULL, "{\"step\": 1}", "msgpack"));
    OK(agentdb_db_export_store(a, "state", AGENTDB_STORE_STATE, file, NULL, NULL, &r));
    CHECK(report_has(r, "\"kind\":\"state\",\"name\":\"state\",\"records\":3"));
    OK(agentdb_db_export_store(a, "state", AGENTDB_STORE_STATE, pq_file, NULL, NULL, &r));
    CHECK(report_has(r, "\"kind\":\"state\",\"name\":\"state\",\"records\":3"));
    OK(agentdb_db_close(a));
    const char *dirs[] = {dst, pq_db};
    const char *files[] = {file, pq_file};
    for (i = 0; i < 2; i++) {
        OK(agentdb_db_open(dirs[i], &b));
        OK(agentdb_db_import_store(b, files[i], NULL, NULL, NULL, &r));
        CHECK(report_has(r, "\"kind\":\"state\",\"name\":\"state\",\"records\":3"));
        EXPECT(agentdb_db_import_store(b, files[i], NULL, NULL, NULL, &r), AGENTDB_COLLECTION_EXISTS);
        OK(agentdb_state_history(b, "ann", "s1", "plan", 10, 0, &h));
        OK(agentdb_state_versions_count(h, &n));
        CHECK(n == 2);
        OK(agentdb_state_versions_free(h));
        OK(agentdb_checkpoint_get(b, "t1", "", "c1", &cps));
        OK(agentdb_checkpoints_count(cps, &n));
        CHECK(n == 1);
        OK(agentdb_checkpoints_get(cps, 0, &cp));
        CHECK(cp.data_len == sizeof blob && memcmp(cp.data, blob, sizeof blob) == 0);
        CHECK(strcmp(cp.type_tag, "msgpack") == 0);
        OK(agentdb_checkpoints_free(cps));
        EXPECT(agentdb_db_export_store(b, "state", 5, files[i], NULL, NULL, &r), AGENTDB_INVALID_ARGUMENT);
        OK(agentdb_db_close(b));
    }
}

static void test_bad_input(void) {
    char file[600];
    agentdb_db *db;
    agentdb_report *r;
    agentdb_strings *names;
    size_t n;
    FILE *f;
    snprintf(file, sizeof file, "%s/bad.jsonl", g_dir);
    f = fopen(file, "w");
    CHECK(f != NULL);
    fputs("{\"format\":\"agentdb-export\",\"format_version\":1,\"kind\":\"collection\",\"name\":\"c\",\"dim\":2,"
          "\"metric\":\"l2\",\"records\":2,\"index\":null}\n{\"id\":\"a\",\"vector\":[1,2]}\n{\"id\":\"b\",\"vector\":[1]}\n",
          f);
    fclose(f);
    OK(agentdb_db_open(g_db_path, &db));
    EXPECT(agentdb_db_import_store(db, file, NULL, NULL, NULL, &r), AGENTDB_DIMENSION_MISMATCH);
    CHECK_MSG("line 3");
    OK(agentdb_collection_list(db, &names));
    OK(agentdb_strings_count(names, &n));
    CHECK(n == 0);
    OK(agentdb_strings_free(names));
    EXPECT(agentdb_db_export_store(db, "nope", AGENTDB_STORE_ANY, file, NULL, NULL, &r), AGENTDB_COLLECTION_NOT_FOUND);
    EXPECT(agentdb_db_export_store(db, "nope", 9, file, NULL, NULL, &r), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_db_export_store(db, NULL, AGENTDB_STORE_ANY, file, NULL, NULL, &r), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_db_import_store(db, file, NULL, NULL, NULL, NULL), AGENTDB_NULL_POINTER);
    OK(agentdb_db_close(db));
}

/* Every AgentDB collection is a LanceDB table: import one as a table, keeping chosen columns. */
static void test_lance_table(void) {
    char src[600], dst[600];
    agentdb_db *a, *b;
    agentdb_collection *c;
    agentdb_report *r;
    agentdb_records *rec;
    const char *ids[] = {"x", "y"};
    const char *docs[] = {"d1", "d2"};
    const char *keep[] = {"k"};
    const char *want[] = {"y"};
    const char *doc, *meta;
    float v[] = {1, 0, 0, 1};
    size_t n;
    snprintf(src, sizeof src, "%s/a", g_dir);
    snprintf(dst, sizeof dst, "%s/b", g_dir);
    OK(agentdb_db_open(src, &a));
    OK(agentdb_collection_open_or_create(a, "docs", 2, AGENTDB_METRIC_L2, &c));
    OK(agentdb_collection_add(c, ids, 2, v, 2, docs, "[{\"k\": 1}, {\"k\": 2}]"));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(a));
    OK(agentdb_db_open(dst, &b));
    /* Its own time columns are reserved metadata keys: refused whole. */
    EXPECT(agentdb_db_import_lance_table(b, src, "docs", NULL, NULL, NULL, "document", NULL, 0, AGENTDB_METRIC_L2, NULL, NULL, &r),
           AGENTDB_INVALID_METADATA);
    OK(agentdb_db_import_lance_table(b, src, "docs", "copy", NULL, NULL, "document", keep, 1, AGENTDB_METRIC_L2, NULL, NULL, &r));
    CHECK(report_has(r, "\"records\":2"));
    EXPECT(agentdb_db_import_lance_table(b, src, "nope", NULL, NULL, NULL, NULL, NULL, 0, AGENTDB_METRIC_L2, NULL, NULL, &r),
           AGENTDB_COLLECTION_NOT_FOUND);
    EXPECT(agentdb_db_import_lance_table(b, src, "docs", "z", NULL, "emb", NULL, NULL, 0, AGENTDB_METRIC_L2, NULL, NULL, &r),
           AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("no column 'emb'");
    OK(agentdb_collection_open(b, "copy", &c));
    OK(agentdb_collection_get(c, want, 1, NULL, NULL, 0, 0, &rec));
    OK(agentdb_records_count(rec, &n));
    CHECK(n == 1);
    OK(agentdb_records_get_document(rec, 0, &doc, NULL));
    OK(agentdb_records_get_metadata(rec, 0, &meta, NULL));
    CHECK(strcmp(doc, "d2") == 0 && strcmp(meta, "{\"k\":2}") == 0);
    OK(agentdb_records_free(rec));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(b));
}

/* A Chroma PersistentClient directory, read by the engine (no Python): tests/fixtures/chroma,
 * made by tests/fixtures/make_chroma_fixture.py. 149 records; r0..r99's vectors are in Chroma's
 * HNSW segment files, r100..r149's only in its log; r3 deleted, r4 updated. The fixture is found
 * from this file's own path (the programs are built from absolute paths and run elsewhere). */
static void test_chroma(void) {
    char fixture[1200], dst[600], empty[600];
    const char *here = __FILE__, *cut = strstr(here, "c/test_transfer.c");
    agentdb_db *b;
    agentdb_collection *c;
    agentdb_report *r;
    agentdb_records *rec;
    const char *want[] = {"r4", "r50", "r120", "r3"};
    const float expect_v[] = {4, 4, 4, 50, 25, -50, 120, 60, -120};
    size_t n, i;
    CHECK(cut != NULL);
    snprintf(fixture, sizeof fixture, "%.*sfixtures/chroma", (int)(cut - here), here);
    snprintf(dst, sizeof dst, "%s/chroma_dst", g_dir);
    snprintf(empty, sizeof empty, "%s", g_dir);
    OK(agentdb_db_open(dst, &b));
    g_progress_calls = 0;
    OK(agentdb_db_import_chroma(b, fixture, "fixture", NULL, on_progress, &g_progress_calls, &r));
    CHECK(report_has(r, "\"records\":149"));
    CHECK(g_progress_calls >= 1 && g_last_done == 149);
    EXPECT(agentdb_db_import_chroma(b, fixture, "fixture", NULL, NULL, NULL, &r), AGENTDB_COLLECTION_EXISTS);
    CHECK(r == NULL);
    EXPECT(agentdb_db_import_chroma(b, fixture, "nope", "x", NULL, NULL, &r), AGENTDB_COLLECTION_NOT_FOUND);
    CHECK_MSG("no Chroma collection 'nope'");
    EXPECT(agentdb_db_import_chroma(b, empty, "fixture", "y", NULL, NULL, &r), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("not a Chroma");
    EXPECT(agentdb_db_import_chroma(b, NULL, "fixture", "y", NULL, NULL, &r), AGENTDB_NULL_POINTER);
    OK(agentdb_collection_open(b, "fixture", &c));
    OK(agentdb_collection_get(c, want, 4, NULL, NULL, 0, 0, &rec));
    OK(agentdb_records_count(rec, &n));
    CHECK(n == 3); /* r3 was deleted in Chroma */
    for (i = 0; i < n; i++) {
        const char *id;
        const float *vec;
        size_t dim;
        OK(agentdb_records_get_id(rec, i, &id, NULL));
        CHECK(strcmp(id, want[i]) == 0);
        OK(agentdb_records_get_vector(rec, i, &vec, &dim));
        CHECK(dim == 3 && memcmp(vec, expect_v + 3 * i, 3 * sizeof(float)) == 0);
    }
    {
        const char *doc, *meta;
        OK(agentdb_records_get_document(rec, 2, &doc, NULL));
        CHECK(doc && strcmp(doc, "doc 120") == 0);
        OK(agentdb_records_get_metadata(rec, 0, &meta, NULL));
        CHECK(strcmp(meta, "{\"even\":true,\"i\":4,\"tag\":\"u\"}") == 0);
    }
    OK(agentdb_records_free(rec));
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(b));
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        {"round_trip", test_round_trip},
        {"round_trip_parquet", test_round_trip_parquet},
        {"bad_input", test_bad_input},
        {"lance_table", test_lance_table},
        {"state", test_state},
        {"chroma", test_chroma},
    };
    return run_tests("transfer", tests, sizeof tests / sizeof tests[0], argc, argv);
}
