//! Agent state for Zig, over the C ABI's `agentdb_state_*` and `agentdb_checkpoint_*` calls:
//! versioned JSON values per (agent, session, key) with history, time travel and TTL, and
//! LangGraph-shaped checkpoints with pending writes. Every rule is the engine's; results are
//! copied into the caller's allocator (one arena per result, freed by its `deinit`).
//!
//! ```zig
//! const st = agentdb.state.State.of(db);
//! const v1 = try st.put("agent", "session", "plan", "{\"step\": 1}", .{});
//! var cur = try st.get(gpa, "agent", "session", "plan", .latest);
//! defer cur.deinit();
//! if (cur.one()) |v| std.debug.print("v{d}: {s}\n", .{ v.version, v.value_json.? });
//! ```
const std = @import("std");
const agentdb = @import("agentdb.zig");

const c = agentdb.c;
const check = agentdb.check;
const copyStrings = agentdb.copyStrings;
const span = agentdb.text;
const Error = agentdb.Error;
const AllocError = agentdb.AllocError;
const Allocator = std.mem.Allocator;

fn optZ(s: ?[:0]const u8) [*c]const u8 {
    return if (s) |v| v.ptr else null;
}

/// A TTL in seconds as the C calls take it (0: none). Zero, negative or NaN TTLs are refused
/// here, since 0 would silently mean "none".
fn ttlArg(ttl: ?f64) Error!f64 {
    const t = ttl orelse return 0;
    if (!(t > 0)) return error.InvalidArgument;
    return t;
}

/// Which version `State.get` reads.
pub const At = union(enum) {
    /// The current version (a deleted key gives its tombstone).
    latest,
    /// That version number (1, 2, …).
    version: u64,
    /// The version in force at this time, microseconds since the Unix epoch (UTC).
    time_us: i64,
};

/// One version of a key.
pub const Version = struct {
    version: u64,
    /// The value as JSON text; null for a tombstone.
    value_json: ?[]const u8,
    /// Microseconds since the Unix epoch (UTC).
    written_at_us: i64,
    /// When this version expires, if it was written with a TTL.
    expires_at_us: ?i64,
    deleted: bool,
};

/// Versions owned by the caller (`deinit` frees them).
pub const Versions = struct {
    arena: std.heap.ArenaAllocator,
    items: []const Version,

    /// The only version of a `get` (null: none).
    pub fn one(self: Versions) ?Version {
        return if (self.items.len == 0) null else self.items[0];
    }

    pub fn deinit(self: *Versions) void {
        self.arena.deinit();
        self.* = undefined;
    }
};

/// One key of a session snapshot.
pub const Entry = struct {
    key: []const u8,
    value_json: []const u8,
};

/// A session snapshot owned by the caller.
pub const Entries = agentdb.Owned(Entry);

/// A checkpoint to store.
pub const NewCheckpoint = struct {
    thread_id: [:0]const u8,
    namespace: [:0]const u8 = "",
    checkpoint_id: [:0]const u8,
    /// The payload, stored as is.
    data: []const u8,
    parent_id: ?[:0]const u8 = null,
    /// A JSON object (null: `{}`).
    metadata_json: ?[:0]const u8 = null,
    /// The serializer's type tag of `data`.
    type_tag: [:0]const u8 = "",
};

/// A stored checkpoint.
pub const Checkpoint = struct {
    thread_id: []const u8,
    namespace: []const u8,
    checkpoint_id: []const u8,
    parent_id: ?[]const u8,
    type_tag: []const u8,
    data: []const u8,
    metadata_json: []const u8,
    created_at_us: i64,
};

/// Checkpoints owned by the caller.
pub const Checkpoints = agentdb.Owned(Checkpoint);

/// Filters of `State.listCheckpoints` (null: no filter).
/// Which versions `history` returns: at most `limit` (null: all) after skipping `offset` (null:
/// none).
pub const HistoryOptions = struct {
    limit: ?usize = null,
    offset: ?usize = null,
};

pub const ListOptions = struct {
    thread_id: ?[:0]const u8 = null,
    namespace: ?[:0]const u8 = null,
    /// Only ids sorting before this one.
    before: ?[:0]const u8 = null,
    limit: ?usize = null,
    /// A JSON object: only checkpoints whose metadata has each key with an equal value.
    metadata_json: ?[:0]const u8 = null,
};

/// A pending write to store.
pub const WriteIn = struct {
    /// Position in the task's writes; negative for LangGraph's special channels.
    idx: i64,
    channel: [:0]const u8,
    type_tag: [:0]const u8 = "",
    value: []const u8,
};

/// A stored pending write.
pub const PendingWrite = struct {
    task_id: []const u8,
    idx: i64,
    channel: []const u8,
    type_tag: []const u8,
    value: []const u8,
    task_path: []const u8,
};

