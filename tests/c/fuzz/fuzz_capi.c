/* The C-ABI fuzzer (issue 11): libFuzzer drives random call sequences against libagentdb —
 * collections (create, add, upsert, get, delete, count, search, search_batch, index, drop), the
 * memory store (remember, recall, get, count, forget), agent state (put, get, history, delete),
 * flush, closed and twice-freed handles — with random counts (small ones backed by real arrays,
 * huge ones with NULL arrays), NULL pointers, arbitrary (also invalid UTF-8) strings, SQL and
 * JSON filters, NaN vectors and out-of-range k.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined (mk/fuzz.mk). Every input is a program:
 * each byte picks an operation, the following bytes its arguments. The invariants checked after
 * every call (a failure aborts, which libFuzzer reports and saves the input):
 *   - the status is a known one (agentdb_status_name knows it), never AGENTDB_PANIC, never
 *     AGENTDB_INTERNAL (a bad argument has its own status), and a failure has a message;
 *   - on failure every out-handle is NULL;
 *   - a result never holds more than was asked for (records <= ids given, hits <= k, one list
 *     per query);
 *   - a delete by ids (with or without a filter) deletes at most those ids: the collection's
 *     count drops by exactly the number reported deleted, which is at most the number of ids
 *     (a filter can never widen it — issue 11's `FALSE) OR (TRUE`);
 *   - a record just added is found by get, and the count follows adds and deletes;
 *   - closing or freeing a handle twice is AGENTDB_INVALID_HANDLE, never a crash.
 * And of course: no crash, no sanitizer report, no hang (libFuzzer's -timeout).
 *
 * The database lives in a fresh temporary directory (AGENTDB_FUZZ_DIR to choose its parent),
 * opened once with AGENTDB_SYNC_OFF; its collections are emptied when they grow past a few
 * thousand records, so throughput stays flat over a long run.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <agentdb.h>

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ----------------------------------------------------------------------------------------- */
/* Findings                                                                                    */
/* ----------------------------------------------------------------------------------------- */

static bool allow_internal; /* AGENTDB_FUZZ_ALLOW_INTERNAL=1: report AGENTDB_INTERNAL, do not abort */

static void finding(const char *call, const char *what) {
    fprintf(stderr, "\nFINDING in %s: %s (last error: %s)\n", call, what, agentdb_errmsg());
    abort();
}

/* Checks a status; returns true for AGENTDB_OK. */
static bool check(int32_t st, const char *call) {
    const char *name = agentdb_status_name(st);
    if (name == NULL) finding(call, "agentdb_status_name returned NULL");
    if (strcmp(name, "AGENTDB_UNKNOWN_STATUS") == 0) {
        char buf[64];
        snprintf(buf, sizeof buf, "unknown status %d", (int)st);
        finding(call, buf);
    }
    if (st == AGENTDB_PANIC) finding(call, "AGENTDB_PANIC: the library panicked");
    if (st == AGENTDB_INTERNAL) {
        if (!allow_internal) finding(call, "AGENTDB_INTERNAL for caller input");
        fprintf(stderr, "note: %s returned AGENTDB_INTERNAL: %s\n", call, agentdb_errmsg());
    }
    if (st != AGENTDB_OK) {
        const char *msg = agentdb_errmsg();
        if (msg == NULL || msg[0] == '\0') finding(call, "failed without a message");
    }
    return st == AGENTDB_OK;
}

/* A failed call leaves its out-handle NULL. */
#define CHECK_OUT(ok, out, call)                                                      \
    do {                                                                              \
        if (!(ok) && (out) != NULL) finding(call, "failed but set its out-handle");  \
        if ((ok) && (out) == NULL) finding(call, "succeeded without an out-handle"); \
    } while (0)

/* ----------------------------------------------------------------------------------------- */
/* Reading the input                                                                           */
/* ----------------------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t n;
    /* Everything allocated for one input, freed at its end. */
    void *owned[512];
    size_t n_owned;
} In;

static uint8_t u8(In *in) {
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}

static uint32_t u32(In *in) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v = (v << 8) | u8(in);
    return v;
}

