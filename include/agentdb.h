/*
 * agentdb.h: the C API of AgentDB, an embeddable vector database.
 *
 * Conventions
 *
 *  - Handles are opaque: agentdb_db, agentdb_collection, agentdb_results, agentdb_records,
 *    agentdb_strings. Each object the library gives you has exactly one free call:
 *        agentdb_db          -> agentdb_close
 *        agentdb_collection  -> agentdb_collection_close
 *        agentdb_results     -> agentdb_results_free
 *        agentdb_records     -> agentdb_records_free
 *        agentdb_strings     -> agentdb_strings_free
 *    Free calls accept NULL (and do nothing). A handle that was already freed or closed, or that is
 *    not a handle of the expected type, is detected and reported as AGENTDB_INVALID_HANDLE: the
 *    library never reads freed memory (handles are keys into a registry, not pointers).
 *
 *  - Every call returns an agentdb_status: AGENTDB_OK (0) or an error code. After an error,
 *    agentdb_errmsg() gives a message for people, per thread. Results come back through
 *    out-pointers, which are set to NULL / 0 when a call that creates an object fails.
 *
 *  - Strings passed in are NUL-terminated UTF-8; they are validated (AGENTDB_INVALID_UTF8) and
 *    copied as needed, never kept after the call returns. Strings handed out are NUL-terminated
 *    UTF-8 and belong to the object they came from: valid until its free call, never freed by you.
 *    Calls that hand out a string also give its length in bytes through an optional `out_len`.
 *
 *  - Vectors are `const float *` with a count (`dim`, or `n * dim` row-major for batches), read in
 *    place during the call. Metadata crosses as JSON text: an object per record whose values are
 *    strings, integers, floats, booleans, lists of strings, or datetimes written
 *    {"$datetime": "2024-05-01T12:00:00Z"}. Filters are given either as SQL text
 *    ("lang = 'en' AND year >= 2020") or as JSON dict text ({"year": {"$gte": 2020}}); values in a
 *    JSON filter are always quoted by the engine, never pasted into SQL.
 *
 *  - Bad input never crashes the library or corrupts data: NULL pointers, invalid UTF-8, a wrong
 *    dimension, a filter that does not parse, a collection name such as "../x", a freed handle: each
 *    returns a status and a message. A Rust panic inside the library is caught and returned as
 *    AGENTDB_PANIC.
 *
 * Threads
 *
 *  All handles may be shared between threads, and every call may run concurrently with every other
 *  call, on the same or different handles. Writes to one collection (add, upsert, delete) are
 *  serialised by the engine; reads (get, count, search) run in parallel with them and see each
 *  write whole or not at all. The one rule: do not free an object while another thread still uses
 *  it or still reads strings or vectors obtained from it (a call already running on a handle that
 *  another thread frees finishes safely; the strings it handed out do not outlive the free).
 *  agentdb_errmsg() is per thread.
 *
 * Example
 *
 *    agentdb_db *db; agentdb_collection *c; agentdb_results *r;
 *    if (agentdb_open("/tmp/db", &db) != AGENTDB_OK) { puts(agentdb_errmsg()); return 1; }
 *    agentdb_get_or_create_collection(db, "docs", 3, AGENTDB_METRIC_COSINE, &c);
 *    const char *ids[] = {"a", "b"};
 *    float vecs[] = {1, 0, 0,  0, 1, 0};
 *    agentdb_add(c, ids, 2, vecs, 3, NULL, "[{\"lang\": \"en\"}, null]");
 *    float q[] = {1, 0.1f, 0};
 *    agentdb_search(c, q, 3, 5, "lang = 'en'", NULL, &r);
 *    ... agentdb_results_count(r, 0, &n); agentdb_results_id(r, 0, i, &id, NULL); ...
 *    agentdb_results_free(r); agentdb_collection_close(c); agentdb_close(db);
 */


#ifndef AGENTDB_H
#define AGENTDB_H

