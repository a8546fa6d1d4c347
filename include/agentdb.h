/*
 * agentdb.h: the C API of AgentDB, an embeddable vector database.
 *
 * Names (while the version is 0.x this pattern is the rule; old names were renamed outright, with
 * no aliases: a program written against 0.1's names fails to compile instead of silently calling
 * something else; see "Renamed in 0.x" below)
 *
 *  - agentdb_<object>_<verb>: the object is the handle a call acts on, and its prefix is the handle
 *    type's name: agentdb_db_*, agentdb_collection_*, agentdb_memory_*, agentdb_rag_*, and for the
 *    result lists agentdb_results_*, agentdb_records_*, agentdb_strings_*, agentdb_memories_*,
 *    agentdb_state_versions_*, agentdb_state_entries_*, agentdb_checkpoints_*,
 *    agentdb_pending_writes_*, agentdb_rag_hits_*, agentdb_context_*, and agentdb_report_* for the
 *    text reports of stats, health and metrics (JSON or Prometheus text). Agent state and checkpoints
 *    have no handle of their own: agentdb_state_* and agentdb_checkpoint_* take the agentdb_db.
 *    Library-wide calls: agentdb_version, agentdb_errmsg, agentdb_status_name,
 *    agentdb_log_set_callback, agentdb_restore (a backup into a new directory; agentdb_db_backup /
 *    agentdb_db_verify take the agentdb_db, and verify's result list is agentdb_problems_*).
 *  - Stores (collections, memory stores, RAG stores) are opened the same way, with their own
 *    prefix, from the db handle: agentdb_<store>_open(db, name, &out) opens an existing store
 *    (AGENTDB_COLLECTION_NOT_FOUND if there is none; its dimension and metric are stored),
 *    agentdb_<store>_open_or_create(db, name, dim, metric, &out) creates it when absent, and
 *    agentdb_collection_create fails if it exists. agentdb_<store>_close frees a store handle;
 *    agentdb_db_open / agentdb_db_close open and close the database itself.
 *  - Result lists are read one way: agentdb_<list>_count(list, &n), then
 *    agentdb_<list>_get(list, i, &item) filling a struct, or agentdb_<list>_get_<field>(list, i, ...)
 *    for one field, and freed by agentdb_<list>_free(list).
 *  - Options: a call with an optional options struct has it as a `const agentdb_<x>_options *`
 *    argument (NULL: the defaults); where a short form exists too, the form taking options is the
 *    same name with the suffix `_with` (agentdb_db_open_with, agentdb_collection_search_with,
 *    agentdb_collection_search_batch_with, agentdb_collection_create_index_with). Every options
 *    struct starts with `struct_size` and is made by `agentdb_<x>_options_default()` (the RAG
 *    options by agentdb_rag_search_options_default() / agentdb_rag_context_options_default(), the
 *    memory filter by agentdb_memory_filter_default()), which fills it with the engine's defaults
 *    (read them from the struct: they are decided once, in the engine, not copied here). A field
 *    the engine decides per call (from k, the data, the cores) is 0 there, "the engine decides";
 *    agentdb_index_options_default() leaves every parameter 0 (one struct serves every index
 *    kind, and a parameter of another kind is refused, so no kind's numbers can be filled in).
 *
 * Handles
 *
 *  - Handles are opaque. Each object the library gives you has exactly one free call:
 *        agentdb_db             -> agentdb_db_close
 *        agentdb_collection     -> agentdb_collection_close
 *        agentdb_memory         -> agentdb_memory_close
 *        agentdb_rag            -> agentdb_rag_close
 *        agentdb_results        -> agentdb_results_free
 *        agentdb_records        -> agentdb_records_free
 *        agentdb_strings        -> agentdb_strings_free
 *        agentdb_memories       -> agentdb_memories_free
 *        agentdb_state_versions -> agentdb_state_versions_free
 *        agentdb_state_entries  -> agentdb_state_entries_free
 *        agentdb_checkpoints    -> agentdb_checkpoints_free
 *        agentdb_pending_writes -> agentdb_pending_writes_free
 *        agentdb_rag_hits       -> agentdb_rag_hits_free
 *        agentdb_context        -> agentdb_context_free
 *        agentdb_report         -> agentdb_report_free
 *    Free calls accept NULL (and do nothing). A handle that was already freed or closed, or that is
 *    not a handle of the expected type, is detected and reported as AGENTDB_INVALID_HANDLE: the
 *    library never reads freed memory (handles are keys into a registry, not pointers).
 *
 * Conventions
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
 *  - Counts and sizes are checked before anything is read or allocated: a batch holds at most
 *    AGENTDB_MAX_BATCH items, and with n > 0 its required arrays must not be NULL; k is 1 to
 *    AGENTDB_MAX_K; a vector's dim is at most AGENTDB_MAX_DIM (else AGENTDB_DIMENSION_MISMATCH) and
 *    n * dim must not overflow; ids written are at most AGENTDB_MAX_ID_LEN bytes; JSON texts at
 *    most AGENTDB_MAX_JSON_LEN bytes, and a metadata array has exactly one entry per item. Each
 *    is AGENTDB_INVALID_ARGUMENT (or the status named) with a message, and nothing is written.
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
 * Renamed in 0.x (old -> new)
 *
 *    agentdb_open / _open_with / _flush / _close        -> agentdb_db_open / _open_with / _flush / _close
 *    agentdb_create_collection / agentdb_get_collection  -> agentdb_collection_create / _open
 *    agentdb_get_or_create_collection                    -> agentdb_collection_open_or_create
 *    agentdb_drop_collection / agentdb_list_collections  -> agentdb_collection_drop / _list
 *    agentdb_add / _upsert / _get / _delete / _count     -> agentdb_collection_add / ... / _count
 *    agentdb_search / _search_batch                      -> agentdb_collection_search / _search_batch
 *    agentdb_search_opts / _search_batch_opts            -> agentdb_collection_search_with / _search_batch_with
 *    agentdb_create_index / _create_index_with           -> agentdb_collection_create_index / _create_index_with
 *    agentdb_drop_index / _index_params / _index_describe -> agentdb_collection_drop_index / ...
 *    agentdb_results_id / _distance / _document / _metadata -> agentdb_results_get_id / ...
 *    agentdb_records_id / _vector / _document / _metadata / _timestamps -> agentdb_records_get_id / ...
 *    agentdb_state_versions_at, agentdb_state_entries_at, agentdb_checkpoints_at,
 *      agentdb_pending_writes_at                         -> ..._get
 *    agentdb_memory_open(db, name, dim, metric, out)     -> agentdb_memory_open_or_create (same
 *                                                           arguments); dim 0 ("must exist") ->
 *                                                           agentdb_memory_open(db, name, out)
 *    agentdb_rag_open / agentdb_rag_open_existing        -> agentdb_rag_open_or_create / agentdb_rag_open
 *    agentdb_rag_hit_get                                 -> agentdb_rag_hits_get
 *    agentdb_rag_context_text / _citation_count / _citation / _free
 *                                                        -> agentdb_context_get_text / _count / _get / _free
 *    agentdb_rag_options_default                         -> agentdb_rag_search_options_default (and
 *                                                           agentdb_rag_context_options_default)
 *    agentdb_rag_ingest(..., chunk_size, chunk_overlap, chunk_chars, force, ...)
 *                                                        -> agentdb_rag_ingest(..., &agentdb_ingest_options, ...)
 *
 * Example
 *
 *    agentdb_db *db; agentdb_collection *c; agentdb_results *r;
 *    if (agentdb_db_open("/tmp/db", &db) != AGENTDB_OK) { puts(agentdb_errmsg()); return 1; }
 *    agentdb_collection_open_or_create(db, "docs", 3, AGENTDB_METRIC_COSINE, &c);
 *    const char *ids[] = {"a", "b"};
 *    float vecs[] = {1, 0, 0,  0, 1, 0};
 *    agentdb_collection_add(c, ids, 2, vecs, 3, NULL, "[{\"lang\": \"en\"}, null]");
 *    float q[] = {1, 0.1f, 0};
 *    agentdb_collection_search(c, q, 3, 5, "lang = 'en'", NULL, &r);
 *    ... agentdb_results_count(r, 0, &n); agentdb_results_get_id(r, 0, i, &id, NULL); ...
 *    agentdb_results_free(r); agentdb_collection_close(c); agentdb_db_close(db);
 */


#ifndef AGENTDB_H
#define AGENTDB_H

/* Generated from rust/capi by cbindgen (`make header`). Do not edit by hand. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * The most items one call takes: the records of `agentdb_collection_add` / `agentdb_collection_upsert`, the ids of
 * `agentdb_collection_get` / `agentdb_collection_delete` / `agentdb_memory_get` / `agentdb_memory_forget` /
 * `agentdb_rag_delete`, the memories of `agentdb_memory_remember`, the queries of
 * `agentdb_collection_search_batch`, the keys of `agentdb_state_put_many`, the pending writes of
 * `agentdb_checkpoint_put_writes` and the documents of `agentdb_rag_ingest`. A count above it is
 * `AGENTDB_INVALID_ARGUMENT`, checked before any array is read or anything allocated: split
 * larger batches into several calls.
 */
#define AGENTDB_MAX_BATCH 16777216

/**
 * The largest `k` of a search, recall or RAG retrieval (and the largest `ef`, `refine_factor`
 * and recall `candidates`). `k` is 1 to `AGENTDB_MAX_K`; outside: `AGENTDB_INVALID_ARGUMENT`.
 */
#define AGENTDB_MAX_K 100000

/**
 * The largest vector dimension of a collection, memory store or RAG store. A vector argument
 * with a larger `dim` is `AGENTDB_DIMENSION_MISMATCH` (no store has it), checked before it is
 * read.
 */
#define AGENTDB_MAX_DIM 65536

/**
 * The longest id a write may give (records, memories), in bytes (ids are 1 to
 * `AGENTDB_MAX_ID_LEN` bytes). A longer one is `AGENTDB_INVALID_ARGUMENT`, checked before it is
 * copied.
 */
#define AGENTDB_MAX_ID_LEN 1024

/**
 * The largest JSON text argument, in bytes (without the NUL): `metadata_json`, `filter_json`,
 * `value_json` / `values_json[i]` of the state calls, checkpoint and RAG document metadata.
 * A longer text is `AGENTDB_INVALID_ARGUMENT`, checked before it is parsed.
 */
#define AGENTDB_MAX_JSON_LEN 268435456

/**
 * Log levels (an `int32_t`): a record is passed to the callback when its level is at most the
 * `max_level` given to `agentdb_log_set_callback`.
 */
#define AGENTDB_LOG_OFF 0

#define AGENTDB_LOG_ERROR 1

#define AGENTDB_LOG_WARN 2

#define AGENTDB_LOG_INFO 3

#define AGENTDB_LOG_DEBUG 4

#define AGENTDB_LOG_TRACE 5

/**
 * Which kind of store (an `int32_t`): `AGENTDB_STORE_ANY` lets the engine find the one store of
 * that name.
 */
#define AGENTDB_STORE_ANY 0

#define AGENTDB_STORE_COLLECTION 1

#define AGENTDB_STORE_MEMORY 2

#define AGENTDB_STORE_RAG 3

/**
 * The database's agent state (exported under the name "state"; JSONL, or Parquet for a `.parquet`
 * path: one row per operation).
 */
#define AGENTDB_STORE_STATE 4

/**
 * Traversals follow facts both ways (the default).
 */
#define AGENTDB_GRAPH_BOTH 0

/**
 * Only from subject to object.
 */
#define AGENTDB_GRAPH_OUT 1

/**
 * Only from object to subject.
 */
#define AGENTDB_GRAPH_IN 2

/**
 * Keeps a fact's `valid_to` in `agentdb_graph_correct`.
 */
#define AGENTDB_GRAPH_KEEP 0

/**
 * Sets it to `valid_to_us`.
 */
#define AGENTDB_GRAPH_SET 1

/**
 * Clears it (the fact is valid from `valid_from` on).
 */
#define AGENTDB_GRAPH_REOPEN 2

/**
 * What a call returns: `AGENTDB_OK` (0) on success, otherwise the kind of failure.
 * `agentdb_errmsg()` then gives a message for people.
 *
 * Codes 1 to 12 are the engine's error kinds, 13 to 16 failures of the C boundary itself, and
 * 17 and up engine error kinds added later.
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
     * An id repeats within a batch, or `agentdb_collection_add` names an id the collection already holds.
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
     * The database was closed (`agentdb_db_close`) or the collection was dropped.
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
    /**
     * Another writer (another process, or another open handle) has the database open for
     * writing. Open it read-only (`agentdb_db_open_with`, `read_only = 1`) or close the other writer.
     */
    AGENTDB_DATABASE_LOCKED = 17,
    /**
     * A write on a database opened read-only.
     */
    AGENTDB_READ_ONLY = 18,
    /**
     * The call was cancelled through the `agentdb_cancel_token` attached to its thread and
     * stopped at a safe point, undoing what it had started (no half backup, import or index).
     */
    AGENTDB_CANCELLED = 19,
} agentdb_status;

/**
 * A token that cancels long calls on the threads it is attached to (from
 * `agentdb_cancel_token_new`, freed by `agentdb_cancel_token_free`).
 */
typedef struct agentdb_cancel_token agentdb_cancel_token;

/**
 * Checkpoints (from `agentdb_checkpoint_get` / `agentdb_checkpoint_list`), freed by
 * `agentdb_checkpoints_free`.
 */
typedef struct agentdb_checkpoints agentdb_checkpoints;

/**
 * A handle to one collection (from `agentdb_collection_create`, `agentdb_collection_open` or
 * `agentdb_collection_open_or_create`, freed by `agentdb_collection_close`).
 */
typedef struct agentdb_collection agentdb_collection;

/**
 * A packed context from `agentdb_rag_context`, freed by `agentdb_context_free`.
 */
typedef struct agentdb_context agentdb_context;

/**
 * An open database (from `agentdb_db_open`, freed by `agentdb_db_close`).
 */
typedef struct agentdb_db agentdb_db;

/**
 * A knowledge graph (from `agentdb_graph_open`, freed by `agentdb_graph_close`).
 */
typedef struct agentdb_graph agentdb_graph;

/**
 * Entities of a knowledge graph (from `agentdb_graph_get_entity`, `agentdb_graph_find_entities`,
 * `agentdb_graph_search_entities`), freed by `agentdb_graph_entities_free`.
 */
typedef struct agentdb_graph_entities agentdb_graph_entities;

/**
 * Facts of a knowledge graph (from `agentdb_graph_get_facts` and the other fact reads), freed by
 * `agentdb_graph_facts_free`.
 */
typedef struct agentdb_graph_facts agentdb_graph_facts;

/**
 * Neighbours of an entity (from `agentdb_graph_get_neighbors`), freed by `agentdb_graph_neighbors_free`.
 */
typedef struct agentdb_graph_neighbors agentdb_graph_neighbors;

/**
 * Memories from `agentdb_memory_recall` or `agentdb_memory_get`, freed by `agentdb_memories_free`.
 */
typedef struct agentdb_memories agentdb_memories;

/**
 * A memory store (from `agentdb_memory_open_or_create`, freed by `agentdb_memory_close`).
 */
typedef struct agentdb_memory agentdb_memory;

/**
 * Pending writes of a checkpoint (from `agentdb_checkpoint_get_writes`), freed by
 * `agentdb_pending_writes_free`.
 */
typedef struct agentdb_pending_writes agentdb_pending_writes;

/**
 * Problems found by `agentdb_db_verify`, freed by `agentdb_problems_free`.
 */
typedef struct agentdb_problems agentdb_problems;

/**
 * A RAG store (from `agentdb_rag_open_or_create`, freed by `agentdb_rag_close`).
 */
typedef struct agentdb_rag agentdb_rag;

/**
 * The hits of `agentdb_rag_search`, freed by `agentdb_rag_hits_free`.
 */
typedef struct agentdb_rag_hits agentdb_rag_hits;

/**
 * Records read by `agentdb_collection_get`, freed by `agentdb_records_free`.
 */
typedef struct agentdb_records agentdb_records;

/**
 * A text report (stats or health JSON, Prometheus metrics), freed by `agentdb_report_free`.
 */
typedef struct agentdb_report agentdb_report;

/**
 * The results of `agentdb_collection_search` (one query) or `agentdb_collection_search_batch` (several), freed by
 * `agentdb_results_free`.
 */
typedef struct agentdb_results agentdb_results;

/**
 * The hits of `agentdb_collection_text_search` and `agentdb_collection_hybrid_search`, freed by
 * `agentdb_scored_hits_free`.
 */
typedef struct agentdb_scored_hits agentdb_scored_hits;

/**
 * The keys and values of a session (from `agentdb_state_snapshot`), freed by
 * `agentdb_state_entries_free`.
 */
typedef struct agentdb_state_entries agentdb_state_entries;

/**
 * Versions of an agent-state key (from `agentdb_state_get*` / `agentdb_state_history`), freed by
 * `agentdb_state_versions_free`.
 */
typedef struct agentdb_state_versions agentdb_state_versions;

/**
 * A list of strings (from `agentdb_collection_list`), freed by `agentdb_strings_free`.
 */
typedef struct agentdb_strings agentdb_strings;

/**
 * When a write counts as durable (an `int32_t`, one of the `AGENTDB_SYNC_*` values; see
 * `agentdb_open_options`).
 */
typedef int32_t agentdb_sync;

/**
 * How `agentdb_db_open_with` opens a database. Start from `agentdb_open_options_default()`:
 *
 * ```c
 * agentdb_open_options o = agentdb_open_options_default();
 * o.read_only = true;
 * agentdb_db_open_with("/tmp/db", &o, &db);
 * ```
 *
 * Versioned like `agentdb_search_options`: fields are only added at the end, each one's zero
 * value is the default, and `struct_size` says which fields the caller knows.
 */
