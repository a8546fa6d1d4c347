/*
 * Temporal knowledge graphs through the C ABI: entities and facts, a single-valued predicate
 * closing the fact it contradicts, invalidate and correct with the old versions kept, as-of and
 * known-at queries before, during and after each change, neighbours and shortest paths, entity
 * search, facts for a text with their sources, persistence across reopen, and bad input.
 *
 * Usage: test_graph [name-substring]
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include "harness.h"

static size_t facts_count(agentdb_graph_facts *f) {
    size_t n = SIZE_MAX;
    if (agentdb_graph_facts_count(f, &n) != AGENTDB_OK) return SIZE_MAX;
    return n;
}

/* The objects of the facts of `entity` (out) under `q`, joined with ',' into `buf`. */
static int objects(agentdb_graph *g, const char *entity, const agentdb_graph_query *q, char *buf, size_t cap) {
    agentdb_graph_facts *f = NULL;
    agentdb_graph_query qq = q ? *q : agentdb_graph_query_default();
    qq.direction = AGENTDB_GRAPH_OUT;
    if (agentdb_graph_get_facts(g, entity, &qq, &f) != AGENTDB_OK) return 0;
    buf[0] = '\0';
    for (size_t i = 0; i < facts_count(f); i++) {
        agentdb_graph_fact x;
        if (agentdb_graph_facts_get(f, i, &x) != AGENTDB_OK) return 0;
        if (i) strncat(buf, ",", cap - strlen(buf) - 1);
        strncat(buf, x.object, cap - strlen(buf) - 1);
    }
    agentdb_graph_facts_free(f);
    return 1;
}

static agentdb_graph_query at(int64_t t) {
    agentdb_graph_query q = agentdb_graph_query_default();
    q.has_as_of = true;
    q.as_of_us = t;
    return q;
}

static agentdb_graph_query known(int64_t t, int64_t known_at) {
    agentdb_graph_query q = at(t);
    q.has_known_at = true;
    q.known_at_us = known_at;
    return q;
}

/* The id in a one-string list, copied into `buf`; the list is freed. */
static int take_id(agentdb_strings *s, char *buf, size_t cap) {
    const char *id = NULL;
    if (agentdb_strings_get(s, 0, &id, NULL) != AGENTDB_OK) return 0;
    snprintf(buf, cap, "%s", id);
    agentdb_strings_free(s);
    return 1;
}