/* Generated from rust/capi by cbindgen (`make header`). Do not edit by hand. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * What a call returns: `AGENTDB_OK` (0) on success, otherwise the kind of failure.
 * `agentdb_errmsg()` then gives a message for people.
 *
 * Codes 1 to 12 are the engine's error kinds; 13 and up are failures of the C boundary itself.
 * New codes may be added at the end in later versions; treat an unknown non-zero code as a failure.
 */
typedef enum agentdb_status {
    /**
     * Success.
     */
    AGENTDB_OK = 0,
    /**
     * An argument is out of range or malformed (e.g. `k = 0`, an unknown metric, an index past
     * the end of a result, a filter given both as SQL and as JSON).
     */
    AGENTDB_INVALID_ARGUMENT = 1,
    /**
     * A collection name is empty, too long, or has characters that could escape the database
     * directory (such as `/` or `..`).
     */
    AGENTDB_INVALID_NAME = 2,
    /**
     * The collection does not exist.
     */
    AGENTDB_COLLECTION_NOT_FOUND = 3,
    /**
     * A collection of that name already exists.
     */
    AGENTDB_COLLECTION_EXISTS = 4,
    /**
     * A vector's length differs from the collection's dimension.
     */
    AGENTDB_DIMENSION_MISMATCH = 5,
    /**
     * An id repeats within a batch, or `agentdb_add` names an id the collection already holds.
     */
    AGENTDB_DUPLICATE_ID = 6,
    /**
     * A vector holds NaN or infinity (or is all zeros in a cosine collection).
     */
    AGENTDB_INVALID_VECTOR = 7,
    /**
     * Metadata is not valid JSON, not an array of objects, or holds a key or value of an
     * unsupported shape or type.
     */
    AGENTDB_INVALID_METADATA = 8,
    /**
     * A filter does not parse, names an unknown column, or compares values of the wrong type.
     */
    AGENTDB_INVALID_FILTER = 9,
    /**
     * The database was closed (`agentdb_close`) or the collection was dropped.
     */
    AGENTDB_CLOSED = 10,
    /**
     * The storage layer (LanceDB, the file system) failed.
     */
    AGENTDB_STORAGE = 11,
    /**
     * A bug in AgentDB: an internal invariant did not hold.
     */
    AGENTDB_INTERNAL = 12,
    /**
     * A required pointer argument is NULL.
     */
    AGENTDB_NULL_POINTER = 13,
    /**
     * A string argument is not valid UTF-8.
     */
    AGENTDB_INVALID_UTF8 = 14,
    /**
     * A handle argument is not a live handle of the expected type: it was already freed or
     * closed, or it is not an AgentDB handle at all.
     */
    AGENTDB_INVALID_HANDLE = 15,
    /**
     * A bug in AgentDB: the call panicked. The panic was caught; the library stays usable.
     */
    AGENTDB_PANIC = 16,
} agentdb_status;

/**
 * A handle to one collection (from `agentdb_create_collection`, `agentdb_get_collection` or
 * `agentdb_get_or_create_collection`, freed by `agentdb_collection_close`).
 */
typedef struct agentdb_collection agentdb_collection;

/**
 * An open database (from `agentdb_open`, freed by `agentdb_close`).
 */
typedef struct agentdb_db agentdb_db;

/**
 * Records read by `agentdb_get`, freed by `agentdb_records_free`.
 */
typedef struct agentdb_records agentdb_records;

/**
 * The results of `agentdb_search` (one query) or `agentdb_search_batch` (several), freed by
 * `agentdb_results_free`.
 */
typedef struct agentdb_results agentdb_results;

/**
 * A list of strings (from `agentdb_list_collections`), freed by `agentdb_strings_free`.
 */
typedef struct agentdb_strings agentdb_strings;

/**
 * How a collection compares vectors (an `int32_t`, one of the `AGENTDB_METRIC_*` values).
 * Distances are "smaller is closer": cosine → `1 - cos(a, b)`, l2 → squared Euclidean distance,
 * dot → `1 - a·b`.
 */
