//! AgentDB for Zig: an idiomatic layer over the C ABI (`include/agentdb.h`, `libagentdb`).
//!
//! It translates and adds no logic: status codes become the error set `Error` (the message of the
//! last failure on the calling thread is `lastError()`), pointer + length pairs become slices, and
//! results are copied into memory owned by the caller's allocator. Every `open`/`create…`/`get…`
//! and every call returning owned data pairs with a `deinit`.
//!
//! ```zig
//! var db = try agentdb.Database.open("/tmp/my-db");
//! defer db.deinit();
//! var docs = try db.openOrCreateCollection("docs", .{ .dim = 3, .metric = .cosine });
//! defer docs.deinit();
//! try docs.add(gpa, .{ .ids = &.{ "a", "b" }, .vectors = &.{ 1, 0, 0, 0, 1, 0 }, .dim = 3 });
//! var hits = try docs.search(gpa, &.{ 1, 0.1, 0 }, .{ .k = 5, .filter = .{ .sql = "lang = 'en'" } });
//! defer hits.deinit();
//! for (hits.hits()) |h| std.debug.print("{s} {d}\n", .{ h.id, h.distance });
//!
//! try docs.createIndex(.{}); // HNSW with the engine's parameters; persists, follows writes
//! var fast = try docs.search(gpa, &.{ 1, 0.1, 0 }, .{ .k = 5, .ef = 128 }); // .exact, .threads, .ids_only, .omit_documents
//! defer fast.deinit();
//! ```
//!
//! Style (after TigerBeetle's): every call that allocates takes the allocator, nothing else
//! allocates; options are structs whose unset (null) fields take the engine's defaults, read from
//! the C `*_options_default()` functions (no default is written down in this layer); lengths are
//! checked before anything is allocated or C is called, and what C guarantees is asserted.
//!
//! Threads: as in C, every handle may be used from several threads at once; `lastError()` is per
//! thread. Do not `deinit` a handle while another thread still uses it.

const std = @import("std");
const Allocator = std.mem.Allocator;

/// The raw C API, for anything this layer does not cover.
pub const c = @cImport(@cInclude("agentdb.h"));

/// RAG stores: ingest, hybrid retrieval, prompt contexts (see `rag.zig`).
pub const rag = @import("rag.zig");

/// Agent state: versioned JSON values with history, time travel and TTL; checkpoints with
/// pending writes (see `state.zig`).
pub const state = @import("state.zig");

/// Agent memory: remember, recall by similarity, recency and importance, forget and
/// consolidate (see `memory.zig`).
pub const memory = @import("memory.zig");

/// Operations: stats, health and metrics of a database and its stores, and the log callback
/// (see `ops.zig`).
pub const ops = @import("ops.zig");

/// Export and import of stores to and from JSONL files (see `transfer.zig`).
pub const transfer = @import("transfer.zig");
/// Backup, restore and verify (see `admin.zig`).
pub const admin = @import("admin.zig");
/// Temporal knowledge graphs: entities and bi-temporal facts, traversal, entity search (see
/// `graph.zig`).
pub const graph = @import("graph.zig");
/// Full-text (BM25) and hybrid search of a collection (see `text_search.zig`).
pub const text_search = @import("text_search.zig");
/// The process-wide search counters: graph walks, distances, bytes, filter reuse (see
/// `search_counters.zig`).
pub const search_counters = @import("search_counters.zig");
/// Cancelling long calls from another thread (see `cancel.zig`).
pub const cancel = @import("cancel.zig");

/// One error per `agentdb_status` code (see `include/agentdb.h`).
pub const Error = error{
    InvalidArgument,
    InvalidName,
    CollectionNotFound,
    CollectionExists,
    DimensionMismatch,
    DuplicateId,
    InvalidVector,
    InvalidMetadata,
    InvalidFilter,
    Closed,
    Storage,
    Internal,
    NullPointer,
    InvalidUtf8,
    InvalidHandle,
    Panic,
    /// Another writer has the database open for writing (open it read-only, or close that writer).
    DatabaseLocked,
    /// A write on a database opened read-only.
    ReadOnly,
    /// A long call was cancelled through its thread's `cancel.CancelToken`, its work undone.
    Cancelled,
    /// A status code this version of the Zig layer does not know.
    Unknown,
};

/// The errors of calls that also allocate with the caller's allocator.
pub const AllocError = Error || Allocator.Error;

// ---------------------------------------------------------------------------------------------
// Limits (the C ABI's, see `AGENTDB_MAX_*` in agentdb.h). This layer checks every length it
// passes to C against them and against the slices it was given, before it allocates or calls C:
// a bad length is a Zig error here (`lastError()` is then not updated) and never reaches C.
// ---------------------------------------------------------------------------------------------

/// The most items one call takes (records, ids, memories, queries, keys, writes, documents).
pub const max_batch: usize = c.AGENTDB_MAX_BATCH;
/// The largest `k` of a search, recall or RAG retrieval.
pub const max_k: usize = c.AGENTDB_MAX_K;
/// The largest vector dimension.
pub const max_dim: usize = c.AGENTDB_MAX_DIM;
/// The longest id a write may give, in bytes.
pub const max_id_len: usize = c.AGENTDB_MAX_ID_LEN;
/// The largest JSON text argument, in bytes.
pub const max_json_len: usize = c.AGENTDB_MAX_JSON_LEN;

/// A batch of `n` items: at most `max_batch` (`error.InvalidArgument`).
pub fn checkBatch(n: usize) Error!void {
    if (n > max_batch) return error.InvalidArgument;
}