static void test_bitemporal(void) {
    agentdb_db *db = NULL;
    agentdb_graph *g = NULL;
    agentdb_strings *s = NULL;
    agentdb_graph_facts *f = NULL;
    agentdb_graph_fact x;
    char f1[64], f2[64], buf[256];
    const char *aliases[] = {"Ali"};
    const char *src[] = {"mem-1"};
    int64_t t1, t2, t3, t4;
    agentdb_graph_query q;

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_graph_open(db, "agent-1", 0, &g));
    OK(agentdb_graph_add_entity(g, "alice", "Alice", "person", aliases, 1, NULL, 0, "{\"team\":\"core\"}", NULL));
    OK(agentdb_graph_add_entity(g, "paris", "Paris", NULL, NULL, 0, NULL, 0, NULL, NULL));
    OK(agentdb_graph_add_entity(g, "rome", "Rome", NULL, NULL, 0, NULL, 0, NULL, NULL));
    OK(agentdb_graph_declare_predicate(g, "lives_in", true));
    OK(agentdb_graph_add_fact(g, "alice", "lives_in", "paris", true, true, 100, false, 0, src, 1, -1, &s));
    CHECK(take_id(s, f1, sizeof f1));
    OK(agentdb_graph_fact_history(g, f1, &f));
    OK(agentdb_graph_facts_get(f, 0, &x));
    t1 = x.recorded_at_us;
    CHECK(x.version == 1 && x.confidence == 1.0 && x.n_sources == 1 && !x.has_valid_to);
    OK(agentdb_graph_facts_free(f));

    q = at(99);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "") == 0);
    q = at(100);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "paris") == 0);

    OK(agentdb_graph_add_fact(g, "alice", "lives_in", "rome", true, true, 200, false, 0, NULL, 0, 0.8, &s));
    CHECK(take_id(s, f2, sizeof f2));
    q = at(199);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "paris") == 0);
    q = at(200);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "rome") == 0);
    CHECK(objects(g, "alice", NULL, buf, sizeof buf) && strcmp(buf, "rome") == 0);
    OK(agentdb_graph_fact_history(g, f1, &f));
    CHECK(facts_count(f) == 2);
    OK(agentdb_graph_facts_get(f, 1, &x));
    t2 = x.recorded_at_us;
    CHECK(x.version == 2 && x.has_valid_to && x.valid_to_us == 200 && t2 > t1);
    OK(agentdb_graph_facts_get(f, 0, &x));
    CHECK(x.has_superseded_at && x.superseded_at_us == t2 && !x.has_valid_to);
    OK(agentdb_graph_facts_free(f));
    q = known(250, t2 - 1);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "paris") == 0);
    q = known(250, t2);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "rome") == 0);
    q = known(150, t1 - 1);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "") == 0);

    /* An interval sees both. */
    q = agentdb_graph_query_default();
    q.has_during = true;
    q.during_from_us = 150;
    q.during_to_us = 250;
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "paris,rome") == 0);

    OK(agentdb_graph_invalidate(g, f2, true, 300, &f));
    OK(agentdb_graph_facts_get(f, 0, &x));
    t3 = x.recorded_at_us;
    CHECK(x.version == 2 && x.valid_to_us == 300 && fabs(x.confidence - 0.8) < 1e-12);
    OK(agentdb_graph_facts_free(f));
    q = at(299);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "rome") == 0);
    q = at(300);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "") == 0);
    q = known(300, t3 - 1);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "rome") == 0);

    /* Correct the Paris fact: from 50, and reopen Rome. */
    OK(agentdb_graph_correct(g, f1, NULL, false, true, 50, AGENTDB_GRAPH_KEEP, 0, NULL, 0, -1, &f));
    OK(agentdb_graph_facts_get(f, 0, &x));
    t4 = x.recorded_at_us;
    CHECK(x.version == 3 && x.valid_from_us == 50 && x.valid_to_us == 200);
    OK(agentdb_graph_facts_free(f));
    q = at(60);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "paris") == 0);
    q = known(60, t4 - 1);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "") == 0);
    OK(agentdb_graph_correct(g, f2, NULL, false, false, 0, AGENTDB_GRAPH_REOPEN, 0, NULL, 0, -1, NULL));
    q = at(1000);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "rome") == 0);

    /* Durable across reopening. */
    OK(agentdb_graph_close(g));
    OK(agentdb_db_close(db));
    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_graph_list(db, &s));
    {
        size_t n = 0;
        const char *name = NULL;
        OK(agentdb_strings_count(s, &n));
        CHECK(n == 1);
        OK(agentdb_strings_get(s, 0, &name, NULL));
        CHECK(strcmp(name, "agent-1") == 0);
        OK(agentdb_strings_free(s));
    }
    OK(agentdb_graph_open(db, "agent-1", 0, &g));
    OK(agentdb_graph_fact_history(g, f1, &f));
    CHECK(facts_count(f) == 3);
    OK(agentdb_graph_facts_free(f));
    q = known(60, t4 - 1);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "") == 0);
    q = at(60);
    CHECK(objects(g, "alice", &q, buf, sizeof buf) && strcmp(buf, "paris") == 0);
    OK(agentdb_graph_close(g));
    OK(agentdb_db_close(db));
}