typedef int32_t agentdb_metric;

/**
 * Options for `agentdb_search_opts` and `agentdb_search_batch_opts`.
 *
 * Start from `agentdb_search_options_default()` and set the fields you need, so that
 * `struct_size` is right and every other field keeps its default:
 *
 * ```c
 * agentdb_search_options o = agentdb_search_options_default();
 * o.ef = 128;
 * agentdb_search_opts(c, q, 3, 5, NULL, NULL, &o, &r);
 * ```
 *
 * (A zeroed struct with `struct_size = sizeof(agentdb_search_options)` is the same.)
 *
 * Versions: fields are only ever added at the end, and each one's zero value means "the
 * default". `struct_size` tells the library which fields the caller knows, so a program built
 * against this header keeps working with later libraries (the fields it does not know take their
 * defaults). A `struct_size` smaller than this first version of the struct, or larger than the
 * struct the library knows (a program built against a newer agentdb.h than the library), is
 * `AGENTDB_INVALID_ARGUMENT`.
 */
typedef struct agentdb_search_options {
    /**
     * `sizeof(agentdb_search_options)`, set by `agentdb_search_options_default()`: the version
     * of this struct the caller was built with.
     */
    uint32_t struct_size;
    /**
     * The size of the candidate list when an HNSW index is walked, 1 to 100000: larger finds
     * more of the true neighbours and runs slower; values below `k` act as `k`. 0: the default,
     * max(k, 64). Ignored when the collection has no index or the search is exact.
     */
    size_t ef;
    /**
     * `true`: compare every record even when an index exists (the exact k nearest).
     * `false` (the default): use the index when there is one.
     */
    bool exact;
    /**
     * The number of threads an exact scan of a large collection may use (small collections are
     * scanned on one thread). 0: the default, all cores.
     */
    size_t threads;
    /**
     * `true`: return only ids and distances; documents and metadata are not read from storage
     * (most of the cost of a small search), so `agentdb_results_document` gives NULL and
     * `agentdb_results_metadata` gives `{}` for every hit. `false` (the default): return them.
     */
    bool ids_only;
} agentdb_search_options;

/**
 * Cosine distance, `1 - cos(a, b)`.
 */
#define AGENTDB_METRIC_COSINE 0

/**
 * Squared Euclidean distance.
 */
#define AGENTDB_METRIC_L2 1

/**
 * Dot-product distance, `1 - a·b`.
 */
#define AGENTDB_METRIC_DOT 2

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The message of the last call that failed on the calling thread, as a NUL-terminated UTF-8
 * string; `""` if no call has failed on this thread yet. Calls that succeed leave it as it is.
 *
 * The pointer stays valid until the next failing AgentDB call on the same thread (or until the
 * thread exits). Never NULL; do not free it.
 */
const char *agentdb_errmsg(void);

/**
 * The name of a status code as a static NUL-terminated string (e.g. `"AGENTDB_DIMENSION_MISMATCH"`),
 * or `"AGENTDB_UNKNOWN_STATUS"` for a value that is not a status. Never NULL; do not free it.
 */
const char *agentdb_status_name(int32_t status);

/**
 * AgentDB's version as a static NUL-terminated string, e.g. `"0.1.0"`. Never NULL; do not free it.
 */
const char *agentdb_version(void);

/**
 * Opens the database in directory `path` (NUL-terminated UTF-8), creating the directory if it does
 * not exist, and writes its handle to `*out_db`. Free it with `agentdb_close`.
 * On failure `*out_db` is set to NULL.
 *
 * # Safety
 * `path` is NULL or a NUL-terminated string; `out_db` is NULL or writable.
 */
enum agentdb_status agentdb_open(const char *path, struct agentdb_db **out_db);

