//! The process-wide search counters through the Zig layer: a graph walk and its work are counted,
//! a repeated filter is evaluated once and then reused until a write, reset zeroes them.
const std = @import("std");
const agentdb = @import("agentdb");
const counters = agentdb.search_counters;

const testing = std.testing;
const gpa = testing.allocator;

const TempDb = @import("temp_db.zig").TempDb;

test "search counters: walks, filter evaluations and reuse, reset" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var col = try db.createCollection("vecs", .{ .dim = 2, .metric = .l2 });
    defer col.deinit();
    try col.add(gpa, .{
        .ids = &.{ "a", "b", "c", "d" },
        .vectors = &.{ 0, 0, 1, 0, 0, 1, 1, 1 },
        .dim = 2,
        .metadata_json = "[{\"tag\": 1}, {\"tag\": 2}, {\"tag\": 1}, {\"tag\": 2}]",
    });
    try col.createIndex(.{});

    try counters.reset();
    const zero = try counters.get();
    try testing.expectEqual(@as(u32, @sizeOf(counters.Counters)), zero.struct_size);
    try testing.expectEqual(@as(u64, 0), zero.searches);
    {
        var r = try col.search(gpa, &.{ 0.1, 0 }, .{ .k = 2 });
        defer r.deinit();
        try testing.expectEqualStrings("a", r.hits()[0].id);
    }
    const walked = try counters.get();
    try testing.expectEqual(@as(u64, 1), walked.searches);
    try testing.expect(walked.distances > 0 and walked.bytes > 0);

    for (0..2) |_| {
        var r = try col.search(gpa, &.{ 0.1, 0 }, .{ .k = 1, .filter = .{ .sql = "tag = 2" } });
        defer r.deinit();
        try testing.expectEqualStrings("b", r.hits()[0].id);
    }
    const filtered = try counters.get();
    try testing.expectEqual(walked.filters_evaluated + 1, filtered.filters_evaluated);
    try testing.expectEqual(walked.filters_reused + 1, filtered.filters_reused);

    try counters.reset();
    const again = try counters.get();
    try testing.expectEqual(@as(u64, 0), again.searches);
    try testing.expectEqual(@as(u64, 0), again.filters_reused);
}