/// A `k`: 1 to `max_k` (`error.InvalidArgument`).
pub fn checkK(k: usize) Error!void {
    if (k == 0 or k > max_k) return error.InvalidArgument;
}

/// A vector dimension: at most `max_dim` (`error.DimensionMismatch`: no store has a larger one).
pub fn checkDim(d: usize) Error!void {
    if (d > max_dim) return error.DimensionMismatch;
}

/// The number of rows of `dim` floats in `values`, for a batch call: `values.len` must be whole
/// rows (`error.InvalidArgument`), `dim` at most `max_dim`, the rows at most `max_batch`, and a
/// `dim` of 0 has no rows.
pub fn rowsOf(values: []const f32, dim: usize) Error!usize {
    try checkDim(dim);
    if (dim == 0) return if (values.len == 0) 0 else error.InvalidArgument;
    if (values.len % dim != 0) return error.InvalidArgument;
    const rows = values.len / dim;
    try checkBatch(rows);
    std.debug.assert(rows * dim == values.len);
    return rows;
}

/// `rows * dim` values, or `error.InvalidArgument` when the product overflows (it is then not
/// the length of any slice).
pub fn valuesFor(rows: usize, dim: usize) Error!usize {
    return std.math.mul(usize, rows, dim) catch error.InvalidArgument;
}

/// Turns an `agentdb_status` into an error.
pub fn check(status: c.agentdb_status) Error!void {
    return switch (status) {
        c.AGENTDB_OK => {},
        c.AGENTDB_INVALID_ARGUMENT => error.InvalidArgument,
        c.AGENTDB_INVALID_NAME => error.InvalidName,
        c.AGENTDB_COLLECTION_NOT_FOUND => error.CollectionNotFound,
        c.AGENTDB_COLLECTION_EXISTS => error.CollectionExists,
        c.AGENTDB_DIMENSION_MISMATCH => error.DimensionMismatch,
        c.AGENTDB_DUPLICATE_ID => error.DuplicateId,
        c.AGENTDB_INVALID_VECTOR => error.InvalidVector,
        c.AGENTDB_INVALID_METADATA => error.InvalidMetadata,
        c.AGENTDB_INVALID_FILTER => error.InvalidFilter,
        c.AGENTDB_CLOSED => error.Closed,
        c.AGENTDB_STORAGE => error.Storage,
        c.AGENTDB_INTERNAL => error.Internal,
        c.AGENTDB_NULL_POINTER => error.NullPointer,
        c.AGENTDB_INVALID_UTF8 => error.InvalidUtf8,
        c.AGENTDB_INVALID_HANDLE => error.InvalidHandle,
        c.AGENTDB_PANIC => error.Panic,
        c.AGENTDB_DATABASE_LOCKED => error.DatabaseLocked,
        c.AGENTDB_READ_ONLY => error.ReadOnly,
        c.AGENTDB_CANCELLED => error.Cancelled,
        else => error.Unknown,
    };
}

/// The message of the last AgentDB call that failed on this thread ("" if none has). Valid until
/// the next failing call on this thread; copy it to keep it.
pub fn lastError() [:0]const u8 {
    return std.mem.span(c.agentdb_errmsg());
}

/// The library's version, e.g. "0.1.0".
pub fn version() [:0]const u8 {
    return std.mem.span(c.agentdb_version());
}

/// How a collection compares vectors; distances are "smaller is closer".
pub const Metric = enum(i32) {
    cosine = c.AGENTDB_METRIC_COSINE,
    l2 = c.AGENTDB_METRIC_L2,
    dot = c.AGENTDB_METRIC_DOT,
};

/// A filter: SQL text (`"lang = 'en' AND year >= 2020"`) or a JSON dict
/// (`{"year": {"$gte": 2020}}`).
pub const Filter = union(enum) {
    sql: [:0]const u8,
    json: [:0]const u8,

    pub fn sqlPtr(f: ?Filter) [*c]const u8 {
        return if (f) |v| switch (v) {
            .sql => |s| s.ptr,
            .json => null,
        } else null;
    }
    pub fn jsonPtr(f: ?Filter) [*c]const u8 {
        return if (f) |v| switch (v) {
            .json => |s| s.ptr,
            .sql => null,
        } else null;
    }
};

/// A C array of string pointers for the duration of one call (at most `max_batch`, checked
/// before anything is allocated or read).
pub fn cStrings(allocator: Allocator, items: []const [:0]const u8) AllocError![][*c]const u8 {
    try checkBatch(items.len);
    const out = try allocator.alloc([*c]const u8, items.len);
    for (items, out) |s, *p| p.* = s.ptr;
    return out;
}

fn cOptStrings(allocator: Allocator, items: []const ?[:0]const u8) AllocError![][*c]const u8 {
    try checkBatch(items.len);
    const out = try allocator.alloc([*c]const u8, items.len);
    for (items, out) |s, *p| p.* = if (s) |v| v.ptr else null;
    return out;
}

/// A C (pointer, length) string as a slice; a null pointer is the empty string.
pub fn text(ptr: [*c]const u8, len: usize) []const u8 {
    return if (ptr == null) "" else ptr[0..len];
}

/// Copies the text of the `agentdb_report` a C call made (stats, health, metrics, transfers)
/// into `allocator`'s memory and frees the report (also on error).
pub fn takeReport(allocator: Allocator, status: c.agentdb_status, report: ?*c.agentdb_report) AllocError![]u8 {
    defer _ = c.agentdb_report_free(report);
    try check(status);
    std.debug.assert(report != null);
    var p: [*c]const u8 = null;
    var len: usize = 0;
    try check(c.agentdb_report_get_text(report, &p, &len));
    return allocator.dupe(u8, text(p, len));
}