/**
 * Closes a database and frees its handle. Every collection handle obtained from it fails with
 * `AGENTDB_CLOSED` from then on, but must still be freed with `agentdb_collection_close`.
 * Writes are durable when their call returns, so closing loses nothing.
 * `agentdb_close(NULL)` does nothing and returns `AGENTDB_OK`; closing a handle twice returns
 * `AGENTDB_INVALID_HANDLE`.
 */
enum agentdb_status agentdb_close(struct agentdb_db *db);

/**
 * Creates an empty collection `name` of `dim`-dimensional vectors compared by `metric`, and writes
 * a handle to it to `*out_collection` (free it with `agentdb_collection_close`).
 * Names are 1–128 ASCII letters, digits, `_` and `-`, not starting with `-`.
 * Fails with `AGENTDB_COLLECTION_EXISTS` if it exists. On failure `*out_collection` is NULL.
 *
 * # Safety
 * `name` is NULL or a NUL-terminated string; `out_collection` is NULL or writable.
 */
enum agentdb_status agentdb_create_collection(const struct agentdb_db *db,
                                              const char *name,
                                              size_t dim,
                                              agentdb_metric metric,
                                              struct agentdb_collection **out_collection);

/**
 * Opens the existing collection `name` and writes a handle to it to `*out_collection` (free it
 * with `agentdb_collection_close`). Fails with `AGENTDB_COLLECTION_NOT_FOUND` if it does not exist.
 *
 * # Safety
 * `name` is NULL or a NUL-terminated string; `out_collection` is NULL or writable.
 */
enum agentdb_status agentdb_get_collection(const struct agentdb_db *db,
                                           const char *name,
                                           struct agentdb_collection **out_collection);

/**
 * Opens collection `name`, creating it if it does not exist. An existing collection must have the
 * same `dim` and `metric` (else `AGENTDB_INVALID_ARGUMENT`). Free the handle with
 * `agentdb_collection_close`.
 *
 * # Safety
 * `name` is NULL or a NUL-terminated string; `out_collection` is NULL or writable.
 */
enum agentdb_status agentdb_get_or_create_collection(const struct agentdb_db *db,
                                                     const char *name,
                                                     size_t dim,
                                                     agentdb_metric metric,
                                                     struct agentdb_collection **out_collection);

/**
 * Deletes collection `name` and all its records. Open handles to it fail with `AGENTDB_CLOSED`
 * from then on (and must still be freed).
 *
 * # Safety
 * `name` is NULL or a NUL-terminated string.
 */
enum agentdb_status agentdb_drop_collection(const struct agentdb_db *db, const char *name);

/**
 * Writes the names of all collections, sorted, as a new `agentdb_strings` to `*out_names`
 * (read it with `agentdb_strings_count` / `agentdb_strings_get`, free it with
 * `agentdb_strings_free`). On failure `*out_names` is NULL.
 *
 * # Safety
 * `out_names` is NULL or writable.
 */
enum agentdb_status agentdb_list_collections(const struct agentdb_db *db,
                                             struct agentdb_strings **out_names);

/**
 * Frees a collection handle. The collection and its data stay in the database.
 * `agentdb_collection_close(NULL)` does nothing and returns `AGENTDB_OK`; freeing a handle twice
 * returns `AGENTDB_INVALID_HANDLE`.
 */
enum agentdb_status agentdb_collection_close(struct agentdb_collection *collection);

/**
 * Writes the collection's name (NUL-terminated) to `*out_name` and, if `out_len` is not NULL, its
 * length in bytes to `*out_len`. The string belongs to the handle: valid until
 * `agentdb_collection_close`.
 *
 * # Safety
 * `out_name` is NULL or writable; `out_len` is NULL or writable.
 */
enum agentdb_status agentdb_collection_name(const struct agentdb_collection *collection,
                                            const char **out_name,
                                            size_t *out_len);

/**
 * Writes the collection's vector dimension to `*out_dim`.
 *
 * # Safety
 * `out_dim` is NULL or writable.
 */
