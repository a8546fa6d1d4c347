//! Operations for Zig, over the C ABI's stats, health, metrics and log calls. Stats and health
//! come back as the engine's JSON (the fields of Python's `agentdb.ops` dicts), metrics as the
//! Prometheus text exposition format, each copied into memory of the caller's allocator; `health`
//! also parses its JSON into a `Health`.
//!
//! ```zig
//! const text = try agentdb.ops.metricsText(gpa, db);
//! defer gpa.free(text);
//! var h = try agentdb.ops.health(gpa, db);
//! defer h.deinit();
//! if (!std.mem.eql(u8, h.value.status, "ok")) ...
//! ```
const std = @import("std");
const agentdb = @import("agentdb.zig");

const c = agentdb.c;
const check = agentdb.check;
const Error = agentdb.Error;
const AllocError = agentdb.AllocError;
const Allocator = std.mem.Allocator;

/// Copies the text of the report a C call made into `allocator`'s memory and frees the report
/// (also on error).
fn take(allocator: Allocator, status: c.agentdb_status, report: ?*c.agentdb_report) AllocError![]u8 {
    defer _ = c.agentdb_report_free(report);
    try check(status);
    std.debug.assert(report != null);
    var p: [*c]const u8 = null;
    var len: usize = 0;
    try check(c.agentdb_report_get_text(report, &p, &len));
    return allocator.dupe(u8, agentdb.text(p, len));
}

/// The database's stats as JSON (see `agentdb_db_stats`); free it with `allocator.free`.
pub fn dbStats(allocator: Allocator, db: agentdb.Database) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return take(allocator, c.agentdb_db_stats(db.handle, &r), r);
}

/// The database's health as JSON (see `agentdb_db_health`); `health` parses it.
pub fn dbHealth(allocator: Allocator, db: agentdb.Database) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return take(allocator, c.agentdb_db_health(db.handle, &r), r);
}

/// The metrics in the Prometheus text exposition format (see `agentdb_db_metrics_text`).
pub fn metricsText(allocator: Allocator, db: agentdb.Database) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return take(allocator, c.agentdb_db_metrics_text(db.handle, &r), r);
}

/// Turns the recording of metrics on or off (on by default); the counters keep what they had.
pub fn setMetricsEnabled(db: agentdb.Database, enabled: bool) Error!void {
    try check(c.agentdb_db_set_metrics_enabled(db.handle, enabled));
}

/// The agent state's tables as a JSON array (see `agentdb_state_stats`).
pub fn stateStats(allocator: Allocator, db: agentdb.Database) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return take(allocator, c.agentdb_state_stats(db.handle, &r), r);
}

/// A collection's stats as JSON (see `agentdb_collection_stats`).
pub fn collectionStats(allocator: Allocator, collection: agentdb.Collection) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return take(allocator, c.agentdb_collection_stats(collection.handle, &r), r);
}

/// A memory store's stats as JSON (see `agentdb_memory_stats`).
pub fn memoryStats(allocator: Allocator, m: agentdb.memory.Memory) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return take(allocator, c.agentdb_memory_stats(m.handle, &r), r);
}

/// A RAG store's stats as JSON (see `agentdb_rag_stats`).
pub fn ragStats(allocator: Allocator, store: agentdb.rag.Rag) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return take(allocator, c.agentdb_rag_stats(store.handle, &r), r);
}

pub const LastError = struct {
    operation: []const u8,
    kind: []const u8,
    message: []const u8,
    at_micros: i64,
};

/// `agentdb_db_health`'s JSON, parsed. Fields the engine adds later are ignored.
pub const Health = struct {
    /// `ok`, `degraded` (a background thread stopped or a storage error happened: see
    /// `last_error`) or `closed`.
    status: []const u8,
    open: bool,
    writable: bool,
    wal_replay: []const u8,
    replayed_records: u64,
    open_seconds: f64,
    flusher_alive: ?bool,
    flusher_heartbeat_age_seconds: ?f64,
    consolidation_alive: ?bool,
    last_error: ?LastError,
    uptime_seconds: f64,
};

/// The database's health, parsed (`deinit` frees it). Parse errors are `error.Internal`: the
/// engine wrote JSON this layer does not understand.
pub fn health(allocator: Allocator, db: agentdb.Database) AllocError!std.json.Parsed(Health) {
    const json = try dbHealth(allocator, db);
    defer allocator.free(json);
    return std.json.parseFromSlice(Health, allocator, json, .{ .ignore_unknown_fields = true, .allocate = .alloc_always }) catch |e| switch (e) {
        error.OutOfMemory => error.OutOfMemory,
        else => error.Internal,
    };
}

pub const LogLevel = enum(i32) {
    off = c.AGENTDB_LOG_OFF,
    err = c.AGENTDB_LOG_ERROR,
    warn = c.AGENTDB_LOG_WARN,
    info = c.AGENTDB_LOG_INFO,
    debug = c.AGENTDB_LOG_DEBUG,
    trace = c.AGENTDB_LOG_TRACE,
};

/// A log callback (see `agentdb_log_fn`): runs on the thread that logs, often an engine
/// background thread; `message` is valid only during the call.
pub const LogFn = *const fn (level: i32, target: [*c]const u8, message: [*c]const u8, user: ?*anyopaque) callconv(.c) void;

/// Sends the engine's log records of `max_level` and more severe to `callback` (null or `.off`:
/// none). One callback serves the whole process.
pub fn setLogCallback(callback: ?LogFn, max_level: LogLevel, user: ?*anyopaque) Error!void {
    try check(c.agentdb_log_set_callback(callback, @intFromEnum(max_level), user));
}