/// Copies a C string list into one arena of `allocator` and frees the C list (also on error).
pub fn copyStrings(allocator: Allocator, h: ?*c.agentdb_strings) AllocError!Strings {
    defer _ = c.agentdb_strings_free(h);
    var n: usize = 0;
    try check(c.agentdb_strings_count(h, &n));
    var arena = std.heap.ArenaAllocator.init(allocator);
    errdefer arena.deinit();
    const a = arena.allocator();
    const items = try a.alloc([]const u8, n);
    for (items, 0..) |*item, i| {
        var p: [*c]const u8 = null;
        var len: usize = 0;
        try check(c.agentdb_strings_get(h, i, &p, &len));
        item.* = try a.dupe(u8, text(p, len));
    }
    return .{ .arena = arena, .items = items };
}

fn optText(ptr: [*c]const u8, len: usize) ?[]const u8 {
    return if (ptr == null) null else ptr[0..len];
}

/// An open database. `deinit` closes it.
/// When a write counts as durable (see `agentdb_open_options` in `agentdb.h`).
pub const Sync = enum(i32) {
    /// After its log record is on disk (concurrent writers share one sync). The default.
    always = c.AGENTDB_SYNC_ALWAYS,
    /// Once written to the OS; the log is synced every 20 ms.
    batch = c.AGENTDB_SYNC_BATCH,
    /// Once written to the OS, which syncs when it likes.
    off = c.AGENTDB_SYNC_OFF,
};

/// How `Database.openWith` opens a database; null fields take the engine's defaults
/// (`agentdb_open_options_default`).
pub const OpenOptions = struct {
    sync: ?Sync = null,
    /// Open for reading only: no lock, sees what the writer committed; writes fail with
    /// `error.ReadOnly`.
    read_only: ?bool = null,

    /// The C struct: the engine's defaults, then the fields set here.
    pub fn toC(self: OpenOptions) c.agentdb_open_options {
        var o = c.agentdb_open_options_default();
        std.debug.assert(o.struct_size == @sizeOf(c.agentdb_open_options));
        if (self.sync) |s| o.sync = @intFromEnum(s);
        if (self.read_only) |r| o.read_only = r;
        return o;
    }
};

/// Where and how `Database.openUri` reaches a database on an object store (`s3://bucket/prefix`);
/// null fields take the engine's defaults (`agentdb_object_store_options_default`).
pub const ObjectStoreOptions = struct {
    /// Storage option names and values, as Lance names them (`endpoint`, `region`,
    /// `access_key_id`, `secret_access_key`, `allow_http`, ...); equal lengths.
    keys: []const [*:0]const u8 = &.{},
    values: []const [*:0]const u8 = &.{},
    /// The local directory of the writer's log and index caches (default: under the cache root).
    wal_dir: ?[:0]const u8 = null,
    /// The writer's lease time to live, ms (default 30000, at least 3000).
    lease_ttl_ms: ?u32 = null,
    /// A reader's most lag behind the writer's commits, ms (default 1000); 0: every read looks.
    read_consistency_interval_ms: ?u32 = null,

    /// The C struct; it borrows `keys`, `values` and `wal_dir`.
    pub fn toC(self: ObjectStoreOptions) Error!c.agentdb_object_store_options {
        if (self.keys.len != self.values.len) return error.InvalidArgument;
        var o = c.agentdb_object_store_options_default();
        std.debug.assert(o.struct_size == @sizeOf(c.agentdb_object_store_options));
        o.keys = @ptrCast(self.keys.ptr);
        o.values = @ptrCast(self.values.ptr);
        o.count = self.keys.len;
        if (self.wal_dir) |d| o.wal_dir = d.ptr;
        if (self.lease_ttl_ms) |t| o.lease_ttl_ms = t;
        if (self.read_consistency_interval_ms) |i| {
            if (i == 0) o.read_latest = true else o.read_consistency_interval_ms = i;
        }
        return o;
    }
};

/// The shape of a new store (collection, memory store, RAG store): its vector dimension and how
/// vectors are compared. Both are required: the engine has no default shape.
pub const StoreOptions = struct {
    dim: usize,
    metric: Metric,
};

