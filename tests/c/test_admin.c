/*
 * Backup, restore and verify through the C ABI: agentdb_db_backup (full and incremental),
 * agentdb_restore of each point (the latest and a chosen one), refusals (a non-empty target, a
 * damaged backup file, an unknown point), agentdb_db_verify on a sound and on a damaged database
 * (agentdb_problems_count/_get/_checked/_free), repair on a read-only database.
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>

#include "harness.h"

static uint64_t count_in(const char *path, const char *name) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    uint64_t n = UINT64_MAX;
    if (agentdb_db_open(path, &db) != AGENTDB_OK) return UINT64_MAX;
    if (agentdb_collection_open(db, name, &c) == AGENTDB_OK) {
        if (agentdb_collection_count(c, NULL, NULL, &n) != AGENTDB_OK) n = UINT64_MAX;
        agentdb_collection_close(c);
    }
    agentdb_db_close(db);
    return n;
}

static int add_range(agentdb_collection *c, int from, int to) {
    int i;
    for (i = from; i < to; i++) {
        char id[32];
        const char *ids[1];
        float v[3] = {(float)i, 1.0f, (float)(i % 5)};
        snprintf(id, sizeof id, "r%d", i);
        ids[0] = id;
        if (agentdb_collection_add(c, ids, 1, v, 3, NULL, NULL) != AGENTDB_OK) return 0;
    }
    return 1;
}

/* The path of the largest file under `dir` whose path contains `part`, into `out`. */
static size_t g_best_size;
static char g_best[1024];
static const char *g_part;
static int find_largest(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)ftw;
    if (flag == FTW_F && strstr(path, g_part) && (size_t)sb->st_size > g_best_size) {
        g_best_size = (size_t)sb->st_size;
        snprintf(g_best, sizeof g_best, "%s", path);
    }
    return 0;
}

static int flip_byte(const char *path, long at_from_end) {
    FILE *f = fopen(path, "r+b");
    int ch;
    if (!f) return 0;
    if (fseek(f, -at_from_end, SEEK_END) != 0) return fclose(f), 0;
    ch = fgetc(f);
    if (fseek(f, -at_from_end, SEEK_END) != 0) return fclose(f), 0;
    fputc(ch ^ 0xff, f);
    fclose(f);
    return 1;
}