enum agentdb_status agentdb_collection_dim(const struct agentdb_collection *collection,
                                           size_t *out_dim);

/**
 * Writes the collection's metric (an `AGENTDB_METRIC_*` value) to `*out_metric`.
 *
 * # Safety
 * `out_metric` is NULL or writable.
 */
enum agentdb_status agentdb_collection_metric(const struct agentdb_collection *collection,
                                              agentdb_metric *out_metric);

/**
 * Adds `n` new records. Record `i` has id `ids[i]` (NUL-terminated UTF-8, 1–1024 bytes), vector
 * `vectors[i*dim .. i*dim+dim]` (`dim` must be the collection's dimension), document
 * `documents[i]` (`documents` may be NULL, and any entry may be NULL: no document), and metadata
 * `metadata_json`: NULL, or a JSON array of `n` entries, each an object (or `null`) whose keys are
 * identifiers and whose values are strings, integers, floats, booleans, lists of strings or
 * datetimes written `{"$datetime": "2024-05-01T12:00:00Z"}`.
 *
 * The batch is validated whole before anything is written: a bad row (wrong dimension, NaN,
 * repeated id, an id the collection already holds → `AGENTDB_DUPLICATE_ID`, bad metadata) rejects
 * the batch, the message names the row, and nothing is written. When the call returns
 * `AGENTDB_OK` the records are on disk. The vectors are read in place, not copied by this layer.
 *
 * # Safety
 * `ids` is NULL or points to `n` pointers, each NULL or a NUL-terminated string; `vectors` is
 * NULL or points to `n * dim` floats; `documents` is NULL or points to `n` pointers, each NULL or
 * a NUL-terminated string; `metadata_json` is NULL or a NUL-terminated string. All stay valid and
 * unchanged during the call.
 */
enum agentdb_status agentdb_add(const struct agentdb_collection *collection,
                                const char *const *ids,
                                size_t n,
                                const float *vectors,
                                size_t dim,
                                const char *const *documents,
                                const char *metadata_json);

/**
 * Like `agentdb_add`, but a record whose id exists replaces the stored one (vector, document and
 * metadata are all replaced; its creation time is kept).
 *
 * # Safety
 * As for `agentdb_add`.
 */
enum agentdb_status agentdb_upsert(const struct agentdb_collection *collection,
                                   const char *const *ids,
                                   size_t n,
                                   const float *vectors,
                                   size_t dim,
                                   const char *const *documents,
                                   const char *metadata_json);

/**
 * Reads records into a new `agentdb_records` written to `*out_records` (free it with
 * `agentdb_records_free`; on failure `*out_records` is NULL).
 *
 * With `ids` not NULL: the records with those `n_ids` ids, in that order; ids not found are left
 * out. With `ids` NULL (then `n_ids` must be 0): all records, in storage order.
 * The filter, if any, further restricts the records: give it as SQL (`filter_sql`, e.g.
 * `"lang = 'en' AND year >= 2020"`) or as a JSON dict (`filter_json`, e.g.
 * `{"year": {"$gte": 2020}}`), not both; NULL for none. At most `limit` records after skipping
 * `offset` (`limit` 0: no limit).
 *
 * # Safety
 * `ids` is NULL or points to `n_ids` pointers, each NULL or a NUL-terminated string;
 * `filter_sql` and `filter_json` are NULL or NUL-terminated; `out_records` is NULL or writable.
 */
enum agentdb_status agentdb_get(const struct agentdb_collection *collection,
                                const char *const *ids,
                                size_t n_ids,
                                const char *filter_sql,
                                const char *filter_json,
                                size_t limit,
                                size_t offset,
                                struct agentdb_records **out_records);

/**
 * Deletes the records with the given ids and/or matching the filter (both given: the records that
 * satisfy both; at least one must be given — a filter of `"TRUE"` clears the collection). Ids not
 * present are not an error. Writes the number deleted to `*out_deleted` if it is not NULL.
 *
 * # Safety
 * As for `agentdb_get`; `out_deleted` is NULL or writable.
 */
