//! Backup, restore and verify through the Zig layer: `Database.backup` (full, incremental),
//! `admin.restore` of a chosen and the latest point, refusals, `Database.verify` on a sound and a
//! damaged database.
const std = @import("std");
const agentdb = @import("agentdb");

const testing = std.testing;
const gpa = testing.allocator;

const TempDb = @import("temp_db.zig").TempDb;

fn addRange(col: agentdb.Collection, from: usize, to: usize) !void {
    var i = from;
    while (i < to) : (i += 1) {
        var buf: [32]u8 = undefined;
        const id = try std.fmt.bufPrintZ(&buf, "r{d}", .{i});
        const ids = [_][:0]const u8{id};
        try col.add(gpa, .{ .ids = &ids, .vectors = &.{ @floatFromInt(i), 1, 0 }, .dim = 3 });
    }
}

fn countIn(path: [:0]const u8) !u64 {
    var db = try agentdb.Database.open(path);
    defer db.deinit();
    var col = try db.openCollection("docs");
    defer col.deinit();
    return col.count(null);
}

test "backup points restore what each held; bad targets are refused" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    const base = std.fs.path.dirname(tmp.path).?;
    const dest = try std.fs.path.joinZ(gpa, &.{ base, "bk" });
    defer gpa.free(dest);
    const out1 = try std.fs.path.joinZ(gpa, &.{ base, "r1" });
    defer gpa.free(out1);
    const out2 = try std.fs.path.joinZ(gpa, &.{ base, "r2" });
    defer gpa.free(out2);
    {
        var db = try agentdb.Database.open(tmp.path);
        defer db.deinit();
        var col = try db.createCollection("docs", .{ .dim = 3, .metric = .l2 });
        defer col.deinit();
        try addRange(col, 0, 25);
        const p1 = try db.backup(dest, .{});
        try testing.expectEqual(@as(u64, 1), p1.seq);
        try testing.expectEqual(p1.total_bytes, p1.copied_bytes);
        try addRange(col, 25, 30);
        const p2 = try db.backup(dest, .{ .incremental = true });
        try testing.expect(p2.seq == 2 and p2.incremental and p2.copied_bytes < p2.total_bytes);
    }
    const r1 = try agentdb.admin.restore(dest, out1, .{ .at = 1 });
    try testing.expectEqual(@as(u64, 1), r1.seq);
    try testing.expectEqual(@as(u64, 25), try countIn(out1));
    _ = try agentdb.admin.restore(dest, out2, .{});
    try testing.expectEqual(@as(u64, 30), try countIn(out2));
    try testing.expectError(error.InvalidArgument, agentdb.admin.restore(dest, out2, .{}));
    try testing.expectError(error.InvalidArgument, agentdb.admin.restore(dest, out1, .{ .at = 0 }));
    const points = try agentdb.admin.listBackups(gpa, dest);
    defer gpa.free(points);
    try testing.expect(std.mem.indexOf(u8, points, "\"seq\":2") != null);
    const problems = try agentdb.admin.verifyBackup(gpa, dest, null);
    defer gpa.free(problems);
    try testing.expectEqualStrings("[]", problems);
    try testing.expectError(error.InvalidArgument, agentdb.admin.listBackups(gpa, out1));
    // Retention: keep the newest point; point 1 goes and every file of point 2 is still there.
    try testing.expectError(error.InvalidArgument, agentdb.admin.pruneBackups(gpa, dest, 0));
    const pruned = try agentdb.admin.pruneBackups(gpa, dest, 1);
    defer gpa.free(pruned);
    try testing.expect(std.mem.indexOf(u8, pruned, "\"removed_points\":[1]") != null);
    const left = try agentdb.admin.listBackups(gpa, dest);
    defer gpa.free(left);
    try testing.expect(std.mem.indexOf(u8, left, "\"seq\":1,") == null and std.mem.indexOf(u8, left, "\"seq\":2") != null);
    const sound = try agentdb.admin.verifyBackup(gpa, dest, 2);
    defer gpa.free(sound);
    try testing.expectEqualStrings("[]", sound);
}

test "verify: a sound database, then a removed data file" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    {
        var db = try agentdb.Database.open(tmp.path);
        defer db.deinit();
        var col = try db.createCollection("docs", .{ .dim = 3, .metric = .l2 });
        defer col.deinit();
        try addRange(col, 0, 10);
        try db.flush();
        var report = try db.verify(gpa, .{});
        defer report.deinit();
        try testing.expect(report.ok());
        try testing.expectEqual(@as(usize, 0), report.problems.len);
        try testing.expectEqual(@as(u64, 10), report.rows);
    }
    // Remove every data file of the collection: each is a missing fragment.
    const data = try std.fs.path.join(gpa, &.{ tmp.path, "docs.lance", "data" });
    defer gpa.free(data);
    var dir = try std.fs.openDirAbsolute(data, .{ .iterate = true });
    defer dir.close();
    var names = std.ArrayList([]u8).init(gpa);
    defer {
        for (names.items) |n| gpa.free(n);
        names.deinit();
    }
    var it = dir.iterate();
    while (try it.next()) |e| try names.append(try gpa.dupe(u8, e.name));
    for (names.items) |n| try dir.deleteFile(n);

    var db = try agentdb.Database.openWith(tmp.path, .{ .read_only = true });
    defer db.deinit();
    var report = try db.verify(gpa, .{});
    defer report.deinit();
    try testing.expect(!report.ok());
    try testing.expect(report.problems.len >= 1);
    try testing.expectEqualStrings("missing_file", report.problems[0].kind);
    try testing.expectEqualStrings("docs", report.problems[0].store);
    try testing.expect(std.mem.indexOf(u8, report.problems[0].file, "docs.lance/data/") != null);
    try testing.expectError(error.ReadOnly, db.verify(gpa, .{ .repair = true }));
}