typedef struct agentdb_open_options {
    /**
     * `sizeof(agentdb_open_options)`, set by `agentdb_open_options_default()`.
     */
    uint32_t struct_size;
    /**
     * One of `AGENTDB_SYNC_ALWAYS`, `AGENTDB_SYNC_BATCH`, `AGENTDB_SYNC_OFF`.
     */
    agentdb_sync sync;
    /**
     * `true`: open for reading only. No lock is taken (readers may open next to the one
     * writer), the directory must exist, the write-ahead log is not replayed (the reader sees
     * what the writer has committed to Lance, within about a second of each write, at once after
     * `agentdb_db_flush`), and every write fails with `AGENTDB_READ_ONLY`.
     */
    bool read_only;
} agentdb_open_options;

/**
 * Where and how `agentdb_db_open_uri` reaches a database on an object store. Start from
 * `agentdb_object_store_options_default()`:
 *
 * ```c
 * const char *keys[] = {"endpoint", "region", "allow_http"};
 * const char *values[] = {"http://127.0.0.1:9000", "us-east-1", "true"};
 * agentdb_object_store_options s = agentdb_object_store_options_default();
 * s.keys = keys; s.values = values; s.count = 3;
 * agentdb_db_open_uri("s3://bucket/prefix", NULL, &s, &db);
 * ```
 *
 * Versioned like `agentdb_open_options`: each field's zero value is the default.
 */
typedef struct agentdb_object_store_options {
    /**
     * `sizeof(agentdb_object_store_options)`, set by `agentdb_object_store_options_default()`.
     */
    uint32_t struct_size;
    /**
     * `count` storage option names and their values (NUL-terminated UTF-8), as Lance names
     * them: `endpoint`, `region`, `access_key_id`, `secret_access_key`, `session_token`,
     * `allow_http`, `timeout`, `client_max_retries`, ... What they leave out comes from the
     * `AWS_*` environment. NULL arrays with `count` 0: none.
     */
    const char *const *keys;
    /**
     * The values, one per key.
     */
    const char *const *values;
    size_t count;
    /**
     * The local directory of the writer's log and index caches; NULL: derived from the URI
     * under the cache root (`$AGENTDB_CACHE_DIR`, else `$XDG_CACHE_HOME/agentdb`, else
     * `~/.cache/agentdb`).
     */
    const char *wal_dir;
    /**
     * How long the writer's lease lasts without renewal, in milliseconds; 0: 30000 (at least 3000).
     */
    uint32_t lease_ttl_ms;
    /**
     * A read-only opener's most lag behind the writer's commits, in milliseconds; 0: 1000.
     */
    uint32_t read_consistency_interval_ms;
    /**
     * `true`: a read-only opener looks for new commits at every read (no lag, a store round trip
     * per read); overrides `read_consistency_interval_ms`.
     */
    bool read_latest;
} agentdb_object_store_options;

/**
 * How a collection compares vectors (an `int32_t`, one of the `AGENTDB_METRIC_*` values).
 * Distances are "smaller is closer": cosine → `1 - cos(a, b)`, l2 → squared Euclidean distance,
 * dot → `1 - a·b`.
 */
typedef int32_t agentdb_metric;

/**
 * Options for `agentdb_collection_search_with` and `agentdb_collection_search_batch_with`.
 *
 * Start from `agentdb_search_options_default()` and set the fields you need, so that
 * `struct_size` is right and every other field keeps its default:
 *
 * ```c
 * agentdb_search_options o = agentdb_search_options_default();
 * o.ef = 128;
 * agentdb_collection_search_with(c, q, 3, 5, NULL, NULL, &o, &r);
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
     * (most of the cost of a small search), so `agentdb_results_get_document` gives NULL and
     * `agentdb_results_get_metadata` gives `{}` for every hit. `false` (the default): return them.
     */
    bool ids_only;
    /**
     * With an IVF_PQ index (`agentdb_collection_create_index_with`, kind "ivf_pq"): how many partitions to
     * search; more finds more of the true neighbours and runs slower. 0: Lance's adaptive
     * default. Ignored by other indexes.
     */
    size_t nprobes;
    /**
     * With an IVF_PQ index: re-rank `refine_factor × k` candidates with their exact vectors
     * (1 to 100000). 0: the default, rank by the compressed codes only. Ignored by other indexes.
     */
    uint32_t refine_factor;
    /**
     * `true`: hits carry no document (`agentdb_results_get_document` gives NULL); the documents are
     * not read. `false` (the default): they do. Documents and metadata come from an in-memory
     * cache kept in step with every write, so returning them costs little.
     */
    bool omit_documents;
    /**
     * `true`: hits carry no metadata (`agentdb_results_get_metadata` gives `{}`). `false` (the
     * default): they do. `ids_only` omits both.
     */
    bool omit_metadata;
} agentdb_search_options;

/**
 * Options of `agentdb_collection_create_index_with`, and what `agentdb_collection_index_describe` reports.
 *
 * Start from `agentdb_index_options_default()` (an HNSW index with the default parameters) and
 * set the fields you need:
 *
 * ```c
 * agentdb_index_options o = agentdb_index_options_default();
 * o.kind = "ivf_pq";
 * o.partitions = 64;
 * agentdb_collection_create_index_with(c, &o);
 * ```
 *
 * Numbers are 0 and strings NULL for "the default"; a parameter of another kind than `kind`
 * (say `m` for "ivf_pq") is `AGENTDB_INVALID_ARGUMENT`. Versioned like `agentdb_search_options`:
 * fields are only added at the end, and `struct_size` says which ones the caller knows.
 */
typedef struct agentdb_index_options {
    /**
     * `sizeof(agentdb_index_options)`, set by `agentdb_index_options_default()`.
     */
    uint32_t struct_size;
    /**
     * "hnsw" (NULL: the default): AgentDB's graph, in memory, the fastest. "ivf_pq": Lance's
     * IVF_PQ index, searched on disk, for collections larger than memory (at least 256 records;
     * searches take `nprobes` and `refine_factor` in `agentdb_search_options`).
     */
    const char *kind;
    /**
     * HNSW: links per node, 2 to 128 (0: the engine's default, `HnswParams::default()`).
     */
    size_t m;
    /**
     * HNSW: candidate list size while building, 1 to 10000 (0: the engine's default).
     */
    size_t ef_construction;
    /**
     * HNSW: "none" (NULL: the default) or "int8": the graph is built and walked on int8 codes
     * and the candidates re-ranked with the float vectors; or "rabitq": built on the float
     * vectors, walked on 1-bit RaBitQ codes, candidates re-ranked with the float vectors; or
     * "rabitq2", "rabitq4", "rabitq8": the same with 2-, 4- or 8-bit (Extended RaBitQ) codes.
     */
    const char *quantization;
    /**
     * IVF_PQ: partitions (0: about the square root of the number of records).
     */
    size_t partitions;
    /**
     * IVF_PQ: PQ sub-vectors, dividing the dimension (0: Lance's default).
     */
    size_t sub_vectors;
} agentdb_index_options;

/**
 * Which memories a call applies to. Start from `agentdb_memory_filter_default()` (every memory)
 * and set what you need; every condition set must hold.
 */
typedef struct agentdb_memory_filter {
    /**
     * `sizeof(agentdb_memory_filter)`, set by `agentdb_memory_filter_default()`.
     */
    uint32_t struct_size;
    /**
     * Bit `1 << kind` for each `AGENTDB_MEMORY_*` kind wanted; 0: every kind.
     */
    uint32_t kinds;
    /**
     * Only this agent's memories (NULL: any agent).
     */
    const char *agent_id;
    /**
     * Only this session's memories (NULL: any).
     */
    const char *session_id;
    /**
     * Created at or after `since_us` (µs since the Unix epoch, UTC) when `has_since`.
     */
    bool has_since;
    int64_t since_us;
    /**
     * Created before `until_us` when `has_until`.
     */
    bool has_until;
    int64_t until_us;
    /**
     * A filter on metadata and fields as SQL text, or as JSON dict text (at most one of the
     * two; NULL: none), as for `agentdb_collection_search`.
     */
    const char *filter_sql;
    const char *filter_json;
} agentdb_memory_filter;

/**
 * How recall combines similarity with recency and importance (`agentdb_recall_options.mode`).
 */
typedef int32_t agentdb_recall_mode;

/**
 * Which rankings recall uses (`agentdb_recall_options.search_mode`).
 */
typedef int32_t agentdb_search_mode;

/**
 * How a hybrid ranking fuses its vector and text rankings (`agentdb_recall_options.fusion`,
 * `agentdb_hybrid_options.method`).
 */
typedef int32_t agentdb_fusion;

/**
 * How `agentdb_memory_recall` scores. Start from `agentdb_recall_options_default()`, which
 * fills every field with the engine's default (read them there: this header writes no default
 * number down).
 *
 * recency = 0.5^(age / half_life_s) with age = now − last_accessed; similarity = max(0, cos)
 * (cosine stores), clamp(q·v, 0, 1) (dot), 1 / (1 + squared distance) (l2); strength =
 * w_recency · recency + w_importance · importance.
 * - `AGENTDB_RECALL_RELEVANCE` (default): score = sim_n · (1 − adjust · (1 − s)), with sim_n =
 *   (similarity − lo) / (hi − lo) over the candidates (the `candidates` most similar memories
 *   passing the filter; 1 when lo = hi) and s = strength / (w_recency + w_importance) (1 when
 *   both are 0). w_similarity 0 leaves similarity out, any value above 0 counts it.
 * - `AGENTDB_RECALL_LINEAR` (the old score): score = w_similarity · similarity + strength.
 *
 * Without a query the similarity term is absent (memories rank by strength).
 */
typedef struct agentdb_recall_options {
    /**
     * `sizeof(agentdb_recall_options)`, set by `agentdb_recall_options_default()`.
     */
    uint32_t struct_size;
    /**
     * Update the access statistics of the memories returned.
     */
    bool touch;
    /**
     * Score every memory passing the filter, however many (false: above max(4096, 4Mi / dim) of
     * them, only the `candidates` most similar are scored).
     */
    bool exact;
    /**
     * Weights, each ≥ 0.
     */
    double w_similarity;
    double w_recency;
    double w_importance;
    /**
     * Seconds after which recency halves, > 0.
     */
    double half_life_s;
    /**
     * Measure recency at `now_us` (µs since the epoch) instead of the clock when `has_now`.
     */
    bool has_now;
    int64_t now_us;
    /**
     * Nearest memories re-scored above max(4096, 4Mi / dim) matching ones, and in relevance
     * mode the candidates (0: the default, max(10·k, 100)).
     */
    size_t candidates;
    /**
     * `AGENTDB_RECALL_RELEVANCE` (default) or `AGENTDB_RECALL_LINEAR`.
     */
    agentdb_recall_mode mode;
    /**
     * Relevance mode: the most recency and importance together take off a score, in [0, 1]
     * (0: similarity alone).
     */
    double adjust;
    /**
     * The query text of text and hybrid recall (NULL: none): BM25 over the memory texts.
     */
    const char *query_text;
    /**
     * `AGENTDB_SEARCH_AUTO` (default), `AGENTDB_SEARCH_VECTOR`, `_TEXT` or `_HYBRID`.
     */
    agentdb_search_mode search_mode;
    /**
     * `AGENTDB_FUSION_LINEAR` (default) or `AGENTDB_FUSION_RRF`: how hybrid recall fuses.
     */
    agentdb_fusion fusion;
    /**
     * The text ranking's weight (≥ 0; w_similarity is the vector ranking's).
     */
    double w_text;
    /**
     * RRF's rank constant (> 0).
     */
    double rrf_k;
} agentdb_recall_options;

/**
 * What `agentdb_memory_consolidate` does; each step runs only when enabled. Start from
 * `agentdb_consolidate_options_default()` (nothing enabled, default weights).
 */
typedef struct agentdb_consolidate_options {
    /**
     * `sizeof(agentdb_consolidate_options)`, set by `agentdb_consolidate_options_default()`.
     */
    uint32_t struct_size;
    /**
     * De-duplication: memories of one agent with similarity ≥ `dedup_threshold` (0 to 1) are
     * merged into the strongest.
     */
    bool dedup;
    double dedup_threshold;
    /**
     * Decay: memories whose strength (w_recency · recency + w_importance · importance) is below
     * `min_score` are deleted.
     */
    bool decay;
    double min_score;
    /**
     * Capacity: each agent keeps at most `capacity` memories, the weakest go first.
     */
    bool has_capacity;
    size_t capacity;
    /**
     * Only this agent (NULL: every agent, each on its own).
     */
    const char *agent_id;
    /**
     * Strength weights, as in `agentdb_recall_options` (`w_similarity` is not used).
     */
    double w_recency;
    double w_importance;
    double half_life_s;
    bool has_now;
    int64_t now_us;
} agentdb_consolidate_options;

/**
 * What a memory is about (an `int32_t`, one of the `AGENTDB_MEMORY_*` values).
 */
typedef int32_t agentdb_memory_kind;

/**
 * How many memories each consolidation step removed.
 */
typedef struct agentdb_consolidation_report {
    uint64_t merged;
    uint64_t pruned;
    uint64_t evicted;
} agentdb_consolidation_report;

/**
 * One memory as `agentdb_memories_get` fills it. Strings point into the memories object and stay
 * valid until `agentdb_memories_free`.
 */
typedef struct agentdb_memory_info {
    const char *id;
    /**
     * NULL when the memory has no text.
     */
    const char *text;
    const char *agent_id;
    /**
     * NULL when the memory has no session.
     */
    const char *session_id;
    agentdb_memory_kind kind;
    double importance;
    /**
     * µs since the Unix epoch, UTC.
     */
    int64_t created_at_us;
    int64_t last_accessed_us;
    uint64_t access_count;
    /**
     * User metadata as a JSON object (`{}` when none).
     */
    const char *metadata_json;
    /**
     * Recall: the score, the similarity (NaN without a query) and the recency it used. NaN for
     * memories from `agentdb_memory_get`.
     */
    double score;
    double similarity;
    double recency;
    /**
     * `agentdb_memory_get`: the vector (`dim` floats). Recall: NULL and 0.
     */
    const float *vector;
    size_t dim;
    /**
     * Text and hybrid recall: the BM25 score of the query text (0: no query word); NaN
     * otherwise.
     */
    double text_score;
} agentdb_memory_info;

/**
 * One version of a key, as `agentdb_state_versions_get` hands it out. The strings point into the
 * `agentdb_state_versions` object and live until its free.
 */
typedef struct agentdb_state_version {
    /**
     * 1, 2, …
     */
    uint64_t version;
    /**
     * The value as JSON text (NUL-terminated), or NULL for a tombstone.
     */
    const char *value_json;
    /**
     * Length of `value_json` in bytes (0 for a tombstone).
     */
    size_t value_len;
    /**
     * When it was written: microseconds since the Unix epoch (UTC).
     */
    int64_t written_at_us;
    /**
     * When it expires (microseconds since the epoch), if `has_expiry`.
     */
    int64_t expires_at_us;
    /**
     * Whether this version expires (was written with a TTL).
     */
    bool has_expiry;
    /**
     * Whether this version is a tombstone (a delete).
     */
    bool deleted;
} agentdb_state_version;

/**
 * A pending write to store (input of `agentdb_checkpoint_put_writes`).
 */
typedef struct agentdb_write {
    /**
     * Position in the task's writes; negative for LangGraph's special channels.
     */
    int64_t idx;
    const char *channel;
    /**
     * The serializer's type tag of `value` (NULL: "").
     */
    const char *type_tag;
    const uint8_t *value;
    size_t value_len;
} agentdb_write;

/**
 * One checkpoint, as `agentdb_checkpoints_get` hands it out. Strings and bytes point into the
 * `agentdb_checkpoints` object and live until its free.
 */
typedef struct agentdb_checkpoint {
    const char *thread_id;
    const char *namespace_;
    const char *checkpoint_id;
    /**
     * NULL when the checkpoint has no parent.
     */
    const char *parent_id;
    /**
     * The serializer's type tag of the payload.
     */
    const char *type_tag;
    /**
     * The payload (NULL when it is empty).
     */
    const uint8_t *data;
    size_t data_len;
    /**
     * The metadata as a JSON object.
     */
    const char *metadata_json;
    /**
     * Microseconds since the Unix epoch (UTC).
     */
    int64_t created_at_us;
} agentdb_checkpoint;

/**
 * A stored pending write, as `agentdb_pending_writes_get` hands it out.
 */
typedef struct agentdb_pending_write {
    const char *task_id;
    int64_t idx;
    const char *channel;
    const char *type_tag;
    /**
     * NULL when the value is empty.
     */
    const uint8_t *value;
    size_t value_len;
    const char *task_path;
} agentdb_pending_write;

/**
 * How `agentdb_rag_ingest` cuts documents into chunks. Start from
 * `agentdb_ingest_options_default()`, which fills every field with the engine's default
 * (`ChunkOptions::default()`), and set what you need. Versioned by `struct_size` like every
 * options struct.
 */
typedef struct agentdb_ingest_options {
    /**
     * `sizeof(agentdb_ingest_options)`, set by `agentdb_ingest_options_default()`.
     */
    uint32_t struct_size;
    /**
     * The most a chunk holds, in units (see `chunk_chars`); 1 to the engine's maximum.
     */
    size_t chunk_size;
    /**
     * How much trailing text of a chunk the next one repeats, in units; below `chunk_size`.
     */
    size_t chunk_overlap;
    /**
     * `true`: units are characters; `false`: tokens by the engine's approximation.
     */
    bool chunk_chars;
    /**
     * `true`: re-ingest documents stored unchanged (same hash) instead of skipping them.
     */
    bool force;
} agentdb_ingest_options;

/**
 * How a document's text is structured (an `int32_t`).
 */
typedef int32_t agentdb_text_format;

/**
 * One document for `agentdb_rag_ingest`.
 */