pub const Database = struct {
    handle: *c.agentdb_db,

    /// Opens (creating if needed) the database in directory `path` for writing. Another writer
    /// holding it gives `error.DatabaseLocked`.
    pub fn open(path: [:0]const u8) Error!Database {
        var h: ?*c.agentdb_db = null;
        try check(c.agentdb_db_open(path.ptr, &h));
        std.debug.assert(h != null);
        return .{ .handle = h.? };
    }

    /// Opens the database in directory `path` with `options` (durability, read-only).
    pub fn openWith(path: [:0]const u8, options: OpenOptions) Error!Database {
        const o = options.toC();
        var h: ?*c.agentdb_db = null;
        try check(c.agentdb_db_open_with(path.ptr, &o, &h));
        return .{ .handle = h.? };
    }

    /// Opens the database at `uri`: a directory, or `s3://bucket/prefix` on S3 or an
    /// S3-compatible server reached with `store`. A second writer anywhere gives
    /// `error.DatabaseLocked` (an object-store lease); an unreachable store `error.Storage`.
    pub fn openUri(uri: [:0]const u8, options: OpenOptions, store: ObjectStoreOptions) Error!Database {
        const o = options.toC();
        const s = try store.toC();
        var h: ?*c.agentdb_db = null;
        try check(c.agentdb_db_open_uri(uri.ptr, &o, &s, &h));
        return .{ .handle = h.? };
    }

    /// Brings a read-only database to the writer's latest commit now (see `agentdb_db_refresh`).
    pub fn refresh(self: Database) Error!void {
        try check(c.agentdb_db_refresh(self.handle));
    }

    /// Writes buffered writes to Lance now and trims the write-ahead log (writes are already
    /// durable when they return; this makes them visible to read-only openers at once).
    pub fn flush(self: Database) Error!void {
        try check(c.agentdb_db_flush(self.handle));
    }

    /// Compacts the open collections and the engine's own tables now (see `agentdb_db_optimize`).
    pub fn optimize(self: Database) Error!void {
        try check(c.agentdb_db_optimize(self.handle));
    }

    /// Closes the database: flushes, releases the writer lock. Every handle from it (collections,
    /// `memory.Memory`, `rag.Rag`) then fails with `error.Closed` and still needs its own `deinit`
    /// (which works before or after this one); a `state.State` holds this handle and gets
    /// `error.InvalidHandle`. (In C and Zig, closing and freeing a database are one call, so no
    /// handle outlives an open database; in Python, where they are two, any handle keeps its
    /// database open.)
    pub fn deinit(self: *Database) void {
        _ = c.agentdb_db_close(self.handle);
        self.* = undefined;
    }

    /// Creates collection `name` of the given shape (`error.CollectionExists` if it exists).
    pub fn createCollection(self: Database, name: [:0]const u8, shape: StoreOptions) Error!Collection {
        var h: ?*c.agentdb_collection = null;
        try check(c.agentdb_collection_create(self.handle, name.ptr, shape.dim, @intFromEnum(shape.metric), &h));
        return .{ .handle = h.? };
    }

    /// Opens the existing collection `name` (`error.CollectionNotFound` if there is none).
    pub fn openCollection(self: Database, name: [:0]const u8) Error!Collection {
        var h: ?*c.agentdb_collection = null;
        try check(c.agentdb_collection_open(self.handle, name.ptr, &h));
        return .{ .handle = h.? };
    }

    /// Opens collection `name`, creating it with `shape` if it does not exist (an existing one
    /// must have that shape: `error.InvalidArgument`).
    pub fn openOrCreateCollection(self: Database, name: [:0]const u8, shape: StoreOptions) Error!Collection {
        var h: ?*c.agentdb_collection = null;
        try check(c.agentdb_collection_open_or_create(self.handle, name.ptr, shape.dim, @intFromEnum(shape.metric), &h));
        return .{ .handle = h.? };
    }

    pub fn dropCollection(self: Database, name: [:0]const u8) Error!void {
        try check(c.agentdb_collection_drop(self.handle, name.ptr));
    }

    /// The names of all collections, sorted, owned by the caller (`deinit` frees them).
    pub fn listCollections(self: Database, allocator: Allocator) AllocError!Strings {
        var h: ?*c.agentdb_strings = null;
        try check(c.agentdb_collection_list(self.handle, &h));
        return copyStrings(allocator, h);
    }

    /// Backs the database up into directory `dest` as a new restorable point (see `admin.backup`).
    pub fn backup(self: Database, dest: [:0]const u8, options: admin.BackupOptions) Error!admin.BackupPoint {
        return admin.backup(self, dest, options);
    }

    /// Verifies the database, reporting problems by kind (see `admin.verify`).
    pub fn verify(self: Database, allocator: Allocator, options: admin.VerifyOptions) AllocError!admin.Report {
        return admin.verify(allocator, self, options);
    }
};

/// Items copied into an arena of the caller's allocator: `items` lives until `deinit`, which frees
/// them all at once.
pub fn Owned(comptime T: type) type {
    return struct {
        arena: std.heap.ArenaAllocator,
        items: []const T,

        pub fn deinit(self: *@This()) void {
            self.arena.deinit();
            self.* = undefined;
        }
    };
}

/// A list of strings owned by the caller.
pub const Strings = Owned([]const u8);

/// Records to write: `ids.len` rows; the vectors row-major, `ids.len * dim` values.
///
/// The C call reads `ids.len * dim` floats and `ids.len` documents, so a `vectors` slice of another
/// length, or a `documents` slice of another length than `ids`, is refused here with
/// `error.InvalidArgument` before any C call (`lastError()` is then not updated); so are more
/// than `max_batch` ids, a `dim` of 0 for a non-empty batch, an id longer than `max_id_len` and
/// metadata longer than `max_json_len`, and a `dim` above `max_dim` is `error.DimensionMismatch`.
/// Every other check is the engine's.
pub const Records = struct {
    ids: []const [:0]const u8,
    vectors: []const f32,
    dim: usize,
    /// One entry per id (null: no document), or null for none at all.
    documents: ?[]const ?[:0]const u8 = null,
    /// A JSON array with one object (or null) per id, e.g. `[{"lang": "en"}, null]`.
    metadata_json: ?[:0]const u8 = null,
};

/// Which records `get` reads: by ids (in that order; missing ids left out) and/or a filter;
/// at most `limit` (0: no limit) after skipping `offset`.
pub const GetOptions = struct {
    ids: ?[]const [:0]const u8 = null,
    filter: ?Filter = null,
    limit: usize = 0,
    offset: usize = 0,
};