/// Pending writes owned by the caller.
pub const PendingWrites = agentdb.Owned(PendingWrite);

/// Options of `State.put`.
pub const PutOptions = struct {
    /// This version expires after this many seconds (must be > 0).
    ttl_seconds: ?f64 = null,
};

/// The agent state of a database. Holds the database's handle (no handle of its own): valid while
/// the database is open; after `Database.deinit` every call fails with `error.InvalidHandle`.
pub const State = struct {
    db: *c.agentdb_db,

    pub fn of(db: agentdb.Database) State {
        return .{ .db = db.handle };
    }

    /// Writes a new version of `key` (`value_json`: any JSON value) and returns its number.
    pub fn put(self: State, agent: [:0]const u8, session: [:0]const u8, key: [:0]const u8, value_json: [:0]const u8, opts: PutOptions) Error!u64 {
        if (value_json.len > agentdb.max_json_len) return error.InvalidArgument;
        var v: u64 = 0;
        try check(c.agentdb_state_put(self.db, agent.ptr, session.ptr, key.ptr, value_json.ptr, try ttlArg(opts.ttl_seconds), &v));
        return v;
    }

    /// Writes several keys of one session atomically; returns their versions (owned by the caller).
    /// `names` and `values_json` of different lengths, more than `agentdb.max_batch` keys, or a
    /// value longer than `agentdb.max_json_len` are `error.InvalidArgument`, before anything is
    /// allocated.
    pub fn putMany(self: State, allocator: Allocator, agent: [:0]const u8, session: [:0]const u8, names: []const [:0]const u8, values_json: []const [:0]const u8, opts: PutOptions) AllocError![]u64 {
        if (names.len != values_json.len) return error.InvalidArgument;
        try agentdb.checkBatch(names.len);
        for (values_json) |v| if (v.len > agentdb.max_json_len) return error.InvalidArgument;
        const ttl = try ttlArg(opts.ttl_seconds);
        const kp = try allocator.alloc([*c]const u8, names.len);
        defer allocator.free(kp);
        const vp = try allocator.alloc([*c]const u8, names.len);
        defer allocator.free(vp);
        for (names, values_json, kp, vp) |k, v, *a, *b| {
            a.* = k.ptr;
            b.* = v.ptr;
        }
        const out = try allocator.alloc(u64, names.len);
        errdefer allocator.free(out);
        try check(c.agentdb_state_put_many(self.db, agent.ptr, session.ptr, kp.ptr, vp.ptr, names.len, ttl, out.ptr));
        return out;
    }

    /// The version selected by `at`: `one()` of the result is null when there is none.
    pub fn get(self: State, allocator: Allocator, agent: [:0]const u8, session: [:0]const u8, key: [:0]const u8, at: At) AllocError!Versions {
        var h: ?*c.agentdb_state_versions = null;
        try check(switch (at) {
            .latest => c.agentdb_state_get(self.db, agent.ptr, session.ptr, key.ptr, &h),
            .version => |v| c.agentdb_state_get_version(self.db, agent.ptr, session.ptr, key.ptr, v, &h),
            .time_us => |t| c.agentdb_state_get_at(self.db, agent.ptr, session.ptr, key.ptr, t, &h),
        });
        return copyVersions(allocator, h);
    }

    /// The versions of `key`, newest first (tombstones included), paged as `opts` says.
    pub fn history(self: State, allocator: Allocator, agent: [:0]const u8, session: [:0]const u8, key: [:0]const u8, opts: HistoryOptions) AllocError!Versions {
        // The C call takes `limit` literally (0 gives no version): "all" is the largest count.
        const limit: usize = opts.limit orelse std.math.maxInt(usize);
        var h: ?*c.agentdb_state_versions = null;
        try check(c.agentdb_state_history(self.db, agent.ptr, session.ptr, key.ptr, limit, opts.offset orelse 0, &h));
        return copyVersions(allocator, h);
    }

    /// Writes a tombstone; returns its version (0: the key had no value, nothing written).
    pub fn delete(self: State, agent: [:0]const u8, session: [:0]const u8, key: [:0]const u8) Error!u64 {
        var v: u64 = 0;
        try check(c.agentdb_state_delete(self.db, agent.ptr, session.ptr, key.ptr, &v));
        return v;
    }

    /// Every live key of the session with its value, sorted by key, now or at `at_us`.
    pub fn snapshot(self: State, allocator: Allocator, agent: [:0]const u8, session: [:0]const u8, at_us: ?i64) AllocError!Entries {
        var h: ?*c.agentdb_state_entries = null;
        const at: i64 = at_us orelse 0;
        try check(c.agentdb_state_snapshot(self.db, agent.ptr, session.ptr, if (at_us != null) &at else null, &h));
        defer _ = c.agentdb_state_entries_free(h);
        var n: usize = 0;
        try check(c.agentdb_state_entries_count(h, &n));
        var arena = std.heap.ArenaAllocator.init(allocator);
        errdefer arena.deinit();
        const a = arena.allocator();
        const items = try a.alloc(Entry, n);
        for (items, 0..) |*e, i| {
            var kp: [*c]const u8 = null;
            var kl: usize = 0;
            var vp: [*c]const u8 = null;
            var vl: usize = 0;
            try check(c.agentdb_state_entries_get(h, i, &kp, &kl, &vp, &vl));
            e.* = .{ .key = try a.dupe(u8, span(kp, kl)), .value_json = try a.dupe(u8, span(vp, vl)) };
        }
        return .{ .arena = arena, .items = items };
    }

    /// The keys `snapshot` would give.
    pub fn keys(self: State, allocator: Allocator, agent: [:0]const u8, session: [:0]const u8, at_us: ?i64) AllocError!agentdb.Strings {
        var h: ?*c.agentdb_strings = null;
        const at: i64 = at_us orelse 0;
        try check(c.agentdb_state_keys(self.db, agent.ptr, session.ptr, if (at_us != null) &at else null, &h));
        return copyStrings(allocator, h);
    }

    /// The agent's sessions that hold anything and have not expired, sorted.
    pub fn sessions(self: State, allocator: Allocator, agent: [:0]const u8) AllocError!agentdb.Strings {
        var h: ?*c.agentdb_strings = null;
        try check(c.agentdb_state_sessions(self.db, agent.ptr, &h));
        return copyStrings(allocator, h);
    }

    /// Removes a session (null: every session of the agent) for good; returns the versions removed.
    pub fn purge(self: State, agent: [:0]const u8, session: ?[:0]const u8) Error!u64 {
        var n: u64 = 0;
        try check(c.agentdb_state_purge(self.db, agent.ptr, optZ(session), &n));
        return n;
    }

    /// The session expires `ttl_seconds` after its last write (null: no TTL).
    pub fn setSessionTtl(self: State, agent: [:0]const u8, session: [:0]const u8, ttl_seconds: ?f64) Error!void {
        try check(c.agentdb_state_set_session_ttl(self.db, agent.ptr, session.ptr, try ttlArg(ttl_seconds)));
    }

    /// Removes expired keys and sessions now; returns the versions removed.
    pub fn sweep(self: State) Error!u64 {
        var n: u64 = 0;
        try check(c.agentdb_state_sweep(self.db, &n));
        return n;
    }

    /// Stores a checkpoint (replacing one with the same thread, namespace and id).
    pub fn putCheckpoint(self: State, cp: NewCheckpoint) Error!void {
        if (cp.metadata_json) |m| if (m.len > agentdb.max_json_len) return error.InvalidArgument;
        try check(c.agentdb_checkpoint_put(self.db, cp.thread_id.ptr, cp.namespace.ptr, cp.checkpoint_id.ptr, cp.data.ptr, cp.data.len, optZ(cp.parent_id), optZ(cp.metadata_json), cp.type_tag.ptr));
    }

    /// Checkpoint `checkpoint_id`, or (null) the latest of (thread, namespace); `items` is empty
    /// when there is none.
    pub fn getCheckpoint(self: State, allocator: Allocator, thread_id: [:0]const u8, namespace: [:0]const u8, checkpoint_id: ?[:0]const u8) AllocError!Checkpoints {
        var h: ?*c.agentdb_checkpoints = null;
        try check(c.agentdb_checkpoint_get(self.db, thread_id.ptr, namespace.ptr, optZ(checkpoint_id), &h));
        return copyCheckpoints(allocator, h);
    }

    /// Checkpoints, newest (greatest id) first.
    pub fn listCheckpoints(self: State, allocator: Allocator, opts: ListOptions) AllocError!Checkpoints {
        if (opts.limit) |l| if (l == 0) return error.InvalidArgument;
        var h: ?*c.agentdb_checkpoints = null;
        try check(c.agentdb_checkpoint_list(self.db, optZ(opts.thread_id), optZ(opts.namespace), optZ(opts.before), opts.limit orelse 0, optZ(opts.metadata_json), &h));
        return copyCheckpoints(allocator, h);
    }

    /// Stores a task's pending writes against a checkpoint, atomically (LangGraph's rules: an
    /// existing (task, idx ≥ 0) is kept, an existing (task, idx < 0) is replaced).
    pub fn putWrites(self: State, allocator: Allocator, thread_id: [:0]const u8, namespace: [:0]const u8, checkpoint_id: [:0]const u8, task_id: [:0]const u8, task_path: [:0]const u8, writes: []const WriteIn) AllocError!void {
        try agentdb.checkBatch(writes.len);
        const raw = try allocator.alloc(c.agentdb_write, writes.len);
        defer allocator.free(raw);
        for (writes, raw) |w, *r| r.* = .{ .idx = w.idx, .channel = w.channel.ptr, .type_tag = w.type_tag.ptr, .value = w.value.ptr, .value_len = w.value.len };
        try check(c.agentdb_checkpoint_put_writes(self.db, thread_id.ptr, namespace.ptr, checkpoint_id.ptr, task_id.ptr, task_path.ptr, raw.ptr, raw.len));
    }

    /// The pending writes of a checkpoint, by (task_path, task_id, idx).
    pub fn getWrites(self: State, allocator: Allocator, thread_id: [:0]const u8, namespace: [:0]const u8, checkpoint_id: [:0]const u8) AllocError!PendingWrites {
        var h: ?*c.agentdb_pending_writes = null;
        try check(c.agentdb_checkpoint_get_writes(self.db, thread_id.ptr, namespace.ptr, checkpoint_id.ptr, &h));
        defer _ = c.agentdb_pending_writes_free(h);
        var n: usize = 0;
        try check(c.agentdb_pending_writes_count(h, &n));
        var arena = std.heap.ArenaAllocator.init(allocator);
        errdefer arena.deinit();
        const a = arena.allocator();
        const items = try a.alloc(PendingWrite, n);
        for (items, 0..) |*w, i| {
            var raw: c.agentdb_pending_write = undefined;
            try check(c.agentdb_pending_writes_get(h, i, &raw));
            w.* = .{
                .task_id = try a.dupe(u8, std.mem.span(raw.task_id)),
                .idx = raw.idx,
                .channel = try a.dupe(u8, std.mem.span(raw.channel)),
                .type_tag = try a.dupe(u8, std.mem.span(raw.type_tag)),
                .value = try a.dupe(u8, span(raw.value, raw.value_len)),
                .task_path = try a.dupe(u8, std.mem.span(raw.task_path)),
            };
        }
        return .{ .arena = arena, .items = items };
    }

    /// Removes every checkpoint and pending write of a thread.
    pub fn deleteThread(self: State, thread_id: [:0]const u8) Error!void {
        try check(c.agentdb_checkpoint_delete_thread(self.db, thread_id.ptr));
    }
};