static void test_traversal_search_and_text(void) {
    agentdb_db *db = NULL;
    agentdb_graph *g = NULL;
    agentdb_graph_facts *f = NULL;
    agentdb_graph_neighbors *nb = NULL;
    agentdb_graph_entities *es = NULL;
    agentdb_graph_neighbor n;
    agentdb_graph_entity e;
    agentdb_graph_fact x;
    const char *src[] = {"m-7", "m-8"};
    const char *source = NULL;
    float va[] = {1, 0}, vb[] = {0, 1}, query[] = {0.1f, 1};
    bool found = false;
    size_t count = 0, n_e = 0, n_f = 0;

    OK(agentdb_db_open(g_db_path, &db));
    OK(agentdb_graph_open(db, "g", 2, &g));
    OK(agentdb_graph_add_entity(g, "a", "Alice Smith", "person", NULL, 0, va, 2, NULL, NULL));
    OK(agentdb_graph_add_entity(g, "b", "ACME Corp", "org", NULL, 0, vb, 2, NULL, NULL));
    OK(agentdb_graph_add_entity(g, "c", "Carol", "person", NULL, 0, NULL, 0, NULL, NULL));
    OK(agentdb_graph_add_entity(g, "d", "Dan", "person", NULL, 0, NULL, 0, NULL, NULL));
    OK(agentdb_graph_add_fact(g, "a", "works_at", "b", true, true, 0, false, 0, src, 2, 0.9, NULL));
    OK(agentdb_graph_add_fact(g, "c", "works_at", "b", true, true, 0, false, 0, NULL, 0, -1, NULL));
    OK(agentdb_graph_add_fact(g, "c", "knows", "d", true, true, 0, true, 10, NULL, 0, -1, NULL));
    OK(agentdb_graph_count(g, &n_e, &n_f));
    CHECK(n_e == 4 && n_f == 3);

    /* At 5: a - b - c - d; at 20 the c-d fact has ended. */
    agentdb_graph_query q = at(5);
    OK(agentdb_graph_get_neighbors(g, "a", 3, &q, &nb));
    OK(agentdb_graph_neighbors_count(nb, &count));
    CHECK(count == 3);
    OK(agentdb_graph_neighbors_get(nb, 0, &n));
    CHECK(strcmp(n.entity_id, "b") == 0 && n.hops == 1);
    OK(agentdb_graph_neighbors_get(nb, 2, &n));
    CHECK(strcmp(n.entity_id, "d") == 0 && n.hops == 3);
    OK(agentdb_graph_neighbors_free(nb));
    q = at(20);
    OK(agentdb_graph_get_neighbors(g, "a", 3, &q, &nb));
    OK(agentdb_graph_neighbors_count(nb, &count));
    CHECK(count == 2);
    OK(agentdb_graph_neighbors_free(nb));
    q = at(5);
    q.direction = AGENTDB_GRAPH_OUT;
    OK(agentdb_graph_get_neighbors(g, "a", 3, &q, &nb));
    OK(agentdb_graph_neighbors_count(nb, &count));
    CHECK(count == 1);
    OK(agentdb_graph_neighbors_free(nb));

    q = at(5);
    OK(agentdb_graph_shortest_path(g, "a", "d", 0, &q, &found, &f));
    CHECK(found && facts_count(f) == 3);
    OK(agentdb_graph_facts_free(f));
    q = at(20);
    OK(agentdb_graph_shortest_path(g, "a", "d", 0, &q, &found, &f));
    CHECK(!found && facts_count(f) == 0);
    OK(agentdb_graph_facts_free(f));

    OK(agentdb_graph_search_entities(g, NULL, query, 2, 0, NULL, &es));
    OK(agentdb_graph_entities_count(es, &count));
    CHECK(count == 2);
    OK(agentdb_graph_entities_get(es, 0, &e));
    CHECK(strcmp(e.id, "b") == 0 && e.dim == 2 && e.embedding[1] == 1.0f && e.score > 0.9);
    OK(agentdb_graph_entities_free(es));
    OK(agentdb_graph_find_entities(g, "acme corp", &es));
    OK(agentdb_graph_entities_count(es, &count));
    CHECK(count == 1);
    OK(agentdb_graph_entities_get(es, 0, &e));
    CHECK(strcmp(e.type_, "org") == 0 && strcmp(e.metadata_json, "{}") == 0);
    OK(agentdb_graph_entities_free(es));
    OK(agentdb_graph_get_entity(g, "nobody", &es));
    OK(agentdb_graph_entities_count(es, &count));
    CHECK(count == 0);
    OK(agentdb_graph_entities_free(es));

    OK(agentdb_graph_get_facts_for_text(g, "Where does alice smith work?", true, 5, 0, &f));
    CHECK(facts_count(f) == 1);
    OK(agentdb_graph_facts_get(f, 0, &x));
    CHECK(strcmp(x.predicate, "works_at") == 0 && x.n_sources == 2);
    OK(agentdb_graph_facts_source(f, 0, 1, &source));
    CHECK(strcmp(source, "m-8") == 0);
    EXPECT(agentdb_graph_facts_source(f, 0, 2, &source), AGENTDB_INVALID_ARGUMENT);
    OK(agentdb_graph_facts_free(f));
    OK(agentdb_graph_flush(g));
    OK(agentdb_graph_close(g));
    OK(agentdb_graph_drop(db, "g"));
    EXPECT(agentdb_graph_drop(db, "g"), AGENTDB_COLLECTION_NOT_FOUND);
    OK(agentdb_db_close(db));
}