/// How an HNSW index stores the vectors its graph walk compares.
pub const Quantization = enum {
    /// The float vectors.
    none,
    /// int8 codes for the walk (a quarter of the memory traffic); float re-ranking.
    int8,
    /// 1-bit RaBitQ codes for the walk (about D/8 + 8 bytes per vector); float re-ranking.
    rabitq,
    /// 2-bit (Extended) RaBitQ codes (about D/4 + 16 bytes per vector); float re-ranking.
    rabitq2,
    /// 4-bit RaBitQ codes (about D/2 + 16 bytes per vector); float re-ranking.
    rabitq4,
    /// 8-bit RaBitQ codes (about D + 16 bytes per vector); float re-ranking.
    rabitq8,
};

/// The parameters of a new HNSW index; null fields take the engine's defaults (the C layer
/// passes 0 / NULL on, which the engine reads as its `HnswParams::default()`).
pub const IndexParams = struct {
    /// Links per node, 2 to 128. More links: better recall, more memory.
    m: ?usize = null,
    /// The candidate list size while building, 1 to 10000. Larger builds slower and finds
    /// better links.
    ef_construction: ?usize = null,
    quantization: ?Quantization = null,
};

/// The parameters of a new IVF_PQ index (Lance's: searched on disk, for collections larger than
/// memory, at least 256 records); null: chosen from the data by the engine and Lance.
pub const IvfPqParams = struct {
    /// Partitions.
    partitions: ?usize = null,
    /// PQ sub-vectors, dividing the dimension.
    sub_vectors: ?usize = null,
};

/// A new index: its kind and parameters (`createIndexWith`).
pub const IndexConfig = union(enum) {
    hnsw: IndexParams,
    ivf_pq: IvfPqParams,
};

/// The parameters of a built HNSW index, as the engine reports them.
pub const HnswInfo = struct {
    m: usize,
    ef_construction: usize,
    quantization: Quantization,
};

/// The parameters of a built IVF_PQ index (0: chosen by Lance when it was built).
pub const IvfPqInfo = struct {
    partitions: usize,
    sub_vectors: usize,
};

/// A collection's index as the engine reports it (`indexConfig`).
pub const IndexInfo = union(enum) {
    hnsw: HnswInfo,
    ivf_pq: IvfPqInfo,
};

/// How `search` / `searchBatch` search (see `agentdb_search_options`). `k` is required; the other
/// fields left null take the engine's defaults (from `agentdb_search_options_default`).
pub const SearchOptions = struct {
    /// How many hits (per query): 1 to `max_k`.
    k: usize,
    /// Only records matching this filter.
    filter: ?Filter = null,
    /// The candidate list size when the HNSW index is walked (1 to 100000; larger: better
    /// recall, slower). Ignored without an index. 0 is out of range (`error.InvalidArgument`,
    /// refused before the C call, whose 0 means "the engine decides").
    ef: ?usize = null,
    /// Compare every record even when the collection has an index.
    exact: ?bool = null,
    /// The threads an exact scan of a large collection may use (small ones are scanned on one
    /// thread). 0 is out of range (`error.InvalidArgument`).
    threads: ?usize = null,
    /// Return only ids and distances: documents and metadata are not read, so every hit has a
    /// null `document` and `{}` for `metadata_json`.
    ids_only: ?bool = null,
    /// With an IVF_PQ index: partitions to search (more: better recall, slower). 0 is out of
    /// range (`error.InvalidArgument`). Ignored by other indexes.
    nprobes: ?usize = null,
    /// With an IVF_PQ index: re-rank `refine_factor × k` candidates with their exact vectors
    /// (1 to 100000). 0 is out of range. Ignored by other indexes.
    refine_factor: ?u32 = null,
    /// Hits carry no document (null `document`); `ids_only` implies it.
    omit_documents: ?bool = null,
    /// Hits carry no metadata (`{}` for `metadata_json`); `ids_only` implies it.
    omit_metadata: ?bool = null,

    /// The C struct: the engine's defaults, then the fields set here.
    fn toC(self: SearchOptions) Error!c.agentdb_search_options {
        var o = c.agentdb_search_options_default();
        std.debug.assert(o.struct_size == @sizeOf(c.agentdb_search_options));
        if (self.ef) |v| o.ef = try nonZero(v);
        if (self.exact) |v| o.exact = v;
        if (self.threads) |v| o.threads = try nonZero(v);
        if (self.ids_only) |v| o.ids_only = v;
        if (self.nprobes) |v| o.nprobes = try nonZero(v);
        if (self.refine_factor) |v| o.refine_factor = try nonZero(v);
        if (self.omit_documents) |v| o.omit_documents = v;
        if (self.omit_metadata) |v| o.omit_metadata = v;
        return o;
    }
};

/// A value given explicitly that C would read as "the default" when 0: refused here.
fn nonZero(v: anytype) Error!@TypeOf(v) {
    return if (v == 0) error.InvalidArgument else v;
}

/// Several query vectors for `searchBatch`: row-major, `dim` values each.
pub const Queries = struct {
    values: []const f32,
    dim: usize,
};