static void *own(In *in, size_t bytes) {
    void *p = calloc(1, bytes ? bytes : 1);
    if (p == NULL) abort();
    if (in->n_owned == sizeof in->owned / sizeof in->owned[0]) {
        free(p);
        return NULL;
    }
    in->owned[in->n_owned++] = p;
    return p;
}

/* Counts that do not describe an array: zero, small, or far too large. */
static size_t big_count(In *in) {
    static const size_t HUGE[] = {
        (size_t)1 << 20, (size_t)1 << 31, (size_t)1 << 32, (size_t)1 << 40, (size_t)1 << 61,
        (size_t)1 << 62, SIZE_MAX / 4 + 1, SIZE_MAX / 8, SIZE_MAX - 1, SIZE_MAX, 16777217,
    };
    uint8_t b = u8(in);
    if (b < 200) return b % 9;
    return HUGE[b % (sizeof HUGE / sizeof HUGE[0])];
}

/* Interesting text: identifiers, SQL filter pieces (valid, invalid, injections), JSON filters. */
static const char *const WORDS[] = {
    "", "a", "b", "c", "x", "id", "document", "lang", "year", "n", "tags", "score", "_rowid",
    "vector", "r1", "r2", "r3", "en", "fr", "agent", "session", "key",
    "TRUE", "FALSE", "NULL", "year >= 2020", "lang = 'en'", "lang = 'en' AND year >= 2020",
    "FALSE) OR (TRUE", "1=1) OR (1=1", "TRUE garbage", "n = 1 n = 2", "id = 'r1'; DROP TABLE x",
    "id IN ('r1', 'r2')", "year BETWEEN 1 AND 3", "lang LIKE 'e%'", "lang IS NULL",
    "NOT (year < 0)", "repeat(id, 2147483648)", "array_has(tags, 'x')", "x' OR '1'='1",
    "'", "\"", ")", "(", "--", "/*", "year = 1e999", "year = -9223372036854775808",
    "{}", "{\"year\": 2021}", "{\"lang\": {\"$in\": [\"en\", \"fr\"]}}", "{\"$or\": [{\"a\": 1}, {\"b\": 2}]}",
    "{\"$not\": {\"$not\": {\"$not\": {\"a\": 1}}}}", "{\"year\": {\"$gte\": 2020, \"$lt\": 2030}}",
    "{\"a\": {\"$exists\": false}}", "{\"tags\": {\"$contains\": \"x\"}}", "{\"id\": \"x' OR 1=1 --\"}",
    "{\"$and\": []}", "{\"$or\": []}", "{\"a\": {\"$bad\": 1}}", "{\"a\": [1, 2]}", "[1, 2]", "1",
    "{\"a\": {\"$datetime\": \"2024-05-01T12:00:00Z\"}}", "[{\"lang\": \"en\", \"year\": 2021}]",
    "[{\"a\": 1}, null]", "[null]", "[{\"id\": 1}]", "[{\"a\": [\"x\", \"y\"]}]", "[{\"a\": {\"b\": 1}}]",
    "[{\"a\": 1e400}]", "[{\"a\": 18446744073709551616}]", "[{\"" "kind" "\": 1}]",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "{\"a\": \"\\u0000\"}",
    "\xff\xfe", "caf\xc3\xa9", "\xc3", "\xed\xa0\x80", "null", "true", "\"text\"",
};
#define N_WORDS (sizeof WORDS / sizeof WORDS[0])

/* A string argument: NULL, a word, a word with a random tail, or random bytes (no NUL). */
static const char *str(In *in) {
    uint8_t b = u8(in);
    if (b < 16) return NULL;
    if (b < 160) return WORDS[u8(in) % N_WORDS];
    size_t len = u8(in) % 48;
    const char *base = b < 200 ? WORDS[u8(in) % N_WORDS] : "";
    size_t blen = strlen(base);
    char *s = own(in, blen + len + 1);
    if (s == NULL) return NULL;
    memcpy(s, base, blen);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = u8(in);
        s[blen + i] = (char)(c ? c : ' ');
    }
    s[blen + len] = '\0';
    return s;
}