enum agentdb_status agentdb_delete(const struct agentdb_collection *collection,
                                   const char *const *ids,
                                   size_t n_ids,
                                   const char *filter_sql,
                                   const char *filter_json,
                                   uint64_t *out_deleted);

/**
 * Writes the number of records (matching the filter, if one is given) to `*out_count`.
 *
 * # Safety
 * `filter_sql` and `filter_json` are NULL or NUL-terminated; `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_count(const struct agentdb_collection *collection,
                                  const char *filter_sql,
                                  const char *filter_json,
                                  uint64_t *out_count);

/**
 * Finds the `k` records nearest to the `dim` floats at `query`, closest first, among those
 * matching the filter (as in `agentdb_get`). Writes a new `agentdb_results` holding one query's
 * hits to `*out_results` (free it with `agentdb_results_free`; on failure it is NULL). Fewer than
 * `k` hits when fewer records match. `k` is 1 to 100000.
 *
 * Without an index the search is exact (every record is compared). With an HNSW index
 * (`agentdb_create_index`) it walks the index with the default candidate list (max(k, 64));
 * `agentdb_search_opts` sets that list's size, forces an exact scan, sets the threads of an exact
 * scan, or skips documents and metadata (`agentdb_search_options`).
 *
 * # Safety
 * `query` is NULL or points to `dim` floats; `filter_sql` and `filter_json` are NULL or
 * NUL-terminated; `out_results` is NULL or writable.
 */
enum agentdb_status agentdb_search(const struct agentdb_collection *collection,
                                   const float *query,
                                   size_t dim,
                                   size_t k,
                                   const char *filter_sql,
                                   const char *filter_json,
                                   struct agentdb_results **out_results);

/**
 * `agentdb_search` for `n_queries` queries at once, stored row-major at `queries`
 * (`n_queries * dim` floats); they run concurrently. The results hold one list of hits per
 * query, in the order of the queries.
 *
 * # Safety
 * `queries` is NULL or points to `n_queries * dim` floats; otherwise as for `agentdb_search`.
 */
enum agentdb_status agentdb_search_batch(const struct agentdb_collection *collection,
                                         const float *queries,
                                         size_t n_queries,
                                         size_t dim,
                                         size_t k,
                                         const char *filter_sql,
                                         const char *filter_json,
                                         struct agentdb_results **out_results);

/**
 * The default search options (what `agentdb_search` uses), with `struct_size` set to
 * `sizeof(agentdb_search_options)` and every other field 0 / `false`. Cannot fail.
 */
struct agentdb_search_options agentdb_search_options_default(void);

/**
 * Finds the `k` records nearest to the `dim` floats at `query`, as `agentdb_search` does, with the
 * search options at `options` (see `agentdb_search_options`; NULL: the defaults, which makes this
 * call `agentdb_search`). The options are read during the call and not kept.
 *
 * Options out of range (`ef` above 100000, a wrong `struct_size`) are `AGENTDB_INVALID_ARGUMENT`.
 *
 * # Safety
 * As for `agentdb_search`; `options` is NULL or points to a readable `agentdb_search_options` of
 * at least `options->struct_size` bytes.
 */
enum agentdb_status agentdb_search_opts(const struct agentdb_collection *collection,
                                        const float *query,
                                        size_t dim,
                                        size_t k,
                                        const char *filter_sql,
                                        const char *filter_json,
                                        const struct agentdb_search_options *options,
                                        struct agentdb_results **out_results);

/**
 * `agentdb_search_batch` with the options of `agentdb_search_opts` (NULL: the defaults), applied
 * to every query.
 *
 * # Safety
 * As for `agentdb_search_batch`, and `options` as for `agentdb_search_opts`.
 */
