//! Cancelling long calls through the Zig layer (`agentdb.cancel.CancelToken`): an index build
//! cancelled from another thread while it runs returns `error.Cancelled` and leaves the old index
//! serving; a backup under a cancelled token leaves no point; detached, the calls run.
const std = @import("std");
const agentdb = @import("agentdb");

const testing = std.testing;
const gpa = testing.allocator;

const TempDb = @import("temp_db.zig").TempDb;
const CancelToken = agentdb.cancel.CancelToken;

const n = 3000;
const dim = 8;

fn cancelLater(token: CancelToken) void {
    std.time.sleep(100 * std.time.ns_per_ms);
    token.cancel() catch {};
}

test "a build cancelled from another thread keeps the old index" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var col = try db.createCollection("big", .{ .dim = dim, .metric = .l2 });
    defer col.deinit();

    const vecs = try gpa.alloc(f32, n * dim);
    defer gpa.free(vecs);
    var x: u32 = 1;
    for (vecs) |*v| {
        x = x *% 1664525 +% 1013904223;
        v.* = @as(f32, @floatFromInt(x)) / 4294967296.0;
    }
    var names = std.ArrayList([:0]u8).init(gpa);
    defer {
        for (names.items) |s| gpa.free(s);
        names.deinit();
    }
    for (0..n) |i| try names.append(try std.fmt.allocPrintZ(gpa, "r{d}", .{i}));
    const ids = try gpa.alloc([:0]const u8, n);
    defer gpa.free(ids);
    for (names.items, 0..) |s, i| ids[i] = s;
    try col.add(gpa, .{ .ids = ids, .vectors = vecs, .dim = dim });
    try col.createIndex(.{ .m = 4, .ef_construction = 8 });

    var token = try CancelToken.init();
    defer token.deinit();
    const th = try std.Thread.spawn(.{}, cancelLater, .{token});
    const built = token.run(agentdb.Collection.createIndex, .{ col, agentdb.IndexParams{ .m = 48, .ef_construction = 2000 } });
    th.join();
    try testing.expectError(error.Cancelled, built);
    try testing.expect(try token.isCancelled());

    const info = (try col.indexParams()).?;
    try testing.expectEqual(@as(usize, 4), info.m);
    try testing.expectEqual(@as(usize, 8), info.ef_construction);
    var r = try col.search(gpa, vecs[0..dim], .{ .k = 3 });
    defer r.deinit();
    try testing.expectEqualStrings("r0", r.hits()[0].id);
    try testing.expectEqual(@as(u64, n), try col.count(null));
    try token.reset();
    try token.run(agentdb.Collection.createIndex, .{ col, agentdb.IndexParams{ .m = 8, .ef_construction = 16 } });
    try testing.expectEqual(@as(usize, 8), (try col.indexParams()).?.m);
}

test "a backup under a cancelled token leaves no point" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    const dest = try std.fs.path.joinZ(gpa, &.{ std.fs.path.dirname(tmp.path).?, "bk" });
    defer gpa.free(dest);
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var col = try db.createCollection("docs", .{ .dim = 3, .metric = .l2 });
    defer col.deinit();
    const ids = [_][:0]const u8{ "a", "b" };
    try col.add(gpa, .{ .ids = &ids, .vectors = &.{ 1, 0, 0, 0, 1, 0 }, .dim = 3 });
    var token = try CancelToken.init();
    defer token.deinit();
    try token.cancel();
    try testing.expectError(error.Cancelled, token.run(agentdb.Database.backup, .{ db, dest, agentdb.admin.BackupOptions{} }));
    const listed = try agentdb.admin.listBackups(gpa, dest);
    defer gpa.free(listed);
    try testing.expectEqualStrings("[]", listed);
    const p = try db.backup(dest, .{});
    try testing.expectEqual(@as(u64, 1), p.seq);
}