/// A handle to a collection. `deinit` frees the handle (the collection stays in the database).
pub const Collection = struct {
    handle: *c.agentdb_collection,

    pub fn deinit(self: *Collection) void {
        _ = c.agentdb_collection_close(self.handle);
        self.* = undefined;
    }

    /// Compacts the collection now (see `agentdb_collection_optimize`).
    pub fn optimize(self: Collection) Error!void {
        try check(c.agentdb_collection_optimize(self.handle));
    }

    /// The collection's name (owned by the handle: valid until `deinit`).
    pub fn name(self: Collection) Error![]const u8 {
        var p: [*c]const u8 = null;
        var len: usize = 0;
        try check(c.agentdb_collection_name(self.handle, &p, &len));
        return text(p, len);
    }

    pub fn dim(self: Collection) Error!usize {
        var d: usize = 0;
        try check(c.agentdb_collection_dim(self.handle, &d));
        return d;
    }

    pub fn metric(self: Collection) Error!Metric {
        var m: c.agentdb_metric = 0;
        try check(c.agentdb_collection_metric(self.handle, &m));
        return std.meta.intToEnum(Metric, m) catch error.Unknown;
    }

    /// Adds new records (see `agentdb_collection_add`). `allocator` holds the C pointer arrays during the call.
    pub fn add(self: Collection, allocator: Allocator, records: Records) AllocError!void {
        return self.write(allocator, records, c.agentdb_collection_add);
    }

    /// Adds or replaces records (see `agentdb_collection_upsert`).
    pub fn upsert(self: Collection, allocator: Allocator, records: Records) AllocError!void {
        return self.write(allocator, records, c.agentdb_collection_upsert);
    }

    /// Writes records as Lance data files without committing them (see
    /// `agentdb_collection_stage`; a read-only database is enough) and returns the part,
    /// NUL-terminated (`allocator.free` it), for `commitStaged` in the writer process.
    pub fn stage(self: Collection, allocator: Allocator, r: Records) AllocError![:0]u8 {
        var h: ?*c.agentdb_strings = null;
        const Stage = struct {
            out: *?*c.agentdb_strings,
            fn call(ctx: @This(), coll: ?*const c.agentdb_collection, i: [*c]const [*c]const u8, n: usize, v: [*c]const f32, width: usize, d: [*c]const [*c]const u8, m: [*c]const u8) c.agentdb_status {
                return c.agentdb_collection_stage(coll, i, n, v, width, d, m, ctx.out);
            }
        };
        try self.writeWith(allocator, r, Stage{ .out = &h });
        var parts = try copyStrings(allocator, h);
        defer parts.deinit();
        std.debug.assert(parts.items.len == 1);
        return allocator.dupeZ(u8, parts.items[0]);
    }

    /// Commits parts from `stage` (staged in any processes) as one Lance commit; returns the
    /// records added (see `agentdb_collection_commit_staged`).
    pub fn commitStaged(self: Collection, allocator: Allocator, parts: []const [:0]const u8) AllocError!u64 {
        const ptrs = try cStrings(allocator, parts);
        defer allocator.free(ptrs);
        var added: u64 = 0;
        try check(c.agentdb_collection_commit_staged(self.handle, if (ptrs.len == 0) null else ptrs.ptr, ptrs.len, &added));
        return added;
    }

    fn write(self: Collection, allocator: Allocator, r: Records, comptime f: anytype) AllocError!void {
        const Plain = struct {
            fn call(_: @This(), coll: ?*const c.agentdb_collection, i: [*c]const [*c]const u8, n: usize, v: [*c]const f32, width: usize, d: [*c]const [*c]const u8, m: [*c]const u8) c.agentdb_status {
                return f(coll, i, n, v, width, d, m);
            }
        };
        return self.writeWith(allocator, r, Plain{});
    }

    /// Checks `r`, converts it for C and calls `ctx.call` with the arguments of a C write.
    fn writeWith(self: Collection, allocator: Allocator, r: Records, ctx: anytype) AllocError!void {
        // Every length first, before anything is allocated or read.
        try checkBatch(r.ids.len);
        if (r.ids.len > 0) {
            try checkDim(r.dim);
            if (r.dim == 0) return error.InvalidArgument;
        }
        // The C call reads ids.len * dim floats: a slice of another length cannot be passed on.
        if (r.vectors.len != try valuesFor(r.ids.len, r.dim)) return error.InvalidArgument;
        if (r.documents) |d| if (d.len != r.ids.len) return error.InvalidArgument;
        for (r.ids) |id| if (id.len > max_id_len) return error.InvalidArgument;
        if (r.metadata_json) |m| if (m.len > max_json_len) return error.InvalidArgument;
        const ids = try cStrings(allocator, r.ids);
        defer allocator.free(ids);
        const docs: ?[][*c]const u8 = if (r.documents) |d| try cOptStrings(allocator, d) else null;
        defer if (docs) |d| allocator.free(d);
        const meta: [*c]const u8 = if (r.metadata_json) |m| m.ptr else null;
        try check(ctx.call(self.handle, ids.ptr, ids.len, r.vectors.ptr, r.dim, if (docs) |d| d.ptr else null, meta));
    }

    /// Reads records, copied into memory owned by the caller (`deinit` frees it).
    pub fn get(self: Collection, allocator: Allocator, opts: GetOptions) AllocError!RecordSet {
        const ids: ?[][*c]const u8 = if (opts.ids) |i| try cStrings(allocator, i) else null;
        defer if (ids) |i| allocator.free(i);
        var h: ?*c.agentdb_records = null;
        try check(c.agentdb_collection_get(
            self.handle,
            if (ids) |i| i.ptr else null,
            if (ids) |i| i.len else 0,
            Filter.sqlPtr(opts.filter),
            Filter.jsonPtr(opts.filter),
            opts.limit,
            opts.offset,
            &h,
        ));
        defer _ = c.agentdb_records_free(h);
        return RecordSet.copy(allocator, h);
    }

    /// Deletes the records with `ids` and/or matching `filter`; returns how many were deleted.
    pub fn delete(self: Collection, allocator: Allocator, ids: ?[]const [:0]const u8, filter: ?Filter) AllocError!u64 {
        const cids: ?[][*c]const u8 = if (ids) |i| try cStrings(allocator, i) else null;
        defer if (cids) |i| allocator.free(i);
        var n: u64 = 0;
        try check(c.agentdb_collection_delete(
            self.handle,
            if (cids) |i| i.ptr else null,
            if (cids) |i| i.len else 0,
            Filter.sqlPtr(filter),
            Filter.jsonPtr(filter),
            &n,
        ));
        return n;
    }

    /// The number of records (matching `filter`, if given).
    pub fn count(self: Collection, filter: ?Filter) Error!u64 {
        var n: u64 = 0;
        try check(c.agentdb_collection_count(self.handle, Filter.sqlPtr(filter), Filter.jsonPtr(filter), &n));
        return n;
    }

    /// The `opts.k` nearest records to `query` (matching `opts.filter`), closest first, copied
    /// into memory owned by the caller.
    pub fn search(self: Collection, allocator: Allocator, query: []const f32, opts: SearchOptions) AllocError!SearchResults {
        try checkK(opts.k);
        try checkDim(query.len);
        const o = try opts.toC();
        var h: ?*c.agentdb_results = null;
        try check(c.agentdb_collection_search_with(self.handle, query.ptr, query.len, opts.k, Filter.sqlPtr(opts.filter), Filter.jsonPtr(opts.filter), &o, &h));
        defer _ = c.agentdb_results_free(h);
        return SearchResults.copy(allocator, h);
    }

    /// `search` for several queries at once; one list of hits per query, in their order.
    pub fn searchBatch(self: Collection, allocator: Allocator, queries: Queries, opts: SearchOptions) AllocError!SearchResults {
        try checkK(opts.k);
        // The C call reads n_queries * dim floats: a slice that is not whole rows cannot be passed on.
        const n = try rowsOf(queries.values, queries.dim);
        const o = try opts.toC();
        var h: ?*c.agentdb_results = null;
        try check(c.agentdb_collection_search_batch_with(self.handle, queries.values.ptr, n, queries.dim, opts.k, Filter.sqlPtr(opts.filter), Filter.jsonPtr(opts.filter), &o, &h));
        defer _ = c.agentdb_results_free(h);
        return SearchResults.copy(allocator, h);
    }

    /// The `opts.k` records whose document best matches `query` by BM25, best first (records
    /// without a document never match). An empty query: `error.InvalidArgument`.
    pub fn textSearch(self: Collection, allocator: Allocator, query: [:0]const u8, opts: text_search.TextSearchOptions) AllocError!text_search.ScoredHits {
        return text_search.textSearch(self, allocator, query, opts);
    }

    /// The `opts.k` best records by `vector` (nearest neighbours) and `query_text` (BM25) fused
    /// (reciprocal-rank fusion unless `opts.method` says otherwise), the filter applied to both.
    pub fn hybridSearch(self: Collection, allocator: Allocator, vector: []const f32, query_text: [:0]const u8, opts: text_search.HybridOptions) AllocError!text_search.ScoredHits {
        return text_search.hybridSearch(self, allocator, vector, query_text, opts);
    }

    /// Sets the tokenizer of text and hybrid search ("simple", "icu", "ngram", "ngram:N",
    /// "ngram:MIN-MAX"), kept with the collection; its full-text index is rebuilt with it on the
    /// next text search. Another name: `error.InvalidArgument`; a read-only database: `error.ReadOnly`.
    pub fn setTextTokenizer(self: Collection, tokenizer: [:0]const u8) Error!void {
        return text_search.setTextTokenizer(self, tokenizer);
    }

    /// The tokenizer's name, written into `buf` (16 bytes always suffice); a slice of `buf`.
    pub fn textTokenizer(self: Collection, buf: []u8) Error![]const u8 {
        return text_search.textTokenizer(self, buf);
    }

    /// Builds an HNSW index over the collection (replacing any index); search uses it from then
    /// on, writes keep it current, and it persists across reopening. `createIndex(.{})` uses the
    /// engine's parameters. Out-of-range parameters: `error.InvalidArgument` (0 is refused here,
    /// before the C call, whose 0 means "the default").
    pub fn createIndex(self: Collection, params: IndexParams) Error!void {
        return self.createIndexWith(.{ .hnsw = params });
    }

    /// Builds an index of any kind (replacing any index): `.{ .hnsw = .{ .quantization = .int8 } }`
    /// or `.{ .ivf_pq = .{ .partitions = 64 } }` (Lance's IVF_PQ, searched on disk; tune
    /// searches with `SearchOptions.nprobes` and `.refine_factor`). Bad parameters, or too few
    /// records for IVF_PQ: `error.InvalidArgument`.
    pub fn createIndexWith(self: Collection, config: IndexConfig) Error!void {
        var o = c.agentdb_index_options_default();
        std.debug.assert(o.struct_size == @sizeOf(c.agentdb_index_options));
        switch (config) {
            .hnsw => |p| {
                o.kind = "hnsw";
                if (p.m) |v| o.m = try nonZero(v);
                if (p.ef_construction) |v| o.ef_construction = try nonZero(v);
                if (p.quantization) |q| o.quantization = @tagName(q).ptr;
            },
            .ivf_pq => |p| {
                o.kind = "ivf_pq";
                if (p.partitions) |v| o.partitions = try nonZero(v);
                if (p.sub_vectors) |v| o.sub_vectors = try nonZero(v);
            },
        }
        try check(c.agentdb_collection_create_index_with(self.handle, &o));
    }

    /// Removes the index (search is exact again). No index is not an error.
    pub fn dropIndex(self: Collection) Error!void {
        try check(c.agentdb_collection_drop_index(self.handle));
    }

    /// The parameters of the collection's HNSW index, or null when it has none (or its index is
    /// not HNSW: see `indexConfig`).
    pub fn indexParams(self: Collection) Error!?HnswInfo {
        const info = (try self.indexConfig()) orelse return null;
        return switch (info) {
            .hnsw => |p| p,
            else => null,
        };
    }

    /// The kind and parameters of the collection's index, or null when it has none.
    pub fn indexConfig(self: Collection) Error!?IndexInfo {
        var has = false;
        var o = c.agentdb_index_options_default();
        try check(c.agentdb_collection_index_describe(self.handle, &has, &o));
        if (!has) return null;
        std.debug.assert(o.kind != null); // an index has a kind
        const kind = std.mem.span(o.kind);
        if (std.mem.eql(u8, kind, "ivf_pq")) return .{ .ivf_pq = .{ .partitions = o.partitions, .sub_vectors = o.sub_vectors } };
        const quantization = std.meta.stringToEnum(Quantization, std.mem.span(o.quantization)) orelse return error.Internal;
        return .{ .hnsw = .{ .m = o.m, .ef_construction = o.ef_construction, .quantization = quantization } };
    }
};

