//! Operations through the Zig layer: stats and health JSON match the data, the parsed health,
//! metrics counters match the calls made, recording off and on, the log callback, and errors.
//! `std.testing.allocator` fails any test that leaks.
const std = @import("std");
const agentdb = @import("agentdb");
const ops = agentdb.ops;

const testing = std.testing;
const gpa = testing.allocator;

const TempDb = @import("temp_db.zig").TempDb;

fn addThree(db: agentdb.Database) !agentdb.Collection {
    var coll = try db.openOrCreateCollection("docs", .{ .dim = 2, .metric = .l2 });
    errdefer coll.deinit();
    try coll.add(gpa, .{ .ids = &.{ "a", "b", "c" }, .vectors = &.{ 1, 0, 0, 1, 1, 1 }, .dim = 2 });
    return coll;
}

fn expectContains(haystack: []const u8, needle: []const u8) !void {
    if (std.mem.indexOf(u8, haystack, needle) == null) {
        std.debug.print("\"{s}\" not in:\n{s}\n", .{ needle, haystack });
        return error.TestExpectedEqual;
    }
}

test "ops: stats of a collection, a memory store and the database" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var coll = try addThree(db);
    defer coll.deinit();
    try db.flush();

    const cs = try ops.collectionStats(gpa, coll);
    defer gpa.free(cs);
    try expectContains(cs, "\"rows\":3");
    try expectContains(cs, "\"metric\":\"l2\"");

    const ds = try ops.dbStats(gpa, db);
    defer gpa.free(ds);
    try expectContains(ds, "\"table_name\":\"docs\"");
    try expectContains(ds, "\"read_only\":false");

    var m = try agentdb.memory.Memory.openOrCreate(db, "mem", .{ .dim = 2, .metric = .cosine });
    defer m.deinit();
    var ids = try m.remember(gpa, .{ .agent_id = "ann" }, &.{.{ .text = "hello" }}, &.{ 1, 0 });
    ids.deinit();
    const ms = try ops.memoryStats(gpa, m);
    defer gpa.free(ms);
    try expectContains(ms, "\"memories\":1");
}

test "ops: health parses, and a closed database reports an invalid handle" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    var h = try ops.health(gpa, db);
    defer h.deinit();
    try testing.expectEqualStrings("ok", h.value.status);
    try testing.expect(h.value.open and h.value.writable);
    try testing.expectEqual(@as(?bool, true), h.value.flusher_alive);
    try testing.expect(h.value.last_error == null);
    const handle = db.handle;
    db.deinit();
    try testing.expectError(error.InvalidHandle, ops.dbHealth(gpa, .{ .handle = handle }));
}

test "ops: metrics count the calls made" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var coll = try addThree(db);
    defer coll.deinit();
    for (0..3) |_| {
        var r = try coll.search(gpa, &.{ 1, 0 }, .{ .k = 2 });
        r.deinit();
    }
    const text = try ops.metricsText(gpa, db);
    defer gpa.free(text);
    try expectContains(text, "agentdb_operations_total{op=\"search\",kind=\"collection\"} 3\n");
    try expectContains(text, "agentdb_operation_items_total{op=\"add\",kind=\"collection\"} 3\n");
    try ops.setMetricsEnabled(db, false);
    var r = try coll.search(gpa, &.{ 1, 0 }, .{ .k = 2 });
    r.deinit();
    try ops.setMetricsEnabled(db, true);
    try coll.optimize();
    try db.optimize();
    const again = try ops.metricsText(gpa, db);
    defer gpa.free(again);
    try expectContains(again, "agentdb_operations_total{op=\"search\",kind=\"collection\"} 3\n");
    // Histograms are rendered only for operations that ran.
    try expectContains(again, "agentdb_operation_duration_seconds_count{op=\"compaction\",kind=\"db\"}");
}

var opened_lines = std.atomic.Value(u32).init(0);

fn onLog(level: i32, target: [*c]const u8, message: [*c]const u8, user: ?*anyopaque) callconv(.c) void {
    _ = user;
    std.debug.assert(level >= @intFromEnum(ops.LogLevel.err) and level <= @intFromEnum(ops.LogLevel.trace));
    std.debug.assert(std.mem.startsWith(u8, std.mem.span(target), "agentdb"));
    if (std.mem.indexOf(u8, std.mem.span(message), "opened") != null) _ = opened_lines.fetchAdd(1, .monotonic);
}

test "ops: the log callback receives the engine's records at its level" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    try ops.setLogCallback(onLog, .info, null);
    {
        var db = try agentdb.Database.open(tmp.path);
        db.deinit();
    }
    try ops.setLogCallback(onLog, .warn, null);
    {
        var db = try agentdb.Database.open(tmp.path);
        db.deinit();
    }
    try ops.setLogCallback(null, .off, null);
    try testing.expectEqual(@as(u32, 1), opened_lines.load(.monotonic));
}