typedef struct agentdb_rag_document {
    /**
     * Unique in the store; ingesting an id again replaces that document. Required.
     */
    const char *id;
    /**
     * The text. Required.
     */
    const char *text;
    /**
     * Where it came from (cited by contexts); NULL: the id.
     */
    const char *source;
    /**
     * `AGENTDB_TEXT_PLAIN` or `AGENTDB_TEXT_MARKDOWN`.
     */
    agentdb_text_format format;
    /**
     * NULL or a JSON object copied onto every chunk (filterable).
     */
    const char *metadata_json;
} agentdb_rag_document;

/**
 * Computes embeddings for `agentdb_rag_ingest`: writes `n * dim` floats (row-major, one row per
 * text) to `out` for the `n` NUL-terminated texts at `texts`, and returns 0; any other return
 * value aborts the ingest (nothing is written) with `AGENTDB_INVALID_ARGUMENT`. `user` is the
 * pointer given to `agentdb_rag_ingest`. It is called on the calling thread, during the call.
 */
typedef int32_t (*agentdb_embed_fn)(void *user,
                                    const char *const *texts,
                                    size_t n,
                                    size_t dim,
                                    float *out);

/**
 * What `agentdb_rag_ingest` did.
 */
typedef struct agentdb_ingest_stats {
    /**
     * New documents.
     */
    size_t added;
    /**
     * Documents that existed with other content or settings (their chunks were replaced).
     */
    size_t replaced;
    /**
     * Documents skipped because they are stored with the same hash (not embedded).
     */
    size_t unchanged;
    /**
     * Chunks written.
     */
    size_t chunks;
} agentdb_ingest_stats;

/**
 * Which retrievers a RAG search uses (an `int32_t`, one of the `AGENTDB_RAG_*` values).
 */
typedef int32_t agentdb_rag_mode;

/**
 * Options of `agentdb_rag_search` and `agentdb_rag_context`. Start from
 * `agentdb_rag_search_options_default()` or `agentdb_rag_context_options_default()` (the
 * engine's defaults differ between the two calls, in `k` and `score_order`), and set what you
 * need. Each field's zero value also means "the call's default", so a zeroed struct with
 * `struct_size` set works for both. Versioned by `struct_size` like every options struct.
 *
 * Hybrid score (reciprocal-rank fusion): `vector_weight / (rrf_k + rank_vector) + text_weight /
 * (rrf_k + rank_bm25)`, a side that did not return the chunk adding 0.
 */
typedef struct agentdb_rag_options {
    /**
     * `sizeof(agentdb_rag_options)`, set by the `*_default()` functions.
     */
    uint32_t struct_size;
    /**
     * `AGENTDB_RAG_HYBRID`, `AGENTDB_RAG_VECTOR` or `AGENTDB_RAG_TEXT`.
     */
    agentdb_rag_mode mode;
    /**
     * Chunks to return (search) or to pack from (context), at most `AGENTDB_MAX_K`.
     */
    size_t k;
    /**
     * RRF weight of the vector ranking. (Use `mode` to leave a side out.)
     */
    float vector_weight;
    /**
     * RRF weight of the BM25 ranking.
     */
    float text_weight;
    /**
     * RRF rank constant.
     */
    float rrf_k;
    /**
     * Chunks each retriever contributes before fusion; 0: the engine decides from `k`.
     */
    size_t candidates;
    /**
     * `true`: re-rank by maximal marginal relevance with `mmr_lambda`.
     */
    bool mmr;
    /**
     * MMR's λ in (0, 1]: 1 = relevance only, lower = more diverse.
     */
    float mmr_lambda;
    /**
     * Context only: `true` puts passages in score order, unmerged, instead of grouped by
     * document in reading order with overlapping chunks merged.
     */
    bool score_order;
} agentdb_rag_options;

/**
 * One retrieved chunk, as `agentdb_rag_hits_get` fills it. The strings point into the hits object
 * and are valid until `agentdb_rag_hits_free`.
 */
typedef struct agentdb_rag_hit {
    /**
     * `<doc_id>#<position>`.
     */
    const char *id;
    const char *doc_id;
    const char *source;
    /**
     * Markdown heading path joined by " > " (empty when none).
     */
    const char *heading;
    const char *text;
    /**
     * The document's own metadata as a JSON object.
     */
    const char *metadata_json;
    /**
     * The chunk's index in its document, from 0.
     */
    size_t position;
    /**
     * The chunk's span in the document, in Unicode code points.
     */
    size_t char_start;
    size_t char_end;
    /**
     * The fused RRF score, larger is better.
     */
    float score;
    /**
     * 1-based rank by vector similarity; 0 if that retriever did not return the chunk.
     */
    size_t vector_rank;
    /**
     * The vector distance (NaN when `vector_rank` is 0).
     */
    float distance;
    /**
     * 1-based rank by BM25; 0 if that retriever did not return the chunk.
     */
    size_t text_rank;
    /**
     * The BM25 score (NaN when `text_rank` is 0).
     */
    float bm25;
} agentdb_rag_hit;

/**
 * Where passage `[number]` of a context comes from. Strings valid until
 * `agentdb_context_free`.
 */
typedef struct agentdb_rag_citation {
    /**
     * The passage's number in the text (`[n]`), from 1.
     */
    size_t number;
    const char *doc_id;
    const char *source;
    const char *heading;
    /**
     * The first and last chunk positions merged into the passage.
     */
    size_t first_position;
    size_t last_position;
    /**
     * The passage's span in the document, in Unicode code points.
     */
    size_t char_start;
    size_t char_end;
} agentdb_rag_citation;

/**
 * A log callback: `level` (one of `AGENTDB_LOG_*`), `target` (the engine module, e.g.
 * `agentdb_engine::db`), `message` (NUL-terminated UTF-8, valid only during the call) and the
 * `user` pointer given to `agentdb_log_set_callback`.
 */
typedef void (*agentdb_log_fn)(int32_t level, const char *target, const char *message, void *user);

/**
 * Progress of an export or import: records `done` of `total`, and the `user` pointer given.
 * Called on the calling thread between batches.
 */
typedef void (*agentdb_progress_fn)(uint64_t done, uint64_t total, void *user);

/**
 * A backup point, as `agentdb_db_backup` and `agentdb_restore` fill it.
 */
typedef struct agentdb_backup_point {
    /**
     * 1, 2, 3… in the order taken: what `agentdb_restore`'s `at` names.
     */
    uint64_t seq;
    /**
     * When the backup began (its consistency point), microseconds since the Unix epoch.
     */
    int64_t time_micros;
    bool incremental;
    /**
     * The point's files and their bytes (what a restore writes).
     */
    uint64_t files;
    uint64_t total_bytes;
    /**
     * What this point copied itself (the rest it shares with earlier points).
     */
    uint64_t copied_files;
    uint64_t copied_bytes;
} agentdb_backup_point;

/**
 * One problem, as `agentdb_problems_get` fills it. The strings point into the problems object and
 * are valid until `agentdb_problems_free`.
 */
typedef struct agentdb_problem {
    /**
     * What is wrong: "bad_manifest", "missing_file", "damaged_file", "damaged_data",
     * "damaged_wal", "damaged_index", "stale_index", "orphan_index", "damaged_index_params" or
     * "leftover_backup_tag".
     */
    const char *kind;
    /**
     * The table (collection or engine table), or "wal".
     */
    const char *store;
    /**
     * The file, relative to the database directory.
     */
    const char *file;
    const char *detail;
    /**
     * Whether repair can rebuild it, and whether it did.
     */
    bool repairable;
    bool repaired;
} agentdb_problem;

/**
 * Which facts a read selects. Start from `agentdb_graph_query_default()` (valid now, as
 * currently believed, every predicate, both directions) and set what you need.
 */
typedef struct agentdb_graph_query {
    /**
     * `sizeof(agentdb_graph_query)`, set by `agentdb_graph_query_default()`.
     */
    uint32_t struct_size;
    /**
     * Valid at `as_of_us` (microseconds since the epoch) if `has_as_of`, else now.
     */
    bool has_as_of;
    int64_t as_of_us;
    /**
     * Valid at some instant of [`during_from_us`, `during_to_us`) if `has_during` (the end is
     * unbounded when `during_open_end`); excludes `has_as_of`.
     */
    bool has_during;
    bool during_open_end;
    int64_t during_from_us;
    int64_t during_to_us;
    /**
     * As believed at transaction time `known_at_us` if `has_known_at`, else the latest versions.
     */
    bool has_known_at;
    int64_t known_at_us;
    /**
     * Only these `n_predicates` predicates (NULL / 0: every predicate).
     */
    const char *const *predicates;
    size_t n_predicates;
    /**
     * `AGENTDB_GRAPH_BOTH`, `AGENTDB_GRAPH_OUT` or `AGENTDB_GRAPH_IN`.
     */
    int32_t direction;
} agentdb_graph_query;

/**
 * One version of a fact, as `agentdb_graph_facts_get` hands it out. The strings point into the
 * `agentdb_graph_facts` object and live until its free. Times are microseconds since the epoch.
 */
typedef struct agentdb_graph_fact {
    const char *id;
    /**
     * 1 for the fact as first recorded, one more per change.
     */
    uint32_t version;
    const char *subject;
    const char *predicate;
    /**
     * An entity id when `object_is_entity`, else the literal.
     */
    const char *object;
    bool object_is_entity;
    /**
     * Valid from `valid_from_us` (inclusive) to `valid_to_us` (exclusive) when `has_valid_to`.
     */
    int64_t valid_from_us;
    int64_t valid_to_us;
    bool has_valid_to;
    /**
     * When this version was recorded, and (if `has_superseded_at`) when a later one replaced it.
     */
    int64_t recorded_at_us;
    int64_t superseded_at_us;
    bool has_superseded_at;
    double confidence;
    /**
     * How many source memory ids (`agentdb_graph_facts_source`).
     */
    size_t n_sources;
} agentdb_graph_fact;

/**
 * One entity, as `agentdb_graph_entities_get` hands it out (pointers live until the free).
 */
typedef struct agentdb_graph_entity {
    const char *id;
    const char *name;
    /**
     * NULL when it has no type.
     */
    const char *type_;
    /**
     * How many aliases (`agentdb_graph_entities_alias`).
     */
    size_t n_aliases;
    /**
     * A JSON object.
     */
    const char *metadata_json;
    /**
     * `dim` floats, or NULL (and 0) without an embedding.
     */
    const float *embedding;
    size_t dim;
    /**
     * When this version of the entity was recorded (microseconds since the epoch).
     */
    int64_t recorded_at_us;
    /**
     * The search score (`agentdb_graph_search_entities`); 1 for the other calls.
     */
    double score;
} agentdb_graph_entity;

/**
 * An entity reached by `agentdb_graph_get_neighbors`, `hops` facts away.
 */
typedef struct agentdb_graph_neighbor {
    const char *entity_id;
    size_t hops;
} agentdb_graph_neighbor;

/**
 * Options of `agentdb_collection_hybrid_search`. Start from `agentdb_hybrid_options_default()`
 * and set what you need; each field's zero value also means "the default", so a zeroed struct
 * with `struct_size` set works. (A weight cannot be set to 0 here: to rank by one side only,
 * call `agentdb_collection_search` or `agentdb_collection_text_search`.) Versioned by
 * `struct_size` like every options struct.
 */
typedef struct agentdb_hybrid_options {
    /**
     * `sizeof(agentdb_hybrid_options)`, set by `agentdb_hybrid_options_default()`.
     */
    uint32_t struct_size;
    /**
     * `AGENTDB_FUSION_RRF` (the default) or `AGENTDB_FUSION_LINEAR`.
     */
    agentdb_fusion method;
    /**
     * Weight of the vector ranking (finite, > 0).
     */
    float vector_weight;
    /**
     * Weight of the BM25 ranking (finite, > 0).
     */
    float text_weight;
    /**
     * RRF's rank constant (ignored by linear fusion).
     */
    float rrf_k;
    /**
     * Records each side contributes before fusion, at least `k`; 0: the engine decides from
     * `k` (max(4·k, 20)).
     */
    size_t candidates;
} agentdb_hybrid_options;

/**
 * One hit of a text or hybrid search, as `agentdb_scored_hits_get` fills it. The strings point
 * into the hits object and are valid until `agentdb_scored_hits_free`.
 */
typedef struct agentdb_scored_hit {
    const char *id;
    /**
     * The record's document; NULL when it has none (a hybrid hit found by its vector only).
     */
    const char *document;
    /**
     * The record's metadata as a JSON object.
     */
    const char *metadata_json;
    /**
     * Larger is better: BM25 for a text search, the fused score for a hybrid one.
     */
    float score;
    /**
     * 1-based rank in the vector ranking; 0 when that side did not return the record.
     */
    size_t vector_rank;
    /**
     * The vector distance (NaN when `vector_rank` is 0).
     */
    float distance;
    /**
     * 1-based rank in the BM25 ranking; 0 when that side did not return the record.
     */
    size_t text_rank;
    /**
     * The BM25 score (NaN when `text_rank` is 0).
     */
    float bm25;
} agentdb_scored_hit;

/**
 * What searches did in this process since the last `agentdb_search_counters_reset`, summed over
 * every search of every collection. Exact scans are not counted (only graph walks), except in
 * the two filter counters, which count every filtered search.
 *
 * Set `struct_size` to `sizeof(agentdb_search_counters)` before `agentdb_search_counters_get`.
 * Versions: fields are only ever added at the end; the library fills the fields that both it
 * and `struct_size` know and leaves any later ones as they are.
 */
typedef struct agentdb_search_counters {
    /**
     * `sizeof(agentdb_search_counters)`: the version of this struct the caller was built with.
     */
    uint32_t struct_size;
    /**
     * Searches that walked a graph.
     */
    uint64_t searches;
    /**
     * Nodes whose links were read.
     */
    uint64_t expansions;
    /**
     * float32 / int8 distances computed during the walk.
     */
    uint64_t distances;
    /**
     * RaBitQ estimates computed during the walk.
     */
    uint64_t codes_scored;
    /**
     * Exact float32 distances computed after a quantized walk.
     */
    uint64_t reranks;
    /**
     * RaBitQ candidates not re-ranked because their error bound could not beat the k-th.
     */
    uint64_t rerank_skipped;
    /**
     * Bytes of links, vectors, codes and re-ranked rows read (each read counted once, cached or
     * not).
     */
    uint64_t bytes;
    /**
     * Filtered searches whose filter was evaluated in storage into a set of rows.
     */
    uint64_t filters_evaluated;
    /**
     * Filtered searches that reused the rows of the same filter evaluated earlier (no write
     * in between).
     */
    uint64_t filters_reused;
} agentdb_search_counters;

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

/**
 * A write returns after its log record is on disk (`fdatasync`; concurrent writers share one).
 * Survives a process crash and a power loss. The default.
 */
#define AGENTDB_SYNC_ALWAYS 0

/**
 * A write returns once its log record is written to the OS; the log is synced every 20 ms.
 * Survives a process crash; a power loss can lose the last ~20 ms of writes.
 */
#define AGENTDB_SYNC_BATCH 1

/**
 * A write returns once its log record is written to the OS, which syncs when it likes.
 * Survives a process crash; a power loss can lose recent writes.
 */
#define AGENTDB_SYNC_OFF 2

/**
 * Short-lived scratch context of the current task.
 */
#define AGENTDB_MEMORY_WORKING 0

/**
 * Something that happened.
 */
#define AGENTDB_MEMORY_EPISODIC 1

/**
 * A fact or piece of knowledge.
 */
#define AGENTDB_MEMORY_SEMANTIC 2

/**
 * How to do something.
 */
#define AGENTDB_MEMORY_PROCEDURAL 3

/**
 * For `agentdb_memory_remember`: the engine's default kind, decided there.
 */
#define AGENTDB_MEMORY_KIND_DEFAULT -1

/**
 * Relevance first (the default): the similarity normalised over the candidates, times an
 * adjustment in [1 − adjust, 1] for recency and importance.
 */
#define AGENTDB_RECALL_RELEVANCE 0

/**
 * The old additive score: w_similarity · similarity + w_recency · recency + w_importance · importance.
 */
#define AGENTDB_RECALL_LINEAR 1

/**
 * The engine decides (the default): hybrid with a query vector, a query text and stored
 * texts; text with only a query text; vector with only a query vector.
 */
#define AGENTDB_SEARCH_AUTO -1

/**
 * Vector similarity only.
 */
#define AGENTDB_SEARCH_VECTOR 0

/**
 * BM25 of `query_text` over the memory texts only.
 */
#define AGENTDB_SEARCH_TEXT 1

/**
 * Both rankings, fused as `fusion` says.
 */
#define AGENTDB_SEARCH_HYBRID 2

/**
 * Reciprocal rank fusion. Memory recall: w_similarity·(k+1)/(k + rank_vector) + w_text·(k+1)/
 * (k + rank_text), k = rrf_k; a collection's hybrid search: the same without the (k+1) scale.
 */
#define AGENTDB_FUSION_RRF 0

/**
 * Weighted scores (memory recall's default): w_similarity·(min-max normalised similarity) +
 * w_text·bm25 / max bm25 (a collection's hybrid search min-max normalises BM25 too).
 */
#define AGENTDB_FUSION_LINEAR 1

/**
 * Paragraphs separated by blank lines.
 */
#define AGENTDB_TEXT_PLAIN 0

/**
 * Markdown: `#` headings open sections, which chunks never span.
 */
#define AGENTDB_TEXT_MARKDOWN 1

/**
 * Vector similarity and BM25 fused by reciprocal-rank fusion (needs the query text and vector).
 */
#define AGENTDB_RAG_HYBRID 0

/**
 * Vector similarity only (needs the query vector).
 */
#define AGENTDB_RAG_VECTOR 1

/**
 * BM25 full-text only (needs the query text).
 */
#define AGENTDB_RAG_TEXT 2

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The message of the last call that failed on the calling thread, as a NUL-terminated UTF-8
 * string; `""` if no call has failed on this thread yet. Calls that succeed leave it as it is.
 *
 * The pointer stays valid until the next failing AgentDB call on the same thread (or until the
 * thread exits). Never NULL; do not free it. Calls made after the thread's thread-locals are
 * destroyed (from an `atexit` handler) share one message for all such threads instead.
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
 * not exist, and writes its handle to `*out_db`. Free it with `agentdb_db_close`.
 * On failure `*out_db` is set to NULL.
 *
 * # Safety
 * `path` is NULL or a NUL-terminated string; `out_db` is NULL or writable.
 */