/// One search hit.
pub const Hit = struct {
    id: []const u8,
    distance: f32,
    document: ?[]const u8,
    /// The record's metadata as a JSON object (`{}` when it has none).
    metadata_json: []const u8,
};

/// Search results owned by the caller: one slice of hits per query.
pub const SearchResults = struct {
    arena: std.heap.ArenaAllocator,
    queries: []const []const Hit,

    /// The hits of the first (for `search`: the only) query.
    pub fn hits(self: SearchResults) []const Hit {
        return if (self.queries.len == 0) &.{} else self.queries[0];
    }

    pub fn deinit(self: *SearchResults) void {
        self.arena.deinit();
        self.* = undefined;
    }

    fn copy(allocator: Allocator, h: ?*c.agentdb_results) AllocError!SearchResults {
        var arena = std.heap.ArenaAllocator.init(allocator);
        errdefer arena.deinit();
        const a = arena.allocator();
        var nq: usize = 0;
        try check(c.agentdb_results_query_count(h, &nq));
        const queries = try a.alloc([]const Hit, nq);
        for (queries, 0..) |*q, qi| {
            var n: usize = 0;
            try check(c.agentdb_results_count(h, qi, &n));
            const hs = try a.alloc(Hit, n);
            for (hs, 0..) |*hit, i| {
                var p: [*c]const u8 = null;
                var len: usize = 0;
                try check(c.agentdb_results_get_id(h, qi, i, &p, &len));
                hit.id = try a.dupe(u8, text(p, len));
                try check(c.agentdb_results_get_distance(h, qi, i, &hit.distance));
                try check(c.agentdb_results_get_document(h, qi, i, &p, &len));
                hit.document = if (optText(p, len)) |d| try a.dupe(u8, d) else null;
                try check(c.agentdb_results_get_metadata(h, qi, i, &p, &len));
                hit.metadata_json = try a.dupe(u8, text(p, len));
            }
            q.* = hs;
        }
        return .{ .arena = arena, .queries = queries };
    }
};