/* An id: one of a few (so later calls find them), or any string. */
static const char *id_str(In *in) {
    static const char *const IDS[] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"};
    uint8_t b = u8(in);
    if (b < 200) return IDS[b % 8];
    return str(in);
}

static float num(In *in) {
    uint8_t b = u8(in);
    switch (b % 16) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: return -INFINITY;
    case 3: return 0.0f;
    case 4: return 3.0e38f;
    case 5: return 1.0e-45f;
    default: return ((float)(int8_t)u8(in)) / 16.0f;
    }
}

/* `n` floats, or NULL. */
static float *floats(In *in, size_t n) {
    if (n == 0 || n > 4096 || u8(in) < 8) return NULL;
    float *v = own(in, n * sizeof(float));
    if (v == NULL) return NULL;
    for (size_t i = 0; i < n; i++) v[i] = num(in);
    return v;
}

/* `n` string pointers (each maybe NULL), or NULL. */
static const char **strings(In *in, size_t n, bool ids) {
    if (n == 0 || n > 64 || u8(in) < 8) return NULL;
    const char **v = own(in, n * sizeof(char *));
    if (v == NULL) return NULL;
    for (size_t i = 0; i < n; i++) v[i] = ids ? id_str(in) : str(in);
    return v;
}

/* A dimension: usually the right one, sometimes another. */
static size_t dim_arg(In *in, size_t dim) {
    uint8_t b = u8(in);
    if (b < 200) return dim;
    if (b < 240) return b % 6;
    return big_count(in);
}

/* ----------------------------------------------------------------------------------------- */
/* The database under test                                                                     */
/* ----------------------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    size_t dim;
    agentdb_metric metric;
    agentdb_collection *c;
} Coll;

static Coll colls[] = {
    {"fz_cos", 2, AGENTDB_METRIC_COSINE, NULL},
    {"fz_l2", 3, AGENTDB_METRIC_L2, NULL},
    {"fz_dot", 4, AGENTDB_METRIC_DOT, NULL},
};
#define N_COLLS (sizeof colls / sizeof colls[0])

static agentdb_db *db;
static agentdb_memory *mem;
static const size_t MEM_DIM = 3;
static char db_dir[4096];

static void open_coll(Coll *c) {
    agentdb_collection *h = NULL;
    int32_t st = agentdb_collection_open_or_create(db, c->name, c->dim, c->metric, &h);
    if (!check(st, "agentdb_collection_open_or_create (setup)")) finding("setup", "cannot open a collection");
    c->c = h;
}

static uint64_t count_all(agentdb_collection *c, const char *call) {
    uint64_t n = 0;
    if (!check(agentdb_collection_count(c, NULL, NULL, &n), call)) finding(call, "count without a filter failed");
    return n;
}

/* At exit: the handles are closed (from an atexit handler, after the main thread's thread-locals
 * are gone: finding 3 of rust/fuzz/RESULTS.md, tests/c/test_exit.c), then the database directory
 * goes. */