enum agentdb_status agentdb_db_open(const char *path, struct agentdb_db **out_db);

/**
 * The default open options, the engine's `OpenOptions::default()` (what `agentdb_db_open`
 * uses), with `struct_size = sizeof(agentdb_open_options)`. Cannot fail.
 */
struct agentdb_open_options agentdb_open_options_default(void);

/**
 * Opens the database in directory `path` (NUL-terminated UTF-8) with `options` (NULL: the
 * defaults, which makes this `agentdb_db_open`) and writes its handle to `*out_db`. Free it with
 * `agentdb_db_close`. On failure `*out_db` is set to NULL.
 *
 * One process writes a database at a time: a writable open while another writer (another
 * process, or another open handle in this one) has it fails with `AGENTDB_DATABASE_LOCKED`.
 * After a crash, the writable open replays the write-ahead log: every write that returned is
 * there. A damaged log (other than a torn last record, which is dropped) is `AGENTDB_STORAGE`.
 *
 * # Safety
 * `path` is NULL or a NUL-terminated string; `options` is NULL or points to a readable
 * `agentdb_open_options` of at least `options->struct_size` bytes; `out_db` is NULL or writable.
 */
enum agentdb_status agentdb_db_open_with(const char *path,
                                         const struct agentdb_open_options *options,
                                         struct agentdb_db **out_db);

/**
 * Writes every buffered write to Lance now (one commit per collection) and trims the
 * write-ahead log. Writes are already durable when their call returns; flushing makes them
 * visible to read-only openers at once. Does nothing on a read-only database.
 */
enum agentdb_status agentdb_db_flush(const struct agentdb_db *db);

/**
 * Compacts every collection open in this database and the engine's own tables now (buffered
 * writes are flushed first; small fragments merged, deleted rows dropped) and removes Lance
 * versions replaced more than the retention grace ago. The database does this in the
 * background past its thresholds; this is for explicit use. `AGENTDB_READ_ONLY` when
 * read-only.
 */
enum agentdb_status agentdb_db_optimize(const struct agentdb_db *db);

/**
 * Closes a database and frees its handle: buffered writes are flushed to Lance and the writer
 * lock is released. Every collection handle obtained from it fails with `AGENTDB_CLOSED` from
 * then on, but must still be freed with `agentdb_collection_close`. Writes are durable when
 * their call returns, so closing loses nothing (if the final flush fails, they stay in the
 * write-ahead log and are replayed by the next open).
 * `agentdb_db_close(NULL)` does nothing and returns `AGENTDB_OK`; closing a handle twice returns
 * `AGENTDB_INVALID_HANDLE`.
 * It may be called from an `atexit` handler, after the thread's thread-locals are destroyed (as
 * may every other call): it then runs on a short-lived helper thread while the caller waits, and
 * flushes as usual.
 */
enum agentdb_status agentdb_db_close(struct agentdb_db *db);

/**
 * The default store options (no storage options: the `AWS_*` environment only), with
 * `struct_size = sizeof(agentdb_object_store_options)`. Cannot fail.
 */
struct agentdb_object_store_options agentdb_object_store_options_default(void);

/**
 * Opens the database at `uri` (NUL-terminated UTF-8): a local path (as `agentdb_db_open_with`;
 * `store` is then ignored) or `s3://bucket/prefix` on S3 or an S3-compatible server, with
 * `options` (NULL: the defaults) and `store` (NULL: the defaults), and writes its handle to
 * `*out_db`. Free it with `agentdb_db_close`. On failure `*out_db` is set to NULL.
 *
 * On an object store, one writer at a time across machines: a writable open takes the local
 * lock of its `wal_dir`, then a lease object on the store; another writer anywhere makes it fail
 * with `AGENTDB_DATABASE_LOCKED`. Writes are acknowledged once in the local log and reach the
 * store within about a second (at once with `agentdb_db_flush`). A read-only open takes no lock
 * and sees the writer's commits within `read_consistency_interval_ms` (at once after
 * `agentdb_db_refresh`). An unreachable store is `AGENTDB_STORAGE`; a bad URI or option
 * `AGENTDB_INVALID_ARGUMENT`.
 *
 * # Safety
 * `uri` is NULL or a NUL-terminated string; `options` is NULL or points to a readable
 * `agentdb_open_options`; `store` is NULL or points to a readable `agentdb_object_store_options`
 * (see `store_options_arg`'s contract); `out_db` is NULL or writable.
 */
enum agentdb_status agentdb_db_open_uri(const char *uri,
                                        const struct agentdb_open_options *options,
                                        const struct agentdb_object_store_options *store,
                                        struct agentdb_db **out_db);

/**
 * Brings a read-only database to the writer's latest commit now (on an object store its reads
 * otherwise lag by up to `read_consistency_interval_ms`). Does nothing on a writable database.
 */
enum agentdb_status agentdb_db_refresh(const struct agentdb_db *db);

/**
 * Creates an empty collection `name` of `dim`-dimensional vectors compared by `metric`, and writes
 * a handle to it to `*out_collection` (free it with `agentdb_collection_close`).
 * Names are 1–128 ASCII letters, digits, `_` and `-`, not starting with `-`.
 * Fails with `AGENTDB_COLLECTION_EXISTS` if it exists. On failure `*out_collection` is NULL.
 *
 * # Safety
 * `name` is NULL or a NUL-terminated string; `out_collection` is NULL or writable.
 */
