/* The C side of bench/node_overhead.mjs: one small search per call through the C ABI (k = 10 on
 * N 64-d cosine vectors), the same data and queries as the Node side (the same LCG). Prints one
 * JSON line: per-call mean, p50 and p99 in microseconds.
 *   node_overhead DB_DIR N CALLS */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agentdb.h"

#define DIM 64
#define K 10
#define WARMUP 200

static uint32_t lcg_state;
static float next_value(void) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (float)((double)lcg_state / 4294967296.0 - 0.5);
}
static void fill(float *out, size_t n, uint32_t seed) {
    lcg_state = seed;
    for (size_t i = 0; i < n; i++) out[i] = next_value();
}
static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}
static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
#define CHECK(call)                                                      \
    do {                                                                 \
        if ((call) != AGENTDB_OK) {                                      \
            fprintf(stderr, "%s: %s\n", #call, agentdb_errmsg());       \
            return 1;                                                    \
        }                                                                \
    } while (0)

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s DB_DIR N CALLS\n", argv[0]);
        return 2;
    }
    size_t n = (size_t)atol(argv[2]), calls = (size_t)atol(argv[3]);
    agentdb_db *db;
    agentdb_collection *c;
    CHECK(agentdb_db_open(argv[1], &db));
    CHECK(agentdb_collection_open_or_create(db, "bench", DIM, AGENTDB_METRIC_COSINE, &c));
    float *vecs = malloc(n * DIM * sizeof(float));
    char **ids = malloc(n * sizeof(char *));
    fill(vecs, n * DIM, 1);
    for (size_t i = 0; i < n; i++) {
        ids[i] = malloc(16);
        snprintf(ids[i], 16, "v%zu", i);
    }
    CHECK(agentdb_collection_add(c, (const char *const *)ids, n, vecs, DIM, NULL, NULL));
    CHECK(agentdb_db_flush(db));
    float *queries = malloc((WARMUP + calls) * DIM * sizeof(float));
    fill(queries, (WARMUP + calls) * DIM, 2);
    double *t = malloc(calls * sizeof(double));
    for (size_t i = 0; i < WARMUP + calls; i++) {
        agentdb_results *r;
        double t0 = now_us();
        CHECK(agentdb_collection_search(c, queries + i * DIM, DIM, K, NULL, NULL, &r));
        double t1 = now_us();
        CHECK(agentdb_results_free(r));
        if (i >= WARMUP) t[i - WARMUP] = t1 - t0;
    }
    double sum = 0;
    for (size_t i = 0; i < calls; i++) sum += t[i];
    qsort(t, calls, sizeof(double), cmp);
    printf("{\"mean_us\": %.2f, \"p50_us\": %.2f, \"p99_us\": %.2f}\n", sum / (double)calls, t[calls / 2],
           t[(size_t)((double)calls * 0.99)]);
    CHECK(agentdb_collection_close(c));
    CHECK(agentdb_db_close(db));
    for (size_t i = 0; i < n; i++) free(ids[i]);
    free(ids); free(vecs); free(queries); free(t);
    return 0;
}