static void cleanup(void) {
    for (size_t i = 0; i < N_COLLS; i++) {
        if (!check(agentdb_collection_close(colls[i].c), "agentdb_collection_close (at exit)")) finding("exit", "close failed");
        colls[i].c = NULL;
    }
    if (!check(agentdb_memory_close(mem), "agentdb_memory_close (at exit)")) finding("exit", "close failed");
    if (!check(agentdb_db_close(db), "agentdb_db_close (at exit)")) finding("exit", "close failed");
    mem = NULL;
    db = NULL;
    if (db_dir[0] != '\0' && getenv("AGENTDB_FUZZ_KEEP") == NULL) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", db_dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", db_dir);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    allow_internal = getenv("AGENTDB_FUZZ_ALLOW_INTERNAL") != NULL;
    const char *parent = getenv("AGENTDB_FUZZ_DIR");
    snprintf(db_dir, sizeof db_dir, "%s/agentdb-fuzz-XXXXXX", parent ? parent : "/tmp");
    if (mkdtemp(db_dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    agentdb_open_options o = agentdb_open_options_default();
    o.sync = AGENTDB_SYNC_OFF;
    char path[4200];
    snprintf(path, sizeof path, "%s/db", db_dir);
    if (!check(agentdb_db_open_with(path, &o, &db), "agentdb_db_open_with (setup)")) finding("setup", "cannot open");
    for (size_t i = 0; i < N_COLLS; i++) open_coll(&colls[i]);
    if (!check(agentdb_memory_open_or_create(db, "fz_mem", MEM_DIM, AGENTDB_METRIC_COSINE, &mem), "agentdb_memory_open_or_create (setup)"))
        finding("setup", "cannot open the memory store");
    atexit(cleanup);
    return 0;
}

/* ----------------------------------------------------------------------------------------- */
/* Operations                                                                                  */
/* ----------------------------------------------------------------------------------------- */

static void op_write(In *in, Coll *c, bool upsert) {
    const char *call = upsert ? "agentdb_collection_upsert" : "agentdb_collection_add";
    size_t n = big_count(in);
    const char **ids = strings(in, n, true);
    size_t dim = dim_arg(in, c->dim);
    size_t nf = (n <= 64 && dim <= 64) ? n * dim : 0;
    float *vectors = floats(in, nf);
    const char **docs = strings(in, n, false);
    const char *meta = str(in);
    uint64_t before = count_all(c->c, call);
    int32_t st = upsert ? agentdb_collection_upsert(c->c, ids, n, vectors, dim, docs, meta)
                        : agentdb_collection_add(c->c, ids, n, vectors, dim, docs, meta);
    bool ok = check(st, call);
    uint64_t after = count_all(c->c, call);
    if (!ok && after != before) finding(call, "a rejected batch changed the record count");
    if (ok) {
        if (after < before) finding(call, "a write lowered the record count");
        if (!upsert && after != before + n) finding(call, "add did not add exactly n records");
        if (after > before + n) finding(call, "the count grew by more than n");
    }
    if (ok && n > 0 && ids != NULL) {
        /* Every id written is found by get. */
        agentdb_records *r = NULL;
        bool got = check(agentdb_collection_get(c->c, ids, n, NULL, NULL, 0, 0, &r), "agentdb_collection_get (after a write)");
        CHECK_OUT(got, r, "agentdb_collection_get (after a write)");
        if (got) {
            size_t m = 0;
            check(agentdb_records_count(r, &m), "agentdb_records_count");
            if (m > n) finding("agentdb_collection_get", "more records than ids");
            /* ids may repeat only for upsert (the last one wins); each distinct id is there. */
            if (!upsert && m != n) finding("agentdb_collection_get", "an added record is missing");
        }
        agentdb_records_free(r);
    }
}

static void op_get(In *in, Coll *c) {
    size_t n = big_count(in);
    const char **ids = strings(in, n, true);
    const char *sql = u8(in) < 128 ? str(in) : NULL;
    const char *json = u8(in) < 128 ? str(in) : NULL;
    size_t limit = big_count(in), offset = big_count(in);
    agentdb_records *r = NULL;
    bool ok = check(agentdb_collection_get(c->c, ids, n, sql, json, limit, offset, &r), "agentdb_collection_get");
    CHECK_OUT(ok, r, "agentdb_collection_get");
    if (ok) {
        size_t m = 0;
        check(agentdb_records_count(r, &m), "agentdb_records_count");
        if (ids != NULL && m > n) finding("agentdb_collection_get", "more records than ids");
        if (limit != 0 && m > limit) finding("agentdb_collection_get", "more records than the limit");
        if (m > 0) {
            const char *id = NULL;
            size_t len = 0;
            if (check(agentdb_records_get_id(r, m - 1, &id, &len), "agentdb_records_get_id") && (id == NULL || strlen(id) != len))
                finding("agentdb_records_get_id", "the id and its length disagree");
        }
        /* Out of range rows are errors, not reads. */
        const char *id = NULL;
        if (agentdb_records_get_id(r, m, &id, NULL) == AGENTDB_OK) finding("agentdb_records_get_id", "row past the end");
    }
    if (agentdb_records_free(r) != AGENTDB_OK) finding("agentdb_records_free", "freeing failed");
}

static void op_delete(In *in, Coll *c) {
    size_t n = big_count(in);
    const char **ids = strings(in, n, true);
    const char *sql = u8(in) < 128 ? str(in) : NULL;
    const char *json = u8(in) < 128 ? str(in) : NULL;
    uint64_t before = count_all(c->c, "agentdb_collection_delete");
    uint64_t deleted = UINT64_MAX;
    bool ok = check(agentdb_collection_delete(c->c, ids, n, sql, json, u8(in) < 32 ? NULL : &deleted), "agentdb_collection_delete");
    uint64_t after = count_all(c->c, "agentdb_collection_delete");
    if (!ok && after != before) finding("agentdb_collection_delete", "a failed delete changed the record count");
    if (ok) {
        if (after > before) finding("agentdb_collection_delete", "the count grew");
        if (deleted != UINT64_MAX && before - after != deleted)
            finding("agentdb_collection_delete", "the count dropped by another number than reported deleted");
        /* The issue-11 invariant: with ids, a filter can only narrow what is deleted. */
        if (ids != NULL && before - after > n) finding("agentdb_collection_delete", "deleted more records than ids given");
    }
}

static void op_count(In *in, Coll *c) {
    const char *sql = u8(in) < 128 ? str(in) : NULL;
    const char *json = u8(in) < 128 ? str(in) : NULL;
    uint64_t all = count_all(c->c, "agentdb_collection_count");
    uint64_t m = UINT64_MAX;
    if (check(agentdb_collection_count(c->c, sql, json, u8(in) < 16 ? NULL : &m), "agentdb_collection_count") && m != UINT64_MAX && m > all)
        finding("agentdb_collection_count", "a filter counted more records than there are");
}

static void op_search(In *in, Coll *c, bool batch) {
    const char *call = batch ? "agentdb_collection_search_batch" : "agentdb_collection_search";
    size_t q = batch ? big_count(in) : 1;
    size_t dim = dim_arg(in, c->dim);
    size_t nf = (q <= 16 && dim <= 64) ? q * dim : 0;
    float *query = floats(in, nf);
    static const size_t KS[] = {1, 2, 5, 10, 0, 100000, 100001, (size_t)1 << 40, SIZE_MAX};
    size_t k = KS[u8(in) % (sizeof KS / sizeof KS[0])];
    const char *sql = u8(in) < 100 ? str(in) : NULL;
    const char *json = u8(in) < 100 ? str(in) : NULL;
    agentdb_search_options o = agentdb_search_options_default();
    bool opts = u8(in) < 64;
    if (opts) {
        o.ef = big_count(in);
        o.exact = u8(in) & 1;
    }
    agentdb_results *r = NULL;
    int32_t st;
    if (batch)
        st = opts ? agentdb_collection_search_batch_with(c->c, query, q, dim, k, sql, json, &o, &r)
                  : agentdb_collection_search_batch(c->c, query, q, dim, k, sql, json, &r);
    else
        st = opts ? agentdb_collection_search_with(c->c, query, dim, k, sql, json, &o, &r)
                  : agentdb_collection_search(c->c, query, dim, k, sql, json, &r);
    bool ok = check(st, call);
    CHECK_OUT(ok, r, call);
    if (ok) {
        size_t nq = 0;
        check(agentdb_results_query_count(r, &nq), "agentdb_results_query_count");
        if (nq != q) finding(call, "not one list of hits per query");
        uint64_t all = count_all(c->c, call);
        for (size_t i = 0; i < nq; i++) {
            size_t m = 0;
            check(agentdb_results_count(r, i, &m), "agentdb_results_count");
            if (m > k || m > all) finding(call, "more hits than k or than records");
            float prev = -INFINITY;
            for (size_t j = 0; j < m; j++) {
                float d = 0;
                check(agentdb_results_get_distance(r, i, j, &d), "agentdb_results_get_distance");
                if (!opts || o.exact) {
                    if (d < prev && !(isnan(d) || isnan(prev))) finding(call, "hits not closest first");
                }
                prev = d;
            }
        }
        size_t m = 0;
        if (agentdb_results_count(r, nq, &m) == AGENTDB_OK) finding("agentdb_results_count", "query past the end");
    }
    agentdb_results_free(r);
}

static void op_index(In *in, Coll *c) {
    switch (u8(in) % 3) {
    case 0:
        check(agentdb_collection_create_index(c->c, u8(in) % 40, big_count(in) % 64), "agentdb_collection_create_index");
        break;
    case 1:
        check(agentdb_collection_drop_index(c->c), "agentdb_collection_drop_index");
        break;
    default: {
        bool has = false;
        size_t m = 0, ef = 0;
        check(agentdb_collection_index_params(c->c, &has, &m, &ef), "agentdb_collection_index_params");
    }
    }
}

static void op_drop(In *in, Coll *c) {
    (void)in;
    check(agentdb_collection_drop(db, c->name), "agentdb_collection_drop");
    uint64_t n = 0;
    if (agentdb_collection_count(c->c, NULL, NULL, &n) != AGENTDB_CLOSED) finding("agentdb_collection_count", "a dropped collection's handle still works");
    if (!check(agentdb_collection_close(c->c), "agentdb_collection_close")) finding("close", "closing failed");
    c->c = NULL;
    open_coll(c);
    if (count_all(c->c, "agentdb_collection_drop") != 0) finding("agentdb_collection_drop", "a re-created collection is not empty");
}

static void op_create(In *in) {
    const char *name = str(in);
    size_t dim = big_count(in);
    agentdb_metric metric = (agentdb_metric)(int8_t)u8(in) % 5;
    agentdb_collection *h = NULL;
    bool ok = check(agentdb_collection_create(db, name, dim, metric, &h), "agentdb_collection_create");
    CHECK_OUT(ok, h, "agentdb_collection_create");
    if (ok) {
        for (size_t i = 0; i < N_COLLS; i++)
            if (strcmp(name, colls[i].name) == 0) finding("agentdb_collection_create", "created an existing collection");
        check(agentdb_collection_drop(db, name), "agentdb_collection_drop");
        check(agentdb_collection_close(h), "agentdb_collection_close");
        if (agentdb_collection_close(h) != AGENTDB_INVALID_HANDLE) finding("agentdb_collection_close", "a second close was not AGENTDB_INVALID_HANDLE");
    }
    agentdb_strings *names = NULL;
    if (check(agentdb_collection_list(db, &names), "agentdb_collection_list")) {
        size_t m = 0;
        check(agentdb_strings_count(names, &m), "agentdb_strings_count");
        if (m < N_COLLS) finding("agentdb_collection_list", "a collection is missing");
    }
    agentdb_strings_free(names);
}

static void op_twice(In *in, Coll *c) {
    agentdb_collection *h = NULL;
    if (!check(agentdb_collection_open(db, c->name, &h), "agentdb_collection_open")) finding("agentdb_collection_open", "an open collection is not found");
    agentdb_records *r = NULL;
    if (u8(in) & 1) check(agentdb_collection_get(h, NULL, 0, NULL, NULL, 1, 0, &r), "agentdb_collection_get");
    check(agentdb_collection_close(h), "agentdb_collection_close");
    if (agentdb_collection_close(h) != AGENTDB_INVALID_HANDLE) finding("agentdb_collection_close", "a second close was not AGENTDB_INVALID_HANDLE");
    uint64_t n = 0;
    if (agentdb_collection_count(h, NULL, NULL, &n) != AGENTDB_INVALID_HANDLE) finding("agentdb_collection_count", "a freed handle was used");
    if (r != NULL) {
        check(agentdb_records_free(r), "agentdb_records_free");
        if (agentdb_records_free(r) != AGENTDB_INVALID_HANDLE) finding("agentdb_records_free", "a second free was not AGENTDB_INVALID_HANDLE");
    }
}

static agentdb_memory_filter mem_filter(In *in) {
    agentdb_memory_filter f = agentdb_memory_filter_default();
    f.kinds = u8(in) % 32;
    f.agent_id = u8(in) < 128 ? str(in) : NULL;
    f.session_id = u8(in) < 64 ? str(in) : NULL;
    f.has_since = u8(in) < 32;
    f.since_us = (int64_t)u32(in) << (u8(in) % 32);
    f.has_until = u8(in) < 32;
    f.until_us = (int64_t)u32(in) << (u8(in) % 32);
    f.filter_sql = u8(in) < 64 ? str(in) : NULL;
    f.filter_json = u8(in) < 64 ? str(in) : NULL;
    return f;
}

static void op_memory(In *in) {
    switch (u8(in) % 5) {
    case 0: {
        size_t n = big_count(in);
        const char *agent = u8(in) < 16 ? NULL : (u8(in) < 200 ? "agent" : str(in));
        const char *session = u8(in) < 128 ? NULL : str(in);
        agentdb_memory_kind kind = (agentdb_memory_kind)(int8_t)u8(in) % 6;
        const char **ids = u8(in) < 128 ? NULL : strings(in, n, true);
        const char **texts = strings(in, n, false);
        size_t dim = dim_arg(in, MEM_DIM);
        float *v = floats(in, (n <= 64 && dim <= 64) ? n * dim : 0);
        double *imp = NULL;
        if (n > 0 && n <= 64 && u8(in) < 64) {
            imp = own(in, n * sizeof(double));
            if (imp)
                for (size_t i = 0; i < n; i++) imp[i] = (double)num(in);
        }
        int64_t *created = NULL;
        if (n > 0 && n <= 64 && u8(in) < 32) {
            created = own(in, n * sizeof(int64_t));
            if (created)
                for (size_t i = 0; i < n; i++) created[i] = (int64_t)((uint64_t)u32(in) << (u8(in) % 40)) - (1LL << 40);
        }
        const char *meta = u8(in) < 128 ? NULL : str(in);
        agentdb_strings *out = NULL;
        bool want = u8(in) & 1;
        bool ok = check(agentdb_memory_remember(mem, agent, session, kind, n, ids, texts, v, dim, imp, created, meta,
                                                want ? &out : NULL),
                        "agentdb_memory_remember");
        if (want) CHECK_OUT(ok, out, "agentdb_memory_remember");
        if (ok && out) {
            size_t m = 0;
            check(agentdb_strings_count(out, &m), "agentdb_strings_count");
            if (m != n) finding("agentdb_memory_remember", "not one id per memory");
        }
        agentdb_strings_free(out);
        break;
    }
    case 1: {
        size_t dim = dim_arg(in, MEM_DIM);
        float *q = floats(in, dim <= 64 ? dim : 0);
        size_t k = big_count(in);
        agentdb_memory_filter f = mem_filter(in);
        agentdb_recall_options o = agentdb_recall_options_default();
        bool opts = u8(in) < 64;
        if (opts) {
            o.touch = u8(in) & 1;
        }
        agentdb_memories *r = NULL;
        bool ok = check(agentdb_memory_recall(mem, q, dim, k, u8(in) < 64 ? NULL : &f, opts ? &o : NULL, &r),
                        "agentdb_memory_recall");
        CHECK_OUT(ok, r, "agentdb_memory_recall");
        if (ok) {
            size_t m = 0;
            check(agentdb_memories_count(r, &m), "agentdb_memories_count");
            if (m > k) finding("agentdb_memory_recall", "more memories than k");
        }
        agentdb_memories_free(r);
        break;
    }
    case 2: {
        size_t n = big_count(in);
        const char **ids = strings(in, n, true);
        agentdb_memories *r = NULL;
        bool ok = check(agentdb_memory_get(mem, ids, n, &r), "agentdb_memory_get");
        CHECK_OUT(ok, r, "agentdb_memory_get");
        if (ok) {
            size_t m = 0;
            check(agentdb_memories_count(r, &m), "agentdb_memories_count");
            if (m > n) finding("agentdb_memory_get", "more memories than ids");
        }
        agentdb_memories_free(r);
        break;
    }
    case 3: {
        agentdb_memory_filter f = mem_filter(in);
        uint64_t m = 0;
        check(agentdb_memory_count(mem, u8(in) < 64 ? NULL : &f, &m), "agentdb_memory_count");
        break;
    }
    default: {
        size_t n = big_count(in);
        const char **ids = strings(in, n, true);
        agentdb_memory_filter f = mem_filter(in);
        uint64_t all = 0, after = 0, deleted = 0;
        check(agentdb_memory_count(mem, NULL, &all), "agentdb_memory_count");
        bool ok = check(agentdb_memory_forget(mem, ids, n, u8(in) < 64 ? NULL : &f, &deleted), "agentdb_memory_forget");
        check(agentdb_memory_count(mem, NULL, &after), "agentdb_memory_count");
        if (ok && ids != NULL && all - after > n) finding("agentdb_memory_forget", "forgot more memories than ids given");
        if (!ok && after != all) finding("agentdb_memory_forget", "a failed forget changed the count");
    }
    }
}

static void op_state(In *in) {
    const char *agent = u8(in) < 200 ? "agent" : str(in);
    const char *session = u8(in) < 200 ? "session" : str(in);
    const char *key = u8(in) < 200 ? WORDS[u8(in) % 8] : str(in);
    switch (u8(in) % 4) {
    case 0: {
        uint64_t v = 0;
        double ttl = u8(in) < 200 ? 0.0 : (double)num(in);
        check(agentdb_state_put(db, agent, session, key, str(in), ttl, u8(in) & 1 ? &v : NULL), "agentdb_state_put");
        break;
    }
    case 1: {
        agentdb_state_versions *r = NULL;
        bool ok = check(agentdb_state_get(db, agent, session, key, &r), "agentdb_state_get");
        CHECK_OUT(ok, r, "agentdb_state_get");
        if (ok) {
            size_t m = 0;
            check(agentdb_state_versions_count(r, &m), "agentdb_state_versions_count");
            if (m > 1) finding("agentdb_state_get", "more than one current version");
        }
        agentdb_state_versions_free(r);
        break;
    }
    case 2: {
        agentdb_state_versions *r = NULL;
        size_t limit = big_count(in), offset = big_count(in);
        bool ok = check(agentdb_state_history(db, agent, session, key, limit, offset, &r), "agentdb_state_history");
        CHECK_OUT(ok, r, "agentdb_state_history");
        if (ok && limit != 0) {
            size_t m = 0;
            check(agentdb_state_versions_count(r, &m), "agentdb_state_versions_count");
            if (m > limit) finding("agentdb_state_history", "more versions than the limit");
        }
        agentdb_state_versions_free(r);
        break;
    }
    default: {
        uint64_t v = 0;
        check(agentdb_state_delete(db, agent, session, key, &v), "agentdb_state_delete");
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    In in = {.p = data, .n = size, .n_owned = 0};
    for (int steps = 0; in.n > 0 && steps < 32; steps++) {
        uint8_t op = u8(&in);
        Coll *c = &colls[u8(&in) % N_COLLS];
        switch (op % 16) {
        case 0: op_write(&in, c, false); break;
        case 1: op_write(&in, c, true); break;
        case 2: op_get(&in, c); break;
        case 3: op_delete(&in, c); break;
        case 4: op_count(&in, c); break;
        case 5: op_search(&in, c, false); break;
        case 6: op_search(&in, c, true); break;
        case 7: op_index(&in, c); break;
        case 8: if (u8(&in) < 16) op_drop(&in, c); break;
        case 9: op_create(&in); break;
        case 10: op_twice(&in, c); break;
        case 11: case 12: op_memory(&in); break;
        case 13: case 14: op_state(&in); break;
        default: check(agentdb_db_flush(db), "agentdb_db_flush"); break;
        }
    }
    for (size_t i = 0; i < in.n_owned; i++) free(in.owned[i]);
    /* Keep the collections small, so a long run stays fast. */
    for (size_t i = 0; i < N_COLLS; i++)
        if (count_all(colls[i].c, "count (housekeeping)") > 2000) {
            uint64_t d = 0;
            check(agentdb_collection_delete(colls[i].c, NULL, 0, "TRUE", NULL, &d), "agentdb_collection_delete (housekeeping)");
        }
    return 0;
}