static void test_backup_and_restore_points(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_backup_point p1, p2, r;
    char dest[600], out1[600], out2[600], out3[600];
    snprintf(dest, sizeof dest, "%s/bk", g_dir);
    snprintf(out1, sizeof out1, "%s/r1", g_dir);
    snprintf(out2, sizeof out2, "%s/r2", g_dir);
    snprintf(out3, sizeof out3, "%s/r3", g_dir);

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_create(db, "docs", 3, AGENTDB_METRIC_L2, &c));
    CHECK(add_range(c, 0, 30));
    OK(agentdb_db_backup(db, dest, false, &p1));
    CHECK(p1.seq == 1 && !p1.incremental && p1.files >= 2 && p1.copied_bytes == p1.total_bytes);
    CHECK(add_range(c, 30, 40));
    OK(agentdb_db_backup(db, dest, true, &p2));
    CHECK(p2.seq == 2 && p2.incremental && p2.copied_bytes < p2.total_bytes);
    OK(agentdb_db_backup(db, dest, true, NULL)); /* the point is optional */
    EXPECT(agentdb_db_backup(db, NULL, false, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_db_backup(NULL, dest, false, NULL), AGENTDB_NULL_POINTER);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));

    OK(agentdb_restore(dest, out1, 1, &r));
    CHECK(r.seq == 1);
    CHECK(count_in(out1, "docs") == 30);
    OK(agentdb_restore(dest, out2, 0, &r)); /* 0: the latest */
    CHECK(r.seq == 3);
    CHECK(count_in(out2, "docs") == 40);
    EXPECT(agentdb_restore(dest, out2, 0, NULL), AGENTDB_INVALID_ARGUMENT); /* not empty */
    CHECK_MSG("not empty");
    EXPECT(agentdb_restore(dest, out3, 9, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_restore(NULL, out3, 0, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_restore(dest, NULL, 0, NULL), AGENTDB_NULL_POINTER);
    CHECK(!path_exists(out3));
    {
        agentdb_report *rep;
        const char *text;
        OK(agentdb_list_backups(dest, &rep));
        OK(agentdb_report_get_text(rep, &text, NULL));
        CHECK(text[0] == '[' && strstr(text, "\"seq\":1") && strstr(text, "\"seq\":3") && strstr(text, "\"incremental\":true"));
        OK(agentdb_report_free(rep));
        OK(agentdb_verify_backup(dest, 0, &rep));
        OK(agentdb_report_get_text(rep, &text, NULL));
        CHECK(strcmp(text, "[]") == 0);
        OK(agentdb_report_free(rep));
        EXPECT(agentdb_list_backups(g_dir, &rep), AGENTDB_INVALID_ARGUMENT);
        EXPECT(agentdb_verify_backup(NULL, 0, &rep), AGENTDB_NULL_POINTER);
        /* Retention: keeping as many points as there are removes nothing; 0 is refused. */
        OK(agentdb_prune_backups(dest, 3, &rep));
        OK(agentdb_report_get_text(rep, &text, NULL));
        CHECK(strstr(text, "\"removed_points\":[]") && strstr(text, "\"removed_files\":0"));
        OK(agentdb_report_free(rep));
        EXPECT(agentdb_prune_backups(dest, 0, &rep), AGENTDB_INVALID_ARGUMENT);
        CHECK_MSG("at least 1");
        EXPECT(agentdb_prune_backups(NULL, 1, &rep), AGENTDB_NULL_POINTER);
        EXPECT(agentdb_prune_backups(g_dir, 1, &rep), AGENTDB_INVALID_ARGUMENT);
    }

    /* A damaged file of the backup: refused, nothing left behind. */
    g_best_size = 0;
    g_part = "/data/";
    CHECK(nftw(dest, find_largest, 16, FTW_PHYS) == 0 && g_best_size > 0);
    CHECK(flip_byte(g_best, (long)g_best_size / 2));
    EXPECT(agentdb_restore(dest, out3, 1, NULL), AGENTDB_STORAGE);
    CHECK_MSG("damaged");
    CHECK(!path_exists(out3));
    {
        agentdb_report *rep;
        const char *text;
        OK(agentdb_verify_backup(dest, 1, &rep));
        OK(agentdb_report_get_text(rep, &text, NULL));
        CHECK(strstr(text, "\"path\"") && strstr(text, "/data/"));
        OK(agentdb_report_free(rep));
        /* Keep the newest point only: points 1 and 2 go, and the list says so. */
        OK(agentdb_prune_backups(dest, 1, &rep));
        OK(agentdb_report_get_text(rep, &text, NULL));
        CHECK(strstr(text, "\"removed_points\":[1,2]") != NULL);
        OK(agentdb_report_free(rep));
        OK(agentdb_list_backups(dest, &rep));
        OK(agentdb_report_get_text(rep, &text, NULL));
        CHECK(strstr(text, "\"seq\":3") && !strstr(text, "\"seq\":1,") && !strstr(text, "\"seq\":2,"));
        OK(agentdb_report_free(rep));
    }
}

static void test_verify(void) {
    agentdb_db *db = NULL;
    agentdb_collection *c = NULL;
    agentdb_problems *problems = NULL;
    agentdb_problem p;
    agentdb_open_options o = agentdb_open_options_default();
    size_t n = 99;
    uint64_t tables = 0, files = 0, rows = 0;

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_collection_create(db, "docs", 3, AGENTDB_METRIC_L2, &c));
    CHECK(add_range(c, 0, 20));
    OK(agentdb_db_flush(db));
    OK(agentdb_db_verify(db, false, &problems));
    OK(agentdb_problems_count(problems, &n));
    CHECK(n == 0);
    OK(agentdb_problems_checked(problems, &tables, &files, &rows));
    CHECK(tables == 1 && files >= 2 && rows == 20);
    OK(agentdb_problems_checked(problems, NULL, NULL, NULL));
    EXPECT(agentdb_problems_get(problems, 0, &p), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_problems_get(problems, 0, NULL), AGENTDB_NULL_POINTER);
    OK(agentdb_problems_free(problems));
    EXPECT(agentdb_problems_free(problems), AGENTDB_INVALID_HANDLE);
    EXPECT(agentdb_db_verify(db, false, NULL), AGENTDB_NULL_POINTER);
    OK(agentdb_collection_close(c));
    OK(agentdb_db_close(db));

    /* Damage the structure of the data file (its footer) and look read-only. */
    g_best_size = 0;
    g_part = "docs.lance/data/";
    CHECK(nftw(g_db_path, find_largest, 16, FTW_PHYS) == 0 && g_best_size > 0);
    CHECK(flip_byte(g_best, 2));
    o.read_only = true;
    OK(agentdb_db_open_with(g_db_path, &o, &db));
    problems = NULL;
    OK(agentdb_db_verify(db, false, &problems));
    OK(agentdb_problems_count(problems, &n));
    /* The file no longer matches the checksum taken after its commit, and its fragment no longer
     * reads: both are reported, in that order. */
    CHECK(n >= 2);
    OK(agentdb_problems_get(problems, 0, &p));
    CHECK(strcmp(p.kind, "damaged_file") == 0);
    CHECK(strstr(p.detail, "changed since it was committed") != NULL);
    OK(agentdb_problems_get(problems, 1, &p));
    CHECK(strcmp(p.kind, "damaged_data") == 0);
    CHECK(strcmp(p.store, "docs") == 0);
    CHECK(strstr(p.file, "docs.lance/data/") != NULL);
    CHECK(!p.repairable && !p.repaired && p.detail[0] != '\0');
    OK(agentdb_problems_free(problems));
    EXPECT(agentdb_db_verify(db, true, &problems), AGENTDB_READ_ONLY);
    CHECK(problems == NULL);
    OK(agentdb_db_close(db));
}

static const struct test TESTS[] = {
    {"backup_and_restore_points", test_backup_and_restore_points},
    {"verify", test_verify},
};

int main(int argc, char **argv) {
    return run_tests("C admin", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