enum agentdb_status agentdb_search_batch_opts(const struct agentdb_collection *collection,
                                              const float *queries,
                                              size_t n_queries,
                                              size_t dim,
                                              size_t k,
                                              const char *filter_sql,
                                              const char *filter_json,
                                              const struct agentdb_search_options *options,
                                              struct agentdb_results **out_results);

/**
 * Builds an HNSW index over the collection's vectors (replacing any index it has), saves it next
 * to the collection's data, and keeps it current with every later add, upsert and delete; search
 * uses it from then on (see `agentdb_search_opts` for `ef` and forced exact search). The index
 * persists: reopening the database does not rebuild it.
 *
 * - `m`: links per node (2 to 128; 0: the default, 16). More links: better recall, more memory.
 * - `ef_construction`: the candidate list size while building (1 to 10000; 0: the default, 200).
 *   Larger builds slower and finds better links.
 *
 * Out-of-range values return `AGENTDB_INVALID_ARGUMENT` and leave any existing index as it was.
 * Building takes time that grows with the number of records; searches and writes on the same
 * collection wait until it is built.
 */
enum agentdb_status agentdb_create_index(const struct agentdb_collection *collection,
                                         size_t m,
                                         size_t ef_construction);

/**
 * Removes the collection's index (and its file); search compares every record again. A collection
 * without an index is not an error.
 */
enum agentdb_status agentdb_drop_index(const struct agentdb_collection *collection);

/**
 * Tells whether the collection has an index and with which parameters: writes `true` or `false`
 * to `*out_has_index` and, when it has one, its `m` and `ef_construction` to `*out_m` and
 * `*out_ef_construction` (0 when it has none). `out_m` and `out_ef_construction` may be NULL when
 * not wanted.
 *
 * # Safety
 * `out_has_index` is NULL or writable; `out_m` and `out_ef_construction` are NULL or writable.
 */
enum agentdb_status agentdb_index_params(const struct agentdb_collection *collection,
                                         bool *out_has_index,
                                         size_t *out_m,
                                         size_t *out_ef_construction);

/**
 * Writes the number of queries the results hold to `*out_count` (1 for `agentdb_search`).
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_results_query_count(const struct agentdb_results *results,
                                                size_t *out_count);

/**
 * Writes the number of hits of query `query` (0 for `agentdb_search`) to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_results_count(const struct agentdb_results *results,
                                          size_t query,
                                          size_t *out_count);

/**
 * Writes the id of hit `row` of query `query` (NUL-terminated) to `*out_id` and, if `out_len` is
 * not NULL, its length in bytes to `*out_len`. Valid until `agentdb_results_free`.
 *
 * # Safety
 * `out_id` is NULL or writable; `out_len` is NULL or writable.
 */
enum agentdb_status agentdb_results_id(const struct agentdb_results *results,
                                       size_t query,
                                       size_t row,
                                       const char **out_id,
                                       size_t *out_len);

/**
 * Writes the distance of hit `row` of query `query` to `*out_distance` (smaller is closer; see
 * `agentdb_metric`).
 *
 * # Safety
 * `out_distance` is NULL or writable.
 */
enum agentdb_status agentdb_results_distance(const struct agentdb_results *results,
                                             size_t query,
                                             size_t row,
                                             float *out_distance);

/**
 * Writes the document of hit `row` of query `query` to `*out_document`, or NULL if the record has
 * none (then `*out_len`, if given, is 0). Valid until `agentdb_results_free`.
 *
 * # Safety
 * `out_document` is NULL or writable; `out_len` is NULL or writable.
 */
enum agentdb_status agentdb_results_document(const struct agentdb_results *results,
                                             size_t query,
                                             size_t row,
                                             const char **out_document,
                                             size_t *out_len);

/**
 * Writes the metadata of hit `row` of query `query` as a JSON object (`{}` when it has none;
 * datetimes as `{"$datetime": "<RFC 3339>"}`) to `*out_json`. Valid until `agentdb_results_free`.
 *
 * # Safety
 * `out_json` is NULL or writable; `out_len` is NULL or writable.
 */