static void test_bad_input(void) {
    agentdb_db *db = NULL;
    agentdb_graph *g = NULL;
    agentdb_graph_facts *f = NULL;
    agentdb_graph_neighbors *nb = NULL;
    float v[] = {1, 2, 3};
    float nan[] = {1, NAN};
    agentdb_graph_query q;
    const char bad_utf8[] = {'x', (char)0xff, 0};

    OK(agentdb_db_open(g_db_path, &db));
    EXPECT(agentdb_graph_open(db, "bad name", 0, &g), AGENTDB_INVALID_NAME);
    CHECK(g == NULL);
    EXPECT(agentdb_graph_open(db, "g", 0, NULL), AGENTDB_NULL_POINTER);
    OK(agentdb_graph_open(db, "g", 2, &g));
    {
        agentdb_graph *g2 = NULL;
        EXPECT(agentdb_graph_open(db, "g", 3, &g2), AGENTDB_DIMENSION_MISMATCH);
    }
    EXPECT(agentdb_graph_add_entity(g, "x", "", NULL, NULL, 0, NULL, 0, NULL, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_graph_add_entity(g, "x", NULL, NULL, NULL, 0, NULL, 0, NULL, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_graph_add_entity(g, "x", bad_utf8, NULL, NULL, 0, NULL, 0, NULL, NULL), AGENTDB_INVALID_UTF8);
    EXPECT(agentdb_graph_add_entity(g, "x", "X", NULL, NULL, 0, v, 3, NULL, NULL), AGENTDB_DIMENSION_MISMATCH);
    EXPECT(agentdb_graph_add_entity(g, "x", "X", NULL, NULL, 0, nan, 2, NULL, NULL), AGENTDB_INVALID_VECTOR);
    EXPECT(agentdb_graph_add_entity(g, "x", "X", NULL, NULL, 0, NULL, 0, "[1]", NULL), AGENTDB_INVALID_METADATA);
    EXPECT(agentdb_graph_add_entity(g, "x", "X", NULL, NULL, 0, NULL, 0, "{bad", NULL), AGENTDB_INVALID_METADATA);
    OK(agentdb_graph_add_entity(g, "x", "X", NULL, NULL, 0, NULL, 0, NULL, NULL));
    EXPECT(agentdb_graph_add_fact(g, "nobody", "p", "v", false, false, 0, false, 0, NULL, 0, -1, NULL), AGENTDB_INVALID_ARGUMENT);
    CHECK_MSG("nobody");
    EXPECT(agentdb_graph_add_fact(g, "x", "p", "v", false, true, 10, true, 5, NULL, 0, -1, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_graph_add_fact(g, "x", "p", "v", false, false, 0, false, 0, NULL, 0, 1.5, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_graph_add_fact(g, "x", "p", "v", false, false, 0, false, 0, NULL, 3, -1, NULL), AGENTDB_NULL_POINTER);
    EXPECT(agentdb_graph_invalidate(g, "no-such-fact", false, 0, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_graph_correct(g, "no-such-fact", NULL, false, false, 0, 7, 0, NULL, 0, -1, NULL), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_graph_get_neighbors(g, "x", 0, NULL, &nb), AGENTDB_INVALID_ARGUMENT);
    CHECK(nb == NULL);
    q = agentdb_graph_query_default();
    q.direction = 9;
    EXPECT(agentdb_graph_get_facts(g, "x", &q, &f), AGENTDB_INVALID_ARGUMENT);
    q = agentdb_graph_query_default();
    q.struct_size = 4;
    EXPECT(agentdb_graph_get_facts(g, "x", &q, &f), AGENTDB_INVALID_ARGUMENT);
    q = at(1);
    q.has_during = true;
    EXPECT(agentdb_graph_get_facts(g, "x", &q, &f), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_graph_get_facts(g, "nobody", NULL, &f), AGENTDB_INVALID_ARGUMENT);
    EXPECT(agentdb_graph_search_entities(g, NULL, NULL, 0, 0, NULL, NULL), AGENTDB_NULL_POINTER);
    {
        agentdb_graph_entities *es = NULL;
        EXPECT(agentdb_graph_search_entities(g, NULL, NULL, 0, 0, NULL, &es), AGENTDB_INVALID_ARGUMENT);
    }
    OK(agentdb_graph_get_facts(g, "x", NULL, &f));
    OK(agentdb_graph_facts_free(f));
    EXPECT(agentdb_graph_facts_free(f), AGENTDB_INVALID_HANDLE);
    OK(agentdb_graph_facts_free(NULL));
    OK(agentdb_db_close(db));
    EXPECT(agentdb_graph_flush(g), AGENTDB_CLOSED);
    OK(agentdb_graph_close(g));
    EXPECT(agentdb_graph_close(g), AGENTDB_INVALID_HANDLE);
}

static const struct test TESTS[] = {
    {"bitemporal", test_bitemporal},
    {"traversal_search_and_text", test_traversal_search_and_text},
    {"bad_input", test_bad_input},
};

int main(int argc, char **argv) {
    return run_tests("C graph", TESTS, sizeof TESTS / sizeof TESTS[0], argc, argv);
}