fn copyVersions(allocator: Allocator, h: ?*c.agentdb_state_versions) AllocError!Versions {
    defer _ = c.agentdb_state_versions_free(h);
    var n: usize = 0;
    try check(c.agentdb_state_versions_count(h, &n));
    var arena = std.heap.ArenaAllocator.init(allocator);
    errdefer arena.deinit();
    const a = arena.allocator();
    const items = try a.alloc(Version, n);
    for (items, 0..) |*v, i| {
        var raw: c.agentdb_state_version = undefined;
        try check(c.agentdb_state_versions_get(h, i, &raw));
        v.* = .{
            .version = raw.version,
            .value_json = if (raw.value_json == null) null else try a.dupe(u8, raw.value_json[0..raw.value_len]),
            .written_at_us = raw.written_at_us,
            .expires_at_us = if (raw.has_expiry) raw.expires_at_us else null,
            .deleted = raw.deleted,
        };
    }
    return .{ .arena = arena, .items = items };
}

fn copyCheckpoints(allocator: Allocator, h: ?*c.agentdb_checkpoints) AllocError!Checkpoints {
    defer _ = c.agentdb_checkpoints_free(h);
    var n: usize = 0;
    try check(c.agentdb_checkpoints_count(h, &n));
    var arena = std.heap.ArenaAllocator.init(allocator);
    errdefer arena.deinit();
    const a = arena.allocator();
    const items = try a.alloc(Checkpoint, n);
    for (items, 0..) |*cp, i| {
        var raw: c.agentdb_checkpoint = undefined;
        try check(c.agentdb_checkpoints_get(h, i, &raw));
        cp.* = .{
            .thread_id = try a.dupe(u8, std.mem.span(raw.thread_id)),
            .namespace = try a.dupe(u8, std.mem.span(raw.namespace_)),
            .checkpoint_id = try a.dupe(u8, std.mem.span(raw.checkpoint_id)),
            .parent_id = if (raw.parent_id == null) null else try a.dupe(u8, std.mem.span(raw.parent_id)),
            .type_tag = try a.dupe(u8, std.mem.span(raw.type_tag)),
            .data = try a.dupe(u8, span(raw.data, raw.data_len)),
            .metadata_json = try a.dupe(u8, std.mem.span(raw.metadata_json)),
            .created_at_us = raw.created_at_us,
        };
    }
    return .{ .arena = arena, .items = items };
}