enum agentdb_status agentdb_results_metadata(const struct agentdb_results *results,
                                             size_t query,
                                             size_t row,
                                             const char **out_json,
                                             size_t *out_len);

/**
 * Frees search results and every string obtained from them. `agentdb_results_free(NULL)` does
 * nothing and returns `AGENTDB_OK`; freeing twice returns `AGENTDB_INVALID_HANDLE`.
 */
enum agentdb_status agentdb_results_free(struct agentdb_results *results);

/**
 * Writes the number of records to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_records_count(const struct agentdb_records *records, size_t *out_count);

/**
 * Writes the id of record `row` (NUL-terminated) to `*out_id` and, if `out_len` is not NULL, its
 * length in bytes. Valid until `agentdb_records_free`.
 *
 * # Safety
 * `out_id` is NULL or writable; `out_len` is NULL or writable.
 */
enum agentdb_status agentdb_records_id(const struct agentdb_records *records,
                                       size_t row,
                                       const char **out_id,
                                       size_t *out_len);

/**
 * Writes a pointer to the vector of record `row` (`*out_dim` floats, the collection's dimension)
 * to `*out_vector`; `out_dim` may be NULL. Valid until `agentdb_records_free`.
 *
 * # Safety
 * `out_vector` is NULL or writable; `out_dim` is NULL or writable.
 */
enum agentdb_status agentdb_records_vector(const struct agentdb_records *records,
                                           size_t row,
                                           const float **out_vector,
                                           size_t *out_dim);

/**
 * Writes the document of record `row` to `*out_document`, or NULL if it has none. Valid until
 * `agentdb_records_free`.
 *
 * # Safety
 * `out_document` is NULL or writable; `out_len` is NULL or writable.
 */
enum agentdb_status agentdb_records_document(const struct agentdb_records *records,
                                             size_t row,
                                             const char **out_document,
                                             size_t *out_len);

/**
 * Writes the metadata of record `row` as a JSON object to `*out_json` (see
 * `agentdb_results_metadata`). Valid until `agentdb_records_free`.
 *
 * # Safety
 * `out_json` is NULL or writable; `out_len` is NULL or writable.
 */
enum agentdb_status agentdb_records_metadata(const struct agentdb_records *records,
                                             size_t row,
                                             const char **out_json,
                                             size_t *out_len);

/**
 * Writes when record `row` was created and last updated, in microseconds since the Unix epoch
 * (UTC). Either out-pointer may be NULL.
 *
 * # Safety
 * `out_created_at` and `out_updated_at` are each NULL or writable.
 */
enum agentdb_status agentdb_records_timestamps(const struct agentdb_records *records,
                                               size_t row,
                                               int64_t *out_created_at,
                                               int64_t *out_updated_at);

/**
 * Frees records and every string and vector obtained from them. `agentdb_records_free(NULL)` does
 * nothing and returns `AGENTDB_OK`; freeing twice returns `AGENTDB_INVALID_HANDLE`.
 */
enum agentdb_status agentdb_records_free(struct agentdb_records *records);

/**
 * Writes the number of strings in the list to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_strings_count(const struct agentdb_strings *strings, size_t *out_count);

/**
 * Writes string `i` of the list (NUL-terminated) to `*out_str` and, if `out_len` is not NULL,
 * its length in bytes. Valid until `agentdb_strings_free`.
 *
 * # Safety
 * `out_str` is NULL or writable; `out_len` is NULL or writable.
 */
enum agentdb_status agentdb_strings_get(const struct agentdb_strings *strings,
                                        size_t i,
                                        const char **out_str,
                                        size_t *out_len);

/**
 * Frees a string list and every string obtained from it. `agentdb_strings_free(NULL)` does
 * nothing and returns `AGENTDB_OK`; freeing twice returns `AGENTDB_INVALID_HANDLE`.
 */
enum agentdb_status agentdb_strings_free(struct agentdb_strings *strings);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* AGENTDB_H */