enum agentdb_status agentdb_collection_create(const struct agentdb_db *db,
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
enum agentdb_status agentdb_collection_open(const struct agentdb_db *db,
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
enum agentdb_status agentdb_collection_open_or_create(const struct agentdb_db *db,
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
enum agentdb_status agentdb_collection_drop(const struct agentdb_db *db, const char *name);

/**
 * Writes the names of all collections, sorted, as a new `agentdb_strings` to `*out_names`
 * (read it with `agentdb_strings_count` / `agentdb_strings_get`, free it with
 * `agentdb_strings_free`). On failure `*out_names` is NULL.
 *
 * # Safety
 * `out_names` is NULL or writable.
 */
enum agentdb_status agentdb_collection_list(const struct agentdb_db *db,
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
 * Writes `n` records as Lance data files of the collection **without committing them**, and
 * writes what `agentdb_collection_commit_staged` needs to commit them (the "part", a
 * NUL-terminated UTF-8 text) as the one string of a new `agentdb_strings` to `*out_part` (read it
 * with `agentdb_strings_get`, free it with `agentdb_strings_free`; NULL on failure). The part
 * may be sent to another process: any number of processes stage parts, on databases opened
 * read-only, and the writer commits them all at once. Nothing is visible before the commit.
 * Arguments and checks as for `agentdb_collection_add`, except that an id already in the
 * collection is found only by the commit, and a metadata key that is not yet a column fails with
 * `AGENTDB_INVALID_METADATA`.
 *
 * # Safety
 * As for `agentdb_collection_add`; `out_part` is NULL or writable.
 */
enum agentdb_status agentdb_collection_stage(const struct agentdb_collection *collection,
                                             const char *const *ids,
                                             size_t n,
                                             const float *vectors,
                                             size_t dim,
                                             const char *const *documents,
                                             const char *metadata_json,
                                             struct agentdb_strings **out_part);

/**
 * Commits `n_parts` parts from `agentdb_collection_stage` (staged in any processes) as one Lance
 * commit: readers see all their records or none. Writes how many records were added to
 * `*out_added` (if not NULL). Fails with `AGENTDB_DUPLICATE_ID` if an id repeats across the parts
 * or already exists, `AGENTDB_INVALID_ARGUMENT` on a text that is not a staged part of this
 * collection, `AGENTDB_READ_ONLY` on a read-only database; then nothing is committed.
 *
 * # Safety
 * `parts` is NULL (only with `n_parts` 0) or points to `n_parts` NUL-terminated strings;
 * `out_added` is NULL or writable.
 */
enum agentdb_status agentdb_collection_commit_staged(const struct agentdb_collection *collection,
                                                     const char *const *parts,
                                                     size_t n_parts,
                                                     uint64_t *out_added);

/**
 * Adds `n` new records. Record `i` has id `ids[i]` (NUL-terminated UTF-8, 1 to
 * `AGENTDB_MAX_ID_LEN` bytes), vector `vectors[i*dim .. i*dim+dim]` (`dim` must be the
 * collection's dimension), document `documents[i]` (`documents` may be NULL, and any entry may be
 * NULL: no document), and metadata `metadata_json`: NULL, or a JSON array of `n` entries (at most
 * `AGENTDB_MAX_JSON_LEN` bytes), each an object (or `null`) whose keys are identifiers and whose
 * values are strings, integers, floats, booleans, lists of strings or datetimes written
 * `{"$datetime": "2024-05-01T12:00:00Z"}`.
 *
 * `n` is at most `AGENTDB_MAX_BATCH`, and with `n > 0`, `ids` and `vectors` must not be NULL
 * (`AGENTDB_NULL_POINTER`) and `dim` must not be 0; these are checked before any array is read.
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
enum agentdb_status agentdb_collection_add(const struct agentdb_collection *collection,
                                           const char *const *ids,
                                           size_t n,
                                           const float *vectors,
                                           size_t dim,
                                           const char *const *documents,
                                           const char *metadata_json);

/**
 * Like `agentdb_collection_add`, but a record whose id exists replaces the stored one (vector, document and
 * metadata are all replaced; its creation time is kept).
 *
 * # Safety
 * As for `agentdb_collection_add`.
 */
enum agentdb_status agentdb_collection_upsert(const struct agentdb_collection *collection,
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
 * With `ids` not NULL: the records with those `n_ids` ids (at most `AGENTDB_MAX_BATCH`), in that
 * order; ids not found are left out. With `ids` NULL (then `n_ids` must be 0): all records, in
 * storage order.
 * The filter, if any, further restricts the records: give it as SQL (`filter_sql`, e.g.
 * `"lang = 'en' AND year >= 2020"`) or as a JSON dict (`filter_json`, e.g.
 * `{"year": {"$gte": 2020}}`), not both; NULL for none. At most `limit` records after skipping
 * `offset` (`limit` 0: no limit; `offset` at most `INT64_MAX`).
 *
 * # Safety
 * `ids` is NULL or points to `n_ids` pointers, each NULL or a NUL-terminated string;
 * `filter_sql` and `filter_json` are NULL or NUL-terminated; `out_records` is NULL or writable.
 */
enum agentdb_status agentdb_collection_get(const struct agentdb_collection *collection,
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
 * present are not an error (`n_ids` is at most `AGENTDB_MAX_BATCH`). Writes the number deleted to
 * `*out_deleted` if it is not NULL.
 *
 * # Safety
 * As for `agentdb_collection_get`; `out_deleted` is NULL or writable.
 */
enum agentdb_status agentdb_collection_delete(const struct agentdb_collection *collection,
                                              const char *const *ids,
                                              size_t n_ids,
                                              const char *filter_sql,
                                              const char *filter_json,
                                              uint64_t *out_deleted);

/**
 * Compacts the collection now (buffered writes flushed, small fragments merged, deleted rows
 * dropped) and removes old Lance versions past the retention grace.
 */
enum agentdb_status agentdb_collection_optimize(const struct agentdb_collection *collection);

/**
 * Writes the number of records (matching the filter, if one is given) to `*out_count`.
 *
 * # Safety
 * `filter_sql` and `filter_json` are NULL or NUL-terminated; `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_collection_count(const struct agentdb_collection *collection,
                                             const char *filter_sql,
                                             const char *filter_json,
                                             uint64_t *out_count);

/**
 * Finds the `k` records nearest to the `dim` floats at `query`, closest first, among those
 * matching the filter (as in `agentdb_collection_get`). Writes a new `agentdb_results` holding one query's
 * hits to `*out_results` (free it with `agentdb_results_free`; on failure it is NULL). Fewer than
 * `k` hits when fewer records match. `k` is 1 to `AGENTDB_MAX_K`; `dim` at most
 * `AGENTDB_MAX_DIM` (checked before `query` is read).
 *
 * Without an index the search is exact (every record is compared). With an HNSW index
 * (`agentdb_collection_create_index`) it walks the index with the default candidate list (max(k, 64));
 * `agentdb_collection_search_with` sets that list's size, forces an exact scan, sets the threads of an exact
 * scan, or skips documents and metadata (`agentdb_search_options`).
 *
 * # Safety
 * `query` is NULL or points to `dim` floats; `filter_sql` and `filter_json` are NULL or
 * NUL-terminated; `out_results` is NULL or writable.
 */
enum agentdb_status agentdb_collection_search(const struct agentdb_collection *collection,
                                              const float *query,
                                              size_t dim,
                                              size_t k,
                                              const char *filter_sql,
                                              const char *filter_json,
                                              struct agentdb_results **out_results);

/**
 * `agentdb_collection_search` for `n_queries` queries at once, stored row-major at `queries`
 * (`n_queries * dim` floats); they run concurrently. The results hold one list of hits per
 * query, in the order of the queries.
 *
 * # Safety
 * `queries` is NULL or points to `n_queries * dim` floats; otherwise as for `agentdb_collection_search`.
 */
enum agentdb_status agentdb_collection_search_batch(const struct agentdb_collection *collection,
                                                    const float *queries,
                                                    size_t n_queries,
                                                    size_t dim,
                                                    size_t k,
                                                    const char *filter_sql,
                                                    const char *filter_json,
                                                    struct agentdb_results **out_results);

/**
 * The default search options, the engine's `SearchOptions::default()` (what
 * `agentdb_collection_search` uses), with `struct_size` set to `sizeof(agentdb_search_options)`.
 * The engine leaves `ef`, `threads`, `nprobes` and `refine_factor` to be decided per search (from
 * `k`, the cores, the index): they are 0, "the engine decides". Cannot fail.
 */
struct agentdb_search_options agentdb_search_options_default(void);

/**
 * Finds the `k` records nearest to the `dim` floats at `query`, as `agentdb_collection_search` does, with the
 * search options at `options` (see `agentdb_search_options`; NULL: the defaults, which makes this
 * call `agentdb_collection_search`). The options are read during the call and not kept.
 *
 * Options out of range (`ef` or `refine_factor` above 100000, a wrong `struct_size`) are
 * `AGENTDB_INVALID_ARGUMENT`.
 *
 * # Safety
 * As for `agentdb_collection_search`; `options` is NULL or points to a readable `agentdb_search_options` of
 * at least `options->struct_size` bytes.
 */
enum agentdb_status agentdb_collection_search_with(const struct agentdb_collection *collection,
                                                   const float *query,
                                                   size_t dim,
                                                   size_t k,
                                                   const char *filter_sql,
                                                   const char *filter_json,
                                                   const struct agentdb_search_options *options,
                                                   struct agentdb_results **out_results);

/**
 * `agentdb_collection_search_batch` with the options of `agentdb_collection_search_with` (NULL: the defaults), applied
 * to every query.
 *
 * # Safety
 * As for `agentdb_collection_search_batch`, and `options` as for `agentdb_collection_search_with`.
 */
enum agentdb_status agentdb_collection_search_batch_with(const struct agentdb_collection *collection,
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
 * uses it from then on (see `agentdb_collection_search_with` for `ef` and forced exact search). The index
 * persists: reopening the database does not rebuild it.
 *
 * - `m`: links per node (2 to 128; 0: the engine's default). More links: better recall, more memory.
 * - `ef_construction`: the candidate list size while building (1 to 10000; 0: the engine's default).
 *   Larger builds slower and finds better links.
 *
 * Out-of-range values return `AGENTDB_INVALID_ARGUMENT` and leave any existing index as it was.
 * Building takes time that grows with the number of records; searches and writes on the same
 * collection wait until it is built.
 */
enum agentdb_status agentdb_collection_create_index(const struct agentdb_collection *collection,
                                                    size_t m,
                                                    size_t ef_construction);

/**
 * Removes the collection's index (and its file); search compares every record again. A collection
 * without an index is not an error.
 */
enum agentdb_status agentdb_collection_drop_index(const struct agentdb_collection *collection);

/**
 * Tells whether the collection has an index and with which parameters: writes `true` or `false`
 * to `*out_has_index` and, when it has one, its `m` and `ef_construction` to `*out_m` and
 * `*out_ef_construction` (0 when it has none, or when its index is not HNSW: see
 * `agentdb_collection_index_describe` for every kind). `out_m` and `out_ef_construction` may be NULL when
 * not wanted.
 *
 * # Safety
 * `out_has_index` is NULL or writable; `out_m` and `out_ef_construction` are NULL or writable.
 */
enum agentdb_status agentdb_collection_index_params(const struct agentdb_collection *collection,
                                                    bool *out_has_index,
                                                    size_t *out_m,
                                                    size_t *out_ef_construction);

/**
 * The default index options, with `struct_size` set: every parameter 0 / NULL, which the engine
 * reads as its default (`IndexParams::from_options`: an HNSW index with `HnswParams::default()`).
 * Unlike the other `*_default()` functions, this one does not write the engine's numbers into
 * the struct: one struct describes every kind, and a parameter set for another kind than
 * `kind` is refused (`m` for "ivf_pq"), so the defaults of one kind cannot be filled in. Read
 * a built index's parameters with `agentdb_collection_index_describe`. Cannot fail.
 */
struct agentdb_index_options agentdb_index_options_default(void);

/**
 * Builds an index of the kind and with the parameters in `*options` (NULL: the defaults, an
 * HNSW index), replacing any index, as `agentdb_collection_create_index` does. An unknown kind or
 * quantization, a parameter out of range or of another kind, or (for "ivf_pq") too few records
 * is `AGENTDB_INVALID_ARGUMENT`, and leaves any existing index as it was. The options are read
 * during the call and not kept.
 *
 * # Safety
 * `options` is NULL or points to a readable `agentdb_index_options` whose `kind` and
 * `quantization` are NULL or NUL-terminated strings.
 */
enum agentdb_status agentdb_collection_create_index_with(const struct agentdb_collection *collection,
                                                         const struct agentdb_index_options *options);

/**
 * Tells whether the collection has an index (`*out_has_index`) and, when it has one, fills
 * `*out_options` with its kind and parameters (the caller sets `out_options->struct_size`, e.g.
 * by starting from `agentdb_index_options_default()`). The strings written (`kind`,
 * `quantization`) are static: valid for the life of the program, never freed. Without an
 * index, `*out_options` is set to the defaults. Parameters of another kind are 0 / NULL; for
 * "ivf_pq", `partitions` and `sub_vectors` are what `agentdb_collection_create_index_with` was given
 * (0: chosen by Lance).
 *
 * # Safety
 * `out_has_index` is NULL or writable; `out_options` is NULL or points to a writable
 * `agentdb_index_options` whose `struct_size` is set.
 */
enum agentdb_status agentdb_collection_index_describe(const struct agentdb_collection *collection,
                                                      bool *out_has_index,
                                                      struct agentdb_index_options *out_options);

/**
 * Writes the number of queries the results hold to `*out_count` (1 for `agentdb_collection_search`).
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_results_query_count(const struct agentdb_results *results,
                                                size_t *out_count);

/**
 * Writes the number of hits of query `query` (0 for `agentdb_collection_search`) to `*out_count`.
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
enum agentdb_status agentdb_results_get_id(const struct agentdb_results *results,
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
enum agentdb_status agentdb_results_get_distance(const struct agentdb_results *results,
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
enum agentdb_status agentdb_results_get_document(const struct agentdb_results *results,
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
enum agentdb_status agentdb_results_get_metadata(const struct agentdb_results *results,
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
enum agentdb_status agentdb_records_get_id(const struct agentdb_records *records,
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
enum agentdb_status agentdb_records_get_vector(const struct agentdb_records *records,
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
enum agentdb_status agentdb_records_get_document(const struct agentdb_records *records,
                                                 size_t row,
                                                 const char **out_document,
                                                 size_t *out_len);

/**
 * Writes the metadata of record `row` as a JSON object to `*out_json` (see
 * `agentdb_results_get_metadata`). Valid until `agentdb_records_free`.
 *
 * # Safety
 * `out_json` is NULL or writable; `out_len` is NULL or writable.
 */
enum agentdb_status agentdb_records_get_metadata(const struct agentdb_records *records,
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
enum agentdb_status agentdb_records_get_timestamps(const struct agentdb_records *records,
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

/**
 * A filter that lets every memory through (the engine's `MemoryFilter::default()`), with
 * `struct_size` set. Cannot fail.
 */
struct agentdb_memory_filter agentdb_memory_filter_default(void);

/**
 * The default recall options: the engine's (`RecallOptions::new`, `RecallWeights::default()`),
 * with `struct_size` set. Cannot fail.
 */
struct agentdb_recall_options agentdb_recall_options_default(void);

/**
 * The engine's consolidation options (`ConsolidateOptions::default()`: no step enabled, the
 * default weights), with `struct_size` set. Cannot fail.
 */
struct agentdb_consolidate_options agentdb_consolidate_options_default(void);

/**
 * Opens the existing memory store `name` of `db` (its dimension and metric are stored) and writes
 * its handle to `*out_memory` (free it with `agentdb_memory_close`; NULL on failure).
 * `AGENTDB_COLLECTION_NOT_FOUND` if there is none.
 *
 * A store is a hidden collection (`_agentdb_memory_<name>`) with an HNSW index; see
 * `agentdb_memory_recall` for the score.
 *
 * Lifetime: the handle is valid until `agentdb_memory_close`, independently of the db handle.
 * `agentdb_db_close(db)` closes the database with every handle from it (there is no freeing a db
 * handle without closing it): calls on this handle then fail with `AGENTDB_CLOSED` ("memory store
 * '<name>' is closed: ..."), and it must still be freed with `agentdb_memory_close`.
 *
 * # Safety
 * `name` is NULL or NUL-terminated; `out_memory` is NULL or writable.
 */
enum agentdb_status agentdb_memory_open(const struct agentdb_db *db,
                                        const char *name,
                                        struct agentdb_memory **out_memory);

/**
 * Opens memory store `name` of `db`, creating it if it does not exist (vectors of `dim` floats
 * compared by `metric`), and writes its handle to `*out_memory` (free it with
 * `agentdb_memory_close`; NULL on failure). An existing store must have that dimension
 * (`AGENTDB_DIMENSION_MISMATCH`) and metric (`AGENTDB_INVALID_ARGUMENT`). Lifetime as for
 * `agentdb_memory_open`.
 *
 * # Safety
 * `name` is NULL or NUL-terminated; `out_memory` is NULL or writable.
 */
enum agentdb_status agentdb_memory_open_or_create(const struct agentdb_db *db,
                                                  const char *name,
                                                  size_t dim,
                                                  agentdb_metric metric,
                                                  struct agentdb_memory **out_memory);

/**
 * Frees a memory store handle (the store stays in the database; pending access statistics are
 * written when the database closes or on `agentdb_memory_flush`). Works before or after
 * `agentdb_db_close` of its database. NULL does nothing; freeing twice returns
 * `AGENTDB_INVALID_HANDLE`.
 */
enum agentdb_status agentdb_memory_close(struct agentdb_memory *memory);

/**
 * Deletes memory store `name` and all its memories (`AGENTDB_COLLECTION_NOT_FOUND` if absent).
 * Handles to it fail with `AGENTDB_CLOSED` afterwards.
 *
 * # Safety
 * `name` is NULL or NUL-terminated.
 */
enum agentdb_status agentdb_memory_drop(const struct agentdb_db *db, const char *name);

/**
 * Writes the store's vector dimension to `*out_dim`.
 *
 * # Safety
 * `out_dim` is NULL or writable.
 */
enum agentdb_status agentdb_memory_dim(const struct agentdb_memory *memory, size_t *out_dim);

/**
 * Stores `n` memories of agent `agent_id` (and session `session_id`, NULL: none), all of kind
 * `kind` (`AGENTDB_MEMORY_KIND_DEFAULT`: the engine's default). Memory `i` has vector
 * `vectors[i*dim .. i*dim+dim]`, id `ids[i]` (`ids` NULL or an entry NULL: a new time-ordered
 * id), text `texts[i]` (`texts` or the entry NULL: none), importance `importance[i]` in [0, 1]
 * (`importance` NULL, or an entry NaN: the engine's default), creation time
 * `created_at_us[i]` (µs since the epoch; `created_at_us` NULL: now), and metadata from
 * `metadata_json` (NULL, or a JSON array of `n` objects or nulls, at most `AGENTDB_MAX_JSON_LEN`
 * bytes; the keys `agent_id`, `session_id`, `kind`, `importance`, `created`, `last_accessed`,
 * `access_count` are reserved).
 *
 * `n` is at most `AGENTDB_MAX_BATCH`; with `n > 0`, `vectors` must not be NULL
 * (`AGENTDB_NULL_POINTER`) and `dim` not 0 (`AGENTDB_INVALID_ARGUMENT`); ids are at most
 * `AGENTDB_MAX_ID_LEN` bytes. These are checked before any array is read or anything allocated,
 * and a failing call stores nothing.
 *
 * The batch is checked whole: an id that exists (`AGENTDB_DUPLICATE_ID`), a wrong dimension, a
 * bad value rejects it and nothing is stored. If `out_ids` is not NULL, the ids are written to
 * a new `*out_ids` (free with `agentdb_strings_free`).
 *
 * # Safety
 * `agent_id` NUL-terminated; `session_id`, `metadata_json` NULL or NUL-terminated; `ids` and
 * `texts` NULL or `n` pointers each NULL or NUL-terminated; `vectors` `n * dim` floats;
 * `importance` NULL or `n` doubles; `created_at_us` NULL or `n` int64s; `out_ids` NULL or
 * writable.
 */
enum agentdb_status agentdb_memory_remember(const struct agentdb_memory *memory,
                                            const char *agent_id,
                                            const char *session_id,
                                            agentdb_memory_kind kind,
                                            size_t n,
                                            const char *const *ids,
                                            const char *const *texts,
                                            const float *vectors,
                                            size_t dim,
                                            const double *importance,
                                            const int64_t *created_at_us,
                                            const char *metadata_json,
                                            struct agentdb_strings **out_ids);

/**
 * The `k` best memories for `query` (`dim` floats, at most `AGENTDB_MAX_DIM`; NULL: rank by
 * strength, recency and importance, alone), best first (`k` is 1 to `AGENTDB_MAX_K`), among
 * those `filter` lets through (NULL: all), scored as `options` says (NULL: the defaults; see
 * `agentdb_recall_options`; its `candidates` at most `AGENTDB_MAX_K`). Recalled memories get
 * `last_accessed = now` and one more access unless `options->touch` is false. Writes a new
 * `*out_memories` (free with `agentdb_memories_free`; NULL on failure).
 *
 * # Safety
 * `query` NULL or `dim` floats; `filter` NULL or a readable `agentdb_memory_filter`; `options`
 * NULL or a readable `agentdb_recall_options`; `out_memories` NULL or writable.
 */
enum agentdb_status agentdb_memory_recall(const struct agentdb_memory *memory,
                                          const float *query,
                                          size_t dim,
                                          size_t k,
                                          const struct agentdb_memory_filter *filter,
                                          const struct agentdb_recall_options *options,
                                          struct agentdb_memories **out_memories);

/**
 * `agentdb_memory_recall` with a knowledge graph: the same hits to `*out_memories`, and to
 * `*out_facts` the facts of `graph` about the entities the query text
 * (`options->query_text`, required) names, valid at the recall's time (`options->now_us` when
 * `has_now`, else now), at most `facts_limit` (0: the engine's default), each with its provenance
 * (source memory ids, validity, confidence; read with `agentdb_graph_facts_*`, free with
 * `agentdb_graph_facts_free`). Both outputs are NULL on failure; a failure touches nothing.
 *
 * # Safety
 * As `agentdb_memory_recall`; `graph` a live graph handle; `out_facts` writable.
 */
enum agentdb_status agentdb_memory_recall_with_graph(const struct agentdb_memory *memory,
                                                     const struct agentdb_graph *graph,
                                                     const float *query,
                                                     size_t dim,
                                                     size_t k,
                                                     const struct agentdb_memory_filter *filter,
                                                     const struct agentdb_recall_options *options,
                                                     size_t facts_limit,
                                                     struct agentdb_memories **out_memories,
                                                     struct agentdb_graph_facts **out_facts);

/**
 * The memories with ids `ids[0..n]` (in that order; ids not found are left out), with their
 * vectors (`n` at most `AGENTDB_MAX_BATCH`). Writes a new `*out_memories` (free with
 * `agentdb_memories_free`).
 *
 * # Safety
 * `ids` is NULL or `n` NUL-terminated strings; `out_memories` NULL or writable.
 */
enum agentdb_status agentdb_memory_get(const struct agentdb_memory *memory,
                                       const char *const *ids,
                                       size_t n,
                                       struct agentdb_memories **out_memories);

/**
 * Writes how many memories `filter` lets through (NULL: all) to `*out_count`.
 *
 * # Safety
 * `filter` NULL or a readable `agentdb_memory_filter`; `out_count` NULL or writable.
 */
enum agentdb_status agentdb_memory_count(const struct agentdb_memory *memory,
                                         const struct agentdb_memory_filter *filter,
                                         uint64_t *out_count);

/**
 * Deletes the memories with ids `ids[0..n]` and/or passing `filter` (both: those matching both)
 * and writes how many to `*out_deleted` (may be NULL). With neither ids nor a condition in the
 * filter: `AGENTDB_INVALID_ARGUMENT` (that would be everything). `n` is at most
 * `AGENTDB_MAX_BATCH`.
 *
 * # Safety
 * `ids` NULL (then `n` is 0) or `n` NUL-terminated strings; `filter` NULL or a readable
 * `agentdb_memory_filter`; `out_deleted` NULL or writable.
 */
enum agentdb_status agentdb_memory_forget(const struct agentdb_memory *memory,
                                          const char *const *ids,
                                          size_t n,
                                          const struct agentdb_memory_filter *filter,
                                          uint64_t *out_deleted);

/**
 * Changes memory `id`: its text when `set_text` (`text` NULL removes it), its importance unless
 * `importance` is NaN, its vector when `vector` is not NULL (`dim` floats), its user metadata
 * (replaced whole) when `metadata_json` is not NULL (a JSON object). `AGENTDB_INVALID_ARGUMENT`
 * when no memory has that id.
 *
 * # Safety
 * `id` NUL-terminated; `text`, `metadata_json` NULL or NUL-terminated; `vector` NULL or `dim`
 * floats.
 */
enum agentdb_status agentdb_memory_update(const struct agentdb_memory *memory,
                                          const char *id,
                                          bool set_text,
                                          const char *text,
                                          double importance,
                                          const float *vector,
                                          size_t dim,
                                          const char *metadata_json);

/**
 * De-duplicates, decays and enforces the capacity limit as `options` enables (NULL: nothing),
 * and writes how many memories each step removed to `*out_report` (may be NULL).
 *
 * # Safety
 * `options` NULL or a readable `agentdb_consolidate_options`; `out_report` NULL or writable.
 */
enum agentdb_status agentdb_memory_consolidate(const struct agentdb_memory *memory,
                                               const struct agentdb_consolidate_options *options,
                                               struct agentdb_consolidation_report *out_report);

/**
 * Runs `agentdb_memory_consolidate` with `options` every `interval_ms` milliseconds on a thread
 * of the library (writing pending access statistics each time), until
 * `agentdb_memory_stop_background`, `agentdb_memory_drop` or `agentdb_db_close`. Replaces a schedule
 * already running.
 *
 * # Safety
 * `options` NULL or a readable `agentdb_consolidate_options`.
 */
enum agentdb_status agentdb_memory_start_background(const struct agentdb_memory *memory,
                                                    uint64_t interval_ms,
                                                    const struct agentdb_consolidate_options *options);

/**
 * Stops the background consolidation of the store (waiting for a run in progress). Not running
 * is not an error.
 */
enum agentdb_status agentdb_memory_stop_background(const struct agentdb_memory *memory);

/**
 * Sets the tokenizer of the store's text and hybrid recall: `"simple"` (English, the default),
 * `"icu"` (dictionary word segmentation: Chinese, Japanese, Korean), `"ngram"` (character 2- and
 * 3-grams), `"ngram:N"` or `"ngram:MIN-MAX"`; kept with the store, every text re-indexed.
 * `AGENTDB_INVALID_ARGUMENT` for another name.
 *
 * # Safety
 * `tokenizer` NULL or NUL-terminated.
 */
enum agentdb_status agentdb_memory_set_text_tokenizer(const struct agentdb_memory *memory,
                                                      const char *tokenizer);

/**
 * Copies the name of the store's text tokenizer (`"simple"`, `"icu"`, `"ngram:MIN-MAX"`),
 * NUL-terminated, into `buf` (`buf_len` bytes; 16 always suffice) and its length to `*out_len`
 * (if not NULL). A buffer too small is `AGENTDB_INVALID_ARGUMENT`, `*out_len` still set.
 *
 * # Safety
 * `buf` NULL or writable for `buf_len` bytes; `out_len` NULL or writable.
 */
enum agentdb_status agentdb_memory_text_tokenizer(const struct agentdb_memory *memory,
                                                  char *buf,
                                                  size_t buf_len,
                                                  size_t *out_len);

/**
 * Writes the access statistics that recalls changed since the last write (one commit).
 */
enum agentdb_status agentdb_memory_flush(const struct agentdb_memory *memory);

/**
 * Writes the number of memories in the object to `*out_count`.
 *
 * # Safety
 * `out_count` NULL or writable.
 */
enum agentdb_status agentdb_memories_count(const struct agentdb_memories *memories,
                                           size_t *out_count);

/**
 * Fills `*out_info` with memory `i` (0-based; for recall, best first).
 *
 * # Safety
 * `out_info` NULL or writable.
 */
enum agentdb_status agentdb_memories_get(const struct agentdb_memories *memories,
                                         size_t i,
                                         struct agentdb_memory_info *out_info);

/**
 * Frees memories from `agentdb_memory_recall` / `agentdb_memory_get` and every string and vector
 * obtained from them. NULL does nothing; freeing twice returns `AGENTDB_INVALID_HANDLE`.
 */
enum agentdb_status agentdb_memories_free(struct agentdb_memories *memories);

/**
 * Writes a new version of `key` in (`agent_id`, `session_id`) and writes its number to
 * `*out_version` (1 for a new key; NULL: not wanted). `value_json` is any JSON value (at most
 * `AGENTDB_MAX_JSON_LEN` bytes).
 * `ttl_seconds`: 0 for none, else this version expires that long after now.
 *
 * Every `agentdb_state_*` and `agentdb_checkpoint_*` call reaches the agent state through the db
 * handle, so there is no state handle to outlive it: after `agentdb_db_close(db)` they return
 * `AGENTDB_INVALID_HANDLE`. Result objects already read (`agentdb_state_versions`, ...) hold
 * copies and stay readable until freed.
 *
 * # Safety
 * The strings are NULL or NUL-terminated; `out_version` is NULL or writable.
 */
enum agentdb_status agentdb_state_put(const struct agentdb_db *db,
                                      const char *agent_id,
                                      const char *session_id,
                                      const char *key,
                                      const char *value_json,
                                      double ttl_seconds,
                                      uint64_t *out_version);

/**
 * Writes `n` keys of one session as one atomic batch (a reader sees all or none). `keys[i]` gets
 * `values_json[i]`; keys must not repeat. The new versions go to `out_versions[0..n]` (NULL: not
 * wanted). `n` is at most `AGENTDB_MAX_BATCH`, and with `n > 0` neither `keys` nor
 * `values_json` may be NULL (`AGENTDB_NULL_POINTER`), checked before either is read; each value
 * is at most `AGENTDB_MAX_JSON_LEN` bytes.
 *
 * # Safety
 * `keys` and `values_json` are NULL or arrays of `n` NUL-terminated strings; `out_versions` is NULL
 * or writable for `n` values.
 */
enum agentdb_status agentdb_state_put_many(const struct agentdb_db *db,
                                           const char *agent_id,
                                           const char *session_id,
                                           const char *const *keys,
                                           const char *const *values_json,
                                           size_t n,
                                           double ttl_seconds,
                                           uint64_t *out_versions);

/**
 * Reads the current version of `key` into a new `agentdb_state_versions` (count 0 when the key
 * never existed or expired; a deleted key gives its tombstone, `deleted = true`). Free it with
 * `agentdb_state_versions_free`.
 *
 * # Safety
 * The strings are NULL or NUL-terminated; `out_versions` is NULL or writable.
 */
enum agentdb_status agentdb_state_get(const struct agentdb_db *db,
                                      const char *agent_id,
                                      const char *session_id,
                                      const char *key,
                                      struct agentdb_state_versions **out_versions);

/**
 * Reads version `version` (1, 2, …) of `key` (count 0 if there is no such version).
 *
 * # Safety
 * As for `agentdb_state_get`.
 */
enum agentdb_status agentdb_state_get_version(const struct agentdb_db *db,
                                              const char *agent_id,
                                              const char *session_id,
                                              const char *key,
                                              uint64_t version,
                                              struct agentdb_state_versions **out_versions);

/**
 * Reads the version of `key` in force at `at_us` (microseconds since the Unix epoch, UTC):
 * count 0 if the key had no value then (not yet written, deleted, or expired).
 *
 * # Safety
 * As for `agentdb_state_get`.
 */
enum agentdb_status agentdb_state_get_at(const struct agentdb_db *db,
                                         const char *agent_id,
                                         const char *session_id,
                                         const char *key,
                                         int64_t at_us,
                                         struct agentdb_state_versions **out_versions);

/**
 * The versions of `key`, newest first, tombstones included: at most `limit` after skipping
 * `offset`.
 *
 * # Safety
 * As for `agentdb_state_get`.
 */
enum agentdb_status agentdb_state_history(const struct agentdb_db *db,
                                          const char *agent_id,
                                          const char *session_id,
                                          const char *key,
                                          size_t limit,
                                          size_t offset,
                                          struct agentdb_state_versions **out_versions);

/**
 * Deletes `key` by writing a tombstone version; its number goes to `*out_version` (0 when the key
 * had no value and nothing was written; NULL: not wanted).
 *
 * # Safety
 * The strings are NULL or NUL-terminated; `out_version` is NULL or writable.
 */
enum agentdb_status agentdb_state_delete(const struct agentdb_db *db,
                                         const char *agent_id,
                                         const char *session_id,
                                         const char *key,
                                         uint64_t *out_version);

/**
 * Every key of a session with its value (JSON), sorted by key, now (`at_us` NULL) or at time
 * `*at_us`. Deleted and expired keys are left out. Free it with `agentdb_state_entries_free`.
 *
 * # Safety
 * The strings are NULL or NUL-terminated; `at_us` is NULL or readable; `out_entries` NULL or
 * writable.
 */
enum agentdb_status agentdb_state_snapshot(const struct agentdb_db *db,
                                           const char *agent_id,
                                           const char *session_id,
                                           const int64_t *at_us,
                                           struct agentdb_state_entries **out_entries);

/**
 * The keys `agentdb_state_snapshot` would give, as an `agentdb_strings`.
 *
 * # Safety
 * As for `agentdb_state_snapshot`.
 */
enum agentdb_status agentdb_state_keys(const struct agentdb_db *db,
                                       const char *agent_id,
                                       const char *session_id,
                                       const int64_t *at_us,
                                       struct agentdb_strings **out_keys);

/**
 * The sessions of `agent_id` that hold anything and have not expired, sorted.
 *
 * # Safety
 * `agent_id` is NULL or NUL-terminated; `out_sessions` is NULL or writable.
 */
enum agentdb_status agentdb_state_sessions(const struct agentdb_db *db,
                                           const char *agent_id,
                                           struct agentdb_strings **out_sessions);

/**
 * Removes a session (or with `session_id` NULL every session of the agent) for good; the number
 * of key versions removed goes to `*out_removed` (NULL: not wanted).
 *
 * # Safety
 * `agent_id` is NULL or NUL-terminated; `session_id` NULL or NUL-terminated; `out_removed` NULL or
 * writable.
 */
enum agentdb_status agentdb_state_purge(const struct agentdb_db *db,
                                        const char *agent_id,
                                        const char *session_id,
                                        uint64_t *out_removed);

/**
 * Sets the session's TTL: it expires `ttl_seconds` after its last write (0 removes the TTL).
 *
 * # Safety
 * The strings are NULL or NUL-terminated.
 */
enum agentdb_status agentdb_state_set_session_ttl(const struct agentdb_db *db,
                                                  const char *agent_id,
                                                  const char *session_id,
                                                  double ttl_seconds);

/**
 * Removes expired keys and sessions from disk now (a background sweep does it every second); the
 * number of versions removed goes to `*out_removed` (NULL: not wanted).
 *
 * # Safety
 * `out_removed` is NULL or writable.
 */
enum agentdb_status agentdb_state_sweep(const struct agentdb_db *db, uint64_t *out_removed);

/**
 * Writes the number of versions to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_state_versions_count(const struct agentdb_state_versions *versions,
                                                 size_t *out_count);

/**
 * Writes version `i` to `*out` (its string lives until `agentdb_state_versions_free`).
 *
 * # Safety
 * `out` is NULL or writable.
 */
enum agentdb_status agentdb_state_versions_get(const struct agentdb_state_versions *versions,
                                               size_t i,
                                               struct agentdb_state_version *out);

/**
 * Frees an `agentdb_state_versions` (NULL: nothing).
 */
enum agentdb_status agentdb_state_versions_free(struct agentdb_state_versions *versions);

/**
 * Writes the number of entries to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_state_entries_count(const struct agentdb_state_entries *entries,
                                                size_t *out_count);

/**
 * Writes entry `i`: its key to `*out_key` and its value (JSON) to `*out_value_json`, NUL-terminated
 * and valid until `agentdb_state_entries_free`. The length pointers may be NULL.
 *
 * # Safety
 * `out_key` and `out_value_json` are NULL or writable; the length pointers NULL or writable.
 */
enum agentdb_status agentdb_state_entries_get(const struct agentdb_state_entries *entries,
                                              size_t i,
                                              const char **out_key,
                                              size_t *out_key_len,
                                              const char **out_value_json,
                                              size_t *out_value_len);

/**
 * Frees an `agentdb_state_entries` (NULL: nothing).
 */
enum agentdb_status agentdb_state_entries_free(struct agentdb_state_entries *entries);

/**
 * Stores a checkpoint of (`thread_id`, `namespace_`, `checkpoint_id`), replacing one with the same
 * ids. `data`/`len`: the payload, stored as is. `parent_id`: NULL for none. `metadata_json`: a JSON
 * object (NULL: `{}`). `type_tag`: the serializer's tag (NULL: "").
 *
 * # Safety
 * The strings are NULL or NUL-terminated; `data` is NULL (then `len` is 0) or readable for `len`
 * bytes.
 */
enum agentdb_status agentdb_checkpoint_put(const struct agentdb_db *db,
                                           const char *thread_id,
                                           const char *namespace_,
                                           const char *checkpoint_id,
                                           const uint8_t *data,
                                           size_t len,
                                           const char *parent_id,
                                           const char *metadata_json,
                                           const char *type_tag);

/**
 * Reads checkpoint `checkpoint_id` of (thread, namespace), or with `checkpoint_id` NULL the latest
 * (greatest id), into a new `agentdb_checkpoints` (count 0 when there is none).
 *
 * # Safety
 * The strings are NULL or NUL-terminated; `out_checkpoints` is NULL or writable.
 */
enum agentdb_status agentdb_checkpoint_get(const struct agentdb_db *db,
                                           const char *thread_id,
                                           const char *namespace_,
                                           const char *checkpoint_id,
                                           struct agentdb_checkpoints **out_checkpoints);

/**
 * Lists checkpoints, newest (greatest id) first. Every filter may be NULL (no filter):
 * `thread_id`, `namespace_`, `before` (ids sorting before it), `metadata_json` (a JSON object:
 * checkpoints whose metadata has each key with an equal value). `limit` 0: no limit.
 *
 * # Safety
 * The strings are NULL or NUL-terminated; `out_checkpoints` is NULL or writable.
 */
enum agentdb_status agentdb_checkpoint_list(const struct agentdb_db *db,
                                            const char *thread_id,
                                            const char *namespace_,
                                            const char *before,
                                            size_t limit,
                                            const char *metadata_json,
                                            struct agentdb_checkpoints **out_checkpoints);

/**
 * Stores `n` pending writes of task `task_id` against a checkpoint, atomically. LangGraph's
 * rules: a write whose (task_id, idx) is stored already is ignored when `idx >= 0` and replaces
 * the stored one when `idx < 0`. `task_path` NULL: "". `n` is at most `AGENTDB_MAX_BATCH`,
 * checked before `writes` is read.
 *
 * # Safety
 * The strings are NULL or NUL-terminated; `writes` is NULL (then `n` is 0) or `n` readable
 * `agentdb_write`s whose pointers follow the same rules.
 */
enum agentdb_status agentdb_checkpoint_put_writes(const struct agentdb_db *db,
                                                  const char *thread_id,
                                                  const char *namespace_,
                                                  const char *checkpoint_id,
                                                  const char *task_id,
                                                  const char *task_path,
                                                  const struct agentdb_write *writes,
                                                  size_t n);

/**
 * The pending writes of a checkpoint, ordered by (task_path, task_id, idx), as a new
 * `agentdb_pending_writes`.
 *
 * # Safety
 * The strings are NULL or NUL-terminated; `out_writes` is NULL or writable.
 */
enum agentdb_status agentdb_checkpoint_get_writes(const struct agentdb_db *db,
                                                  const char *thread_id,
                                                  const char *namespace_,
                                                  const char *checkpoint_id,
                                                  struct agentdb_pending_writes **out_writes);

/**
 * Removes every checkpoint and pending write of a thread (all namespaces).
 *
 * # Safety
 * `thread_id` is NULL or NUL-terminated.
 */
enum agentdb_status agentdb_checkpoint_delete_thread(const struct agentdb_db *db,
                                                     const char *thread_id);

/**
 * Writes the number of checkpoints to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_checkpoints_count(const struct agentdb_checkpoints *checkpoints,
                                              size_t *out_count);

/**
 * Writes checkpoint `i` to `*out` (its strings and bytes live until `agentdb_checkpoints_free`).
 *
 * # Safety
 * `out` is NULL or writable.
 */
enum agentdb_status agentdb_checkpoints_get(const struct agentdb_checkpoints *checkpoints,
                                            size_t i,
                                            struct agentdb_checkpoint *out);

/**
 * Frees an `agentdb_checkpoints` (NULL: nothing).
 */
enum agentdb_status agentdb_checkpoints_free(struct agentdb_checkpoints *checkpoints);

/**
 * Writes the number of pending writes to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_pending_writes_count(const struct agentdb_pending_writes *writes,
                                                 size_t *out_count);

/**
 * Writes pending write `i` to `*out` (its strings and bytes live until
 * `agentdb_pending_writes_free`).
 *
 * # Safety
 * `out` is NULL or writable.
 */
enum agentdb_status agentdb_pending_writes_get(const struct agentdb_pending_writes *writes,
                                               size_t i,
                                               struct agentdb_pending_write *out);

/**
 * Frees an `agentdb_pending_writes` (NULL: nothing).
 */
enum agentdb_status agentdb_pending_writes_free(struct agentdb_pending_writes *writes);

/**
 * Opens RAG store `name` of `db`, creating it for `dim`-dimensional embeddings compared by
 * `metric` if it does not exist (an existing one must have the same dimension and metric), and
 * writes its handle to `*out_rag` (free it with `agentdb_rag_close`; NULL on failure). The chunks
 * live in the hidden collection `_agentdb_rag_<name>`; the same store is `db.rag(name)` in Python.
 *
 * Lifetime: the handle is valid until `agentdb_rag_close`, independently of the db handle.
 * `agentdb_db_close(db)` closes the database with every handle from it (there is no freeing a db
 * handle without closing it): calls on this handle then fail with `AGENTDB_CLOSED` ("the database
 * is closed"), and it must still be freed with `agentdb_rag_close`.
 *
 * # Safety
 * `name` is NULL or NUL-terminated; `out_rag` is NULL or writable.
 */
enum agentdb_status agentdb_rag_open_or_create(const struct agentdb_db *db,
                                               const char *name,
                                               size_t dim,
                                               agentdb_metric metric,
                                               struct agentdb_rag **out_rag);

/**
 * Opens an existing RAG store (its dimension and metric are stored); `AGENTDB_COLLECTION_NOT_FOUND`
 * if there is none.
 *
 * # Safety
 * As for `agentdb_rag_open_or_create`.
 */
enum agentdb_status agentdb_rag_open(const struct agentdb_db *db,
                                     const char *name,
                                     struct agentdb_rag **out_rag);

/**
 * Frees a RAG handle (the store stays in the database). Works before or after `agentdb_db_close` of
 * its database. NULL does nothing; freeing twice returns `AGENTDB_INVALID_HANDLE`.
 */
enum agentdb_status agentdb_rag_close(struct agentdb_rag *rag);

/**
 * Writes the store's embedding dimension to `*out_dim` and, if `out_metric` is not NULL, its
 * metric to `*out_metric`.
 *
 * # Safety
 * `out_dim` is NULL or writable; `out_metric` is NULL or writable.
 */
enum agentdb_status agentdb_rag_dim(const struct agentdb_rag *rag,
                                    size_t *out_dim,
                                    agentdb_metric *out_metric);

/**
 * The engine's chunking defaults (`ChunkOptions::default()`), `force` off, `struct_size` set.
 * Cannot fail.
 */
struct agentdb_ingest_options agentdb_ingest_options_default(void);

/**
 * Ingests `n` documents: each is hashed and skipped if stored unchanged (unless
 * `options->force`), else cut into chunks as `options` says (NULL: the engine's defaults, see
 * `agentdb_ingest_options_default`), embedded by one call of `embed`, and written; all changed
 * documents are replaced in one commit. Writes what happened to `*out_stats` if it is not NULL.
 *
 * `n` is at most `AGENTDB_MAX_BATCH`, and `docs` must not be NULL when `n > 0`
 * (`AGENTDB_NULL_POINTER`), both checked before `docs` is read; each document's `metadata_json`
 * is at most `AGENTDB_MAX_JSON_LEN` bytes. Chunk sizes out of range are the engine's
 * `AGENTDB_INVALID_ARGUMENT`.
 *
 * # Safety
 * `docs` is NULL or points to `n` readable `agentdb_rag_document`s whose strings are NULL or
 * NUL-terminated; `options` is NULL or a readable `agentdb_ingest_options`; `embed` follows the
 * contract of `agentdb_embed_fn`; `out_stats` is NULL or writable.
 */
enum agentdb_status agentdb_rag_ingest(const struct agentdb_rag *rag,
                                       const struct agentdb_rag_document *docs,
                                       size_t n,
                                       const struct agentdb_ingest_options *options,
                                       agentdb_embed_fn embed,
                                       void *user,
                                       struct agentdb_ingest_stats *out_stats);

/**
 * Deletes documents (all their chunks) by id (`n` at most `AGENTDB_MAX_BATCH`); writes the
 * number of chunks deleted to `*out_deleted` if it is not NULL.
 *
 * # Safety
 * `doc_ids` is NULL or points to `n` NUL-terminated strings; `out_deleted` is NULL or writable.
 */
enum agentdb_status agentdb_rag_delete(const struct agentdb_rag *rag,
                                       const char *const *doc_ids,
                                       size_t n,
                                       uint64_t *out_deleted);

/**
 * Sets the tokenizer of the RAG's text and hybrid search (as
 * `agentdb_memory_set_text_tokenizer`); kept with the store, the chunks' text index rebuilt with
 * it on the next search.
 *
 * # Safety
 * `tokenizer` NULL or NUL-terminated.
 */
enum agentdb_status agentdb_rag_set_text_tokenizer(const struct agentdb_rag *rag,
                                                   const char *tokenizer);

/**
 * Copies the name of the RAG's text tokenizer into `buf` (as `agentdb_memory_text_tokenizer`).
 *
 * # Safety
 * `buf` NULL or writable for `buf_len` bytes; `out_len` NULL or writable.
 */
enum agentdb_status agentdb_rag_text_tokenizer(const struct agentdb_rag *rag,
                                               char *buf,
                                               size_t buf_len,
                                               size_t *out_len);

/**
 * The engine's defaults for `agentdb_rag_search` (`RetrieveOptions::default()`), `struct_size`
 * set. Cannot fail.
 */
struct agentdb_rag_options agentdb_rag_search_options_default(void);

/**
 * The engine's defaults for `agentdb_rag_context` (`ContextOptions::default()`: its retrieval,
 * and its packing order), `struct_size` set. Cannot fail.
 */
struct agentdb_rag_options agentdb_rag_context_options_default(void);

/**
 * Retrieves chunks for a query: `query_text` (NUL-terminated; NULL for vector-only search) for
 * BM25 and `query_vector` (`dim` floats, the query's embedding, `dim` at most `AGENTDB_MAX_DIM`;
 * NULL for text-only) for vector similarity; hybrid needs both. The filter (SQL or JSON, as in
 * `agentdb_collection_get`) applies to both retrievers, over the chunk metadata (the document's metadata
 * plus `doc_id`, `source`, `position`, …). Writes the hits, best first, to a new `*out_hits`
 * (free with `agentdb_rag_hits_free`; NULL on failure).
 *
 * # Safety
 * `query_text`, `filter_sql`, `filter_json` are NULL or NUL-terminated; `query_vector` is NULL or
 * points to `dim` floats; `options` is NULL or a readable `agentdb_rag_options`; `out_hits` is
 * NULL or writable.
 */
enum agentdb_status agentdb_rag_search(const struct agentdb_rag *rag,
                                       const char *query_text,
                                       const float *query_vector,
                                       size_t dim,
                                       const struct agentdb_rag_options *options,
                                       const char *filter_sql,
                                       const char *filter_json,
                                       struct agentdb_rag_hits **out_hits);

/**
 * Packs the best chunks for a query into at most `max_tokens` tokens (the engine's token
 * approximation), ready to paste into a prompt: passages headed `[n] source § heading (chunk i)`,
 * grouped by document in reading order with overlapping chunks merged (unless
 * `options->score_order`). Query, options and filter as for `agentdb_rag_search` (`k` is the pool
 * of candidates; NULL options: `agentdb_rag_context_options_default()`). Writes a new `*out_context` (free with `agentdb_context_free`;
 * NULL on failure).
 *
 * # Safety
 * As for `agentdb_rag_search`; `out_context` is NULL or writable.
 */
enum agentdb_status agentdb_rag_context(const struct agentdb_rag *rag,
                                        const char *query_text,
                                        const float *query_vector,
                                        size_t dim,
                                        size_t max_tokens,
                                        const struct agentdb_rag_options *options,
                                        const char *filter_sql,
                                        const char *filter_json,
                                        struct agentdb_context **out_context);

/**
 * Writes the number of hits to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_rag_hits_count(const struct agentdb_rag_hits *hits, size_t *out_count);

/**
 * Fills `*out_hit` with hit `i` (0-based, best first).
 *
 * # Safety
 * `out_hit` is NULL or writable.
 */
enum agentdb_status agentdb_rag_hits_get(const struct agentdb_rag_hits *hits,
                                         size_t i,
                                         struct agentdb_rag_hit *out_hit);

/**
 * Frees search hits. NULL does nothing.
 */
enum agentdb_status agentdb_rag_hits_free(struct agentdb_rag_hits *hits);

/**
 * Writes the context text (NUL-terminated; empty when nothing matched) to `*out_text`, its length
 * in bytes to `*out_len` and its token count to `*out_tokens` (each out-pointer but `out_text`
 * may be NULL). Valid until `agentdb_context_free`.
 *
 * # Safety
 * `out_text` is NULL or writable; `out_len` and `out_tokens` are NULL or writable.
 */
enum agentdb_status agentdb_context_get_text(const struct agentdb_context *context,
                                             const char **out_text,
                                             size_t *out_len,
                                             size_t *out_tokens);

/**
 * Writes the number of passages (citations) of the context to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_context_count(const struct agentdb_context *context, size_t *out_count);

/**
 * Fills `*out_citation` with citation `i` (0-based; its `number` is `i + 1`).
 *
 * # Safety
 * `out_citation` is NULL or writable.
 */
enum agentdb_status agentdb_context_get(const struct agentdb_context *context,
                                        size_t i,
                                        struct agentdb_rag_citation *out_citation);

/**
 * Frees a context. NULL does nothing.
 */
enum agentdb_status agentdb_context_free(struct agentdb_context *context);

/**
 * Writes the report's text (NUL-terminated UTF-8: JSON for stats and health, the Prometheus
 * text exposition format for metrics) to `*out_text` and, if `out_len` is not NULL, its length
 * in bytes. Valid until `agentdb_report_free`.
 *
 * # Safety
 * `out_text` is NULL or writable; `out_len` is NULL or writable.
 */
enum agentdb_status agentdb_report_get_text(const struct agentdb_report *report,
                                            const char **out_text,
                                            size_t *out_len);

/**
 * Frees a report and its text. `agentdb_report_free(NULL)` does nothing and returns
 * `AGENTDB_OK`; freeing twice returns `AGENTDB_INVALID_HANDLE`.
 */
enum agentdb_status agentdb_report_free(struct agentdb_report *report);

/**
 * Writes the database's stats as a JSON report to `*out_report`: every table (rows, fragments,
 * Lance versions, bytes on disk; and buffers, mirror, caches and index of the collections open
 * in this process), the write-ahead log's size and flush lag (`null` when read-only), open
 * handles. Cheap: no row is read.
 *
 * # Safety
 * `out_report` is NULL or writable.
 */
enum agentdb_status agentdb_db_stats(const struct agentdb_db *db,
                                     struct agentdb_report **out_report);

/**
 * Writes the database's health as a JSON report to `*out_report`: `status` (`ok`, `degraded`,
 * `closed`), writable, log replay, background threads alive, the last storage error. No disk
 * access: cheap enough to call every second.
 *
 * # Safety
 * `out_report` is NULL or writable.
 */
enum agentdb_status agentdb_db_health(const struct agentdb_db *db,
                                      struct agentdb_report **out_report);

/**
 * Writes the database's metrics in the Prometheus text exposition format (0.0.4) as a report to
 * `*out_report`: per-operation call counters and latency histograms, errors by kind, gauges from
 * the stats. Every name starts with `agentdb_`.
 *
 * # Safety
 * `out_report` is NULL or writable.
 */
enum agentdb_status agentdb_db_metrics_text(const struct agentdb_db *db,
                                            struct agentdb_report **out_report);

/**
 * Turns the recording of metrics on or off for this database (on by default, off when the
 * environment has `AGENTDB_METRICS=off` at open). The counters keep what they had.
 */
enum agentdb_status agentdb_db_set_metrics_enabled(const struct agentdb_db *db, bool enabled);

/**
 * Writes the agent state's tables (a JSON array of stores, as in `agentdb_db_stats`) as a report
 * to `*out_report`.
 *
 * # Safety
 * `out_report` is NULL or writable.
 */
enum agentdb_status agentdb_state_stats(const struct agentdb_db *db,
                                        struct agentdb_report **out_report);

/**
 * Writes a collection's stats as a JSON report to `*out_report`: rows, fragments, versions and
 * bytes on disk from Lance's manifest, buffered writes, mirror, payload cache and index.
 *
 * # Safety
 * `out_report` is NULL or writable.
 */
enum agentdb_status agentdb_collection_stats(const struct agentdb_collection *collection,
                                             struct agentdb_report **out_report);

/**
 * Writes a memory store's stats as a JSON report to `*out_report`: the memories it holds, its
 * collection's figures and its background consolidation.
 *
 * # Safety
 * `out_report` is NULL or writable.
 */
enum agentdb_status agentdb_memory_stats(const struct agentdb_memory *memory,
                                         struct agentdb_report **out_report);

/**
 * Writes a RAG store's stats (its chunk collection's figures) as a JSON report to `*out_report`.
 *
 * # Safety
 * `out_report` is NULL or writable.
 */
enum agentdb_status agentdb_rag_stats(const struct agentdb_rag *rag,
                                      struct agentdb_report **out_report);

/**
 * Sets the callback that receives the engine's log records of level `max_level` and more severe
 * (`AGENTDB_LOG_ERROR` … `AGENTDB_LOG_TRACE`); a NULL `callback` or `AGENTDB_LOG_OFF` stops
 * logging. The callback runs on the thread that logs — often one of the engine's background
 * threads — so it and `user` must be safe to use from any thread; it should return quickly and
 * must not call `agentdb_log_set_callback`. One callback serves the whole process (the log
 * facade is global); setting another replaces it.
 *
 * Returns `AGENTDB_INVALID_ARGUMENT` for a level outside 0…5. When the program already installed
 * another Rust logger (a Rust program linking the library), the records go there instead and
 * this returns `AGENTDB_INVALID_ARGUMENT` with a message saying so.
 */
enum agentdb_status agentdb_log_set_callback(agentdb_log_fn callback,
                                             int32_t max_level,
                                             void *user);

/**
 * Writes store `name` (of `kind`, or `AGENTDB_STORE_ANY`) to the file `path` (Parquet if its
 * name ends in `.parquet`, else JSONL; created, or replaced whole once complete), every record as of one Lance version, and a report
 * `{"kind", "name", "records"}` to `*out_report` (NULL on failure). `progress` (may be NULL)
 * is called between batches.
 *
 * # Safety
 * `name` and `path` are NUL-terminated; `out_report` is NULL or writable; `progress`, if not
 * NULL, is a function of that type.
 */
enum agentdb_status agentdb_db_export_store(const struct agentdb_db *db,
                                            const char *name,
                                            int32_t kind,
                                            const char *path,
                                            agentdb_progress_fn progress,
                                            void *user,
                                            struct agentdb_report **out_report);

/**
 * Creates a store from the export `path` (JSONL or Parquet, told apart by content), named as in the file or `name` (NULL:
 * the file's), and writes a report `{"kind", "name", "records"}` to `*out_report`. The store
 * must not exist (`AGENTDB_COLLECTION_EXISTS`); on any error it is dropped again, so a failed
 * import leaves nothing. A malformed line (row) is `AGENTDB_INVALID_ARGUMENT` naming it.
 *
 * # Safety
 * `path` is NUL-terminated; `name` is NULL or NUL-terminated; `out_report` is NULL or
 * writable; `progress`, if not NULL, is a function of that type.
 */
enum agentdb_status agentdb_db_import_store(const struct agentdb_db *db,
                                            const char *path,
                                            const char *name,
                                            agentdb_progress_fn progress,
                                            void *user,
                                            struct agentdb_report **out_report);

/**
 * Creates collection `name` (NULL: the table's name) from table `table` of the LanceDB database
 * at `uri` (a directory), and writes a report `{"kind", "name", "records"}` to `*out_report`:
 * ids from `id_column` (NULL: `"id"`; integers become text), vectors from `vector_column`
 * (NULL: `"vector"`, a fixed-size list of floats), documents from `text_column` (NULL: none),
 * and as metadata keys the `n_metadata_columns` names in `metadata_columns` (NULL: every other
 * column). All or nothing.
 *
 * # Safety
 * `uri` and `table` are NUL-terminated; `name`, `id_column`, `vector_column`, `text_column` are
 * NULL or NUL-terminated; `metadata_columns` is NULL or holds `n_metadata_columns`
 * NUL-terminated strings; `out_report` is NULL or writable; `progress`, if not NULL, is a
 * function of that type.
 */
enum agentdb_status agentdb_db_import_lance_table(const struct agentdb_db *db,
                                                  const char *uri,
                                                  const char *table,
                                                  const char *name,
                                                  const char *id_column,
                                                  const char *vector_column,
                                                  const char *text_column,
                                                  const char *const *metadata_columns,
                                                  size_t n_metadata_columns,
                                                  agentdb_metric metric,
                                                  agentdb_progress_fn progress,
                                                  void *user,
                                                  struct agentdb_report **out_report);

/**
 * Creates collection `name` (NULL: the same name) from collection `collection` of the Chroma
 * `PersistentClient` directory `path`, read by the engine from Chroma's own files (its SQLite
 * database and HNSW segment; the directory is not changed, chromadb is not needed), and writes a
 * report `{"kind", "name", "records"}` to `*out_report`: ids, vectors (as Chroma's `get`
 * returns them), documents, metadata and creation times, with the metric of its space (`l2`,
 * `cosine`, `ip` → dot). All or nothing. `AGENTDB_COLLECTION_NOT_FOUND`: no such Chroma
 * collection; `AGENTDB_INVALID_ARGUMENT`: not a Chroma directory, a newer Chroma format, an
 * empty collection; `AGENTDB_STORAGE`: a damaged file.
 *
 * # Safety
 * `path` and `collection` are NUL-terminated; `name` is NULL or NUL-terminated; `out_report` is
 * NULL or writable; `progress`, if not NULL, is a function of that type.
 */
enum agentdb_status agentdb_db_import_chroma(const struct agentdb_db *db,
                                             const char *path,
                                             const char *collection,
                                             const char *name,
                                             agentdb_progress_fn progress,
                                             void *user,
                                             struct agentdb_report **out_report);

/**
 * Backs the database up into directory `dest` (NUL-terminated UTF-8; created if missing) as a new
 * restorable point, while other threads keep writing: every write acknowledged before the call is
 * in the point, and none is half in. With `incremental`, files that earlier points of `dest`
 * already hold are not copied again. Fills `*out_point` (NULL: not wanted).
 * `AGENTDB_INVALID_ARGUMENT` when `dest` is not empty and not a backup directory.
 *
 * # Safety
 * `dest` is NULL or a NUL-terminated string; `out_point` is NULL or writable.
 */
enum agentdb_status agentdb_db_backup(const struct agentdb_db *db,
                                      const char *dest,
                                      bool incremental,
                                      struct agentdb_backup_point *out_point);

/**
 * Restores point `at` (0: the latest) of the backup directory `src` into `path`, a directory that
 * must not exist or be empty, checking every file against the SHA-256 its point recorded. Fills
 * `*out_point` (NULL: not wanted). `AGENTDB_STORAGE` when a file is missing or damaged (nothing is
 * left in `path`); `AGENTDB_INVALID_ARGUMENT` when `src` is not a backup, has no point `at`, or
 * `path` is not empty.
 *
 * # Safety
 * `src` and `path` are NULL or NUL-terminated strings; `out_point` is NULL or writable.
 */
enum agentdb_status agentdb_restore(const char *src,
                                    const char *path,
                                    uint64_t at,
                                    struct agentdb_backup_point *out_point);

/**
 * Verifies the database: every table's manifests and fragments (each fragment of the current
 * version read whole), the write-ahead log's checksums, and the saved index files against their
 * tables' Lance versions. Writes the problems found to `*out_problems` (none: the database is
 * sound); free it with `agentdb_problems_free`. Nothing is changed unless `repair`, which rebuilds
 * what can be rebuilt (index files, leftover backup tags) and marks it repaired;
 * `AGENTDB_READ_ONLY` for `repair` on a read-only database. On failure `*out_problems` is NULL.
 *
 * # Safety
 * `out_problems` is NULL or writable.
 */
enum agentdb_status agentdb_db_verify(const struct agentdb_db *db,
                                      bool repair,
                                      struct agentdb_problems **out_problems);

/**
 * Writes the number of problems to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_problems_count(const struct agentdb_problems *problems,
                                           size_t *out_count);

/**
 * Fills `*out` with problem `i`.
 *
 * # Safety
 * `out` is NULL or writable.
 */
enum agentdb_status agentdb_problems_get(const struct agentdb_problems *problems,
                                         size_t i,
                                         struct agentdb_problem *out);

/**
 * Writes what the verification looked at: tables, files and rows read (each NULL: not wanted).
 *
 * # Safety
 * Each out pointer is NULL or writable.
 */
enum agentdb_status agentdb_problems_checked(const struct agentdb_problems *problems,
                                             uint64_t *out_tables,
                                             uint64_t *out_files,
                                             uint64_t *out_rows);

/**
 * Frees an `agentdb_problems` (NULL: nothing).
 */
enum agentdb_status agentdb_problems_free(struct agentdb_problems *problems);

/**
 * Writes the points of the backup directory `src` as a JSON report to `*out_report`: an array,
 * oldest first, of `{"seq", "time_micros", "incremental", "tables": {table: Lance version},
 * "files", "bytes", "copied_files", "copied_bytes"}` (`files`/`bytes`: what a restore of the
 * point writes). `AGENTDB_INVALID_ARGUMENT` when `src` is not a backup directory.
 *
 * # Safety
 * `src` is NULL or a NUL-terminated string; `out_report` is NULL or writable.
 */
enum agentdb_status agentdb_list_backups(const char *src, struct agentdb_report **out_report);

/**
 * The backup retention setting: keeps the newest `keep` points (at least 1) of the backup
 * directory `dest`, removes the older ones and deletes the copied files no remaining point names
 * (files a kept incremental point shares stay), and writes what it removed as a JSON report to
 * `*out_report`: `{"removed_points": [seq, ...], "removed_files", "freed_bytes"}`. Crash-safe:
 * point records go before any file. `AGENTDB_INVALID_ARGUMENT` when `keep` is 0 or `dest` is not
 * a backup directory; `AGENTDB_DATABASE_LOCKED` while a backup or prune writes into `dest`.
 *
 * # Safety
 * `dest` is NULL or a NUL-terminated string; `out_report` is NULL or writable.
 */
enum agentdb_status agentdb_prune_backups(const char *dest,
                                          uint64_t keep,
                                          struct agentdb_report **out_report);

/**
 * Checks every file of point `at` (0: the latest) of the backup directory `src` against the
 * size and SHA-256 its point recorded, changing nothing, and writes the problems as a JSON
 * report to `*out_report`: an array of `{"path", "problem"}`, empty when the point is sound.
 *
 * # Safety
 * `src` is NULL or a NUL-terminated string; `out_report` is NULL or writable.
 */
enum agentdb_status agentdb_verify_backup(const char *src,
                                          uint64_t at,
                                          struct agentdb_report **out_report);

/**
 * The default query (see `agentdb_graph_query`).
 */
struct agentdb_graph_query agentdb_graph_query_default(void);

/**
 * Opens knowledge graph `name` of `db`, creating it if it does not exist, and writes its handle
 * to `*out_graph` (free it with `agentdb_graph_close`; NULL on failure). `dim` is the dimension
 * of entity embeddings, fixed when the graph is created (0: no embeddings for a new graph, any
 * for an existing one; an existing graph with another is `AGENTDB_DIMENSION_MISMATCH`).
 *
 * # Safety
 * `name` is NULL or NUL-terminated; `out_graph` is NULL or writable.
 */
enum agentdb_status agentdb_graph_open(const struct agentdb_db *db,
                                       const char *name,
                                       size_t dim,
                                       struct agentdb_graph **out_graph);

/**
 * Frees a graph handle (the graph stays in the database). NULL does nothing.
 */
enum agentdb_status agentdb_graph_close(struct agentdb_graph *graph);

/**
 * Deletes knowledge graph `name` and everything in it (`AGENTDB_COLLECTION_NOT_FOUND` if absent).
 *
 * # Safety
 * `name` is NULL or NUL-terminated.
 */
enum agentdb_status agentdb_graph_drop(const struct agentdb_db *db, const char *name);

/**
 * Writes the names of the knowledge graphs of `db`, sorted, to `*out_names` (free with
 * `agentdb_strings_free`).
 *
 * # Safety
 * `out_names` is NULL or writable.
 */
enum agentdb_status agentdb_graph_list(const struct agentdb_db *db,
                                       struct agentdb_strings **out_names);

/**
 * Adds an entity, or replaces the one with id `id` (NULL: a new id), and writes its id to
 * `*out_id` as a one-string `agentdb_strings` (NULL `out_id`: not returned). `type_` and
 * `metadata_json` (a JSON object) may be NULL; `aliases` holds `n_aliases` strings; `embedding`
 * holds `dim` floats (NULL / 0: none).
 *
 * # Safety
 * Strings NULL or NUL-terminated; `aliases` NULL or `n_aliases` strings; `embedding` NULL or
 * `dim` floats; `out_id` NULL or writable.
 */
enum agentdb_status agentdb_graph_add_entity(const struct agentdb_graph *graph,
                                             const char *id,
                                             const char *name,
                                             const char *type_,
                                             const char *const *aliases,
                                             size_t n_aliases,
                                             const float *embedding,
                                             size_t dim,
                                             const char *metadata_json,
                                             struct agentdb_strings **out_id);

/**
 * Declares whether `predicate` is single-valued (a new fact on it closes the one it contradicts).
 *
 * # Safety
 * `predicate` is NULL or NUL-terminated.
 */
enum agentdb_status agentdb_graph_declare_predicate(const struct agentdb_graph *graph,
                                                    const char *predicate,
                                                    bool single_valued);

/**
 * Adds a fact `subject predicate object` (the object an entity id when `object_is_entity`, else
 * a literal), valid from `valid_from_us` (if `has_valid_from`, else from now) to `valid_to_us`
 * (if `has_valid_to`), taken from the memories `sources` (`n_sources`), with `confidence` (a
 * negative value: the default, 1). Writes its id to `*out_id` (as for `agentdb_graph_add_entity`).
 *
 * # Safety
 * Strings NUL-terminated; `sources` NULL or `n_sources` strings; `out_id` NULL or writable.
 */
enum agentdb_status agentdb_graph_add_fact(const struct agentdb_graph *graph,
                                           const char *subject,
                                           const char *predicate,
                                           const char *object,
                                           bool object_is_entity,
                                           bool has_valid_from,
                                           int64_t valid_from_us,
                                           bool has_valid_to,
                                           int64_t valid_to_us,
                                           const char *const *sources,
                                           size_t n_sources,
                                           double confidence,
                                           struct agentdb_strings **out_id);

/**
 * Ends fact `fact_id`'s validity at `at_us` (if `has_at`, else now), as a new version; writes
 * that version to `*out_facts` (one fact; NULL: not returned).
 *
 * # Safety
 * `fact_id` NUL-terminated; `out_facts` NULL or writable.
 */
enum agentdb_status agentdb_graph_invalidate(const struct agentdb_graph *graph,
                                             const char *fact_id,
                                             bool has_at,
                                             int64_t at_us,
                                             struct agentdb_graph_facts **out_facts);

/**
 * Corrects fact `fact_id` (it was recorded wrong): a new version with the object (if `object`
 * is not NULL), `valid_from` (if `has_valid_from`), `valid_to` (per `valid_to_mode`:
 * `AGENTDB_GRAPH_KEEP`, `_SET` or `_REOPEN`), sources (if `sources` is not NULL) and confidence
 * (if not negative) changed; the old version stays. Writes the new version to `*out_facts`.
 *
 * # Safety
 * Strings NULL or NUL-terminated; `sources` NULL or `n_sources` strings; `out_facts` NULL or
 * writable.
 */
enum agentdb_status agentdb_graph_correct(const struct agentdb_graph *graph,
                                          const char *fact_id,
                                          const char *object,
                                          bool object_is_entity,
                                          bool has_valid_from,
                                          int64_t valid_from_us,
                                          int32_t valid_to_mode,
                                          int64_t valid_to_us,
                                          const char *const *sources,
                                          size_t n_sources,
                                          double confidence,
                                          struct agentdb_graph_facts **out_facts);

/**
 * The facts about entity `entity_id` that `query` selects (NULL: the default query), ordered by
 * valid_from, to `*out_facts` (free with `agentdb_graph_facts_free`).
 *
 * # Safety
 * `entity_id` NUL-terminated; `query` NULL or a query from `agentdb_graph_query_default()`;
 * `out_facts` NULL or writable.
 */
enum agentdb_status agentdb_graph_get_facts(const struct agentdb_graph *graph,
                                            const char *entity_id,
                                            const struct agentdb_graph_query *query,
                                            struct agentdb_graph_facts **out_facts);

/**
 * Every version of fact `fact_id`, oldest first (none: no such fact), to `*out_facts`.
 *
 * # Safety
 * `fact_id` NUL-terminated; `out_facts` NULL or writable.
 */
enum agentdb_status agentdb_graph_fact_history(const struct agentdb_graph *graph,
                                               const char *fact_id,
                                               struct agentdb_graph_facts **out_facts);

/**
 * The entities within `hops` facts of `entity_id` (following facts between entities that
 * `query` selects), nearest first, to `*out_neighbors` (free with `agentdb_graph_neighbors_free`).
 *
 * # Safety
 * As for `agentdb_graph_get_facts`.
 */
enum agentdb_status agentdb_graph_get_neighbors(const struct agentdb_graph *graph,
                                                const char *entity_id,
                                                size_t hops,
                                                const struct agentdb_graph_query *query,
                                                struct agentdb_graph_neighbors **out_neighbors);

/**
 * A shortest chain of facts from `from_id` to `to_id` in at most `max_hops` (0: the most the
 * engine allows), to `*out_facts`; `*out_found` says whether there is one (false: `*out_facts`
 * is an empty list). From an entity to itself: found, no facts.
 *
 * # Safety
 * As for `agentdb_graph_get_facts`; `out_found` NULL or writable.
 */
enum agentdb_status agentdb_graph_shortest_path(const struct agentdb_graph *graph,
                                                const char *from_id,
                                                const char *to_id,
                                                size_t max_hops,
                                                const struct agentdb_graph_query *query,
                                                bool *out_found,
                                                struct agentdb_graph_facts **out_facts);

/**
 * The facts about the entities `text` mentions (names or aliases as whole words, ignoring
 * case), valid at `as_of_us` (if `has_as_of`, else now), at most `limit` (0: the engine's
 * default), each with its source memory ids, to `*out_facts`.
 *
 * # Safety
 * `text` NUL-terminated; `out_facts` NULL or writable.
 */
enum agentdb_status agentdb_graph_get_facts_for_text(const struct agentdb_graph *graph,
                                                     const char *text,
                                                     bool has_as_of,
                                                     int64_t as_of_us,
                                                     size_t limit,
                                                     struct agentdb_graph_facts **out_facts);

/**
 * The entity `entity_id` (a list of one, or none) to `*out_entities`.
 *
 * # Safety
 * `entity_id` NUL-terminated; `out_entities` NULL or writable.
 */
enum agentdb_status agentdb_graph_get_entity(const struct agentdb_graph *graph,
                                             const char *entity_id,
                                             struct agentdb_graph_entities **out_entities);

/**
 * Entities by `text` (NULL: none), by `vector` (`dim` floats; NULL / 0: none) or both, best
 * first, at most `k` (0: the engine's default), of type `type_` only (NULL: any), with their
 * scores, to `*out_entities`. Exact names and aliases: `agentdb_graph_find_entities`.
 *
 * # Safety
 * Strings NULL or NUL-terminated; `vector` NULL or `dim` floats; `out_entities` NULL or writable.
 */
enum agentdb_status agentdb_graph_search_entities(const struct agentdb_graph *graph,
                                                  const char *text,
                                                  const float *vector,
                                                  size_t dim,
                                                  size_t k,
                                                  const char *type_,
                                                  struct agentdb_graph_entities **out_entities);

/**
 * The entities whose name or an alias is `name` (ignoring case), to `*out_entities` (score 1).
 *
 * # Safety
 * `name` NUL-terminated; `out_entities` NULL or writable.
 */
enum agentdb_status agentdb_graph_find_entities(const struct agentdb_graph *graph,
                                                const char *name,
                                                struct agentdb_graph_entities **out_entities);

/**
 * Writes how many entities and facts (each fact once) the graph holds.
 *
 * # Safety
 * `out_entities` and `out_facts` NULL or writable.
 */
enum agentdb_status agentdb_graph_count(const struct agentdb_graph *graph,
                                        size_t *out_entities,
                                        size_t *out_facts);

/**
 * Writes what is buffered to Lance now (the database does this about every second).
 */
enum agentdb_status agentdb_graph_flush(const struct agentdb_graph *graph);

/**
 * Writes the number of facts to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_graph_facts_count(const struct agentdb_graph_facts *facts,
                                              size_t *out_count);

/**
 * Writes fact `i` to `*out`.
 *
 * # Safety
 * `out` is NULL or writable.
 */
enum agentdb_status agentdb_graph_facts_get(const struct agentdb_graph_facts *facts,
                                            size_t i,
                                            struct agentdb_graph_fact *out);

/**
 * Writes source memory id `j` of fact `i` to `*out` (it lives until the free).
 *
 * # Safety
 * `out` is NULL or writable.
 */
enum agentdb_status agentdb_graph_facts_source(const struct agentdb_graph_facts *facts,
                                               size_t i,
                                               size_t j,
                                               const char **out);

/**
 * Frees an `agentdb_graph_facts` (NULL: nothing).
 */
enum agentdb_status agentdb_graph_facts_free(struct agentdb_graph_facts *facts);

/**
 * Writes the number of entities to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_graph_entities_count(const struct agentdb_graph_entities *entities,
                                                 size_t *out_count);

/**
 * Writes entity `i` to `*out`.
 *
 * # Safety
 * `out` is NULL or writable.
 */
enum agentdb_status agentdb_graph_entities_get(const struct agentdb_graph_entities *entities,
                                               size_t i,
                                               struct agentdb_graph_entity *out);

/**
 * Writes alias `j` of entity `i` to `*out`.
 *
 * # Safety
 * `out` is NULL or writable.
 */
enum agentdb_status agentdb_graph_entities_alias(const struct agentdb_graph_entities *entities,
                                                 size_t i,
                                                 size_t j,
                                                 const char **out);

/**
 * Frees an `agentdb_graph_entities` (NULL: nothing).
 */
enum agentdb_status agentdb_graph_entities_free(struct agentdb_graph_entities *entities);

/**
 * Writes the number of neighbours to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_graph_neighbors_count(const struct agentdb_graph_neighbors *neighbors,
                                                  size_t *out_count);

/**
 * Writes neighbour `i` to `*out`.
 *
 * # Safety
 * `out` is NULL or writable.
 */
enum agentdb_status agentdb_graph_neighbors_get(const struct agentdb_graph_neighbors *neighbors,
                                                size_t i,
                                                struct agentdb_graph_neighbor *out);

/**
 * Frees an `agentdb_graph_neighbors` (NULL: nothing).
 */
enum agentdb_status agentdb_graph_neighbors_free(struct agentdb_graph_neighbors *neighbors);

/**
 * The engine's hybrid defaults (`HybridOptions::default()`), `struct_size` set. Cannot fail.
 */
struct agentdb_hybrid_options agentdb_hybrid_options_default(void);

/**
 * The `k` records whose document best matches `query` by BM25, best first, among those matching
 * the filter (as in `agentdb_collection_get`). Writes a new `agentdb_scored_hits` to `*out_hits`
 * (free it with `agentdb_scored_hits_free`; NULL on failure). Each hit's `score` and `bm25` are
 * its BM25 score and `text_rank` its rank; `vector_rank` is 0. Records without a document never
 * match; an empty collection gives no hits. The full-text index is built on the first call and
 * brought up to date by each later one. An empty `query` is `AGENTDB_INVALID_ARGUMENT`.
 *
 * # Safety
 * `query` is NULL or NUL-terminated; `filter_sql` and `filter_json` are NULL or NUL-terminated;
 * `out_hits` is NULL or writable.
 */
enum agentdb_status agentdb_collection_text_search(const struct agentdb_collection *collection,
                                                   const char *query,
                                                   size_t k,
                                                   const char *filter_sql,
                                                   const char *filter_json,
                                                   struct agentdb_scored_hits **out_hits);

/**
 * The `k` best records by both the `dim` floats at `vector` (nearest-neighbour search) and
 * `text` (BM25), fused as `options` say (NULL: the defaults, reciprocal-rank fusion), among those
 * matching the filter, applied to both sides before ranking. Writes a new `agentdb_scored_hits`
 * to `*out_hits` (NULL on failure): `score` is the fused score, and each side's rank and raw
 * score are filled where that side returned the hit (rank 0 and NaN where not).
 *
 * # Safety
 * `vector` is NULL or points to `dim` floats; `text`, `filter_sql` and `filter_json` are NULL or
 * NUL-terminated; `options` is NULL or points to a readable `agentdb_hybrid_options`;
 * `out_hits` is NULL or writable.
 */
enum agentdb_status agentdb_collection_hybrid_search(const struct agentdb_collection *collection,
                                                     const float *vector,
                                                     size_t dim,
                                                     const char *text,
                                                     size_t k,
                                                     const char *filter_sql,
                                                     const char *filter_json,
                                                     const struct agentdb_hybrid_options *options,
                                                     struct agentdb_scored_hits **out_hits);

/**
 * Sets the tokenizer of the collection's text and hybrid search (the names of
 * `agentdb_memory_set_text_tokenizer`: `"simple"`, `"icu"`, `"ngram"`, `"ngram:N"`,
 * `"ngram:MIN-MAX"`); kept with the collection, its documents' full-text index rebuilt with it on
 * the next text search. `AGENTDB_INVALID_ARGUMENT` for another name (nothing changes),
 * `AGENTDB_READ_ONLY` on a read-only database.
 *
 * # Safety
 * `tokenizer` NULL or NUL-terminated.
 */
enum agentdb_status agentdb_collection_set_text_tokenizer(const struct agentdb_collection *collection,
                                                          const char *tokenizer);

/**
 * Copies the name of the collection's text tokenizer into `buf` (as
 * `agentdb_memory_text_tokenizer`: NUL-terminated, 16 bytes always suffice, `*out_len` set even
 * when the buffer is too small).
 *
 * # Safety
 * `buf` NULL or writable for `buf_len` bytes; `out_len` NULL or writable.
 */
enum agentdb_status agentdb_collection_text_tokenizer(const struct agentdb_collection *collection,
                                                      char *buf,
                                                      size_t buf_len,
                                                      size_t *out_len);

/**
 * Writes the number of hits to `*out_count`.
 *
 * # Safety
 * `out_count` is NULL or writable.
 */
enum agentdb_status agentdb_scored_hits_count(const struct agentdb_scored_hits *hits,
                                              size_t *out_count);

/**
 * Fills `*out_hit` with hit `i` (0-based, best first).
 *
 * # Safety
 * `out_hit` is NULL or writable.
 */
enum agentdb_status agentdb_scored_hits_get(const struct agentdb_scored_hits *hits,
                                            size_t i,
                                            struct agentdb_scored_hit *out_hit);

/**
 * Frees the hits of a text or hybrid search. NULL does nothing.
 */
enum agentdb_status agentdb_scored_hits_free(struct agentdb_scored_hits *hits);

/**
 * Makes a new token, not cancelled, in `*out_token`; free it with `agentdb_cancel_token_free`.
 *
 * # Safety
 * `out_token` is NULL or writable.
 */
enum agentdb_status agentdb_cancel_token_new(struct agentdb_cancel_token **out_token);

/**
 * Cancels the token: every call on a thread it is attached to stops at its next safe point with
 * `AGENTDB_CANCELLED`, and so does every later long call there until `agentdb_cancel_token_reset`.
 * Callable from any thread, also while the long call runs (that is its purpose); idempotent.
 */
enum agentdb_status agentdb_cancel_token_cancel(const struct agentdb_cancel_token *token);

/**
 * Clears a cancelled token so it can serve another call.
 */
enum agentdb_status agentdb_cancel_token_reset(const struct agentdb_cancel_token *token);

/**
 * Writes 1 to `*out_cancelled` if the token was cancelled (and not reset since), else 0.
 *
 * # Safety
 * `out_cancelled` is NULL or writable.
 */
enum agentdb_status agentdb_cancel_token_is_cancelled(const struct agentdb_cancel_token *token,
                                                      int32_t *out_cancelled);

/**
 * Attaches the token to the calling thread, replacing any token attached there: the calls this
 * thread makes from now on observe it, until `agentdb_cancel_token_detach`. The token stays
 * attached (and alive) even if its handle is freed meanwhile.
 */
enum agentdb_status agentdb_cancel_token_attach(const struct agentdb_cancel_token *token);

/**
 * Detaches whatever token is attached to the calling thread (none attached: nothing to do).
 */
enum agentdb_status agentdb_cancel_token_detach(void);

/**
 * Frees a token. `agentdb_cancel_token_free(NULL)` does nothing and returns `AGENTDB_OK`;
 * freeing twice returns `AGENTDB_INVALID_HANDLE`. A thread it is still attached to keeps
 * observing it until detached.
 */
enum agentdb_status agentdb_cancel_token_free(struct agentdb_cancel_token *token);

/**
 * Writes the process-wide search counters to `*out` (see `agentdb_search_counters`).
 * `out->struct_size` below the first version's size is `AGENTDB_INVALID_ARGUMENT`.
 *
 * # Safety
 * `out` is NULL or points to a writable `agentdb_search_counters` of at least `out->struct_size`
 * bytes whose `struct_size` is set.
 */
enum agentdb_status agentdb_search_counters_get(struct agentdb_search_counters *out);

/**
 * Sets the process-wide search counters to zero. Cannot fail.
 */
enum agentdb_status agentdb_search_counters_reset(void);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* AGENTDB_H */
