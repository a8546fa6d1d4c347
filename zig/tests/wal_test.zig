//! The write-ahead log through the Zig layer: `Database.openWith` (sync modes, read-only),
//! `flush`, the one-writer lock (`error.DatabaseLocked`) and writes on a read-only database
//! (`error.ReadOnly`).
const std = @import("std");
const agentdb = @import("agentdb");

const testing = std.testing;
const gpa = testing.allocator;

const TempDb = @import("temp_db.zig").TempDb;

test "sync modes, buffered writes visible at once, flush, reopen" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    inline for (.{ agentdb.Sync.always, agentdb.Sync.batch, agentdb.Sync.off }, 0..) |mode, i| {
        var db = try agentdb.Database.openWith(tmp.path, .{ .sync = mode });
        defer db.deinit();
        var col = try db.openOrCreateCollection("w", .{ .dim = 2, .metric = .l2 });
        defer col.deinit();
        const id = [_][:0]const u8{switch (i) {
            0 => "always",
            1 => "batch",
            else => "off",
        }};
        try col.add(gpa, .{ .ids = &id, .vectors = &.{ 1, @floatFromInt(i) }, .dim = 2 });
        try testing.expectEqual(@as(u64, i + 1), try col.count(null));
        try db.flush();
        try testing.expectEqual(@as(u64, i + 1), try col.count(null));
    }
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var col = try db.openCollection("w");
    defer col.deinit();
    try testing.expectEqual(@as(u64, 3), try col.count(null));
}

test "one writer; read-only opens read and cannot write" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var writer = try agentdb.Database.open(tmp.path);
    {
        defer writer.deinit();
        var col = try writer.createCollection("w", .{ .dim = 2, .metric = .l2 });
        defer col.deinit();
        try col.add(gpa, .{ .ids = &.{"a"}, .vectors = &.{ 1, 0 }, .dim = 2 });
        try writer.flush();

        try testing.expectError(error.DatabaseLocked, agentdb.Database.open(tmp.path));
        try testing.expectError(error.DatabaseLocked, agentdb.Database.openWith(tmp.path, .{ .sync = .off }));

        var ro = try agentdb.Database.openWith(tmp.path, .{ .read_only = true });
        defer ro.deinit();
        var rc = try ro.openCollection("w");
        defer rc.deinit();
        try testing.expectEqual(@as(u64, 1), try rc.count(null));
        try testing.expectError(error.ReadOnly, rc.add(gpa, .{ .ids = &.{"b"}, .vectors = &.{ 0, 1 }, .dim = 2 }));
        try testing.expectError(error.ReadOnly, ro.createCollection("x", .{ .dim = 2, .metric = .l2 }));
        try ro.flush();
    }
    // Closed: the lock is free again.
    var again = try agentdb.Database.open(tmp.path);
    again.deinit();
}