/// Records read by `get`, owned by the caller, column by column.
pub const RecordSet = struct {
    arena: std.heap.ArenaAllocator,
    ids: []const []const u8,
    /// Row-major, `ids.len * dim` values.
    vectors: []const f32,
    dim: usize,
    documents: []const ?[]const u8,
    metadata_json: []const []const u8,
    /// Microseconds since the Unix epoch, UTC.
    created_at: []const i64,
    updated_at: []const i64,

    pub fn len(self: RecordSet) usize {
        return self.ids.len;
    }

    /// The vector of row `i`.
    pub fn vector(self: RecordSet, i: usize) []const f32 {
        return self.vectors[i * self.dim .. (i + 1) * self.dim];
    }

    pub fn deinit(self: *RecordSet) void {
        self.arena.deinit();
        self.* = undefined;
    }

    fn copy(allocator: Allocator, h: ?*c.agentdb_records) AllocError!RecordSet {
        var arena = std.heap.ArenaAllocator.init(allocator);
        errdefer arena.deinit();
        const a = arena.allocator();
        var n: usize = 0;
        try check(c.agentdb_records_count(h, &n));
        const ids = try a.alloc([]const u8, n);
        const docs = try a.alloc(?[]const u8, n);
        const meta = try a.alloc([]const u8, n);
        const created = try a.alloc(i64, n);
        const updated = try a.alloc(i64, n);
        var vectors: std.ArrayListUnmanaged(f32) = .empty;
        var d: usize = 0;
        for (0..n) |i| {
            var p: [*c]const u8 = null;
            var len_: usize = 0;
            try check(c.agentdb_records_get_id(h, i, &p, &len_));
            ids[i] = try a.dupe(u8, text(p, len_));
            try check(c.agentdb_records_get_document(h, i, &p, &len_));
            docs[i] = if (optText(p, len_)) |doc| try a.dupe(u8, doc) else null;
            try check(c.agentdb_records_get_metadata(h, i, &p, &len_));
            meta[i] = try a.dupe(u8, text(p, len_));
            try check(c.agentdb_records_get_timestamps(h, i, &created[i], &updated[i]));
            var v: [*c]const f32 = null;
            try check(c.agentdb_records_get_vector(h, i, &v, &d));
            try vectors.appendSlice(a, v[0..d]);
        }
        return .{
            .arena = arena,
            .ids = ids,
            .vectors = vectors.items,
            .dim = d,
            .documents = docs,
            .metadata_json = meta,
            .created_at = created,
            .updated_at = updated,
        };
    }
};
