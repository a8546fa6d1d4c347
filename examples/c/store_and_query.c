/*
 * Store vectors from a text file in AgentDB and query them.
 *
 *   cc -std=c11 -O2 -Iinclude examples/c/store_and_query.c \
 *      -L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -lagentdb -o store_and_query
 *   ./store_and_query /tmp/fruit-db examples/c/vectors.txt 3 0.9 0.1 0.1 0
 *
 * (LIBDIR is where libagentdb.so is: ~/.cache/agentdb/target/release after `make build`, or
 * `$(pkg-config --libs agentdb)` after `make install`.)
 *
 * The file holds one record per line, "<id> <v1> ... <vd>"; lines starting with '#' are comments.
 * Records are upserted into the collection "vectors" (so running twice is harmless), then the k
 * nearest records to the query vector given on the command line are printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentdb.h"

#define MAX_DIM 64
#define MAX_ROWS 10000

static int fail(const char *what, agentdb_status s) {
    fprintf(stderr, "%s: %s: %s\n", what, agentdb_status_name((int32_t)s), agentdb_errmsg());
    return 1;
}

int main(int argc, char **argv) {
    static char id_buf[MAX_ROWS][64];
    static const char *ids[MAX_ROWS];
    static float vectors[MAX_ROWS * MAX_DIM];
    float query[MAX_DIM];
    size_t n = 0, dim = 0, k, i, hits;
    char line[4096];
    FILE *f;
    agentdb_db *db = NULL;
    agentdb_collection *col = NULL;
    agentdb_results *res = NULL;
    agentdb_status s;
    int rc = 1;

    if (argc < 5) {
        fprintf(stderr, "usage: %s <db-dir> <vectors.txt> <k> <q1> ... <qd>\n", argv[0]);
        return 2;
    }
    if ((f = fopen(argv[2], "r")) == NULL) {
        perror(argv[2]);
        return 1;
    }
    while (n < MAX_ROWS && fgets(line, sizeof line, f)) {
        char *tok = strtok(line, " \t\r\n");
        size_t d = 0;
        if (tok == NULL || tok[0] == '#') continue;
        snprintf(id_buf[n], sizeof id_buf[n], "%s", tok);
        ids[n] = id_buf[n];
        while ((tok = strtok(NULL, " \t\r\n")) != NULL && d < MAX_DIM) vectors[n * MAX_DIM + d++] = strtof(tok, NULL);
        if (dim == 0) dim = d;
        n++;
    }
    fclose(f);
    /* Pack the rows tightly: n × dim, row-major. (AgentDB checks every row's dimension.) */
    for (i = 1; i < n; i++) memmove(&vectors[i * dim], &vectors[i * MAX_DIM], dim * sizeof(float));

    k = (size_t)strtoul(argv[3], NULL, 10);
    for (i = 0; i < (size_t)(argc - 4) && i < MAX_DIM; i++) query[i] = strtof(argv[4 + i], NULL);

    if ((s = agentdb_db_open(argv[1], &db)) != AGENTDB_OK) return fail("open", s);
    if ((s = agentdb_collection_open_or_create(db, "vectors", dim, AGENTDB_METRIC_COSINE, &col)) != AGENTDB_OK) {
        fail("collection", s);
        goto out;
    }
    if ((s = agentdb_collection_upsert(col, ids, n, vectors, dim, NULL, NULL)) != AGENTDB_OK) {
        fail("upsert", s);
        goto out;
    }
    if ((s = agentdb_collection_search(col, query, (size_t)(argc - 4), k, NULL, NULL, &res)) != AGENTDB_OK) {
        fail("search", s);
        goto out;
    }
    agentdb_results_count(res, 0, &hits);
    printf("%zu records stored; %zu nearest:\n", n, hits);
    for (i = 0; i < hits; i++) {
        const char *id;
        float dist;
        agentdb_results_get_id(res, 0, i, &id, NULL);
        agentdb_results_get_distance(res, 0, i, &dist);
        printf("  %-10s %.4f\n", id, (double)dist);
    }
    rc = 0;
out:
    agentdb_results_free(res);
    agentdb_collection_close(col);
    agentdb_db_close(db);
    return rc;
}
